/*
 * variants/build.c - the builder: htslib records in, chunk sections out.
 *
 * Records arrive sorted (import.c checks); each is split into the
 * columns of its chunk (POS deltas, REF/ALT edits, ID, QUAL, FILTER, INFO
 * and FORMAT per key, genotype runs per sample group). A chunk closes at
 * VS_CHUNK_SITES sites, VS_CHUNK_RAW raw bytes or a new contig; its
 * streams are compressed with zstd one by one and written as one section,
 * then forgotten, so memory stays flat whatever the input's size. The
 * tables (keys, contigs, chunks, samples, header) follow the chunks.
 * Layout: docs/FORMAT.md, "Variant sets".
 */
#define _GNU_SOURCE
#include "variants/build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* One INFO or FORMAT key's streams in the open chunk. */
struct kstream {
	uint32_t key;
	uint8_t kind; /* VK_INFO or VK_FMT */
	gdb_buf v, f; /* values; floats (shuffled at flush) */
};

struct vs_builder {
	gdb_txn *t;
	int level;
	uint32_t nsamples, ngroups, group;
	/* keys: per kind, header id -> key index + 1 */
	uint32_t *kmap[3];
	int kmap_n[3];
	gdb_buf keys; /* vcf.keys */
	uint32_t nkeys;
	/* contigs */
	gdb_buf contigs; /* vcf.contigs body */
	uint32_t ncontigs;
	int cur_rid;
	uint32_t contig_first_chunk;
	uint64_t contig_sites;
	char *contig_name;
	/* chunks */
	gdb_buf chunks; /* vcf.chunks */
	uint32_t nchunks;
	uint64_t nsites;
	/* the open chunk */
	uint32_t cn;
	int64_t first, last;
	gdb_buf s_pos, s_all, s_id, s_qual, s_flt, s_ik, s_fk, s_gts;
	struct kstream *ks;
	uint32_t nks, ks_cap;
	gdb_buf *g_runs, *g_exc;
	vs_pbwt *pbwt;
	uint8_t *bits; /* per slot of all samples */
	int32_t *gt;
	int ngt_cap;
	size_t raw;
	uint64_t stored, exceptions;
	ZSTD_CCtx *zc;
};

static void buf_reset(gdb_buf *b)
{
	b->len = 0;
}

int vs_builder_new(gdb_txn *t, uint32_t nsamples, int level, vs_builder **out)
{
	vs_builder *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->t = t;
	b->level = level > 0 ? level : VS_ZSTD_LEVEL;
	b->nsamples = nsamples;
	b->ngroups = (nsamples + VS_GROUP_SAMPLES - 1) / VS_GROUP_SAMPLES;
	b->group = b->ngroups ? (nsamples + b->ngroups - 1) / b->ngroups : 0;
	b->cur_rid = -1;
	b->zc = ZSTD_createCCtx();
	b->g_runs = calloc(b->ngroups + 1, sizeof(gdb_buf));
	b->g_exc = calloc(b->ngroups + 1, sizeof(gdb_buf));
	b->pbwt = calloc(b->ngroups + 1, sizeof(vs_pbwt));
	b->bits = malloc(2 * (size_t)nsamples + 1);
	if (!b->zc || !b->g_runs || !b->g_exc || !b->pbwt || !b->bits)
		goto fail;
	for (uint32_t g = 0; g < b->ngroups; g++) {
		uint32_t n = vs_group_size(nsamples, b->group, g);
		if (vs_pbwt_init(&b->pbwt[g], n) < 0)
			goto fail;
	}
	*out = b;
	return 0;
fail:
	vs_builder_free(b);
	return -ENOMEM;
}

uint32_t vs_group_size(uint32_t nsamples, uint32_t group, uint32_t g)
{
	uint32_t off = g * group;

	return nsamples - off < group ? nsamples - off : group;
}

