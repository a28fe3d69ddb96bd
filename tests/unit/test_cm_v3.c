/*
 * tests/unit/test_cm_v3.c - the cm codec's model version 3 (docs/FORMAT.md,
 * "CM model version 3": input maps and a second mixer): a stream coded
 * with them, with them and a match model, and without them (version 1,
 * what small assemblies and older stores hold) decodes whole and in
 * sub-ranges byte for byte; the stored features are the ones asked for;
 * an unknown feature bit, a bad match byte, a cut model and one naming
 * training blocks past the stream's end (found before anything is sized
 * by their count) are GDB_ECORRUPT.
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

/* feat: the params' cm_features. */
static void encode(uint32_t feat, uint32_t match, char **src,
		   struct unit_cm_stream *st, gdb_buf *blob)
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
static size_t check_stream(const gdb_buf *blob, struct unit_cm_stream *st,
			   char **src, char *dst, const char *what)
{
	gdb_codec_model *m = NULL;
	size_t bytes = 0;
	int coded = 0;

	CHECK(gdb_codec_model_load(GDB_CODEC_CM, GDB_ALPHA_DNA,
				   (const uint8_t *)blob->p, blob->len,
				   unit_cm_fetch, st, &m) == 0,
	      "%s: model load", what);
	for (uint32_t b = 0; m && b < NB; b++) {
		const gdb_buf *blk = &st->blk[b];
		coded += ((const uint8_t *)blk->p)[0] != 0;
		bytes += blk->len;
		unit_cm_check_ranges(m, blk, src[b], BB, 60, 2500, dst);
	}
	CHECK(coded > 0, "%s: no block was cm-coded", what);
	gdb_codec_model_free(m);
	return bytes;
}

static int load_rc(const uint8_t *t, size_t len, struct unit_cm_stream *st)
{
	gdb_codec_model *m = NULL;
	int rc = gdb_codec_model_load(GDB_CODEC_CM, GDB_ALPHA_DNA, t, len,
				      unit_cm_fetch, st, &m);

	if (rc == 0)
		gdb_codec_model_free(m);
	return rc;
}

/* Chained training blocks (kind 3) in the wrong order: refused. */
static void check_swapped(const gdb_buf *blob, const struct unit_cm_stream *st)
{
	struct unit_cm_stream sw = *st;
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

/* A fetch that counts its calls and keeps the first block asked for. */
struct counted {
	struct unit_cm_stream *st;
	uint32_t calls, first;
};

static int counted_fetch(void *arg, uint32_t block, const uint8_t **src,
			 size_t *len)
{
	struct counted *c = arg;

	if (c->calls++ == 0)
		c->first = block;
	return unit_cm_fetch(c->st, block, src, len);
}

/* A model naming more training blocks than the stream holds (n_train,
 * training bases to match): refused after one fetch, of the last block
 * it names, before anything is sized by the count or a training block
 * decoded (formerly 2^32 - 1 of them were allocated for first: -ENOMEM). */
static void check_train_bound(const gdb_buf *blob, struct unit_cm_stream *st)
{
	static const uint32_t ntrain[] = {NB + 1, 4 * NB, 0xffffffffu};
	uint8_t *t = xmalloc(blob->len);
	uint32_t stride = gdb_get_le32((const uint8_t *)blob->p + 8);

	for (size_t i = 0; i < sizeof(ntrain) / sizeof(ntrain[0]); i++) {
		struct counted c = {st, 0, 0};
		gdb_codec_model *m = NULL;
		uint64_t last = (uint64_t)(ntrain[i] - 1) * stride;
		int rc;
		memcpy(t, blob->p, blob->len);
		gdb_put_le32(t + 4, ntrain[i]);
		gdb_put_le64(t + 12, ntrain[i]);
		rc = gdb_codec_model_load(GDB_CODEC_CM, GDB_ALPHA_DNA, t,
					  blob->len, counted_fetch, &c, &m);
		CHECK(rc == GDB_ECORRUPT, "n_train %u: %d", ntrain[i], rc);
		CHECK(last > UINT32_MAX ? c.calls == 0
					: c.calls == 1 && c.first == last,
		      "n_train %u: %u fetches, the first of block %u",
		      ntrain[i], c.calls, c.first);
		if (rc == 0)
			gdb_codec_model_free(m);
	}
	free(t);
}

/* The bytes after the orders (match length, features) and the length. */
static void check_bad_models(const gdb_buf *blob, struct unit_cm_stream *st)
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

int main(void)
{
	char *src[NB], *dst = xmalloc(BB), desc[512];
	struct unit_cm_stream v3 = {.n = NB}, v3m = {.n = NB}, v1 = {.n = NB};
	gdb_buf b3 = {0}, b3m = {0}, b1 = {0};
	gdb_codec_model *m = NULL;
	size_t s3, s1;

	gdb_log_set_sink(unit_cm_quiet);
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
				   (const uint8_t *)b3.p, b3.len, unit_cm_fetch,
				   &v3, &m) == 0,
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
	check_train_bound(&b3, &v3);
	check_train_bound(&b1, &v1);
	check_swapped(&b3m, &v3m);
	unit_cm_stream_free(&v3);
	unit_cm_stream_free(&v3m);
	unit_cm_stream_free(&v1);
	for (uint32_t b = 0; b < NB; b++)
		free(src[b]);
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
