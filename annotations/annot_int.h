/*
 * annotations/annot_int.h - what the files of annotations/ share: the
 * byte layout of a set's sections (docs/FORMAT.md "Annotation sets"), the
 * parsed form of one input line, attribute access, and the reader's
 * struct. Internal: nothing outside annotations/ includes it.
 */
#ifndef GDB_ANNOT_INT_H
#define GDB_ANNOT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "annotations/annotations.h"

/* ---- sections (all integers little-endian) ---- */

#define ANNOT_MAGIC "GDBANNOT"
#define ANNOT_VERSION 1u
#define ANNOT_NONE 0xffffffffu /* "no string / group" in a u32 field */
#define ANNOT_MAX_LINES 0xfffffffeu

#define SEC_META "annot.meta"
#define SEC_CONTIGS "annot.contigs"
#define SEC_IV "annot.iv"
#define SEC_FEAT "annot.feat"
#define SEC_PARENTS "annot.parents"
#define SEC_GROUPS "annot.groups"
#define SEC_GLINES "annot.glines"
#define SEC_KIDS "annot.kids"
#define SEC_SUBS "annot.subs"
#define SEC_NAMES "annot.names"
#define SEC_STRINGS "annot.strings"
#define SEC_TEXT "annot.text"

#define META_BYTES 128
#define CONTIG_BYTES 32
#define IV_BYTES 24
#define FEAT_BYTES 32
#define GROUP_BYTES 64
#define NAME_BYTES 8

#define GROUP_GENE 1u /* group flags: a gene (genes/ finds it) */

/* ---- one parsed input line ---- */

typedef struct annot_line {
	const char *seqid;
	size_t seqid_len;
	const char *text; /* after the seqid and its tab */
	size_t text_len;
	const char *type; /* GFF/GTF column 3; BED: "" */
	size_t type_len;
	const char *attrs; /* GFF/GTF column 9 ("" for "."); BED: "" */
	size_t attrs_len;
	int64_t beg, end; /* 0-based half-open */
	char strand;	  /* '+', '-', '.', '?' */
	uint8_t phase;	  /* 0..2, or 255 */
	/* BED only: name (col 4, "" if absent or "."), thick [tbeg, tend)
	 * (tbeg = tend = -1 if absent), blocks (count, the raw columns) */
	const char *name;
	size_t name_len;
	int64_t tbeg, tend;
	uint32_t nblocks;
	const char *bsizes, *bstarts;
} annot_line;

/*
 * annot_parse_line - split and check one line of format fmt.
 * @return 1 for a feature; 0 for a comment, directive or blank line;
 *         2 for GFF3's ##FASTA; GDB_EFORMAT with the reason (no place) in
 *         err
 */
int annot_parse_line(int fmt, const char *p, size_t n, annot_line *l, char *err,
		     size_t errlen);

/*
 * Attributes: iterate over "k=v;..." (GFF3) or "k \"v\"; ..." (GTF). The
 * value is raw (GFF3: still %-escaped, may hold commas; GTF: unquoted).
 * @return 1 with key/value set, 0 at the end.
 */
typedef struct annot_attr_it {
	int fmt;
	const char *p, *end;
} annot_attr_it;

int annot_attr_next(annot_attr_it *it, const char **k, size_t *kl,
		    const char **v, size_t *vl);
/* The first value of key (raw), or NULL. */
const char *annot_attr_get(int fmt, const char *attrs, size_t alen,
			   const char *key, size_t *vl);
/*
 * GFF3 %XX decoding of n bytes into out (room for n + 1); GTF values are
 * copied as they are. @return the decoded length, or -1 (%XX malformed
 * or decoding to a NUL byte).
 */
int64_t annot_unescape(int fmt, const char *v, size_t n, char *out);

/*
 * annot_grow - make room for one more element in a growing array *p of
 * *cap elements of elem bytes, n of them used (doubling, from first).
 * @return 0 or -ENOMEM (the array is kept)
 */
int annot_grow(void **p, size_t *cap, size_t n, size_t elem, size_t first);

/* ---- codon tables (seq.c) ---- */

int annot_is_start(int table, const char *codon);

/* ---- the builder (build.c parses and groups; index.c sorts, indexes
 * and writes) ---- */

/* One interned string (IDs, names, types, keys), in b->strings. */
typedef struct annot_str {
	uint32_t off, len, hash;
	uint32_t group;	 /* first group with this ID, or ANNOT_NONE */
	uint8_t skipped; /* an ID of a line dropped by SKIP_UNKNOWN */
} annot_str;

