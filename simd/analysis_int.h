/*
 * simd/analysis_int.h - what the analysis kernels of simd/ share and no
 * other module may include: the k-mer table and alignment workspace
 * layouts, each level's analysis entry points, and the helpers that the
 * level files call for the parts that are not level-specific (profile
 * layout, k-mer insertion, hit emission).
 *
 * Division of labour: analysis.c holds dispatch (a table per family and
 * level: gdb_ana_<family>_<level>) and the public wrappers,
 * ana_scalar.c the reference twins, ana_sse41.c / ana_avx2.c /
 * ana_avx512.c the vector variants (the striped alignment kernel is one
 * template, align_striped.h, instantiated per level and lane width, and
 * the motif combine another, motif_combine.h, and the PWM scan a third,
 * pwm_scan.h, each instantiated per level),
 * kmer.c the table, motif.c the pattern compiler, parsers and PWM maths,
 * align.c the traceback and the width-switching driver.
 */
#ifndef GDB_SIMD_ANALYSIS_INT_H
#define GDB_SIMD_ANALYSIS_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "simd/align.h"
#include "simd/kmer.h"
#include "simd/motif.h"
#include "simd/simd_int.h"

/*
 * Targets of the analysis kernels: those of simd_int.h plus popcnt, which
 * every CPU with SSE4.2 has (and dispatch.c requires SSE4.2 from every
 * vector level).
 */
#define GDB_TARGET_SSE41_A __attribute__((target("ssse3,sse4.1,sse4.2,popcnt")))
#define GDB_TARGET_AVX2_A __attribute__((target("avx2,sse4.2,popcnt")))
#define GDB_TARGET_AVX512_A                                                    \
	__attribute__((target("avx512f,avx512bw,avx2,sse4.2,popcnt")))

/* ---- k-mer table ---- */

/*
 * A slot: the k-mer and its count side by side, so that a probe touches
 * one cache line (two, for the 2 in 16 slots that straddle one), packed
 * to the 12 bytes a slot costs in the caller's bound. A free slot is all
 * zero bytes, so the fresh pages of a new or grown table are free slots
 * already and need no pass to mark them: a slot holds the k-mer plus one
 * (k <= 31: at most 2^62, so bit 63 stays free for the rehash).
 */
struct gdb_kmer_slot {
	uint64_t key; /* GDB_KMER_EMPTY, or the k-mer + 1 (gdb_kmer_tag) */
	uint32_t count;
} __attribute__((packed));

struct gdb_kmer_table {
	unsigned k, flags;
	unsigned shift;	    /* 64 - log2(nslots): slot = top bits of hash */
	uint64_t nslots;    /* a power of two, doubling up to max_slots */
	uint64_t max_slots; /* the largest power of two the bound holds */
	uint64_t grow_at;   /* distinct k-mers at which to double (or limit) */
	uint64_t limit;	    /* distinct k-mers allowed at max_slots: 7/8 */
	uint64_t distinct, total, dropped;
	struct gdb_kmer_slot *slot;
	/* kmer_sort.c's partitions, kept for the next large region (a
	 * mapping of scratch_words words, or NULL) */
	uint64_t *scratch;
	size_t scratch_words;
};

/* Unmap the table's scratch (kmer_sort.c). */
void gdb_kmer_scratch_free(struct gdb_kmer_table *t);

#define GDB_KMER_EMPTY 0

/* A slot's key field for k-mer key, and back. */
static inline uint64_t gdb_kmer_tag(uint64_t key)
{
	return key + 1;
}

static inline uint64_t gdb_kmer_untag(uint64_t tag)
{
	return tag - 1;
}

static inline uint64_t gdb_kmer_hash(uint64_t key)
{
	return key * 0x9e3779b97f4a7c15ull;
}

/* The k-mer back from its hash (the multiplier's inverse mod 2^64). */
static inline uint64_t gdb_kmer_unhash(uint64_t hash)
{
	return hash * 0xf1de83e19937733dull;
}

/* Grow the table now as it would grow by the time it holds distinct
 * k-mers (up to its largest size): 0 or -ENOMEM (it keeps its size). */
int gdb_kmer_reserve(struct gdb_kmer_table *t, uint64_t distinct);

