/*
 * fs/daemon/daemon.h - the FUSE daemon, the one public header of
 * fs/daemon/: mount a store and serve its path namespace (docs/PATHS.md).
 * This header does not include libfuse; only the daemon's session and
 * operations do (session.c, ops.c, ops_write.c).
 *
 * Two ways in. gdb_fs_run() mounts and serves until unmounted. The
 * gdb_daemon_* calls build the same daemon in-process, without a mount,
 * and drive it by inode numbers as the kernel does (a lookup counts one
 * reference that a forget gives back): tests and embedders use them.
 *
 * Threading: gdb_fs_run() runs the FUSE loop (fs/daemon/loop.c) in the calling
 * process and returns after unmount (fusermount3 -u, SIGINT, SIGTERM).
 * Every gdb_daemon_* call but open and close may run concurrently.
 */
#ifndef GDB_DAEMON_H
#define GDB_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cache/cache.h"
#include "common/gdb.h"

/* At most this many threads read /dev/fuse in the split loop (--readers). */
#define GDB_READERS_MAX 16

typedef struct gdb_fs_opts {
	const char *store_path;
	const char *mountpoint;
	int foreground;	       /* else daemonize once mounted */
	int debug;	       /* libfuse debug output (implies foreground) */
	uint64_t cache_bytes;  /* decoded-block budget */
	const char *policy;    /* cache policy name; NULL: default */
	int prefetch;	       /* automatic prefetch on/off */
	unsigned max_threads;  /* requests served at once (0: default) */
	int libfuse_loop;      /* libfuse's multithreaded loop, not loop.c's */
	int uring_loop;	       /* FUSE over io_uring (uring.c) beside the
				* split loop (--loop uring) */
	int no_follow;	       /* loop.c's reading thread stays where the
				* kernel puts it (--follow off) */
	unsigned spin_us;      /* loop.c's reading thread reads /dev/fuse
				* again for this long before blocking
				* (--spin-us; 0: it blocks at once) */
	unsigned readers;      /* loop.c's threads reading /dev/fuse, each
				* answering cheap requests (--readers,
				* 1 to GDB_READERS_MAX; 0: 1) */
	const char *fuse_opts; /* extra -o options, comma-separated */
	unsigned readahead_kb; /* kernel readahead for the mount; 0: keep */
	const char *log_path;  /* log file (absolute); NULL: the default
				* when detached, none in the foreground */
	int unmount_stale;     /* clear a dead mount at mountpoint first */
	const char *const *plugins; /* shared objects serving /compute/<name>
				     * (api/genomedb_plugin.h), loaded by
				     * gdb_daemon_open; nplugins of them */
	size_t nplugins;
} gdb_fs_opts;

/*
 * gdb_fs_run - open the store, mount, serve until unmounted.
 * @return 0 after a clean unmount; a negative code (message in err) if the
 *         store cannot be opened or the mount fails.
 */
GDB_MUST_CHECK int gdb_fs_run(const gdb_fs_opts *o, char *err, size_t errlen);

/* ---- a daemon in-process ---- */

typedef struct gdb_daemon gdb_daemon;

/* The root directory's inode number (libfuse's FUSE_ROOT_ID). */
#define GDB_DAEMON_ROOT 1

/*
 * gdb_daemon_open - open the store, its cache and the namespaces of
 * o (store_path, cache_bytes, policy, prefetch; the mount fields are not
 * used). The prefetch thread is not started.
 * @param out  out: close with gdb_daemon_close()
 * @return 0; the store's error, -EINVAL (unknown policy), -ENOMEM; the
 *         reason in err
 */
GDB_MUST_CHECK int gdb_daemon_open(const gdb_fs_opts *o, gdb_daemon **out,
				   char *err, size_t errlen);
void gdb_daemon_close(gdb_daemon *d); /* NULL is a no-op */

/* The daemon's block and answer cache (borrowed; for its stats). */
gdb_cache *gdb_daemon_cache(gdb_daemon *d);

typedef struct gdb_daemon_entry {
	uint64_t ino;
	int is_dir;
	uint64_t size; /* bytes, exact */
	unsigned mode; /* permission bits */
} gdb_daemon_entry;

/*
 * gdb_daemon_lookup - name in directory parent, as the kernel's LOOKUP:
 * the entry's inode holds one more lookup, given back by forget.
 * @return 0; -ENOENT (no such name), -ENOTDIR; a namespace's error
 *         (-EINVAL a malformed parameter or inbox file, -EFBIG / -E2BIG an
 *         answer too large, -EIO store damage, -ENOMEM)
 */
GDB_MUST_CHECK int gdb_daemon_lookup(gdb_daemon *d, uint64_t parent,
				     const char *name, gdb_daemon_entry *out);
/* Give back nlookup lookups of ino (the kernel's FORGET). */
void gdb_daemon_forget(gdb_daemon *d, uint64_t ino, uint64_t nlookup);
/*
 * gdb_daemon_read - bytes [off, off+len) of file ino into dst.
 * @return the bytes copied (0 at or past the end); -EISDIR; -EIO (a
 *         damaged block, or GDB_E* codes), -ENOMEM
 */
ssize_t gdb_daemon_read(gdb_daemon *d, uint64_t ino, uint64_t off, size_t len,
			char *dst);
/*
 * gdb_daemon_control - apply one control line, as written to /.gdb/config,
 * sent by user uid: only the daemon's owner or root may (the rule of every
 * control path: config, xattrs, ioctl).
 * @param msg  out: "ok" or the reason
 * @return 0; -EACCES, -EINVAL, -ENOSPC, -ENOENT, -EIO
 */
int gdb_daemon_control(gdb_daemon *d, uint32_t uid, const char *line, char *msg,
		       size_t msglen);

/*
 * gdb_daemon_refresh - serve the generation the store's CURRENT names now
 * (a mount does this by itself, docs/CACHE.md "Live generations"). Nodes
 * looked up before keep theirs until forgotten.
 * @return 1 (a new generation), 0 (unchanged), or the store's error
 */
int gdb_daemon_refresh(gdb_daemon *d, char *err, size_t errlen);

/* Tests: the next n node allocations fail, as a momentary out-of-memory
 * would (a lookup then gives -ENOMEM, never a cached ENOENT). */
void gdb_daemon_fail_allocs(gdb_daemon *d, unsigned n);

#endif
