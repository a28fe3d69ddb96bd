/*
 * cache/cache.c - the cache core: entries, shards, the byte budget, pins,
 * policy switches and the prefetch thread. Replacement decisions belong to
 * the policies (cache/policy_*.c, interface in cache_int.h); the counters
 * and their report to metrics.c; computed answers, which share the budget,
 * to answer.c.
 *
 * Entry life cycle (all transitions under the entry's shard lock):
 *
 *   absent --gdb_cache_get miss: reserve room, decode unlocked, insert-->
 * resident resident --get hit: refs++,
 * policy->hit-----------------------------> resident resident --gdb_cache_pin:
 * policy->remove, pinned--------------------> pinned pinned --gdb_cache_unpin:
 * policy->insert----------------------------> resident resident, refs == 0
 * --make_room: policy->evict----> shard free list (buffer reused)
 *
 * The budget is global: c->resident counts the bytes of every cached block
 * and is only ever raised by make_room(), which first evicts (from the
 * inserting shard, then the others) until the new block fits. So resident
 * never exceeds the budget. A miss that finds nothing evictable is served
 * from a transient buffer and not cached ("uncached").
 *
 * Buffers of evicted entries are kept on per-shard free lists and reused:
 * in this VM a fresh 64 KiB allocation costs page faults that dwarf the
 * decode itself, so the cache allocates only while it grows.
 */
#include "cache/cache.h"

#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "cache/cache_int.h"

_Static_assert(GDB_CACHE_NPOLICIES == GDB_NPOLICIES,
	       "public and internal policy counts differ");

static gdb_cache_entry *X(gdb_centry *e)
{
	return (gdb_cache_entry *)e;
}

static uint64_t make_key(uint32_t contig, uint32_t block)
{
	return ((uint64_t)contig << 32) | block;
}

static uint32_t key_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (uint32_t)k;
}

static size_t shard_capacity(const gdb_cache *c)
{
	size_t blocks =
	    (size_t)(__atomic_load_n(&c->budget, __ATOMIC_RELAXED) / c->bb);
	size_t per = blocks / NSHARDS;

	return per ? per : 1;
}

const char *gdb_cache_policy_name(unsigned i)
{
	return i < GDB_NPOLICIES ? gdb_policies[i]->name : NULL;
}

static void *pf_main(void *arg);
static void advise_missing(gdb_cache *c, uint32_t contig, uint32_t first,
			   uint32_t last);

/* A long gdb_cache_read advises the disk this many blocks at a time. */
#define READ_ADVISE 64u

int gdb_cache_create(const gdb_store *store, size_t budget, const char *policy,
		     gdb_cache **out)
{
	const gdb_policy_ops *ops =
	    gdb_policy_find(policy ? policy : GDB_CACHE_DEFAULT_POLICY);
	gdb_cache *c;
	uint32_t maxbb = 0;

	if (!ops || budget > GDB_CACHE_MAX_BUDGET)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (uint32_t i = 0; i < gdb_store_ncontigs(store); i++) {
		uint32_t bb = gdb_store_contig(store, i)->block_bases;
		if (bb > maxbb)
			maxbb = bb;
	}
	cache_answers_init(&c->ans);
	c->store = store;
	c->bb = maxbb ? maxbb : 1;
	c->budget = budget;
	c->policy = ops;
	pthread_mutex_init(&c->policy_lock, NULL);
	pthread_mutex_init(&c->arena_lock, NULL);
	pthread_mutex_init(&c->pf_lock, NULL);
	pthread_cond_init(&c->pf_cond, NULL);
	for (uint32_t i = 0; i < NSHARDS; i++) {
		struct shard *sh = &c->shards[i];
		pthread_mutex_init(&sh->lock, NULL);
		sh->hmask = 255;
		sh->htab = calloc(sh->hmask + 1, sizeof(*sh->htab));
		sh->ops = ops;
		sh->pol = ops->create(shard_capacity(c));
		if (!sh->htab || !sh->pol) {
			gdb_cache_destroy(c);
			return -ENOMEM;
		}
	}
	c->pf_enabled = 1;
	*out = c;
	return 0;
}

int gdb_cache_start_prefetch(gdb_cache *c)
{
	int rc;

	if (c->pf_running)
		return 0;
	/* The ring belongs to the prefetch thread; made here, after any
	 * fork the caller did (a daemon forks after creating the cache). */
	c->ring_ok = io_uring_queue_init(PF_BATCH * 2, &c->ring, 0) == 0;
	if (!c->ring_ok)
		gdb_log(GDB_LOG_INFO, "io_uring unavailable: prefetch reads "
				      "fault pages in one by one");
	rc = pthread_create(&c->pf_thread, NULL, pf_main, c);
	if (rc) {
		if (c->ring_ok)
			io_uring_queue_exit(&c->ring);
		c->ring_ok = 0;
		return -rc;
	}
	__atomic_store_n(&c->pf_running, 1, __ATOMIC_RELEASE);
	/* From now on the prefetcher reads ahead for sequential readers:
	 * a random read faults in only the block it needs. */
	gdb_store_access_random(c->store);
	return 0;
}

