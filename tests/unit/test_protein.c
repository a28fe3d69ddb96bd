/*
 * tests/unit/test_protein.c - the protein codec (codecs/protein.c) through
 * the codec interface: round trips byte for byte on random and adversarial
 * residues (every letter of the 27, lowercase runs, a block of one
 * residue, of one letter, the largest block), every sub-range decoding to
 * the source's bytes, the trainer's early stop, refused models, every
 * single-byte change of a block either refused or decoded within bounds,
 * and blocks of model version 1 (the context-mixing coder, kept read
 * only: the committed fuzz seeds) still decoding to the sample they were
 * made from.
 *
 * Exit status: 0 pass, 1 fail (the first failures are printed).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/codecs.h"
#include "common/gdb.h"

#define UNIT_SEED 0x7f4a7c159e3779b9ull
#include "tests/unit/unit.h"

#define MAXB 16384u
static const char LETTERS[] = "LAGVESIKRDTPNQFYMHCWXBZUOJ*";

static void quiet_sink(enum gdb_log_level level, const char *line)
{
	(void)level;
	(void)line;
}

/* Residues drawn like a proteome (mostly the common ones), some
 * lowercase runs; `kind` 1: one letter; 2: every letter in turn. */
static void gen(char *s, uint32_t n, int kind)
{
	int lower = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t r = rnd();
		char c = kind == 1 ? 'W'
			 : kind == 2
			     ? LETTERS[i % 27]
			     : LETTERS[r % 8 ? (r >> 8) % 20 : (r >> 8) % 27];
		if (r % 97 == 0)
			lower = !lower;
		s[i] = lower && c != '*' ? (char)(c | 0x20) : c;
	}
}

static gdb_codec_model *trained(const char *s, uint32_t n, gdb_codec_enc **e)
{
	gdb_codec_params p = {.codec = GDB_CODEC_PROTEIN,
			      .alphabet = GDB_ALPHA_PROTEIN};
	gdb_codec_model *m = NULL;
	gdb_buf blob = {0};

	if (gdb_codec_enc_new(&p, e) < 0)
		return NULL;
	CHECK(gdb_codec_enc_train(*e, 0, s, n) >= 0, "train");
	CHECK(gdb_codec_enc_train_done(*e, &blob) == 0, "train_done");
	CHECK(gdb_codec_model_load(GDB_CODEC_PROTEIN, GDB_ALPHA_PROTEIN,
				   (const uint8_t *)blob.p, blob.len, NULL,
				   NULL, &m) == 0,
	      "model load");
	gdb_buf_free(&blob);
	return m;
}

static void round_trip(gdb_codec_enc *e, const gdb_codec_model *m,
		       const char *s, uint32_t n)
{
	gdb_buf out = {0};
	char *dst = xmalloc(n);
	int rc = gdb_codec_enc_block(e, 0, s, n, &out, NULL);

	CHECK(rc == 0, "encode n=%u: %d", n, rc);
	rc = gdb_codec_decode(m, (const uint8_t *)out.p, out.len, 0, n, dst, n);
	CHECK(rc == (int)n && !memcmp(dst, s, n), "round trip n=%u: %d", n, rc);
	for (int k = 0; k < 8 && n > 1; k++) {
		uint32_t a = (uint32_t)(rnd() % n), b = (uint32_t)(rnd() % n);
		uint32_t from = a < b ? a : b, to = (a < b ? b : a) + 1;
		rc = gdb_codec_decode(m, (const uint8_t *)out.p, out.len, from,
				      to, dst, n);
		CHECK(rc == (int)(to - from) &&
			  !memcmp(dst, s + from, to - from),
		      "range [%u,%u) of %u: %d", from, to, n, rc);
	}
	free(dst);
	gdb_buf_free(&out);
}

static void check_round_trips(void)
{
	char *s = xmalloc(MAXB);
	gdb_codec_enc *e = NULL;
	gdb_codec_model *m;
	static const uint32_t sizes[] = {1, 2, 3, 27, 255, 4096, 9999, MAXB};

	gen(s, MAXB, 0);
	m = trained(s, MAXB, &e);
	for (int kind = 0; m && kind < 3; kind++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
			gen(s, sizes[i], kind);
			round_trip(e, m, s, sizes[i]);
		}
	/* a letter the alphabet lacks is refused with its place */
	if (m) {
		gdb_buf out = {0};
		uint32_t bad = 0;
		gen(s, 100, 0);
		s[41] = '#';
		CHECK(gdb_codec_enc_block(e, 0, s, 100, &out, &bad) ==
			      GDB_EFORMAT &&
			  bad == 41,
		      "bad residue at %u", bad);
		gdb_buf_free(&out);
	}
	gdb_codec_model_free(m);
	gdb_codec_enc_free(e);
	free(s);
}

/* The trainer stops asking once it has counted its 1 Mi residues. */
static void check_train_stop(void)
{
	gdb_codec_params p = {.codec = GDB_CODEC_PROTEIN,
			      .alphabet = GDB_ALPHA_PROTEIN};
	gdb_codec_enc *e = NULL;
	char *s = xmalloc(MAXB);
	int rc = 0;
	uint32_t b;

	gen(s, MAXB, 0);
	CHECK(gdb_codec_enc_new(&p, &e) == 0, "enc_new");
	for (b = 0; e && b < 1000 && rc == 0; b++)
		rc = gdb_codec_enc_train(e, b, s, MAXB);
	CHECK(rc == 1 && b == (1u << 20) / MAXB, "stop after %u blocks: %d", b,
	      rc);
	gdb_codec_enc_free(e);
	free(s);
}

