/*
 * tests/unit/test_simd_kmer.c - the vector levels' k-mer roll
 * (simd/kmer_roll.h: eight positions at a time, compressed by validity)
 * and their large-region path when the table cannot grow, each level
 * against the scalar twin: the same k-mers, counts, stats and return.
 *
 * Roll: an invalid base at every position of sequences that span a few
 * groups of eight and a 64-position block, two invalid bases k - 1, k and
 * k + 1 apart, invalid bases at one lane of every group, sequences
 * shorter than a group, k from 1 to 31 (below, at and above the group of
 * eight, and 24 / 25: SSE4.1's one-word roll takes k <= 24), canonical or
 * not; and a large region (the partitioned path) with invalid bases at
 * every lane and block offset, and one whose k-mers crowd a few partitions
 * (the spill list), and one whose k-mers the distinct estimate misses (the
 * table grows mid-partition), and k-mers crowding the table's last slots.
 *
 * The same large regions again with gdb_kmer_test_line_scatter on, so
 * that AVX-512's path (kmer_sort.c's line scatter through a cache line a
 * partition, the slabs' partial last lines, the next region fetched in a
 * burst before each partition) runs, at SSE4.1 and AVX2, on machines
 * without AVX-512.
 *
 * Out of memory: the binary is linked with ld --wrap=mremap (the
 * Makefile), so the table's growth can be made to fail. A large region
 * counted into a table stuck at 256 slots while kmer_sort.c partitions
 * for the size it meant to grow to (more partitions than slots: the
 * region prefetch's shift once went negative there, which UBSan reports).
 *
 * Exit status: 0 pass, 1 fail (the first failures are printed).
 */
#define _GNU_SOURCE /* mremap */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/gdb.h"
#include "simd/analysis_int.h" /* gdb_kmer_hash, the test switch */
#include "simd/kmer.h"
#include "simd/simd.h"

#define UNIT_SEED 0x6a09e667f3bcc909ull
#include "tests/unit/unit.h"

void *__real_mremap(void *old, size_t oldn, size_t n, int flags, ...);
void *__wrap_mremap(void *old, size_t oldn, size_t n, int flags, ...);

static int mremap_fail; /* set: every mremap fails with ENOMEM */

void *__wrap_mremap(void *old, size_t oldn, size_t n, int flags, ...)
{
	if (mremap_fail) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	return __real_mremap(old, oldn, n, flags); /* no MREMAP_FIXED here */
}

static const gdb_kmer_kernels *km[GDB_SIMD_NLEVELS];

static int cmp_entry(const void *a, const void *b)
{
	const gdb_kmer_entry *x = a, *y = b;

	return x->kmer < y->kmer ? -1 : x->kmer > y->kmer;
}

/* s[0, n) counted at level l into a new table of this bound: its sorted
 * entries (*ne of them, caller frees), stats and return code. */
static gdb_kmer_entry *count_at(unsigned l, const char *s, size_t n, unsigned k,
				unsigned fl, size_t bound, size_t *ne,
				gdb_kmer_stats *st, int *rc)
{
	gdb_kmer_table *t;
	gdb_kmer_entry *e;

	if (gdb_kmer_table_new(k, fl, bound, &t)) {
		FAIL("table k=%u", k);
		exit(1);
	}
	*rc = km[l]->count(t, s, n);
	gdb_kmer_get_stats(t, st);
	*ne = gdb_kmer_dump(t, NULL, 0);
	e = xmalloc((*ne + 1) * sizeof(*e));
	gdb_kmer_dump(t, e, *ne);
	/* each held where a probe finds it (a k-mer past a free slot dumps
	 * right but cannot be looked up) */
	for (size_t j = 0; j < *ne; j++)
		if (gdb_kmer_lookup(t, e[j].kmer) != e[j].count) {
			FAIL("level %u: lookup of dumped k-mer %zu: %u, dumped "
			     "%u",
			     l, j, (unsigned)gdb_kmer_lookup(t, e[j].kmer),
			     (unsigned)e[j].count);
			break;
		}
	qsort(e, *ne, sizeof(*e), cmp_entry);
	gdb_kmer_table_free(t);
	return e;
}

