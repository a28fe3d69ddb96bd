/*
 * tools/import_vcf.c - `genomedb import vcf` and `genomedb export vcf`:
 * command-line parsing around variants/variants.h, which does the work
 * (htslib reads and writes the VCF/BCF bytes). The import is one
 * transaction: any error leaves the store as it was.
 */
#include "tools/tools.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "variants/variants.h"

static void usage_import(FILE *f)
{
	fprintf(f,
		"usage: genomedb import vcf STORE --set NAME --reference ASM "
		"FILE [--panel PANEL]\n"
		"                           [--allow-ref-mismatch] [--replace] "
		"[--quiet]\n"
		"  FILE: .vcf, .vcf.gz, .vcf.bgz or .bcf (htslib reads it); "
		"contigs must be in ASM.\n"
		"  PANEL: sample<TAB>pop<TAB>super_pop (1000 Genomes .panel) "
		"or sample<TAB>population.\n");
}

struct prog {
	const char *path;
	int on;
	double t0, last;
};

static void progress(void *arg, uint64_t done, uint64_t total, uint64_t records)
{
	struct prog *p = arg;
	double now = tool_now();

	if (!p->on || (done < total && now - p->last < 0.25))
		return;
	p->last = now;
	fprintf(stderr, "\rimporting %s: %3.0f%%  %llu records   ", p->path,
		total ? 100.0 * (double)done / (double)total : 100.0,
		(unsigned long long)records);
	if (done >= total)
		fputc('\n', stderr);
}

/* SHA-256 and size of the file's bytes on disk, for provenance. */
static int hash_file(const char *path, gdb_provenance *p)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	unsigned char buf[1 << 16];
	ssize_t n;

	if (fd < 0 || !x) {
		if (fd >= 0)
			close(fd);
		EVP_MD_CTX_free(x);
		return -1;
	}
	EVP_DigestInit_ex(x, EVP_sha256(), NULL);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(x, buf, (size_t)n);
		p->source_bytes += (uint64_t)n;
	}
	EVP_DigestFinal_ex(x, p->sha256, NULL);
	EVP_MD_CTX_free(x);
	close(fd);
	return n < 0 ? -1 : 0;
}

static void summary(const char *set, const gdb_vcf_import_stats *st,
		    uint64_t gen)
{
	fprintf(stderr,
		"imported %s: %llu records, %u samples (%u unassigned, %u "
		"populations), %llu chunks, %llu bytes; generation %llu\n",
		set, (unsigned long long)st->records, st->samples,
		st->unassigned, st->populations, (unsigned long long)st->chunks,
		(unsigned long long)st->stored_bytes, (unsigned long long)gen);
	if (st->header_added)
		fprintf(stderr,
			"warning: %llu header lines added by htslib "
			"(contigs or keys used but not declared)\n",
			(unsigned long long)st->header_added);
	if (st->number_mismatch)
		fprintf(stderr,
			"warning: %llu INFO values whose count "
			"disagrees with the header's Number (kept as "
			"read)\n",
			(unsigned long long)st->number_mismatch);
	if (st->ref_mismatches)
		fprintf(stderr,
			"warning: %llu REF alleles differ from the "
			"reference (kept as read)\n",
			(unsigned long long)st->ref_mismatches);
}

/* The options that take a value (tool_help_asked). */
static const char *const import_valued[] = {"--set", "--reference", "--panel",
					    NULL};
static const char *const export_valued[] = {"-O", "-o", NULL};

int cmd_import_vcf(int argc, char **argv)
{
	gdb_vcf_import_opts o = {0};
	gdb_vcf_import_stats st;
	const char *store = NULL, *file = NULL;
	struct prog pg = {0};
	gdb_store *s = NULL;
	gdb_txn *t = NULL;
	gdb_provenance prov = {0};
	char err[1024] = "", target[GDB_NAME_MAX + 16];
	uint64_t gen = 0;
	int quiet = 0, rc;

	if (tool_help_asked(argc, argv, import_valued)) {
		usage_import(stdout);
		return EXIT_OK;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--set") && i + 1 < argc)
			o.set = argv[++i];
		else if (!strcmp(argv[i], "--reference") && i + 1 < argc)
			o.reference = argv[++i];
		else if (!strcmp(argv[i], "--panel") && i + 1 < argc)
			o.panel = argv[++i];
		else if (!strcmp(argv[i], "--allow-ref-mismatch"))
			o.allow_ref_mismatch = 1;
		else if (!strcmp(argv[i], "--quiet"))
			quiet = 1;
		else if (argv[i][0] == '-' && argv[i][1]) {
			usage_import(stderr);
			return EXIT_USAGE;
		} else if (!store)
			store = argv[i];
		else if (!file)
			file = argv[i];
		else {
			usage_import(stderr);
			return EXIT_USAGE;
		}
	}
	if (!store || !file || !o.set || !o.reference) {
		usage_import(stderr);
		return EXIT_USAGE;
	}
	if (!gdb_name_ok(o.set, GDB_NAME_MAX - 16)) {
		tool_err("--set %s: 1-239 bytes, no blanks, '/', ',' or "
			 "control characters, not starting with '.' or '@'",
			 o.set);
		return EXIT_USAGE;
	}
	pg.path = file;
	pg.on = !quiet && isatty(2);
	pg.t0 = pg.last = tool_now();
	o.progress = progress;
	o.progress_arg = &pg;
	if (gdb_store_open(store, 0, &s, err, sizeof(err)) < 0) {
		tool_err("%s", err);
		return EXIT_FAIL;
	}
	if (tool_txn_begin(store, &t, err, sizeof(err)) < 0) {
		tool_err("%s", err);
		gdb_store_close(s);
		return EXIT_FAIL;
	}
	rc = gdb_vcf_import(t, s, file, &o, &st, err, sizeof(err));
	if (rc == 0 && hash_file(file, &prov) < 0) {
		snprintf(err, sizeof(err), "%s: cannot read it again", file);
		rc = -EIO;
	}
	if (rc < 0) {
		gdb_txn_abort(t);
		gdb_store_close(s);
		tool_err("%s", err);
		return EXIT_FAIL;
	}
	snprintf(target, sizeof(target), GDB_VSET_PREFIX "%s", o.set);
	prov.target = target;
	prov.source = file;
	prov.command = tool_cmdline ? tool_cmdline : "genomedb import vcf";
	{
		const char *sde = getenv("SOURCE_DATE_EPOCH");
		prov.time = sde ? strtoll(sde, NULL, 10) : (int64_t)time(NULL);
	}
	rc = tool_commit(&t, &prov, 1, &gen);
	gdb_store_close(s);
	if (rc < 0)
		return EXIT_FAIL;
	if (!quiet)
		summary(o.set, &st, gen);
	return EXIT_OK;
}

