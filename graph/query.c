/*
 * graph/query.c - the graph queries: neighbours, k-hop, upstream and
 * downstream, weighted shortest path, simple and k shortest paths,
 * pathway subgraphs and membership, crosstalk, enrichment, components and
 * degree ranking.
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
#include "graph/graph_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* An adjacency entry that passed the filter. */
typedef struct hit {
	uint32_t net, eid, nbr;	/* nbr: global */
	uint32_t at, lnbr;	/* the scanned node and nbr, local ids */
	float conf;
	uint8_t edir;		/* 1 out, 2 in, 3 undirected */
} hit;

typedef int (*hit_fn)(void *arg, const hit *h);

/*
 * Whether a scan reads the out lists' edge indexes: not when the callback
 * needs none (ids 0), every out entry is undirected (the index only says
 * so) and no type filter applies. That is a third of the memory a count
 * over a large undirected network (STRING) reads.
 */
static inline int scan_eids(const graph_net *N, const graph_nf *F, int ids)
{
	return ids || N->out_ndirected || !F->all_types;
}

/*
 * Visit the matching edges at local node l of network i (see scan).
 * @param ids 0 if cb reads no h->eid (see scan_eids)
 * @return non-zero if cb stopped the scan.
 */
static inline __attribute__((always_inline)) int
scan_net(const gdb_graph *g, const graph_nf *nf, uint32_t i, uint32_t l,
	 int dir, int directed_only, int ids, hit_fn cb, void *arg)
{
	const graph_net *N = &g->nets[i];
	const graph_nf *F = &nf[i];
	int eids = scan_eids(N, F, ids);
	hit h;

	h.net = i;
	h.at = l;
	/* The out list holds directed out-edges and undirected edges; with
	 * dir IN only its undirected entries count. */
	for (uint64_t k = N->out_off[l], e = N->out_off[l + 1]; k < e; k++) {
		uint32_t raw = eids ? N->out_eid[k] : GRAPH_UNDIR_BIT;
		int und = (raw & GRAPH_UNDIR_BIT) != 0;
		if (N->out_conf[k] < F->min_conf)
			break;
		if (und ? directed_only : !(dir & GDB_GRAPH_OUT))
			continue;
		h.eid = raw & GRAPH_EID_MASK;
		if (!graph_nf_ok(N, F, h.eid))
			continue;
		h.lnbr = N->out_nbr[k];
		h.nbr = N->l2g[h.lnbr];
		h.conf = N->out_conf[k];
		h.edir = und ? 3 : 1;
		if (cb(arg, &h))
			return 1;
	}
	if (!(dir & GDB_GRAPH_IN))
		return 0;
	for (uint64_t k = N->in_off[l], e = N->in_off[l + 1]; k < e; k++) {
		if (N->in_conf[k] < F->min_conf)
			break;
		/* A directed self-loop is already in the out list. */
		if ((dir & GDB_GRAPH_OUT) && N->in_nbr[k] == l)
			continue;
		h.eid = N->in_eid[k] & GRAPH_EID_MASK;
		if (!graph_nf_ok(N, F, h.eid))
			continue;
		h.lnbr = N->in_nbr[k];
		h.nbr = N->l2g[h.lnbr];
		h.conf = N->in_conf[k];
		h.edir = 2;
		if (cb(arg, &h))
			return 1;
	}
	return 0;
}

/*
 * Visit the matching edges at global node u, network by network. dir:
 * OUT, IN or BOTH. directed_only skips undirected edges
 * (upstream/downstream).
 * @return non-zero if cb stopped the scan.
 */
static inline __attribute__((always_inline)) int
scan(const gdb_graph *g, const graph_nf *nf, uint32_t u, int dir,
     int directed_only, hit_fn cb, void *arg)
{
	for (uint32_t i = 0; i < g->nnets; i++) {
		uint32_t l;
		if (!nf[i].use)
			continue;
		l = g->g2l[i][u];
		if (l == GRAPH_NONE)
			continue;
		if (scan_net(g, nf, i, l, dir, directed_only, 1, cb, arg))
			return 1;
	}
	return 0;
}

/* Ask for the first lines of local node l's lists (see scan_set);
 * always_inline as edge_ahead() in render.c says. */
static inline __attribute__((always_inline)) void
prefetch_lists(const graph_net *N, uint32_t l, int dir, int eids)
{
	uint64_t k = N->out_off[l];

	__builtin_prefetch(N->out_conf + k);
	if (eids)
		__builtin_prefetch(N->out_eid + k);
	__builtin_prefetch(N->out_nbr + k);
	if (dir & GDB_GRAPH_IN) {
		k = N->in_off[l];
		__builtin_prefetch(N->in_conf + k);
		__builtin_prefetch(N->in_eid + k);
		__builtin_prefetch(N->in_nbr + k);
	}
}

#define SCAN_AHEAD 4	/* nodes whose lists are prefetched ahead */

/*
 * Visit the matching edges at each node of v[0 .. n), in no particular
 * order: network by network, the nodes in local id order, so consecutive
 * adjacency lists are near each other in the mapping, with the lists of
 * the next few nodes prefetched (in the order of a node list each list is
 * a cache and TLB miss waited for, which was most of the time of a k-hop
 * on a large graph).
 * @param lbits room for the largest network's bitmap of local nodes,
 *              zeroed; left zeroed
 * @param ls    room for n local ids
 * @param ids   0 if cb reads no h->eid (see scan_eids)
 */
