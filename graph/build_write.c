/*
 * graph/build_write.c - a builder's network as the sections of one store
 * object (byte layout: docs/GRAPH.md "On-disk layout"): edges sorted and
 * deduplicated, both CSR directions, the lookup index, pathways both
 * ways, graph.meta last. Each edge column is released once written, so
 * the peak stays near the builder's own (build.c, "Memory").
 */
#define _GNU_SOURCE
#include "graph/build_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
				tmp[i] =
				    (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
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
			graph_qsort_r(idx + beg, (size_t)(end - beg), 4, ecmp,
				      b);
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
			for (uint64_t j = beg; j < i && !dup && i - beg < 64;
			     j++)
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

/* Nodes. Renames leave dead names in the arena: only the live ones are
 * written, in node order, with fresh offsets; then aliases and the index. */
static int write_nodes(gdb_graph_builder *b, struct wctx *w)
{
	uint64_t *off = malloc(((size_t)b->n + 1) * 8), at = 0;
	int rc;

	if (!off)
		return -ENOMEM;
	for (uint32_t u = 0; u < b->n; u++) {
		off[u] = at;
		at += strlen(b->names + b->name_off[u]) + 1;
	}
	off[b->n] = at;
	rc = sec(w, "node.kind", b->kind ? (void *)b->kind : "", b->n);
	if (rc == 0)
		rc = sec(w, "node.name.off", off, ((size_t)b->n + 1) * 8);
	free(off);
	GDB_TRY(rc);
	GDB_TRY(sec_begin(w, "node.name.str"));
	for (uint32_t u = 0; u < b->n; u++) {
		const char *s = b->names + b->name_off[u];
		GDB_TRY(sec_write(w, s, strlen(s) + 1));
	}
	GDB_TRY(sec_end(w));
	GDB_TRY(write_aliases(b, w));
	/* Lookup index: the key hash as it is (docs/GRAPH.md "Index"). */
	GDB_TRY(sec(w, "index.slot", b->keys.slot ? (void *)b->keys.slot : "",
		    (size_t)b->keys.nslot * 4));
	GDB_TRY(sec(w, "index.node", b->keys.val ? (void *)b->keys.val : "",
		    (size_t)b->keys.n * 4));
	GDB_TRY(sec_sset(w, "index.key.off", "index.key.str", &b->keys,
			 b->names_icase));
	if (b->layout != 1)
		GDB_TRY(sec(w, "graph.species", b->species,
			    strlen(b->species) + 1));
	return 0;
}

/* Edge columns; those the CSR does not need are released after. */
static int write_edges(gdb_graph_builder *b, struct wctx *w)
{
	char names[GDB_GRAPH_MAX_CHANNELS * 256 + 1];
	size_t at = 0;

	GDB_TRY(sec_sset(w, "type.off", "type.str", &b->types, 0));
	GDB_TRY(sec_sset(w, "evid.off", "evid.str", &b->evid, 0));
	GDB_TRY(
	    sec(w, "edge.src", b->src ? (void *)b->src : "", (size_t)b->m * 4));
	GDB_TRY(
	    sec(w, "edge.dst", b->dst ? (void *)b->dst : "", (size_t)b->m * 4));
	GDB_TRY(sec(w, "edge.conf", b->conf ? (void *)b->conf : "",
		    (size_t)b->m * 4));
	GDB_TRY(sec(w, "edge.type", b->type ? (void *)b->type : "",
		    (size_t)b->m * 2));
	GDB_TRY(sec(w, "edge.flags", b->flags ? (void *)b->flags : "",
		    (size_t)b->m));
	GDB_TRY(
	    sec(w, "edge.evid", b->ev ? (void *)b->ev : "", (size_t)b->m * 4));
	for (unsigned c = 0; c < b->nchan; c++) {
		size_t k = strlen(b->chan_names[c]);
		if (k > 255)
			k = 255;
		memcpy(names + at, b->chan_names[c], k);
		names[at + k] = 0;
		at += k + 1;
	}
	GDB_TRY(sec(w, "chan.names", names, at));
	GDB_TRY(sec(w, "edge.chan", b->chan ? (void *)b->chan : "",
		    (size_t)(b->m * b->nchan * 2)));
	release(&b->a, &b->ev, &b->evcap, 4);
	release(&b->a, &b->type, &b->typecap, 2);
	release(&b->a, &b->chan, &b->chancap, 2);
	return 0;
}

/* Pathway titles and ids, then memberships both ways. */
static int write_pathways(gdb_graph_builder *b, struct wctx *w, uint64_t *nmem)
{
	uint64_t *off = malloc(((size_t)b->pw.n + 1) * 8), at = 0;
	int rc;

	if (!off)
		return -ENOMEM;
	for (uint32_t p = 0; p < b->pw.n; p++) {
		off[p] = at;
		if (b->title_off[p] != UINT64_MAX)
			at += strlen(b->titles + b->title_off[p]);
		at++;
	}
	off[b->pw.n] = at;
	rc = sec(w, "pw.title.off", off, ((size_t)b->pw.n + 1) * 8);
	free(off);
	GDB_TRY(rc);
	GDB_TRY(sec_begin(w, "pw.title.str"));
	for (uint32_t p = 0; p < b->pw.n; p++) {
		const char *s = b->title_off[p] == UINT64_MAX
				    ? ""
				    : b->titles + b->title_off[p];
		GDB_TRY(sec_write(w, s, strlen(s) + 1));
	}
	GDB_TRY(sec_end(w));
	GDB_TRY(sec_sset(w, "pw.id.off", "pw.id.str", &b->pw, 0));
	return write_members(b, w, nmem);
}

/* graph.meta, last: a reader takes its counts as the truth. */
static int write_meta(gdb_graph_builder *b, struct wctx *w, uint64_t nout,
		      uint64_t nin, uint64_t nmem)
{
	uint8_t meta[GRAPH_META_BYTES];

	memset(meta, 0, sizeof(meta));
	memcpy(meta, GRAPH_MAGIC, 8);
	gdb_put_le32(meta + 8, b->layout == 1 ? 1 : GRAPH_VERSION);
	gdb_put_le32(meta + 12,
		     b->names_icase && b->layout != 1 ? GRAPH_META_ICASE : 0);
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
	return sec(w, "graph.meta", meta, sizeof(meta));
}

int gdb_graph_builder_write(gdb_graph_builder *b, gdb_txn *t,
			    uint64_t *nedges_out, char *err, size_t errlen)
{
	struct wctx w = {t, err, errlen};
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
	GDB_TRY(write_nodes(b, &w));
	GDB_TRY(write_edges(b, &w));
	GDB_TRY(write_csr(b, &w, 0, &nout));
	GDB_TRY(write_csr(b, &w, 1, &nin));
	GDB_TRY(write_pathways(b, &w, &nmem));
	GDB_TRY(write_meta(b, &w, nout, nin, nmem));
	if (nedges_out)
		*nedges_out = b->m;
	return 0;
}
