/*
 * fs/ns/graph_ns.c - the /graph tree: a computed namespace (fs/ns/ns.h) whose
 * files are graph query answers, rendered whole at lookup so their sizes
 * are exact. Path grammar and file layouts: docs/GRAPH.md ("Paths").
 *
 * What it is: path parsing (names, "@key=value,..." parameters, "@net"
 * prefixes, %XX escapes) and dispatch to graph/graph.h. What it is not:
 * a query engine (graph/) or a FUSE layer (fs/daemon/ caches the bytes
 * with the inode). Its one writable directory, enrich/lists, is an inbox
 * (fs/ns/ns.h) the daemon keeps; enrich/@<list>.tsv reads a list from it.
 *
 * Threading: the reader is immutable and every call works on its own
 * buffers, so resolve and list run concurrently.
 */
#define _GNU_SOURCE
#include "fs/ns/ns.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"

/* The constructor the registry (fs/ns/ns_registry.c) names. */
const gdb_ns_provider *gdb_graph_ns_create(const gdb_store *s, gdb_cache *c,
					   gdb_inbox *inbox, void **ctx);

#define MAX_COMPONENTS 8
#define NAME_MAX_BYTES 4096

typedef struct gctx {
	const gdb_store *store;
	gdb_graph *g;
	gdb_inbox *inbox; /* enrich/lists */
} gctx;

static const struct {
	const char *ext;
	int fmt;
} formats[] = {
    {"json", GDB_GRAPH_JSON}, {"tsv", GDB_GRAPH_TSV},
    {"cyjs", GDB_GRAPH_CYJS}, {"graphml", GDB_GRAPH_GRAPHML},
    {"dot", GDB_GRAPH_DOT},   {"sif", GDB_GRAPH_SIF},
};

/*
 * Split "stem@params.ext" (in place). params may be NULL. The extension
 * is after the last '.', so parameter values may hold dots (0.7).
 * @return 0, or -1 if the extension is unknown.
 */
static int split_file(char *name, char **stem, char **params, int *fmt)
{
	char *dot = strrchr(name, '.'), *at;

	if (!dot || dot == name)
		return -1;
	*fmt = -1;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!strcmp(dot + 1, formats[i].ext))
			*fmt = formats[i].fmt;
	if (*fmt < 0)
		return -1;
	*dot = 0;
	at = strchr(name, '@');
	*params = NULL;
	if (at) {
		*at = 0;
		*params = at + 1;
	}
	*stem = name;
	return 0;
}

/* The filter parameters of every /graph answer (docs/GRAPH.md "Paths"). */
struct graph_params {
	double min_conf, hop_cost;
	const char *type, *net;
	int dir;
	int64_t limit, edge_limit, max_len, k;
};

#define GP(f) offsetof(struct graph_params, f)
#define NOLIMIT "all|none"
#define BIG 9007199254740992.0 /* 2^53: a count no answer reaches */
static const gdb_param GRAPH_PARAMS[] = {
    {"min-conf", GDB_PARAM_REAL, GP(min_conf), 0, 1, 0, NULL},
    {"type", GDB_PARAM_TEXT, GP(type), 0, 0, 0, NULL},
    {"net", GDB_PARAM_TEXT, GP(net), 0, 0, 0, NULL},
    {"network", GDB_PARAM_TEXT, GP(net), 0, 0, 0, NULL},
    {"dir", GDB_PARAM_ENUM, GP(dir), 0, 0, -1, "out|in|both|any"},
    {"limit", GDB_PARAM_INT, GP(limit), 1, BIG, 0, NOLIMIT},
    {"edge-limit", GDB_PARAM_INT, GP(edge_limit), 1, BIG, 0, NOLIMIT},
    {"hop-cost", GDB_PARAM_REAL, GP(hop_cost), 0, 1e6, -1, NULL},
    {"max-len", GDB_PARAM_INT, GP(max_len), 1, 64, 0, NULL},
    {"k", GDB_PARAM_INT, GP(k), 1, 64, 0, NULL},
};
#undef GP

static uint64_t count_of(int64_t v)
{
	return v == INT64_MAX ? UINT64_MAX : (uint64_t)v;
}