static inline __attribute__((always_inline)) int
scan_set(const gdb_graph *g, const graph_nf *nf, const uint32_t *v, uint64_t n,
	 uint64_t *lbits, uint32_t *ls, int dir, int directed_only, int ids,
	 hit_fn cb, void *arg)
{
	for (uint32_t i = 0; i < g->nnets; i++) {
		const uint32_t *g2l = g->g2l[i];
		uint32_t words = g->nets[i].n / 64 + 1;
		uint64_t m = 0;
		int eids;
		if (!nf[i].use)
			continue;
		eids = scan_eids(&g->nets[i], &nf[i], ids);
		for (uint64_t j = 0; j < n; j++)
			if (g2l[v[j]] != GRAPH_NONE)
				lbits[g2l[v[j]] / 64] |= 1ull << (g2l[v[j]] % 64);
		for (uint32_t w = 0; w < words; w++) {
			for (uint64_t b = lbits[w]; b; b &= b - 1)
				ls[m++] = w * 64 + (uint32_t)__builtin_ctzll(b);
			lbits[w] = 0;
		}
		for (uint64_t j = 0; j < m && j < SCAN_AHEAD; j++)
			prefetch_lists(&g->nets[i], ls[j], dir, eids);
		for (uint64_t j = 0; j < m; j++) {
			if (j + SCAN_AHEAD < m)
				prefetch_lists(&g->nets[i], ls[j + SCAN_AHEAD],
					       dir, eids);
			if (scan_net(g, nf, i, ls[j], dir, directed_only, ids,
				     cb, arg))
				return 1;
		}
	}
	return 0;
}

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

static void result_init(gdb_graph_result *r, const char *q,
			const gdb_graph_filter *f)
{
	memset(r, 0, sizeof(*r));
	r->query = q;
	r->center = GRAPH_NONE;
	r->pw1 = r->pw2 = GRAPH_NONE;
	r->network = f->net;
	r->filter = f;
}

static uint64_t lim(uint64_t v, uint64_t dflt)
{
	return v ? v : dflt;
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

static int u32_rank_order(const void *x, const void *y, void *arg)
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

	result_init(r, "neighbors", f);
	if (node >= g->G)
		return -ENOENT;
	GDB_TRY(graph_nf_make(g, f, &nf));
	r->center = node;
	scan(g, nf, node, f->dir ? f->dir : GDB_GRAPH_BOTH, 0, hv_push, &hv);
	rc = hv.err;
	if (rc < 0)
		goto out;
	graph_qsort_r(hv.v, (size_t)hv.n, sizeof(hit), hit_order, (void *)g);
	L = lim(f->limit, GDB_GRAPH_DEFAULT_LIMIT);
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
		graph_qsort_r(r->nodes + 1, r->nnodes - 1, 4, u32_rank_order,
			(void *)g);
	rc = 0;
out:
	free(seen);
	free(hv.v);
	graph_nf_free(g, nf);
	return rc;
}

/* --------------------------------------------------------------- k-hop */

struct bfs {
	int32_t *dist;
	uint32_t *q;
	uint64_t qn;
	int32_t d;
};

static int bfs_visit(void *arg, const hit *h)
{
	struct bfs *b = arg;

	if (b->dist[h->nbr] < 0) {
		b->dist[h->nbr] = b->d;
		b->q[b->qn++] = h->nbr;
	}
	return 0;
}

struct induced {
	const uint64_t *kept;	/* bit per global node: in the answer */
	uint64_t **lkept;	/* per network, the same by local id */
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
			lk[i][l / 64] |= (kept[u / 64] >> (u % 64) & 1) << (l % 64);
		}
	}
	return 0;
}

/*
 * Edges among r->nodes (which are in output order), in that order; past
 * edge_limit the rest are only counted, in scan_set's order.
 */
static int induced_edges(const gdb_graph *g, const graph_nf *nf,
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

static int dist_rank_order(const void *x, const void *y, void *arg)
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
			v[k++] = g->byrank[w * 64 + (uint32_t)__builtin_ctzll(b)];
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

	result_init(r, mode == GDB_GRAPH_OUT  ? "downstream"
		       : mode == GDB_GRAPH_IN ? "upstream"
					      : "khop",
		    f);
	if (node >= g->G)
		return -ENOENT;
	GDB_TRY(graph_nf_make(g, f, &nf));
	r->center = node;
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
	L = lim(f->limit, GDB_GRAPH_DEFAULT_NODE_LIMIT);
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
	r->edge_limit = lim(f->edge_limit, GDB_GRAPH_DEFAULT_EDGE_LIMIT);
	rc = induced_edges(g, nf, r, directed_only);
out:
	free(b.dist);
	free(b.q);
	free(ls);
	free(bits);
	graph_nf_free(g, nf);
	return rc;
}

/* ------------------------------------------------------- shortest path */

/* A binary min-heap of (key, node), ties broken by node rank. */
typedef struct heap {
	double *key;
	uint32_t *node;
	uint32_t n, cap;
	const uint32_t *rank;
} heap;

static int hless(const heap *h, uint32_t i, uint32_t j)
{
	if (h->key[i] != h->key[j])
		return h->key[i] < h->key[j];
	return h->rank[h->node[i]] < h->rank[h->node[j]];
}

static void hswap(heap *h, uint32_t i, uint32_t j)
{
	double k = h->key[i];
	uint32_t n = h->node[i];

	h->key[i] = h->key[j];
	h->node[i] = h->node[j];
	h->key[j] = k;
	h->node[j] = n;
}

static int hpush(heap *h, double key, uint32_t node)
{
	uint32_t i;

	if (h->n == h->cap) {
		uint32_t nc = h->cap ? h->cap * 2 : 1024;
		double *k = realloc(h->key, (size_t)nc * 8);
		uint32_t *n;
		if (!k)
			return -ENOMEM;
		h->key = k;
		n = realloc(h->node, (size_t)nc * 4);
		if (!n)
			return -ENOMEM;
		h->node = n;
		h->cap = nc;
	}
	i = h->n++;
	h->key[i] = key;
	h->node[i] = node;
	while (i && hless(h, i, (i - 1) / 2)) {
		hswap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return 0;
}

static void hpop(heap *h)
{
	uint32_t i = 0;

	h->n--;
	if (!h->n)
		return;
	h->key[0] = h->key[h->n];
	h->node[0] = h->node[h->n];
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->n && hless(h, l, m))
			m = l;
		if (r < h->n && hless(h, r, m))
			m = r;
		if (m == i)
			break;
		hswap(h, i, m);
		i = m;
	}
}

