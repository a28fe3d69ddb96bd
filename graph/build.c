/*
 * graph/build.c - the network builder that importers feed, and its
 * serialisation into one sections object (byte layout: docs/GRAPH.md).
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
#include "graph/graph_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------- accounting */

typedef struct acct {
	uint64_t bytes, peak;
} acct;

static int grow(acct *a, void *pp, uint64_t *cap, uint64_t need, size_t el)
{
	void **p = pp;
	uint64_t nc;
	void *q;

	if (need <= *cap)
		return 0;
	nc = *cap ? *cap : 16;
	while (nc < need)
		nc *= 2;
	if (nc > SIZE_MAX / el)
		return -ENOMEM;
	q = realloc(*p, (size_t)(nc * el));
	if (!q)
		return -ENOMEM;
	a->bytes += (nc - *cap) * el;
	if (a->bytes > a->peak)
		a->peak = a->bytes;
	*p = q;
	*cap = nc;
	return 0;
}

static void release(acct *a, void *pp, uint64_t *cap, size_t el)
{
	void **p = pp;

	free(*p);
	*p = NULL;
	a->bytes -= *cap * el;
	*cap = 0;
}

/* Account a one-off allocation (freed with unaccount). */
static void *acct_alloc(acct *a, size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p) {
		a->bytes += n;
		if (a->bytes > a->peak)
			a->peak = a->bytes;
	}
	return p;
}

static void acct_free(acct *a, void *p, size_t n)
{
	if (p) {
		free(p);
		a->bytes -= n;
	}
}

/* ---------------------------------------------------------- string set */

/* Interned NUL-terminated strings with a hash (slot = index + 1). icase:
 * the hash ignores ASCII case (the node index's, so a reader can look up
 * either way); eq_icase: so does equality (names join case-insensitively). */
typedef struct sset {
	int icase, eq_icase;
	char *a;
	uint64_t alen, acap;
	uint64_t *off;		/* n entries */
	uint64_t offcap;
	uint32_t *val;
	uint64_t valcap;
	uint32_t n;
	uint32_t *slot;
	uint32_t nslot;		/* power of two */
} sset;

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
		uint64_t qn = (k + 1 < s->n ? s->off[k + 1] : s->alen) -
			      s->off[k] - 1;
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
static int64_t sset_add(acct *a, sset *s, const char *p, size_t n,
			uint32_t val, int *created)
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
	    grow(a, &s->off, &s->offcap, (uint64_t)s->n + 1,
		 sizeof(*s->off)) < 0 ||
	    grow(a, &s->val, &s->valcap, (uint64_t)s->n + 1,
		 sizeof(*s->val)) < 0)
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

/* ------------------------------------------------------------- builder */

struct gdb_graph_builder {
	acct a;
	sset keys;		/* icase names + aliases -> node */
	char *names;		/* node names, NUL-terminated */
	uint64_t nlen, ncap;
	uint64_t *name_off;
	uint64_t name_offcap;
	uint8_t *kind;
	uint64_t kindcap;
	uint32_t n;
	char *al;		/* "ns\talias\0" records */
	uint64_t allen, alcap;
	uint32_t *al_node;
	uint64_t *al_off;
	uint64_t nal, al_nodecap, al_offcap;
	sset types, evid;
	uint32_t *src, *dst, *ev;
	float *conf;
	uint16_t *type;
	uint8_t *flags;
	uint16_t *chan;
	uint64_t m;
	uint64_t srccap, dstcap, evcap, confcap, typecap, flagscap, chancap;
	unsigned nchan;
	char *chan_names[GDB_GRAPH_MAX_CHANNELS];
	sset pw;		/* ids (icase hash) */
	int names_icase;	/* names and ids join case-insensitively */
	uint32_t layout;	/* version written: GRAPH_VERSION, or 1 */
	uint32_t taxon;		/* species, 0 unknown */
	char species[256];	/* its label ("" unknown) */
	char *titles;
	uint64_t tlen, tcap;
	uint64_t *title_off;
	uint64_t title_offcap;
	uint32_t *mem_pw, *mem_node;
	uint64_t nmem, mem_pwcap, mem_nodecap;
	int written;
};

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
	if (version == 1)	/* version 1 matched names without case */
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
		return 0;	/* already leads here */
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
	if (rc == 0 && (b->names_icase ? !graph_eq_icase(copy, name,
							 strlen(name) + 1)
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
	    (b->nchan && grow(&b->a, &b->chan, &b->chancap,
			      (m + 1) * b->nchan, 2) < 0))
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

/* ------------------------------------------------------------- writing */

struct wctx {
	gdb_txn *t;
	char *err;
	size_t errlen;
};

static int sec_begin(struct wctx *w, const char *name)
{
	int rc = gdb_txn_section_begin(w->t, name);

	if (rc < 0)
		gdb_seterr(w->err, w->errlen, "writing section %s: %s", name,
			   gdb_strerror(rc));
	return rc;
}

static int sec_write(struct wctx *w, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		size_t k = n > ((size_t)1 << 30) ? (size_t)1 << 30 : n;
		int rc = gdb_txn_section_write(w->t, c, k);
		if (rc < 0) {
			gdb_seterr(w->err, w->errlen, "writing the store: %s",
				   gdb_strerror(rc));
			return rc;
		}
		c += k;
		n -= k;
	}
	return 0;
}

