/*
 * api/genomedb.h - a small, stable C entry point over a store snapshot,
 * for language bindings (the Python package python/genomedb/ loads it with
 * ctypes) and for programs that want answers without a mount.
 *
 * Only plain C types cross this interface: names are NUL-terminated
 * strings, coordinates int64_t, answers either caller buffers or malloc'd
 * buffers handed back with gdb_api_free(). Every call that can fail
 * returns 0 (or a count) and a negative code with a one-line message in
 * err: -ENOENT for an unknown assembly, contig, gene, network or set;
 * GDB_EFORMAT or -ERANGE for a bad range or argument; GDB_ECHECKSUM /
 * GDB_ECORRUPT / -EIO for damage (the message names the place). Nothing
 * here prints.
 *
 * Coordinates: beg, end are 0-based half-open, as everywhere in the C
 * library; bindings convert from the paths' 1-based inclusive form.
 *
 * The handle is one generation of the store (snapshot isolation): imports
 * committed after gdb_api_open() are not seen by it, and the files it maps
 * stay until gdb_api_close(). Its answers are copies: nothing a caller
 * holds points into the mapping, so nothing dangles after close.
 *
 * Threading: one handle per thread (its block cache is shared safely, but
 * the lazily opened graph reader is not guarded).
 */
#ifndef GDB_API_H
#define GDB_API_H

#include <stddef.h>
#include <stdint.h>

#include "common/gdb.h"

typedef struct gdb_api gdb_api;

/*
 * gdb_api_open - open the store's current generation read-only.
 * @param cache_bytes  budget of decoded blocks (0: 256 MiB)
 * @return 0; -ENOENT (no store), GDB_ECORRUPT, GDB_ECHECKSUM, -ENOMEM
 */
GDB_MUST_CHECK int gdb_api_open(const char *path, uint64_t cache_bytes,
				gdb_api **out, char *err, size_t errlen);
/* Unmap and free; NULL does nothing. */
void gdb_api_close(gdb_api *h);
/* Free a buffer an answer returned (NULL does nothing). A large one (1 MiB
 * or more) is kept for a later answer, up to 16 buffers and 256 MiB. */
void gdb_api_free(void *p);
/* Give back the buffers kept for later answers. @return their bytes. */
uint64_t gdb_api_trim(void);

uint64_t gdb_api_generation(const gdb_api *h);
uint32_t gdb_api_nassemblies(const gdb_api *h);
/* Borrowed, valid until close; NULL past the end. */
const char *gdb_api_assembly_name(const gdb_api *h, uint32_t i);
/* @return the assembly index, or -ENOENT (message in err). */
int gdb_api_assembly_find(const gdb_api *h, const char *name, char *err,
			  size_t errlen);

/* Contigs of an assembly, in FASTA order: index 0 .. n-1. */
uint32_t gdb_api_ncontigs(const gdb_api *h, uint32_t asm_index);
const char *gdb_api_contig_name(const gdb_api *h, uint32_t asm_index,
				uint32_t i);
const char *gdb_api_contig_desc(const gdb_api *h, uint32_t asm_index,
				uint32_t i);
int64_t gdb_api_contig_length(const gdb_api *h, uint32_t asm_index, uint32_t i);
/* @return the contig's index in the assembly, or -ENOENT. */
int gdb_api_contig_find(const gdb_api *h, uint32_t asm_index, const char *name,
			char *err, size_t errlen);

/* Output forms of the sequence calls. */
enum gdb_api_seq {
	GDB_API_BASES = 0, /* bases as stored (case, IUPAC kept) */
	GDB_API_U8 = 1,	   /* .u8 codes: A0 C1 G2 T3 N4 ...; protein A0 C1 D2
			    * E3 ... (docs/PATHS.md ".u8 codes") */
};

/*
 * gdb_api_fetch - bases [beg, end) of one contig into dst (end - beg
 * bytes, no NUL).
 * @return 0; -ENOENT, -ERANGE (beg < 0, end < beg or end past the
 *         contig: message gives the length), a damage code.
 */
GDB_MUST_CHECK int gdb_api_fetch(gdb_api *h, uint32_t asm_index,
				 uint32_t contig, int64_t beg, int64_t end,
				 int form, void *dst, char *err, size_t errlen);

