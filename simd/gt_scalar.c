/*
 * simd/gt_scalar.c - the genotype kernels' scalar twins (the reference
 * every vector level is tested against) and the choice of level.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "simd/gt_int.h"

static void count_masks(const uint64_t *plane, const uint64_t *masks,
			size_t nwords, size_t nmasks, uint32_t *out)
{
	for (size_t k = 0; k < nmasks; k++) {
		const uint64_t *m = masks + k * nwords;
		uint32_t c = 0;
		for (size_t w = 0; w < nwords; w++) {
			uint64_t x = plane[w] & m[w];
			while (x) { /* no popcnt instruction assumed */
				x &= x - 1;
				c++;
			}
		}
		out[k] += c;
	}
}

static void dosage(const uint64_t *a, const uint64_t *b, const uint64_t *m,
		   size_t n, int8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		size_t w = i >> 6;
		unsigned s = i & 63;
		if ((m[w] >> s) & 1)
			out[i] = -1;
		else
			out[i] =
			    (int8_t)(((a[w] >> s) & 1) + ((b[w] >> s) & 1));
	}
}

const gdb_gt_kernels gdb_gt_scalar = {
    .name = "scalar",
    .count_masks = count_masks,
    .dosage = dosage,
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const gdb_gt_kernels *tab[GDB_SIMD_NLEVELS];
static const gdb_gt_kernels *active;

static void init(void)
{
	enum gdb_simd_level want = gdb_simd_active();

	tab[GDB_SIMD_SCALAR] = tab[GDB_SIMD_SSE41] = &gdb_gt_scalar;
#if GDB_SIMD_X86
	__builtin_cpu_init();
	if (gdb_simd_variant(GDB_SIMD_AVX2))
		tab[GDB_SIMD_AVX2] = &gdb_gt_avx2;
	if (gdb_simd_variant(GDB_SIMD_AVX512) &&
	    __builtin_cpu_supports("avx512vpopcntdq"))
		tab[GDB_SIMD_AVX512] = &gdb_gt_avx512;
#endif
	for (int l = (int)want; l >= 0 && !active; l--)
		active = tab[l];
}

const gdb_gt_kernels *gdb_gt(void)
{
	pthread_once(&once, init);
	return active;
}

const gdb_gt_kernels *gdb_gt_variant(enum gdb_simd_level level)
{
	pthread_once(&once, init);
	return (unsigned)level < GDB_SIMD_NLEVELS ? tab[level] : NULL;
}
