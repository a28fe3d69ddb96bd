/*
 * reads/fq_chunk.c - the FASTQ chunk codec and record renderer: the
 * records of one file (or of both mates of a pair, in step) as one column
 * per field (docs/FORMAT.md, "FASTQ chunk"), and back to their bytes.
 *
 * A pair shares its columns: flags, lengths, bases and qualities hold
 * mate 1's records then mate 2's, so the base and quality models learn
 * from both; mate 2's titles are stored as what differs from mate 1's
 * (usually one character, "/1" against "/2").
 *
 * Decoding treats the chunk as hostile: counts are bounded by what the
 * columns hold, and every column must be used up exactly.
 *
 * Threading: reentrant.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reads/reads_int.h"

/* The most raw bytes one column may claim. */
#define MAX_COL ((size_t)1 << 30)

typedef struct colset {
	gdb_buf b[FQ_NCOL];
} colset;

static void put_titles(fq_set *const m[2], colset *c)
{
	for (uint32_t i = 0; i < m[0]->n; i++) {
		const fq_rec *r = &m[0]->rec[i];
		gdb_buf_add(&c->b[FQ_COL_TITLE], m[0]->text.p + r->title,
			    r->tlen);
		gdb_buf_add(&c->b[FQ_COL_TITLE], "", 1);
	}
	for (uint32_t i = 0; m[1] && i < m[1]->n; i++) {
		const fq_rec *a = &m[0]->rec[i], *b = &m[1]->rec[i];
		const char *s = m[0]->text.p + a->title;
		const char *t = m[1]->text.p + b->title;
		uint32_t pre = 0, suf = 0,
			 lim = a->tlen < b->tlen ? a->tlen : b->tlen;
		while (pre < lim && s[pre] == t[pre])
			pre++;
		while (suf < lim - pre &&
		       s[a->tlen - 1 - suf] == t[b->tlen - 1 - suf])
			suf++;
		/* mate 1's bytes after the shared prefix: constant when the
		 * titles differ near their ends ("/1" and "/2") */
		gdb_codecs_put_uv(&c->b[FQ_COL_T2PRE], a->tlen - pre);
		gdb_codecs_put_uv(&c->b[FQ_COL_T2SUF], suf);
		gdb_buf_add(&c->b[FQ_COL_T2MID], t + pre, b->tlen - pre - suf);
		gdb_buf_add(&c->b[FQ_COL_T2MID], "", 1);
	}
}

static void put_fields(const fq_set *s, colset *c)
{
	for (uint32_t i = 0; i < s->n; i++) {
		const fq_rec *r = &s->rec[i];
		gdb_buf_add(&c->b[FQ_COL_FLAGS], &r->flags, 1);
		gdb_codecs_put_uv(&c->b[FQ_COL_LEN], r->slen);
		if ((r->flags & FQ_PLUS_MASK) == FQ_PLUS_OTHER) {
			gdb_buf_add(&c->b[FQ_COL_PLUS], s->text.p + r->plus,
				    r->plen);
			gdb_buf_add(&c->b[FQ_COL_PLUS], "", 1);
		}
	}
	gdb_buf_add(&c->b[FQ_COL_LAYOUT], s->layout.p, s->layout.len);
}

