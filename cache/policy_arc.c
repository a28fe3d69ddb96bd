/*
 * cache/policy_arc.c - ARC, the Adaptive Replacement Cache of Megiddo and
 * Modha ("ARC: A Self-Tuning, Low Overhead Replacement Cache", FAST'03,
 * Fig. 4), exactly as published, split over the calls of gdb_policy_ops.
 *
 * The algorithm. c is the capacity in entries. Resident entries are in T1
 * (seen once recently) or T2 (seen at least twice); B1 and B2 remember the
 * keys last evicted from T1 and T2 (ghosts, no data). p in [0, c] is the
 * target size of T1. For a request x:
 *
 *   I   x in T1 or T2 (hit): move x to the MRU end of T2.
 *   II  x in B1: p = min(c, p + d1), d1 = 1 if |B1| >= |B2| else |B2|/|B1|;
 *       REPLACE(x); move x from B1 to the MRU end of T2.
 *   III x in B2: p = max(0, p - d2), d2 = 1 if |B2| >= |B1| else |B1|/|B2|;
 *       REPLACE(x); move x from B2 to the MRU end of T2.
 *   IV  x nowhere:
 *       A  |T1| + |B1| = c: if |T1| < c, drop the LRU key of B1 and
 *          REPLACE(x); else drop the LRU entry of T1 (no ghost).
 *       B  |T1| + |B1| < c and |T1| + |T2| + |B1| + |B2| >= c: if that sum
 *          is 2c, drop the LRU key of B2; REPLACE(x).
 *       Put x at the MRU end of T1.
 *   REPLACE(x): if |T1| >= 1 and (|T1| > p or (x in B2 and |T1| = p)),
 *       move the LRU entry of T1 to the MRU end of B1; else move the LRU
 *       entry of T2 to the MRU end of B2.
 *
 * The only arithmetic choice the paper leaves open: d1 and d2 are integer
 * quotients (floor), so p stays an integer and "|T1| = p" is meaningful.
 *
 * How it maps onto the ops. The core calls miss(x), then evict() while it
 * needs room, then insert(x):
 *   miss()   does the case analysis: adapts p (II, III), forgets x's ghost,
 *            does IV's ghost bookkeeping, and records for the next evict()
 *            whether x was in B2 and whether case IV.A wants T1's LRU entry
 *            dropped without a ghost.
 *   evict()  is REPLACE (or IV.A's drop), one victim per call.
 *   insert() puts x in T2 after a ghost hit, T1 otherwise.
 * In the paper REPLACE runs exactly when the cache is full (ghosts exist
 * only once it has filled, and ARC never frees a slot otherwise), which is
 * exactly when the core calls evict(); gdb_cache_simulate() therefore
 * replays the paper hit for hit (tests/test_cache_policies.py checks it).
 *
 * Outside the paper: an insert() with no miss() before it (unpin, policy
 * switch) goes to T1. Borrowed entries are skipped in the chosen list; if
 * that list has none free, the victim comes from the other one. The core
 * may also hold more or fewer than c entries for a while (the budget is
 * global over 16 shards), so the ghost store has a hard bound of c keys
 * (B1 + B2 <= c also holds in the paper) and IV.A uses >= instead of =.
 */
#include <stdlib.h>

#include "cache/cache_int.h"

enum { IN_T1 = 1, IN_T2 = 2 };
enum { B1 = 0, B2 = 1 };

struct arc {
	plist t1, t2;
	gdb_pghost *b; /* lists B1 and B2 */
	size_t c, p;
	ppend to_t2; /* ghost hits: insert() puts them in T2 */
	/* what the last miss() learnt, for the evictions that follow it */
	uint8_t pend_b2; /* the key was in B2 (REPLACE's tie-break) */
	uint8_t drop_t1; /* case IV.A with T1 full */
};

static void *arc_create(size_t capacity)
{
	struct arc *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->c = capacity ? capacity : 1;
	s->b = gdb_pghost_create(s->c);
	if (!s->b) {
		free(s);
		return NULL;
	}
	plist_init(&s->t1);
	plist_init(&s->t2);
	return s;
}

static void arc_destroy(void *st)
{
	struct arc *s = st;

	if (!s)
		return;
	gdb_pghost_destroy(s->b);
	free(s);
}

