/*
 * reads/fq_render.c - the renderers of FASTQ sets: whole files (each mate
 * as imported, byte for byte; a pair interleaved), record ranges and
 * lookups by read name, all from the chunks they touch.
 *
 * Interleaved pairs (GDB_READS_FQ_ALL of a pair): mate 1's record, then
 * mate 2's, each with its own file's line ends and always ending with
 * one; no trailing blank lines. A single file's ALL is the file itself.
 *
 * Threading: every call may run concurrently; pieces are cached in the
 * reader (reads/read.c) under its lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reads/reads_int.h"

typedef struct fq_ent {
	uint64_t first;
	uint32_t n;
	uint64_t off[2], len[2];
} fq_ent;

static void ent_get(const gdb_reads *r, uint32_t i, fq_ent *e)
{
	const uint8_t *p = r->index + (size_t)i * RD_FQ_ENTRY;

	e->first = gdb_get_le64(p);
	e->n = gdb_get_le32(p + 8);
	e->off[0] = gdb_get_le64(p + 16);
	e->len[0] = gdb_get_le64(p + 24);
	e->off[1] = gdb_get_le64(p + 32);
	e->len[1] = gdb_get_le64(p + 40);
}

static int paired(const gdb_reads *r)
{
	return (r->flags & RD_F_PAIRED) != 0;
}

static const char *eol(const gdb_reads *r, int m)
{
	return r->flags & RD_F_CRLF(m) ? "\r\n" : "\n";
}

/* Bytes of chunk i of file which: a mate's, or a pair's interleaved. */
static uint64_t piece_len(const gdb_reads *r, int which, uint32_t i)
{
	fq_ent e;
	uint64_t n = 0;

	ent_get(r, i, &e);
	if (which != GDB_READS_FQ_ALL || !paired(r))
		return e.len[which == GDB_READS_FQ_MATE2];
	for (int m = 0; m < 2; m++) {
		n += e.len[m];
		if (i + 1 == r->nslices) {
			n -= (uint64_t)r->trailer[m] * strlen(eol(r, m));
			if (r->flags & RD_F_NOEOL(m))
				n += strlen(eol(r, m));
		}
	}
	return n;
}

uint64_t gdb_reads_fq_size(const gdb_reads *r, int which)
{
	uint64_t n = 0;

	if (r->kind != GDB_READS_FASTQ ||
	    (which == GDB_READS_FQ_MATE2 && !paired(r)))
		return 0;
	if (which != GDB_READS_FQ_ALL || !paired(r))
		return r->fq_bytes[which == GDB_READS_FQ_MATE2];
	for (uint32_t i = 0; i < r->nslices; i++)
		n += piece_len(r, which, i);
	return n;
}

/* A whole chunk's decode holds the base model's tables (up to 96 MiB,
 * codecs/seqcm.c): one at a time in a process bounds the memory. */
static pthread_mutex_t decode_lock = PTHREAD_MUTEX_INITIALIZER;

/* Decode chunk i (titles_only: without bases and qualities). */
static int load_chunk(gdb_reads *r, uint32_t i, fq_set set[2], int titles_only)
{
	fq_set *sp[2] = {&set[0], paired(r) ? &set[1] : NULL};
	fq_ent e;
	const uint8_t *p;
	size_t len;
	int rc = rd_slice_bytes(r, i, &p, &len);

	ent_get(r, i, &e);
	if (rc == 0 && titles_only) {
		rc = fq_chunk_decode2(p, len, sp, 1);
	} else if (rc == 0) {
		pthread_mutex_lock(&decode_lock);
		rc = fq_chunk_decode2(p, len, sp, 0);
		pthread_mutex_unlock(&decode_lock);
	}
	if (rc == 0 && (set[0].n != e.n || (sp[1] && set[1].n != e.n)))
		rc = GDB_ECORRUPT;
	if (rc < 0 && rc != -ENOMEM)
		gdb_log(GDB_LOG_ERROR,
			"reads %s: chunk %u (records %llu-%llu) "
			"cannot be read: %s",
			r->name, i, (unsigned long long)e.first + 1,
			(unsigned long long)(e.first + e.n), gdb_strerror(rc));
	return rc;
}

