/*
 * fs/ns/compute_ns.c - /compute: analyses computed when their file is looked
 * up, over any region of any assembly, with parameters in the file name.
 *
 *   gc/<asm>/<contig>/<start>-<end>[@w=N,step=N].tsv | .f32
 *   kmers/<asm>/<contig>/<start>-<end>[@k=N,top=N,canonical=0|1].tsv
 *   motif/<asm>/<contig>/<start>-<end>/<IUPAC>.bed   (a protein: <PROSITE>.bed)
 *   motif/<asm>/<contig>/<start>-<end>/pwm/<MOTIF-ID>[@p=1e-4,pseudo=0.8].bed
 *   align/<asm>/<contig>/<start>-<end>/<QUERY>[@match=N,mismatch=N,open=N,extend=N].sam
 *       (a protein assembly: BLOSUM62, [@open=11,extend=1], one strand)
 *   align/<asm>/<contig>/<start>-<end>/@<SET>[@...].sam   every query of
 *       the FASTA the user copied to the inbox, queries/<SET>.fa
 *
 * Coordinates in names are 1-based inclusive (end clamped), as everywhere
 * on the mount; BED output is 0-based as BED always is. The bases come
 * through the block cache; the work is done by the simd/ kernels. Answers
 * that would be unreasonably large are refused with EFBIG or E2BIG and a
 * reason in the daemon's log, never computed halfway. Contract: PATHS.md.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/pool.h"
#include "fs/ns/compute_int.h"
#include "fs/ns/ns.h"
#include "motif/motif.h"
#include "simd/align.h"
#include "simd/kmer.h"
#include "simd/motif.h"
#include "simd/simd.h"

/*
 * GC, k-mers and motifs stream over their region in slices of SLICE bases
 * (with the overlap each needs), so a request holds one slice, not the
 * region; alignment needs its whole target (MAX_ALIGN_TARGET).
 */
#define SLICE ((int64_t)1 << 20)
#define MAX_REGION ((int64_t)1 << 34)
#define MAX_ALIGN_TARGET ((int64_t)16 << 20)
#define GC_BATCH 4096 /* windows computed per kernel call */
/* Cells (query bases x target bases, both strands) a query set may cost:
 * about ten seconds of the striped kernels on two cores here. */
#define MAX_SET_CELLS ((double)1e11)
#define KMER_TABLE_BYTES ((size_t)512 << 20)
#define PSEUDO_MIN 1e-3
/* Score units (1/100 bit) of the p-value DP: 8 MB of doubles at most. */
#define MAX_PWM_RANGE (1 << 20)

struct cctx {
	const gdb_store *s;
	gdb_cache *c;
	gdb_inbox *inbox;  /* queries/ */
	gdb_motif *motifs; /* every motif set's, in store order */
	size_t nmotifs;
	gdb_pool *pool; /* query sets' alignment batches */
};

/* The parameters of each analysis (docs/PATHS.md "Computed files"). */
struct gc_params {
	int64_t w, step; /* step 0: w */
};
static const gdb_param GC_PARAMS[] = {
    {"w", GDB_PARAM_INT, offsetof(struct gc_params, w), 1, SLICE, 1000, NULL},
    {"step", GDB_PARAM_INT, offsetof(struct gc_params, step), 1, SLICE, 0,
     NULL},
};

struct kmer_params {
	int64_t k, top, canonical;
};
static const gdb_param KMER_PARAMS[] = {
    {"k", GDB_PARAM_INT, offsetof(struct kmer_params, k), 1, GDB_KMER_MAXK, 21,
     NULL},
    {"top", GDB_PARAM_INT, offsetof(struct kmer_params, top), 1, 10000000, 100,
     NULL},
    {"canonical", GDB_PARAM_INT, offsetof(struct kmer_params, canonical), 0, 1,
     1, NULL},
};

struct pwm_params {
	double p, pseudo;
};
static const gdb_param PWM_PARAMS[] = {
    {"p", GDB_PARAM_REAL, offsetof(struct pwm_params, p), 0, 1, 1e-4, NULL},
    {"pseudo", GDB_PARAM_REAL, offsetof(struct pwm_params, pseudo), 0, 1e6, 0.8,
     NULL},
};

struct align_params {
	int64_t v[4]; /* match, mismatch, open, extend */
};
static const gdb_param ALIGN_PARAMS[] = {
    {"match", GDB_PARAM_INT, offsetof(struct align_params, v[0]), -127, 127, 2,
     NULL},
    {"mismatch", GDB_PARAM_INT, offsetof(struct align_params, v[1]), -127, 127,
     -3, NULL},
    {"open", GDB_PARAM_INT, offsetof(struct align_params, v[2]), -127, 127, 5,
     NULL},
    {"extend", GDB_PARAM_INT, offsetof(struct align_params, v[3]), -127, 127, 2,
     NULL},
};

/* Protein: BLOSUM62 with BLAST's default gaps (blastp: open 11, extend 1). */
static const gdb_param PROT_ALIGN_PARAMS[] = {
    {"open", GDB_PARAM_INT, offsetof(struct align_params, v[2]), -127, 127, 11,
     NULL},
    {"extend", GDB_PARAM_INT, offsetof(struct align_params, v[3]), -127, 127, 1,
     NULL},
};
#define NPARAMS(t) (sizeof(t) / sizeof(t[0]))

