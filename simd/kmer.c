/*
 * simd/kmer.c - the bounded k-mer table: creation, growth, lookup, merge,
 * top-N, and the k-mer loops of the scalar and vector levels.
 *
 * The table is linear-probing open addressing over one array of 12-byte
 * slots (k-mer and count side by side, so a probe touches one cache
 * line), indexed by the top bits of a multiplicative hash. It starts at
 * 256 slots and doubles in place at half load (table_grow) up to the
 * largest power of two the caller's memory bound holds, so a small
 * region costs a small table; the slots are a mapping of their own, grown
 * by mremap and backed by huge pages once large. At that largest size it
 * stops admitting new k-mers at 7/8 load so probe sequences stay short
 * and existing counts stay exact; what could not be admitted is counted,
 * not lost silently. A free slot is all zero bytes (a slot holds the
 * k-mer plus one), so the fresh pages a table grows into are free slots
 * as the kernel hands them over; k <= 31 leaves bit 63 free for the
 * rehash.
 *
 * Counting is bound by cache misses on the table, not by arithmetic, so
 * the vector levels differ from scalar in the way they feed the table
 * rather than in vector instructions: the bytes become 2-bit codes
 * sixteen to sixty-four at a time, the k-mers of a block are rolled
 * eight positions at a time into their hashes (kmer_roll.h: no branch on
 * an N or on the canonical choice), and they are inserted in order
 * while the slot of the insertion KAHEAD later is being prefetched (large
 * regions: kmer_sort.c partitions them by slot first). Growth and slot layout
 * are shared, so they speed up the scalar twin as well.
 */
#define _GNU_SOURCE /* mremap */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/gdb.h"
#include "simd/analysis_int.h"

_Static_assert(sizeof(struct gdb_kmer_slot) == 12,
	       "simd.h promises 12 bytes a slot against the caller's bound");

#define KMER_MIN_SLOTS 256 /* 3 KiB: one page */
#define KMER_HUGE ((size_t)2 << 20)
#define KMER_MARK (1ull << 63) /* rehash: placed already (keys are < 2^62) */

/*
 * The slots live in a mapping of their own: growing is mremap, which moves
 * pages rather than copying them (the old and the new table never both
 * take memory), and a table of 2 MiB or more asks for huge pages, which
 * cut both the page faults of growing and the TLB misses of probing at
 * random. old is NULL for a new mapping; returns NULL when out of memory.
 */
static struct gdb_kmer_slot *slots_map(struct gdb_kmer_slot *old, uint64_t oldn,
				       uint64_t n)
{
	size_t bytes = n * sizeof(struct gdb_kmer_slot);
	void *p = old ? mremap(old, oldn * sizeof(*old), bytes, MREMAP_MAYMOVE)
		      : mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (bytes >= KMER_HUGE)
		madvise(p, bytes, MADV_HUGEPAGE); /* a hint: failure is fine */
	return p;
}

