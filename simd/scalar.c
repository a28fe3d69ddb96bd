/*
 * simd/scalar.c - the reference twins of every kernel, in portable C.
 *
 * These define what the vector kernels must compute (tests compare every
 * level against them byte for byte) and they are what a CPU without
 * SSE4.1 runs, so they are written to be fast as well as plain: the
 * byte-classifying kernels work on eight bytes at a time in a 64-bit word
 * (SWAR), the rest use 256-entry tables built by the compiler. Nothing here
 * depends on the host byte order: words are assembled with gdb_get_le64(),
 * which compilers turn into a single load on little-endian machines.
 */
#include <string.h>

#include "common/gdb.h"
#include "simd/simd_int.h"

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/*
 * High bit of each byte of the result set iff that byte of t is non-zero.
 * Unlike the classic (t - ONES) & ~t trick this is exact in every byte (no
 * borrow crosses a byte), so it can be combined across several tests.
 */
static inline uint64_t swar_nonzero(uint64_t t)
{
	return (((t & ~HIGHS) + ~HIGHS) | t) & HIGHS;
}

/* Index of the first byte whose high bit is set in m (m != 0). */
static inline size_t swar_first(uint64_t m)
{
	return (size_t)__builtin_ctzll(m) >> 3;
}

static inline unsigned code2(char c)
{
	return (((unsigned char)c >> 1) ^ ((unsigned char)c >> 2)) & 3;
}

void gdb_simd_scalar_pack2(const char *src, size_t n, uint8_t *dst)
{
	size_t i = 0;
	unsigned acc = 0, sh = 0;

	/*
	 * Eight bases give two output bytes: compute the eight codes in
	 * place (bits 0-1 of each byte; the shifts pull bits from the next
	 * byte only into bits the mask drops), then fold pairs of bytes,
	 * pairs of 16-bit and pairs of 32-bit halves together.
	 */
	for (; i + 8 <= n; i += 8) {
		uint64_t x = gdb_get_le64(src + i);
		uint64_t y = ((x >> 1) ^ (x >> 2)) & (ONES * 3);

		y = (y | (y >> 6)) & 0x000f000f000f000full;
		y = (y | (y >> 12)) & 0x000000ff000000ffull;
		y |= y >> 24;
		dst[i / 4] = (uint8_t)y;
		dst[i / 4 + 1] = (uint8_t)(y >> 8);
	}
	dst += i / 4;
	for (; i < n; i++) {
		acc |= code2(src[i]) << sh;
		sh += 2;
		if (sh == 8) {
			*dst++ = (uint8_t)acc;
			acc = 0;
			sh = 0;
		}
	}
	if (sh)
		*dst = (uint8_t)acc;
}

/* unpack_tab[b] = the four bases of packed byte b, first base first. */
#define UNPACK_L(c) ((c) == 0 ? 'A' : (c) == 1 ? 'C' : (c) == 2 ? 'G' : 'T')
#define UNPACK_E(b)                                                            \
	{                                                                      \
		UNPACK_L((b)&3), UNPACK_L(((b) >> 2) & 3),                     \
		    UNPACK_L(((b) >> 4) & 3), UNPACK_L(((b) >> 6) & 3)         \
	}
#define UNPACK_4(b)                                                            \
	UNPACK_E(b), UNPACK_E(b + 1), UNPACK_E(b + 2), UNPACK_E(b + 3)
#define UNPACK_16(b)                                                           \
	UNPACK_4(b), UNPACK_4(b + 4), UNPACK_4(b + 8), UNPACK_4(b + 12)
#define UNPACK_64(b)                                                           \
	UNPACK_16(b), UNPACK_16(b + 16), UNPACK_16(b + 32), UNPACK_16(b + 48)
static const char unpack_tab[256][4] = {UNPACK_64(0), UNPACK_64(64),
					UNPACK_64(128), UNPACK_64(192)};

void gdb_simd_scalar_unpack2(const uint8_t *src, size_t first, size_t n,
			     char *dst)
{
	size_t i = first, end = first + n;
	const uint8_t *p;

	for (; i < end && (i & 3); i++)
		*dst++ = "ACGT"[(src[i >> 2] >> (2 * (i & 3))) & 3];
	p = src + (i >> 2);
	for (; i + 16 <= end; i += 16, p += 4, dst += 16) {
		memcpy(dst, unpack_tab[p[0]], 4);
		memcpy(dst + 4, unpack_tab[p[1]], 4);
		memcpy(dst + 8, unpack_tab[p[2]], 4);
		memcpy(dst + 12, unpack_tab[p[3]], 4);
	}
	for (; i + 4 <= end; i += 4, dst += 4)
		memcpy(dst, unpack_tab[*p++], 4);
	for (; i < end; i++)
		*dst++ = "ACGT"[(src[i >> 2] >> (2 * (i & 3))) & 3];
}

static inline int is_acgt(char c)
{
	return c == 'A' || c == 'C' || c == 'G' || c == 'T';
}

