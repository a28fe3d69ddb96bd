/*
 * seq/layout.c - the layout of a FASTA record: how its bytes were laid
 * out around the bases, kept so export gives the file back byte for byte.
 * Bytes specified in docs/FORMAT.md, "Record layout".
 *
 * A record's sequence lines are described by *shapes*: a shape is a line
 * as a list of tokens, each either a count of bases or literal bytes
 * (blanks, '\r', the final '\n'). A 60-column LF line is the shape
 * [60 bases, "\n"]; a GenBank-style line of blocks of ten is one shape
 * too. The record is then a list of runs (shape, repeat count), so the
 * cost is a few bytes per change of line shape, never per line.
 *
 * The builder dedups shapes through a small hash, and checks the
 * previous line's shape first (nearly every line repeats it).
 */
#include "seq/seq_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VARINT 10

void gdb_varint_put(gdb_buf *b, uint64_t v)
{
	uint8_t tmp[MAX_VARINT];
	size_t n = 0;

	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		tmp[n++] = (uint8_t)(byte | (v ? 0x80 : 0));
	} while (v);
	gdb_buf_add(b, tmp, n);
}

size_t gdb_varint_get(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;

	for (size_t i = 0; i < MAX_VARINT && p + i < end; i++) {
		uint64_t part = p[i] & 0x7f;
		if (i == 9 && p[i] > 1)
			return 0; /* more than 64 bits */
		x |= part << (7 * i);
		if (!(p[i] & 0x80)) {
			*v = x;
			return i + 1;
		}
	}
	return 0;
}

/* ---- builder ---- */

void gdb_lb_reset(gdb_layout_b *lb)
{
	lb->pre.len = lb->hpre.len = lb->hpost.len = 0;
	lb->shapes.len = lb->lit.len = 0;
	lb->nsh = lb->nrun = lb->ntok = 0;
	lb->line_bases = 0;
	memset(lb->hbuckets, 0, sizeof(lb->hbuckets));
}

void gdb_lb_free(gdb_layout_b *lb)
{
	gdb_buf_free(&lb->pre);
	gdb_buf_free(&lb->hpre);
	gdb_buf_free(&lb->hpost);
	gdb_buf_free(&lb->shapes);
	gdb_buf_free(&lb->lit);
	gdb_buf_free(&lb->enc);
	free(lb->sh);
	free(lb->run);
	free(lb->tok);
	memset(lb, 0, sizeof(*lb));
}

/* Grow an array of n elements of size sz to hold one more. */
static int grow(void *pp, uint32_t n, uint32_t *cap, size_t sz)
{
	void **p = pp;
	void *q;
	uint32_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	q = realloc(*p, (size_t)c * sz);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

static struct lb_tok *new_tok(gdb_layout_b *lb, int is_lit)
{
	struct lb_tok *t;

	if (lb->ntok && lb->tok[lb->ntok - 1].is_lit == is_lit)
		return &lb->tok[lb->ntok - 1];
	if (grow(&lb->tok, lb->ntok, &lb->captok, sizeof(*lb->tok)) < 0) {
		lb->err = -ENOMEM;
		return NULL;
	}
	t = &lb->tok[lb->ntok++];
	t->len = 0;
	t->is_lit = (uint8_t)is_lit;
	t->lit = (uint32_t)lb->lit.len;
	return t;
}

void gdb_lb_bases(gdb_layout_b *lb, uint64_t n)
{
	struct lb_tok *t;

	if (!n || !(t = new_tok(lb, 0)))
		return;
	t->len += n;
	lb->line_bases += n;
}

void gdb_lb_literal(gdb_layout_b *lb, const char *p, size_t n)
{
	struct lb_tok *t;

	if (!n || !(t = new_tok(lb, 1)))
		return;
	/* a literal's bytes follow each other in lit: tokens alternate */
	gdb_buf_add(&lb->lit, p, n);
	t->len += n;
}

static uint32_t shape_hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 16777619u;
	return h & 255u;
}

