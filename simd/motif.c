/*
 * simd/motif.c - the level-independent half of pattern and motif search:
 * IUPAC pattern compilation, the chunked bit-parallel driver that the
 * levels plug their bitset builders into, log-odds matrices, their exact
 * p-values and the check and tables of their 16-bit form (the vector
 * scans' narrow lanes), and the scalar twins of the motif kernels. The
 * JASPAR and MEME parsers that fill a gdb_motif live in the motif module
 * (motif/parse.c).
 *
 * Bit-parallel search: for a chunk of the sequence, bitset X_b has bit i
 * set when position i holds base b. A pattern position j accepting the
 * base set S_j has class bitset C_j = OR of X_b for b in S_j, and a match
 * starts at i exactly when bit i + j of C_j is set for every j, i.e. the
 * AND over j of C_j >> j. That is at most m shift-ANDs per 64 positions,
 * and the per-byte work is only building four bitsets, which vectorises
 * to one compare per base per vector. The AND takes the positions most
 * selective first (single bases, then pairs, then triples, then N) and
 * stops at a word once it is 0, which on most words is after a few
 * steps; so the class bitsets of ambiguity codes are never built, only
 * read as the XOR of two rows (two bases, or "any base" and the one
 * missing) by the steps that get to them.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/gdb.h"
#include "simd/analysis_int.h"

/* ---- IUPAC patterns ---- */

/* base set of an IUPAC letter: bit 0 A, 1 C, 2 G, 3 T; 0 = not IUPAC */
static uint8_t iupac_set(unsigned char c)
{
	switch (c | 0x20) {
	case 'a':
		return 1;
	case 'c':
		return 2;
	case 'g':
		return 4;
	case 't':
	case 'u':
		return 8;
	case 'r':
		return 1 | 4;
	case 'y':
		return 2 | 8;
	case 's':
		return 2 | 4;
	case 'w':
		return 1 | 8;
	case 'k':
		return 4 | 8;
	case 'm':
		return 1 | 2;
	case 'b':
		return 2 | 4 | 8;
	case 'd':
		return 1 | 4 | 8;
	case 'h':
		return 1 | 2 | 8;
	case 'v':
		return 1 | 2 | 4;
	case 'n':
		return 15;
	default:
		return 0;
	}
}

/* complement of a base set: A<->T, C<->G, i.e. reverse the four bits */
static uint8_t set_comp(uint8_t s)
{
	return (uint8_t)(((s & 1) << 3) | ((s & 2) << 1) | ((s & 4) >> 1) |
			 ((s & 8) >> 3));
}

int gdb_motif_compile(const char *pattern, size_t len, gdb_motif_pattern *out)
{
	size_t j;

	if (len < 1 || len > GDB_MOTIF_MAXLEN)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	for (j = 0; j < len; j++) {
		uint8_t s = iupac_set((unsigned char)pattern[j]);

		if (!s || !((unsigned char)pattern[j] & 0x40))
			return -EINVAL;
		out->fw[j] = s;
		out->rc[len - 1 - j] = set_comp(s);
	}
	out->len = (unsigned)len;
	return 0;
}

int64_t gdb_motif_find(const gdb_motif_pattern *p, const char *seq, size_t n,
		       unsigned strands, gdb_motif_hit *hits, size_t cap)
{
	return gdb_motif_variant(gdb_simd_active())
	    ->find(p, seq, n, strands, hits, cap);
}

#define MCHUNK_WORDS 64 /* result words per chunk: 4096 positions */
#define MBITS_WORDS (MCHUNK_WORDS + 1)

/* bases in base set c */
static unsigned set_size(unsigned c)
{
	return (c & 1) + (c >> 1 & 1) + (c >> 2 & 1) + (c >> 3 & 1);
}

/*
 * The combine steps of one strand's base sets, most selective first, so
 * that most words are 0 after a few steps and the class rows of the
 * ambiguous positions are rarely read.
 */
static void pattern_steps(const uint8_t *set, unsigned m,
			  uint64_t (*b5)[MBITS_WORDS],
			  struct gdb_motif_step *st)
{
	unsigned k, j, n = 0;

	for (k = 1; k <= 4; k++)
		for (j = 0; j < m; j++) {
			unsigned c = set[j], low = (unsigned)__builtin_ctz(c);

			if (set_size(c) != k)
				continue;
			st[n].sh = j;
			st[n].x = k == 1 || k == 2 ? b5[low] : b5[4];
			st[n].y = k == 2   ? b5[__builtin_ctz(c & (c - 1))]
				  : k == 3 ? b5[__builtin_ctz(~c & 15)]
					   : NULL;
			n++;
		}
}

