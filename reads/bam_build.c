/*
 * reads/bam_build.c - the aligned-reads builder: a coordinate-sorted SAM,
 * BAM or CRAM file (read by htslib) into one reads object of the store.
 *
 * What it checks: every @SQ is a contig of the assembly with the same
 * length (and the same MD5 where the header gives M5); records are sorted
 * (by target in header order, unplaced reads last, by position within a
 * target); htslib accepts every record (a CIGAR that disagrees with the
 * sequence, a truncated BGZF block). The first failure is an error naming
 * the file and the record number, and the caller aborts the transaction.
 *
 * How it writes (docs/FORMAT.md, "Reads"): records are gathered into
 * slices (one target, at most RD_SLICE_RECS records, RD_SLICE_BASES
 * bases, RD_SLICE_RAW BAM bytes or RD_SLICE_SPAN reference bases); each
 * slice is encoded (reads/slice_enc.c), decoded again and compared, as
 * BAM bytes written by htslib, with the input: a record that does not
 * come back identical is stored whole instead, so the object gives back
 * every record exactly. The BAI of the whole-sample BAM (reads/render.c)
 * is built as slices are written, from their BAM byte counts.
 *
 * Memory: one slice of records and its encodings at a time, plus the
 * index entries (64 bytes a slice) and htslib's BAI state.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <htslib/bgzf.h>
#include <htslib/hts.h>
#include <htslib/kstring.h>
#include <htslib/sam.h>

#include "reads/reads_int.h"
#include "seq/seq.h"

/* Reference span of one slice (a read longer than this is a slice). */
#define RD_SLICE_SPAN ((int64_t)4 << 20)

int rd_ref_coded(const bam1_t *b);

typedef struct bb {
	const gdb_store *s;
	gdb_cache *c;
	gdb_txn *t;
	const char *path;
	sam_hdr_t *h;
	int32_t *contig_of;
	bam1_t **recs; /* the slice being gathered: n of them */
	uint32_t n, cap;
	uint64_t bases, rawish;
	int64_t first_pos, max_end;
	uint64_t nrec;	  /* records read so far */
	uint64_t bam_off; /* where the next slice's BGZF part starts */
	uint32_t nslices;
	gdb_buf index;
	hts_idx_t *idx;
	gdb_reads_import_stats *st;
	unsigned flags;
	char *err;
	size_t errlen;
} bb;

static int fail(bb *b, const char *fmt, const char *a, const char *z)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, a, z);
	gdb_seterr(b->err, b->errlen, "%s: %s", b->path, msg);
	return GDB_EFORMAT;
}

/* Every @SQ must be the assembly's contig: same name, length, M5. */
static int check_refs(bb *b, uint32_t ai, const char *asm_name)
{
	kstring_t m5 = {0, 0, NULL};
	int rc = 0;

	b->contig_of = calloc((size_t)b->h->n_targets + 1, sizeof(int32_t));
	if (!b->contig_of)
		return -ENOMEM;
	for (int32_t t = 0; t < b->h->n_targets && rc == 0; t++) {
		const char *nm = sam_hdr_tid2name(b->h, t);
		int id = gdb_store_contig_find(b->s, ai, nm);
		const gdb_contig *c;
		char hex[33], msg[160];
		uint8_t md5[16], sha[24];
		if (id < 0 && (b->flags & GDB_READS_ALLOW_MISSING_SQ)) {
			b->contig_of[t] = -1; /* records placed on it fail */
			continue;
		}
		if (id < 0) {
			rc = fail(b,
				  "@SQ SN:%s is not a contig of assembly %s "
				  "(--allow-missing-contigs accepts @SQ lines "
				  "that no record uses)",
				  nm, asm_name);
			break;
		}
		c = gdb_store_contig(b->s, (uint32_t)id);
		if ((int64_t)sam_hdr_tid2len(b->h, t) != c->length) {
			snprintf(msg, sizeof(msg),
				 "@SQ SN:%s LN:%lld, but the "
				 "assembly's %s has %lld bases",
				 nm, (long long)sam_hdr_tid2len(b->h, t), nm,
				 (long long)c->length);
			rc = fail(b, "%s%s", msg, "");
			break;
		}
		/* a short contig's digests are computed when asked for */
		rc = gdb_seq_digests(b->s, c->id, md5, sha);
		if (rc < 0) {
			gdb_seterr(b->err, b->errlen,
				   "%s: @SQ SN:%s: the assembly's sequence "
				   "cannot be read to check its M5: %s",
				   b->path, nm, gdb_strerror(rc));
			break;
		}
		for (int k = 0; k < 16; k++)
			snprintf(hex + 2 * k, 3, "%02x", md5[k]);
		if (sam_hdr_find_tag_id(b->h, "SQ", "SN", nm, "M5", &m5) == 0 &&
		    strcasecmp(m5.s, hex))
			rc = fail(b,
				  "@SQ SN:%s has M5:%s, which is not the "
				  "assembly's sequence",
				  nm, m5.s);
		b->contig_of[t] = id;
	}
	free(m5.s);
	return rc;
}

