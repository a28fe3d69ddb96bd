/*
 * fs/daemon/nodes.c - the node table: inode numbers, the list of nodes the
 * kernel holds, lookup counts and forget, attributes and timeouts, and the
 * volatile answers kept for the lookup that follows a forget (see
 * daemon_int.h for what a node is).
 *
 * Locking: d->nodes_lock guards the live and volatile lists and the park
 * counters; a node's nlookup is atomic, but a volatile node's changes only
 * under nodes_lock (vol_find hands it out from the list); an inbox file's
 * node reaching zero is decided under d->inbox_lock (lookup.c).
 */
#include "fs/daemon/daemon_int.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "variants/variants.h"

/* The kernel identifies inodes by 64-bit numbers; a pointer must fit. */
_Static_assert(sizeof(uint64_t) >= sizeof(uintptr_t),
	       "an inode number too small to hold a pointer");

struct node *daemon_node(gdb_daemon *d, uint64_t ino)
{
	return ino == GDB_DAEMON_ROOT ? &d->root
				      : (struct node *)(uintptr_t)ino;
}

uint64_t daemon_ino(const gdb_daemon *d, const struct node *n)
{
	return n == &d->root ? GDB_DAEMON_ROOT : (uint64_t)(uintptr_t)n;
}

int node_is_dir(const struct node *n)
{
	return n->kind == N_ROOT || n->kind == N_GDBDIR || n->kind == N_ASM ||
	       n->kind == N_CONTIGDIR || n->kind == N_NSDIR ||
	       n->kind == N_INBOX;
}

/* A zeroed node of kind with extra bytes after it. NULL: -ENOMEM. */
static struct node *node_alloc(gdb_daemon *d, enum nkind kind, size_t extra)
{
	unsigned f = __atomic_load_n(&d->fail_allocs, __ATOMIC_RELAXED);
	struct node *n;

