/*
 * api/annot.c - annotation sets through api/genomedb.h: a frame's rows
 * joined with a set's features by the set's own interval index
 * (gdb_annot_overlap_batch), the matched features' fields copied out.
 */
#include <errno.h>
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
	free(p->types);
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
	return p->row && p->feature && p->beg && p->end && p->slot && p->strand
		   ? 0
		   : -ENOMEM;
}

/* Copy each pair's feature fields; types '\n'-joined. */
static int pairs_fill(const gdb_annot *a, const uint64_t *q, const uint64_t *f,
		      gdb_api_annot_pairs *p)
{
	gdb_buf types = {0};

	for (int64_t i = 0; i < p->n; i++) {
		gdb_annot_feature ft;
		if (gdb_annot_feature_get(a, f[i], &ft) < 0) {
			gdb_buf_free(&types);
			return GDB_ECORRUPT;
		}
		p->row[i] = (int64_t)q[i];
		p->feature[i] = (int64_t)f[i];
		p->beg[i] = ft.beg;
		p->end[i] = ft.end;
		p->slot[i] = (int32_t)ft.contig;
		p->strand[i] = ft.strand;
		gdb_buf_add(&types, ft.type, strlen(ft.type));
		gdb_buf_add(&types, "\n", 1);
	}
	if (types.err) {
		int e = types.err;
		gdb_buf_free(&types);
		return e;
	}
	p->types = types.p; /* NULL when there is no pair */
	p->types_len = types.len;
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
