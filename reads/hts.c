/*
 * reads/hts.c - the htslib plumbing of reads/: every SAM/BAM/CRAM byte
 * this module reads or writes passes through htslib here.
 *
 * htslib 1.16 writes only to file descriptors (its in-memory hFILE is
 * read-only), so answers built in memory are written to a memfd and read
 * back; BAM bytes are read from memory through its "mem:" hFILE.
 *
 * Threading: reentrant; every call works on its own files.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <htslib/bgzf.h>
#include <htslib/hfile.h>
#include <htslib/sam.h>

#include "reads/reads_int.h"

struct rd_memout {
	int fd; /* the memfd, ours */
	htsFile *f;
};

htsFile *rd_hts_fdopen(int fd, const char *mode)
{
	int d = dup(fd);
	hFILE *hf;
	htsFile *f;

	if (d < 0)
		return NULL;
	hf = hdopen(d, "w");
	if (!hf) {
		close(d);
		return NULL;
	}
	f = hts_hopen(hf, "-", mode);
	if (!f)
		hclose_abruptly(hf);
	return f;
}

int rd_memout_open(const char *mode, rd_memout **out)
{
	rd_memout *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->fd = memfd_create("genomedb-reads", MFD_CLOEXEC);
	if (m->fd < 0) {
		int rc = -errno;
		free(m);
		return rc;
	}
	m->f = rd_hts_fdopen(m->fd, mode);
	if (!m->f) {
		close(m->fd);
		free(m);
		return -EIO;
	}
	*out = m;
	return 0;
}

htsFile *rd_memout_file(rd_memout *m)
{
	return m->f;
}

/* The memfd's bytes, malloc'd. */
static int slurp(int fd, char **data, size_t *len)
{
	struct stat st;
	char *p;
	size_t got = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	p = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!p)
		return -ENOMEM;
	while (got < (size_t)st.st_size) {
		ssize_t k =
		    pread(fd, p + got, (size_t)st.st_size - got, (off_t)got);
		if (k <= 0) {
			free(p);
			return k < 0 ? -errno : -EIO;
		}
		got += (size_t)k;
	}
	*data = p;
	*len = got;
	return 0;
}

int rd_memout_finish(rd_memout *m, char **data, size_t *len)
{
	int rc = hts_close(m->f) < 0 ? -EIO : 0;

	if (rc == 0)
		rc = slurp(m->fd, data, len);
	close(m->fd);
	free(m);
	return rc;
}

void rd_memout_abort(rd_memout *m)
{
	if (!m)
		return;
	(void)hts_close(m->f);
	close(m->fd);
	free(m);
}

/*
 * A BGZF writer into a fresh memfd. htslib 1.16's plain mode ("wu")
 * crashes in bgzf_flush (it deflates a block it never allocated), so
 * bytes are written as uncompressed BGZF ("w0") and read back through
 * htslib's BGZF reader.
 */
static BGZF *raw_writer(int *fdp)
{
	int fd = memfd_create("genomedb-raw", MFD_CLOEXEC), d;
	hFILE *hf;
	BGZF *z;

	if (fd < 0)
		return NULL;
	d = dup(fd);
	hf = d >= 0 ? hdopen(d, "w") : NULL;
	if (!hf) {
		if (d >= 0)
			close(d);
		close(fd);
		return NULL;
	}
	z = bgzf_hopen(hf, "w0");
	if (!z) {
		hclose_abruptly(hf);
		close(fd);
		return NULL;
	}
	*fdp = fd;
	return z;
}

