/*
 * fs/ns.h - computed namespaces: top-level trees (/graph, /compute) whose
 * files are answers computed when looked up, with exact sizes.
 *
 * A provider resolves a path below its top-level directory to either a
 * directory or a file whose whole content it computes at once; the FUSE
 * layer (fs/fuse.c) turns that into inodes, caches the bytes with the
 * inode, and serves reads, mmap and stat from them. No libfuse here.
 *
 * Paths given to a provider are relative to its top-level directory, with
 * no leading or trailing '/': "" is the top itself, "TP53/neighbors.json"
 * a file below it. Components are never "", "." or "..".
 *
 * A provider may also own an inbox: one writable directory below its top
 * (/compute/queries, /graph/enrich/lists) where users copy input files in,
 * held in the daemon's memory for the life of the mount. Answers that read
 * an inbox file (@<name> in a file name) are volatile: they say so, and
 * the daemon recomputes them when the inbox changes.
 *
 * Threading: resolve and list may be called concurrently from any number
 * of FUSE worker threads on the same provider instance; so may every
 * gdb_inbox_* call on the same inbox.
 */
#ifndef GDB_NS_H
#define GDB_NS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "cache/cache.h"
#include "common/gdb.h"
#include "simd/simd.h"
#include "store/store.h"

#define GDB_NS_FILE 0
#define GDB_NS_DIR 1

/* The most a computed file may hold; larger answers are -EFBIG. */
#define GDB_NS_MAX_FILE ((size_t)64 << 20)

/* resolve's flags: the answer (or its absence) depends on an inbox file,
 * so it holds only until the inbox changes (gdb_inbox_version). */
#define GDB_NS_VOLATILE 1u

/* ---- inboxes (fs/inbox.c) ---- */

#define GDB_INBOX_MAX_FILE ((size_t)16 << 20)  /* bytes per file: EFBIG */
#define GDB_INBOX_MAX_BYTES ((size_t)64 << 20) /* per inbox, of file
						* contents: ENOSPC */
#define GDB_INBOX_MAX_FILES 256		       /* per inbox: ENOSPC */
#define GDB_INBOX_MAX_NAME 255		       /* bytes: ENAMETOOLONG */

typedef struct gdb_inbox gdb_inbox;
typedef struct gdb_inbox_file gdb_inbox_file;

typedef struct gdb_inbox_stat {
	uint64_t size;
	struct timespec mtime;
	unsigned mode;	/* permission bits (0644 at creation) */
	int linked;	/* still has its name */
} gdb_inbox_stat;

/* An empty inbox (0 or -ENOMEM); free it after every holder has put its
 * files (NULL is a no-op). */
int gdb_inbox_new(gdb_inbox **out);
void gdb_inbox_free(gdb_inbox *b);

/*
 * gdb_inbox_open - a reference to the file called name, created empty
 * when create is set and there is none.
 * @param out  out: owned by caller, give back with gdb_inbox_file_put()
 * @return 0 (found), 1 (created), -ENOENT, -ENOSPC (GDB_INBOX_MAX_FILES),
 *         -ENAMETOOLONG, -EINVAL (empty name or one holding '/'), -ENOMEM
 */
int gdb_inbox_open(gdb_inbox *b, const char *name, int create,
		   gdb_inbox_file **out);
void gdb_inbox_file_put(gdb_inbox_file *f); /* NULL is a no-op */
/* A slot for the holder's own pointer (the daemon's inode), NULL at
 * creation; guarded by the holder, not by the inbox. */
void **gdb_inbox_file_user(gdb_inbox_file *f);

/* Bytes at off; a write past the end leaves zeros between. write: n, or
 * -EFBIG (past GDB_INBOX_MAX_FILE), -ENOSPC (GDB_INBOX_MAX_BYTES), -ENOMEM.
 * read: the bytes copied (0 at or past the end). */
ssize_t gdb_inbox_file_write(gdb_inbox_file *f, const void *p, size_t n,
			     uint64_t off);