int gdb_kmer_table_new(unsigned k, unsigned flags, size_t max_bytes,
		       gdb_kmer_table **out)
{
	struct gdb_kmer_table *t;
	uint64_t max_slots = KMER_MIN_SLOTS;
	unsigned lg = 8;

	if (k < 1 || k > GDB_KMER_MAXK || (flags & ~GDB_KMER_CANONICAL))
		return -EINVAL;
	while (max_slots * 2 * sizeof(struct gdb_kmer_slot) <= max_bytes &&
	       lg < 40) {
		max_slots *= 2;
		lg++;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->k = k;
	t->flags = flags;
	t->nslots = KMER_MIN_SLOTS;
	t->shift = 64 - 8;
	t->max_slots = max_slots;
	t->limit = max_slots - max_slots / 8;
	t->grow_at = max_slots > KMER_MIN_SLOTS ? KMER_MIN_SLOTS / 2 : t->limit;
	t->slot = slots_map(NULL, 0, KMER_MIN_SLOTS);
	if (!t->slot) {
		free(t);
		return -ENOMEM;
	}
	gdb_kmer_table_clear(t);
	*out = t;
	return 0;
}

void gdb_kmer_table_free(gdb_kmer_table *t)
{
	if (!t)
		return;
	munmap(t->slot, t->nslots * sizeof(*t->slot));
	gdb_kmer_scratch_free(t);
	free(t);
}

void gdb_kmer_table_clear(gdb_kmer_table *t)
{
	memset(t->slot, 0, t->nslots * sizeof(*t->slot)); /* free: zeros */
	t->distinct = t->total = t->dropped = 0;
}

/*
 * Double the table in place (slots_map: the new half is fresh pages, free
 * slots already), then re-place every entry under
 * one more hash bit, visiting the old slots from the top down. Below the
 * slot being visited, i, an entry is still to be placed unless it is
 * marked (KMER_MARK): marked ones were placed there during this pass.
 * An entry taken out of i is probed for from its new home and lands in
 * the first slot that is free or still to be placed; in the latter case
 * the two swap (it settles there, marked, and the other comes to i to be
 * placed next). Settled slots never become free again and no probe goes
 * past a free or unplaced slot, so every path stays intact; a marked
 * entry is unmarked when the visit reaches it. A slot's new home is
 * about twice its old index, so the pass streams through memory and
 * seldom swaps or marks.
 */
static int table_grow(struct gdb_kmer_table *t)
{
	const uint64_t n = t->nslots, mask = 2 * n - 1;
	struct gdb_kmer_slot *s = slots_map(t->slot, n, 2 * n);
	uint64_t i, j;

	if (!s)
		return -ENOMEM;
	t->slot = s;
	t->nslots = 2 * n;
	t->shift--;
	t->grow_at = t->nslots < t->max_slots ? t->nslots / 2 : t->limit;
	for (i = n; i-- > 0;) {
		if (s[i].key == GDB_KMER_EMPTY)
			continue;
		if (s[i].key & KMER_MARK) {
			s[i].key &= ~KMER_MARK;
			continue;
		}
		for (;;) {
			struct gdb_kmer_slot e = s[i];

			s[i].key = GDB_KMER_EMPTY;
			s[i].count = 0; /* a free slot is all zeros */
			j = gdb_kmer_hash(gdb_kmer_untag(e.key)) >> t->shift;
			for (;; j = (j + 1) & mask)
				if (s[j].key == GDB_KMER_EMPTY ||
				    (j < i && !(s[j].key & KMER_MARK)))
					break;
			if (s[j].key == GDB_KMER_EMPTY) {
				s[j] = e;
				if (j < i)
					s[j].key |= KMER_MARK;
				break;
			}
			s[i] = s[j];
			s[j] = e;
			s[j].key |= KMER_MARK;
		}
	}
	return 0;
}

/*
 * An empty table goes to the size the doublings would reach in one step:
 * its slots are all zeros, and so are the fresh pages it grows into, so
 * there is nothing to re-place (a table of 192 MiB would otherwise be
 * scanned twice over by its 16 doublings). When that one mapping fails
 * it doubles step by step, as far as memory allows.
 */
int gdb_kmer_reserve(struct gdb_kmer_table *t, uint64_t distinct)
{
	uint64_t n = t->nslots, grow_at = t->grow_at;
	unsigned shift = t->shift;
	struct gdb_kmer_slot *s;

	while (!t->distinct && n < t->max_slots && distinct >= grow_at) {
		n *= 2;
		shift--;
		grow_at = n < t->max_slots ? n / 2 : t->limit;
	}
	if (n != t->nslots && (s = slots_map(t->slot, t->nslots, n))) {
		t->slot = s;
		t->nslots = n;
		t->shift = shift;
		t->grow_at = grow_at;
	}
	while (t->nslots < t->max_slots && distinct >= t->grow_at)
		GDB_TRY(table_grow(t));
	return 0;
}

/*
 * Add count occurrences of key: 0, or 1 when key is new and the table is
 * full (nothing changes then; the caller counts the drop). A table that
 * cannot grow (out of memory) stays at its size and fills to 7/8 of it.
 */
static int table_put(struct gdb_kmer_table *t, uint64_t key, uint64_t hash,
		     uint64_t count)
{
	const uint64_t tag = gdb_kmer_tag(key);

	for (;;) {
		uint64_t mask = t->nslots - 1, i;

		for (i = hash >> t->shift;; i = (i + 1) & mask) {
			struct gdb_kmer_slot *s = &t->slot[i];

			if (s->key == tag) {
				uint64_t c = s->count + count;

				s->count =
				    c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
				return 0;
			}
			if (s->key == GDB_KMER_EMPTY)
				break;
		}
		if (t->distinct < t->grow_at) {
			t->slot[i].key = tag;
			t->slot[i].count = (uint32_t)count;
			t->distinct++;
			return 0;
		}
		if (t->nslots < t->max_slots && !table_grow(t))
			continue;
		if (t->nslots < t->max_slots) {
			t->max_slots = t->nslots;
			t->limit = t->nslots - t->nslots / 8;
			t->grow_at = t->limit;
			continue;
		}
		return 1;
	}
}

int gdb_kmer_add_new(struct gdb_kmer_table *t, uint64_t key, uint64_t hash)
{
	if (!table_put(t, key, hash, 1))
		return 0;
	t->dropped++;
	return 1;
}

int gdb_kmer_count(gdb_kmer_table *t, const char *seq, size_t n)
{
	return gdb_kmer_variant(gdb_simd_active())->count(t, seq, n);
}

int gdb_kmer_table_merge(gdb_kmer_table *dst, const gdb_kmer_table *src)
{
	uint64_t i, dropped0 = dst->dropped;

	if (dst->k != src->k || dst->flags != src->flags || dst == src)
		return -EINVAL;
	for (i = 0; i < src->nslots; i++) {
		const struct gdb_kmer_slot *s = &src->slot[i];

		uint64_t key = gdb_kmer_untag(s->key);

		if (s->key != GDB_KMER_EMPTY &&
		    table_put(dst, key, gdb_kmer_hash(key), s->count))
			dst->dropped += s->count;
	}
	dst->total += src->total;
	dst->dropped += src->dropped;
	return dst->dropped != dropped0 ? -ENOSPC : 0;
}

void gdb_kmer_get_stats(const gdb_kmer_table *t, gdb_kmer_stats *out)
{
	out->k = t->k;
	out->flags = t->flags;
	out->distinct = t->distinct;
	out->total = t->total;
	out->dropped = t->dropped;
	out->capacity = t->limit;
}

uint64_t gdb_kmer_lookup(const gdb_kmer_table *t, uint64_t kmer)
{
	uint64_t s, mask = t->nslots - 1, tag = gdb_kmer_tag(kmer);

	if (kmer >= KMER_MARK >> 1) /* no k-mer of k <= 31: never stored */
		return 0;
	for (s = gdb_kmer_hash(kmer) >> t->shift;; s = (s + 1) & mask) {
		if (t->slot[s].key == tag)
			return t->slot[s].count;
		if (t->slot[s].key == GDB_KMER_EMPTY)
			return 0;
	}
}

/* a ranks before b: higher count, then smaller k-mer */
static int before(const gdb_kmer_entry *a, const gdb_kmer_entry *b)
{
	return a->count > b->count ||
	       (a->count == b->count && a->kmer < b->kmer);
}

static void sift_down(gdb_kmer_entry *h, size_t n, size_t i)
{
	/* min-heap on rank: the root is the entry that ranks last */
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		gdb_kmer_entry tmp;

		if (l < n && before(&h[m], &h[l]))
			m = l;
		if (r < n && before(&h[m], &h[r]))
			m = r;
		if (m == i)
			return;
		tmp = h[i];
		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
}

size_t gdb_kmer_top(const gdb_kmer_table *t, gdb_kmer_entry *out, size_t n)
{
	size_t have = 0, i;
	uint64_t s;

	if (!n)
		return 0;
	/* a heap of the n best seen so far, worst at the root */
	for (s = 0; s < t->nslots; s++) {
		gdb_kmer_entry e;

		if (t->slot[s].key == GDB_KMER_EMPTY)
			continue;
		e.kmer = gdb_kmer_untag(t->slot[s].key);
		e.count = t->slot[s].count;
		if (have < n) {
			size_t c = have++;

			out[c] = e;
			while (c && before(&out[(c - 1) / 2], &out[c])) {
				gdb_kmer_entry tmp = out[c];

				out[c] = out[(c - 1) / 2];
				out[(c - 1) / 2] = tmp;
				c = (c - 1) / 2;
			}
		} else if (before(&e, &out[0])) {
			out[0] = e;
			sift_down(out, have, 0);
		}
	}
	/* heap sort: repeatedly move the worst to the end */
	for (i = have; i > 1; i--) {
		gdb_kmer_entry tmp = out[0];

		out[0] = out[i - 1];
		out[i - 1] = tmp;
		sift_down(out, i - 1, 0);
	}
	return have;
}

size_t gdb_kmer_dump(const gdb_kmer_table *t, gdb_kmer_entry *out, size_t cap)
{
	size_t n = 0;
	uint64_t s;

	for (s = 0; s < t->nslots; s++) {
		if (t->slot[s].key == GDB_KMER_EMPTY)
			continue;
		if (n < cap) {
			out[n].kmer = gdb_kmer_untag(t->slot[s].key);
			out[n].count = t->slot[s].count;
		}
		n++;
	}
	return n;
}

static const char kmer_letters[4] = {'A', 'C', 'G', 'T'};

int gdb_kmer_encode(const char *s, unsigned k, uint64_t *out)
{
	uint64_t v = 0;
	unsigned i;

	if (k < 1 || k > GDB_KMER_MAXK)
		return -EINVAL;
	for (i = 0; i < k; i++) {
		uint8_t c = gdb_pwm_code[(unsigned char)s[i]];

		if (c > 3)
			return -EINVAL;
		v = v << 2 | c;
	}
	*out = v;
	return 0;
}

void gdb_kmer_decode(uint64_t kmer, unsigned k, char *dst)
{
	unsigned i;

	for (i = 0; i < k; i++)
		dst[i] = kmer_letters[(kmer >> (2 * (k - 1 - i))) & 3];
}

/* 2-bit code of ACGT/acgt (U/u is T), 4 for every other byte. */
static uint8_t kmer_code(unsigned char c)
{
	switch (c | 0x20) {
	case 'a':
		return 0;
	case 'c':
		return 1;
	case 'g':
		return 2;
	case 't':
	case 'u':
		return 3;
	default:
		return 4;
	}
}

void gdb_ana_scalar_kmer_enc(const char *src, size_t n, uint8_t *dst)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = kmer_code((unsigned char)src[i]);
}

