/*
 * simd/align.h - pairwise alignment: local (Smith-Waterman), global
 * (Needleman-Wunsch) and semi-global, striped vector kernels with exact
 * scores in 8-, 16- and 32-bit lanes, traceback, and the inter-query
 * kernel for many queries against one target (rules and levels:
 * simd/simd.h).
 *
 * Only these calls allocate: gdb_align_ws_new() and the growth of a
 * workspace, gdb_align() without a workspace (a temporary one), a batch's
 * plan, and gdb_align_batch() (one workspace per worker). No call starts
 * a thread: a batch runs on the caller's pool (common/pool.h).
 *
 * Threading: every call is reentrant; a gdb_align_ws is used by one thread
 * at a time (one per thread); scoring tables are const and may be shared.
 */
#ifndef GDB_SIMD_ALIGN_H
#define GDB_SIMD_ALIGN_H

#include <stddef.h>
#include <stdint.h>

#include "common/pool.h"
#include "simd/simd.h"

/* ---- pairwise alignment ---- */

enum gdb_align_mode {
	GDB_ALIGN_LOCAL = 0,  /* Smith-Waterman */
	GDB_ALIGN_GLOBAL = 1, /* Needleman-Wunsch */
	GDB_ALIGN_SEMIGLOBAL =
	    2, /* global, end gaps free on both (parasail sg) */
};
/*
 * Semi-global, as parasail's sg: the best cell of the last query row or
 * last target column, each holding at least one aligned base. Biopython
 * (end_gap_score = 0) also admits the all-gap alignment, so its score is
 * max(this, 0).
 */

/*
 * Scoring. Letters map to codes through map[] (case-insensitive);
 * matrix[a][b] scores code a of the query against code b of the target.
 * A gap of length L costs gap_open + (L - 1) * gap_extend, as parasail and
 * Biopython's PairwiseAligner (open_gap_score = -gap_open,
 * extend_gap_score = -gap_extend) count it. 0 <= gap_extend <= gap_open
 * <= 127 and every matrix entry is in -127..127.
 */
typedef struct gdb_align_scoring {
	uint8_t map[256];
	int8_t matrix[32][32];
	unsigned ncodes;
	int gap_open, gap_extend;
	int max_score, min_score; /* of the matrix, set by the constructors */
} gdb_align_scoring;

/*
 * gdb_align_scoring_dna - match/mismatch over A C G T (any case; U is T).
 * Every other byte, N included, is one more code that scores
 * mismatch against everything, itself included (parasail instead scores
 * letters outside its alphabet 0, so compare with it on ACGT only).
 * gdb_align_scoring_blosum62 - BLOSUM62 over ARNDCQEGHILKMFPSTWYVBZX*
 * (any case; other bytes score as '*').
 * @return 0 or -EINVAL (values out of the ranges above)
 */
int gdb_align_scoring_dna(int match, int mismatch, int gap_open, int gap_extend,
			  gdb_align_scoring *out);
int gdb_align_scoring_blosum62(int gap_open, int gap_extend,
			       gdb_align_scoring *out);

/*
 * A workspace: striped profiles, DP columns and the CIGAR text. It grows
 * as needed (the one place an alignment allocates) and is reused across
 * calls; one thread at a time.
 */
typedef struct gdb_align_ws gdb_align_ws;
int gdb_align_ws_new(gdb_align_ws **out); /* 0 or -ENOMEM */
void gdb_align_ws_free(gdb_align_ws *ws); /* NULL is a no-op */

#define GDB_ALIGN_TRACE 1u /* also produce the CIGAR and begin positions */

/*
 * Result. score is exact whatever the lengths (8-bit lanes widen to 16 and
 * 32 bits where scores need it; lane_bits says the widest used).
 * Ends: the cell of the best score, 0-based half-open, so the alignment
 * covers query [query_begin, query_end) and target [target_begin,
 * target_end). Local and semi-global ties go to the smallest target end,
 * then the smallest query end. Without GDB_ALIGN_TRACE the begins are -1
 * (global: 0). With it, cigar is "=", "X", "I" (consumes query), "D"
 * (consumes target) runs over exactly that box (semi-global: end gaps
 * outside the box are not in the CIGAR), borrowed from the workspace until
 * its next use. An empty alignment (local score 0) has all positions 0 and
 * cigar "".
 */
typedef struct gdb_align_result {
	int64_t score;
	int64_t query_begin, query_end;
	int64_t target_begin, target_end;
	int lane_bits;
	const char *cigar;
} gdb_align_result;

/*
 * gdb_align - align query against target.
 * Traceback: local mode finds the best cell with the score-only kernel,
 * then aligns only the window that can hold an alignment ending there
 * (bounded by the query prefix and the gap costs), so it costs little
 * more than score-only. Global and semi-global traceback is a scalar
 * O(qlen * tlen) pass with one byte a cell in the workspace.
 * @param ws     workspace (borrowed); NULL allowed without GDB_ALIGN_TRACE
 *               (a temporary one is allocated)
 * @param flags  0 or GDB_ALIGN_TRACE
 * @return 0; -EINVAL (mode, flags, scoring); -ENOMEM; -E2BIG when the
 *         scores or the traceback matrix cannot fit (beyond ~2^28 score
 *         units or 2^31 traceback cells)
 */
