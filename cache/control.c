/*
 * cache/control.c - what a user changes in a running cache (genomedb ctl):
 * the replacement policy, switched in place with every entry kept, and
 * pinned ranges, held outside any policy until unpinned (API: cache.h).
 * The budget is the core's (cache.c): it evicts.
 */
#include "cache/cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache_int.h"

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

/* Pin (pin 1) or release (0) x, resident in shard sh, under sh's lock.
 * @return 1 when that changed it, 0 when it was so already (a pin is a
 * flag, not a count) or x is not cached (NULL, served once). */
static int set_pinned(gdb_cache *c, struct shard *sh, gdb_cache_entry *x,
		      int pin)
{
	if (!x || x->transient || x->e.pinned == pin)
		return 0;
	if (pin) {
		sh->ops->remove(sh->pol, &x->e);
		x->e.pinned = 1;
		x->e.prefetched = 0;
		__atomic_add_fetch(&c->pinned, c->bb, __ATOMIC_RELAXED);
	} else {
		x->e.pinned = 0;
		memset(&x->e.prev, 0, sizeof(x->e.prev) * 2);
		sh->ops->insert(sh->pol, &x->e);
		__atomic_sub_fetch(&c->pinned, c->bb, __ATOMIC_RELAXED);
	}
	return 1;
}

/* Pin block b of contig, loading it on a miss; *mine: whether this call
 * pinned it (not pinned before). @return 0, -EBUSY when it could only be
 * served once uncached (nothing evictable: every other block pinned or
 * being read), or a gdb_cache_get() error. */
static int pin_block(gdb_cache *c, uint32_t contig, uint32_t b, int *mine)
{
	uint64_t key = make_key(contig, b);
	struct shard *sh = key_shard(c, key);
	gdb_cache_entry *x = NULL;
	const char *bases;
	uint32_t n;
	int rc = 0;

	*mine = 0;
	GDB_TRY(gdb_cache_get(c, contig, b, &bases, &n, &x));
	pthread_mutex_lock(&sh->lock);
	if (x->transient)
		rc = -EBUSY;
	else
		*mine = set_pinned(c, sh, x, 1);
	pthread_mutex_unlock(&sh->lock);
	gdb_cache_put(c, x);
	return rc;
}

/* Release block b of contig if it is resident and pinned. @return 1 when
 * this released it, else 0. */
static int unpin_block(gdb_cache *c, uint32_t contig, uint32_t b)
{
	uint64_t key = make_key(contig, b);
	struct shard *sh = key_shard(c, key);
	int released;

	pthread_mutex_lock(&sh->lock);
	released = set_pinned(c, sh, cache_find_locked(sh, key), 0);
	pthread_mutex_unlock(&sh->lock);
	return released;
}

/* Bases [from, to] (1-based, inclusive) of block b of ct. */
static void block_bases(const gdb_contig *ct, uint32_t b, int64_t *from,
			int64_t *to)
{
	*from = (int64_t)b * ct->block_bases + 1;
	*to = *from + ct->block_bases - 1;
	if (*to > ct->length)
		*to = ct->length;
}

/* Log a failed pin of bases [beg, end) of ct: block b failed with rc,
 * after which undone blocks pinned by the call were released. */
static void pin_failed(gdb_cache *c, const gdb_contig *ct, int64_t beg,
		       int64_t end, int64_t b, int rc, uint32_t undone)
{
	const char *an = gdb_store_assembly(c->store, ct->asm_index)->name;
	int64_t from, to;

	block_bases(ct, (uint32_t)b, &from, &to);
	gdb_log(GDB_LOG_ERROR,
		"pin %s/%s:%lld-%lld: block %lld (%s/%s:%lld-%lld) %s%s; "
		"nothing pinned (released the %u block%s pinned by this call)",
		an, ct->name, (long long)beg + 1, (long long)end, (long long)b,
		an, ct->name, (long long)from, (long long)to,
		rc == -EBUSY ? "found no room in the cache (every other block "
			       "pinned or being read)"
			     : "cannot be read: ",
		rc == -EBUSY ? "" : gdb_strerror(rc), undone,
		undone == 1 ? "" : "s");
}

/*
 * Pin the blocks of bases [beg, end) of contig ct, all or none: when a
 * block cannot be read (damaged, or no memory) or finds no room (-EBUSY)
 * the blocks this call pinned are released (those pinned before it stay
 * pinned) and the failure is logged naming the range and the block (the
 * store logs what is wrong with the block). Every failure is logged:
 * ctl's reply points to the log.
 */
static int pin_blocks(gdb_cache *c, uint32_t contig, const gdb_contig *ct,
		      int64_t beg, int64_t end)
{
	/* int64_t: a loop to UINT32_MAX in uint32_t would not end */
	int64_t b0 = beg / ct->block_bases, b1 = (end - 1) / ct->block_bases,
		b = b0;
	uint64_t *mine = calloc((size_t)(b1 - b0) / 64 + 1, sizeof(*mine));
	int rc = 0, m;
	uint32_t undone = 0;

	if (!mine) {
		gdb_log(GDB_LOG_ERROR,
			"pin %s/%s:%lld-%lld: no memory; nothing pinned",
			gdb_store_assembly(c->store, ct->asm_index)->name,
			ct->name, (long long)beg + 1, (long long)end);
		return -ENOMEM;
	}
	for (; rc == 0 && b <= b1; b++) {
		rc = pin_block(c, contig, (uint32_t)b, &m);
		if (m)
			mine[(b - b0) / 64] |= (uint64_t)1 << (b - b0) % 64;
	}
	if (rc < 0) {
		b--; /* the block that failed */
		for (int64_t i = b0; i < b; i++)
			if (mine[(i - b0) / 64] >> (i - b0) % 64 & 1)
				undone += (uint32_t)unpin_block(c, contig,
								(uint32_t)i);
		pin_failed(c, ct, beg, end, b, rc, undone);
	}
	free(mine);
	return rc;
}

static int pin_range(gdb_cache *c, uint32_t contig, int64_t beg, int64_t end,
		     int pin)
{
	const gdb_contig *ct = gdb_store_contig(c->store, contig);
	uint64_t need;

	if (!ct || beg < 0 || end > ct->length || beg >= end)
		return -EINVAL;
	if (!pin) {
		for (int64_t b = beg / ct->block_bases;
		     b <= (end - 1) / ct->block_bases; b++)
			(void)unpin_block(c, contig, (uint32_t)b);
		return 0;
	}
	/* Refuse up front rather than pin half a panel. */
	need = (uint64_t)((end - 1) / ct->block_bases - beg / ct->block_bases +
			  1) *
	       c->bb;
	if (__atomic_load_n(&c->pinned, __ATOMIC_RELAXED) + need >
	    __atomic_load_n(&c->budget, __ATOMIC_RELAXED) / 10 * 9)
		return -ENOSPC;
	return pin_blocks(c, contig, ct, beg, end);
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
