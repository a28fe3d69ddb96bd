/*
 * api/frame.c - one call per data frame: sequences, GC and motif counts of
 * many intervals (the interval algebra is in api/intervals.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "simd/motif.h"
#include "simd/simd.h"

#define SLICE ((int64_t)1 << 20) /* bases scanned at once by gc/motif */

/* ---- batches over one assembly ---- */

static int batch_check(const gdb_api *h, uint32_t asm_index,
		       const gdb_api_batch *b, int64_t *total, char *err,
		       size_t errlen)
{
	uint32_t n = gdb_api_ncontigs(h, asm_index);
	int64_t sum = 0;

	for (size_t i = 0; i < b->n; i++) {
		const gdb_contig *c;
		if (b->contig[i] < 0 || (uint32_t)b->contig[i] >= n) {
			gdb_seterr(err, errlen, "row %zu: no contig %d", i,
				   b->contig[i]);
			return -ENOENT;
		}
		c = gdb_api_contig_at(h, asm_index, (uint32_t)b->contig[i]);
		if (gdb_api_range_check(c, b->beg[i], b->end[i], err, errlen) <
		    0) {
			char why[200] = "";
			if (err)
				snprintf(why, sizeof(why), "%s", err);
			gdb_seterr(err, errlen, "row %zu: %s", i, why);
			return -ERANGE;
		}
		sum += b->end[i] - b->beg[i];
	}
	if (total)
		*total = sum;
	return 0;
}

int64_t gdb_api_batch_bases(const gdb_api *h, uint32_t asm_index,
			    const gdb_api_batch *b, char *err, size_t errlen)
{
	int64_t total;

	GDB_TRY(batch_check(h, asm_index, b, &total, err, errlen));
	return total;
}

/* The block a run of short rows reads from, borrowed from the cache. */
typedef struct held {
	const gdb_contig *c;
	uint32_t blk, n;
	const char *bases;
	gdb_cache_entry *ref;
} held;

static int hold(gdb_api *h, held *k, const gdb_contig *c, uint32_t blk)
{
	if (k->ref && k->c == c && k->blk == blk)
		return 0;
	gdb_cache_put(h->cache, k->ref);
	k->ref = NULL;
	GDB_TRY(gdb_cache_get(h->cache, c->id, blk, &k->bases, &k->n, &k->ref));
	k->c = c;
	k->blk = blk;
	return 0;
}

/* Whether every byte is below 128 (a binding may make a str of them
 * without decoding). */
static int ascii(const char *p, size_t n)
{
	uint64_t acc = 0, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		acc |= (unsigned char)p[i];
	return (acc & 0x8080808080808080ull) == 0;
}

/* A row to copy: its contig, range and place in dst. */
typedef struct task {
	const gdb_contig *c;
	int64_t beg, end;
	char *dst;
} task;

static int not_ascii(gdb_api *h, const task *t, char *err, size_t errlen)
{
	gdb_seterr(err, errlen, "%s: %s:%lld-%lld: a byte past ASCII",
		   gdb_store_path(h->store), t->c->name, (long long)t->beg + 1,
		   (long long)t->end);
	return GDB_ECORRUPT;
}

/* A row of at most two blocks into its place from held blocks, checked
 * ASCII in the block (read there, not just written). */
static int copy_held(gdb_api *h, held *k, const task *t, char *err,
		     size_t errlen)
{
	int64_t bb = t->c->block_bases, beg = t->beg;
	char *dst = t->dst;

	while (beg < t->end) {
		uint32_t blk = (uint32_t)(beg / bb);
		int64_t in = beg - (int64_t)blk * bb, take;
		int rc = hold(h, k, t->c, blk);
		if (rc < 0) {
			gdb_seterr(err, errlen, "%s: %s:%lld-%lld: %s",
				   gdb_store_path(h->store), t->c->name,
				   (long long)t->beg + 1, (long long)t->end,
				   gdb_strerror(rc));
			return rc;
		}
		take = (int64_t)k->n - in;
		if (take > t->end - beg)
			take = t->end - beg;
		if (take <= 0) {
			gdb_seterr(err, errlen,
				   "%s: %s: block %u shorter than the contig",
				   gdb_store_path(h->store), t->c->name, blk);
			return GDB_ECORRUPT;
		}
		if (!ascii(k->bases + in, (size_t)take))
			return not_ascii(h, t, err, errlen);
		memcpy(dst, k->bases + in, (size_t)take);
		dst += take;
		beg += take;
	}
	return 0;
}