int64_t gdb_motif_find_with(const gdb_motif_pattern *p, const char *seq,
			    size_t n, unsigned strands, gdb_motif_hit *hits,
			    size_t cap, gdb_motif_bits_fn bits,
			    gdb_motif_combine_fn combine)
{
	uint64_t base5[5][MBITS_WORDS];
	uint64_t rf[MCHUNK_WORDS], rr[MCHUNK_WORDS];
	struct gdb_motif_step sf[GDB_MOTIF_MAXLEN], sr[GDB_MOTIF_MAXLEN];
	uint64_t *bp[5] = {base5[0], base5[1], base5[2], base5[3], base5[4]};
	unsigned j, c, m = p->len;
	int64_t nh = 0;
	size_t base;

	if (m < 1 || m > GDB_MOTIF_MAXLEN || !strands ||
	    (strands & ~GDB_STRAND_BOTH))
		return -EINVAL;
	for (j = 0; j < m; j++)
		if (!p->fw[j] || p->fw[j] > 15 || !p->rc[j] || p->rc[j] > 15)
			return -EINVAL;
	pattern_steps(p->fw, m, base5, sf);
	pattern_steps(p->rc, m, base5, sr);
	for (base = 0; base + m <= n; base += 64 * MCHUNK_WORDS) {
		size_t len = n - base, nw, w;

		if (len > 64 * MBITS_WORDS)
			len = 64 * MBITS_WORDS;
		nw = (len + 63) / 64;
		bits(seq + base, len, bp);
		for (c = 0; c < 5; c++)
			for (w = nw; w < MBITS_WORDS; w++)
				base5[c][w] = 0;
		if (nw > MCHUNK_WORDS)
			nw = MCHUNK_WORDS;
		if (strands & GDB_STRAND_FWD)
			combine(sf, m, nw, rf);
		else
			memset(rf, 0, sizeof(rf));
		if (strands & GDB_STRAND_REV)
			combine(sr, m, nw, rr);
		else
			memset(rr, 0, sizeof(rr));
		for (w = 0; w < nw; w++) {
			uint64_t any = rf[w] | rr[w];

			while (any) {
				unsigned b = (unsigned)__builtin_ctzll(any);
				uint64_t pos = base + 64 * w + b;

				any &= any - 1;
				if (rf[w] >> b & 1) {
					if ((uint64_t)nh < cap) {
						hits[nh].pos = pos;
						hits[nh].strand = '+';
					}
					nh++;
				}
				if (rr[w] >> b & 1) {
					if ((uint64_t)nh < cap) {
						hits[nh].pos = pos;
						hits[nh].strand = '-';
					}
					nh++;
				}
			}
		}
	}
	return nh;
}

void gdb_ana_scalar_motif_bits(const char *s, size_t n, uint64_t *out[5])
{
	size_t i, nw = (n + 63) / 64;

	for (i = 0; i < nw; i++)
		out[0][i] = out[1][i] = out[2][i] = out[3][i] = 0;
	for (i = 0; i < n; i++) {
		uint8_t c = gdb_pwm_code[(unsigned char)s[i]];

		if (c < 4)
			out[c][i >> 6] |= 1ull << (i & 63);
	}
	for (i = 0; i < nw; i++)
		out[4][i] = out[0][i] | out[1][i] | out[2][i] | out[3][i];
}

void gdb_ana_scalar_motif_combine(const struct gdb_motif_step *st, unsigned m,
				  size_t nwords, uint64_t *out)
{
	size_t w;
	unsigned j;

	for (w = 0; w < nwords; w++) {
		uint64_t r = gdb_motif_word(&st[0], w);

		for (j = 1; j < m && r; j++)
			r &= gdb_motif_word(&st[j], w);
		out[w] = r;
	}
}

void gdb_motif_combine_from(const struct gdb_motif_step *st, unsigned m,
			    size_t w0, size_t nwords, uint64_t *out)
{
	struct gdb_motif_step adj[GDB_MOTIF_MAXLEN];
	unsigned j;

	for (j = 0; j < m; j++) {
		adj[j] = st[j];
		adj[j].x += w0;
		adj[j].y = st[j].y ? st[j].y + w0 : NULL;
	}
	gdb_ana_scalar_motif_combine(adj, m, nwords - w0, out + w0);
}

