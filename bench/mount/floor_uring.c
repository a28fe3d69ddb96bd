/*
 * bench/mount/floor_uring.c - the least a FUSE-over-io_uring server can do
 * for a region read: the ring's floor, beside which GenomeDB's --loop uring
 * is measured (issue 16). Not part of the product; built by `make bench`.
 *
 * It answers what bench/mount/floor.c (the libfuse floor) answers, the same
 * way: every name in the root is a file of 1000 bytes ('A') with its own
 * inode, LOOKUP and GETATTR with timeouts of a day, OPEN -> ENOSYS (the
 * kernel then stops sending OPEN and RELEASE), IOCTL -> ENOTTY (isatty),
 * READ the bytes; OPENDIR, RELEASE(DIR) and STATFS as libfuse does when a
 * file system has no such op, anything else ENOSYS. No libfuse and nothing
 * of GenomeDB's daemon: it mounts with mount(2) (root only), answers INIT
 * itself asking for FUSE_OVER_IO_URING, then one thread per possible CPU,
 * pinned to it, registers its queue's entries (FUSE_IO_URING_CMD_REGISTER)
 * in a ring made, with the entries, before the mount; each request comes
 * as the completion of an entry's command, is answered in place and
 * committed by the next command, which fetches the next request (the
 * kernel's fs/fuse/dev_uring.c). Once INIT has asked for the ring the
 * kernel holds every request until each queue has registered; a /dev/fuse
 * thread takes what never goes through the ring (FORGET, INTERRUPT). A
 * failed REGISTER would have the kernel serve the mount through /dev/fuse
 * (no longer the ring's floor), so it, like any failure after the mount,
 * unmounts and ends floor_uring with status 1.
 *
 *   floor_uring MOUNTPOINT [--defer-taskrun] [--coop-taskrun]
 *     --defer-taskrun  the rings made with IORING_SETUP_SINGLE_ISSUER |
 *                      IORING_SETUP_DEFER_TASKRUN
 *     --coop-taskrun   ... with IORING_SETUP_COOP_TASKRUN |
 *                      IORING_SETUP_TASKRUN_FLAG
 * Needs /sys/module/fuse/parameters/enable_uring Y. SIGTERM, SIGINT or
 * SIGHUP unmounts (lazily: it ends when nothing in the mount is open any
 * more); an unmount from outside (fusermount3 -u) ends it too, and then
 * it unmounts nothing; an abort (umount -f of a busy mount) ends it and it
 * takes its dead mount away. At the end it says on stderr how many
 * requests came on the ring, how many through /dev/fuse, and its rings'
 * setup flags.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <liburing.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fs/daemon/fuse_uring_uapi.h"

#define URING_PARAM "/sys/module/fuse/parameters/enable_uring"
#define FILE_BYTES 1000
#define FOREVER 86400 /* s: entry and attr timeouts */
#define DEPTH 4	      /* ring entries per queue */
/* max_write and max_pages: 128 KiB (libfuse's are 1 MiB and 256; a region
 * read asks for far less) */
#define MAX_WRITE (128u * 1024)
#define MAX_PAGES 32u
#define DEV_BUF (MAX_WRITE + 4096)

/* What libfuse 3.14 asks for at INIT by default (do_init), which is all
 * it asks for floor.c's ops; FUSE_EXPORT_SUPPORT and FUSE_DONT_MASK only
 * when a file system's init() wants them, and floor.c has none. */
#define LIBFUSE_FLAGS                                                          \
	(FUSE_ASYNC_READ | FUSE_ATOMIC_O_TRUNC | FUSE_BIG_WRITES |             \
	 FUSE_IOCTL_DIR | FUSE_AUTO_INVAL_DATA | FUSE_ASYNC_DIO |              \
	 FUSE_PARALLEL_DIROPS | FUSE_HANDLE_KILLPRIV | FUSE_MAX_PAGES)

