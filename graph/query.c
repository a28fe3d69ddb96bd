/*
 * graph/query.c - results, and the queries around one node: neighbours,
 * k-hop, upstream and downstream (with the induced subgraph, which the
 * pathway subgraph shares). The other query families: query_path.c,
 * query_pathway.c, query_global.c; the adjacency scans: query_int.h.
 *
 * Every query walks the networks' CSR arrays in place. Each node's
 * adjacency is sorted by confidence, highest first (docs/GRAPH.md), so a
 * minimum-confidence filter reads a prefix and stops, and Dijkstra reads
 * edges cheapest first and stops a node's scan as soon as no edge can
 * improve on the best path found so far.
 *
 * Determinism: every answer is sorted by a documented key ending in node
 * rank (case-insensitive name order) or (network, edge index), never by
 * hash or address order, so the same store gives the same bytes.
 *
 * Scratch memory is allocated per query (O(nodes)), so queries run
 * concurrently on one reader.
 */
#define _GNU_SOURCE
#include "graph/query_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Words of a bitmap with room for every local node of any network. */
static size_t local_words(const gdb_graph *g)
{
	uint32_t most = 0;

	for (uint32_t i = 0; i < g->nnets; i++)
		if (g->nets[i].n > most)
			most = g->nets[i].n;
	return (size_t)most / 64 + 1;
}

void gdb_graph_result_free(gdb_graph_result *r)
{
	if (!r)
		return;
	free(r->nodes);
	free(r->dist);
	free(r->edges);
	free(r->edir);
	free(r->path_off);
	free(r->path_node);
	free(r->path_edge);
	free(r->path_cost);
	free(r->rows);
	free(r->hit_nodes);
	memset(r, 0, sizeof(*r));
}

void graph_result_init(gdb_graph_result *r, const char *q,
		       const gdb_graph_filter *f)
{
	memset(r, 0, sizeof(*r));
	r->query = q;
	r->center = GRAPH_NONE;
	r->pw1 = r->pw2 = GRAPH_NONE;
	r->group = -1;
	r->network = f->net;
	r->filter = f;
}

/* ------------------------------------------------------------ vectors */

typedef struct hitvec {
	hit *v;
	uint64_t n, cap;
	int err;
} hitvec;

static int hv_push(void *arg, const hit *h)
{
	hitvec *hv = arg;

	if (ARRAY_ROOM(hv->v, hv->n, hv->cap, 256) < 0) {
		hv->err = -ENOMEM;
		return 1;
	}
	hv->v[hv->n++] = *h;
	return 0;
}

/* ---------------------------------------------------------- neighbours */

static int hit_order(const void *x, const void *y, void *arg)
{
	const gdb_graph *g = arg;
	const hit *a = x, *b = y;

	if (a->conf != b->conf)
		return a->conf > b->conf ? -1 : 1;
	if (a->nbr != b->nbr)
		return g->rank[a->nbr] < g->rank[b->nbr] ? -1 : 1;
	if (a->net != b->net)
		return a->net < b->net ? -1 : 1;
	if (a->eid != b->eid)
		return a->eid < b->eid ? -1 : 1;
	return a->edir < b->edir ? -1 : a->edir > b->edir;
}

int graph_u32_rank_order(const void *x, const void *y, void *arg)
{
	const gdb_graph *g = arg;
	uint32_t a = g->rank[*(const uint32_t *)x];
	uint32_t b = g->rank[*(const uint32_t *)y];

	return a < b ? -1 : a > b;
}

int gdb_graph_neighbors(const gdb_graph *g, uint32_t node,
			const gdb_graph_filter *f, gdb_graph_result *r)
{
	graph_nf *nf = NULL;
	hitvec hv = {0};
	uint64_t L;
	uint8_t *seen = NULL;
	int rc;

	graph_result_init(r, "neighbors", f);
	if (node >= g->G)
		return -ENOENT;
	GDB_TRY(graph_nf_make(g, f, &nf));
	r->center = node;
	r->group = (int)g->ggroup[node];
	scan(g, nf, node, f->dir ? f->dir : GDB_GRAPH_BOTH, 0, hv_push, &hv);
	rc = hv.err;
	if (rc < 0)
		goto out;
	graph_qsort_r(hv.v, (size_t)hv.n, sizeof(hit), hit_order, (void *)g);
	L = graph_lim(f->limit, GDB_GRAPH_DEFAULT_LIMIT);
	r->limit = L;
	r->total_edges = hv.n;
	r->nedges = hv.n < L ? hv.n : L;
	r->truncated = hv.n > L;
	r->edges = malloc((size_t)(r->nedges + 1) * sizeof(*r->edges));
	r->edir = malloc((size_t)r->nedges + 1);
	r->nodes = malloc((size_t)(r->nedges + 1) * 4);
	seen = calloc(g->G ? g->G : 1, 1);
	rc = -ENOMEM;
	if (!r->edges || !r->edir || !r->nodes || !seen)
		goto out;
	r->nodes[r->nnodes++] = node;
	seen[node] = 1;
	for (uint64_t i = 0; i < r->nedges; i++) {
		r->edges[i] = (gdb_graph_eref){hv.v[i].net, hv.v[i].eid};
		r->edir[i] = hv.v[i].edir;
		if (!seen[hv.v[i].nbr]) {
			seen[hv.v[i].nbr] = 1;
			r->nodes[r->nnodes++] = hv.v[i].nbr;
		}
	}
	{
		uint64_t distinct = 0;
		memset(seen, 0, g->G);
		for (uint64_t i = 0; i < hv.n; i++)
			if (!seen[hv.v[i].nbr]) {
				seen[hv.v[i].nbr] = 1;
				distinct++;
			}
		r->total_nodes = distinct;
	}
	if (r->nnodes > 1)
		graph_qsort_r(r->nodes + 1, r->nnodes - 1, 4,
			      graph_u32_rank_order, (void *)g);
	rc = 0;
out:
	free(seen);
	free(hv.v);
	graph_nf_free(g, nf);
	return rc;
}

