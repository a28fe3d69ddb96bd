/*
 * store/store.c - the reader: map one generation of a store and hand out
 * checksum-verified blocks.
 *
 * NOTES ON THE DESIGN OF THE STORE (the writer, txn.c, keeps these true):
 *  1. A segment file is written completely and fsynced before any manifest
 *     names it; once named it is never modified.
 *  2. A manifest is written under a new name (MANIFEST-<gen>), fsynced, and
 *     only then named by CURRENT, which is replaced by rename() of a fsynced
 *     CURRENT.tmp, followed by an fsync of the directory.
 *  3. Therefore CURRENT always names a whole manifest whose segments are
 *     whole: a crash at any instant leaves the previous generation readable.
 *  4. Files no generation names (a dead writer's segment or manifest,
 *     *.tmp) are garbage; the next writer removes them before it writes.
 *  5. Every byte read back is covered by a CRC32C: the manifest as a whole,
 *     each segment header, each segment index, each block. Readers check the
 *     small structures at open and each block every time it is decoded, so
 *     a damaged block is an error (EIO at the mount), never wrong bases.
 *
 * A reader maps its generation's segments read-only and keeps them until
 * close: later commits do not disturb it (snapshot isolation).
 */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codecs/codecs.h"
#include "store/store_int.h"

const char *const gdb_store_reserved_names[] = {
	"graph", "variants", "reads", "annotations", "compute", ".gdb", NULL,
};

struct gdb_store {
	char *path;
	uint64_t generation;
	uint32_t nasm, ncontigs, nprov;
	gdb_assembly *asms;
	gdb_contig *contigs;
	const uint8_t **blocktab;	/* per contig: its block entries */
	gdb_provenance *prov;
	gdb_manifest mf;		/* owns the provenance strings */
	struct seg {
		uint8_t *map;
		size_t len;
		char name[32];
	} *segs;			/* per manifest entry */
	uint32_t *asm_entry;		/* per assembly: its manifest entry */
	uint32_t nobj;
	gdb_object *objs;
	struct section {
		char *name;
		const uint8_t *data;	/* into the segment's mapping */
		uint64_t len;
		uint32_t crc;
		int state;		/* atomic: 0 unchecked, 1 ok, -1 bad */
	} **secs;			/* per object: its sections */
	uint32_t *htab;			/* contig ids + 1; 0 = empty */
	uint32_t hmask;
};

void gdb_store_segment_name(uint64_t id, char *buf, size_t buflen)
{
	snprintf(buf, buflen, "seg-%06llu.gdb", (unsigned long long)id);
}

int gdb_store_name_check(const char *name, const char *what, char *err,
			 size_t errlen)
{
	size_t n = strlen(name);

	if (n == 0) {
		gdb_seterr(err, errlen, "empty %s name", what);
		return GDB_EFORMAT;
	}
	if (n > GDB_NAME_MAX) {
		gdb_seterr(err, errlen, "%s name longer than %u bytes", what,
			   GDB_NAME_MAX);
		return GDB_EFORMAT;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= ' ' || c == 0x7f) {
			gdb_seterr(err, errlen,
				   "%s name '%s' has a space or control "
				   "character",
				   what, name);
			return GDB_EFORMAT;
		}
	}
	if (!strcmp(what, "assembly")) {
		for (int i = 0; gdb_store_reserved_names[i]; i++) {
			if (!strcmp(name, gdb_store_reserved_names[i])) {
				gdb_seterr(err, errlen,
					   "assembly name '%s' is reserved",
					   name);
				return GDB_EFORMAT;
			}
		}
		if (strchr(name, '/') || name[0] == '.') {
			gdb_seterr(err, errlen,
				   "assembly name '%s' may not contain '/' or "
				   "start with '.'",
				   name);
			return GDB_EFORMAT;
		}
	}
	return 0;
}

