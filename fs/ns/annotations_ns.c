/*
 * fs/ns/annotations_ns.c - the /annotations tree: a computed namespace
 * (fs/ns/ns.h) over the annotation sets of the store (annotations/).
 *
 *   <set>/<contig>/<start>-<end>.bed | .gff3 | .gtf   overlapping features
 *   <set>/genes/<name>.bed | .gff3 | .fa              a gene (any of its names)
 *   <set>/transcripts/<id>.fa | .cds.fa | .faa[@table=N]   spliced, translated
 *
 * What it is: path parsing and dispatch to annotations/annotations.h,
 * which renders every answer whole (so sizes are exact). Coordinates in
 * names are 1-based inclusive, the end clamped to the contig; contig,
 * gene and transcript names are escaped as contig names are everywhere
 * (%2F, %25, %2E). Names are read by the mount's one grammar
 * (fs/ns/pathname.c): regions by gdb_path_range, parameters by
 * gdb_params_parse (a bad one is EINVAL naming it). Contract: PATHS.md
 * "Annotations".
 *
 * Threading: the readers are immutable and each answer is built in its
 * own buffer, so resolve and list run concurrently.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotations/annotations.h"
#include "fs/ns/ns.h"

#define MAX_PATH_BYTES 4096

typedef struct aset {
	char *name;
	gdb_annot *a; /* NULL: damaged (paths below it are EIO) */
	int rc;
} aset;

typedef struct actx {
	const gdb_store *s;
	gdb_cache *c;
	aset *sets;
	uint32_t n;
} actx;

/* ---- names ---- */

/* name ends in ext: cut it off (in place). */
static int cut_ext(char *name, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext);

	if (n <= e || strcmp(name + n - e, ext))
		return 0;
	name[n - e] = 0;
	return 1;
}

/* The one parameter, of .faa: the NCBI genetic code. */
struct faa_params {
	int64_t table;
};
static const gdb_param FAA_PARAMS[] = {
    {"table", GDB_PARAM_INT, offsetof(struct faa_params, table), 1, 99, 1,
     NULL},
};

/* The parameters of a transcript file (.faa takes table=, the others
 * none). @return 0, -EINVAL (err names the parameter) */
static int parse_table(char *params, int protein, int *table, char *err,
		       size_t errlen)
{
	struct faa_params p;

	GDB_TRY(gdb_params_parse(FAA_PARAMS, protein ? 1 : 0, params, &p, err,
				 errlen));
	if (protein && !gdb_annot_table_ok((int)p.table)) {
		gdb_seterr(err, errlen,
			   "parameter 'table': %lld is not an "
			   "NCBI genetic code",
			   (long long)p.table);
		return -EINVAL;
	}
	*table = protein ? (int)p.table : 1;
	return 0;
}

static int unescape_name(const char *esc, char *out, size_t cap)
{
	return gdb_path_unescape(esc, out, cap) < 0 ? -ENOENT : 0;
}

/* ---- answers ---- */

#define OUT_INIT                                                               \
	{                                                                      \
		.max = GDB_NS_MAX_FILE                                         \
	}

static const aset *set_find(const actx *x, const char *name)
{
	for (uint32_t i = 0; i < x->n; i++)
		if (!strcmp(x->sets[i].name, name))
			return &x->sets[i];
	return NULL;
}

/* <contig>/<start>-<end>.<ext> (any contig of the reference: one
 * without features gives an empty file) */
static int do_region(const actx *x, const gdb_annot *a, const char *cesc,
		     char *file, char **data, size_t *len, char *err,
		     size_t errlen)
{
	char contig[GDB_NAME_MAX + 1], *range = NULL, *params = NULL;
	int out = 0, id, slot, rc = 0;
	int64_t beg, end;
	gdb_buf o = OUT_INIT;
	gdb_annot_info info;

	gdb_annot_info_get(a, &info);
	if (gdb_path_split(file, ".bed", &range, &params) == 0)
		out = GDB_ANNOT_OUT_BED;
	else if (gdb_path_split(file, ".gff3", &range, &params) == 0)
		out = GDB_ANNOT_OUT_GFF3;
	else if (info.format == GDB_ANNOT_GTF &&
		 gdb_path_split(file, ".gtf", &range, &params) == 0)
		out = GDB_ANNOT_OUT_GTF;
	if (!out || unescape_name(cesc, contig, sizeof(contig)) < 0 ||
	    (id = gdb_annot_ref_contig(a, contig)) < 0 ||
	    gdb_path_range(range, strlen(range),
			   gdb_store_contig(x->s, (uint32_t)id)->length, &beg,
			   &end) < 0)
		return -ENOENT;
	/* region files take no parameters */
	GDB_TRY(gdb_params_parse(NULL, 0, params, NULL, err, errlen));
	slot = gdb_annot_contig_find(a, contig);
	if (slot >= 0)
		rc = gdb_annot_render_region(a, (uint32_t)slot, beg, end, out,
					     &o);
	return gdb_ns_answer(&o, rc, data, len, err, errlen);
}

