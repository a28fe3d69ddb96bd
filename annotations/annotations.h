/*
 * annotations/annotations.h - genome annotations (GFF3, GTF, BED) as a
 * data type: parsers, a builder that writes one store object per set, a
 * zero-copy reader over the mapped object, interval queries (overlap,
 * nearest, one call for a whole batch of intervals), lookups of genes and
 * transcripts, and renderers (BED, GFF3, the source's own lines, FASTA of
 * genes, spliced transcripts and CDS, translated proteins). This header is
 * the module's whole API; no FUSE here.
 *
 * Model. A set holds the features of one source file, each kept as its
 * source line (without the seqid column, which is the reference contig's
 * name when rendered). Features are sorted per contig by start, then by
 * input order, and indexed by an implicit augmented interval tree (the
 * layout of Heng Li's cgranges: the sorted array is the tree; each element
 * also stores the largest end in its subtree). Lines that share an ID form
 * a group (GFF3 ID; GTF gene_id and transcript_id; BED name); Parent
 * attributes link lines to groups, so genes find their transcripts and
 * transcripts their exons and CDS. Layout: docs/FORMAT.md "Annotation
 * sets".
 *
 * Coordinates: every position in this API is 0-based, half-open
 * [beg, end), as in store/store.h. A feature [a, b) overlaps a query
 * [c, d) when a < d and c < b (as tabix decides), so intervals that only
 * touch do not overlap; a zero-length BED feature [a, a) overlaps queries
 * with c < a < d. Text (paths, GFF) is 1-based inclusive.
 *
 * Threading: a gdb_annot reader is immutable after gdb_annot_open and every
 * query takes it const, so any number of threads may query it at once. A
 * builder belongs to one thread.
 */
#ifndef GDB_ANNOTATIONS_H
#define GDB_ANNOTATIONS_H

#include <stddef.h>
#include <stdint.h>

#include "cache/cache.h"
#include "common/gdb.h"
#include "store/store.h"

/* A set named NAME is the sections object "annotations/NAME". */
#define GDB_ANNOT_OBJECT_PREFIX "annotations/"

enum gdb_annot_format {
	GDB_ANNOT_GFF3 = 1,
	GDB_ANNOT_GTF = 2,
	GDB_ANNOT_BED = 3,
};

/* "gff3", "gtf", "bed"; NULL for anything else. */
const char *gdb_annot_format_name(int fmt);
/* @return the format of a name ("gff3", "gff", "gtf", "bed"), or -EINVAL. */
int gdb_annot_format_parse(const char *name);

/* ------------------------------------------------------------ import */

/* A reference contig the builder may place features on. */
typedef struct gdb_annot_refcontig {
	const char *name; /* borrowed for the builder's life */
	int64_t length;
} gdb_annot_refcontig;

typedef struct gdb_annot_builder gdb_annot_builder;

/* Builder options (flags). */
#define GDB_ANNOT_SKIP_UNKNOWN                                                 \
	1u /* drop lines on seqids absent from                                 \
	    * the reference, instead of failing */
#define GDB_ANNOT_ALLOW_ORPHANS                                                \
	2u /* keep lines whose Parent never                                    \
	    * appears (the link is dropped) */

/*
 * gdb_annot_builder_new - an empty set under construction.
 * @param fmt   GDB_ANNOT_GFF3, _GTF or _BED
 * @param ref   the reference's contigs (borrowed; must outlive b), in
 *              assembly order
 * @param out   out: free with gdb_annot_builder_free()
 * @return 0, -EINVAL (format), -ENOMEM
 */
GDB_MUST_CHECK int gdb_annot_builder_new(int fmt,
					 const gdb_annot_refcontig *ref,
					 uint32_t nref, unsigned flags,
					 gdb_annot_builder **out);
/* NULL does nothing. */
void gdb_annot_builder_free(gdb_annot_builder *b);

/*
 * gdb_annot_builder_alias - read seqid `from` as reference contig `to`.
 * @return 0; -ENOENT (`to` is not a reference contig); -EEXIST (`from`
 *         already has another alias); -ENOMEM
 */
GDB_MUST_CHECK int gdb_annot_builder_alias(gdb_annot_builder *b,
					   const char *from, const char *to);

/*
 * gdb_annot_builder_line - parse and add one input line (comments,
 * directives and blank lines are accepted and ignored).
 * @param line  the line without its '\n' (a trailing '\r' is dropped);
 *              need not be NUL-terminated; copied
 * @param file,lineno  where it comes from, for messages ("FILE:LINE: ...");
 *              file is borrowed until gdb_annot_builder_finish returns
 * @return 0 (added or ignored), 1 (a GFF3 ##FASTA directive: the features
 *         end here, stop feeding); GDB_EFORMAT with "FILE:LINE: reason" in
 *         err (column count, coordinates, strand, phase, a seqid absent
 *         from the reference, an end past the contig); -ENOMEM, -E2BIG
 *         (more than 2^32 - 2 lines)
 */
