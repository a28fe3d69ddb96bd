/*
 * codecs/column.c - entropy-coded columns: one byte stream (a field of
 * many records: flags, positions, CIGAR lengths, tag values, names,
 * qualities) compressed by whichever of several coders gives the fewest
 * bytes, in a self-describing frame. The coders are libhtscodecs' (rANS
 * 4x16 and the adaptive arithmetic coder, both order 0 and 1, optionally
 * striped over 4 byte lanes; the name tokeniser tok3; fqzcomp's quality
 * model), which CRAM 3.1 uses, and zstd. Frame layout: docs/FORMAT.md,
 * "Column frame".
 *
 * Every special coder (tok3, fqzcomp) is checked by decoding what it
 * produced before the frame is kept: a coder that cannot represent the
 * input (a name holding a tab for tok3, say) falls back to the generic
 * ones, so encoding never loses bytes.
 *
 * Decoding treats the frame as hostile: the raw length is bounded by the
 * caller, the generic coders decode into a buffer of exactly that size,
 * and a coder that yields any other length is GDB_ECORRUPT.
 *
 * No I/O. Threading: reentrant (the coders keep no shared state).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* libhtscodecs 1.3's headers use size_t and uint8_t without including
 * their headers: the two above come first. */
#include <htscodecs/arith_dynamic.h>
#include <htscodecs/rANS_static4x16.h>
#include <htscodecs/tokenise_name3.h>
#include <zstd.h>

#include <htscodecs/fqzcomp_qual.h>

#include "codecs/codecs.h"

#define HDR 5 /* method u8, raw length u32 */
/* rANS / arith order byte: RANS_ORDER_STRIPE (4 lanes) over order 0/1 */
#define STRIPE 0x08
#define ZSTD_LEVEL 19
/* zstd at level 19 is slow on big columns; above this, a lower level. */
#define ZSTD_BIG ((size_t)4 << 20)
#define ZSTD_BIG_LEVEL 12

static void put_frame(gdb_buf *out, int method, size_t raw, const void *p,
		      size_t n)
{
	uint8_t *h = gdb_buf_room(out, HDR);

	if (!h)
		return;
	h[0] = (uint8_t)method;
	gdb_put_le32(h + 1, (uint32_t)raw);
	gdb_buf_add(out, p, n);
}

/* The best candidate so far: owned bytes and their method. */
struct best {
	uint8_t *p;
	size_t n;
	int method;
};

/* Append the best candidate's frame (the raw bytes if none beat them). */
static int emit(struct best *b, const uint8_t *src, size_t n, gdb_buf *out)
{
	if (b->method == GDB_COL_RAW)
		put_frame(out, GDB_COL_RAW, n, src, n);
	else
		put_frame(out, b->method, n, b->p, b->n);
	free(b->p);
	return out->err;
}

static void offer(struct best *b, int method, uint8_t *p, size_t n)
{
	if (!p)
		return;
	if (n < b->n) {
		free(b->p);
		b->p = p;
		b->n = n;
		b->method = method;
	} else {
		free(p);
	}
}

/* The generic coders, by the tries bit that enables each. */
static const struct coder {
	unsigned bit;
	int method;
	int order; /* rANS / arith order byte */
} coders[] = {
    {GDB_COL_R0, GDB_COL_RANS, 0},
    {GDB_COL_R1, GDB_COL_RANS, 1},
    {GDB_COL_STRIPE4, GDB_COL_RANS, STRIPE},
    {GDB_COL_STRIPE4, GDB_COL_RANS, STRIPE | 1},
    {GDB_COL_A0, GDB_COL_ARITH, 0},
    {GDB_COL_A1, GDB_COL_ARITH, 1},
    {GDB_COL_Z, GDB_COL_ZSTD, 0},
};
#define NCODERS (sizeof(coders) / sizeof(coders[0]))

/* Columns above SAMPLE_MIN bytes choose their two best coders on their
 * first SAMPLE bytes, then run only those on the whole. */
#define SAMPLE ((size_t)128 << 10)
#define SAMPLE_MIN (4 * SAMPLE)

