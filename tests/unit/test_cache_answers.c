/*
 * tests/unit/test_cache_answers.c - the cache core beyond the policies, on
 * a small store: the prefetch thread backs off when memory for its spare
 * chunk cannot be had (instead of spinning on mmap), and prefetches again
 * once it can. Exit 0 pass, 1 fail.
 */
#define UNIT_SEED 0xca5eu
#include "tests/unit/unit.h"
#include "tests/unit/unit_store.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "cache/cache.h"
#include "cache/cache_int.h"

static void sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&t, &t) != 0)
		;
}

static void test_prefetch_backoff(const gdb_store *s)
{
	gdb_cache *c;
	gdb_cache_stats st;
	uint64_t tries;

	if (gdb_cache_create(s, 16u << 20, NULL, &c) < 0) {
		FAIL("cache");
		return;
	}
	cache_test_fail_chunks(c, 1);
	if (gdb_cache_start_prefetch(c) < 0)
		FAIL("prefetch thread");
	sleep_ms(300);
	tries = cache_test_chunk_tries(c);
	/* with a backoff of 10 ms doubling, 300 ms allow about 5 tries; a
	 * thread spinning on mmap makes thousands */
	if (tries < 1 || tries > 20)
		FAIL("%llu tries at a spare chunk in 300 ms",
		     (unsigned long long)tries);
	/* memory back: prefetch works again */
	cache_test_fail_chunks(c, 0);
	if (gdb_cache_prefetch(c, 0, 0, 200000) < 0)
		FAIL("prefetch request refused");
	for (int i = 0; i < 500; i++) {
		gdb_cache_stats_get(c, &st);
		if (st.total.prefetch_issued >= 3)
			break;
		sleep_ms(10);
	}
	gdb_cache_stats_get(c, &st);
	if (st.total.prefetch_issued < 3)
		FAIL("prefetch issued %llu blocks after memory came back",
		     (unsigned long long)st.total.prefetch_issued);
	gdb_cache_destroy(c);
}

int main(void)
{
	static const char *const names[] = {"c"};
	int64_t lens[] = {200000};
	char *seqs[1], dir[64], err[512];
	gdb_store *s;

	if (unit_store_dir(dir) < 0)
		return T_EXIT_FAIL;
	seqs[0] = xmalloc((size_t)lens[0]);
	for (int64_t i = 0; i < lens[0]; i++)
		seqs[0][i] = "ACGT"[rnd() & 3];
	if (unit_store_build(dir, "a", names, seqs, lens, 1) < 0 ||
	    gdb_store_open(dir, 0, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "store: %s\n", err);
		return T_EXIT_FAIL;
	}
	test_prefetch_backoff(s);
	gdb_store_close(s);
	free(seqs[0]);
	unit_store_rm(dir);
	if (failures)
		fprintf(stderr, "test_cache_answers: %d failure(s)\n", failures);
	else
		printf("test_cache_answers: ok\n");
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
