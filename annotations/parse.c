/*
 * annotations/parse.c - one line of GFF3, GTF or BED into its columns,
 * checked; attribute iteration and GFF3 %-decoding.
 *
 * Hand-written because no maintained C library in Debian reads GFF3's
 * parent/child structure (htslib's tabix reads coordinates only). What a
 * line must be: GFF3 and GTF exactly nine tab-separated columns, start >= 1,
 * end >= start, score "." or a number, strand one of "+-.?", phase "." or
 * 0-2; BED at least three tab-separated columns, start <= end, and the
 * optional columns consistent (strand, thick range inside the feature,
 * blocks sorted, inside, the first at 0 and the last ending at the end).
 * Anything else is GDB_EFORMAT with the reason; the caller adds file and
 * line. Nothing here allocates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotations/annot_int.h"

#define POS_MAX ((int64_t)1 << 62)
#define MAX_COLS 16

const char *gdb_annot_format_name(int fmt)
{
	switch (fmt) {
	case GDB_ANNOT_GFF3:
		return "gff3";
	case GDB_ANNOT_GTF:
		return "gtf";
	case GDB_ANNOT_BED:
		return "bed";
	}
	return NULL;
}

int gdb_annot_format_parse(const char *name)
{
	if (!strcmp(name, "gff3") || !strcmp(name, "gff"))
		return GDB_ANNOT_GFF3;
	if (!strcmp(name, "gtf"))
		return GDB_ANNOT_GTF;
	if (!strcmp(name, "bed"))
		return GDB_ANNOT_BED;
	return -EINVAL;
}

/* Decimal digits only, at most POS_MAX. @return 0 or -1. */
static int parse_pos(const char *p, size_t n, int64_t *out)
{
	int64_t v = 0;

	if (n == 0 || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	if (v > POS_MAX)
		return -1;
	*out = v;
	return 0;
}

/* "." or a number strtod reads whole. */
static int score_ok(const char *p, size_t n)
{
	char buf[64], *end;

	if (n == 1 && p[0] == '.')
		return 1;
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, p, n);
	buf[n] = 0;
	strtod(buf, &end);
	return *end == 0;
}

/* Split at tabs into at most MAX_COLS columns. @return the count. */
static int split_tabs(const char *p, size_t n, const char **col, size_t *len)
{
	int k = 0;
	const char *end = p + n;

	while (k < MAX_COLS) {
		const char *t = memchr(p, '\t', (size_t)(end - p));
		col[k] = p;
		len[k] = t ? (size_t)(t - p) : (size_t)(end - p);
		k++;
		if (!t)
			return k;
		p = t + 1;
	}
	return k + 1; /* more than MAX_COLS */
}

static int blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return 0;
	return 1;
}

static int gff_line(int fmt, const char *p, size_t n, annot_line *l, char *err,
		    size_t errlen)
{
	const char *c[MAX_COLS];
	size_t cl[MAX_COLS];
	int k = split_tabs(p, n, c, cl);

	if (k != 9) {
		gdb_seterr(err, errlen,
			   "%s%d tab-separated columns, expected 9",
			   k > MAX_COLS ? "more than " : "",
			   k > MAX_COLS ? MAX_COLS : k);
		return GDB_EFORMAT;
	}
	if (cl[0] == 0 || cl[2] == 0) {
		gdb_seterr(err, errlen, "empty %s column",
			   cl[0] ? "type" : "seqid");
		return GDB_EFORMAT;
	}
	if (parse_pos(c[3], cl[3], &l->beg) < 0 ||
	    parse_pos(c[4], cl[4], &l->end) < 0 || l->beg < 1) {
		gdb_seterr(err, errlen,
			   "start '%.*s' or end '%.*s' is not a "
			   "positive whole number",
			   (int)cl[3], c[3], (int)cl[4], c[4]);
		return GDB_EFORMAT;
	}
	if (l->end < l->beg) {
		gdb_seterr(err, errlen, "end %lld before start %lld",
			   (long long)l->end, (long long)l->beg);
		return GDB_EFORMAT;
	}
	l->beg--;
	if (!score_ok(c[5], cl[5])) {
		gdb_seterr(err, errlen,
			   "score '%.*s' is neither '.' nor a "
			   "number",
			   (int)cl[5], c[5]);
		return GDB_EFORMAT;
	}
	if (cl[6] != 1 || !strchr("+-.?", c[6][0])) {
		gdb_seterr(err, errlen, "strand '%.*s' is not one of + - . ?",
			   (int)cl[6], c[6]);
		return GDB_EFORMAT;
	}
	l->strand = c[6][0];
	if (cl[7] != 1 || !strchr(".012", c[7][0])) {
		gdb_seterr(err, errlen, "phase '%.*s' is not one of . 0 1 2",
			   (int)cl[7], c[7]);
		return GDB_EFORMAT;
	}
	l->phase = c[7][0] == '.' ? 255 : (uint8_t)(c[7][0] - '0');
	l->type = c[2];
	l->type_len = cl[2];
	l->attrs = c[8];
	l->attrs_len = cl[8] == 1 && c[8][0] == '.' ? 0 : cl[8];
	(void)fmt;
	return 1;
}

