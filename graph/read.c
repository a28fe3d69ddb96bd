/*
 * graph/read.c - open every network of a store in place and join them by
 * node name: the global node and pathway tables, lookups, edge decoding,
 * and query filters.
 *
 * Zero-copy: every array a query walks (CSR offsets, neighbours, edge
 * columns, strings) is the section's bytes in the store's mapping. What
 * is built in memory at open is small and proportional to nodes and
 * pathways, not edges: local <-> global node maps, a global name hash and
 * the name order. Each section is validated once here (sizes, monotonic
 * offsets, terminated strings, ids in range), so queries index without
 * checks.
 */
#define _GNU_SOURCE
#include "graph/graph_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(char *err, size_t errlen, const graph_net *N, const char *sec,
	       const char *what)
{
	gdb_seterr(err, errlen, "graph network %s: section %s: %s", N->name,
		   sec, what);
	return GDB_CORRUPT("graph section invalid");
}

/* Get a section that must be exactly len bytes (len UINT64_MAX: any). */
static int get(const gdb_store *s, graph_net *N, const char *name,
	       const void **p, uint64_t len, uint64_t *got, char *err,
	       size_t errlen)
{
	uint64_t l = 0;
	int rc = gdb_store_section(s, N->obj, name, p, &l);

	if (rc == -ENOENT)
		return bad(err, errlen, N, name, "missing");
	if (rc < 0) {
		gdb_seterr(err, errlen, "graph network %s: section %s: %s",
			   N->name, name, gdb_strerror(rc));
		return rc;
	}
	if (len != UINT64_MAX && l != len)
		return bad(err, errlen, N, name, "wrong size");
	if (got)
		*got = l;
	return 0;
}

/* A string table: off u64[n+1] into a heap of NUL-terminated strings. */
static int get_strings(const gdb_store *s, graph_net *N, const char *offname,
		       const char *strname, uint64_t n, const uint64_t **off,
		       const char **str, char *err, size_t errlen)
{
	uint64_t hl;
	const void *o, *h;

	GDB_TRY(get(s, N, offname, &o, (n + 1) * 8, NULL, err, errlen));
	GDB_TRY(get(s, N, strname, &h, UINT64_MAX, &hl, err, errlen));
	*off = o;
	*str = h;
	if ((*off)[0] != 0 || (*off)[n] != hl)
		return bad(err, errlen, N, offname, "offsets do not span");
	/* each offset checked against the heap before the byte it names is
	 * read: only the last one is known to be hl */
	for (uint64_t i = 0; i < n; i++) {
		if ((*off)[i + 1] <= (*off)[i] || (*off)[i + 1] > hl)
			return bad(err, errlen, N, offname, "not increasing");
		if ((*str)[(*off)[i + 1] - 1])
			return bad(err, errlen, N, offname,
				   "string not terminated");
	}
	return 0;
}

/* One CSR direction; ndirected (may be NULL): entries without
 * GRAPH_UNDIR_BIT. */
static int get_csr(const gdb_store *s, graph_net *N, const char *pre,
		   uint64_t A, const uint64_t **off, const uint32_t **nbr,
		   const uint32_t **eid, const float **conf,
		   uint64_t *ndirected, char *err, size_t errlen)
{
	char name[32];
	const void *p;
	uint64_t nd = 0;

	snprintf(name, sizeof(name), "%s.off", pre);
	GDB_TRY(
	    get(s, N, name, &p, ((uint64_t)N->n + 1) * 8, NULL, err, errlen));
	*off = p;
	if ((*off)[0] || (*off)[N->n] != A)
		return bad(err, errlen, N, name, "offsets do not span");
	for (uint32_t u = 0; u < N->n; u++)
		if ((*off)[u + 1] < (*off)[u])
			return bad(err, errlen, N, name, "not monotonic");
	snprintf(name, sizeof(name), "%s.nbr", pre);
	GDB_TRY(get(s, N, name, &p, A * 4, NULL, err, errlen));
	*nbr = p;
	snprintf(name, sizeof(name), "%s.eid", pre);
	GDB_TRY(get(s, N, name, &p, A * 4, NULL, err, errlen));
	*eid = p;
	snprintf(name, sizeof(name), "%s.conf", pre);
	GDB_TRY(get(s, N, name, &p, A * 4, NULL, err, errlen));
	*conf = p;
	for (uint64_t i = 0; i < A; i++) {
		if ((*nbr)[i] >= N->n || ((*eid)[i] & GRAPH_EID_MASK) >= N->m ||
		    !((*conf)[i] >= 0.0f && (*conf)[i] <= 1.0f))
			return bad(err, errlen, N, name, "entry out of range");
		nd += !((*eid)[i] & GRAPH_UNDIR_BIT);
	}
	if (ndirected)
		*ndirected = nd;
	return 0;
}

