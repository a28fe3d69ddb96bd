/*
 * simd/align_striped.h - the striped (Farrar) alignment column loop, as a
 * template: a level file defines the lane type and a handful of vector
 * macros, includes this file, and gets one runner
 * stripe_run_<SFX>(job, j, &jnext) for that level and lane width. Not a
 * header in the usual sense: it is included several times, defines
 * functions, and undefines its parameters at the end.
 *
 * Layout: with seg = ceil(qlen / LANES), vector s holds query rows s,
 * s + seg, s + 2*seg, ... so one vector add advances LANES rows that do
 * not depend on each other. The vertical gap (F) dependence between the
 * last row of one lane and the first of the next is resolved afterwards:
 * in local mode by the "lazy F" loop, which usually stops after one
 * vector; in global and semi-global mode, where it would not, by a scan
 * of the carry across the lanes and one more pass over the column.
 *
 * Parameters:
 *   SFX          name suffix                 TGT   target attribute
 *   V            vector type                 ET    lane type
 *   LANES        lanes a vector              ENEG  lane "minus infinity"
 *   EMAX         largest lane value          NARROW_MAX  EMAX of the next
 *                                            narrower width (0: none)
 *   VSET1(x) VZERO() VADDS(a,b) VSUBS(a,b) (saturating where the width
 *   saturates) VMAX(a,b) VADDW(a,b) (wrapping) VANYGT(a,b) (any lane a>b)
 *   VSHL1(v) (lanes up by one, lane 0 = 0) VLANE0(x) (x in lane 0, rest 0)
 *   VSCAN(c, d) (optional) lane l = max over j <= l of c_j - (l - j) * d,
 *   saturating: the cross-lane carry of global and semi-global runs in
 *   log2(LANES) steps instead of up to LANES - 1
 *
 * Narrow widths (8, 16 bits) saturate. Exactness: a local run gives up
 * (GDB_STRIPE_UP) after any column whose maximum could make the next
 * column saturate, with that column's exact state written out; values
 * that saturate downward only ever stand for "below zero", which local
 * alignment never selects. Global and semi-global are only run at a width
 * that holds every value of the matrix (align.c chooses).
 */

#define ST_CAT2(a, b) a##b
#define ST_CAT(a, b) ST_CAT2(a, b)
#define ST_RUN ST_CAT(stripe_run_, SFX)
#define ST_BODY ST_CAT(stripe_body_, SFX)
#define ST_HMAX ST_CAT(stripe_hmax_, SFX)
#define ST_SETUP ST_CAT(stripe_setup_, SFX)
#define ST_PASS ST_CAT(stripe_pass_, SFX)
#define ST_CARRY ST_CAT(stripe_carry_, SFX)
#define ST_APPLY ST_CAT(stripe_apply_, SFX)
#define ST_PASSG ST_CAT(stripe_passg_, SFX)
#define ST_LAZY ST_CAT(stripe_lazy_, SFX)
#define ST_BEST ST_CAT(stripe_best_, SFX)
#define ST_SAVE ST_CAT(stripe_save_, SFX)
#define EA ST_CAT(stripe_lane_, SFX)
#define ST_INLINE TGT static inline __attribute__((always_inline))

/*
 * Lanes are read and written through this type: vector objects may not be
 * accessed through a plain int16_t or int32_t pointer (strict aliasing;
 * only the int8_t instantiation would be safe without it).
 */
typedef ET EA __attribute__((may_alias));

TGT static int64_t ST_HMAX(const V *v, size_t n)
{
	const EA *e = (const EA *)(const void *)v;
	int64_t m = ENEG;
	size_t i;

	for (i = 0; i < n * LANES; i++)
		m = e[i] > m ? e[i] : m;
	return m;
}

static inline ET ST_CAT(stripe_clamp_, SFX)(int64_t v)
{
	return (ET)(v < ENEG ? ENEG : v > EMAX ? EMAX : v);
}
#define ST_CLAMP ST_CAT(stripe_clamp_, SFX)

/*
 * The workspace's vectors: prof[c * seg + s] lane l = score(query[l*seg +
 * s], c); hA, the H of column j0 - 1 (or the left boundary), and ev, the
 * E entering j0, both striped. Returns prof (hA, hB, ev follow it, then a
 * vector the callers' reserve keeps spare).
 */