/* Buffers live until destroy (they are reused through the free lists). */
static void free_entry(gdb_cache_entry *x)
{
	free(x);
}

/* A buffer outside the arena, still freed at destroy (as a 1-use chunk). */
static char *malloc_owned(gdb_cache *c, size_t n)
{
	struct arena_chunk *ch = malloc(sizeof(*ch));
	char *p = malloc(n);

	if (!ch || !p) {
		free(ch);
		free(p);
		return NULL;
	}
	ch->base = p;
	ch->used = SIZE_MAX; /* never carved from; freed, not unmapped */
	pthread_mutex_lock(&c->arena_lock);
	ch->next = c->arena;
	c->arena = ch;
	pthread_mutex_unlock(&c->arena_lock);
	return p;
}

/* A new 2 MiB-aligned chunk, advised as a huge page, touched (faulted in)
 * when prefault is set. Not linked anywhere yet. */
static struct arena_chunk *chunk_new(gdb_cache *c, int prefault)
{
	void *m =
	    __atomic_load_n(&c->test_fail_chunks, __ATOMIC_RELAXED)
		? MAP_FAILED
		: mmap(NULL, 2 * (size_t)ARENA_CHUNK, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct arena_chunk *ch = m == MAP_FAILED ? NULL : malloc(sizeof(*ch));
	uintptr_t a;

	if (!ch) {
		if (m != MAP_FAILED)
			munmap(m, 2 * (size_t)ARENA_CHUNK);
		return NULL;
	}
	/* Keep the 2 MiB-aligned half, so it can be one huge page. */
	a = ((uintptr_t)m + ARENA_CHUNK - 1) & ~(uintptr_t)(ARENA_CHUNK - 1);
	if (a > (uintptr_t)m)
		munmap(m, a - (uintptr_t)m);
	if ((uintptr_t)m + 2 * ARENA_CHUNK > a + ARENA_CHUNK)
		munmap((void *)(a + ARENA_CHUNK),
		       (uintptr_t)m + 2 * ARENA_CHUNK - a - ARENA_CHUNK);
	madvise((void *)a, ARENA_CHUNK, MADV_HUGEPAGE);
	if (prefault)
		for (size_t off = 0; off < ARENA_CHUNK; off += 4096)
			((volatile char *)a)[off] = 0;
	ch->base = (char *)a;
	ch->used = 0;
	ch->next = NULL;
	return ch;
}

static char *arena_alloc(gdb_cache *c)
{
	struct arena_chunk *ch;
	char *p = NULL;

	if (c->bb > ARENA_CHUNK / 4)
		return NULL; /* the caller mallocs */
	pthread_mutex_lock(&c->arena_lock);
	ch = c->arena;
	if (!ch || ch->used == SIZE_MAX || ch->used + c->bb > ARENA_CHUNK) {
		/* The prefetch thread keeps a faulted spare ready, so a reader
		 * rarely pays the fault (with compaction, milliseconds). */
		ch = c->spare;
		c->spare = NULL;
		if (ch) {
			pthread_mutex_lock(&c->pf_lock);
			pthread_cond_signal(&c->pf_cond);
			pthread_mutex_unlock(&c->pf_lock);
		} else {
			ch = chunk_new(c, 0);
		}
		if (!ch)
			goto out;
		ch->next = c->arena;
		c->arena = ch;
	}
	p = ch->base + ch->used;
	ch->used += c->bb;
out:
	pthread_mutex_unlock(&c->arena_lock);
	return p;
}

static void drop_cb(void *arg, gdb_centry *e)
{
	(void)arg;
	(void)e; /* entries are freed from the hash below */
}

void gdb_cache_destroy(gdb_cache *c)
{
	if (!c)
		return;
	if (c->pf_running) {
		pthread_mutex_lock(&c->pf_lock);
		c->pf_stop = 1;
		pthread_cond_signal(&c->pf_cond);
		pthread_mutex_unlock(&c->pf_lock);
		pthread_join(c->pf_thread, NULL);
	}
	if (c->ring_ok)
		io_uring_queue_exit(&c->ring);
	for (uint32_t i = 0; i < NSHARDS; i++) {
		struct shard *sh = &c->shards[i];
		if (sh->pol) {
			sh->ops->drain(sh->pol, drop_cb, NULL);
			sh->ops->destroy(sh->pol);
		}
		for (uint32_t h = 0; sh->htab && h <= sh->hmask; h++) {
			gdb_centry *e = sh->htab[h];
			while (e) {
				gdb_centry *nx = e->hnext;
				free_entry(X(e));
				e = nx;
			}
		}
		while (sh->free_list) {
			gdb_cache_entry *nx = X(sh->free_list->e.next);
			free_entry(sh->free_list);
			sh->free_list = nx;
		}
		free(sh->htab);
		pthread_mutex_destroy(&sh->lock);
	}
	if (c->spare) {
		munmap(c->spare->base, ARENA_CHUNK);
		free(c->spare);
	}
	while (c->arena) {
		struct arena_chunk *nx = c->arena->next;
		if (c->arena->used == SIZE_MAX)
			free(c->arena->base);
		else
			munmap(c->arena->base, ARENA_CHUNK);
		free(c->arena);
		c->arena = nx;
	}
	pthread_mutex_destroy(&c->arena_lock);
	pthread_mutex_destroy(&c->policy_lock);
	pthread_mutex_destroy(&c->pf_lock);
	cache_answers_destroy(&c->ans);
	pthread_cond_destroy(&c->pf_cond);
	free(c);
}

static gdb_cache_entry *find_locked(struct shard *sh, uint64_t key)
{
	gdb_centry *e = sh->htab[key_hash(key) & sh->hmask];

	while (e && e->key != key)
		e = e->hnext;
	return X(e);
}

static void hash_insert(struct shard *sh, gdb_cache_entry *x)
{
	uint32_t b = key_hash(x->e.key) & sh->hmask;

	x->e.hnext = sh->htab[b];
	sh->htab[b] = &x->e;
	if (++sh->count > (sh->hmask + 1) * 2) {
		uint32_t size = (sh->hmask + 1) * 2;
		gdb_centry **n = calloc(size, sizeof(*n));
		if (!n)
			return; /* longer chains, still correct */
		for (uint32_t h = 0; h <= sh->hmask; h++) {
			gdb_centry *y = sh->htab[h];
			while (y) {
				gdb_centry *nx = y->hnext;
				uint32_t nb = key_hash(y->key) & (size - 1);
				y->hnext = n[nb];
				n[nb] = y;
				y = nx;
			}
		}
		free(sh->htab);
		sh->htab = n;
		sh->hmask = size - 1;
	}
}

static void hash_remove(struct shard *sh, gdb_cache_entry *x)
{
	gdb_centry **pp = &sh->htab[key_hash(x->e.key) & sh->hmask];

	while (*pp != &x->e)
		pp = &(*pp)->hnext;
	*pp = x->e.hnext;
	sh->count--;
}

/* Free-list entries are linked through e.next (no policy holds them). */
static void to_free_list(struct shard *sh, gdb_cache_entry *x)
{
	x->e.next = sh->free_list ? &sh->free_list->e : NULL;
	sh->free_list = x;
}

/* Give the pages of n bytes at p back to the system (they read as zeros
 * when touched again). */
static void release_pages(char *p, size_t n)
{
	uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
	uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)4095;

