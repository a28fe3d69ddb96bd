/*
 * tests/unit/test_cache_answers.c - the cache core beyond the policies, on
 * a small store: computed answers under the byte budget beside the blocks
 * (held while they fit, dropped least recently read first, never while
 * borrowed or kept, given back by fill; resident never above the budget;
 * a large one read whole dropped at its last put),
 * the prefetch thread backing off when memory for its spare chunk
 * cannot be had (instead of spinning on mmap), and stopping inside a
 * request when asked (an unmount does not wait for a whole contig's
 * prefetch), and a constant stride's prefetch advised to the disk (a
 * sequential run's not again). Exit 0 pass, 1 fail.
 */
#define UNIT_SEED 0xca5eu
#include "tests/unit/unit.h"
#include "tests/unit/unit_store.h"

#include <errno.h>
#include <pthread.h>
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

#define MIB ((size_t)1 << 20)

static char *bytes_of(size_t n, char fill)
{
	char *p = xmalloc(n);

	memset(p, fill, n);
	return p;
}

static int held(gdb_cache *c, gdb_cache_answer *a, char fill, size_t n)
{
	const char *d;

	if (!gdb_cache_answer_get(c, a, &d))
		return 0;
	if (d[0] != fill || d[n - 1] != fill)
		FAIL("answer holds the wrong bytes");
	gdb_cache_answer_put(c, a);
	return 1;
}

static void check_budget(gdb_cache *c, const char *when)
{
	gdb_cache_stats st;

	gdb_cache_stats_get(c, &st);
	if (st.resident_bytes > st.budget_bytes ||
	    st.answer_bytes > st.resident_bytes)
		FAIL("%s: resident %llu, answers %llu, budget %llu", when,
		     (unsigned long long)st.resident_bytes,
		     (unsigned long long)st.answer_bytes,
		     (unsigned long long)st.budget_bytes);
}

/* Read every block of contig 0 through the cache. */
static void read_blocks(gdb_cache *c, const gdb_store *s)
{
	int64_t len = gdb_store_contig(s, 0)->length;
	char *buf = xmalloc((size_t)len);

	if (gdb_cache_read(c, 0, 0, len, buf) < 0)
		FAIL("block reads");
	free(buf);
}

