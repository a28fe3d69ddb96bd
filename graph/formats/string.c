/*
 * graph/formats/string.c - STRING's files: protein links (links,
 * detailed, full, physical: blank-separated, a header naming the score
 * columns), actions (tab-separated modes), protein.info (preferred names)
 * and protein.aliases. Rules: docs/GRAPH.md ("Import").
 */
#define _GNU_SOURCE
#include "graph/formats/formats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ detection */

int gf_detect_string_links(const gf_head *h)
{
	return !h->xml && (!strncmp(h->first, "protein1 ", 9) ||
			   !strncmp(h->first, "protein1\t", 9))
		   ? GF_SURE
		   : GF_NO;
}

int gf_detect_string_actions(const gf_head *h)
{
	return !h->xml && !strncmp(h->first, "item_id_a\t", 10) ? GF_SURE
								: GF_NO;
}

static int names_proteins(const gf_head *h)
{
	return !h->xml && (strstr(h->first, "string_protein_id") ||
			   !strncmp(h->first, "protein_external_id", 19));
}

int gf_detect_string_aliases(const gf_head *h)
{
	return names_proteins(h) && strstr(h->first, "alias") ? GF_SURE : GF_NO;
}

int gf_detect_string_info(const gf_head *h)
{
	return names_proteins(h) && !strstr(h->first, "alias") &&
		       strstr(h->first, "preferred_name")
		   ? GF_SURE
		   : GF_NO;
}

/* --------------------------------------------------------------- links */

/* STRING ids are "<taxon>.<protein>": the species of the file. */
static int taxon_prefix(gf_imp *m, const char *id)
{
	char *end;
	unsigned long t = strtoul(id, &end, 10);

	if (end == id || *end != '.' || !t || t > 0x7fffffffu)
		return 0;
	return gf_species(m, (uint32_t)t, "STRING taxon prefix");
}

static int parse_score(gf_imp *m, const char *s, const char *col, uint32_t *v)
{
	char *end;
	unsigned long x;

	if (*s < '0' || *s > '9')
		return gf_fail(m, "%s: expected an integer score, found '%s'",
			       col, s);
	x = strtoul(s, &end, 10);
	if (*end || x > 1000)
		return gf_fail(m, "%s: score '%s' is not an integer in 0..1000",
			       col, s);
	*v = (uint32_t)x;
	return 0;
}

/* The links header: combined_score's column, the others as channels. */
typedef struct links_hdr {
	char *h[64];
	int nh, comb, chmap[64], nch;
} links_hdr;

/* The score channels: set by the first links file, the same in every
 * later one (a file without them would store zeros as its scores). */
static int links_channels(gf_imp *m, const links_hdr *L, const char **chn)
{
	char names[sizeof(m->links_chans)];
	size_t k = 0;
	int rc;

	names[0] = 0;
	for (int i = 0; i < L->nch && k < sizeof(names); i++)
		k += (size_t)snprintf(names + k, sizeof(names) - k, "%s%s",
				      i ? " " : "", chn[i]);
	if (m->links_seen) {
		if (strcmp(names, m->links_chans))
			return gf_fail(m,
				       "score columns '%s' differ from an "
				       "earlier file's '%s'",
				       names, m->links_chans);
		return 0;
	}
	rc = gdb_graph_channels_set(m->b, (unsigned)L->nch, chn);
	if (rc == -EINVAL && L->nch)
		return gf_fail(m,
			       "score columns '%s' after edges of an "
			       "earlier file that has none",
			       names);
	if (rc < 0 && rc != -EINVAL)
		return gf_oom(m);
	m->links_seen = 1;
	snprintf(m->links_chans, sizeof(m->links_chans), "%s", names);
	return 0;
}

static int links_header(gf_imp *m, char *header, links_hdr *L)
{
	const char *chn[GDB_GRAPH_MAX_CHANNELS];

	L->nh = gf_split(header, ' ', L->h, 64);
	L->comb = -1;
	L->nch = 0;
	if (L->nh < 3 || strcmp(L->h[0], "protein1") ||
	    strcmp(L->h[1], "protein2"))
		return gf_fail(m, "expected a STRING header 'protein1 protein2 "
				  "... combined_score'");
	for (int i = 2; i < L->nh; i++) {
		L->chmap[i] = -1;
		if (!strcmp(L->h[i], "combined_score")) {
			L->comb = i;
		} else {
			if (L->nch == (int)GDB_GRAPH_MAX_CHANNELS)
				return gf_fail(m, "more than %u score columns",
					       GDB_GRAPH_MAX_CHANNELS);
			L->chmap[i] = L->nch;
			chn[L->nch++] = L->h[i];
		}
	}
	if (L->comb < 0)
		return gf_fail(m, "no combined_score column");
	return links_channels(m, L, chn);
}

