/*
 * tests/unit/unit_cm.h - what the cm codec's unit binaries (test_cm,
 * test_cm_match) share: encoding a stream of blocks with given parameters,
 * and checking a decoded sub-range against its source. Include after
 * unit.h.
 */
#ifndef GDB_UNIT_CM_H
#define GDB_UNIT_CM_H

#include <string.h>

#include "codecs/codecs.h"

/* Encode nb blocks src[b] of p->block_bases bases each, training on all
 * of them: the model's bytes in blob, block b's in blk[b]. */
static void unit_cm_encode(const gdb_codec_params *p, uint32_t nb, char **src,
			   gdb_buf *blk, gdb_buf *blob)
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
static void unit_cm_check_range(const gdb_codec_model *m, const gdb_buf *blk,
				const char *src, uint32_t from, uint32_t to,
				uint32_t bb, char *dst)
{
	int got = gdb_codec_decode(m, (const uint8_t *)blk->p, blk->len, from,
				   to, dst, bb);

	CHECK(got == (int)(to - from), "[%u, %u): %d", from, to, got);
	if (got == (int)(to - from))
		CHECK(!memcmp(dst, src + from, to - from),
		      "[%u, %u) differs from the source", from, to);
}

#endif
