/*
 * annotations/seq.c - sequences of genes and transcripts, read through
 * the block cache: a gene's genomic span, a transcript's exons spliced,
 * its CDS spliced and translated; reverse-complemented on the '-' strand.
 *
 * Which lines are a transcript's exons and CDS (as gffread decides):
 *   exons: the lines below it whose type is "exon" or ends in "_exon";
 *          else its CDS lines; else its own lines (a CDS group, or a BED
 *          line: its blocks)
 *   CDS:   the lines below it of type CDS (GTF: and stop_codon, which GTF
 *          keeps out of CDS); else its own lines when they are CDS; a BED
 *          line's thick part of its blocks
 * Segments are merged where they overlap or touch and taken in genome
 * order. The protein starts at the phase of the 5'-most CDS line; its
 * first codon is M when it is a start codon of the table and that phase is
 * 0; a final stop codon is not written (as protein databases list them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annotations/annot_int.h"

#define WIDTH 60

typedef struct seg {
	int64_t beg, end;
} seg;

typedef struct segs {
	seg *v;
	size_t n, cap;
	int phase;	  /* of the 5'-most CDS line, -1 if none */
	int64_t phase_at; /* its position, for choosing the 5'-most */
} segs;

static int seg_add(segs *s, int64_t beg, int64_t end)
{
	GDB_TRY(annot_grow((void **)&s->v, &s->cap, s->n, sizeof(*s->v), 16));
	s->v[s->n++] = (seg){beg, end};
	return 0;
}

static int seg_cmp(const void *x, const void *y)
{
	const seg *p = x, *q = y;

	if (p->beg != q->beg)
		return p->beg < q->beg ? -1 : 1;
	return p->end < q->end ? -1 : p->end > q->end;
}

/* Sort and merge overlapping or touching segments. */
static void seg_merge(segs *s)
{
	size_t w = 0;

	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), seg_cmp);
	for (size_t i = 0; i < s->n; i++) {
		if (w && s->v[i].beg <= s->v[w - 1].end) {
			if (s->v[i].end > s->v[w - 1].end)
				s->v[w - 1].end = s->v[i].end;
		} else {
			s->v[w++] = s->v[i];
		}
	}
	s->n = w;
}

static int is_exon(const char *type)
{
	size_t n = strlen(type);

	return !strcmp(type, "exon") ||
	       (n > 5 && !strcmp(type + n - 5, "_exon"));
}

static int is_cds(const gdb_annot *a, const char *type, int with_stop)
{
	return !strcmp(type, "CDS") ||
	       (with_stop && a->format == GDB_ANNOT_GTF &&
		!strcmp(type, "stop_codon"));
}

/* A CDS line's phase counts if it is the 5'-most so far. */
static void note_phase(segs *s, const gdb_annot_feature *f, char strand)
{
	int64_t at = strand == '-' ? -f->end : f->beg;

	if (strcmp(f->type, "CDS"))
		return;
	if (s->phase < 0 || at < s->phase_at) {
		s->phase = f->phase < 0 ? 0 : f->phase;
		s->phase_at = at;
	}
}

/* Lines of list (n little-endian u32s) that are exons (kind 1), CDS
 * (kind 2) or either (0), as segments. */
static int from_lines(const gdb_annot *a, const uint8_t *list, uint32_t n,
		      int kind, char strand, segs *s)
{
	for (uint32_t k = 0; k < n; k++) {
		gdb_annot_feature f;
		gdb_annot_feature_get(a, gdb_annot_u32(list, k), &f);
		if (kind == 1	? !is_exon(f.type)
		    : kind == 2 ? !is_cds(a, f.type, 1)
				: !is_exon(f.type) && !is_cds(a, f.type, 0))
			continue;
		if (kind == 2)
			note_phase(s, &f, strand);
		GDB_TRY(seg_add(s, f.beg, f.end));
	}
	return 0;
}

/* A whole number at *p (bounded by end: text is not NUL-terminated). */
static int64_t num(const char **p, const char *end)
{
	int64_t v = 0;

	while (*p < end && **p >= '0' && **p <= '9')
		v = v * 10 + (*(*p)++ - '0');
	return v;
}

