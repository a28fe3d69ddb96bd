/*
 * graph/render_graph.c - the drawing formats of every result with nodes
 * and edges: Cytoscape.js JSON, GraphML (as networkx, Cytoscape and Gephi
 * read it), DOT (Graphviz) and SIF. Each writes the nodes render.c
 * gathered and the edges through the edge attribute table. Layouts:
 * docs/GRAPH.md ("File layouts").
 */
#define _GNU_SOURCE
#include "graph/render_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------ Cytoscape.js */

void graph_render_cyjs(graph_buf *b, const gdb_graph *g,
		       const gdb_graph_result *r, const graph_drawing *w)
{
	graph_ftext *fc = graph_ftext_new(r->nedges);
	char name[512];

	graph_buf_puts(b, "{\"data\": {\"name\": ");
	graph_buf_json_str(b, graph_result_name(g, r, name, sizeof(name)));
	graph_buf_puts(b, ", \"query\": ");
	graph_buf_json_str(b, r->query);
	graph_buf_puts(b, ", ");
	graph_json_subgraph_counts(b, r);
	graph_buf_puts(b, ", ");
	graph_json_filter(b, g, r);
	graph_buf_puts(b, "},\n\"elements\": {\"nodes\": [");
	for (uint32_t i = 0; i < w->n && !b->err; i++) {
		const char *nm = gdb_graph_node_name(g, w->v[i]);
		graph_buf_puts(b, i ? ",\n  {\"data\": {\"id\": "
				    : "\n  {\"data\": {\"id\": ");
		graph_buf_json_str(b, nm);
		graph_buf_puts(b, ", \"name\": ");
		graph_buf_json_str(b, nm);
		graph_json_kind_dist(b, g, w->v[i], w->d[i] >= 0, w->d[i]);
		graph_buf_puts(b, "}}");
	}
	graph_buf_puts(b, "],\n\"edges\": [");
	for (uint64_t i = 0; i < r->nedges && !b->err; i++) {
		graph_edge_ahead(g, r->edges, i, r->nedges);
		graph_buf_puts(b, i ? ",\n  {\"data\": {\"id\": \""
				    : "\n  {\"data\": {\"id\": \"");
		/* a network name may hold '"' or '\\' */
		graph_buf_json_body(b,
				    gdb_graph_network_name(g, r->edges[i].net));
		graph_buf_put(b, ":", 1);
		graph_put_u64(b, r->edges[i].eid);
		graph_buf_puts(b, "\", ");
		graph_json_edge_members(b, g, r->edges[i], fc);
		graph_buf_puts(b, "}}");
	}
	graph_buf_puts(b, "]}}\n");
	free(fc);
}

/* ------------------------------------------------------------ GraphML */

/*
 * Channel keys: the union of the channel names of the networks the edges
 * come from, in order of first appearance (one network's answer: its
 * channels in its order); key[net * MAX + c] is the key of channel c of
 * network net.
 */
typedef struct chan_keys {
	const char **names;
	uint8_t *key;
	uint32_t n;
} chan_keys;

static int chan_keys_make(const gdb_graph *g, const gdb_graph_result *r,
			  chan_keys *ck)
{
	uint32_t nnet = gdb_graph_nnetworks(g);
	uint8_t *seen = calloc(nnet ? nnet : 1, 1);

	ck->n = 0;
	ck->names = calloc((size_t)nnet * GDB_GRAPH_MAX_CHANNELS + 1,
			   sizeof(*ck->names));
	ck->key = calloc((size_t)nnet * GDB_GRAPH_MAX_CHANNELS + 1, 1);
	if (!seen || !ck->names || !ck->key) {
		free(seen);
		return -ENOMEM;
	}
	for (uint64_t i = 0; i < r->nedges; i++) {
		uint32_t net = r->edges[i].net;
		gdb_graph_edge E;
		if (net >= nnet || seen[net])
			continue;
		seen[net] = 1;
		gdb_graph_edge_get(g, r->edges[i], &E);
		for (uint32_t c = 0; c < E.nchannels; c++) {
			uint32_t k = 0;
			while (k < ck->n &&
			       strcmp(ck->names[k], E.chan_names[c]))
				k++;
			if (k == ck->n)
				ck->names[ck->n++] = E.chan_names[c];
			ck->key[net * GDB_GRAPH_MAX_CHANNELS + c] = (uint8_t)k;
		}
	}
	free(seen);
	return 0;
}

