/*
 * simd/ana_avx512.c - the 512-bit analysis kernels (AVX-512 F + BW).
 * The methods of ana_avx2.c, with compares straight into 64-bit masks
 * (one vector is one bitset word), 32 PWM windows a vector in 16-bit
 * lanes (16 in 32-bit lanes, vpermd) and 64/32/16 lanes for the striped
 * alignment. No VBMI: the level is offered on every AVX-512BW CPU.
 */
#include <errno.h>
#include <string.h>

#include "common/gdb.h"
#include "simd/analysis_int.h"

#if GDB_SIMD_X86
#include <immintrin.h>

#define LOADU(p) _mm512_loadu_si512((const void *)(p))
#define STOREU(p, v) _mm512_storeu_si512((void *)(p), (v))
#define TGT_A GDB_TARGET_AVX512_A

TGT_A static inline uint64_t eqm(__m512i u, char ch)
{
	return _mm512_cmpeq_epi8_mask(u, _mm512_set1_epi8(ch));
}

TGT_A void gdb_simd_avx512_comp(const char *s, size_t n, gdb_comp *out)
{
	const __m512i lc = _mm512_set1_epi8(0x20);
	uint64_t a = 0, c = 0, g = 0, t = 0, ss = 0, w = 0, cpg = 0, carry = 0;
	gdb_comp tail;
	size_t i;

	for (i = 0; i + 64 <= n; i += 64) {
		__m512i u = _mm512_or_si512(LOADU(s + i), lc);
		uint64_t mc = eqm(u, 'c'), mg = eqm(u, 'g');

		a += (uint64_t)__builtin_popcountll(eqm(u, 'a'));
		c += (uint64_t)__builtin_popcountll(mc);
		g += (uint64_t)__builtin_popcountll(mg);
		t += (uint64_t)__builtin_popcountll(eqm(u, 't') | eqm(u, 'u'));
		ss += (uint64_t)__builtin_popcountll(eqm(u, 's'));
		w += (uint64_t)__builtin_popcountll(eqm(u, 'w'));
		cpg += (uint64_t)__builtin_popcountll(mc & (mg >> 1)) +
		       (carry & mg & 1);
		carry = mc >> 63;
	}
	gdb_simd_scalar_comp(s + i, n - i, &tail);
	out->a = a + tail.a;
	out->c = c + tail.c;
	out->g = g + tail.g;
	out->t = t + tail.t;
	out->s = ss + tail.s;
	out->w = w + tail.w;
	out->other = n - (out->a + out->c + out->g + out->t + out->s + out->w);
	out->cpg = cpg + tail.cpg + (carry && i < n && (s[i] | 0x20) == 'g');
}

/* code per byte: A0 C1 G2 T3 U3 (any case), else 4 */
TGT_A static inline __m512i codes64(__m512i v)
{
	__m512i u = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
	__m512i r = _mm512_set1_epi8(4);
	uint64_t mt = eqm(u, 't') | eqm(u, 'u');

	r = _mm512_mask_mov_epi8(r, eqm(u, 'a'), _mm512_setzero_si512());
	r = _mm512_mask_mov_epi8(r, eqm(u, 'c'), _mm512_set1_epi8(1));
	r = _mm512_mask_mov_epi8(r, eqm(u, 'g'), _mm512_set1_epi8(2));
	return _mm512_mask_mov_epi8(r, mt, _mm512_set1_epi8(3));
}

TGT_A static void avx512_kmer_enc(const char *src, size_t n, uint8_t *dst)
{
	size_t i;

	for (i = 0; i + 64 <= n; i += 64)
		STOREU(dst + i, codes64(LOADU(src + i)));
	gdb_ana_scalar_kmer_enc(src + i, n - i, dst + i);
}

/* Slots s[0, 8) that hold tag or are free: the eight keys (dwords 3j and
 * 3j + 1 of the 12-byte slots) gathered from two loads by one permute,
 * two compares into one mask. */
TGT_A static inline unsigned avx512_kmer_stops(const struct gdb_kmer_slot *s,
					       uint64_t tag)
{
	const __m512i idx = _mm512_setr_epi32(0, 1, 3, 4, 6, 7, 9, 10, 12, 13,
					      15, 16, 18, 19, 21, 22);
	__m512i a = LOADU(s);
	__m512i b = _mm512_castsi256_si512(
	    _mm256_loadu_si256((const void *)((const char *)s + 64)));
	__m512i k = _mm512_permutex2var_epi32(a, idx, b);

	return (unsigned)(_mm512_cmpeq_epi64_mask(
			      k, _mm512_set1_epi64((long long)tag)) |
			  _mm512_testn_epi64_mask(k, k));
}