void vs_builder_free(vs_builder *b)
{
	if (!b)
		return;
	for (int k = 0; k < 3; k++)
		free(b->kmap[k]);
	gdb_buf_free(&b->keys);
	gdb_buf_free(&b->contigs);
	gdb_buf_free(&b->chunks);
	gdb_buf *bufs[] = {&b->s_pos, &b->s_all, &b->s_id, &b->s_qual,
			   &b->s_flt, &b->s_ik,	 &b->s_fk, &b->s_gts};
	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		gdb_buf_free(bufs[i]);
	for (uint32_t i = 0; i < b->ks_cap; i++) {
		gdb_buf_free(&b->ks[i].v);
		gdb_buf_free(&b->ks[i].f);
	}
	free(b->ks);
	for (uint32_t g = 0; b->pbwt && g < b->ngroups; g++) {
		vs_pbwt_free(&b->pbwt[g]);
		gdb_buf_free(&b->g_runs[g]);
		gdb_buf_free(&b->g_exc[g]);
	}
	free(b->pbwt);
	free(b->g_runs);
	free(b->g_exc);
	free(b->bits);
	free(b->gt);
	free(b->contig_name);
	ZSTD_freeCCtx(b->zc);
	free(b);
}

/* The key index of header id `id` of kind k, added on first use. */
static int key_of(vs_builder *b, const bcf_hdr_t *h, int k, int id,
		  uint32_t *out)
{
	const char *name;
	size_t nl;

	if (id < 0 || id >= h->n[BCF_DT_ID])
		return GDB_EFORMAT;
	if (id >= b->kmap_n[k]) {
		int n = id + 64;
		uint32_t *m = realloc(b->kmap[k], sizeof(uint32_t) * n);
		if (!m)
			return -ENOMEM;
		memset(m + b->kmap_n[k], 0,
		       sizeof(uint32_t) * (n - b->kmap_n[k]));
		b->kmap[k] = m;
		b->kmap_n[k] = n;
	}
	if (!b->kmap[k][id]) {
		name = bcf_hdr_int2id(h, BCF_DT_ID, id);
		nl = strlen(name);
		if (nl > 0xffff)
			return GDB_EFORMAT;
		uint8_t hd[3] = {(uint8_t)k, (uint8_t)nl, (uint8_t)(nl >> 8)};
		gdb_buf_add(&b->keys, hd, 3);
		gdb_buf_add(&b->keys, name, nl);
		b->kmap[k][id] = ++b->nkeys;
	}
	*out = b->kmap[k][id] - 1;
	return 0;
}

static struct kstream *kstream_of(vs_builder *b, uint8_t kind, uint32_t key)
{
	for (uint32_t i = 0; i < b->nks; i++)
		if (b->ks[i].key == key && b->ks[i].kind == kind)
			return &b->ks[i];
	if (b->nks == b->ks_cap) {
		uint32_t n = b->ks_cap ? 2 * b->ks_cap : 16;
		struct kstream *k = realloc(b->ks, sizeof(*k) * n);
		if (!k)
			return NULL;
		memset(k + b->ks_cap, 0, sizeof(*k) * (n - b->ks_cap));
		b->ks = k;
		b->ks_cap = n;
	}
	b->ks[b->nks].key = key;
	b->ks[b->nks].kind = kind;
	buf_reset(&b->ks[b->nks].v);
	buf_reset(&b->ks[b->nks].f);
	return &b->ks[b->nks++];
}

/* ---- writing a chunk ---- */

/* Bytes 0,4,8.. then 1,5,9.. of 4-byte values: floats of one column
 * differ mostly in their low bytes, so zstd finds the high ones alike. */
static void shuffle4(const uint8_t *src, size_t n, uint8_t *dst)
{
	size_t m = n / 4;

	for (size_t i = 0; i < m; i++)
		for (int k = 0; k < 4; k++)
			dst[k * m + i] = src[4 * i + k];
}

struct pending {
	uint8_t kind, codec;
	uint16_t group;
	uint32_t key, raw_len, stored_len;
	void *data; /* owned */
};

