/*
 * fs/daemon/uring.c - --loop uring: FUSE over io_uring (issue 16).
 *
 * With /sys/module/fuse/parameters/enable_uring Y the kernel offers
 * FUSE_OVER_IO_URING at INIT; a daemon whose INIT reply carries it, and
 * which then registers ring entries on every queue (one queue per possible
 * CPU), gets each request on the queue of the CPU its requester runs on,
 * as the completion of an io_uring command of the thread serving that
 * queue (pinned to that CPU), and answers it with the next command, which
 * also fetches the next request (fs/fuse/dev_uring.c). Reader and server
 * share a CPU by construction; the round trip is one io_uring_enter, not a
 * read() and a writev() on /dev/fuse. Each queue thread makes its own ring
 * SINGLE_ISSUER | DEFER_TASKRUN (ring_init): the kernel's task work
 * filling an entry with a request runs in that io_uring_enter's wait.
 *
 * libfuse (3.14 has no ring) still parses every request and builds every
 * reply: a ring request is laid out again as the message read() would have
 * given (fuse_in_header, the op's header from op_in, the payload: the
 * header's len says how long the op's header is) and handed to
 * fuse_session_process_buf; the session's custom writev
 * (fuse_session_custom_io) copies a reply whose unique is the request this
 * thread serves into that ring entry (fuse_out_header into in_out, the rest
 * into the payload, where a reply built in ops_thread_buf already is)
 * instead of writing /dev/fuse; the thread commits it.
 * The queue thread answers the cheap requests itself (loop.c's measure,
 * daemon_request_inline) and hands the others to the queue's slow
 * threads (one more started unless an idle one is left once the queued
 * entries are counted, up to one an entry: a control line that waits
 * holds up no other), which put each back on the
 * queue's done list, waking the queue thread by an eventfd polled in the
 * ring: only the queue thread touches its ring.
 *
 * What the ring does not carry still comes through /dev/fuse, read by the
 * split loop (loop.c) as without the ring: INIT (and everything before the
 * ring is ready), FORGET, INTERRUPT; notifications (unique 0) are written
 * there. The custom read notes INIT's unique and whether the kernel offered
 * the ring; the custom writev adds FUSE_OVER_IO_URING (with FUSE_INIT_EXT)
 * to that reply, and once it is written the queue threads register.
 *
 * The queue threads and their rings exist before INIT is answered, each
 * ring entered once with a NOP (ring_probe: so a ring the kernel refuses
 * to make or to enter is known while /dev/fuse still serves everything),
 * and the entries' buffers are allocated before the reply
 * is written: once it carries the flag, the kernel holds every new request
 * until all queues have registered, or until a registration fails (it
 * then clears the flag and the split loop serves all). On 6.18 the kernel
 * switches to the ring once all queues registered even without the flag
 * (tried): the flag only keeps requests off /dev/fuse until then.
 *
 * After INIT a queue whose ring cannot be entered (io_uring_enter failing
 * other than EINTR, or EAGAIN/ENOMEM for longer than RETRY_ENTER tries)
 * cannot be replaced: the kernel holds its CPU's requests for it. The
 * mount then ends (uring_broken): logged, the main thread woken by
 * DAEMON_WAKE_SIGNAL (wake.c), the daemon unmounts and exits 1.
 */
#define _GNU_SOURCE
#include "fs/daemon/ops.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fs/daemon/fuse_uring_uapi.h"

#define URING_PARAM "/sys/module/fuse/parameters/enable_uring"

/* Ring entries per queue: requests one CPU's readers have in flight
 * at once before the kernel queues them. */
#define QUEUE_DEPTH 8u

/* The kernel's FUSE_MIN_READ_BUFFER and FUSE_DEFAULT_MAX_PAGES_PER_REQ:
 * a ring's payload is at least the larger of these, max_write and
 * max_pages (fuse_uring_create). */
#define MIN_PAYLOAD 8192u
#define DEFAULT_MAX_PAGES 32u

struct ring_ent {
	struct ring_queue *q;
	struct fuse_uring_req_header *hdr;
	char *payload;
	struct iovec iov[2]; /* hdr, payload: what REGISTER is given */
	char *msg;	     /* the request as /dev/fuse would have given it */
	uint64_t unique;     /* the request being served */
	uint64_t commit_id;
	uint32_t last_op; /* the command last submitted (resubmitted) */
	int replied;
	struct ring_ent *next; /* on its queue's slow or done list */
};

