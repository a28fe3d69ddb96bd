/*
 * seq/source.c - read an input file that may be plain, gzip or bgzip,
 * hashing its raw bytes as they pass (provenance records the SHA-256 of
 * the file as it is on disk, not of its decompressed content). The file
 * is read straight into the ring of a SHA-256 digester (seq/digest.c),
 * hashed on a thread of its own unless one thread is asked for, and
 * parsed or inflated from there.
 *
 * bgzip files are a series of gzip members; inflate is reset at the end of
 * each member. A file that ends inside a member is "truncated".
 */
#include "seq/seq_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define RAW_CHUNK (1u << 20) /* gdb_src_read_all's growth step */

struct gdb_src {
	const char *path;
	int fd;
	int gz;	       /* input is gzip */
	int in_member; /* inside a gzip member */
	int eof;
	z_stream zs;
	uint8_t *raw; /* the last read, in the digester's ring */
	size_t raw_len, raw_pos;
	uint64_t raw_total, size;
	uint64_t out_total; /* decompressed bytes handed out */
	gdb_digester *sha;
};

static int fill_raw(gdb_src *s, char *err, size_t errlen)
{
	size_t cap;
	char *to = gdb_digester_room(s->sha, &cap);
	ssize_t n;

	do
		n = read(s->fd, to, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		gdb_seterr(err, errlen, "%s: read: %s", s->path,
			   strerror(errno));
		return -1;
	}
	if (n == 0)
		s->eof = 1;
	s->raw = (uint8_t *)to;
	s->raw_len = (size_t)n;
	s->raw_pos = 0;
	s->raw_total += (uint64_t)n;
	gdb_digester_commit(s->sha, (size_t)n);
	return 0;
}

int gdb_src_open(const char *path, gdb_src **out, char *err, size_t errlen)
{
	return gdb_src_open_threads(path, 1, out, err, errlen);
}

