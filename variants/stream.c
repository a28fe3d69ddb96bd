/*
 * variants/stream.c - region answers of any size, served window by window
 * (variants.h, "Streamed answers"). A stream's parts are its head (the
 * header), one window per stored chunk of the region and its tail (the
 * BGZF end-of-file block, or nothing); each is rendered on its own by
 * record.c, render.c or stats.c (statistics tables), and joined they are
 * the whole answer. Open
 * renders every part once to learn its length (over the caller's
 * threads) and keeps the offsets, and the parts themselves as far as the
 * caller's budget goes (the first parts first: a reader starts there); a
 * read renders the parts it touches that were not kept, and the last
 * CACHED parts rendered stay for the next reads (the kernel reads a file
 * in order, 128 KiB at a time). Reading a part starts rendering the next
 * one on a worker thread, so that it is ready when the reader gets there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/bigbuf.h"
#include "common/forkguard.h"
#include "variants/variants_int.h"

#define CACHED 2
#define NO_PART UINT32_MAX

struct gdb_vstream {
	const gdb_vset *v;
	uint32_t contig, first, nwin;
	int64_t beg, end;
	enum gdb_vfmt fmt;
	int is_stat; /* a statistics table (st), not a record file */
	gdb_vstat_opts st;
	gdb_vsamples sub;
	int has_sub;
	uint64_t rows; /* .gt.npy: rows of the whole answer */
	uint64_t *off; /* nwin + 3: part i is bytes [off[i], off[i + 1]) */
	pthread_mutex_t mu;
	int refs;    /* references of both kinds */
	int readers; /* readers' references: they keep the windows */
	struct {
		uint32_t part; /* NO_PART: empty */
		char *p;
	} c[CACHED];
	unsigned last; /* slot used last */
	char **kept;   /* nwin + 2: parts the sizing pass kept, or NULL */
	size_t keep;   /* their budget in bytes (part 1 always stays) */
	uint32_t drop; /* kept parts before it are freed */
	/* the part rendered ahead (busy while its thread runs) */
	struct {
		uint32_t part;
		int busy, started, rc;
		char *p;
		size_t n;
		pthread_t th;
	} ah;
	pthread_cond_t cv;
	gdb_fork_mark mark; /* the process the above is of */
};

/* s in a child of the process that opened it: as if nothing had been
 * read (the file comment), its lock and condition variable new. */
static void stream_renew(void *arg)
{
	gdb_vstream *s = arg;

	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	for (int i = 0; i < CACHED; i++) {
		s->c[i].part = NO_PART;
		s->c[i].p = NULL;
	}
	s->last = 0;
	if (s->kept)
		memset(s->kept, 0, sizeof(char *) * (s->nwin + 2));
	s->drop = 0;
	memset(&s->ah, 0, sizeof(s->ah));
}

/* s's lock, s renewed first in a child of the process that opened it. */
static void stream_lock(gdb_vstream *s)
{
	gdb_fork_mark_check(&s->mark, stream_renew, s);
	pthread_mutex_lock(&s->mu);
}

/* Part i (0 head, 1 .. nwin the windows, nwin + 1 tail) into *p. */
static int render_one(const gdb_vstream *s, uint32_t i, char **p, size_t *n,
		      uint64_t *rows)
{
	uint32_t part = i == 0	      ? VS_PART_HEAD
			: i > s->nwin ? VS_PART_TAIL
				      : s->first + i - 1;
	const gdb_vsamples *sub = s->has_sub ? &s->sub : NULL;

	if (s->is_stat)
		return vs_stats_part(s->v, s->contig, s->beg, s->end, &s->st,
				     part, p, n);
	if (part == VS_PART_TAIL &&
	    (s->fmt == GDB_VF_VCF || s->fmt == GDB_VF_SITES)) {
		*n = 0;
		return (*p = malloc(1)) ? 0 : -ENOMEM;
	}
	switch (s->fmt) {
	case GDB_VF_VCF:
	case GDB_VF_BCF:
	case GDB_VF_VCFGZ:
		return vs_vcf_part(s->v, s->contig, s->beg, s->end, sub, s->fmt,
				   part, p, n);
	case GDB_VF_SITES:
		return vs_sites_part(s->v, s->contig, s->beg, s->end, part, p,
				     n);
	case GDB_VF_GTNPY:
		*rows = s->rows;
		return vs_npy_part(s->v, s->contig, s->beg, s->end, sub, part,
				   rows, p, n);
	}
	return -EINVAL;
}

