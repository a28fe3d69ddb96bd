/*
 * tests/unit/test_simd_align.c - the alignment kernels: every level's
 * score-only kernel against the scalar twin (scores and end cells), the
 * scalar twin against a textbook three-matrix Gotoh, known answers, and
 * tracebacks whose CIGAR must re-score to the reported score.
 *
 * Adversarial inputs: lengths 0, 1 and around every lane count (16, 32,
 * 64 and the 8/16/32-bit lane counts +-1), scores that saturate 8-bit
 * lanes (long identical sequences) and 16-bit lanes (> 32767), a strong
 * hit inside a long random target (8 -> 16 -> 8-bit switching), all-N,
 * lowercase, IUPAC letters, BLOSUM62 protein.
 *
 * Exit status: 0 pass, 1 fail (the first failures are printed).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simd/align.h"
#include "simd/simd.h"

#define UNIT_SEED 0x853c49e6748fea9bull
#include "tests/unit/unit.h"

static char *rand_seq(size_t n, const char *alpha)
{
	size_t k = strlen(alpha), i;
	char *s = malloc(n ? n : 1);

	if (!s)
		exit(1);
	for (i = 0; i < n; i++)
		s[i] = alpha[rnd() % k];
	return s;
}

/* mutate a copy: substitutions, small insertions and deletions */
static char *mutate(const char *s, size_t n, size_t *outn, const char *alpha)
{
	char *o = malloc(2 * n + 16);
	size_t i, k = 0, na = strlen(alpha);

	if (!o)
		exit(1);
	for (i = 0; i < n; i++) {
		unsigned r = (unsigned)(rnd() % 100);

		if (r < 5)
			o[k++] = alpha[rnd() % na];
		else if (r < 8)
			continue;
		else if (r < 11) {
			o[k++] = s[i];
			o[k++] = alpha[rnd() % na];
		} else
			o[k++] = s[i];
	}
	*outn = k;
	return o;
}

/* textbook Gotoh with three full matrices, rows = query */
static int64_t naive(const gdb_align_scoring *sc, int mode, const char *q,
		     size_t m, const char *t, size_t n)
{
	const int64_t NEG = -(1ll << 40);
	int64_t *H = malloc((m + 1) * (n + 1) * sizeof(int64_t));
	int64_t *E = malloc((m + 1) * (n + 1) * sizeof(int64_t));
	int64_t *F = malloc((m + 1) * (n + 1) * sizeof(int64_t));
	int64_t best = mode == GDB_ALIGN_LOCAL ? 0 : NEG, o = sc->gap_open,
		e = sc->gap_extend;
	size_t i, j;

#define AT(X, i, j) X[(i) * (n + 1) + (j)]
	for (i = 0; i <= m; i++)
		for (j = 0; j <= n; j++) {
			int64_t h;

			if (i == 0 || j == 0) {
				size_t L = i + j;

				AT(E, i, j) = AT(F, i, j) = NEG;
				AT(H, i, j) = (mode == GDB_ALIGN_GLOBAL && L)
						  ? -(o + (int64_t)(L - 1) * e)
						  : 0;
				continue;
			}
			AT(E, i, j) = AT(E, i, j - 1) - e > AT(H, i, j - 1) - o
					  ? AT(E, i, j - 1) - e
					  : AT(H, i, j - 1) - o;
			AT(F, i, j) = AT(F, i - 1, j) - e > AT(H, i - 1, j) - o
					  ? AT(F, i - 1, j) - e
					  : AT(H, i - 1, j) - o;
			h = AT(H, i - 1, j - 1) +
			    sc->matrix[sc->map[(unsigned char)q[i - 1]]]
				      [sc->map[(unsigned char)t[j - 1]]];
			if (AT(E, i, j) > h)
				h = AT(E, i, j);
			if (AT(F, i, j) > h)
				h = AT(F, i, j);
			if (mode == GDB_ALIGN_LOCAL && h < 0)
				h = 0;
			AT(H, i, j) = h;
			if (mode == GDB_ALIGN_LOCAL && h > best)
				best = h;
			if (mode == GDB_ALIGN_SEMIGLOBAL &&
			    (i == m || j == n) && h > best)
				best = h;
		}
	if (mode == GDB_ALIGN_GLOBAL)
		best = AT(H, m, n);
	if (mode == GDB_ALIGN_SEMIGLOBAL && (m == 0 || n == 0))
		best = 0;
#undef AT
	free(H);
	free(E);
	free(F);
	return best;
}