/* genes/<name>.bed | .gff3 | .fa */
static int do_gene(const actx *x, const gdb_annot *a, char *file, char **data,
		   size_t *len, char *err, size_t errlen)
{
	char name[MAX_PATH_BYTES];
	gdb_buf o = OUT_INIT;
	int kind, rc;

	kind = cut_ext(file, ".bed")	? GDB_ANNOT_OUT_BED
	       : cut_ext(file, ".gff3") ? GDB_ANNOT_OUT_GFF3
	       : cut_ext(file, ".fa")	? 0
					: -1;
	if (kind < 0 || unescape_name(file, name, sizeof(name)) < 0)
		return -ENOENT;
	if (kind)
		rc = gdb_annot_render_gene(a, name, kind, &o);
	else
		rc = gdb_annot_render_seq(a, x->c, name, GDB_ANNOT_SEQ_GENE, 1,
					  &o);
	if (rc == -ENOENT) {
		gdb_buf_free(&o);
		return rc;
	}
	return gdb_ns_answer(&o, rc, data, len, err, errlen);
}

/* transcripts/<id>.fa | .cds.fa | .faa, <id>@table=N.faa */
static int do_transcript(const actx *x, const gdb_annot *a, char *file,
			 char **data, size_t *len, char *err, size_t errlen)
{
	char id[MAX_PATH_BYTES];
	gdb_buf o = OUT_INIT;
	int kind, table = 1, rc;
	char *at;

	kind = cut_ext(file, ".faa")	  ? GDB_ANNOT_SEQ_PROTEIN
	       : cut_ext(file, ".cds.fa") ? GDB_ANNOT_SEQ_CDS
	       : cut_ext(file, ".fa")	  ? GDB_ANNOT_SEQ_MRNA
					  : 0;
	if (!kind || unescape_name(file, id, sizeof(id)) < 0)
		return -ENOENT;
	/* an ID holding '@' is itself first; else "<id>@<params>" */
	at = strrchr(file, '@');
	if (gdb_annot_group_find(a, id) < 0 && at) {
		*at = 0;
		if (unescape_name(file, id, sizeof(id)) < 0 ||
		    gdb_annot_group_find(a, id) < 0)
			return -ENOENT;
		GDB_TRY(parse_table(at + 1, kind == GDB_ANNOT_SEQ_PROTEIN,
				    &table, err, errlen));
	}
	rc = gdb_annot_render_seq(a, x->c, id, kind, table, &o);
	if (rc == -ENOENT) {
		gdb_buf_free(&o);
		return rc;
	}
	return gdb_ns_answer(&o, rc, data, len, err, errlen);
}

/* Split path into at most 4 components (in buf). @return the count or -1. */
static int split(const char *path, char *buf, char **comp)
{
	if (strlen(path) >= MAX_PATH_BYTES)
		return -1;
	strcpy(buf, path);
	return gdb_path_components(buf, comp, 4);
}

static int ann_resolve(void *ctx, const char *path, char **data, size_t *len,
		       unsigned *flags, char *err, size_t errlen)
{
	actx *x = ctx;
	char buf[MAX_PATH_BYTES], *c[4], raw[GDB_NAME_MAX + 1];
	int n = split(path, buf, c);
	const aset *st;

	*flags = 0;
	if (n == 0)
		return GDB_NS_DIR;
	if (n < 0 || !(st = set_find(x, c[0])))
		return -ENOENT;
	if (!st->a) {
		gdb_seterr(err, errlen, "annotation set %s is damaged: %s",
			   st->name, gdb_strerror(st->rc));
		return -EIO;
	}
	if (n == 1)
		return GDB_NS_DIR;
	if (!strcmp(c[1], "genes") || !strcmp(c[1], "transcripts")) {
		if (n == 2)
			return GDB_NS_DIR;
		if (n > 3)
			return -ENOENT;
		return c[1][0] == 'g'
			   ? do_gene(x, st->a, c[2], data, len, err, errlen)
			   : do_transcript(x, st->a, c[2], data, len, err,
					   errlen);
	}
	if (unescape_name(c[1], raw, sizeof(raw)) < 0 ||
	    gdb_annot_ref_contig(st->a, raw) < 0 || n > 3)
		return -ENOENT;
	if (n == 2)
		return GDB_NS_DIR;
	return do_region(x, st->a, c[1], c[2], data, len, err, errlen);
}

/* ---- listings ---- */