struct ring_queue {
	struct daemon_uring *u;
	unsigned qid;
	struct io_uring ring;
	int ring_ok;
	int evfd; /* written when an entry is done elsewhere, and to stop */
	pthread_t tid;
	int started;
	/* Slow requests go to the queue's slow threads, which put them on
	 * done for the queue thread to commit (only it touches the ring).
	 * A new one starts when none is idle: at most one a ring entry, so
	 * a request that waits (a control line) holds up no other. */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct ring_ent *slow, *slow_tail, *done; /* lock */
	unsigned slow_n, slow_idle;		  /* lock */
	unsigned slow_queued;	 /* on slow, not taken yet (lock) */
	struct daemon_grow grow; /* its slow threads start on demand (lock) */
	pthread_t slow_tid[QUEUE_DEPTH]; /* [slow_n] */
	int stop;			 /* lock */
	struct ring_ent ent[QUEUE_DEPTH];
};

struct daemon_uring {
	struct fuse_session *se;
	gdb_daemon *d;
	int fd;
	unsigned nq;
	struct ring_queue *q;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned ready; /* queue threads with their ring made (lock) */
	int failed;	/* a queue thread could not make its ring (lock) */
	int go;		/* 1: register; -1: stop (lock) */
	int stopping;	/* atomic: the eventfd means stop */
	size_t payload; /* ring payload size, from the INIT reply */
	uint64_t init_unique; /* atomic */
	int init_offered;     /* atomic */
	int deaf;	      /* test knob: take INIT as not offering */
	cpu_set_t cpus;	      /* the daemon's CPUs, for the slow threads */
	int cpus_ok;
	int broken; /* atomic: a queue could not go on; mount ended */
};

/* The ring entry this thread is serving (NULL: none). */
static __thread struct ring_ent *serving;

/* A queue thread's ring, made by the thread that alone submits to it and
 * reaps it: SINGLE_ISSUER, and DEFER_TASKRUN (the kernel's task work for a
 * request, which fills the entry and posts its completion, waits for this
 * thread to wait and runs then, instead of being signalled to it: 1-3 µs a
 * region read, docs/BENCHMARKS.md). Every kernel with the FUSE ring (6.14)
 * has both (6.1); daemon_uring_check makes one before the mount, so a
 * kernel refusing them refuses the mount. SQ: every entry's command and
 * the eventfd's poll. @return 0 or -errno */
static int ring_init(struct io_uring *ring)
{
	struct io_uring_params p = {.flags = IORING_SETUP_SQE128 |
					     IORING_SETUP_SINGLE_ISSUER |
					     IORING_SETUP_DEFER_TASKRUN};

	return io_uring_queue_init_params(QUEUE_DEPTH + 1, ring, &p);
}

/* ---- before the mount: can there be a ring? ---- */

int daemon_uring_check(char *err, size_t errlen)
{
	struct io_uring ring;
	char v = 0;
	int rc;
	FILE *f = fopen(URING_PARAM, "r");

	if (!f) {
		gdb_seterr(err, errlen,
			   "--loop uring: this kernel has no FUSE over "
			   "io_uring (%s: %s); mount with --loop split",
			   URING_PARAM, strerror(errno));
		return -EOPNOTSUPP;
	}
	if (fread(&v, 1, 1, f) != 1)
		v = 0;
	fclose(f);
	if (v != 'Y' && v != '1') {
		gdb_seterr(err, errlen,
			   "--loop uring: FUSE over io_uring is off (%s is "
			   "%c); as root: echo Y > %s, or mount with --loop "
			   "split",
			   URING_PARAM, v ? v : '?', URING_PARAM);
		return -EOPNOTSUPP;
	}
	rc = ring_init(&ring);
	if (rc < 0) {
		gdb_seterr(err, errlen,
			   "--loop uring: io_uring refused (%s; see "
			   "/proc/sys/kernel/io_uring_disabled); mount with "
			   "--loop split",
			   strerror(-rc));
		return rc;
	}
	io_uring_queue_exit(&ring);
	return 0;
}

/* ---- ring buffers ---- */

/* A payload buffer starting on a page (NULL: no memory). A streaming
 * READ's reply is copied into it piece by piece (the cache's blocks,
 * which start on pages), then by the kernel into the page cache. Into
 * malloc's 1 MiB (an mmap, 16 bytes past a page) glibc's rep movsb ran at
 * 1-2.5 GB/s on this Zen 3 guest: a destination 8-24 bytes past the
 * source's page offset is its slow case (2 GB/s in a microbenchmark
 * against about 20 at 0, 32 or 64). Page-aligned, the ring costs the
 * daemon 1.3-1.4x the split loop's CPU for a cold stream, not 2-3x
 * (docs/BENCHMARKS.md). */
