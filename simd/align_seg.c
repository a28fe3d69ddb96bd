/*
 * simd/align_seg.c - the driver of the segmented local alignment
 * (align_seg.h: one target segment a lane): whether it applies, which
 * lane width, the lanes to redo with the striped kernel, and the first
 * best cell over the lanes, which is the scalar twin's.
 */
#include <errno.h>
#include <string.h>

#include "common/gdb.h"
#include "simd/analysis_int.h"

/* A lane's result beats the best so far: higher, or as high and first in
 * (target column, query row) order. */
static int before(int64_t s, int64_t c, int64_t r, const gdb_align_result *b)
{
	return s > b->score ||
	       (s == b->score && s > 0 &&
		(c + 1 < b->target_end ||
		 (c + 1 == b->target_end && r + 1 < b->query_end)));
}

static void take(gdb_align_result *b, int64_t s, int64_t c, int64_t r)
{
	if (!before(s, c, r, b))
		return;
	b->score = s;
	b->target_end = c + 1;
	b->query_end = r + 1;
}

/* Redo lane l on its window with the striped kernel. */
static int redo_lane(const struct gdb_seg_level *lv, const struct gdb_seg *g,
		     const char *query, unsigned l, gdb_align_result *b)
{
	int64_t a = (int64_t)(l * g->seglen) - (int64_t)g->w;
	size_t t0 = a < 0 ? 0 : (size_t)a, t1 = (l + 1) * g->seglen;
	gdb_align_result r;

	if (t1 > g->tlen)
		t1 = g->tlen;
	if (t0 >= t1)
		return 0;
	GDB_TRY(lv->score(g->sc, GDB_ALIGN_LOCAL, query, g->qlen,
			  g->target + t0, t1 - t0, g->ws, &r));
	if (r.score > 0)
		take(b, r.score, r.target_end - 1 + (int64_t)t0,
		     r.query_end - 1);
	b->lane_bits = r.lane_bits > b->lane_bits ? r.lane_bits : b->lane_bits;
	return 0;
}

/* The columns a lane owns at width k, or 0 when width k does not apply
 * (no kernel, too many codes, a warm-up over a quarter of the work). */
static size_t seglen_of(const struct gdb_seg_level *lv, unsigned k,
			const struct gdb_seg *g)
{
	size_t seglen;

	if (!lv->run[k] || g->sc->ncodes + 1 > lv->codes[k])
		return 0;
	seglen = (g->tlen + lv->lanes[k] - 1) / lv->lanes[k];
	return seglen < 4 * g->w ? 0 : seglen;
}

static int run_width(const struct gdb_seg_level *lv, unsigned k,
		     struct gdb_seg *g)
{
	g->seglen = seglen_of(lv, k, g);
	g->redo = 0;
	memset(g->best, 0, sizeof(g->best));
	return lv->run[k](g);
}

static int seg_ws(const struct gdb_seg_level *lv, const gdb_align_scoring *sc,
		  enum gdb_align_mode mode, const char *query, size_t qlen,
		  const char *target, size_t tlen, gdb_align_ws *ws,
		  gdb_align_result *res);

int gdb_align_seg(const struct gdb_seg_level *lv, const gdb_align_scoring *sc,
		  enum gdb_align_mode mode, const char *query, size_t qlen,
		  const char *target, size_t tlen, gdb_align_ws *ws,
		  gdb_align_result *res)
{
	gdb_align_ws *own = NULL;
	int rc;

	if (!sc || mode != GDB_ALIGN_LOCAL || sc->gap_extend < 1 ||
	    sc->max_score < 1 || !qlen || !tlen)
		return 1; /* the striped kernel checks and answers */
	if (ws)
		return seg_ws(lv, sc, mode, query, qlen, target, tlen, ws, res);
	GDB_TRY(gdb_align_ws_new(&own)); /* score-only without a workspace */
	rc = seg_ws(lv, sc, mode, query, qlen, target, tlen, own, res);
	gdb_align_ws_free(own);
	return rc;
}

static int seg_ws(const struct gdb_seg_level *lv, const gdb_align_scoring *sc,
		  enum gdb_align_mode mode, const char *query, size_t qlen,
		  const char *target, size_t tlen, gdb_align_ws *ws,
		  gdb_align_result *res)
{
	struct gdb_seg g;
	uint8_t *qc;
	unsigned k = 0;
	int rc;

	memset(&g, 0, sizeof(g));
	g.sc = sc;
	g.qlen = qlen;
	g.target = target;
	g.tlen = tlen;
	g.ws = ws;
	g.w = qlen + qlen * (size_t)sc->max_score / (size_t)sc->gap_extend + 2;
	if (!seglen_of(lv, 0, &g))
		return 1;
	rc = gdb_align_prologue(sc, mode, qlen, tlen, res);
	if (rc)
		return rc < 0 ? rc : 0;
	GDB_TRY(
	    gdb_align_ws_reserve((void **)&ws->lin, &ws->lin_size, qlen, 0));
	qc = (uint8_t *)ws->lin;
	for (size_t i = 0; i < qlen; i++)
		qc[i] = sc->map[(unsigned char)query[i]];
	g.qc = qc;
	GDB_TRY(run_width(lv, 0, &g));
	/* many lanes near the top of their width: the wider lanes, once */
	if (__builtin_popcountll(g.redo) * 8 > (int)lv->lanes[0] &&
	    seglen_of(lv, 1, &g)) {
		k = 1;
		GDB_TRY(run_width(lv, 1, &g));
	}
	res->lane_bits = (int)lv->emax[k] > INT8_MAX ? 16 : 8;
	for (unsigned l = 0; l < lv->lanes[k]; l++)
		if (!(g.redo >> l & 1))
			take(res, g.best[l], g.col[l], g.row[l]);
	for (unsigned l = 0; l < lv->lanes[k]; l++)
		if (g.redo >> l & 1)
			GDB_TRY(redo_lane(lv, &g, query, l, res));
	if (res->score == 0)
		res->query_end = res->target_end = res->query_begin =
		    res->target_begin = 0;
	return 0;
}