/* "<start>-<end>" of a contig (1-based inclusive), end clamped. */
static int parse_range(const gdb_contig *c, const char *p, int64_t *beg,
		       int64_t *end)
{
	return gdb_path_range(p, strlen(p), c->length, beg, end);
}

/* Split a path into at most n components (in place copy). */
static int split(const char *path, char *buf, size_t buflen, char **comp, int n)
{
	if (strlen(path) >= buflen)
		return -1;
	strcpy(buf, path);
	return gdb_path_components(buf, comp, n);
}

static int find_contig(const gdb_store *s, const char *asmname, const char *esc,
		       const gdb_contig **out)
{
	char raw[GDB_NAME_MAX + 1];
	int ai = gdb_store_assembly_find(s, asmname), id;

	if (ai < 0 || gdb_path_unescape_dir(esc, raw, sizeof(raw)) < 0)
		return -ENOENT;
	id = gdb_store_contig_find(s, (uint32_t)ai, raw);
	if (id < 0)
		return -ENOENT;
	*out = gdb_store_contig(s, (uint32_t)id);
	return 0;
}

static int fetch(struct cctx *x, const gdb_contig *c, int64_t beg, int64_t end,
		 char **out)
{
	char *b = malloc((size_t)(end - beg) + 1);
	int rc;

	if (!b)
		return -ENOMEM;
	rc = gdb_cache_read(x->c, c->id, beg, end, b);
	if (rc < 0) {
		free(b);
		return rc;
	}
	*out = b;
	return 0;
}

/* Answers are built in a gdb_buf capped at GDB_NS_MAX_FILE. */
#define OUT_INIT                                                               \
	{                                                                      \
		.max = GDB_NS_MAX_FILE                                         \
	}

static int too_big(int64_t n, int64_t max, char *err, size_t errlen)
{
	if (n <= max)
		return 0;
	gdb_seterr(err, errlen,
		   "region of %lld bases is larger than the %lld "
		   "an analysis reads at once",
		   (long long)n, (long long)max);
	return -E2BIG;
}

static int is_protein(const struct cctx *x, const gdb_contig *c)
{
	return gdb_store_assembly(x->s, c->asm_index)->alphabet ==
	       GDB_ALPHA_PROTEIN;
}

/* GC content and k-mers count nucleotides: a protein assembly is refused
 * with a message naming it (the daemon logs it), not answered with
 * meaningless numbers. */
static int need_nucleotides(const struct cctx *x, const gdb_contig *c,
			    const char *what, char *err, size_t errlen)
{
	const gdb_assembly *a = gdb_store_assembly(x->s, c->asm_index);

	if (!is_protein(x, c))
		return 0;
	gdb_seterr(err, errlen,
		   "%s/%s: assembly '%s' is protein; %s needs "
		   "DNA or RNA",
		   what, c->name, a->name, what);
	return -EINVAL;
}

static int do_gc(struct cctx *x, const gdb_contig *c, char *name, char **data,
		 size_t *len, char *err, size_t errlen)
{
	struct gc_params p;
	char *range, *ps, *seq = NULL;
	int64_t beg, end, win, step, span;
	int f32 = 0, rc = 0;
	gdb_buf o = OUT_INIT;
	gdb_comp w[GC_BATCH];
	size_t nw;

	GDB_TRY(need_nucleotides(x, c, "gc", err, errlen));
	if (gdb_path_split(name, ".tsv", &range, &ps) < 0) {
		if (gdb_path_split(name, ".f32", &range, &ps) < 0)
			return -ENOENT;
		f32 = 1;
	}
	if (parse_range(c, range, &beg, &end) < 0)
		return -ENOENT;
	GDB_TRY(gdb_params_parse(GC_PARAMS, NPARAMS(GC_PARAMS), ps, &p, err,
				 errlen));
	win = p.w;
	step = p.step ? p.step : p.w;
	span = end - beg;
	nw = gdb_comp_nwindows((size_t)span, (size_t)win, (size_t)step);
	if ((uint64_t)nw * (f32 ? 4 : 30) > GDB_NS_MAX_FILE) {
		gdb_seterr(err, errlen, "%zu windows: answer too large", nw);
		return -EFBIG;
	}
	/* Windows k0 .. k0+GC_BATCH-1 read bases [k0*step, last start+win). */
	seq = malloc((size_t)((GC_BATCH - 1) * step + win));
	if (!seq)
		return -ENOMEM;
	if (!f32)
		gdb_buf_printf(&o, "chrom\tstart\tend\tgc\n");
	for (size_t k0 = 0; k0 < nw && rc == 0 && !o.err; k0 += GC_BATCH) {
		size_t cnt = nw - k0 < GC_BATCH ? nw - k0 : GC_BATCH;
		int64_t a = (int64_t)k0 * step;
		int64_t b = a + (int64_t)(cnt - 1) * step + win;
		if (b > span)
			b = span;
		rc = gdb_cache_read(x->c, c->id, beg + a, beg + b, seq);
		if (rc < 0)
			break;
		/* The batch's own windows: nwindows of this span may stop
		 * earlier than cnt only at the region's end, where it agrees.
		 */
		if (gdb_comp_windows(seq, (size_t)(b - a), (size_t)win,
				     (size_t)step, w, GC_BATCH) < 0) {
			rc = -EINVAL;
			break;
		}
		for (size_t k = 0; k < cnt; k++) {
			int64_t s0 = beg + a + (int64_t)k * step;
			int64_t e0 = s0 + win < end ? s0 + win : end;
			double gc = gdb_comp_gc(&w[k]);
			/* no base that counts (all N): no fraction at all */
			int none = !(w[k].a + w[k].c + w[k].g + w[k].t +
				     w[k].s + w[k].w);
			if (f32) {
				float v = none ? NAN : (float)gc;
				uint8_t le[4];
				uint32_t u;
				memcpy(&u, &v, 4);
				gdb_put_le32(le, u);
				gdb_buf_add(&o, le, 4);
			} else if (none) {
				gdb_buf_printf(&o, "%s\t%lld\t%lld\tNA\n",
					       c->name, (long long)s0 + 1,
					       (long long)e0);
			} else {
				gdb_buf_printf(&o, "%s\t%lld\t%lld\t%.6f\n",
					       c->name, (long long)s0 + 1,
					       (long long)e0, gc);
			}
		}
	}
	free(seq);
	if (rc < 0) {
		gdb_buf_free(&o);
		return rc;
	}
	return gdb_ns_answer(&o, 0, data, len, err, errlen);
}

