/*
 * tests/unit/test_cache_u8.c - blocks cached as .u8 codes
 * (gdb_cache_get_u8): every code is the documented one for its letter
 * (the table is written out here, from docs/PATHS.md, not taken from the
 * library), beside the same block's bases, each form an entry of its own;
 * a stream whose reader takes codes prefetches codes, not bases, and gives
 * back the code entries it passed; a damaged block is GDB_ECHECKSUM as
 * codes too, on every read (never cached, never wrong codes); an id with
 * the form bit set is refused. Exit 0 pass, 1 fail.
 */
#define UNIT_SEED 0x75e8c0deu
#include "tests/unit/unit.h"
#include "tests/unit/unit_store.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/cache_int.h"

#define BB GDB_DNA_BLOCK_BASES
#define MIB ((size_t)1 << 20)

static const gdb_store *S;
static char *SEQ;
static const int64_t LEN = 40 * (int64_t)BB + 12345;
static uint32_t NBLK;

/* docs/PATHS.md ".u8 codes": A0 C1 G2 T3 N4 R5 Y6 S7 W8 K9 M10 B11 D12
 * H13 V14, U3, either case; 15 for anything else. */
static uint8_t code_of(char ch)
{
	static const char order[] = "ACGTNRYSWKMBDHV";
	char u = ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
	const char *p = u ? strchr(order, u) : NULL;

	if (u == 'U')
		return 3;
	return p ? (uint8_t)(p - order) : 15;
}

/* Bases of c0: ACGT with lowercase runs, N runs and every other IUPAC
 * letter here and there. */
static void make_seq(void)
{
	static const char iupac[] = "RYSWKMBDHVN";

	SEQ = xmalloc((size_t)LEN);
	for (int64_t i = 0; i < LEN; i++)
		SEQ[i] = "ACGT"[rnd() & 3];
	for (int k = 0; k < 200; k++) {
		int64_t at = (int64_t)(rnd() % (uint64_t)(LEN - 3000));
		uint64_t what = rnd() % 3, len = 1 + rnd() % 2500;
		for (uint64_t j = 0; j < len; j++) {
			char *b = &SEQ[at + (int64_t)j];
			if (what == 0)
				*b = (char)(*b | 0x20); /* soft-masked */
			else if (what == 1)
				*b = 'N';
			else if (j % 97 == 0)
				*b = iupac[rnd() % (sizeof(iupac) - 1)];
		}
	}
}

static int64_t block_len(uint32_t b)
{
	int64_t at = (int64_t)b * BB;

	return LEN - at < BB ? LEN - at : BB;
}

/* 0 if codes[0, n) are block b's codes, else the first wrong index + 1 */
static int64_t wrong_code(uint32_t b, const uint8_t *codes, uint32_t n)
{
	const char *src = SEQ + (int64_t)b * BB;

	if ((int64_t)n != block_len(b))
		return (int64_t)n + 1;
	for (uint32_t i = 0; i < n; i++)
		if (codes[i] != code_of(src[i]))
			return (int64_t)i + 1;
	return 0;
}

/* Every block as codes and as bases, both borrowed at once: right, and
 * two entries (a hit the second time). */
static void test_codes_beside_bases(void)
{
	struct cache_check k;
	gdb_cache_stats st;
	gdb_cache *c;

	if (gdb_cache_create(S, 256 * MIB, NULL, &c) < 0) {
		FAIL("cache");
		return;
	}
	for (uint32_t b = 0; b < NBLK; b++) {
		gdb_cache_entry *rb, *ru;
		const uint8_t *codes;
		const char *bases;
		uint32_t n, nb;
		int64_t bad;

		CHECK(gdb_cache_get_u8(c, 0, b, &codes, &n, &ru) == 0,
		      "codes of block %u", b);
		CHECK(gdb_cache_get(c, 0, b, &bases, &nb, &rb) == 0,
		      "bases of block %u", b);
		bad = wrong_code(b, codes, n);
		CHECK(bad == 0, "block %u: code %lld wrong", b,
		      (long long)bad - 1);
		CHECK(nb == n && !memcmp(bases, SEQ + (int64_t)b * BB, nb),
		      "block %u: bases wrong beside its codes", b);
		gdb_cache_put(c, rb);
		gdb_cache_put(c, ru);
	}
	gdb_cache_stats_get(c, &st);
	CHECK(st.total.misses == 2 * NBLK && st.total.hits == 0,
	      "%llu misses, %llu hits for %u blocks in two forms",
	      (unsigned long long)st.total.misses,
	      (unsigned long long)st.total.hits, NBLK);
	for (uint32_t b = 0; b < NBLK; b++) {
		gdb_cache_entry *ru;
		const uint8_t *codes;
		uint32_t n;
		CHECK(gdb_cache_get_u8(c, 0, b, &codes, &n, &ru) == 0 &&
			  wrong_code(b, codes, n) == 0,
		      "block %u's codes again", b);
		gdb_cache_put(c, ru);
	}
	gdb_cache_stats_get(c, &st);
	CHECK(st.total.hits == NBLK, "%llu hits reading the codes again",
	      (unsigned long long)st.total.hits);
	cache_test_check(c, &k);
	CHECK(k.blocks == 2 * NBLK && k.dups == 0,
	      "%llu entries (%llu buffers twice) for %u blocks in two forms",
	      (unsigned long long)k.blocks, (unsigned long long)k.dups, NBLK);
	gdb_cache_destroy(c);
}

