/*
 * cache/cache.h - decoded blocks in memory under a byte budget.
 *
 * Every read of sequence data goes through here: a block is decoded once
 * (store/ checks its CRC32C first) and then served from memory until the
 * replacement policy evicts it. The budget bounds the memory held by
 * resident blocks whatever the store's size; blocks borrowed by readers at
 * the moment of an eviction stay until released, so the overshoot is at
 * most one block per concurrent reader.
 *
 * Policy here: LRU, in 16 independently locked shards (a block's shard is a
 * hash of its key), so concurrent readers rarely contend and the hit path
 * never takes a global lock. The cache issue replaces this with switchable
 * policies behind the same calls.
 *
 * Threading: all calls may be made concurrently from any thread.
 */
#ifndef GDB_CACHE_H
#define GDB_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "common/gdb.h"
#include "store/store.h"

typedef struct gdb_cache gdb_cache;
typedef struct gdb_cache_entry gdb_cache_entry;

typedef struct gdb_cache_stats {
	uint64_t hits;
	uint64_t misses;
	uint64_t evictions;
	uint64_t bytes_decoded;
	uint64_t resident_bytes;
	uint64_t budget_bytes;
	uint64_t errors;	/* blocks that failed their checksum/decode */
} gdb_cache_stats;

/*
 * gdb_cache_create - a cache over one store generation.
 * @param store   borrowed; must outlive the cache
 * @param budget  bytes for decoded blocks (at least one block per shard
 *                is always allowed)
 * @param out     out: free with gdb_cache_destroy()
 * @return 0 or -ENOMEM
 */
GDB_MUST_CHECK int gdb_cache_create(const gdb_store *store, size_t budget,
				    gdb_cache **out);

/* Free everything; no entry may still be borrowed. NULL does nothing. */
void gdb_cache_destroy(gdb_cache *c);

/*
 * gdb_cache_get - borrow a decoded block, decoding it on a miss.
 * @param bases out: the block's bases; valid until gdb_cache_put(*ref)
 * @param n     out: how many
 * @param ref   out: the borrow, to hand back with gdb_cache_put()
 * @return 0; GDB_ECHECKSUM / GDB_ECORRUPT (block damaged: logged by the
 *         store), -EINVAL (no such block), -ENOMEM
 */
GDB_MUST_CHECK int gdb_cache_get(gdb_cache *c, uint32_t contig, uint32_t block,
				 const char **bases, uint32_t *n,
				 gdb_cache_entry **ref);

/* Hand back a borrow from gdb_cache_get(). NULL does nothing. */
void gdb_cache_put(gdb_cache *c, gdb_cache_entry *ref);

/*
 * gdb_cache_read - copy bases [beg, end) (0-based, half-open) of a contig.
 * @return 0 or a gdb_cache_get() error; dst is then partly written.
 */
GDB_MUST_CHECK int gdb_cache_read(gdb_cache *c, uint32_t contig, int64_t beg,
				  int64_t end, char *dst);

void gdb_cache_stats_get(gdb_cache *c, gdb_cache_stats *out);

/* The store the cache reads from (borrowed). */
const gdb_store *gdb_cache_store(const gdb_cache *c);

/*
 * gdb_cache_simulate - replay a key trace through one policy, with no
 * data: the policy code the cache runs, at a capacity of whole entries.
 * Tests compare it hit for hit with reference models; benchmarks use it
 * for hit ratios on long traces.
 * @param hits out (may be NULL): hits[i] = 1 if keys[i] hit
 * @return the number of hits, -EINVAL (unknown policy, capacity 0),
 *         -ENOMEM
 */
GDB_MUST_CHECK int64_t gdb_cache_simulate(const char *policy,
					  const uint64_t *keys, size_t n,
					  size_t capacity, uint8_t *hits);

/* Parse a size such as "512M", "4G", "1048576" into bytes; -EINVAL. */
GDB_MUST_CHECK int gdb_cache_parse_size(const char *text, uint64_t *bytes);

#endif
