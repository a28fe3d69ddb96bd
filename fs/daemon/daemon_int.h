/*
 * fs/daemon/daemon_int.h - what the daemon's own files share, and nothing
 * else includes: the daemon state, the node table, and the calls one file
 * makes into another. No libfuse here either: only session.c, ops.c,
 * ops_write.c and live.c include fuse_lowlevel.h, and reach the state through
 * the session's user data (fuse_req_userdata), never a global.
 *
 * Nodes: every node is a struct node and its inode number is its address
 * (as libfuse's passthrough_ll does), except the root, GDB_DAEMON_ROOT.
 * Nodes for the fixed part of the namespace (root, .gdb, assemblies
 * and their whole-object files, the providers' tops and inboxes) are
 * built at open and live until close ("permanent"). A contig's nodes (its
 * directory, .fa and .fa.fai) are permanent too, but built at the first
 * lookup of any of them (gen_contig): a store of 500,000 proteins mounts
 * and lists without building 1.5 million nodes. Region files,
 * computed answers and inbox files are built by lookup and freed when the
 * kernel's lookup count drops to zero in forget (the contract documented
 * for forget in fuse_lowlevel.h); inode numbers are never reused while a
 * node lives.
 *
 * Memory: what the kernel may hold for long stays small. A region node
 * keeps its name and size and makes its view and prefetch state at its
 * first read; a computed answer's bytes live in the cache under the
 * budget (gdb_cache_answer), dropped under pressure and computed again
 * from the node's path at the next read.
 */
#ifndef GDB_DAEMON_INT_H
#define GDB_DAEMON_INT_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "cache/cache.h"
#include "fs/daemon/daemon.h"
#include "fs/daemon/genomedb_ioctl.h"
#include "fs/ns/ns.h"
#include "store/store.h"

/* A generation never changes: let the kernel keep it all. A new one is
 * announced by invalidating what changed (live.c), not by timeouts. */
#define TIMEOUT_S 86400.0

#define MAX_PROVIDERS 8

/* d_ino of listed names that have no inode until looked up: any value but
 * 0 (readdir(3) skips entries whose d_ino is 0). */
#define UNKNOWN_INO ((uint64_t)-1)

/* The files whose content changes while mounted (see struct snap). */
#define LIVE_STATS 0
#define LIVE_CONFIG 1
#define LIVE_LOG 2
#define NLIVE 3
#define STATS_PAD 8192 /* bytes of every stats.json snapshot */

enum nkind {
	N_ROOT,
	N_GDBDIR,
	N_STATS,     /* stats.json or config: a live snapshot */
	N_ASM,	     /* /<asm> */
	N_CONTIGDIR, /* /<asm>/<contig> (region lookups) */
	N_VIEW,	     /* any sequence file */
	N_TEXT,	     /* .fai, .dict (owned text) */
	N_ANSWER,    /* a computed file (its bytes in the cache) */
	N_NSDIR,     /* a directory of a computed namespace */
	N_INBOX,     /* a provider's writable directory (fs/ns/ns.h) */
	N_INBOXFILE, /* a file in it */
	N_RANGED,    /* a provider's ranged file (fs/ns/ns.h): bytes per read */
};

struct gen;

