/*
 * simd/ana_avx2.c - the 256-bit analysis kernels.
 *
 * composition: 64 bytes a step as six compare masks (A C G T S W after
 *   folding case with | 0x20) and popcounts; CpG is mask_C & mask_G >> 1
 *   with the last C carried into the next step.
 * motif: the A/C/G/T position bitsets come from the same compares; the
 *   shift-AND of the pattern runs on four 64-bit words a vector.
 * PWM (the pwm_scan.h template, as every level's): 16 windows a vector
 *   in 16-bit lanes whenever that is exact (most
 *   matrices and thresholds, struct gdb_pwm16): a column costs one byte
 *   shuffle of its table per strand. Otherwise 8 windows in 32-bit lanes,
 *   the score of column j a vpermd lookup of the column's 8 entries by
 *   the base codes of the 8 windows.
 * k-mers: bytes to codes 32 at a time; the roll (kmer_roll.h) computes
 *   a group's eight k-mers, canonical choice and hashes in two vectors
 *   of four with per-lane shifts; a partition's insertion (kmer_part.h)
 *   compares four slots' keys at once. Large regions go through
 *   kmer_sort.c's partitions, small ones through kmer.c's loop.
 * alignment: the striped template in 8-, 16- and 32-bit lanes.
 */
#include <errno.h>
#include <string.h>

#include "common/gdb.h"
#include "simd/analysis_int.h"

#if GDB_SIMD_X86
#include <immintrin.h>

#define LOADU(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define STOREU(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), (v))
#define TGT_A GDB_TARGET_AVX2_A

/* compare two 32-byte vectors against ch (or ch2, when not 0) */
TGT_A static inline uint64_t eq64(__m256i u0, __m256i u1, char ch, char ch2)
{
	__m256i c = _mm256_set1_epi8(ch);
	__m256i e0 = _mm256_cmpeq_epi8(u0, c), e1 = _mm256_cmpeq_epi8(u1, c);

	if (ch2) {
		c = _mm256_set1_epi8(ch2);
		e0 = _mm256_or_si256(e0, _mm256_cmpeq_epi8(u0, c));
		e1 = _mm256_or_si256(e1, _mm256_cmpeq_epi8(u1, c));
	}
	return (uint32_t)_mm256_movemask_epi8(e0) |
	       (uint64_t)(uint32_t)_mm256_movemask_epi8(e1) << 32;
}

