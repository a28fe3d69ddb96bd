/*
 * tests/unit/test_simd_scan.c - the scanning kernels: base composition,
 * k-mer counting, IUPAC pattern search and PWM scanning. Every level
 * against the scalar twin, and the scalar twins against naive
 * definitions written here from simd.h, on random and adversarial input
 * (every length 0..200, lengths around the 64-byte blocks and the 4096
 * position chunks, lowercase, N, IUPAC codes, U, arbitrary bytes), plus
 * known answers for the p-values (the motif file parsers: test_motif.c).
 *
 * Exit status: 0 pass, 1 fail (the first failures are printed).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gdb.h"
#include "simd/kmer.h"
#include "simd/motif.h"
#include "simd/simd.h"

#define UNIT_SEED 0x2545f4914f6cdd1dull
#include "tests/unit/unit.h"

/* each level's tables: byte kernels (name, comp), k-mers, motifs */
static const gdb_simd_kernels *lv[GDB_SIMD_NLEVELS];
static const gdb_kmer_kernels *km[GDB_SIMD_NLEVELS];
static const gdb_motif_kernels *mo[GDB_SIMD_NLEVELS];

static const char *alphabets[] = {
    "ACGT", "ACGTN", "acgtACGTnN", "ACGTRYSWKMBDHVNUu",
    "CG",   "N",     NULL, /* arbitrary bytes */
};

static char *rand_seq(size_t n, int which)
{
	char *s = xmalloc(n);
	const char *a = alphabets[which];
	size_t i, k = a ? strlen(a) : 0;

	for (i = 0; i < n; i++)
		s[i] = a ? a[rnd() % k] : (char)rnd();
	return s;
}

static size_t interesting_len(unsigned i)
{
	static const size_t big[] = {255,  256,	 257,	4095, 4096,
				     4097, 4159, 4160,	4161, 8191,
				     8192, 8250, 12345, 70000};

	if (i <= 200)
		return i;
	return big[(i - 201) % (sizeof(big) / sizeof(big[0]))];
}
#define NLENS (201 + 14)

/* ---- composition ---- */

static void naive_comp(const char *s, size_t n, gdb_comp *o)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case 'A':
		case 'a':
			o->a++;
			break;
		case 'C':
		case 'c':
			o->c++;
			break;
		case 'G':
		case 'g':
			o->g++;
			break;
		case 'T':
		case 't':
		case 'U':
		case 'u':
			o->t++;
			break;
		case 'S':
		case 's':
			o->s++;
			break;
		case 'W':
		case 'w':
			o->w++;
			break;
		default:
			o->other++;
		}
		if (i + 1 < n && (s[i] == 'C' || s[i] == 'c') &&
		    (s[i + 1] == 'G' || s[i + 1] == 'g'))
			o->cpg++;
	}
}

static void test_comp(void)
{
	unsigned li, a, l;

	for (li = 0; li < NLENS; li++)
		for (a = 0; alphabets[a] || a == 6; a++) {
			size_t n = interesting_len(li);
			char *s = rand_seq(n, (int)a);
			gdb_comp ref, got;

			naive_comp(s, n, &ref);
			for (l = 0; l < GDB_SIMD_NLEVELS; l++) {
				if (!lv[l])
					continue;
				memset(&got, 0x5a, sizeof(got));
				lv[l]->comp(s, n, &got);
				if (memcmp(&got, &ref, sizeof(ref)))
					FAIL("comp %s n=%zu alpha %u: a%llu "
					     "c%llu "
					     "cpg%llu vs a%llu c%llu cpg%llu",
					     lv[l]->name, n, a,
					     (unsigned long long)got.a,
					     (unsigned long long)got.c,
					     (unsigned long long)got.cpg,
					     (unsigned long long)ref.a,
					     (unsigned long long)ref.c,
					     (unsigned long long)ref.cpg);
			}
			free(s);
			if (a == 6)
				break;
		}
	/* windows */
	{
		gdb_comp w[64];
		char s[] = "ACGTNNNNsw";
		gdb_comp one;

		if (gdb_comp_nwindows(10, 4, 4) != 3 ||
		    gdb_comp_nwindows(10, 4, 3) != 3 ||
		    gdb_comp_nwindows(0, 4, 4) != 0 ||
		    gdb_comp_nwindows(3, 4, 1) != 1)
			FAIL("nwindows");
		if (gdb_comp_windows(s, 10, 4, 4, w, 64) != 3 || w[2].s != 1 ||
		    w[2].w != 1 || w[1].other != 4)
			FAIL("windows");
		if (gdb_comp_windows(s, 10, 4, 4, w, 2) != -ENOSPC ||
		    gdb_comp_windows(s, 10, 0, 4, w, 2) != -EINVAL)
			FAIL("windows errors");
		gdb_comp_windows(s, 4, 4, 4, &one, 1);
		if (fabs(gdb_comp_gc(&one) - 0.5) > 1e-12 ||
		    fabs(gdb_comp_gc(&w[1])) > 1e-12 ||
		    fabs(gdb_comp_gc(&w[2]) - 0.5) > 1e-12)
			FAIL("gc");
	}
}

