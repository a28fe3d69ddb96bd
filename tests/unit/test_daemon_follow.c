/*
 * tests/unit/test_daemon_follow.c - the thread reading /dev/fuse follows
 * its reader's CPU (fs/daemon/follow.c): the CPU a thread last ran on is
 * read from /proc whatever its name holds (blanks, parentheses); every
 * FOLLOW_EVERY calls, a thread whose requester last ran on another CPU
 * moves there and keeps its own CPUs (not pinned); a requester gone or
 * on a CPU the thread may not use moves nothing. Exit 0 pass, 1 fail.
 */
#define _GNU_SOURCE
#define UNIT_SEED 0xf011u
#include "tests/unit/unit.h"

#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs/daemon/daemon_int.h"

/* The requester: a thread pinned to one CPU, waiting until told to end. */
struct req {
	int cpu;
	pid_t tid;
	int ready, stop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void pin(int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one) != 0)
		FAIL("pin to CPU %d", cpu);
}

static void *req_main(void *arg)
{
	struct req *r = arg;

	pin(r->cpu);
	(void)prctl(PR_SET_NAME, "a) b (c");
	pthread_mutex_lock(&r->lock);
	r->tid = (pid_t)syscall(SYS_gettid);
	r->ready = 1;
	pthread_cond_broadcast(&r->cond);
	while (!r->stop)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* Its own CPU, read back from /proc, under a name with ") (" in it. */
static void test_task_cpu(int cpu, pid_t tid)
{
	CHECK(daemon_task_cpu(tid) == cpu, "requester on CPU %d, read %d", cpu,
	      daemon_task_cpu(tid));
	CHECK(daemon_task_cpu(0) == -1 && daemon_task_cpu(-5) == -1,
	      "no such task");
}

/* From CPU from, unpinned, follow the requester on CPU to. */
static void test_follow(int from, int to, pid_t tid, const cpu_set_t *all)
{
	struct daemon_follow f = {.n = 0};
	cpu_set_t now;
	int moved = 0;

	pin(from);
	(void)sched_setaffinity(0, sizeof(*all), all); /* stays on from */
	for (unsigned i = 0; i < FOLLOW_EVERY - 1; i++)
		moved += daemon_follow_reader(&f, tid);
	CHECK(moved == 0, "moved before looking");
	moved = daemon_follow_reader(&f, tid);
	CHECK(moved == (from != to), "CPU %d to %d: moved %d", from, to, moved);
	if (moved)
		CHECK(sched_getcpu() == to, "on CPU %d, the reader on %d",
		      sched_getcpu(), to);
	CHECK(sched_getaffinity(0, sizeof(now), &now) == 0 &&
		  CPU_EQUAL(&now, all),
	      "its own CPUs not given back");
	/* a requester gone, and one on a CPU it may not use: no move */
	for (unsigned i = 0; i < FOLLOW_EVERY; i++)
		moved = daemon_follow_reader(&f, 0);
	CHECK(!moved, "moved for no requester");
	pin(from);
	for (unsigned i = 0; i < FOLLOW_EVERY; i++)
		moved = daemon_follow_reader(&f, tid);
	CHECK(!moved || from == to, "moved off its own CPUs");
	CHECK(sched_getcpu() == from, "pinned to %d, now on %d", from,
	      sched_getcpu());
	(void)sched_setaffinity(0, sizeof(*all), all);
}

int main(void)
{
	struct req r = {.ready = 0};
	cpu_set_t all;
	pthread_t t;
	int first = -1, last = -1;

	if (sched_getaffinity(0, sizeof(all), &all) != 0)
		return T_EXIT_FAIL;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all)) {
			if (first < 0)
				first = c;
			last = c;
		}
	/* the reader on the last CPU: the thread follows from the first
	 * (on one CPU, it has nowhere to go) */
	r.cpu = last;
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.cond, NULL);
	if (pthread_create(&t, NULL, req_main, &r) != 0)
		return T_EXIT_FAIL;
	pthread_mutex_lock(&r.lock);
	while (!r.ready)
		pthread_cond_wait(&r.cond, &r.lock);
	pthread_mutex_unlock(&r.lock);
	test_task_cpu(last, r.tid);
	test_follow(first, last, r.tid, &all);
	pthread_mutex_lock(&r.lock);
	r.stop = 1;
	pthread_cond_broadcast(&r.cond);
	pthread_mutex_unlock(&r.lock);
	pthread_join(t, NULL);
	if (failures)
		fprintf(stderr, "test_daemon_follow: %d failure(s)\n",
			failures);
	else
		printf("test_daemon_follow: ok (CPU %d to %d)\n", first, last);
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
