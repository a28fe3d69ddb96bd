/*
 * store/seqindex.c - the version 3 sequence index (docs/FORMAT.md,
 * "Sequence index"): written once by a transaction's commit (txn.c),
 * parsed by every reader (open.c).
 *
 * An assembly's bases form one stream cut into blocks of at most
 * block_bases bases. Contigs tile the stream in order: each starts either
 * a new block or right after the previous contig in its last block (then
 * it fits in that block), so a short record shares a block with its
 * neighbours and a long one has blocks of its own. The index says so with
 * one flag per contig; no block numbers are stored.
 *
 * Names and descriptions, and the contigs' numeric fields, are two
 * columns, each compressed whole (zstd) when that pays: a protein
 * database of short records costs a few bytes a record beside its
 * residues. Digests are stored only for the contigs that have them (all
 * nucleotide ones and long proteins; short proteins' digests are
 * computed when asked for).
 *
 * A reader checks everything before use: the record's codes, every size
 * against the index length, the columns' declared sizes, each name's
 * bytes, the tiling, and every block entry against the segment.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "store/store_int.h"

#define M_RAW 0
#define M_ZSTD 1
#define F_LAYOUT 1u
#define F_DIGESTS 2u
#define F_NEWBLOCK 4u
#define F_KNOWN 7u
#define ASM_DETECTED 1u
/* A column's raw length is at most this times its stored length (plus
 * COL_SLACK): bounds what a damaged length can make a reader allocate. A
 * writer stores a column raw rather than break it. */
#define COL_RATIO 256u
#define COL_SLACK 4096u
#define COL_MAX (1u << 30)

/* ---- shared ---- */

/* Last block and the end offset in it of a contig placed at (first,
 * off) with len bases, in blocks of bb. */
static void contig_end(uint32_t first, uint32_t off, uint64_t len, uint32_t bb,
		       uint64_t *last, uint32_t *end)
{
	uint64_t e = (uint64_t)off + len - 1;

	*last = first + e / bb;
	*end = (uint32_t)(e % bb) + 1;
}

/* ---- writing ---- */

void gdb_seqw_free(struct gdb_seqw *w)
{
	if (!w)
		return;
	gdb_buf_free(&w->names);
	gdb_buf_free(&w->digests);
	gdb_buf_free(&w->blocks);
	free(w->c);
	free(w->block_n);
	free(w);
}

/* The placement of contig i when its writer left it to us: a new block. */
static void auto_place(struct gdb_seqw *w, uint32_t i, uint64_t *prev_last)
{
	struct gdb_seqw_contig *c = &w->c[i];

	if (!c->placed) {
		c->first_block = i ? (uint32_t)(*prev_last + 1) : 0;
		c->block_off = 0;
	}
}

/* Check the tiling and the blocks' sizes (the index's rules). */
static int check_tiling(struct gdb_seqw *w)
{
	uint32_t bb = w->info.block_bases, end = 0;
	uint64_t last = 0;
	uint32_t *extent = calloc(w->nblocks ? w->nblocks : 1, sizeof(*extent));

	if (!extent)
		return -ENOMEM;
	for (uint32_t i = 0; i < w->n; i++) {
		struct gdb_seqw_contig *c = &w->c[i];
		uint64_t l;
		uint32_t e;
		auto_place(w, i, &last);
		if (c->block_off == 0 ? c->first_block != (i ? last + 1 : 0)
				      : (!i || c->first_block != last ||
					 c->block_off != end ||
					 c->block_off + c->length > bb))
			goto bad;
		contig_end(c->first_block, c->block_off, c->length, bb, &l, &e);
		if (l >= w->nblocks)
			goto bad;
		for (uint64_t b = c->first_block; b < l; b++)
			extent[b] = bb;
		extent[l] = e;
		last = l;
		end = e;
	}
	if (w->n == 0 || last + 1 != w->nblocks)
		goto bad;
	for (uint32_t b = 0; b < w->nblocks; b++)
		if (extent[b] != w->block_n[b])
			goto bad;
	free(extent);
	return 0;
bad:
	free(extent);
	return -EINVAL;
}

