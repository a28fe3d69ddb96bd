/*
 * simd/align_many.h - inter-query local alignment (as SWIPE, Rognes 2011),
 * as a template: lane k of every vector belongs to query k of a group, so
 * one vector operation advances one DP cell of LANES different queries
 * against the same target base. A level file defines the parameters and
 * includes this file once per lane width, getting
 * many_run_<SFX>(sc, q, qlens, n, target, tlen, ws, out) for n <= LANES.
 *
 * Why: the striped kernel spreads ONE query over the lanes, which leaves
 * most lanes idle and pays a per-column overhead when the query is short
 * (a 25-base primer fills two 16-lane vectors); primer and probe panels
 * are many short queries against one region, so they fill the lanes
 * across queries instead.
 *
 * Exactness: the caller runs a group at a width only when every score of
 * every query fits (query length * best match <= EMAX), so no lane ever
 * saturates upward; downward saturation only stands for "below zero",
 * which local alignment never selects. Rows past a query's length score
 * ENEG, so they never raise that lane's best. The best cell is the first
 * maximum in (target column, query row) order, as the scalar twin picks
 * it: a column's maximum is compared with the best so far (strictly
 * greater wins), and the row is found by scanning that column's lane.
 *
 * Parameters:
 *   SFX   name suffix      TGT  target attribute     V  vector type
 *   ET    lane type        LANES  lanes a vector     ENEG  lane minimum
 *   VSET1(x) VZERO() VADDS(a,b) VSUBS(a,b) (saturating) VMAX(a,b)
 *   VANYGT(a,b) (non-zero if any lane of a > b)
 */

#define MN_CAT2(a, b) a##b
#define MN_CAT(a, b) MN_CAT2(a, b)
#define MN_RUN MN_CAT(many_run_, SFX)
#define MN_EA MN_CAT(many_lane_, SFX)

typedef ET MN_EA __attribute__((may_alias));

TGT static int MN_RUN(const gdb_align_scoring *sc, const char *const *q,
		      const size_t *qlens, size_t n, const char *target,
		      size_t tlen, gdb_align_ws *ws, gdb_align_result *out)
{
	const unsigned ncodes = sc->ncodes;
	size_t rows = 0, i, j, k;
	V *prof, *H, *E, vOpen, vExt, vZero, vBest, colv[1];
	MN_EA *lane, best[LANES], *colmax = (MN_EA *)(void *)colv;
	int64_t qe[LANES], te[LANES];

	for (k = 0; k < n; k++)
		rows = qlens[k] > rows ? qlens[k] : rows;
	if (gdb_align_ws_reserve(&ws->buf, &ws->buf_size,
				 (ncodes + 2) * rows * sizeof(V), 64))
		return -ENOMEM;
	prof = ws->buf;
	H = prof + ncodes * rows;
	E = H + rows;
	/* prof[c * rows + i], lane k: query k's row i against code c */
	for (unsigned c = 0; c < ncodes; c++)
		for (i = 0; i < rows; i++) {
			lane = (MN_EA *)(void *)&prof[c * rows + i];
			for (k = 0; k < LANES; k++)
				lane[k] = k < n && i < qlens[k]
					      ? (ET)sc->matrix[sc->map[(
						    unsigned char)q[k][i]]][c]
					      : (ET)ENEG;
		}
	vOpen = VSET1(sc->gap_open);
	vExt = VSET1(sc->gap_extend);
	vZero = VZERO();
	for (i = 0; i < rows; i++) {
		H[i] = vZero;
		E[i] = VSUBS(vZero, vOpen);
	}
	vBest = vZero;
	memset(best, 0, sizeof(best));
	for (k = 0; k < LANES; k++)
		qe[k] = te[k] = -1;
	for (j = 0; j < tlen; j++) {
		const V *p =
		    prof + (size_t)sc->map[(unsigned char)target[j]] * rows;
		V vDiag = vZero, vF = VSUBS(vZero, vOpen), vCol = vZero;

		for (i = 0; i < rows; i++) {
			V vH = VMAX(VADDS(vDiag, p[i]), E[i]);

			vH = VMAX(VMAX(vH, vF), vZero);
			vDiag = H[i];
			H[i] = vH;
			vCol = VMAX(vCol, vH);
			vH = VSUBS(vH, vOpen);
			E[i] = VMAX(VSUBS(E[i], vExt), vH);
			vF = VMAX(VSUBS(vF, vExt), vH);
		}
		if (!VANYGT(vCol, vBest))
			continue;
		/* a lane improved (rare after the first columns): find its
		 * first row holding the new maximum */
		colv[0] = vCol;
		for (k = 0; k < n; k++) {
			if (colmax[k] <= best[k])
				continue;
			best[k] = colmax[k];
			te[k] = (int64_t)j;
			for (i = 0; i < rows; i++) {
				lane = (MN_EA *)(void *)&H[i];
				if (lane[k] == colmax[k])
					break;
			}
			qe[k] = (int64_t)i;
		}
		vBest = VMAX(vBest, vCol);
	}
	for (k = 0; k < n; k++) {
		out[k].cigar = NULL;
		out[k].score = best[k];
		out[k].lane_bits = (int)sizeof(ET) * 8;
		out[k].query_begin = out[k].target_begin = best[k] ? -1 : 0;
		out[k].query_end = best[k] ? qe[k] + 1 : 0;
		out[k].target_end = best[k] ? te[k] + 1 : 0;
	}
	return 0;
}

#undef MN_CAT2
#undef MN_CAT
#undef MN_RUN
#undef MN_EA
#undef SFX
#undef TGT
#undef V
#undef ET
#undef LANES
#undef ENEG
#undef VSET1
#undef VZERO
#undef VADDS
#undef VSUBS
#undef VMAX
#undef VANYGT