/*
 * The rows in order (row NULL: 0..n-1) as tasks: gathered first in one
 * loop of independent loads (the rows are at random places of b once
 * sorted), so that the copy loop reads its tasks in sequence.
 */
static task *tasks_make(gdb_api *h, uint32_t asm_index, const gdb_api_batch *b,
			const int64_t *row, char *dst, const int64_t *off,
			void *const *obj, size_t data_off)
{
	task *t = malloc(b->n * sizeof(*t) + 1);

	for (size_t j = 0; t && j < b->n; j++) {
		size_t i = row ? (size_t)row[j] : j;
		t[j] = (task){
		    gdb_api_contig_at(h, asm_index, (uint32_t)b->contig[i]),
		    b->beg[i], b->end[i],
		    obj ? (char *)obj[i] + data_off : dst + off[i]};
	}
	return t;
}

/* The tasks' bases into dst: a row within two blocks from a held block
 * (consecutive rows in one block take it from the cache once), a longer
 * one by gdb_api_read (which advises the disk ahead). */
static int copy_rows(gdb_api *h, uint32_t asm_index, const task *t, size_t n,
		     int form, char *err, size_t errlen)
{
	const gdb_assembly *a = gdb_store_assembly(h->store, asm_index);
	held k = {0};
	int rc = 0;

	for (size_t j = 0; j < n && rc == 0; j++) {
		size_t len = (size_t)(t[j].end - t[j].beg);
		if (len <= t[j].c->block_bases) {
			rc = copy_held(h, &k, &t[j], err, errlen);
		} else {
			rc = gdb_api_read(h, t[j].c, t[j].beg, t[j].end,
					  GDB_API_BASES, t[j].dst, err, errlen);
			if (rc == 0 && !ascii(t[j].dst, len))
				rc = not_ascii(h, &t[j], err, errlen);
		}
		if (rc == 0 && form == GDB_API_U8)
			gdb_alphabet_to_u8(a->alphabet, t[j].dst, len,
					   (uint8_t *)t[j].dst);
	}
	gdb_cache_put(h->cache, k.ref);
	return rc;
}

int gdb_api_fetch_many(gdb_api *h, uint32_t asm_index, const gdb_api_batch *b,
		       int form, int sep, char *dst, int64_t *off, char *err,
		       size_t errlen)
{
	int64_t *row;
	task *t;
	int rc;

	GDB_TRY(batch_check(h, asm_index, b, NULL, err, errlen));
	off[0] = 0;
	for (size_t i = 0; i < b->n; i++)
		off[i + 1] = off[i] + b->end[i] - b->beg[i] + (sep >= 0);
	if (off[b->n] >= (int64_t)4 << 20)
		gdb_api_advise_big(dst, (size_t)off[b->n]);
	/* by position, so that the rows in one block take it once */
	GDB_TRY(gdb_api_order(b, &row));
	t = tasks_make(h, asm_index, b, row, dst, off, NULL, 0);
	free(row);
	if (!t)
		return -ENOMEM;
	rc = copy_rows(h, asm_index, t, b->n, form, err, errlen);
	free(t);
	for (size_t i = 0; rc == 0 && sep >= 0 && i < b->n; i++)
		dst[off[i + 1] - 1] = (char)sep;
	return rc;
}

/* Drops obj[0..n) and frees obj. */
static void objects_drop(void **obj, size_t n, gdb_api_drop_fn drop)
{
	for (size_t i = 0; i < n; i++)
		drop(obj[i]);
	free(obj);
}

/*
 * Every row's object made first (row order), then the bases copied into
 * them by position (as gdb_api_fetch_many), and only then the slots
 * replaced: a failure drops what was made and leaves the slots as given.
 */
int gdb_api_fetch_objects(gdb_api *h, uint32_t asm_index,
			  const gdb_api_batch *b, gdb_api_make_fn make,
			  gdb_api_drop_fn drop, size_t data_off, void **slot,
			  char *err, size_t errlen)
{
	void **obj;
	int64_t *row;
	task *t;
	size_t i;
	int rc;

	GDB_TRY(batch_check(h, asm_index, b, NULL, err, errlen));
	obj = malloc(b->n * sizeof(*obj) + 1);
	if (!obj)
		return -ENOMEM;
	for (i = 0; i < b->n; i++) {
		obj[i] = make((ptrdiff_t)(b->end[i] - b->beg[i]), 127);
		if (!obj[i]) {
			objects_drop(obj, i, drop);
			gdb_seterr(err, errlen, "row %zu: out of memory", i);
			return -ENOMEM;
		}
	}
	rc = gdb_api_order(b, &row);
	t = rc == 0
		? tasks_make(h, asm_index, b, row, NULL, NULL, obj, data_off)
		: NULL;
	free(row);
	if (!t)
		gdb_seterr(err, errlen, "out of memory ordering %zu rows",
			   b->n);
	rc = t ? copy_rows(h, asm_index, t, b->n, GDB_API_BASES, err, errlen)
	     : rc < 0 ? rc
		      : -ENOMEM;
	free(t);
	if (rc < 0) {
		objects_drop(obj, b->n, drop);
		return rc;
	}
	for (i = 0; i < b->n; i++) {
		if (slot[i])
			drop(slot[i]);
		slot[i] = obj[i];
	}
	free(obj);
	return 0;
}