static uint8_t *run_coder(const struct coder *c, const uint8_t *src, size_t n,
			  size_t *on)
{
	unsigned int o = 0;
	uint8_t *r = NULL;

	/* libhtscodecs takes non-const input it does not modify */
	if (c->method == GDB_COL_RANS) {
		r = rans_compress_4x16((unsigned char *)src, (unsigned int)n,
				       &o, c->order);
	} else if (c->method == GDB_COL_ARITH) {
		r = arith_compress((unsigned char *)src, (unsigned int)n, &o,
				   c->order);
	} else {
		size_t cap = ZSTD_compressBound(n), z;
		r = malloc(cap);
		if (!r)
			return NULL;
		z = ZSTD_compress(r, cap, src, n,
				  n > ZSTD_BIG ? ZSTD_BIG_LEVEL : ZSTD_LEVEL);
		if (ZSTD_isError(z)) {
			free(r);
			return NULL;
		}
		o = (unsigned int)z;
	}
	*on = o;
	return r;
}

static void try_generic(struct best *b, const uint8_t *src, size_t n,
			unsigned tries)
{
	size_t size[NCODERS], on;
	int pick[2] = {-1, -1};

	for (size_t i = 0; i < NCODERS; i++) {
		size[i] = SIZE_MAX;
		if (!(tries & coders[i].bit))
			continue;
		uint8_t *r = run_coder(&coders[i], src,
				       n <= SAMPLE_MIN ? n : SAMPLE, &on);
		if (n <= SAMPLE_MIN) {
			offer(b, coders[i].method, r, on);
			continue;
		}
		if (r)
			size[i] = on;
		free(r);
		if (pick[0] < 0 || size[i] < size[pick[0]]) {
			pick[1] = pick[0];
			pick[0] = (int)i;
		} else if (pick[1] < 0 || size[i] < size[pick[1]]) {
			pick[1] = (int)i;
		}
	}
	for (int k = 0; k < 2; k++) {
		uint8_t *r;
		if (pick[k] < 0 || size[pick[k]] == SIZE_MAX)
			continue;
		r = run_coder(&coders[pick[k]], src, n, &on);
		offer(b, coders[pick[k]].method, r, on);
	}
}

int gdb_codecs_col_encode(const uint8_t *src, size_t n, unsigned tries,
			  gdb_buf *out)
{
	struct best b = {NULL, n, GDB_COL_RAW};

	if (n > GDB_COL_MAX)
		return -EFBIG;
	if (n >= 16)
		try_generic(&b, src, n, tries);
	return emit(&b, src, n, out);
}

/*
 * Keep a special coder's output only if it decodes back to src: the
 * coders have limits of their own (tok3 splits names at bytes <= '\n',
 * fqzcomp wants lengths that add up).
 */
static void offer_checked(struct best *b, int method, uint8_t *p, size_t n,
			  const uint8_t *src, size_t srclen)
{
	uint8_t *back = NULL;
	size_t blen = 0;
	gdb_buf f = {0};

	if (!p)
		return;
	put_frame(&f, method, srclen, p, n);
	if (f.err ||
	    gdb_codecs_col_decode((const uint8_t *)f.p, f.len, srclen, &back,
				  &blen) < 0 ||
	    blen != srclen || memcmp(back, src, srclen)) {
		free(p);
		p = NULL;
	}
	free(back);
	gdb_buf_free(&f);
	offer(b, method, p, n);
}

int gdb_codecs_col_encode_names(const char *names, size_t n, gdb_buf *out)
{
	struct best b = {NULL, n, GDB_COL_RAW};
	int on = 0;

	if (n > GDB_COL_MAX)
		return -EFBIG;
	if (n >= 16) {
		/* tok3 may write into its input (separators become NULs):
		 * it gets a copy, and the original is what it is checked
		 * against */
		char *copy = malloc(n);
		uint8_t *t = NULL;
		if (copy) {
			memcpy(copy, names, n);
			t = tok3_encode_names(copy, (int)n, 9, 1, &on, NULL);
			free(copy);
		}
		offer_checked(&b, GDB_COL_TOK3, t, t ? (size_t)on : 0,
			      (const uint8_t *)names, n);
		try_generic(&b, (const uint8_t *)names, n, GDB_COL_ALL);
	}
	return emit(&b, (const uint8_t *)names, n, out);
}

