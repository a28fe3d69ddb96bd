/*
 * cache/answer.c - computed answers under the cache's byte budget (API and
 * life cycle: cache.h, "Computed answers").
 *
 * An answer is charged to the same resident counter as the blocks, through
 * cache_reserve() (cache.c), which evicts blocks, then answers, until the
 * answer fits or nothing can go. Answers beyond half the budget make room
 * among themselves first, least recently read first, so a run of large
 * answers does not push every block out; blocks making room evict answers
 * while answers hold more than half the budget, and whenever no block can
 * go (cache.c, make_room).
 *
 * Dropped bytes go to common/bigbuf.h's pool, not straight to free(): a
 * renderer of large answers takes them back, memory already faulted in.
 *
 * Locking: one mutex (struct cache_answers.lock) guards every handle's
 * data, refs and links, and the list; data is freed and resident bytes
 * are given back after it is released, and it is never held while a
 * shard lock is taken (cache_reserve evicts with no answer lock held).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "cache/cache_int.h"
#include "common/bigbuf.h"

void cache_answers_init(struct cache_answers *a)
{
	pthread_mutex_init(&a->lock, NULL);
	a->lru.prev = a->lru.next = &a->lru;
}

void cache_answers_destroy(struct cache_answers *a)
{
	pthread_mutex_destroy(&a->lock);
}

/* Under the lock. */
static void unlink_ans(struct gdb_cache_answer *x)
{
	x->prev->next = x->next;
	x->next->prev = x->prev;
}

static void link_front(struct cache_answers *s, struct gdb_cache_answer *x)
{
	x->next = s->lru.next;
	x->prev = &s->lru;
	s->lru.next->prev = x;
	s->lru.next = x;
}

#define CHUNK ((uint64_t)64 << 10) /* served() counts whole chunks */

static uint64_t chunks(const struct gdb_cache_answer *x)
{
	return (x->len + CHUNK - 1) / CHUNK;
}

/* Under the lock: x's bytes leave it (read again from nothing served). */
static char *take_data(struct gdb_cache_answer *x)
{
	char *data = x->data;

	x->data = NULL;
	if (x->served && x->nserved)
		memset(x->served, 0, (chunks(x) + 63) / 64 * 8);
	x->nserved = 0;
	return data;
}

int cache_answers_evict_one(gdb_cache *c)
{
	struct cache_answers *s = cache_answers_of(c);
	struct gdb_cache_answer *x;
	char *data = NULL;
	size_t len = 0;

	pthread_mutex_lock(&s->lock);
	for (x = s->lru.prev; x != &s->lru; x = x->prev)
		if (!x->refs && !x->keep)
			break;
	if (x != &s->lru) {
		unlink_ans(x);
		x->charged = 0;
		data = take_data(x);
		len = x->len;
		s->bytes -= len;
		s->evictions++;
	}
	pthread_mutex_unlock(&s->lock);
	if (!data)
		return 0;
	gdb_bigbuf_put(data);
	cache_unreserve(c, len);
	return 1;
}

uint64_t cache_answers_bytes(gdb_cache *c)
{
	struct cache_answers *s = cache_answers_of(c);
	uint64_t b;

	pthread_mutex_lock(&s->lock);
	b = s->bytes;
	pthread_mutex_unlock(&s->lock);
	return b;
}

/* Count x's bytes against the budget if room can be made: older answers
 * go first while answers hold more than half of it. */
static void charge(gdb_cache *c, struct gdb_cache_answer *x)
{
	struct cache_answers *s = cache_answers_of(c);
	uint64_t half = cache_budget(c) / 2;

	while (cache_answers_bytes(c) + x->len > half &&
	       cache_answers_evict_one(c))
		;
	if (cache_reserve(c, x->len)) {
		pthread_mutex_lock(&s->lock);
		x->charged = 1;
		s->bytes += x->len;
		link_front(s, x);
		pthread_mutex_unlock(&s->lock);
	} else {
		pthread_mutex_lock(&s->lock);
		s->uncached++;
		pthread_mutex_unlock(&s->lock);
	}
}

