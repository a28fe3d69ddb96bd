/*
 * motif/parse.c - the JASPAR (.jaspar, .pfm) and MEME (minimal format)
 * parsers: pure functions on caller text that fill gdb_motif count
 * matrices (simd/motif.h) for the PWM kernels; they never touch files.
 * Errors name the line ("line N: reason"); motif/set.c adds the file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/gdb.h"
#include "motif/motif.h"

struct lines {
	const char *p, *end;
};

/* Next line into buf (truncated to cap-1, terminated); 0 at the end. */
static int next_line(struct lines *l, char *buf, size_t cap, int *toolong)
{
	const char *e;
	size_t len;

	if (l->p >= l->end)
		return 0;
	e = memchr(l->p, '\n', (size_t)(l->end - l->p));
	if (!e)
		e = l->end;
	len = (size_t)(e - l->p);
	if (len && l->p[len - 1] == '\r')
		len--;
	*toolong = len >= cap;
	if (len >= cap)
		len = cap - 1;
	memcpy(buf, l->p, len);
	buf[len] = 0;
	l->p = e < l->end ? e + 1 : e;
	return 1;
}

static char *skip_ws(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return !*s;
}

/* Copy the first word of s into dst[64]; returns the rest. */
static char *word(char *s, char *dst)
{
	size_t k = 0;

	s = skip_ws(s);
	while (*s && *s != ' ' && *s != '\t') {
		if (k < 63)
			dst[k++] = *s;
		s++;
	}
	dst[k] = 0;
	return skip_ws(s);
}

static void copy_name(char *dst, const char *s)
{
	size_t k = strlen(s);

	while (k && (s[k - 1] == ' ' || s[k - 1] == '\t'))
		k--;
	if (k > 63)
		k = 63;
	memcpy(dst, s, k);
	dst[k] = 0;
}

#define LINE_MAX_LEN 8192

/* Parse numbers of a JASPAR row (brackets allowed); count or -1. */
static int row_numbers(char *s, double *v, unsigned max)
{
	int n = 0;

	for (;;) {
		char *e;
		double x;

		while (*s == ' ' || *s == '\t' || *s == '[' || *s == ']')
			s++;
		if (!*s)
			return n;
		x = strtod(s, &e);
		if (e == s || (unsigned)n >= max)
			return -1;
		v[n++] = x;
		s = e;
	}
}

int gdb_motif_parse_jaspar(const char *text, size_t n, gdb_motif *out,
			   size_t cap, char *err, size_t errlen)
{
	struct lines l = {text, text + n};
	char *line = malloc(LINE_MAX_LEN);
	gdb_motif cur;
	unsigned row = 0, lineno = 0, have = 0; /* have: bit per base row */
	int count = 0, open = 0, rc = 0, toolong;

	if (!line)
		return -ENOMEM;
	while (next_line(&l, line, LINE_MAX_LEN, &toolong)) {
		char *s = skip_ws(line);
		double v[GDB_PWM_MAXLEN + 1];
		int k, letter = -1;
		unsigned j;

		lineno++;
		if (toolong) {
			gdb_seterr(err, errlen, "line %u: too long", lineno);
			rc = GDB_EFORMAT;
			goto out;
		}
		if (blank(s) || *s == '#')
			continue;
		if (*s == '>') {
			if (open && row != 4)
				goto short_motif;
			memset(&cur, 0, sizeof(cur));
			copy_name(cur.name, word(s + 1, cur.id));
			open = 1;
			row = have = 0;
			continue;
		}
		if (!open) { /* a bare .pfm without a header line */
			memset(&cur, 0, sizeof(cur));
			open = 1;
			row = have = 0;
		}
		if (row == 4) {
			gdb_seterr(err, errlen,
				   "line %u: a fifth matrix row (expected "
				   "'>' to start the next motif)",
				   lineno);
			rc = GDB_EFORMAT;
			goto out;
		}
		switch (*s) {
		case 'A':
		case 'a':
			letter = 0;
			break;
		case 'C':
		case 'c':
			letter = 1;
			break;
		case 'G':
		case 'g':
			letter = 2;
			break;
		case 'T':
		case 't':
			letter = 3;
			break;
		}
		if (letter >= 0)
			s++;
		else
			letter = (int)row;
		if (have & (1u << letter)) {
			gdb_seterr(err, errlen,
				   "line %u: a second %c row in "
				   "motif %s",
				   lineno, "ACGT"[letter],
				   cur.id[0] ? cur.id : "(no header)");
			rc = GDB_EFORMAT;
			goto out;
		}
		have |= 1u << letter;
		k = row_numbers(s, v, GDB_PWM_MAXLEN + 1);
		if (k < 1 || k > GDB_PWM_MAXLEN ||
		    (row && (unsigned)k != cur.len)) {
			gdb_seterr(err, errlen,
				   "line %u: bad matrix row (numbers, 1 to %d "
				   "columns, same count in all four rows)",
				   lineno, GDB_PWM_MAXLEN);
			rc = GDB_EFORMAT;
			goto out;
		}
		cur.len = (unsigned)k;
		for (j = 0; j < (unsigned)k; j++)
			cur.counts[j][letter] = v[j];
		if (++row == 4) {
			if ((size_t)count < cap)
				out[count] = cur;
			count++;
			open = 0;
		}
	}
	if (open && row != 4)
		goto short_motif;
	rc = count;
	goto out;
short_motif:
	if (cur.id[0])
		gdb_seterr(err, errlen, "line %u: motif %s has %u of 4 rows",
			   lineno, cur.id, row);
	else
		gdb_seterr(err, errlen,
			   "line %u: a matrix without a '>' "
			   "header has %u of 4 rows",
			   lineno, row);
	rc = GDB_EFORMAT;
out:
	free(line);
	return rc;
}