/* re-score a CIGAR over the box of r; -1e18 on a malformed CIGAR */
static int64_t rescore(const gdb_align_scoring *sc, const char *q,
		       const char *t, const gdb_align_result *r)
{
	const char *c = r->cigar;
	int64_t i = r->query_begin, j = r->target_begin, s = 0;

	while (*c) {
		char *e;
		long len = strtol(c, &e, 10), k;
		char op = *e;

		if (e == c || len <= 0)
			return -1000000000000000000ll;
		c = e + 1;
		if (op == '=' || op == 'X') {
			for (k = 0; k < len; k++, i++, j++) {
				int v =
				    sc->matrix[sc->map[(unsigned char)q[i]]]
					      [sc->map[(unsigned char)t[j]]];

				if ((op == '=') !=
				    (v > 0 && sc->map[(unsigned char)q[i]] ==
						  sc->map[(unsigned char)t[j]]))
					return -1000000000000000000ll;
				s += v;
			}
		} else if (op == 'I' || op == 'D') {
			s -= sc->gap_open + (len - 1) * sc->gap_extend;
			if (op == 'I')
				i += len;
			else
				j += len;
		} else {
			return -1000000000000000000ll;
		}
	}
	if (i != r->query_end || j != r->target_end)
		return -1000000000000000000ll;
	return s;
}

static const char *mode_name(int m)
{
	return m == 0 ? "local" : m == 1 ? "global" : "semiglobal";
}

static gdb_align_ws *ws;

static void compare_levels(const gdb_align_scoring *sc, int mode, const char *q,
			   size_t qn, const char *t, size_t tn, int check_naive,
			   const char *what)
{
	const gdb_align_kernels *ref = gdb_align_variant(GDB_SIMD_SCALAR);
	gdb_align_result r0, r;
	int l, rc;

	rc = ref->score(sc, mode, q, qn, t, tn, ws, &r0);
	if (rc) {
		FAIL("%s %s q%zu t%zu: scalar rc %d", what, mode_name(mode), qn,
		     tn, rc);
		return;
	}
	if (check_naive) {
		int64_t nv = naive(sc, mode, q, qn, t, tn);

		if (nv != r0.score)
			FAIL("%s %s q%zu t%zu: scalar %lld naive %lld", what,
			     mode_name(mode), qn, tn, (long long)r0.score,
			     (long long)nv);
	}
	for (l = 1; l < GDB_SIMD_NLEVELS; l++) {
		const gdb_align_kernels *k = gdb_align_variant(l);

		if (!k)
			continue;
		rc = k->score(sc, mode, q, qn, t, tn, ws, &r);
		if (rc || r.score != r0.score || r.query_end != r0.query_end ||
		    r.target_end != r0.target_end)
			FAIL(
			    "%s %s %s q%zu t%zu: rc %d score %lld end %lld,%lld"
			    " vs scalar %lld end %lld,%lld",
			    what, k->name, mode_name(mode), qn, tn, rc,
			    (long long)r.score, (long long)r.query_end,
			    (long long)r.target_end, (long long)r0.score,
			    (long long)r0.query_end, (long long)r0.target_end);
	}
	/* traceback through the active level */
	rc = gdb_align(sc, mode, q, qn, t, tn, GDB_ALIGN_TRACE, ws, &r);
	if (rc || r.score != r0.score) {
		FAIL("%s %s trace q%zu t%zu: rc %d score %lld vs %lld", what,
		     mode_name(mode), qn, tn, rc, (long long)r.score,
		     (long long)r0.score);
	} else {
		int64_t s = rescore(sc, q, t, &r);

		if (s != r.score)
			FAIL("%s %s trace q%zu t%zu: cigar %s rescored %lld, "
			     "score %lld",
			     what, mode_name(mode), qn, tn, r.cigar,
			     (long long)s, (long long)r.score);
		if (mode == GDB_ALIGN_GLOBAL &&
		    (r.query_begin || r.target_begin ||
		     r.query_end != (int64_t)qn || r.target_end != (int64_t)tn))
			FAIL("global box");
	}
}

