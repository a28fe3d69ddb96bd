/*
 * reads/fq_parse.c - FASTQ records, byte for byte. htslib's BGZF reader
 * gives the decompressed bytes (plain, gzip or bgzip); this file splits
 * them into lines and records, because no library keeps what a lossless
 * store must give back: the text of a '+name' line, wrapped sequence and
 * quality lines, CRLF line ends, a missing final newline, blank lines at
 * the end (docs/FORMAT.md, "FASTQ chunk", says how each is stored).
 *
 * A record is a '@' line (its title: everything after '@'), sequence
 * lines up to a line starting with '+', then quality lines until there
 * are as many qualities as bases (so a quality line may start with '@');
 * a sequence on one line has its quality on one line.
 * Bases are A C G T U N and the IUPAC codes in either case; qualities are
 * '!' to '~'. A file's lines all end the same way (LF or CRLF); only its
 * last line may lack the end. Every error names the file and line.
 *
 * Threading: one fq_in per thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <htslib/bgzf.h>

#include "reads/reads_int.h"

#define READ_CHUNK (1u << 20)

struct fq_in {
	BGZF *z;
	const char *path;
	char *buf;
	size_t cap, beg, end;
	int eof;
	uint64_t line; /* number of the last line returned */
	int crlf;      /* -1 until the first line end */
	int noeol;     /* the last line returned had no end */
	uint32_t trailer;
	uint64_t bytes;
};

int fq_in_open(const char *path, fq_in **out, char *err, size_t errlen)
{
	fq_in *in = calloc(1, sizeof(*in));

	if (!in || !(in->buf = malloc(READ_CHUNK))) {
		free(in);
		return -ENOMEM;
	}
	in->cap = READ_CHUNK;
	in->path = path;
	in->crlf = -1;
	in->z = bgzf_open(path, "r");
	if (!in->z) {
		gdb_seterr(err, errlen, "%s: %s", path,
			   errno ? strerror(errno) : "cannot open");
		free(in->buf);
		free(in);
		return -EIO;
	}
	*out = in;
	return 0;
}

void fq_in_close(fq_in *in)
{
	if (!in)
		return;
	if (in->z)
		(void)bgzf_close(in->z);
	free(in->buf);
	free(in);
}

uint64_t fq_in_bytes(const fq_in *in)
{
	return in->bytes;
}
int fq_in_crlf(const fq_in *in)
{
	return in->crlf == 1;
}
int fq_in_noeol(const fq_in *in)
{
	return in->noeol;
}
uint32_t fq_in_trailer(const fq_in *in)
{
	return in->trailer;
}

static int fail(fq_in *in, char *err, size_t errlen, const char *what)
{
	gdb_seterr(err, errlen, "%s:%llu: %s", in->path,
		   (unsigned long long)in->line, what);
	return GDB_EFORMAT;
}

/* Fill the buffer after what is left of it. @return bytes read, 0, <0 */
static int fill(fq_in *in)
{
	ssize_t n;

	if (in->beg > 0) {
		memmove(in->buf, in->buf + in->beg, in->end - in->beg);
		in->end -= in->beg;
		in->beg = 0;
	}
	if (in->end == in->cap) {
		char *p = realloc(in->buf, in->cap * 2);
		if (!p)
			return -ENOMEM;
		in->buf = p;
		in->cap *= 2;
	}
	n = bgzf_read(in->z, in->buf + in->end, in->cap - in->end);
	if (n < 0)
		return -EIO;
	if (n == 0)
		in->eof = 1;
	in->end += (size_t)n;
	return (int)(n > 0);
}

/*
 * The next line, without its end. @return 1, 0 at the end of the file,
 * or an error (a read error, mixed line ends) with its message in err.
 */
static int next_line(fq_in *in, const char **p, size_t *len, char *err,
		     size_t errlen)
{
	char *nl;
	size_t l;
	int rc, cr;

	for (;;) {
		nl = memchr(in->buf + in->beg, '\n', in->end - in->beg);
		if (nl || in->eof)
			break;
		if ((rc = fill(in)) < 0) {
			in->line++;
			return rc == -EIO ? fail(in, err, errlen,
						 "read error (truncated or "
						 "corrupt gzip/BGZF data?)")
					  : rc;
		}
	}
	if (!nl && in->beg == in->end)
		return 0;
	in->line++;
	*p = in->buf + in->beg;
	l = nl ? (size_t)(nl - *p) : in->end - in->beg;
	in->noeol = !nl;
	cr = nl && l > 0 && (*p)[l - 1] == '\r';
	if (nl && in->crlf < 0)
		in->crlf = cr;
	else if (nl && cr != in->crlf)
		return fail(in, err, errlen, "mixed line ends (CRLF and LF)");
	in->beg += l + (nl ? 1 : 0);
	in->bytes += l + (nl ? 1 : 0);
	*len = l - (size_t)cr;
	return 1;
}