#define SFX avx512
#define TGT TGT_A
#define SPAN 8
#define STOPS avx512_kmer_stops
#include "simd/kmer_part.h"

/* The roll's per-lane shifts and masks (kmer_roll.h), lane j = n - 1. */
struct kr512 {
	__m512i s1, s2, qm, s3, s4, mask;
	int canon;
};

TGT_A static inline void avx512_roll_prep(struct kr512 *c,
					  const struct gdb_kmer_roll *st)
{
	struct gdb_kmer_lanes ln;

	gdb_kmer_lanes_init(&ln, st->k);
	c->s1 = LOADU(ln.s1);
	c->s2 = LOADU(ln.s2);
	c->qm = LOADU(ln.qm);
	c->s3 = LOADU(ln.s3);
	c->s4 = LOADU(ln.s4);
	c->mask = _mm512_set1_epi64((long long)st->mask);
	c->canon = st->canon;
}

/* a * gdb_kmer_hash's multiplier, mod 2^64, in 32-bit products (no
 * AVX-512DQ at this level) */
TGT_A static inline __m512i avx512_hash(__m512i a)
{
	const __m512i lo = _mm512_set1_epi64(0x7f4a7c15),
		      hi = _mm512_set1_epi64(0x9e3779b9);
	__m512i x =
	    _mm512_add_epi64(_mm512_mul_epu32(_mm512_srli_epi64(a, 32), lo),
			     _mm512_mul_epu32(a, hi));

	return _mm512_add_epi64(_mm512_mul_epu32(a, lo),
				_mm512_slli_epi64(x, 32));
}

TGT_A static inline size_t avx512_roll_group(const struct kr512 *c, uint64_t fw,
					     uint64_t rc, uint64_t F,
					     uint64_t Q, unsigned v8,
					     uint64_t *out)
{
	__m512i f = _mm512_and_si512(
	    _mm512_or_si512(
		_mm512_sllv_epi64(_mm512_set1_epi64((long long)fw), c->s1),
		_mm512_srlv_epi64(_mm512_set1_epi64((long long)F), c->s2)),
	    c->mask);
	__m512i q = _mm512_and_si512(_mm512_set1_epi64((long long)Q), c->qm);
	__m512i r = _mm512_or_si512(
	    _mm512_srlv_epi64(_mm512_set1_epi64((long long)rc), c->s1),
	    _mm512_or_si512(_mm512_sllv_epi64(q, c->s3),
			    _mm512_srlv_epi64(q, c->s4)));
	__m512i h = avx512_hash(c->canon ? _mm512_min_epu64(f, r) : f);

	STOREU(out, _mm512_maskz_compress_epi64((__mmask8)v8, h));
	return (size_t)__builtin_popcount(v8);
}

#define SFX avx512
#define TGT TGT_A
#define KR_CONST struct kr512
#define KR_PREP avx512_roll_prep
#define KR_GROUP avx512_roll_group
#include "simd/kmer_roll.h"

static const struct gdb_kmer_level avx512_kmer = {
    avx512_kmer_enc, kmer_roll_avx512, kmer_part_avx512, 0, NULL};

static int avx512_kmer_count(gdb_kmer_table *t, const char *seq, size_t n)
{
	return gdb_kmer_count_vec(t, seq, n, &avx512_kmer);
}

TGT_A static void avx512_motif_bits(const char *s, size_t n, uint64_t *out[5])
{
	const __m512i lc = _mm512_set1_epi8(0x20);
	uint64_t *tail[5];
	size_t i, w = 0;

	for (i = 0; i + 64 <= n; i += 64, w++) {
		__m512i u = _mm512_or_si512(LOADU(s + i), lc);

		uint64_t a = eqm(u, 'a'), c = eqm(u, 'c');
		uint64_t g = eqm(u, 'g'), t = eqm(u, 't') | eqm(u, 'u');

		out[0][w] = a;
		out[1][w] = c;
		out[2][w] = g;
		out[3][w] = t;
		out[4][w] = a | c | g | t;
	}
	tail[0] = out[0] + w;
	tail[1] = out[1] + w;
	tail[2] = out[2] + w;
	tail[3] = out[3] + w;
	tail[4] = out[4] + w;
	gdb_ana_scalar_motif_bits(s + i, n - i, tail);
}

