/*
 * store/manifest.c - the manifest: which segments and assemblies make up a
 * generation, and where their data came from. A manifest is written once
 * under a new name and never modified; CURRENT names the live one. Layout in
 * docs/FORMAT.md, section "Manifest".
 */
#include "store/failpoint.h"
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
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
		ssize_t w = GDB_FP("write", write(fd, b, n), -1);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) /* 0: no progress, which a disk file never makes */
			return w < 0 ? -errno : -EIO;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int gdb_fsync_dir(int dirfd)
{
	return GDB_FP("fsync", fsync(dirfd), -1) < 0 ? -errno : 0;
}

void gdb_manifest_free(gdb_manifest *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->nasm; i++) {
		free(m->asms[i].name);
		free(m->asms[i].reference);
	}
	for (uint32_t i = 0; i < m->nprov; i++) {
		free(m->prov[i].target);
		free(m->prov[i].source);
		free(m->prov[i].command);
	}
	free(m->asms);
	free(m->prov);
	memset(m, 0, sizeof(*m));
}

/* A bounded reader over the manifest bytes: every get checks the length.
 * bad: 1 once a get ran past the end or met a malformed string, -ENOMEM
 * once a copy could not be allocated (not damage: nothing is reported). */
typedef struct rd {
	const uint8_t *p;
	size_t left;
	int bad;
} rd;

static const uint8_t *rd_take(rd *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->bad || n > r->left) {
		r->bad = r->bad ? r->bad : 1;
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
		r->bad = -ENOMEM;
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

static int read_fd(int fd, uint8_t **out, size_t *len, size_t maxlen)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size > maxlen)
		return GDB_ECORRUPT;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (got < (size_t)st.st_size) {
		ssize_t r =
		    pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) { /* 0: shorter than fstat said, an I/O fault */
			int rc = r < 0 ? -errno : -EIO;
			free(buf);
			return rc;
		}
		got += (size_t)r;
	}
	buf[got] = 0;
	*out = buf;
	*len = got;
	return 0;
}

int gdb_read_small_file(int dirfd, const char *name, uint8_t **out, size_t *len,
			size_t maxlen)
{
	int fd = GDB_FP("open", openat(dirfd, name, O_RDONLY | O_CLOEXEC), -1);
	int rc;

	if (fd < 0)
		return -errno;
	rc = read_fd(fd, out, len, maxlen);
	close(fd);
	return rc;
}

/*
 * The header's checks, in the order that names the fault: a version or
 * flags this reader does not know are reported (GDB_EVERSION: not damage,
 * repair leaves such a manifest alone) only when the length and CRC hold,
 * as a newer writer's whole manifest; a damaged version field is the
 * checksum mismatch it also is.
 */
static int manifest_header(const uint8_t *b, size_t len, const char *name,
			   char *err, size_t errlen)
{
	uint32_t version;
	int sized, summed;

	if (len < GDB_MANIFEST_HDR + 4 || memcmp(b, GDB_MANIFEST_MAGIC, 8)) {
		gdb_seterr(err, errlen, "%s: not a GenomeDB manifest", name);
		return GDB_ECORRUPT;
	}
	version = gdb_get_le32(b + 8);
	sized = (uint64_t)GDB_MANIFEST_HDR + gdb_get_le32(b + 40) + 4 == len;
	summed = sized && gdb_crc32c(b, len - 4) == gdb_get_le32(b + len - 4);
	if (summed && version != GDB_FORMAT_VERSION &&
	    version != GDB_FORMAT_V1) {
		gdb_seterr(err, errlen, "%s: format version %u not supported",
			   name, version);
		return GDB_EVERSION;
	}
	if (!sized) {
		gdb_seterr(err, errlen, "%s: length %zu does not match header",
			   name, len);
		return GDB_ECORRUPT;
	}
	if (!summed) {
		gdb_seterr(err, errlen, "%s: checksum mismatch", name);
		return GDB_ECHECKSUM;
	}
	if (gdb_get_le32(b + 12) != 0) {
		gdb_seterr(err, errlen, "%s: unknown flags", name);
		return GDB_EVERSION;
	}
	return 0;
}

/* Version 2's reference of an assembly entry: a name (empty: none) and
 * its segment id; a sections object or the entry itself never has one. */
static void mf_reference(rd *r, gdb_mf_asm *a)
{
	char *ref = rd_str(r, 2);

	a->ref_segment = rd_u64(r);
	if (!ref)
		return;
	if (!ref[0] && a->ref_segment == 0) {
		free(ref);
		return;
	}
	a->reference = ref;
	if (!ref[0] || a->kind != GDB_KIND_DNA ||
	    (a->name && !strcmp(ref, a->name)))
		r->bad = r->bad ? r->bad : 1;
}

