/*
 * variants/variants.h - variant sets: VCF/BCF records stored against a
 * reference assembly, genotypes bit-packed (PBWT-ordered runs), INFO and
 * FORMAT columnar and compressed; region reads, renderers and population
 * statistics over the packed genotypes.
 *
 * A set is the sections object "variants/<set>" (docs/FORMAT.md,
 * "Variant sets"). htslib parses every VCF/BCF byte on import and writes
 * every VCF/BCF byte on output; this module only ever holds records as
 * htslib's bcf1_t or as its own encoding.
 *
 * Coordinates: positions here are 0-based (as htslib's bcf1_t.pos);
 * regions are half-open [beg, end) and select records whose POS lies in
 * them (not records that merely overlap: a deletion starting before beg
 * is not in [beg, end)). Paths and region strings are 1-based inclusive.
 *
 * Threading: a gdb_vset is immutable after open; every query call takes
 * it const and works on its own buffers, so any number of threads may
 * query one set at once. A gdb_vcf_import runs in one thread. No call
 * starts a thread; gdb_vset_stats_* take a chunk range so callers may
 * split work over their own threads.
 */
#ifndef GDB_VARIANTS_H
#define GDB_VARIANTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cache/cache.h"
#include "common/gdb.h"
#include "store/store.h"

/* A set is the sections object named GDB_VSET_PREFIX "<set>". */
#define GDB_VSET_PREFIX "variants/"

typedef struct gdb_vset gdb_vset;

/* ---- import ---- */

typedef struct gdb_vcf_import_opts {
	const char *set;	/* set name (gdb_name_ok rules) */
	const char *reference;	/* assembly holding the contigs */
	const char *panel;	/* sample -> population file, or NULL */
	int allow_ref_mismatch; /* count REF mismatches instead of failing */
	int zstd_level;		/* 0: the default (19) */
	/* Called now and then (and once at the end with done == total). */
	void (*progress)(void *arg, uint64_t done_bytes, uint64_t total_bytes,
			 uint64_t records);
	void *progress_arg;
} gdb_vcf_import_opts;

typedef struct gdb_vcf_import_stats {
	uint64_t records;
	uint32_t samples;
	uint32_t unassigned;	      /* samples absent from the panel */
	uint32_t populations;	      /* distinct populations (panel) */
	uint64_t ref_mismatches;      /* recorded with allow_ref_mismatch */
	uint64_t header_added;	      /* header lines htslib added (undeclared
				       * contigs, INFO, FORMAT, FILTER) */
	uint64_t number_mismatch;     /* values whose count disagrees with the
				       * header's fixed Number */
	uint64_t genotype_exceptions; /* calls outside the 2-bit code */
	uint64_t chunks;
	uint64_t stored_bytes; /* section bytes written */
} gdb_vcf_import_stats;

/*
 * gdb_vcf_import - read a VCF/BCF (plain, bgzip, gzip or BCF, as htslib
 * detects) into the sections object of a begun transaction.
 * @param t     a transaction on which nothing has been begun; the object
 *              "variants/<set>" is begun here
 * @param ref   a snapshot of the store holding the reference assembly
 * @param path  the input file
 * @return 0; -ENOENT (reference or a contig absent), -EEXIST (set
 *         exists), GDB_EFORMAT (bad input: err names the file, record
 *         number and contig:pos), -ENOMEM, -EIO, or a store error. On
 *         failure the caller aborts t.
 */
GDB_MUST_CHECK int gdb_vcf_import(gdb_txn *t, const gdb_store *ref,
				  const char *path,
				  const gdb_vcf_import_opts *o,
				  gdb_vcf_import_stats *st, char *err,
				  size_t errlen);

/* ---- reading ---- */

/*
 * gdb_vset_open - the set called name in s.
 * @param c    a block cache over s for reference bases, or NULL (the set
 *             then decodes blocks itself)
 * @param out  out: close with gdb_vset_close()
 * @return 0; -ENOENT (no such set or reference), GDB_ECORRUPT /
 *         GDB_ECHECKSUM / GDB_EVERSION (message in err), -ENOMEM
 */
GDB_MUST_CHECK int gdb_vset_open(const gdb_store *s, gdb_cache *c,
				 const char *name, gdb_vset **out, char *err,
				 size_t errlen);
void gdb_vset_close(gdb_vset *v);

/* Number of sets in s, and the i-th one's name (borrowed from s). */
uint32_t gdb_vset_count(const gdb_store *s);
const char *gdb_vset_name(const gdb_store *s, uint32_t i);