	/* tests: a momentary out-of-memory (gdb_daemon_fail_allocs) */
	while (f &&
	       !__atomic_compare_exchange_n(&d->fail_allocs, &f, f - 1, 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	if (f)
		return NULL;
	n = calloc(1, sizeof(*n) + extra);
	if (!n)
		return NULL;
	n->kind = kind;
	n->contig = -1;
	return n;
}

struct node *node_new(gdb_daemon *d, enum nkind kind)
{
	return node_alloc(d, kind, 0);
}

struct node *node_new_named(gdb_daemon *d, enum nkind kind, const char *name)
{
	size_t len = strlen(name) + 1;
	struct node *n = node_alloc(d, kind, len);

	if (!n)
		return NULL;
	n->path = memcpy(n + 1, name, len);
	n->path_inline = 1;
	return n;
}

static uint64_t node_size(const struct node *n)
{
	switch (n->kind) {
	case N_VIEW:
		return n->permanent ? n->view->size : n->size;
	case N_ANSWER:
		return n->size;
	case N_RANGED:
		return n->rng.size;
	case N_TEXT:
		return n->textlen;
	default:
		return 0;
	}
}

void daemon_fill_attr(gdb_daemon *d, struct node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = daemon_ino(d, n);
	st->st_uid = d->uid;
	st->st_gid = d->gid;
	if (n->gen) {
		st->st_atim = st->st_mtim = st->st_ctim = n->gen->mtime;
	} else {
		pthread_mutex_lock(&d->gen_lock);
		st->st_atim = st->st_mtim = st->st_ctim = d->cur->mtime;
		pthread_mutex_unlock(&d->gen_lock);
	}
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
	} else if (node_is_dir(n)) {
		/* the root is its owner's to set xattrs on (control.c) */
		st->st_mode = S_IFDIR | (n == &d->root ? 0755 : 0555);
		st->st_nlink = 2;
	} else {
		/* a .fai takes a rewrite of its own bytes (ops_write.c) */
		st->st_mode = S_IFREG | (n->same_writes ? 0644 : 0444);
		st->st_nlink = 1;
		st->st_size = (off_t)node_size(n);
		if (n->kind == N_STATS) {
			st->st_size = (off_t)daemon_snap_refresh(d, n->live,
								 &st->st_mtim);
			if (n->live == LIVE_CONFIG)
				st->st_mode = S_IFREG | 0644;
			st->st_ctim = st->st_mtim;
		}
		st->st_blocks = (st->st_size + 511) / 512;
	}
}

/*
 * Timeouts: the namespace is immutable but for three kinds of node. Inbox
 * files change size and mtime (attributes not cached), and their names
 * change mostly through the kernel, but not only: a file whose write
 * failed loses its name in the daemon (fs/ns/inbox.c), so their entries
 * are revalidated too. A volatile answer holds until its inbox changes:
 * its entry is revalidated at every path walk (a lookup that answers the
 * same node while the inbox is unchanged, see lookup.c), while its
 * content, fixed per node, is cached.
 */
double node_attr_timeout(const struct node *n)
{
	return n->kind == N_STATS || n->kind == N_INBOXFILE ? 0 : TIMEOUT_S;
}

double node_entry_timeout(const struct node *n)
{
	return n->vol || n->kind == N_INBOXFILE ? 0 : TIMEOUT_S;
}

void node_link(gdb_daemon *d, struct node *n)
{
	pthread_mutex_lock(&d->nodes_lock);
	n->next = d->live.next;
	n->prev = &d->live;
	d->live.next->prev = n;
	d->live.next = n;
	pthread_mutex_unlock(&d->nodes_lock);
	__atomic_add_fetch(&d->live_nodes, 1, __ATOMIC_RELAXED);
}

/* Give a sequence-file node its prefetch stream state, or take it back. */
int node_attach_stream(struct node *n)
{
	n->stream = malloc(sizeof(*n->stream));
	if (!n->stream)
		return -ENOMEM;
	gdb_cache_stream_init(n->stream);
	return 0;
}

gdb_view *node_view(gdb_daemon *d, struct node *n)
{
	gdb_view *v = __atomic_load_n(&n->view, __ATOMIC_ACQUIRE), *nv = NULL;
	gdb_cache_stream *st = NULL;

	if (v)
		return v;
	/* two first reads may race: one view wins, the other is freed */
	(void)d;
	if (gdb_seq_region(n->gen->store, (uint32_t)n->contig, n->path, &nv) <
	    0)
		return NULL;
	if (!__atomic_compare_exchange_n(&n->view, &v, nv, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		gdb_view_free(nv);
		return v;
	}
	st = malloc(sizeof(*st));
	if (st) {
		gdb_cache_stream_init(st);
		/* a .u8 read borrows the blocks' codes (gdb_view_borrow) */
		st->u8 = nv->kind == GDB_VIEW_U8;
		__atomic_store_n(&n->stream, st, __ATOMIC_RELEASE);
	}
	return nv;
}

void node_detach_stream(struct node *n)
{
	if (!n->stream)
		return;
	gdb_cache_stream_destroy(n->stream);
	free(n->stream);
	n->stream = NULL;
}

/* Take n off the lists. Under d->nodes_lock. */
static void node_unlink(gdb_daemon *d, struct node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	if (n->vol) {
		n->vprev->vnext = n->vnext;
		n->vnext->vprev = n->vprev;
		if (n->parked) {
			d->nparked--;
			d->parked_bytes -= n->size;
		}
	}
}

/*
 * When the kernel has forgotten many names (half the nodes there were at
 * the last trim, and at least 8192), give the freed memory back to the
 * system: malloc keeps small freed chunks for reuse, and without a trim
 * the daemon would keep the high-water mark of names ever held. The text
 * buffers /variants keeps from answer to answer go too (the next answers
 * make new ones).
 */
static void trim(gdb_daemon *d, uint64_t live)
{
	uint64_t peak = __atomic_load_n(&d->trim_peak, __ATOMIC_RELAXED);

	while (live > peak &&
	       !__atomic_compare_exchange_n(&d->trim_peak, &peak, live, 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	if (peak - live < 8192 || live > peak / 2 ||
	    !__atomic_compare_exchange_n(&d->trim_peak, &peak, live, 0,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	gdb_variants_spares_drain();
	malloc_trim(0);
}

/* What n keeps in its generation's cache: its answer and its stream. */
static void drop_cache_parts(struct node *n)
{
	if (n->ans)
		gdb_cache_answer_free(n->gen->cache, n->ans);
	n->ans = NULL;
	node_detach_stream(n);
}

/* What node_free does once n is off the lists. */
static void node_destroy(gdb_daemon *d, struct node *n)
{
	if (n->ibf) {
		*gdb_inbox_file_user(n->ibf) = NULL;
		gdb_inbox_file_put(n->ibf);
	}
	drop_cache_parts(n);
	if (n->kind == N_RANGED && n->rng.release)
		n->rng.release(n->rng.ctx);
	gdb_view_free(n->view);
	free(n->text);
	if (!n->path_inline)
		free(n->path);
	free(n);
	trim(d, __atomic_sub_fetch(&d->live_nodes, 1, __ATOMIC_RELAXED));
}

void node_free(gdb_daemon *d, struct node *n)
{
	pthread_mutex_lock(&d->nodes_lock);
	node_unlink(d, n);
	pthread_mutex_unlock(&d->nodes_lock);
	node_destroy(d, n);
}

void node_free_all(gdb_daemon *d)
{
	while (d->live.next && d->live.next != &d->live)
		node_free(d, d->live.next);
}

/* Parked answers leave the lists under nodes_lock and are freed after it. */
static void evict(gdb_daemon *d, struct node *n, struct node **list)
{
	node_unlink(d, n);
	n->vnext = *list;
	*list = n;
}

static void destroy_all(gdb_daemon *d, struct node *list)
{
	while (list) {
		struct node *n = list;
		list = n->vnext;
		node_destroy(d, n);
	}
}

struct node *vol_find(gdb_daemon *d, struct gen *g, uint32_t prov,
		      const char *path, uint64_t v)
{
	struct node *n, *next, *found = NULL, *stale = NULL;

	pthread_mutex_lock(&d->nodes_lock);
	for (n = d->vol.vnext; n != &d->vol; n = next) {
		next = n->vnext;
		if (n->gen != g || n->prov != prov || strcmp(n->path, path))
			continue;
		if (n->vol_version == v && !found) {
			if (n->parked) {
				n->parked = 0;
				d->nparked--;
				d->parked_bytes -= n->size;
			}
			n->nlookup++;
			found = n;
		} else if (n->vol_version != v && n->parked) {
			evict(d, n, &stale); /* an older version's */
		}
	}
	pthread_mutex_unlock(&d->nodes_lock);
	destroy_all(d, stale);
	return found;
}

void vol_drop_gen(gdb_daemon *d, struct gen *g)
{
	struct node *n, *next, *gone = NULL;

	pthread_mutex_lock(&d->nodes_lock);
	for (n = d->vol.vnext; n != &d->vol; n = next) {
		next = n->vnext;
		if (n->gen == g && n->parked)
			evict(d, n, &gone);
	}
	pthread_mutex_unlock(&d->nodes_lock);
	destroy_all(d, gone);
}

void vol_add(gdb_daemon *d, struct node *n, uint64_t v)
{
	/* Counted now: vol_find may hand it out once it is listed. */
	n->vol = 1;
	n->vol_version = v;
	n->nlookup = 1;
	pthread_mutex_lock(&d->nodes_lock);
	n->vnext = d->vol.vnext;
	n->vprev = &d->vol;
	d->vol.vnext->vprev = n;
	d->vol.vnext = n;
	pthread_mutex_unlock(&d->nodes_lock);
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

static void forget_vol(gdb_daemon *d, struct node *n, uint64_t nlookup)
{
	struct node *victims = NULL, *m;

	pthread_mutex_lock(&d->nodes_lock);
	n->nlookup -= nlookup;
	if (n->nlookup == 0) {
		n->parked = ++d->park_tick;
		d->nparked++;
		d->parked_bytes += n->size;
		while (d->nparked > PARK_MAX || d->parked_bytes > PARK_BYTES) {
			struct node *old = NULL;
			for (m = d->vol.vnext; m != &d->vol; m = m->vnext)
				if (m->parked &&
				    (!old || m->parked < old->parked))
					old = m;
			evict(d, old, &victims);
		}
	}
	/* A parked node holds no reference on its generation: another
	 * thread may free that generation (and its cache) as soon as the
	 * lock is dropped, so what lives in the cache goes back here. */
	for (m = victims; m; m = m->vnext)
		drop_cache_parts(m);
	pthread_mutex_unlock(&d->nodes_lock);
	destroy_all(d, victims);
}

void node_pin(gdb_daemon *d, struct node *n)
{
	if (n->gen)
		gen_hold(n->gen, 1);
	if (n->permanent)
		return;
	if (n->vol) {
		pthread_mutex_lock(&d->nodes_lock);
		n->nlookup++;
		pthread_mutex_unlock(&d->nodes_lock);
	} else {
		__atomic_add_fetch(&n->nlookup, 1, __ATOMIC_RELAXED);
	}
}

/* n gives back nlookup lookups; its generation, as many references. */
static void forget_node(gdb_daemon *d, struct node *n, uint64_t nlookup)
{
	if (n->permanent)
		return;
	if (n->kind == N_INBOXFILE) {
		pthread_mutex_lock(&d->inbox_lock);
		__atomic_sub_fetch(&n->nlookup, nlookup, __ATOMIC_ACQ_REL);
		inbox_node_check(d, n);
		pthread_mutex_unlock(&d->inbox_lock);
		return;
	}
	if (n->vol) {
		forget_vol(d, n, nlookup);
		return;
	}
	if (__atomic_sub_fetch(&n->nlookup, nlookup, __ATOMIC_ACQ_REL) == 0)
		node_free(d, n);
}

void node_forget(gdb_daemon *d, struct node *n, uint64_t nlookup)
{
	struct gen *g = n->gen; /* n may be freed */

	forget_node(d, n, nlookup);
	gen_put(d, g, nlookup);
}
