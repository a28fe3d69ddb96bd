/*
 * store/blocks.c - reading an assembly's stream of blocks: locate a
 * block, check its CRC32C, decode it with the assembly's codec (whose
 * model is loaded once, on first use), and map contig blocks onto stream
 * blocks.
 *
 * A contig's block k is stream block first_block + k, from offset
 * block_off for a contig packed after others into one block. When a
 * contig's block is all of its stream block it is decoded straight into
 * the caller's buffer; when it is part of one (short records sharing a
 * block) the stream block is decoded once into a per-thread buffer and
 * the part copied out, so reading a thousand neighbouring records decodes
 * their block once, not a thousand times. The per-thread buffer is keyed
 * by a serial number unique to each open store, never by its address.
 *
 * A daemon (gdb_store_access_random) reads the stored bytes of a block it
 * decodes with pread into a per-thread buffer, not through the mapping:
 * one system call instead of a page fault per page (sblock_bytes).
 *
 * A model that fails to load (a damaged training block, a model that
 * does not parse) is remembered: every read of that assembly then fails
 * with the same error, logged once.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "store/store_int.h"

/* ---- per-assembly state ---- */

void gdb_asm_int_reset(struct gdb_asm_int *x)
{
	memset(x, 0, sizeof(*x));
	pthread_mutex_init(&x->lock, NULL);
}

void gdb_asm_int_free(struct gdb_asm_int *x)
{
	free(x->blocks_owned);
	free(x->block_n);
	free(x->text);
	gdb_codec_model_free(x->model);
	pthread_mutex_destroy(&x->lock);
	memset(x, 0, sizeof(*x));
}

/* ---- telling the kernel what will be read ---- */

/* Ask for bytes [off, off + len) of sg now, without waiting: one disk
 * request rather than a fault per page (under MADV_RANDOM). */
static void seg_willneed(const gdb_store *s, const struct gdb_seg *sg,
			 uint64_t off, uint64_t len)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE), a, e;

	if (s->borrowed || !sg->map || !len || off > sg->len ||
	    len > sg->len - off)
		return;
	a = (uintptr_t)(sg->map + off) & ~(pg - 1);
	e = ((uintptr_t)(sg->map + off + len) + pg - 1) & ~(pg - 1);
	(void)madvise((void *)a, e - a, MADV_WILLNEED);
}

static int random_mode(const gdb_store *s)
{
	return __atomic_load_n(&s->random_access, __ATOMIC_RELAXED);
}

void gdb_store_access_random(const gdb_store *s)
{
	gdb_store *w = (gdb_store *)s;

	if (s->borrowed ||
	    __atomic_exchange_n(&w->random_access, 1, __ATOMIC_RELAXED))
		return;
	for (uint32_t ai = 0; ai < s->nasm; ai++) {
		const struct gdb_seg *sg = &s->segs[s->asm_entry[ai]];
		if (sg->map)
			(void)madvise(sg->map, sg->len, MADV_RANDOM);
		/* blocks decoded on demand are read with pread (sblock_bytes):
		 * no read-around past the block there either */
		if (sg->fd >= 0)
			(void)posix_fadvise(sg->fd, 0, 0, POSIX_FADV_RANDOM);
	}
}

/* Consecutive blocks further apart than this are advised one by one. */
#define ADVISE_SPAN_MAX (64u << 20)

void gdb_store_advise(const gdb_store *s, uint32_t contig, uint32_t first,
		      uint32_t last)
{
	const gdb_contig *c;
	const struct gdb_seg *sg;
	const uint8_t *blocks;
	uint64_t a, e;

	if (contig >= s->ncontigs || !s->contigs[contig].nblocks)
		return;
	c = &s->contigs[contig];
	if (last >= c->nblocks)
		last = c->nblocks - 1;
	if (first > last)
		return;
	sg = &s->segs[s->asm_entry[c->asm_index]];
	blocks = s->ai[c->asm_index].blocks +
		 (size_t)c->first_block * GDB_BLOCK_ENTRY;
	a = gdb_get_le64(blocks + (size_t)first * GDB_BLOCK_ENTRY);
	e = gdb_get_le64(blocks + (size_t)last * GDB_BLOCK_ENTRY) +
	    gdb_get_le32(blocks + (size_t)last * GDB_BLOCK_ENTRY + 8);
	if (e > a && e - a <= ADVISE_SPAN_MAX) {
		seg_willneed(s, sg, a, e - a);
		return;
	}
	for (uint32_t b = first; b <= last; b++) {
		const uint8_t *x = blocks + (size_t)b * GDB_BLOCK_ENTRY;
		seg_willneed(s, sg, gdb_get_le64(x), gdb_get_le32(x + 8));
	}
}

