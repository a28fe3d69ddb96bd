/*
 * simd/genotype.h - genotype kernels over bit planes: counting alleles
 * under population masks (popcounts) and expanding planes to int8
 * dosages. A plane holds one bit per sample, sample i in bit i % 64 of
 * word i / 64 (the shape variants/ decodes genotypes into).
 *
 * As every simd/ family: a scalar twin is the reference, the level is
 * chosen once (the same GENOMEDB_SIMD=scalar|sse41|avx2|avx512 choice as
 * simd/simd.h; sse41 runs the scalar kernels here, and avx512 needs
 * AVX-512 VPOPCNTDQ besides F and BW, else avx2 runs), kernels allocate
 * nothing, start no threads and never fail.
 *
 * Threading: kernels are pure; any number may run at once on disjoint
 * outputs.
 */
#ifndef GDB_SIMD_GENOTYPE_H
#define GDB_SIMD_GENOTYPE_H

#include <stddef.h>
#include <stdint.h>

#include "simd/simd.h"

/*
 * count_masks(plane, masks, nwords, nmasks, out): for k < nmasks,
 *   out[k] += popcount(plane[w] & masks[k * nwords + w]) summed over
 *   w < nwords.
 * dosage(a, b, m, n, out): for i < n, out[i] = -1 if bit i of m is set,
 *   else bit i of a + bit i of b (0, 1 or 2). Bits past n are ignored;
 *   exactly n bytes are written.
 */
typedef struct gdb_gt_kernels {
	const char *name;
	void (*count_masks)(const uint64_t *plane, const uint64_t *masks,
			    size_t nwords, size_t nmasks, uint32_t *out);
	void (*dosage)(const uint64_t *a, const uint64_t *b, const uint64_t *m,
		       size_t n, int8_t *out);
} gdb_gt_kernels;

/* The active table (chosen on first use). Never NULL. */
const gdb_gt_kernels *gdb_gt(void);

/* One level's table for tests and benchmarks, or NULL if this build or
 * CPU lacks it (GDB_SIMD_SSE41 gives the scalar table). */
const gdb_gt_kernels *gdb_gt_variant(enum gdb_simd_level level);

#endif
