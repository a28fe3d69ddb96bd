/*
 * cache/cache_int.h - what the cache's files share: the core (cache.c),
 * its replacement policies (policy_*.c), its metrics (metrics.c) and the
 * computed answers (answer.c). No other module includes this file.
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

#include <liburing.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/cache.h"

typedef struct gdb_centry {
	uint64_t key;
	struct gdb_centry *hnext;	/* core: hash chain */
	struct gdb_centry *prev, *next; /* policy: its list links */
	uint32_t refs;			/* core: borrows outstanding */
	uint32_t n;			/* core: bases held */
	uint16_t shard;			/* core */
	uint8_t pinned;			/* core: not in the policy while set */
	uint8_t prefetched; /* core: loaded by prefetch, unused yet */
	uint8_t plist;	    /* policy-private: which list */
	uint8_t pfreq;	    /* policy-private: frequency bits */
	uint16_t pspare;    /* policy-private */
	char *bases;	    /* core: decoded block */
} gdb_centry;

/*
 * A replacement policy. All calls for one instance are serialised by the
 * caller. Entries given to a policy stay owned by the core; the policy
 * links them into its lists through prev/next and may use plist, pfreq and
 * pspare. "Capacity" is the number of entries the instance is expected to
 * hold (ARC and S3-FIFO size their ghost lists and queues from it).
 */