	if (e > a)
		madvise((void *)a, e - a, MADV_DONTNEED);
}

/* Evict one block from shard i; 1 if one was evicted. With release, its
 * buffer's pages go back to the system too (the room is for an answer,
 * which is malloc'd, not for a block that would reuse the buffer). */
static int evict_one(gdb_cache *c, uint32_t i, int release)
{
	struct shard *sh = &c->shards[i];
	gdb_centry *v;

	pthread_mutex_lock(&sh->lock);
	v = sh->ops->evict(sh->pol);
	if (v) {
		gdb_cache_entry *x = X(v);
		hash_remove(sh, x);
		sh->pc[sh->ops->id].evictions++;
		if (v->prefetched)
			sh->pc[sh->ops->id].prefetch_wasted++;
		if (release)
			release_pages(x->e.bases, c->bb);
		to_free_list(sh, x);
	}
	pthread_mutex_unlock(&sh->lock);
	if (v)
		__atomic_sub_fetch(&c->resident, c->bb, __ATOMIC_RELAXED);
	return v != NULL;
}

/*
 * Reserve bytes of the budget, evicting to make room: blocks, first from
 * shard si then from the others in turn, then answers. For a block,
 * answers holding more than half the budget go before any block; for an
 * answer (!block), the evicted blocks give their pages back to the system.
 * Called with no lock held (so locking any shard here cannot deadlock).
 * @return 1 reserved, 0 nothing more to evict.
 */
static int reserve(gdb_cache *c, uint64_t bytes, uint32_t si, int block)
{
	uint32_t fails = 0, i = si;

	for (;;) {
		uint64_t cur = __atomic_load_n(&c->resident, __ATOMIC_RELAXED);
		uint64_t budget = __atomic_load_n(&c->budget, __ATOMIC_RELAXED);
		if (cur + bytes <= budget) {
			if (__atomic_compare_exchange_n(
				&c->resident, &cur, cur + bytes, 0,
				__ATOMIC_RELAXED, __ATOMIC_RELAXED))
				return 1;
			continue;
		}
		if (block && cache_answers_bytes(c) > budget / 2 &&
		    cache_answers_evict_one(c))
			continue;
		if (evict_one(c, i, !block)) {
			fails = 0;
			continue;
		}
		if (++fails < NSHARDS) {
			i = (i + 1) % NSHARDS;
			continue;
		}
		if (!cache_answers_evict_one(c))
			return 0;
		fails = 0;
	}
}

