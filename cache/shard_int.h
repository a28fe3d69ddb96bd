/*
 * cache/shard_int.h - a block's key, its shard and its lookup in the
 * shard's hash chains: what the core (cache.c) and the run-time controls
 * (control.c: policy switches, pins) share. Internal to cache/.
 */
#ifndef GDB_SHARD_INT_H
#define GDB_SHARD_INT_H

#include "cache/cache_int.h"

/* A block's key: its contig and index; its shard is key_hash % NSHARDS. */
static inline uint64_t make_key(uint32_t contig, uint32_t block)
{
	return ((uint64_t)contig << 32) | block;
}

static inline uint32_t key_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (uint32_t)k;
}

/* A shard's policy capacity, in blocks, for the budget now. */
static inline size_t shard_capacity(const gdb_cache *c)
{
	size_t blocks =
	    (size_t)(__atomic_load_n(&c->budget, __ATOMIC_RELAXED) / c->bb);
	size_t per = blocks / NSHARDS;

	return per ? per : 1;
}

/* Under sh->lock: key's resident entry, or NULL. */
static inline gdb_cache_entry *find_locked(struct shard *sh, uint64_t key)
{
	gdb_centry *e = sh->htab[key_hash(key) & sh->hmask];

	while (e && e->key != key)
		e = e->hnext;
	return (gdb_cache_entry *)e; /* e is its first member */
}

#endif