struct node {
	enum nkind kind;
	/* The generation it belongs to (it holds one reference of it per
	 * kernel lookup); NULL for the root, /.gdb and its files, and
	 * inbox files, which outlive generations. */
	struct gen *gen;
	int permanent;
	int path_inline; /* path is in the node's allocation (node_new_named) */
	uint64_t nlookup; /* atomic; only for non-permanent nodes */
	uint32_t asm_idx;
	int32_t contig;		  /* -1 if none */
	int contig_xattrs;	  /* carries user.gdb.md5/length/refget */
	int same_writes;	  /* N_TEXT .fai: a rewrite of the same bytes
				   * is accepted (samtools faidx FILE) */
	gdb_view *view;		  /* N_VIEW, owned; a region's made at its
				   * first read (node_view) */
	gdb_cache_stream *stream; /* N_VIEW: access pattern, owned */
	uint64_t size;		  /* N_ANSWER, region N_VIEW: bytes */
	gdb_cache_answer *ans;	  /* N_ANSWER: the bytes, owned */
	uint32_t crc;		  /* N_ANSWER: CRC-32C of the bytes, which
				   * an answer computed again must match */
	char *text;		  /* N_TEXT, owned; an assembly's .dict:
				   * NULL until its first read */
	size_t textlen;
	int lazy_dict; /* N_TEXT: an assembly's .dict, rendered (digests of
			* every record) at its first read, sized at mount */
	struct node *prev, *next; /* live nodes; d->nodes_lock */
	uint32_t prov;		  /* N_NSDIR, N_INBOX, volatile: gen->provs[] */
	int live;		  /* N_STATS: LIVE_STATS, _CONFIG or _LOG */
	char *path;		  /* N_NSDIR, N_ANSWER, N_RANGED: path below
				   * the provider's top; region N_VIEW: its
				   * name */
	gdb_ns_ranged rng;	  /* N_RANGED, released with the node (before
				   * its generation, whose provider it reads) */
	gdb_inbox_file *ibf;	  /* N_INBOXFILE: a reference, owned */
	/* A volatile answer (GDB_NS_VOLATILE) computed when its provider's
	 * inbox was at this version; on d->vol while it lives. */
	int vol;
	uint64_t vol_version;
	struct node *vprev, *vnext; /* d->nodes_lock */
	/* A volatile answer the kernel has forgotten, kept for the lookup
	 * that usually follows (see node_forget): the order it was parked
	 * in, 0 if it is not. Its nlookup changes only under nodes_lock. */
	uint64_t parked;
};

/* A mounted computed namespace (fs/ns/ns.h). */
struct nsprov {
	const gdb_ns_provider *p;
	void *ctx;
	struct node top;
	gdb_inbox *inbox;      /* NULL if the provider has none */
	struct node inbox_dir; /* N_INBOX at p->inbox */
};

/* An assembly's nodes. The .fa's view and the .fa.fai's text (a record
 * each: 500,000 for a protein database) are made at the first lookup of
 * either (gen_asm_files), then ready is set. */
struct asm_nodes {
	struct node dir, fa, fai, dict;
	int ready; /* atomic; set under gen->build_lock */
};

struct contig_nodes {
	struct node dir, fa, fai;
};

/*
 * stats.json changes while the mount lives, and with zero-message opens it
 * cannot be direct_io. So each getattr of it takes a new snapshot and gives
 * it a new mtime (attr timeout 0); with FUSE_CAP_AUTO_INVAL_DATA the kernel
 * drops its cached pages when it sees the mtime change, and reads serve the
 * latest snapshot, whose size getattr reported.
 */
struct snap {
	char *p;
	size_t len;
	struct timespec mtime;
};

/*
 * A generation of the store as served: its mapping, its cache, the
 * permanent nodes of its tree and its namespaces. The current one serves
 * every path walk from the root; one that is no longer current lives on
 * while the kernel holds any of its nodes (an open file, a cwd), so open
 * files keep their bytes, and is freed when the last is forgotten, which
 * lets `genomedb gc` remove it (the store's reader lock goes with it).
 */
struct gen {
	gdb_store *store;
	gdb_cache *cache;
	struct asm_nodes *asms;
	/* by contig id: NULL until its first lookup (gen_contig), then
	 * kept until the generation goes; set once, atomically */
	struct contig_nodes **contigs;
	uint64_t contigs_built;	    /* of them, set; atomic */
	pthread_mutex_t build_lock; /* gen_asm_files */
	struct nsprov provs[MAX_PROVIDERS];
	unsigned nprov;
	struct timespec mtime; /* of CURRENT when it was read */
	/* 1 while current, plus one per kernel lookup of its nodes, plus
	 * the callers of gen_get() at work; atomic. Freed at 0. */
	uint64_t refs;
	struct gen *prev, *next; /* d->gens; gen_lock */
};

