/*
 * tests/unit/test_graph.c - the graph module in process: builder ->
 * store -> reader -> queries -> renderers, and the /graph provider
 * (fs/ns/graph_ns.c) without a mount.
 *
 *   test_graph                      self-test on a small graph; exit 0/1
 *   test_graph query STORE          paths on stdin, one a line; for each
 *                                   prints "<rc> <len>\n" then len bytes
 *                                   (rc: 0 file, 1 dir, <0 errno)
 *   test_graph list STORE PATH      names in a directory, one a line
 *   test_graph bench STORE N PATH.. each path resolved N times; prints
 *                                   "<path>\t<median us>\t<bytes>\t<rc>
 *                                   \t<median, least CPU us of the thread>"
 *   test_graph open STORE           time to open the graphs (us)
 *
 * pytest (tests/test_graph_*.py) uses the query mode to check answers
 * against networkx without a FUSE mount; bench/graph/run.py uses bench.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define UNIT_SEED 0x6772617068ull
#include "tests/unit/unit.h"

#include "common/bigbuf.h"
#include "fs/ns/ns.h"
#include "graph/graph.h"
#include "graph/graph_int.h"  /* graph_builder_layout: old stores */
#include "graph/render_int.h" /* the JSON edge writers */
#include "store/store.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* CPU time of this thread: on a loaded machine, what a query costs
 * without the time it waits for a CPU. */
static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int open_provider(const char *path, gdb_store **s,
			 const gdb_ns_provider **p, void **ctx)
{
	char err[512];

	if (gdb_store_open(path, 0, s, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	*p = gdb_graph_ns_create(*s, NULL, NULL, ctx);
	if (!*p) {
		fprintf(stderr, "%s: no graph networks\n", path);
		gdb_store_close(*s);
		return -1;
	}
	return 0;
}

static int cmd_query(const char *store)
{
	gdb_store *s;
	const gdb_ns_provider *p;
	void *ctx;
	char line[8192];

	if (open_provider(store, &s, &p, &ctx) < 0)
		return 2;
	while (fgets(line, sizeof(line), stdin)) {
		char *data = NULL, err[512] = "";
		size_t len = 0;
		unsigned flags = 0;
		int rc;
		line[strcspn(line, "\n")] = 0;
		rc = p->resolve(ctx, line, &data, &len, &flags, err,
				sizeof(err));
		if (rc != GDB_NS_FILE)
			len = 0;
		printf("%d %zu\n", rc, len);
		if (len)
			fwrite(data, 1, len, stdout);
		fflush(stdout);
		free(data);
	}
	p->destroy(ctx);
	gdb_store_close(s);
	return 0;
}

static int print_name(void *arg, const char *name, int is_dir)
{
	(void)arg;
	printf("%s%s\n", name, is_dir ? "/" : "");
	return 0;
}

static int cmd_list(const char *store, const char *path)
{
	gdb_store *s;
	const gdb_ns_provider *p;
	void *ctx;
	int rc;

	if (open_provider(store, &s, &p, &ctx) < 0)
		return 2;
	rc = p->list(ctx, path, print_name, NULL);
	p->destroy(ctx);
	gdb_store_close(s);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(-rc));
		return 1;
	}
	return 0;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmd_bench(const char *store, int n, char **paths, int np)
{
	gdb_store *s;
	const gdb_ns_provider *p;
	void *ctx;
	double *t = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
	double *c = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));

	if (!t || !c || open_provider(store, &s, &p, &ctx) < 0)
		return 2;
	for (int k = 0; k < np; k++) {
		size_t len = 0;
		int rc = 0;
		for (int i = 0; i < n; i++) {
			char *data = NULL, err[256];
			unsigned flags = 0;
			double t0 = now_us(), c0 = cpu_us();
			rc = p->resolve(ctx, paths[k], &data, &len, &flags, err,
					sizeof(err));
			t[i] = now_us() - t0;
			c[i] = cpu_us() - c0;
			gdb_bigbuf_put(data); /* as the daemon's cache */
		}
		qsort(t, (size_t)n, sizeof(double), dcmp);
		qsort(c, (size_t)n, sizeof(double), dcmp);
		printf("%s\t%.1f\t%zu\t%d\t%.1f\t%.1f\n", paths[k], t[n / 2],
		       len, rc, c[n / 2], c[0]);
	}
	fflush(stdout);
	free(t);
	free(c);
	p->destroy(ctx);
	gdb_store_close(s);
	return 0;
}

