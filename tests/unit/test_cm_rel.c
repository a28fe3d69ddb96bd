/*
 * tests/unit/test_cm_rel.c - the cm codec relative to a reference
 * assembly (docs/FORMAT.md "CM model version 3", `--relative-to`): a
 * reference of random blocks, and a stream of mutated copies of them (one
 * reverse-complemented, with indels, N runs and lowercase) coded with the
 * reference's bases as training and match source. Every block is coded
 * (none is a 2-bit training block), decodes whole and in random
 * sub-ranges byte for byte, is far smaller than the same stream without
 * the reference, and the model refuses to load without its reference,
 * with a reference whose bases changed or that is too short, and passes
 * on the reference's read error.
 */
#define UNIT_SEED 0x4e1a7e5u
#include <errno.h>
#include <string.h>

#include "codecs/codecs.h"
#include "tests/unit/unit.h"
#include "tests/unit/unit_cm.h"

#define NR 3u	  /* reference blocks */
#define NB 4u	  /* blocks of the relative stream */
#define BB 16384u /* bases a block */
#define CM_REL 8u /* the stored features' relative bit (cm_int.h) */

struct refs {
	char *b[NR];
	uint32_t n;	 /* blocks it offers */
	int fail_at;	 /* this block's read fails (-1: none) */
	int64_t flip_at; /* this base (of the whole) is changed (-1: none) */
};

static int ref_bases(void *arg, uint32_t block, char *dst, size_t cap)
{
	const struct refs *r = arg;

	if (block >= r->n || cap < BB)
		return -EINVAL;
	if ((int)block == r->fail_at)
		return GDB_ECHECKSUM;
	memcpy(dst, r->b[block], BB);
	if (r->flip_at >= 0 && r->flip_at / BB == block) {
		char *c = &dst[r->flip_at % BB];
		*c = *c == 'A' ? 'C' : 'A';
	}
	return (int)BB;
}

/* Block b of the stream: reference block b % NR (block 1 reverse-
 * complemented), a substitution every ~100 bases, an indel every ~700,
 * an N run and a lowercase stretch. */
static void mutate(const struct refs *r, uint32_t b, char *s)
{
	const char *from = r->b[b % NR];
	uint32_t i = 0, j = 0;

	while (i < BB) {
		uint64_t x = rnd();
		char c =
		    b == 1 ? unit_cm_comp(from[BB - 1 - j % BB]) : from[j % BB];
		if (x % 700 == 0)
			j += 1 + (uint32_t)(x >> 20) % 5;
		else if (x % 700 == 1)
			s[i++] = "ACGT"[(x >> 20) % 4];
		else
			s[i++] = x % 100 == 2 ? "ACGT"[(x >> 20) % 4] : c, j++;
	}
	memset(s + 3000, 'N', 30 + b);
	for (i = 7000; i < 7200; i++)
		s[i] = (char)(s[i] | 0x20);
}

/* feat: the params' cm_features. */
static void encode(const gdb_codec_ref *ref, uint32_t match, uint32_t feat,
		   char **src, gdb_buf *blk, gdb_buf *blob)
{
	gdb_codec_params p = {.codec = GDB_CODEC_CM,
			      .alphabet = GDB_ALPHA_DNA,
			      .block_bases = BB,
			      .cm_train = NR * BB,
			      .cm_table_bits = 16,
			      .cm_restart = 4096,
			      .cm_match = match,
			      .cm_features = feat,
			      .cm_ref = ref};

	unit_cm_encode(&p, NB, src, blk, blob);
}

static int no_fetch(void *arg, uint32_t block, const uint8_t **src, size_t *len)
{
	(void)arg;
	(void)block;
	(void)src;
	(void)len;
	return GDB_ECORRUPT; /* a relative model reads no own block */
}

static int load(const gdb_buf *blob, const gdb_codec_ref *ref,
		gdb_codec_model **m)
{
	return gdb_codec_model_load_ref(GDB_CODEC_CM, GDB_ALPHA_DNA,
					(const uint8_t *)blob->p, blob->len,
					no_fetch, NULL, ref, m);
}

static void check_blocks(const gdb_codec_model *m, const gdb_buf *blk,
			 char **src, char *dst)
{
	for (uint32_t b = 0; b < NB; b++) {
		CHECK(((const uint8_t *)blk[b].p)[0] != 0,
		      "block %u stored 2-bit", b);
		unit_cm_check_ranges(m, &blk[b], src[b], BB, 100, 1500, dst);
	}
}

/* The features byte of a version 3 model (after the orders and K). */
static uint32_t feat_byte(const gdb_buf *blob)
{
	const uint8_t *p = (const uint8_t *)blob->p;

	return blob->len > 25u + p[1] && p[0] == 3 ? p[25 + p[1]] : 256;
}

/* A relative model never chains (it has no training blocks of its own):
 * asked for, the chain is left out and other features kept; every other
 * features byte is refused (bit 3 with bit 2 too). */