GDB_MUST_CHECK int gdb_annot_builder_line(gdb_annot_builder *b,
					  const char *line, size_t len,
					  const char *file, uint64_t lineno,
					  char *err, size_t errlen);

/* Lines added, lines skipped (unknown seqids), parent links dropped. */
typedef struct gdb_annot_build_stats {
	uint64_t features;
	uint64_t skipped;
	uint64_t orphans;
	uint32_t groups;
	uint32_t contigs;
} gdb_annot_build_stats;

/*
 * gdb_annot_builder_finish - resolve Parent links (forward references are
 * fine), check that no ID is its own ancestor, sort and index.
 * @return 0; GDB_EFORMAT with "FILE:LINE: reason" in err (a Parent that
 *         never appears, a cycle); -ENOMEM
 */
GDB_MUST_CHECK int gdb_annot_builder_finish(gdb_annot_builder *b,
					    gdb_annot_build_stats *st,
					    char *err, size_t errlen);

/*
 * gdb_annot_builder_write - every section into the transaction's current
 * object (the caller has called gdb_txn_object_begin(t,
 * GDB_OBJECT_SECTIONS, GDB_ANNOT_OBJECT_PREFIX "<set>")), after finish.
 * @param refname  the reference assembly's name (recorded)
 * @return 0; -ENOMEM; a store error (-ENOSPC, -EIO)
 */
GDB_MUST_CHECK int gdb_annot_builder_write(gdb_annot_builder *b, gdb_txn *t,
					   const char *refname, char *err,
					   size_t errlen);

typedef struct gdb_annot_import_opts {
	const char *store;     /* store directory */
	const char *set;       /* set name (gdb_name_ok rules) */
	const char *reference; /* assembly the seqids refer to */
	const char *file;      /* GFF3/GTF/BED, plain, gzip or bgzip */
	int format;	       /* 0: from the name, then the content */
	const char *rename;    /* NULL, or a file of "ALIAS<ws>CONTIG" lines */
	unsigned flags;	       /* GDB_ANNOT_SKIP_UNKNOWN, _ALLOW_ORPHANS */
	unsigned txn_flags;    /* GDB_TXN_REPLACE: replace a set of the name */
	const char *command;   /* provenance: the command line */
} gdb_annot_import_opts;

/*
 * gdb_annot_import - the whole import in one transaction: read the file
 * (htslib BGZF: plain, gzip and bgzip alike; a truncated BGZF file is an
 * error), check every seqid against the reference, build, write, record
 * provenance (file name, size, SHA-256, command, time) and commit. On any
 * error nothing is committed and the store is left byte-identical.
 * @param gen  out (may be NULL): the committed generation
 * @return 0 (also for a replacement identical to the set stored, which
 *         commits nothing); GDB_EFORMAT with "FILE:LINE: reason" in err;
 *         -ENOENT (store, file or reference missing); -EEXIST (the set
 *         exists, without GDB_TXN_REPLACE);
 *         GDB_ELOCKED; -ENOMEM; -EIO; store errors
 */
GDB_MUST_CHECK int gdb_annot_import(const gdb_annot_import_opts *o,
				    gdb_annot_build_stats *st, uint64_t *gen,
				    char *err, size_t errlen);

/* ------------------------------------------------------------- reader */

typedef struct gdb_annot gdb_annot;

/*
 * gdb_annot_open - one set in place: its sections are CRC-checked and
 * validated (sizes, offsets, indexes in range, sort order, the tree's
 * maxima), and its contigs matched by name and length to the reference
 * assembly of s, so queries trust them.
 * @param s    borrowed; must outlive the reader
 * @param name the set's name (without the object prefix)
 * @param out  out: close with gdb_annot_close()
 * @return 0; -ENOENT (no such set); GDB_ECORRUPT / GDB_ECHECKSUM /
 *         GDB_EVERSION with the set and section in err; -ENOMEM
 */
GDB_MUST_CHECK int gdb_annot_open(const gdb_store *s, const char *name,
				  gdb_annot **out, char *err, size_t errlen);
void gdb_annot_close(gdb_annot *a); /* NULL does nothing */

/* The names of every set in a store, in store order: call emit for each
 * (it returns non-zero to stop). @return the number of sets seen. */
uint32_t gdb_annot_list(const gdb_store *s,
			int (*emit)(void *arg, const char *name), void *arg);

typedef struct gdb_annot_info {
	const char *name;      /* set name (borrowed from the store) */
	const char *reference; /* assembly name */
	int format;	       /* GDB_ANNOT_* of the source */
	uint64_t nfeatures;
	uint32_t ngroups;
	uint32_t ncontigs; /* contigs with at least one feature */
} gdb_annot_info;