static const char GRAPHML_HEAD[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns "
    "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n"
    "  <key id=\"kind\" for=\"node\" attr.name=\"kind\" "
    "attr.type=\"string\"/>\n"
    "  <key id=\"distance\" for=\"node\" attr.name=\"distance\" "
    "attr.type=\"int\"/>\n";

static const char GRAPHML_GRAPH_KEYS[] =
    "  <key id=\"query\" for=\"graph\" attr.name=\"query\" "
    "attr.type=\"string\"/>\n"
    "  <key id=\"limit\" for=\"graph\" attr.name=\"limit\" "
    "attr.type=\"long\"/>\n"
    "  <key id=\"total_nodes\" for=\"graph\" "
    "attr.name=\"total_nodes\" attr.type=\"long\"/>\n"
    "  <key id=\"total_edges\" for=\"graph\" "
    "attr.name=\"total_edges\" attr.type=\"long\"/>\n"
    "  <key id=\"truncated\" for=\"graph\" attr.name=\"truncated\" "
    "attr.type=\"boolean\"/>\n"
    "  <key id=\"networks\" for=\"graph\" attr.name=\"networks\" "
    "attr.type=\"string\"/>\n";

/* Every <key>, the <graph> element and its data. */
static void graphml_head(graph_buf *b, const gdb_graph *g,
			 const gdb_graph_result *r, const chan_keys *ck)
{
	char name[512];

	graph_buf_puts(b, GRAPHML_HEAD);
	for (int a = 0; a < EA_COUNT; a++)
		if (graph_edge_attrs[a].flags & EA_GRAPHML)
			graph_buf_printf(
			    b,
			    "  <key id=\"%s\" for=\"edge\" "
			    "attr.name=\"%s\" attr.type=\"%s\"/>\n",
			    graph_edge_attrs[a].name, graph_edge_attrs[a].name,
			    graph_edge_attrs[a].graphml_type);
	graph_buf_puts(b, GRAPHML_GRAPH_KEYS);
	for (uint32_t c = 0; c < ck->n; c++) {
		graph_buf_printf(b,
				 "  <key id=\"c%u\" for=\"edge\" "
				 "attr.name=\"",
				 c);
		graph_buf_xml_str(b, ck->names[c]);
		graph_buf_puts(b, "\" attr.type=\"int\"/>\n");
	}
	graph_buf_puts(b, "  <graph id=\"");
	graph_buf_xml_str(b, graph_result_name(g, r, name, sizeof(name)));
	graph_buf_puts(b, "\" edgedefault=\"directed\">\n");
	graph_buf_printf(b,
			 "    <data key=\"query\">%s</data>\n"
			 "    <data key=\"limit\">%lld</data>\n"
			 "    <data key=\"total_nodes\">%llu</data>\n"
			 "    <data key=\"total_edges\">%llu</data>\n"
			 "    <data key=\"truncated\">%s</data>\n",
			 r->query,
			 r->limit == UINT64_MAX ? -1LL : (long long)r->limit,
			 (unsigned long long)r->total_nodes,
			 (unsigned long long)r->total_edges,
			 r->truncated ? "true" : "false");
	graph_buf_puts(b, "    <data key=\"networks\">");
	graph_put_covered(b, g, r, ",", graph_buf_xml_str);
	graph_buf_puts(b, "</data>\n");
}

static void graphml_edge(graph_buf *b, const gdb_graph *g, uint64_t i,
			 gdb_graph_eref e, const chan_keys *ck)
{
	gdb_graph_edge E;

	gdb_graph_edge_get(g, e, &E);
	graph_buf_puts(b, "    <edge id=\"e");
	graph_put_u64(b, i);
	graph_buf_puts(b, "\" source=\"");
	graph_eattr_put(b, g, &E, EA_SOURCE, graph_buf_xml_str);
	graph_buf_puts(b, "\" target=\"");
	graph_eattr_put(b, g, &E, EA_TARGET, graph_buf_xml_str);
	graph_buf_puts(b, "\">");
	for (int a = 0; a < EA_COUNT; a++) {
		if (!(graph_edge_attrs[a].flags & EA_GRAPHML) ||
		    graph_eattr_empty(&E, a))
			continue;
		graph_buf_puts(b, "<data key=\"");
		graph_buf_puts(b, graph_edge_attrs[a].name);
		graph_buf_puts(b, "\">");
		graph_eattr_put(b, g, &E, a, graph_buf_xml_str);
		graph_buf_puts(b, "</data>");
	}
	for (uint32_t c = 0; c < E.nchannels; c++) {
		graph_buf_puts(b, "<data key=\"c");
		graph_put_u64(b, ck->key[e.net * GDB_GRAPH_MAX_CHANNELS + c]);
		graph_buf_puts(b, "\">");
		graph_put_u64(b, E.chan[c]);
		graph_buf_puts(b, "</data>");
	}
	graph_buf_puts(b, "</edge>\n");
}

void graph_render_graphml(graph_buf *b, const gdb_graph *g,
			  const gdb_graph_result *r, const graph_drawing *w)
{
	chan_keys ck = {0};

	if (chan_keys_make(g, r, &ck) < 0) {
		b->err = -ENOMEM;
		goto out;
	}
	graphml_head(b, g, r, &ck);
	for (uint32_t i = 0; i < w->n && !b->err; i++) {
		graph_buf_puts(b, "    <node id=\"");
		graph_buf_xml_str(b, gdb_graph_node_name(g, w->v[i]));
		graph_buf_puts(b, "\"><data key=\"kind\">");
		graph_buf_puts(
		    b, gdb_graph_kind_name(gdb_graph_node_kind(g, w->v[i])));
		graph_buf_puts(b, "</data>");
		if (w->d[i] >= 0) {
			graph_buf_puts(b, "<data key=\"distance\">");
			graph_put_i64(b, w->d[i]);
			graph_buf_puts(b, "</data>");
		}
		graph_buf_puts(b, "</node>\n");
	}
	for (uint64_t i = 0; i < r->nedges && !b->err; i++) {
		graph_edge_ahead(g, r->edges, i, r->nedges);
		graphml_edge(b, g, i, r->edges[i], &ck);
	}
	graph_buf_puts(b, "  </graph>\n</graphml>\n");
out:
	free(ck.names);
	free(ck.key);
}

/* ---------------------------------------------------------------- DOT */

/* A network name in a // comment (no newline can end it early) and in a
 * quoted string (without its quotes). */
static void dot_comment(graph_buf *b, const char *s)
{
	for (const char *p = s; *p; p++)
		graph_buf_put(b, *p == '\n' || *p == '\r' ? " " : p, 1);
}

static void dot_body(graph_buf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			graph_buf_put(b, "\\", 1);
		graph_buf_put(b, *p == '\n' || *p == '\r' ? " " : p, 1);
	}
}

