/*
 * seq/digest.c - the MD5 and SHA-512 digests of a record's upper-cased
 * bases (the contig's md5 and refget ids), and the SHA-256 of the input
 * file's raw bytes (provenance, seq/source.c), computed beside the import.
 *
 * The two digests were 68% of a single-threaded import's CPU, and each is
 * one serial stream that cannot be split, so each gets a thread of its
 * own while the importer's thread parses and encodes. The importer's
 * thread upper-cases the bases into a ring of slots; both workers digest
 * every slot in order, and a slot is filled again once both have passed
 * it. A record that ends within its first slot is digested on the
 * importer's thread: millions of short records (miRNAs, reads of a
 * database) would otherwise cost two hand-offs each. A digest is the same
 * whichever thread computes it, so the stored bytes do not depend on the
 * thread count.
 *
 * The input's SHA-256 (13% of the importer's thread once MD5 and SHA-512
 * had gone) uses the same ring with one worker, and no copy: the reader
 * reads the file straight into the slot being filled (_room, _commit) and
 * parses it from there; a slot is filled again only after NSLOT - 1 more
 * hand-offs, long after the reader has moved on.
 */
#include "seq/seq_int.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "simd/simd.h"

#define SLOT (256u << 10) /* bytes a hand-off */
#define NSLOT 8u
#define NW 2u /* digests at most */

struct slot {
	char *p;
	size_t n;
	int first, last; /* of the record: init before, final after */
};

struct worker {
	gdb_digester *d;
	pthread_t tid;
	const EVP_MD *md;
	EVP_MD_CTX *ctx;
	uint64_t done; /* slots digested (under d->mu) */
	uint8_t out[64];
	int ok; /* every EVP call of the record succeeded */
};

struct gdb_digester {
	pthread_mutex_t mu;
	pthread_cond_t work, room;
	struct slot slot[NSLOT];
	uint64_t pub;	     /* slots handed to the workers */
	struct worker w[NW]; /* one a digest */
	unsigned nw;
	int threads; /* the workers run */
	int stop;
	size_t fill;   /* bytes in slot[pub % NSLOT], not yet handed on */
	uint64_t sent; /* slots of the open record handed on */
};

