/*
 * seq/fasta.c - the streaming FASTA parser: bytes in, in chunks of any
 * size; records out to a sink (name, description, bases, layout).
 *
 * Every byte of the input is accounted for, either as a base or in the
 * record's layout (seq/layout.c), so an accepted input can be given back
 * byte for byte. What it accepts, as samtools faidx does:
 *  - bytes before the first '>' only if they are blank lines ('\n',
 *    '\r');
 *  - a header line '>' [blanks] name [blank description] ['\r'...]: the
 *    blanks after '>' are skipped (samtools names "> NAME" NAME), the
 *    trailing '\r's of a CRLF file are kept apart from the description;
 *  - sequence lines of IUPAC letters (codecs/ alphabet) and blanks
 *    (' ', '\t', '\r', '\v', '\f': skipped, as samtools and Biopython
 *    skip them, and recorded), blank lines anywhere, no final newline.
 * Anything else is an error naming the file, line and column.
 *
 * Memory is bounded by one header (HEADER_MAX) and the record's layout.
 */
#include "seq/seq_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/codecs.h"
#include "simd/simd.h"

#define HEADER_MAX (1u << 20)
#define BATCH (64u << 10) /* bases of simple lines handed on at once */

enum { C_BAD = 0, C_BASE = 1, C_BLANK = 2 };

struct gdb_fasta_parser {
	const char *path;
	gdb_fasta_sink sink;
	uint8_t cls[256];
	uint64_t line; /* 1-based number of the current line */
	uint64_t col;  /* bytes of the current line so far */
	int at_line_start, in_header, in_record, seen_record;
	char *hdr; /* grows as headers need, to HEADER_MAX */
	size_t hdr_len, hdr_cap;
	uint64_t hdr_line;
	char name[GDB_NAME_MAX + 1];
	const char *desc;
	int64_t nbases;
	/* line width, as before layouts existed: bases a line when every
	 * line but the last holds the same number and no blank line
	 * comes between them */
	uint32_t width;
	int uniform, short_seen, blank_seen, nlines;
	gdb_layout_b lb;
	gdb_buf layout;
	uint32_t nrecords;
	uint32_t alphabet; /* what sequence lines may hold; 0: any */
	char *batch;	   /* BATCH bytes: simple lines' bases, gathered */
};

/* "FILE:LINE: reason" into err; evaluates to GDB_EFORMAT. */
static int fail_at(const gdb_fasta_parser *p, uint64_t line, char *err,
		   size_t errlen, const char *fmt, ...) GDB_PRINTF(5, 6);

static int fail_at(const gdb_fasta_parser *p, uint64_t line, char *err,
		   size_t errlen, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gdb_seterr(err, errlen, "%s:%llu: %s", p->path,
		   (unsigned long long)line, msg);
	return GDB_EFORMAT;
}

int gdb_fasta_parser_new(const char *path, const gdb_fasta_sink *sink,
			 gdb_fasta_parser **out)
{
	gdb_fasta_parser *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->path = path;
	p->sink = *sink;
	p->line = 1;
	p->at_line_start = 1;
	gdb_fasta_parser_alphabet(p, GDB_ALPHA_DNA);
	*out = p;
	return 0;
}

void gdb_fasta_parser_alphabet(gdb_fasta_parser *p, uint32_t alphabet)
{
	/* protein's letters include every nucleotide letter */
	uint32_t a = alphabet ? alphabet : GDB_ALPHA_PROTEIN;

	p->alphabet = alphabet;
	for (int c = 0; c < 256; c++)
		p->cls[c] = gdb_alphabet_valid(a, c) ? C_BASE
			    : gdb_seq_blank(c)	     ? C_BLANK
						     : C_BAD;
}

void gdb_fasta_parser_free(gdb_fasta_parser *p)
{
	if (!p)
		return;
	gdb_lb_free(&p->lb);
	gdb_buf_free(&p->layout);
	free(p->hdr);
	free(p->batch);
	free(p);
}

/* A line of the record has ended with bases on it (or none). */
static void track_width(gdb_fasta_parser *p, uint64_t bases)
{
	if (!bases) {
		if (p->nlines)
			p->blank_seen = 1;
		return;
	}
	if (p->blank_seen)
		p->uniform = 0; /* sequence after a blank line */
	if (p->nlines++ == 0) {
		p->width = bases > UINT32_MAX ? 0 : (uint32_t)bases;
		p->uniform = p->width != 0;
		return;
	}
	if (p->short_seen || bases > p->width)
		p->uniform = 0;
	if (bases < p->width)
		p->short_seen = 1;
}

