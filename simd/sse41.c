/*
 * simd/sse41.c - the 128-bit kernels (SSSE3 byte shuffles, SSE4.1 blends
 * and packs, SSE4.2 crc32). Each kernel covers whole 16-byte vectors and
 * gives the rest to its scalar twin, so tails are the reference code.
 *
 * The letter kernels share two ideas, also used by avx2.c and avx512.c:
 *  - pshufb is a 16-entry table lookup per byte, indexed by the low nibble.
 *    A/C/G/T have distinct low nibbles (1, 3, 7, 4), so "is ACGT" is one
 *    lookup and one compare. IUPAC letters need the low five bits, so
 *    those lookups are done in two halves and blended on bit 4.
 *  - "v is a letter" is (v | 0x20) - 'a' < 26, unsigned; without a byte
 *    compare for unsigned "less than" that is min(t, 25) == t.
 */
#include "simd/simd_int.h"

#if GDB_SIMD_X86
#include <immintrin.h>

#define LOADU(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define STOREU(p, v) _mm_storeu_si128((__m128i *)(void *)(p), (v))

/* Four codes per 32-bit lane, folded into its low byte. */
GDB_TARGET_SSE41 static inline __m128i pack_lane(const char *p)
{
	__m128i v = LOADU(p);
	__m128i c = _mm_and_si128(
	    _mm_xor_si128(_mm_srli_epi16(v, 1), _mm_srli_epi16(v, 2)),
	    _mm_set1_epi8(3));
	/* bytes (c0, c1) -> c0 + 4 c1; then 16-bit (w0, w1) -> w0 + 16 w1 */
	__m128i w = _mm_maddubs_epi16(c, _mm_set1_epi16(0x0401));

	return _mm_madd_epi16(w, _mm_set1_epi32(0x00100001));
}

GDB_TARGET_SSE41 void gdb_simd_sse41_pack2(const char *src, size_t n,
					   uint8_t *dst)
{
	size_t i;

	for (i = 0; i + 64 <= n; i += 64) {
		__m128i a = pack_lane(src + i), b = pack_lane(src + i + 16);
		__m128i c = pack_lane(src + i + 32),
			d = pack_lane(src + i + 48);

		/* lanes hold values < 256, so the packs never saturate */
		STOREU(dst + i / 4, _mm_packus_epi16(_mm_packus_epi32(a, b),
						     _mm_packus_epi32(c, d)));
	}
	gdb_simd_scalar_pack2(src + i, n - i, dst + i / 4);
}

/*
 * rep holds packed byte k/4 in byte k. Mask out the two bits that belong
 * to byte k (0x03, 0x0c, 0x30, 0xc0 in turn), fold the high nibble onto
 * the low one, and look the result up: positions 0 and 2 give 0..3,
 * positions 1 and 3 give 0, 4, 8, 12, and the table maps both to ACGT.
 */
GDB_TARGET_SSE41 static inline __m128i unpack_lane(__m128i rep, __m128i lut)
{
	__m128i m = _mm_and_si128(rep, _mm_set1_epi32((int)0xc0300c03u));
	__m128i idx = _mm_and_si128(_mm_or_si128(m, _mm_srli_epi16(m, 4)),
				    _mm_set1_epi8(0x0f));

	return _mm_shuffle_epi8(lut, idx);
}

