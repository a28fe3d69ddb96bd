/*
 * tools/genomedb.c - the genomedb command: subcommand dispatch and the
 * helpers every subcommand shares. Only tools/ (and fs/'s daemon) write
 * to stderr; library code reports through results and gdb_log().
 */
#include "tools/tools.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simd/simd.h"

#define GENOMEDB_VERSION "0.1.0"

char *tool_cmdline;
unsigned tool_txn_flags;

void tool_err(const char *fmt, ...)
{
	va_list ap;

	fputs("genomedb: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int tool_fail_at(char *err, size_t errlen, const char *path, uint64_t line,
		 const char *fmt, ...)
{
	va_list ap;
	int n =
	    snprintf(err, errlen, "%s:%llu: ", path, (unsigned long long)line);

	if (n < 0 || (size_t)n >= errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

int tool_commit(gdb_txn **t, const gdb_provenance *prov, int nprov,
		uint64_t *generation)
{
	char err[1024];
	int rc;

	for (int i = 0; i < nprov; i++)
		if (gdb_txn_provenance(*t, &prov[i]) < 0) {
			gdb_txn_abort(*t);
			*t = NULL;
			tool_err("out of memory");
			return -1;
		}
	rc = gdb_txn_commit(*t, generation, err, sizeof(err));
	*t = NULL;
	if (rc < 0) {
		tool_err("%s", err);
		return -1;
	}
	if (rc == 1)
		tool_err("identical to what the store holds: nothing changed");
	return 0;
}

int tool_txn_begin(const char *store, gdb_txn **t, char *err, size_t errlen)
{
	return gdb_txn_begin_flags(store, tool_txn_flags, t, err, errlen);
}

double tool_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Every command: its name, arguments and what it does (the top-level
 * usage, and `genomedb CMD --help` for commands without their own). */
static const struct cmd {
	const char *name;
	int (*fn)(int, char **);
	const char *args, *what;
} cmds[] = {
    {"init", cmd_init, "STORE", "create an empty store"},
    {"import", cmd_import,
     "fasta STORE --assembly NAME FILE [--alphabet dna|rna|protein|auto] "
     "[--codec 2bit|cm|protein] [--cm-match K] [--relative-to ASM] [--lossy "
     "MODE] [--level N] "
     "[--replace]",
     "add an assembly (plain, gzip or bgzip FASTA of DNA, RNA or "
     "protein)"},
    {"import", NULL,
     "graph STORE --network NAME FILE... [--format sif|string|biogrid|"
     "kgml|sbml|gmt|tsv] [--replace]",
     "add a pathway/interaction network"},
    {"import", NULL,
     "motifs STORE --set NAME FILE... [--format jaspar|meme] [--replace]",
     "add JASPAR/MEME motifs (for /compute/motif/.../pwm/)"},
    {"import", NULL,
     "vcf STORE --set NAME --reference ASM FILE [--panel PANEL] "
     "[--allow-ref-mismatch] [--replace]",
     "add a variant set (VCF, VCF.gz, BCF; htslib reads it)"},
    {"import", NULL,
     "annotations STORE --set NAME --reference ASM FILE.gff3|.gtf|.bed[.gz] "
     "[--rename FILE] [--skip-unknown] [--allow-orphans] [--replace]",
     "add genome annotations (for /annotations)"},
    {"import", NULL,
     "bam STORE --sample NAME --reference ASM FILE "
     "[--allow-missing-contigs] [--replace]",
     "add aligned reads (coordinate-sorted SAM, BAM or CRAM)"},
    {"import", NULL,
     "fastq STORE --set NAME R1 [R2] [--qualities MODE] [--replace]",
     "add unaligned reads (FASTQ, single or paired)"},
    {"info", cmd_info, "STORE [--json]",
     "assemblies, contigs, sizes, damage, provenance"},
    {"export", cmd_export, "fasta STORE ASM [REGION...] [--width N]",
     "the imported FASTA byte for byte; REGION as samtools"},
    {"export", NULL, "vcf STORE SET [REGION...] [-O v|z|b] [-o FILE]",
     "a variant set's records through htslib (VCF, VCF.gz, BCF)"},
    {"export", NULL,
     "bam|sam|cram STORE SAMPLE [REGION...] [-o FILE] [--filter F]",
     "aligned reads, every record as imported"},
    {"export", NULL, "fastq STORE SET [-o FILE] [--mate 1|2]",
     "a FASTQ set, byte for byte when lossless"},
    {"verify", cmd_verify, "STORE [--repair [--discard-newer]]",
     "check CURRENT and every CRC32C; exit 1 on damage"},
    {"drop", cmd_drop, "STORE NAME [--object]",
     "a new generation without an assembly (or object)"},
    {"gc", cmd_gc, "STORE [--discard-newer]",
     "remove what no kept generation and no reader uses"},
    {"mount", cmd_mount,
     "STORE MOUNTPOINT [-f] [-o OPTS] [--cache SIZE] [--policy NAME] "
     "[--prefetch on|off] [--threads N] [--loop split|uring|libfuse] "
     "[--readers N] [--follow on|off] [--spin-us N] [--readahead-kb N] "
     "[--log FILE] "
     "[--unmount-stale] [--plugin LIB.so ...]",
     "serve the store as files (fusermount3 -u to unmount)"},
    {"ctl", cmd_ctl,
     "MOUNT stats|policy|budget|pin|unpin|prefetch|reset-stats|refresh "
     "... "
     "[--json] [--assembly ASM]",
     "control a running mount's cache"},
    {"bench", cmd_bench, "simd [--json] [--quick|--tiny] [--only FAMILY]",
     "every SIMD kernel beside its scalar twin"},
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: genomedb COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %s %s\n      %s\n", cmds[i].name, cmds[i].args,
			cmds[i].what);
	fprintf(f,
		"\nCoordinates are 1-based and inclusive, as in samtools. "
		"See docs/PATHS.md\nand `man genomedb`; `genomedb COMMAND "
		"--help` for each command;\n`genomedb --version` the version "
		"and SIMD level.\n");
}

static int is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "help");
}

static char *join_args(int argc, char **argv)
{
	size_t n = 1;
	char *s, *p;

	for (int i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	s = malloc(n);
	if (!s)
		return NULL;
	p = s;
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]);
		memcpy(p, argv[i], l);
		p += l;
		*p++ = i + 1 < argc ? ' ' : 0;
	}
	if (argc == 0)
		*p = 0;
	return s;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (is_help(argv[1])) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("genomedb %s (simd: %s)\n", GENOMEDB_VERSION,
		       gdb_simd_level_name(gdb_simd_active()));
		return EXIT_OK;
	}
	if (gdb_simd_init() == -EINVAL)
		tool_err("GENOMEDB_SIMD: unknown level (using %s)",
			 gdb_simd_level_name(gdb_simd_active()));
	tool_cmdline = join_args(argc, argv);
	for (size_t i = 0; i < NCMDS; i++) {
		if (!cmds[i].fn || strcmp(argv[1], cmds[i].name))
			continue;
		rc = cmds[i].fn(argc - 1, argv + 1);
		free(tool_cmdline);
		return rc;
	}
	free(tool_cmdline);
	usage(stderr);
	tool_err("unknown command '%s'", argv[1]);
	return EXIT_USAGE;
}
