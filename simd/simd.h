/*
 * simd/simd.h - runtime-dispatched kernels over caller-owned buffers.
 *
 * Every kernel has a scalar twin that is the reference; the fastest variant
 * the CPU supports is chosen once by gdb_simd_init() (CPU feature detection
 * with __builtin_cpu_supports, never per call). GENOMEDB_SIMD=scalar|sse41|
 * avx2|avx512 forces a level for tests and benchmarks. Kernels do no I/O,
 * allocate nothing and never fail: callers size the buffers.
 *
 * This is the leaf module: it includes nothing else of GenomeDB except
 * common/gdb.h.
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

/* The active level, and a level's name ("scalar", "sse41", "avx2", "avx512"). */
enum gdb_simd_level gdb_simd_active(void);
const char *gdb_simd_level_name(enum gdb_simd_level level);

/*
 * gdb_simd_variant - the table of one level, for tests and benchmarks.
 * @return the table, or NULL if that level is not built or the CPU lacks it.
 * Level GDB_SIMD_SCALAR always exists.
 */
const gdb_simd_kernels *gdb_simd_variant(enum gdb_simd_level level);

/* ===================================================================== */
/*
 * Analysis kernels: base composition, k-mer counting, IUPAC pattern search,
 * position weight matrices and pairwise alignment.
 *
 * Same rules as above: caller buffers, no I/O, one scalar reference twin
 * per kernel, the level chosen once (gdb_simd_init(), so GENOMEDB_SIMD
 * forces these too). Unlike the codec kernels some of these can fail
 * (bad arguments, scores that do not fit) and return a negative errno.
 * Only the calls that say so allocate: gdb_kmer_table_new() and the
 * growth of a table (gdb_kmer_count(), gdb_kmer_table_merge()),
 * gdb_align_ws_new() and the growth of a workspace, gdb_pwm_pvalue_*(),
 * gdb_align_batch() (threads and one workspace per thread).
 *
 * Coordinates are 0-based; ranges are half-open [begin, end).
 *
 * RNA: every analysis kernel reads U (and u) as T, so an RNA sequence
 * gives the answers of its DNA spelling (composition, k-mers, patterns,
 * matrices, DNA alignment scoring; to_u8 and revcomp above agree).
 *
 * Threading: every call is reentrant. A gdb_kmer_table or gdb_align_ws is
 * used by one thread at a time (count regions into separate tables and
 * gdb_kmer_table_merge() them); everything else passed as const may be
 * shared.
 */

#include <stdint.h>

/* Strand selection for the motif and PWM scans. */
#define GDB_STRAND_FWD 1u
#define GDB_STRAND_REV 2u
#define GDB_STRAND_BOTH 3u

/* ---- base composition ---- */

/*
 * Counts over one range of bases, case-insensitive. s and w are the IUPAC
 * strong (C/G) and weak (A/T) codes; U counts as T; N and every other
 * byte go to other. cpg counts positions i where base i is C and base i+1 is G, both
 * inside the range.
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
 */
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
 * UINT32_MAX.
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
void gdb_kmer_table_free(gdb_kmer_table *t);   /* NULL is a no-op */
void gdb_kmer_table_clear(gdb_kmer_table *t);  /* empty it, keep its size */

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

/* Every entry in table order (unsorted); returns distinct, writes <= cap. */
size_t gdb_kmer_dump(const gdb_kmer_table *t, gdb_kmer_entry *out,
		     size_t cap);

/* k-mer <-> text. encode: -EINVAL on a byte other than ACGTU (any case)
 * or bad k. decode writes k letters and no terminator. */
int gdb_kmer_encode(const char *s, unsigned k, uint64_t *out);
void gdb_kmer_decode(uint64_t kmer, unsigned k, char *dst);

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
int gdb_motif_compile(const char *pattern, size_t len,
		      gdb_motif_pattern *out);

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
#define GDB_PWM_SCALE 100 /* integer score units per bit (log2) */
#define GDB_PWM_NEG (-(1 << 24)) /* score of a non-ACGT base: no hit */

/* A motif as parsed from a file: counts (or probabilities) per column. */
typedef struct gdb_motif {
	char id[64];
	char name[64];
	unsigned len;
	double counts[GDB_PWM_MAXLEN][4]; /* A C G T */
} gdb_motif;

