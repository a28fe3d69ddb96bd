/*
 * tests/unit/test_cache_policy.c - the replacement policies (cache/policy*.c)
 * through gdb_policy_ops directly, without the cache core.
 *
 * For every policy: the invariants the core relies on (size() never above
 * the capacity when the caller evicts at capacity; only resident entries
 * come back from evict(); borrowed entries never do, and NULL when all are
 * borrowed; remove() of any entry keeps the lists whole; drain() hands back
 * every linked entry exactly once), under random traces; and hand-checked
 * hit sequences from gdb_cache_simulate(). Hit-for-hit agreement with the
 * papers' algorithms is tests/test_cache_policies.py's job.
 *
 * Exit 0 pass, 1 fail.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNIT_SEED 0x9e3779b97f4a7c15ULL
#include "tests/unit/unit.h"

#include "cache/cache.h"
#include "cache/cache_int.h"

static size_t rndn(size_t n)
{
	return (size_t)(rnd() % n);
}

/*
 * A test harness around one instance: a universe of nkeys entries (entry i
 * has key i), each either linked (given to the policy) or not.
 */
struct harness {
	const gdb_policy_ops *ops;
	void *st;
	size_t nkeys, linked;
	gdb_centry *e;
	uint8_t *in;   /* 1: linked in the policy */
	uint8_t *seen; /* drain: times handed back */
};

static int h_init(struct harness *h, const gdb_policy_ops *ops, size_t cap,
		  size_t nkeys)
{
	memset(h, 0, sizeof(*h));
	h->ops = ops;
	h->nkeys = nkeys;
	h->st = ops->create(cap);
	h->e = calloc(nkeys, sizeof(*h->e));
	h->in = calloc(nkeys, 1);
	h->seen = calloc(nkeys, 1);
	if (!h->st || !h->e || !h->in || !h->seen)
		return -ENOMEM;
	for (size_t i = 0; i < nkeys; i++)
		h->e[i].key = i * 0x10000001ULL; /* contig/block-like */
	return 0;
}

static void h_free(struct harness *h)
{
	if (h->st)
		h->ops->destroy(h->st);
	free(h->e);
	free(h->in);
	free(h->seen);
}

static size_t idx(struct harness *h, gdb_centry *e)
{
	return (size_t)(e - h->e);
}

/* Evict once; check the victim. @return the victim or NULL. */
static gdb_centry *h_evict(struct harness *h)
{
	gdb_centry *v = h->ops->evict(h->st);

	if (!v)
		return NULL;
	CHECK(v >= h->e && v < h->e + h->nkeys, "%s: evict() gave a stranger",
	      h->ops->name);
	if (!(v >= h->e && v < h->e + h->nkeys))
		return NULL;
	CHECK(h->in[idx(h, v)], "%s: evicted entry %zu was not linked",
	      h->ops->name, idx(h, v));
	CHECK(v->refs == 0, "%s: evicted borrowed entry %zu (refs %u)",
	      h->ops->name, idx(h, v), v->refs);
	h->in[idx(h, v)] = 0;
	h->linked--;
	return v;
}

static void h_insert(struct harness *h, size_t i, int with_miss)
{
	gdb_centry *e = &h->e[i];
	uint32_t refs = e->refs;

	memset(e, 0, sizeof(*e));
	e->key = i * 0x10000001ULL;
	e->refs = refs;
	if (with_miss)
		h->ops->miss(h->st, e->key);
	h->ops->insert(h->st, e);
	h->in[i] = 1;
	h->linked++;
}

static void drain_cb(void *arg, gdb_centry *e)
{
	struct harness *h = arg;
	size_t i = idx(h, e);

	CHECK(i < h->nkeys, "%s: drain gave a stranger", h->ops->name);
	if (i < h->nkeys)
		h->seen[i]++;
}

/* drain(): every linked entry exactly once, nothing else, size 0 after. */
static void h_drain_check(struct harness *h)
{
	memset(h->seen, 0, h->nkeys);
	h->ops->drain(h->st, drain_cb, h);
	for (size_t i = 0; i < h->nkeys; i++)
		CHECK(h->seen[i] == h->in[i],
		      "%s: drain handed entry %zu back %u times (linked %u)",
		      h->ops->name, i, h->seen[i], h->in[i]);
	CHECK(h->ops->size(h->st) == 0, "%s: size %zu after drain",
	      h->ops->name, h->ops->size(h->st));
	memset(h->in, 0, h->nkeys);
	h->linked = 0;
}

