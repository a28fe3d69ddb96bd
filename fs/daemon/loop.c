/*
 * fs/daemon/loop.c - the daemon's FUSE loop (issue 16): one thread reads
 * /dev/fuse and answers at once the requests that cost microseconds (a
 * region's LOOKUP and small READ, isatty's IOCTL, GETATTR, FORGET); every
 * other request (a rendered answer, a write into an inbox, a control line,
 * a large streaming READ) is copied and handed to a pool of workers, so
 * one slow answer holds up no reader.
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
		pthread_mutex_unlock(&p->lock);
		fuse_session_process_buf(p->se, &j->buf);
		free(j->buf.mem);
		free(j);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Queue a copy of b for the workers, starting one if none is idle.
 * @return 0, or -errno (then the caller answers it inline) */
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
	if (!p->idle && p->workers < p->max) {
		rc = -pthread_create(&p->tids[p->workers], NULL, worker, p);
		if (rc == 0)
			p->workers++;
		else if (p->workers)
			rc = 0; /* the ones running will get to it */
	}
	if (rc == 0) {
		if (p->tail)
			p->tail->next = j;
		else
			p->head = j;
		p->tail = j;
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

int daemon_loop(struct fuse_session *se, gdb_daemon *d, unsigned max_threads,
		int follow, unsigned spin_us)
{
	struct fuse_buf fbuf = {.mem = NULL};
	struct pool p = {.se = se, .max = max_threads ? max_threads - 1 : 0};
	struct daemon_follow f;
	int res = 0, cheap;

	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.wake, NULL);
	p.tids = calloc(p.max ? p.max : 1, sizeof(*p.tids));
	if (!p.tids)
		return -ENOMEM;
	daemon_follow_init(&f, follow);
	if (spin_us) {
		int fl = fcntl(fuse_session_fd(se), F_GETFL);
		if (fl < 0 ||
		    fcntl(fuse_session_fd(se), F_SETFL, fl | O_NONBLOCK) < 0) {
			gdb_log(GDB_LOG_WARN,
				"--spin-us: /dev/fuse stays blocking: %s",
				strerror(errno));
			spin_us = 0; /* blocking reads, as without */
		}
	}
	while (!fuse_session_exited(se)) {
		res = receive(se, &fbuf, (long long)spin_us * 1000);
		if (res == -EINTR)
			continue;
		if (res <= 0)
			break;
		cheap = daemon_request_inline(d, &fbuf);
		if (!p.max || cheap || hand_off(&p, &fbuf, (size_t)res) < 0)
			fuse_session_process_buf(se, &fbuf);
		/* after a cheap answer, now and then: to the reader's CPU */
		if (cheap && !(fbuf.flags & FUSE_BUF_IS_FD) &&
		    (size_t)res >= sizeof(struct fuse_in_header) &&
		    daemon_follow_reader(
			&f,
			(pid_t)((const struct fuse_in_header *)fbuf.mem)->pid))
			__atomic_add_fetch(&d->reader_moves, 1,
					   __ATOMIC_RELAXED);
	}
	pool_stop(&p);
	free(fbuf.mem);
	free(p.tids);
	pthread_cond_destroy(&p.wake);
	pthread_mutex_destroy(&p.lock);
	return res < 0 && res != -ENODEV ? res : 0;
}
