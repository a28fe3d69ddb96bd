/*
 * graph/query_pathway.c - pathway queries: a pathway's subgraph and members, a
 * node's pathways, crosstalk between two pathways, and enrichment of a
 * gene list (hypergeometric test, Benjamini-Hochberg).
 * The scans and shared helpers: query_int.h.
 */
#define _GNU_SOURCE
#include "graph/query_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ pathways */

/* Members of a global pathway in the selected networks, by rank. */
static int pw_members(const gdb_graph *g, uint32_t pw, int net, uint32_t **out,
		      uint32_t *n)
{
	uint64_t total = 0;
	uint32_t *v, k = 0;

	for (uint32_t e = g->pent_off[pw]; e < g->pent_off[pw + 1]; e++) {
		const graph_net *N = &g->nets[g->pent_net[e]];
		uint32_t l = g->pent_local[e];
		if (net >= 0 && g->pent_net[e] != (uint32_t)net)
			continue;
		total += N->pwmem_off[l + 1] - N->pwmem_off[l];
	}
	v = malloc((size_t)(total + 1) * 4);
	if (!v)
		return -ENOMEM;
	for (uint32_t e = g->pent_off[pw]; e < g->pent_off[pw + 1]; e++) {
		const graph_net *N = &g->nets[g->pent_net[e]];
		uint32_t l = g->pent_local[e];
		if (net >= 0 && g->pent_net[e] != (uint32_t)net)
			continue;
		for (uint64_t i = N->pwmem_off[l]; i < N->pwmem_off[l + 1]; i++)
			v[k++] = N->l2g[N->pwmem[i]];
	}
	graph_qsort_r(v, k, 4, graph_u32_rank_order, (void *)g);
	{
		uint32_t j = 0;
		for (uint32_t i = 0; i < k; i++)
			if (!j || v[j - 1] != v[i])
				v[j++] = v[i];
		k = j;
	}
	*out = v;
	*n = k;
	return 0;
}

int gdb_graph_pathway_subgraph(const gdb_graph *g, uint32_t pw,
			       const gdb_graph_filter *f, gdb_graph_result *r)
{
	graph_nf *nf = NULL;
	uint32_t *mem = NULL, n = 0;
	uint64_t L;
	int rc;

	graph_result_init(r, "pathway", f);
	if (pw >= g->P || !gdb_graph_pathway_in(g, pw, f->net))
		return -ENOENT;
	r->pw1 = pw;
	r->group = (int)g->pgroup[pw];
	GDB_TRY(graph_nf_make(g, f, &nf));
	rc = pw_members(g, pw, f->net, &mem, &n);
	if (rc < 0)
		goto out;
	L = graph_lim(f->limit, GDB_GRAPH_DEFAULT_NODE_LIMIT);
	r->limit = L;
	r->total_nodes = n;
	r->truncated = n > L;
	r->nodes = mem;
	r->nnodes = (uint32_t)(n < L ? n : L);
	mem = NULL;
	r->edge_limit = graph_lim(f->edge_limit, GDB_GRAPH_DEFAULT_EDGE_LIMIT);
	rc = graph_induced_edges(g, nf, r, 0);
out:
	free(mem);
	graph_nf_free(g, nf);
	return rc;
}

static int pw_rank_cmp(const void *x, const void *y, void *arg)
{
	const uint32_t *inv = arg;
	uint32_t a = inv[*(const uint32_t *)x], b = inv[*(const uint32_t *)y];

	return a < b ? -1 : a > b;
}

static uint32_t *pw_inverse_rank(const gdb_graph *g)
{
	uint32_t *inv = malloc((size_t)(g->P ? g->P : 1) * 4);

	if (inv)
		for (uint32_t i = 0; i < g->P; i++)
			inv[g->prank[i]] = i;
	return inv;
}

