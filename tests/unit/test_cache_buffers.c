/*
 * tests/unit/test_cache_buffers.c - the cache's block buffers (cache/
 * buffers.c): every buffer a block leaves goes back to one pool and is
 * reused; the budget stays exact under that reuse (resident bytes are the
 * resident blocks' and the answers', never above the budget, and buffers
 * are made only when the pool is empty); no buffer is ever held by two
 * blocks at once, also with readers, a streaming reader and the prefetch
 * thread racing; a long sequential read gives back the blocks it passed
 * (and keeps those another reader used); a damaged block is still an
 * error (GDB_ECHECKSUM, logged by the store) on every read, and its
 * buffer goes back to the pool; a pin over it fails whole (the blocks it
 * pinned released, those pinned before kept), as does a pin that finds
 * no room (everything borrowed); a reader taking the prefetch thread's
 * spare chunk has it make another; the table counting a small read's
 * touches keeps as many blocks of one set as it has ways. Exit 0 pass,
 * 1 fail.
 */
#define UNIT_SEED 0xb0f5u
#include "tests/unit/unit.h"
#include "tests/unit/unit_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/cache_int.h"

#define BB GDB_DNA_BLOCK_BASES
#define MIB ((size_t)1 << 20)

static const gdb_store *S;
static char *SEQ[2];
static int64_t LEN[2] = {6000000, 1500000};

/* Log lines naming the damaged block of test_damage (contig c0, block 20:
 * bases 1,310,721-1,376,256). */
static int damage_logged;

/* The last failed pin's log line (test_pin_damage; one thread pins). */
static char pin_logged[512];

static void sink(enum gdb_log_level level, const char *line)
{
	if (level == GDB_LOG_ERROR &&
	    strstr(line, "checksum mismatch in a/c0:1310721-1376256"))
		__atomic_add_fetch(&damage_logged, 1, __ATOMIC_RELAXED);
	if (level == GDB_LOG_ERROR && !strncmp(line, "pin ", 4))
		snprintf(pin_logged, sizeof(pin_logged), "%s", line);
}

/* The invariants, with nothing in flight and borrowed outstanding. */
static void check_pool(gdb_cache *c, uint64_t borrowed_transient,
		       const char *when)
{
	struct cache_check k;
	gdb_cache_stats st;

	cache_test_check(c, &k);
	gdb_cache_stats_get(c, &st);
	CHECK(k.dups == 0, "%s: %llu buffers held twice", when,
	      (unsigned long long)k.dups);
	CHECK(k.listed + borrowed_transient == k.bufs,
	      "%s: %llu buffers made, %llu found", when,
	      (unsigned long long)k.bufs, (unsigned long long)k.listed);
	CHECK(st.resident_bytes == k.blocks * BB + st.answer_bytes,
	      "%s: resident %llu, %llu blocks, answers %llu", when,
	      (unsigned long long)st.resident_bytes,
	      (unsigned long long)k.blocks,
	      (unsigned long long)st.answer_bytes);
	CHECK(st.resident_bytes <= st.budget_bytes, "%s: resident %llu > %llu",
	      when, (unsigned long long)st.resident_bytes,
	      (unsigned long long)st.budget_bytes);
	CHECK(k.warm <= k.warm_max, "%s: %u warm buffers, cap %u", when, k.warm,
	      k.warm_max);
}

static int same_bases(uint32_t contig, uint32_t blk, const char *bases,
		      uint32_t n)
{
	int64_t at = (int64_t)blk * BB;
	int64_t want = LEN[contig] - at < BB ? LEN[contig] - at : BB;

	return n == (uint32_t)want && !memcmp(bases, SEQ[contig] + at, n);
}

/* n keys of contig 0 whose touches in part share a set of the seen
 * table (cache_seen_part). */
static void same_set(uint64_t *keys, unsigned n)
{
	uint32_t set = (key_hash(make_key(0, 0)) >> 8) % SEEN_SETS;
	unsigned k = 0;

	for (uint32_t b = 0; k < n; b++)
		if ((key_hash(make_key(0, b)) >> 8) % SEEN_SETS == set)
			keys[k++] = make_key(0, b);
}

