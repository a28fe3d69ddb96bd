/*
 * graph/render.c - answer files from query results: the text helpers
 * every format uses, the table of edge attributes and its writers, the
 * table of query kinds, and gdb_graph_render, which sends a result to its
 * format's writer (render_query.c: each query's JSON and TSV;
 * render_graph.c: Cytoscape.js JSON, GraphML, DOT, SIF). Layouts are
 * documented in docs/GRAPH.md; renderers only format, they never reorder,
 * so a file lists what the query returned in its order.
 *
 * Every output states its limits: JSON has "limit", "total*" and
 * "truncated"; GraphML and DOT carry them as graph attributes; TSV keeps
 * a plain header row (pandas) and the limit is the one its file name gave
 * (or the documented default), with truncation visible in the JSON twin.
 *
 * Per-row text is put piece by piece, without printf: a row is a few
 * strings and numbers, and printf's per-call cost was most of the time of
 * rendering a large answer.
 */
#define _GNU_SOURCE
#include "graph/render_int.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bigbuf.h"

/* ---------------------------------------------------------- text */

/* The JSON escape of s, without quotes. */
void graph_buf_json_body(graph_buf *b, const char *s)
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
	if (!s[n]) { /* nothing to escape (names, types): one piece */
		char *p = gdb_buf_room(b, n + 2);
		if (p) {
			p[0] = '"';
			memcpy(p + 1, s, n);
			p[n + 1] = '"';
		}
		return;
	}
	graph_buf_put(b, "\"", 1);
	graph_buf_json_body(b, s);
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
		default: /* control characters are not XML 1.0 */
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

