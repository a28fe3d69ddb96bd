/*
 * codecs/codecs.h - turn bases into compact, self-contained blocks and back.
 *
 * DNA block codec: a block holds up to GDB_DNA_BLOCK_BASES bases, packed two
 * bits a base (simd/ pack2), with two sorted run lists beside the packed
 * bases: exception runs (N and every other IUPAC letter, kept exactly) and
 * lowercase (soft-mask) runs. An optional zstd stage compresses the packed
 * area when that makes it smaller. A block decodes on its own, so any region
 * decodes by touching only its blocks. The byte layout is specified in
 * docs/FORMAT.md, section "DNA block".
 *
 * No I/O here; depends only on simd/ and common/.
 *
 * Threading: all functions are reentrant; no shared state.
 */
#ifndef GDB_CODECS_H
#define GDB_CODECS_H

#include <stddef.h>
#include <stdint.h>

#include "common/gdb.h"

/* Bases per block: 64 Ki (16 KiB packed). Recorded per contig on disk. */
#define GDB_DNA_BLOCK_BASES 65536u

/*
 * gdb_codecs_dna_valid - is c a letter a DNA/RNA sequence may hold?
 * Accepted, in either case: A C G T U and the IUPAC codes N R Y S W K M B D H V.
 * @return 1 or 0
 */
int gdb_codecs_dna_valid(int c);

/* Upper bound of an encoded block of n bases (for sizing dst). */
size_t gdb_codecs_dna_bound(uint32_t nbases);

/*
 * gdb_codecs_dna_encode - encode one block.
 * @param bases      in: nbases ASCII letters, no newlines
 * @param nbases     1 .. GDB_DNA_BLOCK_BASES
 * @param zstd_level 0 = never zstd; otherwise the zstd level tried on the
 *                   packed area (kept only if smaller)
 * @param dst        out: at least gdb_codecs_dna_bound(nbases) bytes
 * @param dstcap     capacity of dst
 * @param badpos     out (may be NULL): on GDB_EFORMAT, index of the first
 *                   byte that is not a valid letter
 * @return bytes written (> 0), GDB_EFORMAT for an invalid letter, -EINVAL
 *         for a bad nbases, -ENOBUFS if dstcap is too small, -ENOMEM.
 * Deterministic: the same bases and level give the same bytes.
 */
GDB_MUST_CHECK int gdb_codecs_dna_encode(const char *bases, uint32_t nbases,
					 int zstd_level, uint8_t *dst,
					 size_t dstcap, uint32_t *badpos);

/*
 * gdb_codecs_dna_nbases - number of bases a block holds, from its header.
 * @return 1 .. GDB_DNA_BLOCK_BASES, or GDB_ECORRUPT.
 */
GDB_MUST_CHECK int gdb_codecs_dna_nbases(const uint8_t *src, size_t srclen);

/*
 * gdb_codecs_dna_decode - decode a whole block into ASCII.
 * @param src     in: an encoded block (untrusted: every field is checked)
 * @param srclen  its length in bytes
 * @param dst     out: the bases, exactly as encoded (case and IUPAC kept)
 * @param dstcap  capacity of dst
 * @return number of bases written, GDB_ECORRUPT if the block is malformed
 *         (never writes past dstcap, never returns wrong bases for a block
 *         that passed its checksum), -ENOBUFS if dstcap is too small.
 */
GDB_MUST_CHECK int gdb_codecs_dna_decode(const uint8_t *src, size_t srclen,
					 char *dst, size_t dstcap);


/* ---- entropy-coded columns (codecs/column.c; docs/FORMAT.md "Column
 * frame"): a byte stream compressed by the smallest of libhtscodecs' rANS
 * 4x16 and arithmetic coders, its name tokeniser (tok3), its fqzcomp
 * quality model, and zstd, behind a 5-byte header naming the method. ---- */

/* Methods, as stored in a frame's first byte. */
enum gdb_col_method {
	GDB_COL_RAW = 0,
	GDB_COL_RANS = 1,	/* libhtscodecs rANS 4x16 (self-describing) */
	GDB_COL_ARITH = 2,	/* libhtscodecs adaptive arithmetic coder */
	GDB_COL_ZSTD = 3,	/* one zstd frame */
	GDB_COL_TOK3 = 4,	/* libhtscodecs name tokeniser 3 */
	GDB_COL_FQZ = 5,	/* libhtscodecs fqzcomp qualities */
	GDB_COL_CM = 6,		/* read bases: codecs/seqcm.c */
};

/* Which generic coders gdb_codecs_col_encode tries (any mix). */
#define GDB_COL_R0 0x01u	/* rANS order 0 */
#define GDB_COL_R1 0x02u	/* rANS order 1 */
#define GDB_COL_A0 0x04u	/* arithmetic order 0 */
#define GDB_COL_A1 0x08u	/* arithmetic order 1 */
#define GDB_COL_Z 0x10u		/* zstd */
#define GDB_COL_STRIPE4 0x20u	/* rANS over 4 byte lanes (u32 fields) */
#define GDB_COL_ALL 0x3fu

/* The largest column, raw: 1 GiB. */
#define GDB_COL_MAX ((size_t)1 << 30)

/*
 * gdb_codecs_col_encode - append src as one frame, by the coder among
 * tries (raw is always a candidate) that gives the fewest bytes.
 * @param out  the frame is appended (out->err reports a failure)
 * @return 0, -EFBIG (n > GDB_COL_MAX), -ENOMEM
 * Deterministic: the same bytes and tries give the same frame.
 */