/* ---- locating and checking stream blocks ---- */

/* Stream block sb's bytes (data, len, at segment offset off) against its
 * stored CRC; a mismatch is logged naming the bases it holds (of contig,
 * the contig being read) and the file. */
static int sblock_crc(const gdb_store *s, uint32_t ai, uint32_t sb,
		      uint32_t contig, const uint8_t *data, uint32_t len,
		      uint64_t off)
{
	const struct gdb_seg *sg = &s->segs[s->asm_entry[ai]];
	const uint8_t *e = s->ai[ai].blocks + (size_t)sb * GDB_BLOCK_ENTRY;
	const gdb_contig *c = &s->contigs[contig];
	int64_t from = 1, to = c->length;

	if (gdb_crc32c(data, len) == gdb_get_le32(e + 12))
		return 0;
	if (sb >= c->first_block && sb - c->first_block < c->nblocks) {
		from = (int64_t)(sb - c->first_block) * c->block_bases + 1;
		to = from + c->block_bases - 1;
		to = to > c->length ? c->length : to;
	}
	gdb_log(GDB_LOG_ERROR,
		"checksum mismatch in %s/%s:%lld-%lld (%s/%s offset %llu, "
		"block %u)",
		s->asms[ai].name, c->name, (long long)from, (long long)to,
		s->path, sg->name, (unsigned long long)off, sb);
	return GDB_ECHECKSUM;
}

/* The entry of stream block sb of assembly ai, its bytes checked against
 * the stored CRC; contig (for the message) is the contig being read. */
static int sblock_locate(const gdb_store *s, uint32_t ai, uint32_t sb,
			 uint32_t contig, const uint8_t **data, uint32_t *len,
			 uint64_t *off)
{
	const struct gdb_asm_int *x = &s->ai[ai];
	const struct gdb_seg *sg = &s->segs[s->asm_entry[ai]];
	const uint8_t *e = x->blocks + (size_t)sb * GDB_BLOCK_ENTRY;

	*off = gdb_get_le64(e);
	*len = gdb_get_le32(e + 8);
	*data = sg->map + *off;
	GDB_TRY(gdb_seg_check_span(s, sg, *off, *len));
	if (random_mode(s))
		seg_willneed(s, sg, *off, *len);
	return sblock_crc(s, ai, sb, contig, *data, *len, *off);
}

struct fetch_arg {
	const gdb_store *s;
	uint32_t ai;
};

/* The codec's model asks for training blocks through this. */
static int fetch_block(void *arg, uint32_t sb, const uint8_t **src, size_t *len)
{
	const struct fetch_arg *f = arg;
	const gdb_assembly *a = &f->s->asms[f->ai];
	uint32_t l;
	uint64_t off;

	if (sb >= a->nblocks)
		return GDB_CORRUPT("codec model names a block past the end");
	GDB_TRY(sblock_locate(f->s, f->ai, sb, a->first_contig, src, &l, &off));
	*len = l;
	return 0;
}

static int asm_model(const gdb_store *s, uint32_t ai,
		     const gdb_codec_model **out);
static int sblock_decode(const gdb_store *s, uint32_t ai, uint32_t sb,
			 uint32_t contig, uint32_t from, uint32_t to,
			 char *dst);

/* The contig of assembly ai whose bases stream block sb holds (the
 * first of them), for messages. */
