/*
 * variants/stats.c - population statistics from the packed genotypes:
 * per-group allele counts come from popcounts of the decoded bit planes
 * under group masks (simd/genotype.h count_masks), corrected by the few
 * exceptions (alleles above 1). Work is split over chunk ranges, one
 * thread each, up to what the caller allows; every part formats its own
 * text and the parts are joined in order. Definitions: docs/VARIANTS.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simd/genotype.h"
#include "variants/variants_int.h"

/* The groups of one grouping: names sorted, a mask plane each. */
struct groups {
	uint32_t G, W;
	char **name; /* borrowed */
	size_t *namelen;
	uint32_t *of;	/* sample -> group */
	uint64_t *mask; /* G planes of W words (NULL by sample) */
	uint32_t *size;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

static void groups_free(struct groups *g)
{
	free(g->name);
	free(g->namelen);
	free(g->of);
	free(g->mask);
	free(g->size);
}

static int groups_init(const gdb_vset *v, enum gdb_vgroup_by by,
		       struct groups *g)
{
	uint32_t n = by == GDB_VBY_SAMPLE	? v->nsamples
		     : by == GDB_VBY_POPULATION ? v->npops
						: v->nspops;
	const uint32_t *lab = by == GDB_VBY_POPULATION ? v->pop : v->spop;
	char **names = by == GDB_VBY_SAMPLE	  ? v->samples
		       : by == GDB_VBY_POPULATION ? v->pops
						  : v->spops;
	uint32_t *rank = calloc(n + 1, sizeof(uint32_t)), *cnt;
	char ***order = calloc(n + 1, sizeof(char **));

