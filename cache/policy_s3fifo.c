/*
 * cache/policy_s3fifo.c - S3-FIFO (Yang, Zhang, Qiu, Yue, Vinayak, "FIFO
 * queues are all you need for cache eviction", SOSP'23): a small FIFO S
 * that filters one-hit wonders, a main FIFO M with lazy promotion, and a
 * ghost FIFO G of keys recently evicted from S.
 *
 * The variant implemented (the paper's Algorithm 1 leaves a few details
 * open; these are the choices, and the Python model in
 * tests/test_cache_policies.py follows them):
 *
 *   sizes      c = capacity. S's share is s = max(1, floor(c / 10)); M gets
 *              the rest. G remembers at most max(1, c - s) keys (as many as
 *              M holds) and forgets its oldest key when full.
 *   frequency  2 bits per entry (pfreq): 0 on insertion, +1 per hit,
 *              saturating at 3. A hit never moves an entry.
 *   miss(x)    if x is in G, forget it there and send x to M; otherwise to
 *              S. The lookup happens before the evictions that make room
 *              for x (as libCacheSim does), so a key that the same miss
 *              pushes out of G still counts as a ghost hit.
 *   insert(x)  at the newest end of M or S, frequency 0.
 *   evict()    repeat:
 *                if |S| >= s, or M is empty: look at S's oldest entry t;
 *                  if t.freq >= 1 (hit at least once while in S), move it
 *                  to M's newest end with freq 0 and look again;
 *                  else evict t and remember its key in G.
 *                else look at M's oldest entry t;
 *                  if t.freq >= 1, decrement it and move t to M's newest
 *                  end ("lazy promotion": FIFO-reinsertion, CLOCK-like);
 *                  else evict t (no ghost: G only records S's victims).
 *              One victim per call. The paper's evictS() keeps going after
 *              promoting into a full M and evicting from it; here the test
 *              "|S| >= s" is simply re-evaluated after each promotion, which
 *              evicts from M as soon as S is back under its share.
 *
 * Each step is O(1); an evict() looks at an entry at most 4 times (three
 * decrements, then eviction), so a call is O(1) amortised.
 *
 * Borrowed entries (refs > 0) are still promoted or have their frequency
 * decremented (that is not an eviction), but when one would be evicted it
 * is left where it is and the walk goes on past it; if no entry of either
 * queue can be evicted, evict() returns NULL.
 */
#include <stdlib.h>

#include "cache/cache_int.h"

enum { IN_S = 1, IN_M = 2 };

#define FREQ_MAX 3
#define PROMOTE_FREQ 1 /* hits in S needed to move to M */

struct s3 {
	plist s, m;
	gdb_pghost *g;
	size_t scap; /* S's share */
	ppend to_m;  /* miss() found them in G: go to M */
};

static size_t small_share(size_t c)
{
	return c / 10 ? c / 10 : 1;
}

static size_t ghost_cap(size_t c)
{
	size_t s = small_share(c);

	return c > s ? c - s : 1;
}

static void *s3_create(size_t capacity)
{
	struct s3 *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	if (!capacity)
		capacity = 1;
	st->g = gdb_pghost_create(ghost_cap(capacity));
	if (!st->g) {
		free(st);
		return NULL;
	}
	st->scap = small_share(capacity);
	plist_init(&st->s);
	plist_init(&st->m);
	return st;
}

static void s3_destroy(void *p)
{
	struct s3 *st = p;

	if (!st)
		return;
	gdb_pghost_destroy(st->g);
	free(st);
}

static void s3_set_capacity(void *p, size_t capacity)
{
	struct s3 *st = p;

	if (!capacity)
		capacity = 1;
	st->scap = small_share(capacity);
	/* on -ENOMEM G keeps its old bound: only more history */
	(void)gdb_pghost_resize(&st->g, ghost_cap(capacity));
}

static void s3_miss(void *p, uint64_t key)
{
	struct s3 *st = p;

	if (gdb_pghost_take(st->g, key) >= 0)
		ppend_put(&st->to_m, key);
	else
		ppend_take(&st->to_m, key);
}

static void s3_insert(void *p, gdb_centry *e)
{
	struct s3 *st = p;

	e->pfreq = 0;
	if (ppend_take(&st->to_m, e->key)) {
		e->plist = IN_M;
		plist_push(&st->m, e);
	} else {
		e->plist = IN_S;
		plist_push(&st->s, e);
	}
}

static void s3_hit(void *p, gdb_centry *e)
{
	(void)p;
	if (e->pfreq < FREQ_MAX)
		e->pfreq++;
}

static gdb_centry *s3_evict(void *p)
{
	struct s3 *st = p;
	/* cursors: the oldest entry of each queue not yet looked at (only
	 * borrowed entries are ever passed over and left behind) */
	gdb_centry *s = plist_oldest(&st->s), *m = plist_oldest(&st->m);
	/* a safety bound: every entry is looked at most FREQ_MAX + 1 times */
	size_t steps = (FREQ_MAX + 2) * (st->s.len + st->m.len) + 2;

	while ((s || m) && steps--) {
		gdb_centry *t;

		if (s && (st->s.len >= st->scap || !m)) {
			t = s;
			s = plist_newer(&st->s, s);
			if (t->pfreq >= PROMOTE_FREQ) {
				plist_unlink(&st->s, t);
				t->pfreq = 0;
				t->plist = IN_M;
				plist_push(&st->m, t);
				if (!m)
					m = t;
				continue;
			}
			if (t->refs)
				continue;
			plist_unlink(&st->s, t);
			gdb_pghost_push(st->g, 0, t->key);
			return t;
		}
		t = m;
		m = plist_newer(&st->m, m);
		if (t->pfreq > 0) {
			t->pfreq--;
			plist_unlink(&st->m, t);
			plist_push(&st->m, t);
			/* t was the newest already: it is next again */
			if (!m)
				m = t;
			continue;
		}
		if (t->refs)
			continue;
		plist_unlink(&st->m, t);
		return t;
	}
	return NULL;
}

static void s3_remove(void *p, gdb_centry *e)
{
	struct s3 *st = p;

	plist_unlink(e->plist == IN_S ? &st->s : &st->m, e);
}

static void s3_drain(void *p, void (*cb)(void *arg, gdb_centry *e), void *arg)
{
	struct s3 *st = p;
	gdb_centry *e;

	/* S holds the probationary entries: colder than M's */
	while ((e = plist_oldest(&st->s))) {
		plist_unlink(&st->s, e);
		cb(arg, e);
	}
	while ((e = plist_oldest(&st->m))) {
		plist_unlink(&st->m, e);
		cb(arg, e);
	}
}

static size_t s3_size(void *p)
{
	struct s3 *st = p;

	return st->s.len + st->m.len;
}

const gdb_policy_ops gdb_policy_s3fifo = {
    .name = "s3fifo",
    .id = 2,
    .create = s3_create,
    .destroy = s3_destroy,
    .set_capacity = s3_set_capacity,
    .miss = s3_miss,
    .insert = s3_insert,
    .hit = s3_hit,
    .evict = s3_evict,
    .remove = s3_remove,
    .drain = s3_drain,
    .size = s3_size,
};
