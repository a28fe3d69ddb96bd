/*
 * api/annot.c - annotation sets through api/genomedb.h: a frame's rows
 * joined with a set's features by the set's own interval index
 * (gdb_annot_overlap_batch), the matched features' fields copied out.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotations/annotations.h"
#include "api/api_int.h"

static int annot_open(gdb_api *h, const char *set, gdb_annot **a, char *err,
		      size_t errlen)
{
	int rc = gdb_annot_open(h->store, set, a, err, errlen);

	if (rc == -ENOENT)
		gdb_seterr(err, errlen, "%s: no annotation set '%s'",
			   gdb_store_path(h->store), set);
	return rc;
}

int gdb_api_annot_slots(gdb_api *h, const char *set, size_t n,
			const char *const *names, int32_t *slot, char *err,
			size_t errlen)
{
	gdb_annot *a;

	GDB_TRY(annot_open(h, set, &a, err, errlen));
	for (size_t i = 0; i < n; i++) {
		int s = gdb_annot_contig_find(a, names[i]);
		slot[i] = s < 0 ? -1 : s;
	}
	gdb_annot_close(a);
	return 0;
}

int gdb_api_annot_contig(gdb_api *h, const char *set, int32_t slot, char *buf,
			 size_t buflen)
{
	gdb_annot *a;
	gdb_annot_info info;
	int rc = -ENOENT;

	GDB_TRY(annot_open(h, set, &a, NULL, 0));
	gdb_annot_info_get(a, &info);
	if (slot >= 0 && (uint32_t)slot < info.ncontigs) {
		snprintf(buf, buflen, "%s",
			 gdb_annot_contig_name(a, (uint32_t)slot));
		rc = 0;
	}
	gdb_annot_close(a);
	return rc;
}

/*
 * Type codes: a feature's type is a pointer into the set's interned
 * strings, so one pointer is one type and the table is keyed by pointer
 * (a few nanoseconds a pair); a pointer not seen before is looked up by
 * its text too, so that equal texts share a code even in a set whose
 * strings were not interned, and the names stay unique.
 */
typedef struct type_tab {
	const char **key; /* pointer or text, by table slot */
	int32_t *code;
	size_t cap;    /* power of two */
	int32_t n;     /* distinct texts so far */
	gdb_buf names; /* by code, each followed by '\n' */
	size_t nkeys;  /* pointers in the table (>= n) */
} type_tab;

static size_t hash_ptr(const char *p)
{
	return (size_t)(((uintptr_t)p * 0x9e3779b97f4a7c15ull) >> 20);
}

static size_t hash_text(const char *t)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*t)
		h = (h ^ (unsigned char)*t++) * 0x100000001b3ull;
	return (size_t)h;
}

/* The slot of key in tab ks (by pointer or by text); empty if absent. */
static size_t tab_find(const type_tab *t, const char **ks, const char *k,
		       int by_text)
{
	size_t i = (by_text ? hash_text(k) : hash_ptr(k)) & (t->cap - 1);

	while (ks[i] && (by_text ? strcmp(ks[i], k) != 0 : ks[i] != k))
		i = (i + 1) & (t->cap - 1);
	return i;
}

static int type_tab_grow(type_tab *t, const char ***by_text,
			 int32_t **text_code)
{
	size_t cap = t->cap ? 2 * t->cap : 64;
	type_tab nt = {calloc(cap, sizeof(char *)),
		       malloc(cap * sizeof(int32_t)),
		       cap,
		       t->n,
		       t->names,
		       t->nkeys};
	const char **nb = calloc(cap, sizeof(char *));
	int32_t *nc = malloc(cap * sizeof(int32_t));

	if (!nt.key || !nt.code || !nb || !nc) {
		free(nt.key);
		free(nt.code);
		free(nb);
		free(nc);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->cap; i++) {
		if (t->key[i]) {
			size_t j = tab_find(&nt, nt.key, t->key[i], 0);
			nt.key[j] = t->key[i];
			nt.code[j] = t->code[i];
		}
		if ((*by_text)[i]) {
			size_t j = tab_find(&nt, nb, (*by_text)[i], 1);
			nb[j] = (*by_text)[i];
			nc[j] = (*text_code)[i];
		}
	}
	free(t->key);
	free(t->code);
	free(*by_text);
	free(*text_code);
	*t = nt;
	*by_text = nb;
	*text_code = nc;
	return 0;
}

