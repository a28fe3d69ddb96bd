/*
 * graph/render.c - answer files from query results: each query's JSON and
 * TSV, and for every result with nodes and edges, Cytoscape.js JSON,
 * GraphML (as networkx and Gephi read it), DOT (Graphviz) and SIF.
 * Layouts are documented in docs/GRAPH.md; renderers only format, they
 * never reorder, so a file lists what the query returned in its order.
 *
 * Every output states its limits: JSON has "limit", "total*" and
 * "truncated"; GraphML and DOT carry them as graph attributes; TSV keeps
 * a plain header row (pandas) and the limit is the one its file name gave
 * (or the documented default), with truncation visible in the JSON twin.
 */
#define _GNU_SOURCE
#include "graph/graph_int.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------- text */

/* The JSON escape of s, without quotes. */
static void json_body(graph_buf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		unsigned char c;
		const char *run = p;
		while (*p && (unsigned char)*p >= 0x20 && *p != '"' &&
		       *p != '\\')
			p++;
		if (p > run)
			graph_buf_put(b, run, (size_t)(p - run));
		if (!*p)
			break;
		c = (unsigned char)*p;
		if (c == '"')
			graph_buf_put(b, "\\\"", 2);
		else if (c == '\\')
			graph_buf_put(b, "\\\\", 2);
		else if (c == '\n')
			graph_buf_put(b, "\\n", 2);
		else if (c == '\t')
			graph_buf_put(b, "\\t", 2);
		else
			graph_buf_printf(b, "\\u%04x", c);
	}
}

void graph_buf_json_str(graph_buf *b, const char *s)
{
	size_t n = 0;

	while (s[n] && (unsigned char)s[n] >= 0x20 && s[n] != '"' &&
	       s[n] != '\\')
		n++;
	if (!s[n]) {	/* nothing to escape (names, types): one piece */
		char *p = gdb_buf_room(b, n + 2);
		if (p) {
			p[0] = '"';
			memcpy(p + 1, s, n);
			p[n + 1] = '"';
		}
		return;
	}
	graph_buf_put(b, "\"", 1);
	json_body(b, s);
	graph_buf_put(b, "\"", 1);
}

void graph_buf_xml_str(graph_buf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		const char *run = p;
		while (*p && *p != '<' && *p != '>' && *p != '&' && *p != '"' &&
		       *p != '\'' && (unsigned char)*p >= 0x20)
			p++;
		if (p > run)
			graph_buf_put(b, run, (size_t)(p - run));
		if (!*p)
			break;
		switch (*p) {
		case '<':
			graph_buf_puts(b, "&lt;");
			break;
		case '>':
			graph_buf_puts(b, "&gt;");
			break;
		case '&':
			graph_buf_puts(b, "&amp;");
			break;
		case '"':
			graph_buf_puts(b, "&quot;");
			break;
		case '\'':
			graph_buf_puts(b, "&apos;");
			break;
		default:	/* control characters are not XML 1.0 */
			graph_buf_puts(b, " ");
		}
	}
}

void graph_buf_tsv_str(graph_buf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		const char *run = p;
		while (*p && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		if (p > run)
			graph_buf_put(b, run, (size_t)(p - run));
		if (!*p)
			break;
		graph_buf_put(b, " ", 1);
	}
}

/* Decimal digits, as printf's %u / %llu writes them. */
static void put_u64(graph_buf *b, uint64_t v)
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
static void put_i64(graph_buf *b, int64_t v)
{
	if (v < 0) {
		graph_buf_put(b, "-", 1);
		put_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(b, (uint64_t)v);
	}
}

static const uint64_t pow10_u64[] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
	10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
	100000000000ull, 1000000000000ull, 10000000000000ull,
};

/*
 * float_text - put_float's text for 1e-4 <= v <= 1 (where "%g" writes no
 * exponent), computed exactly in integers. v = m * 2^-k; for precision P
 * the digits are D = v * 10^s rounded half to even (s = P - 1 - X, X the
 * decimal exponent: printf rounds the exact value so), and the text reads
 * back as v when D * 10^-s is within half an ulp of v (strtof rounds to
 * nearest, ties to the even mantissa; the ulp below is half as wide at a
 * power of two). Values scaled by 10^s * 2^k are integers below 2^67.
 * @return the length written to out (at most 16), or 0 for other values
 */
static size_t float_text(float v, char *out)
{
	uint32_t bits, ex;
	uint64_t m, D = 0;
	int k, X, P, s = 0;
	size_t n = 0;

	memcpy(&bits, &v, 4);
	ex = bits >> 23 & 0xff;
	m = (bits & 0x7fffffu) | 0x800000u;
	k = 150 - (int)ex;	/* v = m * 2^(ex - 127 - 23) */
	if (bits >> 31 || ex == 0 || ex == 255 || k < 23 || k > 37 ||
	    (k == 23 && m != 0x800000u))
		return 0;	/* negative, zero, subnormal, not finite, > 1 */
	/* X = floor(log10 v): the largest X with 10^X <= m * 2^-k */
	for (X = -5; X < 0 && ((uint64_t)1 << k) <= m * pow10_u64[-X - 1];)
		X++;
	if (X < -4)
		return 0;
	for (P = 6; P <= 9; P++) {
		unsigned __int128 N, T, V, unit, rem, half, dev;
		int x = X;
		s = P - 1 - x;
		N = (unsigned __int128)m * pow10_u64[s];
		D = (uint64_t)(N >> k);
		rem = N - ((unsigned __int128)D << k);
		half = (unsigned __int128)1 << (k - 1);
		if (rem > half || (rem == half && (D & 1)))
			D++;
		if (D == pow10_u64[P]) {	/* rounded up to 10^(X+1) */
			D = pow10_u64[P - 1];
			x++;
			s--;
			if (x > 0)
				return 0;
		}
		T = (unsigned __int128)D << k;
		V = (unsigned __int128)m * pow10_u64[s];
		unit = pow10_u64[s];	/* one ulp of v, scaled */
		/* the distance to v in units of half the ulp on its side */
		if (T >= V)
			dev = 2 * (T - V);
		else
			dev = (m == 0x800000u ? 4 : 2) * (V - T);
		if (dev > unit || (dev == unit && (m & 1)))
			continue;
		/* %g: no trailing zeros after the point, no point without */
		{
			char dig[10];
			int nd = P;
			while (s > 0 && D % 10 == 0) {
				D /= 10;
				s--;
				nd--;
			}
			for (int i = nd - 1; i >= 0; i--) {
				dig[i] = (char)('0' + D % 10);
				D /= 10;
			}
			if (x >= 0) {	/* v = 1 */
				memcpy(out, dig, (size_t)x + 1);
				n = (size_t)x + 1;
				if (s > 0) {
					out[n++] = '.';
					memcpy(out + n, dig + x + 1, (size_t)s);
					n += (size_t)s;
				}
			} else {
				out[n++] = '0';
				out[n++] = '.';
				for (int i = 0; i < -x - 1; i++)
					out[n++] = '0';
				memcpy(out + n, dig, (size_t)nd);
				n += (size_t)nd;
			}
			return n;
		}
	}
	return 0;
}

