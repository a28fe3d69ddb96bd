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
 * at most 2n plus two huge pages (a buffer's usable size runs up to a
 * huge page past what fresh() asked for): the cache charges an answer's
 * length, so a far larger buffer would hold memory no budget sees. */
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

static void *fresh(size_t n, size_t *cap)
{
	size_t sz = (n + HUGE_SZ - 1) / HUGE_SZ * HUGE_SZ;
	void *p = NULL;

	if (sz < n || posix_memalign(&p, HUGE_SZ, sz))
		return NULL;
	/* Advice only (see the top): ignore what the kernel declines. */
	(void)madvise(p, sz, MADV_HUGEPAGE);
	(void)madvise(p, (n + PAGE_SZ - 1) / PAGE_SZ * PAGE_SZ,
		      MADV_POPULATE_WRITE);
	*cap = malloc_usable_size(p);
	return p;
}

void *gdb_bigbuf_get_in(gdb_bigbuf_pool *pool, size_t n, size_t *cap)
{
	void *p;

	if (n < GDB_BIGBUF_MIN)
		return NULL;
	pthread_mutex_lock(&pool->lock);
	p = take(pool, n, cap);
	pthread_mutex_unlock(&pool->lock);
	return p ? p : fresh(n, cap);
}

void gdb_bigbuf_put_in(gdb_bigbuf_pool *pool, void *p)
{
	size_t cap;

	if (!p)
		return;
	cap = malloc_usable_size(p);
	if (cap >= GDB_BIGBUF_MIN) {
		pthread_mutex_lock(&pool->lock);
		if (pool->n < pool->max_n && pool->n < GDB_BIGBUF_SLOTS &&
		    pool->bytes + cap <= pool->max_bytes) {
			pool->p[pool->n] = p;
			pool->cap[pool->n++] = cap;
			pool->bytes += cap;
			p = NULL;
		}
		pthread_mutex_unlock(&pool->lock);
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

	pthread_mutex_lock(&pool->lock);
	n = pool->n;
	for (unsigned i = 0; i < n; i++)
		p[i] = pool->p[i];
	pool->n = 0;
	pool->bytes = 0;
	pthread_mutex_unlock(&pool->lock);
	for (unsigned i = 0; i < n; i++)
		free(p[i]);
}

void gdb_bigbuf_pooled_in(gdb_bigbuf_pool *pool, unsigned *n, size_t *bytes)
{
	pthread_mutex_lock(&pool->lock);
	*n = pool->n;
	*bytes = pool->bytes;
	pthread_mutex_unlock(&pool->lock);
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