/* The slow half of gdb_kmer_add(): a new k-mer when the table is at
 * grow_at (grow, or drop when it cannot). Same return as gdb_kmer_add(). */
int gdb_kmer_add_new(struct gdb_kmer_table *t, uint64_t key, uint64_t hash);

/*
 * Count one occurrence of key (hash = gdb_kmer_hash(key)) except in
 * total, which the caller advances; returns 0, or 1 when it was dropped
 * (table full). The table may grow, which moves every slot: slot
 * pointers and indexes do not survive a call.
 */
static inline int gdb_kmer_put1(struct gdb_kmer_table *t, uint64_t key,
				uint64_t hash)
{
	const uint64_t mask = t->nslots - 1, tag = gdb_kmer_tag(key);
	uint64_t i = hash >> t->shift;

	for (;; i = (i + 1) & mask) {
		struct gdb_kmer_slot *s = &t->slot[i];

		if (s->key == tag) {
			if (s->count != UINT32_MAX)
				s->count++;
			return 0;
		}
		if (s->key == GDB_KMER_EMPTY) {
			if (t->distinct >= t->grow_at)
				return gdb_kmer_add_new(t, key, hash);
			s->key = tag;
			s->count = 1;
			t->distinct++;
			return 0;
		}
	}
}

/* gdb_kmer_put1() and total. */
static inline int gdb_kmer_add(struct gdb_kmer_table *t, uint64_t key,
			       uint64_t hash)
{
	t->total++;
	return gdb_kmer_put1(t, key, hash);
}

/*
 * The vector levels' k-mer counter: the level converts bytes to 2-bit
 * codes with 4 meaning "not ACGT" (enc), the shared loop rolls the k-mers
 * and inserts them in order, each slot prefetched some insertions ahead.
 */
typedef void (*gdb_kmer_enc_fn)(const char *src, size_t n, uint8_t *dst);
/*
 * The roll (kmer_roll.h): the k-mer state carried from one block of
 * codes to the next. fw and rc are the last k codes forward and as the
 * reverse complement (invalid ones as 0), run the valid codes just
 * before, at most k - 1.
 */
struct gdb_kmer_roll {
	uint64_t fw, rc, mask; /* mask: 2k bits */
	unsigned k, run;
	int canon;
};

static inline void gdb_kmer_roll_init(struct gdb_kmer_roll *r,
				      const struct gdb_kmer_table *t)
{
	r->fw = r->rc = 0;
	r->mask = (1ull << (2 * t->k)) - 1;
	r->k = t->k;
	r->run = 0;
	r->canon = (t->flags & GDB_KMER_CANONICAL) != 0;
}

/* Bit p set when codes[p] (p < n <= 64) is invalid (4). */
static inline uint64_t gdb_kmer_invalid(const uint8_t *codes, size_t n)
{
	uint64_t inv = 0, x;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&x, codes + i, 8);
		/* bit 2 of each byte to bit i/8 .. i/8 + 7 */
		x = (x >> 2) & 0x0101010101010101ull;
		inv |= (x * 0x0102040810204080ull) >> 56 << i;
	}
	for (; i < n; i++)
		inv |= (uint64_t)(codes[i] >> 2) << i;
	return inv;
}

/* inv OR-ed with itself shifted by 1 .. k - 1: bit p set when one of the
 * k positions ending at p is. */
static inline uint64_t gdb_kmer_smear(uint64_t inv, unsigned k)
{
	for (unsigned w = 1; w < k;) {
		unsigned d = w < k - w ? w : k - w;

		inv |= inv << d;
		w += d;
	}
	return inv;
}

/* Eight bytes of 2-bit codes (byte j: code j) to 16 bits, code j at bits
 * 2j, 2j + 1. */
static inline uint64_t gdb_kmer_pack8(uint64_t x)
{
	x = (x | x >> 6) & 0x000f000f000f000full;
	x = (x | x >> 12) & 0x000000ff000000ffull;
	return (x | x >> 24) & 0xffff;
}

/* The valid run after n codes (inv: their invalid ones) that followed a
 * run of run, capped at k - 1. */
static inline unsigned gdb_kmer_run(uint64_t inv, size_t n, unsigned run,
				    unsigned k)
{
	uint64_t r =
	    inv ? n - 1 - (63 - (unsigned)__builtin_clzll(inv)) : run + n;

	return r < k - 1 ? (unsigned)r : k - 1;
}

