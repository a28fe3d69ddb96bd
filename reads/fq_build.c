/*
 * reads/fq_build.c - the FASTQ builder: one file, or the two mates of a
 * pair read in step, into one reads object (docs/FORMAT.md, "Reads",
 * "FASTQ chunk").
 *
 * Records are gathered into chunks of at most RD_FQ_CHUNK_RAW bytes of
 * FASTQ (both mates together) and RD_FQ_CHUNK_RECS records. Each chunk is
 * encoded, decoded again and rendered, and the bytes compared with the
 * input's (with qualities binned in a lossy mode): a chunk that would not
 * come back exactly stops the import. Mates must hold the same number of
 * records. Memory: one chunk's records, bytes and encodings at a time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reads/reads_int.h"

typedef struct fb {
	gdb_txn *t;
	const char *path[2];
	fq_in *in[2];
	int nm;
	fq_set set[2];
	gdb_buf raw[2];
	uint64_t first, off[2];
	uint32_t nchunks;
	gdb_buf index;
	gdb_reads_import_stats *st;
	char *err;
	size_t errlen;
} fb;

static const char *eol_of(const fq_in *in)
{
	return fq_in_crlf(in) ? "\r\n" : "\n";
}

/* Decode the chunk and render it: it must give back the chunk's bytes. */
static int check_chunk(fb *b, const gdb_buf *enc, int last)
{
	fq_set d[2];
	fq_set *dp[2] = {&d[0], b->nm > 1 ? &d[1] : NULL};
	gdb_buf out = {0};
	int rc;

	memset(d, 0, sizeof(d));
	rc = fq_chunk_decode((const uint8_t *)enc->p, enc->len, dp);
	for (int m = 0; m < b->nm && rc == 0; m++) {
		out.len = 0;
		for (uint32_t i = 0; i < d[m].n; i++)
			fq_render_rec(&d[m], i, eol_of(b->in[m]),
				      last && i + 1 == d[m].n &&
					  fq_in_noeol(b->in[m]) &&
					  !fq_in_trailer(b->in[m]),
				      &out);
		if (d[m].n != b->set[m].n || out.len != b->raw[m].len ||
		    memcmp(out.p, b->raw[m].p, out.len))
			rc = GDB_ECORRUPT;
	}
	if (rc == GDB_ECORRUPT)
		gdb_seterr(b->err, b->errlen,
			   "%s: records %llu-%llu do not "
			   "come back exactly from their encoding (a defect: "
			   "please report it with the file)",
			   b->path[0], (unsigned long long)b->first + 1,
			   (unsigned long long)(b->first + b->set[0].n));
	for (int m = 0; m < 2; m++)
		fq_set_free(&d[m]);
	gdb_buf_free(&out);
	return rc;
}

static int flush_chunk(fb *b, int last)
{
	fq_set *sp[2] = {&b->set[0], b->nm > 1 ? &b->set[1] : NULL};
	gdb_buf enc = {0};
	char name[32];
	uint8_t *e;
	uint64_t len[2];
	int rc;

	if (!b->set[0].n && !last)
		return 0;
	rc = fq_chunk_encode(sp, &enc);
	if (rc == 0)
		rc = check_chunk(b, &enc, last);
	snprintf(name, sizeof(name), "s.%u", b->nchunks);
	if (rc == 0)
		rc = rd_write_section(b->t, name, enc.p, enc.len, b->st);
	for (int m = 0; m < 2; m++) {
		len[m] = m < b->nm ? b->raw[m].len : 0;
		/* the file's blank last lines belong to its last chunk */
		if (last && m < b->nm)
			len[m] +=
			    fq_in_trailer(b->in[m]) * strlen(eol_of(b->in[m]));
	}
	if (rc == 0 && (e = gdb_buf_room(&b->index, RD_FQ_ENTRY))) {
		memset(e, 0, RD_FQ_ENTRY);
		gdb_put_le64(e, b->first);
		gdb_put_le32(e + 8, b->set[0].n);
		gdb_put_le64(e + 16, b->off[0]);
		gdb_put_le64(e + 24, len[0]);
		gdb_put_le64(e + 32, b->off[1]);
		gdb_put_le64(e + 40, len[1]);
	}
	rc = rc < 0 ? rc : b->index.err;
	b->nchunks++;
	b->first += b->set[0].n;
	for (int m = 0; m < b->nm; m++) {
		if (b->st) {
			b->st->raw_bytes += len[m];
			b->st->bases += b->set[m].bases.len;
		}
		b->off[m] += len[m];
		fq_set_reset(&b->set[m]);
		b->raw[m].len = 0;
	}
	gdb_buf_free(&enc);
	return rc;
}