static const uint64_t pow10_u64[] = {
    1ull,
    10ull,
    100ull,
    1000ull,
    10000ull,
    100000ull,
    1000000ull,
    10000000ull,
    100000000ull,
    1000000000ull,
    10000000000ull,
    100000000000ull,
    1000000000000ull,
    10000000000000ull,
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
	k = 150 - (int)ex; /* v = m * 2^(ex - 127 - 23) */
	if (bits >> 31 || ex == 0 || ex == 255 || k < 23 || k > 37 ||
	    (k == 23 && m != 0x800000u))
		return 0; /* negative, zero, subnormal, not finite, > 1 */
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
		if (D == pow10_u64[P]) { /* rounded up to 10^(X+1) */
			D = pow10_u64[P - 1];
			x++;
			s--;
			if (x > 0)
				return 0;
		}
		T = (unsigned __int128)D << k;
		V = (unsigned __int128)m * pow10_u64[s];
		unit = pow10_u64[s]; /* one ulp of v, scaled */
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
			if (x >= 0) { /* v = 1 */
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
void graph_put_float(graph_buf *b, float v)
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
void graph_buf_dot_str(graph_buf *b, const char *s)
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

void graph_buf_expect(graph_buf *b, size_t more)
{
	size_t want = b->len + more + 1, cap;
	char *p;

	if (b->err || want < GDB_BIGBUF_MIN || want <= b->cap)
		return;
	if (b->max && want > b->max + 1)
		want = b->max + 1; /* past max the writer fails anyway */
	p = gdb_bigbuf_get(want, &cap);
	if (!p)
		return; /* then the buffer grows as it would have */
	if (b->len)
		memcpy(p, b->p, b->len);
	free(b->p);
	b->p = p;
	b->cap = cap;
}

int graph_render_finish(graph_buf *b, char **out, size_t *len)
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

/* ---------------------------------------------------- edge attributes */

const graph_eattr_def graph_edge_attrs[EA_COUNT] = {
    [EA_SOURCE] = {"source", V_NODE, NULL, 0},
    [EA_TARGET] = {"target", V_NODE, NULL, 0},
    [EA_TYPE] = {"type", V_STR, "string", EA_GRAPHML | EA_DOT},
    [EA_DIRECTED] = {"directed", V_BOOL, "boolean", EA_GRAPHML},
    [EA_CONFIDENCE] = {"confidence", V_FLOAT, "double", EA_GRAPHML | EA_DOT},
    [EA_NETWORK] = {"network", V_STR, "string", EA_GRAPHML | EA_DOT},
    [EA_EVIDENCE] = {"evidence", V_STR, "string",
		     EA_GRAPHML | EA_DOT | EA_OPTIONAL},
};

static const char *eattr_str(const gdb_graph *g, const gdb_graph_edge *E, int a)
{
	switch (a) {
	case EA_SOURCE:
		return gdb_graph_node_name(g, E->src);
	case EA_TARGET:
		return gdb_graph_node_name(g, E->dst);
	case EA_TYPE:
		return E->type;
	case EA_NETWORK:
		return E->network;
	default:
		return E->evidence;
	}
}

int graph_eattr_empty(const gdb_graph_edge *E, int a)
{
	return (graph_edge_attrs[a].flags & EA_OPTIONAL) && !*E->evidence;
}

void graph_eattr_put(graph_buf *b, const gdb_graph *g, const gdb_graph_edge *E,
		     int a, void (*str)(graph_buf *, const char *))
{
	switch (graph_edge_attrs[a].type) {
	case V_BOOL:
		graph_buf_puts(b, E->directed ? "true" : "false");
		break;
	case V_FLOAT:
		graph_put_float(b, E->conf);
		break;
	default:
		str(b, eattr_str(g, E, a));
	}
}

/* Does s[0 .. n) hold nothing JSON escapes? */
static inline int json_plain(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == '"' || s[i] == '\\')
			return 0;
	return 1;
}

/*
 * put_float's text of v, through the cache fc (NULL: none, the text goes
 * to tmp). Confidences repeat (STRING's are a thousand values), and each
 * text costs a few 128-bit divisions.
 * @return its length (at most 16), 0 if float_text does not take v
 */
static size_t float_cached(graph_ftext *fc, float v, char *tmp,
			   const char **text)
{
	uint32_t bits;
	struct graph_ftext_slot *s;

	*text = tmp;
	if (!fc)
		return float_text(v, tmp);
	memcpy(&bits, &v, 4);
	s = &fc->slot[(bits ^ bits >> 11 ^ bits >> 22) % GRAPH_FTEXT_SLOTS];
	if (!s->len || s->bits != bits) {
		size_t n = float_text(v, s->text);
		if (!n)
			return 0;
		s->bits = bits;
		s->len = (uint8_t)n;
	}
	*text = s->text;
	return s->len;
}

graph_ftext *graph_ftext_new(uint64_t n)
{
	return n >= 64 ? calloc(1, sizeof(graph_ftext)) : NULL;
}

static inline char *put_lit(char *p, const char *lit, size_t n)
{
	memcpy(p, lit, n);
	return p + n;
}

#define PUT_LIT(p, lit) put_lit(p, lit, sizeof(lit) - 1)

static inline char *put_quoted(char *p, const char *s, size_t n)
{
	*p++ = '"';
	memcpy(p, s, n);
	p[n] = '"';
	return p + n + 1;
}

/*
 * The members graph_json_edge_members writes, in one piece when no string
 * needs an escape and the confidence has its text (lengths from the
 * string tables, no strlen, no per-attribute dispatch).
 * @return 0 if written, -1 if the caller must take the general path
 */
static int json_edge_fast(graph_buf *b, const gdb_graph *g, gdb_graph_eref e,
			  graph_ftext *fc)
{
	const graph_net *N = &g->nets[e.net];
	uint32_t i = e.eid, src = N->l2g[N->src[i]], dst = N->l2g[N->dst[i]];
	uint32_t t = N->etype[i], ev = N->evid[i];
	const char *type = N->type_str + N->type_off[t], *evid = "", *ct;
	char tmp[16];
	size_t lsrc = g->gname_len[src], ldst = g->gname_len[dst];
	size_t ltype = N->type_off[t + 1] - N->type_off[t] - 1, levid = 0;
	size_t lnet = strlen(N->name),
	       lc = float_cached(fc, N->conf[i], tmp, &ct);
	int dir = N->eflags[i] & GRAPH_FLAG_DIRECTED;
	char *p;

	if (ev != GRAPH_NONE) {
		evid = N->evid_str + N->evid_off[ev];
		levid = N->evid_off[ev + 1] - N->evid_off[ev] - 1;
	}
	if (!lc || !json_plain(g->gname[src], lsrc) ||
	    !json_plain(g->gname[dst], ldst) || !json_plain(type, ltype) ||
	    !json_plain(N->name, lnet) || !json_plain(evid, levid))
		return -1;
	p = gdb_buf_room(b, 108 + lsrc + ldst + ltype + lnet + levid + lc);
	if (!p)
		return 0; /* b->err says why */
	p = PUT_LIT(p, "\"source\": ");
	p = put_quoted(p, g->gname[src], lsrc);
	p = PUT_LIT(p, ", \"target\": ");
	p = put_quoted(p, g->gname[dst], ldst);
	p = PUT_LIT(p, ", \"type\": ");
	p = put_quoted(p, type, ltype);
	p = dir ? PUT_LIT(p, ", \"directed\": true, \"confidence\": ")
		: PUT_LIT(p, ", \"directed\": false, \"confidence\": ");
	p = put_lit(p, ct, lc);
	p = PUT_LIT(p, ", \"network\": ");
	p = put_quoted(p, N->name, lnet);
	p = PUT_LIT(p, ", \"evidence\": ");
	p = put_quoted(p, evid, levid);
	b->len = (size_t)(p - b->p); /* the room asked was an upper bound */
	for (uint32_t c = 0; c < N->nchan; c++) {
		graph_buf_puts(b, ", ");
		graph_buf_json_str(b, N->chan_names[c]);
		graph_buf_puts(b, ": ");
		graph_put_u64(b, N->chan[(uint64_t)i * N->nchan + c]);
	}
	return 0;
}

void graph_json_edge_members(graph_buf *b, const gdb_graph *g, gdb_graph_eref e,
			     graph_ftext *fc)
{
	if (json_edge_fast(b, g, e, fc) < 0)
		graph_json_edge_general(b, g, e);
}

void graph_json_edge_general(graph_buf *b, const gdb_graph *g, gdb_graph_eref e)
{
	gdb_graph_edge E;

	gdb_graph_edge_get(g, e, &E);
	for (int a = 0; a < EA_COUNT; a++) {
		graph_buf_puts(b, a ? ", \"" : "\"");
		graph_buf_puts(b, graph_edge_attrs[a].name);
		graph_buf_put(b, "\": ", 3);
		graph_eattr_put(b, g, &E, a, graph_buf_json_str);
	}
	for (uint32_t c = 0; c < E.nchannels; c++) {
		graph_buf_puts(b, ", ");
		graph_buf_json_str(b, E.chan_names[c]);
		graph_buf_puts(b, ": ");
		graph_put_u64(b, E.chan[c]);
	}
}

void graph_tsv_edge_fields(graph_buf *b, const gdb_graph *g,
			   const gdb_graph_edge *E, const uint8_t *as,
			   unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		graph_buf_put(b, "\t", 1);
		graph_eattr_put(b, g, E, as[i], graph_buf_tsv_str);
	}
}