typedef struct annot_bline {
	int64_t beg, end;
	uint64_t text_off;
	uint64_t lineno;
	uint32_t text_len;
	uint32_t type;	       /* string offset */
	uint32_t group;	       /* group index, or ANNOT_NONE */
	uint32_t order;	       /* input order */
	uint32_t pfirst, npar; /* parent refs in b->pref */
	uint32_t ref;	       /* reference contig index, then slot */
	char strand;
	uint8_t phase;
} annot_bline;

typedef struct annot_bgroup {
	uint32_t id, name, type; /* string offsets; name may be NONE */
	uint32_t ref;		 /* reference contig index, then slot */
	uint32_t id_str;	 /* index into b->tab of its ID */
	uint32_t gparent;	 /* GTF: a transcript's gene (group) */
	int64_t beg, end;	 /* span of its own lines */
	int64_t vbeg, vend;	 /* span of the lines below it */
	uint64_t lineno;	 /* its first line */
	char strand;
	uint8_t flags; /* GROUP_GENE */
	uint8_t has_lines;
} annot_bgroup;

typedef struct annot_key {
	uint32_t str, group;
} annot_key;

struct gdb_annot_builder {
	int fmt;
	unsigned flags;
	const gdb_annot_refcontig *ref;
	uint32_t nref;
	void *ref_owned;  /* freed with the builder (import.c) */
	const char *file; /* of the lines being fed */
	gdb_buf strings;  /* NUL-terminated; offset 0 is "" */
	annot_str *tab;	  /* interned strings, open addressing */
	uint32_t *slots;  /* hash slots: index into tab + 1 */
	uint32_t ntab, captab, nslots;
	uint32_t *refname_str; /* per reference contig: its name's
				* tab index (for lookups) */
	uint32_t *alias;       /* per tab entry: aliased ref + 1 */
	uint32_t nalias;
	gdb_buf text;
	annot_bline *lines;
	uint64_t nlines;
	size_t caplines;
	uint32_t *pref; /* parent refs: tab index, then group */
	uint64_t npref;
	size_t cappref;
	annot_bgroup *groups;
	uint32_t ngroups;
	size_t capgroups;
	uint64_t *gkey; /* (tab index << 32 | ref) -> group + 1 */
	uint32_t *gval;
	uint64_t ngh, capgh;
	annot_key *keys;
	uint64_t nkeys;
	size_t capkeys;
	gdb_annot_build_stats st;
	int finished;
	/* index.c's results */
	uint32_t *slot_of_ref; /* ref index -> slot, or NONE */
	uint32_t nslot;
	uint32_t *glines, *kids, *subs;		 /* CSR arrays */
	uint32_t *glines_at, *kids_at, *subs_at; /* ngroups + 1 offsets */
	int64_t *maxend;			 /* per line (sorted) */
	uint32_t *levels;			 /* per slot */
};

/* Intern bytes; @return the tab index, or -ENOMEM. */
int64_t annot_intern(gdb_annot_builder *b, const char *p, size_t n);
static inline const char *annot_bstr(const gdb_annot_builder *b, uint32_t off)
{
	return b->strings.p + off;
}
/* index.c: the finish steps after every line is in. */
int annot_index_build(gdb_annot_builder *b, char *err, size_t errlen);
/* The implicit interval tree's maxima over n features sorted by start,
 * from their ends: max[i] = the largest end in i's subtree.
 * @return the root level (floor(log2(n)); 0 for n <= 1). */
uint32_t annot_tree_build(const int64_t *end, uint64_t n, int64_t *max);

/* ---- the reader ---- */

struct gdb_annot {
	const gdb_store *s;
	char name[GDB_NAME_MAX + 1];
	int format;
	const char *reference;
	uint64_t nfeat;
	uint32_t ncontigs, ngroups;
	uint64_t nparents, nkids, nsubs, nnames, nglines;
	const uint8_t *contigs, *iv, *feat, *parents, *groups, *glines, *kids,
	    *subs, *names;
	const char *strings, *text;
	uint64_t strings_len, text_len;
	uint32_t *ref_ids; /* store contig id per slot (owned) */
	int ref_asm;	   /* the reference's assembly index */
};

static inline int64_t annot_iv_beg(const gdb_annot *a, uint64_t i)
{
	return (int64_t)gdb_get_le64(a->iv + i * IV_BYTES);
}
static inline int64_t annot_iv_end(const gdb_annot *a, uint64_t i)
{
	return (int64_t)gdb_get_le64(a->iv + i * IV_BYTES + 8);
}
static inline int64_t annot_iv_max(const gdb_annot *a, uint64_t i)
{
	return (int64_t)gdb_get_le64(a->iv + i * IV_BYTES + 16);
}

/* Features first .. first + n - 1 of a slot. */
void annot_slot_range(const gdb_annot *a, uint32_t slot, uint64_t *first,
		      uint64_t *n);
/* Root level of a slot's tree. */
uint32_t annot_slot_level(const gdb_annot *a, uint32_t slot);

#endif