static void *payload_alloc(size_t payload)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	void *p = NULL;

	if (posix_memalign(&p, pg, (payload + pg - 1) / pg * pg))
		return NULL;
	return p;
}

/* A queue's entries: header, payload and message buffers. */
static int queue_alloc(struct ring_queue *q, size_t payload)
{
	size_t msg =
	    sizeof(struct fuse_in_header) + FUSE_URING_OP_IN_OUT_SZ + payload;

	for (unsigned i = 0; i < QUEUE_DEPTH; i++) {
		struct ring_ent *e = &q->ent[i];

		e->q = q;
		e->hdr = calloc(1, sizeof(*e->hdr));
		e->payload = payload_alloc(payload);
		e->msg = malloc(msg);
		if (!e->hdr || !e->payload || !e->msg)
			return -ENOMEM;
		e->iov[0].iov_base = e->hdr;
		e->iov[0].iov_len = sizeof(*e->hdr);
		e->iov[1].iov_base = e->payload;
		e->iov[1].iov_len = payload;
	}
	return 0;
}

static void queue_free(struct ring_queue *q)
{
	for (unsigned i = 0; i < QUEUE_DEPTH; i++) {
		free(q->ent[i].hdr);
		free(q->ent[i].payload);
		free(q->ent[i].msg);
		q->ent[i].hdr = NULL;
		q->ent[i].payload = NULL;
		q->ent[i].msg = NULL;
	}
}

/* Every queue's buffers, before INIT is answered: a queue that could
 * not register would hold every request of the mount once the reply
 * carries FUSE_OVER_IO_URING. @return 0 or -ENOMEM (all freed) */
static int uring_alloc(struct daemon_uring *u, size_t payload)
{
	for (unsigned i = 0; i < u->nq; i++) {
		if (queue_alloc(&u->q[i], payload) < 0) {
			for (unsigned j = 0; j <= i; j++)
				queue_free(&u->q[j]);
			return -ENOMEM;
		}
	}
	return 0;
}

/* ---- the session's custom I/O ---- */

/* read(2), noting INIT: its unique, and whether the kernel offers the
 * ring (flags2, valid with FUSE_INIT_EXT). */
static ssize_t io_read(int fd, void *buf, size_t len, void *ud)
{
	gdb_daemon *d = ud;
	ssize_t r = read(fd, buf, len);
	const struct fuse_in_header *h = buf;

	if (r >= (ssize_t)(sizeof(*h) + sizeof(struct fuse_init_in)) &&
	    h->opcode == FUSE_INIT && d->uring) {
		const struct fuse_init_in *in = (const void *)(h + 1);
		int offered =
		    (in->flags & FUSE_INIT_EXT) &&
		    (in->flags2 & (uint32_t)(FUSE_OVER_IO_URING >> 32)) &&
		    !d->uring->deaf;

		__atomic_store_n(&d->uring->init_offered, offered,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&d->uring->init_unique, h->unique,
				 __ATOMIC_RELEASE);
	}
	return r;
}

static void set_go(struct daemon_uring *u, int go, size_t payload)
{
	pthread_mutex_lock(&u->lock);
	if (!u->go) {
		u->go = go;
		u->payload = payload;
	}
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
}

/* The payload the kernel will want of each entry (fuse_uring_create),
 * from the INIT reply (fuse_init_out is fully there: minor >= 23). */
static size_t ring_payload(const struct fuse_init_out *o)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), pages, size = MIN_PAYLOAD;

	pages = (o->flags & FUSE_MAX_PAGES) && o->max_pages ? o->max_pages
							    : DEFAULT_MAX_PAGES;
	if (o->max_write > size)
		size = o->max_write;
	if (pages * pg > size)
		size = pages * pg;
	return size;
}

/* libfuse's INIT reply, with the ring asked for if the kernel offered it;
 * once written (the connection is initialised then), the queue threads
 * register. */
