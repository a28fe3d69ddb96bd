/*
 * tools/import_reads.c - `genomedb import bam|fastq` and `genomedb export
 * bam|sam|cram|fastq`: command-line parsing around reads/reads.h, which
 * does the work (so C and Python share every import). One transaction per
 * import; any error aborts it and leaves the store as it was.
 */
#include "tools/tools.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "reads/reads.h"
#include "store/store.h"

/* Reference bases read while importing or exporting aligned reads. */
#define REF_CACHE_BYTES ((size_t)64 << 20)
#define MAX_REGIONS 1024

/* The bam and fastq usage lines, the asked-for kind's first. */
static void usage_two(FILE *f, const char *kind, const char *bam,
		      const char *fastq, const char *notes)
{
	int fq = kind && !strcmp(kind, "fastq");

	fprintf(f, "usage: genomedb %s\n       genomedb %s\n%s",
		fq ? fastq : bam, fq ? bam : fastq, notes);
}

static void usage_import(FILE *f, const char *kind)
{
	usage_two(
	    f, kind,
	    "import bam STORE --sample NAME --reference ASM "
	    "FILE.bam|.cram|.sam\n"
	    "                           [--allow-missing-contigs] [--replace] "
	    "[--quiet]",
	    "import fastq STORE --set NAME R1.fq[.gz] [R2.fq[.gz]] "
	    "[--qualities MODE]\n"
	    "                           [--replace] [--quiet]",
	    "  FILE: coordinate-sorted, aligned to assembly ASM of the store "
	    "(its bases are\n"
	    "  stored against it; a CRAM is decoded with it).\n"
	    "  MODE: lossless (default), illumina8, or bins=B1,B2,... "
	    "(docs/PATHS.md)\n");
}

static void progress(void *arg, uint64_t done, uint64_t total)
{
	(void)arg;
	if (total)
		fprintf(stderr, "\r%5.1f%%",
			100.0 * (double)done / (double)total);
}

/* Hash a source file (SHA-256 of its bytes on disk) for provenance. */
static int source_prov(const char *path, const char *target, gdb_provenance *p,
		       tool_src **keep)
{
	char err[512], buf[1 << 16];
	ssize_t n;

	if (tool_src_open(path, keep, err, sizeof(err)) < 0) {
		tool_err("%s", err);
		return -1;
	}
	while ((n = tool_src_read(*keep, buf, sizeof(buf), err, sizeof(err))) >
	       0)
		;
	if (n < 0) {
		tool_err("%s", err);
		return -1;
	}
	tool_src_provenance(*keep, target, path, p);
	return 0;
}

struct imp_args {
	const char *kind, *store, *name, *ref, *quals, *files[2];
	int nfiles, quiet;
	unsigned flags;
};

/* The options that take a value (tool_help_asked). */
static const char *const import_valued[] = {"--sample", "--set", "--reference",
					    "--qualities", NULL};
static const char *const export_valued[] = {"-o", "--filter", "--mate", NULL};

static int parse_import(int argc, char **argv, struct imp_args *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i];
		if ((!strcmp(o, "--sample") || !strcmp(o, "--set")) &&
		    i + 1 < argc)
			a->name = argv[++i];
		else if (!strcmp(o, "--reference") && i + 1 < argc)
			a->ref = argv[++i];
		else if (!strcmp(o, "--qualities") && i + 1 < argc)
			a->quals = argv[++i];
		else if (!strcmp(o, "--quiet") || !strcmp(o, "-q"))
			a->quiet = 1;
		else if (!strcmp(o, "--allow-missing-contigs"))
			a->flags |= GDB_READS_ALLOW_MISSING_SQ;
		else if (o[0] == '-' && o[1]) {
			tool_err("import %s: unknown option '%s'", a->kind, o);
			return -1;
		} else if (!a->store)
			a->store = o;
		else if (a->nfiles < 2)
			a->files[a->nfiles++] = o;
		else
			return -1;
	}
	if (!a->store || !a->name || !a->nfiles)
		return -1;
	if (!strcmp(a->kind, "bam") && (!a->ref || a->nfiles != 1 || a->quals))
		return -1;
	if (!strcmp(a->kind, "fastq") && (a->ref || a->flags))
		return -1;
	return 0;
}