#define SFX avx512
#define TGT GDB_TARGET_AVX512_A
#define V __m512i
#define WORDS 8
#define VLOADU LOADU
#define VSTOREU STOREU
#define VAND _mm512_and_si512
#define VOR _mm512_or_si512
#define VXOR _mm512_xor_si512
#define VSRL _mm512_srl_epi64
#define VSLL _mm512_sll_epi64
#define VANY(v) (_mm512_test_epi64_mask(v, v))
#include "simd/motif_combine.h"

static int64_t avx512_motif_find(const gdb_motif_pattern *p, const char *seq,
				 size_t n, unsigned strands,
				 gdb_motif_hit *hits, size_t cap)
{
	return gdb_motif_find_with(p, seq, n, strands, hits, cap,
				   avx512_motif_bits, motif_combine_avx512);
}

/*
 * PWM (template: pwm_scan.h). 16-bit: 32 windows a vector, a column one
 * vpshufb (AVX-512BW) of its table copied into each 128-bit block.
 * 32-bit: 16 windows a vector, a column's score a vpermd over 16 lanes
 * of its 8 entries (codes are 0..4, so only the low 8 are read).
 */
TGT_A static inline void pwm_codes_avx512(const char *s, size_t len,
					  uint8_t *codes)
{
	size_t i;

	for (i = 0; i + 64 <= len; i += 64)
		STOREU(codes + i, codes64(LOADU(s + i)));
	for (; i < len; i++)
		codes[i] = gdb_pwm_code[(unsigned char)s[i]];
}

/* gdb_pwm_idx16() of 32 codes */
TGT_A static inline __m512i idx16x32(__m256i c)
{
	return _mm512_add_epi16(_mm512_mullo_epi16(_mm512_cvtepu8_epi16(c),
						   _mm512_set1_epi16(0x0202)),
				_mm512_set1_epi16(0x0100));
}

TGT_A static inline size_t pwm_idx16_avx512(const char *s, size_t len,
					    uint16_t *idx)
{
	size_t i;

	for (i = 0; i + 64 <= len; i += 64) {
		__m512i c = codes64(LOADU(s + i));

		STOREU(idx + i, idx16x32(_mm512_castsi512_si256(c)));
		STOREU(idx + i + 32, idx16x32(_mm512_extracti64x4_epi64(c, 1)));
	}
	return i;
}

#define SFX avx512
#define TGT GDB_TARGET_AVX512_A
#define V __m512i
#define L32 16
#define PAD 4
#define CODES pwm_codes_avx512
#define COL(p, row)                                                            \
	_mm512_zextsi256_si512(                                                \
	    _mm256_loadu_si256((const __m256i *)(const void *)(row)))
#define LOOK(col, codes)                                                       \
	_mm512_permutexvar_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128(         \
				     (const __m128i *)(const void *)(codes))), \
				 col)
#define ADD32 _mm512_add_epi32
#define GT32(a, b) ((unsigned)_mm512_cmpgt_epi32_mask(a, b))
#define SET32 _mm512_set1_epi32
#define STORE STOREU
#define L16 32
#define TAB16(row)                                                             \
	_mm512_broadcast_i32x4(                                                \
	    _mm_loadu_si128((const __m128i *)(const void *)(row)))
#define IDX16 pwm_idx16_avx512
#define LOAD16 LOADU
#define SHUF16 _mm512_shuffle_epi8
#define ADDS16 _mm512_adds_epi16
#define ANYGT16(a, b, t)                                                       \
	(_mm512_cmpgt_epi16_mask(a, _mm512_set1_epi16(t)) |                    \
	 _mm512_cmpgt_epi16_mask(b, _mm512_set1_epi16(t)))
#include "simd/pwm_scan.h"

/* ---- striped alignment ---- */

/* lanes up by B bytes (B < 16) across the 128-bit blocks, zeros in */
#define SHL_BYTES(v, B)                                                        \
	_mm512_alignr_epi8(                                                    \
	    (v), _mm512_alignr_epi64((v), _mm512_setzero_si512(), 6),          \
	    16 - (B))