static int list_contigs(const actx *x, const gdb_annot *a,
			int (*emit)(void *arg, const char *name, int is_dir),
			void *arg)
{
	gdb_annot_info info;
	char *esc;

	gdb_annot_info_get(a, &info);
	if (emit(arg, "genes", 1) || emit(arg, "transcripts", 1))
		return 0;
	for (uint32_t s = 0; s < info.ncontigs; s++) {
		const char *name = gdb_annot_contig_name(a, s);
		int stop;
		esc = malloc(strlen(name) * 3 + 1);
		if (!esc)
			return -ENOMEM;
		gdb_path_escape(name, esc);
		stop = emit(arg, esc, 1);
		free(esc);
		if (stop)
			break;
	}
	(void)x;
	return 0;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Emit the three files of each name (escaped), each name once. */
static int emit_names(const char **names, size_t n, int genes,
		      int (*emit)(void *arg, const char *name, int is_dir),
		      void *arg)
{
	static const char *const gx[] = {".bed", ".gff3", ".fa"};
	static const char *const tx[] = {".fa", ".cds.fa", ".faa"};
	char buf[MAX_PATH_BYTES];

	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if ((i && !strcmp(names[i], names[i - 1])) ||
		    strlen(names[i]) * 3 + 8 >= sizeof(buf))
			continue;
		gdb_path_escape(names[i], buf);
		for (int k = 0; k < 3; k++) {
			size_t l = strlen(buf);
			strcat(buf, genes ? gx[k] : tx[k]);
			if (emit(arg, buf, 0))
				return 0;
			buf[l] = 0;
		}
	}
	return 0;
}

/* genes/: each gene by its Name (else ID); transcripts/: every ID with
 * exons or CDS. Three files each; a name two genes share, once. */
static int list_names(const gdb_annot *a, int genes,
		      int (*emit)(void *arg, const char *name, int is_dir),
		      void *arg)
{
	gdb_annot_info info;
	const char **names;
	size_t n = 0;
	int rc;

	gdb_annot_info_get(a, &info);
	names = malloc(((size_t)info.ngroups + 1) * sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (uint32_t g = 0; g < info.ngroups; g++) {
		gdb_annot_group gr;
		gdb_annot_group_get(a, g, &gr);
		if (genes ? gr.gene : gdb_annot_is_transcript(a, g))
			names[n++] = genes && *gr.name ? gr.name : gr.id;
	}
	rc = emit_names(names, n, genes, emit, arg);
	free(names);
	return rc;
}

static int ann_list(void *ctx, const char *path,
		    int (*emit)(void *arg, const char *name, int is_dir),
		    void *arg)
{
	actx *x = ctx;
	char buf[MAX_PATH_BYTES], *c[4], raw[GDB_NAME_MAX + 1], name[64];
	int n = split(path, buf, c), id;
	const aset *st;

	if (n == 0) {
		for (uint32_t i = 0; i < x->n; i++)
			if (emit(arg, x->sets[i].name, 1))
				break;
		return 0;
	}
	if (n < 0 || !(st = set_find(x, c[0])))
		return -ENOENT;
	if (!st->a)
		return -EIO;
	if (n == 1)
		return list_contigs(x, st->a, emit, arg);
	if (n == 2 && (!strcmp(c[1], "genes") || !strcmp(c[1], "transcripts")))
		return list_names(st->a, c[1][0] == 'g', emit, arg);
	if (n != 2 || unescape_name(c[1], raw, sizeof(raw)) < 0 ||
	    (id = gdb_annot_ref_contig(st->a, raw)) < 0)
		return -ENOENT;
	snprintf(name, sizeof(name), "1-%lld.bed",
		 (long long)gdb_store_contig(x->s, (uint32_t)id)->length);
	if (emit(arg, name, 0))
		return 0;
	strcpy(strrchr(name, '.'), ".gff3");
	return emit(arg, name, 0) ? 0 : 0;
}

static void ann_destroy(void *ctx)
{
	actx *x = ctx;

	for (uint32_t i = 0; i < x->n; i++) {
		gdb_annot_close(x->sets[i].a);
		free(x->sets[i].name);
	}
	free(x->sets);
	free(x);
}

static const gdb_ns_provider annotations_provider = {
    .name = "annotations",
    .inbox = NULL,
    .resolve = ann_resolve,
    .list = ann_list,
    .destroy = ann_destroy,
};

static int add_set(void *arg, const char *name)
{
	actx *x = arg;
	aset *s = &x->sets[x->n];
	char err[512];

	s->name = strdup(name);
	if (!s->name)
		return 1;
	s->rc = gdb_annot_open(x->s, name, &s->a, err, sizeof(err));
	if (s->rc < 0) {
		s->a = NULL;
		gdb_log(GDB_LOG_ERROR,
			"annotations: %s; /annotations/%s "
			"answers EIO",
			err, name);
	}
	x->n++;
	return 0;
}

const gdb_ns_provider *gdb_annotations_ns_create(const gdb_store *s,
						 gdb_cache *c, gdb_inbox *inbox,
						 void **ctx)
{
	uint32_t n = gdb_annot_list(s, NULL, NULL);
	actx *x;

	(void)inbox;
	if (!n)
		return NULL;
	x = calloc(1, sizeof(*x));
	if (!x || !(x->sets = calloc(n, sizeof(*x->sets)))) {
		free(x);
		return NULL;
	}
	x->s = s;
	x->c = c;
	gdb_annot_list(s, add_set, x);
	*ctx = x;
	return &annotations_provider;
}