/* The roll's per-lane shifts and masks (kmer_roll.h) for lane j, after
 * n = j + 1 codes; a shift of 64 shifts everything out. */
struct gdb_kmer_lanes {
	long long s1[8], s2[8], qm[8], s3[8], s4[8];
};

static inline void gdb_kmer_lanes_init(struct gdb_kmer_lanes *c, unsigned k)
{
	for (int j = 0; j < 8; j++) {
		const int n = j + 1, kk = (int)k;

		c->s1[j] = 2 * n;
		c->s2[j] = 16 - 2 * n;
		c->qm[j] = (1ll << (2 * n)) - 1;
		c->s3[j] = n <= kk ? 2 * kk - 2 * n : 64;
		c->s4[j] = n > kk ? 2 * n - 2 * kk : 64;
	}
}

/* Keep the words of h[0, 8) whose bits are set in v8, in order, at h;
 * returns how many. Without a branch on the bits (near an N they follow
 * the sequence): word j goes to h[n], n <= j, after h[n] was read. */
static inline size_t gdb_kmer_compact8(uint64_t *h, unsigned v8)
{
	size_t n = 0;

	if (v8 == 0xff)
		return 8;
	for (unsigned j = 0; j < 8; j++) {
		h[n] = h[j];
		n += (v8 >> j) & 1;
	}
	return n;
}

/* A level's roll: the hashes of the valid k-mers ending in codes[0, m)
 * (codes 0..3, 4 invalid), in order, at h (room for m + 8); returns
 * how many, and carries *st on. */
typedef size_t (*gdb_kmer_roll_fn)(struct gdb_kmer_roll *st,
				   const uint8_t *codes, size_t m, uint64_t *h);
/* A level's k-mer parts: bytes to codes, the roll, a partition's insertion
 * (below). */
typedef void (*gdb_kmer_part_fn)(struct gdb_kmer_table *t, const uint64_t *h,
				 size_t nk);
/* The same that also fetches next[0, next_bytes) (the next partition's
 * region of the table; next NULL: none) while it inserts. */
typedef void (*gdb_kmer_part_next_fn)(struct gdb_kmer_table *t,
				      const uint64_t *h, size_t nk,
				      const void *next, size_t next_bytes);
struct gdb_kmer_level {
	gdb_kmer_enc_fn enc;
	gdb_kmer_roll_fn roll;
	gdb_kmer_part_fn part;
	/* kmer_sort.c's scatter into the partitions: 0, a cache line at a
	 * time through a line per partition and streaming stores; 1, each
	 * hash stored straight into its partition (measured faster on Zen 3
	 * at SSE4.1 and AVX2; AVX-512, tuned on Zen 4, keeps 0) */
	int scatter_words;
	/* the insertion that fetches the next region itself (SSE4.1 and
	 * AVX2, which leave part NULL), or NULL: kmer_sort.c fetches it
	 * before part runs (AVX-512, tuned on Zen 4) */
	gdb_kmer_part_next_fn part_next;
};
int gdb_kmer_count_blocked(struct gdb_kmer_table *t, const char *seq, size_t n,
			   const struct gdb_kmer_level *lv);
/* A level's part or part_next is its insertion of one partition's hashes
 * h[0, nk), in order, into a table whose region for them is in cache
 * (kmer_part.h). Exactly one is used: part_next when it is not NULL (it
 * also fetches the next region), else part. */
/* The same for large regions (kmer_sort.c): the k-mers of a batch
 * partitioned by home slot before they go in (each partition by part or
 * part_next); small ones go to gdb_kmer_count_blocked. */
int gdb_kmer_count_vec(struct gdb_kmer_table *t, const char *seq, size_t n,
		       const struct gdb_kmer_level *lv);
/* For tests only (not thread safe; default 0): on, gdb_kmer_count_vec
 * takes at every level the path AVX-512 takes (scatter_words 0: the line
 * scatter, then the whole next region fetched before each partition's
 * insertion, by part or else by part_next with no next region), so that
 * path is tested on machines without AVX-512. */
void gdb_kmer_test_line_scatter(int on);

/* ---- alignment ---- */

