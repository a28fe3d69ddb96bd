/*
 * variants/read.c - open a variant set: check and load its tables
 * (vcf.meta, vcf.keys, vcf.contigs, vcf.chunks, vcf.samples, vcf.header)
 * from the mapped sections. Chunks are checked when a cursor opens them
 * (cursor.c). Every count and offset is checked against the section
 * sizes before use; anything out of range is GDB_ECORRUPT naming the set.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "common/bigbuf.h"
#include "variants/variants_int.h"

static int corrupt(gdb_vset *v, const char *what, char *err, size_t errlen)
{
	gdb_seterr(err, errlen, "variant set %s: %s is damaged", v->name, what);
	gdb_log(GDB_LOG_ERROR, "variant set %s: %s is damaged", v->name, what);
	return GDB_ECORRUPT;
}

static int section(gdb_vset *v, const char *name, const uint8_t **p,
		   uint64_t *n, char *err, size_t errlen)
{
	const void *d;
	int rc = gdb_store_section(v->store, (uint32_t)v->obj, name, &d, n);

	if (rc == -ENOENT)
		return corrupt(v, name, err, errlen);
	if (rc < 0) {
		gdb_seterr(err, errlen, "variant set %s: section %s: %s",
			   v->name, name, gdb_strerror(rc));
		return rc;
	}
	*p = d;
	return 0;
}

static char *dupn(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = 0;
	}
	return s;
}

static int load_meta(gdb_vset *v, char *err, size_t errlen)
{
	const uint8_t *p;
	uint64_t n;

	GDB_TRY(section(v, "vcf.meta", &p, &n, err, errlen));
	if (n != VS_META_BYTES || memcmp(p, VS_META_MAGIC, 8))
		return corrupt(v, "vcf.meta", err, errlen);
	if (gdb_get_le32(p + 8) != VS_VERSION) {
		gdb_seterr(err, errlen, "variant set %s: version %u unknown",
			   v->name, gdb_get_le32(p + 8));
		return GDB_EVERSION;
	}
	v->nsamples = gdb_get_le32(p + 16);
	v->ncontigs = gdb_get_le32(p + 20);
	v->nchunks = gdb_get_le32(p + 24);
	v->nkeys = gdb_get_le32(p + 28);
	v->nsites = gdb_get_le64(p + 32);
	v->group = gdb_get_le32(p + 40);
	if (gdb_get_le32(p + 12) || v->nsamples > (1u << 24) ||
	    (v->nsamples && (v->group == 0 || v->group > 32768)))
		return corrupt(v, "vcf.meta", err, errlen);
	GDB_TRY(section(v, "vcf.reference", &p, &n, err, errlen));
	if (!n || n > GDB_NAME_MAX || memchr(p, 0, n))
		return corrupt(v, "vcf.reference", err, errlen);
	v->reference = dupn(p, n);
	return v->reference ? 0 : -ENOMEM;
}

static int load_keys(gdb_vset *v, char *err, size_t errlen)
{
	const uint8_t *p;
	uint64_t n, at = 0;

	GDB_TRY(section(v, "vcf.keys", &p, &n, err, errlen));
	v->keys = calloc(v->nkeys + 1, sizeof(vs_key));
	if (!v->keys)
		return -ENOMEM;
	for (uint32_t i = 0; i < v->nkeys; i++) {
		uint32_t l;
		if (n - at < 3 || p[at] > VKEY_FORMAT)
			return corrupt(v, "vcf.keys", err, errlen);
		l = gdb_get_le16(p + at + 1);
		if (n - at - 3 < l || !l || memchr(p + at + 3, 0, l))
			return corrupt(v, "vcf.keys", err, errlen);
		v->keys[i].kind = p[at];
		v->keys[i].name = dupn(p + at + 3, l);
		if (!v->keys[i].name)
			return -ENOMEM;
		at += 3 + l;
	}
	return at == n ? 0 : corrupt(v, "vcf.keys", err, errlen);
}

static int load_contigs(gdb_vset *v, char *err, size_t errlen)
{
	const uint8_t *p;
	uint64_t n, at = 0, sites = 0;
	int asmi = gdb_store_assembly_find(v->store, v->reference);

	GDB_TRY(section(v, "vcf.contigs", &p, &n, err, errlen));
	v->contigs = calloc(v->ncontigs + 1, sizeof(vs_contig));
	if (!v->contigs)
		return -ENOMEM;
	for (uint32_t i = 0; i < v->ncontigs; i++) {
		vs_contig *c = &v->contigs[i];
		uint32_t l;
		if (n - at < 2)
			return corrupt(v, "vcf.contigs", err, errlen);
		l = gdb_get_le16(p + at);
		if (!l || n - at - 2 < (uint64_t)l + 16 ||
		    memchr(p + at + 2, 0, l))
			return corrupt(v, "vcf.contigs", err, errlen);
		c->name = dupn(p + at + 2, l);
		if (!c->name)
			return -ENOMEM;
		at += 2 + l;
		c->first_chunk = gdb_get_le32(p + at);
		c->nchunks = gdb_get_le32(p + at + 4);
		c->nsites = gdb_get_le64(p + at + 8);
		at += 16;
		if (c->first_chunk > v->nchunks ||
		    c->nchunks > v->nchunks - c->first_chunk)
			return corrupt(v, "vcf.contigs", err, errlen);
		sites += c->nsites;
		c->ref_contig =
		    asmi < 0 ? -1
			     : gdb_store_contig_find(v->store, (uint32_t)asmi,
						     c->name);
		c->length =
		    c->ref_contig < 0
			? 0
			: gdb_store_contig(v->store, (uint32_t)c->ref_contig)
			      ->length;
	}
	if (at != n || sites != v->nsites)
		return corrupt(v, "vcf.contigs", err, errlen);
	return 0;
}

static int load_chunks(gdb_vset *v, char *err, size_t errlen)
{
	const uint8_t *p;
	uint64_t n, sites = 0;

	GDB_TRY(section(v, "vcf.chunks", &p, &n, err, errlen));
	if (n != (uint64_t)v->nchunks * VS_CHUNK_ENTRY)
		return corrupt(v, "vcf.chunks", err, errlen);
	v->chunks = calloc(v->nchunks + 1, sizeof(vs_chunk));
	if (!v->chunks)
		return -ENOMEM;
	for (uint32_t i = 0; i < v->nchunks; i++) {
		const uint8_t *e = p + (size_t)i * VS_CHUNK_ENTRY;
		vs_chunk *c = &v->chunks[i];
		c->contig = gdb_get_le32(e);
		c->nsites = gdb_get_le32(e + 4);
		c->first = (int64_t)gdb_get_le64(e + 8);
		c->last = (int64_t)gdb_get_le64(e + 16);
		c->section = gdb_get_le32(e + 24);
		if (c->contig >= v->ncontigs || !c->nsites ||
		    c->nsites > VS_CHUNK_SITES || c->first < 0 ||
		    c->last < c->first || c->section != i ||
		    gdb_get_le32(e + 28) ||
		    i < v->contigs[c->contig].first_chunk ||
		    i >= v->contigs[c->contig].first_chunk +
			     v->contigs[c->contig].nchunks ||
		    (i && v->chunks[i - 1].contig == c->contig &&
		     v->chunks[i - 1].last > c->first))
			return corrupt(v, "vcf.chunks", err, errlen);
		sites += c->nsites;
	}
	return sites == v->nsites ? 0 : corrupt(v, "vcf.chunks", err, errlen);
}

/* Index of name in a growing table of names (added when absent). */
static int intern(char ***tab, uint32_t *n, const char *name, uint32_t *out)
{
	for (uint32_t i = 0; i < *n; i++)
		if (!strcmp((*tab)[i], name)) {
			*out = i;
			return 0;
		}
	char **t = realloc(*tab, sizeof(char *) * (*n + 1));
	if (!t)
		return -ENOMEM;
	*tab = t;
	if (!(t[*n] = strdup(name)))
		return -ENOMEM;
	*out = (*n)++;
	return 0;
}

