/*
 * annotations/render.c - the answer files: features of a region and a
 * gene's family as BED, GFF3 or the source's own lines (docs/PATHS.md,
 * "Annotations").
 *
 * A set keeps its source lines, so the source's format is served as it
 * was written (with the reference's contig name in the seqid column): a
 * GFF3 set's .gff3, a GTF set's .gtf, a BED set's .bed. Other formats are
 * converted line by line:
 *   - BED6 of a GFF3/GTF line: chrom, start - 1, end, name, score (0 for
 *     "."), strand ("." for "?"); name = Name, else ID, else the first
 *     Parent, else the type (GTF: gene_name/gene_id on gene lines,
 *     transcript_name/transcript_id on transcript lines, transcript_id,
 *     else gene_id, on others), %-decoded, with blanks and control bytes
 *     written %XX.
 *   - GFF3 of a GTF line: the same columns, attributes ID/Parent from
 *     gene_id and transcript_id, then every GTF attribute as key=value
 *     (repeated keys joined by commas), GFF3-escaped.
 *   - GFF3 of a BED line: source ".", type "region" (BED12: "transcript"),
 *     start + 1, end, score, strand, phase ".", Name=<name>.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annotations/annot_int.h"

#define MAX_COL 9

/* The tab-separated columns of a feature's text (without the seqid). */
static int text_cols(const gdb_annot_feature *f, const char **c, size_t *cl,
		     int max)
{
	const char *p = f->text, *end = f->text + f->text_len;
	int k = 0;

	while (k < max) {
		const char *t = memchr(p, '\t', (size_t)(end - p));
		c[k] = p;
		cl[k++] = t ? (size_t)(t - p) : (size_t)(end - p);
		if (!t)
			break;
		p = t + 1;
	}
	return k;
}

/* v (n bytes) with blanks, controls and (escape_gff) GFF3's reserved
 * characters written %XX (GFF3 keeps blanks); plain runs go in whole. */
static void put_escaped(gdb_buf *o, const char *v, size_t n, int escape_gff)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		char e[3];
		if (!(c < ' ' || c == 0x7f || (c == ' ' && !escape_gff) ||
		      (escape_gff && strchr(";=&,%", c))))
			continue;
		gdb_buf_add(o, v + run, i - run);
		e[0] = '%';
		e[1] = hex[c >> 4];
		e[2] = hex[c & 15];
		gdb_buf_add(o, e, 3);
		run = i + 1;
	}
	gdb_buf_add(o, v + run, n - run);
}

/* A whole number in decimal. */
static void put_i64(gdb_buf *o, int64_t v)
{
	char b[24];
	int i = 24;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do
		b[--i] = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		b[--i] = '-';
	gdb_buf_add(o, b + i, (size_t)(24 - i));
}

/* The BED name of a GFF3/GTF line (see the top of the file): the first
 * of the keys present, in one pass over the attributes. */
static void bed_name(const gdb_annot *a, const gdb_annot_feature *f,
		     const char *attrs, size_t al, gdb_buf *o)
{
	static const char *const gff3[] = {"Name", "ID", "Parent", NULL};
	static const char *const gene[] = {"gene_name", "gene_id", NULL};
	static const char *const tx[] = {"transcript_name", "transcript_id",
					 NULL};
	static const char *const other[] = {"transcript_id", "gene_id", NULL};
	const char *const *keys = gff3;
	annot_attr_it it = {a->format, attrs, attrs + al};
	const char *k, *v, *best = NULL, *c;
	size_t kl, vl, bl = 0;
	int rank = 3;
	char buf[4096];
	int64_t n;

	if (a->format == GDB_ANNOT_GTF)
		keys = !strcmp(f->type, "gene")		? gene
		       : !strcmp(f->type, "transcript") ? tx
							: other;
	while (rank && annot_attr_next(&it, &k, &kl, &v, &vl))
		for (int i = 0; i < rank && keys[i]; i++)
			if (vl && strlen(keys[i]) == kl &&
			    !memcmp(keys[i], k, kl)) {
				best = v;
				bl = vl;
				rank = i;
			}
	if (best && (c = memchr(best, ',', bl)) && a->format == GDB_ANNOT_GFF3)
		bl = (size_t)(c - best);
	if (best && bl < sizeof(buf) &&
	    (n = annot_unescape(a->format, best, bl, buf)) > 0) {
		put_escaped(o, buf, (size_t)n, 0);
		return;
	}
	put_escaped(o, f->type, strlen(f->type), 0);
}