/* ---- PWM ---- */

#define X4(v) v, v, v, v
#define X16(v) X4(v), X4(v), X4(v), X4(v)
const uint8_t gdb_pwm_code[256] = {
    X16(4),
    X16(4),
    X16(4),
    X16(4),
    /* 0x40 */ 4,
    0,
    4,
    1,
    4,
    4,
    4,
    2,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    /* 0x50 */ 4,
    4,
    4,
    4,
    3,
    3,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    /* 0x60 */ 4,
    0,
    4,
    1,
    4,
    4,
    4,
    2,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    /* 0x70 */ 4,
    4,
    4,
    4,
    3,
    3,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    X16(4),
    X16(4),
    X16(4),
    X16(4),
    X16(4),
    X16(4),
    X16(4),
    X16(4),
};

int gdb_pwm_from_counts(const gdb_motif *m, const double bg[4], double pseudo,
			gdb_pwm *out)
{
	double b[4] = {0.25, 0.25, 0.25, 0.25}, bsum = 0;
	unsigned j, c, len = m->len;

	if (len < 1 || len > GDB_PWM_MAXLEN || !(pseudo >= 0))
		return -EINVAL;
	if (bg) {
		for (c = 0; c < 4; c++) {
			if (!(bg[c] > 0))
				return -EINVAL;
			bsum += bg[c];
		}
		for (c = 0; c < 4; c++)
			b[c] = bg[c] / bsum;
	}
	memset(out, 0, sizeof(*out));
	out->len = len;
	memcpy(out->bg, b, sizeof(b));
	for (j = 0; j < len; j++) {
		double tot = 0;
		int32_t lo = INT32_MAX, hi = INT32_MIN;

		for (c = 0; c < 4; c++) {
			if (!(m->counts[j][c] >= 0))
				return -EINVAL;
			tot += m->counts[j][c];
		}
		if (!(tot + pseudo > 0))
			return -EINVAL;
		for (c = 0; c < 4; c++) {
			double pr =
			    (m->counts[j][c] + pseudo * b[c]) / (tot + pseudo);
			long v;

			if (!(pr > 0))
				return -EINVAL;
			v = lround(GDB_PWM_SCALE * log2(pr / b[c]));
			if (v < -100000 || v > 100000)
				return -EINVAL;
			out->fw[j][c] = (int32_t)v;
			lo = v < lo ? (int32_t)v : lo;
			hi = v > hi ? (int32_t)v : hi;
		}
		for (c = 4; c < 8; c++)
			out->fw[j][c] = GDB_PWM_NEG;
		out->min += lo;
		out->max += hi;
	}
	for (j = 0; j < len; j++)
		for (c = 0; c < 8; c++)
			out->rc[j][c] =
			    c < 4 ? out->fw[len - 1 - j][3 - c] : GDB_PWM_NEG;
	return 0;
}

/*
 * The exact score distribution: dist[s - min] = P(score == s), built
 * column by column (the integer scores make it a finite convolution).
 * Returns a malloc'ed array of max - min + 1 doubles, or NULL.
 */
static double *pwm_dist(const gdb_pwm *p)
{
	size_t range = (size_t)((int64_t)p->max - p->min + 1), lo = 0, hi = 0;
	double *d = calloc(range, sizeof(double));
	double *e = calloc(range, sizeof(double));
	unsigned j, c;

	if (!d || !e) {
		free(d);
		free(e);
		return NULL;
	}
	/* index = partial score - partial min; partial min advances per column
	 */
	d[0] = 1;
	for (j = 0; j < p->len; j++) {
		int32_t cmin = INT32_MAX, cmax = INT32_MIN;
		size_t i;

		for (c = 0; c < 4; c++) {
			cmin = p->fw[j][c] < cmin ? p->fw[j][c] : cmin;
			cmax = p->fw[j][c] > cmax ? p->fw[j][c] : cmax;
		}
		memset(e, 0, (hi + (size_t)(cmax - cmin) + 1) * sizeof(double));
		for (i = lo; i <= hi; i++) {
			if (d[i] == 0)
				continue;
			for (c = 0; c < 4; c++)
				e[i + (size_t)(p->fw[j][c] - cmin)] +=
				    d[i] * p->bg[c];
		}
		hi += (size_t)(cmax - cmin);
		memcpy(d, e, (hi + 1) * sizeof(double));
	}
	free(e);
	return d;
}