ST_INLINE V *ST_SETUP(struct gdb_stripe_job *jb, size_t seg, const int mode)
{
	const gdb_align_scoring *sc = jb->sc;
	const size_t q = jb->qlen;
	const int64_t open = sc->gap_open, ext = sc->gap_extend;
	V *prof = jb->ws->buf, *hA = prof + sc->ncodes * seg;
	V *ev = hA + 2 * seg;
	ET tmp[LANES], te[LANES];
	size_t s, l;
	unsigned c;

	for (c = 0; c < sc->ncodes; c++)
		for (s = 0; s < seg; s++) {
			for (l = 0; l < LANES; l++) {
				size_t i = l * seg + s;

				tmp[l] = i < q ? (ET)sc->matrix[jb->qc[i]][c]
					       : (ET)ENEG;
			}
			memcpy(&prof[c * seg + s], tmp, sizeof(V));
		}
	for (s = 0; s < seg; s++) {
		for (l = 0; l < LANES; l++) {
			size_t i = l * seg + s;
			int64_t h = mode == GDB_ALIGN_GLOBAL
					? -(open + (int64_t)i * ext)
					: 0;
			int64_t e = h - open;

			if (i >= q) {
				h = e = ENEG;
			} else if (jb->have_state) {
				h = jb->h[i];
				e = jb->e[i];
			}
			tmp[l] = ST_CLAMP(h);
			te[l] = ST_CLAMP(e);
		}
		memcpy(&hA[s], tmp, sizeof(V));
		memcpy(&ev[s], te, sizeof(V));
	}
	return prof;
}

/*
 * The first pass over column j: H from the diagonal (vH, the previous
 * column's last row shifted in), E and the lane's own F; returns the F
 * leaving each lane's last row, and the column's maximum in *vCol.
 */
ST_INLINE V ST_PASS(const V *restrict P, const V *restrict hPrev,
		    V *restrict hCur, V *restrict ev, V vH, V vF, size_t seg,
		    V vOpen, V vExt, V *vCol, const int local)
{
	const V vZero = VZERO();
	V col = vZero;
	size_t s;

	for (s = 0; s < seg; s++) {
		V vHo;

		/* F last: it is the loop-carried chain, keep it short */
		vH = VADDS(vH, P[s]);
		vH = VMAX(vH, ev[s]);
		if (local)
			vH = VMAX(vH, vZero);
		vH = VMAX(vH, vF);
		hCur[s] = vH;
		col = VMAX(col, vH);
		vHo = VSUBS(vH, vOpen);
		ev[s] = VMAX(VSUBS(ev[s], vExt), vHo);
		vF = VMAX(VSUBS(vF, vExt), vHo);
		vH = hPrev[s];
	}
	*vCol = col;
	return vF;
}

/*
 * Global and semi-global: a vertical gap is often the best way into a
 * cell (in global mode, into every cell below the diagonal), and a
 * carried F then improves every row of every lane below it: the lazy loop
 * would run up to LANES passes over the column, so a wider vector would
 * gain nothing.
 * Instead, carry across the lanes first: lane l + 1 enters with the
 * larger of lane l's own exit F and lane l's carry decayed by seg rows of
 * extension (LANES - 1 shifts at most, stopping once nothing changes),
 * then one pass applies each lane's carry down its rows. The carry alone
 * is enough there: where it raises H, H - open <= F - extend, and the
 * lanes' own F was taken in the first pass.
 */
ST_INLINE V ST_CARRY(V vF, V vSeg)
{
	V vC = VADDW(VSHL1(vF), VLANE0(ENEG));
#ifdef VSCAN
	vC = VSCAN(vC, vSeg);
#else
	unsigned k;

	for (k = 1; k < LANES; k++) {
		V vN = VADDW(VSHL1(vC), VLANE0(ENEG));

		vN = VMAX(vC, VSUBS(vN, vSeg));
		if (!VANYGT(vN, vC))
			break;
		vC = vN;
	}
#endif
	return vC;
}

/* Apply a column's carry (ST_CARRY) down each lane's rows: the pass that
 * the next column's first pass (ST_PASSG) does on the way, done here for
 * the last column. */
ST_INLINE void ST_APPLY(V *restrict hCur, V *restrict ev, V vC, size_t seg,
			V vOpen, V vExt)
{
	for (size_t s = 0; s < seg; s++) {
		V h = VMAX(hCur[s], vC);

		hCur[s] = h;
		ev[s] = VMAX(ev[s], VSUBS(h, vOpen));
		vC = VSUBS(vC, vExt);
	}
}

/*
 * The first pass of a global or semi-global column that also applies the
 * previous column's carry vC (ST_CARRY of its exit F) on the way: its H
 * (the diagonal here) and the E entering this column take it, so the
 * previous column needs no pass of its own. hPrev keeps the values from
 * before the carry.
 */
