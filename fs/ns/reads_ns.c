/*
 * fs/ns/reads_ns.c - the /reads tree: a computed namespace (fs/ns/ns.h)
 * over the store's reads objects (reads/reads.h). Path grammar:
 * docs/PATHS.md, "Reads".
 *
 *   /reads/<sample>/<sample>.bam, .bam.bai     the whole sample (ranged)
 *   /reads/<sample>/<contig>/<start>-<end>[@k=v,...].bam|.sam|.cram|.depth.u32
 *   /reads/<set>/<set>.fq, <set>_1.fq, <set>_2.fq   whole FASTQ (ranged)
 *   /reads/<set>/<n>-<m>.fq, <n>-<m>_1.fq, _2.fq    records n..m
 *   /reads/<set>/names/<read-name>.fq
 *
 * What it is: names cut by the shared grammar (fs/ns/pathname.c: ranges,
 * "<stem>@<params><ext>", escapes; the filter's parameters are read by
 * gdb_reads_filter_parse, which the CLI's --filter shares, as 0x hex is
 * allowed there) and dispatch to reads/. Whole files are ranged (size at
 * lookup, bytes per read: the daemon holds none of them); every other file
 * is rendered whole at lookup, up to GDB_NS_MAX_FILE. Files carry
 * user.gdb.lossless (and the quality mode of FASTQ sets, the assembly of
 * samples) as xattrs.
 *
 * Threading: readers are shared; every call works on its own buffers.
 */
#define _GNU_SOURCE
#include "fs/ns/ns.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reads/reads.h"

#define MAX_NAME 4096

typedef struct rctx {
	gdb_reads **r;
	uint32_t n;
} rctx;

/* path copied into buf and cut into at most 4 components. @return count,
 * or -1 (too long, too many) */
static int split_path(const char *path, char *buf, size_t cap, char **comp)
{
	if (strlen(path) >= cap)
		return -1;
	strcpy(buf, path);
	return gdb_path_components(buf, comp, 4);
}

/* ---- readers ---- */

static gdb_reads *find(const rctx *x, const char *name)
{
	for (uint32_t i = 0; i < x->n; i++) {
		gdb_reads_info in;
		gdb_reads_get_info(x->r[i], &in);
		if (!strcmp(in.name, name))
			return x->r[i];
	}
	return NULL;
}

struct opening {
	rctx *x;
	const gdb_store *s;
	gdb_cache *c;
};

static int add_reader(void *arg, const char *name)
{
	struct opening *a = arg;
	char err[256];
	gdb_reads *r, **p;

	if (gdb_reads_open(a->s, a->c, name, &r, err, sizeof(err)) < 0) {
		gdb_log(GDB_LOG_ERROR, "/reads/%s is not served: %s", name,
			err);
		return 0;
	}
	p = realloc(a->x->r, (a->x->n + 1) * sizeof(*p));
	if (!p) {
		gdb_reads_close(r);
		return 0;
	}
	a->x->r = p;
	p[a->x->n++] = r;
	return 0;
}

/* ---- aligned samples ---- */

static const struct {
	const char *ext;
	int fmt;
} aln_fmts[] = {
    {".depth.u32", GDB_READS_DEPTH_U32},
    {".bam", GDB_READS_BAM},
    {".sam", GDB_READS_SAM},
    {".cram", GDB_READS_CRAM},
};

/* Depth files larger than this are ranged: computed per read. */
#define RANGED_DEPTH ((uint64_t)16 << 20)

/*
 * A region file's name: <start>-<end>[@params].<ext> in the directory of
 * target tid; [*beg, *end) 0-based, clamped.
 * @return 0; -ENOENT (not such a name); -EINVAL (malformed parameters:
 *         err names them, as every namespace's bad parameter is)
 */
static int parse_region_file(gdb_reads *r, uint32_t tid, const char *name,
			     int *fmt, int64_t *beg, int64_t *end,
			     gdb_reads_filter *f, char *err, size_t errlen)
{
	char buf[MAX_NAME], *stem, *params;
	int64_t tlen = 0;

	if (strlen(name) >= sizeof(buf))
		return -ENOENT;
	strcpy(buf, name);
	gdb_reads_target(r, tid, &tlen);
	for (size_t i = 0; i < sizeof(aln_fmts) / sizeof(aln_fmts[0]); i++) {
		if (gdb_path_split(buf, aln_fmts[i].ext, &stem, &params) < 0)
			continue;
		if (gdb_path_range(stem, strlen(stem), tlen, beg, end) < 0)
			return -ENOENT;
		gdb_reads_filter_init(f);
		if (params && (!*params || gdb_reads_filter_parse(
					       params, f, err, errlen) < 0)) {
			if (!*params)
				gdb_seterr(err, errlen, "empty parameters");
			return -EINVAL;
		}
		*fmt = aln_fmts[i].fmt;
		return 0;
	}
	return -ENOENT;
}