static int run_import(const struct imp_args *a, gdb_txn *t, char *target,
		      gdb_reads_import_stats *st, char *err, size_t errlen)
{
	gdb_store *s = NULL;
	gdb_cache *c = NULL;
	int rc;

	if (strcmp(a->kind, "bam"))
		return gdb_reads_import_fastq(
		    t, a->files[0], a->nfiles > 1 ? a->files[1] : NULL,
		    a->quals, a->quiet ? NULL : progress, NULL, st, err,
		    errlen);
	rc = gdb_store_open(a->store, 0, &s, err, errlen);
	if (rc == 0)
		rc = gdb_cache_create(s, REF_CACHE_BYTES, NULL, &c);
	if (rc == 0)
		rc = gdb_reads_import_bam(t, s, c, a->ref, a->files[0],
					  a->flags, a->quiet ? NULL : progress,
					  NULL, st, err, errlen);
	(void)target;
	gdb_cache_destroy(c);
	gdb_store_close(s);
	return rc;
}

int cmd_import_reads(int argc, char **argv)
{
	struct imp_args a;
	char target[GDB_NAME_MAX + 1], err[1024];
	gdb_provenance prov[2];
	tool_src *src[2] = {NULL, NULL};
	gdb_reads_import_stats st;
	gdb_txn *t = NULL;
	uint64_t gen = 0;
	double t0 = tool_now();
	int rc = EXIT_FAIL, k;

	if (tool_help_asked(argc, argv, import_valued)) {
		usage_import(stdout, argv[1]);
		return EXIT_OK;
	}
	if (parse_import(argc, argv, &a) < 0) {
		usage_import(stderr, argv[1]);
		return EXIT_USAGE;
	}
	if (gdb_reads_name_check(a.name, err, sizeof(err)) < 0) {
		tool_err("--%s %s", strcmp(a.kind, "bam") ? "set" : "sample",
			 err);
		return EXIT_USAGE;
	}
	memset(&st, 0, sizeof(st));
	snprintf(target, sizeof(target), "%s%s", GDB_READS_OBJECT_PREFIX,
		 a.name);
	if (tool_txn_begin(a.store, &t, err, sizeof(err)) < 0 ||
	    gdb_txn_object_begin(t, GDB_OBJECT_SECTIONS, target, err,
				 sizeof(err)) < 0) {
		tool_err("%s", strstr(err, "exists") ? "a reads object of that "
						       "name already exists"
						     : err);
		goto out;
	}
	err[0] = 0;
	k = run_import(&a, t, target, &st, err, sizeof(err));
	if (k < 0) {
		if (!a.quiet)
			fputc('\n', stderr);
		tool_err("%s", err[0] ? err : gdb_strerror(k));
		goto out;
	}
	for (int i = 0; i < a.nfiles; i++)
		if (source_prov(a.files[i], target, &prov[i], &src[i]) < 0)
			goto out;
	if (tool_commit(&t, prov, a.nfiles, &gen) < 0)
		goto out;
	if (!a.quiet)
		fprintf(stderr,
			"\rimported %s '%s' (generation %llu): %llu "
			"reads, %llu bases, %llu slices, %llu bytes stored "
			"(%.2f:1 vs uncompressed %s), %.1f s\n",
			a.kind, a.name, (unsigned long long)gen,
			(unsigned long long)st.records,
			(unsigned long long)st.bases,
			(unsigned long long)st.slices,
			(unsigned long long)st.stored_bytes,
			st.stored_bytes
			    ? (double)st.raw_bytes / (double)st.stored_bytes
			    : 0.0,
			strcmp(a.kind, "bam") ? "FASTQ" : "BAM records",
			tool_now() - t0);
	rc = EXIT_OK;
out:
	gdb_txn_abort(t);
	for (int i = 0; i < 2; i++)
		tool_src_close(src[i]);
	return rc;
}

static void usage_export(FILE *f, const char *kind)
{
	usage_two(f, kind,
		  "export bam|sam|cram STORE SAMPLE [REGION...] [-o FILE] "
		  "[--filter min-mapq=Q,flags-exclude=F]",
		  "export fastq STORE SET [-o FILE] [--mate 1|2]",
		  "  REGION as samtools (chr, chr:from-to); output to stdout "
		  "without -o.\n");
}

