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

void gdb_api_annot_pairs_free(gdb_api_annot_pairs *p)
{
	free(p->row);
	free(p->feature);
	free(p->beg);
	free(p->end);
	free(p->slot);
	free(p->strand);
	free(p->type_code);
	free(p->type_names);
	memset(p, 0, sizeof(*p));
}

static int pairs_alloc(gdb_api_annot_pairs *p, size_t n)
{
	size_t k = n ? n : 1;

	p->row = gdb_api_alloc_big(k * sizeof(*p->row));
	p->feature = gdb_api_alloc_big(k * sizeof(*p->feature));
	p->beg = gdb_api_alloc_big(k * sizeof(*p->beg));
	p->end = gdb_api_alloc_big(k * sizeof(*p->end));
	p->slot = gdb_api_alloc_big(k * sizeof(*p->slot));
	p->strand = gdb_api_alloc_big(k);
	p->type_code = gdb_api_alloc_big(k * sizeof(*p->type_code));
	return p->row && p->feature && p->beg && p->end && p->slot &&
		       p->strand && p->type_code
		   ? 0
		   : -ENOMEM;
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

/* Copy each pair's feature fields; types as codes into distinct names. */
static int pairs_fill(const gdb_annot *a, const uint64_t *q, const uint64_t *f,
		      gdb_api_annot_pairs *p)
{
	type_tab t = {0};
	const char **by_text = NULL;
	int32_t *text_code = NULL, code;
	int rc = 0;

	for (int64_t i = 0; i < p->n && rc == 0; i++) {
		gdb_annot_feature ft;
		if (gdb_annot_feature_get(a, f[i], &ft) < 0) {
			rc = GDB_ECORRUPT;
			break;
		}
		p->row[i] = (int64_t)q[i];
		p->feature[i] = (int64_t)f[i];
		p->beg[i] = ft.beg;
		p->end[i] = ft.end;
		p->slot[i] = (int32_t)ft.contig;
		p->strand[i] = ft.strand;
		code = type_code(&t, &by_text, &text_code, ft.type);
		if (code < 0)
			rc = code;
		p->type_code[i] = code;
	}
	free(t.key);
	free(t.code);
	free(by_text);
	free(text_code);
	if (rc < 0) {
		gdb_buf_free(&t.names);
		return rc;
	}
	p->type_names = t.names.p; /* NULL when there is no pair */
	p->type_names_len = t.names.len;
	p->ntypes = t.n;
	return 0;
}

int gdb_api_annot_overlap(gdb_api *h, const char *set, const gdb_api_batch *b,
			  gdb_api_annot_pairs *out, char *err, size_t errlen)
{
	gdb_annot *a;
	uint64_t *q = NULL, *f = NULL, n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	GDB_TRY(annot_open(h, set, &a, err, errlen));
	rc = gdb_annot_overlap_batch(a, b->n, b->contig, b->beg, b->end, NULL,
				     &q, &f, &n);
	if (rc == -EINVAL)
		gdb_seterr(err, errlen, "an interval ends before it starts");
	if (rc == 0) {
		out->n = (int64_t)n;
		rc = pairs_alloc(out, n);
	}
	if (rc == 0)
		rc = pairs_fill(a, q, f, out);
	if (rc < 0)
		gdb_api_annot_pairs_free(out);
	free(q);
	free(f);
	gdb_annot_close(a);
	return rc;
}
