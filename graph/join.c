/*
 * graph/join.c - one graph over every network of a store: which names are
 * one node, which pathway ids one pathway, and the lookups by name.
 *
 * The rule (docs/GRAPH.md "Joining networks"): two networks' nodes are one
 * node when the networks are of the same species (the same taxon id, or
 * the same label when neither has one, or both unknown) and the names are
 * equal: byte for byte, or without ASCII case when either network was
 * imported with case-insensitive names. Networks of the species form a
 * group; a global node belongs to one group and holds at most one node of
 * each network. Pathway ids join the same way.
 *
 * Lookups by a path's name are looser, since a name there is typed by a
 * person: the exact name first (the first network in store order that
 * has it), then exact aliases, network by network, then the same without
 * case.
 */
#define _GNU_SOURCE
#include "graph/graph_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------- groups */

static int same_species(const graph_net *a, const graph_net *b)
{
	if (a->taxon || b->taxon)
		return a->taxon == b->taxon;
	return !strcasecmp(a->species, b->species);
}

/* Networks of one species are one group, numbered in store order. */
static void assign_groups(gdb_graph *g)
{
	g->ngroups = 0;
	for (uint32_t i = 0; i < g->nnets; i++) {
		uint32_t j;
		for (j = 0; j < i; j++)
			if (same_species(&g->nets[i], &g->nets[j]))
				break;
		g->nets[i].group = j < i ? g->nets[j].group : g->ngroups++;
	}
}

/* ---------------------------------------------------------------- nodes */

/* Local name of node u in network N, and its length. */
static const char *lname(const graph_net *N, uint32_t u, size_t *len)
{
	*len = (size_t)(N->name_off[u + 1] - N->name_off[u] - 1);
	return N->name_str + N->name_off[u];
}

/* Names without case first, then exactly, then by index: a total order. */
static int str_order(const char **v, uint32_t a, uint32_t b)
{
	int c = graph_icase_cmp(v[a], v[b]);

	if (!c)
		c = strcmp(v[a], v[b]);
	return c ? c : (a < b ? -1 : a > b);
}

static int name_order(const void *x, const void *y, void *arg)
{
	const gdb_graph *g = arg;

	return str_order(g->gname, *(const uint32_t *)x, *(const uint32_t *)y);
}

static int pw_order(const void *x, const void *y, void *arg)
{
	const gdb_graph *g = arg;

	return str_order(g->pid, *(const uint32_t *)x, *(const uint32_t *)y);
}

static uint32_t pow2_at_least(uint64_t n)
{
	uint32_t p = 16;

	while (p < n * 2 && p < 0x80000000u)
		p *= 2;
	return p;
}

/*
 * A joining table: global ids in a hash keyed without case; each id has
 * its name, its group, whether a case-insensitive network holds it, and
 * the last network that claimed it (one node of a network at most).
 */
typedef struct jtab {
	uint32_t *slot, mask;
	const char **name;
	uint32_t *len, *group, *last;
	uint8_t *ci;
	uint32_t n;
} jtab;

/*
 * The global id network i (group grp, ci: its names without case) joins
 * name to, or a new one. @return the id (new ones: n before the call)
 */
static uint32_t jtab_join(jtab *t, uint32_t i, uint32_t grp, int ci,
			  const char *nm, size_t len)
{
	uint32_t h = (uint32_t)graph_hash_icase(nm, len) & t->mask;
	uint32_t exact = GRAPH_NONE, loose = GRAPH_NONE, id;

	for (;; h = (h + 1) & t->mask) {
		uint32_t v = t->slot[h];
		if (!v)
			break;
		id = v - 1;
		if (t->group[id] != grp || t->len[id] != len ||
		    t->last[id] == i)
			continue;
		if (!memcmp(t->name[id], nm, len)) {
			exact = id;
			break;
		}
		if (loose == GRAPH_NONE && (ci || t->ci[id]) &&
		    graph_eq_icase(t->name[id], nm, len))
			loose = id;
	}
	id = exact != GRAPH_NONE ? exact : loose;
	if (id == GRAPH_NONE) {
		while (t->slot[h])
			h = (h + 1) & t->mask;
		id = t->n++;
		t->slot[h] = id + 1;
		t->name[id] = nm;
		t->len[id] = (uint32_t)len;
		t->group[id] = grp;
		t->ci[id] = 0;
	}
	t->ci[id] |= (uint8_t)ci;
	t->last[id] = i;
	return id;
}