/*
 * The shortest of "%.6g" .. "%.9g" that reads back as the same float
 * (0.7f -> "0.7"); confidences are computed by float_text, other values
 * (and any float_text does not take) by printf and strtof.
 */
static void put_float(graph_buf *b, float v)
{
	char tmp[32];
	size_t n = float_text(v, tmp);

	if (n) {
		graph_buf_put(b, tmp, n);
		return;
	}
	for (int prec = 6; prec <= 9; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, (double)v);
		if (strtof(tmp, NULL) == v)
			break;
	}
	graph_buf_puts(b, tmp);
}

void graph_buf_num(graph_buf *b, double v)
{
	char tmp[40];

	if (!isfinite(v)) {
		graph_buf_puts(b, "null");
		return;
	}
	for (int prec = 6; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	graph_buf_puts(b, tmp);
}

/* DOT strings: quoted, '"' and '\' escaped. */
static void dot_str(graph_buf *b, const char *s)
{
	graph_buf_put(b, "\"", 1);
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			graph_buf_put(b, "\\", 1);
		if (*p == '\n' || *p == '\r')
			graph_buf_put(b, " ", 1);
		else
			graph_buf_put(b, p, 1);
	}
	graph_buf_put(b, "\"", 1);
}

static int finish(graph_buf *b, char **out, size_t *len)
{
	/* Answers stay NUL-terminated text, as callers and tests use them;
	 * the NUL is not counted in len. */
	if (gdb_buf_room(b, 1)) {
		b->len--;
		b->p[b->len] = 0;
	}
	if (b->err) {
		int rc = b->err;
		gdb_buf_free(b);
		return rc;
	}
	*out = b->p;
	*len = b->len;
	return 0;
}

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

static const char *net_label(const gdb_graph *g, int net)
{
	return net >= 0 ? gdb_graph_network_name(g, (uint32_t)net) : "all";
}

static void json_filter(graph_buf *b, const gdb_graph *g,
			const gdb_graph_result *r)
{
	const gdb_graph_filter *f = r->filter;

	graph_buf_puts(b, "\"network\": ");
	graph_buf_json_str(b, net_label(g, r->network));
	if (!f)
		return;
	graph_buf_puts(b, ", \"filter\": {\"min_conf\": ");
	graph_buf_num(b, f->min_conf);
	graph_buf_puts(b, ", \"types\": [");
	for (unsigned i = 0; i < f->ntypes; i++) {
		if (i)
			graph_buf_puts(b, ", ");
		graph_buf_json_str(b, f->types[i]);
	}
	graph_buf_puts(b, "]");
	if (f->dir)
		graph_buf_printf(b, ", \"dir\": \"%s\"",
				 f->dir == GDB_GRAPH_OUT  ? "out"
				 : f->dir == GDB_GRAPH_IN ? "in"
							  : "both");
	graph_buf_puts(b, "}");
}

static void json_limit(graph_buf *b, const char *key, uint64_t v)
{
	if (v == UINT64_MAX)
		graph_buf_printf(b, "\"%s\": null", key);
	else
		graph_buf_printf(b, "\"%s\": %llu", key, (unsigned long long)v);
}

/* A subgraph answer's caps and totals, as every subgraph format states. */
static void json_subgraph_counts(graph_buf *b, const gdb_graph_result *r)
{
	json_limit(b, "limit", r->limit);
	graph_buf_puts(b, ", ");
	json_limit(b, "edge_limit", r->edge_limit);
	graph_buf_printf(b, ", \"total_nodes\": %llu, \"total_edges\": %llu, "
			 "\"truncated\": %s",
			 (unsigned long long)r->total_nodes,
			 (unsigned long long)r->total_edges,
			 r->truncated ? "true" : "false");
}

#define EDGE_AHEAD 8	/* rows ahead whose edge columns are prefetched */

/*
 * The edges of an answer are scattered over the edge columns (a cache and
 * TLB miss per column and edge): ask for those of the edge EDGE_AHEAD rows
 * on while row i is written. always_inline: GCC takes a static function
 * that only prefetches for pure and drops its calls before inlining.
 */