/* ---- k-mers ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_entry(const void *a, const void *b)
{
	const gdb_kmer_entry *x = a, *y = b;

	return x->kmer < y->kmer ? -1 : x->kmer > y->kmer;
}

static int code_of(char c)
{
	switch (c) {
	case 'A':
	case 'a':
		return 0;
	case 'C':
	case 'c':
		return 1;
	case 'G':
	case 'g':
		return 2;
	case 'T':
	case 't':
	case 'U':
	case 'u':
		return 3; /* U is T */
	default:
		return -1;
	}
}

static void test_kmer_one(const char *s, size_t n, unsigned k, unsigned fl)
{
	uint64_t *ref = xmalloc(n * sizeof(uint64_t));
	size_t nref = 0, i, j, nd = 0;
	gdb_kmer_entry *e = xmalloc((n + 1) * sizeof(*e)), *e0 = NULL;
	size_t ne0 = 0;
	unsigned l;

	/* naive: every window of k valid bases, canonical by min */
	for (i = 0; i + k <= n; i++) {
		uint64_t f = 0, r = 0;

		for (j = 0; j < k; j++) {
			int c = code_of(s[i + j]);

			if (c < 0)
				break;
			f = f << 2 | (uint64_t)c;
			r |= (uint64_t)(3 - c) << (2 * j);
		}
		if (j < k)
			continue;
		ref[nref++] = (fl & GDB_KMER_CANONICAL) && r < f ? r : f;
	}
	qsort(ref, nref, sizeof(uint64_t), cmp_u64);
	for (i = 0; i < nref; i++)
		nd += !i || ref[i] != ref[i - 1];
	for (l = 0; l < GDB_SIMD_NLEVELS; l++) {
		gdb_kmer_table *t;
		gdb_kmer_stats st;
		size_t ne, x, y;

		if (!lv[l])
			continue;
		if (gdb_kmer_table_new(k, fl, 1 << 20, &t)) {
			FAIL("kmer table");
			continue;
		}
		if (km[l]->count(t, s, n))
			FAIL("kmer count rc");
		gdb_kmer_get_stats(t, &st);
		ne = gdb_kmer_dump(t, e, n + 1);
		qsort(e, ne, sizeof(*e), cmp_entry);
		if (st.total != nref || st.distinct != nd || ne != nd)
			FAIL("kmer %s k=%u n=%zu: total %llu/%zu distinct "
			     "%llu/%zu",
			     lv[l]->name, k, n, (unsigned long long)st.total,
			     nref, (unsigned long long)st.distinct, nd);
		for (x = 0, y = 0; x < ne && y < nref; x++) {
			uint64_t c = 0;

			while (y < nref && ref[y] == e[x].kmer) {
				c++;
				y++;
			}
			if (c != e[x].count) {
				FAIL("kmer %s k=%u: count of %llx %llu vs %llu",
				     lv[l]->name, k,
				     (unsigned long long)e[x].kmer,
				     (unsigned long long)e[x].count,
				     (unsigned long long)c);
				break;
			}
		}
		if (!e0) {
			e0 = xmalloc((ne + 1) * sizeof(*e));
			memcpy(e0, e, ne * sizeof(*e));
			ne0 = ne;
		} else if (ne != ne0 || memcmp(e, e0, ne * sizeof(*e))) {
			FAIL("kmer %s differs from scalar", lv[l]->name);
		}
		gdb_kmer_table_free(t);
	}
	free(e0);
	free(ref);
	free(e);
}

static void test_kmer(void)
{
	static const unsigned ks[] = {1, 2, 3, 5, 11, 16, 21, 31};
	unsigned i, k, l;

	for (i = 0; i < 60; i++) {
		size_t n = interesting_len(i * 7 % NLENS);
		char *s = rand_seq(n, i % 4); /* 3: IUPAC, N, U and u */

		for (k = 0; k < 8; k++) {
			test_kmer_one(s, n, ks[k], 0);
			test_kmer_one(s, n, ks[k], GDB_KMER_CANONICAL);
		}
		free(s);
	}
	/* overflow: a tiny table, same drops at every level */
	{
		char *s = rand_seq(100000, 0);
		uint64_t dropped0 = 0;

		for (l = 0; l < GDB_SIMD_NLEVELS; l++) {
			gdb_kmer_table *t;
			gdb_kmer_stats st;

			if (!lv[l] || gdb_kmer_table_new(15, 0, 0, &t))
				continue;
			if (km[l]->count(t, s, 100000) != -ENOSPC)
				FAIL("kmer overflow rc");
			gdb_kmer_get_stats(t, &st);
			if (st.distinct != st.capacity || st.dropped + 0 == 0 ||
			    (l && st.dropped != dropped0))
				FAIL("kmer overflow stats %s", lv[l]->name);
			dropped0 = st.dropped;
			gdb_kmer_table_free(t);
		}
		free(s);
	}
	/* top-N, merge, encode/decode */
	{
		gdb_kmer_table *a, *b;
		gdb_kmer_entry top[3];
		uint64_t v;
		char buf[4];

		if (gdb_kmer_table_new(2, 0, 4096, &a) ||
		    gdb_kmer_table_new(2, 0, 4096, &b))
			exit(1);
		gdb_kmer_count(a, "AAAACCG", 7);
		gdb_kmer_count(b, "CCGTCC", 6);
		if (gdb_kmer_table_merge(a, b))
			FAIL("merge");
		/* AA3 AC1 CC3 CG2 GT1 TC1 */
		if (gdb_kmer_top(a, top, 3) != 3 || top[0].kmer != 0 ||
		    top[0].count != 3 || top[1].kmer != 5 || top[2].kmer != 6 ||
		    top[2].count != 2)
			FAIL("top");
		if (gdb_kmer_encode("GT", 2, &v) || v != 11 ||
		    gdb_kmer_encode("GN", 2, &v) != -EINVAL ||
		    gdb_kmer_encode("gu", 2, &v) || v != 11)
			FAIL("encode");
		gdb_kmer_decode(11, 3, buf);
		if (memcmp(buf, "AGT", 3))
			FAIL("decode");
		gdb_kmer_table_free(a);
		gdb_kmer_table_free(b);
	}
}