static int do_kmers(struct cctx *x, const gdb_contig *c, char *name,
		    char **data, size_t *len, char *err, size_t errlen)
{
	struct kmer_params p;
	char *range, *ps, *seq = NULL, kmer[GDB_KMER_MAXK + 1];
	int64_t beg, end, k, top, canon;
	gdb_kmer_table *t = NULL;
	gdb_kmer_entry *e = NULL;
	gdb_kmer_stats st;
	gdb_buf o = OUT_INIT;
	size_t n;
	int rc;

	GDB_TRY(need_nucleotides(x, c, "kmers", err, errlen));
	if (gdb_path_split(name, ".tsv", &range, &ps) < 0 ||
	    parse_range(c, range, &beg, &end) < 0)
		return -ENOENT;
	GDB_TRY(gdb_params_parse(KMER_PARAMS, NPARAMS(KMER_PARAMS), ps, &p, err,
				 errlen));
	k = p.k;
	top = p.top;
	canon = p.canonical;
	GDB_TRY(too_big(end - beg, MAX_REGION, err, errlen));
	seq = malloc((size_t)(SLICE + k));
	if (!seq)
		return -ENOMEM;
	rc = gdb_kmer_table_new((unsigned)k, canon ? GDB_KMER_CANONICAL : 0,
				KMER_TABLE_BYTES, &t);
	/* Slices overlap by k-1 bases: a k-mer is counted in the slice where
	 * it starts, exactly once (k-mers do not span kernel calls). */
	for (int64_t a = beg; rc == 0 && a < end; a += SLICE) {
		int64_t b = a + SLICE + k - 1 < end ? a + SLICE + k - 1 : end;
		rc = gdb_cache_read(x->c, c->id, a, b, seq);
		if (rc == 0 && b - a >= k)
			rc = gdb_kmer_count(t, seq, (size_t)(b - a));
	}
	free(seq);
	if (rc == -ENOSPC) {
		gdb_seterr(err, errlen,
			   "more distinct %lld-mers than a %zu MiB "
			   "table holds: counts would be inexact",
			   (long long)k, KMER_TABLE_BYTES >> 20);
		gdb_kmer_table_free(t);
		return -E2BIG;
	}
	if (rc < 0) {
		gdb_kmer_table_free(t);
		return rc;
	}
	e = malloc((size_t)top * sizeof(*e));
	if (!e) {
		gdb_kmer_table_free(t);
		return -ENOMEM;
	}
	n = gdb_kmer_top(t, e, (size_t)top);
	gdb_kmer_get_stats(t, &st);
	gdb_buf_printf(&o, "kmer\tcount\n");
	for (size_t i = 0; i < n; i++) {
		gdb_kmer_decode(e[i].kmer, (unsigned)k, kmer);
		kmer[k] = 0;
		gdb_buf_printf(&o, "%s\t%llu\n", kmer,
			       (unsigned long long)e[i].count);
	}
	free(e);
	gdb_kmer_table_free(t);
	return gdb_ns_answer(&o, 0, data, len, err, errlen);
}

/*
 * A scan over [beg, end) in slices of SLICE bases that overlap by
 * width - 1, so that a hit belongs to the one slice where it starts: for
 * each slice, find() fills buf with the kernel's hits (growing it to the
 * count the kernel reports), and emit() writes each hit that starts in
 * the slice's own SLICE bases (`at` is the slice's 0-based position).
 * Hits come by position, '+' before '-', as in one pass. Holds one slice,
 * whatever the region. Both hit types begin with their uint64_t pos.
 */
struct scan {
	int64_t (*find)(struct scan *sc, const char *seq, size_t n);
	void (*emit)(struct scan *sc, const void *hit, int64_t at, gdb_buf *o);
	void *buf;   /* the kernel's hit array */
	size_t cap;  /* its room, in hits */
	size_t elem; /* bytes a hit */
	const gdb_contig *c;
	int64_t at, n; /* the slice being scanned: its place and length */
};

