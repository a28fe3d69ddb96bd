/*
 * graph/render_info.c - the files that describe rather than answer: a
 * node's info.json, networks.json, and the lines `genomedb info` prints
 * for a network (gdb_graph_describe). Layouts: docs/GRAPH.md.
 */
#define _GNU_SOURCE
#include "graph/render_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ info.json */

/* One "ns\talias\0" record as {"source", "alias", "network"}. */
static void info_alias(graph_buf *b, const char *rec, const char *net,
		       int first)
{
	const char *tab = strchr(rec, '\t');

	graph_buf_puts(b, first ? "\n  {\"source\": " : ",\n  {\"source\": ");
	if (tab) {
		char ns[256];
		size_t k = (size_t)(tab - rec);
		if (k > 255)
			k = 255;
		memcpy(ns, rec, k);
		ns[k] = 0;
		graph_buf_json_str(b, ns);
		graph_buf_puts(b, ", \"alias\": ");
		graph_buf_json_str(b, tab + 1);
	} else {
		graph_buf_puts(b, "\"\", \"alias\": ");
		graph_buf_json_str(b, rec);
	}
	graph_buf_puts(b, ", \"network\": ");
	graph_buf_json_str(b, net);
	graph_buf_puts(b, "}");
}

static void info_aliases(graph_buf *b, const gdb_graph *g, uint32_t node,
			 int net)
{
	int first = 1;

	for (uint32_t i = 0; i < g->nnets; i++) {
		const char *a;
		size_t n;
		if ((net >= 0 && (uint32_t)net != i) ||
		    gdb_graph_node_aliases(g, i, node, &a, &n) < 0)
			continue;
		for (size_t at = 0; at < n; at += strlen(a + at) + 1) {
			info_alias(b, a + at, g->nets[i].name, first);
			first = 0;
		}
	}
}

/* Network i's degrees of local node l, by direction and type. */
static int info_degrees(graph_buf *b, const graph_net *N, uint32_t l)
{
	uint64_t outd = 0, ind = 0, und = 0;
	uint32_t *bytype = calloc(N->ntypes ? N->ntypes : 1, 4);
	int first = 1;

	if (!bytype)
		return -ENOMEM;
	for (uint64_t k = N->out_off[l]; k < N->out_off[l + 1]; k++) {
		uint32_t e = N->out_eid[k];
		if (e & GRAPH_UNDIR_BIT)
			und++;
		else
			outd++;
		bytype[N->etype[e & GRAPH_EID_MASK]]++;
	}
	for (uint64_t k = N->in_off[l]; k < N->in_off[l + 1]; k++) {
		ind++;
		if (N->in_nbr[k] != l)
			bytype[N->etype[N->in_eid[k]]]++;
	}
	graph_buf_json_str(b, N->name);
	graph_buf_printf(
	    b,
	    ": {\"degree\": %llu, \"out\": %llu, \"in\": %llu, "
	    "\"undirected\": %llu, \"pathways\": %llu, "
	    "\"by_type\": {",
	    (unsigned long long)(outd + ind + und), (unsigned long long)outd,
	    (unsigned long long)ind, (unsigned long long)und,
	    (unsigned long long)(N->node_pw_off[l + 1] - N->node_pw_off[l]));
	for (uint32_t t = 0; t < N->ntypes; t++) {
		if (!bytype[t])
			continue;
		graph_buf_puts(b, first ? "" : ", ");
		first = 0;
		graph_buf_json_str(b, N->type_str + N->type_off[t]);
		graph_buf_printf(b, ": %u", bytype[t]);
	}
	graph_buf_puts(b, "}}");
	free(bytype);
	return 0;
}

