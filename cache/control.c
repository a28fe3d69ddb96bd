/*
 * cache/control.c - what a user changes in a running cache (genomedb ctl):
 * the replacement policy, switched in place with every entry kept, and
 * pinned ranges, held outside any policy until unpinned (API: cache.h).
 * The budget is the core's (cache.c): it evicts.
 */
#include "cache/cache.h"

#include <errno.h>
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
			x = cache_find_locked(sh, key);
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
