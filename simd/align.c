/*
 * simd/align.c - pairwise alignment: scoring tables, workspaces, the
 * scalar reference, the lane-width driver of the striped kernels and
 * traceback (batches: align_batch.c).
 *
 * Recurrences (Gotoh, with a gap of length L costing open + (L-1)*extend
 * as parasail counts it), for query row i and target column j:
 *   E[i][j] = max(E[i][j-1] - extend, H[i][j-1] - open)   gap in query (D)
 *   F[i][j] = max(F[i-1][j] - extend, H[i-1][j] - open)   gap in target (I)
 *   H[i][j] = max(H[i-1][j-1] + s(q_i, t_j), E[i][j], F[i][j] [, 0 local])
 * Boundaries: local and semi-global have H = 0 on row and column -1;
 * global has H[-1][-1] = 0 and H = -(open + (L-1)*extend) at distance L.
 *
 * Lane widths: local runs start in 8-bit lanes and move to 16 or 32 bits
 * only for the columns whose values could saturate (a real hit), then come
 * back down once the values are small again, so one strong hit in a long
 * target does not make the whole target run at half speed. Global and
 * semi-global values go negative without bound, so those pick the
 * narrowest width that holds |any value| for the lengths once.
 *
 * Traceback never runs the full matrix for local mode: the score-only
 * kernel gives the best cell, and an alignment ending there with a
 * positive score cannot start more than (query prefix) + (query prefix *
 * best match / extend) target bases earlier, so only that window is
 * re-aligned with a traceback byte per cell.
 *
 * Many short queries against one target (primer panels) fill the lanes
 * across queries instead: a batch hands them to the level's align_many
 * (align_many.c, align_batch.c), one query a lane.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gdb.h"
#include "simd/analysis_int.h"

#define NEG32 (-(1 << 29)) /* "minus infinity" that cannot overflow */
#define BOUND32 (1 << 28)  /* largest |value| the 32-bit path accepts */

/* ---- scoring ---- */

static void scoring_minmax(gdb_align_scoring *sc)
{
	unsigned a, b;

	sc->max_score = -128;
	sc->min_score = 127;
	for (a = 0; a < sc->ncodes; a++)
		for (b = 0; b < sc->ncodes; b++) {
			int v = sc->matrix[a][b];

			sc->max_score = v > sc->max_score ? v : sc->max_score;
			sc->min_score = v < sc->min_score ? v : sc->min_score;
		}
}

static int gaps_ok(int open, int extend)
{
	return extend >= 0 && extend <= open && open <= 127;
}

int gdb_align_scoring_dna(int match, int mismatch, int gap_open, int gap_extend,
			  gdb_align_scoring *out)
{
	unsigned a, b;

	if (match < -127 || match > 127 || mismatch < -127 || mismatch > 127 ||
	    !gaps_ok(gap_open, gap_extend))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	memset(out->map, 4, sizeof(out->map));
	out->map['A'] = out->map['a'] = 0;
	out->map['C'] = out->map['c'] = 1;
	out->map['G'] = out->map['g'] = 2;
	out->map['T'] = out->map['t'] = 3;
	out->map['U'] = out->map['u'] = 3; /* U is T */
	out->ncodes = 5;
	for (a = 0; a < 5; a++)
		for (b = 0; b < 5; b++)
			out->matrix[a][b] =
			    (int8_t)(a == b && a < 4 ? match : mismatch);
	out->gap_open = gap_open;
	out->gap_extend = gap_extend;
	scoring_minmax(out);
	return 0;
}

