/*
 * variants/record.c - a decoded site back into an htslib record
 * (bcf1_t), and the VCF/BCF answers htslib writes from those records:
 * region files in memory (.vcf, .vcf.gz, .bcf) and `genomedb export vcf`.
 * Every byte of VCF/BCF output is htslib's (vcf_format, bcf_write).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <htslib/bgzf.h>
#include <htslib/hfile.h>
#include <htslib/kstring.h>

#include "common/bigbuf.h"
#include "common/forkguard.h"
#include "variants/variants_int.h"

static void *grow(void **p, size_t *cap, size_t n)
{
	if (n > *cap) {
		void *q = realloc(*p, n);
		if (!q)
			return NULL;
		*p = q;
		*cap = n;
	}
	return *p;
}

/*
 * One value (type, count, items) of key from its streams into c->vals
 * (int32 / float bits / bytes). @return the type, or -1 if malformed.
 */
static int read_value(vs_cursor *c, uint8_t kind, uint32_t key, uint64_t *n)
{
	vs_stream *s = vs_cursor_stream(c, kind, key), *f = NULL;
	uint64_t t, cnt;

	if (!s)
		return -1;
	t = vs_uv(&s->rd);
	cnt = vs_uv(&s->rd);
	if (s->rd.bad || t > VT_STR || cnt > (1u << 28))
		return -1;
	*n = cnt;
	if (!grow(&c->vals, &c->vals_cap, 4 * cnt + 1)) {
		c->oom = 1;
		return -1;
	}
	if (t == VT_INT) {
		int32_t *v = c->vals;
		for (uint64_t i = 0; i < cnt; i++) {
			int64_t x = vs_sv(&s->rd);
			if (x < INT32_MIN || x > INT32_MAX)
				return -1;
			v[i] = (int32_t)x;
		}
		return s->rd.bad ? -1 : VT_INT;
	}
	if (t == VT_STR) {
		const uint8_t *b = vs_bytes(&s->rd, cnt);
		if (!b)
			return -1;
		memcpy(c->vals, b, cnt);
		((char *)c->vals)[cnt] = 0;
		return VT_STR;
	}
	if (t == VT_REAL) {
		uint64_t m;
		uint8_t *d = c->vals;
		if (!(f = vs_cursor_stream(c, (uint8_t)(kind + 1), key)))
			return -1;
		m = f->raw_len / 4;
		if (f->raw_len % 4 || cnt > m - f->fnext)
			return -1;
		for (uint64_t i = 0; i < cnt; i++, f->fnext++)
			for (int k = 0; k < 4; k++)
				d[4 * i + (uint64_t)k] =
				    f->rd.p[(uint64_t)k * m + f->fnext];
		return VT_REAL;
	}
	return cnt ? -1 : VT_FLAG;
}

/* ---- records laid out as BCF (htslib's encoders write every value) ---- */

int vs_enc_head(bcf1_t *rec, const char *id, char *const *allele,
		uint32_t nallele, int32_t *flt, uint32_t nflt)
{
	kstring_t *ks = &rec->shared;
	int e = 0;

	ks->l = 0;
	/* bcf1_sync's order: ID ("." is empty), alleles, FILTER */
	e |= strcmp(id, ".") ? bcf_enc_vchar(ks, (int)strlen(id), id)
			     : bcf_enc_size(ks, 0, BCF_BT_CHAR);
	for (uint32_t i = 0; i < nallele; i++)
		e |= bcf_enc_vchar(ks, (int)strlen(allele[i]), allele[i]);
	e |= bcf_enc_vint(ks, (int)nflt, flt, -1);
	rec->n_allele = nallele;
	rec->n_info = 0;
	rec->unpacked = 0;
	return e ? -ENOMEM : 0;
}

int vs_enc_info(bcf1_t *rec, int id, int type, void *vals, uint32_t n)
{
	kstring_t *ks = &rec->shared;
	int e;

	if (n == 0 && type != VT_FLAG)
		return 0; /* bcf_update_info adds nothing */
	e = bcf_enc_int1(ks, id);
	switch (type) {
	case VT_INT:
		e |= bcf_enc_vint(ks, (int)n, vals, -1);
		break;
	case VT_REAL:
		e |= bcf_enc_vfloat(ks, (int)n, vals);
		break;
	case VT_STR:
		e |= bcf_enc_vchar(ks, (int)strlen(vals), vals);
		break;
	default:
		e |= bcf_enc_size(ks, 0, BCF_BT_NULL);
	}
	rec->n_info++;
	return e ? -ENOMEM : 0;
}

