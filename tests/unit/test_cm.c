/*
 * tests/unit/test_cm.c - the cm codec's restart points (docs/FORMAT.md,
 * "CM block"): blocks coded with a restart point every R bases (kind 4,
 * the segment lengths bit-packed), the same blocks rewritten as kind 2
 * (varint lengths, what stores written before kind 4 hold) and blocks
 * without restart points (kind 1, older still) decode with the same
 * model, whole and in every kind of sub-range (from a restart point,
 * across one, starting inside an N run that spans one), byte for byte
 * equal to the source; a damaged or cut block of either table is
 * GDB_ECORRUPT or decodes to the right length, never a crash.
 */
#define UNIT_SEED 0xc0ffee14u
#include <errno.h>
#include <string.h>

#include "codecs/codecs.h"
#include "tests/unit/unit.h"
#include "tests/unit/unit_cm.h"

#define NB 4u	  /* blocks of the stream */
#define BB 12000u /* bases a block */
#define R 1000u	  /* restart interval */

/* Repeats with mutations, lowercase stretches and N runs, some across
 * multiples of R. */
static void sample(uint32_t b, char *s)
{
	for (uint32_t i = 0; i < BB; i++) {
		uint64_t x = rnd();
		if (i >= 300 && x % 5 != 0)
			s[i] = s[i - 300 + (uint32_t)(x >> 40) % 2];
		else
			s[i] = "ACGT"[(x >> 8) % 4];
	}
	for (uint32_t i = 0; i < BB; i++)
		if ((i / 700) % 3 == b % 3)
			s[i] = (char)(s[i] | 0x20);
	memset(s + 990 + b, 'N', 25); /* spans the restart at 1000 */
	memset(s + 3000, 'N', 1);     /* starts at one */
	memset(s + 5500, 'R', 3);     /* inside a segment */
	memset(s + 6990, 'N', 2050);  /* covers whole segments */
	memset(s + BB - 7, 'n', 7);   /* ends the block */
}

/* Encode the stream with restart interval r; the model's bytes in blob. */
static void encode(uint32_t r, char **src, struct unit_cm_stream *st,
		   gdb_buf *blob)
{
	gdb_codec_params p = {.codec = GDB_CODEC_CM,
			      .alphabet = GDB_ALPHA_DNA,
			      .block_bases = BB,
			      .cm_train = BB,
			      .cm_table_bits = 16,
			      .cm_restart = r};

	unit_cm_encode(&p, NB, src, st->blk, blob);
}

static void check_range(const gdb_codec_model *m, const gdb_buf *blk,
			const char *src, uint32_t from, uint32_t to, char *dst)
{
	unit_cm_check_range(m, blk, src, from, to, BB, dst);
}

static void check_ranges(const gdb_codec_model *m, const gdb_buf *blk,
			 const char *src, char *dst)
{
	static const uint32_t edge[] = {0,    1,    999,   1000,  1001, 1014,
					2000, 3000, 3001,  6990,  7000, 9000,
					9039, 9040, 11000, 11993, 11999};

	check_range(m, blk, src, 0, BB, dst);
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
		check_range(m, blk, src, edge[i], edge[i] + 1, dst);
		check_range(m, blk, src, edge[i], BB, dst);
		if (edge[i] >= 1)
			check_range(m, blk, src, 0, edge[i], dst);
	}
	for (int k = 0; k < 200; k++) {
		uint32_t a = (uint32_t)(rnd() % BB);
		uint32_t b = a + 1 + (uint32_t)(rnd() % (k & 1 ? 2500 : 40));
		check_range(m, blk, src, a, b < BB ? b : BB, dst);
	}
}

/* Skip a run list (docs/FORMAT.md "CM block"). */
static void skip_runs(const uint8_t **p, const uint8_t *end, int with_letter)
{
	uint64_t n, v;

	CHECK(gdb_get_varint(p, end, &n) == 0, "run count");
	for (uint64_t i = 0; i < n; i++) {
		CHECK(gdb_get_varint(p, end, &v) == 0 &&
			  gdb_get_varint(p, end, &v) == 0,
		      "run");
		*p += with_letter;
	}
}

/* A kind 4 block rewritten as kind 2, as a writer before kind 4 wrote
 * it: the header and runs as they are, varint R, the varint lengths of
 * every segment but the last (from the packed table: varint smallest, u8
 * bits, the excesses LSB first), the segments. */
