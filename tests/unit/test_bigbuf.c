/*
 * tests/unit/test_bigbuf.c - large output buffers (common/bigbuf.h): small
 * requests are left to malloc, fresh buffers are whole and writable, a
 * buffer given back is handed out again (the smallest that fits, never
 * one too small), the pool keeps to its count and byte caps, small and
 * NULL blocks are freed or ignored, threads never share a buffer, and a
 * pool of a caller's own (the api's) keeps to its caps, apart from the
 * process-wide one, a trimmed buffer keeps no page past its length
 * (mincore), a fresh buffer holds its size rounded up by at most a
 * quarter (huge pages only then), and a fork while another thread holds a
 * pool's lock leaves the child a usable, empty pool.
 *
 * Exit status: 0 pass, 1 fail (the first failures are printed).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/bigbuf.h"

#define UNIT_SEED 0x62696762756621ull
#include "tests/unit/unit.h"

#define MiB ((size_t)1 << 20)

static void check_pooled(unsigned n, size_t bytes, const char *what)
{
	unsigned pn;
	size_t pb;

	gdb_bigbuf_pooled(&pn, &pb);
	CHECK(pn == n && pb == bytes,
	      "%s: pool %u buffers %zu bytes, not %u %zu", what, pn, pb, n,
	      bytes);
}

static void check_fresh(void)
{
	size_t cap = 0;
	char *p;

	CHECK(gdb_bigbuf_get(GDB_BIGBUF_MIN - 1, &cap) == NULL, "small: NULL");
	p = gdb_bigbuf_get(GDB_BIGBUF_MIN + 1, &cap);
	CHECK(p != NULL, "fresh");
	if (!p)
		return;
	CHECK(cap >= GDB_BIGBUF_MIN + 1, "cap %zu", cap);
	CHECK(((uintptr_t)p & 4095) == 0, "page aligned");
	memset(p, 0x5a, cap); /* all of it is ours (ASan checks) */
	p = realloc(p, cap + 3 * MiB);
	CHECK(p != NULL && p[cap - 1] == 0x5a, "realloc keeps the bytes");
	free(p); /* an ordinary malloc block */
	check_pooled(0, 0, "free() is not the pool");
}

/*
 * A fresh buffer's usable size (what the pools and stats.json count): its
 * request rounded up to whole 2 MiB huge pages when that adds at most a
 * quarter, else to 4 KiB pages (give or take malloc's own page), never
 * more than 1.25 times the request plus a page or two (a 2.1 MiB request
 * once held 4.7 MiB, glibc's alignment slack included); 2 MiB aligned when
 * a whole huge page fits.
 */
static void check_sizes(void)
{
	static gdb_bigbuf_pool own = GDB_BIGBUF_POOL_INIT(12, 256 * MiB);
	const size_t asks[] = {
	    MiB,     MiB + 1,	  3 * MiB / 2, 7 * MiB / 4, 2 * MiB + 1,
	    3 * MiB, 4 * MiB - 1, 4 * MiB + 1, 9 * MiB + 5, 21 * MiB / 2};
	enum { NASK = sizeof(asks) / sizeof(asks[0]) };
	char *p[NASK];
	size_t cap, sum = 0, bytes;
	unsigned n;

	/* twice: first fresh mappings, then (malloc's mmap threshold has
	 * grown past them on their free) blocks from malloc's heap */
	for (int round = 0; round < 2; round++) {
		for (unsigned i = 0; i < NASK; i++) {
			size_t want = asks[i], huge = 2 * MiB;
			size_t page = (want + 4095) & ~(size_t)4095;
			size_t hp = (want + huge - 1) / huge * huge;
			size_t sz = hp - want <= want / 4 ? hp : page;

			p[i] = gdb_bigbuf_get_in(&own, want, &cap);
			CHECK(p[i] && cap >= sz && cap <= sz + 4096 &&
				  cap <= want + want / 4 + 8192,
			      "%zu bytes asked: %zu usable, not %zu", want, cap,
			      sz);
			CHECK(!p[i] || sz < huge ||
				  ((uintptr_t)p[i] & (huge - 1)) == 0,
			      "%zu bytes: 2 MiB aligned", want);
			if (p[i])
				memset(p[i], 0x3c, cap); /* ASan checks */
			sum += round ? 0 : cap;
		}
		for (unsigned i = 0; i < NASK; i++)
			gdb_bigbuf_put_in(&own, p[i]);
		gdb_bigbuf_pooled_in(&own, &n, &bytes);
		CHECK(n == NASK && (round || bytes == sum),
		      "accounted %u %zu, not %u %zu", n, bytes, NASK, sum);
		gdb_bigbuf_drain_in(&own);
	}
}