static const char blosum_alpha[] = "ARNDCQEGHILKMFPSTWYVBZX*";
static const int8_t blosum62[24][24] = {
    {4,	 -1, -2, -2, 0, -1, -1, 0, -2, -1, -1, -1,
     -1, -2, -1, 1,  0, -3, -2, 0, -2, -1, 0,  -4},
    {-1, 5,  0,	 -2, -3, 1,  0,	 -2, 0,	 -3, -2, 2,
     -1, -3, -2, -1, -1, -3, -2, -3, -1, 0,  -1, -4},
    {-2, 0,  6,	 1, -3, 0,  0,	0,  1, -3, -3, 0,
     -2, -3, -2, 1, 0,	-4, -2, -3, 3, 0,  -1, -4},
    {-2, -2, 1,	 6, -3, 0,  2,	-1, -1, -3, -4, -1,
     -3, -3, -1, 0, -1, -4, -3, -3, 4,	1,  -1, -4},
    {0,	 -3, -3, -3, 9,	 -3, -4, -3, -3, -1, -1, -3,
     -1, -2, -3, -1, -1, -2, -2, -1, -3, -3, -2, -4},
    {-1, 1,  0,	 0, -3, 5,  2,	-2, 0, -3, -2, 1,
     0,	 -3, -1, 0, -1, -2, -1, -2, 0, 3,  -1, -4},
    {-1, 0,  0,	 2, -4, 2,  5,	-2, 0, -3, -3, 1,
     -2, -3, -1, 0, -1, -3, -2, -2, 1, 4,  -1, -4},
    {0,	 -2, 0,	 -1, -3, -2, -2, 6,  -2, -4, -4, -2,
     -3, -3, -2, 0,  -2, -2, -3, -3, -1, -2, -1, -4},
    {-2, 0,  1,	 -1, -3, 0,  0, -2, 8, -3, -3, -1,
     -2, -1, -2, -1, -2, -2, 2, -3, 0, 0,  -1, -4},
    {-1, -3, -3, -3, -1, -3, -3, -4, -3, 4,  2,	 -3,
     1,	 0,  -3, -2, -1, -3, -1, 3,  -3, -3, -1, -4},
    {-1, -2, -3, -4, -1, -2, -3, -4, -3, 2,  4,	 -2,
     2,	 0,  -3, -2, -1, -2, -1, 1,  -4, -3, -1, -4},
    {-1, 2,  0,	 -1, -3, 1,  1,	 -2, -1, -3, -2, 5,
     -1, -3, -1, 0,  -1, -3, -2, -2, 0,	 1,  -1, -4},
    {-1, -1, -2, -3, -1, 0,  -2, -3, -2, 1,  2,	 -1,
     5,	 0,  -2, -1, -1, -1, -1, 1,  -3, -1, -1, -4},
    {-2, -3, -3, -3, -2, -3, -3, -3, -1, 0,  0,	 -3,
     0,	 6,  -4, -2, -2, 1,  3,	 -1, -3, -3, -1, -4},
    {-1, -2, -2, -1, -3, -1, -1, -2, -2, -3, -3, -1,
     -2, -4, 7,	 -1, -1, -4, -3, -2, -2, -1, -2, -4},
    {1,	 -1, 1,	 0, -1, 0,  0,	0,  -1, -2, -2, 0,
     -1, -2, -1, 4, 1,	-3, -2, -2, 0,	0,  0,	-4},
    {0,	 -1, 0,	 -1, -1, -1, -1, -2, -2, -1, -1, -1,
     -1, -2, -1, 1,  5,	 -2, -2, 0,  -1, -1, 0,	 -4},
    {-3, -3, -4, -4, -2, -2, -3, -2, -2, -3, -2, -3,
     -1, 1,  -4, -3, -2, 11, 2,	 -3, -4, -3, -2, -4},
    {-2, -2, -2, -3, -2, -1, -2, -3, 2,	 -1, -1, -2,
     -1, 3,  -3, -2, -2, 2,  7,	 -1, -3, -2, -1, -4},
    {0, -3, -3, -3, -1, -2, -2, -3, -3, 3,  1,	-2,
     1, -1, -2, -2, 0,	-3, -1, 4,  -3, -2, -1, -4},
    {-2, -1, 3,	 4, -3, 0,  1,	-1, 0, -3, -4, 0,
     -3, -3, -2, 0, -1, -4, -3, -3, 4, 1,  -1, -4},
    {-1, 0,  0,	 1, -3, 3,  4,	-2, 0, -3, -3, 1,
     -1, -3, -1, 0, -1, -3, -2, -2, 1, 4,  -1, -4},
    {0,	 -1, -1, -1, -2, -1, -1, -1, -1, -1, -1, -1,
     -1, -1, -2, 0,  0,	 -2, -1, -1, -1, -1, -1, -4},
    {-4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4,
     -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, 1},
};