int gdb_graph_node_pathways(const gdb_graph *g, uint32_t node,
			    const gdb_graph_filter *f, gdb_graph_result *r)
{
	uint32_t *list = NULL, n = 0, cap = 0, *inv = NULL;
	int rc = -ENOMEM;

	graph_result_init(r, "node-pathways", f);
	if (node >= g->G)
		return -ENOENT;
	r->center = node;
	r->group = (int)g->ggroup[node];
	for (uint32_t i = 0; i < g->nnets; i++) {
		const graph_net *N = &g->nets[i];
		uint32_t l = g->g2l[i][node];
		if ((f->net >= 0 && (uint32_t)f->net != i) || l == GRAPH_NONE)
			continue;
		for (uint64_t k = N->node_pw_off[l]; k < N->node_pw_off[l + 1];
		     k++) {
			uint32_t gp = N->pw2g[N->node_pw[k]], j;
			for (j = 0; j < n && list[j] != gp; j++)
				;
			if (j < n)
				continue;
			if (n == cap) {
				uint32_t *p;
				cap = cap ? cap * 2 : 16;
				p = realloc(list, (size_t)cap * 4);
				if (!p)
					goto out;
				list = p;
			}
			list[n++] = gp;
		}
	}
	inv = pw_inverse_rank(g);
	r->rows = calloc((size_t)n + 1, sizeof(*r->rows));
	if (!inv || !r->rows)
		goto out;
	if (n)
		graph_qsort_r(list, n, 4, pw_rank_cmp, inv);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t *mem, mn;
		if ((rc = pw_members(g, list[i], f->net, &mem, &mn)) < 0)
			goto out;
		free(mem);
		r->rows[i].pathway = list[i];
		r->rows[i].size = mn;
		r->rows[i].hits = 1;
	}
	r->nrows = n;
	r->total_nodes = n;
	rc = 0;
out:
	free(list);
	free(inv);
	return rc;
}

/* ----------------------------------------------------------- crosstalk */

static int eref_cmp(const void *x, const void *y, void *arg)
{
	const gdb_graph *g = arg;
	const gdb_graph_eref *a = x, *b = y;
	const graph_net *A = &g->nets[a->net], *B = &g->nets[b->net];
	uint32_t as = g->rank[A->l2g[A->src[a->eid]]];
	uint32_t bs = g->rank[B->l2g[B->src[b->eid]]];
	uint32_t ad = g->rank[A->l2g[A->dst[a->eid]]];
	uint32_t bd = g->rank[B->l2g[B->dst[b->eid]]];

	if (as != bs)
		return as < bs ? -1 : 1;
	if (ad != bd)
		return ad < bd ? -1 : 1;
	if (a->net != b->net)
		return a->net < b->net ? -1 : 1;
	return a->eid < b->eid ? -1 : a->eid > b->eid;
}

struct xt {
	const uint8_t *in; /* bit 1: in P1, bit 2: in P2 */
	uint8_t want;	   /* the other pathway's bit */
	uint32_t u;
	gdb_graph_eref *v;
	uint64_t n, cap;
	int err;
};

static int xt_visit(void *arg, const hit *h)
{
	struct xt *s = arg;

	if (h->nbr == s->u || !(s->in[h->nbr] & s->want))
		return 0;
	if (ARRAY_ROOM(s->v, s->n, s->cap, 256) < 0) {
		s->err = -ENOMEM;
		return 1;
	}
	s->v[s->n++] = (gdb_graph_eref){h->net, h->eid};
	return 0;
}