/* The index of the shape encoded in lb->enc, added if new. */
static int find_shape(gdb_layout_b *lb)
{
	const char *e = lb->enc.p;
	size_t n = lb->enc.len;
	uint32_t h, i;

	if (lb->nrun) {
		const struct lb_shape *s = &lb->sh[lb->run[lb->nrun - 1].shape];
		if (s->len == n && !memcmp(lb->shapes.p + s->off, e, n))
			return (int)lb->run[lb->nrun - 1].shape;
	}
	h = shape_hash(e, n);
	for (i = lb->hbuckets[h]; i; i = lb->sh[i - 1].next) {
		const struct lb_shape *s = &lb->sh[i - 1];
		if (s->len == n && !memcmp(lb->shapes.p + s->off, e, n))
			return (int)(i - 1);
	}
	if (grow(&lb->sh, lb->nsh, &lb->capsh, sizeof(*lb->sh)) < 0)
		return -ENOMEM;
	lb->sh[lb->nsh] = (struct lb_shape){
	    .off = lb->shapes.len, .len = n, .next = lb->hbuckets[h]};
	gdb_buf_add(&lb->shapes, e, n);
	lb->hbuckets[h] = ++lb->nsh;
	return (int)(lb->nsh - 1);
}

/* The common line, [n bases, "\n"], repeating the last run's shape:
 * counted without encoding it (nearly every line of a genome). */
static int repeat_simple(gdb_layout_b *lb)
{
	const struct lb_tok *t = lb->tok;

	if (lb->ntok != 2 || !lb->nrun || t[0].is_lit || t[1].len != 1 ||
	    lb->lit.p[t[1].lit] != '\n' ||
	    lb->run[lb->nrun - 1].simple != t[0].len)
		return 0;
	lb->run[lb->nrun - 1].count++;
	return 1;
}

uint64_t gdb_lb_simple_width(const gdb_layout_b *lb)
{
	return lb->ntok || lb->err || !lb->nrun ? 0
						: lb->run[lb->nrun - 1].simple;
}

void gdb_lb_repeat(gdb_layout_b *lb, uint64_t k)
{
	lb->run[lb->nrun - 1].count += k;
}

void gdb_lb_line_end(gdb_layout_b *lb)
{
	int s;

	if (!lb->ntok || lb->err || repeat_simple(lb))
		goto out;
	lb->enc.len = 0;
	gdb_varint_put(&lb->enc, lb->ntok);
	for (uint32_t i = 0; i < lb->ntok; i++) {
		const struct lb_tok *t = &lb->tok[i];
		gdb_varint_put(&lb->enc, t->len << 1 | t->is_lit);
		if (t->is_lit)
			gdb_buf_add(&lb->enc, lb->lit.p + t->lit, t->len);
	}
	s = lb->enc.err ? lb->enc.err : find_shape(lb);
	if (s < 0) {
		lb->err = s;
		goto out;
	}
	if (lb->nrun && lb->run[lb->nrun - 1].shape == (uint32_t)s) {
		lb->run[lb->nrun - 1].count++;
	} else if (grow(&lb->run, lb->nrun, &lb->caprun, sizeof(*lb->run)) <
		   0) {
		lb->err = -ENOMEM;
	} else {
		const struct lb_tok *t = lb->tok;
		int simple = lb->ntok == 2 && !t[0].is_lit && t[1].len == 1 &&
			     lb->lit.p[t[1].lit] == '\n';
		lb->run[lb->nrun++] =
		    (struct lb_run){(uint32_t)s, 1, simple ? t[0].len : 0};
	}
out:
	lb->ntok = 0;
	lb->lit.len = 0;
	lb->line_bases = 0;
}

static void put_bytes(gdb_buf *out, const gdb_buf *b)
{
	gdb_varint_put(out, b->len);
	gdb_buf_add(out, b->p, b->len);
}

int gdb_lb_encode(const gdb_layout_b *lb, gdb_buf *out)
{
	out->len = 0;
	if (lb->err)
		return lb->err;
	put_bytes(out, &lb->pre);
	put_bytes(out, &lb->hpre);
	put_bytes(out, &lb->hpost);
	gdb_varint_put(out, lb->nsh);
	gdb_buf_add(out, lb->shapes.p, lb->shapes.len);
	gdb_varint_put(out, lb->nrun);
	for (uint32_t i = 0; i < lb->nrun; i++) {
		gdb_varint_put(out, lb->run[i].shape);
		gdb_varint_put(out, lb->run[i].count);
	}
	return out->err;
}

/* One shape [n bases, "\n"] into out. */
static void put_line_shape(gdb_buf *out, uint64_t n)
{
	gdb_varint_put(out, 2);
	gdb_varint_put(out, n << 1);
	gdb_varint_put(out, 1u << 1 | 1u);
	gdb_buf_add(out, "\n", 1);
}

