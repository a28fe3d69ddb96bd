/*
 * cache/cache.c - the cache core: entries, shards, the byte budget and the
 * prefetch thread. Replacement decisions belong to the policies
 * (cache/policy_*.c, interface in cache_int.h); policy switches and pins
 * to control.c; the counters and their report to metrics.c; computed
 * answers, which share the budget, to answer.c.
 *
 * Entry life cycle (all transitions under the entry's shard lock):
 *   absent -> resident: a miss reserves room, decodes unlocked, inserts
 *   resident -> resident: a hit (refs++, policy->hit)
 *   resident <-> pinned: gdb_cache_pin / unpin (policy->remove / insert)
 *   resident -> pool: refs == 0, make_room's policy->evict
 *   resident -> pool: refs == 0, used at most twice, and a long sequential
 *     read has passed it (policy->remove)
 * (the pool: free buffers, reused by the next miss; buffers.c)
 *
 * The budget is global: c->resident counts the bytes of every cached block
 * and is only ever raised by make_room(), which first evicts (from the
 * inserting shard, then the others) until the new block fits. So resident
 * never exceeds the budget. A miss that finds nothing evictable is served
 * from a transient buffer and not cached ("uncached").
 *
 * Buffers of evicted entries go to one pool (buffers.c) and are reused:
 * in this VM a fresh 64 KiB allocation costs page faults that dwarf the
 * decode itself, so the cache allocates only while it grows. A long
 * sequential reader gives back the blocks it has passed (kept only if
 * another reader used them too): the kernel's page cache holds what it
 * read, and a scan then runs in a few warm buffers instead of faulting in
 * fresh memory for every block until the budget is full.
 */
#include "cache/cache.h"

#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>

#include "cache/cache_int.h"
#include "cache/shard_int.h"

_Static_assert(GDB_CACHE_NPOLICIES == GDB_NPOLICIES,
	       "public and internal policy counts differ");

static gdb_cache_entry *X(gdb_centry *e)
{
	return (gdb_cache_entry *)e;
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
/* A sequential run gives back the blocks it passed from its fourth read
 * on (a whole small file read in a few requests stays cached), those used
 * at most twice. */
#define PASS_RUN 3
#define PASS_USES 2

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
	pthread_mutex_init(&c->pool_lock, NULL);
	pthread_mutex_init(&c->pf_lock, NULL);
	pthread_cond_init(&c->pf_cond, NULL);
	for (uint32_t i = 0; i < NSHARDS; i++) {
		struct shard *sh = &c->shards[i];
		pthread_mutex_init(&sh->lock, NULL);
		pthread_cond_init(&sh->loaded, NULL);
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
	__atomic_store_n(&c->pf_stop, 0, __ATOMIC_RELAXED); /* a restart */
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

static void drop_cb(void *arg, gdb_centry *e)
{
	(void)arg;
	(void)e; /* entries are freed from the hash below */
}

void gdb_cache_stop_prefetch(gdb_cache *c)
{
	if (c->pf_running) {
		pthread_mutex_lock(&c->pf_lock);
		__atomic_store_n(&c->pf_stop, 1, __ATOMIC_RELAXED);
		pthread_cond_signal(&c->pf_cond);
		pthread_mutex_unlock(&c->pf_lock);
		pthread_join(c->pf_thread, NULL);
		__atomic_store_n(&c->pf_running, 0, __ATOMIC_RELEASE);
	}
	if (c->ring_ok)
		io_uring_queue_exit(&c->ring);
	c->ring_ok = 0;
}

void gdb_cache_destroy(gdb_cache *c)
{
	if (!c)
		return;
	gdb_cache_stop_prefetch(c);
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
				free(X(e));
				e = nx;
			}
		}
		free(sh->htab);
		pthread_mutex_destroy(&sh->lock);
		pthread_cond_destroy(&sh->loaded);
	}
	cache_buf_destroy(c);
	pthread_mutex_destroy(&c->arena_lock);
	pthread_mutex_destroy(&c->pool_lock);
	pthread_mutex_destroy(&c->policy_lock);
	pthread_mutex_destroy(&c->pf_lock);
	cache_answers_destroy(&c->ans);
	pthread_cond_destroy(&c->pf_cond);
	free(c);
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
		hash_remove(sh, X(v));
		sh->pc[sh->ops->id].evictions++;
		if (v->prefetched)
			sh->pc[sh->ops->id].prefetch_wasted++;
	}
	pthread_mutex_unlock(&sh->lock);
	if (!v)
		return 0;
	__atomic_sub_fetch(&c->resident, c->bb, __ATOMIC_RELAXED);
	cache_buf_give(c, X(v), release);
	return 1;
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

