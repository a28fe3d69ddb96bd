/*
 * cache/cache.c - a sharded LRU of decoded blocks (see cache.h for the
 * contract).
 *
 * Entry life cycle, per shard (all transitions under shard->lock):
 *
 *   absent --gdb_cache_get miss: decode outside the lock, then insert--> resident
 *   resident --get hit: refs++, move to LRU head--> resident (borrowed)
 *   borrowed --gdb_cache_put: refs-----------------> resident
 *   resident, refs == 0, over budget --evict_locked--> on the shard's free list
 *
 * Buffers of evicted entries are kept on a per-shard free list and reused:
 * in this VM a fresh 64 KiB allocation costs page faults that dwarf the
 * decode itself, so the cache allocates only while it grows.
 */
#include "cache/cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#define NSHARDS 16u

struct gdb_cache_entry {
	uint64_t key;
	gdb_cache_entry *hnext;		/* hash chain */
	gdb_cache_entry *prev, *next;	/* LRU list, head = most recent */
	uint32_t refs;			/* protected by shard->lock */
	uint32_t n;
	uint32_t shard;
	char *bases;
};

struct shard {
	pthread_mutex_t lock;
	gdb_cache_entry **htab;		/* protected by lock */
	uint32_t hmask;
	uint32_t count;
	gdb_cache_entry head;		/* LRU sentinel */
	gdb_cache_entry *free_list;	/* reusable entries (next-linked) */
	uint64_t resident, budget;
	uint64_t hits, misses, evictions, decoded, errors;
};

struct gdb_cache {
	const gdb_store *store;
	size_t block_bytes;
	uint64_t budget;
	struct shard shards[NSHARDS];
};

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

int gdb_cache_create(const gdb_store *store, size_t budget, gdb_cache **out)
{
	gdb_cache *c = calloc(1, sizeof(*c));
	uint32_t maxbb = 0;

	if (!c)
		return -ENOMEM;
	for (uint32_t i = 0; i < gdb_store_ncontigs(store); i++) {
		uint32_t bb = gdb_store_contig(store, i)->block_bases;
		if (bb > maxbb)
			maxbb = bb;
	}
	c->store = store;
	c->block_bytes = maxbb ? maxbb : 1;
	c->budget = budget;
	for (uint32_t i = 0; i < NSHARDS; i++) {
		struct shard *sh = &c->shards[i];
		uint64_t per = budget / NSHARDS;
		pthread_mutex_init(&sh->lock, NULL);
		sh->head.prev = sh->head.next = &sh->head;
		sh->budget = per > c->block_bytes ? per : c->block_bytes;
		sh->hmask = 255;
		sh->htab = calloc(sh->hmask + 1, sizeof(*sh->htab));
		if (!sh->htab) {
			gdb_cache_destroy(c);
			return -ENOMEM;
		}
	}
	*out = c;
	return 0;
}

static void free_chain(gdb_cache_entry *e, int via_next)
{
	while (e) {
		gdb_cache_entry *nx = via_next ? e->next : e->hnext;
		free(e->bases);
		free(e);
		e = nx;
	}
}

void gdb_cache_destroy(gdb_cache *c)
{
	if (!c)
		return;
	for (uint32_t i = 0; i < NSHARDS; i++) {
		struct shard *sh = &c->shards[i];
		if (sh->htab)
			for (uint32_t h = 0; h <= sh->hmask; h++)
				free_chain(sh->htab[h], 0);
		free_chain(sh->free_list, 1);
		free(sh->htab);
		pthread_mutex_destroy(&sh->lock);
	}
	free(c);
}

static void lru_unlink(gdb_cache_entry *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
}

static void lru_push(struct shard *sh, gdb_cache_entry *e)
{
	e->next = sh->head.next;
	e->prev = &sh->head;
	sh->head.next->prev = e;
	sh->head.next = e;
}

static gdb_cache_entry *find_locked(struct shard *sh, uint64_t key)
{
	gdb_cache_entry *e = sh->htab[key_hash(key) & sh->hmask];

	while (e && e->key != key)
		e = e->hnext;
	return e;
}

static void hash_remove(struct shard *sh, gdb_cache_entry *e)
{
	gdb_cache_entry **pp = &sh->htab[key_hash(e->key) & sh->hmask];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
}

static void grow_locked(struct shard *sh)
{
	uint32_t size = (sh->hmask + 1) * 2;
	gdb_cache_entry **n = calloc(size, sizeof(*n));

	if (!n)
		return; /* longer chains, still correct */
	for (uint32_t h = 0; h <= sh->hmask; h++) {
		gdb_cache_entry *e = sh->htab[h];
		while (e) {
			gdb_cache_entry *nx = e->hnext;
			uint32_t b = key_hash(e->key) & (size - 1);
			e->hnext = n[b];
			n[b] = e;
			e = nx;
		}
	}
	free(sh->htab);
	sh->htab = n;
	sh->hmask = size - 1;
}

