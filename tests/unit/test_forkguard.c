/*
 * tests/unit/test_forkguard.c - gdb_fork_mark_check: an object marked in
 * a parent is renewed exactly once in a forked child, however many of the
 * child's threads reach it at once, each of them returning only after the
 * renewal is done; never in the process that marked it; once more in a
 * grandchild. (The stream and pool tests fork with real objects; they
 * cannot tell one renewal from two.)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "common/forkguard.h"

/* no random input here, but unit.h wants a seed */
#define UNIT_SEED 0x666f726b6d61726bull
#include "unit.h"

#define RACERS 4

static gdb_fork_mark mark;
static int renewals;  /* atomic: renew()'s calls in this process */
static int after_bad; /* atomic: a racer that returned before renewal */
static pthread_barrier_t start;

/* Slow on purpose: the other racers arrive while it runs. */
static void renew(void *obj)
{
	struct timespec ts = {0, 20000000L};

	(void)obj;
	nanosleep(&ts, NULL);
	__atomic_add_fetch(&renewals, 1, __ATOMIC_ACQ_REL);
}

static void *racer(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&start);
	gdb_fork_mark_check(&mark, renew, NULL);
	if (__atomic_load_n(&renewals, __ATOMIC_ACQUIRE) != 1)
		__atomic_store_n(&after_bad, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* RACERS threads check the mark at once: 0 when renew ran once and no
 * racer returned before it had, 1 when not, SETUP_FAILED when the
 * threads could not be started. */
#define SETUP_FAILED 2
static int race(void)
{
	pthread_t t[RACERS];

	__atomic_store_n(&renewals, 0, __ATOMIC_RELEASE);
	if (pthread_barrier_init(&start, NULL, RACERS))
		return SETUP_FAILED;
	for (int i = 0; i < RACERS; i++)
		if (pthread_create(&t[i], NULL, racer, NULL))
			return SETUP_FAILED; /* _exit ends the waiting ones */
	for (int i = 0; i < RACERS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	if (__atomic_load_n(&renewals, __ATOMIC_ACQUIRE) != 1 ||
	    __atomic_load_n(&after_bad, __ATOMIC_ACQUIRE))
		return 1;
	gdb_fork_mark_check(&mark, renew, NULL); /* renewed: nothing */
	return __atomic_load_n(&renewals, __ATOMIC_ACQUIRE) != 1;
}

static void grandchild(void *arg)
{
	(void)arg;
	unit_child_exit(race());
}

static void child(void *arg)
{
	int rc;

	(void)arg;
	rc = race();
	if (rc)
		unit_child_exit(rc);
	/* the grandchild renews again: the child's mark is not its own */
	unit_fork_checked(grandchild, NULL, "grandchild", "renewal waits",
			  "renewed other than once");
	unit_child_exit(failures ? 1 : 0);
}

int main(void)
{
	gdb_fork_mark_set(&mark);
	gdb_fork_mark_check(&mark, renew, NULL);
	CHECK(__atomic_load_n(&renewals, __ATOMIC_ACQUIRE) == 0,
	      "the marking process renews nothing");
	unit_fork_checked(child, NULL, "child", "renewal waits",
			  "renewed other than once, or a racer returned "
			  "before the renewal was done; exit 2: threads "
			  "not started");
	CHECK(__atomic_load_n(&renewals, __ATOMIC_ACQUIRE) == 0,
	      "the parent still renews nothing");
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