int vs_gt_narrow(const int32_t *g, size_t m, int8_t *d)
{
	int32_t lo = INT32_MAX, hi = INT32_MIN;

	/* bcf_enc_vint's choice of width: missing and vector_end apart */
	for (size_t i = 0; i < m; i++)
		if (g[i] != bcf_int32_missing && g[i] != bcf_int32_vector_end) {
			lo = g[i] < lo ? g[i] : lo;
			hi = g[i] > hi ? g[i] : hi;
		}
	if (hi > BCF_MAX_BT_INT8 || lo < BCF_MIN_BT_INT8)
		return 1;
	for (size_t i = 0; i < m; i++)
		d[i] = g[i] == bcf_int32_vector_end ? bcf_int8_vector_end
		       : g[i] == bcf_int32_missing  ? bcf_int8_missing
						    : (int8_t)g[i];
	return 0;
}

/* The id of FORMAT GT in h, or -1. */
static int gt_id(const bcf_hdr_t *h)
{
	int id = bcf_hdr_id2int(h, BCF_DT_ID, "GT");

	return bcf_hdr_idinfo_exists(h, BCF_HL_FMT, id) ? id : -1;
}

/* vs_put_gt8 with GT's id in the header (-1: none). */
static int put_gt8_id(int id, bcf1_t *rec, const int8_t *g, uint32_t n, int P)
{
	size_t m = (size_t)n * (size_t)P;
	kstring_t *ks = &rec->indiv;

	if (id < 0)
		return -EINVAL;
	if (m < 2 || !rec->shared.l || rec->n_fmt ||
	    (rec->unpacked & BCF_UN_FMT))
		return 1; /* htslib's one-value, API-built, later-field cases */
	ks->l = 0;
	if (bcf_enc_int1(ks, id) < 0 || bcf_enc_size(ks, P, BCF_BT_INT8) < 0 ||
	    ks_resize(ks, ks->l + m + 1) < 0)
		return -ENOMEM;
	memcpy(ks->s + ks->l, g, m);
	ks->l += m;
	rec->n_fmt = 1;
	rec->n_sample = n;
	return 0;
}

int vs_put_gt8(const bcf_hdr_t *h, bcf1_t *rec, const int8_t *g, uint32_t n,
	       int P)
{
	return put_gt8_id(gt_id(h), rec, g, n, P);
}

/*
 * What the records of a cursor need to know of each key for header h,
 * looked up once a chunk (kinfo, kept in the cursor): KI_DIRECT, an
 * INFO key that h declares as INFO under the id the set's header gave
 * it, with its name (the API looks keys up by name), and not END (the
 * API checks it); KI_GT, the key GT. NULL without memory.
 */
#define KI_DIRECT 1
#define KI_GT 2

static const uint8_t *key_info(vs_cursor *c, const bcf_hdr_t *h)
{
	const gdb_vset *v = c->v;

	if (c->kinfo && c->kinfo_h == h)
		return c->kinfo;
	if (!c->kinfo) {
		c->kinfo = calloc(v->nkeys + 1, 1);
		c->kstamp = calloc(v->nkeys + 1, sizeof(uint32_t));
		if (!c->kinfo || !c->kstamp) {
			free(c->kinfo);
			free(c->kstamp);
			c->kinfo = NULL;
			c->kstamp = NULL;
			return NULL;
		}
	}
	for (uint32_t i = 0; i < v->nkeys; i++) {
		const vs_key *k = &v->keys[i];
		c->kinfo[i] = (uint8_t)(!strcmp(k->name, "GT") ? KI_GT : 0);
		if (k->kind == VKEY_INFO &&
		    bcf_hdr_idinfo_exists(h, BCF_HL_INFO, k->hdr_id) &&
		    !strcmp(bcf_hdr_int2id(h, BCF_DT_ID, k->hdr_id), k->name) &&
		    strcmp(k->name, "END"))
			c->kinfo[i] |= KI_DIRECT;
	}
	c->kinfo_h = h;
	c->gt_id = gt_id(h);
	return c->kinfo;
}

static int is_gt(vs_cursor *c, const bcf_hdr_t *h, uint32_t key)
{
	const uint8_t *ki = key_info(c, h);

	return ki ? (ki[key] & KI_GT) != 0
		  : !strcmp(c->v->keys[key].name, "GT");
}

/* Can the site be laid out directly, as the API would build it? Not with
 * an INFO key twice (the API keeps one) or one that is not KI_DIRECT. */
