/*
 * motif/motif.h - motif sets: the data type of `genomedb import motifs`
 * and of /compute/motif/.../pwm/ scans. The module's one public header.
 *
 * A motif is a count matrix (gdb_motif, simd/motif.h, which the PWM
 * kernels score). This module turns files into motifs and motifs into
 * store objects and back:
 *   parse   JASPAR (.jaspar, .pfm) and MEME minimal format text into
 *           gdb_motif (motif/parse.c), the format guessed or given;
 *   set     a motif set being built from several files, each file checked
 *           whole before it joins (ids name files, unique in the set,
 *           every matrix gives a log-odds matrix) (motif/set.c);
 *   store   a set as the sections object "motifs/<set>" of a transaction,
 *           and every set of a store read back (motif/store.c; layout:
 *           docs/FORMAT.md "Motif sets").
 * Reading files (plain or gzip), provenance and the commit are the
 * caller's (tools/import_motifs.c), so the same import runs from C or
 * from Python on bytes already in memory.
 *
 * Library code: errors are returned with a one-line message naming the
 * file and line, never printed.
 *
 * Threading: no shared state; a gdb_motif_set is used by one thread at a
 * time.
 */
#ifndef GDB_MOTIF_H
#define GDB_MOTIF_H

#include <stddef.h>

#include "common/gdb.h"
#include "simd/motif.h"
#include "store/store.h"

/* ---- parsers (motif/parse.c) ---- */

/*
 * gdb_motif_parse_jaspar - JASPAR .jaspar ("A [ 1 2 ]" rows) or .pfm (four
 * bare rows of counts in A C G T order), several motifs per text, each
 * starting with ">id name".
 * gdb_motif_parse_meme - MEME minimal format ("MOTIF id name", then a
 * "letter-probability matrix:" of w rows of four probabilities; counts
 * are probability * nsites, nsites 20 when absent). Only ALPHABET= ACGT.
 * @param text  the file contents (borrowed; need not be terminated)
 * @param out   out: up to cap motifs
 * @param err   "line N: reason" on failure (may be NULL)
 * @return motifs found (may exceed cap; only cap written), GDB_EFORMAT,
 *         or -ENOMEM
 */
int gdb_motif_parse_jaspar(const char *text, size_t n, gdb_motif *out,
			   size_t cap, char *err, size_t errlen);
int gdb_motif_parse_meme(const char *text, size_t n, gdb_motif *out, size_t cap,
			 char *err, size_t errlen);

enum gdb_motif_format {
	GDB_MOTIF_GUESS = 0, /* MEME when the text says so, else JASPAR */
	GDB_MOTIF_JASPAR = 1,
	GDB_MOTIF_MEME = 2,
};

/*
 * gdb_motif_guess - the format of a motif file's text: MEME when it has a
 * "MEME version" first line or a "MOTIF " line, and a "letter-probability
 * matrix"; else JASPAR.
 */
enum gdb_motif_format gdb_motif_guess(const char *text, size_t n);

/* ---- sets (motif/set.c) ---- */

/* A set being built: n motifs in m (malloc'd). Start from {0}. */
typedef struct gdb_motif_set {
	gdb_motif *m;
	size_t n;
} gdb_motif_set;

/*
 * gdb_motif_set_add - parse one file's text and append its motifs. The
 * file joins whole or not at all: a motif without an id (a bare .pfm)
 * takes the file name without directories and extensions; an id must
 * name a file (no '/', '@', '%' or control bytes, not "." or "..") and be
 * new to the set; every matrix must give a log-odds matrix (no negative
 * count, no column summing to 0).
 * @param path  the file's name (borrowed): messages and bare .pfm ids
 * @param text  its contents (borrowed; may hold any bytes)
 * @param fmt   GDB_MOTIF_GUESS, _JASPAR or _MEME
 * @param err   on failure "PATH:LINE: reason" or "PATH: reason"
 * @return the number of motifs added (>= 1); GDB_EFORMAT (binary data,
 *         a parse error, no motifs, a bad or repeated id, not a matrix;
 *         the set is unchanged), -EINVAL (fmt), -ENOMEM
 */
int gdb_motif_set_add(gdb_motif_set *set, const char *path, const char *text,
		      size_t n, enum gdb_motif_format fmt, char *err,
		      size_t errlen);

