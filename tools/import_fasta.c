/*
 * tools/import_fasta.c - `genomedb import fasta`: the command line; the
 * import itself is the library's (seq/seq.h, gdb_seq_import_fasta).
 */
#include "tools/tools.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seq/seq.h"

struct progress {
	const char *path;
	double t0, last;
};

static void show_progress(void *arg, uint64_t raw, uint64_t total)
{
	struct progress *p = arg;
	double now = tool_now(), el = now - p->t0;

	if (now - p->last < 0.25)
		return;
	p->last = now;
	fprintf(stderr, "\rimporting %s: %3.0f%%  %llu MB  %.0f MB/s   ",
		p->path, total ? 100.0 * (double)raw / (double)total : 100.0,
		(unsigned long long)(raw >> 20),
		el > 0 ? (double)raw / 1e6 / el : 0.0);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: genomedb import fasta STORE --assembly NAME FILE "
		"[--level N] [--replace] [--quiet]\n"
		"  FILE may be plain, gzip or bgzip; NAME names the new "
		"assembly.\n"
		"  --level N  zstd level tried on each packed block (0 = off, "
		"default 0)\n"
		"  --replace  replace the assembly NAME if it exists (an "
		"identical one is kept as is)\n"
		"  --quiet    no progress or summary on stderr\n");
}

static void summary(const char *asmname, const gdb_fasta_stats *st,
		    double el)
{
	if (st->identical) {
		fprintf(stderr,
			"assembly '%s' is identical to the one stored: "
			"nothing changed (generation %llu)\n",
			asmname, (unsigned long long)st->generation);
		return;
	}
	fprintf(stderr,
		"imported %u contig%s, %lld bases, into assembly '%s' "
		"(generation %llu): %llu bytes of blocks, %.2f s, "
		"%.0f MB/s of input\n",
		st->ncontigs, st->ncontigs == 1 ? "" : "s",
		(long long)st->bases, asmname,
		(unsigned long long)st->generation,
		(unsigned long long)st->stored_bytes, el,
		el > 0 ? (double)st->source_bytes / 1e6 / el : 0.0);
}

int cmd_import_fasta(int argc, char **argv)
{
	const char *store = NULL, *asmname = NULL, *file = NULL;
	gdb_fasta_opts o = {.txn_flags = tool_txn_flags,
			    .command = tool_cmdline};
	gdb_fasta_stats st;
	struct progress pr;
	char err[1024] = "";
	int quiet = 0, rc;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--assembly") && i + 1 < argc) {
			asmname = argv[++i];
		} else if (!strcmp(argv[i], "--level") && i + 1 < argc) {
			char *end;
			o.zstd_level = (int)strtol(argv[++i], &end, 10);
			if (*end || o.zstd_level < 0 || o.zstd_level > 19) {
				tool_err("--level: expected 0..19");
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--quiet") ||
			   !strcmp(argv[i], "-q")) {
			quiet = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			usage(stderr);
			tool_err("import: unknown option '%s'", argv[i]);
			return EXIT_USAGE;
		} else if (!store) {
			store = argv[i];
		} else if (!file) {
			file = argv[i];
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!store || !file || !asmname) {
		usage(stderr);
		return EXIT_USAGE;
	}
	pr = (struct progress){.path = file, .t0 = tool_now()};
	if (!quiet && isatty(2)) {
		o.progress = show_progress;
		o.progress_arg = &pr;
	}
	rc = gdb_seq_import_fasta(store, asmname, file, &o, &st, err,
				  sizeof(err));
	if (o.progress)
		fputc('\n', stderr);
	if (rc < 0) {
		tool_err("%s", err[0] ? err : gdb_strerror(rc));
		return EXIT_FAIL;
	}
	if (!quiet)
		summary(asmname, &st, tool_now() - pr.t0);
	return EXIT_OK;
}