static void test_refused(void)
{
	gdb_cache_entry *ref;
	const uint8_t *codes;
	const char *bases;
	gdb_cache *c;
	uint32_t n;

	if (gdb_cache_create(S, 16 * MIB, NULL, &c) < 0) {
		FAIL("cache");
		return;
	}
	CHECK(gdb_cache_get(c, 0x80000000u, 0, &bases, &n, &ref) == -EINVAL,
	      "a contig id with the form bit, as bases");
	CHECK(gdb_cache_get_u8(c, 0x80000000u, 0, &codes, &n, &ref) == -EINVAL,
	      "a contig id with the form bit, as codes");
	CHECK(gdb_cache_prefetch(c, 0x80000000u, 0, 10) == -EINVAL,
	      "a prefetch of a contig id with the form bit");
	CHECK(gdb_cache_get_u8(c, 0, NBLK, &codes, &n, &ref) == -EINVAL,
	      "codes of a block past the contig");
	CHECK(gdb_cache_get_u8(c, 1, 0, &codes, &n, &ref) == -EINVAL,
	      "codes of a contig the store lacks");
	gdb_cache_destroy(c);
}

/* Reads of 4 blocks through a stream that takes codes, borrowing as the
 * daemon's .u8 replies do; 0 or the first error / -EBADMSG. */