static uint32_t name_hash(uint32_t asm_index, const char *s)
{
	uint32_t h = 2166136261u ^ asm_index;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static int build_hash(gdb_store *s)
{
	uint32_t size = 16;

	while (size < s->ncontigs * 2u)
		size <<= 1;
	s->htab = calloc(size, sizeof(*s->htab));
	if (!s->htab)
		return -ENOMEM;
	s->hmask = size - 1;
	for (uint32_t id = 0; id < s->ncontigs; id++) {
		const gdb_contig *c = &s->contigs[id];
		uint32_t h = name_hash(c->asm_index, c->name) & s->hmask;
		while (s->htab[h])
			h = (h + 1) & s->hmask;
		s->htab[h] = id + 1;
	}
	return 0;
}

/* Copy a length-prefixed string out of the mapped index. */
static char *take_str(const uint8_t **p, const uint8_t *end, int width)
{
	uint32_t n;
	char *s;

	if (end - *p < width)
		return NULL;
	n = width == 2 ? gdb_get_le16(*p) : gdb_get_le32(*p);
	*p += width;
	if ((uint64_t)(end - *p) < n || memchr(*p, 0, n))
		return NULL;
	s = malloc((size_t)n + 1);
	if (!s)
		return NULL;
	memcpy(s, *p, n);
	s[n] = 0;
	*p += n;
	return s;
}

/*
 * Parse one segment's index into contigs [first, first + n). The index was
 * CRC-checked; the checks here stop a bug or a CRC collision from reaching
 * out of the mapping.
 */
static int parse_index(gdb_store *s, uint32_t ai, const uint8_t *idx,
		       size_t len, uint64_t data_end, uint32_t n,
		       const char *segname, char *err, size_t errlen)
{
	const uint8_t *p = idx, *end = idx + len;
	gdb_assembly *a = &s->asms[ai];

	for (uint32_t k = 0; k < n; k++) {
		gdb_contig *c = &s->contigs[s->ncontigs];
		char *name = take_str(&p, end, 2), *desc;
		uint64_t need, stored = 0;

		if (!name)
			goto bad;
		desc = take_str(&p, end, 4);
		c->name = name;
		c->desc = desc;
		if (!desc || end - p < 8 + 4 + 4 + 4 + 16 + 24)
			goto bad;
		c->length = (int64_t)gdb_get_le64(p);
		c->block_bases = gdb_get_le32(p + 8);
		c->nblocks = gdb_get_le32(p + 12);
		c->line_width = gdb_get_le32(p + 16);
		memcpy(c->md5, p + 20, 16);
		memcpy(c->sha512t24, p + 36, 24);
		p += 60;
		if (c->length <= 0 || c->block_bases == 0 ||
		    c->block_bases > GDB_DNA_BLOCK_BASES)
			goto bad;
		need = ((uint64_t)c->length + c->block_bases - 1) /
		       c->block_bases;
		if (need != c->nblocks ||
		    (uint64_t)(end - p) / GDB_BLOCK_ENTRY < c->nblocks)
			goto bad;
		s->blocktab[s->ncontigs] = p;
		for (uint32_t b = 0; b < c->nblocks; b++) {
			uint64_t off = gdb_get_le64(p + b * GDB_BLOCK_ENTRY);
			uint32_t sl = gdb_get_le32(p + b * GDB_BLOCK_ENTRY + 8);
			if (off < GDB_SEGMENT_HDR || sl == 0 ||
			    off > data_end || sl > data_end - off)
				goto bad;
			stored += sl;
		}
		p += (size_t)c->nblocks * GDB_BLOCK_ENTRY;
		c->stored_bytes = stored;
		c->asm_index = ai;
		c->id = s->ncontigs++;
		a->total_length += c->length;
	}
	if (p != end)
		goto bad;
	return 0;
bad:
	gdb_seterr(err, errlen, "%s/%s: malformed index", s->path, segname);
	return GDB_ECORRUPT;
}

/* The index of a sections object (kind GDB_OBJECT_SECTIONS). */
static int parse_sections(gdb_store *s, uint32_t oi, const uint8_t *base,
			  const uint8_t *idx, size_t len, uint64_t data_end,
			  uint32_t n, const char *segname, char *err,
			  size_t errlen)
{
	const uint8_t *p = idx, *end = idx + len;
	struct section *sec = calloc(n ? n : 1, sizeof(*sec));

	if (!sec)
		return -ENOMEM;
	s->secs[oi] = sec;
	s->objs[oi].nsections = n;
	for (uint32_t k = 0; k < n; k++) {
		uint64_t off, sl;
		sec[k].name = take_str(&p, end, 2);
		if (!sec[k].name || end - p < 20)
			goto bad;
		off = gdb_get_le64(p);
		sl = gdb_get_le64(p + 8);
		sec[k].crc = gdb_get_le32(p + 16);
		p += 20;
		if (off < GDB_SEGMENT_HDR || off > data_end ||
		    sl > data_end - off)
			goto bad;
		sec[k].data = base + off;
		sec[k].len = sl;
	}
	if (p != end)
		goto bad;
	return 0;
bad:
	gdb_seterr(err, errlen, "%s/%s: malformed section index", s->path,
		   segname);
	return GDB_ECORRUPT;
}

static int map_segment(gdb_store *s, int dirfd, uint32_t ei, char *err,
		       size_t errlen)
{
	const gdb_mf_asm *ma = &s->mf.asms[ei];
	struct seg *sg = &s->segs[ei];
	uint32_t ai;
	struct stat st;
	const uint8_t *h;
	uint64_t ioff, ilen;
	uint32_t n;
	int fd, rc;

	gdb_store_segment_name(ma->segment_id, sg->name, sizeof(sg->name));
	fd = openat(dirfd, sg->name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		gdb_seterr(err, errlen, "%s/%s: %s", s->path, sg->name,
			   strerror(errno));
		return rc == -ENOENT ? GDB_ECORRUPT : rc;
	}
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size != ma->segment_bytes ||
	    st.st_size < GDB_SEGMENT_HDR) {
		close(fd);
		gdb_seterr(err, errlen, "%s/%s: size differs from the manifest",
			   s->path, sg->name);
		return GDB_ECORRUPT;
	}
	sg->len = (size_t)st.st_size;
	sg->map = mmap(NULL, sg->len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (sg->map == MAP_FAILED) {
		sg->map = NULL;
		gdb_seterr(err, errlen, "%s/%s: mmap: %s", s->path, sg->name,
			   strerror(errno));
		return -errno;
	}
	h = sg->map;
	if (memcmp(h, GDB_SEGMENT_MAGIC, 8) ||
	    gdb_crc32c(h, 60) != gdb_get_le32(h + 60)) {
		gdb_seterr(err, errlen, "%s/%s: segment header damaged",
			   s->path, sg->name);
		return GDB_ECHECKSUM;
	}
	if (gdb_get_le32(h + 8) != GDB_FORMAT_VERSION || gdb_get_le32(h + 12)) {
		gdb_seterr(err, errlen, "%s/%s: unsupported segment version",
			   s->path, sg->name);
		return GDB_EVERSION;
	}
	ioff = gdb_get_le64(h + 24);
	ilen = gdb_get_le64(h + 32);
	n = gdb_get_le32(h + 44);
	if (gdb_get_le64(h + 16) != ma->segment_id || ioff < GDB_SEGMENT_HDR ||
	    ioff > sg->len || ilen != sg->len - ioff) {
		gdb_seterr(err, errlen, "%s/%s: segment header inconsistent",
			   s->path, sg->name);
		return GDB_ECORRUPT;
	}
	if (gdb_crc32c(h + ioff, ilen) != gdb_get_le32(h + 40) ||
	    gdb_get_le32(h + 40) != ma->index_crc) {
		gdb_seterr(err, errlen, "%s/%s: segment index damaged",
			   s->path, sg->name);
		return GDB_ECHECKSUM;
	}
	if (ma->kind == GDB_OBJECT_SECTIONS) {
		uint32_t oi = s->nobj++;
		/* Each section needs at least 22 index bytes. */
		if (n > ilen / 22)
			return GDB_ECORRUPT;
		s->objs[oi].name = ma->name;
		s->objs[oi].kind = ma->kind;
		s->objs[oi].segment_id = ma->segment_id;
		s->objs[oi].segment_bytes = ma->segment_bytes;
		return parse_sections(s, oi, h, h + ioff, ilen, ioff, n,
				      sg->name, err, errlen);
	}
	ai = s->nasm++;
	s->asm_entry[ai] = ei;
	/* Each contig needs at least 66 index bytes: bounds the allocation. */
	if (n > ilen / 66)
		return GDB_ECORRUPT;
	{
		uint32_t total = s->ncontigs + n;
		gdb_contig *c = realloc(s->contigs, (total ? total : 1) *
							 sizeof(*c));
		const uint8_t **bt;
		if (!c)
			return -ENOMEM;
		s->contigs = c;
		memset(c + s->ncontigs, 0, (size_t)n * sizeof(*c));
		bt = realloc(s->blocktab, (total ? total : 1) * sizeof(*bt));
		if (!bt)
			return -ENOMEM;
		s->blocktab = bt;
	}
	s->asms[ai].name = ma->name;
	s->asms[ai].first_contig = s->ncontigs;
	s->asms[ai].ncontigs = n;
	s->asms[ai].segment_id = ma->segment_id;
	s->asms[ai].segment_bytes = ma->segment_bytes;
	rc = parse_index(s, ai, h + ioff, ilen, ioff, n, sg->name, err, errlen);
	return rc;
}

int gdb_store_open(const char *path, unsigned flags, gdb_store **out,
		   char *err, size_t errlen)
{
	gdb_store *s;
	int dirfd, rc;

	if (flags)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->path = strdup(path);
	if (!s->path) {
		free(s);
		return -ENOMEM;
	}
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		rc = -errno;
		gdb_seterr(err, errlen, "%s: %s", path, strerror(errno));
		gdb_store_close(s);
		return rc;
	}
	rc = gdb_manifest_load(dirfd, path, &s->mf, err, errlen);
	if (rc < 0)
		goto fail;
	s->generation = s->mf.generation;
	{
		size_t ne = s->mf.nasm ? s->mf.nasm : 1;
		s->asms = calloc(ne, sizeof(*s->asms));
		s->segs = calloc(ne, sizeof(*s->segs));
		s->asm_entry = calloc(ne, sizeof(*s->asm_entry));
		s->objs = calloc(ne, sizeof(*s->objs));
		s->secs = calloc(ne, sizeof(*s->secs));
	}
	s->nprov = s->mf.nprov;
	s->prov = calloc(s->nprov ? s->nprov : 1, sizeof(*s->prov));
	if (!s->asms || !s->segs || !s->prov || !s->asm_entry || !s->objs ||
	    !s->secs) {
		rc = -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < s->mf.nasm; i++) {
		rc = map_segment(s, dirfd, i, err, errlen);
		if (rc < 0)
			goto fail;
	}
	for (uint32_t i = 0; i < s->nprov; i++) {
		const gdb_mf_prov *p = &s->mf.prov[i];
		s->prov[i].target = p->target;
		s->prov[i].source = p->source;
		s->prov[i].command = p->command;
		s->prov[i].source_bytes = p->source_bytes;
		s->prov[i].time = p->time;
		memcpy(s->prov[i].sha256, p->sha256, 32);
	}
	rc = build_hash(s);
	if (rc < 0)
		goto fail;
	close(dirfd);
	*out = s;
	return 0;
fail:
	close(dirfd);
	gdb_store_close(s);
	return rc;
}