/* Append a column: zstd'd when that is smaller and within COL_RATIO. */
static int put_column(gdb_buf *out, const gdb_buf *raw, uint8_t *method,
		      uint32_t *stored)
{
	size_t cap = ZSTD_compressBound(raw->len), z;
	/* strong where it matters most (the headers of a proteome are a
	 * tenth of it), fast for a database of hundreds of thousands of
	 * records (level 19 would take longer than the whole import) */
	int level = raw->len <= (1u << 20)   ? 19
		    : raw->len <= (8u << 20) ? 9
					     : 3;
	uint8_t *dst;

	if (raw->len > COL_MAX)
		return -EFBIG;
	dst = gdb_buf_room(out, cap);
	if (!dst)
		return out->err;
	z = raw->len ? ZSTD_compress(dst, cap, raw->p, raw->len, level) : 0;
	if (raw->len && !ZSTD_isError(z) && z < raw->len &&
	    raw->len <= (uint64_t)z * COL_RATIO + COL_SLACK) {
		out->len -= cap - z;
		*method = M_ZSTD;
		*stored = (uint32_t)z;
		return 0;
	}
	out->len -= cap;
	gdb_buf_add(out, raw->p, raw->len);
	*method = M_RAW;
	*stored = (uint32_t)raw->len;
	return out->err;
}

static void put_fields(const struct gdb_seqw *w, gdb_buf *f)
{
	for (uint32_t i = 0; i < w->n; i++) {
		const struct gdb_seqw_contig *c = &w->c[i];
		uint8_t flags = (uint8_t)((c->layout_len ? F_LAYOUT : 0) |
					  (c->digests ? F_DIGESTS : 0) |
					  (c->block_off ? 0 : F_NEWBLOCK));
		gdb_put_varint(f, c->length);
		gdb_put_varint(f, c->line_width);
		gdb_buf_add(f, &flags, 1);
		if (c->layout_len) {
			uint8_t crc[4];
			gdb_put_varint(f, c->fasta_bytes);
			gdb_put_varint(f, c->layout_off);
			gdb_put_varint(f, c->layout_len);
			gdb_put_le32(crc, c->layout_crc);
			gdb_buf_add(f, crc, 4);
		}
	}
}

int gdb_seqindex_build(struct gdb_seqw *w, gdb_buf *out)
{
	gdb_buf fields = {0};
	uint8_t rec[GDB_ASM_RECORD] = {0}, mn = 0, mf = 0;
	uint32_t sn = 0, sf = 0;
	size_t at = out->len;
	int rc = check_tiling(w);

	if (rc < 0)
		return rc;
	put_fields(w, &fields);
	if (fields.err || w->names.err || w->digests.err || w->blocks.err) {
		gdb_buf_free(&fields);
		return -ENOMEM;
	}
	gdb_buf_add(out, rec, sizeof(rec));
	gdb_buf_add(out, w->blocks.p, w->blocks.len);
	rc = put_column(out, &w->names, &mn, &sn);
	if (rc == 0)
		rc = put_column(out, &fields, &mf, &sf);
	gdb_buf_add(out, w->digests.p, w->digests.len);
	if (rc == 0 && out->err)
		rc = out->err;
	if (rc == 0) {
		uint8_t *r = (uint8_t *)out->p + at;
		r[0] = (uint8_t)w->info.codec;
		r[1] = (uint8_t)w->info.alphabet;
		r[2] = w->info.alphabet_detected ? ASM_DETECTED : 0;
		r[3] = (uint8_t)w->info.lossy;
		gdb_put_le32(r + 4, w->info.block_bases);
		gdb_put_le32(r + 8, w->nblocks);
		gdb_put_le32(r + 12, w->model_len);
		gdb_put_le64(r + 16, w->model_off);
		gdb_put_le32(r + 24, w->model_crc);
		gdb_put_le32(r + 28, (uint32_t)(w->digests.len / GDB_DIGESTS));
		gdb_put_le64(r + 32, w->names.len);
		gdb_put_le32(r + 40, sn);
		gdb_put_le32(r + 44, (uint32_t)fields.len);
		gdb_put_le32(r + 48, sf);
		r[52] = mn;
		r[53] = mf;
	}
	gdb_buf_free(&fields);
	return rc;
}