static int scan_slice(struct scan *sc, const char *seq, size_t n, int64_t at,
		      gdb_buf *o)
{
	int64_t nh;

	while ((nh = sc->find(sc, seq, n)) > (int64_t)sc->cap) {
		void *p = realloc(sc->buf, (size_t)nh * sc->elem);
		if (!p)
			return -ENOMEM;
		sc->buf = p;
		sc->cap = (size_t)nh;
	}
	if (nh < 0)
		return (int)nh;
	for (int64_t i = 0; i < nh; i++) {
		const char *h = (const char *)sc->buf + (size_t)i * sc->elem;
		uint64_t pos;
		memcpy(&pos, h, sizeof(pos));
		if (pos < (uint64_t)SLICE)
			sc->emit(sc, h, at, o);
	}
	return 0;
}

static int scan_slices(struct cctx *x, int64_t beg, int64_t end, unsigned width,
		       struct scan *sc, gdb_buf *o)
{
	char *seq = malloc((size_t)SLICE + width);
	int rc = 0;

	sc->cap = 65536;
	sc->buf = malloc(sc->cap * sc->elem);
	if (!seq || !sc->buf)
		rc = -ENOMEM;
	for (int64_t a = beg; rc == 0 && a < end && !o->err; a += SLICE) {
		int64_t b =
		    a + SLICE + width - 1 < end ? a + SLICE + width - 1 : end;
		rc = gdb_cache_read(x->c, sc->c->id, a, b, seq);
		sc->at = a;
		sc->n = b - a;
		if (rc == 0)
			rc = scan_slice(sc, seq, (size_t)(b - a), a, o);
	}
	free(seq);
	free(sc->buf);
	return rc;
}

struct motif_scan {
	struct scan sc;
	const gdb_motif_pattern *pat;
	const gdb_prosite *pro; /* a protein's pattern instead */
	const char *name;
};

static int64_t iupac_find(struct scan *sc, const char *seq, size_t n)
{
	struct motif_scan *m = (struct motif_scan *)sc;

	return gdb_motif_find(m->pat, seq, n, GDB_STRAND_BOTH, sc->buf,
			      sc->cap);
}

static void iupac_emit(struct scan *sc, const void *hit, int64_t at, gdb_buf *o)
{
	struct motif_scan *m = (struct motif_scan *)sc;
	const gdb_motif_hit *h = hit;
	int64_t pos = at + (int64_t)h->pos;

	gdb_buf_printf(o, "%s\t%llu\t%llu\t%s\t0\t%c\n", sc->c->name,
		       (unsigned long long)pos,
		       (unsigned long long)(pos + m->pat->len), m->name,
		       h->strand);
}

/* A protein pattern's hits: its anchors hold where the slice ends where
 * the protein does. */
static int64_t prosite_find(struct scan *sc, const char *seq, size_t n)
{
	struct motif_scan *m = (struct motif_scan *)sc;
	unsigned fl =
	    (sc->at == 0 ? GDB_PROSITE_AT_START : 0) |
	    (sc->at + sc->n == sc->c->length ? GDB_PROSITE_AT_END : 0);

	return gdb_prosite_find(m->pro, seq, n, fl, sc->buf, sc->cap);
}

static void prosite_emit(struct scan *sc, const void *hit, int64_t at,
			 gdb_buf *o)
{
	struct motif_scan *m = (struct motif_scan *)sc;
	const gdb_prosite_hit *h = hit;
	int64_t pos = at + (int64_t)h->pos;

	gdb_buf_printf(o, "%s\t%llu\t%llu\t%s\t0\t+\n", sc->c->name,
		       (unsigned long long)pos,
		       (unsigned long long)(pos + (int64_t)h->len), m->name);
}

static int do_motif(struct cctx *x, const gdb_contig *c, int64_t beg,
		    int64_t end, char *name, char **data, size_t *len,
		    char *err, size_t errlen)
{
	gdb_motif_pattern pat;
	struct motif_scan m = {.sc = {.find = iupac_find,
				      .emit = iupac_emit,
				      .elem = sizeof(gdb_motif_hit),
				      .c = c},
			       .pat = &pat};
	gdb_prosite pro;
	char *range, *ps;
	gdb_buf o = OUT_INIT;
	int prot = is_protein(x, c), rc;

	if (gdb_path_split(name, ".bed", &range, &ps) < 0 ||
	    (prot ? gdb_prosite_compile(range, strlen(range), &pro)
		  : gdb_motif_compile(range, strlen(range), &pat)) < 0)
		return -ENOENT;
	GDB_TRY(gdb_params_parse(NULL, 0, ps, NULL, err, errlen));
	GDB_TRY(too_big(end - beg, MAX_REGION, err, errlen));
	m.name = range;
	if (prot) {
		m.pro = &pro;
		m.sc.find = prosite_find;
		m.sc.emit = prosite_emit;
		m.sc.elem = sizeof(gdb_prosite_hit);
	}
	rc = scan_slices(x, beg, end, prot ? pro.maxlen : pat.len, &m.sc, &o);
	if (rc < 0) {
		gdb_buf_free(&o);
		return rc;
	}
	return gdb_ns_answer(&o, 0, data, len, err, errlen);
}

/* ---- position weight matrices: motif sets imported into the store ---- */

/* A motif by id, else by id or name ignoring case; first in store order. */
static const gdb_motif *motif_find(const struct cctx *x, const char *key)
{
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < x->nmotifs; i++) {
			const gdb_motif *m = &x->motifs[i];
			if (pass == 0	? !strcmp(m->id, key)
			    : pass == 1 ? !strcasecmp(m->id, key)
					: !strcasecmp(m->name, key))
				return m;
		}
	return NULL;
}