/* The stat of CURRENT that was read last (a change means a commit). */
struct current_id {
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	off_t size;
};

struct gdb_daemon {
	char *store_path;
	int plugins;	 /* loaded the process's plugins: unload at close */
	struct gen *cur; /* gen_lock */
	pthread_mutex_t gen_lock;
	struct gen gens;	      /* every live generation: list head */
	uint64_t ngens;		      /* gen_lock */
	pthread_mutex_t refresh_lock; /* one refresh at a time */
	struct current_id seen;	      /* refresh_lock */
	int serving;		      /* mounted: start prefetch threads */
	struct live *refresher;	      /* the refresh thread (live.c) */
	struct node root, gdbdir, stats, config, log;
	uid_t uid;
	gid_t gid;
	uint64_t reads, bytes_served, lookups, errors; /* atomic */
	uint64_t bytes_borrowed;   /* atomic: of bytes_served, from blocks */
	uint64_t live_nodes;	   /* atomic */
	uint64_t trim_peak;	   /* live_nodes at the last trim; atomic */
	uint64_t ioctls;	   /* atomic */
	uint64_t reader_moves;	   /* follow.c's moves; atomic */
	uint64_t computed, reused; /* computed files: resolved, kept; atomic */
	uint64_t recomputed;	   /* answers computed again; atomic */

	/* --loop uring (uring.c): its state, requests served through it */
	struct daemon_uring *uring;
	uint64_t ring_requests; /* atomic */

	pthread_mutex_t snap_lock;
	struct snap snap[NLIVE];  /* protected by snap_lock */
	pthread_mutex_t ctl_lock; /* serialises controls */
	/* Nodes the kernel holds: it does not forget them before an
	 * unmount, so they are freed from this list then. */
	pthread_mutex_t nodes_lock;
	struct node live; /* list head */
	struct node vol;  /* volatile answers; nodes_lock */
	uint64_t nparked, parked_bytes, park_tick; /* nodes_lock */
	/* Serialises inbox name changes with the nodes that stand for inbox
	 * files (gdb_inbox_file_user slots, their nlookup reaching 0). */
	pthread_mutex_t inbox_lock;
	/* Inboxes outlive generations: by the registry's index. */
	gdb_inbox *inboxes[MAX_PROVIDERS];
	pthread_key_t buf_key; /* per-thread reply buffers (ops.c) */
	/* those buffers (outside the cache budget; stats.json): how many,
	 * and their bytes; atomic */
	uint64_t reply_bufs, reply_bytes;
	/* requests each of loop.c's reading threads took from /dev/fuse
	 * (nreaders of them; 0 with libfuse's loop); atomic */
	uint64_t reader_requests[GDB_READERS_MAX];
	unsigned nreaders;
	/* wake.c: the main thread (it reads /dev/fuse), woken by another
	 * thread that ends the mount */
	pthread_t wake_main;
	int wake_set;  /* the handler installed (wake_old saved) */
	int wake_left; /* atomic: the main thread has left its loop */
	struct sigaction wake_old;
	sigset_t wake_oldmask; /* the main thread's mask before install */
	unsigned fail_allocs;  /* tests: node allocations to fail;
				* atomic */
};

/* ---- tree.c: generations ---- */

/* The current generation, held (give it back with gen_put). */
struct gen *gen_current(gdb_daemon *d);
/* n's generation (the current one for nodes of none), held. */
struct gen *gen_of(gdb_daemon *d, const struct node *n);
void gen_hold(struct gen *g, uint64_t k);
/* Give back k references; the last one frees a generation no longer
 * current. NULL is a no-op. */
void gen_put(gdb_daemon *d, struct gen *g, uint64_t k);
/*
 * daemon_refresh - serve the generation CURRENT names now, if it is new.
 * @param names  out (when 1): the kernel entries to invalidate, *nlen
 *               bytes (malloc'd): each its directory's inode number (8
 *               bytes, host order) and its name, NUL-terminated. The names
 *               under the root in the old and the new generation, and what
 *               the old one served below them
 * @return 1 (a new generation), 0 (the same), or the store's error (err)
 */