/* Every vector level holds what the scalar twin holds for s[0, n). */
static void same(const char *s, size_t n, unsigned k, unsigned fl, size_t bound,
		 const char *what)
{
	gdb_kmer_stats st0, st;
	size_t ne0, ne;
	int rc0, rc;
	gdb_kmer_entry *e0 = count_at(0, s, n, k, fl, bound, &ne0, &st0, &rc0);

	for (unsigned l = 1; l < GDB_SIMD_NLEVELS; l++) {
		gdb_kmer_entry *e;

		if (!km[l])
			continue;
		e = count_at(l, s, n, k, fl, bound, &ne, &st, &rc);
		if (rc != rc0 || memcmp(&st, &st0, sizeof(st)) || ne != ne0 ||
		    memcmp(e, e0, ne * sizeof(*e)))
			FAIL("%s level %u n=%zu k=%u fl=%u: rc %d/%d total "
			     "%llu/%llu distinct %llu/%llu dropped %llu/%llu",
			     what, l, n, k, fl, rc, rc0,
			     (unsigned long long)st.total,
			     (unsigned long long)st0.total,
			     (unsigned long long)st.distinct,
			     (unsigned long long)st0.distinct,
			     (unsigned long long)st.dropped,
			     (unsigned long long)st0.dropped);
		free(e);
	}
	free(e0);
}

static void rand_acgt(char *s, size_t n)
{
	static const char a[] = "ACGTacgtU";

	for (size_t i = 0; i < n; i++)
		s[i] = a[rnd() % 9];
}

static const unsigned ks[] = {1, 2, 7, 8, 9, 15, 16, 17, 21, 24, 25, 31};
#define NKS (sizeof(ks) / sizeof(ks[0]))

static void test_roll_small(void)
{
	enum { N = 150 }; /* two 64-position blocks and a tail */
	char s[N], t[N];
	const char bad[] = "NnRx-\n";

	rand_acgt(s, N);
	for (size_t ki = 0; ki < NKS; ki++)
		for (unsigned fl = 0; fl <= GDB_KMER_CANONICAL; fl++) {
			const unsigned k = ks[ki];

			/* shorter than a group, a vector, k */
			for (size_t n = 0; n <= 40; n++)
				same(s, n, k, fl, 1 << 16, "short");
			for (size_t p = 0; p < N; p++) {
				memcpy(t, s, N);
				t[p] = bad[p % (sizeof(bad) - 1)];
				same(t, N, k, fl, 1 << 16, "one invalid");
				for (int d = -1; d <= 1; d++)
					if (p + k + d < N && k + d > 0) {
						t[p + k + d] = 'N';
						same(t, N, k, fl, 1 << 16,
						     "two invalid");
						t[p + k + d] = s[p + k + d];
					}
			}
			/* one lane of every group invalid */
			for (size_t j = 0; j < 8; j++) {
				memcpy(t, s, N);
				for (size_t p = j; p < N; p += 8)
					t[p] = 'N';
				same(t, N, k, fl, 1 << 16, "lane");
			}
		}
}

/* The partitioned path (large regions) with invalid bases at every lane
 * of a group and every offset of a 64-position block. */
static void test_roll_large(void)
{
	const size_t n = 300000;
	char *s = xmalloc(n);

	rand_acgt(s, n);
	for (size_t p = 1000, j = 0; p + 200 < n; p += 997 + j % 64, j++)
		s[p] = 'N';
	for (unsigned fl = 0; fl <= GDB_KMER_CANONICAL; fl++) {
		same(s, n, 21, fl, 64u << 20, "large");
		same(s, n, 5, fl, 64u << 20, "large k=5");
		same(s, n, 31, fl, 64u << 20, "large k=31");
	}
	free(s);
}

/*
 * The partitioned path when k-mers crowd a few partitions: a short repeat
 * (its few k-mers fill their slabs, the rest goes to the spill list, which
 * is inserted each time it fills), then the repeat with random stretches
 * (slabs full and not, one slab's last line partial or not).
 */
static void test_spill(void)
{
	const size_t n = 400000;
	char *s = xmalloc(n);

	for (size_t i = 0; i < n; i++)
		s[i] = "ACGTTGCA"[i % 8];
	for (unsigned fl = 0; fl <= GDB_KMER_CANONICAL; fl++)
		same(s, n, 21, fl, 64u << 20, "repeat");
	for (size_t p = 0; p < n; p += 50000)
		rand_acgt(s + p, 20000 + p / 50);
	for (unsigned fl = 0; fl <= GDB_KMER_CANONICAL; fl++) {
		same(s, n, 21, fl, 64u << 20, "repeat and random");
		same(s, n, 31, fl, 64u << 20, "repeat and random k=31");
	}
	free(s);
}