uint32_t gdb_vset_nsamples(const gdb_vset *v);
const char *gdb_vset_sample(const gdb_vset *v, uint32_t i);
uint32_t gdb_vset_ncontigs(const gdb_vset *v);
/* A contig's name and its length in the reference (0 if unknown). */
const char *gdb_vset_contig(const gdb_vset *v, uint32_t i, int64_t *length);
/* @return the contig index, or -ENOENT. */
int gdb_vset_contig_find(const gdb_vset *v, const char *name);
uint64_t gdb_vset_nsites(const gdb_vset *v);
const char *gdb_vset_reference(const gdb_vset *v);

/* Groupings for the statistics. */
enum gdb_vgroup_by {
	GDB_VBY_POPULATION = 0,
	GDB_VBY_SUPERPOPULATION = 1,
	GDB_VBY_SAMPLE = 2,
};

/* A sample subset: indexes into the set's samples, ascending, unique. */
typedef struct gdb_vsamples {
	uint32_t n;
	uint32_t *idx; /* owned; free with gdb_vsamples_free() */
} gdb_vsamples;

/*
 * gdb_vset_select - samples by name list ("NA1,NA2", names may be
 * %XX-escaped), or by population or superpopulation name.
 * @return 0; -ENOENT (an unknown name: err names it), -ENOMEM
 */
GDB_MUST_CHECK int gdb_vset_select(const gdb_vset *v, const char *names,
				   int by_pop, gdb_vsamples *out, char *err,
				   size_t errlen);
void gdb_vsamples_free(gdb_vsamples *s);

/* ---- renderers: whole answers into malloc'd buffers ---- */

enum gdb_vfmt {
	GDB_VF_VCF = 0,	  /* header + records, VCF text (htslib) */
	GDB_VF_BCF = 1,	  /* BGZF-compressed BCF (htslib) */
	GDB_VF_VCFGZ = 2, /* BGZF-compressed VCF (htslib) */
	GDB_VF_SITES = 3, /* sites.tsv */
	GDB_VF_GTNPY = 4, /* int8 dosage matrix, .npy */
};

/*
 * gdb_vset_render - records of contig with POS in [beg, end) (0-based),
 * for a sample subset (NULL: all samples).
 * @param max   the most bytes the answer may have
 * @param out   out: malloc'd, *len bytes; caller frees
 * @return 0; -EFBIG (over max), -ENOMEM, GDB_ECORRUPT / GDB_ECHECKSUM
 *         (a damaged chunk: logged), -EIO (htslib failed)
 */
GDB_MUST_CHECK int gdb_vset_render(const gdb_vset *v, uint32_t contig,
				   int64_t beg, int64_t end,
				   const gdb_vsamples *sub, enum gdb_vfmt fmt,
				   size_t max, char **out, size_t *len);

/*
 * gdb_vset_export - the same, written to an htslib file (path "-" is
 * stdout); several regions in one file, in the order given. fmt is
 * GDB_VF_VCF, GDB_VF_VCFGZ or GDB_VF_BCF. contig < 0 in a region: all.
 */
typedef struct gdb_vregion {
	int32_t contig; /* -1: every contig */
	int64_t beg, end;
} gdb_vregion;
GDB_MUST_CHECK int gdb_vset_export(const gdb_vset *v, const char *path,
				   enum gdb_vfmt fmt, const gdb_vregion *r,
				   size_t nr, char *err, size_t errlen);

/*
 * Streamed answers (stream.c): the same files as gdb_vset_render, byte for
 * byte, with no size limit. Open runs one sizing pass, rendering every
 * window (the header, then each stored chunk of the region) once and
 * keeping their byte offsets and as many windows as a budget allows; a
 * read renders just the windows it touches that were not kept (the last
 * two stay cached) and starts rendering the next one. BGZF answers end a block
 * at each window, whole or streamed alike. A child forked while streams
 * are open may read and close them: its first use of each renews it as
 * if nothing had been read (the parent's windows and threads are not its
 * own; common/forkguard.h, "mark").
 */
typedef struct gdb_vstream gdb_vstream;

/*
 * gdb_vstream_open - as gdb_vset_render, without max. The stream holds v
 * (which must outlive it) and a copy of sub. Reading a window starts the
 * next one on a thread of the stream's own.
 * @param threads  threads the sizing pass may use (0, 1: none)
 * @param keep     bytes of the windows the sizing pass rendered kept for
 *                 the reads (the first windows first; 0: none)
 * @return 0; -ENOMEM, GDB_ECORRUPT / GDB_ECHECKSUM, -EIO
 */
GDB_MUST_CHECK int gdb_vstream_open(const gdb_vset *v, uint32_t contig,
				    int64_t beg, int64_t end,
				    const gdb_vsamples *sub, enum gdb_vfmt fmt,
				    unsigned threads, size_t keep,
				    gdb_vstream **out);
