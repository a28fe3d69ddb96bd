/*
 * simd/kmer_sort.c - the vector levels' k-mer counter for large regions:
 * radix-partitioned insertion.
 *
 * Counting a region into a large table is bound by the table's cache
 * misses: each k-mer lands in a random slot, so each costs a trip to
 * memory (kmer.c hides some of that latency by prefetching, but stays
 * latency bound). Here the k-mers of a batch are first rolled into their
 * hashes, eight positions at a time by the level's roll (kmer_roll.h;
 * h = k-mer * an odd constant, a bijection, so the k-mer comes back as h
 * times the constant's inverse), then partitioned by the top
 * bits of h, which are the top bits of the home slot at any table size:
 * inserting partition after partition walks the table in order, a region
 * of about 200 KB at a time that stays in cache while its k-mers go in,
 * and the memory traffic becomes streaming instead of random (the next
 * region is fetched while one is filled: by the level's part_next, a
 * line an insertion, or else all at once before). Each level
 * inserts a partition with its own probe (kmer_part.h: which of the next
 * 4 or 8 slots hold the k-mer or are free, found by vector compares
 * instead of a loop that mispredicts).
 *
 * Exactness: counts, totals and the table's growth are those of any
 * insertion order; only which new k-mers a full table drops depends on
 * the order, so a batch that could fill the table (distinct + its k-mers
 * > limit) is inserted in sequence order instead, as the scalar twin
 * does. The slots' layout (and gdb_kmer_dump's order) may differ from
 * the scalar twin's; the contents never do.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/gdb.h"
#include "simd/analysis_int.h"

#define KBLOCK 2048		   /* bases encoded at a time */
#define BATCH ((size_t)1 << 23)	   /* bases partitioned at a time */
#define KAHEAD 48		   /* insertions a slot is prefetched ahead */
#define REGION_LG 14		   /* 2^14 slots (192 KiB) a partition */
#define PART_LG_MAX 12		   /* at most 4096 partitions */
#define SORT_MIN ((size_t)1 << 16) /* fewer bases: kmer.c's loop */
#define SAMPLE_LG 8		   /* distinct k-mers estimated from 1 in 256 */
#define SAMPLE_SET_LG 15	   /* the sample's set: 32 Ki slots */

/*
 * A batch's partitions: 2^pb slabs of cap hashes each, filled as the
 * k-mers are rolled; a hash whose slab is full goes to the spill list,
 * which is inserted as it fills (repeats crowd one slab: few distinct
 * k-mers, a table that stays in cache). With pb 0 there is one slab that
 * takes every hash in sequence order.
 */
struct kpass {
	unsigned pb;
	size_t cap;	 /* hashes a slab */
	size_t *fill;	 /* 2^pb: hashes in each slab */
	uint64_t *slab;	 /* 2^pb * cap */
	uint64_t *wc;	 /* 2^pb cache lines: each slab's line being filled */
	int words;	 /* the level's scatter_words: wc unused */
	int burst;	 /* fetch the next region before part_next */
	uint64_t *spill; /* SPILL hashes */
	size_t nspill;
	uint64_t *set;	 /* 2^SAMPLE_SET_LG sampled hashes */
	uint64_t sample; /* distinct sampled hashes */
	struct gdb_kmer_table *t;
	gdb_kmer_part_fn part; /* the level's insertion of a partition */
	gdb_kmer_part_next_fn part_next; /* or this one, which fetches */
};

#define SPILL 65536

static int test_line_scatter; /* gdb_kmer_test_line_scatter */

void gdb_kmer_test_line_scatter(int on)
{
	test_line_scatter = on;
}

#if GDB_SIMD_X86
#include <immintrin.h>

/* 64 bytes to dst (64-aligned) past the cache */
static inline void line_out(uint64_t *dst, const uint64_t *src)
{
	for (int i = 0; i < 8; i += 2)
		_mm_stream_si128(
		    (__m128i *)(void *)(dst + i),
		    _mm_load_si128((const __m128i *)(const void *)(src + i)));
}

static inline void line_fence(void)
{
	_mm_sfence();
}
#else
static inline void line_out(uint64_t *dst, const uint64_t *src)
{
	memcpy(dst, src, 64);
}

