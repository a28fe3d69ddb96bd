/*
 * cache/buffers.c - the memory of decoded blocks: 2 MiB arena chunks
 * (advised as huge pages) that block buffers are carved from, a spare
 * chunk the prefetch thread keeps faulted in, and the pool of free block
 * buffers.
 *
 * A fresh page costs the kernel a fault and a zeroing, and on a cold scan
 * that was a third of the daemon's CPU (docs/BENCHMARKS.md): so every
 * buffer a block leaves (evicted, passed by a sequential reader, served
 * once uncached, failed its check) goes to the pool and is used again
 * before any new memory is. The pool is one for the whole cache (a buffer
 * freed in one shard serves a miss in any other), in two parts:
 *
 *   warm: its pages are still there (no fault when reused); reused first.
 *         At most warm_max() buffers, so that memory outside the budget
 *         stays small (<= 8 MiB of 64 Ki-base blocks).
 *   cold: its pages were given back to the system (MADV_DONTNEED): past
 *         the warm cap, or evicted to make room for a computed answer
 *         (which is malloc'd memory, not a block buffer).
 *
 * New buffers are made only when the pool is empty, that is when every
 * buffer made so far holds a resident block or is being decoded or read:
 * so buffers with pages number at most the budget's blocks, the warm cap
 * and one per decode or borrow in flight. The budget itself (resident
 * bytes) is kept by cache.c and never counts pool buffers.
 *
 * Lock order: a shard's lock, then pool_lock. pool_lock and arena_lock
 * are never held together, nor arena_lock and pf_lock (c->spare is read
 * without a lock, as an atomic, by the prefetch thread's wait).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cache/cache_int.h"

static gdb_cache_entry *X(gdb_centry *e)
{
	return (gdb_cache_entry *)e;
}

/* A reader took the spare, arena_lock no longer held (the prefetch thread
 * takes arena_lock only outside pf_lock): wake it to make another. */
static void spare_taken(gdb_cache *c)
{
	pthread_mutex_lock(&c->pf_lock);
	pthread_cond_signal(&c->pf_cond);
	pthread_mutex_unlock(&c->pf_lock);
}

/* A buffer outside the arena, still freed at destroy (as a 1-use chunk). */
static char *malloc_owned(gdb_cache *c, size_t n)
{
	struct arena_chunk *ch = malloc(sizeof(*ch));
	char *p = malloc(n);

	if (!ch || !p) {
		free(ch);
		free(p);
		return NULL;
	}
	ch->base = p;
	ch->used = SIZE_MAX; /* never carved from; freed, not unmapped */
	pthread_mutex_lock(&c->arena_lock);
	ch->next = c->arena;
	c->arena = ch;
	pthread_mutex_unlock(&c->arena_lock);
	return p;
}

/* A new 2 MiB-aligned chunk, advised as a huge page, touched (faulted in)
 * when prefault is set. Not linked anywhere yet. */