/* The next number of a comma-separated list (a trailing comma allowed). */
static int next_num(const char **p, const char *end, int64_t *v)
{
	const char *c = memchr(*p, ',', (size_t)(end - *p));
	size_t l = c ? (size_t)(c - *p) : (size_t)(end - *p);

	if (*p >= end || parse_pos(*p, l, v) < 0)
		return -1;
	*p = c ? c + 1 : end;
	return 0;
}

/* The blocks of a BED12 line: sorted, inside, first at 0, last at end. */
static int bed_blocks(annot_line *l, const char *cnt, size_t cntl,
		      const char *sz, size_t szl, const char *st, size_t stl,
		      char *err, size_t errlen)
{
	int64_t nb, size, start, prev_end = 0, span = l->end - l->beg;
	const char *zp = sz, *tp = st;

	if (parse_pos(cnt, cntl, &nb) < 0 || nb < 1) {
		gdb_seterr(err, errlen, "blockCount '%.*s' is not 1 or more",
			   (int)cntl, cnt);
		return GDB_EFORMAT;
	}
	for (int64_t i = 0; i < nb; i++) {
		if (next_num(&zp, sz + szl, &size) < 0 ||
		    next_num(&tp, st + stl, &start) < 0 ||
		    (i == 0 && start != 0) || start < prev_end ||
		    start + size > span)
			goto bad;
		prev_end = start + size;
	}
	if (prev_end != span || zp != sz + szl || tp != st + stl)
		goto bad;
	l->nblocks = (uint32_t)(nb > UINT32_MAX ? UINT32_MAX : nb);
	l->bsizes = sz;
	l->bstarts = st;
	return 1;
bad:
	gdb_seterr(err, errlen,
		   "blocks (%.*s / %.*s) are not %lld sorted "
		   "blocks from 0 to the feature's length %lld",
		   (int)szl, sz, (int)stl, st, (long long)nb, (long long)span);
	return GDB_EFORMAT;
}

static int bed_line(const char *p, size_t n, annot_line *l, char *err,
		    size_t errlen)
{
	const char *c[MAX_COLS];
	size_t cl[MAX_COLS];
	int k = split_tabs(p, n, c, cl);

	if (k < 3) {
		gdb_seterr(err, errlen,
			   "%d tab-separated column%s, expected 3 "
			   "or more",
			   k, k == 1 ? "" : "s");
		return GDB_EFORMAT;
	}
	if (cl[0] == 0 || parse_pos(c[1], cl[1], &l->beg) < 0 ||
	    parse_pos(c[2], cl[2], &l->end) < 0) {
		gdb_seterr(err, errlen,
			   "expected 'chrom start end' with whole "
			   "numbers, got '%.*s' '%.*s'",
			   (int)cl[1], c[1], (int)cl[2], c[2]);
		return GDB_EFORMAT;
	}
	if (l->end < l->beg) {
		gdb_seterr(err, errlen, "end %lld before start %lld",
			   (long long)l->end, (long long)l->beg);
		return GDB_EFORMAT;
	}
	if (k >= 4 && !(cl[3] == 1 && c[3][0] == '.')) {
		l->name = c[3];
		l->name_len = cl[3];
	}
	if (k >= 5 && !score_ok(c[4], cl[4])) {
		gdb_seterr(err, errlen, "score '%.*s' is not a number",
			   (int)cl[4], c[4]);
		return GDB_EFORMAT;
	}
	if (k >= 6) {
		if (cl[5] != 1 || !strchr("+-.", c[5][0])) {
			gdb_seterr(err, errlen,
				   "strand '%.*s' is not one of "
				   "+ - .",
				   (int)cl[5], c[5]);
			return GDB_EFORMAT;
		}
		l->strand = c[5][0];
	}
	if (k == 7 || (k >= 8 && (parse_pos(c[6], cl[6], &l->tbeg) < 0 ||
				  parse_pos(c[7], cl[7], &l->tend) < 0 ||
				  l->tbeg > l->tend || l->tbeg < l->beg ||
				  l->tend > l->end))) {
		gdb_seterr(
		    err, errlen,
		    "thickStart/thickEnd must be whole "
		    "numbers with start <= thickStart <= thickEnd <= end");
		return GDB_EFORMAT;
	}
	if (k == 10 || k == 11) {
		gdb_seterr(err, errlen,
			   "%d columns: BED12 needs blockCount, "
			   "blockSizes and blockStarts",
			   k);
		return GDB_EFORMAT;
	}
	if (k >= 12)
		return bed_blocks(l, c[9], cl[9], c[10], cl[10], c[11], cl[11],
				  err, errlen);
	return 1;
}

