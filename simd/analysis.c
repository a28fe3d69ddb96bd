/*
 * simd/analysis.c - dispatch of the analysis kernels and the wrappers that
 * are the same at every level (windowing, GC fraction).
 *
 * The level is the one dispatch.c settles for the codec kernels
 * (gdb_simd_active(), which honours GENOMEDB_SIMD); this file only maps
 * it to the analysis table of that level, so the two families can never
 * disagree about the level in use. A level's analysis table exists
 * exactly when gdb_simd_variant() offers that level.
 */
#include <errno.h>

#include "common/gdb.h"
#include "simd/analysis_int.h"

static const gdb_simd_analysis_kernels *table_of(enum gdb_simd_level level)
{
	switch (level) {
	case GDB_SIMD_SCALAR:
		return &gdb_ana_scalar;
#if GDB_SIMD_X86
	case GDB_SIMD_SSE41:
		return &gdb_ana_sse41;
	case GDB_SIMD_AVX2:
		return &gdb_ana_avx2;
	case GDB_SIMD_AVX512:
		return &gdb_ana_avx512;
#endif
	default:
		return NULL;
	}
}

const gdb_simd_analysis_kernels *gdb_simd_analysis(void)
{
	return table_of(gdb_simd_active());
}

const gdb_simd_analysis_kernels *
gdb_simd_analysis_variant(enum gdb_simd_level level)
{
	if (!gdb_simd_variant(level))
		return NULL;
	return table_of(level);
}

double gdb_comp_gc(const gdb_comp *c)
{
	uint64_t gc = c->c + c->g + c->s;
	uint64_t all = gc + c->a + c->t + c->w;

	return all ? (double)gc / (double)all : 0.0;
}

size_t gdb_comp_nwindows(size_t n, size_t win, size_t step)
{
	if (!win || !step || !n)
		return 0;
	if (n <= win)
		return 1;
	return 1 + (n - win + step - 1) / step;
}

int64_t gdb_comp_windows(const char *seq, size_t n, size_t win, size_t step,
			 gdb_comp *out, size_t nout)
{
	const gdb_simd_analysis_kernels *k = gdb_simd_analysis();
	size_t nw, i;

	if (!win || !step)
		return -EINVAL;
	nw = gdb_comp_nwindows(n, win, step);
	if (nw > nout)
		return -ENOSPC;
	for (i = 0; i < nw; i++) {
		size_t b = i * step, len = n - b < win ? n - b : win;

		k->comp(seq + b, len, &out[i]);
	}
	return (int64_t)nw;
}
