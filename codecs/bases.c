/*
 * codecs/bases.c - the bases of many reads (a FASTQ chunk) as the DNA
 * block codec keeps a contig's: 2-bit codes, exception runs for every
 * letter that is not A, C, G or T (N, the IUPAC codes, U) and lowercase
 * runs, so every byte comes back. The codes are coded by the
 * context-mixing model (codecs/seqcm.c), or, for a handful of bases, by
 * the generic column coders over the packed codes. Layout:
 * docs/FORMAT.md, "Read bases".
 *
 * Threading: reentrant.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/codecs.h"
#include "simd/simd.h"

/* Below this many bases the packed codes go to the generic coders too. */
#define SMALL 65536

static int code_of(char c)
{
	return ((c >> 1) ^ (c >> 2)) & 3;
}

static int is_acgt(char c)
{
	c = (char)(c & ~0x20);
	return c == 'A' || c == 'C' || c == 'G' || c == 'T';
}

/* Exception runs (gap from the last run's end, length, letter) and
 * lowercase runs (gap, length), as varints. */
static int runs(const char *b, size_t n, gdb_buf *exc, gdb_buf *low,
		size_t *badpos)
{
	size_t last_e = 0, last_l = 0;

	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		if (!gdb_codecs_dna_valid((unsigned char)b[i])) {
			if (badpos)
				*badpos = i;
			return GDB_EFORMAT;
		}
		if (!is_acgt(b[i])) {
			char u = (char)(b[i] & ~0x20);
			while (j < n && (char)(b[j] & ~0x20) == u)
				j++;
			gdb_codecs_put_uv(exc, i - last_e);
			gdb_codecs_put_uv(exc, j - i);
			gdb_buf_add(exc, &u, 1);
			last_e = j;
		}
		i = j;
	}
	for (size_t i = 0; i < n;) {
		size_t j = i;
		if (!(b[i] & 0x20)) {
			i++;
			continue;
		}
		while (j < n && (b[j] & 0x20))
			j++;
		gdb_codecs_put_uv(low, i - last_l);
		gdb_codecs_put_uv(low, j - i);
		last_l = j;
		i = j;
	}
	return exc->err ? exc->err : low->err;
}

/* [u32 length][bytes] */
static void put_part(gdb_buf *out, const gdb_buf *part)
{
	uint8_t *h = gdb_buf_room(out, 4);

	if (h)
		gdb_put_le32(h, (uint32_t)part->len);
	gdb_buf_add(out, part->p, part->len);
}

/* The codes: CM, or for a few bases the smaller of CM and the generic
 * coders over the packed codes. */
static int encode_codes(const char *bases, size_t n, const uint32_t *lens,
			size_t nrec, gdb_buf *out)
{
	uint8_t *codes = malloc(n ? n : 1);
	gdb_buf cm = {0}, gen = {0};
	int rc;

	if (!codes)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		codes[i] = (uint8_t)code_of(bases[i]);
	cm.p = NULL;
	{
		uint8_t *h = gdb_buf_room(&cm, 5);
		if (h) {
			h[0] = GDB_COL_CM;
			gdb_put_le32(h + 1, (uint32_t)n);
		}
	}
	rc = gdb_codecs_cm_encode(codes, n, lens, nrec, &cm);
	if (rc == 0 && n < SMALL) {
		uint8_t *packed = calloc((n + 3) / 4 + 1, 1);
		if (!packed) {
			rc = -ENOMEM;
		} else {
			gdb_simd()->pack2(bases, n, packed);
			rc = gdb_codecs_col_encode(packed, (n + 3) / 4,
						   GDB_COL_ALL, &gen);
			free(packed);
		}
	}
	if (rc == 0)
		put_part(out, gen.len && gen.len < cm.len ? &gen : &cm);
	free(codes);
	gdb_buf_free(&cm);
	gdb_buf_free(&gen);
	return rc < 0 ? rc : out->err;
}

