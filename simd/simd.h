/*
 * simd/simd.h - SIMD dispatch and the byte kernels: runtime-dispatched
 * kernels over caller-owned buffers.
 *
 * The analysis kernels have a header per family, each with the same rules
 * and each following the level chosen here: simd/kmer.h (k-mer counting),
 * simd/motif.h (IUPAC patterns and position weight matrices), simd/align.h
 * (pairwise alignment), simd/genotype.h (popcounts and dosages over
 * genotype bit planes).
 *
 * Every kernel has a scalar twin that is the reference; the fastest variant
 * the CPU supports is chosen once by gdb_simd_init() (CPU feature detection
 * with __builtin_cpu_supports, never per call). GENOMEDB_SIMD=scalar|sse41|
 * avx2|avx512 forces a level for tests and benchmarks, for every family.
 * Kernels do no I/O, allocate only where their header says so, and return
 * a negative errno only where they can fail (bad arguments, scores that
 * do not fit); callers size the buffers.
 *
 * RNA: every kernel that reads bases reads U (and u) as T, so an RNA
 * sequence gives the answers of its DNA spelling (composition, to_u8,
 * revcomp, k-mers, patterns, matrices, DNA alignment scoring).
 *
 * Coordinates are 0-based; ranges are half-open [begin, end).
 *
 * Kernels never start threads: every call runs on the calling thread, and
 * a batch that is spread over threads runs on a pool its caller owns
 * (common/pool.h, simd/align.h).
 *
 * This is the leaf module: it includes nothing else of GenomeDB except
 * common/ (gdb.h, and pool.h for batches).
 *
 * Threading: gdb_simd_init() is idempotent and thread-safe (pthread_once);
 * kernels are pure and may run concurrently on disjoint buffers.
 */
#ifndef GDB_SIMD_H
#define GDB_SIMD_H

#include <stddef.h>
#include <stdint.h>

enum gdb_simd_level {
	GDB_SIMD_SCALAR = 0,
	GDB_SIMD_SSE41 = 1,
	GDB_SIMD_AVX2 = 2,
	GDB_SIMD_AVX512 = 3,
	GDB_SIMD_NLEVELS = 4,
};

/*
 * Base composition: counts over one range of bases, case-insensitive. s
 * and w are the IUPAC strong (C/G) and weak (A/T) codes; U counts as T; N
 * and every other byte go to other. cpg counts positions i where base i
 * is C and base i+1 is G, both inside the range.
 */
typedef struct gdb_comp {
	uint64_t a, c, g, t, s, w, other, cpg;
} gdb_comp;

/*
 * gdb_comp_gc - GC fraction of a range as Biopython's gc_fraction(seq)
 * (ambiguous="remove"): (C + G + S) / (A + C + G + T + S + W), so N and the
 * other ambiguity codes are left out of both counts.
 * @param c  counts (borrowed)
 * @return   the fraction in [0, 1]; 0 when the denominator is 0

 * One variant's kernel table. Semantics (identical for every variant):
 *
 * pack2(src, n, dst): 2-bit code of each byte, code = ((c >> 1) ^ (c >> 2))
 *   & 3, which maps A/a->0, C/c->1, G/g->2, T/t->3 (other bytes get some
 *   code; the codec stores them as exceptions). Four bases per byte, the
 *   first base in the two lowest bits. dst has (n + 3) / 4 bytes; unused
 *   high bits of the last byte are zero.
 * unpack2(src, first, n, dst): writes n uppercase bases "ACGT"[code] for
 *   base indexes first .. first+n-1 of a packed array.
 * find_nonacgt(src, n): index of the first byte not in "ACGT" (uppercase),
 *   or n if there is none.
 * crc32c(crc, p, n): CRC-32C (Castagnoli), reflected, as iSCSI; start with
 *   crc = 0; chaining: crc32c(crc32c(0, a), b) == crc32c(0, a||b).
 * revcomp(src, n, dst): reverse complement, IUPAC aware, case kept
 *   (A<->T, C<->G, U->A, R<->Y, K<->M, B<->V, D<->H, S, W, N unchanged);
 *   other bytes are copied unchanged. src and dst must not overlap.
 * to_u8(src, n, dst): one code per base for numpy: A0 C1 G2 T3 N4 R5 Y6
 *   S7 W8 K9 M10 B11 D12 H13 V14 U3 (case-insensitive), anything else 15.
 * toupper(src, n, dst): ASCII upper case (a-z only); src may equal dst.
 * comp(seq, n, out): the base composition of seq[0, n) (gdb_comp above).
 */
typedef struct gdb_simd_kernels {
	const char *name;
	void (*pack2)(const char *src, size_t n, uint8_t *dst);
	void (*unpack2)(const uint8_t *src, size_t first, size_t n, char *dst);
	size_t (*find_nonacgt)(const char *src, size_t n);
	uint32_t (*crc32c)(uint32_t crc, const void *p, size_t n);
	void (*revcomp)(const char *src, size_t n, char *dst);
	void (*to_u8)(const char *src, size_t n, uint8_t *dst);
	void (*toupper)(const char *src, size_t n, char *dst);
	void (*comp)(const char *seq, size_t n, gdb_comp *out);
} gdb_simd_kernels;

/*
 * gdb_simd_init - choose the kernel table once (honours GENOMEDB_SIMD).
 * @return 0, or -EINVAL if GENOMEDB_SIMD names an unknown level, or
 *         -ENOTSUP if it names a level this CPU lacks (the best supported
 *         level is used in both cases).
 */
int gdb_simd_init(void);

/* The active table (calls gdb_simd_init() on first use). Never NULL. */
const gdb_simd_kernels *gdb_simd(void);

/* The active level, and a level's name ("scalar", "sse41", "avx2", "avx512").
 */
enum gdb_simd_level gdb_simd_active(void);
const char *gdb_simd_level_name(enum gdb_simd_level level);

/*
 * gdb_simd_variant - the table of one level, for tests and benchmarks.
 * @return the table, or NULL if that level is not built or the CPU lacks it.
 * Level GDB_SIMD_SCALAR always exists.
 */
const gdb_simd_kernels *gdb_simd_variant(enum gdb_simd_level level);

/* ---- base composition ---- */

double gdb_comp_gc(const gdb_comp *c);

/*
 * gdb_comp_nwindows - how many windows gdb_comp_windows() writes.
 * Window k covers [k*step, min(k*step + win, n)); windows stop after the
 * first one that reaches n, so there are 0 for n == 0, 1 for n <= win,
 * else 1 + ceil((n - win) / step). step == win gives ceil(n / win) tiles.
 * @return the count, or 0 if win or step is 0
 */
size_t gdb_comp_nwindows(size_t n, size_t win, size_t step);

/*
 * gdb_comp_windows - base composition of every window of seq.
 * @param seq   bases (borrowed; any bytes)
 * @param n     length of seq
 * @param win   window length (>= 1)
 * @param step  distance between window starts (>= 1; step < win
 *              overlaps windows and costs win/step passes over the data)
 * @param out   out: gdb_comp_nwindows(n, win, step) entries
 * @param nout  capacity of out
 * @return the number of windows written, -EINVAL if win or step is 0, or
 *         -ENOSPC if nout is too small (nothing is written then)
 */
int64_t gdb_comp_windows(const char *seq, size_t n, size_t win, size_t step,
			 gdb_comp *out, size_t nout);

#endif
