/*
 * cache/policy.c - the table of replacement policies, the ghost-key store
 * three of them share, and gdb_cache_simulate(), which replays a key trace
 * through one policy with no data.
 *
 * What is here and what is not: each policy lives in its own file
 * (policy_lru.c, policy_arc.c, policy_s3fifo.c, policy_lfu.c, policy_2q.c)
 * and only orders entries it is handed; this file owns no cache entries
 * except the ones gdb_cache_simulate() makes for itself. The cache core
 * (cache.c) never calls the ghost store directly.
 *
 * Ghost store (gdb_pghost): ARC's B1/B2, S3-FIFO's G and 2Q's A1out remember
 * keys that were evicted recently, without data. All three need the same
 * three operations in O(1): "is this key remembered (and forget it)", "add
 * a key as the newest of list k" and "forget the oldest of list k". So a
 * ghost is a pool of nodes (key + links by 32-bit index, so the pool is one
 * allocation that can be realloc'd), a chained hash over the keys and up to
 * two doubly linked lists threaded through the same nodes. Its capacity is
 * a bound given at creation: a push into a full store first forgets the
 * oldest key (of the same list if it has any), so a ghost never grows past
 * the bound the policy gave it, whatever the core does. The pool itself
 * grows by doubling up to that bound, so a huge capacity costs nothing
 * until keys are actually evicted.
 *
 * The ghost functions and the list helpers are declared again at the top
 * of each policy file that uses them: their natural home is cache_int.h,
 * which belongs to the core; keep the declarations identical.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cache/cache.h"
#include "cache/cache_int.h"

extern const gdb_policy_ops gdb_policy_lru, gdb_policy_arc, gdb_policy_s3fifo,
    gdb_policy_lfu, gdb_policy_2q;

/* Index = ops->id; the first is the default (see docs/DESIGN.md). */
const gdb_policy_ops *const gdb_policies[GDB_NPOLICIES] = {
    &gdb_policy_lru, &gdb_policy_arc, &gdb_policy_s3fifo,
    &gdb_policy_lfu, &gdb_policy_2q,
};

const gdb_policy_ops *gdb_policy_find(const char *name)
{
	if (!name)
		return NULL;
	for (unsigned i = 0; i < GDB_NPOLICIES; i++)
		if (strcasecmp(name, gdb_policies[i]->name) == 0)
			return gdb_policies[i];
	return NULL;
}

static uint64_t mix64(uint64_t k)
{
	/* splitmix64 finaliser: block keys are (contig << 32 | block), whose
	 * low bits alone would fill a few buckets. */
	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ULL;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebULL;
	k ^= k >> 31;
	return k;
}

/* ------------------------------------------------------------------ */
/* Ghost store                                                        */

#define NIL UINT32_MAX

#define FREE_NODE 255 /* pgnode.list of a node on the free chain */

struct pgnode {
	uint64_t key;
	uint32_t prev, next; /* list: prev = older, next = newer */
	uint32_t hnext;	     /* hash chain, or free chain */
	uint8_t list;
};

struct gdb_pghost {
	size_t cap, count; /* bound, keys held */
	size_t alloc;	   /* nodes allocated, <= cap */
	uint32_t hmask;
	uint32_t *htab;	     /* chain heads: hmask + 1 >= alloc */
	struct pgnode *node; /* alloc nodes */
	uint32_t free;	     /* free nodes, chained through hnext */
	uint32_t oldest[2], newest[2];
	size_t len[2];
};

/*
 * Make room for more nodes: double the pool (up to cap) and rehash. The
 * pool grows on demand because a capacity can be far larger than the keys
 * ever seen (gdb_cache_simulate() at a huge capacity); node indices stay
 * valid across realloc, so only the hash chains are rebuilt.
 */
