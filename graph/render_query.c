/*
 * graph/render_query.c - each query's own JSON and TSV, one writer per
 * query kind in a table, and the two files that are not query answers
 * (a node's info.json, networks.json). Layouts: docs/GRAPH.md ("File
 * layouts"). Edges are written through the edge attribute table
 * (render.c).
 */
#define _GNU_SOURCE
#include "graph/render_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*qwriter)(graph_buf *b, const gdb_graph *g,
		       const gdb_graph_result *r);

/* ------------------------------------------------------------ pieces */

static const char *dir_name(unsigned d)
{
	return d == 1 ? "out" : d == 2 ? "in" : d == 3 ? "undirected" : "";
}

/* The other end of neighbours row i (E: its edge). */
static uint32_t neighbor_of(const gdb_graph_result *r, uint64_t i,
			    const gdb_graph_edge *E)
{
	if (r->edir[i] == 2)
		return E->src;
	if (r->edir[i] == 1)
		return E->dst;
	return E->src == r->center ? E->dst : E->src;
}

static void json_edges(graph_buf *b, const gdb_graph *g,
		       const gdb_graph_eref *e, uint64_t n)
{
	graph_ftext *fc = graph_ftext_new(n);

	graph_buf_puts(b, "[");
	for (uint64_t i = 0; i < n && !b->err; i++) {
		graph_edge_ahead(g, e, i, n);
		graph_buf_puts(b, i ? ",\n  {" : "\n  {");
		graph_json_edge_members(b, g, e[i], fc);
		graph_buf_puts(b, "}");
	}
	graph_buf_puts(b, n ? "\n]" : "]");
	free(fc);
}

static void json_names(graph_buf *b, const gdb_graph *g, const uint32_t *v,
		       uint64_t n)
{
	graph_buf_puts(b, "[");
	for (uint64_t i = 0; i < n && !b->err; i++) {
		if (i)
			graph_buf_puts(b, ", ");
		graph_buf_json_str(b, gdb_graph_node_name(g, v[i]));
	}
	graph_buf_puts(b, "]");
}

static void json_head(graph_buf *b, const gdb_graph *g,
		      const gdb_graph_result *r)
{
	graph_buf_puts(b, "{\"query\": ");
	graph_buf_json_str(b, r->query);
	graph_buf_puts(b, ", ");
	if (r->center != GRAPH_NONE) {
		graph_buf_puts(b, "\"node\": ");
		graph_buf_json_str(b, gdb_graph_node_name(g, r->center));
		graph_buf_puts(b, ", ");
	}
	graph_json_filter(b, g, r);
}

/* ", \"limit\": L, \"total\": T, \"truncated\": x" */
static void json_total(graph_buf *b, const gdb_graph_result *r, uint64_t t)
{
	graph_buf_puts(b, ", ");
	graph_json_limit(b, "limit", r->limit);
	graph_buf_printf(b, ", \"total\": %llu, \"truncated\": %s",
			 (unsigned long long)t,
			 r->truncated ? "true" : "false");
}

/* TAB, the node's kind, newline. */
static void tsv_kind(graph_buf *b, const gdb_graph *g, uint32_t node)
{
	graph_buf_put(b, "\t", 1);
	graph_buf_puts(b, gdb_graph_kind_name(gdb_graph_node_kind(g, node)));
	graph_buf_put(b, "\n", 1);
}

/* ---------------------------------------------------------- neighbours */

static int json_neighbors(graph_buf *b, const gdb_graph *g,
			  const gdb_graph_result *r)
{
	graph_ftext *fc = graph_ftext_new(r->nedges);

	json_head(b, g, r);
	graph_buf_puts(b, ", ");
	graph_json_limit(b, "limit", r->limit);
	graph_buf_printf(b,
			 ", \"total\": %llu, \"total_neighbors\": %llu, "
			 "\"truncated\": %s,\n\"neighbors\": [",
			 (unsigned long long)r->total_edges,
			 (unsigned long long)r->total_nodes,
			 r->truncated ? "true" : "false");
	for (uint64_t i = 0; i < r->nedges && !b->err; i++) {
		gdb_graph_edge E;
		graph_edge_ahead(g, r->edges, i, r->nedges);
		gdb_graph_edge_get(g, r->edges[i], &E);
		graph_buf_puts(b, i ? ",\n  {\"neighbor\": "
				    : "\n  {\"neighbor\": ");
		graph_buf_json_str(
		    b, gdb_graph_node_name(g, neighbor_of(r, i, &E)));
		graph_buf_puts(b, ", \"direction\": \"");
		graph_buf_puts(b, dir_name(r->edir[i]));
		graph_buf_puts(b, "\", ");
		graph_json_edge_members(b, g, r->edges[i], fc);
		graph_buf_puts(b, "}");
	}
	graph_buf_puts(b, r->nedges ? "\n]}\n" : "]}\n");
	free(fc);
	return 0;
}