static int direct_ok(vs_cursor *c, const bcf_hdr_t *h)
{
	const vs_site *s = &c->site;
	const uint8_t *ki = key_info(c, h);
	uint32_t stamp = ++c->stamp;

	if (!ki)
		return 0; /* through the API, which needs no memory here */
	if (stamp == 0) { /* wrapped: old stamps could match */
		memset(c->kstamp, 0, sizeof(uint32_t) * c->v->nkeys);
		stamp = c->stamp = 1;
	}
	for (uint32_t i = 0; i < s->ninfo; i++) {
		uint32_t k = s->info[i];
		if (!(ki[k] & KI_DIRECT) || c->kstamp[k] == stamp)
			return 0;
		c->kstamp[k] = stamp;
	}
	return 1;
}

/* ---- records built through htslib's API ---- */

static int put_info(vs_cursor *c, const bcf_hdr_t *h, bcf1_t *rec, int direct)
{
	for (uint32_t i = 0; i < c->site.ninfo; i++) {
		uint32_t key = c->site.info[i];
		uint64_t n;
		int t = read_value(c, VK_INFO, key, &n), rc;
		if (t < 0)
			return c->oom ? -ENOMEM : GDB_ECORRUPT;
		if (!rec)
			continue;
		if (direct) {
			GDB_TRY(vs_enc_info(rec, c->v->keys[key].hdr_id, t,
					    c->vals, (uint32_t)n));
			continue;
		}
		/* a flag is written from NULL values (htslib's rule) */
		rc = bcf_update_info(h, rec, c->v->keys[key].name,
				     t == VT_FLAG ? NULL : c->vals,
				     t == VT_FLAG ? 1 : (int)n,
				     t == VT_FLAG   ? BCF_HT_FLAG
				     : t == VT_INT  ? BCF_HT_INT
				     : t == VT_REAL ? BCF_HT_REAL
						    : BCF_HT_STR);
		if (rc < 0)
			return -EIO;
	}
	return 0;
}

/* GT as int8 laid out directly: 0, or 1 when htslib must write it. */
static int put_gt8(vs_cursor *c, const bcf_hdr_t *h, const vs_subset *sub,
		   bcf1_t *rec)
{
	uint32_t n = sub->n;
	int P = (c->site.gt & 3) == GT_HAPLOID ? 1 : 2, two = 0;
	int8_t *g = (int8_t *)c->gtv;

	if (!rec->shared.l || rec->n_fmt ||
	    vs_cursor_gt8(c, sub->idx, n, sub->inv, g))
		return 1;
	if (P == 1) {
		/* haploid calls unless some sample has a second allele */
		for (uint32_t i = 0; i < n; i++)
			two |= g[2 * i + 1] != bcf_int8_vector_end;
		for (uint32_t i = 0; !two && i < n; i++)
			g[i] = g[2 * i];
		P = two ? 2 : 1;
	}
	return key_info(c, h) ? put_gt8_id(c->gt_id, rec, g, n, P)
			      : vs_put_gt8(h, rec, g, n, P);
}

static int put_gt(vs_cursor *c, const bcf_hdr_t *h, const vs_subset *sub,
		  bcf1_t *rec)
{
	uint32_t n = sub->n;
	int P = (c->site.gt & 3) == GT_HAPLOID ? 1 : 2, rc;
	int32_t *g;

	if (!grow((void **)&c->gtv, &c->gtv_cap, 8 * (size_t)n + 8))
		return -ENOMEM;
	if ((rc = put_gt8(c, h, sub, rec)) != 1)
		return rc;
	g = c->gtv;
	vs_cursor_gt(c, sub->idx, n, sub->inv, g);
	if (P == 1) {
		/* haploid calls unless some sample has a second allele */
		int two = 0;
		for (uint32_t i = 0; i < n; i++)
			two |= g[2 * i + 1] != bcf_int32_vector_end;
		if (!two)
			for (uint32_t i = 0; i < n; i++)
				g[i] = g[2 * i];
		else
			P = 2;
	}
	return bcf_update_genotypes(h, rec, g, (int)n * P) < 0 ? -EIO : 0;
}

/* A FORMAT value over all samples, narrowed to the subset. */
static int put_fmt(vs_cursor *c, const bcf_hdr_t *h, const vs_subset *sub,
		   uint32_t key, bcf1_t *rec)
{
	uint32_t ns = c->v->nsamples;
	uint64_t n, per;
	int t = read_value(c, VK_FMT, key, &n);
	const void *vals = c->vals;

	if (t < 0 && c->oom)
		return -ENOMEM;
	if (t < 0 || t == VT_FLAG || !ns || n % ns)
		return GDB_ECORRUPT;
	if (!rec)
		return 0;
	per = n / ns;
	if (sub->idx) {
		size_t w = t == VT_STR ? 1 : 4;
		uint8_t *d = grow(&c->subv, &c->subv_cap, w * per * sub->n + 1);
		if (!d)
			return -ENOMEM;
		for (uint32_t i = 0; i < sub->n; i++)
			memcpy(d + w * per * i,
			       (const uint8_t *)c->vals + w * per * sub->idx[i],
			       w * per);
		vals = d;
		n = per * sub->n;
	}
	return bcf_update_format(h, rec, c->v->keys[key].name, vals, (int)n,
				 t == VT_INT	? BCF_HT_INT
				 : t == VT_REAL ? BCF_HT_REAL
						: BCF_HT_STR) < 0
		   ? -EIO
		   : 0;
}

