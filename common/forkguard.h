/*
 * common/forkguard.h - process-wide state under one mutex (a pool of kept
 * buffers) made safe across fork().
 *
 * Why: a process using the library may fork (a Python program, its
 * multiprocessing, a daemon's helper) while another of its threads holds
 * such a lock: the child, which has only the forking thread, would find
 * the lock held forever. And what the state keeps (buffers) are the
 * parent's pages, shared copy-on-write: the child writing into them would
 * copy every page and keep the parent's memory alive.
 *
 * A guard is the lock and what the child does with the state. From its
 * first lock a guard is known to one pthread_atfork handler set: the
 * forking thread takes every known guard's lock before fork() (waiting
 * for a thread inside one to leave it), the parent releases them after,
 * and the child calls each guard's child function (its lock held, malloc
 * usable: glibc makes it so before the child's handlers) and then
 * releases the lock. So the child starts with the state between calls,
 * as its child function leaves it (an empty pool).
 *
 * Rules for the code under a guard's lock: it takes no other guard's lock
 * (the handlers take them all, in their own order), does not fork, and
 * takes no lock that a thread may hold while it calls fork() (the forking
 * thread, holding that lock, would wait in the handlers for this guard
 * while the guard's holder waits for that lock: a deadlock).
 *
 * A guard is never removed from the handlers' list, so it must live as
 * long as the process: static storage only, never in heap memory or in a
 * plugin that may be dlclose'd (the handlers would lock freed memory at
 * the next fork).
 *
 * Threading: any thread; a guard is used through these calls only.
 */
#ifndef GDB_FORKGUARD_H
#define GDB_FORKGUARD_H

#include <pthread.h>

typedef struct gdb_fork_guard gdb_fork_guard;
struct gdb_fork_guard {
	pthread_mutex_t lock;
	/* required: in the child after fork(), lock held by its one
	 * thread, make the state usable there (drop what is the parent's) */
	void (*child)(gdb_fork_guard *g);
	gdb_fork_guard *next; /* the handlers' list (forkguard.c) */
	int listed;	      /* atomic: on that list */
};
#define GDB_FORK_GUARD_INIT(child_fn)                                          \
	{                                                                      \
		.lock = PTHREAD_MUTEX_INITIALIZER, .child = (child_fn)         \
	}

/* Take g's lock; the first call lists g for the fork handlers. Without
 * memory for the handlers (pthread_atfork's ENOMEM) g is unguarded, as
 * a plain mutex is. */
void gdb_fork_guard_lock(gdb_fork_guard *g);
void gdb_fork_guard_unlock(gdb_fork_guard *g);

/*
 * An object in heap memory with its own lock and threads (a stream, a
 * pool of workers) cannot be a guard, and its lock may be taken around
 * guarded calls. Its mark says which process it belongs to instead: a
 * child's first use of it finds the mark the parent's and renews the
 * object, alone, before it is used: its lock and condition variables
 * made anew (a thread the child lacks may have held them), its threads
 * and what they were doing forgotten (they are not in the child). In a
 * child forked while another thread was inside the object's lock, what
 * that thread was changing may be half changed: so the renewal sets anew
 * all that the object's next use relies on and a lock holder changes,
 * and drops what the object held without freeing it (the parent's pages,
 * left as they are).
 *
 * The renewal runs under one guard's lock, so the rules above hold for
 * it: it takes no guard's lock and no lock of its own object.
 */
typedef struct gdb_fork_mark {
	unsigned gen; /* atomic: the forks between the first mark and its
		       * process */
} gdb_fork_mark;

/* Mark m as this process's (when its object is made; also lists the
 * renewals' guard for the fork handlers). */
void gdb_fork_mark_set(gdb_fork_mark *m);

/* In a child of the process m was marked in, renew(obj) once (the first
 * caller, the others waiting for it) and mark m as this process's; else
 * nothing (two atomic loads). Call before each use of obj's lock. */
void gdb_fork_mark_check(gdb_fork_mark *m, void (*renew)(void *obj), void *obj);

#endif
