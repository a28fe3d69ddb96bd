/*
 * simd/ana_avx512.c - the 512-bit analysis kernels (AVX-512 F + BW).
 * The methods of ana_avx2.c, with compares straight into 64-bit masks
 * (one vector is one bitset word), 16 PWM windows a vector (vpermd over
 * 16 lanes) and 64/32/16 lanes for the striped alignment. No VBMI: the
 * level is offered on every AVX-512BW CPU.
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

static int avx512_kmer_count(gdb_kmer_table *t, const char *seq, size_t n)
{
	return gdb_kmer_count_blocked(t, seq, n, avx512_kmer_enc);
}

TGT_A static void avx512_motif_bits(const char *s, size_t n,
				    uint64_t *out[5])
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

TGT_A static int64_t avx512_pwm_scan(const gdb_pwm *p, const char *seq,
				     size_t n, int32_t threshold,
				     unsigned strands, gdb_pwm_hit *hits,
				     size_t cap)
{
	const unsigned m = p->len;
	__m512i cf[GDB_PWM_MAXLEN], cr[GDB_PWM_MAXLEN], vt;
	uint8_t codes[GDB_PWM_CHUNK + GDB_PWM_MAXLEN + 128];
	int32_t sfa[16], sra[16];
	int64_t nh = 0;
	size_t base;
	unsigned j, fw = strands & GDB_STRAND_FWD ? 0xffff : 0,
		    rv = strands & GDB_STRAND_REV ? 0xffff : 0;

	if (m < 1 || m > GDB_PWM_MAXLEN || !strands ||
	    (strands & ~GDB_STRAND_BOTH))
		return -EINVAL;
	for (j = 0; j < m; j++) {
		/* codes are 0..4, so only the low 8 entries are ever read */
		cf[j] = _mm512_zextsi256_si512(_mm256_loadu_si256(
			(const __m256i *)(const void *)p->fw[j]));
		cr[j] = _mm512_zextsi256_si512(_mm256_loadu_si256(
			(const __m256i *)(const void *)p->rc[j]));
	}
	vt = _mm512_set1_epi32(threshold == INT32_MIN ? INT32_MIN
						      : threshold - 1);
	for (base = 0; base + m <= n; base += GDB_PWM_CHUNK) {
		size_t len, i, npos = gdb_pwm_chunk(n, m, base, &len);

		for (i = 0; i + 64 <= len; i += 64)
			STOREU(codes + i, codes64(LOADU(seq + base + i)));
		for (; i < len; i++)
			codes[i] = gdb_pwm_code[(unsigned char)seq[base + i]];
		memset(codes + len, 4, sizeof(codes) - len);
		for (i = 0; i < npos; i += 16) {
			__m512i sf = _mm512_setzero_si512(), sr = sf;
			unsigned mf, mr, valid, any;

			for (j = 0; j < m; j++) {
				__m512i idx = _mm512_cvtepu8_epi32(
					_mm_loadu_si128((const __m128i *)(const void *)(codes + i + j)));

				sf = _mm512_add_epi32(
					sf, _mm512_permutexvar_epi32(idx, cf[j]));
				sr = _mm512_add_epi32(
					sr, _mm512_permutexvar_epi32(idx, cr[j]));
			}
			valid = npos - i >= 16 ? 0xffff
					       : (1u << (npos - i)) - 1;
			mf = (unsigned)_mm512_cmpgt_epi32_mask(sf, vt) & valid &
			     fw;
			mr = (unsigned)_mm512_cmpgt_epi32_mask(sr, vt) & valid &
			     rv;
			any = mf | mr;
			if (!any)
				continue;
			STOREU(sfa, sf);
			STOREU(sra, sr);
			while (any) {
				unsigned l = (unsigned)__builtin_ctz(any);

				any &= any - 1;
				if (mf >> l & 1)
					gdb_pwm_emit(hits, cap, &nh,
						     base + i + l, sfa[l], '+');
				if (mr >> l & 1)
					gdb_pwm_emit(hits, cap, &nh,
						     base + i + l, sra[l], '-');
			}
		}
	}
	return nh;
}

/* ---- striped alignment ---- */

/* lanes up by B bytes (B < 16) across the 128-bit blocks, zeros in */
#define SHL_BYTES(v, B)                                                        \
	_mm512_alignr_epi8(                                                    \
		(v), _mm512_alignr_epi64((v), _mm512_setzero_si512(), 6),       \
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

static int avx512_align_score(const gdb_align_scoring *sc,
			      enum gdb_align_mode mode, const char *query,
			      size_t qlen, const char *target, size_t tlen,
			      gdb_align_ws *ws, gdb_align_result *res)
{
	static const gdb_stripe_fn run[3] = {stripe_run_avx512_8,
					     stripe_run_avx512_16,
					     stripe_run_avx512_32};

	/*
	 * The per-column cost of the striped loop (shift, lazy-F pass and its
	 * branches) grows with the lane count while the useful work per
	 * column is the query length, so 512-bit lanes only pay off for long
	 * queries. Measured here (local, 200 kbp target, 8-bit lanes, GCUPS
	 * avx2/avx512): q=100 6.5/5.1, q=300 12.3/10.0, q=1000 19.3/20.0,
	 * q=3000 23.6/28.4. Global and semi-global runs won on 256-bit
	 * lanes at every length while they used the lazy-F pass; they now
	 * carry F by a scan (align_striped.h), which should favour wider
	 * lanes, but that has not been measured on an AVX-512 machine, so
	 * they stay on AVX2 until it is.
	 */
	if (mode != GDB_ALIGN_LOCAL || qlen < 1024)
		return gdb_ana_align_avx2.score(sc, mode, query, qlen, target,
						tlen, ws, res);
	return gdb_align_striped(run, sc, mode, query, qlen, target, tlen, ws,
				 res);
}

const gdb_kmer_kernels gdb_ana_kmer_avx512 = {
	.name = "avx512",
	.count = avx512_kmer_count,
};

const gdb_motif_kernels gdb_ana_motif_avx512 = {
	.name = "avx512",
	.find = avx512_motif_find,
	.pwm_scan = avx512_pwm_scan,
};

const gdb_align_kernels gdb_ana_align_avx512 = {
	.name = "avx512",
	.score = avx512_align_score,
	.many = gdb_ana_avx2_align_many,
};

#endif