/* Insert x, just decoded (n bases), as key's resident entry. */
static void insert_new(struct shard *sh, gdb_cache_entry *x, uint64_t key,
		       uint32_t n, uint32_t si, int prefetch)
{
	memset(&x->e.prev, 0, sizeof(x->e.prev) * 2);
	x->e.key = key;
	x->e.n = n;
	x->e.shard = (uint16_t)si;
	x->e.refs = 0;
	x->e.pinned = 0;
	x->e.prefetched = (uint8_t)prefetch;
	x->transient = 0;
	x->pass = 0;
	x->uses = prefetch ? 0 : 1;
	hash_insert(sh, x);
	sh->ops->insert(sh->pol, &x->e);
	if (prefetch)
		sh->pc[sh->ops->id].prefetch_issued++;
}

static void note_use(gdb_cache_entry *x)
{
	if (x->uses < UINT8_MAX)
		x->uses++;
}

/* Under sh->lock: a reader's use of resident x, told to the policy. */
static void touch(struct shard *sh, gdb_cache_entry *x)
{
	note_use(x);
	if (x->e.prefetched) {
		/* The first read of a prefetched block is its first real use,
		 * not a re-reference: telling the policy would make every
		 * scanned block look hot. */
		x->e.prefetched = 0;
		sh->pc[sh->ops->id].prefetch_used++;
	} else if (!x->e.pinned) {
		sh->ops->hit(sh->pol, &x->e);
	}
}

/* Under sh->lock: borrow resident x for a reader. */
static void borrow(struct shard *sh, gdb_cache_entry *x)
{
	x->e.refs++;
	touch(sh, x);
}

/* Under sh->lock: mark key as being decoded; 0 if every slot is taken
 * (the load then goes unmarked: a second decode, never a wrong one). */
static int loading_add(struct shard *sh, uint64_t key)
{
	for (unsigned i = 0; i < NLOADING; i++)
		if (!sh->loading[i]) {
			sh->loading[i] = key + 1;
			return 1;
		}
	return 0;
}

static int loading_has(const struct shard *sh, uint64_t key)
{
	for (unsigned i = 0; i < NLOADING; i++)
		if (sh->loading[i] == key + 1)
			return 1;
	return 0;
}

static void loading_done(struct shard *sh, uint64_t key)
{
	for (unsigned i = 0; i < NLOADING; i++)
		if (sh->loading[i] == key + 1)
			sh->loading[i] = 0;
	pthread_cond_broadcast(&sh->loaded);
}

/*
 * Under sh->lock: key's resident entry, waiting while another thread
 * decodes it; NULL if it is neither resident nor being decoded (the
 * caller decodes it). A prefetch does not wait: *busy says it is being
 * decoded.
 */
static gdb_cache_entry *settle(struct shard *sh, uint64_t key, int prefetch,
			       int *busy)
{
	gdb_cache_entry *x;

	*busy = 0;
	for (;;) {
		x = find_locked(sh, key);
		if (x || !loading_has(sh, key))
			return x;
		if (prefetch) {
			*busy = 1;
			return NULL;
		}
		pthread_cond_wait(&sh->loaded, &sh->lock);
	}
}

/* After a decode (rc bases, or an error), under sh->lock: insert x, or
 * serve it once uncached, or find another thread's copy. @return the
 * entry to hand out (NULL: none), *spare a buffer for the pool. */