struct pwm_scan {
	struct scan sc;
	const gdb_pwm *pwm;
	int32_t threshold;
	const char *id;
};

static int64_t pwm_find(struct scan *sc, const char *seq, size_t n)
{
	struct pwm_scan *m = (struct pwm_scan *)sc;

	return gdb_pwm_scan(m->pwm, seq, n, m->threshold, GDB_STRAND_BOTH,
			    sc->buf, sc->cap);
}

/* The score in bits with two decimals: exactly the integer score / 100. */
static void pwm_emit(struct scan *sc, const void *hit, int64_t at, gdb_buf *o)
{
	struct pwm_scan *m = (struct pwm_scan *)sc;
	const gdb_pwm_hit *h = hit;
	int64_t pos = at + (int64_t)h->pos;
	int32_t v = h->score, a = v < 0 ? -v : v;

	gdb_buf_printf(o, "%s\t%llu\t%llu\t%s\t%s%d.%02d\t%c\n", sc->c->name,
		       (unsigned long long)pos,
		       (unsigned long long)(pos + m->pwm->len), m->id,
		       v < 0 ? "-" : "", a / GDB_PWM_SCALE, a % GDB_PWM_SCALE,
		       h->strand);
}

/* motif/.../pwm/<id>[@p=1e-4,pseudo=0.8].bed */
static int do_pwm(struct cctx *x, const gdb_contig *c, int64_t beg, int64_t end,
		  char *name, char **data, size_t *len, char *err,
		  size_t errlen)
{
	struct pwm_params p;
	struct pwm_scan m = {.sc = {.find = pwm_find,
				    .emit = pwm_emit,
				    .elem = sizeof(gdb_pwm_hit),
				    .c = c}};
	const gdb_motif *mo;
	gdb_pwm pwm;
	double pv, pseudo;
	char *id, *ps;
	gdb_buf o = OUT_INIT;
	int rc;

	if (gdb_path_split(name, ".bed", &id, &ps) < 0 ||
	    !(mo = motif_find(x, id)))
		return -ENOENT;
	GDB_TRY(gdb_params_parse(PWM_PARAMS, NPARAMS(PWM_PARAMS), ps, &p, err,
				 errlen));
	pv = p.p;
	pseudo = p.pseudo;
	/* pseudo 0, or at least PSEUDO_MIN: a vanishing one makes a zero
	 * count score ~-1000 bits, and the p-value's dynamic programming
	 * runs over the whole score range */
	if (pv <= 0 || !(pseudo == 0 || pseudo >= PSEUDO_MIN)) {
		gdb_seterr(err, errlen, "parameter '%s': %s",
			   pv <= 0 ? "p" : "pseudo",
			   pv <= 0 ? "must be above 0"
				   : "must be 0 or at least 0.001");
		return -EINVAL;
	}
	if (gdb_pwm_from_counts(mo, NULL, pseudo, &pwm) < 0) {
		gdb_seterr(err, errlen,
			   "parameter 'pseudo': motif %s has a zero "
			   "count, which needs a pseudocount above 0",
			   mo->id);
		return -EINVAL;
	}
	if ((int64_t)pwm.max - pwm.min > MAX_PWM_RANGE) {
		gdb_seterr(err, errlen,
			   "motif %s: a score range of %lld units "
			   "is more than the %d a p-value is computed over",
			   mo->id, (long long)pwm.max - pwm.min, MAX_PWM_RANGE);
		return -E2BIG;
	}
	GDB_TRY(too_big(end - beg, MAX_REGION, err, errlen));
	rc = gdb_pwm_threshold(&pwm, pv, &m.threshold);
	if (rc < 0)
		return rc;
	m.pwm = &pwm;
	m.id = mo->id;
	rc = scan_slices(x, beg, end, pwm.len, &m.sc, &o);
	if (rc < 0) {
		gdb_buf_free(&o);
		return rc;
	}
	return gdb_ns_answer(&o, 0, data, len, err, errlen);
}

/* SAM CIGAR from the kernel's =/X/I/D with soft clips for unaligned ends. */
static void sam_cigar(gdb_buf *o, const char *cig, int64_t qb, int64_t qe,
		      int64_t qlen)
{
	if (qb > 0)
		gdb_buf_printf(o, "%lldS", (long long)qb);
	gdb_buf_add(o, cig, strlen(cig));
	if (qe < qlen)
		gdb_buf_printf(o, "%lldS", (long long)(qlen - qe));
}

/* "@match=N,..." of an alignment file: v = match, mismatch, open, extend;
 * a protein's "@open=N,extend=N" with BLOSUM62 (v[0], v[1] unused). */