ssize_t gdb_inbox_file_read(gdb_inbox_file *f, void *dst, size_t n,
			    uint64_t off);
/* 0, -EFBIG, -ENOSPC, -ENOMEM */
int gdb_inbox_file_truncate(gdb_inbox_file *f, uint64_t size);
void gdb_inbox_file_chmod(gdb_inbox_file *f, unsigned mode);
/* The modification time: ts, or now when NULL (touch, cp -p). */
void gdb_inbox_file_set_mtime(gdb_inbox_file *f, const struct timespec *ts);
void gdb_inbox_file_stat(gdb_inbox_file *f, gdb_inbox_stat *st);

/* Names. unlink: 0 or -ENOENT. rename: 0, -ENOENT, -EEXIST (noreplace
 * and the target exists), -ENAMETOOLONG, -EINVAL; a file replaced or
 * unlinked lives on for its holders, nameless. */
int gdb_inbox_unlink(gdb_inbox *b, const char *name);
int gdb_inbox_rename(gdb_inbox *b, const char *from, const char *to,
		     int noreplace);
/* Names in the order the files came, from the from-th; emit returns
 * non-zero to stop. @return 0 */
int gdb_inbox_list(gdb_inbox *b, uint64_t from,
		   int (*emit)(void *arg, const char *name), void *arg);

/*
 * gdb_inbox_get - a copy of a named file's bytes, for a provider.
 * @param data out: malloc'd, NUL-terminated after len bytes; caller frees
 * @return 0, -ENOENT, -ENOMEM
 */
int gdb_inbox_get(gdb_inbox *b, const char *name, char **data, size_t *len);
/* Bumped by every change to a named file or to the names. */
uint64_t gdb_inbox_version(gdb_inbox *b);

/* ---- motif sets (fs/motifs.c; layout: docs/FORMAT.md "Motif sets") ---- */

/* A set is the sections object "motifs/<set>". */
#define GDB_MOTIF_OBJECT_PREFIX "motifs/"

/*
 * gdb_motifs_write - a set's sections into t, an object just begun with
 * gdb_txn_object_begin(GDB_MOTIF_OBJECT_PREFIX "<set>").
 * @param m  the motifs (borrowed), their counts as parsed
 * @return 0, -EINVAL (a motif of 0 or > GDB_PWM_MAXLEN columns), -ENOMEM,
 *         or the store's error
 */
GDB_MUST_CHECK int gdb_motifs_write(gdb_txn *t, const gdb_motif *m, size_t n);

/*
 * gdb_motifs_load - every motif of every set, in store order.
 * @param out  out: malloc'd array of *n (NULL when 0), caller frees
 * @return 0; GDB_ECORRUPT / GDB_ECHECKSUM / GDB_EVERSION (a set's
 *         sections are damaged: err names it), -ENOMEM
 */
GDB_MUST_CHECK int gdb_motifs_load(const gdb_store *s, gdb_motif **out,
				   size_t *n, char *err, size_t errlen);

/* ---- ranged files ---- */

/*
 * A file too large to compute whole at lookup (a whole-sample BAM, a whole
 * FASTQ file, a whole-contig VCF): the provider gives its exact size at
 * lookup and its bytes on each read, so the daemon holds none of it (the
 * kernel's page cache may). The daemon copies the struct and calls
 * release once, when the file's node goes.
 */
typedef struct gdb_ns_ranged {
	uint64_t size;	/* exact */
	void *ctx;	/* the provider's, passed to read and release */
	/*
	 * read - bytes [off, off + n) into dst; 0 < n, off + n <= size.
	 * Called concurrently from any number of worker threads.
	 * @return n, or a negative errno / GDB_E* (the reader gets EIO; the
	 *         provider logs what is damaged)
	 */
	ssize_t (*read)(void *ctx, void *dst, size_t n, uint64_t off);
	void (*release)(void *ctx);	/* may be NULL */
} gdb_ns_ranged;

/* ---- providers ---- */

