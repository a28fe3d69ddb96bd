/*
 * tools/import_fasta.c - `genomedb import fasta`: the command line; the
 * import itself is the library's (seq/seq.h, gdb_seq_import_fasta).
 */
#include "tools/tools.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codecs/codecs.h"
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
	fprintf(
	    f,
	    "usage: genomedb import fasta STORE --assembly NAME FILE "
	    "[--alphabet A] [--codec C] [--lossy MODE]... [--level N] "
	    "[--replace] [--quiet]\n"
	    "  FILE may be plain, gzip or bgzip; NAME names the new "
	    "assembly.\n"
	    "  --alphabet dna|rna|protein|auto  what the sequences are "
	    "(default auto: decided by content, and said)\n"
	    "  --codec 2bit|cm|protein  how blocks are coded (default: "
	    "2bit for dna and rna, protein for protein);\n"
	    "             cm: context mixing, about 10%% smaller than 2bit "
	    "on human DNA, slower to read\n"
	    "  --lossy drop-mask|iupac-to-n  give up soft-masking, or turn "
	    "IUPAC codes into N (never the default;\n"
	    "             recorded: the assembly then says it is not exact)\n"
	    "  --block-bases N  bases a block holds (1..65536; default: "
	    "the codec's)\n"
	    "  --cm-train N, --cm-table-bits B, --cm-orders K,K,...  cm "
	    "model: training bases, log2 slots\n"
	    "             a table (16..26), orders (1..24)\n"
	    "  --cm-restart N  cm: bases between the coder's restart points "
	    "in a block (default 1024;\n"
	    "             a read decodes from the nearest one before it)\n"
	    "  --cm-match K  cm: a match model (K bases find a match, "
	    "12..32) into the first\n"
	    "             --cm-train bases (default a quarter, 1-8 Mbp), "
	    "for collections of related genomes\n"
	    "  --relative-to ASM  cm: models and matches from the stored "
	    "DNA assembly ASM instead\n"
	    "             (its first --cm-train bases, default 16 Mbp; "
	    "--cm-match default 20): a strain costs\n"
	    "             little; ASM must not be relative itself, and "
	    "cannot be dropped while this is kept\n"
	    "  --level N  zstd level tried on each packed block (0 = off, "
	    "default 0)\n"
	    "  --replace  replace the assembly NAME if it exists (an "
	    "identical one is kept as is)\n"
	    "  --quiet    no progress or summary on stderr\n");
}

