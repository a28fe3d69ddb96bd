/*
 * tests/unit/test_cm_v3.c - the cm codec's model version 3 (docs/FORMAT.md,
 * "CM model version 3": input maps and a second mixer): a stream coded
 * with them, with them and a match model, and without them (version 1,
 * what small assemblies and older stores hold) decodes whole and in
 * sub-ranges byte for byte; the stored features are the ones asked for;
 * an unknown feature bit, a bad match byte and a cut model are
 * GDB_ECORRUPT.
 */
#define UNIT_SEED 0xc3a9e14u
#include <errno.h>
#include <string.h>

#include "codecs/codecs.h"
#include "tests/unit/unit.h"
#include "tests/unit/unit_cm.h"

#define NB 8u	  /* blocks of the stream */
#define BB 16384u /* bases a block */
#define FEATS 7u  /* input maps, second mixer, chained training blocks */

struct stream {
	gdb_buf blk[NB];
};

/* Repeats with mutations from this block and the one before, lowercase
 * stretches, N and IUPAC runs. */
static void sample(char **s, uint32_t b)
{
	for (uint32_t i = 0; i < BB; i++) {
		uint64_t x = rnd();
		if (i >= 500 && x % 6 != 0)
			s[b][i] = s[b][i - 300 - (uint32_t)(x >> 40) % 200];
		else if (b > 0 && x % 6 == 0 && (x >> 20) % 2)
			s[b][i] = (char)(s[b - 1][i] & ~0x20);
		else
			s[b][i] = "ACGT"[(x >> 8) % 4];
	}
	for (uint32_t i = 2000 + 100 * b; i < 2600; i++)
		s[b][i] = (char)(s[b][i] | 0x20);
	memset(s[b] + 7000, 'N', 30 + b);
	memset(s[b] + 9000, 'Y', 2);
}

static int fetch(void *arg, uint32_t block, const uint8_t **src, size_t *len)
{
	const struct stream *st = arg;

	if (block >= NB)
		return GDB_ECORRUPT;
	*src = (const uint8_t *)st->blk[block].p;
	*len = st->blk[block].len;
	return 0;
}

/* feat: the params' cm_features. */
static void encode(uint32_t feat, uint32_t match, char **src, struct stream *st,
		   gdb_buf *blob)
{
	gdb_codec_params p = {.codec = GDB_CODEC_CM,
			      .alphabet = GDB_ALPHA_DNA,
			      .block_bases = BB,
			      .cm_train = 2 * BB,
			      .cm_table_bits = 16,
			      .cm_restart = 1000,
			      .cm_match = match,
			      .cm_features = feat};

	unit_cm_encode(&p, NB, src, st->blk, blob);
}

/* Every block, whole and in random sub-ranges; returns the coded blocks'
 * bytes. */
static size_t check_stream(const gdb_buf *blob, struct stream *st, char **src,
			   char *dst, const char *what)
{
	gdb_codec_model *m = NULL;
	size_t bytes = 0;
	int coded = 0;

	CHECK(gdb_codec_model_load(GDB_CODEC_CM, GDB_ALPHA_DNA,
				   (const uint8_t *)blob->p, blob->len, fetch,
				   st, &m) == 0,
	      "%s: model load", what);
	for (uint32_t b = 0; m && b < NB; b++) {
		const gdb_buf *blk = &st->blk[b];
		coded += ((const uint8_t *)blk->p)[0] != 0;
		bytes += blk->len;
		unit_cm_check_range(m, blk, src[b], 0, BB, BB, dst);
		for (int k = 0; k < 60; k++) {
			uint32_t a = (uint32_t)(rnd() % BB);
			uint32_t z = a + 1 + (uint32_t)(rnd() % 2500);
			unit_cm_check_range(m, blk, src[b], a, z < BB ? z : BB,
					    BB, dst);
		}
	}
	CHECK(coded > 0, "%s: no block was cm-coded", what);
	gdb_codec_model_free(m);
	return bytes;
}

static int load_rc(const uint8_t *t, size_t len, struct stream *st)
{
	gdb_codec_model *m = NULL;
	int rc = gdb_codec_model_load(GDB_CODEC_CM, GDB_ALPHA_DNA, t, len,
				      fetch, st, &m);

	if (rc == 0)
		gdb_codec_model_free(m);
	return rc;
}

