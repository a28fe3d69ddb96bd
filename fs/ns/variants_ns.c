/*
 * fs/ns/variants_ns.c - the /variants tree: a computed namespace
 * (fs/ns/ns.h) whose files are variant-set answers (variants/variants.h),
 * rendered whole at lookup so their sizes are exact. Files too large for
 * that (records: .vcf, .vcf.gz, .bcf, .sites.tsv, .gt.npy; statistics
 * tables: .af.tsv, .fst.tsv, .summary.tsv) are ranged files: streamed
 * window by window (gdb_vstream), their sizes exact from one sizing pass
 * at lookup, kept for the next lookups of the same name.
 * Grammar and layouts: docs/PATHS.md, "Variants".
 *
 *   <set>/samples.tsv
 *   <set>/<contig>/<start>-<end>[@k=v,...].vcf|.vcf.gz|.bcf|.sites.tsv|
 *                  .gt.npy|.af.tsv|.fst.tsv|.summary.tsv
 *
 * Names are read by the mount's one grammar (fs/ns/pathname.c): regions
 * by gdb_path_range, contigs by gdb_path_unescape, parameters against the
 * typed table of each kind of file (a bad one is EINVAL naming it).
 *
 * Threading: the sets are immutable once opened; every call works on its
 * own buffers, so resolve and list run concurrently.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/ns/ns.h"
#include "variants/variants.h"

/* Worker threads a statistics answer may use (the machine's two cores). */
#define STAT_THREADS 2
#define MAX_COMPONENTS 4

/* Streams whose sizing pass is kept, by path (held: sizes only). */
#define NSIZED 4

typedef struct vctx {
	uint32_t n;
	char **names;
	gdb_vset **sets;
	/* answers over this many bytes stream (GDB_NS_MAX_FILE, or
	 * the test-only environment variable GDB_VARIANTS_STREAM_ABOVE) */
	size_t stream_above;
	pthread_mutex_t mu;
	struct {
		char *path;
		gdb_vstream *s;
	} sized[NSIZED];
	unsigned next;
} vctx;

/* A whole answer open_ranged rendered to learn it fits, for the resolve
 * the daemon asks next on the same thread. */
static __thread struct {
	char *path, *data;
	size_t len;
} stash;

static void stash_drop(void)
{
	free(stash.path);
	free(stash.data);
	stash.path = stash.data = NULL;
}

/* The parameters of every kind of file; each kind takes some of them. */
struct vparams {
	const char *samples, *pop; /* LIST: "NA1,NA2", "CEU,GBR" */
	int by;			   /* enum gdb_vgroup_by */
	int64_t window;		   /* Fst: window bp, 0 per variant */
};

#define P_SAMPLES                                                              \
	{                                                                      \
		"samples", GDB_PARAM_LIST, offsetof(struct vparams, samples),  \
		    0, 0, 0, NULL                                              \
	}
#define P_POP                                                                  \
	{                                                                      \
		"pop", GDB_PARAM_LIST, offsetof(struct vparams, pop), 0, 0, 0, \
		    NULL                                                       \
	}
#define P_BY                                                                   \
	{                                                                      \
		"by", GDB_PARAM_ENUM, offsetof(struct vparams, by), 0, 0,      \
		    GDB_VBY_POPULATION, "population|superpopulation|sample"    \
	}
#define P_WINDOW                                                               \
	{                                                                      \
		"window", GDB_PARAM_INT, offsetof(struct vparams, window), 1,  \
		    1e15, 0, NULL                                              \
	}

static const gdb_param RECORD_PARAMS[] = {P_SAMPLES, P_POP};
static const gdb_param STAT_PARAMS[] = {P_BY};
static const gdb_param FST_PARAMS[] = {P_BY, P_WINDOW};

static const struct vkind {
	const char *ext;
	int fmt; /* enum gdb_vfmt, or -1 - enum gdb_vstat */
	const gdb_param *spec;
	size_t nspec;
} kinds[] = {
    {".vcf", GDB_VF_VCF, RECORD_PARAMS, 2},
    {".vcf.gz", GDB_VF_VCFGZ, RECORD_PARAMS, 2},
    {".bcf", GDB_VF_BCF, RECORD_PARAMS, 2},
    {".sites.tsv", GDB_VF_SITES, NULL, 0},
    {".gt.npy", GDB_VF_GTNPY, RECORD_PARAMS, 2},
    {".af.tsv", -1 - GDB_VSTAT_AF, STAT_PARAMS, 1},
    {".fst.tsv", -1 - GDB_VSTAT_FST, FST_PARAMS, 2},
    {".summary.tsv", -1 - GDB_VSTAT_SUMMARY, STAT_PARAMS, 1},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))
