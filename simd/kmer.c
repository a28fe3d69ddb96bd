/*
 * simd/kmer.c - the bounded k-mer table: creation, lookup, merge, top-N,
 * and the k-mer loops of the scalar and vector levels.
 *
 * The table is linear-probing open addressing over two flat arrays (keys,
 * counts) sized once from the caller's memory bound. It stops admitting
 * new k-mers at 7/8 load so probe sequences stay short and existing
 * counts stay exact; what could not be admitted is counted, not lost
 * silently. Keys never equal GDB_KMER_EMPTY because k <= 31 leaves the
 * top two bits clear.
 *
 * Counting is bound by cache misses on the table, not by arithmetic, so
 * the vector levels differ from scalar in two ways only: the bytes become
 * 2-bit codes sixteen to sixty-four at a time, and the k-mers of a block
 * are computed first and their slots prefetched a few insertions ahead.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/gdb.h"
#include "simd/analysis_int.h"

int gdb_kmer_table_new(unsigned k, unsigned flags, size_t max_bytes,
		       gdb_kmer_table **out)
{
	struct gdb_kmer_table *t;
	uint64_t nslots = 256;
	unsigned lg = 8;

	if (k < 1 || k > GDB_KMER_MAXK || (flags & ~GDB_KMER_CANONICAL))
		return -EINVAL;
	while (nslots * 2 * 12 <= max_bytes && lg < 40) {
		nslots *= 2;
		lg++;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->k = k;
	t->flags = flags;
	t->nslots = nslots;
	t->shift = 64 - lg;
	t->limit = nslots - nslots / 8;
	t->keys = malloc(nslots * sizeof(*t->keys));
	t->counts = malloc(nslots * sizeof(*t->counts));
	if (!t->keys || !t->counts) {
		gdb_kmer_table_free(t);
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
	free(t->keys);
	free(t->counts);
	free(t);
}

void gdb_kmer_table_clear(gdb_kmer_table *t)
{
	memset(t->keys, 0xff, t->nslots * sizeof(*t->keys));
	memset(t->counts, 0, t->nslots * sizeof(*t->counts));
	t->distinct = t->total = t->dropped = 0;
}

int gdb_kmer_count(gdb_kmer_table *t, const char *seq, size_t n)
{
	return gdb_simd_analysis()->kmer_count(t, seq, n);
}

int gdb_kmer_table_merge(gdb_kmer_table *dst, const gdb_kmer_table *src)
{
	uint64_t i, dropped0 = dst->dropped, mask = dst->nslots - 1;

	if (dst->k != src->k || dst->flags != src->flags || dst == src)
		return -EINVAL;
	for (i = 0; i < src->nslots; i++) {
		uint64_t key = src->keys[i], s;

		if (key == GDB_KMER_EMPTY)
			continue;
		for (s = gdb_kmer_slot(dst, key);; s = (s + 1) & mask) {
			if (dst->keys[s] == key) {
				uint64_t c = (uint64_t)dst->counts[s] +
					     src->counts[i];

				dst->counts[s] = c > UINT32_MAX ? UINT32_MAX
								: (uint32_t)c;
				break;
			}
			if (dst->keys[s] == GDB_KMER_EMPTY) {
				if (dst->distinct >= dst->limit) {
					dst->dropped += src->counts[i];
					break;
				}
				dst->keys[s] = key;
				dst->counts[s] = src->counts[i];
				dst->distinct++;
				break;
			}
		}
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
	uint64_t s, mask = t->nslots - 1;

	for (s = gdb_kmer_slot(t, kmer);; s = (s + 1) & mask) {
		if (t->keys[s] == kmer)
			return t->counts[s];
		if (t->keys[s] == GDB_KMER_EMPTY)
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

		if (t->keys[s] == GDB_KMER_EMPTY)
			continue;
		e.kmer = t->keys[s];
		e.count = t->counts[s];
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
		if (t->keys[s] == GDB_KMER_EMPTY)
			continue;
		if (n < cap) {
			out[n].kmer = t->keys[s];
			out[n].count = t->counts[s];
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

		if (c > 3 || s[i] == 'U' || s[i] == 'u')
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

/* 2-bit code of ACGT/acgt, 4 for every other byte (U included). */
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
		gdb_kmer_add(t, key, gdb_kmer_slot(t, key));
	}
	return t->dropped != dropped0 ? -ENOSPC : 0;
}

#define KBLOCK 2048
#define KAHEAD 12

int gdb_kmer_count_blocked(struct gdb_kmer_table *t, const char *seq,
			   size_t n, gdb_kmer_enc_fn enc)
{
	const unsigned k = t->k, hi = 2 * (k - 1);
	const uint64_t mask = (1ull << (2 * k)) - 1;
	const int canon = t->flags & GDB_KMER_CANONICAL;
	uint8_t codes[KBLOCK];
	uint64_t keys[KBLOCK], slots[KBLOCK];
	uint64_t fw = 0, rc = 0, dropped0 = t->dropped;
	unsigned len = 0;
	size_t base;

	for (base = 0; base < n; base += KBLOCK) {
		size_t m = n - base < KBLOCK ? n - base : KBLOCK, i, nk = 0;

		enc(seq + base, m, codes);
		for (i = 0; i < m; i++) {
			uint64_t c = codes[i];

			if (c > 3) {
				len = 0;
				continue;
			}
			fw = ((fw << 2) | c) & mask;
			rc = (rc >> 2) | ((3 - c) << hi);
			if (++len < k)
				continue;
			len = k;
			keys[nk++] = canon && rc < fw ? rc : fw;
		}
		for (i = 0; i < nk; i++)
			slots[i] = gdb_kmer_slot(t, keys[i]);
		/*
		 * Insert in order (so the table ends up exactly as the scalar
		 * twin leaves it) while the slot KAHEAD insertions ahead is
		 * being fetched.
		 */
		for (i = 0; i < nk; i++) {
			if (i + KAHEAD < nk) {
				__builtin_prefetch(&t->keys[slots[i + KAHEAD]],
						   1);
				__builtin_prefetch(
					&t->counts[slots[i + KAHEAD]], 1);
			}
			gdb_kmer_add(t, keys[i], slots[i]);
		}
	}
	return t->dropped != dropped0 ? -ENOSPC : 0;
}
