/*
 * cache/cache.h - decoded blocks in memory under a byte budget, with
 * switchable replacement policies, pinned regions, prefetch and metrics.
 *
 * Every read of sequence data goes through here: a block is decoded once
 * (store/ checks its CRC32C first) and served from memory until the policy
 * evicts it. The budget bounds the bytes of decoded blocks held, whatever
 * the store's size: room for a block is reserved before it is decoded, and
 * when nothing can be evicted (all pinned or borrowed) the block is served
 * once without being cached. Pinned blocks are never evicted and count
 * against the budget.
 *
 * Policies (docs/CACHE.md): "lru", "arc", "s3fifo", "lfu", "2q". The cache
 * is split in 16 shards, each with its own lock and policy instance, so a
 * hit takes one shard lock and no global one. A policy switch re-inserts
 * every resident block, coldest first, into the new policy: nothing is
 * dropped.
 *
 * Prefetch: a dedicated thread decodes blocks ahead of readers. Its I/O
 * (madvise WILLNEED of the blocks' bytes in the store's mapping) goes
 * through io_uring, so neither a FUSE worker nor the prefetch thread
 * blocks on a page fault per block. Prefetch never evicts pinned blocks.
 *
 * Threading: every call may be made concurrently from any thread, except
 * create/destroy.
 */
#ifndef GDB_CACHE_H
#define GDB_CACHE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "common/gdb.h"
#include "store/store.h"

typedef struct gdb_cache gdb_cache;
typedef struct gdb_cache_entry gdb_cache_entry;

#define GDB_CACHE_NPOLICIES 5

/* The default: never below LRU on any pattern measured, best mean gain
 * (docs/CACHE.md, docs/BENCHMARKS.md). */
#define GDB_CACHE_DEFAULT_POLICY "arc"

typedef struct gdb_cache_counters {
	uint64_t hits;
	uint64_t misses;
	uint64_t evictions;
	uint64_t bytes_decoded;	  /* bases of blocks decoded whole (a small
				   * touch served in part is not counted) */
	uint64_t prefetch_issued; /* blocks loaded by prefetch */
	uint64_t prefetch_used;	  /* of those, later read */
	uint64_t prefetch_wasted; /* of those, evicted unread */
} gdb_cache_counters;

typedef struct gdb_cache_stats {
	char policy[16];
	gdb_cache_counters total;
	/* per policy, by index of gdb_cache_policy_name(); counted while
	 * that policy was active */
	gdb_cache_counters per_policy[GDB_CACHE_NPOLICIES];
	uint64_t budget_bytes;
	uint64_t resident_bytes; /* decoded blocks held, pins included */
	uint64_t pinned_bytes;
	uint64_t errors;     /* blocks that failed CRC or decode */
	uint64_t uncached;   /* misses served without caching */
	uint64_t passed;     /* blocks a long sequential read gave back */
	uint64_t parts;	     /* small touches served in part, not cached */
	uint64_t part_bases; /* bases those touches decoded */
	/* computed answers (gdb_cache_answer_*); resident_bytes counts
	 * answer_bytes too */
	uint64_t answer_bytes;	   /* answers held under the budget */
	uint64_t answer_evictions; /* answers dropped, to compute again */
	uint64_t answer_uncached;  /* answers held only while read */
	int prefetch_enabled;
	uint64_t lat_count; /* reads recorded by note_latency */
	double lat_p50_us, lat_p95_us, lat_p99_us;
} gdb_cache_stats;

/*
 * gdb_cache_create - a cache over one store generation.
 * @param store   borrowed; must outlive the cache
 * @param budget  bytes for decoded blocks, at most GDB_CACHE_MAX_BUDGET
 * @param policy  a policy name, or NULL for GDB_CACHE_DEFAULT_POLICY
 * @param out     out: free with gdb_cache_destroy()
 * @return 0, -EINVAL (unknown policy, budget too large), -ENOMEM
 */
GDB_MUST_CHECK int gdb_cache_create(const gdb_store *store, size_t budget,
				    const char *policy, gdb_cache **out);

/* Stop prefetch, free everything; no entry may still be borrowed. */
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

/*
 * gdb_cache_get_u8 - borrow a block as its .u8 codes (gdb_alphabet_to_u8 of
 * its bases, for its assembly's alphabet), decoding it on a miss. The codes
 * are an entry of their own beside the bases' (same budget, same checks:
 * the block's CRC32C before any code is made), so a .u8 reader is served
 * from memory as a .seq reader is, with no conversion per read.
 * @return as gdb_cache_get()
 */
GDB_MUST_CHECK int gdb_cache_get_u8(gdb_cache *c, uint32_t contig,
				    uint32_t block, const uint8_t **codes,
				    uint32_t *n, gdb_cache_entry **ref);