#define LANE0(x) _mm512_zextsi128_si512(_mm_cvtsi32_si128(x))

#define SFX avx512_8
#define TGT GDB_TARGET_AVX512_A
#define V __m512i
#define ET int8_t
#define LANES 64
#define ENEG INT8_MIN
#define EMAX INT8_MAX
#define NARROW_MAX 0
#define VSET1(x) _mm512_set1_epi8((char)(x))
#define VZERO() _mm512_setzero_si512()
#define VADDS _mm512_adds_epi8
#define VSUBS _mm512_subs_epi8
#define VMAX _mm512_max_epi8
#define VADDW _mm512_add_epi8
#define VANYGT(a, b) (_mm512_cmpgt_epi8_mask(a, b) != 0)
#define VSHL1(v) SHL_BYTES(v, 1)
#define VLANE0(x) LANE0((int)(uint8_t)(x))
#include "simd/align_striped.h"

/*
 * The prefix scan of the 16-bit carry (align_striped.h VSCAN): lane l
 * takes max(c_l, c_(l-k) - k d) for k = 1, 2, 4, 8, 16, lanes below k
 * taking nothing (ENEG), so 5 steps instead of up to 31 dependent
 * shifts. k d saturates like the steps it stands for.
 */
TGT_A static inline __m512i scan16_avx512(__m512i c, __m512i d)
{
	const __m512i up = _mm512_set_epi16(
	    30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14,
	    13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0);
	const __m512i neg = _mm512_set1_epi16(INT16_MIN);
	__m512i idx = up;

	for (unsigned k = 1; k < 32; k <<= 1) {
		__mmask32 keep = ~(__mmask32)0 << k; /* lanes >= k */
		__m512i sh = _mm512_mask_permutexvar_epi16(neg, keep, idx, c);

		c = _mm512_max_epi16(c, _mm512_subs_epi16(sh, d));
		d = _mm512_adds_epi16(d, d);
		/* idx - k more: lane l reads lane l - 2k next */
		idx = _mm512_subs_epu16(idx, _mm512_set1_epi16((short)k));
	}
	return c;
}

#define SFX avx512_16
#define TGT GDB_TARGET_AVX512_A
#define V __m512i
#define ET int16_t
#define LANES 32
#define ENEG INT16_MIN
#define EMAX INT16_MAX
#define NARROW_MAX INT8_MAX
#define VSET1(x) _mm512_set1_epi16((short)(x))
#define VZERO() _mm512_setzero_si512()
#define VADDS _mm512_adds_epi16
#define VSUBS _mm512_subs_epi16
#define VMAX _mm512_max_epi16
#define VADDW _mm512_add_epi16
#define VANYGT(a, b) (_mm512_cmpgt_epi16_mask(a, b) != 0)
#define VSHL1(v) SHL_BYTES(v, 2)
#define VLANE0(x) LANE0((int)(uint16_t)(x))
#define VSCAN scan16_avx512
#include "simd/align_striped.h"

#define SFX avx512_32
#define TGT GDB_TARGET_AVX512_A
#define V __m512i
#define ET int32_t
#define LANES 16
#define ENEG (-(1 << 29))
#define EMAX (1 << 29)
#define NARROW_MAX INT16_MAX
#define VSET1(x) _mm512_set1_epi32((int)(x))
#define VZERO() _mm512_setzero_si512()
#define VADDS _mm512_add_epi32
#define VSUBS _mm512_sub_epi32
#define VMAX _mm512_max_epi32
#define VADDW _mm512_add_epi32
#define VANYGT(a, b) (_mm512_cmpgt_epi32_mask(a, b) != 0)
#define VSHL1(v) _mm512_alignr_epi32((v), _mm512_setzero_si512(), 15)
#define VLANE0(x) LANE0((int)(x))
#include "simd/align_striped.h"

/* ---- segmented local alignment (align_seg.h) ---- */