int gdb_codecs_col_encode_quals(const uint8_t *q, size_t n,
				const uint32_t *lens, const uint32_t *flags,
				size_t nrec, gdb_buf *out)
{
	struct best b = {NULL, n, GDB_COL_RAW};
	size_t sum = 0;

	if (n > GDB_COL_MAX || nrec > INT32_MAX)
		return -EFBIG;
	for (size_t i = 0; i < nrec; i++)
		sum += lens[i];
	if (n >= 16 && sum == n && nrec) {
		/* fqz_slice's arrays are not written by the coder */
		fqz_slice s = {(int)nrec, (uint32_t *)lens, (uint32_t *)flags};
		/* fqzcomp's four preset model strategies: each wins on some
		 * data, and which one is not told by a sample (docs/
		 * BENCHMARKS.md); fqzcomp is fast enough to try them all */
		for (int k = 0; k < 4; k++) {
			size_t on = 0;
			char *r;
			r = fqz_compress(FQZ_VERS, &s, (char *)q, n, &on, k,
					 NULL);
			offer_checked(&b, GDB_COL_FQZ, (uint8_t *)r, on, q, n);
		}
	}
	if (n >= 16)
		try_generic(&b, q, n, GDB_COL_R1 | GDB_COL_A1);
	return emit(&b, q, n, out);
}

/* A coder that allocates its own output: check and take it. */
static int take(uint8_t *p, size_t got, size_t raw, uint8_t **out)
{
	if (!p)
		return GDB_ECORRUPT;
	if (got != raw) {
		free(p);
		return GDB_ECORRUPT;
	}
	*out = p;
	return 0;
}

int gdb_codecs_col_decode(const uint8_t *src, size_t len, size_t maxraw,
			  uint8_t **out, size_t *n)
{
	size_t raw;
	const uint8_t *p = src + HDR;
	size_t pl = len - HDR;
	uint8_t *dst;
	int rc = 0;

	if (len < HDR)
		return GDB_ECORRUPT;
	raw = gdb_get_le32(src + 1);
	if (raw > maxraw || raw > GDB_COL_MAX || pl > UINT32_MAX)
		return GDB_ECORRUPT;
	if (src[0] == GDB_COL_TOK3) {
		uint32_t got = 0;
		uint8_t *t =
		    tok3_decode_names((uint8_t *)p, (uint32_t)pl, &got);
		rc = take(t, got, raw, out);
		*n = raw;
		return rc;
	}
	if (src[0] == GDB_COL_FQZ) {
		size_t got = 0;
		char *t = fqz_decompress((char *)p, pl, &got, NULL, 0);
		rc = take((uint8_t *)t, got, raw, out);
		*n = raw;
		return rc;
	}
	dst = malloc(raw ? raw : 1);
	if (!dst)
		return -ENOMEM;
	switch (src[0]) {
	case GDB_COL_RAW:
		if (pl != raw)
			rc = GDB_ECORRUPT;
		else
			memcpy(dst, p, raw);
		break;
	case GDB_COL_RANS:
	case GDB_COL_ARITH: {
		unsigned int got = (unsigned int)raw;
		uint8_t *r =
		    src[0] == GDB_COL_RANS
			? rans_uncompress_to_4x16((uint8_t *)p,
						  (unsigned int)pl, dst, &got)
			: arith_uncompress_to((uint8_t *)p, (unsigned int)pl,
					      dst, &got);
		if (!r || got != raw)
			rc = GDB_ECORRUPT;
		break;
	}
	case GDB_COL_ZSTD: {
		size_t z = ZSTD_decompress(dst, raw, p, pl);
		if (ZSTD_isError(z) || z != raw)
			rc = GDB_ECORRUPT;
		break;
	}
	default:
		rc = GDB_ECORRUPT;
	}
	if (rc < 0) {
		free(dst);
		return rc;
	}
	*out = dst;
	*n = raw;
	return 0;
}