/* "@k=v,..." of a /graph file into f (types borrowed from params). */
static int parse_params(const gdb_graph *g, char *params, int net,
			gdb_graph_filter *f, char *err, size_t errlen)
{
	static const int dirs[] = {GDB_GRAPH_OUT, GDB_GRAPH_IN, GDB_GRAPH_BOTH,
				   GDB_GRAPH_BOTH};
	struct graph_params p;
	char *save = NULL;

	gdb_graph_filter_init(f);
	f->net = net;
	GDB_TRY(gdb_params_parse(GRAPH_PARAMS,
				 sizeof(GRAPH_PARAMS) / sizeof(GRAPH_PARAMS[0]),
				 params, &p, err, errlen));
	f->min_conf = p.min_conf;
	f->hop_cost = p.hop_cost;
	f->dir = p.dir < 0 ? 0 : dirs[p.dir];
	f->limit = count_of(p.limit);
	f->edge_limit = count_of(p.edge_limit);
	f->max_len = (unsigned)p.max_len;
	f->k = (unsigned)p.k;
	/* p.type points into params, which is ours to cut */
	for (char *t = p.type ? strtok_r((char *)p.type, "+", &save) : NULL; t;
	     t = strtok_r(NULL, "+", &save)) {
		if (f->ntypes == GDB_GRAPH_MAX_TYPES) {
			gdb_seterr(err, errlen,
				   "parameter 'type': more than %d "
				   "types",
				   GDB_GRAPH_MAX_TYPES);
			return -EINVAL;
		}
		f->types[f->ntypes++] = t;
	}
	if (p.net) {
		int n = gdb_graph_network_find(g, p.net);
		if (n < 0 || (net >= 0 && n != net)) {
			gdb_seterr(err, errlen, "parameter 'net': %s '%s'",
				   n < 0 ? "no network"
					 : "not the network of "
					   "the @ prefix,",
				   p.net);
			return -EINVAL;
		}
		f->net = n;
	}
	return 0;
}

static int emit(const gdb_graph *g, gdb_graph_result *r, int qrc, int fmt,
		char **data, size_t *len, char *err, size_t errlen)
{
	int rc = qrc;

	if (rc == 0) {
		rc = gdb_graph_render(g, r, fmt, GDB_NS_MAX_FILE, data, len);
		if (rc == -EINVAL)
			rc = -ENOENT; /* no such format for this answer */
		else if (rc == -EFBIG)
			gdb_seterr(err, errlen,
				   "graph answer over %zu bytes; "
				   "lower limit= or edge-limit=",
				   GDB_NS_MAX_FILE);
	}
	gdb_graph_result_free(r);
	return rc == GDB_EFORMAT ? -ENOENT : rc;
}

/* A gene directory's file. */
static int gene_file(const gdb_graph *g, uint32_t node, int net, char *name,
		     char **data, size_t *len, char *err, size_t errlen)
{
	gdb_graph_filter f;
	gdb_graph_result r;
	char *stem, *params;
	int fmt, rc;

	if (split_file(name, &stem, &params, &fmt) < 0)
		return -ENOENT;
	if (!strcmp(stem, "info")) {
		if (fmt != GDB_GRAPH_JSON)
			return -ENOENT;
		GDB_TRY(gdb_params_parse(NULL, 0, params, NULL, err, errlen));
		return gdb_graph_render_info(g, node, net, GDB_NS_MAX_FILE,
					     data, len);
	}
	/* the name first (ENOENT), then its parameters (EINVAL) */
	if (!strcmp(stem, "neighbors") ||
	    (!strcmp(stem, "pathways") && fmt <= GDB_GRAPH_TSV)) {
		GDB_TRY(parse_params(g, params, net, &f, err, errlen));
		rc = stem[0] == 'n' ? gdb_graph_neighbors(g, node, &f, &r)
				    : gdb_graph_node_pathways(g, node, &f, &r);
	} else {
		static const struct {
			const char *pre;
			int mode;
		} q[] = {{"khop-", 0},
			 {"upstream-", GDB_GRAPH_IN},
			 {"downstream-", GDB_GRAPH_OUT}};
		const char *ks;
		char *end;
		unsigned long k;
		size_t i;
		for (i = 0; i < 3; i++)
			if (!strncmp(stem, q[i].pre, strlen(q[i].pre)))
				break;
		if (i == 3)
			return -ENOENT;
		ks = stem + strlen(q[i].pre);
		if (*ks < '0' || *ks > '9')
			return -ENOENT;
		k = strtoul(ks, &end, 10);
		if (*end || k > 64 || (ks[0] == '0' && ks[1]))
			return -ENOENT;
		GDB_TRY(parse_params(g, params, net, &f, err, errlen));
		rc = gdb_graph_khop(g, node, (unsigned)k, q[i].mode, &f, &r);
	}
	return emit(g, &r, rc, fmt, data, len, err, errlen);
}

