/*
 * fs/ns/compute_int.h - what /compute's sources share: the limits and
 * letters of alignment queries (compute_ns.c) and the query sets, FASTA
 * files users copy to the inbox queries/ (compute_sets.c).
 */
#ifndef GDB_COMPUTE_INT_H
#define GDB_COMPUTE_INT_H

#include <stddef.h>

#include "fs/ns/ns.h"

#define MAX_QUERY 1000 /* bases (residues) of one query */
#define MAX_SET_QUERIES 100000
/* The residue letters a protein query may hold (any case): the codes of
 * a protein assembly's .u8; B, Z, X and * score as BLOSUM62 says, U, O
 * and J as '*' (parasail's blosum62 does the same). */
#define PROTEIN_LETTERS "ACDEFGHIKLMNPQRSTVWYBZXUOJ*"

static inline char compute_upper(char ch)
{
	return ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
}

/* A parsed query set: every query joined in place within text. */
struct gdb_qset {
	char *text;		 /* the file's bytes, edited in place */
	size_t n;		 /* queries */
	char **name, **fw, **rc; /* rc: reverse complements (malloc'd) */
	size_t *len;
};

void gdb_qset_free(struct gdb_qset *q);

/* The inbox file of set: <set>.fa, <set>.fasta or <set> itself, its name
 * in file (cap bytes) and a copy of its bytes in *text (gdb_inbox_get). */
int gdb_qset_file(gdb_inbox *b, const char *set, char *file, size_t cap,
		  char **text, size_t *len);

/*
 * gdb_qset_parse - parse q->text as a query set: FASTA, '>' then the
 * query's name (to the first blank), then its sequence on one or more
 * lines: IUPAC letters, any case, U read as T (prot: PROTEIN_LETTERS, any
 * case); upper-cased. Blank lines are allowed.
 * @return 0, or -EINVAL with "queries/FILE:LINE: reason" in err
 */
int gdb_qset_parse(struct gdb_qset *q, const char *file, int prot, char *err,
		   size_t errlen);

/* The sequences a set's batch scores, ns a query: its forward strand (and
 * with ns 2 its reverse complement, made here into q->rc, which the caller
 * allocated) at ns*i (+1). 0 or -ENOMEM. */
int gdb_qset_strands(struct gdb_qset *q, unsigned ns, const char **qs,
		     size_t *ls);

#endif
