/*
 * variants/cursor.c - walk one chunk site by site: its section is
 * checked (CRC32C by the store, then every stream's bounds here), the
 * streams it needs are decompressed on first use, and each call decodes
 * the next site's fields and, for the sample groups asked for, its
 * genotypes as bit planes (the shape the simd/genotype.h kernels count).
 * Layout: docs/FORMAT.md, "Chunk".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "variants/variants_int.h"

#define REF_WINDOW ((int64_t)1 << 17)

static int bad(vs_cursor *c)
{
	char what[96];

	snprintf(what, sizeof(what), "variant set %s chunk %u", c->v->name,
		 c->chunk);
	c->err = GDB_CORRUPT(what);
	return c->err;
}

int vs_stream_load(vs_stream *s)
{
	if (s->raw || s->codec == 0) {
		if (!s->rd.p && !s->rd.end) {
			s->rd.p = s->raw ? s->raw : s->stored;
			s->rd.end = s->rd.p + s->raw_len;
		}
		return 0;
	}
	GDB_TRY(
	    vs_zstd_decompress(s->stored, s->stored_len, &s->raw, s->raw_len));
	s->rd.p = s->raw;
	s->rd.end = s->raw + s->raw_len;
	return 0;
}

/* The slot of a value stream kind in the cursor's index, or -1. */
static int value_slot(uint8_t kind)
{
	switch (kind) {
	case VK_INFO:
		return 0;
	case VK_INFO_F:
		return 1;
	case VK_FMT:
		return 2;
	case VK_FMT_F:
		return 3;
	}
	return -1;
}

vs_stream *vs_cursor_stream(vs_cursor *c, uint8_t kind, uint32_t key)
{
	int k = value_slot(kind), rc;
	vs_stream *s = NULL;

	if (k >= 0 && key < c->v->nkeys && c->by_key) {
		s = c->by_key[(size_t)k * c->v->nkeys + key];
	} else {
		for (uint32_t i = 0; i < c->nst && !s; i++)
			if (c->st[i].kind == kind && c->st[i].key == key)
				s = &c->st[i];
	}
	if (!s)
		return NULL;
	rc = vs_stream_load(s);
	c->oom |= rc == -ENOMEM;
	return rc < 0 ? NULL : s;
}

/* The value streams by kind and key (the first of each, as a search
 * from the start finds it). */
static int index_values(vs_cursor *c)
{
	uint32_t nk = c->v->nkeys;

	c->by_key = calloc(4 * (size_t)nk + 1, sizeof(vs_stream *));
	if (!c->by_key)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->nst; i++) {
		int k = value_slot(c->st[i].kind);
		vs_stream **e;

		if (k < 0 || c->st[i].key >= nk)
			continue; /* not a value stream (no slot to point at) */
		e = &c->by_key[(size_t)k * nk + c->st[i].key];
		if (!*e)
			*e = &c->st[i];
	}
	return 0;
}

static int parse_dir(vs_cursor *c, const uint8_t *p, uint64_t n)
{
	uint64_t at;

	if (n < 8)
		return bad(c);
	c->nsites = gdb_get_le32(p);
	c->nst = gdb_get_le32(p + 4);
	if (c->nsites != c->v->chunks[c->chunk].nsites ||
	    c->nst > 4096 + 2 * c->v->nkeys ||
	    (uint64_t)c->nst * VS_STREAM_ENTRY > n - 8)
		return bad(c);
	c->st = calloc(c->nst + 1, sizeof(vs_stream));
	if (!c->st)
		return -ENOMEM;
	at = 8 + (uint64_t)c->nst * VS_STREAM_ENTRY;
	for (uint32_t i = 0; i < c->nst; i++) {
		const uint8_t *e = p + 8 + (size_t)i * VS_STREAM_ENTRY;
		vs_stream *s = &c->st[i];
		s->kind = e[0];
		s->codec = e[1];
		s->group = gdb_get_le16(e + 2);
		s->key = gdb_get_le32(e + 4);
		s->stored_len = gdb_get_le32(e + 8);
		s->raw_len = gdb_get_le32(e + 12);
		if (s->codec > 1 || s->stored_len > n - at ||
		    (s->codec == 0 && s->raw_len != s->stored_len) ||
		    s->raw_len > (1u << 30) || s->kind < VK_POS ||
		    s->kind > VK_GT_EXC)
			return bad(c);
		s->stored = p + at;
		at += s->stored_len;
	}
	return at == n ? index_values(c) : bad(c);
}

