/*
 * fs/variants_ns.c - the /variants tree: a computed namespace (fs/ns.h)
 * whose files are variant-set answers (variants/variants.h), rendered
 * whole at lookup so their sizes are exact. Grammar and layouts:
 * docs/PATHS.md, "Variants".
 *
 *   <set>/samples.tsv
 *   <set>/<contig>/<start>-<end>[@k=v,...].vcf|.vcf.gz|.bcf|.sites.tsv|
 *                  .gt.npy|.af.tsv|.fst.tsv|.summary.tsv
 *
 * The name parsing lives in the small functions below (range, parameter
 * list), so it can move to a shared path grammar without touching the
 * dispatch.
 *
 * Threading: the sets are immutable once opened; every call works on its
 * own buffers, so resolve and list run concurrently.
 */
#define _GNU_SOURCE
#include "fs/ns.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/render.h"
#include "variants/variants.h"

const gdb_ns_provider *gdb_variants_ns_create(const gdb_store *s, gdb_cache *c,
					      gdb_inbox *inbox, void **ctx);

/* Worker threads a statistics answer may use (the machine's two cores). */
#define STAT_THREADS 2

typedef struct vctx {
	uint32_t n;
	char **names;
	gdb_vset **sets;
} vctx;

static const struct {
	const char *ext;
	int fmt;		/* enum gdb_vfmt, or -1 - enum gdb_vstat */
} exts[] = {
	{".vcf", GDB_VF_VCF},	      {".vcf.gz", GDB_VF_VCFGZ},
	{".bcf", GDB_VF_BCF},	      {".sites.tsv", GDB_VF_SITES},
	{".gt.npy", GDB_VF_GTNPY},    {".af.tsv", -1 - GDB_VSTAT_AF},
	{".fst.tsv", -1 - GDB_VSTAT_FST}, {".summary.tsv", -1 - GDB_VSTAT_SUMMARY},
};

/* ---- name grammar ---- */

