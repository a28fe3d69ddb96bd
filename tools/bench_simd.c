/*
 * tools/bench_simd.c - `genomedb bench simd [--json] [--quick] [--only K]`: the
 * throughput of every analysis kernel at every SIMD level this CPU has,
 * on deterministic inputs (fixed-seed generator), with the ratio to the
 * scalar twin; for Smith-Waterman also the ratio to parasail's striped
 * kernels measured in the same run when libparasail.so.8 can be loaded
 * at run time (dlopen: genomedb neither links nor needs it).
 *
 * Inputs: the alignment case, a 300 bp query against a 1 Mbp
 * target holding a mutated copy of the query (so scores pass 8 bits);
 * 64 MiB (--quick 8 MiB) of DNA with 1% N for composition in 1 kb
 * windows, the IUPAC motif and PWM scans; 8 Mbp (--quick 2) for 21-mers.
 * --tiny shrinks every input (256 KiB, 64 kbp, 300 x 20 kbp, 500 bp
 * pairs) for tests: the figures then mean nothing, the answers still do.
 *
 * Each row's "check" (JSON) is a digest of the kernel's answers at that
 * level; a level whose digest differs from the scalar twin's is reported
 * on stderr and the command exits 1.
 *
 * Each figure is the best of several runs (noise on a shared machine only
 * ever slows a run down), timed on the thread's CPU clock: every kernel
 * here runs on the calling thread, so that is its wall time minus the
 * time another tenant held the CPU (page faults it takes are in it; a
 * neighbour's memory traffic still slows it). Units: GB/s of sequence,
 * Mbp/s for k-mers, GCUPS (10^9 DP cells a second) for alignment.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/gdb.h"
#include "simd/align.h"
#include "simd/kmer.h"
#include "simd/motif.h"
#include "simd/simd.h"
#include "tools/tools.h"

static uint64_t bench_rng = 0x9e3779b97f4a7c15ull;

static uint64_t brnd(void)
{
	bench_rng ^= bench_rng >> 12;
	bench_rng ^= bench_rng << 25;
	bench_rng ^= bench_rng >> 27;
	return bench_rng * 0x2545f4914f6cdd1dull;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *gen_dna(size_t n, unsigned n_permille)
{
	char *s = malloc(n ? n : 1);
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i < n; i++) {
		uint64_t r = brnd();

		s[i] = (r >> 32) % 1000 < n_permille ? 'N' : "ACGT"[r & 3];
	}
	return s;
}

struct row {
	const char *kernel, *variant, *unit;
	double throughput, ratio_scalar, ratio_parasail; /* < 0: none */
	const char *note;
	int has_check;
	uint64_t check; /* digest of the answers at this level */
};

static int json, disagree;

static void emit(const struct row *r)
{
	if (json) {
		printf("{\"kernel\": \"%s\", \"variant\": \"%s\", "
		       "\"throughput\": %.4g, \"unit\": \"%s\", "
		       "\"ratio_vs_scalar\": %.3f",
		       r->kernel, r->variant, r->throughput, r->unit,
		       r->ratio_scalar);
		if (r->ratio_parasail >= 0)
			printf(", \"ratio_vs_parasail\": %.3f",
			       r->ratio_parasail);
		else if (!strncmp(r->kernel, "align", 5))
			printf(", \"ratio_vs_parasail\": null");
		if (r->note)
			printf(", \"note\": \"%s\"", r->note);
		if (r->has_check)
			printf(", \"check\": %llu",
			       (unsigned long long)r->check);
		printf("}\n");
	} else {
		printf("%-22s %-22s %10.3f %-6s x%-7.2f", r->kernel, r->variant,
		       r->throughput, r->unit, r->ratio_scalar);
		if (r->ratio_parasail >= 0)
			printf(" vs parasail x%.2f", r->ratio_parasail);
		if (r->note)
			printf("  (%s)", r->note);
		printf("\n");
	}
	fflush(stdout);
}

/* ---- parasail, loaded at run time ---- */

typedef void *(*ps_fn)(const char *, int, const char *, int, int, int,
		       const void *);
struct parasail {
	void *dl;
	void *(*matrix_create)(const char *, int, int);
	int (*score)(void *);
	int (*saturated)(void *);
	void (*free_result)(void *);
	void (*matrix_free)(void *);
	void *matrix;
};

