/*
 * api/intervals.c - the interval algebra of api/genomedb.h: the overlap
 * join (as pairs, or written straight into a joined frame's columns),
 * overlap counts and nearest, and the same join against an annotation
 * set's index (api/annot.c).
 *
 * Each side is sorted once by (chromosome, start) with an LSD radix sort
 * of 64-bit keys (stable, so equal starts keep row order), or taken as it
 * is when already in that order (an annotation set's index). With every
 * interval non-empty:
 *
 *   a and b overlap  <=>  b.beg in [a.beg, a.end)   (case 1)
 *                     or  a.beg in (b.beg, b.end)   (case 2)
 *
 * The two cases are disjoint. Case 1 is a contiguous run of b's sorted
 * starts (two binary searches); case 2 is a sweep over a's sorted starts
 * keeping the b intervals still open, so the join costs O((n + m) log m +
 * pairs) however long the features are. Empty intervals (an annotation
 * set's zero-length BED features, empty query rows) overlap what strictly
 * contains them, as b.beg < a.end && a.beg < b.end says: the key's lowest
 * bit is 1 for a non-empty b, so that an empty b starting at a.beg sorts
 * before the run of case 1 and is left out of it.
 *
 * One sweep over a's sorted starts plans each a row's pairs (where its
 * case-2 positions are, its case-1 run), then one pass over a's rows
 * writes every column front to back: a's columns as one run of one value
 * per row, b's from copies in b's sorted order, so case 1 is one memcpy
 * per row and column, case 2 a gather over the open list (a memcpy when
 * contiguous). The sweep touches each a row twice out of order (its end,
 * its plan); everything else reads and writes in order, which is what a
 * join of millions of pairs costs on a machine whose TLB misses are dear.
 * Pairs come by a row, then b's start (case 2's b start before a, case
 * 1's at or after), then b row.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"

#define KEY_POS_BITS 40 /* positions below 2^40 */
#define KEY_CHROM_SHIFT (KEY_POS_BITS + 1)
#define KEY_MAX_CHROM ((int64_t)1 << 23)

/* One side sorted: key = chrom << 41 | pos << 1 | non-empty, its row,
 * and with SORT_ENDS each row's end in that order; one block (mem) holds
 * them all, from the api's pool (a join's scratch is then memory an
 * earlier join faulted in). */
typedef struct sorted {
	size_t n;
	uint64_t *key;
	int64_t *row;
	int64_t *end;
	void *mem;
} sorted;

enum {
	SORT_BY_END = 1,   /* key by (chrom, end) */
	SORT_IN_ORDER = 2, /* rows already by (chrom, beg) */
	SORT_ENDS = 4,	   /* also end[] */
};

static uint64_t key_of(int64_t chrom, int64_t pos)
{
	return ((uint64_t)chrom << KEY_CHROM_SHIFT) | ((uint64_t)pos << 1);
}

#define RADIX_BITS 11
#define RADIX ((size_t)1 << RADIX_BITS)
#define RADIX_PASSES 6 /* 6 x 11 bits cover the 64 */

/*
 * Stable LSD radix sort of (key, row) by key, 11 bits a pass: a pass's
 * 2,048 counters and the scatter's 2,048 write fronts stay in cache
 * (16-bit digits scattered 100,000 keys over 65,536 fronts, a miss
 * each). One read of the keys counts every pass, and a pass whose digit
 * is the same for every key is skipped: one genome's positions on a few
 * chromosomes take three.
 */
