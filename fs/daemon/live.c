/*
 * fs/daemon/live.c - new generations while mounted. A thread of its own
 * looks at the store's CURRENT every LIVE_POLL_MS (a stat) and, when a
 * commit renamed it, serves the new generation (daemon_refresh) and tells
 * the kernel to drop what it keeps of the old one: the entries under the
 * root (every assembly and namespace, old and new, so a name gone is
 * ENOENT and a name new is found even where ENOENT was cached), the root's
 * attributes and listing, and every name of the old generation below, so
 * that a file still open is forgotten once closed and its generation
 * released. libfuse forbids these notifications
 * inside an operation (they take the directory's lock the operation may
 * hold), so they are sent from here only; `ctl refresh` asks this thread
 * and waits for it (docs/CACHE.md "Live generations").
 */
#include "fs/daemon/ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How long `ctl refresh` waits for the thread before it answers. */
#define WAIT_S 30

struct live {
	struct fuse_session *se;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake, done;
	int stop;
	int joined;		  /* the thread has ended (live_halt) */
	uint64_t asked, answered; /* refresh requests, lock */
	int rc;			  /* of the last refresh, lock */
	char msg[256];		  /* its reason, lock */
};

static void deadline(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* The kernel forgets the entries in names (daemon_refresh), and the
 * root's attributes and listing. */
static void invalidate(struct live *L, const char *names, size_t len)
{
	for (size_t i = 0; i + sizeof(uint64_t) < len;) {
		const char *nm = names + i + sizeof(uint64_t);
		size_t nl = strlen(nm);
		uint64_t parent;
		int rc;
		memcpy(&parent, names + i, sizeof(parent));
		rc = fuse_lowlevel_notify_inval_entry(L->se, parent, nm, nl);
		if (rc < 0 && rc != -ENOENT)
			gdb_log(GDB_LOG_WARN, "%s: invalidation failed: %s", nm,
				strerror(-rc));
		i += sizeof(uint64_t) + nl + 1;
	}
	fuse_lowlevel_notify_inval_inode(L->se, FUSE_ROOT_ID, 0, 0);
}

static int refresh_now(gdb_daemon *d, struct live *L, char *msg, size_t msglen)
{
	char *names = NULL;
	size_t len = 0;
	int rc = daemon_refresh(d, &names, &len, msg, msglen);

	if (rc == 1)
		invalidate(L, names, len);
	else if (rc < 0)
		gdb_log(GDB_LOG_WARN, "refresh: %s", msg);
	free(names);
	return rc;
}

static void *live_main(void *arg)
{
	gdb_daemon *d = arg;
	struct live *L = d->refresher;
	char msg[256];

	pthread_mutex_lock(&L->lock);
	while (!L->stop) {
		struct timespec ts;
		uint64_t target;
		int rc;
		if (L->asked == L->answered) {
			deadline(&ts, LIVE_POLL_MS);
			pthread_cond_timedwait(&L->wake, &L->lock, &ts);
			if (L->stop)
				break;
		}
		target = L->asked;
		if (target == L->answered) {
			pthread_mutex_unlock(&L->lock);
			rc = daemon_current_changed(d);
			pthread_mutex_lock(&L->lock);
			if (!rc)
				continue;
		}
		pthread_mutex_unlock(&L->lock);
		snprintf(msg, sizeof(msg), "ok");
		rc = refresh_now(d, L, msg, sizeof(msg));
		pthread_mutex_lock(&L->lock);
		L->rc = rc < 0 ? rc : 0;
		snprintf(L->msg, sizeof(L->msg), "%s", rc < 0 ? msg : "ok");
		L->answered = target;
		pthread_cond_broadcast(&L->done);
	}
	pthread_mutex_unlock(&L->lock);
	return NULL;
}

int live_start(gdb_daemon *d, void *se)
{
	struct live *L = calloc(1, sizeof(*L));

	if (!L)
		return -ENOMEM;
	L->se = se;
	pthread_mutex_init(&L->lock, NULL);
	pthread_cond_init(&L->wake, NULL);
	pthread_cond_init(&L->done, NULL);
	d->refresher = L;
	if (daemon_thread_create(&L->thread, live_main, d) != 0) {
		d->refresher = NULL;
		free(L);
		return -EAGAIN;
	}
	return 0;
}

void live_halt(gdb_daemon *d)
{
	struct live *L = d->refresher;

	if (!L || L->joined)
		return;
	pthread_mutex_lock(&L->lock);
	L->stop = 1;
	pthread_cond_broadcast(&L->wake);
	pthread_cond_broadcast(&L->done);
	pthread_mutex_unlock(&L->lock);
	pthread_join(L->thread, NULL);
	L->joined = 1;
}

void live_stop(gdb_daemon *d)
{
	struct live *L = d->refresher;

	if (!L)
		return;
	live_halt(d);
	d->refresher = NULL;
	pthread_cond_destroy(&L->wake);
	pthread_cond_destroy(&L->done);
	pthread_mutex_destroy(&L->lock);
	free(L);
}

int live_refresh(gdb_daemon *d, int wait, char *msg, size_t msglen)
{
	struct live *L = d->refresher;
	struct timespec ts;
	uint64_t mine;
	int rc = 0;

	if (!L) { /* in-process: no kernel to tell */
		char *names = NULL;
		size_t len;
		rc = daemon_refresh(d, &names, &len, msg, msglen);
		free(names);
		return rc < 0 ? rc : 0;
	}
	pthread_mutex_lock(&L->lock);
	mine = ++L->asked;
	pthread_cond_signal(&L->wake);
	deadline(&ts, WAIT_S * 1000L);
	while (wait && L->answered < mine && !L->stop &&
	       pthread_cond_timedwait(&L->done, &L->lock, &ts) == 0)
		;
	if (wait && L->answered >= mine) {
		rc = L->rc;
		snprintf(msg, msglen, "%s", L->msg);
	} else if (wait) {
		snprintf(msg, msglen, "the refresh goes on after %d s", WAIT_S);
	}
	pthread_mutex_unlock(&L->lock);
	return rc;
}