/* Dijkstra state, reused across runs (Yen's algorithm). */
typedef struct dijk {
	const gdb_graph *g;
	const graph_nf *nf;
	int dir;
	double hop;
	double *dist;
	uint32_t *prev;
	gdb_graph_eref *pedge;
	uint8_t *done;
	uint32_t *touched;
	uint32_t ntouched;
	heap h;
	float last_conf;
	double last_cost;
	/* Yen: nodes that may not be entered, and next hops banned from
	 * the spur node */
	const uint8_t *banned;
	uint32_t spur;
	const uint32_t *ban_next;
	uint32_t nban_next;
	unsigned max_hops;	/* 0: none */
	uint32_t *hops;
} dijk;

static int dijk_init(dijk *D, const gdb_graph *g, const graph_nf *nf, int dir,
		     double hop)
{
	memset(D, 0, sizeof(*D));
	D->g = g;
	D->nf = nf;
	D->dir = dir;
	D->hop = hop;
	D->last_conf = -1.0f;
	D->dist = malloc((size_t)g->G * 8 + 8);
	D->prev = malloc((size_t)g->G * 4 + 4);
	D->hops = malloc((size_t)g->G * 4 + 4);
	D->pedge = malloc((size_t)g->G * sizeof(gdb_graph_eref) + 8);
	D->done = calloc((size_t)g->G + 1, 1);
	D->touched = malloc((size_t)g->G * 4 + 4);
	D->h.rank = g->rank;
	if (!D->dist || !D->prev || !D->pedge || !D->done || !D->touched ||
	    !D->hops)
		return -ENOMEM;
	for (uint32_t i = 0; i < g->G; i++)
		D->dist[i] = INFINITY;
	return 0;
}

static void dijk_free(dijk *D)
{
	free(D->dist);
	free(D->prev);
	free(D->hops);
	free(D->pedge);
	free(D->done);
	free(D->touched);
	free(D->h.key);
	free(D->h.node);
}

static void dijk_reset(dijk *D)
{
	for (uint32_t i = 0; i < D->ntouched; i++) {
		D->dist[D->touched[i]] = INFINITY;
		D->done[D->touched[i]] = 0;
	}
	D->ntouched = 0;
	D->h.n = 0;
}

static inline double dcost(dijk *D, float conf)
{
	if (conf != D->last_conf) {
		double c = conf < 1e-9f ? 1e-9 : (double)conf;
		D->last_conf = conf;
		D->last_cost = -log(c) + D->hop;
	}
	return D->last_cost;
}

/* Relax v from u over edge (net, eid). @return -ENOMEM or 0. */
static inline int relax(dijk *D, uint32_t u, uint32_t v, double nd,
			uint32_t net, uint32_t eid)
{
	if (D->done[v] || (D->banned && D->banned[v]))
		return 0;
	if (D->ban_next && u == D->spur)
		for (uint32_t i = 0; i < D->nban_next; i++)
			if (D->ban_next[i] == v)
				return 0;
	if (D->max_hops && D->hops[u] + 1 > D->max_hops)
		return 0;
	if (nd < D->dist[v] ||
	    (nd == D->dist[v] && D->prev[v] == u &&
	     (net < D->pedge[v].net ||
	      (net == D->pedge[v].net && eid < D->pedge[v].eid)))) {
		if (D->dist[v] == INFINITY)
			D->touched[D->ntouched++] = v;
		D->dist[v] = nd;
		D->prev[v] = u;
		D->hops[v] = D->hops[u] + 1;
		D->pedge[v] = (gdb_graph_eref){net, eid};
		return hpush(&D->h, nd, v);
	}
	return 0;
}

/*
 * One run from src to dst. Adjacency lists are sorted by confidence,
 * highest first, so edge costs rise along a list: once d(u) + cost reaches
 * the best known distance to dst, the rest of that list is skipped.
 * @return 1 reached, 0 not, -ENOMEM
 */
static int dijk_run(dijk *D, uint32_t src, uint32_t dst)
{
	const gdb_graph *g = D->g;

	dijk_reset(D);
	D->dist[src] = 0;
	D->hops[src] = 0;
	D->prev[src] = GRAPH_NONE;
	D->touched[D->ntouched++] = src;
	GDB_TRY(hpush(&D->h, 0, src));
	while (D->h.n) {
		uint32_t u = D->h.node[0];
		double du = D->h.key[0];
		hpop(&D->h);
		if (D->done[u] || du > D->dist[u])
			continue;
		D->done[u] = 1;
		if (u == dst)
			return 1;
		for (uint32_t i = 0; i < g->nnets; i++) {
			const graph_net *N = &g->nets[i];
			const graph_nf *F = &D->nf[i];
			uint32_t l;
			if (!F->use)
				continue;
			l = g->g2l[i][u];
			if (l == GRAPH_NONE)
				continue;
			for (uint64_t k = N->out_off[l], e = N->out_off[l + 1];
			     k < e; k++) {
				uint32_t raw = N->out_eid[k];
				float cf = N->out_conf[k];
				double nd;
				if (cf < F->min_conf)
					break;
				nd = du + dcost(D, cf);
				if (nd > D->dist[dst])
					break;
				if (!(raw & GRAPH_UNDIR_BIT) &&
				    !(D->dir & GDB_GRAPH_OUT))
					continue;
				if (!graph_nf_ok(N, F, raw & GRAPH_EID_MASK))
					continue;
				GDB_TRY(relax(D, u, N->l2g[N->out_nbr[k]], nd,
					      i, raw & GRAPH_EID_MASK));
			}
			if (!(D->dir & GDB_GRAPH_IN))
				continue;
			for (uint64_t k = N->in_off[l], e = N->in_off[l + 1];
			     k < e; k++) {
				float cf = N->in_conf[k];
				double nd;
				if (cf < F->min_conf)
					break;
				nd = du + dcost(D, cf);
				if (nd > D->dist[dst])
					break;
				if (!graph_nf_ok(N, F, N->in_eid[k]))
					continue;
				GDB_TRY(relax(D, u, N->l2g[N->in_nbr[k]], nd,
					      i, N->in_eid[k]));
			}
		}
	}
	return 0;
}