static int region_file(gdb_reads *r, uint32_t tid, const char *name,
		       char **data, size_t *len, char *err, size_t errlen)
{
	gdb_reads_filter f;
	int64_t beg, end;
	int fmt, rc = parse_region_file(r, tid, name, &fmt, &beg, &end, &f, err,
					errlen);

	if (rc < 0)
		return rc;
	rc = gdb_reads_render_region(r, fmt, tid, beg, end, &f, GDB_NS_MAX_FILE,
				     data, len, err, errlen);
	return rc < 0 ? rc : GDB_NS_FILE;
}

static int resolve_aligned(gdb_reads *r, char **comp, int nc, char **data,
			   size_t *len, char *err, size_t errlen)
{
	gdb_reads_info in;
	char want[MAX_NAME], raw[GDB_NAME_MAX + 1];
	int tid;

	gdb_reads_get_info(r, &in);
	snprintf(want, sizeof(want), "%s.bam.bai", in.name);
	if (nc == 2 && !strcmp(comp[1], want)) {
		const void *bai;
		size_t n;
		int rc = gdb_reads_bai(r, &bai, &n);
		if (rc < 0)
			return rc;
		*data = malloc(n ? n : 1);
		if (!*data)
			return -ENOMEM;
		memcpy(*data, bai, n);
		*len = n;
		return GDB_NS_FILE;
	}
	if (gdb_path_unescape(comp[1], raw, sizeof(raw)) < 0 ||
	    (tid = gdb_reads_target_find(r, raw)) < 0)
		return -ENOENT;
	if (nc == 2)
		return GDB_NS_DIR;
	return nc == 3 ? region_file(r, (uint32_t)tid, comp[2], data, len, err,
				     errlen)
		       : -ENOENT;
}

/* ---- FASTQ sets ---- */

/* "<stem>[@params].fq", "<stem>_1.fq", "<stem>_2.fq" (name is cut in
 * place): which file; -1 if name is none of these (or a mate of a single
 * set). */
static int parse_fq_name(char *name, int paired, char **stem, char **params)
{
	size_t sl;

	if (gdb_path_split(name, ".fq", stem, params) < 0)
		return -1;
	sl = strlen(*stem);
	if (sl >= 2 && (*stem)[sl - 2] == '_' &&
	    ((*stem)[sl - 1] == '1' || (*stem)[sl - 1] == '2')) {
		(*stem)[sl - 2] = 0;
		return paired ? (*stem)[sl - 1] - '0' : -1;
	}
	return GDB_READS_FQ_ALL;
}

/* <n>-<m>.fq (and _1, _2): records n..m; names/<read-name>.fq */
static int resolve_fastq(gdb_reads *r, char **comp, int nc, char **data,
			 size_t *len, char *err, size_t errlen)
{
	gdb_reads_info in;
	char raw[MAX_NAME], *stem, *params;
	int64_t beg, end;
	int which, rc;

	gdb_reads_get_info(r, &in);
	if (nc == 2 && !strcmp(comp[1], "names"))
		return GDB_NS_DIR;
	if (nc == 3 && !strcmp(comp[1], "names")) {
		/* a read's name may hold '@': no parameters here */
		size_t nl = strlen(comp[2]);
		if (nl <= 3 || strcmp(comp[2] + nl - 3, ".fq"))
			return -ENOENT;
		comp[2][nl - 3] = 0;
		if (gdb_path_unescape(comp[2], raw, sizeof(raw)) < 0)
			return -ENOENT;
		rc = gdb_reads_fq_render_name(r, raw, GDB_NS_MAX_FILE, data,
					      len);
		return rc < 0 ? rc : GDB_NS_FILE;
	}
	if (nc != 2 ||
	    (which = parse_fq_name(comp[1], in.paired, &stem, &params)) < 0 ||
	    gdb_path_range(stem, strlen(stem), (int64_t)in.records, &beg,
			   &end) < 0)
		return -ENOENT;
	/* record ranges take no parameters */
	GDB_TRY(gdb_params_parse(NULL, 0, params, NULL, err, errlen));
	rc = gdb_reads_fq_render_range(r, which, (uint64_t)beg,
				       (uint64_t)end - 1, GDB_NS_MAX_FILE, data,
				       len);
	return rc < 0 ? rc : GDB_NS_FILE;
}

