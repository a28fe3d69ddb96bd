/*
 * simd/align_seg.h - local alignment of a query against a long target
 * with the target cut into one segment a lane, as a template: a level
 * file defines the lane type and a few vector operations, includes this
 * file, and gets seg_run_<SFX>(). Included once per instantiation; it
 * defines functions and undefines its parameters.
 *
 * Why: the striped kernel (align_striped.h) spreads one query over the
 * lanes, so a 300-base query fills five 64-lane vectors and every column
 * pays the shift and the lazy-F pass for them; wider vectors gain little.
 * Here lane l instead aligns the whole query against its own stretch of
 * the target, columns [l*S - w, (l+1)*S) with S = ceil(tlen / LANES), so
 * the lanes never exchange anything: a vector step is one DP cell of
 * LANES independent alignments (as SWIPE runs one query against many
 * database sequences), with no shifts and no lazy pass.
 *
 * Exactness: a local alignment that scores above 0 and ends in column c
 * cannot start before column c - w, w = qlen + qlen * best match /
 * extend + 2 (its gaps would cost more than its matches can earn), so the
 * lane computes every cell of its own columns exactly, and the cells of
 * its w warm-up columns no higher than they are. Each lane keeps the
 * first best cell in (column, row) order; the first of the lanes' best
 * cells by (score, column, row) is then the scalar twin's cell. A lane
 * whose values come near the top of its width is redone on its window by
 * the level's striped kernel (run), which widens as needed.
 *
 * Parameters:
 *   SFX  name suffix   TGT  target attribute   V  vector type
 *   ET   lane type     LANES  lanes a vector   ENEG  EMAX  lane range
 *   NCODES  codes a lookup table holds (the last is the padding code)
 *   VSET1(x) VZERO() VADDS VSUBS (saturating) VMAX VLOAD(p) VSTORE(p, v)
 *   GTMASK(a, b)  lanes a > b as a uint64_t bit mask
 *   TAB(row)      a lookup table from ET row[NCODES]
 *   LOOK(tab, c)  the table's entries for the LANES byte codes at c
 */

#define SG_CAT2(a, b) a##b
#define SG_CAT(a, b) SG_CAT2(a, b)
#define SG_RUN SG_CAT(seg_run_, SFX)
#define SG_STEP SG_CAT(seg_step_, SFX)
#define SG_CODES SG_CAT(seg_codes_, SFX)
#define SG_BEST SG_CAT(seg_best_, SFX)
#define SG_EA SG_CAT(seg_lane_, SFX)
#define SG_INLINE TGT static inline __attribute__((always_inline))

typedef ET SG_EA __attribute__((may_alias));

/*
 * The codes of steps [s0, s0 + ns) of every lane, step-major: out[s *
 * LANES + l] is the code of target column l * seglen - w + s0 + s, or the
 * padding code outside the target.
 */
static void SG_CODES(const struct gdb_seg *g, size_t s0, size_t ns,
		     uint8_t *out)
{
	for (unsigned l = 0; l < LANES; l++) {
		int64_t c =
		    (int64_t)(l * g->seglen) - (int64_t)g->w + (int64_t)s0;

		for (size_t s = 0; s < ns; s++, c++)
			out[s * LANES + l] =
			    c >= 0 && (uint64_t)c < g->tlen
				? g->sc->map[(unsigned char)g->target[c]]
				: (uint8_t)(NCODES - 1);
	}
}

/* One target column of every lane (step s): the query's rows in turn. */
/* (not inlined: the caller's state would take registers the row loop
 * needs on 16-register levels) */
TGT static __attribute__((noinline)) V
SG_STEP(const V *P, const uint8_t *qc, size_t q, V *H, V *E, V vOpen, V vExt)
{
	const V vZero = VZERO();
	V vDiag = vZero, vF = VSUBS(vZero, vOpen), vCol = vZero;

	for (size_t i = 0; i < q; i++) {
		V h = VMAX(VADDS(vDiag, P[qc[i]]), E[i]), t;

		h = VMAX(VMAX(h, vF), vZero);
		vCol = VMAX(vCol, h);
		vDiag = H[i];
		H[i] = h;
		t = VSUBS(h, vOpen);
		E[i] = VMAX(VSUBS(E[i], vExt), t);
		vF = VMAX(VSUBS(vF, vExt), t);
	}
	return vCol;
}