/* Append a line and its end to raw. */
static void raw_line(fq_in *in, gdb_buf *raw, const char *p, size_t len)
{
	gdb_buf_add(raw, p, len);
	if (!in->noeol)
		gdb_buf_add(raw, in->crlf == 1 ? "\r\n" : "\n",
			    in->crlf == 1 ? 2 : 1);
}

void fq_set_reset(fq_set *s)
{
	s->n = 0;
	s->text.len = s->bases.len = s->quals.len = s->layout.len = 0;
	s->raw = 0;
}

void fq_set_free(fq_set *s)
{
	free(s->rec);
	gdb_buf_free(&s->text);
	gdb_buf_free(&s->bases);
	gdb_buf_free(&s->quals);
	gdb_buf_free(&s->layout);
	memset(s, 0, sizeof(*s));
}

fq_rec *fq_set_add(fq_set *s)
{
	uint32_t n = s->n;

	if (n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 1024;
		fq_rec *r = realloc(s->rec, cap * sizeof(*r));
		if (!r)
			return NULL;
		s->rec = r;
		s->cap = cap;
	}
	memset(&s->rec[n], 0, sizeof(s->rec[n]));
	return &s->rec[n];
}

/* Blank lines at the end of a file are its trailer; elsewhere, an error. */
static int blank_run(fq_in *in, char *err, size_t errlen)
{
	uint64_t first = in->line;
	const char *p;
	size_t len;
	int rc;

	in->trailer = 1;
	while ((rc = next_line(in, &p, &len, err, errlen)) == 1) {
		if (len) {
			in->line = first;
			return fail(in, err, errlen,
				    "blank line between records");
		}
		in->trailer++;
	}
	return rc;
}

/* Sequence lines up to the '+' line; r->slen and layout counts set. */
static int read_seq(fq_in *in, fq_set *s, fq_rec *r, gdb_buf *raw,
		    gdb_buf *lines, const char **plus, size_t *plen, char *err,
		    size_t errlen)
{
	const char *p;
	size_t len, bad;
	int rc;

	for (;;) {
		rc = next_line(in, &p, &len, err, errlen);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return fail(
			    in, err, errlen,
			    "the file ends inside a record (no '+' line)");
		raw_line(in, raw, p, len);
		if (len && p[0] == '+')
			break;
		for (bad = 0;
		     bad < len && gdb_codecs_dna_valid((unsigned char)p[bad]);
		     bad++)
			;
		if (bad < len) {
			char msg[80];
			snprintf(msg, sizeof(msg),
				 "'%c' (byte %u) is not a base "
				 "letter",
				 p[bad] >= ' ' && p[bad] < 127 ? p[bad] : '?',
				 (unsigned char)p[bad]);
			return fail(in, err, errlen, msg);
		}
		gdb_buf_add(&s->bases, p, len);
		gdb_codecs_put_uv(lines, len);
		r->slen += (uint32_t)len;
		r->layout++; /* counts sequence lines until the end */
	}
	*plus = p + 1;
	*plen = len - 1;
	return 0;
}