static struct arena_chunk *chunk_new(gdb_cache *c, int prefault)
{
	void *m =
	    __atomic_load_n(&c->test_fail_chunks, __ATOMIC_RELAXED)
		? MAP_FAILED
		: mmap(NULL, 2 * (size_t)ARENA_CHUNK, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct arena_chunk *ch = m == MAP_FAILED ? NULL : malloc(sizeof(*ch));
	uintptr_t a;

	if (!ch) {
		if (m != MAP_FAILED)
			munmap(m, 2 * (size_t)ARENA_CHUNK);
		return NULL;
	}
	/* Keep the 2 MiB-aligned half, so it can be one huge page. */
	a = ((uintptr_t)m + ARENA_CHUNK - 1) & ~(uintptr_t)(ARENA_CHUNK - 1);
	if (a > (uintptr_t)m)
		munmap(m, a - (uintptr_t)m);
	if ((uintptr_t)m + 2 * ARENA_CHUNK > a + ARENA_CHUNK)
		munmap((void *)(a + ARENA_CHUNK),
		       (uintptr_t)m + 2 * ARENA_CHUNK - a - ARENA_CHUNK);
	madvise((void *)a, ARENA_CHUNK, MADV_HUGEPAGE);
	if (prefault)
		for (size_t off = 0; off < ARENA_CHUNK; off += 4096)
			((volatile char *)a)[off] = 0;
	ch->base = (char *)a;
	ch->used = 0;
	ch->next = NULL;
	return ch;
}

static char *arena_alloc(gdb_cache *c)
{
	struct arena_chunk *ch;
	char *p = NULL;
	int took = 0;

	if (c->bb > ARENA_CHUNK / 4)
		return NULL; /* the caller mallocs */
	pthread_mutex_lock(&c->arena_lock);
	ch = c->arena;
	if (!ch || ch->used == SIZE_MAX || ch->used + c->bb > ARENA_CHUNK) {
		/* The prefetch thread keeps a faulted spare ready, so a reader
		 * rarely pays the fault (with compaction, milliseconds). */
		ch = c->spare;
		__atomic_store_n(&c->spare, NULL, __ATOMIC_RELAXED);
		took = ch != NULL;
		if (!ch)
			ch = chunk_new(c, 0);
		if (!ch)
			goto out;
		ch->next = c->arena;
		c->arena = ch;
	}
	p = ch->base + ch->used;
	ch->used += c->bb;
out:
	pthread_mutex_unlock(&c->arena_lock);
	if (took)
		spare_taken(c);
	return p;
}

/* Give the pages of n bytes at p back to the system (they read as zeros
 * when touched again). */
static void release_pages(char *p, size_t n)
{
	uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
	uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)4095;

	if (e > a)
		madvise((void *)a, e - a, MADV_DONTNEED);
}

/* How many warm buffers the pool keeps: an eighth of the budget's blocks,
 * between POOL_WARM_MIN and POOL_WARM_MAX (a stream's window of passed
 * and prefetched blocks turns over within that). */
static uint32_t warm_max(gdb_cache *c)
{
	uint64_t n = cache_budget(c) / c->bb / 8;

	if (n < POOL_WARM_MIN)
		return POOL_WARM_MIN;
	return n > POOL_WARM_MAX ? POOL_WARM_MAX : (uint32_t)n;
}

static void push(gdb_cache_entry **list, gdb_cache_entry *x)
{
	x->e.next = *list ? &(*list)->e : NULL;
	*list = x;
}

static gdb_cache_entry *pop(gdb_cache_entry **list)
{
	gdb_cache_entry *x = *list;

	if (x) {
		*list = X(x->e.next);
		x->e.next = NULL;
	}
	return x;
}

gdb_cache_entry *cache_buf_take(gdb_cache *c)
{
	gdb_cache_entry *x;

	pthread_mutex_lock(&c->pool_lock);
	x = pop(&c->warm);
	if (x)
		c->nwarm--;
	else if ((x = pop(&c->cold)) != NULL)
		c->ncold--;
	pthread_mutex_unlock(&c->pool_lock);
	if (x)
		return x;
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->e.bases = arena_alloc(c);
	if (!x->e.bases)
		x->e.bases = malloc_owned(c, c->bb);
	if (!x->e.bases) {
		free(x);
		return NULL;
	}
	__atomic_add_fetch(&c->nbufs, 1, __ATOMIC_RELAXED);
	return x;
}

void cache_buf_give(gdb_cache *c, gdb_cache_entry *x, int release)
{
	pthread_mutex_lock(&c->pool_lock);
	if (!release && c->nwarm < warm_max(c)) {
		push(&c->warm, x);
		c->nwarm++;
		pthread_mutex_unlock(&c->pool_lock);
		return;
	}
	pthread_mutex_unlock(&c->pool_lock);
	release_pages(x->e.bases, c->bb);
	pthread_mutex_lock(&c->pool_lock);
	push(&c->cold, x);
	c->ncold++;
	pthread_mutex_unlock(&c->pool_lock);
}

