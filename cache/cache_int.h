/*
 * cache/cache_int.h - what the cache core (cache.c) and its replacement
 * policies (policy_*.c) share. No other module includes this file.
 *
 * The core owns entries (hash chains, reference counts, pins, memory) and
 * the byte budget; a policy only orders the entries it is given and picks
 * victims. Each shard of the cache has its own policy instance, always
 * called with that shard's lock held, so a policy needs no locking.
 *
 * The same policy code also runs in gdb_cache_simulate() (one instance,
 * capacity in entries, no data), which the tests compare hit for hit with
 * reference models.
 */
#ifndef GDB_CACHE_INT_H
#define GDB_CACHE_INT_H

#include <stddef.h>
#include <stdint.h>

typedef struct gdb_centry {
	uint64_t key;
	struct gdb_centry *hnext;	/* core: hash chain */
	struct gdb_centry *prev, *next;	/* policy: its list links */
	uint32_t refs;			/* core: borrows outstanding */
	uint32_t n;			/* core: bases held */
	uint16_t shard;			/* core */
	uint8_t pinned;			/* core: not in the policy while set */
	uint8_t prefetched;		/* core: loaded by prefetch, unused yet */
	uint8_t plist;			/* policy-private: which list */
	uint8_t pfreq;			/* policy-private: frequency bits */
	uint16_t pspare;		/* policy-private */
	char *bases;			/* core: decoded block */
} gdb_centry;

/*
 * A replacement policy. All calls for one instance are serialised by the
 * caller. Entries given to a policy stay owned by the core; the policy
 * links them into its lists through prev/next and may use plist, pfreq and
 * pspare. "Capacity" is the number of entries the instance is expected to
 * hold (ARC and S3-FIFO size their ghost lists and queues from it).
 */
typedef struct gdb_policy_ops {
	const char *name;	/* "lru", "arc", "s3fifo", "lfu", "2q" */
	unsigned id;		/* index into per-policy metrics */
	/* New empty instance; NULL on -ENOMEM. capacity >= 1. */
	void *(*create)(size_t capacity);
	/* Free the instance (not the entries it holds; drain first). */
	void (*destroy)(void *st);
	/* The expected capacity changed (budget changed). */
	void (*set_capacity)(void *st, size_t capacity);
	/* key was looked up and is not resident; it will be inserted next
	 * (ghost hits adapt ARC's target, route S3-FIFO to its main queue). */
	void (*miss)(void *st, uint64_t key);
	/* Admit e (after miss(e->key), or on unpin / policy switch). */
	void (*insert)(void *st, gdb_centry *e);
	/* e was hit. */
	void (*hit)(void *st, gdb_centry *e);
	/* Choose a victim with refs == 0, unlink it (recording it in ghost
	 * history as the policy does) and return it; NULL if every entry is
	 * borrowed or there is none. */
	gdb_centry *(*evict)(void *st);
	/* Unlink e without history (pinning, or before the core frees it). */
	void (*remove)(void *st, gdb_centry *e);
	/* Unlink every entry, coldest first, handing each to cb (a policy
	 * switch re-inserts them in that order into the new policy). */
	void (*drain)(void *st, void (*cb)(void *arg, gdb_centry *e),
		      void *arg);
	/* Number of entries linked (for checks). */
	size_t (*size)(void *st);
} gdb_policy_ops;

#define GDB_NPOLICIES 5

/* All policies, indexed by id; the first is the default. */
extern const gdb_policy_ops *const gdb_policies[GDB_NPOLICIES];

/* The policy named name, or NULL. */
const gdb_policy_ops *gdb_policy_find(const char *name);

#endif
