/*
 * graph/query_path.c - path queries: the weighted shortest path (Dijkstra over
 * -ln(conf) + hop cost), all simple paths up to a length (a depth-first
 * search pruned by a reverse breadth-first search, with a work bound) and
 * the k shortest simple paths (Yen).
 * The scans and shared helpers: query_int.h.
 */
#define _GNU_SOURCE
#include "graph/query_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
	unsigned max_hops; /* 0: none */
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
				GDB_TRY(relax(D, u, N->l2g[N->in_nbr[k]], nd, i,
					      N->in_eid[k]));
			}
		}
	}
	return 0;
}

/* A path as found: nodes and edges (one fewer), and its cost. */
typedef struct path {
	uint32_t *node;
	gdb_graph_eref *edge;
	uint32_t len; /* nodes */
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

	graph_result_init(r, "path", f);
	if (from >= g->G || to >= g->G)
		return -ENOENT;
	GDB_TRY(graph_nf_make(g, f, &nf));
	r->center = from;
	r->group = (int)g->ggroup[from];
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
	const int32_t *dto; /* hops to `to`, or -1 */
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
	s->buf[s->bufn++] =
	    (step){h->nbr,
		   {h->net, h->eid},
		   -log(h->conf < 1e-9f ? 1e-9 : h->conf) + s->hop};
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
		memcpy(p.edge, s->estack,
		       (size_t)depth * sizeof(gdb_graph_eref));
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
	graph_qsort_r(s->buf + base, (size_t)(end - base), sizeof(step),
		      step_cmp, (void *)s->g);
	for (uint64_t i = base; i < end; i++) {
		step st = s->buf[i];
		if (i > base && s->buf[i - 1].nbr == st.nbr)
			continue; /* a costlier parallel edge */
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
	int rdir = dir == GDB_GRAPH_OUT	 ? GDB_GRAPH_IN
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
	return a->len == b->len &&
	       !memcmp(a->node, b->node, (size_t)a->len * 4);
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
			tot.edge =
			    malloc((size_t)tot.len * sizeof(gdb_graph_eref));
			if (!tot.node || !tot.edge) {
				path_free(&sp);
				path_free(&tot);
				rc = -ENOMEM;
				goto out;
			}
			memcpy(tot.node, last->node, (size_t)i * 4);
			memcpy(tot.node + i, sp.node, (size_t)sp.len * 4);
			memcpy(tot.edge, last->edge,
			       (size_t)i * sizeof(gdb_graph_eref));
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
				if (path_cmp(&B.v[j], &B.v[best], (void *)g) <
				    0)
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

	graph_result_init(r, f->k ? "k-shortest" : "paths", f);
	if (from >= g->G || to >= g->G)
		return -ENOENT;
	GDB_TRY(graph_nf_make(g, f, &nf));
	r->center = from;
	r->group = (int)g->ggroup[from];
	if (f->k)
		rc = yen(g, nf, from, to, dir, hop_of(f), f->k, f->max_len, &pv,
			 &trunc);
	else
		rc = all_paths(g, nf, from, to, dir, hop_of(f),
			       f->max_len ? f->max_len
					  : GDB_GRAPH_DEFAULT_MAX_LEN,
			       &pv, &trunc);
	if (rc < 0)
		goto out;
	graph_qsort_r(pv.v, pv.n, sizeof(path), path_cmp, (void *)g);
	L = f->k ? f->k : graph_lim(f->limit, GDB_GRAPH_DEFAULT_PATHS);
	r->limit = L;
	r->total_edges = 0;
	r->truncated = trunc || pv.n > L;
	{
		uint32_t n = (uint32_t)(pv.n < L ? pv.n : L);
		rc = paths_to_result(r, pv.v, n);
		if (rc == 0)
			rc = paths_union(g, r);
		r->total_nodes = pv.n; /* paths found */
	}
out:
	pv_free(&pv);
	graph_nf_free(g, nf);
	return rc;
}
