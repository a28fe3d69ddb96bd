/*
 * fs/daemon/loop.c - the daemon's FUSE loop (issue 16): one thread (or
 * --readers N) reads /dev/fuse and answers at once the requests that cost
 * microseconds (a region's LOOKUP and small READ, isatty's IOCTL, GETATTR,
 * FORGET); every other request (a rendered answer, a write into an inbox, a
 * control line, a large streaming READ) is copied and handed to a pool of
 * workers, so one slow answer holds up no reader.
 *
 * Why: libfuse's multithreaded loop parks its idle workers on /dev/fuse and
 * the kernel wakes them in turn, so consecutive requests of one reader
 * land on different threads (cold stacks and buffers, more task switches);
 * on this kind of VM that cost 30-45 us of a 77-120 us region read
 * (docs/BENCHMARKS.md). With one reading thread a new-name region read is
 * served by the same thread start to end, as by a single-threaded loop.
 *
 * The reading thread follows its reader (unless --follow off): now and
 * then it moves to the CPU the reader of a cheap request last ran on
 * (follow.c), since on a 2-vCPU guest the kernel keeps a reader and this
 * thread apart once they are, and a region read then wakes a halted vCPU
 * six times (2-3x the read).
 *
 * With --spin-us N the reading thread stays awake for N us after each
 * request, reading the non-blocking /dev/fuse again (and yielding, so a
 * reader on its CPU runs first), then sleeps in poll: a reader's next
 * request within N us finds it running, not halted with its vCPU. It
 * costs up to N us of CPU after every request. libfuse 3.14 returns
 * -EAGAIN from fuse_session_receive_buf for an empty non-blocking fd, in
 * its read and splice paths alike, and 0 (session exited) on ENODEV.
 *
 * With --readers N, N threads read /dev/fuse, each answering cheap
 * requests itself and handing the rest to the one pool. The kernel queues
 * idle readers of /dev/fuse and wakes the one that waited longest, so one
 * reader's requests go to them in turn, as in libfuse's multithreaded
 * loop (which comes together with its reader at idle more often than one
 * thread does, docs/BENCHMARKS.md) but with no hand-off on a cheap
 * request. Each has its own request buffer (libfuse keeps its splice
 * pipe per thread too) and --spin-us; none follows its readers (the
 * turns place them as well as moves did, measured). The caller's thread
 * is reader 0 and gets the signals libfuse handles and the wake-up
 * signal (the others block them); when it stops it cancels the others
 * while they wait for a request, as fuse_session_loop_mt does with its
 * workers. An unmount wakes them all (ENODEV); another reader whose read
 * fails ends the session and wakes reader 0 (wake.c) until it has left
 * its loop.
 *
 * libfuse lets any thread reply to a request, and a request's arguments
 * live in the buffer it was read into: a handed-off request gets its own
 * copy of that buffer, processed by fuse_session_process_buf in a worker.
 */
#include "fs/daemon/ops.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

/* READs at most this large on a sequence file are answered inline: a 1 kb
 * region is one page; streaming reads (kernel readahead, 128 KiB - 1 MiB)
 * decode many blocks and go to the workers, so streams run in parallel. */
#define INLINE_READ_MAX (64u << 10)

struct job {
	struct job *next;
	struct fuse_buf buf; /* owned copy of the request */
};

struct pool {
	struct fuse_session *se;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job *head, *tail;
	unsigned max, workers, idle;
	unsigned queued;	 /* jobs no worker has taken yet */
	struct daemon_grow grow; /* its workers start on demand */
	int stop;
	pthread_t *tids;
};

/* Is this request cheap enough to answer on the reading thread? (uring.c
 * asks too) */
int daemon_request_inline(gdb_daemon *d, const struct fuse_buf *b)
{
	const struct fuse_in_header *h = b->mem;
	const struct node *n;

	if ((b->flags & FUSE_BUF_IS_FD) || b->size < sizeof(*h))
		return 1; /* not copyable as memory: libfuse's own way */
	switch (h->opcode) {
	case FUSE_INIT:
	case FUSE_DESTROY:
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
	case FUSE_OPEN: /* ENOSYS for files (op_open) */
	case FUSE_STATFS:
		return 1;
	default:
		break;
	}
	if (!h->nodeid)
		return 0;
	n = daemon_node(d, h->nodeid);
	switch (h->opcode) {
	case FUSE_LOOKUP:
		return n->kind == N_ROOT || n->kind == N_ASM ||
		       n->kind == N_CONTIGDIR;
	case FUSE_GETATTR:
		return n->kind != N_STATS && n->kind != N_ANSWER &&
		       n->kind != N_RANGED && n->kind != N_INBOXFILE;
	case FUSE_IOCTL: /* the root's carry control lines (may wait) */
		return n != &d->root;
	case FUSE_READ: {
		const struct fuse_read_in *r = (const void *)(h + 1);
		if (b->size < sizeof(*h) + sizeof(*r))
			return 1;
		return (n->kind == N_VIEW || n->kind == N_TEXT) &&
		       r->size <= INLINE_READ_MAX;
	}
	default:
		return 0;
	}
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	struct job *j;

	(void)prctl(PR_SET_NAME, "gdb-worker"); /* for top and perf */
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->head && !p->stop) {
			p->idle++;
			pthread_cond_wait(&p->wake, &p->lock);
			p->idle--;
		}
		if (!p->head)
			break; /* stopping, nothing left */
		j = p->head;
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		p->queued--;
		pthread_mutex_unlock(&p->lock);
		fuse_session_process_buf(p->se, &j->buf);
		free(j->buf.mem);
		free(j);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Queue a copy of b for the workers, starting one unless an idle one is
 * left for it: idle workers already signalled for queued jobs they have
 * not taken yet are not (a job that waits, a control line, must never
 * hold the next one up). @return 0, or -errno (then the caller answers
 * it inline) */
