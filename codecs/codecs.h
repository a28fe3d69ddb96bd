/*
 * codecs/codecs.h - turn sequences into compact, self-contained blocks and
 * back: one interface (encode a block, decode a block or a sub-range of
 * it, describe itself), three codecs chosen per assembly and recorded in
 * the store (docs/FORMAT.md, "Codecs"):
 *
 *   2bit     DNA and RNA: two bits a base plus run lists for N, the IUPAC
 *            codes and soft-masking (the "DNA block"), optionally zstd;
 *   protein  a residue code (20 amino acids + B Z X U O J *, case kept)
 *            under a static order-1 rANS coder whose frequency tables
 *            are counted over the assembly's first residues and stored
 *            once (older stores: a context-mixing coder, read only);
 *   cm       DNA and RNA: an order-k context-mixing arithmetic coder
 *            (hashed orders 1-24 mixed, as GeCo and cm-style DNA
 *            compressors do) whose models are trained at import on a
 *            sample of the assembly's own blocks, kept 2-bit, and rebuilt
 *            by the reader once; each block resets the coder and adapts
 *            only its mixer, so any block decodes on its own.
 *
 * Beside them, the columns of reads/ (docs/FORMAT.md "Column frame",
 * "Read bases", "Quality modes"): byte streams entropy-coded by
 * libhtscodecs or zstd, read bases under their own context-mixing model,
 * and the lossy quality bins (codecs/column.c, bases.c, seqcm.c, qual.c).
 *
 * Alphabets (dna, rna, protein) say which letters a sequence may hold and
 * are detected by content on request; lossy transforms (drop-mask,
 * iupac-to-n) are applied before encoding, never by default.
 *
 * No I/O here; depends only on simd/ and common/.
 *
 * Threading: all functions are reentrant; a loaded model is read-only and
 * may be shared by any number of decoding threads; an encoder belongs to
 * one thread.
 */
#ifndef GDB_CODECS_H
#define GDB_CODECS_H

#include <stddef.h>
#include <stdint.h>

#include "common/gdb.h"

/* The most bases any block holds: 64 Ki (16 KiB packed). Recorded per
 * assembly on disk; every buffer sized for a block is sized by this. */
#define GDB_DNA_BLOCK_BASES 65536u

/* ==== alphabets ==== */

enum gdb_alphabet {
	GDB_ALPHA_DNA = 1,
	GDB_ALPHA_RNA = 2,
	GDB_ALPHA_PROTEIN = 3,
};

/* "dna", "rna", "protein"; "?" for anything else. */
const char *gdb_alphabet_name(uint32_t alphabet);
/* @return the alphabet, 0 for "auto", -EINVAL for anything else. */
int gdb_alphabet_parse(const char *name);

/*
 * gdb_alphabet_valid - may a sequence of this alphabet hold byte c?
 *   dna, rna: A C G T U and the IUPAC codes N R Y S W K M B D H V, either
 *             case (T in RNA and U in DNA are kept as exceptions);
 *   protein:  the 20 amino acids, B Z X (ambiguity), U (selenocysteine),
 *             O (pyrrolysine), J (leucine or isoleucine), either case, and
 *             '*' (a stop).
 * @return 1 or 0
 */
int gdb_alphabet_valid(uint32_t alphabet, int c);

/*
 * gdb_alphabet_to_u8 - the .u8 codes of n letters of an assembly of this
 * alphabet (docs/PATHS.md ".u8 codes"); src and dst may be the same.
 * DNA and RNA: the simd to_u8 codes (A0 C1 G2 T/U3 N4, IUPAC 5..14).
 * Protein: the 20 amino acids in alphabetical order of their letter
 * (A0 C1 D2 E3 F4 G5 H6 I7 K8 L9 M10 N11 P12 Q13 R14 S15 T16 V17 W18 Y19),
 * then B20 Z21 X22 U23 O24 J25 *26; either case; any other byte 255.
 */
void gdb_alphabet_to_u8(uint32_t alphabet, const char *src, size_t n,
			uint8_t *dst);