static void put_bed(const gdb_annot *a, const char *chrom,
		    const gdb_annot_feature *f, gdb_buf *o)
{
	const char *c[MAX_COL];
	size_t cl[MAX_COL];
	int k = text_cols(f, c, cl, MAX_COL);
	char tail[3] = {'\t', f->strand == '?' ? '.' : f->strand, '\n'};

	gdb_buf_add(o, chrom, strlen(chrom));
	gdb_buf_add(o, "\t", 1);
	put_i64(o, f->beg);
	gdb_buf_add(o, "\t", 1);
	put_i64(o, f->end);
	gdb_buf_add(o, "\t", 1);
	bed_name(a, f, k == 8 ? c[7] : "", k == 8 ? cl[7] : 0, o);
	if (k >= 5 && !(cl[4] == 1 && c[4][0] == '.')) {
		gdb_buf_add(o, "\t", 1);
		gdb_buf_add(o, c[4], cl[4]);
	} else {
		gdb_buf_add(o, "\t0", 2);
	}
	gdb_buf_add(o, tail, 3);
}

/* GTF attributes as GFF3: ID/Parent first, then key=value,value... */
static void gtf_attrs(const gdb_annot *a, const gdb_annot_feature *f,
		      const char *attrs, size_t al, gdb_buf *o)
{
	annot_attr_it it = {GDB_ANNOT_GTF, attrs, attrs + al};
	const char *k, *v, *sep = "";
	size_t kl, vl;
	int is_gene = !strcmp(f->type, "gene");
	int is_tx = !strcmp(f->type, "transcript");
	const char *gid =
	    annot_attr_get(GDB_ANNOT_GTF, attrs, al, "gene_id", &vl);
	size_t gl = vl;
	const char *tid =
	    annot_attr_get(GDB_ANNOT_GTF, attrs, al, "transcript_id", &vl);
	size_t tl = vl;

	(void)a;
	if (is_gene && gid) {
		gdb_buf_add(o, "ID=", 3);
		put_escaped(o, gid, gl, 1);
		sep = ";";
	} else if (is_tx && tid) {
		gdb_buf_add(o, "ID=", 3);
		put_escaped(o, tid, tl, 1);
		sep = ";";
	}
	if (!is_gene && (is_tx ? gid : (tid ? tid : gid))) {
		const char *p = is_tx ? gid : (tid ? tid : gid);
		gdb_buf_printf(o, "%sParent=", sep);
		put_escaped(o, p, is_tx ? gl : (tid ? tl : gl), 1);
		sep = ";";
	}
	while (annot_attr_next(&it, &k, &kl, &v, &vl)) {
		annot_attr_it prev = {GDB_ANNOT_GTF, attrs, attrs + al};
		annot_attr_it more = it;
		const char *k2, *v2;
		size_t kl2, vl2;
		int dup = 0;
		/* a key that came earlier was written with all its values */
		while (!dup && annot_attr_next(&prev, &k2, &kl2, &v2, &vl2) &&
		       v2 < v)
			dup = kl2 == kl && !memcmp(k2, k, kl);
		if (dup)
			continue;
		gdb_buf_add(o, sep, strlen(sep));
		put_escaped(o, k, kl, 1);
		gdb_buf_add(o, "=", 1);
		put_escaped(o, v, vl, 1);
		while (annot_attr_next(&more, &k2, &kl2, &v2, &vl2))
			if (kl2 == kl && !memcmp(k2, k, kl)) {
				gdb_buf_add(o, ",", 1);
				put_escaped(o, v2, vl2, 1);
			}
		sep = ";";
	}
	if (!*sep)
		gdb_buf_add(o, ".", 1);
}

static void put_gff3(const gdb_annot *a, const char *chrom,
		     const gdb_annot_feature *f, gdb_buf *o)
{
	const char *c[MAX_COL + 3];
	size_t cl[MAX_COL + 3];
	int k = text_cols(f, c, cl, MAX_COL + 3);

	if (a->format == GDB_ANNOT_GFF3) {
		gdb_buf_printf(o, "%s\t%.*s\n", chrom, (int)f->text_len,
			       f->text);
		return;
	}
	if (a->format == GDB_ANNOT_GTF) {
		/* columns 2-8 as they are, then the attributes converted */
		gdb_buf_printf(o, "%s\t", chrom);
		gdb_buf_add(o, f->text, (size_t)(c[7] - f->text));
		gtf_attrs(a, f, c[7], cl[7], o);
		gdb_buf_add(o, "\n", 1);
		return;
	}
	gdb_buf_printf(o, "%s\t.\t%s\t%lld\t%lld\t%.*s\t%c\t.\t", chrom,
		       f->type, (long long)f->beg + 1, (long long)f->end,
		       k >= 4 ? (int)cl[3] : 1, k >= 4 ? c[3] : ".", f->strand);
	if (k >= 3 && !(cl[2] == 1 && c[2][0] == '.')) {
		gdb_buf_add(o, "Name=", 5);
		put_escaped(o, c[2], cl[2], 1);
	} else {
		gdb_buf_add(o, ".", 1);
	}
	gdb_buf_add(o, "\n", 1);
}