static void summary(const char *asmname, const gdb_fasta_stats *st, double el)
{
	char lossy[64];

	if (st->alphabet_detected)
		fprintf(stderr, "alphabet: %s, detected by content: %s\n",
			gdb_alphabet_name(st->alphabet), st->detected_why);
	gdb_lossy_text(st->lossy, lossy, sizeof(lossy));
	fprintf(stderr,
		"codec: %s (%u bases a block%s%llu bytes of model)%s%s\n",
		gdb_codec_name(st->codec), st->block_bases,
		st->model_bytes ? ", " : ", no model, ",
		(unsigned long long)st->model_bytes,
		st->lossy ? "; lossy: " : "", lossy);
	if (st->lossy)
		fprintf(stderr, "lossy: %llu bases changed\n",
			(unsigned long long)st->lossy_changed);
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

static int is_num_opt(const char *a)
{
	return !strcmp(a, "--block-bases") || !strcmp(a, "--cm-train") ||
	       !strcmp(a, "--cm-table-bits") || !strcmp(a, "--cm-restart") ||
	       !strcmp(a, "--cm-match");
}

/* --block-bases, --cm-train, --cm-table-bits, --cm-restart, --cm-match:
 * a number in range. */
static int num_opt(gdb_fasta_opts *o, const char *opt, const char *val)
{
	char *end;
	unsigned long v = strtoul(val, &end, 10);

	if (!strcmp(opt, "--block-bases") && !*end && v >= 1 &&
	    v <= GDB_DNA_BLOCK_BASES) {
		o->block_bases = (uint32_t)v;
		return 0;
	}
	if (!strcmp(opt, "--cm-train") && !*end && v >= 1 && v <= (1ul << 31)) {
		o->cm_train = (uint32_t)v;
		return 0;
	}
	if (!strcmp(opt, "--cm-restart") && !*end && v >= 1 &&
	    v <= GDB_DNA_BLOCK_BASES) {
		o->cm_restart = (uint32_t)v;
		return 0;
	}
	if (!strcmp(opt, "--cm-match") && !*end && v >= 12 && v <= 32) {
		o->cm_match = (uint32_t)v;
		return 0;
	}
	if (!strcmp(opt, "--cm-table-bits") && !*end && v >= 16 && v <= 26) {
		o->cm_table_bits = (uint32_t)v;
		return 0;
	}
	tool_err("%s: '%s' is out of range (see --help)", opt, val);
	return -1;
}

/* --cm-orders 2,3,4,8,12,16,20 */
static int orders_opt(gdb_fasta_opts *o, const char *list)
{
	const char *p = list;

	o->cm_orders = 0;
	while (*p) {
		char *end;
		unsigned long k = strtoul(p, &end, 10);
		if (end == p || k < 1 || k > 24 || (*end && *end != ',')) {
			tool_err("--cm-orders: expected orders 1..24 "
				 "separated by commas");
			return -1;
		}
		o->cm_orders |= 1u << k;
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* --relative-to: refused before the store is touched (exit 2). */
static int check_reference(const char *store, const char *asmname,
			   const gdb_fasta_opts *o)
{
	gdb_store *s;
	char err[1024];
	int rc;

	if (o->codec != GDB_CODEC_CM) {
		tool_err("--relative-to needs --codec cm");
		return -1;
	}
	if (!strcmp(o->relative_to, asmname)) {
		tool_err("--relative-to: assembly '%s' cannot be stored "
			 "relative to itself",
			 asmname);
		return -1;
	}
	if (gdb_store_open(store, 0, &s, err, sizeof(err)) < 0) {
		tool_err("%s", err);
		return -1;
	}
	rc = gdb_seq_reference_find(s, o->relative_to, err, sizeof(err));
	gdb_store_close(s);
	if (rc < 0)
		tool_err("--relative-to: %s", err);
	return rc < 0 ? -1 : 0;
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
		} else if (!strcmp(argv[i], "--alphabet") && i + 1 < argc) {
			int a = gdb_alphabet_parse(argv[++i]);
			if (a < 0) {
				tool_err("--alphabet: expected dna, rna, "
					 "protein or auto");
				return EXIT_USAGE;
			}
			o.alphabet = (uint32_t)a;
		} else if (!strcmp(argv[i], "--codec") && i + 1 < argc) {
			int c = gdb_codec_parse(argv[++i]);
			if (c < 0) {
				tool_err("--codec: expected 2bit, cm or "
					 "protein");
				return EXIT_USAGE;
			}
			o.codec = (uint32_t)c;
		} else if (!strcmp(argv[i], "--lossy") && i + 1 < argc) {
			int l = gdb_lossy_parse(argv[++i]);
			if (l < 0) {
				tool_err("--lossy: expected drop-mask or "
					 "iupac-to-n");
				return EXIT_USAGE;
			}
			o.lossy |= (unsigned)l;
		} else if (is_num_opt(argv[i]) && i + 1 < argc) {
			if (num_opt(&o, argv[i], argv[i + 1]) < 0)
				return EXIT_USAGE;
			i++;
		} else if (!strcmp(argv[i], "--relative-to") && i + 1 < argc) {
			o.relative_to = argv[++i];
		} else if (!strcmp(argv[i], "--cm-orders") && i + 1 < argc) {
			if (orders_opt(&o, argv[++i]) < 0)
				return EXIT_USAGE;
		} else if (!strcmp(argv[i], "--quiet") ||
			   !strcmp(argv[i], "-q")) {
			quiet = 1;
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
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
	if (o.relative_to && check_reference(store, asmname, &o) < 0)
		return EXIT_USAGE;
	/* GENOMEDB_THREADS=1: the import on one thread (same bytes) */
	if (getenv("GENOMEDB_THREADS"))
		o.threads = (unsigned)atoi(getenv("GENOMEDB_THREADS"));
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
