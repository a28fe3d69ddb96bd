/*
 * fs/ns/render.c - byte-exact virtual FASTA/.seq/.u8/reverse-complement files
 * and the small text files beside them (.fai, .dict).
 *
 * A FASTA record with L bases and width W is: the header line, then
 * ceil(L/W) lines of W bases (the last may be shorter), each ending '\n'.
 * So byte o of the sequence part is base (o / (W+1)) * W + o % (W+1), or
 * a newline where o % (W+1) reaches the line's length. Reads compute this
 * directly and copy whole line pieces from decoded blocks; a cursor keeps
 * the current block borrowed so a 1 MiB read costs a handful of cache
 * lookups, not one per line.
 */
#include "fs/ns/ns.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "seq/seq.h"
#include "simd/simd.h"

static uint64_t seq_bytes(int64_t L, uint32_t w)
{
	if (w == 0)
		return (uint64_t)L;
	return (uint64_t)L + ((uint64_t)L + w - 1) / w;
}

/* A header line's bytes for text of n bytes: '>', the text, '\n'. */
static uint32_t header_bytes(size_t n)
{
	return (uint32_t)(n + 2);
}

/* A record's bytes: its header line, then bases [beg, end) in lines of
 * width (0: one line). */
static uint64_t record_bytes(uint32_t hdr_len, int64_t beg, int64_t end,
			     uint32_t width)
{
	return hdr_len + seq_bytes(end - beg, width);
}

_Static_assert(sizeof(gdb_view) % _Alignof(gdb_view_rec) == 0,
	       "a record right after its view is aligned");

/* A view of n records. A region's view (one record) is one allocation,
 * its record just after it: the daemon makes one for every new region
 * name at its lookup and one at its first read. */
static gdb_view *view_alloc(enum gdb_view_kind kind, uint32_t n)
{
	gdb_view *v;

	if (n <= 1) {
		v = calloc(1, sizeof(*v) + sizeof(*v->rec));
		if (!v)
			return NULL;
		v->rec = (gdb_view_rec *)(void *)(v + 1);
	} else {
		v = calloc(1, sizeof(*v));
		if (!v)
			return NULL;
		v->rec = calloc(n, sizeof(*v->rec));
		if (!v->rec) {
			free(v);
			return NULL;
		}
	}
	v->kind = kind;
	v->nrec = n;
	return v;
}

/* Lay records out back to back once their headers and widths are set. */
static void view_layout(gdb_view *v)
{
	uint64_t off = 0;

	for (uint32_t i = 0; i < v->nrec; i++) {
		gdb_view_rec *r = &v->rec[i];
		r->off = off;
		r->seq_off = off + r->hdr_len;
		r->size = record_bytes(r->hdr_len, r->beg, r->end, r->width);
		off += r->size;
	}
	v->size = off;
}

static int set_header(gdb_view_rec *r, const char *a, const char *b)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0;

	r->header = malloc(la + lb + 4);
	if (!r->header)
		return -ENOMEM;
	r->header[0] = '>';
	memcpy(r->header + 1, a, la);
	if (b) {
		memcpy(r->header + 1 + la, b, lb);
		la += lb;
	}
	r->header[1 + la] = '\n';
	r->hdr_len = header_bytes(la);
	return 0;
}

uint64_t gdb_view_region_size(int64_t beg, int64_t end, uint32_t width,
			      const char *header)
{
	return record_bytes(header ? header_bytes(strlen(header)) : 0, beg, end,
			    width);
}

int gdb_view_region(enum gdb_view_kind kind, uint32_t contig, int64_t beg,
		    int64_t end, uint32_t width, const char *header,
		    gdb_view **out)
{
	gdb_view *v = view_alloc(kind, 1);

	if (!v)
		return -ENOMEM;
	v->rec[0].contig = contig;
	v->rec[0].beg = beg;
	v->rec[0].end = end;
	v->rec[0].width = width;
	if (header && set_header(&v->rec[0], header, NULL) < 0) {
		gdb_view_free(v);
		return -ENOMEM;
	}
	view_layout(v);
	*out = v;
	return 0;
}