/* Count seq at every level into a table of this bound (then s2[0, n2)
 * when s2 is not NULL: a second region into the same table); each level's
 * table must hold what the scalar one holds (the same k-mers and counts,
 * the same stats and return code; large regions go in partitioned by slot
 * at the vector levels, so the slots' order may differ). Returns the
 * scalar table (caller frees) and its last count's return code in *rc0. */
static gdb_kmer_table *kmer_levels2(const char *s, size_t n, const char *s2,
				    size_t n2, unsigned k, unsigned fl,
				    size_t bound, int *rc0, const char *what)
{
	gdb_kmer_table *t0 = NULL;
	gdb_kmer_entry *e0 = NULL, *e = NULL;
	size_t ne0 = 0;
	unsigned l;

	for (l = 0; l < GDB_SIMD_NLEVELS; l++) {
		gdb_kmer_table *t;
		gdb_kmer_stats st, st0;
		size_t ne;
		int rc;

		if (!lv[l])
			continue;
		if (gdb_kmer_table_new(k, fl, bound, &t)) {
			FAIL("%s: table", what);
			continue;
		}
		rc = km[l]->count(t, s, n);
		if (s2)
			rc = km[l]->count(t, s2, n2);
		gdb_kmer_get_stats(t, &st);
		ne = gdb_kmer_dump(t, NULL, 0);
		e = xmalloc((ne + 1) * sizeof(*e));
		if (gdb_kmer_dump(t, e, ne) != ne || ne != st.distinct)
			FAIL("%s %s: dump of %zu, distinct %llu", what,
			     lv[l]->name, ne, (unsigned long long)st.distinct);
		qsort(e, ne, sizeof(*e), cmp_entry);
		if (!t0) {
			t0 = t;
			*rc0 = rc;
			e0 = e;
			ne0 = ne;
			continue;
		}
		gdb_kmer_get_stats(t0, &st0);
		if (rc != *rc0 || memcmp(&st, &st0, sizeof(st)) || ne != ne0 ||
		    memcmp(e, e0, ne * sizeof(*e)))
			FAIL("%s %s: rc %d distinct %llu dropped %llu, table "
			     "differs from scalar (rc %d distinct %llu dropped "
			     "%llu)",
			     what, lv[l]->name, rc,
			     (unsigned long long)st.distinct,
			     (unsigned long long)st.dropped, *rc0,
			     (unsigned long long)st0.distinct,
			     (unsigned long long)st0.dropped);
		free(e);
		gdb_kmer_table_free(t);
	}
	free(e0);
	return t0;
}

static gdb_kmer_table *kmer_levels(const char *s, size_t n, unsigned k,
				   unsigned fl, size_t bound, int *rc0,
				   const char *what)
{
	return kmer_levels2(s, n, NULL, 0, k, fl, bound, rc0, what);
}

/*
 * The vector levels' insertion of a partition (simd/kmer_part.h) off its
 * fast path, each level against the scalar twin: (a) a second region into
 * a table already 43% full that ends 86% full, so probes often pass more
 * than the 4 or 8 slots a level looks at; (b) k-mers that the sample of
 * kmer_sort.c never sees (their hashes' sample bits are not zero), so the
 * distinct estimate is 0 and the table grows while partitions go in.
 */
static void test_kmer_part_paths(void)
{
	const size_t na = 450000, nb = 32 * 100000;
	char *a = rand_seq(na, 0), *a2 = rand_seq(na, 0), *b = xmalloc(nb);
	gdb_kmer_table *t;
	int rc;

	t = kmer_levels2(a, na, a2, na, 31, 0, 12u << 20, &rc, "part full");
	if (!t || rc)
		FAIL("part full: rc %d", rc);
	gdb_kmer_table_free(t);
	for (size_t i = 0; i < nb; i += 32) {
		uint64_t v;

		do
			v = rnd() >> 2;
		while (!((v * 0x9e3779b97f4a7c15ull >> 24) & 255));
		gdb_kmer_decode(v, 31, b + i);
		b[i + 31] = 'N';
	}
	t = kmer_levels(b, nb, 31, 0, 64u << 20, &rc, "part unsampled");
	if (t) {
		gdb_kmer_stats st;

		gdb_kmer_get_stats(t, &st);
		if (rc || st.distinct != nb / 32 || st.total != nb / 32)
			FAIL("part unsampled: rc %d distinct %llu", rc,
			     (unsigned long long)st.distinct);
		gdb_kmer_table_free(t);
	}
	free(a);
	free(a2);
	free(b);
}