static int jtab_init(jtab *t, uint64_t total)
{
	size_t n = (size_t)(total ? total : 1);

	memset(t, 0, sizeof(*t));
	t->mask = pow2_at_least(total) - 1;
	t->slot = calloc((size_t)t->mask + 1, 4);
	t->name = malloc(n * sizeof(char *));
	t->len = malloc(n * 4);
	t->group = malloc(n * 4);
	t->last = malloc(n * 4);
	t->ci = malloc(n);
	return t->slot && t->name && t->len && t->group && t->last && t->ci
		   ? 0
		   : -ENOMEM;
}

/* Node ids by rank (name order) and back. */
static int rank_nodes(gdb_graph *g)
{
	g->byrank = malloc((size_t)(g->G ? g->G : 1) * 4);
	g->rank = malloc((size_t)(g->G ? g->G : 1) * 4);
	if (!g->byrank || !g->rank)
		return -ENOMEM;
	for (uint32_t i = 0; i < g->G; i++)
		g->byrank[i] = i;
	graph_qsort_r(g->byrank, g->G, 4, name_order, g);
	for (uint32_t i = 0; i < g->G; i++)
		g->rank[g->byrank[i]] = i;
	return 0;
}

/* Global <-> local node maps from each network's l2g. */
static int node_maps(gdb_graph *g)
{
	g->g2l = calloc(g->nnets ? g->nnets : 1, sizeof(uint32_t *));
	if (!g->g2l)
		return -ENOMEM;
	for (uint32_t i = 0; i < g->nnets; i++) {
		graph_net *N = &g->nets[i];
		g->g2l[i] = malloc((size_t)(g->G ? g->G : 1) * 4);
		if (!g->g2l[i])
			return -ENOMEM;
		memset(g->g2l[i], 0xff, (size_t)g->G * 4);
		for (uint32_t u = 0; u < N->n; u++)
			g->g2l[i][N->l2g[u]] = u;
	}
	return 0;
}

static int join_nodes(gdb_graph *g)
{
	uint64_t total = 0;
	jtab t;
	int rc;

	for (uint32_t i = 0; i < g->nnets; i++)
		total += g->nets[i].n;
	if (total > 0x7fffffffu)
		return -E2BIG;
	rc = jtab_init(&t, total);
	g->gkind = malloc((size_t)(total ? total : 1));
	for (uint32_t i = 0; rc == 0 && i < g->nnets; i++) {
		graph_net *N = &g->nets[i];
		N->l2g = malloc((size_t)(N->n ? N->n : 1) * 4);
		if (!N->l2g || !g->gkind) {
			rc = -ENOMEM;
			break;
		}
		for (uint32_t u = 0; u < N->n; u++) {
			size_t len;
			const char *nm = lname(N, u, &len);
			uint32_t n0 = t.n;
			uint32_t id =
			    jtab_join(&t, i, N->group, N->icase, nm, len);
			if (id == n0) /* new: the first network's kind */
				g->gkind[id] = N->kind[u] < GDB_GRAPH_NKINDS
						   ? N->kind[u]
						   : GDB_GRAPH_OTHER;
			N->l2g[u] = id;
		}
	}
	g->G = t.n;
	g->gslot = t.slot;
	g->gmask = t.mask;
	g->gname = t.name;
	g->gname_len = t.len;
	g->ggroup = t.group;
	free(t.last);
	free(t.ci);
	if (rc < 0)
		return rc;
	GDB_TRY(node_maps(g));
	return rank_nodes(g);
}

/* ------------------------------------------------------------- pathways */

