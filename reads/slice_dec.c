/*
 * reads/slice_dec.c - the aligned slice decoder, the encoder's mirror
 * (docs/FORMAT.md, "Aligned slice"). The payload is untrusted even after
 * its CRC passed: every count is bounded by what the columns hold, every
 * reference position by the window the slice declares, and a column that
 * runs out or has bytes left over makes the slice GDB_ECORRUPT.
 *
 * Threading: reentrant.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reads/reads_int.h"

size_t rd_aux_value_len(uint8_t t, const uint8_t *p, const uint8_t *end);

/* The most raw bytes a column may claim: a slice's records are bounded
 * by RD_SLICE_RAW, with room for the coders' own growth. */
#define MAX_COL ((size_t)256 << 20)
#define MAX_TAGCOLS 4096

typedef struct dcol {
	uint32_t id;
	uint8_t *raw;
	rd_cur cur;
} dcol;

typedef struct dec {
	dcol core[RD_NCORE];
	dcol *tags;
	uint32_t ntags;
	uint8_t *tlines; /* the tag-line dictionary, decoded */
	uint32_t *tloff;
	uint32_t ntl;
	const rd_ref *ref;
	int32_t tid;
	const bam1_t *calc_for; /* the record md and nm were computed for */
	gdb_buf md;
	int64_t nm;
} dec;

static void dec_free(dec *d)
{
	for (int k = 0; k < RD_NCORE; k++)
		free(d->core[k].raw);
	for (uint32_t i = 0; i < d->ntags; i++)
		free(d->tags[i].raw);
	free(d->tags);
	free(d->tloff);
	gdb_buf_free(&d->md);
}

int rd_slice_span(const uint8_t *p, size_t len, int32_t *tid, uint32_t *n,
		  int64_t *beg, int64_t *end)
{
	if (len < RD_SLICE_HDR)
		return GDB_ECORRUPT;
	*n = gdb_get_le32(p);
	*tid = (int32_t)gdb_get_le32(p + 4);
	*beg = (int64_t)gdb_get_le64(p + 8);
	*end = (int64_t)gdb_get_le64(p + 16);
	if (*beg < 0 || *end < *beg || *end - *beg > ((int64_t)1 << 40) ||
	    gdb_get_le32(p + 28) != 0)
		return GDB_ECORRUPT;
	return 0;
}

/* Decode the directory's frames into d. */
static int load_columns(dec *d, const uint8_t *p, size_t len)
{
	uint32_t ncols = gdb_get_le32(p + 24), prev = 0;
	size_t at;
	const uint8_t *dir = p + RD_SLICE_HDR;

	if (ncols > RD_NCORE + MAX_TAGCOLS || (len - RD_SLICE_HDR) / 8 < ncols)
		return GDB_ECORRUPT;
	at = RD_SLICE_HDR + (size_t)ncols * 8;
	d->tags = calloc(ncols ? ncols : 1, sizeof(*d->tags));
	if (!d->tags)
		return -ENOMEM;
	for (uint32_t i = 0; i < ncols; i++) {
		uint32_t id = gdb_get_le32(dir + 8 * i);
		size_t fl = gdb_get_le32(dir + 8 * i + 4), n = 0;
		dcol *c;
		int rc;
		/* ids strictly increasing: core ids, then tag ids */
		if (id <= prev || fl > len - at ||
		    (id >= RD_NCORE && !(id & RD_COL_TAG)))
			return GDB_ECORRUPT;
		prev = id;
		c = id < RD_NCORE ? &d->core[id] : &d->tags[d->ntags++];
		c->id = id;
		rc = gdb_codecs_col_decode(p + at, fl, MAX_COL, &c->raw, &n);
		if (rc < 0)
			return rc;
		c->cur.p = c->raw;
		c->cur.end = c->raw + n;
		at += fl;
	}
	return at == len ? 0 : GDB_ECORRUPT;
}

/* Split the tag-line dictionary into lines. */
static int load_lines(dec *d)
{
	rd_cur c = d->core[RD_COL_TLDICT].cur;
	uint32_t cap = 0;

	while (c.p < c.end) {
		if (d->ntl == cap) {
			uint32_t nc = cap ? cap * 2 : 64;
			uint32_t *o = realloc(d->tloff, nc * sizeof(*o));
			if (!o)
				return -ENOMEM;
			d->tloff = o;
			cap = nc;
		}
		d->tloff[d->ntl++] =
		    (uint32_t)(c.p - d->core[RD_COL_TLDICT].raw);
		if (!rd_get_bytes(&c, 1 + 3u * c.p[0]))
			return GDB_ECORRUPT;
	}
	d->tlines = d->core[RD_COL_TLDICT].raw;
	return 0;
}

