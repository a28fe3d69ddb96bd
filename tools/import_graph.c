/*
 * tools/import_graph.c - `genomedb import graph STORE --network NAME FILE...`:
 * the command line of the network import. The parsers and the import
 * itself are the graph module's (graph/formats/, API in graph/graph.h);
 * this file gives it the files (plain or gzip, hashed for provenance
 * through tool_src), prints its progress and commits its transaction.
 * Every error names the file and line and leaves the store byte-identical.
 */
#define _GNU_SOURCE
#include "tools/tools.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"
#include "store/store.h"

#define MAX_FILES 256

/* The files of one import, as graph inputs over tool_src. */
typedef struct files {
	const char *net;
	int quiet;
	unsigned n;
	const char *path[MAX_FILES];
	gdb_graph_input in[MAX_FILES];
	gdb_provenance prov[MAX_FILES]; /* in the order read */
	int nprov;
	/* how the files were read, for the summary: distinct descriptions
	 * ("tsv (guessed: header row)") and how many files each */
	char how[8][320];
	unsigned nhow, how_n[8];
	uint64_t skipped; /* references to undefined entries */
	int icase;	  /* --case-insensitive */
} files;

typedef struct file_arg {
	files *fs;
	unsigned i;
} file_arg;

static file_arg args[MAX_FILES];

static int src_open(void *arg, void **h, char *err, size_t errlen)
{
	file_arg *a = arg;
	tool_src *s;
	int rc = tool_src_open(a->fs->path[a->i], &s, err, errlen);

	*h = rc < 0 ? NULL : s;
	return rc;
}

static ssize_t src_read(void *h, char *buf, size_t cap, char *err,
			size_t errlen)
{
	return tool_src_read(h, buf, cap, err, errlen);
}

static void src_close(void *arg, void *h, int complete)
{
	file_arg *a = arg;
	files *fs = a->fs;

	if (complete)
		tool_src_provenance(h, fs->net, fs->path[a->i],
				    &fs->prov[fs->nprov++]);
	tool_src_close(h);
}

/* "tsv (guessed: header row, column 3 as confidence)" */
static void describe(const gdb_graph_file_report *r, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s%s", gdb_graph_source_name(r->format),
		 r->guessed || *r->detail ? " (" : "",
		 r->guessed ? "guessed" : "",
		 r->guessed && *r->detail ? ": " : "", r->detail);
	if (r->guessed || *r->detail)
		snprintf(buf + strlen(buf), n - strlen(buf), ")");
}

static void on_file(void *arg, const gdb_graph_file_report *r)
{
	files *fs = arg;
	char d[320];
	unsigned k;

	describe(r, d, sizeof(d));
	for (k = 0; k < fs->nhow && strcmp(fs->how[k], d); k++)
		;
	if (k == fs->nhow && k < 8)
		snprintf(fs->how[fs->nhow++], sizeof(fs->how[0]), "%s", d);
	if (k < 8)
		fs->how_n[k]++;
	fs->skipped += r->skipped;
	if (!fs->quiet)
		fprintf(stderr,
			"read %s as %s: %u nodes, %llu edges, %u "
			"pathways so far%s\n",
			r->name, d, r->nodes, (unsigned long long)r->edges,
			r->pathways,
			r->skipped ? "; references to undefined entries "
				     "skipped"
				   : "");
}

/* The formats read, as the summary line says them. */
static void how_read(const files *fs, char *buf, size_t n)
{
	size_t at = 0;

	buf[0] = 0;
	for (unsigned k = 0; k < fs->nhow && at < n; k++) {
		at += (size_t)snprintf(buf + at, n - at, "%s%s", k ? ", " : "",
				       fs->how[k]);
		if (fs->how_n[k] > 1 && at < n)
			at += (size_t)snprintf(buf + at, n - at, " x%u",
					       fs->how_n[k]);
	}
}

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: genomedb import graph STORE --network NAME FILE... "
	       "[--format F]\n"
	       "       [--species S] [--case-insensitive] [--strict] "
	       "[--replace] [--quiet]\n"
	       "  F: sif, string, biogrid, kgml, sbml, gmt, tsv (guessed from "
	       "the content when omitted)\n"
	       "  several FILEs make one network (STRING links + protein.info "
	       "+ aliases; several KGML pathways)\n"
	       "  S: the species of the names (9606, human, Homo sapiens, hsa; "
	       "default: what the\n"
	       "     files say, KGML org or STRING ids, else unknown): "
	       "networks of different species\n"
	       "     never share a node\n"
	       "  --case-insensitive: names match without case (TP53 = tp53), "
	       "here and when joining\n"
	       "     other networks of the species (default: exactly)\n"
	       "  tsv:  --columns source=1,target=2[,type=N][,confidence=N]"
	       "[,directed=N][,evidence=N]\n"
	       "        (numbers are 1-based; names refer to a header row)\n"
	       "        --header / --no-header, --directed / --undirected, "
	       "--type T (default 'interaction')\n"
	       "  kgml: relations and group components naming entries the "
	       "file does not define\n"
	       "        (KEGG reference maps) are skipped and counted; "
	       "--strict refuses them\n");
}