static int cmd_open(const char *store)
{
	gdb_store *s;
	gdb_graph *g;
	char err[512];
	double t0 = now_us();

	if (gdb_store_open(store, 0, &s, err, sizeof(err)) < 0 ||
	    gdb_graph_open(s, &g, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	printf("%.0f\n", now_us() - t0);
	gdb_graph_close(g);
	gdb_store_close(s);
	return 0;
}

/* ------------------------------------------------------------ self-test */

/*
 * The test graph (network "t"):
 *   A -> B activation 0.9      B -> C inhibition 0.8
 *   A -- C binding 0.5 (undirected)     C -> D activation 1
 *   A -> D activation 0.1      E isolated
 *   duplicate A -> B activation 0.9 (dropped), B -- A binding both ways
 *   pathways P1 = {A, B, C}, P2 = {C, D}
 * and network "u": b -> e expression 0.7 (the same nodes as B and E:
 * both networks are built with case-insensitive names, so they join so).
 */
static int build(const char *dir)
{
	gdb_graph_builder *b;
	gdb_txn *t;
	char err[512];
	uint32_t A, B, C, D, E, p1, p2, act, inh, bind;
	gdb_provenance prov = {0};
	uint64_t m = 0;

	CHECK(gdb_store_init(dir, err, sizeof(err)) == 0, "%s", err);
	for (int net = 0; net < 2; net++) {
		CHECK(gdb_graph_builder_new(&b) == 0, "new");
		CHECK(gdb_graph_builder_names(b, 1) == 0, "names");
		if (net == 0) {
			CHECK(gdb_graph_node_add(b, "A", GDB_GRAPH_GENE, &A) ==
				  1,
			      "A");
			CHECK(gdb_graph_node_add(b, "B", GDB_GRAPH_GENE, &B) ==
				  1,
			      "B");
			CHECK(gdb_graph_node_add(b, "C", GDB_GRAPH_GENE, &C) ==
				  1,
			      "C");
			CHECK(gdb_graph_node_add(b, "D", GDB_GRAPH_PROTEIN,
						 &D) == 1,
			      "D");
			CHECK(gdb_graph_node_add(b, "E", GDB_GRAPH_GENE, &E) ==
				  1,
			      "E");
			CHECK(gdb_graph_node_add(b, "a", GDB_GRAPH_GENE, &A) ==
				      0 &&
				  A == 0,
			      "case-insensitive find");
			CHECK(gdb_graph_node_alias_add(b, A, "entrez",
						       "7157") == 0,
			      "alias");
			CHECK(gdb_graph_node_rename(b, D, "old", "DD") == 0,
			      "rename");
			CHECK(gdb_graph_node_rename(b, D, "old", "A") ==
				  -EEXIST,
			      "rename to a taken name");
			act = (uint32_t)gdb_graph_type_add(b, "activation");
			inh = (uint32_t)gdb_graph_type_add(b, "inhibition");
			bind = (uint32_t)gdb_graph_type_add(b, "binding");
			CHECK(gdb_graph_edge_add(b, A, B, act, 1, 0.9, "pmid:1",
						 NULL) == 0,
			      "e");
			CHECK(gdb_graph_edge_add(b, A, B, act, 1, 0.9, "pmid:1",
						 NULL) == 0,
			      "dup");
			CHECK(gdb_graph_edge_add(b, B, C, inh, 1, 0.8, NULL,
						 NULL) == 0,
			      "e");
			CHECK(gdb_graph_edge_add(b, C, A, bind, 0, 0.5, NULL,
						 NULL) == 0,
			      "e");
			CHECK(gdb_graph_edge_add(b, A, C, bind, 0, 0.5, NULL,
						 NULL) == 0,
			      "undirected dup");
			CHECK(gdb_graph_edge_add(b, C, D, act, 1, 1.0, NULL,
						 NULL) == 0,
			      "e");
			CHECK(gdb_graph_edge_add(b, A, D, act, 1, 0.1, NULL,
						 NULL) == 0,
			      "e");
			CHECK(gdb_graph_edge_add(b, A, D, act, 1, 1.5, NULL,
						 NULL) == -EINVAL,
			      "conf > 1");
			CHECK(gdb_graph_pathway_add(b, "P1", "first", &p1) == 1,
			      "p1");
			CHECK(gdb_graph_pathway_add(b, "P2", NULL, &p2) == 1,
			      "p2");
			CHECK(gdb_graph_pathway_member_add(b, p1, A) == 0 &&
				  gdb_graph_pathway_member_add(b, p1, B) == 0 &&
				  gdb_graph_pathway_member_add(b, p1, C) == 0 &&
				  gdb_graph_pathway_member_add(b, p1, C) == 0 &&
				  gdb_graph_pathway_member_add(b, p2, C) == 0 &&
				  gdb_graph_pathway_member_add(b, p2, D) == 0,
			      "members");
		} else {
			uint32_t x, y, ex;
			CHECK(gdb_graph_node_add(b, "b", GDB_GRAPH_GENE, &x) ==
				  1,
			      "b");
			CHECK(gdb_graph_node_add(b, "e", GDB_GRAPH_GENE, &y) ==
				  1,
			      "e");
			ex = (uint32_t)gdb_graph_type_add(b, "expression");
			CHECK(gdb_graph_edge_add(b, x, y, ex, 1, 0.7, NULL,
						 NULL) == 0,
			      "e");
		}
		CHECK(gdb_txn_begin(dir, &t, err, sizeof(err)) == 0, "%s", err);
		CHECK(gdb_txn_object_begin(t, GDB_OBJECT_SECTIONS,
					   net ? "u" : "t", err,
					   sizeof(err)) == 0,
		      "%s", err);
		CHECK(gdb_graph_builder_write(b, t, &m, err, sizeof(err)) == 0,
		      "%s", err);
		if (net == 0)
			CHECK(m == 5, "dedup: %llu edges",
			      (unsigned long long)m);
		prov.target = net ? "u" : "t";
		prov.source = "test";
		prov.command = "test_graph";
		CHECK(gdb_txn_provenance(t, &prov) == 0, "prov");
		CHECK(gdb_txn_commit(t, NULL, err, sizeof(err)) == 0, "%s",
		      err);
		gdb_graph_builder_free(b);
	}
	return 0;
}

/* A builder with exact names (the default): case variants are distinct
 * nodes, finds are exact, a rename to a case variant keeps the old name. */
static void selftest_exact_builder(void)
{
	gdb_graph_builder *b;
	uint32_t j1, j2, x;

	CHECK(gdb_graph_builder_new(&b) == 0, "new");
	CHECK(gdb_graph_node_add(b, "Jak1", GDB_GRAPH_GENE, &j1) == 1, "Jak1");
	CHECK(gdb_graph_node_add(b, "JAK1", GDB_GRAPH_GENE, &j2) == 1 &&
		  j2 != j1,
	      "JAK1 is another node");
	CHECK(gdb_graph_node_find(b, "jak1") == -ENOENT, "no loose find");
	CHECK(gdb_graph_node_find(b, "JAK1") == (int)j2, "exact find");
	CHECK(gdb_graph_builder_names(b, 1) == -EINVAL,
	      "names fixed after the first node");
	CHECK(gdb_graph_node_add(b, "tp53", GDB_GRAPH_GENE, &x) == 1, "tp53");
	CHECK(gdb_graph_node_rename(b, x, "old", "TP53") == 0 &&
		  gdb_graph_node_find(b, "tp53") == (int)x &&
		  !strcmp(gdb_graph_node_name_of(b, x), "TP53"),
	      "rename to a case variant keeps the old name as alias");
	CHECK(gdb_graph_builder_species(b, 9606, "Homo sapiens") == 0 &&
		  gdb_graph_builder_species(b, 1, "a\tb") == -EINVAL,
	      "species");
	gdb_graph_builder_free(b);
}

/* One network "name": a -- b, through a transaction (layout 1 or 2). */
static void write_pair(const char *dir, const char *name, uint32_t layout,
		       int icase, uint32_t taxon, const char *a, const char *b)
{
	gdb_graph_builder *bd;
	gdb_txn *t;
	gdb_provenance prov = {
	    .target = name, .source = "test", .command = "test_graph"};
	uint32_t x, y, ty;
	char err[512];

	CHECK(gdb_graph_builder_new(&bd) == 0, "new");
	CHECK(graph_builder_layout(bd, layout) == 0, "layout");
	if (layout != 1)
		CHECK(gdb_graph_builder_names(bd, icase) == 0 &&
			  gdb_graph_builder_species(bd, taxon, "") == 0,
		      "names, species");
	CHECK(gdb_graph_node_add(bd, a, GDB_GRAPH_GENE, &x) == 1 &&
		  gdb_graph_node_add(bd, b, GDB_GRAPH_GENE, &y) == 1,
	      "nodes");
	ty = (uint32_t)gdb_graph_type_add(bd, "binding");
	CHECK(gdb_graph_edge_add(bd, x, y, ty, 0, 1.0, NULL, NULL) == 0, "e");
	CHECK(gdb_txn_begin(dir, &t, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_txn_object_begin(t, GDB_OBJECT_SECTIONS, name, err,
				   sizeof(err)) == 0,
	      "%s", err);
	CHECK(gdb_graph_builder_write(bd, t, NULL, err, sizeof(err)) == 0, "%s",
	      err);
	CHECK(gdb_txn_provenance(t, &prov) == 0, "prov");
	CHECK(gdb_txn_commit(t, NULL, err, sizeof(err)) == 0, "%s", err);
	gdb_graph_builder_free(bd);
}

/*
 * A store written before layout 2 (a version 1 network) is read: its names
 * join without case, as they did, and it is of no species; a version 2
 * network of another species joins nothing of it.
 */
static void selftest_old_layout(const char *dir)
{
	gdb_store *s;
	gdb_graph *g;
	gdb_graph_network_info info;
	char err[512];

	CHECK(gdb_store_init(dir, err, sizeof(err)) == 0, "%s", err);
	write_pair(dir, "old", 1, 1, 0, "TP53", "MDM2");
	write_pair(dir, "new", 2, 0, 0, "tp53", "EP300");
	write_pair(dir, "human", 2, 0, 9606, "TP53", "MDM2");
	CHECK(gdb_store_open(dir, 0, &s, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_graph_open(s, &g, err, sizeof(err)) == 0, "%s", err);
	gdb_graph_network_stat(g, 0, &info);
	CHECK(info.version == 1 && info.case_insensitive && !info.taxon,
	      "old: version %u", info.version);
	gdb_graph_network_stat(g, 1, &info);
	CHECK(info.version == 2 && !info.case_insensitive, "new");
	CHECK(gdb_graph_lookup(g, "tp53", 1) == gdb_graph_lookup(g, "TP53", 0),
	      "the old network's names join without case");
	CHECK(gdb_graph_lookup(g, "TP53", 2) != gdb_graph_lookup(g, "TP53", 0),
	      "species 9606 joins nothing of unknown species");
	CHECK(gdb_graph_nnodes(g) == 5, "%u nodes", gdb_graph_nnodes(g));
	gdb_graph_close(g);
	gdb_store_close(s);
}

static uint32_t id(const gdb_graph *g, const char *name)
{
	int r = gdb_graph_lookup(g, name, -1);

	CHECK(r >= 0, "lookup %s", name);
	return r < 0 ? 0 : (uint32_t)r;
}

static int has_node(const gdb_graph_result *r, uint32_t n)
{
	for (uint32_t i = 0; i < r->nnodes; i++)
		if (r->nodes[i] == n)
			return 1;
	return 0;
}

static void selftest_queries(const char *dir)
{
	gdb_store *s;
	gdb_graph *g;
	gdb_graph_filter f;
	gdb_graph_result r;
	char err[512], *out;
	size_t len;
	uint32_t A, B, C, D, E;

	CHECK(gdb_store_open(dir, 0, &s, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_graph_open(s, &g, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_graph_nnetworks(g) == 2, "2 networks");
	CHECK(gdb_graph_nnodes(g) == 5, "5 global nodes (b joins B, e E): %u",
	      gdb_graph_nnodes(g));
	A = id(g, "a");
	B = id(g, "B");
	C = id(g, "c");
	D = id(g, "DD");
	E = id(g, "E");
	CHECK(gdb_graph_lookup(g, "7157", -1) == (int)A, "alias lookup");
	CHECK(gdb_graph_lookup(g, "d", -1) == (int)D, "old name is an alias");
	CHECK(gdb_graph_lookup(g, "nope", -1) == -ENOENT, "unknown");
	CHECK(gdb_graph_lookup(g, "A", 1) == -ENOENT, "A not in u");

	gdb_graph_filter_init(&f);
	CHECK(gdb_graph_neighbors(g, A, &f, &r) == 0, "neighbors");
	CHECK(r.total_edges == 3 && r.nedges == 3, "A has 3 edges: %llu",
	      (unsigned long long)r.total_edges);
	gdb_graph_result_free(&r);
	f.min_conf = 0.7;
	CHECK(gdb_graph_neighbors(g, A, &f, &r) == 0, "neighbors");
	CHECK(r.total_edges == 1, "min-conf 0.7: %llu",
	      (unsigned long long)r.total_edges);
	gdb_graph_result_free(&r);
	gdb_graph_filter_init(&f);
	f.dir = GDB_GRAPH_IN;
	CHECK(gdb_graph_neighbors(g, C, &f, &r) == 0, "in");
	CHECK(r.total_edges == 2, "C in: B->C, A--C: %llu",
	      (unsigned long long)r.total_edges);
	gdb_graph_result_free(&r);
	gdb_graph_filter_init(&f);
	f.limit = 1;
	CHECK(gdb_graph_neighbors(g, A, &f, &r) == 0 && r.truncated &&
		  r.nedges == 1,
	      "limit");
	gdb_graph_result_free(&r);

	gdb_graph_filter_init(&f);
	CHECK(gdb_graph_khop(g, B, 1, 0, &f, &r) == 0, "khop");
	CHECK(r.nnodes == 4 && has_node(&r, A) && has_node(&r, C) &&
		  has_node(&r, id(g, "e")),
	      "B 1-hop: %u", r.nnodes);
	gdb_graph_result_free(&r);
	CHECK(gdb_graph_khop(g, D, 2, GDB_GRAPH_IN, &f, &r) == 0, "upstream");
	CHECK(r.nnodes == 4 && has_node(&r, A) && has_node(&r, B),
	      "upstream "
	      "of D: %u",
	      r.nnodes);
	gdb_graph_result_free(&r);

	/* A -> D directly costs -ln 0.1 = 2.30; A -> B -> C -> D costs
	 * 0.105 + 0.223 + 0 = 0.33 (+ hops); A -- C -> D 0.69. */
	CHECK(gdb_graph_shortest_path(g, A, D, &f, &r) == 0, "path");
	CHECK(r.npaths == 1 && r.path_off[1] == 4, "A-B-C-D");
	CHECK(fabs(r.path_cost[0] - (-log(0.9f) - log(0.8f) + 3 * 0.001)) <
		  1e-6,
	      "cost %g", r.path_cost[0]);
	gdb_graph_result_free(&r);
	CHECK(gdb_graph_shortest_path(g, D, A, &f, &r) == 0 && r.npaths == 0,
	      "no path D -> A when following direction");
	gdb_graph_result_free(&r);
	f.max_len = 3;
	CHECK(gdb_graph_paths(g, A, D, &f, &r) == 0, "paths");
	CHECK(r.npaths == 3, "3 simple paths A..D: %u", r.npaths);
	gdb_graph_result_free(&r);
	gdb_graph_filter_init(&f);
	f.k = 2;
	CHECK(gdb_graph_paths(g, A, D, &f, &r) == 0, "yen");
	CHECK(r.npaths == 2 && r.path_cost[0] <= r.path_cost[1], "2 shortest");
	gdb_graph_result_free(&r);

	gdb_graph_filter_init(&f);
	CHECK(gdb_graph_pathway_subgraph(
		  g, (uint32_t)gdb_graph_pathway_find(g, "p1"), &f, &r) == 0,
	      "subgraph");
	CHECK(r.nnodes == 3 && r.nedges == 3, "P1: %u nodes %llu edges",
	      r.nnodes, (unsigned long long)r.nedges);
	CHECK(gdb_graph_render(g, &r, GDB_GRAPH_GRAPHML, 1 << 20, &out, &len) ==
		      0 &&
		  strstr(out, "<node id=\"A\">"),
	      "graphml");
	free(out);
	CHECK(gdb_graph_render(g, &r, GDB_GRAPH_CYJS, 1 << 20, &out, &len) == 0,
	      "cyjs");
	free(out);
	CHECK(gdb_graph_render(g, &r, GDB_GRAPH_DOT, 1 << 20, &out, &len) == 0,
	      "dot");
	free(out);
	CHECK(gdb_graph_render(g, &r, GDB_GRAPH_GRAPHML, 10, &out, &len) ==
		  -EFBIG,
	      "max bytes");
	gdb_graph_result_free(&r);
	CHECK(gdb_graph_crosstalk(g, 0, 1, &f, &r) == 0, "crosstalk");
	CHECK(r.nshared == 1 && r.total_edges == 4, "shared C; edges %llu",
	      (unsigned long long)r.total_edges);
	gdb_graph_result_free(&r);
	{
		const char *list[] = {"A", "B", "zzz"};
		CHECK(gdb_graph_enrich(g, list, 3, &f, &r) == 0, "enrich");
		/* universe {A,B,C,D}, list {A,B}, P1 size 3, hits 2:
		 * P(X>=2) = C(3,2)C(1,0)/C(4,2) = 3/6 */
		CHECK(r.nrows == 1 && fabs(r.rows[0].p - 0.5) < 1e-12, "p %g",
		      r.nrows ? r.rows[0].p : -1);
		gdb_graph_result_free(&r);
	}
	CHECK(gdb_graph_components(g, &f, &r) == 0, "components");
	CHECK(r.tested == 1 && r.rows[0].size == 5, "components %u", r.tested);
	gdb_graph_result_free(&r);
	CHECK(gdb_graph_degree(g, &f, &r) == 0 && r.nodes[0] == A, "degree");
	gdb_graph_result_free(&r);
	(void)E;
	gdb_graph_close(g);
	gdb_store_close(s);
}

static void selftest_provider(const char *dir)
{
	gdb_store *s;
	const gdb_ns_provider *p;
	void *ctx;
	static const struct {
		const char *path;
		int rc;
	} cases[] = {
	    {"", GDB_NS_DIR},
	    {"A", GDB_NS_DIR},
	    {"a/info.json", GDB_NS_FILE},
	    {"A/neighbors.json", GDB_NS_FILE},
	    {"A/neighbors@min-conf=0.7,type=activation.tsv", GDB_NS_FILE},
	    {"A/neighbors@min-conf=2.tsv", -EINVAL},
	    {"A/neighbors@bogus=1.tsv", -EINVAL},
	    {"A/neighbors.xls", -ENOENT},
	    {"A/khop-2.graphml", GDB_NS_FILE},
	    {"A/khop-x.json", -ENOENT},
	    {"A/upstream-1.json", GDB_NS_FILE},
	    {"nope", -ENOENT},
	    {"nope/info.json", -ENOENT},
	    {"path", GDB_NS_DIR},
	    {"path/A", GDB_NS_DIR},
	    {"path/A/D.json", GDB_NS_FILE},
	    {"path/A/D", GDB_NS_DIR},
	    {"path/A/D/paths@max-len=3.json", GDB_NS_FILE},
	    {"pathways", GDB_NS_DIR},
	    {"pathways/P1.cyjs", GDB_NS_FILE},
	    {"pathways/P1/members.tsv", GDB_NS_FILE},
	    {"pathways/P9.cyjs", -ENOENT},
	    {"crosstalk/P1/P2.json", GDB_NS_FILE},
	    {"enrich/A,B.tsv", GDB_NS_FILE},
	    {"@t", GDB_NS_DIR},
	    {"@t/A/neighbors.tsv", GDB_NS_FILE},
	    {"@u/A", -ENOENT},
	    {"@zz", -ENOENT},
	    {"components.tsv", GDB_NS_FILE},
	    {"degree.tsv", GDB_NS_FILE},
	    {"networks.json", GDB_NS_FILE},
	};

	if (open_provider(dir, &s, &p, &ctx) < 0) {
		failures++;
		return;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *data = NULL, err[256];
		size_t len = 0;
		unsigned flags = 0;
		int rc = p->resolve(ctx, cases[i].path, &data, &len, &flags,
				    err, sizeof(err));
		CHECK(rc == cases[i].rc, "%s: %d, expected %d", cases[i].path,
		      rc, cases[i].rc);
		if (rc == GDB_NS_FILE)
			CHECK(len > 0 && data && strlen(data) == len,
			      "%s: content", cases[i].path);
		free(data);
	}
	p->destroy(ctx);
	gdb_store_close(s);
}

/* Confidences as the renderers wrote them with printf: the shortest of
 * "%.6g" .. "%.9g" that reads back as the same float. */
static void conf_text_ref(float v, char *out, size_t n)
{
	for (int prec = 6; prec <= 9; prec++) {
		snprintf(out, n, "%.*g", prec, (double)v);
		if (strtof(out, NULL) == v)
			break;
	}
}

static int float_desc(const void *x, const void *y)
{
	float a = *(const float *)x, b = *(const float *)y;

	return a > b ? -1 : a < b;
}

/*
 * The renderers format confidences without printf (graph/render.c
 * float_text, checked on every float in [2^-14, 1] when written): here
 * a sample through the public path, a node with one edge per value
 * (STRING's k/1000, k/10000, every 4001st float of [1e-5, 1], powers of
 * two and their neighbours, 0 and the smallest floats) and the rows of
 * its neighbors TSV against printf.
 */
static void selftest_conf_text(const char *dir)
{
	gdb_graph_builder *b;
	gdb_txn *t;
	gdb_store *s;
	gdb_graph *g;
	gdb_graph_filter f;
	gdb_graph_result r;
	char err[512], *out = NULL, *line, *save = NULL;
	size_t len, nv = 0, row = 0;
	uint32_t h, x, type;
	float *v = malloc(200000 * sizeof(float));
	uint32_t lo, hi, u;
	gdb_provenance prov = {0};

	if (!v) {
		failures++;
		return;
	}
	for (int k = 0; k <= 1000; k++)
		v[nv++] = (float)(k / 1000.0);
	for (int k = 1; k < 10000; k++)
		if (k % 10)
			v[nv++] = (float)(k / 10000.0);
	lo = 0x3727c5ac; /* 1e-5f */
	hi = 0x3f800000; /* 1.0f */
	for (u = lo; u < hi; u += 4001)
		memcpy(&v[nv++], &u, 4);
	for (int e = 1; e <= 40; e++) {
		float p = ldexpf(1.0f, -e);
		v[nv++] = p;
		v[nv++] = nextafterf(p, 0.0f);
		v[nv++] = nextafterf(p, 1.0f);
	}
	v[nv++] = nextafterf(1.0f, 0.0f);
	v[nv++] = nextafterf(1e-4f, 0.0f);
	v[nv++] = nextafterf(1e-4f, 1.0f);
	v[nv++] = 1e-4f;
	u = 1; /* the smallest subnormal */
	memcpy(&v[nv++], &u, 4);
	qsort(v, nv, sizeof(float), float_desc);
	{
		size_t k = 0;
		for (size_t i = 0; i < nv; i++)
			if (!k || v[i] != v[k - 1])
				v[k++] = v[i];
		nv = k;
	}
	CHECK(gdb_store_init(dir, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_graph_builder_new(&b) == 0, "new");
	CHECK(gdb_graph_node_add(b, "H", GDB_GRAPH_GENE, &h) == 1, "H");
	CHECK(gdb_graph_node_add(b, "X", GDB_GRAPH_GENE, &x) == 1, "X");
	type = (uint32_t)gdb_graph_type_add(b, "t");
	for (size_t i = 0; i < nv; i++)
		CHECK(gdb_graph_edge_add(b, h, x, type, 1, v[i], NULL, NULL) ==
			  0,
		      "edge %zu", i);
	CHECK(gdb_txn_begin(dir, &t, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_txn_object_begin(t, GDB_OBJECT_SECTIONS, "c", err,
				   sizeof(err)) == 0,
	      "%s", err);
	CHECK(gdb_graph_builder_write(b, t, NULL, err, sizeof(err)) == 0, "%s",
	      err);
	prov.target = "c";
	prov.source = "test";
	prov.command = "test_graph";
	CHECK(gdb_txn_provenance(t, &prov) == 0, "prov");
	CHECK(gdb_txn_commit(t, NULL, err, sizeof(err)) == 0, "%s", err);
	gdb_graph_builder_free(b);
	CHECK(gdb_store_open(dir, 0, &s, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_graph_open(s, &g, err, sizeof(err)) == 0, "%s", err);
	gdb_graph_filter_init(&f);
	f.limit = UINT64_MAX;
	CHECK(gdb_graph_neighbors(g, h, &f, &r) == 0, "neighbors");
	CHECK(gdb_graph_render(g, &r, GDB_GRAPH_TSV, 1 << 26, &out, &len) == 0,
	      "tsv");
	/* rows: X, out, t, confidence, c, evidence; by confidence, highest
	 * first, as v */
	for (line = out ? strtok_r(out, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *c = line, want[32];
		if (!row++)
			continue; /* header */
		for (int tab = 0; tab < 3 && c; tab++)
			c = strchr(c, '\t') ? strchr(c, '\t') + 1 : NULL;
		if (!c || row - 2 >= nv) {
			CHECK(0, "row %zu: %s", row, line);
			break;
		}
		*strchr(c, '\t') = 0;
		conf_text_ref(v[row - 2], want, sizeof(want));
		CHECK(!strcmp(c, want), "confidence %a: \"%s\", printf \"%s\"",
		      (double)v[row - 2], c, want);
	}
	CHECK(row == nv + 1, "%zu rows for %zu confidences", row - 1, nv);
	free(out);
	gdb_graph_result_free(&r);
	gdb_graph_close(g);
	gdb_store_close(s);
	free(v);
}

/* The provider's answer at path (a file), or NULL. */
static char *answer(const gdb_ns_provider *p, void *ctx, const char *path,
		    size_t *len)
{
	char *data = NULL, err[256] = "";
	unsigned flags = 0;
	int rc = p->resolve(ctx, path, &data, len, &flags, err, sizeof(err));

	CHECK(rc == GDB_NS_FILE && data, "%s: %d %s", path, rc, err);
	if (rc != GDB_NS_FILE) {
		free(data);
		return NULL;
	}
	return data;
}

/*
 * A large answer's buffer given back to the pool (common/bigbuf.h, as the
 * daemon's cache does when it drops an answer) and taken for a shorter
 * answer: the shorter is exact, byte for byte what it is in fresh memory,
 * whatever the longer left behind it. The store of selftest_conf_text:
 * tens of thousands of edges H -> X.
 */
static void selftest_reused_buffer(const char *dir)
{
	static const char *lng = "H/khop-1@edge-limit=all.json",
			  *shrt = "H/khop-1@edge-limit=20000.json";
	const gdb_ns_provider *p;
	gdb_store *s;
	void *ctx;
	char *a, *ref, *b;
	size_t la = 0, lr = 0, lb = 0;

	if (open_provider(dir, &s, &p, &ctx) < 0) {
		failures++;
		return;
	}
	gdb_bigbuf_drain();
	a = answer(p, ctx, lng, &la);
	ref = answer(p, ctx, shrt, &lr); /* fresh: the pool is empty */
	CHECK(a && ref && la > lr && lr >= GDB_BIGBUF_MIN, "sizes %zu %zu", la,
	      lr);
	gdb_bigbuf_put(a);
	b = answer(p, ctx, shrt, &lb);
	CHECK(b == a, "the pooled buffer is taken (%zu, %zu)", la, lr);
	CHECK(b && ref && lb == lr && !memcmp(b, ref, lr) && b[lb] == 0,
	      "the shorter answer in the longer one's buffer: exact");
	free(ref);
	gdb_bigbuf_put(b);
	gdb_bigbuf_drain();
	p->destroy(ctx);
	gdb_store_close(s);
}

/*
 * The one-piece JSON edge writer (render.c) against its twin, the general
 * writer through the attribute table: byte for byte on every edge of a
 * network whose names, types, evidence and channel names need escapes or
 * not, with confidences float_text does and does not take, with the
 * confidence cache and without.
 */
static void selftest_edge_writer(const char *dir)
{
	static const char *const names[] = {"plain", "q\"uote", "back\\slash",
					    "ctl\x01x", "\xc3\xa9t\xc3\xa9"};
	static const char *const types[] = {"pp", "ty\"pe"};
	static const char *const evid[] = {NULL, "pmid:1", "a\\b", "x\x02"};
	static const char *const chans[] = {"experimental", "s\"c"};
	static const double confs[] = {0.7,	1.0,	     0.0001,
				       0.00001, 0.123456789, 0.15};
	gdb_graph_builder *b;
	gdb_store *s;
	gdb_graph *g;
	gdb_txn *t;
	graph_ftext *fc = graph_ftext_new(1000);
	gdb_provenance prov = {
	    .target = "w", .source = "test", .command = "test_graph"};
	uint32_t id[5], ty[2];
	uint64_t m = 0, k = 0;
	char err[512];

	CHECK(gdb_store_init(dir, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_graph_builder_new(&b) == 0, "new");
	CHECK(gdb_graph_channels_set(b, 2, chans) == 0, "channels");
	for (int i = 0; i < 5; i++)
		CHECK(gdb_graph_node_add(b, names[i], GDB_GRAPH_GENE, &id[i]) ==
			  1,
		      "node %d", i);
	for (int i = 0; i < 2; i++)
		ty[i] = (uint32_t)gdb_graph_type_add(b, types[i]);
	for (int i = 0; i < 5; i++)
		for (int j = 0; j < 5; j++, k++) {
			uint16_t ch[2] = {(uint16_t)(k * 37), (uint16_t)k};
			CHECK(gdb_graph_edge_add(
				  b, id[i], id[j], ty[k % 2], (int)(k % 3 == 0),
				  confs[k % 6], evid[k % 4], ch) == 0,
			      "edge %d %d", i, j);
		}
	CHECK(gdb_txn_begin(dir, &t, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_txn_object_begin(t, GDB_OBJECT_SECTIONS, "w", err,
				   sizeof(err)) == 0,
	      "%s", err);
	CHECK(gdb_graph_builder_write(b, t, &m, err, sizeof(err)) == 0, "%s",
	      err);
	CHECK(gdb_txn_provenance(t, &prov) == 0, "prov");
	CHECK(gdb_txn_commit(t, NULL, err, sizeof(err)) == 0, "%s", err);
	gdb_graph_builder_free(b);
	CHECK(gdb_store_open(dir, 0, &s, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_graph_open(s, &g, err, sizeof(err)) == 0, "%s", err);
	for (uint32_t e = 0; e < (uint32_t)m; e++)
		for (int cached = 0; cached < 2; cached++) {
			graph_buf x = {0}, y = {0};
			gdb_graph_eref r = {0, e};
			graph_json_edge_members(&x, g, r, cached ? fc : NULL);
			graph_json_edge_general(&y, g, r);
			CHECK(!x.err && !y.err && x.len == y.len &&
				  !memcmp(x.p, y.p, x.len),
			      "edge %u: %.*s / %.*s", e, (int)x.len,
			      x.p ? x.p : "", (int)y.len, y.p ? y.p : "");
			gdb_buf_free(&x);
			gdb_buf_free(&y);
		}
	CHECK(m == 25, "%llu edges", (unsigned long long)m);
	free(fc);
	gdb_graph_close(g);
	gdb_store_close(s);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/test_graph.XXXXXX", dir2[64] = "", dir3[64],
	     dir4[64];
	char cmd[512];

	if (argc >= 3 && !strcmp(argv[1], "query"))
		return cmd_query(argv[2]);
	if (argc >= 4 && !strcmp(argv[1], "list"))
		return cmd_list(argv[2], argv[3]);
	if (argc >= 5 && !strcmp(argv[1], "bench"))
		return cmd_bench(argv[2], atoi(argv[3]), argv + 4, argc - 4);
	if (argc >= 3 && !strcmp(argv[1], "open"))
		return cmd_open(argv[2]);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	rmdir(dir);
	selftest_exact_builder();
	build(dir);
	if (!failures) {
		selftest_queries(dir);
		selftest_provider(dir);
	}
	strcat(dir2, dir);
	strcat(dir2, ".conf");
	selftest_conf_text(dir2);
	selftest_reused_buffer(dir2);
	strcpy(dir3, dir);
	strcat(dir3, ".v1");
	selftest_old_layout(dir3);
	snprintf(dir4, sizeof(dir4), "%s.edges", dir);
	selftest_edge_writer(dir4);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s' '%s' '%s'", dir, dir2,
		 dir3, dir4);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	printf("graph: all checks passed\n");
	return 0;
}