/* render_one, the part counted as held until part_free. */
static int render_part(const gdb_vstream *s, uint32_t i, char **p, size_t *n,
		       uint64_t *rows)
{
	int rc = render_one(s, i, p, n, rows);

	if (rc == 0 && *p) { /* part_free counts down only a buffer */
		/* held while read: no page past its length (the renderers
		 * size buffers by over-estimates) */
		gdb_bigbuf_trim(*p, *n);
		__atomic_add_fetch((uint64_t *)&s->v->windows_held, 1,
				   __ATOMIC_RELAXED);
	}
	return rc;
}

/* A rendered part leaves the stream: uncounted, and its buffer to the
 * pool of large buffers (the next window is rendered into it). */
static void part_free(const gdb_vstream *s, char *p)
{
	if (!p)
		return;
	__atomic_sub_fetch((uint64_t *)&s->v->windows_held, 1,
			   __ATOMIC_RELAXED);
	gdb_bigbuf_put(p);
}

/* The sizing pass: every window's length, on several threads. */
struct sizing {
	gdb_vstream *s;
	uint64_t *rows;
	uint32_t next;
	uint64_t kept; /* bytes */
	int rc;
};

static void *size_run(void *arg)
{
	struct sizing *z = arg;
	gdb_vstream *s = z->s;

	for (;;) {
		uint32_t i = __atomic_add_fetch(&z->next, 1, __ATOMIC_RELAXED);
		char *p;
		size_t n;
		int rc;
		if (i > s->nwin + 1 ||
		    __atomic_load_n(&z->rc, __ATOMIC_RELAXED))
			break;
		rc = render_part(s, i, &p, &n, &z->rows[i]);
		if (rc < 0) {
			__atomic_store_n(&z->rc, rc, __ATOMIC_RELAXED);
			break;
		}
		s->off[i + 1] = n;
		/* a reader starts at part 1: it stays; parts come in
		 * order, so the first ones are kept first */
		if (i == 1) {
			s->kept[i] = p;
		} else if (__atomic_add_fetch(&z->kept, n, __ATOMIC_RELAXED) <=
			   s->keep) {
			s->kept[i] = p;
		} else {
			__atomic_sub_fetch(&z->kept, n, __ATOMIC_RELAXED);
			part_free(s, p);
		}
	}
	return NULL;
}

static int size_parts(gdb_vstream *s, unsigned threads)
{
	struct sizing z = {.s = s, .next = 0};
	pthread_t th[8];
	unsigned nt = 0;
	char *p;
	size_t n;

	z.rows = calloc((size_t)s->nwin + 2, sizeof(uint64_t));
	if (!z.rows)
		return -ENOMEM;
	while (nt + 1 < threads && nt < 8 && nt < s->nwin &&
	       pthread_create(&th[nt], NULL, size_run, &z) == 0)
		nt++;
	size_run(&z);
	while (nt)
		pthread_join(th[--nt], NULL);
	for (uint32_t i = 1; i <= s->nwin; i++)
		s->rows += z.rows[i];
	free(z.rows);
	if (z.rc < 0)
		return z.rc;
	GDB_TRY(render_part(s, 0, &p, &n, &s->rows));
	if (n <= s->keep - (z.kept < s->keep ? z.kept : s->keep))
		s->kept[0] = p;
	else
		part_free(s, p);
	s->off[0] = 0;
	s->off[1] = n;
	for (uint32_t i = 1; i <= s->nwin + 1; i++)
		s->off[i + 1] += s->off[i];
	return 0;
}