/* The k-mers of s at these places (the seam, then random ones) count the
 * same in a and b. */
static int seam_same(const gdb_kmer_table *a, const gdb_kmer_table *b,
		     const char *s, size_t n, size_t seam)
{
	for (size_t i = 0; i < 20000; i++) {
		size_t at = i < 100 ? seam - 50 + i : rnd() % (n - 31);
		uint64_t v, r = 0, c;

		if (gdb_kmer_encode(s + at, 31, &v))
			continue;
		c = v;
		for (unsigned j = 0; j < 31; j++, c >>= 2)
			r = r << 2 | (3 - (c & 3));
		v = r < v ? r : v;
		if (gdb_kmer_lookup(a, v) != gdb_kmer_lookup(b, v))
			return 0;
	}
	return 1;
}

/* See test_kmer_large: a region of two batches (8 Mi bases each). */
static void test_kmer_seam(void)
{
	const size_t n = (8u << 20) + 70001, seam = 8u << 20;
	char *s = rand_seq(n, 0);
	gdb_kmer_table *t0, *t;
	gdb_kmer_stats st0, st;
	unsigned l;

	s[seam + 7] = 'N';
	if (gdb_kmer_table_new(31, GDB_KMER_CANONICAL, (size_t)1 << 30, &t0) ||
	    km[0]->count(t0, s, n))
		FAIL("seam: scalar");
	gdb_kmer_get_stats(t0, &st0);
	for (l = 1; l < GDB_SIMD_NLEVELS; l++) {
		if (!lv[l] || gdb_kmer_table_new(31, GDB_KMER_CANONICAL,
						 (size_t)1 << 30, &t))
			continue;
		if (km[l]->count(t, s, n))
			FAIL("seam %s: rc", lv[l]->name);
		gdb_kmer_get_stats(t, &st);
		if (memcmp(&st, &st0, sizeof(st0)))
			FAIL("seam %s: distinct %llu total %llu, scalar %llu "
			     "%llu",
			     lv[l]->name, (unsigned long long)st.distinct,
			     (unsigned long long)st.total,
			     (unsigned long long)st0.distinct,
			     (unsigned long long)st0.total);
		if (!seam_same(t, t0, s, n, seam))
			FAIL("seam %s: a k-mer's count differs", lv[l]->name);
		gdb_kmer_table_free(t);
	}
	gdb_kmer_table_free(t0);
	free(s);
}

/*
 * Large regions (the vector levels partition their k-mers by slot before
 * they go in): random and repetitive sequence, with N runs, canonical or
 * not; and bounds that make the table fill during the count, where
 * which k-mers are dropped must follow the sequence as in the scalar
 * twin. Every level's table holds the scalar's (kmer_levels). Then a
 * region of more than one 8 Mi-base batch, so k-mers span two batches:
 * the same stats at every level, and the same counts around the seam
 * and at random places.
 */
static void test_kmer_large(void)
{
	static const struct {
		size_t n;
		unsigned k, fl;
		size_t bound;
		int repeat;
	} c[] = {
	    {300000, 21, GDB_KMER_CANONICAL, 64u << 20, 0},
	    {300000, 31, 0, 64u << 20, 1},
	    {1u << 20, 15, 0, 64u << 20, 0},
	    {300000, 25, 0, 3u << 20, 0}, /* fills: 256 Ki slots */
	    {600000, 19, GDB_KMER_CANONICAL, 6u << 20, 0}, /* fills */
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char *s = rand_seq(c[i].n, 0), what[64];
		gdb_kmer_table *t;
		gdb_kmer_stats st;
		int rc;

		for (size_t j = 5000; j + 5 < c[i].n; j += 9973)
			memset(s + j, 'N', 1 + j % 5); /* N runs */
		if (c[i].repeat) /* a 1000-base unit again and again */
			for (size_t j = 1000; j < c[i].n; j++)
				s[j] = s[j % 1000];
		snprintf(what, sizeof(what), "large %zu", i);
		t = kmer_levels(s, c[i].n, c[i].k, c[i].fl, c[i].bound, &rc,
				what);
		if (t) {
			gdb_kmer_get_stats(t, &st);
			if ((c[i].bound < (8u << 20)) != (rc == -ENOSPC) ||
			    (rc == -ENOSPC) != (st.dropped > 0))
				FAIL("%s: rc %d dropped %llu", what, rc,
				     (unsigned long long)st.dropped);
			gdb_kmer_table_free(t);
		}
		free(s);
	}
	test_kmer_seam();
}

/*
 * The table grows from 256 slots by doubling at half load up to the
 * bound, then fills to 7/8 and drops. Across every growth step and at
 * the bound: exact counts (lookup against the naive count), the same
 * table at every level, capacity fixed by the bound from the start,
 * -ENOSPC exactly when something was dropped, and merge, clear and
 * lookup on grown tables.
 */
