/*
 * graph/formats/tabular.c - the plain-text network formats: SIF
 * (Cytoscape's simple interaction format), GMT (gene sets) and the
 * generic TSV edge list with its column mapping. Rules: docs/GRAPH.md
 * ("Import", the format table).
 */
#define _GNU_SOURCE
#include "graph/formats/formats.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ----------------------------------------------------------------- SIF */

static int undirected_type(const char *t)
{
	static const char *const u[] = {
		"pp",	    "ppi",	   "interacts",	   "interacts_with",
		"interacts-with", "binding", "association", "physical",
		"genetic",  "coexpression", "co-expression", "in-complex-with",
		"neighbor-of", "gi",	   "interaction", "complex",
	};

	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (!strcasecmp(t, u[i]))
			return 1;
	return 0;
}

/* One SIF line of n fields: "a type b c ...", or a lone node. */
static int sif_line(gf_imp *m, char **f, int n)
{
	uint32_t a, b, t;
	int directed;

	for (int i = 0; i < n; i++)
		f[i] = gf_trim(f[i]);
	if (n == 1)
		return gf_node(m, f[0], GDB_GRAPH_GENE, &a);
	if (n == 2)
		return gf_fail(m, "expected 'source type target...', found 2 "
			       "fields");
	if (!*f[0] || !*f[1])
		return gf_fail(m, "empty source or type");
	if (gf_node(m, f[0], GDB_GRAPH_GENE, &a) < 0 || gf_type(m, f[1], &t) < 0)
		return -1;
	directed = m->directed >= 0 ? m->directed : !undirected_type(f[1]);
	for (int i = 2; i < n; i++) {
		if (!*f[i])
			return gf_fail(m, "empty target (field %d)", i + 1);
		if (gf_node(m, f[i], GDB_GRAPH_GENE, &b) < 0 ||
		    gf_edge(m, a, b, t, directed, 1.0, NULL, NULL) < 0)
			return -1;
	}
	return 0;
}

int gf_parse_sif(gf_imp *m)
{
	char *line, **f = malloc(GF_MAX_FIELDS * sizeof(*f));
	size_t len;
	int rc;

	if (!f)
		return gf_oom(m);
	while ((rc = gf_next(m, &line, &len)) > 0) {
		int n;
		if (!len || line[0] == '#')
			continue;
		n = gf_split(line, strchr(line, '\t') ? '\t' : ' ', f,
			     GF_MAX_FIELDS);
		if (n < 0) {
			rc = gf_fail(m, "more than %d fields", GF_MAX_FIELDS);
			break;
		}
		while (n > 0 && !*f[n - 1])
			n--;
		if (n && (rc = sif_line(m, f, n)) < 0)
			break;
	}
	free(f);
	return rc;
}

/* ----------------------------------------------------------------- GMT */

int gf_parse_gmt(gf_imp *m)
{
	char *line, **f = malloc(GF_MAX_FIELDS * sizeof(*f));
	size_t len;
	int rc;
	uint32_t sets = 0;

	if (!f)
		return gf_oom(m);
	while ((rc = gf_next(m, &line, &len)) > 0) {
		int n;
		uint32_t pid, id;
		if (!len || line[0] == '#')
			continue;
		n = gf_split(line, '\t', f, GF_MAX_FIELDS);
		if (n < 0) {
			rc = gf_fail(m, "gene set with more than %d genes",
				     GF_MAX_FIELDS - 2);
			break;
		}
		if (n < 2 || !*gf_trim(f[0])) {
			rc = gf_fail(m, "expected 'name<TAB>description<TAB>"
				     "gene...' (GMT)");
			break;
		}
		rc = gdb_graph_pathway_add(m->b, gf_trim(f[0]), f[1], &pid);
		if (rc < 0) {
			rc = gf_bfail(m, rc, "gene set name");
			break;
		}
		for (int i = 2; i < n && rc >= 0; i++) {
			char *gname = gf_trim(f[i]);
			if (!*gname)
				continue;
			rc = gf_node(m, gname, GDB_GRAPH_GENE, &id);
			if (rc == 0 && (rc = gdb_graph_pathway_member_add(
						m->b, pid, id)) < 0)
				rc = gf_bfail(m, rc, "member");
		}
		if (rc < 0)
			break;
		sets++;
	}
	free(f);
	if (rc == 0 && !sets)
		return gf_fail(m, "no gene sets found");
	return rc;
}

