/*
 * tests/unit/test_simd.c - every SIMD level against its scalar twin, and
 * the scalar twins against naive one-byte-at-a-time versions of the
 * definitions in simd/simd.h.
 *
 * Inputs are random and adversarial: every length 0..200 and the lengths
 * around each vector width and loop stride up to 1 MiB, every start offset
 * 0..63, every byte value at every position for the byte classifiers, and
 * every `first` 0..7 for unpack2. Input buffers are heap blocks of exactly
 * the tested size, so an AddressSanitizer build catches any over-read;
 * outputs carry guard bytes that must survive.
 *
 * Exit status: 0 pass, 1 fail (the first failures are printed), 77 never
 * (the scalar level always exists).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simd/simd.h"

#define UNIT_SEED 0x9e3779b97f4a7c15ull
#include "tests/unit/unit.h"

#define GUARD 32
#define GUARD_BYTE 0xa5

static const gdb_simd_kernels *levels[GDB_SIMD_NLEVELS];

/* ---- naive references, straight from the definitions in simd.h ---- */

static unsigned naive_code(unsigned char c)
{
	return ((c >> 1) ^ (c >> 2)) & 3;
}

static void naive_pack2(const char *src, size_t n, uint8_t *dst)
{
	size_t i;

	memset(dst, 0, (n + 3) / 4);
	for (i = 0; i < n; i++)
		dst[i / 4] |= (uint8_t)(naive_code((unsigned char)src[i])
					<< (2 * (i % 4)));
}

static void naive_unpack2(const uint8_t *src, size_t first, size_t n, char *dst)
{
	size_t i;

	for (i = 0; i < n; i++) {
		size_t b = first + i;

		dst[i] = "ACGT"[(src[b / 4] >> (2 * (b % 4))) & 3];
	}
}

static size_t naive_find_nonacgt(const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strchr("ACGT", src[i]) || !src[i])
			return i;
	return n;
}

static char naive_comp(char c)
{
	int lower = c >= 'a' && c <= 'z';
	char u = lower ? (char)(c - 32) : c, r;

	switch (u) {
	case 'A':
		r = 'T';
		break;
	case 'T':
		r = 'A';
		break;
	case 'U':
		r = 'A';
		break;
	case 'C':
		r = 'G';
		break;
	case 'G':
		r = 'C';
		break;
	case 'R':
		r = 'Y';
		break;
	case 'Y':
		r = 'R';
		break;
	case 'K':
		r = 'M';
		break;
	case 'M':
		r = 'K';
		break;
	case 'B':
		r = 'V';
		break;
	case 'V':
		r = 'B';
		break;
	case 'D':
		r = 'H';
		break;
	case 'H':
		r = 'D';
		break;
	default:
		return c; /* S, W, N and non-letters stay */
	}
	return lower ? (char)(r + 32) : r;
}

static void naive_revcomp(const char *src, size_t n, char *dst)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = naive_comp(src[n - 1 - i]);
}

static uint8_t naive_u8(char c)
{
	static const char order[] = "ACGTNRYSWKMBDHV";
	const char *p;

	if (c >= 'a' && c <= 'z')
		c = (char)(c - 32);
	if (c == 'U')
		return 3;
	if (!c || !(p = strchr(order, c)))
		return 15;
	return (uint8_t)(p - order);
}

static void naive_to_u8(const char *src, size_t n, uint8_t *dst)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = naive_u8(src[i]);
}

static void naive_toupper(const char *src, size_t n, char *dst)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = (src[i] >= 'a' && src[i] <= 'z') ? (char)(src[i] - 32)
							  : src[i];
}

static uint32_t naive_crc32c(uint32_t crc, const void *p, size_t n)
{
	const uint8_t *b = p;
	int k;

	crc = ~crc;
	while (n--) {
		crc ^= *b++;
		for (k = 0; k < 8; k++)
			crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
	}
	return ~crc;
}

/* ---- comparison helpers ---- */

static void guard_fill(void *p, size_t n)
{
	memset(p, GUARD_BYTE, n + GUARD);
}

static int guard_ok(const void *p, size_t n)
{
	const uint8_t *b = (const uint8_t *)p + n;
	size_t i;

	for (i = 0; i < GUARD; i++)
		if (b[i] != GUARD_BYTE)
			return 0;
	return 1;
}

static size_t first_diff(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	size_t i;

	for (i = 0; i < n; i++)
		if (x[i] != y[i])
			return i;
	return n;
}