/* One feature in format out. */
static void put_feature(const gdb_annot *a, uint64_t i, int out, gdb_buf *o)
{
	gdb_annot_feature f;
	const char *chrom;

	if (gdb_annot_feature_get(a, i, &f) < 0)
		return;
	chrom = gdb_annot_contig_name(a, f.contig);
	if ((out == GDB_ANNOT_OUT_BED && a->format == GDB_ANNOT_BED) ||
	    out == GDB_ANNOT_OUT_GTF)
		gdb_buf_printf(o, "%s\t%.*s\n", chrom, (int)f.text_len, f.text);
	else if (out == GDB_ANNOT_OUT_BED)
		put_bed(a, chrom, &f, o);
	else
		put_gff3(a, chrom, &f, o);
}

int gdb_annot_render_region(const gdb_annot *a, uint32_t slot, int64_t beg,
			    int64_t end, int out, gdb_buf *o)
{
	gdb_annot_hits h = {0};
	int64_t n;

	if (out == GDB_ANNOT_OUT_GTF && a->format != GDB_ANNOT_GTF)
		return -EINVAL;
	n = gdb_annot_overlap(a, slot, beg, end, &h);
	for (int64_t i = 0; i < n && !o->err; i++)
		put_feature(a, h.idx[i], out, o);
	gdb_annot_hits_free(&h);
	return n < 0 ? (int)n : o->err;
}

/* ---- a gene and its descendants ---- */

/* Sort keys: a line sorts at 4 * order + 3; a GTF gene or transcript
 * without a line of its own just before its first line below it (gene 1,
 * transcript 2). */
typedef struct fam {
	uint64_t key;
	uint32_t item;	 /* feature index, or group when synthetic */
	uint32_t parent; /* synthetic: the parent group, or NONE */
	int synthetic;
} fam;

static int fam_cmp(const void *x, const void *y)
{
	const fam *p = x, *q = y;

	if (p->key != q->key)
		return p->key < q->key ? -1 : 1;
	return p->item < q->item ? -1 : p->item > q->item;
}

typedef struct famlist {
	fam *v;
	size_t n, cap;
	uint8_t *seen_line; /* bitmaps: lines and groups visited */
	uint8_t *seen_group;
	uint32_t *queue; /* (group, parent) pairs */
	size_t qn;
} famlist;

static int fam_push(famlist *l, fam f)
{
	GDB_TRY(annot_grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v), 64));
	l->v[l->n++] = f;
	return 0;
}

static int first_visit(uint8_t *seen, uint32_t i)
{
	if (seen[i >> 3] >> (i & 7) & 1)
		return 0;
	seen[i >> 3] |= (uint8_t)(1 << (i & 7));
	return 1;
}

static void enqueue(famlist *l, uint32_t g, uint32_t parent)
{
	if (!first_visit(l->seen_group, g))
		return;
	l->queue[2 * l->qn] = g;
	l->queue[2 * l->qn++ + 1] = parent;
}

/* Add line i (once); @return its input order, or UINT64_MAX on -ENOMEM. */
static uint64_t add_line(const gdb_annot *a, famlist *l, uint32_t i, uint32_t g)
{
	gdb_annot_feature f;

	gdb_annot_feature_get(a, i, &f);
	if (first_visit(l->seen_line, i) &&
	    fam_push(l, (fam){(uint64_t)f.order * 4 + 3, i, ANNOT_NONE, 0}))
		return UINT64_MAX;
	if (f.group >= 0)
		enqueue(l, (uint32_t)f.group, g);
	return f.order;
}