/* The kinds a contig's directory lists, whole-contig: the record files. */
#define NLISTED 5

/* ---- answers ---- */

/* The sample subset p asks for into *sub (n == 0 with none). */
static int subset(gdb_vset *v, const struct vparams *p, gdb_vsamples *sub,
		  char *err, size_t errlen)
{
	memset(sub, 0, sizeof(*sub));
	if (p->samples && p->pop) {
		gdb_seterr(err, errlen,
			   "parameter 'pop': give samples= or "
			   "pop=, not both");
		return -EINVAL;
	}
	if ((p->samples || p->pop) &&
	    gdb_vset_select(v, p->samples ? p->samples : p->pop, p->pop != NULL,
			    sub, err, errlen) < 0)
		return -ENOENT;
	return 0;
}

static int records(gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
		   int fmt, const struct vparams *p, size_t max, char **data,
		   size_t *len, char *err, size_t errlen)
{
	gdb_vsamples sub;
	int rc;

	GDB_TRY(subset(v, p, &sub, err, errlen));
	rc = gdb_vset_render(v, contig, beg, end, sub.n ? &sub : NULL,
			     (enum gdb_vfmt)fmt, max, data, len);
	gdb_vsamples_free(&sub);
	return rc;
}

static gdb_vstat_opts stat_opts(int fmt, const struct vparams *p)
{
	return (gdb_vstat_opts){.stat = (enum gdb_vstat)(-1 - fmt),
				.by = (enum gdb_vgroup_by)p->by,
				.threads = STAT_THREADS,
				.window = p->window};
}

static int stats(gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
		 int fmt, const struct vparams *p, size_t max, char **data,
		 size_t *len, char *err, size_t errlen)
{
	gdb_vstat_opts o = stat_opts(fmt, p);
	int rc = gdb_vset_stats(v, contig, beg, end, &o, max, data, len);

	if (rc == -EINVAL)
		return -ENOENT; /* no panel, or one group for Fst */
	if (rc == -E2BIG)
		gdb_seterr(err, errlen,
			   "Fst of more than 500,000 pairs of "
			   "groups: use a coarser by=");
	return rc;
}

/* <start>-<end>[@params]<ext> in a contig's directory: its kind, region
 * and parameters. */
static int parse_name(gdb_vset *v, uint32_t contig, char *name,
		      const struct vkind **kind, int64_t *beg, int64_t *end,
		      struct vparams *p, char *err, size_t errlen)
{
	const struct vkind *k = NULL;
	char *range, *params;
	int64_t clen;

	for (size_t i = 0; i < NKINDS && !k; i++)
		if (gdb_path_split(name, kinds[i].ext, &range, &params) == 0)
			k = &kinds[i];
	gdb_vset_contig(v, contig, &clen);
	if (!k || gdb_path_range(range, strlen(range), clen, beg, end) < 0)
		return -ENOENT;
	memset(p, 0, sizeof(*p));
	*kind = k;
	return gdb_params_parse(k->spec, k->nspec, params, p, err, errlen);
}

/* max: the most a file is rendered whole (larger ones stream) */
static int region_file(gdb_vset *v, uint32_t contig, char *name, size_t max,
		       char **data, size_t *len, char *err, size_t errlen)
{
	const struct vkind *k;
	struct vparams p;
	int64_t beg, end;
	int rc;

	GDB_TRY(parse_name(v, contig, name, &k, &beg, &end, &p, err, errlen));
	if (k->fmt >= 0)
		rc = records(v, contig, beg, end, k->fmt, &p, max, data, len,
			     err, errlen);
	else
		rc = stats(v, contig, beg, end, k->fmt, &p, max, data, len, err,
			   errlen);
	if (rc == -EFBIG)
		gdb_seterr(err, errlen,
			   "answer over %zu bytes: ask for a "
			   "smaller region or fewer samples",
			   GDB_NS_MAX_FILE);
	return rc;
}

static int find_set(const vctx *x, const char *name)
{
	for (uint32_t i = 0; i < x->n; i++)
		if (!strcmp(x->names[i], name))
			return (int)i;
	return -ENOENT;
}