static int tsv_neighbors(graph_buf *b, const gdb_graph *g,
			 const gdb_graph_result *r)
{
	static const uint8_t cols[] = {EA_TYPE, EA_CONFIDENCE, EA_NETWORK,
				       EA_EVIDENCE};

	graph_buf_puts(b, "neighbor\tdirection\ttype\tconfidence\tnetwork\t"
			  "evidence\n");
	for (uint64_t i = 0; i < r->nedges && !b->err; i++) {
		gdb_graph_edge E;
		graph_edge_ahead(g, r->edges, i, r->nedges);
		gdb_graph_edge_get(g, r->edges[i], &E);
		graph_buf_tsv_str(
		    b, gdb_graph_node_name(g, neighbor_of(r, i, &E)));
		graph_buf_put(b, "\t", 1);
		graph_buf_puts(b, dir_name(r->edir[i]));
		graph_tsv_edge_fields(b, g, &E, cols, 4);
		graph_buf_put(b, "\n", 1);
	}
	return 0;
}

/* ------------------------------------------------------------ subgraphs */

/* The "nodes" member: the first n of r's nodes. */
static void json_nodes_dist(graph_buf *b, const gdb_graph *g,
			    const gdb_graph_result *r, uint32_t n)
{
	graph_buf_puts(b, "\"nodes\": [");
	for (uint32_t i = 0; i < n && !b->err; i++) {
		graph_buf_puts(b, i ? ",\n  {\"name\": " : "\n  {\"name\": ");
		graph_buf_json_str(b, gdb_graph_node_name(g, r->nodes[i]));
		graph_json_kind_dist(b, g, r->nodes[i], r->dist != NULL,
				     r->dist ? r->dist[i] : 0);
		graph_buf_puts(b, "}");
	}
	graph_buf_puts(b, n ? "\n]" : "]");
}

#define SAMPLE 32 /* rows rendered to size a large answer */

/*
 * Make room for a subgraph's rows at once when they are many: the first
 * SAMPLE nodes and edges are rendered into a scratch buffer and the rest
 * taken at their rate, a sixteenth over (graph_buf_expect).
 */
static void subgraph_expect(graph_buf *b, const gdb_graph *g,
			    const gdb_graph_result *r)
{
	uint32_t kn = r->nnodes < SAMPLE ? r->nnodes : SAMPLE;
	uint64_t ke = r->nedges < SAMPLE ? r->nedges : SAMPLE;
	graph_buf t = {0};
	size_t nb, more;

	if ((uint64_t)r->nnodes + r->nedges < 1024)
		return;
	json_nodes_dist(&t, g, r, kn);
	nb = t.len;
	json_edges(&t, g, r->edges, ke);
	if (!t.err) {
		more = (kn ? nb * r->nnodes / kn : 0) +
		       (ke ? (t.len - nb) * r->nedges / ke : 0);
		graph_buf_expect(b, more + more / 16);
	}
	gdb_buf_free(&t);
}

/* k-hop, upstream, downstream and a pathway's subgraph. */
static int json_subgraph(graph_buf *b, const gdb_graph *g,
			 const gdb_graph_result *r)
{
	json_head(b, g, r);
	if (r->pw1 != GRAPH_NONE) {
		graph_buf_puts(b, ", \"pathway\": ");
		graph_buf_json_str(b, gdb_graph_pathway_id(g, r->pw1));
		graph_buf_puts(b, ", \"title\": ");
		graph_buf_json_str(b, gdb_graph_pathway_title(g, r->pw1));
	}
	graph_buf_puts(b, ", ");
	graph_json_subgraph_counts(b, r);
	graph_buf_puts(b, ",\n");
	subgraph_expect(b, g, r);
	json_nodes_dist(b, g, r, r->nnodes);
	graph_buf_puts(b, ",\n\"edges\": ");
	json_edges(b, g, r->edges, r->nedges);
	graph_buf_puts(b, "}\n");
	return 0;
}