GDB_MUST_CHECK int gdb_codecs_col_encode(const uint8_t *src, size_t n,
					 unsigned tries, gdb_buf *out);

/* The same for read names, NUL-terminated one after the other: tok3 is
 * tried too (kept only if it decodes back exactly). */
GDB_MUST_CHECK int gdb_codecs_col_encode_names(const char *names, size_t n,
					       gdb_buf *out);

/*
 * gdb_codecs_col_encode_quals - qualities of nrec reads, concatenated
 * (Phred values, not ASCII): fqzcomp is tried with the reads' lengths and
 * SAM flags (0x10 reverse, 0x80 second of pair steer its model), beside
 * rANS and arithmetic order 1.
 * @param lens  nrec lengths summing to n (else fqzcomp is not tried)
 */
GDB_MUST_CHECK int gdb_codecs_col_encode_quals(const uint8_t *q, size_t n,
					       const uint32_t *lens,
					       const uint32_t *flags,
					       size_t nrec, gdb_buf *out);

/*
 * gdb_codecs_col_decode - decode one frame.
 * @param src,len  the whole frame (untrusted)
 * @param maxraw   the most raw bytes the caller accepts
 * @param out      out: malloc'd raw bytes (caller frees), exactly *n
 * @return 0; GDB_ECORRUPT (malformed frame, unknown method, a raw length
 *         above maxraw, a coder error or a length that differs); -ENOMEM
 */
GDB_MUST_CHECK int gdb_codecs_col_decode(const uint8_t *src, size_t len,
					 size_t maxraw, uint8_t **out,
					 size_t *n);

/* ---- quality binning (codecs/qual.c): the lossy FASTQ quality modes,
 * docs/FORMAT.md "Quality modes" ---- */

typedef struct gdb_qual_bins {
	uint8_t map[256];	/* Phred value -> stored value */
	int lossless;		/* map is the identity */
	char spec[128];		/* canonical text: "lossless", "illumina8",
				 * "bins=2,10,20,30" */
} gdb_qual_bins;

/*
 * gdb_codecs_qual_bins_parse - a quality mode from its text.
 *   lossless          every value kept
 *   illumina8         Illumina's 8-level binning: 0-2 kept, 3-9 -> 6,
 *                     10-19 -> 15, 20-24 -> 22, 25-29 -> 27, 30-34 -> 33,
 *                     35-39 -> 37, 40 and above -> 40
 *   bins=B1,B2,...    values below B1 kept; each value in [Bi, Bi+1)
 *                     becomes Bi; values from the last bound up become it
 *                     (1 to 32 bounds, strictly increasing, 1..93)
 * @return 0 or GDB_EFORMAT with a one-line reason in err
 */
GDB_MUST_CHECK int gdb_codecs_qual_bins_parse(const char *spec,
					      gdb_qual_bins *b, char *err,
					      size_t errlen);

/* Replace every value of q[0..n) by its bin (in place). */
void gdb_codecs_qual_bins_apply(const gdb_qual_bins *b, uint8_t *q, size_t n);


/* ---- varints (LEB128, at most 10 bytes; zigzag for signed) ---- */

static inline void gdb_codecs_put_uv(gdb_buf *b, uint64_t v)
{
	uint8_t t[10];
	size_t n = 0;

	do {
		t[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	gdb_buf_add(b, t, n);
}

/* Read a varint at *p (< end); sets *err and returns 0 past the end or
 * after 10 bytes. */
static inline uint64_t gdb_codecs_get_uv(const uint8_t **p, const uint8_t *end,
					 int *err)
{
	uint64_t v = 0;

	for (int s = 0; s < 70; s += 7) {
		uint8_t x;
		if (*p >= end)
			break;
		x = *(*p)++;
		v |= (uint64_t)(x & 0x7f) << s;
		if (!(x & 0x80))
			return v;
	}
	*err = 1;
	return 0;
}

/* ---- read bases (codecs/bases.c, codecs/seqcm.c; docs/FORMAT.md "Read
 * bases"): the bases of many reads as 2-bit codes with exception runs
 * (N, IUPAC, U: kept exactly) and lowercase runs beside them, the codes
 * coded by a context-mixing model that knows where reads start. ---- */

/*
 * gdb_codecs_bases_encode - append the encoding of n bases (nrec reads of
 * lens[], concatenated) to out.
 * @param badpos  out (may be NULL): on GDB_EFORMAT, the index of the
 *                first byte that is no base letter (A C G T U N and the
 *                IUPAC codes, either case)
 * @return 0, GDB_EFORMAT, -EINVAL (lens do not add up to n), -ENOMEM
 */
GDB_MUST_CHECK int gdb_codecs_bases_encode(const char *bases, size_t n,
					   const uint32_t *lens, size_t nrec,
					   gdb_buf *out, size_t *badpos);

/*
 * gdb_codecs_bases_decode - the n bases of an encoding (untrusted).
 * @param dst  out: n bytes
 * @return 0, GDB_ECORRUPT, -ENOMEM
 */
GDB_MUST_CHECK int gdb_codecs_bases_decode(const uint8_t *src, size_t len,
					   const uint32_t *lens, size_t nrec,
					   char *dst, size_t n);

/* The context-mixing coder of 2-bit codes (one code, 0-3, a byte). */
GDB_MUST_CHECK int gdb_codecs_cm_encode(const uint8_t *codes, size_t n,
					const uint32_t *lens, size_t nrec,
					gdb_buf *out);
GDB_MUST_CHECK int gdb_codecs_cm_decode(const uint8_t *src, size_t len,
					uint8_t *codes, size_t n,
					const uint32_t *lens, size_t nrec);

#endif