int gdb_src_open_threads(const char *path, unsigned threads, gdb_src **out,
			 char *err, size_t errlen)
{
	gdb_src *s = calloc(1, sizeof(*s));
	struct stat st;

	if (!s)
		return -ENOMEM;
	s->path = path;
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0) {
		int rc = -errno;
		gdb_seterr(err, errlen, "%s: %s", path, strerror(errno));
		free(s);
		return rc;
	}
	if (fstat(s->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		gdb_seterr(err, errlen, "%s: is a directory", path);
		close(s->fd);
		free(s);
		return -EISDIR;
	}
	s->size = (uint64_t)st.st_size;
	if (gdb_digester_new_sha256(threads, &s->sha) < 0) {
		gdb_src_close(s);
		return -ENOMEM;
	}
	posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (fill_raw(s, err, errlen) < 0) {
		gdb_src_close(s);
		return -EIO;
	}
	s->gz = s->raw_len >= 2 && s->raw[0] == 0x1f && s->raw[1] == 0x8b;
	if (s->gz && inflateInit2(&s->zs, 15 + 16) != Z_OK) {
		gdb_src_close(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

ssize_t gdb_src_read(gdb_src *s, char *buf, size_t cap, char *err,
		     size_t errlen)
{
	if (!s->gz) {
		size_t n;
		if (s->raw_pos == s->raw_len) {
			if (s->eof || fill_raw(s, err, errlen) < 0)
				return s->eof ? 0 : -1;
			if (s->raw_len == 0)
				return 0;
		}
		n = s->raw_len - s->raw_pos < cap ? s->raw_len - s->raw_pos
						  : cap;
		memcpy(buf, s->raw + s->raw_pos, n);
		s->raw_pos += n;
		s->out_total += n;
		return (ssize_t)n;
	}
	s->zs.next_out = (Bytef *)buf;
	s->zs.avail_out = (uInt)cap;
	while (s->zs.avail_out == cap) {
		int zr;
		if (s->raw_pos == s->raw_len) {
			if (!s->eof && fill_raw(s, err, errlen) < 0)
				return -1;
			if (s->raw_len == 0) {
				if (s->in_member) {
					gdb_seterr(err, errlen,
						   "%s: truncated gzip data "
						   "(unexpected end of file)",
						   s->path);
					return -1;
				}
				return 0;
			}
		}
		/* Bytes after the last member that are not gzip: stop
		 * as gzip(1) does only for zero padding; else corrupt. */
		if (!s->in_member) {
			if (s->raw[s->raw_pos] != 0x1f) {
				gdb_seterr(err, errlen,
					   "%s: corrupt gzip data (trailing "
					   "garbage at byte %llu)",
					   s->path,
					   (unsigned long long)(s->raw_total -
								s->raw_len +
								s->raw_pos));
				return -1;
			}
			s->in_member = 1;
		}
		s->zs.next_in = s->raw + s->raw_pos;
		s->zs.avail_in = (uInt)(s->raw_len - s->raw_pos);
		zr = inflate(&s->zs, Z_NO_FLUSH);
		s->raw_pos = s->raw_len - s->zs.avail_in;
		if (zr == Z_STREAM_END) {
			s->in_member = 0;
			inflateReset(&s->zs);
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			gdb_seterr(err, errlen, "%s: corrupt gzip data (%s)",
				   s->path, s->zs.msg ? s->zs.msg : "inflate");
			return -1;
		}
	}
	s->out_total += cap - s->zs.avail_out;
	return (ssize_t)(cap - s->zs.avail_out);
}

uint64_t gdb_src_out_bytes(const gdb_src *s)
{
	return s->out_total;
}

uint64_t gdb_src_raw_bytes(const gdb_src *s)
{
	return s->raw_total - (s->raw_len - s->raw_pos);
}

uint64_t gdb_src_total_bytes(const gdb_src *s)
{
	return s->size;
}

void gdb_src_sha256(gdb_src *s, uint8_t out[32])
{
	uint8_t *const o[] = {out};

	if (gdb_digester_final(s->sha, o) < 0)
		memset(out, 0, 32); /* the digest library failed */
}

void gdb_src_close(gdb_src *s)
{
	if (!s)
		return;
	if (s->gz)
		inflateEnd(&s->zs);
	if (s->fd >= 0)
		close(s->fd);
	gdb_digester_free(s->sha);
	free(s);
}

void gdb_src_provenance(gdb_src *s, const char *target, const char *path,
			const char *command, gdb_provenance *p)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");

	memset(p, 0, sizeof(*p));
	p->target = target;
	p->source = path;
	p->source_bytes = gdb_src_raw_bytes(s);
	gdb_src_sha256(s, p->sha256);
	p->command = command ? command : "genomedb import";
	p->time = sde ? strtoll(sde, NULL, 10) : (int64_t)time(NULL);
}

int gdb_src_read_all(gdb_src *s, size_t max, char **out, size_t *len, char *err,
		     size_t errlen)
{
	size_t cap = RAW_CHUNK, n = 0;
	char *t = malloc(cap + 1), *p;
	ssize_t got;

	if (!t)
		goto oom;
	for (;;) {
		if (cap - n < RAW_CHUNK) {
			if (cap * 2 > max) {
				free(t);
				gdb_seterr(err, errlen,
					   "%s: larger than %zu "
					   "bytes",
					   s->path, max);
				return -EFBIG;
			}
			p = realloc(t, cap * 2 + 1);
			if (!p)
				goto oom;
			t = p;
			cap *= 2;
		}
		got = gdb_src_read(s, t + n, RAW_CHUNK, err, errlen);
		if (got < 0) {
			free(t);
			return -EIO;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	t[n] = 0;
	*out = t;
	*len = n;
	return 0;
oom:
	free(t);
	gdb_seterr(err, errlen, "%s: out of memory", s->path);
	return -ENOMEM;
}