static int lookup(const gdb_graph *g, char *name, int net)
{
	if (gdb_path_decode(name) < 0 || !*name)
		return -ENOENT;
	return gdb_graph_lookup(g, name, net);
}

static int pathway(const gdb_graph *g, char *id, int net)
{
	int p;

	if (gdb_path_decode(id) < 0 || !*id)
		return -ENOENT;
	p = gdb_graph_pathway_find(g, id);
	if (p < 0 || !gdb_graph_pathway_in(g, (uint32_t)p, net))
		return -ENOENT;
	return p;
}

static int is_top_file(const char *c)
{
	return !strncmp(c, "networks.", 9) || !strncmp(c, "components", 10) ||
	       !strncmp(c, "degree", 6);
}

static int top_file(const gdb_graph *g, int net, char *name, char **data,
		    size_t *len, char *err, size_t errlen)
{
	gdb_graph_filter f;
	gdb_graph_result r;
	char *stem, *params;
	int fmt, rc;

	if (split_file(name, &stem, &params, &fmt) < 0 || fmt > GDB_GRAPH_TSV)
		return -ENOENT;
	if (!strcmp(stem, "networks")) {
		if (fmt != GDB_GRAPH_JSON)
			return -ENOENT;
		GDB_TRY(gdb_params_parse(NULL, 0, params, NULL, err, errlen));
		return gdb_graph_render_networks(g, GDB_NS_MAX_FILE, data, len);
	}
	if (strcmp(stem, "components") && strcmp(stem, "degree"))
		return -ENOENT;
	GDB_TRY(parse_params(g, params, net, &f, err, errlen));
	if (!strcmp(stem, "components"))
		rc = gdb_graph_components(g, &f, &r);
	else
		rc = gdb_graph_degree(g, &f, &r);
	return emit(g, &r, rc, fmt, data, len, err, errlen);
}

/* A gene list copied to enrich/lists: <list> itself, else <list>.txt.
 * '#' starts a comment; genes are separated by blanks, commas or lines. */
static int list_file(gdb_inbox *b, const char *list, char **text)
{
	char file[GDB_INBOX_MAX_NAME + 8];
	size_t len;
	int rc;

	if (strlen(list) > GDB_INBOX_MAX_NAME)
		return -ENOENT;
	rc = gdb_inbox_get(b, list, text, &len);
	if (rc == -ENOENT) {
		snprintf(file, sizeof(file), "%s.txt", list);
		rc = gdb_inbox_get(b, file, text, &len);
	}
	if (rc == 0)
		for (char *p = *text; (p = strchr(p, '#'));)
			while (*p && *p != '\n')
				*p++ = ' ';
	return rc;
}

/* enrich/<g1,g2,...>.tsv, or enrich/@<list>.tsv for a list file. */
static int enrich_file(const gctx *ctx, int net, char *name, char **data,
		       size_t *len, unsigned *flags, char *err, size_t errlen)
{
	const gdb_graph *g = ctx->g;
	gdb_graph_filter f;
	gdb_graph_result r;
	char *stem, *params, *save = NULL, *text = NULL;
	const char *sep = ",";
	const char **names = NULL;
	uint32_t n = 0, cap = 0;
	int fmt, rc, is_list = name[0] == '@';

	if (is_list)
		*flags |= GDB_NS_VOLATILE;
	if (split_file(name + is_list, &stem, &params, &fmt) < 0 ||
	    fmt > GDB_GRAPH_TSV || !*stem)
		return -ENOENT;
	GDB_TRY(parse_params(g, params, net, &f, err, errlen));
	if (is_list) {
		if (!ctx->inbox)
			return -ENOENT;
		GDB_TRY(list_file(ctx->inbox, stem, &text));
		gdb_seterr(err, errlen, "enrich/lists/%s: no genes", stem);
		stem = text;
		sep = ", \t\r\n";
	}
	rc = 0;
	for (char *t = strtok_r(stem, sep, &save); t && rc == 0;
	     t = strtok_r(NULL, sep, &save)) {
		if (!is_list && gdb_path_decode(t) < 0) {
			rc = -ENOENT;
		} else if (n == cap) {
			const char **p;
			cap = cap ? cap * 2 : 64;
			p = realloc(names, cap * sizeof(*p));
			if (!p)
				rc = -ENOMEM;
			else
				names = p;
		}
		if (rc == 0)
			names[n++] = t;
	}
	if (rc == 0 && !n)
		rc = is_list ? -EINVAL : -ENOENT;
	if (rc == 0) {
		err[0] = 0;
		rc = gdb_graph_enrich(g, names, n, &f, &r);
		rc = emit(g, &r, rc, fmt, data, len, err, errlen);
	}
	free(names);
	free(text);
	return rc;
}

