/*
 * reads/reads.h - sequencing reads as a data type: aligned samples
 * (SAM/BAM/CRAM) and unaligned sets (FASTQ, single or paired).
 *
 * A reads object is the store's sections object "reads/<name>" (layout:
 * docs/FORMAT.md, "Reads"). Its records are cut into slices (aligned) or
 * chunks (FASTQ) of a few thousand records, each one section with one
 * entropy-coded column per field (codecs/ column frames), so any region
 * or record range decodes by touching only its slices. Aligned bases are
 * stored against the assembly they were aligned to, as CRAM does; every
 * record is given back exactly (tag order kept, nothing added).
 *
 * htslib reads and writes every SAM/BAM/CRAM byte, libhtscodecs supplies
 * the entropy coders. FASTQ bytes are read through htslib's BGZF reader
 * (plain, gzip or bgzip) and split into records here: no library keeps
 * FASTQ byte for byte ('+name' lines, wrapping, CRLF), and this module
 * promises exactly that.
 *
 * Parts: builders fed by the importers (bam_build.c, fq_build.c), the
 * reader over mapped slices (read.c), queries and renderers (render.c:
 * region SAM/BAM/CRAM and depth, the whole-sample BAM + BAI streamed
 * piece by piece; fq_render.c: FASTQ files, record ranges and names).
 *
 * Coordinates: 0-based half-open inside; paths and region strings are
 * 1-based inclusive (docs/PATHS.md).
 *
 * Threading: a gdb_reads is immutable after open except for its small
 * cache of rendered pieces (locked inside); every query may run
 * concurrently. Imports belong to one thread.
 */
#ifndef GDB_READS_H
#define GDB_READS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cache/cache.h"
#include "common/gdb.h"
#include "store/store.h"

/* A reads object is the sections object GDB_READS_OBJECT_PREFIX "<name>". */
#define GDB_READS_OBJECT_PREFIX "reads/"

/* Kinds of reads object. */
#define GDB_READS_ALIGNED 1
#define GDB_READS_FASTQ 2

typedef struct gdb_reads gdb_reads;

/* Progress of an import: called now and then with input bytes consumed. */
typedef void (*gdb_reads_progress)(void *arg, uint64_t done, uint64_t total);

typedef struct gdb_reads_import_stats {
	uint64_t records; /* reads (FASTQ: per mate) */
	uint64_t slices;  /* slices or chunks */
	uint64_t bases;
	uint64_t raw_bytes; /* BAM record bytes / FASTQ bytes, uncompressed */
	uint64_t stored_bytes; /* bytes of the sections written */
	uint64_t verbatim;     /* aligned records kept whole (see FORMAT.md) */
} gdb_reads_import_stats;

/* import_bam flags: accept @SQ lines naming contigs the assembly lacks
 * as long as no record is placed on one (headers often list every contig
 * of a larger build); without it they are errors. */
#define GDB_READS_ALLOW_MISSING_SQ 0x1u

/*
 * gdb_reads_import_bam - read a coordinate-sorted SAM, BAM or CRAM file
 * and write it as reads object `sample` into t, an object just begun with
 * gdb_txn_object_begin(GDB_READS_OBJECT_PREFIX "<sample>").
 * @param s     the store as it was before this transaction (the assembly
 *              asm must be in it): the bases are coded against it, and a
 *              CRAM input is decoded with it
 * @param c     a block cache over s (reference bases)
 * @param path  the input; htslib detects the format
 * @param flags 0 or GDB_READS_ALLOW_MISSING_SQ
 * @return 0; GDB_EFORMAT (bad input: err names the file and the record
 *         number, or the contig whose @SQ disagrees with the assembly:
 *         absent, another length, another M5), -ENOENT (no assembly asm),
 *         -ENOMEM, -errno, or the store's error
 * Memory stays flat whatever the input size (one slice at a time).
 */
GDB_MUST_CHECK int gdb_reads_import_bam(gdb_txn *t, const gdb_store *s,
					gdb_cache *c, const char *asm_name,
					const char *path, unsigned flags,
					gdb_reads_progress progress, void *parg,
					gdb_reads_import_stats *st, char *err,
					size_t errlen);