/* The seen table: four blocks of one set touched in turn each reach
 * their third touch (cached whole), as direct-mapped they pushed each
 * other out and started again; with all its ways taken, one more pushes
 * out the oldest, whose count starts again while the others' go on; a
 * slot freed by a third touch takes the next new block without pushing
 * out another. */
static void test_seen_ways(void)
{
	uint64_t k[SEEN_WAYS + 4];
	struct shard *sh = xmalloc(sizeof(*sh));
	unsigned w;

	memset(sh, 0, sizeof(*sh));
	same_set(k, SEEN_WAYS + 4);
	for (int t = 1; t <= 3; t++)
		for (w = 0; w < SEEN_WAYS; w++)
			CHECK(cache_seen_part(sh, k[w]) == (t < 3),
			      "SEEN_WAYS blocks of a set in turn: block %u's "
			      "touch "
			      "%d %s",
			      w, t, t < 3 ? "not in part" : "in part");
	for (w = 0; w <= SEEN_WAYS; w++)
		CHECK(cache_seen_part(sh, k[w]) == 1, "new block %u", w);
	for (int t = 2; t <= 3; t++)
		for (w = 1; w <= SEEN_WAYS; w++)
			CHECK(cache_seen_part(sh, k[w]) == (t < 3),
			      "one block too many: block %u's touch %d", w, t);
	for (int t = 1; t <= 3; t++)
		CHECK(cache_seen_part(sh, k[0]) == (t < 3),
		      "the block pushed out: touch %d of its count again", t);
	/* the newest block (way 0, not the oldest) cached and forgotten: a
	 * new block takes its slot and pushes out none of the others */
	memset(sh, 0, sizeof(*sh));
	for (w = 0; w < SEEN_WAYS; w++)
		cache_seen_part(sh, k[w]);
	CHECK(cache_seen_part(sh, k[SEEN_WAYS - 1]) == 1 &&
		  cache_seen_part(sh, k[SEEN_WAYS - 1]) == 0,
	      "the newest block to its third touch");
	CHECK(cache_seen_part(sh, k[SEEN_WAYS]) == 1,
	      "a block in the freed slot");
	for (int t = 2; t <= 3; t++)
		for (w = 0; w < SEEN_WAYS - 1; w++)
			CHECK(cache_seen_part(sh, k[w]) == (t < 3),
			      "after a freed slot: block %u's touch %d", w, t);
	free(sh);
}

/* Random gets under a budget of 16 blocks: every eviction's buffer is
 * reused, buffers are made only while the pool is empty. */
static void test_budget_under_reuse(void)
{
	gdb_cache *c;
	struct cache_check k;

	if (gdb_cache_create(S, 16 * BB, "lru", &c) < 0) {
		FAIL("cache");
		return;
	}
	for (int i = 0; i < 3000; i++) {
		uint32_t ct = (uint32_t)(rnd() % 2);
		uint32_t nb = gdb_store_contig(S, ct)->nblocks;
		uint32_t b = (uint32_t)(rnd() % nb);
		gdb_cache_entry *ref;
		const char *bases;
		uint32_t n;

		if (gdb_cache_get(c, ct, b, &bases, &n, &ref) < 0) {
			FAIL("get %u/%u", ct, b);
			break;
		}
		CHECK(same_bases(ct, b, bases, n), "block %u/%u differs", ct,
		      b);
		gdb_cache_put(c, ref);
		if (i % 500 == 0)
			check_pool(c, 0, "random gets");
	}
	check_pool(c, 0, "after random gets");
	cache_test_check(c, &k);
	/* one buffer per budget block and one for the miss being decoded */
	CHECK(k.bufs <= 16 + 1, "%llu buffers made for a 16-block budget",
	      (unsigned long long)k.bufs);
	/* a lower budget: evicted buffers give their pages back past the
	 * warm cap, and stay in the pool */
	CHECK(gdb_cache_set_budget(c, 4 * BB) == 0, "budget");
	check_pool(c, 0, "lower budget");
	cache_test_check(c, &k);
	CHECK(k.blocks <= 4, "%llu blocks under a 4-block budget",
	      (unsigned long long)k.blocks);
	gdb_cache_destroy(c);
}