struct gdb_align_ws {
	void *buf; /* 64-byte aligned scratch for the striped kernels */
	size_t buf_size;
	uint8_t *tb; /* traceback bytes */
	size_t tb_size;
	int32_t *lin; /* linear H, E columns handed between lane widths */
	size_t lin_size;
	char *cigar;
	size_t cigar_size;
};

/* Grow a workspace buffer; 0 or -ENOMEM. */
int gdb_align_ws_reserve(void **p, size_t *have, size_t want, size_t align);

/*
 * State of one striped run handed between lane widths (align.c drives,
 * the templates execute). Columns j0 .. j1-1 of the target are done by one
 * call; h and e are the linear H of column j0-1 and E entering column j0
 * (valid when have_state), and are written back on return.
 */
struct gdb_stripe_job {
	const gdb_align_scoring *sc;
	int mode;
	const uint8_t *qc; /* query codes */
	size_t qlen;
	const char *target;
	size_t tlen;
	gdb_align_ws *ws;
	int32_t *h, *e; /* qlen each, in ws->lin */
	int have_state;
	int64_t best; /* local: best so far; semi-global: best of last row */
	int64_t qend, tend;
	int64_t colmax; /* max H of the last column run (local) */
};

/* What a striped run stopped for. */
#define GDB_STRIPE_DONE 0
#define GDB_STRIPE_UP 1	  /* next column may not fit: widen */
#define GDB_STRIPE_DOWN 2 /* values fit a narrower lane again */

/* One lane width of one level: run columns [j, tlen); sets *jnext. */
typedef int (*gdb_stripe_fn)(struct gdb_stripe_job *jb, size_t j,
			     size_t *jnext);

/*
 * gdb_align_striped - the width-switching driver over a level's runners
 * (index 0: 8-bit, 1: 16-bit, 2: 32-bit).
 */
int gdb_align_striped(const gdb_stripe_fn run[3], const gdb_align_scoring *sc,
		      enum gdb_align_mode mode, const char *query, size_t qlen,
		      const char *target, size_t tlen, gdb_align_ws *ws,
		      gdb_align_result *res);

/*
 * Local alignment with the target cut into one segment a lane
 * (align_seg.h runs the lanes, align_seg.c drives and combines): the
 * state of one run over up to 64 lanes.
 */
struct gdb_seg {
	const gdb_align_scoring *sc;
	const uint8_t *qc; /* query codes */
	size_t qlen;
	const char *target;
	size_t tlen;
	size_t seglen, w; /* columns a lane owns; warm-up columns before */
	gdb_align_ws *ws;
	uint64_t redo;	  /* lanes that came near saturation */
	int64_t best[64]; /* each lane's first best cell */
	int64_t col[64], row[64];
};

/* A level's segmented kernels, widest lanes last, and its striped kernel
 * (for lanes to redo). */
typedef int (*gdb_seg_fn)(struct gdb_seg *g);
struct gdb_seg_level {
	gdb_seg_fn run[2];
	unsigned lanes[2], codes[2], emax[2];
	int (*score)(const gdb_align_scoring *sc, enum gdb_align_mode mode,
		     const char *query, size_t qlen, const char *target,
		     size_t tlen, gdb_align_ws *ws, gdb_align_result *res);
};

/*
 * gdb_align_seg - the segmented local alignment at a level, when it pays:
 * returns 0 or a negative errno with res filled as the striped kernel
 * would fill it, or 1 when it does not apply (not local, extend 0, too
 * many codes, a target too short for the lanes' warm-up columns) and the
 * caller runs its striped kernel.
 */
int gdb_align_seg(const struct gdb_seg_level *lv, const gdb_align_scoring *sc,
		  enum gdb_align_mode mode, const char *query, size_t qlen,
		  const char *target, size_t tlen, gdb_align_ws *ws,
		  gdb_align_result *res);

/* Argument checks and trivial cases shared by every level: returns 1 when
 * res is already final, 0 to go on, or a negative errno. */
int gdb_align_prologue(const gdb_align_scoring *sc, enum gdb_align_mode mode,
		       size_t qlen, size_t tlen, gdb_align_result *res);

/* Bound on |any DP value| of an alignment of these lengths. */
int64_t gdb_align_bound(const gdb_align_scoring *sc, enum gdb_align_mode mode,
			size_t qlen, size_t tlen);

/* ---- motif ---- */