#define SFX avx512_8
#define TGT GDB_TARGET_AVX512_A
#define V __m512i
#define ET int8_t
#define LANES 64
#define ENEG INT8_MIN
#define EMAX INT8_MAX
#define NCODES 16
#define VSET1(x) _mm512_set1_epi8((char)(x))
#define VZERO() _mm512_setzero_si512()
#define VADDS _mm512_adds_epi8
#define VSUBS _mm512_subs_epi8
#define VMAX _mm512_max_epi8
#define VLOAD(p) LOADU(p)
#define VSTORE(p, v) STOREU(p, v)
#define GTMASK(a, b) ((uint64_t)_mm512_cmpgt_epi8_mask(a, b))
#define TAB(row)                                                               \
	_mm512_broadcast_i32x4(                                                \
	    _mm_loadu_si128((const __m128i *)(const void *)(row)))
#define LOOK(tab, c) _mm512_shuffle_epi8(tab, LOADU(c))
#include "simd/align_seg.h"

#define SFX avx512_16
#define TGT GDB_TARGET_AVX512_A
#define V __m512i
#define ET int16_t
#define LANES 32
#define ENEG INT16_MIN
#define EMAX INT16_MAX
#define NCODES 32
#define VSET1(x) _mm512_set1_epi16((short)(x))
#define VZERO() _mm512_setzero_si512()
#define VADDS _mm512_adds_epi16
#define VSUBS _mm512_subs_epi16
#define VMAX _mm512_max_epi16
#define VLOAD(p) LOADU(p)
#define VSTORE(p, v) STOREU(p, v)
#define GTMASK(a, b) ((uint64_t)_mm512_cmpgt_epi16_mask(a, b))
#define TAB(row) LOADU(row)
#define LOOK(tab, c)                                                           \
	_mm512_permutexvar_epi16(_mm512_cvtepu8_epi16(_mm256_loadu_si256(      \
				     (const __m256i *)(const void *)(c))),     \
				 tab)
#include "simd/align_seg.h"

/*
 * The striped kernel of this level: the per-column cost of the striped
 * loop (shift, lazy-F pass and its branches) grows with the lane count
 * while the useful work per column is the query length, so 512-bit
 * lanes only pay off for long local queries. Measured here (local, 200
 * kbp target, 8-bit lanes, GCUPS avx2/avx512): q=100 6.5/5.1, q=300
 * 12.3/10.0, q=1000 19.3/20.0, q=3000 23.6/28.4. Global and semi-global
 * (which carry F across lanes by a scan, align_striped.h) gain from the
 * wider lanes at every length: 2 kb pairs 9.5 / 10.5 GCUPS against 6.0
 * / 6.3 on AVX2.
 */
static int avx512_striped(const gdb_align_scoring *sc, enum gdb_align_mode mode,
			  const char *query, size_t qlen, const char *target,
			  size_t tlen, gdb_align_ws *ws, gdb_align_result *res)
{
	static const gdb_stripe_fn run[3] = {
	    stripe_run_avx512_8, stripe_run_avx512_16, stripe_run_avx512_32};

	if (mode == GDB_ALIGN_LOCAL && qlen < 1024)
		return gdb_ana_align_avx2.score(sc, mode, query, qlen, target,
						tlen, ws, res);
	return gdb_align_striped(run, sc, mode, query, qlen, target, tlen, ws,
				 res);
}

/* Local alignment against a long target: one target segment a lane
 * (64 8-bit lanes, or 32 16-bit ones when many lanes near 127). */
static int avx512_align_score(const gdb_align_scoring *sc,
			      enum gdb_align_mode mode, const char *query,
			      size_t qlen, const char *target, size_t tlen,
			      gdb_align_ws *ws, gdb_align_result *res)
{
	static const struct gdb_seg_level lv = {
	    {seg_run_avx512_8, seg_run_avx512_16},
	    {64, 32},
	    {16, 32},
	    {INT8_MAX, INT16_MAX},
	    avx512_striped};
	int rc =
	    gdb_align_seg(&lv, sc, mode, query, qlen, target, tlen, ws, res);

	if (rc <= 0)
		return rc;
	return avx512_striped(sc, mode, query, qlen, target, tlen, ws, res);
}

const gdb_kmer_kernels gdb_ana_kmer_avx512 = {
    .name = "avx512",
    .count = avx512_kmer_count,
};

const gdb_motif_kernels gdb_ana_motif_avx512 = {
    .name = "avx512",
    .find = avx512_motif_find,
    .pwm_scan = pwm_scan_avx512,
};

const gdb_align_kernels gdb_ana_align_avx512 = {
    .name = "avx512",
    .score = avx512_align_score,
    .many = gdb_ana_avx2_align_many,
};

#endif
