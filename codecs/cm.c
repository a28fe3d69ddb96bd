/*
 * codecs/cm.c - the cm codec for DNA and RNA: order-k context models
 * mixed in the logistic domain, driving a binary arithmetic coder, with
 * random access to every block (docs/FORMAT.md, "CM block" and "CM
 * model").
 *
 * The idea (GeCo's and the cm family's, arranged for random access): a
 * base is two binary decisions; each is predicted by several order-k
 * models (the counts of what followed the last k bases) and the
 * predictions are mixed by weights learnt online. Whole-file compressors
 * learn the models over the whole sequence, which a block that must
 * decode on its own cannot do. Here the models are learnt once, at
 * import, from a sample of the assembly's own blocks (the training
 * blocks, spread evenly, forward and reverse-complement strands), and
 * frozen; those blocks are stored 2-bit so a reader can rebuild the same
 * models from them, bit for bit, once per assembly. Every other block is
 * coded with the frozen models; only the mixer's weights (starting from
 * values trained at import and stored in the model) adapt within a block,
 * and the coder restarts at each block. A block never costs more than its
 * 2-bit form: when coding does not pay, the 2-bit block is stored.
 *
 * The models (cm_model.c) live in tables of 4-slot lines: the line is
 * chosen by the context without its last base, the slot by that base, so
 * the lines of the next base's contexts are known (and prefetched) one
 * base ahead.
 *
 * N, the IUPAC codes and soft-masking are run lists beside the coded
 * bases (which skip them, as the models' contexts do).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/cm_int.h"

#define KIND_PLAIN 0 /* a 2bit block follows */
#define KIND_CM 1
#define FLAG_RNA 1u

static int exc_ok_dna(int c)
{
	return c != 'A' && c != 'C' && c != 'G' && c != 'T' &&
	       gdb_codecs_dna_valid(c) && c <= 'Z';
}

static int exc_ok_rna(int c)
{
	return c != 'A' && c != 'C' && c != 'G' && c != 'U' &&
	       gdb_codecs_dna_valid(c) && c <= 'Z';
}

/* The 2-bit code of a base the coder codes, else -1. */
static inline int base_code(char c, int rna)
{
	switch (c & ~0x20) {
	case 'A':
		return 0;
	case 'C':
		return 1;
	case 'G':
		return 2;
	case 'T':
		return rna ? -1 : 3;
	case 'U':
		return rna ? 3 : -1;
	default:
		return -1;
	}
}

/* ---- encoding ---- */

/* Exception runs: maximal runs of one non-coded letter (upper-cased). */
static int scan_exc(const char *b, uint32_t n, int rna, cm_runs *exc,
		    uint32_t *badpos)
{
	uint32_t i = 0, j;

	while (i < n) {
		uint8_t u;
		if (!gdb_codecs_dna_valid((uint8_t)b[i])) {
			if (badpos)
				*badpos = i;
			return GDB_EFORMAT;
		}
		if (base_code(b[i], rna) >= 0) {
			i++;
			continue;
		}
		u = (uint8_t)(b[i] & ~0x20);
		for (j = i + 1; j < n && (uint8_t)(b[j] & ~0x20) == u &&
				gdb_codecs_dna_valid((uint8_t)b[j]);
		     j++)
			;
		GDB_TRY(gdb_cm_runs_add(exc, i, j - i, u));
		i = j;
	}
	return 0;
}

static int encode_plain(const char *b, uint32_t n, int rna, gdb_buf *out,
			uint32_t *badpos)
{
	size_t cap = gdb_codecs_dna_bound(n);
	uint8_t *dst;
	int len;

	out->len = 0;
	dst = gdb_buf_room(out, 1 + cap);
	if (!dst)
		return out->err;
	dst[0] = KIND_PLAIN;
	len = rna ? gdb_codecs_rna_encode(b, n, 0, dst + 1, cap, badpos)
		  : gdb_codecs_dna_encode(b, n, 0, dst + 1, cap, badpos);
	if (len < 0)
		return len;
	out->len = 1 + (size_t)len;
	return 0;
}