int gdb_view_contigs(const gdb_store *s, uint32_t first, uint32_t n,
		     uint32_t width, int with_desc, gdb_view **out)
{
	gdb_view *v = view_alloc(GDB_VIEW_BASES, n);

	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		const gdb_contig *c = gdb_store_contig(s, first + i);
		gdb_view_rec *r = &v->rec[i];
		r->contig = first + i;
		r->beg = 0;
		r->end = c->length;
		r->width =
		    width ? width
			  : (c->line_width ? c->line_width : GDB_FASTA_WIDTH);
		if (set_header(r, c->name,
			       with_desc && c->desc[0] ? c->desc : NULL) < 0) {
			gdb_view_free(v);
			return -ENOMEM;
		}
	}
	view_layout(v);
	*out = v;
	return 0;
}

void gdb_view_free(gdb_view *v)
{
	if (!v)
		return;
	for (uint32_t i = 0; i < v->nrec; i++)
		free(v->rec[i].header);
	if (v->rec != (gdb_view_rec *)(void *)(v + 1))
		free(v->rec);
	free(v);
}

/* A read of at most this many bytes is small: a block's first two touches
 * then decode only the bases around the read (gdb_cache_get_part), not
 * the whole 64 Ki-base block, and cache nothing. */
#define SMALL_READ GDB_VIEW_SMALL

/* The block a read is working in, kept borrowed between pieces: bases
 * [lo, hi) of block blk, the whole block (borrowed) or, for a small read's
 * first or second touch, the part of it in part[]. */
struct cursor {
	gdb_cache *c;
	gdb_cache_entry *ref;
	int valid;
	uint32_t contig, blk;
	const char *bases;
	uint32_t lo, hi;
	char *part; /* 2 * SMALL_READ bases; NULL: not a small read */
	/* a small read's bases [span_beg, span_end) of contig span_contig
	 * (gdb_view_span; span 0: unknown): all a touch in part decodes */
	int span;
	uint32_t span_contig;
	int64_t span_beg, span_end;
	int codes; /* bases holds .u8 codes (a .u8 view's read, not small):
		    * the entries its stream prefetches and gives back */
};

/* The bases [*from, *to) of block blk of ct that a small read decodes
 * for its base in of that block: what the read spans there, when in is
 * among them; else (a read over several records) SMALL_READ either side
 * of in, since the read's bases all lie within SMALL_READ of it (a
 * reverse complement reads them downwards). */
static void part_range(const struct cursor *k, const gdb_contig *ct,
		       uint32_t blk, uint32_t in, uint32_t *from, uint32_t *to)
{
	int64_t at = (int64_t)blk * ct->block_bases, pos = at + in;

	if (k->span && k->span_contig == ct->id && pos >= k->span_beg &&
	    pos < k->span_end) {
		*from = (uint32_t)(k->span_beg > at ? k->span_beg - at : 0);
		*to = (uint32_t)(k->span_end - at < ct->block_bases
				     ? k->span_end - at
				     : ct->block_bases);
		return;
	}
	*from = in > SMALL_READ ? in - SMALL_READ : 0;
	*to = in + SMALL_READ;
}

/* Point *p at base pos of contig; *avail bases follow it in the block. */
static int cursor_at(struct cursor *k, const gdb_contig *ct, int64_t pos,
		     const char **p, int64_t *avail)
{
	uint32_t blk = (uint32_t)(pos / ct->block_bases);
	uint32_t in = (uint32_t)(pos - (int64_t)blk * ct->block_bases);

	if (!k->valid || k->contig != ct->id || k->blk != blk || in < k->lo ||
	    in >= k->hi) {
		gdb_cache_put(k->c, k->ref);
		k->ref = NULL;
		k->valid = 0;
		k->lo = 0;
		if (k->part) {
			uint32_t from, to;
			part_range(k, ct, blk, in, &from, &to);
			GDB_TRY(gdb_cache_get_part(k->c, ct->id, blk, from, to,
						   k->part, &k->bases, &k->lo,
						   &k->hi, &k->ref));
		} else if (k->codes)
			GDB_TRY(gdb_cache_get_u8(k->c, ct->id, blk,
						 (const uint8_t **)&k->bases,
						 &k->hi, &k->ref));
		else
			GDB_TRY(gdb_cache_get(k->c, ct->id, blk, &k->bases,
					      &k->hi, &k->ref));
		k->valid = 1;
		k->contig = ct->id;
		k->blk = blk;
		if (in < k->lo || in >= k->hi) /* a part that misses pos */
			return GDB_CORRUPT(
			    "a block's part read misses its base");
	}
	*p = k->bases + (in - k->lo);
	*avail = (int64_t)k->hi - in;
	return 0;
}