static int align_params(char *ps, int prot, int64_t v[4], gdb_align_scoring *sc,
			char *err, size_t errlen)
{
	struct align_params p = {{0}};
	int rc;

	GDB_TRY(prot ? gdb_params_parse(PROT_ALIGN_PARAMS,
					NPARAMS(PROT_ALIGN_PARAMS), ps, &p, err,
					errlen)
		     : gdb_params_parse(ALIGN_PARAMS, NPARAMS(ALIGN_PARAMS), ps,
					&p, err, errlen));
	memcpy(v, p.v, sizeof(p.v));
	rc = prot ? gdb_align_scoring_blosum62((int)v[2], (int)v[3], sc)
		  : gdb_align_scoring_dna((int)v[0], (int)v[1], (int)v[2],
					  (int)v[3], sc);
	if (rc < 0 && prot)
		gdb_seterr(err, errlen,
			   "parameters 'open', 'extend': %lld, %lld is not a "
			   "scoring (0 <= extend <= open)",
			   (long long)v[2], (long long)v[3]);
	else if (rc < 0)
		gdb_seterr(err, errlen,
			   "parameters 'match', 'mismatch', 'open', "
			   "'extend': %lld, %lld, %lld, %lld is not a scoring "
			   "(0 <= extend <= open)",
			   (long long)v[0], (long long)v[1], (long long)v[2],
			   (long long)v[3]);
	return rc < 0 ? -EINVAL : 0;
}

static void sam_header(gdb_buf *o, const gdb_contig *c, int prot,
		       const int64_t v[4], const char *what)
{
	gdb_buf_printf(
	    o,
	    "@HD\tVN:1.6\tSO:unsorted\n@SQ\tSN:%s\tLN:%lld\n"
	    "@PG\tID:genomedb\tPN:genomedb\tCL:local alignment%s%s, ",
	    c->name, (long long)c->length, what ? " of " : "",
	    what ? what : "");
	if (prot)
		gdb_buf_printf(o, "BLOSUM62");
	else
		gdb_buf_printf(o, "match=%lld mismatch=%lld", (long long)v[0],
			       (long long)v[1]);
	gdb_buf_printf(o, " open=%lld extend=%lld\n", (long long)v[2],
		       (long long)v[3]);
}

/*
 * One query's best local hit as a SAM record, given the score-only
 * results of both strands (rq is the query's reverse complement): the
 * better strand (forward on a tie) is traced back in the window of its
 * hit. A protein has one strand: rq is NULL.
 */
static int sam_best(gdb_buf *o, const gdb_align_scoring *sc,
		    const gdb_contig *c, int64_t beg, const char *qname,
		    const char *q, const char *rq, size_t ql, const char *seq,
		    size_t tlen, gdb_align_ws *ws, gdb_align_result fw,
		    gdb_align_result rv)
{
	int rev = rq && rv.score > fw.score;
	gdb_align_result *best = rev ? &rv : &fw;
	int rc;

	if (best->score <= 0) {
		gdb_buf_printf(o, "%s\t4\t*\t0\t0\t*\t*\t0\t0\t%s\t*\tAS:i:0\n",
			       qname, q);
		return 0;
	}
	rc = gdb_align_trace(sc, rev ? rq : q, ql, seq, tlen, ws, best);
	if (rc < 0)
		return rc;
	gdb_buf_printf(o, "%s\t%d\t%s\t%lld\t255\t", qname, rev ? 16 : 0,
		       c->name, (long long)(beg + best->target_begin + 1));
	sam_cigar(o, best->cigar, best->query_begin, best->query_end,
		  (int64_t)ql);
	gdb_buf_printf(o, "\t*\t0\t0\t%s\t*\tAS:i:%lld\n", rev ? rq : q,
		       (long long)best->score);
	return 0;
}

static int do_align(struct cctx *x, const gdb_contig *c, int64_t beg,
		    int64_t end, char *name, char **data, size_t *len,
		    char *err, size_t errlen)
{
	int64_t v[4];
	char *query, *ps, *seq = NULL, *rq = NULL;
	gdb_align_scoring sc;
	gdb_align_ws *ws = NULL;
	gdb_align_result fw, rv;
	gdb_buf o = OUT_INIT;
	size_t ql, tl = (size_t)(end - beg);
	int prot = is_protein(x, c), rc;

	if (gdb_path_split(name, ".sam", &query, &ps) < 0)
		return -ENOENT;
	ql = strlen(query);
	if (ql == 0 || ql > MAX_QUERY)
		return -ENOENT;
	for (size_t i = 0; i < ql; i++)
		if (!query[i] || !strchr(prot ? PROTEIN_LETTERS : "ACGTN",
					 compute_upper(query[i])))
			return -ENOENT;
	GDB_TRY(align_params(ps, prot, v, &sc, err, errlen));
	GDB_TRY(too_big(end - beg, MAX_ALIGN_TARGET, err, errlen));
	rc = fetch(x, c, beg, end, &seq);
	if (rc < 0)
		return rc;
	rq = prot ? NULL : malloc(ql + 1);
	rc = rq || prot ? gdb_align_ws_new(&ws) : -ENOMEM;
	if (rc == 0 && rq) {
		gdb_simd()->revcomp(query, ql, rq);
		rq[ql] = 0;
		rc = gdb_align(&sc, GDB_ALIGN_LOCAL, rq, ql, seq, tl, 0, ws,
			       &rv);
	}
	if (rc == 0)
		rc = gdb_align(&sc, GDB_ALIGN_LOCAL, query, ql, seq, tl, 0, ws,
			       &fw);
	if (rc == 0) {
		if (prot)
			rv = fw;
		sam_header(&o, c, prot, v, NULL);
		rc = sam_best(&o, &sc, c, beg, "query", query, rq, ql, seq, tl,
			      ws, fw, rv);
	}
	if (rc == -E2BIG)
		gdb_seterr(err, errlen, "alignment too large");
	if (rc == 0) {
		rc = gdb_ns_answer(&o, 0, data, len, err, errlen);
		o.p = NULL;
	}
	gdb_buf_free(&o);
	gdb_align_ws_free(ws);
	free(rq);
	free(seq);
	return rc;
}

