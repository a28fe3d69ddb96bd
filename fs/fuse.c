/*
 * fs/fuse.c - the FUSE low-level operations over a mapped store.
 *
 * Inodes: every node is a struct node and its inode number is its address
 * (as libfuse's passthrough_ll does), except the root, FUSE_ROOT_ID. Nodes
 * for the fixed part of the namespace (root, .gdb, assemblies, contigs and
 * their whole-object files) are built at mount and live until unmount.
 * Region files are built by lookup and freed when the kernel's lookup
 * count drops to zero in forget (the contract documented for forget in
 * fuse_lowlevel.h); inode numbers are never reused while a node lives.
 *
 * Caching: a generation is immutable, so every file is served with
 * keep_cache (zero-message opens, see op_open) and long entry/attr
 * timeouts, and getattr sizes are exact (numpy.memmap and the page cache
 * need them; no direct_io on sequence files). Only /.gdb/stats.json
 * changes (see struct snap), and the inboxes: writable directories of
 * the computed namespaces whose files live in memory (fs/inbox.c), and
 * the volatile answers computed from them (see fill_entry, lookup_ns).
 *
 * Reads reply from a buffer allocated once per worker thread: in this VM a
 * page fault per request costs more than the whole read (DESIGN.md).
 *
 * Errors: project codes (a damaged block's GDB_ECHECKSUM) become EIO; the
 * store has already logged the assembly, contig and range.
 */
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "cache/cache.h"
#include "fs/genomedb_ioctl.h"
#include "fs/ns.h"
#include "fs/render.h"
#include "simd/simd.h"
#include "store/store.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0) /* renameat2(2) */
#endif

/* A generation never changes under a mount: let the kernel keep it all. */
#define TIMEOUT_S 86400.0

enum nkind {
	N_ROOT,
	N_GDBDIR,
	N_STATS,
	N_ASM,		/* /<asm> */
	N_CONTIGDIR,	/* /<asm>/<contig> (region lookups) */
	N_VIEW,		/* any sequence file */
	N_TEXT,		/* .fai, .dict, computed files (owned text) */
	N_NSDIR,	/* a directory of a computed namespace */
	N_INBOX,	/* a provider's writable directory (fs/ns.h) */
	N_INBOXFILE,	/* a file in it */
	N_RANGED,	/* a provider's ranged file (fs/ns.h): bytes per read */
};

struct node {
	enum nkind kind;
	int permanent;
	uint64_t nlookup;	/* atomic; only for non-permanent nodes */
	uint32_t asm_idx;
	int32_t contig;		/* -1 if none */
	int contig_xattrs;	/* carries user.gdb.md5/length/refget */
	gdb_view *view;		/* N_VIEW, owned */
	gdb_cache_stream *stream;	/* N_VIEW: access pattern, owned */
	char *text;		/* N_TEXT, owned */
	size_t textlen;
	struct node *prev, *next;	/* live region nodes; FS.nodes_lock */
	uint32_t prov;		/* N_NSDIR, N_INBOX*, volatile: FS.provs[] */
	int live;		/* N_STATS: LIVE_STATS or LIVE_CONFIG */
	char *path;		/* N_NSDIR, N_RANGED, volatile N_TEXT, and
				 * files of providers with xattrs: path
				 * below the provider's top */
	gdb_ns_ranged rng;	/* N_RANGED, released with the node */
	gdb_inbox_file *ibf;	/* N_INBOXFILE: a reference, owned */
	/* A volatile answer (GDB_NS_VOLATILE) computed when its provider's
	 * inbox was at this version; on FS.vol while it lives. */
	int vol;
	uint64_t vol_version;
	struct node *vprev, *vnext;	/* FS.nodes_lock */
	/* A volatile answer the kernel has forgotten, kept for the lookup
	 * that usually follows (see forget_node): the order it was parked
	 * in, 0 if it is not. Its nlookup changes only under nodes_lock. */
	uint64_t parked;
};

#define MAX_PROVIDERS 8

/* d_ino of listed names that have no inode until looked up: any value but
 * 0 (readdir(3) skips entries whose d_ino is 0). */
#define UNKNOWN_INO ((fuse_ino_t)-1)

/* The two files whose content changes while mounted (see struct snap). */
#define LIVE_STATS 0
#define LIVE_CONFIG 1
#define STATS_PAD 8192	/* bytes of every stats.json snapshot */

/* A mounted computed namespace (fs/ns.h). */
struct nsprov {
	const gdb_ns_provider *p;
	void *ctx;
	struct node top;
	gdb_inbox *inbox;	/* NULL if the provider has none */
	struct node inbox_dir;	/* N_INBOX at p->inbox */
};

struct asm_nodes {
	struct node dir, fa, fai, dict;
	char *fa_name, *fai_name, *dict_name;
};

struct contig_nodes {
	struct node dir, fa, fai;
	char *esc;		/* escaped name (path component) */
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

static struct fs {
	gdb_store *store;
	gdb_cache *cache;
	struct node root, gdbdir, stats, config;
	struct asm_nodes *asms;
	struct contig_nodes *contigs;
	struct timespec mtime;
	uid_t uid;
	gid_t gid;
	uint64_t reads, bytes_served, lookups, errors;	/* atomic */
	uint64_t live_nodes;				/* atomic */
	uint64_t ioctls;				/* atomic */
	uint64_t computed, reused;	/* computed files: resolved, kept; atomic */
	pthread_mutex_t snap_lock;
	struct snap snap[2];				/* protected by snap_lock */
	pthread_mutex_t ctl_lock;			/* serialises controls */
	/* Region nodes the kernel holds: the kernel does not forget them
	 * before an unmount, so they are freed from this list then. */
	pthread_mutex_t nodes_lock;
	struct node live;				/* list head */
	pthread_key_t buf_key;				/* per-thread buffers */
	struct node vol;		/* volatile answers; nodes_lock */
	uint64_t nparked, parked_bytes, park_tick;	/* nodes_lock */
	/* Serialises inbox name changes with the nodes that stand for inbox
	 * files (gdb_inbox_file_user slots, their nlookup reaching 0). */
	pthread_mutex_t inbox_lock;
	struct nsprov provs[MAX_PROVIDERS];
	unsigned nprov;
} FS;

static struct node *node_of(fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? &FS.root : (struct node *)(uintptr_t)ino;
}

static fuse_ino_t ino_of(struct node *n)
{
	return n == &FS.root ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)n;
}

/* The kernel identifies inodes by 64-bit numbers; a pointer must fit. */
_Static_assert(sizeof(fuse_ino_t) >= sizeof(uintptr_t),
	       "fuse_ino_t too small to hold a pointer");

static int is_dir(const struct node *n)
{
	return n->kind == N_ROOT || n->kind == N_GDBDIR || n->kind == N_ASM ||
	       n->kind == N_CONTIGDIR || n->kind == N_NSDIR ||
	       n->kind == N_INBOX;
}

static char *render_stats(size_t *len);
static char *render_config(size_t *len);

/* Take a new snapshot of a live file; returns its size and mtime. */
static uint64_t stats_refresh(int live, struct timespec *mtime)
{
	size_t len = 0;
	char *p = live == LIVE_STATS ? render_stats(&len) : render_config(&len);
	struct snap *sn = &FS.snap[live];
	uint64_t size;

	/*
	 * The kernel learns a file's size (getattr) and reads its bytes in
	 * separate requests; another reader's getattr may take a snapshot in
	 * between. Padding stats.json with JSON whitespace to a constant size
	 * makes every read one whole document, whichever snapshot it gets.
	 */
	if (p && live == LIVE_STATS && len < STATS_PAD) {
		char *q = realloc(p, STATS_PAD);
		if (q) {
			memset(q + len - 1, ' ', STATS_PAD - len);
			q[STATS_PAD - 1] = '\n';
			p = q;
			len = STATS_PAD;
		}
	}

	pthread_mutex_lock(&FS.snap_lock);
	if (p) {
		free(sn->p);
		sn->p = p;
		sn->len = len;
		clock_gettime(CLOCK_REALTIME, &sn->mtime);
	}
	size = sn->len;
	*mtime = sn->mtime;
	pthread_mutex_unlock(&FS.snap_lock);
	return size;
}

static uint64_t node_size(const struct node *n)
{
	switch (n->kind) {
	case N_VIEW:
		return n->view->size;
	case N_TEXT:
		return n->textlen;
	case N_RANGED:
		return n->rng.size;
	default:
		return 0;
	}
}

static void fill_attr(struct node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino_of(n);
	st->st_uid = FS.uid;
	st->st_gid = FS.gid;
	st->st_atim = st->st_mtim = st->st_ctim = FS.mtime;
	st->st_blksize = 1 << 20;
	if (n->kind == N_INBOX) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else if (n->kind == N_INBOXFILE) {
		gdb_inbox_stat is;
		gdb_inbox_file_stat(n->ibf, &is);
		st->st_mode = S_IFREG | is.mode;
		st->st_nlink = is.linked;
		st->st_size = (off_t)is.size;
		st->st_mtim = st->st_ctim = is.mtime;
		st->st_blocks = (st->st_size + 511) / 512;
	} else if (is_dir(n)) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = (off_t)node_size(n);
		if (n->kind == N_STATS) {
			st->st_size = (off_t)stats_refresh(n->live,
							   &st->st_mtim);
			if (n->live == LIVE_CONFIG)
				st->st_mode = S_IFREG | 0644;
			st->st_ctim = st->st_mtim;
		}
		st->st_blocks = (st->st_size + 511) / 512;
	}
}

static void node_link(struct node *n)
{
	pthread_mutex_lock(&FS.nodes_lock);
	n->next = FS.live.next;
	n->prev = &FS.live;
	FS.live.next->prev = n;
	FS.live.next = n;
	pthread_mutex_unlock(&FS.nodes_lock);
	__atomic_add_fetch(&FS.live_nodes, 1, __ATOMIC_RELAXED);
}