static uint32_t sblock_contig(const gdb_store *s, uint32_t ai, uint32_t sb)
{
	const gdb_assembly *a = &s->asms[ai];
	uint32_t lo = 0, hi = a->ncontigs - 1;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2;
		if (s->contigs[a->first_contig + mid].first_block <= sb)
			lo = mid;
		else
			hi = mid - 1;
	}
	return a->first_contig + lo;
}

int gdb_store_stream_block(const gdb_store *s, uint32_t ai, uint32_t sb,
			   char *dst, size_t cap)
{
	uint32_t n;

	if (ai >= s->nasm || sb >= s->asms[ai].nblocks)
		return -EINVAL;
	n = s->ai[ai].block_n[sb];
	if (cap < n)
		return -ENOBUFS;
	GDB_TRY(sblock_decode(s, ai, sb, sblock_contig(s, ai, sb), 0, n, dst));
	return (int)n;
}

static int ref_block(void *arg, uint32_t sb, char *dst, size_t cap)
{
	const struct fetch_arg *f = arg;

	return gdb_store_stream_block(f->s, f->ai, sb, dst, cap);
}

/*
 * The reference of a relative assembly (cm --relative-to): present,
 * undamaged, the segment the manifest recorded, not itself relative
 * (one level deep), its model loaded. @return its index, or an error
 * (logged, naming both).
 */
static int ref_assembly(const gdb_store *s, uint32_t ai)
{
	const gdb_assembly *a = &s->asms[ai];
	const gdb_mf_asm *e = &s->mf.asms[s->asm_entry[ai]];
	const gdb_codec_model *rm;
	int ri = gdb_store_assembly_find(s, a->reference), rc = GDB_ECORRUPT;
	const char *why = "is missing or damaged";

	if (ri >= 0 && s->asms[ri].segment_id != e->ref_segment)
		why = "is not the one it was stored against (replaced)";
	else if (ri >= 0 && s->asms[ri].reference)
		why = "is itself relative to another";
	else if (ri >= 0 && (rc = asm_model(s, (uint32_t)ri, &rm)) == 0)
		return ri;
	else if (ri >= 0)
		why = "cannot be read";
	gdb_log(GDB_LOG_ERROR,
		"%s: assembly %s is stored relative to assembly %s, which %s",
		s->path, a->name, a->reference, why);
	return rc < 0 ? rc : GDB_ECORRUPT;
}

static int model_load(const gdb_store *s, uint32_t ai, gdb_codec_model **out)
{
	const gdb_assembly *a = &s->asms[ai];
	const struct gdb_asm_int *x = &s->ai[ai];
	const struct gdb_seg *sg = &s->segs[s->asm_entry[ai]];
	struct fetch_arg f = {s, ai}, rf = {s, 0};
	gdb_codec_ref ref = {0, ref_block, &rf};
	const uint8_t *blob = NULL;
	int ri;

	if (a->model_len) {
		GDB_TRY(gdb_seg_check_span(s, sg, x->model_off, a->model_len));
		blob = sg->map + x->model_off;
		if (random_mode(s))
			seg_willneed(s, sg, x->model_off, a->model_len);
		if (gdb_crc32c(blob, a->model_len) != x->model_crc) {
			gdb_log(GDB_LOG_ERROR,
				"checksum mismatch in the codec model of %s "
				"(%s/%s offset %llu)",
				a->name, s->path, sg->name,
				(unsigned long long)x->model_off);
			return GDB_ECHECKSUM;
		}
	}
	if (!a->reference)
		return gdb_codec_model_load(a->codec, a->alphabet, blob,
					    a->model_len, fetch_block, &f, out);
	ri = ref_assembly(s, ai);
	if (ri < 0)
		return ri;
	rf.ai = (uint32_t)ri;
	ref.nblocks = s->asms[ri].nblocks;
	return gdb_codec_model_load_ref(a->codec, a->alphabet, blob,
					a->model_len, fetch_block, &f, &ref,
					out);
}