static int sec_end(struct wctx *w)
{
	int rc = gdb_txn_section_end(w->t);

	if (rc < 0)
		gdb_seterr(w->err, w->errlen, "writing the store: %s",
			   gdb_strerror(rc));
	return rc;
}

static int sec(struct wctx *w, const char *name, const void *p, size_t n)
{
	GDB_TRY(sec_begin(w, name));
	GDB_TRY(sec_write(w, p, n));
	return sec_end(w);
}

/* An offsets array u64[n+1] for strings s->off (heap = s->a). */
static int sec_sset(struct wctx *w, const char *offname, const char *strname,
		    const sset *s, int lower)
{
	uint64_t end = s->alen;

	GDB_TRY(sec_begin(w, offname));
	GDB_TRY(sec_write(w, s->off, (size_t)s->n * 8));
	GDB_TRY(sec_write(w, &end, 8));
	GDB_TRY(sec_end(w));
	if (!lower)
		return sec(w, strname, s->a ? s->a : "", (size_t)s->alen);
	GDB_TRY(sec_begin(w, strname));
	{
		char tmp[65536];
		uint64_t at = 0;
		while (at < s->alen) {
			size_t k = s->alen - at > sizeof(tmp)
					   ? sizeof(tmp)
					   : (size_t)(s->alen - at);
			for (size_t i = 0; i < k; i++) {
				char c = s->a[at + i];
				tmp[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32)
								: c;
			}
			GDB_TRY(sec_write(w, tmp, k));
			at += k;
		}
	}
	return sec_end(w);
}

struct ecmp_ctx {
	const gdb_graph_builder *b;
};

/* Order of edges within one source: dst, type, flags, conf, evidence,
 * channels, then input order (so duplicates are adjacent and the first
 * is kept). */
static int ecmp(const void *x, const void *y, void *arg)
{
	const gdb_graph_builder *b = arg;
	uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;

	if (b->dst[i] != b->dst[j])
		return b->dst[i] < b->dst[j] ? -1 : 1;
	if (b->type[i] != b->type[j])
		return b->type[i] < b->type[j] ? -1 : 1;
	if (b->flags[i] != b->flags[j])
		return b->flags[i] < b->flags[j] ? -1 : 1;
	if (b->conf[i] != b->conf[j])
		return b->conf[i] > b->conf[j] ? -1 : 1;
	if (b->ev[i] != b->ev[j])
		return b->ev[i] < b->ev[j] ? -1 : 1;
	for (unsigned c = 0; c < b->nchan; c++) {
		uint16_t p = b->chan[(uint64_t)i * b->nchan + c];
		uint16_t q = b->chan[(uint64_t)j * b->nchan + c];
		if (p != q)
			return p < q ? -1 : 1;
	}
	return i < j ? -1 : i > j;
}