int daemon_refresh(gdb_daemon *d, char **names, size_t *nlen, char *err,
		   size_t errlen);
/* Make assembly ai's .fa view and .fa.fai text, once. @return 0, -ENOMEM,
 * or the view's error */
int gen_asm_files(struct gen *g, uint32_t ai);
/* Contig id's nodes, built at the first call (two racing calls agree on
 * one). @return 0, -ENOMEM, or the view's error (-EIO on damage) */
int gen_contig(struct gen *g, uint32_t id, struct contig_nodes **out);
/* Has CURRENT changed since it was read last? (a stat, no open) */
int daemon_current_changed(gdb_daemon *d);

/* ---- live.c: new generations while mounted ---- */

/* Start the thread that refreshes within LIVE_POLL_MS of a commit and
 * invalidates the kernel's entries (se: the struct fuse_session). */
int live_start(gdb_daemon *d, void *se);
/* End the thread; a refresh asked after returns at once (its state stays
 * until live_stop): for threads still serving while others stop. */
void live_halt(gdb_daemon *d);
/* live_halt, then free its state: no thread may ask for a refresh after. */
void live_stop(gdb_daemon *d);
/* A refresh now, as `ctl refresh` asks; wait: until the kernel's entries
 * are invalidated too (never from an operation holding a directory's
 * lock, such as setxattr on the root). @return 0 or the store's error */
int live_refresh(gdb_daemon *d, int wait, char *msg, size_t msglen);
#define LIVE_POLL_MS 1000

/* ---- follow.c: the reading thread follows its reader's CPU ---- */

/* Look every FOLLOW_EVERY cheap requests; move at most once a gap, and
 * only to a CPU two looks in a row found the requester on. A look is a
 * read of /proc/TID/stat (tens of us on this VM): while the looks find
 * the requester on this thread's CPU (or on none it could move to, or
 * gone), each waits twice as long as the one before, up to
 * FOLLOW_EVERY_MAX requests; one that finds it on another CPU of its own
 * starts again at FOLLOW_EVERY. */
#define FOLLOW_EVERY 32u
/* Not further: on an idle machine the kernel parts a reader and this
 * thread about every 100 requests (docs/BENCHMARKS.md), and a parted
 * pair waits for the next look. */
#define FOLLOW_EVERY_MAX 64u
#define FOLLOW_GAP_NS 10000000LL

struct daemon_follow {
	unsigned n;	/* requests since the last look */
	unsigned every; /* requests from one look to the next */
	unsigned moved; /* moves made */
	long long last; /* CLOCK_MONOTONIC ns of the last move */
	int want;	/* the requester's CPU at the last look, or -1 */
	int off;	/* not following (switched off, or it cannot) */
	int all;	/* own was every CPU allowed: give back a full mask */
	/* the thread's CPUs when it started following: a cpu_set_t (which
	 * needs _GNU_SOURCE; follow.c checks the size) */
	unsigned long own[1024 / (8 * sizeof(unsigned long))];
};

/* The CPU task tid (a thread id, as FUSE gives a request's) last ran on
 * (/proc/TID/stat), or -1. */
int daemon_task_cpu(pid_t tid);
/* Start following on the calling thread (on: 0 for --follow off): keep
 * its CPUs as they are now. It does not follow if /proc is not this pid
 * namespace's (the requester's thread id would name another task), nor
 * when its CPUs are one CPU the user chose (taskset, a pinned mount):
 * there is nowhere to move. */
void daemon_follow_init(struct daemon_follow *f, int on);
/* Called by the reading thread after answering a cheap request of
 * requester: every f->every calls, if the requester last ran on
 * another CPU this thread may use, and did at the look before too, move
 * this thread there and give it back its own CPUs. @return 1 if it
 * moved */
int daemon_follow_reader(struct daemon_follow *f, pid_t requester);

/* ---- nodes.c: the node table ---- */

