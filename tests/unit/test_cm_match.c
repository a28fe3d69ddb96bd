/*
 * tests/unit/test_cm_match.c - the cm codec's match model (docs/FORMAT.md,
 * "CM model", version 2): a stream of related "genomes" (the first two
 * blocks, then mutated copies of them, one reverse-complemented, with
 * indels, N runs and lowercase), coded with a match model into the
 * training prefix: the training blocks are the first ones and stored
 * 2-bit, every other block decodes whole and in sub-ranges byte for byte,
 * the match model makes the related blocks far smaller than the same
 * model without it, and damaged model bytes are GDB_ECORRUPT. (A damaged
 * training block is the store's: tests/test_codecs_alphabets.py.)
 */
#define UNIT_SEED 0x5a11e14u
#include <errno.h>
#include <string.h>

#include "codecs/codecs.h"
#include "tests/unit/unit.h"
#include "tests/unit/unit_cm.h"

#define NB 6u	  /* blocks of the stream */
#define NP 2u	  /* the prefix: blocks 0 and 1 */
#define BB 16384u /* bases a block */

/* Block b: random for the prefix; else block b % NP copied (block 3
 * reverse-complemented) with a substitution every ~100 bases, a short
 * insertion or deletion every ~700, an N run and a lowercase stretch. */
static void sample(char **s, uint32_t b)
{
	const char *from = s[b % NP];
	uint32_t i = 0, j = 0;

	if (b < NP) {
		for (i = 0; i < BB; i++)
			s[b][i] = "ACGT"[rnd() % 4];
		return;
	}
	while (i < BB) {
		uint64_t x = rnd();
		char c =
		    b == 3 ? unit_cm_comp(from[BB - 1 - j % BB]) : from[j % BB];
		if (x % 700 == 0)
			j += 1 + (uint32_t)(x >> 20) % 5; /* deletion */
		else if (x % 700 == 1)
			s[b][i++] = "ACGT"[(x >> 20) % 4]; /* insertion */
		else
			s[b][i++] = x % 100 == 2 ? "ACGT"[(x >> 20) % 4] : c,
			j++;
	}
	memset(s[b] + 5000, 'N', 40 + b);
	for (i = 9000; i < 9300; i++)
		s[b][i] = (char)(s[b][i] | 0x20);
}

static void encode(uint32_t match, char **src, struct unit_cm_stream *st,
		   gdb_buf *blob)
{
	gdb_codec_params p = {.codec = GDB_CODEC_CM,
			      .alphabet = GDB_ALPHA_DNA,
			      .block_bases = BB,
			      .cm_train = NP * BB,
			      .cm_table_bits = 16,
			      .cm_restart = 4096,
			      .cm_match = match};

	unit_cm_encode(&p, NB, src, st->blk, blob);
}

/* The match model's byte (after the orders) out of range, and a cut
 * model: refused. */
static void check_bad_models(const gdb_buf *blob, struct unit_cm_stream *st)
{
	uint8_t *t = xmalloc(blob->len);
	gdb_codec_model *m = NULL;
	size_t kat = 24 + ((const uint8_t *)blob->p)[1];

	memcpy(t, blob->p, blob->len);
	for (int v = 0; v < 256; v += 7) {
		int rc;
		t[kat] = (uint8_t)v;
		rc = gdb_codec_model_load(GDB_CODEC_CM, GDB_ALPHA_DNA, t,
					  blob->len, unit_cm_fetch, st, &m);
		CHECK(rc == ((v >= 12 && v <= 32) ? 0 : GDB_ECORRUPT),
		      "match byte %d: %d", v, rc);
		if (rc == 0)
			gdb_codec_model_free(m);
	}
	CHECK(gdb_codec_model_load(GDB_CODEC_CM, GDB_ALPHA_DNA,
				   (const uint8_t *)blob->p, blob->len - 1,
				   unit_cm_fetch, st, &m) == GDB_ECORRUPT,
	      "a cut model loads");
	free(t);
}

int main(void)
{
	char *src[NB], *dst = xmalloc(BB);
	struct unit_cm_stream with = {.n = NB}, without = {.n = NB};
	gdb_buf blob = {0}, blob0 = {0};
	gdb_codec_model *m = NULL;
	size_t sz_with = 0, sz_without = 0;
	char desc[512];

	gdb_log_set_sink(unit_cm_quiet);
	for (uint32_t b = 0; b < NB; b++) {
		src[b] = xmalloc(BB);
		sample(src, b);
	}
	encode(16, src, &with, &blob);
	encode(0, src, &without, &blob0);
	CHECK(((const uint8_t *)blob.p)[0] == 2 &&
		  ((const uint8_t *)blob0.p)[0] == 1,
	      "model versions %u, %u", ((const uint8_t *)blob.p)[0],
	      ((const uint8_t *)blob0.p)[0]);
	CHECK(gdb_codec_model_load(GDB_CODEC_CM, GDB_ALPHA_DNA,
				   (const uint8_t *)blob.p, blob.len,
				   unit_cm_fetch, &with, &m) == 0,
	      "model load");
	gdb_codec_describe(m, desc, sizeof(desc));
	CHECK(strstr(desc, "first 2 blocks") && strstr(desc, "match model"),
	      "describe: %s", desc);
	for (uint32_t b = 0; m && b < NB; b++) {
		const uint8_t *w = (const uint8_t *)with.blk[b].p;
		/* the prefix trains and is stored 2-bit; the rest is coded */
		CHECK((w[0] == 0) == (b < NP), "block %u kind %u", b, w[0]);
		unit_cm_check_ranges(m, &with.blk[b], src[b], BB, 100, 1500,
				     dst);
		if (b >= NP) {
			sz_with += with.blk[b].len;
			sz_without += without.blk[b].len;
		}
	}
	/* substitutions every ~100 bases: well under a bit a base with the
	 * match model, close to two without */
	CHECK(sz_with * 3 < sz_without, "match %zu bytes, none %zu", sz_with,
	      sz_without);
	check_bad_models(&blob, &with);
	gdb_codec_model_free(m);
	unit_cm_stream_free(&with);
	unit_cm_stream_free(&without);
	for (uint32_t b = 0; b < NB; b++)
		free(src[b]);
	gdb_buf_free(&blob);
	gdb_buf_free(&blob0);
	free(dst);
	if (failures) {
		printf("test_cm_match: %d failure(s)\n", failures);
		return T_EXIT_FAIL;
	}
	printf("test_cm_match: ok (%zu bytes with the match model, %zu "
	       "without)\n",
	       sz_with, sz_without);
	return T_EXIT_PASS;
}
