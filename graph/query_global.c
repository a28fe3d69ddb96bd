/*
 * graph/query_global.c - queries over the whole graph: weakly connected
 * components (union-find over the matching edges) and nodes ranked by
 * degree.
 * The scans and shared helpers: query_int.h.
 */
#define _GNU_SOURCE
#include "graph/query_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------- components */

static uint32_t uf_find(uint32_t *p, uint32_t x)
{
	while (p[x] != x) {
		p[x] = p[p[x]];
		x = p[x];
	}
	return x;
}

struct ufs {
	uint32_t *p;
	uint32_t u;
};

static int uf_visit(void *arg, const hit *h)
{
	struct ufs *s = arg;
	uint32_t a = uf_find(s->p, s->u), b = uf_find(s->p, h->nbr);

	if (a != b) {
		if (a < b)
			s->p[b] = a;
		else
			s->p[a] = b;
	}
	return 0;
}

/* Does node u exist in a selected network? */
static int present(const gdb_graph *g, const graph_nf *nf, uint32_t u)
{
	for (uint32_t i = 0; i < g->nnets; i++)
		if (nf[i].use && g->g2l[i][u] != GRAPH_NONE)
			return 1;
	return 0;
}

static int comp_cmp(const void *x, const void *y)
{
	const gdb_graph_enrich_row *a = x, *b = y;

	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	return a->hits < b->hits ? -1 : a->hits > b->hits;
}

int gdb_graph_components(const gdb_graph *g, const gdb_graph_filter *f,
			 gdb_graph_result *r)
{
	graph_nf *nf = NULL;
	struct ufs s = {0};
	uint32_t *root_row = NULL, *row_of = NULL, nr = 0, np = 0;
	uint64_t L;
	const void *ctx[2];
	int rc = -ENOMEM;

	graph_result_init(r, "components", f);
	GDB_TRY(graph_nf_make(g, f, &nf));
	s.p = malloc((size_t)g->G * 4 + 4);
	root_row = malloc((size_t)g->G * 4 + 4);
	r->rows = calloc((size_t)g->G + 1, sizeof(*r->rows));
	r->nodes = malloc((size_t)g->G * 4 + 4);
	if (!s.p || !root_row || !r->rows || !r->nodes)
		goto out;
	for (uint32_t u = 0; u < g->G; u++)
		s.p[u] = u;
	for (uint32_t u = 0; u < g->G; u++) {
		s.u = u;
		scan(g, nf, u, GDB_GRAPH_OUT, 0, uf_visit, &s);
	}
	memset(root_row, 0xff, (size_t)g->G * 4);
	/* Provisional rows in node order; rows[].hits holds the smallest
	 * member rank, rows[].pathway the provisional row number. */
	for (uint32_t u = 0; u < g->G; u++) {
		uint32_t rt, k;
		if (!present(g, nf, u))
			continue;
		rt = uf_find(s.p, u);
		if (root_row[rt] == GRAPH_NONE) {
			root_row[rt] = nr;
			r->rows[nr].pathway = nr;
			r->rows[nr].hits = g->rank[u];
			nr++;
		}
		k = root_row[rt];
		r->rows[k].size++;
		if (g->rank[u] < r->rows[k].hits)
			r->rows[k].hits = g->rank[u];
		r->nodes[np++] = u;
	}
	graph_qsort(r->rows, nr, sizeof(*r->rows), comp_cmp);
	row_of = malloc((size_t)nr * 4 + 4);
	r->dist = malloc((size_t)np * 4 + 4);
	if (!row_of || !r->dist)
		goto out;
	for (uint32_t i = 0; i < nr; i++)
		row_of[r->rows[i].pathway] = i;
	/* Nodes by (component row, name); dist = row. Reuse root_row as
	 * the node -> row map for sorting. */
	for (uint32_t i = 0; i < np; i++) {
		uint32_t u = r->nodes[i];
		root_row[u] = row_of[root_row[uf_find(s.p, u)]];
	}
	ctx[0] = g;
	ctx[1] = root_row;
	graph_qsort_r(r->nodes, np, 4, graph_dist_rank_order, ctx);
	L = graph_lim(f->limit, GDB_GRAPH_DEFAULT_LIMIT);
	r->limit = L;
	r->total_nodes = np;
	r->nrows = (uint32_t)(nr < L ? nr : L);
	r->tested = nr;
	r->truncated = nr > L;
	r->nnodes = 0;
	for (uint32_t i = 0; i < np; i++) {
		uint32_t row = root_row[r->nodes[i]];
		if (row >= r->nrows)
			break;
		r->dist[r->nnodes] = (int32_t)row;
		r->nodes[r->nnodes++] = r->nodes[i];
	}
	for (uint32_t i = 0; i < nr; i++)
		r->rows[i].pathway = GRAPH_NONE;
	rc = 0;
out:
	free(row_of);
	free(root_row);
	free(s.p);
	graph_nf_free(g, nf);
	return rc;
}

/* -------------------------------------------------------------- degree */

struct degs {
	uint64_t n;
};

static int deg_visit(void *arg, const hit *h)
{
	(void)h;
	((struct degs *)arg)->n++;
	return 0;
}

int gdb_graph_degree(const gdb_graph *g, const gdb_graph_filter *f,
		     gdb_graph_result *r)
{
	graph_nf *nf = NULL;
	int32_t *deg = NULL;
	uint32_t np = 0;
	uint64_t L;
	int rc = -ENOMEM;
	const void *ctx[2];

	graph_result_init(r, "degree", f);
	GDB_TRY(graph_nf_make(g, f, &nf));
	deg = malloc((size_t)g->G * 4 + 4);
	r->nodes = malloc((size_t)g->G * 4 + 4);
	if (!deg || !r->nodes)
		goto out;
	for (uint32_t u = 0; u < g->G; u++) {
		struct degs d = {0};
		if (!present(g, nf, u))
			continue;
		scan(g, nf, u, f->dir ? f->dir : GDB_GRAPH_BOTH, 0, deg_visit,
		     &d);
		/* Sort key: degree descending, as a negative distance. */
		deg[u] = d.n > INT32_MAX ? -INT32_MAX : -(int32_t)d.n;
		r->nodes[np++] = u;
	}
	ctx[0] = g;
	ctx[1] = deg;
	graph_qsort_r(r->nodes, np, 4, graph_dist_rank_order, ctx);
	L = graph_lim(f->limit, GDB_GRAPH_DEFAULT_LIMIT);
	r->limit = L;
	r->total_nodes = np;
	r->nnodes = (uint32_t)(np < L ? np : L);
	r->truncated = np > L;
	r->dist = malloc((size_t)r->nnodes * 4 + 4);
	if (!r->dist)
		goto out;
	for (uint32_t i = 0; i < r->nnodes; i++)
		r->dist[i] = -deg[r->nodes[i]];
	rc = 0;
out:
	free(deg);
	graph_nf_free(g, nf);
	return rc;
}