/* Evict unborrowed entries from the LRU tail until within budget. */
static void evict_locked(struct shard *sh, size_t block_bytes)
{
	gdb_cache_entry *e = sh->head.prev;

	while (sh->resident > sh->budget && e != &sh->head) {
		gdb_cache_entry *pv = e->prev;
		if (e->refs == 0) {
			lru_unlink(e);
			hash_remove(sh, e);
			sh->count--;
			sh->resident -= block_bytes;
			sh->evictions++;
			e->next = sh->free_list;
			sh->free_list = e;
		}
		e = pv;
	}
}

int gdb_cache_get(gdb_cache *c, uint32_t contig, uint32_t block,
		  const char **bases, uint32_t *n, gdb_cache_entry **ref)
{
	uint64_t key = make_key(contig, block);
	uint32_t si = key_hash(key) % NSHARDS;
	struct shard *sh = &c->shards[si];
	gdb_cache_entry *e, *other;
	int rc;

	pthread_mutex_lock(&sh->lock);
	e = find_locked(sh, key);
	if (e) {
		e->refs++;
		sh->hits++;
		lru_unlink(e);
		lru_push(sh, e);
		pthread_mutex_unlock(&sh->lock);
		goto done;
	}
	sh->misses++;
	e = sh->free_list;
	if (e)
		sh->free_list = e->next;
	pthread_mutex_unlock(&sh->lock);

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		e->bases = malloc(c->block_bytes);
		if (!e->bases) {
			free(e);
			return -ENOMEM;
		}
	}
	/* Decode outside the lock: other readers of the shard go on. */
	rc = gdb_store_block_decode(c->store, contig, block, e->bases,
				    c->block_bytes);
	pthread_mutex_lock(&sh->lock);
	if (rc < 0) {
		sh->errors++;
		e->next = sh->free_list;
		sh->free_list = e;
		pthread_mutex_unlock(&sh->lock);
		return rc;
	}
	sh->decoded += (uint64_t)rc;
	other = find_locked(sh, key);
	if (other) {
		/* Another reader decoded it meanwhile: keep theirs. */
		e->next = sh->free_list;
		sh->free_list = e;
		e = other;
		lru_unlink(e);
	} else {
		e->key = key;
		e->n = (uint32_t)rc;
		e->shard = si;
		e->refs = 0;
		e->hnext = sh->htab[key_hash(key) & sh->hmask];
		sh->htab[key_hash(key) & sh->hmask] = e;
		if (++sh->count > (sh->hmask + 1) * 2)
			grow_locked(sh);
		sh->resident += c->block_bytes;
	}
	e->refs++;
	lru_push(sh, e);
	evict_locked(sh, c->block_bytes);
	pthread_mutex_unlock(&sh->lock);
done:
	*bases = e->bases;
	*n = e->n;
	*ref = e;
	return 0;
}

void gdb_cache_put(gdb_cache *c, gdb_cache_entry *ref)
{
	struct shard *sh;

	if (!ref)
		return;
	sh = &c->shards[ref->shard];
	pthread_mutex_lock(&sh->lock);
	ref->refs--;
	if (sh->resident > sh->budget)
		evict_locked(sh, c->block_bytes);
	pthread_mutex_unlock(&sh->lock);
}

int gdb_cache_read(gdb_cache *c, uint32_t contig, int64_t beg, int64_t end,
		   char *dst)
{
	const gdb_contig *ct = gdb_store_contig(c->store, contig);
	int64_t bb;

	if (!ct || beg < 0 || end > ct->length || beg > end)
		return -EINVAL;
	bb = ct->block_bases;
	while (beg < end) {
		uint32_t blk = (uint32_t)(beg / bb), n;
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

void gdb_cache_stats_get(gdb_cache *c, gdb_cache_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < NSHARDS; i++) {
		struct shard *sh = &c->shards[i];
		pthread_mutex_lock(&sh->lock);
		out->hits += sh->hits;
		out->misses += sh->misses;
		out->evictions += sh->evictions;
		out->bytes_decoded += sh->decoded;
		out->resident_bytes += sh->resident;
		out->errors += sh->errors;
		pthread_mutex_unlock(&sh->lock);
	}
	out->budget_bytes = c->budget;
}

int gdb_cache_parse_size(const char *text, uint64_t *bytes)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 0:
		break;
	case 'k': case 'K':
		mul = 1ull << 10;
		end++;
		break;
	case 'm': case 'M':
		mul = 1ull << 20;
		end++;
		break;
	case 'g': case 'G':
		mul = 1ull << 30;
		end++;
		break;
	case 't': case 'T':
		mul = 1ull << 40;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end || (v && mul > UINT64_MAX / v))
		return -EINVAL;
	*bytes = v * mul;
	return 0;
}

const gdb_store *gdb_cache_store(const gdb_cache *c)
{
	return c->store;
}