/*
 * Cut path into its set (*si), contig (*ci, -1 when path names only the
 * set) and the rest. @return the number of components, or -ENOENT.
 */
static int locate(const vctx *x, char *path, char **comp, int *si, int *ci)
{
	char cname[GDB_NAME_MAX + 1];
	int n = gdb_path_components(path, comp, MAX_COMPONENTS);

	*ci = -1;
	if (n < 1 || n > 3 || (*si = find_set(x, comp[0])) < 0)
		return -ENOENT;
	if (n == 2 && !strcmp(comp[1], "samples.tsv"))
		return n;
	if (n >= 2 && (gdb_path_unescape(comp[1], cname, sizeof(cname)) < 0 ||
		       (*ci = gdb_vset_contig_find(x->sets[*si], cname)) < 0))
		return -ENOENT;
	return n;
}

static int resolve(void *ctx, const char *path, char **data, size_t *len,
		   unsigned *flags, char *err, size_t errlen)
{
	vctx *x = ctx;
	char *copy, *comp[MAX_COMPONENTS];
	int n, si, ci, rc;

	*flags = 0;
	if (!*path)
		return GDB_NS_DIR;
	if (stash.path && !strcmp(stash.path, path)) {
		*data = stash.data;
		*len = stash.len;
		stash.data = NULL;
		stash_drop();
		return GDB_NS_FILE;
	}
	if (!(copy = strdup(path)))
		return -ENOMEM;
	n = rc = locate(x, copy, comp, &si, &ci);
	if (n == 1 || (n == 2 && ci >= 0)) {
		rc = GDB_NS_DIR;
	} else if (n == 2) {
		rc = gdb_vset_samples_tsv(x->sets[si], data, len);
	} else if (n == 3) {
		rc = region_file(x->sets[si], (uint32_t)ci, comp[2],
				 x->stream_above, data, len, err, errlen);
	}
	free(copy);
	return rc == 0 ? GDB_NS_FILE : rc;
}

static int list(void *ctx, const char *path,
		int (*emit)(void *arg, const char *name, int is_dir), void *arg)
{
	vctx *x = ctx;
	char *copy, *comp[MAX_COMPONENTS], buf[GDB_SEQ_NAME_MAX + 32];
	int n, si, ci, rc = 0;
	int64_t clen;

	if (!*path) {
		for (uint32_t i = 0; i < x->n; i++)
			if (emit(arg, x->names[i], 1))
				break;
		return 0;
	}
	if (!(copy = strdup(path)))
		return -ENOMEM;
	n = locate(x, copy, comp, &si, &ci);
	free(copy);
	if (n < 0 || n == 3)
		return n < 0 ? n : -ENOTDIR;
	if (n == 2 && ci < 0)
		return -ENOTDIR;
	if (n == 1) {
		if (emit(arg, "samples.tsv", 0))
			return 0;
		for (uint32_t i = 0; i < gdb_vset_ncontigs(x->sets[si]); i++) {
			gdb_path_escape(gdb_vset_contig(x->sets[si], i, NULL),
					buf);
			if (emit(arg, buf, 1))
				break;
		}
		return 0;
	}
	gdb_vset_contig(x->sets[si], (uint32_t)ci, &clen);
	for (size_t i = 0; i < NLISTED && rc == 0; i++) {
		snprintf(buf, sizeof(buf), "1-%lld%s", (long long)clen,
			 kinds[i].ext);
		rc = emit(arg, buf, 0);
	}
	return 0;
}

/* ---- streamed record files ---- */

/* A rough size of an answer, from about the sites of the region (for
 * tables by population, at least). */
static uint64_t estimate(gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
			 int fmt, const struct vparams *p, uint32_t ns)
{
	uint64_t n = gdb_vset_region_sites(v, contig, beg, end);
	uint64_t groups = p->by == GDB_VBY_SAMPLE ? ns : 1;

	switch (fmt) {
	case GDB_VF_VCF:
		return n * (4 * (uint64_t)ns + 100);
	case GDB_VF_GTNPY:
		return n * ns;
	case GDB_VF_SITES:
		return n * 100;
	case -1 - GDB_VSTAT_AF:
		return n * groups * 20;
	case -1 - GDB_VSTAT_FST:
		return p->window ? 0 : n * (groups * (groups - 1) / 2) * 20;
	case -1 - GDB_VSTAT_SUMMARY:
		return 0;
	}
	return n * (4 * (uint64_t)ns + 100) / 16; /* BGZF */
}