static void check_features(const gdb_buf *blob, gdb_codec_ref *ref, char **src,
			   char *dst)
{
	gdb_buf blk[NB] = {{0}}, b2 = {0}, t = {0};
	gdb_codec_model *m = NULL;

	encode(ref, 16, GDB_CM_FEAT_SET | GDB_CM_FEAT_CHAIN | GDB_CM_FEAT_MIX2,
	       src, blk, &b2);
	CHECK(feat_byte(&b2) == (CM_REL | GDB_CM_FEAT_MIX2), "features %u",
	      feat_byte(&b2));
	CHECK(load(&b2, ref, &m) == 0, "relative model, two mixers");
	if (m) {
		check_blocks(m, blk, src, dst);
		gdb_codec_model_free(m);
	}
	gdb_buf_add(&t, blob->p, blob->len);
	for (uint32_t v = 0; v < 256 && !t.err; v++) {
		((uint8_t *)t.p)[25 + ((uint8_t *)t.p)[1]] = (uint8_t)v;
		m = NULL;
		CHECK(load(&t, ref, &m) == (v == CM_REL ? 0 : GDB_ECORRUPT),
		      "features byte %u", v);
		gdb_codec_model_free(m);
	}
	gdb_buf_free(&t);
	gdb_buf_free(&b2);
	for (uint32_t b = 0; b < NB; b++)
		gdb_buf_free(&blk[b]);
}

/* Without the reference, with changed or missing reference bases, with
 * a read error, with a cut model: refused, never a model. */
static void check_refusals(const gdb_buf *blob, struct refs *r,
			   gdb_codec_ref *ref)
{
	gdb_codec_model *m = NULL;
	gdb_codec_params p = {
	    .codec = GDB_CODEC_CM, .alphabet = GDB_ALPHA_DNA, .cm_ref = ref};
	gdb_codec_enc *e = NULL;
	gdb_buf cut = *blob;
	int rc;

	CHECK(load(blob, NULL, &m) == GDB_ECORRUPT, "loads without ref");
	r->flip_at = BB + 77;
	CHECK(load(blob, ref, &m) == GDB_ECORRUPT, "loads a changed ref");
	r->flip_at = -1;
	r->n = NR - 1;
	ref->nblocks = NR - 1;
	CHECK(load(blob, ref, &m) == GDB_ECORRUPT, "loads a short ref");
	r->n = ref->nblocks = NR;
	r->fail_at = 2;
	rc = load(blob, ref, &m);
	CHECK(rc == GDB_ECHECKSUM, "a damaged ref block: %d", rc);
	r->fail_at = -1;
	cut.len--;
	rc = load(&cut, ref, &m);
	CHECK(rc == GDB_ECORRUPT, "a cut model: %d", rc);
	/* the reference without a match model: refused */
	CHECK(gdb_codec_enc_new(&p, &e) == -EINVAL, "ref without match");
	gdb_codec_enc_free(e);
}

int main(void)
{
	struct refs r = {.n = NR, .fail_at = -1, .flip_at = -1};
	gdb_codec_ref ref = {NR, ref_bases, &r};
	char *src[NB], *dst = xmalloc(BB), desc[512];
	gdb_buf rel[NB] = {{0}}, own[NB] = {{0}}, blob = {0}, blob0 = {0};
	gdb_codec_model *m = NULL;
	size_t sz_rel = 0, sz_own = 0;

	gdb_log_set_sink(unit_cm_quiet);
	for (uint32_t b = 0; b < NR; b++) {
		r.b[b] = xmalloc(BB);
		for (uint32_t i = 0; i < BB; i++)
			r.b[b][i] = "ACGT"[rnd() % 4];
	}
	for (uint32_t b = 0; b < NB; b++) {
		src[b] = xmalloc(BB);
		mutate(&r, b, src[b]);
	}
	encode(&ref, 16, 0, src, rel, &blob);
	encode(NULL, 16, 0, src, own, &blob0);
	CHECK(((const uint8_t *)blob.p)[0] == 3, "model version %u",
	      ((const uint8_t *)blob.p)[0]);
	CHECK(((const uint8_t *)blob0.p)[0] == 2, "own model version %u",
	      ((const uint8_t *)blob0.p)[0]);
	CHECK(feat_byte(&blob) == CM_REL, "features %u", feat_byte(&blob));
	check_features(&blob, &ref, src, dst);
	CHECK(load(&blob, &ref, &m) == 0, "model load");
	if (m) {
		gdb_codec_describe(m, desc, sizeof(desc));
		CHECK(strstr(desc, "reference's blocks, the first 3 blocks") !=
			  NULL,
		      "describe: %s", desc);
		check_blocks(m, rel, src, dst);
		gdb_codec_model_free(m);
	}
	for (uint32_t b = 0; b < NB; b++) {
		sz_rel += rel[b].len;
		sz_own += own[b].len;
	}
	/* the stream's own match model has only its own first blocks (which
	 * it stores 2-bit); the reference's bases make every block cheap */
	CHECK(sz_rel * 3 < sz_own, "relative %zu bytes, own %zu", sz_rel,
	      sz_own);
	check_refusals(&blob, &r, &ref);
	for (uint32_t b = 0; b < NB; b++) {
		gdb_buf_free(&rel[b]);
		gdb_buf_free(&own[b]);
		free(src[b]);
	}
	for (uint32_t b = 0; b < NR; b++)
		free(r.b[b]);
	gdb_buf_free(&blob);
	gdb_buf_free(&blob0);
	free(dst);
	if (failures) {
		printf("test_cm_rel: %d failure(s)\n", failures);
		return T_EXIT_FAIL;
	}
	printf("test_cm_rel: ok (%zu bytes relative to the reference, %zu "
	       "with the stream's own prefix)\n",
	       sz_rel, sz_own);
	return T_EXIT_PASS;
}