/* ---- reading ---- */

struct rec {
	uint32_t codec, alphabet, flags, lossy, bb, nblocks;
	uint32_t model_len, model_crc, ndig;
	uint64_t model_off, names_len;
	uint32_t names_stored, fields_len, fields_stored;
	uint8_t names_m, fields_m;
};

static int read_record(const uint8_t *r, size_t len, uint64_t data_end,
		       struct rec *x)
{
	if (len < GDB_ASM_RECORD)
		return -1;
	*x = (struct rec){.codec = r[0],
			  .alphabet = r[1],
			  .flags = r[2],
			  .lossy = r[3],
			  .bb = gdb_get_le32(r + 4),
			  .nblocks = gdb_get_le32(r + 8),
			  .model_len = gdb_get_le32(r + 12),
			  .model_off = gdb_get_le64(r + 16),
			  .model_crc = gdb_get_le32(r + 24),
			  .ndig = gdb_get_le32(r + 28),
			  .names_len = gdb_get_le64(r + 32),
			  .names_stored = gdb_get_le32(r + 40),
			  .fields_len = gdb_get_le32(r + 44),
			  .fields_stored = gdb_get_le32(r + 48),
			  .names_m = r[52],
			  .fields_m = r[53]};
	for (int i = 54; i < 64; i++)
		if (r[i])
			return -1;
	if (!gdb_codec_supports(x->codec, x->alphabet) ||
	    (x->flags & ~ASM_DETECTED) || (x->lossy & ~GDB_LOSSY_ALL) ||
	    x->bb == 0 || x->bb > GDB_DNA_BLOCK_BASES || x->nblocks == 0 ||
	    x->names_m > M_ZSTD || x->fields_m > M_ZSTD)
		return -1;
	if (x->model_len &&
	    (x->model_off < GDB_SEGMENT_HDR || x->model_off > data_end ||
	     x->model_len > data_end - x->model_off))
		return -1;
	if (!x->model_len && (x->model_off || x->model_crc))
		return -1;
	return 0;
}

/* A column's bytes, decompressed into a new buffer (NUL-terminated). */
static int take_column(const uint8_t *src, uint32_t stored, uint64_t raw,
		       uint8_t method, char **out)
{
	char *d;

	if (raw > COL_MAX || raw > (uint64_t)stored * COL_RATIO + COL_SLACK ||
	    (method == M_RAW && raw != stored))
		return GDB_ECORRUPT;
	d = malloc(raw + 1);
	if (!d)
		return -ENOMEM;
	d[raw] = 0;
	if (method == M_RAW) {
		memcpy(d, src, raw);
	} else if (ZSTD_getFrameContentSize(src, stored) != raw ||
		   ZSTD_findFrameCompressedSize(src, stored) != stored ||
		   ZSTD_decompress(d, raw, src, stored) != raw) {
		free(d);
		return GDB_ECORRUPT;
	}
	*out = d;
	return 0;
}

/* Point each contig's name and description into the names column. */
static int take_names(gdb_store *s, uint32_t first, uint32_t n, char *text,
		      uint64_t len)
{
	char *p = text, *end = text + len;

	for (uint32_t k = 0; k < n; k++) {
		gdb_contig *c = &s->contigs[first + k];
		size_t nl, dl;
		if (p >= end)
			return -1;
		nl = strlen(p);
		if (nl == 0 || nl > GDB_NAME_MAX || p + nl >= end)
			return -1;
		for (size_t i = 0; i < nl; i++)
			if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f)
				return -1;
		c->name = p;
		p += nl + 1;
		dl = strlen(p);
		if (p + dl >= end || dl > (1u << 24))
			return -1;
		c->desc = p;
		p += dl + 1;
	}
	return p == end ? 0 : -1;
}

/* The layout fields of a contig that has a layout. */
static int take_layout(const uint8_t **p, const uint8_t *end, gdb_contig *c,
		       struct gdb_layout_ref *lr, uint64_t data_end)
{
	uint64_t fb, off, len;

