/*
 * motif/prosite.c - protein patterns in PROSITE syntax (docs/PATHS.md
 * "Computed files"): compiled into residue classes with repeat counts,
 * and found in a sequence at every start where they match, with the
 * match a backtracking regular expression engine (Python's re) takes
 * there: each element as many residues as it can while the rest still
 * matches, the first element first.
 *
 * Finding: one backward pass per element over the sequence decides, for
 * every position, whether the pattern's tail from that element matches
 * there (a bit); a start's match is then walked forward, each element
 * taking the most residues whose tail bit is set. O(elements x length)
 * time and bits, whatever the repeat counts.
 */
#include "motif/motif.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ALL_RESIDUES 0xffffffffu

/* A residue's class bit: A-Z (any case) 0-25, '*' 26; other bytes 31. */
static uint32_t residue_bit(unsigned char ch)
{
	if (ch >= 'a' && ch <= 'z')
		ch = (unsigned char)(ch - 32);
	if (ch >= 'A' && ch <= 'Z')
		return 1u << (ch - 'A');
	return ch == '*' ? 1u << 26 : 1u << 31;
}

/* A residue letter a pattern may name: upper case, or '*'. */
static int pattern_residue(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || ch == '*';
}

/* "(n)" or "(n,m)" after an element; p at '('. @return chars read or -1 */
static int parse_repeat(const char *p, const char *end, uint32_t *lo,
			uint32_t *hi)
{
	const char *q = p + 1;
	uint32_t v[2] = {0, 0};
	int k = 0;

	for (;; q++) {
		if (q >= end)
			return -1;
		if (*q >= '0' && *q <= '9') {
			v[k] = v[k] * 10 + (uint32_t)(*q - '0');
			if (v[k] > GDB_PROSITE_MAX_SPAN)
				return -1;
		} else if (*q == ',' && k == 0 && q > p + 1) {
			k = 1;
		} else if (*q == ')' && q[-1] != '(' && q[-1] != ',') {
			break;
		} else {
			return -1;
		}
	}
	*lo = v[0];
	*hi = k ? v[1] : v[0];
	return *lo <= *hi ? (int)(q + 1 - p) : -1;
}

/* One element at p: a residue, x, [..] or {..}. @return chars or -1 */
static int parse_class(const char *p, const char *end, uint32_t *mask)
{
	const char *q;

	if (*p == 'x') {
		*mask = ALL_RESIDUES;
		return 1;
	}
	if (pattern_residue(*p)) {
		*mask = residue_bit((unsigned char)*p);
		return 1;
	}
	if (*p != '[' && *p != '{')
		return -1;
	*mask = 0;
	for (q = p + 1; q < end && pattern_residue(*q); q++)
		*mask |= residue_bit((unsigned char)*q);
	if (q >= end || q == p + 1 || *q != (*p == '[' ? ']' : '}'))
		return -1;
	if (*p == '{')
		*mask = ~*mask;
	return (int)(q + 1 - p);
}

int gdb_prosite_compile(const char *pat, size_t len, gdb_prosite *out)
{
	const char *p = pat, *end = pat + len;

	memset(out, 0, sizeof(*out));
	if (len && end[-1] == '.')
		end--;
	if (p < end && *p == '<')
		out->anchor_start = 1, p++;
	if (end > p && end[-1] == '>')
		out->anchor_end = 1, end--;
	while (p < end) {
		gdb_prosite_elem *e = &out->e[out->n];
		int k;
		if (out->n == GDB_PROSITE_MAX_ELEMS)
			return -EINVAL;
		if ((k = parse_class(p, end, &e->mask)) < 0)
			return -EINVAL;
		p += k;
		e->min = e->max = 1;
		if (p < end && *p == '(') {
			if ((k = parse_repeat(p, end, &e->min, &e->max)) < 0)
				return -EINVAL;
			p += k;
		}
		out->minlen += e->min;
		out->maxlen += e->max;
		out->n++;
		if (p < end && (*p != '-' || p + 1 == end))
			return -EINVAL;
		p += p < end;
	}
	/* a pattern that may match nothing would match everywhere */
	if (!out->n || out->minlen == 0 || out->maxlen > GDB_PROSITE_MAX_SPAN)
		return -EINVAL;
	return 0;
}