static void arc_set_capacity(void *st, size_t capacity)
{
	struct arc *s = st;

	if (!capacity)
		capacity = 1;
	/* On -ENOMEM the old ghost store stays: a bound that is too large
	 * for a while only remembers more history. */
	if (gdb_pghost_resize(&s->b, capacity) == 0)
		s->c = capacity;
	if (s->p > s->c)
		s->p = s->c;
}

static void arc_miss(void *st, uint64_t key)
{
	struct arc *s = st;
	size_t b1 = gdb_pghost_len(s->b, B1), b2 = gdb_pghost_len(s->b, B2);
	int where = gdb_pghost_take(s->b, key);

	if (where >= 0)
		ppend_put(&s->to_t2, key);
	else
		ppend_take(&s->to_t2, key);
	s->pend_b2 = where == B2;
	s->drop_t1 = 0;
	if (where == B1) {
		/* case II: B1 was non-empty, it held key */
		size_t d = b1 >= b2 ? 1 : b2 / b1;

		s->p = s->p + d < s->c ? s->p + d : s->c;
	} else if (where == B2) {
		/* case III */
		size_t d = b2 >= b1 ? 1 : b1 / b2;

		s->p = s->p > d ? s->p - d : 0;
	} else if (s->t1.len + b1 >= s->c) {
		/* case IV.A */
		if (s->t1.len < s->c)
			gdb_pghost_pop(s->b, B1);
		else
			s->drop_t1 = 1;
	} else if (s->t1.len + s->t2.len + b1 + b2 >= 2 * s->c) {
		/* case IV.B with a full directory */
		gdb_pghost_pop(s->b, B2);
	}
}

static void arc_insert(void *st, gdb_centry *e)
{
	struct arc *s = st;

	if (ppend_take(&s->to_t2, e->key)) {
		e->plist = IN_T2;
		plist_push(&s->t2, e);
	} else {
		e->plist = IN_T1;
		plist_push(&s->t1, e);
	}
	s->pend_b2 = 0;
	s->drop_t1 = 0;
}

static void arc_hit(void *st, gdb_centry *e)
{
	struct arc *s = st;

	plist_unlink(e->plist == IN_T1 ? &s->t1 : &s->t2, e);
	e->plist = IN_T2;
	plist_push(&s->t2, e);
}

static gdb_centry *arc_evict(void *st)
{
	struct arc *s = st;
	size_t t1 = s->t1.len;
	int b2 = s->pend_b2;
	gdb_centry *v1 = plist_free_from(&s->t1, plist_oldest(&s->t1));
	gdb_centry *v2;

	if (s->drop_t1 && v1) {
		/* case IV.A, T1 full: B1 is empty and must stay so */
		s->drop_t1 = 0;
		plist_unlink(&s->t1, v1);
		return v1;
	}
	s->drop_t1 = 0;
	v2 = plist_free_from(&s->t2, plist_oldest(&s->t2));
	/* REPLACE; with borrowed entries, the other list if need be */
	if (v1 && (!v2 || (t1 >= 1 && (t1 > s->p || (b2 && t1 == s->p))))) {
		plist_unlink(&s->t1, v1);
		gdb_pghost_push(s->b, B1, v1->key);
		return v1;
	}
	if (v2) {
		plist_unlink(&s->t2, v2);
		gdb_pghost_push(s->b, B2, v2->key);
	}
	return v2;
}

static void arc_remove(void *st, gdb_centry *e)
{
	struct arc *s = st;

	plist_unlink(e->plist == IN_T1 ? &s->t1 : &s->t2, e);
}

static void arc_drain(void *st, void (*cb)(void *arg, gdb_centry *e), void *arg)
{
	struct arc *s = st;
	gdb_centry *e;

	/* T1 (seen once) is colder than T2 (seen twice or more) */
	while ((e = plist_oldest(&s->t1))) {
		plist_unlink(&s->t1, e);
		cb(arg, e);
	}
	while ((e = plist_oldest(&s->t2))) {
		plist_unlink(&s->t2, e);
		cb(arg, e);
	}
}

static size_t arc_size(void *st)
{
	struct arc *s = st;

	return s->t1.len + s->t2.len;
}

const gdb_policy_ops gdb_policy_arc = {
    .name = "arc",
    .id = 1,
    .create = arc_create,
    .destroy = arc_destroy,
    .set_capacity = arc_set_capacity,
    .miss = arc_miss,
    .insert = arc_insert,
    .hit = arc_hit,
    .evict = arc_evict,
    .remove = arc_remove,
    .drain = arc_drain,
    .size = arc_size,
};