/* node, a number per node (r->dist), kind: k-hop distances, degrees. */
static int tsv_node_number(graph_buf *b, const gdb_graph *g,
			   const gdb_graph_result *r, const char *header)
{
	graph_buf_puts(b, header);
	for (uint32_t i = 0; i < r->nnodes && !b->err; i++) {
		graph_buf_tsv_str(b, gdb_graph_node_name(g, r->nodes[i]));
		graph_buf_put(b, "\t", 1);
		graph_put_i64(b, r->dist[i]);
		tsv_kind(b, g, r->nodes[i]);
	}
	return 0;
}

static int tsv_hop(graph_buf *b, const gdb_graph *g, const gdb_graph_result *r)
{
	return tsv_node_number(b, g, r, "node\tdistance\tkind\n");
}

/* Edge rows: pathway subgraphs and crosstalk. */
static int tsv_edges(graph_buf *b, const gdb_graph *g,
		     const gdb_graph_result *r)
{
	static const uint8_t cols[] = {EA_TARGET,     EA_TYPE,	  EA_DIRECTED,
				       EA_CONFIDENCE, EA_NETWORK, EA_EVIDENCE};

	graph_buf_puts(b, "source\ttarget\ttype\tdirected\tconfidence\t"
			  "network\tevidence\n");
	for (uint64_t i = 0; i < r->nedges && !b->err; i++) {
		gdb_graph_edge E;
		graph_edge_ahead(g, r->edges, i, r->nedges);
		gdb_graph_edge_get(g, r->edges[i], &E);
		graph_eattr_put(b, g, &E, EA_SOURCE, graph_buf_tsv_str);
		graph_tsv_edge_fields(b, g, &E, cols, 6);
		graph_buf_put(b, "\n", 1);
	}
	return 0;
}

static int json_members(graph_buf *b, const gdb_graph *g,
			const gdb_graph_result *r)
{
	graph_buf_puts(b, "{\"query\": \"members\", \"pathway\": ");
	graph_buf_json_str(b, gdb_graph_pathway_id(g, r->pw1));
	graph_buf_puts(b, ", \"title\": ");
	graph_buf_json_str(b, gdb_graph_pathway_title(g, r->pw1));
	graph_buf_puts(b, ", ");
	graph_json_filter(b, g, r);
	json_total(b, r, r->total_nodes);
	graph_buf_puts(b, ", \"members\": ");
	json_names(b, g, r->nodes, r->nnodes);
	graph_buf_puts(b, "}\n");
	return 0;
}

static int tsv_members(graph_buf *b, const gdb_graph *g,
		       const gdb_graph_result *r)
{
	graph_buf_puts(b, "node\tkind\n");
	for (uint32_t i = 0; i < r->nnodes && !b->err; i++) {
		graph_buf_tsv_str(b, gdb_graph_node_name(g, r->nodes[i]));
		tsv_kind(b, g, r->nodes[i]);
	}
	return 0;
}

/* ---------------------------------------------------------------- paths */

static void json_path(graph_buf *b, const gdb_graph *g,
		      const gdb_graph_result *r, uint32_t p)
{
	uint64_t n = r->path_off[p + 1] - r->path_off[p];

	graph_buf_puts(b, "\"nodes\": ");
	json_names(b, g, r->path_node + r->path_off[p], n);
	graph_buf_puts(b, ", \"cost\": ");
	graph_buf_num(b, r->path_cost[p]);
	graph_buf_printf(
	    b, ", \"hops\": %llu, \"edges\": ", (unsigned long long)(n - 1));
	json_edges(b, g, r->path_edge + r->path_off[p] - p, n - 1);
}

static int json_shortest(graph_buf *b, const gdb_graph *g,
			 const gdb_graph_result *r)
{
	json_head(b, g, r);
	graph_buf_printf(b, ", \"from\": ");
	graph_buf_json_str(b, gdb_graph_node_name(g, r->center));
	graph_buf_puts(b, ", \"found\": ");
	graph_buf_puts(b, r->npaths ? "true, "
				    : "false, \"nodes\": [], \"cost\": null, "
				      "\"hops\": null, \"edges\": []");
	if (r->npaths)
		json_path(b, g, r, 0);
	graph_buf_puts(b, "}\n");
	return 0;
}

