/*
 * reads/reads_int.h - what the files of reads/ share: the on-disk
 * constants (docs/FORMAT.md, "Reads"), varints, column builders, the
 * slice codec's entry points and the reader's state. Nothing outside
 * reads/ includes it.
 */
#ifndef GDB_READS_INT_H
#define GDB_READS_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <htslib/sam.h>

#include "codecs/codecs.h"
#include "reads/reads.h"

#define RD_MAGIC "GDBREADS"
#define RD_VERSION 1u
#define RD_META_FIXED 64 /* bytes before the meta's strings */

/* Section names (docs/FORMAT.md "Reads"); slices and chunks follow the
 * fixed sections, the i-th at position first_slice + i. */
#define RD_SEC_META "reads.meta"
#define RD_SEC_HEADER "reads.header"
#define RD_SEC_INDEX "reads.index"
#define RD_SEC_BAI "reads.bai"

/* meta flags */
#define RD_F_PAIRED 0x1u	     /* FASTQ: two mates */
#define RD_F_LOSSY 0x2u		     /* FASTQ: qualities binned */
#define RD_F_CRLF(m) (0x4u << (m))   /* file m (0, 1) ends lines CRLF */
#define RD_F_NOEOL(m) (0x10u << (m)) /* file m's last line has no end */

/* Aligned slice limits: whichever comes first ends a slice. */
#define RD_SLICE_RECS 10000u
#define RD_SLICE_BASES (4u << 20)
#define RD_SLICE_RAW (8u << 20) /* BAM bytes of its records */

/* Index entry sizes. */
#define RD_ALN_ENTRY 64
#define RD_FQ_ENTRY 48

/* The whole-sample BAM is cut into BGZF blocks of this many bytes of
 * payload (htslib's BGZF_BLOCK_SIZE), stored uncompressed: each costs
 * 18 + 5 + 8 bytes of framing, so sizes are exact without deflate. */
#define RD_BGZF_DATA 0xff00u
#define RD_BGZF_OVERHEAD 31u
#define RD_BGZF_EOF_LEN 28u

/* Column ids of an aligned slice (docs/FORMAT.md "Aligned slice"). Tag
 * columns are RD_COL_TAG | tag[0] << 16 | tag[1] << 8 | type. */
enum rd_col {
	RD_COL_FLAG = 1,
	RD_COL_POS,
	RD_COL_MAPQ,
	RD_COL_BIN,
	RD_COL_NREF,
	RD_COL_NPOS,
	RD_COL_TLEN,
	RD_COL_NAME,
	RD_COL_NCIG,
	RD_COL_CIGOP,
	RD_COL_CIGLEN,	 /* lengths of M, = and X */
	RD_COL_CIGLEN_I, /* of I */
	RD_COL_CIGLEN_D, /* of D */
	RD_COL_CIGLEN_N, /* of N */
	RD_COL_CIGLEN_S, /* of S, H, P and any other */
	RD_COL_QLEN,
	RD_COL_SUBPOS,
	RD_COL_SUBCODE,
	RD_COL_INS,
	RD_COL_QUAL,
	RD_COL_QMISS,
	RD_COL_TL,
	RD_COL_TLDICT,
	RD_COL_VERB,
	RD_COL_VRAW,
	RD_NCORE
};
#define RD_COL_TAG 0x80000000u

/* The length column of a CIGAR operation. */
static inline int rd_ciglen_col(int op)
{
	switch (op) {
	case BAM_CMATCH:
	case BAM_CEQUAL:
	case BAM_CDIFF:
		return RD_COL_CIGLEN;
	case BAM_CINS:
		return RD_COL_CIGLEN_I;
	case BAM_CDEL:
		return RD_COL_CIGLEN_D;
	case BAM_CREF_SKIP:
		return RD_COL_CIGLEN_N;
	default:
		return RD_COL_CIGLEN_S;
	}
}
#define RD_SLICE_HDR 32

/* A tag line's type byte with this bit: the tag (MD:Z, or NM of an
 * integer type) equals what the reference gives and has no value. */
#define RD_TAG_COMPUTED 0x80u

/* ---- varints (codecs/codecs.h), zigzag for signed, over cursors ---- */

static inline void rd_put_uv(gdb_buf *b, uint64_t v)
{
	gdb_codecs_put_uv(b, v);
}

