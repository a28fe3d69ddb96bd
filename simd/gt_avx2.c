/*
 * simd/gt_avx2.c - genotype kernels on 256-bit vectors. Popcounts are
 * the nibble-table method (pshufb on each 4-bit half, sums of absolute
 * differences into 64-bit lanes); dosages expand 32 plane bits to 32
 * bytes with a byte shuffle and a bit test.
 */
#include "simd/gt_int.h"

#if GDB_SIMD_X86
#include <immintrin.h>

GDB_TARGET_AVX2 static inline __m256i popcnt256(__m256i v)
{
	const __m256i lut =
	    _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0,
			     1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
	const __m256i low = _mm256_set1_epi8(0x0f);
	__m256i lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(v, low));
	__m256i hi = _mm256_shuffle_epi8(
	    lut, _mm256_and_si256(_mm256_srli_epi16(v, 4), low));

	return _mm256_sad_epu8(_mm256_add_epi8(lo, hi), _mm256_setzero_si256());
}

GDB_TARGET_AVX2 static void count_masks(const uint64_t *plane,
					const uint64_t *masks, size_t nwords,
					size_t nmasks, uint32_t *out)
{
	for (size_t k = 0; k < nmasks; k++) {
		const uint64_t *m = masks + k * nwords;
		__m256i acc = _mm256_setzero_si256();
		size_t w = 0;
		uint64_t c;
		for (; w + 4 <= nwords; w += 4) {
			__m256i x = _mm256_and_si256(
			    _mm256_loadu_si256((const __m256i *)(plane + w)),
			    _mm256_loadu_si256((const __m256i *)(m + w)));
			acc = _mm256_add_epi64(acc, popcnt256(x));
		}
		c = (uint64_t)_mm256_extract_epi64(acc, 0) +
		    (uint64_t)_mm256_extract_epi64(acc, 1) +
		    (uint64_t)_mm256_extract_epi64(acc, 2) +
		    (uint64_t)_mm256_extract_epi64(acc, 3);
		for (; w < nwords; w++)
			c += (uint64_t)_mm_popcnt_u64(plane[w] & m[w]);
		out[k] += (uint32_t)c;
	}
}

/* 32 bits -> 32 bytes of 0xff (bit set) or 0. */
GDB_TARGET_AVX2 static inline __m256i expand32(uint32_t bits)
{
	const __m256i pick =
	    _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2,
			     2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
	const __m256i bit =
	    _mm256_set1_epi64x((long long)0x8040201008040201ull);
	__m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), pick);

	return _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
}

GDB_TARGET_AVX2 static void dosage(const uint64_t *a, const uint64_t *b,
				   const uint64_t *m, size_t n, int8_t *out)
{
	const __m256i one = _mm256_set1_epi8(1);
	size_t i = 0;

	/* whole words only, so the scalar tail starts on a word */
	for (; i + 64 <= n; i += 64) {
		size_t w = i >> 6;
		for (unsigned s = 0; s < 64; s += 32) {
			__m256i x = _mm256_and_si256(
			    expand32((uint32_t)(a[w] >> s)), one);
			__m256i y = _mm256_and_si256(
			    expand32((uint32_t)(b[w] >> s)), one);
			__m256i z = expand32((uint32_t)(m[w] >> s));
			_mm256_storeu_si256(
			    (__m256i *)(out + i + s),
			    _mm256_or_si256(_mm256_add_epi8(x, y), z));
		}
	}
	gdb_gt_scalar.dosage(a + (i >> 6), b + (i >> 6), m + (i >> 6), n - i,
			     out + i);
}

const gdb_gt_kernels gdb_gt_avx2 = {
    .name = "avx2",
    .count_masks = count_masks,
    .dosage = dosage,
};
#endif