static vs_stream *find(vs_cursor *c, uint8_t kind, uint16_t group)
{
	for (uint32_t i = 0; i < c->nst; i++)
		if (c->st[i].kind == kind && c->st[i].group == group)
			return &c->st[i];
	return NULL;
}

static int open_genotypes(vs_cursor *c, const int *want)
{
	const gdb_vset *v = c->v;

	c->ngroups = v->nsamples ? (v->nsamples + v->group - 1) / v->group : 0;
	c->words = (v->nsamples + 63) / 64 + 1;
	c->want_group = calloc(c->ngroups + 1, sizeof(int));
	c->g_runs = calloc(c->ngroups + 1, sizeof(vs_stream *));
	c->g_exc = calloc(c->ngroups + 1, sizeof(vs_stream *));
	c->pbwt = calloc(c->ngroups + 1, sizeof(vs_pbwt));
	c->pa = calloc(6 * (size_t)c->words, sizeof(uint64_t));
	if (!c->want_group || !c->g_runs || !c->g_exc || !c->pbwt || !c->pa)
		return -ENOMEM;
	c->pb = c->pa + c->words;
	c->qa = c->pb + c->words;
	c->qb = c->qa + c->words;
	c->pm = c->qb + c->words;
	c->wmask = c->pm + c->words;
	for (uint32_t g = 0; g < c->ngroups; g++) {
		uint32_t off = g * v->group, n = v->nsamples - off;
		if (!want || !want[g])
			continue;
		n = n < v->group ? n : v->group;
		c->want_group[g] = 1;
		c->g_runs[g] = find(c, VK_GT_RUNS, (uint16_t)g);
		c->g_exc[g] = find(c, VK_GT_EXC, (uint16_t)g);
		if (!c->g_runs[g] || !c->g_exc[g])
			return bad(c);
		GDB_TRY(vs_stream_load(c->g_runs[g]));
		GDB_TRY(vs_stream_load(c->g_exc[g]));
		GDB_TRY(vs_pbwt_init(&c->pbwt[g], n));
		for (uint32_t s = off; s < off + n; s++)
			c->wmask[s >> 6] |= (uint64_t)1 << (s & 63);
	}
	return 0;
}

int vs_cursor_open(vs_cursor *c, const gdb_vset *v, uint32_t chunk,
		   const int *want_group)
{
	const char *name;
	const void *d;
	uint64_t n;
	char want[32];
	int rc;

	memset(c, 0, sizeof(*c));
	c->v = v;
	c->chunk = chunk;
	rc = gdb_store_section_at(v->store, (uint32_t)v->obj,
				  v->chunks[chunk].section, &name, &d, &n);
	if (rc < 0)
		return c->err = rc;
	snprintf(want, sizeof(want), "c.%u", chunk);
	if (strcmp(name, want))
		return bad(c);
	return vs_cursor_open_mem(c, v, chunk, d, n, want_group);
}

int vs_cursor_open_mem(vs_cursor *c, const gdb_vset *v, uint32_t chunk,
		       const void *d, uint64_t n, const int *want_group)
{
	memset(c, 0, sizeof(*c));
	c->v = v;
	c->chunk = chunk;
	c->ref_beg = c->ref_end = -1;
	GDB_TRY(parse_dir(c, d, n));
	vs_stream **need[] = {&c->s_pos, &c->s_all, &c->s_id, &c->s_qual,
			      &c->s_flt, &c->s_ik,  &c->s_fk, &c->s_gts};
	const uint8_t kinds[] = {VK_POS,      VK_ALLELES, VK_ID,
				 VK_QUAL,     VK_FILTER,  VK_INFO_KEYS,
				 VK_FMT_KEYS, VK_GT_SITE};
	for (int i = 0; i < 8; i++) {
		*need[i] = find(c, kinds[i], 0);
		if (!*need[i])
			return bad(c);
		GDB_TRY(vs_stream_load(*need[i]));
	}
	if (c->s_qual->raw_len != 4 * c->nsites ||
	    c->s_gts->raw_len != c->nsites)
		return bad(c);
	return open_genotypes(c, want_group);
}