static inline void rd_put_sv(gdb_buf *b, int64_t v)
{
	rd_put_uv(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* A cursor over a decoded column; reading past its end sets err. */
typedef struct rd_cur {
	const uint8_t *p, *end;
	int err;
} rd_cur;

static inline uint64_t rd_get_uv(rd_cur *c)
{
	return gdb_codecs_get_uv(&c->p, c->end, &c->err);
}

static inline int64_t rd_get_sv(rd_cur *c)
{
	uint64_t u = rd_get_uv(c);
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static inline const uint8_t *rd_get_bytes(rd_cur *c, size_t n)
{
	const uint8_t *p = c->p;

	if ((size_t)(c->end - c->p) < n) {
		c->err = 1;
		return NULL;
	}
	c->p += n;
	return p;
}

static inline int rd_get_u8(rd_cur *c)
{
	const uint8_t *p = rd_get_bytes(c, 1);
	return p ? *p : 0;
}

/* ---- the reference window a slice is coded against ---- */

typedef struct rd_ref {
	const char *bases; /* [beg, end) of the contig, uppercase or not */
	int64_t beg, end;
} rd_ref;

/* A reference letter's class (A 0, C 1, G 2, T 3, anything else 4) and
 * the 4-bit code each class decodes to. */
static inline int rd_ref_class(char c)
{
	switch (c | 0x20) {
	case 'a':
		return 0;
	case 'c':
		return 1;
	case 'g':
		return 2;
	case 't':
		return 3;
	default:
		return 4;
	}
}
static const uint8_t rd_ref_nt16[5] = {1, 2, 4, 8, 15};

/* Is b's sequence coded against the reference (mapped, with a CIGAR
 * whose query length is l_qseq)? */
int rd_ref_coded(const bam1_t *b);
int rd_calc_md_nm(const bam1_t *b, const rd_ref *ref, gdb_buf *md, int64_t *nm);

/* ---- aligned slice codec (reads/slice_enc.c, slice_dec.c) ---- */

/*
 * rd_slice_encode - the slice payload of recs[0..n) (all of target tid,
 * or all unplaced), their bases coded against ref. verb[i] set keeps
 * record i whole (its BAM bytes, raw[i]); raw holds each record's BAM
 * bytes as htslib writes them.
 */
int rd_slice_encode(bam1_t *const *recs, uint32_t n, int32_t tid,
		    const rd_ref *ref, const uint8_t *verb,
		    const uint8_t *const *raw, gdb_buf *out);

/* The reference span the slice's bases were coded against (from its
 * header): [*beg, *end); beg == end when none. */
int rd_slice_span(const uint8_t *p, size_t len, int32_t *tid, uint32_t *n,
		  int64_t *beg, int64_t *end);

/*
 * rd_slice_decode - the records of a slice payload.
 * @param recs  out: *n records (malloc'd array of bam1_t, each from
 *              bam_init1 semantics); free with rd_recs_free()
 * @return 0, GDB_ECORRUPT, -ENOMEM
 */
int rd_slice_decode(const uint8_t *p, size_t len, const rd_ref *ref,
		    bam1_t ***recs, uint32_t *n);
void rd_recs_free(bam1_t **recs, uint32_t n);

/* ---- htslib plumbing (reads/hts.c) ---- */

/* BAM bytes of records (as bam_write1 writes them, uncompressed). */
int rd_hts_raw(bam1_t *const *recs, uint32_t n, gdb_buf *out);
/* The BAM header bytes of h ("BAM\1", text, references). */
int rd_hts_header_raw(const sam_hdr_t *h, gdb_buf *out);
/* Parse BAM header bytes. NULL on failure. */
sam_hdr_t *rd_hts_header_parse(const void *p, size_t len);
/* One record from its BAM bytes (block_size first). 0 or GDB_ECORRUPT */
int rd_hts_record_parse(const void *p, size_t len, bam1_t *b);

/* An htsFile writing into memory (a memfd) in mode "wb", "w", "wc". */
typedef struct rd_memout rd_memout;
int rd_memout_open(const char *mode, rd_memout **out);
htsFile *rd_memout_file(rd_memout *m);
/* Close the htsFile and take its bytes (malloc'd). */
int rd_memout_finish(rd_memout *m, char **data, size_t *len);
void rd_memout_abort(rd_memout *m);
/* Open an htsFile writing to fd (dup'd: fd stays the caller's). */
htsFile *rd_hts_fdopen(int fd, const char *mode);

/* ---- FASTQ (reads/fq_parse.c, fq_chunk.c) ---- */

/* FASTQ chunk limits (both mates' FASTQ bytes; records). */
#define RD_FQ_CHUNK_RAW (8u << 20)
#define RD_FQ_CHUNK_RECS 500000u
#define RD_FQ_HDR 16

/* A record's flags: how its '+' line reads, whether its lines wrap. */
#define FQ_PLUS_EMPTY 0u /* "+" */
#define FQ_PLUS_TITLE 1u /* "+" and the title again */
#define FQ_PLUS_OTHER 2u /* "+" and other text */
#define FQ_PLUS_MASK 3u
#define FQ_LAYOUT 4u /* line lengths stored (wrapped, or no lines) */

/* Column ids of a FASTQ chunk (docs/FORMAT.md "FASTQ chunk"). */
enum fq_col {
	FQ_COL_FLAGS = 1,
	FQ_COL_TITLE,  /* mate 1 (or single) titles, NUL-terminated */
	FQ_COL_PLUS,   /* texts of FQ_PLUS_OTHER lines, NUL-terminated */
	FQ_COL_LEN,    /* bases per record */
	FQ_COL_BASES,  /* codecs' read bases encoding */
	FQ_COL_QUAL,   /* Phred values */
	FQ_COL_LAYOUT, /* line lengths of FQ_LAYOUT records */
	FQ_COL_T2PRE,  /* mate 2 titles: mate 1's title length less the
			* prefix the two share */
	FQ_COL_T2SUF,  /* suffix shared (after the prefix) */
	FQ_COL_T2MID,  /* the bytes between, NUL-terminated */
	FQ_NCOL
};

/* One record as parsed or decoded; offsets into its fq_set's buffers. */
typedef struct fq_rec {
	uint32_t title, tlen; /* in text */
	uint32_t plus, plen;  /* in text (FQ_PLUS_OTHER) */
	uint32_t slen;	      /* bases, and qualities */
	uint32_t boff;	      /* in bases and quals */
	uint32_t layout;      /* in layout (FQ_LAYOUT) */
	uint8_t flags;
} fq_rec;

/* The records of one file (one mate) of a chunk. */
typedef struct fq_set {
	fq_rec *rec;
	uint32_t n, cap;
	gdb_buf text, bases, quals, layout;
	uint64_t raw; /* their FASTQ bytes */
} fq_set;

void fq_set_reset(fq_set *s);
void fq_set_free(fq_set *s);
fq_rec *fq_set_add(fq_set *s);

/* A FASTQ file being read through htslib's BGZF reader. */
typedef struct fq_in fq_in;
int fq_in_open(const char *path, fq_in **out, char *err, size_t errlen);
void fq_in_close(fq_in *in);
uint64_t fq_in_bytes(const fq_in *in); /* decompressed bytes read */
int fq_in_crlf(const fq_in *in);
int fq_in_noeol(const fq_in *in);
uint32_t fq_in_trailer(const fq_in *in); /* blank lines at the end */

/*
 * fq_read - the next record of in into s, its bytes (qualities binned)
 * appended to raw.
 * @return 1, 0 at the end, GDB_EFORMAT with "FILE:LINE: reason" in err
 */
int fq_read(fq_in *in, fq_set *s, const gdb_qual_bins *bins, gdb_buf *raw,
	    char *err, size_t errlen);

/* Chunk codec (reads/fq_chunk.c): one set, or a pair's two of the same
 * number of records (m[1] NULL for a single file). */
int fq_chunk_encode(fq_set *const m[2], gdb_buf *out);
int fq_chunk_decode(const uint8_t *p, size_t len, fq_set *m[2]);
/* The same, titles_only: records without bases or qualities (lookups). */
int fq_chunk_decode2(const uint8_t *p, size_t len, fq_set *m[2],
		     int titles_only);

/* Record i of s as FASTQ; eol "\n" or "\r\n"; noeol: without its last
 * line's end (the file's last record, when the file has none). */
void fq_render_rec(const fq_set *s, uint32_t i, const char *eol, int noeol,
		   gdb_buf *out);

/* ---- builders' shared pieces (reads/bam_build.c) ---- */

typedef struct rd_meta {
	int kind;
	uint64_t records;
	uint32_t nslices;
	uint32_t flags;
	uint64_t bytes[2]; /* FASTQ: bytes of each file */
	uint32_t first_slice;
	uint32_t ntargets;
	uint16_t trailer[2]; /* FASTQ: blank lines ending each file */
	const char *str;     /* assembly, or quality mode */
} rd_meta;

int rd_write_meta(gdb_txn *t, const rd_meta *m, gdb_reads_import_stats *st);
int rd_write_section(gdb_txn *t, const char *name, const void *p, size_t n,
		     gdb_reads_import_stats *st);

/* ---- the reader (reads/read.c) ---- */

/* A rendered piece of a whole file (the BAM, a FASTQ file), cached. */
#define RD_PIECES 8
typedef struct rd_piece {
	const gdb_reads *owner;
	int which; /* file: 0 BAM, or 1 + FASTQ which */
	uint32_t slice;
	char *data;
	size_t len;
	uint64_t tick;
} rd_piece;

struct gdb_reads {
	const gdb_store *s;
	gdb_cache *c;
	int obj;
	int kind;
	char *name;
	char *asm_name;
	char *quals;
	uint32_t flags;
	uint64_t records;
	uint32_t nslices;
	uint32_t first_slice; /* section position of slice 0 */
	const uint8_t *index; /* nslices entries, in the mapping */
	/* aligned */
	sam_hdr_t *hdr;
	char *hdr_raw; /* BAM header bytes */
	size_t hdr_raw_len;
	int32_t *contig_of; /* per target: store contig id, -1 none */
	uint8_t *bai;	    /* the whole-sample BAM's BAI */
	size_t bai_len;
	uint64_t hdr_bgzf; /* bytes of the header's BGZF blocks */
	uint64_t bam_size;
	/* FASTQ */
	uint64_t fq_bytes[2];
	uint16_t trailer[2];
};

/* Index entry fields. */
typedef struct rd_slice_ent {
	int32_t tid;
	uint32_t n;
	int64_t beg, end;
	uint64_t first, raw_len, bam_off;
} rd_slice_ent;

void rd_slice_ent_get(const gdb_reads *r, uint32_t i, rd_slice_ent *e);
void rd_slice_ent_put(uint8_t *p, const rd_slice_ent *e);

/* BGZF bytes of n payload bytes cut into RD_BGZF_DATA blocks. */
static inline uint64_t rd_bgzf_len(uint64_t n)
{
	return n + (n + RD_BGZF_DATA - 1) / RD_BGZF_DATA * RD_BGZF_OVERHEAD;
}

/* The virtual offset of payload byte u of a part whose first block is at
 * coffset base (u == its length: the next part's start, next). */
static inline uint64_t rd_voff(uint64_t base, uint64_t u, uint64_t len,
			       uint64_t next)
{
	if (u >= len)
		return next << 16;
	return (base + u / RD_BGZF_DATA * (RD_BGZF_DATA + RD_BGZF_OVERHEAD))
		   << 16 |
	       (u % RD_BGZF_DATA);
}

/* Cut payload into uncompressed BGZF blocks, appended to out. */
int rd_bgzf_blocks(const void *p, size_t n, gdb_buf *out);

/*
 * rd_slice_load - decode slice i of r (its CRC checked by the store, its
 * reference bases read through r's cache).
 * @return 0, GDB_ECHECKSUM / GDB_ECORRUPT (logged, naming the slice),
 *         -ENOMEM, the cache's error
 */
int rd_slice_load(gdb_reads *r, uint32_t i, bam1_t ***recs, uint32_t *n);

/* The bytes of one slice section. */
int rd_slice_bytes(const gdb_reads *r, uint32_t i, const uint8_t **p,
		   size_t *len);

/* Reference window [beg, end) of contig id (clamped; padded with N). */
int rd_ref_load(gdb_cache *c, int32_t contig, int64_t beg, int64_t end,
		rd_ref *ref, char **owned);

/* Piece i of whole file `which` (0: the BAM; 1 + a FASTQ which). */
typedef int (*rd_render_piece)(gdb_reads *r, int which, uint32_t i, char **data,
			       size_t *len);

/*
 * rd_piece_copy - copy bytes [at, at + n) of a piece into dst, rendering
 * it with fn unless it is in the process's piece cache (reads/read.c).
 * @return bytes copied (0 at or past its end), or fn's error
 */
ssize_t rd_piece_copy(gdb_reads *r, int which, uint32_t i, rd_render_piece fn,
		      uint64_t at, void *dst, size_t n);
void rd_pieces_forget(const gdb_reads *r);

#endif