/*
 * The simulator's loop, checked step by step: a skewed random trace at
 * capacity cap; size() equals what the harness counts and never exceeds
 * cap; victims were linked.
 */
static void test_sim_invariants(const gdb_policy_ops *ops, size_t cap,
				size_t nkeys, size_t steps)
{
	struct harness h;

	if (h_init(&h, ops, cap, nkeys) < 0) {
		CHECK(0, "out of memory");
		h_free(&h);
		return;
	}
	for (size_t t = 0; t < steps; t++) {
		/* half the requests on a hot eighth of the keys */
		size_t i = rnd() & 1 ? rndn(nkeys / 8 + 1) : rndn(nkeys);

		if (h.in[i]) {
			ops->hit(h.st, &h.e[i]);
		} else {
			ops->miss(h.st, h.e[i].key);
			while (h.linked >= cap)
				if (!h_evict(&h)) {
					CHECK(0,
					      "%s: evict() NULL, nothing "
					      "borrowed",
					      ops->name);
					goto out;
				}
			h_insert(&h, i, 0);
		}
		CHECK(ops->size(h.st) == h.linked && h.linked <= cap,
		      "%s cap %zu step %zu: size %zu, linked %zu", ops->name,
		      cap, t, ops->size(h.st), h.linked);
		if (ops->size(h.st) != h.linked)
			goto out;
	}
	h_drain_check(&h);
out:
	h_free(&h);
}

/*
 * Borrowed entries: fill, hit at random, borrow a random subset; evict to
 * exhaustion: only free entries come back, then NULL with exactly the
 * borrowed ones linked. Then with everything borrowed: NULL at once.
 */
static void test_borrowed(const gdb_policy_ops *ops, size_t cap)
{
	struct harness h;
	size_t nb = 0;

	if (h_init(&h, ops, cap, 3 * cap) < 0) {
		CHECK(0, "out of memory");
		h_free(&h);
		return;
	}
	/* run a while so that ghosts, T2/M/Am and frequencies are in play */
	for (size_t t = 0; t < 20 * cap; t++) {
		size_t i = rndn(2 * cap);

		if (h.in[i]) {
			ops->hit(h.st, &h.e[i]);
			continue;
		}
		ops->miss(h.st, h.e[i].key);
		while (h.linked >= cap)
			if (!h_evict(&h))
				break;
		h_insert(&h, i, 0);
	}
	for (size_t i = 0; i < h.nkeys; i++)
		if (h.in[i] && rndn(3) == 0) {
			h.e[i].refs = 1 + (uint32_t)rndn(3);
			nb++;
		}
	while (h_evict(&h))
		;
	CHECK(ops->size(h.st) == nb && h.linked == nb,
	      "%s: %zu borrowed, %zu left after evicting all", ops->name, nb,
	      ops->size(h.st));
	for (size_t i = 0; i < h.nkeys; i++)
		CHECK(!h.in[i] || h.e[i].refs, "%s: free entry %zu not evicted",
		      ops->name, i);
	/* a hit on a borrowed entry (the core's usual case) and a remove */
	for (size_t i = 0; i < h.nkeys; i++)
		if (h.in[i]) {
			ops->hit(h.st, &h.e[i]);
			CHECK(ops->evict(h.st) == NULL, "%s: evicted borrowed",
			      ops->name);
			break;
		}
	/* release the borrows: now everything can go, coldest or not */
	for (size_t i = 0; i < h.nkeys; i++)
		h.e[i].refs = 0;
	while (h_evict(&h))
		;
	CHECK(ops->size(h.st) == 0 && h.linked == 0,
	      "%s: %zu left after releasing borrows", ops->name,
	      ops->size(h.st));
	/* all borrowed from the start */
	for (size_t i = 0; i < cap; i++) {
		h.e[i].refs = 1;
		h_insert(&h, i, 1);
	}
	CHECK(ops->evict(h.st) == NULL, "%s: evicted with all borrowed",
	      ops->name);
	h.e[cap / 2].refs = 0;
	CHECK(h_evict(&h) == &h.e[cap / 2],
	      "%s: the only free entry was not the victim", ops->name);
	for (size_t i = 0; i < cap; i++)
		h.e[i].refs = 0;
	h_drain_check(&h);
	h_free(&h);
}