GDB_TARGET_SSE41 void gdb_simd_sse41_unpack2(const uint8_t *src, size_t first,
					     size_t n, char *dst)
{
	const __m128i lut = _mm_setr_epi8('A', 'C', 'G', 'T', 'C', 0, 0, 0, 'G',
					  0, 0, 0, 'T', 0, 0, 0);
	const __m128i spread0 =
	    _mm_setr_epi8(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
	const __m128i spread1 =
	    _mm_setr_epi8(4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7);
	size_t i = first, end = first + n;
	const uint8_t *p;

	if (i & 3) {
		size_t head = 4 - (i & 3) < n ? 4 - (i & 3) : n;

		gdb_simd_scalar_unpack2(src, i, head, dst);
		i += head;
		dst += head;
	}
	p = src + i / 4;
	for (; i + 32 <= end; i += 32, p += 8, dst += 32) {
		__m128i v = _mm_loadl_epi64((const __m128i *)(const void *)p);

		STOREU(dst, unpack_lane(_mm_shuffle_epi8(v, spread0), lut));
		STOREU(dst + 16,
		       unpack_lane(_mm_shuffle_epi8(v, spread1), lut));
	}
	gdb_simd_scalar_unpack2(src, i, end - i, dst);
}

/* 0xff in each byte of v that is A, C, G or T (uppercase). */
GDB_TARGET_SSE41 static inline __m128i acgt_eq(__m128i v)
{
	/*
	 * Entry n holds the ACGT letter whose low nibble is n; unused
	 * entries hold 'A', whose nibble (1) differs from theirs, so no byte
	 * can match them.
	 */
	const __m128i lut =
	    _mm_setr_epi8('A', 'A', 'A', 'C', 'T', 'A', 'A', 'G', 'A', 'A', 'A',
			  'A', 'A', 'A', 'A', 'A');
	__m128i e =
	    _mm_shuffle_epi8(lut, _mm_and_si128(v, _mm_set1_epi8(0x0f)));

	return _mm_cmpeq_epi8(e, v);
}

GDB_TARGET_SSE41 size_t gdb_simd_sse41_find_nonacgt(const char *src, size_t n)
{
	size_t i;

	for (i = 0; i + 64 <= n; i += 64) {
		__m128i e =
		    _mm_and_si128(_mm_and_si128(acgt_eq(LOADU(src + i)),
						acgt_eq(LOADU(src + i + 16))),
				  _mm_and_si128(acgt_eq(LOADU(src + i + 32)),
						acgt_eq(LOADU(src + i + 48))));

		if (_mm_movemask_epi8(e) != 0xffff)
			break;
	}
	for (; i + 16 <= n; i += 16) {
		unsigned m =
		    (unsigned)_mm_movemask_epi8(acgt_eq(LOADU(src + i)));

		if (m != 0xffff)
			return i + (size_t)__builtin_ctz(~m);
	}
	return i + gdb_simd_scalar_find_nonacgt(src + i, n - i);
}

/* 0xff in each byte of v that is an ASCII letter. */
GDB_TARGET_SSE41 static inline __m128i letter_mask(__m128i v)
{
	__m128i t = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)),
				 _mm_set1_epi8('a'));

	return _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(25)), t);
}

/* Look up the low five bits of each byte in a split 32-entry table. */
GDB_TARGET_SSE41 static inline __m128i lookup32(__m128i v, __m128i lo,
						__m128i hi)
{
	__m128i nib = _mm_and_si128(v, _mm_set1_epi8(0x0f));

	/* blendv picks on bit 7; shifting by 3 brings bit 4 there */
	return _mm_blendv_epi8(_mm_shuffle_epi8(lo, nib),
			       _mm_shuffle_epi8(hi, nib), _mm_slli_epi16(v, 3));
}

GDB_TARGET_SSE41 void gdb_simd_sse41_revcomp(const char *src, size_t n,
					     char *dst)
{
	const __m128i rev =
	    _mm_setr_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
	const __m128i dlo = LOADU(gdb_simd_comp_delta[0]);
	const __m128i dhi = LOADU(gdb_simd_comp_delta[1]);
	size_t i;

	for (i = 0; i + 16 <= n; i += 16) {
		__m128i v = _mm_shuffle_epi8(LOADU(src + n - i - 16), rev);
		__m128i d =
		    _mm_and_si128(lookup32(v, dlo, dhi), letter_mask(v));

		STOREU(dst + i, _mm_xor_si128(v, d));
	}
	gdb_simd_scalar_revcomp(src, n - i, dst + i);
}

GDB_TARGET_SSE41 void gdb_simd_sse41_to_u8(const char *src, size_t n,
					   uint8_t *dst)
{
	const __m128i clo = LOADU(gdb_simd_u8_code[0]);
	const __m128i chi = LOADU(gdb_simd_u8_code[1]);
	size_t i;

	for (i = 0; i + 16 <= n; i += 16) {
		__m128i v = LOADU(src + i);

		STOREU(dst + i,
		       _mm_blendv_epi8(_mm_set1_epi8(15), lookup32(v, clo, chi),
				       letter_mask(v)));
	}
	gdb_simd_scalar_to_u8(src + i, n - i, dst + i);
}

GDB_TARGET_SSE41 void gdb_simd_sse41_toupper(const char *src, size_t n,
					     char *dst)
{
	size_t i;

	for (i = 0; i + 16 <= n; i += 16) {
		__m128i v = LOADU(src + i);
		__m128i t = _mm_sub_epi8(v, _mm_set1_epi8('a'));
		__m128i lower =
		    _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(25)), t);

		STOREU(dst + i,
		       _mm_xor_si128(
			   v, _mm_and_si128(lower, _mm_set1_epi8(0x20))));
	}
	gdb_simd_scalar_toupper(src + i, n - i, dst + i);
}

const gdb_simd_kernels gdb_simd_sse41_kernels = {
    .name = "sse41",
    .pack2 = gdb_simd_sse41_pack2,
    .unpack2 = gdb_simd_sse41_unpack2,
    .find_nonacgt = gdb_simd_sse41_find_nonacgt,
    .crc32c = gdb_simd_crc32c_hw,
    .revcomp = gdb_simd_sse41_revcomp,
    .to_u8 = gdb_simd_sse41_to_u8,
    .toupper = gdb_simd_sse41_toupper,
    .comp = gdb_simd_sse41_comp,
};
#endif