static int compress_one(vs_builder *b, struct pending *p, const void *src,
			size_t n, int shuffle)
{
	size_t cap = ZSTD_compressBound(n);
	uint8_t *tmp = NULL;
	void *dst;

	if (n > UINT32_MAX)
		return -EFBIG;
	if (shuffle && n >= 4) {
		tmp = malloc(n);
		if (!tmp)
			return -ENOMEM;
		shuffle4(src, n, tmp);
		src = tmp;
	}
	dst = malloc(cap ? cap : 1);
	if (!dst) {
		free(tmp);
		return -ENOMEM;
	}
	size_t z = ZSTD_compressCCtx(b->zc, dst, cap, src, n, b->level);
	if (!ZSTD_isError(z) && z < n) {
		p->codec = 1;
		p->stored_len = (uint32_t)z;
	} else {
		memcpy(dst, src, n);
		p->codec = 0;
		p->stored_len = (uint32_t)n;
	}
	p->raw_len = (uint32_t)n;
	p->data = dst;
	free(tmp);
	return 0;
}

static int add_stream(vs_builder *b, struct pending *ps, uint32_t *np,
		      uint8_t kind, uint16_t group, uint32_t key,
		      const gdb_buf *src, int shuffle)
{
	struct pending *p = &ps[*np];

	if (src->err)
		return src->err;
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->group = group;
	p->key = key;
	(*np)++;
	return compress_one(b, p, src->p, src->len, shuffle);
}

static int write_chunk(vs_builder *b, struct pending *ps, uint32_t np)
{
	char name[32];
	uint8_t hd[8], e[VS_STREAM_ENTRY];
	uint64_t total = 8 + (uint64_t)np * VS_STREAM_ENTRY;

	snprintf(name, sizeof(name), "c.%u", b->nchunks);
	GDB_TRY(gdb_txn_section_begin(b->t, name));
	gdb_put_le32(hd, b->cn);
	gdb_put_le32(hd + 4, np);
	GDB_TRY(gdb_txn_section_write(b->t, hd, 8));
	for (uint32_t i = 0; i < np; i++) {
		e[0] = ps[i].kind;
		e[1] = ps[i].codec;
		gdb_put_le16(e + 2, ps[i].group);
		gdb_put_le32(e + 4, ps[i].key);
		gdb_put_le32(e + 8, ps[i].stored_len);
		gdb_put_le32(e + 12, ps[i].raw_len);
		GDB_TRY(gdb_txn_section_write(b->t, e, VS_STREAM_ENTRY));
	}
	for (uint32_t i = 0; i < np; i++) {
		GDB_TRY(
		    gdb_txn_section_write(b->t, ps[i].data, ps[i].stored_len));
		total += ps[i].stored_len;
	}
	GDB_TRY(gdb_txn_section_end(b->t));
	b->stored += total;
	return 0;
}