static int load_samples(gdb_vset *v, char *err, size_t errlen)
{
	const uint8_t *p;
	uint64_t n;
	char *line, *next;
	uint32_t i = 0, u;

	GDB_TRY(section(v, "vcf.samples", &p, &n, err, errlen));
	v->samples_tsv = dupn(p, n);
	v->samples_tsv_len = n;
	v->samples = calloc(v->nsamples + 1, sizeof(char *));
	v->pop = calloc(v->nsamples + 1, sizeof(uint32_t));
	v->spop = calloc(v->nsamples + 1, sizeof(uint32_t));
	if (!v->samples_tsv || !v->samples || !v->pop || !v->spop)
		return -ENOMEM;
	GDB_TRY(intern(&v->pops, &v->npops, "unassigned", &u));
	GDB_TRY(intern(&v->spops, &v->nspops, "unassigned", &u));
	line = strchr(v->samples_tsv, '\n');
	if (!line || strncmp(v->samples_tsv, "sample\t", 7))
		return corrupt(v, "vcf.samples", err, errlen);
	for (line++; *line; line = next) {
		char *nl = strchr(line, '\n'), *t1, *t2, tmp[3][1024];
		if (!nl || i >= v->nsamples)
			return corrupt(v, "vcf.samples", err, errlen);
		next = nl + 1;
		t1 = memchr(line, '\t', (size_t)(nl - line));
		t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(nl - t1 - 1)) : NULL;
		if (!t2 || t1 == line ||
		    memchr(t2 + 1, '\t', (size_t)(nl - t2 - 1)))
			return corrupt(v, "vcf.samples", err, errlen);
		v->samples[i] = strndup(line, (size_t)(t1 - line));
		snprintf(tmp[1], sizeof(tmp[1]), "%.*s", (int)(t2 - t1 - 1),
			 t1 + 1);
		snprintf(tmp[2], sizeof(tmp[2]), "%.*s", (int)(nl - t2 - 1),
			 t2 + 1);
		if (!v->samples[i])
			return -ENOMEM;
		GDB_TRY(intern(&v->pops, &v->npops, tmp[1], &v->pop[i]));
		GDB_TRY(intern(&v->spops, &v->nspops, tmp[2], &v->spop[i]));
		v->has_panel |= v->pop[i] != 0;
		i++;
	}
	return i == v->nsamples ? 0 : corrupt(v, "vcf.samples", err, errlen);
}