/* Write n output bases starting at output base index i of record r. */
static int emit(struct cursor *k, const gdb_store *s, enum gdb_view_kind kind,
		const gdb_view_rec *r, int64_t i, int64_t n, char *dst)
{
	const gdb_contig *ct = gdb_store_contig(s, r->contig);
	const gdb_simd_kernels *K = gdb_simd();

	while (n > 0) {
		const char *p;
		int64_t avail, take;

		if (kind == GDB_VIEW_RC) {
			/* Output base i is the complement of base end-1-i:
			 * take source bases [hi - take, hi) and reverse them.
			 */
			int64_t hi = r->end - i;
			int64_t lo_blk =
			    ((hi - 1) / ct->block_bases) * ct->block_bases;
			take = hi - lo_blk < n ? hi - lo_blk : n;
			GDB_TRY(cursor_at(k, ct, hi - take, &p, &avail));
			if (avail < take) /* a part that ends short */
				return GDB_CORRUPT("a block's part read ends "
						   "short");
			K->revcomp(p, (size_t)take, dst);
		} else {
			GDB_TRY(cursor_at(k, ct, r->beg + i, &p, &avail));
			take = avail < n ? avail : n;
			if (kind == GDB_VIEW_U8 && !k->codes)
				gdb_alphabet_to_u8(
				    gdb_store_assembly(s, ct->asm_index)
					->alphabet,
				    p, (size_t)take, (uint8_t *)dst);
			else
				memcpy(dst, p, (size_t)take);
		}
		dst += take;
		i += take;
		n -= take;
	}
	return 0;
}