/* Record k of mate m of a decoded chunk i, as its file holds it (no line
 * end after the file's last line when it had none), or interleaved
 * (always one). */
static void render_one(const gdb_reads *r, uint32_t chunk, const fq_set *s,
		       int m, uint32_t k, int interleaved, gdb_buf *out)
{
	int last = chunk + 1 == r->nslices && k + 1 == s->n;

	fq_render_rec(s, k, eol(r, m),
		      last && !interleaved && (r->flags & RD_F_NOEOL(m)), out);
}

/* Records [a, b) of a decoded chunk for file which. */
static void render_records(const gdb_reads *r, uint32_t chunk,
			   const fq_set set[2], int which, uint32_t a,
			   uint32_t b, gdb_buf *out)
{
	for (uint32_t k = a; k < b; k++) {
		if (which != GDB_READS_FQ_MATE2)
			render_one(r, chunk, &set[0], 0, k,
				   which == GDB_READS_FQ_ALL && paired(r), out);
		if (which == GDB_READS_FQ_MATE2 ||
		    (which == GDB_READS_FQ_ALL && paired(r)))
			render_one(r, chunk, &set[1], 1, k,
				   which == GDB_READS_FQ_ALL, out);
	}
}

static int fq_piece(gdb_reads *r, int which, uint32_t i, char **data,
		    size_t *len)
{
	fq_set set[2];
	gdb_buf out = {0};
	int rc, f = which - 1;

	memset(set, 0, sizeof(set));
	rc = load_chunk(r, i, set, 0);
	if (rc == 0) {
		render_records(r, i, set, f, 0, set[0].n, &out);
		/* a file's blank last lines */
		if (i + 1 == r->nslices &&
		    (f != GDB_READS_FQ_ALL || !paired(r)))
			for (int m = f == GDB_READS_FQ_MATE2, k = 0;
			     k < r->trailer[m]; k++)
				gdb_buf_add(&out, eol(r, m), strlen(eol(r, m)));
		rc = out.err;
	}
	if (rc == 0 && out.len != piece_len(r, f, i)) {
		gdb_log(GDB_LOG_ERROR,
			"reads %s: chunk %u renders to %zu "
			"bytes, its index says %llu",
			r->name, i, out.len,
			(unsigned long long)piece_len(r, f, i));
		rc = GDB_ECORRUPT;
	}
	for (int m = 0; m < 2; m++)
		fq_set_free(&set[m]);
	if (rc < 0) {
		gdb_buf_free(&out);
		return rc;
	}
	*data = out.p;
	*len = out.len;
	return 0;
}

ssize_t gdb_reads_fq_pread(gdb_reads *r, int which, void *dst, size_t n,
			   uint64_t off)
{
	uint64_t size = gdb_reads_fq_size(r, which), start = 0;
	size_t done = 0;
	uint32_t i = 0;

	if (r->kind != GDB_READS_FASTQ)
		return -EINVAL;
	/* chunks are few (one per 8 MiB): find the first by walking */
	while (i < r->nslices && start + piece_len(r, which, i) <= off)
		start += piece_len(r, which, i++);
	while (done < n && off < size && i < r->nslices) {
		ssize_t k =
		    rd_piece_copy(r, 1 + which, i, fq_piece, off - start,
				  (char *)dst + done, n - done);
		if (k < 0)
			return done ? (ssize_t)done : k;
		done += (size_t)k;
		off += (uint64_t)k;
		if (off >= start + piece_len(r, which, i))
			start += piece_len(r, which, i++);
		else if (k == 0)
			break;
	}
	return (ssize_t)done;
}

