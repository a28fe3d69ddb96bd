/*
 * tests/unit/unit_oom.h - the failing allocator of the allocation walks
 * (test_store_oom, test_api_oom). Their binaries are linked with
 * ld --wrap=malloc,calloc,realloc,strdup (the Makefile's OOM_WRAP), so
 * the library's calls come to the wrappers here, and after oom_arm(n) the
 * nth of them returns NULL with errno ENOMEM. Include once, in the test's
 * one source file.
 */
#ifndef GDB_UNIT_OOM_H
#define GDB_UNIT_OOM_H

#include <errno.h>
#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

/* oom_at: the allocation to fail (0: none); oom_count: those counted since
 * oom_arm; oom_off: set by the test around its own allocations (its answer
 * buffers), which are then neither counted nor failed. */
static long oom_at, oom_count;
static int oom_off;

/* Is this allocation the one to fail? */
static int oom_now(void)
{
	if (oom_off || !oom_at || ++oom_count != oom_at)
		return 0;
	errno = ENOMEM;
	return 1;
}

void *__wrap_malloc(size_t n)
{
	return oom_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
	return oom_now() ? NULL : __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
	return oom_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return oom_now() ? NULL : __real_strdup(s);
}

/* Fail the nth allocation from now on. */
static inline void oom_arm(long n)
{
	oom_count = 0;
	oom_off = 0;
	oom_at = n;
}

/* Fail none again. @return the allocations made since oom_arm (fewer than
 * its n: the operation ran with none failed) */
static inline long oom_disarm(void)
{
	oom_at = 0;
	oom_off = 0;
	return oom_count;
}

#endif
