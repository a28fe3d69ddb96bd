/*
 * fs/ns/compute_sets.c - query sets of /compute/align: the FASTA files
 * users copy to the inbox queries/, read and checked here (each error
 * names the file and line) for compute_ns.c to align (API:
 * fs/ns/compute_int.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/ns/compute_int.h"
#include "simd/simd.h"

void gdb_qset_free(struct gdb_qset *q)
{
	for (size_t i = 0; q->rc && i < q->n; i++)
		free(q->rc[i]);
	free(q->text);
	free(q->name);
	free(q->fw);
	free(q->rc);
	free(q->len);
}

int gdb_qset_file(gdb_inbox *b, const char *set, char *file, size_t cap,
		  char **text, size_t *len)
{
	static const char *const ext[] = {".fa", ".fasta", ""};
	int rc = -ENOENT;

	for (size_t i = 0; i < 3 && rc == -ENOENT; i++) {
		snprintf(file, cap, "%s%s", set, ext[i]);
		rc = gdb_inbox_get(b, file, text, len);
	}
	return rc;
}

static int qset_add(struct gdb_qset *q, size_t *cap, char *name)
{
	if (q->n == MAX_SET_QUERIES)
		return -1;
	if (q->n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		char **a = realloc(q->name, c * sizeof(*a));
		char **b = a ? realloc(q->fw, c * sizeof(*b)) : NULL;
		size_t *l = b ? realloc(q->len, c * sizeof(*l)) : NULL;
		if (a)
			q->name = a;
		if (b)
			q->fw = b;
		if (!l)
			return -1;
		q->len = l;
		*cap = c;
	}
	q->name[q->n] = name;
	q->fw[q->n] = NULL;
	q->len[q->n] = 0;
	q->n++;
	return 0;
}

int gdb_qset_parse(struct gdb_qset *q, const char *file, int prot, char *err,
		   size_t errlen)
{
	char *p = q->text, *w = NULL, *end = q->text + strlen(q->text);
	size_t cap = 0, line = 0, hdr_line = 0;

#define QFAIL(ln, ...)                                                         \
	do {                                                                   \
		int k_ = snprintf(err, errlen, "queries/%s:%zu: ", file, ln);  \
		if (k_ > 0 && (size_t)k_ < errlen)                             \
			snprintf(err + k_, errlen - (size_t)k_, __VA_ARGS__);  \
		return -EINVAL;                                                \
	} while (0)
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *e;
		e = nl ? nl : end;
		line++;
		if (e > p && e[-1] == '\r')
			e[-1] = 0, e--;
		*e = 0;
		if (*p == '>') {
			char *nm = p + 1, *b;
			if (q->n && !q->len[q->n - 1])
				QFAIL(hdr_line, "query '%s' has no sequence",
				      q->name[q->n - 1]);
			b = nm + strcspn(nm, " \t");
			*b = 0;
			if (!*nm)
				QFAIL(line, "a header without a name");
			if (qset_add(q, &cap, nm) < 0)
				QFAIL(line,
				      "more than %d queries, or out of "
				      "memory",
				      MAX_SET_QUERIES);
			hdr_line = line;
			w = NULL;
		} else if (p[strspn(p, " \t")]) { /* not a blank line */
			if (!q->n)
				QFAIL(line, "sequence before the first header "
					    "('>name')");
			if (!w)
				w = q->fw[q->n - 1] = p;
			for (char *r = p; r < e; r++) {
				char u = compute_upper(*r);
				if (*r == ' ' || *r == '\t')
					continue;
				if (!u || !strchr(prot ? PROTEIN_LETTERS
						       : "ACGTURYSWKMBDHVN",
						  u))
					QFAIL(line, "'%c' (byte %zu) is not %s",
					      (unsigned char)*r >= ' ' &&
						      (unsigned char)*r < 127
						  ? *r
						  : '?',
					      (size_t)(r - p) + 1,
					      prot ? "a protein residue letter"
						   : "an IUPAC nucleotide "
						     "letter");
				*w++ = u == 'U' && !prot ? 'T' : u;
				if (++q->len[q->n - 1] > MAX_QUERY)
					QFAIL(line,
					      "query '%s' is longer than "
					      "%d bases",
					      q->name[q->n - 1], MAX_QUERY);
			}
			*w = 0;
		}
		p = e + 1;
	}
	if (!q->n)
		QFAIL(line ? line : (size_t)1, "no queries ('>name' then "
					       "bases)");
	if (!q->len[q->n - 1])
		QFAIL(hdr_line, "query '%s' has no sequence",
		      q->name[q->n - 1]);
#undef QFAIL
	return 0;
}

int gdb_qset_strands(struct gdb_qset *q, unsigned ns, const char **qs,
		     size_t *ls)
{
	for (size_t i = 0; i < q->n; i++) {
		qs[ns * i] = q->fw[i];
		ls[ns * i] = q->len[i];
		if (ns == 1)
			continue;
		if (!(q->rc[i] = malloc(q->len[i] + 1)))
			return -ENOMEM;
		gdb_simd()->revcomp(q->fw[i], q->len[i], q->rc[i]);
		q->rc[i][q->len[i]] = 0;
		qs[ns * i + 1] = q->rc[i];
		ls[ns * i + 1] = q->len[i];
	}
	return 0;
}