#define BIT(row, i) (((row)[(i) >> 6] >> ((i)&63)) & 1)

/* Element k's longest run of its class at i, at most its max. */
static uint32_t run_at(const gdb_prosite_elem *e, const char *seq, size_t n,
		       size_t i)
{
	uint32_t r = 0;

	while (r < e->max && i + r < n &&
	       (residue_bit((unsigned char)seq[i + r]) & e->mask))
		r++;
	return r;
}

/*
 * Row k (k < np) from row k + 1: position i can start elements k.. when
 * some j in [i + min, i + min(max, run)] starts elements k + 1.. (nxt[j]:
 * the first such j at or after j, n + 1 for none).
 */
static void fill_row(const gdb_prosite_elem *e, const char *seq, size_t n,
		     const uint64_t *next, uint64_t *row, uint32_t *nxt)
{
	uint32_t run = 0;

	nxt[n + 1] = (uint32_t)n + 1;
	for (size_t j = n + 1; j-- > 0;)
		nxt[j] = BIT(next, j) ? (uint32_t)j : nxt[j + 1];
	for (size_t i = n + 1; i-- > 0;) {
		/* run of the class from i, uncapped until used */
		run = i < n && (residue_bit((unsigned char)seq[i]) & e->mask)
			  ? run + 1
			  : 0;
		uint32_t hi = run < e->max ? run : e->max;
		if (hi >= e->min && i + e->min <= n &&
		    nxt[i + e->min] <= i + hi)
			row[i >> 6] |= (uint64_t)1 << (i & 63);
	}
}

/* The greedy match from i (rows[0] has its bit): its length. */
static size_t walk(const gdb_prosite *p, const char *seq, size_t n,
		   uint64_t *const *rows, size_t i)
{
	size_t at = i;

	for (unsigned k = 0; k < p->n; k++) {
		uint32_t c = run_at(&p->e[k], seq, n, at);
		while (c > p->e[k].min && !BIT(rows[k + 1], at + c))
			c--;
		at += c;
	}
	return at - i;
}

int64_t gdb_prosite_find(const gdb_prosite *p, const char *seq, size_t n,
			 unsigned flags, gdb_prosite_hit *hits, size_t cap)
{
	size_t words = (n + 1) / 64 + 1, nh = 0;
	uint64_t *bits, *rows[GDB_PROSITE_MAX_ELEMS + 1];
	uint32_t *nxt;

	if (n > UINT32_MAX - 2)
		return -E2BIG;
	bits = calloc((size_t)(p->n + 1) * words, sizeof(*bits));
	nxt = malloc((n + 2) * sizeof(*nxt));
	if (!bits || !nxt) {
		free(bits);
		free(nxt);
		return -ENOMEM;
	}
	for (unsigned k = 0; k <= p->n; k++)
		rows[k] = bits + (size_t)k * words;
	/* the end of the pattern: anywhere, or the sequence's end ('>') */
	if (!p->anchor_end)
		memset(rows[p->n], 0xff, words * sizeof(*bits));
	else if (flags & GDB_PROSITE_AT_END)
		rows[p->n][n >> 6] |= (uint64_t)1 << (n & 63);
	for (unsigned k = p->n; k-- > 0;)
		fill_row(&p->e[k], seq, n, rows[k + 1], rows[k], nxt);
	for (size_t i = 0; i < n; i++) {
		if (!BIT(rows[0], i))
			continue;
		if (p->anchor_start &&
		    (i > 0 || !(flags & GDB_PROSITE_AT_START)))
			break;
		if (nh < cap) {
			hits[nh].pos = i;
			hits[nh].len = walk(p, seq, n, rows, i);
		}
		nh++;
	}
	free(bits);
	free(nxt);
	return (int64_t)nh;
}