static int tsv_shortest(graph_buf *b, const gdb_graph *g,
			const gdb_graph_result *r)
{
	static const uint8_t cols[] = {EA_TYPE, EA_DIRECTED, EA_CONFIDENCE,
				       EA_NETWORK};
	double cost = 0, hop = r->filter && r->filter->hop_cost >= 0
				   ? r->filter->hop_cost
				   : GDB_GRAPH_HOP_COST;

	graph_buf_puts(b, "step\tnode\ttype\tdirected\tconfidence\tnetwork\t"
			  "cost\n");
	for (uint32_t p = 0; p < r->npaths; p++)
		for (uint64_t i = r->path_off[p];
		     i < r->path_off[p + 1] && !b->err; i++) {
			uint64_t s = i - r->path_off[p];
			gdb_graph_edge E;
			graph_put_u64(b, s);
			graph_buf_put(b, "\t", 1);
			graph_buf_tsv_str(
			    b, gdb_graph_node_name(g, r->path_node[i]));
			if (!s) {
				graph_buf_puts(b, "\t\t\t\t\t0\n");
				continue;
			}
			gdb_graph_edge_get(g, r->path_edge[i - 1 - p], &E);
			cost += -log(E.conf < 1e-9f ? 1e-9 : E.conf) + hop;
			graph_tsv_edge_fields(b, g, &E, cols, 4);
			graph_buf_put(b, "\t", 1);
			graph_buf_num(b, cost);
			graph_buf_put(b, "\n", 1);
		}
	return 0;
}

static int json_paths(graph_buf *b, const gdb_graph *g,
		      const gdb_graph_result *r)
{
	const gdb_graph_filter *f = r->filter;

	json_head(b, g, r);
	graph_buf_printf(b, ", \"max_len\": %u, \"k\": %u",
			 f && f->max_len ? f->max_len
			 : f && f->k	 ? 0
					 : GDB_GRAPH_DEFAULT_MAX_LEN,
			 f ? f->k : 0);
	json_total(b, r, r->total_nodes);
	graph_buf_puts(b, ",\n\"paths\": [");
	for (uint32_t p = 0; p < r->npaths && !b->err; p++) {
		graph_buf_puts(b, p ? ",\n {" : "\n {");
		json_path(b, g, r, p);
		graph_buf_puts(b, "}");
	}
	graph_buf_puts(b, r->npaths ? "\n]}\n" : "]}\n");
	return 0;
}

static int tsv_paths(graph_buf *b, const gdb_graph *g,
		     const gdb_graph_result *r)
{
	graph_buf_puts(b, "rank\tcost\thops\tnodes\n");
	for (uint32_t p = 0; p < r->npaths && !b->err; p++) {
		graph_buf_printf(b, "%u\t", p + 1);
		graph_buf_num(b, r->path_cost[p]);
		graph_buf_printf(b, "\t%llu\t",
				 (unsigned long long)(r->path_off[p + 1] -
						      r->path_off[p] - 1));
		for (uint64_t i = r->path_off[p]; i < r->path_off[p + 1]; i++) {
			if (i > r->path_off[p])
				graph_buf_put(b, ",", 1);
			graph_buf_tsv_str(
			    b, gdb_graph_node_name(g, r->path_node[i]));
		}
		graph_buf_put(b, "\n", 1);
	}
	return 0;
}

/* ------------------------------------------------- crosstalk, enrichment */

static int json_crosstalk(graph_buf *b, const gdb_graph *g,
			  const gdb_graph_result *r)
{
	uint64_t uni = (uint64_t)r->size1 + r->size2 - r->nshared;

	graph_buf_puts(b, "{\"query\": \"crosstalk\", \"pathways\": [");
	graph_buf_json_str(b, gdb_graph_pathway_id(g, r->pw1));
	graph_buf_puts(b, ", ");
	graph_buf_json_str(b, gdb_graph_pathway_id(g, r->pw2));
	graph_buf_printf(b, "], \"sizes\": [%u, %u], ", r->size1, r->size2);
	graph_json_filter(b, g, r);
	graph_buf_printf(b, ", \"nshared\": %u, \"jaccard\": ", r->nshared);
	graph_buf_num(b, uni ? (double)r->nshared / (double)uni : 0.0);
	graph_buf_puts(b, ", \"shared\": ");
	json_names(b, g, r->nodes, r->nshared);
	graph_buf_puts(b, ",\n");
	graph_json_limit(b, "limit", r->limit);
	graph_buf_printf(b,
			 ", \"total_edges\": %llu, \"truncated\": %s,\n"
			 "\"edges\": ",
			 (unsigned long long)r->total_edges,
			 r->truncated ? "true" : "false");
	json_edges(b, g, r->edges, r->nedges);
	graph_buf_puts(b, "}\n");
	return 0;
}