int gdb_manifest_parse(const uint8_t *b, size_t len, gdb_manifest *m,
		       const char *name, char *err, size_t errlen)
{
	rd r;
	uint32_t body, nasm, nprov;

	GDB_TRY(manifest_header(b, len, name, err, errlen));
	body = gdb_get_le32(b + 40);
	m->generation = gdb_get_le64(b + 16);
	m->next_segment_id = gdb_get_le64(b + 24);
	nasm = gdb_get_le32(b + 32);
	nprov = gdb_get_le32(b + 36);
	r.p = b + GDB_MANIFEST_HDR;
	r.left = body;
	r.bad = 0;
	/* The counts are set only once their arrays exist: a free after a
	 * failure walks only what was allocated (the fuzzer found this). */
	if (nasm > body / 26 || nprov > body / 56)
		goto corrupt;
	m->asms = calloc(nasm ? nasm : 1, sizeof(*m->asms));
	m->prov = calloc(nprov ? nprov : 1, sizeof(*m->prov));
	if (!m->asms || !m->prov)
		return -ENOMEM;
	m->nasm = nasm;
	m->nprov = nprov;
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
		if (gdb_get_le32(b + 8) != GDB_FORMAT_V1)
			mf_reference(&r, a);
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
	if (r.bad < 0)
		return r.bad;
	if (r.bad || r.left)
		goto corrupt;
	return 0;
corrupt:
	gdb_seterr(err, errlen, "%s: malformed manifest body", name);
	return GDB_ECORRUPT;
}

int gdb_current_format(uint64_t gen, char *buf, size_t cap)
{
	char name[40];
	int n = snprintf(name, sizeof(name), "MANIFEST-%06llu",
			 (unsigned long long)gen);

	return snprintf(buf, cap, "%s %08x\n", name,
			gdb_crc32c(name, (size_t)n));
}

int gdb_current_parse(const char *b, size_t len, uint64_t *gen, int *has_crc)
{
	unsigned long long g;
	unsigned crc;
	int n = 0, name_len = 0;
	char tail[2];

	if (len >= 64 || memchr(b, 0, len))
		return GDB_ECORRUPT;
	/* "MANIFEST-" and at least 6 digits; the digits are all read */
	if (len < 16 || memcmp(b, "MANIFEST-", 9))
		return GDB_ECORRUPT;
	if (sscanf(b, "MANIFEST-%llu%n", &g, &name_len) != 1 || g == 0 ||
	    name_len < 15)
		return GDB_ECORRUPT;
	for (int i = 9; i < name_len; i++)
		if (b[i] < '0' || b[i] > '9')
			return GDB_ECORRUPT;
	*gen = g;
	if ((size_t)name_len + 1 == len && b[name_len] == '\n') {
		*has_crc = 0; /* an older store's CURRENT */
		return 0;
	}
	if (b[name_len] != ' ' ||
	    sscanf(b + name_len, " %8x%n%1s", &crc, &n, tail) != 1 ||
	    (size_t)(name_len + n) + 1 != len || n != 9 || b[len - 1] != '\n')
		return GDB_ECORRUPT;
	for (int i = name_len + 1; i < name_len + 9; i++)
		if (!((b[i] >= '0' && b[i] <= '9') ||
		      (b[i] >= 'a' && b[i] <= 'f')))
			return GDB_ECORRUPT;
	if (gdb_crc32c(b, (size_t)name_len) != crc)
		return GDB_ECHECKSUM;
	*has_crc = 1;
	return 0;
}

int gdb_current_write(int dirfd, uint64_t gen)
{
	char buf[64];
	int n = gdb_current_format(gen, buf, sizeof(buf));
	int fd = GDB_FP("open",
			openat(dirfd, "CURRENT.tmp",
			       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644),
			-1);
	int rc;

	if (fd < 0)
		return -errno;
	rc = gdb_write_all(fd, buf, (size_t)n);
	if (rc == 0 && GDB_FP("fsync", fsync(fd), -1) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 &&
	    GDB_FP("rename", renameat(dirfd, "CURRENT.tmp", dirfd, "CURRENT"),
		   -1) < 0)
		rc = -errno;
	return rc;
}

/* Read CURRENT: the live generation. */
static int load_current(int dirfd, const char *path, uint64_t *gen,
			int *has_crc, char *err, size_t errlen)
{
	uint8_t *cur = NULL;
	size_t len;
	int rc = gdb_read_small_file(dirfd, "CURRENT", &cur, &len, 64);

	if (rc < 0) {
		gdb_seterr(err, errlen,
			   "%s: not a GenomeDB store (CURRENT: %s)", path,
			   rc == GDB_ECORRUPT ? "too long" : gdb_strerror(rc));
		return rc;
	}
	rc = gdb_current_parse((const char *)cur, len, gen, has_crc);
	free(cur);
	if (rc == GDB_ECHECKSUM)
		gdb_seterr(err, errlen,
			   "%s/CURRENT: checksum mismatch (damaged;"
			   " `genomedb verify --repair` restores it from the "
			   "newest valid manifest)",
			   path);
	else if (rc < 0)
		gdb_seterr(err, errlen,
			   "%s/CURRENT: malformed (damaged; "
			   "`genomedb verify --repair` restores it from the "
			   "newest valid manifest)",
			   path);
	return rc;
}