static int hand_off(struct pool *p, const struct fuse_buf *b, size_t len)
{
	struct job *j = malloc(sizeof(*j));
	int rc = 0;

	if (!j || !(j->buf.mem = malloc(len))) {
		free(j);
		return -ENOMEM;
	}
	memcpy(j->buf.mem, b->mem, len);
	j->buf.size = len;
	j->buf.flags = 0;
	j->buf.fd = -1;
	j->buf.pos = 0;
	j->next = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->queued >= p->idle && p->workers < p->max)
		rc = daemon_grow(&p->grow, p->tids, &p->workers, worker, p);
	if (rc == 0) {
		if (p->tail)
			p->tail->next = j;
		else
			p->head = j;
		p->tail = j;
		p->queued++;
		pthread_cond_signal(&p->wake);
	}
	pthread_mutex_unlock(&p->lock);
	if (rc < 0) {
		free(j->buf.mem);
		free(j);
	}
	return rc;
}

static void pool_stop(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->workers; i++)
		pthread_join(p->tids[i], NULL);
}

/* The next request, as fuse_session_receive_buf. With spin_ns > 0 the fd
 * is non-blocking: an empty /dev/fuse is read again until spin_ns have
 * passed since the first empty look, then the thread blocks in poll
 * (which also wakes at unmount: POLLERR, then the read says ENODEV). */
static int receive(struct fuse_session *se, struct fuse_buf *b,
		   long long spin_ns)
{
	struct pollfd pfd = {.fd = fuse_session_fd(se), .events = POLLIN};
	long long start = 0;
	int res;

	for (;;) {
		res = fuse_session_receive_buf(se, b);
		if (res != -EAGAIN || !spin_ns)
			return res;
		if (fuse_session_exited(se))
			return 0;
		if (!start) {
			start = daemon_now_ns();
		} else if (daemon_now_ns() - start >= spin_ns) {
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return -errno;
			start = 0;
			continue;
		}
		sched_yield(); /* a reader on this CPU runs first */
	}
}

/* What every reading thread shares. */
struct loop {
	struct fuse_session *se;
	gdb_daemon *d;
	struct pool *p;
	long long spin_ns; /* --spin-us, in ns; 0: block at once */
	int follow;
	int err; /* -errno of the first other reader that failed (atomic) */
};

struct reader {
	struct loop *l;
	unsigned idx;
	pthread_t tid;
};

static void free_buf(void *arg)
{
	free(((struct fuse_buf *)arg)->mem);
}

/* Serve requests on this thread until the session ends. Readers other
 * than 0 may be cancelled while they wait for a request (and only then),
 * as libfuse's own multithreaded loop does. @return 0 or -errno */
static int serve_requests(struct loop *l, unsigned idx)
{
	struct fuse_buf fbuf = {.mem = NULL};
	struct daemon_follow f;
	int res = 0, cheap;

	daemon_follow_init(&f, l->follow);
	pthread_cleanup_push(free_buf, &fbuf);
	while (!fuse_session_exited(l->se)) {
		if (idx)
			pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		res = receive(l->se, &fbuf, l->spin_ns);
		if (idx)
			pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		if (res == -EINTR)
			continue;
		if (res <= 0)
			break;
		__atomic_add_fetch(&l->d->reader_requests[idx], 1,
				   __ATOMIC_RELAXED);
		cheap = daemon_request_inline(l->d, &fbuf);
		if (!l->p->max || cheap ||
		    hand_off(l->p, &fbuf, (size_t)res) < 0)
			fuse_session_process_buf(l->se, &fbuf);
		/* after a cheap answer, now and then: to the reader's CPU */
		if (cheap && !(fbuf.flags & FUSE_BUF_IS_FD) &&
		    (size_t)res >= sizeof(struct fuse_in_header) &&
		    daemon_follow_reader(
			&f,
			(pid_t)((const struct fuse_in_header *)fbuf.mem)->pid))
			__atomic_add_fetch(&l->d->reader_moves, 1,
					   __ATOMIC_RELAXED);
	}
	pthread_cleanup_pop(1);
	return res < 0 && res != -ENODEV ? res : 0;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	int rc;

	(void)prctl(PR_SET_NAME, "gdb-reader");
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	rc = serve_requests(r->l, r->idx);
	if (rc < 0) { /* an error ends the session: wake reader 0 */
		gdb_log(GDB_LOG_ERROR, "reading /dev/fuse: %s", strerror(-rc));
		(void)__atomic_compare_exchange_n(&r->l->err, &(int){0}, rc, 0,
						  __ATOMIC_RELAXED,
						  __ATOMIC_RELAXED);
		fuse_session_exit(r->l->se);
		daemon_wake_main(r->l->d); /* cancellation is disabled */
	}
	return NULL;
}