static void test_kmer_growth(void)
{
	/* slots at the bound: 256 (also below one table), 512, 4096, 2^16 */
	static const size_t bounds[] = {0, 3071, 6144, 49152, 786432};
	static const size_t lens[] = {20,    128 + 30, 129 + 30, 500,
				      1000,  2100,     3700,	 5000,
				      40000, 57400,    60000};
	size_t bi, li;
	unsigned it, l;

	for (bi = 0; bi < sizeof(bounds) / sizeof(bounds[0]); bi++) {
		uint64_t slots = 256, cap;

		while (slots * 2 * 12 <= bounds[bi])
			slots *= 2;
		cap = slots - slots / 8;
		for (li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
			size_t n = lens[li], i, nref = 0;
			char *s = rand_seq(n, (int)(li % 3));
			uint64_t *ref = xmalloc((n + 1) * sizeof(*ref));
			gdb_kmer_table *t;
			gdb_kmer_stats st;
			int rc;

			for (i = 0; i + 31 <= n; i++) {
				uint64_t v;

				if (!gdb_kmer_encode(s + i, 31, &v))
					ref[nref++] = v;
			}
			t = kmer_levels(s, n, 31, 0, bounds[bi], &rc, "growth");
			if (!t)
				goto next;
			gdb_kmer_get_stats(t, &st);
			if (st.capacity != cap || st.total != nref ||
			    (rc == -ENOSPC) != (st.dropped > 0) ||
			    (rc && rc != -ENOSPC) || st.distinct > cap ||
			    (st.dropped && st.distinct != cap))
				FAIL("growth bound %zu n %zu: rc %d distinct "
				     "%llu dropped %llu capacity %llu (want "
				     "%llu)",
				     bounds[bi], n, rc,
				     (unsigned long long)st.distinct,
				     (unsigned long long)st.dropped,
				     (unsigned long long)st.capacity,
				     (unsigned long long)cap);
			/* random 31-mers are distinct: each admitted once */
			if (!st.dropped)
				for (i = 0; i < nref; i++)
					if (gdb_kmer_lookup(t, ref[i]) != 1) {
						FAIL("growth lookup n %zu", n);
						break;
					}
			if (gdb_kmer_lookup(t, UINT64_MAX) ||
			    gdb_kmer_lookup(t, 1ull << 63) ||
			    gdb_kmer_lookup(t, (1ull << 62) - 1))
				FAIL("growth lookup of no k-mer");
			/* clear keeps the grown table; counting again gives
			 * the same stats */
			{
				gdb_kmer_stats st2;

				gdb_kmer_table_clear(t);
				gdb_kmer_get_stats(t, &st2);
				if (st2.distinct || st2.total || st2.dropped ||
				    gdb_kmer_dump(t, NULL, 0))
					FAIL("clear");
				if (gdb_kmer_count(t, s, n) != rc)
					FAIL("count after clear rc");
				gdb_kmer_get_stats(t, &st2);
				if (memcmp(&st, &st2, sizeof(st)))
					FAIL("count after clear: distinct %llu "
					     "vs %llu",
					     (unsigned long long)st2.distinct,
					     (unsigned long long)st.distinct);
			}
			gdb_kmer_table_free(t);
		next:
			free(ref);
			free(s);
		}
	}
	/*
	 * Clusters that wrap around the end of the table while it doubles:
	 * k-mers whose home is near the end of the 256- or 512-slot table
	 * (the rehash must carry the wrapped ones back past the end, and may
	 * not leave a hole on a probe path), mixed with random ones, one
	 * k-mer per call so the order is known; many small tables, as each
	 * arrangement is a matter of luck.
	 */
	for (it = 0; it < 300; it++) {
		uint64_t keys[400], v;
		unsigned edge = 200 + (unsigned)(it % 56), nk = 0, i;
		char buf[31];
		gdb_kmer_table *t;

		while (nk < 260 + it % 140) {
			uint64_t h;

			v = rnd() >> 2;
			h = v * 0x9e3779b97f4a7c15ull;
			if (nk % 4 == 0 || (nk % 4 == 1 && h >> 56 >= edge) ||
			    (nk % 4 >= 2 && h >> 55 >= 2 * edge + 1))
				keys[nk++] = v;
		}
		l = it % GDB_SIMD_NLEVELS;
		if (!lv[l])
			l = 0;
		if (gdb_kmer_table_new(31, 0, 1 << 16, &t))
			exit(1);
		for (i = 0; i < nk; i++) {
			gdb_kmer_decode(keys[i], 31, buf);
			if (km[l]->count(t, buf, 31))
				FAIL("wrap count");
		}
		for (i = 0; i < nk; i++)
			if (gdb_kmer_lookup(t, keys[i]) != 1) {
				FAIL("wrap %s: k-mer %u of %u lost in a rehash",
				     lv[l]->name, i, nk);
				break;
			}
		gdb_kmer_table_free(t);
	}
	/* merge into a table that must grow, then into one that fills */
	{
		size_t n = 9000;
		char *a = rand_seq(n, 0), *b = rand_seq(n, 0);
		gdb_kmer_table *ta, *tb, *tsmall, *tall;
		gdb_kmer_stats sa, sb, sm;
		const unsigned cn = GDB_KMER_CANONICAL;
		uint64_t v;
		size_t i;

		if (gdb_kmer_table_new(25, cn, 1 << 20, &ta) ||
		    gdb_kmer_table_new(25, cn, 1 << 20, &tb) ||
		    gdb_kmer_table_new(25, cn, 1 << 20, &tall) ||
		    gdb_kmer_table_new(25, cn, 49152, &tsmall))
			exit(1);
		if (gdb_kmer_count(ta, a, n) || gdb_kmer_count(tb, b, n) ||
		    gdb_kmer_count(tall, a, n) || gdb_kmer_count(tall, b, n))
			FAIL("merge setup");
		if (gdb_kmer_table_merge(ta, tb))
			FAIL("merge into a growing table");
		gdb_kmer_get_stats(ta, &sa);
		gdb_kmer_get_stats(tall, &sb);
		if (sa.distinct != sb.distinct || sa.total != sb.total)
			FAIL("merge: distinct %llu vs %llu",
			     (unsigned long long)sa.distinct,
			     (unsigned long long)sb.distinct);
		for (i = 0; i + 25 <= n; i++)
			if (!gdb_kmer_encode(b + i, 25, &v)) {
				uint64_t r = 0, c = v, j;

				for (j = 0; j < 25; j++, c >>= 2)
					r = r << 2 | (3 - (c & 3));
				v = r < v ? r : v;
				if (gdb_kmer_lookup(ta, v) !=
				    gdb_kmer_lookup(tall, v)) {
					FAIL("merge: count of %zu", i);
					break;
				}
			}
		/* 4096 slots hold 3584: merging ~18000 drops the rest */
		if (gdb_kmer_table_merge(tsmall, ta) != -ENOSPC)
			FAIL("merge into a full table: no -ENOSPC");
		gdb_kmer_get_stats(tsmall, &sm);
		if (sm.distinct != 3584 || sm.total != sa.total ||
		    !sm.dropped || sm.dropped >= sm.total)
			FAIL("merge full: distinct %llu dropped %llu total "
			     "%llu",
			     (unsigned long long)sm.distinct,
			     (unsigned long long)sm.dropped,
			     (unsigned long long)sm.total);
		gdb_kmer_table_free(ta);
		gdb_kmer_table_free(tb);
		gdb_kmer_table_free(tall);
		gdb_kmer_table_free(tsmall);
		free(a);
		free(b);
	}
}