/* graph.meta: the counts, and (version 2) names and species. */
static int open_meta(const gdb_store *s, graph_net *N, char *err, size_t errlen)
{
	const void *p;
	const uint8_t *meta;
	uint64_t l;
	uint32_t flags;

	GDB_TRY(get(s, N, "graph.meta", &p, UINT64_MAX, &l, err, errlen));
	meta = p;
	if (l < GRAPH_META_BYTES || memcmp(meta, GRAPH_MAGIC, 8))
		return bad(err, errlen, N, "graph.meta", "bad magic or size");
	N->version = gdb_get_le32(meta + 8);
	if (N->version < 1 || N->version > GRAPH_VERSION) {
		gdb_seterr(err, errlen,
			   "graph network %s: version %u not "
			   "understood (this build reads 1 to %u)",
			   N->name, N->version, GRAPH_VERSION);
		return GDB_EVERSION;
	}
	flags = gdb_get_le32(meta + 12);
	N->n = gdb_get_le32(meta + 16);
	N->ntypes = gdb_get_le32(meta + 20);
	N->m = gdb_get_le64(meta + 24);
	N->nout = gdb_get_le64(meta + 32);
	N->nin = gdb_get_le64(meta + 40);
	N->npw = gdb_get_le32(meta + 48);
	N->nchan = gdb_get_le32(meta + 52);
	N->nmem = gdb_get_le64(meta + 56);
	N->nkeys = gdb_get_le32(meta + 64);
	N->nslots = gdb_get_le32(meta + 68);
	N->nevid = gdb_get_le32(meta + 72);
	if (N->n > 0x7fffffffu || N->m > GRAPH_EID_MASK ||
	    N->nchan > GDB_GRAPH_MAX_CHANNELS || N->ntypes > 65536 ||
	    (N->nslots & (N->nslots - 1)) || N->nkeys > N->nslots ||
	    (N->nkeys && N->nkeys * 2 > N->nslots) || N->nkeys < N->n ||
	    (flags & ~GRAPH_META_ICASE) || (N->version == 1 && flags))
		return bad(err, errlen, N, "graph.meta", "counts out of range");
	/* Version 1 networks were built and joined without case, of no
	 * recorded species; they are read so. */
	N->icase = N->version == 1 || (flags & GRAPH_META_ICASE);
	N->taxon = N->version == 1 ? 0 : gdb_get_le32(meta + 76);
	N->species = "";
	if (N->version >= 2) {
		GDB_TRY(get(s, N, "graph.species", &p, UINT64_MAX, &l, err,
			    errlen));
		if (!l || ((const char *)p)[l - 1] || memchr(p, 0, l - 1) ||
		    l > 256)
			return bad(err, errlen, N, "graph.species",
				   "not one string");
		N->species = p;
	}
	return 0;
}