static void parasail_close(struct parasail *p)
{
	if (p->matrix && p->matrix_free)
		p->matrix_free(p->matrix);
	if (p->dl)
		dlclose(p->dl);
	memset(p, 0, sizeof(*p));
}

static int parasail_open(struct parasail *p)
{
	memset(p, 0, sizeof(*p));
	p->dl = dlopen("libparasail.so.8", RTLD_NOW | RTLD_LOCAL);
	if (!p->dl)
		p->dl = dlopen("libparasail.so", RTLD_NOW | RTLD_LOCAL);
	if (!p->dl)
		return -ENOENT;
	*(void **)&p->matrix_create = dlsym(p->dl, "parasail_matrix_create");
	*(void **)&p->score = dlsym(p->dl, "parasail_result_get_score");
	*(void **)&p->saturated = dlsym(p->dl, "parasail_result_is_saturated");
	*(void **)&p->free_result = dlsym(p->dl, "parasail_result_free");
	*(void **)&p->matrix_free = dlsym(p->dl, "parasail_matrix_free");
	if (!p->matrix_create || !p->score || !p->free_result) {
		dlclose(p->dl);
		p->dl = NULL;
		return -ENOENT;
	}
	p->matrix = p->matrix_create("ACGT", 2, -3);
	return p->matrix ? 0 : -ENOENT;
}

/* ---- the benchmarks ---- */

/* each level's tables (byte kernels: name and composition) */
static const gdb_simd_kernels *levels[GDB_SIMD_NLEVELS];
static const gdb_kmer_kernels *kmers[GDB_SIMD_NLEVELS];
static const gdb_motif_kernels *motifs[GDB_SIMD_NLEVELS];
static const gdb_align_kernels *aligns[GDB_SIMD_NLEVELS];

#define REPS(quick) ((quick) == 2 ? 2 : (quick) ? 3 : 5)

/* Each level's digest of its last run's answers (run functions set it). */
static uint64_t check[GDB_SIMD_NLEVELS];

/* FNV-1a over 64-bit words: the digest of a sequence of counts. */
#define MIX0 0xcbf29ce484222325ull
static uint64_t mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ull;
}

/*
 * The best time of one run at each level over a number of rounds. The
 * levels take turns within a round, so a change in the machine's load
 * during the benchmark falls on all of them alike instead of on whichever
 * level was running then. run(level, ctx) does one run, returns its time.
 */
typedef double (*bench_run_fn)(int level, void *ctx);

static void best_of(bench_run_fn run, void *ctx, int rounds,
		    double best[GDB_SIMD_NLEVELS])
{
	int r, l;

	for (l = 0; l < GDB_SIMD_NLEVELS; l++)
		best[l] = 1e30;
	for (r = 0; r < rounds; r++)
		for (l = 0; l < GDB_SIMD_NLEVELS; l++) {
			double t;

			if (!levels[l])
				continue;
			t = run(l, ctx);
			best[l] = t < best[l] ? t : best[l];
		}
}

/* A level whose answers differ from the scalar twin's: say so, and the
 * command will exit 1. */
static void check_level(const char *kernel, int l, uint64_t got, uint64_t want)
{
	if (got == want)
		return;
	fprintf(stderr,
		"genomedb: bench: %s at %s disagrees with scalar "
		"(check %llu, scalar %llu)\n",
		kernel, levels[l]->name, (unsigned long long)got,
		(unsigned long long)want);
	disagree++;
}

/* One row per level: work units (GB, Mbp) per second, ratio to scalar. */
static void emit_levels(const char *kernel, const char *unit, double work,
			const double best[GDB_SIMD_NLEVELS], const char *note)
{
	int l;

	for (l = 0; l < GDB_SIMD_NLEVELS; l++)
		if (levels[l]) {
			check_level(kernel, l, check[l], check[0]);
			emit(&(struct row){kernel, levels[l]->name, unit,
					   work / best[l], best[0] / best[l],
					   -1, note, 1, check[l]});
		}
}

struct scan_ctx {
	const char *s;
	size_t n;
	const gdb_motif_pattern *pat;
	gdb_motif_hit *mhits;
	const gdb_pwm *pwm;
	int32_t thr;
	gdb_pwm_hit *phits;
	double grow[GDB_SIMD_NLEVELS]; /* k-mers from a new table */
};