int gdb_reads_fq_render_range(gdb_reads *r, int which, uint64_t first,
			      uint64_t last, size_t max, char **out,
			      size_t *len)
{
	gdb_buf b = {0};
	int rc = 0;

	if (r->kind != GDB_READS_FASTQ || first >= r->records ||
	    (which == GDB_READS_FQ_MATE2 && !paired(r)))
		return -EINVAL;
	if (last >= r->records)
		last = r->records - 1;
	b.max = max;
	for (uint32_t i = 0; i < r->nslices && rc == 0; i++) {
		fq_set set[2];
		fq_ent e;
		ent_get(r, i, &e);
		if (e.first + e.n <= first || e.first > last)
			continue;
		memset(set, 0, sizeof(set));
		rc = load_chunk(r, i, set, 0);
		if (rc == 0)
			render_records(
			    r, i, set, which,
			    (uint32_t)(first > e.first ? first - e.first : 0),
			    (uint32_t)(last + 1 - e.first < e.n
					   ? last + 1 - e.first
					   : e.n),
			    &b);
		for (int m = 0; m < 2; m++)
			fq_set_free(&set[m]);
		rc = rc < 0 ? rc : b.err;
	}
	if (rc < 0) {
		gdb_buf_free(&b);
		return rc;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

/* Does the title t (tlen bytes) name `name` (up to its first blank)? */
static int names(const char *t, uint32_t tlen, const char *name, size_t nl)
{
	return tlen >= nl && !memcmp(t, name, nl) &&
	       (tlen == nl || t[nl] == ' ' || t[nl] == '\t');
}

int gdb_reads_fq_render_name(gdb_reads *r, const char *name, size_t max,
			     char **out, size_t *len)
{
	size_t nl = strlen(name);
	gdb_buf b = {0};
	int rc = 0, found = 0;

	if (r->kind != GDB_READS_FASTQ)
		return -EINVAL;
	b.max = max;
	for (uint32_t i = 0; i < r->nslices && rc == 0; i++) {
		fq_set t[2], set[2];
		int hit = 0;
		memset(t, 0, sizeof(t));
		memset(set, 0, sizeof(set));
		rc = load_chunk(r, i, t, 1);
		for (uint32_t k = 0; rc == 0 && k < t[0].n; k++)
			hit |=
			    names(t[0].text.p + t[0].rec[k].title,
				  t[0].rec[k].tlen, name, nl) ||
			    (paired(r) && names(t[1].text.p + t[1].rec[k].title,
						t[1].rec[k].tlen, name, nl));
		if (rc == 0 && hit)
			rc = load_chunk(r, i, set, 0);
		for (uint32_t k = 0; rc == 0 && hit && k < set[0].n; k++) {
			if (names(set[0].text.p + set[0].rec[k].title,
				  set[0].rec[k].tlen, name, nl) ||
			    (paired(r) &&
			     names(set[1].text.p + set[1].rec[k].title,
				   set[1].rec[k].tlen, name, nl))) {
				render_records(r, i, set, GDB_READS_FQ_ALL, k,
					       k + 1, &b);
				found = 1;
			}
		}
		for (int m = 0; m < 2; m++) {
			fq_set_free(&t[m]);
			fq_set_free(&set[m]);
		}
		rc = rc < 0 ? rc : b.err;
	}
	if (rc == 0 && !found)
		rc = -ENOENT;
	if (rc < 0) {
		gdb_buf_free(&b);
		return rc;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

int gdb_reads_fq_export(gdb_reads *r, int which, int fd, char *err,
			size_t errlen)
{
	uint64_t size = gdb_reads_fq_size(r, which), off = 0;
	size_t cap = (size_t)4 << 20;
	char *buf = malloc(cap);
	int rc = buf ? 0 : -ENOMEM;

	while (rc == 0 && off < size) {
		ssize_t k = gdb_reads_fq_pread(r, which, buf, cap, off);
		if (k <= 0) {
			rc = k < 0 ? (int)k : GDB_ECORRUPT;
			break;
		}
		for (ssize_t w = 0; w < k && rc == 0;) {
			ssize_t x = write(fd, buf + w, (size_t)(k - w));
			if (x < 0)
				rc = -errno;
			else
				w += x;
		}
		off += (uint64_t)k;
	}
	if (rc < 0)
		gdb_seterr(err, errlen, "%s", gdb_strerror(rc));
	free(buf);
	return rc;
}