static int load_header(gdb_vset *v, char *err, size_t errlen)
{
	const uint8_t *p;
	uint64_t n;
	unsigned long long raw;
	uint8_t *txt;
	int rc;

	GDB_TRY(section(v, "vcf.header", &p, &n, err, errlen));
	raw = ZSTD_getFrameContentSize(p, n);
	if (raw == ZSTD_CONTENTSIZE_UNKNOWN || raw == ZSTD_CONTENTSIZE_ERROR ||
	    raw > (256u << 20))
		return corrupt(v, "vcf.header", err, errlen);
	rc = vs_zstd_decompress(p, n, &txt, (size_t)raw);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0)
		return corrupt(v, "vcf.header", err, errlen);
	v->htxt = realloc(txt, raw + 1);
	if (!v->htxt) {
		free(txt);
		return -ENOMEM;
	}
	v->htxt[raw] = 0;
	v->htxt_len = raw;
	if (strlen(v->htxt) != raw)
		return corrupt(v, "vcf.header", err, errlen);
	v->hdr = bcf_hdr_init("r");
	if (!v->hdr)
		return -ENOMEM;
	{
		char *copy = strdup(v->htxt);
		if (!copy)
			return -ENOMEM;
		rc = bcf_hdr_parse(v->hdr, copy);
		free(copy);
		if (rc < 0 || (uint32_t)bcf_hdr_nsamples(v->hdr) != v->nsamples)
			return corrupt(v, "vcf.header", err, errlen);
	}
	for (uint32_t i = 0; i < v->nsamples; i++)
		if (strcmp(v->hdr->samples[i], v->samples[i]))
			return corrupt(v, "vcf.samples", err, errlen);
	v->hdr0 = bcf_hdr_subset(v->hdr, 0, NULL, NULL);
	if (!v->hdr0)
		return -ENOMEM;
	for (uint32_t i = 0; i < v->nkeys; i++) {
		v->keys[i].hdr_id =
		    bcf_hdr_id2int(v->hdr, BCF_DT_ID, v->keys[i].name);
		if (v->keys[i].hdr_id < 0)
			return corrupt(v, "vcf.keys", err, errlen);
	}
	for (uint32_t i = 0; i < v->ncontigs; i++) {
		v->contigs[i].hdr_rid =
		    bcf_hdr_name2id(v->hdr, v->contigs[i].name);
		if (v->contigs[i].hdr_rid < 0)
			return corrupt(v, "vcf.contigs", err, errlen);
	}
	return 0;
}