int gdb_graph_crosstalk(const gdb_graph *g, uint32_t pw1, uint32_t pw2,
			const gdb_graph_filter *f, gdb_graph_result *r)
{
	graph_nf *nf = NULL;
	uint32_t *m1 = NULL, *m2 = NULL, n1 = 0, n2 = 0;
	uint8_t *in = NULL;
	struct xt s = {0};
	uint64_t L, k = 0;
	int rc;

	graph_result_init(r, "crosstalk", f);
	if (pw1 >= g->P || pw2 >= g->P ||
	    !gdb_graph_pathway_in(g, pw1, f->net) ||
	    !gdb_graph_pathway_in(g, pw2, f->net))
		return -ENOENT;
	r->pw1 = pw1;
	r->group = (int)g->pgroup[pw1];
	r->pw2 = pw2;
	GDB_TRY(graph_nf_make(g, f, &nf));
	rc = -ENOMEM;
	if (pw_members(g, pw1, f->net, &m1, &n1) < 0 ||
	    pw_members(g, pw2, f->net, &m2, &n2) < 0)
		goto out;
	in = calloc((size_t)g->G + 1, 1);
	r->nodes = malloc(((size_t)(n1 < n2 ? n1 : n2) + 1) * 4);
	if (!in || !r->nodes)
		goto out;
	for (uint32_t i = 0; i < n1; i++)
		in[m1[i]] |= 1;
	for (uint32_t i = 0; i < n2; i++) {
		in[m2[i]] |= 2;
		if (in[m2[i]] == 3)
			r->nodes[r->nnodes++] = m2[i];
	}
	r->nshared = r->nnodes;
	r->size1 = n1;
	r->size2 = n2;
	s.in = in;
	for (int side = 0; side < 2 && !s.err; side++) {
		const uint32_t *m = side ? m2 : m1;
		uint32_t n = side ? n2 : n1;
		s.want = side ? 1 : 2;
		for (uint32_t i = 0; i < n && !s.err; i++) {
			s.u = m[i];
			scan(g, nf, s.u, GDB_GRAPH_OUT, 0, xt_visit, &s);
		}
	}
	if ((rc = s.err) < 0)
		goto out;
	graph_qsort_r(s.v, (size_t)s.n, sizeof(*s.v), eref_cmp, (void *)g);
	for (uint64_t i = 0; i < s.n; i++)
		if (!k || s.v[k - 1].net != s.v[i].net ||
		    s.v[k - 1].eid != s.v[i].eid)
			s.v[k++] = s.v[i];
	L = graph_lim(f->edge_limit ? f->edge_limit : f->limit,
		      GDB_GRAPH_DEFAULT_EDGE_LIMIT);
	r->edge_limit = r->limit = L;
	r->total_edges = k;
	r->nedges = k < L ? k : L;
	r->truncated = k > L;
	r->edges = s.v;
	s.v = NULL;
	r->total_nodes = r->nnodes;
	rc = 0;
out:
	free(s.v);
	free(m1);
	free(m2);
	free(in);
	graph_nf_free(g, nf);
	return rc;
}

/* ---------------------------------------------------------- enrichment */

static double lchoose(double n, double k)
{
	return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1);
}

/*
 * P(X >= k), X ~ Hypergeometric(N population, K successes, n draws): the
 * first term from log-gamma, the rest by the ratio of consecutive terms
 * t(i+1)/t(i) = (K-i)(n-i) / ((i+1)(N-K-n+i+1)), so a pathway costs a few
 * lgamma calls and one multiplication a term.
 */
static double hyper_sf(uint32_t k, uint32_t N, uint32_t K, uint32_t n)
{
	uint32_t hi = K < n ? K : n;
	double t, s = 0;

	if (k == 0)
		return 1.0;
	if (k > hi || (uint64_t)n - k > (uint64_t)N - K)
		return k > hi ? 0.0 : 1.0;
	t = exp(lchoose(K, k) + lchoose((double)N - K, (double)n - k) -
		lchoose(N, n));
	for (uint32_t i = k; i <= hi; i++) {
		s += t;
		if (i == hi)
			break;
		t *= ((double)K - i) * ((double)n - i) /
		     (((double)i + 1) * ((double)N - K - n + i + 1));
		if (t < s * 1e-17)
			break; /* terms only shrink past the mode */
	}
	return s > 1.0 ? 1.0 : s;
}

static int row_cmp(const void *x, const void *y, void *arg)
{
	const uint32_t *inv = arg;
	const gdb_graph_enrich_row *a = x, *b = y;

	if (a->p != b->p)
		return a->p < b->p ? -1 : 1;
	return inv[a->pathway] < inv[b->pathway]
		   ? -1
		   : inv[a->pathway] > inv[b->pathway];
}

/* An enrichment's state: the universe, the list, hits per pathway. */
typedef struct enr {
	const gdb_graph *g;
	const gdb_graph_filter *f;
	uint32_t grp;	    /* the species group tested */
	uint8_t *inuni;	    /* per node: 1 in the universe, 2 listed */
	uint32_t *list, nl; /* the list's distinct nodes in the universe */
	uint32_t N;	    /* universe size */
	uint32_t *hits;	    /* per global pathway */
	uint32_t *stamp;    /* per global pathway: last list index seen */
	uint32_t *inv;	    /* pathway id order */
} enr;

/* Network i counts: selected, and of the species tested. */
static int enr_net(const enr *e, uint32_t i)
{
	return (e->f->net < 0 || (uint32_t)e->f->net == i) &&
	       e->g->nets[i].group == e->grp;
}