void gdb_store_close(gdb_store *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->ncontigs; i++) {
		free((char *)s->contigs[i].name); /* owned: strdup'd at open */
		free((char *)s->contigs[i].desc);
	}
	for (uint32_t i = 0; s->segs && i < s->mf.nasm; i++)
		if (s->segs[i].map)
			munmap(s->segs[i].map, s->segs[i].len);
	for (uint32_t i = 0; s->secs && i < s->nobj; i++) {
		for (uint32_t k = 0; s->secs[i] && k < s->objs[i].nsections; k++)
			free(s->secs[i][k].name);
		free(s->secs[i]);
	}
	free(s->secs);
	free(s->objs);
	free(s->asm_entry);
	gdb_manifest_free(&s->mf);
	free(s->contigs);
	free(s->blocktab);
	free(s->asms);
	free(s->segs);
	free(s->prov);
	free(s->htab);
	free(s->path);
	free(s);
}

uint64_t gdb_store_generation(const gdb_store *s)
{
	return s->generation;
}

const char *gdb_store_path(const gdb_store *s)
{
	return s->path;
}

uint32_t gdb_store_nassemblies(const gdb_store *s)
{
	return s->nasm;
}

const gdb_assembly *gdb_store_assembly(const gdb_store *s, uint32_t i)
{
	return i < s->nasm ? &s->asms[i] : NULL;
}