/*
 * The bit-parallel scan, shared by every level: for each chunk of 4096
 * positions, the level builds the position bitsets of the bases (bits)
 * and ANDs the shifted class bitsets of the pattern (combine).
 *   bits(s, n, out): out[b][w] bit i = base b (A C G T/U) at s[64w + i],
 *     out[4][w] = the OR of the four (any base); w < nwords = ceil(n /
 *     64); bits past n are 0.
 *   combine(st, m, nwords, out): out[w] = AND over j < m of
 *     gdb_motif_word(&st[j], w); the rows have nwords + 1 words. The
 *     driver hands the steps over most selective first, so a combine may
 *     stop at a word once it is 0.
 * A class is one row (a base, or any base for N) or the XOR of two: two
 * bases are disjoint, so their XOR is their OR, and three bases are any
 * base XOR the missing one. Only the steps a word gets to pay for that.
 */
struct gdb_motif_step {
	const uint64_t *x, *y; /* the class bitset is x ^ y (y NULL: x) */
	unsigned sh;	       /* the pattern position */
};

typedef void (*gdb_motif_bits_fn)(const char *s, size_t n, uint64_t *out[5]);
typedef void (*gdb_motif_combine_fn)(const struct gdb_motif_step *st,
				     unsigned m, size_t nwords, uint64_t *out);

/* bits w*64 + s .. w*64 + s + 63 of a bitset (s < 64) */
static inline uint64_t gdb_motif_shr(const uint64_t *c, size_t w, unsigned s)
{
	return c[w] >> s | c[w + 1] << 1 << (63 - s);
}

static inline uint64_t gdb_motif_word(const struct gdb_motif_step *st, size_t w)
{
	uint64_t v = gdb_motif_shr(st->x, w, st->sh);

	if (st->y)
		v ^= gdb_motif_shr(st->y, w, st->sh);
	return v;
}

int64_t gdb_motif_find_with(const gdb_motif_pattern *p, const char *seq,
			    size_t n, unsigned strands, gdb_motif_hit *hits,
			    size_t cap, gdb_motif_bits_fn bits,
			    gdb_motif_combine_fn combine);

/* Base code for the PWM scan: A0 C1 G2 T3 (U too), anything else 4. */
extern const uint8_t gdb_pwm_code[256];

/*
 * The vector scans go through the sequence in chunks of GDB_PWM_CHUNK
 * window starts (their codes fit on the stack): the windows of the chunk
 * at base, and in *len the bases they span.
 */
#define GDB_PWM_CHUNK 4096

static inline size_t gdb_pwm_chunk(size_t n, unsigned m, size_t base,
				   size_t *len)
{
	size_t npos = n - m + 1 - base;

	if (npos > GDB_PWM_CHUNK)
		npos = GDB_PWM_CHUNK;
	*len = npos + m - 1;
	return npos;
}

/* Record a hit when there is room; the count always advances. */
static inline void gdb_pwm_emit(gdb_pwm_hit *hits, size_t cap, int64_t *nh,
				uint64_t pos, int32_t score, char strand)
{
	if ((uint64_t)*nh < cap) {
		hits[*nh].pos = pos;
		hits[*nh].score = score;
		hits[*nh].strand = strand;
	}
	(*nh)++;
}

/*
 * 16-bit PWM lanes (the SSE4.1 and AVX2 scans): twice the windows a
 * vector, and a column's lookup is one byte shuffle of a 16-byte table,
 * entry c = the column's int16 score of code c (A0 C1 G2 T3, entries 4-7
 * INT16_MIN for every other byte). A position's shuffle index is
 * gdb_pwm_idx16(code) = the byte pair (2 code, 2 code + 1), and scores
 * add with signed saturation.
 *
 * gdb_pwm_narrow() allows it only when that is exact: with P the larger
 * of the two strands' sums over columns of the column's best entry (or
 * 0 when all are negative), P <= INT16_MAX, so no partial sum saturates
 * upwards, and threshold > INT16_MIN + P. Then a window that never
 * saturates downwards has its exact score, and one that does (a
 * non-ACGT byte, or a deep partial sum; entries below INT16_MIN are
 * clamped to it) ends at most at INT16_MIN + P, below the threshold, as
 * its true score is, which the clamping only ever raised. Returns 1 and
 * fills out (thr1 is threshold - 1 clamped to int16: a window hits when
 * its score > thr1), or 0 when the 32-bit scan must run.
 */