static int same_edge(const gdb_graph_builder *b, uint32_t i, uint32_t j)
{
	if (b->dst[i] != b->dst[j] || b->type[i] != b->type[j] ||
	    b->flags[i] != b->flags[j] || b->conf[i] != b->conf[j] ||
	    b->ev[i] != b->ev[j])
		return 0;
	for (unsigned c = 0; c < b->nchan; c++)
		if (b->chan[(uint64_t)i * b->nchan + c] !=
		    b->chan[(uint64_t)j * b->nchan + c])
			return 0;
	return 1;
}

/* Apply perm (new -> old, length m) to a column of el bytes each. */
static int permute(acct *a, void *pp, uint64_t *cap, const uint32_t *perm,
		   uint64_t m, size_t el)
{
	void **p = pp;
	char *old = *p, *nw;

	if (!old)
		return 0;
	nw = malloc((size_t)(m * el) + 1);
	if (!nw)
		return -ENOMEM;
	if (a->bytes + m * el > a->peak)
		a->peak = a->bytes + m * el;
	for (uint64_t e = 0; e < m; e++)
		memcpy(nw + e * el, old + (uint64_t)perm[e] * el, el);
	free(old);
	*p = nw;
	*cap = m;
	return 0;
}

/* Sort edges by source (count then fill), within a source by ecmp, and
 * drop exact duplicates. */
static int sort_edges(gdb_graph_builder *b)
{
	uint64_t m = b->m, *cnt = NULL, kept = 0;
	uint32_t *idx = NULL, *perm = NULL;
	size_t cnt_bytes = ((size_t)b->n + 1) * 8;
	int rc = -ENOMEM;

	cnt = acct_alloc(&b->a, cnt_bytes);
	idx = acct_alloc(&b->a, (size_t)m * 4);
	if (!cnt || !idx)
		goto out;
	memset(cnt, 0, cnt_bytes);
	for (uint64_t e = 0; e < m; e++)
		cnt[b->src[e] + 1]++;
	for (uint32_t u = 0; u < b->n; u++)
		cnt[u + 1] += cnt[u];
	for (uint64_t e = 0; e < m; e++)
		idx[cnt[b->src[e]]++] = (uint32_t)e;
	/* cnt[u] is now the end of u's run; runs start at cnt[u-1]. */
	for (uint32_t u = 0; u < b->n; u++) {
		uint64_t beg = u ? cnt[u - 1] : 0, end = cnt[u];
		if (end - beg > 1)
			graph_qsort_r(idx + beg, (size_t)(end - beg), 4, ecmp, b);
		for (uint64_t i = beg; i < end; i++) {
			if (i > beg && same_edge(b, idx[i], idx[kept - 1]))
				continue;
			idx[kept++] = idx[i];
		}
	}
	acct_free(&b->a, cnt, cnt_bytes);
	cnt = NULL;
	perm = idx;
	idx = NULL;
	/* Apply the permutation column by column (one spare column). */
	if (permute(&b->a, &b->src, &b->srccap, perm, kept, 4) < 0 ||
	    permute(&b->a, &b->dst, &b->dstcap, perm, kept, 4) < 0 ||
	    permute(&b->a, &b->ev, &b->evcap, perm, kept, 4) < 0 ||
	    permute(&b->a, &b->conf, &b->confcap, perm, kept, 4) < 0 ||
	    permute(&b->a, &b->type, &b->typecap, perm, kept, 2) < 0 ||
	    permute(&b->a, &b->flags, &b->flagscap, perm, kept, 1) < 0)
		goto out;
	if (b->nchan) {
		uint16_t *nc = malloc((size_t)(kept * b->nchan * 2) + 1);
		if (!nc)
			goto out;
		for (uint64_t e = 0; e < kept; e++)
			memcpy(nc + e * b->nchan,
			       b->chan + (uint64_t)perm[e] * b->nchan,
			       b->nchan * 2u);
		free(b->chan);
		b->chan = nc;
		b->chancap = kept * b->nchan;
	}
	b->m = kept;
	/* Recompute the held bytes: columns at their new sizes. */
	b->a.bytes = kept * (19u + 2u * b->nchan) + (uint64_t)m * 4;
	rc = 0;
out:
	free(perm);
	if (perm)
		b->a.bytes -= m * 4;
	acct_free(&b->a, cnt, cnt_bytes);
	acct_free(&b->a, idx, (size_t)m * 4);
	return rc;
}