/* A decimal of 1-18 digits without sign or leading zero. */
static int number(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;

	if (n == 0 || n > 18 || (s[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* "<start>-<end>" (1-based inclusive) -> [beg, end) clamped to len. */
static int range(const char *s, size_t n, int64_t len, int64_t *beg,
		 int64_t *end)
{
	const char *dash = memchr(s, '-', n);
	int64_t a, b;

	if (!dash || number(s, (size_t)(dash - s), &a) < 0 ||
	    number(dash + 1, n - (size_t)(dash - s) - 1, &b) < 0 || a < 1 ||
	    b < a || a > len)
		return -1;
	*beg = a - 1;
	*end = b < len ? b : len;
	return 0;
}

struct params {
	const char *samples, *pop, *by;
	int64_t window;
};

/* "k=v,k=v" after '@'; values may be lists (samples=A,B,C or pop=CEU,GBR):
 * a value runs to the next ",k=" that names a known key. */
static int parse_params(char *p, struct params *o)
{
	static const char *const keys[] = {"samples=", "pop=", "by=",
					   "window="};
	char *cur = p;

	memset(o, 0, sizeof(*o));
	while (cur && *cur) {
		char *next = NULL, *val;
		int k;
		for (k = 0; k < 4; k++)
			if (!strncmp(cur, keys[k], strlen(keys[k])))
				break;
		if (k == 4)
			return -1;
		val = cur + strlen(keys[k]);
		for (char *c = strchr(val, ','); c; c = strchr(c + 1, ','))
			for (int j = 0; j < 4 && !next; j++)
				if (!strncmp(c + 1, keys[j], strlen(keys[j])))
					next = c;
		if (next)
			*next++ = 0;
		if (!*val)
			return -1;
		if (k == 0 && !o->samples)
			o->samples = val;
		else if (k == 1 && !o->pop)
			o->pop = val;
		else if (k == 2 && !o->by)
			o->by = val;
		else if (k == 3 && !o->window) {
			if (number(val, strlen(val), &o->window) < 0 ||
			    o->window < 1)
				return -1;
		} else
			return -1;
		cur = next;
	}
	return 0;
}

/* Split "<range>[@params]<ext>". @return the ext index, or -1. */
static int split_name(char *name, char **params)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t e = strlen(exts[i].ext);
		if (n > e && !strcmp(name + n - e, exts[i].ext)) {
			char *at;
			/* .vcf must not claim x.vcf.gz's tail: longest wins
			 * since ".gz" is not ".vcf" */
			name[n - e] = 0;
			at = strchr(name, '@');
			*params = NULL;
			if (at) {
				*at = 0;
				*params = at + 1;
			}
			return (int)i;
		}
	}
	return -1;
}

/* ---- answers ---- */

static int region_file(gdb_vset *v, uint32_t contig, char *name,
		       char **data, size_t *len, char *err, size_t errlen)
{
	gdb_vsamples sub = {0}, *subp = NULL;
	struct params pr;
	char *params;
	int64_t clen, beg, end;
	int e = split_name(name, &params), fmt, rc;

	gdb_vset_contig(v, contig, &clen);
	if (e < 0 || range(name, strlen(name), clen, &beg, &end) < 0)
		return -ENOENT;
	fmt = exts[e].fmt;
	if (params && parse_params(params, &pr) < 0)
		return -ENOENT;
	if (!params)
		memset(&pr, 0, sizeof(pr));
	if (pr.samples && pr.pop)
		return -ENOENT;
	if (pr.samples || pr.pop) {
		if (fmt < 0 || fmt == GDB_VF_SITES)
			return -ENOENT;
		if (gdb_vset_select(v, pr.samples ? pr.samples : pr.pop,
				    pr.pop != NULL, &sub, err, errlen) < 0)
			return -ENOENT;
		subp = &sub;
	}
	if (fmt >= 0) {
		if (pr.by || pr.window)
			return -ENOENT;
		rc = gdb_vset_render(v, contig, beg, end, subp,
				     (enum gdb_vfmt)fmt, GDB_NS_MAX_FILE, data,
				     len);
	} else {
		gdb_vstat_opts o = {.stat = (enum gdb_vstat)(-1 - fmt),
				    .by = GDB_VBY_POPULATION,
				    .threads = STAT_THREADS};
		if (pr.by && !strcmp(pr.by, "superpopulation"))
			o.by = GDB_VBY_SUPERPOPULATION;
		else if (pr.by && !strcmp(pr.by, "sample"))
			o.by = GDB_VBY_SAMPLE;
		else if (pr.by && strcmp(pr.by, "population"))
			return -ENOENT;
		if (pr.window && o.stat != GDB_VSTAT_FST)
			return -ENOENT;
		o.window = pr.window;
		rc = gdb_vset_stats(v, contig, beg, end, &o, GDB_NS_MAX_FILE,
				    data, len);
		if (rc == -EINVAL)
			rc = -ENOENT; /* no panel, or one group for Fst */
		else if (rc == -E2BIG)
			gdb_seterr(err, errlen, "Fst of more than 500,000 pairs "
						"of groups: use a coarser by=");
	}
	gdb_vsamples_free(&sub);
	if (rc == -EFBIG)
		gdb_seterr(err, errlen, "answer over %zu bytes: ask for a "
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

static int resolve(void *ctx, const char *path, char **data, size_t *len,
		   unsigned *flags, char *err, size_t errlen)
{
	vctx *x = ctx;
	char *copy, *comp[4], *save = NULL, cname[GDB_NAME_MAX + 1];
	int n = 0, si, ci, rc;

	*flags = 0;
	if (!*path)
		return GDB_NS_DIR;
	if (!(copy = strdup(path)))
		return -ENOMEM;
	for (char *t = strtok_r(copy, "/", &save); t;
	     t = strtok_r(NULL, "/", &save))
		comp[n < 4 ? n : 3] = t, n++;
	rc = -ENOENT;
	if (n > 3 || (si = find_set(x, comp[0])) < 0)
		goto out;
	if (n == 1) {
		rc = GDB_NS_DIR;
	} else if (n == 2 && !strcmp(comp[1], "samples.tsv")) {
		rc = gdb_vset_samples_tsv(x->sets[si], data, len);
		rc = rc < 0 ? rc : GDB_NS_FILE;
	} else if (gdb_path_unescape(comp[1], cname, sizeof(cname)) == 0 &&
		   (ci = gdb_vset_contig_find(x->sets[si], cname)) >= 0) {
		if (n == 2)
			rc = GDB_NS_DIR;
		else {
			rc = region_file(x->sets[si], (uint32_t)ci, comp[2],
					 data, len, err, errlen);
			rc = rc < 0 ? rc : GDB_NS_FILE;
		}
	}
out:
	free(copy);
	return rc;
}

static int list(void *ctx, const char *path,
		int (*emit)(void *arg, const char *name, int is_dir), void *arg)
{
	vctx *x = ctx;
	const char *slash = strchr(path, '/');
	char set[GDB_NAME_MAX + 1], buf[3 * GDB_NAME_MAX + 64];
	int si;

	if (!*path) {
		for (uint32_t i = 0; i < x->n; i++)
			if (emit(arg, x->names[i], 1))
				break;
		return 0;
	}
	snprintf(set, sizeof(set), "%.*s",
		 (int)(slash ? (size_t)(slash - path) : strlen(path)), path);
	if ((si = find_set(x, set)) < 0)
		return -ENOENT;
	if (!slash) {
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
	{
		char cname[GDB_NAME_MAX + 1];
		int64_t clen;
		int ci;
		if (strchr(slash + 1, '/') ||
		    gdb_path_unescape(slash + 1, cname, sizeof(cname)) < 0 ||
		    (ci = gdb_vset_contig_find(x->sets[si], cname)) < 0)
			return -ENOENT;
		gdb_vset_contig(x->sets[si], (uint32_t)ci, &clen);
		for (size_t i = 0; i < 5; i++) {
			snprintf(buf, sizeof(buf), "1-%lld%s", (long long)clen,
				 exts[i].ext);
			if (emit(arg, buf, 0))
				break;
		}
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