static double run_comp(int l, void *ctx)
{
	const struct scan_ctx *x = ctx;
	double t0 = now_s();
	uint64_t sink = MIX0;
	gdb_comp c;
	size_t i;

	for (i = 0; i < x->n; i += 1000) {
		levels[l]->comp(x->s + i, x->n - i < 1000 ? x->n - i : 1000,
				&c);
		sink = mix(mix(mix(sink, c.g + c.c + c.s), c.other), c.cpg);
	}
	t0 = now_s() - t0;
	check[l] = sink;
	return t0;
}

static void bench_comp(const char *s, size_t n, int quick)
{
	struct scan_ctx x = {.s = s, .n = n};
	double best[GDB_SIMD_NLEVELS];

	best_of(run_comp, &x, REPS(quick), best);
	emit_levels("gc_windows_1kb", "GB/s", n / 1e9, best, NULL);
}

/*
 * 21-mers, two ways. kmer21_canonical counts into a table that has
 * already grown to its size for this input (counted once, then cleared,
 * which keeps the size), as every figure before tables grew was taken:
 * the kernel alone. kmer21_canonical_grow starts from a new table, so the
 * doublings and their page faults are in the time, as they are for a
 * caller that counts a region once.
 */
static double run_kmer(int l, void *ctx)
{
	struct scan_ctx *x = ctx;
	gdb_kmer_table *t;
	double t0, t1;

	if (gdb_kmer_table_new(21, GDB_KMER_CANONICAL, (size_t)3 * x->n * 12,
			       &t))
		return 1e30;
	t0 = now_s();
	(void)kmers[l]->count(t, x->s, x->n);
	t0 = now_s() - t0;
	x->grow[l] = t0 < x->grow[l] ? t0 : x->grow[l];
	gdb_kmer_table_clear(t);
	t1 = now_s();
	(void)kmers[l]->count(t, x->s, x->n);
	t1 = now_s() - t1;
	{
		gdb_kmer_stats st;

		gdb_kmer_get_stats(t, &st);
		check[l] =
		    mix(mix(mix(MIX0, st.distinct), st.total), st.dropped);
	}
	gdb_kmer_table_free(t);
	return t1;
}

static void bench_kmer(const char *s, size_t n, int quick)
{
	struct scan_ctx x = {.s = s, .n = n};
	double best[GDB_SIMD_NLEVELS];
	int l;

	for (l = 0; l < GDB_SIMD_NLEVELS; l++)
		x.grow[l] = 1e30;
	best_of(run_kmer, &x, REPS(quick), best);
	emit_levels("kmer21_canonical", "Mbp/s", n / 1e6, best,
		    "random DNA: every k-mer distinct; table already grown");
	emit_levels("kmer21_canonical_grow", "Mbp/s", n / 1e6, x.grow,
		    "the same from a new table: growing it is in the time");
}

static double run_motif(int l, void *ctx)
{
	const struct scan_ctx *x = ctx;
	double t0 = now_s();
	int64_t k = motifs[l]->find(x->pat, x->s, x->n, GDB_STRAND_BOTH,
				    x->mhits, 1 << 20);

	t0 = now_s() - t0;
	check[l] = (uint64_t)k;
	return t0;
}

static void bench_motif(const char *s, size_t n, int quick)
{
	gdb_motif_pattern p;
	struct scan_ctx x = {.s = s, .n = n, .pat = &p};
	double best[GDB_SIMD_NLEVELS];

	x.mhits = malloc((1 << 20) * sizeof(gdb_motif_hit));
	if (x.mhits && !gdb_motif_compile("CACGTGNNRYSW", 12, &p)) {
		best_of(run_motif, &x, REPS(quick), best);
		emit_levels("motif_iupac_12_both", "GB/s", n / 1e9, best, NULL);
	}
	free(x.mhits);
}

static double run_pwm(int l, void *ctx)
{
	const struct scan_ctx *x = ctx;
	double t0 = now_s();
	int64_t k = motifs[l]->pwm_scan(x->pwm, x->s, x->n, x->thr,
					GDB_STRAND_BOTH, x->phits, 1 << 20);

	t0 = now_s() - t0;
	check[l] = (uint64_t)k;
	return t0;
}