/* Wait until the prefetch thread has a spare chunk ready, up to a minute
 * (a loaded machine may keep it from running). @return 1 if it has */
static int spare_ready(gdb_cache *c)
{
	struct timespec t = {0, 10 * 1000000L};

	for (int i = 0; i < 6000; i++) {
		if (cache_buf_spare_ready(c))
			return 1;
		nanosleep(&t, NULL);
	}
	return 0;
}

/* A reader that takes the prefetch thread's spare chunk (its buffers are
 * carved from it) wakes it, after dropping arena_lock, and it makes
 * another; twice, so the second take finds the thread waiting again.
 * (That arena_lock and pf_lock are never held together, the reason the
 * spare is read without the lock, only ThreadSanitizer shows: this test
 * under TSan reports main's inversion.) */
static void test_spare_replaced(void)
{
	enum { PER_CHUNK = ARENA_CHUNK / BB };
	gdb_cache_entry *x[2 * PER_CHUNK];
	gdb_cache *c;
	int n = 0;

	if (gdb_cache_create(S, 64 * BB, "lru", &c) < 0) {
		FAIL("cache");
		return;
	}
	if (gdb_cache_start_prefetch(c) < 0 || !spare_ready(c)) {
		FAIL("no spare chunk from the prefetch thread");
		gdb_cache_destroy(c);
		return;
	}
	/* an empty arena: the first take takes the spare, and the first
	 * after a chunk's PER_CHUNK buffers the next one */
	for (int round = 0; round < 2; round++) {
		struct arena_chunk *sp =
		    __atomic_load_n(&c->spare, __ATOMIC_RELAXED);

		while (n < (round + 1) * PER_CHUNK)
			x[n++] = cache_buf_take(c);
		CHECK(sp && x[round * PER_CHUNK] &&
			  x[round * PER_CHUNK]->e.bases == sp->base,
		      "take %d: not carved from the spare chunk", round + 1);
		CHECK(spare_ready(c) &&
			  __atomic_load_n(&c->spare, __ATOMIC_RELAXED) != sp,
		      "take %d: no new spare", round + 1);
	}
	for (int i = 0; i < n; i++)
		if (x[i])
			cache_buf_give(c, x[i], 0);
		else
			FAIL("buffer %d not made", i);
	gdb_cache_destroy(c);
}

/* Blocks borrowed at once are all distinct buffers, and an uncached miss
 * (everything borrowed) goes back to the pool on put. */
static void test_borrowed_distinct(void)
{
	gdb_cache_entry *ref[24];
	const char *bases[24];
	gdb_cache *c;
	uint32_t n;

	if (gdb_cache_create(S, 8 * BB, NULL, &c) < 0) {
		FAIL("cache");
		return;
	}
	for (uint32_t i = 0; i < 24; i++) {
		if (gdb_cache_get(c, 0, i, &bases[i], &n, &ref[i]) < 0) {
			FAIL("get %u", i);
			return;
		}
		for (uint32_t j = 0; j < i; j++)
			CHECK(bases[i] != bases[j],
			      "blocks %u and %u share "
			      "a buffer",
			      i, j);
	}
	check_pool(c, 24 - 8, "24 borrowed, 8 cached");
	for (uint32_t i = 0; i < 24; i++) {
		CHECK(same_bases(0, i, bases[i], BB),
		      "borrowed block %u changed", i);
		gdb_cache_put(c, ref[i]);
	}
	check_pool(c, 0, "all put back");
	gdb_cache_destroy(c);
}

/* Read contig ct from block b0 on in reads of rd bases, as the daemon
 * does for one open file. @return 0 or the read's error. */
