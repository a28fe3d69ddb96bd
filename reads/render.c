/*
 * reads/render.c - queries and renderers of aligned samples: the records
 * of a region as SAM, BAM or CRAM (htslib writes every byte), per-base
 * depth as samtools depth -a counts it, whole-sample export, and the
 * whole-sample BAM served piece by piece with its BAI.
 *
 * The whole-sample BAM is a function of the stored header and slices:
 * the header's BAM bytes, then each slice's records' BAM bytes, each part
 * cut into uncompressed BGZF blocks of RD_BGZF_DATA bytes (htslib's
 * bgzf_compress at level 0), then the EOF block. Uncompressed blocks make
 * every part's size exact from its byte count alone, so the file's size,
 * its virtual offsets and the BAI (built at import from the same layout)
 * never depend on a deflate implementation. A read renders only the parts
 * it touches (docs/FORMAT.md, "Whole-sample BAM").
 *
 * Threading: every call may run concurrently; the piece cache is locked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <htslib/bgzf.h>
#include <htslib/sam.h>

#include "reads/reads_int.h"

void gdb_reads_filter_init(gdb_reads_filter *f)
{
	memset(f, 0, sizeof(*f));
}

static int parse_u32(const char *v, uint32_t *out)
{
	char *end;
	unsigned long x;

	if (!*v || *v == '-' || *v == '+')
		return -1;
	x = strtoul(v, &end, 0);
	if (*end || x > 0xffffffffu)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

int gdb_reads_filter_parse(const char *text, gdb_reads_filter *f, char *err,
			   size_t errlen)
{
	char buf[256], *save = NULL, *kv;

	gdb_reads_filter_init(f);
	if (strlen(text) >= sizeof(buf)) {
		gdb_seterr(err, errlen, "parameters too long");
		return GDB_EFORMAT;
	}
	strcpy(buf, text);
	for (kv = strtok_r(buf, ",", &save); kv;
	     kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		uint32_t v;
		if (!eq || parse_u32(eq + 1, &v) < 0) {
			gdb_seterr(err, errlen,
				   "parameter '%s': expected "
				   "key=number",
				   kv);
			return GDB_EFORMAT;
		}
		*eq = 0;
		if (!strcmp(kv, "min-mapq") && v <= 255) {
			f->min_mapq = (int)v;
		} else if (!strcmp(kv, "flags-exclude") && v <= 0xffff) {
			f->flags_exclude = v;
		} else if (!strcmp(kv, "flags-require") && v <= 0xffff) {
			f->flags_require = v;
		} else {
			gdb_seterr(
			    err, errlen,
			    "parameter '%s': unknown, or "
			    "out of range (min-mapq 0-255, flags-exclude "
			    "and flags-require 0-0xffff)",
			    kv);
			return GDB_EFORMAT;
		}
	}
	return 0;
}

static int keep(const bam1_t *b, const gdb_reads_filter *f, uint32_t excl)
{
	return b->core.qual >= f->min_mapq && !(b->core.flag & excl) &&
	       (b->core.flag & f->flags_require) == f->flags_require;
}

/* Call fn for every record of tid overlapping [beg, end) (all records of
 * the sample when tid < -1) that passes f, in file order. */
typedef int (*rec_fn)(void *arg, const bam1_t *b);

static int each_record(gdb_reads *r, int64_t tid, int64_t beg, int64_t end,
		       const gdb_reads_filter *f, uint32_t excl, rec_fn fn,
		       void *arg)
{
	int rc = 0;

	for (uint32_t i = 0; i < r->nslices && rc == 0; i++) {
		rd_slice_ent e;
		bam1_t **recs = NULL;
		uint32_t n = 0;
		rd_slice_ent_get(r, i, &e);
		if (tid >= -1 && (e.tid != tid || e.beg >= end || e.end <= beg))
			continue;
		rc = rd_slice_load(r, i, &recs, &n);
		for (uint32_t k = 0; k < n && rc == 0; k++) {
			const bam1_t *b = recs[k];
			if (tid >= -1 &&
			    (b->core.pos >= end || bam_endpos(b) <= beg))
				continue;
			if (keep(b, f, excl))
				rc = fn(arg, b);
		}
		rd_recs_free(recs, n);
	}
	return rc;
}

struct wr {
	htsFile *f;
	sam_hdr_t *h;
	uint64_t bytes, max;
};

static int write_rec(void *arg, const bam1_t *b)
{
	struct wr *w = arg;

	/* stop early when the answer is sure to be too large */
	w->bytes += (uint64_t)b->l_data + 36;
	if (w->max && w->bytes > 4 * w->max)
		return -EFBIG;
	return sam_write1(w->f, w->h, b) < 0 ? -EIO : 0;
}

