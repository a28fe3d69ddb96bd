/*
 * variants/render.c - the answers that are not VCF/BCF: samples.tsv,
 * sites.tsv (one column per INFO key, values as htslib prints them) and
 * the .gt.npy dosage matrix (simd/genotype.h expands the planes), plus
 * sample selection by name or population.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simd/genotype.h"
#include "variants/variants_int.h"

int gdb_vset_samples_tsv(const gdb_vset *v, char **out, size_t *len)
{
	*out = malloc(v->samples_tsv_len + 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, v->samples_tsv, v->samples_tsv_len);
	*len = v->samples_tsv_len;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* %XX escapes decoded in place; -1 if malformed or NUL. */
static int unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		unsigned v;
		if (*r != '%') {
			*w++ = *r;
			continue;
		}
		if (sscanf(r + 1, "%2x", &v) != 1 || !v || !r[1] || !r[2] ||
		    !strchr("0123456789abcdefABCDEF", r[1]) ||
		    !strchr("0123456789abcdefABCDEF", r[2]))
			return -1;
		*w++ = (char)v;
		r += 2;
	}
	*w = 0;
	return 0;
}

int gdb_vset_select(const gdb_vset *v, const char *names, int by_pop,
		    gdb_vsamples *out, char *err, size_t errlen)
{
	char *copy = strdup(names), *save = NULL, *tok;
	uint32_t *idx = malloc(sizeof(uint32_t) * (v->nsamples + 1)), n = 0;
	uint8_t *in = calloc(v->nsamples + 1, 1);
	int rc = 0;

	if (!copy || !idx || !in) {
		rc = -ENOMEM;
		goto out;
	}
	for (tok = strtok_r(copy, ",", &save); tok && rc == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		int found = 0;
		if (unescape(tok) < 0) {
			gdb_seterr(err, errlen, "bad escape in %s", names);
			rc = -ENOENT;
			break;
		}
		for (uint32_t i = 0; i < v->nsamples; i++) {
			int hit = by_pop ? (!strcmp(v->pops[v->pop[i]], tok) ||
					    !strcmp(v->spops[v->spop[i]], tok))
					 : !strcmp(v->samples[i], tok);
			if (hit && !in[i]) {
				in[i] = 1;
				idx[n++] = i;
			}
			found |= hit;
		}
		if (!found) {
			gdb_seterr(err, errlen, "no %s %s in set %s",
				   by_pop ? "population" : "sample", tok,
				   v->name);
			rc = -ENOENT;
		}
	}
	if (rc == 0 && n == 0) {
		gdb_seterr(err, errlen, "no samples selected");
		rc = -ENOENT;
	}
out:
	free(copy);
	free(in);
	if (rc < 0) {
		free(idx);
		return rc;
	}
	qsort(idx, n, sizeof(uint32_t), cmp_u32);
	out->idx = idx;
	out->n = n;
	return 0;
}

void gdb_vsamples_free(gdb_vsamples *s)
{
	if (s) {
		free(s->idx);
		s->idx = NULL;
		s->n = 0;
	}
}

/* ---- sites.tsv ---- */

struct sites {
	const gdb_vset *v;
	bcf1_t *rec;
	kstring_t line;
	gdb_buf out;
	char **keys; /* INFO keys in header order */
	uint32_t nkeys;
	const char **val; /* per key: value in the current line */
};

static void add_field(gdb_buf *b, const char *s, size_t n)
{
	if (n == 1 && s[0] == '.')
		n = 0; /* missing: an empty field (NaN for pandas) */
	gdb_buf_add(b, s, n);
}

static int sites_row(void *arg, vs_cursor *c, int in_range)
{
	struct sites *t = arg;
	char *f[8], *p;
	int i;

	GDB_TRY(vs_record(c, t->v->hdr0, NULL, 0, in_range ? t->rec : NULL));
	if (!in_range)
		return 0;
	t->line.l = 0;
	if (vcf_format(t->v->hdr0, t->rec, &t->line) < 0)
		return -ENOMEM;
	p = t->line.s;
	p[t->line.l - 1] = 0; /* the newline */
	for (i = 0; i < 8; i++) {
		f[i] = p;
		p = strchr(p, '\t');
		if (!p && i < 7)
			return -EIO;
		if (p)
			*p++ = 0;
	}
	for (i = 0; i < 7; i++) {
		add_field(&t->out, f[i], strlen(f[i]));
		gdb_buf_add(&t->out, "\t", 1);
	}
	for (uint32_t k = 0; k < t->nkeys; k++)
		t->val[k] = NULL;
	for (char *s = f[7], *next; strcmp(f[7], ".") && s; s = next) {
		char *eq;
		next = strchr(s, ';');
		if (next)
			*next++ = 0;
		eq = strchr(s, '=');
		if (eq)
			*eq++ = 0;
		for (uint32_t k = 0; k < t->nkeys; k++)
			if (!strcmp(t->keys[k], s))
				t->val[k] = eq ? eq : "1"; /* a flag */
	}
	for (uint32_t k = 0; k < t->nkeys; k++) {
		if (k)
			gdb_buf_add(&t->out, "\t", 1);
		if (t->val[k])
			add_field(&t->out, t->val[k], strlen(t->val[k]));
	}
	gdb_buf_add(&t->out, "\n", 1);
	return t->out.err;
}