/*
 * Everything mixed: inserts with and without miss() (unpins), hits,
 * evictions, remove() of arbitrary entries (pins), capacity changes and a
 * policy switch (drain into a fresh instance of another policy); size()
 * must always agree, and a final drain must return exactly what is linked.
 */
static void test_mixed(const gdb_policy_ops *ops, const gdb_policy_ops *next,
		       size_t cap)
{
	struct harness h;
	size_t nkeys = 4 * cap + 8;

	if (h_init(&h, ops, cap, nkeys) < 0) {
		CHECK(0, "out of memory");
		h_free(&h);
		return;
	}
	for (size_t t = 0; t < 3000; t++) {
		size_t i = rndn(nkeys), r = rndn(100);

		if (r < 8 && h.in[i]) {
			ops->remove(h.st, &h.e[i]);
			h.in[i] = 0;
			h.linked--;
		} else if (r < 10) {
			size_t c2 = 1 + rndn(2 * cap);

			ops->set_capacity(h.st, c2);
		} else if (h.in[i]) {
			ops->hit(h.st, &h.e[i]);
		} else {
			int with_miss = r >= 15;

			if (with_miss)
				ops->miss(h.st, h.e[i].key);
			/* the core may hold more than the capacity for a
			 * while (global budget): sometimes skip evicting */
			while (h.linked >= cap && r % 7)
				if (!h_evict(&h))
					break;
			h_insert(&h, i, 0);
		}
		CHECK(ops->size(h.st) == h.linked,
		      "%s step %zu: size %zu vs %zu", ops->name, t,
		      ops->size(h.st), h.linked);
		if (ops->size(h.st) != h.linked)
			break;
	}
	/* policy switch, as gdb_cache_set_policy does it */
	{
		void *fresh = next->create(cap);
		size_t before = h.linked;

		CHECK(fresh != NULL, "create");
		if (fresh) {
			struct harness h2 = h;

			memset(h.seen, 0, h.nkeys);
			ops->drain(h.st, drain_cb, &h);
			ops->destroy(h.st);
			h.st = NULL;
			for (size_t i = 0; i < h.nkeys; i++) {
				CHECK(h.seen[i] == h.in[i], "%s drain: %zu x%u",
				      ops->name, i, h.seen[i]);
				if (h.in[i]) {
					gdb_centry *e = &h.e[i];

					e->prev = e->next = NULL;
					e->plist = e->pfreq = 0;
					e->pspare = 0;
					next->insert(fresh, e);
				}
			}
			h2.ops = next;
			h2.st = fresh;
			CHECK(next->size(fresh) == before,
			      "%s -> %s: %zu vs %zu", ops->name, next->name,
			      next->size(fresh), before);
			while (h_evict(&h2))
				;
			CHECK(next->size(fresh) == 0 && h2.linked == 0,
			      "%s after switch: %zu left", next->name,
			      next->size(fresh));
			next->destroy(fresh);
			h.linked = 0;
		}
	}
	h_free(&h);
}

static size_t last_drained;

static void last_cb(void *arg, gdb_centry *e)
{
	(void)arg;
	last_drained = (size_t)e->key;
}

/*
 * The core decodes unlocked between miss() and insert(), so misses of one
 * shard interleave: a ghost hit must still send its own key to T2 / M / Am
 * when another key's miss comes in between. Drain hands those lists back
 * last, so the ghost-hit key must come out after the newcomer.
 */
