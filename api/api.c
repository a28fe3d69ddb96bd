/*
 * api/api.c - the handle of api/genomedb.h: a store snapshot, its block
 * cache and (opened on first use) its network reader; names, contigs,
 * single fetches, network and variant answers. Batch and interval calls
 * are in api/frame.c and api/intervals.c.
 *
 * Every answer is copied out of the mapping (caller buffer or malloc'd),
 * so a binding may close the handle while it still holds answers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "api/api_int.h"
#include "common/bigbuf.h"
#include "graph/graph.h"
#include "simd/simd.h"
#include "variants/variants.h"

#define API_DEFAULT_CACHE (256ull << 20)
#define API_MAX_ANSWER ((size_t)1 << 30)

int gdb_api_open(const char *path, uint64_t cache_bytes, gdb_api **out,
		 char *err, size_t errlen)
{
	gdb_api *h;
	int rc;

	(void)gdb_simd_init(); /* a bad GENOMEDB_SIMD falls back to best */
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	rc = gdb_store_open(path, 0, &h->store, err, errlen);
	if (rc == 0) {
		rc = gdb_cache_create(
		    h->store, cache_bytes ? cache_bytes : API_DEFAULT_CACHE,
		    NULL, &h->cache);
		if (rc < 0)
			gdb_seterr(err, errlen, "%s: block cache: %s", path,
				   gdb_strerror(rc));
	}
	if (rc < 0) {
		gdb_api_close(h);
		return rc;
	}
	*out = h;
	return 0;
}

void gdb_api_close(gdb_api *h)
{
	if (!h)
		return;
	gdb_graph_close(h->graph);
	gdb_cache_destroy(h->cache);
	gdb_store_close(h->store);
	free(h->params);
	free(h);
}

/*
 * Large answers (a join's columns, a variant set's rendering) come from a
 * pool of the api's own (common/bigbuf.h), and go back to it when freed:
 * the next large answer is then written into memory already faulted in.
 * On the virtual machines this runs on, the first write to a fresh page
 * costs far more than the write (the kernel zeroes it, the hypervisor
 * maps it): a join's 64 MB of fresh columns cost 6 to 200 ms of system
 * time, against ~14 ms for the whole join into reused memory
 * (docs/BENCHMARKS.md). The pool is larger than the daemon's: a join
 * answers several columns of up to tens of MB each at once, and its
 * scratch comes from here too. gdb_api_trim() gives it all back.
 */
#define API_POOL_BUFFERS 16
#define API_POOL_BYTES ((size_t)256 << 20)

static gdb_bigbuf_pool answers =
    GDB_BIGBUF_POOL_INIT(API_POOL_BUFFERS, API_POOL_BYTES);

void gdb_api_free(void *p)
{
	gdb_bigbuf_put_in(&answers, p);
}

uint64_t gdb_api_trim(void)
{
	unsigned n;
	size_t bytes;

	gdb_bigbuf_pooled_in(&answers, &n, &bytes);
	gdb_bigbuf_drain_in(&answers);
	return bytes;
}

void *gdb_api_alloc_big(size_t bytes)
{
	size_t cap;
	void *p = gdb_bigbuf_get_in(&answers, bytes, &cap);

	return p ? p : malloc(bytes ? bytes : 1);
}