void cache_buf_trim(gdb_cache *c)
{
	for (;;) {
		gdb_cache_entry *x = NULL;

		pthread_mutex_lock(&c->pool_lock);
		if (c->nwarm > warm_max(c)) {
			x = pop(&c->warm);
			c->nwarm--;
		}
		pthread_mutex_unlock(&c->pool_lock);
		if (!x)
			return;
		cache_buf_give(c, x, 1);
	}
}

void cache_buf_destroy(gdb_cache *c)
{
	gdb_cache_entry *x;

	while ((x = pop(&c->warm)) != NULL)
		free(x);
	while ((x = pop(&c->cold)) != NULL)
		free(x);
	c->nwarm = c->ncold = 0;
	if (c->spare) {
		munmap(c->spare->base, ARENA_CHUNK);
		free(c->spare);
		c->spare = NULL;
	}
	while (c->arena) {
		struct arena_chunk *nx = c->arena->next;
		if (c->arena->used == SIZE_MAX)
			free(c->arena->base);
		else
			munmap(c->arena->base, ARENA_CHUNK);
		free(c->arena);
		c->arena = nx;
	}
}

int cache_buf_spare_ready(gdb_cache *c)
{
	return __atomic_load_n(&c->spare, __ATOMIC_RELAXED) != NULL;
}

unsigned cache_buf_keep_spare(gdb_cache *c, unsigned backoff_ms)
{
	struct arena_chunk *ch;

	if (cache_buf_spare_ready(c))
		return 0;
	__atomic_add_fetch(&c->chunk_tries, 1, __ATOMIC_RELAXED);
	ch = chunk_new(c, 1);
	if (!ch)
		return backoff_ms ? (backoff_ms >= 500 ? 1000 : backoff_ms * 2)
				  : 10;
	pthread_mutex_lock(&c->arena_lock);
	if (!c->spare) {
		__atomic_store_n(&c->spare, ch, __ATOMIC_RELAXED);
		ch = NULL;
	}
	pthread_mutex_unlock(&c->arena_lock);
	if (ch) {
		munmap(ch->base, ARENA_CHUNK);
		free(ch);
	}
	return 0;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (char *const *)a;
	uintptr_t y = (uintptr_t) * (char *const *)b;

	return x < y ? -1 : x > y;
}

/* Collect the buffers of list into v (at most cap); @return how many. */
static size_t list_bases(gdb_cache_entry *x, char **v, size_t n, size_t cap)
{
	for (; x; x = X(x->e.next))
		if (n < cap)
			v[n++] = x->e.bases;
	return n;
}

void cache_test_check(gdb_cache *c, struct cache_check *out)
{
	/* room for every buffer twice: a buffer listed twice is counted */
	size_t cap = 2 * (size_t)__atomic_load_n(&c->nbufs, __ATOMIC_RELAXED) +
		     16,
	       n = 0;
	char **v = malloc(cap * sizeof(*v));

	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < NSHARDS; i++)
		pthread_mutex_lock(&c->shards[i].lock);
	pthread_mutex_lock(&c->pool_lock);
	for (uint32_t i = 0; i < NSHARDS; i++) {
		struct shard *sh = &c->shards[i];
		for (uint32_t h = 0; h <= sh->hmask; h++)
			for (gdb_centry *e = sh->htab[h]; e; e = e->hnext) {
				out->blocks++;
				if (v && n < cap)
					v[n++] = e->bases;
			}
	}
	if (v) {
		n = list_bases(c->warm, v, n, cap);
		n = list_bases(c->cold, v, n, cap);
	}
	out->warm = c->nwarm;
	out->cold = c->ncold;
	out->warm_max = warm_max(c);
	out->bufs = __atomic_load_n(&c->nbufs, __ATOMIC_RELAXED);
	out->listed = n;
	pthread_mutex_unlock(&c->pool_lock);
	for (uint32_t i = NSHARDS; i-- > 0;)
		pthread_mutex_unlock(&c->shards[i].lock);
	if (!v) {
		out->dups = UINT64_MAX; /* cannot tell: the test fails */
		return;
	}
	qsort(v, n, sizeof(*v), cmp_ptr);
	for (size_t i = 1; i < n; i++)
		out->dups += v[i] == v[i - 1];
	free(v);
}
