/*
 * store/manifest.c - the manifest: which segments and assemblies make up a
 * generation, and where their data came from. A manifest is written once
 * under a new name and never modified; CURRENT names the live one. Layout in
 * docs/FORMAT.md, section "Manifest".
 */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "simd/simd.h"

uint32_t gdb_crc32c(const void *p, size_t n)
{
	return gdb_simd()->crc32c(0, p, n);
}

int gdb_write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int gdb_fsync_dir(int dirfd)
{
	return fsync(dirfd) < 0 ? -errno : 0;
}

void gdb_manifest_free(gdb_manifest *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->nasm; i++)
		free(m->asms[i].name);
	for (uint32_t i = 0; i < m->nprov; i++) {
		free(m->prov[i].target);
		free(m->prov[i].source);
		free(m->prov[i].command);
	}
	free(m->asms);
	free(m->prov);
	memset(m, 0, sizeof(*m));
}

/* A bounded reader over the manifest bytes: every get checks the length. */
typedef struct rd {
	const uint8_t *p;
	size_t left;
	int bad;
} rd;

static const uint8_t *rd_take(rd *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->bad || n > r->left) {
		r->bad = 1;
		return NULL;
	}
	r->p += n;
	r->left -= n;
	return p;
}

static uint64_t rd_u64(rd *r)
{
	const uint8_t *p = rd_take(r, 8);
	return p ? gdb_get_le64(p) : 0;
}

static uint32_t rd_u32(rd *r)
{
	const uint8_t *p = rd_take(r, 4);
	return p ? gdb_get_le32(p) : 0;
}

/* Strings: u16 or u32 length (width bytes) then bytes; returns malloc'd. */
static char *rd_str(rd *r, int width)
{
	uint32_t n;
	const uint8_t *p;
	char *s;

	if (width == 2) {
		p = rd_take(r, 2);
		n = p ? gdb_get_le16(p) : 0;
	} else {
		n = rd_u32(r);
	}
	p = rd_take(r, n);
	if (!p)
		return NULL;
	if (memchr(p, 0, n)) {
		r->bad = 1;
		return NULL;
	}
	s = malloc((size_t)n + 1);
	if (!s) {
		r->bad = 1;
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

static int read_file(int dirfd, const char *name, uint8_t **out, size_t *len,
		     size_t maxlen)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if ((uint64_t)st.st_size > maxlen) {
		rc = GDB_ECORRUPT;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : GDB_ECORRUPT;
			free(buf);
			goto out;
		}
		got += (size_t)r;
	}
	buf[got] = 0;
	*out = buf;
	*len = got;
out:
	close(fd);
	return rc;
}

static int parse_manifest(const uint8_t *b, size_t len, gdb_manifest *m,
			  const char *name, char *err, size_t errlen)
{
	rd r;
	uint32_t body;

	if (len < GDB_MANIFEST_HDR + 4 || memcmp(b, GDB_MANIFEST_MAGIC, 8)) {
		gdb_seterr(err, errlen, "%s: not a GenomeDB manifest", name);
		return GDB_ECORRUPT;
	}
	if (gdb_get_le32(b + 8) != GDB_FORMAT_VERSION) {
		gdb_seterr(err, errlen, "%s: format version %u not supported",
			   name, gdb_get_le32(b + 8));
		return GDB_EVERSION;
	}
	body = gdb_get_le32(b + 40);
	if ((uint64_t)GDB_MANIFEST_HDR + body + 4 != len) {
		gdb_seterr(err, errlen, "%s: length %zu does not match header",
			   name, len);
		return GDB_ECORRUPT;
	}
	if (gdb_crc32c(b, len - 4) != gdb_get_le32(b + len - 4)) {
		gdb_seterr(err, errlen, "%s: checksum mismatch", name);
		return GDB_ECHECKSUM;
	}
	if (gdb_get_le32(b + 12) != 0) {
		gdb_seterr(err, errlen, "%s: unknown flags", name);
		return GDB_EVERSION;
	}
	m->generation = gdb_get_le64(b + 16);
	m->next_segment_id = gdb_get_le64(b + 24);
	m->nasm = gdb_get_le32(b + 32);
	m->nprov = gdb_get_le32(b + 36);
	r.p = b + GDB_MANIFEST_HDR;
	r.left = body;
	r.bad = 0;
	if (m->nasm > body / 26 || m->nprov > body / 56)
		goto corrupt;
	m->asms = calloc(m->nasm ? m->nasm : 1, sizeof(*m->asms));
	m->prov = calloc(m->nprov ? m->nprov : 1, sizeof(*m->prov));
	if (!m->asms || !m->prov)
		return -ENOMEM;
	for (uint32_t i = 0; i < m->nasm && !r.bad; i++) {
		gdb_mf_asm *a = &m->asms[i];
		a->name = rd_str(&r, 2);
		a->segment_id = rd_u64(&r);
		a->segment_bytes = rd_u64(&r);
		a->index_crc = rd_u32(&r);
		a->kind = rd_u32(&r);
		if (!r.bad && a->kind != GDB_KIND_DNA &&
		    a->kind != GDB_OBJECT_SECTIONS) {
			gdb_seterr(err, errlen, "%s: unknown assembly kind %u",
				   name, a->kind);
			return GDB_EVERSION;
		}
	}
	for (uint32_t i = 0; i < m->nprov && !r.bad; i++) {
		gdb_mf_prov *p = &m->prov[i];
		const uint8_t *h;
		p->target = rd_str(&r, 2);
		p->source = rd_str(&r, 4);
		p->source_bytes = rd_u64(&r);
		h = rd_take(&r, 32);
		if (h)
			memcpy(p->sha256, h, 32);
		p->command = rd_str(&r, 4);
		p->time = (int64_t)rd_u64(&r);
	}
	if (r.bad || r.left)
		goto corrupt;
	return 0;
corrupt:
	gdb_seterr(err, errlen, "%s: malformed manifest body", name);
	return GDB_ECORRUPT;
}

