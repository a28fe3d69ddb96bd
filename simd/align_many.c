/*
 * simd/align_many.c - many queries against one target, local score only:
 * the inter-query kernels of every level (template: align_many.h) and the
 * driver that puts queries into lane groups by the width their scores
 * need. The scalar twin aligns the queries one by one with the scalar
 * reference. gdb_align_batch (align.c) uses the active level's entry for
 * "many queries, one target" in local mode.
 *
 * The AVX-512 level uses the AVX2 kernels (32 queries a pass): the work
 * is dominated by the per-row dependency chain, which wider vectors do
 * not shorten, and this machine could not test a 512-bit variant.
 */
#include <errno.h>
#include <string.h>

#include "common/gdb.h"
#include "simd/analysis_int.h"

/* One lane group's runner: n <= its lanes, every score fits its width. */
typedef int (*many_fn)(const gdb_align_scoring *sc, const char *const *q,
		       const size_t *qlens, size_t n, const char *target,
		       size_t tlen, gdb_align_ws *ws, gdb_align_result *out);

struct many_level {
	many_fn run8, run16;
	size_t lanes8, lanes16;
	/* the level's table: its striped kernel takes a query that fits
	 * neither width */
	const gdb_align_kernels *k;
};

#define GROUP_MAX 64 /* the widest lane group of any level */

/* Run the pending group g (indices into the caller's arrays). */
static int flush(many_fn run, const gdb_align_scoring *sc,
		 const char *const *queries, const size_t *qlens,
		 const size_t *g, size_t n, const char *target, size_t tlen,
		 gdb_align_ws *ws, gdb_align_result *out)
{
	const char *q[GROUP_MAX];
	size_t l[GROUP_MAX];
	gdb_align_result r[GROUP_MAX];

	if (!n)
		return 0;
	for (size_t k = 0; k < n; k++) {
		q[k] = queries[g[k]];
		l[k] = qlens[g[k]];
	}
	GDB_TRY(run(sc, q, l, n, target, tlen, ws, r));
	for (size_t k = 0; k < n; k++)
		out[g[k]] = r[k];
	return 0;
}

/*
 * Queries in the order given join the group of the narrowest width their
 * scores fit; a group runs when it is full, and at the end. Callers that
 * sort queries by length waste fewer rows on padding.
 */
static int many_drive(const struct many_level *lv, const gdb_align_scoring *sc,
		      const char *const *queries, const size_t *qlens, size_t n,
		      const char *target, size_t tlen, gdb_align_ws *ws,
		      gdb_align_result *out)
{
	size_t g8[GROUP_MAX], g16[GROUP_MAX], n8 = 0, n16 = 0;
	int64_t best = sc->max_score > 0 ? sc->max_score : 0;
	int rc;

	for (size_t k = 0; k < n; k++) {
		int64_t top = (int64_t)qlens[k] * best;

		rc = gdb_align_prologue(sc, GDB_ALIGN_LOCAL, qlens[k], tlen,
					&out[k]);
		if (rc < 0)
			return rc;
		if (rc == 1)
			continue; /* an empty side: score 0, done */
		if (top <= INT8_MAX) {
			g8[n8++] = k;
		} else if (top <= INT16_MAX) {
			g16[n16++] = k;
		} else {
			GDB_TRY(lv->k->score(sc, GDB_ALIGN_LOCAL, queries[k],
					     qlens[k], target, tlen, ws,
					     &out[k]));
		}
		if (n8 == lv->lanes8) {
			GDB_TRY(flush(lv->run8, sc, queries, qlens, g8, n8,
				      target, tlen, ws, out));
			n8 = 0;
		}
		if (n16 == lv->lanes16) {
			GDB_TRY(flush(lv->run16, sc, queries, qlens, g16, n16,
				      target, tlen, ws, out));
			n16 = 0;
		}
	}
	GDB_TRY(
	    flush(lv->run8, sc, queries, qlens, g8, n8, target, tlen, ws, out));
	return flush(lv->run16, sc, queries, qlens, g16, n16, target, tlen, ws,
		     out);
}