/*
 * Detection by content (--alphabet auto), from a sample of residues (the
 * importer feeds the first 64 Ki of the file): nucleotides when at least
 * 90% of the letters are A C G T U N (either case), RNA if U outnumbers
 * T, else DNA; anything else is protein. A stray letter in DNA (a 'J' or
 * 'X' among bases) therefore stays an error naming its line, not a reason
 * to read the whole file as protein.
 */
typedef struct gdb_alpha_sniff {
	uint64_t count[256];
	uint64_t total;
} gdb_alpha_sniff;

void gdb_alphabet_sniff_add(gdb_alpha_sniff *s, const char *p, size_t n);
/* @param why out: one line saying what decided (may be NULL)
 * @return the alphabet (DNA when nothing was seen) */
uint32_t gdb_alphabet_sniff_result(const gdb_alpha_sniff *s, char *why,
				   size_t whylen);

/* ==== lossy transforms (never the default) ==== */

#define GDB_LOSSY_DROP_MASK 0x1u /* lowercase (soft-masked) -> upper */
#define GDB_LOSSY_IUPAC_TO_N                                                   \
	0x2u /* R Y S W K M B D H V -> N, case kept                            \
	      * (nucleotides only) */
#define GDB_LOSSY_ALL 0x3u

/* @return the flag for "drop-mask" / "iupac-to-n", or -EINVAL. */
int gdb_lossy_parse(const char *name);
/* "drop-mask,iupac-to-n" style text of the flags into buf ("" if none). */
void gdb_lossy_text(unsigned lossy, char *buf, size_t cap);
/* Apply the transforms to bases[0..n) in place. */
void gdb_lossy_apply(unsigned lossy, uint32_t alphabet, char *bases, size_t n);

/* ==== the codec interface ==== */

enum gdb_codec_id {
	GDB_CODEC_2BIT = 1,
	GDB_CODEC_PROTEIN = 2,
	GDB_CODEC_CM = 3,
};

/* "2bit", "protein", "cm"; "?" otherwise. */
const char *gdb_codec_name(uint32_t codec);
/* @return the codec id, or -EINVAL. */
int gdb_codec_parse(const char *name);
/* The codec an alphabet gets when none is asked for (2bit, protein). */
uint32_t gdb_codec_default(uint32_t alphabet);
/* @return 1 if the codec can store that alphabet. */
int gdb_codec_supports(uint32_t codec, uint32_t alphabet);

/*
 * A reference assembly's bases, for an assembly stored relative to it
 * (cm, `--relative-to`): its models are trained on, and its match model
 * points into, the reference's first stream blocks instead of its own
 * (docs/FORMAT.md "CM model version 3"). The caller (the store) decodes
 * and checks the reference's blocks.
 */
typedef struct gdb_codec_ref {
	uint32_t nblocks; /* the reference's stream blocks */
	/* The bases of reference stream block `block` into dst (cap
	 * bytes). @return their number (> 0), or a negative error */
	int (*bases)(void *arg, uint32_t block, char *dst, size_t cap);
	void *arg;
} gdb_codec_ref;

typedef struct gdb_codec_params {
	uint32_t codec;		/* GDB_CODEC_* */
	uint32_t alphabet;	/* GDB_ALPHA_* */
	uint32_t block_bases;	/* 0: the codec's default (2bit 65536,
				 * protein 16384, cm 65536 with restart
				 * points inside) */
	int zstd_level;		/* 2bit: zstd level tried on the packed
				 * codes (0 = never) */
	uint32_t cm_train;	/* cm: bases in the training sample (0:
				 * default, an eighth of the assembly
				 * between 1 and 8 Mbp) */
	uint32_t cm_table_bits; /* cm: log2 of each hashed model's
				 * slots (16..26; 0: the default) */
	uint32_t cm_orders;	/* cm: the models, bit k set for an
				 * order-k model (1..24, at most 16 of
				 * them; 0: the default set) */
	uint32_t cm_restart;	/* cm: bases between the coder's restart
				 * points in a block (0: the default,
				 * 1024; >= the block: none) */
	uint32_t cm_match;	/* cm: 0, or a match model over the
				 * training blocks, which are then the
				 * assembly's first blocks (--cm-train
				 * bases; default a quarter, 1-8 Mbp):
				 * the bases a match is found by (12..32) */
	uint32_t cm_features;	/* cm: model version 3's features,
				 * GDB_CM_FEAT_*; 0: the default (chained
				 * training blocks once the training
				 * sample reaches 1 Mbp; with cm_ref
				 * never: the model is version 3 with
				 * its relative feature, CHAIN ignored) */
	const struct gdb_codec_ref *cm_ref; /* cm with cm_match: NULL, or
					     * the reference assembly the
					     * models and matches come
					     * from (--relative-to) */
} gdb_codec_params;