/* The code of type text p; -ENOMEM. by_text/text_code: the text table. */
static int32_t type_code(type_tab *t, const char ***by_text,
			 int32_t **text_code, const char *p)
{
	size_t i, j;

	if (t->cap) {
		i = tab_find(t, t->key, p, 0);
		if (t->key[i])
			return t->code[i];
	}
	if (t->nkeys * 2 + 2 > t->cap &&
	    type_tab_grow(t, by_text, text_code) < 0)
		return -ENOMEM;
	j = tab_find(t, *by_text, p, 1);
	if (!(*by_text)[j]) {
		(*by_text)[j] = p;
		(*text_code)[j] = t->n++;
		gdb_buf_add(&t->names, p, strlen(p));
		gdb_buf_add(&t->names, "\n", 1);
		if (t->names.err)
			return t->names.err;
	}
	i = tab_find(t, t->key, p, 0);
	t->key[i] = p;
	t->code[i] = (*text_code)[j];
	t->nkeys++;
	return t->code[i];
}

static void type_tab_free(type_tab *t, const char **by_text, int32_t *text_code)
{
	free(t->key);
	free(t->code);
	free(by_text);
	free(text_code);
}

/* Type codes, int32 at code, narrowed in place to the fewest bytes (1, 2
 * or 4) that hold ntypes codes; the names into types. */
static void types_close(type_tab *t, int32_t *code, size_t n,
			gdb_api_annot_types *types)
{
	types->names = t->names.p; /* NULL when there is no type */
	types->names_len = t->names.len;
	types->n = t->n;
	/* as pandas narrows a categorical's codes, so none is copied */
	types->code_size = t->n < 127 ? 1 : t->n < 32767 ? 2 : 4;
	for (size_t i = 0; i < n && types->code_size == 1; i++)
		((int8_t *)code)[i] = (int8_t)code[i];
	for (size_t i = 0; i < n && types->code_size == 2; i++)
		((int16_t *)code)[i] = (int16_t)code[i];
}

/* The set's features as a batch in index order (by slot, then start),
 * with strand and type code columns. */
typedef struct feats {
	gdb_api_batch b;
	int32_t *contig, *type;
	int64_t *beg, *end;
	char *strand;
} feats;

static void feats_free(feats *f)
{
	free(f->contig);
	free(f->type);
	free(f->beg);
	free(f->end);
	free(f->strand);
}

/* Fields of features idx[0..n) (idx NULL: all n in order) into arrays
 * (any may be NULL); type codes and names into types. */
static int feats_get(const gdb_annot *a, const uint64_t *idx, size_t n,
		     int32_t *contig, int64_t *beg, int64_t *end, char *strand,
		     int32_t *type, gdb_api_annot_types *types)
{
	type_tab t = {0};
	const char **by_text = NULL;
	int32_t *text_code = NULL;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		gdb_annot_feature ft;
		if (gdb_annot_feature_get(a, idx ? idx[i] : i, &ft) < 0) {
			rc = GDB_ECORRUPT;
			break;
		}
		if (contig)
			contig[i] = (int32_t)ft.contig;
		if (beg)
			beg[i] = ft.beg;
		if (end)
			end[i] = ft.end;
		if (strand) {
			const char *k = strchr(GDB_API_STRANDS, ft.strand);
			/* an unknown byte reads as '?', the last */
			if (!k || !ft.strand)
				k = GDB_API_STRANDS + 3;
			strand[i] = (char)(k - GDB_API_STRANDS);
		}
		type[i] = type_code(&t, &by_text, &text_code, ft.type);
		if (type[i] < 0)
			rc = type[i];
	}
	type_tab_free(&t, by_text, text_code);
	if (rc < 0) {
		gdb_buf_free(&t.names);
		return rc;
	}
	types_close(&t, type, n, types);
	return 0;
}