static void sites_free(struct sites *t)
{
	gdb_buf_free(&t->out);
	free(t->keys);
	free(t->val);
	free(t->line.s);
	bcf_destroy(t->rec);
}

/* The INFO keys in header order, and the header row into t->out. */
static int sites_begin(struct sites *t, const gdb_vset *v, size_t max)
{
	const bcf_hdr_t *h = v->hdr;

	memset(t, 0, sizeof(*t));
	t->v = v;
	t->out.max = max;
	t->keys = calloc((size_t)h->nhrec + 1, sizeof(char *));
	t->val = calloc((size_t)h->nhrec + 1, sizeof(char *));
	t->rec = bcf_init();
	if (!t->keys || !t->val || !t->rec)
		return -ENOMEM;
	gdb_buf_printf(&t->out, "chrom\tpos\tid\tref\talt\tqual\tfilter");
	for (int i = 0; i < h->nhrec; i++) {
		bcf_hrec_t *r = h->hrec[i];
		int k =
		    r->type == BCF_HL_INFO ? bcf_hrec_find_key(r, "ID") : -1;
		if (k < 0)
			continue;
		t->keys[t->nkeys++] = r->vals[k];
		gdb_buf_printf(&t->out, "\t%s", r->vals[k]);
	}
	gdb_buf_add(&t->out, "\n", 1);
	return t->out.err;
}

/* Rows of chunks [first, first + n) after what t->out holds. */
static int sites_take(struct sites *t, uint32_t contig, int64_t beg,
		      int64_t end, uint32_t first, uint32_t n, char **out,
		      size_t *len)
{
	int rc = vs_walk(t->v, contig, beg, end, first, n, NULL, sites_row, t);

	if (rc == 0 && t->out.err)
		rc = t->out.err;
	if (rc == 0 && !t->out.p && !gdb_buf_room(&t->out, 0))
		rc = -ENOMEM;
	if (rc == 0) {
		*out = t->out.p;
		*len = t->out.len;
		t->out.p = NULL;
	}
	return rc;
}

static int render_sites(const gdb_vset *v, uint32_t contig, int64_t beg,
			int64_t end, size_t max, char **out, size_t *len)
{
	struct sites t;
	uint32_t first, n;
	int rc = sites_begin(&t, v, max);

	vs_chunk_range(v, contig, beg, end, &first, &n);
	if (rc == 0)
		rc = sites_take(&t, contig, beg, end, first, n, out, len);
	sites_free(&t);
	return rc;
}

int vs_sites_part(const gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
		  uint32_t part, char **out, size_t *len)
{
	struct sites t;
	int rc = sites_begin(&t, v, 0);

	if (part != VS_PART_HEAD)
		t.out.len = 0;
	if (rc == 0)
		rc = sites_take(&t, contig, beg, end, part, part < VS_PART_TAIL,
				out, len);
	sites_free(&t);
	return rc;
}

/* ---- .gt.npy ---- */

#define NPY_HEADER 128

struct npy {
	const gdb_vset *v;
	const gdb_vsamples *sub;
	const gdb_gt_kernels *k;
	gdb_buf out;
	int8_t *row; /* all samples, for subsets */
	uint64_t rows;
};

static int npy_row(void *arg, vs_cursor *c, int in_range)
{
	struct npy *t = arg;
	uint32_t ns = t->sub ? t->sub->n : t->v->nsamples;
	int8_t *dst;

	if (!in_range)
		return 0;
	dst = gdb_buf_room(&t->out, ns);
	if (!dst)
		return t->out.err;
	t->rows++;
	if ((c->site.gt & 3) == GT_NONE) {
		memset(dst, 0xff, ns);
		return 0;
	}
	if (!t->sub) {
		t->k->dosage(c->pa, c->pb, c->pm, ns, dst);
		return 0;
	}
	t->k->dosage(c->pa, c->pb, c->pm, t->v->nsamples, t->row);
	for (uint32_t i = 0; i < ns; i++)
		dst[i] = t->row[t->sub->idx[i]];
	return 0;
}

