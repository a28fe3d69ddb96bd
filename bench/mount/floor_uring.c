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
 * pinned to it, makes a ring and registers its queue's entries
 * (FUSE_IO_URING_CMD_REGISTER); each request comes as the completion of
 * an entry's command, is answered in place and committed by the next
 * command, which fetches the next request (the kernel's
 * fs/fuse/dev_uring.c). A /dev/fuse thread takes what does not go through
 * the ring (FORGET, INTERRUPT, anything before every queue registered).
 *
 *   floor_uring MOUNTPOINT [--defer-taskrun] [--coop-taskrun]
 *     --defer-taskrun  the rings made with IORING_SETUP_SINGLE_ISSUER |
 *                      IORING_SETUP_DEFER_TASKRUN
 *     --coop-taskrun   ... with IORING_SETUP_COOP_TASKRUN |
 *                      IORING_SETUP_TASKRUN_FLAG
 * Needs /sys/module/fuse/parameters/enable_uring Y. SIGTERM or SIGINT
 * unmounts (lazily: it ends when nothing in the mount is open any more);
 * an unmount from outside (fusermount3 -u) ends it too. At the
 * end it says on stderr how many requests came on the ring and how many
 * through /dev/fuse.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <liburing.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fs/daemon/fuse_uring_uapi.h"

#define URING_PARAM "/sys/module/fuse/parameters/enable_uring"
#define FILE_BYTES 1000
#define FOREVER 86400 /* s: entry and attr timeouts */
#define DEPTH 4	      /* ring entries per queue */
#define MAX_WRITE (128u * 1024)
#define MAX_PAGES 32u
/* The ring's payload: the kernel's larger of 8192, max_write and
 * max_pages pages (fuse_uring_create). */
#define PAYLOAD MAX_WRITE
#define DEV_BUF (MAX_WRITE + 4096)

/* What libfuse 3.14 asks for at INIT for floor.c's ops (do_init). */
#define LIBFUSE_FLAGS                                                          \
	(FUSE_ASYNC_READ | FUSE_ATOMIC_O_TRUNC | FUSE_EXPORT_SUPPORT |         \
	 FUSE_DONT_MASK | FUSE_BIG_WRITES | FUSE_IOCTL_DIR |                   \
	 FUSE_AUTO_INVAL_DATA | FUSE_ASYNC_DIO | FUSE_PARALLEL_DIROPS |        \
	 FUSE_HANDLE_KILLPRIV | FUSE_MAX_PAGES)

static char data[FILE_BYTES];
static uint64_t next_ino = 2; /* atomic */
static int fuse_fd;
static unsigned long on_ring, on_dev; /* requests answered (atomic) */
static unsigned setup_flags;

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
	case FUSE_LOOKUP:
		if (in->nodeid != FUSE_ROOT_ID) {
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

/* What does not go through the ring; at unmount (ENODEV) the process is
 * told to end. */
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
		if (n < (ssize_t)sizeof(*in) || in->len != (uint32_t)n) {
			if (n >= 0 || errno != ENODEV)
				fprintf(stderr, "floor_uring: /dev/fuse read "
						"failed or short\n");
			break;
		}
		__atomic_add_fetch(&on_dev, 1, __ATOMIC_RELAXED);
		if (answer(in, in + 1, (size_t)n - sizeof(*in), &r))
			dev_reply(in->unique, &r);
	}
	free(buf);
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

