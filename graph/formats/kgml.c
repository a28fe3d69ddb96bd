/*
 * graph/formats/kgml.c - KEGG pathway files (KGML): entries become nodes
 * (genes named by their first graphics symbol), relations and reactions
 * become edges, the pathway its genes. Rules: docs/GRAPH.md ("Import",
 * KGML row). KEGG's terms restrict redistribution of KGML files: the
 * tests use a hand-written fixture.
 */
#define _GNU_SOURCE
#include "graph/formats/formats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gf_detect_kgml(const gf_head *h)
{
	return h->xml && memmem(h->p, h->xn, "<pathway", 8) &&
		       !memmem(h->p, h->xn, "<sbml", 5)
		   ? GF_SURE
		   : GF_NO;
}

/* An entry: the nodes it stands for (groups: their components'). */
typedef struct kent {
	const char *id;
	uint32_t *nodes;
	uint32_t n;
	uint32_t el; /* element index */
	int is_group;
} kent;

typedef struct kgml {
	gf_imp *m;
	gf_xdoc d;
	kent *ents;
	uint32_t nent, pid;
	const char *pw; /* the pathway id, "path:" stripped */
	char evid[300];
} kgml;

static kent *kfind(kgml *k, const char *id)
{
	for (uint32_t i = 0; i < k->nent; i++)
		if (!strcmp(k->ents[i].id, id))
			return &k->ents[i];
	return NULL;
}

static int kpush(gf_imp *m, kent *k, uint32_t node)
{
	uint32_t *p = realloc(k->nodes, (k->n + 1) * sizeof(*p));

	if (!p)
		return gf_oom(m);
	k->nodes = p;
	k->nodes[k->n++] = node;
	return 0;
}

/* "CDKN2A, ARF, CDK4I..." -> first symbol (in buf), NULL if none. */
static const char *first_symbol(const char *g, char *buf, size_t n)
{
	size_t i = 0;

	if (!g)
		return NULL;
	while (*g == ' ')
		g++;
	while (g[i] && g[i] != ',' && i + 1 < n)
		i++;
	memcpy(buf, g, i);
	buf[i] = 0;
	while (i && (buf[i - 1] == '.' || buf[i - 1] == ' '))
		buf[--i] = 0;
	return i ? buf : NULL;
}

static void type_name(const char *sub, char *out, size_t n)
{
	size_t i;

	if (!strcmp(sub, "binding/association"))
		sub = "binding";
	for (i = 0; sub[i] && i + 1 < n; i++)
		out[i] = sub[i] == ' ' ? '_' : sub[i];
	out[i] = 0;
}

/* What an <entry> says about the ids it lists. */
typedef struct entry {
	const char *gname; /* graphics name, or NULL */
	const char *type;
	int gene;   /* gene, ortholog or enzyme */
	int ngenes; /* ids listed */
	kent *k;
} entry;

/* Every symbol of the graphics name as an alias. */
static int symbol_aliases(gf_imp *m, uint32_t nid, const char *gname)
{
	char all[4096], *sv = NULL;

	snprintf(all, sizeof(all), "%s", gname);
	for (char *a = strtok_r(all, ",", &sv); a;
	     a = strtok_r(NULL, ",", &sv)) {
		char *x = gf_trim(a);
		size_t l = strlen(x);
		while (l && x[l - 1] == '.')
			x[--l] = 0;
		if (l && gf_alias(m, nid, "symbol", x) < 0)
			return -1;
	}
	return 0;
}