uint32_t gdb_store_ncontigs(const gdb_store *s)
{
	return s->ncontigs;
}

const gdb_contig *gdb_store_contig(const gdb_store *s, uint32_t id)
{
	return id < s->ncontigs ? &s->contigs[id] : NULL;
}

uint32_t gdb_store_nprovenance(const gdb_store *s)
{
	return s->nprov;
}

const gdb_provenance *gdb_store_provenance(const gdb_store *s, uint32_t i)
{
	return i < s->nprov ? &s->prov[i] : NULL;
}

int gdb_store_assembly_find(const gdb_store *s, const char *name)
{
	for (uint32_t i = 0; i < s->nasm; i++)
		if (!strcmp(s->asms[i].name, name))
			return (int)i;
	return -ENOENT;
}

int gdb_store_contig_find(const gdb_store *s, uint32_t asm_index,
			  const char *name)
{
	uint32_t h = name_hash(asm_index, name) & s->hmask;

	for (; s->htab[h]; h = (h + 1) & s->hmask) {
		const gdb_contig *c = &s->contigs[s->htab[h] - 1];
		if (c->asm_index == asm_index && !strcmp(c->name, name))
			return (int)c->id;
	}
	return -ENOENT;
}

/* Parse a samtools position: digits with optional commas, at least one. */
static int parse_pos(const char *p, const char *end, int64_t *out)
{
	int64_t v = 0;
	int digits = 0;

	for (; p < end; p++) {
		if (*p == ',')
			continue;
		if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
		digits++;
	}
	if (!digits)
		return -1;
	*out = v;
	return 0;
}