size_t gdb_simd_scalar_find_nonacgt(const char *src, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x = gdb_get_le64(src + i);
		uint64_t bad = swar_nonzero(x ^ (ONES * 'A')) &
			       swar_nonzero(x ^ (ONES * 'C')) &
			       swar_nonzero(x ^ (ONES * 'G')) &
			       swar_nonzero(x ^ (ONES * 'T'));

		if (bad)
			return i + swar_first(bad);
	}
	for (; i < n; i++)
		if (!is_acgt(src[i]))
			return i;
	return n;
}

/*
 * Letter tables for the vector kernels (see simd_int.h); the 256-entry
 * scalar tables below are written from the same list of letters.
 */
const uint8_t gdb_simd_comp_delta[2][16] = {
    /* low five bits 0-15: @ A B C D E F G H I J K L M N O */
    {0, 'A' ^ 'T', 'B' ^ 'V', 'C' ^ 'G', 'D' ^ 'H', 0, 0, 'G' ^ 'C', 'H' ^ 'D',
     0, 0, 'K' ^ 'M', 0, 'M' ^ 'K', 0, 0},
    /* 16-31: P Q R S T U V W X Y Z and five non-letters */
    {0, 0, 'R' ^ 'Y', 0, 'T' ^ 'A', 'U' ^ 'A', 'V' ^ 'B', 0, 0, 'Y' ^ 'R', 0, 0,
     0, 0, 0, 0},
};

const uint8_t gdb_simd_u8_code[2][16] = {
    /* @ A B C D E F G H I J K L M N O */
    {15, 0, 11, 1, 12, 15, 15, 2, 13, 15, 15, 9, 15, 10, 4, 15},
    /* P Q R S T U V W X Y Z */
    {15, 15, 5, 7, 3, 3, 14, 8, 15, 6, 15, 15, 15, 15, 15, 15},
};

/*
 * comp_x[c] = c ^ complement(c); zero for bytes revcomp leaves alone, so
 * the table needs no entry for them (and no overriding initialisers).
 */
#define COMP(a, b) [a] = (a) ^ (b), [(a) | 0x20] = (a) ^ (b)
static const uint8_t comp_x[256] = {
    COMP('A', 'T'), COMP('T', 'A'), COMP('C', 'G'), COMP('G', 'C'),
    COMP('U', 'A'), COMP('R', 'Y'), COMP('Y', 'R'), COMP('K', 'M'),
    COMP('M', 'K'), COMP('B', 'V'), COMP('V', 'B'), COMP('D', 'H'),
    COMP('H', 'D'),
};

/* u8_x[c] = to_u8 code of c, XOR 15, so that absent entries mean 15. */
#define U8(a, code) [a] = (code) ^ 15, [(a) | 0x20] = (code) ^ 15
static const uint8_t u8_x[256] = {
    U8('A', 0),	 U8('C', 1),  U8('G', 2),  U8('T', 3),	U8('U', 3), U8('N', 4),
    U8('R', 5),	 U8('Y', 6),  U8('S', 7),  U8('W', 8),	U8('K', 9), U8('M', 10),
    U8('B', 11), U8('D', 12), U8('H', 13), U8('V', 14),
};

void gdb_simd_scalar_revcomp(const char *src, size_t n, char *dst)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[n - 1 - i];

		dst[i] = (char)(c ^ comp_x[c]);
	}
}

void gdb_simd_scalar_to_u8(const char *src, size_t n, uint8_t *dst)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = u8_x[(unsigned char)src[i]] ^ 15;
}

void gdb_simd_scalar_toupper(const char *src, size_t n, char *dst)
{
	size_t i = 0;

	/*
	 * Per byte of the low seven bits t: t + (0x80 - 'a') reaches bit 7
	 * iff t >= 'a', t + (0x80 - 'z' - 1) iff t > 'z'; neither sum carries
	 * into the next byte. Bytes with bit 7 set are not ASCII letters.
	 */
	for (; i + 8 <= n; i += 8) {
		uint64_t x = gdb_get_le64(src + i);
		uint64_t t = x & ~HIGHS;
		uint64_t ge_a = t + ONES * (0x80 - 'a');
		uint64_t gt_z = t + ONES * (0x80 - 'z' - 1);
		uint64_t lower = ge_a & ~gt_z & ~x & HIGHS;

		gdb_put_le64(dst + i, x ^ (lower >> 2));
	}
	for (; i < n; i++) {
		char c = src[i];

		dst[i] = (c >= 'a' && c <= 'z') ? (char)(c - 0x20) : c;
	}
}

const gdb_simd_kernels gdb_simd_scalar_kernels = {
    .name = "scalar",
    .pack2 = gdb_simd_scalar_pack2,
    .unpack2 = gdb_simd_scalar_unpack2,
    .find_nonacgt = gdb_simd_scalar_find_nonacgt,
    .crc32c = gdb_simd_crc32c_sw,
    .revcomp = gdb_simd_scalar_revcomp,
    .to_u8 = gdb_simd_scalar_to_u8,
    .toupper = gdb_simd_scalar_toupper,
    .comp = gdb_simd_scalar_comp,
};