int gdb_graph_render_info(const gdb_graph *g, uint32_t node, int net,
			  size_t max, char **out, size_t *len)
{
	graph_buf b = {0};
	int first_net = 1;

	b.max = max;
	if (node >= g->G)
		return -ENOENT;
	graph_buf_puts(&b, "{\"name\": ");
	graph_buf_json_str(&b, gdb_graph_node_name(g, node));
	graph_buf_printf(&b, ", \"kind\": \"%s\", \"aliases\": [",
			 gdb_graph_kind_name(gdb_graph_node_kind(g, node)));
	info_aliases(&b, g, node, net);
	graph_buf_puts(&b, "],\n\"networks\": {");
	for (uint32_t i = 0; i < g->nnets; i++) {
		uint32_t l = g->g2l[i][node];
		if ((net >= 0 && (uint32_t)net != i) || l == GRAPH_NONE)
			continue;
		graph_buf_puts(&b, first_net ? "\n  " : ",\n  ");
		first_net = 0;
		if (info_degrees(&b, &g->nets[i], l) < 0) {
			free(b.p);
			return -ENOMEM;
		}
	}
	graph_buf_puts(&b, first_net ? "}}\n" : "\n}}\n");
	return graph_render_finish(&b, out, len);
}

/* -------------------------------------------------------- networks.json */

/* "taxon", "species", "names" and the networks network i joins. */
static void net_species(graph_buf *b, const gdb_graph *g, uint32_t i)
{
	const graph_net *N = &g->nets[i];
	int first = 1;

	if (N->taxon)
		graph_buf_printf(b, "\"taxon\": %u, \"species\": ", N->taxon);
	else
		graph_buf_puts(b, "\"taxon\": null, \"species\": ");
	if (*N->species)
		graph_buf_json_str(b, N->species);
	else
		graph_buf_puts(b, "null");
	graph_buf_printf(b, ", \"names\": \"%s\", \"joins\": [",
			 N->icase ? "case-insensitive" : "exact");
	for (uint32_t j = 0; j < g->nnets; j++) {
		if (j == i || g->nets[j].group != N->group)
			continue;
		graph_buf_puts(b, first ? "" : ", ");
		first = 0;
		graph_buf_json_str(b, g->nets[j].name);
	}
	graph_buf_puts(b, "]");
}

int gdb_graph_render_networks(const gdb_graph *g, size_t max, char **out,
			      size_t *len)
{
	graph_buf b = {0};

	b.max = max;
	graph_buf_printf(&b,
			 "{\"nodes\": %u, \"pathways\": %u, "
			 "\"networks\": [",
			 g->G, g->P);
	for (uint32_t i = 0; i < g->nnets; i++) {
		const graph_net *N = &g->nets[i];
		graph_buf_puts(&b, i ? ",\n  {\"name\": " : "\n  {\"name\": ");
		graph_buf_json_str(&b, N->name);
		graph_buf_printf(&b,
				 ", \"nodes\": %u, \"edges\": %llu, "
				 "\"pathways\": %u, \"types\": [",
				 N->n, (unsigned long long)N->m, N->npw);
		for (uint32_t t = 0; t < N->ntypes; t++) {
			if (t)
				graph_buf_puts(&b, ", ");
			graph_buf_json_str(&b, N->type_str + N->type_off[t]);
		}
		graph_buf_puts(&b, "], \"channels\": [");
		for (uint32_t c = 0; c < N->nchan; c++) {
			if (c)
				graph_buf_puts(&b, ", ");
			graph_buf_json_str(&b, N->chan_names[c]);
		}
		graph_buf_puts(&b, "], ");
		net_species(&b, g, i);
		graph_buf_puts(&b, "}");
	}
	graph_buf_puts(&b,
		       g->nnets ? "\n], \"damaged\": [" : "], \"damaged\": [");
	for (uint32_t i = 0; i < g->nbad; i++) {
		graph_buf_puts(&b, i ? ",\n  {\"name\": " : "\n  {\"name\": ");
		graph_buf_json_str(&b, g->bad[i].name);
		graph_buf_puts(&b, ", \"error\": ");
		graph_buf_json_str(&b, g->bad[i].why);
		graph_buf_puts(&b, "}");
	}
	graph_buf_puts(&b, g->nbad ? "\n]}\n" : "]}\n");
	return graph_render_finish(&b, out, len);
}

/* ---------------------------------------------------------- genomedb info */