static const char *mode_of(int fmt)
{
	return fmt == GDB_READS_SAM ? "w" : fmt == GDB_READS_BAM ? "wb" : "wc";
}

/* Open a writer of fmt (CRAM: sequences stored as they are, no reference
 * needed to read it back) and write the header. */
static int writer_begin(htsFile *f, int fmt, sam_hdr_t *h)
{
	if (fmt == GDB_READS_CRAM && hts_set_opt(f, CRAM_OPT_NO_REF, 1) < 0)
		return -EIO;
	return sam_hdr_write(f, h) < 0 ? -EIO : 0;
}

struct depth {
	uint32_t *d;
	int64_t beg, end;
};

/* samtools depth: bases under M/=/X count, deletions and skips do not. */
static int add_depth(void *arg, const bam1_t *b)
{
	struct depth *dp = arg;
	const uint32_t *cig = bam_get_cigar(b);
	int64_t rp = b->core.pos;

	for (uint32_t k = 0; k < b->core.n_cigar; k++) {
		int t = bam_cigar_type(bam_cigar_op(cig[k]));
		int64_t len = bam_cigar_oplen(cig[k]);
		if (t == 3) {
			int64_t a = rp > dp->beg ? rp : dp->beg;
			int64_t z = rp + len < dp->end ? rp + len : dp->end;
			for (int64_t p = a; p < z; p++)
				dp->d[p - dp->beg]++;
		}
		if (t & 2)
			rp += len;
	}
	return 0;
}

int gdb_reads_depth(gdb_reads *r, uint32_t tid, int64_t beg, int64_t end,
		    const gdb_reads_filter *f, uint32_t *out)
{
	struct depth dp = {out, beg, end};
	/* samtools depth's default filter, to which -G adds */
	uint32_t excl = 0x704 | f->flags_exclude;

	if (r->kind != GDB_READS_ALIGNED ||
	    tid >= (uint32_t)r->hdr->n_targets || beg < 0 || end <= beg)
		return -EINVAL;
	memset(out, 0, (size_t)(end - beg) * 4);
	return each_record(r, tid, beg, end, f, excl, add_depth, &dp);
}

static int render_depth(gdb_reads *r, uint32_t tid, int64_t beg, int64_t end,
			const gdb_reads_filter *f, size_t max, char **out,
			size_t *len)
{
	size_t n = (size_t)(end - beg);
	uint32_t *d;
	int rc;

	if (n > max / 4)
		return -EFBIG;
	d = malloc(n ? n * 4 : 1);
	if (!d)
		return -ENOMEM;
	rc = gdb_reads_depth(r, tid, beg, end, f, d);
	if (rc < 0) {
		free(d);
		return rc;
	}
	for (size_t i = 0; i < n; i++)
		gdb_put_le32(&d[i], d[i]);
	*out = (char *)d;
	*len = n * 4;
	return 0;
}

int gdb_reads_render_region(gdb_reads *r, int fmt, uint32_t tid, int64_t beg,
			    int64_t end, const gdb_reads_filter *f, size_t max,
			    char **out, size_t *len, char *err, size_t errlen)
{
	rd_memout *m = NULL;
	struct wr w;
	int rc;

	if (r->kind != GDB_READS_ALIGNED ||
	    tid >= (uint32_t)r->hdr->n_targets || beg < 0 || end <= beg)
		return -EINVAL;
	if (fmt == GDB_READS_DEPTH_U32)
		return render_depth(r, tid, beg, end, f, max, out, len);
	rc = rd_memout_open(mode_of(fmt), &m);
	if (rc < 0)
		return rc;
	w.f = rd_memout_file(m);
	w.h = r->hdr;
	w.bytes = 0;
	w.max = max;
	rc = writer_begin(w.f, fmt, r->hdr);
	if (rc == 0)
		rc = each_record(r, tid, beg, end, f, f->flags_exclude,
				 write_rec, &w);
	if (rc < 0) {
		rd_memout_abort(m);
		if (rc == -EIO)
			gdb_seterr(err, errlen, "htslib failed to write");
		return rc;
	}
	rc = rd_memout_finish(m, out, len);
	if (rc == 0 && *len > max) {
		free(*out);
		*out = NULL;
		return -EFBIG;
	}
	return rc;
}