/* The node of one KEGG id t of an entry. */
static int entry_id(kgml *k, const entry *en, const char *t)
{
	gf_imp *m = k->m;
	char sym[256];
	int found = gdb_graph_node_find(m->b, t),
	    single = en->gene && en->ngenes == 1;
	const char *s = first_symbol(en->gname, sym, sizeof(sym));
	unsigned kind = en->gene			? GDB_GRAPH_GENE
			: !strcmp(en->type, "compound") ? GDB_GRAPH_COMPOUND
			: !strcmp(en->type, "map")	? GDB_GRAPH_PATHWAY
							: GDB_GRAPH_OTHER;
	uint32_t nid;

	if (!strcmp(t, "undefined") || t[strlen(t) - 1] == ':')
		return 0; /* no identifier */
	if (found >= 0) {
		nid = (uint32_t)found;
		/* Made from a multi-gene entry of an earlier file: give it
		 * its symbol. */
		if (single && s &&
		    !strcmp(gdb_graph_node_name_of(m->b, nid), t) &&
		    gdb_graph_node_find(m->b, s) < 0 &&
		    gdb_graph_node_rename(m->b, nid, "kegg", s) < 0)
			return gf_oom(m);
	} else if (single && s && gdb_graph_node_find(m->b, s) < 0) {
		if (gf_node(m, s, kind, &nid) < 0 ||
		    gf_alias(m, nid, "kegg", t) < 0 ||
		    (en->gname && symbol_aliases(m, nid, en->gname) < 0))
			return -1;
	} else {
		if (gf_node(m, t, kind, &nid) < 0 ||
		    gf_alias(m, nid, "kegg", t) < 0)
			return -1;
		if (kind == GDB_GRAPH_PATHWAY && en->gname &&
		    gf_alias(m, nid, "title", en->gname) < 0)
			return -1;
	}
	if (strchr(t, ':') &&
	    gf_alias(m, nid, en->gene ? "kegg-gene-id" : "kegg-id",
		     strchr(t, ':') + 1) < 0)
		return -1;
	if (kpush(m, en->k, nid) < 0)
		return -1;
	if (en->gene && gdb_graph_pathway_member_add(m->b, k->pid, nid) < 0)
		return gf_oom(m);
	return 0;
}

/*
 * One <entry> in one of two passes: single-gene entries first (pass 0,
 * which also registers every entry), so that genes get their symbols as
 * names, then the rest (pass 1).
 */
static int entry_pass(kgml *k, uint32_t e, int pass)
{
	gf_imp *m = k->m;
	const gf_xdoc *d = &k->d;
	const char *id, *name;
	char ids[8192], *save = NULL;
	entry en = {0};

	m->line = d->el[e].line;
	id = gf_xget(d, e, "id");
	name = gf_xget(d, e, "name");
	en.type = gf_xget(d, e, "type");
	if (!id || !name || !en.type)
		return gf_fail(m, "<entry> lacks id, name or type");
	for (uint32_t c = e + 1; c < d->el[e].end; c++)
		if (!strcmp(d->el[c].name, "graphics") && !en.gname)
			en.gname = gf_xget(d, c, "name");
	en.gene = !strcmp(en.type, "gene") || !strcmp(en.type, "ortholog") ||
		  !strcmp(en.type, "enzyme");
	snprintf(ids, sizeof(ids), "%s", name);
	for (const char *s = ids; *s; s++)
		en.ngenes += (s == ids || s[-1] == ' ') && *s != ' ';
	if (pass == 0) {
		if (kfind(k, id))
			return gf_fail(m, "duplicate entry id %s", id);
		en.k = &k->ents[k->nent++];
		en.k->id = id;
		en.k->el = e;
		en.k->is_group = !strcmp(en.type, "group");
		if (!en.gene || en.ngenes != 1)
			return 0;
	} else {
		en.k = kfind(k, id);
		if (en.k->n || (en.gene && en.ngenes == 1))
			return 0;
	}
	if (en.k->is_group)
		return 0;
	for (char *t = strtok_r(ids, " ", &save); t;
	     t = strtok_r(NULL, " ", &save))
		if (entry_id(k, &en, t) < 0)
			return -1;
	return 0;
}