/* Offsets of each record's BAM bytes in raw (block_size first). */
static int split_raw(const gdb_buf *raw, uint32_t n, const uint8_t **at)
{
	size_t off = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (raw->len - off < 4)
			return -EIO;
		at[i] = (const uint8_t *)raw->p + off;
		off += 4 + (size_t)gdb_get_le32(at[i]);
	}
	return off == raw->len ? 0 : -EIO;
}

/* The reference window of the slice's records coded against it. */
static int slice_ref(bb *b, rd_ref *ref, char **owned)
{
	int64_t lo = INT64_MAX, hi = 0;

	for (uint32_t i = 0; i < b->n; i++) {
		if (!rd_ref_coded(b->recs[i]))
			continue;
		if (b->recs[i]->core.pos < lo)
			lo = b->recs[i]->core.pos;
		if (bam_endpos(b->recs[i]) > hi)
			hi = bam_endpos(b->recs[i]);
	}
	*owned = NULL;
	ref->bases = NULL;
	ref->beg = ref->end = 0;
	if (lo == INT64_MAX)
		return 0;
	return rd_ref_load(b->c, b->contig_of[b->recs[0]->core.tid], lo, hi,
			   ref, owned);
}

/*
 * Encode, decode and compare; records that differ are kept whole and the
 * slice is encoded again. @return 0 with the payload in out
 */
static int encode_checked(bb *b, const rd_ref *ref, const uint8_t **at,
			  gdb_buf *out)
{
	uint8_t *verb = calloc(b->n ? b->n : 1, 1);
	int32_t tid = b->recs[0]->core.tid;
	int rc = verb ? 0 : -ENOMEM;

	for (int round = 0; rc == 0; round++) {
		bam1_t **back = NULL;
		uint32_t nb = 0, diff = 0;
		gdb_buf raw2 = {0};
		const uint8_t **at2 = NULL;
		out->len = 0;
		rc = rd_slice_encode(b->recs, b->n, tid, ref, verb, at, out);
		if (rc == 0)
			rc = rd_slice_decode((const uint8_t *)out->p, out->len,
					     ref, &back, &nb);
		if (rc == 0 && nb == b->n)
			rc = rd_hts_raw(back, nb, &raw2);
		if (rc == 0 && !(at2 = malloc((nb ? nb : 1) * sizeof(*at2))))
			rc = -ENOMEM;
		if (rc == 0 && nb == b->n && split_raw(&raw2, nb, at2) == 0) {
			for (uint32_t i = 0; i < nb; i++) {
				uint32_t l = gdb_get_le32(at[i]);
				if (l != gdb_get_le32(at2[i]) ||
				    memcmp(at[i], at2[i], 4 + (size_t)l)) {
					verb[i] = 1;
					diff++;
				}
			}
		} else if (rc == 0) {
			rc = GDB_ECORRUPT;
		}
		rd_recs_free(back, nb);
		free(at2);
		gdb_buf_free(&raw2);
		if (rc == 0 && diff == 0)
			break;
		if (rc == 0 && round == 1) {
			gdb_seterr(b->err, b->errlen,
				   "%s: records near #%llu "
				   "do not round-trip even when kept whole",
				   b->path, (unsigned long long)b->nrec);
			rc = GDB_ECORRUPT;
		}
		if (b->st)
			b->st->verbatim += diff;
	}
	free(verb);
	return rc;
}

