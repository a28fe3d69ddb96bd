/*
 * codecs/codecs.h - turn sequences into compact, self-contained blocks and
 * back: one interface (encode a block, decode a block or a sub-range of
 * it, describe itself), three codecs chosen per assembly and recorded in
 * the store (docs/FORMAT.md, "Codecs"):
 *
 *   2bit     DNA and RNA: two bits a base plus run lists for N, the IUPAC
 *            codes and soft-masking (the "DNA block"), optionally zstd;
 *   protein  a residue code (20 amino acids + B Z X U O J *, case kept)
 *            under an order-2 context-mixing arithmetic coder whose
 *            starting statistics are trained over the whole assembly and
 *            stored once;
 *   cm       DNA and RNA: an order-k context-mixing arithmetic coder
 *            (hashed orders 1-24 mixed, as GeCo and cm-style DNA
 *            compressors do) whose models are trained at import on a
 *            sample of the assembly's own blocks, kept 2-bit, and rebuilt
 *            by the reader once; each block resets the coder and adapts
 *            only its mixer, so any block decodes on its own.
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

#define GDB_LOSSY_DROP_MASK 0x1u	/* lowercase (soft-masked) -> upper */
#define GDB_LOSSY_IUPAC_TO_N 0x2u	/* R Y S W K M B D H V -> N, case kept
					 * (nucleotides only) */
#define GDB_LOSSY_ALL 0x3u

/* @return the flag for "drop-mask" / "iupac-to-n", or -EINVAL. */
int gdb_lossy_parse(const char *name);
/* "drop-mask,iupac-to-n" style text of the flags into buf ("" if none). */
void gdb_lossy_text(unsigned lossy, char *buf, size_t cap);
/* Apply the transforms to bases[0..n) in place. */
void gdb_lossy_apply(unsigned lossy, uint32_t alphabet, char *bases,
		     size_t n);

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

typedef struct gdb_codec_params {
	uint32_t codec;		/* GDB_CODEC_* */
	uint32_t alphabet;	/* GDB_ALPHA_* */
	uint32_t block_bases;	/* 0: the codec's default (2bit 65536,
				 * protein 16384, cm 8192) */
	int zstd_level;		/* 2bit: zstd level tried on the packed
				 * codes (0 = never) */
	uint32_t cm_train;	/* cm: bases in the training sample (0:
				 * default, an eighth of the assembly
				 * between 1 and 8 Mbp) */
	uint32_t cm_table_bits;	/* cm: log2 of each hashed model's
				 * slots (16..26; 0: the default) */
	uint32_t cm_orders;	/* cm: the models, bit k set for an
				 * order-k model (1..24, at most 16 of
				 * them; 0: the default set) */
} gdb_codec_params;

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
/* Feed block number `block` (0, 1, ... in order) of the stream. */
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
typedef int (*gdb_codec_fetch)(void *arg, uint32_t block,
			       const uint8_t **src, size_t *len);

/* @return 0, GDB_ECORRUPT (bad model bytes or training block),
 *         GDB_EVERSION (unknown codec), -ENOMEM, or fetch's error */
GDB_MUST_CHECK int gdb_codec_model_load(uint32_t codec, uint32_t alphabet,
					const uint8_t *blob, size_t len,
					gdb_codec_fetch fetch, void *arg,
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

#endif
