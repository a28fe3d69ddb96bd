/*
 * tests/unit/test_simd_many.c - many queries against one target: every
 * level's inter-query kernel (align_many) and gdb_align_batch against the
 * scalar twin, query by query: score, query end and target end.
 *
 * Adversarial inputs: group sizes around every lane count (8, 16, 32 and
 * +-1), queries of very different lengths in one group (padding rows),
 * lengths 0 and 1, an empty target, scores at the 8-bit and 16-bit limits
 * (query length * match = 127, 128, 32767, 32768: the width switch), exact
 * and mutated hits on both ends of the target, ties (repeats), all-N,
 * lowercase, mismatch-only scoring, extend 0 and extend = open.
 *
 * Exit status: 0 pass, 1 fail (the first failures are printed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simd/align.h"
#include "simd/simd.h"

#define UNIT_SEED 0x6a09e667f3bcc908ull
#include "tests/unit/unit.h"

static char *rand_seq(size_t n, const char *alpha)
{
	size_t k = strlen(alpha);
	char *s = xmalloc(n + 1);

	for (size_t i = 0; i < n; i++)
		s[i] = alpha[rnd() % k];
	s[n] = 0;
	return s;
}

/* A query: a piece of the target (maybe mutated) or random letters. */
static char *make_query(const char *t, size_t tlen, size_t len)
{
	char *q = rand_seq(len, "ACGT");

	if (tlen >= len && len && rnd() % 3) {
		memcpy(q, t + rnd() % (tlen - len + 1), len);
		for (size_t i = 0; i < len; i++)
			if (rnd() % 20 == 0)
				q[i] = "ACGTN"[rnd() % 5];
		if (rnd() % 4 == 0)
			for (size_t i = 0; i < len; i++)
				q[i] = (char)(q[i] | 0x20);
	}
	return q;
}

static void check_case(const gdb_align_scoring *sc, char **qs, size_t *ls,
		       size_t n, const char *t, size_t tlen, const char *what)
{
	const gdb_align_kernels *ref = gdb_align_variant(GDB_SIMD_SCALAR);
	gdb_align_result *want = xmalloc(n * sizeof(*want));
	gdb_align_result *got = xmalloc(n * sizeof(*got));
	gdb_align_ws *ws;
	gdb_pool *pool;

	if (gdb_align_ws_new(&ws))
		exit(T_EXIT_FAIL);
	for (size_t k = 0; k < n; k++)
		if (ref->score(sc, GDB_ALIGN_LOCAL, qs[k], ls[k], t, tlen, ws,
			       &want[k]))
			FAIL("%s: scalar failed", what);
	for (int lv = 0; lv <= GDB_SIMD_AVX512; lv++) {
		const gdb_align_kernels *k =
		    gdb_align_variant((enum gdb_simd_level)lv);
		int rc;
		if (!k)
			continue;
		memset(got, 0x5a, n * sizeof(*got));
		rc = k->many(sc, (const char *const *)qs, ls, n, t, tlen, ws,
			     got);
		if (rc) {
			FAIL("%s: %s align_many: %d", what, k->name, rc);
			continue;
		}
		for (size_t i = 0; i < n; i++)
			if (got[i].cigar) /* score-only: no CIGAR */
				FAIL("%s: %s query %zu: cigar set", what,
				     k->name, i);
		for (size_t i = 0; i < n; i++)
			if (got[i].score != want[i].score ||
			    got[i].query_end != want[i].query_end ||
			    got[i].target_end != want[i].target_end ||
			    got[i].query_begin != want[i].query_begin ||
			    got[i].target_begin != want[i].target_begin)
				FAIL(
				    "%s: %s query %zu/%zu (len %zu, tlen %zu): "
				    "score %lld end %lld,%lld begin %lld,%lld; "
				    "scalar %lld end %lld,%lld begin %lld,%lld",
				    what, k->name, i, n, ls[i], tlen,
				    (long long)got[i].score,
				    (long long)got[i].query_end,
				    (long long)got[i].target_end,
				    (long long)got[i].query_begin,
				    (long long)got[i].target_begin,
				    (long long)want[i].score,
				    (long long)want[i].query_end,
				    (long long)want[i].target_end,
				    (long long)want[i].query_begin,
				    (long long)want[i].target_begin);
	}
	/* the threaded batch (active level, chunks in length order) */
	memset(got, 0x5a, n * sizeof(*got));
	if (gdb_pool_new(3, &pool) ||
	    gdb_align_batch(sc, GDB_ALIGN_LOCAL, (const char *const *)qs, ls, n,
			    &t, &tlen, 1, pool, got))
		FAIL("%s: batch failed", what);
	gdb_pool_free(pool);
	for (size_t i = 0; i < n; i++)
		if (got[i].score != want[i].score ||
		    got[i].target_end != want[i].target_end ||
		    got[i].query_end != want[i].query_end)
			FAIL("%s: batch query %zu: %lld, scalar %lld", what, i,
			     (long long)got[i].score, (long long)want[i].score);
	gdb_align_ws_free(ws);
	free(want);
	free(got);
}