/* Both mates' bases and qualities, in one stream each. */
static int put_sequences(fq_set *const m[2], gdb_buf *bases_out,
			 gdb_buf *qual_out)
{
	size_t nrec = m[0]->n + (m[1] ? m[1]->n : 0), k = 0;
	uint32_t *lens = malloc((nrec ? nrec : 1) * sizeof(*lens));
	uint32_t *flags = malloc((nrec ? nrec : 1) * sizeof(*flags));
	gdb_buf b = {0}, q = {0};
	int rc = lens && flags ? 0 : -ENOMEM;

	for (int mt = 0; mt < 2 && rc == 0 && m[mt]; mt++) {
		for (uint32_t i = 0; i < m[mt]->n; i++, k++) {
			lens[k] = m[mt]->rec[i].slen;
			flags[k] = mt ? 0x80 : 0; /* fqzcomp: second of pair */
		}
		gdb_buf_add(&b, m[mt]->bases.p, m[mt]->bases.len);
		gdb_buf_add(&q, m[mt]->quals.p, m[mt]->quals.len);
	}
	if (rc == 0)
		rc = b.err ? b.err : q.err;
	if (rc == 0)
		rc = gdb_codecs_bases_encode(b.p, b.len, lens, nrec, bases_out,
					     NULL);
	if (rc == 0)
		rc = gdb_codecs_col_encode_quals((uint8_t *)q.p, q.len, lens,
						 flags, nrec, qual_out);
	free(lens);
	free(flags);
	gdb_buf_free(&b);
	gdb_buf_free(&q);
	return rc;
}

int fq_chunk_encode(fq_set *const m[2], gdb_buf *out)
{
	colset c;
	gdb_buf fr = {0};
	uint8_t *h;
	size_t dir;
	uint32_t ncols = 0;
	int rc = 0;

	if (m[1] && m[1]->n != m[0]->n)
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	put_titles(m, &c);
	put_fields(m[0], &c);
	if (m[1])
		put_fields(m[1], &c);
	for (int k = 1; k < FQ_NCOL; k++)
		ncols +=
		    c.b[k].len > 0 || k == FQ_COL_BASES || k == FQ_COL_QUAL;
	if (!(h = gdb_buf_room(out, RD_FQ_HDR + (size_t)ncols * 8))) {
		rc = out->err;
		goto out;
	}
	gdb_put_le32(h, m[0]->n);
	gdb_put_le32(h + 4, m[1] ? 1 : 0);
	gdb_put_le32(h + 8, ncols);
	gdb_put_le32(h + 12, 0);
	dir = out->len - (size_t)ncols * 8;
	ncols = 0;
	for (int k = 1; k < FQ_NCOL && rc == 0; k++) {
		size_t before = fr.len;
		if (k == FQ_COL_BASES)
			rc = put_sequences(m, &fr, &c.b[FQ_COL_QUAL]);
		else if (k == FQ_COL_QUAL)
			gdb_buf_add(&fr, c.b[k].p, c.b[k].len); /* made above */
		else if (!c.b[k].len)
			continue;
		else if (k == FQ_COL_TITLE || k == FQ_COL_T2MID ||
			 k == FQ_COL_PLUS)
			rc = gdb_codecs_col_encode_names(c.b[k].p, c.b[k].len,
							 &fr);
		else
			rc = gdb_codecs_col_encode(
			    (uint8_t *)c.b[k].p, c.b[k].len, GDB_COL_ALL, &fr);
		gdb_put_le32(out->p + dir + 8 * ncols, (uint32_t)k);
		gdb_put_le32(out->p + dir + 8 * ncols + 4,
			     (uint32_t)(fr.len - before));
		ncols++;
	}
	if (rc == 0)
		gdb_buf_add(out, fr.p, fr.len);
out:
	for (int k = 0; k < FQ_NCOL; k++)
		gdb_buf_free(&c.b[k]);
	gdb_buf_free(&fr);
	return rc < 0 ? rc : out->err;
}

/* ---- decoding ---- */

typedef struct dcols {
	uint8_t *raw[FQ_NCOL];
	size_t len[FQ_NCOL];
	const uint8_t *bases; /* the bases encoding, in place */
	size_t bases_len;
	const uint8_t *at[FQ_NCOL]; /* read cursors */
	int err;
	int titles_only;
} dcols;

static void dcols_free(dcols *d)
{
	for (int k = 0; k < FQ_NCOL; k++)
		free(d->raw[k]);
}