/* ID, alleles and FILTER of the site into a cleared rec. */
static int put_head(vs_cursor *c, const bcf_hdr_t *h, bcf1_t *rec, int direct)
{
	const vs_site *s = &c->site;
	int32_t ids[64], *flt = ids;
	int rc = 0;

	if (s->nflt > 64 && !(flt = malloc(sizeof(int32_t) * s->nflt)))
		return -ENOMEM;
	for (uint32_t i = 0; i < s->nflt; i++)
		flt[i] = c->v->keys[s->flt[i]].hdr_id;
	if (direct)
		rc = vs_enc_head(rec, s->id, s->allele, s->nallele, flt,
				 s->nflt);
	else if (bcf_update_id(h, rec, s->id) < 0 ||
		 bcf_update_alleles(h, rec, (const char **)s->allele,
				    (int)s->nallele) < 0 ||
		 (s->nflt && bcf_update_filter(h, rec, flt, (int)s->nflt) < 0))
		rc = -EIO;
	if (flt != ids)
		free(flt);
	return rc;
}

int vs_record(vs_cursor *c, const bcf_hdr_t *h, const vs_subset *sub, int fmt,
	      bcf1_t *rec)
{
	const vs_site *s = &c->site;
	int direct = rec && direct_ok(c, h);

	if (rec) {
		bcf_clear1(rec);
		rec->rid = c->v->contigs[c->v->chunks[c->chunk].contig].hdr_rid;
		rec->pos = s->pos;
		memcpy(&rec->qual, &s->qual, 4);
		rec->n_sample = sub ? sub->n : 0;
		GDB_TRY(put_head(c, h, rec, direct));
	}
	GDB_TRY(put_info(c, h, rec, direct));
	for (uint32_t i = 0; fmt && i < s->nfmt; i++) {
		uint32_t key = s->fmt[i];
		if (is_gt(c, h, key) && (s->gt & 3) != GT_NONE) {
			if (rec && sub && sub->n)
				GDB_TRY(put_gt(c, h, sub, rec));
			continue;
		}
		GDB_TRY(put_fmt(c, h, sub, key, rec));
	}
	if (rec)
		rec->rlen = s->rlen;
	return 0;
}

/* ---- walking a region ---- */

int vs_walk(const gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
	    uint32_t chunk0, uint32_t nchunks, const int *want, vs_site_fn fn,
	    void *arg)
{
	for (uint32_t k = chunk0; k < chunk0 + nchunks; k++) {
		vs_cursor c;
		int rc = vs_cursor_open(&c, v, k, want);
		while (rc >= 0 && (rc = vs_cursor_next(&c, 1)) == 1) {
			if (c.site.pos >= end)
				break;
			rc = fn(arg, &c, c.site.pos >= beg);
		}
		vs_cursor_close(&c);
		if (rc < 0)
			return rc;
	}
	(void)contig;
	return 0;
}

int *vs_want_groups(const gdb_vset *v, const gdb_vsamples *sub)
{
	uint32_t ng = v->nsamples ? (v->nsamples + v->group - 1) / v->group : 0;
	int *w = calloc(ng + 1, sizeof(int));

	if (!w)
		return NULL;
	for (uint32_t g = 0; g < ng; g++)
		w[g] = sub == NULL;
	for (uint32_t i = 0; sub && i < sub->n; i++)
		w[sub->idx[i] / v->group] = 1;
	return w;
}

/* ---- VCF/BCF output ---- */

struct vout {
	const gdb_vset *v;
	const bcf_hdr_t *h;
	vs_subset sub;
	bcf1_t *rec;
	kstring_t ks; /* text output */
	htsFile *fp;  /* or an htslib file */
	size_t max;
	size_t *total; /* text over several threads: their bytes, for max */
	int flush;     /* end a BGZF block after each chunk (region answers) */
	int rc;
};

