/*
 * annotations/query.c - interval queries over a set's index, one at a
 * time or a whole batch (a data frame's rows) per call, and gene lookups.
 *
 * Overlap walks the implicit interval tree (index.c) with an explicit
 * stack: a subtree whose largest end is at or before the query's start is
 * skipped whole, and so is everything right of a node that starts at or
 * after the query's end; subtrees of 15 nodes or fewer are scanned in
 * order. The walk is in-order, so hits come out sorted by index (start,
 * then source order) without a sort. gdb_annot_overlap_scan is the same
 * question answered by a linear pass, the tree's scalar twin in tests.
 *
 * Nearest needs no second index: with no overlap, the features left of a
 * query all end at or before its start, and the one ending last is found
 * by walking the tree's maxima; the first feature starting at or after
 * the end is a binary search.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annotations/annot_int.h"

#define SCAN_LEVEL 3 /* subtrees at or below this level are scanned */

void gdb_annot_hits_free(gdb_annot_hits *h)
{
	free(h->idx);
	h->idx = NULL;
	h->n = h->cap = 0;
}

static int hits_push(gdb_annot_hits *h, uint64_t i)
{
	GDB_TRY(
	    annot_grow((void **)&h->idx, &h->cap, h->n, sizeof(*h->idx), 256));
	h->idx[h->n++] = i;
	return 0;
}

typedef struct cell {
	uint64_t x; /* node, local to the contig */
	uint32_t k; /* its level */
	uint32_t w; /* 0: left subtree not yet visited */
} cell;

/*
 * The walk, calling hit(arg, global index) in index order; hit returns
 * non-zero to stop (that value is returned).
 */
static int walk(const gdb_annot *a, uint32_t slot, int64_t beg, int64_t end,
		int (*hit)(void *arg, uint64_t i), void *arg)
{
	uint64_t first, n;
	cell st[72];
	int t = 0, rc;

	annot_slot_range(a, slot, &first, &n);
	st[t++] = (cell){((uint64_t)1 << annot_slot_level(a, slot)) - 1,
			 annot_slot_level(a, slot), 0};
	while (t) {
		cell z = st[--t];
		if (z.k <= SCAN_LEVEL) {
			uint64_t i0 = z.x >> z.k << z.k;
			uint64_t i1 = i0 + ((uint64_t)1 << (z.k + 1)) - 1;
			if (i1 > n)
				i1 = n;
			for (uint64_t i = i0;
			     i < i1 && annot_iv_beg(a, first + i) < end; i++)
				if (beg < annot_iv_end(a, first + i) &&
				    (rc = hit(arg, first + i)))
					return rc;
		} else if (z.w == 0) {
			uint64_t y = z.x - ((uint64_t)1 << (z.k - 1));
			st[t++] = (cell){z.x, z.k, 1};
			/* an imaginary left child (past n) has real nodes
			 * left of it: visit it */
			if (y >= n || annot_iv_max(a, first + y) > beg)
				st[t++] = (cell){y, z.k - 1, 0};
		} else if (z.x < n && annot_iv_beg(a, first + z.x) < end) {
			if (beg < annot_iv_end(a, first + z.x) &&
			    (rc = hit(arg, first + z.x)))
				return rc;
			st[t++] = (cell){z.x + ((uint64_t)1 << (z.k - 1)),
					 z.k - 1, 0};
		}
	}
	return 0;
}

static int hit_push(void *arg, uint64_t i)
{
	return hits_push(arg, i);
}

int64_t gdb_annot_overlap(const gdb_annot *a, uint32_t slot, int64_t beg,
			  int64_t end, gdb_annot_hits *h)
{
	size_t n0 = h->n;
	int rc;

	if (slot >= a->ncontigs || beg > end)
		return -EINVAL;
	rc = walk(a, slot, beg, end, hit_push, h);
	return rc < 0 ? rc : (int64_t)(h->n - n0);
}

int64_t gdb_annot_overlap_scan(const gdb_annot *a, uint32_t slot, int64_t beg,
			       int64_t end, gdb_annot_hits *h)
{
	uint64_t first, n;
	size_t n0 = h->n;

	if (slot >= a->ncontigs || beg > end)
		return -EINVAL;
	annot_slot_range(a, slot, &first, &n);
	for (uint64_t i = first; i < first + n; i++)
		if (annot_iv_beg(a, i) < end && beg < annot_iv_end(a, i))
			GDB_TRY(hits_push(h, i));
	return (int64_t)(h->n - n0);
}