static void test_answers(const gdb_store *s)
{
	gdb_cache_answer *a1, *a2, *big, *keep, *over;
	gdb_cache_stats st;
	gdb_cache *c;
	const char *d;

	if (gdb_cache_create(s, 4 * MIB, NULL, &c) < 0) {
		FAIL("cache");
		return;
	}
	if (gdb_cache_answer_new(c, bytes_of(MIB + 1, 'a'), MIB + 1, 0, &a1))
		return;
	gdb_cache_answer_put(c, a1);
	if (!held(c, a1, 'a', MIB + 1))
		FAIL("an answer that fits was dropped");
	check_budget(c, "one answer");
	/* two answers pass half the budget: the older goes */
	if (gdb_cache_answer_new(c, bytes_of(MIB + 1, 'b'), MIB + 1, 0, &a2))
		return;
	gdb_cache_answer_put(c, a2);
	if (held(c, a1, 'a', MIB + 1) || !held(c, a2, 'b', MIB + 1))
		FAIL("not the least recently read answer dropped");
	/* a dropped answer is given back, and held again */
	gdb_cache_answer_fill(c, a1, bytes_of(MIB + 1, 'a'), &d);
	if (d[0] != 'a')
		FAIL("fill");
	gdb_cache_answer_put(c, a1);
	/* a borrowed one is never dropped for another */
	if (!gdb_cache_answer_get(c, a1, &d))
		FAIL("a1 dropped at once");
	if (gdb_cache_answer_new(c, bytes_of(MIB, 'k'), MIB,
				 GDB_CACHE_ANSWER_KEEP, &keep))
		return;
	gdb_cache_answer_put(c, keep);
	if (!held(c, a1, 'a', MIB + 1))
		FAIL("a borrowed answer was dropped");
	gdb_cache_answer_put(c, a1);
	check_budget(c, "three answers");
	/* larger than the budget: held while borrowed only */
	if (gdb_cache_answer_new(c, bytes_of(5 * MIB, 'z'), 5 * MIB, 0, &big))
		return;
	if (!held(c, big, 'z', 5 * MIB))
		FAIL("a borrowed big answer was dropped");
	gdb_cache_answer_put(c, big);
	if (held(c, big, 'z', 5 * MIB))
		FAIL("an answer past the budget stayed after its read");
	/* an answer past half the budget takes it from the blocks when
	 * nothing else can go, and the blocks take it back */
	read_blocks(c, s);
	if (gdb_cache_answer_new(c, bytes_of(3 * MIB, 'h'), 3 * MIB, 0, &over))
		return;
	gdb_cache_answer_put(c, over);
	check_budget(c, "an answer over blocks");
	if (!held(c, over, 'h', 3 * MIB))
		FAIL("an answer that fits once blocks go was not held");
	read_blocks(c, s);
	check_budget(c, "blocks after answers");
	if (held(c, over, 'h', 3 * MIB))
		FAIL("blocks did not take the room back");
	if (!held(c, keep, 'k', MIB))
		FAIL("a kept answer was dropped");
	gdb_cache_stats_get(c, &st);
	if (st.answer_evictions < 2 || st.answer_uncached < 1 ||
	    st.answer_bytes > 2 * MIB + 2)
		FAIL("stats: %llu evictions, %llu uncached, %llu bytes",
		     (unsigned long long)st.answer_evictions,
		     (unsigned long long)st.answer_uncached,
		     (unsigned long long)st.answer_bytes);
	gdb_cache_answer_free(c, a1);
	gdb_cache_answer_free(c, a2);
	gdb_cache_answer_free(c, big);
	gdb_cache_answer_free(c, keep);
	gdb_cache_answer_free(c, over);
	gdb_cache_stats_get(c, &st);
	if (st.answer_bytes != 0)
		FAIL("freed answers still counted: %llu",
		     (unsigned long long)st.answer_bytes);
	check_budget(c, "after free");
	gdb_cache_destroy(c);
}

/* A large answer read whole is dropped at its last put (the reader has
 * it); read in part, out of order, small, or kept, it stays. */
static void test_served(const gdb_store *s)
{
	gdb_cache_answer *a, *small, *keep;
	size_t n = 3 * MIB + 100;
	gdb_cache *c;
	const char *d;

	if (gdb_cache_create(s, 64 * MIB, NULL, &c) < 0) {
		FAIL("cache");
		return;
	}
	if (gdb_cache_answer_new(c, bytes_of(n, 'w'), n, 0, &a) ||
	    gdb_cache_answer_new(c, bytes_of(MIB - 1, 's'), MIB - 1, 0,
				 &small) ||
	    gdb_cache_answer_new(c, bytes_of(n, 'k'), n, GDB_CACHE_ANSWER_KEEP,
				 &keep))
		return;
	/* the tail first, then all but one unaligned byte of a chunk */
	gdb_cache_answer_served(c, a, 2 * MIB, n - 2 * MIB);
	gdb_cache_answer_served(c, a, 0, MIB + 5);
	gdb_cache_answer_served(c, a, MIB + 6, MIB - 6);
	gdb_cache_answer_put(c, a);
	if (!held(c, a, 'w', n))
		FAIL("an answer read in part was dropped");
	gdb_cache_answer_served(c, small, 0, MIB - 1);
	gdb_cache_answer_put(c, small);
	if (!held(c, small, 's', MIB - 1))
		FAIL("a small answer read whole was dropped");
	gdb_cache_answer_served(c, keep, 0, n);
	gdb_cache_answer_put(c, keep);
	if (!held(c, keep, 'k', n))
		FAIL("a kept answer read whole was dropped");
	/* the missing chunk, while a second reader holds it: dropped at the
	 * last put only */
	if (!gdb_cache_answer_get(c, a, &d) || !gdb_cache_answer_get(c, a, &d))
		FAIL("get");
	gdb_cache_answer_served(c, a, MIB, MIB);
	gdb_cache_answer_put(c, a);
	if (d[n - 1] != 'w')
		FAIL("dropped while borrowed");
	gdb_cache_answer_put(c, a);
	if (held(c, a, 'w', n))
		FAIL("an answer read whole was not dropped");
	/* computed again, it is held until read whole again */
	gdb_cache_answer_fill(c, a, bytes_of(n, 'w'), &d);
	gdb_cache_answer_served(c, a, 0, MIB);
	gdb_cache_answer_put(c, a);
	if (!held(c, a, 'w', n))
		FAIL("a refilled answer went on its old reads");
	check_budget(c, "served");
	gdb_cache_answer_free(c, a);
	gdb_cache_answer_free(c, small);
	gdb_cache_answer_free(c, keep);
	gdb_cache_destroy(c);
}

