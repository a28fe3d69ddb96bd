/*
 * tools/import_annotations.c - `genomedb import annotations`: the command
 * line only; the import is gdb_annot_import (annotations/annotations.h).
 */
#include "tools/tools.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "annotations/annotations.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: genomedb import annotations STORE --set NAME "
		   "--reference ASM\n"
		   "                 [--format gff3|gtf|bed] [--rename "
		   "FILE] [--skip-unknown]\n"
		   "                 [--allow-orphans] [--replace] "
		   "[--quiet] FILE.gff3|.gtf|.bed[.gz]\n"
		   "  --rename FILE    lines 'ALIAS CONTIG': read seqid "
		   "ALIAS as the reference's CONTIG\n"
		   "  --skip-unknown   drop lines whose seqid the "
		   "reference lacks (else an error)\n"
		   "  --allow-orphans  keep lines whose Parent never "
		   "appears (else an error)\n");
}

int cmd_import_annotations(int argc, char **argv)
{
	gdb_annot_import_opts o = {.command = tool_cmdline,
				   .txn_flags = tool_txn_flags};
	gdb_annot_build_stats st = {0};
	uint64_t gen = 0;
	char err[1024];
	int quiet = 0;

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--set") && i + 1 < argc) {
			o.set = argv[++i];
		} else if (!strcmp(a, "--reference") && i + 1 < argc) {
			o.reference = argv[++i];
		} else if (!strcmp(a, "--rename") && i + 1 < argc) {
			o.rename = argv[++i];
		} else if (!strcmp(a, "--format") && i + 1 < argc) {
			o.format = gdb_annot_format_parse(argv[++i]);
			if (o.format < 0) {
				tool_err("--format: expected gff3, gtf or bed");
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--skip-unknown")) {
			o.flags |= GDB_ANNOT_SKIP_UNKNOWN;
		} else if (!strcmp(a, "--allow-orphans")) {
			o.flags |= GDB_ANNOT_ALLOW_ORPHANS;
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			quiet = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (a[0] == '-' && a[1]) {
			usage(stderr);
			tool_err("import annotations: unknown option '%s'", a);
			return EXIT_USAGE;
		} else if (!o.store) {
			o.store = a;
		} else if (!o.file) {
			o.file = a;
		} else {
			usage(stderr);
			tool_err("import annotations: one file per set");
			return EXIT_USAGE;
		}
	}
	if (!o.store || !o.set || !o.reference || !o.file) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (gdb_annot_import(&o, &st, &gen, err, sizeof(err)) < 0) {
		tool_err("%s", err);
		return EXIT_FAIL;
	}
	if (!quiet)
		fprintf(stderr,
			"imported annotation set '%s' (generation %llu): "
			"%llu features, %u IDs on %u contigs; %llu lines "
			"skipped (unknown seqids), %llu Parent links "
			"dropped\n",
			o.set, (unsigned long long)gen,
			(unsigned long long)st.features, st.groups, st.contigs,
			(unsigned long long)st.skipped,
			(unsigned long long)st.orphans);
	return EXIT_OK;
}
