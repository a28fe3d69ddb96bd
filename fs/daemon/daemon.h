/*
 * fs/daemon/daemon.h - the FUSE daemon: mount a store and serve its path
 * namespace (docs/PATHS.md). This header does not include libfuse; only
 * the daemon's own files do.
 *
 * Threading: gdb_fs_run() runs the multithreaded FUSE loop in the calling
 * process and returns after unmount (fusermount3 -u, SIGINT, SIGTERM).
 */
#ifndef GDB_FS_H
#define GDB_FS_H

#include <stddef.h>
#include <stdint.h>

#include "common/gdb.h"

typedef struct gdb_fs_opts {
	const char *store_path;
	const char *mountpoint;
	int foreground;		/* else daemonize once mounted */
	int debug;		/* libfuse debug output (implies foreground) */
	uint64_t cache_bytes;	/* decoded-block budget */
	const char *policy;	/* cache policy name; NULL: default */
	int prefetch;		/* automatic prefetch on/off */
	unsigned max_threads;	/* FUSE worker threads (0: default) */
	const char *fuse_opts;	/* extra -o options, comma-separated */
	unsigned readahead_kb;	/* kernel readahead for the mount; 0: keep */
} gdb_fs_opts;

/*
 * gdb_fs_run - open the store, mount, serve until unmounted.
 * @return 0 after a clean unmount; a negative code (message in err) if the
 *         store cannot be opened or the mount fails.
 */
GDB_MUST_CHECK int gdb_fs_run(const gdb_fs_opts *o, char *err, size_t errlen);

#endif