/* ---- IUPAC search ---- */

static unsigned set_of(char c)
{
	switch (c | 0x20) {
	case 'a':
		return 1;
	case 'c':
		return 2;
	case 'g':
		return 4;
	case 't':
	case 'u':
		return 8;
	case 'r':
		return 5;
	case 'y':
		return 10;
	case 's':
		return 6;
	case 'w':
		return 9;
	case 'k':
		return 12;
	case 'm':
		return 3;
	case 'b':
		return 14;
	case 'd':
		return 13;
	case 'h':
		return 11;
	case 'v':
		return 7;
	case 'n':
		return 15;
	}
	return 0;
}

static unsigned ref_base(char c)
{
	switch (c) {
	case 'A':
	case 'a':
		return 1;
	case 'C':
	case 'c':
		return 2;
	case 'G':
	case 'g':
		return 4;
	case 'T':
	case 't':
	case 'U':
	case 'u':
		return 8;
	}
	return 0;
}

static const char comp_of[] = "TGCA"; /* of ACGT */

static void test_motif(void)
{
	static const char iupac[] = "ACGTRYSWKMBDHVNacgtn";
	unsigned it, l;

	for (it = 0; it < 400; it++) {
		size_t n = interesting_len((unsigned)(rnd() % NLENS));
		unsigned m = 1 + (unsigned)(rnd() % (it < 300 ? 12 : 64));
		char pat[64], rc[64];
		char *s = rand_seq(n, (int)(rnd() % 4));
		gdb_motif_pattern p;
		gdb_motif_hit *ref = xmalloc((2 * n + 1) * sizeof(*ref));
		gdb_motif_hit *got = xmalloc((2 * n + 1) * sizeof(*got));
		int64_t nref = 0;
		size_t i, j;
		unsigned sd;

		for (j = 0; j < m; j++)
			pat[j] = iupac[rnd() % (it & 1 ? 4 : 20)];
		if (gdb_motif_compile(pat, m, &p)) {
			FAIL("compile");
			continue;
		}
		/* plant a few matches */
		for (i = 0; n >= m && i < 3; i++) {
			size_t at = rnd() % (n - m + 1);

			for (j = 0; j < m; j++) {
				unsigned st = set_of(pat[j]), b;

				do
					b = (unsigned)(rnd() % 4);
				while (!(st >> b & 1));
				s[at + j] = "ACGT"[b];
			}
		}
		for (j = 0; j < m; j++) {
			unsigned st = set_of(pat[m - 1 - j]), cs = 0, b;

			for (b = 0; b < 4; b++)
				if (st >> b & 1)
					cs |= 1u << (3 - b);
			rc[j] = (char)cs;
		}
		(void)comp_of;
		for (i = 0; i + m <= n; i++) {
			int f = 1, r = 1;

			for (j = 0; j < m; j++) {
				unsigned b = ref_base(s[i + j]);

				f &= (b & set_of(pat[j])) != 0;
				r &= (b & (unsigned)rc[j]) != 0;
			}
			if (f) {
				ref[nref].pos = i;
				ref[nref++].strand = '+';
			}
			if (r) {
				ref[nref].pos = i;
				ref[nref++].strand = '-';
			}
		}
		for (l = 0; l < GDB_SIMD_NLEVELS; l++) {
			int64_t k;

			if (!lv[l])
				continue;
			k = mo[l]->find(&p, s, n, GDB_STRAND_BOTH, got,
					2 * n + 1);
			if (k != nref) {
				FAIL(
				    "motif %s n=%zu m=%u %.*s: %lld hits, want "
				    "%lld",
				    lv[l]->name, n, m, (int)m, pat,
				    (long long)k, (long long)nref);
				continue;
			}
			for (i = 0; i < (size_t)k; i++)
				if (got[i].pos != ref[i].pos ||
				    got[i].strand != ref[i].strand) {
					FAIL("motif %s hit %zu", lv[l]->name,
					     i);
					break;
				}
			/* a short buffer still counts them all */
			if (mo[l]->find(&p, s, n, GDB_STRAND_BOTH, got, 1) !=
			    nref)
				FAIL("motif cap");
			/* one strand: the hits of that strand, in order */
			for (sd = GDB_STRAND_FWD; sd <= GDB_STRAND_REV; sd++) {
				char ch = sd == GDB_STRAND_FWD ? '+' : '-';
				int64_t want = 0, x;

				k = mo[l]->find(&p, s, n, sd, got, 2 * n + 1);
				for (x = 0; x < nref; x++) {
					if (ref[x].strand != ch)
						continue;
					if (want < k &&
					    (got[want].pos != ref[x].pos ||
					     got[want].strand != ch))
						break;
					want++;
				}
				if (k != want || x != nref)
					FAIL("motif %s strand %c", lv[l]->name,
					     ch);
			}
		}
		free(s);
		free(ref);
		free(got);
	}
	{
		gdb_motif_pattern p;

		if (gdb_motif_compile("ACGX", 4, &p) != -EINVAL ||
		    gdb_motif_compile("", 0, &p) != -EINVAL)
			FAIL("compile errors");
	}
}