static int load_cols(const uint8_t *p, size_t len, uint32_t ncols, dcols *d)
{
	size_t at = RD_FQ_HDR + (size_t)ncols * 8;
	uint32_t prev = 0;

	if (ncols >= FQ_NCOL || (len - RD_FQ_HDR) / 8 < ncols)
		return GDB_ECORRUPT;
	for (uint32_t i = 0; i < ncols; i++) {
		uint32_t id = gdb_get_le32(p + RD_FQ_HDR + 8 * i);
		size_t fl = gdb_get_le32(p + RD_FQ_HDR + 8 * i + 4);
		int rc;
		if (id <= prev || id >= FQ_NCOL || fl > len - at)
			return GDB_ECORRUPT;
		prev = id;
		if (id == FQ_COL_BASES) {
			d->bases = p + at;
			d->bases_len = fl;
		} else if (id == FQ_COL_QUAL && d->titles_only) {
			/* left coded: only titles are wanted */
		} else {
			rc = gdb_codecs_col_decode(p + at, fl, MAX_COL,
						   &d->raw[id], &d->len[id]);
			if (rc < 0)
				return rc;
		}
		d->at[id] = d->raw[id];
		at += fl;
	}
	return at == len && d->bases ? 0 : GDB_ECORRUPT;
}

static const uint8_t *end_of(const dcols *d, int k)
{
	return d->raw[k] ? d->raw[k] + d->len[k] : NULL;
}

/* The next NUL-terminated string of column k. */
static const char *take_str(dcols *d, int k, size_t *len)
{
	const uint8_t *p = d->at[k], *e = end_of(d, k), *z;

	if (!p || !(z = memchr(p, 0, (size_t)(e - p)))) {
		d->err = 1;
		return "";
	}
	*len = (size_t)(z - p);
	d->at[k] = z + 1;
	return (const char *)p;
}

static uint64_t take_uv(dcols *d, int k)
{
	if (!d->at[k]) {
		d->err = 1;
		return 0;
	}
	return gdb_codecs_get_uv(&d->at[k], end_of(d, k), &d->err);
}

/* Copy one record's line lengths, checking they add up to slen. */
static void take_layout(dcols *d, fq_set *s, fq_rec *r)
{
	const uint8_t *a = d->at[FQ_COL_LAYOUT];

	r->layout = (uint32_t)s->layout.len;
	for (int part = 0; part < 2; part++) {
		uint64_t nl = take_uv(d, FQ_COL_LAYOUT), sum = 0;
		if (nl > r->slen + 1ull || (part && nl == 0 && sum != r->slen))
			d->err = 1;
		for (uint64_t i = 0; i < nl && !d->err; i++)
			sum += take_uv(d, FQ_COL_LAYOUT);
		if (sum != r->slen)
			d->err = 1;
	}
	if (!d->err)
		gdb_buf_add(&s->layout, a, (size_t)(d->at[FQ_COL_LAYOUT] - a));
}

/* The title of record i of mate mt (mate 2: from mate 1's). */
static void take_title(dcols *d, fq_set *m[2], int mt, uint32_t i, fq_rec *r)
{
	size_t l = 0;
	const char *t;

	r->title = (uint32_t)m[mt]->text.len;
	if (mt == 0) {
		t = take_str(d, FQ_COL_TITLE, &l);
		gdb_buf_add(&m[0]->text, t, l);
	} else {
		const fq_rec *a = &m[0]->rec[i];
		uint64_t rest = take_uv(d, FQ_COL_T2PRE), pre;
		uint64_t suf = take_uv(d, FQ_COL_T2SUF);
		t = take_str(d, FQ_COL_T2MID, &l);
		pre = a->tlen - rest;
		if (rest > a->tlen || pre + suf > a->tlen) {
			d->err = 1;
			return;
		}
		gdb_buf_add(&m[1]->text, m[0]->text.p + a->title, pre);
		gdb_buf_add(&m[1]->text, t, l);
		gdb_buf_add(&m[1]->text,
			    m[0]->text.p + a->title + a->tlen - suf, suf);
		l += pre + suf;
	}
	r->tlen = (uint32_t)l;
}