/* Give a sequence-file node its prefetch stream state, or take it back. */
static int attach_stream(struct node *n)
{
	n->stream = malloc(sizeof(*n->stream));
	if (!n->stream)
		return -ENOMEM;
	gdb_cache_stream_init(n->stream);
	return 0;
}

static void detach_stream(struct node *n)
{
	if (!n->stream)
		return;
	gdb_cache_stream_destroy(n->stream);
	free(n->stream);
	n->stream = NULL;
}

/* Take n off the lists. Under FS.nodes_lock. */
static void node_unlink(struct node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	if (n->vol) {
		n->vprev->vnext = n->vnext;
		n->vnext->vprev = n->vprev;
		if (n->parked) {
			FS.nparked--;
			FS.parked_bytes -= n->textlen;
		}
	}
}

static void node_destroy(struct node *n);

static void node_free(struct node *n)
{
	pthread_mutex_lock(&FS.nodes_lock);
	node_unlink(n);
	pthread_mutex_unlock(&FS.nodes_lock);
	node_destroy(n);
}

/* What node_free does once n is off the lists. */
static void node_destroy(struct node *n)
{
	if (n->ibf) {
		*gdb_inbox_file_user(n->ibf) = NULL;
		gdb_inbox_file_put(n->ibf);
	}
	__atomic_sub_fetch(&FS.live_nodes, 1, __ATOMIC_RELAXED);
	if (n->kind == N_RANGED && n->rng.release)
		n->rng.release(n->rng.ctx);
	gdb_view_free(n->view);
	detach_stream(n);
	free(n->text);
	free(n->path);
	free(n);
}


static void forget_node(struct node *n, uint64_t nlookup);

/*
 * Timeouts: the namespace is immutable but for three kinds of node. Inbox
 * files change size and mtime (attributes not cached; their names change
 * only through the kernel, which updates its own entries). A volatile
 * answer holds until its inbox changes: its entry is revalidated at every
 * path walk (a lookup that answers the same node while the inbox is
 * unchanged, see lookup_ns), while its content, fixed per node, is cached.
 */
static void fill_entry(struct fuse_entry_param *e, struct node *n)
{
	memset(e, 0, sizeof(*e));
	e->ino = ino_of(n);
	e->generation = 1;
	fill_attr(n, &e->attr);
	e->attr_timeout = n->kind == N_STATS || n->kind == N_INBOXFILE
				  ? 0
				  : TIMEOUT_S;
	e->entry_timeout = n->vol ? 0 : TIMEOUT_S;
}

/* Reply to a lookup with n; counted: its lookup was counted already
 * (inbox files and reused volatile answers are counted under the lock
 * that found them). */
static void reply_entry_ref(fuse_req_t req, struct node *n, int counted)
{
	struct fuse_entry_param e;

	fill_entry(&e, n);
	if (!n->permanent && !counted)
		__atomic_add_fetch(&n->nlookup, 1, __ATOMIC_RELAXED);
	if (fuse_reply_entry(req, &e) == -ENOENT && !n->permanent)
		forget_node(n, 1); /* interrupted: undo the lookup */
}

/* A negative entry; the kernel may cache it unless it is volatile. */
static void reply_noent(fuse_req_t req, int vol)
{
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	e.entry_timeout = vol ? 0 : TIMEOUT_S;
	fuse_reply_entry(req, &e);
}

static int to_errno(int rc)
{
	if (rc >= 0)
		return 0;
	if (rc <= GDB_EBASE)
		return EIO;
	return -rc;
}

/* Parse "<digits>" into v (1 .. INT64_MAX); leading zeros allowed. */
static int parse_num(const char *p, size_t n, int64_t *v)
{
	int64_t x = 0;

	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		x = x * 10 + (p[i] - '0');
	}
	*v = x;
	return 0;
}

/* /<asm>/<contig>/<start>-<end>.<fa|seq|u8|rc.fa> */
static struct node *make_region(int32_t contig, const char *name)
{
	const gdb_contig *c = gdb_store_contig(FS.store, (uint32_t)contig);
	static const struct {
		const char *ext;
		enum gdb_view_kind kind;
		uint32_t width;
		const char *suffix;
	} fmts[] = {
		{".rc.fa", GDB_VIEW_RC, GDB_FASTA_WIDTH, "/rc"},
		{".fa", GDB_VIEW_BASES, GDB_FASTA_WIDTH, ""},
		{".seq", GDB_VIEW_BASES, 0, NULL},
		{".u8", GDB_VIEW_U8, 0, NULL},
	};
	const char *dash = strchr(name, '-'), *dot;
	int64_t from, to;
	size_t nl = strlen(name);
	struct node *n;
	char header[GDB_NAME_MAX + 64];

	if (!dash)
		return NULL;
	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
		size_t el = strlen(fmts[f].ext);
		if (nl <= el || strcmp(name + nl - el, fmts[f].ext))
			continue;
		dot = name + nl - el;
		if (dot <= dash ||
		    parse_num(name, (size_t)(dash - name), &from) < 0 ||
		    parse_num(dash + 1, (size_t)(dot - dash - 1), &to) < 0)
			return NULL;
		if (from < 1 || from > c->length || to < from)
			return NULL;
		if (to > c->length)
			to = c->length;
		n = calloc(1, sizeof(*n));
		if (!n)
			return NULL;
		n->kind = N_VIEW;
		n->contig = contig;
		n->asm_idx = c->asm_index;
		snprintf(header, sizeof(header), "%s:%.*s%s", c->name,
			 (int)(dot - name), name,
			 fmts[f].suffix ? fmts[f].suffix : "");
		if (gdb_view_region(fmts[f].kind, (uint32_t)contig, from - 1,
				    to, fmts[f].width,
				    fmts[f].suffix ? header : NULL,
				    &n->view) < 0 ||
		    attach_stream(n) < 0) {
			gdb_view_free(n->view);
			free(n->stream);
			free(n);
			return NULL;
		}
		node_link(n);
		return n;
	}
	return NULL;
}

static int ends_with(const char *s, const char *suf, size_t *stem)
{
	size_t a = strlen(s), b = strlen(suf);

	if (a <= b || strcmp(s + a - b, suf))
		return 0;
	*stem = a - b;
	return 1;
}

static struct node *lookup_in_asm(uint32_t ai, const char *name)
{
	const gdb_assembly *a = gdb_store_assembly(FS.store, ai);
	struct asm_nodes *an = &FS.asms[ai];
	char comp[GDB_NAME_MAX * 3 + 8], raw[GDB_NAME_MAX + 1];
	size_t stem;
	int id;

	if (!strcmp(name, an->fa_name))
		return &an->fa;
	if (!strcmp(name, an->fai_name))
		return &an->fai;
	if (!strcmp(name, an->dict_name))
		return &an->dict;
	if (strlen(name) >= sizeof(comp))
		return NULL;
	if (ends_with(name, ".fa.fai", &stem) || ends_with(name, ".fa", &stem)) {
		memcpy(comp, name, stem);
		comp[stem] = 0;
		if (gdb_path_unescape(comp, raw, sizeof(raw)) == 0 &&
		    (id = gdb_store_contig_find(FS.store, ai, raw)) >= 0) {
			struct contig_nodes *cn = &FS.contigs[id];
			return name[strlen(name) - 1] == 'i' ? &cn->fai
							     : &cn->fa;
		}
	}
	if (gdb_path_unescape(name, raw, sizeof(raw)) == 0 &&
	    (id = gdb_store_contig_find(FS.store, ai, raw)) >= 0)
		return &FS.contigs[id].dir;
	(void)a;
	return NULL;
}

/* Parked answers leave the lists under nodes_lock and are freed after it. */
static void evict(struct node *n, struct node **list)
{
	node_unlink(n);
	n->vnext = *list;
	*list = n;
}

static void destroy_all(struct node *list)
{
	while (list) {
		struct node *n = list;
		list = n->vnext;
		node_destroy(n);
	}
}

/*
 * A volatile answer for path still valid at inbox version v, its lookup
 * counted: live, or parked (then it comes back). Parked answers of an
 * older version are freed on the way.
 */
static struct node *vol_find(uint32_t prov, const char *path, uint64_t v)
{
	struct node *n, *next, *found = NULL, *stale = NULL;

	pthread_mutex_lock(&FS.nodes_lock);
	for (n = FS.vol.vnext; n != &FS.vol; n = next) {
		next = n->vnext;
		if (n->prov != prov || strcmp(n->path, path))
			continue;
		if (n->vol_version == v && !found) {
			if (n->parked) {
				n->parked = 0;
				FS.nparked--;
				FS.parked_bytes -= n->textlen;
			}
			n->nlookup++;
			found = n;
		} else if (n->vol_version != v && n->parked) {
			evict(n, &stale);
		}
	}
	pthread_mutex_unlock(&FS.nodes_lock);
	destroy_all(stale);
	return found;
}

/* A provider's ranged file at path (takes path), or -ENOENT. */
static int lookup_ranged(const struct nsprov *pv, uint32_t prov, char *path,
			 struct node **out)
{
	char err[256] = "";
	gdb_ns_ranged r;
	struct node *n;
	int rc = pv->p->open_ranged(pv->ctx, path, &r, err, sizeof(err));

	if (rc < 0) {
		if (rc != -ENOENT) {
			gdb_log(GDB_LOG_WARN, "/%s/%s: %s", pv->p->name, path,
				err[0] ? err : gdb_strerror(rc));
			free(path);
		}
		return rc;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		if (r.release)
			r.release(r.ctx);
		free(path);
		return -ENOMEM;
	}
	n->kind = N_RANGED;
	n->contig = -1;
	n->prov = prov;
	n->path = path;
	n->rng = r;
	node_link(n);
	*out = n;
	return 0;
}

/*
 * A name below a computed namespace: the provider computes the whole file
 * now, so its size is exact from the first stat. Errors other than ENOENT
 * (an answer too large, a damaged store, a malformed inbox file) are
 * returned as they are and logged with the provider's reason.
 * A volatile answer is computed again only when its inbox has changed
 * since: the kernel revalidates it at every path walk, and answering the
 * same node keeps its dentry and cached pages. *counted says whether the
 * node's lookup was counted already; *vol whether an ENOENT is volatile.
 */