int gdb_pwm_pvalue(const gdb_pwm *p, int32_t threshold, double *pvalue)
{
	double *d, sum = 0;
	int64_t s;

	if (p->len < 1 || p->len > GDB_PWM_MAXLEN || p->max < p->min)
		return -EINVAL;
	if (threshold > p->max) {
		*pvalue = 0;
		return 0;
	}
	d = pwm_dist(p);
	if (!d)
		return -ENOMEM;
	for (s = p->max; s >= threshold && s >= p->min; s--)
		sum += d[s - p->min];
	free(d);
	*pvalue = sum > 1 ? 1 : sum;
	return 0;
}

int gdb_pwm_threshold(const gdb_pwm *p, double pvalue, int32_t *threshold)
{
	double *d, sum = 0;
	int64_t s, best = (int64_t)p->max + 1;

	if (p->len < 1 || p->len > GDB_PWM_MAXLEN || p->max < p->min)
		return -EINVAL;
	d = pwm_dist(p);
	if (!d)
		return -ENOMEM;
	/* the tail only grows as s falls: stop at the first that exceeds */
	for (s = p->max; s >= p->min; s--) {
		sum += d[s - p->min];
		if (sum > pvalue * (1 + 1e-12))
			break;
		if (d[s - p->min] > 0) /* only scores a window can reach */
			best = s;
	}
	free(d);
	*threshold = (int32_t)best;
	return 0;
}

static int16_t clamp16(int64_t v)
{
	if (v < INT16_MIN)
		return INT16_MIN;
	return (int16_t)(v > INT16_MAX ? INT16_MAX : v);
}

int gdb_pwm_narrow(const gdb_pwm *p, int32_t threshold, struct gdb_pwm16 *out)
{
	int64_t pos[2] = {0, 0};
	unsigned j, c, st;

	for (st = 0; st < 2; st++)
		for (j = 0; j < p->len; j++) {
			const int32_t *col = st ? p->rc[j] : p->fw[j];
			int32_t hi = 0;

			for (c = 0; c < 4; c++)
				hi = col[c] > hi ? col[c] : hi;
			pos[st] += hi;
		}
	if (pos[1] > pos[0])
		pos[0] = pos[1];
	if (pos[0] > INT16_MAX || (int64_t)threshold <= INT16_MIN + pos[0])
		return 0;
	for (j = 0; j < p->len; j++)
		for (c = 0; c < 8; c++) {
			int neg = c >= 4;

			out->fw[j][c] = neg ? INT16_MIN : clamp16(p->fw[j][c]);
			out->rc[j][c] = neg ? INT16_MIN : clamp16(p->rc[j][c]);
		}
	out->thr1 = clamp16((int64_t)threshold - 1);
	return 1;
}

void gdb_pwm_idx16_fill(const char *s, size_t from, size_t len, uint16_t *idx,
			size_t cap)
{
	size_t i;

	for (i = from; i < len; i++)
		idx[i] = gdb_pwm_idx16(gdb_pwm_code[(unsigned char)s[i]]);
	for (; i < cap; i++)
		idx[i] = gdb_pwm_idx16(4);
}

int64_t gdb_pwm_scan(const gdb_pwm *p, const char *seq, size_t n,
		     int32_t threshold, unsigned strands, gdb_pwm_hit *hits,
		     size_t cap)
{
	return gdb_motif_variant(gdb_simd_active())
	    ->pwm_scan(p, seq, n, threshold, strands, hits, cap);
}

int64_t gdb_ana_scalar_pwm_scan(const gdb_pwm *p, const char *seq, size_t n,
				int32_t threshold, unsigned strands,
				gdb_pwm_hit *hits, size_t cap)
{
	const unsigned m = p->len;
	int64_t nh = 0;
	size_t i;

	if (m < 1 || m > GDB_PWM_MAXLEN || !strands ||
	    (strands & ~GDB_STRAND_BOTH))
		return -EINVAL;
	for (i = 0; i + m <= n; i++) {
		int32_t sf = 0, sr = 0;
		unsigned j;

		for (j = 0; j < m; j++) {
			uint8_t c = gdb_pwm_code[(unsigned char)seq[i + j]];

			sf += p->fw[j][c];
			sr += p->rc[j][c];
		}
		if ((strands & GDB_STRAND_FWD) && sf >= threshold)
			gdb_pwm_emit(hits, cap, &nh, i, sf, '+');
		if ((strands & GDB_STRAND_REV) && sr >= threshold)
			gdb_pwm_emit(hits, cap, &nh, i, sr, '-');
	}
	return nh;
}