static int stream_read(gdb_cache *c, gdb_cache_stream *st, uint32_t ct,
		       int64_t from, int64_t rd, char *buf)
{
	for (int64_t b = from; b < LEN[ct]; b += rd) {
		int64_t e = b + rd < LEN[ct] ? b + rd : LEN[ct];
		int rc;

		gdb_cache_stream_access(c, st, ct, (uint32_t)(b / BB),
					(uint32_t)((e - 1) / BB));
		rc = gdb_cache_read(c, ct, b, e, buf);
		if (rc < 0)
			return rc;
		if (memcmp(buf, SEQ[ct] + b, (size_t)(e - b)))
			return -EBADMSG;
	}
	return 0;
}

/* A long sequential read gives back what it passed, so it runs in a few
 * buffers even when the budget could hold the whole contig; a block
 * another reader used stays; a short read keeps everything. */
static void test_stream_passes(void)
{
	gdb_cache_stream st;
	gdb_cache_stats s;
	struct cache_check k;
	gdb_cache_entry *ref;
	const char *bases;
	char *buf = xmalloc(MIB);
	gdb_cache *c;
	uint32_t n;

	if (gdb_cache_create(S, 64 * MIB, NULL, &c) < 0) {
		FAIL("cache");
		return;
	}
	/* block 30 read three times by someone else first */
	for (int i = 0; i < 3; i++) {
		CHECK(gdb_cache_get(c, 0, 30, &bases, &n, &ref) == 0, "get");
		gdb_cache_put(c, ref);
	}
	/* a short read (3 requests) keeps its blocks */
	gdb_cache_stream_init(&st);
	for (int64_t b = 0; b < 3 * 4 * BB; b += 4 * BB) {
		gdb_cache_stream_access(c, &st, 1, (uint32_t)(b / BB),
					(uint32_t)((b + 4 * BB - 1) / BB));
		CHECK(gdb_cache_read(c, 1, b, b + 4 * BB, buf) == 0, "read");
	}
	gdb_cache_stream_destroy(&st);
	gdb_cache_stats_get(c, &s);
	CHECK(s.passed == 0, "a 3-request read gave back %llu blocks",
	      (unsigned long long)s.passed);
	/* a whole contig (92 blocks) in reads of 4 blocks, not aligned, so
	 * that each read shares its end block with the next: the last three
	 * reads' blocks (5 each) and block 30 stay */
	gdb_cache_set_prefetch(c, 0); /* passing does not depend on it */
	gdb_cache_stream_init(&st);
	CHECK(stream_read(c, &st, 0, 1000, 4 * BB, buf) == 0,
	      "the stream read wrong bytes");
	gdb_cache_stream_destroy(&st);
	gdb_cache_stats_get(c, &s);
	cache_test_check(c, &k);
	check_pool(c, 0, "after a stream");
	CHECK(s.passed + 3 * 5 + 1 >= gdb_store_contig(S, 0)->nblocks,
	      "%llu of %u blocks given back", (unsigned long long)s.passed,
	      gdb_store_contig(S, 0)->nblocks);
	CHECK(k.blocks <= 12 + 1 + 3 * 5, "%llu blocks still resident",
	      (unsigned long long)k.blocks);
	/* 12 + 1 + four reads in flight, where every block took one before */
	CHECK(k.bufs <= 12 + 1 + 4 * 5 + 1,
	      "%llu buffers made for a streamed contig of %u blocks",
	      (unsigned long long)k.bufs, gdb_store_contig(S, 0)->nblocks);
	/* the block used by another reader stayed; the short read's too */
	{
		uint64_t hits = s.total.hits;
		CHECK(gdb_cache_get(c, 0, 30, &bases, &n, &ref) == 0, "get");
		gdb_cache_put(c, ref);
		CHECK(gdb_cache_get(c, 1, 5, &bases, &n, &ref) == 0, "get");
		gdb_cache_put(c, ref);
		gdb_cache_stats_get(c, &s);
		CHECK(s.total.hits == hits + 2, "a block other readers used "
						"was given back");
	}
	free(buf);
	gdb_cache_destroy(c);
}

