/*
 * bench/annotations/query.c - overlap queries on an annotation set, in
 * process: open the store and the set, then for each region of a file
 * ("contig start end", 0-based half-open, one a line) time the index query
 * alone (gdb_annot_overlap into a reused hit list) and the query rendered
 * as the .bed and .gff3 files the mount serves. Prints one JSON object.
 *
 *   query STORE SET REGIONS [ROUNDS]
 *
 * Built by bench/annotations/run.py against build/libgenomedb.a.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "annotations/annotations.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

typedef struct region {
	int slot;
	int64_t beg, end;
} region;

int main(int argc, char **argv)
{
	char err[512], name[256];
	gdb_store *s;
	gdb_annot *a;
	gdb_annot_hits h = {0};
	region *r = NULL;
	size_t n = 0, cap = 0;
	long long b, e, hits = 0;
	int rounds = argc > 4 ? atoi(argv[4]) : 3;
	double *t, *tb, *tg, bytes = 0;
	FILE *f;

	if (argc < 4)
		return 2;
	if (gdb_store_open(argv[1], 0, &s, err, sizeof(err)) < 0 ||
	    gdb_annot_open(s, argv[2], &a, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	f = fopen(argv[3], "r");
	while (f && fscanf(f, "%255s %lld %lld", name, &b, &e) == 3) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			r = realloc(r, cap * sizeof(*r));
		}
		r[n++] = (region){gdb_annot_contig_find(a, name), b, e};
	}
	if (f)
		fclose(f);
	t = calloc(n, sizeof(*t));
	tb = calloc(n, sizeof(*tb));
	tg = calloc(n, sizeof(*tg));
	for (int k = 0; k < rounds; k++)
		for (size_t i = 0; i < n; i++) {
			gdb_buf o = {0};
			double t0 = now(), dt;
			h.n = 0;
			if (gdb_annot_overlap(a, (uint32_t)r[i].slot, r[i].beg,
					      r[i].end, &h) < 0)
				return 1;
			dt = now() - t0;
			if (!k || dt < t[i])
				t[i] = dt;
			hits += k ? 0 : (long long)h.n;
			t0 = now();
			if (gdb_annot_render_region(a, (uint32_t)r[i].slot,
						    r[i].beg, r[i].end,
						    GDB_ANNOT_OUT_BED, &o) < 0)
				return 1;
			dt = now() - t0;
			if (!k || dt < tb[i])
				tb[i] = dt;
			o.len = 0;
			t0 = now();
			if (gdb_annot_render_region(a, (uint32_t)r[i].slot,
						    r[i].beg, r[i].end,
						    GDB_ANNOT_OUT_GFF3, &o) < 0)
				return 1;
			dt = now() - t0;
			if (!k || dt < tg[i])
				tg[i] = dt;
			bytes += k ? 0 : (double)o.len;
			gdb_buf_free(&o);
		}
	qsort(t, n, sizeof(*t), cmp_d);
	qsort(tb, n, sizeof(*tb), cmp_d);
	qsort(tg, n, sizeof(*tg), cmp_d);
	printf("{\"queries\": %zu, \"hits\": %lld, \"gff3_bytes\": %.0f, "
	       "\"query_median_s\": %.9f, \"query_p99_s\": %.9f, "
	       "\"bed_median_s\": %.9f, \"gff3_median_s\": %.9f}\n",
	       n, hits, bytes, t[n / 2], t[n * 99 / 100], tb[n / 2], tg[n / 2]);
	gdb_annot_hits_free(&h);
	gdb_annot_close(a);
	gdb_store_close(s);
	free(r);
	free(t);
	free(tb);
	free(tg);
	return 0;
}