static char data[FILE_BYTES];
static uint64_t next_ino = 2; /* atomic */
static int fuse_fd;
static const char *mnt;
static unsigned long on_ring, on_dev; /* requests answered (atomic) */
static int conn_ended;		      /* atomic: /dev/fuse said ENODEV */
static unsigned setup_flags;	      /* asked for on the command line */

/* A reply: its error, and its body (p, len), often in b. */
struct reply {
	int32_t error;
	const void *p;
	size_t len;
	union {
		struct fuse_entry_out e;
		struct fuse_attr_out a;
		struct fuse_open_out o;
		struct fuse_statfs_out s;
	} b;
};

struct ent {
	struct fuse_uring_req_header *hdr;
	char *payload;
	struct iovec iov[2];
	unsigned qid;
	uint32_t last_op;
	uint64_t commit_id;
};

/* A queue: its ring and entries, made before the mount; its thread. */
struct queue {
	struct io_uring ring;
	struct ent ent[DEPTH];
	pthread_t thread;
	unsigned qid;
	int made;
};

static struct queue *queues;
static unsigned nq;

/* After the mount, a failure: said, the mount taken away (a process that
 * ends without leaves it answering ENOTCONN), the process ended. */
static _Noreturn void fail_mounted(const char *fmt, ...)
{
	static int failing; /* atomic */
	va_list ap;

	va_start(ap, fmt);
	fputs("floor_uring: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("; unmounting\n", stderr);
	va_end(ap);
	if (__atomic_exchange_n(&failing, 1, __ATOMIC_ACQ_REL))
		for (;;) /* another thread unmounts and ends */
			pause();
	umount2(mnt, MNT_DETACH);
	_exit(1);
}

static void fill_attr(struct fuse_attr *a, uint64_t ino)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	if (ino == FUSE_ROOT_ID) {
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
	} else {
		a->mode = S_IFREG | 0444;
		a->nlink = 1;
		a->size = FILE_BYTES;
	}
}

static void do_read(const void *arg, size_t argsz, struct reply *r)
{
	struct fuse_read_in in;

	if (argsz < sizeof(in)) {
		r->error = -EIO;
		return;
	}
	memcpy(&in, arg, sizeof(in));
	if (in.offset >= FILE_BYTES)
		return;
	r->p = data + in.offset;
	r->len = FILE_BYTES - in.offset;
	if (r->len > in.size)
		r->len = in.size;
}

/* Answer one request (its op's argument: arg, argsz) into r.
 * @return 1, or 0 for a request that gets no reply */
static int answer(const struct fuse_in_header *in, const void *arg,
		  size_t argsz, struct reply *r)
{
	memset(r, 0, sizeof(*r));
	r->p = &r->b;
	switch (in->opcode) {
	case FUSE_LOOKUP: /* the VFS asks only the root, a directory */
		if (in->nodeid != FUSE_ROOT_ID) { /* as floor.c */
			r->error = -ENOENT;
			break;
		}
		r->b.e.nodeid =
		    __atomic_fetch_add(&next_ino, 1, __ATOMIC_RELAXED);
		r->b.e.entry_valid = r->b.e.attr_valid = FOREVER;
		fill_attr(&r->b.e.attr, r->b.e.nodeid);
		r->len = sizeof(r->b.e);
		break;
	case FUSE_GETATTR:
		r->b.a.attr_valid = FOREVER;
		fill_attr(&r->b.a.attr, in->nodeid);
		r->len = sizeof(r->b.a);
		break;
	case FUSE_READ:
		do_read(arg, argsz, r);
		break;
	case FUSE_IOCTL:
		r->error = -ENOTTY;
		break;
	case FUSE_OPENDIR: /* libfuse without opendir: fh 0 */
		r->len = sizeof(r->b.o);
		break;
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_DESTROY:
		break;
	case FUSE_STATFS: /* libfuse without statfs */
		r->b.s.st.bsize = 512;
		r->b.s.st.namelen = 255;
		r->len = sizeof(r->b.s);
		break;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		return 0;
	default: /* OPEN (as floor.c), FLUSH, READDIR, ... */
		r->error = -ENOSYS;
	}
	return 1;
}

