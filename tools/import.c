/*
 * tools/import.c - `genomedb import TYPE ...`: one table of import types
 * (adding a type is one line), and the options every type shares.
 */
#include "tools/tools.h"

#include <stdlib.h>
#include <string.h>

static const struct import_type {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
} types[] = {
    {"fasta", cmd_import_fasta, "an assembly (plain, gzip or bgzip FASTA)"},
    {"graph", cmd_import_graph,
     "a network (SIF, STRING, BioGRID, KGML, SBML, GMT, TSV)"},
    {"motifs", cmd_import_motifs, "a motif set (JASPAR, MEME)"},
    {"vcf", cmd_import_vcf, "a variant set (VCF, VCF.gz, BCF; htslib)"},
    {"annotations", cmd_import_annotations,
     "an annotation set (GFF3, GTF, BED)"},
    {"bam", cmd_import_reads,
     "a sample's aligned reads (sorted SAM, BAM or CRAM)"},
    {"fastq", cmd_import_reads, "a set of reads (FASTQ, single or paired)"},
};

#define NTYPES (sizeof(types) / sizeof(types[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: genomedb import TYPE STORE ... [--replace]\n");
	for (size_t i = 0; i < NTYPES; i++)
		fprintf(f, "  %-8s %s\n", types[i].name, types[i].what);
	fprintf(f, "  --replace  replace an existing entry of the same name in "
		   "one commit\n"
		   "`genomedb import TYPE --help` for each type's options.\n");
}

/* Take --replace out of argv (every type shares it); @return new argc. */
static int take_replace(int argc, char **argv)
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--replace"))
			tool_txn_flags |= GDB_TXN_REPLACE;
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

int cmd_import(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	for (size_t i = 0; i < NTYPES; i++)
		if (!strcmp(argv[1], types[i].name))
			return types[i].fn(take_replace(argc, argv), argv);
	{
		char known[256] = "";
		for (size_t i = 0; i < NTYPES; i++)
			snprintf(known + strlen(known),
				 sizeof(known) - strlen(known), "%s%s",
				 i ? ", " : "", types[i].name);
		usage(stderr);
		tool_err("import: unknown type '%s' (known types: %s)", argv[1],
			 known);
	}
	return EXIT_USAGE;
}