static gdb_cache_entry *place(gdb_cache *c, struct shard *sh, uint32_t si,
			      gdb_cache_entry *x, uint64_t key, int rc,
			      int reserved, int prefetch,
			      gdb_cache_entry **spare)
{
	gdb_cache_entry *other = find_locked(sh, key);

	*spare = NULL;
	if (reserved && !other) {
		insert_new(sh, x, key, (uint32_t)rc, si, prefetch);
		return x;
	}
	if (reserved)
		__atomic_sub_fetch(&c->resident, c->bb, __ATOMIC_RELAXED);
	*spare = x;
	if (other) {
		/* Another thread's copy, perhaps prefetched or pinned since:
		 * told to the policy as borrow() tells it (a pinned entry is
		 * off the policy's lists). */
		if (!prefetch)
			touch(sh, other);
		return other;
	}
	/* Nothing evictable: serve it once, uncached. */
	sh->uncached++;
	if (prefetch)
		return NULL;
	*spare = NULL;
	x->transient = 1;
	x->e.key = key;
	x->e.n = (uint32_t)rc;
	x->e.shard = (uint16_t)si;
	return x;
}

/*
 * Load a block (demand miss or prefetch): reserve, decode unlocked, then
 * insert unless another thread inserted it first. With out set the
 * result is returned borrowed (refs 1).
 */