/* Read one record (or a pair's two); @return 1, 0 at the end, error */
static int read_one(fb *b, const gdb_qual_bins *bins)
{
	int got[2] = {0, 0};

	for (int m = 0; m < b->nm; m++) {
		got[m] = fq_read(b->in[m], &b->set[m], bins, &b->raw[m], b->err,
				 b->errlen);
		if (got[m] < 0)
			return got[m];
	}
	if (b->nm > 1 && got[0] != got[1]) {
		gdb_seterr(b->err, b->errlen,
			   "%s has more records than %s "
			   "(the mates part after record %llu)",
			   b->path[got[0] ? 0 : 1], b->path[got[0] ? 1 : 0],
			   (unsigned long long)(b->first + b->set[0].n -
						(got[0] ? 1 : 0)));
		return GDB_EFORMAT;
	}
	return got[0];
}

static int finish(fb *b, const gdb_qual_bins *bins)
{
	rd_meta m;
	int rc = rd_write_section(b->t, RD_SEC_INDEX, b->index.p, b->index.len,
				  b->st);

	memset(&m, 0, sizeof(m));
	m.kind = GDB_READS_FASTQ;
	m.records = b->first;
	m.nslices = b->nchunks;
	m.flags =
	    (b->nm > 1 ? RD_F_PAIRED : 0) | (bins->lossless ? 0 : RD_F_LOSSY);
	for (int k = 0; k < b->nm; m.bytes[k] = b->off[k], k++) {
		m.flags |= (fq_in_crlf(b->in[k]) ? RD_F_CRLF(k) : 0) |
			   (fq_in_noeol(b->in[k]) && !fq_in_trailer(b->in[k])
				? RD_F_NOEOL(k)
				: 0);
		if (fq_in_trailer(b->in[k]) > 0xffff) {
			gdb_seterr(b->err, b->errlen,
				   "%s: more than 65535 "
				   "blank lines at its end",
				   b->path[k]);
			return GDB_EFORMAT;
		}
		m.trailer[k] = (uint16_t)fq_in_trailer(b->in[k]);
	}
	m.str = bins->spec;
	if (b->st) {
		b->st->records = b->first;
		b->st->slices = b->nchunks;
	}
	return rc < 0 ? rc : rd_write_meta(b->t, &m, b->st);
}

int gdb_reads_import_fastq(gdb_txn *t, const char *path1, const char *path2,
			   const char *quals, gdb_reads_progress progress,
			   void *parg, gdb_reads_import_stats *st, char *err,
			   size_t errlen)
{
	gdb_qual_bins bins;
	fb b;
	int rc;

	memset(&b, 0, sizeof(b));
	b.t = t, b.st = st, b.err = err, b.errlen = errlen;
	b.path[0] = path1;
	b.path[1] = path2;
	b.nm = path2 ? 2 : 1;
	rc = gdb_codecs_qual_bins_parse(quals ? quals : "lossless", &bins, err,
					errlen);
	for (int m = 0; m < b.nm && rc == 0; m++)
		rc = fq_in_open(b.path[m], &b.in[m], err, errlen);
	while (rc == 0 && (rc = read_one(&b, &bins)) == 1) {
		rc = 0;
		if (b.raw[0].len + b.raw[1].len >= RD_FQ_CHUNK_RAW ||
		    b.set[0].n >= RD_FQ_CHUNK_RECS)
			rc = flush_chunk(&b, 0);
		if (progress && (b.first + b.set[0].n) % 65536 == 0)
			progress(parg, fq_in_bytes(b.in[0]), 0);
	}
	if (rc == 0)
		rc = flush_chunk(&b, 1);
	if (rc == 0)
		rc = finish(&b, &bins);
	for (int m = 0; m < 2; m++) {
		fq_in_close(b.in[m]);
		fq_set_free(&b.set[m]);
		gdb_buf_free(&b.raw[m]);
	}
	gdb_buf_free(&b.index);
	return rc;
}