static int radix_sort(uint64_t *key, int64_t *row, size_t n)
{
	size_t(*cnt)[RADIX] = calloc(RADIX_PASSES, sizeof(*cnt));
	char *tmp = gdb_api_alloc_big(n * (sizeof(*key) + sizeof(*row)) + 1);
	uint64_t *k = key, *k2 = (uint64_t *)(void *)tmp, *kt;
	int64_t *r = row, *r2 = (int64_t *)(void *)(tmp + n * sizeof(*key)),
		*rt;

	if (!cnt || !tmp) {
		free(cnt);
		gdb_api_free(tmp);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		for (unsigned p = 0; p < RADIX_PASSES; p++)
			cnt[p][(key[i] >> (p * RADIX_BITS)) & (RADIX - 1)]++;
	for (unsigned p = 0; n && p < RADIX_PASSES; p++) {
		unsigned sh = p * RADIX_BITS;
		if (cnt[p][(key[0] >> sh) & (RADIX - 1)] == n)
			continue;
		for (size_t d = 0, sum = 0; d < RADIX; d++) {
			size_t c = cnt[p][d];
			cnt[p][d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++) {
			size_t at = cnt[p][(k[i] >> sh) & (RADIX - 1)]++;
			k2[at] = k[i];
			r2[at] = r[i];
		}
		kt = k, k = k2, k2 = kt;
		rt = r, r = r2, r2 = rt;
	}
	if (k != key) {
		memcpy(key, k, n * sizeof(*key));
		memcpy(row, r, n * sizeof(*row));
	}
	free(cnt);
	gdb_api_free(tmp);
	return 0;
}

/* Each row: 0 <= contig < 2^23, 0 <= beg < end < 2^40 (beg == end too
 * with allow_empty). */
static int check_side(const gdb_api_batch *b, const char *side, int allow_empty,
		      char *err, size_t errlen)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->contig[i] < 0 || b->contig[i] >= KEY_MAX_CHROM ||
		    b->beg[i] < 0 || b->end[i] < b->beg[i] ||
		    (!allow_empty && b->end[i] == b->beg[i]) ||
		    b->end[i] >= ((int64_t)1 << KEY_POS_BITS)) {
			gdb_seterr(
			    err, errlen,
			    "%s row %zu: bad interval %lld-%lld "
			    "(0-based, half-open; %s)",
			    side, i, (long long)b->beg[i], (long long)b->end[i],
			    allow_empty ? "reversed" : "empty or reversed");
			return -ERANGE;
		}
	}
	return 0;
}

static void sorted_free(sorted *s)
{
	gdb_api_free(s->mem);
}

/* Sort a side by (chrom, beg, non-empty) or, with SORT_BY_END, (chrom,
 * end). SORT_IN_ORDER: the rows are already by (chrom, beg); sorted only
 * when an empty interval breaks that order. */
static int sort_side(const gdb_api_batch *b, int how, sorted *s)
{
	int ordered = how & SORT_IN_ORDER;
	size_t words = how & SORT_ENDS ? 3 : 2;

	s->n = b->n;
	s->mem = gdb_api_alloc_big(b->n * words * sizeof(uint64_t) + 1);
	if (!s->mem)
		return -ENOMEM;
	s->key = s->mem;
	s->row = (int64_t *)(s->key + b->n);
	s->end = how & SORT_ENDS ? s->row + b->n : NULL;
	for (size_t i = 0; i < b->n; i++) {
		s->key[i] = how & SORT_BY_END
				? key_of(b->contig[i], b->end[i])
				: key_of(b->contig[i], b->beg[i]) |
				      (b->end[i] > b->beg[i]);
		s->row[i] = (int64_t)i;
		ordered = ordered && (i == 0 || s->key[i - 1] <= s->key[i]);
	}
	if (!ordered && radix_sort(s->key, s->row, s->n) < 0) {
		sorted_free(s);
		return -ENOMEM;
	}
	/* one gather here (independent loads, overlapped) rather than a
	 * dependent load a step in the sweep */
	for (size_t i = 0; s->end && i < b->n; i++)
		s->end[i] = b->end[s->row[i]];
	return 0;
}

int gdb_api_order(const gdb_api_batch *b, int64_t **row)
{
	sorted s;

	*row = NULL;
	for (size_t i = 0; i < b->n; i++)
		if (b->contig[i] < 0 || b->contig[i] >= KEY_MAX_CHROM ||
		    b->beg[i] < 0 || b->end[i] < b->beg[i] ||
		    b->end[i] >= ((int64_t)1 << KEY_POS_BITS))
			return 0; /* past the keys: kept in row order */
	GDB_TRY(sort_side(b, 0, &s));
	*row = malloc(b->n * sizeof(**row) + 1);
	if (*row)
		memcpy(*row, s.row, b->n * sizeof(**row));
	sorted_free(&s);
	if (!*row)
		return -ENOMEM;
	return 0;
}

