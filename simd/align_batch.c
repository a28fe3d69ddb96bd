/*
 * simd/align_batch.c - batches of score-only alignments cut into work
 * items (API: simd/align.h), and the runner that spreads them over the
 * caller's pool. Nothing here starts a thread: the items run on whatever
 * threads the caller gives them.
 *
 * Many queries against one target in local mode go in length order
 * (queries of similar lengths in one lane group waste few padding rows),
 * a chunk an item, to the level's inter-query kernel; everything else is
 * one pair an item.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/gdb.h"
#include "simd/analysis_int.h"

#define CHUNK_MAX 256 /* queries an item at most */

/* order[] by query length (a stable merge sort: equal lengths keep their
 * order, so results do not depend on the sort). */
static void length_sort(size_t *order, const size_t *len, size_t n)
{
	size_t *tmp = malloc(n * sizeof(*tmp));

	if (!tmp)
		return; /* unsorted works too, with more padding */
	for (size_t w = 1; w < n; w *= 2)
		for (size_t a = 0; a < n; a += 2 * w) {
			size_t m = a + w < n ? a + w : n;
			size_t e = a + 2 * w < n ? a + 2 * w : n;
			size_t i = a, j = m, k = a;
			while (i < m || j < e)
				tmp[k++] =
				    j >= e || (i < m &&
					       len[order[i]] <= len[order[j]])
					? order[i++]
					: order[j++];
			memcpy(order + a, tmp + a, (e - a) * sizeof(*tmp));
		}
	free(tmp);
}

int gdb_align_batch_plan(gdb_align_plan *b, const gdb_align_scoring *sc,
			 enum gdb_align_mode mode, const char *const *queries,
			 const size_t *qlens, size_t nq,
			 const char *const *targets, const size_t *tlens,
			 size_t nt, unsigned nparts, gdb_align_result *out)
{
	memset(b, 0, sizeof(*b));
	if (!nq || !nt)
		return 0;
	if (!(nq == 1 || nt == 1 || nq == nt))
		return -EINVAL;
	b->sc = sc;
	b->mode = mode;
	b->queries = queries;
	b->targets = targets;
	b->qlens = qlens;
	b->tlens = tlens;
	b->nq = nq;
	b->nt = nt;
	b->npairs = nq > nt ? nq : nt;
	b->out = out;
	b->chunk = 1;
	b->nitems = b->npairs;
	if (mode != GDB_ALIGN_LOCAL || nt != 1 || nq < 2)
		return 0;
	/* a chunk a worker, at least a full AVX2 group, at most CHUNK_MAX */
	b->order = malloc(nq * sizeof(*b->order));
	if (!b->order)
		return -ENOMEM;
	for (size_t k = 0; k < nq; k++)
		b->order[k] = k;
	length_sort(b->order, qlens, nq);
	if (!nparts)
		nparts = 1;
	b->chunk = (nq + nparts - 1) / nparts;
	b->chunk = (b->chunk + 31) & ~(size_t)31;
	if (b->chunk > CHUNK_MAX)
		b->chunk = CHUNK_MAX;
	b->nitems = (nq + b->chunk - 1) / b->chunk;
	return 0;
}

/* One chunk of many queries against the one target. */
static int many_item(const gdb_align_plan *b, const gdb_align_kernels *k,
		     size_t item, gdb_align_ws *ws)
{
	const char *q[CHUNK_MAX] = {0};
	size_t l[CHUNK_MAX] = {0}, a = item * b->chunk, m, i;
	gdb_align_result r[CHUNK_MAX];

	m = b->nq - a < b->chunk ? b->nq - a : b->chunk;
	for (i = 0; i < m; i++) {
		q[i] = b->queries[b->order[a + i]];
		l[i] = b->qlens[b->order[a + i]];
	}
	GDB_TRY(k->many(b->sc, q, l, m, b->targets[0], b->tlens[0], ws, r));
	for (i = 0; i < m; i++)
		b->out[b->order[a + i]] = r[i];
	return 0;
}

int gdb_align_batch_item(const gdb_align_plan *b, size_t i, gdb_align_ws *ws)
{
	const gdb_align_kernels *k = gdb_align_variant(gdb_simd_active());
	size_t qi, ti;

	if (i >= b->nitems)
		return -EINVAL;
	if (b->order)
		return many_item(b, k, i, ws);
	qi = b->nq == 1 ? 0 : i;
	ti = b->nt == 1 ? 0 : i;
	return k->score(b->sc, b->mode, b->queries[qi], b->qlens[qi],
			b->targets[ti], b->tlens[ti], ws, &b->out[i]);
}

void gdb_align_batch_done(gdb_align_plan *b)
{
	free(b->order);
	b->order = NULL;
}

/* ---- on the caller's pool ---- */

struct run {
	const gdb_align_plan *b;
	gdb_align_ws **ws; /* one a worker, made when it first works */
};

static int run_item(void *arg, unsigned worker, size_t item)
{
	struct run *r = arg;

	if (!r->ws[worker])
		GDB_TRY(gdb_align_ws_new(&r->ws[worker]));
	return gdb_align_batch_item(r->b, item, r->ws[worker]);
}

int gdb_align_batch(const gdb_align_scoring *sc, enum gdb_align_mode mode,
		    const char *const *queries, const size_t *qlens, size_t nq,
		    const char *const *targets, const size_t *tlens, size_t nt,
		    gdb_pool *pool, gdb_align_result *out)
{
	unsigned nw = gdb_pool_size(pool);
	gdb_align_plan b;
	struct run r = {&b, NULL};
	int rc = gdb_align_batch_plan(&b, sc, mode, queries, qlens, nq, targets,
				      tlens, nt, nw, out);

	if (rc == 0 && !(r.ws = calloc(nw, sizeof(*r.ws))))
		rc = -ENOMEM;
	if (rc == 0)
		rc = gdb_pool_run(pool, b.nitems, run_item, &r);
	for (unsigned w = 0; r.ws && w < nw; w++)
		gdb_align_ws_free(r.ws[w]);
	free(r.ws);
	gdb_align_batch_done(&b);
	return rc;
}
