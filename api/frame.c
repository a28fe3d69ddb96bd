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