static void check_reuse(void)
{
	size_t ca, cb, cc;
	char *a = gdb_bigbuf_get(3 * MiB, &ca);
	char *b = gdb_bigbuf_get(MiB, &cb);
	char *c;

	CHECK(a && b && ca >= 3 * MiB && cb >= MiB && cb < ca, "two sizes");
	gdb_bigbuf_put(a);
	gdb_bigbuf_put(b);
	check_pooled(2, ca + cb, "two given back");
	c = gdb_bigbuf_get(cb + 1, &cc);
	CHECK(c == a && cc == ca, "the only one large enough");
	gdb_bigbuf_put(c);
	c = gdb_bigbuf_get(cb, &cc);
	CHECK(c == b && cc == cb, "the smallest that fits");
	gdb_bigbuf_put(c);
	c = gdb_bigbuf_get(ca + 1, &cc);
	CHECK(c && c != a && c != b && cc > ca, "none fits: a fresh one");
	check_pooled(2, ca + cb, "a fresh one leaves the pool");
	gdb_bigbuf_put(c);
	gdb_bigbuf_drain();
	check_pooled(0, 0, "drained");
}

/* A pooled buffer far larger than the request stays in the pool: the
 * cache charges an answer's length, not its buffer's. */
static void check_waste(void)
{
	size_t cb, cc;
	char *b = gdb_bigbuf_get(9 * MiB, &cb), *c;

	CHECK(b && cb >= 9 * MiB, "a large one");
	gdb_bigbuf_put(b);
	c = gdb_bigbuf_get(MiB, &cc);
	CHECK(c && c != b && cc < 6 * MiB, "1 MiB: a fresh one, not 9 MiB");
	check_pooled(1, cb, "the large one stays pooled");
	gdb_bigbuf_put(c);
	c = gdb_bigbuf_get(5 * MiB, &cc);
	CHECK(c == b && cc == cb, "5 MiB may take it (at most 2n + 4 MiB)");
	gdb_bigbuf_put(c);
	gdb_bigbuf_drain();
	check_pooled(0, 0, "drained");
}

static void check_caps(void)
{
	char *p[GDB_BIGBUF_POOL + 2];
	size_t cap[GDB_BIGBUF_POOL + 2], sum = 0;
	unsigned n;
	size_t bytes;

	for (unsigned i = 0; i < GDB_BIGBUF_POOL + 2; i++)
		p[i] = gdb_bigbuf_get(MiB, &cap[i]);
	for (unsigned i = 0; i < GDB_BIGBUF_POOL + 2; i++) {
		gdb_bigbuf_put(p[i]);
		if (i < GDB_BIGBUF_POOL)
			sum += cap[i];
	}
	check_pooled(GDB_BIGBUF_POOL, sum, "the count cap");
	gdb_bigbuf_drain();
	p[0] = gdb_bigbuf_get(GDB_BIGBUF_POOL_BYTES / 2 + 1, &cap[0]);
	p[1] = gdb_bigbuf_get(GDB_BIGBUF_POOL_BYTES / 2 + 1, &cap[1]);
	gdb_bigbuf_put(p[0]);
	gdb_bigbuf_put(p[1]);
	gdb_bigbuf_pooled(&n, &bytes);
	CHECK(n == 1 && bytes <= GDB_BIGBUF_POOL_BYTES, "the byte cap: %u %zu",
	      n, bytes);
	gdb_bigbuf_put(malloc(100)); /* small: freed (ASan: no leak) */
	gdb_bigbuf_put(NULL);
	gdb_bigbuf_pooled(&n, &bytes);
	CHECK(n == 1, "small and NULL blocks are not pooled");
	gdb_bigbuf_drain();
}

/* Threads taking and giving back at once: each buffer is one thread's
 * while it holds it (its pattern survives until it gives it back). */