ST_INLINE V ST_PASSG(const V *restrict P, const V *restrict hPrev,
		     V *restrict hCur, V *restrict ev, V vH, V vF, size_t seg,
		     V vOpen, V vExt, V vC)
{
	for (size_t s = 0; s < seg; s++) {
		V hp = VMAX(hPrev[s], vC), e, vHo;

		e = VMAX(ev[s], VSUBS(hp, vOpen));
		vH = VADDS(vH, P[s]);
		vH = VMAX(vH, e);
		vH = VMAX(vH, vF);
		hCur[s] = vH;
		vHo = VSUBS(vH, vOpen);
		ev[s] = VMAX(VSUBS(e, vExt), vHo);
		vF = VMAX(VSUBS(vF, vExt), vHo);
		vH = hp;
		vC = VSUBS(vC, vExt);
	}
	return vF;
}

/*
 * Local: lazy F. Carry the vertical gaps across lanes: row r takes the
 * carried F, then the carry for row r + 1 is F - extend; once that is
 * <= H[r] - open in every lane (and <= 0, as no F <= 0 can matter in
 * local mode), the first pass already holds it. That test is exact only
 * when open > extend (a raised H gives H - open = F - open < F -
 * extend); with open == extend the loop falls back to Farrar's weaker
 * test.
 */
ST_INLINE void ST_LAZY(V *hCur, V *ev, V vF, size_t seg, V vOpen, V vExt,
		       int same, V *vCol)
{
	const V vZero = VZERO();
	size_t s;
	unsigned k;

	for (k = 0; k < LANES; k++) {
		vF = VADDW(VSHL1(vF), VLANE0(ENEG));
		for (s = 0; s < seg; s++) {
			V h = hCur[s], lim;

			if (same) {
				lim = VMAX(VSUBS(h, vOpen), vZero);
				if (!VANYGT(vF, lim))
					return;
			}
			h = VMAX(h, vF);
			hCur[s] = h;
			*vCol = VMAX(*vCol, h);
			lim = VSUBS(h, vOpen);
			ev[s] = VMAX(ev[s], lim);
			vF = VSUBS(vF, vExt);
			if (!same && !VANYGT(vF, VMAX(lim, vZero)))
				return;
		}
	}
}

/*
 * Local, after column j: a new best (the first row holding it), and
 * whether the run must widen (the next column may saturate) or may narrow
 * (every value fits the narrower lanes again, checked every 128 columns).
 */
ST_INLINE int ST_BEST(struct gdb_stripe_job *jb, const V *hCur, const V *ev,
		      V vCol, V *vBest, V vLimit, size_t j, size_t seg)
{
	if (VANYGT(vCol, *vBest)) {
		int64_t m = ST_HMAX(&vCol, 1);

		if (m > jb->best) {
			const EA *e = (const EA *)(const void *)hCur;
			size_t i;

			jb->best = m;
			jb->tend = (int64_t)j;
			for (i = 0; i < jb->qlen; i++)
				if (e[(i % seg) * LANES + i / seg] == m)
					break;
			jb->qend = (int64_t)i;
		}
		*vBest = VSET1(jb->best > EMAX ? EMAX : jb->best);
	}
	if (sizeof(ET) < 4 && VANYGT(vCol, vLimit))
		return GDB_STRIPE_UP;
	if (NARROW_MAX && (j & 127) == 127) {
		int64_t lim = ((int64_t)NARROW_MAX - 1 - jb->sc->max_score) / 2;

		if (ST_HMAX(hCur, seg) <= lim && ST_HMAX(ev, seg) <= lim)
			return GDB_STRIPE_DOWN;
	}
	return GDB_STRIPE_DONE;
}

/* Hand the state of the last column run over in linear order. */
ST_INLINE void ST_SAVE(struct gdb_stripe_job *jb, const V *hPrev, const V *ev,
		       size_t seg)
{
	const EA *hp = (const EA *)(const void *)hPrev;
	const EA *ep = (const EA *)(const void *)ev;
	size_t i;

	for (i = 0; i < jb->qlen; i++) {
		size_t at = (i % seg) * LANES + i / seg;

		jb->h[i] = hp[at];
		jb->e[i] = ep[at];
	}
}

