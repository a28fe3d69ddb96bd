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
 * Threading: resolve and list may be called concurrently from any number
 * of FUSE worker threads on the same provider instance.
 */
#ifndef GDB_NS_H
#define GDB_NS_H

#include <stddef.h>

#include "cache/cache.h"
#include "common/gdb.h"
#include "store/store.h"

#define GDB_NS_FILE 0
#define GDB_NS_DIR 1

/* The most a computed file may hold; larger answers are -EFBIG. */
#define GDB_NS_MAX_FILE ((size_t)64 << 20)

typedef struct gdb_ns_provider {
	const char *name;	/* top-level directory, e.g. "graph" */
	/*
	 * resolve - what is at path?
	 * @param data,len out, for GDB_NS_FILE: the whole content, malloc'd,
	 *                 ownership moves to the caller (free())
	 * @return GDB_NS_DIR, GDB_NS_FILE, -ENOENT (no such name: unknown
	 *         gene, malformed parameters), -EFBIG / -E2BIG (the answer
	 *         would be unreasonably large; the reason goes to err, and
	 *         the daemon logs it), -EIO / GDB_E* (store damage), -ENOMEM
	 */
	int (*resolve)(void *ctx, const char *path, char **data, size_t *len,
		       char *err, size_t errlen);
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
} gdb_ns_provider;

/*
 * Constructor of each provider: given the open store (and its block cache
 * for sequence-based analyses), set *ctx and return the provider's table.
 * @return the table, or NULL with *ctx untouched if the store has nothing
 *         for it (the top-level directory is then absent).
 */
typedef const gdb_ns_provider *(*gdb_ns_create_fn)(const gdb_store *s,
						    gdb_cache *c, void **ctx);

/* The providers (one constructor each, defined in fs/<name>_ns.c). */
const gdb_ns_provider *gdb_compute_ns_create(const gdb_store *s, gdb_cache *c,
					     void **ctx);
const gdb_ns_provider *gdb_graph_ns_create(const gdb_store *s, gdb_cache *c,
					   void **ctx);

/* The providers the daemon mounts, NULL-terminated (fs/ns_registry.c). */
extern const gdb_ns_create_fn gdb_ns_creators[];

#endif