int annot_parse_line(int fmt, const char *p, size_t n, annot_line *l, char *err,
		     size_t errlen)
{
	const char *tab;
	int rc;

	memset(l, 0, sizeof(*l));
	l->strand = '.';
	l->phase = 255;
	l->tbeg = l->tend = -1;
	l->type = l->attrs = l->name = "";
	if (n && p[n - 1] == '\r')
		n--;
	if (blank(p, n))
		return 0;
	if (p[0] == '#') {
		if (fmt == GDB_ANNOT_GFF3 && n == 7 && !memcmp(p, "##FASTA", 7))
			return 2;
		return 0;
	}
	if (fmt == GDB_ANNOT_BED &&
	    ((n >= 5 && !memcmp(p, "track", 5) && (n == 5 || p[5] <= ' ')) ||
	     (n >= 7 && !memcmp(p, "browser", 7) && (n == 7 || p[7] <= ' '))))
		return 0;
	rc = fmt == GDB_ANNOT_BED ? bed_line(p, n, l, err, errlen)
				  : gff_line(fmt, p, n, l, err, errlen);
	if (rc != 1)
		return rc;
	tab = memchr(p, '\t', n);
	l->seqid = p;
	l->seqid_len = (size_t)(tab - p);
	l->text = tab + 1;
	l->text_len = n - l->seqid_len - 1;
	return 1;
}

/* ---- attributes ---- */

static const char *skip_spaces(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* GTF: key "value"; or key value; */
static int gtf_next(annot_attr_it *it, const char **k, size_t *kl,
		    const char **v, size_t *vl)
{
	const char *p = skip_spaces(it->p, it->end), *q;

	while (p < it->end && *p == ';')
		p = skip_spaces(p + 1, it->end);
	if (p >= it->end)
		return 0;
	q = p;
	while (q < it->end && *q != ' ' && *q != ';' && *q != '\t')
		q++;
	*k = p;
	*kl = (size_t)(q - p);
	p = skip_spaces(q, it->end);
	if (p < it->end && *p == '"') {
		q = memchr(p + 1, '"', (size_t)(it->end - p - 1));
		if (!q)
			q = it->end;
		*v = p + 1;
		*vl = (size_t)(q - p - 1);
		q = q < it->end ? q + 1 : q;
	} else {
		q = p;
		while (q < it->end && *q != ';')
			q++;
		*v = p;
		*vl = (size_t)(q - p);
		while (*vl && (p[*vl - 1] == ' ' || p[*vl - 1] == '\t'))
			(*vl)--;
	}
	q = memchr(q, ';', (size_t)(it->end - q));
	it->p = q ? q + 1 : it->end;
	return 1;
}

int annot_attr_next(annot_attr_it *it, const char **k, size_t *kl,
		    const char **v, size_t *vl)
{
	if (it->fmt == GDB_ANNOT_GTF)
		return gtf_next(it, k, kl, v, vl);
	while (it->p < it->end) {
		const char *p = skip_spaces(it->p, it->end);
		const char *semi = memchr(p, ';', (size_t)(it->end - p));
		const char *e = semi ? semi : it->end;
		const char *eq = memchr(p, '=', (size_t)(e - p));
		it->p = semi ? semi + 1 : it->end;
		if (!eq)
			continue; /* "tag" without "=value": not GFF3 */
		*k = p;
		*kl = (size_t)(eq - p);
		*v = eq + 1;
		*vl = (size_t)(e - eq - 1);
		return 1;
	}
	return 0;
}

const char *annot_attr_get(int fmt, const char *attrs, size_t alen,
			   const char *key, size_t *vl)
{
	annot_attr_it it = {fmt, attrs, attrs + alen};
	size_t want = strlen(key), kl;
	const char *k, *v;

	while (annot_attr_next(&it, &k, &kl, &v, vl))
		if (kl == want && !memcmp(k, key, kl))
			return v;
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int64_t annot_unescape(int fmt, const char *v, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (fmt != GDB_ANNOT_GFF3 || v[i] != '%') {
			if (!v[i])
				return -1;
			out[o++] = v[i];
			continue;
		}
		if (i + 2 >= n)
			return -1;
		hi = hexval(v[i + 1]);
		lo = hexval(v[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return -1;
		out[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	out[o] = 0;
	return (int64_t)o;
}