/* BAI entries of the slice's records, from their BAM byte offsets. */
static int index_slice(bb *b, const gdb_buf *raw, const uint8_t **at)
{
	uint64_t next = b->bam_off + rd_bgzf_len(raw->len);

	for (uint32_t i = 0; i < b->n; i++) {
		const bam1_t *r = b->recs[i];
		uint64_t u = (uint64_t)(at[i] - (const uint8_t *)raw->p) + 4 +
			     gdb_get_le32(at[i]);
		if (hts_idx_push(b->idx, r->core.tid, r->core.pos,
				 bam_endpos(r),
				 rd_voff(b->bam_off, u, raw->len, next),
				 !(r->core.flag & BAM_FUNMAP)) < 0) {
			gdb_seterr(
			    b->err, b->errlen,
			    "%s: htslib refused to "
			    "index record #%llu",
			    b->path,
			    (unsigned long long)(b->nrec - b->n + i + 1));
			return GDB_EFORMAT;
		}
	}
	return 0;
}

int rd_write_section(gdb_txn *t, const char *name, const void *p, size_t n,
		     gdb_reads_import_stats *st)
{
	GDB_TRY(gdb_txn_section_begin(t, name));
	GDB_TRY(gdb_txn_section_write(t, p, n));
	if (st)
		st->stored_bytes += n;
	return gdb_txn_section_end(t);
}

static int flush_slice(bb *b)
{
	gdb_buf raw = {0}, out = {0};
	const uint8_t **at = NULL;
	rd_ref ref;
	char *owned = NULL, name[32];
	rd_slice_ent e;
	int rc;

	if (!b->n)
		return 0;
	rc = rd_hts_raw(b->recs, b->n, &raw);
	if (rc == 0 && !(at = malloc(b->n * sizeof(*at))))
		rc = -ENOMEM;
	if (rc == 0)
		rc = split_raw(&raw, b->n, at);
	if (rc == 0)
		rc = slice_ref(b, &ref, &owned);
	if (rc == 0)
		rc = encode_checked(b, &ref, at, &out);
	if (rc == 0)
		rc = index_slice(b, &raw, at);
	snprintf(name, sizeof(name), "s.%u", b->nslices);
	if (rc == 0)
		rc = rd_write_section(b->t, name, out.p, out.len, b->st);
	e.tid = b->recs[0]->core.tid;
	e.n = b->n;
	e.beg = b->first_pos;
	e.end = b->max_end;
	e.first = b->nrec - b->n;
	e.raw_len = raw.len;
	e.bam_off = b->bam_off;
	if (rc == 0) {
		uint8_t *p = gdb_buf_room(&b->index, RD_ALN_ENTRY);
		if (p)
			rd_slice_ent_put(p, &e);
		rc = b->index.err;
	}
	b->bam_off += rd_bgzf_len(raw.len);
	b->nslices++;
	if (b->st)
		b->st->raw_bytes += raw.len;
	b->n = 0;
	b->bases = b->rawish = 0;
	free(owned);
	free(at);
	gdb_buf_free(&raw);
	gdb_buf_free(&out);
	return rc;
}

/* Does r end the slice being gathered (before r joins it)? */
static int slice_full(const bb *b, const bam1_t *r)
{
	if (!b->n)
		return 0;
	return r->core.tid != b->recs[0]->core.tid || b->n >= RD_SLICE_RECS ||
	       b->bases >= RD_SLICE_BASES || b->rawish >= RD_SLICE_RAW ||
	       (r->core.tid >= 0 &&
		bam_endpos(r) - b->first_pos > RD_SLICE_SPAN);
}

/* Sorted by coordinate: targets in header order, unplaced reads last. */
static int check_order(bb *b, const bam1_t *r, int32_t *ptid, int64_t *ppos)
{
	int32_t tid = r->core.tid;
	char msg[200];

	if (b->nrec > 1 &&
	    ((*ptid < 0 && tid >= 0) || (tid >= 0 && tid < *ptid) ||
	     (tid >= 0 && tid == *ptid && r->core.pos < *ppos))) {
		snprintf(msg, sizeof(msg),
			 "record #%llu (%s) is out of "
			 "coordinate order: sort the file (samtools sort)",
			 (unsigned long long)b->nrec, bam_get_qname(r));
		return fail(b, "%s%s", msg, "");
	}
	*ptid = tid;
	*ppos = r->core.pos;
	return 0;
}