static int lookup_ns(struct node *p, const char *name, struct node **out,
		     int *counted, int *vol)
{
	const struct nsprov *pv = &FS.provs[p->prov];
	size_t pl = strlen(p->path), nl = strlen(name), len = 0;
	char *path = malloc(pl + nl + 2), *data = NULL;
	char err[256] = "";
	uint64_t v = pv->inbox ? gdb_inbox_version(pv->inbox) : 0;
	unsigned flags = 0;
	struct node *n;
	int rc;

	if (!path)
		return -ENOMEM;
	if (pl)
		snprintf(path, pl + nl + 2, "%s/%s", p->path, name);
	else
		memcpy(path, name, nl + 1);
	if (pv->inbox && !strcmp(path, pv->p->inbox)) {
		free(path);
		*out = (struct node *)&pv->inbox_dir;
		return 0;
	}
	if (pv->inbox && (n = vol_find(p->prov, path, v))) {
		__atomic_add_fetch(&FS.reused, 1, __ATOMIC_RELAXED);
		free(path);
		*out = n;
		*counted = 1;
		return 0;
	}
	rc = pv->p->open_ranged ? lookup_ranged(pv, p->prov, path, out)
				: -ENOENT;
	if (rc != -ENOENT)
		return rc;
	rc = pv->p->resolve(pv->ctx, path, &data, &len, &flags, err,
			    sizeof(err));
	*vol = (flags & GDB_NS_VOLATILE) != 0;
	if (rc < 0) {
		if (rc != -ENOENT)
			gdb_log(GDB_LOG_WARN, "/%s/%s: %s", pv->p->name, path,
				err[0] ? err : gdb_strerror(rc));
		free(path);
		return rc;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		free(path);
		free(data);
		return -ENOMEM;
	}
	n->contig = -1;
	n->prov = p->prov;
	n->path = path;
	if (rc == GDB_NS_DIR) {
		n->kind = N_NSDIR;
		free(data);
	} else {
		__atomic_add_fetch(&FS.computed, 1, __ATOMIC_RELAXED);
		n->kind = N_TEXT;
		n->text = data;
		n->textlen = len;
		if (!*vol && !pv->p->xattr) {
			free(path);
			n->path = NULL;
		}
	}
	if (*vol) {
		/* Counted now: vol_find may hand it out once it is listed. */
		n->vol = 1;
		n->vol_version = v;
		n->nlookup = 1;
		*counted = 1;
		pthread_mutex_lock(&FS.nodes_lock);
		n->vnext = FS.vol.vnext;
		n->vprev = &FS.vol;
		FS.vol.vnext->vprev = n;
		FS.vol.vnext = n;
		pthread_mutex_unlock(&FS.nodes_lock);
	}
	node_link(n);
	*out = n;
	return 0;
}

/* ---- inboxes: the providers' writable directories ---- */

static gdb_inbox *inbox_of(const struct node *n)
{
	return FS.provs[n->prov].inbox;
}

/*
 * The node standing for inbox file f (one per file, so its inode and page
 * cache are stable), its lookup counted. Takes over the caller's
 * reference on f. Under FS.inbox_lock.
 */
static struct node *inbox_node(uint32_t prov, gdb_inbox_file *f)
{
	struct node *n = *gdb_inbox_file_user(f);

	if (n) {
		gdb_inbox_file_put(f);
	} else {
		n = calloc(1, sizeof(*n));
		if (!n) {
			gdb_inbox_file_put(f);
			return NULL;
		}
		n->kind = N_INBOXFILE;
		n->contig = -1;
		n->prov = prov;
		n->ibf = f;
		*gdb_inbox_file_user(f) = n;
		node_link(n);
	}
	__atomic_add_fetch(&n->nlookup, 1, __ATOMIC_RELAXED);
	return n;
}

/* An inbox file's node goes when the kernel has forgotten it and it has
 * no name any more (else the next lookup reuses it). Under inbox_lock. */
static void inbox_node_check(struct node *n)
{
	gdb_inbox_stat st;

	if (__atomic_load_n(&n->nlookup, __ATOMIC_ACQUIRE))
		return;
	gdb_inbox_file_stat(n->ibf, &st);
	if (!st.linked)
		node_free(n);
}

/* After a name went away: free the node of the file it named if unused. */
static void inbox_unnamed(gdb_inbox_file *f)
{
	struct node *n = f ? *gdb_inbox_file_user(f) : NULL;

	gdb_inbox_file_put(f);
	if (n)
		inbox_node_check(n);
}

static struct node *lookup_inbox(struct node *d, const char *name)
{
	gdb_inbox_file *f;
	struct node *n = NULL;

	pthread_mutex_lock(&FS.inbox_lock);
	if (gdb_inbox_open(inbox_of(d), name, 0, &f) >= 0)
		n = inbox_node(d->prov, f);
	pthread_mutex_unlock(&FS.inbox_lock);
	return n;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct node *p = node_of(parent), *n = NULL;
	int ai, counted = 0, vol = 0;