/* Replies written straight from borrowed blocks (.seq through the
 * mount) hold them while the kernel copies, and several reads are in
 * flight: a block the stream passes while a reply still holds it is
 * given back at that reply's last put, not kept for good. Reads of 4
 * blocks; each read's blocks stay borrowed until three reads later. */
static void test_stream_passes_borrowed(void)
{
	enum { RD = 4, DEPTH = 3 };
	gdb_cache_entry *held[DEPTH][RD] = {{NULL}};
	uint32_t nb = gdb_store_contig(S, 0)->nblocks;
	gdb_cache_stream st;
	gdb_cache_stats s;
	struct cache_check k;
	gdb_cache *c;
	int bad = 0;

	if (gdb_cache_create(S, 64 * MIB, NULL, &c) < 0) {
		FAIL("cache");
		return;
	}
	gdb_cache_set_prefetch(c, 0);
	gdb_cache_stream_init(&st);
	for (uint32_t r = 0; r * RD < nb; r++) {
		uint32_t first = r * RD,
			 last = first + RD - 1 < nb ? first + RD - 1 : nb - 1;
		gdb_cache_entry **h = held[r % DEPTH];

		gdb_cache_stream_access(c, &st, 0, first, last);
		/* the reply of three reads back is sent only now */
		for (int i = 0; i < RD; i++) {
			gdb_cache_put(c, h[i]);
			h[i] = NULL;
		}
		for (uint32_t b = first; b <= last; b++) {
			const char *bases;
			uint32_t n;
			if (gdb_cache_get(c, 0, b, &bases, &n, &h[b - first]) <
				0 ||
			    !same_bases(0, b, bases, n))
				bad++;
		}
	}
	for (int r = 0; r < DEPTH; r++)
		for (int i = 0; i < RD; i++)
			gdb_cache_put(c, held[r][i]);
	gdb_cache_stream_destroy(&st);
	CHECK(!bad, "%d blocks read wrong", bad);
	gdb_cache_stats_get(c, &s);
	cache_test_check(c, &k);
	check_pool(c, 0, "after a borrowed stream");
	/* all but the last three reads' blocks given back (a read passes
	 * those before the read before the last) */
	CHECK(s.passed + 3 * RD >= nb, "%llu of %u blocks given back",
	      (unsigned long long)s.passed, nb);
	CHECK(k.blocks <= 3 * RD, "%llu blocks still resident",
	      (unsigned long long)k.blocks);
	CHECK(k.bufs <= (DEPTH + 3) * RD + 1,
	      "%llu buffers made for a borrowed stream of %u blocks",
	      (unsigned long long)k.bufs, nb);
	gdb_cache_destroy(c);
}

struct racer {
	gdb_cache *c;
	int stream; /* 1: a sequential reader */
	uint64_t seed;
	int bad, errs;
};

static void *race_main(void *arg)
{
	struct racer *r = arg;
	uint64_t x = r->seed;

	if (r->stream) {
		gdb_cache_stream st;
		char *buf = xmalloc(MIB);
		gdb_cache_stream_init(&st);
		for (int pass = 0; pass < 3; pass++) {
			int rc = stream_read(r->c, &st, (uint32_t)(pass & 1),
					     (int64_t)pass * 777,
					     (int64_t)(MIB / 2), buf);
			r->bad += rc == -EBADMSG;
			r->errs += rc < 0 && rc != -EBADMSG;
		}
		gdb_cache_stream_destroy(&st);
		free(buf);
		return NULL;
	}
	for (int i = 0; i < 4000; i++) {
		gdb_cache_entry *ref;
		const char *bases;
		uint32_t n, ct, b;

		x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
		ct = (uint32_t)((x >> 7) & 1);
		b = (uint32_t)((x >> 9) % gdb_store_contig(S, ct)->nblocks);
		if (gdb_cache_get(r->c, ct, b, &bases, &n, &ref) < 0) {
			r->errs++;
			continue;
		}
		/* while borrowed, nobody decodes into it */
		r->bad += !same_bases(ct, b, bases, n);
		sched_yield();
		r->bad += !same_bases(ct, b, bases, n);
		gdb_cache_put(r->c, ref);
	}
	return NULL;
}