void vs_cursor_close(vs_cursor *c)
{
	for (uint32_t i = 0; c->st && i < c->nst; i++)
		free(c->st[i].raw);
	for (uint32_t g = 0; c->pbwt && g < c->ngroups; g++)
		vs_pbwt_free(&c->pbwt[g]);
	free(c->st);
	free(c->by_key);
	free(c->want_group);
	free(c->g_runs);
	free(c->g_exc);
	free(c->pbwt);
	free(c->pa);
	free(c->exc_slot);
	free(c->exc_val);
	gdb_buf_free(&c->strs);
	free(c->allele_v);
	free(c->allele_off);
	free(c->keys_v);
	free(c->ref);
	free(c->vals);
	free(c->subv);
	free(c->gtv);
	free(c->kinfo);
	free(c->kstamp);
	memset(c, 0, sizeof(*c));
}

/* Reference bases [pos, pos + n) of the chunk's contig. */
static const char *ref_at(vs_cursor *c, int64_t pos, uint64_t n)
{
	const vs_contig *ct = &c->v->contigs[c->v->chunks[c->chunk].contig];

	if (pos < 0 || n > (uint64_t)ct->length ||
	    pos > ct->length - (int64_t)n)
		return NULL;
	if (pos < c->ref_beg || pos + (int64_t)n > c->ref_end) {
		int64_t end = pos + (int64_t)n + REF_WINDOW;
		end = end < ct->length ? end : ct->length;
		if ((size_t)(end - pos) > c->ref_cap) {
			char *p = realloc(c->ref, (size_t)(end - pos));
			if (!p) {
				c->oom = 1;
				return NULL;
			}
			c->ref = p;
			c->ref_cap = (size_t)(end - pos);
		}
		c->ref_beg = c->ref_end = -1;
		if (vs_ref_bases(c->v, c->v->chunks[c->chunk].contig, pos, end,
				 c->ref) < 0)
			return NULL;
		c->ref_beg = pos;
		c->ref_end = end;
	}
	return c->ref + (pos - c->ref_beg);
}

/* Append a string to strs, NUL-terminated; returns its offset. */
static size_t put_str(vs_cursor *c, const void *p, size_t n)
{
	size_t at = c->strs.len;

	gdb_buf_add(&c->strs, p, n);
	gdb_buf_add(&c->strs, "", 1);
	return at;
}

static int read_alleles(vs_cursor *c, size_t *offs, size_t *reflen)
{
	vs_rd *r = &c->s_all->rd;
	uint64_t na = vs_uv(r), lr;
	uint8_t tag;
	const uint8_t *b;

	if (r->bad || na < 1 || na > VS_MAX_ALLELES)
		return -1;
	c->site.nallele = (uint32_t)na;
	if (!(b = vs_bytes(r, 1)))
		return -1;
	tag = *b;
	lr = vs_uv(r);
	if (r->bad || tag > 1 || lr > (1u << 24))
		return -1;
	if (tag == 0) {
		const char *ref = ref_at(c, c->site.pos, lr);
		if (!ref)
			return -1;
		offs[0] = put_str(c, ref, lr);
	} else {
		if (!(b = vs_bytes(r, lr)))
			return -1;
		offs[0] = put_str(c, b, lr);
	}
	*reflen = lr;
	for (uint32_t j = 1; j < na; j++) {
		uint64_t l;
		if (!(b = vs_bytes(r, 1)))
			return -1;
		tag = *b;
		if (tag >= 1 && tag <= 4) {
			offs[j] = put_str(c, &"ACGT"[tag - 1], 1);
		} else if (tag == 7) {
			offs[j] = put_str(c, "*", 1);
		} else if (tag == 5) {
			l = vs_uv(r);
			if (r->bad || l == 0 || l >= lr)
				return -1;
			offs[j] = put_str(c, c->strs.p + offs[0], l);
		} else if (tag == 6) {
			size_t at;
			l = vs_uv(r);
			if (r->bad || l == 0 || !(b = vs_bytes(r, l)))
				return -1;
			at = c->strs.len;
			gdb_buf_add(&c->strs, c->strs.p + offs[0], lr);
			put_str(c, b, l);
			offs[j] = at;
		} else if (tag == 0) {
			l = vs_uv(r);
			if (r->bad || l > (1u << 24) || !(b = vs_bytes(r, l)))
				return -1;
			offs[j] = put_str(c, b, l);
		} else {
			return -1;
		}
	}
	return c->strs.err ? -1 : 0;
}