/*
 * Run every kernel of every level on src[0..n) (src is an exact-size heap
 * block, possibly offset) and compare with the naive definitions.
 * `tag` names the case in failure messages.
 */
static void check_bytes(const char *tag, const char *src, size_t n,
			int with_crc_naive)
{
	size_t plen = (n + 3) / 4;
	uint8_t *want_p = xmalloc(plen + 1), *got_p = xmalloc(plen + GUARD);
	char *want_c = xmalloc(n + 1), *got_c = xmalloc(n + GUARD);
	uint8_t *want_u = xmalloc(n + 1), *got_u = xmalloc(n + GUARD);
	size_t want_f = naive_find_nonacgt(src, n), d;
	uint32_t want_crc = with_crc_naive ? naive_crc32c(0, src, n)
					   : levels[0]->crc32c(0, src, n);
	int l;

	naive_pack2(src, n, want_p);
	for (l = 0; l < GDB_SIMD_NLEVELS; l++) {
		const gdb_simd_kernels *k = levels[l];
		size_t f;
		uint32_t crc;

		if (!k)
			continue;
		guard_fill(got_p, plen);
		k->pack2(src, n, got_p);
		if ((d = first_diff(want_p, got_p, plen)) < plen)
			FAIL("%s pack2 %s n=%zu: byte %zu is %02x, want %02x",
			     k->name, tag, n, d, got_p[d], want_p[d]);
		if (!guard_ok(got_p, plen))
			FAIL("%s pack2 %s n=%zu: wrote past (n+3)/4", k->name,
			     tag, n);

		f = k->find_nonacgt(src, n);
		if (f != want_f)
			FAIL("%s find_nonacgt %s n=%zu: %zu, want %zu", k->name,
			     tag, n, f, want_f);

		naive_revcomp(src, n, want_c);
		guard_fill(got_c, n);
		k->revcomp(src, n, got_c);
		if ((d = first_diff(want_c, got_c, n)) < n)
			FAIL("%s revcomp %s n=%zu: byte %zu is %02x, want %02x",
			     k->name, tag, n, d, (uint8_t)got_c[d],
			     (uint8_t)want_c[d]);
		if (!guard_ok(got_c, n))
			FAIL("%s revcomp %s n=%zu: wrote past n", k->name, tag,
			     n);

		naive_to_u8(src, n, want_u);
		guard_fill(got_u, n);
		k->to_u8(src, n, got_u);
		if ((d = first_diff(want_u, got_u, n)) < n)
			FAIL("%s to_u8 %s n=%zu: byte %zu (%02x) is %u, want "
			     "%u",
			     k->name, tag, n, d, (uint8_t)src[d], got_u[d],
			     want_u[d]);
		if (!guard_ok(got_u, n))
			FAIL("%s to_u8 %s n=%zu: wrote past n", k->name, tag,
			     n);

		naive_toupper(src, n, want_c);
		guard_fill(got_c, n);
		k->toupper(src, n, got_c);
		if ((d = first_diff(want_c, got_c, n)) < n)
			FAIL("%s toupper %s n=%zu: byte %zu is %02x, want %02x",
			     k->name, tag, n, d, (uint8_t)got_c[d],
			     (uint8_t)want_c[d]);
		if (!guard_ok(got_c, n))
			FAIL("%s toupper %s n=%zu: wrote past n", k->name, tag,
			     n);
		/* in place (src == dst) */
		memcpy(got_c, src, n);
		k->toupper(got_c, n, got_c);
		if ((d = first_diff(want_c, got_c, n)) < n)
			FAIL("%s toupper in place %s n=%zu: byte %zu", k->name,
			     tag, n, d);

		crc = k->crc32c(0, src, n);
		if (crc != want_crc)
			FAIL("%s crc32c %s n=%zu: %08x, want %08x", k->name,
			     tag, n, crc, want_crc);
	}
	free(want_p);
	free(got_p);
	free(want_c);
	free(got_c);
	free(want_u);
	free(got_u);
}

/* unpack2 of n bases starting at base `first` of a random packed array. */
static void check_unpack(size_t first, size_t n)
{
	size_t plen = (first + n + 3) / 4, i, d;
	uint8_t *packed = xmalloc(plen);
	char *want = xmalloc(n + 1), *got = xmalloc(n + GUARD);
	int l;

	for (i = 0; i < plen; i++)
		packed[i] = (uint8_t)rnd();
	naive_unpack2(packed, first, n, want);
	for (l = 0; l < GDB_SIMD_NLEVELS; l++) {
		if (!levels[l])
			continue;
		guard_fill(got, n);
		levels[l]->unpack2(packed, first, n, got);
		if ((d = first_diff(want, got, n)) < n)
			FAIL("%s unpack2 first=%zu n=%zu: base %zu is %c, want "
			     "%c",
			     levels[l]->name, first, n, d, got[d], want[d]);
		if (!guard_ok(got, n))
			FAIL("%s unpack2 first=%zu n=%zu: wrote past n",
			     levels[l]->name, first, n);
	}
	free(packed);
	free(want);
	free(got);
}