/* Damaged models are refused; damaged blocks never go out of bounds. */
static void check_damage(void)
{
	char *s = xmalloc(MAXB), *dst = xmalloc(MAXB + 64);
	gdb_codec_enc *e = NULL;
	gdb_codec_model *m, *bad;
	gdb_buf out = {0};
	int refused = 0;

	gen(s, 3000, 0);
	m = trained(s, 3000, &e);
	if (!m)
		return;
	CHECK(gdb_codec_enc_block(e, 0, s, 3000, &out, NULL) == 0, "encode");
	for (size_t i = 0; i < out.len; i++) {
		uint8_t *blk = xmalloc(out.len);
		int rc;
		memcpy(blk, out.p, out.len);
		blk[i] ^= (uint8_t)(1 + rnd() % 255);
		rc = gdb_codec_decode(m, blk, out.len, 0, 3000, dst, MAXB);
		/* -EINVAL: the count became smaller than the range asked */
		CHECK(rc == 3000 || rc == GDB_ECORRUPT || rc == -EINVAL,
		      "byte %zu: %d", i, rc);
		refused += rc != 3000;
		rc = gdb_codec_decode(m, blk, i, 0, 3000, dst, MAXB);
		CHECK(rc == GDB_ECORRUPT, "cut at %zu: %d", i, rc);
		free(blk);
	}
	/* the end check (final state and every byte) catches nearly all */
	CHECK(refused * 10 > (int)out.len * 9, "%d of %zu changes refused",
	      refused, out.len);
	{
		uint8_t blob[1 + 2 * 28 * 27] = {2};
		for (int i = 0; i < 28 * 27; i++)
			gdb_put_le16(blob + 1 + 2 * i, i % 27 ? 151 : 170);
		/* 26 x 151 + 170 = 4096 per context: accepted */
		CHECK(gdb_codec_model_load(GDB_CODEC_PROTEIN, GDB_ALPHA_PROTEIN,
					   blob, sizeof(blob), NULL, NULL,
					   &bad) == 0,
		      "a valid hand-made model");
		gdb_codec_model_free(bad);
		gdb_put_le16(blob + 1, 0); /* a residue that cannot occur */
		CHECK(gdb_codec_model_load(GDB_CODEC_PROTEIN, GDB_ALPHA_PROTEIN,
					   blob, sizeof(blob), NULL, NULL,
					   &bad) == GDB_ECORRUPT,
		      "zero frequency");
		blob[0] = 3;
		CHECK(gdb_codec_model_load(GDB_CODEC_PROTEIN, GDB_ALPHA_PROTEIN,
					   blob, sizeof(blob), NULL, NULL,
					   &bad) == GDB_ECORRUPT,
		      "unknown version");
	}
	gdb_buf_free(&out);
	gdb_codec_model_free(m);
	gdb_codec_enc_free(e);
	free(s);
	free(dst);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = xmalloc(1 << 16);

	*len = f ? fread(b, 1, 1 << 16, f) : 0;
	if (f)
		fclose(f);
	return b;
}

/* Version 1 (the context-mixing coder): the committed fuzz seeds are its
 * model and first block over the harness's first sample block
 * (tests/fuzz/codec_fuzz.h, fz_sample, rebuilt here). */
static void check_v1(void)
{
	static const char aa[] = "ACDEFGHIKLMNPQRSTVWYBZXUO*acdek";
	char s[4096], dst[4096];
	size_t ml, bl, n = strlen(aa);
	uint8_t *model = slurp("tests/fuzz/corpus/codec_protein/v1_model", &ml);
	uint8_t *blk = slurp("tests/fuzz/corpus/codec_protein/v1_block0", &bl);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	gdb_codec_model *m = NULL;

	for (uint32_t i = 0; i < 4096; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (i >= 64 && x % 4 != 0)
			s[i] = s[i - 64];
		else
			s[i] = aa[(x >> 8) % (x % 3 ? 4 : n)];
	}
	CHECK(ml > 1 && bl > 1, "seeds missing (run from the repository)");
	if (ml > 1 && bl > 1 &&
	    gdb_codec_model_load(GDB_CODEC_PROTEIN, GDB_ALPHA_PROTEIN,
				 model + 1, ml - 1, NULL, NULL, &m) == 0) {
		int rc = gdb_codec_decode(m, blk + 1, bl - 1, 0, 4096, dst,
					  sizeof(dst));
		CHECK(rc == 4096 && !memcmp(dst, s, 4096), "v1 block: %d", rc);
		rc = gdb_codec_decode(m, blk + 1, bl - 1, 1000, 1100, dst,
				      sizeof(dst));
		CHECK(rc == 100 && !memcmp(dst, s + 1000, 100),
		      "v1 sub-range: %d", rc);
	} else {
		FAIL("v1 model refused");
	}
	gdb_codec_model_free(m);
	free(model);
	free(blk);
}

int main(void)
{
	gdb_log_set_sink(quiet_sink);
	check_round_trips();
	check_train_stop();
	check_damage();
	check_v1();
	gdb_log_set_sink(NULL);
	if (failures) {
		printf("test_protein: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_protein: ok\n");
	return 0;
}