static void test_interleaved_misses(void)
{
	static const char *const names[] = {"arc", "s3fifo", "2q"};

	for (unsigned p = 0; p < 3; p++) {
		const gdb_policy_ops *ops = gdb_policy_find(names[p]);
		gdb_centry e[6], *v;
		void *st = ops->create(4);

		if (!st) {
			CHECK(0, "out of memory");
			continue;
		}
		memset(e, 0, sizeof(e));
		for (size_t i = 0; i < 6; i++)
			e[i].key = i;
		for (size_t i = 0; i < 4; i++) {
			ops->miss(st, i);
			ops->insert(st, &e[i]);
		}
		v = ops->evict(st); /* the oldest newcomer: to the ghost */
		CHECK(v == &e[0], "%s: first victim %zu", names[p],
		      v ? (size_t)v->key : (size_t)-1);
		if (v != &e[0]) {
			ops->destroy(st);
			continue;
		}
		ops->miss(st, 0); /* ghost hit */
		ops->miss(st, 5); /* a newcomer, missed in between */
		memset(&e[0].prev, 0, 2 * sizeof(e[0].prev));
		ops->insert(st, &e[0]);
		ops->insert(st, &e[5]);
		ops->drain(st, last_cb, NULL);
		CHECK(last_drained == 0,
		      "%s: ghost hit not in the hot list "
		      "(last drained %zu)",
		      names[p], last_drained);
		ops->destroy(st);
	}
}

/* Drain order of LRU is the LRU order. */
static void test_lru_drain_order(void)
{
	const gdb_policy_ops *ops = gdb_policy_find("lru");
	struct harness h;

	if (h_init(&h, ops, 4, 4) < 0) {
		CHECK(0, "out of memory");
		h_free(&h);
		return;
	}
	for (size_t i = 0; i < 4; i++)
		h_insert(&h, i, 1);
	ops->hit(h.st, &h.e[0]);
	ops->hit(h.st, &h.e[2]);
	/* recency now, oldest first: 1 3 0 2 */
	{
		static const size_t want[] = {1, 3, 0, 2};

		for (size_t k = 0; k < 4; k++) {
			gdb_centry *v = h_evict(&h);

			CHECK(v == &h.e[want[k]], "lru victim %zu: got %zu", k,
			      v ? idx(&h, v) : (size_t)-1);
		}
	}
	h_free(&h);
}

static void expect_hits(const char *policy, const uint64_t *keys, size_t n,
			size_t cap, const char *want)
{
	uint8_t hits[64];
	char got[65];
	int64_t rc = gdb_cache_simulate(policy, keys, n, cap, hits);

	CHECK(rc >= 0, "%s: simulate = %lld", policy, (long long)rc);
	for (size_t i = 0; i < n; i++)
		got[i] = rc >= 0 && hits[i] ? 'H' : '.';
	got[n] = 0;
	CHECK(strcmp(got, want) == 0, "%s c=%zu: got %s, want %s", policy, cap,
	      got, want);
}

/* Traces short enough to follow by hand (derivations in comments). */
static void test_known_answers(void)
{
	/* LRU c=2, 1 2 1 3 1: 3 evicts 2 (the LRU), so 1 hits. */
	static const uint64_t a[] = {1, 2, 1, 3, 1};
	/* LFU c=2, 1 1 2 3 1 2: 1 reaches F=2 (K=2); 3 evicts 2 (K=1, L=1);
	 * 1 hits (F=3, K=4); 2 evicts 3 (K=2). LRU instead evicts 1 at the
	 * request of 3 (1 was used before 2). */
	static const uint64_t b[] = {1, 1, 2, 3, 1, 2};
	/* ARC c=2, 1 2 1 3 1 2 3 1: 1 moves to T2; 3: REPLACE with |T1| = 1
	 * > p = 0 sends 2 to B1; 1 hits; 2 hits B1: p = 1, REPLACE (|T1| = 1
	 * not > p) sends 1 from T2 to B2, 2 enters T2; 3 hits in T1; 1 is a
	 * B2 ghost: a miss. */
	static const uint64_t c[] = {1, 2, 1, 3, 1, 2, 3, 1};
	/* S3-FIFO c=2 (S share 1, G 1 key), 1 2 3 1 1 2 3 1: 3 pushes 1 from
	 * S to G; 1 comes back through G into M, pushing 2 to G; 1 hits
	 * (freq 1); 2 comes back into M, pushing 3 out of S to G; 3 comes back
	 * into M: S is empty, M's oldest 1 has freq 1 -> reinserted with 0, 2
	 * (freq 0) evicted; 1 hits. */
	static const uint64_t d[] = {1, 2, 3, 1, 1, 2, 3, 1};
	/* 2Q c=2 (Kin 1): the hit on 1 in A1in does nothing; 3 pages 1 out to
	 * A1out; 1 comes back into Am (a miss) paging 2 out. */
	static const uint64_t e[] = {1, 2, 1, 3, 1};

	expect_hits("lru", a, 5, 2, "..H.H");
	expect_hits("lru", b, 6, 2, ".H....");
	expect_hits("lfu", b, 6, 2, ".H..H.");
	expect_hits("arc", c, 8, 2, "..H.H.H.");
	expect_hits("lru", c, 8, 2, "..H.H...");
	expect_hits("s3fifo", d, 8, 2, "....H..H");
	expect_hits("2q", e, 5, 2, "..H..");
}