/* Poll (up to a minute) until the prefetch thread has loaded n blocks. */
static uint64_t pf_wait_issued(gdb_cache *c, uint64_t n)
{
	gdb_cache_stats st;

	for (int i = 0; i < 6000; i++) {
		gdb_cache_stats_get(c, &st);
		if (st.total.prefetch_issued >= n)
			break;
		sleep_ms(10);
	}
	return st.total.prefetch_issued;
}

static void test_prefetch_backoff(const gdb_store *s)
{
	gdb_cache *c;
	uint64_t tries, issued;

	if (gdb_cache_create(s, 16u << 20, NULL, &c) < 0) {
		FAIL("cache");
		return;
	}
	cache_test_fail_chunks(c, 1);
	if (gdb_cache_start_prefetch(c) < 0)
		FAIL("prefetch thread");
	/* its first try, however long a loaded machine takes to run it */
	for (int i = 0; i < 6000 && !cache_test_chunk_tries(c); i++)
		sleep_ms(10);
	sleep_ms(300);
	tries = cache_test_chunk_tries(c);
	/* with a backoff of 10 ms doubling, 300 ms after the first allow
	 * about 5 more tries (fewer when the thread waits for a CPU); a
	 * thread spinning on mmap makes thousands */
	if (tries < 1 || tries > 20)
		FAIL("%llu tries at a spare chunk in 300 ms",
		     (unsigned long long)tries);
	/* memory back: prefetch works again */
	cache_test_fail_chunks(c, 0);
	if (gdb_cache_prefetch(c, 0, 0, 200000) < 0)
		FAIL("prefetch request refused");
	issued = pf_wait_issued(c, 3);
	if (issued < 3)
		FAIL("prefetch issued %llu blocks after memory came back",
		     (unsigned long long)issued);
	gdb_cache_destroy(c);
}

static void *stopper(void *arg)
{
	gdb_cache_stop_prefetch(arg);
	return NULL;
}

/* Poll (up to 10 s) until the prefetch queue is empty (want_stop 0) or
 * the stop flag is set (want_stop 1). */
static int pf_wait_for(gdb_cache *c, int want_stop)
{
	for (int i = 0; i < 1000; i++) {
		int ok;
		pthread_mutex_lock(&c->pf_lock);
		ok = want_stop ? c->pf_stop : c->pf_head == c->pf_tail;
		pthread_mutex_unlock(&c->pf_lock);
		if (ok)
			return 1;
		sleep_ms(10);
	}
	return 0;
}

/*
 * A whole contig asked for, then a stop (the daemon's teardown after an
 * unmount): the thread leaves the request at its next block. Made
 * deterministic by holding every shard's lock, so the thread is parked at
 * the request's first block while the stop is asked for; before the fix
 * it decoded all the contig's blocks first.
 */