static void free_queries(char **qs, size_t n)
{
	for (size_t k = 0; k < n; k++)
		free(qs[k]);
}

static void random_groups(void)
{
	static const size_t sizes[] = {1,  2,  7,  8,  9,  15, 16, 17,
				       31, 32, 33, 63, 64, 65, 100};
	static const int scoring[][4] = {{2, -3, 5, 2},
					 {1, -4, 6, 1},
					 {5, -4, 10, 0},
					 {3, -1, 3, 3},
					 {-1, -2, 1, 1}};
	char *qs[100];
	size_t ls[100];

	for (unsigned it = 0; it < 60; it++) {
		const int *s = scoring[it % 5];
		gdb_align_scoring sc;
		size_t n = sizes[it % 15], tlen = rnd() % 3000;
		char *t = rand_seq(tlen, it % 7 == 0 ? "ACGTNacgt" : "ACGT");
		char what[64];

		if (gdb_align_scoring_dna(s[0], s[1], s[2], s[3], &sc))
			exit(T_EXIT_FAIL);
		for (size_t k = 0; k < n; k++) {
			/* short and long mixed in one group */
			ls[k] = rnd() % 4 ? rnd() % 40 : rnd() % 400;
			qs[k] = make_query(t, tlen, ls[k]);
		}
		snprintf(what, sizeof(what), "random %u", it);
		check_case(&sc, qs, ls, n, t, tlen, what);
		free_queries(qs, n);
		free(t);
	}
}

/* Exact hits of lengths at the 8- and 16-bit limits (match 1: 127 and
 * 128 bases; match 2: 63 and 64; match 127: 1 and 2, then 258 and 259 for
 * 16 bits), at the target's ends, repeated (ties). */
static void width_limits(void)
{
	static const size_t lens[] = {1,   2,	63,  64,  126,
				      127, 128, 129, 258, 259};
	gdb_align_scoring s1, s2, s127;
	size_t tlen = 40000, ls[20];
	char *t = rand_seq(tlen, "ACGT"), *qs[20];
	size_t n = 0;

	if (gdb_align_scoring_dna(1, -3, 5, 2, &s1) ||
	    gdb_align_scoring_dna(2, -3, 5, 2, &s2) ||
	    gdb_align_scoring_dna(127, -127, 127, 1, &s127))
		exit(T_EXIT_FAIL);
	memcpy(t + 20000, t, 300); /* the first piece twice: a tie */
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ls[n] = lens[i];
		qs[n] = xmalloc(lens[i] + 1);
		memcpy(qs[n], i % 2 ? t + tlen - lens[i] : t, lens[i]);
		n++;
	}
	check_case(&s1, qs, ls, n, t, tlen, "limits, match 1");
	check_case(&s2, qs, ls, n, t, tlen, "limits, match 2");
	check_case(&s127, qs, ls, n, t, tlen, "limits, match 127");
	free_queries(qs, n);
	/* all-N queries and an all-N target: every score 0 */
	for (n = 0; n < 20; n++) {
		ls[n] = n;
		qs[n] = xmalloc(n + 1);
		memset(qs[n], 'N', n);
	}
	check_case(&s2, qs, ls, n, t, tlen, "all-N queries");
	memset(t, 'N', 1000);
	check_case(&s2, qs, ls, n, t, 1000, "all-N target");
	check_case(&s2, qs, ls, n, t, 0, "empty target");
	free_queries(qs, n);
	free(t);
}

int main(void)
{
	gdb_simd_init();
	random_groups();
	width_limits();
	if (failures) {
		fprintf(stderr, "test_simd_many: %d failures\n", failures);
		return T_EXIT_FAIL;
	}
	printf("test_simd_many: ok\n");
	return T_EXIT_PASS;
}