/* The line being read has ended ("\n" read, or the end of the input). */
static void end_line(gdb_fasta_parser *p, int newline)
{
	if (newline)
		gdb_lb_literal(&p->lb, "\n", 1);
	if (p->in_record)
		track_width(p, p->lb.line_bases);
	gdb_lb_line_end(&p->lb);
}

static int end_record(gdb_fasta_parser *p, char *err, size_t errlen)
{
	gdb_fasta_rec rec;
	gdb_buf reg = {0};
	uint64_t total = 0;
	size_t hl;
	int rc;

	if (!p->in_record)
		return 0;
	hl = strlen(p->name) + strlen(p->desc);
	p->in_record = 0;
	if (p->nbases == 0)
		return fail_at(p, p->hdr_line, err, errlen,
			       "record '%s' has no sequence", p->name);
	rc = gdb_lb_encode(&p->lb, &p->layout);
	if (rc == 0 && p->uniform)
		rc = gdb_layout_regular(p->nbases, p->width, &reg);
	if (rc == 0) {
		gdb_layout_r r;
		rc = gdb_layout_read(&r, (const uint8_t *)p->layout.p,
				     p->layout.len, p->nbases, hl, &total);
		gdb_layout_r_free(&r);
	}
	if (rc < 0) {
		/* a layout the parser built and cannot read back is a bug */
		gdb_buf_free(&reg);
		gdb_seterr(err, errlen, "%s: layout of '%s': %s", p->path,
			   p->name, gdb_strerror(rc));
		return rc == -ENOMEM ? rc : -EIO;
	}
	rec = (gdb_fasta_rec){.name = p->name,
			      .desc = p->desc,
			      .length = p->nbases,
			      .line_width = p->uniform ? p->width : 0,
			      .layout = (const uint8_t *)p->layout.p,
			      .layout_len = p->layout.len,
			      .fasta_bytes = total};
	/* the common case stores no layout: it is implied by the width */
	if (p->uniform && reg.len == p->layout.len &&
	    !memcmp(reg.p, p->layout.p, reg.len))
		rec.layout_len = 0;
	gdb_buf_free(&reg);
	p->nrecords++;
	rc = p->sink.rec_end(p->sink.arg, &rec, err, errlen);
	gdb_lb_reset(&p->lb);
	return rc < 0 ? rc : 0;
}

/* The header line is complete: name, description, record start. */
static int begin_record(gdb_fasta_parser *p, char *err, size_t errlen)
{
	char *h = p->hdr;
	size_t n = p->hdr_len, a = 0, b, post = 0;

	if (memchr(h, 0, n))
		return fail_at(p, p->hdr_line, err, errlen,
			       "NUL byte in the header");
	while (post < n && h[n - 1 - post] == '\r')
		post++;
	n -= post;
	while (a < n && gdb_seq_blank((unsigned char)h[a]))
		a++;
	b = a;
	while (b < n && !gdb_seq_blank((unsigned char)h[b]))
		b++;
	if (b == a)
		return fail_at(p, p->hdr_line, err, errlen,
			       "empty sequence name");
	if (b - a > GDB_NAME_MAX)
		return fail_at(p, p->hdr_line, err, errlen,
			       "sequence name longer than %u bytes",
			       GDB_NAME_MAX);
	memcpy(p->name, h + a, b - a);
	p->name[b - a] = 0;
	gdb_buf_add(&p->lb.hpre, h, a);
	gdb_buf_add(&p->lb.hpost, h + n, post);
	h[n] = 0;
	p->desc = h + b;
	p->in_record = 1;
	p->seen_record = 1;
	p->nbases = 0;
	p->width = 0;
	p->uniform = 1;
	p->short_seen = p->blank_seen = p->nlines = 0;
	{
		char msg[512] = "";
		int rc = p->sink.rec_begin(p->sink.arg, p->name, p->desc, msg,
					   sizeof(msg));
		if (rc < 0) {
			fail_at(p, p->hdr_line, err, errlen, "%s", msg);
			return rc;
		}
	}
	return 0;
}