/* Free a set's motifs and empty it (NULL is a no-op). */
void gdb_motif_set_free(gdb_motif_set *set);

/* ---- sets in the store (motif/store.c) ---- */

/* A set is the sections object "motifs/<set>". */
#define GDB_MOTIF_OBJECT_PREFIX "motifs/"

/*
 * gdb_motif_set_store - a set into t as the motif set called name: begins
 * the object GDB_MOTIF_OBJECT_PREFIX "<name>" and writes its sections;
 * the caller adds provenance and commits (or aborts).
 * @return 0; -EEXIST (a set of that name exists); -EINVAL (a bad name, a
 *         motif of 0 or > GDB_PWM_MAXLEN columns); -ENOMEM; the store's
 *         error. err says which.
 */
GDB_MUST_CHECK int gdb_motif_set_store(gdb_txn *t, const char *name,
				       const gdb_motif_set *set, char *err,
				       size_t errlen);

/*
 * gdb_motifs_write - a set's sections into t, an object just begun with
 * gdb_txn_object_begin(GDB_MOTIF_OBJECT_PREFIX "<set>").
 * @param m  the motifs (borrowed), their counts as parsed
 * @return 0, -EINVAL (a motif of 0 or > GDB_PWM_MAXLEN columns), -ENOMEM,
 *         or the store's error
 */
GDB_MUST_CHECK int gdb_motifs_write(gdb_txn *t, const gdb_motif *m, size_t n);

/*
 * gdb_motifs_load - every motif of every set, in store order.
 * @param out  out: malloc'd array of *n (NULL when 0), caller frees
 * @return 0; GDB_ECORRUPT / GDB_ECHECKSUM / GDB_EVERSION (a set's
 *         sections are damaged: err names it), -ENOMEM
 */
GDB_MUST_CHECK int gdb_motifs_load(const gdb_store *s, gdb_motif **out,
				   size_t *n, char *err, size_t errlen);

/* ---- protein patterns (motif/prosite.c) ---- */

/*
 * A PROSITE pattern: elements joined by '-', each a residue letter (upper
 * case, or '*'), 'x' (any residue), [..] (any of the letters) or {..}
 * (none of them), optionally repeated "(n)" or "(n,m)" times; '<' first
 * anchors it at the sequence's start, '>' last at its end, and a final
 * '.' is allowed. Residues of the sequence match in either case, each
 * only its own letter (B is not D).
 */
#define GDB_PROSITE_MAX_ELEMS 64
#define GDB_PROSITE_MAX_SPAN 4096 /* residues a match may span */

typedef struct gdb_prosite_elem {
	uint32_t mask; /* residue class bits: A-Z 0-25, '*' 26, others 31 */
	uint32_t min, max;
} gdb_prosite_elem;

typedef struct gdb_prosite {
	unsigned n;
	int anchor_start, anchor_end;
	uint32_t minlen, maxlen; /* residues a match spans */
	gdb_prosite_elem e[GDB_PROSITE_MAX_ELEMS];
} gdb_prosite;

typedef struct gdb_prosite_hit {
	uint64_t pos; /* 0-based start (first, as scans expect) */
	uint64_t len;
} gdb_prosite_hit;

/*
 * gdb_prosite_compile - pat[0..len) into out.
 * @return 0; -EINVAL (not such a pattern, more than 64 elements, a match
 *         that could be empty or span more than GDB_PROSITE_MAX_SPAN)
 */
int gdb_prosite_compile(const char *pat, size_t len, gdb_prosite *out);

#define GDB_PROSITE_AT_START 1u /* seq[0] is the sequence's first residue */
#define GDB_PROSITE_AT_END 2u	/* seq[n-1] is its last */

/*
 * gdb_prosite_find - every start in seq[0..n) where p matches, in order,
 * with the length of the match Python's re takes there (each element as
 * long as the rest still matches, first element first: re.finditer of
 * "(?=(...))"). Anchors match only where flags say the sequence ends.
 * @return the number of hits (the first cap written to hits); -ENOMEM;
 *         -E2BIG (n beyond 2^32 - 2)
 */
int64_t gdb_prosite_find(const gdb_prosite *p, const char *seq, size_t n,
			 unsigned flags, gdb_prosite_hit *hits, size_t cap);

#endif