static ssize_t stream_read(void *ctx, void *dst, size_t n, uint64_t off)
{
	ssize_t got = gdb_vstream_read(ctx, dst, n, off);

	if (got < 0)
		gdb_log(GDB_LOG_ERROR,
			"/variants: a streamed file at offset %llu: %s",
			(unsigned long long)off, gdb_strerror((int)got));
	return got;
}

static void stream_release(void *ctx)
{
	gdb_vstream_close(ctx);
}

/* The kept stream of path (a reference), or NULL. */
static gdb_vstream *sized_find(vctx *x, const char *path)
{
	gdb_vstream *s = NULL;

	pthread_mutex_lock(&x->mu);
	for (unsigned k = 0; k < NSIZED && !s; k++)
		if (x->sized[k].path && !strcmp(x->sized[k].path, path))
			gdb_vstream_ref(s = x->sized[k].s);
	pthread_mutex_unlock(&x->mu);
	return s;
}

/* A new stream of path, its sizing pass run now and kept for the next
 * lookups of the name. */
static int stream_get(vctx *x, const char *path, gdb_vset *v, uint32_t contig,
		      int64_t beg, int64_t end, const gdb_vsamples *sub,
		      int fmt, const struct vparams *p, gdb_vstream **out)
{
	gdb_vstat_opts o = stat_opts(fmt, p);
	gdb_vstream *s;
	char *key;
	unsigned k;

	if (fmt >= 0)
		GDB_TRY(gdb_vstream_open(v, contig, beg, end, sub,
					 (enum gdb_vfmt)fmt, STAT_THREADS,
					 x->stream_above, &s));
	else
		GDB_TRY(gdb_vstream_open_stats(v, contig, beg, end, &o,
					       STAT_THREADS, x->stream_above,
					       &s));
	if ((key = strdup(path))) {
		pthread_mutex_lock(&x->mu);
		k = x->next++ % NSIZED;
		free(x->sized[k].path);
		/* sizes only: a file still open keeps its windows */
		gdb_vstream_unhold(x->sized[k].s);
		x->sized[k].path = key;
		x->sized[k].s = s;
		gdb_vstream_hold(s);
		pthread_mutex_unlock(&x->mu);
	}
	*out = s;
	return 0;
}

/* The whole answer, if it has at most max bytes (else -EFBIG). */
static int trial(gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
		 int fmt, const struct vparams *p, const gdb_vsamples *sub,
		 size_t max, char **data, size_t *len)
{
	gdb_vstat_opts o = stat_opts(fmt, p);

	if (fmt >= 0)
		return gdb_vset_render(v, contig, beg, end, sub,
				       (enum gdb_vfmt)fmt, max, data, len);
	return gdb_vset_stats(v, contig, beg, end, &o, max, data, len);
}

/*
 * A file whose answer is over stream_above bytes (or likely to be) is
 * ranged; a smaller one is rendered here once, kept for resolve, and
 * left to it (-ENOENT). Names resolve refuses are left to it too, so
 * that its errors and messages stay the only ones.
 */
static int ranged(vctx *x, const char *path, gdb_vset *v, uint32_t contig,
		  char *name, gdb_ns_ranged *out)
{
	const struct vkind *k;
	struct vparams p;
	gdb_vsamples sub = {0};
	gdb_vstream *s;
	int64_t beg, end;
	char err[8], *data;
	size_t len;
	int rc;

	if (parse_name(v, contig, name, &k, &beg, &end, &p, err, sizeof(err)) <
		0 ||
	    (k->fmt >= 0 && subset(v, &p, &sub, err, sizeof(err)) < 0))
		return -ENOENT;
	/* a name streamed before streams again, without a trial render */
	s = sized_find(x, path);
	rc = -EFBIG;
	/* a file estimated clearly over streams without a trial (one that
	 * did not fit was a whole render thrown away) */
	if (!s && estimate(v, contig, beg, end, k->fmt, &p,
			   sub.n ? sub.n : gdb_vset_nsamples(v)) <
		      (uint64_t)x->stream_above + x->stream_above / 4)
		rc = trial(v, contig, beg, end, k->fmt, &p, sub.n ? &sub : NULL,
			   x->stream_above, &data, &len);
	if (rc == 0 && (stash.path = strdup(path))) {
		stash.data = data;
		stash.len = len;
	} else if (rc == 0) {
		free(data);
	}
	if (rc == -EFBIG && s)
		rc = 0;
	else if (rc == -EFBIG)
		rc = stream_get(x, path, v, contig, beg, end,
				sub.n ? &sub : NULL, k->fmt, &p, &s);
	else
		rc = -ENOENT;
	gdb_vsamples_free(&sub);
	if (rc == -EINVAL || rc == -E2BIG)
		return -ENOENT; /* resolve says why */
	if (rc < 0)
		return rc;
	out->size = gdb_vstream_size(s);
	out->ctx = s;
	out->read = stream_read;
	out->release = stream_release;
	return 0;
}