#define GDB_CM_FEAT_MAPS 1u  /* input maps */
#define GDB_CM_FEAT_MIX2 2u  /* a second mixer */
#define GDB_CM_FEAT_CHAIN 4u /* training blocks coded in a chain */
/* 8u is taken: the stored model's relative bit, set by cm_ref alone */
#define GDB_CM_FEAT_SET                                                        \
	0x80u /* exactly the bits given (none: version 1                       \
	       * or 2), not the default */

/* The block size the params give (their own or the codec's default). */
uint32_t gdb_codec_block_bases(const gdb_codec_params *p);

/*
 * Writing. An encoder codes the blocks of one assembly, in stream order.
 * Codecs that keep a model (protein, cm) first see every block once
 * through gdb_codec_enc_train (the importer's first pass), then
 * gdb_codec_enc_train_done gives the model's bytes, stored once per
 * assembly; codecs without (2bit) want no training pass.
 */
typedef struct gdb_codec_enc gdb_codec_enc;

/* @return 0, -EINVAL (codec and alphabet do not go together), -ENOMEM */
GDB_MUST_CHECK int gdb_codec_enc_new(const gdb_codec_params *p,
				     gdb_codec_enc **out);
void gdb_codec_enc_free(gdb_codec_enc *e);
int gdb_codec_enc_wants_training(const gdb_codec_enc *e);
/* Feed block number `block` (0, 1, ... in order) of the stream.
 * @return 0, 1 when the trainer wants no more blocks (protein: it counts
 *         the stream's first residues only, so the training pass stops
 *         early), or a negative error */
GDB_MUST_CHECK int gdb_codec_enc_train(gdb_codec_enc *e, uint32_t block,
				       const char *bases, uint32_t n);
/* Build the model; its bytes (possibly none) into blob (reset first). */
GDB_MUST_CHECK int gdb_codec_enc_train_done(gdb_codec_enc *e, gdb_buf *blob);
/*
 * gdb_codec_enc_block - encode block number `block` of the stream.
 * @param out     the block's bytes (reset first)
 * @param badpos  out (may be NULL): on GDB_EFORMAT, the index of the
 *                first byte the alphabet does not allow
 * @return 0, GDB_EFORMAT, -ENOMEM, -EINVAL
 * Deterministic: the same model and bases give the same bytes.
 */
GDB_MUST_CHECK int gdb_codec_enc_block(gdb_codec_enc *e, uint32_t block,
				       const char *bases, uint32_t n,
				       gdb_buf *out, uint32_t *badpos);

/*
 * Reading. A model is loaded once per assembly from its stored bytes; a
 * codec whose model is rebuilt from training blocks (cm) asks for them
 * through fetch (the store hands back checked block bytes).
 */
typedef struct gdb_codec_model gdb_codec_model;
typedef int (*gdb_codec_fetch)(void *arg, uint32_t block, const uint8_t **src,
			       size_t *len);

/* @return 0, GDB_ECORRUPT (bad model bytes or training block),
 *         GDB_EVERSION (unknown codec), -ENOMEM, or fetch's error */
GDB_MUST_CHECK int gdb_codec_model_load(uint32_t codec, uint32_t alphabet,
					const uint8_t *blob, size_t len,
					gdb_codec_fetch fetch, void *arg,
					gdb_codec_model **out);