typedef struct adj {
	float conf;
	uint32_t nbr;
	uint32_t eid;
} adj;

static int adjcmp(const void *x, const void *y)
{
	const adj *a = x, *b = y;

	if (a->conf != b->conf)
		return a->conf > b->conf ? -1 : 1;
	if (a->nbr != b->nbr)
		return a->nbr < b->nbr ? -1 : 1;
	return a->eid < b->eid ? -1 : a->eid > b->eid;
}

/* Build and write one CSR direction (prefix "out" or "in"). */
static int write_csr(gdb_graph_builder *b, struct wctx *w, int in,
		     uint64_t *nent)
{
	const char *pre = in ? "in" : "out";
	size_t offb = ((size_t)b->n + 1) * 8;
	uint64_t *off = acct_alloc(&b->a, offb), *pos = NULL, A = 0;
	adj *e = NULL;
	char name[32];
	int rc = -ENOMEM;

	if (!off)
		goto out;
	memset(off, 0, offb);
	for (uint64_t i = 0; i < b->m; i++) {
		int dir = b->flags[i] & GRAPH_FLAG_DIRECTED;
		if (in) {
			if (dir)
				off[b->dst[i] + 1]++;
		} else {
			off[b->src[i] + 1]++;
			if (!dir && b->src[i] != b->dst[i])
				off[b->dst[i] + 1]++;
		}
	}
	for (uint32_t u = 0; u < b->n; u++)
		off[u + 1] += off[u];
	A = off[b->n];
	pos = acct_alloc(&b->a, offb);
	e = acct_alloc(&b->a, (size_t)A * sizeof(adj));
	if (!pos || !e)
		goto out;
	memcpy(pos, off, offb);
	for (uint64_t i = 0; i < b->m; i++) {
		int dir = b->flags[i] & GRAPH_FLAG_DIRECTED;
		uint32_t s = b->src[i], d = b->dst[i];
		uint32_t tag = dir ? 0 : GRAPH_UNDIR_BIT;
		if (in) {
			if (dir)
				e[pos[d]++] = (adj){b->conf[i], s, (uint32_t)i};
		} else {
			e[pos[s]++] = (adj){b->conf[i], d, (uint32_t)i | tag};
			if (!dir && s != d)
				e[pos[d]++] =
					(adj){b->conf[i], s, (uint32_t)i | tag};
		}
	}
	for (uint32_t u = 0; u < b->n; u++)
		if (off[u + 1] - off[u] > 1)
			graph_qsort(e + off[u], (size_t)(off[u + 1] - off[u]),
			      sizeof(adj), adjcmp);
	snprintf(name, sizeof(name), "%s.off", pre);
	if ((rc = sec(w, name, off, offb)) < 0)
		goto out;
	/* Three parallel arrays, converted in chunks. */
	for (int part = 0; part < 3; part++) {
		static const char *const suf[3] = {"nbr", "eid", "conf"};
		uint32_t tmp[16384];
		snprintf(name, sizeof(name), "%s.%s", pre, suf[part]);
		if ((rc = sec_begin(w, name)) < 0)
			goto out;
		for (uint64_t at = 0; at < A;) {
			size_t k = A - at > 16384 ? 16384 : (size_t)(A - at);
			for (size_t i = 0; i < k; i++) {
				const adj *x = &e[at + i];
				if (part == 0)
					tmp[i] = x->nbr;
				else if (part == 1)
					tmp[i] = x->eid;
				else
					memcpy(&tmp[i], &x->conf, 4);
			}
			if ((rc = sec_write(w, tmp, k * 4)) < 0)
				goto out;
			at += k;
		}
		if ((rc = sec_end(w)) < 0)
			goto out;
	}
	*nent = A;
	rc = 0;
out:
	acct_free(&b->a, off, offb);
	acct_free(&b->a, pos, offb);
	acct_free(&b->a, e, (size_t)A * sizeof(adj));
	return rc;
}