	if (gdb_get_varint(p, end, &fb) < 0 ||
	    gdb_get_varint(p, end, &off) < 0 ||
	    gdb_get_varint(p, end, &len) < 0 || end - *p < 4)
		return -1;
	lr->crc = gdb_get_le32(*p);
	*p += 4;
	if (fb == 0 || len == 0 || len > UINT32_MAX || off < GDB_SEGMENT_HDR ||
	    off > data_end || len > data_end - off)
		return -1;
	c->fasta_bytes = fb;
	c->layout_len = (uint32_t)len;
	lr->off = off;
	return 0;
}

/* Place contig c after the previous one (tiling) and set its blocks. */
static int place(gdb_contig *c, uint8_t flags, uint32_t bb, uint64_t *last,
		 uint32_t *end, int first)
{
	uint64_t l;
	uint32_t e;

	if (flags & F_NEWBLOCK) {
		if (!first && *last + 1 > UINT32_MAX)
			return -1;
		c->first_block = first ? 0 : (uint32_t)(*last + 1);
		c->block_off = 0;
	} else {
		if (first || *end >= bb || (uint64_t)c->length > bb - *end)
			return -1;
		c->first_block = (uint32_t)*last;
		c->block_off = *end;
	}
	contig_end(c->first_block, c->block_off, (uint64_t)c->length, bb, &l,
		   &e);
	if (l > UINT32_MAX)
		return -1;
	c->block_bases = bb;
	c->nblocks = (uint32_t)(((uint64_t)c->length + bb - 1) / bb);
	*last = l;
	*end = e;
	return 0;
}

struct fields_ctx {
	gdb_store *s;
	uint32_t ai, first, n, bb;
	uint64_t data_end;
	const uint8_t *digests;
	uint32_t ndig;
};

static int take_fields(const struct fields_ctx *f, const uint8_t *p,
		       const uint8_t *end, uint64_t *last)
{
	uint32_t endoff = 0, dig = 0;
	uint64_t len, w;

	for (uint32_t k = 0; k < f->n; k++) {
		gdb_contig *c = &f->s->contigs[f->first + k];
		struct gdb_layout_ref *lr = &f->s->layouts[f->first + k];
		uint8_t flags;
		if (gdb_get_varint(&p, end, &len) < 0 || len == 0 ||
		    len > INT64_MAX || gdb_get_varint(&p, end, &w) < 0 ||
		    w > UINT32_MAX || p >= end)
			return -1;
		flags = *p++;
		c->length = (int64_t)len;
		c->line_width = (uint32_t)w;
		c->asm_index = f->ai;
		c->id = f->first + k;
		if ((flags & ~F_KNOWN) ||
		    place(c, flags, f->bb, last, &endoff, k == 0) < 0)
			return -1;
		if ((flags & F_LAYOUT) &&
		    take_layout(&p, end, c, lr, f->data_end) < 0)
			return -1;
		if (flags & F_DIGESTS) {
			if (dig == f->ndig)
				return -1;
			memcpy(c->md5, f->digests + (size_t)dig * GDB_DIGESTS,
			       16);
			memcpy(c->sha512t24,
			       f->digests + (size_t)dig * GDB_DIGESTS + 16, 24);
			c->digests = 1;
			dig++;
		}
	}
	return p == end && dig == f->ndig ? 0 : -1;
}

/* The blocks' sizes from the contigs, their entries against the segment,
 * and each contig's share of the stored bytes. */