/* ---- PWM ---- */

static void check_pwm(const gdb_pwm *pwm, const char *s, size_t sn, int32_t thr,
		      const char *what)
{
	gdb_pwm_hit *ref = xmalloc((2 * sn + 1) * sizeof(*ref));
	gdb_pwm_hit *got = xmalloc((2 * sn + 1) * sizeof(*got));
	int64_t nref = 0;
	size_t i, j;
	unsigned l;

	for (i = 0; i + pwm->len <= sn; i++) {
		int32_t f = 0, r = 0;

		for (j = 0; j < pwm->len; j++) {
			unsigned b = ref_base(s[i + j]);
			int c = b == 1	 ? 0
				: b == 2 ? 1
				: b == 4 ? 2
				: b == 8 ? 3
					 : 4;

			f += pwm->fw[j][c];
			r += pwm->rc[j][c];
		}
		if (f >= thr) {
			ref[nref].pos = i;
			ref[nref].score = f;
			ref[nref++].strand = '+';
		}
		if (r >= thr) {
			ref[nref].pos = i;
			ref[nref].score = r;
			ref[nref++].strand = '-';
		}
	}
	for (l = 0; l < GDB_SIMD_NLEVELS; l++) {
		int64_t k;

		if (!lv[l])
			continue;
		k = mo[l]->pwm_scan(pwm, s, sn, thr, GDB_STRAND_BOTH, got,
				    2 * sn + 1);
		if (k != nref) {
			FAIL("pwm %s %s n=%zu m=%u thr %d: %lld hits want %lld",
			     what, lv[l]->name, sn, pwm->len, thr, (long long)k,
			     (long long)nref);
			continue;
		}
		for (i = 0; i < (size_t)k; i++)
			if (got[i].pos != ref[i].pos ||
			    got[i].strand != ref[i].strand ||
			    got[i].score != ref[i].score) {
				FAIL("pwm %s %s hit %zu", what, lv[l]->name, i);
				break;
			}
	}
	free(ref);
	free(got);
}

/* A matrix straight from integer columns (A C G T), rc as
 * gdb_pwm_from_counts() builds it. */
static void pwm_of(gdb_pwm *p, unsigned len, const int32_t (*col)[4])
{
	unsigned j, c;

	memset(p, 0, sizeof(*p));
	p->len = len;
	for (j = 0; j < len; j++)
		for (c = 0; c < 8; c++)
			p->fw[j][c] = c < 4 ? col[j][c] : GDB_PWM_NEG;
	for (j = 0; j < len; j++)
		for (c = 0; c < 8; c++)
			p->rc[j][c] =
			    c < 4 ? p->fw[len - 1 - j][3 - c] : GDB_PWM_NEG;
}