/* Room for need bytes of header (and its NUL). */
static int hdr_reserve(gdb_fasta_parser *p, size_t need)
{
	size_t cap = p->hdr_cap ? p->hdr_cap : 256;
	char *h;

	if (need <= p->hdr_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	h = realloc(p->hdr, cap);
	if (!h)
		return -ENOMEM;
	p->hdr = h;
	p->hdr_cap = cap;
	return 0;
}

/* Bytes of a header line (no '\n' among them). */
static int header_bytes(gdb_fasta_parser *p, const char *s, size_t n, char *err,
			size_t errlen)
{
	if (p->hdr_len + n > HEADER_MAX)
		return fail_at(p, p->line, err, errlen,
			       "header longer than %u bytes", HEADER_MAX);
	GDB_TRY(hdr_reserve(p, p->hdr_len + n + 1));
	memcpy(p->hdr + p->hdr_len, s, n);
	p->hdr_len += n;
	return 0;
}

static int is_acgt(uint8_t c)
{
	c |= 0x20;
	return c == 'a' || c == 'c' || c == 'g' || c == 't';
}

/* The prefix of s made of ACGT in either case, by the SIMD scan;
 * soft-masked (lower-case) acgt are scanned upper-cased, UPW at a time. */
#define UPW 256
static size_t span_acgt(const gdb_simd_kernels *k, const char *s, size_t n)
{
	char up[UPW];
	size_t i = 0, w;

	for (;;) {
		i += k->find_nonacgt(s + i, n - i);
		if (i == n || !is_acgt((uint8_t)s[i]))
			return i;
		w = n - i < sizeof(up) ? n - i : sizeof(up);
		k->toupper(s + i, w, up);
		i += k->find_nonacgt(up, w); /* at least s[i] */
	}
}

/* The class-C_BASE prefix of s (bases): ACGT by the SIMD scan; other
 * letters (N, IUPAC, a protein's) byte by byte, back to the SIMD scan
 * after ACGT_RUN acgt in a row (a protein rarely has that many). */
#define ACGT_RUN 16
static size_t span_bases(const gdb_fasta_parser *p, const gdb_simd_kernels *k,
			 const char *s, size_t n)
{
	size_t i = 0, run = ACGT_RUN;

	for (;;) {
		if (run >= ACGT_RUN) {
			i += span_acgt(k, s + i, n - i);
			run = 0;
		}
		if (i == n || p->cls[(uint8_t)s[i]] != C_BASE)
			return i;
		run = is_acgt((uint8_t)s[i]) ? run + 1 : 0;
		i++;
	}
}

static int bad_byte(gdb_fasta_parser *p, unsigned char c, char *err,
		    size_t errlen)
{
	if (c >= 0x21 && c < 0x7f && p->alphabet &&
	    gdb_alphabet_valid(GDB_ALPHA_PROTEIN, c))
		return fail_at(p, p->line, err, errlen,
			       "invalid character '%c' in a %s sequence "
			       "(column %llu; --alphabet protein or auto reads "
			       "proteins)",
			       c, gdb_alphabet_name(p->alphabet),
			       (unsigned long long)p->col + 1);
	if (c >= 0x21 && c < 0x7f)
		return fail_at(p, p->line, err, errlen,
			       "invalid character '%c' in sequence (column "
			       "%llu)",
			       c, (unsigned long long)p->col + 1);
	return fail_at(p, p->line, err, errlen,
		       "invalid byte 0x%02x in sequence (column %llu)", c,
		       (unsigned long long)p->col + 1);
}

/* Bytes of a sequence line (no '\n' among them). */
static int sequence_bytes(gdb_fasta_parser *p, const char *s, size_t n,
			  char *err, size_t errlen)
{
	const gdb_simd_kernels *k = gdb_simd();
	size_t i = 0;

	while (i < n) {
		size_t j = i + span_bases(p, k, s + i, n - i);
		if (j > i) {
			int rc = p->sink.bases(p->sink.arg, s + i, j - i, err,
					       errlen);
			if (rc < 0)
				return rc;
			gdb_lb_bases(&p->lb, j - i);
			p->nbases += (int64_t)(j - i);
			p->col += j - i;
			i = j;
		}
		for (j = i; j < n && p->cls[(uint8_t)s[j]] == C_BLANK; j++)
			;
		if (j > i) {
			gdb_lb_literal(&p->lb, s + i, j - i);
			p->col += j - i;
			i = j;
		} else if (i < n) {
			return bad_byte(p, (unsigned char)s[i], err, errlen);
		}
	}
	return 0;
}

/* The first byte of a line: a header, a blank line, or sequence. */
static int line_start(gdb_fasta_parser *p, char c, char *err, size_t errlen)
{
	p->col = 0;
	if (c == '>') {
		GDB_TRY(end_record(p, err, errlen));
		GDB_TRY(hdr_reserve(p, 1));
		p->in_header = 1;
		p->hdr_len = 0;
		p->hdr_line = p->line;
		return 1;
	}
	if (!p->seen_record) {
		/* before the first header only blank lines, kept */
		if (c == '\n' || c == '\r') {
			gdb_buf_add(&p->lb.pre, &c, 1);
			if (c == '\n')
				p->line++;
			return 1;
		}
		return fail_at(p, p->line, err, errlen,
			       "expected '>' at the start of a record");
	}
	return 0;
}

/* Lines [w bases, "\n"] whole at buf[at..n), at most max of them. */
static size_t whole_lines(const char *buf, size_t n, size_t at, uint64_t w,
			  size_t max)
{
	size_t k = 0;

	for (; k < max && n - at > w && buf[at + w] == '\n'; k++)
		at += w + 1;
	return k;
}

/* k more lines of w bases counted, as k times track_width and
 * gdb_lb_repeat would: each repeats the line before it, so only the first
 * could change the width flags; the others add to the counts. */
static void count_lines(gdb_fasta_parser *p, uint64_t w, size_t k)
{
	p->nbases += (int64_t)(w * k);
	track_width(p, w);
	p->nlines += (int)(k - 1);
	gdb_lb_repeat(&p->lb, k);
	p->line += k;
}

/*
 * Whole lines at buf + *pos that repeat the last line's shape, [W bases,
 * "\n"] (nearly every line of a genome): their bases go to the sink and
 * the lines are counted in one step, the same as sequence_bytes and
 * end_line would do token by token. Up to BATCH bases of such lines are
 * gathered (newlines dropped), checked and handed on at once: one sink
 * call and one scan per batch, not per line. The detection pass
 * (alphabet 0) takes one line at a time, as its sample is counted in
 * whole lines. Stops at anything else (a header, a blank, another width,
 * a line cut by the chunk's end).
 */
static int simple_lines(gdb_fasta_parser *p, const char *buf, size_t n,
			size_t *pos, char *err, size_t errlen)
{
	const gdb_simd_kernels *k = gdb_simd();
	uint64_t w = gdb_lb_simple_width(&p->lb);
	size_t at = *pos, nl, ok;
	size_t max = w && w <= BATCH && p->alphabet ? BATCH / w : 1;
	const char *b;
	int rc = 0;

	if (max > 1 && !p->batch && !(p->batch = malloc(BATCH)))
		return -ENOMEM;
	while (w && (nl = whole_lines(buf, n, at, w, max)) > 0) {
		b = buf + at;
		if (max > 1) {
			for (size_t i = 0; i < nl; i++)
				memcpy(p->batch + i * w, buf + at + i * (w + 1),
				       w);
			b = p->batch;
		}
		ok = span_bases(p, k, b, nl * w) / w;
		if (!ok)
			break;
		rc = p->sink.bases(p->sink.arg, b, ok * w, err, errlen);
		if (rc < 0)
			break;
		count_lines(p, w, ok);
		at += ok * (w + 1);
	}
	*pos = at;
	return rc;
}

int gdb_fasta_parse(gdb_fasta_parser *p, const char *buf, size_t n, char *err,
		    size_t errlen)
{
	size_t pos = 0;

	while (pos < n) {
		const char *nl;
		size_t take;

		if (p->at_line_start && p->in_record && !p->in_header) {
			GDB_TRY(simple_lines(p, buf, n, &pos, err, errlen));
			if (pos == n)
				break;
		}
		if (p->at_line_start) {
			int r = line_start(p, buf[pos], err, errlen);
			if (r < 0)
				return r;
			pos += (size_t)r;
			if (r && !p->in_header)
				continue;
			p->at_line_start = 0;
			if (pos == n)
				break;
		}
		nl = memchr(buf + pos, '\n', n - pos);
		take = nl ? (size_t)(nl - (buf + pos)) : n - pos;
		if (p->in_header)
			GDB_TRY(header_bytes(p, buf + pos, take, err, errlen));
		else
			GDB_TRY(
			    sequence_bytes(p, buf + pos, take, err, errlen));
		pos += take;
		if (!nl)
			break;
		pos++;
		if (p->in_header) {
			p->in_header = 0;
			GDB_TRY(begin_record(p, err, errlen));
		} else {
			end_line(p, 1);
		}
		p->line++;
		p->at_line_start = 1;
	}
	return p->lb.err ? p->lb.err : 0;
}

int gdb_fasta_finish(gdb_fasta_parser *p, char *err, size_t errlen)
{
	if (p->in_header) {
		p->in_header = 0;
		GDB_TRY(begin_record(p, err, errlen));
	} else if (!p->at_line_start) {
		end_line(p, 0); /* no final newline */
	}
	GDB_TRY(end_record(p, err, errlen));
	if (p->lb.err)
		return p->lb.err;
	return (int)(p->nrecords > INT32_MAX ? INT32_MAX : p->nrecords);
}