/* A path as found: nodes and edges (one fewer), and its cost. */
typedef struct path {
	uint32_t *node;
	gdb_graph_eref *edge;
	uint32_t len;		/* nodes */
	double cost;
} path;

static int path_from(const dijk *D, uint32_t src, uint32_t dst, path *p)
{
	uint32_t n = 1;

	for (uint32_t v = dst; v != src; v = D->prev[v])
		n++;
	p->node = malloc((size_t)n * 4);
	p->edge = malloc((size_t)n * sizeof(gdb_graph_eref));
	if (!p->node || !p->edge)
		return -ENOMEM;
	p->len = n;
	p->cost = D->dist[dst];
	for (uint32_t v = dst, i = n - 1;; v = D->prev[v], i--) {
		p->node[i] = v;
		if (v == src)
			break;
		p->edge[i - 1] = D->pedge[v];
	}
	return 0;
}

static void path_free(path *p)
{
	free(p->node);
	free(p->edge);
	p->node = NULL;
	p->edge = NULL;
}

/* Move paths into r (already ordered). */
static int paths_to_result(gdb_graph_result *r, path *ps, uint32_t n)
{
	uint64_t total = 0;

	for (uint32_t i = 0; i < n; i++)
		total += ps[i].len;
	r->npaths = n;
	r->path_off = malloc(((size_t)n + 1) * 8);
	r->path_node = malloc((size_t)(total + 1) * 4);
	r->path_edge = malloc((size_t)(total + 1) * sizeof(gdb_graph_eref));
	r->path_cost = malloc(((size_t)n + 1) * 8);
	if (!r->path_off || !r->path_node || !r->path_edge || !r->path_cost)
		return -ENOMEM;
	total = 0;
	for (uint32_t i = 0; i < n; i++) {
		r->path_off[i] = total;
		memcpy(r->path_node + total, ps[i].node, (size_t)ps[i].len * 4);
		if (ps[i].len > 1)
			memcpy(r->path_edge + total - i, ps[i].edge,
			       (size_t)(ps[i].len - 1) *
				       sizeof(gdb_graph_eref));
		r->path_cost[i] = ps[i].cost;
		total += ps[i].len;
	}
	r->path_off[n] = total;
	return 0;
}

/* nodes of r = union of the paths' nodes (by rank); edges likewise. */
static int paths_union(const gdb_graph *g, gdb_graph_result *r)
{
	uint64_t tn = r->npaths ? r->path_off[r->npaths] : 0;
	uint64_t te = tn >= r->npaths ? tn - r->npaths : 0;
	uint8_t *seen = calloc(g->G ? g->G : 1, 1);

	r->nodes = malloc((size_t)(tn + 1) * 4);
	r->edges = malloc((size_t)(te + 1) * sizeof(gdb_graph_eref));
	if (!seen || !r->nodes || !r->edges) {
		free(seen);
		return -ENOMEM;
	}
	for (uint64_t i = 0; i < tn; i++)
		if (!seen[r->path_node[i]]) {
			seen[r->path_node[i]] = 1;
			r->nodes[r->nnodes++] = r->path_node[i];
		}
	free(seen);
	for (uint64_t i = 0; i < te; i++) {
		uint64_t j;
		for (j = 0; j < r->nedges; j++)
			if (r->edges[j].net == r->path_edge[i].net &&
			    r->edges[j].eid == r->path_edge[i].eid)
				break;
		if (j == r->nedges)
			r->edges[r->nedges++] = r->path_edge[i];
		if (r->nedges > 100000)
			break;
	}
	r->total_nodes = r->nnodes;
	r->total_edges = r->nedges;
	return 0;
}

static double hop_of(const gdb_graph_filter *f)
{
	return f->hop_cost >= 0 ? f->hop_cost : GDB_GRAPH_HOP_COST;
}

int gdb_graph_shortest_path(const gdb_graph *g, uint32_t from, uint32_t to,
			    const gdb_graph_filter *f, gdb_graph_result *r)
{
	graph_nf *nf = NULL;
	dijk D;
	path p = {0};
	int rc;

	result_init(r, "path", f);
	if (from >= g->G || to >= g->G)
		return -ENOENT;
	GDB_TRY(graph_nf_make(g, f, &nf));
	r->center = from;
	rc = dijk_init(&D, g, nf, f->dir ? f->dir : GDB_GRAPH_OUT, hop_of(f));
	if (rc == 0)
		rc = dijk_run(&D, from, to);
	if (rc == 1) {
		rc = path_from(&D, from, to, &p);
		if (rc == 0)
			rc = paths_to_result(r, &p, 1);
	}
	if (rc == 0)
		rc = paths_union(g, r);
	r->limit = 1;
	path_free(&p);
	dijk_free(&D);
	graph_nf_free(g, nf);
	return rc;
}

/* ----------------------------------------------------------------- paths */