/* ---- one call per data frame: n intervals of one assembly ---- */

/*
 * An interval batch: contig[i] indexes the assembly's contigs, [beg[i],
 * end[i]) 0-based half-open. Every interval is checked first (-ENOENT for
 * a contig out of range, -ERANGE naming the row for a bad range).
 */
typedef struct gdb_api_batch {
	size_t n;
	const int32_t *contig;
	const int64_t *beg;
	const int64_t *end;
} gdb_api_batch;

/*
 * gdb_api_fetch_many - the bases of every interval, concatenated into dst;
 * with sep >= 0 each interval is followed by the byte sep (a binding splits
 * the whole at once: Python's str.split makes every str in C). off (n + 1
 * entries) receives each interval's start in dst, off[n] the bytes written:
 * gdb_api_batch_bases() + (sep >= 0 ? n : 0). Rows are read in position
 * order, so the rows inside one cached block take it from the cache once;
 * from 4 MiB on, dst's whole 2 MiB pages are advised for transparent huge
 * pages before they are written (a binding may pass memory it has just
 * allocated, as a str's). Every byte is checked to be ASCII (GDB_ECORRUPT
 * naming the row otherwise), so a binding may take the bytes as text
 * without decoding them.
 */
GDB_MUST_CHECK int gdb_api_fetch_many(gdb_api *h, uint32_t asm_index,
				      const gdb_api_batch *b, int form, int sep,
				      char *dst, int64_t *off, char *err,
				      size_t errlen);
/*
 * gdb_api_fetch_objects - every interval's bases written straight into an
 * object of the caller's runtime, so that a binding hands out text objects
 * without a buffer in between (CPython: make is PyUnicode_New, whose
 * (len, 127) makes a compact ASCII str, drop is Py_DecRef, data_off the
 * str's header size). For row i, make(len_i, 127) returns a new object
 * (NULL: out of memory) whose len_i bytes at (char *)obj + data_off the
 * call writes (checked ASCII, as gdb_api_fetch_many). Every object is made
 * first, in row order; only once every row is written are the slots
 * replaced: drop(slot[i]) if it is not NULL, then slot[i] = the object. On
 * any error every object made is dropped before return and slot is left
 * as given, so no half-written object survives. make and drop run on the
 * caller's thread (a binding keeps its interpreter lock across the call).
 * @return 0, -ENOENT / -ERANGE (a row), -ENOMEM, damage codes
 */
typedef void *(*gdb_api_make_fn)(ptrdiff_t len, uint32_t maxchar);
typedef void (*gdb_api_drop_fn)(void *obj);
GDB_MUST_CHECK int gdb_api_fetch_objects(gdb_api *h, uint32_t asm_index,
					 const gdb_api_batch *b,
					 gdb_api_make_fn make,
					 gdb_api_drop_fn drop, size_t data_off,
					 void **slot, char *err, size_t errlen);
/*
 * An arena allocator as CPython's PyObjectArenaAllocator lays it out, and
 * a wrapper of one: gdb_api_arena_alloc(ctx, n) (ctx: the gdb_api_arena
 * wrapped) takes the wrapped allocator's arena and populates its pages at
 * once (madvise MADV_POPULATE_WRITE, one system call) rather than a page
 * fault each 4 KiB, which on virtual machines with costly faults is most
 * of the price of making many small objects; gdb_api_arena_free hands the
 * arena back to the wrapped allocator, so every arena stays the wrapped
 * allocator's own and the wrapper may be removed at any time. A binding
 * installs it around gdb_api_fetch_objects (PyObject_SetArenaAllocator).
 */
typedef struct gdb_api_arena {
	void *ctx;
	void *(*alloc)(void *ctx, size_t n);
	void (*free)(void *ctx, void *p, size_t n);
} gdb_api_arena;
void *gdb_api_arena_alloc(void *ctx, size_t n);
void gdb_api_arena_free(void *ctx, void *p, size_t n);
/* Total bytes gdb_api_fetch_many needs, or -ERANGE / -ENOENT. */
int64_t gdb_api_batch_bases(const gdb_api *h, uint32_t asm_index,
			    const gdb_api_batch *b, char *err, size_t errlen);