/* Readers, a streaming reader and the prefetch thread at once, under a
 * budget of 24 blocks: bytes stay right and the pool stays sound. */
static void test_race(void)
{
	struct racer r[4];
	pthread_t t[4];
	gdb_cache *c;

	if (gdb_cache_create(S, 24 * BB, NULL, &c) < 0) {
		FAIL("cache");
		return;
	}
	if (gdb_cache_start_prefetch(c) < 0)
		FAIL("prefetch thread");
	for (int i = 0; i < 4; i++) {
		r[i] = (struct racer){.c = c,
				      .stream = i == 0,
				      .seed = 0x9e3779b97f4a7c15ull * (i + 1)};
		if (pthread_create(&t[i], NULL, race_main, &r[i])) {
			FAIL("thread");
			return;
		}
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK(r[i].bad == 0 && r[i].errs == 0,
		      "racer %d: %d wrong blocks, %d errors", i, r[i].bad,
		      r[i].errs);
	}
	/* nothing in flight: the prefetch thread stopped and joined (a
	 * wait for its counters to settle was a guess under load) */
	gdb_cache_stop_prefetch(c);
	check_pool(c, 0, "after the race");
	gdb_cache_destroy(c);
}

/* A damaged block: GDB_ECHECKSUM at every read (never cached, never
 * wrong bytes), in a stream and read in part too, each logged naming its
 * bases; its neighbours read right; its buffer goes back to the pool.
 * Run on both
 * read paths: through the mapping, and (once the store is read at random,
 * as a daemon reads it) copied with pread (store/blocks.c). */
static void test_damage(const char *dir, const char *path)
{
	gdb_cache_stream st;
	gdb_cache_entry *ref;
	gdb_cache_stats s;
	const char *bases;
	char *buf = xmalloc(MIB), byte;
	gdb_cache *c;
	uint32_t n;
	off_t off = 0;
	int fd = unit_block_file(S, dir, 0, 20, &off);

	if (fd < 0) {
		FAIL("block 20's bytes not found in a segment file");
		free(buf);
		return;
	}
	if (gdb_cache_create(S, 64 * MIB, NULL, &c) < 0) {
		FAIL("cache");
		return;
	}
	__atomic_store_n(&damage_logged, 0, __ATOMIC_RELAXED);
	CHECK(pread(fd, &byte, 1, off + 40) == 1, "pread");
	byte ^= 0x10;
	CHECK(pwrite(fd, &byte, 1, off + 40) == 1, "pwrite");
	for (int i = 0; i < 2; i++)
		CHECK(gdb_cache_get(c, 0, 20, &bases, &n, &ref) ==
			  GDB_ECHECKSUM,
		      "%s: damaged block read %d: not GDB_ECHECKSUM", path, i);
	/* a small read's touches, in part (two) then whole: checked whole,
	 * never served */
	for (int t = 1; t <= 3; t++) {
		char part[1000];
		uint32_t lo, hi;
		CHECK(gdb_cache_get_part(c, 0, 20, 100, 1100, part, &bases, &lo,
					 &hi, &ref) == GDB_ECHECKSUM,
		      "%s: damaged block's small touch %d: not GDB_ECHECKSUM",
		      path, t);
	}
	CHECK(gdb_cache_get(c, 0, 19, &bases, &n, &ref) == 0 &&
		  same_bases(0, 19, bases, n),
	      "%s: the damaged block's neighbour", path);
	gdb_cache_put(c, ref);
	gdb_cache_stream_init(&st);
	CHECK(stream_read(c, &st, 0, 0, (int64_t)MIB, buf) == GDB_ECHECKSUM,
	      "a stream over the damaged block");
	gdb_cache_stream_destroy(&st);
	gdb_cache_stats_get(c, &s);
	CHECK(s.errors == 6, "%s: %llu block errors counted, not 6", path,
	      (unsigned long long)s.errors);
	CHECK(s.parts == 0,
	      "%s: %llu failed small touches counted as served "
	      "in part",
	      path, (unsigned long long)s.parts);
	CHECK(__atomic_load_n(&damage_logged, __ATOMIC_RELAXED) == 6,
	      "%s: %d log lines name the damaged block, not 6", path,
	      damage_logged);
	check_pool(c, 0, path);
	byte ^= 0x10;
	CHECK(pwrite(fd, &byte, 1, off + 40) == 1, "pwrite");
	close(fd);
	CHECK(gdb_cache_get(c, 0, 20, &bases, &n, &ref) == 0 &&
		  same_bases(0, 20, bases, n),
	      "%s: the mended block", path);
	gdb_cache_put(c, ref);
	free(buf);
	gdb_cache_destroy(c);
}

