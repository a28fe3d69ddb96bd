/*
 * reads/slice_enc.c - the aligned slice encoder: records of one target
 * (or unplaced) become one column per field, each an entropy-coded frame
 * (codecs/column.c). Byte layout: docs/FORMAT.md, "Aligned slice".
 *
 * Bases are coded against the reference as CRAM does: a base under an
 * M/=/X operation costs nothing when it equals the reference and a
 * (gap, code) pair when it does not; inserted and soft-clipped bases, and
 * every base of a record that is not coded against the reference, go to
 * their own column. Tags are split into one column per tag key and type,
 * with each record's tag line (keys in order) numbered in a per-slice
 * dictionary, so tag order is kept and nothing is added.
 *
 * Records this codec cannot represent exactly (a name with several NULs,
 * malformed tags, anything the builder's check-decode finds different)
 * are kept whole: their BAM bytes in a column of their own.
 *
 * Threading: reentrant.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reads/reads_int.h"

static int64_t aux_int(uint8_t t, const uint8_t *p);

/* Tag columns and tag lines of a slice, found by hashing. */
typedef struct tagcol {
	uint32_t id;
	gdb_buf b;
} tagcol;

typedef struct enc {
	gdb_buf col[RD_NCORE];
	tagcol *tags;
	uint32_t ntags, tagcap;
	uint32_t *tmap; /* id hash -> tags index + 1 */
	uint32_t tmask;
	gdb_buf lines;	/* tag lines: ntags u8 + 3 bytes each */
	uint32_t *loff; /* line i starts at lines.p + loff[i] */
	uint32_t nlines, lcap;
	uint32_t *lmap; /* line hash -> index + 1 */
	uint32_t lmask;
	uint32_t *qlens, *qflags, nq;
	const bam1_t *calc_for; /* the record md and nm were computed for */
	int calc_ok;
	gdb_buf md;
	int64_t nm;
} enc;

