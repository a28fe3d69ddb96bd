/*
 * cache/cache.c - the cache core: entries, shards and the byte budget.
 * Replacement decisions belong to the policies (cache/policy_*.c,
 * interface in cache_int.h); policy switches and pins to control.c; the
 * prefetch thread and the streams to prefetch.c; the counters and their
 * report to metrics.c; computed answers, which share the budget, to
 * answer.c. A block's .u8 codes are an entry of their own beside its bases
 * (cache_int.h U8_FORM).
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
#include "codecs/codecs.h"

_Static_assert(GDB_CACHE_NPOLICIES == GDB_NPOLICIES,
	       "public and internal policy counts differ");

static gdb_cache_entry *X(gdb_centry *e)
{
	return (gdb_cache_entry *)e;
}

/* Block block of cache id cid into buf: its bases (checked and decoded by
 * the store), for a .u8 id then turned into codes in place. @return the
 * number of bases, or a gdb_store_block_decode() error. */
static int decode_block(gdb_cache *c, uint32_t cid, uint32_t block, char *buf)
{
	const gdb_store *s = c->store;
	int rc = gdb_store_block_decode(s, real_contig(cid), block, buf, c->bb);

	if (rc > 0 && (cid & U8_FORM))
		gdb_alphabet_to_u8(
		    gdb_store_assembly(
			s, gdb_store_contig(s, real_contig(cid))->asm_index)
			->alphabet,
		    buf, (size_t)rc, (uint8_t *)buf);
	return rc;
}

const char *gdb_cache_policy_name(unsigned i)
{
	return i < GDB_NPOLICIES ? gdb_policies[i]->name : NULL;
}

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

gdb_cache_entry *cache_find_locked(struct shard *sh, uint64_t key)
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
		x = cache_find_locked(sh, key);
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
	gdb_cache_entry *other = cache_find_locked(sh, key);

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

int cache_load_block(gdb_cache *c, uint32_t si, uint32_t contig, uint32_t block,
		     int prefetch, gdb_cache_entry **out)
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
	rc = x ? decode_block(c, contig, block, x->e.bases) : -ENOMEM;
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

/* Borrow the entry of block of cache id cid, loading it on a miss. */
static int get_entry(gdb_cache *c, uint32_t cid, uint32_t block,
		     gdb_cache_entry **ref)
{
	uint64_t key = make_key(cid, block);
	uint32_t si = key_hash(key) % NSHARDS;
	struct shard *sh = &c->shards[si];
	gdb_cache_entry *x;

	pthread_mutex_lock(&sh->lock);
	x = cache_find_locked(sh, key);
	if (x) {
		borrow(sh, x);
		sh->pc[sh->ops->id].hits++;
		pthread_mutex_unlock(&sh->lock);
	} else {
		sh->pc[sh->ops->id].misses++;
		pthread_mutex_unlock(&sh->lock);
		GDB_TRY(cache_load_block(c, si, cid, block, 0, &x));
	}
	*ref = x;
	return 0;
}

int gdb_cache_get(gdb_cache *c, uint32_t contig, uint32_t block,
		  const char **bases, uint32_t *n, gdb_cache_entry **ref)
{
	if (contig & U8_FORM)
		return -EINVAL;
	GDB_TRY(get_entry(c, contig, block, ref));
	*bases = (*ref)->e.bases;
	*n = (*ref)->e.n;
	return 0;
}

int gdb_cache_get_u8(gdb_cache *c, uint32_t contig, uint32_t block,
		     const uint8_t **codes, uint32_t *n, gdb_cache_entry **ref)
{
	if (contig & U8_FORM)
		return -EINVAL;
	GDB_TRY(get_entry(c, contig | U8_FORM, block, ref));
	*codes = (const uint8_t *)(*ref)->e.bases;
	*n = (*ref)->e.n;
	return 0;
}

/* Under sh->lock: may a touch of key, neither resident nor being decoded,
 * be served in part? Counts it in its set; once key has been served in
 * part PART_TOUCHES times, forgets it and says no (cache it whole). A key
 * not in its set goes in first, the others moving down a way: the free
 * slot nearest the front, or the oldest key, is what they cover. */
int cache_seen_part(struct shard *sh, uint64_t key)
{
	uint32_t base = (key_hash(key) >> 8) % SEEN_SETS * SEEN_WAYS, w;
	uint64_t *set = &sh->seen[base];
	uint8_t *n = &sh->seen_n[base];

	for (w = 0; w < SEEN_WAYS; w++) {
		if (set[w] != key + 1)
			continue;
		if (n[w] < PART_TOUCHES) {
			n[w]++;
			return 1;
		}
		set[w] = 0;
		return 0;
	}
	for (w = 0; w < SEEN_WAYS - 1 && set[w]; w++)
		;
	memmove(set + 1, set, w * sizeof(*set));
	memmove(n + 1, n, w);
	set[0] = key + 1;
	n[0] = 1;
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
	/* resident, being decoded by another thread, or touched enough */
	whole = cache_find_locked(sh, key) || loading_has(sh, key) ||
		!cache_seen_part(sh, key);
	if (!whole) {
		sh->pc[sh->ops->id].misses++;
		sh->parts++;
		sh->part_bases += to - from;
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
		sh->parts--; /* not served (still a miss, as a failed decode) */
		sh->part_bases -= to - from;
		pthread_mutex_unlock(&sh->lock);
		return rc;
	}
	*bases = part;
	*lo = from;
	*hi = to;
	*ref = NULL;
	return 0;
}

void cache_pass_locked(gdb_cache *c, struct shard *sh, gdb_cache_entry *x)
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
			cache_pass_locked(c, sh, ref);
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
			cache_advise_missing(c, contig, blk, (uint32_t)advised);
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