static int ghost_grow(gdb_pghost *g)
{
	size_t n = g->alloc ? 2 * g->alloc : 64, hsize = 16;
	struct pgnode *node;
	uint32_t *htab;

	if (n > g->cap)
		n = g->cap;
	if (n <= g->alloc)
		return -ENOSPC;
	while (hsize < n)
		hsize <<= 1;
	node = realloc(g->node, n * sizeof(*node));
	if (!node)
		return -ENOMEM;
	g->node = node;
	htab = malloc(hsize * sizeof(*htab));
	if (!htab)
		return -ENOMEM;
	for (size_t i = 0; i < hsize; i++)
		htab[i] = NIL;
	free(g->htab);
	g->htab = htab;
	g->hmask = (uint32_t)(hsize - 1);
	for (size_t i = 0; i < g->alloc; i++) {
		/* free nodes are chained through hnext too: keep that chain */
		if (node[i].list == FREE_NODE)
			continue;
		uint32_t *h = &htab[mix64(node[i].key) & g->hmask];
		node[i].hnext = *h;
		*h = (uint32_t)i;
	}
	for (size_t i = n; i-- > g->alloc;) {
		node[i].list = FREE_NODE;
		node[i].hnext = g->free;
		g->free = (uint32_t)i;
	}
	g->alloc = n;
	return 0;
}

gdb_pghost *gdb_pghost_create(size_t cap)
{
	gdb_pghost *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->cap = cap ? cap : 1;
	if (g->cap >= NIL)
		g->cap = NIL - 1;
	g->free = NIL;
	for (int l = 0; l < 2; l++)
		g->oldest[l] = g->newest[l] = NIL;
	if (ghost_grow(g) < 0) {
		gdb_pghost_destroy(g);
		return NULL;
	}
	return g;
}

void gdb_pghost_destroy(gdb_pghost *g)
{
	if (!g)
		return;
	free(g->htab);
	free(g->node);
	free(g);
}

static uint32_t *ghost_slot(gdb_pghost *g, uint64_t key)
{
	uint32_t *p = &g->htab[mix64(key) & g->hmask];

	while (*p != NIL && g->node[*p].key != key)
		p = &g->node[*p].hnext;
	return p;
}

/* Unlink node i (found through its hash slot) and free it. */
static void ghost_del(gdb_pghost *g, uint32_t *slot)
{
	uint32_t i = *slot;
	struct pgnode *n = &g->node[i];
	unsigned l = n->list;

	*slot = n->hnext;
	if (n->prev != NIL)
		g->node[n->prev].next = n->next;
	else
		g->oldest[l] = n->next;
	if (n->next != NIL)
		g->node[n->next].prev = n->prev;
	else
		g->newest[l] = n->prev;
	g->len[l]--;
	g->count--;
	n->list = FREE_NODE;
	n->hnext = g->free;
	g->free = i;
}

int gdb_pghost_take(gdb_pghost *g, uint64_t key)
{
	uint32_t *slot = ghost_slot(g, key);
	int l;

	if (*slot == NIL)
		return -1;
	l = g->node[*slot].list;
	ghost_del(g, slot);
	return l;
}

int gdb_pghost_pop(gdb_pghost *g, unsigned list)
{
	uint32_t i = g->oldest[list];

	if (i == NIL)
		return -1;
	ghost_del(g, ghost_slot(g, g->node[i].key));
	return 0;
}

void gdb_pghost_push(gdb_pghost *g, unsigned list, uint64_t key)
{
	uint32_t *slot = ghost_slot(g, key);
	uint32_t i;
	struct pgnode *n;

	/* A key can already be here if the core inserted it without miss()
	 * (unpin, policy switch); keep one node per key, the newest. */
	if (*slot != NIL)
		ghost_del(g, slot);
	if (g->count == g->cap) {
		if (gdb_pghost_pop(g, g->len[list] ? list : !list) < 0)
			return;
	} else if (g->free == NIL && ghost_grow(g) < 0) {
		/* out of memory: forget the oldest key instead */
		if (gdb_pghost_pop(g, g->len[list] ? list : !list) < 0)
			return;
	}
	i = g->free;
	n = &g->node[i];
	g->free = n->hnext;
	n->key = key;
	n->list = (uint8_t)list;
	n->next = NIL;
	n->prev = g->newest[list];
	if (n->prev != NIL)
		g->node[n->prev].next = i;
	else
		g->oldest[list] = i;
	g->newest[list] = i;
	slot = &g->htab[mix64(key) & g->hmask];
	n->hnext = *slot;
	*slot = i;
	g->len[list]++;
	g->count++;
}

size_t gdb_pghost_len(const gdb_pghost *g, unsigned list)
{
	return g->len[list];
}