static int path_cmp(const void *x, const void *y, void *arg)
{
	const gdb_graph *g = arg;
	const path *a = x, *b = y;

	if (a->cost != b->cost)
		return a->cost < b->cost ? -1 : 1;
	for (uint32_t i = 0; i < a->len && i < b->len; i++)
		if (a->node[i] != b->node[i])
			return g->rank[a->node[i]] < g->rank[b->node[i]] ? -1
									 : 1;
	return a->len < b->len ? -1 : a->len > b->len;
}

typedef struct pathvec {
	path *v;
	uint32_t n, cap;
} pathvec;

static int pv_push(pathvec *pv, path *p)
{
	if (ARRAY_ROOM(pv->v, pv->n, pv->cap, 64) < 0)
		return -ENOMEM;
	pv->v[pv->n++] = *p;
	memset(p, 0, sizeof(*p));
	return 0;
}

static void pv_free(pathvec *pv)
{
	for (uint32_t i = 0; i < pv->n; i++)
		path_free(&pv->v[i]);
	free(pv->v);
}

#define PATHS_WORK_BOUND 20000000ull
#define PATHS_STORE_BOUND 200000u

/* One candidate step of the DFS: cheapest edge to each neighbour. */
typedef struct step {
	uint32_t nbr;
	gdb_graph_eref e;
	double cost;
} step;

struct dfs {
	const gdb_graph *g;
	const graph_nf *nf;
	int dir;
	double hop;
	uint32_t to;
	unsigned max_len;
	const int32_t *dto;	/* hops to `to`, or -1 */
	uint8_t *on;
	uint32_t *stack;
	gdb_graph_eref *estack;
	double *cstack;
	uint64_t work;
	int truncated;
	pathvec pv;
	step *buf;
	uint64_t bufn, bufcap;
	int err;
};

static int dfs_collect(void *arg, const hit *h)
{
	struct dfs *s = arg;

	if (++s->work > PATHS_WORK_BOUND) {
		s->truncated = 1;
		return 1;
	}
	if (ARRAY_ROOM(s->buf, s->bufn, s->bufcap, 256) < 0) {
		s->err = -ENOMEM;
		return 1;
	}
	s->buf[s->bufn++] = (step){h->nbr, {h->net, h->eid},
				   -log(h->conf < 1e-9f ? 1e-9 : h->conf) +
					   s->hop};
	return 0;
}

static int step_cmp(const void *x, const void *y, void *arg)
{
	const gdb_graph *g = arg;
	const step *a = x, *b = y;

	if (a->nbr != b->nbr)
		return g->rank[a->nbr] < g->rank[b->nbr] ? -1 : 1;
	if (a->cost != b->cost)
		return a->cost < b->cost ? -1 : 1;
	if (a->e.net != b->e.net)
		return a->e.net < b->e.net ? -1 : 1;
	return a->e.eid < b->e.eid ? -1 : a->e.eid > b->e.eid;
}

static int dfs(struct dfs *s, uint32_t depth)
{
	uint32_t u = s->stack[depth];
	uint64_t base = s->bufn, end;

	if (u == s->to) {
		path p;
		if (s->pv.n >= PATHS_STORE_BOUND) {
			s->truncated = 1;
			return 1;
		}
		p.len = depth + 1;
		p.node = malloc((size_t)p.len * 4);
		p.edge = malloc((size_t)p.len * sizeof(gdb_graph_eref));
		if (!p.node || !p.edge) {
			free(p.node);
			free(p.edge);
			s->err = -ENOMEM;
			return 1;
		}
		memcpy(p.node, s->stack, (size_t)p.len * 4);
		memcpy(p.edge, s->estack, (size_t)depth * sizeof(gdb_graph_eref));
		p.cost = 0;
		for (uint32_t i = 0; i < depth; i++)
			p.cost += s->cstack[i];
		if (pv_push(&s->pv, &p) < 0) {
			path_free(&p);
			s->err = -ENOMEM;
			return 1;
		}
		return 0;
	}
	if (depth >= s->max_len)
		return 0;
	if (scan(s->g, s->nf, u, s->dir, 0, dfs_collect, s))
		return 1;
	end = s->bufn;
	graph_qsort_r(s->buf + base, (size_t)(end - base), sizeof(step), step_cmp,
		(void *)s->g);
	for (uint64_t i = base; i < end; i++) {
		step st = s->buf[i];
		if (i > base && s->buf[i - 1].nbr == st.nbr)
			continue;	/* a costlier parallel edge */
		if (s->on[st.nbr] || s->dto[st.nbr] < 0 ||
		    depth + 1 + (uint32_t)s->dto[st.nbr] > s->max_len)
			continue;
		s->on[st.nbr] = 1;
		s->stack[depth + 1] = st.nbr;
		s->estack[depth] = st.e;
		s->cstack[depth] = st.cost;
		if (dfs(s, depth + 1)) {
			s->on[st.nbr] = 0;
			return 1;
		}
		s->on[st.nbr] = 0;
		/* buf may have moved: reread from the index next round */
	}
	s->bufn = base;
	return 0;
}