	__atomic_add_fetch(&FS.lookups, 1, __ATOMIC_RELAXED);
	switch (p->kind) {
	case N_ROOT:
		if (!strcmp(name, ".gdb")) {
			n = &FS.gdbdir;
		} else if ((ai = gdb_store_assembly_find(FS.store, name)) >= 0) {
			n = &FS.asms[ai].dir;
		} else {
			for (unsigned i = 0; i < FS.nprov; i++)
				if (!strcmp(name, FS.provs[i].p->name))
					n = &FS.provs[i].top;
		}
		/* An assembly whose segment is damaged: EIO, not ENOENT. */
		if (!n && (ai = gdb_store_damaged_find(FS.store,
						      GDB_KIND_ASSEMBLY,
						      name)) >= 0) {
			gdb_log(GDB_LOG_ERROR, "/%s: %s", name,
				gdb_store_damaged(FS.store, (uint32_t)ai)
					->message);
			fuse_reply_err(req, EIO);
			return;
		}
		break;
	case N_GDBDIR:
		if (!strcmp(name, "stats.json"))
			n = &FS.stats;
		else if (!strcmp(name, "config"))
			n = &FS.config;
		break;
	case N_ASM:
		n = lookup_in_asm(p->asm_idx, name);
		break;
	case N_CONTIGDIR:
		n = make_region(p->contig, name);
		break;
	case N_NSDIR: {
		int rc = lookup_ns(p, name, &n, &counted, &vol);
		if (rc < 0 && rc != -ENOENT) {
			fuse_reply_err(req, to_errno(rc));
			return;
		}
		break;
	}
	case N_INBOX:
		n = lookup_inbox(p, name);
		counted = 1;
		break;
	default:
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (!n) {
		reply_noent(req, vol);
		return;
	}
	reply_entry_ref(req, n, counted);
}

/*
 * A volatile answer the kernel forgets is parked, not freed: when its
 * inbox changed, the kernel's revalidating lookup gets a new node, sees a
 * new inode number, forgets that node and looks the name up again; without
 * the parked node that second lookup would compute the answer once more.
 * At most PARK_MAX of them, PARK_BYTES in all, the oldest going first.
 */
#define PARK_MAX 32
#define PARK_BYTES ((uint64_t)64 << 20)

static void forget_vol(struct node *n, uint64_t nlookup)
{
	struct node *victims = NULL, *m;

	pthread_mutex_lock(&FS.nodes_lock);
	n->nlookup -= nlookup;
	if (n->nlookup == 0) {
		n->parked = ++FS.park_tick;
		FS.nparked++;
		FS.parked_bytes += n->textlen;
		while (FS.nparked > PARK_MAX || FS.parked_bytes > PARK_BYTES) {
			struct node *old = NULL;
			for (m = FS.vol.vnext; m != &FS.vol; m = m->vnext)
				if (m->parked && (!old || m->parked < old->parked))
					old = m;
			evict(old, &victims);
		}
	}
	pthread_mutex_unlock(&FS.nodes_lock);
	destroy_all(victims);
}

/* The kernel (or an interrupted reply) gives back nlookup lookups. */
static void forget_node(struct node *n, uint64_t nlookup)
{
	if (n->permanent)
		return;
	if (n->kind == N_INBOXFILE) {
		pthread_mutex_lock(&FS.inbox_lock);
		__atomic_sub_fetch(&n->nlookup, nlookup, __ATOMIC_ACQ_REL);
		inbox_node_check(n);
		pthread_mutex_unlock(&FS.inbox_lock);
		return;
	}
	if (n->vol) {
		forget_vol(n, nlookup);
		return;
	}
	if (__atomic_sub_fetch(&n->nlookup, nlookup, __ATOMIC_ACQ_REL) == 0)
		node_free(n);
}

static void op_forget_one(fuse_ino_t ino, uint64_t nlookup)
{
	forget_node(node_of(ino), nlookup);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	op_forget_one(ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		op_forget_one(forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct node *n = node_of(ino);
	struct stat st;

	(void)fi;
	fill_attr(n, &st);
	fuse_reply_attr(req, &st,
			n->kind == N_STATS || n->kind == N_INBOXFILE ? 0
								     : TIMEOUT_S);
}

/*
 * Regular files need nothing at open: everything is decided at lookup. So
 * open answers ENOSYS, and the kernel stops sending OPEN (and RELEASE) for
 * the life of the mount and keeps page caches (FOPEN_KEEP_CACHE is its
 * default then). That saves one of the three round trips of reading a
 * region file never seen before (lookup, open, read): ~20 us here.
 * The mount is read-only, so the VFS refuses writes before we would see
 * them.
 */
static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	fuse_reply_err(req, is_dir(node_of(ino)) ? EISDIR : ENOSYS);
}

/* The per-thread reply buffer (see the file comment). */
static __thread char *tbuf;
static __thread size_t tcap;

static void thread_buf_free(void *p)
{
	free(p);
}

static char *thread_buf(size_t size)
{
	if (size > tcap) {
		/* Round up to 256 KiB: a worker serving 1 MiB reads holds
		 * 1 MiB, one serving small files holds 256 KiB. */
		size_t cap = (size + (256u << 10) - 1) & ~(size_t)((256u << 10) - 1);
		char *p = realloc(tbuf, cap);
		if (!p)
			return NULL;
		tbuf = p;
		tcap = cap;
		/* freed by thread_buf_free when the worker thread exits */
		pthread_setspecific(FS.buf_key, p);
	}
	return tbuf;
}

static void read_ranged(fuse_req_t req, struct node *n, size_t size,
			off_t off)
{
	size_t len = 0;
	ssize_t got = 0;
	char *buf;

	if ((uint64_t)off < n->rng.size)
		len = n->rng.size - (uint64_t)off < size
			      ? (size_t)(n->rng.size - (uint64_t)off)
			      : size;
	buf = thread_buf(len ? len : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (len)
		got = n->rng.read(n->rng.ctx, buf, len, (uint64_t)off);
	if (got < 0) {
		__atomic_add_fetch(&FS.errors, 1, __ATOMIC_RELAXED);
		fuse_reply_err(req, to_errno((int)got));
		return;
	}
	__atomic_add_fetch(&FS.bytes_served, (uint64_t)got, __ATOMIC_RELAXED);
	fuse_reply_buf(req, buf, (size_t)got);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct node *n = node_of(ino);
	size_t len = 0;
	ssize_t got;
	char *buf;
	struct timespec t0, t1;

	__atomic_add_fetch(&FS.reads, 1, __ATOMIC_RELAXED);
	(void)fi;
	if (n->kind == N_TEXT) {
		if ((uint64_t)off < n->textlen)
			len = n->textlen - (size_t)off < size
				      ? n->textlen - (size_t)off
				      : size;
		__atomic_add_fetch(&FS.bytes_served, len, __ATOMIC_RELAXED);
		fuse_reply_buf(req, n->text + off, len);
		return;
	}
	if (n->kind == N_STATS) {
		/* Copy out under the lock: a getattr may replace it. */
		struct snap *sn = &FS.snap[n->live];
		pthread_mutex_lock(&FS.snap_lock);
		if ((uint64_t)off < sn->len) {
			len = sn->len - (size_t)off < size
				      ? sn->len - (size_t)off
				      : size;
			buf = thread_buf(len);
			if (buf)
				memcpy(buf, sn->p + off, len);
		} else {
			buf = thread_buf(1);
		}
		pthread_mutex_unlock(&FS.snap_lock);
		if (!buf) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		fuse_reply_buf(req, buf, len);
		return;
	}
	if (n->kind == N_RANGED) {
		read_ranged(req, n, size, off);
		return;
	}
	if (n->kind == N_INBOXFILE) {
		buf = thread_buf(size ? size : 1);
		if (!buf) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		got = gdb_inbox_file_read(n->ibf, buf, size, (uint64_t)off);
		fuse_reply_buf(req, buf, (size_t)got);
		return;
	}
	if (n->kind != N_VIEW) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	buf = thread_buf(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (n->stream) {
		uint32_t contig;
		int64_t b, e;
		if (gdb_view_span(n->view, (uint64_t)off, size, &contig, &b,
				  &e) == 0) {
			uint32_t bb = gdb_store_contig(FS.store,
						       contig)->block_bases;
			gdb_cache_stream_access(FS.cache, n->stream, contig,
						(uint32_t)(b / bb),
						(uint32_t)((e - 1) / bb));
		}
	}
	got = gdb_view_read(n->view, FS.cache, (uint64_t)off, size, buf);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	gdb_cache_note_latency(FS.cache,
			       (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000LL +
					  (t1.tv_nsec - t0.tv_nsec)));
	if (got < 0) {
		__atomic_add_fetch(&FS.errors, 1, __ATOMIC_RELAXED);
		fuse_reply_err(req, to_errno((int)got));
		return;
	}
	__atomic_add_fetch(&FS.bytes_served, (uint64_t)got, __ATOMIC_RELAXED);
	fuse_reply_buf(req, buf, (size_t)got);
}

/* Directory listings are computed per call from the (immutable) store. */
static const char *dir_entry(struct node *d, uint64_t i, struct node **out,
			     char *tmp, size_t tmplen)
{
	uint32_t na = gdb_store_nassemblies(FS.store);

	switch (d->kind) {
	case N_ROOT:
		if (i == 0) {
			*out = &FS.gdbdir;
			return ".gdb";
		}
		if (i - 1 < na) {
			*out = &FS.asms[i - 1].dir;
			return gdb_store_assembly(FS.store, (uint32_t)i - 1)->name;
		}
		if (i - 1 - na < FS.nprov) {
			*out = &FS.provs[i - 1 - na].top;
			return FS.provs[i - 1 - na].p->name;
		}
		return NULL;
	case N_GDBDIR:
		if (i == 0) {
			*out = &FS.stats;
			return "stats.json";
		}
		if (i == 1) {
			*out = &FS.config;
			return "config";
		}
		return NULL;
	case N_ASM: {
		struct asm_nodes *an = &FS.asms[d->asm_idx];
		const gdb_assembly *a = gdb_store_assembly(FS.store, d->asm_idx);
		uint64_t k;
		struct contig_nodes *cn;
		if (i < 3) {
			*out = i == 0 ? &an->fa : i == 1 ? &an->fai : &an->dict;
			return i == 0 ? an->fa_name : i == 1 ? an->fai_name
							     : an->dict_name;
		}
		k = (i - 3) / 3;
		if (k >= a->ncontigs)
			return NULL;
		cn = &FS.contigs[a->first_contig + k];
		switch ((i - 3) % 3) {
		case 0:
			*out = &cn->dir;
			return cn->esc;
		case 1:
			*out = &cn->fa;
			snprintf(tmp, tmplen, "%s.fa", cn->esc);
			return tmp;
		default:
			*out = &cn->fai;
			snprintf(tmp, tmplen, "%s.fa.fai", cn->esc);
			return tmp;
		}
	}
	case N_CONTIGDIR: {
		static const char *const ext[] = {"fa", "seq", "u8", "rc.fa"};
		const gdb_contig *c = gdb_store_contig(FS.store,
						       (uint32_t)d->contig);
		if (i >= 4)
			return NULL;
		*out = NULL; /* listed, built on lookup */
		snprintf(tmp, tmplen, "1-%lld.%s", (long long)c->length,
			 ext[i]);
		return tmp;
	}
	default:
		return NULL;
	}
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct node *n = node_of(ino);

	if (!is_dir(n)) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	/* Listings are immutable, but for an inbox's. */
	fi->keep_cache = fi->cache_readdir = n->kind != N_INBOX;
	fuse_reply_open(req, fi);
}

/* Fill a readdir reply from a provider's list(), skipping to off. */
struct ns_fill {
	fuse_req_t req;
	char *buf;
	size_t size, used;
	uint64_t index, from;
	int full;
};

static int ns_emit(void *arg, const char *name, int is_dir)
{
	struct ns_fill *f = arg;
	struct stat st;
	size_t need;

	if (f->index++ < f->from)
		return 0;
	memset(&st, 0, sizeof(st));
	st.st_mode = is_dir ? S_IFDIR : S_IFREG;
	st.st_ino = UNKNOWN_INO;
	need = fuse_add_direntry(f->req, f->buf + f->used, f->size - f->used,
				 name, &st, (off_t)f->index);
	if (need > f->size - f->used) {
		f->full = 1;
		return 1;
	}
	f->used += need;
	return 0;
}

static int inbox_emit(void *arg, const char *name)
{
	return ns_emit(arg, name, 0);
}

static void readdir_ns(fuse_req_t req, struct node *d, char *buf,
		       size_t size, off_t off)
{
	const struct nsprov *pv = &FS.provs[d->prov];
	struct ns_fill f = {.req = req, .buf = buf, .size = size,
			    .from = (uint64_t)off};
	int rc = pv->p->list ? pv->p->list(pv->ctx, d->path, ns_emit, &f) : 0;

	if (rc < 0 && f.used == 0) {
		fuse_reply_err(req, to_errno(rc));
		return;
	}
	fuse_reply_buf(req, buf, f.used);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
		       off_t off, struct fuse_file_info *fi)
{
	struct node *d = node_of(ino);
	char *buf = thread_buf(size);
	char tmp[GDB_NAME_MAX * 3 + 16];
	size_t used = 0;
	uint64_t i;

	(void)fi;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (d->kind == N_NSDIR) {
		readdir_ns(req, d, buf, size, off);
		return;
	}
	if (d->kind == N_INBOX) {
		struct ns_fill f = {.req = req, .buf = buf, .size = size,
				    .index = (uint64_t)off,
				    .from = (uint64_t)off};
		(void)gdb_inbox_list(inbox_of(d), (uint64_t)off, inbox_emit,
				     &f);
		fuse_reply_buf(req, buf, f.used);
		return;
	}
	/* Offsets: 1 = ".", 2 = "..", 3 + k = entry k. */
	for (i = (uint64_t)off; ; i++) {
		struct stat st;
		struct node *n = NULL;
		const char *name;
		size_t need;

		memset(&st, 0, sizeof(st));
		if (i == 0 || i == 1) {
			name = i == 0 ? "." : "..";
			st.st_mode = S_IFDIR;
		} else {
			name = dir_entry(d, i - 2, &n, tmp, sizeof(tmp));
			if (!name)
				break;
			st.st_mode = n && !is_dir(n) ? S_IFREG
				     : n ? S_IFDIR : S_IFREG;
			st.st_ino = n ? ino_of(n) : UNKNOWN_INO;
		}
		need = fuse_add_direntry(req, buf + used, size - used, name,
					 &st, (off_t)(i + 1));
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
}

static int root_xattr(const char *name, char *out, size_t outlen);
/* The root's xattrs (docs/PATHS.md), NUL-separated for listxattr. */
static const char ROOT_XATTRS[] =
	"user.gdb.cache.policy\0user.gdb.cache.budget\0user.gdb.cache.used\0"
	"user.gdb.cache.pinned\0user.gdb.cache.hits\0user.gdb.cache.misses\0"
	"user.gdb.cache.hit_ratio\0user.gdb.cache.evictions\0"
	"user.gdb.prefetch.enabled\0user.gdb.prefetch.issued\0"
	"user.gdb.prefetch.used\0user.gdb.prefetch.wasted\0"
	"user.gdb.generation\0";

static int contig_xattr(const struct node *n, const char *name, char *out,
			size_t outlen)
{
	const gdb_contig *c;
	char tmp[40];

	if (!n->contig_xattrs || n->contig < 0)
		return -ENODATA;
	c = gdb_store_contig(FS.store, (uint32_t)n->contig);
	if (!strcmp(name, "user.gdb.md5"))
		gdb_render_md5_hex(c->md5, tmp);
	else if (!strcmp(name, "user.gdb.length"))
		snprintf(tmp, sizeof(tmp), "%lld", (long long)c->length);
	else if (!strcmp(name, "user.gdb.refget"))
		gdb_render_refget(c->sha512t24, tmp);
	else
		return -ENODATA;
	snprintf(out, outlen, "%s", tmp);
	return (int)strlen(tmp);
}

/* The xattr callback of the provider a namespace node belongs to. */
static const gdb_ns_provider *ns_xattr_of(const struct node *n)
{
	if ((n->kind != N_NSDIR && n->kind != N_RANGED && n->kind != N_TEXT) ||
	    !n->path || n->prov >= FS.nprov ||
	    !FS.provs[n->prov].p->xattr)
		return NULL;
	return FS.provs[n->prov].p;
}

static int ns_getxattr(const struct node *n, const char *name, char *val,
		       size_t cap)
{
	const struct nsprov *pv = &FS.provs[n->prov];
	const char *nm;
	int len;

	for (unsigned i = 0;
	     (len = pv->p->xattr(pv->ctx, n->path, i, &nm, val, cap)) >= 0;
	     i++)
		if (!strcmp(nm, name))
			return len;
	return -ENODATA;
}

/* The names of a namespace node's xattrs, NUL-separated, into list. */
static size_t ns_listxattr(const struct node *n, char *list, size_t cap)
{
	const struct nsprov *pv = &FS.provs[n->prov];
	const char *nm;
	char val[256];
	size_t len = 0;

	for (unsigned i = 0;
	     pv->p->xattr(pv->ctx, n->path, i, &nm, val, sizeof(val)) >= 0;
	     i++) {
		size_t k = strlen(nm) + 1;
		if (len + k > cap)
			break;
		memcpy(list + len, nm, k);
		len += k;
	}
	return len;
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	char val[64];
	int n;

	/* Foreign probes (security.*, system.*) are hot: answer at once. */
	if (strncmp(name, "user.gdb.", 9)) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	if (node_of(ino) == &FS.root)
		n = root_xattr(name, val, sizeof(val));
	else if (ns_xattr_of(node_of(ino)))
		n = ns_getxattr(node_of(ino), name, val, sizeof(val));
	else
		n = contig_xattr(node_of(ino), name, val, sizeof(val));
	if (n < 0) {
		fuse_reply_err(req, -n);
		return;
	}
	if (size == 0)
		fuse_reply_xattr(req, (size_t)n);
	else if ((size_t)n > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, val, (size_t)n);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	static const char names[] = "user.gdb.md5\0user.gdb.length\0"
				    "user.gdb.refget\0";
	struct node *n = node_of(ino);
	const char *list = names;
	size_t len = n->contig_xattrs ? sizeof(names) - 1 : 0;
	char nsl[1024];

	if (n == &FS.root) {
		list = ROOT_XATTRS;
		len = sizeof(ROOT_XATTRS) - 1;
	} else if (ns_xattr_of(n)) {
		list = nsl;
		len = ns_listxattr(n, nsl, sizeof(nsl));
	}
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (len > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, list, len);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;

	(void)ino;
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = sv.f_frsize = 4096;
	sv.f_namemax = 255;
	fuse_reply_statfs(req, &sv);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* With zero-message opens, O_TRUNC must arrive as a SETATTR (which
	 * op_setattr refuses for everything but /.gdb/config), not as a flag
	 * of an OPEN the kernel will never send. */
	conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
	/* stats.json: drop cached pages when its mtime changes (above). */
	if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
		conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
	/* Larger kernel readahead windows double streaming throughput
	 * (DESIGN.md); the kernel caps this at the bdi's read_ahead_kb,
	 * which gdb_fs_run raises after mounting. */
	conn->max_readahead = 1u << 20;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want &= ~FUSE_CAP_SPLICE_WRITE;
}


/* ---- control plane: /.gdb/config, root xattrs, ioctl ---- */

static char *render_config(size_t *len)
{
	gdb_cache_stats cs;
	char *p = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&p, &sz);

	if (!f)
		return NULL;
	gdb_cache_stats_get(FS.cache, &cs);
	fprintf(f, "policy=%s\nbudget=%llu\nprefetch=%s\n", cs.policy,
		(unsigned long long)cs.budget_bytes,
		cs.prefetch_enabled ? "on" : "off");
	if (fclose(f) != 0) {
		free(p);
		return NULL;
	}
	*len = sz;
	return p;
}

/* "ASM/CONTIG[:FROM-TO]" -> contig and 0-based half-open range. */
static int parse_target(const char *text, uint32_t *contig, int64_t *beg,
			int64_t *end, char *msg, size_t msglen)
{
	char asmname[GDB_NAME_MAX + 1];
	const char *slash = strchr(text, '/');
	int ai;

	if (!slash || (size_t)(slash - text) > GDB_NAME_MAX) {
		gdb_seterr(msg, msglen, "%s: expected ASSEMBLY/CONTIG[:FROM-TO]",
			   text);
		return -EINVAL;
	}
	memcpy(asmname, text, (size_t)(slash - text));
	asmname[slash - text] = 0;
	ai = gdb_store_assembly_find(FS.store, asmname);
	if (ai < 0) {
		gdb_seterr(msg, msglen, "%s: no assembly '%s'", text, asmname);
		return -ENOENT;
	}
	if (gdb_store_region_parse(FS.store, (uint32_t)ai, slash + 1, contig,
				   beg, end, msg, msglen) < 0)
		return -EINVAL;
	return 0;
}

/*
 * Apply one control line ("key=value" or a bare command). The same lines
 * arrive from /.gdb/config writes, user.gdb.* setxattr and the ioctl.
 */
static int control_apply(const char *line, char *msg, size_t msglen)
{
	char key[32];
	const char *val = strchr(line, '=');
	size_t kl = val ? (size_t)(val - line) : strlen(line);
	uint32_t contig;
	int64_t beg, end;
	uint64_t bytes;
	int rc = 0;

	while (kl && (line[kl - 1] == ' ' || line[kl - 1] == '\t'))
		kl--;
	if (kl >= sizeof(key)) {
		gdb_seterr(msg, msglen, "unknown control '%s'", line);
		return -EINVAL;
	}
	memcpy(key, line, kl);
	key[kl] = 0;
	val = val ? val + 1 : "";
	while (*val == ' ' || *val == '\t')
		val++;
	gdb_seterr(msg, msglen, "ok");
	pthread_mutex_lock(&FS.ctl_lock);
	if (!strcmp(key, "policy")) {
		rc = gdb_cache_set_policy(FS.cache, val);
		if (rc == -EINVAL)
			gdb_seterr(msg, msglen, "unknown policy '%s' (lru, arc, "
				   "s3fifo, lfu, 2q)", val);
	} else if (!strcmp(key, "budget")) {
		rc = gdb_cache_parse_size(val, &bytes);
		if (rc == 0)
			rc = gdb_cache_set_budget(FS.cache, bytes);
		if (rc < 0)
			gdb_seterr(msg, msglen, "budget: '%s' is not a size "
				   "above the pinned bytes", val);
	} else if (!strcmp(key, "prefetch") &&
		   (!strcmp(val, "on") || !strcmp(val, "off"))) {
		gdb_cache_set_prefetch(FS.cache, !strcmp(val, "on"));
	} else if (!strcmp(key, "reset-stats")) {
		gdb_cache_stats_reset(FS.cache);
		__atomic_store_n(&FS.reads, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&FS.bytes_served, 0, __ATOMIC_RELAXED);
	} else if (!strcmp(key, "unpin-all")) {
		gdb_cache_unpin_all(FS.cache);
	} else if (!strcmp(key, "pin") || !strcmp(key, "unpin") ||
		   !strcmp(key, "prefetch-region")) {
		rc = parse_target(val, &contig, &beg, &end, msg, msglen);
		if (rc == 0 && key[0] == 'p' && key[1] == 'i')
			rc = gdb_cache_pin(FS.cache, contig, beg, end);
		else if (rc == 0 && key[0] == 'u')
			rc = gdb_cache_unpin(FS.cache, contig, beg, end);
		else if (rc == 0)
			rc = gdb_cache_prefetch(FS.cache, contig, beg, end);
		if (rc == -ENOSPC)
			gdb_seterr(msg, msglen, "%s: pins would pass 90%% of the "
				   "cache budget", val);
		else if (rc < 0 && !strcmp(msg, "ok"))
			gdb_seterr(msg, msglen, "%s: %s", val, gdb_strerror(rc));
	} else {
		gdb_seterr(msg, msglen, "unknown control '%s'", line);
		rc = -EINVAL;
	}
	pthread_mutex_unlock(&FS.ctl_lock);
	if (rc < 0)
		gdb_log(GDB_LOG_WARN, "control '%s': %s", line, msg);
	return rc < 0 ? (rc <= GDB_EBASE ? -EIO : rc) : 0;
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	struct node *n = node_of(ino);
	char line[1024], msg[256];
	size_t i = 0;

	(void)fi;
	if (n->kind == N_INBOXFILE) {
		ssize_t w = gdb_inbox_file_write(n->ibf, buf, size,
						 (uint64_t)off);
		if (w < 0)
			fuse_reply_err(req, (int)-w);
		else
			fuse_reply_write(req, (size_t)w);
		return;
	}
	if (n != &FS.config) {
		fuse_reply_err(req, EROFS);
		return;
	}
	/* One control per line; the first bad line fails the write. */
	while (i < size) {
		size_t e = i, l;
		while (e < size && buf[e] != '\n')
			e++;
		l = e - i;
		while (l && (buf[i + l - 1] == '\r' || buf[i + l - 1] == ' '))
			l--;
		if (l >= sizeof(line)) {
			fuse_reply_err(req, EINVAL);
			return;
		}
		memcpy(line, buf + i, l);
		line[l] = 0;
		if (l && line[0] != '#') {
			int rc = control_apply(line, msg, sizeof(msg));
			if (rc < 0) {
				fuse_reply_err(req, -rc);
				return;
			}
		}
		i = e + 1;
	}
	fuse_reply_write(req, size);
}

/*
 * Inbox files take a size, permission bits and a modification time (cp
 * -p, touch; the access time is not kept); owners stay. Truncating the
 * config (echo ... > config) is allowed; nothing else.
 */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	struct node *n = node_of(ino);
	struct stat st;

	(void)fi;
	if (n->kind == N_INBOXFILE) {
		int rc = 0;
		if (((to_set & FUSE_SET_ATTR_UID) && attr->st_uid != FS.uid) ||
		    ((to_set & FUSE_SET_ATTR_GID) && attr->st_gid != FS.gid))
			rc = -EPERM;
		if (rc == 0 && (to_set & FUSE_SET_ATTR_SIZE))
			rc = gdb_inbox_file_truncate(n->ibf,
						     (uint64_t)attr->st_size);
		if (rc == 0 && (to_set & FUSE_SET_ATTR_MODE))
			gdb_inbox_file_chmod(n->ibf, attr->st_mode);
		if (rc == 0 && (to_set & FUSE_SET_ATTR_MTIME))
			gdb_inbox_file_set_mtime(
				n->ibf, (to_set & FUSE_SET_ATTR_MTIME_NOW)
						? NULL
						: &attr->st_mtim);
		if (rc < 0) {
			fuse_reply_err(req, -rc);
			return;
		}
		fill_attr(n, &st);
		fuse_reply_attr(req, &st, 0);
		return;
	}
	if (n != &FS.config ||
	    (to_set & ~(FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME |
			FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW |
			FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME))) {
		fuse_reply_err(req, EROFS);
		return;
	}
	fill_attr(n, &st);
	fuse_reply_attr(req, &st, 0);
}

/* Outside an inbox nothing may be made; inside, only regular files. */
static void op_erofs_entry(fuse_req_t req, fuse_ino_t parent)
{
	fuse_reply_err(req, node_of(parent)->kind == N_INBOX ? EPERM : EROFS);
}

/*
 * A new inbox file (or, without O_EXCL, an existing one: two creators may
 * race past the kernel's negative entry). fi is NULL for mknod.
 */
static void inbox_create(fuse_req_t req, struct node *d, const char *name,
			 mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	gdb_inbox_file *f;
	struct node *n = NULL;
	int rc;

	pthread_mutex_lock(&FS.inbox_lock);
	rc = gdb_inbox_open(inbox_of(d), name, 1, &f);
	if (rc == 0 && (!fi || (fi->flags & O_EXCL))) {
		gdb_inbox_file_put(f);
		rc = -EEXIST;
	}
	if (rc == 1)
		gdb_inbox_file_chmod(f, mode & 0777);
	else if (rc == 0 && (fi->flags & O_TRUNC) &&
		 (rc = gdb_inbox_file_truncate(f, 0)) < 0)
		gdb_inbox_file_put(f);
	if (rc >= 0 && !(n = inbox_node(d->prov, f)))
		rc = -ENOMEM;
	pthread_mutex_unlock(&FS.inbox_lock);
	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	fill_entry(&e, n);
	if ((fi ? fuse_reply_create(req, &e, fi) : fuse_reply_entry(req, &e)) ==
	    -ENOENT)
		forget_node(n, 1);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	(void)rdev;
	if (node_of(parent)->kind == N_INBOX && S_ISREG(mode))
		inbox_create(req, node_of(parent), name, mode, NULL);
	else
		op_erofs_entry(req, parent);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	if (node_of(parent)->kind == N_INBOX) {
		fi->direct_io = 0;
		fi->keep_cache = 0;
		inbox_create(req, node_of(parent), name, mode, fi);
	} else {
		op_erofs_entry(req, parent);
	}
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	(void)name, (void)mode;
	op_erofs_entry(req, parent);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct node *d = node_of(parent);
	gdb_inbox_file *f = NULL;
	int rc;

	if (d->kind != N_INBOX) {
		op_erofs_entry(req, parent);
		return;
	}
	pthread_mutex_lock(&FS.inbox_lock);
	rc = gdb_inbox_open(inbox_of(d), name, 0, &f);
	if (rc == 0)
		rc = gdb_inbox_unlink(inbox_of(d), name);
	inbox_unnamed(f);
	pthread_mutex_unlock(&FS.inbox_lock);
	fuse_reply_err(req, rc < 0 ? -rc : 0);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (node_of(parent)->kind == N_INBOX)
		fuse_reply_err(req, ENOTDIR); /* an inbox holds only files */
	else
		op_unlink(req, parent, name);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	(void)link, (void)name;
	op_erofs_entry(req, parent);
}

/* Within one inbox only (mv across directories copies: EXDEV). */
static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	struct node *d = node_of(parent);
	gdb_inbox_file *over = NULL;
	int rc;

	if (d->kind != N_INBOX) {
		op_erofs_entry(req, parent);
		return;
	}
	if (newparent != parent) {
		fuse_reply_err(req, node_of(newparent)->kind == N_INBOX ||
					    node_of(newparent)->kind ==
						    N_NSDIR
				       ? EXDEV
				       : EROFS);
		return;
	}
	if (flags & ~(unsigned)RENAME_NOREPLACE) {
		fuse_reply_err(req, EINVAL); /* RENAME_EXCHANGE, WHITEOUT */
		return;
	}
	pthread_mutex_lock(&FS.inbox_lock);
	if (strcmp(name, newname) &&
	    gdb_inbox_open(inbox_of(d), newname, 0, &over) < 0)
		over = NULL;
	rc = gdb_inbox_rename(inbox_of(d), name, newname,
			      (flags & RENAME_NOREPLACE) != 0);
	inbox_unnamed(over);
	pthread_mutex_unlock(&FS.inbox_lock);
	fuse_reply_err(req, rc < 0 ? -rc : 0);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	(void)ino, (void)newname;
	op_erofs_entry(req, newparent);
}

/* Root xattrs: name -> value (a stable, documented set). */
static int root_xattr(const char *name, char *out, size_t outlen)
{
	gdb_cache_stats cs;
	const gdb_cache_counters *t = &cs.total;
	uint64_t acc;

	gdb_cache_stats_get(FS.cache, &cs);
	acc = t->hits + t->misses;
#define XU(nm, v)                                                              \
	if (!strcmp(name, nm))                                                 \
		return snprintf(out, outlen, "%llu", (unsigned long long)(v));
	if (!strcmp(name, "user.gdb.cache.policy"))
		return snprintf(out, outlen, "%s", cs.policy);
	if (!strcmp(name, "user.gdb.cache.hit_ratio"))
		return snprintf(out, outlen, "%.4f",
				acc ? (double)t->hits / (double)acc : 0.0);
	if (!strcmp(name, "user.gdb.prefetch.enabled"))
		return snprintf(out, outlen, "%s",
				cs.prefetch_enabled ? "on" : "off");
	XU("user.gdb.cache.budget", cs.budget_bytes)
	XU("user.gdb.cache.used", cs.resident_bytes)
	XU("user.gdb.cache.pinned", cs.pinned_bytes)
	XU("user.gdb.cache.hits", t->hits)
	XU("user.gdb.cache.misses", t->misses)
	XU("user.gdb.cache.evictions", t->evictions)
	XU("user.gdb.prefetch.issued", t->prefetch_issued)
	XU("user.gdb.prefetch.used", t->prefetch_used)
	XU("user.gdb.prefetch.wasted", t->prefetch_wasted)
	XU("user.gdb.generation", gdb_store_generation(FS.store))
#undef XU
	return -ENODATA;
}


static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	static const struct {
		const char *xattr, *key;
	} map[] = {
		{"user.gdb.cache.policy", "policy"},
		{"user.gdb.cache.budget", "budget"},
		{"user.gdb.prefetch.enabled", "prefetch"},
		{"user.gdb.ctl", NULL},
	};
	char line[1024], msg[256];

	(void)flags;
	if (node_of(ino) != &FS.root) {
		fuse_reply_err(req, EROFS);
		return;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		int rc;
		if (strcmp(name, map[i].xattr))
			continue;
		if (size > 900) {
			fuse_reply_err(req, E2BIG);
			return;
		}
		if (map[i].key)
			snprintf(line, sizeof(line), "%s=%.*s", map[i].key,
				 (int)size, value);
		else
			snprintf(line, sizeof(line), "%.*s", (int)size, value);
		rc = control_apply(line, msg, sizeof(msg));
		fuse_reply_err(req, rc < 0 ? -rc : 0);
		return;
	}
	fuse_reply_err(req, strncmp(name, "user.gdb.", 9) ? EROFS : EINVAL);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	(void)ino, (void)name;
	fuse_reply_err(req, EROFS);
}

static void op_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd,
		     void *arg, struct fuse_file_info *fi, unsigned flags,
		     const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	(void)arg, (void)fi;
	__atomic_add_fetch(&FS.ioctls, 1, __ATOMIC_RELAXED);
	if (flags & FUSE_IOCTL_COMPAT) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	/* Every isatty() on the mount lands here (Python's open() calls it):
	 * one round trip the kernel does not let us avoid, whatever we
	 * answer. Answer it at once. */
	if (node_of(ino) != &FS.root) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	if (cmd == GDB_IOC_GET_STATS && out_bufsz >= sizeof(struct gdb_ioc_stats)) {
		struct gdb_ioc_stats o;
		gdb_cache_stats cs;
		memset(&o, 0, sizeof(o));
		gdb_cache_stats_get(FS.cache, &cs);
		o.size = sizeof(o);
		o.version = GDB_IOC_VERSION;
		snprintf(o.policy, sizeof(o.policy), "%s", cs.policy);
		o.generation = gdb_store_generation(FS.store);
		o.budget_bytes = cs.budget_bytes;
		o.resident_bytes = cs.resident_bytes;
		o.pinned_bytes = cs.pinned_bytes;
		o.hits = cs.total.hits;
		o.misses = cs.total.misses;
		o.evictions = cs.total.evictions;
		o.bytes_decoded = cs.total.bytes_decoded;
		o.prefetch_issued = cs.total.prefetch_issued;
		o.prefetch_used = cs.total.prefetch_used;
		o.prefetch_wasted = cs.total.prefetch_wasted;
		o.lat_p50_ns = (uint64_t)(cs.lat_p50_us * 1000);
		o.lat_p95_ns = (uint64_t)(cs.lat_p95_us * 1000);
		o.lat_p99_ns = (uint64_t)(cs.lat_p99_us * 1000);
		o.lat_count = cs.lat_count;
		o.reads = __atomic_load_n(&FS.reads, __ATOMIC_RELAXED);
		o.bytes_served = __atomic_load_n(&FS.bytes_served,
						 __ATOMIC_RELAXED);
		o.prefetch_enabled = (uint32_t)cs.prefetch_enabled;
		fuse_reply_ioctl(req, 0, &o, sizeof(o));
		return;
	}
	if (cmd == GDB_IOC_CONTROL &&
	    in_bufsz >= sizeof(struct gdb_ioc_control) &&
	    out_bufsz >= sizeof(struct gdb_ioc_control)) {
		struct gdb_ioc_control c;
		char msg[sizeof(c.line)];
		memcpy(&c, in_buf, sizeof(c));
		if (c.size != sizeof(c) || c.version != GDB_IOC_VERSION) {
			fuse_reply_err(req, EINVAL);
			return;
		}
		c.line[sizeof(c.line) - 1] = 0;
		c.status = control_apply(c.line, msg, sizeof(msg));
		snprintf(c.line, sizeof(c.line), "%s", msg);
		fuse_reply_ioctl(req, 0, &c, sizeof(c));
		return;
	}
	fuse_reply_err(req, ENOTTY);
}

