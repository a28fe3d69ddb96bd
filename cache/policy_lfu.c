/*
 * cache/policy_lfu.c - least frequently used, with dynamic aging (LFU-DA,
 * Arlitt, Cherkasova, Dilley, Friedrich, Jin, "Evaluating content
 * management techniques for Web proxy caches", 2000, with unit cost and
 * size), LRU order among equal priorities, O(1) per call.
 *
 * Plain LFU never forgets: a block read 1000 times yesterday outlives
 * today's working set. LFU-DA ages counts against a cache-wide "inflation"
 * value L instead of touching every entry:
 *
 *   F   an entry's hit count: 1 when inserted, +1 per hit, saturating at
 *       FMAX = 63 (pfreq).
 *   K   its priority, K = L + F, recomputed with the current L on insert
 *       and on every hit. Victim: the entry with the smallest K; among
 *       equal K, the one that got its K longest ago (LRU).
 *   L   0 at first; on each eviction, L = the smallest K resident (the
 *       victim's K unless borrowed entries hold a smaller one).
 *
 * Until the first eviction this is exactly LFU (with LRU tie-breaking).
 * Afterwards a new entry starts at L + 1, level with the coldest residents,
 * and an entry that stops being hit sinks as L rises: it survives at most
 * FMAX rises of L past its last hit. Saturation at 63 is what bounds that.
 *
 * O(1) with frequency buckets. Every resident K lies in [L, L + FMAX]
 * (K >= L because L only ever becomes the smallest resident K; K <= L +
 * FMAX because F <= FMAX and K is set from the current L), a window of 64
 * values. So the buckets are a ring of 64 lists indexed by K mod 64 (kept
 * in plist), and a 64-bit mask of the non-empty ones; the smallest K is
 * the first set bit after rotating the mask by L mod 64. Hit, insert and
 * evict touch two buckets and the mask.
 */
#include <stdlib.h>

#include "cache/cache_int.h"

#define NB 64
#define FMAX (NB - 1)

struct lfu {
	plist b[NB];   /* bucket K % NB, oldest K-setting first */
	uint64_t mask; /* bit i: b[i] non-empty */
	uint64_t L;
	size_t n;
};

static void *lfu_create(size_t capacity)
{
	struct lfu *s = calloc(1, sizeof(*s));

	(void)capacity;
	if (!s)
		return NULL;
	for (int i = 0; i < NB; i++)
		plist_init(&s->b[i]);
	return s;
}

static void lfu_destroy(void *st)
{
	free(st);
}

static void lfu_set_capacity(void *st, size_t capacity)
{
	(void)st;
	(void)capacity;
}

static void lfu_miss(void *st, uint64_t key)
{
	(void)st;
	(void)key;
}

/* Link e with priority L + F as the newest of its bucket. */
static void place(struct lfu *s, gdb_centry *e)
{
	unsigned i = (unsigned)((s->L + e->pfreq) % NB);

	e->plist = (uint8_t)i;
	plist_push(&s->b[i], e);
	s->mask |= 1ULL << i;
}

static void unplace(struct lfu *s, gdb_centry *e)
{
	unsigned i = e->plist;

	plist_unlink(&s->b[i], e);
	if (!s->b[i].len)
		s->mask &= ~(1ULL << i);
}

static void lfu_insert(void *st, gdb_centry *e)
{
	struct lfu *s = st;

	e->pfreq = 1;
	place(s, e);
	s->n++;
}

static void lfu_hit(void *st, gdb_centry *e)
{
	struct lfu *s = st;

	unplace(s, e);
	if (e->pfreq < FMAX)
		e->pfreq++;
	place(s, e);
}

/* Offset from L of the lowest non-empty bucket at or after offset from. */
static int lowest_from(const struct lfu *s, unsigned from)
{
	unsigned r = (unsigned)(s->L % NB);
	uint64_t rot = r ? (s->mask >> r) | (s->mask << (NB - r)) : s->mask;

	rot &= from < NB ? ~0ULL << from : 0;
	return rot ? __builtin_ctzll(rot) : -1;
}

static gdb_centry *lfu_evict(void *st)
{
	struct lfu *s = st;
	int lo = lowest_from(s, 0);

	for (int off = lo; off >= 0; off = lowest_from(s, (unsigned)off + 1)) {
		plist *b = &s->b[(s->L + (unsigned)off) % NB];
		gdb_centry *v = plist_free_from(b, plist_oldest(b));

		if (!v)
			continue;
		unplace(s, v);
		s->n--;
		/* L becomes the smallest resident K, victim included */
		s->L += (unsigned)lo;
		return v;
	}
	return NULL;
}

static void lfu_remove(void *st, gdb_centry *e)
{
	struct lfu *s = st;

	unplace(s, e);
	s->n--;
}

static void lfu_drain(void *st, void (*cb)(void *arg, gdb_centry *e), void *arg)
{
	struct lfu *s = st;
	int off;

	while ((off = lowest_from(s, 0)) >= 0) {
		plist *b = &s->b[(s->L + (unsigned)off) % NB];
		gdb_centry *e = plist_oldest(b);

		unplace(s, e);
		s->n--;
		cb(arg, e);
	}
}

static size_t lfu_size(void *st)
{
	struct lfu *s = st;

	return s->n;
}

const gdb_policy_ops gdb_policy_lfu = {
    .name = "lfu",
    .id = 3,
    .create = lfu_create,
    .destroy = lfu_destroy,
    .set_capacity = lfu_set_capacity,
    .miss = lfu_miss,
    .insert = lfu_insert,
    .hit = lfu_hit,
    .evict = lfu_evict,
    .remove = lfu_remove,
    .drain = lfu_drain,
    .size = lfu_size,
};