TGT_A void gdb_simd_avx2_comp(const char *s, size_t n, gdb_comp *out)
{
	const __m256i lc = _mm256_set1_epi8(0x20);
	uint64_t a = 0, c = 0, g = 0, t = 0, ss = 0, w = 0, cpg = 0, carry = 0;
	gdb_comp tail;
	size_t i;

	for (i = 0; i + 64 <= n; i += 64) {
		__m256i u0 = _mm256_or_si256(LOADU(s + i), lc);
		__m256i u1 = _mm256_or_si256(LOADU(s + i + 32), lc);
		uint64_t mc = eq64(u0, u1, 'c', 0), mg = eq64(u0, u1, 'g', 0);

		a += (uint64_t)__builtin_popcountll(eq64(u0, u1, 'a', 0));
		c += (uint64_t)__builtin_popcountll(mc);
		g += (uint64_t)__builtin_popcountll(mg);
		t += (uint64_t)__builtin_popcountll(eq64(u0, u1, 't', 'u'));
		ss += (uint64_t)__builtin_popcountll(eq64(u0, u1, 's', 0));
		w += (uint64_t)__builtin_popcountll(eq64(u0, u1, 'w', 0));
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
TGT_A static inline __m256i codes32(__m256i v)
{
	__m256i u = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
	__m256i ea = _mm256_cmpeq_epi8(u, _mm256_set1_epi8('a'));
	__m256i ec = _mm256_cmpeq_epi8(u, _mm256_set1_epi8('c'));
	__m256i eg = _mm256_cmpeq_epi8(u, _mm256_set1_epi8('g'));
	__m256i et =
	    _mm256_or_si256(_mm256_cmpeq_epi8(u, _mm256_set1_epi8('t')),
			    _mm256_cmpeq_epi8(u, _mm256_set1_epi8('u')));
	__m256i d;

	/* the classes are exclusive, so 4 minus one of 4/3/2/1 */
	d = _mm256_or_si256(
	    _mm256_or_si256(_mm256_and_si256(ea, _mm256_set1_epi8(4)),
			    _mm256_and_si256(ec, _mm256_set1_epi8(3))),
	    _mm256_or_si256(_mm256_and_si256(eg, _mm256_set1_epi8(2)),
			    _mm256_and_si256(et, _mm256_set1_epi8(1))));
	return _mm256_sub_epi8(_mm256_set1_epi8(4), d);
}

TGT_A static void avx2_kmer_enc(const char *src, size_t n, uint8_t *dst)
{
	size_t i;

	for (i = 0; i + 32 <= n; i += 32)
		STOREU(dst + i, codes32(LOADU(src + i)));
	gdb_ana_scalar_kmer_enc(src + i, n - i, dst + i);
}

/* Slots s[0, 4) that hold tag or are free: the four keys (8-byte loads
 * of dwords 0-1, 3-4, 6-7, 9-10 of the 12-byte slots) in one vector. */
TGT_A static inline unsigned avx2_kmer_stops(const struct gdb_kmer_slot *s,
					     uint64_t tag)
{
	__m128i k01 = _mm_unpacklo_epi64(_mm_loadl_epi64((const void *)&s[0]),
					 _mm_loadl_epi64((const void *)&s[1]));
	__m128i k23 = _mm_unpacklo_epi64(_mm_loadl_epi64((const void *)&s[2]),
					 _mm_loadl_epi64((const void *)&s[3]));
	__m256i k =
	    _mm256_inserti128_si256(_mm256_castsi128_si256(k01), k23, 1);
	__m256i e = _mm256_or_si256(
	    _mm256_cmpeq_epi64(k, _mm256_set1_epi64x((long long)tag)),
	    _mm256_cmpeq_epi64(k, _mm256_setzero_si256()));

	return (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(e));
}

#define SFX avx2
#define TGT TGT_A
#define SPAN 4
#define KP_STREAM 1
#define KP_AHEAD 16
#define STOPS avx2_kmer_stops
#include "simd/kmer_part.h"

/* The roll's per-lane shifts and masks (kmer_roll.h): lanes 0-3, 4-7. */
struct kr256 {
	__m256i s1[2], s2[2], qm[2], s3[2], s4[2], mask;
	int canon;
};

TGT_A static inline void avx2_roll_prep(struct kr256 *c,
					const struct gdb_kmer_roll *st)
{
	struct gdb_kmer_lanes ln;

	gdb_kmer_lanes_init(&ln, st->k);
	for (int i = 0; i < 2; i++) {
		c->s1[i] = LOADU(ln.s1 + 4 * i);
		c->s2[i] = LOADU(ln.s2 + 4 * i);
		c->qm[i] = LOADU(ln.qm + 4 * i);
		c->s3[i] = LOADU(ln.s3 + 4 * i);
		c->s4[i] = LOADU(ln.s4 + 4 * i);
	}
	c->mask = _mm256_set1_epi64x((long long)st->mask);
	c->canon = st->canon;
}

/* a * gdb_kmer_hash's multiplier, mod 2^64, in 32-bit products */
TGT_A static inline __m256i avx2_hash(__m256i a)
{
	const __m256i lo = _mm256_set1_epi64x(0x7f4a7c15),
		      hi = _mm256_set1_epi64x(0x9e3779b9);
	__m256i x =
	    _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(a, 32), lo),
			     _mm256_mul_epu32(a, hi));

	return _mm256_add_epi64(_mm256_mul_epu32(a, lo),
				_mm256_slli_epi64(x, 32));
}

