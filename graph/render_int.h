/*
 * graph/render_int.h - what the renderers share (render.c: text and the
 * dispatch; render_graph.c: Cytoscape JSON, GraphML, DOT, SIF;
 * render_query.c: each query's JSON and TSV). Internal to graph/.
 *
 * Two tables keep the writers short and in step: the edge attributes
 * (edge_attrs[]: name, value type, which formats carry it), which every
 * writer of an edge walks instead of naming each attribute, and the query
 * kinds (enum graph_qkind), which say what a result holds and which
 * writers take it.
 */
#ifndef GDB_GRAPH_RENDER_INT_H
#define GDB_GRAPH_RENDER_INT_H

#include "graph/graph_int.h"

/* ------------------------------------------------------- query kinds */

enum graph_qkind {
	Q_NEIGHBORS,
	Q_KHOP,
	Q_UPSTREAM,
	Q_DOWNSTREAM,
	Q_PATH,
	Q_PATHS,
	Q_KSHORTEST,
	Q_PATHWAY,
	Q_MEMBERS,
	Q_CROSSTALK,
	Q_ENRICH,
	Q_NODE_PATHWAYS,
	Q_COMPONENTS,
	Q_DEGREE,
	Q_COUNT,
	Q_UNKNOWN = Q_COUNT,
};

/* The kind of a result, from its query name (r->query). */
enum graph_qkind graph_qkind_of(const gdb_graph_result *r);

/* --------------------------------------------------- edge attributes */

enum graph_eattr {
	EA_SOURCE,
	EA_TARGET,
	EA_TYPE,
	EA_DIRECTED,
	EA_CONFIDENCE,
	EA_NETWORK,
	EA_EVIDENCE,
	EA_COUNT,
};

enum graph_vtype { V_NODE, V_STR, V_BOOL, V_FLOAT };

#define EA_OPTIONAL 1u /* left out of GraphML and DOT when empty */
#define EA_GRAPHML 2u  /* a GraphML <data> (not an <edge> attribute) */
#define EA_DOT 4u      /* a DOT edge attribute */

typedef struct graph_eattr_def {
	const char *name; /* key in JSON, GraphML, DOT; TSV column */
	enum graph_vtype type;
	const char *graphml_type; /* attr.type of its <key> */
	unsigned flags;
} graph_eattr_def;

extern const graph_eattr_def graph_edge_attrs[EA_COUNT];

/* Is attribute a of edge E empty (an optional one left out)? */
int graph_eattr_empty(const gdb_graph_edge *E, int a);
/*
 * Put attribute a of edge E: node names and strings through str (each
 * format's escape), booleans as true/false, confidences as the shortest
 * text that reads back as the stored float.
 */
void graph_eattr_put(graph_buf *b, const gdb_graph *g, const gdb_graph_edge *E,
		     int a, void (*str)(graph_buf *, const char *));

/* A cache of confidence texts (graph_put_float's), by float bits. */
#define GRAPH_FTEXT_SLOTS 1024
typedef struct graph_ftext {
	struct graph_ftext_slot {
		uint32_t bits;
		uint8_t len; /* 0: empty */
		char text[16];
	} slot[GRAPH_FTEXT_SLOTS];
} graph_ftext;

/* A zeroed cache for a writer of n edges (NULL when n is small, or
 * without memory: the cache is only a shortcut); free() it. */
graph_ftext *graph_ftext_new(uint64_t n);

/* An edge as JSON members (no braces): every attribute, then channels.
 * fc: a zeroed cache kept across a writer's edges, or NULL. */
void graph_json_edge_members(graph_buf *b, const gdb_graph *g, gdb_graph_eref e,
			     graph_ftext *fc);
/* The same through the attribute table, escaping every string: the path
 * edges that need an escape take, and the twin the tests hold the one
 * piece writer to. */
void graph_json_edge_general(graph_buf *b, const gdb_graph *g,
			     gdb_graph_eref e);
/* An edge's attributes as[0..n) as TSV fields, each after a TAB. */
void graph_tsv_edge_fields(graph_buf *b, const gdb_graph *g,
			   const gdb_graph_edge *E, const uint8_t *as,
			   unsigned n);

/* ---------------------------------------------------------- text */

void graph_buf_json_body(graph_buf *b, const char *s); /* no quotes */
void graph_buf_dot_str(graph_buf *b, const char *s);   /* quoted */
void graph_put_float(graph_buf *b, float v);

/* Decimal digits, as printf's %u / %llu writes them. */
static inline void graph_put_u64(graph_buf *b, uint64_t v)
{
	char tmp[20];
	size_t n = sizeof(tmp);

	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	graph_buf_put(b, tmp + n, sizeof(tmp) - n);
}

/* As %d / %lld. */
static inline void graph_put_i64(graph_buf *b, int64_t v)
{
	if (v < 0) {
		graph_buf_put(b, "-", 1);
		graph_put_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		graph_put_u64(b, (uint64_t)v);
	}
}

