/*
 * fs/ns/variants_ns.c - the /variants tree: a computed namespace
 * (fs/ns/ns.h) whose files are variant-set answers (variants/variants.h),
 * rendered whole at lookup so their sizes are exact. Grammar and layouts:
 * docs/PATHS.md, "Variants".
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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/ns/ns.h"
#include "variants/variants.h"

/* Worker threads a statistics answer may use (the machine's two cores). */
#define STAT_THREADS 2
#define MAX_COMPONENTS 4

typedef struct vctx {
	uint32_t n;
	char **names;
	gdb_vset **sets;
} vctx;

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

static int records(gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
		   int fmt, const struct vparams *p, char **data, size_t *len,
		   char *err, size_t errlen)
{
	gdb_vsamples sub = {0};
	int rc;

	if (p->samples && p->pop) {
		gdb_seterr(err, errlen,
			   "parameter 'pop': give samples= or "
			   "pop=, not both");
		return -EINVAL;
	}
	if ((p->samples || p->pop) &&
	    gdb_vset_select(v, p->samples ? p->samples : p->pop, p->pop != NULL,
			    &sub, err, errlen) < 0)
		return -ENOENT;
	rc = gdb_vset_render(v, contig, beg, end,
			     p->samples || p->pop ? &sub : NULL,
			     (enum gdb_vfmt)fmt, GDB_NS_MAX_FILE, data, len);
	gdb_vsamples_free(&sub);
	return rc;
}

static int stats(gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
		 int fmt, const struct vparams *p, char **data, size_t *len,
		 char *err, size_t errlen)
{
	gdb_vstat_opts o = {.stat = (enum gdb_vstat)(-1 - fmt),
			    .by = (enum gdb_vgroup_by)p->by,
			    .threads = STAT_THREADS,
			    .window = p->window};
	int rc =
	    gdb_vset_stats(v, contig, beg, end, &o, GDB_NS_MAX_FILE, data, len);

	if (rc == -EINVAL)
		return -ENOENT; /* no panel, or one group for Fst */
	if (rc == -E2BIG)
		gdb_seterr(err, errlen,
			   "Fst of more than 500,000 pairs of "
			   "groups: use a coarser by=");
	return rc;
}

/* <start>-<end>[@params]<ext> in a contig's directory. */
static int region_file(gdb_vset *v, uint32_t contig, char *name, char **data,
		       size_t *len, char *err, size_t errlen)
{
	const struct vkind *k = NULL;
	struct vparams p = {0};
	char *range, *params;
	int64_t clen, beg, end;
	int rc;

	for (size_t i = 0; i < NKINDS && !k; i++)
		if (gdb_path_split(name, kinds[i].ext, &range, &params) == 0)
			k = &kinds[i];
	gdb_vset_contig(v, contig, &clen);
	if (!k || gdb_path_range(range, strlen(range), clen, &beg, &end) < 0)
		return -ENOENT;
	GDB_TRY(gdb_params_parse(k->spec, k->nspec, params, &p, err, errlen));
	if (k->fmt >= 0)
		rc = records(v, contig, beg, end, k->fmt, &p, data, len, err,
			     errlen);
	else
		rc = stats(v, contig, beg, end, k->fmt, &p, data, len, err,
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
	if (!(copy = strdup(path)))
		return -ENOMEM;
	n = rc = locate(x, copy, comp, &si, &ci);
	if (n == 1 || (n == 2 && ci >= 0)) {
		rc = GDB_NS_DIR;
	} else if (n == 2) {
		rc = gdb_vset_samples_tsv(x->sets[si], data, len);
	} else if (n == 3) {
		rc = region_file(x->sets[si], (uint32_t)ci, comp[2], data, len,
				 err, errlen);
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

static void destroy(void *ctx)
{
	vctx *x = ctx;

	for (uint32_t i = 0; x && i < x->n; i++)
		gdb_vset_close(x->sets[i]);
	if (x) {
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
};

const gdb_ns_provider *gdb_variants_ns_create(const gdb_store *s, gdb_cache *c,
					      gdb_inbox *inbox, void **ctx)
{
	uint32_t n = gdb_vset_count(s);
	vctx *x;

	(void)inbox;
	if (!n || !(x = calloc(1, sizeof(*x))))
		return NULL;
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