/*
 * The species group to test: the network's when one is named, else the
 * group that holds the most of the list's names (ties: the group of the
 * earlier network), so a universe never mixes species.
 */
static int enr_group(const gdb_graph *g, const gdb_graph_filter *f,
		     const char *const *names, uint32_t n, uint32_t *grp)
{
	uint32_t *cnt, best = 0;

	*grp = 0;
	if (f->net >= 0) {
		*grp = g->nets[f->net].group;
		return 0;
	}
	if (g->ngroups < 2)
		return 0;
	cnt = calloc(g->ngroups, 4);
	if (!cnt)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < g->ngroups; k++)
			cnt[k] += graph_lookup(g, names[i], -1, (int)k) >= 0;
	for (uint32_t k = 1; k < g->ngroups; k++)
		if (cnt[k] > cnt[best])
			best = k;
	free(cnt);
	*grp = best;
	return 0;
}

/* Universe: the nodes that are members of a pathway of the selected
 * networks. */
static void enr_universe(enr *e)
{
	const gdb_graph *g = e->g;

	for (uint32_t i = 0; i < g->nnets; i++) {
		const graph_net *Nw = &g->nets[i];
		if (!enr_net(e, i))
			continue;
		for (uint32_t l = 0; l < Nw->n; l++)
			if (Nw->node_pw_off[l + 1] > Nw->node_pw_off[l] &&
			    !e->inuni[Nw->l2g[l]]) {
				e->inuni[Nw->l2g[l]] = 1;
				e->N++;
			}
	}
}

/* The list's names to distinct nodes of the universe. */
static void enr_list(enr *e, const char *const *names, uint32_t n,
		     gdb_graph_result *r)
{
	r->list_size = n;
	for (uint32_t i = 0; i < n; i++) {
		int id = graph_lookup(e->g, names[i], -1, (int)e->grp);
		if (id < 0 && e->f->net >= 0)
			id = graph_lookup(e->g, names[i], e->f->net, -1);
		if (id < 0)
			continue;
		r->list_mapped++;
		if (e->inuni[id] != 1)
			continue; /* not in the universe, or repeated */
		e->inuni[id] = 2;
		e->list[e->nl++] = (uint32_t)id;
	}
	for (uint32_t i = 0; i < e->nl; i++)
		e->inuni[e->list[i]] = 1;
}

/*
 * Visit each (list gene j, global pathway) pair once, even where several
 * networks list the gene in that pathway.
 */
static void enr_pairs(enr *e,
		      void (*visit)(enr *e, uint32_t j, uint32_t gp, void *arg),
		      void *arg)
{
	const gdb_graph *g = e->g;

	memset(e->stamp, 0xff, ((size_t)g->P + 1) * 4);
	for (uint32_t j = 0; j < e->nl; j++)
		for (uint32_t i = 0; i < g->nnets; i++) {
			const graph_net *Nw = &g->nets[i];
			uint32_t l = g->g2l[i][e->list[j]];
			if (!enr_net(e, i) || l == GRAPH_NONE)
				continue;
			for (uint64_t k = Nw->node_pw_off[l];
			     k < Nw->node_pw_off[l + 1]; k++) {
				uint32_t gp = Nw->pw2g[Nw->node_pw[k]];
				if (e->stamp[gp] == j)
					continue;
				e->stamp[gp] = j;
				visit(e, j, gp, arg);
			}
		}
}

static void count_hit(enr *e, uint32_t j, uint32_t gp, void *arg)
{
	(void)j;
	(void)arg;
	e->hits[gp]++;
}

/* One row per pathway with hits, its p-value; ordered by p, then id;
 * q by Benjamini-Hochberg: q_i = min over j >= i of p_j * m / j. */