static int take_blocks(gdb_store *s, uint32_t ai, uint32_t first, uint32_t n,
		       uint64_t data_end)
{
	struct gdb_asm_int *x = &s->ai[ai];
	gdb_assembly *a = &s->asms[ai];

	x->block_n = calloc(a->nblocks, sizeof(uint32_t));
	if (!x->block_n)
		return -ENOMEM;
	for (uint32_t k = 0; k < n; k++) {
		const gdb_contig *c = &s->contigs[first + k];
		uint64_t l;
		uint32_t e;
		contig_end(c->first_block, c->block_off, (uint64_t)c->length,
			   a->block_bases, &l, &e);
		for (uint64_t b = c->first_block; b < l; b++)
			x->block_n[b] = a->block_bases;
		x->block_n[l] = e;
	}
	for (uint32_t b = 0; b < a->nblocks; b++) {
		const uint8_t *e = x->blocks + (size_t)b * GDB_BLOCK_ENTRY;
		uint64_t off = gdb_get_le64(e);
		uint32_t sl = gdb_get_le32(e + 8);
		if (off < GDB_SEGMENT_HDR || sl == 0 || off > data_end ||
		    sl > data_end - off)
			return GDB_ECORRUPT;
	}
	for (uint32_t k = 0; k < n; k++) {
		gdb_contig *c = &s->contigs[first + k];
		int64_t left = c->length;
		uint32_t off = c->block_off;
		for (uint32_t b = c->first_block; left > 0; b++, off = 0) {
			const uint8_t *e =
			    x->blocks + (size_t)b * GDB_BLOCK_ENTRY;
			uint32_t in = x->block_n[b] - off;
			if (in > left)
				in = (uint32_t)left;
			c->stored_bytes +=
			    (uint64_t)gdb_get_le32(e + 8) * in / x->block_n[b];
			left -= in;
		}
		a->total_length += c->length;
	}
	return 0;
}

int gdb_seqindex_parse(gdb_store *s, uint32_t ai, const struct gdb_seg *sg,
		       size_t len, uint64_t data_end, uint32_t n)
{
	const uint8_t *p = sg->index;
	struct gdb_asm_int *x = &s->ai[ai];
	gdb_assembly *a = &s->asms[ai];
	struct rec r;
	char *fields = NULL;
	uint32_t first = s->ncontigs;
	uint64_t last = 0, need;
	int rc;

	if (read_record(p, len, data_end, &r) < 0)
		return GDB_ECORRUPT;
	need = GDB_ASM_RECORD + (uint64_t)r.nblocks * GDB_BLOCK_ENTRY +
	       r.names_stored + r.fields_stored +
	       (uint64_t)r.ndig * GDB_DIGESTS;
	/* every contig takes at least 3 bytes of fields and 2 of names */
	if (need != len || r.fields_len / 3 < n || r.names_len / 2 < n ||
	    r.ndig > n)
		return GDB_ECORRUPT;
	a->codec = r.codec;
	a->alphabet = r.alphabet;
	a->alphabet_detected = !!(r.flags & ASM_DETECTED);
	a->lossy = r.lossy;
	a->block_bases = r.bb;
	a->nblocks = r.nblocks;
	a->model_len = r.model_len;
	x->model_off = r.model_off;
	x->model_crc = r.model_crc;
	x->blocks = p + GDB_ASM_RECORD;
	p = x->blocks + (size_t)r.nblocks * GDB_BLOCK_ENTRY;
	rc = take_column(p, r.names_stored, r.names_len, r.names_m, &x->text);
	if (rc == 0)
		rc = take_column(p + r.names_stored, r.fields_stored,
				 r.fields_len, r.fields_m, &fields);
	if (rc == 0)
		rc = gdb_store_grow_contigs(s, first + n);
	if (rc < 0) {
		free(fields);
		return rc;
	}
	memset(s->contigs + first, 0, n * sizeof(*s->contigs));
	memset(s->layouts + first, 0, n * sizeof(*s->layouts));
	struct fields_ctx f = {.s = s,
			       .ai = ai,
			       .first = first,
			       .n = n,
			       .bb = r.bb,
			       .data_end = data_end,
			       .digests = p + r.names_stored + r.fields_stored,
			       .ndig = r.ndig};
	if (take_names(s, first, n, x->text, r.names_len) < 0 ||
	    take_fields(&f, (const uint8_t *)fields,
			(const uint8_t *)fields + r.fields_len, &last) < 0 ||
	    last + 1 != r.nblocks)
		rc = GDB_ECORRUPT;
	free(fields);
	if (rc == 0)
		rc = take_blocks(s, ai, first, n, data_end);
	if (rc < 0)
		return rc;
	s->ncontigs = first + n;
	return 0;
}
