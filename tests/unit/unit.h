/*
 * tests/unit/unit.h - what the C unit-test binaries share, as liburing's
 * test/helpers.h: exit codes, failure reports that name file and line, a
 * reproducible random generator and a checked malloc.
 *
 * Each test defines UNIT_SEED before including this, so every binary draws
 * its own fixed sequence and a failure reproduces run after run.
 */
#ifndef GDB_UNIT_H
#define GDB_UNIT_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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

#endif