static const struct fuse_lowlevel_ops OPS = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.open = op_open,
	.read = op_read,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.getxattr = op_getxattr,
	.listxattr = op_listxattr,
	.statfs = op_statfs,
	.write = op_write,
	.setattr = op_setattr,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.create = op_create,
	.setxattr = op_setxattr,
	.removexattr = op_removexattr,
	.ioctl = op_ioctl,
};

static void counters_json(FILE *f, const gdb_cache_counters *k)
{
	uint64_t acc = k->hits + k->misses;

	fprintf(f,
		"{\"hits\": %llu, \"misses\": %llu, \"hit_ratio\": %.4f, "
		"\"evictions\": %llu, \"bytes_decoded\": %llu, "
		"\"prefetch_issued\": %llu, \"prefetch_used\": %llu, "
		"\"prefetch_wasted\": %llu}",
		(unsigned long long)k->hits, (unsigned long long)k->misses,
		acc ? (double)k->hits / (double)acc : 0.0,
		(unsigned long long)k->evictions,
		(unsigned long long)k->bytes_decoded,
		(unsigned long long)k->prefetch_issued,
		(unsigned long long)k->prefetch_used,
		(unsigned long long)k->prefetch_wasted);
}

/* The stats.json document (names documented in docs/PATHS.md). */
static char *render_stats(size_t *len)
{
	gdb_cache_stats cs;
	const gdb_cache_counters *t = &cs.total;
	char *p = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&p, &sz);
	uint64_t acc;

	if (!f)
		return NULL;
	gdb_cache_stats_get(FS.cache, &cs);
	acc = t->hits + t->misses;
	fprintf(f,
		"{\n  \"generation\": %llu,\n  \"store\": \"%s\",\n"
		"  \"assemblies\": %u,\n  \"contigs\": %u,\n"
		"  \"reads\": %llu,\n  \"bytes_served\": %llu,\n"
		"  \"lookups\": %llu,\n  \"read_errors\": %llu,\n"
		"  \"live_region_nodes\": %llu,\n  \"ioctls\": %llu,\n"
		"  \"computed_files\": %llu,\n  \"reused_answers\": %llu,\n"
		"  \"simd\": \"%s\",\n",
		(unsigned long long)gdb_store_generation(FS.store),
		gdb_store_path(FS.store), gdb_store_nassemblies(FS.store),
		gdb_store_ncontigs(FS.store),
		(unsigned long long)__atomic_load_n(&FS.reads, __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&FS.bytes_served,
						    __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&FS.lookups,
						    __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&FS.errors,
						    __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&FS.live_nodes,
						    __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&FS.ioctls, __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&FS.computed,
						    __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&FS.reused, __ATOMIC_RELAXED),
		gdb_simd_level_name(gdb_simd_active()));
	fprintf(f,
		"  \"cache\": {\"policy\": \"%s\", \"budget_bytes\": %llu, "
		"\"resident_bytes\": %llu, \"pinned_bytes\": %llu, "
		"\"hits\": %llu, \"misses\": %llu, \"hit_ratio\": %.4f, "
		"\"evictions\": %llu, \"bytes_decoded\": %llu, "
		"\"block_errors\": %llu, \"uncached\": %llu,\n"
		"    \"per_policy\": {",
		cs.policy, (unsigned long long)cs.budget_bytes,
		(unsigned long long)cs.resident_bytes,
		(unsigned long long)cs.pinned_bytes,
		(unsigned long long)t->hits, (unsigned long long)t->misses,
		acc ? (double)t->hits / (double)acc : 0.0,
		(unsigned long long)t->evictions,
		(unsigned long long)t->bytes_decoded,
		(unsigned long long)cs.errors,
		(unsigned long long)cs.uncached);
	for (unsigned i = 0; gdb_cache_policy_name(i); i++) {
		fprintf(f, "%s\n      \"%s\": ", i ? "," : "",
			gdb_cache_policy_name(i));
		counters_json(f, &cs.per_policy[i]);
	}
	fprintf(f,
		"}},\n"
		"  \"prefetch\": {\"enabled\": %s, \"issued\": %llu, "
		"\"used\": %llu, \"wasted\": %llu, \"accuracy\": %.4f, "
		"\"coverage\": %.4f},\n"
		"  \"latency_us\": {\"p50\": %.1f, \"p95\": %.1f, "
		"\"p99\": %.1f, \"count\": %llu}\n}\n",
		cs.prefetch_enabled ? "true" : "false",
		(unsigned long long)t->prefetch_issued,
		(unsigned long long)t->prefetch_used,
		(unsigned long long)t->prefetch_wasted,
		t->prefetch_issued ? (double)t->prefetch_used /
					     (double)t->prefetch_issued
				   : 0.0,
		t->prefetch_used + t->misses
			? (double)t->prefetch_used /
				  (double)(t->prefetch_used + t->misses)
			: 0.0,
		cs.lat_p50_us, cs.lat_p95_us, cs.lat_p99_us,
		(unsigned long long)cs.lat_count);
	if (fclose(f) != 0) {
		free(p);
		return NULL;
	}
	*len = sz;
	return p;
}