static void *queue_main(void *arg)
{
	unsigned qid = (unsigned)(uintptr_t)arg, live = DEPTH;
	struct io_uring_params p = {.flags = IORING_SETUP_SQE128 | setup_flags};
	struct ent ent[DEPTH];
	struct io_uring ring;
	cpu_set_t cpu;
	int rc;

	CPU_ZERO(&cpu);
	CPU_SET(qid, &cpu);
	if (sched_setaffinity(0, sizeof(cpu), &cpu) < 0)
		fprintf(stderr, "floor_uring: queue %u not pinned\n", qid);
	rc = io_uring_queue_init_params(DEPTH, &ring, &p);
	if (rc < 0) {
		fprintf(stderr, "floor_uring: queue %u: io_uring: %s\n", qid,
			strerror(-rc));
		exit(1);
	}
	for (unsigned i = 0; i < DEPTH; i++) {
		struct ent *e = &ent[i];

		e->qid = qid;
		e->commit_id = 0;
		e->hdr = calloc(1, sizeof(*e->hdr));
		e->payload = aligned_alloc(4096, PAYLOAD);
		if (!e->hdr || !e->payload)
			exit(1);
		e->iov[0] = (struct iovec){e->hdr, sizeof(*e->hdr)};
		e->iov[1] = (struct iovec){e->payload, PAYLOAD};
		prep_cmd(&ring, e, FUSE_IO_URING_CMD_REGISTER);
	}
	while (live) {
		struct io_uring_cqe *cqe;

		rc = io_uring_submit_and_wait(&ring, 1);
		if (rc < 0 && rc != -EINTR) {
			fprintf(stderr, "floor_uring: queue %u: %s\n", qid,
				strerror(-rc));
			break;
		}
		while (io_uring_peek_cqe(&ring, &cqe) == 0) {
			struct ent *e = io_uring_cqe_get_data(cqe);
			int res = cqe->res;

			io_uring_cqe_seen(&ring, cqe);
			if (res == 0) {
				serve(e);
				prep_cmd(&ring, e,
					 FUSE_IO_URING_CMD_COMMIT_AND_FETCH);
			} else if (res == -EAGAIN || res == -EINTR) {
				prep_cmd(&ring, e, e->last_op);
			} else {
				live--;
				if (res != -ENOTCONN && res != -ECANCELED &&
				    res != -ECONNABORTED)
					fprintf(stderr,
						"floor_uring: queue %u: an "
						"entry failed: %s\n",
						qid, strerror(-res));
			}
		}
	}
	io_uring_queue_exit(&ring);
	for (unsigned i = 0; i < DEPTH; i++) {
		free(ent[i].hdr);
		free(ent[i].payload);
	}
	return NULL;
}

static int uring_enabled(void)
{
	FILE *f = fopen(URING_PARAM, "r");
	int c = f ? fgetc(f) : EOF;

	if (f)
		fclose(f);
	return c == 'Y' || c == '1';
}

int main(int argc, char **argv)
{
	const char *mnt = NULL;
	char opts[128];
	long ncpu = sysconf(_SC_NPROCESSORS_CONF); /* the kernel's queues */
	unsigned nq = ncpu > 0 ? (unsigned)ncpu : 1;
	pthread_t *queue = calloc(nq, sizeof(*queue)), dev;
	sigset_t sigs;
	int sig;

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
			mnt = NULL, argc = 0;
	}
	if (!mnt || !queue) {
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
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", fuse_fd);
	if (fuse_fd < 0 || mount("floor_uring", mnt, "fuse.floor_uring",
				 MS_NOSUID | MS_NODEV, opts) < 0) {
		fprintf(stderr, "floor_uring: %s: cannot mount: %s\n", mnt,
			strerror(errno));
		return 1;
	}
	if (init() < 0) {
		umount2(mnt, MNT_DETACH);
		return 1;
	}
	for (unsigned q = 0; q < nq; q++)
		if (pthread_create(&queue[q], NULL, queue_main,
				   (void *)(uintptr_t)q) != 0)
			return 1;
	if (pthread_create(&dev, NULL, dev_main, NULL) != 0 ||
	    pthread_detach(dev) != 0)
		return 1;
	sigwait(&sigs, &sig);
	umount2(mnt, MNT_DETACH); /* EINVAL when unmounted from outside */
	/* each queue ends when the connection does: at once, or (lazily
	 * unmounted) once nothing in the mount is open */
	for (unsigned q = 0; q < nq; q++)
		pthread_join(queue[q], NULL);
	free(queue);
	fprintf(stderr,
		"floor_uring: %lu requests on the ring, %lu on /dev/fuse\n",
		__atomic_load_n(&on_ring, __ATOMIC_RELAXED),
		__atomic_load_n(&on_dev, __ATOMIC_RELAXED));
	return 0;
}