/*
 * The partitioned path when the table grows while the partitions go in:
 * k-mers none of which kmer_sort.c samples (bits 24-31 of the hash not
 * all zero), each alone between Ns, so the estimate of the distinct ones
 * is 0 and the table, reserved for a few thousand, doubles (and may move)
 * in the middle of a partition, whose insertion must then reload its
 * layout. A k=21 relative of test_simd_scan.c's test_kmer_part_paths,
 * part (b).
 */
static void test_unsampled(void)
{
	const unsigned k = 21;
	const size_t nk = 60000, n = nk * (k + 1);
	char *s = xmalloc(n);

	for (size_t j = 0; j < nk;) {
		uint64_t key = 0;
		char *p = s + j * (k + 1);

		for (unsigned i = 0; i < k; i++) {
			const uint64_t c = rnd() & 3;

			p[i] = "ACGT"[c];
			key = key << 2 | c;
		}
		p[k] = 'N';
		j += ((gdb_kmer_hash(key) >> 24) & 0xff) != 0;
	}
	same(s, n, k, 0, 64u << 20, "unsampled");
	free(s);
}

/*
 * The partitioned path at the table's end: 64 31-mers (each alone between
 * Ns, after 200 Ki random bases) whose hashes start with 14 one bits, so
 * that at any size up to 2^21 slots their home slots are the last 128 or
 * fewer; at the 2^19 slots this region takes, the last 32. They crowd
 * there and wrap to the first slots: homes whose SPAN slots run past the
 * end, and homes whose first SPAN slots are taken and whose next SPAN run
 * past it (kmer_part.h's second look), at every level.
 */
static void test_table_end(void)
{
	const unsigned k = 31, nc = 64;
	const size_t nr = 200u << 10, n = nr + nc * (k + 1);
	char *s = xmalloc(n);

	rand_acgt(s, nr);
	for (unsigned j = 0; j < nc;) {
		/* a hash with the top 14 bits set, the k-mer back from it */
		const uint64_t h = ~0ull << 50 | rnd() >> 14;
		const uint64_t key = h * 0xf1de83e19937733dull;

		if (key >> 62)
			continue;
		if (gdb_kmer_hash(key) != h)
			FAIL("table end: unhash");
		gdb_kmer_decode(key, k, s + nr + j * (k + 1));
		s[nr + j * (k + 1) + k] = 'N';
		j++;
	}
	same(s, n, k, 0, 64u << 20, "table end");
	free(s);
}

/*
 * A table that cannot grow: partitions planned for a table of 2^23 slots
 * (512 of them), the table stuck at 256 slots. Random 31-mers are all
 * distinct, so every level keeps 7/8 of 256 and drops the rest.
 */
static void test_oom(void)
{
	const size_t n = (size_t)5 << 19; /* 2.5 Mi bases */
	char *s = xmalloc(n);

	rand_acgt(s, n);
	mremap_fail = 1;
	for (unsigned l = 0; l < GDB_SIMD_NLEVELS; l++) {
		gdb_kmer_entry *e;
		gdb_kmer_stats st;
		size_t ne;
		int rc;

		if (!km[l])
			continue;
		e = count_at(l, s, n, 31, 0, (size_t)1 << 30, &ne, &st, &rc);
		if (rc != -ENOSPC || st.distinct != 224 || ne != 224 ||
		    st.capacity != 224 || st.total != n - 30 ||
		    st.dropped != st.total - 224)
			FAIL("oom level %u: rc %d distinct %llu capacity %llu "
			     "total %llu dropped %llu",
			     l, rc, (unsigned long long)st.distinct,
			     (unsigned long long)st.capacity,
			     (unsigned long long)st.total,
			     (unsigned long long)st.dropped);
		free(e);
	}
	mremap_fail = 0;
	free(s);
}

/* The large-region tests again through AVX-512's scatter and fetch. */
static void test_line_scatter(void)
{
	gdb_kmer_test_line_scatter(1);
	test_roll_large();
	test_spill();
	test_unsampled();
	test_table_end();
	test_oom();
	gdb_kmer_test_line_scatter(0);
}

int main(void)
{
	for (unsigned l = 0; l < GDB_SIMD_NLEVELS; l++)
		km[l] = gdb_kmer_variant(l);
	if (!km[0])
		return 1;
	test_roll_small();
	test_roll_large();
	test_spill();
	test_unsampled();
	test_table_end();
	test_oom();
	test_line_scatter();
	if (failures) {
		fprintf(stderr, "test_simd_kmer: %d failures\n", failures);
		return 1;
	}
	printf("test_simd_kmer: ok\n");
	return 0;
}
