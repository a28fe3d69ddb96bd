/*
 * simd/avx512.c - the 512-bit kernels (AVX-512 F + BW). The methods are
 * those of sse41.c on 64 bytes a vector; byte compares yield a 64-bit mask
 * register directly, which replaces the blends and movemasks of the lower
 * levels. Tails go to the AVX2 kernels.
 *
 * Only F and BW are required: VBMI's byte permutes would save a few
 * instructions but shut out the Skylake-SP/Cascade Lake servers that
 * have BW without VBMI.
 */
#include "simd/simd_int.h"

#if GDB_SIMD_X86
#include <immintrin.h>

#define LOADU(p) _mm512_loadu_si512((const void *)(p))
#define STOREU(p, v) _mm512_storeu_si512((void *)(p), (v))
#define BCAST16(p)                                                             \
	_mm512_broadcast_i32x4(                                                \
	    _mm_loadu_si128((const __m128i *)(const void *)(p)))

GDB_TARGET_AVX512 static inline __m512i pack_lane(const char *p)
{
	__m512i v = LOADU(p);
	__m512i c = _mm512_and_si512(
	    _mm512_xor_si512(_mm512_srli_epi16(v, 1), _mm512_srli_epi16(v, 2)),
	    _mm512_set1_epi8(3));
	__m512i w = _mm512_maddubs_epi16(c, _mm512_set1_epi16(0x0401));

	return _mm512_madd_epi16(w, _mm512_set1_epi32(0x00100001));
}

GDB_TARGET_AVX512 static void gdb_simd_avx512_pack2(const char *src, size_t n,
						    uint8_t *dst)
{
	/*
	 * The in-lane packs leave dword 4L + s holding the output of input
	 * vector s (a..d), 128-bit lane L; output dword j wants s = j / 4,
	 * L = j % 4.
	 */
	const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6,
						10, 14, 3, 7, 11, 15);
	size_t i;

	for (i = 0; i + 256 <= n; i += 256) {
		__m512i a = pack_lane(src + i), b = pack_lane(src + i + 64);
		__m512i c = pack_lane(src + i + 128);
		__m512i d = pack_lane(src + i + 192);
		__m512i r = _mm512_packus_epi16(_mm512_packus_epi32(a, b),
						_mm512_packus_epi32(c, d));

		STOREU(dst + i / 4, _mm512_permutexvar_epi32(order, r));
	}
	gdb_simd_avx2_pack2(src + i, n - i, dst + i / 4);
}

GDB_TARGET_AVX512 static inline __m512i unpack_lane(__m512i rep, __m512i lut)
{
	__m512i m = _mm512_and_si512(rep, _mm512_set1_epi32((int)0xc0300c03u));
	__m512i idx =
	    _mm512_and_si512(_mm512_or_si512(m, _mm512_srli_epi16(m, 4)),
			     _mm512_set1_epi8(0x0f));

	return _mm512_shuffle_epi8(lut, idx);
}

GDB_TARGET_AVX512 static void
gdb_simd_avx512_unpack2(const uint8_t *src, size_t first, size_t n, char *dst)
{
	static const char lut16[16] = {'A', 'C', 'G', 'T', 'C', 0, 0, 0,
				       'G', 0,	 0,   0,   'T', 0, 0, 0};
	/* every lane holds the same 16 packed bytes; lane L spreads 4L.. */
	static const uint8_t spread_tab[64] = {
	    0,	0,  0,	0,  1,	1,  1,	1,  2,	2,  2,	2,  3,	3,  3,	3,
	    4,	4,  4,	4,  5,	5,  5,	5,  6,	6,  6,	6,  7,	7,  7,	7,
	    8,	8,  8,	8,  9,	9,  9,	9,  10, 10, 10, 10, 11, 11, 11, 11,
	    12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15, 15, 15};
	const __m512i lut = BCAST16(lut16);
	const __m512i spread = LOADU(spread_tab);
	size_t i = first, end = first + n;
	const uint8_t *p;

	if (i & 3) {
		size_t head = 4 - (i & 3) < n ? 4 - (i & 3) : n;

		gdb_simd_scalar_unpack2(src, i, head, dst);
		i += head;
		dst += head;
	}
	p = src + i / 4;
	for (; i + 128 <= end; i += 128, p += 32, dst += 128) {
		__m512i v0 = BCAST16(p), v1 = BCAST16(p + 16);

		STOREU(dst, unpack_lane(_mm512_shuffle_epi8(v0, spread), lut));
		STOREU(dst + 64,
		       unpack_lane(_mm512_shuffle_epi8(v1, spread), lut));
	}
	gdb_simd_avx2_unpack2(src, i, end - i, dst);
}