static void step(struct worker *w, const struct slot *s)
{
	unsigned int l = 0;

	if (s->first)
		w->ok = EVP_DigestInit_ex(w->ctx, w->md, NULL);
	if (w->ok && s->n)
		w->ok = EVP_DigestUpdate(w->ctx, s->p, s->n);
	if (w->ok && s->last)
		w->ok = EVP_DigestFinal_ex(w->ctx, w->out, &l);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	gdb_digester *d = w->d;

	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (w->done == d->pub && !d->stop)
			pthread_cond_wait(&d->work, &d->mu);
		if (w->done == d->pub)
			break; /* stopped, and nothing is left */
		struct slot s = d->slot[w->done % NSLOT];
		pthread_mutex_unlock(&d->mu);
		step(w, &s);
		pthread_mutex_lock(&d->mu);
		w->done++;
		pthread_cond_broadcast(&d->room);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

static uint64_t slowest(const gdb_digester *d)
{
	uint64_t s = d->w[0].done;

	for (unsigned i = 1; i < d->nw; i++)
		if (d->w[i].done < s)
			s = d->w[i].done;
	return s;
}

/* Hand the slot being filled on; at the record's end, wait until both
 * digests are final. */
static void hand_on(gdb_digester *d, int last)
{
	struct slot *s = &d->slot[d->pub % NSLOT];

	s->n = d->fill;
	s->first = d->sent == 0;
	s->last = last;
	d->fill = 0;
	d->sent = last ? 0 : d->sent + 1;
	if (!d->threads || (s->first && s->last)) {
		/* the workers are idle: nothing of this record went out */
		for (unsigned i = 0; i < d->nw; i++)
			step(&d->w[i], s);
		return;
	}
	pthread_mutex_lock(&d->mu);
	d->pub++;
	pthread_cond_broadcast(&d->work);
	/* the next slot must be free; at the end, all of them */
	while (d->pub - slowest(d) >= (last ? 1 : NSLOT))
		pthread_cond_wait(&d->room, &d->mu);
	pthread_mutex_unlock(&d->mu);
}

char *gdb_digester_room(gdb_digester *d, size_t *cap)
{
	*cap = SLOT - d->fill;
	return d->slot[d->pub % NSLOT].p + d->fill;
}

void gdb_digester_commit(gdb_digester *d, size_t n)
{
	d->fill += n;
	if (d->fill == SLOT)
		hand_on(d, 0);
}

int gdb_digester_add(gdb_digester *d, const char *p, size_t n)
{
	while (n) {
		size_t k;
		char *to = gdb_digester_room(d, &k);
		if (k > n)
			k = n;
		gdb_simd()->toupper(p, k, to);
		gdb_digester_commit(d, k);
		p += k;
		n -= k;
	}
	return 0;
}

int gdb_digester_final(gdb_digester *d, uint8_t *const out[])
{
	hand_on(d, 1);
	for (unsigned i = 0; i < d->nw; i++) {
		if (!d->w[i].ok)
			return -ENOMEM;
		memcpy(out[i], d->w[i].out, EVP_MD_get_size(d->w[i].md));
	}
	return 0;
}

int gdb_digester_end(gdb_digester *d, uint8_t md5[16], uint8_t sha512[64])
{
	uint8_t *const out[] = {md5, sha512};

	return gdb_digester_final(d, out);
}

/* Stop and join the workers (the ring is empty between records). */
static void stop_workers(gdb_digester *d, unsigned n)
{
	pthread_mutex_lock(&d->mu);
	d->stop = 1;
	pthread_cond_broadcast(&d->work);
	pthread_mutex_unlock(&d->mu);
	for (unsigned i = 0; i < n; i++)
		pthread_join(d->w[i].tid, NULL);
	d->threads = 0;
}

static void start_workers(gdb_digester *d)
{
	unsigned n = 0;

	while (n < d->nw &&
	       pthread_create(&d->w[n].tid, NULL, worker_main, &d->w[n]) == 0)
		n++;
	if (n == d->nw)
		d->threads = 1;
	else
		stop_workers(d, n); /* digested on the caller's thread */
}

/* A digester of the nw digests md[], on threads when threads allows. */
static int digester_new(unsigned threads, const EVP_MD *const *md, unsigned nw,
			gdb_digester **out)
{
	gdb_digester *d = calloc(1, sizeof(*d));
	int ok = d != NULL;

	*out = NULL;
	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->work, NULL);
	pthread_cond_init(&d->room, NULL);
	d->nw = nw;
	for (unsigned i = 0; ok && i < NSLOT; i++)
		ok = (d->slot[i].p = malloc(SLOT)) != NULL;
	for (unsigned i = 0; ok && i < nw; i++) {
		d->w[i].d = d;
		d->w[i].md = md[i];
		ok = (d->w[i].ctx = EVP_MD_CTX_new()) != NULL;
	}
	if (!ok) {
		gdb_digester_free(d);
		return -ENOMEM;
	}
	if (threads > 1 || (threads == 0 && sysconf(_SC_NPROCESSORS_ONLN) > 1))
		start_workers(d);
	*out = d;
	return 0;
}

int gdb_digester_new(unsigned threads, gdb_digester **out)
{
	const EVP_MD *md[] = {EVP_md5(), EVP_sha512()};

	return digester_new(threads, md, 2, out);
}

int gdb_digester_new_sha256(unsigned threads, gdb_digester **out)
{
	const EVP_MD *md[] = {EVP_sha256()};

	return digester_new(threads, md, 1, out);
}

void gdb_digester_free(gdb_digester *d)
{
	if (!d)
		return;
	if (d->threads)
		stop_workers(d, d->nw);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->work);
	pthread_cond_destroy(&d->room);
	for (unsigned i = 0; i < NW; i++)
		EVP_MD_CTX_free(d->w[i].ctx);
	for (unsigned i = 0; i < NSLOT; i++)
		free(d->slot[i].p);
	free(d);
}