/* The record slot after the slice's last: recs[n], allocated. */
static bam1_t *next_slot(bb *b)
{
	if (b->n + 1 >= b->cap) {
		uint32_t cap = b->cap ? b->cap * 2 : 256;
		bam1_t **p = realloc(b->recs, cap * sizeof(*p));
		if (!p)
			return NULL;
		memset(p + b->cap, 0, (cap - b->cap) * sizeof(*p));
		b->recs = p;
		b->cap = cap;
	}
	if (!b->recs[b->n])
		b->recs[b->n] = bam_init1();
	return b->recs[b->n];
}

/* The record just read into recs[n] joins the slice (after the slice
 * is written, if it ends here). */
static int add_record(bb *b)
{
	bam1_t *r = b->recs[b->n];

	if (slice_full(b, r)) {
		uint32_t was = b->n;
		GDB_TRY(flush_slice(b));
		b->recs[was] = b->recs[0];
		b->recs[0] = r;
	}
	if (!b->n) {
		b->first_pos = r->core.pos;
		b->max_end = bam_endpos(r);
	}
	if (bam_endpos(r) > b->max_end)
		b->max_end = bam_endpos(r);
	b->n++;
	b->bases += (uint64_t)r->core.l_qseq;
	b->rawish += (uint64_t)r->l_data + 36;
	if (b->st) {
		b->st->records++;
		b->st->bases += (uint64_t)r->core.l_qseq;
	}
	return 0;
}

int rd_write_meta(gdb_txn *t, const rd_meta *m, gdb_reads_import_stats *st)
{
	size_t sl = strlen(m->str);
	uint8_t p[RD_META_FIXED + 2 + 256];

	if (sl > 255)
		return -EINVAL;
	memset(p, 0, sizeof(p));
	memcpy(p, RD_MAGIC, 8);
	gdb_put_le32(p + 8, RD_VERSION);
	gdb_put_le32(p + 12, (uint32_t)m->kind);
	gdb_put_le64(p + 16, m->records);
	gdb_put_le32(p + 24, m->nslices);
	gdb_put_le32(p + 28, m->flags);
	gdb_put_le64(p + 32, m->bytes[0]);
	gdb_put_le64(p + 40, m->bytes[1]);
	gdb_put_le32(p + 48, m->first_slice);
	gdb_put_le32(p + 52, m->ntargets);
	gdb_put_le16(p + 56, m->trailer[0]);
	gdb_put_le16(p + 58, m->trailer[1]);
	gdb_put_le16(p + RD_META_FIXED, (uint16_t)sl);
	memcpy(p + RD_META_FIXED + 2, m->str, sl);
	return rd_write_section(t, RD_SEC_META, p, RD_META_FIXED + 2 + sl, st);
}

/*
 * A CRAM input is decoded against the store's assembly: htslib wants a
 * FASTA file, so the @SQ contigs are written to a temporary one (htslib
 * indexes it beside itself). @return 0 with the file's path in path
 */
static int cram_reference(bb *b, char *dir, size_t dirlen, char *path,
			  size_t pathlen)
{
	const char *tmp = getenv("TMPDIR");
	char *line = malloc(61);
	FILE *f;
	int rc = 0;

	snprintf(dir, dirlen, "%s/genomedb-ref-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!line || !mkdtemp(dir)) {
		free(line);
		gdb_seterr(b->err, b->errlen,
			   "cannot make a temporary "
			   "directory for the CRAM reference");
		dir[0] = 0;
		return -EIO;
	}
	snprintf(path, pathlen, "%s/ref.fa", dir);
	f = fopen(path, "w");
	for (int32_t t = 0; f && t < b->h->n_targets && rc == 0; t++) {
		const gdb_contig *c =
		    gdb_store_contig(b->s, (uint32_t)b->contig_of[t]);
		fprintf(f, ">%s\n", c->name);
		for (int64_t at = 0; at < c->length && rc == 0; at += 60) {
			int64_t k = c->length - at < 60 ? c->length - at : 60;
			rc = gdb_cache_read(b->c, c->id, at, at + k, line);
			line[k] = '\n';
			if (rc == 0 &&
			    fwrite(line, 1, (size_t)k + 1, f) != (size_t)k + 1)
				rc = -EIO;
		}
	}
	if (!f || fclose(f) != 0)
		rc = rc ? rc : -EIO;
	free(line);
	if (rc < 0)
		gdb_seterr(b->err, b->errlen,
			   "cannot write the CRAM "
			   "reference in %s",
			   dir);
	return rc;
}