/* Node kinds, names, aliases and the lookup index. */
static int open_nodes(const gdb_store *s, graph_net *N, char *err,
		      size_t errlen)
{
	const void *p;
	uint64_t l;

	GDB_TRY(get(s, N, "node.kind", &p, N->n, NULL, err, errlen));
	N->kind = p;
	GDB_TRY(get_strings(s, N, "node.name.off", "node.name.str", N->n,
			    &N->name_off, &N->name_str, err, errlen));
	GDB_TRY(get(s, N, "node.alias.off", &p, ((uint64_t)N->n + 1) * 8, NULL,
		    err, errlen));
	N->alias_off = p;
	GDB_TRY(get(s, N, "node.alias.str", &p, UINT64_MAX, &l, err, errlen));
	N->alias_str = p;
	if (N->alias_off[0] || N->alias_off[N->n] != l ||
	    (l && N->alias_str[l - 1]))
		return bad(err, errlen, N, "node.alias.off", "bad offsets");
	for (uint32_t u = 0; u < N->n; u++)
		if (N->alias_off[u + 1] < N->alias_off[u] ||
		    N->alias_off[u + 1] > l ||
		    (N->alias_off[u + 1] > N->alias_off[u] &&
		     N->alias_str[N->alias_off[u + 1] - 1]))
			return bad(err, errlen, N, "node.alias.off",
				   "bad offsets");
	GDB_TRY(get(s, N, "index.slot", &p, (uint64_t)N->nslots * 4, NULL, err,
		    errlen));
	N->slot = p;
	for (uint32_t i = 0; i < N->nslots; i++)
		if (N->slot[i] > N->nkeys)
			return bad(err, errlen, N, "index.slot", "bad key");
	GDB_TRY(get(s, N, "index.node", &p, (uint64_t)N->nkeys * 4, NULL, err,
		    errlen));
	N->key_node = p;
	for (uint32_t i = 0; i < N->nkeys; i++)
		if (N->key_node[i] >= N->n)
			return bad(err, errlen, N, "index.node", "bad node");
	return get_strings(s, N, "index.key.off", "index.key.str", N->nkeys,
			   &N->key_off, &N->key_str, err, errlen);
}

/* The edge columns, their string tables and the score channels. */
static int open_edges(const gdb_store *s, graph_net *N, char *err,
		      size_t errlen)
{
	const void *p;
	uint64_t l, at = 0;
	const char *c;

	GDB_TRY(get_strings(s, N, "type.off", "type.str", N->ntypes,
			    &N->type_off, &N->type_str, err, errlen));
	GDB_TRY(get_strings(s, N, "evid.off", "evid.str", N->nevid,
			    &N->evid_off, &N->evid_str, err, errlen));
	GDB_TRY(get(s, N, "edge.src", &p, N->m * 4, NULL, err, errlen));
	N->src = p;
	GDB_TRY(get(s, N, "edge.dst", &p, N->m * 4, NULL, err, errlen));
	N->dst = p;
	GDB_TRY(get(s, N, "edge.conf", &p, N->m * 4, NULL, err, errlen));
	N->conf = p;
	GDB_TRY(get(s, N, "edge.type", &p, N->m * 2, NULL, err, errlen));
	N->etype = p;
	GDB_TRY(get(s, N, "edge.flags", &p, N->m, NULL, err, errlen));
	N->eflags = p;
	GDB_TRY(get(s, N, "edge.evid", &p, N->m * 4, NULL, err, errlen));
	N->evid = p;
	for (uint64_t e = 0; e < N->m; e++)
		if (N->src[e] >= N->n || N->dst[e] >= N->n ||
		    N->etype[e] >= N->ntypes ||
		    (N->evid[e] != GRAPH_NONE && N->evid[e] >= N->nevid) ||
		    !(N->conf[e] >= 0.0f && N->conf[e] <= 1.0f))
			return bad(err, errlen, N, "edge.*",
				   "value out of range");
	GDB_TRY(get(s, N, "chan.names", &p, UINT64_MAX, &l, err, errlen));
	c = p;
	for (uint32_t i = 0; i < N->nchan; i++) {
		const char *z = at < l ? memchr(c + at, 0, l - at) : NULL;
		if (!z)
			return bad(err, errlen, N, "chan.names",
				   "not terminated");
		N->chan_names[i] = c + at;
		at = (uint64_t)(z - c) + 1;
	}
	GDB_TRY(
	    get(s, N, "edge.chan", &p, N->m * N->nchan * 2, NULL, err, errlen));
	N->chan = p;
	GDB_TRY(get_csr(s, N, "out", N->nout, &N->out_off, &N->out_nbr,
			&N->out_eid, &N->out_conf, &N->out_ndirected, err,
			errlen));
	return get_csr(s, N, "in", N->nin, &N->in_off, &N->in_nbr, &N->in_eid,
		       &N->in_conf, NULL, err, errlen);
}

