/*
 * common/forkguard.c - locks made safe across fork() (API: forkguard.h).
 *
 * Every guard locked so far is on one list; around fork() the forking
 * thread holds the list's lock and then each guard's, in list order (no
 * other code takes two of them), so the child inherits every guarded
 * state between calls, locked by its own (only) thread.
 */
#include "common/forkguard.h"

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static gdb_fork_guard *listed; /* under list_lock */
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

static void fork_prepare(void)
{
	pthread_mutex_lock(&list_lock);
	for (gdb_fork_guard *g = listed; g; g = g->next)
		pthread_mutex_lock(&g->lock);
}

static void fork_parent(void)
{
	for (gdb_fork_guard *g = listed; g; g = g->next)
		pthread_mutex_unlock(&g->lock);
	pthread_mutex_unlock(&list_lock);
}

static void fork_child(void)
{
	for (gdb_fork_guard *g = listed; g; g = g->next) {
		g->child(g);
		pthread_mutex_unlock(&g->lock);
	}
	pthread_mutex_unlock(&list_lock);
}

static void handlers_install(void)
{
	/* without memory for it (ENOMEM) guards are plain mutexes */
	(void)pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void gdb_fork_guard_lock(gdb_fork_guard *g)
{
	if (!__atomic_load_n(&g->listed, __ATOMIC_ACQUIRE)) {
		pthread_once(&handlers_once, handlers_install);
		pthread_mutex_lock(&list_lock);
		if (!g->listed) {
			g->next = listed;
			listed = g;
			__atomic_store_n(&g->listed, 1, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&list_lock);
	}
	pthread_mutex_lock(&g->lock);
}

void gdb_fork_guard_unlock(gdb_fork_guard *g)
{
	pthread_mutex_unlock(&g->lock);
}

/* The forks between the first mark and this process: raised in a child
 * (under renew_guard's lock, the child's one thread). */
static unsigned generation;

static void generation_forked(gdb_fork_guard *g)
{
	(void)g;
	__atomic_store_n(&generation, generation + 1, __ATOMIC_RELEASE);
}
static gdb_fork_guard renew_guard = GDB_FORK_GUARD_INIT(generation_forked);

void gdb_fork_mark_set(gdb_fork_mark *m)
{
	gdb_fork_guard_lock(&renew_guard);
	__atomic_store_n(&m->gen, generation, __ATOMIC_RELEASE);
	gdb_fork_guard_unlock(&renew_guard);
}

void gdb_fork_mark_check(gdb_fork_mark *m, void (*renew)(void *obj), void *obj)
{
	if (__atomic_load_n(&m->gen, __ATOMIC_ACQUIRE) ==
	    __atomic_load_n(&generation, __ATOMIC_ACQUIRE))
		return;
	gdb_fork_guard_lock(&renew_guard);
	if (__atomic_load_n(&m->gen, __ATOMIC_ACQUIRE) != generation) {
		renew(obj);
		__atomic_store_n(&m->gen, generation, __ATOMIC_RELEASE);
	}
	gdb_fork_guard_unlock(&renew_guard);
}