static void dot_node(graph_buf *b, const gdb_graph *g, uint32_t v, int32_t d)
{
	unsigned k = gdb_graph_node_kind(g, v);

	graph_buf_puts(b, "  ");
	graph_buf_dot_str(b, gdb_graph_node_name(g, v));
	graph_buf_puts(b, " [kind=\"");
	graph_buf_puts(b, gdb_graph_kind_name(k));
	graph_buf_put(b, "\"", 1);
	if (k == GDB_GRAPH_COMPOUND)
		graph_buf_puts(b, ", shape=ellipse");
	else if (k == GDB_GRAPH_REACTION)
		graph_buf_puts(b, ", shape=diamond");
	if (d >= 0) {
		graph_buf_puts(b, ", distance=");
		graph_put_i64(b, d);
	}
	graph_buf_puts(b, "];\n");
}

static void dot_edge(graph_buf *b, const gdb_graph *g, gdb_graph_eref e)
{
	gdb_graph_edge E;
	const char *arrow;
	int first = 1;

	gdb_graph_edge_get(g, e, &E);
	arrow = !E.directed ? "none"
		: strstr(E.type, "inhibit") || strstr(E.type, "repress")
		    ? "tee"
		    : "normal";
	graph_buf_puts(b, "  ");
	graph_eattr_put(b, g, &E, EA_SOURCE, graph_buf_dot_str);
	graph_buf_puts(b, " -> ");
	graph_eattr_put(b, g, &E, EA_TARGET, graph_buf_dot_str);
	for (int a = 0; a < EA_COUNT; a++) {
		if (!(graph_edge_attrs[a].flags & EA_DOT) ||
		    graph_eattr_empty(&E, a))
			continue;
		graph_buf_puts(b, first ? " [" : ", ");
		first = 0;
		graph_buf_puts(b, graph_edge_attrs[a].name);
		graph_buf_put(b, "=", 1);
		graph_eattr_put(b, g, &E, a, graph_buf_dot_str);
		if (a == EA_TYPE) { /* Graphviz draws the label */
			graph_buf_puts(b, ", label=");
			graph_buf_dot_str(b, E.type);
		}
	}
	graph_buf_puts(b, ", arrowhead=");
	graph_buf_puts(b, arrow);
	graph_buf_puts(b, E.directed ? "];\n" : ", dir=none];\n");
}