/* Room for one block (see reserve). */
static int make_room(gdb_cache *c, uint32_t si)
{
	return reserve(c, c->bb, si, 1);
}

int cache_reserve(gdb_cache *c, uint64_t bytes)
{
	if (bytes > __atomic_load_n(&c->budget, __ATOMIC_RELAXED))
		return 0;
	return reserve(c, bytes, 0, 0);
}

void cache_unreserve(gdb_cache *c, uint64_t bytes)
{
	__atomic_sub_fetch(&c->resident, bytes, __ATOMIC_RELAXED);
}

uint64_t cache_budget(gdb_cache *c)
{
	return __atomic_load_n(&c->budget, __ATOMIC_RELAXED);
}

struct cache_answers *cache_answers_of(gdb_cache *c)
{
	return &c->ans;
}

static gdb_cache_entry *take_buffer(gdb_cache *c, struct shard *sh)
{
	gdb_cache_entry *x;

	pthread_mutex_lock(&sh->lock);
	x = sh->free_list;
	if (x)
		sh->free_list = X(x->e.next);
	pthread_mutex_unlock(&sh->lock);
	if (x)
		return x;
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->e.bases = arena_alloc(c);
	if (!x->e.bases)
		x->e.bases = malloc_owned(c, c->bb);
	if (!x->e.bases) {
		free(x);
		return NULL;
	}
	return x;
}

/*
 * Load a block (demand miss or prefetch): reserve, decode unlocked, then
 * insert unless another thread inserted it first. With borrow set the
 * result is returned borrowed (refs 1).
 */
static int load_block(gdb_cache *c, uint32_t si, uint32_t contig,
		      uint32_t block, int prefetch, gdb_cache_entry **out)
{
	struct shard *sh = &c->shards[si];
	uint64_t key = make_key(contig, block);
	gdb_cache_entry *x, *other;
	int reserved, rc;

	x = take_buffer(c, sh);
	if (!x)
		return -ENOMEM;
	/* Tell the policy first: ARC's REPLACE, run by the evictions in
	 * make_room, depends on whether this key was a ghost. Policies keep
	 * the answer per key until insert (the decode below is unlocked). */
	pthread_mutex_lock(&sh->lock);
	sh->ops->miss(sh->pol, key);
	pthread_mutex_unlock(&sh->lock);
	reserved = make_room(c, si);
	rc = gdb_store_block_decode(c->store, contig, block, x->e.bases, c->bb);
	pthread_mutex_lock(&sh->lock);
	if (rc < 0) {
		sh->errors++;
		to_free_list(sh, x);
		pthread_mutex_unlock(&sh->lock);
		if (reserved)
			__atomic_sub_fetch(&c->resident, c->bb,
					   __ATOMIC_RELAXED);
		return rc;
	}
	sh->pc[sh->ops->id].bytes_decoded += (uint64_t)rc;
	other = find_locked(sh, key);
	if (other || !reserved) {
		if (reserved)
			__atomic_sub_fetch(&c->resident, c->bb,
					   __ATOMIC_RELAXED);
		if (other) {
			to_free_list(sh, x);
			x = other;
			if (!prefetch)
				sh->ops->hit(sh->pol, &x->e);
		} else {
			/* Nothing evictable: serve it once, uncached. */
			sh->uncached++;
			if (prefetch) {
				to_free_list(sh, x);
				pthread_mutex_unlock(&sh->lock);
				return 0;
			}
			x->transient = 1;
			x->e.key = key;
			x->e.n = (uint32_t)rc;
			x->e.shard = (uint16_t)si;
		}
	} else {
		memset(&x->e.prev, 0, sizeof(x->e.prev) * 2);
		x->e.key = key;
		x->e.n = (uint32_t)rc;
		x->e.shard = (uint16_t)si;
		x->e.refs = 0;
		x->e.pinned = 0;
		x->e.prefetched = (uint8_t)prefetch;
		x->transient = 0;
		hash_insert(sh, x);
		sh->ops->insert(sh->pol, &x->e);
		if (prefetch)
			sh->pc[sh->ops->id].prefetch_issued++;
	}
	if (out) {
		x->e.refs++;
		*out = x;
	}
	pthread_mutex_unlock(&sh->lock);
	return 0;
}

int gdb_cache_get(gdb_cache *c, uint32_t contig, uint32_t block,
		  const char **bases, uint32_t *n, gdb_cache_entry **ref)
{
	uint64_t key = make_key(contig, block);
	uint32_t si = key_hash(key) % NSHARDS;
	struct shard *sh = &c->shards[si];
	gdb_cache_entry *x;

	pthread_mutex_lock(&sh->lock);
	x = find_locked(sh, key);
	if (x) {
		x->e.refs++;
		sh->pc[sh->ops->id].hits++;
		if (x->e.prefetched) {
			/* The first read of a prefetched block is its first
			 * real use, not a re-reference: telling the policy
			 * would make every scanned block look hot. */
			x->e.prefetched = 0;
			sh->pc[sh->ops->id].prefetch_used++;
		} else if (!x->e.pinned) {
			sh->ops->hit(sh->pol, &x->e);
		}
		pthread_mutex_unlock(&sh->lock);
	} else {
		sh->pc[sh->ops->id].misses++;
		pthread_mutex_unlock(&sh->lock);
		GDB_TRY(load_block(c, si, contig, block, 0, &x));
	}
	*bases = x->e.bases;
	*n = x->e.n;
	*ref = x;
	return 0;
}