static int open_ranged(void *ctx, const char *path, gdb_ns_ranged *out,
		       char *err, size_t errlen)
{
	vctx *x = ctx;
	char *copy, *comp[MAX_COMPONENTS];
	int n, si, ci, rc = -ENOENT;

	stash_drop();
	memset(out, 0, sizeof(*out));
	if (!*path || !(copy = strdup(path)))
		return *path ? -ENOMEM : -ENOENT;
	n = locate(x, copy, comp, &si, &ci);
	if (n == 3)
		rc = ranged(x, path, x->sets[si], (uint32_t)ci, comp[2], out);
	free(copy);
	if (rc < 0 && rc != -ENOENT)
		gdb_seterr(err, errlen, "streaming it: %s", gdb_strerror(rc));
	return rc;
}

/* A set's directory: user.gdb.windows_rendered, the windows its
 * streamed files rendered for their readers, and user.gdb.windows_held,
 * the rendered windows they hold now. */
static int xattr(void *ctx, const char *path, unsigned i, const char **name,
		 char *val, size_t cap)
{
	vctx *x = ctx;
	int si = find_set(x, path);

	if (si < 0 || i > 1)
		return -ENOENT;
	*name = i ? "user.gdb.windows_held" : "user.gdb.windows_rendered";
	return snprintf(
	    val, cap, "%llu",
	    (unsigned long long)(i ? gdb_vset_windows_held(x->sets[si])
				   : gdb_vset_windows_rendered(x->sets[si])));
}

static void destroy(void *ctx)
{
	vctx *x = ctx;

	for (uint32_t i = 0; x && i < x->n; i++)
		gdb_vset_close(x->sets[i]);
	for (unsigned k = 0; x && k < NSIZED; k++) {
		free(x->sized[k].path);
		gdb_vstream_unhold(x->sized[k].s);
	}
	if (x) {
		pthread_mutex_destroy(&x->mu);
		free(x->sets);
		free(x->names);
	}
	free(x);
}

static const gdb_ns_provider provider = {
    .name = "variants",
    .inbox = NULL,
    .resolve = resolve,
    .list = list,
    .destroy = destroy,
    .open_ranged = open_ranged,
    .xattr = xattr,
};

const gdb_ns_provider *gdb_variants_ns_create(const gdb_store *s, gdb_cache *c,
					      gdb_inbox *inbox, void **ctx)
{
	uint32_t n = gdb_vset_count(s);
	const char *env;
	vctx *x;

	(void)inbox;
	if (!n || !(x = calloc(1, sizeof(*x))))
		return NULL;
	pthread_mutex_init(&x->mu, NULL);
	x->stream_above = GDB_NS_MAX_FILE;
	if ((env = getenv("GDB_VARIANTS_STREAM_ABOVE")) && atoll(env) > 0 &&
	    (size_t)atoll(env) < GDB_NS_MAX_FILE)
		x->stream_above = (size_t)atoll(env);
	x->names = calloc(n, sizeof(char *));
	x->sets = calloc(n, sizeof(gdb_vset *));
	if (!x->names || !x->sets) {
		destroy(x);
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		char err[256];
		const char *name = gdb_vset_name(s, i);
		if (gdb_vset_open(s, c, name, &x->sets[x->n], err,
				  sizeof(err)) < 0) {
			gdb_log(GDB_LOG_ERROR, "/variants/%s: %s", name, err);
			continue; /* a damaged set stays out; others serve */
		}
		x->names[x->n++] = (char *)gdb_vset_name(s, i);
	}
	*ctx = x;
	return &provider;
}