/* Lanes whose column maximum beat their best: the first row holding it. */
TGT static void SG_BEST(struct gdb_seg *g, const V *H, size_t q, const V *vCol,
			uint64_t better, size_t s)
{
	SG_EA col[LANES];
	const SG_EA *h = (const SG_EA *)(const void *)H;

	memcpy(col, vCol, sizeof(V));
	for (; better; better &= better - 1) {
		unsigned l = (unsigned)__builtin_ctzll(better);
		size_t i = 0;

		while (i < q && h[i * LANES + l] != col[l])
			i++;
		g->best[l] = col[l];
		g->col[l] =
		    (int64_t)(l * g->seglen) - (int64_t)g->w + (int64_t)s;
		g->row[l] = (int64_t)i;
	}
}

/* Every lane over its columns; lanes near saturation set in g->redo. */
TGT static int SG_RUN(struct gdb_seg *g)
{
	const gdb_align_scoring *sc = g->sc;
	const size_t q = g->qlen, steps = g->seglen + g->w;
	const size_t per = 256; /* steps whose codes are transposed at once */
	const V vOpen = VSET1(sc->gap_open), vExt = VSET1(sc->gap_extend);
	const V vLimit = VSET1(EMAX - 1 - sc->max_score);
	V *P, *H, *E, *tab, vBest = VZERO();
	uint8_t *codes;
	ET row[NCODES];

	/* in memory, not registers: the row loop needs all it can get */
	if (gdb_align_ws_reserve(
		&g->ws->buf, &g->ws->buf_size,
		(2 * sc->ncodes + 2 * q) * sizeof(V) + per * LANES, 64))
		return -ENOMEM;
	P = g->ws->buf;
	tab = P + sc->ncodes;
	H = tab + sc->ncodes;
	E = H + q;
	codes = (uint8_t *)(E + q);
	for (size_t i = 0; i < q; i++) {
		H[i] = VZERO();
		E[i] = VSET1(-sc->gap_open);
	}
	for (unsigned a = 0; a < sc->ncodes; a++) {
		for (unsigned c = 0; c < NCODES; c++)
			row[c] =
			    c < sc->ncodes ? (ET)sc->matrix[a][c] : (ET)ENEG;
		tab[a] = TAB(row);
	}
	for (size_t s0 = 0; s0 < steps; s0 += per) {
		size_t ns = steps - s0 < per ? steps - s0 : per;

		SG_CODES(g, s0, ns, codes);
		for (size_t s = 0; s < ns; s++) {
			uint64_t better;
			V vCol;

			for (unsigned a = 0; a < sc->ncodes; a++)
				P[a] = LOOK(tab[a], codes + s * LANES);
			vCol = SG_STEP(P, g->qc, q, H, E, vOpen, vExt);
			better = GTMASK(vCol, vBest) & ~g->redo;
			if (better) {
				SG_BEST(g, H, q, &vCol, better, s0 + s);
				vBest = VMAX(vBest, vCol);
			}
			g->redo |= GTMASK(vCol, vLimit);
		}
	}
	return 0;
}

#undef SG_CAT2
#undef SG_CAT
#undef SG_RUN
#undef SG_STEP
#undef SG_CODES
#undef SG_BEST
#undef SG_EA
#undef SG_INLINE
#undef SFX
#undef TGT
#undef V
#undef ET
#undef LANES
#undef ENEG
#undef EMAX
#undef NCODES
#undef VSET1
#undef VZERO
#undef VADDS
#undef VSUBS
#undef VMAX
#undef VLOAD
#undef VSTORE
#undef GTMASK
#undef TAB
#undef LOOK