int gdb_vset_open(const gdb_store *s, gdb_cache *c, const char *name,
		  gdb_vset **out, char *err, size_t errlen)
{
	gdb_vset *v = calloc(1, sizeof(*v));
	char oname[GDB_NAME_MAX + 16];
	int rc;

	if (!v)
		return -ENOMEM;
	v->store = s;
	v->cache = c;
	v->name = strdup(name);
	snprintf(oname, sizeof(oname), GDB_VSET_PREFIX "%s", name);
	v->obj = gdb_store_object_find(s, GDB_OBJECT_SECTIONS, oname);
	if (!v->name) {
		rc = -ENOMEM;
		goto fail;
	}
	if (v->obj < 0) {
		gdb_seterr(err, errlen, "no variant set %s", name);
		rc = -ENOENT;
		goto fail;
	}
	if ((rc = load_meta(v, err, errlen)) < 0 ||
	    (rc = load_keys(v, err, errlen)) < 0 ||
	    (rc = load_contigs(v, err, errlen)) < 0 ||
	    (rc = load_chunks(v, err, errlen)) < 0 ||
	    (rc = load_samples(v, err, errlen)) < 0 ||
	    (rc = load_header(v, err, errlen)) < 0)
		goto fail;
	*out = v;
	return 0;
fail:
	gdb_vset_close(v);
	return rc;
}

void gdb_vset_close(gdb_vset *v)
{
	if (!v)
		return;
	for (uint32_t i = 0; v->keys && i < v->nkeys; i++)
		free((char *)v->keys[i].name);
	for (uint32_t i = 0; v->contigs && i < v->ncontigs; i++)
		free(v->contigs[i].name);
	for (uint32_t i = 0; v->samples && i < v->nsamples; i++)
		free(v->samples[i]);
	for (uint32_t i = 0; i < v->npops; i++)
		free(v->pops[i]);
	for (uint32_t i = 0; i < v->nspops; i++)
		free(v->spops[i]);
	free(v->pops);
	free(v->spops);
	free(v->keys);
	free(v->contigs);
	free(v->chunks);
	free(v->samples);
	free(v->pop);
	free(v->spop);
	free(v->samples_tsv);
	free(v->htxt);
	free(v->name);
	free(v->reference);
	if (v->hdr)
		bcf_hdr_destroy(v->hdr);
	if (v->hdr0)
		bcf_hdr_destroy(v->hdr0);
	free(v);
}

static int is_set(const gdb_object *o)
{
	return o->kind == GDB_OBJECT_SECTIONS &&
	       !strncmp(o->name, GDB_VSET_PREFIX, strlen(GDB_VSET_PREFIX));
}

uint32_t gdb_vset_count(const gdb_store *s)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < gdb_store_nobjects(s); i++)
		n += is_set(gdb_store_object(s, i));
	return n;
}

const char *gdb_vset_name(const gdb_store *s, uint32_t k)
{
	for (uint32_t i = 0; i < gdb_store_nobjects(s); i++) {
		const gdb_object *o = gdb_store_object(s, i);
		if (is_set(o) && k-- == 0)
			return o->name + strlen(GDB_VSET_PREFIX);
	}
	return NULL;
}

uint32_t gdb_vset_nsamples(const gdb_vset *v)
{
	return v->nsamples;
}

const char *gdb_vset_sample(const gdb_vset *v, uint32_t i)
{
	return i < v->nsamples ? v->samples[i] : NULL;
}

uint32_t gdb_vset_ncontigs(const gdb_vset *v)
{
	return v->ncontigs;
}