/* --------------------------------------------------------------- k-hop */

struct induced {
	const uint64_t *kept; /* bit per global node: in the answer */
	uint64_t **lkept;     /* per network, the same by local id */
	gdb_graph_result *r;
	uint64_t cap;
	int err;
};

/*
 * Keep an edge found in the out list of a kept node. An undirected edge
 * is in the lists of both its ends and is kept from the one stored as its
 * source: src <= dst (docs/GRAPH.md), so in the local ids of the list that
 * is the end whose id is not above the neighbour's. Testing that, rather
 * than reading edge.src, spares a random access into the edge columns per
 * entry, which was most of the time of a k-hop on a large graph.
 */
static int induced_visit(void *arg, const hit *h)
{
	struct induced *s = arg;
	gdb_graph_result *r = s->r;

	if (!(s->kept[h->nbr / 64] >> (h->nbr % 64) & 1))
		return 0;
	if (h->edir == 3 && h->lnbr < h->at)
		return 0;
	r->total_edges++;
	if (r->nedges >= r->edge_limit) {
		r->truncated = 1;
		return 0;
	}
	if (ARRAY_ROOM(r->edges, r->nedges, s->cap, 256) < 0) {
		s->err = -ENOMEM;
		return 1;
	}
	r->edges[r->nedges++] = (gdb_graph_eref){h->net, h->eid};
	return 0;
}

/* Count an edge found in the out list of a kept node, past edge_limit. */
static int induced_count(void *arg, const hit *h)
{
	struct induced *s = arg;

	/* Without branches (both tests go either way at random), and by
	 * local id, so the scan need not map each neighbour to its global
	 * id. */
	s->r->total_edges +=
	    (s->lkept[h->net][h->lnbr / 64] >> (h->lnbr % 64) & 1) &
	    (h->edir != 3 || h->lnbr >= h->at);
	return 0;
}

/*
 * For each selected network, the bitmap kept by local id: every local node
 * whose global node is kept (two local nodes may share one).
 * @param out out: nnets bitmaps (NULL for networks not selected); free
 *            each and the array
 */
static int local_kept(const gdb_graph *g, const graph_nf *nf,
		      const uint64_t *kept, uint64_t ***out)
{
	uint64_t **lk = calloc(g->nnets ? g->nnets : 1, sizeof(*lk));

	*out = lk;
	if (!lk)
		return -ENOMEM;
	for (uint32_t i = 0; i < g->nnets; i++) {
		const graph_net *N = &g->nets[i];
		if (!nf[i].use)
			continue;
		lk[i] = calloc((size_t)N->n / 64 + 1, 8);
		if (!lk[i])
			return -ENOMEM;
		for (uint32_t l = 0; l < N->n; l++) {
			uint32_t u = N->l2g[l];
			lk[i][l / 64] |= (kept[u / 64] >> (u % 64) & 1)
					 << (l % 64);
		}
	}
	return 0;
}

/*
 * Edges among r->nodes (which are in output order), in that order; past
 * edge_limit the rest are only counted, in scan_set's order.
 */
int graph_induced_edges(const gdb_graph *g, const graph_nf *nf,
			gdb_graph_result *r, int directed_only)
{
	uint64_t *kept = calloc((size_t)g->G / 64 + 1, 8);
	uint64_t *lbits = calloc(local_words(g), 8);
	uint32_t *ls = malloc(((size_t)r->nnodes + 1) * 4);
	struct induced s = {0};
	uint32_t i;

	if (!kept || !lbits || !ls) {
		free(kept);
		free(lbits);
		free(ls);
		return -ENOMEM;
	}
	for (i = 0; i < r->nnodes; i++)
		kept[r->nodes[i] / 64] |= 1ull << (r->nodes[i] % 64);
	s.kept = kept;
	s.r = r;
	for (i = 0; i < r->nnodes && r->nedges < r->edge_limit && !s.err; i++)
		scan(g, nf, r->nodes[i], GDB_GRAPH_OUT, directed_only,
		     induced_visit, &s);
	if (!s.err && i < r->nnodes) {
		uint64_t before = r->total_edges;
		if ((s.err = local_kept(g, nf, kept, &s.lkept)) < 0)
			goto out;
		scan_set(g, nf, r->nodes + i, r->nnodes - i, lbits, ls,
			 GDB_GRAPH_OUT, directed_only, 0, induced_count, &s);
		if (r->total_edges > before)
			r->truncated = 1;
	}
out:
	if (s.lkept)
		for (uint32_t n = 0; n < g->nnets; n++)
			free(s.lkept[n]);
	free(s.lkept);
	free(kept);
	free(lbits);
	free(ls);
	return s.err;
}

