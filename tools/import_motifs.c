/*
 * tools/import_motifs.c - `genomedb import motifs`: JASPAR (.jaspar, .pfm)
 * and MEME motif files into one motif set of the store, in one
 * transaction. /compute/motif/.../pwm/<id>.bed scans with them.
 *
 * Files are small (JASPAR's whole CORE collection is a few MB) and are
 * read whole, parsed by the simd/ parsers, and checked before anything is
 * written: every motif must give a log-odds matrix (no negative counts, no
 * empty column), ids are unique within the set. An error names the file
 * (and line, when the parser knows it) and leaves the store unchanged.
 */
#include "tools/tools.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/ns.h"
#include "simd/motif.h"
#include "store/store.h"

#define MAX_FILES 256
#define MAX_FILE_BYTES ((size_t)256 << 20)

enum mfmt { MF_GUESS, MF_JASPAR, MF_MEME };

static void usage(void)
{
	fprintf(stderr,
		"usage: genomedb import motifs STORE --set NAME FILE... "
		"[--format jaspar|meme] [--quiet]\n"
		"  FILE: JASPAR (.jaspar, or .pfm: four rows of counts) or "
		"MEME minimal format,\n"
		"  plain or gzip. The set's motifs are scanned by "
		"/compute/motif/.../pwm/<id>.bed.\n");
}

/* MEME files say so: a MOTIF line and a letter-probability matrix. */
static enum mfmt guess(const char *t)
{
	if ((!strncmp(t, "MEME version", 12) || strstr(t, "\nMOTIF ")) &&
	    strstr(t, "letter-probability matrix"))
		return MF_MEME;
	return MF_JASPAR;
}

/* "line N: reason" from the parsers becomes "FILE:N: reason". */
static void report(const char *path, const char *msg)
{
	unsigned long line;
	char *end;

	if (!strncmp(msg, "line ", 5) &&
	    (line = strtoul(msg + 5, &end, 10)) > 0 && !strncmp(end, ": ", 2))
		tool_err("%s:%lu: %s", path, line, end + 2);
	else
		tool_err("%s: %s", path, msg);
}

/* The file name without directories and extensions: a bare .pfm's id. */
static void stem_of(const char *path, char *dst)
{
	const char *b = strrchr(path, '/');
	size_t k;

	b = b ? b + 1 : path;
	k = strcspn(b, ".");
	if (k == 0 || k > 63)
		k = strlen(b) < 63 ? strlen(b) : 63;
	memcpy(dst, b, k);
	dst[k] = 0;
}

/* An id becomes the file name <id>.bed under pwm/ (PATHS.md). */
static int id_ok(const char *id)
{
	if (!strcmp(id, ".") || !strcmp(id, ".."))
		return 0;
	for (const char *p = id; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '/' ||
		    *p == '@' || *p == '%')
			return 0;
	return 1;
}

/* Parse one file's motifs onto *all. @return 0, or -1 (reported). */
static int read_file(const char *path, enum mfmt fmt, gdb_motif **all,
		     size_t *n, gdb_provenance *prov, const char *target)
{
	tool_src *src = NULL;
	char *text = NULL, err[512];
	size_t len, have = *n;
	gdb_motif *p;
	int k, rc = -1;

	if (tool_src_open(path, &src, err, sizeof(err)) < 0 ||
	    tool_src_read_all(src, MAX_FILE_BYTES, &text, &len, err,
			      sizeof(err)) < 0) {
		tool_err("%s", err);
		goto out;
	}
	if (memchr(text, 0, len)) {
		tool_err("%s: binary data, not a motif file", path);
		goto out;
	}
	if (fmt == MF_GUESS)
		fmt = guess(text);
	/* Count first, then parse into room for exactly that many. */
	k = fmt == MF_MEME ? gdb_motif_parse_meme(text, len, NULL, 0, err,
						  sizeof(err))
			   : gdb_motif_parse_jaspar(text, len, NULL, 0, err,
						    sizeof(err));
	if (k < 0) {
		report(path, k == -ENOMEM ? "out of memory" : err);
		goto out;
	}
	if (k == 0) {
		tool_err("%s: no motifs found (is it JASPAR or MEME?)", path);
		goto out;
	}
	p = realloc(*all, (have + (size_t)k) * sizeof(*p));
	if (!p) {
		tool_err("out of memory");
		goto out;
	}
	*all = p;
	k = fmt == MF_MEME ? gdb_motif_parse_meme(text, len, p + have,
						  (size_t)k, err, sizeof(err))
			   : gdb_motif_parse_jaspar(text, len, p + have,
						    (size_t)k, err,
						    sizeof(err));
	for (int i = 0; i < k; i++) {
		gdb_motif *m = &p[have + (size_t)i];
		gdb_pwm pwm;
		if (!m->id[0])
			stem_of(path, m->id);
		if (!id_ok(m->id)) {
			tool_err("%s: motif id '%s' cannot name a file: an id "
				 "holds no '/', '@', '%%' or control bytes and "
				 "is not '.' or '..'", path, m->id);
			goto out;
		}
		if (gdb_pwm_from_counts(m, NULL, 0.8, &pwm) < 0) {
			tool_err("%s: motif %s: not a count or probability "
				 "matrix (a negative value, or a column that "
				 "sums to 0)", path, m->id);
			goto out;
		}
		for (size_t j = 0; j < have + (size_t)i; j++)
			if (!strcmp(p[j].id, m->id)) {
				tool_err("%s: motif id %s appears twice in the "
					 "set", path, m->id);
				goto out;
			}
	}
	*n = have + (size_t)k;
	tool_src_provenance(src, target, path, prov);
	rc = 0;
out:
	free(text);
	tool_src_close(src);
	return rc;
}