/*
 * A path below @<network> of a network left out at open: EIO, and a log
 * line naming the network and the damaged section (the rest of /graph is
 * served without it). Any other unknown network: ENOENT.
 */
static int damaged(const gdb_graph *g, const char *net, const char *path)
{
	const char *why;

	if (!gdb_graph_network_damage(g, net, &why))
		return -ENOENT;
	gdb_log(GDB_LOG_ERROR, "graph: /graph/%s: %s", path, why);
	return -EIO;
}

/* /graph[/@net]/path/<from>/<to>.<fmt> and .../<from>/<to>/<kind>.<fmt>:
 * c[0] is "path", n components. */
static int path_file(const gdb_graph *g, char **c, int n, int net, char **data,
		     size_t *len, char *err, size_t errlen)
{
	gdb_graph_filter f;
	gdb_graph_result r;
	char *stem, *params;
	int fmt, rc, from, to;

	if (n == 1)
		return GDB_NS_DIR;
	if ((from = lookup(g, c[1], net)) < 0)
		return -ENOENT;
	if (n == 2)
		return GDB_NS_DIR;
	if (n == 3 && split_file(c[2], &stem, &params, &fmt) == 0) {
		if ((to = lookup(g, stem, net)) < 0)
			return -ENOENT;
		GDB_TRY(parse_params(g, params, net, &f, err, errlen));
		rc = gdb_graph_shortest_path(g, (uint32_t)from, (uint32_t)to,
					     &f, &r);
		return emit(g, &r, rc, fmt, data, len, err, errlen);
	}
	if ((to = lookup(g, c[2], net)) < 0)
		return -ENOENT;
	if (n == 3)
		return GDB_NS_DIR;
	if (n != 4 || split_file(c[3], &stem, &params, &fmt) < 0 ||
	    (strcmp(stem, "shortest") && strcmp(stem, "paths") &&
	     strcmp(stem, "k-shortest")))
		return -ENOENT;
	GDB_TRY(parse_params(g, params, net, &f, err, errlen));
	if (!strcmp(stem, "shortest"))
		rc = gdb_graph_shortest_path(g, (uint32_t)from, (uint32_t)to,
					     &f, &r);
	else if (!strcmp(stem, "paths"))
		rc = gdb_graph_paths(g, (uint32_t)from, (uint32_t)to, &f, &r);
	else { /* k-shortest */
		if (!f.k)
			f.k = 5;
		rc = gdb_graph_paths(g, (uint32_t)from, (uint32_t)to, &f, &r);
	}
	return emit(g, &r, rc, fmt, data, len, err, errlen);
}