static int pairs_cmp(const void *x, const void *y)
{
	const uint32_t *a = x, *b = y;

	if (a[0] != b[0])
		return a[0] < b[0] ? -1 : 1;
	return a[1] < b[1] ? -1 : a[1] > b[1];
}

/* pw.mem.off/pw.mem and node.pw.off/node.pw from the member pairs. */
static int write_members(gdb_graph_builder *b, struct wctx *w, uint64_t *nmem)
{
	uint64_t n = b->nmem, k = 0;
	uint32_t *p = malloc((size_t)(n ? n : 1) * 8);
	uint64_t *off = NULL;
	uint32_t *col = NULL;
	int rc = -ENOMEM;

	if (!p)
		return -ENOMEM;
	for (int pass = 0; pass < 2; pass++) {
		uint32_t count = pass ? b->n : b->pw.n;
		size_t offb = ((size_t)count + 1) * 8;
		for (uint64_t i = 0; i < n; i++) {
			p[2 * i] = pass ? b->mem_node[i] : b->mem_pw[i];
			p[2 * i + 1] = pass ? b->mem_pw[i] : b->mem_node[i];
		}
		graph_qsort(p, (size_t)n, 8, pairs_cmp);
		k = 0;
		for (uint64_t i = 0; i < n; i++) {
			if (k && p[2 * (k - 1)] == p[2 * i] &&
			    p[2 * (k - 1) + 1] == p[2 * i + 1])
				continue;
			p[2 * k] = p[2 * i];
			p[2 * k + 1] = p[2 * i + 1];
			k++;
		}
		off = calloc(count + 1, 8);
		col = malloc((size_t)(k ? k : 1) * 4);
		if (!off || !col)
			goto out;
		for (uint64_t i = 0; i < k; i++) {
			off[p[2 * i] + 1]++;
			col[i] = p[2 * i + 1];
		}
		for (uint32_t i = 0; i < count; i++)
			off[i + 1] += off[i];
		if ((rc = sec(w, pass ? "node.pw.off" : "pw.mem.off", off,
			      offb)) < 0 ||
		    (rc = sec(w, pass ? "node.pw" : "pw.mem", col,
			      (size_t)k * 4)) < 0)
			goto out;
		free(off);
		free(col);
		off = NULL;
		col = NULL;
	}
	*nmem = k;
	rc = 0;
out:
	free(p);
	free(off);
	free(col);
	return rc;
}

/* node.alias.off / node.alias.str: each node's alias records together. */
static int write_aliases(gdb_graph_builder *b, struct wctx *w)
{
	uint64_t *off = calloc((size_t)b->n + 1, 8), total = 0;
	uint64_t *order = malloc((size_t)(b->nal ? b->nal : 1) * 8);
	int rc = -ENOMEM;

	if (!off || !order)
		goto out;
	/* Stable order per node: count sort of record indices by node. */
	{
		uint64_t *c = calloc((size_t)b->n + 1, 8);
		if (!c)
			goto out;
		for (uint64_t i = 0; i < b->nal; i++)
			c[b->al_node[i] + 1]++;
		for (uint32_t u = 0; u < b->n; u++)
			c[u + 1] += c[u];
		for (uint64_t i = 0; i < b->nal; i++)
			order[c[b->al_node[i]]++] = i;
		free(c);
	}
	/* Drop repeated records of a node (renames can repeat one); a
	 * node has few, so pairwise is fine. */
	{
		uint64_t beg = 0;
		uint32_t prev = GRAPH_NONE;
		for (uint64_t i = 0; i < b->nal; i++) {
			uint32_t nd = b->al_node[order[i]];
			const char *r = b->al + b->al_off[order[i]];
			int dup = 0;
			if (nd != prev)
				beg = i;
			prev = nd;
			for (uint64_t j = beg; j < i && !dup && i - beg < 64; j++)
				dup = order[j] != UINT64_MAX &&
				      !strcmp(b->al + b->al_off[order[j]], r);
			if (dup) {
				order[i] = UINT64_MAX;
				continue;
			}
			off[nd + 1] += strlen(r) + 1;
		}
	}
	for (uint32_t u = 0; u < b->n; u++)
		off[u + 1] += off[u];
	total = off[b->n];
	if ((rc = sec(w, "node.alias.off", off, ((size_t)b->n + 1) * 8)) < 0)
		goto out;
	if ((rc = sec_begin(w, "node.alias.str")) < 0)
		goto out;
	for (uint64_t i = 0; i < b->nal; i++) {
		const char *r;
		if (order[i] == UINT64_MAX)
			continue;
		r = b->al + b->al_off[order[i]];
		if ((rc = sec_write(w, r, strlen(r) + 1)) < 0)
			goto out;
	}
	rc = sec_end(w);
	(void)total;
out:
	free(off);
	free(order);
	return rc;
}