int gdb_current_read(int dirfd, uint64_t *gen, int *has_crc)
{
	return load_current(dirfd, "", gen, has_crc, NULL, 0);
}

/*
 * Open MANIFEST-<gen> and, with lockfd, hold flock(LOCK_SH) on it. A
 * manifest gc unlinked between our reading CURRENT and taking the lock
 * has no links left: -EAGAIN tells the caller to read CURRENT again.
 */
static int open_manifest(int dirfd, const char *name, int *lockfd)
{
	struct stat st;
	int fd = GDB_FP("open", openat(dirfd, name, O_RDONLY | O_CLOEXEC), -1);

	if (fd < 0)
		return errno == ENOENT ? -EAGAIN : -errno;
	if (lockfd) {
		if (flock(fd, LOCK_SH) < 0 && errno != ENOLCK &&
		    errno != EOPNOTSUPP) {
			int rc = -errno;
			close(fd);
			return rc;
		}
		if (fstat(fd, &st) < 0 || st.st_nlink == 0) {
			close(fd);
			return -EAGAIN;
		}
	}
	return fd;
}

int gdb_manifest_load(int dirfd, const char *path, gdb_manifest *m, int *lockfd,
		      char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char name[64];
	uint64_t gen = 0;
	int has_crc = 0, fd = -EAGAIN, rc;

	memset(m, 0, sizeof(*m));
	/* Retry while gc removes the manifest CURRENT just named: each
	 * round means a newer generation was committed meanwhile. */
	for (int tries = 0; fd == -EAGAIN && tries < 100; tries++) {
		GDB_TRY(load_current(dirfd, path, &gen, &has_crc, err, errlen));
		snprintf(name, sizeof(name), "MANIFEST-%06llu",
			 (unsigned long long)gen);
		fd = open_manifest(dirfd, name, lockfd);
	}
	if (fd < 0) {
		rc = fd == -EAGAIN ? GDB_ECORRUPT : fd;
		gdb_seterr(err, errlen, "%s/%s: %s", path, name,
			   fd == -EAGAIN ? "missing" : gdb_strerror(fd));
		return rc;
	}
	rc = read_fd(fd, &buf, &len, (size_t)1 << 30);
	if (rc < 0)
		gdb_seterr(err, errlen, "%s/%s: %s", path, name,
			   gdb_strerror(rc));
	else
		rc = gdb_manifest_parse(buf, len, m, name, err, errlen);
	free(buf);
	if (rc == 0 && m->generation != gen) {
		gdb_seterr(err, errlen, "%s/%s: holds generation %llu", path,
			   name, (unsigned long long)m->generation);
		rc = GDB_ECORRUPT;
	}
	m->current_crc = has_crc;
	if (rc < 0) {
		gdb_manifest_free(m);
		close(fd);
	} else if (lockfd) {
		*lockfd = fd;
	} else {
		close(fd);
	}
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
	uint32_t version = GDB_FORMAT_V1;
	int fd, rc;

	h = gdb_buf_room(&w, GDB_MANIFEST_HDR);
	if (h)
		memset(h, 0, GDB_MANIFEST_HDR);
	/* version 1 unless an assembly is relative to another, so stores
	 * without one stay readable by older readers */
	for (uint32_t i = 0; i < m->nasm; i++)
		if (m->asms[i].reference)
			version = GDB_FORMAT_VERSION;
	for (uint32_t i = 0; i < m->nasm; i++) {
		const gdb_mf_asm *a = &m->asms[i];
		wb_str(&w, a->name, 2);
		wb_u64(&w, a->segment_id);
		wb_u64(&w, a->segment_bytes);
		wb_u32(&w, a->index_crc);
		wb_u32(&w, a->kind);
		if (version == GDB_FORMAT_V1)
			continue;
		wb_str(&w, a->reference ? a->reference : "", 2);
		wb_u64(&w, a->reference ? a->ref_segment : 0);
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
	gdb_put_le32(h + 8, version);
	gdb_put_le32(h + 12, 0);
	gdb_put_le64(h + 16, m->generation);
	gdb_put_le64(h + 24, m->next_segment_id);
	gdb_put_le32(h + 32, m->nasm);
	gdb_put_le32(h + 36, m->nprov);
	gdb_put_le32(h + 40, (uint32_t)(w.len - GDB_MANIFEST_HDR - 4));
	gdb_put_le32((uint8_t *)w.p + w.len - 4, gdb_crc32c(w.p, w.len - 4));

	snprintf(name, sizeof(name), "MANIFEST-%06llu",
		 (unsigned long long)m->generation);
	fd = GDB_FP(
	    "open",
	    openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644),
	    -1);
	if (fd < 0) {
		rc = -errno;
		gdb_buf_free(&w);
		return rc;
	}
	rc = gdb_write_all(fd, w.p, w.len);
	if (rc == 0 && GDB_FP("fsync", fsync(fd), -1) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	gdb_buf_free(&w);
	if (rc < 0)
		unlinkat(dirfd, name, 0);
	return rc;
}