static int emit_site(void *arg, vs_cursor *c, int in_range)
{
	struct vout *o = arg;

	GDB_TRY(vs_record(c, o->h, &o->sub, 1, in_range ? o->rec : NULL));
	if (!in_range)
		return 0;
	if (o->fp)
		return bcf_write(o->fp, (bcf_hdr_t *)o->h, o->rec) < 0 ? -EIO
								       : 0;
	size_t l0 = o->ks.l;
	if (vcf_format(o->h, o->rec, &o->ks) < 0)
		return -ENOMEM;
	if (o->total) /* stop as soon as the halves together pass max */
		return __atomic_add_fetch(o->total, o->ks.l - l0,
					  __ATOMIC_RELAXED) > o->max
			   ? -EFBIG
			   : 0;
	return o->ks.l > o->max ? -EFBIG : 0;
}

/* The header and subset of an answer; *own set when h must be freed. */
static int out_init(struct vout *o, const gdb_vset *v, const gdb_vsamples *sub)
{
	memset(o, 0, sizeof(*o));
	o->v = v;
	o->h = v->hdr;
	o->sub.n = v->nsamples;
	o->rec = bcf_init();
	if (!o->rec)
		return -ENOMEM;
	if (!sub)
		return 0;
	char **names = malloc(sizeof(char *) * (sub->n + 1));
	int *imap = malloc(sizeof(int) * (sub->n + 1));
	o->sub.inv = malloc(sizeof(int32_t) * (v->nsamples + 1));
	if (!names || !imap || !o->sub.inv) {
		free(names);
		free(imap);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < sub->n; i++)
		names[i] = v->samples[sub->idx[i]];
	for (uint32_t i = 0; i < v->nsamples; i++)
		o->sub.inv[i] = -1;
	for (uint32_t i = 0; i < sub->n; i++)
		o->sub.inv[sub->idx[i]] = (int32_t)i;
	o->h = bcf_hdr_subset(v->hdr, (int)sub->n, names, imap);
	free(names);
	free(imap);
	if (!o->h)
		return -ENOMEM;
	o->sub.idx = sub->idx;
	o->sub.n = sub->n;
	return 0;
}

static void out_free(struct vout *o)
{
	if (o->h && o->h != o->v->hdr)
		bcf_hdr_destroy((bcf_hdr_t *)o->h);
	free(o->sub.inv);
	bcf_destroy(o->rec);
	free(o->ks.s);
}

/* The records of one chunk; a BGZF block ends after them. */
static int walk_chunk(struct vout *o, const int *want, uint32_t contig,
		      int64_t beg, int64_t end, uint32_t k)
{
	int rc = vs_walk(o->v, contig, beg, end, k, 1, want, emit_site, o);

	if (rc == 0 && o->fp && bgzf_flush(o->fp->fp.bgzf) < 0)
		rc = -EIO;
	return rc;
}

static int walk_region(struct vout *o, const gdb_vsamples *sub, uint32_t contig,
		       int64_t beg, int64_t end)
{
	uint32_t first, n;
	int *want = vs_want_groups(o->v, sub);
	int rc = 0;

	if (!want)
		return -ENOMEM;
	vs_chunk_range(o->v, contig, beg, end, &first, &n);
	if (!o->flush)
		rc = vs_walk(o->v, contig, beg, end, first, n, want, emit_site,
			     o);
	/* Region answers end a BGZF block at each chunk, so a chunk's
	 * blocks are the same bytes whether the file is rendered whole or
	 * window by window (stream.c). */
	for (uint32_t k = first; o->flush && k < first + n && rc == 0; k++)
		rc = walk_chunk(o, want, contig, beg, end, k);
	free(want);
	return rc;
}

/* An htslib writer into an anonymous memory file (fd kept to read it). */
static htsFile *mem_open(const char *mode, int *fd)
{
	int d;
	hFILE *hf;
	htsFile *fp;

	*fd = memfd_create("genomedb-vcf", MFD_CLOEXEC);
	if (*fd < 0)
		return NULL;
	d = dup(*fd);
	hf = d < 0 ? NULL : hdopen(d, "w");
	if (!hf) {
		if (d >= 0)
			close(d);
		return NULL;
	}
	fp = hts_hopen(hf, "genomedb", mode);
	if (!fp)
		hclose_abruptly(hf);
	return fp;
}

static int mem_take(int fd, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *p;

	if (fstat(fd, &st) < 0)
		return -errno;
	if ((size_t)st.st_size > max)
		return -EFBIG;
	p = malloc((size_t)st.st_size + 1);
	if (!p)
		return -ENOMEM;
	if (pread(fd, p, (size_t)st.st_size, 0) != st.st_size) {
		free(p);
		return -EIO;
	}
	*out = p;
	*len = (size_t)st.st_size;
	return 0;
}

/* One part of a text answer: chunks [chunk0, chunk0 + n), own record
 * and text, on its own thread. */
struct vpart {
	struct vout o;
	const gdb_vset *v;
	const int *want;
	uint32_t contig, chunk0, n;
	int64_t beg, end;
	int rc;
};