/* The decompressed bytes of the BGZF file in fd, appended to out. */
static int read_back(int fd, gdb_buf *out)
{
	int d = dup(fd);
	hFILE *hf;
	BGZF *z;
	ssize_t n;

	if (d < 0 || lseek(d, 0, SEEK_SET) < 0)
		return d < 0 ? -errno : -EIO;
	hf = hdopen(d, "r");
	if (!hf) {
		close(d);
		return -EIO;
	}
	z = bgzf_hopen(hf, "r");
	if (!z) {
		hclose_abruptly(hf);
		return -EIO;
	}
	for (;;) {
		char *p = gdb_buf_room(out, 1 << 16);
		if (!p) {
			n = -1;
			break;
		}
		n = bgzf_read(z, p, 1 << 16);
		out->len -= (size_t)(1 << 16) - (n > 0 ? (size_t)n : 0);
		if (n <= 0)
			break;
	}
	if (bgzf_close(z) < 0 || n < 0)
		return out->err ? out->err : -EIO;
	return 0;
}

static int raw_finish(BGZF *z, int fd, int ok, gdb_buf *out)
{
	int rc = bgzf_close(z) < 0 || !ok ? -EIO : 0;

	if (rc == 0)
		rc = read_back(fd, out);
	close(fd);
	return rc;
}

int rd_hts_raw(bam1_t *const *recs, uint32_t n, gdb_buf *out)
{
	int fd = -1, ok = 1;
	BGZF *z = raw_writer(&fd);

	if (!z)
		return -EIO;
	for (uint32_t i = 0; i < n && ok; i++)
		ok = bam_write1(z, recs[i]) >= 0;
	return raw_finish(z, fd, ok, out);
}

int rd_hts_header_raw(const sam_hdr_t *h, gdb_buf *out)
{
	int fd = -1;
	BGZF *z = raw_writer(&fd);

	if (!z)
		return -EIO;
	return raw_finish(z, fd, bam_hdr_write(z, h) >= 0, out);
}

/* A BGZF reader over a copy of p[0..len). */
static BGZF *mem_reader(const void *p, size_t len)
{
	char *copy = malloc(len ? len : 1);
	hFILE *hf;
	BGZF *z;

	if (!copy)
		return NULL;
	memcpy(copy, p, len);
	/* the mem: hFILE owns copy from here (freed at close) */
	hf = hopen("mem:", "r:", copy, len);
	if (!hf)
		return NULL;
	z = bgzf_hopen(hf, "r");
	if (!z)
		hclose_abruptly(hf);
	return z;
}

sam_hdr_t *rd_hts_header_parse(const void *p, size_t len)
{
	gdb_buf b = {0};
	uint8_t *eof;
	size_t el = RD_BGZF_EOF_LEN;
	BGZF *z = NULL;
	sam_hdr_t *h = NULL;

	/* as BGZF blocks with the EOF block, which bam_hdr_read looks for */
	if (rd_bgzf_blocks(p, len, &b) == 0 && (eof = gdb_buf_room(&b, el)) &&
	    bgzf_compress(eof, &el, "", 0, 0) == 0)
		z = mem_reader(b.p, b.len);
	gdb_buf_free(&b);
	if (!z)
		return NULL;
	h = bam_hdr_read(z);
	(void)bgzf_close(z);
	return h;
}

int rd_hts_record_parse(const void *p, size_t len, bam1_t *b)
{
	BGZF *z = mem_reader(p, len);
	int rc;

	if (!z)
		return -ENOMEM;
	rc = bam_read1(z, b);
	(void)bgzf_close(z);
	return rc == (int)len ? 0 : GDB_ECORRUPT;
}

int rd_bgzf_blocks(const void *p, size_t n, gdb_buf *out)
{
	const char *s = p;

	for (size_t at = 0; at < n; at += RD_BGZF_DATA) {
		size_t k = n - at < RD_BGZF_DATA ? n - at : RD_BGZF_DATA;
		size_t dl = k + RD_BGZF_OVERHEAD;
		uint8_t *d = gdb_buf_room(out, dl);
		if (!d)
			return out->err;
		if (bgzf_compress(d, &dl, s + at, k, 0) < 0 ||
		    dl != k + RD_BGZF_OVERHEAD)
			return -EIO;
	}
	return 0;
}