int gdb_manifest_load(int dirfd, const char *path, gdb_manifest *m,
		      char *err, size_t errlen)
{
	uint8_t *cur = NULL, *buf = NULL;
	size_t len;
	char name[64];
	unsigned long long gen;
	int n = 0, rc;

	memset(m, 0, sizeof(*m));
	rc = read_file(dirfd, "CURRENT", &cur, &len, 64);
	if (rc < 0) {
		gdb_seterr(err, errlen, "%s: not a GenomeDB store (CURRENT: %s)",
			   path, gdb_strerror(rc));
		return rc == -ENOENT ? -ENOENT : rc;
	}
	if (sscanf((char *)cur, "MANIFEST-%llu\n%n", &gen, &n) != 1 ||
	    (size_t)n != len || gen == 0) {
		free(cur);
		gdb_seterr(err, errlen, "%s/CURRENT: malformed", path);
		return GDB_ECORRUPT;
	}
	free(cur);
	snprintf(name, sizeof(name), "MANIFEST-%06llu", gen);
	rc = read_file(dirfd, name, &buf, &len, (size_t)1 << 30);
	if (rc < 0) {
		gdb_seterr(err, errlen, "%s/%s: %s", path, name,
			   gdb_strerror(rc));
		return rc == -ENOENT ? GDB_ECORRUPT : rc;
	}
	rc = parse_manifest(buf, len, m, name, err, errlen);
	free(buf);
	if (rc == 0 && m->generation != gen) {
		gdb_seterr(err, errlen, "%s/%s: holds generation %llu",
			   path, name, (unsigned long long)m->generation);
		rc = GDB_ECORRUPT;
	}
	if (rc < 0)
		gdb_manifest_free(m);
	return rc;
}

static void wb_u32(gdb_buf *w, uint32_t v)
{
	uint8_t *p = gdb_buf_room(w, 4);
	if (p)
		gdb_put_le32(p, v);
}

static void wb_u64(gdb_buf *w, uint64_t v)
{
	uint8_t *p = gdb_buf_room(w, 8);
	if (p)
		gdb_put_le64(p, v);
}

static void wb_str(gdb_buf *w, const char *s, int width)
{
	size_t n = strlen(s);
	uint8_t *p;

	if (width == 2) {
		p = gdb_buf_room(w, 2);
		if (p)
			gdb_put_le16(p, (uint16_t)n);
	} else {
		wb_u32(w, (uint32_t)n);
	}
	gdb_buf_add(w, s, n);
}

int gdb_manifest_write(int dirfd, const gdb_manifest *m)
{
	gdb_buf w = {0};
	char name[64];
	uint8_t *h;
	int fd, rc;

	h = gdb_buf_room(&w, GDB_MANIFEST_HDR);
	if (h)
		memset(h, 0, GDB_MANIFEST_HDR);
	for (uint32_t i = 0; i < m->nasm; i++) {
		const gdb_mf_asm *a = &m->asms[i];
		wb_str(&w, a->name, 2);
		wb_u64(&w, a->segment_id);
		wb_u64(&w, a->segment_bytes);
		wb_u32(&w, a->index_crc);
		wb_u32(&w, a->kind);
	}
	for (uint32_t i = 0; i < m->nprov; i++) {
		const gdb_mf_prov *p = &m->prov[i];
		wb_str(&w, p->target, 2);
		wb_str(&w, p->source, 4);
		wb_u64(&w, p->source_bytes);
		gdb_buf_add(&w, p->sha256, 32);
		wb_str(&w, p->command, 4);
		wb_u64(&w, (uint64_t)p->time);
	}
	wb_u32(&w, 0); /* room for the CRC */
	if (w.err) {
		gdb_buf_free(&w);
		return -ENOMEM;
	}
	h = (uint8_t *)w.p;
	memcpy(h, GDB_MANIFEST_MAGIC, 8);
	gdb_put_le32(h + 8, GDB_FORMAT_VERSION);
	gdb_put_le32(h + 12, 0);
	gdb_put_le64(h + 16, m->generation);
	gdb_put_le64(h + 24, m->next_segment_id);
	gdb_put_le32(h + 32, m->nasm);
	gdb_put_le32(h + 36, m->nprov);
	gdb_put_le32(h + 40, (uint32_t)(w.len - GDB_MANIFEST_HDR - 4));
	gdb_put_le32((uint8_t *)w.p + w.len - 4, gdb_crc32c(w.p, w.len - 4));

	snprintf(name, sizeof(name), "MANIFEST-%06llu",
		 (unsigned long long)m->generation);
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		gdb_buf_free(&w);
		return rc;
	}
	rc = gdb_write_all(fd, w.p, w.len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	gdb_buf_free(&w);
	if (rc < 0)
		unlinkat(dirfd, name, 0);
	return rc;
}