int gdb_ana_scalar_align_many(const gdb_align_scoring *sc,
			      const char *const *queries, const size_t *qlens,
			      size_t n, const char *target, size_t tlen,
			      gdb_align_ws *ws, gdb_align_result *out)
{
	for (size_t k = 0; k < n; k++)
		GDB_TRY(gdb_ana_scalar_align_score(sc, GDB_ALIGN_LOCAL,
						   queries[k], qlens[k], target,
						   tlen, ws, &out[k]));
	return 0;
}

#if GDB_SIMD_X86
#include <immintrin.h>

#define SFX sse41_8
#define TGT GDB_TARGET_SSE41_A
#define V __m128i
#define ET int8_t
#define LANES 16
#define ENEG INT8_MIN
#define VSET1(x) _mm_set1_epi8((char)(x))
#define VZERO() _mm_setzero_si128()
#define VADDS _mm_adds_epi8
#define VSUBS _mm_subs_epi8
#define VMAX _mm_max_epi8
#define VANYGT(a, b) _mm_movemask_epi8(_mm_cmpgt_epi8(a, b))
#include "simd/align_many.h"

#define SFX sse41_16
#define TGT GDB_TARGET_SSE41_A
#define V __m128i
#define ET int16_t
#define LANES 8
#define ENEG INT16_MIN
#define VSET1(x) _mm_set1_epi16((short)(x))
#define VZERO() _mm_setzero_si128()
#define VADDS _mm_adds_epi16
#define VSUBS _mm_subs_epi16
#define VMAX _mm_max_epi16
#define VANYGT(a, b) _mm_movemask_epi8(_mm_cmpgt_epi16(a, b))
#include "simd/align_many.h"

#define SFX avx2_8
#define TGT GDB_TARGET_AVX2_A
#define V __m256i
#define ET int8_t
#define LANES 32
#define ENEG INT8_MIN
#define VSET1(x) _mm256_set1_epi8((char)(x))
#define VZERO() _mm256_setzero_si256()
#define VADDS _mm256_adds_epi8
#define VSUBS _mm256_subs_epi8
#define VMAX _mm256_max_epi8
#define VANYGT(a, b) _mm256_movemask_epi8(_mm256_cmpgt_epi8(a, b))
#include "simd/align_many.h"

#define SFX avx2_16
#define TGT GDB_TARGET_AVX2_A
#define V __m256i
#define ET int16_t
#define LANES 16
#define ENEG INT16_MIN
#define VSET1(x) _mm256_set1_epi16((short)(x))
#define VZERO() _mm256_setzero_si256()
#define VADDS _mm256_adds_epi16
#define VSUBS _mm256_subs_epi16
#define VMAX _mm256_max_epi16
#define VANYGT(a, b) _mm256_movemask_epi8(_mm256_cmpgt_epi16(a, b))
#include "simd/align_many.h"

int gdb_ana_sse41_align_many(const gdb_align_scoring *sc,
			     const char *const *queries, const size_t *qlens,
			     size_t n, const char *target, size_t tlen,
			     gdb_align_ws *ws, gdb_align_result *out)
{
	static const struct many_level lv = {
	    many_run_sse41_8, many_run_sse41_16, 16, 8, &gdb_ana_align_sse41};

	return many_drive(&lv, sc, queries, qlens, n, target, tlen, ws, out);
}

int gdb_ana_avx2_align_many(const gdb_align_scoring *sc,
			    const char *const *queries, const size_t *qlens,
			    size_t n, const char *target, size_t tlen,
			    gdb_align_ws *ws, gdb_align_result *out)
{
	static const struct many_level lv = {many_run_avx2_8, many_run_avx2_16,
					     32, 16, &gdb_ana_align_avx2};

	return many_drive(&lv, sc, queries, qlens, n, target, tlen, ws, out);
}
#endif