#define EDGE_AHEAD 16 /* rows ahead whose edge columns are prefetched */

/*
 * The edges of an answer are scattered over the edge columns (a cache and
 * TLB miss per column and edge): ask for those of the edge EDGE_AHEAD rows
 * on while row i is written, and, for the edge half as far on (whose
 * columns were asked for then), the names of its ends, a miss of their
 * own. always_inline: GCC takes a static function that only prefetches
 * for pure and drops its calls before inlining.
 */
static inline __attribute__((always_inline)) void
graph_edge_ahead(const gdb_graph *g, const gdb_graph_eref *e, uint64_t i,
		 uint64_t n)
{
	const graph_net *N;
	uint32_t k;

	if (i + EDGE_AHEAD / 2 >= n)
		return;
	N = &g->nets[e[i + EDGE_AHEAD / 2].net];
	k = e[i + EDGE_AHEAD / 2].eid;
	__builtin_prefetch(g->gname[N->l2g[N->src[k]]]);
	__builtin_prefetch(g->gname[N->l2g[N->dst[k]]]);
	if (i + EDGE_AHEAD >= n)
		return;
	N = &g->nets[e[i + EDGE_AHEAD].net];
	k = e[i + EDGE_AHEAD].eid;
	__builtin_prefetch(N->src + k);
	__builtin_prefetch(N->dst + k);
	__builtin_prefetch(N->conf + k);
	__builtin_prefetch(N->etype + k);
	__builtin_prefetch(N->eflags + k);
	__builtin_prefetch(N->evid + k);
	if (N->nchan)
		__builtin_prefetch(N->chan + (uint64_t)k * N->nchan);
}

/* ------------------------------------------------------ shared pieces */

/*
 * Which networks a result covers: those the filter selects (r->network,
 * -1 all) that are of the answer's species group (r->group, -1 any).
 * Every format states them (docs/GRAPH.md "Joining networks").
 */
int graph_covers(const gdb_graph *g, const gdb_graph_result *r, uint32_t net);
/* The covered networks' names joined by sep, each through str. */
void graph_put_covered(graph_buf *b, const gdb_graph *g,
		       const gdb_graph_result *r, const char *sep,
		       void (*str)(graph_buf *, const char *));

/* "network": ..., "networks": [...], "filter": {...} (no braces). */
void graph_json_filter(graph_buf *b, const gdb_graph *g,
		       const gdb_graph_result *r);
/* "key": v, or null for "no limit". */
void graph_json_limit(graph_buf *b, const char *key, uint64_t v);
/* A subgraph answer's caps and totals, as every subgraph format states. */
void graph_json_subgraph_counts(graph_buf *b, const gdb_graph_result *r);
/* A node's ", \"kind\": \"...\"" and, with has_dist, ", \"distance\": d". */
void graph_json_kind_dist(graph_buf *b, const gdb_graph *g, uint32_t node,
			  int has_dist, int32_t d);
/* The name a drawing gets: pathway ids, or the query and its node. */
const char *graph_result_name(const gdb_graph *g, const gdb_graph_result *r,
			      char *buf, size_t n);

/* ------------------------------------------------------------ writers */

/* The nodes a drawing lists: the result's, then edge ends not among them
 * (by rank); v[i]'s distance in d[i] (-1: none). */
typedef struct graph_drawing {
	const uint32_t *v;
	const int32_t *d;
	uint32_t n;
} graph_drawing;

void graph_render_cyjs(graph_buf *b, const gdb_graph *g,
		       const gdb_graph_result *r, const graph_drawing *w);
void graph_render_graphml(graph_buf *b, const gdb_graph *g,
			  const gdb_graph_result *r, const graph_drawing *w);
void graph_render_dot(graph_buf *b, const gdb_graph *g,
		      const gdb_graph_result *r, const graph_drawing *w);
void graph_render_sif(graph_buf *b, const gdb_graph *g,
		      const gdb_graph_result *r, const graph_drawing *w);

/* Each query's own JSON and TSV. @return 0, or -EINVAL (no such layout) */
int graph_render_json(graph_buf *b, const gdb_graph *g,
		      const gdb_graph_result *r, enum graph_qkind k);
int graph_render_tsv(graph_buf *b, const gdb_graph *g,
		     const gdb_graph_result *r, enum graph_qkind k);

/*
 * Room for about more bytes beyond what b holds, in one large buffer
 * (common/bigbuf.h: no copies as it grows, no page faults) when that is
 * large; else nothing. A writer that knows its answer will be megabytes
 * calls it once: b then grows as before only if the guess was short.
 */
void graph_buf_expect(graph_buf *b, size_t more);

/* The NUL-terminated text of b into out/len (b is consumed). */
int graph_render_finish(graph_buf *b, char **out, size_t *len);

#endif