int gdb_align_scoring_blosum62(int gap_open, int gap_extend,
			       gdb_align_scoring *out)
{
	unsigned a, b;

	if (!gaps_ok(gap_open, gap_extend))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	memset(out->map, 23, sizeof(out->map));
	for (a = 0; a < 24; a++) {
		unsigned char c = (unsigned char)blosum_alpha[a];

		out->map[c] = (uint8_t)a;
		if (c >= 'A' && c <= 'Z')
			out->map[c | 0x20] = (uint8_t)a;
	}
	out->ncodes = 24;
	for (a = 0; a < 24; a++)
		for (b = 0; b < 24; b++)
			out->matrix[a][b] = blosum62[a][b];
	out->gap_open = gap_open;
	out->gap_extend = gap_extend;
	scoring_minmax(out);
	return 0;
}

/* ---- workspace ---- */

int gdb_align_ws_new(gdb_align_ws **out)
{
	gdb_align_ws *ws = calloc(1, sizeof(*ws));

	if (!ws)
		return -ENOMEM;
	*out = ws;
	return 0;
}

void gdb_align_ws_free(gdb_align_ws *ws)
{
	if (!ws)
		return;
	free(ws->buf);
	free(ws->tb);
	free(ws->lin);
	free(ws->cigar);
	free(ws);
}

int gdb_align_ws_reserve(void **p, size_t *have, size_t want, size_t align)
{
	void *n;

	if (*have >= want && *p)
		return 0;
	want += want / 2 + 64;
	if (align > 1) {
		want = (want + align - 1) & ~(align - 1);
		n = aligned_alloc(align, want);
	} else {
		n = malloc(want);
	}
	if (!n)
		return -ENOMEM;
	/* contents need not survive: every user refills what it reads */
	free(*p);
	*p = n;
	*have = want;
	return 0;
}

/* ---- shared checks ---- */

static int64_t max_abs(const gdb_align_scoring *sc)
{
	int64_t m = sc->gap_open;

	if (-sc->min_score > m)
		m = -sc->min_score;
	if (sc->max_score > m)
		m = sc->max_score;
	return m;
}

int64_t gdb_align_bound(const gdb_align_scoring *sc, enum gdb_align_mode mode,
			size_t qlen, size_t tlen)
{
	int64_t m = max_abs(sc);

	if (qlen > (size_t)1 << 40 || tlen > (size_t)1 << 40)
		return INT64_MAX / 4;
	if (mode == GDB_ALIGN_LOCAL)
		return (int64_t)(qlen + 2) * m;
	return (int64_t)(qlen + tlen + 2) * m;
}

int gdb_align_prologue(const gdb_align_scoring *sc, enum gdb_align_mode mode,
		       size_t qlen, size_t tlen, gdb_align_result *res)
{
	if ((unsigned)mode > GDB_ALIGN_SEMIGLOBAL || !sc || sc->ncodes < 1 ||
	    sc->ncodes > 32 || !gaps_ok(sc->gap_open, sc->gap_extend))
		return -EINVAL;
	if (gdb_align_bound(sc, mode, qlen, tlen) >= BOUND32)
		return -E2BIG;
	memset(res, 0, sizeof(*res));
	res->cigar = NULL;
	res->query_begin = res->target_begin = -1;
	if (mode == GDB_ALIGN_GLOBAL) {
		res->query_begin = res->target_begin = 0;
		res->query_end = (int64_t)qlen;
		res->target_end = (int64_t)tlen;
	}
	if (qlen && tlen)
		return 0;
	res->lane_bits = 32;
	res->query_begin = res->target_begin = 0;
	if (mode == GDB_ALIGN_GLOBAL && qlen + tlen)
		res->score = -(sc->gap_open +
			       (int64_t)(qlen + tlen - 1) * sc->gap_extend);
	return 1;
}

/* ---- the scalar reference ---- */

static int32_t top_h(const gdb_align_scoring *sc, int mode, int64_t j)
{
	/* H[-1][j]: a gap of j + 1 target bases before the query (global) */
	if (mode != GDB_ALIGN_GLOBAL || j < 0)
		return 0;
	return -(int32_t)(sc->gap_open + j * sc->gap_extend);
}