/* The assembly's model, loaded on first use. */
static int asm_model(const gdb_store *s, uint32_t ai,
		     const gdb_codec_model **out)
{
	struct gdb_asm_int *x = &((gdb_store *)s)->ai[ai];
	gdb_codec_model *m = __atomic_load_n(&x->model, __ATOMIC_ACQUIRE);
	int rc;

	if (m) {
		*out = m;
		return 0;
	}
	pthread_mutex_lock(&x->lock);
	rc = x->model_err;
	if (!rc && !x->model) {
		rc = model_load(s, ai, &m);
		if (rc < 0 && rc != -ENOMEM) {
			x->model_err = rc;
			const char *ref = s->asms[ai].reference;
			gdb_log(GDB_LOG_ERROR,
				"%s: the %s model of assembly %s%s%s%s cannot "
				"be loaded: %s; its sequences read as I/O "
				"errors",
				s->path, gdb_codec_name(s->asms[ai].codec),
				s->asms[ai].name,
				ref ? " (stored relative to assembly " : "",
				ref ? ref : "", ref ? ")" : "",
				gdb_strerror(rc));
		}
		if (rc == 0)
			__atomic_store_n(&x->model, m, __ATOMIC_RELEASE);
	}
	m = x->model;
	pthread_mutex_unlock(&x->lock);
	if (rc < 0)
		return rc;
	*out = m;
	return 0;
}

/* ---- per-thread buffers ---- */

/* A thread's decoded stream block (tl_sblock) and its copy of the stored
 * bytes of the block it is decoding (sblock_bytes). */
struct tl_block {
	uint64_t serial;
	uint32_t ai, sb, n;
	uint8_t *raw; /* the copy; raw_busy while a decode reads it */
	size_t rawcap;
	int raw_busy;
	char bases[GDB_DNA_BLOCK_BASES];
};

static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static pthread_key_t tl_key;
static int tl_ok;

static void tl_free(void *p)
{
	struct tl_block *t = p;

	free(t->raw);
	free(t);
}

static void tl_init(void)
{
	tl_ok = pthread_key_create(&tl_key, tl_free) == 0;
}

/* This thread's buffers, made at its first use; NULL: no memory. */
static struct tl_block *tl_get(void)
{
	struct tl_block *t;

	pthread_once(&tl_once, tl_init);
	t = tl_ok ? pthread_getspecific(tl_key) : NULL;
	if (!t && tl_ok) {
		t = calloc(1, sizeof(*t));
		if (t && pthread_setspecific(tl_key, t) != 0) {
			free(t);
			t = NULL;
		}
	}
	return t;
}

/* ---- a block's stored bytes, for a decode ---- */

/*
 * Stream block sb's stored bytes, checked against their CRC. When the
 * store is read at random (a daemon: gdb_store_access_random) they are
 * copied with one pread into this thread's buffer rather than read in
 * the mapping: a block decoded on demand is one the mapping has mostly
 * never touched, and a page fault per page of it cost more than the rest
 * of the first touch on this kind of VM (docs/BENCHMARKS.md, "first
 * touches"); the CRC and the decode then read the same private copy. A
 * short read is a file truncated in use (logged as such) or an I/O error.
 * The mapping serves a nested decode (a relative assembly's reference
 * read while its own block is being decoded) and every other reader.
 * @return 0 with *held set when the thread's copy is used (release with
 * bytes_release), or an error (logged).
 */
