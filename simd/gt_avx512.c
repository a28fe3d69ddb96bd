/*
 * simd/gt_avx512.c - genotype kernels on 512-bit vectors: VPOPCNTDQ
 * counts eight words an instruction; dosages come straight from mask
 * registers (a plane word is a 64-lane byte mask).
 */
#include "simd/gt_int.h"

#if GDB_SIMD_X86
#include <immintrin.h>

#define GDB_TARGET_GT512                                                       \
	__attribute__((target("avx512f,avx512bw,avx512vpopcntdq,avx2,"         \
			      "popcnt")))

GDB_TARGET_GT512 static void count_masks(const uint64_t *plane,
					 const uint64_t *masks, size_t nwords,
					 size_t nmasks, uint32_t *out)
{
	for (size_t k = 0; k < nmasks; k++) {
		const uint64_t *m = masks + k * nwords;
		__m512i acc = _mm512_setzero_si512();
		size_t w = 0;
		for (; w + 8 <= nwords; w += 8) {
			__m512i x =
			    _mm512_and_si512(_mm512_loadu_si512(plane + w),
					     _mm512_loadu_si512(m + w));
			acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(x));
		}
		if (w < nwords) {
			__mmask8 t = (__mmask8)((1u << (nwords - w)) - 1);
			__m512i x = _mm512_and_si512(
			    _mm512_maskz_loadu_epi64(t, plane + w),
			    _mm512_maskz_loadu_epi64(t, m + w));
			acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(x));
		}
		out[k] += (uint32_t)_mm512_reduce_add_epi64(acc);
	}
}

GDB_TARGET_GT512 static void dosage(const uint64_t *a, const uint64_t *b,
				    const uint64_t *m, size_t n, int8_t *out)
{
	const __m512i one = _mm512_set1_epi8(1), neg = _mm512_set1_epi8(-1);

	for (size_t i = 0; i < n; i += 64) {
		size_t w = i >> 6;
		__mmask64 t = n - i >= 64 ? ~(__mmask64)0
					  : (((__mmask64)1 << (n - i)) - 1);
		__m512i x = _mm512_add_epi8(_mm512_maskz_mov_epi8(a[w], one),
					    _mm512_maskz_mov_epi8(b[w], one));
		x = _mm512_mask_mov_epi8(x, m[w], neg);
		_mm512_mask_storeu_epi8(out + i, t, x);
	}
}

const gdb_gt_kernels gdb_gt_avx512 = {
    .name = "avx512",
    .count_masks = count_masks,
    .dosage = dosage,
};
#endif