int gdb_store_region_parse(const gdb_store *s, uint32_t asm_index,
			   const char *text, uint32_t *contig, int64_t *beg,
			   int64_t *end, char *err, size_t errlen)
{
	char name[GDB_NAME_MAX + 1];
	const char *range = NULL, *colon, *dash, *stop;
	int64_t from = 1, to = INT64_MAX;
	size_t n;
	int id;

	id = gdb_store_contig_find(s, asm_index, text);
	if (id >= 0)
		goto found;
	if (text[0] == '{') {
		const char *close = strchr(text, '}');
		if (!close || (close[1] && close[1] != ':')) {
			gdb_seterr(err, errlen, "%s: malformed region", text);
			return GDB_EFORMAT;
		}
		n = (size_t)(close - text - 1);
		range = close[1] ? close + 2 : NULL;
		if (n > GDB_NAME_MAX)
			goto unknown;
		memcpy(name, text + 1, n);
	} else {
		colon = strrchr(text, ':');
		if (!colon)
			goto unknown;
		n = (size_t)(colon - text);
		if (n > GDB_NAME_MAX)
			goto unknown;
		memcpy(name, text, n);
		range = colon + 1;
	}
	name[n] = 0;
	id = gdb_store_contig_find(s, asm_index, name);
	if (id < 0)
		goto unknown;
	if (range && *range) {
		stop = range + strlen(range);
		dash = strchr(range, '-');
		if (parse_pos(range, dash ? dash : stop, &from) < 0 ||
		    (dash && dash + 1 < stop &&
		     parse_pos(dash + 1, stop, &to) < 0)) {
			gdb_seterr(err, errlen, "%s: malformed region", text);
			return GDB_EFORMAT;
		}
	}
found:
	if (from < 1) {
		gdb_seterr(err, errlen, "%s: start must be at least 1", text);
		return GDB_EFORMAT;
	}
	if (to < from) {
		gdb_seterr(err, errlen, "%s: end before start", text);
		return GDB_EFORMAT;
	}
	if (from > s->contigs[id].length) {
		gdb_seterr(err, errlen, "%s: start past the end (length %lld)",
			   text, (long long)s->contigs[id].length);
		return GDB_EFORMAT;
	}
	*contig = (uint32_t)id;
	*beg = from - 1;
	*end = to < s->contigs[id].length ? to : s->contigs[id].length;
	return 0;
unknown:
	gdb_seterr(err, errlen, "%s: unknown sequence", text);
	return -ENOENT;
}

/* Locate a block: its bytes, and check them against the stored CRC. */
static int block_locate(const gdb_store *s, uint32_t contig, uint32_t block,
			const uint8_t **data, uint32_t *len, uint64_t *off)
{
	const gdb_contig *c;
	const uint8_t *e;
	const struct seg *sg;

	if (contig >= s->ncontigs || block >= s->contigs[contig].nblocks)
		return -EINVAL;
	c = &s->contigs[contig];
	sg = &s->segs[s->asm_entry[c->asm_index]];
	e = s->blocktab[contig] + (size_t)block * GDB_BLOCK_ENTRY;
	*off = gdb_get_le64(e);
	*len = gdb_get_le32(e + 8);
	*data = sg->map + *off;
	if (gdb_crc32c(*data, *len) != gdb_get_le32(e + 12)) {
		int64_t from = (int64_t)block * c->block_bases + 1;
		int64_t to = from + c->block_bases - 1;
		if (to > c->length)
			to = c->length;
		gdb_log(GDB_LOG_ERROR,
			"checksum mismatch in %s/%s:%lld-%lld (%s/%s offset "
			"%llu)",
			s->asms[c->asm_index].name, c->name, (long long)from,
			(long long)to, s->path, sg->name,
			(unsigned long long)*off);
		return GDB_ECHECKSUM;
	}
	return 0;
}

