/*
 * graph/formats/biogrid.c - BioGRID TAB3 interaction files (tab-separated,
 * a header naming the columns). Rules: docs/GRAPH.md ("Import").
 */
#define _GNU_SOURCE
#include "graph/formats/formats.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int gf_detect_biogrid(const gf_head *h)
{
	return !h->xml && !strncmp(h->first, "#BioGRID Interaction ID", 23)
		   ? GF_SURE
		   : GF_NO;
}

static const char *const want[] = {
    "Official Symbol Interactor A",	  /* 0 */
    "Official Symbol Interactor B",	  /* 1 */
    "Entrez Gene Interactor A",		  /* 2 */
    "Entrez Gene Interactor B",		  /* 3 */
    "Systematic Name Interactor A",	  /* 4 */
    "Systematic Name Interactor B",	  /* 5 */
    "Synonyms Interactor A",		  /* 6 */
    "Synonyms Interactor B",		  /* 7 */
    "Experimental System",		  /* 8 */
    "Experimental System Type",		  /* 9 */
    "Publication Source",		  /* 10 */
    "Throughput",			  /* 11 */
    "Modification",			  /* 12 */
    "SWISS-PROT Accessions Interactor A", /* 13 */
    "SWISS-PROT Accessions Interactor B", /* 14 */
};
enum { NW = sizeof(want) / sizeof(want[0]) };

/* A row's fields by the wanted columns ("-" when the file lacks one). */
typedef struct row {
	char *f[128];
	int col[NW];
	char dash[2];
} row;

static char *col(row *r, int w)
{
	return r->col[w] >= 0 ? r->f[r->col[w]] : r->dash;
}

/* Interactor s (0: A, 1: B) as a node with its aliases. */
static int interactor(gf_imp *m, row *r, int s, uint32_t *id)
{
	const char *sym = col(r, 0 + s), *ent = col(r, 2 + s);
	const char *sys = col(r, 4 + s);
	const char *nm = strcmp(sym, "-") ? sym : strcmp(sys, "-") ? sys : ent;

	if (!*nm || !strcmp(nm, "-"))
		return gf_fail(m, "interactor %c has no name", 'A' + s);
	if (gf_node(m, nm, GDB_GRAPH_GENE, id) < 0 ||
	    gf_alias(m, *id, "entrez", ent) < 0 ||
	    gf_alias(m, *id, "systematic", sys) < 0)
		return -1;
	for (int list = 0; list < 2; list++) {
		char *v = list ? col(r, 13 + s) : col(r, 6 + s), *save = NULL;
		for (char *a = strtok_r(v, "|", &save); a;
		     a = strtok_r(NULL, "|", &save))
			if (gf_alias(m, *id, list ? "uniprot" : "synonym", a) <
			    0)
				return -1;
	}
	return 0;
}

static int interaction(gf_imp *m, row *r)
{
	uint32_t id[2], t;
	const char *mod, *type;
	char ev[1024], tl[256];
	size_t i;

	for (int s = 0; s < 2; s++)
		if (interactor(m, r, s, &id[s]) < 0)
			return -1;
	mod = col(r, 12);
	type = strcmp(mod, "-") ? mod : col(r, 9);
	if (!strcmp(type, "-"))
		type = "interaction";
	for (i = 0; type[i] && i + 1 < sizeof(tl); i++)
		tl[i] = (char)tolower((unsigned char)type[i]);
	tl[i] = 0;
	if (gf_type(m, tl, &t) < 0)
		return -1;
	snprintf(ev, sizeof(ev), "%s; %s; %s", col(r, 8), col(r, 10),
		 col(r, 11));
	return gf_edge(m, id[0], id[1], t, strcmp(mod, "-") != 0, 1.0, ev,
		       NULL);
}

int gf_parse_biogrid(gf_imp *m)
{
	char *h[128], *line, *header;
	row r = {.dash = "-"};
	int nh, rc;
	size_t len;

	if (gf_header(m, &header) < 0)
		return -1;
	nh = gf_split(header, '\t', h, 128);
	if (nh < 12 || strncmp(h[0], "#BioGRID Interaction ID", 23))
		return gf_fail(m, "expected a BioGRID TAB3 header");
	for (int w = 0; w < NW; w++) {
		r.col[w] = -1;
		for (int i = 0; i < nh; i++)
			if (!strcmp(h[i], want[w]))
				r.col[w] = i;
		if (w <= 3 && r.col[w] < 0)
			return gf_fail(m, "BioGRID header lacks '%s'", want[w]);
	}
	while ((rc = gf_next(m, &line, &len)) > 0) {
		int n;
		if (!len || line[0] == '#')
			continue;
		n = gf_split(line, '\t', r.f, 128);
		if (n != nh)
			return gf_fail(m, "expected %d columns, found %d", nh,
				       n < 0 ? 128 : n);
		if (interaction(m, &r) < 0)
			return -1;
	}
	return rc;
}
