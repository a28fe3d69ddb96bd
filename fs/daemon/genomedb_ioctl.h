/*
 * fs/daemon/genomedb_ioctl.h - the daemon's ioctl commands, for `genomedb ctl`
 * and any program that wants metrics without parsing JSON.
 *
 * Issue them on a file descriptor of the mount's root directory
 * (open(mountpoint, O_RDONLY | O_DIRECTORY)). FUSE passes only fixed-size
 * ("restricted") ioctls, so every command is one struct whose size is
 * encoded in the command number; each struct starts with its size and a
 * version so a reader can tell what it got. All integers are native-endian
 * (an ioctl never leaves the machine).
 *
 * The same controls exist as xattrs on the mount's root and as lines
 * written to /.gdb/config (docs/PATHS.md); this is the fast path.
 */
#ifndef GDB_IOCTL_H
#define GDB_IOCTL_H

#include <stdint.h>
#include <sys/ioctl.h>

#define GDB_IOC_MAGIC 0xB7
#define GDB_IOC_VERSION 1

/* GDB_IOC_GET_STATS: the cache and daemon metrics of stats.json. */
struct gdb_ioc_stats {
	uint32_t size;	  /* out: sizeof(struct gdb_ioc_stats) */
	uint32_t version; /* out: GDB_IOC_VERSION */
	char policy[16];  /* NUL-terminated */
	uint64_t generation;
	uint64_t budget_bytes, resident_bytes, pinned_bytes;
	uint64_t hits, misses, evictions, bytes_decoded;
	uint64_t prefetch_issued, prefetch_used, prefetch_wasted;
	uint64_t lat_p50_ns, lat_p95_ns, lat_p99_ns, lat_count;
	uint64_t reads, bytes_served;
	uint32_t prefetch_enabled;
	uint32_t pad;
	uint64_t reserved[11]; /* zero */
};

/*
 * GDB_IOC_CONTROL: apply one control line, exactly as written to
 * /.gdb/config ("policy=arc", "pin=hg38/chr1:1-100000", "reset-stats").
 * The daemon answers in the same struct: status 0 or a negative errno,
 * and a one-line message.
 */
struct gdb_ioc_control {
	uint32_t size;	  /* in: sizeof(struct gdb_ioc_control) */
	uint32_t version; /* in: GDB_IOC_VERSION */
	int32_t status;	  /* out: 0 or -errno */
	uint32_t pad;
	char line[1008]; /* in: the line; out: the message */
};

#define GDB_IOC_GET_STATS _IOR(GDB_IOC_MAGIC, 1, struct gdb_ioc_stats)
#define GDB_IOC_CONTROL _IOWR(GDB_IOC_MAGIC, 2, struct gdb_ioc_control)

_Static_assert(sizeof(struct gdb_ioc_stats) == 256, "ioctl ABI");
_Static_assert(sizeof(struct gdb_ioc_control) == 1024, "ioctl ABI");

#endif