/* NPY 1.0: magic, version, u16 header length, a dict padded with blanks
 * to a 64-byte multiple, ending in a newline. */
static void npy_header(char hd[NPY_HEADER + 1], uint64_t rows, uint32_t ns)
{
	int h = snprintf(hd + 10, NPY_HEADER - 9,
			 "{'descr': '|i1', 'fortran_order': False, "
			 "'shape': (%llu, %u), }",
			 (unsigned long long)rows, ns);

	memset(hd + 10 + h, ' ', (size_t)(NPY_HEADER - 10 - h));
	memcpy(hd, "\x93NUMPY\x01\x00", 8);
	gdb_put_le16(hd + 8, NPY_HEADER - 10);
	hd[NPY_HEADER - 1] = '\n';
}

/* Rows of chunks [first, first + n), after `room` bytes left for the
 * header, into *out. */
static int npy_rows(const gdb_vset *v, uint32_t contig, int64_t beg,
		    int64_t end, const gdb_vsamples *sub, uint32_t first,
		    uint32_t n, size_t room, size_t max, char **out,
		    size_t *len, uint64_t *rows)
{
	struct npy t = {.v = v, .sub = sub, .k = gdb_gt()};
	uint32_t ns = sub ? sub->n : v->nsamples;
	int *want = vs_want_groups(v, sub);
	int rc;

	t.out.max = max;
	t.row = malloc(v->nsamples + 64);
	/* at most every site of the chunks: one allocation, no copies */
	if (!want || !t.row ||
	    vs_reserve(&t.out, room + vs_chunk_sites(v, first, n) * ns + 1) ||
	    !gdb_buf_room(&t.out, room)) {
		rc = t.out.err == -EFBIG ? -EFBIG : -ENOMEM;
		goto out;
	}
	rc = vs_walk(v, contig, beg, end, first, n, want, npy_row, &t);
	if (rc == 0 && t.out.err)
		rc = t.out.err;
	if (rc == 0) {
		*out = t.out.p;
		*len = t.out.len;
		*rows = t.rows;
		t.out.p = NULL;
	}
out:
	free(want);
	free(t.row);
	gdb_buf_free(&t.out);
	return rc;
}

static int render_npy(const gdb_vset *v, uint32_t contig, int64_t beg,
		      int64_t end, const gdb_vsamples *sub, size_t max,
		      char **out, size_t *len)
{
	uint32_t first, n;
	uint64_t rows;
	int rc;

	vs_chunk_range(v, contig, beg, end, &first, &n);
	rc = npy_rows(v, contig, beg, end, sub, first, n, NPY_HEADER, max, out,
		      len, &rows);
	if (rc == 0) {
		char hd[NPY_HEADER + 1];
		npy_header(hd, rows, sub ? sub->n : v->nsamples);
		memcpy(*out, hd, NPY_HEADER);
	}
	return rc;
}

int vs_npy_part(const gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
		const gdb_vsamples *sub, uint32_t part, uint64_t *rows,
		char **out, size_t *len)
{
	if (part < VS_PART_TAIL)
		return npy_rows(v, contig, beg, end, sub, part, 1, 0, 0, out,
				len, rows);
	if (!(*out = malloc(NPY_HEADER + 1)))
		return -ENOMEM;
	*len = part == VS_PART_HEAD ? NPY_HEADER : 0;
	npy_header(*out, *rows, sub ? sub->n : v->nsamples);
	return 0;
}

int gdb_vset_render(const gdb_vset *v, uint32_t contig, int64_t beg,
		    int64_t end, const gdb_vsamples *sub, enum gdb_vfmt fmt,
		    size_t max, char **out, size_t *len)
{
	if (contig >= v->ncontigs || beg < 0 || end < beg)
		return -EINVAL;
	switch (fmt) {
	case GDB_VF_VCF:
	case GDB_VF_BCF:
	case GDB_VF_VCFGZ:
		return vs_render_vcf(v, contig, beg, end, sub, fmt, max, out,
				     len);
	case GDB_VF_SITES:
		return render_sites(v, contig, beg, end, max, out, len);
	case GDB_VF_GTNPY:
		return render_npy(v, contig, beg, end, sub, max, out, len);
	}
	return -EINVAL;
}