/* Every line of group g0 and below it, each once (a cycle cannot loop). */
static int family(const gdb_annot *a, famlist *l, uint32_t g0)
{
	enqueue(l, g0, ANNOT_NONE);
	while (l->qn) {
		uint32_t g = l->queue[2 * (l->qn - 1)];
		uint32_t parent = l->queue[2 * (l->qn - 1) + 1];
		uint64_t lowest = UINT64_MAX, o;
		gdb_annot_group gr;
		l->qn--;
		gdb_annot_group_get(a, g, &gr);
		for (uint32_t k = 0; k < gr.nlines + gr.nkids; k++) {
			uint32_t i =
			    k < gr.nlines
				? gdb_annot_u32(gr.lines, k)
				: gdb_annot_u32(gr.kids, k - gr.nlines);
			if ((o = add_line(a, l, i, g)) == UINT64_MAX)
				return -ENOMEM;
			lowest = o < lowest ? o : lowest;
		}
		for (uint32_t k = 0; k < gr.nsubs; k++) {
			gdb_annot_group sg;
			uint32_t s = gdb_annot_u32(gr.subs, k);
			enqueue(l, s, g);
			gdb_annot_group_get(a, s, &sg);
			for (uint32_t j = 0; j < sg.nkids; j++) {
				gdb_annot_feature f;
				gdb_annot_feature_get(
				    a, gdb_annot_u32(sg.kids, j), &f);
				lowest = f.order < lowest ? f.order : lowest;
			}
		}
		if (!gr.nlines && lowest != UINT64_MAX)
			GDB_TRY(
			    fam_push(l, (fam){lowest * 4 + (gr.gene ? 1 : 2), g,
					      parent, 1}));
	}
	return 0;
}

/* A GTF gene or transcript without a line of its own, as GFF3. */
static void put_synthetic(const gdb_annot *a, uint32_t g, uint32_t parent,
			  gdb_buf *o)
{
	gdb_annot_group gr, p;

	gdb_annot_group_get(a, g, &gr);
	gdb_buf_printf(o, "%s\t.\t%s\t%lld\t%lld\t.\t%c\t.\tID=",
		       gdb_annot_contig_name(a, gr.contig), gr.type,
		       (long long)gr.beg + 1, (long long)gr.end, gr.strand);
	put_escaped(o, gr.id, strlen(gr.id), 1);
	if (parent != ANNOT_NONE) {
		gdb_annot_group_get(a, parent, &p);
		gdb_buf_add(o, ";Parent=", 8);
		put_escaped(o, p.id, strlen(p.id), 1);
	}
	if (*gr.name) {
		gdb_buf_add(o, ";Name=", 6);
		put_escaped(o, gr.name, strlen(gr.name), 1);
	}
	gdb_buf_add(o, "\n", 1);
}

static void put_gene_bed(const gdb_annot *a, uint32_t g, gdb_buf *o)
{
	gdb_annot_group gr;
	const char *name;

	gdb_annot_group_get(a, g, &gr);
	name = *gr.name ? gr.name : gr.id;
	gdb_buf_printf(o, "%s\t%lld\t%lld\t",
		       gdb_annot_contig_name(a, gr.contig), (long long)gr.beg,
		       (long long)gr.end);
	put_escaped(o, name, strlen(name), 0);
	gdb_buf_printf(o, "\t0\t%c\n", gr.strand == '?' ? '.' : gr.strand);
}

int gdb_annot_render_gene(const gdb_annot *a, const char *name, int out,
			  gdb_buf *o)
{
	famlist l = {0};
	uint32_t *genes;
	int64_t n = gdb_annot_genes_find(a, name, &genes);
	int rc = 0;

	if (n <= 0)
		return n == 0 ? -ENOENT : (int)n;
	if (out == GDB_ANNOT_OUT_BED) {
		for (int64_t i = 0; i < n; i++)
			put_gene_bed(a, genes[i], o);
		free(genes);
		return o->err;
	}
	l.seen_line = calloc(a->nfeat / 8 + 1, 1);
	l.seen_group = calloc(a->ngroups / 8 + 1, 1);
	l.queue = malloc(((size_t)a->ngroups + 1) * 8);
	if (!l.seen_line || !l.seen_group || !l.queue)
		rc = -ENOMEM;
	for (int64_t i = 0; i < n && rc == 0; i++)
		rc = family(a, &l, genes[i]);
	if (rc == 0) {
		if (l.n > 1)
			qsort(l.v, l.n, sizeof(*l.v), fam_cmp);
		for (size_t i = 0; i < l.n && !o->err; i++) {
			if (l.v[i].synthetic)
				put_synthetic(a, l.v[i].item, l.v[i].parent, o);
			else
				put_feature(a, l.v[i].item, out, o);
		}
		rc = o->err;
	}
	free(genes);
	free(l.v);
	free(l.seen_line);
	free(l.seen_group);
	free(l.queue);
	return rc;
}