static void *vpart_run(void *arg)
{
	struct vpart *p = arg;

	p->rc = vs_walk(p->v, p->contig, p->beg, p->end, p->chunk0, p->n,
			p->want, emit_site, &p->o);
	return NULL;
}

/* Room for n more bytes in one step. A large answer goes into a buffer
 * of common/bigbuf.h: the pool gives back a dropped answer's memory,
 * already faulted in (fresh pages' zeroing and faults were a fifth of a
 * region answer's CPU here), else a new one in huge pages; no realloc
 * copies as it grows. */
static int ks_reserve(kstring_t *ks, size_t n)
{
	size_t want = ks->l + n, cap;
	void *p;

	if (ks->m >= want)
		return 0;
	p = gdb_bigbuf_get(want, &cap);
	if (!p)
		return ks_resize(ks, want) < 0 ? -ENOMEM : 0;
	if (ks->l)
		memcpy(p, ks->s, ks->l);
	free(ks->s);
	ks->s = p;
	ks->m = cap;
	return 0;
}

/*
 * Text buffers kept from one answer to the next (the second half of a
 * region's text): their pages stay mapped, where a fresh buffer's page
 * faults and zeroing cost a third of a region answer's CPU on this
 * machine. At most SPARES of them, each up to SPARE_MAX. A kept buffer
 * holds the pages of the text it last held and no more (gdb_bigbuf_trim:
 * a buffer sized by an over-estimate gives the rest back); those bytes are
 * counted (gdb_variants_spares, the daemon's stats.json) and the buffers
 * freed on demand (gdb_variants_spares_drain). Their lock is a fork
 * guard's: a fork() waits for a thread inside it, and the child starts
 * with none kept.
 */
#define SPARES 2
#define SPARE_MAX ((size_t)16 << 20)
#define PAGE ((size_t)4096)
static kstring_t spare[SPARES];	  /* under spare_guard.lock */
static size_t spare_held[SPARES]; /* bytes whose pages spare[i] keeps */

/* A forked child keeps none (common/forkguard.h): they are the parent's
 * pages, shared copy-on-write. */
static void spares_forked(gdb_fork_guard *g)
{
	(void)g;
	for (int i = 0; i < SPARES; i++) {
		free(spare[i].s);
		spare[i] = (kstring_t){0, 0, NULL};
		spare_held[i] = 0;
	}
}
static gdb_fork_guard spare_guard = GDB_FORK_GUARD_INIT(spares_forked);

/* A kept buffer (empty), or a new one. */
static kstring_t spare_take(void)
{
	kstring_t ks = {0, 0, NULL};

	gdb_fork_guard_lock(&spare_guard);
	for (int i = 0; i < SPARES && !ks.s; i++)
		if (spare[i].s) {
			ks = spare[i];
			spare[i] = (kstring_t){0, 0, NULL};
			spare_held[i] = 0;
		}
	gdb_fork_guard_unlock(&spare_guard);
	ks.l = 0;
	return ks;
}

/* ks kept for the next answer if there is room, else freed. */
static void spare_give(kstring_t *ks)
{
	/* its text and terminator, to whole pages, at most its size */
	size_t held = (ks->l + PAGE) / PAGE * PAGE;

	gdb_fork_guard_lock(&spare_guard);
	for (int i = 0; i < SPARES && ks->s && ks->m <= SPARE_MAX; i++)
		if (!spare[i].s) {
			gdb_bigbuf_trim(ks->s, ks->l);
			spare[i] = *ks;
			spare_held[i] = held < ks->m ? held : ks->m;
			ks->s = NULL;
		}
	gdb_fork_guard_unlock(&spare_guard);
	free(ks->s);
	*ks = (kstring_t){0, 0, NULL};
}

void gdb_variants_spares(unsigned *n, size_t *bytes)
{
	*n = 0;
	*bytes = 0;
	gdb_fork_guard_lock(&spare_guard);
	for (int i = 0; i < SPARES; i++)
		if (spare[i].s) {
			(*n)++;
			*bytes += spare_held[i];
		}
	gdb_fork_guard_unlock(&spare_guard);
}

void gdb_variants_spares_drain(void)
{
	kstring_t ks;

	while ((ks = spare_take()).s)
		free(ks.s);
}

/* The second half after the first, which is the answer. */
static int vcf_join(struct vpart pt[2], size_t max, char **out, size_t *len)
{
	kstring_t *a = &pt[0].o.ks;
	size_t n1 = pt[1].o.ks.l;

	if (a->l + n1 > max)
		return -EFBIG;
	if (ks_reserve(a, n1 + 1) < 0)
		return -ENOMEM;
	if (n1)
		memcpy(a->s + a->l, pt[1].o.ks.s, n1);
	*out = a->s;
	*len = a->l + n1;
	*a = (kstring_t){0, 0, NULL};
	return 0;
}

