/*
 * simd/avx2.c - the 256-bit kernels. The same methods as sse41.c (see the
 * comment there), on 32 bytes a vector; what is left after the last whole
 * vector goes to the SSE4.1 kernel and from there to scalar.
 *
 * AVX2 shuffles and packs work inside each 128-bit half, so two kernels
 * fix the order afterwards: pack2 with one cross-lane dword permute per
 * 32 output bytes, revcomp by swapping the halves.
 */
#include "simd/simd_int.h"

#if GDB_SIMD_X86
#include <immintrin.h>

#define LOADU(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define STOREU(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), (v))
#define BCAST16(p)                                                             \
	_mm256_broadcastsi128_si256(                                           \
	    _mm_loadu_si128((const __m128i *)(const void *)(p)))

GDB_TARGET_AVX2 static inline __m256i pack_lane(const char *p)
{
	__m256i v = LOADU(p);
	__m256i c = _mm256_and_si256(
	    _mm256_xor_si256(_mm256_srli_epi16(v, 1), _mm256_srli_epi16(v, 2)),
	    _mm256_set1_epi8(3));
	__m256i w = _mm256_maddubs_epi16(c, _mm256_set1_epi16(0x0401));

	return _mm256_madd_epi16(w, _mm256_set1_epi32(0x00100001));
}

GDB_TARGET_AVX2 void gdb_simd_avx2_pack2(const char *src, size_t n,
					 uint8_t *dst)
{
	/*
	 * After the two in-lane packs the dwords are, by 128-bit half,
	 * [a0 b0 c0 d0 | a1 b1 c1 d1] (x0: 4 output bytes from the low half
	 * of input vector x); the permute puts them in input order.
	 */
	const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
	size_t i;

	for (i = 0; i + 128 <= n; i += 128) {
		__m256i a = pack_lane(src + i), b = pack_lane(src + i + 32);
		__m256i c = pack_lane(src + i + 64),
			d = pack_lane(src + i + 96);
		__m256i r = _mm256_packus_epi16(_mm256_packus_epi32(a, b),
						_mm256_packus_epi32(c, d));

		STOREU(dst + i / 4, _mm256_permutevar8x32_epi32(r, order));
	}
	gdb_simd_sse41_pack2(src + i, n - i, dst + i / 4);
}

GDB_TARGET_AVX2 static inline __m256i unpack_lane(__m256i rep, __m256i lut)
{
	__m256i m = _mm256_and_si256(rep, _mm256_set1_epi32((int)0xc0300c03u));
	__m256i idx =
	    _mm256_and_si256(_mm256_or_si256(m, _mm256_srli_epi16(m, 4)),
			     _mm256_set1_epi8(0x0f));

	return _mm256_shuffle_epi8(lut, idx);
}

GDB_TARGET_AVX2 void gdb_simd_avx2_unpack2(const uint8_t *src, size_t first,
					   size_t n, char *dst)
{
	const __m256i lut = _mm256_setr_epi8(
	    'A', 'C', 'G', 'T', 'C', 0, 0, 0, 'G', 0, 0, 0, 'T', 0, 0, 0, 'A',
	    'C', 'G', 'T', 'C', 0, 0, 0, 'G', 0, 0, 0, 'T', 0, 0, 0);
	/* both halves hold the same 16 packed bytes; each half spreads 4 */
	const __m256i spread0 =
	    _mm256_setr_epi8(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4,
			     4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7);
	const __m256i spread1 = _mm256_setr_epi8(
	    8, 8, 8, 8, 9, 9, 9, 9, 10, 10, 10, 10, 11, 11, 11, 11, 12, 12, 12,
	    12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15, 15, 15);
	size_t i = first, end = first + n;
	const uint8_t *p;

	if (i & 3) {
		size_t head = 4 - (i & 3) < n ? 4 - (i & 3) : n;

		gdb_simd_scalar_unpack2(src, i, head, dst);
		i += head;
		dst += head;
	}
	p = src + i / 4;
	for (; i + 64 <= end; i += 64, p += 16, dst += 64) {
		__m256i v = BCAST16(p);

		STOREU(dst, unpack_lane(_mm256_shuffle_epi8(v, spread0), lut));
		STOREU(dst + 32,
		       unpack_lane(_mm256_shuffle_epi8(v, spread1), lut));
	}
	gdb_simd_sse41_unpack2(src, i, end - i, dst);
}

GDB_TARGET_AVX2 static inline __m256i acgt_eq(__m256i v)
{
	const __m256i lut = _mm256_setr_epi8(
	    'A', 'A', 'A', 'C', 'T', 'A', 'A', 'G', 'A', 'A', 'A', 'A', 'A',
	    'A', 'A', 'A', 'A', 'A', 'A', 'C', 'T', 'A', 'A', 'G', 'A', 'A',
	    'A', 'A', 'A', 'A', 'A', 'A');
	__m256i e = _mm256_shuffle_epi8(
	    lut, _mm256_and_si256(v, _mm256_set1_epi8(0x0f)));

	return _mm256_cmpeq_epi8(e, v);
}