static void test_prefetch_stops_inside_a_request(const gdb_store *s)
{
	const gdb_contig *ct = gdb_store_contig(s, 0);
	gdb_cache *c;
	gdb_cache_stats st;
	pthread_t th;
	int started = 0;

	if (gdb_cache_create(s, 64u << 20, NULL, &c) < 0) {
		FAIL("cache");
		return;
	}
	if (gdb_cache_start_prefetch(c) < 0)
		FAIL("prefetch thread");
	for (unsigned i = 0; i < NSHARDS; i++)
		pthread_mutex_lock(&c->shards[i].lock);
	if (gdb_cache_prefetch(c, 0, 0, ct->length) < 0)
		FAIL("prefetch request refused");
	if (!pf_wait_for(c, 0))
		FAIL("the prefetch thread never took the request");
	started = pthread_create(&th, NULL, stopper, c) == 0;
	if (!started)
		FAIL("thread");
	else if (!pf_wait_for(c, 1))
		FAIL("the stop was never asked for");
	for (unsigned i = 0; i < NSHARDS; i++)
		pthread_mutex_unlock(&c->shards[i].lock);
	if (started)
		pthread_join(th, NULL);
	gdb_cache_stats_get(c, &st);
	if (st.total.prefetch_issued > PF_BATCH)
		FAIL("stopped after %llu of the contig's %u blocks",
		     (unsigned long long)st.total.prefetch_issued,
		     (unsigned)ct->nblocks);
	if (gdb_cache_prefetch(c, 0, 0, ct->length) != -EAGAIN)
		FAIL("a prefetch request taken after the stop");
	/* started again, the thread serves requests (the stop is undone) */
	if (gdb_cache_start_prefetch(c) < 0 ||
	    gdb_cache_prefetch(c, 0, 0, ct->length) < 0)
		FAIL("prefetch not taken after a restart");
	else if (pf_wait_issued(c, ct->nblocks) < ct->nblocks)
		FAIL("after a restart only %llu of %u blocks were prefetched",
		     (unsigned long long)pf_wait_issued(c, 0),
		     (unsigned)ct->nblocks);
	gdb_cache_destroy(c);
}

/*
 * A reader stepping through a contig by a constant stride gets its next
 * step prefetched, and the prefetch thread asks the disk for those blocks
 * first (advise_batch); a sequential run's requests it does not advise,
 * the stream having asked the disk itself. Before a030fe5 a stride's
 * request went as a stream's: none of its blocks was advised.
 */
static void test_stride_prefetch_advised(const gdb_store *s)
{
	gdb_cache *c;
	gdb_cache_stream st;
	uint64_t issued;

	if (gdb_cache_create(s, 64u << 20, NULL, &c) < 0) {
		FAIL("cache");
		return;
	}
	if (gdb_cache_start_prefetch(c) < 0)
		FAIL("prefetch thread");
	gdb_cache_stream_init(&st);
	/* blocks 0, 4, ..., 20: from the third on, each prefetches the
	 * next step (12, 16, 20, 24), one block each */
	for (uint32_t b = 0; b <= 20; b += 4)
		gdb_cache_stream_access(c, &st, 0, b, b);
	issued = pf_wait_issued(c, 4);
	CHECK(issued == 4, "a stride prefetched %llu blocks, not 4",
	      (unsigned long long)issued);
	CHECK(__atomic_load_n(&c->pf_advised, __ATOMIC_RELAXED) == 4,
	      "the prefetch thread advised %llu of a stride's 4 blocks",
	      (unsigned long long)c->pf_advised);
	/* then a sequential run, 30 to 33: 6 blocks, none advised again */
	for (uint32_t b = 30; b <= 33; b++)
		gdb_cache_stream_access(c, &st, 0, b, b);
	issued = pf_wait_issued(c, 10);
	CHECK(issued == 10, "%llu blocks prefetched, not 4 + 6",
	      (unsigned long long)issued);
	CHECK(__atomic_load_n(&c->pf_advised, __ATOMIC_RELAXED) == 4,
	      "%llu blocks advised by the thread after a sequential run",
	      (unsigned long long)c->pf_advised);
	gdb_cache_stream_destroy(&st);
	gdb_cache_destroy(c);
}

int main(void)
{
	static const char *const names[] = {"c"};
	int64_t lens[] = {3000000};
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
	test_answers(s);
	test_served(s);
	test_prefetch_backoff(s);
	test_prefetch_stops_inside_a_request(s);
	test_stride_prefetch_advised(s);
	gdb_store_close(s);
	free(seqs[0]);
	unit_store_rm(dir);
	if (failures)
		fprintf(stderr, "test_cache_answers: %d failure(s)\n",
			failures);
	else
		printf("test_cache_answers: ok\n");
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