static int resolve(void *ctx, const char *path, char **data, size_t *len,
		   unsigned *flags, char *err, size_t errlen)
{
	rctx *x = ctx;
	char buf[MAX_NAME], *comp[4];
	gdb_reads *r;
	gdb_reads_info in;
	int nc, rc;

	*flags = 0;
	nc = split_path(path, buf, sizeof(buf), comp);
	if (nc == 0)
		return GDB_NS_DIR;
	if (nc < 0 || !(r = find(x, comp[0])))
		return -ENOENT;
	if (nc == 1)
		return GDB_NS_DIR;
	gdb_reads_get_info(r, &in);
	rc = in.kind == GDB_READS_ALIGNED
		 ? resolve_aligned(r, comp, nc, data, len, err, errlen)
		 : resolve_fastq(r, comp, nc, data, len, err, errlen);
	if (rc == -EFBIG && !err[0])
		snprintf(err, errlen,
			 "answer larger than %zu bytes: ask for a "
			 "smaller region",
			 GDB_NS_MAX_FILE);
	return rc;
}

/* ---- ranged whole files ---- */

static ssize_t read_bam(void *ctx, void *dst, size_t n, uint64_t off)
{
	return gdb_reads_bam_pread(ctx, dst, n, off);
}

/* A depth file too large to hold: counts computed for each read. */
typedef struct depth_file {
	gdb_reads *r;
	uint32_t tid;
	int64_t beg, end;
	gdb_reads_filter f;
} depth_file;

static ssize_t read_depth(void *ctx, void *dst, size_t n, uint64_t off)
{
	depth_file *d = ctx;
	int64_t a = d->beg + (int64_t)(off / 4);
	int64_t b = d->beg + (int64_t)((off + n + 3) / 4);
	uint32_t *v = malloc((size_t)(b - a) * 4);
	int rc;

	if (!v)
		return -ENOMEM;
	rc = gdb_reads_depth(d->r, d->tid, a, b, &d->f, v);
	if (rc == 0) {
		for (int64_t i = 0; i < b - a; i++)
			gdb_put_le32(&v[i], v[i]);
		memcpy(dst, (char *)v + off % 4, n);
	}
	free(v);
	return rc < 0 ? rc : (ssize_t)n;
}

static int open_depth(gdb_reads *r, char **comp, gdb_ns_ranged *out)
{
	char raw[GDB_NAME_MAX + 1], err[8];
	depth_file d, *p;
	int tid, fmt;

	/* a name resolve refuses is left to it (its error, its message) */
	if (gdb_path_unescape(comp[1], raw, sizeof(raw)) < 0 ||
	    (tid = gdb_reads_target_find(r, raw)) < 0 ||
	    parse_region_file(r, (uint32_t)tid, comp[2], &fmt, &d.beg, &d.end,
			      &d.f, err, sizeof(err)) < 0 ||
	    fmt != GDB_READS_DEPTH_U32 ||
	    (uint64_t)(d.end - d.beg) * 4 <= RANGED_DEPTH)
		return -ENOENT;
	d.r = r;
	d.tid = (uint32_t)tid;
	if (!(p = malloc(sizeof(*p))))
		return -ENOMEM;
	*p = d;
	out->size = (uint64_t)(d.end - d.beg) * 4;
	out->ctx = p;
	out->read = read_depth;
	out->release = free;
	return 0;
}

/* A whole FASTQ file of a set: which in the low bits of the pointer. */
typedef struct fq_file {
	gdb_reads *r;
	int which;
} fq_file;

static ssize_t read_fq(void *ctx, void *dst, size_t n, uint64_t off)
{
	fq_file *f = ctx;

	return gdb_reads_fq_pread(f->r, f->which, dst, n, off);
}

static int open_fastq(gdb_reads *r, char *name, gdb_ns_ranged *out)
{
	gdb_reads_info in;
	char *stem, *params;
	fq_file *f;
	int which;

	gdb_reads_get_info(r, &in);
	which = parse_fq_name(name, in.paired, &stem, &params);
	if (which < 0 || params || strcmp(stem, in.name))
		return -ENOENT;
	if (!(f = malloc(sizeof(*f))))
		return -ENOMEM;
	f->r = r;
	f->which = which;
	out->size = gdb_reads_fq_size(r, which);
	out->ctx = f;
	out->read = read_fq;
	out->release = free;
	return 0;
}