/*
 * gdb_motif_parse_jaspar - JASPAR .jaspar ("A [ 1 2 ]" rows) or .pfm (four
 * bare rows of counts in A C G T order), several motifs per text, each
 * starting with ">id name".
 * gdb_motif_parse_meme - MEME minimal format ("MOTIF id name", then a
 * "letter-probability matrix:" of w rows of four probabilities; counts
 * are probability * nsites, nsites 20 when absent). Only ALPHABET= ACGT.
 * @param text  the file contents (borrowed; need not be terminated)
 * @param out   out: up to cap motifs
 * @param err   one-line message on failure (may be NULL)
 * @return motifs found (may exceed cap; only cap written), or GDB_EFORMAT
 */
int gdb_motif_parse_jaspar(const char *text, size_t n, gdb_motif *out,
			   size_t cap, char *err, size_t errlen);
int gdb_motif_parse_meme(const char *text, size_t n, gdb_motif *out,
			 size_t cap, char *err, size_t errlen);

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

/* ---- pairwise alignment ---- */

enum gdb_align_mode {
	GDB_ALIGN_LOCAL = 0,	  /* Smith-Waterman */
	GDB_ALIGN_GLOBAL = 1,	  /* Needleman-Wunsch */
	GDB_ALIGN_SEMIGLOBAL = 2, /* global, end gaps free on both (parasail sg) */
};
/*
 * Semi-global, as parasail's sg: the best cell of the last query row or
 * last target column, each holding at least one aligned base. Biopython
 * (end_gap_score = 0) also admits the all-gap alignment, so its score is
 * max(this, 0).
 */

/*
 * Scoring. Letters map to codes through map[] (case-insensitive);
 * matrix[a][b] scores code a of the query against code b of the target.
 * A gap of length L costs gap_open + (L - 1) * gap_extend, as parasail and
 * Biopython's PairwiseAligner (open_gap_score = -gap_open,
 * extend_gap_score = -gap_extend) count it. 0 <= gap_extend <= gap_open
 * <= 127 and every matrix entry is in -127..127.
 */
typedef struct gdb_align_scoring {
	uint8_t map[256];
	int8_t matrix[32][32];
	unsigned ncodes;
	int gap_open, gap_extend;
	int max_score, min_score; /* of the matrix, set by the constructors */
} gdb_align_scoring;

/*
 * gdb_align_scoring_dna - match/mismatch over A C G T (any case; U is T).
 * Every other byte, N included, is one more code that scores
 * mismatch against everything, itself included (parasail instead scores
 * letters outside its alphabet 0, so compare with it on ACGT only).
 * gdb_align_scoring_blosum62 - BLOSUM62 over ARNDCQEGHILKMFPSTWYVBZX*
 * (any case; other bytes score as '*').
 * @return 0 or -EINVAL (values out of the ranges above)
 */
int gdb_align_scoring_dna(int match, int mismatch, int gap_open,
			  int gap_extend, gdb_align_scoring *out);
int gdb_align_scoring_blosum62(int gap_open, int gap_extend,
			       gdb_align_scoring *out);

/*
 * A workspace: striped profiles, DP columns and the CIGAR text. It grows
 * as needed (the one place an alignment allocates) and is reused across
 * calls; one thread at a time.
 */
typedef struct gdb_align_ws gdb_align_ws;
int gdb_align_ws_new(gdb_align_ws **out); /* 0 or -ENOMEM */
void gdb_align_ws_free(gdb_align_ws *ws); /* NULL is a no-op */

#define GDB_ALIGN_TRACE 1u /* also produce the CIGAR and begin positions */

/*
 * Result. score is exact whatever the lengths (8-bit lanes widen to 16 and
 * 32 bits where scores need it; lane_bits says the widest used).
 * Ends: the cell of the best score, 0-based half-open, so the alignment
 * covers query [query_begin, query_end) and target [target_begin,
 * target_end). Local and semi-global ties go to the smallest target end,
 * then the smallest query end. Without GDB_ALIGN_TRACE the begins are -1
 * (global: 0). With it, cigar is "=", "X", "I" (consumes query), "D"
 * (consumes target) runs over exactly that box (semi-global: end gaps
 * outside the box are not in the CIGAR), borrowed from the workspace until
 * its next use. An empty alignment (local score 0) has all positions 0 and
 * cigar "".
 */
typedef struct gdb_align_result {
	int64_t score;
	int64_t query_begin, query_end;
	int64_t target_begin, target_end;
	int lane_bits;
	const char *cigar;
} gdb_align_result;