static void perm(struct node *n, enum nkind kind, uint32_t ai, int32_t contig)
{
	n->kind = kind;
	n->permanent = 1;
	n->asm_idx = ai;
	n->contig = contig;
}

static char *dup_printf(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s%s", a, b);
	return p;
}

/* Build the permanent part of the namespace. */
static int build_tree(void)
{
	uint32_t na = gdb_store_nassemblies(FS.store);
	uint32_t nc = gdb_store_ncontigs(FS.store);

	perm(&FS.root, N_ROOT, 0, -1);
	perm(&FS.gdbdir, N_GDBDIR, 0, -1);
	perm(&FS.stats, N_STATS, 0, -1);
	perm(&FS.config, N_STATS, 0, -1);
	FS.stats.live = LIVE_STATS;
	FS.config.live = LIVE_CONFIG;
	FS.asms = calloc(na ? na : 1, sizeof(*FS.asms));
	FS.contigs = calloc(nc ? nc : 1, sizeof(*FS.contigs));
	if (!FS.asms || !FS.contigs)
		return -ENOMEM;
	for (uint32_t i = 0; i < na; i++) {
		const gdb_assembly *a = gdb_store_assembly(FS.store, i);
		struct asm_nodes *an = &FS.asms[i];
		perm(&an->dir, N_ASM, i, -1);
		/* A one-contig assembly's .fa is that contig's file too
		 * (assembly chrM, contig chrM): give it the contig's xattrs. */
		perm(&an->fa, N_VIEW, i,
		     a->ncontigs == 1 ? (int32_t)a->first_contig : -1);
		an->fa.contig_xattrs = a->ncontigs == 1;
		perm(&an->fai, N_TEXT, i, -1);
		perm(&an->dict, N_TEXT, i, -1);
		an->fa_name = dup_printf(a->name, ".fa");
		an->fai_name = dup_printf(a->name, ".fa.fai");
		an->dict_name = dup_printf(a->name, ".dict");
		if (!an->fa_name || !an->fai_name || !an->dict_name)
			return -ENOMEM;
		GDB_TRY(gdb_view_contigs(FS.store, a->first_contig, a->ncontigs,
					 GDB_FASTA_WIDTH, 1, &an->fa.view));
		GDB_TRY(attach_stream(&an->fa));
		an->fai.text = gdb_view_fai(an->fa.view, FS.store,
					    &an->fai.textlen);
		an->dict.text = gdb_render_dict(FS.store, a->first_contig,
						a->ncontigs, &an->dict.textlen);
		if (!an->fai.text || !an->dict.text)
			return -ENOMEM;
	}
	for (unsigned i = 0; gdb_ns_creators[i] && FS.nprov < MAX_PROVIDERS;
	     i++) {
		struct nsprov *pv = &FS.provs[FS.nprov];
		GDB_TRY(gdb_inbox_new(&pv->inbox));
		pv->p = gdb_ns_creators[i](FS.store, FS.cache, pv->inbox,
					   &pv->ctx);
		if (!pv->p || !pv->p->inbox) {
			gdb_inbox_free(pv->inbox);
			pv->inbox = NULL;
		}
		if (!pv->p)
			continue;
		perm(&pv->top, N_NSDIR, 0, -1);
		pv->top.prov = FS.nprov;
		pv->top.path = (char *)""; /* never freed: permanent */
		perm(&pv->inbox_dir, N_INBOX, 0, -1);
		pv->inbox_dir.prov = FS.nprov++;
	}
	for (uint32_t id = 0; id < nc; id++) {
		const gdb_contig *c = gdb_store_contig(FS.store, id);
		struct contig_nodes *cn = &FS.contigs[id];
		perm(&cn->dir, N_CONTIGDIR, c->asm_index, (int32_t)id);
		perm(&cn->fa, N_VIEW, c->asm_index, (int32_t)id);
		perm(&cn->fai, N_TEXT, c->asm_index, (int32_t)id);
		cn->dir.contig_xattrs = cn->fa.contig_xattrs = 1;
		cn->esc = malloc(strlen(c->name) * 3 + 1);
		if (!cn->esc)
			return -ENOMEM;
		gdb_path_escape(c->name, cn->esc);
		GDB_TRY(gdb_view_contigs(FS.store, id, 1, GDB_FASTA_WIDTH, 1,
					 &cn->fa.view));
		GDB_TRY(attach_stream(&cn->fa));
		cn->fai.text = gdb_view_fai(cn->fa.view, FS.store,
					    &cn->fai.textlen);
		if (!cn->fai.text)
			return -ENOMEM;
	}
	return 0;
}