static int scalar_align_score(const gdb_align_scoring *sc,
			      enum gdb_align_mode mode, const char *query,
			      size_t qlen, const char *target, size_t tlen,
			      gdb_align_ws *ws, gdb_align_result *res)
{
	const int32_t open = sc->gap_open, ext = sc->gap_extend;
	gdb_align_ws *own = NULL;
	int32_t *H, *E;
	uint8_t *qc;
	int64_t best = NEG32, qe = 0, te = 0;
	size_t i, j;
	int rc = gdb_align_prologue(sc, mode, qlen, tlen, res);

	if (rc)
		return rc < 0 ? rc : 0;
	if (!ws) {
		GDB_TRY(gdb_align_ws_new(&own));
		ws = own;
	}
	rc =
	    gdb_align_ws_reserve((void **)&ws->lin, &ws->lin_size, qlen * 9, 0);
	if (rc)
		goto out;
	H = ws->lin;
	E = H + qlen;
	qc = (uint8_t *)(E + qlen);
	for (i = 0; i < qlen; i++) {
		qc[i] = sc->map[(unsigned char)query[i]];
		H[i] = mode == GDB_ALIGN_GLOBAL
			   ? -(int32_t)(open + (int64_t)i * ext)
			   : 0;
		E[i] = H[i] - open;
	}
	if (mode == GDB_ALIGN_LOCAL)
		best = 0;
	for (j = 0; j < tlen; j++) {
		uint8_t c = sc->map[(unsigned char)target[j]];
		int32_t diag = top_h(sc, mode, (int64_t)j - 1);
		int32_t f = top_h(sc, mode, (int64_t)j) - open;

		for (i = 0; i < qlen; i++) {
			int32_t h = diag + sc->matrix[qc[i]][c], e = E[i];

			if (e > h)
				h = e;
			if (f > h)
				h = f;
			if (mode == GDB_ALIGN_LOCAL && h < 0)
				h = 0;
			diag = H[i];
			H[i] = h;
			E[i] = e - ext > h - open ? e - ext : h - open;
			f = f - ext > h - open ? f - ext : h - open;
			if (mode == GDB_ALIGN_LOCAL && h > best) {
				best = h;
				qe = (int64_t)i;
				te = (int64_t)j;
			}
		}
		if (mode == GDB_ALIGN_SEMIGLOBAL && j + 1 < tlen &&
		    H[qlen - 1] > best) {
			best = H[qlen - 1];
			qe = (int64_t)qlen - 1;
			te = (int64_t)j;
		}
	}
	if (mode == GDB_ALIGN_SEMIGLOBAL) {
		for (i = 0; i < qlen; i++)
			if (H[i] > best) {
				best = H[i];
				qe = (int64_t)i;
				te = (int64_t)tlen - 1;
			}
	}
	if (mode == GDB_ALIGN_GLOBAL) {
		best = H[qlen - 1];
		qe = (int64_t)qlen - 1;
		te = (int64_t)tlen - 1;
	}
	res->score = best;
	res->lane_bits = 32;
	if (mode == GDB_ALIGN_LOCAL && best == 0) {
		res->query_end = res->target_end = 0;
		res->query_begin = res->target_begin = 0;
	} else {
		res->query_end = qe + 1;
		res->target_end = te + 1;
	}
out:
	gdb_align_ws_free(own);
	return rc;
}

/* ---- the striped driver ---- */