int gdb_codecs_bases_encode(const char *bases, size_t n, const uint32_t *lens,
			    size_t nrec, gdb_buf *out, size_t *badpos)
{
	gdb_buf exc = {0}, low = {0}, fe = {0}, fl = {0};
	uint8_t *h;
	size_t sum = 0;
	int rc;

	for (size_t i = 0; i < nrec; i++)
		sum += lens[i];
	if (sum != n || n > UINT32_MAX)
		return -EINVAL;
	rc = runs(bases, n, &exc, &low, badpos);
	if (rc == 0)
		rc = gdb_codecs_col_encode((uint8_t *)exc.p, exc.len,
					   GDB_COL_ALL, &fe);
	if (rc == 0)
		rc = gdb_codecs_col_encode((uint8_t *)low.p, low.len,
					   GDB_COL_ALL, &fl);
	if (rc == 0 && (h = gdb_buf_room(out, 4))) {
		gdb_put_le32(h, (uint32_t)n);
		put_part(out, &fe);
		put_part(out, &fl);
		rc = encode_codes(bases, n, lens, nrec, out);
	}
	gdb_buf_free(&exc);
	gdb_buf_free(&low);
	gdb_buf_free(&fe);
	gdb_buf_free(&fl);
	return rc < 0 ? rc : out->err;
}

/* The next [u32 length][bytes] part of src. */
static const uint8_t *get_part(const uint8_t **p, const uint8_t *end,
			       size_t *len)
{
	const uint8_t *at;

	if (end - *p < 4)
		return NULL;
	*len = gdb_get_le32(*p);
	if ((size_t)(end - *p - 4) < *len)
		return NULL;
	at = *p + 4;
	*p = at + *len;
	return at;
}

/* Overlay the runs of one kind on dst. */
static int apply_runs(const uint8_t *raw, size_t rl, char *dst, size_t n,
		      int exc)
{
	const uint8_t *p = raw, *end = raw + rl;
	size_t at = 0;
	int err = 0;

	while (p < end) {
		uint64_t gap = gdb_codecs_get_uv(&p, end, &err);
		uint64_t len = gdb_codecs_get_uv(&p, end, &err);
		char letter = 0;
		if (exc) {
			if (p >= end)
				return GDB_ECORRUPT;
			letter = (char)*p++;
			if (!gdb_codecs_dna_valid((unsigned char)letter) ||
			    is_acgt(letter) || (letter & 0x20))
				return GDB_ECORRUPT;
		}
		if (err || len == 0 || gap > n - at || len > n - at - gap)
			return GDB_ECORRUPT;
		at += gap;
		for (uint64_t k = 0; k < len; k++, at++)
			dst[at] = exc ? letter : (char)(dst[at] | 0x20);
	}
	return 0;
}

static int decode_codes(const uint8_t *src, size_t len, const uint32_t *lens,
			size_t nrec, char *dst, size_t n)
{
	uint8_t *codes = NULL;
	size_t cn = 0;
	int rc;

	if (len >= 5 && src[0] == GDB_COL_CM) {
		if (gdb_get_le32(src + 1) != n)
			return GDB_ECORRUPT;
		codes = malloc(n ? n : 1);
		if (!codes)
			return -ENOMEM;
		rc = gdb_codecs_cm_decode(src + 5, len - 5, codes, n, lens,
					  nrec);
		for (size_t i = 0; rc == 0 && i < n; i++)
			dst[i] = "ACGT"[codes[i] & 3];
		free(codes);
		return rc;
	}
	rc = gdb_codecs_col_decode(src, len, (n + 3) / 4, &codes, &cn);
	if (rc == 0 && cn != (n + 3) / 4)
		rc = GDB_ECORRUPT;
	if (rc == 0)
		gdb_simd()->unpack2(codes, 0, n, dst);
	free(codes);
	return rc;
}

int gdb_codecs_bases_decode(const uint8_t *src, size_t len,
			    const uint32_t *lens, size_t nrec, char *dst,
			    size_t n)
{
	const uint8_t *p = src + 4, *end = src + len, *fe, *fl, *fc;
	size_t el, ll, cl, en = 0, ln = 0;
	uint8_t *exc = NULL, *low = NULL;
	int rc;

	if (len < 4 || gdb_get_le32(src) != n)
		return GDB_ECORRUPT;
	fe = get_part(&p, end, &el);
	fl = fe ? get_part(&p, end, &ll) : NULL;
	fc = fl ? get_part(&p, end, &cl) : NULL;
	if (!fc || p != end)
		return GDB_ECORRUPT;
	rc = decode_codes(fc, cl, lens, nrec, dst, n);
	if (rc == 0)
		rc = gdb_codecs_col_decode(fe, el, 20 * n + 16, &exc, &en);
	if (rc == 0)
		rc = gdb_codecs_col_decode(fl, ll, 20 * n + 16, &low, &ln);
	if (rc == 0)
		rc = apply_runs(exc, en, dst, n, 1);
	if (rc == 0)
		rc = apply_runs(low, ln, dst, n, 0);
	free(exc);
	free(low);
	return rc;
}