/* Bytes of VCF text of about `sites` records of ns samples: GT-only
 * records take 4 bytes a sample, the other columns about 100 (70 in the
 * 1000 Genomes set). A short guess costs the buffer's growth; a long one
 * a buffer the pool of large buffers may not take back. */
static size_t text_est(uint64_t sites, uint32_t ns, size_t max)
{
	double b = (double)sites * (4.0 * ns + 100);

	return b < (double)max ? (size_t)b : max;
}

/*
 * VCF text: the header, then the records, the chunks split in two
 * halves formatted on two threads (htslib's vcf_format only reads the
 * header) and joined in order: the first half writes after the header
 * into the answer, reserved for both halves (a pooled buffer, or room
 * the first half leaves untouched), the second into a kept buffer
 * copied after it.
 */
static int vcf_text(struct vout *o, const gdb_vsamples *sub, uint32_t contig,
		    int64_t beg, int64_t end, char **out, size_t *len)
{
	struct vpart pt[2];
	pthread_t th;
	uint32_t first, n;
	int *want = vs_want_groups(o->v, sub), rc = 0, two;
	uint64_t sites[2];
	size_t total = 0;

	vs_chunk_range(o->v, contig, beg, end, &first, &n);
	sites[0] = vs_range_sites(o->v, first, n / 2, beg, end);
	sites[1] = vs_range_sites(o->v, first + n / 2, n - n / 2, beg, end);
	memset(pt, 0, sizeof(pt));
	for (int i = 0; i < 2; i++) {
		pt[i].o = *o;
		pt[i].o.ks = i ? spare_take() : (kstring_t){0, 0, NULL};
		pt[i].o.rec = i ? bcf_init() : o->rec;
		pt[i].v = o->v;
		pt[i].want = want;
		pt[i].contig = contig;
		pt[i].beg = beg;
		pt[i].end = end;
		pt[i].chunk0 = first + (i ? n / 2 : 0);
		pt[i].n = i ? n - n / 2 : n / 2;
		pt[i].o.total = &total;
		if (ks_reserve(&pt[i].o.ks,
			       i ? text_est(sites[1], o->sub.n, o->max)
				 : o->v->htxt_len +
				       text_est(sites[0] + sites[1], o->sub.n,
						o->max)) < 0)
			rc = -ENOMEM;
	}
	if (!want || bcf_hdr_format(o->h, 0, &pt[0].o.ks) < 0)
		rc = -ENOMEM;
	total = pt[0].o.ks.l;
	two = rc == 0 && pt[1].o.rec && n > 1 &&
	      pthread_create(&th, NULL, vpart_run, &pt[1]) == 0;
	if (rc == 0)
		vpart_run(&pt[0]);
	if (two)
		pthread_join(th, NULL);
	else if (rc == 0 && pt[1].o.rec)
		vpart_run(&pt[1]);
	else if (rc == 0)
		rc = -ENOMEM;
	for (int i = 0; i < 2 && rc == 0; i++)
		rc = pt[i].rc;
	if (rc == 0)
		rc = vcf_join(pt, o->max, out, len);
	free(pt[0].o.ks.s);
	spare_give(&pt[1].o.ks);
	if (pt[1].o.rec)
		bcf_destroy(pt[1].o.rec);
	free(want);
	return rc;
}

int vs_render_vcf(const gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
		  const gdb_vsamples *sub, enum gdb_vfmt fmt, size_t max,
		  char **out, size_t *len)
{
	struct vout o;
	int rc = out_init(&o, v, sub), fd = -1;

	o.max = max;
	if (rc == 0 && fmt == GDB_VF_VCF) {
		rc = vcf_text(&o, sub, contig, beg, end, out, len);
	} else if (rc == 0) {
		o.fp = mem_open(fmt == GDB_VF_BCF ? "wb" : "wz", &fd);
		o.flush = 1;
		if (!o.fp || bcf_hdr_write(o.fp, (bcf_hdr_t *)o.h) < 0 ||
		    bgzf_flush(o.fp->fp.bgzf) < 0)
			rc = -EIO;
		if (rc == 0)
			rc = walk_region(&o, sub, contig, beg, end);
		if (o.fp && hts_close(o.fp) < 0 && rc == 0)
			rc = -EIO;
		if (rc == 0)
			rc = mem_take(fd, max, out, len);
	}
	if (fd >= 0)
		close(fd);
	out_free(&o);
	return rc;
}