void graph_render_dot(graph_buf *b, const gdb_graph *g,
		      const gdb_graph_result *r, const graph_drawing *w)
{
	char name[512];

	graph_buf_puts(b, "digraph ");
	graph_buf_dot_str(b, graph_result_name(g, r, name, sizeof(name)));
	graph_buf_printf(b,
			 " {\n  // query=%s limit=%lld total_nodes=%llu "
			 "total_edges=%llu truncated=%s\n  // networks: ",
			 r->query,
			 r->limit == UINT64_MAX ? -1LL : (long long)r->limit,
			 (unsigned long long)r->total_nodes,
			 (unsigned long long)r->total_edges,
			 r->truncated ? "true" : "false");
	graph_put_covered(b, g, r, ", ", dot_comment);
	graph_buf_puts(b, "\n  graph [label=");
	graph_buf_dot_str(b, name);
	graph_buf_printf(b, ", truncated=\"%s\", networks=",
			 r->truncated ? "true" : "false");
	graph_buf_put(b, "\"", 1);
	graph_put_covered(b, g, r, ",", dot_body);
	graph_buf_puts(b, "\"];\n");
	graph_buf_puts(b, "  node [shape=box, style=rounded];\n");
	for (uint32_t i = 0; i < w->n && !b->err; i++)
		dot_node(b, g, w->v[i], w->d[i]);
	for (uint64_t i = 0; i < r->nedges && !b->err; i++) {
		graph_edge_ahead(g, r->edges, i, r->nedges);
		dot_edge(b, g, r->edges[i]);
	}
	graph_buf_puts(b, "}\n");
}

/* ---------------------------------------------------------------- SIF */

void graph_render_sif(graph_buf *b, const gdb_graph *g,
		      const gdb_graph_result *r, const graph_drawing *w)
{
	static const uint8_t cols[] = {EA_TYPE, EA_TARGET};
	uint8_t *has = calloc((size_t)gdb_graph_nnodes(g) + 1, 1);

	if (!has) {
		b->err = -ENOMEM;
		return;
	}
	for (uint64_t i = 0; i < r->nedges && !b->err; i++) {
		gdb_graph_edge E;
		graph_edge_ahead(g, r->edges, i, r->nedges);
		gdb_graph_edge_get(g, r->edges[i], &E);
		has[E.src] = has[E.dst] = 1;
		graph_eattr_put(b, g, &E, EA_SOURCE, graph_buf_tsv_str);
		graph_tsv_edge_fields(b, g, &E, cols, 2);
		graph_buf_put(b, "\n", 1);
	}
	for (uint32_t i = 0; i < w->n && !b->err; i++)
		if (!has[w->v[i]]) {
			graph_buf_tsv_str(b, gdb_graph_node_name(g, w->v[i]));
			graph_buf_put(b, "\n", 1);
		}
	free(has);
}
