/*
 * tests/fuzz/codec_fuzz.h - the harness the model codecs' fuzz targets
 * (codec_cm.c, codec_protein.c) share. At first use it trains the codec
 * on a fixed, deterministic sample and keeps the encoded training blocks
 * and the model bytes. Then the input's first byte chooses:
 *   even: the rest is one block, decoded whole and in a sub-range with
 *         the trained model (cm blocks with a restart point every 512
 *         bases: the sub-range starts at the nearest one);
 *   odd:  the rest is the model's bytes, loaded (training blocks fetched
 *         from the kept ones) and, if accepted, used on every kept block.
 * Anything may be refused; nothing may crash, read or write outside the
 * bytes, or return a length other than the one asked for. With FZ_MATCH
 * (codec_cm_match.c) the cm model has a match model into the first two
 * blocks, which the last two repeat; with FZ_FEAT (codec_cm_v3.c) a
 * version 3 model with every feature; with FZ_MATCH and FZ_REL
 * (codec_cm_rel.c) the model is relative to a reference assembly holding
 * the first two blocks' bases (version 3's relative feature,
 * `--relative-to`).
 */
#ifndef GDB_CODEC_FUZZ_H
#define GDB_CODEC_FUZZ_H

#include <stdlib.h>
#include <string.h>

#include "codecs/codecs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_BLOCKS 4u
#define FZ_BB 4096u
/* cm only: a match model of this length (0: none) into the first two
 * blocks, which blocks 2 and 3 then repeat with substitutions */
#ifndef FZ_MATCH
#define FZ_MATCH 0
#endif
/* cm only: the model's features (GDB_CM_FEAT_*; 0: what the sample's
 * size gives, here version 1 or 2, or with FZ_REL version 3 relative) */
#ifndef FZ_FEAT
#define FZ_FEAT 0
#endif
#ifndef FZ_REL
#define FZ_REL 0
#endif

struct fz {
	gdb_buf blk[FZ_BLOCKS];
	gdb_buf model;
	gdb_codec_model *m;
	char *out;
};

/* Deterministic sample: repeats with mutations, some case and IUPAC. */
static void fz_sample(uint32_t alphabet, uint32_t b, char *s)
{
	static const char nuc[] = "ACGTACGTACGTNRYacgt";
	static const char aa[] = "ACDEFGHIKLMNPQRSTVWYBZXUO*acdek";
	const char *al = alphabet == GDB_ALPHA_PROTEIN ? aa : nuc;
	size_t n = strlen(al);
	uint64_t x = 0x9e3779b97f4a7c15ull * (b + 1);

	if (FZ_MATCH && b >= 2) {
		fz_sample(alphabet, b - 2, s);
		for (uint32_t i = 0; i < FZ_BB; i += 1 + (uint32_t)(x % 97)) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			s[i] = "ACGT"[(x >> 8) % 4];
		}
		return;
	}
	for (uint32_t i = 0; i < FZ_BB; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (i >= 64 && x % 4 != 0)
			s[i] = s[i - 64];
		else
			s[i] = al[(x >> 8) % (x % 3 ? 4 : n)];
	}
}

/* FZ_REL: the reference's bases, blocks 0 and 1 of the sample. */
static int fz_ref_bases(void *arg, uint32_t block, char *dst, size_t cap)
{
	(void)arg;
	if (block >= 2 || cap < FZ_BB)
		return GDB_ECORRUPT;
	fz_sample(GDB_ALPHA_DNA, block, dst);
	return (int)FZ_BB;
}

static const gdb_codec_ref fz_ref = {2, fz_ref_bases, NULL};
#define FZ_REF (FZ_REL ? &fz_ref : NULL)

static int fz_fetch(void *arg, uint32_t block, const uint8_t **src, size_t *len)
{
	const struct fz *f = arg;

	if (block >= FZ_BLOCKS)
		return GDB_ECORRUPT;
	*src = (const uint8_t *)f->blk[block].p;
	*len = f->blk[block].len;
	return 0;
}

static struct fz *fz_init(uint32_t codec, uint32_t alphabet)
{
	static struct fz f;
	static int done;
	gdb_codec_params p = {.codec = codec,
			      .alphabet = alphabet,
			      .block_bases = FZ_BB,
			      .cm_train = FZ_BB * 2,
			      .cm_table_bits = 16,
			      .cm_restart = 512,
			      .cm_match = FZ_MATCH,
			      .cm_features = FZ_FEAT,
			      .cm_ref = FZ_REF};
	gdb_codec_enc *e;
	char *s;

	if (done)
		return &f;
	done = 1;
	s = malloc(FZ_BB);
	f.out = malloc(GDB_DNA_BLOCK_BASES);
	if (!s || !f.out || gdb_codec_enc_new(&p, &e) < 0)
		abort();
	for (uint32_t b = 0; b < FZ_BLOCKS; b++) {
		fz_sample(alphabet, b, s);
		if (gdb_codec_enc_train(e, b, s, FZ_BB) < 0)
			abort();
	}
	if (gdb_codec_enc_train_done(e, &f.model) < 0)
		abort();
	for (uint32_t b = 0; b < FZ_BLOCKS; b++) {
		fz_sample(alphabet, b, s);
		if (gdb_codec_enc_block(e, b, s, FZ_BB, &f.blk[b], NULL) < 0)
			abort();
	}
	if (gdb_codec_model_load_ref(codec, alphabet,
				     (const uint8_t *)f.model.p, f.model.len,
				     fz_fetch, &f, FZ_REF, &f.m) < 0)
		abort();
	gdb_codec_enc_free(e);
	free(s);
	return &f;
}

/* Decode a block whole and in its middle third; lengths must agree. */
static void fz_decode(const gdb_codec_model *m, const uint8_t *src, size_t len,
		      char *out)
{
	int n = gdb_codec_nbases(m, src, len);
	int got;

	if (n <= 0)
		return;
	if (n > (int)GDB_DNA_BLOCK_BASES)
		abort();
	got = gdb_codec_decode(m, src, len, 0, (uint32_t)n, out,
			       GDB_DNA_BLOCK_BASES);
	if (got >= 0 && got != n)
		abort();
	if (n >= 3) {
		uint32_t from = (uint32_t)n / 3, to = 2 * (uint32_t)n / 3;
		got = gdb_codec_decode(m, src, len, from, to, out, to - from);
		if (got >= 0 && got != (int)(to - from))
			abort();
	}
}

static int fz_run(uint32_t codec, uint32_t alphabet, const uint8_t *data,
		  size_t size)
{
	struct fz *f = fz_init(codec, alphabet);
	gdb_codec_model *m = NULL;

	if (size < 1)
		return 0;
	if (!(data[0] & 1)) {
		fz_decode(f->m, data + 1, size - 1, f->out);
		return 0;
	}
	if (gdb_codec_model_load_ref(codec, alphabet, data + 1, size - 1,
				     fz_fetch, f, FZ_REF, &m) < 0)
		return 0;
	for (uint32_t b = 0; b < FZ_BLOCKS; b++)
		fz_decode(m, (const uint8_t *)f->blk[b].p, f->blk[b].len,
			  f->out);
	gdb_codec_model_free(m);
	return 0;
}

#endif