/* ---- /dev/fuse ---- */

static void dev_reply(uint64_t unique, const struct reply *r)
{
	struct fuse_out_header h = {.unique = unique, .error = r->error};
	struct iovec v[2] = {{&h, sizeof(h)}, {(void *)r->p, r->len}};
	int n = r->error || !r->len ? 1 : 2;

	h.len = (uint32_t)(sizeof(h) + (n == 2 ? r->len : 0));
	if (writev(fuse_fd, v, n) < 0 && errno != ENOENT)
		perror("floor_uring: /dev/fuse reply");
}

/* What does not go through the ring; at the connection's end (ENODEV
 * after an unmount, ECONNABORTED after an abort) the process is told to
 * end, and it then unmounts only its own dead mount. */
static void *dev_main(void *arg)
{
	char *buf = malloc(DEV_BUF);
	struct reply r;

	(void)arg;
	for (;;) {
		ssize_t n = buf ? read(fuse_fd, buf, DEV_BUF) : -1;
		const struct fuse_in_header *in = (const void *)buf;

		if (n < 0 &&
		    (errno == EINTR || errno == ENOENT || errno == EAGAIN))
			continue;
		if (n < 0 && (errno == ENODEV || errno == ECONNABORTED))
			break; /* unmounted, or aborted */
		if (n < (ssize_t)sizeof(*in) || in->len != (uint32_t)n)
			fail_mounted("/dev/fuse read failed or short");
		__atomic_add_fetch(&on_dev, 1, __ATOMIC_RELAXED);
		if (answer(in, in + 1, (size_t)n - sizeof(*in), &r))
			dev_reply(in->unique, &r);
	}
	free(buf);
	__atomic_store_n(&conn_ended, 1, __ATOMIC_RELEASE);
	kill(getpid(), SIGTERM);
	return NULL;
}

/* INIT, read and answered here, asking for the ring.
 * @return 0, or -1 (said) */
static int init(void)
{
	char *buf = malloc(DEV_BUF);
	const struct fuse_in_header *in = (const void *)buf;
	const struct fuse_init_in *ii = (const void *)(in + 1);
	struct fuse_out_header h = {.len = sizeof(h) +
					   sizeof(struct fuse_init_out)};
	struct fuse_init_out o = {.major = FUSE_KERNEL_VERSION,
				  .minor = FUSE_KERNEL_MINOR_VERSION,
				  .max_write = MAX_WRITE,
				  .time_gran = 1,
				  .max_pages = MAX_PAGES};
	struct iovec v[2] = {{&h, sizeof(h)}, {&o, sizeof(o)}};
	ssize_t n = buf ? read(fuse_fd, buf, DEV_BUF) : -1;
	int rc = -1;

	if (n < (ssize_t)(sizeof(*in) + sizeof(*ii)) || in->opcode != FUSE_INIT)
		fprintf(stderr, "floor_uring: no INIT from /dev/fuse\n");
	else if (!(ii->flags & FUSE_INIT_EXT) ||
		 !(ii->flags2 & (uint32_t)(FUSE_OVER_IO_URING >> 32)))
		fprintf(stderr,
			"floor_uring: the kernel did not offer FUSE "
			"over io_uring at INIT (%s N?)\n",
			URING_PARAM);
	else {
		h.unique = in->unique;
		o.max_readahead = ii->max_readahead;
		o.flags = (ii->flags & LIBFUSE_FLAGS) | FUSE_INIT_EXT;
		o.flags2 = (uint32_t)(FUSE_OVER_IO_URING >> 32);
		rc = writev(fuse_fd, v, 2) == (ssize_t)h.len ? 0 : -1;
		if (rc)
			perror("floor_uring: INIT reply");
	}
	free(buf);
	return rc;
}

/* ---- a queue: one a CPU, its thread pinned to it ---- */