static void known(void)
{
	gdb_align_scoring sc;
	gdb_align_result r;
	struct {
		const char *q, *t;
		int mode;
		int64_t score;
		const char *cigar;
	} k[] = {
	    {"ACGT", "ACGT", 0, 8, "4="},
	    {"ACGTTACG", "ACGTACG", 0, 9, "3=1I4="},
	    {"acgt", "ACGT", 0, 8, "4="},
	    {"NNNN", "NNNN", 0, 0, ""},
	    {"AXGT", "AYGT", 0, 4, "2="},
	    {"ACGT", "ACGT", 1, 8, "4="},
	    {"ACGT", "AGT", 1, 4 - 5 + 2, "1=1I2="},
	    {"A", "", 1, -5, "1I"},
	    {"", "ACG", 1, -9, "3D"},
	    {"TTTTACGT", "ACGTGGGG", 2, 8, "4="},
	    /* U is T, any case, on both sides (RNA against DNA) */
	    {"ACGU", "ACGT", 0, 8, "4="},
	    {"acgt", "AcGu", 0, 8, "4="},
	    {"UUUU", "TTTT", 1, 8, "4="},
	    {"GGUUAUU", "CCGGTTATTCC", 2, 14, "7="},
	};
	size_t i;

	if (gdb_align_scoring_dna(2, -3, 5, 2, &sc))
		FAIL("scoring");
	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		int rc =
		    gdb_align(&sc, k[i].mode, k[i].q, strlen(k[i].q), k[i].t,
			      strlen(k[i].t), GDB_ALIGN_TRACE, ws, &r);

		if (rc || r.score != k[i].score || strcmp(r.cigar, k[i].cigar))
			FAIL("known %zu (%s/%s): rc %d score %lld cigar %s", i,
			     k[i].q, k[i].t, rc, (long long)r.score,
			     rc ? "-" : r.cigar);
	}
	if (gdb_align_scoring_dna(2, -3, 1, 2, &sc) != -EINVAL)
		FAIL("extend > open accepted");
	if (gdb_align_scoring_blosum62(11, 1, &sc) ||
	    gdb_align(&sc, 0, "AAAA", 4, "AAAA", 4, 0, ws, &r) || r.score != 16)
		FAIL("blosum AAAA");
}

/*
 * Local alignment against long targets, where the vector levels cut the
 * target into one segment a lane (align_seg.h): copies of the query
 * planted across the segments' seams (ceil(tn / 64) and ceil(tn / 32)
 * columns apart), in many segments at once (the lanes that near 8-bit
 * saturation are redone; with many, the 16-bit lanes run), tied hits
 * (the first target end, then the first query end, must win), N, U and
 * lowercase in the target, extend == open, extend 0 (the striped kernel
 * then) and protein. Every level against the scalar twin.
 */
static void test_segmented(const gdb_align_scoring *dna,
			   const gdb_align_scoring *dna2,
			   const gdb_align_scoring *dna3,
			   const gdb_align_scoring *prot)
{
	static const struct {
		size_t qn, tn;
		unsigned copies;
		int seams, tie;
	} c[] = {
	    {8, 6000, 0, 0, 0},	   {30, 20000, 1, 1, 0},  {30, 20000, 3, 1, 1},
	    {100, 40000, 2, 1, 0}, {64, 40000, 30, 0, 1}, {16, 9000, 5, 1, 1},
	    {8, 40000, 6, 1, 1},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const size_t qn = c[i].qn, tn = c[i].tn;
		char *q = rand_seq(qn, "ACGT"), *t = rand_seq(tn, "ACGTacgtNU");
		char *p = rand_seq(qn, "ARNDCQEGHILKMFPSTWYV");
		char *pt = rand_seq(tn, "ARNDCQEGHILKMFPSTWYVX");

		for (unsigned k = 0; k < c[i].copies; k++) {
			size_t seg = c[i].seams ? (tn + (k & 1 ? 31 : 63)) /
						      (k & 1 ? 32 : 64)
						: tn / (c[i].copies + 1);
			size_t at = (k + 1) * seg, n;
			char *m = c[i].tie ? NULL : mutate(q, qn, &n, "ACGT");

			at = at > qn / 2 ? at - qn / 2 : 0;
			if (at + 2 * qn >= tn)
				at = tn - 2 * qn - 1;
			memcpy(t + at, m ? m : q, m ? n : qn);
			memcpy(pt + at, p, qn);
			free(m);
		}
		compare_levels(dna, GDB_ALIGN_LOCAL, q, qn, t, tn, 0,
			       "seg dna");
		compare_levels(dna2, GDB_ALIGN_LOCAL, q, qn, t, tn, 0,
			       "seg dna2");
		if (i < 3)
			compare_levels(dna3, GDB_ALIGN_LOCAL, q, qn, t, tn, 0,
				       "seg dna3");
		if (qn < 20) /* protein scores reach 11: short queries */
			compare_levels(prot, GDB_ALIGN_LOCAL, p, qn, pt, tn, 0,
				       "seg prot");
		free(q);
		free(t);
		free(p);
		free(pt);
	}
}

