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
#define EA ST_CAT(stripe_lane_, SFX)

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

/* always inlined into ST_RUN once per mode, so mode is a constant there */
TGT static inline __attribute__((always_inline)) int
ST_BODY(struct gdb_stripe_job *jb, size_t j0, size_t *jnext, const int mode)
{
	const gdb_align_scoring *sc = jb->sc;
	const int local = mode == GDB_ALIGN_LOCAL;
	const size_t q = jb->qlen, seg = (q + LANES - 1) / LANES;
	const unsigned ncodes = sc->ncodes;
	const int32_t open = sc->gap_open, ext = sc->gap_extend;
	const int64_t limit = (int64_t)EMAX - 1 - sc->max_score;
	const size_t ilast = q - 1, slast = ilast % seg, llast = ilast / seg;
	V *prof, *hA, *hB, *ev, *hPrev, *hCur;
	V vOpen, vExt, vZero, vNeg, vBest, vLimit, vSeg;
	EA *tmp;
	size_t s, l, j;
	unsigned c;
	int rc = GDB_STRIPE_DONE;

	if (gdb_align_ws_reserve(&jb->ws->buf, &jb->ws->buf_size,
				 (ncodes + 4) * seg * sizeof(V), 64))
		return -ENOMEM;
	prof = jb->ws->buf;
	hA = prof + ncodes * seg;
	hB = hA + seg;
	ev = hB + seg;
	tmp = (EA *)(void *)(ev + seg); /* one vector of scratch */

	/* profile: prof[c * seg + s] lane l = score(query[l*seg + s], c) */
	for (c = 0; c < ncodes; c++)
		for (s = 0; s < seg; s++) {
			for (l = 0; l < LANES; l++) {
				size_t i = l * seg + s;

				tmp[l] = i < q ? (ET)sc->matrix[jb->qc[i]][c]
					       : (ET)ENEG;
			}
			memcpy(&prof[c * seg + s], tmp, sizeof(V));
		}

	/* state of column j0 - 1 (or the left boundary) and E entering j0 */
	for (s = 0; s < seg; s++) {
		ET th[LANES], te[LANES];

		for (l = 0; l < LANES; l++) {
			size_t i = l * seg + s;
			int64_t h, e;

			if (i >= q) {
				h = e = ENEG;
			} else if (jb->have_state) {
				h = jb->h[i];
				e = jb->e[i];
			} else {
				h = mode == GDB_ALIGN_GLOBAL
					    ? -(open + (int64_t)i * ext)
					    : 0;
				e = h - open;
			}
			th[l] = (ET)(h < ENEG ? ENEG : h > EMAX ? EMAX : h);
			te[l] = (ET)(e < ENEG ? ENEG : e > EMAX ? EMAX : e);
		}
		memcpy(&hA[s], th, sizeof(V));
		memcpy(&ev[s], te, sizeof(V));
	}

	vOpen = VSET1(open);
	vExt = VSET1(ext);
	vZero = VZERO();
	vNeg = VSET1(ENEG);
	vBest = VSET1(jb->best < ENEG ? ENEG
				       : jb->best > EMAX ? EMAX : jb->best);
	vLimit = VSET1(limit < ENEG ? ENEG : limit);
	/*
	 * seg rows of extension, for the cross-lane carry of global and
	 * semi-global runs: seg * extend <= qlen * extend <= the bound that
	 * align.c chose this width to hold, so it fits a lane.
	 */
	vSeg = VSET1((int64_t)seg * ext > EMAX ? EMAX : (int64_t)seg * ext);
	hPrev = hA;
	hCur = hB;
	for (j = j0; j < jb->tlen; j++) {
		const V *P = prof + sc->map[(unsigned char)jb->target[j]] * seg;
		V vH = VSHL1(hPrev[seg - 1]), vF, vCol = vZero, *sw;
		unsigned k;

		if (mode == GDB_ALIGN_GLOBAL) {
			int64_t d = j ? -(open + (int64_t)(j - 1) * ext) : 0;
			int64_t f = -(open + (int64_t)j * ext) - open;

			vH = VADDW(vH, VLANE0(d < ENEG ? ENEG : d));
			vF = VADDW(VSHL1(vNeg), VLANE0(f < ENEG ? ENEG : f));
		} else if (mode == GDB_ALIGN_SEMIGLOBAL) {
			vF = VADDW(VSHL1(vNeg), VLANE0(-open));
		} else {
			vF = vNeg;
		}
		for (s = 0; s < seg; s++) {
			V vHo;

			/* F last: it is the loop-carried chain, keep it short */
			vH = VADDS(vH, P[s]);
			vH = VMAX(vH, ev[s]);
			if (local)
				vH = VMAX(vH, vZero);
			vH = VMAX(vH, vF);
			hCur[s] = vH;
			vCol = VMAX(vCol, vH);
			vHo = VSUBS(vH, vOpen);
			ev[s] = VMAX(VSUBS(ev[s], vExt), vHo);
			vF = VMAX(VSUBS(vF, vExt), vHo);
			vH = hPrev[s];
		}
		if (!local) {
			/*
			 * Global and semi-global: a vertical gap is often the
			 * best way into a cell (in global mode, into every cell
			 * below the diagonal), and a carried F then improves
			 * every row of every lane below it: the lazy loop would
			 * run up to LANES passes over the column, so a wider
			 * vector would gain nothing.
			 * Instead, carry across the lanes first: lane l + 1
			 * enters with the larger of lane l's own exit F and
			 * lane l's carry decayed by seg rows of extension
			 * (LANES - 1 shifts at most, stopping once nothing
			 * changes), then one pass applies each lane's carry
			 * down its rows. The carry alone is enough there:
			 * where it raises H, H - open <= F - extend, and the
			 * lanes' own F was taken in the first pass.
			 */
			V vC = VADDW(VSHL1(vF), VLANE0(ENEG));

			for (k = 1; k < LANES; k++) {
				V vN = VADDW(VSHL1(vC), VLANE0(ENEG));

				vN = VMAX(vC, VSUBS(vN, vSeg));
				if (!VANYGT(vN, vC))
					break;
				vC = vN;
			}
			for (s = 0; s < seg; s++) {
				V h = VMAX(hCur[s], vC);

				hCur[s] = h;
				ev[s] = VMAX(ev[s], VSUBS(h, vOpen));
				vC = VSUBS(vC, vExt);
			}
			goto lazy_done;
		}
		/*
		 * Lazy F: carry the vertical gaps across lanes. Row r takes
		 * the carried F, then the carry for row r + 1 is F - extend;
		 * once that is <= H[r] - open in every lane (and, local, <= 0,
		 * as no F <= 0 can matter there), the first pass already holds
		 * it. That test is exact only when open > extend (a raised H
		 * gives H - open = F - open < F - extend); with open ==
		 * extend the loop falls back to Farrar's weaker test.
		 */
		for (k = 0; k < LANES; k++) {
			vF = VADDW(VSHL1(vF), VLANE0(ENEG));
			for (s = 0; s < seg; s++) {
				V h = hCur[s], lim;

				if (open == ext) {
					lim = VSUBS(h, vOpen);
					if (local)
						lim = VMAX(lim, vZero);
					if (!VANYGT(vF, lim))
						goto lazy_done;
				}
				h = VMAX(h, vF);
				hCur[s] = h;
				vCol = VMAX(vCol, h);
				lim = VSUBS(h, vOpen);
				ev[s] = VMAX(ev[s], lim);
				vF = VSUBS(vF, vExt);
				if (local)
					lim = VMAX(lim, vZero);
				if (open != ext && !VANYGT(vF, lim))
					goto lazy_done;
			}
		}
lazy_done:
		if (local) {
			if (VANYGT(vCol, vBest)) {
				int64_t m = ST_HMAX(&vCol, 1);

				if (m > jb->best) {
					const EA *e = (const EA *)(void *)hCur;
					size_t i;

					jb->best = m;
					jb->tend = (int64_t)j;
					for (i = 0; i < q; i++)
						if (e[(i % seg) * LANES +
						      i / seg] == m)
							break;
					jb->qend = (int64_t)i;
				}
				vBest = VSET1(jb->best > EMAX ? EMAX : jb->best);
			}
			if (sizeof(ET) < 4 && VANYGT(vCol, vLimit)) {
				rc = GDB_STRIPE_UP;
			} else if (NARROW_MAX && (j & 127) == 127) {
				int64_t lim = ((int64_t)NARROW_MAX - 1 -
					       sc->max_score) / 2;

				if (ST_HMAX(hCur, seg) <= lim &&
				    ST_HMAX(ev, seg) <= lim)
					rc = GDB_STRIPE_DOWN;
			}
		} else if (mode == GDB_ALIGN_SEMIGLOBAL && j + 1 < jb->tlen) {
			int64_t v = ((const EA *)(void *)hCur)[slast * LANES +
							       llast];

			if (v > jb->best) {
				jb->best = v;
				jb->qend = (int64_t)ilast;
				jb->tend = (int64_t)j;
			}
		}
		sw = hPrev;
		hPrev = hCur;
		hCur = sw;
		if (rc != GDB_STRIPE_DONE) {
			j++;
			break;
		}
	}
	if (rc == GDB_STRIPE_DONE)
		j = jb->tlen;
	*jnext = j;
	/* hand the state over in linear order */
	{
		const EA *hp = (const EA *)(void *)hPrev;
		const EA *ep = (const EA *)(void *)ev;
		size_t i;

		for (i = 0; i < q; i++) {
			size_t at = (i % seg) * LANES + i / seg;

			jb->h[i] = hp[at];
			jb->e[i] = ep[at];
		}
	}
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