int gdb_align_striped(const gdb_stripe_fn run[3], const gdb_align_scoring *sc,
		      enum gdb_align_mode mode, const char *query, size_t qlen,
		      const char *target, size_t tlen, gdb_align_ws *ws,
		      gdb_align_result *res)
{
	struct gdb_stripe_job jb;
	gdb_align_ws *own = NULL;
	int w, widest, rc = gdb_align_prologue(sc, mode, qlen, tlen, res);
	size_t i, j = 0, jn;
	uint8_t *qc;

	if (rc)
		return rc < 0 ? rc : 0;
	if (!ws) {
		GDB_TRY(gdb_align_ws_new(&own));
		ws = own;
	}
	rc =
	    gdb_align_ws_reserve((void **)&ws->lin, &ws->lin_size, qlen * 9, 0);
	if (rc)
		goto out;
	memset(&jb, 0, sizeof(jb));
	jb.sc = sc;
	jb.mode = mode;
	jb.qlen = qlen;
	jb.target = target;
	jb.tlen = tlen;
	jb.ws = ws;
	jb.h = ws->lin;
	jb.e = jb.h + qlen;
	qc = (uint8_t *)(jb.e + qlen);
	for (i = 0; i < qlen; i++)
		qc[i] = sc->map[(unsigned char)query[i]];
	jb.qc = qc;
	jb.best = mode == GDB_ALIGN_LOCAL ? 0 : NEG32;
	if (mode == GDB_ALIGN_LOCAL) {
		w = sc->max_score < 100 ? 0 : 1;
	} else {
		int64_t b =
		    gdb_align_bound(sc, mode, qlen, tlen) + 2 * max_abs(sc);

		w = b < 120 ? 0 : b < 32000 ? 1 : 2;
	}
	widest = w;
	for (;;) {
		rc = run[w](&jb, j, &jn);
		if (rc < 0)
			goto out;
		j = jn;
		jb.have_state = 1;
		if (rc == GDB_STRIPE_DONE)
			break;
		w += rc == GDB_STRIPE_UP ? 1 : -1;
		if (w > 2 || w < 0) { /* a runner broke its contract */
			rc = -EPROTO;
			goto out;
		}
		widest = w > widest ? w : widest;
	}
	rc = 0;
	if (mode == GDB_ALIGN_SEMIGLOBAL) {
		for (i = 0; i < qlen; i++)
			if (jb.h[i] > jb.best) {
				jb.best = jb.h[i];
				jb.qend = (int64_t)i;
				jb.tend = (int64_t)tlen - 1;
			}
	} else if (mode == GDB_ALIGN_GLOBAL) {
		jb.best = jb.h[qlen - 1];
		jb.qend = (int64_t)qlen - 1;
		jb.tend = (int64_t)tlen - 1;
	}
	res->score = jb.best;
	res->lane_bits = 8 << widest;
	if (mode == GDB_ALIGN_LOCAL && jb.best == 0) {
		res->query_end = res->target_end = 0;
		res->query_begin = res->target_begin = 0;
	} else {
		res->query_end = jb.qend + 1;
		res->target_end = jb.tend + 1;
	}
out:
	gdb_align_ws_free(own);
	return rc;
}

/* ---- traceback ---- */

#define TB_DIAG 0
#define TB_E 1
#define TB_F 2
#define TB_ZERO 3
#define TB_EEXT 4
#define TB_FEXT 8

/* The traceback matrix of q[0, m) x t[0, n) and what fills and reads it. */
struct tb {
	const gdb_align_scoring *sc;
	int mode;
	size_t m, n, stride; /* rows are query positions, 1 .. m */
	uint8_t *tb, *qc, *tc;
	char *ops;	       /* the trace, end to start */
	int32_t *Hp, *lastcol; /* the last row's H, the last column's H */
};

/* One row i of the DP (1-based), a traceback byte per cell. */
static void tb_row(struct tb *x, size_t i, int32_t *Fc)
{
	const gdb_align_scoring *sc = x->sc;
	const int32_t open = sc->gap_open, ext = sc->gap_extend;
	const int8_t *row = sc->matrix[x->qc[i - 1]];
	uint8_t *tbr = x->tb + i * x->stride;
	int32_t *Hp = x->Hp, diag = Hp[0], e = NEG32, left;
	size_t j;

	left = x->mode == GDB_ALIGN_GLOBAL
		   ? -(int32_t)(open + (int64_t)(i - 1) * ext)
		   : 0;
	Hp[0] = left;
	for (j = 1; j <= x->n; j++) {
		int32_t eo = left - open, ee = e - ext;
		int32_t fo = Hp[j] - open, fe = Fc[j] - ext;
		int32_t f, h;
		uint8_t b = 0;

		if (ee > eo) {
			e = ee;
			b |= TB_EEXT;
		} else {
			e = eo;
		}
		if (fe > fo) {
			f = fe;
			b |= TB_FEXT;
		} else {
			f = fo;
		}
		h = diag + row[x->tc[j - 1]];
		if (e > h) {
			h = e;
			b |= TB_E;
		}
		if (f > h) {
			h = f;
			b = (uint8_t)((b & ~3) | TB_F);
		}
		if (x->mode == GDB_ALIGN_LOCAL && h <= 0) {
			h = 0;
			b = (uint8_t)((b & ~3) | TB_ZERO);
		}
		tbr[j] = b;
		diag = Hp[j];
		Hp[j] = h;
		Fc[j] = f;
		left = h;
	}
	x->lastcol[i] = left;
}