/* Pathway ids, titles and memberships (both ways). */
static int open_pathways(const gdb_store *s, graph_net *N, char *err,
			 size_t errlen)
{
	const void *p;

	GDB_TRY(get_strings(s, N, "pw.id.off", "pw.id.str", N->npw,
			    &N->pwid_off, &N->pwid_str, err, errlen));
	/* the titles' offsets, too, each checked against the heap before
	 * the byte before it is read */
	GDB_TRY(get_strings(s, N, "pw.title.off", "pw.title.str", N->npw,
			    &N->pwtitle_off, &N->pwtitle_str, err, errlen));
	GDB_TRY(get(s, N, "pw.mem.off", &p, ((uint64_t)N->npw + 1) * 8, NULL,
		    err, errlen));
	N->pwmem_off = p;
	GDB_TRY(get(s, N, "pw.mem", &p, N->nmem * 4, NULL, err, errlen));
	N->pwmem = p;
	GDB_TRY(get(s, N, "node.pw.off", &p, ((uint64_t)N->n + 1) * 8, NULL,
		    err, errlen));
	N->node_pw_off = p;
	GDB_TRY(get(s, N, "node.pw", &p, N->nmem * 4, NULL, err, errlen));
	N->node_pw = p;
	if (N->pwmem_off[0] || N->pwmem_off[N->npw] != N->nmem ||
	    N->node_pw_off[0] || N->node_pw_off[N->n] != N->nmem)
		return bad(err, errlen, N, "pw.mem.off", "bad offsets");
	for (uint32_t i = 0; i < N->npw; i++)
		if (N->pwmem_off[i + 1] < N->pwmem_off[i])
			return bad(err, errlen, N, "pw.mem.off", "bad offsets");
	for (uint32_t i = 0; i < N->n; i++)
		if (N->node_pw_off[i + 1] < N->node_pw_off[i])
			return bad(err, errlen, N, "node.pw.off",
				   "bad offsets");
	for (uint64_t i = 0; i < N->nmem; i++)
		if (N->pwmem[i] >= N->n || N->node_pw[i] >= N->npw)
			return bad(err, errlen, N, "pw.mem", "id out of range");
	return 0;
}

/* The network's section that ends last in its segment: a truncation that
 * cuts any section cuts this one, so gdb_graph_check looks at it alone. */
static void find_last_section(const gdb_store *s, graph_net *N)
{
	const gdb_object *o = gdb_store_object(s, N->obj);
	const char *end = NULL;

	for (uint32_t i = 0; i < o->nsections; i++) {
		const void *p;
		uint64_t l;
		if (gdb_store_section_at(s, N->obj, i, NULL, &p, &l) == 0 &&
		    (const char *)p + l > end) {
			end = (const char *)p + l;
			N->last_sec = i;
		}
	}
}

int graph_net_open(const gdb_store *s, graph_net *N, char *err, size_t errlen)
{
	GDB_TRY(open_meta(s, N, err, errlen));
	GDB_TRY(open_nodes(s, N, err, errlen));
	GDB_TRY(open_edges(s, N, err, errlen));
	GDB_TRY(open_pathways(s, N, err, errlen));
	find_last_section(s, N);
	return 0;
}

int gdb_graph_check(const gdb_graph *g, int net, char *err, size_t errlen)
{
	uint32_t lo = net < 0 ? 0 : (uint32_t)net;
	uint32_t hi = net < 0 ? g->nnets : (uint32_t)net + 1;

	for (uint32_t i = lo; i < hi && i < g->nnets; i++) {
		const graph_net *N = &g->nets[i];
		const void *p;
		uint64_t l;
		int rc = gdb_store_section_at(g->store, N->obj, N->last_sec,
					      NULL, &p, &l);
		if (rc < 0) {
			gdb_seterr(err, errlen,
				   "graph network %s: its segment lost bytes "
				   "while mapped (%s)",
				   N->name, gdb_strerror(rc));
			return GDB_ECORRUPT;
		}
	}
	return 0;
}