struct node *daemon_node(gdb_daemon *d, uint64_t ino);
uint64_t daemon_ino(const gdb_daemon *d, const struct node *n);
int node_is_dir(const struct node *n);
/* A new non-permanent node of kind, zeroed (contig -1); NULL: -ENOMEM. */
struct node *node_new(gdb_daemon *d, enum nkind kind);
/* The same with path a copy of name, in the node's own allocation (a
 * region's: one allocation a new name, not two). */
struct node *node_new_named(gdb_daemon *d, enum nkind kind, const char *name);
void node_link(gdb_daemon *d, struct node *n);
void node_free(gdb_daemon *d, struct node *n);
int node_attach_stream(struct node *n);
void node_detach_stream(struct node *n);
/* A region node's view (made at its first read). NULL: -ENOMEM. */
gdb_view *node_view(gdb_daemon *d, struct node *n);
/* The kernel (or an interrupted reply) gives back nlookup lookups. */
void node_forget(gdb_daemon *d, struct node *n, uint64_t nlookup);
/* Hold n and its generation as one more lookup would, so that a FORGET the
 * kernel sends once a reply is out cannot free them while the thread that
 * replied still uses them; node_forget(d, n, 1) gives the pin back. */
void node_pin(gdb_daemon *d, struct node *n);
/* Free every node the kernel still holds (at close). */
void node_free_all(gdb_daemon *d);
void daemon_fill_attr(gdb_daemon *d, struct node *n, struct stat *st);
/* The kernel may cache n's attributes and its name this long (seconds). */
double node_attr_timeout(const struct node *n);
double node_entry_timeout(const struct node *n);
/* A volatile answer still valid at inbox version v, its lookup counted,
 * or NULL; vol_add puts a new one on the list, counted once. */
struct node *vol_find(gdb_daemon *d, struct gen *g, uint32_t prov,
		      const char *path, uint64_t v);
/* Free the parked volatile answers of g (before g goes). */
void vol_drop_gen(gdb_daemon *d, struct gen *g);
void vol_add(gdb_daemon *d, struct node *n, uint64_t v);

/* ---- lookup.c: names to nodes, listings, reads ---- */

/*
 * daemon_lookup - the node of name in directory p, its generation held
 * once for the kernel's lookup (node_forget gives it back).
 * @param counted out: the node's lookup was counted already
 * @param vol     out: an ENOENT that must not be cached (volatile)
 * @return 0 (*out set), -ENOENT, -ENOTDIR, or a provider's error
 */
int daemon_lookup(gdb_daemon *d, struct node *p, const char *name,
		  struct node **out, int *counted, int *vol);
/*
 * daemon_dir_entry - entry i (0, 1, ...) of directory dir (not computed
 * namespaces or inboxes, which list through their own calls).
 * @param out     out: its node, or NULL if it has none until looked up
 *                (a contig's: listing builds nothing)
 * @param is_dir  out: 1 for a directory
 * @return its name (in tmp or static), "" for no entry at i (go on), NULL
 *         past the end
 */
const char *daemon_dir_entry(gdb_daemon *d, struct gen *g, struct node *dir,
			     uint64_t i, struct node **out, int *is_dir,
			     char *tmp, size_t tmplen);
/*
 * daemon_read - bytes [off, off+size) of file n: into buf, or, for bytes
 * the node holds, *src pointing at them (valid while n lives), or, with p
 * set and a file whose bytes are stored bases (.seq), p->n > 0 pieces of
 * borrowed blocks (gdb_view_borrow): give them back with
 * gdb_view_unborrow(n->gen->cache, p) once the reply is sent.
 * @return the bytes (0 past the end); -EISDIR; a view's error (EIO)
 */
ssize_t daemon_read(gdb_daemon *d, struct node *n, uint64_t off, size_t size,
		    char *buf, const char **src, gdb_view_pieces *p);
/*
 * daemon_answer_hold - bytes [off, off+size) of answer n (kind N_ANSWER)
 * in place: *src points into the answer, held (never evicted) until
 * daemon_answer_release(n), so a FUSE read replies from it without a copy.
 * Counted as daemon_read counts. @return the bytes, or -errno (not held)
 */
