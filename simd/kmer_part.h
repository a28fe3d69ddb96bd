/*
 * simd/kmer_part.h - the insertion of one partition of k-mers
 * (kmer_sort.c) as a template, as pwm_scan.h is: a level file defines
 * the parameters, includes this file, and gets kmer_part_<SFX>(), a
 * gdb_kmer_part_fn. It is included once per level, defines a function,
 * and undefines its parameters.
 *
 * The partition's region of the table is small enough to stay in cache
 * while its k-mers go in; the slots each k-mer will read are fetched
 * KP_AHEAD insertions ahead (fetching the whole region ahead, one line
 * after another, left most of it still on its way). What is left is the
 * probe: a loop would mispredict on the random number of taken slots
 * before a free one (a new k-mer) or its own (a repeat). Here the level
 * finds, without a branch, which of the SPAN slots from the home one stop
 * a probe (hold the k-mer or are free), takes the first, and updates a
 * free slot (all zeros) and a taken one alike: key, count + 1. The rare
 * k-mer that finds no stop in SPAN slots (2 SPAN with KP_STREAM), whose
 * slots run past the
 * table's end, or that would be new at grow_at takes gdb_kmer_put1's
 * path, which grows the table (so its layout is reloaded after it).
 *
 * With KP_STREAM defined the function is a gdb_kmer_part_next_fn: it
 * also fetches the next partition's region, a line with each insertion
 * (and what is left at the end), so that region streams in while this
 * one is being filled instead of in one burst of prefetches between the
 * two, which held up the insertions behind it (Zen 3, 2026-12-07). A
 * NULL next (whatever next_bytes) fetches nothing; after the table grows
 * the rest of the region is not fetched (its slots have moved). This
 * variant (SSE4.1 and AVX2) also looks at the next SPAN slots before
 * taking gdb_kmer_put1's path (about 3% of random 21-mers into a
 * table growing to half full found no stop in the first 4 slots, 0.5% in
 * 8), and runs as three loops (fetching the next region and a slot ahead,
 * a slot ahead only, neither) so that no insertion tests which it is in;
 * it counts the new k-mers the table can still take down to 0 instead of
 * comparing distinct with grow_at. On Zen 3 (2026-12-07, 8.3 M distinct
 * 21-mers, grown table; thread CPU, best of 15, five interleaved rounds)
 * these took the insertion from 49 to 41 ms at AVX2 and from 44 to 40 ms
 * at SSE4.1, the whole count from 76-79 to 68-70 and 76-78 to 72-73 ms.
 *
 * Parameters:
 *   SFX   name suffix          TGT  target attribute
 *   SPAN  slots STOPS looks at (at most 32)
 *   STOPS(s, tag)  unsigned: bit j set when slot s[j] (j < SPAN) holds
 *                  tag or is free; s[0, SPAN) are within the table
 *   KP_STREAM      (optional) fetch the next region as above
 *   KP_AHEAD       (optional) insertions a slot is fetched ahead
 */
#define KP_CAT2(a, b) a##b
#define KP_CAT(a, b) KP_CAT2(a, b)
#ifndef KP_AHEAD
#define KP_AHEAD 32
#endif

#ifdef KP_STREAM
/*
 * One insertion, h its hash: 0, or 1 when it takes gdb_kmer_put1's path
 * (nothing changed then): no stop in 2 SPAN slots, slots past the
 * table's end, or a new k-mer when the table takes no more (*left 0).
 */
TGT static inline int KP_CAT(kp_put_, SFX)(struct gdb_kmer_slot *slot,
					   uint64_t n, unsigned shift,
					   uint64_t *left, uint64_t h)
{
	const uint64_t i = h >> shift, tag = gdb_kmer_tag(gdb_kmer_unhash(h));
	struct gdb_kmer_slot *s = slot + i;
	unsigned m = 0, fresh;

	if (i + SPAN <= n)
		m = STOPS(s, tag);
	if (__builtin_expect(!m, 0)) {
		if (i + 2 * SPAN > n)
			return 1;
		s += SPAN;
		m = STOPS(s, tag);
		if (!m)
			return 1;
	}
	s += __builtin_ctz(m);
	fresh = s->key == GDB_KMER_EMPTY;
	if (fresh > *left)
		return 1;
	s->key = tag;
	s->count += s->count != UINT32_MAX;
	*left -= fresh;
	return 0;
}

/* Fetch the home slots of hash h (both ends: most spans of SPAN slots
 * straddle two lines). */