static void bench_pwm(const char *s, size_t n, int quick)
{
	gdb_motif m;
	gdb_pwm pwm;
	struct scan_ctx x = {.s = s, .n = n, .pwm = &pwm};
	double best[GDB_SIMD_NLEVELS];
	unsigned j, c;

	memset(&m, 0, sizeof(m));
	m.len = 12;
	for (j = 0; j < 12; j++)
		for (c = 0; c < 4; c++)
			m.counts[j][c] = (double)(brnd() % 20);
	x.phits = malloc((1 << 20) * sizeof(gdb_pwm_hit));
	if (x.phits && !gdb_pwm_from_counts(&m, NULL, 1, &pwm) &&
	    !gdb_pwm_threshold(&pwm, 1e-4, &x.thr)) {
		best_of(run_pwm, &x, REPS(quick), best);
		emit_levels("pwm_12_both_p1e-4", "GB/s", n / 1e9, best, NULL);
	}
	free(x.phits);
}

/* global and semi-global: one 2 kb pair */
struct pair_ctx {
	const gdb_align_scoring *sc;
	int mode;
	const char *a, *b;
	size_t n;
	gdb_align_ws *ws;
	gdb_align_result res[GDB_SIMD_NLEVELS];
};

static double run_pair(int l, void *ctx)
{
	struct pair_ctx *x = ctx;
	double t0 = now_s();

	aligns[l]->score(x->sc, x->mode, x->a, x->n, x->b, x->n, x->ws,
			 &x->res[l]);
	return now_s() - t0;
}

/*
 * parasail's kernels for one mode, timed on a pair in this process: a row
 * each, and the best one that returns the exact score (want) as *best
 * GCUPS (-1 when none does) and its name in *best_name.
 */
static void bench_parasail(struct parasail *ps, const char *mode,
			   const char *row, const char *a, size_t an,
			   const char *b, size_t bn, int64_t want, int quick,
			   double *best, const char **best_name)
{
	static const char *const kinds[] = {
	    "striped_avx2_256_16",  "scan_avx2_256_16",	 "striped_avx2_256_8",
	    "striped_sse41_128_16", "scan_sse41_128_16", "diag_avx2_256_16",
	    "striped_avx2_256_32",  "scan_avx2_256_32",	 "",
	};
	static char names[sizeof(kinds) / sizeof(kinds[0])][64];
	const double cells = (double)an * bn;
	double scalar = -1;
	char note[160];

	*best = -1;
	*best_name = NULL;
	for (size_t i = sizeof(kinds) / sizeof(kinds[0]); i-- > 0;) {
		ps_fn f;
		double bt = 1e30;
		int r, ok = 1, sat = 0, got = 0;

		/* the plain scalar kernel ("") first: the others' ratio */
		snprintf(names[i], sizeof(names[i]), "parasail_%s%s%s", mode,
			 kinds[i][0] ? "_" : "", kinds[i]);
		*(void **)&f = dlsym(ps->dl, names[i]);
		if (!f)
			continue;
		for (r = 0; r < (kinds[i][0] ? REPS(quick) : 1); r++) {
			double t0 = now_s();
			void *pr = f(a, (int)an, b, (int)bn, 5, 2, ps->matrix);

			t0 = now_s() - t0;
			if (!pr) {
				ok = 0;
				break;
			}
			got = ps->score(pr);
			sat = ps->saturated ? ps->saturated(pr) : 0;
			ps->free_result(pr);
			bt = t0 < bt ? t0 : bt;
		}
		if (!ok)
			continue;
		ok = !sat && got == want;
		snprintf(note, sizeof(note), "%s score %d%s", names[i], got,
			 ok ? "" : " WRONG (saturated/overflow)");
		if (!kinds[i][0])
			scalar = bt;
		emit(&(struct row){row, names[i] + 9, "GCUPS", cells / bt / 1e9,
				   scalar > 0 ? scalar / bt : -1, -1, note, 0,
				   0});
		if (ok && kinds[i][0] && cells / bt / 1e9 > *best) {
			*best = cells / bt / 1e9;
			*best_name = names[i];
		}
	}
}

/* The planted-hit case: a 300 bp query against a target holding a
 * mutated copy of it in the middle (a real hit: scores pass 8 bits). */