int gdb_pghost_resize(gdb_pghost **gp, size_t cap)
{
	gdb_pghost *old = *gp, *g = gdb_pghost_create(cap);

	if (!g)
		return -ENOMEM;
	/* Keep the newest keys: forget the oldest of the longer list until
	 * the rest fits, then copy each list oldest first. */
	while (old->count > g->cap)
		gdb_pghost_pop(old, old->len[0] >= old->len[1] ? 0 : 1);
	for (unsigned l = 0; l < 2; l++)
		for (uint32_t i = old->oldest[l]; i != NIL;
		     i = old->node[i].next)
			gdb_pghost_push(g, l, old->node[i].key);
	gdb_pghost_destroy(old);
	*gp = g;
	return 0;
}

/* ------------------------------------------------------------------ */
/* gdb_cache_simulate                                                 */

/*
 * The simulator's own index of resident entries: open addressing with
 * linear probing over entry pointers, deletion by backward shift (so no
 * tombstones build up over a 10M-key trace). The table is at least twice
 * the number of entries, so probes stay short.
 */
struct simtab {
	gdb_centry **slot;
	size_t mask;
};

static gdb_centry **sim_find(struct simtab *t, uint64_t key)
{
	size_t i = mix64(key) & t->mask;

	while (t->slot[i] && t->slot[i]->key != key)
		i = (i + 1) & t->mask;
	return &t->slot[i];
}

static void sim_del(struct simtab *t, gdb_centry **hole)
{
	size_t i = (size_t)(hole - t->slot), j = i;

	t->slot[i] = NULL;
	for (;;) {
		size_t home;

		j = (j + 1) & t->mask;
		if (!t->slot[j])
			return;
		home = mix64(t->slot[j]->key) & t->mask;
		/* Move slot j back into the hole unless its home lies
		 * cyclically in (i, j]: then it is still reachable. */
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slot[i] = t->slot[j];
			t->slot[j] = NULL;
			i = j;
		}
	}
}

int64_t gdb_cache_simulate(const char *policy, const uint64_t *keys, size_t n,
			   size_t capacity, uint8_t *hits)
{
	const gdb_policy_ops *ops = gdb_policy_find(policy);
	struct simtab tab = {0};
	gdb_centry *pool = NULL, *freelist = NULL;
	size_t npool, used = 0, resident = 0, tsize = 16;
	void *st = NULL;
	int64_t nhit = 0;

	if (!ops || capacity == 0 || (n && !keys))
		return -EINVAL;
	/* Never more entries than distinct keys: a 10M-entry capacity over
	 * a short trace must not allocate 10M entries. */
	npool = capacity < n ? capacity : n;
	if (npool == 0)
		npool = 1;
	while (tsize < 2 * npool)
		tsize <<= 1;
	pool = calloc(npool, sizeof(*pool));
	tab.slot = calloc(tsize, sizeof(*tab.slot));
	tab.mask = tsize - 1;
	st = ops->create(capacity);
	if (!pool || !tab.slot || !st) {
		nhit = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		gdb_centry **slot = sim_find(&tab, keys[i]);
		gdb_centry *e;

		if (*slot) {
			ops->hit(st, *slot);
			nhit++;
			if (hits)
				hits[i] = 1;
			continue;
		}
		if (hits)
			hits[i] = 0;
		/* The same order as the core: miss() first, so ARC and the
		 * ghost-based policies know where the key is headed before
		 * they pick victims. */
		ops->miss(st, keys[i]);
		while (resident >= capacity) {
			gdb_centry *v = ops->evict(st);

			if (!v) {
				/* Nothing is borrowed here: a policy that
				 * finds no victim is broken. */
				nhit = -ENOTRECOVERABLE;
				goto out;
			}
			sim_del(&tab, sim_find(&tab, v->key));
			v->next = freelist;
			freelist = v;
			resident--;
		}
		if (freelist) {
			e = freelist;
			freelist = e->next;
		} else {
			e = &pool[used++];
		}
		memset(e, 0, sizeof(*e));
		e->key = keys[i];
		/* the slot found above may have moved in a backward shift */
		*sim_find(&tab, keys[i]) = e;
		ops->insert(st, e);
		resident++;
	}
out:
	/* the entries are all in pool: no need to drain them first */
	if (st)
		ops->destroy(st);
	free(tab.slot);
	free(pool);
	return nhit;
}
