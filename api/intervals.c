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
 * Pairs are counted per a row first, then written: a's columns as one
 * run of one value per row, b's columns from copies in b's sorted order,
 * so case 1 is one memcpy per row and column, case 2 a gather over the
 * open list. Pairs come by a row, then b's start (case 2's b start before
 * a, case 1's at or after), then b row.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"

#define KEY_POS_BITS 40 /* positions below 2^40 */
#define KEY_CHROM_SHIFT (KEY_POS_BITS + 1)
#define KEY_MAX_CHROM ((int64_t)1 << 23)

/* One side sorted: key = chrom << 41 | pos << 1 | non-empty, its row. */
typedef struct sorted {
	size_t n;
	uint64_t *key;
	int64_t *row;
} sorted;

static uint64_t key_of(int64_t chrom, int64_t pos)
{
	return ((uint64_t)chrom << KEY_CHROM_SHIFT) | ((uint64_t)pos << 1);
}

/* Stable LSD radix sort of (key, row) by key, 16 bits a pass; passes
 * whose digit is the same for every key are skipped. */
static int radix_sort(uint64_t *key, int64_t *row, size_t n)
{
	uint64_t *k2 = malloc(n * sizeof(*k2) + 1);
	int64_t *r2 = malloc(n * sizeof(*r2) + 1);
	size_t *cnt = malloc(65536 * sizeof(*cnt));
	int rc = (k2 && r2 && cnt) ? 0 : -ENOMEM;

	for (unsigned shift = 0; rc == 0 && shift < 64; shift += 16) {
		memset(cnt, 0, 65536 * sizeof(*cnt));
		for (size_t i = 0; i < n; i++)
			cnt[(key[i] >> shift) & 0xffff]++;
		if (n && cnt[(key[0] >> shift) & 0xffff] == n)
			continue;
		for (size_t d = 0, sum = 0; d < 65536; d++) {
			size_t c = cnt[d];
			cnt[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++) {
			size_t p = cnt[(key[i] >> shift) & 0xffff]++;
			k2[p] = key[i];
			r2[p] = row[i];
		}
		memcpy(key, k2, n * sizeof(*key));
		memcpy(row, r2, n * sizeof(*row));
	}
	free(k2);
	free(r2);
	free(cnt);
	return rc;
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
	free(s->key);
	free(s->row);
}

/* Sort a side by (chrom, beg, non-empty) or, with by_end, (chrom, end).
 * in_order: the rows are already by (chrom, beg); sorted only when an
 * empty interval breaks that order. */
static int sort_side(const gdb_api_batch *b, int by_end, int in_order,
		     sorted *s)
{
	int ordered = in_order;

	s->n = b->n;
	s->key = malloc(b->n * sizeof(*s->key) + 1);
	s->row = malloc(b->n * sizeof(*s->row) + 1);
	if (!s->key || !s->row) {
		sorted_free(s);
		return -ENOMEM;
	}
	for (size_t i = 0; i < b->n; i++) {
		s->key[i] = by_end ? key_of(b->contig[i], b->end[i])
				   : key_of(b->contig[i], b->beg[i]) |
					 (b->end[i] > b->beg[i]);
		s->row[i] = (int64_t)i;
		ordered = ordered && (i == 0 || s->key[i - 1] <= s->key[i]);
	}
	if (!ordered && radix_sort(s->key, s->row, s->n) < 0) {
		sorted_free(s);
		return -ENOMEM;
	}
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
	GDB_TRY(sort_side(b, 0, 0, &s));
	free(s.key);
	*row = s.row;
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
static void gather(char *dst, const char *src, size_t size, const int64_t *idx,
		   size_t n)
{
	switch (size) {
	case 1:
		for (size_t i = 0; i < n; i++)
			dst[i] = src[idx[i]];
		break;
	case 2:
		for (size_t i = 0; i < n; i++)
			memcpy(dst + 2 * i, src + 2 * idx[i], 2);
		break;
	case 4:
		for (size_t i = 0; i < n; i++)
			memcpy(dst + 4 * i, src + 4 * idx[i], 4);
		break;
	default:
		for (size_t i = 0; i < n; i++)
			memcpy(dst + 8 * i, src + 8 * idx[i], 8);
		break;
	}
}

/* n copies of the value at one (size bytes) into dst. */
static void fill(char *dst, const char *one, size_t size, size_t n)
{
	uint64_t v = 0;

	memcpy(&v, one, size);
	switch (size) {
	case 1:
		memset(dst, (int)v, n);
		break;
	case 2:
		for (size_t i = 0; i < n; i++)
			memcpy(dst + 2 * i, &v, 2);
		break;
	case 4:
		for (size_t i = 0; i < n; i++)
			memcpy(dst + 4 * i, &v, 4);
		break;
	default:
		for (size_t i = 0; i < n; i++)
			memcpy(dst + 8 * i, &v, 8);
		break;
	}
}

static void jcols_free(jcol *c, size_t n, int outputs)
{
	for (size_t k = 0; k < n; k++) {
		free(c[k].own);
		if (outputs)
			free(c[k].dst);
	}
	free(c);
}

/* The sources of a's columns (row order) then b's (b's sorted order);
 * data NULL is the row number. */
static int jcols_make(const gdb_api_column *acol, size_t na, size_t an,
		      const gdb_api_column *bcol, size_t nb, const sorted *sb,
		      jcol **out)
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
			gather(c[k].own, col->data, c[k].size, sb->row, n);
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

/*
 * Case 2, b with a.beg in (b.beg, b.end), by a sweep over a's sorted
 * starts: b intervals whose key is below a's start join an open list (of
 * sorted positions, in b's start order) and leave it once they end at or
 * before a's start, or lie on an earlier chromosome (their end key is
 * then below). Every b still open overlaps a, so the cost is O(n + m +
 * pairs) and each a row's pairs are one run. With cols NULL count them
 * (count[q] = ...), else write b's columns at cur[q] and advance it.
 * @return 0 or -ENOMEM
 */
static int case2(const gdb_api_batch *b, const sorted *sa, const sorted *sb,
		 int64_t *count, int64_t *cur, jcol *cols, size_t ncols)
{
	int64_t *act = malloc(sb->n * sizeof(*act) + 1);
	uint64_t *act_end = malloc(sb->n * sizeof(*act_end) + 1);
	size_t nact = 0, j = 0;
	int contig;

	if (!act || !act_end) {
		free(act);
		free(act_end);
		return -ENOMEM;
	}
	for (size_t i = 0; i < sa->n; i++) {
		int64_t q = sa->row[i], r;
		uint64_t k = sa->key[i] & ~(uint64_t)1;
		size_t w = 0;
		for (; j < sb->n && sb->key[j] < k; j++, nact++) {
			r = sb->row[j];
			act[nact] = (int64_t)j;
			act_end[nact] = key_of(b->contig[r], b->end[r]);
		}
		for (size_t t = 0; t < nact; t++)
			if (act_end[t] > k) {
				act[w] = act[t];
				act_end[w++] = act_end[t];
			}
		nact = w;
		if (!cols) {
			count[q] = (int64_t)nact;
			continue;
		}
		/* still open in one run of sorted positions (no feature
		 * ended since): one copy a column, as case 1 */
		contig = nact && act[nact - 1] - act[0] == (int64_t)nact - 1;
		for (size_t c = 0; c < ncols && nact; c++) {
			char *dst = cols[c].dst + (size_t)cur[q] * cols[c].size;
			if (contig)
				memcpy(dst,
				       cols[c].src +
					   (size_t)act[0] * cols[c].size,
				       nact * cols[c].size);
			else
				gather(dst, cols[c].src, cols[c].size, act,
				       nact);
		}
		cur[q] += (int64_t)nact;
	}
	free(act);
	free(act_end);
	return 0;
}

/*
 * Case 1 for every a row: the run [lo, hi) of sorted b with b.beg in
 * [a.beg, a.end) (an empty b only past a.beg), as run[2q], run[2q + 1].
 * Over a's sorted starts lo only moves forward, and hi is lo plus the
 * run, so this is a merge costing O(n + m + pairs), with no binary search
 * (a branch mispredicted a step).
 */
static void case1_runs(const gdb_api_batch *a, const sorted *sa,
		       const sorted *sb, int64_t *run)
{
	size_t lo = 0;

	for (size_t i = 0; i < sa->n; i++) {
		int64_t q = sa->row[i];
		uint64_t k = key_of(a->contig[q], a->beg[q]) | 1;
		uint64_t e = key_of(a->contig[q], a->end[q]);
		size_t hi;
		while (lo < sb->n && sb->key[lo] < k)
			lo++;
		for (hi = lo; hi < sb->n && sb->key[hi] < e;)
			hi++;
		run[2 * q] = (int64_t)lo;
		run[2 * q + 1] = (int64_t)hi;
	}
}

/* pos[q]: where row q's pairs start (pos[n]: all pairs); cur[q]: where
 * its case-2 pairs start; run: case 1's [lo, hi) per row. */
typedef struct plan {
	int64_t *pos, *cur, *run;
} plan;

static void plan_free(plan *p)
{
	free(p->pos);
	free(p->cur);
	free(p->run);
}

static int plan_make(const gdb_api_batch *a, const gdb_api_batch *b,
		     const sorted *sa, const sorted *sb, plan *p)
{
	p->pos = malloc((a->n + 1) * sizeof(*p->pos));
	p->cur = malloc((a->n + 1) * sizeof(*p->cur));
	p->run = malloc((2 * a->n + 1) * sizeof(*p->run));
	if (!p->pos || !p->cur || !p->run ||
	    case2(b, sa, sb, p->cur, NULL, NULL, 0) < 0) {
		plan_free(p);
		return -ENOMEM;
	}
	case1_runs(a, sa, sb, p->run);
	p->pos[0] = 0;
	for (size_t q = 0; q < a->n; q++) {
		int64_t c2 = p->cur[q];
		p->cur[q] = p->pos[q];
		p->pos[q + 1] =
		    p->pos[q] + c2 + p->run[2 * q + 1] - p->run[2 * q];
	}
	return 0;
}

/* Write every pair's columns (outputs allocated by the caller). */
static int write_pairs(const gdb_api_batch *b, const sorted *sa,
		       const sorted *sb, plan *p, jcol *c, size_t na, size_t nb)
{
	for (size_t k = 0; k < na; k++)
		for (size_t q = 0; q < sa->n; q++)
			fill(c[k].dst + (size_t)p->pos[q] * c[k].size,
			     c[k].src + q * c[k].size, c[k].size,
			     (size_t)(p->pos[q + 1] - p->pos[q]));
	GDB_TRY(case2(b, sa, sb, NULL, p->cur, c + na, nb));
	for (size_t k = na; k < na + nb; k++)
		for (size_t q = 0; q < sa->n; q++) {
			int64_t lo = p->run[2 * q], hi = p->run[2 * q + 1];
			memcpy(c[k].dst + (size_t)p->cur[q] * c[k].size,
			       c[k].src + (size_t)lo * c[k].size,
			       (size_t)(hi - lo) * c[k].size);
		}
	return 0;
}

static int join_sorted(const gdb_api_batch *a, const gdb_api_batch *b,
		       const sorted *sa, const sorted *sb,
		       const gdb_api_column *acol, size_t na,
		       const gdb_api_column *bcol, size_t nb, void **out,
		       int64_t *npairs)
{
	plan p;
	jcol *c = NULL;
	int rc;

	GDB_TRY(plan_make(a, b, sa, sb, &p));
	rc = jcols_make(acol, na, a->n, bcol, nb, sb, &c);
	for (size_t k = 0; rc == 0 && k < na + nb; k++) {
		c[k].dst = gdb_api_alloc_big((size_t)p.pos[a->n] * c[k].size);
		if (!c[k].dst)
			rc = -ENOMEM;
	}
	if (rc == 0)
		rc = write_pairs(b, sa, sb, &p, c, na, nb);
	if (rc == 0) {
		for (size_t k = 0; k < na + nb; k++)
			out[k] = c[k].dst;
		*npairs = p.pos[a->n];
	}
	if (c)
		jcols_free(c, na + nb, rc < 0);
	plan_free(&p);
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
	GDB_TRY(check_side(a, "left", allow_empty, err, errlen));
	GDB_TRY(check_side(b, "right", allow_empty, err, errlen));
	GDB_TRY(sort_side(b, 0, b_in_order, &sb));
	rc = sort_side(a, 0, 0, &sa);
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
	return sort_side(b, 0, 0, sb);
}

int gdb_api_count_overlaps(const gdb_api_batch *a, const gdb_api_batch *b,
			   int64_t *count, char *err, size_t errlen)
{
	sorted starts, ends;

	/* overlapping b rows = those starting before a.end minus those
	 * ending at or before a.beg (which all start before a.end too) */
	GDB_TRY(prepare(a, b, &starts, err, errlen));
	if (sort_side(b, 1, 0, &ends) < 0) {
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