static inline __attribute__((always_inline)) void
edge_ahead(const gdb_graph *g, const gdb_graph_eref *e, uint64_t i, uint64_t n)
{
	const graph_net *N;
	uint32_t k;

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

/*
 * Per-row text below is put piece by piece, without printf: a row is a few
 * strings and numbers, and printf's per-call cost was most of the time of
 * rendering a large answer.
 */

/* A node's ", \"kind\": \"...\"" and, with has_dist, ", \"distance\": d". */
static void json_kind_dist(graph_buf *b, const gdb_graph *g, uint32_t node,
			   int has_dist, int32_t d)
{
	graph_buf_puts(b, ", \"kind\": \"");
	graph_buf_puts(b, gdb_graph_kind_name(gdb_graph_node_kind(g, node)));
	graph_buf_put(b, "\"", 1);
	if (has_dist) {
		graph_buf_puts(b, ", \"distance\": ");
		put_i64(b, d);
	}
}

/* An edge's attributes as JSON members (no braces). */
static void json_edge_members(graph_buf *b, const gdb_graph *g,
			      gdb_graph_eref e)
{
	gdb_graph_edge E;

	gdb_graph_edge_get(g, e, &E);
	graph_buf_puts(b, "\"source\": ");
	graph_buf_json_str(b, gdb_graph_node_name(g, E.src));
	graph_buf_puts(b, ", \"target\": ");
	graph_buf_json_str(b, gdb_graph_node_name(g, E.dst));
	graph_buf_puts(b, ", \"type\": ");
	graph_buf_json_str(b, E.type);
	graph_buf_puts(b, ", \"directed\": ");
	graph_buf_puts(b, E.directed ? "true" : "false");
	graph_buf_puts(b, ", \"confidence\": ");
	put_float(b, E.conf);
	graph_buf_puts(b, ", \"network\": ");
	graph_buf_json_str(b, E.network);
	graph_buf_puts(b, ", \"evidence\": ");
	graph_buf_json_str(b, E.evidence);
	for (uint32_t c = 0; c < E.nchannels; c++) {
		graph_buf_puts(b, ", ");
		graph_buf_json_str(b, E.chan_names[c]);
		graph_buf_puts(b, ": ");
		put_u64(b, E.chan[c]);
	}
}

static void json_edges(graph_buf *b, const gdb_graph *g,
		       const gdb_graph_eref *e, uint64_t n)
{
	graph_buf_puts(b, "[");
	for (uint64_t i = 0; i < n && !b->err; i++) {
		edge_ahead(g, e, i, n);
		graph_buf_puts(b, i ? ",\n  {" : "\n  {");
		json_edge_members(b, g, e[i]);
		graph_buf_puts(b, "}");
	}
	graph_buf_puts(b, n ? "\n]" : "]");
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
	json_filter(b, g, r);
}

/* Nodes of a drawable result: r->nodes, then any edge end not among them
 * (by rank), so every edge has both its nodes. */
static int draw_nodes(const gdb_graph *g, const gdb_graph_result *r,
		      uint32_t **out, uint32_t *n, int32_t **dist)
{
	uint8_t *seen = calloc((size_t)g->G + 1, 1);
	uint64_t cap = (uint64_t)r->nnodes + 2 * r->nedges + 1;
	uint32_t *v = malloc((size_t)cap * 4);
	int32_t *d = malloc((size_t)cap * 4);
	uint32_t k = 0, first_extra;

	if (!seen || !v || !d) {
		free(seen);
		free(v);
		free(d);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < r->nnodes; i++)
		if (!seen[r->nodes[i]]) {
			seen[r->nodes[i]] = 1;
			d[k] = r->dist ? r->dist[i] : -1;
			v[k++] = r->nodes[i];
		}
	first_extra = k;
	for (uint64_t i = 0; i < r->nedges; i++) {
		gdb_graph_edge E;
		edge_ahead(g, r->edges, i, r->nedges);
		gdb_graph_edge_get(g, r->edges[i], &E);
		if (!seen[E.src]) {
			seen[E.src] = 1;
			d[k] = -1;
			v[k++] = E.src;
		}
		if (!seen[E.dst]) {
			seen[E.dst] = 1;
			d[k] = -1;
			v[k++] = E.dst;
		}
	}
	/* Extra nodes by rank (insertion sort is fine: they are few, and a
	 * qsort_r would need the ranks of both arrays). */
	for (uint32_t i = first_extra + 1; i < k; i++) {
		uint32_t x = v[i];
		uint32_t j = i;
		while (j > first_extra &&
		       gdb_graph_node_rank(g, v[j - 1]) >
			       gdb_graph_node_rank(g, x)) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
	free(seen);
	*out = v;
	*n = k;
	*dist = d;
	return 0;
}

static int drawable(const gdb_graph_result *r)
{
	static const char *const q[] = {"neighbors", "khop",  "upstream",
					"downstream", "path", "paths",
					"k-shortest", "pathway", "crosstalk"};

	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		if (!strcmp(r->query, q[i]))
			return 1;
	return 0;
}

static const char *result_name(const gdb_graph *g, const gdb_graph_result *r,
			       char *buf, size_t n)
{
	if (r->pw1 != GRAPH_NONE && r->pw2 != GRAPH_NONE)
		snprintf(buf, n, "%s-%s", gdb_graph_pathway_id(g, r->pw1),
			 gdb_graph_pathway_id(g, r->pw2));
	else if (r->pw1 != GRAPH_NONE)
		snprintf(buf, n, "%s", gdb_graph_pathway_id(g, r->pw1));
	else if (r->center != GRAPH_NONE)
		snprintf(buf, n, "%s %s", r->query,
			 gdb_graph_node_name(g, r->center));
	else
		snprintf(buf, n, "%s", r->query);
	return buf;
}

/* ------------------------------------------------------ graph formats */

static void render_cyjs(graph_buf *b, const gdb_graph *g,
			const gdb_graph_result *r, const uint32_t *v,
			const int32_t *d, uint32_t n)
{
	char name[512];

	graph_buf_puts(b, "{\"data\": {\"name\": ");
	graph_buf_json_str(b, result_name(g, r, name, sizeof(name)));
	graph_buf_puts(b, ", \"query\": ");
	graph_buf_json_str(b, r->query);
	graph_buf_puts(b, ", ");
	json_subgraph_counts(b, r);
	graph_buf_puts(b, ", ");
	json_filter(b, g, r);
	graph_buf_puts(b, "},\n\"elements\": {\"nodes\": [");
	for (uint32_t i = 0; i < n && !b->err; i++) {
		const char *nm = gdb_graph_node_name(g, v[i]);
		graph_buf_puts(b, i ? ",\n  {\"data\": {\"id\": " : "\n  {\"data\": {\"id\": ");
		graph_buf_json_str(b, nm);
		graph_buf_puts(b, ", \"name\": ");
		graph_buf_json_str(b, nm);
		json_kind_dist(b, g, v[i], d[i] >= 0, d[i]);
		graph_buf_puts(b, "}}");
	}
	graph_buf_puts(b, "],\n\"edges\": [");
	for (uint64_t i = 0; i < r->nedges && !b->err; i++) {
		edge_ahead(g, r->edges, i, r->nedges);
		graph_buf_puts(b, i ? ",\n  {\"data\": {\"id\": \""
				    : "\n  {\"data\": {\"id\": \"");
		/* a network name may hold '"' or '\\' */
		json_body(b, gdb_graph_network_name(g, r->edges[i].net));
		graph_buf_put(b, ":", 1);
		put_u64(b, r->edges[i].eid);
		graph_buf_puts(b, "\", ");
		json_edge_members(b, g, r->edges[i]);
		graph_buf_puts(b, "}}");
	}
	graph_buf_puts(b, "]}}\n");
}

static void render_graphml(graph_buf *b, const gdb_graph *g,
			   const gdb_graph_result *r, const uint32_t *v,
			   const int32_t *d, uint32_t n)
{
	char name[512];
	uint32_t nchan = 0, nnet = gdb_graph_nnetworks(g);
	/* Channel keys: the union of the channel names of the networks the
	 * edges come from, in order of first appearance (one network's
	 * answer: its channels in its order); key[net][c] is the key of
	 * channel c of network net, the first time an edge of net comes. */
	const char **chan_names = calloc((size_t)nnet * GDB_GRAPH_MAX_CHANNELS,
					 sizeof(*chan_names));
	uint8_t *key = calloc((size_t)nnet * GDB_GRAPH_MAX_CHANNELS, 1);
	uint8_t *seen = calloc(nnet ? nnet : 1, 1);

	if (!chan_names || !key || !seen) {
		b->err = -ENOMEM;
		goto out;
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
			while (k < nchan && strcmp(chan_names[k], E.chan_names[c]))
				k++;
			if (k == nchan)
				chan_names[nchan++] = E.chan_names[c];
			key[net * GDB_GRAPH_MAX_CHANNELS + c] = (uint8_t)k;
		}
	}
	graph_buf_puts(b,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" "
		"xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
		"xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns "
		"http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n"
		"  <key id=\"kind\" for=\"node\" attr.name=\"kind\" "
		"attr.type=\"string\"/>\n"
		"  <key id=\"distance\" for=\"node\" attr.name=\"distance\" "
		"attr.type=\"int\"/>\n"
		"  <key id=\"type\" for=\"edge\" attr.name=\"type\" "
		"attr.type=\"string\"/>\n"
		"  <key id=\"directed\" for=\"edge\" attr.name=\"directed\" "
		"attr.type=\"boolean\"/>\n"
		"  <key id=\"confidence\" for=\"edge\" attr.name=\"confidence\" "
		"attr.type=\"double\"/>\n"
		"  <key id=\"network\" for=\"edge\" attr.name=\"network\" "
		"attr.type=\"string\"/>\n"
		"  <key id=\"evidence\" for=\"edge\" attr.name=\"evidence\" "
		"attr.type=\"string\"/>\n"
		"  <key id=\"query\" for=\"graph\" attr.name=\"query\" "
		"attr.type=\"string\"/>\n"
		"  <key id=\"limit\" for=\"graph\" attr.name=\"limit\" "
		"attr.type=\"long\"/>\n"
		"  <key id=\"total_nodes\" for=\"graph\" "
		"attr.name=\"total_nodes\" attr.type=\"long\"/>\n"
		"  <key id=\"total_edges\" for=\"graph\" "
		"attr.name=\"total_edges\" attr.type=\"long\"/>\n"
		"  <key id=\"truncated\" for=\"graph\" attr.name=\"truncated\" "
		"attr.type=\"boolean\"/>\n");
	for (uint32_t c = 0; c < nchan; c++) {
		graph_buf_printf(b, "  <key id=\"c%u\" for=\"edge\" "
				 "attr.name=\"", c);
		graph_buf_xml_str(b, chan_names[c]);
		graph_buf_puts(b, "\" attr.type=\"int\"/>\n");
	}
	graph_buf_puts(b, "  <graph id=\"");
	graph_buf_xml_str(b, result_name(g, r, name, sizeof(name)));
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
	for (uint32_t i = 0; i < n && !b->err; i++) {
		graph_buf_puts(b, "    <node id=\"");
		graph_buf_xml_str(b, gdb_graph_node_name(g, v[i]));
		graph_buf_puts(b, "\"><data key=\"kind\">");
		graph_buf_puts(b, gdb_graph_kind_name(
					  gdb_graph_node_kind(g, v[i])));
		graph_buf_puts(b, "</data>");
		if (d[i] >= 0) {
			graph_buf_puts(b, "<data key=\"distance\">");
			put_i64(b, d[i]);
			graph_buf_puts(b, "</data>");
		}
		graph_buf_puts(b, "</node>\n");
	}
	for (uint64_t i = 0; i < r->nedges && !b->err; i++) {
		gdb_graph_edge E;
		edge_ahead(g, r->edges, i, r->nedges);
		gdb_graph_edge_get(g, r->edges[i], &E);
		graph_buf_puts(b, "    <edge id=\"e");
		put_u64(b, i);
		graph_buf_puts(b, "\" source=\"");
		graph_buf_xml_str(b, gdb_graph_node_name(g, E.src));
		graph_buf_puts(b, "\" target=\"");
		graph_buf_xml_str(b, gdb_graph_node_name(g, E.dst));
		graph_buf_puts(b, "\"><data key=\"type\">");
		graph_buf_xml_str(b, E.type);
		graph_buf_puts(b, "</data><data key=\"directed\">");
		graph_buf_puts(b, E.directed ? "true" : "false");
		graph_buf_puts(b, "</data><data key=\"confidence\">");
		put_float(b, E.conf);
		graph_buf_puts(b, "</data><data key=\"network\">");
		graph_buf_xml_str(b, E.network);
		graph_buf_puts(b, "</data>");
		if (*E.evidence) {
			graph_buf_puts(b, "<data key=\"evidence\">");
			graph_buf_xml_str(b, E.evidence);
			graph_buf_puts(b, "</data>");
		}
		for (uint32_t c = 0; c < E.nchannels; c++) {
			graph_buf_puts(b, "<data key=\"c");
			put_u64(b, key[r->edges[i].net * GDB_GRAPH_MAX_CHANNELS +
				       c]);
			graph_buf_puts(b, "\">");
			put_u64(b, E.chan[c]);
			graph_buf_puts(b, "</data>");
		}
		graph_buf_puts(b, "</edge>\n");
	}
	graph_buf_puts(b, "  </graph>\n</graphml>\n");
out:
	free(chan_names);
	free(key);
	free(seen);
}

static void render_dot(graph_buf *b, const gdb_graph *g,
		       const gdb_graph_result *r, const uint32_t *v,
		       const int32_t *d, uint32_t n)
{
	char name[512];

	graph_buf_puts(b, "digraph ");
	dot_str(b, result_name(g, r, name, sizeof(name)));
	graph_buf_printf(b, " {\n  // query=%s limit=%lld total_nodes=%llu "
			 "total_edges=%llu truncated=%s\n",
			 r->query,
			 r->limit == UINT64_MAX ? -1LL : (long long)r->limit,
			 (unsigned long long)r->total_nodes,
			 (unsigned long long)r->total_edges,
			 r->truncated ? "true" : "false");
	graph_buf_puts(b, "  graph [label=");
	dot_str(b, name);
	graph_buf_printf(b, ", truncated=\"%s\"];\n",
			 r->truncated ? "true" : "false");
	graph_buf_puts(b, "  node [shape=box, style=rounded];\n");
	for (uint32_t i = 0; i < n && !b->err; i++) {
		unsigned k = gdb_graph_node_kind(g, v[i]);
		graph_buf_puts(b, "  ");
		dot_str(b, gdb_graph_node_name(g, v[i]));
		graph_buf_puts(b, " [kind=\"");
		graph_buf_puts(b, gdb_graph_kind_name(k));
		graph_buf_put(b, "\"", 1);
		if (k == GDB_GRAPH_COMPOUND)
			graph_buf_puts(b, ", shape=ellipse");
		else if (k == GDB_GRAPH_REACTION)
			graph_buf_puts(b, ", shape=diamond");
		if (d[i] >= 0) {
			graph_buf_puts(b, ", distance=");
			put_i64(b, d[i]);
		}
		graph_buf_puts(b, "];\n");
	}
	for (uint64_t i = 0; i < r->nedges && !b->err; i++) {
		gdb_graph_edge E;
		const char *arrow;
		edge_ahead(g, r->edges, i, r->nedges);
		gdb_graph_edge_get(g, r->edges[i], &E);
		arrow = !E.directed ? "none"
			: strstr(E.type, "inhibit") || strstr(E.type, "repress")
				? "tee"
				: "normal";
		graph_buf_puts(b, "  ");
		dot_str(b, gdb_graph_node_name(g, E.src));
		graph_buf_puts(b, " -> ");
		dot_str(b, gdb_graph_node_name(g, E.dst));
		graph_buf_puts(b, " [type=");
		dot_str(b, E.type);
		graph_buf_puts(b, ", label=");
		dot_str(b, E.type);
		graph_buf_puts(b, ", confidence=");
		put_float(b, E.conf);
		graph_buf_puts(b, ", network=");
		dot_str(b, E.network);
		if (*E.evidence) {
			graph_buf_puts(b, ", evidence=");
			dot_str(b, E.evidence);
		}
		graph_buf_puts(b, ", arrowhead=");
		graph_buf_puts(b, arrow);
		graph_buf_puts(b, E.directed ? "];\n" : ", dir=none];\n");
	}
	graph_buf_puts(b, "}\n");
}

static void render_sif(graph_buf *b, const gdb_graph *g,
		       const gdb_graph_result *r, const uint32_t *v,
		       uint32_t n)
{
	uint8_t *has = calloc((size_t)gdb_graph_nnodes(g) + 1, 1);

	if (!has) {
		b->err = -ENOMEM;
		return;
	}
	for (uint64_t i = 0; i < r->nedges && !b->err; i++) {
		gdb_graph_edge E;
		edge_ahead(g, r->edges, i, r->nedges);
		gdb_graph_edge_get(g, r->edges[i], &E);
		has[E.src] = has[E.dst] = 1;
		graph_buf_tsv_str(b, gdb_graph_node_name(g, E.src));
		graph_buf_put(b, "\t", 1);
		graph_buf_tsv_str(b, E.type);
		graph_buf_put(b, "\t", 1);
		graph_buf_tsv_str(b, gdb_graph_node_name(g, E.dst));
		graph_buf_put(b, "\n", 1);
	}
	for (uint32_t i = 0; i < n && !b->err; i++)
		if (!has[v[i]]) {
			graph_buf_tsv_str(b, gdb_graph_node_name(g, v[i]));
			graph_buf_put(b, "\n", 1);
		}
	free(has);
}

/* ------------------------------------------------------- per-query TSV */

/* A directed column between TABs. */
static void tsv_directed(graph_buf *b, int directed)
{
	graph_buf_puts(b, directed ? "\ttrue\t" : "\tfalse\t");
}

static void tsv_edge_row(graph_buf *b, const gdb_graph *g, gdb_graph_eref e)
{
	gdb_graph_edge E;

	gdb_graph_edge_get(g, e, &E);
	graph_buf_tsv_str(b, gdb_graph_node_name(g, E.src));
	graph_buf_put(b, "\t", 1);
	graph_buf_tsv_str(b, gdb_graph_node_name(g, E.dst));
	graph_buf_put(b, "\t", 1);
	graph_buf_tsv_str(b, E.type);
	tsv_directed(b, E.directed);
	put_float(b, E.conf);
	graph_buf_put(b, "\t", 1);
	graph_buf_tsv_str(b, E.network);
	graph_buf_put(b, "\t", 1);
	graph_buf_tsv_str(b, E.evidence);
	graph_buf_put(b, "\n", 1);
}

static const char EDGE_HDR[] =
	"source\ttarget\ttype\tdirected\tconfidence\tnetwork\tevidence\n";

/* TAB, the node's kind, newline. */
static void tsv_kind(graph_buf *b, const gdb_graph *g, uint32_t node)
{
	graph_buf_put(b, "\t", 1);
	graph_buf_puts(b, gdb_graph_kind_name(gdb_graph_node_kind(g, node)));
	graph_buf_put(b, "\n", 1);
}

static void tsv_path_nodes(graph_buf *b, const gdb_graph *g,
			   const gdb_graph_result *r, uint32_t p)
{
	for (uint64_t i = r->path_off[p]; i < r->path_off[p + 1]; i++) {
		if (i > r->path_off[p])
			graph_buf_put(b, ",", 1);
		graph_buf_tsv_str(b, gdb_graph_node_name(g, r->path_node[i]));
	}
}

static int render_tsv(graph_buf *b, const gdb_graph *g,
		      const gdb_graph_result *r)
{
	const char *q = r->query;

	if (!strcmp(q, "neighbors")) {
		graph_buf_puts(b, "neighbor\tdirection\ttype\tconfidence\t"
			       "network\tevidence\n");
		for (uint64_t i = 0; i < r->nedges && !b->err; i++) {
			gdb_graph_edge E;
			uint32_t nb;
			edge_ahead(g, r->edges, i, r->nedges);
			gdb_graph_edge_get(g, r->edges[i], &E);
			nb = neighbor_of(r, i, &E);
			graph_buf_tsv_str(b, gdb_graph_node_name(g, nb));
			graph_buf_put(b, "\t", 1);
			graph_buf_puts(b, dir_name(r->edir[i]));
			graph_buf_put(b, "\t", 1);
			graph_buf_tsv_str(b, E.type);
			graph_buf_put(b, "\t", 1);
			put_float(b, E.conf);
			graph_buf_put(b, "\t", 1);
			graph_buf_tsv_str(b, E.network);
			graph_buf_put(b, "\t", 1);
			graph_buf_tsv_str(b, E.evidence);
			graph_buf_put(b, "\n", 1);
		}
	} else if (!strcmp(q, "khop") || !strcmp(q, "upstream") ||
		   !strcmp(q, "downstream")) {
		graph_buf_puts(b, "node\tdistance\tkind\n");
		for (uint32_t i = 0; i < r->nnodes && !b->err; i++) {
			graph_buf_tsv_str(b, gdb_graph_node_name(g, r->nodes[i]));
			graph_buf_put(b, "\t", 1);
			put_i64(b, r->dist[i]);
			tsv_kind(b, g, r->nodes[i]);
		}
	} else if (!strcmp(q, "members")) {
		graph_buf_puts(b, "node\tkind\n");
		for (uint32_t i = 0; i < r->nnodes && !b->err; i++) {
			graph_buf_tsv_str(b, gdb_graph_node_name(g, r->nodes[i]));
			tsv_kind(b, g, r->nodes[i]);
		}
	} else if (!strcmp(q, "pathway") || !strcmp(q, "crosstalk")) {
		graph_buf_puts(b, EDGE_HDR);
		for (uint64_t i = 0; i < r->nedges && !b->err; i++) {
			edge_ahead(g, r->edges, i, r->nedges);
			tsv_edge_row(b, g, r->edges[i]);
		}
	} else if (!strcmp(q, "path")) {
		double cost = 0;
		graph_buf_puts(b, "step\tnode\ttype\tdirected\tconfidence\t"
			       "network\tcost\n");
		for (uint32_t p = 0; p < r->npaths; p++)
			for (uint64_t i = r->path_off[p];
			     i < r->path_off[p + 1] && !b->err; i++) {
				uint64_t s = i - r->path_off[p];
				put_u64(b, s);
				graph_buf_put(b, "\t", 1);
				graph_buf_tsv_str(b, gdb_graph_node_name(
							     g, r->path_node[i]));
				if (!s) {
					graph_buf_puts(b, "\t\t\t\t\t0\n");
					continue;
				}
				{
					gdb_graph_edge E;
					gdb_graph_edge_get(
						g, r->path_edge[i - 1 - p], &E);
					cost += -log(E.conf < 1e-9f ? 1e-9
								    : E.conf) +
						(r->filter &&
								 r->filter->hop_cost >= 0
							 ? r->filter->hop_cost
							 : GDB_GRAPH_HOP_COST);
					graph_buf_put(b, "\t", 1);
					graph_buf_tsv_str(b, E.type);
					tsv_directed(b, E.directed);
					put_float(b, E.conf);
					graph_buf_put(b, "\t", 1);
					graph_buf_tsv_str(b, E.network);
					graph_buf_put(b, "\t", 1);
					graph_buf_num(b, cost);
					graph_buf_put(b, "\n", 1);
				}
			}
	} else if (!strcmp(q, "paths") || !strcmp(q, "k-shortest")) {
		graph_buf_puts(b, "rank\tcost\thops\tnodes\n");
		for (uint32_t p = 0; p < r->npaths && !b->err; p++) {
			graph_buf_printf(b, "%u\t", p + 1);
			graph_buf_num(b, r->path_cost[p]);
			graph_buf_printf(b, "\t%llu\t",
					 (unsigned long long)(r->path_off[p + 1] -
							      r->path_off[p] - 1));
			tsv_path_nodes(b, g, r, p);
			graph_buf_put(b, "\n", 1);
		}
	} else if (!strcmp(q, "enrich")) {
		graph_buf_puts(b, "pathway\ttitle\thits\tsize\tlist\tuniverse\t"
			       "p\tq\tgenes\n");
		for (uint32_t i = 0; i < r->nrows && !b->err; i++) {
			const gdb_graph_enrich_row *w = &r->rows[i];
			graph_buf_tsv_str(b, gdb_graph_pathway_id(g, w->pathway));
			graph_buf_put(b, "\t", 1);
			graph_buf_tsv_str(b,
					  gdb_graph_pathway_title(g, w->pathway));
			graph_buf_printf(b, "\t%u\t%u\t%u\t%u\t", w->hits, w->size,
					 r->size1, r->universe);
			graph_buf_num(b, w->p);
			graph_buf_put(b, "\t", 1);
			graph_buf_num(b, w->q);
			graph_buf_put(b, "\t", 1);
			for (uint32_t h = 0; h < w->hits; h++) {
				if (h)
					graph_buf_put(b, ",", 1);
				graph_buf_tsv_str(b, gdb_graph_node_name(
							     g, r->hit_nodes[w->hit_off + h]));
			}
			graph_buf_put(b, "\n", 1);
		}
	} else if (!strcmp(q, "node-pathways")) {
		graph_buf_puts(b, "pathway\ttitle\tsize\n");
		for (uint32_t i = 0; i < r->nrows && !b->err; i++) {
			graph_buf_tsv_str(b, gdb_graph_pathway_id(
						     g, r->rows[i].pathway));
			graph_buf_put(b, "\t", 1);
			graph_buf_tsv_str(b, gdb_graph_pathway_title(
						     g, r->rows[i].pathway));
			graph_buf_printf(b, "\t%u\n", r->rows[i].size);
		}
	} else if (!strcmp(q, "components")) {
		graph_buf_puts(b, "node\tcomponent\tsize\n");
		for (uint32_t i = 0; i < r->nnodes && !b->err; i++) {
			graph_buf_tsv_str(b, gdb_graph_node_name(g, r->nodes[i]));
			graph_buf_put(b, "\t", 1);
			put_i64(b, r->dist[i]);
			graph_buf_put(b, "\t", 1);
			put_u64(b, r->rows[r->dist[i]].size);
			graph_buf_put(b, "\n", 1);
		}
	} else if (!strcmp(q, "degree")) {
		graph_buf_puts(b, "node\tdegree\tkind\n");
		for (uint32_t i = 0; i < r->nnodes && !b->err; i++) {
			graph_buf_tsv_str(b, gdb_graph_node_name(g, r->nodes[i]));
			graph_buf_put(b, "\t", 1);
			put_i64(b, r->dist[i]);
			tsv_kind(b, g, r->nodes[i]);
		}
	} else {
		return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------ per-query JSON */

static void json_nodes_dist(graph_buf *b, const gdb_graph *g,
			    const gdb_graph_result *r)
{
	graph_buf_puts(b, "\"nodes\": [");
	for (uint32_t i = 0; i < r->nnodes && !b->err; i++) {
		graph_buf_puts(b, i ? ",\n  {\"name\": " : "\n  {\"name\": ");
		graph_buf_json_str(b, gdb_graph_node_name(g, r->nodes[i]));
		json_kind_dist(b, g, r->nodes[i], r->dist != NULL,
			       r->dist ? r->dist[i] : 0);
		graph_buf_puts(b, "}");
	}
	graph_buf_puts(b, r->nnodes ? "\n]" : "]");
}

static void json_path(graph_buf *b, const gdb_graph *g,
		      const gdb_graph_result *r, uint32_t p)
{
	uint64_t n = r->path_off[p + 1] - r->path_off[p];

	graph_buf_puts(b, "\"nodes\": ");
	json_names(b, g, r->path_node + r->path_off[p], n);
	graph_buf_puts(b, ", \"cost\": ");
	graph_buf_num(b, r->path_cost[p]);
	graph_buf_printf(b, ", \"hops\": %llu, \"edges\": ",
			 (unsigned long long)(n - 1));
	json_edges(b, g, r->path_edge + r->path_off[p] - p, n - 1);
}

static int render_json(graph_buf *b, const gdb_graph *g,
		       const gdb_graph_result *r)
{
	const char *q = r->query;

	if (!strcmp(q, "neighbors")) {
		json_head(b, g, r);
		graph_buf_puts(b, ", ");
		json_limit(b, "limit", r->limit);
		graph_buf_printf(b, ", \"total\": %llu, \"total_neighbors\": "
				 "%llu, \"truncated\": %s,\n\"neighbors\": [",
				 (unsigned long long)r->total_edges,
				 (unsigned long long)r->total_nodes,
				 r->truncated ? "true" : "false");
		for (uint64_t i = 0; i < r->nedges && !b->err; i++) {
			gdb_graph_edge E;
			uint32_t nb;
			edge_ahead(g, r->edges, i, r->nedges);
			gdb_graph_edge_get(g, r->edges[i], &E);
			nb = neighbor_of(r, i, &E);
			graph_buf_puts(b, i ? ",\n  {\"neighbor\": "
					    : "\n  {\"neighbor\": ");
			graph_buf_json_str(b, gdb_graph_node_name(g, nb));
			graph_buf_puts(b, ", \"direction\": \"");
			graph_buf_puts(b, dir_name(r->edir[i]));
			graph_buf_puts(b, "\", ");
			json_edge_members(b, g, r->edges[i]);
			graph_buf_puts(b, "}");
		}
		graph_buf_puts(b, r->nedges ? "\n]}\n" : "]}\n");
	} else if (!strcmp(q, "khop") || !strcmp(q, "upstream") ||
		   !strcmp(q, "downstream") || !strcmp(q, "pathway")) {
		json_head(b, g, r);
		if (r->pw1 != GRAPH_NONE) {
			graph_buf_puts(b, ", \"pathway\": ");
			graph_buf_json_str(b, gdb_graph_pathway_id(g, r->pw1));
			graph_buf_puts(b, ", \"title\": ");
			graph_buf_json_str(b, gdb_graph_pathway_title(g, r->pw1));
		}
		graph_buf_puts(b, ", ");
		json_subgraph_counts(b, r);
		graph_buf_puts(b, ",\n");
		json_nodes_dist(b, g, r);
		graph_buf_puts(b, ",\n\"edges\": ");
		json_edges(b, g, r->edges, r->nedges);
		graph_buf_puts(b, "}\n");
	} else if (!strcmp(q, "members")) {
		graph_buf_puts(b, "{\"query\": \"members\", \"pathway\": ");
		graph_buf_json_str(b, gdb_graph_pathway_id(g, r->pw1));
		graph_buf_puts(b, ", \"title\": ");
		graph_buf_json_str(b, gdb_graph_pathway_title(g, r->pw1));
		graph_buf_puts(b, ", ");
		json_filter(b, g, r);
		graph_buf_puts(b, ", ");
		json_limit(b, "limit", r->limit);
		graph_buf_printf(b, ", \"total\": %llu, \"truncated\": %s, "
				 "\"members\": ",
				 (unsigned long long)r->total_nodes,
				 r->truncated ? "true" : "false");
		json_names(b, g, r->nodes, r->nnodes);
		graph_buf_puts(b, "}\n");
	} else if (!strcmp(q, "path")) {
		json_head(b, g, r);
		graph_buf_printf(b, ", \"from\": ");
		graph_buf_json_str(b, gdb_graph_node_name(g, r->center));
		graph_buf_puts(b, ", \"found\": ");
		graph_buf_puts(b, r->npaths ? "true, " : "false, \"nodes\": [], "
				  "\"cost\": null, \"hops\": null, \"edges\": []");
		if (r->npaths)
			json_path(b, g, r, 0);
		graph_buf_puts(b, "}\n");
	} else if (!strcmp(q, "paths") || !strcmp(q, "k-shortest")) {
		const gdb_graph_filter *f = r->filter;
		json_head(b, g, r);
		graph_buf_printf(b, ", \"max_len\": %u, \"k\": %u, ",
				 f && f->max_len ? f->max_len
				 : f && f->k     ? 0
						 : GDB_GRAPH_DEFAULT_MAX_LEN,
				 f ? f->k : 0);
		json_limit(b, "limit", r->limit);
		graph_buf_printf(b, ", \"total\": %llu, \"truncated\": %s,\n"
				 "\"paths\": [",
				 (unsigned long long)r->total_nodes,
				 r->truncated ? "true" : "false");
		for (uint32_t p = 0; p < r->npaths && !b->err; p++) {
			graph_buf_puts(b, p ? ",\n {" : "\n {");
			json_path(b, g, r, p);
			graph_buf_puts(b, "}");
		}
		graph_buf_puts(b, r->npaths ? "\n]}\n" : "]}\n");
	} else if (!strcmp(q, "crosstalk")) {
		uint64_t uni = (uint64_t)r->size1 + r->size2 - r->nshared;
		graph_buf_puts(b, "{\"query\": \"crosstalk\", \"pathways\": [");
		graph_buf_json_str(b, gdb_graph_pathway_id(g, r->pw1));
		graph_buf_puts(b, ", ");
		graph_buf_json_str(b, gdb_graph_pathway_id(g, r->pw2));
		graph_buf_printf(b, "], \"sizes\": [%u, %u], ", r->size1,
				 r->size2);
		json_filter(b, g, r);
		graph_buf_printf(b, ", \"nshared\": %u, \"jaccard\": ",
				 r->nshared);
		graph_buf_num(b, uni ? (double)r->nshared / (double)uni : 0.0);
		graph_buf_puts(b, ", \"shared\": ");
		json_names(b, g, r->nodes, r->nshared);
		graph_buf_puts(b, ",\n");
		json_limit(b, "limit", r->limit);
		graph_buf_printf(b, ", \"total_edges\": %llu, \"truncated\": %s,"
				 "\n\"edges\": ",
				 (unsigned long long)r->total_edges,
				 r->truncated ? "true" : "false");
		json_edges(b, g, r->edges, r->nedges);
		graph_buf_puts(b, "}\n");
	} else if (!strcmp(q, "enrich")) {
		graph_buf_puts(b, "{\"query\": \"enrich\", ");
		json_filter(b, g, r);
		graph_buf_printf(b, ", \"list_size\": %u, \"mapped\": %u, "
				 "\"in_universe\": %u, \"universe\": %u, "
				 "\"tested\": %u, ",
				 r->list_size, r->list_mapped, r->size1,
				 r->universe, r->tested);
		json_limit(b, "limit", r->limit);
		graph_buf_printf(b, ", \"truncated\": %s,\n\"results\": [",
				 r->truncated ? "true" : "false");
		for (uint32_t i = 0; i < r->nrows && !b->err; i++) {
			const gdb_graph_enrich_row *w = &r->rows[i];
			graph_buf_puts(b, i ? ",\n  {\"pathway\": "
					    : "\n  {\"pathway\": ");
			graph_buf_json_str(b, gdb_graph_pathway_id(g, w->pathway));
			graph_buf_puts(b, ", \"title\": ");
			graph_buf_json_str(b,
					   gdb_graph_pathway_title(g, w->pathway));
			graph_buf_printf(b, ", \"hits\": %u, \"size\": %u, "
					 "\"p\": ", w->hits, w->size);
			graph_buf_num(b, w->p);
			graph_buf_puts(b, ", \"q\": ");
			graph_buf_num(b, w->q);
			graph_buf_puts(b, ", \"genes\": ");
			json_names(b, g, r->hit_nodes + w->hit_off, w->hits);
			graph_buf_puts(b, "}");
		}
		graph_buf_puts(b, r->nrows ? "\n]}\n" : "]}\n");
	} else if (!strcmp(q, "node-pathways")) {
		json_head(b, g, r);
		graph_buf_puts(b, ", \"pathways\": [");
		for (uint32_t i = 0; i < r->nrows && !b->err; i++) {
			graph_buf_puts(b, i ? ",\n  {\"id\": " : "\n  {\"id\": ");
			graph_buf_json_str(b, gdb_graph_pathway_id(
						      g, r->rows[i].pathway));
			graph_buf_puts(b, ", \"title\": ");
			graph_buf_json_str(b, gdb_graph_pathway_title(
						      g, r->rows[i].pathway));
			graph_buf_printf(b, ", \"size\": %u}", r->rows[i].size);
		}
		graph_buf_puts(b, r->nrows ? "\n]}\n" : "]}\n");
	} else if (!strcmp(q, "components")) {
		uint32_t at = 0;
		graph_buf_puts(b, "{\"query\": \"components\", ");
		json_filter(b, g, r);
		graph_buf_printf(b, ", \"total_components\": %u, \"total_nodes"
				 "\": %llu, ", r->tested,
				 (unsigned long long)r->total_nodes);
		json_limit(b, "limit", r->limit);
		graph_buf_printf(b, ", \"truncated\": %s,\n\"components\": [",
				 r->truncated ? "true" : "false");
		for (uint32_t i = 0; i < r->nrows && !b->err; i++) {
			uint32_t beg = at;
			while (at < r->nnodes && r->dist[at] == (int32_t)i)
				at++;
			graph_buf_printf(b, "%s{\"id\": %u, \"size\": %u, "
					 "\"members\": ", i ? ",\n  " : "\n  ",
					 i, r->rows[i].size);
			json_names(b, g, r->nodes + beg, at - beg);
			graph_buf_puts(b, "}");
		}
		graph_buf_puts(b, r->nrows ? "\n]}\n" : "]}\n");
	} else if (!strcmp(q, "degree")) {
		graph_buf_puts(b, "{\"query\": \"degree\", ");
		json_filter(b, g, r);
		graph_buf_puts(b, ", ");
		json_limit(b, "limit", r->limit);
		graph_buf_printf(b, ", \"total\": %llu, \"truncated\": %s,\n"
				 "\"nodes\": [",
				 (unsigned long long)r->total_nodes,
				 r->truncated ? "true" : "false");
		for (uint32_t i = 0; i < r->nnodes && !b->err; i++) {
			graph_buf_puts(b, i ? ",\n  {\"name\": " : "\n  {\"name\": ");
			graph_buf_json_str(b, gdb_graph_node_name(g, r->nodes[i]));
			graph_buf_puts(b, ", \"degree\": ");
			put_i64(b, r->dist[i]);
			graph_buf_put(b, "}", 1);
		}
		graph_buf_puts(b, r->nnodes ? "\n]}\n" : "]}\n");
	} else {
		return -EINVAL;
	}
	return 0;
}

int gdb_graph_render(const gdb_graph *g, const gdb_graph_result *r, int fmt,
		     size_t max, char **out, size_t *len)
{
	graph_buf b = {0};
	int rc = 0;

	b.max = max;
	if (fmt == GDB_GRAPH_JSON) {
		rc = render_json(&b, g, r);
	} else if (fmt == GDB_GRAPH_TSV) {
		rc = render_tsv(&b, g, r);
	} else if (fmt >= GDB_GRAPH_CYJS && fmt <= GDB_GRAPH_SIF) {
		uint32_t *v = NULL, n = 0;
		int32_t *d = NULL;
		if (!drawable(r))
			return -EINVAL;
		rc = draw_nodes(g, r, &v, &n, &d);
		if (rc == 0) {
			if (fmt == GDB_GRAPH_CYJS)
				render_cyjs(&b, g, r, v, d, n);
			else if (fmt == GDB_GRAPH_GRAPHML)
				render_graphml(&b, g, r, v, d, n);
			else if (fmt == GDB_GRAPH_DOT)
				render_dot(&b, g, r, v, d, n);
			else
				render_sif(&b, g, r, v, n);
		}
		free(v);
		free(d);
	} else {
		rc = -EINVAL;
	}
	if (rc < 0) {
		free(b.p);
		return rc;
	}
	return finish(&b, out, len);
}

/* ------------------------------------------------------------ info.json */

int gdb_graph_render_info(const gdb_graph *g, uint32_t node, int net,
			  size_t max, char **out, size_t *len)
{
	graph_buf b = {0};
	int first_net = 1;

	b.max = max;
	if (node >= g->G)
		return -ENOENT;
	graph_buf_puts(&b, "{\"name\": ");
	graph_buf_json_str(&b, gdb_graph_node_name(g, node));
	graph_buf_printf(&b, ", \"kind\": \"%s\", \"aliases\": [",
			 gdb_graph_kind_name(gdb_graph_node_kind(g, node)));
	{
		int first = 1;
		for (uint32_t i = 0; i < g->nnets; i++) {
			const char *a;
			size_t n;
			if ((net >= 0 && (uint32_t)net != i) ||
			    gdb_graph_node_aliases(g, i, node, &a, &n) < 0)
				continue;
			for (size_t at = 0; at < n;) {
				const char *rec = a + at;
				const char *tab = strchr(rec, '\t');
				size_t rl = strlen(rec);
				graph_buf_puts(&b, first ? "\n  {\"source\": "
							 : ",\n  {\"source\": ");
				first = 0;
				if (tab) {
					char ns[256];
					size_t k = (size_t)(tab - rec);
					if (k > 255)
						k = 255;
					memcpy(ns, rec, k);
					ns[k] = 0;
					graph_buf_json_str(&b, ns);
					graph_buf_puts(&b, ", \"alias\": ");
					graph_buf_json_str(&b, tab + 1);
				} else {
					graph_buf_puts(&b, "\"\", \"alias\": ");
					graph_buf_json_str(&b, rec);
				}
				graph_buf_puts(&b, ", \"network\": ");
				graph_buf_json_str(&b, g->nets[i].name);
				graph_buf_puts(&b, "}");
				at += rl + 1;
			}
		}
	}
	graph_buf_puts(&b, "],\n\"networks\": {");
	for (uint32_t i = 0; i < g->nnets; i++) {
		const graph_net *N = &g->nets[i];
		uint32_t l = g->g2l[i][node];
		uint64_t outd = 0, ind = 0, und = 0;
		uint32_t *bytype;
		if ((net >= 0 && (uint32_t)net != i) || l == GRAPH_NONE)
			continue;
		bytype = calloc(N->ntypes ? N->ntypes : 1, 4);
		if (!bytype) {
			free(b.p);
			return -ENOMEM;
		}
		for (uint64_t k = N->out_off[l]; k < N->out_off[l + 1]; k++) {
			uint32_t e = N->out_eid[k];
			if (e & GRAPH_UNDIR_BIT)
				und++;
			else
				outd++;
			bytype[N->etype[e & GRAPH_EID_MASK]]++;
		}
		for (uint64_t k = N->in_off[l]; k < N->in_off[l + 1]; k++) {
			ind++;
			if (N->in_nbr[k] != l)
				bytype[N->etype[N->in_eid[k]]]++;
		}
		graph_buf_puts(&b, first_net ? "\n  " : ",\n  ");
		first_net = 0;
		graph_buf_json_str(&b, N->name);
		graph_buf_printf(&b, ": {\"degree\": %llu, \"out\": %llu, "
				 "\"in\": %llu, \"undirected\": %llu, "
				 "\"pathways\": %llu, \"by_type\": {",
				 (unsigned long long)(outd + ind + und),
				 (unsigned long long)outd,
				 (unsigned long long)ind,
				 (unsigned long long)und,
				 (unsigned long long)(N->node_pw_off[l + 1] -
						      N->node_pw_off[l]));
		{
			int f = 1;
			for (uint32_t t = 0; t < N->ntypes; t++) {
				if (!bytype[t])
					continue;
				graph_buf_puts(&b, f ? "" : ", ");
				f = 0;
				graph_buf_json_str(&b, N->type_str + N->type_off[t]);
				graph_buf_printf(&b, ": %u", bytype[t]);
			}
		}
		graph_buf_puts(&b, "}}");
		free(bytype);
	}
	graph_buf_puts(&b, first_net ? "}}\n" : "\n}}\n");
	return finish(&b, out, len);
}

int gdb_graph_render_networks(const gdb_graph *g, size_t max, char **out,
			      size_t *len)
{
	graph_buf b = {0};

	b.max = max;
	graph_buf_printf(&b, "{\"nodes\": %u, \"pathways\": %u, "
			 "\"networks\": [", g->G, g->P);
	for (uint32_t i = 0; i < g->nnets; i++) {
		const graph_net *N = &g->nets[i];
		graph_buf_puts(&b, i ? ",\n  {\"name\": " : "\n  {\"name\": ");
		graph_buf_json_str(&b, N->name);
		graph_buf_printf(&b, ", \"nodes\": %u, \"edges\": %llu, "
				 "\"pathways\": %u, \"types\": [",
				 N->n, (unsigned long long)N->m, N->npw);
		for (uint32_t t = 0; t < N->ntypes; t++) {
			if (t)
				graph_buf_puts(&b, ", ");
			graph_buf_json_str(&b, N->type_str + N->type_off[t]);
		}
		graph_buf_puts(&b, "], \"channels\": [");
		for (uint32_t c = 0; c < N->nchan; c++) {
			if (c)
				graph_buf_puts(&b, ", ");
			graph_buf_json_str(&b, N->chan_names[c]);
		}
		graph_buf_puts(&b, "]}");
	}
	graph_buf_puts(&b, g->nnets ? "\n]}\n" : "]}\n");
	return finish(&b, out, len);
}