static uint32_t block_expect(const gdb_contig *c, uint32_t block)
{
	int64_t left = c->length - (int64_t)block * c->block_bases;
	return left < c->block_bases ? (uint32_t)left : c->block_bases;
}

int gdb_store_block_decode(const gdb_store *s, uint32_t contig,
			   uint32_t block, char *dst, size_t dstcap)
{
	const uint8_t *data;
	uint32_t len;
	uint64_t off;
	int n;

	GDB_TRY(block_locate(s, contig, block, &data, &len, &off));
	n = gdb_codecs_dna_decode(data, len, dst, dstcap);
	if (n < 0 && n != -ENOBUFS) {
		gdb_log(GDB_LOG_ERROR, "%s: block %u of %s at offset %llu "
			"does not decode", s->path, block,
			s->contigs[contig].name, (unsigned long long)off);
		return GDB_ECORRUPT;
	}
	if (n >= 0 && (uint32_t)n != block_expect(&s->contigs[contig], block))
		return GDB_CORRUPT("block holds the wrong number of bases");
	return n;
}

int gdb_store_block_check(const gdb_store *s, uint32_t contig, uint32_t block,
			  uint64_t *seg_offset)
{
	const uint8_t *data;
	uint32_t len;
	uint64_t off = 0;
	int n, rc;

	rc = block_locate(s, contig, block, &data, &len, &off);
	if (seg_offset)
		*seg_offset = off;
	if (rc < 0)
		return rc;
	n = gdb_codecs_dna_nbases(data, len);
	if (n < 0 || (uint32_t)n != block_expect(&s->contigs[contig], block))
		return GDB_ECORRUPT;
	return n;
}

uint32_t gdb_store_nobjects(const gdb_store *s)
{
	return s->nobj;
}

const gdb_object *gdb_store_object(const gdb_store *s, uint32_t i)
{
	return i < s->nobj ? &s->objs[i] : NULL;
}

int gdb_store_object_find(const gdb_store *s, uint32_t kind, const char *name)
{
	for (uint32_t i = 0; i < s->nobj; i++)
		if (s->objs[i].kind == kind && !strcmp(s->objs[i].name, name))
			return (int)i;
	return -ENOENT;
}

int gdb_store_section_at(const gdb_store *s, uint32_t obj, uint32_t i,
			 const char **name, const void **data, uint64_t *len)
{
	struct section *sec;
	int st;

	if (obj >= s->nobj || i >= s->objs[obj].nsections)
		return -EINVAL;
	sec = &s->secs[obj][i];
	if (name)
		*name = sec->name;
	/* Check once; the verdict is cached (a benign race: both checks
	 * give the same answer). */
	st = __atomic_load_n(&sec->state, __ATOMIC_ACQUIRE);
	if (st == 0) {
		st = gdb_crc32c(sec->data, sec->len) == sec->crc ? 1 : -1;
		__atomic_store_n(&sec->state, st, __ATOMIC_RELEASE);
		if (st < 0)
			gdb_log(GDB_LOG_ERROR,
				"checksum mismatch in %s section %s (%s)",
				s->objs[obj].name, sec->name, s->path);
	}
	if (st < 0)
		return GDB_ECHECKSUM;
	*data = sec->data;
	*len = sec->len;
	return 0;
}

int gdb_store_section(const gdb_store *s, uint32_t obj, const char *name,
		      const void **data, uint64_t *len)
{
	if (obj >= s->nobj)
		return -EINVAL;
	for (uint32_t i = 0; i < s->objs[obj].nsections; i++)
		if (!strcmp(s->secs[obj][i].name, name))
			return gdb_store_section_at(s, obj, i, NULL, data, len);
	return -ENOENT;
}

int gdb_store_block_span(const gdb_store *s, uint32_t contig, uint32_t block,
			 const void **data, size_t *len)
{
	const uint8_t *e;

	if (contig >= s->ncontigs || block >= s->contigs[contig].nblocks)
		return -EINVAL;
	e = s->blocktab[contig] + (size_t)block * GDB_BLOCK_ENTRY;
	*data = s->segs[s->asm_entry[s->contigs[contig].asm_index]].map +
		gdb_get_le64(e);
	*len = gdb_get_le32(e + 8);
	return 0;
}