/* "contig", "contig:from-to" (1-based inclusive) of a set. */
static int parse_region(const gdb_vset *v, const char *text, gdb_vregion *r)
{
	const char *colon = strrchr(text, ':');
	char name[GDB_NAME_MAX + 1];
	int c = gdb_vset_contig_find(v, text);
	long long a, b;
	char *end;

	r->beg = 0;
	r->end = INT64_MAX;
	if (c >= 0) {
		r->contig = c;
		return 0;
	}
	if (!colon || (size_t)(colon - text) > GDB_NAME_MAX)
		return -1;
	memcpy(name, text, (size_t)(colon - text));
	name[colon - text] = 0;
	if ((c = gdb_vset_contig_find(v, name)) < 0)
		return -1;
	a = strtoll(colon + 1, &end, 10);
	b = *end == '-' ? strtoll(end + 1, &end, 10) : INT64_MAX;
	if (*end || a < 1 || b < a)
		return -1;
	r->contig = c;
	r->beg = a - 1;
	r->end = b;
	return 0;
}

static const char export_usage[] =
    "usage: genomedb export vcf STORE SET [REGION...] [-O v|z|b] [-o FILE]\n"
    "  the set's records (all, or those whose POS is in a REGION: contig,\n"
    "  contig:from-to, as samtools) written by htslib: -O v VCF (default),\n"
    "  z bgzipped VCF, b BCF; to stdout without -o\n";

int cmd_export_vcf(int argc, char **argv)
{
	const char *store = NULL, *set = NULL, *out = "-";
	enum gdb_vfmt fmt = GDB_VF_VCF;
	gdb_vregion *r = calloc((size_t)argc + 1, sizeof(*r));
	char **texts = calloc((size_t)argc + 1, sizeof(char *));
	size_t nr = 0;
	gdb_store *s = NULL;
	gdb_cache *c = NULL;
	gdb_vset *v = NULL;
	char err[1024] = "";
	int rc = EXIT_FAIL;

	if (tool_help_asked(argc, argv, export_valued)) {
		printf("%s", export_usage);
		rc = EXIT_OK;
		goto out;
	}
	if (!r || !texts)
		goto out;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-O") && i + 1 < argc) {
			const char *f = argv[++i];
			fmt = !strcmp(f, "v")	? GDB_VF_VCF
			      : !strcmp(f, "z") ? GDB_VF_VCFGZ
			      : !strcmp(f, "b") ? GDB_VF_BCF
						: GDB_VF_SITES;
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out = argv[++i];
		} else if (!store) {
			store = argv[i];
		} else if (!set) {
			set = argv[i];
		} else {
			texts[nr++] = argv[i];
		}
	}
	if (!store || !set || fmt == GDB_VF_SITES) {
		fputs(export_usage, stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (gdb_store_open(store, 0, &s, err, sizeof(err)) < 0 ||
	    gdb_cache_create(s, 64u << 20, NULL, &c) < 0 ||
	    gdb_vset_open(s, c, set, &v, err, sizeof(err)) < 0) {
		tool_err("%s", err[0] ? err : "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nr; i++)
		if (parse_region(v, texts[i], &r[i]) < 0) {
			tool_err("%s: not a contig of set %s or a region "
				 "contig:from-to",
				 texts[i], set);
			rc = EXIT_USAGE;
			goto out;
		}
	if (nr == 0) {
		r[0].contig = -1;
		r[0].end = INT64_MAX;
		nr = 1;
	}
	if (gdb_vset_export(v, out, fmt, r, nr, err, sizeof(err)) < 0) {
		tool_err("%s", err);
		goto out;
	}
	rc = EXIT_OK;
out:
	gdb_vset_close(v);
	gdb_cache_destroy(c);
	gdb_store_close(s);
	free(r);
	free(texts);
	return rc;
}