/* align/.../@<SET>[@params].sam: every query of the set, in its order. */
static int do_align_set(struct cctx *x, const gdb_contig *c, int64_t beg,
			int64_t end, char *name, char **data, size_t *len,
			char *err, size_t errlen)
{
	struct gdb_qset q = {0};
	char file[GDB_INBOX_MAX_NAME + 8], *set, *ps, *seq = NULL;
	int64_t v[4];
	gdb_align_scoring sc;
	gdb_align_ws *ws = NULL;
	gdb_align_result *res = NULL;
	const char **qs = NULL;
	size_t *ls = NULL, tl = (size_t)(end - beg), n, textlen;
	double cells = 0;
	gdb_buf o = OUT_INIT;
	int prot = is_protein(x, c), rc;
	unsigned ns = prot ? 1 : 2; /* strands a query */

	if (gdb_path_split(name + 1, ".sam", &set, &ps) < 0 || !*set ||
	    strlen(set) > GDB_INBOX_MAX_NAME)
		return -ENOENT;
	GDB_TRY(align_params(ps, prot, v, &sc, err, errlen));
	rc =
	    gdb_qset_file(x->inbox, set, file, sizeof(file), &q.text, &textlen);
	if (rc < 0)
		return rc;
	if (memchr(q.text, 0, textlen)) {
		gdb_seterr(err, errlen, "queries/%s: binary data, not FASTA",
			   file);
		rc = -EINVAL;
		goto out;
	}
	rc = gdb_qset_parse(&q, file, prot, err, errlen);
	if (rc < 0)
		goto out;
	n = q.n;
	for (size_t i = 0; i < n; i++)
		cells += ns * (double)q.len[i] * (double)tl;
	if (cells > MAX_SET_CELLS) {
		gdb_seterr(err, errlen,
			   "queries/%s: %zu queries against %zu "
			   "bases are %.3g cells, more than the %.3g one file "
			   "may take",
			   file, n, tl, cells, MAX_SET_CELLS);
		rc = -E2BIG;
		goto out;
	}
	rc = too_big(end - beg, MAX_ALIGN_TARGET, err, errlen);
	if (rc < 0)
		goto out;
	/* Both strands of every query (a protein's one), scored on all
	 * cores: 2i forward, 2i+1 reverse; then each query's better strand
	 * with traceback. */
	q.rc = calloc(n, sizeof(*q.rc));
	qs = malloc(ns * n * sizeof(*qs));
	ls = malloc(ns * n * sizeof(*ls));
	res = malloc(ns * n * sizeof(*res));
	rc = q.rc && qs && ls && res ? gdb_qset_strands(&q, ns, qs, ls)
				     : -ENOMEM;
	if (rc == 0)
		rc = fetch(x, c, beg, end, &seq);
	if (rc == 0)
		rc = gdb_align_batch(&sc, GDB_ALIGN_LOCAL, qs, ls, ns * n,
				     (const char *const *)&seq, &tl, 1, x->pool,
				     res);
	if (rc == 0)
		rc = gdb_align_ws_new(&ws);
	if (rc < 0)
		goto out;
	sam_header(&o, c, prot, v, set);
	for (size_t i = 0; i < n && rc == 0 && !o.err; i++)
		rc = sam_best(&o, &sc, c, beg, q.name[i], q.fw[i], q.rc[i],
			      q.len[i], seq, tl, ws, res[ns * i],
			      res[ns * i + ns - 1]);
	if (rc == 0) {
		rc = gdb_ns_answer(&o, 0, data, len, err, errlen);
		o.p = NULL;
	}
out:
	if (rc == -E2BIG && !err[0])
		gdb_seterr(err, errlen, "alignment too large");
	gdb_buf_free(&o);
	gdb_align_ws_free(ws);
	gdb_qset_free(&q);
	free(qs);
	free(ls);
	free(res);
	free(seq);
	return rc;
}

static const char *const ANALYSES[] = {"gc", "kmers", "motif", "align", NULL};
const char *const gdb_compute_names[] = {"gc",	  "kmers",   "motif",
					 "align", "queries", NULL};
static const gdb_ns_provider COMPUTE;