/* The blocks of a BED line cut to [lo, hi) (BED3-11: one block, the whole
 * feature). thick: cut to thickStart..thickEnd instead (none without). */
static int bed_segs(const gdb_annot_feature *f, int thick, segs *s)
{
	const char *c[12], *p = f->text, *end = f->text + f->text_len;
	int64_t lo = f->beg, hi = f->end;
	int k = 0;

	while (k < 12) {
		const char *t = memchr(p, '\t', (size_t)(end - p));
		c[k++] = p;
		if (!t)
			break;
		p = t + 1;
	}
	if (thick) {
		const char *q = c[5];
		if (k < 7)
			return 0;
		lo = num(&q, end);
		q = c[6];
		hi = num(&q, end);
	}
	if (k < 11)
		return lo < hi ? seg_add(s, lo, hi) : 0;
	for (const char *z = c[9], *t = c[10]; z < c[10] - 1;) {
		int64_t size = num(&z, end);
		int64_t b = f->beg + num(&t, end), e = b + size;
		z++; /* past the comma */
		t++;
		b = b < lo ? lo : b;
		e = e > hi ? hi : e;
		if (b < e)
			GDB_TRY(seg_add(s, b, e));
	}
	return 0;
}

/* The exon (cds = 0) or CDS (cds = 1) segments of transcript group g. */
static int transcript_segs(const gdb_annot *a, const gdb_annot_group *g,
			   int cds, segs *s)
{
	char strand = g->strand == '-' ? '-' : '+';

	s->phase = -1;
	if (a->format == GDB_ANNOT_BED) {
		for (uint32_t k = 0; k < g->nlines; k++) {
			gdb_annot_feature f;
			gdb_annot_feature_get(a, gdb_annot_u32(g->lines, k),
					      &f);
			GDB_TRY(bed_segs(&f, cds, s));
		}
		seg_merge(s);
		s->phase = 0;
		return 0;
	}
	if (!cds)
		GDB_TRY(from_lines(a, g->kids, g->nkids, 1, strand, s));
	if (!s->n)
		GDB_TRY(from_lines(a, g->kids, g->nkids, 2, strand, s));
	if (!s->n)
		GDB_TRY(
		    from_lines(a, g->lines, g->nlines, cds ? 2 : 0, strand, s));
	seg_merge(s);
	if (s->phase < 0)
		s->phase = 0;
	return 0;
}

/* The bases of segments (genome order), reverse-complemented for '-'. */
static int fetch_segs(const gdb_annot *a, gdb_cache *c, uint32_t slot,
		      const segs *s, char strand, char **out, size_t *n)
{
	size_t len = 0, at = 0;
	char *b;
	int rc = 0;

	for (size_t i = 0; i < s->n; i++)
		len += (size_t)(s->v[i].end - s->v[i].beg);
	if (len > GDB_ANNOT_MAX_SEQ)
		return -EFBIG;
	b = malloc(len + 1);
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < s->n && rc == 0; i++) {
		rc = gdb_cache_read(c, gdb_annot_contig_id(a, slot),
				    s->v[i].beg, s->v[i].end, b + at);
		at += (size_t)(s->v[i].end - s->v[i].beg);
	}
	if (rc < 0) {
		free(b);
		return rc;
	}
	if (strand == '-')
		gdb_annot_revcomp(b, len);
	*out = b;
	*n = len;
	return 0;
}

void gdb_annot_revcomp(char *s, size_t n)
{
	static char comp[256];

	if (!comp['A']) {
		static const char *const pairs[] = {
		    "AT", "CG", "RY", "KM", "BV", "DH", "SS", "WW", "NN"};
		for (int i = 0; i < 256; i++)
			comp[i] = (char)i;
		for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
			char x = pairs[i][0], y = pairs[i][1];
			comp[(unsigned char)x] = y;
			comp[(unsigned char)y] = x;
			comp[(unsigned char)(x | 0x20)] = (char)(y | 0x20);
			comp[(unsigned char)(y | 0x20)] = (char)(x | 0x20);
		}
		comp['U'] = 'A';
		comp['u'] = 'a';
	}
	/* i meets j at the middle of an odd n: complemented once, there */
	for (size_t i = 0, j = n; i < j--; i++) {
		char t = comp[(unsigned char)s[i]];
		s[i] = comp[(unsigned char)s[j]];
		s[j] = t;
	}
}