/* Calls fn over [beg, end) in slices of SLICE bases, each extended by
 * overlap bases (so a motif spanning two slices is seen exactly once). */
typedef void (*scan_fn)(void *arg, const char *seq, size_t n);

static int scan(gdb_api *h, const gdb_contig *c, int64_t beg, int64_t end,
		int64_t overlap, char *buf, scan_fn fn, void *arg, char *err,
		size_t errlen)
{
	for (int64_t s = beg; s < end; s += SLICE) {
		int64_t e = s + SLICE + overlap;
		if (e > end)
			e = end;
		GDB_TRY(
		    gdb_api_read(h, c, s, e, GDB_API_BASES, buf, err, errlen));
		fn(arg, buf, (size_t)(e - s));
		if (e == end)
			break;
	}
	return 0;
}

static void comp_add(void *arg, const char *seq, size_t n)
{
	gdb_comp *sum = arg, c;

	if (gdb_comp_windows(seq, n, n, n, &c, 1) != 1)
		return;
	sum->a += c.a;
	sum->c += c.c;
	sum->g += c.g;
	sum->t += c.t;
	sum->s += c.s;
	sum->w += c.w;
	sum->other += c.other;
}

struct motif_count {
	const gdb_motif_pattern *pat;
	int64_t n;
};

static void motif_add(void *arg, const char *seq, size_t n)
{
	struct motif_count *m = arg;
	int64_t k = gdb_motif_find(m->pat, seq, n, GDB_STRAND_BOTH, NULL, 0);

	if (k > 0)
		m->n += k;
}

/* gc (pat NULL) or motif counts of every row of b. */
static int scan_many(gdb_api *h, uint32_t asm_index, const gdb_api_batch *b,
		     const gdb_motif_pattern *pat, double *gc, int64_t *count,
		     char *err, size_t errlen)
{
	int64_t overlap = pat ? (int64_t)pat->len - 1 : 0;
	char *buf;
	int rc = 0;

	GDB_TRY(batch_check(h, asm_index, b, NULL, err, errlen));
	buf = malloc((size_t)(SLICE + overlap));
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < b->n && rc == 0; i++) {
		const gdb_contig *c =
		    gdb_api_contig_at(h, asm_index, (uint32_t)b->contig[i]);
		if (pat) {
			struct motif_count m = {pat, 0};
			rc = scan(h, c, b->beg[i], b->end[i], overlap, buf,
				  motif_add, &m, err, errlen);
			count[i] = m.n;
		} else {
			gdb_comp sum;
			memset(&sum, 0, sizeof(sum));
			rc = scan(h, c, b->beg[i], b->end[i], 0, buf, comp_add,
				  &sum, err, errlen);
			gc[i] = gdb_comp_gc(&sum);
		}
	}
	free(buf);
	return rc;
}

int gdb_api_gc_many(gdb_api *h, uint32_t asm_index, const gdb_api_batch *b,
		    double *gc, char *err, size_t errlen)
{
	return scan_many(h, asm_index, b, NULL, gc, NULL, err, errlen);
}

int gdb_api_motif_many(gdb_api *h, uint32_t asm_index, const gdb_api_batch *b,
		       const char *pattern, int64_t *count, char *err,
		       size_t errlen)
{
	gdb_motif_pattern pat;

	if (!pattern || gdb_motif_compile(pattern, strlen(pattern), &pat) < 0) {
		gdb_seterr(err, errlen,
			   "motif '%s': not an IUPAC pattern of 1-%d letters",
			   pattern ? pattern : "", GDB_MOTIF_MAXLEN);
		return -EINVAL;
	}
	return scan_many(h, asm_index, b, &pat, NULL, count, err, errlen);
}