int gdb_graph_open(const gdb_store *s, gdb_graph **out, char *err,
		   size_t errlen)
{
	gdb_graph *g = calloc(1, sizeof(*g));
	uint32_t no = gdb_store_nobjects(s);
	char why[512];
	int rc;

	if (!g)
		return -ENOMEM;
	g->store = s;
	g->nets = calloc(no ? no : 1, sizeof(graph_net));
	g->bad = calloc(no ? no : 1, sizeof(graph_bad));
	if (!g->nets || !g->bad) {
		free(g->nets);
		free(g->bad);
		free(g);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < no; i++) {
		const gdb_object *o = gdb_store_object(s, i);
		const void *p;
		uint64_t l;
		graph_net *N;
		if (o->kind != GDB_OBJECT_SECTIONS)
			continue;
		rc = gdb_store_section(s, i, "graph.meta", &p, &l);
		if (rc == -ENOENT)
			continue; /* another module's object */
		N = &g->nets[g->nnets];
		memset(N, 0, sizeof(*N));
		N->name = o->name;
		N->obj = i;
		rc = graph_net_open(s, N, why, sizeof(why));
		if (rc == -ENOMEM) {
			gdb_seterr(err, errlen, "%s", why);
			goto fail;
		}
		if (rc < 0) { /* damaged: the others go on without it */
			graph_bad *b = &g->bad[g->nbad++];
			b->name = o->name;
			b->rc = rc;
			snprintf(b->why, sizeof(b->why), "%s", why);
			continue;
		}
		g->nnets++;
	}
	if ((rc = graph_join(g)) < 0) {
		gdb_seterr(err, errlen, "opening graphs: %s", gdb_strerror(rc));
		goto fail;
	}
	*out = g;
	return 0;
fail:
	gdb_graph_close(g);
	return rc;
}

void gdb_graph_close(gdb_graph *g)
{
	if (!g)
		return;
	for (uint32_t i = 0; i < g->nnets; i++) {
		free(g->nets[i].l2g);
		free(g->nets[i].pw2g);
		if (g->g2l)
			free(g->g2l[i]);
	}
	free(g->nets);
	free(g->bad);
	free(g->g2l);
	free(g->gslot);
	free(g->gname);
	free(g->gname_len);
	free(g->ggroup);
	free(g->gkind);
	free(g->rank);
	free(g->byrank);
	free(g->pid);
	free(g->pid_len);
	free(g->pgroup);
	free(g->ptitle);
	free(g->pent_off);
	free(g->pent_net);
	free(g->pent_local);
	free(g->pslot);
	free(g->prank);
	free(g);
}

uint32_t gdb_graph_ndamaged(const gdb_graph *g)
{
	return g->nbad;
}

int gdb_graph_damaged(const gdb_graph *g, uint32_t i, const char **name,
		      const char **why)
{
	if (i >= g->nbad)
		return -ENOENT;
	*name = g->bad[i].name;
	*why = g->bad[i].why;
	return g->bad[i].rc;
}

int gdb_graph_network_damage(const gdb_graph *g, const char *name,
			     const char **why)
{
	int d;

	for (uint32_t i = 0; i < g->nbad; i++)
		if (!strcmp(g->bad[i].name, name)) {
			*why = g->bad[i].why;
			return g->bad[i].rc;
		}
	d = gdb_store_damaged_find(g->store, GDB_OBJECT_SECTIONS, name);
	if (d < 0)
		return 0;
	*why = gdb_store_damaged(g->store, (uint32_t)d)->message;
	return gdb_store_damaged(g->store, (uint32_t)d)->error;
}

uint32_t gdb_graph_nnetworks(const gdb_graph *g)
{
	return g->nnets;
}