static void free_tree(void)
{
	/* Nodes first: inbox files' nodes hold references into inboxes. */
	while (FS.live.next && FS.live.next != &FS.live)
		node_free(FS.live.next);
	for (unsigned i = 0; i < FS.nprov; i++) {
		if (FS.provs[i].p->destroy)
			FS.provs[i].p->destroy(FS.provs[i].ctx);
		gdb_inbox_free(FS.provs[i].inbox);
	}
	uint32_t na = FS.store ? gdb_store_nassemblies(FS.store) : 0;
	uint32_t nc = FS.store ? gdb_store_ncontigs(FS.store) : 0;

	for (uint32_t i = 0; FS.asms && i < na; i++) {
		struct asm_nodes *an = &FS.asms[i];
		gdb_view_free(an->fa.view);
		detach_stream(&an->fa);
		free(an->fai.text);
		free(an->dict.text);
		free(an->fa_name);
		free(an->fai_name);
		free(an->dict_name);
	}
	for (uint32_t i = 0; FS.contigs && i < nc; i++) {
		gdb_view_free(FS.contigs[i].fa.view);
		detach_stream(&FS.contigs[i].fa);
		free(FS.contigs[i].fai.text);
		free(FS.contigs[i].esc);
	}
	free(FS.asms);
	free(FS.contigs);
}