/* Each global pathway's (network, local) entries, in network order. */
static int pathway_entries(gdb_graph *g, const uint32_t *gp_of, uint64_t total)
{
	uint32_t *cnt = calloc((size_t)g->P + 1, 4);
	uint64_t at = 0;

	g->pent_off = calloc((size_t)g->P + 1, 4);
	g->pent_net = malloc((size_t)(total ? total : 1) * 4);
	g->pent_local = malloc((size_t)(total ? total : 1) * 4);
	g->prank = malloc((size_t)(g->P ? g->P : 1) * 4);
	if (!cnt || !g->pent_off || !g->pent_net || !g->pent_local ||
	    !g->prank) {
		free(cnt);
		return -ENOMEM;
	}
	for (uint64_t i = 0; i < total; i++)
		g->pent_off[gp_of[i] + 1]++;
	for (uint32_t p = 0; p < g->P; p++)
		g->pent_off[p + 1] += g->pent_off[p];
	for (uint32_t i = 0; i < g->nnets; i++)
		for (uint32_t p = 0; p < g->nets[i].npw; p++) {
			uint32_t gp = gp_of[at++];
			uint32_t k = g->pent_off[gp] + cnt[gp]++;
			g->pent_net[k] = i;
			g->pent_local[k] = p;
		}
	free(cnt);
	for (uint32_t p = 0; p < g->P; p++)
		g->prank[p] = p;
	graph_qsort_r(g->prank, g->P, 4, pw_order, g);
	return 0;
}

static int join_pathways(gdb_graph *g)
{
	uint64_t total = 0, at = 0;
	uint32_t *gp_of; /* per (net, local) in order */
	jtab t;
	int rc;

	for (uint32_t i = 0; i < g->nnets; i++)
		total += g->nets[i].npw;
	rc = jtab_init(&t, total);
	g->ptitle = malloc((size_t)(total ? total : 1) * sizeof(char *));
	gp_of = malloc((size_t)(total ? total : 1) * 4);
	if (!g->ptitle || !gp_of)
		rc = -ENOMEM;
	for (uint32_t i = 0; rc == 0 && i < g->nnets; i++) {
		graph_net *N = &g->nets[i];
		N->pw2g = malloc((size_t)(N->npw ? N->npw : 1) * 4);
		if (!N->pw2g) {
			rc = -ENOMEM;
			break;
		}
		for (uint32_t p = 0; p < N->npw; p++) {
			const char *id = N->pwid_str + N->pwid_off[p];
			size_t len =
			    (size_t)(N->pwid_off[p + 1] - N->pwid_off[p] - 1);
			uint32_t n0 = t.n;
			uint32_t gp =
			    jtab_join(&t, i, N->group, N->icase, id, len);
			if (gp == n0 || !*g->ptitle[gp])
				g->ptitle[gp] =
				    N->pwtitle_str + N->pwtitle_off[p];
			N->pw2g[p] = gp;
			gp_of[at++] = gp;
		}
	}
	g->P = t.n;
	g->pslot = t.slot;
	g->pmask = t.mask;
	g->pid = t.name;
	g->pid_len = t.len;
	g->pgroup = t.group;
	free(t.last);
	free(t.ci);
	if (rc == 0)
		rc = pathway_entries(g, gp_of, total);
	free(gp_of);
	return rc;
}

int graph_join(gdb_graph *g)
{
	assign_groups(g);
	GDB_TRY(join_nodes(g));
	return join_pathways(g);
}

/* -------------------------------------------------------------- lookups */

/* The local node with this name or alias in one network (exact: byte for
 * byte, else without case), or NONE. */
static uint32_t net_lookup(const graph_net *N, const char *name, size_t len,
			   int exact)
{
	uint32_t mask, h;

	if (!N->nslots)
		return GRAPH_NONE;
	mask = N->nslots - 1;
	h = (uint32_t)(graph_hash_icase(name, len) & mask);
	for (uint32_t probes = 0; probes < N->nslots;
	     probes++, h = (h + 1) & mask) {
		uint32_t v = N->slot[h];
		const uint64_t *o;
		if (!v)
			return GRAPH_NONE;
		o = &N->key_off[v - 1];
		if (o[1] - o[0] - 1 != len)
			continue;
		if (exact ? !memcmp(N->key_str + o[0], name, len)
			  : graph_eq_icase(N->key_str + o[0], name, len))
			return N->key_node[v - 1];
	}
	return GRAPH_NONE;
}

/* The smallest global id in a table with this name (exact or not) in
 * group grp (-1: any), or NONE. */