const char *gdb_graph_network_name(const gdb_graph *g, uint32_t net)
{
	return net < g->nnets ? g->nets[net].name : NULL;
}

int gdb_graph_network_find(const gdb_graph *g, const char *name)
{
	for (uint32_t i = 0; i < g->nnets; i++)
		if (!strcmp(g->nets[i].name, name))
			return (int)i;
	return -ENOENT;
}

void gdb_graph_network_stat(const gdb_graph *g, uint32_t net,
			    gdb_graph_network_info *info)
{
	const graph_net *N = &g->nets[net];

	memset(info, 0, sizeof(*info));
	if (net >= g->nnets)
		return;
	info->name = N->name;
	info->nnodes = N->n;
	info->nedges = N->m;
	info->ntypes = N->ntypes;
	info->npathways = N->npw;
	info->nchannels = N->nchan;
	info->version = N->version;
	info->taxon = N->taxon;
	info->species = N->species;
	info->case_insensitive = N->icase;
	info->group = N->group;
}

const char *gdb_graph_network_type(const gdb_graph *g, uint32_t net, uint32_t i)
{
	if (net >= g->nnets || i >= g->nets[net].ntypes)
		return NULL;
	return g->nets[net].type_str + g->nets[net].type_off[i];
}

uint32_t gdb_graph_nnodes(const gdb_graph *g)
{
	return g->G;
}

void gdb_graph_edge_get(const gdb_graph *g, gdb_graph_eref r, gdb_graph_edge *e)
{
	const graph_net *N = &g->nets[r.net];
	uint32_t i = r.eid;

	e->src = N->l2g[N->src[i]];
	e->dst = N->l2g[N->dst[i]];
	e->type = N->type_str + N->type_off[N->etype[i]];
	e->network = N->name;
	e->evidence = N->evid[i] == GRAPH_NONE
			  ? ""
			  : N->evid_str + N->evid_off[N->evid[i]];
	e->conf = N->conf[i];
	e->directed = N->eflags[i] & GRAPH_FLAG_DIRECTED;
	e->nchannels = N->nchan;
	for (uint32_t c = 0; c < N->nchan; c++) {
		e->chan_names[c] = N->chan_names[c];
		e->chan[c] = N->chan[(uint64_t)i * N->nchan + c];
	}
}

/* ------------------------------------------------------------- filters */

void gdb_graph_filter_init(gdb_graph_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->net = -1;
	f->hop_cost = -1;
}

static int parse_u64(const char *v, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (!strcmp(v, "all") || !strcmp(v, "none")) {
		*out = UINT64_MAX;
		return 0;
	}
	if (*v < '0' || *v > '9')
		return -1;
	x = strtoull(v, &end, 10);
	if (*end || x > max)
		return -1;
	*out = x;
	return 0;
}