/*
 * Raise the mount's kernel readahead: FUSE mounts get a bdi named after
 * their device ("0:NN"), whose read_ahead_kb defaults to 128. Found via
 * /proc/self/mountinfo so no request is sent to ourselves before the loop
 * runs.
 */
static void set_readahead(const char *mountpoint, unsigned kb)
{
	char real[PATH_MAX], line[4096], dev[64], mp[PATH_MAX], path[128];
	FILE *f;
	int found = 0;

	if (!kb || !realpath(mountpoint, real))
		return;
	f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %63s %*s %4095s", dev, mp) == 2 &&
		    !strcmp(mp, real))
			found = 1; /* the last match is the newest mount */
		if (found == 1) {
			snprintf(path, sizeof(path),
				 "/sys/class/bdi/%s/read_ahead_kb", dev);
			found = 2;
		}
	}
	fclose(f);
	if (!found)
		return;
	f = fopen(path, "w");
	if (!f) {
		gdb_log(GDB_LOG_INFO, "cannot raise readahead (%s): %s", path,
			strerror(errno));
		return;
	}
	fprintf(f, "%u\n", kb);
	if (fclose(f) != 0)
		gdb_log(GDB_LOG_INFO, "cannot raise readahead (%s)", path);
}

static void syslog_sink(enum gdb_log_level level, const char *line)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

	if (level <= GDB_LOG_INFO)
		syslog(prio[level], "%s", line);
}

int gdb_fs_run(const gdb_fs_opts *o, char *err, size_t errlen)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se = NULL;
	struct fuse_loop_config *lc = NULL;
	struct stat st;
	char optbuf[1024];
	char cur[PATH_MAX];
	int rc;

	memset(&FS, 0, sizeof(FS));
	pthread_mutex_init(&FS.snap_lock, NULL);
	pthread_mutex_init(&FS.ctl_lock, NULL);
	pthread_mutex_init(&FS.nodes_lock, NULL);
	pthread_mutex_init(&FS.inbox_lock, NULL);
	FS.live.next = FS.live.prev = &FS.live;
	FS.vol.vnext = FS.vol.vprev = &FS.vol;
	pthread_key_create(&FS.buf_key, thread_buf_free);
	gdb_simd_init();
	rc = gdb_store_open(o->store_path, 0, &FS.store, err, errlen);
	if (rc < 0)
		return rc;
	snprintf(cur, sizeof(cur), "%s/CURRENT", o->store_path);
	if (stat(cur, &st) == 0)
		FS.mtime = st.st_mtim;
	FS.uid = getuid();
	FS.gid = getgid();
	rc = gdb_cache_create(FS.store, (size_t)o->cache_bytes, o->policy,
			      &FS.cache);
	if (rc == -EINVAL) {
		gdb_seterr(err, errlen, "unknown cache policy '%s'", o->policy);
		goto out;
	}
	if (rc == 0)
		gdb_cache_set_prefetch(FS.cache, o->prefetch);
	if (rc == 0)
		rc = build_tree();
	if (rc < 0) {
		gdb_seterr(err, errlen, "%s: %s", o->store_path,
			   gdb_strerror(rc));
		goto out;
	}
	snprintf(optbuf, sizeof(optbuf),
		 "-ofsname=genomedb,subtype=genomedb,default_permissions%s%s",
		 o->fuse_opts && *o->fuse_opts ? "," : "",
		 o->fuse_opts ? o->fuse_opts : "");
	if (fuse_opt_add_arg(&args, "genomedb") ||
	    fuse_opt_add_arg(&args, optbuf) ||
	    (o->debug && fuse_opt_add_arg(&args, "-d"))) {
		rc = -ENOMEM;
		goto out;
	}
	se = fuse_session_new(&args, &OPS, sizeof(OPS), NULL);
	if (!se) {
		gdb_seterr(err, errlen, "cannot start a FUSE session (bad -o "
			   "option?)");
		rc = -EINVAL;
		goto out;
	}
	if (fuse_set_signal_handlers(se) != 0) {
		rc = -EIO;
		goto out;
	}
	if (fuse_session_mount(se, o->mountpoint) != 0) {
		gdb_seterr(err, errlen, "%s: mount failed", o->mountpoint);
		rc = -EIO;
		goto out_sig;
	}
	set_readahead(o->mountpoint, o->readahead_kb);
	if (!o->foreground && !o->debug) {
		openlog("genomedb", LOG_PID, LOG_DAEMON);
		gdb_log_set_sink(syslog_sink);
	}
	if (fuse_daemonize(o->foreground || o->debug) != 0) {
		rc = -EIO;
		goto out_unmount;
	}
	if (gdb_cache_start_prefetch(FS.cache) < 0)
		gdb_log(GDB_LOG_WARN, "prefetch thread did not start");
	lc = fuse_loop_cfg_create();
	if (!lc) {
		rc = -ENOMEM;
		goto out_unmount;
	}
	fuse_loop_cfg_set_max_threads(lc, o->max_threads ? o->max_threads
							 : 16);
	fuse_loop_cfg_set_idle_threads(lc, 4);
	rc = fuse_session_loop_mt(se, lc);
	rc = rc > 0 ? 0 : rc; /* > 0: ended by a signal: a clean unmount */
out_unmount:
	fuse_session_unmount(se);
out_sig:
	fuse_remove_signal_handlers(se);
out:
	if (se)
		fuse_session_destroy(se);
	fuse_loop_cfg_destroy(lc);
	fuse_opt_free_args(&args);
	free_tree();
	gdb_cache_destroy(FS.cache);
	gdb_store_close(FS.store);
	free(FS.snap[0].p);
	free(FS.snap[1].p);
	pthread_mutex_destroy(&FS.ctl_lock);
	pthread_mutex_destroy(&FS.snap_lock);
	pthread_mutex_destroy(&FS.nodes_lock);
	pthread_mutex_destroy(&FS.inbox_lock);
	/* This (main) thread's buffer, if it used one. */
	free(tbuf);
	tbuf = NULL;
	tcap = 0;
	pthread_setspecific(FS.buf_key, NULL);
	pthread_key_delete(FS.buf_key);
	memset(&FS, 0, sizeof(FS));
	return rc;
}
