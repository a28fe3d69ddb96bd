/*
 * common/bigbuf.h - large output buffers (a rendered answer of megabytes):
 * fresh ones in transparent huge pages, faulted in by one call, and a
 * small process-wide pool of used ones, so a server that renders answer
 * after answer writes into memory it has already faulted.
 *
 * Why: a fresh 4 MiB buffer from malloc is a thousand page faults, each
 * zeroing a page (at a hypervisor exit each on a virtual machine); that
 * was most of what a large answer cost a daemon beyond its query.
 *
 * Every buffer is an ordinary malloc block: free() and realloc() take it,
 * and gdb_bigbuf_put() takes any malloc block (small ones are freed).
 *
 * The process-wide pool is the daemon's (the answer cache gives its
 * buffers back to it); a module whose answers are larger or more at once
 * (api/: a join's columns) keeps a pool of its own, with its own caps,
 * through the _in calls.
 *
 * Threading: every call may run in any thread (one mutex a pool).
 *
 * fork(): a pool is safe across it. A pool's lock is a fork guard's
 * (common/forkguard.h): the forking thread takes every pool's lock
 * before the fork (so no other thread is inside one, and the child never
 * inherits a lock held by a thread it does not have) and the child
 * starts with its pools empty (their buffers freed): the pooled pages
 * are the parent's, shared copy-on-write, so writing an answer into one
 * would copy every page (no cheaper than fresh memory) and keep the
 * parent's memory alive in the child.
 */
#ifndef GDB_BIGBUF_H
#define GDB_BIGBUF_H

#include <stddef.h>

#include "common/forkguard.h"

/* Smaller requests are left to malloc (gdb_bigbuf_get returns NULL). */
#define GDB_BIGBUF_MIN ((size_t)1 << 20)
/* The process-wide pool holds at most this many buffers and bytes. */
#define GDB_BIGBUF_POOL 4
#define GDB_BIGBUF_POOL_BYTES ((size_t)16 << 20)
/* Any pool holds at most this many buffers. */
#define GDB_BIGBUF_SLOTS 16
/* A fresh buffer is rounded up to whole 2 MiB huge pages when that adds
 * at most 1/GDB_BIGBUF_SLACK of its size, else to 4 KiB pages. */
#define GDB_BIGBUF_SLACK 4

/* A pool: max_n buffers (<= GDB_BIGBUF_SLOTS) and max_bytes at most. It
 * holds a fork guard, so it is a static object (common/forkguard.h). */
typedef struct gdb_bigbuf_pool {
	gdb_fork_guard guard; /* its lock is the pool's */
	unsigned max_n;
	size_t max_bytes;
	void *p[GDB_BIGBUF_SLOTS];    /* under guard.lock */
	size_t cap[GDB_BIGBUF_SLOTS]; /* usable size of p[i] */
	unsigned n;
	size_t bytes; /* sum of cap[0..n) */
} gdb_bigbuf_pool;
#define GDB_BIGBUF_POOL_INIT(count, size)                                      \
	{                                                                      \
		.guard = GDB_FORK_GUARD_INIT(gdb_bigbuf_forked),               \
		.max_n = (count), .max_bytes = (size)                          \
	}
/* A pool in a forked child (its guard's child function; not for other
 * callers): empty, its buffers (the parent's pages) freed. */
void gdb_bigbuf_forked(gdb_fork_guard *g);

/*
 * gdb_bigbuf_get - a buffer of at least n bytes, its contents undefined:
 * the smallest pooled one that is large enough, else a new one, faulted
 * in: n rounded up to whole 2 MiB huge pages when that adds at most
 * n / GDB_BIGBUF_SLACK, else to 4 KiB pages (then 2 MiB aligned when at
 * least one huge page fits: its whole 2 MiB pages are huge, the tail
 * small).
 * @param cap out: the usable size (>= n)
 * @return the buffer, or NULL when n < GDB_BIGBUF_MIN or without memory
 */
void *gdb_bigbuf_get(size_t n, size_t *cap);

/* Give a malloc block back: pooled when large and the pool has room,
 * else freed. NULL is a no-op. */
void gdb_bigbuf_put(void *p);

/*
 * gdb_bigbuf_trim - give back to the system the whole pages of p past its
 * first used + 1 bytes (a terminator at p[used] stays): a buffer sized by
 * an over-estimate (and faulted in by gdb_bigbuf_get) then holds only
 * what its owner counts. p stays the same malloc block, its usable size
 * unchanged; bytes past p[used] read as zero or as they were. Any malloc
 * block may be given; NULL is a no-op.
 */
void gdb_bigbuf_trim(void *p, size_t used);

/* Free every pooled buffer (tests; the pool is otherwise kept). */
void gdb_bigbuf_drain(void);

/* Buffers and bytes in the pool now (tests, statistics). */
void gdb_bigbuf_pooled(unsigned *n, size_t *bytes);

/* The same four calls on a pool of the caller's. */
void *gdb_bigbuf_get_in(gdb_bigbuf_pool *pool, size_t n, size_t *cap);
void gdb_bigbuf_put_in(gdb_bigbuf_pool *pool, void *p);
void gdb_bigbuf_drain_in(gdb_bigbuf_pool *pool);
void gdb_bigbuf_pooled_in(gdb_bigbuf_pool *pool, unsigned *n, size_t *bytes);

#endif