typedef struct gdb_policy_ops {
	const char *name; /* "lru", "arc", "s3fifo", "lfu", "2q" */
	unsigned id;	  /* index into per-policy metrics */
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

/*
 * Policy helpers shared by policy_*.c.
 *
 * Entry lists: circular, through a sentinel: head.next is the oldest entry (the
 * LRU or FIFO end, where victims come from), head.prev the newest. */
typedef struct plist {
	gdb_centry head;
	size_t len;
} plist;

static inline void plist_init(plist *l)
{
	l->head.next = l->head.prev = &l->head;
	l->len = 0;
}

/* Link e as the newest. */
static inline void plist_push(plist *l, gdb_centry *e)
{
	e->prev = l->head.prev;
	e->next = &l->head;
	l->head.prev->next = e;
	l->head.prev = e;
	l->len++;
}

static inline void plist_unlink(plist *l, gdb_centry *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->prev = e->next = NULL;
	l->len--;
}

/* The oldest entry, or NULL. */
static inline gdb_centry *plist_oldest(plist *l)
{
	return l->head.next == &l->head ? NULL : l->head.next;
}

/* The entry after e towards the newest, or NULL. */
static inline gdb_centry *plist_newer(plist *l, gdb_centry *e)
{
	return e->next == &l->head ? NULL : e->next;
}

/* The oldest entry from e on (towards the newest) that is not borrowed.
 * Borrowed entries stay where they are: skipping them is the only scan on
 * the eviction path, and borrows last for one read. */
static inline gdb_centry *plist_free_from(plist *l, gdb_centry *e)
{
	while (e && e->refs)
		e = plist_newer(l, e);
	return e;
}

/* Ghost store (policy.c): keys only; up to two lists (0, 1), each oldest to
 * newest; a fixed capacity shared by both lists (a push into a full store
 * forgets the oldest key of the same list first). take() forgets a key and says
 * which list held it (-1: none). */
typedef struct gdb_pghost gdb_pghost;
gdb_pghost *gdb_pghost_create(size_t cap);
void gdb_pghost_destroy(gdb_pghost *g);
int gdb_pghost_take(gdb_pghost *g, uint64_t key);
void gdb_pghost_push(gdb_pghost *g, unsigned list, uint64_t key);
int gdb_pghost_pop(gdb_pghost *g, unsigned list);
size_t gdb_pghost_len(const gdb_pghost *g, unsigned list);
int gdb_pghost_resize(gdb_pghost **g, size_t cap);

/* Keys whose miss() found a ghost, until their insert(). The core decodes
 * a block unlocked between the two calls, so other misses of the shard can
 * come in between: a small ring (not one slot) keeps each key's answer.
 * Past NPEND misses in flight the oldest answer is lost (the key is then
 * inserted as if new), which costs hit ratio, never correctness. */
#define NPEND 8
typedef struct ppend {
	uint64_t key[NPEND];
	uint8_t used[NPEND];
	unsigned next;
} ppend;

/* Forget any answer for key; @return 1 if there was one. */
static inline int ppend_take(ppend *p, uint64_t key)
{
	for (unsigned i = 0; i < NPEND; i++)
		if (p->used[i] && p->key[i] == key) {
			p->used[i] = 0;
			return 1;
		}
	return 0;
}

static inline void ppend_put(ppend *p, uint64_t key)
{
	ppend_take(p, key);
	p->key[p->next] = key;
	p->used[p->next] = 1;
	p->next = (p->next + 1) % NPEND;
}

#define GDB_NPOLICIES 5

/* All policies, indexed by id (the default is GDB_CACHE_DEFAULT_POLICY). */
extern const gdb_policy_ops *const gdb_policies[GDB_NPOLICIES];

/* The policy named name, or NULL. */
const gdb_policy_ops *gdb_policy_find(const char *name);

/* ---- the core and the computed answers (cache.c, answer.c) ---- */

/* A computed answer (cache.h); every field under cache_answers.lock. */
struct gdb_cache_answer {
	char *data; /* NULL while dropped */
	size_t len;
	uint32_t refs;			      /* borrows */
	uint8_t keep;			      /* never dropped */
	uint8_t charged;		      /* in resident, on the list */
	struct gdb_cache_answer *prev, *next; /* most recently read first */
	uint64_t *served; /* chunks read once since held (large), or NULL */
	uint32_t nserved; /* of them set */
};

/* The answers a cache holds; one per cache, in struct gdb_cache. */
struct cache_answers {
	pthread_mutex_t lock;
	struct gdb_cache_answer lru; /* list head: charged answers */
	uint64_t bytes;		     /* of charged answers */
	uint64_t evictions, uncached;
};

/* ---- the core's state (cache.c; read by metrics.c and answer.c) ---- */

#define NSHARDS 16u
#define NLOADING 8u	       /* decodes in flight marked per shard */
#define PF_QUEUE 256u	       /* prefetch requests in flight */
#define PF_MAXWIN 64	       /* blocks (4 Mi bases) */
#define PF_DISK_AHEAD 8	       /* the disk is asked this many windows ahead */
#define PF_BATCH 16	       /* blocks advised per io_uring submission */
#define LAT_BUCKETS 256	       /* 4 sub-buckets per power of two of ns */
#define ARENA_CHUNK (2u << 20) /* one transparent huge page */
#define POOL_WARM_MIN 16u      /* free buffers kept with their pages */
#define POOL_WARM_MAX (2u * PF_MAXWIN)

/* e first: a gdb_centry * from a policy or a hash chain is the entry. */
struct gdb_cache_entry {
	gdb_centry e;
	int transient; /* not in the cache: back to the pool on put */
	uint8_t uses;  /* gets since loaded (saturating); 0: prefetched */
	uint8_t pass;  /* passed while borrowed: given back at the last put */
};

#define SEEN_SLOTS 256u
/* Ways of a set of the seen table: a key may sit in any of the SEEN_WAYS
 * slots of its set (1 was direct-mapped: with 1,000 blocks in play one
 * in ten started its count again). */
#define SEEN_WAYS 4u
#define SEEN_SETS (SEEN_SLOTS / SEEN_WAYS)
_Static_assert(SEEN_SLOTS % SEEN_WAYS == 0, "whole sets");
/* A small read's touches of a block served in part before one caches it
 * whole (cache.h gdb_cache_get_part). */
#define PART_TOUCHES 2u
_Static_assert(PART_TOUCHES >= 1 && PART_TOUCHES < 255,
	       "a first touch is in part; a slot's count is a uint8_t");

struct shard {
	pthread_mutex_t lock;
	gdb_centry **htab; /* protected by lock */
	uint32_t hmask, count;
	const gdb_policy_ops *ops; /* protected by lock */
	void *pol;
	gdb_cache_counters pc[GDB_NPOLICIES]; /* protected by lock */
	uint64_t errors, uncached, passed, parts, part_bases;
	/* Blocks served in part lately (gdb_cache_get_part), keys + 1 (0 a
	 * free slot), and how many times each: the touch after PART_TOUCHES
	 * decodes and caches it whole. A key's set is SEEN_WAYS slots, the
	 * newest first; a new key in a full set pushes out its oldest.
	 * Protected by lock. */
	uint64_t seen[SEEN_SLOTS];
	uint8_t seen_n[SEEN_SLOTS];
	/* Keys being decoded (a reader waits on loaded for one instead of
	 * decoding it too; the prefetcher skips it); 0 is a free slot, keys
	 * are stored + 1. Protected by lock. */
	uint64_t loading[NLOADING];
	pthread_cond_t loaded;
};

struct pf_req {
	uint32_t
	    contig; /* a cache id: the contig, maybe in .u8 form (cache.c) */
	uint32_t first, count;
	int stream; /* made by a stream: skips blocks streams passed */
};

/* Blocks [lo, hi) of contig that a stream gave back once past them: a
 * stream's prefetch request still queued for them is stale (the reader
 * outran the prefetch thread and decoded them itself). */
struct pass_mark {
	uint32_t contig; /* a cache id, as in pf_req */
	uint32_t lo, hi;
};
#define PASS_MARKS 16u

struct gdb_cache {
	const gdb_store *store;
	size_t bb;		      /* bytes of one cached block */
	uint64_t budget;	      /* atomic */
	uint64_t resident;	      /* atomic */
	uint64_t pinned;	      /* atomic */
	const gdb_policy_ops *policy; /* changed under every shard lock */
	pthread_mutex_t policy_lock;  /* serialises switches and budget */
	struct shard shards[NSHARDS];
	struct cache_answers ans;  /* computed answers (answer.c) */
	uint64_t lat[LAT_BUCKETS]; /* atomic */
	/* prefetch */
	int pf_enabled; /* atomic */
	pthread_t pf_thread;
	int pf_running;
	pthread_mutex_t pf_lock;
	pthread_cond_t pf_cond;
	struct pf_req pf_q[PF_QUEUE]; /* protected by pf_lock */
	unsigned pf_head, pf_tail;
	struct pass_mark marks[PASS_MARKS]; /* protected by pf_lock */
	unsigned mark_next;		    /* protected by pf_lock */
	int pf_stop;
	struct io_uring ring;
	int ring_ok;
	uint64_t pf_advised; /* atomic: blocks the thread advised (tests) */
	/* Free block buffers (buffers.c): warm ones keep their pages, cold
	 * ones gave them back; linked through e.next. */
	pthread_mutex_t pool_lock;
	gdb_cache_entry *warm, *cold; /* protected by pool_lock */
	uint32_t nwarm, ncold;	      /* protected by pool_lock */
	uint64_t nbufs;		      /* atomic: buffers made */
	/* Block buffers are carved from 2 MiB chunks advised as huge pages:
	 * one page fault then maps 32 blocks, where malloc'd 64 KiB buffers
	 * cost 16 faults each, and faults are what a cold daemon spends its
	 * time on here (a fresh mount streamed at 0.5 GB/s, mostly faulting).
	 */
	pthread_mutex_t arena_lock;
	struct arena_chunk {
		struct arena_chunk *next;
		char *base;
		size_t used;
	} * arena;		   /* protected by arena_lock */
	struct arena_chunk *spare; /* written under arena_lock; atomic */
	/* Tests: make chunk allocations fail; the prefetch thread's tries. */
	int test_fail_chunks; /* atomic */
	uint64_t chunk_tries; /* atomic */
};

struct cache_answers *cache_answers_of(gdb_cache *c);
uint64_t cache_budget(gdb_cache *c);
/* Reserve bytes of the budget, evicting blocks (their pages given back
 * to the system) and then answers to make room. Called with no lock
 * held. @return 1 reserved, 0 nothing more to evict */
int cache_reserve(gdb_cache *c, uint64_t bytes);
void cache_unreserve(gdb_cache *c, uint64_t bytes);

void cache_answers_init(struct cache_answers *a);
void cache_answers_destroy(struct cache_answers *a);
/* Drop the least recently read answer that is neither borrowed nor kept.
 * @return 1 if one went, 0 if none could */
int cache_answers_evict_one(gdb_cache *c);
uint64_t cache_answers_bytes(gdb_cache *c);

/* ---- block buffers (buffers.c) ---- */

/* A free buffer (warm first, then cold, else a new one carved from the
 * arena); its entry's fields but bases are the caller's to set. NULL:
 * out of memory. */
gdb_cache_entry *cache_buf_take(gdb_cache *c);
/* x (in no hash, policy or borrow) back to the pool: warm while under the
 * cap and !release, else cold with its pages given back. No shard lock
 * needs to be held; one may be. */
void cache_buf_give(gdb_cache *c, gdb_cache_entry *x, int release);
/* Warm buffers past the cap (the budget was lowered) go cold. */
void cache_buf_trim(gdb_cache *c);
/* Free the pool and the arena (at destroy: nothing borrowed). */
void cache_buf_destroy(gdb_cache *c);
/* The prefetch thread's spare chunk: is one ready; make one if not
 * (@return the wait before trying again, in ms; 0 when one is ready). */
int cache_buf_spare_ready(gdb_cache *c);
unsigned cache_buf_keep_spare(gdb_cache *c, unsigned backoff_ms);

/* Tests only (tests/unit/test_cache_buffers.c): the buffers the cache
 * holds, looked at with every lock taken. Call with nothing in flight. */
struct cache_check {
	uint64_t blocks;     /* resident entries (in the hash) */
	uint32_t warm, cold; /* in the pool */
	uint32_t warm_max;
	uint64_t bufs;	 /* buffers made */
	uint64_t listed; /* buffers found in the hash and the pool */
	uint64_t dups;	 /* buffers found twice: must be 0 */
};
void cache_test_check(gdb_cache *c, struct cache_check *out);

/*
 * Tests only (tests/unit/test_cache_answers.c): make every arena chunk
 * allocation fail, as under memory pressure, and count the prefetch
 * thread's tries at keeping a spare chunk.
 */
void cache_test_fail_chunks(gdb_cache *c, int on);
uint64_t cache_test_chunk_tries(gdb_cache *c);

/* Under sh->lock: count a touch in part of key, neither resident nor
 * being decoded (cache.c; gdb_cache_get_part; tests call it too).
 * @return 1: serve it in part; 0: it was served in part PART_TOUCHES
 * times, cache it whole. */
int cache_seen_part(struct shard *sh, uint64_t key);

/* ---- shared by the core (cache.c), control.c and prefetch.c ---- */

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

/* The shard that holds key's block. */
static inline struct shard *key_shard(gdb_cache *c, uint64_t key)
{
	return &c->shards[key_hash(key) % NSHARDS];
}

/* A contig's .u8 codes (gdb_cache_get_u8) are entries of their own, under
 * the contig's id with U8_FORM set: its cache id. Streams, prefetch
 * requests and pass marks carry cache ids; the store is asked with
 * real_contig(). Store contig ids stay far below U8_FORM. */
#define U8_FORM 0x80000000u

static inline uint32_t real_contig(uint32_t cid)
{
	return cid & ~U8_FORM;
}

/* A sequential run gives back the blocks it passed from its fourth read
 * on (a whole small file read in a few requests stays cached), those used
 * at most twice. */
#define PASS_RUN 3
#define PASS_USES 2

/* May a stream give x back (under its shard's lock)? Not if pinned or
 * another reader used it (a block a read ends in is used again by the
 * next read; a third use is another reader's). */
static inline int passable(const gdb_cache_entry *x)
{
	return !x->e.pinned && x->uses <= PASS_USES;
}

/* A shard's policy capacity, in blocks, for the budget now (the core and
 * control.c's policy switches). */
static inline size_t shard_capacity(const gdb_cache *c)
{
	size_t blocks =
	    (size_t)(__atomic_load_n(&c->budget, __ATOMIC_RELAXED) / c->bb);
	size_t per = blocks / NSHARDS;

	return per ? per : 1;
}

/* Under sh->lock: key's resident entry, or NULL. */
gdb_cache_entry *cache_find_locked(struct shard *sh, uint64_t key);
/*
 * Load a block of cache id contig (demand miss or prefetch) into shard si:
 * reserve, decode unlocked, then insert unless another thread inserted it
 * first. With out set the result is returned borrowed (refs 1).
 */
int cache_load_block(gdb_cache *c, uint32_t si, uint32_t contig, uint32_t block,
		     int prefetch, gdb_cache_entry **out);
/* Under sh->lock: take x, passed, out of the cache; the caller gives its
 * buffer back once unlocked. No ghost history: passing is not the
 * policy's choice. A block prefetched and never read counts as wasted. */
void cache_pass_locked(gdb_cache *c, struct shard *sh, gdb_cache_entry *x);
/* Advise the blocks of [first, last] of cache id cid not resident, run by
 * run (prefetch.c). */
void cache_advise_missing(gdb_cache *c, uint32_t cid, uint32_t first,
			  uint32_t last);

#endif