static int all_paths(const gdb_graph *g, const graph_nf *nf, uint32_t from,
		     uint32_t to, int dir, double hop, unsigned max_len,
		     pathvec *out, int *truncated)
{
	struct dfs s = {0};
	struct bfs b = {0};
	uint64_t head = 0;
	int rc = -ENOMEM;
	int rdir = dir == GDB_GRAPH_OUT ? GDB_GRAPH_IN
		   : dir == GDB_GRAPH_IN ? GDB_GRAPH_OUT
					 : GDB_GRAPH_BOTH;

	/* Hops from every node to `to` (reverse BFS) prune the DFS. */
	b.dist = malloc((size_t)g->G * 4 + 4);
	b.q = malloc((size_t)g->G * 4 + 4);
	s.on = calloc((size_t)g->G + 1, 1);
	s.stack = malloc(((size_t)max_len + 2) * 4);
	s.estack = malloc(((size_t)max_len + 2) * sizeof(gdb_graph_eref));
	s.cstack = malloc(((size_t)max_len + 2) * 8);
	if (!b.dist || !b.q || !s.on || !s.stack || !s.estack || !s.cstack)
		goto out;
	memset(b.dist, 0xff, (size_t)g->G * 4);
	b.dist[to] = 0;
	b.q[b.qn++] = to;
	for (unsigned d = 1; d <= max_len; d++) {
		uint64_t end = b.qn;
		b.d = (int32_t)d;
		for (; head < end; head++)
			scan(g, nf, b.q[head], rdir, 0, bfs_visit, &b);
	}
	s.g = g;
	s.nf = nf;
	s.dir = dir;
	s.hop = hop;
	s.to = to;
	s.max_len = max_len;
	s.dto = b.dist;
	s.stack[0] = from;
	s.on[from] = 1;
	if (b.dist[from] >= 0)
		dfs(&s, 0);
	rc = s.err;
	*truncated = s.truncated;
	*out = s.pv;
	s.pv.v = NULL;
	s.pv.n = 0;
out:
	pv_free(&s.pv);
	free(s.buf);
	free(b.dist);
	free(b.q);
	free(s.on);
	free(s.stack);
	free(s.estack);
	free(s.cstack);
	return rc;
}

static int same_prefix(const path *a, const path *b, uint32_t n)
{
	if (a->len < n || b->len < n)
		return 0;
	return !memcmp(a->node, b->node, (size_t)n * 4);
}

static int path_equal(const path *a, const path *b)
{
	return a->len == b->len && !memcmp(a->node, b->node, (size_t)a->len * 4);
}

/* Yen's k shortest simple paths. */
static int yen(const gdb_graph *g, const graph_nf *nf, uint32_t from,
	       uint32_t to, int dir, double hop, unsigned k, unsigned max_len,
	       pathvec *A, int *truncated)
{
	dijk D;
	pathvec B = {0};
	path p = {0};
	uint8_t *banned = calloc((size_t)g->G + 1, 1);
	uint32_t *ban_next = malloc(((size_t)k + 1) * 4);
	uint64_t runs = 0;
	int rc;

	if (!banned || !ban_next) {
		free(banned);
		free(ban_next);
		return -ENOMEM;
	}
	rc = dijk_init(&D, g, nf, dir, hop);
	if (rc < 0)
		goto out;
	D.max_hops = max_len;
	rc = dijk_run(&D, from, to);
	if (rc <= 0)
		goto out;
	if ((rc = path_from(&D, from, to, &p)) < 0 || (rc = pv_push(A, &p)) < 0)
		goto out;
	D.banned = banned;
	D.ban_next = ban_next;
	while (A->n < k) {
		const path *last = &A->v[A->n - 1];
		for (uint32_t i = 0; i + 1 < last->len; i++) {
			uint32_t spur = last->node[i];
			path sp = {0}, tot = {0};
			int dup = 0;
			if (++runs > 5000) {
				*truncated = 1;
				break;
			}
			D.nban_next = 0;
			for (uint32_t j = 0; j < A->n; j++)
				if (same_prefix(&A->v[j], last, i + 1) &&
				    A->v[j].len > i + 1 && D.nban_next <= k)
					ban_next[D.nban_next++] =
						A->v[j].node[i + 1];
			D.spur = spur;
			for (uint32_t j = 0; j < i; j++)
				banned[last->node[j]] = 1;
			D.max_hops = max_len ? max_len - i : 0;
			if (max_len && i >= max_len) {
				for (uint32_t j = 0; j < i; j++)
					banned[last->node[j]] = 0;
				continue;
			}
			rc = dijk_run(&D, spur, to);
			for (uint32_t j = 0; j < i; j++)
				banned[last->node[j]] = 0;
			if (rc < 0)
				goto out;
			if (rc == 0)
				continue;
			if ((rc = path_from(&D, spur, to, &sp)) < 0)
				goto out;
			tot.len = i + sp.len;
			tot.node = malloc((size_t)tot.len * 4);
			tot.edge = malloc((size_t)tot.len * sizeof(gdb_graph_eref));
			if (!tot.node || !tot.edge) {
				path_free(&sp);
				path_free(&tot);
				rc = -ENOMEM;
				goto out;
			}
			memcpy(tot.node, last->node, (size_t)i * 4);
			memcpy(tot.node + i, sp.node, (size_t)sp.len * 4);
			memcpy(tot.edge, last->edge, (size_t)i * sizeof(gdb_graph_eref));
			memcpy(tot.edge + i, sp.edge,
			       (size_t)(sp.len - 1) * sizeof(gdb_graph_eref));
			/* Root cost: recomputed from the edges' confidence. */
			tot.cost = sp.cost;
			for (uint32_t j = 0; j < i; j++) {
				const graph_net *N = &g->nets[tot.edge[j].net];
				float c = N->conf[tot.edge[j].eid];
				tot.cost += -log(c < 1e-9f ? 1e-9 : c) + hop;
			}
			path_free(&sp);
			for (uint32_t j = 0; j < B.n && !dup; j++)
				dup = path_equal(&B.v[j], &tot);
			for (uint32_t j = 0; j < A->n && !dup; j++)
				dup = path_equal(&A->v[j], &tot);
			if (dup || (rc = pv_push(&B, &tot)) < 0) {
				path_free(&tot);
				if (rc < 0)
					goto out;
			}
		}
		if (!B.n)
			break;
		/* Take the cheapest candidate. */
		{
			uint32_t best = 0;
			for (uint32_t j = 1; j < B.n; j++)
				if (path_cmp(&B.v[j], &B.v[best], (void *)g) < 0)
					best = j;
			if ((rc = pv_push(A, &B.v[best])) < 0)
				goto out;
			B.v[best] = B.v[--B.n];
		}
		if (*truncated)
			break;
	}
	rc = 0;
out:
	path_free(&p);
	pv_free(&B);
	dijk_free(&D);
	free(banned);
	free(ban_next);
	return rc < 0 ? rc : 0;
}

