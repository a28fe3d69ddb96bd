/*
 * cache/policy_2q.c - 2Q, the "full version" of Johnson and Shasha ("2Q: A
 * Low Overhead High Performance Buffer Management Replacement Algorithm",
 * VLDB'94, Fig. 2): a FIFO A1in for blocks seen once, a ghost FIFO A1out
 * of keys recently pushed out of A1in, and an LRU list Am for blocks seen
 * again after leaving A1in.
 *
 * With c the capacity, Kin = max(1, floor(c / 4)) (A1in's share, the
 * paper's recommended 25%) and Kout = max(1, floor(c / 2)) (A1out's
 * length, 50%). For a request x:
 *
 *   x in Am      move x to Am's MRU end                    (hit())
 *   x in A1in    nothing: correlated references in a burst  (hit())
 *                do not make a block hot
 *   x in A1out   forget it there; x goes to Am's MRU end    (miss(), insert())
 *   otherwise    x goes to A1in's newest end               (insert())
 *
 * and when room is needed ("reclaimfor", evict()): if |A1in| > Kin, the
 * oldest of A1in is evicted and its key becomes the newest of A1out (the
 * oldest key of A1out is forgotten beyond Kout); otherwise Am's LRU entry
 * is evicted, without a ghost. Two points the paper leaves open: if Am is
 * empty the victim comes from A1in anyway (it must come from somewhere;
 * with c < 8 this happens while warming up), and a key found in A1out is
 * removed from it (the paper only adds x to Am; leaving a stale key behind
 * would let it skip A1in again after its next eviction from Am).
 *
 * As in every policy here, the A1out lookup is done in miss(), before the
 * evictions for x. Borrowed entries are passed over; if the chosen list
 * has no free entry the other is tried, and NULL means none at all.
 */
#include <stdlib.h>

#include "cache/cache_int.h"

enum { IN_A1 = 1, IN_AM = 2 };

struct twoq {
	plist a1in, am;
	gdb_pghost *a1out; /* list 0 */
	size_t kin;
	ppend to_am; /* miss() found them in A1out: go to Am */
};

static size_t kin_of(size_t c)
{
	return c / 4 ? c / 4 : 1;
}

static size_t kout_of(size_t c)
{
	return c / 2 ? c / 2 : 1;
}

static void *twoq_create(size_t capacity)
{
	struct twoq *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (!capacity)
		capacity = 1;
	s->a1out = gdb_pghost_create(kout_of(capacity));
	if (!s->a1out) {
		free(s);
		return NULL;
	}
	s->kin = kin_of(capacity);
	plist_init(&s->a1in);
	plist_init(&s->am);
	return s;
}

static void twoq_destroy(void *st)
{
	struct twoq *s = st;

	if (!s)
		return;
	gdb_pghost_destroy(s->a1out);
	free(s);
}

static void twoq_set_capacity(void *st, size_t capacity)
{
	struct twoq *s = st;

	if (!capacity)
		capacity = 1;
	s->kin = kin_of(capacity);
	/* on -ENOMEM A1out keeps its old length: only more history */
	(void)gdb_pghost_resize(&s->a1out, kout_of(capacity));
}

static void twoq_miss(void *st, uint64_t key)
{
	struct twoq *s = st;

	if (gdb_pghost_take(s->a1out, key) >= 0)
		ppend_put(&s->to_am, key);
	else
		ppend_take(&s->to_am, key);
}

static void twoq_insert(void *st, gdb_centry *e)
{
	struct twoq *s = st;

	if (ppend_take(&s->to_am, e->key)) {
		e->plist = IN_AM;
		plist_push(&s->am, e);
	} else {
		e->plist = IN_A1;
		plist_push(&s->a1in, e);
	}
}

static void twoq_hit(void *st, gdb_centry *e)
{
	struct twoq *s = st;

	if (e->plist != IN_AM)
		return;
	plist_unlink(&s->am, e);
	plist_push(&s->am, e);
}

static gdb_centry *from_a1in(struct twoq *s)
{
	gdb_centry *v = plist_free_from(&s->a1in, plist_oldest(&s->a1in));

	if (v) {
		plist_unlink(&s->a1in, v);
		/* the store holds Kout keys: a push forgets the oldest */
		gdb_pghost_push(s->a1out, 0, v->key);
	}
	return v;
}

static gdb_centry *twoq_evict(void *st)
{
	struct twoq *s = st;
	gdb_centry *v;

	if (s->a1in.len > s->kin && (v = from_a1in(s)))
		return v;
	v = plist_free_from(&s->am, plist_oldest(&s->am));
	if (v) {
		plist_unlink(&s->am, v);
		return v;
	}
	return from_a1in(s);
}

static void twoq_remove(void *st, gdb_centry *e)
{
	struct twoq *s = st;

	plist_unlink(e->plist == IN_AM ? &s->am : &s->a1in, e);
}

static void twoq_drain(void *st, void (*cb)(void *arg, gdb_centry *e),
		       void *arg)
{
	struct twoq *s = st;
	gdb_centry *e;

	/* A1in (seen once) is colder than Am */
	while ((e = plist_oldest(&s->a1in))) {
		plist_unlink(&s->a1in, e);
		cb(arg, e);
	}
	while ((e = plist_oldest(&s->am))) {
		plist_unlink(&s->am, e);
		cb(arg, e);
	}
}

static size_t twoq_size(void *st)
{
	struct twoq *s = st;

	return s->a1in.len + s->am.len;
}

const gdb_policy_ops gdb_policy_2q = {
    .name = "2q",
    .id = 4,
    .create = twoq_create,
    .destroy = twoq_destroy,
    .set_capacity = twoq_set_capacity,
    .miss = twoq_miss,
    .insert = twoq_insert,
    .hit = twoq_hit,
    .evict = twoq_evict,
    .remove = twoq_remove,
    .drain = twoq_drain,
    .size = twoq_size,
};