/* GC fraction of each interval as Biopython's gc_fraction (simd kernel). */
GDB_MUST_CHECK int gdb_api_gc_many(gdb_api *h, uint32_t asm_index,
				   const gdb_api_batch *b, double *gc,
				   char *err, size_t errlen);

/*
 * gdb_api_motif_many - matches of an IUPAC pattern in each interval, both
 * strands, overlapping matches included, counted as the lines of
 * /compute/motif/.../<IUPAC>.bed over that region (a palindrome counts
 * twice per site). -EINVAL for a bad pattern.
 */
GDB_MUST_CHECK int gdb_api_motif_many(gdb_api *h, uint32_t asm_index,
				      const gdb_api_batch *b,
				      const char *pattern, int64_t *count,
				      char *err, size_t errlen);

/* ---- interval algebra (no store needed) ---- */

/*
 * Two interval sets by chromosome code (any int32 the caller assigns, the
 * same code for the same chromosome in both) and 0-based half-open
 * coordinates. Intervals overlap when they share at least one base: touching
 * intervals ([0,10) and [10,20)) do not, as bioframe and pyranges count.
 */

/*
 * gdb_api_overlap - every overlapping pair (a row, b row), ordered by a
 * row, then by b's start, then b row.
 * @param ia,ib  out: malloc'd arrays of *npairs rows (gdb_api_free)
 * @return 0, -ERANGE (an interval with end < beg: err names the row), -ENOMEM
 */
GDB_MUST_CHECK int gdb_api_overlap(const gdb_api_batch *a,
				   const gdb_api_batch *b, int64_t **ia,
				   int64_t **ib, int64_t *npairs, char *err,
				   size_t errlen);

/*
 * A column carried through a join: one value per row, size bytes each (1,
 * 2, 4 or 8: any type of that size, copied as bytes), or data NULL for
 * the row number itself (int64).
 */
typedef struct gdb_api_column {
	const void *data;
	size_t size;
} gdb_api_column;

/*
 * gdb_api_overlap_take - the join of gdb_api_overlap written straight into
 * a joined frame's columns, with no array of pairs in between: for the
 * p-th pair (a row i, b row j), out[k][p] = acol[k] at row i (k < na) and
 * out[na + k][p] = bcol[k] at row j (k < nb), in the same order.
 * @param out  na + nb pointers, each set to a malloc'd array of *npairs
 *             values (gdb_api_free)
 * @return 0, -ERANGE (bad interval), -EINVAL (a column's size), -ENOMEM
 */
GDB_MUST_CHECK int gdb_api_overlap_take(const gdb_api_batch *a,
					const gdb_api_batch *b,
					const gdb_api_column *acol, size_t na,
					const gdb_api_column *bcol, size_t nb,
					void **out, int64_t *npairs, char *err,
					size_t errlen);

/* How many rows of b overlap each row of a (count[a.n]). */
GDB_MUST_CHECK int gdb_api_count_overlaps(const gdb_api_batch *a,
					  const gdb_api_batch *b,
					  int64_t *count, char *err,
					  size_t errlen);

/*
 * gdb_api_nearest - for each row of a, the nearest row of b on the same
 * chromosome: an overlapping one if any (distance 0), else the one with
 * the smallest gap (bases strictly between them; touching is 0, as
 * bioframe.closest). Ties go to the upstream (left) one. idx -1 and
 * distance -1 where b has nothing on that chromosome.
 */
GDB_MUST_CHECK int gdb_api_nearest(const gdb_api_batch *a,
				   const gdb_api_batch *b, int64_t *idx,
				   int64_t *distance, char *err, size_t errlen);

/* ---- networks ---- */

enum gdb_api_graph_query {
	GDB_API_NEIGHBORS = 0, /* node1's neighbours */
	GDB_API_KHOP = 1,      /* node1's k-hop neighbourhood */
	GDB_API_SHORTEST = 2,  /* node1 -> node2, weighted */
};

