/*
 * fs/daemon/wake.c - waking the main thread out of its read of /dev/fuse
 * when another thread ends the mount: one of the split loop's extra
 * readers whose read failed (loop.c), or a ring queue that cannot go on
 * (uring.c).
 *
 * The signal is the daemon's own (DAEMON_WAKE_SIGNAL, SIGUSR2), with a
 * handler that does nothing and no SA_RESTART: the main thread's read
 * then fails with EINTR and its loop looks at fuse_session_exited. Not
 * libfuse's SIGTERM: libfuse 3.14 installs its handler only if SIGTERM
 * was at its default, and the daemon may inherit it ignored or blocked.
 * It is unblocked on the main thread only: every other thread of the
 * daemon starts through daemon_thread_create, with it (and the signals
 * libfuse handles) blocked, so that a SIGUSR2 or SIGTERM sent from outside
 * reaches the main thread and never interrupts another's call (EINTR).
 *
 * One signal is not enough: sent between the loop's look at
 * fuse_session_exited and its read, it is used up and the read blocks
 * for good. So it is sent again every WAKE_EVERY_US until the main thread
 * says it has left its loop (daemon_wake_left).
 */
#include "fs/daemon/ops.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define WAKE_EVERY_US 100000

static void wake_handler(int sig)
{
	(void)sig;
}

void daemon_signals_block(sigset_t *old)
{
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigaddset(&block, DAEMON_WAKE_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &block, old);
}

int daemon_thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t old;
	int rc;

	daemon_signals_block(&old);
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int daemon_grow(struct daemon_grow *g, pthread_t *tids, unsigned *n,
		void *(*fn)(void *), void *arg)
{
	int rc = -daemon_thread_create(&tids[*n], fn, arg);

	if (rc == 0) {
		++*n;
		return 0;
	}
	if (!g->failed) {
		g->failed = 1;
		gdb_log(GDB_LOG_WARN, "%s did not start (%s): %s", g->who,
			strerror(-rc), *n ? g->wait : g->here);
	}
	return *n ? 0 : rc; /* the ones running will get to it */
}

int daemon_wake_install(gdb_daemon *d)
{
	struct sigaction sa = {.sa_handler = wake_handler};
	sigset_t set;
	int rc = 0;

	d->wake_main = pthread_self();
	__atomic_store_n(&d->wake_left, 0, __ATOMIC_RELEASE);
	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	sigemptyset(&d->wake_oldmask);
	sigaddset(&set, DAEMON_WAKE_SIGNAL);
	if (sigaction(DAEMON_WAKE_SIGNAL, &sa, &d->wake_old) < 0)
		rc = -errno;
	else
		d->wake_set = 1;
	if (rc == 0)
		rc = -pthread_sigmask(SIG_UNBLOCK, &set, &d->wake_oldmask);
	if (rc < 0) {
		gdb_log(GDB_LOG_WARN, "the wake-up signal (SIGUSR2): %s",
			strerror(-rc));
		daemon_wake_restore(d);
	}
	return rc;
}

void daemon_wake_restore(gdb_daemon *d)
{
	sigset_t set;

	if (!d->wake_set)
		return;
	/* blocked again first if it was (inherited so): one pending then
	 * stays pending instead of meeting the old disposition */
	sigemptyset(&set);
	sigaddset(&set, DAEMON_WAKE_SIGNAL);
	if (sigismember(&d->wake_oldmask, DAEMON_WAKE_SIGNAL) == 1)
		(void)pthread_sigmask(SIG_BLOCK, &set, NULL);
	(void)sigaction(DAEMON_WAKE_SIGNAL, &d->wake_old, NULL);
	d->wake_set = 0;
}

void daemon_wake_left(gdb_daemon *d)
{
	__atomic_store_n(&d->wake_left, 1, __ATOMIC_RELEASE);
}

void daemon_wake_main(gdb_daemon *d)
{
	while (!__atomic_load_n(&d->wake_left, __ATOMIC_ACQUIRE)) {
		pthread_kill(d->wake_main, DAEMON_WAKE_SIGNAL);
		usleep(WAKE_EVERY_US);
	}
}