/*
 * The edges of the 16-bit lanes of the vector scans (struct gdb_pwm16):
 * column maxima summing to 32767 (16-bit) and 32768 (32-bit), partial
 * sums that sink below INT16_MIN and climb back, entries below INT16_MIN,
 * thresholds at INT16_MIN + that sum (32-bit) and just above (16-bit,
 * where a window holding N or a deep partial sum comes closest), and
 * thresholds outside the int16 range, over every 3-window of ACGTN.
 */
static void test_pwm16_bounds(void)
{
	static const int32_t mats[][3][4] = {
	    {{0, -5, -9, -1}, {10000, 3, -7, 0}, {22767, -11, 2, 9}},
	    {{1, -5, -9, -1}, {10000, 3, -7, 0}, {22767, -11, 2, 9}},
	    {{-20000, 5, 0, 1}, {-20000, 3, 0, 0}, {30000, 2, 0, 1}},
	    {{-90000, 5, 0, 1}, {-40000, 3, 0, -33000}, {32000, 2, 0, 1}},
	    {{-9, -5, -3, -1}, {-9, -3, -7, -2}, {-4, -11, -2, -9}},
	};
	static const int32_t thrs[] = {-32767, -32768, -32769,	  -30000,
				       0,      1,      2,	  32767,
				       32768,  40000,  INT32_MIN, INT32_MAX};
	char all[5 * 5 * 5 * 3 + 100];
	size_t n = 0, x, t, mi;
	gdb_pwm p;

	for (x = 0; x < 125; x++) {
		all[n++] = "ACGTN"[x % 5];
		all[n++] = "ACGTN"[x / 5 % 5];
		all[n++] = "ACGTN"[x / 25];
	}
	while (n < sizeof(all))
		all[n++] = "ACGTNa"[rnd() % 6];
	for (mi = 0; mi < sizeof(mats) / sizeof(mats[0]); mi++) {
		int32_t pos = 0;
		unsigned j, c;

		pwm_of(&p, 3, mats[mi]);
		for (j = 0; j < 3; j++) {
			int32_t hi = 0;

			for (c = 0; c < 4; c++)
				hi = mats[mi][j][c] > hi ? mats[mi][j][c] : hi;
			pos += hi;
		}
		for (t = 0; t < sizeof(thrs) / sizeof(thrs[0]); t++)
			check_pwm(&p, all, n, thrs[t], "int16 bounds");
		for (t = 0; t < 3; t++)
			check_pwm(&p, all, n, INT16_MIN + pos + (int32_t)t,
				  "int16 bounds");
	}
}

static void test_pwm(void)
{
	gdb_pwm pwm;
	unsigned it;

	for (it = 0; it < 120; it++) {
		gdb_motif m;
		size_t sn = interesting_len((unsigned)(rnd() % NLENS)), i, j;
		char *s = rand_seq(sn, (int)(rnd() % 4));
		int32_t thr;
		double pv;

		memset(&m, 0, sizeof(m));
		m.len = 1 + (unsigned)(rnd() % (it < 100 ? 20 : 64));
		for (j = 0; j < m.len; j++)
			for (i = 0; i < 4; i++)
				m.counts[j][i] = (double)(rnd() % 20);
		if (gdb_pwm_from_counts(&m, NULL, 1.0, &pwm)) {
			FAIL("pwm");
			continue;
		}
		if (gdb_pwm_threshold(&pwm, it % 3 == 0 ? 1e-3 : 0.05, &thr))
			FAIL("threshold");
		if (it % 7 == 0)
			thr = INT32_MIN;
		if (gdb_pwm_pvalue(&pwm, pwm.min, &pv) || fabs(pv - 1) > 1e-9)
			FAIL("pvalue(min) %g", pv);
		check_pwm(&pwm, s, sn, thr, "random");
		free(s);
	}
	test_pwm16_bounds();
	/* p-value of a 1-column motif is exact */
	{
		gdb_motif m;
		int32_t t;
		double p;

		memset(&m, 0, sizeof(m));
		m.len = 1;
		m.counts[0][0] = 10;
		if (gdb_pwm_from_counts(&m, NULL, 0.0001, &pwm) ||
		    gdb_pwm_pvalue(&pwm, pwm.max, &p) ||
		    fabs(p - 0.25) > 1e-9 || gdb_pwm_threshold(&pwm, 0.3, &t) ||
		    t != pwm.max || gdb_pwm_threshold(&pwm, 0.1, &t) ||
		    t != pwm.max + 1)
			FAIL("pvalue one column");
	}
}

int main(void)
{
	unsigned l;

	for (l = 0; l < GDB_SIMD_NLEVELS; l++) {
		lv[l] = gdb_simd_variant(l);
		km[l] = gdb_kmer_variant(l);
		mo[l] = gdb_motif_variant(l);
	}
	if (!lv[0])
		return 1;
	test_comp();
	test_kmer();
	test_kmer_growth();
	test_kmer_large();
	test_kmer_part_paths();
	test_motif();
	test_pwm();
	if (failures) {
		fprintf(stderr, "test_simd_scan: %d failures\n", failures);
		return 1;
	}
	printf("test_simd_scan: ok\n");
	return 0;
}