void gdb_cache_put(gdb_cache *c, gdb_cache_entry *ref)
{
	struct shard *sh;

	if (!ref)
		return;
	sh = &c->shards[ref->e.shard];
	pthread_mutex_lock(&sh->lock);
	if (--ref->e.refs == 0 && ref->transient) {
		ref->transient = 0;
		to_free_list(sh, ref);
	}
	pthread_mutex_unlock(&sh->lock);
}

int gdb_cache_read(gdb_cache *c, uint32_t contig, int64_t beg, int64_t end,
		   char *dst)
{
	const gdb_contig *ct = gdb_store_contig(c->store, contig);
	int64_t bb, advised = -1; /* blocks advised up to here */
	uint32_t last;

	if (!ct || beg < 0 || end > ct->length || beg > end)
		return -EINVAL;
	if (beg == end)
		return 0;
	bb = ct->block_bases;
	last = (uint32_t)((end - 1) / bb);
	while (beg < end) {
		uint32_t blk = (uint32_t)(beg / bb), n;
		if (blk < last && (int64_t)blk > advised) {
			advised = last - blk >= READ_ADVISE
				      ? blk + READ_ADVISE - 1
				      : last;
			advise_missing(c, contig, blk, (uint32_t)advised);
		}
		int64_t in = beg - (int64_t)blk * bb, take;
		const char *bases;
		gdb_cache_entry *ref;

		GDB_TRY(gdb_cache_get(c, contig, blk, &bases, &n, &ref));
		take = (int64_t)n - in;
		if (take > end - beg)
			take = end - beg;
		memcpy(dst, bases + in, (size_t)take);
		gdb_cache_put(c, ref);
		dst += take;
		beg += take;
	}
	return 0;
}

const gdb_store *gdb_cache_store(const gdb_cache *c)
{
	return c->store;
}

/* Re-insert drained entries into the shard's new policy. */
static void reinsert_cb(void *arg, gdb_centry *e)
{
	struct shard *sh = arg;

	memset(&e->prev, 0, sizeof(e->prev) * 2);
	e->plist = e->pfreq = 0;
	e->pspare = 0;
	sh->ops->insert(sh->pol, e);
}

int gdb_cache_set_policy(gdb_cache *c, const char *name)
{
	const gdb_policy_ops *ops = gdb_policy_find(name);
	void *fresh[NSHARDS];

	if (!ops)
		return -EINVAL;
	pthread_mutex_lock(&c->policy_lock);
	for (uint32_t i = 0; i < NSHARDS; i++) {
		fresh[i] = ops->create(shard_capacity(c));
		if (!fresh[i]) {
			while (i--)
				ops->destroy(fresh[i]);
			pthread_mutex_unlock(&c->policy_lock);
			return -ENOMEM;
		}
	}
	for (uint32_t i = 0; i < NSHARDS; i++) {
		struct shard *sh = &c->shards[i];
		const gdb_policy_ops *old = sh->ops;
		void *oldpol = sh->pol;
		/* drain from the old instance into the new, coldest first */
		pthread_mutex_lock(&sh->lock);
		sh->ops = ops;
		sh->pol = fresh[i];
		old->drain(oldpol, reinsert_cb, sh);
		old->destroy(oldpol);
		pthread_mutex_unlock(&sh->lock);
	}
	__atomic_store_n(&c->policy, ops, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&c->policy_lock);
	return 0;
}

int gdb_cache_set_budget(gdb_cache *c, uint64_t bytes)
{
	pthread_mutex_lock(&c->policy_lock);
	if (bytes < __atomic_load_n(&c->pinned, __ATOMIC_RELAXED) ||
	    bytes > GDB_CACHE_MAX_BUDGET) {
		pthread_mutex_unlock(&c->policy_lock);
		return -EINVAL;
	}
	__atomic_store_n(&c->budget, bytes, __ATOMIC_RELAXED);
	for (uint32_t i = 0; i < NSHARDS; i++) {
		struct shard *sh = &c->shards[i];
		pthread_mutex_lock(&sh->lock);
		sh->ops->set_capacity(sh->pol, shard_capacity(c));
		pthread_mutex_unlock(&sh->lock);
	}
	/* Evict down to the new budget, round robin over the shards, then
	 * answers if blocks were not enough. */
	for (uint32_t i = 0, fails = 0;
	     __atomic_load_n(&c->resident, __ATOMIC_RELAXED) > bytes &&
	     fails < NSHARDS;
	     i = (i + 1) % NSHARDS)
		fails = evict_one(c, i, 1) ? 0 : fails + 1;
	while (__atomic_load_n(&c->resident, __ATOMIC_RELAXED) > bytes &&
	       cache_answers_evict_one(c))
		;
	pthread_mutex_unlock(&c->policy_lock);
	return 0;
}