static void prep_cmd(struct io_uring *ring, struct ent *e, uint32_t op)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct fuse_uring_cmd_req *c;

	if (!sqe) /* never: DEPTH SQEs, one command an entry */
		abort();
	memset(sqe, 0, 2 * sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fuse_fd;
	sqe->cmd_op = op;
	sqe->addr = (uint64_t)(uintptr_t)e->iov;
	sqe->len = 2;
	io_uring_sqe_set_data(sqe, e);
	e->last_op = op;
	c = (struct fuse_uring_cmd_req *)sqe->cmd;
	c->commit_id = e->commit_id;
	c->qid = (uint16_t)e->qid;
}

/* The entry's request answered in place: the out header in in_out, the
 * body in the payload. */
static void serve(struct ent *e)
{
	struct fuse_in_header in;
	struct fuse_out_header h;
	struct reply r;
	uint32_t psz = e->hdr->ring_ent_in_out.payload_sz;
	size_t argsz;

	memcpy(&in, e->hdr->in_out, sizeof(in));
	__atomic_add_fetch(&on_ring, 1, __ATOMIC_RELAXED);
	e->commit_id = e->hdr->ring_ent_in_out.commit_id;
	argsz = in.len - sizeof(in) - psz; /* the op's header, in op_in */
	if (in.len < sizeof(in) + psz || argsz > FUSE_URING_OP_IN_OUT_SZ) {
		memset(&r, 0, sizeof(r));
		r.error = -EIO;
	} else if (!answer(&in, e->hdr->op_in, argsz, &r)) {
		r.error = -EIO; /* never: what gets no reply is not on a ring */
	}
	if (r.error)
		r.len = 0;
	else if (r.len)
		memcpy(e->payload, r.p, r.len);
	h = (struct fuse_out_header){.len = (uint32_t)(sizeof(h) + r.len),
				     .error = r.error,
				     .unique = in.unique};
	memcpy(e->hdr->in_out, &h, sizeof(h));
	e->hdr->ring_ent_in_out.payload_sz = (uint32_t)r.len;
}

/* An entry's command completed with res.
 * @return 1 when the entry is done (the connection ended), else 0 */
static unsigned completed(struct queue *q, struct ent *e, int res)
{
	if (res == 0) {
		serve(e);
		prep_cmd(&q->ring, e, FUSE_IO_URING_CMD_COMMIT_AND_FETCH);
		return 0;
	}
	if (res == -EAGAIN || res == -EINTR) {
		prep_cmd(&q->ring, e, e->last_op);
		return 0;
	}
	if (res == -ENOTCONN || res == -ECANCELED || res == -ECONNABORTED)
		return 1; /* unmounted or aborted */
	/* a failed REGISTER: the kernel serves the mount through /dev/fuse
	 * from then on, not the ring's floor; a failed COMMIT: its reader
	 * waits for ever */
	fail_mounted("queue %u: %s failed: %s", q->qid,
		     e->last_op == FUSE_IO_URING_CMD_REGISTER ? "REGISTER"
							      : "COMMIT",
		     strerror(-res));
}

/* IORING_REGISTER_ENABLE_RINGS (this liburing's library lacks
 * io_uring_enable_rings). @return 0, or -1 (errno) */
static int enable_ring(struct io_uring *ring)
{
	return (int)syscall(__NR_io_uring_register, ring->ring_fd,
			    IORING_REGISTER_ENABLE_RINGS, NULL, 0);
}