/* The coded bases of b (those outside exception runs), as 2-bit codes. */
static uint32_t coded_bases(const char *b, uint32_t n, int rna, uint8_t *c)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++) {
		int v = base_code(b[i], rna);
		if (v >= 0)
			c[k++] = (uint8_t)v;
	}
	return k;
}

static int encode_cm(const struct cm_model *m, const char *b, uint32_t n,
		     int rna, gdb_buf *out, uint32_t *badpos)
{
	cm_runs exc = {0}, lower = {0};
	struct cm_block st;
	uint8_t *codes = NULL;
	uint32_t k;
	cm_enc e;
	int rc = scan_exc(b, n, rna, &exc, badpos);

	if (rc == 0)
		rc = gdb_cm_runs_lower(b, n, &lower);
	if (rc == 0 && !(codes = malloc(n)))
		rc = -ENOMEM;
	if (rc < 0)
		goto out;
	k = coded_bases(b, n, rna, codes);
	out->len = 0;
	gdb_buf_add(out, &(uint8_t){KIND_CM}, 1);
	gdb_put_varint(out, n);
	gdb_buf_add(out, &(uint8_t){rna ? FLAG_RNA : 0}, 1);
	gdb_cm_runs_put(out, &exc, 1);
	gdb_cm_runs_put(out, &lower, 0);
	cm_block_init(&st, m);
	cm_enc_init(&e, out);
	for (uint32_t i = 0; i < k; i++) {
		int c = codes[i], node = 0;
		cm_block_lookup(&st, m);
		for (int bit = 1; bit >= 0; bit--) {
			int y = (c >> bit) & 1;
			cm_enc_bit(&e, y, cm_block_predict(&st, m, node));
			cm_block_update(&st, y);
			node = 1 + y;
		}
		cm_block_push(&st, m, c);
	}
	cm_enc_flush(&e);
	rc = out->err;
out:
	free(codes);
	gdb_cm_runs_free(&exc);
	gdb_cm_runs_free(&lower);
	return rc;
}

int gdb_cmdna_encode(const void *impl, uint32_t block, const char *bases,
		     uint32_t n, int rna, gdb_buf *out, uint32_t *badpos)
{
	const struct cm_model *m = impl;
	gdb_buf plain = {0};
	int rc;

	if (n == 0 || n > GDB_DNA_BLOCK_BASES)
		return -EINVAL;
	/* training blocks are read back before the model exists */
	if (gdb_cmdna_is_training(m, block))
		return encode_plain(bases, n, rna, out, badpos);
	rc = encode_cm(m, bases, n, rna, out, badpos);
	if (rc == 0)
		rc = encode_plain(bases, n, rna, &plain, NULL);
	/* never more than the 2-bit block (ties go to 2-bit: faster) */
	if (rc == 0 && plain.len <= out->len) {
		out->len = 0;
		gdb_buf_add(out, plain.p, plain.len);
		rc = out->err;
	}
	gdb_buf_free(&plain);
	return rc;
}

/* ---- decoding ---- */

int gdb_cmdna_nbases(const uint8_t *src, size_t len)
{
	const uint8_t *p = src + 1;
	uint64_t n;

	if (len < 2)
		return GDB_CORRUPT("cm block shorter than its header");
	if (src[0] == KIND_PLAIN)
		return gdb_codecs_dna_nbases(src + 1, len - 1);
	if (src[0] != KIND_CM)
		return GDB_CORRUPT("cm block kind");
	if (gdb_get_varint(&p, src + len, &n) < 0 || n == 0 ||
	    n > GDB_DNA_BLOCK_BASES)
		return GDB_CORRUPT("cm block base count");
	return (int)n;
}

/* Decode the coded bases up to base `to` of the block, writing [from,
 * to); exception runs are skipped (filled later). */