/* -------------------------------------------------------- shared pieces */

static const char *net_label(const gdb_graph *g, int net)
{
	return net >= 0 ? gdb_graph_network_name(g, (uint32_t)net) : "all";
}

int graph_covers(const gdb_graph *g, const gdb_graph_result *r, uint32_t net)
{
	return (r->network < 0 || (uint32_t)r->network == net) &&
	       (r->group < 0 || g->nets[net].group == (uint32_t)r->group);
}

void graph_put_covered(graph_buf *b, const gdb_graph *g,
		       const gdb_graph_result *r, const char *sep,
		       void (*str)(graph_buf *, const char *))
{
	int first = 1;

	for (uint32_t i = 0; i < g->nnets; i++) {
		if (!graph_covers(g, r, i))
			continue;
		if (!first)
			graph_buf_puts(b, sep);
		first = 0;
		str(b, g->nets[i].name);
	}
}

void graph_json_filter(graph_buf *b, const gdb_graph *g,
		       const gdb_graph_result *r)
{
	const gdb_graph_filter *f = r->filter;

	graph_buf_puts(b, "\"network\": ");
	graph_buf_json_str(b, net_label(g, r->network));
	graph_buf_puts(b, ", \"networks\": [");
	graph_put_covered(b, g, r, ", ", graph_buf_json_str);
	graph_buf_puts(b, "]");
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

void graph_json_limit(graph_buf *b, const char *key, uint64_t v)
{
	if (v == UINT64_MAX)
		graph_buf_printf(b, "\"%s\": null", key);
	else
		graph_buf_printf(b, "\"%s\": %llu", key, (unsigned long long)v);
}

void graph_json_subgraph_counts(graph_buf *b, const gdb_graph_result *r)
{
	graph_json_limit(b, "limit", r->limit);
	graph_buf_puts(b, ", ");
	graph_json_limit(b, "edge_limit", r->edge_limit);
	graph_buf_printf(b,
			 ", \"total_nodes\": %llu, \"total_edges\": %llu, "
			 "\"truncated\": %s",
			 (unsigned long long)r->total_nodes,
			 (unsigned long long)r->total_edges,
			 r->truncated ? "true" : "false");
}

void graph_json_kind_dist(graph_buf *b, const gdb_graph *g, uint32_t node,
			  int has_dist, int32_t d)
{
	graph_buf_puts(b, ", \"kind\": \"");
	graph_buf_puts(b, gdb_graph_kind_name(gdb_graph_node_kind(g, node)));
	graph_buf_put(b, "\"", 1);
	if (has_dist) {
		graph_buf_puts(b, ", \"distance\": ");
		graph_put_i64(b, d);
	}
}

const char *graph_result_name(const gdb_graph *g, const gdb_graph_result *r,
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

/* --------------------------------------------------------- query kinds */

static const struct {
	const char *name;
	enum graph_qkind kind;
	int drawable; /* nodes and edges: the graph formats take it */
} qkinds[] = {
    {"neighbors", Q_NEIGHBORS, 1},
    {"khop", Q_KHOP, 1},
    {"upstream", Q_UPSTREAM, 1},
    {"downstream", Q_DOWNSTREAM, 1},
    {"path", Q_PATH, 1},
    {"paths", Q_PATHS, 1},
    {"k-shortest", Q_KSHORTEST, 1},
    {"pathway", Q_PATHWAY, 1},
    {"members", Q_MEMBERS, 0},
    {"crosstalk", Q_CROSSTALK, 1},
    {"enrich", Q_ENRICH, 0},
    {"node-pathways", Q_NODE_PATHWAYS, 0},
    {"components", Q_COMPONENTS, 0},
    {"degree", Q_DEGREE, 0},
};

enum graph_qkind graph_qkind_of(const gdb_graph_result *r)
{
	for (size_t i = 0; i < sizeof(qkinds) / sizeof(qkinds[0]); i++)
		if (!strcmp(r->query, qkinds[i].name))
			return qkinds[i].kind;
	return Q_UNKNOWN;
}

static int drawable(enum graph_qkind k)
{
	for (size_t i = 0; i < sizeof(qkinds) / sizeof(qkinds[0]); i++)
		if (qkinds[i].kind == k)
			return qkinds[i].drawable;
	return 0;
}

/* ------------------------------------------------------------- drawing */

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
		graph_edge_ahead(g, r->edges, i, r->nedges);
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
		while (j > first_extra && gdb_graph_node_rank(g, v[j - 1]) >
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

static int render_drawing(graph_buf *b, const gdb_graph *g,
			  const gdb_graph_result *r, int fmt)
{
	static void (*const writers[])(graph_buf *, const gdb_graph *,
				       const gdb_graph_result *,
				       const graph_drawing *) = {
	    [GDB_GRAPH_CYJS] = graph_render_cyjs,
	    [GDB_GRAPH_GRAPHML] = graph_render_graphml,
	    [GDB_GRAPH_DOT] = graph_render_dot,
	    [GDB_GRAPH_SIF] = graph_render_sif,
	};
	uint32_t *v = NULL, n = 0;
	int32_t *d = NULL;
	int rc = draw_nodes(g, r, &v, &n, &d);

	if (rc == 0)
		writers[fmt](b, g, r, &(graph_drawing){v, d, n});
	free(v);
	free(d);
	return rc;
}

/*
 * A query's TSV with a last column "networks": the networks the answer
 * covers, on every row (pandas and cut read it as any column). The
 * writer's lines are copied with the column put before each newline.
 */
static int render_tsv_covered(graph_buf *b, const gdb_graph *g,
			      const gdb_graph_result *r, enum graph_qkind k)
{
	graph_buf t = {0}, cov = {0};
	int rc;

	t.max = b->max;
	rc = graph_render_tsv(&t, g, r, k);
	graph_buf_put(&cov, "\t", 1);
	graph_put_covered(&cov, g, r, ",", graph_buf_tsv_str);
	if (rc == 0 && !(rc = t.err) && !(rc = cov.err)) {
		const char *p = t.p, *end = t.p + t.len;
		int header = 1;
		while (p < end && !b->err) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
			graph_buf_put(b, p, n);
			if (header)
				graph_buf_puts(b, "\tnetworks");
			else
				graph_buf_put(b, cov.p, cov.len);
			graph_buf_put(b, "\n", 1);
			header = 0;
			p += n + 1;
		}
	}
	gdb_buf_free(&t);
	gdb_buf_free(&cov);
	return rc;
}

int gdb_graph_render(const gdb_graph *g, const gdb_graph_result *r, int fmt,
		     size_t max, char **out, size_t *len)
{
	graph_buf b = {0};
	enum graph_qkind k = graph_qkind_of(r);
	int rc;

	b.max = max;
	if (fmt == GDB_GRAPH_JSON)
		rc = graph_render_json(&b, g, r, k);
	else if (fmt == GDB_GRAPH_TSV)
		rc = render_tsv_covered(&b, g, r, k);
	else if (fmt >= GDB_GRAPH_CYJS && fmt <= GDB_GRAPH_SIF)
		rc = drawable(k) ? render_drawing(&b, g, r, fmt) : -EINVAL;
	else
		rc = -EINVAL;
	if (rc < 0) {
		free(b.p);
		return rc;
	}
	return graph_render_finish(&b, out, len);
}
