/*
 * tests/unit/unit_cm.h - what the cm codec's unit binaries (test_cm,
 * test_cm_match, test_cm_v3, test_cm_rel) share: encoding a stream of
 * blocks with given parameters, handing its blocks to a model load,
 * checking a decoded block whole and in random sub-ranges against its
 * source, the complement of a base, and a log sink that drops the
 * messages of expected failures. Include after unit.h.
 */
#ifndef GDB_UNIT_CM_H
#define GDB_UNIT_CM_H

#include <string.h>

#include "codecs/codecs.h"

#define UNIT_CM_MAXB 8u /* blocks of a stream at most */

/* A stream's coded blocks, as a model load fetches them. */
struct unit_cm_stream {
	gdb_buf blk[UNIT_CM_MAXB];
	uint32_t n;
};

static inline int unit_cm_fetch(void *arg, uint32_t block, const uint8_t **src,
				size_t *len)
{
	const struct unit_cm_stream *st = arg;

	if (block >= st->n)
		return GDB_ECORRUPT;
	*src = (const uint8_t *)st->blk[block].p;
	*len = st->blk[block].len;
	return 0;
}

static inline void unit_cm_stream_free(struct unit_cm_stream *st)
{
	for (uint32_t b = 0; b < UNIT_CM_MAXB; b++)
		gdb_buf_free(&st->blk[b]);
}

/* Encode nb blocks src[b] of p->block_bases bases each, training on all
 * of them: the model's bytes in blob, block b's in blk[b]. */
static inline void unit_cm_encode(const gdb_codec_params *p, uint32_t nb,
				  char **src, gdb_buf *blk, gdb_buf *blob)
{
	gdb_codec_enc *e;

	CHECK(gdb_codec_enc_new(p, &e) == 0, "encoder");
	for (uint32_t b = 0; b < nb; b++)
		CHECK(gdb_codec_enc_train(e, b, src[b], p->block_bases) == 0,
		      "train");
	CHECK(gdb_codec_enc_train_done(e, blob) == 0, "model");
	for (uint32_t b = 0; b < nb; b++)
		CHECK(gdb_codec_enc_block(e, b, src[b], p->block_bases, &blk[b],
					  NULL) == 0,
		      "block %u", b);
	gdb_codec_enc_free(e);
}

/* Bases [from, to) of a block of bb bases decode to the source's. */
static inline void unit_cm_check_range(const gdb_codec_model *m,
				       const gdb_buf *blk, const char *src,
				       uint32_t from, uint32_t to, uint32_t bb,
				       char *dst)
{
	int got = gdb_codec_decode(m, (const uint8_t *)blk->p, blk->len, from,
				   to, dst, bb);

	CHECK(got == (int)(to - from), "[%u, %u): %d", from, to, got);
	if (got == (int)(to - from))
		CHECK(!memcmp(dst, src + from, to - from),
		      "[%u, %u) differs from the source", from, to);
}

/* A block of bb bases decodes whole, and in n random sub-ranges of 1 ..
 * maxlen bases (cut at its end), to the source's. */
static inline void unit_cm_check_ranges(const gdb_codec_model *m,
					const gdb_buf *blk, const char *src,
					uint32_t bb, int n, uint32_t maxlen,
					char *dst)
{
	unit_cm_check_range(m, blk, src, 0, bb, bb, dst);
	for (int k = 0; k < n; k++) {
		uint32_t a = (uint32_t)(rnd() % bb);
		uint32_t z = a + 1 + (uint32_t)(rnd() % maxlen);
		unit_cm_check_range(m, blk, src, a, z < bb ? z : bb, bb, dst);
	}
}

/* The complementary base, case kept; other letters as they are. */
static inline char unit_cm_comp(char c)
{
	switch (c & ~0x20) {
	case 'A':
		return (char)('T' | (c & 0x20));
	case 'C':
		return (char)('G' | (c & 0x20));
	case 'G':
		return (char)('C' | (c & 0x20));
	case 'T':
		return (char)('A' | (c & 0x20));
	default:
		return c;
	}
}

/* A log sink for the messages of loads that must fail. */
static inline void unit_cm_quiet(enum gdb_log_level level, const char *line)
{
	(void)level;
	(void)line;
}

#endif
