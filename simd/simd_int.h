/*
 * simd/simd_int.h - what the files of simd/ share and no other module may
 * include: each level's kernel table, the per-level functions that a higher
 * level calls for the tail it does not cover, the target attributes, and
 * the lookup tables behind the scalar twins.
 *
 * Levels nest: a level is offered only when every lower level is usable
 * (dispatch.c checks that), so an AVX-512 kernel may hand its last bytes to
 * the AVX2 one, which hands its own to SSE4.1, which ends in scalar. That
 * keeps every tail on the reference path without duplicating it per level.
 *
 * The CRC-32C tables are built by gdb_simd_crc32c_init(), which
 * gdb_simd_init() runs once before any kernel table can be reached.
 */
#ifndef GDB_SIMD_INT_H
#define GDB_SIMD_INT_H

#include <stddef.h>
#include <stdint.h>

#include "simd/simd.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define GDB_SIMD_X86 1
#else
#define GDB_SIMD_X86 0
#endif

/*
 * Per-function targets, so the project builds with plain -O2 and only the
 * functions that use an instruction set are allowed to. sse4.2 rides along
 * at every level because the CRC kernel of each level is the crc32
 * instruction; dispatch.c requires it for all of them.
 */
#define GDB_TARGET_SSE41 __attribute__((target("ssse3,sse4.1,sse4.2")))
#define GDB_TARGET_SSE42 __attribute__((target("sse4.2")))
#define GDB_TARGET_AVX2 __attribute__((target("avx2,sse4.2")))
#define GDB_TARGET_AVX512                                                      \
	__attribute__((target("avx512f,avx512bw,avx2,sse4.2")))

extern const gdb_simd_kernels gdb_simd_scalar_kernels;
#if GDB_SIMD_X86
extern const gdb_simd_kernels gdb_simd_sse41_kernels;
extern const gdb_simd_kernels gdb_simd_avx2_kernels;
extern const gdb_simd_kernels gdb_simd_avx512_kernels;
#endif

/* scalar.c: the reference twins (semantics in simd.h). */
void gdb_simd_scalar_pack2(const char *src, size_t n, uint8_t *dst);
void gdb_simd_scalar_unpack2(const uint8_t *src, size_t first, size_t n,
			     char *dst);
size_t gdb_simd_scalar_find_nonacgt(const char *src, size_t n);
void gdb_simd_scalar_revcomp(const char *src, size_t n, char *dst);
void gdb_simd_scalar_to_u8(const char *src, size_t n, uint8_t *dst);
void gdb_simd_scalar_toupper(const char *src, size_t n, char *dst);
/* ana_scalar.c and ana_<level>.c: base composition (the bitsets and
 * popcounts it shares with the motif scan live there) */
void gdb_simd_scalar_comp(const char *seq, size_t n, gdb_comp *out);

/* crc32c.c: slice-by-8 (any CPU) and the crc32-instruction version. */
void gdb_simd_crc32c_init(void);
uint32_t gdb_simd_crc32c_sw(uint32_t crc, const void *p, size_t n);
#if GDB_SIMD_X86
uint32_t gdb_simd_crc32c_hw(uint32_t crc, const void *p, size_t n);

/* sse41.c: called by avx2.c for tails. */
void gdb_simd_sse41_pack2(const char *src, size_t n, uint8_t *dst);
void gdb_simd_sse41_unpack2(const uint8_t *src, size_t first, size_t n,
			    char *dst);
size_t gdb_simd_sse41_find_nonacgt(const char *src, size_t n);
void gdb_simd_sse41_revcomp(const char *src, size_t n, char *dst);
void gdb_simd_sse41_to_u8(const char *src, size_t n, uint8_t *dst);
void gdb_simd_sse41_toupper(const char *src, size_t n, char *dst);
void gdb_simd_sse41_comp(const char *seq, size_t n, gdb_comp *out);

/* avx2.c: called by avx512.c for tails. */
void gdb_simd_avx2_pack2(const char *src, size_t n, uint8_t *dst);
void gdb_simd_avx2_unpack2(const uint8_t *src, size_t first, size_t n,
			   char *dst);
size_t gdb_simd_avx2_find_nonacgt(const char *src, size_t n);
void gdb_simd_avx2_revcomp(const char *src, size_t n, char *dst);
void gdb_simd_avx2_to_u8(const char *src, size_t n, uint8_t *dst);
void gdb_simd_avx2_toupper(const char *src, size_t n, char *dst);
void gdb_simd_avx2_comp(const char *seq, size_t n, gdb_comp *out);
void gdb_simd_avx512_comp(const char *seq, size_t n, gdb_comp *out);
#endif

/*
 * Tables of the letter kernels, indexed by the low five bits of a letter
 * (A/a = 1 .. Z/z = 26), split in halves of 16 so a byte shuffle can look
 * them up: [0] holds indexes 0-15, [1] holds 16-31. They are only valid for
 * bytes that are letters; every kernel masks non-letters itself.
 *
 * gdb_simd_comp_delta: XOR that turns a letter into its IUPAC complement
 *   without touching its case bit (A^T = C^G = 0x15/0x04 and so on).
 * gdb_simd_u8_code: the to_u8 code of a letter (15 for letters with none).
 */
extern const uint8_t gdb_simd_comp_delta[2][16];
extern const uint8_t gdb_simd_u8_code[2][16];

#endif