static int enr_rows(enr *e, gdb_graph_enrich_row **out, uint32_t *nrows)
{
	const gdb_graph *g = e->g;
	gdb_graph_enrich_row *rows;
	uint32_t m = 0;
	double run = 1.0;

	for (uint32_t p = 0; p < g->P; p++)
		m += e->hits[p] > 0;
	rows = calloc((size_t)m + 1, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	*out = rows;
	m = 0;
	for (uint32_t p = 0; p < g->P; p++) {
		uint32_t *mem, mn;
		int rc;
		if (!e->hits[p])
			continue;
		if ((rc = pw_members(g, p, e->f->net, &mem, &mn)) < 0)
			return rc;
		free(mem);
		rows[m].pathway = p;
		rows[m].hits = e->hits[p];
		rows[m].size = mn;
		rows[m].p = hyper_sf(e->hits[p], e->N, mn, e->nl);
		m++;
	}
	graph_qsort_r(rows, m, sizeof(*rows), row_cmp, e->inv);
	for (uint32_t i = m; i-- > 0;) {
		double q = rows[i].p * m / (i + 1);
		if (q < run)
			run = q;
		rows[i].q = run;
	}
	*nrows = m;
	return 0;
}

/* The hit genes of the rows kept: (pathway, gene) pairs. */
typedef struct hitpairs {
	const uint8_t *keep;
	uint32_t *pairs, np;
	uint64_t tot;
} hitpairs;

static void pair_hit(enr *e, uint32_t j, uint32_t gp, void *arg)
{
	hitpairs *h = arg;

	if (h->keep[gp] && h->np < h->tot) {
		h->pairs[2 * h->np] = gp;
		h->pairs[2 * h->np + 1] = e->list[j];
		h->np++;
	}
}

/* r->hit_nodes: each kept row's hit genes, by name. */
static int enr_hit_genes(enr *e, gdb_graph_result *r)
{
	uint8_t *keep = calloc((size_t)e->g->P + 1, 1);
	hitpairs h = {keep, NULL, 0, 0};
	uint32_t at = 0;

	for (uint32_t i = 0; i < r->nrows; i++)
		h.tot += r->rows[i].hits;
	h.pairs = malloc((size_t)(h.tot + 1) * 8);
	r->hit_nodes = malloc((size_t)(h.tot + 1) * 4);
	if (!keep || !h.pairs || !r->hit_nodes) {
		free(keep);
		free(h.pairs);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < r->nrows; i++)
		keep[r->rows[i].pathway] = 1;
	enr_pairs(e, pair_hit, &h);
	/* Group by pathway, then order each group by name. */
	for (uint32_t i = 0; i < r->nrows; i++) {
		uint32_t gp = r->rows[i].pathway;
		r->rows[i].hit_off = at;
		for (uint32_t q = 0; q < h.np; q++)
			if (h.pairs[2 * q] == gp)
				r->hit_nodes[at++] = h.pairs[2 * q + 1];
		graph_qsort_r(r->hit_nodes + r->rows[i].hit_off,
			      at - (uint32_t)r->rows[i].hit_off, 4,
			      graph_u32_rank_order, (void *)e->g);
	}
	free(keep);
	free(h.pairs);
	return 0;
}

int gdb_graph_enrich(const gdb_graph *g, const char *const *names, uint32_t n,
		     const gdb_graph_filter *f, gdb_graph_result *r)
{
	enr e = {.g = g, .f = f};
	gdb_graph_enrich_row *rows = NULL;
	uint32_t m = 0;
	uint64_t L;
	int rc = -ENOMEM;

	graph_result_init(r, "enrich", f);
	if (f->net >= (int)g->nnets)
		return -EINVAL;
	GDB_TRY(enr_group(g, f, names, n, &e.grp));
	r->group = (int)e.grp;
	e.inuni = calloc((size_t)g->G + 1, 1);
	e.list = malloc(((size_t)n + 1) * 4);
	e.hits = calloc((size_t)g->P + 1, 4);
	e.stamp = malloc(((size_t)g->P + 1) * 4);
	e.inv = pw_inverse_rank(g);
	if (!e.inuni || !e.list || !e.hits || !e.stamp || !e.inv)
		goto out;
	enr_universe(&e);
	enr_list(&e, names, n, r);
	enr_pairs(&e, count_hit, NULL);
	if ((rc = enr_rows(&e, &rows, &m)) < 0)
		goto out;
	L = graph_lim(f->limit, GDB_GRAPH_DEFAULT_LIMIT);
	r->limit = L;
	r->universe = e.N;
	r->size1 = e.nl;
	r->tested = m;
	r->total_nodes = m;
	r->nrows = (uint32_t)(m < L ? m : L);
	r->truncated = m > L;
	r->rows = rows;
	rows = NULL;
	rc = enr_hit_genes(&e, r);
out:
	free(e.inuni);
	free(e.list);
	free(e.hits);
	free(e.stamp);
	free(e.inv);
	free(rows);
	return rc;
}
