/*
 * common/pool.c - the worker pool of common/pool.h.
 *
 * A run publishes its function, argument and item count under the mutex
 * and bumps a generation number; each thread waits for the generation to
 * move, then takes items with an atomic counter until none are left, and
 * reports back. The calling thread takes items too, then waits for the
 * threads. run_lock keeps one run on the threads at a time; a second run
 * that cannot take it works alone on its own thread rather than wait.
 *
 * fork(): the child has none of the pool's threads, and a run (or a
 * thread between runs) may have held run_lock or mu. The pool is marked
 * (common/forkguard.h): the child's first run or free renews it as a
 * pool made there, not yet run (new locks, no thread started), so its
 * next run starts threads of its own.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/forkguard.h"
#include "common/pool.h"

struct worker {
	gdb_pool *p;
	unsigned id;
	uint64_t seen; /* the last generation this thread ran */
	pthread_t tid;
};

struct gdb_pool {
	unsigned size;	  /* workers, the caller included */
	unsigned started; /* threads running (ids 1 .. started) */
	pthread_mutex_t run_lock;
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	uint64_t gen;
	int stop;
	/* the current run (written under mu before gen moves) */
	int (*fn)(void *arg, unsigned worker, size_t item);
	void *arg;
	size_t n;
	size_t next;	    /* atomic: the next item to hand out */
	int rc;		    /* atomic: the first error */
	unsigned busy;	    /* threads still working on this generation */
	gdb_fork_mark mark; /* the process the threads and locks are of */
	struct worker w[GDB_POOL_MAX];
};

/* The pool's locks and condition variables, new. */
static void pool_init_locks(gdb_pool *p)
{
	pthread_mutex_init(&p->run_lock, NULL);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
}

/* p in a child of the process that ran it: as made (the file comment). */
static void pool_renew(void *arg)
{
	gdb_pool *p = arg;

	pool_init_locks(p);
	p->started = 0;
	p->busy = 0;
	p->stop = 0;
}

int gdb_pool_new(unsigned size, gdb_pool **out)
{
	gdb_pool *p;

	if (!size) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);

		size = c > 0 ? (unsigned)c : 1;
	}
	if (size > GDB_POOL_MAX)
		size = GDB_POOL_MAX;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->size = size;
	pool_init_locks(p);
	gdb_fork_mark_set(&p->mark);
	*out = p;
	return 0;
}

unsigned gdb_pool_size(const gdb_pool *p)
{
	return p ? p->size : 1;
}

/* Take items of the current run until none are left. */
static void work(gdb_pool *p, unsigned id)
{
	for (;;) {
		size_t i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
		int rc, zero = 0;

		if (i >= p->n)
			return;
		rc = p->fn(p->arg, id, i);
		if (rc < 0)
			__atomic_compare_exchange_n(&p->rc, &zero, rc, 0,
						    __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED);
	}
}

static void *thread_main(void *arg)
{
	struct worker *w = arg;
	gdb_pool *p = w->p;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->gen == w->seen && !p->stop)
			pthread_cond_wait(&p->go, &p->mu);
		if (p->stop)
			break;
		w->seen = p->gen;
		pthread_mutex_unlock(&p->mu);
		work(p, w->id);
		pthread_mutex_lock(&p->mu);
		if (--p->busy == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Start the threads not yet running (under run_lock); as many as the
 * system gives. */
static void start_threads(gdb_pool *p)
{
	while (p->started + 1 < p->size) {
		struct worker *w = &p->w[p->started + 1];

		w->p = p;
		w->id = p->started + 1;
		w->seen = p->gen; /* before this run moves it */
		if (pthread_create(&w->tid, NULL, thread_main, w))
			break;
		p->started++;
	}
}

static int run_alone(size_t n, int (*fn)(void *, unsigned, size_t), void *arg)
{
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		int r = fn(arg, 0, i);

		if (r < 0 && !rc)
			rc = r;
	}
	return rc;
}

int gdb_pool_run(gdb_pool *p, size_t n,
		 int (*fn)(void *arg, unsigned worker, size_t item), void *arg)
{
	int rc;

	if (!p || n < 2 || p->size < 2)
		return run_alone(n, fn, arg);
	gdb_fork_mark_check(&p->mark, pool_renew, p);
	if (pthread_mutex_trylock(&p->run_lock))
		return run_alone(n, fn, arg);
	start_threads(p);
	if (!p->started) {
		pthread_mutex_unlock(&p->run_lock);
		return run_alone(n, fn, arg);
	}
	pthread_mutex_lock(&p->mu);
	p->fn = fn;
	p->arg = arg;
	p->n = n;
	p->next = 0;
	p->rc = 0;
	p->busy = p->started;
	p->gen++;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	work(p, 0);
	pthread_mutex_lock(&p->mu);
	while (p->busy)
		pthread_cond_wait(&p->done, &p->mu);
	rc = p->rc;
	pthread_mutex_unlock(&p->mu);
	pthread_mutex_unlock(&p->run_lock);
	return rc;
}

void gdb_pool_free(gdb_pool *p)
{
	if (!p)
		return;
	gdb_fork_mark_check(&p->mark, pool_renew, p);
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 1; i <= p->started; i++)
		pthread_join(p->w[i].tid, NULL);
	pthread_mutex_destroy(&p->run_lock);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
	free(p);
}