/* A stream of whatever *tpl says, sized. */
static int stream_open(const gdb_vstream *tpl, const gdb_vsamples *sub,
		       unsigned threads, gdb_vstream **out)
{
	const gdb_vset *v = tpl->v;
	gdb_vstream *s;
	int rc;

	if (tpl->contig >= v->ncontigs || tpl->beg < 0 || tpl->end < tpl->beg)
		return -EINVAL;
	if (!(s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	*s = *tpl;
	s->refs = s->readers = 1;
	s->has_sub = sub != NULL;
	for (int i = 0; i < CACHED; i++)
		s->c[i].part = NO_PART;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	gdb_fork_mark_set(&s->mark);
	vs_chunk_range(v, s->contig, s->beg, s->end, &s->first, &s->nwin);
	s->off = calloc((size_t)s->nwin + 3, sizeof(uint64_t));
	s->kept = calloc((size_t)s->nwin + 2, sizeof(char *));
	if (sub) {
		s->sub.n = sub->n;
		s->sub.idx = malloc(sizeof(uint32_t) * (sub->n + 1));
		if (s->sub.idx)
			memcpy(s->sub.idx, sub->idx, sizeof(uint32_t) * sub->n);
	}
	rc = !s->off || !s->kept || (sub && !s->sub.idx)
		 ? -ENOMEM
		 : size_parts(s, threads);
	if (rc < 0) {
		gdb_vstream_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

int gdb_vstream_open(const gdb_vset *v, uint32_t contig, int64_t beg,
		     int64_t end, const gdb_vsamples *sub, enum gdb_vfmt fmt,
		     unsigned threads, size_t keep, gdb_vstream **out)
{
	gdb_vstream t = {.v = v,
			 .contig = contig,
			 .beg = beg,
			 .end = end,
			 .fmt = fmt,
			 .keep = keep};

	if (fmt > GDB_VF_GTNPY)
		return -EINVAL;
	return stream_open(&t, sub, threads, out);
}

int gdb_vstream_open_stats(const gdb_vset *v, uint32_t contig, int64_t beg,
			   int64_t end, const gdb_vstat_opts *o,
			   unsigned threads, size_t keep, gdb_vstream **out)
{
	gdb_vstream t = {.v = v,
			 .contig = contig,
			 .beg = beg,
			 .end = end,
			 .is_stat = 1,
			 .st = *o,
			 .keep = keep};

	if (o->stat > GDB_VSTAT_SUMMARY)
		return -EINVAL;
	return stream_open(&t, NULL, threads, out);
}

uint64_t gdb_vset_region_sites(const gdb_vset *v, uint32_t contig, int64_t beg,
			       int64_t end)
{
	uint32_t first, n;

	if (contig >= v->ncontigs)
		return 0;
	vs_chunk_range(v, contig, beg, end, &first, &n);
	return vs_range_sites(v, first, n, beg, end);
}

uint64_t gdb_vstream_size(const gdb_vstream *s)
{
	return s->off[s->nwin + 2];
}

/* Part i rendered for a reader (counted), not for the sizing pass. */
static int render_read(const gdb_vstream *s, uint32_t i, char **p, size_t *n)
{
	uint64_t rows = 0;

	__atomic_add_fetch((uint64_t *)&s->v->windows_rendered, 1,
			   __ATOMIC_RELAXED);
	return render_part(s, i, p, n, &rows);
}

uint64_t gdb_vset_windows_rendered(const gdb_vset *v)
{
	return __atomic_load_n(&v->windows_rendered, __ATOMIC_RELAXED);
}

uint64_t gdb_vset_windows_held(const gdb_vset *v)
{
	return __atomic_load_n(&v->windows_held, __ATOMIC_RELAXED);
}

static void *ahead_run(void *arg)
{
	gdb_vstream *s = arg;
	char *p = NULL;
	size_t n = 0;
	int rc = render_read(s, s->ah.part, &p, &n);

	pthread_mutex_lock(&s->mu);
	if (rc == 0 && s->readers == 0) {
		/* every reader closed meanwhile: it goes now (a reader who
		 * comes later renders it again, as after a failure) */
		part_free(s, p);
		rc = -ECANCELED;
	}
	s->ah.rc = rc;
	s->ah.p = rc == 0 ? p : NULL;
	s->ah.n = n;
	s->ah.busy = 0;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Wait for the part rendered ahead and drop it (the lock held). */
static void ahead_end(gdb_vstream *s)
{
	while (s->ah.started && s->ah.busy)
		pthread_cond_wait(&s->cv, &s->mu);
	if (!s->ah.started)
		return; /* joined by whoever held the lock while we waited */
	pthread_join(s->ah.th, NULL);
	s->ah.started = 0;
	part_free(s, s->ah.p);
	s->ah.p = NULL;
}

static int have_part(const gdb_vstream *s, uint32_t i)
{
	for (unsigned k = 0; k < CACHED; k++)
		if (s->c[k].part == i)
			return 1;
	return s->kept[i] != NULL || (s->ah.started && s->ah.part == i);
}

/* Start rendering part i on a worker, unless it is at hand, or the
 * worker is still busy with another (the lock held). */
static void ahead_start(gdb_vstream *s, uint32_t i)
{
	if (i > s->nwin + 1 || have_part(s, i) ||
	    (s->ah.started && s->ah.busy) || s->off[i + 1] == s->off[i])
		return;
	ahead_end(s);
	s->ah.part = i;
	s->ah.busy = 1;
	s->ah.started = pthread_create(&s->ah.th, NULL, ahead_run, s) == 0;
	s->ah.busy = s->ah.started;
}

/* Part i rendered now, or taken from the worker (the lock held, and the
 * worker not busy with i). */
static int render_now(gdb_vstream *s, uint32_t i, char **q, size_t *n)
{
	if (s->ah.started && s->ah.part == i && s->ah.rc == 0) {
		*q = s->ah.p;
		*n = s->ah.n;
		s->ah.p = NULL;
		ahead_end(s);
		return 0;
	}
	if (s->ah.started && s->ah.part == i)
		ahead_end(s); /* it failed: again here, for the error */
	return render_read(s, i, q, n);
}

/* Part i, kept, cached or rendered now (the lock held); the next part
 * is started ahead. */
static int get_part(gdb_vstream *s, uint32_t i, const char **p)
{
	unsigned k;
	size_t n;
	char *q;

	while (s->ah.started && s->ah.busy && s->ah.part == i)
		pthread_cond_wait(&s->cv, &s->mu);
	/* kept parts the reader has left behind go (the kernel keeps the
	 * pages it read) */
	for (uint32_t j = s->drop; j + 1 < i; j++) {
		part_free(s, s->kept[j]);
		s->kept[j] = NULL;
	}
	s->drop = i > s->drop + 1 ? i - 1 : s->drop;
	if (s->kept[i]) {
		*p = s->kept[i];
		goto out;
	}
	for (k = 0; k < CACHED; k++)
		if (s->c[k].part == i)
			goto found;
	GDB_TRY(render_now(s, i, &q, &n));
	if (n != s->off[i + 1] - s->off[i]) {
		part_free(s, q);
		return -EIO; /* not what the sizing pass saw */
	}
	k = (s->last + 1) % CACHED;
	part_free(s, s->c[k].p);
	s->c[k].part = i;
	s->c[k].p = q;
found:
	s->last = k;
	*p = s->c[k].p;
out:
	ahead_start(s, i + 1);
	return 0;
}

ssize_t gdb_vstream_read(gdb_vstream *s, void *dst, size_t n, uint64_t off)
{
	uint64_t size = gdb_vstream_size(s);
	uint32_t lo = 0, hi = s->nwin + 2;
	size_t done = 0;
	int rc = 0;

	if (off >= size)
		return 0;
	if (n > size - off)
		n = (size_t)(size - off);
	/* the last part starting at or before off */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (s->off[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	stream_lock(s);
	for (uint32_t i = lo; done < n && rc == 0; i++) {
		const char *p;
		uint64_t at = off + done - s->off[i], plen;
		plen = s->off[i + 1] - s->off[i];
		if (at >= plen)
			continue; /* an empty part */
		rc = get_part(s, i, &p);
		if (rc == 0) {
			size_t take = plen - at < n - done ? (size_t)(plen - at)
							   : n - done;
			memcpy((char *)dst + done, p + at, take);
			done += take;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return rc < 0 ? rc : (ssize_t)done;
}

/* The windows read, kept and rendered ahead (the lock held; no reader
 * left). A render still running frees its window when it ends. */
static void drop_windows(gdb_vstream *s)
{
	if (!s->ah.busy)
		ahead_end(s);
	for (int i = 0; i < CACHED; i++) {
		part_free(s, s->c[i].p);
		s->c[i].p = NULL;
		s->c[i].part = NO_PART;
	}
	for (uint32_t i = 0; s->kept && i < s->nwin + 2; i++) {
		part_free(s, s->kept[i]);
		s->kept[i] = NULL;
	}
	s->drop = 0;
}

/* Drop a reference (a reader's if reader); the last frees s. */
static void unref(gdb_vstream *s, int reader)
{
	int left;

	if (!s)
		return;
	stream_lock(s);
	left = --s->refs;
	if (reader && --s->readers == 0)
		drop_windows(s);
	/* only the last holder waits for the worker: a closer that waited
	 * while another freed the stream would wake in freed memory */
	if (left == 0)
		ahead_end(s);
	pthread_mutex_unlock(&s->mu);
	if (left > 0)
		return;
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->kept);
	free(s->off);
	free(s->sub.idx);
	free(s);
}

static void add_ref(gdb_vstream *s, int reader)
{
	stream_lock(s);
	s->refs++;
	s->readers += reader;
	pthread_mutex_unlock(&s->mu);
}

void gdb_vstream_ref(gdb_vstream *s)
{
	add_ref(s, 1);
}

void gdb_vstream_close(gdb_vstream *s)
{
	unref(s, 1);
}

void gdb_vstream_hold(gdb_vstream *s)
{
	add_ref(s, 0);
}

void gdb_vstream_unhold(gdb_vstream *s)
{
	unref(s, 0);
}