static void put_fasta(gdb_buf *o, const char *id, const char *chrom,
		      int64_t beg, int64_t end, char strand, const char *seq,
		      size_t n)
{
	gdb_buf_printf(o, ">%s %s:%lld-%lld(%c)\n", id, chrom,
		       (long long)beg + 1, (long long)end, strand);
	for (size_t i = 0; i < n; i += WIDTH) {
		gdb_buf_add(o, seq + i, n - i < WIDTH ? n - i : WIDTH);
		gdb_buf_add(o, "\n", 1);
	}
}

/* One record of group g as kind. @return 0, -ENOENT (no CDS), errors. */
static int group_seq(const gdb_annot *a, gdb_cache *c, uint32_t g, int kind,
		     int table, gdb_buf *o)
{
	gdb_annot_group gr;
	segs s = {0};
	char strand, *seq = NULL;
	size_t n = 0;
	int rc;

	gdb_annot_group_get(a, g, &gr);
	strand = gr.strand == '-' ? '-' : '+';
	if (kind == GDB_ANNOT_SEQ_GENE)
		rc = seg_add(&s, gr.beg, gr.end);
	else
		rc = transcript_segs(a, &gr, kind != GDB_ANNOT_SEQ_MRNA, &s);
	if (rc == 0 && !s.n)
		rc = -ENOENT;
	if (rc == 0)
		rc = fetch_segs(a, c, gr.contig, &s, strand, &seq, &n);
	if (rc == 0 && kind == GDB_ANNOT_SEQ_PROTEIN) {
		size_t skip = (size_t)s.phase < n ? (size_t)s.phase : n;
		int64_t k = gdb_annot_translate(seq + skip, n - skip, table,
						s.phase == 0, seq);
		n = k > 0 && seq[k - 1] == '*' ? (size_t)k - 1 : (size_t)k;
	}
	if (rc == 0)
		put_fasta(o, gr.id, gdb_annot_contig_name(a, gr.contig),
			  s.v[0].beg, s.v[s.n - 1].end, strand, seq, n);
	free(seq);
	free(s.v);
	return rc;
}

int gdb_annot_render_seq(const gdb_annot *a, gdb_cache *c, const char *name,
			 int kind, int table, gdb_buf *o)
{
	uint32_t *g = NULL;
	int64_t n;
	int rc = 0, found = 0;

	if (kind == GDB_ANNOT_SEQ_PROTEIN && !gdb_annot_table_ok(table))
		return -ENOENT;
	if (kind == GDB_ANNOT_SEQ_GENE) {
		n = gdb_annot_genes_find(a, name, &g);
	} else {
		/* every group with this ID (one per contig it is on) */
		int first = gdb_annot_group_find(a, name);
		gdb_annot_group gr;
		n = 0;
		if (first >= 0) {
			g = malloc(sizeof(*g) * (a->ngroups - (uint32_t)first));
			if (!g)
				return -ENOMEM;
			while ((uint32_t)first + n < a->ngroups &&
			       gdb_annot_group_get(a, (uint32_t)(first + n),
						   &gr) == 0 &&
			       !strcmp(gr.id, name)) {
				g[n] = (uint32_t)(first + n);
				n++;
			}
		}
	}
	for (int64_t i = 0; i < n && rc >= 0 && !o->err; i++) {
		rc = group_seq(a, c, g[i], kind, table, o);
		found += rc == 0;
		if (rc == -ENOENT)
			rc = 0;
	}
	free(g);
	if (rc < 0)
		return rc;
	if (n < 0)
		return (int)n;
	return found ? o->err : -ENOENT;
}

int gdb_annot_is_transcript(const gdb_annot *a, uint32_t g)
{
	gdb_annot_group gr;
	segs s = {0};
	int rc;

	if (gdb_annot_group_get(a, g, &gr) < 0)
		return 0;
	rc = transcript_segs(a, &gr, 0, &s);
	free(s.v);
	return rc == 0 && s.n > 0;
}