/* The cell the trace starts from, and its score. */
static int64_t tb_end(const struct tb *x, size_t *bi, size_t *bj)
{
	int64_t best = NEG32;
	size_t i, j;

	*bi = x->m;
	*bj = x->n;
	if (x->mode != GDB_ALIGN_SEMIGLOBAL)
		return x->Hp[x->n];
	for (j = 1; j < x->n; j++)
		if (x->Hp[j] > best) {
			best = x->Hp[j];
			*bi = x->m;
			*bj = j;
		}
	for (i = 1; i <= x->m; i++)
		if (x->lastcol[i] > best) {
			best = x->lastcol[i];
			*bi = i;
			*bj = x->n;
		}
	return best;
}

/* Walk back from (*i, *j) to the alignment's start; returns the ops
 * written (end to start). */
static size_t tb_walk(const struct tb *x, size_t *pi, size_t *pj)
{
	const gdb_align_scoring *sc = x->sc;
	size_t i = *pi, j = *pj, nops = 0;
	int state = 0;

	for (;;) {
		uint8_t b;

		if (i == 0 || j == 0) {
			if (x->mode == GDB_ALIGN_GLOBAL) {
				for (; i > 0; i--)
					x->ops[nops++] = 'I';
				for (; j > 0; j--)
					x->ops[nops++] = 'D';
			}
			break;
		}
		b = x->tb[i * x->stride + j];
		if (state == 0) {
			int src = b & 3;

			if (src == TB_ZERO)
				break;
			if (src != TB_DIAG) {
				state = src;
				continue;
			}
			x->ops[nops++] =
			    x->qc[i - 1] == x->tc[j - 1] &&
				    sc->matrix[x->qc[i - 1]][x->tc[j - 1]] > 0
				? '='
				: 'X';
			i--;
			j--;
		} else if (state == TB_E) {
			x->ops[nops++] = 'D';
			j--;
			if (!(b & TB_EEXT))
				state = 0;
		} else {
			x->ops[nops++] = 'I';
			i--;
			if (!(b & TB_FEXT))
				state = 0;
		}
	}
	*pi = i;
	*pj = j;
	return nops;
}

/* Run-length encode the ops (end to start) into ws->cigar, reversed. */
static int tb_cigar(gdb_align_ws *ws, const char *ops, size_t nops)
{
	size_t k, cl = 0;

	/* at most 12 characters a run */
	GDB_TRY(gdb_align_ws_reserve((void **)&ws->cigar, &ws->cigar_size,
				     nops * 12 + 1, 0));
	for (k = nops; k > 0;) {
		char op = ops[k - 1];
		size_t run = 0;

		while (k > 0 && ops[k - 1] == op) {
			run++;
			k--;
		}
		cl += (size_t)snprintf(ws->cigar + cl, 13, "%zu%c", run, op);
	}
	ws->cigar[cl] = 0;
	return 0;
}

/*
 * Full DP with a traceback byte per cell over q[0, m) x t[0, n), rows are
 * query positions. Local: the trace starts at (m, n) (the caller cut the
 * window so the best cell is its corner) and *score gets H there.
 * Global: starts at (m, n). Semi-global: at the best cell of the last row
 * or column (same tie rule as the score-only kernels). Writes the CIGAR
 * into ws->cigar and the box into res (relative to q and t).
 */
static int traceback_dp(const gdb_align_scoring *sc, int mode, const char *q,
			size_t m, const char *t, size_t n, gdb_align_ws *ws,
			int64_t *score, gdb_align_result *res)
{
	struct tb x = {.sc = sc, .mode = mode, .m = m, .n = n, .stride = n + 1};
	size_t i, j, cells, nops;
	int32_t *Fc;

	if ((uint64_t)(m + 1) * (n + 1) > ((uint64_t)1 << 31))
		return -E2BIG;
	cells = (m + 1) * x.stride;
	/* tb, then ops (m + n), codes (m + n) */
	GDB_TRY(gdb_align_ws_reserve((void **)&ws->tb, &ws->tb_size,
				     cells + 2 * (m + n) + 2, 0));
	GDB_TRY(gdb_align_ws_reserve((void **)&ws->lin, &ws->lin_size,
				     4 * (2 * (n + 1) + m + 1), 0));
	x.tb = ws->tb;
	x.ops = (char *)x.tb + cells;
	x.qc = (uint8_t *)x.ops + m + n + 1;
	x.tc = x.qc + m;
	x.Hp = ws->lin;
	Fc = x.Hp + n + 1;
	x.lastcol = Fc + n + 1;
	for (i = 0; i < m; i++)
		x.qc[i] = sc->map[(unsigned char)q[i]];
	for (j = 0; j < n; j++)
		x.tc[j] = sc->map[(unsigned char)t[j]];
	x.Hp[0] = 0;
	for (j = 1; j <= n; j++) {
		x.Hp[j] = top_h(sc, mode, (int64_t)j - 1);
		Fc[j] = NEG32;
	}
	for (i = 1; i <= m; i++)
		tb_row(&x, i, Fc);
	*score = tb_end(&x, &i, &j);
	res->query_end = (int64_t)i;
	res->target_end = (int64_t)j;
	nops = tb_walk(&x, &i, &j);
	res->query_begin = (int64_t)i;
	res->target_begin = (int64_t)j;
	GDB_TRY(tb_cigar(ws, x.ops, nops));
	res->cigar = ws->cigar;
	return 0;
}