/* First index whose key is >= k. */
static size_t lower(const sorted *s, uint64_t k)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->key[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- the join's columns ---- */

/* A column of the join: src by a row (a side) or by b's sorted position
 * (b side, a copy made here), dst the output. */
typedef struct jcol {
	const char *src;
	char *own; /* src when made here */
	size_t size;
	char *dst;
} jcol;

/* dst[i] = src[idx[i]] for n values of size bytes. */
static void gather(char *dst, const char *src, size_t size, const uint32_t *idx,
		   size_t n)
{
	switch (size) {
	case 1:
		for (size_t i = 0; i < n; i++)
			dst[i] = src[idx[i]];
		break;
	case 2:
		for (size_t i = 0; i < n; i++)
			memcpy(dst + 2 * i, src + 2 * (size_t)idx[i], 2);
		break;
	case 4:
		for (size_t i = 0; i < n; i++)
			memcpy(dst + 4 * i, src + 4 * (size_t)idx[i], 4);
		break;
	default:
		for (size_t i = 0; i < n; i++)
			memcpy(dst + 8 * i, src + 8 * (size_t)idx[i], 8);
		break;
	}
}

/* n copies of the value at one (size bytes) at dst, 8 bytes a store (no
 * call, no loop per size): up to 7 bytes past them are overwritten, the
 * next row's, written after; an output has FILL_SLACK bytes to spare. */
#define FILL_SLACK 8
static void fill(char *dst, const char *one, size_t size, size_t n)
{
	uint64_t v = 0;

	memcpy(&v, one, size);
	v = size == 1	? v * 0x0101010101010101ull
	    : size == 2 ? v * 0x0001000100010001ull
	    : size == 4 ? v * 0x0000000100000001ull
			: v;
	for (size_t b = 0; b < n * size; b += 8)
		memcpy(dst + b, &v, 8);
}

static void jcols_free(jcol *c, size_t n, int outputs)
{
	for (size_t k = 0; k < n; k++) {
		free(c[k].own);
		if (outputs)
			gdb_api_free(c[k].dst);
	}
	free(c);
}

/* The sources of a's columns (row order) then b's (b's sorted order, brow
 * its rows); data NULL is the row number. */
static int jcols_make(const gdb_api_column *acol, size_t na, size_t an,
		      const gdb_api_column *bcol, size_t nb, const sorted *sb,
		      const uint32_t *brow, jcol **out)
{
	jcol *c = calloc(na + nb + 1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	for (size_t k = 0; k < na + nb; k++) {
		const gdb_api_column *col = k < na ? &acol[k] : &bcol[k - na];
		size_t n = k < na ? an : sb->n;
		c[k].size = col->data ? col->size : 8;
		c[k].src = col->data;
		if (k < na && col->data)
			continue;
		c[k].own = malloc(n * c[k].size + 1);
		if (!c[k].own) {
			jcols_free(c, na + nb, 0);
			return -ENOMEM;
		}
		c[k].src = c[k].own;
		if (col->data)
			gather(c[k].own, col->data, c[k].size, brow, n);
		else if (k >= na)
			memcpy(c[k].own, sb->row, n * sizeof(int64_t));
		else
			for (size_t i = 0; i < n; i++)
				((int64_t *)c[k].own)[i] = (int64_t)i;
	}
	*out = c;
	return 0;
}

/* ---- the join ---- */

/* An a row's pairs: case 2's, the sorted b positions open[off .. off +
 * c2), then case 1's run [lo, hi) of sorted b; first, where both are one
 * contiguous run of sorted b, its start (else NO_RUN). */
typedef struct rowplan {
	uint64_t off;
	uint32_t c2, lo, hi, first;
} rowplan;

#define NO_RUN UINT32_MAX

/* Case 2's positions, one run per change of the open list. */
typedef struct openlog {
	uint32_t *v;
	size_t n, cap;
} openlog;

static int openlog_add(openlog *o, const uint32_t *v, size_t n)
{
	if (o->n + n > o->cap) {
		size_t cap = 2 * o->cap > o->n + n ? 2 * o->cap : o->n + n;
		cap = cap < 4096 ? 4096 : cap;
		uint32_t *w = gdb_api_alloc_big(cap * sizeof(*w));
		if (!w)
			return -ENOMEM;
		if (o->n)
			memcpy(w, o->v, o->n * sizeof(*w));
		gdb_api_free(o->v);
		o->v = w;
		o->cap = cap;
	}
	if (n)
		memcpy(o->v + o->n, v, n * sizeof(*v));
	o->n += n;
	return 0;
}

/*
 * One sweep over a's sorted starts plans every a row (plan[row]), in one
 * pass: case 2 keeps the b intervals still open (sorted positions, in b's
 * start order): b intervals whose key is below a's start join it, and
 * leave it once they end at or before a's start or lie on an earlier
 * chromosome (their end key is then below); every b still open overlaps
 * a. The open list is logged only when it changed since the previous a
 * row (rows between feature boundaries share one run). Case 1's run is
 * found by a merge: over a's sorted starts lo only moves forward, and hi
 * is lo plus the run. Costs O(n + m + pairs); *npairs the total.
 */
static int plan_rows(const gdb_api_batch *b, const sorted *sa, const sorted *sb,
		     rowplan *plan, openlog *open, uint64_t *npairs)
{
	uint32_t *act = malloc(sb->n * sizeof(*act) + 1);
	uint64_t *act_end = malloc(sb->n * sizeof(*act_end) + 1);
	const uint64_t chrom = ~(((uint64_t)1 << KEY_CHROM_SHIFT) - 1);
	size_t nact = 0, j = 0, lo = 0, off = 0;
	int rc = act && act_end ? 0 : -ENOMEM;

	*npairs = 0;
	for (size_t i = 0; rc == 0 && i < sa->n; i++) {
		int64_t q = sa->row[i];
		uint64_t k = sa->key[i] & ~(uint64_t)1;
		uint64_t e = (k & chrom) | ((uint64_t)sa->end[i] << 1);
		size_t w = 0, hi, was = nact, first;
		for (; j < sb->n && sb->key[j] < k; j++, nact++) {
			int64_t r = sb->row[j];
			act[nact] = (uint32_t)j;
			act_end[nact] = key_of(b->contig[r], b->end[r]);
		}
		for (size_t t = 0; t < nact; t++)
			if (act_end[t] > k) {
				act[w] = act[t];
				act_end[w++] = act_end[t];
			}
		if (i == 0 || nact != was || w != nact) {
			off = open->n;
			rc = openlog_add(open, act, w);
		}
		nact = w;
		while (lo < sb->n && sb->key[lo] < (k | 1))
			lo++;
		for (hi = lo; hi < sb->n && sb->key[hi] < e;)
			hi++;
		first = !nact ? lo
			: act[nact - 1] - act[0] == nact - 1 &&
				(hi == lo || act[nact - 1] + 1 == lo)
			    ? act[0]
			    : NO_RUN;
		plan[q] = (rowplan){off, (uint32_t)nact, (uint32_t)lo,
				    (uint32_t)hi, (uint32_t)first};
		*npairs += nact + hi - lo;
	}
	free(act);
	free(act_end);
	return rc;
}

/*
 * Every pair's columns, in one pass over a's rows: each output column is
 * written front to back (no scattered writes), a's as runs of one value,
 * b's as copies from its sorted columns: case 2's open run (a gather, or
 * one copy when the run is contiguous), then case 1's run, one copy for
 * both when they meet.
 */
static void write_rows(const rowplan *plan, size_t n, const uint32_t *open,
		       jcol *c, size_t na, size_t nb)
{
	size_t at = 0;

	for (size_t q = 0; q < n; q++) {
		const rowplan *p = &plan[q];
		size_t c2 = p->c2, c1 = (size_t)(p->hi - p->lo);
		for (size_t k = 0; k < na; k++)
			fill(c[k].dst + at * c[k].size,
			     c[k].src + q * c[k].size, c[k].size, c2 + c1);
		for (size_t k = na; k < na + nb; k++) {
			size_t s = c[k].size;
			char *d = c[k].dst + at * s;
			if (p->first != NO_RUN) {
				memcpy(d, c[k].src + (size_t)p->first * s,
				       (c2 + c1) * s);
				continue;
			}
			gather(d, c[k].src, s, open + p->off, c2);
			memcpy(d + c2 * s, c[k].src + (size_t)p->lo * s,
			       c1 * s);
		}
		at += c2 + c1;
	}
}

static int join_sorted(const gdb_api_batch *a, const gdb_api_batch *b,
		       const sorted *sa, const sorted *sb,
		       const gdb_api_column *acol, size_t na,
		       const gdb_api_column *bcol, size_t nb, void **out,
		       int64_t *npairs)
{
	rowplan *plan = gdb_api_alloc_big(a->n * sizeof(*plan) + 1);
	uint32_t *brow = malloc(sb->n * sizeof(*brow) + 1);
	openlog open = {0};
	jcol *c = NULL;
	uint64_t total = 0;
	int rc = plan && brow ? 0 : -ENOMEM;

	for (size_t j = 0; rc == 0 && j < sb->n; j++)
		brow[j] = (uint32_t)sb->row[j];
	if (rc == 0)
		rc = plan_rows(b, sa, sb, plan, &open, &total);
	if (rc == 0)
		rc = jcols_make(acol, na, a->n, bcol, nb, sb, brow, &c);
	for (size_t k = 0; rc == 0 && k < na + nb; k++) {
		c[k].dst =
		    gdb_api_alloc_big((size_t)total * c[k].size + FILL_SLACK);
		if (!c[k].dst)
			rc = -ENOMEM;
	}
	if (rc == 0) {
		write_rows(plan, a->n, open.v, c, na, nb);
		for (size_t k = 0; k < na + nb; k++)
			out[k] = c[k].dst;
		*npairs = (int64_t)total;
	}
	if (c)
		jcols_free(c, na + nb, rc < 0);
	gdb_api_free(open.v);
	gdb_api_free(plan);
	free(brow);
	return rc;
}

int gdb_api_join(const gdb_api_batch *a, const gdb_api_batch *b, int b_in_order,
		 int allow_empty, const gdb_api_column *acol, size_t na,
		 const gdb_api_column *bcol, size_t nb, void **out,
		 int64_t *npairs, char *err, size_t errlen)
{
	sorted sa, sb;
	int rc;

	for (size_t k = 0; k < na + nb; k++) {
		const gdb_api_column *col = k < na ? &acol[k] : &bcol[k - na];
		if (col->data && col->size != 1 && col->size != 2 &&
		    col->size != 4 && col->size != 8) {
			gdb_seterr(err, errlen,
				   "column %zu: values of %zu bytes (1, 2, "
				   "4 or 8)",
				   k, col->size);
			return -EINVAL;
		}
	}
	if (b->n > UINT32_MAX) { /* the plan's sorted positions */
		gdb_seterr(err, errlen, "right: %zu rows (at most %u)", b->n,
			   UINT32_MAX);
		return -ERANGE;
	}
	GDB_TRY(check_side(a, "left", allow_empty, err, errlen));
	GDB_TRY(check_side(b, "right", allow_empty, err, errlen));
	GDB_TRY(sort_side(b, b_in_order ? SORT_IN_ORDER : 0, &sb));
	rc = sort_side(a, SORT_ENDS, &sa);
	if (rc == 0) {
		rc = join_sorted(a, b, &sa, &sb, acol, na, bcol, nb, out,
				 npairs);
		sorted_free(&sa);
	}
	sorted_free(&sb);
	return rc;
}

int gdb_api_overlap_take(const gdb_api_batch *a, const gdb_api_batch *b,
			 const gdb_api_column *acol, size_t na,
			 const gdb_api_column *bcol, size_t nb, void **out,
			 int64_t *npairs, char *err, size_t errlen)
{
	return gdb_api_join(a, b, 0, 0, acol, na, bcol, nb, out, npairs, err,
			    errlen);
}

int gdb_api_overlap(const gdb_api_batch *a, const gdb_api_batch *b,
		    int64_t **ia, int64_t **ib, int64_t *npairs, char *err,
		    size_t errlen)
{
	const gdb_api_column row = {NULL, 8};
	void *out[2];

	GDB_TRY(gdb_api_overlap_take(a, b, &row, 1, &row, 1, out, npairs, err,
				     errlen));
	*ia = out[0];
	*ib = out[1];
	return 0;
}

/* ---- counts and nearest ---- */

static int prepare(const gdb_api_batch *a, const gdb_api_batch *b, sorted *sb,
		   char *err, size_t errlen)
{
	GDB_TRY(check_side(a, "left", 0, err, errlen));
	GDB_TRY(check_side(b, "right", 0, err, errlen));
	return sort_side(b, 0, sb);
}

int gdb_api_count_overlaps(const gdb_api_batch *a, const gdb_api_batch *b,
			   int64_t *count, char *err, size_t errlen)
{
	sorted starts, ends;

	/* overlapping b rows = those starting before a.end minus those
	 * ending at or before a.beg (which all start before a.end too) */
	GDB_TRY(prepare(a, b, &starts, err, errlen));
	if (sort_side(b, SORT_BY_END, &ends) < 0) {
		sorted_free(&starts);
		return -ENOMEM;
	}
	for (size_t q = 0; q < a->n; q++) {
		int64_t c = a->contig[q];
		size_t s = lower(&starts, key_of(c, a->end[q])) -
			   lower(&starts, key_of(c, 0));
		size_t e = lower(&ends, key_of(c, a->beg[q] + 1)) -
			   lower(&ends, key_of(c, 0));
		count[q] = (int64_t)s - (int64_t)e;
	}
	sorted_free(&starts);
	sorted_free(&ends);
	return 0;
}

/* Running maximum of b's end over sorted starts, per chromosome. */
static int prefix_max_end(const gdb_api_batch *b, const sorted *sb,
			  int64_t **best)
{
	int64_t *m = malloc(sb->n * sizeof(*m) + 1);

	if (!m)
		return -ENOMEM;
	for (size_t j = 0; j < sb->n; j++) {
		int64_t r = sb->row[j];
		int fresh = j == 0 || (sb->key[j] >> KEY_CHROM_SHIFT) !=
					  (sb->key[j - 1] >> KEY_CHROM_SHIFT);
		m[j] = (fresh || b->end[r] > b->end[sb->row[m[j - 1]]])
			   ? (int64_t)j
			   : m[j - 1];
	}
	*best = m;
	return 0;
}

int gdb_api_nearest(const gdb_api_batch *a, const gdb_api_batch *b,
		    int64_t *idx, int64_t *distance, char *err, size_t errlen)
{
	sorted sb;
	int64_t *best;

	GDB_TRY(prepare(a, b, &sb, err, errlen));
	if (prefix_max_end(b, &sb, &best) < 0) {
		sorted_free(&sb);
		return -ENOMEM;
	}
	for (size_t q = 0; q < a->n; q++) {
		int64_t c = a->contig[q], left = -1, right = -1;
		int64_t dl = -1, dr = -1;
		size_t first = lower(&sb, key_of(c, 0));
		size_t p = lower(&sb, key_of(c, a->end[q]));
		/* the last contig id has no next key (it would wrap to 0) */
		size_t last =
		    c + 1 < KEY_MAX_CHROM ? lower(&sb, key_of(c + 1, 0)) : sb.n;
		if (p > first) {
			left = sb.row[best[p - 1]];
			dl = a->beg[q] - b->end[left];
			if (dl < 0)
				dl = 0; /* overlaps a */
		}
		if (p < last) {
			right = sb.row[p];
			dr = b->beg[right] - a->end[q];
		}
		if (left >= 0 && (right < 0 || dl <= dr)) {
			idx[q] = left;
			distance[q] = dl;
		} else {
			idx[q] = right;
			distance[q] = dr;
		}
	}
	free(best);
	sorted_free(&sb);
	return 0;
}