static void to_kind2(const gdb_buf *b4, gdb_buf *b2)
{
	const uint8_t *p = (const uint8_t *)b4->p + 1, *end = p + b4->len - 1;
	const uint8_t *runs;
	uint64_t n, r, lo, acc = 0;
	uint32_t w, nacc = 0;

	b2->len = 0;
	CHECK(((const uint8_t *)b4->p)[0] == 4, "kind %u",
	      ((const uint8_t *)b4->p)[0]);
	CHECK(gdb_get_varint(&p, end, &n) == 0, "base count");
	runs = p++; /* the flags */
	skip_runs(&p, end, 1);
	skip_runs(&p, end, 0);
	gdb_buf_add(b2, &(uint8_t){2}, 1);
	gdb_put_varint(b2, n);
	gdb_buf_add(b2, runs, (size_t)(p - runs));
	CHECK(gdb_get_varint(&p, end, &r) == 0 && r > 0 &&
		  gdb_get_varint(&p, end, &lo) == 0 && p < end,
	      "segment table");
	gdb_put_varint(b2, r);
	w = *p++;
	for (uint64_t j = 1; j < (n + r - 1) / r; j++) {
		for (; nacc < w; nacc += 8)
			acc |= (uint64_t)*p++ << nacc;
		gdb_put_varint(b2, lo + (acc & ((1ull << w) - 1)));
		acc >>= w;
		nacc -= w;
	}
	gdb_buf_add(b2, p, (size_t)(end - p));
}

/* A damaged block's decode of [from, to): refused, or the right length;
 * -EINVAL when the damage made the block shorter than to. */
static void check_damaged(const gdb_codec_model *m, const uint8_t *t,
			  size_t len, uint32_t from, uint32_t to, char *dst,
			  size_t at, int v)
{
	int n = gdb_codec_nbases(m, t, len);
	int got = gdb_codec_decode(m, t, len, from, to, dst, BB);

	CHECK(got == GDB_ECORRUPT || got == (int)(to - from) ||
		  (got == -EINVAL && n >= 0 && (uint32_t)n < to),
	      "byte %zu = %d, [%u, %u): %d", at, v, from, to, got);
}

/* Damage to the header and segment table: refused or decoded to the
 * right length, never a crash or an overrun (ASan). */
static void check_damage(const gdb_codec_model *m, const gdb_buf *blk,
			 char *dst)
{
	uint8_t *t = xmalloc(blk->len);
	int corrupt = 0;

	for (size_t cut = 1; cut < blk->len; cut += 1 + cut / 8) {
		int got = gdb_codec_decode(m, (const uint8_t *)blk->p, cut, 0,
					   BB, dst, BB);
		CHECK(got == GDB_ECORRUPT || got == (int)BB, "cut to %zu: %d",
		      cut, got);
		corrupt += got == GDB_ECORRUPT;
	}
	CHECK(corrupt > 0, "no truncation refused");
	for (size_t i = 1; i < 80 && i < blk->len; i++) {
		for (int v = 0; v < 256; v += 51) {
			memcpy(t, blk->p, blk->len);
			t[i] = (uint8_t)v;
			check_damaged(m, t, blk->len, 0, BB, dst, i, v);
			check_damaged(m, t, blk->len, 2500, 2600, dst, i, v);
		}
	}
	free(t);
}

int main(void)
{
	char *src[NB], *dst = xmalloc(BB);
	struct unit_cm_stream with = {.n = NB}, without = {.n = NB};
	gdb_buf blob = {0}, blob2 = {0}, k2 = {0};
	gdb_codec_model *m = NULL;
	int cm_blocks = 0;

	gdb_log_set_sink(unit_cm_quiet);
	for (uint32_t b = 0; b < NB; b++) {
		src[b] = xmalloc(BB);
		sample(b, src[b]);
	}
	encode(R, src, &with, &blob);
	encode(BB, src, &without, &blob2);
	/* the restart interval is the blocks', not the model's */
	CHECK(blob.len == blob2.len && !memcmp(blob.p, blob2.p, blob.len),
	      "the model depends on the restart interval");
	CHECK(gdb_codec_model_load(GDB_CODEC_CM, GDB_ALPHA_DNA,
				   (const uint8_t *)blob.p, blob.len,
				   unit_cm_fetch, &with, &m) == 0,
	      "model load");
	for (uint32_t b = 0; m && b < NB; b++) {
		const uint8_t *w = (const uint8_t *)with.blk[b].p;
		const uint8_t *o = (const uint8_t *)without.blk[b].p;
		if (w[0] == 0)
			continue; /* a training block, stored 2-bit */
		cm_blocks++;
		CHECK(w[0] == 4 && o[0] == 1, "block %u kinds %u, %u", b, w[0],
		      o[0]);
		check_ranges(m, &with.blk[b], src[b], dst);
		check_ranges(m, &without.blk[b], src[b], dst);
		check_damage(m, &with.blk[b], dst);
		to_kind2(&with.blk[b], &k2);
		check_ranges(m, &k2, src[b], dst);
		check_damage(m, &k2, dst);
	}
	gdb_buf_free(&k2);
	CHECK(cm_blocks > 0, "no block was cm-coded");
	gdb_codec_model_free(m);
	unit_cm_stream_free(&with);
	unit_cm_stream_free(&without);
	for (uint32_t b = 0; b < NB; b++)
		free(src[b]);
	gdb_buf_free(&blob);
	gdb_buf_free(&blob2);
	free(dst);
	if (failures) {
		printf("test_cm: %d failure(s)\n", failures);
		return T_EXIT_FAIL;
	}
	printf("test_cm: ok (%d cm blocks, with and without restarts)\n",
	       cm_blocks);
	return T_EXIT_PASS;
}
