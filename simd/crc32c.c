/*
 * simd/crc32c.c - CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, as
 * iSCSI and ext4 use), in software and with the SSE4.2 crc32 instruction.
 *
 * Software: slicing-by-8 (eight 256-entry tables, eight bytes a step),
 * about 1.5 bytes a cycle on any CPU.
 *
 * Hardware: one crc32 instruction takes 3 cycles of latency but a new one
 * can start every cycle, so a single dependent chain uses a third of the
 * unit. As in Mark Adler's crc32c.c we run three chains over three adjacent
 * stretches of the buffer and join them afterwards. Joining rests on the
 * CRC register being linear: running stretch B from register r gives
 * Z_|B|(r) XOR (B run from 0), where Z_len advances a register over len
 * zero bytes. Z_len is a 32x32 bit matrix, applied here as four lookups in
 * tables (byte k of the register -> its image), built once for the two
 * stretch lengths we use. Stretches of LONG bytes serve big buffers;
 * SHORT ones the rest of anything over 3 * SHORT bytes.
 *
 * gdb_simd_crc32c_init() builds all tables; gdb_simd_init() calls it once,
 * before any kernel table is handed out.
 */
#include <string.h>

#include "common/gdb.h"
#include "simd/simd_int.h"

#if GDB_SIMD_X86
#include <nmmintrin.h>
#endif

#define POLY 0x82f63b78u
#define LONG 2048
#define SHORT 256

static uint32_t crc_tab[8][256];
static uint32_t zeros_long[4][256];
static uint32_t zeros_short[4][256];

/* Advance a raw (not inverted) register over len zero bytes. */
static uint32_t zeros_slow(uint32_t c, size_t len)
{
	while (len--)
		c = crc_tab[0][c & 0xff] ^ (c >> 8);
	return c;
}

static void build_zeros(uint32_t tab[4][256], size_t len)
{
	uint32_t image[32];
	int b, k, v;

	for (b = 0; b < 32; b++)
		image[b] = zeros_slow(1u << b, len);
	for (k = 0; k < 4; k++) {
		for (v = 0; v < 256; v++) {
			uint32_t x = 0;

			for (b = 0; b < 8; b++)
				if (v & (1 << b))
					x ^= image[8 * k + b];
			tab[k][v] = x;
		}
	}
}

void gdb_simd_crc32c_init(void)
{
	uint32_t c;
	int n, k;

	for (n = 0; n < 256; n++) {
		c = (uint32_t)n;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
		crc_tab[0][n] = c;
	}
	/* crc_tab[k][n]: byte n followed by k zero bytes */
	for (n = 0; n < 256; n++) {
		c = crc_tab[0][n];
		for (k = 1; k < 8; k++) {
			c = crc_tab[0][c & 0xff] ^ (c >> 8);
			crc_tab[k][n] = c;
		}
	}
	build_zeros(zeros_long, LONG);
	build_zeros(zeros_short, SHORT);
}

uint32_t gdb_simd_crc32c_sw(uint32_t crc, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	uint32_t c = ~crc;

	for (; n >= 8; n -= 8, p += 8) {
		uint32_t lo = gdb_get_le32(p) ^ c;
		uint32_t hi = gdb_get_le32(p + 4);

		c = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
		    crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^
		    crc_tab[3][hi & 0xff] ^ crc_tab[2][(hi >> 8) & 0xff] ^
		    crc_tab[1][(hi >> 16) & 0xff] ^ crc_tab[0][hi >> 24];
	}
	for (; n; n--)
		c = crc_tab[0][(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

#if GDB_SIMD_X86
static inline uint32_t zeros_apply(uint32_t tab[4][256], uint32_t c)
{
	return tab[0][c & 0xff] ^ tab[1][(c >> 8) & 0xff] ^
	       tab[2][(c >> 16) & 0xff] ^ tab[3][c >> 24];
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

GDB_TARGET_SSE42 uint32_t gdb_simd_crc32c_hw(uint32_t crc, const void *buf,
					     size_t n)
{
	const uint8_t *p = buf;
	uint64_t c0 = (uint32_t)~crc;

	for (; n && ((uintptr_t)p & 7); n--)
		c0 = _mm_crc32_u8((uint32_t)c0, *p++);
	while (n >= 3 * LONG) {
		uint64_t c1 = 0, c2 = 0;
		const uint8_t *end = p + LONG;

		do {
			c0 = _mm_crc32_u64(c0, load64(p));
			c1 = _mm_crc32_u64(c1, load64(p + LONG));
			c2 = _mm_crc32_u64(c2, load64(p + 2 * LONG));
			p += 8;
		} while (p < end);
		c0 = zeros_apply(zeros_long, (uint32_t)c0) ^ (uint32_t)c1;
		c0 = zeros_apply(zeros_long, (uint32_t)c0) ^ (uint32_t)c2;
		p += 2 * LONG;
		n -= 3 * LONG;
	}
	while (n >= 3 * SHORT) {
		uint64_t c1 = 0, c2 = 0;
		const uint8_t *end = p + SHORT;

		do {
			c0 = _mm_crc32_u64(c0, load64(p));
			c1 = _mm_crc32_u64(c1, load64(p + SHORT));
			c2 = _mm_crc32_u64(c2, load64(p + 2 * SHORT));
			p += 8;
		} while (p < end);
		c0 = zeros_apply(zeros_short, (uint32_t)c0) ^ (uint32_t)c1;
		c0 = zeros_apply(zeros_short, (uint32_t)c0) ^ (uint32_t)c2;
		p += 2 * SHORT;
		n -= 3 * SHORT;
	}
	for (; n >= 8; n -= 8, p += 8)
		c0 = _mm_crc32_u64(c0, load64(p));
	for (; n; n--)
		c0 = _mm_crc32_u8((uint32_t)c0, *p++);
	return ~(uint32_t)c0;
}
#endif