TGT static inline void KP_CAT(kp_fetch_, SFX)(const struct gdb_kmer_slot *slot,
					      unsigned shift, uint64_t h)
{
	const char *q = (const char *)(slot + (h >> shift));

	__builtin_prefetch(q, 1);
	__builtin_prefetch(q + SPAN * sizeof(struct gdb_kmer_slot) - 1, 1);
}

TGT static void KP_CAT(kmer_part_, SFX)(struct gdb_kmer_table *t,
					const uint64_t *h, size_t nk,
					const void *next, size_t next_bytes)
{
	struct gdb_kmer_slot *slot = t->slot;
	uint64_t n = t->nslots, d0 = t->distinct;
	/* new k-mers the table takes before it must grow, down to 0 */
	uint64_t left0 = t->grow_at > d0 ? t->grow_at - d0 : 0, left = left0;
	unsigned shift = t->shift;
	/* the next region, fetched a line at a time up to its end: o is an
	 * offset, so no pointer steps past the region (nor the table) */
	const char *const nx = next;
	const size_t nx_bytes = nx ? next_bytes : 0;
	const size_t ahead = nk > KP_AHEAD ? nk - KP_AHEAD : 0;
	size_t o = 0, x = 0;

	for (;;) {
		const size_t lines =
		    o < nx_bytes ? (nx_bytes - o + 63) / 64 : 0;
		size_t e = x < ahead ? ahead : x;

		if (lines < e - x)
			e = x + lines;

		for (; x < e; x++, o += 64) {
			__builtin_prefetch(nx + o, 1);
			KP_CAT(kp_fetch_, SFX)(slot, shift, h[x + KP_AHEAD]);
			if (KP_CAT(kp_put_, SFX)(slot, n, shift, &left, h[x]))
				goto slow;
		}
		for (; x < ahead; x++) {
			KP_CAT(kp_fetch_, SFX)(slot, shift, h[x + KP_AHEAD]);
			if (KP_CAT(kp_put_, SFX)(slot, n, shift, &left, h[x]))
				goto slow;
		}
		for (; x < nk; x++)
			if (KP_CAT(kp_put_, SFX)(slot, n, shift, &left, h[x]))
				goto slow;
		break;
	slow:
		t->distinct = d0 + (left0 - left);
		(void)gdb_kmer_put1(t, gdb_kmer_unhash(h[x]), h[x]);
		x++;
		/* the table grew (moved, or in place): the next region the
		 * caller gave is not where that partition's slots are now */
		if (t->slot != slot || t->nslots != n)
			o = nx_bytes;
		slot = t->slot;
		n = t->nslots;
		d0 = t->distinct;
		left0 = left = t->grow_at > d0 ? t->grow_at - d0 : 0;
		shift = t->shift;
	}
	t->distinct = d0 + (left0 - left);
	for (; o < nx_bytes; o += 64)
		__builtin_prefetch(nx + o, 1);
}
#else
TGT static void KP_CAT(kmer_part_, SFX)(struct gdb_kmer_table *t,
					const uint64_t *h, size_t nk)
{
	struct gdb_kmer_slot *slot = t->slot;
	uint64_t n = t->nslots, distinct = t->distinct, grow_at = t->grow_at;
	unsigned shift = t->shift;

	for (size_t x = 0; x < nk; x++) {
		const uint64_t key = gdb_kmer_unhash(h[x]), i = h[x] >> shift;
		const uint64_t tag = gdb_kmer_tag(key);
		struct gdb_kmer_slot *s = slot + i;
		unsigned m = 0, fresh;

		if (x + KP_AHEAD < nk) {
			const char *q =
			    (const char *)(slot + (h[x + KP_AHEAD] >> shift));

			__builtin_prefetch(q, 1);
			__builtin_prefetch(
			    q + SPAN * sizeof(struct gdb_kmer_slot) - 1, 1);
		}
		if (i + SPAN <= n)
			m = STOPS(s, tag);
		if (m) {
			s += __builtin_ctz(m);
			fresh = s->key == GDB_KMER_EMPTY;
			if (!(fresh & (distinct >= grow_at))) {
				s->key = tag;
				s->count += s->count != UINT32_MAX;
				distinct += fresh;
				continue;
			}
		}
		t->distinct = distinct;
		(void)gdb_kmer_put1(t, key, h[x]);
		slot = t->slot;
		n = t->nslots;
		distinct = t->distinct;
		grow_at = t->grow_at;
		shift = t->shift;
	}
	t->distinct = distinct;
}

#endif

#undef KP_CAT
#undef KP_CAT2
#undef SFX
#undef TGT
#undef SPAN
#undef STOPS
#undef KP_STREAM
#undef KP_AHEAD