static void empty_cigar(gdb_align_ws *ws, gdb_align_result *res)
{
	static const char none[] = "";

	(void)ws;
	res->cigar = none;
}

int gdb_align(const gdb_align_scoring *sc, enum gdb_align_mode mode,
	      const char *query, size_t qlen, const char *target, size_t tlen,
	      unsigned flags, gdb_align_ws *ws, gdb_align_result *res)
{
	const gdb_align_kernels *k = gdb_align_variant(gdb_simd_active());
	int64_t score;
	int rc;

	if (flags & ~GDB_ALIGN_TRACE)
		return -EINVAL;
	if (!(flags & GDB_ALIGN_TRACE))
		return k->score(sc, mode, query, qlen, target, tlen, ws, res);
	if (!ws)
		return -EINVAL;
	rc = gdb_align_prologue(sc, mode, qlen, tlen, res);
	if (rc < 0)
		return rc;
	if (rc == 1 && mode != GDB_ALIGN_GLOBAL) {
		empty_cigar(ws, res); /* score 0, nothing aligned */
		return 0;
	}
	if (mode != GDB_ALIGN_LOCAL) {
		/* global / semi-global: the full matrix, scalar */
		rc = traceback_dp(sc, mode, query, qlen, target, tlen, ws,
				  &score, res);
		if (rc)
			return rc;
		res->score = score;
		res->lane_bits = 32;
		return 0;
	}
	rc = k->score(sc, mode, query, qlen, target, tlen, ws, res);
	if (rc)
		return rc;
	return gdb_align_trace(sc, query, qlen, target, tlen, ws, res);
}

int gdb_align_trace(const gdb_align_scoring *sc, const char *query, size_t qlen,
		    const char *target, size_t tlen, gdb_align_ws *ws,
		    gdb_align_result *res)
{
	int64_t score, qe, te, w;
	size_t t0;
	int rc;

	if (!ws)
		return -EINVAL;
	if (res->score <= 0) {
		empty_cigar(ws, res);
		return 0;
	}
	qe = res->query_end;
	te = res->target_end;
	if (qe < 1 || (size_t)qe > qlen || te < 1 || (size_t)te > tlen)
		return -EPROTO;
	/* the widest window an alignment ending at (qe, te) can span */
	w = sc->gap_extend ? qe + (qe * sc->max_score) / sc->gap_extend + 2
			   : te;
	t0 = w >= te ? 0 : (size_t)(te - w);
	score = res->score;
	{
		gdb_align_result sub;
		int64_t got;

		memset(&sub, 0, sizeof(sub));
		rc = traceback_dp(sc, GDB_ALIGN_LOCAL, query, (size_t)qe,
				  target + t0, (size_t)te - t0, ws, &got, &sub);
		if (rc)
			return rc;
		if (got != score)
			return -EPROTO; /* the window must hold the hit */
		res->query_begin = sub.query_begin;
		res->target_begin = sub.target_begin + (int64_t)t0;
		res->cigar = sub.cigar;
	}
	return 0;
}

/* ---- the scalar level's entry ---- */

int gdb_ana_scalar_align_score(const gdb_align_scoring *sc,
			       enum gdb_align_mode mode, const char *query,
			       size_t qlen, const char *target, size_t tlen,
			       gdb_align_ws *ws, gdb_align_result *res)
{
	return scalar_align_score(sc, mode, query, qlen, target, tlen, ws, res);
}