static int graph_resolve(void *vctx, const char *path, char **data, size_t *len,
			 unsigned *flags, char *err, size_t errlen)
{
	gctx *ctx = vctx;
	const gdb_graph *g = ctx->g;
	char buf[NAME_MAX_BYTES], *c[MAX_COMPONENTS];
	int n, net = -1, rc;
	gdb_graph_filter f;
	gdb_graph_result r;
	char *stem, *params;
	int fmt;

	if (strlen(path) >= sizeof(buf))
		return -ENOENT;
	strcpy(buf, path);
	n = gdb_path_components(buf, c, MAX_COMPONENTS);
	if (n < 0)
		return -ENOENT;
	if (n && c[0][0] == '@') {
		char *nm = c[0] + 1;
		if (gdb_path_decode(nm) < 0)
			return -ENOENT;
		if ((net = gdb_graph_network_find(g, nm)) < 0)
			return damaged(g, nm, path);
		memmove(c, c + 1, (size_t)(n - 1) * sizeof(*c));
		n--;
	}
	if (n == 0)
		return GDB_NS_DIR;
	/* Below here answers read the mapping: a segment cut while mounted
	 * is EIO (for a query over every network, while any is cut). */
	if ((rc = gdb_graph_check(g, net, err, errlen)) < 0) {
		gdb_log(GDB_LOG_ERROR, "graph: /graph/%s: %s", path, err);
		return -EIO;
	}
	if (!strcmp(c[0], "path"))
		return path_file(g, c, n, net, data, len, err, errlen);
	if (!strcmp(c[0], "pathways")) {
		int p;
		if (n == 1)
			return GDB_NS_DIR;
		if (n == 2 && split_file(c[1], &stem, &params, &fmt) == 0) {
			if ((p = pathway(g, stem, net)) < 0)
				return -ENOENT;
			GDB_TRY(parse_params(g, params, net, &f, err, errlen));
			rc = gdb_graph_pathway_subgraph(g, (uint32_t)p, &f, &r);
			return emit(g, &r, rc, fmt, data, len, err, errlen);
		}
		if ((p = pathway(g, c[1], net)) < 0)
			return -ENOENT;
		if (n == 2)
			return GDB_NS_DIR;
		if (n != 3 || split_file(c[2], &stem, &params, &fmt) < 0 ||
		    strcmp(stem, "members") || fmt > GDB_GRAPH_TSV)
			return -ENOENT;
		GDB_TRY(parse_params(g, params, net, &f, err, errlen));
		if (!f.limit)
			f.limit = UINT64_MAX;
		rc = gdb_graph_pathway_subgraph(g, (uint32_t)p, &f, &r);
		r.query = "members";
		return emit(g, &r, rc, fmt, data, len, err, errlen);
	}
	if (!strcmp(c[0], "crosstalk")) {
		int p1, p2;
		if (n == 1)
			return GDB_NS_DIR;
		if ((p1 = pathway(g, c[1], net)) < 0)
			return -ENOENT;
		if (n == 2)
			return GDB_NS_DIR;
		if (n != 3 || split_file(c[2], &stem, &params, &fmt) < 0 ||
		    (p2 = pathway(g, stem, net)) < 0)
			return -ENOENT;
		GDB_TRY(parse_params(g, params, net, &f, err, errlen));
		rc = gdb_graph_crosstalk(g, (uint32_t)p1, (uint32_t)p2, &f, &r);
		return emit(g, &r, rc, fmt, data, len, err, errlen);
	}
	if (!strcmp(c[0], "enrich")) {
		if (n == 1)
			return GDB_NS_DIR;
		if (n != 2)
			return -ENOENT;
		return enrich_file(ctx, net, c[1], data, len, flags, err,
				   errlen);
	}
	if (n == 1 && is_top_file(c[0]) && strchr(c[0], '.'))
		return top_file(g, net, c[0], data, len, err, errlen);
	{
		int node = lookup(g, c[0], net);
		if (node < 0)
			return -ENOENT;
		if (n == 1)
			return GDB_NS_DIR;
		if (n != 2)
			return -ENOENT;
		return gene_file(g, (uint32_t)node, net, c[1], data, len, err,
				 errlen);
	}
}

/* A name as a path component: '%' and '/' escaped (as contig names). */
static int emit_escaped(int (*emitf)(void *, const char *, int), void *arg,
			const char *name, int is_dir)
{
	char buf[NAME_MAX_BYTES];
	size_t w = 0;

	for (const char *p = name; *p && w + 4 < sizeof(buf); p++) {
		if (*p == '%' || *p == '/') {
			w += (size_t)snprintf(buf + w, sizeof(buf) - w,
					      "%%%02X", (unsigned char)*p);
		} else {
			buf[w++] = *p;
		}
	}
	buf[w] = 0;
	if (!strcmp(buf, ".") || !strcmp(buf, ".."))
		return 0;
	return emitf(arg, buf, is_dir);
}