static int read_id(vs_cursor *c)
{
	vs_rd *r = &c->s_id->rd;
	const uint8_t *b = vs_bytes(r, 1);
	char tmp[24];
	uint64_t v;

	if (!b)
		return -1;
	if (*b == 0)
		return (int)put_str(c, ".", 1);
	v = vs_uv(r);
	if (r->bad || *b > 2)
		return -1;
	if (*b == 1) { /* "rs" and the number (snprintf was 2% of a region) */
		char *e = tmp + sizeof(tmp), *d = e;
		do {
			*--d = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		*--d = 's';
		*--d = 'r';
		return (int)put_str(c, d, (size_t)(e - d));
	}
	if (v > (1u << 20) || !(b = vs_bytes(r, v)))
		return -1;
	return (int)put_str(c, b, v);
}

/* n key indexes (filters, INFO or FORMAT keys) into keys_v at *at. */
static int read_keys(vs_cursor *c, vs_rd *r, uint32_t kind, uint32_t *n,
		     uint32_t *at)
{
	uint64_t k = vs_uv(r);

	if (r->bad || k > 65536)
		return -1;
	if (*at + k > c->keys_cap) {
		uint32_t cap = (uint32_t)(*at + k) * 2 + 16;
		uint32_t *p = realloc(c->keys_v, sizeof(uint32_t) * cap);
		if (!p) {
			c->oom = 1;
			return -1;
		}
		c->keys_v = p;
		c->keys_cap = cap;
	}
	for (uint64_t i = 0; i < k; i++) {
		uint64_t key = vs_uv(r);
		if (r->bad || key >= c->v->nkeys ||
		    c->v->keys[key].kind != kind)
			return -1;
		c->keys_v[*at + i] = (uint32_t)key;
	}
	*n = (uint32_t)k;
	*at += (uint32_t)k;
	return 0;
}

static int read_site(vs_cursor *c)
{
	vs_site *s = &c->site;
	uint64_t d = vs_uv(&c->s_pos->rd);
	int64_t dl = vs_sv(&c->s_pos->rd);
	size_t *offs, reflen = 0;
	uint32_t i = c->next, m = c->nsites, at = 0, fo, io, ko;
	const uint8_t *q = c->s_qual->rd.p; /* byte planes, read in place */
	int id;

	if (c->s_pos->rd.bad || d > (uint64_t)INT64_MAX / 2)
		return -1;
	s->pos = (i == 0 ? c->v->chunks[c->chunk].first : s->pos) + (int64_t)d;
	if (s->pos > c->v->chunks[c->chunk].last || (i == 0 && d))
		return -1;
	c->strs.len = 0;
	if (c->allele_v == NULL &&
	    (!(c->allele_v = malloc(sizeof(char *) * VS_MAX_ALLELES)) ||
	     !(c->allele_off = malloc(sizeof(size_t) * VS_MAX_ALLELES)))) {
		c->oom = 1;
		return -1;
	}
	offs = c->allele_off;
	if (read_alleles(c, offs, &reflen) < 0 || (id = read_id(c)) < 0)
		return -1;
	for (uint32_t j = 0; j < s->nallele; j++)
		c->allele_v[j] = c->strs.p + offs[j];
	s->allele = c->allele_v;
	s->id = c->strs.p + id;
	s->rlen = (int64_t)reflen + dl;
	s->qual = (uint32_t)q[i] | (uint32_t)q[m + i] << 8 |
		  (uint32_t)q[2 * m + i] << 16 | (uint32_t)q[3 * m + i] << 24;
	fo = at;
	if (read_keys(c, &c->s_flt->rd, VKEY_FILTER, &s->nflt, &at) < 0)
		return -1;
	io = at;
	if (read_keys(c, &c->s_ik->rd, VKEY_INFO, &s->ninfo, &at) < 0)
		return -1;
	ko = at;
	if (read_keys(c, &c->s_fk->rd, VKEY_FORMAT, &s->nfmt, &at) < 0)
		return -1;
	s->flt = c->keys_v + fo;
	s->info = c->keys_v + io;
	s->fmt = c->keys_v + ko;
	s->gt = c->s_gts->rd.p[i];
	return (s->gt & 3) == 3 || (s->gt & ~15) ? -1 : 0;
}

/* ---- genotypes ---- */

static inline int gt_called(int32_t v)
{
	return v != bcf_int32_vector_end && v != bcf_int32_missing &&
	       (v >> 1) != 0;
}

static inline int32_t implied(uint8_t site, int slot, int bit)
{
	int32_t v;

	if (slot == 1 && (site & 3) == GT_HAPLOID)
		return bcf_int32_vector_end;
	v = bit ? 4 : ((site & GT_ZMISS) ? 0 : 2);
	return v | (slot == 1 && (site & GT_PHASED));
}

static inline int getbit(const uint64_t *w, uint32_t i)
{
	return (int)(w[i >> 6] >> (i & 63)) & 1;
}

static inline void putbit(uint64_t *w, uint32_t i, int b)
{
	uint64_t m = (uint64_t)1 << (i & 63);

	w[i >> 6] = b ? (w[i >> 6] | m) : (w[i >> 6] & ~m);
}

static int add_exc(vs_cursor *c, uint32_t slot, int32_t v)
{
	if (c->nexc == c->exc_cap) {
		uint32_t n = c->exc_cap ? 2 * c->exc_cap : 64;
		uint32_t *s = realloc(c->exc_slot, sizeof(uint32_t) * n);
		if (!s) {
			c->oom = 1;
			return -1;
		}
		c->exc_slot = s;
		int32_t *w = realloc(c->exc_val, sizeof(int32_t) * n);
		if (!w) {
			c->oom = 1;
			return -1;
		}
		c->exc_val = w;
		c->exc_cap = n;
	}
	c->exc_slot[c->nexc] = slot;
	c->exc_val[c->nexc++] = v;
	return 0;
}

/* One group's exceptions: checked against the planes, q bits fixed. */
static int read_exc(vs_cursor *c, uint32_t g)
{
	vs_rd *r = &c->g_exc[g]->rd;
	uint32_t off = g * c->v->group, H = c->pbwt[g].H;
	uint64_t n = vs_uv(r), slot = 0;
	uint8_t site = c->site.gt;

	if (r->bad || n > H)
		return -1;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t d = vs_uv(r);
		int64_t v = vs_sv(r);
		uint32_t gs;
		int k, bit;
		if (r->bad || d > H || slot + d >= H || (i && !d) ||
		    v < INT32_MIN || v > INT32_MAX)
			return -1;
		slot += d;
		k = (int)(slot & 1);
		gs = off + (uint32_t)(slot >> 1);
		bit = getbit(k ? c->pb : c->pa, gs);
		/* an exception differs from its implied value, and agrees
		 * with the plane on being non-reference */
		if ((int32_t)v == implied(site, k, bit) ||
		    (v != bcf_int32_vector_end && v != bcf_int32_missing &&
		     ((int32_t)v >> 1) >= 2) != bit)
			return -1;
		putbit(k ? c->qb : c->qa, gs, gt_called((int32_t)v));
		if (add_exc(c, 2 * gs + (uint32_t)k, (int32_t)v) < 0)
			return -1;
	}
	return 0;
}