static uint32_t table_find(const uint32_t *slot, uint32_t mask,
			   const char *const *names, const uint32_t *lens,
			   const uint32_t *groups, const char *s, size_t len,
			   int exact, int grp)
{
	uint32_t h = (uint32_t)graph_hash_icase(s, len) & mask,
		 best = GRAPH_NONE;

	for (;; h = (h + 1) & mask) {
		uint32_t v = slot[h], id;
		if (!v)
			return best;
		id = v - 1;
		if (lens[id] != len || id >= best ||
		    (grp >= 0 && groups[id] != (uint32_t)grp))
			continue;
		if (exact ? !memcmp(names[id], s, len)
			  : graph_eq_icase(names[id], s, len))
			best = id;
	}
}

int graph_lookup(const gdb_graph *g, const char *name, int net, int grp)
{
	size_t len = strlen(name);

	if (!len)
		return -ENOENT;
	for (int exact = 1; exact >= 0; exact--) {
		uint32_t id = GRAPH_NONE;
		if (net >= 0) {
			uint32_t l;
			if ((uint32_t)net >= g->nnets)
				return -ENOENT;
			l = net_lookup(&g->nets[net], name, len, exact);
			if (l != GRAPH_NONE)
				return (int)g->nets[net].l2g[l];
			continue;
		}
		if (g->G)
			id = table_find(g->gslot, g->gmask, g->gname,
					g->gname_len, g->ggroup, name, len,
					exact, grp);
		if (id != GRAPH_NONE)
			return (int)id;
		for (uint32_t i = 0; i < g->nnets; i++) {
			uint32_t l;
			if (grp >= 0 && g->nets[i].group != (uint32_t)grp)
				continue;
			l = net_lookup(&g->nets[i], name, len, exact);
			if (l != GRAPH_NONE)
				return (int)g->nets[i].l2g[l];
		}
	}
	return -ENOENT;
}

int gdb_graph_lookup(const gdb_graph *g, const char *name, int net)
{
	return graph_lookup(g, name, net, -1);
}

const char *gdb_graph_node_name(const gdb_graph *g, uint32_t node)
{
	return node < g->G ? g->gname[node] : "";
}

unsigned gdb_graph_node_kind(const gdb_graph *g, uint32_t node)
{
	return node < g->G ? g->gkind[node] : GDB_GRAPH_OTHER;
}

uint32_t gdb_graph_node_rank(const gdb_graph *g, uint32_t node)
{
	return g->rank[node];
}

int gdb_graph_node_aliases(const gdb_graph *g, uint32_t net, uint32_t node,
			   const char **buf, size_t *len)
{
	const graph_net *N;
	uint32_t l;

	if (net >= g->nnets || node >= g->G)
		return -ENOENT;
	N = &g->nets[net];
	l = g->g2l[net][node];
	if (l == GRAPH_NONE)
		return -ENOENT;
	*buf = N->alias_str + N->alias_off[l];
	*len = (size_t)(N->alias_off[l + 1] - N->alias_off[l]);
	return 0;
}

uint32_t gdb_graph_npathways(const gdb_graph *g)
{
	return g->P;
}

int gdb_graph_pathway_find(const gdb_graph *g, const char *id)
{
	size_t len = strlen(id);

	if (!g->P || !len)
		return -ENOENT;
	for (int exact = 1; exact >= 0; exact--) {
		uint32_t p = table_find(g->pslot, g->pmask, g->pid, g->pid_len,
					g->pgroup, id, len, exact, -1);
		if (p != GRAPH_NONE)
			return (int)p;
	}
	return -ENOENT;
}

const char *gdb_graph_pathway_id(const gdb_graph *g, uint32_t pw)
{
	return pw < g->P ? g->pid[pw] : "";
}

const char *gdb_graph_pathway_title(const gdb_graph *g, uint32_t pw)
{
	return pw < g->P ? g->ptitle[pw] : "";
}

int gdb_graph_pathway_in(const gdb_graph *g, uint32_t pw, int net)
{
	if (pw >= g->P)
		return 0;
	if (net < 0)
		return 1;
	for (uint32_t k = g->pent_off[pw]; k < g->pent_off[pw + 1]; k++)
		if (g->pent_net[k] == (uint32_t)net)
			return 1;
	return 0;
}