	memset(g, 0, sizeof(*g));
	g->W = (v->nsamples + 63) / 64 + 1;
	g->of = calloc(v->nsamples + 1, sizeof(uint32_t));
	cnt = calloc(n + 1, sizeof(uint32_t));
	if (!rank || !order || !g->of || !cnt)
		goto oom;
	for (uint32_t i = 0; i < v->nsamples; i++)
		cnt[by == GDB_VBY_SAMPLE ? i : lab[i]]++;
	/* groups that have samples, sorted by name (samples: VCF order) */
	for (uint32_t i = 0; i < n; i++)
		if (cnt[i])
			order[g->G++] = &names[i];
	if (by != GDB_VBY_SAMPLE)
		qsort(order, g->G, sizeof(*order), by_name);
	g->name = calloc(g->G + 1, sizeof(char *));
	g->namelen = calloc(g->G + 1, sizeof(size_t));
	g->size = calloc(g->G + 1, sizeof(uint32_t));
	if (!g->name || !g->namelen || !g->size)
		goto oom;
	for (uint32_t k = 0; k < g->G; k++) {
		uint32_t i = (uint32_t)(order[k] - names);
		rank[i] = k;
		g->name[k] = names[i];
		g->namelen[k] = strlen(names[i]);
		g->size[k] = cnt[i];
	}
	for (uint32_t i = 0; i < v->nsamples; i++)
		g->of[i] = rank[by == GDB_VBY_SAMPLE ? i : lab[i]];
	if (by != GDB_VBY_SAMPLE) {
		g->mask = calloc((size_t)g->G * g->W, sizeof(uint64_t));
		if (!g->mask)
			goto oom;
		for (uint32_t i = 0; i < v->nsamples; i++)
			g->mask[(size_t)g->of[i] * g->W + i / 64] |=
			    (uint64_t)1 << (i % 64);
	}
	free(rank);
	free(order);
	free(cnt);
	return 0;
oom:
	free(rank);
	free(order);
	free(cnt);
	groups_free(g);
	return -ENOMEM;
}

/* ---- per-site counts ---- */

enum { C_NONREF, C_AN, C_HET, C_DIP, C_MISS, C_N };

/* Fst pairs of groups at most (by=sample with 1,000 samples: 499,500). */
#define MAX_PAIRS 500000u

struct part {
	const gdb_vset *v;
	const gdb_vstat_opts *o;
	const struct groups *g;
	uint32_t contig, chunk0, nchunks;
	int64_t beg, end;
	gdb_buf out;
	gdb_buf pre;	 /* the current site's first columns */
	uint32_t *cnt;	 /* C_N x G per site */
	uint32_t *extra; /* exceptions: allele >= 2 (group, allele) */
	uint32_t nextra, extra_cap;
	uint64_t *tmp; /* 2 planes */
	/* summary accumulators per group */
	uint64_t *sites, *seg, *miss, *calls, *het, *dip;
	double *pi;
	/* Fst windows: per pair, for the current window */
	int64_t win;
	double *num, *den;
	uint64_t *nvar;
	int rc;
};

static inline int getbit(const uint64_t *w, uint32_t i)
{
	return (int)(w[i >> 6] >> (i & 63)) & 1;
}

/* Counts of the current site per group into p->cnt; alleles >= 2 into
 * p->extra (and taken off C_NONREF's allele-1 share by the caller). */
static int site_counts(struct part *p, const vs_cursor *c)
{
	const struct groups *g = p->g;
	const gdb_gt_kernels *k = gdb_gt();
	uint32_t G = g->G, W = g->W;
	uint64_t *x = p->tmp, *y = p->tmp + W;

	memset(p->cnt, 0, sizeof(uint32_t) * C_N * G);
	for (uint32_t w = 0; w < W; w++) {
		y[w] = c->qa[w] & c->qb[w];
		x[w] = (c->pa[w] ^ c->pb[w]) & y[w];
	}
	if (g->mask) {
		k->count_masks(c->pa, g->mask, W, G, p->cnt + C_NONREF * G);
		k->count_masks(c->pb, g->mask, W, G, p->cnt + C_NONREF * G);
		k->count_masks(c->qa, g->mask, W, G, p->cnt + C_AN * G);
		k->count_masks(c->qb, g->mask, W, G, p->cnt + C_AN * G);
		if (p->o->stat == GDB_VSTAT_SUMMARY) {
			k->count_masks(x, g->mask, W, G, p->cnt + C_HET * G);
			k->count_masks(y, g->mask, W, G, p->cnt + C_DIP * G);
			k->count_masks(c->pm, g->mask, W, G,
				       p->cnt + C_MISS * G);
		}
	} else {
		for (uint32_t s = 0; s < p->v->nsamples; s++) {
			p->cnt[C_NONREF * G + s] =
			    (uint32_t)(getbit(c->pa, s) + getbit(c->pb, s));
			p->cnt[C_AN * G + s] =
			    (uint32_t)(getbit(c->qa, s) + getbit(c->qb, s));
			p->cnt[C_HET * G + s] = (uint32_t)getbit(x, s);
			p->cnt[C_DIP * G + s] = (uint32_t)getbit(y, s);
			p->cnt[C_MISS * G + s] = (uint32_t)getbit(c->pm, s);
		}
	}
	/* alleles above 1, and 1/2-style calls (two different non-ref
	 * alleles: heterozygous though both planes say non-ref) */
	p->nextra = 0;
	for (uint32_t e = 0; e < c->nexc; e++) {
		int32_t v = c->exc_val[e];
		uint32_t s = c->exc_slot[e] >> 1;
		if (v == bcf_int32_vector_end || v == bcf_int32_missing ||
		    (v >> 1) < 3)
			continue;
		if (p->nextra + 2 > p->extra_cap) {
			uint32_t n = p->extra_cap ? 2 * p->extra_cap : 256;
			uint32_t *q = realloc(p->extra, sizeof(uint32_t) * n);
			if (!q)
				return -ENOMEM;
			p->extra = q;
			p->extra_cap = n;
		}
		p->extra[p->nextra++] = g->of[s];
		p->extra[p->nextra++] = (uint32_t)((v >> 1) - 1);
	}
	if (p->o->stat == GDB_VSTAT_SUMMARY)
		for (uint32_t e = 0; e + 1 < c->nexc; e++) {
			uint32_t s = c->exc_slot[e] >> 1;
			int32_t a = c->exc_val[e], b = c->exc_val[e + 1];
			if ((c->exc_slot[e + 1] >> 1) == s &&
			    (c->exc_slot[e] & 1) == 0 && (a >> 1) >= 2 &&
			    (b >> 1) >= 2 && a != bcf_int32_vector_end &&
			    b != bcf_int32_vector_end && (a >> 1) != (b >> 1) &&
			    a != bcf_int32_missing && b != bcf_int32_missing)
				p->cnt[C_HET * G + g->of[s]]++;
		}
	return 0;
}

/* ac of allele a (>= 1) in group k. */
static uint32_t ac_of(const struct part *p, uint32_t k, uint32_t a)
{
	uint32_t n = 0, above = 0;

	for (uint32_t e = 0; e < p->nextra; e += 2)
		if (p->extra[e] == k) {
			n += p->extra[e + 1] == a;
			above++;
		}
	return a == 1 ? p->cnt[C_NONREF * p->g->G + k] - above : n;
}

/* af: 8 decimals, trailing zeros dropped: "0", "1", "0.5",
 * "0.00019968" (ratio() below). */
static void put_u(gdb_buf *b, uint64_t v)
{
	char s[24];
	int n = 24;

	do {
		s[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	gdb_buf_add(b, s + n, (size_t)(24 - n));
}

static void put_site_prefix(gdb_buf *b, const vs_cursor *c, const char *chrom)
{
	b->len = 0;
	gdb_buf_add(b, chrom, strlen(chrom));
	gdb_buf_add(b, "\t", 1);
	put_u(b, (uint64_t)c->site.pos + 1);
	gdb_buf_add(b, "\t", 1);
	gdb_buf_add(b, c->site.allele[0], strlen(c->site.allele[0]));
	gdb_buf_add(b, "\t", 1);
	for (uint32_t a = 1; a < c->site.nallele; a++) {
		if (a > 1)
			gdb_buf_add(b, ",", 1);
		gdb_buf_add(b, c->site.allele[a], strlen(c->site.allele[a]));
	}
	if (c->site.nallele == 1)
		gdb_buf_add(b, ".", 1);
	gdb_buf_add(b, "\t", 1);
}

/* Decimal digits of v at d (no terminator); returns the length. */
static size_t digits(char *d, uint64_t v)
{
	char s[24];
	size_t n = 24;

	do {
		s[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(d, s + n, 24 - n);
	return 24 - n;
}

/* af as put_ratio, written at d; returns the length. */
static size_t ratio(char *d, uint64_t num, uint64_t den)
{
	uint64_t q = (num * 200000000ull + den) / (2 * den);
	size_t n = 10;

	if (q >= 100000000ull) {
		d[0] = '1';
		return 1;
	}
	d[0] = '0';
	d[1] = '.';
	for (int i = 9; i >= 2; i--, q /= 10)
		d[i] = (char)('0' + q % 10);
	while (n > 2 && d[n - 1] == '0')
		n--;
	return n == 2 ? 1 : n;
}

/* One row per group, written straight into the reserved output. */
static void af_rows(struct part *p, const vs_cursor *c)
{
	const struct groups *g = p->g;
	const char *chrom = p->v->contigs[p->contig].name;
	gdb_buf pre = p->pre;
	uint32_t na = c->site.nallele > 1 ? c->site.nallele : 2;

	put_site_prefix(&pre, c, chrom);
	p->pre = pre;
	if (pre.err) {
		p->out.err = pre.err;
		return;
	}
	for (uint32_t k = 0; k < g->G; k++) {
		uint32_t an = p->cnt[C_AN * g->G + k];
		size_t cap = pre.len + g->namelen[k] + 48 * (size_t)na + 40;
		char *d = gdb_buf_room(&p->out, cap), *w = d;
		if (!d)
			return;
		memcpy(w, pre.p, pre.len);
		w += pre.len;
		memcpy(w, g->name[k], g->namelen[k]);
		w += g->namelen[k];
		*w++ = '\t';
		for (uint32_t a = 1; a < na; a++) {
			if (a > 1)
				*w++ = ',';
			w +=
			    digits(w, c->site.nallele > 1 ? ac_of(p, k, a) : 0);
		}
		*w++ = '\t';
		w += digits(w, an);
		*w++ = '\t';
		for (uint32_t a = 1; an && a < na; a++) {
			if (a > 1)
				*w++ = ',';
			w += ratio(w, c->site.nallele > 1 ? ac_of(p, k, a) : 0,
				   an);
		}
		*w++ = '\n';
		p->out.len -= cap - (size_t)(w - d);
	}
}

/* Hudson's numerator and denominator for groups i, j (Bhatia et al.
 * 2013, eq. 10): non-reference allele frequencies. @return 0 if there
 * is nothing to count (fewer than two called alleles, D = 0). */
static int hudson(const struct part *p, uint32_t i, uint32_t j, double *num,
		  double *den)
{
	uint32_t G = p->g->G;
	double n1 = p->cnt[C_AN * G + i], n2 = p->cnt[C_AN * G + j];
	double p1, p2;

	if (n1 < 2 || n2 < 2)
		return 0;
	p1 = p->cnt[C_NONREF * G + i] / n1;
	p2 = p->cnt[C_NONREF * G + j] / n2;
	*num = (p1 - p2) * (p1 - p2) - p1 * (1 - p1) / (n1 - 1) -
	       p2 * (1 - p2) / (n2 - 1);
	*den = p1 * (1 - p2) + p2 * (1 - p1);
	return *den > 0;
}

static void fst_flush(struct part *p)
{
	const struct groups *g = p->g;
	uint32_t pair = 0;
	int64_t w = p->o->window, s = p->win * w, e = s + w;

	if (p->win < 0)
		return;
	s = s > p->beg ? s : p->beg;
	e = e < p->end ? e : p->end;
	for (uint32_t i = 0; i < g->G; i++)
		for (uint32_t j = i + 1; j < g->G; j++, pair++) {
			if (!p->nvar[pair])
				continue;
			gdb_buf_printf(
			    &p->out, "%s\t%lld\t%lld\t%s\t%s\t%llu\t%.6g\n",
			    p->v->contigs[p->contig].name, (long long)s + 1,
			    (long long)e, g->name[i], g->name[j],
			    (unsigned long long)p->nvar[pair],
			    p->num[pair] / p->den[pair]);
			p->num[pair] = p->den[pair] = 0;
			p->nvar[pair] = 0;
		}
	p->win = -1;
}

static void fst_rows(struct part *p, const vs_cursor *c)
{
	const struct groups *g = p->g;
	uint32_t pair = 0;
	gdb_buf pre = {0};
	double num, den;

	if (p->o->window > 0) {
		int64_t w = c->site.pos / p->o->window;
		if (w != p->win)
			fst_flush(p);
		p->win = w;
		for (uint32_t i = 0; i < g->G; i++)
			for (uint32_t j = i + 1; j < g->G; j++, pair++)
				if (hudson(p, i, j, &num, &den)) {
					p->num[pair] += num;
					p->den[pair] += den;
					p->nvar[pair]++;
				}
		return;
	}
	put_site_prefix(&pre, c, p->v->contigs[p->contig].name);
	for (uint32_t i = 0; i < g->G && !pre.err; i++)
		for (uint32_t j = i + 1; j < g->G; j++) {
			gdb_buf_add(&p->out, pre.p, pre.len);
			gdb_buf_printf(&p->out, "%s\t%s\t", g->name[i],
				       g->name[j]);
			if (hudson(p, i, j, &num, &den))
				gdb_buf_printf(&p->out, "%.6g", num / den);
			gdb_buf_add(&p->out, "\n", 1);
		}
	if (pre.err)
		p->out.err = pre.err;
	gdb_buf_free(&pre);
}

static void summary_add(struct part *p, const vs_cursor *c)
{
	const struct groups *g = p->g;
	uint32_t G = g->G, na = c->site.nallele;

	for (uint32_t k = 0; k < G; k++) {
		uint32_t an = p->cnt[C_AN * G + k];
		uint32_t nonref = p->cnt[C_NONREF * G + k];
		p->sites[k]++;
		p->seg[k] += nonref > 0 && nonref < an;
		p->miss[k] += p->cnt[C_MISS * G + k];
		p->calls[k] += g->size[k];
		p->het[k] += p->cnt[C_HET * G + k];
		p->dip[k] += p->cnt[C_DIP * G + k];
		if (an >= 2) {
			double h = 1, f = (double)(an - nonref) / an;
			h -= f * f;
			for (uint32_t a = 1; a < (na > 1 ? na : 2); a++) {
				f = (double)(na > 1 ? ac_of(p, k, a) : 0) / an;
				h -= f * f;
			}
			p->pi[k] += h * an / (an - 1);
		}
	}
}

static int on_site(void *arg, vs_cursor *c, int in_range)
{
	struct part *p = arg;

	if (!in_range || (c->site.gt & 3) == GT_NONE)
		return 0;
	GDB_TRY(site_counts(p, c));
	if (p->o->stat == GDB_VSTAT_AF)
		af_rows(p, c);
	else if (p->o->stat == GDB_VSTAT_FST)
		fst_rows(p, c);
	else
		summary_add(p, c);
	return p->out.err;
}

static void *run_part(void *arg)
{
	struct part *p = arg;
	int *want = vs_want_groups(p->v, NULL);

	p->rc = want ? vs_walk(p->v, p->contig, p->beg, p->end, p->chunk0,
			       p->nchunks, want, on_site, p)
		     : -ENOMEM;
	if (p->rc == 0 && p->o->stat == GDB_VSTAT_FST)
		fst_flush(p);
	if (p->rc == 0)
		p->rc = p->out.err;
	free(want);
	return NULL;
}

static int part_init(struct part *p, const struct groups *g)
{
	size_t G = g->G;
	/* pair sums only for Fst (checked below MAX_PAIRS by the caller) */
	size_t pairs = p->o->stat == GDB_VSTAT_FST ? G * (G - 1) / 2 + 1 : 1;

	p->g = g;
	p->win = -1;
	p->cnt = calloc((size_t)C_N * G + 1, sizeof(uint32_t));
	p->tmp = calloc(2 * (size_t)g->W, sizeof(uint64_t));
	p->sites = calloc(6 * (size_t)G + 6, sizeof(uint64_t));
	p->pi = calloc((size_t)G + 1, sizeof(double));
	p->num = calloc(2 * (size_t)pairs, sizeof(double));
	p->nvar = calloc(pairs, sizeof(uint64_t));
	if (!p->cnt || !p->tmp || !p->sites || !p->pi || !p->num || !p->nvar)
		return -ENOMEM;
	p->seg = p->sites + G + 1;
	p->miss = p->seg + G + 1;
	p->calls = p->miss + G + 1;
	p->het = p->calls + G + 1;
	p->dip = p->het + G + 1;
	p->den = p->num + pairs;
	return 0;
}

static void part_free(struct part *p)
{
	free(p->cnt);
	free(p->tmp);
	free(p->sites);
	free(p->pi);
	free(p->num);
	free(p->nvar);
	free(p->extra);
	gdb_buf_free(&p->out);
	gdb_buf_free(&p->pre);
}

static const char *const by_names[] = {"population", "superpopulation",
				       "sample"};

static void header_row(gdb_buf *b, const gdb_vstat_opts *o)
{
	const char *gn = by_names[o->by];

	if (o->stat == GDB_VSTAT_AF)
		gdb_buf_printf(b, "chrom\tpos\tref\talt\t%s\tac\tan\taf\n", gn);
	else if (o->stat == GDB_VSTAT_FST && o->window > 0)
		gdb_buf_printf(
		    b, "chrom\tstart\tend\t%s1\t%s2\tvariants\tfst\n", gn, gn);
	else if (o->stat == GDB_VSTAT_FST)
		gdb_buf_printf(b, "chrom\tpos\tref\talt\t%s1\t%s2\tfst\n", gn,
			       gn);
	else
		gdb_buf_printf(b,
			       "%s\tsamples\tsites\tsegregating\tmissingness"
			       "\theterozygosity\tpi\n",
			       gn);
}

static void summary_rows(gdb_buf *b, struct part *ps, unsigned np,
			 const struct groups *g, int64_t len)
{
	for (uint32_t k = 0; k < g->G; k++) {
		uint64_t sites = 0, seg = 0, miss = 0, calls = 0, het = 0,
			 dip = 0;
		double pi = 0;
		for (unsigned i = 0; i < np; i++) {
			sites += ps[i].sites[k];
			seg += ps[i].seg[k];
			miss += ps[i].miss[k];
			calls += ps[i].calls[k];
			het += ps[i].het[k];
			dip += ps[i].dip[k];
			pi += ps[i].pi[k];
		}
		gdb_buf_printf(b, "%s\t%u\t%llu\t%llu\t", g->name[k],
			       g->size[k], (unsigned long long)sites,
			       (unsigned long long)seg);
		if (calls)
			gdb_buf_printf(b, "%.6g", (double)miss / calls);
		gdb_buf_add(b, "\t", 1);
		if (dip)
			gdb_buf_printf(b, "%.6g", (double)het / dip);
		gdb_buf_printf(b, "\t%.6g\n", len > 0 ? pi / (double)len : 0.0);
	}
}

/* The groups of o, checked: -EINVAL (no panel, or Fst of one group),
 * -E2BIG (too many pairs), -ENOMEM. */
static int stats_groups(const gdb_vset *v, uint32_t contig, int64_t beg,
			int64_t end, const gdb_vstat_opts *o, struct groups *g)
{
	if (contig >= v->ncontigs || end < beg || !v->nsamples ||
	    (o->by != GDB_VBY_SAMPLE && !v->has_panel))
		return -EINVAL;
	GDB_TRY(groups_init(v, o->by, g));
	if (o->stat == GDB_VSTAT_FST &&
	    (g->G < 2 || (uint64_t)g->G * (g->G - 1) / 2 > MAX_PAIRS)) {
		int e = g->G < 2 ? -EINVAL : -E2BIG;
		groups_free(g);
		return e;
	}
	return 0;
}

/*
 * The rows of the sites of chunks [first, first + n) with POS in [beg,
 * end), appended to b (summary rows: of those sites, pi over len bp),
 * split over up to o->threads threads.
 */
static int stats_rows(const gdb_vset *v, const struct groups *g,
		      uint32_t contig, int64_t beg, int64_t end, uint32_t first,
		      uint32_t n, int64_t len, const gdb_vstat_opts *o,
		      gdb_buf *b)
{
	struct part ps[16];
	pthread_t th[16];
	unsigned np, started = 0;
	size_t total = 256 + (size_t)g->G * 128;
	int rc = 0;

	np = o->threads > 1 ? o->threads : 1;
	np = np > 16 ? 16 : np;
	np = np > n ? (n ? n : 1) : np;
	if (o->stat == GDB_VSTAT_FST && o->window > 0)
		np = 1; /* windows may straddle parts */
	memset(ps, 0, sizeof(ps));
	for (unsigned i = 0; i < np && rc == 0; i++) {
		ps[i].v = v;
		ps[i].o = o;
		ps[i].contig = contig;
		ps[i].beg = beg;
		ps[i].end = end;
		ps[i].chunk0 = first + (uint32_t)((uint64_t)n * i / np);
		ps[i].nchunks = first + (uint32_t)((uint64_t)n * (i + 1) / np) -
				ps[i].chunk0;
		ps[i].out.max = b->max;
		rc = part_init(&ps[i], g);
		/* AF rows are about 40 bytes: one allocation, no copies */
		if (rc == 0 && o->stat == GDB_VSTAT_AF &&
		    vs_reserve(&ps[i].out,
			       vs_chunk_sites(v, ps[i].chunk0, ps[i].nchunks) *
				   g->G * 40) == -ENOMEM)
			rc = -ENOMEM;
	}
	for (unsigned i = 1; i < np && rc == 0; i++, started++)
		if (pthread_create(&th[i], NULL, run_part, &ps[i]) != 0) {
			rc = -EAGAIN;
			break;
		}
	if (rc == 0)
		run_part(&ps[0]);
	for (unsigned i = 1; i <= started; i++)
		pthread_join(th[i], NULL);
	for (unsigned i = 0; i < np; i++)
		total += ps[i].out.len;
	if (rc == 0 && vs_reserve(b, total) == -ENOMEM)
		rc = -ENOMEM;
	for (unsigned i = 0; i < np && rc == 0; i++)
		if (ps[i].rc < 0)
			rc = ps[i].rc;
	if (rc == 0 && o->stat == GDB_VSTAT_SUMMARY)
		summary_rows(b, ps, np, g, len);
	for (unsigned i = 0; i < np && rc == 0; i++)
		gdb_buf_add(b, ps[i].out.p, ps[i].out.len);
	for (unsigned i = 0; i < np; i++)
		part_free(&ps[i]);
	return rc == 0 ? b->err : rc;
}

int gdb_vset_stats(const gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
		   const gdb_vstat_opts *o, size_t max, char **out, size_t *len)
{
	struct groups g;
	uint32_t first, n;
	gdb_buf b = {.max = max};
	int rc;

	GDB_TRY(stats_groups(v, contig, beg, end, o, &g));
	vs_chunk_range(v, contig, beg, end, &first, &n);
	header_row(&b, o);
	rc = stats_rows(v, &g, contig, beg, end, first, n, end - beg, o, &b);
	if (rc == 0) {
		*out = b.p;
		*len = b.len;
		b.p = NULL;
	}
	gdb_buf_free(&b);
	groups_free(&g);
	return rc;
}

/* The window of the last site of chunk k inside [.., end). */
static int64_t last_window(const gdb_vset *v, uint32_t k, int64_t end,
			   int64_t w)
{
	int64_t pos = v->chunks[k].last < end ? v->chunks[k].last : end - 1;

	return pos / w;
}

/*
 * Fst windows of chunk k of [beg, end): those from the window after the
 * previous chunk's last one to the window of k's last site, so that each
 * window is one part's (it may read on into the next chunks). Its
 * positions into *pb, *pe; 0 if it has no window.
 */
static int window_part(const gdb_vset *v, uint32_t contig, int64_t beg,
		       int64_t end, int64_t w, uint32_t k, int64_t *pb,
		       int64_t *pe)
{
	uint32_t first, n;
	int64_t ws, we = last_window(v, k, end, w);

	vs_chunk_range(v, contig, beg, end, &first, &n);
	if (k == first)
		ws = (v->chunks[k].first > beg ? v->chunks[k].first : beg) / w;
	else
		ws = last_window(v, k - 1, end, w) + 1;
	if (ws > we)
		return 0;
	*pb = ws * w > beg ? ws * w : beg;
	*pe = (we + 1) * w < end ? (we + 1) * w : end;
	return 1;
}

int vs_stats_part(const gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
		  const gdb_vstat_opts *o, uint32_t part, char **out,
		  size_t *len)
{
	gdb_vstat_opts one = *o;
	struct groups g;
	uint32_t first, n;
	gdb_buf b = {0};
	int64_t pb = beg, pe = end;
	int rc = 0;

	GDB_TRY(stats_groups(v, contig, beg, end, o, &g));
	one.threads = 1;
	if (part == VS_PART_HEAD) {
		header_row(&b, o);
		/* a summary is a row per group, all in the head */
		vs_chunk_range(v, contig, beg, end, &first, &n);
		if (o->stat == GDB_VSTAT_SUMMARY)
			rc = stats_rows(v, &g, contig, beg, end, first, n,
					end - beg, &one, &b);
	} else if (o->stat == GDB_VSTAT_SUMMARY) {
		rc = 0; /* nothing per chunk */
	} else if (part != VS_PART_TAIL &&
		   (o->stat != GDB_VSTAT_FST || o->window <= 0)) {
		rc = stats_rows(v, &g, contig, beg, end, part, 1, end - beg,
				&one, &b);
	} else if (part != VS_PART_TAIL &&
		   window_part(v, contig, beg, end, o->window, part, &pb,
			       &pe)) {
		vs_chunk_range(v, contig, pb, pe, &first, &n);
		rc = stats_rows(v, &g, contig, pb, pe, first, n, end - beg,
				&one, &b);
	}
	if (rc == 0 && !b.p && !(b.p = malloc(1)))
		rc = -ENOMEM; /* an empty part */
	if (rc == 0) {
		*out = b.p;
		*len = b.len;
		b.p = NULL;
	}
	gdb_buf_free(&b);
	groups_free(&g);
	return rc;
}