static void remove_reference(const char *dir)
{
	static const char *const files[] = {"ref.fa", "ref.fa.fai"};
	char p[4200];

	if (!dir[0])
		return;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* Read every record into slices. */
static int read_records(bb *b, samFile *f, gdb_reads_progress progress,
			void *parg, uint64_t total)
{
	int32_t ptid = -1;
	int64_t ppos = -1;
	int rc = 0, k;
	bam1_t *r;

	while ((r = next_slot(b)) && (k = sam_read1(f, b->h, r)) >= 0) {
		b->nrec++;
		rc = check_order(b, r, &ptid, &ppos);
		if (rc == 0 && r->core.tid >= 0 &&
		    b->contig_of[r->core.tid] < 0)
			rc = fail(b,
				  "a record is placed on @SQ SN:%s, which is "
				  "not a contig of the assembly%s",
				  sam_hdr_tid2name(b->h, r->core.tid), "");
		if (rc == 0)
			rc = add_record(b);
		if (rc < 0)
			return rc;
		if (progress && (b->nrec & 4095) == 0 && f->is_bgzf)
			progress(parg, (uint64_t)(bgzf_tell(f->fp.bgzf) >> 16),
				 total);
	}
	if (!r)
		return -ENOMEM;
	if (k < -1) {
		char msg[160];
		snprintf(msg, sizeof(msg),
			 "record #%llu: htslib cannot read "
			 "it (truncated or malformed: a bad CIGAR, a BGZF "
			 "block cut short)",
			 (unsigned long long)b->nrec + 1);
		return fail(b, "%s%s", msg, "");
	}
	return flush_slice(b);
}

/* Header, index, BAI and meta, after the slices. */
static int finish(bb *b, const char *asm_name)
{
	gdb_buf hraw = {0}, hfr = {0};
	char bai_path[64];
	int fd = -1, rc;
	uint64_t bam_size = b->bam_off + RD_BGZF_EOF_LEN;
	rd_meta m = {
	    GDB_READS_ALIGNED,	       b->nrec, b->nslices, 0, {0, 0}, 0,
	    (uint32_t)b->h->n_targets, {0, 0},	asm_name};

	rc = rd_hts_header_raw(b->h, &hraw);
	if (rc == 0)
		rc = gdb_codecs_col_encode((const uint8_t *)hraw.p, hraw.len,
					   GDB_COL_Z | GDB_COL_A1, &hfr);
	if (rc == 0)
		rc = rd_write_section(b->t, RD_SEC_HEADER, hfr.p, hfr.len,
				      b->st);
	if (rc == 0)
		rc = rd_write_section(b->t, RD_SEC_INDEX, b->index.p,
				      b->index.len, b->st);
	if (rc == 0 &&
	    hts_idx_finish(b->idx, (bam_size - RD_BGZF_EOF_LEN) << 16) < 0)
		rc = -EIO;
	if (rc == 0 && (fd = memfd_create("genomedb-bai", MFD_CLOEXEC)) < 0)
		rc = -errno;
	snprintf(bai_path, sizeof(bai_path), "/proc/self/fd/%d", fd);
	if (rc == 0 && hts_idx_save_as(b->idx, NULL, bai_path, HTS_FMT_BAI) < 0)
		rc = -EIO;
	if (rc == 0) {
		off_t n = lseek(fd, 0, SEEK_END);
		char *p = n > 0 ? malloc((size_t)n) : NULL;
		gdb_buf fr = {0};
		if (!p || pread(fd, p, (size_t)n, 0) != n)
			rc = -EIO;
		else
			rc = gdb_codecs_col_encode((const uint8_t *)p,
						   (size_t)n, GDB_COL_ALL, &fr);
		if (rc == 0)
			rc = rd_write_section(b->t, RD_SEC_BAI, fr.p, fr.len,
					      b->st);
		gdb_buf_free(&fr);
		free(p);
	}
	if (fd >= 0)
		close(fd);
	if (rc == 0)
		rc = rd_write_meta(b->t, &m, b->st);
	gdb_buf_free(&hraw);
	gdb_buf_free(&hfr);
	return rc;
}

static void bb_free(bb *b)
{
	for (uint32_t i = 0; i < b->cap; i++)
		bam_destroy1(b->recs[i]);
	free(b->recs);
	free(b->contig_of);
	gdb_buf_free(&b->index);
	if (b->idx)
		hts_idx_destroy(b->idx);
	if (b->h)
		sam_hdr_destroy(b->h);
}

/* Open path with htslib; only SAM, BAM and CRAM are taken. */
static samFile *open_input(bb *b, int *is_cram)
{
	samFile *f = sam_open(b->path, "r");
	const htsFormat *fmt;

	if (!f) {
		gdb_seterr(b->err, b->errlen, "%s: %s", b->path,
			   errno ? strerror(errno) : "cannot open");
		return NULL;
	}
	fmt = hts_get_format(f);
	if (fmt->format != sam && fmt->format != bam && fmt->format != cram) {
		char *what = hts_format_description(fmt); /* malloc'd */

		gdb_seterr(b->err, b->errlen, "%s: not SAM, BAM or CRAM (%s)",
			   b->path, what ? what : "unknown format");
		free(what);
		(void)hts_close(f);
		return NULL;
	}
	*is_cram = fmt->format == cram;
	return f;
}

int gdb_reads_import_bam(gdb_txn *t, const gdb_store *s, gdb_cache *c,
			 const char *asm_name, const char *path, unsigned flags,
			 gdb_reads_progress progress, void *parg,
			 gdb_reads_import_stats *st, char *err, size_t errlen)
{
	bb b;
	samFile *f = NULL;
	char dir[4096] = "", ref[4200];
	int ai = gdb_store_assembly_find(s, asm_name), cram = 0, rc = 0;
	struct stat sb;
	uint64_t total = stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;

	memset(&b, 0, sizeof(b));
	b.s = s, b.c = c, b.t = t, b.path = path, b.st = st;
	b.err = err, b.errlen = errlen;
	b.flags = flags;
	if (ai < 0) {
		gdb_seterr(err, errlen, "no assembly '%s' in the store",
			   asm_name);
		return -ENOENT;
	}
	if (!(f = open_input(&b, &cram)))
		return GDB_EFORMAT;
	if (!(b.h = sam_hdr_read(f)))
		rc = fail(&b, "%s%s", "cannot read the header", "");
	if (rc == 0)
		rc = check_refs(&b, (uint32_t)ai, asm_name);
	if (rc == 0 && cram) {
		rc = cram_reference(&b, dir, sizeof(dir), ref, sizeof(ref));
		if (rc == 0 && hts_set_opt(f, CRAM_OPT_REFERENCE, ref) < 0)
			rc = fail(&b, "%s%s", "htslib refused the reference",
				  "");
	}
	b.bam_off = rd_bgzf_len(0);
	if (rc == 0) {
		gdb_buf hraw = {0};
		rc = rd_hts_header_raw(b.h, &hraw);
		b.bam_off = rd_bgzf_len(hraw.len);
		gdb_buf_free(&hraw);
		b.idx = hts_idx_init(b.h->n_targets, HTS_FMT_BAI,
				     b.bam_off << 16, 14, 5);
		if (rc == 0 && !b.idx)
			rc = -ENOMEM;
	}
	if (rc == 0)
		rc = read_records(&b, f, progress, parg, total);
	if (rc == 0)
		rc = finish(&b, asm_name);
	if (st)
		st->slices = b.nslices;
	(void)hts_close(f);
	remove_reference(dir);
	bb_free(&b);
	return rc;
}