int gdb_graph_filter_parse(const gdb_graph *g, char *text, gdb_graph_filter *f,
			   char *err, size_t errlen)
{
	char *save = NULL;

	for (char *kv = strtok_r(text, ",", &save); kv;
	     kv = strtok_r(NULL, ",", &save)) {
		char *v = strchr(kv, '=');
		uint64_t x;
		if (!v) {
			gdb_seterr(err, errlen, "parameter '%s' has no value",
				   kv);
			return GDB_EFORMAT;
		}
		*v++ = 0;
		if (!strcmp(kv, "min-conf") || !strcmp(kv, "hop-cost")) {
			char *end;
			double d = strtod(v, &end);
			if (!*v || *end || !(d >= 0.0) ||
			    (!strcmp(kv, "min-conf") && d > 1.0) || d > 1e6) {
				gdb_seterr(err, errlen,
					   "%s=%s: expected a "
					   "number%s",
					   kv, v,
					   kv[0] == 'm' ? " in [0,1]"
							: " >= 0");
				return GDB_EFORMAT;
			}
			if (kv[0] == 'm')
				f->min_conf = d;
			else
				f->hop_cost = d;
		} else if (!strcmp(kv, "type")) {
			char *s2 = NULL;
			for (char *t = strtok_r(v, "+", &s2); t;
			     t = strtok_r(NULL, "+", &s2)) {
				if (f->ntypes >= GDB_GRAPH_MAX_TYPES) {
					gdb_seterr(err, errlen,
						   "too many "
						   "types");
					return GDB_EFORMAT;
				}
				f->types[f->ntypes++] = t;
			}
			if (!f->ntypes) {
				gdb_seterr(err, errlen, "type= is empty");
				return GDB_EFORMAT;
			}
		} else if (!strcmp(kv, "net") || !strcmp(kv, "network")) {
			int n = g ? gdb_graph_network_find(g, v) : -ENOENT;
			if (n < 0) {
				gdb_seterr(err, errlen, "no network '%s'", v);
				return -ENOENT;
			}
			if (f->net >= 0 && f->net != n) {
				gdb_seterr(err, errlen, "two networks named");
				return GDB_EFORMAT;
			}
			f->net = n;
		} else if (!strcmp(kv, "dir")) {
			if (!strcmp(v, "out"))
				f->dir = GDB_GRAPH_OUT;
			else if (!strcmp(v, "in"))
				f->dir = GDB_GRAPH_IN;
			else if (!strcmp(v, "both") || !strcmp(v, "any"))
				f->dir = GDB_GRAPH_BOTH;
			else {
				gdb_seterr(err, errlen,
					   "dir=%s: expected "
					   "out, in or both",
					   v);
				return GDB_EFORMAT;
			}
		} else if (!strcmp(kv, "limit") || !strcmp(kv, "edge-limit")) {
			if (parse_u64(v, UINT64_MAX - 1, &x) < 0 || x == 0) {
				gdb_seterr(err, errlen,
					   "%s=%s: expected a "
					   "positive count or 'all'",
					   kv, v);
				return GDB_EFORMAT;
			}
			if (kv[0] == 'l')
				f->limit = x;
			else
				f->edge_limit = x;
		} else if (!strcmp(kv, "max-len") || !strcmp(kv, "k")) {
			if (parse_u64(v, 64, &x) < 0 || x == 0) {
				gdb_seterr(err, errlen,
					   "%s=%s: expected "
					   "1..64",
					   kv, v);
				return GDB_EFORMAT;
			}
			if (kv[0] == 'm')
				f->max_len = (unsigned)x;
			else
				f->k = (unsigned)x;
		} else {
			gdb_seterr(err, errlen,
				   "unknown parameter '%s' "
				   "(min-conf, type, net, dir, limit, "
				   "edge-limit, hop-cost, max-len, k)",
				   kv);
			return GDB_EFORMAT;
		}
	}
	return 0;
}

int graph_nf_make(const gdb_graph *g, const gdb_graph_filter *f, graph_nf **out)
{
	graph_nf *nf = calloc(g->nnets ? g->nnets : 1, sizeof(*nf));

	if (!nf)
		return -ENOMEM;
	if (f->net >= (int)g->nnets) {
		free(nf);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < g->nnets; i++) {
		const graph_net *N = &g->nets[i];
		nf[i].use = f->net < 0 || (uint32_t)f->net == i;
		/* Compare in float, as stored: 0.7 means the stored 0.7f. */
		nf[i].min_conf = (float)f->min_conf;
		nf[i].all_types = f->ntypes == 0;
		if (nf[i].all_types)
			continue;
		nf[i].typeok = calloc(N->ntypes ? N->ntypes : 1, 1);
		if (!nf[i].typeok) {
			graph_nf_free(g, nf);
			return -ENOMEM;
		}
		for (uint32_t t = 0; t < N->ntypes; t++)
			for (unsigned k = 0; k < f->ntypes; k++)
				if (!graph_icase_cmp(N->type_str +
							 N->type_off[t],
						     f->types[k]))
					nf[i].typeok[t] = 1;
	}
	*out = nf;
	return 0;
}

void graph_nf_free(const gdb_graph *g, graph_nf *nf)
{
	if (!nf)
		return;
	for (uint32_t i = 0; i < g->nnets; i++)
		free(nf[i].typeok);
	free(nf);
}