/* value of "key= number" in s, or def */
static double meme_field(const char *s, const char *key, double def)
{
	const char *p = strstr(s, key);

	if (!p)
		return def;
	p += strlen(key);
	while (*p == ' ' || *p == '=')
		p++;
	return strtod(p, NULL);
}

int gdb_motif_parse_meme(const char *text, size_t n, gdb_motif *out, size_t cap,
			 char *err, size_t errlen)
{
	struct lines l = {text, text + n};
	char *line = malloc(LINE_MAX_LEN);
	gdb_motif cur;
	unsigned lineno = 0, want = 0, got = 0;
	double nsites = 20;
	int count = 0, have_motif = 0, rc = 0, toolong;

	if (!line)
		return -ENOMEM;
	while (next_line(&l, line, LINE_MAX_LEN, &toolong)) {
		char *s = skip_ws(line);

		lineno++;
		if (toolong) {
			gdb_seterr(err, errlen, "line %u: too long", lineno);
			rc = GDB_EFORMAT;
			goto out;
		}
		if (want > got) { /* inside a matrix */
			double v[5];
			int k;
			unsigned c;

			if (blank(s))
				continue;
			k = row_numbers(s, v, 5);
			if (k != 4) {
				gdb_seterr(err, errlen,
					   "line %u: expected 4 probabilities "
					   "(row %u of %u of motif %s)",
					   lineno, got + 1, want, cur.id);
				rc = GDB_EFORMAT;
				goto out;
			}
			for (c = 0; c < 4; c++)
				cur.counts[got][c] = v[c] * nsites;
			if (++got == want) {
				if ((size_t)count < cap)
					out[count] = cur;
				count++;
				have_motif = 0;
			}
			continue;
		}
		if (!strncmp(s, "ALPHABET", 8)) {
			char *a = strchr(s, '=');
			char alpha[64];

			word(a ? a + 1 : s + 8, alpha);
			if (strcmp(alpha, "ACGT")) {
				gdb_seterr(err, errlen,
					   "line %u: alphabet %s is not ACGT",
					   lineno, alpha);
				rc = GDB_EFORMAT;
				goto out;
			}
		} else if (!strncmp(s, "MOTIF", 5) &&
			   (s[5] == ' ' || s[5] == '\t')) {
			memset(&cur, 0, sizeof(cur));
			copy_name(cur.name, word(s + 5, cur.id));
			have_motif = 1;
		} else if (!strncmp(s, "letter-probability matrix", 25)) {
			double w = meme_field(s, "w=", 0);

			if (!have_motif || !(w >= 1 && w <= GDB_PWM_MAXLEN)) {
				gdb_seterr(err, errlen,
					   "line %u: matrix without MOTIF or "
					   "with w outside 1..%d",
					   lineno, GDB_PWM_MAXLEN);
				rc = GDB_EFORMAT;
				goto out;
			}
			want = (unsigned)w;
			got = 0;
			cur.len = want;
			nsites = meme_field(s, "nsites=", 20);
			if (!(nsites > 0))
				nsites = 20;
		}
	}
	if (want > got) {
		gdb_seterr(err, errlen, "motif %s: %u of %u matrix rows",
			   cur.id, got, want);
		rc = GDB_EFORMAT;
		goto out;
	}
	rc = count;
out:
	free(line);
	return rc;
}