/* The missing plane of samples that have exceptions. */
static void fix_missing(vs_cursor *c)
{
	uint8_t site = c->site.gt;

	for (uint32_t i = 0; i < c->nexc;) {
		uint32_t s = c->exc_slot[i] >> 1;
		int32_t v[2] = {implied(site, 0, getbit(c->pa, s)),
				implied(site, 1, getbit(c->pb, s))};
		int miss;
		for (; i < c->nexc && (c->exc_slot[i] >> 1) == s; i++)
			v[c->exc_slot[i] & 1] = c->exc_val[i];
		miss = !gt_called(v[0]) ||
		       (v[1] != bcf_int32_vector_end && !gt_called(v[1]));
		putbit(c->pm, s, miss);
	}
}

static int read_genotypes(vs_cursor *c)
{
	uint8_t site = c->site.gt, cls = site & 3;
	uint32_t W = c->words;

	c->nexc = 0;
	memset(c->pa, 0, sizeof(uint64_t) * 5 * W);
	if (cls == GT_NONE)
		return 0;
	for (uint32_t g = 0; g < c->ngroups; g++)
		if (c->want_group[g] &&
		    vs_pbwt_decode(&c->pbwt[g], &c->g_runs[g]->rd, c->pa, c->pb,
				   g * c->v->group) < 0)
			return -1;
	for (uint32_t w = 0; w < W; w++) {
		uint64_t m = c->wmask[w];
		if (cls == GT_HAPLOID)
			c->pb[w] = 0; /* decoded as 0 anyway */
		c->qa[w] = (site & GT_ZMISS) ? c->pa[w] : m;
		c->qb[w] = cls == GT_HAPLOID   ? 0
			   : (site & GT_ZMISS) ? c->pb[w]
					       : m;
	}
	for (uint32_t g = 0; g < c->ngroups; g++)
		if (c->want_group[g] && read_exc(c, g) < 0)
			return -1;
	for (uint32_t w = 0; w < W; w++)
		c->pm[w] = cls == GT_HAPLOID
			       ? ~c->qa[w] & c->wmask[w]
			       : ~(c->qa[w] & c->qb[w]) & c->wmask[w];
	fix_missing(c);
	return 0;
}

