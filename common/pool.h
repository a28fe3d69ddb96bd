/*
 * common/pool.h - a small pool of worker threads that its owner keeps for
 * its life, for work cut into independent items (a parallel for).
 *
 * Kernels never start threads: a caller that wants a batch spread over
 * the CPUs owns a pool (the /compute namespace keeps one for the life of
 * the mount) and hands it to the batch call, which runs its items on it.
 *
 * The threads start at the first gdb_pool_run(), not at creation. A
 * child forked after a pool has run (or during a run on another thread)
 * has none of its threads: its first gdb_pool_run() or gdb_pool_free()
 * on the pool finds it the parent's (common/forkguard.h) and takes it as
 * not yet run, so the run starts threads of the child's own. The calling
 * thread works too: a pool of size N has N - 1 threads.
 *
 * Threading: gdb_pool_run() may be called from any number of threads on
 * the same pool; one run at a time uses the threads, and a call that
 * finds them busy runs its items on the calling thread alone (it never
 * waits for another run).
 */
#ifndef GDB_POOL_H
#define GDB_POOL_H

#include <stddef.h>

#include "common/gdb.h"

typedef struct gdb_pool gdb_pool;

/*
 * gdb_pool_new - a pool of size workers, the caller's thread included.
 * @param size  0: one per online CPU; capped at GDB_POOL_MAX
 * @return 0 or -ENOMEM
 */
#define GDB_POOL_MAX 256
GDB_MUST_CHECK int gdb_pool_new(unsigned size, gdb_pool **out);

/* Stop and join the threads, free the pool (NULL is a no-op). Not while
 * a run is going on. */
void gdb_pool_free(gdb_pool *p);

/* Workers a run may use: worker ids are 0 .. size - 1 (NULL: 1). */
unsigned gdb_pool_size(const gdb_pool *p);

/*
 * gdb_pool_run - fn(arg, worker, item) for every item in [0, n), spread
 * over the pool's threads and the calling thread; returns once all have
 * returned. Within one call no two fn calls running at the same time
 * share a worker id, so per-worker state of the call indexed by it needs
 * no lock. Items are handed out in increasing order, one at a time.
 * @param p  the pool, or NULL: every item on the calling thread (worker 0)
 * @return 0, or the first negative value an fn returned (the other items
 *         still run)
 */
int gdb_pool_run(gdb_pool *p, size_t n,
		 int (*fn)(void *arg, unsigned worker, size_t item), void *arg);

#endif