static void take_record(dcols *d, fq_set *m[2], int mt, uint32_t i,
			uint64_t *boff)
{
	fq_rec *r = fq_set_add(m[mt]);
	const uint8_t *f = d->at[FQ_COL_FLAGS];

	if (!r || !f || f >= end_of(d, FQ_COL_FLAGS)) {
		d->err = 1;
		return;
	}
	r->flags = *f;
	d->at[FQ_COL_FLAGS] = f + 1;
	if ((r->flags & ~(FQ_PLUS_MASK | FQ_LAYOUT)) ||
	    (r->flags & FQ_PLUS_MASK) > FQ_PLUS_OTHER)
		d->err = 1;
	r->slen = (uint32_t)take_uv(d, FQ_COL_LEN);
	r->boff = (uint32_t)*boff;
	*boff += r->slen;
	take_title(d, m, mt, i, r);
	if ((r->flags & FQ_PLUS_MASK) == FQ_PLUS_OTHER) {
		size_t l = 0;
		const char *t = take_str(d, FQ_COL_PLUS, &l);
		r->plus = (uint32_t)m[mt]->text.len;
		r->plen = (uint32_t)l;
		gdb_buf_add(&m[mt]->text, t, l);
	}
	if (r->flags & FQ_LAYOUT)
		take_layout(d, m[mt], r);
	if (!d->err)
		m[mt]->n++;
}

/* Bases and qualities of all records, split between the mates. */
static int take_sequences(dcols *d, fq_set *m[2], int nm, size_t total)
{
	size_t nrec = m[0]->n + (nm > 1 ? m[1]->n : 0), k = 0, at = 0;
	uint32_t *lens = malloc((nrec ? nrec : 1) * sizeof(*lens));
	char *b = malloc(total ? total : 1);
	int rc = lens && b ? 0 : -ENOMEM;

	for (int mt = 0; mt < nm && rc == 0; mt++)
		for (uint32_t i = 0; i < m[mt]->n; i++)
			lens[k++] = m[mt]->rec[i].slen;
	if (rc == 0)
		rc = gdb_codecs_bases_decode(d->bases, d->bases_len, lens, nrec,
					     b, total);
	if (rc == 0 && d->len[FQ_COL_QUAL] != total)
		rc = GDB_ECORRUPT;
	d->at[FQ_COL_QUAL] = end_of(d, FQ_COL_QUAL);
	for (size_t i = 0; rc == 0 && i < total; i++)
		if (d->raw[FQ_COL_QUAL][i] > 93)
			rc = GDB_ECORRUPT;
	for (int mt = 0; mt < nm && rc == 0; mt++) {
		size_t n = m[mt]->n ? m[mt]->rec[m[mt]->n - 1].boff +
					  m[mt]->rec[m[mt]->n - 1].slen
				    : 0;
		gdb_buf_add(&m[mt]->bases, b + at, n);
		gdb_buf_add(&m[mt]->quals, d->raw[FQ_COL_QUAL] + at, n);
		at += n;
		rc = m[mt]->bases.err ? m[mt]->bases.err : m[mt]->quals.err;
	}
	free(lens);
	free(b);
	return rc;
}

int fq_chunk_decode(const uint8_t *p, size_t len, fq_set *m[2])
{
	return fq_chunk_decode2(p, len, m, 0);
}

