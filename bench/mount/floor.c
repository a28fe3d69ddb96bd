/*
 * bench/mount/floor.c - the least a FUSE file system can do for a region
 * read, as the floor GenomeDB's mount is measured against (issue 16).
 * Not part of the product; built by `make bench` only.
 *
 * Every name in the root is a file of 1000 bytes with its own inode (so
 * each new name costs a LOOKUP and a READ, as a new region name does on
 * GenomeDB), answered with long entry/attr timeouts; OPEN -> ENOSYS (the
 * kernel then stops sending OPEN and RELEASE), IOCTL -> ENOTTY (isatty).
 *
 *   floor MOUNTPOINT [-s] [--clone-fd] [--threads N] [--idle N]
 *         [--spin-us N] [--wake-every N]
 *     -s            single-threaded loop (fuse_session_loop)
 *     --clone-fd    one /dev/fuse descriptor per worker thread
 *     --threads N   max worker threads (multi-threaded loop)
 *     --idle N      max idle worker threads
 *     --spin-us N   spend N us of CPU in each LOOKUP and READ (a file
 *                   system with more work per request)
 *     --wake-every N  wake an idle thread of its own every N LOOKUPs (as
 *                   a daemon waking a helper thread now and then)
 * The last two tell what moves a region read off the reader's CPU on a
 * 2-vCPU guest (docs/BENCHMARKS.md, 2026-12-07).
 */
#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define FILE_BYTES 1000
#define FOREVER 86400.0

static char data[FILE_BYTES];
static fuse_ino_t next_ino = 2; /* atomic */
static unsigned spin_us, wake_every, lookups; /* lookups: atomic */
static pthread_mutex_t side_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t side_cond = PTHREAD_COND_INITIALIZER;

/* --spin-us: busy for spin_us microseconds. */
static void spin(void)
{
	struct timespec a, b;

	if (!spin_us)
		return;
	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) <
	       (long)spin_us * 1000L);
}

/* --wake-every: the thread woken, which goes back to sleep. */
static void *side_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&side_lock);
	for (;;)
		pthread_cond_wait(&side_cond, &side_lock);
	return NULL;
}

static void maybe_wake(void)
{
	if (!wake_every ||
	    __atomic_add_fetch(&lookups, 1, __ATOMIC_RELAXED) % wake_every)
		return;
	pthread_mutex_lock(&side_lock);
	pthread_cond_signal(&side_cond);
	pthread_mutex_unlock(&side_lock);
}

static void fill_attr(struct stat *st, fuse_ino_t ino)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = FILE_BYTES;
	}
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;

	(void)name;
	spin();
	maybe_wake();
	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = __atomic_fetch_add(&next_ino, 1, __ATOMIC_RELAXED);
	e.attr_timeout = e.entry_timeout = FOREVER;
	fill_attr(&e.attr, e.ino);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	fill_attr(&st, ino);
	fuse_reply_attr(req, &st, FOREVER);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino, (void)fi;
	fuse_reply_err(req, ENOSYS);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)ino, (void)fi;
	spin();
	if (off >= FILE_BYTES) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > (size_t)(FILE_BYTES - off))
		size = (size_t)(FILE_BYTES - off);
	fuse_reply_buf(req, data + off, size);
}

static void op_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd,
		     void *arg, struct fuse_file_info *fi, unsigned flags,
		     const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	(void)ino, (void)cmd, (void)arg, (void)fi, (void)flags, (void)in_buf;
	(void)in_bufsz, (void)out_bufsz;
	fuse_reply_err(req, ENOTTY);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t n)
{
	(void)ino, (void)n;
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	(void)count, (void)forgets;
	fuse_reply_none(req);
}

static const struct fuse_lowlevel_ops OPS = {
	.lookup = op_lookup,
	.getattr = op_getattr,
	.open = op_open,
	.read = op_read,
	.ioctl = op_ioctl,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
};

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_loop_config *lc;
	struct fuse_session *se;
	const char *mnt = NULL;
	int single = 0, clone_fd = 0, threads = 16, idle = -1, rc, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-s"))
			single = 1;
		else if (!strcmp(argv[i], "--clone-fd"))
			clone_fd = 1;
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--spin-us") && i + 1 < argc)
			spin_us = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--wake-every") && i + 1 < argc)
			wake_every = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--idle") && i + 1 < argc)
			idle = atoi(argv[++i]);
		else
			mnt = argv[i];
	}
	if (!mnt) {
		fprintf(stderr, "usage: floor MOUNTPOINT [-s] [--clone-fd] "
				"[--threads N] [--idle N] [--spin-us N] "
				"[--wake-every N]\n");
		return 2;
	}
	memset(data, 'A', sizeof(data));
	if (wake_every) {
		pthread_t t;
		if (pthread_create(&t, NULL, side_main, NULL) != 0)
			return 1;
		pthread_detach(t);
	}
	if (fuse_opt_add_arg(&args, "floor") ||
	    fuse_opt_add_arg(&args, "-ofsname=floor,subtype=floor"))
		return 1;
	se = fuse_session_new(&args, &OPS, sizeof(OPS), NULL);
	if (!se || fuse_set_signal_handlers(se) ||
	    fuse_session_mount(se, mnt)) {
		fprintf(stderr, "floor: %s: cannot mount\n", mnt);
		return 1;
	}
	if (single) {
		rc = fuse_session_loop(se);
	} else {
		lc = fuse_loop_cfg_create();
		fuse_loop_cfg_set_clone_fd(lc, (unsigned)clone_fd);
		fuse_loop_cfg_set_max_threads(lc, (unsigned)threads);
		if (idle >= 0)
			fuse_loop_cfg_set_idle_threads(lc, (unsigned)idle);
		rc = fuse_session_loop_mt(se, lc);
		fuse_loop_cfg_destroy(lc);
	}
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	fuse_opt_free_args(&args);
	return rc < 0 ? 1 : 0;
}