static int pin_range(gdb_cache *c, uint32_t contig, int64_t beg, int64_t end,
		     int pin)
{
	const gdb_contig *ct = gdb_store_contig(c->store, contig);
	uint64_t need = 0;

	if (!ct || beg < 0 || end > ct->length || beg >= end)
		return -EINVAL;
	if (pin) {
		/* Refuse up front rather than pin half a panel. */
		need = (uint64_t)((end - 1) / ct->block_bases -
				  beg / ct->block_bases + 1) *
		       c->bb;
		if (__atomic_load_n(&c->pinned, __ATOMIC_RELAXED) + need >
		    __atomic_load_n(&c->budget, __ATOMIC_RELAXED) / 10 * 9)
			return -ENOSPC;
	}
	for (int64_t b = beg / ct->block_bases;
	     b <= (end - 1) / ct->block_bases; b++) {
		uint64_t key = make_key(contig, (uint32_t)b);
		uint32_t si = key_hash(key) % NSHARDS;
		struct shard *sh = &c->shards[si];
		gdb_cache_entry *x = NULL;
		const char *bases;
		uint32_t n;

		if (pin)
			GDB_TRY(gdb_cache_get(c, contig, (uint32_t)b, &bases,
					      &n, &x));
		pthread_mutex_lock(&sh->lock);
		if (!pin)
			x = find_locked(sh, key);
		if (x && !x->transient) {
			if (pin && !x->e.pinned) {
				sh->ops->remove(sh->pol, &x->e);
				x->e.pinned = 1;
				x->e.prefetched = 0;
				__atomic_add_fetch(&c->pinned, c->bb,
						   __ATOMIC_RELAXED);
			} else if (!pin && x->e.pinned) {
				x->e.pinned = 0;
				memset(&x->e.prev, 0, sizeof(x->e.prev) * 2);
				sh->ops->insert(sh->pol, &x->e);
				__atomic_sub_fetch(&c->pinned, c->bb,
						   __ATOMIC_RELAXED);
			}
		}
		pthread_mutex_unlock(&sh->lock);
		if (pin)
			gdb_cache_put(c, x);
	}
	return 0;
}

int gdb_cache_pin(gdb_cache *c, uint32_t contig, int64_t beg, int64_t end)
{
	return pin_range(c, contig, beg, end, 1);
}

int gdb_cache_unpin(gdb_cache *c, uint32_t contig, int64_t beg, int64_t end)
{
	return pin_range(c, contig, beg, end, 0);
}

void gdb_cache_unpin_all(gdb_cache *c)
{
	for (uint32_t i = 0; i < NSHARDS; i++) {
		struct shard *sh = &c->shards[i];
		pthread_mutex_lock(&sh->lock);
		for (uint32_t h = 0; h <= sh->hmask; h++) {
			for (gdb_centry *e = sh->htab[h]; e; e = e->hnext) {
				if (!e->pinned)
					continue;
				e->pinned = 0;
				memset(&e->prev, 0, sizeof(e->prev) * 2);
				sh->ops->insert(sh->pol, e);
				__atomic_sub_fetch(&c->pinned, c->bb,
						   __ATOMIC_RELAXED);
			}
		}
		pthread_mutex_unlock(&sh->lock);
	}
}

/* ---- prefetch ---- */