int fq_chunk_decode2(const uint8_t *p, size_t len, fq_set *m[2],
		     int titles_only)
{
	dcols d;
	uint32_t n, paired;
	uint64_t boff[2] = {0, 0};
	int rc, nm;

	if (len < RD_FQ_HDR)
		return GDB_ECORRUPT;
	n = gdb_get_le32(p);
	paired = gdb_get_le32(p + 4);
	if (paired > 1 || (paired && !m[1]) || n > RD_FQ_CHUNK_RECS ||
	    gdb_get_le32(p + 12))
		return GDB_ECORRUPT;
	nm = paired ? 2 : 1;
	memset(&d, 0, sizeof(d));
	d.titles_only = titles_only;
	for (int mt = 0; mt < nm; mt++)
		fq_set_reset(m[mt]);
	rc = load_cols(p, len, gdb_get_le32(p + 8), &d);
	for (int mt = 0; mt < nm && rc == 0; mt++) {
		for (uint32_t i = 0; i < n && !d.err; i++)
			take_record(&d, m, mt, i, &boff[mt]);
		if (d.err || boff[mt] > MAX_COL)
			rc = GDB_ECORRUPT;
	}
	if (rc == 0 && !titles_only)
		rc = take_sequences(&d, m, nm, (size_t)(boff[0] + boff[1]));
	for (int k = 1; rc == 0 && k < FQ_NCOL; k++)
		if (k != FQ_COL_BASES && (k != FQ_COL_QUAL || !titles_only) &&
		    d.at[k] != end_of(&d, k))
			rc = GDB_ECORRUPT;
	dcols_free(&d);
	return rc;
}

/* ---- rendering ---- */

static void line(gdb_buf *out, const char *p, size_t n, const char *eol,
		 int end)
{
	gdb_buf_add(out, p, n);
	if (end)
		gdb_buf_add(out, eol, strlen(eol));
}

static void qual_line(gdb_buf *out, const uint8_t *q, size_t n, const char *eol,
		      int end)
{
	char *w = gdb_buf_room(out, n);

	for (size_t i = 0; w && i < n; i++)
		w[i] = (char)(q[i] + 33);
	if (end)
		gdb_buf_add(out, eol, strlen(eol));
}

void fq_render_rec(const fq_set *s, uint32_t i, const char *eol, int noeol,
		   gdb_buf *out)
{
	const fq_rec *r = &s->rec[i];
	const char *b = s->bases.p + r->boff;
	const uint8_t *q = (const uint8_t *)s->quals.p + r->boff;
	const uint8_t *lp = NULL, *le = NULL;
	uint64_t nseq = 1, nq = 1, at = 0;
	int err = 0;

	if (r->flags & FQ_LAYOUT) {
		lp = (const uint8_t *)s->layout.p + r->layout;
		le = (const uint8_t *)s->layout.p + s->layout.len;
	}
	gdb_buf_add(out, "@", 1);
	line(out, s->text.p + r->title, r->tlen, eol, 1);
	if (r->flags & FQ_LAYOUT)
		nseq = gdb_codecs_get_uv(&lp, le, &err);
	for (uint64_t k = 0; k < nseq; k++) {
		uint64_t l = r->flags & FQ_LAYOUT
				 ? gdb_codecs_get_uv(&lp, le, &err)
				 : r->slen;
		line(out, b + at, (size_t)l, eol, 1);
		at += l;
	}
	gdb_buf_add(out, "+", 1);
	if ((r->flags & FQ_PLUS_MASK) == FQ_PLUS_TITLE)
		gdb_buf_add(out, s->text.p + r->title, r->tlen);
	else if ((r->flags & FQ_PLUS_MASK) == FQ_PLUS_OTHER)
		gdb_buf_add(out, s->text.p + r->plus, r->plen);
	if (r->flags & FQ_LAYOUT)
		nq = gdb_codecs_get_uv(&lp, le, &err);
	line(out, "", 0, eol, nq > 0 || !noeol);
	at = 0;
	for (uint64_t k = 0; k < nq; k++) {
		uint64_t l = r->flags & FQ_LAYOUT
				 ? gdb_codecs_get_uv(&lp, le, &err)
				 : r->slen;
		qual_line(out, q + at, (size_t)l, eol, k + 1 < nq || !noeol);
		at += l;
	}
}