static ssize_t init_reply(struct daemon_uring *u, int fd, struct iovec *iov,
			  int count)
{
	const struct fuse_out_header *out = iov[0].iov_base;
	struct fuse_init_out o;
	struct iovec v[2];
	ssize_t r;

	if (count != 2 || out->error || iov[1].iov_len != sizeof(o) ||
	    !__atomic_load_n(&u->init_offered, __ATOMIC_RELAXED)) {
		r = writev(fd, iov, count);
		if (!__atomic_load_n(&u->init_offered, __ATOMIC_RELAXED))
			gdb_log(GDB_LOG_WARN,
				"--loop uring: the kernel did not offer FUSE "
				"over io_uring at INIT (%s N?): serving "
				"through /dev/fuse",
				URING_PARAM);
		else
			gdb_log(GDB_LOG_WARN,
				"--loop uring: libfuse's INIT reply was not "
				"the one expected (error %d, %d parts, %zu "
				"bytes): serving through /dev/fuse",
				out->error, count,
				count > 1 ? iov[1].iov_len : (size_t)0);
		set_go(u, -1, 0);
		return r;
	}
	memcpy(&o, iov[1].iov_base, sizeof(o));
	if (uring_alloc(u, ring_payload(&o)) < 0) {
		gdb_log(GDB_LOG_WARN, "--loop uring: out of memory for the "
				      "ring: serving through /dev/fuse");
		set_go(u, -1, 0);
		return writev(fd, iov, count);
	}
	o.flags |= FUSE_INIT_EXT;
	o.flags2 |= (uint32_t)(FUSE_OVER_IO_URING >> 32);
	v[0] = iov[0];
	v[1].iov_base = &o;
	v[1].iov_len = sizeof(o);
	r = writev(fd, v, 2);
	set_go(u, r < 0 ? -1 : 1, ring_payload(&o));
	return r;
}

char *daemon_uring_reply_buf(size_t size)
{
	struct ring_ent *e = serving;

	return e && size <= e->q->u->payload ? e->payload : NULL;
}

/* A reply to the ring request this thread serves: into its entry. A
 * piece already where it goes (built in the payload: ops_thread_buf) is
 * not copied; one elsewhere in the payload is moved (memmove). */
static ssize_t ring_reply(struct ring_ent *e, const struct iovec *iov,
			  int count)
{
	struct fuse_out_header oh;
	size_t n = 0, cap = e->q->u->payload;

	memcpy(&oh, iov[0].iov_base, sizeof(oh));
	for (int i = 1; i < count; i++) {
		if (iov[i].iov_len > cap - n) {
			gdb_log(GDB_LOG_ERROR,
				"--loop uring: a reply of more than %zu bytes "
				"(request %llu): EIO",
				cap, (unsigned long long)oh.unique);
			oh.error = -EIO;
			n = 0;
			break;
		}
		if (iov[i].iov_base != e->payload + n)
			memmove(e->payload + n, iov[i].iov_base,
				iov[i].iov_len);
		n += iov[i].iov_len;
	}
	oh.len = (uint32_t)(sizeof(oh) + n);
	memcpy(e->hdr->in_out, &oh, sizeof(oh));
	e->hdr->ring_ent_in_out.payload_sz = (uint32_t)n;
	e->replied = 1;
	return (ssize_t)oh.len;
}

static ssize_t io_writev(int fd, struct iovec *iov, int count, void *ud)
{
	gdb_daemon *d = ud;
	const struct fuse_out_header *out = iov[0].iov_base;
	struct ring_ent *e = serving;

	if (e && !e->replied && out->unique == e->unique)
		return ring_reply(e, iov, count);
	if (d->uring && out->unique &&
	    out->unique ==
		__atomic_load_n(&d->uring->init_unique, __ATOMIC_ACQUIRE))
		return init_reply(d->uring, fd, iov, count);
	return writev(fd, iov, count);
}

/* ---- a queue thread ---- */

/* A cleared SQE128. Never NULL while each entry has at most one command
 * in flight: the SQ holds QUEUE_DEPTH + 1. */
static struct io_uring_sqe *sqe128(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		gdb_log(GDB_LOG_ERROR, "--loop uring: no SQE free");
		abort(); /* a ring entry would be lost for good */
	}
	memset(sqe, 0, 2 * sizeof(*sqe));
	return sqe;
}

static void prep_cmd(struct io_uring *ring, int fd, uint32_t op,
		     struct ring_ent *e, uint64_t commit_id)
{
	struct io_uring_sqe *sqe = sqe128(ring);
	struct fuse_uring_cmd_req *c;

	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = op;
	sqe->addr = (uint64_t)(uintptr_t)e->iov;
	sqe->len = 2;
	io_uring_sqe_set_data(sqe, e);
	e->last_op = op;
	c = (struct fuse_uring_cmd_req *)sqe->cmd;
	c->commit_id = commit_id;
	c->qid = (uint16_t)e->q->qid;
}

/* Answer the entry's request EIO (the unique it was given). */
static void ent_eio(struct ring_ent *e)
{
	struct fuse_out_header oh = {
	    .len = sizeof(oh), .error = -EIO, .unique = e->unique};

	memcpy(e->hdr->in_out, &oh, sizeof(oh));
	e->hdr->ring_ent_in_out.payload_sz = 0;
}

/* Serve e's request (laid out in e->msg) through libfuse on this thread:
 * its reply goes into e (io_writev). */
