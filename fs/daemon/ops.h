/*
 * fs/daemon/ops.h - the libfuse side of the daemon, shared by ops.c,
 * ops_write.c and session.c (no other file includes libfuse): the
 * operations table and the helpers its two halves share.
 */
#ifndef GDB_DAEMON_OPS_H
#define GDB_DAEMON_OPS_H

#include <fuse_lowlevel.h>

#include "fs/daemon/daemon_int.h"

/* Every operation, ops.c's and ops_write.c's; the session's user data is
 * the gdb_daemon. */
extern const struct fuse_lowlevel_ops gdb_daemon_ops;

void ops_fill_entry(gdb_daemon *d, struct fuse_entry_param *e, struct node *n);

/* The calling worker's reply buffer, at least size bytes (NULL: -ENOMEM);
 * freed when the thread exits (ops_thread_buf_free, the key's destructor)
 * or by ops_thread_buf_release for the calling thread. While the thread
 * serves a ring request (--loop uring) it is that ring entry's payload
 * (daemon_uring_reply_buf), so a reply sent from its start as one piece
 * is not copied again: op_read's and op_readdir's fuse_reply_buf. */
char *ops_thread_buf(gdb_daemon *d, size_t size);
void ops_thread_buf_free(void *p);
void ops_thread_buf_release(gdb_daemon *d);

/* loop.c: serve se until unmounted with readers threads reading
 * /dev/fuse (the calling one first; 0: 1) and max_threads - readers
 * workers (none when max_threads <= readers: everything on the reading
 * threads, so max(max_threads, readers) requests at once); the caller
 * must have installed libfuse's signal handlers, and the wake-up signal
 * for --readers above 1 (without it: one reader, logged); follow: the reading
 * thread follows its readers' CPUs (follow.c; one reader only); spin_us: each
 * reads /dev/fuse again for that long before it sleeps (0: it sleeps at once).
 * @return 0 or -errno */
int daemon_loop(struct fuse_session *se, gdb_daemon *d, unsigned max_threads,
		int follow, unsigned spin_us, unsigned readers);
/* wake.c: the signal that wakes the main thread out of its read of
 * /dev/fuse when another thread has ended the session (fuse_session_exit):
 * a do-nothing handler without SA_RESTART, unblocked on the main thread;
 * every other daemon thread keeps it blocked (daemon_thread_create). */
#define DAEMON_WAKE_SIGNAL SIGUSR2
/* Block the wake-up signal and those libfuse handles (TERM, INT, HUP,
 * QUIT) on the calling thread; *old gets the mask before. */
void daemon_signals_block(sigset_t *old);
/* pthread_create (default attributes) of a thread with those signals
 * blocked, so that they reach the main thread only: each thread of the
 * daemon but the main one starts through it. @return 0 or an errno, as
 * pthread_create */
int daemon_thread_create(pthread_t *t, void *(*fn)(void *), void *arg);
/* A pool whose threads start on demand (loop.c's workers, a ring queue's
 * slow threads): what its one log line says when a thread does not start
 * ("<who> did not start (<error>): <wait or here>") and whether it did. */
struct daemon_grow {
	char who[64];	  /* "a worker thread", "--loop uring: queue 1: ..." */
	const char *wait; /* the job's lot when threads of the pool run */
	const char *here; /* ... when none runs (the caller serves it) */
	int failed;	  /* a start failed: logged (once: it may go on) */
};
/* One more thread of the pool, tids[*n] (the pool's lock held, *n below
 * its maximum), counted in *n. @return 0 when a thread of the pool runs to
 * take the job (this one, or those running when it did not start), else
 * -errno (none runs: the caller serves the job) */
int daemon_grow(struct daemon_grow *g, pthread_t *tids, unsigned *n,
		void *(*fn)(void *), void *arg);
/* On the main thread, before any thread that may wake it starts.
 * @return 0, or -errno (logged; nothing installed) */
int daemon_wake_install(gdb_daemon *d);
/* The old disposition and blocking back, once every thread that may wake
 * the main thread has been joined (else the signal could end the
 * process). */
void daemon_wake_restore(gdb_daemon *d);
/* The main thread has left its loop: wakers stop sending. */
void daemon_wake_left(gdb_daemon *d);
/* Another thread, after fuse_session_exit: send the signal to the main
 * thread every 100 ms until it has left its loop (one would be lost if it
 * came between the loop's look at fuse_session_exited and its read).
 * It sleeps in usleep, a cancellation point: a thread that may be
 * cancelled calls it with cancellation disabled. */
void daemon_wake_main(gdb_daemon *d);

/* loop.c: is the request in b cheap enough to answer on the thread that
 * got it (a region's LOOKUP and small READ, GETATTR, isatty's IOCTL, ...),
 * or may it take long (rendered answers, writes, control lines, streaming
 * READs)? */
int daemon_request_inline(gdb_daemon *d, const struct fuse_buf *b);

/* uring.c (--loop uring): can this kernel serve through FUSE over
 * io_uring (enable_uring Y, an SQE128 ring made)? Called before mounting.
 * @return 0, or -errno with err saying what to do */
int daemon_uring_check(char *err, size_t errlen);
/* Start the queue threads (one per possible CPU, pinned) and route se's
 * I/O through uring.c; the split loop then serves /dev/fuse as before and
 * the ring takes over once INIT is answered. Call after fuse_daemonize,
 * before daemon_loop. @return 0, or -errno (nothing started) */
int daemon_uring_start(struct fuse_session *se, gdb_daemon *d);
/* Stop and join the queue threads (after daemon_loop and live_halt,
 * before live_stop). @return 0, or -EIO when a queue could not go on and
 * ended the mount (logged) */
int daemon_uring_stop(gdb_daemon *d);
/* A ring request (hdr, and the entry's payload of cap bytes, whose first
 * payload_sz are the request's) laid out as /dev/fuse's message in msg
 * (room for a fuse_in_header, FUSE_URING_OP_IN_OUT_SZ and cap): the in
 * header, the op's header (its len minus the rest), the payload.
 * @return the message's length, or -EIO when the sizes do not add up */
struct fuse_uring_req_header;
ssize_t daemon_uring_layout(const struct fuse_uring_req_header *hdr,
			    const char *payload, size_t cap, char *msg);
/* The payload of the ring entry this thread is serving, if it holds size
 * bytes; NULL when the thread serves none (or size is larger). */
char *daemon_uring_reply_buf(size_t size);

/* ops_write.c */
void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
	      off_t off, struct fuse_file_info *fi);
void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		struct fuse_file_info *fi);
void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	      dev_t rdev);
void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	       struct fuse_file_info *fi);
void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		const char *name);
void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
	       fuse_ino_t newparent, const char *newname, unsigned int flags);
void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
	     const char *newname);
void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		 const char *value, size_t size, int flags);
void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

#endif