int gf_parse_string_links(gf_imp *m)
{
	char *f[64], *line, *header;
	links_hdr L;
	uint32_t t;
	size_t len;
	int rc, first = 1;

	if (gf_header(m, &header) < 0 || links_header(m, header, &L) < 0 ||
	    gf_type(m, "association", &t) < 0)
		return -1;
	while ((rc = gf_next(m, &line, &len)) > 0) {
		uint16_t ch[GDB_GRAPH_MAX_CHANNELS];
		uint32_t a, b, v = 0, cs = 0;
		int n;
		if (!len)
			continue;
		n = gf_split(line, ' ', f, 64);
		if (n != L.nh)
			return gf_fail(m, "expected %d columns, found %d", L.nh,
				       n < 0 ? 64 : n);
		for (int i = 2; i < n; i++) {
			if (parse_score(m, f[i], L.h[i], &v) < 0)
				return -1;
			if (i == L.comb)
				cs = v;
			else
				ch[L.chmap[i]] = (uint16_t)v;
		}
		if (first && taxon_prefix(m, f[0]) < 0)
			return -1;
		first = 0;
		if (gf_node(m, f[0], GDB_GRAPH_PROTEIN, &a) < 0 ||
		    gf_node(m, f[1], GDB_GRAPH_PROTEIN, &b) < 0 ||
		    gf_edge(m, a, b, t, 0, cs / 1000.0, NULL,
			    L.nch ? ch : NULL) < 0)
			return -1;
	}
	return rc;
}

/* ------------------------------------------------------------- actions */

int gf_parse_string_actions(gf_imp *m)
{
	char *h[16], *f[16], *line, *header;
	size_t len;
	int nh, rc;

	if (gf_header(m, &header) < 0)
		return -1;
	nh = gf_split(header, '\t', h, 16);
	if (nh < 7 || strcmp(h[0], "item_id_a") || strcmp(h[2], "mode") ||
	    strcmp(h[4], "is_directional") || strcmp(h[6], "score"))
		return gf_fail(m, "expected STRING actions columns item_id_a "
				  "item_id_b mode action is_directional "
				  "a_is_acting score");
	while ((rc = gf_next(m, &line, &len)) > 0) {
		uint32_t a, b, t, v = 0;
		int n, dir, acting;
		if (!len)
			continue;
		n = gf_split(line, '\t', f, 16);
		if (n != nh)
			return gf_fail(m, "expected %d columns, found %d", nh,
				       n < 0 ? 16 : n);
		if (parse_score(m, f[6], "score", &v) < 0)
			return -1;
		dir = !strcmp(f[4], "t");
		acting = !strcmp(f[5], "t");
		if (dir && !acting)
			continue; /* the line with b acting says it */
		if (gf_node(m, f[0], GDB_GRAPH_PROTEIN, &a) < 0 ||
		    gf_node(m, f[1], GDB_GRAPH_PROTEIN, &b) < 0 ||
		    gf_type(m, *f[3] ? f[3] : f[2], &t) < 0 ||
		    gf_edge(m, a, b, t, dir, v / 1000.0, f[2], NULL) < 0)
			return -1;
	}
	return rc;
}

/* ------------------------------------------------------ info, aliases */

int gf_parse_string_info(gf_imp *m)
{
	char *line, *f[8];
	size_t len;
	int rc;

	while ((rc = gf_next(m, &line, &len)) > 0) {
		int n, id;
		char *dot;
		if (!len || line[0] == '#')
			continue;
		n = gf_split(line, '\t', f, 8);
		if (n < 2)
			return gf_fail(m, "expected 'protein<TAB>preferred_name"
					  "...' (STRING protein.info)");
		id = gdb_graph_node_find(m->b, f[0]);
		if (id < 0)
			continue; /* not in the links */
		if (*f[1] && strcmp(f[1], f[0])) {
			rc = gdb_graph_node_rename(m->b, (uint32_t)id, "string",
						   f[1]);
			if (rc == -EEXIST)
				rc = gdb_graph_node_alias_add(
				    m->b, (uint32_t)id, "preferred_name", f[1]);
			if (rc < 0)
				return gf_bfail(m, rc, "preferred name");
		}
		dot = strchr(f[0], '.');
		if (dot && dot[1] &&
		    gf_alias(m, (uint32_t)id, "ensembl", dot + 1) < 0)
			return -1;
	}
	return rc;
}

int gf_parse_string_aliases(gf_imp *m)
{
	char *line, *f[8], ns[256];
	size_t len;
	int rc;

	while ((rc = gf_next(m, &line, &len)) > 0) {
		int n, id;
		if (!len || line[0] == '#')
			continue;
		n = gf_split(line, '\t', f, 8);
		if (n < 2)
			return gf_fail(m, "expected 'protein<TAB>alias<TAB>"
					  "source' (STRING aliases)");
		id = gdb_graph_node_find(m->b, f[0]);
		if (id < 0)
			continue;
		snprintf(ns, sizeof(ns), "%s", n > 2 ? f[2] : "");
		/* v11 lists several sources separated by blanks. */
		for (char *p = ns; *p; p++)
			if (*p == ' ')
				*p = ',';
		if (gf_alias(m, (uint32_t)id, ns, gf_trim(f[1])) < 0)
			return -1;
	}
	return rc;
}