static int compute_resolve(void *ctx, const char *path, char **data,
			   size_t *len, unsigned *flags, char *err,
			   size_t errlen)
{
	struct cctx *x = ctx;
	char buf[4096], *comp[6];
	const gdb_contig *c;
	int n = split(path, buf, sizeof(buf), comp, 6), a;
	int64_t beg, end;
	const struct genomedb_plugin *plug = NULL;

	if (n < 0)
		return -ENOENT;
	if (n == 0)
		return GDB_NS_DIR;
	for (a = 0; ANALYSES[a] && strcmp(ANALYSES[a], comp[0]); a++)
		;
	if (!ANALYSES[a] && !(plug = gdb_plugin_find(comp[0])))
		return -ENOENT;
	if (n == 1)
		return GDB_NS_DIR;
	if (gdb_store_assembly_find(x->s, comp[1]) < 0)
		return -ENOENT;
	if (n == 2)
		return GDB_NS_DIR;
	if (find_contig(x->s, comp[1], comp[2], &c) < 0)
		return -ENOENT;
	if (n == 3)
		return GDB_NS_DIR;
	if (plug) /* a plugin's: the file names the region */
		return n == 4 ? gdb_plugin_resolve(plug, x->c, c, path, comp[3],
						   data, len, err, errlen)
			      : -ENOENT;
	if (a <= 1) { /* gc, kmers: the file names the region */
		if (n != 4)
			return -ENOENT;
		return a == 0 ? do_gc(x, c, comp[3], data, len, err, errlen)
			      : do_kmers(x, c, comp[3], data, len, err, errlen);
	}
	/* motif, align: a region directory, then the pattern or query */
	if (parse_range(c, comp[3], &beg, &end) < 0)
		return -ENOENT;
	if (n == 4)
		return GDB_NS_DIR;
	if (a == 2 && !strcmp(comp[4], "pwm")) { /* motif sets */
		if (n == 5)
			return x->nmotifs ? GDB_NS_DIR : -ENOENT;
		return n == 6 ? do_pwm(x, c, beg, end, comp[5], data, len, err,
				       errlen)
			      : -ENOENT;
	}
	if (n != 5)
		return -ENOENT;
	if (a == 2)
		return do_motif(x, c, beg, end, comp[4], data, len, err,
				errlen);
	if (comp[4][0] == '@') { /* a query set: holds until queries/ changes */
		*flags |= GDB_NS_VOLATILE;
		return do_align_set(x, c, beg, end, comp[4], data, len, err,
				    errlen);
	}
	return do_align(x, c, beg, end, comp[4], data, len, err, errlen);
}

static int compute_list(void *ctx, const char *path,
			int (*emit)(void *arg, const char *name, int is_dir),
			void *arg)
{
	struct cctx *x = ctx;
	char buf[4096], *comp[6], tmp[GDB_NAME_MAX * 3 + 64];
	int n = split(path, buf, sizeof(buf), comp, 6), ai;

	if (n == 0) {
		for (int i = 0; ANALYSES[i]; i++)
			if (emit(arg, ANALYSES[i], 1))
				return 0;
		for (size_t i = 0; gdb_plugin_name(i); i++)
			if (emit(arg, gdb_plugin_name(i), 1))
				return 0;
		emit(arg, COMPUTE.inbox, 1);
		return 0;
	}
	if (n == 1) {
		for (uint32_t i = 0; i < gdb_store_nassemblies(x->s); i++)
			if (emit(arg, gdb_store_assembly(x->s, i)->name, 1))
				return 0;
		return 0;
	}
	if (n == 2 && (ai = gdb_store_assembly_find(x->s, comp[1])) >= 0) {
		const gdb_assembly *a = gdb_store_assembly(x->s, (uint32_t)ai);
		for (uint32_t k = 0; k < a->ncontigs; k++) {
			gdb_path_escape_dir(
			    gdb_store_contig(x->s, a->first_contig + k)->name,
			    tmp);
			if (emit(arg, tmp, 1))
				return 0;
		}
		return 0;
	}
	/* Region directories are lookup-only: list nothing below, but for
	 * the motifs a pwm/ directory can scan with. */
	if (n == 4 && !strcmp(comp[0], "motif") && x->nmotifs) {
		emit(arg, "pwm", 1);
	} else if (n == 5 && !strcmp(comp[0], "motif") &&
		   !strcmp(comp[4], "pwm")) {
		for (size_t i = 0; i < x->nmotifs; i++) {
			const gdb_motif *m = motif_find(x, x->motifs[i].id);
			char nm[GDB_NAME_MAX + 1];
			if (m != &x->motifs[i] || strpbrk(m->id, "/@"))
				continue; /* an earlier set's id; not a name */
			snprintf(nm, sizeof(nm), "%s.bed", m->id);
			if (emit(arg, nm, 0))
				break;
		}
	}
	return 0;
}

static void compute_destroy(void *ctx)
{
	struct cctx *x = ctx;

	if (x) {
		free(x->motifs);
		gdb_pool_free(x->pool);
	}
	free(x);
}

static const gdb_ns_provider COMPUTE = {
    .name = "compute",
    .inbox = "queries",
    .resolve = compute_resolve,
    .list = compute_list,
    .destroy = compute_destroy,
};

const gdb_ns_provider *gdb_compute_ns_create(const gdb_store *s, gdb_cache *c,
					     gdb_inbox *inbox, void **ctx)
{
	struct cctx *x;
	char err[512] = "";

	if (gdb_store_nassemblies(s) == 0)
		return NULL;
	x = malloc(sizeof(*x));
	if (!x)
		return NULL;
	x->s = s;
	x->c = c;
	x->inbox = inbox;
	x->motifs = NULL;
	/* one worker a CPU; its threads start at the first batch */
	if (gdb_pool_new(0, &x->pool) < 0)
		x->pool = NULL; /* batches then run on the calling thread */
	if (gdb_motifs_load(s, &x->motifs, &x->nmotifs, err, sizeof(err)) < 0)
		gdb_log(GDB_LOG_ERROR,
			"motif sets: %s; pwm/ scans are not "
			"served",
			err);
	*ctx = x;
	return &COMPUTE;
}