/* Block b of contig 0: 1 pinned, 0 resident and not pinned, -1 absent. */
static int pinned_at(gdb_cache *c, uint32_t b)
{
	uint64_t key = make_key(0, b);
	struct shard *sh = &c->shards[key_hash(key) % NSHARDS];
	gdb_cache_entry *x;
	int r;

	pthread_mutex_lock(&sh->lock);
	x = cache_find_locked(sh, key);
	r = x ? x->e.pinned : -1;
	pthread_mutex_unlock(&sh->lock);
	return r;
}

static uint64_t pinned_bytes(gdb_cache *c)
{
	gdb_cache_stats st;

	gdb_cache_stats_get(c, &st);
	return st.pinned_bytes;
}

/* A pin of blocks 15-24 of c0 with block 20 damaged: GDB_ECHECKSUM, and
 * nothing of it stays pinned (15, 16, 18 and 19 released, the bytes
 * counted pinned as before), blocks 17 and 23 pinned before it still
 * pinned; the failure is logged naming the range and the block. Mended,
 * the same pin pins all ten. */
static void test_pin_damage(const char *dir)
{
	gdb_cache *c;
	off_t off = 0;
	char byte;
	uint64_t before;
	int fd = unit_block_file(S, dir, 0, 20, &off);

	if (fd < 0 || gdb_cache_create(S, 64 * MIB, NULL, &c) < 0) {
		FAIL("block 20's bytes not found, or no cache");
		if (fd >= 0)
			close(fd);
		return;
	}
	CHECK(gdb_cache_pin(c, 0, 17 * BB, 18 * BB) == 0 &&
		  gdb_cache_pin(c, 0, 23 * BB + 5, 23 * BB + 6) == 0,
	      "pins before");
	before = pinned_bytes(c);
	CHECK(before == 2 * c->bb, "%llu bytes pinned before, not 2 blocks",
	      (unsigned long long)before);
	CHECK(pread(fd, &byte, 1, off + 40) == 1, "pread");
	byte ^= 0x10;
	CHECK(pwrite(fd, &byte, 1, off + 40) == 1, "pwrite");
	pin_logged[0] = 0;
	CHECK(gdb_cache_pin(c, 0, 15 * BB + 100, 25 * BB) == GDB_ECHECKSUM,
	      "a pin over a damaged block: not GDB_ECHECKSUM");
	CHECK(pinned_bytes(c) == before,
	      "the failed pin left %llu bytes pinned, %llu before",
	      (unsigned long long)pinned_bytes(c), (unsigned long long)before);
	for (uint32_t b = 15; b <= 24; b++)
		CHECK((pinned_at(c, b) == 1) == (b == 17 || b == 23),
		      "after the failed pin block %u is %s", b,
		      pinned_at(c, b) == 1 ? "pinned" : "not pinned");
	CHECK(
	    strstr(pin_logged, "pin a/c0:983141-1638400: block 20 "
			       "(a/c0:1310721-1376256) cannot be read") &&
		strstr(pin_logged, "released the 4 blocks pinned by this call"),
	    "the failed pin's log line: '%s'", pin_logged);
	byte ^= 0x10;
	CHECK(pwrite(fd, &byte, 1, off + 40) == 1, "pwrite");
	close(fd);
	CHECK(gdb_cache_pin(c, 0, 15 * BB + 100, 25 * BB) == 0 &&
		  pinned_bytes(c) == 10 * c->bb,
	      "the mended range pinned: %llu bytes",
	      (unsigned long long)pinned_bytes(c));
	CHECK(gdb_cache_unpin(c, 0, 0, 30 * BB) == 0 && pinned_bytes(c) == 0,
	      "unpinned");
	check_pool(c, 0, "after pins");
	gdb_cache_destroy(c);
}