/*
 * Zero in each byte of v that is A, C, G or T (see sse41.c): the table
 * entry for the byte's low nibble XOR the byte. Zeros survive an OR of
 * several vectors only where every one of them is ACGT, so the main loop
 * tests 256 bytes with one mask instruction.
 */
/* The first n (1..63) bytes of a 64-byte mask. */
static inline __mmask64 tail_mask(size_t n)
{
	return (__mmask64)((1ull << n) - 1);
}

GDB_TARGET_AVX512 static inline __m512i nonacgt_bytes(const char *p,
						      __m512i lut)
{
	__m512i v = LOADU(p);

	return _mm512_xor_si512(
	    _mm512_shuffle_epi8(lut,
				_mm512_and_si512(v, _mm512_set1_epi8(0x0f))),
	    v);
}

GDB_TARGET_AVX512 static size_t gdb_simd_avx512_find_nonacgt(const char *src,
							     size_t n)
{
	static const char lut16[16] = {'A', 'A', 'A', 'C', 'T', 'A', 'A', 'G',
				       'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A'};
	const __m512i lut = BCAST16(lut16);
	size_t i;

	for (i = 0; i + 256 <= n; i += 256) {
		/* 0xfe: a | b | c, the ternary-logic truth table of OR3 */
		__m512i x = _mm512_ternarylogic_epi32(
		    nonacgt_bytes(src + i, lut),
		    nonacgt_bytes(src + i + 64, lut),
		    nonacgt_bytes(src + i + 128, lut), 0xfe);

		x = _mm512_or_si512(x, nonacgt_bytes(src + i + 192, lut));
		if (_mm512_test_epi8_mask(x, x))
			break;
	}
	for (; i + 64 <= n; i += 64) {
		__m512i x = nonacgt_bytes(src + i, lut);
		__mmask64 m = _mm512_test_epi8_mask(x, x);

		if (m)
			return i + (size_t)__builtin_ctzll(m);
	}
	if (i < n) {
		/* the tail in one masked load (masked-out bytes never fault):
		 * a 60-base FASTA line is one step, not AVX2, SSE and scalar */
		__mmask64 k = tail_mask(n - i);
		__m512i v = _mm512_maskz_loadu_epi8(k, src + i);
		__m512i x = _mm512_xor_si512(
		    _mm512_shuffle_epi8(
			lut, _mm512_and_si512(v, _mm512_set1_epi8(0x0f))),
		    v);
		__mmask64 m = _mm512_mask_test_epi8_mask(k, x, x);

		return m ? i + (size_t)__builtin_ctzll(m) : n;
	}
	return n;
}

GDB_TARGET_AVX512 static inline __mmask64 letter_mask(__m512i v)
{
	__m512i t = _mm512_sub_epi8(_mm512_or_si512(v, _mm512_set1_epi8(0x20)),
				    _mm512_set1_epi8('a'));

	return _mm512_cmplt_epu8_mask(t, _mm512_set1_epi8(26));
}