/* Quality lines until there are r->slen of them. */
static int read_qual(fq_in *in, fq_set *s, fq_rec *r, const gdb_qual_bins *b,
		     uint32_t nseq, gdb_buf *raw, gdb_buf *lines,
		     uint32_t *nlines, char *err, size_t errlen)
{
	uint64_t have = 0, seqline = in->line;
	const char *p;
	size_t len;
	int rc;

	/* an empty sequence line has an empty quality line */
	while (have < r->slen || (nseq > 0 && *nlines == 0)) {
		uint8_t *q;
		rc = next_line(in, &p, &len, err, errlen);
		if (rc < 0)
			return rc;
		/* a one-line sequence has a one-line quality: a short one is
		 * an error here, not a reason to read the next record's '@'
		 * line as more qualities */
		if (rc == 0 || have + len > r->slen ||
		    (nseq == 1 && have + len < r->slen)) {
			char msg[160];
			if (rc == 1)
				raw_line(in, raw, p, len);
			snprintf(msg, sizeof(msg),
				 "the sequence has %u bases "
				 "but the quality %s %llu",
				 r->slen, rc == 0 ? "ends after" : "has",
				 (unsigned long long)(have + (rc ? len : 0)));
			in->line = rc == 0 ? seqline : in->line;
			return fail(in, err, errlen, msg);
		}
		q = gdb_buf_room(&s->quals, len);
		if (!q)
			return s->quals.err;
		for (size_t i = 0; i < len; i++) {
			if (p[i] < '!' || p[i] > '~')
				return fail(
				    in, err, errlen,
				    "a quality character outside '!'..'~'");
			q[i] = b->map[(uint8_t)(p[i] - 33)];
		}
		/* the raw copy holds what the store gives back */
		{
			char *w = gdb_buf_room(raw, len);
			if (!w)
				return raw->err;
			for (size_t i = 0; i < len; i++)
				w[i] = (char)(q[i] + 33);
			if (!in->noeol)
				gdb_buf_add(raw, in->crlf == 1 ? "\r\n" : "\n",
					    in->crlf == 1 ? 2 : 1);
		}
		gdb_codecs_put_uv(lines, len);
		(*nlines)++;
		have += len;
	}
	return 0;
}

/* The '+' line's text: none, the title again, or other (kept). */
static void classify_plus(fq_set *s, fq_rec *r, const char *p, size_t len)
{
	if (len == 0) {
		r->flags |= FQ_PLUS_EMPTY;
	} else if (len == r->tlen && !memcmp(p, s->text.p + r->title, len)) {
		r->flags |= FQ_PLUS_TITLE;
	} else {
		r->flags |= FQ_PLUS_OTHER;
		r->plus = (uint32_t)s->text.len;
		r->plen = (uint32_t)len;
		gdb_buf_add(&s->text, p, len);
	}
}

/* The title line; @return 1, 0 (end of file, maybe after blank lines) */
static int read_title(fq_in *in, fq_set *s, fq_rec **rp, gdb_buf *raw,
		      char *err, size_t errlen)
{
	const char *p;
	size_t len;
	int rc = next_line(in, &p, &len, err, errlen);
	fq_rec *r;

	if (rc <= 0)
		return rc;
	if (len == 0)
		return blank_run(in, err, errlen);
	if (p[0] != '@')
		return fail(in, err, errlen, "a record must start with '@'");
	if (memchr(p, 0, len))
		return fail(in, err, errlen, "a NUL byte in the title");
	if (!(r = fq_set_add(s)))
		return -ENOMEM;
	r->title = (uint32_t)s->text.len;
	r->tlen = (uint32_t)(len - 1);
	r->boff = (uint32_t)s->bases.len;
	gdb_buf_add(&s->text, p + 1, len - 1);
	raw_line(in, raw, p, len);
	*rp = r;
	return 1;
}

int fq_read(fq_in *in, fq_set *s, const gdb_qual_bins *bins, gdb_buf *raw,
	    char *err, size_t errlen)
{
	gdb_buf sl = {0}, ql = {0};
	size_t raw0 = raw->len, plen;
	const char *plus;
	uint32_t nseq, nq = 0;
	fq_rec *r = NULL;
	int rc = read_title(in, s, &r, raw, err, errlen);

	if (rc <= 0)
		return rc;
	rc = read_seq(in, s, r, raw, &sl, &plus, &plen, err, errlen);
	if (rc == 0 && memchr(plus, 0, plen))
		rc = fail(in, err, errlen, "a NUL byte in the '+' line");
	if (rc == 0) {
		classify_plus(s, r, plus, plen);
		nseq = r->layout;
		r->layout = 0;
		rc =
		    read_qual(in, s, r, bins, nseq, raw, &ql, &nq, err, errlen);
	}
	if (rc == 0 && (nseq != 1 || nq != 1)) {
		r->flags |= FQ_LAYOUT;
		r->layout = (uint32_t)s->layout.len;
		gdb_codecs_put_uv(&s->layout, nseq);
		gdb_buf_add(&s->layout, sl.p, sl.len);
		gdb_codecs_put_uv(&s->layout, nq);
		gdb_buf_add(&s->layout, ql.p, ql.len);
	}
	gdb_buf_free(&sl);
	gdb_buf_free(&ql);
	if (rc < 0)
		return rc;
	if (s->text.err || s->bases.err || s->quals.err || s->layout.err ||
	    raw->err)
		return -ENOMEM;
	s->n++;
	s->raw += raw->len - raw0;
	return 1;
}
