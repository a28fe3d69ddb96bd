/*
 * graph/formats/sbml.c - SBML models (Level 3 with the FBC v2 and groups
 * packages): species, gene products and reactions become nodes,
 * reactant/product/catalysis links become edges, the model and each group
 * (subsystem) pathways. Rules: docs/GRAPH.md ("Import", SBML row).
 */
#define _GNU_SOURCE
#include "graph/formats/formats.h"

#include <errno.h>
#include <string.h>

int gf_detect_sbml(const gf_head *h)
{
	return h->xml && memmem(h->p, h->xn, "<sbml", 5) ? GF_SURE : GF_NO;
}

typedef struct sbml {
	gf_imp *m;
	gf_xdoc d;
	uint32_t model;	     /* element index of <model> */
	uint32_t pid;	     /* the model's pathway */
	uint32_t tr, tp, tc; /* reactant, product, catalysis */
} sbml;

static int species(sbml *s, uint32_t e)
{
	gf_imp *m = s->m;
	const char *id = gf_xget(&s->d, e, "id"),
		   *nm = gf_xget(&s->d, e, "name");
	uint32_t nid;

	if (!id || !*id)
		return gf_fail(m, "<species> without id");
	if (gf_node(m, id, GDB_GRAPH_COMPOUND, &nid) < 0)
		return -1;
	return nm ? gf_alias(m, nid, "name", nm) : 0;
}

static int gene_product(sbml *s, uint32_t e)
{
	gf_imp *m = s->m;
	const char *label = gf_xget(&s->d, e, "label");
	const char *id = gf_xget(&s->d, e, "id"),
		   *nm = gf_xget(&s->d, e, "name");
	const char *disp;
	uint32_t nid;

	if (!id || !*id)
		return gf_fail(m, "<geneProduct> without id");
	disp = nm && *nm ? nm : label && *label ? label : id;
	if (gf_node(m, disp, GDB_GRAPH_GENE, &nid) < 0 ||
	    gf_alias(m, nid, "sbml", id) < 0 ||
	    (label && gf_alias(m, nid, "label", label) < 0))
		return -1;
	if (gdb_graph_pathway_member_add(m->b, s->pid, nid) < 0)
		return gf_oom(m);
	return 0;
}

/* A reactant or product of reaction rnode (id rid). */
static int species_ref(sbml *s, uint32_t c, const char *rid, uint32_t rnode,
		       int reversible)
{
	gf_imp *m = s->m;
	const char *sp = gf_xget(&s->d, c, "species");
	const char *par = s->d.el[s->d.el[c].parent].name;
	int n, prod = !strcmp(par, "listOfProducts");

	if (!sp)
		return gf_fail(m, "<speciesReference> without species");
	n = gdb_graph_node_find(m->b, sp);
	if (n < 0)
		return gf_fail(m, "reaction %s refers to unknown species %s",
			       rid, sp);
	return gf_edge(m, prod ? rnode : (uint32_t)n,
		       prod ? (uint32_t)n : rnode, prod ? s->tp : s->tr,
		       !reversible, 1.0, NULL, NULL);
}

static int reaction(sbml *s, uint32_t e)
{
	gf_imp *m = s->m;
	const gf_xdoc *d = &s->d;
	const char *id = gf_xget(d, e, "id"),
		   *rev = gf_xget(d, e, "reversible");
	const char *name = gf_xget(d, e, "name");
	uint32_t rnode;
	int reversible = !rev || !strcmp(rev, "true");

	if (!id || !*id)
		return gf_fail(m, "<reaction> without id");
	if (gf_node(m, id, GDB_GRAPH_REACTION, &rnode) < 0 ||
	    (name && gf_alias(m, rnode, "name", name) < 0))
		return -1;
	for (uint32_t c = e + 1; c < d->el[e].end; c++) {
		m->line = d->el[c].line;
		if (!strcmp(d->el[c].name, "speciesReference")) {
			if (species_ref(s, c, id, rnode, reversible) < 0)
				return -1;
		} else if (!strcmp(d->el[c].name, "geneProductRef")) {
			const char *gp = gf_xget(d, c, "geneProduct");
			int gi = gp ? gdb_graph_node_find(m->b, gp) : -1;
			if (gi < 0)
				return gf_fail(m,
					       "reaction %s refers to "
					       "unknown gene product %s",
					       id, gp ? gp : "(none)");
			if (gf_edge(m, (uint32_t)gi, rnode, s->tc, 1, 1.0, NULL,
				    NULL) < 0)
				return -1;
		}
	}
	return 0;
}