int gdb_layout_regular(int64_t length, uint32_t width, gdb_buf *out)
{
	uint64_t full, rest;

	out->len = 0;
	if (length <= 0 || width == 0)
		return -EINVAL;
	full = (uint64_t)length / width;
	rest = (uint64_t)length % width;
	gdb_buf_add(out, "\0\0\0", 3); /* no prelude, nothing round the name */
	gdb_varint_put(out, (full ? 1 : 0) + (rest ? 1 : 0));
	if (full)
		put_line_shape(out, width);
	if (rest)
		put_line_shape(out, rest);
	gdb_varint_put(out, (full ? 1 : 0) + (rest ? 1 : 0));
	if (full) {
		gdb_varint_put(out, 0);
		gdb_varint_put(out, full);
	}
	if (rest) {
		gdb_varint_put(out, full ? 1 : 0);
		gdb_varint_put(out, 1);
	}
	return out->err;
}

/* ---- reader ---- */

/* A byte string field: varint length then bytes, each passing ok(). */
static int take_field(const uint8_t **p, const uint8_t *end,
		      const uint8_t **out, size_t *n, int (*ok)(int))
{
	uint64_t v;
	size_t k = gdb_varint_get(*p, end, &v);

	if (!k || v > (uint64_t)(end - *p - (ptrdiff_t)k))
		return GDB_ECORRUPT;
	*p += k;
	for (uint64_t i = 0; i < v; i++)
		if (!ok((*p)[i]))
			return GDB_ECORRUPT;
	*out = *p;
	*n = (size_t)v;
	*p += v;
	return 0;
}

static int prelude_byte(int c)
{
	return c == '\r' || c == '\n';
}

static int cr_byte(int c)
{
	return c == '\r';
}

static int line_byte(int c)
{
	return gdb_seq_blank(c) || c == '\n';
}

/* a + b * c into *sum, unless it overflows. */
static int add_mul(uint64_t *sum, uint64_t b, uint64_t c)
{
	uint64_t m;

	return __builtin_mul_overflow(b, c, &m) ||
	       __builtin_add_overflow(*sum, m, sum);
}

/* One shape: its tokens appended to r->tok; its bases and bytes. */
static int read_shape(gdb_layout_r *r, const uint8_t **p, const uint8_t *end,
		      uint32_t *cap, uint64_t *bases, uint64_t *bytes)
{
	uint64_t ntok, v;
	size_t k = gdb_varint_get(*p, end, &ntok);

	if (!k || ntok == 0 || ntok > (uint64_t)(end - *p))
		return GDB_ECORRUPT;
	*p += k;
	*bases = *bytes = 0;
	for (uint64_t i = 0; i < ntok; i++) {
		struct lr_tok *t;
		uint32_t n = r->first[r->nshapes] + r->ntok[r->nshapes];
		if (grow(&r->tok, n, cap, sizeof(*r->tok)) < 0)
			return -ENOMEM;
		t = &r->tok[n];
		k = gdb_varint_get(*p, end, &v);
		if (!k || (v >> 1) == 0)
			return GDB_ECORRUPT;
		*p += k;
		t->len = v >> 1;
		t->lit = NULL;
		if (v & 1) {
			/* literal bytes follow, without a length of their own
			 */
			if (t->len > (uint64_t)(end - *p))
				return GDB_ECORRUPT;
			for (uint64_t j = 0; j < t->len; j++)
				if (!line_byte((*p)[j]))
					return GDB_ECORRUPT;
			t->lit = *p;
			*p += t->len;
			*bytes += t->len;
		} else if (add_mul(bases, t->len, 1) ||
			   add_mul(bytes, t->len, 1)) {
			return GDB_ECORRUPT;
		}
		r->ntok[r->nshapes]++;
	}
	return 0;
}

/* The shapes; sb/sy: per shape bases and bytes (allocated here). */
static int read_shapes(gdb_layout_r *r, const uint8_t **p, const uint8_t *end,
		       uint64_t **sb, uint64_t **sy)
{
	uint64_t n;
	uint32_t cap = 0;
	size_t k = gdb_varint_get(*p, end, &n);

	/* each shape takes at least two bytes */
	if (!k || n > (uint64_t)(end - *p) / 2)
		return GDB_ECORRUPT;
	*p += k;
	r->first = calloc(n ? n : 1, sizeof(*r->first));
	r->ntok = calloc(n ? n : 1, sizeof(*r->ntok));
	*sb = calloc(n ? n : 1, sizeof(**sb));
	*sy = calloc(n ? n : 1, sizeof(**sy));
	if (!r->first || !r->ntok || !*sb || !*sy)
		return -ENOMEM;
	for (r->nshapes = 0; r->nshapes < n; r->nshapes++) {
		if (r->nshapes)
			r->first[r->nshapes] =
			    r->first[r->nshapes - 1] + r->ntok[r->nshapes - 1];
		GDB_TRY(read_shape(r, p, end, &cap, &(*sb)[r->nshapes],
				   &(*sy)[r->nshapes]));
	}
	return 0;
}