const char *gdb_vset_contig(const gdb_vset *v, uint32_t i, int64_t *length)
{
	if (i >= v->ncontigs)
		return NULL;
	if (length)
		*length = v->contigs[i].length;
	return v->contigs[i].name;
}

int gdb_vset_contig_find(const gdb_vset *v, const char *name)
{
	for (uint32_t i = 0; i < v->ncontigs; i++)
		if (!strcmp(v->contigs[i].name, name))
			return (int)i;
	return -ENOENT;
}

uint64_t gdb_vset_nsites(const gdb_vset *v)
{
	return v->nsites;
}

const char *gdb_vset_reference(const gdb_vset *v)
{
	return v->reference;
}

void vs_chunk_range(const gdb_vset *v, uint32_t contig, int64_t beg,
		    int64_t end, uint32_t *first, uint32_t *n)
{
	const vs_contig *c = &v->contigs[contig];
	uint32_t lo = c->first_chunk, hi = c->first_chunk + c->nchunks, e;

	/* first chunk whose last POS >= beg */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (v->chunks[mid].last < beg)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (e = lo;
	     e < c->first_chunk + c->nchunks && v->chunks[e].first < end; e++)
		;
	*first = lo;
	*n = e - lo;
}

int vs_ref_bases(const gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
		 char *dst)
{
	const vs_contig *c = &v->contigs[contig];

	if (v->ref_mem && beg >= 0 && end <= c->length && beg <= end) {
		memcpy(dst, v->ref_mem + beg, (size_t)(end - beg));
		return 0;
	}
	if (c->ref_contig < 0 || beg < 0 || end > c->length)
		return GDB_ECORRUPT;
	if (v->cache)
		GDB_TRY(gdb_cache_read(v->cache, (uint32_t)c->ref_contig, beg,
				       end, dst));
	else {
		const gdb_contig *ct =
		    gdb_store_contig(v->store, (uint32_t)c->ref_contig);
		char *blk = malloc(ct->block_bases);
		if (!blk)
			return -ENOMEM;
		for (int64_t p = beg; p < end;) {
			uint32_t b = (uint32_t)(p / ct->block_bases);
			int64_t o = p - (int64_t)b * ct->block_bases, k;
			int n = gdb_store_block_decode(v->store,
						       (uint32_t)c->ref_contig,
						       b, blk, ct->block_bases);
			if (n < 0) {
				free(blk);
				return n;
			}
			k = n - o < end - p ? n - o : end - p;
			memcpy(dst + (p - beg), blk + o, (size_t)k);
			p += k;
		}
		free(blk);
	}
	for (int64_t i = 0; i < end - beg; i++)
		if (dst[i] >= 'a' && dst[i] <= 'z')
			dst[i] -= 32;
	return 0;
}

uint64_t vs_chunk_sites(const gdb_vset *v, uint32_t first, uint32_t n)
{
	uint64_t s = 0;

	for (uint32_t i = first; i < first + n; i++)
		s += v->chunks[i].nsites;
	return s;
}

uint64_t vs_range_sites(const gdb_vset *v, uint32_t first, uint32_t n,
			int64_t beg, int64_t end)
{
	double s = 0;

	for (uint32_t i = first; i < first + n; i++) {
		const vs_chunk *c = &v->chunks[i];
		int64_t lo = beg > c->first ? beg : c->first;
		int64_t hi = end < c->last + 1 ? end : c->last + 1;
		if (hi > lo)
			s += (double)c->nsites * (double)(hi - lo) /
			     (double)(c->last + 1 - c->first);
	}
	return (uint64_t)s + (n ? 1 : 0);
}

int vs_reserve(gdb_buf *b, size_t n)
{
	size_t cap;
	void *p;

	if (b->err)
		return b->err;
	if (b->max && n > b->max)
		n = b->max;
	if (b->cap - b->len >= n)
		return 0;
	n += b->len;
	p = gdb_bigbuf_get(n, &cap);
	if (p) {
		if (b->len)
			memcpy(p, b->p, b->len);
		free(b->p);
	} else if ((p = realloc(b->p, n))) {
		cap = n;
	} else {
		return b->err = -ENOMEM;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}