static inline void line_fence(void)
{
}
#endif

static void insert_run(struct gdb_kmer_table *t, const uint64_t *h, size_t nk);

/* Note hash x in the sample set (1 in 2^SAMPLE_LG hashes, all copies of a
 * k-mer or none, by 8 middle bits of the hash). */
static inline void sample(struct kpass *p, uint64_t x)
{
	const uint64_t mask = ((uint64_t)1 << SAMPLE_SET_LG) - 1;
	uint64_t j;

	if (((x >> 24) & ((1u << SAMPLE_LG) - 1)) || p->sample > mask / 2)
		return;
	for (j = (x >> 40) & mask; p->set[j] != x; j = (j + 1) & mask)
		if (p->set[j] == UINT64_MAX) {
			p->set[j] = x;
			p->sample++;
			return;
		}
}

/* Hash h into the spill list: its slab is full. */
static inline void spill(struct kpass *p, uint64_t h)
{
	if (p->nspill == SPILL) {
		insert_run(p->t, p->spill, p->nspill);
		p->nspill = 0;
	}
	p->spill[p->nspill++] = h;
}

/*
 * Hash h into its slab, or the spill list (gdb_kmer_level.scatter_words
 * 0: AVX-512, tuned on Zen 4). A slab is written a cache line at a time
 * from its line in wc, with a streaming store, so that scattering single
 * words over the slabs does not read each line from memory before
 * writing it. On Zen 3 that read costs less than the copy out of wc:
 * SSE4.1 and AVX2 use place_word below.
 */
static inline void place(struct kpass *p, uint64_t h)
{
	size_t b = p->pb ? (size_t)(h >> (64 - p->pb)) : 0, f = p->fill[b];
	uint64_t *w = p->wc + 8 * b;

	if (f < p->cap) {
		w[f & 7] = h;
		p->fill[b] = ++f;
		if (!(f & 7))
			line_out(p->slab + b * p->cap + f - 8, w);
		return;
	}
	spill(p, h);
}

/*
 * The same without the lines in wc (gdb_kmer_level.scatter_words): each
 * hash is stored straight into its slab. On Zen 3 (2 vCPUs, 2026-12-07)
 * the roll into 1024 slabs took 26-32 ms for 8 Mi k-mers this way against
 * 34-41 ms through wc (in-process harness timings; rounds and load not
 * recorded): reading the slabs' lines before writing them costs less
 * there than copying every line out of wc.
 */
static inline void place_word(struct kpass *p, uint64_t h)
{
	size_t b = p->pb ? (size_t)(h >> (64 - p->pb)) : 0, f = p->fill[b];

	if (f < p->cap) {
		p->slab[b * p->cap + f] = h;
		p->fill[b] = f + 1;
		return;
	}
	spill(p, h);
}

/* Hashes hb[0, nh) into their slabs (and the sample, when partitioning);
 * words is a constant at each call, so each loop is its own. */
static inline void scatter(struct kpass *p, const uint64_t *hb, size_t nh,
			   int words)
{
	for (size_t i = 0; i < nh; i++) {
		const uint64_t x = hb[i];

		if (words)
			place_word(p, x);
		else
			place(p, x);
		if (p->pb)
			sample(p, x);
	}
}

/* The slabs' last, partial lines (place's; place_word has none). */
static void place_flush(struct kpass *p)
{
	if (p->words)
		return;
	for (size_t b = 0; b < ((size_t)1 << p->pb); b++) {
		size_t f = p->fill[b], r = f & 7;

		if (r && f <= p->cap)
			memcpy(p->slab + b * p->cap + f - r, p->wc + 8 * b,
			       r * sizeof(uint64_t));
	}
	line_fence();
}

/*
 * Roll the k-mers of seq[0, n) on from *st into their slabs (and, when
 * partitioning, the sample): the level's roll gives a block's hashes,
 * which then go out one by one. Returns the k-mers rolled.
 */
