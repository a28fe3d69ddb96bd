/*
 * tools/import_motifs.c - `genomedb import motifs`: JASPAR (.jaspar, .pfm)
 * and MEME motif files into one motif set of the store, in one
 * transaction. /compute/motif/.../pwm/<id>.bed scans with them.
 *
 * The command line, reading the files (plain or gzip) and provenance are
 * here; parsing, the checks and the set's store object are the motif
 * module's (motif/motif.h). Every file is read and checked before
 * anything is written; an error names the file (and line, when the parser
 * knows it) and leaves the store unchanged.
 */
#include "tools/tools.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "motif/motif.h"
#include "store/store.h"

#define MAX_FILES 256
#define MAX_FILE_BYTES ((size_t)256 << 20)

static void usage(FILE *f)
{
	fprintf(f, "usage: genomedb import motifs STORE --set NAME FILE... "
		   "[--format jaspar|meme] [--replace] [--quiet]\n"
		   "  FILE: JASPAR (.jaspar, or .pfm: four rows of counts) or "
		   "MEME minimal format,\n"
		   "  plain or gzip. The set's motifs are scanned by "
		   "/compute/motif/.../pwm/<id>.bed.\n");
}

/* Read one file and add its motifs to set. @return 0, or -1 (reported). */
static int read_file(const char *path, enum gdb_motif_format fmt,
		     gdb_motif_set *set, gdb_provenance *prov,
		     const char *target)
{
	tool_src *src = NULL;
	char *text = NULL, err[1024];
	size_t len;
	int rc = -1;

	if (tool_src_open(path, &src, err, sizeof(err)) < 0 ||
	    tool_src_read_all(src, MAX_FILE_BYTES, &text, &len, err,
			      sizeof(err)) < 0 ||
	    gdb_motif_set_add(set, path, text, len, fmt, err, sizeof(err)) < 0)
		tool_err("%s", err);
	else
		rc = 0;
	if (rc == 0)
		tool_src_provenance(src, target, path, prov);
	free(text);
	tool_src_close(src);
	return rc;
}

int cmd_import_motifs(int argc, char **argv)
{
	const char *store = NULL, *set = NULL, *files[MAX_FILES];
	char target[GDB_NAME_MAX + 1], err[1024];
	gdb_provenance prov[MAX_FILES];
	enum gdb_motif_format fmt = GDB_MOTIF_GUESS;
	gdb_motif_set all = {0};
	gdb_txn *txn = NULL;
	uint64_t gen = 0;
	int nfiles = 0, quiet = 0, rc = EXIT_USAGE, sr;

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--set") && i + 1 < argc) {
			set = argv[++i];
		} else if (!strcmp(a, "--format") && i + 1 < argc) {
			a = argv[++i];
			fmt = !strcmp(a, "jaspar") ? GDB_MOTIF_JASPAR
			      : !strcmp(a, "meme") ? GDB_MOTIF_MEME
						   : GDB_MOTIF_GUESS;
			if (fmt == GDB_MOTIF_GUESS) {
				tool_err("--format: expected jaspar or meme");
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			quiet = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (a[0] == '-' && a[1]) {
			usage(stderr);
			tool_err("import motifs: unknown option '%s'", a);
			return EXIT_USAGE;
		} else if (!store) {
			store = a;
		} else if (nfiles < MAX_FILES) {
			files[nfiles++] = a;
		} else {
			tool_err("import motifs: more than %d files",
				 MAX_FILES);
			return EXIT_USAGE;
		}
	}
	if (!store || !set || !nfiles) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!gdb_name_ok(set, GDB_NAME_MAX - strlen(GDB_MOTIF_OBJECT_PREFIX))) {
		tool_err("--set '%s': a name is 1-%zu bytes without blanks, "
			 "'/', ',' or control characters, and does not start "
			 "with '.' or '@'",
			 set, GDB_NAME_MAX - strlen(GDB_MOTIF_OBJECT_PREFIX));
		return EXIT_USAGE;
	}
	rc = EXIT_FAIL;
	snprintf(target, sizeof(target), "%s%s", GDB_MOTIF_OBJECT_PREFIX, set);
	for (int i = 0; i < nfiles; i++)
		if (read_file(files[i], fmt, &all, &prov[i], target) < 0)
			goto out;
	if (tool_txn_begin(store, &txn, err, sizeof(err)) < 0) {
		tool_err("%s", err);
		goto out;
	}
	sr = gdb_motif_set_store(txn, set, &all, err, sizeof(err));
	if (sr < 0) {
		tool_err(sr == -EEXIST ? "%s in %s" : "%s (%s)", err, store);
		goto out;
	}
	if (tool_commit(&txn, prov, nfiles, &gen) < 0)
		goto out;
	if (!quiet)
		fprintf(stderr,
			"imported motif set '%s' (generation %llu): "
			"%zu motifs from %d file%s\n",
			set, (unsigned long long)gen, all.n, nfiles,
			nfiles == 1 ? "" : "s");
	rc = EXIT_OK;
out:
	gdb_txn_abort(txn);
	gdb_motif_set_free(&all);
	return rc;
}