/*
 * gdb_align - align query against target.
 * Traceback: local mode finds the best cell with the score-only kernel,
 * then aligns only the window that can hold an alignment ending there
 * (bounded by the query prefix and the gap costs), so it costs little
 * more than score-only. Global and semi-global traceback is a scalar
 * O(qlen * tlen) pass with one byte a cell in the workspace.
 * @param ws     workspace (borrowed); NULL allowed without GDB_ALIGN_TRACE
 *               (a temporary one is allocated)
 * @param flags  0 or GDB_ALIGN_TRACE
 * @return 0; -EINVAL (mode, flags, scoring); -ENOMEM; -E2BIG when the
 *         scores or the traceback matrix cannot fit (beyond ~2^28 score
 *         units or 2^31 traceback cells)
 */
int gdb_align(const gdb_align_scoring *sc, enum gdb_align_mode mode,
	      const char *query, size_t qlen, const char *target, size_t tlen,
	      unsigned flags, gdb_align_ws *ws, gdb_align_result *res);

/*
 * gdb_align_trace - the traceback of a local alignment from its
 * score-only result: res holds what gdb_align without GDB_ALIGN_TRACE (or
 * gdb_align_batch) gave for this query and target; its begins and CIGAR
 * are filled as gdb_align with GDB_ALIGN_TRACE would, aligning again only
 * the window that can hold the hit. For a hit found in a batch.
 * @return 0; -EINVAL (no ws); -ENOMEM; -E2BIG; -EPROTO (res does not
 *         belong to this query and target)
 */
int gdb_align_trace(const gdb_align_scoring *sc, const char *query,
		    size_t qlen, const char *target, size_t tlen,
		    gdb_align_ws *ws, gdb_align_result *res);

/*
 * gdb_align_batch - score-only alignments over threads: one query
 * against many targets (nq == 1), many queries against one target
 * (nt == 1), or pairwise (nq == nt). out[i] gets the i-th pair's result
 * (cigar NULL). Work is handed out one pair at a time, except for many
 * queries against one target in local mode: those go in length order, a
 * chunk per thread, to the inter-query kernel (align_many: one query a
 * lane, 32 at a time in 8-bit AVX2 lanes), whose results are the same as
 * one by one (lane_bits says 8 or 16).
 * @param nthreads  0 = one per online CPU
 * @return 0 or the first error of any pair (-EINVAL, -ENOMEM, -E2BIG,
 *         -EAGAIN if no thread could be started)
 */
int gdb_align_batch(const gdb_align_scoring *sc, enum gdb_align_mode mode,
		    const char *const *queries, const size_t *qlens, size_t nq,
		    const char *const *targets, const size_t *tlens, size_t nt,
		    unsigned nthreads, gdb_align_result *out);

/* ---- per-level analysis table ---- */

/*
 * The level-specific entry points of the analysis kernels; the public
 * calls above go through the active table, tests and benchmarks take a
 * level's table from gdb_simd_analysis_variant(). Semantics are those of
 * the public call of the same name (align_score is gdb_align() without
 * GDB_ALIGN_TRACE; comp fills the counts of one range).
 */
typedef struct gdb_simd_analysis_kernels {
	const char *name;
	void (*comp)(const char *seq, size_t n, gdb_comp *out);
	int (*kmer_count)(gdb_kmer_table *t, const char *seq, size_t n);
	int64_t (*motif_find)(const gdb_motif_pattern *p, const char *seq,
			      size_t n, unsigned strands, gdb_motif_hit *hits,
			      size_t cap);
	int64_t (*pwm_scan)(const gdb_pwm *p, const char *seq, size_t n,
			    int32_t threshold, unsigned strands,
			    gdb_pwm_hit *hits, size_t cap);
	int (*align_score)(const gdb_align_scoring *sc,
			   enum gdb_align_mode mode, const char *query,
			   size_t qlen, const char *target, size_t tlen,
			   gdb_align_ws *ws, gdb_align_result *res);
	/* n local score-only alignments against one target: out[i] is
	 * align_score(LOCAL, queries[i]) but for lane_bits (inter-query
	 * lanes, simd/align_many.c) */
	int (*align_many)(const gdb_align_scoring *sc,
			  const char *const *queries, const size_t *qlens,
			  size_t n, const char *target, size_t tlen,
			  gdb_align_ws *ws, gdb_align_result *out);
} gdb_simd_analysis_kernels;

/* The active table (level of gdb_simd_active()). Never NULL. */
const gdb_simd_analysis_kernels *gdb_simd_analysis(void);

/* One level's table, or NULL when gdb_simd_variant(level) is NULL. */
const gdb_simd_analysis_kernels *
gdb_simd_analysis_variant(enum gdb_simd_level level);

#endif