int gdb_graph_paths(const gdb_graph *g, uint32_t from, uint32_t to,
		    const gdb_graph_filter *f, gdb_graph_result *r)
{
	graph_nf *nf = NULL;
	pathvec pv = {0};
	int rc, trunc = 0;
	int dir = f->dir ? f->dir : GDB_GRAPH_OUT;
	uint64_t L;

	result_init(r, f->k ? "k-shortest" : "paths", f);
	if (from >= g->G || to >= g->G)
		return -ENOENT;
	GDB_TRY(graph_nf_make(g, f, &nf));
	r->center = from;
	if (f->k)
		rc = yen(g, nf, from, to, dir, hop_of(f), f->k, f->max_len,
			 &pv, &trunc);
	else
		rc = all_paths(g, nf, from, to, dir, hop_of(f),
			       f->max_len ? f->max_len
					  : GDB_GRAPH_DEFAULT_MAX_LEN,
			       &pv, &trunc);
	if (rc < 0)
		goto out;
	graph_qsort_r(pv.v, pv.n, sizeof(path), path_cmp, (void *)g);
	L = f->k ? f->k : lim(f->limit, GDB_GRAPH_DEFAULT_PATHS);
	r->limit = L;
	r->total_edges = 0;
	r->truncated = trunc || pv.n > L;
	{
		uint32_t n = (uint32_t)(pv.n < L ? pv.n : L);
		rc = paths_to_result(r, pv.v, n);
		if (rc == 0)
			rc = paths_union(g, r);
		r->total_nodes = pv.n;	/* paths found */
	}
out:
	pv_free(&pv);
	graph_nf_free(g, nf);
	return rc;
}

/* ------------------------------------------------------------ pathways */

