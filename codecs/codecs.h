/*
 * codecs/codecs.h - turn bases into compact, self-contained blocks and back.
 *
 * DNA block codec: a block holds up to GDB_DNA_BLOCK_BASES bases, packed two
 * bits a base (simd/ pack2), with two sorted run lists beside the packed
 * bases: exception runs (N and every other IUPAC letter, kept exactly) and
 * lowercase (soft-mask) runs. An optional zstd stage compresses the packed
 * area when that makes it smaller. A block decodes on its own, so any region
 * decodes by touching only its blocks. The byte layout is specified in
 * docs/FORMAT.md, section "DNA block".
 *
 * No I/O here; depends only on simd/ and common/.
 *
 * Threading: all functions are reentrant; no shared state.
 */
#ifndef GDB_CODECS_H
#define GDB_CODECS_H

#include <stddef.h>
#include <stdint.h>

#include "common/gdb.h"

/* Bases per block: 64 Ki (16 KiB packed). Recorded per contig on disk. */
#define GDB_DNA_BLOCK_BASES 65536u

/*
 * gdb_codecs_dna_valid - is c a letter a DNA/RNA sequence may hold?
 * Accepted, in either case: A C G T U and the IUPAC codes N R Y S W K M B D H V.
 * @return 1 or 0
 */
int gdb_codecs_dna_valid(int c);

/* Upper bound of an encoded block of n bases (for sizing dst). */
size_t gdb_codecs_dna_bound(uint32_t nbases);

/*
 * gdb_codecs_dna_encode - encode one block.
 * @param bases      in: nbases ASCII letters, no newlines
 * @param nbases     1 .. GDB_DNA_BLOCK_BASES
 * @param zstd_level 0 = never zstd; otherwise the zstd level tried on the
 *                   packed area (kept only if smaller)
 * @param dst        out: at least gdb_codecs_dna_bound(nbases) bytes
 * @param dstcap     capacity of dst
 * @param badpos     out (may be NULL): on GDB_EFORMAT, index of the first
 *                   byte that is not a valid letter
 * @return bytes written (> 0), GDB_EFORMAT for an invalid letter, -EINVAL
 *         for a bad nbases, -ENOBUFS if dstcap is too small, -ENOMEM.
 * Deterministic: the same bases and level give the same bytes.
 */
GDB_MUST_CHECK int gdb_codecs_dna_encode(const char *bases, uint32_t nbases,
					 int zstd_level, uint8_t *dst,
					 size_t dstcap, uint32_t *badpos);

/*
 * gdb_codecs_dna_nbases - number of bases a block holds, from its header.
 * @return 1 .. GDB_DNA_BLOCK_BASES, or GDB_ECORRUPT.
 */
GDB_MUST_CHECK int gdb_codecs_dna_nbases(const uint8_t *src, size_t srclen);

/*
 * gdb_codecs_dna_decode - decode a whole block into ASCII.
 * @param src     in: an encoded block (untrusted: every field is checked)
 * @param srclen  its length in bytes
 * @param dst     out: the bases, exactly as encoded (case and IUPAC kept)
 * @param dstcap  capacity of dst
 * @return number of bases written, GDB_ECORRUPT if the block is malformed
 *         (never writes past dstcap, never returns wrong bases for a block
 *         that passed its checksum), -ENOBUFS if dstcap is too small.
 */
GDB_MUST_CHECK int gdb_codecs_dna_decode(const uint8_t *src, size_t srclen,
					 char *dst, size_t dstcap);

#endif