/*
 * gdb_reads_import_fastq - read one FASTQ file, or the two mates of a
 * pair (path2 not NULL: they must hold the same number of records), and
 * write them as a reads object into t (begun as for import_bam).
 * @param quals  the quality mode: "lossless" (the default when NULL),
 *               "illumina8" or "bins=B1,B2,..." (codecs/codecs.h)
 * @return 0; GDB_EFORMAT (bad input or mode: err names the file and
 *         line), -ENOMEM, -errno, the store's error
 * Lossless imports give back every byte of every file.
 */
GDB_MUST_CHECK int gdb_reads_import_fastq(gdb_txn *t, const char *path1,
					  const char *path2, const char *quals,
					  gdb_reads_progress progress,
					  void *parg,
					  gdb_reads_import_stats *st, char *err,
					  size_t errlen);

/*
 * gdb_reads_name_check - may this name a sample or a read set? 1-200
 * bytes, no blank, '/', ',', '%', '@' or control character, not starting
 * with '.'. @return 0 or GDB_EFORMAT with the reason in err
 */
GDB_MUST_CHECK int gdb_reads_name_check(const char *name, char *err,
					size_t errlen);

/* ---- the reader ---- */

/*
 * gdb_reads_open - the reads object `name` of s.
 * @param c    a block cache over s (reference bases of aligned reads);
 *             borrowed, must outlive the reader
 * @param out  out: close with gdb_reads_close()
 * @return 0; -ENOENT (no such object); GDB_ECORRUPT / GDB_ECHECKSUM /
 *         GDB_EVERSION (its meta, header or index damaged: err says
 *         which); -ENOMEM
 */
GDB_MUST_CHECK int gdb_reads_open(const gdb_store *s, gdb_cache *c,
				  const char *name, gdb_reads **out, char *err,
				  size_t errlen);
void gdb_reads_close(gdb_reads *r); /* NULL does nothing */

/* The names of every reads object of s, in store order; emit returns
 * non-zero to stop. @return 0 */
int gdb_reads_list(const gdb_store *s, int (*emit)(void *arg, const char *name),
		   void *arg);

typedef struct gdb_reads_info {
	int kind;	      /* GDB_READS_ALIGNED or GDB_READS_FASTQ */
	const char *name;     /* borrowed, valid until close */
	const char *assembly; /* aligned: the assembly; else "" */
	const char *quals;    /* FASTQ: the quality mode's text */
	int lossless;	      /* 1 if every byte comes back */
	int paired;	      /* FASTQ: two mates */
	uint64_t records;     /* reads (FASTQ: per mate) */
	uint32_t slices;
	uint32_t ntargets; /* aligned: @SQ lines */
} gdb_reads_info;

void gdb_reads_get_info(const gdb_reads *r, gdb_reads_info *out);

/* Aligned: the i-th @SQ name (borrowed) and length; NULL past the end. */
const char *gdb_reads_target(const gdb_reads *r, uint32_t i, int64_t *len);
/* @return the target index of a @SQ name, or -ENOENT. */
int gdb_reads_target_find(const gdb_reads *r, const char *name);

/* ---- queries and renderers (aligned) ---- */

/* Output formats of region renderers. */
enum gdb_reads_fmt {
	GDB_READS_SAM,
	GDB_READS_BAM,
	GDB_READS_CRAM,	     /* self-contained: no reference needed */
	GDB_READS_DEPTH_U32, /* per-base depth, u32 little-endian */
};

/* Record filters, as samtools view -q/-F/-f; for depth, as samtools
 * depth -Q/-G: its default exclusion (0x704: unmapped, secondary,
 * QC-fail, duplicate) always applies and flags_exclude adds to it. */
typedef struct gdb_reads_filter {
	int min_mapq;		/* 0: none */
	uint32_t flags_exclude; /* skip records with any of these bits */
	uint32_t flags_require; /* keep only records with all of these */
} gdb_reads_filter;

void gdb_reads_filter_init(gdb_reads_filter *f);

/*
 * gdb_reads_filter_parse - "min-mapq=20,flags-exclude=0x904,
 * flags-require=0x2" (docs/PATHS.md); numbers decimal or 0x hex.
 * @return 0 or GDB_EFORMAT (err names the parameter)
 */
GDB_MUST_CHECK int gdb_reads_filter_parse(const char *text, gdb_reads_filter *f,
					  char *err, size_t errlen);