/* ----------------------------------------------------------------- TSV */

static int col_index(gf_imp *m, char **h, int nh, const char *name)
{
	for (int i = 0; i < nh; i++)
		if (!strcmp(h[i], name))
			return i + 1;
	return gf_fail(m, "--columns: no column named '%s' in the header",
		       name);
}

static int parse_bool(const char *s, int *v)
{
	if (!strcasecmp(s, "true") || !strcmp(s, "1") || !strcasecmp(s, "yes") ||
	    !strcasecmp(s, "directed") || !strcasecmp(s, "t"))
		*v = 1;
	else if (!strcasecmp(s, "false") || !strcmp(s, "0") ||
		 !strcasecmp(s, "no") || !strcasecmp(s, "undirected") ||
		 !strcasecmp(s, "f"))
		*v = 0;
	else
		return -1;
	return 0;
}

/* The header row: columns named in the spec become numbers. */
static int tsv_header(gf_imp *m, char *line, char **f, int n)
{
	gf_cols *c = &m->cols;
	int *slot[6] = {&c->src, &c->dst, &c->type, &c->conf, &c->dir, &c->evid};

	if (line[0] == '#')
		f[0]++;
	for (int k = 0; k < 6; k++)
		if (c->names[k]) {
			int i = col_index(m, f, n, c->names[k]);
			if (i < 0)
				return -1;
			*slot[k] = i;
		}
	return 0;
}

/* One data row of n fields. */
static int tsv_row(gf_imp *m, char **f, int n, uint32_t deft)
{
	gf_cols *c = &m->cols;
	int need = 0, dir = m->directed > 0;
	int cols[6] = {c->src, c->dst, c->type, c->conf, c->dir, c->evid};
	uint32_t a, b, t = deft;
	double conf = 1.0;
	const char *ev = NULL;

	for (int k = 0; k < 6; k++)
		if (cols[k] > need)
			need = cols[k];
	if (n < need)
		return gf_fail(m, "expected at least %d columns, found %d",
			       need, n);
	for (int i = 0; i < n; i++)
		f[i] = gf_trim(f[i]);
	if (!*f[c->src - 1] || !*f[c->dst - 1])
		return gf_fail(m, "empty source or target");
	if (c->type && *f[c->type - 1] && gf_type(m, f[c->type - 1], &t) < 0)
		return -1;
	if (c->conf) {
		char *end;
		conf = strtod(f[c->conf - 1], &end);
		if (!*f[c->conf - 1] || *end || !(conf >= 0 && conf <= 1))
			return gf_fail(m, "confidence '%s' is not a number in "
				       "[0,1]", f[c->conf - 1]);
	}
	if (c->dir && parse_bool(f[c->dir - 1], &dir) < 0)
		return gf_fail(m, "directed: expected true/false, found '%s'",
			       f[c->dir - 1]);
	if (c->evid)
		ev = f[c->evid - 1];
	if (gf_node(m, f[c->src - 1], GDB_GRAPH_GENE, &a) < 0 ||
	    gf_node(m, f[c->dst - 1], GDB_GRAPH_GENE, &b) < 0)
		return -1;
	return gf_edge(m, a, b, t, dir, conf, ev, NULL);
}

int gf_parse_tsv(gf_imp *m)
{
	char *line, **f = malloc(GF_MAX_FIELDS * sizeof(*f));
	size_t len;
	int rc, first = 1, header = m->cols.header > 0;
	uint32_t deft;

	if (!f)
		return gf_oom(m);
	if (gf_type(m, m->deftype ? m->deftype : "interaction", &deft) < 0) {
		free(f);
		return -1;
	}
	while ((rc = gf_next(m, &line, &len)) > 0) {
		int n;
		if (!len || (line[0] == '#' && !(first && header)))
			continue;
		n = gf_split(line, '\t', f, GF_MAX_FIELDS);
		if (n < 0) {
			rc = gf_fail(m, "more than %d columns", GF_MAX_FIELDS);
			break;
		}
		if (first && header) {
			first = 0;
			if ((rc = tsv_header(m, line, f, n)) < 0)
				break;
			continue;
		}
		first = 0;
		if ((rc = tsv_row(m, f, n, deft)) < 0)
			break;
	}
	free(f);
	return rc;
}
