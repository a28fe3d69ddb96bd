/*
 * common/bigbuf.c - large output buffers and their pools (API: bigbuf.h).
 *
 * A pooled buffer's size is malloc_usable_size(): a pool takes any
 * malloc block, whoever allocated it. Requests for huge pages and
 * prefaulting are advice: a kernel without them (or THP "never") leaves
 * an ordinary buffer, which is still correct.
 */
#define _GNU_SOURCE
#include "common/bigbuf.h"

#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_SZ ((size_t)2 << 20)
#define PAGE_SZ ((size_t)4096)

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static gdb_bigbuf_pool shared =
    GDB_BIGBUF_POOL_INIT(GDB_BIGBUF_POOL, GDB_BIGBUF_POOL_BYTES);

/* Under the lock: the smallest pooled buffer of at least n bytes, and
 * at most 2n plus two huge pages (any malloc block may be pooled, its
 * usable size rounded as its allocator chose): the cache charges an
 * answer's length, so a far larger buffer would hold memory no budget
 * sees. */
static void *take(gdb_bigbuf_pool *pool, size_t n, size_t *cap)
{
	unsigned best = GDB_BIGBUF_SLOTS;
	size_t most =
	    n > (SIZE_MAX - 2 * HUGE_SZ) / 2 ? SIZE_MAX : 2 * (n + HUGE_SZ);
	void *p;

	for (unsigned i = 0; i < pool->n; i++)
		if (pool->cap[i] >= n && pool->cap[i] <= most &&
		    (best == GDB_BIGBUF_SLOTS ||
		     pool->cap[i] < pool->cap[best]))
			best = i;
	if (best == GDB_BIGBUF_SLOTS)
		return NULL;
	p = pool->p[best];
	*cap = pool->cap[best];
	pool->bytes -= pool->cap[best];
	pool->n--;
	pool->p[best] = pool->p[pool->n];
	pool->cap[best] = pool->cap[pool->n];
	return p;
}

/* Advice on the whole pages inside [p, p + len) (a block that realloc
 * moved need not start on a page). */
static void advise(void *p, size_t len, int advice)
{
	uintptr_t a = ((uintptr_t)p + PAGE_SZ - 1) & ~(uintptr_t)(PAGE_SZ - 1);
	uintptr_t e = ((uintptr_t)p + len) & ~(uintptr_t)(PAGE_SZ - 1);

	if (e > a)
		(void)madvise((void *)a, e - a, advice);
}

/*
 * A new buffer's size: n rounded up to whole 2 MiB huge pages when that
 * adds at most n / GDB_BIGBUF_SLACK (*huge set), else to 4 KiB pages
 * (*huge set when a whole huge page fits: those are huge, the tail
 * small). 0 on overflow. On the VM this runs on (docs/BENCHMARKS.md) a
 * fresh 4 KiB page costs about 10 us of CPU to fault in and a fresh huge
 * page about 0.15 ms (0.07 us a KiB): small pages cost ten times more
 * CPU, huge ones up to twice the memory (a 2.1 MiB answer held 4 MiB),
 * and the pools and the cache count usable sizes, not pages. So huge
 * pages where the rounding is small, small pages for the rest.
 */
static size_t fresh_size(size_t n, int *huge)
{
	size_t pages = (n + PAGE_SZ - 1) / PAGE_SZ * PAGE_SZ;
	size_t huges = (n + HUGE_SZ - 1) / HUGE_SZ * HUGE_SZ;

	if (pages < n || huges < n)
		return 0;
	*huge = huges - n <= n / GDB_BIGBUF_SLACK;
	if (*huge)
		return huges;
	*huge = pages >= HUGE_SZ;
	return pages;
}

/*
 * A new buffer (fresh_size), 2 MiB aligned when it holds huge pages. That
 * alignment leaves glibc's mapping up to 2 MiB longer than asked, all of
 * it usable (so counted): a realloc to the size asked gives it back, in
 * place (it shrinks the mapping; one that moved would only lose the
 * alignment, which is advice).
 */