/* The genes of reaction ref (through its geneProductRefs) join gp. */
static int member_genes(sbml *s, const char *ref, uint32_t gp)
{
	const gf_xdoc *d = &s->d;
	gf_imp *m = s->m;

	for (uint32_t r = s->model; r < d->el[s->model].end; r++) {
		const char *rid;
		if (strcmp(d->el[r].name, "reaction"))
			continue;
		rid = gf_xget(d, r, "id");
		if (!rid || strcmp(rid, ref))
			continue;
		for (uint32_t k = r + 1; k < d->el[r].end; k++) {
			const char *g2;
			int gi;
			if (strcmp(d->el[k].name, "geneProductRef"))
				continue;
			g2 = gf_xget(d, k, "geneProduct");
			gi = g2 ? gdb_graph_node_find(m->b, g2) : -1;
			if (gi >= 0 && gdb_graph_pathway_member_add(
					   m->b, gp, (uint32_t)gi) < 0)
				return gf_oom(m);
		}
		break;
	}
	return 0;
}

/* A group (subsystem) as a pathway of its reactions' genes. */
static int group(sbml *s, uint32_t e)
{
	const gf_xdoc *d = &s->d;
	gf_imp *m = s->m;
	const char *gname = gf_xget(d, e, "name"), *gid = gf_xget(d, e, "id");
	char idbuf[512];
	uint32_t gp;
	size_t i;

	m->line = d->el[e].line;
	if (!gname || !*gname)
		gname = gid;
	if (!gname)
		return gf_fail(m, "<group> without id or name");
	for (i = 0; gname[i] && i + 1 < sizeof(idbuf); i++)
		idbuf[i] = gname[i] == ' '   ? '_'
			   : gname[i] == '/' ? '-'
					     : gname[i];
	idbuf[i] = 0;
	if (gdb_graph_pathway_add(m->b, idbuf, gname, &gp) < 0)
		return gf_bfail(m, -EINVAL, "group name");
	for (uint32_t c = e + 1; c < d->el[e].end; c++) {
		const char *ref;
		if (strcmp(d->el[c].name, "member"))
			continue;
		ref = gf_xget(d, c, "idRef");
		if (ref && member_genes(s, ref, gp) < 0)
			return -1;
	}
	return 0;
}

/* The <model>: its pathway and the three edge types. */
static int model(sbml *s)
{
	gf_imp *m = s->m;
	const gf_xdoc *d = &s->d;
	const char *mid;

	m->line = d->el[0].line;
	if (strcmp(d->el[0].name, "sbml"))
		return gf_fail(m, "root element is <%s>, not <sbml>",
			       d->el[0].name);
	s->model = UINT32_MAX;
	for (uint32_t e = 0; e < d->nel && s->model == UINT32_MAX; e++)
		if (!strcmp(d->el[e].name, "model"))
			s->model = e;
	if (s->model == UINT32_MAX)
		return gf_fail(m, "no <model> in the SBML document");
	m->line = d->el[s->model].line;
	mid = gf_xget(d, s->model, "id");
	if (!mid || !*mid)
		mid = "model";
	if (gdb_graph_pathway_add(m->b, mid, gf_xget(d, s->model, "name"),
				  &s->pid) < 0)
		return gf_bfail(m, -EINVAL, "model id");
	if (gf_type(m, "reactant", &s->tr) < 0 ||
	    gf_type(m, "product", &s->tp) < 0 ||
	    gf_type(m, "catalysis", &s->tc) < 0)
		return -1;
	return 0;
}

static int sbml_parse(sbml *s)
{
	const gf_xdoc *d = &s->d;
	uint32_t end;

	if (gf_xml_load(s->m, &s->d) < 0 || model(s) < 0)
		return -1;
	end = d->el[s->model].end;
	/* Species and gene products first: reactions refer to them. */
	for (uint32_t e = s->model; e < end; e++) {
		s->m->line = d->el[e].line;
		if (!strcmp(d->el[e].name, "species") && species(s, e) < 0)
			return -1;
		if (!strcmp(d->el[e].name, "geneProduct") &&
		    gene_product(s, e) < 0)
			return -1;
	}
	for (uint32_t e = s->model; e < end; e++) {
		if (strcmp(d->el[e].name, "reaction"))
			continue;
		s->m->line = d->el[e].line;
		if (reaction(s, e) < 0)
			return -1;
	}
	for (uint32_t e = s->model; e < end; e++)
		if (!strcmp(d->el[e].name, "group") && group(s, e) < 0)
			return -1;
	return 0;
}

int gf_parse_sbml(gf_imp *m)
{
	sbml s = {.m = m};
	int rc = sbml_parse(&s);

	gf_xdoc_free(&s.d);
	return rc;
}
