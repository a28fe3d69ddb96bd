/*
 * simd/ana_sse41.c - the 128-bit analysis kernels: the methods of
 * ana_avx2.c on 16 bytes a vector (composition and motif bitsets four
 * vectors to a 64-bit word, the shift-AND two words a vector, striped
 * alignment in 16/8/4 lanes). PWM scanning (the pwm_scan.h template):
 * eight windows a vector in 16-bit lanes whenever that is exact (struct
 * gdb_pwm16), a column one pshufb of its table per strand; otherwise
 * pshufb lookups of the four 32-bit ACGT entries of a column, four
 * windows a vector.
 */
#include <errno.h>
#include <string.h>

#include "common/gdb.h"
#include "simd/analysis_int.h"

#if GDB_SIMD_X86
#include <immintrin.h>

#define LOADU(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define STOREU(p, v) _mm_storeu_si128((__m128i *)(void *)(p), (v))
#define TGT_A GDB_TARGET_SSE41_A

/* the byte masks of four 16-byte vectors as one 64-bit mask */
TGT_A static inline uint64_t mask64(__m128i e0, __m128i e1, __m128i e2,
				    __m128i e3)
{
	return (uint64_t)(uint16_t)_mm_movemask_epi8(e0) |
	       (uint64_t)(uint16_t)_mm_movemask_epi8(e1) << 16 |
	       (uint64_t)(uint16_t)_mm_movemask_epi8(e2) << 32 |
	       (uint64_t)(uint16_t)_mm_movemask_epi8(e3) << 48;
}

TGT_A static inline __m128i eq(__m128i u, char ch)
{
	return _mm_cmpeq_epi8(u, _mm_set1_epi8(ch));
}

/* compare four 16-byte vectors against ch: a 64-bit mask */
TGT_A static inline uint64_t eq64(const __m128i u[4], char ch)
{
	return mask64(eq(u[0], ch), eq(u[1], ch), eq(u[2], ch), eq(u[3], ch));
}

/* the same for "t or u", OR-ed before the masks are taken */
TGT_A static inline uint64_t eq64_tu(const __m128i u[4])
{
	return mask64(_mm_or_si128(eq(u[0], 't'), eq(u[0], 'u')),
		      _mm_or_si128(eq(u[1], 't'), eq(u[1], 'u')),
		      _mm_or_si128(eq(u[2], 't'), eq(u[2], 'u')),
		      _mm_or_si128(eq(u[3], 't'), eq(u[3], 'u')));
}

TGT_A static inline void load4(const char *s, __m128i u[4])
{
	const __m128i lc = _mm_set1_epi8(0x20);

	u[0] = _mm_or_si128(LOADU(s), lc);
	u[1] = _mm_or_si128(LOADU(s + 16), lc);
	u[2] = _mm_or_si128(LOADU(s + 32), lc);
	u[3] = _mm_or_si128(LOADU(s + 48), lc);
}