static int decode_bases(const struct cm_model *m, cm_dec *d, const cm_runs *exc,
			uint32_t from, uint32_t to, int rna, char *dst)
{
	static const char dna[4] = {'A', 'C', 'G', 'T'};
	static const char rnal[4] = {'A', 'C', 'G', 'U'};
	const char *spell = rna ? rnal : dna;
	struct cm_block st;
	uint32_t r = 0, i = 0;

	cm_block_init(&st, m);
	while (i < to) {
		int c = 0, node = 0;
		if (r < exc->n && exc->start[r] == i) {
			i += exc->len[r++];
			continue;
		}
		cm_block_lookup(&st, m);
		for (int bit = 1; bit >= 0; bit--) {
			int y = cm_dec_bit(d, cm_block_predict(&st, m, node));
			cm_block_update(&st, y);
			c = c * 2 + y;
			node = 1 + y;
		}
		cm_block_push(&st, m, c);
		if (i >= from)
			dst[i - from] = spell[c];
		i++;
	}
	return 0;
}

static int decode_cm(const struct cm_model *m, const uint8_t *src, size_t len,
		     uint32_t from, uint32_t to, char *dst)
{
	const uint8_t *p = src + 1, *end = src + len;
	cm_runs exc = {0}, lower = {0};
	uint64_t n;
	cm_dec d;
	int rc, rna;

	if (gdb_get_varint(&p, end, &n) < 0 || n == 0 ||
	    n > GDB_DNA_BLOCK_BASES || p >= end || (*p & ~FLAG_RNA))
		return GDB_CORRUPT("cm block header");
	rna = *p++ & FLAG_RNA;
	rc = gdb_cm_runs_get(&p, end, (uint32_t)n, 1,
			     rna ? exc_ok_rna : exc_ok_dna, &exc);
	if (rc == 0)
		rc = gdb_cm_runs_get(&p, end, (uint32_t)n, 0, NULL, &lower);
	if (rc == 0 && p >= end)
		rc = GDB_CORRUPT("cm block without coded bases");
	if (rc == 0) {
		cm_dec_init(&d, p, (size_t)(end - p));
		rc = decode_bases(m, &d, &exc, from, to, rna, dst);
	}
	if (rc == 0 && to == n && d.p < d.end)
		rc = GDB_CORRUPT("cm block has bytes after its bases");
	for (uint32_t r = 0; rc == 0 && r < exc.n; r++) {
		uint32_t a = exc.start[r], b = a + exc.len[r];
		if (b <= from || a >= to)
			continue;
		a = a > from ? a : from;
		b = b < to ? b : to;
		memset(dst + (a - from), exc.letter[r], b - a);
	}
	if (rc == 0)
		gdb_cm_runs_apply_lower(&lower, from, to, dst);
	gdb_cm_runs_free(&exc);
	gdb_cm_runs_free(&lower);
	return rc;
}

int gdb_cmdna_decode(const void *impl, const uint8_t *src, size_t len,
		     uint32_t from, uint32_t to, char *dst)
{
	int rc;

	if (len < 2)
		return GDB_CORRUPT("cm block shorter than its header");
	if (src[0] == KIND_PLAIN)
		rc = gdb_codecs_dna_decode_range(src + 1, len - 1, from, to,
						 dst, to - from);
	else if (src[0] == KIND_CM && impl)
		rc = decode_cm(impl, src, len, from, to, dst);
	else
		rc = GDB_CORRUPT("cm block kind");
	return rc < 0 ? rc : (int)(to - from);
}

/* The bases of a training block (the model is being built: only a plain
 * block can be one). */
int gdb_cmdna_plain_bases(const uint8_t *src, size_t len, char *dst, size_t cap)
{
	if (len < 2 || src[0] != KIND_PLAIN)
		return GDB_CORRUPT("cm training block is not plain");
	return gdb_codecs_dna_decode(src + 1, len - 1, dst, cap);
}