static int feats_load(const gdb_annot *a, feats *f, gdb_api_annot_types *types)
{
	gdb_annot_info info;
	size_t n;
	int rc;

	gdb_annot_info_get(a, &info);
	n = (size_t)info.nfeatures;
	memset(f, 0, sizeof(*f));
	f->contig = malloc(n * sizeof(*f->contig) + 1);
	f->type = malloc(n * sizeof(*f->type) + 1);
	f->beg = malloc(n * sizeof(*f->beg) + 1);
	f->end = malloc(n * sizeof(*f->end) + 1);
	f->strand = malloc(n + 1);
	if (!f->contig || !f->type || !f->beg || !f->end || !f->strand) {
		feats_free(f);
		return -ENOMEM;
	}
	f->b = (gdb_api_batch){n, f->contig, f->beg, f->end};
	rc = feats_get(a, NULL, n, f->contig, f->beg, f->end, f->strand,
		       f->type, types);
	if (rc < 0)
		feats_free(f);
	return rc;
}

/*
 * A batch large beside the set: one sweep over the index order of all its
 * features (gdb_api_join, no sort of the features). Rows on no slot get
 * slot ncontigs, where no feature is.
 */
static int join_sweep(const gdb_annot *a, const gdb_api_batch *b,
		      const gdb_api_column *cols, size_t ncols, void **out,
		      int64_t *npairs, gdb_api_annot_types *types, char *err,
		      size_t errlen)
{
	gdb_annot_info info;
	gdb_api_column *all = malloc((ncols + 5) * sizeof(*all));
	int32_t *slot = malloc(b->n * sizeof(*slot) + 1);
	gdb_api_batch q = {b->n, slot, b->beg, b->end};
	feats f;
	int rc = all && slot ? feats_load(a, &f, types) : -ENOMEM;

	gdb_annot_info_get(a, &info);
	if (rc == 0) {
		for (size_t i = 0; i < b->n; i++)
			slot[i] = b->contig[i] < 0 ? (int32_t)info.ncontigs
						   : b->contig[i];
		memcpy(all, cols, ncols * sizeof(*all));
		all[ncols] = (gdb_api_column){NULL, 8};
		all[ncols + 1] = (gdb_api_column){f.beg, 8};
		all[ncols + 2] = (gdb_api_column){f.end, 8};
		all[ncols + 3] = (gdb_api_column){f.strand, 1};
		all[ncols + 4] =
		    (gdb_api_column){f.type, (size_t)types->code_size};
		rc = gdb_api_join(&q, &f.b, 1, 1, all, ncols, all + ncols, 5,
				  out, npairs, err, errlen);
		feats_free(&f);
	}
	free(all);
	free(slot);
	return rc;
}

/* A feature's place in the sweep's order: start, zero-length first. */
static int64_t sweep_key(const gdb_annot *a, uint64_t i)
{
	gdb_annot_feature ft;

	if (gdb_annot_feature_get(a, i, &ft) < 0)
		return INT64_MAX;
	return 2 * ft.beg + (ft.end > ft.beg);
}

/*
 * The walk gives a row's features in index order (start, then source
 * order); the sweep puts a zero-length feature before the others of its
 * start. An insertion sort within each row makes the walk's order the
 * sweep's: only such ties move, so it costs a pass.
 */
static void walk_order(const gdb_annot *a, const uint64_t *q, uint64_t *f,
		       uint64_t n)
{
	for (uint64_t p = 1; p < n; p++) {
		uint64_t j = p, x = f[p];
		int64_t kx = sweep_key(a, x);
		for (; j > 0 && q[j - 1] == q[p] && sweep_key(a, f[j - 1]) > kx;
		     j--)
			f[j] = f[j - 1];
		f[j] = x;
	}
}