enum fill_mode {
	FILL_ACGT,  /* uppercase ACGT */
	FILL_ANY,   /* every byte value */
	FILL_MIXED, /* mostly ACGT, some IUPAC / lowercase / U */
	FILL_ALL_N, /* NNNN... */
	FILL_IUPAC, /* any valid letter, any case */
	FILL_LOWER, /* lowercase acgt */
	FILL_SEQ,   /* 0, 1, 2, ... 255, 0, ... (every byte value) */
	FILL_NMODES,
};

static const char *const fill_names[FILL_NMODES] = {
    "acgt", "any", "mixed", "all-N", "iupac", "lower", "seq",
};

static void fill(char *p, size_t n, enum fill_mode mode)
{
	static const char iupac[] = "ACGTUNRYSWKMBDHVacgtunryswkmbdhv";
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t r = rnd();

		switch (mode) {
		case FILL_ACGT:
			p[i] = "ACGT"[r & 3];
			break;
		case FILL_ANY:
			p[i] = (char)(r & 0xff);
			break;
		case FILL_MIXED:
			if ((r >> 8) % 16 == 0)
				p[i] = iupac[(r >> 16) % 32];
			else
				p[i] = "ACGT"[r & 3];
			break;
		case FILL_ALL_N:
			p[i] = 'N';
			break;
		case FILL_IUPAC:
			p[i] = iupac[r % 32];
			break;
		case FILL_LOWER:
			p[i] = "acgt"[r & 3];
			break;
		case FILL_SEQ:
			p[i] = (char)(i & 0xff);
			break;
		default:
			break;
		}
	}
}

/* One length at one offset in every fill mode. */
static void check_len_off(size_t n, size_t off, int crc_naive)
{
	char tag[64];
	int m;

	for (m = 0; m < FILL_NMODES; m++) {
		char *buf = xmalloc(off + n);

		fill(buf + off, n, (enum fill_mode)m);
		snprintf(tag, sizeof(tag), "%s off=%zu", fill_names[m], off);
		check_bytes(tag, buf + off, n, crc_naive);
		free(buf);
	}
}

/* A non-ACGT byte b at position p of ACGT, for every b and p. */
static void check_find_every_position(size_t n)
{
	char *buf = xmalloc(n + 1);
	size_t p, f;
	int b, l;

	for (p = 0; p < n; p++) {
		for (b = 0; b < 256; b++) {
			if (b == 'A' || b == 'C' || b == 'G' || b == 'T')
				continue;
			fill(buf + 1, n, FILL_ACGT);
			buf[1 + p] = (char)b;
			/* a second one later must not win */
			if (p + 5 < n)
				buf[1 + p + 5] = 'N';
			for (l = 0; l < GDB_SIMD_NLEVELS; l++) {
				if (!levels[l])
					continue;
				f = levels[l]->find_nonacgt(buf + 1, n);
				if (f != p)
					FAIL("%s find_nonacgt n=%zu byte %02x "
					     "at %zu: got %zu",
					     levels[l]->name, n, b, p, f);
			}
		}
	}
	free(buf);
}

static void check_crc_vectors(void)
{
	static const char digits[] = "123456789";
	uint8_t zeros[32], ones[32], inc[32];
	size_t i, split;
	int l;

	for (i = 0; i < 32; i++) {
		zeros[i] = 0;
		ones[i] = 0xff;
		inc[i] = (uint8_t)i;
	}
	for (l = 0; l < GDB_SIMD_NLEVELS; l++) {
		const gdb_simd_kernels *k = levels[l];
		uint32_t c;

		if (!k)
			continue;
		/* RFC 3720 B.4 test vectors and the usual check value */
		if ((c = k->crc32c(0, digits, 9)) != 0xe3069283u)
			FAIL("%s crc32c(\"123456789\") = %08x", k->name, c);
		if ((c = k->crc32c(0, zeros, 32)) != 0x8a9136aau)
			FAIL("%s crc32c(32 zeros) = %08x", k->name, c);
		if ((c = k->crc32c(0, ones, 32)) != 0x62a8ab43u)
			FAIL("%s crc32c(32 x ff) = %08x", k->name, c);
		if ((c = k->crc32c(0, inc, 32)) != 0x46dd794eu)
			FAIL("%s crc32c(0..31) = %08x", k->name, c);
		if ((c = k->crc32c(0, digits, 0)) != 0)
			FAIL("%s crc32c of nothing = %08x", k->name, c);
		for (split = 0; split <= 9; split++) {
			c = k->crc32c(k->crc32c(0, digits, split),
				      digits + split, 9 - split);
			if (c != 0xe3069283u)
				FAIL("%s crc32c chained at %zu = %08x", k->name,
				     split, c);
		}
	}
}