int gdb_align(const gdb_align_scoring *sc, enum gdb_align_mode mode,
	      const char *query, size_t qlen, const char *target, size_t tlen,
	      unsigned flags, gdb_align_ws *ws, gdb_align_result *res);

/*
 * gdb_align_trace - the traceback of a local alignment from its
 * score-only result: res holds what gdb_align without GDB_ALIGN_TRACE (or
 * a batch) gave for this query and target; its begins and CIGAR
 * are filled as gdb_align with GDB_ALIGN_TRACE would, aligning again only
 * the window that can hold the hit. For a hit found in a batch.
 * @return 0; -EINVAL (no ws); -ENOMEM; -E2BIG; -EPROTO (res does not
 *         belong to this query and target)
 */
int gdb_align_trace(const gdb_align_scoring *sc, const char *query, size_t qlen,
		    const char *target, size_t tlen, gdb_align_ws *ws,
		    gdb_align_result *res);

/*
 * Batches: score-only alignments of one query against many targets
 * (nq == 1), many queries against one target (nt == 1), or pairwise
 * (nq == nt); out[i] gets the i-th pair's result (cigar NULL). A batch is
 * cut into work items that any thread may run, each into its own results:
 * one pair an item, except for many queries against one target in local
 * mode, whose items are chunks of the queries in length order for the
 * inter-query kernel (align_many: one query a lane, 32 at a time in
 * 8-bit AVX2 lanes), whose results are the same as one by one (lane_bits
 * says 8 or 16). The caller owns the threads: it runs the items itself
 * (gdb_align_batch_item) or hands a pool to gdb_align_batch.
 *
 * The fields are the plan's; set them only through gdb_align_batch_plan.
 */
typedef struct gdb_align_plan {
	const gdb_align_scoring *sc;
	enum gdb_align_mode mode;
	const char *const *queries, *const *targets;
	const size_t *qlens, *tlens;
	size_t nq, nt, npairs;
	gdb_align_result *out;
	size_t *order; /* many queries: their indexes by length (malloc'd) */
	size_t chunk;  /* queries an item (many queries), else 1 */
	size_t nitems; /* work items: 0 .. nitems - 1 */
} gdb_align_plan;

/*
 * gdb_align_batch_plan - cut a batch into work items for nparts workers
 * (chunks of many queries are sized so each worker gets some).
 * @return 0 (b->nitems is 0 when nq or nt is 0); -EINVAL (nq, nt not a
 *         batch shape); -ENOMEM. Free with gdb_align_batch_done().
 */
int gdb_align_batch_plan(gdb_align_plan *b, const gdb_align_scoring *sc,
			 enum gdb_align_mode mode, const char *const *queries,
			 const size_t *qlens, size_t nq,
			 const char *const *targets, const size_t *tlens,
			 size_t nt, unsigned nparts, gdb_align_result *out);

/*
 * gdb_align_batch_item - run work item i (< b->nitems) on the calling
 * thread with its workspace ws (one per thread); items may run in any
 * order and at once on different threads.
 * @return 0 or the pair's error (-EINVAL, -ENOMEM, -E2BIG)
 */
int gdb_align_batch_item(const gdb_align_plan *b, size_t i, gdb_align_ws *ws);

void gdb_align_batch_done(gdb_align_plan *b); /* free the plan */

/*
 * gdb_align_batch - a whole batch on the caller's pool: plan, run every
 * item on the pool's workers (one workspace each), done.
 * @param pool  the caller's (common/pool.h), or NULL for the calling
 *              thread alone
 * @return 0 or the first error of any pair (-EINVAL, -ENOMEM, -E2BIG)
 */
int gdb_align_batch(const gdb_align_scoring *sc, enum gdb_align_mode mode,
		    const char *const *queries, const size_t *qlens, size_t nq,
		    const char *const *targets, const size_t *tlens, size_t nt,
		    gdb_pool *pool, gdb_align_result *out);

/* ---- per-level table ---- */

/*
 * A level's alignment kernels: score is gdb_align() without
 * GDB_ALIGN_TRACE; many does n local score-only alignments against one
 * target, out[i] = score(LOCAL, queries[i]) but for lane_bits
 * (inter-query lanes, simd/align_many.c).
 */
typedef struct gdb_align_kernels {
	const char *name;
	int (*score)(const gdb_align_scoring *sc, enum gdb_align_mode mode,
		     const char *query, size_t qlen, const char *target,
		     size_t tlen, gdb_align_ws *ws, gdb_align_result *res);
	int (*many)(const gdb_align_scoring *sc, const char *const *queries,
		    const size_t *qlens, size_t n, const char *target,
		    size_t tlen, gdb_align_ws *ws, gdb_align_result *out);
} gdb_align_kernels;

/* One level's table, or NULL when gdb_simd_variant(level) is NULL. */
const gdb_align_kernels *gdb_align_variant(enum gdb_simd_level level);

#endif