/* ---- batches ---- */

static int hit_count(void *arg, uint64_t i)
{
	(void)i;
	(*(uint64_t *)arg)++;
	return 0;
}

static int check_batch(const gdb_annot *a, size_t n, const int32_t *contig,
		       const int64_t *beg, const int64_t *end)
{
	for (size_t q = 0; q < n; q++)
		if (beg[q] > end[q] ||
		    (contig[q] >= 0 && (uint32_t)contig[q] >= a->ncontigs))
			return -EINVAL;
	return 0;
}

int gdb_annot_overlap_batch(const gdb_annot *a, size_t n, const int32_t *contig,
			    const int64_t *beg, const int64_t *end,
			    uint64_t *counts, uint64_t **qidx, uint64_t **fidx,
			    uint64_t *npairs)
{
	gdb_annot_hits h = {0};
	uint64_t *qi = NULL;
	size_t cap = 0;

	GDB_TRY(check_batch(a, n, contig, beg, end));
	for (size_t q = 0; q < n; q++) {
		size_t n0 = h.n;
		if (contig[q] < 0) {
			if (counts)
				counts[q] = 0;
			continue;
		}
		if (!qidx) { /* counts only: nothing to keep */
			uint64_t c = 0;
			walk(a, (uint32_t)contig[q], beg[q], end[q], hit_count,
			     &c);
			if (counts)
				counts[q] = c;
			continue;
		}
		if (walk(a, (uint32_t)contig[q], beg[q], end[q], hit_push, &h) <
		    0)
			goto nomem;
		if (counts)
			counts[q] = h.n - n0;
		if (h.n > cap) {
			uint64_t *p = realloc(qi, h.cap * sizeof(*p));
			if (!p)
				goto nomem;
			qi = p;
			cap = h.cap;
		}
		for (size_t k = n0; k < h.n; k++)
			qi[k] = q;
	}
	if (qidx) {
		*qidx = qi;
		*npairs = h.n;
		if (fidx)
			*fidx = h.idx;
		else
			free(h.idx);
		if (!h.n) {
			free(*qidx);
			*qidx = NULL;
			if (fidx) {
				free(*fidx);
				*fidx = NULL;
			}
		}
	}
	return 0;
nomem:
	free(qi);
	gdb_annot_hits_free(&h);
	return -ENOMEM;
}

static int hit_first(void *arg, uint64_t i)
{
	*(int64_t *)arg = (int64_t)i;
	return 1;
}

/* Inside a real subtree (root y, level j) whose maximum is best: the
 * first node, in index order, that ends at best. */
static uint64_t first_ending_at(const gdb_annot *a, uint64_t first, uint64_t y,
				uint32_t j, int64_t best)
{
	for (;;) {
		if (j && annot_iv_max(
			     a, first + y - ((uint64_t)1 << (j - 1))) == best) {
			y -= (uint64_t)1 << (j - 1);
		} else if (!j || annot_iv_end(a, first + y) == best) {
			return y;
		} else {
			y += (uint64_t)1 << (j - 1);
		}
		j--;
	}
}

/*
 * The feature ending last among the slot's first p features (when nothing
 * overlaps a query, every feature starting before its end ends at or
 * before its start). The prefix [0, p) of the in-order tree is the union,
 * left to right, of the left subtrees and nodes on the path from the root
 * towards p where the path turns right; their maxima give the largest
 * end, and the first piece reaching it holds the answer. Ties go to the
 * lower index. @return a global index, or -1 when p is 0.
 */
static int64_t last_ending(const gdb_annot *a, uint32_t slot, uint64_t p)
{
	uint64_t first, n, x, piece = 0;
	uint32_t k = annot_slot_level(a, slot), pk = 0;
	int64_t best = INT64_MIN;
	int node = 0;

	annot_slot_range(a, slot, &first, &n);
	if (!p)
		return -1;
	for (x = ((uint64_t)1 << k) - 1;; k--) {
		if (x < p) {
			uint64_t y = x - ((uint64_t)1 << (k ? k - 1 : 0));
			if (k && annot_iv_max(a, first + y) > best) {
				best = annot_iv_max(a, first + y);
				piece = y;
				pk = k - 1;
				node = 0;
			}
			if (annot_iv_end(a, first + x) > best) {
				best = annot_iv_end(a, first + x);
				piece = x;
				node = 1;
			}
			if (!k)
				break;
			x += (uint64_t)1 << (k - 1);
		} else {
			if (!k)
				break;
			x -= (uint64_t)1 << (k - 1);
		}
	}
	if (!node)
		piece = first_ending_at(a, first, piece, pk, best);
	return (int64_t)(first + piece);
}