static int json_enrich(graph_buf *b, const gdb_graph *g,
		       const gdb_graph_result *r)
{
	graph_buf_puts(b, "{\"query\": \"enrich\", ");
	graph_json_filter(b, g, r);
	graph_buf_printf(b,
			 ", \"list_size\": %u, \"mapped\": %u, "
			 "\"in_universe\": %u, \"universe\": %u, \"tested\": "
			 "%u, ",
			 r->list_size, r->list_mapped, r->size1, r->universe,
			 r->tested);
	graph_json_limit(b, "limit", r->limit);
	graph_buf_printf(b, ", \"truncated\": %s,\n\"results\": [",
			 r->truncated ? "true" : "false");
	for (uint32_t i = 0; i < r->nrows && !b->err; i++) {
		const gdb_graph_enrich_row *w = &r->rows[i];
		graph_buf_puts(b, i ? ",\n  {\"pathway\": "
				    : "\n  {\"pathway\": ");
		graph_buf_json_str(b, gdb_graph_pathway_id(g, w->pathway));
		graph_buf_puts(b, ", \"title\": ");
		graph_buf_json_str(b, gdb_graph_pathway_title(g, w->pathway));
		graph_buf_printf(b, ", \"hits\": %u, \"size\": %u, \"p\": ",
				 w->hits, w->size);
		graph_buf_num(b, w->p);
		graph_buf_puts(b, ", \"q\": ");
		graph_buf_num(b, w->q);
		graph_buf_puts(b, ", \"genes\": ");
		json_names(b, g, r->hit_nodes + w->hit_off, w->hits);
		graph_buf_puts(b, "}");
	}
	graph_buf_puts(b, r->nrows ? "\n]}\n" : "]}\n");
	return 0;
}

static int tsv_enrich(graph_buf *b, const gdb_graph *g,
		      const gdb_graph_result *r)
{
	graph_buf_puts(b, "pathway\ttitle\thits\tsize\tlist\tuniverse\tp\tq\t"
			  "genes\n");
	for (uint32_t i = 0; i < r->nrows && !b->err; i++) {
		const gdb_graph_enrich_row *w = &r->rows[i];
		graph_buf_tsv_str(b, gdb_graph_pathway_id(g, w->pathway));
		graph_buf_put(b, "\t", 1);
		graph_buf_tsv_str(b, gdb_graph_pathway_title(g, w->pathway));
		graph_buf_printf(b, "\t%u\t%u\t%u\t%u\t", w->hits, w->size,
				 r->size1, r->universe);
		graph_buf_num(b, w->p);
		graph_buf_put(b, "\t", 1);
		graph_buf_num(b, w->q);
		graph_buf_put(b, "\t", 1);
		for (uint32_t h = 0; h < w->hits; h++) {
			if (h)
				graph_buf_put(b, ",", 1);
			graph_buf_tsv_str(b,
					  gdb_graph_node_name(
					      g, r->hit_nodes[w->hit_off + h]));
		}
		graph_buf_put(b, "\n", 1);
	}
	return 0;
}

/* ----------------------------------------- a node's pathways, whole graph */

static int json_node_pathways(graph_buf *b, const gdb_graph *g,
			      const gdb_graph_result *r)
{
	json_head(b, g, r);
	graph_buf_puts(b, ", \"pathways\": [");
	for (uint32_t i = 0; i < r->nrows && !b->err; i++) {
		graph_buf_puts(b, i ? ",\n  {\"id\": " : "\n  {\"id\": ");
		graph_buf_json_str(b,
				   gdb_graph_pathway_id(g, r->rows[i].pathway));
		graph_buf_puts(b, ", \"title\": ");
		graph_buf_json_str(
		    b, gdb_graph_pathway_title(g, r->rows[i].pathway));
		graph_buf_printf(b, ", \"size\": %u}", r->rows[i].size);
	}
	graph_buf_puts(b, r->nrows ? "\n]}\n" : "]}\n");
	return 0;
}

static int tsv_node_pathways(graph_buf *b, const gdb_graph *g,
			     const gdb_graph_result *r)
{
	graph_buf_puts(b, "pathway\ttitle\tsize\n");
	for (uint32_t i = 0; i < r->nrows && !b->err; i++) {
		graph_buf_tsv_str(b,
				  gdb_graph_pathway_id(g, r->rows[i].pathway));
		graph_buf_put(b, "\t", 1);
		graph_buf_tsv_str(
		    b, gdb_graph_pathway_title(g, r->rows[i].pathway));
		graph_buf_printf(b, "\t%u\n", r->rows[i].size);
	}
	return 0;
}