int gdb_reads_export(gdb_reads *r, int fmt, int fd, const char *const *regions,
		     int nregions, const gdb_reads_filter *f, char *err,
		     size_t errlen)
{
	struct wr w = {NULL, r->hdr, 0, 0};
	int rc;

	if (r->kind != GDB_READS_ALIGNED || fmt == GDB_READS_DEPTH_U32)
		return -EINVAL;
	w.f = rd_hts_fdopen(fd, mode_of(fmt));
	if (!w.f)
		return -EIO;
	rc = writer_begin(w.f, fmt, r->hdr);
	if (rc == 0 && nregions == 0)
		rc = each_record(r, -2, 0, 0, f, f->flags_exclude, write_rec,
				 &w);
	for (int i = 0; rc == 0 && i < nregions; i++) {
		int tid;
		hts_pos_t beg, end;
		if (!sam_parse_region(r->hdr, regions[i], &tid, &beg, &end,
				      0) ||
		    tid < 0) {
			gdb_seterr(err, errlen,
				   "region '%s': no such @SQ "
				   "name, or malformed",
				   regions[i]);
			rc = GDB_EFORMAT;
			break;
		}
		rc = each_record(r, tid, beg, end, f, f->flags_exclude,
				 write_rec, &w);
	}
	if (hts_close(w.f) < 0 && rc == 0)
		rc = -EIO;
	return rc;
}

/* ---- the whole-sample BAM ---- */

uint64_t gdb_reads_bam_size(const gdb_reads *r)
{
	return r->kind == GDB_READS_ALIGNED ? r->bam_size : 0;
}

int gdb_reads_bai(gdb_reads *r, const void **data, size_t *len)
{
	if (r->kind != GDB_READS_ALIGNED)
		return -EINVAL;
	*data = r->bai;
	*len = r->bai_len;
	return 0;
}

/* Piece i of the BAM: the header's blocks (i == UINT32_MAX) or slice i's. */
static int bam_piece(gdb_reads *r, int which, uint32_t i, char **data,
		     size_t *len)
{
	gdb_buf raw = {0}, out = {0};
	bam1_t **recs = NULL;
	uint32_t n = 0;
	rd_slice_ent e;
	int rc = 0;

	(void)which;
	if (i == UINT32_MAX) {
		rc = rd_bgzf_blocks(r->hdr_raw, r->hdr_raw_len, &out);
		goto done;
	}
	rd_slice_ent_get(r, i, &e);
	rc = rd_slice_load(r, i, &recs, &n);
	if (rc == 0)
		rc = rd_hts_raw(recs, n, &raw);
	rd_recs_free(recs, n);
	if (rc == 0 && raw.len != e.raw_len) {
		gdb_log(GDB_LOG_ERROR,
			"reads %s: slice %u renders to %zu "
			"BAM bytes, its index says %llu",
			r->name, i, raw.len, (unsigned long long)e.raw_len);
		rc = GDB_ECORRUPT;
	}
	if (rc == 0)
		rc = rd_bgzf_blocks(raw.p, raw.len, &out);
	gdb_buf_free(&raw);
done:
	if (rc < 0) {
		gdb_buf_free(&out);
		return rc;
	}
	*data = out.p;
	*len = out.len;
	return 0;
}

/* The slice whose BGZF part holds offset off (hdr_bgzf <= off < EOF). */
static uint32_t slice_at(const gdb_reads *r, uint64_t off)
{
	uint32_t lo = 0, hi = r->nslices;

	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;
		rd_slice_ent e;
		rd_slice_ent_get(r, mid, &e);
		if (e.bam_off <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

ssize_t gdb_reads_bam_pread(gdb_reads *r, void *dst, size_t n, uint64_t off)
{
	size_t done = 0;

	if (r->kind != GDB_READS_ALIGNED)
		return -EINVAL;
	while (done < n && off < r->bam_size) {
		uint64_t eof_at = r->bam_size - RD_BGZF_EOF_LEN;
		char *d = (char *)dst + done;
		ssize_t k;
		if (off >= eof_at) {
			uint8_t eof[RD_BGZF_EOF_LEN];
			size_t el = sizeof(eof);
			if (bgzf_compress(eof, &el, "", 0, 0) < 0 ||
			    el != RD_BGZF_EOF_LEN)
				return -EIO;
			k = (ssize_t)(eof_at + el - off);
			if ((size_t)k > n - done)
				k = (ssize_t)(n - done);
			memcpy(d, eof + (off - eof_at), (size_t)k);
		} else if (off < r->hdr_bgzf) {
			k = rd_piece_copy(r, 0, UINT32_MAX, bam_piece, off, d,
					  n - done);
		} else {
			uint32_t i = slice_at(r, off);
			rd_slice_ent e;
			rd_slice_ent_get(r, i, &e);
			k = rd_piece_copy(r, 0, i, bam_piece, off - e.bam_off,
					  d, n - done);
		}
		if (k < 0)
			return done ? (ssize_t)done : k;
		if (k == 0)
			return GDB_CORRUPT(
			    "reads: BAM piece shorter than its index says");
		done += (size_t)k;
		off += (uint64_t)k;
	}
	return (ssize_t)done;
}