static size_t roll(struct kpass *pass, struct gdb_kmer_roll *st,
		   const char *seq, size_t n, const struct gdb_kmer_level *lv)
{
	/* a copy whose address does not escape, so its fields stay in
	 * registers: stores into the slabs could alias *pass */
	struct kpass q = *pass, *p = &q;
	uint8_t codes[KBLOCK];
	uint64_t hb[KBLOCK + 8];
	size_t nk = 0;

	for (size_t base = 0; base < n; base += KBLOCK) {
		size_t m = n - base < KBLOCK ? n - base : KBLOCK, nh;

		lv->enc(seq + base, m, codes);
		nh = lv->roll(st, codes, m, hb);
		nk += nh;
		if (p->words)
			scatter(p, hb, nh, 1);
		else
			scatter(p, hb, nh, 0);
	}
	*pass = q;
	return nk;
}

/* Insert the k-mers of hashes h[0, nk) in that order, each slot fetched
 * KAHEAD insertions ahead. */
static void insert_run(struct gdb_kmer_table *t, const uint64_t *h, size_t nk)
{
	for (size_t i = 0; i < nk; i++) {
		if (i + KAHEAD < nk) {
			const char *q =
			    (const char *)&t->slot[h[i + KAHEAD] >> t->shift];

			/* both ends: 2 slots in 16 straddle two lines */
			__builtin_prefetch(q, 1);
			__builtin_prefetch(q + sizeof(struct gdb_kmer_slot) - 1,
					   1);
		}
		gdb_kmer_put1(t, gdb_kmer_unhash(h[i]), h[i]);
	}
}

/* log2 of the partitions for up to n more k-mers: regions of
 * 2^REGION_LG slots of the table it will have grown to; 0 when it fits
 * in cache anyway. */
static unsigned part_bits(const struct gdb_kmer_table *t, size_t n)
{
	uint64_t slots = t->nslots;
	unsigned lg = 0;

	while (slots < t->max_slots && t->distinct + n > slots / 2)
		slots *= 2;
	while ((1ull << lg) < slots)
		lg++;
	if (lg <= REGION_LG + 2)
		return 0;
	lg -= REGION_LG;
	return lg > PART_LG_MAX ? PART_LG_MAX : lg;
}

/* The table's region of partition b (of 2^pb): its first slot, and its
 * size in bytes at *bytes; NULL (and 0) when there is none to fetch. */
static const void *region(const struct gdb_kmer_table *t, size_t b, unsigned pb,
			  size_t *bytes)
{
	const unsigned lg = 64 - t->shift;
	size_t per;

	/* a table that could not grow (out of memory) may have fewer slots
	 * than partitions: nothing to fetch ahead then */
	*bytes = 0;
	if (lg <= pb)
		return NULL;
	per = (size_t)1 << (lg - pb);
	*bytes = per * sizeof(struct gdb_kmer_slot);
	return &t->slot[b * per];
}

/* Insert partition b's nk hashes h (of 2^pb) while the next one's region
 * is fetched: its lines are read in order, so the memory streams. The
 * level's part_next fetches them a line an insertion; otherwise (or with
 * p->burst, the test switch) they are all fetched before the insertion
 * starts. */
static void insert_part(const struct kpass *p, size_t b, const uint64_t *h,
			size_t nk)
{
	struct gdb_kmer_table *t = p->t;
	size_t bytes = 0;
	const char *next = NULL;

	if (b + 1 < ((size_t)1 << p->pb))
		next = region(t, b + 1, p->pb, &bytes);
	if (p->part_next && !p->burst) {
		p->part_next(t, h, nk, next, bytes);
		return;
	}
	for (size_t o = 0; o < bytes; o += 64)
		__builtin_prefetch(next + o, 1);
	if (p->part_next)
		p->part_next(t, h, nk, NULL, 0);
	else
		p->part(t, h, nk);
}

/* Slab size for m bases over 2^pb slabs: the mean and six deviations. */
static size_t slab_cap(size_t m, unsigned pb)
{
	size_t mean = (m >> pb) + 1, sd = 1;

	while (sd * sd < mean)
		sd++;
	return (mean + 6 * sd + 16 + 7) & ~(size_t)7; /* whole lines */
}

/*
 * One batch: partitioned by home slot when the table is large and cannot
 * fill, else in sequence order. The table must be grown before the
 * partitions go in, because k-mers in hash order fill its regions one
 * after another: growing only once half of all slots are taken would
 * leave the first regions overfull. So the sample's estimate of the
 * distinct k-mers sets the size first.
 */