static void ent_process(struct ring_ent *e)
{
	const struct fuse_in_header *in = (const void *)e->msg;
	struct fuse_buf b = {.mem = e->msg, .size = in->len, .fd = -1};
	struct daemon_uring *u = e->q->u;

	serving = e;
	fuse_session_process_buf(u->se, &b);
	serving = NULL;
	if (!e->replied) { /* no op of ours leaves one unanswered */
		gdb_log(GDB_LOG_ERROR,
			"--loop uring: opcode %u got no reply: EIO",
			in->opcode);
		ent_eio(e);
	}
	__atomic_add_fetch(&u->d->ring_requests, 1, __ATOMIC_RELAXED);
}

static void ent_commit(struct ring_queue *q, struct ring_ent *e)
{
	prep_cmd(&q->ring, q->u->fd, FUSE_IO_URING_CMD_COMMIT_AND_FETCH, e,
		 e->commit_id);
}

/* Not pinned as the queue thread that started it is: a long answer may
 * run on any CPU the daemon was given. */
static void slow_unpin(const struct ring_queue *q)
{
	if (q->u->cpus_ok)
		(void)sched_setaffinity(0, sizeof(q->u->cpus), &q->u->cpus);
}

/* A slow thread of the queue: slow requests as they come, each put on
 * done for the queue thread to commit (woken by the eventfd). What is
 * still queued at stop is dropped: the ring is gone. */