/* Members of a global pathway in the selected networks, by rank. */
static int pw_members(const gdb_graph *g, uint32_t pw, int net,
		      uint32_t **out, uint32_t *n)
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
		for (uint64_t i = N->pwmem_off[l]; i < N->pwmem_off[l + 1];
		     i++)
			v[k++] = N->l2g[N->pwmem[i]];
	}
	graph_qsort_r(v, k, 4, u32_rank_order, (void *)g);
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

	result_init(r, "pathway", f);
	if (pw >= g->P || !gdb_graph_pathway_in(g, pw, f->net))
		return -ENOENT;
	r->pw1 = pw;
	GDB_TRY(graph_nf_make(g, f, &nf));
	rc = pw_members(g, pw, f->net, &mem, &n);
	if (rc < 0)
		goto out;
	L = lim(f->limit, GDB_GRAPH_DEFAULT_NODE_LIMIT);
	r->limit = L;
	r->total_nodes = n;
	r->truncated = n > L;
	r->nodes = mem;
	r->nnodes = (uint32_t)(n < L ? n : L);
	mem = NULL;
	r->edge_limit = lim(f->edge_limit, GDB_GRAPH_DEFAULT_EDGE_LIMIT);
	rc = induced_edges(g, nf, r, 0);
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

	result_init(r, "node-pathways", f);
	if (node >= g->G)
		return -ENOENT;
	r->center = node;
	for (uint32_t i = 0; i < g->nnets; i++) {
		const graph_net *N = &g->nets[i];
		uint32_t l = g->g2l[i][node];
		if ((f->net >= 0 && (uint32_t)f->net != i) || l == GRAPH_NONE)
			continue;
		for (uint64_t k = N->node_pw_off[l]; k < N->node_pw_off[l + 1]; k++) {
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
	const uint8_t *in;	/* bit 1: in P1, bit 2: in P2 */
	uint8_t want;		/* the other pathway's bit */
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

	result_init(r, "crosstalk", f);
	if (pw1 >= g->P || pw2 >= g->P || !gdb_graph_pathway_in(g, pw1, f->net) ||
	    !gdb_graph_pathway_in(g, pw2, f->net))
		return -ENOENT;
	r->pw1 = pw1;
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
	L = lim(f->edge_limit ? f->edge_limit : f->limit,
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
			break;	/* terms only shrink past the mode */
	}
	return s > 1.0 ? 1.0 : s;
}

static int row_cmp(const void *x, const void *y, void *arg)
{
	const uint32_t *inv = arg;
	const gdb_graph_enrich_row *a = x, *b = y;

	if (a->p != b->p)
		return a->p < b->p ? -1 : 1;
	return inv[a->pathway] < inv[b->pathway] ? -1
						 : inv[a->pathway] > inv[b->pathway];
}

int gdb_graph_enrich(const gdb_graph *g, const char *const *names, uint32_t n,
		     const gdb_graph_filter *f, gdb_graph_result *r)
{
	uint8_t *inuni = NULL;
	uint32_t *list = NULL, nl = 0, N = 0, *hits = NULL, *stamp = NULL;
	uint32_t *inv = NULL, m = 0;
	gdb_graph_enrich_row *rows = NULL;
	uint64_t L;
	int rc = -ENOMEM;

	result_init(r, "enrich", f);
	if (f->net >= (int)g->nnets)
		return -EINVAL;
	inuni = calloc((size_t)g->G + 1, 1);
	list = malloc(((size_t)n + 1) * 4);
	hits = calloc((size_t)g->P + 1, 4);
	stamp = malloc(((size_t)g->P + 1) * 4);
	inv = pw_inverse_rank(g);
	if (!inuni || !list || !hits || !stamp || !inv)
		goto out;
	memset(stamp, 0xff, ((size_t)g->P + 1) * 4);
	for (uint32_t i = 0; i < g->nnets; i++) {
		const graph_net *Nw = &g->nets[i];
		if (f->net >= 0 && (uint32_t)f->net != i)
			continue;
		for (uint32_t l = 0; l < Nw->n; l++)
			if (Nw->node_pw_off[l + 1] > Nw->node_pw_off[l] &&
			    !inuni[Nw->l2g[l]]) {
				inuni[Nw->l2g[l]] = 1;
				N++;
			}
	}
	r->list_size = n;
	for (uint32_t i = 0; i < n; i++) {
		int id = gdb_graph_lookup(g, names[i], -1);
		if (id < 0 && f->net >= 0)
			id = gdb_graph_lookup(g, names[i], f->net);
		if (id < 0)
			continue;
		r->list_mapped++;
		if (inuni[id] != 1)
			continue;	/* not in the universe, or repeated */
		inuni[id] = 2;
		list[nl++] = (uint32_t)id;
	}
	for (uint32_t i = 0; i < nl; i++)
		inuni[list[i]] = 1;
	/* Hits per global pathway; a gene counts once per pathway even if
	 * several networks list it there. */
	for (uint32_t j = 0; j < nl; j++)
		for (uint32_t i = 0; i < g->nnets; i++) {
			const graph_net *Nw = &g->nets[i];
			uint32_t l = g->g2l[i][list[j]];
			if ((f->net >= 0 && (uint32_t)f->net != i) ||
			    l == GRAPH_NONE)
				continue;
			for (uint64_t k = Nw->node_pw_off[l]; k < Nw->node_pw_off[l + 1];
			     k++) {
				uint32_t gp = Nw->pw2g[Nw->node_pw[k]];
				if (stamp[gp] == j)
					continue;
				stamp[gp] = j;
				hits[gp]++;
			}
		}
	for (uint32_t p = 0; p < g->P; p++)
		m += hits[p] > 0;
	rows = calloc((size_t)m + 1, sizeof(*rows));
	if (!rows)
		goto out;
	m = 0;
	for (uint32_t p = 0; p < g->P; p++) {
		uint32_t *mem, mn;
		if (!hits[p])
			continue;
		if ((rc = pw_members(g, p, f->net, &mem, &mn)) < 0)
			goto out;
		free(mem);
		rows[m].pathway = p;
		rows[m].hits = hits[p];
		rows[m].size = mn;
		rows[m].p = hyper_sf(hits[p], N, mn, nl);
		m++;
	}
	graph_qsort_r(rows, m, sizeof(*rows), row_cmp, inv);
	/* Benjamini-Hochberg: q_i = min over j >= i of p_j * m / j. */
	{
		double run = 1.0;
		for (uint32_t i = m; i-- > 0;) {
			double q = rows[i].p * m / (i + 1);
			if (q < run)
				run = q;
			rows[i].q = run;
		}
	}
	L = lim(f->limit, GDB_GRAPH_DEFAULT_LIMIT);
	r->limit = L;
	r->universe = N;
	r->size1 = nl;
	r->tested = m;
	r->total_nodes = m;
	r->nrows = (uint32_t)(m < L ? m : L);
	r->truncated = m > L;
	r->rows = rows;
	rows = NULL;
	/* The hit genes of the rows kept, by name. */
	{
		uint32_t *pairs, np = 0, at = 0;
		uint8_t *keep = calloc((size_t)g->P + 1, 1);
		uint64_t tot = 0;
		rc = -ENOMEM;
		for (uint32_t i = 0; i < r->nrows; i++)
			tot += r->rows[i].hits;
		pairs = malloc((size_t)(tot + 1) * 8);
		r->hit_nodes = malloc((size_t)(tot + 1) * 4);
		if (!keep || !pairs || !r->hit_nodes) {
			free(keep);
			free(pairs);
			goto out;
		}
		for (uint32_t i = 0; i < r->nrows; i++)
			keep[r->rows[i].pathway] = 1;
		memset(stamp, 0xff, ((size_t)g->P + 1) * 4);
		for (uint32_t j = 0; j < nl; j++)
			for (uint32_t i = 0; i < g->nnets; i++) {
				const graph_net *Nw = &g->nets[i];
				uint32_t l = g->g2l[i][list[j]];
				if ((f->net >= 0 && (uint32_t)f->net != i) ||
				    l == GRAPH_NONE)
					continue;
				for (uint64_t k = Nw->node_pw_off[l];
				     k < Nw->node_pw_off[l + 1]; k++) {
					uint32_t gp = Nw->pw2g[Nw->node_pw[k]];
					if (!keep[gp] || stamp[gp] == j)
						continue;
					stamp[gp] = j;
					if (np < tot) {
						pairs[2 * np] = gp;
						pairs[2 * np + 1] = list[j];
						np++;
					}
				}
			}
		/* Group by pathway, then order each group by name. */
		for (uint32_t i = 0; i < r->nrows; i++) {
			uint32_t gp = r->rows[i].pathway;
			r->rows[i].hit_off = at;
			for (uint32_t q = 0; q < np; q++)
				if (pairs[2 * q] == gp)
					r->hit_nodes[at++] = pairs[2 * q + 1];
			graph_qsort_r(r->hit_nodes + r->rows[i].hit_off,
				at - (uint32_t)r->rows[i].hit_off, 4,
				u32_rank_order, (void *)g);
		}
		free(keep);
		free(pairs);
	}
	rc = 0;
out:
	free(inuni);
	free(list);
	free(hits);
	free(stamp);
	free(inv);
	free(rows);
	return rc;
}

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

	result_init(r, "components", f);
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
	graph_qsort_r(r->nodes, np, 4, dist_rank_order, ctx);
	L = lim(f->limit, GDB_GRAPH_DEFAULT_LIMIT);
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

	result_init(r, "degree", f);
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
	graph_qsort_r(r->nodes, np, 4, dist_rank_order, ctx);
	L = lim(f->limit, GDB_GRAPH_DEFAULT_LIMIT);
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