static void bench_sw(const gdb_align_scoring *sc, gdb_align_ws *ws,
		     struct parasail *ps, int quick)
{
	const size_t qn = 300, tn = quick == 2 ? 20000
				    : quick    ? 200000
					       : 1000000;
	char *q = gen_dna(qn, 0), *t = gen_dna(tn, 0), note[160];
	double cells = (double)qn * tn, base = 0, ps_best = -1, active = 1;
	int64_t score0 = 0;
	const char *ps_name = NULL;
	gdb_align_result res;
	size_t i;
	int l;

	if (!q || !t)
		goto out;
	for (i = 0; i < qn; i++)
		t[tn / 2 + i] = brnd() % 20 ? q[i] : "ACGT"[brnd() & 3];
	gdb_align(sc, GDB_ALIGN_LOCAL, q, qn, t, tn, 0, ws, &res);
	if (ps->dl)
		bench_parasail(ps, "sw", "align_sw_300x1M_parasail", q, qn, t,
			       tn, res.score, quick, &ps_best, &ps_name);
	for (l = 0; l < GDB_SIMD_NLEVELS; l++) {
		double best = 1e30;
		int r;

		if (!levels[l])
			continue;
		for (r = 0; r < (l == 0 ? 1 : REPS(quick)); r++) {
			double t0 = now_s();

			aligns[l]->score(sc, GDB_ALIGN_LOCAL, q, qn, t, tn, ws,
					 &res);
			t0 = now_s() - t0;
			best = t0 < best ? t0 : best;
		}
		if (l == 0) {
			base = best;
			score0 = res.score;
		}
		check_level("align_sw_300x1M", l, (uint64_t)res.score,
			    (uint64_t)score0);
		if (l == (int)gdb_simd_active())
			active = best;
		snprintf(note, sizeof(note),
			 "score %lld, widest lanes %d bit%s%s",
			 (long long)res.score, res.lane_bits,
			 ps_name ? ", parasail best: " : "",
			 ps_name ? ps_name + 9 : "");
		emit(&(struct row){"align_sw_300x1M", levels[l]->name, "GCUPS",
				   cells / best / 1e9, base / best,
				   ps_best > 0 ? cells / best / 1e9 / ps_best
					       : -1,
				   note, 1, (uint64_t)res.score});
	}
	/* traceback at the active level: score pass + window */
	{
		double best = 1e30;

		for (int r = 0; r < REPS(quick); r++) {
			double t0 = now_s();

			gdb_align(sc, GDB_ALIGN_LOCAL, q, qn, t, tn,
				  GDB_ALIGN_TRACE, ws, &res);
			t0 = now_s() - t0;
			best = t0 < best ? t0 : best;
		}
		snprintf(note, sizeof(note),
			 "%.2fx the score-only time; ratio_vs_scalar is vs "
			 "scalar score-only",
			 best / active);
		emit(&(struct row){"align_sw_300x1M_trace",
				   gdb_simd_level_name(gdb_simd_active()),
				   "GCUPS", cells / best / 1e9, base / best,
				   ps_best > 0 ? cells / best / 1e9 / ps_best
					       : -1,
				   note, 1, (uint64_t)res.score});
	}
out:
	free(q);
	free(t);
}

/* Global and semi-global: one 2 kb pair, 90% identical. */
static void bench_global(const gdb_align_scoring *sc, gdb_align_ws *ws,
			 struct parasail *ps, int quick)
{
	static const char *const mname[] = {"", "align_nw_2kx2k",
					    "align_sg_2kx2k"};
	static const char *const pmode[] = {"", "nw", "sg"};
	const size_t n2 = quick == 2 ? 500 : 2000;
	char *a = gen_dna(n2, 0), *b = gen_dna(n2, 0), note[160], row[64];
	size_t i;