static int graph_list(void *vctx, const char *path,
		      int (*emitf)(void *arg, const char *name, int is_dir),
		      void *arg)
{
	gctx *ctx = vctx;
	const gdb_graph *g = ctx->g;
	char buf[NAME_MAX_BYTES], *c[MAX_COMPONENTS], *data = NULL;
	char err[256];
	size_t len;
	unsigned flags = 0;
	int n, net = -1, rc;

	rc = graph_resolve(vctx, path, &data, &len, &flags, err, sizeof(err));
	free(data);
	if (rc < 0)
		return rc;
	if (rc != GDB_NS_DIR)
		return -ENOTDIR;
	if (strlen(path) >= sizeof(buf))
		return -ENOENT;
	strcpy(buf, path);
	n = gdb_path_components(buf, c, MAX_COMPONENTS);
	if (n > 0 && c[0][0] == '@') {
		if (gdb_path_decode(c[0] + 1) < 0)
			return -ENOENT; /* resolved above: cannot happen */
		net = gdb_graph_network_find(g, c[0] + 1);
		memmove(c, c + 1, (size_t)(n - 1) * sizeof(*c));
		n--;
	}
	if (n == 0) {
		static const char *const dirs[] = {"path", "pathways",
						   "crosstalk", "enrich"};
		static const char *const files[] = {
		    "networks.json", "components.json", "components.tsv",
		    "degree.json", "degree.tsv"};
		if (net < 0)
			for (uint32_t i = 0;
			     i < gdb_graph_nnetworks(g) + gdb_graph_ndamaged(g);
			     i++) {
				char nm[GDB_NAME_MAX + 2];
				const char *name = gdb_graph_network_name(g, i),
					   *why;
				if (!name) /* damaged: listed, EIO */
					gdb_graph_damaged(
					    g, i - gdb_graph_nnetworks(g),
					    &name, &why);
				snprintf(nm, sizeof(nm), "@%s", name);
				if (emit_escaped(emitf, arg, nm, 1))
					return 0;
			}
		for (size_t i = 0; i < 4; i++)
			if (emitf(arg, dirs[i], 1))
				return 0;
		for (size_t i = 0; i < 5; i++)
			if (emitf(arg, files[i], 0))
				return 0;
		return 0;
	}
	if (!strcmp(c[0], "pathways") && n == 1) {
		for (uint32_t p = 0; p < gdb_graph_npathways(g); p++)
			if (gdb_graph_pathway_in(g, p, net) &&
			    emit_escaped(emitf, arg, gdb_graph_pathway_id(g, p),
					 1))
				return 0;
		return 0;
	}
	if (!strcmp(c[0], "pathways") && n == 2) {
		if (!emitf(arg, "members.tsv", 0))
			emitf(arg, "members.json", 0);
		return 0;
	}
	if (!strcmp(c[0], "enrich") && n == 1 && net < 0) {
		emitf(arg, "lists", 1); /* the inbox; the rest is lookup-only */
		return 0;
	}
	if (!strcmp(c[0], "path") || !strcmp(c[0], "crosstalk") ||
	    !strcmp(c[0], "enrich"))
		return 0; /* lookup-only */
	if (n == 1) {
		static const char *const files[] = {
		    "info.json",	 "neighbors.json", "neighbors.tsv",
		    "khop-1.json",	 "khop-2.json",	   "upstream-1.json",
		    "downstream-1.json", "pathways.tsv"};
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
			if (emitf(arg, files[i], 0))
				return 0;
	}
	return 0;
}

static void graph_destroy(void *vctx)
{
	gctx *ctx = vctx;

	if (!ctx)
		return;
	gdb_graph_close(ctx->g);
	free(ctx);
}

static const gdb_ns_provider graph_provider = {
    .name = "graph",
    .inbox = "enrich/lists",
    .resolve = graph_resolve,
    .list = graph_list,
    .destroy = graph_destroy,
};

const gdb_ns_provider *gdb_graph_ns_create(const gdb_store *s, gdb_cache *c,
					   gdb_inbox *inbox, void **ctx)
{
	gctx *x;
	char err[512];
	int rc;

	(void)c;
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->store = s;
	x->inbox = inbox;
	rc = gdb_graph_open(s, &x->g, err, sizeof(err));
	if (rc < 0) {
		gdb_log(GDB_LOG_ERROR, "graph: %s; /graph is not mounted", err);
		free(x);
		return NULL;
	}
	for (uint32_t i = 0; i < gdb_graph_ndamaged(x->g); i++) {
		const char *name, *why;
		rc = gdb_graph_damaged(x->g, i, &name, &why);
		gdb_log(GDB_LOG_ERROR,
			"graph: %s (%s); /graph/@%s gives EIO, "
			"the other networks are served without it",
			why, gdb_strerror(rc), name);
	}
	if (!gdb_graph_nnetworks(x->g) && !gdb_graph_ndamaged(x->g)) {
		gdb_graph_close(x->g);
		free(x);
		return NULL;
	}
	*ctx = x;
	return &graph_provider;
}