struct gdb_pwm16 {
	int16_t fw[GDB_PWM_MAXLEN][8];
	int16_t rc[GDB_PWM_MAXLEN][8];
	int16_t thr1;
};
int gdb_pwm_narrow(const gdb_pwm *p, int32_t threshold, struct gdb_pwm16 *out);

static inline uint16_t gdb_pwm_idx16(uint8_t code)
{
	return (uint16_t)(code * 0x0202 + 0x0100);
}

/* idx[i] = gdb_pwm_idx16(code of s[i]) for i in [from, len), then the
 * index of a non-ACGT byte up to cap (the vector loads past len). */
void gdb_pwm_idx16_fill(const char *s, size_t from, size_t len, uint16_t *idx,
			size_t cap);

/* The hits among the first n lanes of 16-bit fw/rc window scores, the
 * window of lane l starting at pos + l, in position order, '+' first. */
static inline void gdb_pwm_emit16(gdb_pwm_hit *hits, size_t cap, int64_t *nh,
				  uint64_t pos, const int16_t *sf,
				  const int16_t *sr, unsigned n, int16_t thr1,
				  unsigned strands)
{
	unsigned l;

	for (l = 0; l < n; l++) {
		if ((strands & GDB_STRAND_FWD) && sf[l] > thr1)
			gdb_pwm_emit(hits, cap, nh, pos + l, sf[l], '+');
		if ((strands & GDB_STRAND_REV) && sr[l] > thr1)
			gdb_pwm_emit(hits, cap, nh, pos + l, sr[l], '-');
	}
}

/* ---- per-level tables and entry points ---- */

extern const gdb_kmer_kernels gdb_ana_kmer_scalar;
extern const gdb_motif_kernels gdb_ana_motif_scalar;
extern const gdb_align_kernels gdb_ana_align_scalar;
int gdb_ana_scalar_kmer_count(gdb_kmer_table *t, const char *seq, size_t n);
void gdb_ana_scalar_kmer_enc(const char *src, size_t n, uint8_t *dst);
void gdb_ana_scalar_motif_bits(const char *s, size_t n, uint64_t *out[5]);
void gdb_ana_scalar_motif_combine(const struct gdb_motif_step *st, unsigned m,
				  size_t nwords, uint64_t *out);
/* The scalar combine of words w0 .. nwords-1: a vector combine's tail. */
void gdb_motif_combine_from(const struct gdb_motif_step *st, unsigned m,
			    size_t w0, size_t nwords, uint64_t *out);
int64_t gdb_ana_scalar_pwm_scan(const gdb_pwm *p, const char *seq, size_t n,
				int32_t threshold, unsigned strands,
				gdb_pwm_hit *hits, size_t cap);
int gdb_ana_scalar_align_score(const gdb_align_scoring *sc,
			       enum gdb_align_mode mode, const char *query,
			       size_t qlen, const char *target, size_t tlen,
			       gdb_align_ws *ws, gdb_align_result *res);
int gdb_ana_scalar_align_many(const gdb_align_scoring *sc,
			      const char *const *queries, const size_t *qlens,
			      size_t n, const char *target, size_t tlen,
			      gdb_align_ws *ws, gdb_align_result *out);
#if GDB_SIMD_X86
int gdb_ana_sse41_align_many(const gdb_align_scoring *sc,
			     const char *const *queries, const size_t *qlens,
			     size_t n, const char *target, size_t tlen,
			     gdb_align_ws *ws, gdb_align_result *out);
int gdb_ana_avx2_align_many(const gdb_align_scoring *sc,
			    const char *const *queries, const size_t *qlens,
			    size_t n, const char *target, size_t tlen,
			    gdb_align_ws *ws, gdb_align_result *out);
extern const gdb_kmer_kernels gdb_ana_kmer_sse41, gdb_ana_kmer_avx2,
    gdb_ana_kmer_avx512;
extern const gdb_motif_kernels gdb_ana_motif_sse41, gdb_ana_motif_avx2,
    gdb_ana_motif_avx512;
extern const gdb_align_kernels gdb_ana_align_sse41, gdb_ana_align_avx2,
    gdb_ana_align_avx512;
#endif

#endif
