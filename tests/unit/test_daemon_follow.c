/*
 * tests/unit/test_daemon_follow.c - the thread reading /dev/fuse follows
 * its reader's CPU (fs/daemon/follow.c): the CPU a thread last ran on is
 * read from /proc whatever its name holds (blanks, parentheses); a thread
 * whose requester ran on another CPU at two looks in a row (every
 * FOLLOW_EVERY calls) moves there and is given back its CPUs (not
 * pinned); within FOLLOW_GAP_NS of a move, for a requester gone, on a CPU
 * the thread may not use, or with following off it does not move; one
 * started on a single CPU does not follow; looks that find the pair
 * together space out, and one that finds it apart undoes that.
 * Exit 0 pass, 1 fail.
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

/* Calls until the next look, then the look: @return the moves made */
static int look(struct daemon_follow *f, pid_t tid)
{
	int moved = 0;

	for (unsigned i = 0; i < FOLLOW_EVERY; i++)
		moved += daemon_follow_reader(f, tid);
	return moved;
}

/* Its CPUs are all again (not pinned to where it moved). */
static void check_given_back(const cpu_set_t *all, const char *who)
{
	cpu_set_t now;

	CHECK(sched_getaffinity(0, sizeof(now), &now) == 0 &&
		  CPU_EQUAL(&now, all),
	      "%s: its own CPUs not given back", who);
}

/* Pinned to from (so the looks find it there), with all its own CPUs,
 * follow the requester on CPU to. */
static void test_follow(int from, int to, pid_t tid, const cpu_set_t *all)
{
	struct daemon_follow f;

	daemon_follow_init(&f, 1);
	pin(from);
	CHECK(look(&f, tid) == 0, "moved at the first look");
	CHECK(f.want == to, "first look: requester on %d, saw %d", to, f.want);
	CHECK(look(&f, tid) == (from != to), "CPU %d to %d: no move", from, to);
	CHECK(f.moved == (from != to), "%u moves counted", f.moved);
	check_given_back(all, "after a move");
	CHECK(f.moved == 0 || f.want == -1, "a move kept its look (%d)",
	      f.want);
	/* within the gap of the last move (its time in the future, so no
	 * clock is involved): no move, and no look either (want untouched) */
	pin(from);
	f.moved = 1;
	f.want = -7;
	f.last = f.last + 3600LL * 1000000000LL;
	CHECK(look(&f, tid) == 0, "moved within the gap");
	CHECK(f.want == -7, "looked within the gap (want %d)", f.want);
	/* after it: the first look only records, the second moves */
	f.last = 0;
	CHECK(look(&f, tid) == 0, "moved on one look after the gap");
	CHECK(look(&f, tid) == (from != to), "no move after the gap");
	check_given_back(all, "after the gap");
	/* a requester gone: no move */
	pin(from);
	f.want = -1;
	CHECK(look(&f, 0) + look(&f, -1) == 0, "moved for no requester");
}

/* Calls until f's next look, then the look: @return the moves made */
static int next_look(struct daemon_follow *f, pid_t tid)
{
	unsigned every = f->every;
	int moved = 0;

	for (unsigned i = 0; i < every; i++)
		moved += daemon_follow_reader(f, tid);
	return moved;
}

/* Looks that find the pair together (the thread on to, where the
 * requester is) space out: twice as far each time, up to
 * FOLLOW_EVERY_MAX; one look that finds it apart (the thread on from)
 * moves and starts again at FOLLOW_EVERY. */
static void test_backoff(int from, int to, pid_t tid, const cpu_set_t *all)
{
	struct daemon_follow f;
	unsigned want = FOLLOW_EVERY;

	daemon_follow_init(&f, 1);
	CHECK(f.every == FOLLOW_EVERY, "first interval %u", f.every);
	pin(to);
	for (int i = 0; i < 5; i++) {
		CHECK(next_look(&f, tid) == 0, "moved while together");
		want =
		    want * 2 > FOLLOW_EVERY_MAX ? FOLLOW_EVERY_MAX : want * 2;
		CHECK(f.every == want, "look %d together: every %u, not %u", i,
		      f.every, want);
		CHECK(f.n == 0, "look %d: not made (%u calls since)", i, f.n);
	}
	CHECK(f.every == FOLLOW_EVERY_MAX, "spaced out to %u", f.every);
	if (from == to)
		return; /* one CPU: never apart */
	/* apart: the look before found the requester on to as well */
	pin(from);
	CHECK(next_look(&f, tid) == 1, "no move after spaced-out looks");
	CHECK(f.every == FOLLOW_EVERY, "apart: every %u, not %u", f.every,
	      FOLLOW_EVERY);
	check_given_back(all, "after spaced-out looks");
	/* the requester on a CPU that is not its own: nowhere to go, so the
	 * looks space out as when together (past the last move's gap) */
	CPU_CLR(to, (cpu_set_t *)(void *)f.own);
	f.last -= FOLLOW_GAP_NS;
	pin(from);
	CHECK(next_look(&f, tid) == 0, "moved to a CPU not its own");
	CHECK(f.every == 2 * FOLLOW_EVERY, "nowhere to go: every %u, not %u",
	      f.every, 2 * FOLLOW_EVERY);
}

/* Pinned to from before following starts, the requester's CPU is not
 * one it may use; following off never moves. */
static void test_no_move(int from, int to, pid_t tid, const cpu_set_t *all)
{
	struct daemon_follow f;

	pin(from);
	daemon_follow_init(&f, 1);
	/* (on a one-CPU machine or cpuset that CPU is every CPU it may have,
	 * not the user's choice: it may follow, with nowhere to go) */
	CHECK(f.off || from == to, "follows from a single CPU of the user's");
	f.off = 0; /* its own CPUs alone keep it there */
	f.want = to;
	CHECK(look(&f, tid) == 0 || from == to, "moved off its own CPUs");
	CHECK(sched_getcpu() == from, "pinned to %d, now on %d", from,
	      sched_getcpu());
	(void)sched_setaffinity(0, sizeof(*all), all);
	/* switched off after a start that could follow (with init(.., 0)
	 * its own CPUs are empty, which alone would stop a move) */
	daemon_follow_init(&f, 1);
	CHECK(!f.off, "following on at init");
	f.off = 1;
	pin(from);
	f.want = to;
	CHECK(look(&f, tid) + look(&f, tid) == 0, "moved with following off");
	daemon_follow_init(&f, 0);
	CHECK(f.off, "following on after init(off)");
	(void)sched_setaffinity(0, sizeof(*all), all);
}

int main(void)
{
	struct req r = {.ready = 0};
	cpu_set_t all;
	pthread_t t;
	int first = -1, last = -1;

	/* every CPU the kernel allows (a taskset of the test itself would
	 * make a start on one CPU the user's choice) */
	CPU_ZERO(&all);
	for (int c = 0; c < CPU_SETSIZE; c++)
		CPU_SET(c, &all);
	(void)sched_setaffinity(0, sizeof(all), &all);
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
	(void)sched_setaffinity(0, sizeof(all), &all);
	test_follow(first, last, r.tid, &all);
	(void)sched_setaffinity(0, sizeof(all), &all);
	test_no_move(first, last, r.tid, &all);
	(void)sched_setaffinity(0, sizeof(all), &all);
	test_backoff(first, last, r.tid, &all);
	(void)sched_setaffinity(0, sizeof(all), &all);
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