uint64_t gdb_vstream_size(const gdb_vstream *s);
/* About the records of contig's [beg, end) (each stored chunk's sites
 * by its share of the span of POS it covers), for a quick estimate of an
 * answer's size. */
uint64_t gdb_vset_region_sites(const gdb_vset *v, uint32_t contig, int64_t beg,
			       int64_t end);
/*
 * gdb_vstream_read - bytes [off, off + n) (clipped to the size) into dst;
 * any number of threads may read one stream at once.
 * @return the bytes copied, or an error as gdb_vset_render's
 */
ssize_t gdb_vstream_read(gdb_vstream *s, void *dst, size_t n, uint64_t off);
/*
 * Streams are counted references of two kinds. A reader's (the one open
 * gives, ref adds one, close drops one) keeps the windows read and kept:
 * they go when the last reader closes. A holder's (hold, unhold) keeps
 * only the sizes, for a later reader (gdb_vstream_ref). The last
 * reference of either kind frees the stream.
 */
void gdb_vstream_ref(gdb_vstream *s);
void gdb_vstream_close(gdb_vstream *s);
void gdb_vstream_hold(gdb_vstream *s);
void gdb_vstream_unhold(gdb_vstream *s);
/* Windows the set's streams rendered for their readers (not the sizing
 * pass) since it was opened: a window a reader leaves and comes back to
 * is counted again, one it reads once is not. */
uint64_t gdb_vset_windows_rendered(const gdb_vset *v);
/* Rendered windows the set's streams hold now (kept, cached, rendered
 * ahead, or being rendered): none once every reader has closed and the
 * renders under way have ended. */
uint64_t gdb_vset_windows_held(const gdb_vset *v);

/*
 * The text buffers region .vcf answers keep from one answer to the next
 * (at most 2, of up to 16 MiB each, process-wide; outside any cache
 * budget): how many, and the bytes whose pages they keep (each keeps its
 * last text's pages, no more). Drain frees them (a daemon giving memory
 * back); the next answers make new ones. Any thread. A child forked
 * (fork(), also while another thread is taking or giving one back)
 * starts with none: they are the parent's pages.
 */
void gdb_variants_spares(unsigned *n, size_t *bytes);
void gdb_variants_spares_drain(void);

/* samples.tsv: "sample\tpopulation\tsuperpopulation\n" and a row each. */
GDB_MUST_CHECK int gdb_vset_samples_tsv(const gdb_vset *v, char **out,
					size_t *len);

/* ---- population statistics ---- */

enum gdb_vstat {
	GDB_VSTAT_AF = 0,      /* per variant and group: ac, an, af */
	GDB_VSTAT_FST = 1,     /* Hudson Fst per variant (or window) */
	GDB_VSTAT_SUMMARY = 2, /* per group: sites, segregating, ... */
};

typedef struct gdb_vstat_opts {
	enum gdb_vstat stat;
	enum gdb_vgroup_by by;
	int64_t window;	  /* FST: 0 per variant, else window bp */
	unsigned threads; /* worker threads the caller allows (0, 1:
			   * none); split over chunks */
} gdb_vstat_opts;

/*
 * gdb_vset_stats - a statistics table as TSV (docs/PATHS.md, "Variant
 * statistics"), computed from the packed genotypes with simd/genotype.h
 * popcounts.
 * @return 0; -EINVAL (grouping unavailable: a set without a panel has no
 *         populations; FST needs two groups or more), -E2BIG (FST of
 *         more than 500,000 pairs of groups), -EFBIG, -ENOMEM,
 *         GDB_ECORRUPT / GDB_ECHECKSUM
 */
GDB_MUST_CHECK int gdb_vset_stats(const gdb_vset *v, uint32_t contig,
				  int64_t beg, int64_t end,
				  const gdb_vstat_opts *o, size_t max,
				  char **out, size_t *len);

/*
 * gdb_vstream_open_stats - a statistics table (gdb_vset_stats) as a
 * stream: its header row, then the rows of each stored chunk (Fst
 * windows: each in the part of the chunk holding its first site; a
 * summary, one row per group, all in the header part). o->threads is
 * ignored (threads serves the sizing pass).
 * @return 0; errors as gdb_vset_stats' (-EINVAL, -E2BIG ...)
 */
GDB_MUST_CHECK int gdb_vstream_open_stats(const gdb_vset *v, uint32_t contig,
					  int64_t beg, int64_t end,
					  const gdb_vstat_opts *o,
					  unsigned threads, size_t keep,
					  gdb_vstream **out);

#endif