int main(void)
{
	static const size_t lens[] = {0,  1,  2,  3,   7,   8,	 9,   15,
				      16, 17, 31, 32,  33,  63,	 64,  65,
				      95, 96, 97, 127, 128, 129, 200, 300};
	const size_t nl = sizeof(lens) / sizeof(lens[0]);
	gdb_align_scoring dna, dna2, dna3, prot;
	size_t a, b, i;
	int mode;

	if (gdb_align_ws_new(&ws))
		return 1;
	known();
	if (gdb_align_scoring_dna(2, -3, 5, 2, &dna) ||
	    gdb_align_scoring_dna(1, -1, 1, 1, &dna2) ||
	    gdb_align_scoring_dna(5, -4, 10, 0, &dna3) ||
	    gdb_align_scoring_blosum62(11, 1, &prot))
		return 1;

	/* random pairs over the length grid, related and unrelated */
	for (a = 0; a < nl; a++)
		for (b = 0; b < nl; b++) {
			size_t tn;
			char *q = rand_seq(lens[a], "ACGT");
			char *t = (rnd() & 1) ? mutate(q, lens[a], &tn, "ACGT")
					      : (tn = lens[b],
						 rand_seq(lens[b], "ACGT"));

			for (mode = 0; mode < 3; mode++) {
				compare_levels(&dna, mode, q, lens[a], t, tn,
					       lens[a] * tn < 20000, "dna");
				compare_levels(&dna2, mode, q, lens[a], t, tn,
					       lens[a] * tn < 20000, "dna2");
				compare_levels(&dna3, mode, q, lens[a], t, tn,
					       lens[a] * tn < 20000, "dna3");
			}
			free(q);
			free(t);
		}
	/* lowercase, N, IUPAC, protein */
	for (i = 0; i < 60; i++) {
		size_t qn = 1 + rnd() % 150, tn;
		char *q = rand_seq(qn, "ACGTacgtNNRYnUu");
		char *t = mutate(q, qn, &tn, "ACGTacgtNSW-Uu");
		char *p = rand_seq(qn, "ARNDCQEGHILKMFPSTWYVBZX*arnd");
		char *pt = mutate(p, qn, &tn, "ARNDCQEGHILKMFPSTWYV");

		for (mode = 0; mode < 3; mode++) {
			compare_levels(&dna, mode, q, qn, t, tn, 1, "mixed");
			compare_levels(&prot, mode, p, qn, pt, tn, 1, "prot");
		}
		free(q);
		free(t);
		free(p);
		free(pt);
	}
	test_segmented(&dna, &dna2, &dna3, &prot);
	/* all N */
	{
		char *n = rand_seq(100, "N");

		for (mode = 0; mode < 3; mode++)
			compare_levels(&dna, mode, n, 100, n, 100, 1, "allN");
		free(n);
	}
	/* saturation: identical sequences (8-bit at 64+ bases, 16-bit at
	 * 16384+), and a hit in a long target (widths switch up and down) */
	{
		static const size_t sat[] = {62,  63,  64,   65,   127,
					     128, 500, 1000, 17000};
		char *t;
		size_t tn = 60000;

		for (i = 0; i < sizeof(sat) / sizeof(sat[0]); i++) {
			char *q = rand_seq(sat[i], "ACGT");

			for (mode = 0; mode < 3; mode++)
				compare_levels(&dna, mode, q, sat[i], q, sat[i],
					       sat[i] <= 1000, "identical");
			free(q);
		}
		t = rand_seq(tn, "ACGT");
		for (i = 0; i < 3; i++) {
			size_t qn = i == 0 ? 300 : i == 1 ? 100 : 1500;
			char *q = rand_seq(qn, "ACGT");

			memcpy(t + 5000 + 20000 * i, q, qn);
			memcpy(t + 45000 - 7000 * i, q, qn / 2);
			for (mode = 0; mode < 3; mode++)
				compare_levels(&dna, mode, q, qn, t, tn, 0,
					       "embedded");
			free(q);
		}
		free(t);
	}
	/* batch == one at a time */
	{
		const char *qs[20];
		size_t ql[20];
		gdb_align_result out[20], one;
		char *t = rand_seq(5000, "ACGT");
		size_t tl = 5000;

		for (i = 0; i < 20; i++) {
			ql[i] = 10 + rnd() % 200;
			qs[i] = rand_seq(ql[i], "ACGT");
			memcpy(t + 200 * i, qs[i], ql[i] / 2);
		}
		gdb_pool *pool;

		if (gdb_pool_new(2, &pool) ||
		    gdb_align_batch(&dna, 0, qs, ql, 20,
				    (const char *const *)&t, &tl, 1, pool, out))
			FAIL("batch rc");
		gdb_pool_free(pool);
		for (i = 0; i < 20; i++) {
			if (gdb_align(&dna, 0, qs[i], ql[i], t, tl, 0, ws,
				      &one) ||
			    one.score != out[i].score ||
			    one.target_end != out[i].target_end)
				FAIL("batch %zu: %lld vs %lld", i,
				     (long long)out[i].score,
				     (long long)one.score);
			free((void *)qs[i]);
		}
		free(t);
	}
	gdb_align_ws_free(ws);
	if (failures) {
		fprintf(stderr, "test_simd_align: %d failures\n", failures);
		return 1;
	}
	printf("test_simd_align: ok\n");
	return 0;
}