/* The same for an assembly stored relative to another: ref gives the
 * reference's bases (NULL: none; a relative model then fails with
 * GDB_ECORRUPT). */
GDB_MUST_CHECK int gdb_codec_model_load_ref(uint32_t codec, uint32_t alphabet,
					    const uint8_t *blob, size_t len,
					    gdb_codec_fetch fetch, void *arg,
					    const gdb_codec_ref *ref,
					    gdb_codec_model **out);
void gdb_codec_model_free(gdb_codec_model *m);

/* Bases a block holds, from its header. @return > 0 or GDB_ECORRUPT. */
GDB_MUST_CHECK int gdb_codec_nbases(const gdb_codec_model *m,
				    const uint8_t *src, size_t len);
/*
 * gdb_codec_decode - bases [from, to) of a block into dst[0 .. to-from).
 * The block is untrusted: every field is checked, nothing is read or
 * written out of bounds, and a malformed block is GDB_ECORRUPT.
 * @return to - from, GDB_ECORRUPT, -ENOBUFS (dstcap < to - from), -EINVAL
 *         (from >= to or to past the block), -ENOMEM
 */
GDB_MUST_CHECK int gdb_codec_decode(const gdb_codec_model *m,
				    const uint8_t *src, size_t len,
				    uint32_t from, uint32_t to, char *dst,
				    size_t dstcap);
/* One line: codec, alphabet and the model's parameters. */
void gdb_codec_describe(const gdb_codec_model *m, char *buf, size_t cap);

/* ==== the 2bit DNA block, directly (docs/FORMAT.md "DNA block") ==== */

/* gdb_alphabet_valid(GDB_ALPHA_DNA, c). */
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

/* The same for RNA: the 2-bit codes spell A C G U, and T is an exception
 * letter (the block's RNA flag). */
GDB_MUST_CHECK int gdb_codecs_rna_encode(const char *bases, uint32_t nbases,
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

/* Bases [from, to) of a block into dst[0 .. to-from): the same checks,
 * only that range unpacked. @return to - from, or as above (-EINVAL for
 * a range outside the block). */
GDB_MUST_CHECK int gdb_codecs_dna_decode_range(const uint8_t *src,
					       size_t srclen, uint32_t from,
					       uint32_t to, char *dst,
					       size_t dstcap);

/* ---- entropy-coded columns (codecs/column.c; docs/FORMAT.md "Column
 * frame"): a byte stream compressed by the smallest of libhtscodecs' rANS
 * 4x16 and arithmetic coders, its name tokeniser (tok3), its fqzcomp
 * quality model, and zstd, behind a 5-byte header naming the method. ---- */

/* Methods, as stored in a frame's first byte. */
enum gdb_col_method {
	GDB_COL_RAW = 0,
	GDB_COL_RANS = 1,  /* libhtscodecs rANS 4x16 (self-describing) */
	GDB_COL_ARITH = 2, /* libhtscodecs adaptive arithmetic coder */
	GDB_COL_ZSTD = 3,  /* one zstd frame */
	GDB_COL_TOK3 = 4,  /* libhtscodecs name tokeniser 3 */
	GDB_COL_FQZ = 5,   /* libhtscodecs fqzcomp qualities */
	GDB_COL_CM = 6,	   /* read bases: codecs/seqcm.c */
};

/* Which generic coders gdb_codecs_col_encode tries (any mix). */
#define GDB_COL_R0 0x01u      /* rANS order 0 */
#define GDB_COL_R1 0x02u      /* rANS order 1 */
#define GDB_COL_A0 0x04u      /* arithmetic order 0 */
#define GDB_COL_A1 0x08u      /* arithmetic order 1 */
#define GDB_COL_Z 0x10u	      /* zstd */
#define GDB_COL_STRIPE4 0x20u /* rANS over 4 byte lanes (u32 fields) */
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
	uint8_t map[256]; /* Phred value -> stored value */
	int lossless;	  /* map is the identity */
	char spec[128];	  /* canonical text: "lossless", "illumina8",
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