GDB_TARGET_AVX2 size_t gdb_simd_avx2_find_nonacgt(const char *src, size_t n)
{
	size_t i;

	for (i = 0; i + 128 <= n; i += 128) {
		__m256i e = _mm256_and_si256(
		    _mm256_and_si256(acgt_eq(LOADU(src + i)),
				     acgt_eq(LOADU(src + i + 32))),
		    _mm256_and_si256(acgt_eq(LOADU(src + i + 64)),
				     acgt_eq(LOADU(src + i + 96))));

		if ((unsigned)_mm256_movemask_epi8(e) != 0xffffffffu)
			break;
	}
	for (; i + 32 <= n; i += 32) {
		unsigned m =
		    (unsigned)_mm256_movemask_epi8(acgt_eq(LOADU(src + i)));

		if (m != 0xffffffffu)
			return i + (size_t)__builtin_ctz(~m);
	}
	return i + gdb_simd_sse41_find_nonacgt(src + i, n - i);
}

GDB_TARGET_AVX2 static inline __m256i letter_mask(__m256i v)
{
	__m256i t = _mm256_sub_epi8(_mm256_or_si256(v, _mm256_set1_epi8(0x20)),
				    _mm256_set1_epi8('a'));

	return _mm256_cmpeq_epi8(_mm256_min_epu8(t, _mm256_set1_epi8(25)), t);
}

GDB_TARGET_AVX2 static inline __m256i lookup32(__m256i v, __m256i lo,
					       __m256i hi)
{
	__m256i nib = _mm256_and_si256(v, _mm256_set1_epi8(0x0f));

	return _mm256_blendv_epi8(_mm256_shuffle_epi8(lo, nib),
				  _mm256_shuffle_epi8(hi, nib),
				  _mm256_slli_epi16(v, 3));
}

GDB_TARGET_AVX2 void gdb_simd_avx2_revcomp(const char *src, size_t n, char *dst)
{
	const __m256i rev = _mm256_setr_epi8(
	    15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13,
	    12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
	const __m256i dlo = BCAST16(gdb_simd_comp_delta[0]);
	const __m256i dhi = BCAST16(gdb_simd_comp_delta[1]);
	size_t i;

	for (i = 0; i + 32 <= n; i += 32) {
		__m256i v = _mm256_shuffle_epi8(LOADU(src + n - i - 32), rev);
		__m256i d;

		v = _mm256_permute4x64_epi64(v, 0x4e); /* swap the halves */
		d = _mm256_and_si256(lookup32(v, dlo, dhi), letter_mask(v));
		STOREU(dst + i, _mm256_xor_si256(v, d));
	}
	gdb_simd_sse41_revcomp(src, n - i, dst + i);
}

GDB_TARGET_AVX2 void gdb_simd_avx2_to_u8(const char *src, size_t n,
					 uint8_t *dst)
{
	const __m256i clo = BCAST16(gdb_simd_u8_code[0]);
	const __m256i chi = BCAST16(gdb_simd_u8_code[1]);
	size_t i;

	for (i = 0; i + 32 <= n; i += 32) {
		__m256i v = LOADU(src + i);

		STOREU(dst + i, _mm256_blendv_epi8(_mm256_set1_epi8(15),
						   lookup32(v, clo, chi),
						   letter_mask(v)));
	}
	gdb_simd_sse41_to_u8(src + i, n - i, dst + i);
}

GDB_TARGET_AVX2 void gdb_simd_avx2_toupper(const char *src, size_t n, char *dst)
{
	size_t i;

	for (i = 0; i + 32 <= n; i += 32) {
		__m256i v = LOADU(src + i);
		__m256i t = _mm256_sub_epi8(v, _mm256_set1_epi8('a'));
		__m256i lower = _mm256_cmpeq_epi8(
		    _mm256_min_epu8(t, _mm256_set1_epi8(25)), t);

		STOREU(dst + i,
		       _mm256_xor_si256(
			   v, _mm256_and_si256(lower, _mm256_set1_epi8(0x20))));
	}
	gdb_simd_sse41_toupper(src + i, n - i, dst + i);
}

const gdb_simd_kernels gdb_simd_avx2_kernels = {
    .name = "avx2",
    .pack2 = gdb_simd_avx2_pack2,
    .unpack2 = gdb_simd_avx2_unpack2,
    .find_nonacgt = gdb_simd_avx2_find_nonacgt,
    .crc32c = gdb_simd_crc32c_hw,
    .revcomp = gdb_simd_avx2_revcomp,
    .to_u8 = gdb_simd_avx2_to_u8,
    .toupper = gdb_simd_avx2_toupper,
    .comp = gdb_simd_avx2_comp,
};
#endif