/* Start readers 1..n-1, with the signals libfuse handles and the wake-up
 * signal blocked (daemon_thread_create: they go to reader 0, whose read
 * they interrupt). @return how many started */
static unsigned start_readers(struct reader *r, unsigned n)
{
	unsigned started = 0;
	int rc;

	for (unsigned i = 1; i < n; i++) {
		rc = daemon_thread_create(&r[i].tid, reader_main, &r[i]);
		if (rc) {
			gdb_log(GDB_LOG_WARN, "%u of %u reading threads: %s", i,
				n, strerror(rc));
			break;
		}
		started++;
	}
	return started;
}

/* Reader 0 is done: end the others (those still waiting for a request
 * are cancelled; one answering finishes it, then sees the session over;
 * one waking reader 0 stops, daemon_wake_left having been said). */
static void stop_readers(struct reader *r, unsigned started)
{
	for (unsigned i = 1; i <= started; i++)
		pthread_cancel(r[i].tid);
	for (unsigned i = 1; i <= started; i++)
		pthread_join(r[i].tid, NULL);
}

/* --spin-us: /dev/fuse made non-blocking. @return the spin in ns, 0 if
 * none (or the fd stays blocking) */
static long long spin_setup(struct fuse_session *se, unsigned spin_us)
{
	int fl;

	if (!spin_us)
		return 0;
	fl = fcntl(fuse_session_fd(se), F_GETFL);
	if (fl < 0 ||
	    fcntl(fuse_session_fd(se), F_SETFL, fl | O_NONBLOCK) < 0) {
		gdb_log(GDB_LOG_WARN, "--spin-us: /dev/fuse stays blocking: %s",
			strerror(errno));
		return 0; /* blocking reads, as without */
	}
	return (long long)spin_us * 1000;
}

int daemon_loop(struct fuse_session *se, gdb_daemon *d, unsigned max_threads,
		int follow, unsigned spin_us, unsigned readers)
{
	struct pool p = {
	    .se = se,
	    .grow = {.who = "a worker thread",
		     .wait = "slow requests wait for the workers running",
		     .here = "slow requests are served on the reading thread"}};
	struct loop l = {.se = se, .d = d, .p = &p};
	struct reader r[GDB_READERS_MAX];
	unsigned started;
	int res;

	if (!readers)
		readers = 1;
	if (readers > GDB_READERS_MAX)
		readers = GDB_READERS_MAX;
	if (readers > 1 && !d->wake_set) {
		gdb_log(GDB_LOG_WARN,
			"--readers %u: one reading thread (no wake-up "
			"signal to end the mount with)",
			readers);
		readers = 1;
	}
	/* --threads counts the readers: the rest are workers */
	if (!max_threads)
		max_threads = 1;
	p.max = max_threads > readers ? max_threads - readers : 0;
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.wake, NULL);
	p.tids = calloc(p.max ? p.max : 1, sizeof(*p.tids));
	if (!p.tids) {
		daemon_wake_left(d); /* a ring queue may be waking main */
		return -ENOMEM;
	}
	l.spin_ns = spin_setup(se, spin_us);
	/* Several readers take turns, which places them as well as moves
	 * would (moves are undone at the next wake-up anyway): measured no
	 * better with following (docs/BENCHMARKS.md), so none follows. */
	if (readers > 1 && follow)
		gdb_log(GDB_LOG_INFO,
			"--readers %u: the reading threads do not "
			"follow their readers' CPUs",
			readers);
	l.follow = follow && readers == 1;
	for (unsigned i = 0; i < readers; i++)
		r[i] = (struct reader){.l = &l, .idx = i};
	__atomic_store_n(&d->nreaders, readers, __ATOMIC_RELAXED);
	started = start_readers(r, readers);
	__atomic_store_n(&d->nreaders, 1 + started, __ATOMIC_RELAXED);
	res = serve_requests(&l, 0);
	daemon_wake_left(d);
	if (res < 0)
		gdb_log(GDB_LOG_ERROR, "reading /dev/fuse: %s", strerror(-res));
	fuse_session_exit(se); /* for the readers answering one now */
	stop_readers(r, started);
	pool_stop(&p);
	free(p.tids);
	pthread_cond_destroy(&p.wake);
	pthread_mutex_destroy(&p.lock);
	return res ? res : __atomic_load_n(&l.err, __ATOMIC_RELAXED);
}