/* The empty BGZF block htslib ends every BGZF file with. */
#define BGZF_EOF_LEN 28
static const char bgzf_eof[BGZF_EOF_LEN + 1] =
    "\037\213\010\004\0\0\0\0\0\377\006\0\102\103\002\0\033\0\003"
    "\0\0\0\0\0\0\0\0\0";

/* A compressed part: htslib's BGZF blocks, without the end-of-file block
 * hts_close adds (only the tail is that block). */
static int bgzf_part(struct vout *o, const gdb_vsamples *sub, uint32_t contig,
		     int64_t beg, int64_t end, enum gdb_vfmt fmt, uint32_t part,
		     char **out, size_t *len)
{
	int fd = -1, rc = 0, *want = vs_want_groups(o->v, sub);

	o->fp = mem_open(fmt == GDB_VF_BCF ? "wb" : "wz", &fd);
	if (!want || !o->fp)
		rc = want ? -EIO : -ENOMEM;
	else if (part == VS_PART_HEAD)
		rc = bcf_hdr_write(o->fp, (bcf_hdr_t *)o->h) < 0 ? -EIO : 0;
	else if (part != VS_PART_TAIL)
		rc = walk_chunk(o, want, contig, beg, end, part);
	if (o->fp && hts_close(o->fp) < 0 && rc == 0)
		rc = -EIO;
	o->fp = NULL;
	if (rc == 0)
		rc = mem_take(fd, SIZE_MAX, out, len);
	if (rc == 0 && part != VS_PART_TAIL) {
		if (*len < BGZF_EOF_LEN || memcmp(*out + *len - BGZF_EOF_LEN,
						  bgzf_eof, BGZF_EOF_LEN)) {
			free(*out);
			rc = -EIO;
		}
		*len -= BGZF_EOF_LEN;
	}
	if (fd >= 0)
		close(fd);
	free(want);
	return rc;
}

int vs_vcf_part(const gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
		const gdb_vsamples *sub, enum gdb_vfmt fmt, uint32_t part,
		char **out, size_t *len)
{
	struct vout o;
	int rc = out_init(&o, v, sub), *want;

	o.max = SIZE_MAX;
	if (rc == 0 && fmt != GDB_VF_VCF) {
		rc = bgzf_part(&o, sub, contig, beg, end, fmt, part, out, len);
	} else if (rc == 0) {
		/* a chunk's records at once: no realloc copies, few page
		 * faults */
		size_t est =
		    part == VS_PART_HEAD ? v->htxt_len + 1
		    : part < VS_PART_TAIL
			? text_est(vs_range_sites(v, part, 1, beg, end),
				   o.sub.n, SIZE_MAX)
			: 1;
		want = vs_want_groups(v, sub);
		if (!want || ks_reserve(&o.ks, est) < 0)
			rc = -ENOMEM;
		else if (part == VS_PART_HEAD)
			rc = bcf_hdr_format(o.h, 0, &o.ks) < 0 ? -ENOMEM : 0;
		else if (part != VS_PART_TAIL)
			rc = walk_chunk(&o, want, contig, beg, end, part);
		free(want);
		if (rc == 0) {
			*out = o.ks.s;
			*len = o.ks.l;
			o.ks = (kstring_t){0, 0, NULL};
		}
	}
	out_free(&o);
	return rc;
}

int gdb_vset_export(const gdb_vset *v, const char *path, enum gdb_vfmt fmt,
		    const gdb_vregion *r, size_t nr, char *err, size_t errlen)
{
	struct vout o;
	int rc = out_init(&o, v, NULL);
	const char *mode = fmt == GDB_VF_BCF	 ? "wb"
			   : fmt == GDB_VF_VCFGZ ? "wz"
						 : "w";

	if (rc == 0 && !(o.fp = hts_open(path, mode))) {
		gdb_seterr(err, errlen, "%s: htslib cannot write it", path);
		rc = -EIO;
	}
	if (rc == 0 && bcf_hdr_write(o.fp, (bcf_hdr_t *)o.h) < 0)
		rc = -EIO;
	for (size_t i = 0; rc == 0 && i < nr; i++) {
		uint32_t c0 = r[i].contig < 0 ? 0 : (uint32_t)r[i].contig;
		uint32_t c1 = r[i].contig < 0 ? v->ncontigs : c0 + 1;
		for (uint32_t c = c0; rc == 0 && c < c1; c++)
			rc = walk_region(&o, NULL, c, r[i].beg, r[i].end);
	}
	if (o.fp && hts_close(o.fp) < 0 && rc == 0)
		rc = -EIO;
	if (rc < 0 && err && errlen && !err[0])
		gdb_seterr(err, errlen, "%s: %s", path, gdb_strerror(rc));
	out_free(&o);
	return rc;
}