/* The runs: every shape index in range, counts >= 1, totals summed. */
static int read_runs(gdb_layout_r *r, const uint8_t *p, const uint8_t *end,
		     const uint64_t *sb, const uint64_t *sy, uint64_t *bases,
		     uint64_t *bytes)
{
	uint64_t n, shape, count;
	size_t k = gdb_varint_get(p, end, &n);

	if (!k || n > (uint64_t)(end - p) / 2)
		return GDB_ECORRUPT;
	p += k;
	r->runs = p;
	r->nruns = n;
	for (uint64_t i = 0; i < n; i++) {
		k = gdb_varint_get(p, end, &shape);
		if (!k)
			return GDB_ECORRUPT;
		p += k;
		k = gdb_varint_get(p, end, &count);
		if (!k || shape >= r->nshapes || count == 0 ||
		    add_mul(bases, sb[shape], count) ||
		    add_mul(bytes, sy[shape], count))
			return GDB_ECORRUPT;
		p += k;
	}
	return p == end ? 0 : GDB_ECORRUPT;
}

int gdb_layout_read(gdb_layout_r *r, const uint8_t *p, size_t len,
		    int64_t length, size_t header_len, uint64_t *total)
{
	const uint8_t *end = p + len;
	uint64_t *sb = NULL, *sy = NULL, bases = 0, bytes = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	r->end = end;
	rc = take_field(&p, end, &r->pre, &r->npre, prelude_byte);
	if (rc == 0)
		rc = take_field(&p, end, &r->hpre, &r->nhpre, gdb_seq_blank);
	if (rc == 0)
		rc = take_field(&p, end, &r->hpost, &r->nhpost, cr_byte);
	if (rc == 0)
		rc = read_shapes(r, &p, end, &sb, &sy);
	if (rc == 0)
		rc = read_runs(r, p, end, sb, sy, &bases, &bytes);
	bytes += r->npre + 2 + r->nhpre + header_len + r->nhpost;
	if (rc == 0 && (length <= 0 || bases != (uint64_t)length))
		rc = GDB_ECORRUPT;
	free(sb);
	free(sy);
	if (rc < 0) {
		gdb_layout_r_free(r);
		return rc;
	}
	if (total)
		*total = bytes;
	return 0;
}

int gdb_layout_next_run(gdb_layout_r *r, uint32_t *shape, uint64_t *count)
{
	uint64_t s, c;
	size_t k;

	if (!r->nruns)
		return 0;
	k = gdb_varint_get(r->runs, r->end, &s);
	r->runs += k;
	k = gdb_varint_get(r->runs, r->end, &c);
	r->runs += k;
	r->nruns--;
	*shape = (uint32_t)s;
	*count = c;
	return 1;
}

void gdb_layout_r_free(gdb_layout_r *r)
{
	free(r->tok);
	free(r->first);
	free(r->ntok);
	memset(r, 0, sizeof(*r));
}

int gdb_seq_layout_check(const uint8_t *layout, size_t len, int64_t length,
			 size_t header_len, uint64_t fasta_bytes)
{
	gdb_layout_r r;
	uint64_t total = 0;

	GDB_TRY(gdb_layout_read(&r, layout, len, length, header_len, &total));
	gdb_layout_r_free(&r);
	return total == fasta_bytes ? 0 : GDB_ECORRUPT;
}

uint64_t gdb_seq_fasta_bytes(const gdb_contig *c)
{
	uint64_t w, lines;

	if (c->fasta_bytes)
		return c->fasta_bytes;
	/* a version 1 contig: what export writes for it */
	w = c->line_width ? c->line_width : 60;
	lines = ((uint64_t)c->length + w - 1) / w;
	return 2 + strlen(c->name) + strlen(c->desc) + (uint64_t)c->length +
	       lines;
}
