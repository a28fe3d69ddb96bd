/*
 * tests/unit/unit.h - what the C unit-test binaries share, as liburing's
 * test/helpers.h: exit codes, failure reports that name file and line, a
 * reproducible random generator and a checked malloc.
 *
 * Each test defines UNIT_SEED before including this, so every binary draws
 * its own fixed sequence and a failure reproduces run after run.
 *
 * A test that forks waits for its child with unit_wait_child, which bounds
 * the wait in the parent: a child hung anywhere (even inside fork()'s
 * handlers, before it could set an alarm of its own) is killed and the
 * test fails instead of hanging.
 */
#ifndef GDB_UNIT_H
#define GDB_UNIT_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef UNIT_SEED
#error "define UNIT_SEED before including tests/unit/unit.h"
#endif

#define T_EXIT_PASS 0
#define T_EXIT_FAIL 1
#define T_EXIT_SKIP 77

/* Past this many failures, count them but stop printing. */
#define MAX_REPORTS 30

static int failures;
static uint64_t rng_state = UNIT_SEED;

static inline void unit_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (++failures > MAX_REPORTS)
		return;
	fprintf(stderr, "%s:%d: FAIL: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
#define FAIL(...) unit_fail(__FILE__, __LINE__, __VA_ARGS__)

/* CHECK(cond, fmt, ...): a failure naming the condition and a message. */
#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			unit_check_fail(__FILE__, __LINE__, #cond,             \
					__VA_ARGS__);                          \
	} while (0)

static inline void unit_check_fail(const char *file, int line, const char *cond,
				   const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static inline void unit_check_fail(const char *file, int line, const char *cond,
				   const char *fmt, ...)
{
	va_list ap;

	if (++failures > MAX_REPORTS)
		return;
	fprintf(stderr, "%s:%d: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* xorshift64*: deterministic, so a failure reproduces. */
static inline uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static inline void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "out of memory (%zu bytes)\n", n);
		exit(T_EXIT_FAIL);
	}
	return p;
}

/* How long a forked child may take before it counts as hung. */
#define UNIT_CHILD_SECONDS 20

/* Wait for child pid, polling, for at most UNIT_CHILD_SECONDS; past that
 * it is killed (SIGKILL) and reaped. @return 1 when it ended by itself
 * (*status as waitpid sets it), 0 when it was killed as hung, -1 on a
 * waitpid error. */
static inline int unit_wait_child(pid_t pid, int *status)
{
	struct timespec now, end, nap = {0, 5000000L};
	pid_t r;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += UNIT_CHILD_SECONDS;
	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			break;
		nanosleep(&nap, NULL);
	}
	kill(pid, SIGKILL);
	while ((r = waitpid(pid, status, 0)) < 0 && errno == EINTR)
		;
	return r == pid ? 0 : -1;
}

#ifdef GDB_COVERAGE /* the Makefile's coverage builds: libgcov's */
void __gcov_dump(void);
#endif

/* A forked child's end: in coverage builds its counts written (_exit
 * writes none), then _exit(code). */
static inline void unit_child_exit(int code)
{
#ifdef GDB_COVERAGE
	__gcov_dump();
#endif
	_exit(code);
}

/* Fork; the child runs child(arg), which must _exit(0) when its checks
 * pass. The parent waits for it (unit_wait_child); a failure names when
 * and, for a child killed as hung, what hangs it (hung), for one that
 * exited 1 what that means (bad). A child dies with its parent
 * (PR_SET_PDEATHSIG), so one forked in a child that is killed as hung
 * does not live on holding the test's output open. */
static inline void unit_fork_checked(void (*child)(void *), void *arg,
				     const char *when, const char *hung,
				     const char *bad)
{
	int status = 0, ended;
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 ||
		    getppid() != parent)
			_exit(T_EXIT_FAIL); /* the parent is gone already */
		child(arg);
		_exit(T_EXIT_FAIL); /* a child that returns fails */
	}
	if (pid < 0) {
		FAIL("%s: fork", when);
		return;
	}
	ended = unit_wait_child(pid, &status);
	CHECK(ended == 1, "%s: child %s%s", when,
	      ended ? "not waited for" : "hung (killed): ", ended ? "" : hung);
	CHECK(ended != 1 || (WIFEXITED(status) && WEXITSTATUS(status) == 0),
	      "%s: child %s %d (exit 1: %s)", when,
	      WIFEXITED(status) ? "exit" : "signal",
	      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), bad);
}

#endif