static int stream_codes(gdb_cache *c, gdb_cache_stream *st)
{
	for (uint32_t b = 0; b < NBLK; b += 4) {
		uint32_t last = b + 3 < NBLK ? b + 3 : NBLK - 1;

		gdb_cache_stream_access(c, st, 0, b, last);
		for (uint32_t x = b; x <= last; x++) {
			gdb_cache_entry *ref;
			const uint8_t *codes;
			uint32_t n;
			int rc = gdb_cache_get_u8(c, 0, x, &codes, &n, &ref);
			if (rc < 0)
				return rc;
			rc = wrong_code(x, codes, n) ? -EBADMSG : 0;
			gdb_cache_put(c, ref);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* Wait (polling, up to 20 s) until the prefetch thread has loaded n. */
static int wait_issued(gdb_cache *c, uint64_t n)
{
	struct timespec t0, now;
	gdb_cache_stats st;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		gdb_cache_stats_get(c, &st);
		if (st.total.prefetch_issued >= n)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 20)
			return 0;
		usleep(2000);
	}
}

/* A stream of codes: its prefetch loads codes (the bases stay absent),
 * and a long run gives back the code entries it passed. */
static void test_stream(void)
{
	gdb_cache_stream st;
	gdb_cache_stats s0, s1;
	struct cache_check k;
	gdb_cache_entry *ref;
	const uint8_t *codes;
	const char *bases;
	gdb_cache *c;
	uint32_t n;

	if (gdb_cache_create(S, 256 * MIB, NULL, &c) < 0 ||
	    gdb_cache_start_prefetch(c) < 0) {
		FAIL("cache");
		return;
	}
	gdb_cache_stream_init(&st);
	st.u8 = 1;
	/* block 0, then block 1: a run, whose window asks for block 2 */
	gdb_cache_stream_access(c, &st, 0, 0, 0);
	gdb_cache_stream_access(c, &st, 0, 1, 1);
	CHECK(wait_issued(c, 1), "the prefetch thread loaded nothing");
	gdb_cache_stop_prefetch(c);
	gdb_cache_stats_get(c, &s0);
	CHECK(gdb_cache_get_u8(c, 0, 2, &codes, &n, &ref) == 0 &&
		  wrong_code(2, codes, n) == 0,
	      "the prefetched codes of block 2");
	gdb_cache_put(c, ref);
	gdb_cache_stats_get(c, &s1);
	CHECK(s1.total.misses == s0.total.misses &&
		  s1.total.prefetch_used == s0.total.prefetch_used + 1,
	      "the stream did not prefetch codes (misses %llu -> %llu, "
	      "used %llu -> %llu)",
	      (unsigned long long)s0.total.misses,
	      (unsigned long long)s1.total.misses,
	      (unsigned long long)s0.total.prefetch_used,
	      (unsigned long long)s1.total.prefetch_used);
	CHECK(gdb_cache_get(c, 0, 2, &bases, &n, &ref) == 0, "bases of 2");
	gdb_cache_put(c, ref);
	gdb_cache_stats_get(c, &s0);
	CHECK(s0.total.misses == s1.total.misses + 1,
	      "the stream prefetched bases too");
	gdb_cache_stream_destroy(&st);
	/* the whole contig, prefetch off: passing does not depend on it */
	gdb_cache_set_prefetch(c, 0);
	gdb_cache_stream_init(&st);
	st.u8 = 1;
	CHECK(stream_codes(c, &st) == 0, "the stream read wrong codes");
	gdb_cache_stream_destroy(&st);
	gdb_cache_stats_get(c, &s1);
	cache_test_check(c, &k);
	CHECK(s1.passed + 3 * 4 + 1 >= NBLK,
	      "%llu of %u code entries given back",
	      (unsigned long long)s1.passed, NBLK);
	CHECK(k.blocks <= 3 * 4 + 2, "%llu entries still resident",
	      (unsigned long long)k.blocks);
	gdb_cache_destroy(c);
}

/* A damaged block: GDB_ECHECKSUM as codes on every read, as bases too;
 * its neighbours' codes right; mended, its codes right. */
static void test_damage(const char *dir)
{
	gdb_cache_stream st;
	gdb_cache_entry *ref;
	const uint8_t *codes;
	const char *bases;
	gdb_cache *c;
	uint32_t n;
	off_t off = 0;
	char byte;
	int fd = unit_block_file(S, dir, 0, 9, &off);

	if (fd < 0) {
		FAIL("block 9's bytes not found in a segment file");
		return;
	}
	if (gdb_cache_create(S, 64 * MIB, NULL, &c) < 0) {
		FAIL("cache");
		close(fd);
		return;
	}
	CHECK(pread(fd, &byte, 1, off + 40) == 1, "pread");
	byte ^= 0x10;
	CHECK(pwrite(fd, &byte, 1, off + 40) == 1, "pwrite");
	for (int i = 0; i < 2; i++)
		CHECK(gdb_cache_get_u8(c, 0, 9, &codes, &n, &ref) ==
			  GDB_ECHECKSUM,
		      "damaged block as codes, read %d: not GDB_ECHECKSUM", i);
	CHECK(gdb_cache_get(c, 0, 9, &bases, &n, &ref) == GDB_ECHECKSUM,
	      "damaged block as bases after its codes");
	gdb_cache_stream_init(&st);
	st.u8 = 1;
	CHECK(stream_codes(c, &st) == GDB_ECHECKSUM,
	      "a stream of codes over the damaged block");
	gdb_cache_stream_destroy(&st);
	CHECK(gdb_cache_get_u8(c, 0, 10, &codes, &n, &ref) == 0 &&
		  wrong_code(10, codes, n) == 0,
	      "the damaged block's neighbour");
	gdb_cache_put(c, ref);
	byte ^= 0x10;
	CHECK(pwrite(fd, &byte, 1, off + 40) == 1, "pwrite");
	close(fd);
	CHECK(gdb_cache_get_u8(c, 0, 9, &codes, &n, &ref) == 0 &&
		  wrong_code(9, codes, n) == 0,
	      "the mended block's codes");
	gdb_cache_put(c, ref);
	gdb_cache_destroy(c);
}

static void quiet(enum gdb_log_level level, const char *line)
{
	(void)level;
	(void)line;
}

int main(void)
{
	static const char *const names[] = {"c0"};
	char dir[64], err[512];
	gdb_store *s;

	if (unit_store_dir(dir) < 0)
		return T_EXIT_FAIL;
	make_seq();
	gdb_log_set_sink(quiet); /* the damage test's checksum lines */
	if (unit_store_build(dir, "a", names, &SEQ, &LEN, 1) < 0 ||
	    gdb_store_open(dir, 0, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "store: %s\n", err);
		return T_EXIT_FAIL;
	}
	S = s;
	NBLK = gdb_store_contig(S, 0)->nblocks;
	test_codes_beside_bases();
	test_refused();
	test_stream();
	test_damage(dir);
	gdb_store_close(s);
	free(SEQ);
	unit_store_rm(dir);
	if (failures)
		fprintf(stderr, "test_cache_u8: %d failure(s)\n", failures);
	else
		printf("test_cache_u8: ok\n");
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