/*
 * gdb_api_graph - one network query, rendered as the mount renders it.
 * @param network  a network name, or NULL / "" for all networks
 * @param params   the filter of a path's @ part ("min-conf=0.7"), or NULL
 * @param fmt      0 JSON, 1 TSV, 2 Cytoscape.js, 3 GraphML (graph/graph.h)
 * @param out,len  out: malloc'd answer (gdb_api_free)
 * @return 0; -ENOENT (no networks, unknown network or node: err names it),
 *         GDB_EFORMAT (bad params), -EINVAL (format not offered), -EFBIG
 */
GDB_MUST_CHECK int gdb_api_graph(gdb_api *h, const char *network, int query,
				 const char *node1, const char *node2,
				 unsigned k, const char *params, int fmt,
				 char **out, size_t *len, char *err,
				 size_t errlen);

/* ---- variant sets ---- */

/* Names of the variant sets (borrowed). */
uint32_t gdb_api_nvsets(const gdb_api *h);
const char *gdb_api_vset_name(const gdb_api *h, uint32_t i);

/*
 * gdb_api_variants - a variant answer over contig (by name) [beg, end).
 * @param what     0 .vcf, 3 .sites.tsv, 4 .gt.npy (variants/variants.h
 *                 enum gdb_vfmt); 100 + enum gdb_vgroup_by for
 *                 af.tsv grouped that way
 * @param samples  a sample subset "NA1,NA2", or NULL for all
 * @return 0; -ENOENT (set, contig or sample), -EINVAL (no such grouping),
 *         -EFBIG (over 1 GiB), damage codes
 */
#define GDB_API_AF 100
GDB_MUST_CHECK int gdb_api_variants(gdb_api *h, const char *set,
				    const char *contig, int64_t beg,
				    int64_t end, int what, const char *samples,
				    char **out, size_t *len, char *err,
				    size_t errlen);

/* ---- annotation sets (annotations/annotations.h) ---- */

/*
 * gdb_api_annot_slots - the set's contig slot of each name (-1 where the
 * set has no feature on it): a binding maps a frame's unique chromosome
 * names once, then passes slots as a batch's contig codes.
 * @return 0; -ENOENT (no such set, message in err); damage codes
 */
GDB_MUST_CHECK int gdb_api_annot_slots(gdb_api *h, const char *set, size_t n,
				       const char *const *names, int32_t *slot,
				       char *err, size_t errlen);

/* The distinct feature types of an annotation join. */
typedef struct gdb_api_annot_types {
	char *names;	  /* n names, each followed by '\n' (gdb_api_free) */
	size_t names_len; /* bytes of names */
	int32_t n;
	int32_t code_size; /* bytes of a code: 1, 2 or 4 (signed) */
} gdb_api_annot_types;

/*
 * gdb_api_annot_overlap - every (row, feature) pair of a batch (contig =
 * slot, negative: none) with the set's features, by row then feature
 * start (then index order), written into columns as gdb_api_overlap_take
 * writes them: out[k] the batch's column cols[k] at the pair's row (k <
 * ncols), then GDB_API_ANNOT_FIELDS columns of the feature: its index
 * (int64), beg and end (int64, 0-based half-open), strand (an int8 code:
 * the index of its character in GDB_API_STRANDS), type
 * (a code of types->code_size bytes into types->names), so a binding
 * builds a categorical column without a string a pair. A batch large
 * beside the set is joined by one sweep over the set's index order, a
 * small one by walking the index per row; both give the same columns.
 * Empty intervals overlap what strictly contains them.
 * @param out  ncols + GDB_API_ANNOT_FIELDS pointers, set to malloc'd
 *             arrays of *npairs values (gdb_api_free)
 * @return 0; -ENOENT (no such set); -ERANGE (end < beg); -EINVAL (a
 *         column's size, a slot out of range); -ENOMEM; damage codes
 */
#define GDB_API_ANNOT_FIELDS 5
#define GDB_API_STRANDS "+-.?"
GDB_MUST_CHECK int
gdb_api_annot_overlap(gdb_api *h, const char *set, const gdb_api_batch *b,
		      const gdb_api_column *cols, size_t ncols, void **out,
		      int64_t *npairs, gdb_api_annot_types *types, char *err,
		      size_t errlen);
/* The name of a set's contig slot (copied into buf). @return 0, -ENOENT. */
int gdb_api_annot_contig(gdb_api *h, const char *set, int32_t slot, char *buf,
			 size_t buflen);

#endif