/* @return -1 to go on, else an exit code */
static int parse_args(int argc, char **argv, const char **store, files *fs,
		      gdb_graph_import_opts *o)
{
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--network") && i + 1 < argc) {
			fs->net = argv[++i];
		} else if (!strcmp(a, "--format") && i + 1 < argc) {
			o->format = gdb_graph_source_find(argv[++i]);
			if (o->format < 0) {
				tool_err("--format: expected sif, string, "
					 "biogrid, kgml, sbml, gmt or tsv");
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--columns") && i + 1 < argc) {
			o->columns = argv[++i];
		} else if (!strcmp(a, "--type") && i + 1 < argc) {
			o->type = argv[++i];
		} else if (!strcmp(a, "--header") ||
			   !strcmp(a, "--no-header")) {
			o->header = a[2] == 'h';
		} else if (!strcmp(a, "--directed") ||
			   !strcmp(a, "--undirected")) {
			o->directed = a[2] == 'd';
		} else if (!strcmp(a, "--species") && i + 1 < argc) {
			o->species = argv[++i];
		} else if (!strcmp(a, "--case-insensitive")) {
			o->case_insensitive = 1;
		} else if (!strcmp(a, "--strict")) {
			o->strict = 1;
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			fs->quiet = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (a[0] == '-' && a[1]) {
			usage(stderr);
			tool_err("import graph: unknown option '%s'", a);
			return EXIT_USAGE;
		} else if (!*store) {
			*store = a;
		} else if (fs->n < MAX_FILES) {
			fs->path[fs->n++] = a;
		} else {
			tool_err("import graph: more than %d files", MAX_FILES);
			return EXIT_USAGE;
		}
	}
	if (!*store || !fs->net || !fs->n) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!gdb_name_ok(fs->net, GDB_NAME_MAX)) {
		tool_err("--network '%s': a name is 1-255 bytes without "
			 "blanks, '/', ',' or control characters, and does "
			 "not start with '.' or '@'",
			 fs->net);
		return EXIT_USAGE;
	}
	return -1;
}

/* Import the files into the new network and commit. @return exit code */
static int run(const char *store, files *fs, gdb_graph_import *im)
{
	gdb_graph_builder *b = gdb_graph_import_builder(im);
	gdb_txn *txn = NULL;
	char err[2048], how[1024], skipped[128] = "", species[320];
	const char *label;
	uint32_t taxon;
	uint64_t nedges = 0, gen = 0, read_edges;
	double t0 = tool_now();

	for (unsigned i = 0; i < fs->n; i++) {
		args[i] = (file_arg){fs, i};
		fs->in[i] = (gdb_graph_input){fs->path[i], &args[i], src_open,
					      src_read, src_close};
	}
	if (gdb_graph_import_inputs(im, fs->in, fs->n, err, sizeof(err)) < 0) {
		tool_err("%s", err);
		return EXIT_FAIL;
	}
	read_edges = gdb_graph_builder_nedges(b);
	if (tool_txn_begin(store, &txn, err, sizeof(err)) < 0 ||
	    gdb_graph_import_write(im, txn, fs->net, &nedges, err,
				   sizeof(err)) < 0) {
		tool_err("%s", err);
		gdb_txn_abort(txn);
		return EXIT_FAIL;
	}
	if (tool_commit(&txn, fs->prov, fs->nprov, &gen) < 0)
		return EXIT_FAIL;
	how_read(fs, how, sizeof(how));
	taxon = gdb_graph_import_species(im, &label);
	if (taxon)
		snprintf(species, sizeof(species), "species %u%s%s%s", taxon,
			 *label ? " (" : "", label, *label ? ")" : "");
	else
		snprintf(species, sizeof(species), "species %s",
			 *label ? label : "unknown");
	if (fs->skipped)
		snprintf(skipped, sizeof(skipped),
			 "; %llu reference%s to "
			 "undefined entries skipped (KGML; --strict refuses "
			 "them)",
			 (unsigned long long)fs->skipped,
			 fs->skipped == 1 ? "" : "s");
	if (!fs->quiet)
		fprintf(stderr,
			"imported network '%s' (generation %llu) from %s, %s, "
			"names %s: %u nodes, %llu edges (%llu as read), %u "
			"pathways%s; %.2f s, builder peak %.1f MB\n",
			fs->net, (unsigned long long)gen, how, species,
			fs->icase ? "case-insensitive" : "exact",
			gdb_graph_builder_nnodes(b), (unsigned long long)nedges,
			(unsigned long long)read_edges,
			gdb_graph_builder_npathways(b), skipped,
			tool_now() - t0,
			(double)gdb_graph_builder_peak_bytes(b) / 1e6);
	return EXIT_OK;
}

int cmd_import_graph(int argc, char **argv)
{
	const char *store = NULL;
	static files fs;
	gdb_graph_import_opts o;
	gdb_graph_import *im = NULL;
	char err[1024];
	int rc;

	memset(&fs, 0, sizeof(fs));
	gdb_graph_import_opts_init(&o);
	if (argc < 2 || strcmp(argv[1], "graph")) {
		usage(stderr);
		return EXIT_USAGE;
	}
	rc = parse_args(argc, argv, &store, &fs, &o);
	if (rc >= 0)
		return rc;
	o.on_file = on_file;
	o.arg = &fs;
	fs.icase = o.case_insensitive;
	rc = gdb_graph_import_new(&o, &im, err, sizeof(err));
	if (rc == GDB_EFORMAT) {
		tool_err("%s", err);
		return EXIT_USAGE;
	}
	if (rc < 0) {
		tool_err("out of memory");
		return EXIT_FAIL;
	}
	rc = run(store, &fs, im);
	gdb_graph_import_free(im);
	return rc;
}