static int json_components(graph_buf *b, const gdb_graph *g,
			   const gdb_graph_result *r)
{
	uint32_t at = 0;

	graph_buf_puts(b, "{\"query\": \"components\", ");
	graph_json_filter(b, g, r);
	graph_buf_printf(b,
			 ", \"total_components\": %u, \"total_nodes\": "
			 "%llu, ",
			 r->tested, (unsigned long long)r->total_nodes);
	graph_json_limit(b, "limit", r->limit);
	graph_buf_printf(b, ", \"truncated\": %s,\n\"components\": [",
			 r->truncated ? "true" : "false");
	for (uint32_t i = 0; i < r->nrows && !b->err; i++) {
		uint32_t beg = at;
		while (at < r->nnodes && r->dist[at] == (int32_t)i)
			at++;
		graph_buf_printf(b,
				 "%s{\"id\": %u, \"size\": %u, \"members\": ",
				 i ? ",\n  " : "\n  ", i, r->rows[i].size);
		json_names(b, g, r->nodes + beg, at - beg);
		graph_buf_puts(b, "}");
	}
	graph_buf_puts(b, r->nrows ? "\n]}\n" : "]}\n");
	return 0;
}

static int tsv_components(graph_buf *b, const gdb_graph *g,
			  const gdb_graph_result *r)
{
	graph_buf_puts(b, "node\tcomponent\tsize\n");
	for (uint32_t i = 0; i < r->nnodes && !b->err; i++) {
		graph_buf_tsv_str(b, gdb_graph_node_name(g, r->nodes[i]));
		graph_buf_put(b, "\t", 1);
		graph_put_i64(b, r->dist[i]);
		graph_buf_put(b, "\t", 1);
		graph_put_u64(b, r->rows[r->dist[i]].size);
		graph_buf_put(b, "\n", 1);
	}
	return 0;
}

static int json_degree(graph_buf *b, const gdb_graph *g,
		       const gdb_graph_result *r)
{
	graph_buf_puts(b, "{\"query\": \"degree\", ");
	graph_json_filter(b, g, r);
	json_total(b, r, r->total_nodes);
	graph_buf_puts(b, ",\n\"nodes\": [");
	for (uint32_t i = 0; i < r->nnodes && !b->err; i++) {
		graph_buf_puts(b, i ? ",\n  {\"name\": " : "\n  {\"name\": ");
		graph_buf_json_str(b, gdb_graph_node_name(g, r->nodes[i]));
		graph_buf_puts(b, ", \"degree\": ");
		graph_put_i64(b, r->dist[i]);
		graph_buf_put(b, "}", 1);
	}
	graph_buf_puts(b, r->nnodes ? "\n]}\n" : "]}\n");
	return 0;
}

static int tsv_degree(graph_buf *b, const gdb_graph *g,
		      const gdb_graph_result *r)
{
	return tsv_node_number(b, g, r, "node\tdegree\tkind\n");
}

/* --------------------------------------------------------- dispatching */

static const struct {
	qwriter json, tsv;
} writers[Q_COUNT] = {
    [Q_NEIGHBORS] = {json_neighbors, tsv_neighbors},
    [Q_KHOP] = {json_subgraph, tsv_hop},
    [Q_UPSTREAM] = {json_subgraph, tsv_hop},
    [Q_DOWNSTREAM] = {json_subgraph, tsv_hop},
    [Q_PATH] = {json_shortest, tsv_shortest},
    [Q_PATHS] = {json_paths, tsv_paths},
    [Q_KSHORTEST] = {json_paths, tsv_paths},
    [Q_PATHWAY] = {json_subgraph, tsv_edges},
    [Q_MEMBERS] = {json_members, tsv_members},
    [Q_CROSSTALK] = {json_crosstalk, tsv_edges},
    [Q_ENRICH] = {json_enrich, tsv_enrich},
    [Q_NODE_PATHWAYS] = {json_node_pathways, tsv_node_pathways},
    [Q_COMPONENTS] = {json_components, tsv_components},
    [Q_DEGREE] = {json_degree, tsv_degree},
};

int graph_render_json(graph_buf *b, const gdb_graph *g,
		      const gdb_graph_result *r, enum graph_qkind k)
{
	return k < Q_COUNT ? writers[k].json(b, g, r) : -EINVAL;
}

int graph_render_tsv(graph_buf *b, const gdb_graph *g,
		     const gdb_graph_result *r, enum graph_qkind k)
{
	return k < Q_COUNT ? writers[k].tsv(b, g, r) : -EINVAL;
}