int graph_dist_rank_order(const void *x, const void *y, void *arg)
{
	const gdb_graph *g = ((const void *const *)arg)[0];
	const int32_t *dist = ((const void *const *)arg)[1];
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	if (dist[a] != dist[b])
		return dist[a] < dist[b] ? -1 : 1;
	return g->rank[a] < g->rank[b] ? -1 : g->rank[a] > g->rank[b];
}

/*
 * Order v[0 .. n) by node rank (name order) through a bitmap of ranks:
 * linear in n and G / 64, where qsort_r with a rank comparison was a
 * tenth of a k-hop of a few thousand nodes. Ranks are distinct, so the
 * order is the comparison sort's.
 * @param rbits G bits, zeroed; left zeroed
 */
static void rank_sort(const gdb_graph *g, uint32_t *v, uint64_t n,
		      uint64_t *rbits)
{
	uint64_t k = 0;

	for (uint64_t i = 0; i < n; i++)
		rbits[g->rank[v[i]] / 64] |= 1ull << (g->rank[v[i]] % 64);
	for (uint32_t w = 0; k < n; w++) {
		for (uint64_t b = rbits[w]; b; b &= b - 1)
			v[k++] =
			    g->byrank[w * 64 + (uint32_t)__builtin_ctzll(b)];
		rbits[w] = 0;
	}
}

int gdb_graph_khop(const gdb_graph *g, uint32_t node, unsigned k, int mode,
		   const gdb_graph_filter *f, gdb_graph_result *r)
{
	graph_nf *nf = NULL;
	struct bfs b = {0};
	int dir, directed_only = mode != 0, rc = -ENOMEM;
	uint64_t L, head = 0, *bits = NULL;
	uint32_t *ls = NULL;

	graph_result_init(r,
			  mode == GDB_GRAPH_OUT	 ? "downstream"
			  : mode == GDB_GRAPH_IN ? "upstream"
						 : "khop",
			  f);
	if (node >= g->G)
		return -ENOENT;
	GDB_TRY(graph_nf_make(g, f, &nf));
	r->center = node;
	r->group = (int)g->ggroup[node];
	dir = mode ? mode : (f->dir ? f->dir : GDB_GRAPH_BOTH);
	b.dist = malloc((size_t)g->G * 4);
	b.q = malloc((size_t)g->G * 4);
	ls = malloc((size_t)g->G * 4);
	/* room for a bitmap of local nodes (scan_set), or of ranks */
	bits = calloc(local_words(g) + (size_t)g->G / 64 + 1, 8);
	if (!b.dist || !b.q || !ls || !bits)
		goto out;
	memset(b.dist, 0xff, (size_t)g->G * 4);
	b.dist[node] = 0;
	b.q[b.qn++] = node;
	/* Level by level; the order within a level does not matter (it is
	 * sorted below), so scan_set may take each level in its order. */
	for (unsigned d = 1; d <= k; d++) {
		uint64_t end = b.qn;
		b.d = (int32_t)d;
		scan_set(g, nf, b.q + head, end - head, bits, ls, dir,
			 directed_only, 0, bfs_visit, &b);
		head = end;
		if (b.qn == end)
			break;
	}
	/* Distance, then name: each level (contiguous in q) by rank. */
	head = 0;
	for (uint64_t i = 1; i <= b.qn; i++)
		if (i == b.qn || b.dist[b.q[i]] != b.dist[b.q[head]]) {
			rank_sort(g, b.q + head, i - head, bits);
			head = i;
		}
	L = graph_lim(f->limit, GDB_GRAPH_DEFAULT_NODE_LIMIT);
	r->limit = L;
	r->total_nodes = b.qn;
	r->nnodes = (uint32_t)(b.qn < L ? b.qn : L);
	r->truncated = b.qn > L;
	r->nodes = b.q;
	b.q = NULL;
	r->dist = malloc((size_t)(r->nnodes + 1) * 4);
	if (!r->dist)
		goto out;
	for (uint32_t i = 0; i < r->nnodes; i++)
		r->dist[i] = b.dist[r->nodes[i]];
	r->edge_limit = graph_lim(f->edge_limit, GDB_GRAPH_DEFAULT_EDGE_LIMIT);
	rc = graph_induced_edges(g, nf, r, directed_only);
out:
	free(b.dist);
	free(b.q);
	free(ls);
	free(bits);
	graph_nf_free(g, nf);
	return rc;
}