static uint32_t hash32(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* A slice holds at most this many tag keys (key and type): the map half
 * full at most. */
#define MAX_TAG_KEYS 4096u

/* The slot of tag id in the map: its column's, or the empty one where it
 * would go. */
static uint32_t tag_slot(const enc *e, uint32_t id)
{
	uint32_t h = hash32((const uint8_t *)&id, 4) & e->tmask, k;

	while ((k = e->tmap[h]) != 0 && e->tags[k - 1].id != id)
		h = (h + 1) & e->tmask;
	return h;
}

static uint32_t tag_id(const uint8_t *p)
{
	return RD_COL_TAG | (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

/* The column of tag id, created on first use. NULL on ENOMEM (or past
 * MAX_TAG_KEYS, which tags_fit keeps put_tags from asking). */
static gdb_buf *tag_col(enc *e, uint32_t id)
{
	uint32_t h = tag_slot(e, id), k = e->tmap[h];

	if (k)
		return &e->tags[k - 1].b;
	if (e->ntags >= MAX_TAG_KEYS)
		return NULL;
	if (e->ntags == e->tagcap) {
		uint32_t cap = e->tagcap ? e->tagcap * 2 : 16;
		tagcol *t = realloc(e->tags, cap * sizeof(*t));
		if (!t)
			return NULL;
		e->tags = t;
		e->tagcap = cap;
	}
	memset(&e->tags[e->ntags], 0, sizeof(e->tags[0]));
	e->tags[e->ntags].id = id;
	e->tmap[h] = ++e->ntags;
	return &e->tags[e->ntags - 1].b;
}

/* Rebuild the line map at twice the size. */
static int lines_grow(enc *e)
{
	uint32_t nm = (e->lmask + 1) * 2 - 1;
	uint32_t *m = calloc((size_t)nm + 1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	for (uint32_t i = 0; i < e->nlines; i++) {
		const uint8_t *l = (uint8_t *)e->lines.p + e->loff[i];
		uint32_t x = hash32(l, 1 + 3u * l[0]) & nm;
		while (m[x])
			x = (x + 1) & nm;
		m[x] = i + 1;
	}
	free(e->lmap);
	e->lmap = m;
	e->lmask = nm;
	return 0;
}

/* The number of tag line (ntags, keys), added on first use; -1 ENOMEM. */
static int64_t line_id(enc *e, const uint8_t *line, size_t len)
{
	uint32_t h, k;

	if (e->nlines * 2 >= e->lmask && lines_grow(e) < 0)
		return -1;
	h = hash32(line, len) & e->lmask;
	for (; (k = e->lmap[h]) != 0; h = (h + 1) & e->lmask) {
		const uint8_t *l = (uint8_t *)e->lines.p + e->loff[k - 1];
		if (1 + 3u * l[0] == len && !memcmp(l, line, len))
			return k - 1;
	}
	if (e->nlines == e->lcap) {
		uint32_t cap = e->lcap ? e->lcap * 2 : 64;
		uint32_t *o = realloc(e->loff, cap * sizeof(*o));
		if (!o)
			return -1;
		e->loff = o;
		e->lcap = cap;
	}
	e->loff[e->nlines] = (uint32_t)e->lines.len;
	gdb_buf_add(&e->lines, line, len);
	if (e->lines.err)
		return -1;
	e->lmap[h] = ++e->nlines;
	return e->nlines - 1;
}

/* Bytes of one element of a B array of subtype t; 0 if not allowed. */
static size_t b_elem(uint8_t t)
{
	switch (t) {
	case 'c':
	case 'C':
		return 1;
	case 's':
	case 'S':
		return 2;
	case 'i':
	case 'I':
	case 'f':
		return 4;
	default:
		return 0;
	}
}

/* Bytes of one aux value of type t at p (end bounds it); 0 if malformed. */
static size_t aux_value_len(uint8_t t, const uint8_t *p, const uint8_t *end)
{
	size_t n = (size_t)(end - p), es;
	uint64_t cnt;

	switch (t) {
	case 'A':
	case 'c':
	case 'C':
		return n >= 1 ? 1 : 0;
	case 's':
	case 'S':
		return n >= 2 ? 2 : 0;
	case 'i':
	case 'I':
	case 'f':
		return n >= 4 ? 4 : 0;
	case 'd':
		return n >= 8 ? 8 : 0;
	case 'Z':
	case 'H': {
		const uint8_t *z = memchr(p, 0, n);
		return z ? (size_t)(z - p) + 1 : 0;
	}
	case 'B':
		if (n < 5 || !(es = b_elem(p[0])))
			return 0;
		cnt = gdb_get_le32(p + 1);
		if (cnt * es > n - 5)
			return 0;
		return 5 + (size_t)(cnt * es);
	default:
		return 0;
	}
}

size_t rd_aux_value_len(uint8_t t, const uint8_t *p, const uint8_t *end);
size_t rd_aux_value_len(uint8_t t, const uint8_t *p, const uint8_t *end)
{
	return aux_value_len(t, p, end);
}

/* Can every tag of b be split into columns? */
static int aux_ok(const bam1_t *b)
{
	const uint8_t *p = bam_get_aux(b), *end = p + bam_get_l_aux(b);
	int n = 0;

	while (p < end) {
		size_t k;
		if (end - p < 3 || ++n > 255)
			return 0;
		k = aux_value_len(p[2], p + 3, end);
		if (!k)
			return 0;
		p += 3 + k;
	}
	return 1;
}

/* Do b's tag keys that the slice has no column for yet fit in it (at
 * most MAX_TAG_KEYS)? A record whose keys do not is kept whole. (A key
 * seen twice in b, or an MD/NM stored as computed, is counted as new:
 * only a record near the limit is kept whole for it.) */
static int tags_fit(const enc *e, const bam1_t *b)
{
	const uint8_t *p = bam_get_aux(b), *end = p + bam_get_l_aux(b);
	uint32_t fresh = 0;

	while (p < end) {
		fresh += e->tmap[tag_slot(e, tag_id(p))] == 0;
		p += 3 + aux_value_len(p[2], p + 3, end);
	}
	return e->ntags + fresh <= MAX_TAG_KEYS;
}

/*
 * Is tag p (key, type, value of k bytes) the MD or NM that the reference
 * gives? Then it is stored as its key with RD_TAG_COMPUTED in the type
 * and no value (docs/FORMAT.md, "Aligned slice").
 */
static int computed(enc *e, const bam1_t *b, const rd_ref *ref,
		    const uint8_t *p, size_t k)
{
	int md = p[0] == 'M' && p[1] == 'D' && p[2] == 'Z';
	int nm =
	    p[0] == 'N' && p[1] == 'M' && aux_int(p[2], p + 3) != INT64_MIN;

	if (!md && !nm)
		return 0;
	if (e->calc_for != b) {
		e->calc_for = b;
		e->calc_ok = rd_calc_md_nm(b, ref, &e->md, &e->nm) == 0;
	}
	if (!e->calc_ok)
		return 0;
	if (md)
		return k == e->md.len && !memcmp(p + 3, e->md.p, k);
	return aux_int(p[2], p + 3) == e->nm;
}

static int put_tags(enc *e, const bam1_t *b, const rd_ref *ref)
{
	const uint8_t *p = bam_get_aux(b), *end = p + bam_get_l_aux(b);
	uint8_t line[1 + 3 * 255];
	size_t ll = 1;
	int64_t id;

	line[0] = 0;
	while (p < end) {
		size_t k = aux_value_len(p[2], p + 3, end);
		memcpy(line + ll, p, 3);
		if (computed(e, b, ref, p, k)) {
			line[ll + 2] |= RD_TAG_COMPUTED;
		} else {
			gdb_buf *c = tag_col(e, tag_id(p));
			if (!c)
				return -ENOMEM;
			gdb_buf_add(c, p + 3, k);
		}
		ll += 3;
		line[0]++;
		p += 3 + k;
	}
	id = line_id(e, line, ll);
	if (id < 0)
		return -ENOMEM;
	rd_put_uv(&e->col[RD_COL_TL], (uint64_t)id);
	return 0;
}

int rd_ref_coded(const bam1_t *b);
int rd_ref_coded(const bam1_t *b)
{
	const bam1_core_t *c = &b->core;

	return c->tid >= 0 && !(c->flag & BAM_FUNMAP) && c->n_cigar > 0 &&
	       c->l_qseq > 0 &&
	       bam_cigar2qlen((int)c->n_cigar, bam_get_cigar(b)) == c->l_qseq;
}

/*
 * rd_calc_md_nm - MD and NM of a record coded against ref, as samtools
 * calmd computes them: a base matches when its 4-bit code equals the
 * reference's and neither is N, or when it is '='; MD letters are the
 * reference's, upper-cased; NM counts mismatches and inserted and deleted
 * bases. @return 0, or -1 if the record is not coded against ref
 */
int rd_calc_md_nm(const bam1_t *b, const rd_ref *ref, gdb_buf *md, int64_t *nm)
{
	const uint8_t *s = bam_get_seq(b);
	const uint32_t *cig = bam_get_cigar(b);
	int64_t rp = b->core.pos, qi = 0, run = 0, n = 0;

	if (!rd_ref_coded(b) || !ref->bases)
		return -1;
	md->len = 0;
	for (uint32_t k = 0; k < b->core.n_cigar; k++) {
		int op = bam_cigar_op(cig[k]), t = bam_cigar_type(op);
		int64_t len = bam_cigar_oplen(cig[k]);
		if (t & 2 && (rp < ref->beg || rp + len > ref->end))
			return -1;
		if (t == 3) {
			for (int64_t j = 0; j < len; j++) {
				char r = ref->bases[rp + j - ref->beg];
				int c1 = bam_seqi(s, qi + j);
				int c2 = seq_nt16_table[(uint8_t)r];
				if ((c1 == c2 && c1 != 15) || c1 == 0) {
					run++;
					continue;
				}
				gdb_buf_printf(md, "%lld%c", (long long)run,
					       (char)(r & ~0x20));
				run = 0;
				n++;
			}
		} else if (op == BAM_CDEL) {
			gdb_buf_printf(md, "%lld^", (long long)run);
			for (int64_t j = 0; j < len; j++) {
				char r = (char)(ref->bases[rp + j - ref->beg] &
						~0x20);
				gdb_buf_add(md, &r, 1);
			}
			run = 0;
			n += len;
		} else if (op == BAM_CINS) {
			n += len;
		}
		if (t & 1)
			qi += len;
		if (t & 2)
			rp += len;
	}
	gdb_buf_printf(md, "%lld", (long long)run);
	gdb_buf_add(md, "", 1);
	*nm = n;
	return md->err ? -1 : 0;
}

/* Integer aux value of type t at p. */
static int64_t aux_int(uint8_t t, const uint8_t *p)
{
	switch (t) {
	case 'c':
		return (int8_t)p[0];
	case 'C':
		return p[0];
	case 's':
		return (int16_t)gdb_get_le16(p);
	case 'S':
		return gdb_get_le16(p);
	case 'i':
		return (int32_t)gdb_get_le32(p);
	case 'I':
		return gdb_get_le32(p);
	default:
		return INT64_MIN;
	}
}

static void put_bases(enc *e, const bam1_t *b, const rd_ref *ref)
{
	const uint8_t *s = bam_get_seq(b);
	const uint32_t *cig = bam_get_cigar(b);
	int64_t rp = b->core.pos, qi = 0, next = 0;

	if (!rd_ref_coded(b)) {
		for (int64_t i = 0; i < b->core.l_qseq; i++) {
			uint8_t v = (uint8_t)bam_seqi(s, i);
			gdb_buf_add(&e->col[RD_COL_INS], &v, 1);
		}
		return;
	}
	for (uint32_t k = 0; k < b->core.n_cigar; k++) {
		int op = bam_cigar_op(cig[k]), t = bam_cigar_type(op);
		int64_t len = bam_cigar_oplen(cig[k]);
		if (t == 3) {
			for (int64_t j = 0; j < len; j++) {
				int rc =
				    rd_ref_class(ref->bases[rp + j - ref->beg]);
				uint8_t q = (uint8_t)bam_seqi(s, qi + j);
				if (q == rd_ref_nt16[rc])
					continue;
				rd_put_uv(&e->col[RD_COL_SUBPOS],
					  (uint64_t)(qi + j - next + 1));
				next = qi + j + 1;
				q = (uint8_t)(rc * 16 + q);
				gdb_buf_add(&e->col[RD_COL_SUBCODE], &q, 1);
			}
		} else if (t == 1) {
			for (int64_t j = 0; j < len; j++) {
				uint8_t v = (uint8_t)bam_seqi(s, qi + j);
				gdb_buf_add(&e->col[RD_COL_INS], &v, 1);
			}
		}
		if (t & 1)
			qi += len;
		if (t & 2)
			rp += len;
	}
	rd_put_uv(&e->col[RD_COL_SUBPOS], 0);
}

static int put_quals(enc *e, const bam1_t *b)
{
	const uint8_t *q = bam_get_qual(b);
	int32_t n = b->core.l_qseq, miss = n > 0 && q[0] == 0xff;
	uint8_t m;

	for (int32_t i = 1; miss && i < n; i++)
		miss = q[i] == 0xff;
	if (n <= 0)
		return 0;
	m = (uint8_t)miss;
	gdb_buf_add(&e->col[RD_COL_QMISS], &m, 1);
	if (miss)
		return 0;
	gdb_buf_add(&e->col[RD_COL_QUAL], q, (size_t)n);
	e->qlens[e->nq] = (uint32_t)n;
	e->qflags[e->nq++] = b->core.flag;
	return 0;
}

static int put_record(enc *e, const bam1_t *b, const rd_ref *ref, int64_t *prev)
{
	const bam1_core_t *c = &b->core;
	const uint32_t *cig = bam_get_cigar(b);
	uint8_t v[2];
	int64_t qlen = c->n_cigar ? bam_cigar2qlen((int)c->n_cigar, cig) : 0;
	uint16_t bin =
	    (uint16_t)(c->bin ^ hts_reg2bin(c->pos, bam_endpos(b), 14, 5));

	gdb_put_le16(v, c->flag);
	gdb_buf_add(&e->col[RD_COL_FLAG], v, 2);
	rd_put_sv(&e->col[RD_COL_POS], c->pos - *prev);
	*prev = c->pos;
	gdb_buf_add(&e->col[RD_COL_MAPQ], &c->qual, 1);
	gdb_put_le16(v, bin);
	gdb_buf_add(&e->col[RD_COL_BIN], v, 2);
	rd_put_sv(&e->col[RD_COL_NREF], (int64_t)c->mtid - c->tid);
	rd_put_sv(&e->col[RD_COL_NPOS], c->mpos - c->pos);
	rd_put_sv(&e->col[RD_COL_TLEN], c->isize);
	gdb_buf_add(&e->col[RD_COL_NAME], bam_get_qname(b),
		    strlen(bam_get_qname(b)) + 1);
	rd_put_uv(&e->col[RD_COL_NCIG], c->n_cigar);
	for (uint32_t k = 0; k < c->n_cigar; k++) {
		uint8_t op = (uint8_t)bam_cigar_op(cig[k]);
		gdb_buf_add(&e->col[RD_COL_CIGOP], &op, 1);
		rd_put_uv(&e->col[rd_ciglen_col(op)], bam_cigar_oplen(cig[k]));
	}
	rd_put_sv(&e->col[RD_COL_QLEN], c->l_qseq - qlen);
	put_bases(e, b, ref);
	GDB_TRY(put_quals(e, b));
	return put_tags(e, b, ref);
}

/* Generic coders to try per core column. */
static unsigned tries_of(int col)
{
	switch (col) {
	case RD_COL_MAPQ:
	case RD_COL_CIGOP:
	case RD_COL_SUBCODE:
	case RD_COL_QMISS:
	case RD_COL_VERB:
		return GDB_COL_R0 | GDB_COL_R1 | GDB_COL_A0 | GDB_COL_A1 |
		       GDB_COL_Z;
	default:
		return GDB_COL_ALL;
	}
}

static int by_id(const void *a, const void *b)
{
	uint32_t x = ((const tagcol *)a)->id, y = ((const tagcol *)b)->id;
	return x < y ? -1 : x > y;
}

/* Header, column directory and frames (tag columns sorted by id, so a
 * reader finds them by bisection). The tag map is stale afterwards. */
static int write_frames(enc *e, uint32_t n, int32_t tid, const rd_ref *ref,
			gdb_buf *out)
{
	gdb_buf fr = {0};
	uint32_t ncols = 0;
	size_t hdr = out->len, dir;
	int rc = 0;

	/* header, then a directory filled in as frames are made */
	uint8_t *h = gdb_buf_room(out, RD_SLICE_HDR);
	if (!h)
		return out->err;
	memset(h, 0, RD_SLICE_HDR);
	gdb_put_le32(h, n);
	gdb_put_le32(h + 4, (uint32_t)tid);
	gdb_put_le64(h + 8, (uint64_t)ref->beg);
	gdb_put_le64(h + 16, (uint64_t)ref->end);
	qsort(e->tags, e->ntags, sizeof(e->tags[0]), by_id);
	for (int k = 1; k < RD_NCORE; k++)
		ncols += e->col[k].len > 0;
	ncols += e->ntags;
	dir = out->len;
	if (!gdb_buf_room(out, (size_t)ncols * 8))
		return out->err;
	ncols = 0;
	for (uint32_t k = 1; k < RD_NCORE + e->ntags && rc == 0; k++) {
		const gdb_buf *c =
		    k < RD_NCORE ? &e->col[k] : &e->tags[k - RD_NCORE].b;
		uint32_t id = k < RD_NCORE ? k : e->tags[k - RD_NCORE].id;
		size_t before = fr.len;
		if (!c->len)
			continue;
		if (c->err) {
			rc = c->err;
			break;
		}
		if (k == RD_COL_NAME)
			rc = gdb_codecs_col_encode_names(c->p, c->len, &fr);
		else if (k == RD_COL_QUAL)
			rc = gdb_codecs_col_encode_quals((const uint8_t *)c->p,
							 c->len, e->qlens,
							 e->qflags, e->nq, &fr);
		else
			rc = gdb_codecs_col_encode(
			    (const uint8_t *)c->p, c->len,
			    k < RD_NCORE ? tries_of((int)k) : GDB_COL_ALL, &fr);
		gdb_put_le32(out->p + dir + 8 * ncols, id);
		gdb_put_le32(out->p + dir + 8 * ncols + 4,
			     (uint32_t)(fr.len - before));
		ncols++;
	}
	gdb_put_le32(out->p + hdr + 24, ncols);
	if (rc == 0)
		gdb_buf_add(out, fr.p, fr.len);
	gdb_buf_free(&fr);
	return rc < 0 ? rc : out->err;
}

static void enc_free(enc *e)
{
	for (int k = 0; k < RD_NCORE; k++)
		gdb_buf_free(&e->col[k]);
	for (uint32_t i = 0; i < e->ntags; i++)
		gdb_buf_free(&e->tags[i].b);
	free(e->tags);
	free(e->tmap);
	gdb_buf_free(&e->lines);
	free(e->loff);
	free(e->lmap);
	free(e->qlens);
	free(e->qflags);
	gdb_buf_free(&e->md);
}

int rd_slice_encode(bam1_t *const *recs, uint32_t n, int32_t tid,
		    const rd_ref *ref, const uint8_t *verb,
		    const uint8_t *const *raw, gdb_buf *out)
{
	enc e;
	int64_t prev = -1;
	int rc = 0;

	memset(&e, 0, sizeof(e));
	e.tmask = 8191;
	e.lmask = 255;
	e.tmap = calloc(e.tmask + 1, sizeof(uint32_t));
	e.lmap = calloc(e.lmask + 1, sizeof(uint32_t));
	e.qlens = malloc((n ? n : 1) * sizeof(uint32_t));
	e.qflags = malloc((n ? n : 1) * sizeof(uint32_t));
	if (!e.tmap || !e.lmap || !e.qlens || !e.qflags) {
		enc_free(&e);
		return -ENOMEM;
	}
	uint32_t nverb = 0;

	for (uint32_t i = 0; i < n && rc == 0; i++) {
		uint8_t vb =
		    verb[i] || !aux_ok(recs[i]) || !tags_fit(&e, recs[i]);
		nverb += vb;
		gdb_buf_add(&e.col[RD_COL_VERB], &vb, 1);
		if (vb) {
			gdb_buf_add(&e.col[RD_COL_VRAW], raw[i],
				    4 + gdb_get_le32(raw[i]));
			continue;
		}
		rc = put_record(&e, recs[i], ref, &prev);
	}
	if (!nverb)
		e.col[RD_COL_VERB].len = 0; /* absent: none kept whole */
	if (rc == 0) {
		/* the tag-line dictionary */
		gdb_buf_add(&e.col[RD_COL_TLDICT], e.lines.p, e.lines.len);
		rc = write_frames(&e, n, tid, ref, out);
	}
	enc_free(&e);
	return rc;
}