static int sblock_bytes(const gdb_store *s, uint32_t ai, uint32_t sb,
			uint32_t contig, const uint8_t **data, uint32_t *len,
			uint64_t *off, struct tl_block **held)
{
	const struct gdb_seg *sg = &s->segs[s->asm_entry[ai]];
	const uint8_t *e = s->ai[ai].blocks + (size_t)sb * GDB_BLOCK_ENTRY;
	struct tl_block *t = NULL;
	ssize_t got = 0;

	*held = NULL;
	if (!random_mode(s) || s->borrowed || sg->fd < 0 || !(t = tl_get()) ||
	    t->raw_busy)
		return sblock_locate(s, ai, sb, contig, data, len, off);
	*off = gdb_get_le64(e);
	*len = gdb_get_le32(e + 8);
	if (t->rawcap < *len) {
		uint8_t *r = realloc(t->raw, *len);
		if (!r)
			return -ENOMEM;
		t->raw = r;
		t->rawcap = *len;
	}
	while ((size_t)got < *len) {
		ssize_t r = pread(sg->fd, t->raw + got, *len - (size_t)got,
				  (off_t)(*off + (uint64_t)got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int rc = gdb_seg_check_span(s, sg, *off, *len);
			if (rc < 0)
				return rc; /* truncated: logged */
			gdb_log(GDB_LOG_ERROR,
				"%s/%s: reading bytes %llu-%llu: %s", s->path,
				sg->name, (unsigned long long)*off,
				(unsigned long long)(*off + *len),
				r < 0 ? strerror(errno) : "end of file");
			return -EIO;
		}
		got += r;
	}
	GDB_TRY(sblock_crc(s, ai, sb, contig, t->raw, *len, *off));
	t->raw_busy = 1;
	*held = t;
	*data = t->raw;
	return 0;
}

static void bytes_release(struct tl_block *held)
{
	if (held)
		held->raw_busy = 0;
}

/* Decode bases [from, to) of stream block sb into dst. */
static int sblock_decode(const gdb_store *s, uint32_t ai, uint32_t sb,
			 uint32_t contig, uint32_t from, uint32_t to, char *dst)
{
	const gdb_codec_model *m;
	struct tl_block *held;
	const uint8_t *data;
	uint32_t len;
	uint64_t off;
	int n;

	GDB_TRY(sblock_bytes(s, ai, sb, contig, &data, &len, &off, &held));
	n = asm_model(s, ai, &m);
	if (n < 0) {
		bytes_release(held);
		return n; /* logged once by asm_model */
	}
	n = gdb_codec_nbases(m, data, len);
	if (n >= 0 && (uint32_t)n != s->ai[ai].block_n[sb])
		n = GDB_CORRUPT("block holds the wrong number of bases");
	if (n >= 0)
		n = gdb_codec_decode(m, data, len, from, to, dst, to - from);
	bytes_release(held);
	if (n == -ENOMEM)
		return n;
	if (n < 0) {
		gdb_log(GDB_LOG_ERROR,
			"%s: block %u of assembly %s (offset %llu, read for "
			"%s) does not decode",
			s->path, sb, s->asms[ai].name, (unsigned long long)off,
			s->contigs[contig].name);
		return GDB_ECORRUPT;
	}
	return 0;
}

/* ---- the per-thread decoded block ---- */

/* Stream block sb, whole, from this thread's buffer (decoded if it holds
 * another). @return its bases, or NULL with *rc set. */
static const char *tl_sblock(const gdb_store *s, uint32_t ai, uint32_t sb,
			     uint32_t contig, int *rc)
{
	struct tl_block *t = tl_get();

	if (!t) {
		*rc = -ENOMEM;
		return NULL;
	}
	if (t->serial == s->serial && t->ai == ai && t->sb == sb && t->n)
		return t->bases;
	t->n = 0;
	*rc = sblock_decode(s, ai, sb, contig, 0, s->ai[ai].block_n[sb],
			    t->bases);
	if (*rc < 0)
		return NULL;
	t->serial = s->serial;
	t->ai = ai;
	t->sb = sb;
	t->n = s->ai[ai].block_n[sb];
	return t->bases;
}

/* ---- contig blocks ---- */

static uint32_t block_expect(const gdb_contig *c, uint32_t block)
{
	int64_t left = c->length - (int64_t)block * c->block_bases;
	return left < c->block_bases ? (uint32_t)left : c->block_bases;
}

int gdb_store_block_decode(const gdb_store *s, uint32_t contig, uint32_t block,
			   char *dst, size_t dstcap)
{
	const gdb_contig *c;
	uint32_t sb, off, n;
	const char *b;
	int rc = 0;

	if (contig >= s->ncontigs || block >= s->contigs[contig].nblocks)
		return -EINVAL;
	c = &s->contigs[contig];
	sb = c->first_block + block;
	off = block ? 0 : c->block_off;
	n = block_expect(c, block);
	if (dstcap < n)
		return -ENOBUFS;
	if (off == 0 && n == s->ai[c->asm_index].block_n[sb]) {
		rc = sblock_decode(s, c->asm_index, sb, contig, 0, n, dst);
		return rc < 0 ? rc : (int)n;
	}
	b = tl_sblock(s, c->asm_index, sb, contig, &rc);
	if (!b)
		return rc;
	memcpy(dst, b + off, n);
	return (int)n;
}

int gdb_store_block_check(const gdb_store *s, uint32_t contig, uint32_t block,
			  uint64_t *seg_offset)
{
	const gdb_contig *c;
	const gdb_codec_model *m;
	const uint8_t *data;
	uint32_t len, sb;
	uint64_t off = 0;
	int n, rc;

	if (contig >= s->ncontigs || block >= s->contigs[contig].nblocks)
		return -EINVAL;
	c = &s->contigs[contig];
	sb = c->first_block + block;
	rc = sblock_locate(s, c->asm_index, sb, contig, &data, &len, &off);
	if (seg_offset)
		*seg_offset = off;
	if (rc < 0)
		return rc;
	GDB_TRY(asm_model(s, c->asm_index, &m));
	n = gdb_codec_nbases(m, data, len);
	if (n < 0 || (uint32_t)n != s->ai[c->asm_index].block_n[sb])
		return GDB_ECORRUPT;
	return (int)block_expect(c, block);
}

int gdb_store_block_span(const gdb_store *s, uint32_t contig, uint32_t block,
			 const void **data, size_t *len)
{
	const gdb_contig *c;
	const uint8_t *e;

	if (contig >= s->ncontigs || block >= s->contigs[contig].nblocks)
		return -EINVAL;
	c = &s->contigs[contig];
	e = s->ai[c->asm_index].blocks +
	    (size_t)(c->first_block + block) * GDB_BLOCK_ENTRY;
	*data = s->segs[s->asm_entry[c->asm_index]].map + gdb_get_le64(e);
	*len = gdb_get_le32(e + 8);
	return 0;
}

int gdb_store_read(const gdb_store *s, uint32_t contig, int64_t beg,
		   int64_t end, char *dst)
{
	const gdb_contig *c;

	if (contig >= s->ncontigs)
		return -EINVAL;
	c = &s->contigs[contig];
	if (beg < 0 || end > c->length || beg >= end)
		return -EINVAL;
	while (beg < end) {
		uint32_t k = (uint32_t)(beg / c->block_bases);
		uint32_t from = (uint32_t)(beg % c->block_bases);
		uint32_t to = block_expect(c, k);
		uint32_t off = k ? 0 : c->block_off;
		if ((int64_t)(to - from) > end - beg)
			to = from + (uint32_t)(end - beg);
		GDB_TRY(sblock_decode(s, c->asm_index, c->first_block + k,
				      contig, off + from, off + to, dst));
		dst += to - from;
		beg += to - from;
	}
	return 0;
}

int gdb_store_describe(const gdb_store *s, uint32_t ai, char *buf, size_t cap)
{
	const gdb_codec_model *m;
	const gdb_assembly *a;
	char codec[256], lossy[64];
	int rc;

	if (ai >= s->nasm)
		return -EINVAL;
	a = &s->asms[ai];
	rc = asm_model(s, ai, &m);
	if (rc == 0)
		gdb_codec_describe(m, codec, sizeof(codec));
	else
		snprintf(codec, sizeof(codec), "%s %s: model not loaded (%s)",
			 gdb_codec_name(a->codec),
			 gdb_alphabet_name(a->alphabet), gdb_strerror(rc));
	gdb_lossy_text(a->lossy, lossy, sizeof(lossy));
	snprintf(buf, cap,
		 "%s; %u bases a block, %u blocks; alphabet %s%s; %s%s%s%s",
		 codec, a->block_bases, a->nblocks,
		 gdb_alphabet_name(a->alphabet),
		 a->alphabet_detected ? " (detected)" : "",
		 a->lossy ? "lossy: " : "exact", lossy,
		 a->reference ? "; stored relative to assembly " : "",
		 a->reference ? a->reference : "");
	return rc;
}