/*
 * gdb_cache_get_part - bases [from, to) of a block, for a small read. A
 * resident block is borrowed as by gdb_cache_get (*lo 0, *hi its length).
 * A block that is not resident, at its first and second touch by a small
 * read (remembered in a small table a shard, which may forget), is checked
 * whole (CRC32C: never an unverified byte) but only [from, to) (clipped to
 * the block) is decoded, into part, and it is not cached (*ref NULL): a
 * random 1 kb read then costs no 64 Ki-base decode and no block buffer
 * (counted in parts, and as a miss). Its third touch decodes and caches it
 * whole, as gdb_cache_get does: a block read twice (a region and its
 * neighbour) is not worth a whole decode, one read three times is.
 * @param part   room for to - from bases
 * @param bases  out: bases [*lo, *hi) of the block (*lo <= from)
 * @return 0, or a gdb_cache_get() error
 */
GDB_MUST_CHECK int gdb_cache_get_part(gdb_cache *c, uint32_t contig,
				      uint32_t block, uint32_t from,
				      uint32_t to, char *part,
				      const char **bases, uint32_t *lo,
				      uint32_t *hi, gdb_cache_entry **ref);

/* Hand back a borrow from gdb_cache_get(). NULL does nothing. */
void gdb_cache_put(gdb_cache *c, gdb_cache_entry *ref);

/*
 * gdb_cache_read - copy bases [beg, end) (0-based, half-open) of a contig.
 * @return 0 or a gdb_cache_get() error; dst is then partly written.
 */
GDB_MUST_CHECK int gdb_cache_read(gdb_cache *c, uint32_t contig, int64_t beg,
				  int64_t end, char *dst);

/* The store the cache reads from (borrowed). */
const gdb_store *gdb_cache_store(const gdb_cache *c);

/* Policy names by index (0 .. GDB_CACHE_NPOLICIES-1), NULL past the end. */
const char *gdb_cache_policy_name(unsigned i);

/*
 * gdb_cache_set_policy - switch the replacement policy, keeping every
 * resident block. @return 0 or -EINVAL (unknown name), -ENOMEM.
 */
GDB_MUST_CHECK int gdb_cache_set_policy(gdb_cache *c, const char *name);

/* The largest budget a cache takes: 256 TiB, far past any machine's
 * memory, and small enough that no size computed from it overflows. */
#define GDB_CACHE_MAX_BUDGET ((uint64_t)1 << 48)

/* Change the budget, evicting down to it. @return 0 or -EINVAL (below
 * the pinned bytes, or above GDB_CACHE_MAX_BUDGET). */
GDB_MUST_CHECK int gdb_cache_set_budget(gdb_cache *c, uint64_t bytes);

/*
 * gdb_cache_pin / gdb_cache_unpin - keep contig bases [beg, end) (0-based,
 * half-open; whole blocks) resident, or release them to the policy. A pin
 * is a flag, not a count: pinning a pinned block changes nothing, and
 * unpin releases a block whoever pinned it. A pin is all or none: when a
 * block of the range cannot be read, or finds no room (nothing evictable:
 * every other block pinned or being read), the blocks this call pinned
 * are released again (those pinned before it stay pinned) and the failure
 * is logged naming the range and the block.
 * Concurrent pins: as a pin is a flag, "pinned by this call" means found
 * unpinned by it. When a call pins a block that an overlapping call
 * running at the same time then finds pinned, and the first call fails,
 * its rollback releases that block while the second returns 0 counting
 * on it. Serialise pins of overlapping ranges (the daemon runs every ctl
 * under one lock).
 * @return 0; -EINVAL (no such contig, an empty range or one past its
 *         end); -ENOSPC if the pins would pass 90% of the budget; -EBUSY
 *         when a block found no room (try again once readers let go);
 *         -ENOMEM; a gdb_cache_get() error (GDB_ECHECKSUM, GDB_ECORRUPT,
 *         -EIO for a damaged block). Nothing is pinned by a call that
 *         fails.
 */
GDB_MUST_CHECK int gdb_cache_pin(gdb_cache *c, uint32_t contig, int64_t beg,
				 int64_t end);
GDB_MUST_CHECK int gdb_cache_unpin(gdb_cache *c, uint32_t contig, int64_t beg,
				   int64_t end);
/* Release every pin. */
void gdb_cache_unpin_all(gdb_cache *c);

/*
 * gdb_cache_prefetch - queue bases [beg, end) of a contig for loading by
 * the prefetch thread. Never blocks: when the queue is full the request
 * is dropped. @return 0, -EAGAIN (dropped), -EINVAL.
 */
int gdb_cache_prefetch(gdb_cache *c, uint32_t contig, int64_t beg, int64_t end);

/*
 * gdb_cache_start_prefetch - start the prefetch thread (and its io_uring).
 * Call after any fork (a daemon calls it once detached): until then
 * prefetch requests are dropped. @return 0 or -errno.
 */
GDB_MUST_CHECK int gdb_cache_start_prefetch(gdb_cache *c);

/*
 * gdb_cache_stop_prefetch - stop the prefetch thread: it leaves the request
 * in hand at its next block (queued ones are dropped) and is joined. Later
 * prefetch requests are refused (-EAGAIN) until gdb_cache_start_prefetch
 * starts a new thread. gdb_cache_destroy calls it; a caller may call it
 * sooner, so that the thread winds down beside other teardown.
 */
void gdb_cache_stop_prefetch(gdb_cache *c);

