/*
 * simd/motif.h - motif search: IUPAC patterns (bit-parallel) and position
 * weight matrices (log-odds from counts, exact p-value thresholds, the
 * scan); rules and levels: simd/simd.h.
 *
 * Only gdb_pwm_pvalue() and gdb_pwm_threshold() allocate. Motif files are
 * parsed, and motif sets stored, by the motif module (motif/motif.h).
 *
 * Threading: every call is reentrant; patterns and matrices are const
 * and may be shared.
 */
#ifndef GDB_SIMD_MOTIF_H
#define GDB_SIMD_MOTIF_H

#include <stddef.h>
#include <stdint.h>

#include "simd/simd.h"

/* Strand selection for the motif and PWM scans. */
#define GDB_STRAND_FWD 1u
#define GDB_STRAND_REV 2u
#define GDB_STRAND_BOTH 3u

/* ---- IUPAC pattern search ---- */

#define GDB_MOTIF_MAXLEN 64

/*
 * A compiled pattern: per position the set of bases it accepts, bit 0 A,
 * 1 C, 2 G, 3 T, for the pattern and for its reverse complement.
 *
 * Matching follows `seqkit locate -i -d`: pattern letters are IUPAC codes
 * (ACGTU RYSWKM BDHV N, any case; U = T); a reference byte matches when
 * it is A, C, G, T or U (any case, U = T) and in the letter's set. Every
 * other reference byte (N, IUPAC codes, gaps) matches nothing, not even a
 * pattern N. Hits may overlap; a palindromic pattern is reported on both
 * strands.
 */
typedef struct gdb_motif_pattern {
	unsigned len;
	uint8_t fw[GDB_MOTIF_MAXLEN];
	uint8_t rc[GDB_MOTIF_MAXLEN];
} gdb_motif_pattern;

typedef struct gdb_motif_hit {
	uint64_t pos; /* 0-based start on the forward strand */
	char strand;  /* '+' or '-' (reverse complement of the pattern) */
} gdb_motif_hit;

/*
 * gdb_motif_compile - compile an IUPAC pattern.
 * @param pattern  letters (borrowed), len 1..GDB_MOTIF_MAXLEN
 * @param out      out: the compiled pattern
 * @return 0, or -EINVAL (empty, too long, a non-IUPAC letter)
 */
int gdb_motif_compile(const char *pattern, size_t len, gdb_motif_pattern *out);

/*
 * gdb_motif_find - every match of p in seq (bit-parallel shift-and).
 * @param strands  GDB_STRAND_FWD, _REV or _BOTH
 * @param hits     out: the first cap hits, by position, '+' before '-'
 * @return the total number of hits (may exceed cap; call again with a
 *         bigger buffer), or -EINVAL
 */
int64_t gdb_motif_find(const gdb_motif_pattern *p, const char *seq, size_t n,
		       unsigned strands, gdb_motif_hit *hits, size_t cap);

/* ---- position weight matrices ---- */

#define GDB_PWM_MAXLEN 64
#define GDB_PWM_SCALE 100	 /* integer score units per bit (log2) */
#define GDB_PWM_NEG (-(1 << 24)) /* score of a non-ACGT base: no hit */

/* A motif: counts (or probabilities) per column, as motif/motif.h's
 * parsers fill it from JASPAR and MEME files. */
typedef struct gdb_motif {
	char id[64];
	char name[64];
	unsigned len;
	double counts[GDB_PWM_MAXLEN][4]; /* A C G T */
} gdb_motif;

/*
 * An integer log-odds matrix. fw[j][c] is the score of base code c
 * (A0 C1 G2 T3) at column j in units of 1/GDB_PWM_SCALE bit; entries 4..7
 * are GDB_PWM_NEG, so a window holding a non-ACGT base never reaches a
 * threshold. rc is the matrix of the reverse complement. A window's score
 * is the sum over its columns; min and max bound it.
 */
typedef struct gdb_pwm {
	unsigned len;
	double bg[4];
	int32_t fw[GDB_PWM_MAXLEN][8];
	int32_t rc[GDB_PWM_MAXLEN][8];
	int32_t min, max;
} gdb_pwm;

typedef struct gdb_pwm_hit {
	uint64_t pos; /* 0-based start on the forward strand */
	int32_t score;
	char strand; /* '+' or '-' */
} gdb_pwm_hit;

/*
 * gdb_pwm_from_counts - log-odds matrix:
 *   score[j][b] = round(SCALE * log2(((n[j][b] + pseudo * bg[b]) /
 *                                     (N_j + pseudo)) / bg[b]))
 * with N_j the column total.
 * @param m       the motif (borrowed)
 * @param bg      background A C G T (NULL: 0.25 each; need not sum to 1)
 * @param pseudo  pseudocount total per column (JASPAR/Biopython use 0.8
 *                to 1; 0 is allowed when no count is 0)
 * @return 0, or -EINVAL (length 0 or > GDB_PWM_MAXLEN, negative counts,
 *         a zero probability, bg not positive)
 */
int gdb_pwm_from_counts(const gdb_motif *m, const double bg[4], double pseudo,
			gdb_pwm *out);

/*
 * gdb_pwm_pvalue - P(score >= threshold) for a random window of bases
 * drawn independently from p->bg, by exact dynamic programming over the
 * integer scores (allocates (max - min + 1) doubles).
 * gdb_pwm_threshold - the smallest score a window can reach whose
 * p-value is <= pvalue (p->max + 1 when there is none), so scanning with
 * it reports exactly the windows with p-value <= pvalue.
 * @return 0, -EINVAL, -ENOMEM
 */
int gdb_pwm_pvalue(const gdb_pwm *p, int32_t threshold, double *pvalue);
int gdb_pwm_threshold(const gdb_pwm *p, double pvalue, int32_t *threshold);

/*
 * gdb_pwm_scan - every window of seq scoring >= threshold.
 * @param hits  out: the first cap hits, by position, '+' before '-'
 * @return the total number of hits (may exceed cap), or -EINVAL
 */
int64_t gdb_pwm_scan(const gdb_pwm *p, const char *seq, size_t n,
		     int32_t threshold, unsigned strands, gdb_pwm_hit *hits,
		     size_t cap);

/* ---- per-level table ---- */

/* A level's scans: find is gdb_motif_find(), pwm_scan gdb_pwm_scan(). */
typedef struct gdb_motif_kernels {
	const char *name;
	int64_t (*find)(const gdb_motif_pattern *p, const char *seq, size_t n,
			unsigned strands, gdb_motif_hit *hits, size_t cap);
	int64_t (*pwm_scan)(const gdb_pwm *p, const char *seq, size_t n,
			    int32_t threshold, unsigned strands,
			    gdb_pwm_hit *hits, size_t cap);
} gdb_motif_kernels;

/* One level's table, or NULL when gdb_simd_variant(level) is NULL. */
const gdb_motif_kernels *gdb_motif_variant(enum gdb_simd_level level);

#endif