TGT_A static inline size_t avx2_roll_group(const struct kr256 *c, uint64_t fw,
					   uint64_t rc, uint64_t F, uint64_t Q,
					   unsigned v8, uint64_t *out)
{
	const __m256i vf = _mm256_set1_epi64x((long long)fw),
		      vF = _mm256_set1_epi64x((long long)F),
		      vQ = _mm256_set1_epi64x((long long)Q),
		      vr = _mm256_set1_epi64x((long long)rc);

	for (int i = 0; i < 2; i++) {
		__m256i f = _mm256_and_si256(
		    _mm256_or_si256(_mm256_sllv_epi64(vf, c->s1[i]),
				    _mm256_srlv_epi64(vF, c->s2[i])),
		    c->mask);
		__m256i q = _mm256_and_si256(vQ, c->qm[i]);
		__m256i r = _mm256_or_si256(
		    _mm256_srlv_epi64(vr, c->s1[i]),
		    _mm256_or_si256(_mm256_sllv_epi64(q, c->s3[i]),
				    _mm256_srlv_epi64(q, c->s4[i])));

		/* k-mers are below 2^62: the signed compare orders them */
		if (c->canon)
			f = _mm256_blendv_epi8(f, r, _mm256_cmpgt_epi64(f, r));
		STOREU(out + 4 * i, avx2_hash(f));
	}
	return gdb_kmer_compact8(out, v8);
}

#define SFX avx2
#define TGT TGT_A
#define KR_CONST struct kr256
#define KR_PREP avx2_roll_prep
#define KR_GROUP avx2_roll_group
#include "simd/kmer_roll.h"

static const struct gdb_kmer_level avx2_kmer = {avx2_kmer_enc, kmer_roll_avx2,
						NULL, 1, kmer_part_avx2};

static int avx2_kmer_count(gdb_kmer_table *t, const char *seq, size_t n)
{
	return gdb_kmer_count_vec(t, seq, n, &avx2_kmer);
}