int gdb_cache_answer_new(gdb_cache *c, char *data, size_t len, unsigned flags,
			 gdb_cache_answer **out)
{
	struct gdb_cache_answer *x = calloc(1, sizeof(*x));

	if (!x) {
		gdb_bigbuf_put(data);
		return -ENOMEM;
	}
	/* The budget counts an answer's length: its buffer keeps no page
	 * past it (renderers size buffers by over-estimates, and
	 * common/bigbuf.c faults new ones in whole). */
	gdb_bigbuf_trim(data, len);
	x->data = data;
	x->len = len;
	x->refs = 1;
	x->keep = (flags & GDB_CACHE_ANSWER_KEEP) != 0;
	charge(c, x);
	*out = x;
	return 0;
}

int gdb_cache_answer_get(gdb_cache *c, gdb_cache_answer *x, const char **data)
{
	struct cache_answers *s = cache_answers_of(c);
	int held;

	pthread_mutex_lock(&s->lock);
	held = x->data != NULL;
	if (held) {
		x->refs++;
		*data = x->data;
		if (x->charged) { /* most recently read */
			unlink_ans(x);
			link_front(s, x);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return held;
}

void gdb_cache_answer_fill(gdb_cache *c, gdb_cache_answer *x, char *data,
			   const char **out)
{
	struct cache_answers *s = cache_answers_of(c);
	int first;

	gdb_bigbuf_trim(data, x->len); /* as gdb_cache_answer_new */
	pthread_mutex_lock(&s->lock);
	first = x->data == NULL;
	if (first)
		x->data = data;
	x->refs++;
	*out = x->data;
	pthread_mutex_unlock(&s->lock);
	if (!first)
		gdb_bigbuf_put(data); /* another reader filled it first */
	else
		charge(c, x);
}

void gdb_cache_answer_served(gdb_cache *c, gdb_cache_answer *x, uint64_t off,
			     size_t n)
{
	struct cache_answers *s = cache_answers_of(c);
	uint64_t lo = (off + CHUNK - 1) / CHUNK, hi, total = chunks(x);

	if (x->len < GDB_CACHE_ANSWER_WHOLE || x->keep || !n)
		return;
	/* the chunks wholly inside [off, off + n); the last ends at len */
	hi = off + n >= x->len ? total : (off + n) / CHUNK;
	pthread_mutex_lock(&s->lock);
	if (!x->served)
		x->served = calloc((size_t)(total + 63) / 64, 8);
	for (uint64_t k = lo; x->served && k < hi; k++)
		if (!(x->served[k / 64] >> (k % 64) & 1)) {
			x->served[k / 64] |= 1ull << (k % 64);
			x->nserved++;
		}
	pthread_mutex_unlock(&s->lock);
}

void gdb_cache_answer_put(gdb_cache *c, gdb_cache_answer *x)
{
	struct cache_answers *s = cache_answers_of(c);
	char *data = NULL;
	size_t charged = 0;

	pthread_mutex_lock(&s->lock);
	if (--x->refs == 0 && !x->keep && x->data &&
	    (!x->charged || (x->served && x->nserved == chunks(x)))) {
		/* it did not fit (held only while read), or it was read
		 * whole: the reader has it */
		if (x->charged) {
			unlink_ans(x);
			x->charged = 0;
			s->bytes -= x->len;
			s->evictions++;
			charged = x->len;
		}
		data = take_data(x);
	}
	pthread_mutex_unlock(&s->lock);
	if (charged)
		cache_unreserve(c, charged);
	gdb_bigbuf_put(data);
}

void gdb_cache_answer_free(gdb_cache *c, gdb_cache_answer *x)
{
	struct cache_answers *s;
	size_t charged = 0;

	if (!x)
		return;
	s = cache_answers_of(c);
	pthread_mutex_lock(&s->lock);
	if (x->charged) {
		unlink_ans(x);
		s->bytes -= x->len;
		charged = x->len;
	}
	pthread_mutex_unlock(&s->lock);
	if (charged)
		cache_unreserve(c, charged);
	gdb_bigbuf_put(x->data);
	free(x->served);
	free(x);
}