static void *queue_main(void *arg)
{
	struct queue *q = arg;
	unsigned live = DEPTH;
	char name[16];
	cpu_set_t cpu;
	int rc;

	snprintf(name, sizeof(name), "floor-ring%u", q->qid);
	prctl(PR_SET_NAME, name);
	CPU_ZERO(&cpu);
	CPU_SET(q->qid, &cpu);
	if (sched_setaffinity(0, sizeof(cpu), &cpu) < 0)
		fprintf(stderr, "floor_uring: queue %u not pinned\n", q->qid);
	/* made disabled: a single issuer's ring is its enabler's */
	if (q->ring.flags & IORING_SETUP_R_DISABLED &&
	    enable_ring(&q->ring) < 0)
		fail_mounted("queue %u: io_uring enable: %s", q->qid,
			     strerror(errno));
	for (unsigned i = 0; i < DEPTH; i++)
		prep_cmd(&q->ring, &q->ent[i], FUSE_IO_URING_CMD_REGISTER);
	while (live) {
		struct io_uring_cqe *cqe;

		rc = io_uring_submit_and_wait(&q->ring, 1);
		if (rc < 0 && rc != -EINTR)
			fail_mounted("queue %u: io_uring submit: %s", q->qid,
				     strerror(-rc));
		while (io_uring_peek_cqe(&q->ring, &cqe) == 0) {
			struct ent *e = io_uring_cqe_get_data(cqe);
			int res = cqe->res;

			io_uring_cqe_seen(&q->ring, cqe);
			live -= completed(q, e, res);
		}
	}
	return NULL;
}

/* The ring's payload: the kernel's larger of 8192, max_write and
 * max_pages pages (fuse_uring_create). */
static size_t payload_size(size_t page)
{
	size_t n = MAX_PAGES * page;

	if (n < MAX_WRITE)
		n = MAX_WRITE;
	return n < 8192 ? 8192 : n;
}

/* Queue qid's ring and entries, before the mount.
 * @return 0, or -1 (said) */
static int queue_make(struct queue *q, unsigned qid)
{
	struct io_uring_params p = {.flags = IORING_SETUP_SQE128 | setup_flags};
	size_t page = (size_t)sysconf(_SC_PAGESIZE), psz = payload_size(page);
	int rc;

	if (setup_flags & IORING_SETUP_SINGLE_ISSUER)
		p.flags |= IORING_SETUP_R_DISABLED;
	q->qid = qid;
	rc = io_uring_queue_init_params(DEPTH, &q->ring, &p);
	if (rc < 0) {
		fprintf(stderr, "floor_uring: queue %u: io_uring: %s\n", qid,
			strerror(-rc));
		return -1;
	}
	q->made = 1;
	for (unsigned i = 0; i < DEPTH; i++) {
		struct ent *e = &q->ent[i];

		e->qid = qid;
		e->hdr = calloc(1, sizeof(*e->hdr));
		e->payload = aligned_alloc(page, psz);
		if (!e->hdr || !e->payload) {
			fprintf(stderr, "floor_uring: out of memory\n");
			return -1;
		}
		e->iov[0] = (struct iovec){e->hdr, sizeof(*e->hdr)};
		e->iov[1] = (struct iovec){e->payload, psz};
	}
	return 0;
}

static void queues_free(void)
{
	for (unsigned q = 0; queues && q < nq; q++) {
		if (queues[q].made)
			io_uring_queue_exit(&queues[q].ring);
		for (unsigned i = 0; i < DEPTH; i++) {
			free(queues[q].ent[i].hdr);
			free(queues[q].ent[i].payload);
		}
	}
	free(queues);
}

/* Every queue made. @return 0, or -1 (said) */
static int queues_make(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF); /* the kernel's queues */

	nq = ncpu > 0 ? (unsigned)ncpu : 1;
	queues = calloc(nq, sizeof(*queues));
	if (!queues) {
		fprintf(stderr, "floor_uring: out of memory\n");
		return -1;
	}
	for (unsigned q = 0; q < nq; q++)
		if (queue_make(&queues[q], q) < 0)
			return -1;
	return 0;
}

static int uring_enabled(void)
{
	FILE *f = fopen(URING_PARAM, "r");
	int c = f ? fgetc(f) : EOF;

	if (f)
		fclose(f);
	return c == 'Y' || c == '1';
}

