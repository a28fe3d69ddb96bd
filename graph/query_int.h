/*
 * graph/query_int.h - what the query files share (query.c: results,
 * neighbours and k-hop; query_path.c: paths; query_pathway.c: pathways,
 * crosstalk, enrichment; query_global.c: components and degree): the
 * adjacency scans every query is built on, and a few helpers. Internal to
 * graph/.
 *
 * The scans are always_inline with the visit callback a constant at each
 * call site, so the compiler inlines the callback into the loop (a call
 * per adjacency entry was a third of a k-hop).
 */
#ifndef GDB_GRAPH_QUERY_INT_H
#define GDB_GRAPH_QUERY_INT_H

#include "graph/graph_int.h"

/* An adjacency entry that passed the filter. */
typedef struct hit {
	uint32_t net, eid, nbr; /* nbr: global */
	uint32_t at, lnbr;	/* the scanned node and nbr, local ids */
	float conf;
	uint8_t edir; /* 1 out, 2 in, 3 undirected */
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

	/* two lines of each: a filtered scan reads a few (the next ones
	 * come from the hardware prefetcher once a run of lines is read) */
	__builtin_prefetch(N->out_conf + k);
	__builtin_prefetch(N->out_conf + k + 16);
	if (eids)
		__builtin_prefetch(N->out_eid + k);
	__builtin_prefetch(N->out_nbr + k);
	__builtin_prefetch(N->out_nbr + k + 16);
	if (dir & GDB_GRAPH_IN) {
		k = N->in_off[l];
		__builtin_prefetch(N->in_conf + k);
		__builtin_prefetch(N->in_eid + k);
		__builtin_prefetch(N->in_nbr + k);
	}
}

#define SCAN_AHEAD 8 /* nodes whose lists are prefetched ahead */

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
				lbits[g2l[v[j]] / 64] |= 1ull
							 << (g2l[v[j]] % 64);
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

/* Breadth-first search state: dist per global node (-1 unseen), the
 * queue, and the level being added (k-hop, and the pruning of paths). */
struct bfs {
	int32_t *dist;
	uint32_t *q;
	uint64_t qn;
	int32_t d;
};

static inline int bfs_visit(void *arg, const hit *h)
{
	struct bfs *b = arg;

	if (b->dist[h->nbr] < 0) {
		b->dist[h->nbr] = b->d;
		b->q[b->qn++] = h->nbr;
	}
	return 0;
}

/* A result for query q under filter f: empty, no center, no pathways. */
void graph_result_init(gdb_graph_result *r, const char *q,
		       const gdb_graph_filter *f);

/* A limit, or its default when 0. */
static inline uint64_t graph_lim(uint64_t v, uint64_t dflt)
{
	return v ? v : dflt;
}

/* qsort_r orders: node ids by rank (arg: the graph); node ids by
 * (key[id], rank) (arg: {graph, int32_t key[]}). */
int graph_u32_rank_order(const void *x, const void *y, void *arg);
int graph_dist_rank_order(const void *x, const void *y, void *arg);

/*
 * graph_induced_edges - the matching edges among r->nodes (which are in
 * output order), in that order, up to r->edge_limit; past it the rest are
 * only counted (total_edges, truncated).
 */
int graph_induced_edges(const gdb_graph *g, const graph_nf *nf,
			gdb_graph_result *r, int directed_only);

#endif
