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
#define RD_META_FIXED 64	/* bytes before the meta's strings */

/* Section names (docs/FORMAT.md "Reads"); slices and chunks follow the
 * fixed sections, the i-th at position first_slice + i. */
#define RD_SEC_META "reads.meta"
#define RD_SEC_HEADER "reads.header"
#define RD_SEC_INDEX "reads.index"
#define RD_SEC_BAI "reads.bai"

/* meta flags */
#define RD_F_PAIRED 0x1u	/* FASTQ: two mates */
#define RD_F_LOSSY 0x2u		/* FASTQ: qualities binned */

/* Aligned slice limits: whichever comes first ends a slice. */
#define RD_SLICE_RECS 10000u
#define RD_SLICE_BASES (4u << 20)
#define RD_SLICE_RAW (8u << 20)	/* BAM bytes of its records */

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
	RD_COL_CIGLEN,		/* lengths of M, = and X */
	RD_COL_CIGLEN_I,	/* of I */
	RD_COL_CIGLEN_D,	/* of D */
	RD_COL_CIGLEN_N,	/* of N */
	RD_COL_CIGLEN_S,	/* of S, H, P and any other */
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
	case BAM_CMATCH: case BAM_CEQUAL: case BAM_CDIFF:
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



/* ---- varints (LEB128, at most 10 bytes; zigzag for signed) ---- */

static inline void rd_put_uv(gdb_buf *b, uint64_t v)
{
	uint8_t t[10];
	size_t n = 0;

	do {
		t[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	gdb_buf_add(b, t, n);
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
	uint64_t v = 0;

	for (int s = 0; s < 70; s += 7) {
		if (c->p >= c->end) {
			c->err = 1;
			return 0;
		}
		uint8_t x = *c->p++;
		v |= (uint64_t)(x & 0x7f) << s;
		if (!(x & 0x80))
			return v;
	}
	c->err = 1;
	return 0;
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
	const char *bases;	/* [beg, end) of the contig, uppercase or not */
	int64_t beg, end;
} rd_ref;

/* Is b's sequence coded against the reference (mapped, with a CIGAR
 * whose query length is l_qseq)? */
int rd_ref_coded(const bam1_t *b);
int rd_calc_md_nm(const bam1_t *b, const rd_ref *ref, gdb_buf *md,
		  int64_t *nm);

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

/* ---- builders' shared pieces (reads/bam_build.c) ---- */

typedef struct rd_meta {
	int kind;
	uint64_t records;
	uint32_t nslices;
	uint32_t flags;
	uint64_t bytes[2];	/* FASTQ: bytes of each file */
	uint32_t first_slice;
	uint32_t ntargets;
	const char *str;	/* assembly, or quality mode */
} rd_meta;

int rd_write_meta(gdb_txn *t, const rd_meta *m, gdb_reads_import_stats *st);
int rd_write_section(gdb_txn *t, const char *name, const void *p, size_t n,
		     gdb_reads_import_stats *st);

/* ---- the reader (reads/read.c) ---- */

/* A rendered piece of a whole file (the BAM, a FASTQ file), cached. */
#define RD_PIECES 4
typedef struct rd_piece {
	int which;		/* file: 0 BAM, or 1 + FASTQ which */
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
	uint32_t first_slice;	/* section position of slice 0 */
	const uint8_t *index;	/* nslices entries, in the mapping */
	/* aligned */
	sam_hdr_t *hdr;
	char *hdr_raw;		/* BAM header bytes */
	size_t hdr_raw_len;
	int32_t *contig_of;	/* per target: store contig id, -1 none */
	uint8_t *bai;		/* the whole-sample BAM's BAI */
	size_t bai_len;
	uint64_t hdr_bgzf;	/* bytes of the header's BGZF blocks */
	uint64_t bam_size;
	/* FASTQ */
	uint64_t fq_bytes[2];
	/* rendered pieces, protected by lock */
	pthread_mutex_t lock;
	rd_piece pieces[RD_PIECES];
	uint64_t tick;
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

/* Serve [off, off + n) of a whole file made of a head, pieces and a tail:
 * piece i is rendered by render(r, i) (cached in r->pieces). */
typedef int (*rd_render_piece)(gdb_reads *r, int which, uint32_t i,
			       char **data, size_t *len);

#endif