TGT_A void gdb_simd_sse41_comp(const char *s, size_t n, gdb_comp *out)
{
	uint64_t a = 0, c = 0, g = 0, t = 0, ss = 0, w = 0, cpg = 0, carry = 0;
	gdb_comp tail;
	size_t i;

	for (i = 0; i + 64 <= n; i += 64) {
		__m128i u[4];
		uint64_t mc, mg;

		load4(s + i, u);
		mc = eq64(u, 'c');
		mg = eq64(u, 'g');
		a += (uint64_t)__builtin_popcountll(eq64(u, 'a'));
		c += (uint64_t)__builtin_popcountll(mc);
		g += (uint64_t)__builtin_popcountll(mg);
		t += (uint64_t)__builtin_popcountll(eq64_tu(u));
		ss += (uint64_t)__builtin_popcountll(eq64(u, 's'));
		w += (uint64_t)__builtin_popcountll(eq64(u, 'w'));
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
TGT_A static inline __m128i codes16(__m128i v)
{
	__m128i u = _mm_or_si128(v, _mm_set1_epi8(0x20));
	__m128i ea = _mm_cmpeq_epi8(u, _mm_set1_epi8('a'));
	__m128i ec = _mm_cmpeq_epi8(u, _mm_set1_epi8('c'));
	__m128i eg = _mm_cmpeq_epi8(u, _mm_set1_epi8('g'));
	__m128i et = _mm_or_si128(_mm_cmpeq_epi8(u, _mm_set1_epi8('t')),
				  _mm_cmpeq_epi8(u, _mm_set1_epi8('u')));
	__m128i d;

	d = _mm_or_si128(_mm_or_si128(_mm_and_si128(ea, _mm_set1_epi8(4)),
				      _mm_and_si128(ec, _mm_set1_epi8(3))),
			 _mm_or_si128(_mm_and_si128(eg, _mm_set1_epi8(2)),
				      _mm_and_si128(et, _mm_set1_epi8(1))));
	return _mm_sub_epi8(_mm_set1_epi8(4), d);
}

TGT_A static void sse41_kmer_enc(const char *src, size_t n, uint8_t *dst)
{
	size_t i;

	for (i = 0; i + 16 <= n; i += 16)
		STOREU(dst + i, codes16(LOADU(src + i)));
	gdb_ana_scalar_kmer_enc(src + i, n - i, dst + i);
}

/* Slots s[0, 4) that hold tag or are free: two keys a compare. */
TGT_A static inline unsigned sse41_kmer_stops(const struct gdb_kmer_slot *s,
					      uint64_t tag)
{
	const __m128i tg = _mm_set1_epi64x((long long)tag),
		      z = _mm_setzero_si128();
	__m128i k01 = _mm_unpacklo_epi64(_mm_loadl_epi64((const void *)&s[0]),
					 _mm_loadl_epi64((const void *)&s[1]));
	__m128i k23 = _mm_unpacklo_epi64(_mm_loadl_epi64((const void *)&s[2]),
					 _mm_loadl_epi64((const void *)&s[3]));
	__m128i a =
	    _mm_or_si128(_mm_cmpeq_epi64(k01, tg), _mm_cmpeq_epi64(k01, z));
	__m128i b =
	    _mm_or_si128(_mm_cmpeq_epi64(k23, tg), _mm_cmpeq_epi64(k23, z));

	return (unsigned)_mm_movemask_pd(_mm_castsi128_pd(a)) |
	       (unsigned)_mm_movemask_pd(_mm_castsi128_pd(b)) << 2;
}

#define SFX sse41
#define TGT TGT_A
#define SPAN 4
#define KP_STREAM 1
#define KP_AHEAD 16
#define STOPS sse41_kmer_stops
#include "simd/kmer_part.h"

/*
 * The roll (kmer_roll.h) at this level: SSE4.1 has no per-lane shifts, and
 * its 64-bit multiply takes three products, so the group's eight k-mers
 * are computed in general-purpose registers, each straight from the k-mer
 * before the group and the packed codes (kmer_roll.h's formulas, unrolled:
 * the shifts by 2n are constants), so the eight are independent and run
 * side by side. For k <= 24 the k-mer before and the group's codes fit in
 * one word each way, X = fw << 16 | F and Y = rc | Q << 2k, and
 *   fw_j = X >> (16 - 2n) & mask,   rc_j = Y >> 2n & mask
 * (Q's bits past the n-th code land at 2k and above, outside the mask):
 * a shift and a mask each, or (sse41_roll_word) a shift up and, for the
 * one chosen, a shift down. Larger k take kmer_roll.h's formulas as they
 * are. On Zen 3 (2026-12-07, k = 21) bytes to hashes took 2.4 ns a k-mer
 * with the eight independent against 3.1 rolling one code after another;
 * then 1.84 ns (median of 8), 1.76 with shift and mask, 1.72 with the
 * shifts up and down. The shifts, masks and minima in vectors (minpd on
 * the k-mers as doubles) took 1.89-1.90 ns: SSE4.1 has too few of them to
 * beat the scalar ones.
 */
struct kr128 {
	unsigned hi;
	uint64_t mask;
	int canon;
};

TGT_A static inline void sse41_roll_prep(struct kr128 *c,
					 const struct gdb_kmer_roll *st)
{
	c->hi = 2 * st->k - 2;
	c->mask = st->mask;
	c->canon = st->canon;
}

/*
 * The eight hashes for k <= 24 (above), canonical when canon; k2 = 2k.
 * Each k-mer is taken to the top of the word (a left shift of X or Y, the
 * bits below it left over), so no mask: the leftovers only decide between
 * a fw_j and an rc_j whose top 2k bits are equal, the same k-mer, and the
 * one chosen shifts down to it.
 */
TGT_A static inline void sse41_roll_word(uint64_t X, uint64_t Y, unsigned k2,
					 int canon, uint64_t *out)
{
	/* fw_0 and rc_7 at the top (X's two bits above fw_0 shift out) */
	const uint64_t xt = X << (50 - k2), yt = Y << (48 - k2);

#pragma GCC unroll 8
	for (unsigned j = 0; j < 8; j++) {
		const uint64_t f = xt << 2 * j, r = yt << (14 - 2 * j);

		out[j] = gdb_kmer_hash((canon && r < f ? r : f) >> (64 - k2));
	}
}

TGT_A static inline size_t sse41_roll_group(const struct kr128 *c, uint64_t fw,
					    uint64_t rc, uint64_t F, uint64_t Q,
					    unsigned v8, uint64_t *out)
{
	if (c->hi <= 46) { /* k <= 24: 2k + 16 bits fit in a word */
		const uint64_t X = fw << 16 | F, Y = rc | Q << (c->hi + 2);

		if (c->canon)
			sse41_roll_word(X, Y, c->hi + 2, 1, out);
		else
			sse41_roll_word(X, Y, c->hi + 2, 0, out);
		return gdb_kmer_compact8(out, v8);
	}
	/* k > 24: rc_j = rc >> 2n | low 2n bits of Q << (2k - 2n) */
#pragma GCC unroll 8
	for (unsigned j = 0; j < 8; j++) {
		const unsigned n2 = 2 * j + 2;
		const uint64_t f = (fw << n2 | F >> (16 - n2)) & c->mask;
		const uint64_t r = rc >> n2 | (Q & ((1ull << n2) - 1))
						  << (c->hi + 2 - n2);

		out[j] = gdb_kmer_hash(c->canon && r < f ? r : f);
	}
	return gdb_kmer_compact8(out, v8);
}

#define SFX sse41
#define TGT TGT_A
#define KR_CONST struct kr128
#define KR_PREP sse41_roll_prep
#define KR_GROUP sse41_roll_group
#include "simd/kmer_roll.h"

static const struct gdb_kmer_level sse41_kmer = {
    sse41_kmer_enc, kmer_roll_sse41, NULL, 1, kmer_part_sse41};

static int sse41_kmer_count(gdb_kmer_table *t, const char *seq, size_t n)
{
	return gdb_kmer_count_vec(t, seq, n, &sse41_kmer);
}

TGT_A static void sse41_motif_bits(const char *s, size_t n, uint64_t *out[5])
{
	uint64_t *tail[5];
	size_t i, w = 0;

	for (i = 0; i + 64 <= n; i += 64, w++) {
		__m128i u[4];
		uint64_t a, c, g, t;

		load4(s + i, u);
		a = eq64(u, 'a');
		c = eq64(u, 'c');
		g = eq64(u, 'g');
		t = eq64_tu(u);

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

#define SFX sse41
#define TGT GDB_TARGET_SSE41_A
#define V __m128i
#define WORDS 2
#define VLOADU LOADU
#define VSTOREU STOREU
#define VAND _mm_and_si128
#define VOR _mm_or_si128
#define VXOR _mm_xor_si128
#define VSRL _mm_srl_epi64
#define VSLL _mm_sll_epi64
#define VANY(v) (!_mm_testz_si128(v, v))
#include "simd/motif_combine.h"

static int64_t sse41_motif_find(const gdb_motif_pattern *p, const char *seq,
				size_t n, unsigned strands, gdb_motif_hit *hits,
				size_t cap)
{
	return gdb_motif_find_with(p, seq, n, strands, hits, cap,
				   sse41_motif_bits, motif_combine_sse41);
}

/*
 * PWM (template: pwm_scan.h). 16-bit: eight windows a vector, a column one
 * pshufb of its table. 32-bit: four windows a vector; codes are stored as
 * 4 * code (N and the rest as 0x80), so a pshufb with the per-lane byte
 * offsets 0..3 added fetches a column's 32-bit ACGT entry; the 0x80 lanes
 * come back 0 and get GDB_PWM_NEG from a second lookup keyed on the
 * flipped top bit.
 */
TGT_A static inline void pwm_codes_sse41(const char *s, size_t len,
					 uint8_t *codes)
{
	const __m128i flip = _mm_set1_epi8((char)0x80);
	size_t i;

	for (i = 0; i + 16 <= len; i += 16) {
		__m128i c = codes16(LOADU(s + i));
		__m128i isn = _mm_cmpeq_epi8(c, _mm_set1_epi8(4));

		STOREU(codes + i,
		       _mm_blendv_epi8(_mm_slli_epi16(c, 2), flip, isn));
	}
	for (; i < len; i++) {
		uint8_t c = gdb_pwm_code[(unsigned char)s[i]];

		codes[i] = c == 4 ? 0x80 : (uint8_t)(c * 4);
	}
}

TGT_A static inline __m128i pwm_look_sse41(__m128i col, const uint8_t *codes)
{
	const __m128i rep =
	    _mm_setr_epi8(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
	const __m128i negtab = _mm_setr_epi32(GDB_PWM_NEG, 0, 0, 0);
	int32_t raw;
	__m128i idx;

	memcpy(&raw, codes, 4);
	idx = _mm_add_epi8(_mm_shuffle_epi8(_mm_cvtsi32_si128(raw), rep),
			   _mm_set1_epi32(0x03020100));
	return _mm_add_epi32(
	    _mm_shuffle_epi8(col, idx),
	    _mm_shuffle_epi8(negtab,
			     _mm_xor_si128(idx, _mm_set1_epi8((char)0x80))));
}

/* gdb_pwm_idx16() of the codes of s[0, len), 16 at a time */
TGT_A static inline size_t pwm_idx16_sse41(const char *s, size_t len,
					   uint16_t *idx)
{
	const __m128i mul = _mm_set1_epi16(0x0202),
		      add = _mm_set1_epi16(0x0100);
	size_t i;

	for (i = 0; i + 16 <= len; i += 16) {
		__m128i c = codes16(LOADU(s + i));

		STOREU(idx + i,
		       _mm_add_epi16(_mm_mullo_epi16(_mm_cvtepu8_epi16(c), mul),
				     add));
		STOREU(idx + i + 8,
		       _mm_add_epi16(
			   _mm_mullo_epi16(
			       _mm_cvtepu8_epi16(_mm_srli_si128(c, 8)), mul),
			   add));
	}
	return i;
}

#define SFX sse41
#define TGT GDB_TARGET_SSE41_A
#define V __m128i
#define L32 4
#define PAD 0x80
#define CODES pwm_codes_sse41
#define COL(p, row) LOADU(row)
#define LOOK pwm_look_sse41
#define ADD32 _mm_add_epi32
#define GT32(a, b)                                                             \
	((unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(a, b))))
#define SET32 _mm_set1_epi32
#define STORE STOREU
#define L16 8
#define TAB16(row) LOADU(row)
#define IDX16 pwm_idx16_sse41
#define LOAD16 LOADU
#define SHUF16 _mm_shuffle_epi8
#define ADDS16 _mm_adds_epi16
#define ANYGT16(a, b, t)                                                       \
	_mm_movemask_epi8(_mm_or_si128(_mm_cmpgt_epi16(a, _mm_set1_epi16(t)),  \
				       _mm_cmpgt_epi16(b, _mm_set1_epi16(t))))
#include "simd/pwm_scan.h"

/* ---- striped alignment ---- */

#define LANE0(x) _mm_cvtsi32_si128(x)

#define SFX sse41_8
#define TGT GDB_TARGET_SSE41_A
#define V __m128i
#define ET int8_t
#define LANES 16
#define ENEG INT8_MIN
#define EMAX INT8_MAX
#define NARROW_MAX 0
#define VSET1(x) _mm_set1_epi8((char)(x))
#define VZERO() _mm_setzero_si128()
#define VADDS _mm_adds_epi8
#define VSUBS _mm_subs_epi8
#define VMAX _mm_max_epi8
#define VADDW _mm_add_epi8
#define VANYGT(a, b) _mm_movemask_epi8(_mm_cmpgt_epi8(a, b))
#define VSHL1(v) _mm_slli_si128((v), 1)
#define VLANE0(x) LANE0((int)(uint8_t)(x))
#include "simd/align_striped.h"

#define SFX sse41_16
#define TGT GDB_TARGET_SSE41_A
#define V __m128i
#define ET int16_t
#define LANES 8
#define ENEG INT16_MIN
#define EMAX INT16_MAX
#define NARROW_MAX INT8_MAX
#define VSET1(x) _mm_set1_epi16((short)(x))
#define VZERO() _mm_setzero_si128()
#define VADDS _mm_adds_epi16
#define VSUBS _mm_subs_epi16
#define VMAX _mm_max_epi16
#define VADDW _mm_add_epi16
#define VANYGT(a, b) _mm_movemask_epi8(_mm_cmpgt_epi16(a, b))
#define VSHL1(v) _mm_slli_si128((v), 2)
#define VLANE0(x) LANE0((int)(uint16_t)(x))
#include "simd/align_striped.h"

#define SFX sse41_32
#define TGT GDB_TARGET_SSE41_A
#define V __m128i
#define ET int32_t
#define LANES 4
#define ENEG (-(1 << 29))
#define EMAX (1 << 29)
#define NARROW_MAX INT16_MAX
#define VSET1(x) _mm_set1_epi32((int)(x))
#define VZERO() _mm_setzero_si128()
#define VADDS _mm_add_epi32
#define VSUBS _mm_sub_epi32
#define VMAX _mm_max_epi32
#define VADDW _mm_add_epi32
#define VANYGT(a, b) _mm_movemask_epi8(_mm_cmpgt_epi32(a, b))
#define VSHL1(v) _mm_slli_si128((v), 4)
#define VLANE0(x) LANE0((int)(x))
#include "simd/align_striped.h"

static int sse41_align_score(const gdb_align_scoring *sc,
			     enum gdb_align_mode mode, const char *query,
			     size_t qlen, const char *target, size_t tlen,
			     gdb_align_ws *ws, gdb_align_result *res)
{
	static const gdb_stripe_fn run[3] = {
	    stripe_run_sse41_8, stripe_run_sse41_16, stripe_run_sse41_32};

	return gdb_align_striped(run, sc, mode, query, qlen, target, tlen, ws,
				 res);
}

const gdb_kmer_kernels gdb_ana_kmer_sse41 = {
    .name = "sse41",
    .count = sse41_kmer_count,
};

const gdb_motif_kernels gdb_ana_motif_sse41 = {
    .name = "sse41",
    .find = sse41_motif_find,
    .pwm_scan = pwm_scan_sse41,
};

const gdb_align_kernels gdb_ana_align_sse41 = {
    .name = "sse41",
    .score = sse41_align_score,
    .many = gdb_ana_sse41_align_many,
};

#endif