/* The reference: one byte, one k-mer, one insertion at a time. */
int gdb_ana_scalar_kmer_count(gdb_kmer_table *t, const char *seq, size_t n)
{
	const unsigned k = t->k, hi = 2 * (k - 1);
	const uint64_t mask = (k == 32) ? UINT64_MAX : ((1ull << (2 * k)) - 1);
	const int canon = t->flags & GDB_KMER_CANONICAL;
	uint64_t fw = 0, rc = 0, dropped0 = t->dropped;
	unsigned len = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t c = kmer_code((unsigned char)seq[i]), key;

		if (c > 3) {
			len = 0;
			continue;
		}
		fw = ((fw << 2) | c) & mask;
		rc = (rc >> 2) | ((3 - c) << hi);
		if (++len < k)
			continue;
		len = k;
		key = canon && rc < fw ? rc : fw;
		gdb_kmer_add(t, key, gdb_kmer_hash(key));
	}
	return t->dropped != dropped0 ? -ENOSPC : 0;
}

#define KBLOCK 2048
#ifndef KAHEAD
#define KAHEAD 32
#endif

int gdb_kmer_count_blocked(struct gdb_kmer_table *t, const char *seq, size_t n,
			   const struct gdb_kmer_level *lv)
{
	uint8_t codes[KBLOCK];
	/* the hashes of a block's k-mers after the KAHEAD still pending from
	 * the last (and the roll's 8 words of room) */
	uint64_t hashes[KAHEAD + KBLOCK + 8], dropped0 = t->dropped;
	struct gdb_kmer_roll st;
	size_t base, nk = 0, i;

	gdb_kmer_roll_init(&st, t);
	for (base = 0; base < n; base += KBLOCK) {
		size_t m = n - base < KBLOCK ? n - base : KBLOCK, n0 = nk;

		lv->enc(seq + base, m, codes);
		nk += lv->roll(&st, codes, m, hashes + nk);
		t->total += nk - n0;
		if (nk <= KAHEAD)
			continue;
		/*
		 * Insert in order (so the table ends up exactly as the scalar
		 * twin leaves it) while the slot KAHEAD insertions ahead is
		 * being fetched; the last KAHEAD wait for the next block, so
		 * every insertion has had its slot fetched.
		 */
		for (i = 0; i + KAHEAD < nk; i++) {
			const char *p =
			    (const char *)&t
				->slot[hashes[i + KAHEAD] >> t->shift];

			/* both ends: 2 slots in 16 straddle two lines */
			__builtin_prefetch(p, 1);
			__builtin_prefetch(p + sizeof(struct gdb_kmer_slot) - 1,
					   1);
			gdb_kmer_put1(t, gdb_kmer_unhash(hashes[i]), hashes[i]);
		}
		memmove(hashes, hashes + i, KAHEAD * sizeof(hashes[0]));
		nk = KAHEAD;
	}
	for (i = 0; i < nk; i++)
		gdb_kmer_put1(t, gdb_kmer_unhash(hashes[i]), hashes[i]);
	return t->dropped != dropped0 ? -ENOSPC : 0;
}