int gdb_graph_builder_write(gdb_graph_builder *b, gdb_txn *t,
			    uint64_t *nedges_out, char *err, size_t errlen)
{
	struct wctx w = {t, err, errlen};
	uint8_t meta[GRAPH_META_BYTES];
	uint64_t nout = 0, nin = 0, nmem = 0;
	int rc;

	if (b->written) {
		gdb_seterr(err, errlen, "graph builder already written");
		return -EINVAL;
	}
	b->written = 1;
	rc = sort_edges(b);
	if (rc < 0) {
		gdb_seterr(err, errlen, "sorting %llu edges: %s",
			   (unsigned long long)b->m, gdb_strerror(rc));
		return rc;
	}
	/* Nodes. Renames leave dead names in the arena: write only the
	 * live ones, in node order, with fresh offsets. */
	GDB_TRY(sec(&w, "node.kind", b->kind ? (void *)b->kind : "", b->n));
	{
		uint64_t *off = malloc(((size_t)b->n + 1) * 8), at = 0;
		if (!off)
			return -ENOMEM;
		for (uint32_t u = 0; u < b->n; u++) {
			off[u] = at;
			at += strlen(b->names + b->name_off[u]) + 1;
		}
		off[b->n] = at;
		rc = sec(&w, "node.name.off", off, ((size_t)b->n + 1) * 8);
		free(off);
		GDB_TRY(rc);
		GDB_TRY(sec_begin(&w, "node.name.str"));
		for (uint32_t u = 0; u < b->n; u++) {
			const char *s = b->names + b->name_off[u];
			GDB_TRY(sec_write(&w, s, strlen(s) + 1));
		}
		GDB_TRY(sec_end(&w));
	}
	GDB_TRY(write_aliases(b, &w));
	/* Lookup index: the key hash as it is (docs/GRAPH.md "Index"). */
	GDB_TRY(sec(&w, "index.slot", b->keys.slot ? (void *)b->keys.slot : "",
		    (size_t)b->keys.nslot * 4));
	GDB_TRY(sec(&w, "index.node", b->keys.val ? (void *)b->keys.val : "",
		    (size_t)b->keys.n * 4));
	GDB_TRY(sec_sset(&w, "index.key.off", "index.key.str", &b->keys,
			 b->names_icase));
	if (b->layout != 1)
		GDB_TRY(sec(&w, "graph.species", b->species,
			    strlen(b->species) + 1));
	GDB_TRY(sec_sset(&w, "type.off", "type.str", &b->types, 0));
	GDB_TRY(sec_sset(&w, "evid.off", "evid.str", &b->evid, 0));
	/* Edge columns; those the CSR does not need are released after. */
	GDB_TRY(sec(&w, "edge.src", b->src ? (void *)b->src : "",
		    (size_t)b->m * 4));
	GDB_TRY(sec(&w, "edge.dst", b->dst ? (void *)b->dst : "",
		    (size_t)b->m * 4));
	GDB_TRY(sec(&w, "edge.conf", b->conf ? (void *)b->conf : "",
		    (size_t)b->m * 4));
	GDB_TRY(sec(&w, "edge.type", b->type ? (void *)b->type : "",
		    (size_t)b->m * 2));
	GDB_TRY(sec(&w, "edge.flags", b->flags ? (void *)b->flags : "",
		    (size_t)b->m));
	GDB_TRY(sec(&w, "edge.evid", b->ev ? (void *)b->ev : "",
		    (size_t)b->m * 4));
	{
		char names[GDB_GRAPH_MAX_CHANNELS * 256 + 1];
		size_t at = 0;
		for (unsigned c = 0; c < b->nchan; c++) {
			size_t k = strlen(b->chan_names[c]);
			if (k > 255)
				k = 255;
			memcpy(names + at, b->chan_names[c], k);
			names[at + k] = 0;
			at += k + 1;
		}
		GDB_TRY(sec(&w, "chan.names", names, at));
		GDB_TRY(sec(&w, "edge.chan", b->chan ? (void *)b->chan : "",
			    (size_t)(b->m * b->nchan * 2)));
	}
	release(&b->a, &b->ev, &b->evcap, 4);
	release(&b->a, &b->type, &b->typecap, 2);
	release(&b->a, &b->chan, &b->chancap, 2);
	GDB_TRY(write_csr(b, &w, 0, &nout));
	GDB_TRY(write_csr(b, &w, 1, &nin));
	/* Pathways. */
	{
		uint64_t *off = malloc(((size_t)b->pw.n + 1) * 8), at = 0;
		if (!off)
			return -ENOMEM;
		for (uint32_t p = 0; p < b->pw.n; p++) {
			off[p] = at;
			if (b->title_off[p] != UINT64_MAX)
				at += strlen(b->titles + b->title_off[p]);
			at++;
		}
		off[b->pw.n] = at;
		rc = sec(&w, "pw.title.off", off, ((size_t)b->pw.n + 1) * 8);
		free(off);
		GDB_TRY(rc);
		GDB_TRY(sec_begin(&w, "pw.title.str"));
		for (uint32_t p = 0; p < b->pw.n; p++) {
			const char *s = b->title_off[p] == UINT64_MAX
						? ""
						: b->titles + b->title_off[p];
			GDB_TRY(sec_write(&w, s, strlen(s) + 1));
		}
		GDB_TRY(sec_end(&w));
	}
	GDB_TRY(sec_sset(&w, "pw.id.off", "pw.id.str", &b->pw, 0));
	GDB_TRY(write_members(b, &w, &nmem));
	/* Meta last: a reader takes its counts as the truth. */
	memset(meta, 0, sizeof(meta));
	memcpy(meta, GRAPH_MAGIC, 8);
	gdb_put_le32(meta + 8, b->layout == 1 ? 1 : GRAPH_VERSION);
	gdb_put_le32(meta + 12, b->names_icase && b->layout != 1
					? GRAPH_META_ICASE
					: 0);
	gdb_put_le32(meta + 16, b->n);
	gdb_put_le32(meta + 20, b->types.n);
	gdb_put_le64(meta + 24, b->m);
	gdb_put_le64(meta + 32, nout);
	gdb_put_le64(meta + 40, nin);
	gdb_put_le32(meta + 48, b->pw.n);
	gdb_put_le32(meta + 52, b->nchan);
	gdb_put_le64(meta + 56, nmem);
	gdb_put_le32(meta + 64, b->keys.n);
	gdb_put_le32(meta + 68, b->keys.nslot);
	gdb_put_le32(meta + 72, b->evid.n);
	gdb_put_le32(meta + 76, b->layout == 1 ? 0 : b->taxon);
	gdb_put_le64(meta + 80, b->allen);
	GDB_TRY(sec(&w, "graph.meta", meta, sizeof(meta)));
	if (nedges_out)
		*nedges_out = b->m;
	return 0;
}