static dcol *tag_col(dec *d, const uint8_t *key)
{
	uint32_t id = RD_COL_TAG | (uint32_t)key[0] << 16 |
		      (uint32_t)key[1] << 8 | key[2];
	uint32_t lo = 0, hi = d->ntags;

	while (lo < hi) { /* ids are sorted (load_columns checked) */
		uint32_t mid = (lo + hi) / 2;
		if (d->tags[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->ntags && d->tags[lo].id == id ? &d->tags[lo] : NULL;
}

/* Make room for need bytes of data in b. */
static int room(bam1_t *b, size_t need)
{
	if (need > INT32_MAX)
		return GDB_ECORRUPT;
	if (need > b->m_data) {
		size_t cap = need + need / 4 + 64;
		uint8_t *p = realloc(b->data, cap);
		if (!p)
			return -ENOMEM;
		b->data = p;
		b->m_data = cap;
	}
	return 0;
}

/* A computed MD or NM tag (RD_TAG_COMPUTED), appended to b's data. */
static int put_computed(dec *d, bam1_t *b, const uint8_t *key)
{
	uint8_t t = key[2] & (uint8_t)~RD_TAG_COMPUTED, v[4];
	size_t k;

	if (d->calc_for != b) {
		d->calc_for = b;
		if (rd_calc_md_nm(b, d->ref, &d->md, &d->nm) < 0)
			return GDB_ECORRUPT;
	}
	if (key[0] == 'M' && key[1] == 'D' && t == 'Z') {
		GDB_TRY(room(b, (size_t)b->l_data + 3 + d->md.len));
		memcpy(b->data + b->l_data, "MDZ", 3);
		memcpy(b->data + b->l_data + 3, d->md.p, d->md.len);
		b->l_data += 3 + (int)d->md.len;
		return 0;
	}
	if (key[0] != 'N' || key[1] != 'M')
		return GDB_ECORRUPT;
	switch (t) {
	case 'c':
	case 'C':
		k = 1;
		v[0] = (uint8_t)d->nm;
		break;
	case 's':
	case 'S':
		k = 2;
		gdb_put_le16(v, (uint16_t)d->nm);
		break;
	case 'i':
	case 'I':
		k = 4;
		gdb_put_le32(v, (uint32_t)d->nm);
		break;
	default:
		return GDB_ECORRUPT;
	}
	GDB_TRY(room(b, (size_t)b->l_data + 3 + k));
	memcpy(b->data + b->l_data, key, 2);
	b->data[b->l_data + 2] = t;
	memcpy(b->data + b->l_data + 3, v, k);
	b->l_data += 3 + (int)k;
	return 0;
}

/* The tags of the next record, appended to b's data. */
static int get_tags(dec *d, bam1_t *b)
{
	uint64_t li = rd_get_uv(&d->core[RD_COL_TL].cur);
	const uint8_t *line;

	if (d->core[RD_COL_TL].cur.err || li >= d->ntl)
		return GDB_ECORRUPT;
	line = d->tlines + d->tloff[li];
	for (uint32_t t = 0; t < line[0]; t++) {
		const uint8_t *key = line + 1 + 3 * t, *v;
		dcol *c;
		size_t k;
		if (key[2] & RD_TAG_COMPUTED) {
			GDB_TRY(put_computed(d, b, key));
			continue;
		}
		if (!(c = tag_col(d, key)))
			return GDB_ECORRUPT;
		k = rd_aux_value_len(key[2], c->cur.p, c->cur.end);
		if (!k || !(v = rd_get_bytes(&c->cur, k)))
			return GDB_ECORRUPT;
		GDB_TRY(room(b, (size_t)b->l_data + 3 + k));
		memcpy(b->data + b->l_data, key, 3);
		memcpy(b->data + b->l_data + 3, v, k);
		b->l_data += 3 + (int)k;
	}
	return 0;
}

static inline void set_base(uint8_t *s, int64_t i, uint8_t v)
{
	s[i >> 1] = (uint8_t)(i & 1 ? (s[i >> 1] & 0xf0) | v
				    : (s[i >> 1] & 0x0f) | v << 4);
}

/* Bases of b (core, CIGAR and l_qseq set; seq area zeroed). */
static int get_bases(dec *d, bam1_t *b)
{
	uint8_t *s = bam_get_seq(b);
	const uint32_t *cig = bam_get_cigar(b);
	rd_cur *ins = &d->core[RD_COL_INS].cur,
	       *sp = &d->core[RD_COL_SUBPOS].cur;
	rd_cur *sc = &d->core[RD_COL_SUBCODE].cur;
	int64_t rp = b->core.pos, qi = 0, nextsub;
	uint64_t g;

	if (!rd_ref_coded(b)) {
		const uint8_t *v = rd_get_bytes(ins, (size_t)b->core.l_qseq);
		for (int64_t i = 0; v && i < b->core.l_qseq; i++)
			set_base(s, i, v[i] & 15);
		return v ? 0 : GDB_ECORRUPT;
	}
	g = rd_get_uv(sp);
	nextsub = g ? (int64_t)g - 1 : -1;
	for (uint32_t k = 0; k < b->core.n_cigar; k++) {
		int t = bam_cigar_type(bam_cigar_op(cig[k]));
		int64_t len = bam_cigar_oplen(cig[k]);
		if (t == 3) {
			if (rp < d->ref->beg || rp + len > d->ref->end)
				return GDB_ECORRUPT;
			for (int64_t j = 0; j < len; j++) {
				int rc = rd_ref_class(
				    d->ref->bases[rp + j - d->ref->beg]);
				uint8_t v = rd_ref_nt16[rc];
				if (qi + j == nextsub) {
					v = (uint8_t)rd_get_u8(sc);
					if (v / 16 != rc ||
					    (v & 15) == rd_ref_nt16[rc])
						return GDB_ECORRUPT;
					v &= 15;
					g = rd_get_uv(sp);
					nextsub = g ? qi + j + (int64_t)g : -1;
				}
				set_base(s, qi + j, v);
			}
		} else if (t == 1) {
			const uint8_t *v = rd_get_bytes(ins, (size_t)len);
			if (!v)
				return GDB_ECORRUPT;
			for (int64_t j = 0; j < len; j++)
				set_base(s, qi + j, v[j] & 15);
		}
		if (t & 1)
			qi += len;
		if (t & 2)
			rp += len;
	}
	/* every substitution used: the terminator came last */
	return nextsub == -1 && !sp->err && !sc->err ? 0 : GDB_ECORRUPT;
}

/* Core fields, name and CIGAR of the next record into b. */
static int get_core(dec *d, bam1_t *b, int64_t *prev)
{
	bam1_core_t *c = &b->core;
	dcol *k = d->core;
	const uint8_t *fl = rd_get_bytes(&k[RD_COL_FLAG].cur, 2);
	const uint8_t *bin = rd_get_bytes(&k[RD_COL_BIN].cur, 2);
	const uint8_t *nm = k[RD_COL_NAME].cur.p;
	const uint8_t *nul =
	    nm ? memchr(nm, 0, (size_t)(k[RD_COL_NAME].cur.end - nm)) : NULL;
	size_t ln = nul ? (size_t)(nul - nm) + 1 : 0, pad = (4 - ln % 4) % 4;
	uint64_t ncig = rd_get_uv(&k[RD_COL_NCIG].cur);

	if (!fl || !bin || !nm || !nul || ln > 255 || ncig > (1u << 28))
		return GDB_ECORRUPT;
	c->tid = d->tid;
	c->flag = gdb_get_le16(fl);
	c->pos = *prev + rd_get_sv(&k[RD_COL_POS].cur);
	*prev = c->pos;
	c->qual = (uint8_t)rd_get_u8(&k[RD_COL_MAPQ].cur);
	c->mtid = (int32_t)((int64_t)d->tid + rd_get_sv(&k[RD_COL_NREF].cur));
	c->mpos = c->pos + rd_get_sv(&k[RD_COL_NPOS].cur);
	c->isize = rd_get_sv(&k[RD_COL_TLEN].cur);
	c->l_qname = (uint16_t)(ln + pad);
	c->l_extranul = (uint8_t)pad;
	c->n_cigar = (uint32_t)ncig;
	GDB_TRY(room(b, ln + pad + 4 * ncig));
	memcpy(b->data, nm, ln);
	memset(b->data + ln, 0, pad);
	k[RD_COL_NAME].cur.p += ln;
	for (uint64_t i = 0; i < ncig; i++) {
		int op = rd_get_u8(&k[RD_COL_CIGOP].cur);
		uint64_t len = rd_get_uv(&k[rd_ciglen_col(op)].cur);
		if (len >= (1u << 28) || op > 15)
			return GDB_ECORRUPT;
		((uint32_t *)(void *)(b->data + ln + pad))[i] =
		    (uint32_t)len << 4 | (uint32_t)op;
	}
	b->l_data = (int)(ln + pad + 4 * ncig);
	c->bin = (uint16_t)(gdb_get_le16(bin) ^
			    hts_reg2bin(c->pos, bam_endpos(b), 14, 5));
	return 0;
}

/* Sequence and qualities of b, after its core. */
static int get_seq_qual(dec *d, bam1_t *b, uint32_t *nq)
{
	bam1_core_t *c = &b->core;
	int64_t qlen =
	    c->n_cigar ? bam_cigar2qlen((int)c->n_cigar, bam_get_cigar(b)) : 0;
	int64_t l = qlen + rd_get_sv(&d->core[RD_COL_QLEN].cur);
	size_t sb;

	if (l < 0 || l > (1 << 28))
		return GDB_ECORRUPT;
	c->l_qseq = (int32_t)l;
	sb = (size_t)(l + 1) / 2;
	GDB_TRY(room(b, (size_t)b->l_data + sb + (size_t)l));
	memset(b->data + b->l_data, 0, sb);
	b->l_data += (int)(sb + (size_t)l);
	GDB_TRY(get_bases(d, b));
	if (l > 0) {
		int miss = rd_get_u8(&d->core[RD_COL_QMISS].cur);
		uint8_t *q = bam_get_qual(b);
		const uint8_t *v;
		if (miss) {
			memset(q, 0xff, (size_t)l);
		} else {
			v = rd_get_bytes(&d->core[RD_COL_QUAL].cur, (size_t)l);
			if (!v)
				return GDB_ECORRUPT;
			memcpy(q, v, (size_t)l);
			(*nq)++;
		}
	}
	return 0;
}

static int get_record(dec *d, bam1_t *b, int64_t *prev, uint32_t *nq)
{
	int vb =
	    d->core[RD_COL_VERB].raw ? rd_get_u8(&d->core[RD_COL_VERB].cur) : 0;

	if (vb) {
		rd_cur *v = &d->core[RD_COL_VRAW].cur;
		const uint8_t *p = rd_get_bytes(v, 4);
		uint32_t bl = p ? gdb_get_le32(p) : 0;
		if (!p || !rd_get_bytes(v, bl))
			return GDB_ECORRUPT;
		return rd_hts_record_parse(p, 4 + (size_t)bl, b);
	}
	GDB_TRY(get_core(d, b, prev));
	GDB_TRY(get_seq_qual(d, b, nq));
	return get_tags(d, b);
}

void rd_recs_free(bam1_t **recs, uint32_t n)
{
	if (!recs)
		return;
	for (uint32_t i = 0; i < n; i++)
		bam_destroy1(recs[i]);
	free(recs);
}

/* Every column read to its end, nothing more. */
static int all_used(dec *d)
{
	for (int k = 1; k < RD_NCORE; k++) {
		if (k == RD_COL_TLDICT)
			continue;
		if (d->core[k].cur.err ||
		    d->core[k].cur.p != d->core[k].cur.end)
			return 0;
	}
	for (uint32_t i = 0; i < d->ntags; i++)
		if (d->tags[i].cur.err ||
		    d->tags[i].cur.p != d->tags[i].cur.end)
			return 0;
	return 1;
}

int rd_slice_decode(const uint8_t *p, size_t len, const rd_ref *ref,
		    bam1_t ***recs, uint32_t *n)
{
	dec d;
	int64_t beg, end, prev = -1;
	uint32_t nrec, nq = 0;
	bam1_t **out = NULL;
	int rc;

	memset(&d, 0, sizeof(d));
	GDB_TRY(rd_slice_span(p, len, &d.tid, &nrec, &beg, &end));
	if (nrec > RD_SLICE_RECS * 4 || (ref->beg != beg || ref->end != end))
		return GDB_ECORRUPT;
	d.ref = ref;
	rc = load_columns(&d, p, len);
	if (rc == 0)
		rc = load_lines(&d);
	if (rc == 0 && !(out = calloc(nrec ? nrec : 1, sizeof(*out))))
		rc = -ENOMEM;
	for (uint32_t i = 0; rc == 0 && i < nrec; i++) {
		if (!(out[i] = bam_init1()))
			rc = -ENOMEM;
		else
			rc = get_record(&d, out[i], &prev, &nq);
	}
	if (rc == 0 && !all_used(&d))
		rc = GDB_ECORRUPT;
	dec_free(&d);
	if (rc < 0) {
		rd_recs_free(out, nrec);
		return rc;
	}
	*recs = out;
	*n = nrec;
	return 0;
}
