/*
 * cache/policy_lru.c - least recently used: one list, hits move an entry
 * to the newest end, victims come from the oldest end.
 *
 * The baseline the other policies are measured against. It keeps no
 * history (no ghost keys), so miss() and set_capacity() do nothing. Its
 * weakness is the one that matters for genomics: a one-pass scan longer
 * than the cache (a whole-chromosome read) flushes every hot block.
 */
#include <stdlib.h>

#include "cache/cache_int.h"

struct lru {
	plist l;
};

static void *lru_create(size_t capacity)
{
	struct lru *s = malloc(sizeof(*s));

	(void)capacity;
	if (s)
		plist_init(&s->l);
	return s;
}

static void lru_destroy(void *st)
{
	free(st);
}

static void lru_set_capacity(void *st, size_t capacity)
{
	(void)st;
	(void)capacity;
}

static void lru_miss(void *st, uint64_t key)
{
	(void)st;
	(void)key;
}

static void lru_insert(void *st, gdb_centry *e)
{
	struct lru *s = st;

	plist_push(&s->l, e);
}

static void lru_hit(void *st, gdb_centry *e)
{
	struct lru *s = st;

	plist_unlink(&s->l, e);
	plist_push(&s->l, e);
}

static gdb_centry *lru_evict(void *st)
{
	struct lru *s = st;
	gdb_centry *v = plist_free_from(&s->l, plist_oldest(&s->l));

	if (v)
		plist_unlink(&s->l, v);
	return v;
}

static void lru_remove(void *st, gdb_centry *e)
{
	struct lru *s = st;

	plist_unlink(&s->l, e);
}

static void lru_drain(void *st, void (*cb)(void *arg, gdb_centry *e), void *arg)
{
	struct lru *s = st;
	gdb_centry *e;

	while ((e = plist_oldest(&s->l))) {
		plist_unlink(&s->l, e);
		cb(arg, e);
	}
}

static size_t lru_size(void *st)
{
	struct lru *s = st;

	return s->l.len;
}

const gdb_policy_ops gdb_policy_lru = {
    .name = "lru",
    .id = 0,
    .create = lru_create,
    .destroy = lru_destroy,
    .set_capacity = lru_set_capacity,
    .miss = lru_miss,
    .insert = lru_insert,
    .hit = lru_hit,
    .evict = lru_evict,
    .remove = lru_remove,
    .drain = lru_drain,
    .size = lru_size,
};