int cmd_import_motifs(int argc, char **argv)
{
	const char *store = NULL, *set = NULL, *files[MAX_FILES];
	char target[GDB_NAME_MAX + 1], err[1024];
	gdb_provenance prov[MAX_FILES];
	enum mfmt fmt = MF_GUESS;
	gdb_motif *all = NULL;
	gdb_txn *txn = NULL;
	size_t n = 0;
	uint64_t gen = 0;
	int nfiles = 0, quiet = 0, rc = EXIT_USAGE;

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--set") && i + 1 < argc) {
			set = argv[++i];
		} else if (!strcmp(a, "--format") && i + 1 < argc) {
			a = argv[++i];
			fmt = !strcmp(a, "jaspar") ? MF_JASPAR
			      : !strcmp(a, "meme") ? MF_MEME
						   : MF_GUESS;
			if (fmt == MF_GUESS) {
				tool_err("--format: expected jaspar or meme");
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			quiet = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage();
			return EXIT_OK;
		} else if (a[0] == '-' && a[1]) {
			usage();
			tool_err("import motifs: unknown option '%s'", a);
			return EXIT_USAGE;
		} else if (!store) {
			store = a;
		} else if (nfiles < MAX_FILES) {
			files[nfiles++] = a;
		} else {
			tool_err("import motifs: more than %d files", MAX_FILES);
			return EXIT_USAGE;
		}
	}
	if (!store || !set || !nfiles) {
		usage();
		return EXIT_USAGE;
	}
	if (!tool_name_ok(set, GDB_NAME_MAX - strlen(GDB_MOTIF_OBJECT_PREFIX))) {
		tool_err("--set '%s': a name is 1-%zu bytes without blanks, "
			 "'/', ',' or control characters, and does not start "
			 "with '.' or '@'", set,
			 GDB_NAME_MAX - strlen(GDB_MOTIF_OBJECT_PREFIX));
		return EXIT_USAGE;
	}
	rc = EXIT_FAIL;
	snprintf(target, sizeof(target), "%s%s", GDB_MOTIF_OBJECT_PREFIX, set);
	for (int i = 0; i < nfiles; i++)
		if (read_file(files[i], fmt, &all, &n, &prov[i], target) < 0)
			goto out;
	if (tool_txn_begin(store, &txn, err, sizeof(err)) < 0 ||
	    gdb_txn_object_begin(txn, GDB_OBJECT_SECTIONS, target, err,
				 sizeof(err)) < 0) {
		if (txn && strstr(err, "already exists"))
			tool_err("motif set '%s' already exists in %s", set,
				 store);
		else
			tool_err("%s", err);
		goto out;
	}
	if (gdb_motifs_write(txn, all, n) < 0) {
		tool_err("%s: writing the motif set failed", store);
		goto out;
	}
	if (tool_commit(&txn, prov, nfiles, &gen) < 0)
		goto out;
	if (!quiet)
		fprintf(stderr, "imported motif set '%s' (generation %llu): "
			"%zu motifs from %d file%s\n", set,
			(unsigned long long)gen, n, nfiles,
			nfiles == 1 ? "" : "s");
	rc = EXIT_OK;
out:
	gdb_txn_abort(txn);
	free(all);
	return rc;
}
