/*
 * tests/unit/test_pool.c - the worker pool (common/pool.h): every item runs
 * exactly once whatever the pool size, worker ids stay in range and are
 * never shared by two running calls, errors come back, no thread starts
 * before the first run, and two runs at once both finish (the second on
 * its own thread). A child forked after a run, or during one on another
 * thread, runs on the pool it inherits with threads of its own and frees
 * it (the parent's threads are not in the child).
 *
 * Exit status: 0 pass, 1 fail (the first failures are printed).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/pool.h"

#define UNIT_SEED 0x706f6f6c5f746573ull
#include "tests/unit/unit.h"

#define NITEMS 5000

struct job {
	unsigned char seen[NITEMS]; /* runs of each item (atomic) */
	int inside[GDB_POOL_MAX];   /* calls running under a worker id */
	unsigned size;
	int bad_worker, shared, fail_at;
	int hold_at, held; /* the item held until a fork; held (atomic) */
};

static int forked; /* atomic: set in the parent once fork() is done */

static void nap(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int item_fn(void *arg, unsigned worker, size_t item)
{
	struct job *j = arg;
	volatile unsigned spin;

	if ((int)item == j->hold_at) {
		/* the run goes on once the fork is done (the pool's lock
		 * has no prepare handler to wait for this item) */
		__atomic_store_n(&j->held, 1, __ATOMIC_RELEASE);
		while (!__atomic_load_n(&forked, __ATOMIC_ACQUIRE))
			nap(1);
	}

	if (worker >= j->size) {
		__atomic_store_n(&j->bad_worker, 1, __ATOMIC_RELAXED);
		return -EINVAL;
	}
	if (__atomic_fetch_add(&j->inside[worker], 1, __ATOMIC_RELAXED))
		__atomic_store_n(&j->shared, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&j->seen[item], 1, __ATOMIC_RELAXED);
	for (spin = 0; spin < 200; spin++)
		;
	__atomic_fetch_sub(&j->inside[worker], 1, __ATOMIC_RELAXED);
	return (int)item == j->fail_at ? -EIO - (int)(item & 1) : 0;
}

static unsigned threads_now(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The threads of this process once n remain, waited for up to ms:
 * pthread_join returns when a thread's stack is free, a moment before the
 * kernel takes it off /proc/self/task (longer on a loaded machine). */
static unsigned threads_settle(unsigned n, int ms)
{
	struct timespec t = {0, 1000000};
	unsigned now = threads_now();

	for (int i = 0; i < ms && now != n; i++) {
		nanosleep(&t, NULL);
		now = threads_now();
	}
	return now;
}

/* Every item of j's run of n ran once, under worker ids of its own. */
static void check_job(const struct job *j, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (j->seen[i] != 1) {
			FAIL("size %u n %zu: item %zu ran %u times", j->size, n,
			     i, j->seen[i]);
			break;
		}
	if (j->bad_worker || j->shared)
		FAIL("size %u: worker ids out of range (%d) or shared (%d)",
		     j->size, j->bad_worker, j->shared);
}

static void check_run(gdb_pool *p, size_t n, int fail_at, int want_rc)
{
	struct job *j = calloc(1, sizeof(*j));
	int rc;

	if (!j)
		exit(T_EXIT_FAIL);
	j->size = gdb_pool_size(p);
	j->fail_at = fail_at;
	j->hold_at = -1;
	rc = gdb_pool_run(p, n, item_fn, j);
	if (rc != want_rc)
		FAIL("size %u n %zu: rc %d, want %d", j->size, n, rc, want_rc);
	check_job(j, n);
	free(j);
}

static void *concurrent(void *arg)
{
	check_run(arg, NITEMS, -1, 0);
	return NULL;
}

/* ---- fork() once a pool has run ---- */

static void note_forked(void)
{
	__atomic_store_n(&forked, 1, __ATOMIC_RELEASE);
}

/* The forked child: a run on the pool it inherits runs every item once,
 * on threads of its own (it has none but its own at first), and the pool
 * frees; exit 0, else 1. Waiting for the parent's threads, which are not
 * in the child, hangs it: the parent kills it (unit_wait_child). */
static void pool_child(void *arg)
{
	gdb_pool *p = arg;
	int failed = failures;

	check_run(p, NITEMS, -1, 0);
	if (threads_now() != gdb_pool_size(p))
		FAIL("child: %u threads after a run, want %u (its own)",
		     threads_now(), gdb_pool_size(p));
	gdb_pool_free(p);
	if (threads_settle(1, UNIT_CHILD_SECONDS * 500) !=
	    1) /* the parent waits 2x */
		FAIL("child: threads left after free");
	unit_child_exit(failures == failed ? 0 : 1);
}

static void fork_pool(gdb_pool *p, const char *when)
{
	unit_fork_checked(pool_child, p, when,
			  "waiting for the parent's threads",
			  "a wrong run, or not on threads of its own");
}

struct held_run {
	gdb_pool *p;
	struct job j;
	int rc;
};

static void *run_held(void *arg)
{
	struct held_run *h = arg;

	h->rc = gdb_pool_run(h->p, NITEMS, item_fn, &h->j);
	return NULL;
}

/* Fork after a pool of 3 has run, then while another thread runs on it
 * (an item held until the fork): each child runs on the pool with two
 * threads of its own; the parent's pool and its run go on. */
static void check_fork(void)
{
	struct held_run *h = calloc(1, sizeof(*h));
	pthread_t t;

	if (!h || gdb_pool_new(3, &h->p)) {
		FAIL("pool_new");
		free(h);
		return;
	}
	check_run(h->p, NITEMS, -1, 0); /* its threads started */
	CHECK(pthread_atfork(NULL, note_forked, NULL) == 0, "atfork");
	fork_pool(h->p, "after a run");
	check_run(h->p, NITEMS, -1, 0); /* the parent's threads still run */
	__atomic_store_n(&forked, 0, __ATOMIC_RELEASE);
	h->j.size = 3;
	h->j.fail_at = -1;
	h->j.hold_at = 0;
	if (pthread_create(&t, NULL, run_held, h)) {
		FAIL("thread");
	} else {
		while (!__atomic_load_n(&h->j.held, __ATOMIC_ACQUIRE))
			nap(1);
		fork_pool(h->p, "during a run on another thread");
		__atomic_store_n(&forked, 1,
				 __ATOMIC_RELEASE); /* had it failed */
		pthread_join(t, NULL);
		CHECK(h->rc == 0, "the run across the fork: rc %d", h->rc);
		check_job(&h->j, NITEMS);
	}
	gdb_pool_free(h->p);
	free(h);
}

int main(void)
{
	static const unsigned sizes[] = {1, 2, 3, 8, 0};
	static const size_t ns[] = {0, 1, 2, 7, NITEMS};

	check_run(NULL, NITEMS, -1, 0);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		unsigned before = threads_now();
		gdb_pool *p;

		if (gdb_pool_new(sizes[s], &p)) {
			FAIL("pool_new");
			continue;
		}
		if (threads_now() != before)
			FAIL("size %u: threads started before the first run",
			     sizes[s]);
		for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++)
			check_run(p, ns[k], -1, 0);
		check_run(p, NITEMS, 1234, -EIO);
		check_run(p, NITEMS, 4321, -EIO - 1);
		if (gdb_pool_size(p) > 1 &&
		    threads_now() != before + gdb_pool_size(p) - 1)
			FAIL("size %u: %u threads, want %u", gdb_pool_size(p),
			     threads_now() - before, gdb_pool_size(p) - 1);
		{
			pthread_t t[3];

			for (int i = 0; i < 3; i++)
				if (pthread_create(&t[i], NULL, concurrent, p))
					exit(T_EXIT_FAIL);
			for (int i = 0; i < 3; i++)
				pthread_join(t[i], NULL);
		}
		gdb_pool_free(p);
		if (threads_settle(before, 60000) != before)
			FAIL("size %u: threads left after free", sizes[s]);
	}
	gdb_pool_free(NULL);
	check_fork();
	if (failures) {
		fprintf(stderr, "test_pool: %d failures\n", failures);
		return T_EXIT_FAIL;
	}
	printf("test_pool: ok\n");
	return T_EXIT_PASS;
}