int vs_cursor_next(vs_cursor *c, int genotypes)
{
	if (c->err)
		return c->err;
	if (c->next >= c->nsites) {
		/* every stream read to its end, nothing left over */
		if (!vs_done(&c->s_pos->rd) || !vs_done(&c->s_all->rd) ||
		    !vs_done(&c->s_id->rd) || !vs_done(&c->s_flt->rd) ||
		    !vs_done(&c->s_ik->rd) || !vs_done(&c->s_fk->rd))
			return bad(c);
		for (uint32_t g = 0; g < c->ngroups; g++)
			if (c->want_group[g] && (!vs_done(&c->g_runs[g]->rd) ||
						 !vs_done(&c->g_exc[g]->rd)))
				return bad(c);
		return 0;
	}
	if (read_site(c) < 0 || (c->ngroups && read_genotypes(c) < 0))
		return c->oom || c->strs.err == -ENOMEM ? (c->err = -ENOMEM)
							: bad(c);
	(void)genotypes;
	c->next++;
	return 1;
}

void vs_cursor_gt(const vs_cursor *c, const uint32_t *idx, uint32_t n,
		  const int32_t *inv, int32_t *gt)
{
	uint8_t site = c->site.gt;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t s = idx ? idx[i] : i;
		gt[2 * i] = implied(site, 0, getbit(c->pa, s));
		gt[2 * i + 1] = implied(site, 1, getbit(c->pb, s));
	}
	for (uint32_t e = 0; e < c->nexc; e++) {
		uint32_t s = c->exc_slot[e] >> 1;
		int32_t o = inv ? inv[s] : (int32_t)s;
		if (o >= 0 && (uint32_t)o < n)
			gt[2 * o + (c->exc_slot[e] & 1)] = c->exc_val[e];
	}
}

/* An exception's GT value as bcf_enc_vint writes it in int8, or 1000
 * when it does not fit. */