static uint32_t find_rec(const gdb_view *v, uint64_t off)
{
	uint32_t lo = 0, hi = v->nrec;

	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (v->rec[mid].off <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

ssize_t gdb_view_read(const gdb_view *v, gdb_cache *c, uint64_t off, size_t len,
		      char *dst)
{
	const gdb_store *s;
	struct cursor k = {.c = c};
	char part[2 * SMALL_READ];
	size_t done = 0;
	uint32_t ri;
	int rc = 0;

	if (off >= v->size || len == 0)
		return 0;
	if (len > v->size - off)
		len = (size_t)(v->size - off);
	if (len <= SMALL_READ) {
		k.part = part;
		k.span = gdb_view_span(v, off, len, &k.span_contig, &k.span_beg,
				       &k.span_end) == 0;
	} else
		k.codes = v->kind == GDB_VIEW_U8;
	s = NULL;
	ri = find_rec(v, off);
	while (done < len && rc == 0) {
		const gdb_view_rec *r = &v->rec[ri];
		uint64_t o = off + done - r->off;
		size_t want = len - done;
		int64_t L = r->end - r->beg;

		if (o >= r->size) {
			ri++;
			continue;
		}
		if (!s)
			s = gdb_cache_store(c);
		if (o < r->hdr_len) {
			size_t t =
			    r->hdr_len - o < want ? r->hdr_len - o : want;
			memcpy(dst + done, r->header + o, t);
			done += t;
			continue;
		}
		o -= r->hdr_len;
		if (r->width == 0) {
			int64_t t = L - (int64_t)o < (int64_t)want
					? L - (int64_t)o
					: (int64_t)want;
			rc = emit(&k, s, v->kind, r, (int64_t)o, t, dst + done);
			done += (size_t)t;
			continue;
		}
		/* Whole lines at a time while the request allows it. */
		while (done < len && o < r->size - r->hdr_len && rc == 0) {
			uint64_t line = o / (r->width + 1);
			uint64_t col = o % (r->width + 1);
			int64_t lb = L - (int64_t)(line * r->width);
			int64_t t;

			if (lb > r->width)
				lb = r->width;
			if (col == 0 && lb == r->width &&
			    v->kind == GDB_VIEW_BASES) {
				/* Fast path: whole lines straight out of the
				 * borrowed block, one memcpy and a newline
				 * each (streaming spends its time here). */
				const char *p;
				int64_t avail, nl;
				rc = cursor_at(
				    &k, gdb_store_contig(s, r->contig),
				    r->beg + (int64_t)(line * r->width), &p,
				    &avail);
				if (rc < 0)
					break;
				nl = avail / r->width;
				if ((int64_t)((len - done) / (r->width + 1)) <
				    nl)
					nl = (int64_t)((len - done) /
						       (r->width + 1));
				if (nl >
				    (L - (int64_t)(line * r->width)) / r->width)
					nl = (L - (int64_t)(line * r->width)) /
					     r->width;
				if (nl > 0) {
					char *d = dst + done;
					for (int64_t j = 0; j < nl; j++) {
						memcpy(d, p, r->width);
						d[r->width] = '\n';
						d += r->width + 1;
						p += r->width;
					}
					done += (size_t)(nl * (r->width + 1));
					o += (uint64_t)nl * (r->width + 1);
					continue;
				}
			}
			if ((int64_t)col == lb) {
				dst[done++] = '\n';
				o++;
				continue;
			}
			t = lb - (int64_t)col;
			if (t > (int64_t)(len - done))
				t = (int64_t)(len - done);
			rc = emit(&k, s, v->kind, r,
				  (int64_t)(line * r->width + col), t,
				  dst + done);
			done += (size_t)t;
			o += (uint64_t)t;
		}
	}
	gdb_cache_put(c, k.ref);
	return rc < 0 ? rc : (ssize_t)done;
}

void gdb_view_unborrow(gdb_cache *c, gdb_view_pieces *p)
{
	for (unsigned i = 0; i < p->n; i++)
		gdb_cache_put(c, p->ref[i]);
	p->n = 0;
	p->len = 0;
}

/* Borrow block blk of contig as v's bytes: its bases, or its .u8 codes
 * (their own cache entries: no conversion per read). */
static int borrow_block(const gdb_view *v, gdb_cache *c, uint32_t contig,
			uint32_t blk, const char **bytes, uint32_t *n,
			gdb_cache_entry **ref)
{
	const uint8_t *codes;

	if (v->kind == GDB_VIEW_BASES)
		return gdb_cache_get(c, contig, blk, bytes, n, ref);
	GDB_TRY(gdb_cache_get_u8(c, contig, blk, &codes, n, ref));
	*bytes = (const char *)codes;
	return 0;
}

int gdb_view_borrow(const gdb_view *v, gdb_cache *c, uint64_t off, size_t len,
		    gdb_view_pieces *p)
{
	const gdb_view_rec *r = &v->rec[0];
	const gdb_contig *ct;
	int64_t pos, end, bb;

	p->n = 0;
	p->len = 0;
	if ((v->kind != GDB_VIEW_BASES && v->kind != GDB_VIEW_U8) ||
	    v->nrec != 1 || r->hdr_len || r->width)
		return 1;
	/* a small read is copied: its block's first two touches then decode
	 * only the part read (gdb_cache_get_part); the copy costs little */
	if (len <= SMALL_READ && off < v->size)
		return 1;
	if (off >= v->size || len == 0)
		return 0;
	if (len > v->size - off)
		len = (size_t)(v->size - off);
	ct = gdb_store_contig(gdb_cache_store(c), r->contig);
	bb = ct->block_bases;
	pos = r->beg + (int64_t)off;
	end = pos + (int64_t)len;
	if ((end - 1) / bb - pos / bb >= GDB_VIEW_PIECES)
		return 1;
	while (pos < end) {
		uint32_t blk = (uint32_t)(pos / bb), n;
		int64_t in = pos - (int64_t)blk * bb, take;
		const char *bases;
		int rc = borrow_block(v, c, r->contig, blk, &bases, &n,
				      &p->ref[p->n]);

		if (rc < 0) {
			gdb_view_unborrow(c, p);
			return rc;
		}
		take =
		    (int64_t)n - in < end - pos ? (int64_t)n - in : end - pos;
		if (take <= 0) { /* a short block: the decoder checks that */
			gdb_cache_put(c, p->ref[p->n]);
			gdb_view_unborrow(c, p);
			return GDB_ECORRUPT;
		}
		p->iov[p->n].iov_base = (void *)(bases + in);
		p->iov[p->n].iov_len = (size_t)take;
		p->n++;
		p->len += (size_t)take;
		pos += take;
	}
	return 0;
}

/* Base index (within record r) of sequence-part byte o. */
static int64_t base_at(const gdb_view_rec *r, uint64_t o)
{
	int64_t L = r->end - r->beg, i;

	i = r->width ? (int64_t)(o / (r->width + 1)) * r->width +
			   (int64_t)(o % (r->width + 1))
		     : (int64_t)o;
	return i > L ? L : i;
}

int gdb_view_span(const gdb_view *v, uint64_t off, size_t len, uint32_t *contig,
		  int64_t *beg, int64_t *end)
{
	const gdb_view_rec *r;
	uint64_t o, last;
	int64_t a, b;

	if (off >= v->size || len == 0)
		return -1;
	r = &v->rec[find_rec(v, off)];
	o = off - r->off;
	last = o + len - 1 < r->size ? o + len - 1 : r->size - 1;
	if (last < r->hdr_len)
		return -1;
	o = o < r->hdr_len ? 0 : o - r->hdr_len;
	a = base_at(r, o);
	b = base_at(r, last - r->hdr_len) + 1;
	if (b > r->end - r->beg)
		b = r->end - r->beg;
	if (a >= b)
		return -1;
	*contig = r->contig;
	if (v->kind == GDB_VIEW_RC) {
		*beg = r->end - b;
		*end = r->end - a;
	} else {
		*beg = r->beg + a;
		*end = r->beg + b;
	}
	return 0;
}

/* Hand a built text to the caller; NULL (and nothing) after a failure. */
static char *buf_finish(gdb_buf *b, size_t *len)
{
	if (!b->p && gdb_buf_room(b, 1))
		b->len = 0; /* an empty text is still a buffer */
	if (b->err) {
		gdb_buf_free(b);
		return NULL;
	}
	*len = b->len;
	return b->p;
}

char *gdb_view_fai(const gdb_view *v, const gdb_store *s, size_t *len)
{
	gdb_buf b = {0};

	for (uint32_t i = 0; i < v->nrec; i++) {
		const gdb_view_rec *r = &v->rec[i];
		int64_t L = r->end - r->beg;
		/* samtools records the first line's length: a record shorter
		 * than one line has L bases a line. Same bytes either way. */
		uint32_t w = L < r->width ? (uint32_t)L : r->width;
		gdb_buf_printf(&b, "%s\t%lld\t%llu\t%u\t%u\n",
			       gdb_store_contig(s, r->contig)->name,
			       (long long)L, (unsigned long long)r->seq_off, w,
			       w + 1);
	}
	return buf_finish(&b, len);
}

void gdb_render_md5_hex(const uint8_t md5[16], char out[33])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[md5[i] >> 4];
		out[2 * i + 1] = hex[md5[i] & 15];
	}
	out[32] = 0;
}