void gdb_annot_info_get(const gdb_annot *a, gdb_annot_info *out);

/* Contig slots 0 .. ncontigs-1, in reference order. */
const char *gdb_annot_contig_name(const gdb_annot *a, uint32_t slot);
/* The store's contig id of a slot (for gdb_cache_read). */
uint32_t gdb_annot_contig_id(const gdb_annot *a, uint32_t slot);
int64_t gdb_annot_contig_length(const gdb_annot *a, uint32_t slot);
/* @return the slot of a reference contig name, or -ENOENT (no feature
 * there, or not a contig of the reference). */
int gdb_annot_contig_find(const gdb_annot *a, const char *name);
/* The reference contig's store id by name, features or not; -ENOENT. */
int gdb_annot_ref_contig(const gdb_annot *a, const char *name);

/* One feature (line), fields borrowed from the mapping. */
typedef struct gdb_annot_feature {
	uint32_t contig;  /* slot */
	int64_t beg, end; /* 0-based half-open */
	char strand;	  /* '+', '-', '.', '?' */
	int phase;	  /* 0..2, or -1 for '.' */
	const char *type; /* NUL-terminated */
	const char *text; /* source line without its seqid column and
			   * the tab after it; not NUL-terminated */
	uint32_t text_len;
	int64_t group;	/* the group the line's ID makes, or -1 */
	uint32_t order; /* position in the source (0-based) */
	uint32_t nparents;
	const uint8_t *parents; /* nparents group indexes, 4 bytes each,
				 * little-endian: gdb_annot_u32(parents, i) */
} gdb_annot_feature;

/* Item i of a list of little-endian u32s in the mapping. */
static inline uint32_t gdb_annot_u32(const uint8_t *list, uint32_t i)
{
	return gdb_get_le32(list + 4 * (size_t)i);
}

/* Feature i (0 .. nfeatures-1, in index order). @return 0 or -EINVAL. */
int gdb_annot_feature_get(const gdb_annot *a, uint64_t i, gdb_annot_feature *f);

/* ------------------------------------------------------------ queries */

/* A growing list of feature indexes, reusable across queries. */
typedef struct gdb_annot_hits {
	uint64_t *idx; /* owned; free with gdb_annot_hits_free() */
	size_t n, cap;
} gdb_annot_hits;

void gdb_annot_hits_free(gdb_annot_hits *h);

/*
 * gdb_annot_overlap - the features of contig slot overlapping [beg, end),
 * appended to h in index order (start, then source order).
 * @return the number appended (>= 0); -ENOMEM; -EINVAL (bad slot)
 */
GDB_MUST_CHECK int64_t gdb_annot_overlap(const gdb_annot *a, uint32_t slot,
					 int64_t beg, int64_t end,
					 gdb_annot_hits *h);

/* The same computed by a linear scan (the index's scalar twin, for tests). */
GDB_MUST_CHECK int64_t gdb_annot_overlap_scan(const gdb_annot *a, uint32_t slot,
					      int64_t beg, int64_t end,
					      gdb_annot_hits *h);

/*
 * gdb_annot_overlap_batch - overlaps of n query intervals in one call (a
 * data frame's rows): for query i, contig slot contig[i] (negative: no
 * feature, as for a contig the set lacks), [beg[i], end[i]).
 * @param counts  out (may be NULL): n counts
 * @param qidx,fidx out (may be NULL): the pairs (query, feature), by query
 *                then feature index; malloc'd arrays of *npairs, caller
 *                frees; NULL when there is no pair
 * @return 0; -EINVAL (beg > end); -ENOMEM
 */
GDB_MUST_CHECK int gdb_annot_overlap_batch(const gdb_annot *a, size_t n,
					   const int32_t *contig,
					   const int64_t *beg,
					   const int64_t *end, uint64_t *counts,
					   uint64_t **qidx, uint64_t **fidx,
					   uint64_t *npairs);

/*
 * gdb_annot_nearest_batch - for each query, the nearest feature on its
 * contig: an overlapping one if any (distance 0, the first in index
 * order), else the closer of the feature ending last at or before beg
 * and the feature starting first at or after end; distance = bases
 * between them (0 when they touch); a tie goes to the upstream (left)
 * one. feature[i] = -1 and distance[i] = -1 when the contig has none.
 * @return 0; -EINVAL (beg > end)
 */
GDB_MUST_CHECK int gdb_annot_nearest_batch(const gdb_annot *a, size_t n,
					   const int32_t *contig,
					   const int64_t *beg,
					   const int64_t *end, int64_t *feature,
					   int64_t *distance);