static void *churn(void *arg)
{
	unsigned char tag = (unsigned char)(uintptr_t)arg;
	size_t cap;

	for (int i = 0; i < 200; i++) {
		size_t want = MiB + (size_t)(i % 3) * MiB;
		unsigned char *p = gdb_bigbuf_get(want, &cap);
		if (!p) {
			FAIL("thread %u: no buffer", tag);
			return NULL;
		}
		memset(p, tag, want);
		for (size_t k = 0; k < want; k += 4093)
			if (p[k] != tag) {
				FAIL("thread %u: buffer shared", tag);
				break;
			}
		gdb_bigbuf_put(p);
	}
	return NULL;
}

/* Pages of [p, p + n) resident now (mincore), or -1. */
static long resident_pages(const char *p, size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(pg - 1);
	size_t len = (uintptr_t)p + n - a, np = (len + pg - 1) / pg;
	unsigned char *v = malloc(np);
	long r = 0;

	if (!v || mincore((void *)a, len, v) != 0) {
		free(v);
		return -1;
	}
	for (size_t i = 0; i < np; i++)
		r += v[i] & 1;
	free(v);
	return r;
}

/* A buffer sized for 6 MiB, faulted in, holding 100 KB: trimmed, it keeps
 * the pages of its bytes (and of the terminator) and no other; its bytes
 * are unchanged and the rest is still writable. */
static void check_trim(void)
{
	size_t cap, used = 100000, pg = (size_t)sysconf(_SC_PAGESIZE);
	char *p = gdb_bigbuf_get(6 * MiB, &cap);
	long before, after;

	CHECK(p != NULL, "fresh");
	if (!p)
		return;
	memset(p, 0x6b, cap);
	before = resident_pages(p, cap);
	gdb_bigbuf_trim(p, used);
	after = resident_pages(p, cap);
	CHECK(before >= (long)(6 * MiB / pg), "%ld pages before", before);
	CHECK(after >= 0 && (size_t)after <= (used + 1 + pg - 1) / pg + 1,
	      "%ld pages resident after a trim to %zu bytes", after, used);
	CHECK(p[0] == 0x6b && p[used - 1] == 0x6b && p[used] == 0x6b,
	      "the used bytes and the terminator stay");
	memset(p + used, 0x11, cap - used); /* still ours (ASan checks) */
	CHECK(p[cap - 1] == 0x11, "writable past the trim");
	gdb_bigbuf_trim(p, cap); /* nothing past the end: a no-op */
	gdb_bigbuf_trim(NULL, 0);
	p[0] = 0;
	CHECK(resident_pages(p, pg) == 1, "first page");
	free(p);
	/* a small malloc block: only whole pages inside it, if any */
	p = malloc(3 * pg);
	CHECK(p != NULL, "malloc");
	if (p) {
		memset(p, 0x22, 3 * pg);
		gdb_bigbuf_trim(p, 10);
		CHECK(p[0] == 0x22 && p[10] == 0x22,
		      "small block's bytes stay");
		memset(p, 0x33, 3 * pg);
		free(p);
	}
}

static void check_threads(void)
{
	pthread_t t[4];

	for (uintptr_t i = 0; i < 4; i++)
		CHECK(pthread_create(&t[i], NULL, churn, (void *)(i + 1)) == 0,
		      "thread");
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	gdb_bigbuf_drain();
}

/* A pool of the caller's: its own count and byte caps (past the shared
 * pool's), buffers given back to it reused from it, the shared pool
 * untouched. */
static void check_own_pool(void)
{
	static gdb_bigbuf_pool own = GDB_BIGBUF_POOL_INIT(6, 40 * MiB);
	char *p[8], *c;
	size_t cap[8], sum = 0, cc, bytes;
	unsigned n;

	for (unsigned i = 0; i < 8; i++) {
		p[i] = gdb_bigbuf_get_in(&own, 3 * MiB, &cap[i]);
		CHECK(p[i] && cap[i] >= 3 * MiB, "own: fresh %u", i);
	}
	for (unsigned i = 0; i < 8; i++) {
		gdb_bigbuf_put_in(&own, p[i]);
		if (i < 6)
			sum += cap[i];
	}
	gdb_bigbuf_pooled_in(&own, &n, &bytes);
	CHECK(n == 6 && bytes == sum, "own: count cap 6: %u %zu", n, bytes);
	check_pooled(0, 0, "own pool apart from the shared one");
	c = gdb_bigbuf_get_in(&own, 3 * MiB, &cc);
	CHECK(c == p[0] || c == p[1] || c == p[2] || c == p[3] || c == p[4] ||
		  c == p[5],
	      "own: a buffer given back is taken again");
	memset(c, 1, cc);
	gdb_bigbuf_put_in(&own, c);
	gdb_bigbuf_drain_in(&own);
	gdb_bigbuf_pooled_in(&own, &n, &bytes);
	CHECK(n == 0 && bytes == 0, "own: drained");
	p[0] = gdb_bigbuf_get_in(&own, 21 * MiB, &cap[0]);
	p[1] = gdb_bigbuf_get_in(&own, 21 * MiB, &cap[1]);
	gdb_bigbuf_put_in(&own, p[0]);
	gdb_bigbuf_put_in(&own, p[1]);
	gdb_bigbuf_pooled_in(&own, &n, &bytes);
	CHECK(n == 1 && bytes <= 40 * MiB, "own: byte cap: %u %zu", n, bytes);
	gdb_bigbuf_drain_in(&own);
}