static void *fresh(size_t n, size_t *cap)
{
	int huge = 0;
	size_t sz = fresh_size(n, &huge);
	void *p = NULL, *q;

	if (!sz || posix_memalign(&p, huge ? HUGE_SZ : PAGE_SZ, sz))
		return NULL;
	if (malloc_usable_size(p) - sz >= PAGE_SZ && (q = realloc(p, sz)))
		p = q;
	/* Advice only (see the top): ignore what the kernel declines. */
	if (huge)
		advise(p, sz, MADV_HUGEPAGE);
	advise(p, sz, MADV_POPULATE_WRITE);
	*cap = malloc_usable_size(p);
	return p;
}

void gdb_bigbuf_forked(gdb_fork_guard *g)
{
	gdb_bigbuf_pool *p =
	    (gdb_bigbuf_pool *)((char *)g - offsetof(gdb_bigbuf_pool, guard));

	for (unsigned i = 0; i < p->n; i++)
		free(p->p[i]);
	p->n = 0;
	p->bytes = 0;
}

void *gdb_bigbuf_get_in(gdb_bigbuf_pool *pool, size_t n, size_t *cap)
{
	void *p;

	if (n < GDB_BIGBUF_MIN)
		return NULL;
	gdb_fork_guard_lock(&pool->guard);
	p = take(pool, n, cap);
	gdb_fork_guard_unlock(&pool->guard);
	return p ? p : fresh(n, cap);
}

void gdb_bigbuf_put_in(gdb_bigbuf_pool *pool, void *p)
{
	size_t cap;

	if (!p)
		return;
	cap = malloc_usable_size(p);
	if (cap >= GDB_BIGBUF_MIN) {
		gdb_fork_guard_lock(&pool->guard);
		if (pool->n < pool->max_n && pool->n < GDB_BIGBUF_SLOTS &&
		    pool->bytes + cap <= pool->max_bytes) {
			pool->p[pool->n] = p;
			pool->cap[pool->n++] = cap;
			pool->bytes += cap;
			p = NULL;
		}
		gdb_fork_guard_unlock(&pool->guard);
	}
	free(p);
}

void gdb_bigbuf_trim(void *p, size_t used)
{
	uintptr_t a, e;

	if (!p)
		return;
	/* only pages wholly inside the block's usable bytes (malloc's own
	 * fields lie outside them), and past a terminator at p[used] */
	a = ((uintptr_t)p + used + PAGE_SZ) & ~(uintptr_t)(PAGE_SZ - 1);
	e = ((uintptr_t)p + malloc_usable_size(p)) & ~(uintptr_t)(PAGE_SZ - 1);
	if (e > a)
		(void)madvise((void *)a, e - a, MADV_DONTNEED);
}

void gdb_bigbuf_drain_in(gdb_bigbuf_pool *pool)
{
	void *p[GDB_BIGBUF_SLOTS];
	unsigned n;

	gdb_fork_guard_lock(&pool->guard);
	n = pool->n;
	for (unsigned i = 0; i < n; i++)
		p[i] = pool->p[i];
	pool->n = 0;
	pool->bytes = 0;
	gdb_fork_guard_unlock(&pool->guard);
	for (unsigned i = 0; i < n; i++)
		free(p[i]);
}

void gdb_bigbuf_pooled_in(gdb_bigbuf_pool *pool, unsigned *n, size_t *bytes)
{
	gdb_fork_guard_lock(&pool->guard);
	*n = pool->n;
	*bytes = pool->bytes;
	gdb_fork_guard_unlock(&pool->guard);
}

void *gdb_bigbuf_get(size_t n, size_t *cap)
{
	return gdb_bigbuf_get_in(&shared, n, cap);
}

void gdb_bigbuf_put(void *p)
{
	gdb_bigbuf_put_in(&shared, p);
}

void gdb_bigbuf_drain(void)
{
	gdb_bigbuf_drain_in(&shared);
}

void gdb_bigbuf_pooled(unsigned *n, size_t *bytes)
{
	gdb_bigbuf_pooled_in(&shared, n, bytes);
}