ssize_t daemon_answer_hold(gdb_daemon *d, struct node *n, uint64_t off,
			   size_t size, const char **src);
void daemon_answer_release(struct node *n);
gdb_inbox *daemon_inbox(gdb_daemon *d, const struct node *n);
/* The node of inbox file f, its lookup counted; takes over the caller's
 * reference on f. Under d->inbox_lock. NULL: -ENOMEM. */
struct node *inbox_node(gdb_daemon *d, uint32_t prov, gdb_inbox_file *f);
/* After a name went away: free the node of the file it named if unused.
 * Under d->inbox_lock; puts f (NULL: nothing). */
void inbox_unnamed(gdb_daemon *d, gdb_inbox_file *f);
void inbox_node_check(gdb_daemon *d, struct node *n);

/* ---- control.c: /.gdb/config, the root's xattrs, the ioctl ---- */

/* Apply one control line ("key=value" or a command) sent by user uid.
 * @return 0, -EACCES (uid is neither the mount's owner nor root), -EINVAL
 * (the reason in msg, and logged), -ENOSPC, -ENOENT, -EIO */
int daemon_control(gdb_daemon *d, uint32_t uid, const char *line, char *msg,
		   size_t msglen);
/* The same, from an operation that holds no directory's lock (ioctl,
 * /.gdb/config): `refresh` may wait for the kernel's invalidations. */
int daemon_control_wait(gdb_daemon *d, uint32_t uid, const char *line,
			char *msg, size_t msglen);
/* Take a new snapshot of a live file; returns its size and mtime. */
uint64_t daemon_snap_refresh(gdb_daemon *d, int live, struct timespec *mtime);
/* Copy bytes [off, off+size) of the current snapshot into buf. */
size_t daemon_snap_read(gdb_daemon *d, int live, uint64_t off, size_t size,
			char *buf);
/* xattr values: the root's and a contig's. @return length, -ENODATA */
int daemon_root_xattr(gdb_daemon *d, const char *name, char *out,
		      size_t outlen);
int daemon_contig_xattr(gdb_daemon *d, const struct node *n, const char *name,
			char *out, size_t outlen);
/* A provider's xattrs on its files and directories (gdb_ns_provider
 * xattr): does n have any; a value (-ENODATA, -ERANGE past outlen); the
 * names, NUL-separated, as many as fit in cap. */
int daemon_ns_has_xattrs(const struct node *n);
int daemon_ns_xattr(const struct node *n, const char *name, char *out,
		    size_t outlen);
size_t daemon_ns_xattr_list(const struct node *n, char *list, size_t cap);
extern const char DAEMON_ROOT_XATTRS[];
extern const size_t DAEMON_ROOT_XATTRS_LEN;
void daemon_ioc_stats(gdb_daemon *d, struct gdb_ioc_stats *o);

/* ---- log.c: the daemon's log (process-wide, as gdb_log's sink is) ---- */

/* Send gdb_log lines (info and above) to path (appended; NULL: no file),
 * stderr and/or syslog, and keep the last 256 KiB for /.gdb/log.
 * @return 0, or -errno (path cannot be opened; err says so) */
int daemon_log_open(const char *path, int to_stderr, int to_syslog, char *err,
		    size_t errlen);
void daemon_log_close(void);
/* The kept lines, oldest first (malloc'd; NULL: -ENOMEM). */
char *daemon_log_snapshot(size_t *len);
/* The default log file of a mountpoint (absolute path) into out.
 * @return 0, or -errno (its directory cannot be made) */
int daemon_log_default(const char *mount_abs, char *out, size_t cap);

/* Project codes (GDB_E*) to EIO, -errno to errno; >= 0 to 0. */
int daemon_errno(int rc);

/* CLOCK_MONOTONIC in nanoseconds (follow's spacing, --spin-us, and the
 * read latency histogram). */
static inline long long daemon_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

#endif
