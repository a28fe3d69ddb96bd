/*
 * tests/unit/test_graph_import.c - the network import as a library call
 * (graph/graph.h "import"): inputs from memory, no tools/ and no files,
 * as a binding or a fuzz target calls it. Guessing, multi-input order,
 * the error text ("NAME:LINE: reason") and the written network.
 */
#define UNIT_SEED 0x6772617068696d70ull
#define _GNU_SOURCE
#include "tests/unit/unit.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "graph/graph.h"
#include "store/store.h"

typedef struct mem {
	gdb_graph_input in;
	gdb_graph_mem_input m;
} mem;

static void mem_of(mem *x, const char *name, const char *text)
{
	gdb_graph_input_mem(&x->in, name, &x->m, text, strlen(text));
}

static int reports;

static void on_file(void *arg, const gdb_graph_file_report *r)
{
	(void)arg;
	if (r->index != (unsigned)reports)
		FAIL("report %d is of input %u", reports, r->index);
	reports++;
}

/* Import texts (names give the extension) into a new builder. @return
 * the import's result; *im holds the session. */
static int import(gdb_graph_import **im, const gdb_graph_import_opts *o, mem *x,
		  unsigned n, char *err, size_t errlen)
{
	gdb_graph_input in[8];

	if (gdb_graph_import_new(o, im, err, errlen) < 0)
		return -1;
	for (unsigned i = 0; i < n; i++)
		in[i] = x[i].in;
	return gdb_graph_import_inputs(*im, in, n, err, errlen);
}

static void test_guess_and_counts(void)
{
	gdb_graph_import_opts o;
	gdb_graph_import *im = NULL;
	mem x[2];
	char err[512] = "";
	gdb_graph_builder *b;

	gdb_graph_import_opts_init(&o);
	o.on_file = on_file;
	mem_of(&x[0], "gal.sif", "A pp B C\nB pd D\nE\n");
	mem_of(&x[1], "sets.gmt", "S1\tdesc\tA\tD\nS2\t\tB\n");
	reports = 0;
	if (import(&im, &o, x, 2, err, sizeof(err)) != 0)
		FAIL("import: %s", err);
	b = gdb_graph_import_builder(im);
	if (gdb_graph_builder_nnodes(b) != 5 ||
	    gdb_graph_builder_nedges(b) != 3 ||
	    gdb_graph_builder_npathways(b) != 2)
		FAIL("counts: %u nodes, %llu edges, %u pathways",
		     gdb_graph_builder_nnodes(b),
		     (unsigned long long)gdb_graph_builder_nedges(b),
		     gdb_graph_builder_npathways(b));
	if (reports != 2)
		FAIL("%d reports for 2 inputs", reports);
	gdb_graph_import_free(im);
}

static void test_error_names_input_and_line(void)
{
	gdb_graph_import_opts o;
	gdb_graph_import *im = NULL;
	mem x[1];
	char err[512] = "";

	gdb_graph_import_opts_init(&o);
	o.format = gdb_graph_source_find("sif");
	mem_of(&x[0], "bad.sif", "a pp b\nc pp\n");
	if (import(&im, &o, x, 1, err, sizeof(err)) == 0)
		FAIL("a 2-field SIF line was accepted");
	else if (strncmp(err, "bad.sif:2: ", 11))
		FAIL("error does not name input and line: '%s'", err);
	gdb_graph_import_free(im);
	if (gdb_graph_source_find("string-info") != -ENOENT ||
	    gdb_graph_source_find("xls") != -ENOENT)
		FAIL("--format accepts a name it should not");
}

static void test_bad_columns(void)
{
	gdb_graph_import_opts o;
	gdb_graph_import *im = NULL;
	char err[512] = "";

	gdb_graph_import_opts_init(&o);
	o.columns = "source=1";
	if (gdb_graph_import_new(&o, &im, err, sizeof(err)) != GDB_EFORMAT ||
	    !strstr(err, "source and target"))
		FAIL("columns without a target: '%s'", err);
	o.columns = "source=1,weight=3";
	if (gdb_graph_import_new(&o, &im, err, sizeof(err)) != GDB_EFORMAT)
		FAIL("an unknown column key was accepted");
}

/* Write a TSV network through a transaction and read it back. */
static void test_write_and_read(void)
{
	char dir[] = "/tmp/test_graph_import.XXXXXX", err[512] = "";
	gdb_graph_import_opts o;
	gdb_graph_import *im = NULL;
	gdb_graph_network_info info;
	gdb_txn *t = NULL;
	gdb_store *s = NULL;
	gdb_graph *g = NULL;
	gdb_provenance prov = {.target = "tri",
			       .source = "memory",
			       .command = "test_graph_import"};
	uint64_t m = 0;
	mem x[1];
	char cmd[256];

	if (!mkdtemp(dir)) {
		FAIL("mkdtemp");
		return;
	}
	rmdir(dir);
	gdb_graph_import_opts_init(&o);
	mem_of(&x[0], "edges.txt", "a\tb\nb\tc\nc\ta\n");
	if (gdb_store_init(dir, err, sizeof(err)) < 0 ||
	    import(&im, &o, x, 1, err, sizeof(err)) < 0 ||
	    gdb_txn_begin(dir, &t, err, sizeof(err)) < 0 ||
	    gdb_graph_import_write(im, t, "tri", &m, err, sizeof(err)) < 0 ||
	    gdb_txn_provenance(t, &prov) < 0) {
		FAIL("%s", err);
		gdb_txn_abort(t);
	} else if (gdb_txn_commit(t, NULL, err, sizeof(err)) < 0) {
		FAIL("commit: %s", err);
	} else if (gdb_store_open(dir, 0, &s, err, sizeof(err)) < 0 ||
		   gdb_graph_open(s, &g, err, sizeof(err)) < 0) {
		FAIL("%s", err);
	} else {
		gdb_graph_network_stat(g, 0, &info);
		if (gdb_graph_nnetworks(g) != 1 || info.nnodes != 3 ||
		    info.nedges != 3 || m != 3 ||
		    strcmp(gdb_graph_network_type(g, 0, 0), "interaction"))
			FAIL("tri: %u nodes, %llu edges", info.nnodes,
			     (unsigned long long)info.nedges);
	}
	gdb_graph_close(g);
	gdb_store_close(s);
	gdb_graph_import_free(im);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		FAIL("rm %s", dir);
}

int main(void)
{
	test_guess_and_counts();
	test_error_names_input_and_line();
	test_bad_columns();
	test_write_and_read();
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return T_EXIT_FAIL;
	}
	printf("graph import: all checks passed\n");
	return T_EXIT_PASS;
}
