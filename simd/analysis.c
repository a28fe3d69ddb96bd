/*
 * simd/analysis.c - dispatch of the analysis kernels (a table per family:
 * k-mers, motifs, alignment) and the composition wrappers that are the
 * same at every level (windowing, GC fraction).
 *
 * The level is the one dispatch.c settles for the byte kernels
 * (gdb_simd_active(), which honours GENOMEDB_SIMD); this file only maps
 * it to each family's table of that level, so the families can never
 * disagree about the level in use. A level's tables exist exactly when
 * gdb_simd_variant() offers that level.
 */
#include <errno.h>

#include "common/gdb.h"
#include "simd/analysis_int.h"

#if GDB_SIMD_X86
#define LEVELS(f)                                                              \
	{                                                                      \
		&gdb_ana_##f##_scalar, &gdb_ana_##f##_sse41,                   \
		    &gdb_ana_##f##_avx2, &gdb_ana_##f##_avx512                 \
	}
#else
#define LEVELS(f)                                                              \
	{                                                                      \
		&gdb_ana_##f##_scalar                                          \
	}
#endif

static const gdb_kmer_kernels *const kmer_tab[GDB_SIMD_NLEVELS] = LEVELS(kmer);
static const gdb_motif_kernels *const motif_tab[GDB_SIMD_NLEVELS] =
    LEVELS(motif);
static const gdb_align_kernels *const align_tab[GDB_SIMD_NLEVELS] =
    LEVELS(align);

/* A level's entry of each family: when dispatch offers that level. */
const gdb_kmer_kernels *gdb_kmer_variant(enum gdb_simd_level level)
{
	return gdb_simd_variant(level) ? kmer_tab[level] : NULL;
}

const gdb_motif_kernels *gdb_motif_variant(enum gdb_simd_level level)
{
	return gdb_simd_variant(level) ? motif_tab[level] : NULL;
}

const gdb_align_kernels *gdb_align_variant(enum gdb_simd_level level)
{
	return gdb_simd_variant(level) ? align_tab[level] : NULL;
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
	const gdb_simd_kernels *k = gdb_simd();
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