/* The files the network was imported from (store provenance). */
static void describe_sources(graph_buf *b, const gdb_store *s, const char *name,
			     int json)
{
	int first = 1;

	for (uint32_t i = 0; i < gdb_store_nprovenance(s); i++) {
		const gdb_provenance *p = gdb_store_provenance(s, i);
		if (strcmp(p->target, name))
			continue;
		if (json) {
			graph_buf_puts(b, first ? "" : ", ");
			graph_buf_json_str(b, p->source);
		} else {
			graph_buf_puts(b, "  from ");
			graph_buf_puts(b, p->source);
			graph_buf_printf(b, " (%llu bytes)\n",
					 (unsigned long long)p->source_bytes);
		}
		first = 0;
	}
}

static void describe_json(graph_buf *b, const gdb_store *s, const graph_net *N,
			  const char *damage)
{
	graph_buf_puts(b, ", \"network\": {");
	if (damage) {
		graph_buf_puts(b, "\"damaged\": ");
		graph_buf_json_str(b, damage);
	} else {
		graph_buf_printf(b,
				 "\"nodes\": %u, \"edges\": %llu, "
				 "\"pathways\": %u, \"types\": %u, \"taxon\": ",
				 N->n, (unsigned long long)N->m, N->npw,
				 N->ntypes);
		if (N->taxon)
			graph_buf_printf(b, "%u", N->taxon);
		else
			graph_buf_puts(b, "null");
		graph_buf_puts(b, ", \"species\": ");
		if (*N->species)
			graph_buf_json_str(b, N->species);
		else
			graph_buf_puts(b, "null");
		graph_buf_printf(b,
				 ", \"names\": \"%s\", \"layout\": %u, "
				 "\"damaged\": null",
				 N->icase ? "case-insensitive" : "exact",
				 N->version);
	}
	graph_buf_puts(b, ", \"sources\": [");
	describe_sources(b, s, N->name, 1);
	graph_buf_puts(b, "]}");
}

static void describe_text(graph_buf *b, const gdb_store *s, const graph_net *N,
			  const gdb_object *o, const char *damage)
{
	graph_buf_printf(b, "\nnetwork %s: ", N->name);
	if (damage) {
		graph_buf_printf(b, "DAMAGED (%s); /graph/@%s gives EIO",
				 damage, N->name);
	} else {
		graph_buf_printf(b,
				 "%u nodes, %llu edges, %u pathway%s, "
				 "species ",
				 N->n, (unsigned long long)N->m, N->npw,
				 N->npw == 1 ? "" : "s");
		if (N->taxon)
			graph_buf_printf(b, "%u%s%s%s", N->taxon,
					 *N->species ? " (" : "", N->species,
					 *N->species ? ")" : "");
		else
			graph_buf_puts(b, *N->species ? N->species : "unknown");
		graph_buf_printf(b, ", names %s",
				 N->icase ? "case-insensitive" : "exact");
	}
	graph_buf_printf(b, "; %u sections, %llu bytes stored\n", o->nsections,
			 (unsigned long long)o->segment_bytes);
	describe_sources(b, s, N->name, 0);
}

int gdb_graph_describe(const gdb_store *s, uint32_t obj, int json, char **out,
		       size_t *len)
{
	const gdb_object *o = gdb_store_object(s, obj);
	graph_net N;
	graph_buf b = {0};
	char why[512];
	const void *p;
	uint64_t l;
	int rc;

	if (!o || o->kind != GDB_OBJECT_SECTIONS ||
	    gdb_store_section(s, obj, "graph.meta", &p, &l) == -ENOENT)
		return 0; /* not a network */
	memset(&N, 0, sizeof(N));
	N.name = o->name;
	N.obj = obj;
	rc = graph_net_open(s, &N, why, sizeof(why));
	if (rc == -ENOMEM)
		return rc;
	if (json)
		describe_json(&b, s, &N, rc < 0 ? why : NULL);
	else
		describe_text(&b, s, &N, o, rc < 0 ? why : NULL);
	rc = graph_render_finish(&b, out, len);
	return rc < 0 ? rc : 1;
}