	if (!a || !b)
		goto out;
	for (i = 0; i < n2; i++)
		b[i] = brnd() % 10 ? a[i] : b[i];
	for (int mode = 1; mode <= 2; mode++) {
		struct pair_ctx x = {
		    .sc = sc, .mode = mode, .a = a, .b = b, .n = n2, .ws = ws};
		double best[GDB_SIMD_NLEVELS], ps_best = -1;
		const char *ps_name = NULL;

		best_of(run_pair, &x, 3 * REPS(quick), best);
		snprintf(row, sizeof(row), "%s_parasail", mname[mode]);
		if (ps->dl)
			bench_parasail(ps, pmode[mode], row, a, n2, b, n2,
				       x.res[0].score, quick, &ps_best,
				       &ps_name);
		for (int l = 0; l < GDB_SIMD_NLEVELS; l++) {
			double gcups = (double)n2 * n2 / best[l] / 1e9;

			if (!levels[l])
				continue;
			check_level(mname[mode], l, (uint64_t)x.res[l].score,
				    (uint64_t)x.res[0].score);
			snprintf(note, sizeof(note),
				 "score %lld, %d-bit lanes%s%s",
				 (long long)x.res[l].score, x.res[l].lane_bits,
				 ps_name ? ", parasail best: " : "",
				 ps_name ? ps_name + 9 : "");
			emit(&(struct row){mname[mode], levels[l]->name,
					   "GCUPS", gcups, best[0] / best[l],
					   ps_best > 0 ? gcups / ps_best : -1,
					   note, 1, (uint64_t)x.res[l].score});
		}
	}
out:
	free(a);
	free(b);
}

static void bench_align(int quick)
{
	gdb_align_scoring sc;
	gdb_align_ws *ws = NULL;
	struct parasail ps = {0};

	if (gdb_align_scoring_dna(2, -3, 5, 2, &sc) || gdb_align_ws_new(&ws))
		return;
	(void)parasail_open(&ps);
	bench_sw(&sc, ws, &ps, quick);
	bench_global(&sc, ws, &ps, quick);
	parasail_close(&ps);
	gdb_align_ws_free(ws);
}

static void bench_usage(FILE *f)
{
	fprintf(f,
		"usage: genomedb bench simd [--json] [--quick|--tiny] "
		"[--only comp|motif|pwm|kmer|align]\n"
		"  every SIMD kernel beside its scalar twin (and parasail's "
		"beside the alignments);\n"
		"  --tiny: small inputs (answers, not figures); exit 1 when a "
		"level's answers differ\n");
}

static int family_known(const char *f)
{
	static const char *const fam[] = {"comp", "motif", "pwm", "kmer",
					  "align"};

	for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++)
		if (!strcmp(f, fam[i]))
			return 1;
	return 0;
}

int cmd_bench(int argc, char **argv)
{
	const char *only = NULL;
	int quick = 0, i, l;
	size_t n;
	char *s;
	static const char *const valued[] = {"--only", NULL};

	if (tool_help_asked(argc, argv, valued)) {
		bench_usage(stdout);
		return EXIT_OK;
	}
	if (argc < 2 || strcmp(argv[1], "simd")) {
		bench_usage(stderr);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--quick")) {
			quick = 1;
		} else if (!strcmp(argv[i], "--tiny")) {
			quick = 2; /* tests: answers, not figures */
		} else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			only = argv[++i];
		} else {
			bench_usage(stderr);
			return 2;
		}
	}
	if (only && !family_known(only)) {
		bench_usage(stderr);
		return 2;
	}
	gdb_simd_init();
	for (l = 0; l < GDB_SIMD_NLEVELS; l++) {
		levels[l] = gdb_simd_variant(l);
		kmers[l] = gdb_kmer_variant(l);
		motifs[l] = gdb_motif_variant(l);
		aligns[l] = gdb_align_variant(l);
	}
	n = quick == 2 ? (size_t)256 << 10
	    : quick    ? (size_t)8 << 20
		       : (size_t)64 << 20;
	s = gen_dna(n, 10);
	if (!s) {
		fprintf(stderr, "genomedb: bench: out of memory\n");
		return 1;
	}
	if (!json)
		printf("%-22s %-22s %10s %-6s %s\n", "kernel", "variant",
		       "throughput", "unit", "vs scalar");
#define WANT(k) (!only || !strcmp(only, k))
	if (WANT("comp"))
		bench_comp(s, n, quick);
	if (WANT("motif"))
		bench_motif(s, n, quick);
	if (WANT("pwm"))
		bench_pwm(s, n / 4, quick);
	if (WANT("kmer"))
		bench_kmer(s,
			   quick == 2 ? (size_t)64 << 10
			   : quick    ? (size_t)2 << 20
				      : (size_t)8 << 20,
			   quick);
	if (WANT("align"))
		bench_align(quick);
#undef WANT
	free(s);
	return disagree ? 1 : 0;
}