static int load_block(gdb_cache *c, uint32_t si, uint32_t contig,
		      uint32_t block, int prefetch, gdb_cache_entry **out)
{
	struct shard *sh = &c->shards[si];
	uint64_t key = make_key(contig, block);
	gdb_cache_entry *x, *spare;
	int reserved, rc, busy, marked;

	pthread_mutex_lock(&sh->lock);
	x = settle(sh, key, prefetch, &busy);
	if (x || busy) {
		if (x && out) {
			borrow(sh, x);
			*out = x;
		}
		pthread_mutex_unlock(&sh->lock);
		return 0;
	}
	marked = loading_add(sh, key);
	/* Tell the policy first: ARC's REPLACE, run by the evictions in
	 * make_room, depends on whether this key was a ghost. Policies keep
	 * the answer per key until insert (the decode below is unlocked). */
	sh->ops->miss(sh->pol, key);
	pthread_mutex_unlock(&sh->lock);
	x = cache_buf_take(c);
	reserved = x ? make_room(c, si) : 0;
	rc = x ? gdb_store_block_decode(c->store, contig, block, x->e.bases,
					c->bb)
	       : -ENOMEM;
	pthread_mutex_lock(&sh->lock);
	if (marked)
		loading_done(sh, key);
	if (rc < 0) {
		sh->errors += rc != -ENOMEM;
		pthread_mutex_unlock(&sh->lock);
		if (reserved)
			__atomic_sub_fetch(&c->resident, c->bb,
					   __ATOMIC_RELAXED);
		if (x)
			cache_buf_give(c, x, 0);
		return rc;
	}
	sh->pc[sh->ops->id].bytes_decoded += (uint64_t)rc;
	x = place(c, sh, si, x, key, rc, reserved, prefetch, &spare);
	if (out && x) {
		x->e.refs++;
		*out = x;
	}
	pthread_mutex_unlock(&sh->lock);
	if (spare)
		cache_buf_give(c, spare, 0);
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
		borrow(sh, x);
		sh->pc[sh->ops->id].hits++;
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

/* Under sh->lock: was key served in part lately? Forgets it (it is about
 * to be cached whole, or served in part again and remembered again). */
static int seen_take(struct shard *sh, uint64_t key)
{
	uint64_t *slot = &sh->seen[(key_hash(key) >> 8) % SEEN_SLOTS];

	if (*slot != key + 1)
		return 0;
	*slot = 0;
	return 1;
}

int gdb_cache_get_part(gdb_cache *c, uint32_t contig, uint32_t block,
		       uint32_t from, uint32_t to, char *part,
		       const char **bases, uint32_t *lo, uint32_t *hi,
		       gdb_cache_entry **ref)
{
	const gdb_contig *ct = gdb_store_contig(c->store, contig);
	uint64_t key = make_key(contig, block);
	uint32_t si = key_hash(key) % NSHARDS, n;
	struct shard *sh = &c->shards[si];
	int64_t beg;
	int rc, whole;

	if (!ct || block >= ct->nblocks || from >= to)
		return -EINVAL;
	beg = (int64_t)block * ct->block_bases;
	n = ct->length - beg < ct->block_bases ? (uint32_t)(ct->length - beg)
					       : ct->block_bases;
	if (to > n)
		to = n;
	if (from >= to)
		return -EINVAL;
	pthread_mutex_lock(&sh->lock);
	/* resident, being decoded by another thread, or touched before */
	whole =
	    find_locked(sh, key) || loading_has(sh, key) || seen_take(sh, key);
	if (!whole) {
		sh->seen[(key_hash(key) >> 8) % SEEN_SLOTS] = key + 1;
		sh->pc[sh->ops->id].misses++;
		sh->parts++;
	}
	pthread_mutex_unlock(&sh->lock);
	if (whole) {
		GDB_TRY(gdb_cache_get(c, contig, block, bases, hi, ref));
		*lo = 0;
		return 0;
	}
	rc = gdb_store_read(c->store, contig, beg + from, beg + to, part);
	if (rc < 0) {
		pthread_mutex_lock(&sh->lock);
		sh->errors += rc != -ENOMEM;
		pthread_mutex_unlock(&sh->lock);
		return rc;
	}
	*bases = part;
	*lo = from;
	*hi = to;
	*ref = NULL;
	return 0;
}

/* May a stream give x back (under its shard's lock)? Not if pinned or
 * another reader used it (a block a read ends in is used again by the
 * next read; a third use is another reader's). */
static int passable(const gdb_cache_entry *x)
{
	return !x->e.pinned && x->uses <= PASS_USES;
}

/* Under sh->lock: take x, passed, out of the cache; the caller gives its
 * buffer back once unlocked. No ghost history: passing is not the
 * policy's choice. A block prefetched and never read counts as wasted. */
static void pass_locked(gdb_cache *c, struct shard *sh, gdb_cache_entry *x)
{
	sh->ops->remove(sh->pol, &x->e);
	hash_remove(sh, x);
	sh->passed++;
	if (x->e.prefetched)
		sh->pc[sh->ops->id].prefetch_wasted++;
	__atomic_sub_fetch(&c->resident, c->bb, __ATOMIC_RELAXED);
}

void gdb_cache_put(gdb_cache *c, gdb_cache_entry *ref)
{
	struct shard *sh;
	int back = 0;

	if (!ref)
		return;
	sh = &c->shards[ref->e.shard];
	pthread_mutex_lock(&sh->lock);
	if (--ref->e.refs == 0 && ref->transient) {
		ref->transient = 0;
		back = 1;
	} else if (ref->e.refs == 0 && ref->pass) {
		/* a stream passed it while a reply still held it */
		ref->pass = 0;
		back = passable(ref);
		if (back)
			pass_locked(c, sh, ref);
	}
	pthread_mutex_unlock(&sh->lock);
	if (back)
		cache_buf_give(c, ref, 0);
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
	cache_buf_trim(c);
	pthread_mutex_unlock(&c->policy_lock);
	return 0;
}

/* ---- prefetch ---- */

static int prefetch_req(gdb_cache *c, uint32_t contig, int64_t beg, int64_t end,
			int stream)
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
		r->stream = stream;
		pthread_cond_signal(&c->pf_cond);
	}
	pthread_mutex_unlock(&c->pf_lock);
	return rc;
}

int gdb_cache_prefetch(gdb_cache *c, uint32_t contig, int64_t beg, int64_t end)
{
	return prefetch_req(c, contig, beg, end, 0);
}

/* Streams gave back blocks [lo, hi) of contig: continue the mark that
 * ends at lo, or take the oldest slot. */