/* Groups: 0 .. ngroups-1, sorted by ID (bytes). */
typedef struct gdb_annot_group {
	const char *id;
	const char *name; /* Name (GFF3), gene_name/transcript_name
			   * (GTF); "" if none */
	const char *type; /* the type of its first line ("gene" for a
			   * GTF gene_id without a line of its own) */
	uint32_t contig;  /* slot */
	int64_t beg, end; /* span of its lines, or of its descendants
			   * when it has no line */
	char strand;
	int gene; /* a gene: type ends in "gene" (BED: any) */
	uint32_t nlines, nkids, nsubs;
	/* lists of little-endian u32s (gdb_annot_u32), in source order */
	const uint8_t *lines; /* its own lines (feature indexes) */
	const uint8_t *kids;  /* lines whose Parent names it */
	const uint8_t *subs;  /* child groups */
} gdb_annot_group;

int gdb_annot_group_get(const gdb_annot *a, uint32_t g, gdb_annot_group *out);
/* @return the group with this exact ID, or -ENOENT. */
int gdb_annot_group_find(const gdb_annot *a, const char *id);
/*
 * gdb_annot_genes_find - genes called name: by ID, Name, gene, gene_name,
 * gene_id or locus_tag; exact matches, else the same ignoring ASCII case.
 * @param out  out: malloc'd group indexes by position (caller frees)
 * @return the count (0 when none); -ENOMEM
 */
GDB_MUST_CHECK int64_t gdb_annot_genes_find(const gdb_annot *a,
					    const char *name, uint32_t **out);

/* @return 1 if group g has exons or CDS (its own or its children's): a
 * transcript for gdb_annot_render_seq. */
int gdb_annot_is_transcript(const gdb_annot *a, uint32_t g);

/* ---------------------------------------------------------- renderers */

enum gdb_annot_out {
	GDB_ANNOT_OUT_BED = 1,	/* BED6, or the lines of a BED set */
	GDB_ANNOT_OUT_GFF3 = 2, /* the lines of a GFF3 set, or
				 * converted */
	GDB_ANNOT_OUT_GTF = 3,	/* only for GTF sets: their lines */
};

/*
 * gdb_annot_render_region - the features overlapping [beg, end) of a slot
 * in format `out`, appended to o (a gdb_buf whose max caps the answer).
 * @return 0; -EINVAL (GTF of a non-GTF set); o->err (-ENOMEM, -EFBIG)
 */
GDB_MUST_CHECK int gdb_annot_render_region(const gdb_annot *a, uint32_t slot,
					   int64_t beg, int64_t end, int out,
					   gdb_buf *o);

/* genes/<name>.bed (one BED6 line per gene) or .gff3 (each gene's lines
 * and its descendants', in source order). @return 0, -ENOENT, errors. */
GDB_MUST_CHECK int gdb_annot_render_gene(const gdb_annot *a, const char *name,
					 int out, gdb_buf *o);

enum gdb_annot_seq {
	GDB_ANNOT_SEQ_GENE = 1,	   /* genomic span, strand-aware */
	GDB_ANNOT_SEQ_MRNA = 2,	   /* exons spliced */
	GDB_ANNOT_SEQ_CDS = 3,	   /* CDS spliced */
	GDB_ANNOT_SEQ_PROTEIN = 4, /* CDS translated */
};

/*
 * gdb_annot_render_seq - FASTA (60 a line) of a gene (by name, as
 * gdb_annot_genes_find) or of a transcript (by ID), bases read through
 * the cache.
 * @param table  NCBI genetic code for PROTEIN (1, 11, ...)
 * @return 0; -ENOENT (no such gene/transcript, or no CDS for CDS/PROTEIN,
 *         or an unknown table); cache errors (GDB_ECHECKSUM, ...); o->err
 */
GDB_MUST_CHECK int gdb_annot_render_seq(const gdb_annot *a, gdb_cache *c,
					const char *name, int kind, int table,
					gdb_buf *o);

/* Longest sequence rendered (bases): larger spans are -EFBIG. */
#define GDB_ANNOT_MAX_SEQ ((size_t)256 << 20)

/* Reverse-complement n IUPAC bases in place (case kept, U -> A). */
void gdb_annot_revcomp(char *s, size_t n);

/*
 * gdb_annot_translate - translate n bases (codons n / 3; a partial codon
 * at the end is left out) with NCBI table `table`, as Biopython does:
 * case-insensitive, U as T; an IUPAC-ambiguous codon gives the one amino
 * acid all its readings give, else B/Z/J for D|N, E|Q, I|L, '*' if all are
 * stops, else X. With `start` set, a first codon that is one of the
 * table's start codons gives M.
 * @param out  at least n / 3 bytes (not NUL-terminated)
 * @return the number of residues, or -EINVAL (unknown table)
 */
int64_t gdb_annot_translate(const char *dna, size_t n, int table, int start,
			    char *out);
/* @return 1 if the NCBI table id is known. */
int gdb_annot_table_ok(int table);

#endif