/*
 * A batch small beside the set: the index walked per row
 * (gdb_annot_overlap_batch), the columns gathered from its pairs.
 */
static int join_walk(const gdb_annot *a, const gdb_api_batch *b,
		     const gdb_api_column *cols, size_t ncols, void **out,
		     int64_t *npairs, gdb_api_annot_types *types)
{
	uint64_t *q = NULL, *f = NULL, n = 0;
	size_t k = 0;
	int rc = gdb_annot_overlap_batch(a, b->n, b->contig, b->beg, b->end,
					 NULL, &q, &f, &n);

	if (rc == 0)
		walk_order(a, q, f, n);
	for (; rc == 0 && k < ncols + 5; k++) {
		size_t size = k < ncols && cols[k].data ? cols[k].size
			      : k == ncols + 3		? 1
			      : k == ncols + 4		? 4
							: 8;
		out[k] = gdb_api_alloc_big(n * size);
		if (!out[k])
			rc = -ENOMEM;
	}
	for (size_t c = 0; rc == 0 && c < ncols; c++)
		for (uint64_t p = 0; p < n; p++) {
			size_t size = cols[c].data ? cols[c].size : 8;
			int64_t row = (int64_t)q[p];
			memcpy((char *)out[c] + p * size,
			       cols[c].data
				   ? (const char *)cols[c].data + q[p] * size
				   : (const char *)&row,
			       size);
		}
	if (rc == 0) {
		if (n) /* no pairs: f may be NULL */
			memcpy(out[ncols], f, n * sizeof(*f));
		rc = feats_get(a, f, n, NULL, out[ncols + 1], out[ncols + 2],
			       out[ncols + 3], out[ncols + 4], types);
	}
	for (size_t c = 0; rc < 0 && c < k; c++) {
		free(out[c]);
		out[c] = NULL;
	}
	if (rc == 0)
		*npairs = (int64_t)n;
	free(q);
	free(f);
	return rc;
}

int gdb_api_annot_overlap(gdb_api *h, const char *set, const gdb_api_batch *b,
			  const gdb_api_column *cols, size_t ncols, void **out,
			  int64_t *npairs, gdb_api_annot_types *types,
			  char *err, size_t errlen)
{
	gdb_annot *a;
	gdb_annot_info info;
	int rc = 0;

	memset(types, 0, sizeof(*types));
	for (size_t i = 0; i < b->n && rc == 0; i++)
		if (b->end[i] < b->beg[i] || b->beg[i] < 0)
			rc = -ERANGE;
	for (size_t k = 0; k < ncols && rc == 0; k++)
		if (cols[k].data && cols[k].size != 1 && cols[k].size != 2 &&
		    cols[k].size != 4 && cols[k].size != 8)
			rc = -EINVAL;
	if (rc < 0) {
		gdb_seterr(err, errlen, "%s",
			   rc == -ERANGE ? "an interval ends before it starts"
					 : "a column's values are not of 1, "
					   "2, 4 or 8 bytes");
		return rc;
	}
	GDB_TRY(annot_open(h, set, &a, err, errlen));
	gdb_annot_info_get(a, &info);
	/* the sweep reads every feature once; the walk about log m each row */
	if (b->n * 16 >= info.nfeatures)
		rc = join_sweep(a, b, cols, ncols, out, npairs, types, err,
				errlen);
	else
		rc = join_walk(a, b, cols, ncols, out, npairs, types);
	if (rc == -EINVAL)
		gdb_seterr(err, errlen, "a row's contig slot is out of range");
	if (rc == GDB_ECORRUPT)
		gdb_seterr(err, errlen,
			   "%s: annotation set '%s': a feature "
			   "out of range",
			   gdb_store_path(h->store), set);
	if (rc < 0) {
		free(types->names);
		memset(types, 0, sizeof(*types));
	}
	gdb_annot_close(a);
	return rc;
}