static int open_ranged(void *ctx, const char *path, gdb_ns_ranged *out,
		       char *err, size_t errlen)
{
	rctx *x = ctx;
	char buf[MAX_NAME], *comp[4], want[MAX_NAME];
	gdb_reads *r;
	gdb_reads_info in;
	int nc;

	(void)err;
	(void)errlen;
	nc = split_path(path, buf, sizeof(buf), comp);
	if (nc < 2 || nc > 3 || !(r = find(x, comp[0])))
		return -ENOENT;
	gdb_reads_get_info(r, &in);
	memset(out, 0, sizeof(*out));
	if (nc == 3)
		return in.kind == GDB_READS_ALIGNED ? open_depth(r, comp, out)
						    : -ENOENT;
	if (in.kind == GDB_READS_FASTQ)
		return open_fastq(r, comp[1], out);
	snprintf(want, sizeof(want), "%s.bam", in.name);
	if (in.kind == GDB_READS_ALIGNED && !strcmp(comp[1], want)) {
		out->size = gdb_reads_bam_size(r);
		out->ctx = r;
		out->read = read_bam;
		return 0;
	}
	return -ENOENT;
}

/* ---- listing and attributes ---- */

static int list(void *ctx, const char *path,
		int (*emit)(void *arg, const char *name, int is_dir), void *arg)
{
	rctx *x = ctx;
	char buf[MAX_NAME], *comp[4], name[MAX_NAME];
	gdb_reads *r;
	gdb_reads_info in;
	int nc;

	nc = split_path(path, buf, sizeof(buf), comp);
	if (nc == 0) {
		for (uint32_t i = 0; i < x->n; i++) {
			gdb_reads_get_info(x->r[i], &in);
			if (emit(arg, in.name, 1))
				break;
		}
		return 0;
	}
	if (nc != 1 || !(r = find(x, comp[0])))
		return nc > 1 ? 0 : -ENOENT; /* lookup-only directories */
	gdb_reads_get_info(r, &in);
	if (in.kind == GDB_READS_FASTQ) {
		static const char *const suffix[] = {".fq", "_1.fq", "_2.fq"};
		for (int k = 0; k < (in.paired ? 3 : 1); k++) {
			snprintf(name, sizeof(name), "%s%s", in.name,
				 suffix[k]);
			if (emit(arg, name, 0))
				return 0;
		}
		emit(arg, "names", 1);
		return 0;
	}
	snprintf(name, sizeof(name), "%s.bam", in.name);
	if (emit(arg, name, 0))
		return 0;
	snprintf(name, sizeof(name), "%s.bam.bai", in.name);
	if (emit(arg, name, 0))
		return 0;
	for (uint32_t t = 0; t < in.ntargets; t++) {
		const char *tn = gdb_reads_target(r, t, NULL);
		if (strlen(tn) * 3 + 1 > sizeof(name))
			continue;
		gdb_path_escape(tn, name);
		if (emit(arg, name, 1))
			break;
	}
	return 0;
}

static int xattr(void *ctx, const char *path, unsigned i, const char **name,
		 char *val, size_t cap)
{
	rctx *x = ctx;
	char buf[MAX_NAME], *comp[4];
	gdb_reads *r;
	gdb_reads_info in;

	if (split_path(path, buf, sizeof(buf), comp) < 1 ||
	    !(r = find(x, comp[0])))
		return -ENOENT;
	gdb_reads_get_info(r, &in);
	switch (i) {
	case 0:
		*name = "user.gdb.lossless";
		return snprintf(val, cap, "%d", in.lossless);
	case 1:
		*name = in.kind == GDB_READS_ALIGNED ? "user.gdb.assembly"
						     : "user.gdb.qualities";
		return snprintf(val, cap, "%s",
				in.kind == GDB_READS_ALIGNED ? in.assembly
							     : in.quals);
	default:
		return -ENOENT;
	}
}

static void destroy(void *ctx)
{
	rctx *x = ctx;

	for (uint32_t i = 0; i < x->n; i++)
		gdb_reads_close(x->r[i]);
	free(x->r);
	free(x);
}

static const gdb_ns_provider provider = {
    .name = "reads",
    .inbox = NULL,
    .resolve = resolve,
    .list = list,
    .destroy = destroy,
    .open_ranged = open_ranged,
    .xattr = xattr,
};

const gdb_ns_provider *gdb_reads_ns_create(const gdb_store *s, gdb_cache *c,
					   gdb_inbox *inbox, void **ctx)
{
	rctx *x = calloc(1, sizeof(*x));
	struct opening a = {x, s, c};

	(void)inbox;
	if (!x)
		return NULL;
	gdb_reads_list(s, add_reader, &a);
	if (!x->n) {
		free(x);
		return NULL;
	}
	*ctx = x;
	return &provider;
}