static void count_batch(struct kpass *p, struct gdb_kmer_roll *st,
			const char *seq, size_t m,
			const struct gdb_kmer_level *lv, unsigned pb)
{
	struct gdb_kmer_table *t = p->t;
	size_t nb, nk;

	/* the scratch's partitions, or none: may fill, and which k-mers
	 * drop follows the order */
	p->pb = t->distinct + m > t->limit ? 0 : pb;
	p->cap = p->pb ? slab_cap(m, p->pb) : slab_cap(m, 0);
	nb = (size_t)1 << p->pb;
	memset(p->fill, 0, nb * sizeof(*p->fill));
	p->nspill = 0;
	p->sample = 0;
	if (p->pb)
		memset(p->set, 0xff, sizeof(uint64_t) << SAMPLE_SET_LG);
	nk = roll(p, st, seq, m, lv);
	place_flush(p);
	t->total += nk;
	if (p->pb) {
		uint64_t est = p->sample > ((uint64_t)1 << SAMPLE_SET_LG) / 2
				   ? nk
				   : p->sample << SAMPLE_LG;

		/* a tenth more, and some, for the estimate's error */
		(void)gdb_kmer_reserve(t, t->distinct + est + est / 10 + 4096);
	}
	for (size_t b = 0; b < nb; b++) {
		const uint64_t *h = p->slab + b * p->cap;
		const size_t nh = p->fill[b] < p->cap ? p->fill[b] : p->cap;

		if (p->pb)
			insert_part(p, b, h, nh);
		else
			insert_run(t, h, nh);
	}
	insert_run(t, p->spill, p->nspill);
}

/*
 * The table's scratch of at least n words: a mapping of its own on huge
 * pages (4 KiB page faults would cost as much as the counting), kept for
 * the next large region, whose pages are then warm. NULL when out of
 * memory.
 */
static uint64_t *scratch_get(struct gdb_kmer_table *t, size_t n)
{
	void *p;

	if (t->scratch_words >= n)
		return t->scratch;
	gdb_kmer_scratch_free(t);
	p = mmap(NULL, n * sizeof(uint64_t), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, n * sizeof(uint64_t), MADV_HUGEPAGE); /* a hint */
	t->scratch = p;
	t->scratch_words = n;
	return p;
}

void gdb_kmer_scratch_free(struct gdb_kmer_table *t)
{
	if (t->scratch)
		munmap(t->scratch, t->scratch_words * sizeof(uint64_t));
	t->scratch = NULL;
	t->scratch_words = 0;
}

int gdb_kmer_count_vec(struct gdb_kmer_table *t, const char *seq, size_t n,
		       const struct gdb_kmer_level *lv)
{
	const size_t batch = n < BATCH ? n : BATCH;
	const unsigned pbmax = part_bits(t, batch);
	const size_t nb = (size_t)1 << pbmax;
	/* slabs (at least batch), their lines, spill, sample set, fills */
	const size_t slabs = nb * slab_cap(batch, pbmax);
	const size_t words =
	    slabs + 8 * nb + SPILL + ((size_t)1 << SAMPLE_SET_LG) + nb;
	uint64_t *buf, dropped0 = t->dropped;
	struct gdb_kmer_roll st;
	struct kpass p;

	/* small regions, or a table that stays in cache: kmer.c's loop */
	if (n < SORT_MIN || !pbmax || !(buf = scratch_get(t, words)))
		return gdb_kmer_count_blocked(t, seq, n, lv);
	gdb_kmer_roll_init(&st, t);
	p.t = t;
	p.part = lv->part;
	p.part_next = lv->part_next;
	p.words = test_line_scatter ? 0 : lv->scatter_words;
	p.burst = test_line_scatter;
	p.slab = buf;
	p.wc = buf + slabs;
	p.spill = p.wc + 8 * nb;
	p.set = p.spill + SPILL;
	p.fill = (size_t *)(void *)(p.set + ((size_t)1 << SAMPLE_SET_LG));
	for (size_t base = 0; base < n; base += batch)
		count_batch(&p, &st, seq + base,
			    n - base < batch ? n - base : batch, lv, pbmax);
	return t->dropped != dropped0 ? -ENOSPC : 0;
}