int gdb_cache_prefetch(gdb_cache *c, uint32_t contig, int64_t beg, int64_t end)
{
	const gdb_contig *ct = gdb_store_contig(c->store, contig);
	int rc = 0;

	if (!ct || beg < 0 || beg >= end || end > ct->length)
		return -EINVAL;
	if (!__atomic_load_n(&c->pf_running, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	pthread_mutex_lock(&c->pf_lock);
	if (c->pf_tail - c->pf_head == PF_QUEUE) {
		rc = -EAGAIN;
	} else {
		struct pf_req *r = &c->pf_q[c->pf_tail++ % PF_QUEUE];
		r->contig = contig;
		r->first = (uint32_t)(beg / ct->block_bases);
		r->count =
		    (uint32_t)((end - 1) / ct->block_bases) - r->first + 1;
		pthread_cond_signal(&c->pf_cond);
	}
	pthread_mutex_unlock(&c->pf_lock);
	return rc;
}

static int resident(gdb_cache *c, uint32_t contig, uint32_t block)
{
	uint64_t key = make_key(contig, block);
	struct shard *sh = &c->shards[key_hash(key) % NSHARDS];
	int r;

	pthread_mutex_lock(&sh->lock);
	r = find_locked(sh, key) != NULL;
	pthread_mutex_unlock(&sh->lock);
	return r;
}

/*
 * Ask the kernel to read a batch of blocks' bytes ahead, all at once,
 * through io_uring (IORING_OP_MADVISE on the store's mapping, one request
 * per run of consecutive blocks); then the decodes below find the pages in
 * memory instead of faulting one by one. Without a ring, madvise directly.
 */
static void advise_batch(gdb_cache *c, uint32_t contig, const uint32_t *blk,
			 unsigned n)
{
	unsigned queued = 0;

	for (unsigned i = 0, j; i < n; i = j) {
		const void *p, *q;
		size_t len, qlen;
		struct io_uring_sqe *sqe;
		uintptr_t a, e;

		for (j = i + 1; j < n && blk[j] == blk[j - 1] + 1; j++)
			;
		if (!c->ring_ok) {
			gdb_store_advise(c->store, contig, blk[i], blk[j - 1]);
			continue;
		}
		if (gdb_store_block_span(c->store, contig, blk[i], &p, &len) <
			0 ||
		    gdb_store_block_span(c->store, contig, blk[j - 1], &q,
					 &qlen) < 0)
			continue;
		a = (uintptr_t)p & ~(uintptr_t)4095;
		e = ((uintptr_t)q + qlen + 4095) & ~(uintptr_t)4095;
		if (e <= a) /* not in file order: the first block alone */
			e = ((uintptr_t)p + len + 4095) & ~(uintptr_t)4095;
		sqe = io_uring_get_sqe(&c->ring);
		if (!sqe)
			break;
		/* The mapping is read-only; MADV_WILLNEED only reads it. */
		io_uring_prep_madvise(sqe, (void *)a, (off_t)(e - a),
				      MADV_WILLNEED);
		queued++;
	}
	if (!queued || io_uring_submit_and_wait(&c->ring, queued) < 0)
		return;
	for (unsigned i = 0; i < queued; i++) {
		struct io_uring_cqe *cqe;
		if (io_uring_wait_cqe(&c->ring, &cqe) < 0)
			break;
		io_uring_cqe_seen(&c->ring, cqe);
	}
}

/* Advise the blocks of [first, last] not resident, run by run (a reader
 * about to read them all; resident blocks need no disk). */
static void advise_missing(gdb_cache *c, uint32_t contig, uint32_t first,
			   uint32_t last)
{
	uint32_t run = UINT32_MAX;

	if (first > last)
		return;
	for (uint32_t b = first;; b++) {
		int need = !resident(c, contig, b);
		if (need && run == UINT32_MAX)
			run = b;
		if (!need && run != UINT32_MAX) {
			gdb_store_advise(c->store, contig, run, b - 1);
			run = UINT32_MAX;
		}
		if (b == last)
			break;
	}
	if (run != UINT32_MAX)
		gdb_store_advise(c->store, contig, run, last);
}

/* Is there a spare chunk? (The budget caps how many chunks get used.) */
static int spare_ready(gdb_cache *c)
{
	int r;

	pthread_mutex_lock(&c->arena_lock);
	r = c->spare != NULL;
	pthread_mutex_unlock(&c->arena_lock);
	return r;
}

/*
 * Keep a spare chunk ready (see arena_alloc). When making one fails (the
 * machine is out of memory), wait before trying again, 10 ms doubling up
 * to a second, rather than spinning on mmap: a new request or stop wakes
 * the thread earlier. @return the wait to apply next, in ms.
 */
static unsigned pf_spare(gdb_cache *c, unsigned backoff_ms)
{
	struct arena_chunk *ch;

	if (spare_ready(c))
		return 0;
	__atomic_add_fetch(&c->chunk_tries, 1, __ATOMIC_RELAXED);
	ch = chunk_new(c, 1);
	if (!ch)
		return backoff_ms ? (backoff_ms >= 500 ? 1000 : backoff_ms * 2)
				  : 10;
	pthread_mutex_lock(&c->arena_lock);
	if (!c->spare)
		c->spare = ch, ch = NULL;
	pthread_mutex_unlock(&c->arena_lock);
	if (ch) {
		munmap(ch->base, ARENA_CHUNK);
		free(ch);
	}
	return 0;
}

/* Under pf_lock: wait up to ms for a request or stop. */
static void pf_wait(gdb_cache *c, unsigned ms)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	t.tv_sec += ms / 1000 + t.tv_nsec / 1000000000L;
	t.tv_nsec %= 1000000000L;
	while (c->pf_head == c->pf_tail && !c->pf_stop &&
	       pthread_cond_timedwait(&c->pf_cond, &c->pf_lock, &t) == 0)
		;
}

static void pf_decode(gdb_cache *c, uint32_t contig, const uint32_t *blk,
		      unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t key = make_key(contig, blk[i]);
		(void)load_block(c, key_hash(key) % NSHARDS, contig, blk[i], 1,
				 NULL);
	}
}

/* One request: its blocks not resident, in batches; each batch is advised
 * before the one before it is decoded, so the disk reads while the CPU
 * decodes. */