static inline int32_t narrow(int32_t v)
{
	if (v == bcf_int32_vector_end)
		return bcf_int8_vector_end;
	if (v == bcf_int32_missing)
		return bcf_int8_missing;
	return v < BCF_MIN_BT_INT8 || v > BCF_MAX_BT_INT8 ? 1000 : v;
}

/* Byte 2i of E[x] is bit i of the nibble x: a nibble of a plane spread
 * over 4 samples' first slots (shifted by 8: their second slots). */
static const uint64_t spread4[16] = {
#define S4(x)                                                                  \
	((uint64_t)((x)&1) | (uint64_t)((x) >> 1 & 1) << 16 |                  \
	 (uint64_t)((x) >> 2 & 1) << 32 | (uint64_t)((x) >> 3 & 1) << 48)
    S4(0), S4(1), S4(2),  S4(3),  S4(4),  S4(5),  S4(6),  S4(7),
    S4(8), S4(9), S4(10), S4(11), S4(12), S4(13), S4(14), S4(15),
#undef S4
};

/*
 * Samples [0, n & ~7) of every sample, 8 at a time: the implied values
 * are base + bit * step in each byte (0 <= values <= 5, or vector_end
 * with step 0, so no byte carries into the next); a byte of each plane
 * gives 16 bytes through spread4. Little-endian byte order (the stores).
 */
static uint32_t gt8_all(const vs_cursor *c, const int8_t t0[2],
			const int8_t t1[2], uint32_t n, int8_t *gt)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t base =
	    ((uint64_t)(uint8_t)t0[0] | (uint64_t)(uint8_t)t1[0] << 8) *
	    0x0001000100010001ull;
	uint64_t d0 = (uint64_t)(t0[1] - t0[0]), d1 = (uint64_t)(t1[1] - t1[0]);
	uint32_t s;

	for (s = 0; s + 8 <= n; s += 8) {
		unsigned a = (unsigned)(c->pa[s >> 6] >> (s & 63)) & 0xff;
		unsigned b = (unsigned)(c->pb[s >> 6] >> (s & 63)) & 0xff;
		uint64_t lo =
		    base + spread4[a & 15] * d0 + (spread4[b & 15] * d1 << 8);
		uint64_t hi =
		    base + spread4[a >> 4] * d0 + (spread4[b >> 4] * d1 << 8);
		memcpy(gt + 2 * s, &lo, 8);
		memcpy(gt + 2 * s + 8, &hi, 8);
	}
	return s;
#else
	(void)c, (void)t0, (void)t1, (void)n, (void)gt;
	return 0;
#endif
}

int vs_cursor_gt8(const vs_cursor *c, const uint32_t *idx, uint32_t n,
		  const int32_t *inv, int8_t *gt)
{
	uint8_t site = c->site.gt;
	int8_t z = (site & GT_ZMISS) ? 0 : 2, ph = (site & GT_PHASED) ? 1 : 0;
	int hap = (site & 3) == GT_HAPLOID;
	/* implied values by plane bit, as implied() gives them */
	const int8_t t0[2] = {z, 4},
		     t1[2] = {hap ? bcf_int8_vector_end : (int8_t)(z | ph),
			      hap ? bcf_int8_vector_end : (int8_t)(4 | ph)};
	uint32_t i = 0;

	for (uint32_t e = 0; e < c->nexc; e++)
		if (narrow(c->exc_val[e]) == 1000)
			return 1;
	if (!idx)
		i = gt8_all(c, t0, t1, n, gt);
	for (; i < n; i++) {
		uint32_t s = idx ? idx[i] : i;
		gt[2 * i] = t0[getbit(c->pa, s)];
		gt[2 * i + 1] = t1[getbit(c->pb, s)];
	}
	for (uint32_t e = 0; e < c->nexc; e++) {
		uint32_t s = c->exc_slot[e] >> 1;
		int32_t o = inv ? inv[s] : (int32_t)s;
		if (o >= 0 && (uint32_t)o < n)
			gt[2 * o + (c->exc_slot[e] & 1)] =
			    (int8_t)narrow(c->exc_val[e]);
	}
	return 0;
}