/* Groups: the union of their components. */
static int groups(kgml *k)
{
	const gf_xdoc *d = &k->d;

	for (uint32_t i = 0; i < k->nent; i++) {
		kent *g = &k->ents[i];
		if (!g->is_group)
			continue;
		for (uint32_t c = g->el + 1; c < d->el[g->el].end; c++) {
			const char *cid;
			kent *ck;
			if (strcmp(d->el[c].name, "component"))
				continue;
			k->m->line = d->el[c].line;
			cid = gf_xget(d, c, "id");
			ck = cid ? kfind(k, cid) : NULL;
			if (ck && !ck->is_group) {
				for (uint32_t j = 0; j < ck->n; j++)
					if (kpush(k->m, g, ck->nodes[j]) < 0)
						return -1;
				continue;
			}
			if (k->m->strict || ck || !cid)
				return gf_fail(k->m,
					       "group component refers "
					       "to %s entry %s",
					       ck ? "group" : "unknown",
					       cid ? cid : "(none)");
			k->m->skipped++; /* as relations, below */
		}
	}
	return 0;
}

/* An edge of type t from every node of a to every node of b. */
static int all_pairs(kgml *k, const kent *a, const kent *b, uint32_t t, int und)
{
	for (uint32_t i = 0; i < a->n; i++)
		for (uint32_t j = 0; j < b->n; j++)
			if (a->nodes[i] != b->nodes[j] &&
			    gf_edge(k->m, a->nodes[i], b->nodes[j], t, !und,
				    1.0, k->evid, NULL) < 0)
				return -1;
	return 0;
}

static int relation(kgml *k, uint32_t e)
{
	gf_imp *m = k->m;
	const gf_xdoc *d = &k->d;
	const char *e1 = gf_xget(d, e, "entry1"), *e2 = gf_xget(d, e, "entry2");
	const char *rtype = gf_xget(d, e, "type");
	kent *a, *b;
	uint32_t t;
	int nsub = 0;

	if (!e1 || !e2 || !rtype)
		return gf_fail(m, "<relation> lacks entry1, entry2 or type");
	a = kfind(k, e1);
	b = kfind(k, e2);
	if (!a || !b) {
		/* Reference maps (ko, map) relate entries they never define:
		 * skipped and counted, unless --strict. */
		if (m->strict)
			return gf_fail(m, "relation refers to unknown entry %s",
				       a ? e2 : e1);
		m->skipped++;
		return 0;
	}
	snprintf(k->evid, sizeof(k->evid), "kegg:%s %s", k->pw, rtype);
	for (uint32_t c = e + 1; c < d->el[e].end; c++) {
		const char *sub;
		char tn[256];
		if (strcmp(d->el[c].name, "subtype"))
			continue;
		sub = gf_xget(d, c, "name");
		if (!sub || !strcmp(sub, "compound") ||
		    !strcmp(sub, "hidden compound"))
			continue;
		nsub++;
		type_name(sub, tn, sizeof(tn));
		if (gf_type(m, tn, &t) < 0 ||
		    all_pairs(k, a, b, t,
			      !strcmp(tn, "binding") ||
				  !strcmp(tn, "dissociation") ||
				  !strcmp(rtype, "ECrel") ||
				  !strcmp(rtype, "maplink")) < 0)
			return -1;
	}
	if (nsub)
		return 0;
	/* no typed subtype: one edge of the relation type */
	if (gf_type(m, rtype, &t) < 0)
		return -1;
	return all_pairs(k, a, b, t,
			 !strcmp(rtype, "ECrel") || !strcmp(rtype, "maplink"));
}