typedef struct gdb_ns_provider {
	const char *name;	/* top-level directory, e.g. "graph" */
	/* The inbox directory below the top ("queries"), or NULL. */
	const char *inbox;
	/*
	 * resolve - what is at path?
	 * @param data,len out, for GDB_NS_FILE: the whole content, malloc'd,
	 *                 ownership moves to the caller (free())
	 * @param flags    out: GDB_NS_VOLATILE or 0, also set on errors (a
	 *                 name that is absent until an inbox file comes)
	 * @return GDB_NS_DIR, GDB_NS_FILE, -ENOENT (no such name: unknown
	 *         gene, malformed parameters), -EINVAL (an inbox file it
	 *         reads is malformed: err names it and the line), -EFBIG /
	 *         -E2BIG (the answer would be unreasonably large; the reason
	 *         goes to err, and the daemon logs it), -EIO / GDB_E* (store
	 *         damage), -ENOMEM
	 */
	int (*resolve)(void *ctx, const char *path, char **data, size_t *len,
		       unsigned *flags, char *err, size_t errlen);
	/*
	 * list - names to show in a directory (may be a subset: lookup-only
	 * directories list only a few useful entries).
	 * @param emit called once per name; returns non-zero to stop
	 * @return 0, -ENOENT, -ENOTDIR
	 */
	int (*list)(void *ctx, const char *path,
		    int (*emit)(void *arg, const char *name, int is_dir),
		    void *arg);
	void (*destroy)(void *ctx);
	/*
	 * open_ranged (may be NULL) - is path a ranged file? Asked before
	 * resolve for every name looked up below the top.
	 * @param out  out: filled in on success
	 * @return 0; -ENOENT (not a ranged file: resolve is asked next);
	 *         other errors as resolve's
	 */
	int (*open_ranged)(void *ctx, const char *path, gdb_ns_ranged *out,
			   char *err, size_t errlen);
	/*
	 * xattr (may be NULL) - the i-th user.gdb.* attribute of the file
	 * or directory at path ("" is the top), for getxattr and listxattr.
	 * @param name  out: the attribute's full name (static or borrowed
	 *              from ctx)
	 * @return the value's length (written to val, at most cap bytes);
	 *         -ENOENT past the last attribute
	 */
	int (*xattr)(void *ctx, const char *path, unsigned i,
		     const char **name, char *val, size_t cap);
} gdb_ns_provider;

/*
 * Constructor of each provider: given the open store (and its block cache
 * for sequence-based analyses), set *ctx and return the provider's table.
 * @param inbox  the provider's inbox (borrowed, outlives ctx), used only
 *               if the table names an inbox directory
 * @return the table, or NULL with *ctx untouched if the store has nothing
 *         for it (the top-level directory is then absent).
 */
typedef const gdb_ns_provider *(*gdb_ns_create_fn)(const gdb_store *s,
						    gdb_cache *c,
						    gdb_inbox *inbox,
						    void **ctx);

/* The providers (one constructor each, defined in fs/<name>_ns.c). */
const gdb_ns_provider *gdb_compute_ns_create(const gdb_store *s, gdb_cache *c,
					     gdb_inbox *inbox, void **ctx);
const gdb_ns_provider *gdb_graph_ns_create(const gdb_store *s, gdb_cache *c,
					   gdb_inbox *inbox, void **ctx);
const gdb_ns_provider *gdb_variants_ns_create(const gdb_store *s, gdb_cache *c,
					      gdb_inbox *inbox, void **ctx);
const gdb_ns_provider *gdb_annotations_ns_create(const gdb_store *s,
						 gdb_cache *c,
						 gdb_inbox *inbox, void **ctx);
const gdb_ns_provider *gdb_reads_ns_create(const gdb_store *s, gdb_cache *c,
					   gdb_inbox *inbox, void **ctx);

/* The providers the daemon mounts, NULL-terminated (fs/ns_registry.c). */
extern const gdb_ns_create_fn gdb_ns_creators[];

#endif