/* always inlined into ST_RUN once per mode, so mode is a constant there */
ST_INLINE int ST_BODY(struct gdb_stripe_job *jb, size_t j0, size_t *jnext,
		      const int mode)
{
	const gdb_align_scoring *sc = jb->sc;
	const int local = mode == GDB_ALIGN_LOCAL;
	const size_t q = jb->qlen, seg = (q + LANES - 1) / LANES;
	const int32_t open = sc->gap_open, ext = sc->gap_extend;
	const int64_t limit = (int64_t)EMAX - 1 - sc->max_score;
	const size_t ilast = q - 1, slast = ilast % seg, llast = ilast / seg;
	/* seg rows of extension, for the carry of global and semi-global
	 * runs: seg * extend <= qlen * extend <= the bound that align.c chose
	 * this width to hold, so it fits a lane */
	const V vOpen = VSET1(open), vExt = VSET1(ext), vNeg = VSET1(ENEG),
		vSeg = VSET1(ST_CLAMP((int64_t)seg * ext)),
		vSeg1 = VSET1(ST_CLAMP((int64_t)(seg - 1) * ext)),
		vLimit = VSET1(limit < ENEG ? ENEG : limit);
	V *prof, *hPrev, *hCur, *ev, vBest = VSET1(ST_CLAMP(jb->best));
	V vC = vNeg; /* global, semi-global: the carry still to apply */
	size_t j;
	int rc = GDB_STRIPE_DONE;

	if (gdb_align_ws_reserve(&jb->ws->buf, &jb->ws->buf_size,
				 (sc->ncodes + 4) * seg * sizeof(V), 64))
		return -ENOMEM;
	prof = ST_SETUP(jb, seg, mode);
	hPrev = prof + sc->ncodes * seg;
	hCur = hPrev + seg;
	ev = hCur + seg;
	for (j = j0; j < jb->tlen && rc == GDB_STRIPE_DONE; j++) {
		const V *P = prof + sc->map[(unsigned char)jb->target[j]] * seg;
		V vH = VSHL1(local ? hPrev[seg - 1]
				   : VMAX(hPrev[seg - 1], VSUBS(vC, vSeg1))),
		  vF = vNeg, vCol, *sw;

		if (mode == GDB_ALIGN_GLOBAL) {
			int64_t d = j ? -(open + (int64_t)(j - 1) * ext) : 0;
			int64_t f = -(open + (int64_t)j * ext) - open;

			vH = VADDW(vH, VLANE0(d < ENEG ? ENEG : d));
			vF = VADDW(VSHL1(vNeg), VLANE0(f < ENEG ? ENEG : f));
		} else if (mode == GDB_ALIGN_SEMIGLOBAL) {
			vF = VADDW(VSHL1(vNeg), VLANE0(-open));
		}
		if (local) {
			vF = ST_PASS(P, hPrev, hCur, ev, vH, vF, seg, vOpen,
				     vExt, &vCol, local);
			ST_LAZY(hCur, ev, vF, seg, vOpen, vExt, open == ext,
				&vCol);
			rc =
			    ST_BEST(jb, hCur, ev, vCol, &vBest, vLimit, j, seg);
		} else {
			vF = ST_PASSG(P, hPrev, hCur, ev, vH, vF, seg, vOpen,
				      vExt, vC);
			vC = ST_CARRY(vF, vSeg);
		}
		if (mode == GDB_ALIGN_SEMIGLOBAL && j + 1 < jb->tlen) {
			/* the last row's H with this column's carry */
			int64_t v =
			    ((const EA *)(void *)hCur)[slast * LANES + llast];
			int64_t c = ((const EA *)(const void *)&vC)[llast] -
				    (int64_t)slast * ext;

			v = c > v ? c : v;
			if (v > jb->best) {
				jb->best = v;
				jb->qend = (int64_t)ilast;
				jb->tend = (int64_t)j;
			}
		}
		sw = hPrev;
		hPrev = hCur;
		hCur = sw;
	}
	if (!local)
		ST_APPLY(hPrev, ev, vC, seg, vOpen, vExt);
	*jnext = j;
	ST_SAVE(jb, hPrev, ev, seg);
	return rc;
}

TGT static int ST_RUN(struct gdb_stripe_job *jb, size_t j0, size_t *jnext)
{
	switch (jb->mode) {
	case GDB_ALIGN_LOCAL:
		return ST_BODY(jb, j0, jnext, GDB_ALIGN_LOCAL);
	case GDB_ALIGN_GLOBAL:
		return ST_BODY(jb, j0, jnext, GDB_ALIGN_GLOBAL);
	default:
		return ST_BODY(jb, j0, jnext, GDB_ALIGN_SEMIGLOBAL);
	}
}

#undef ST_RUN
#undef ST_BODY
#undef ST_HMAX
#undef ST_SETUP
#undef ST_PASS
#undef ST_CARRY
#undef ST_APPLY
#undef ST_PASSG
#undef ST_LAZY
#undef ST_BEST
#undef ST_SAVE
#undef ST_CLAMP
#undef ST_INLINE
#undef EA
#undef SFX
#undef TGT
#undef V
#undef ET
#undef LANES
#undef ENEG
#undef EMAX
#undef NARROW_MAX
#undef VSET1
#undef VZERO
#undef VADDS
#undef VSUBS
#undef VMAX
#undef VADDW
#undef VANYGT
#undef VSHL1
#undef VLANE0
#undef VSCAN