/*
 * gdb_reads_render_region - the records of target tid overlapping
 * [beg, end) as a whole file: SAM (header and records, as samtools view
 * -h), BAM (header, records, EOF block; records equal samtools view -b),
 * CRAM, or per-base depth (end - beg u32 values, as samtools depth -a).
 * @param max  the most bytes the answer may take: -EFBIG beyond
 * @param out  out: malloc'd, caller frees; *len bytes
 * @return 0; -EFBIG; -EINVAL (tid or range); GDB_ECORRUPT /
 *         GDB_ECHECKSUM (a slice is damaged: logged, err names it);
 *         -ENOMEM; -EIO (htslib failed)
 */
GDB_MUST_CHECK int gdb_reads_render_region(gdb_reads *r, int fmt, uint32_t tid,
					   int64_t beg, int64_t end,
					   const gdb_reads_filter *f,
					   size_t max, char **out, size_t *len,
					   char *err, size_t errlen);

/*
 * gdb_reads_depth - per-base depth of [beg, end) of target tid, as
 * samtools depth -a counts it (bases under M/=/X of records passing f,
 * never those with any of 0x704 | f->flags_exclude set).
 * @param out  end - beg counts, native byte order
 * @return 0, -EINVAL, decode errors
 */
GDB_MUST_CHECK int gdb_reads_depth(gdb_reads *r, uint32_t tid, int64_t beg,
				   int64_t end, const gdb_reads_filter *f,
				   uint32_t *out);

/*
 * The whole sample as one BAM file (uncompressed BGZF blocks, so its size
 * is exact without compressing it) and its BAI, served piece by piece: a
 * read decodes only the slices it touches.
 */
uint64_t gdb_reads_bam_size(const gdb_reads *r);
/* @return bytes copied (n, or fewer at the end), or a negative error */
GDB_MUST_CHECK ssize_t gdb_reads_bam_pread(gdb_reads *r, void *dst, size_t n,
					   uint64_t off);
/* The BAI, in the store's mapping (valid until the store closes). */
GDB_MUST_CHECK int gdb_reads_bai(gdb_reads *r, const void **data, size_t *len);

/*
 * gdb_reads_export - write records as SAM, BAM or CRAM to fd (compressed
 * as samtools would; CRAM self-contained): every record, or those
 * overlapping each region (1-based inclusive text, as samtools) in turn.
 * @return 0; GDB_EFORMAT (a region names no @SQ); the render errors
 */
GDB_MUST_CHECK int gdb_reads_export(gdb_reads *r, int fmt, int fd,
				    const char *const *regions, int nregions,
				    const gdb_reads_filter *f, char *err,
				    size_t errlen);

/* ---- FASTQ ---- */

/* Which file of a set: the single file (or interleaved pairs), a mate. */
#define GDB_READS_FQ_ALL 0
#define GDB_READS_FQ_MATE1 1
#define GDB_READS_FQ_MATE2 2

/* Bytes of a whole FASTQ file as imported (ALL of a pair: interleaved). */
uint64_t gdb_reads_fq_size(const gdb_reads *r, int which);
GDB_MUST_CHECK ssize_t gdb_reads_fq_pread(gdb_reads *r, int which, void *dst,
					  size_t n, uint64_t off);

/*
 * gdb_reads_fq_render_range - records first..last (0-based, inclusive;
 * last clamped to the set) as FASTQ, each record as imported.
 * @return 0, -EINVAL (first past the end), -EFBIG, decode errors
 */
GDB_MUST_CHECK int gdb_reads_fq_render_range(gdb_reads *r, int which,
					     uint64_t first, uint64_t last,
					     size_t max, char **out,
					     size_t *len);

/*
 * gdb_reads_fq_render_name - every record whose name (the header up to
 * the first blank) is `name`, in file order (a pair's mates together).
 * @return 0; -ENOENT (none); decode errors
 */
GDB_MUST_CHECK int gdb_reads_fq_render_name(gdb_reads *r, const char *name,
					    size_t max, char **out,
					    size_t *len);

/* Write a whole FASTQ file (which) to fd. @return 0 or an error */
GDB_MUST_CHECK int gdb_reads_fq_export(gdb_reads *r, int which, int fd,
				       char *err, size_t errlen);

#endif