/* substrate -> enzyme (substrate), enzyme -> product (product). */
static int reaction(kgml *k, uint32_t e)
{
	gf_imp *m = k->m;
	const gf_xdoc *d = &k->d;
	const char *rid = gf_xget(d, e, "id"), *rn = gf_xget(d, e, "name");
	const char *rt = gf_xget(d, e, "type");
	int rev = rt && !strcmp(rt, "reversible");
	kent *enz = rid ? kfind(k, rid) : NULL;
	uint32_t ts, tp;

	if (!enz || !enz->n)
		return 0; /* no enzyme drawn: no edges */
	if (gf_type(m, "substrate", &ts) < 0 || gf_type(m, "product", &tp) < 0)
		return -1;
	snprintf(k->evid, sizeof(k->evid), "kegg:%s %s", k->pw,
		 rn ? rn : "reaction");
	for (uint32_t c = e + 1; c < d->el[e].end; c++) {
		int sub = !strcmp(d->el[c].name, "substrate");
		int prod = !strcmp(d->el[c].name, "product");
		const char *cid, *cname;
		kent *ck;
		uint32_t cn;
		if (!sub && !prod)
			continue;
		m->line = d->el[c].line;
		cid = gf_xget(d, c, "id");
		cname = gf_xget(d, c, "name");
		ck = cid ? kfind(k, cid) : NULL;
		if (ck && ck->n)
			cn = ck->nodes[0];
		else if (!cname)
			return gf_fail(m, "reaction compound without id or "
					  "name");
		else if (gf_node(m, cname, GDB_GRAPH_COMPOUND, &cn) < 0)
			return -1;
		for (uint32_t j = 0; j < enz->n; j++)
			if (gf_edge(m, sub ? cn : enz->nodes[j],
				    sub ? enz->nodes[j] : cn, sub ? ts : tp,
				    !rev, 1.0, k->evid, NULL) < 0)
				return -1;
	}
	return 0;
}

/* The <pathway> root: its id and the pathway it makes. */
static int pathway(kgml *k)
{
	gf_imp *m = k->m;
	const char *pwname;

	m->line = k->d.el[0].line;
	if (strcmp(k->d.el[0].name, "pathway"))
		return gf_fail(m, "root element is <%s>, not <pathway> (KGML)",
			       k->d.el[0].name);
	pwname = gf_xget(&k->d, 0, "name");
	if (!pwname || !*pwname)
		return gf_fail(m, "<pathway> has no name");
	k->pw = strncmp(pwname, "path:", 5) ? pwname : pwname + 5;
	{
		/* An organism's map names its species; reference maps (ko,
		 * map, ec, rn) name none. */
		const char *org = gf_xget(&k->d, 0, "org");
		uint32_t taxon;
		char how[64];
		if (org && gdb_graph_species_kegg(org, &taxon) == 0) {
			snprintf(how, sizeof(how), "org %.40s", org);
			if (gf_species(m, taxon, how) < 0)
				return -1;
		}
	}
	if (gdb_graph_pathway_add(m->b, k->pw, gf_xget(&k->d, 0, "title"),
				  &k->pid) < 0)
		return gf_bfail(m, -EINVAL, "pathway name");
	return 0;
}

static int kgml_parse(kgml *k)
{
	const gf_xdoc *d = &k->d;

	if (gf_xml_load(k->m, &k->d) < 0 || pathway(k) < 0)
		return -1;
	k->ents = calloc(d->nel, sizeof(*k->ents));
	if (!k->ents)
		return gf_oom(k->m);
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t e = 0; e < d->nel; e++)
			if (!strcmp(d->el[e].name, "entry") &&
			    entry_pass(k, e, pass) < 0)
				return -1;
	if (groups(k) < 0)
		return -1;
	for (uint32_t e = 0; e < d->nel; e++) {
		k->m->line = d->el[e].line;
		if (!strcmp(d->el[e].name, "relation") && relation(k, e) < 0)
			return -1;
		if (!strcmp(d->el[e].name, "reaction") && reaction(k, e) < 0)
			return -1;
	}
	return 0;
}

int gf_parse_kgml(gf_imp *m)
{
	kgml k = {.m = m};
	int rc = kgml_parse(&k);

	if (k.ents)
		for (uint32_t i = 0; i < k.nent; i++)
			free(k.ents[i].nodes);
	free(k.ents);
	gf_xdoc_free(&k.d);
	return rc;
}