TGT_A static void avx2_motif_bits(const char *s, size_t n, uint64_t *out[5])
{
	const __m256i lc = _mm256_set1_epi8(0x20);
	uint64_t *tail[5];
	size_t i, w = 0;

	for (i = 0; i + 64 <= n; i += 64, w++) {
		__m256i u0 = _mm256_or_si256(LOADU(s + i), lc);
		__m256i u1 = _mm256_or_si256(LOADU(s + i + 32), lc);
		uint64_t a = eq64(u0, u1, 'a', 0), c = eq64(u0, u1, 'c', 0);
		uint64_t g = eq64(u0, u1, 'g', 0), t = eq64(u0, u1, 't', 'u');

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

#define SFX avx2
#define TGT GDB_TARGET_AVX2_A
#define V __m256i
#define WORDS 4
#define VLOADU LOADU
#define VSTOREU STOREU
#define VAND _mm256_and_si256
#define VOR _mm256_or_si256
#define VXOR _mm256_xor_si256
#define VSRL _mm256_srl_epi64
#define VSLL _mm256_sll_epi64
#define VANY(v) (!_mm256_testz_si256(v, v))
#include "simd/motif_combine.h"

static int64_t avx2_motif_find(const gdb_motif_pattern *p, const char *seq,
			       size_t n, unsigned strands, gdb_motif_hit *hits,
			       size_t cap)
{
	return gdb_motif_find_with(p, seq, n, strands, hits, cap,
				   avx2_motif_bits, motif_combine_avx2);
}

/*
 * PWM (template: pwm_scan.h). 16-bit: sixteen windows a vector; the byte
 * shuffle stays within 128-bit halves, so each half holds a copy of the
 * column's table. 32-bit: eight windows a vector, a column's score a
 * vpermd lookup of its 8 entries by the windows' base codes.
 */
TGT_A static inline void pwm_codes_avx2(const char *s, size_t len,
					uint8_t *codes)
{
	size_t i;

	for (i = 0; i + 32 <= len; i += 32)
		STOREU(codes + i, codes32(LOADU(s + i)));
	for (; i < len; i++)
		codes[i] = gdb_pwm_code[(unsigned char)s[i]];
}

/* gdb_pwm_idx16() of sixteen codes */
TGT_A static inline __m256i idx16x16(__m128i c)
{
	return _mm256_add_epi16(_mm256_mullo_epi16(_mm256_cvtepu8_epi16(c),
						   _mm256_set1_epi16(0x0202)),
				_mm256_set1_epi16(0x0100));
}

TGT_A static inline size_t pwm_idx16_avx2(const char *s, size_t len,
					  uint16_t *idx)
{
	size_t i;

	for (i = 0; i + 32 <= len; i += 32) {
		__m256i c = codes32(LOADU(s + i));

		STOREU(idx + i, idx16x16(_mm256_castsi256_si128(c)));
		STOREU(idx + i + 16, idx16x16(_mm256_extracti128_si256(c, 1)));
	}
	return i;
}

#define SFX avx2
#define TGT GDB_TARGET_AVX2_A
#define V __m256i
#define L32 8
#define PAD 4
#define CODES pwm_codes_avx2
#define COL(p, row) LOADU(row)
#define LOOK(col, codes)                                                       \
	_mm256_permutevar8x32_epi32(                                           \
	    col, _mm256_cvtepu8_epi32(                                         \
		     _mm_loadl_epi64((const __m128i *)(const void *)(codes))))
#define ADD32 _mm256_add_epi32
#define GT32(a, b)                                                             \
	((unsigned)_mm256_movemask_ps(                                         \
	    _mm256_castsi256_ps(_mm256_cmpgt_epi32(a, b))))
#define SET32 _mm256_set1_epi32
#define STORE STOREU
#define L16 16
#define TAB16(row)                                                             \
	_mm256_broadcastsi128_si256(                                           \
	    _mm_loadu_si128((const __m128i *)(const void *)(row)))
#define IDX16 pwm_idx16_avx2
#define LOAD16 LOADU
#define SHUF16 _mm256_shuffle_epi8
#define ADDS16 _mm256_adds_epi16
#define ANYGT16(a, b, t)                                                       \
	_mm256_movemask_epi8(                                                  \
	    _mm256_or_si256(_mm256_cmpgt_epi16(a, _mm256_set1_epi16(t)),       \
			    _mm256_cmpgt_epi16(b, _mm256_set1_epi16(t))))
#include "simd/pwm_scan.h"

/* ---- striped alignment ---- */

/* lanes up by B bytes across the 128-bit halves, zeros in */
#define SHL_BYTES(v, B)                                                        \
	_mm256_alignr_epi8((v), _mm256_permute2x128_si256((v), (v), 0x08),     \
			   16 - (B))
#define LANE0(x) _mm256_zextsi128_si256(_mm_cvtsi32_si128(x))

#define SFX avx2_8
#define TGT GDB_TARGET_AVX2_A
#define V __m256i
#define ET int8_t
#define LANES 32
#define ENEG INT8_MIN
#define EMAX INT8_MAX
#define NARROW_MAX 0
#define VSET1(x) _mm256_set1_epi8((char)(x))
#define VZERO() _mm256_setzero_si256()
#define VADDS _mm256_adds_epi8
#define VSUBS _mm256_subs_epi8
#define VMAX _mm256_max_epi8
#define VADDW _mm256_add_epi8
#define VANYGT(a, b) _mm256_movemask_epi8(_mm256_cmpgt_epi8(a, b))
#define VSHL1(v) SHL_BYTES(v, 1)
#define VLANE0(x) LANE0((int)(uint8_t)(x))
#include "simd/align_striped.h"

#define SFX avx2_16
#define TGT GDB_TARGET_AVX2_A
#define V __m256i
#define ET int16_t
#define LANES 16
#define ENEG INT16_MIN
#define EMAX INT16_MAX
#define NARROW_MAX INT8_MAX
#define VSET1(x) _mm256_set1_epi16((short)(x))
#define VZERO() _mm256_setzero_si256()
#define VADDS _mm256_adds_epi16
#define VSUBS _mm256_subs_epi16
#define VMAX _mm256_max_epi16
#define VADDW _mm256_add_epi16
#define VANYGT(a, b) _mm256_movemask_epi8(_mm256_cmpgt_epi16(a, b))
#define VSHL1(v) SHL_BYTES(v, 2)
#define VLANE0(x) LANE0((int)(uint16_t)(x))
#include "simd/align_striped.h"

#define SFX avx2_32
#define TGT GDB_TARGET_AVX2_A
#define V __m256i
#define ET int32_t
#define LANES 8
#define ENEG (-(1 << 29))
#define EMAX (1 << 29)
#define NARROW_MAX INT16_MAX
#define VSET1(x) _mm256_set1_epi32((int)(x))
#define VZERO() _mm256_setzero_si256()
#define VADDS _mm256_add_epi32
#define VSUBS _mm256_sub_epi32
#define VMAX _mm256_max_epi32
#define VADDW _mm256_add_epi32
#define VANYGT(a, b) _mm256_movemask_epi8(_mm256_cmpgt_epi32(a, b))
#define VSHL1(v) SHL_BYTES(v, 4)
#define VLANE0(x) LANE0((int)(x))
#include "simd/align_striped.h"

/* ---- segmented local alignment (align_seg.h) ---- */

#define SFX avx2_8
#define TGT GDB_TARGET_AVX2_A
#define V __m256i
#define ET int8_t
#define LANES 32
#define ENEG INT8_MIN
#define EMAX INT8_MAX
#define NCODES 16
#define VSET1(x) _mm256_set1_epi8((char)(x))
#define VZERO() _mm256_setzero_si256()
#define VADDS _mm256_adds_epi8
#define VSUBS _mm256_subs_epi8
#define VMAX _mm256_max_epi8
#define VLOAD(p) LOADU(p)
#define VSTORE(p, v) STOREU(p, v)
#define GTMASK(a, b)                                                           \
	((uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(a, b)))
#define TAB(row)                                                               \
	_mm256_broadcastsi128_si256(                                           \
	    _mm_loadu_si128((const __m128i *)(const void *)(row)))
#define LOOK(tab, c) _mm256_shuffle_epi8(tab, LOADU(c))
#include "simd/align_seg.h"

static int avx2_striped(const gdb_align_scoring *sc, enum gdb_align_mode mode,
			const char *query, size_t qlen, const char *target,
			size_t tlen, gdb_align_ws *ws, gdb_align_result *res)
{
	static const gdb_stripe_fn run[3] = {
	    stripe_run_avx2_8, stripe_run_avx2_16, stripe_run_avx2_32};

	return gdb_align_striped(run, sc, mode, query, qlen, target, tlen, ws,
				 res);
}

/* Local alignment against a long target: one target segment a lane (32
 * 8-bit lanes; lanes near 127 are redone striped). */
static int avx2_align_score(const gdb_align_scoring *sc,
			    enum gdb_align_mode mode, const char *query,
			    size_t qlen, const char *target, size_t tlen,
			    gdb_align_ws *ws, gdb_align_result *res)
{
	static const struct gdb_seg_level lv = {{seg_run_avx2_8, NULL},
						{32, 0},
						{16, 0},
						{INT8_MAX, 0},
						avx2_striped};
	int rc =
	    gdb_align_seg(&lv, sc, mode, query, qlen, target, tlen, ws, res);

	if (rc <= 0)
		return rc;
	return avx2_striped(sc, mode, query, qlen, target, tlen, ws, res);
}

const gdb_kmer_kernels gdb_ana_kmer_avx2 = {
    .name = "avx2",
    .count = avx2_kmer_count,
};

const gdb_motif_kernels gdb_ana_motif_avx2 = {
    .name = "avx2",
    .find = avx2_motif_find,
    .pwm_scan = pwm_scan_avx2,
};

const gdb_align_kernels gdb_ana_align_avx2 = {
    .name = "avx2",
    .score = avx2_align_score,
    .many = gdb_ana_avx2_align_many,
};

#endif