/* First feature of the slot starting at or after pos (index), or -1. */
static int64_t first_at_or_after(const gdb_annot *a, uint32_t slot, int64_t pos)
{
	uint64_t first, n, lo = 0, hi;

	annot_slot_range(a, slot, &first, &n);
	hi = n;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (annot_iv_beg(a, first + mid) < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n ? (int64_t)(first + lo) : -1;
}

int gdb_annot_nearest_batch(const gdb_annot *a, size_t n, const int32_t *contig,
			    const int64_t *beg, const int64_t *end,
			    int64_t *feature, int64_t *distance)
{
	GDB_TRY(check_batch(a, n, contig, beg, end));
	for (size_t q = 0; q < n; q++) {
		int64_t hit = -1, left, right;
		uint64_t first, cnt;
		uint32_t s = (uint32_t)contig[q];
		feature[q] = distance[q] = -1;
		if (contig[q] < 0)
			continue;
		walk(a, s, beg[q], end[q], hit_first, &hit);
		if (hit >= 0) {
			feature[q] = hit;
			distance[q] = 0;
			continue;
		}
		/* nothing overlaps: features starting before end[q] all end
		 * at or before beg[q]; the others start at or after end[q] */
		annot_slot_range(a, s, &first, &cnt);
		right = first_at_or_after(a, s, end[q]);
		left = last_ending(
		    a, s, (right < 0 ? first + cnt : (uint64_t)right) - first);
		if (left >= 0) {
			feature[q] = left;
			distance[q] = beg[q] - annot_iv_end(a, (uint64_t)left);
		}
		if (right >= 0 &&
		    (left < 0 ||
		     annot_iv_beg(a, (uint64_t)right) - end[q] < distance[q])) {
			feature[q] = right;
			distance[q] = annot_iv_beg(a, (uint64_t)right) - end[q];
		}
	}
	return 0;
}

/* ---- genes by name ---- */

static const char *key_str(const gdb_annot *a, uint64_t i)
{
	return a->strings + gdb_get_le32(a->names + i * NAME_BYTES);
}

static uint32_t key_group(const gdb_annot *a, uint64_t i)
{
	return gdb_get_le32(a->names + i * NAME_BYTES + 4);
}

static int u32_cmp_pos(const void *x, const void *y, void *arg)
{
	const gdb_annot *a = arg;
	gdb_annot_group g, h;

	gdb_annot_group_get(a, *(const uint32_t *)x, &g);
	gdb_annot_group_get(a, *(const uint32_t *)y, &h);
	if (g.contig != h.contig)
		return g.contig < h.contig ? -1 : 1;
	if (g.beg != h.beg)
		return g.beg < h.beg ? -1 : 1;
	return *(const uint32_t *)x < *(const uint32_t *)y ? -1 : 1;
}

int64_t gdb_annot_genes_find(const gdb_annot *a, const char *name,
			     uint32_t **out)
{
	uint64_t lo = 0, hi = a->nnames, i, nexact = 0, n = 0;
	uint32_t *g;

	*out = NULL;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (strcasecmp(key_str(a, mid), name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < a->nnames && !strcasecmp(key_str(a, i), name); i++)
		nexact += !strcmp(key_str(a, i), name);
	if (i == lo)
		return 0;
	g = malloc((i - lo) * sizeof(*g));
	if (!g)
		return -ENOMEM;
	for (uint64_t k = lo; k < i; k++)
		if (!nexact || !strcmp(key_str(a, k), name))
			g[n++] = key_group(a, k);
	qsort_r(g, n, sizeof(*g), u32_cmp_pos, (void *)a);
	/* one gene found by two keys (ID and Name) is listed once */
	for (uint64_t k = 1, w = 1; k <= n; k++) {
		if (k == n) {
			n = w;
			break;
		}
		if (g[k] != g[w - 1])
			g[w++] = g[k];
	}
	*out = g;
	return (int64_t)n;
}