/*
 * Scan + hot set, cache 100: a hot set of 40 read three times, then a
 * one-pass scan of 400 blocks, 30 rounds. LRU hits only the 2nd and 3rd
 * reads of each round; ARC keeps the hot set in T2 and S3-FIFO in M.
 */
static void test_scan_hot(void)
{
	size_t n = 30 * (120 + 400), k = 0;
	uint64_t *keys = malloc(n * sizeof(*keys));
	uint8_t *hits = malloc(n);
	uint64_t scan = 1000000;

	if (!keys || !hits) {
		CHECK(0, "out of memory");
		goto out;
	}
	for (int r = 0; r < 30; r++) {
		for (int p = 0; p < 3; p++)
			for (uint64_t i = 0; i < 40; i++)
				keys[k++] = i;
		for (int i = 0; i < 400; i++)
			keys[k++] = scan++;
	}
	for (unsigned p = 0; p < GDB_NPOLICIES; p++) {
		const char *name = gdb_policies[p]->name;
		size_t hot = 0;

		CHECK(gdb_cache_simulate(name, keys, n, 100, hits) >= 0, "%s",
		      name);
		for (size_t i = 0; i < n; i++)
			hot += keys[i] < 40 && hits[i];
		if (!strcmp(name, "lru"))
			CHECK(hot == 30 * 80, "lru hot hits %zu", hot);
		if (!strcmp(name, "arc") || !strcmp(name, "s3fifo"))
			CHECK(hot >= 30 * 120 - 120, "%s hot hits %zu of %d",
			      name, hot, 30 * 120);
	}
out:
	free(keys);
	free(hits);
}

static void test_table(void)
{
	static const char *const names[] = {"lru", "arc", "s3fifo", "lfu",
					    "2q"};
	uint64_t k[2] = {1, 2};

	for (unsigned i = 0; i < GDB_NPOLICIES; i++) {
		CHECK(gdb_policies[i]->id == i, "policy %u has id %u", i,
		      gdb_policies[i]->id);
		CHECK(!strcmp(gdb_policies[i]->name, names[i]), "policy %u: %s",
		      i, gdb_policies[i]->name);
	}
	CHECK(gdb_policy_find("S3FIFO") == gdb_policies[2], "case");
	CHECK(gdb_policy_find("2Q") == gdb_policies[4], "case");
	CHECK(gdb_policy_find("mru") == NULL, "unknown");
	CHECK(gdb_policy_find(NULL) == NULL, "NULL");
	CHECK(gdb_cache_simulate("mru", k, 2, 1, NULL) == -EINVAL, "bad name");
	CHECK(gdb_cache_simulate("lru", k, 2, 0, NULL) == -EINVAL, "cap 0");
	CHECK(gdb_cache_simulate("lru", k, 0, 1, NULL) == 0, "empty");
}

int main(void)
{
	static const size_t caps[] = {1, 2, 3, 10, 100, 1000};

	test_table();
	test_lru_drain_order();
	test_interleaved_misses();
	test_known_answers();
	test_scan_hot();
	for (unsigned p = 0; p < GDB_NPOLICIES; p++) {
		const gdb_policy_ops *ops = gdb_policies[p];

		for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
			test_sim_invariants(ops, caps[c], 3 * caps[c] + 5,
					    caps[c] < 100 ? 20000 : 60000);
			test_borrowed(ops, caps[c] < 2 ? 2 : caps[c]);
			test_mixed(ops,
				   gdb_policies[(p + 1 + c) % GDB_NPOLICIES],
				   caps[c]);
		}
	}
	if (failures) {
		fprintf(stderr, "test_cache_policy: %d failures\n", failures);
		return 1;
	}
	printf("test_cache_policy: ok\n");
	return 0;
}
