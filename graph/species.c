/*
 * graph/species.c - the species a network's names belong to: what
 * `--species` accepts (a taxon id, a common or scientific name, a KEGG
 * organism code) normalised to an NCBI taxon id where this table knows
 * one, and the names a taxon id is shown with. Networks of different
 * species never join (docs/GRAPH.md "Joining networks").
 */
#define _GNU_SOURCE
#include "graph/graph_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	uint32_t taxon;
	const char *name;      /* scientific name, as shown */
	const char *kegg;      /* KEGG organism code */
	const char *common[3]; /* other names accepted */
} species[] = {
    {9606, "Homo sapiens", "hsa", {"human", NULL}},
    {10090, "Mus musculus", "mmu", {"mouse", NULL}},
    {10116, "Rattus norvegicus", "rno", {"rat", NULL}},
    {7955, "Danio rerio", "dre", {"zebrafish", NULL}},
    {7227, "Drosophila melanogaster", "dme", {"fly", "fruit fly", NULL}},
    {6239, "Caenorhabditis elegans", "cel", {"worm", "c. elegans", NULL}},
    {4932,
     "Saccharomyces cerevisiae",
     "sce",
     {"yeast", "budding yeast", "s. cerevisiae"}},
    {4896, "Schizosaccharomyces pombe", "spo", {"fission yeast", NULL}},
    {3702, "Arabidopsis thaliana", "ath", {"arabidopsis", NULL}},
    {562, "Escherichia coli", NULL, {"e. coli", NULL}},
    {511145,
     "Escherichia coli K-12 MG1655",
     "eco",
     {"e. coli k-12", "e. coli mg1655", NULL}},
    {99287, "Salmonella enterica serovar Typhimurium LT2", "stm", {NULL}},
    {9913, "Bos taurus", "bta", {"cow", "cattle", NULL}},
    {9031, "Gallus gallus", "gga", {"chicken", NULL}},
    {9823, "Sus scrofa", "ssc", {"pig", NULL}},
    {9615, "Canis lupus familiaris", "cfa", {"dog", NULL}},
    {8364, "Xenopus tropicalis", "xtr", {"xenopus", NULL}},
    {9544, "Macaca mulatta", "mcc", {"rhesus macaque", NULL}},
};
#define NSPECIES (sizeof(species) / sizeof(species[0]))

const char *gdb_graph_species_name(uint32_t taxon)
{
	for (size_t i = 0; i < NSPECIES; i++)
		if (species[i].taxon == taxon)
			return species[i].name;
	return NULL;
}

int gdb_graph_species_kegg(const char *org, uint32_t *taxon)
{
	for (size_t i = 0; i < NSPECIES; i++)
		if (species[i].kegg && !strcmp(species[i].kegg, org)) {
			*taxon = species[i].taxon;
			return 0;
		}
	return -ENOENT;
}

/* Trimmed text without case to compare names ("Homo  sapiens"). */
static int same_name(const char *a, const char *b)
{
	while (*a && *b) {
		if (isspace((unsigned char)*a) && isspace((unsigned char)*b)) {
			while (isspace((unsigned char)*a))
				a++;
			while (isspace((unsigned char)*b))
				b++;
			continue;
		}
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		a++;
		b++;
	}
	return !*a && !*b;
}

int gdb_graph_species_parse(const char *text, uint32_t *taxon, char *label,
			    size_t labelen)
{
	char *end;
	unsigned long v;

	*taxon = 0;
	if (!text || !*text || strlen(text) > 255 || strchr(text, '\t') ||
	    strchr(text, '\n'))
		return -EINVAL;
	if (isdigit((unsigned char)*text)) {
		v = strtoul(text, &end, 10);
		if (*end || !v || v > 0x7fffffffu)
			return -EINVAL;
		*taxon = (uint32_t)v;
		snprintf(label, labelen, "%s",
			 gdb_graph_species_name(*taxon)
			     ? gdb_graph_species_name(*taxon)
			     : "");
		return 0;
	}
	for (size_t i = 0; i < NSPECIES; i++) {
		int hit = same_name(text, species[i].name) ||
			  (species[i].kegg && !strcmp(text, species[i].kegg));
		for (int k = 0; k < 3 && species[i].common[k] && !hit; k++)
			hit = same_name(text, species[i].common[k]);
		if (hit) {
			*taxon = species[i].taxon;
			snprintf(label, labelen, "%s", species[i].name);
			return 0;
		}
	}
	snprintf(label, labelen, "%s", text); /* a name we do not know */
	return 0;
}
