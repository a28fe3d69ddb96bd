/*
 * api/frame.c - one call per data frame: sequences, GC and motif counts of
 * many intervals, and the interval algebra (overlap join, overlap counts,
 * nearest) of api/genomedb.h.
 *
 * The interval algebra sorts each side once by (chromosome, start) with an
 * LSD radix sort of 64-bit keys (stable, so equal starts keep row order)
 * and answers every row by binary search, output-sensitive:
 *
 *   a and b overlap  <=>  b.beg in [a.beg, a.end)   (case 1)
 *                     or  a.beg in (b.beg, b.end)   (case 2)
 *
 * The two cases are disjoint and each is a contiguous run of the other
 * side's sorted starts, so the join costs O((n + m) log + pairs) however
 * long the features are (a chromosome-long feature costs one run, not a
 * scan). Pairs are counted per a row first, then written in place: case 2
 * (b starting before a) then case 1, each by b's start, which is b's start
 * order within every a row with no sort of the pairs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "simd/motif.h"
#include "simd/simd.h"

#define SLICE ((int64_t)1 << 20) /* bases scanned at once by gc/motif */
#define KEY_POS_BITS 40		 /* starts below 2^40 */
#define KEY_MAX_CHROM ((int64_t)1 << 23)

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

int gdb_api_fetch_many(gdb_api *h, uint32_t asm_index, const gdb_api_batch *b,
		       int form, int sep, char *dst, int64_t *off, char *err,
		       size_t errlen)
{
	GDB_TRY(batch_check(h, asm_index, b, NULL, err, errlen));
	off[0] = 0;
	for (size_t i = 0; i < b->n; i++) {
		const gdb_contig *c =
		    gdb_api_contig_at(h, asm_index, (uint32_t)b->contig[i]);
		GDB_TRY(gdb_api_read(h, c, b->beg[i], b->end[i], form,
				     dst + off[i], err, errlen));
		off[i + 1] = off[i] + b->end[i] - b->beg[i];
		if (sep >= 0)
			dst[off[i + 1]++] = (char)sep;
	}
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

/* ---- interval algebra ---- */

/* One side sorted: key = chrom << 40 | beg, and the row it came from. */
typedef struct sorted {
	size_t n;
	uint64_t *key;
	int64_t *row;
} sorted;

static uint64_t key_of(int64_t chrom, int64_t pos)
{
	return ((uint64_t)chrom << KEY_POS_BITS) | (uint64_t)pos;
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

static int check_side(const gdb_api_batch *b, const char *side, char *err,
		      size_t errlen)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->contig[i] < 0 || b->contig[i] >= KEY_MAX_CHROM ||
		    b->beg[i] < 0 || b->end[i] <= b->beg[i] ||
		    b->end[i] >= ((int64_t)1 << KEY_POS_BITS)) {
			gdb_seterr(err, errlen,
				   "%s row %zu: bad interval %lld-%lld "
				   "(0-based, half-open; empty or reversed)",
				   side, i, (long long)b->beg[i],
				   (long long)b->end[i]);
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

/* Sort a side by (chrom, beg) or, with by_end, (chrom, end). */
static int sort_side(const gdb_api_batch *b, int by_end, sorted *s)
{
	s->n = b->n;
	s->key = malloc(b->n * sizeof(*s->key) + 1);
	s->row = malloc(b->n * sizeof(*s->row) + 1);
	if (!s->key || !s->row) {
		sorted_free(s);
		return -ENOMEM;
	}
	for (size_t i = 0; i < b->n; i++) {
		s->key[i] =
		    key_of(b->contig[i], by_end ? b->end[i] : b->beg[i]);
		s->row[i] = (int64_t)i;
	}
	if (radix_sort(s->key, s->row, s->n) < 0) {
		sorted_free(s);
		return -ENOMEM;
	}
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

/*
 * Case 2, b rows with a.beg in (b.beg, b.end), by a sweep over a's sorted
 * starts: b rows whose start key is below a's join an active list (in
 * b's start order) and leave it once they end at or before a's start, or
 * lie on an earlier chromosome (their end key is then below). Every b
 * still active overlaps a, so the cost is O(n + m + pairs), and each a
 * row's pairs are written as one run (a loop over b scattered each pair
 * to its a row, a cache miss a pair). With pos NULL count them per a row
 * (count[q] += ...), else write (a, b) at pos[q]++.
 * @return 0 or -ENOMEM
 */
static int case2(const gdb_api_batch *b, const sorted *sa, const sorted *sb,
		 int64_t *count, int64_t *pos, int64_t *ia, int64_t *ib)
{
	int64_t *act = malloc(sb->n * sizeof(*act) + 1);
	uint64_t *act_end = malloc(sb->n * sizeof(*act_end) + 1);
	size_t nact = 0, j = 0;

	if (!act || !act_end) {
		free(act);
		free(act_end);
		return -ENOMEM;
	}
	for (size_t i = 0; i < sa->n; i++) {
		int64_t q = sa->row[i];
		uint64_t k = sa->key[i];
		size_t w = 0;
		for (; j < sb->n && sb->key[j] < k; j++, nact++) {
			act[nact] = sb->row[j];
			act_end[nact] =
			    key_of(b->contig[act[nact]], b->end[act[nact]]);
		}
		for (size_t t = 0; t < nact; t++)
			if (act_end[t] > k) {
				act[w] = act[t];
				act_end[w++] = act_end[t];
			}
		nact = w;
		if (!pos) {
			count[q] += (int64_t)nact;
			continue;
		}
		for (size_t t = 0; t < nact; t++) {
			ia[pos[q]] = q;
			ib[pos[q]++] = act[t];
		}
	}
	free(act);
	free(act_end);
	return 0;
}

/* Case 1 for one a row: the run of b rows with b.beg in [a.beg, a.end). */
static void case1_run(const gdb_api_batch *a, size_t q, const sorted *sb,
		      size_t *lo, size_t *hi)
{
	*lo = lower(sb, key_of(a->contig[q], a->beg[q]));
	*hi = lower(sb, key_of(a->contig[q], a->end[q]));
}

static int prepare(const gdb_api_batch *a, const gdb_api_batch *b, sorted *sa,
		   sorted *sb, char *err, size_t errlen)
{
	GDB_TRY(check_side(a, "left", err, errlen));
	GDB_TRY(check_side(b, "right", err, errlen));
	GDB_TRY(sort_side(b, 0, sb));
	if (sa && sort_side(a, 0, sa) < 0) {
		sorted_free(sb);
		return -ENOMEM;
	}
	return 0;
}

int gdb_api_overlap(const gdb_api_batch *a, const gdb_api_batch *b,
		    int64_t **ia, int64_t **ib, int64_t *npairs, char *err,
		    size_t errlen)
{
	sorted sa, sb;
	int64_t *count, *run, total = 0;
	size_t lo, hi;

	GDB_TRY(prepare(a, b, &sa, &sb, err, errlen));
	count = calloc(a->n + 1, sizeof(*count));
	/* case 1's run of sorted b per a row, [run[2q], run[2q + 1]) */
	run = malloc(2 * a->n * sizeof(*run) + 1);
	*ia = *ib = NULL;
	if (count && run && case2(b, &sa, &sb, count, NULL, NULL, NULL) == 0) {
		for (size_t q = 0; q < a->n; q++) {
			int64_t c = count[q];
			case1_run(a, q, &sb, &lo, &hi);
			run[2 * q] = (int64_t)lo;
			run[2 * q + 1] = (int64_t)hi;
			count[q] = total; /* now: where row q's pairs start */
			total += c + (int64_t)(hi - lo);
		}
		*ia = gdb_api_alloc_big((size_t)total * sizeof(**ia));
		*ib = gdb_api_alloc_big((size_t)total * sizeof(**ib));
	}
	if (!*ia || !*ib || case2(b, &sa, &sb, NULL, count, *ia, *ib) < 0) {
		free(*ia);
		free(*ib);
		*ia = *ib = NULL;
		total = -ENOMEM;
	}
	/* case 2 has advanced count[q] to where q's case-1 pairs go */
	for (size_t q = 0; total >= 0 && q < a->n; q++) {
		int64_t p = count[q];
		for (int64_t j = run[2 * q]; j < run[2 * q + 1]; j++, p++) {
			(*ia)[p] = (int64_t)q;
			(*ib)[p] = sb.row[j];
		}
	}
	free(count);
	free(run);
	sorted_free(&sa);
	sorted_free(&sb);
	if (total < 0)
		return (int)total;
	*npairs = total;
	return 0;
}

int gdb_api_count_overlaps(const gdb_api_batch *a, const gdb_api_batch *b,
			   int64_t *count, char *err, size_t errlen)
{
	sorted starts, ends;

	/* overlapping b rows = those starting before a.end minus those
	 * ending at or before a.beg (which all start before a.end too) */
	GDB_TRY(prepare(a, b, NULL, &starts, err, errlen));
	if (sort_side(b, 1, &ends) < 0) {
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
		int fresh = j == 0 || (sb->key[j] >> KEY_POS_BITS) !=
					  (sb->key[j - 1] >> KEY_POS_BITS);
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

	GDB_TRY(prepare(a, b, NULL, &sb, err, errlen));
	if (prefix_max_end(b, &sb, &best) < 0) {
		sorted_free(&sb);
		return -ENOMEM;
	}
	for (size_t q = 0; q < a->n; q++) {
		int64_t c = a->contig[q], left = -1, right = -1;
		int64_t dl = -1, dr = -1;
		size_t first = lower(&sb, key_of(c, 0));
		size_t p = lower(&sb, key_of(c, a->end[q]));
		size_t last = lower(&sb, key_of(c + 1, 0));
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