/* The command line into mnt and setup_flags. @return 0, or -1 */
static int parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--defer-taskrun"))
			setup_flags |= IORING_SETUP_SINGLE_ISSUER |
				       IORING_SETUP_DEFER_TASKRUN;
		else if (!strcmp(argv[i], "--coop-taskrun"))
			setup_flags |= IORING_SETUP_COOP_TASKRUN |
				       IORING_SETUP_TASKRUN_FLAG;
		else if (argv[i][0] != '-' && !mnt)
			mnt = argv[i];
		else
			return -1;
	}
	return mnt ? 0 : -1;
}

/* /dev/fuse opened and mounted on mnt. @return 0, or -1 (said) */
static int mount_fuse(void)
{
	char opts[128];

	fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", fuse_fd);
	if (fuse_fd < 0 || mount("floor_uring", mnt, "fuse.floor_uring",
				 MS_NOSUID | MS_NODEV, opts) < 0) {
		fprintf(stderr, "floor_uring: %s: cannot mount: %s\n", mnt,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* The queue threads and /dev/fuse's, once INIT asked for the ring. */
static void threads_start(void)
{
	pthread_t dev;
	int rc;

	for (unsigned q = 0; q < nq; q++) {
		rc = pthread_create(&queues[q].thread, NULL, queue_main,
				    &queues[q]);
		if (rc != 0)
			fail_mounted("queue %u: thread: %s", q, strerror(rc));
	}
	rc = pthread_create(&dev, NULL, dev_main, NULL);
	if (rc == 0)
		rc = pthread_detach(dev);
	if (rc != 0)
		fail_mounted("/dev/fuse thread: %s", strerror(rc));
}

static void say_counts(void)
{
	unsigned f = queues[0].ring.flags; /* as the rings were made */

	fprintf(stderr,
		"floor_uring: %lu requests on the ring, %lu on /dev/fuse; "
		"setup SQE128%s%s%s%s\n",
		__atomic_load_n(&on_ring, __ATOMIC_RELAXED),
		__atomic_load_n(&on_dev, __ATOMIC_RELAXED),
		f & IORING_SETUP_SINGLE_ISSUER ? "|SINGLE_ISSUER" : "",
		f & IORING_SETUP_DEFER_TASKRUN ? "|DEFER_TASKRUN" : "",
		f & IORING_SETUP_COOP_TASKRUN ? "|COOP_TASKRUN" : "",
		f & IORING_SETUP_TASKRUN_FLAG ? "|TASKRUN_FLAG" : "");
}

/* After the connection's end: is floor_uring's mount still there, dead
 * (aborted: ENOTCONN), rather than unmounted from outside? statfs, not
 * stat: the root's attributes stay cached for a day. */
static int dead_mount_left(void)
{
	struct statfs st;

	return statfs(mnt, &st) < 0 && errno == ENOTCONN;
}

int main(int argc, char **argv)
{
	sigset_t sigs;
	int sig;

	if (parse_args(argc, argv) < 0) {
		fprintf(stderr, "usage: floor_uring MOUNTPOINT "
				"[--defer-taskrun] [--coop-taskrun]\n");
		return 2;
	}
	if (!uring_enabled()) {
		fprintf(stderr, "floor_uring: %s is not Y\n", URING_PARAM);
		return 1;
	}
	memset(data, 'A', sizeof(data));
	/* the threads started below leave these to sigwait */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (queues_make() < 0 || mount_fuse() < 0) {
		queues_free();
		return 1;
	}
	if (init() < 0)
		fail_mounted("INIT failed");
	threads_start();
	sigwait(&sigs, &sig);
	/* not after an outside unmount: what is mounted there since stays */
	if (!__atomic_load_n(&conn_ended, __ATOMIC_ACQUIRE) ||
	    dead_mount_left())
		umount2(mnt, MNT_DETACH);
	/* each queue ends when the connection does: at once, or (lazily
	 * unmounted) once nothing in the mount is open */
	for (unsigned q = 0; q < nq; q++)
		pthread_join(queues[q].thread, NULL);
	say_counts();
	queues_free();
	return 0;
}