/* A pin into a cache with no room: under a 4-block budget with blocks
 * 0-2 of c0 borrowed, a pin of blocks 10-11 pins 10 (the last room) and
 * then finds block 11 only servable once, uncached (nothing evictable):
 * -EBUSY, block 10 released again, the failure logged naming the range
 * and block 11. Put back, the same pin pins both. */
static void test_pin_no_room(void)
{
	gdb_cache_entry *held[3];
	const char *bases;
	uint32_t n;
	gdb_cache *c;
	int got = 0, rc;

	if (gdb_cache_create(S, 4 * BB, NULL, &c) < 0) {
		FAIL("cache");
		return;
	}
	for (; got < 3; got++)
		if (gdb_cache_get(c, 0, (uint32_t)got, &bases, &n, &held[got]) <
		    0) {
			FAIL("get %d", got);
			break;
		}
	pin_logged[0] = 0;
	rc = gdb_cache_pin(c, 0, 10 * BB, 12 * BB);
	CHECK(rc == -EBUSY, "a pin with no room: %d, not -EBUSY", rc);
	CHECK(pinned_bytes(c) == 0 && pinned_at(c, 10) != 1 &&
		  pinned_at(c, 11) != 1,
	      "the failed pin left %llu bytes pinned",
	      (unsigned long long)pinned_bytes(c));
	CHECK(strstr(pin_logged, "pin a/c0:655361-786432: block 11 "
				 "(a/c0:720897-786432) found no room") &&
		  strstr(pin_logged, "released the 1 block pinned by this "
				     "call"),
	      "the failed pin's log line: '%s'", pin_logged);
	while (got--)
		gdb_cache_put(c, held[got]);
	CHECK(gdb_cache_pin(c, 0, 10 * BB, 12 * BB) == 0 &&
		  pinned_bytes(c) == 2 * c->bb && pinned_at(c, 10) == 1 &&
		  pinned_at(c, 11) == 1,
	      "with the blocks put back: %llu bytes pinned",
	      (unsigned long long)pinned_bytes(c));
	gdb_cache_unpin_all(c);
	check_pool(c, 0, "after a pin with no room");
	gdb_cache_destroy(c);
}

int main(void)
{
	static const char *const names[] = {"c0", "c1"};
	char dir[64], err[512];
	gdb_store *s;

	if (unit_store_dir(dir) < 0)
		return T_EXIT_FAIL;
	for (int k = 0; k < 2; k++) {
		SEQ[k] = xmalloc((size_t)LEN[k]);
		for (int64_t i = 0; i < LEN[k]; i++)
			SEQ[k][i] = "ACGT"[rnd() & 3];
	}
	gdb_log_set_sink(sink);
	if (unit_store_build(dir, "a", names, SEQ, LEN, 2) < 0 ||
	    gdb_store_open(dir, 0, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "store: %s\n", err);
		return T_EXIT_FAIL;
	}
	S = s;
	test_seen_ways();
	test_budget_under_reuse();
	test_spare_replaced();
	test_borrowed_distinct();
	test_stream_passes();
	test_stream_passes_borrowed();
	test_damage(dir, "read in the mapping");
	test_pin_damage(dir);
	test_pin_no_room();
	test_race(); /* the store is read at random from here on */
	test_damage(dir, "read with pread");
	gdb_store_close(s);
	free(SEQ[0]);
	free(SEQ[1]);
	unit_store_rm(dir);
	if (failures)
		fprintf(stderr, "test_cache_buffers: %d failure(s)\n",
			failures);
	else
		printf("test_cache_buffers: ok\n");
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