void gdb_render_refget(const uint8_t d[24], char out[36])
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				  "qrstuvwxyz0123456789-_";
	char *o = out + 3;

	memcpy(out, "SQ.", 3);
	for (int i = 0; i < 24; i += 3) {
		uint32_t x = ((uint32_t)d[i] << 16) |
			     ((uint32_t)d[i + 1] << 8) | d[i + 2];
		*o++ = b64[(x >> 18) & 63];
		*o++ = b64[(x >> 12) & 63];
		*o++ = b64[(x >> 6) & 63];
		*o++ = b64[x & 63];
	}
	*o = 0;
}

#define DICT_HD "@HD\tVN:1.0\tSO:unsorted\n"

size_t gdb_render_dict_size(const gdb_store *s, uint32_t first, uint32_t n)
{
	size_t len = strlen(DICT_HD);

	for (uint32_t i = 0; i < n; i++) {
		const gdb_contig *c = gdb_store_contig(s, first + i);
		char num[24];
		/* "@SQ\tSN:" name "\tLN:" length "\tM5:" 32 hex "\n" */
		len += 7 + strlen(c->name) + 4 +
		       (size_t)snprintf(num, sizeof(num), "%lld",
					(long long)c->length) +
		       4 + 32 + 1;
	}
	return len;
}

char *gdb_render_dict(const gdb_store *s, uint32_t first, uint32_t n,
		      size_t *len)
{
	gdb_buf b = {0};
	char md5[33];

	gdb_buf_printf(&b, DICT_HD);
	for (uint32_t i = 0; i < n; i++) {
		const gdb_contig *c = gdb_store_contig(s, first + i);
		uint8_t m[16], sha[24];
		if (gdb_seq_digests(s, c->id, m, sha) < 0) {
			gdb_buf_free(&b);
			return NULL;
		}
		gdb_render_md5_hex(m, md5);
		gdb_buf_printf(&b, "@SQ\tSN:%s\tLN:%lld\tM5:%s\n", c->name,
			       (long long)c->length, md5);
	}
	return buf_finish(&b, len);
}