/*
 * fork() while another thread holds a pool's lock: the fork waits for it
 * (the pools' guard takes every pool's lock first), so the child gets the
 * lock free and its pools empty (the parent's buffers are not its to hand
 * out), and the parent keeps its own. The holder lets go a while after
 * the fork began (note_fork, run before the guard's handler): without
 * the guard the child would inherit the lock held and hang on it, which
 * the parent's bounded wait (unit_wait_child) turns into a failure.
 */
static gdb_bigbuf_pool forked = GDB_BIGBUF_POOL_INIT(4, 64 * MiB);
static int fork_began, pool_held; /* atomic */

static void note_fork(void)
{
	__atomic_store_n(&fork_began, 1, __ATOMIC_RELEASE);
}

static void nap(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void *hold_pool(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&forked.guard.lock);
	__atomic_store_n(&pool_held, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&fork_began, __ATOMIC_ACQUIRE))
		nap(1);
	nap(100); /* unguarded, fork() is done by now */
	pthread_mutex_unlock(&forked.guard.lock);
	return NULL;
}

/* The child: exit 0 when its pool is empty and usable, else 1; a
 * deadlock hangs it, and the parent kills it (unit_wait_child). */
static void forked_child(void)
{
	size_t cap, bytes;
	unsigned n;
	char *p;

	gdb_bigbuf_pooled_in(&forked, &n, &bytes);
	if (n != 0 || bytes != 0)
		unit_child_exit(1);
	p = gdb_bigbuf_get_in(&forked, 2 * MiB, &cap);
	if (!p)
		unit_child_exit(1);
	memset(p, 0x7e, 2 * MiB);
	gdb_bigbuf_put_in(&forked, p);
	gdb_bigbuf_pooled_in(&forked, &n, &bytes);
	unit_child_exit(n == 1 && bytes == cap ? 0 : 1);
}

static void check_fork(void)
{
	size_t cap, bytes;
	unsigned n;
	pthread_t t;
	int status = 0, ended = -1;
	pid_t pid;
	char *p = gdb_bigbuf_get_in(&forked, 3 * MiB, &cap);

	gdb_bigbuf_put_in(&forked, p); /* the pool is used: guarded */
	CHECK(pthread_atfork(note_fork, NULL, NULL) == 0, "atfork");
	CHECK(pthread_create(&t, NULL, hold_pool, NULL) == 0, "thread");
	while (!__atomic_load_n(&pool_held, __ATOMIC_ACQUIRE))
		nap(1);
	pid = fork();
	if (pid == 0)
		forked_child();
	CHECK(pid > 0, "fork");
	pthread_join(t, NULL);
	if (pid > 0)
		ended = unit_wait_child(pid, &status);
	CHECK(ended == 1, "child %s",
	      ended ? "not waited for" : "hung (killed): its pool's lock held");
	CHECK(ended != 1 || (WIFEXITED(status) && WEXITSTATUS(status) == 0),
	      "child: %s %d", WIFEXITED(status) ? "exit" : "signal",
	      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	gdb_bigbuf_pooled_in(&forked, &n, &bytes);
	CHECK(n == 1 && bytes == cap, "the parent keeps its pool");
	gdb_bigbuf_drain_in(&forked);
}

int main(void)
{
	check_fresh();
	check_sizes();
	check_reuse();
	check_waste();
	check_caps();
	check_trim();
	check_threads();
	check_own_pool();
	check_fork();
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