static int flush_chunk(vs_builder *b)
{
	uint32_t cap = 8 + 2 * b->nks + 2 * b->ngroups, np = 0;
	struct pending *ps;
	uint8_t e[VS_CHUNK_ENTRY] = {0};
	int rc = 0;

	if (!b->cn)
		return 0;
	ps = calloc(cap, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
#define ADD(kind, g, key, buf, sh)                                             \
	do {                                                                   \
		if (rc == 0)                                                   \
			rc = add_stream(b, ps, &np, kind, g, key, buf, sh);    \
	} while (0)
	ADD(VK_POS, 0, 0, &b->s_pos, 0);
	ADD(VK_ALLELES, 0, 0, &b->s_all, 0);
	ADD(VK_ID, 0, 0, &b->s_id, 0);
	ADD(VK_QUAL, 0, 0, &b->s_qual, 1);
	ADD(VK_FILTER, 0, 0, &b->s_flt, 0);
	ADD(VK_INFO_KEYS, 0, 0, &b->s_ik, 0);
	ADD(VK_FMT_KEYS, 0, 0, &b->s_fk, 0);
	ADD(VK_GT_SITE, 0, 0, &b->s_gts, 0);
	for (uint32_t i = 0; i < b->nks; i++) {
		struct kstream *k = &b->ks[i];
		ADD(k->kind, 0, k->key, &k->v, 0);
		if (k->f.len)
			ADD(k->kind + 1, 0, k->key, &k->f, 1);
	}
	for (uint32_t g = 0; g < b->ngroups; g++) {
		ADD(VK_GT_RUNS, (uint16_t)g, 0, &b->g_runs[g], 0);
		ADD(VK_GT_EXC, (uint16_t)g, 0, &b->g_exc[g], 0);
	}
#undef ADD
	if (rc == 0)
		rc = write_chunk(b, ps, np);
	for (uint32_t i = 0; i < np; i++)
		free(ps[i].data);
	free(ps);
	if (rc < 0)
		return rc;
	gdb_put_le32(e, b->ncontigs - 1);
	gdb_put_le32(e + 4, b->cn);
	gdb_put_le64(e + 8, (uint64_t)b->first);
	gdb_put_le64(e + 16, (uint64_t)b->last);
	gdb_put_le32(e + 24, b->nchunks); /* section name c.<n> */
	gdb_buf_add(&b->chunks, e, VS_CHUNK_ENTRY);
	b->nchunks++;
	b->nsites += b->cn;
	b->contig_sites += b->cn;
	b->cn = 0;
	b->raw = 0;
	gdb_buf *bufs[] = {&b->s_pos, &b->s_all, &b->s_id, &b->s_qual,
			   &b->s_flt, &b->s_ik,	 &b->s_fk, &b->s_gts};
	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		buf_reset(bufs[i]);
	b->nks = 0;
	for (uint32_t g = 0; g < b->ngroups; g++) {
		buf_reset(&b->g_runs[g]);
		buf_reset(&b->g_exc[g]);
		for (uint32_t i = 0; i < b->pbwt[g].H; i++)
			b->pbwt[g].a[i] = (uint16_t)i;
	}
	return b->chunks.err;
}

static void end_contig(vs_builder *b)
{
	uint8_t e[16];
	size_t nl;

	if (!b->contig_name)
		return;
	nl = strlen(b->contig_name);
	gdb_put_le16(e, (uint16_t)nl);
	gdb_buf_add(&b->contigs, e, 2);
	gdb_buf_add(&b->contigs, b->contig_name, nl);
	gdb_put_le32(e, b->contig_first_chunk);
	gdb_put_le32(e + 4, b->nchunks - b->contig_first_chunk);
	gdb_put_le64(e + 8, b->contig_sites);
	gdb_buf_add(&b->contigs, e, 16);
	free(b->contig_name);
	b->contig_name = NULL;
}

int vs_builder_contig(vs_builder *b, int rid, const char *name)
{
	GDB_TRY(flush_chunk(b));
	end_contig(b);
	b->contig_name = strdup(name);
	if (!b->contig_name || strlen(name) > GDB_NAME_MAX)
		return b->contig_name ? GDB_EFORMAT : -ENOMEM;
	b->cur_rid = rid;
	b->contig_first_chunk = b->nchunks;
	b->contig_sites = 0;
	b->ncontigs++;
	return 0;
}

/* ---- one record into the open chunk's columns ---- */

static void enc_alleles(vs_builder *b, bcf1_t *rec, int ref_is_reference)
{
	const char *r = rec->d.allele[0];
	size_t lr = strlen(r);

	vs_put_uv(&b->s_all, rec->n_allele);
	gdb_buf_add(&b->s_all, ref_is_reference ? "\0" : "\1", 1);
	vs_put_uv(&b->s_all, lr);
	if (!ref_is_reference)
		gdb_buf_add(&b->s_all, r, lr);
	for (uint32_t j = 1; j < rec->n_allele; j++) {
		const char *a = rec->d.allele[j], *base;
		size_t la = strlen(a);
		uint8_t tag;
		if (la == 1 && (base = strchr("ACGT", a[0])) && a[0]) {
			tag = (uint8_t)(1 + (base - "ACGT"));
			gdb_buf_add(&b->s_all, &tag, 1);
		} else if (!strcmp(a, "*")) {
			gdb_buf_add(&b->s_all, "\7", 1);
		} else if (la < lr && la > 0 && !memcmp(a, r, la)) {
			gdb_buf_add(&b->s_all, "\5", 1);
			vs_put_uv(&b->s_all, la);
		} else if (la > lr && lr > 0 && !memcmp(a, r, lr)) {
			gdb_buf_add(&b->s_all, "\6", 1);
			vs_put_uv(&b->s_all, la - lr);
			gdb_buf_add(&b->s_all, a + lr, la - lr);
		} else {
			gdb_buf_add(&b->s_all, "\0", 1);
			vs_put_uv(&b->s_all, la);
			gdb_buf_add(&b->s_all, a, la);
		}
	}
}

/* "rsNNN" without leading zeros fits a varint; "." and the rest not. */
static void enc_id(vs_builder *b, const char *id)
{
	size_t n = strlen(id);

	if (!strcmp(id, ".")) {
		gdb_buf_add(&b->s_id, "\0", 1);
		return;
	}
	if (n >= 3 && n <= 20 && id[0] == 'r' && id[1] == 's' && id[2] >= '1' &&
	    id[2] <= '9' && strspn(id + 2, "0123456789") == n - 2) {
		uint64_t v = strtoull(id + 2, NULL, 10);
		char back[24];
		snprintf(back, sizeof(back), "rs%llu", (unsigned long long)v);
		if (!strcmp(back, id)) {
			gdb_buf_add(&b->s_id, "\1", 1);
			vs_put_uv(&b->s_id, v);
			return;
		}
	}
	gdb_buf_add(&b->s_id, "\2", 1);
	vs_put_uv(&b->s_id, n);
	gdb_buf_add(&b->s_id, id, n);
}

/* An integer of a BCF typed value as int32, sentinels kept. */
static int32_t int_at(const uint8_t *p, int type, uint32_t j)
{
	switch (type) {
	case BCF_BT_INT8: {
		int8_t v = (int8_t)p[j];
		return v == bcf_int8_missing	  ? bcf_int32_missing
		       : v == bcf_int8_vector_end ? bcf_int32_vector_end
						  : v;
	}
	case BCF_BT_INT16: {
		int16_t v = (int16_t)gdb_get_le16(p + 2 * j);
		return v == bcf_int16_missing	   ? bcf_int32_missing
		       : v == bcf_int16_vector_end ? bcf_int32_vector_end
						   : v;
	}
	default:
		return (int32_t)gdb_get_le32(p + 4 * j);
	}
}

/* One typed value (n items) onto a key's streams. */
static int enc_value(struct kstream *k, int type, const uint8_t *p, uint32_t n)
{
	switch (type) {
	case BCF_BT_NULL:
		vs_put_uv(&k->v, VT_FLAG);
		vs_put_uv(&k->v, 0);
		return 0;
	case BCF_BT_INT8:
	case BCF_BT_INT16:
	case BCF_BT_INT32:
		vs_put_uv(&k->v, VT_INT);
		vs_put_uv(&k->v, n);
		for (uint32_t j = 0; j < n; j++)
			vs_put_sv(&k->v, int_at(p, type, j));
		return 0;
	case BCF_BT_FLOAT:
		vs_put_uv(&k->v, VT_REAL);
		vs_put_uv(&k->v, n);
		gdb_buf_add(&k->f, p, 4 * (size_t)n);
		return 0;
	case BCF_BT_CHAR:
		vs_put_uv(&k->v, VT_STR);
		vs_put_uv(&k->v, n);
		gdb_buf_add(&k->v, p, n);
		return 0;
	default:
		return GDB_EFORMAT;
	}
}

static int enc_info(vs_builder *b, const bcf_hdr_t *h, bcf1_t *rec)
{
	uint32_t n = 0, key;

	for (uint32_t i = 0; i < rec->n_info; i++)
		n += rec->d.info[i].vptr != NULL;
	vs_put_uv(&b->s_ik, n);
	for (uint32_t i = 0; i < rec->n_info; i++) {
		bcf_info_t *inf = &rec->d.info[i];
		struct kstream *k;
		uint32_t len = (uint32_t)inf->len;
		if (!inf->vptr)
			continue;
		GDB_TRY(key_of(b, h, VKEY_INFO, inf->key, &key));
		vs_put_uv(&b->s_ik, key);
		if (!(k = kstream_of(b, VK_INFO, key)))
			return -ENOMEM;
		if (inf->type == BCF_BT_CHAR)
			len = (uint32_t)strnlen((const char *)inf->vptr, len);
		GDB_TRY(enc_value(k, inf->type, inf->vptr, len));
		b->raw += (size_t)inf->vptr_len + 4;
	}
	return 0;
}

static int enc_format(vs_builder *b, const bcf_hdr_t *h, bcf1_t *rec, int gt_id)
{
	uint32_t n = 0, key, ns = bcf_hdr_nsamples(h);

	for (uint32_t i = 0; i < rec->n_fmt; i++)
		n += rec->d.fmt[i].p != NULL;
	vs_put_uv(&b->s_fk, n);
	for (uint32_t i = 0; i < rec->n_fmt; i++) {
		bcf_fmt_t *f = &rec->d.fmt[i];
		struct kstream *k;
		if (!f->p)
			continue;
		GDB_TRY(key_of(b, h, VKEY_FORMAT, f->id, &key));
		vs_put_uv(&b->s_fk, key);
		if (f->id == gt_id && f->type != BCF_BT_FLOAT &&
		    f->type != BCF_BT_CHAR)
			continue; /* the genotype streams hold it */
		if (!(k = kstream_of(b, VK_FMT, key)))
			return -ENOMEM;
		if (f->type == BCF_BT_NULL)
			return GDB_EFORMAT;
		/* the count is over all samples: a multiple of ns */
		GDB_TRY(enc_value(k, f->type, f->p, (uint32_t)f->n * ns));
		b->raw += (size_t)f->p_len + 4;
	}
	return 0;
}

static inline int gt_nonref(int32_t v)
{
	return v != bcf_int32_vector_end && v != bcf_int32_missing &&
	       (v >> 1) >= 2;
}

/* The value a slot has when it is not an exception (FORMAT.md). */
static inline int32_t gt_implied(uint8_t site, int slot, int bit)
{
	int32_t v;

	if (slot == 1 && (site & 3) == GT_HAPLOID)
		return bcf_int32_vector_end;
	v = bit ? 4 : ((site & GT_ZMISS) ? 0 : 2);
	return v | (slot == 1 && (site & GT_PHASED));
}

/* The site byte: class and the defaults that leave fewest exceptions. */
static uint8_t gt_site(const int32_t *gt, uint32_t ns, int P)
{
	uint64_t ph = 0, unph = 0, miss = 0, ref = 0;
	uint8_t site = P == 1 ? GT_HAPLOID : GT_DIPLOID;

	for (uint32_t s = 0; s < ns; s++)
		for (int k = 0; k < P; k++) {
			int32_t v = gt[s * P + k];
			if (v == bcf_int32_vector_end ||
			    v == bcf_int32_missing || gt_nonref(v))
				continue;
			if ((v >> 1) == 0)
				miss++;
			else
				ref++;
			if (k == 1)
				(v & 1) ? ph++ : unph++;
		}
	if (P == 2) {
		for (uint32_t s = 0; s < ns; s++) {
			int32_t v = gt[s * 2 + 1];
			if (gt_nonref(v))
				(v & 1) ? ph++ : unph++;
		}
		if (ph > unph)
			site |= GT_PHASED;
	}
	if (miss > ref)
		site |= GT_ZMISS;
	return site;
}

static int enc_gt(vs_builder *b, const int32_t *gt, int ngt)
{
	uint32_t ns = b->nsamples;
	int P = ns ? ngt / (int)ns : 0;
	uint8_t site;

	if (!gt || ngt <= 0 || !ns) {
		gdb_buf_add(&b->s_gts, "\0", 1);
		return 0;
	}
	if (P < 1 || P > 2 || (uint32_t)P * ns != (uint32_t)ngt)
		return GDB_EFORMAT;
	site = gt_site(gt, ns, P);
	gdb_buf_add(&b->s_gts, &site, 1);
	for (uint32_t s = 0; s < ns; s++) {
		b->bits[2 * s] = (uint8_t)gt_nonref(gt[s * P]);
		b->bits[2 * s + 1] = P == 2 && gt_nonref(gt[s * 2 + 1]);
	}
	for (uint32_t g = 0; g < b->ngroups; g++) {
		uint32_t off = g * b->group, n = vs_group_size(ns, b->group, g);
		uint32_t nexc = 0, prev = 0;
		vs_pbwt_encode(&b->pbwt[g], b->bits + 2 * off, &b->g_runs[g]);
		for (uint32_t h = 0; h < 2 * n; h++) {
			uint32_t s = off + h / 2;
			int k = h & 1;
			int32_t v =
			    k < P ? gt[s * P + k] : bcf_int32_vector_end;
			nexc += v != gt_implied(site, k, b->bits[2 * off + h]);
		}
		vs_put_uv(&b->g_exc[g], nexc);
		for (uint32_t h = 0; h < 2 * n && nexc; h++) {
			uint32_t s = off + h / 2;
			int k = h & 1;
			int32_t v =
			    k < P ? gt[s * P + k] : bcf_int32_vector_end;
			if (v == gt_implied(site, k, b->bits[2 * off + h]))
				continue;
			vs_put_uv(&b->g_exc[g], h - prev);
			vs_put_sv(&b->g_exc[g], v);
			prev = h;
		}
		b->exceptions += nexc;
	}
	b->raw += (size_t)ngt / 4 + 1;
	return 0;
}

int vs_builder_add(vs_builder *b, const bcf_hdr_t *h, bcf1_t *rec,
		   int ref_is_reference, const int32_t *gt, int ngt, char *err,
		   size_t errlen)
{
	int64_t prev = b->cn ? b->last : rec->pos;
	uint32_t key, qbits;
	uint8_t q[4];
	int rc;

	if (rec->n_allele < 1 || rec->n_allele > VS_MAX_ALLELES) {
		gdb_seterr(err, errlen, "%u alleles (GenomeDB keeps 1 to %u)",
			   rec->n_allele, VS_MAX_ALLELES);
		return GDB_EFORMAT;
	}
	if (!b->cn)
		b->first = rec->pos;
	vs_put_uv(&b->s_pos, (uint64_t)(rec->pos - prev));
	vs_put_sv(&b->s_pos, rec->rlen - (int64_t)strlen(rec->d.allele[0]));
	b->last = rec->pos;
	enc_alleles(b, rec, ref_is_reference);
	enc_id(b, rec->d.id);
	memcpy(&qbits, &rec->qual, 4);
	gdb_put_le32(q, qbits);
	gdb_buf_add(&b->s_qual, q, 4);
	vs_put_uv(&b->s_flt, (uint64_t)rec->d.n_flt);
	for (int i = 0; i < rec->d.n_flt; i++) {
		GDB_TRY(key_of(b, h, VKEY_FILTER, rec->d.flt[i], &key));
		vs_put_uv(&b->s_flt, key);
	}
	GDB_TRY(enc_info(b, h, rec));
	rc = enc_format(b, h, rec, bcf_hdr_id2int(h, BCF_DT_ID, "GT"));
	if (rc == GDB_EFORMAT)
		gdb_seterr(err, errlen, "a FORMAT field has no values");
	GDB_TRY(rc);
	rc = enc_gt(b, gt, ngt);
	if (rc == GDB_EFORMAT)
		gdb_seterr(err, errlen,
			   "ploidy %d (GenomeDB keeps haploid and diploid "
			   "calls)",
			   b->nsamples ? ngt / (int)b->nsamples : 0);
	GDB_TRY(rc);
	b->raw += 64;
	if (++b->cn >= VS_CHUNK_SITES || b->raw >= VS_CHUNK_RAW)
		GDB_TRY(flush_chunk(b));
	return 0;
}

static int put_section(vs_builder *b, const char *name, const void *p, size_t n)
{
	GDB_TRY(gdb_txn_section_begin(b->t, name));
	GDB_TRY(gdb_txn_section_write(b->t, p, n));
	GDB_TRY(gdb_txn_section_end(b->t));
	b->stored += n;
	return 0;
}

int vs_builder_finish(vs_builder *b, const bcf_hdr_t *h, const char *ref,
		      const char *samples_tsv, size_t tsv_len)
{
	uint8_t meta[VS_META_BYTES] = {0};
	kstring_t ks = {0, 0, NULL};
	size_t cap;
	void *z;
	int rc;

	GDB_TRY(flush_chunk(b));
	end_contig(b);
	if (b->keys.err || b->contigs.err || b->chunks.err)
		return -ENOMEM;
	memcpy(meta, VS_META_MAGIC, 8);
	gdb_put_le32(meta + 8, VS_VERSION);
	gdb_put_le32(meta + 16, b->nsamples);
	gdb_put_le32(meta + 20, b->ncontigs);
	gdb_put_le32(meta + 24, b->nchunks);
	gdb_put_le32(meta + 28, b->nkeys);
	gdb_put_le64(meta + 32, b->nsites);
	gdb_put_le32(meta + 40, b->group);
	GDB_TRY(put_section(b, "vcf.meta", meta, sizeof(meta)));
	GDB_TRY(put_section(b, "vcf.reference", ref, strlen(ref)));
	GDB_TRY(put_section(b, "vcf.samples", samples_tsv, tsv_len));
	GDB_TRY(put_section(b, "vcf.keys", b->keys.p, b->keys.len));
	GDB_TRY(put_section(b, "vcf.contigs", b->contigs.p, b->contigs.len));
	GDB_TRY(put_section(b, "vcf.chunks", b->chunks.p, b->chunks.len));
	if (bcf_hdr_format(h, 0, &ks) < 0) {
		free(ks.s);
		return -ENOMEM;
	}
	cap = ZSTD_compressBound(ks.l);
	z = malloc(cap);
	if (!z) {
		free(ks.s);
		return -ENOMEM;
	}
	cap = ZSTD_compressCCtx(b->zc, z, cap, ks.s, ks.l, b->level);
	rc = ZSTD_isError(cap) ? -EIO : put_section(b, "vcf.header", z, cap);
	free(z);
	free(ks.s);
	return rc;
}

uint64_t vs_builder_chunks(const vs_builder *b)
{
	return b->nchunks;
}

uint64_t vs_builder_stored(const vs_builder *b)
{
	return b->stored;
}

uint64_t vs_builder_exceptions(const vs_builder *b)
{
	return b->exceptions;
}

int vs_zstd_decompress(const uint8_t *src, size_t n, uint8_t **out,
		       size_t raw_len)
{
	uint8_t *dst = malloc(raw_len ? raw_len : 1);
	unsigned long long want = ZSTD_getFrameContentSize(src, n);
	size_t got;

	if (!dst)
		return -ENOMEM;
	if (want != raw_len) {
		free(dst);
		return GDB_ECORRUPT;
	}
	got = ZSTD_decompress(dst, raw_len, src, n);
	if (ZSTD_isError(got) || got != raw_len) {
		free(dst);
		return GDB_ECORRUPT;
	}
	*out = dst;
	return 0;
}