static void mark_passed(gdb_cache *c, uint32_t contig, uint32_t lo, uint32_t hi)
{
	struct pass_mark *m = NULL;

	pthread_mutex_lock(&c->pf_lock);
	for (unsigned i = 0; i < PASS_MARKS && !m; i++)
		if (c->marks[i].contig == contig && c->marks[i].hi == lo &&
		    c->marks[i].hi > c->marks[i].lo)
			m = &c->marks[i];
	if (m) {
		m->hi = hi;
	} else {
		m = &c->marks[c->mark_next++ % PASS_MARKS];
		*m = (struct pass_mark){contig, lo, hi};
	}
	pthread_mutex_unlock(&c->pf_lock);
}

/* A stream starts a run at block first of contig: it wants blocks from
 * there on prefetched again. */
static void unmark_from(gdb_cache *c, uint32_t contig, uint32_t first)
{
	pthread_mutex_lock(&c->pf_lock);
	for (unsigned i = 0; i < PASS_MARKS; i++) {
		struct pass_mark *m = &c->marks[i];
		if (m->contig == contig && m->hi > first)
			m->hi = m->lo > first ? m->lo : first;
	}
	pthread_mutex_unlock(&c->pf_lock);
}

static int was_passed(gdb_cache *c, uint32_t contig, uint32_t b)
{
	int r = 0;

	pthread_mutex_lock(&c->pf_lock);
	for (unsigned i = 0; i < PASS_MARKS && !r; i++)
		r = c->marks[i].contig == contig && b >= c->marks[i].lo &&
		    b < c->marks[i].hi;
	pthread_mutex_unlock(&c->pf_lock);
	return r;
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

/* Asked to stop (gdb_cache_stop_prefetch): the thread leaves the request
 * in hand at the next block, so an unmount waits for one block's read and
 * decode, not for the rest of a whole contig (`prefetch-region=` of a
 * 6.7 Gbp contig held a daemon 12.8 s past its unmount). */
static int pf_stopping(gdb_cache *c)
{
	return __atomic_load_n(&c->pf_stop, __ATOMIC_RELAXED);
}

static void pf_decode(gdb_cache *c, uint32_t contig, const uint32_t *blk,
		      unsigned n)
{
	for (unsigned i = 0; i < n && !pf_stopping(c); i++) {
		uint64_t key = make_key(contig, blk[i]);
		(void)load_block(c, key_hash(key) % NSHARDS, contig, blk[i], 1,
				 NULL);
	}
}

/* One request: its blocks not resident, in batches; each batch is advised
 * before the one before it is decoded, so the disk reads while the CPU
 * decodes. A stream's request is not advised again: the stream asked the
 * disk for PF_DISK_AHEAD windows already (gdb_cache_stream_access), and
 * an IORING_OP_MADVISE runs on an io_uring worker thread this thread then
 * waits for, two task switches a batch for nothing (docs/CACHE.md). */
static void pf_run(gdb_cache *c, const struct pf_req *r)
{
	uint32_t batch[2][PF_BATCH];
	unsigned n[2] = {0, 0}, cur = 0;

	for (uint32_t b = r->first; b < r->first + r->count && !pf_stopping(c);
	     b++) {
		if (!resident(c, r->contig, b) &&
		    !(r->stream && was_passed(c, r->contig, b)))
			batch[cur][n[cur]++] = b;
		if (n[cur] == PF_BATCH ||
		    (n[cur] && b + 1 == r->first + r->count)) {
			if (!r->stream) {
				advise_batch(c, r->contig, batch[cur], n[cur]);
				__atomic_add_fetch(&c->pf_advised, n[cur],
						   __ATOMIC_RELAXED);
			}
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

	(void)prctl(PR_SET_NAME, "gdb-prefetch"); /* for top and perf */
	for (;;) {
		struct pf_req r;

		backoff_ms = cache_buf_keep_spare(c, backoff_ms);
		pthread_mutex_lock(&c->pf_lock);
		if (backoff_ms)
			pf_wait(c, backoff_ms);
		else
			while (c->pf_head == c->pf_tail && !c->pf_stop &&
			       cache_buf_spare_ready(c))
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

/*
 * Give back blocks [lo, hi) of contig, which a long sequential read has
 * passed, unless pinned or used by another reader (passable). A block
 * still borrowed (a reply written from it is in flight) goes at its last
 * put instead.
 */
static void release_passed(gdb_cache *c, uint32_t contig, int64_t lo,
			   int64_t hi)
{
	mark_passed(c, contig, (uint32_t)lo, (uint32_t)hi);
	for (int64_t b = lo; b < hi; b++) {
		uint64_t key = make_key(contig, (uint32_t)b);
		struct shard *sh = &c->shards[key_hash(key) % NSHARDS];
		gdb_cache_entry *x;

		pthread_mutex_lock(&sh->lock);
		x = find_locked(sh, key);
		if (x && !passable(x))
			x = NULL;
		if (x && x->e.refs) {
			x->pass = 1;
			x = NULL;
		}
		if (x)
			pass_locked(c, sh, x);
		pthread_mutex_unlock(&sh->lock);
		if (x)
			cache_buf_give(c, x, 0);
	}
}

void gdb_cache_stream_access(gdb_cache *c, gdb_cache_stream *st,
			     uint32_t contig, uint32_t first, uint32_t last)
{
	const gdb_contig *ct = gdb_store_contig(c->store, contig);
	int64_t from = -1, to = -1, disk_from = 0, disk_to = 0;
	int64_t pass_from = 0, pass_to = 0;
	int new_run = 0, seq = 0;

	if (!ct)
		return;
	/* The read's own blocks, one disk request for those not resident
	 * (one block alone is advised by the store as it is decoded). */
	if (last > first)
		advise_missing(c, contig, first, last);
	pthread_mutex_lock(&st->lock);
	if (st->contig == contig && st->run > 0 &&
	    (int64_t)first >= st->passed && (int64_t)first < st->last_first) {
		/* A read of this run that a worker started after the next
		 * one (the kernel sends a few at once): nothing changes. */
		pthread_mutex_unlock(&st->lock);
		return;
	}
	/* Sequential: from inside the last read up to the window past it
	 * (a read that overtook the one before it continues the run). */
	if (st->contig == contig && (int64_t)first >= st->last_first &&
	    (int64_t)first <= st->last_end + 1 + st->window) {
		/* The window doubles while the reader keeps up. */
		seq = 1;
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
		/* A long run gives back what it has passed: the blocks before
		 * the read before the last (that one may still be in flight
		 * on another worker). */
		if (st->run >= PASS_RUN && st->prev_first > st->passed) {
			pass_from = st->passed;
			pass_to = st->prev_first;
			st->passed = st->prev_first;
		}
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
		st->passed = first;
		new_run = 1;
	}
	st->contig = contig;
	st->prev_first = st->last_first;
	st->last_first = first;
	st->last_end = last;
	if (to > ct->nblocks)
		to = ct->nblocks;
	if (from >= 0 && from < to)
		st->ahead = to;
	pthread_mutex_unlock(&st->lock);
	if (new_run)
		unmark_from(c, contig, first);
	/* Passing does not depend on prefetch; reading ahead does. */
	if (pass_to > pass_from)
		release_passed(c, contig, pass_from, pass_to);
	if (!__atomic_load_n(&c->pf_enabled, __ATOMIC_RELAXED))
		return;
	if (disk_to > disk_from)
		gdb_store_advise(c->store, contig, (uint32_t)disk_from,
				 (uint32_t)(disk_to - 1));
	if (from >= 0 && from < to) {
		int64_t end = to * (int64_t)ct->block_bases;
		if (end > ct->length)
			end = ct->length;
		/* A sequential run has asked the disk for these blocks
		 * already (disk_to above); a stride has not, so its request
		 * goes as a plain one, advised by the prefetch thread. */
		(void)prefetch_req(c, contig, from * ct->block_bases, end, seq);
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
