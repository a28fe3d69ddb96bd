/*
 * simd/kmer.h - k-mer counting: a bounded table of 2-bit packed k-mers
 * and the kernel that fills it (rules and levels: simd/simd.h).
 *
 * Only these calls allocate: gdb_kmer_table_new() and the growth of a
 * table (gdb_kmer_count(), gdb_kmer_table_merge()).
 *
 * Threading: a gdb_kmer_table is used by one thread at a time; count
 * regions into separate tables and gdb_kmer_table_merge() them.
 */
#ifndef GDB_SIMD_KMER_H
#define GDB_SIMD_KMER_H

#include <stddef.h>
#include <stdint.h>

#include "simd/simd.h"

/* ---- k-mer counting ---- */

#define GDB_KMER_MAXK 31
#define GDB_KMER_CANONICAL 1u /* count min(k-mer, reverse complement) */

/*
 * A k-mer is 2 bits a base, A0 C1 G2 T3, the first base in the highest
 * bits (so numeric order is lexicographic order). U/u is T. k-mers
 * containing any other byte than ACGTU/acgtu are skipped, as jellyfish
 * does.
 *
 * The table is open addressing. It starts at 256 slots and doubles (a
 * rehash, in place) whenever half of its slots are taken, up to the
 * largest power-of-two number of slots that fits the memory bound given
 * at creation, so memory and time follow the k-mers actually seen, not
 * the bound. At that size, once it holds 7/8 of its slots, k-mers not
 * yet in it are dropped (and counted in gdb_kmer_stats.dropped) while
 * those already in it keep exact counts; a table that cannot grow for
 * want of memory behaves the same at the size it has. Counts saturate at
 * UINT32_MAX. Which k-mers a full table drops follows the sequence, at
 * every level.
 *
 * Large regions: at the vector levels a count of 64 Ki bases or more
 * into a table that outgrows the cache partitions the k-mers by slot
 * before they go in (streaming the table instead of visiting it at
 * random), and grows the table beforehand to the distinct k-mers it
 * estimates. Contents, stats and drops are those of the scalar twin; the
 * slots' order (gdb_kmer_dump's) may differ. It uses a scratch of about 9
 * bytes a base of up to 8 Mi bases (about 75 MiB), which the table keeps
 * for the next large count until it is freed.
 */
typedef struct gdb_kmer_table gdb_kmer_table;

typedef struct gdb_kmer_stats {
	unsigned k;
	unsigned flags;
	uint64_t distinct; /* k-mers in the table */
	uint64_t total;	   /* valid k-mer occurrences seen */
	uint64_t dropped;  /* occurrences not counted: table was full */
	uint64_t capacity; /* distinct k-mers the table can hold at its
			      largest (lower once growing failed) */
} gdb_kmer_stats;

typedef struct gdb_kmer_entry {
	uint64_t kmer;
	uint64_t count;
} gdb_kmer_entry;

/*
 * gdb_kmer_table_new - an empty table (256 slots, one 4 KiB page).
 * @param k          1..GDB_KMER_MAXK
 * @param flags      0 or GDB_KMER_CANONICAL
 * @param max_bytes  memory bound for the slots (12 bytes each) that the
 *                   table may grow to; 256 slots are always allowed
 * @param out        out: the table, owned by caller, free with
 *                   gdb_kmer_table_free(); set only on success
 * @return 0, -EINVAL (k or flags), -ENOMEM
 */
int gdb_kmer_table_new(unsigned k, unsigned flags, size_t max_bytes,
		       gdb_kmer_table **out);
void gdb_kmer_table_free(gdb_kmer_table *t);  /* NULL is a no-op */
void gdb_kmer_table_clear(gdb_kmer_table *t); /* empty it, keep its size */

/*
 * gdb_kmer_count - add the k-mers of seq[0, n) to t (the active level).
 * k-mers do not span calls: each call is one region. The table grows as
 * needed (see above), which allocates.
 * @return 0, or -ENOSPC if some new k-mers were dropped because the table
 *         is full (all other counts stay exact)
 */
int gdb_kmer_count(gdb_kmer_table *t, const char *seq, size_t n);

/* Merge src into dst (same k and flags, else -EINVAL); dst grows as in
 * gdb_kmer_count(); -ENOSPC as above. */
int gdb_kmer_table_merge(gdb_kmer_table *dst, const gdb_kmer_table *src);

void gdb_kmer_get_stats(const gdb_kmer_table *t, gdb_kmer_stats *out);

/* Count of one k-mer (0 when absent). */
uint64_t gdb_kmer_lookup(const gdb_kmer_table *t, uint64_t kmer);

/*
 * gdb_kmer_top - the n most frequent k-mers, by count descending, then
 * k-mer ascending.
 * @param out  out: up to n entries
 * @return the number written (min(n, distinct))
 */
size_t gdb_kmer_top(const gdb_kmer_table *t, gdb_kmer_entry *out, size_t n);

/* Every entry in table order (unsorted, and level-dependent); returns
 * distinct, writes <= cap. */
size_t gdb_kmer_dump(const gdb_kmer_table *t, gdb_kmer_entry *out, size_t cap);

/* k-mer <-> text. encode: -EINVAL on a byte other than ACGTU (any case)
 * or bad k. decode writes k letters and no terminator. */
int gdb_kmer_encode(const char *s, unsigned k, uint64_t *out);
void gdb_kmer_decode(uint64_t kmer, unsigned k, char *dst);

/* ---- per-level table ---- */

/* A level's k-mer kernel: count is gdb_kmer_count() at that level. */
typedef struct gdb_kmer_kernels {
	const char *name;
	int (*count)(gdb_kmer_table *t, const char *seq, size_t n);
} gdb_kmer_kernels;

/* One level's table, or NULL when gdb_simd_variant(level) is NULL. */
const gdb_kmer_kernels *gdb_kmer_variant(enum gdb_simd_level level);

#endif
