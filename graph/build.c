/*
 * graph/build.c - the network builder that importers feed (its
 * serialisation: build_write.c; byte layout: docs/GRAPH.md).
 *
 * What it is: growable columns of nodes, aliases, edges and pathway
 * members, plus one hash of every name and alias (hashed without ASCII
 * case, compared exactly unless the network's names are case-insensitive),
 * which is written as the on-disk lookup index unchanged (same hash, same
 * probe order). What it is not: a parser (graph/formats/) or a reader
 * (graph/read.c).
 *
 * Memory. Importers stream their input, so the builder holds the graph,
 * not the text: 19 bytes an edge (src, dst, conf, evidence, type, flags)
 * plus 2 per score channel while parsing. Writing sorts edges by count
 * then fill (4 bytes an edge of index), releases each column as soon as
 * its section is written, and builds one CSR direction at a time (12 bytes
 * an adjacency entry), so the peak is about 13 bytes an edge plus 12 an
 * adjacency entry. gdb_graph_builder_peak_bytes() reports what was held.
 *
 * Invariants kept while building: every name key leads to its own node
 * (node_add finds by name or alias before creating, rename refuses a key
 * owned by another node), so the key hash is a valid lookup index.
 */
#define _GNU_SOURCE
#include "graph/build_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t sset_hash(const sset *s, const char *p, size_t n)
{
	if (s->icase)
		return graph_hash_icase(p, n);
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static int sset_eq(const sset *s, uint32_t i, const char *p, size_t n)
{
	const char *q = s->a + s->off[i];
	uint64_t qn = (i + 1 < s->n ? s->off[i + 1] : s->alen) - s->off[i] - 1;

	if (qn != n)
		return 0;
	return s->eq_icase ? graph_eq_icase(q, p, n) : !memcmp(q, p, n);
}

static int64_t sset_find(const sset *s, const char *p, size_t n)
{
	uint64_t h;
	uint32_t mask, i;

	if (!s->nslot)
		return -1;
	mask = s->nslot - 1;
	h = sset_hash(s, p, n);
	for (i = (uint32_t)(h & mask);; i = (i + 1) & mask) {
		uint32_t v = s->slot[i];
		if (!v)
			return -1;
		if (sset_eq(s, v - 1, p, n))
			return v - 1;
	}
}

static int sset_rehash(acct *a, sset *s, uint32_t nslot)
{
	uint32_t *ns = calloc(nslot, sizeof(*ns));
	uint32_t mask = nslot - 1;

	if (!ns)
		return -ENOMEM;
	for (uint32_t k = 0; k < s->n; k++) {
		const char *q = s->a + s->off[k];
		uint64_t qn =
		    (k + 1 < s->n ? s->off[k + 1] : s->alen) - s->off[k] - 1;
		uint32_t i = (uint32_t)(sset_hash(s, q, qn) & mask);
		while (ns[i])
			i = (i + 1) & mask;
		ns[i] = k + 1;
	}
	a->bytes += (uint64_t)(nslot - s->nslot) * sizeof(uint32_t);
	if (a->bytes > a->peak)
		a->peak = a->bytes;
	free(s->slot);
	s->slot = ns;
	s->nslot = nslot;
	return 0;
}

/* @return the index (existing or new), -ENOMEM, -E2BIG. */
static int64_t sset_add(acct *a, sset *s, const char *p, size_t n, uint32_t val,
			int *created)
{
	int64_t f = sset_find(s, p, n);
	uint32_t mask, i;

	if (created)
		*created = 0;
	if (f >= 0)
		return f;
	if (s->n >= 0x7ffffff0u)
		return -E2BIG;
	if ((uint64_t)(s->n + 1) * 2 > s->nslot &&
	    sset_rehash(a, s, s->nslot ? s->nslot * 2 : 64) < 0)
		return -ENOMEM;
	if (grow(a, &s->a, &s->acap, s->alen + n + 1, 1) < 0 ||
	    grow(a, &s->off, &s->offcap, (uint64_t)s->n + 1, sizeof(*s->off)) <
		0 ||
	    grow(a, &s->val, &s->valcap, (uint64_t)s->n + 1, sizeof(*s->val)) <
		0)
		return -ENOMEM;
	memcpy(s->a + s->alen, p, n);
	s->a[s->alen + n] = 0;
	s->off[s->n] = s->alen;
	s->val[s->n] = val;
	s->alen += n + 1;
	mask = s->nslot - 1;
	for (i = (uint32_t)(sset_hash(s, p, n) & mask); s->slot[i];
	     i = (i + 1) & mask)
		;
	s->slot[i] = s->n + 1;
	if (created)
		*created = 1;
	return s->n++;
}

static void sset_free(sset *s)
{
	free(s->a);
	free(s->off);
	free(s->val);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

static const char *const kind_names[GDB_GRAPH_NKINDS] = {
    "gene", "protein", "compound", "pathway", "reaction", "other",
};

const char *gdb_graph_kind_name(unsigned kind)
{
	return kind < GDB_GRAPH_NKINDS ? kind_names[kind] : "other";
}

int gdb_graph_builder_new(gdb_graph_builder **out)
{
	gdb_graph_builder *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->keys.icase = 1;
	b->pw.icase = 1;
	*out = b;
	return 0;
}

int gdb_graph_builder_names(gdb_graph_builder *b, int case_insensitive)
{
	if (b->n || b->pw.n)
		return -EINVAL;
	b->names_icase = case_insensitive != 0;
	b->keys.eq_icase = b->pw.eq_icase = b->names_icase;
	return 0;
}

int graph_builder_layout(gdb_graph_builder *b, uint32_t version)
{
	if (version != 1 && version != GRAPH_VERSION)
		return -EINVAL;
	b->layout = version;
	if (version == 1) /* version 1 matched names without case */
		return gdb_graph_builder_names(b, 1);
	return 0;
}

int gdb_graph_builder_species(gdb_graph_builder *b, uint32_t taxon,
			      const char *label)
{
	if (label && (strlen(label) >= sizeof(b->species) ||
		      strchr(label, '\t') || strchr(label, '\n')))
		return -EINVAL;
	b->taxon = taxon;
	snprintf(b->species, sizeof(b->species), "%s", label ? label : "");
	return 0;
}

void gdb_graph_builder_free(gdb_graph_builder *b)
{
	if (!b)
		return;
	sset_free(&b->keys);
	sset_free(&b->types);
	sset_free(&b->evid);
	sset_free(&b->pw);
	free(b->names);
	free(b->name_off);
	free(b->kind);
	free(b->al);
	free(b->al_node);
	free(b->al_off);
	free(b->src);
	free(b->dst);
	free(b->ev);
	free(b->conf);
	free(b->type);
	free(b->flags);
	free(b->chan);
	for (unsigned i = 0; i < b->nchan; i++)
		free(b->chan_names[i]);
	free(b->titles);
	free(b->title_off);
	free(b->mem_pw);
	free(b->mem_node);
	free(b);
}

static int name_ok(const char *s)
{
	size_t n;

	if (!s || !*s)
		return 0;
	n = strlen(s);
	if (n > GDB_GRAPH_STR_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
			return 0;
	return 1;
}

static int set_name(gdb_graph_builder *b, uint32_t id, const char *name)
{
	size_t n = strlen(name);

	if (grow(&b->a, &b->names, &b->ncap, b->nlen + n + 1, 1) < 0)
		return -ENOMEM;
	memcpy(b->names + b->nlen, name, n + 1);
	b->name_off[id] = b->nlen;
	b->nlen += n + 1;
	return 0;
}

int gdb_graph_node_add(gdb_graph_builder *b, const char *name, unsigned kind,
		       uint32_t *id)
{
	int64_t k;
	int created;

	if (!name_ok(name) || kind >= GDB_GRAPH_NKINDS)
		return -EINVAL;
	k = sset_find(&b->keys, name, strlen(name));
	if (k >= 0) {
		*id = b->keys.val[k];
		return 0;
	}
	if (b->n >= 0x7fffffffu)
		return -E2BIG;
	if (grow(&b->a, &b->name_off, &b->name_offcap, (uint64_t)b->n + 1,
		 sizeof(*b->name_off)) < 0 ||
	    grow(&b->a, &b->kind, &b->kindcap, (uint64_t)b->n + 1, 1) < 0 ||
	    set_name(b, b->n, name) < 0)
		return -ENOMEM;
	k = sset_add(&b->a, &b->keys, name, strlen(name), b->n, &created);
	if (k < 0)
		return (int)k;
	b->kind[b->n] = (uint8_t)kind;
	*id = b->n++;
	return 1;
}

int gdb_graph_node_find(const gdb_graph_builder *b, const char *name)
{
	int64_t k = sset_find(&b->keys, name, strlen(name));

	return k < 0 ? -ENOENT : (int)b->keys.val[k];
}

const char *gdb_graph_node_name_of(const gdb_graph_builder *b, uint32_t id)
{
	return id < b->n ? b->names + b->name_off[id] : NULL;
}

int gdb_graph_node_kind_set(gdb_graph_builder *b, uint32_t id, unsigned kind)
{
	if (id >= b->n || kind >= GDB_GRAPH_NKINDS)
		return -EINVAL;
	b->kind[id] = (uint8_t)kind;
	return 0;
}

static int alias_record(gdb_graph_builder *b, uint32_t id, const char *ns,
			const char *alias)
{
	size_t nn = strlen(ns), an = strlen(alias);

	if (grow(&b->a, &b->al, &b->alcap, b->allen + nn + an + 2, 1) < 0 ||
	    grow(&b->a, &b->al_node, &b->al_nodecap, b->nal + 1,
		 sizeof(*b->al_node)) < 0 ||
	    grow(&b->a, &b->al_off, &b->al_offcap, b->nal + 1,
		 sizeof(*b->al_off)) < 0)
		return -ENOMEM;
	b->al_off[b->nal] = b->allen;
	b->al_node[b->nal++] = id;
	memcpy(b->al + b->allen, ns, nn);
	b->al[b->allen + nn] = '\t';
	memcpy(b->al + b->allen + nn + 1, alias, an + 1);
	b->allen += nn + an + 2;
	return 0;
}

int gdb_graph_node_alias_add(gdb_graph_builder *b, uint32_t id, const char *ns,
			     const char *alias)
{
	int64_t k;

	if (id >= b->n || !name_ok(alias) || !ns || strlen(ns) > 255 ||
	    strchr(ns, '\t') || strchr(ns, '\n'))
		return -EINVAL;
	k = sset_find(&b->keys, alias, strlen(alias));
	if (k >= 0 && b->keys.val[k] == id)
		return 0; /* already leads here */
	if (k < 0) {
		k = sset_add(&b->a, &b->keys, alias, strlen(alias), id, NULL);
		if (k < 0)
			return (int)k;
	}
	return alias_record(b, id, ns, alias);
}

int gdb_graph_node_rename(gdb_graph_builder *b, uint32_t id,
			  const char *ns_of_old, const char *name)
{
	int64_t k;
	const char *old;
	char *copy;
	int rc;

	if (id >= b->n || !name_ok(name) || !ns_of_old)
		return -EINVAL;
	old = b->names + b->name_off[id];
	if (!strcmp(old, name))
		return 0;
	k = sset_find(&b->keys, name, strlen(name));
	if (k >= 0 && b->keys.val[k] != id)
		return -EEXIST;
	copy = strdup(old);
	if (!copy)
		return -ENOMEM;
	if (k < 0) {
		k = sset_add(&b->a, &b->keys, name, strlen(name), id, NULL);
		if (k < 0) {
			free(copy);
			return (int)k;
		}
	}
	rc = set_name(b, id, name);
	if (rc == 0 &&
	    (b->names_icase ? !graph_eq_icase(copy, name, strlen(name) + 1)
			    : strcmp(copy, name) != 0))
		rc = alias_record(b, id, ns_of_old, copy);
	free(copy);
	return rc;
}

int gdb_graph_type_add(gdb_graph_builder *b, const char *type)
{
	int64_t k;

	if (!name_ok(type))
		return -EINVAL;
	k = sset_add(&b->a, &b->types, type, strlen(type), 0, NULL);
	if (k >= 0 && k > 65535)
		return -E2BIG;
	return (int)k;
}

int gdb_graph_channels_set(gdb_graph_builder *b, unsigned n,
			   const char *const *names)
{
	if (n > GDB_GRAPH_MAX_CHANNELS || b->m || b->nchan)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (!name_ok(names[i]))
			return -EINVAL;
		b->chan_names[i] = strdup(names[i]);
		if (!b->chan_names[i])
			return -ENOMEM;
		b->nchan = i + 1;
	}
	return 0;
}

int gdb_graph_edge_add(gdb_graph_builder *b, uint32_t src, uint32_t dst,
		       uint32_t type, int directed, double conf,
		       const char *evidence, const uint16_t *chan)
{
	uint64_t m = b->m;
	uint32_t ev = GRAPH_NONE;

	if (src >= b->n || dst >= b->n || type >= b->types.n ||
	    !(conf >= 0.0 && conf <= 1.0))
		return -EINVAL;
	if (m >= GRAPH_EID_MASK)
		return -E2BIG;
	if (evidence && *evidence) {
		int64_t k;
		if (strlen(evidence) > GDB_GRAPH_STR_MAX)
			return -EINVAL;
		k = sset_add(&b->a, &b->evid, evidence, strlen(evidence), 0,
			     NULL);
		if (k < 0)
			return (int)k;
		ev = (uint32_t)k;
	}
	if (grow(&b->a, &b->src, &b->srccap, m + 1, 4) < 0 ||
	    grow(&b->a, &b->dst, &b->dstcap, m + 1, 4) < 0 ||
	    grow(&b->a, &b->ev, &b->evcap, m + 1, 4) < 0 ||
	    grow(&b->a, &b->conf, &b->confcap, m + 1, 4) < 0 ||
	    grow(&b->a, &b->type, &b->typecap, m + 1, 2) < 0 ||
	    grow(&b->a, &b->flags, &b->flagscap, m + 1, 1) < 0 ||
	    (b->nchan &&
	     grow(&b->a, &b->chan, &b->chancap, (m + 1) * b->nchan, 2) < 0))
		return -ENOMEM;
	/* Undirected edges are kept with src <= dst so that both
	 * orientations deduplicate. */
	if (!directed && src > dst) {
		uint32_t t = src;
		src = dst;
		dst = t;
	}
	b->src[m] = src;
	b->dst[m] = dst;
	b->ev[m] = ev;
	b->conf[m] = (float)conf;
	b->type[m] = (uint16_t)type;
	b->flags[m] = directed ? GRAPH_FLAG_DIRECTED : 0;
	for (unsigned c = 0; c < b->nchan; c++)
		b->chan[m * b->nchan + c] = chan ? chan[c] : 0;
	b->m = m + 1;
	return 0;
}

int gdb_graph_pathway_add(gdb_graph_builder *b, const char *id,
			  const char *title, uint32_t *pid)
{
	int created;
	int64_t k;

	if (!name_ok(id) || (title && strlen(title) > GDB_GRAPH_STR_MAX))
		return -EINVAL;
	k = sset_add(&b->a, &b->pw, id, strlen(id), 0, &created);
	if (k < 0)
		return (int)k;
	if (grow(&b->a, &b->title_off, &b->title_offcap, (uint64_t)k + 1,
		 sizeof(*b->title_off)) < 0)
		return -ENOMEM;
	if (created)
		b->title_off[k] = UINT64_MAX;
	if (title && *title) {
		size_t n = strlen(title);
		if (grow(&b->a, &b->titles, &b->tcap, b->tlen + n + 1, 1) < 0)
			return -ENOMEM;
		memcpy(b->titles + b->tlen, title, n + 1);
		for (size_t i = 0; i < n; i++)
			if (b->titles[b->tlen + i] == '\t' ||
			    b->titles[b->tlen + i] == '\n' ||
			    b->titles[b->tlen + i] == '\r')
				b->titles[b->tlen + i] = ' ';
		b->title_off[k] = b->tlen;
		b->tlen += n + 1;
	}
	*pid = (uint32_t)k;
	return created;
}

int gdb_graph_pathway_member_add(gdb_graph_builder *b, uint32_t pid,
				 uint32_t node)
{
	if (pid >= b->pw.n || node >= b->n)
		return -EINVAL;
	if (grow(&b->a, &b->mem_pw, &b->mem_pwcap, b->nmem + 1, 4) < 0 ||
	    grow(&b->a, &b->mem_node, &b->mem_nodecap, b->nmem + 1, 4) < 0)
		return -ENOMEM;
	b->mem_pw[b->nmem] = pid;
	b->mem_node[b->nmem++] = node;
	return 0;
}

uint32_t gdb_graph_builder_nnodes(const gdb_graph_builder *b)
{
	return b->n;
}

uint64_t gdb_graph_builder_nedges(const gdb_graph_builder *b)
{
	return b->m;
}

uint32_t gdb_graph_builder_npathways(const gdb_graph_builder *b)
{
	return b->pw.n;
}

uint64_t gdb_graph_builder_peak_bytes(const gdb_graph_builder *b)
{
	return b->a.peak;
}