void gdb_api_advise_big(void *p, size_t bytes)
{
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t b = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t e = ((uintptr_t)p + bytes) & ~(huge - 1);

	if (e > b)
		(void)madvise((void *)b, e - b, MADV_HUGEPAGE);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

void *gdb_api_arena_alloc(void *ctx, size_t n)
{
	const gdb_api_arena *under = ctx;
	const uintptr_t page = 4096;
	void *p = under->alloc(under->ctx, n);
	uintptr_t b = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t e = ((uintptr_t)p + n) & ~(page - 1);

	/* advice: a kernel without it (before 5.14) faults pages as usual */
	if (p && e > b)
		(void)madvise((void *)b, e - b, MADV_POPULATE_WRITE);
	return p;
}

void gdb_api_arena_free(void *ctx, void *p, size_t n)
{
	const gdb_api_arena *under = ctx;

	under->free(under->ctx, p, n);
}

uint64_t gdb_api_generation(const gdb_api *h)
{
	return gdb_store_generation(h->store);
}

uint32_t gdb_api_nassemblies(const gdb_api *h)
{
	return gdb_store_nassemblies(h->store);
}

const char *gdb_api_assembly_name(const gdb_api *h, uint32_t i)
{
	const gdb_assembly *a = i < gdb_store_nassemblies(h->store)
				    ? gdb_store_assembly(h->store, i)
				    : NULL;
	return a ? a->name : NULL;
}

int gdb_api_assembly_find(const gdb_api *h, const char *name, char *err,
			  size_t errlen)
{
	int rc = gdb_store_assembly_find(h->store, name);

	if (rc < 0)
		gdb_seterr(err, errlen, "%s: no assembly '%s'",
			   gdb_store_path(h->store), name);
	return rc;
}

/* The store-wide contig of an assembly's i-th one, or NULL. */
const gdb_contig *gdb_api_contig_at(const gdb_api *h, uint32_t asm_index,
				    uint32_t i)
{
	const gdb_assembly *a;

	if (asm_index >= gdb_store_nassemblies(h->store))
		return NULL;
	a = gdb_store_assembly(h->store, asm_index);
	return i < a->ncontigs ? gdb_store_contig(h->store, a->first_contig + i)
			       : NULL;
}

uint32_t gdb_api_ncontigs(const gdb_api *h, uint32_t asm_index)
{
	if (asm_index >= gdb_store_nassemblies(h->store))
		return 0;
	return gdb_store_assembly(h->store, asm_index)->ncontigs;
}

const char *gdb_api_contig_name(const gdb_api *h, uint32_t asm_index,
				uint32_t i)
{
	const gdb_contig *c = gdb_api_contig_at(h, asm_index, i);
	return c ? c->name : NULL;
}

const char *gdb_api_contig_desc(const gdb_api *h, uint32_t asm_index,
				uint32_t i)
{
	const gdb_contig *c = gdb_api_contig_at(h, asm_index, i);
	return c ? c->desc : NULL;
}

int64_t gdb_api_contig_length(const gdb_api *h, uint32_t asm_index, uint32_t i)
{
	const gdb_contig *c = gdb_api_contig_at(h, asm_index, i);
	return c ? c->length : -ENOENT;
}

int gdb_api_contig_find(const gdb_api *h, uint32_t asm_index, const char *name,
			char *err, size_t errlen)
{
	const gdb_assembly *a;
	int id;

	if (asm_index >= gdb_store_nassemblies(h->store))
		return -ENOENT;
	a = gdb_store_assembly(h->store, asm_index);
	id = gdb_store_contig_find(h->store, asm_index, name);
	if (id < 0) {
		gdb_seterr(err, errlen, "no contig '%s' in assembly '%s'", name,
			   a->name);
		return -ENOENT;
	}
	return id - (int)a->first_contig;
}

int gdb_api_range_check(const gdb_contig *c, int64_t beg, int64_t end,
			char *err, size_t errlen)
{
	if (beg < 0 || end < beg || end > c->length) {
		gdb_seterr(err, errlen,
			   "%s: range %lld-%lld (1-based) outside 1-%lld or "
			   "ending before it starts",
			   c->name, (long long)beg + 1, (long long)end,
			   (long long)c->length);
		return -ERANGE;
	}
	return 0;
}

int gdb_api_read(gdb_api *h, const gdb_contig *c, int64_t beg, int64_t end,
		 int form, void *dst, char *err, size_t errlen)
{
	int rc;

	if (end == beg)
		return 0;
	rc = gdb_cache_read(h->cache, c->id, beg, end, dst);
	if (rc < 0) {
		gdb_seterr(err, errlen, "%s: %s:%lld-%lld: %s",
			   gdb_store_path(h->store), c->name,
			   (long long)beg + 1, (long long)end,
			   gdb_strerror(rc));
		return rc;
	}
	if (form == GDB_API_U8)
		gdb_alphabet_to_u8(
		    gdb_store_assembly(h->store, c->asm_index)->alphabet, dst,
		    (size_t)(end - beg), dst);
	return 0;
}

int gdb_api_fetch(gdb_api *h, uint32_t asm_index, uint32_t contig, int64_t beg,
		  int64_t end, int form, void *dst, char *err, size_t errlen)
{
	const gdb_contig *c = gdb_api_contig_at(h, asm_index, contig);

	if (!c) {
		gdb_seterr(err, errlen, "no contig %u in assembly %u", contig,
			   asm_index);
		return -ENOENT;
	}
	GDB_TRY(gdb_api_range_check(c, beg, end, err, errlen));
	return gdb_api_read(h, c, beg, end, form, dst, err, errlen);
}

/* ---- networks ---- */

static int graph_node(const gdb_graph *g, const char *name, int net, char *err,
		      size_t errlen)
{
	int id = name && *name ? gdb_graph_lookup(g, name, net) : -ENOENT;

	if (id < 0)
		gdb_seterr(err, errlen, "no node '%s'%s", name ? name : "",
			   net >= 0 ? " in that network" : "");
	return id;
}

static int graph_filter(gdb_api *h, const char *network, const char *params,
			gdb_graph_filter *f, char *err, size_t errlen)
{
	char *text;
	int rc = 0;

	if (!h->graph)
		GDB_TRY(gdb_graph_open(h->store, &h->graph, err, errlen));
	if (gdb_graph_nnetworks(h->graph) == 0) {
		gdb_seterr(err, errlen, "%s: no networks in the store",
			   gdb_store_path(h->store));
		return -ENOENT;
	}
	gdb_graph_filter_init(f);
	if (network && *network) {
		f->net = gdb_graph_network_find(h->graph, network);
		if (f->net < 0) {
			gdb_seterr(err, errlen, "no network '%s'", network);
			return -ENOENT;
		}
	}
	if (!params || !*params)
		return 0;
	text = strdup(params);
	if (!text)
		return -ENOMEM;
	{
		int net = f->net;
		rc = gdb_graph_filter_parse(h->graph, text, f, err, errlen);
		if (rc == 0 && network && *network)
			f->net = net;
	}
	/* the filter borrows type names from text: keep it with the handle */
	if (rc == 0) {
		free(h->params);
		h->params = text;
	} else {
		free(text);
	}
	return rc;
}

int gdb_api_graph(gdb_api *h, const char *network, int query, const char *node1,
		  const char *node2, unsigned k, const char *params, int fmt,
		  char **out, size_t *len, char *err, size_t errlen)
{
	gdb_graph_filter f;
	gdb_graph_result r;
	int a, b, rc;

	GDB_TRY(graph_filter(h, network, params, &f, err, errlen));
	a = graph_node(h->graph, node1, f.net, err, errlen);
	if (a < 0)
		return a;
	memset(&r, 0, sizeof(r));
	if (query == GDB_API_NEIGHBORS) {
		rc = gdb_graph_neighbors(h->graph, (uint32_t)a, &f, &r);
	} else if (query == GDB_API_KHOP) {
		rc = gdb_graph_khop(h->graph, (uint32_t)a, k, 0, &f, &r);
	} else if (query == GDB_API_SHORTEST) {
		b = graph_node(h->graph, node2, f.net, err, errlen);
		if (b < 0)
			return b;
		rc = gdb_graph_shortest_path(h->graph, (uint32_t)a, (uint32_t)b,
					     &f, &r);
	} else {
		gdb_seterr(err, errlen, "unknown network query %d", query);
		return -EINVAL;
	}
	if (rc == 0)
		rc = gdb_graph_render(h->graph, &r, fmt, API_MAX_ANSWER, out,
				      len);
	if (rc < 0)
		gdb_seterr(err, errlen, "network query on '%s': %s", node1,
			   gdb_strerror(rc));
	gdb_graph_result_free(&r);
	return rc;
}

/* ---- variant sets ---- */

uint32_t gdb_api_nvsets(const gdb_api *h)
{
	return gdb_vset_count(h->store);
}

const char *gdb_api_vset_name(const gdb_api *h, uint32_t i)
{
	return i < gdb_vset_count(h->store) ? gdb_vset_name(h->store, i) : NULL;
}

static int vset_answer(gdb_vset *v, const char *contig, int64_t beg,
		       int64_t end, int what, const char *samples, char **out,
		       size_t *len, char *err, size_t errlen)
{
	gdb_vsamples sub = {0, NULL};
	int c = gdb_vset_contig_find(v, contig);
	int rc;

	if (c < 0) {
		gdb_seterr(err, errlen, "no contig '%s' in the variant set",
			   contig);
		return -ENOENT;
	}
	if (beg < 0 || end < beg) {
		gdb_seterr(err, errlen, "%s: bad range %lld-%lld (1-based)",
			   contig, (long long)beg + 1, (long long)end);
		return -ERANGE;
	}
	if (what >= GDB_API_AF) {
		gdb_vstat_opts o = {.stat = GDB_VSTAT_AF,
				    .by =
					(enum gdb_vgroup_by)(what - GDB_API_AF),
				    .threads = 1};
		rc = gdb_vset_stats(v, (uint32_t)c, beg, end, &o,
				    API_MAX_ANSWER, out, len);
		if (rc == -EINVAL)
			gdb_seterr(err, errlen,
				   "no such grouping in this set "
				   "(a set imported without a panel has no "
				   "populations)");
		return rc;
	}
	if (samples && *samples)
		GDB_TRY(gdb_vset_select(v, samples, 0, &sub, err, errlen));
	rc = gdb_vset_render(v, (uint32_t)c, beg, end, sub.n ? &sub : NULL,
			     (enum gdb_vfmt)what, API_MAX_ANSWER, out, len);
	gdb_vsamples_free(&sub);
	return rc;
}

int gdb_api_variants(gdb_api *h, const char *set, const char *contig,
		     int64_t beg, int64_t end, int what, const char *samples,
		     char **out, size_t *len, char *err, size_t errlen)
{
	gdb_vset *v;
	int rc;

	if (!set || !contig || what < 0 ||
	    (what > GDB_VF_GTNPY && what < GDB_API_AF) ||
	    what > GDB_API_AF + GDB_VBY_SAMPLE) {
		gdb_seterr(err, errlen, "bad variant query");
		return -EINVAL;
	}
	rc = gdb_vset_open(h->store, h->cache, set, &v, err, errlen);
	if (rc == -ENOENT)
		gdb_seterr(err, errlen, "no variant set '%s'", set);
	if (rc < 0)
		return rc;
	if (err && errlen)
		err[0] = 0;
	rc = vset_answer(v, contig, beg, end, what, samples, out, len, err,
			 errlen);
	if (rc < 0 && err && errlen && !err[0])
		gdb_seterr(err, errlen, "variant set '%s', %s: %s", set, contig,
			   gdb_strerror(rc));
	gdb_vset_close(v);
	return rc;
}