static void pf_run(gdb_cache *c, const struct pf_req *r)
{
	uint32_t batch[2][PF_BATCH];
	unsigned n[2] = {0, 0}, cur = 0;

	for (uint32_t b = r->first; b < r->first + r->count; b++) {
		if (!resident(c, r->contig, b))
			batch[cur][n[cur]++] = b;
		if (n[cur] == PF_BATCH ||
		    (n[cur] && b + 1 == r->first + r->count)) {
			advise_batch(c, r->contig, batch[cur], n[cur]);
			pf_decode(c, r->contig, batch[!cur], n[!cur]);
			n[!cur] = 0;
			cur = !cur;
		}
	}
	pf_decode(c, r->contig, batch[!cur], n[!cur]);
}

static void *pf_main(void *arg)
{
	gdb_cache *c = arg;
	unsigned backoff_ms = 0;

	for (;;) {
		struct pf_req r;

		backoff_ms = pf_spare(c, backoff_ms);
		pthread_mutex_lock(&c->pf_lock);
		if (backoff_ms)
			pf_wait(c, backoff_ms);
		else
			while (c->pf_head == c->pf_tail && !c->pf_stop &&
			       spare_ready(c))
				pthread_cond_wait(&c->pf_cond, &c->pf_lock);
		if (c->pf_stop) {
			pthread_mutex_unlock(&c->pf_lock);
			return NULL;
		}
		if (c->pf_head == c->pf_tail) {
			pthread_mutex_unlock(&c->pf_lock);
			continue; /* woken to make a spare chunk, or to retry */
		}
		r = c->pf_q[c->pf_head++ % PF_QUEUE];
		pthread_mutex_unlock(&c->pf_lock);
		pf_run(c, &r);
	}
}

void gdb_cache_set_prefetch(gdb_cache *c, int enabled)
{
	__atomic_store_n(&c->pf_enabled, enabled ? 1 : 0, __ATOMIC_RELAXED);
}

void gdb_cache_stream_init(gdb_cache_stream *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_init(&st->lock, NULL);
	st->last_first = st->last_end = -2;
}

void gdb_cache_stream_destroy(gdb_cache_stream *st)
{
	pthread_mutex_destroy(&st->lock);
}

void gdb_cache_stream_access(gdb_cache *c, gdb_cache_stream *st,
			     uint32_t contig, uint32_t first, uint32_t last)
{
	const gdb_contig *ct = gdb_store_contig(c->store, contig);
	int64_t from = -1, to = -1, disk_from = 0, disk_to = 0;

	if (!ct)
		return;
	/* The read's own blocks, one disk request for those not resident
	 * (one block alone is advised by the store as it is decoded). */
	if (last > first)
		advise_missing(c, contig, first, last);
	if (!__atomic_load_n(&c->pf_enabled, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&st->lock);
	if (st->contig == contig && (int64_t)first >= st->last_first &&
	    (int64_t)first <= st->last_end + 1) {
		/* Sequential: the window doubles while the reader keeps up. */
		st->run++;
		st->window = st->window ? st->window * 2 : 1;
		if (st->window > PF_MAXWIN)
			st->window = PF_MAXWIN;
		from = (int64_t)last + 1 > st->ahead ? (int64_t)last + 1
						     : st->ahead;
		to = (int64_t)last + 1 + st->window;
		/* The disk runs further ahead than the decodes: cheap (page
		 * cache only), and a reader then never waits for the disk. */
		disk_to = (int64_t)last + 1 + st->window * PF_DISK_AHEAD;
		if (disk_to > ct->nblocks)
			disk_to = ct->nblocks;
		disk_from = st->advised > from ? st->advised : from;
		if (disk_to > disk_from)
			st->advised = disk_to;
	} else {
		int64_t stride = (int64_t)first - st->last_first;
		if (st->contig == contig && stride > 1 &&
		    stride == st->stride) {
			/* Constant stride: fetch the next step. */
			from = (int64_t)first + stride;
			to = (int64_t)last + stride + 1;
		}
		st->stride = stride;
		st->window = 0;
		st->run = 0;
		st->ahead = 0;
		st->advised = 0;
	}
	st->contig = contig;
	st->last_first = first;
	st->last_end = last;
	if (to > ct->nblocks)
		to = ct->nblocks;
	if (from >= 0 && from < to)
		st->ahead = to;
	pthread_mutex_unlock(&st->lock);
	if (disk_to > disk_from)
		gdb_store_advise(c->store, contig, (uint32_t)disk_from,
				 (uint32_t)(disk_to - 1));
	if (from >= 0 && from < to) {
		int64_t end = to * (int64_t)ct->block_bases;
		if (end > ct->length)
			end = ct->length;
		(void)gdb_cache_prefetch(c, contig, from * ct->block_bases,
					 end);
	}
}

void cache_test_fail_chunks(gdb_cache *c, int on)
{
	__atomic_store_n(&c->test_fail_chunks, on, __ATOMIC_RELAXED);
	pthread_mutex_lock(&c->pf_lock);
	pthread_cond_signal(&c->pf_cond);
	pthread_mutex_unlock(&c->pf_lock);
}

uint64_t cache_test_chunk_tries(gdb_cache *c)
{
	return __atomic_load_n(&c->chunk_tries, __ATOMIC_RELAXED);
}
