/*
 * bench/codecs/latency.c - in-process random region decode latency of one
 * assembly (gdb_store_read: locate, check CRC, decode only the blocks and
 * ranges the region covers; no cache), for bench/codecs/run.py.
 *
 *   latency STORE ASM LEN N [names]
 * prints "p50_us p99_us mean_us cpu_p50_us cpu_p99_us" over N regions of
 * LEN bases at random
 * places (seed fixed), drawn over contigs in proportion to their length;
 * with "names", each query first finds a random record by name
 * (gdb_store_contig_find) and reads it whole, as a per-record lookup.
 * The cpu_ figures are the thread's CPU time a query (what the query
 * costs, without the waits a loaded machine adds to the wall clock).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"

static double clock_us(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static double now_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

static double cpu_us(void)
{
	return clock_us(CLOCK_THREAD_CPUTIME_ID);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
	return *x;
}

/* A contig of the assembly, chosen in proportion to its length. */
static const gdb_contig *pick(const gdb_store *s, const gdb_assembly *a,
			      uint64_t *x)
{
	int64_t at = (int64_t)(rnd(x) % (uint64_t)a->total_length);

	for (uint32_t k = 0; k < a->ncontigs; k++) {
		const gdb_contig *c = gdb_store_contig(s, a->first_contig + k);
		if (at < c->length)
			return c;
		at -= c->length;
	}
	return gdb_store_contig(s, a->first_contig);
}

int main(int argc, char **argv)
{
	gdb_store *s;
	char err[256];
	uint64_t x = 0x2545f4914f6cdd1dull;

	if (argc < 5 || gdb_store_open(argv[1], 0, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "usage: latency STORE ASM LEN N [names]\n");
		return 2;
	}
	int ai = gdb_store_assembly_find(s, argv[2]);
	int64_t len = atoll(argv[3]);
	int n = atoi(argv[4]), names = argc > 5;
	double *t = malloc(sizeof(double) * (size_t)n), sum = 0;
	double *u = malloc(sizeof(double) * (size_t)n);
	char *buf = malloc(1u << 24);
	if (ai < 0 || !t || !u || !buf)
		return 2;
	const gdb_assembly *a = gdb_store_assembly(s, (uint32_t)ai);
	for (int i = 0; i < n; i++) {
		const gdb_contig *c;
		int64_t beg = 0, end;
		double t0 = now_us(), c0 = cpu_us();
		if (names) {
			const gdb_contig *r = gdb_store_contig(
				s, a->first_contig +
					   (uint32_t)(rnd(&x) % a->ncontigs));
			int id = gdb_store_contig_find(s, (uint32_t)ai,
						       r->name);
			t0 = now_us();
			c0 = cpu_us();
			id = gdb_store_contig_find(s, (uint32_t)ai, r->name);
			c = gdb_store_contig(s, (uint32_t)id);
			end = c->length < (1 << 24) ? c->length : (1 << 24);
		} else {
			c = pick(s, a, &x);
			end = c->length < len ? c->length : len;
			if (c->length > len)
				beg = (int64_t)(rnd(&x) %
						(uint64_t)(c->length - len));
			end += beg;
		}
		if (gdb_store_read(s, c->id, beg, end, buf) < 0) {
			fprintf(stderr, "read failed\n");
			return 1;
		}
		t[i] = now_us() - t0;
		u[i] = cpu_us() - c0;
		sum += t[i];
	}
	qsort(t, (size_t)n, sizeof(double), cmp);
	qsort(u, (size_t)n, sizeof(double), cmp);
	printf("%.1f %.1f %.1f %.1f %.1f\n", t[n / 2], t[n * 99 / 100],
	       sum / n, u[n / 2], u[n * 99 / 100]);
	gdb_store_close(s);
	free(t);
	free(u);
	free(buf);
	return 0;
}