/* Turn automatic prefetch (gdb_cache_stream_access) on or off. */
void gdb_cache_set_prefetch(gdb_cache *c, int enabled);

/*
 * Access-pattern detection for one open file (or inode): reads that follow
 * each other open a readahead window that starts at one block, doubles
 * while the reader keeps up and resets on a jump (as mountpoint-s3 does);
 * a constant stride is followed one step ahead. A long sequential run
 * gives back the blocks it has passed (those no other reader used): the
 * kernel's page cache holds what was read, and the scan reuses a few
 * buffers instead of filling the budget with fresh memory.
 */
typedef struct gdb_cache_stream {
	pthread_mutex_t lock;
	uint32_t contig;
	int64_t last_first, last_end; /* previous read's blocks */
	int64_t stride;
	int64_t window;	    /* blocks */
	int64_t ahead;	    /* prefetched up to (exclusive) */
	int64_t advised;    /* disk reads asked for up to (exclusive) */
	int64_t prev_first; /* first block of the read before the last */
	int64_t passed;	    /* blocks given back up to (exclusive) */
	int run;
	int u8; /* the reader takes .u8 codes (gdb_cache_get_u8): prefetch
		 * and give back those entries; set before the first access */
} gdb_cache_stream;

void gdb_cache_stream_init(gdb_cache_stream *st);
void gdb_cache_stream_destroy(gdb_cache_stream *st);
/* A read touched blocks first .. last of contig: maybe prefetch. */
void gdb_cache_stream_access(gdb_cache *c, gdb_cache_stream *st,
			     uint32_t contig, uint32_t first, uint32_t last);

/* Record one read's latency, for the percentiles in the stats. */
void gdb_cache_note_latency(gdb_cache *c, uint64_t ns);

void gdb_cache_stats_get(gdb_cache *c, gdb_cache_stats *out);
/* Zero the counters and the latency histogram (not the contents). */
void gdb_cache_stats_reset(gdb_cache *c);

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

/*
 * Computed answers (a namespace's whole file, made at lookup) share the
 * budget with the blocks. The holder (the daemon's node) keeps a handle for
 * as long as the file lives; the bytes behind it are held while they fit,
 * dropped when room is needed (least recently used first, never while
 * borrowed), and given back by the holder, which computes them again, on
 * the next read. Answers may take up to half the budget from each other
 * and the rest from blocks when nothing else is evictable; one larger than
 * the budget is held only while it is borrowed. A "keep" answer (one that
 * cannot be computed again: it read an inbox file that may have changed
 * since) is never dropped, and counted only if it fits.
 *
 * An answer of GDB_CACHE_ANSWER_WHOLE bytes or more whose every byte a
 * read has served since it was held (served()) is dropped at its last
 * put: the reader (the kernel's page cache) has the bytes, and a large
 * answer held twice costs fresh memory for every new one; its buffer goes
 * to common/bigbuf.h's pool, which the next large answer is written into.
 *
 * Life cycle (the handle's lock is the cache's answer lock):
 *   new(data) --> held, borrowed once; put() ends a borrow
 *   held --room needed, not borrowed, not keep--> dropped (data to the
 *          pool or freed)
 *   held, large, served whole, not keep --last put()--> dropped
 *   dropped --get() says 0; the holder computes, fill(data)--> held, borrowed
 *   any --free()--> gone (the holder's node went)
 */
typedef struct gdb_cache_answer gdb_cache_answer;

#define GDB_CACHE_ANSWER_KEEP 1u

/*
 * gdb_cache_answer_new - a handle for len bytes of data.
 * @param data   malloc'd; ownership moves to the cache
 * @param out    out: borrowed once (put it), free with _free()
 * @return 0 or -ENOMEM (data is freed then)
 */
GDB_MUST_CHECK int gdb_cache_answer_new(gdb_cache *c, char *data, size_t len,
					unsigned flags, gdb_cache_answer **out);
/* Borrow the bytes: 1 and *data (valid until put), or 0 if dropped. */
int gdb_cache_answer_get(gdb_cache *c, gdb_cache_answer *a, const char **data);
/* Give the bytes of a dropped answer back (data malloc'd, ownership
 * moves in; the same len as at new), borrowed once; *out the bytes held
 * (another thread's, if it filled first). */
void gdb_cache_answer_fill(gdb_cache *c, gdb_cache_answer *a, char *data,
			   const char **out);
void gdb_cache_answer_put(gdb_cache *c, gdb_cache_answer *a);
/* A read served bytes [off, off + n) of a borrowed answer (see above). */
#define GDB_CACHE_ANSWER_WHOLE ((size_t)1 << 20)
void gdb_cache_answer_served(gdb_cache *c, gdb_cache_answer *a, uint64_t off,
			     size_t n);
/* The holder is done with it (not borrowed). NULL is a no-op. */
void gdb_cache_answer_free(gdb_cache *c, gdb_cache_answer *a);

/* Parse a size such as "512M", "4G", "1048576" into bytes; -EINVAL. */
GDB_MUST_CHECK int gdb_cache_parse_size(const char *text, uint64_t *bytes);

#endif