struct exp_args {
	const char *kind, *store, *name, *out, *filter;
	const char *regions[MAX_REGIONS];
	int nregions, mate;
};

static int parse_export(int argc, char **argv, struct exp_args *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i];
		if (!strcmp(o, "-o") && i + 1 < argc)
			a->out = argv[++i];
		else if (!strcmp(o, "--filter") && i + 1 < argc)
			a->filter = argv[++i];
		else if (!strcmp(o, "--mate") && i + 1 < argc)
			a->mate = atoi(argv[++i]);
		else if (o[0] == '-' && o[1])
			return -1;
		else if (!a->store)
			a->store = o;
		else if (!a->name)
			a->name = o;
		else if (a->nregions < MAX_REGIONS)
			a->regions[a->nregions++] = o;
		else
			return -1;
	}
	if (!a->store || !a->name || a->mate < 0 || a->mate > 2)
		return -1;
	return !strcmp(a->kind, "fastq") && (a->nregions || a->filter) ? -1 : 0;
}

static int run_export(const struct exp_args *a, gdb_reads *r, int fd, char *err,
		      size_t errlen)
{
	gdb_reads_filter f;
	int fmt;

	if (!strcmp(a->kind, "fastq"))
		return gdb_reads_fq_export(r, a->mate, fd, err, errlen);
	fmt = !strcmp(a->kind, "sam")	? GDB_READS_SAM
	      : !strcmp(a->kind, "bam") ? GDB_READS_BAM
					: GDB_READS_CRAM;
	gdb_reads_filter_init(&f);
	if (a->filter && gdb_reads_filter_parse(a->filter, &f, err, errlen) < 0)
		return GDB_EFORMAT;
	return gdb_reads_export(r, fmt, fd, a->regions, a->nregions, &f, err,
				errlen);
}

int cmd_export_reads(int argc, char **argv)
{
	struct exp_args a;
	gdb_store *s = NULL;
	gdb_cache *c = NULL;
	gdb_reads *r = NULL;
	gdb_reads_info info;
	char err[1024] = "";
	int fd = STDOUT_FILENO, rc = EXIT_FAIL, k;

	if (tool_help_asked(argc, argv, export_valued)) {
		usage_export(stdout, argv[1]);
		return EXIT_OK;
	}
	if (parse_export(argc, argv, &a) < 0) {
		usage_export(stderr, argv[1]);
		return EXIT_USAGE;
	}
	if (gdb_store_open(a.store, 0, &s, err, sizeof(err)) < 0 ||
	    gdb_cache_create(s, REF_CACHE_BYTES, NULL, &c) < 0) {
		tool_err("%s", err[0] ? err : "out of memory");
		goto out;
	}
	k = gdb_reads_open(s, c, a.name, &r, err, sizeof(err));
	if (k < 0) {
		tool_err("%s",
			 k == -ENOENT ? "no reads object of that name" : err);
		goto out;
	}
	gdb_reads_get_info(r, &info);
	if ((info.kind == GDB_READS_FASTQ) != !strcmp(a.kind, "fastq")) {
		tool_err("'%s' holds %s reads: export %s", a.name,
			 info.kind == GDB_READS_FASTQ ? "unaligned" : "aligned",
			 info.kind == GDB_READS_FASTQ ? "fastq"
						      : "bam|sam|cram");
		goto out;
	}
	if (a.out && (fd = open(a.out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				0644)) < 0) {
		tool_err("%s: %s", a.out, strerror(errno));
		goto out;
	}
	k = run_export(&a, r, fd, err, sizeof(err));
	if (k < 0)
		tool_err("export %s: %s", a.name,
			 err[0] ? err : gdb_strerror(k));
	else
		rc = EXIT_OK;
	if (a.out && close(fd) < 0 && rc == EXIT_OK) {
		tool_err("%s: %s", a.out, strerror(errno));
		rc = EXIT_FAIL;
	}
out:
	gdb_reads_close(r);
	gdb_cache_destroy(c);
	gdb_store_close(s);
	return rc;
}