/* Chaining over the 3-way stretch boundaries of the hardware path. */
static void check_crc_chaining(void)
{
	size_t n = 3 * 2048 * 3 + 3 * 256 * 2 + 77, i;
	uint8_t *buf = xmalloc(n);
	uint32_t whole;
	static const size_t splits[] = {0,   1,	   7,	 8,    255,   256,  768,
					769, 6143, 6144, 6145, 10000, 20000};
	int l;

	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)rnd();
	whole = naive_crc32c(0, buf, n);
	for (l = 0; l < GDB_SIMD_NLEVELS; l++) {
		const gdb_simd_kernels *k = levels[l];

		if (!k)
			continue;
		for (i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
			size_t s = splits[i] < n ? splits[i] : n;
			uint32_t c =
			    k->crc32c(k->crc32c(0, buf, s), buf + s, n - s);

			if (c != whole)
				FAIL("%s crc32c chained at %zu of %zu: %08x, "
				     "want %08x",
				     k->name, s, n, c, whole);
		}
	}
	free(buf);
}

int main(void)
{
	static const size_t widths[] = {
	    255,  256,	257,  383,  384,  385,	511,  512,
	    513,  767,	768,  769,  1023, 1024, 1025, 4095,
	    4096, 4097, 6143, 6144, 6145, 6911, 6912, 6913,
	};
	const char *env = getenv("GENOMEDB_SIMD");
	size_t n, off, i, first;
	int l, nlevels = 0;

	if (gdb_simd_init() != 0 && env)
		fprintf(stderr,
			"test_simd: note: GENOMEDB_SIMD=%s not usable "
			"here; testing what exists\n",
			env);
	for (l = 0; l < GDB_SIMD_NLEVELS; l++) {
		levels[l] = gdb_simd_variant((enum gdb_simd_level)l);
		if (levels[l]) {
			nlevels++;
			printf("test_simd: level %s\n", levels[l]->name);
		}
	}
	if (!levels[GDB_SIMD_SCALAR]) {
		fprintf(stderr, "test_simd: no scalar level\n");
		return 1;
	}
	if (gdb_simd() != levels[gdb_simd_active()])
		FAIL("gdb_simd() is not the table of gdb_simd_active()");
	if (strcmp(gdb_simd_level_name(GDB_SIMD_AVX2), "avx2") ||
	    strcmp(gdb_simd_level_name(GDB_SIMD_NLEVELS), "unknown"))
		FAIL("gdb_simd_level_name");
	if (gdb_simd_variant(GDB_SIMD_NLEVELS))
		FAIL("gdb_simd_variant(NLEVELS) is not NULL");

	check_crc_vectors();
	check_crc_chaining();

	/* every length 0..200 at every offset 0..63 */
	for (n = 0; n <= 200; n++)
		for (off = 0; off < 64; off++)
			check_len_off(n, off, 1);
	/* around the strides of the wider loops, a few offsets each */
	for (i = 0; i < sizeof(widths) / sizeof(widths[0]); i++)
		for (off = 0; off < 64; off += 7)
			check_len_off(widths[i], off, off == 0);
	for (off = 0; off < 3; off++)
		check_len_off((size_t)1 << 20, off * 33, 0);

	for (first = 0; first < 8; first++) {
		for (n = 0; n <= 300; n++)
			check_unpack(first, n);
		for (i = 0; i < sizeof(widths) / sizeof(widths[0]); i++)
			check_unpack(first, widths[i]);
		check_unpack(first, (size_t)1 << 20);
	}

	for (n = 1; n <= 70; n++)
		check_find_every_position(n);
	check_find_every_position(129);
	check_find_every_position(257);

	if (failures) {
		printf("test_simd: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_simd: ok (%d levels)\n", nlevels);
	return 0;
}