GDB_TARGET_AVX512 static inline __m512i lookup32(__m512i v, __m512i lo,
						 __m512i hi)
{
	__m512i nib = _mm512_and_si512(v, _mm512_set1_epi8(0x0f));
	__mmask64 bit4 = _mm512_test_epi8_mask(v, _mm512_set1_epi8(0x10));

	return _mm512_mask_blend_epi8(bit4, _mm512_shuffle_epi8(lo, nib),
				      _mm512_shuffle_epi8(hi, nib));
}

GDB_TARGET_AVX512 static void gdb_simd_avx512_revcomp(const char *src, size_t n,
						      char *dst)
{
	static const uint8_t rev16[16] = {15, 14, 13, 12, 11, 10, 9, 8,
					  7,  6,  5,  4,  3,  2,  1, 0};
	const __m512i rev = BCAST16(rev16);
	const __m512i dlo = BCAST16(gdb_simd_comp_delta[0]);
	const __m512i dhi = BCAST16(gdb_simd_comp_delta[1]);
	size_t i;

	for (i = 0; i + 64 <= n; i += 64) {
		__m512i v = _mm512_shuffle_epi8(LOADU(src + n - i - 64), rev);
		__m512i d;

		/* reverse the order of the four 128-bit lanes */
		v = _mm512_shuffle_i64x2(v, v, _MM_SHUFFLE(0, 1, 2, 3));
		d = _mm512_maskz_mov_epi8(letter_mask(v),
					  lookup32(v, dlo, dhi));
		STOREU(dst + i, _mm512_xor_si512(v, d));
	}
	gdb_simd_avx2_revcomp(src, n - i, dst + i);
}

GDB_TARGET_AVX512 static void gdb_simd_avx512_to_u8(const char *src, size_t n,
						    uint8_t *dst)
{
	const __m512i clo = BCAST16(gdb_simd_u8_code[0]);
	const __m512i chi = BCAST16(gdb_simd_u8_code[1]);
	size_t i;

	for (i = 0; i + 64 <= n; i += 64) {
		__m512i v = LOADU(src + i);

		STOREU(dst + i, _mm512_mask_blend_epi8(letter_mask(v),
						       _mm512_set1_epi8(15),
						       lookup32(v, clo, chi)));
	}
	gdb_simd_avx2_to_u8(src + i, n - i, dst + i);
}

GDB_TARGET_AVX512 static void gdb_simd_avx512_toupper(const char *src, size_t n,
						      char *dst)
{
	size_t i;

	for (i = 0; i + 64 <= n; i += 64) {
		__m512i v = LOADU(src + i);
		__mmask64 lower = _mm512_cmplt_epu8_mask(
		    _mm512_sub_epi8(v, _mm512_set1_epi8('a')),
		    _mm512_set1_epi8(26));

		STOREU(dst + i, _mm512_mask_sub_epi8(v, lower, v,
						     _mm512_set1_epi8(0x20)));
	}
	if (i < n) {
		__mmask64 k = tail_mask(n - i);
		__m512i v = _mm512_maskz_loadu_epi8(k, src + i);
		__mmask64 lower = _mm512_cmplt_epu8_mask(
		    _mm512_sub_epi8(v, _mm512_set1_epi8('a')),
		    _mm512_set1_epi8(26));

		_mm512_mask_storeu_epi8(
		    dst + i, k,
		    _mm512_mask_sub_epi8(v, lower, v, _mm512_set1_epi8(0x20)));
	}
}

const gdb_simd_kernels gdb_simd_avx512_kernels = {
    .name = "avx512",
    .pack2 = gdb_simd_avx512_pack2,
    .unpack2 = gdb_simd_avx512_unpack2,
    .find_nonacgt = gdb_simd_avx512_find_nonacgt,
    .crc32c = gdb_simd_crc32c_hw,
    .revcomp = gdb_simd_avx512_revcomp,
    .to_u8 = gdb_simd_avx512_to_u8,
    .toupper = gdb_simd_avx512_toupper,
    .comp = gdb_simd_avx512_comp,
};
#endif