static void *slow_main(void *arg)
{
	struct ring_queue *q = arg;
	const uint64_t one = 1;
	char name[16];

	snprintf(name, sizeof(name), "gdb-ringslow%u", q->qid);
	(void)prctl(PR_SET_NAME, name);
	slow_unpin(q);
	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct ring_ent *e;

		while (!q->slow && !q->stop) {
			q->slow_idle++;
			pthread_cond_wait(&q->wake, &q->lock);
			q->slow_idle--;
		}
		if (q->stop)
			break;
		e = q->slow;
		q->slow = e->next;
		if (!q->slow)
			q->slow_tail = NULL;
		q->slow_queued--;
		pthread_mutex_unlock(&q->lock);
		ent_process(e);
		pthread_mutex_lock(&q->lock);
		e->next = q->done;
		q->done = e;
		if (write(q->evfd, &one, sizeof(one)) < 0)
			gdb_log(GDB_LOG_ERROR,
				"--loop uring: queue %u: eventfd: %s", q->qid,
				strerror(errno));
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

/* Hand e to the queue's slow threads: one more is started unless an idle
 * one is left for e (idle ones signalled for entries queued before and
 * not taken yet are not: a control line that waits would otherwise hold
 * up the next). @return 0, or -errno (then e is served here) */
static int slow_push(struct ring_queue *q, struct ring_ent *e)
{
	int rc = 0;

	pthread_mutex_lock(&q->lock);
	if (q->slow_queued >= q->slow_idle && q->slow_n < QUEUE_DEPTH)
		rc = daemon_grow(&q->grow, q->slow_tid, &q->slow_n, slow_main,
				 q);
	if (rc == 0) {
		e->next = NULL;
		if (q->slow_tail)
			q->slow_tail->next = e;
		else
			q->slow = e;
		q->slow_tail = e;
		q->slow_queued++;
		pthread_cond_signal(&q->wake);
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

/* The ring request as /dev/fuse's message (ops.h; fuzzed by
 * tests/fuzz/daemon_uring_layout.c). */
ssize_t daemon_uring_layout(const struct fuse_uring_req_header *hdr,
			    const char *payload, size_t cap, char *msg)
{
	const struct fuse_in_header *in = (const void *)hdr->in_out;
	uint32_t psz = hdr->ring_ent_in_out.payload_sz;
	size_t hl = sizeof(*in), argsz;

	if (in->len < hl + (size_t)psz || psz > cap ||
	    (argsz = in->len - hl - psz) > FUSE_URING_OP_IN_OUT_SZ)
		return -EIO;
	memcpy(msg, in, hl);
	memcpy(msg + hl, hdr->op_in, argsz);
	memcpy(msg + hl + argsz, payload, psz);
	return (ssize_t)in->len;
}

/* Lay a ring request out as /dev/fuse's message, then serve it here and
 * queue its commit (which fetches the next), or hand it to the queue's
 * slow threads when it may take long (loop.c's measure: what the split
 * loop hands to its workers). A request whose sizes do not add up is
 * answered EIO, logged. */
static void serve_ent(struct ring_queue *q, struct ring_ent *e)
{
	struct daemon_uring *u = q->u;
	const struct fuse_in_header *in = (const void *)e->hdr->in_out;
	ssize_t len =
	    daemon_uring_layout(e->hdr, e->payload, u->payload, e->msg);

	e->unique = in->unique;
	e->commit_id = e->hdr->ring_ent_in_out.commit_id;
	e->replied = 0;
	if (len < 0) {
		gdb_log(GDB_LOG_ERROR,
			"--loop uring: queue %u: a request of opcode %u "
			"whose sizes do not add up (len %u, payload %u): EIO",
			q->qid, in->opcode, in->len,
			e->hdr->ring_ent_in_out.payload_sz);
		ent_eio(e);
	} else {
		struct fuse_buf b = {
		    .mem = e->msg, .size = (size_t)len, .fd = -1};

		if (!daemon_request_inline(u->d, &b) && slow_push(q, e) == 0)
			return; /* committed when done */
		ent_process(e);
	}
	ent_commit(q, e);
}

/* The eventfd: stop, or commit the entries the slow threads are done
 * with and look again. @return 0, or 1 to stop */
static int queue_wake(struct ring_queue *q)
{
	struct io_uring_sqe *sqe;
	struct ring_ent *e;
	uint64_t n;

	/* Drained before stopping is looked at: a stop written between
	 * the two is then seen here, not swallowed by the read. */
	if (read(q->evfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		gdb_log(GDB_LOG_ERROR, "--loop uring: queue %u: eventfd: %s",
			q->qid, strerror(errno));
	if (__atomic_load_n(&q->u->stopping, __ATOMIC_ACQUIRE))
		return 1;
	pthread_mutex_lock(&q->lock);
	e = q->done;
	q->done = NULL;
	pthread_mutex_unlock(&q->lock);
	for (; e; e = e->next)
		ent_commit(q, e);
	sqe = sqe128(&q->ring);
	io_uring_prep_poll_add(sqe, q->evfd, POLLIN);
	io_uring_sqe_set_data(sqe, NULL);
	return 0;
}

/* A ring entry's command failed other than at unmount: logged once, and
 * again when the queue has none left (its CPU's readers may then wait
 * for an entry of the kernel's queue until unmount: the kernel may also
 * have given up the ring and sent them through /dev/fuse). */
static void queue_ent_failed(struct ring_queue *q, int res, unsigned live,
			     int *logged)
{
	if (!(*logged)++)
		gdb_log(GDB_LOG_ERROR,
			"--loop uring: queue %u: a ring entry failed (%s; "
			"dmesg may say more)",
			q->qid, strerror(-res));
	if (!live)
		gdb_log(GDB_LOG_ERROR,
			"--loop uring: queue %u has no ring entry left: "
			"requests made on CPU %u may wait until unmount",
			q->qid, q->qid);
}

/* A queue that cannot go on (its ring cannot be entered): its entries
 * are the kernel's, which holds its CPU's requests for them (and, before
 * they registered, every request of the mount). Rather than leave those
 * readers waiting for good, the mount ends: the session is marked ended
 * and the main thread woken (wake.c: DAEMON_WAKE_SIGNAL, sent until
 * daemon_loop has left its loop; a queue thread only serves once INIT
 * was answered in that loop, and is joined after it). The daemon then unmounts,
 * closes /dev/fuse and the rings, and exits 1; a request in flight on the ring
 * fails with ECONNABORTED, one made after with ENOTCONN
 * (tests/test_mount_uring_errors.py). */
static void uring_broken(struct daemon_uring *u, unsigned qid, int err)
{
	gdb_log(GDB_LOG_ERROR,
		"--loop uring: queue %u: io_uring_enter: %s: the requests "
		"of CPU %u cannot be served; ending the mount",
		qid, strerror(-err), qid);
	__atomic_store_n(&u->broken, 1, __ATOMIC_RELEASE);
	fuse_session_exit(u->se);
	daemon_wake_main(u->d);
}

/* io_uring_submit_and_wait, again after a signal, and after a short
 * sleep while the kernel lacks resources (EAGAIN, ENOMEM; at most
 * RETRY_ENTER times in a row). Not EBUSY: that is a CQ overflow, which
 * only reaping clears, and cannot happen here (at most QUEUE_DEPTH + 1
 * in flight, the CQ twice the SQ). @return >= 0, or -errno */
#define RETRY_ENTER 100
static int ring_enter(struct io_uring *ring)
{
	int rc, tries = 0;

	for (;;) {
		rc = io_uring_submit_and_wait(ring, 1);
		if (rc >= 0 || rc == -EINTR)
			return rc;
		if ((rc != -EAGAIN && rc != -ENOMEM) || ++tries > RETRY_ENTER)
			return rc;
		usleep(1000);
	}
}

/* Register every entry, then serve until unmounted (each entry's command
 * ends with -ENOTCONN) or stopped (the eventfd). */
static void queue_serve(struct ring_queue *q)
{
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	unsigned live = QUEUE_DEPTH;
	int logged = 0;

	for (unsigned i = 0; i < QUEUE_DEPTH; i++)
		prep_cmd(&q->ring, q->u->fd, FUSE_IO_URING_CMD_REGISTER,
			 &q->ent[i], 0);
	sqe = sqe128(&q->ring);
	io_uring_prep_poll_add(sqe, q->evfd, POLLIN);
	io_uring_sqe_set_data(sqe, NULL);
	while (live) {
		int rc = ring_enter(&q->ring);

		if (rc < 0 && rc != -EINTR) {
			uring_broken(q->u, q->qid, rc);
			return;
		}
		while (live && io_uring_peek_cqe(&q->ring, &cqe) == 0) {
			struct ring_ent *e = io_uring_cqe_get_data(cqe);
			int res = cqe->res;

			io_uring_cqe_seen(&q->ring, cqe);
			if (!e && queue_wake(q))
				return; /* stopped */
			if (!e)
				continue;
			if (res >= 0) {
				serve_ent(q, e);
				continue;
			}
			if (res == -EAGAIN || res == -EINTR) { /* as libfuse */
				prep_cmd(&q->ring, q->u->fd, e->last_op, e,
					 e->commit_id);
				continue;
			}
			live--;
			if (res != -ENOTCONN && res != -ECANCELED &&
			    res != -ECONNABORTED) /* unmount, abort */
				queue_ent_failed(q, res, live, &logged);
		}
	}
}

/* A NOP through the new ring: a ring that cannot be entered is known
 * before INIT is answered, while /dev/fuse can still serve everything
 * (once the reply asks for the ring, the kernel holds every request
 * until all queues registered). @return 0 or -errno */
static int ring_probe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int rc;

	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data(sqe, NULL);
	rc = ring_enter(ring);
	while (rc == -EINTR)
		rc = ring_enter(ring);
	if (rc < 0)
		return rc;
	rc = io_uring_wait_cqe(ring, &cqe);
	if (rc == 0)
		io_uring_cqe_seen(ring, cqe);
	return rc;
}

/* The queue's ring, entered once. @return 0, or -errno (logged) */
static int queue_ring(struct ring_queue *q)
{
	int rc = ring_init(&q->ring);

	if (rc < 0) {
		gdb_log(GDB_LOG_WARN,
			"--loop uring: queue %u: io_uring_setup: %s", q->qid,
			strerror(-rc));
		return rc;
	}
	q->ring_ok = 1;
	rc = ring_probe(&q->ring);
	if (rc < 0)
		gdb_log(GDB_LOG_WARN,
			"--loop uring: queue %u: io_uring_enter: %s", q->qid,
			strerror(-rc));
	return rc;
}

static void *queue_main(void *arg)
{
	struct ring_queue *q = arg;
	struct daemon_uring *u = q->u;
	char name[16];
	cpu_set_t cpu;
	int go, rc;

	snprintf(name, sizeof(name), "gdb-ring%u", q->qid);
	(void)prctl(PR_SET_NAME, name);
	CPU_ZERO(&cpu);
	CPU_SET(q->qid, &cpu);
	if (sched_setaffinity(0, sizeof(cpu), &cpu) < 0)
		gdb_log(GDB_LOG_INFO, "--loop uring: queue %u not pinned: %s",
			q->qid, strerror(errno));
	rc = queue_ring(q);
	pthread_mutex_lock(&u->lock);
	if (rc < 0)
		u->failed = 1;
	u->ready++;
	pthread_cond_broadcast(&u->cond);
	while (!u->go)
		pthread_cond_wait(&u->cond, &u->lock);
	go = u->go;
	pthread_mutex_unlock(&u->lock);
	if (rc < 0 || go < 0)
		return NULL;
	queue_serve(q);
	/* this thread's reply buffer (ops_thread_buf) goes with it */
	return NULL;
}

/* ---- start and stop ---- */

static void uring_free(struct daemon_uring *u)
{
	for (unsigned i = 0; i < u->nq; i++) {
		struct ring_queue *q = &u->q[i];

		if (q->ring_ok)
			io_uring_queue_exit(&q->ring);
		if (q->evfd >= 0)
			close(q->evfd);
		queue_free(q);
		pthread_cond_destroy(&q->wake);
		pthread_mutex_destroy(&q->lock);
	}
	free(u->q);
	pthread_cond_destroy(&u->cond);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

static void uring_join(struct daemon_uring *u)
{
	uint64_t one = 1;

	set_go(u, -1, 0); /* threads not yet registering just end */
	__atomic_store_n(&u->stopping, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < u->nq; i++)
		if (u->q[i].evfd >= 0 &&
		    write(u->q[i].evfd, &one, sizeof(one)) < 0)
			gdb_log(GDB_LOG_WARN, "--loop uring: stop queue %u: %s",
				i, strerror(errno));
	for (unsigned i = 0; i < u->nq; i++) {
		struct ring_queue *q = &u->q[i];

		if (q->started)
			pthread_join(q->tid, NULL);
		pthread_mutex_lock(&q->lock);
		q->stop = 1;
		pthread_cond_broadcast(&q->wake);
		pthread_mutex_unlock(&q->lock);
		for (unsigned j = 0; j < q->slow_n; j++)
			pthread_join(q->slow_tid[j], NULL);
	}
}

/* Start the queue threads (each makes its ring and waits for INIT) and
 * install the custom I/O. @return 0, or -errno (nothing left running) */
static int uring_start(struct daemon_uring *u)
{
	int rc = 0;

	for (unsigned i = 0; i < u->nq && rc == 0; i++) {
		struct ring_queue *q = &u->q[i];

		q->u = u;
		q->qid = i;
		snprintf(q->grow.who, sizeof(q->grow.who),
			 "--loop uring: queue %u: a slow thread", i);
		q->grow.wait = "its slow requests wait for the slow threads "
			       "running";
		q->grow.here = "its slow requests are served on the queue's "
			       "thread";
		q->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->evfd < 0) {
			rc = -errno;
			gdb_log(GDB_LOG_WARN,
				"--loop uring: queue %u: eventfd: %s", i,
				strerror(-rc));
		} else if ((rc = -daemon_thread_create(&q->tid, queue_main,
						       q)) == 0) {
			q->started = 1;
		} else {
			gdb_log(GDB_LOG_WARN,
				"--loop uring: queue %u: its thread did not "
				"start: %s",
				i, strerror(-rc));
		}
	}
	pthread_mutex_lock(&u->lock);
	while (rc == 0 && u->ready < u->nq)
		pthread_cond_wait(&u->cond, &u->lock);
	if (rc == 0 && u->failed)
		rc = -EOPNOTSUPP;
	pthread_mutex_unlock(&u->lock);
	if (rc == 0) {
		const struct fuse_custom_io io = {.read = io_read,
						  .writev = io_writev};
		rc = fuse_session_custom_io(u->se, &io, u->fd);
	}
	return rc;
}

int daemon_uring_start(struct fuse_session *se, gdb_daemon *d)
{
	struct daemon_uring *u = calloc(1, sizeof(*u));
	long ncpu = sysconf(_SC_NPROCESSORS_CONF); /* the kernel's queues:
						      possible CPUs */
	int rc;

	if (!u)
		return -ENOMEM;
	u->se = se;
	u->d = d;
	u->fd = fuse_session_fd(se);
	u->nq = ncpu > 0 ? (unsigned)ncpu : 1;
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->cond, NULL);
	u->q = calloc(u->nq, sizeof(*u->q));
	if (!u->q) {
		u->nq = 0;
		uring_free(u);
		return -ENOMEM;
	}
	/* Tests: the kernel's INIT taken as not offering the ring (as when
	 * enable_uring went N after the check): the fallback, logged. */
	u->deaf = getenv("GDB_URING_DEAF_AT_INIT") != NULL;
	u->cpus_ok = sched_getaffinity(0, sizeof(u->cpus), &u->cpus) == 0;
	for (unsigned i = 0; i < u->nq; i++) {
		u->q[i].evfd = -1;
		pthread_mutex_init(&u->q[i].lock, NULL);
		pthread_cond_init(&u->q[i].wake, NULL);
	}
	d->uring = u;
	/* the session's caller installs it: a broken queue must be able to
	 * wake the main thread */
	rc = d->wake_set ? uring_start(u) : -EOPNOTSUPP;
	if (rc < 0) {
		d->uring = NULL;
		uring_join(u);
		uring_free(u);
	}
	return rc;
}

int daemon_uring_stop(gdb_daemon *d)
{
	struct daemon_uring *u = d->uring;
	int broken;

	if (!u)
		return 0;
	uring_join(u);
	broken = __atomic_load_n(&u->broken, __ATOMIC_ACQUIRE);
	d->uring = NULL; /* the custom I/O passes everything to /dev/fuse */
	uring_free(u);
	return broken ? -EIO : 0;
}