/* Chained training blocks (kind 3) in the wrong order: refused. */
static void check_swapped(const gdb_buf *blob, const struct stream *st)
{
	struct stream sw = *st;
	uint32_t a = NB, b = NB;

	for (uint32_t i = 0; i < NB; i++) {
		if (((const uint8_t *)st->blk[i].p)[0] != 3)
			continue;
		if (a == NB)
			a = i;
		else if (b == NB)
			b = i;
	}
	CHECK(b < NB, "fewer than two chained training blocks");
	if (b == NB)
		return;
	sw.blk[a] = st->blk[b];
	sw.blk[b] = st->blk[a];
	CHECK(load_rc((const uint8_t *)blob->p, blob->len, &sw) == GDB_ECORRUPT,
	      "swapped training blocks load");
}

/* The bytes after the orders (match length, features) and the length. */
static void check_bad_models(const gdb_buf *blob, struct stream *st)
{
	uint8_t *t = xmalloc(blob->len);
	size_t kat = 24 + ((const uint8_t *)blob->p)[1];

	for (int v = 0; v < 256; v++) {
		memcpy(t, blob->p, blob->len);
		t[kat + 1] = (uint8_t)v;
		/* other features change the model's length: refused */
		CHECK(load_rc(t, blob->len, st) ==
			  (v == FEATS ? 0 : GDB_ECORRUPT),
		      "features %d", v);
	}
	memcpy(t, blob->p, blob->len);
	for (int v = 1; v < 256; v += 5) {
		t[kat] = (uint8_t)v;
		CHECK(load_rc(t, blob->len, st) != 0 || (v >= 12 && v <= 32),
		      "match byte %d accepted", v);
	}
	CHECK(load_rc((const uint8_t *)blob->p, blob->len - 1, st) ==
		  GDB_ECORRUPT,
	      "a cut model loads");
	free(t);
}

static void quiet(enum gdb_log_level level, const char *line)
{
	(void)level;
	(void)line;
}

int main(void)
{
	char *src[NB], *dst = xmalloc(BB), desc[512];
	struct stream v3 = {0}, v3m = {0}, v1 = {0};
	gdb_buf b3 = {0}, b3m = {0}, b1 = {0};
	gdb_codec_model *m = NULL;
	size_t s3, s1;

	gdb_log_set_sink(quiet);
	for (uint32_t b = 0; b < NB; b++) {
		src[b] = xmalloc(BB);
		sample(src, b);
	}
	encode(GDB_CM_FEAT_SET | FEATS, 0, src, &v3, &b3);
	encode(GDB_CM_FEAT_SET | FEATS, 16, src, &v3m, &b3m);
	encode(GDB_CM_FEAT_SET, 0, src, &v1, &b1);
	{
		const uint8_t *p3 = (const uint8_t *)b3.p,
			      *pm = (const uint8_t *)b3m.p,
			      *p1 = (const uint8_t *)b1.p;
		CHECK(p3[0] == 3 && pm[0] == 3 && p1[0] == 1,
		      "model versions %u, %u, %u", p3[0], pm[0], p1[0]);
		CHECK(p3[24 + p3[1]] == 0 && p3[25 + p3[1]] == FEATS &&
			  pm[24 + pm[1]] == 16 && pm[25 + pm[1]] == FEATS,
		      "match and feature bytes");
	}
	CHECK(gdb_codec_model_load(GDB_CODEC_CM, GDB_ALPHA_DNA,
				   (const uint8_t *)b3.p, b3.len, fetch, &v3,
				   &m) == 0,
	      "model load");
	if (m) {
		gdb_codec_describe(m, desc, sizeof(desc));
		CHECK(strstr(desc, "input maps") &&
			  strstr(desc, "two mixers") && strstr(desc, "chained"),
		      "describe: %s", desc);
		gdb_codec_model_free(m);
	}
	s3 = check_stream(&b3, &v3, src, dst, "version 3");
	(void)check_stream(&b3m, &v3m, src, dst, "version 3, match model");
	s1 = check_stream(&b1, &v1, src, dst, "version 1");
	check_bad_models(&b3, &v3);
	check_bad_models(&b3m, &v3m);
	check_swapped(&b3, &v3);
	check_swapped(&b3m, &v3m);
	for (uint32_t b = 0; b < NB; b++) {
		gdb_buf_free(&v3.blk[b]);
		gdb_buf_free(&v3m.blk[b]);
		gdb_buf_free(&v1.blk[b]);
		free(src[b]);
	}
	gdb_buf_free(&b3);
	gdb_buf_free(&b3m);
	gdb_buf_free(&b1);
	free(dst);
	if (failures) {
		printf("test_cm_v3: %d failure(s)\n", failures);
		return T_EXIT_FAIL;
	}
	printf("test_cm_v3: ok (blocks %zu bytes with version 3, %zu with "
	       "version 1)\n",
	       s3, s1);
	return T_EXIT_PASS;
}
