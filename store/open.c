/*
 * store/open.c - the reader's open and close: load the manifest CURRENT
 * names, map each segment it lists, check its header and index, and build
 * the contig and object tables the queries in store.c use.
 *
 * Damage stays local. A segment that is missing, has another size than
 * the manifest says, or whose header or index fails its checks does not
 * fail the open: its entry is recorded in the damage list (with a message
 * naming the file and the fault) and left out of the assemblies and
 * objects, so everything stored elsewhere is served. Only damage to
 * CURRENT or the manifest itself, which say what the store holds, fails
 * the open.
 *
 * The index of each segment is copied to the heap once its CRC passes:
 * lookups never touch the index pages of the mapping again, so a segment
 * truncated while mapped cannot raise SIGBUS there; block and layout
 * reads check the file's size first (gdb_seg_check_span).
 *
 * Registration: the open manifest stays open under flock(LOCK_SH) until
 * close, which is how `genomedb gc` knows this generation is in use.
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
#include "store/failpoint.h"
#include "store/store_int.h"

/* Fixed fields of a contig record after its description, by version. */
#define CONTIG_FIXED_V1 60u
#define CONTIG_FIXED_V2 84u
/* Smallest index record: a contig (name and description of 1 and 0
 * bytes) and a section. Bound the allocations by the index length. */
#define CONTIG_MIN_V1 (2u + 1u + 4u + CONTIG_FIXED_V1 + GDB_BLOCK_ENTRY)
#define SECTION_MIN (2u + 1u + 20u)

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
		uint32_t h = gdb_name_hash(c->asm_index, c->name) & s->hmask;
		while (s->htab[h])
			h = (h + 1) & s->hmask;
		s->htab[h] = id + 1;
	}
	return 0;
}

/* Copy a length-prefixed string out of the index into *out.
 * @return 0, GDB_ECORRUPT or -ENOMEM */
static int take_str(const uint8_t **p, const uint8_t *end, int width,
		    char **out)
{
	uint32_t n;

	if (end - *p < width)
		return GDB_ECORRUPT;
	n = width == 2 ? gdb_get_le16(*p) : gdb_get_le32(*p);
	*p += width;
	if ((uint64_t)(end - *p) < n || memchr(*p, 0, n))
		return GDB_ECORRUPT;
	*out = malloc((size_t)n + 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, *p, n);
	(*out)[n] = 0;
	*p += n;
	return 0;
}

/* The fixed fields of one contig record (p has room for them). */
static void take_contig_fixed(gdb_contig *c, struct gdb_layout_ref *lr,
			      const uint8_t *p, uint32_t version)
{
	c->length = (int64_t)gdb_get_le64(p);
	c->block_bases = gdb_get_le32(p + 8);
	c->nblocks = gdb_get_le32(p + 12);
	c->line_width = gdb_get_le32(p + 16);
	memcpy(c->md5, p + 20, 16);
	memcpy(c->sha512t24, p + 36, 24);
	if (version >= 2) {
		c->fasta_bytes = gdb_get_le64(p + 60);
		lr->off = gdb_get_le64(p + 68);
		c->layout_len = gdb_get_le32(p + 76);
		lr->crc = gdb_get_le32(p + 80);
	}
}

/* Check one contig's fields and block entries against the segment. */
static int check_contig(const gdb_contig *c, const struct gdb_layout_ref *lr,
			const uint8_t *blocks, uint64_t data_end,
			uint64_t *stored)
{
	uint64_t need;

	if (c->length <= 0 || c->block_bases == 0 ||
	    c->block_bases > GDB_DNA_BLOCK_BASES)
		return -1;
	need = ((uint64_t)c->length + c->block_bases - 1) / c->block_bases;
	if (need != c->nblocks)
		return -1;
	if (c->layout_len &&
	    (lr->off < GDB_SEGMENT_HDR || lr->off > data_end ||
	     c->layout_len > data_end - lr->off || c->fasta_bytes == 0))
		return -1;
	*stored = 0;
	for (uint32_t b = 0; b < c->nblocks; b++) {
		uint64_t off = gdb_get_le64(blocks + b * GDB_BLOCK_ENTRY);
		uint32_t sl = gdb_get_le32(blocks + b * GDB_BLOCK_ENTRY + 8);
		if (off < GDB_SEGMENT_HDR || sl == 0 || off > data_end ||
		    sl > data_end - off)
			return -1;
		*stored += sl;
	}
	return 0;
}

/* Bases of a contig's block k. */
static uint32_t block_bases_of(const gdb_contig *c, uint32_t k)
{
	int64_t left = c->length - (int64_t)k * c->block_bases;

	return left < c->block_bases ? (uint32_t)left : c->block_bases;
}

/*
 * Parse a version 1 or 2 segment's index (a heap copy, CRC-checked) into
 * contigs [first, first + n): each contig's blocks are its own, gathered
 * into the assembly's stream of blocks. The checks here stop a bug or a
 * CRC collision from reaching out of the mapping. On failure the contigs
 * added are undone.
 */
static int parse_index(gdb_store *s, uint32_t ai, const struct gdb_seg *sg,
		       size_t len, uint64_t data_end, uint32_t n)
{
	const uint8_t *p = sg->index, *end = sg->index + len;
	gdb_assembly *a = &s->asms[ai];
	struct gdb_asm_int *x = &s->ai[ai];
	size_t fixed = sg->version >= 2 ? CONTIG_FIXED_V2 : CONTIG_FIXED_V1;
	uint32_t first = s->ncontigs;
	gdb_buf blocks = {0};
	int rc = GDB_ECORRUPT;

	for (uint32_t k = 0; k < n; k++) {
		gdb_contig *c = &s->contigs[s->ncontigs];
		struct gdb_layout_ref *lr = &s->layouts[s->ncontigs];

		memset(c, 0, sizeof(*c));
		memset(lr, 0, sizeof(*lr));
		/* counted first, so the undo below frees its strings */
		s->ncontigs++;
		rc = take_str(&p, end, 2, (char **)&c->name);
		if (rc == 0)
			rc = take_str(&p, end, 4, (char **)&c->desc);
		if (rc < 0 || (size_t)(end - p) < fixed)
			goto bad;
		rc = GDB_ECORRUPT;
		take_contig_fixed(c, lr, p, sg->version);
		p += fixed;
		if ((uint64_t)(end - p) / GDB_BLOCK_ENTRY < c->nblocks ||
		    check_contig(c, lr, p, data_end, &c->stored_bytes) < 0 ||
		    (uint64_t)a->nblocks + c->nblocks > UINT32_MAX)
			goto bad;
		gdb_buf_add(&blocks, p, (size_t)c->nblocks * GDB_BLOCK_ENTRY);
		p += (size_t)c->nblocks * GDB_BLOCK_ENTRY;
		c->asm_index = ai;
		c->id = (uint32_t)(c - s->contigs);
		c->first_block = a->nblocks;
		c->digests = 1;
		a->nblocks += c->nblocks;
		if (c->block_bases > a->block_bases)
			a->block_bases = c->block_bases;
		a->total_length += c->length;
	}
	rc = blocks.err ? blocks.err : GDB_ECORRUPT;
	if (p != end || blocks.err)
		goto bad;
	x->blocks_owned = (uint8_t *)blocks.p;
	x->blocks = x->blocks_owned;
	x->block_n = malloc((a->nblocks ? a->nblocks : 1) * sizeof(uint32_t));
	rc = -ENOMEM;
	if (!x->block_n)
		goto bad;
	for (uint32_t id = first; id < s->ncontigs; id++) {
		const gdb_contig *c = &s->contigs[id];
		for (uint32_t k = 0; k < c->nblocks; k++)
			x->block_n[c->first_block + k] = block_bases_of(c, k);
	}
	a->codec = GDB_CODEC_2BIT;
	a->alphabet = GDB_ALPHA_DNA;
	return 0;
bad:
	while (s->ncontigs > first) {
		gdb_contig *c = &s->contigs[--s->ncontigs];
		free((char *)c->name);
		free((char *)c->desc);
	}
	if (!x->blocks_owned)
		gdb_buf_free(&blocks);
	return rc;
}

static void free_sections(struct gdb_section *sec, uint32_t n)
{
	for (uint32_t k = 0; sec && k < n; k++)
		free(sec[k].name);
	free(sec);
}

/* The index of a sections object (kind GDB_OBJECT_SECTIONS). */
static int parse_sections(gdb_store *s, uint32_t oi, const struct gdb_seg *sg,
			  size_t len, uint64_t data_end, uint32_t n)
{
	const uint8_t *p = sg->index, *end = sg->index + len;
	struct gdb_section *sec = calloc(n ? n : 1, sizeof(*sec));
	int rc = GDB_ECORRUPT;

	if (!sec)
		return -ENOMEM;
	for (uint32_t k = 0; k < n; k++) {
		uint64_t off, sl;
		rc = take_str(&p, end, 2, &sec[k].name);
		if (rc < 0 || end - p < 20)
			goto bad;
		rc = GDB_ECORRUPT;
		off = gdb_get_le64(p);
		sl = gdb_get_le64(p + 8);
		sec[k].crc = gdb_get_le32(p + 16);
		p += 20;
		if (off < GDB_SEGMENT_HDR || off % 64 || off > data_end ||
		    sl > data_end - off)
			goto bad;
		sec[k].data = sg->map + off;
		sec[k].off = off;
		sec[k].len = sl;
	}
	if (p != end)
		goto bad;
	s->secs[oi] = sec;
	s->objs[oi].nsections = n;
	return 0;
bad:
	free_sections(sec, n);
	return rc;
}

/* Open, size-check and map segment ei. */
static int map_file(gdb_store *s, int dirfd, uint32_t ei, char *err,
		    size_t errlen)
{
	const gdb_mf_asm *ma = &s->mf.asms[ei];
	struct gdb_seg *sg = &s->segs[ei];
	struct stat st;
	int rc;

	gdb_store_segment_name(ma->segment_id, sg->name, sizeof(sg->name));
	sg->fd =
	    GDB_FP("open", openat(dirfd, sg->name, O_RDONLY | O_CLOEXEC), -1);
	if (sg->fd < 0) {
		rc = -errno;
		gdb_seterr(err, errlen, "%s/%s: %s", s->path, sg->name,
			   strerror(errno));
		return rc == -ENOENT ? GDB_ECORRUPT : rc;
	}
	if (fstat(sg->fd, &st) < 0 ||
	    (uint64_t)st.st_size != ma->segment_bytes ||
	    st.st_size < GDB_SEGMENT_HDR) {
		gdb_seterr(err, errlen,
			   "%s/%s: %lld bytes, the manifest says %llu", s->path,
			   sg->name, (long long)st.st_size,
			   (unsigned long long)ma->segment_bytes);
		return GDB_ECORRUPT;
	}
	sg->len = (size_t)st.st_size;
	sg->map = GDB_FP("mmap",
			 mmap(NULL, sg->len, PROT_READ, MAP_SHARED, sg->fd, 0),
			 MAP_FAILED);
	if (sg->map == MAP_FAILED) {
		rc = -errno;
		sg->map = NULL;
		gdb_seterr(err, errlen, "%s/%s: mmap: %s", s->path, sg->name,
			   strerror(-rc));
		return rc;
	}
	return 0;
}

/*
 * Check a mapped segment's header against the manifest entry and copy its
 * CRC-checked index to the heap. @return the index length, or an error.
 */
static int64_t check_header(gdb_store *s, uint32_t ei, uint64_t *ioff_out,
			    uint32_t *n, char *err, size_t errlen)
{
	const gdb_mf_asm *ma = &s->mf.asms[ei];
	struct gdb_seg *sg = &s->segs[ei];
	const uint8_t *h = sg->map;
	uint64_t ioff, ilen;

	if (memcmp(h, GDB_SEGMENT_MAGIC, 8) ||
	    gdb_crc32c(h, 60) != gdb_get_le32(h + 60)) {
		gdb_seterr(err, errlen, "%s/%s: segment header damaged",
			   s->path, sg->name);
		return GDB_ECHECKSUM;
	}
	sg->version = gdb_get_le32(h + 8);
	if (sg->version < 1 || sg->version > GDB_SEGMENT_VERSION ||
	    gdb_get_le32(h + 12)) {
		gdb_seterr(err, errlen,
			   "%s/%s: segment version %u not "
			   "supported",
			   s->path, sg->name, sg->version);
		return GDB_EVERSION;
	}
	ioff = gdb_get_le64(h + 24);
	ilen = gdb_get_le64(h + 32);
	*n = gdb_get_le32(h + 44);
	if (gdb_get_le64(h + 16) != ma->segment_id || ioff < GDB_SEGMENT_HDR ||
	    ioff > sg->len || ilen != sg->len - ioff || ilen > INT32_MAX) {
		gdb_seterr(err, errlen, "%s/%s: segment header inconsistent",
			   s->path, sg->name);
		return GDB_ECORRUPT;
	}
	sg->index = malloc(ilen ? ilen : 1);
	if (!sg->index)
		return -ENOMEM;
	memcpy(sg->index, h + ioff, ilen);
	if (gdb_crc32c(sg->index, ilen) != gdb_get_le32(h + 40) ||
	    gdb_get_le32(h + 40) != ma->index_crc) {
		gdb_seterr(err, errlen, "%s/%s: segment index damaged", s->path,
			   sg->name);
		return GDB_ECHECKSUM;
	}
	*ioff_out = ioff;
	return (int64_t)ilen;
}

static int add_object(gdb_store *s, uint32_t ei, size_t ilen, uint64_t ioff,
		      uint32_t n)
{
	const gdb_mf_asm *ma = &s->mf.asms[ei];
	uint32_t oi = s->nobj;

	if (n > ilen / SECTION_MIN)
		return GDB_ECORRUPT;
	GDB_TRY(parse_sections(s, oi, &s->segs[ei], ilen, ioff, n));
	s->objs[oi].name = ma->name;
	s->objs[oi].kind = ma->kind;
	s->objs[oi].segment_id = ma->segment_id;
	s->objs[oi].segment_bytes = ma->segment_bytes;
	s->obj_entry[oi] = ei;
	s->nobj++;
	return 0;
}

int gdb_store_grow_contigs(gdb_store *s, uint32_t total)
{
	size_t n = total ? total : 1;
	gdb_contig *c = realloc(s->contigs, n * sizeof(*c));
	struct gdb_layout_ref *lr;

	if (!c)
		return -ENOMEM;
	s->contigs = c;
	lr = realloc(s->layouts, n * sizeof(*lr));
	if (!lr)
		return -ENOMEM;
	s->layouts = lr;
	return 0;
}

static int add_assembly(gdb_store *s, uint32_t ei, size_t ilen, uint64_t ioff,
			uint32_t n)
{
	const gdb_mf_asm *ma = &s->mf.asms[ei];
	const struct gdb_seg *sg = &s->segs[ei];
	uint32_t ai = s->nasm;
	int rc;

	if (n == 0)
		return GDB_ECORRUPT;
	memset(&s->asms[ai], 0, sizeof(s->asms[ai]));
	gdb_asm_int_reset(&s->ai[ai]);
	s->asms[ai].name = ma->name;
	s->asms[ai].first_contig = s->ncontigs;
	s->asms[ai].ncontigs = n;
	s->asms[ai].segment_id = ma->segment_id;
	s->asms[ai].segment_bytes = ma->segment_bytes;
	s->asms[ai].reference = ma->reference;
	if (sg->version >= 3) {
		rc = gdb_seqindex_parse(s, ai, sg, ilen, ioff, n);
	} else {
		/* each contig needs CONTIG_MIN_V1 index bytes: bounds the
		 * tables */
		rc = n > ilen / CONTIG_MIN_V1
			 ? GDB_ECORRUPT
			 : gdb_store_grow_contigs(s, s->ncontigs + n);
		if (rc == 0)
			rc = parse_index(s, ai, sg, ilen, ioff, n);
	}
	if (rc < 0) {
		gdb_asm_int_free(&s->ai[ai]);
		return rc;
	}
	s->asm_entry[ai] = ei;
	s->nasm++;
	return 0;
}

static int map_segment(gdb_store *s, int dirfd, uint32_t ei, char *err,
		       size_t errlen)
{
	uint64_t ioff = 0;
	int64_t ilen;
	uint32_t n = 0;
	int rc;

	GDB_TRY(map_file(s, dirfd, ei, err, errlen));
	ilen = check_header(s, ei, &ioff, &n, err, errlen);
	if (ilen < 0)
		return (int)ilen;
	if (s->mf.asms[ei].kind == GDB_OBJECT_SECTIONS)
		rc = add_object(s, ei, (size_t)ilen, ioff, n);
	else
		rc = add_assembly(s, ei, (size_t)ilen, ioff, n);
	if (rc == GDB_ECORRUPT)
		gdb_seterr(err, errlen, "%s/%s: malformed index", s->path,
			   s->segs[ei].name);
	return rc;
}

static void unmap_segment(struct gdb_seg *sg)
{
	if (sg->map)
		munmap(sg->map, sg->len);
	if (sg->fd >= 0)
		close(sg->fd);
	free(sg->index);
	sg->map = NULL;
	sg->index = NULL;
	sg->fd = -1;
}

/* Record that entry ei could not be opened; its segment is let go. */
static int add_damage(gdb_store *s, uint32_t ei, int rc, const char *msg)
{
	const gdb_mf_asm *ma = &s->mf.asms[ei];
	gdb_damage *d = &s->damaged[s->ndamaged];

	unmap_segment(&s->segs[ei]);
	d->message = strdup(msg[0] ? msg : gdb_strerror(rc));
	if (!d->message)
		return -ENOMEM;
	d->name = ma->name;
	d->kind = ma->kind;
	d->segment_id = ma->segment_id;
	d->error = rc;
	s->ndamaged++;
	gdb_log(GDB_LOG_ERROR, "%s '%s' is damaged: %s",
		ma->kind == GDB_OBJECT_SECTIONS ? "object" : "assembly",
		ma->name, d->message);
	return 0;
}

static int alloc_tables(gdb_store *s)
{
	size_t ne = s->mf.nasm ? s->mf.nasm : 1;

	s->asms = calloc(ne, sizeof(*s->asms));
	s->ai = calloc(ne, sizeof(*s->ai));
	s->segs = calloc(ne, sizeof(*s->segs));
	s->asm_entry = calloc(ne, sizeof(*s->asm_entry));
	s->obj_entry = calloc(ne, sizeof(*s->obj_entry));
	s->objs = calloc(ne, sizeof(*s->objs));
	s->secs = calloc(ne, sizeof(*s->secs));
	s->damaged = calloc(ne, sizeof(*s->damaged));
	s->nprov = s->mf.nprov;
	s->prov = calloc(s->nprov ? s->nprov : 1, sizeof(*s->prov));
	if (!s->asms || !s->ai || !s->segs || !s->prov || !s->asm_entry ||
	    !s->obj_entry || !s->objs || !s->secs || !s->damaged)
		return -ENOMEM;
	for (size_t i = 0; i < ne; i++)
		s->segs[i].fd = -1;
	for (uint32_t i = 0; i < s->nprov; i++) {
		const gdb_mf_prov *p = &s->mf.prov[i];
		s->prov[i].target = p->target;
		s->prov[i].source = p->source;
		s->prov[i].command = p->command;
		s->prov[i].source_bytes = p->source_bytes;
		s->prov[i].time = p->time;
		memcpy(s->prov[i].sha256, p->sha256, 32);
	}
	return 0;
}

static int map_all(gdb_store *s, int dirfd)
{
	char msg[512];

	for (uint32_t i = 0; i < s->mf.nasm; i++) {
		int rc;
		msg[0] = 0;
		rc = map_segment(s, dirfd, i, msg, sizeof(msg));
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0)
			GDB_TRY(add_damage(s, i, rc, msg));
	}
	return 0;
}

static uint64_t next_serial;

int gdb_store_open(const char *path, unsigned flags, gdb_store **out, char *err,
		   size_t errlen)
{
	gdb_store *s;
	int dirfd, rc;

	if (flags)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->serial = __atomic_add_fetch(&next_serial, 1, __ATOMIC_RELAXED);
	s->mf_fd = -1;
	s->path = strdup(path);
	if (!s->path) {
		free(s);
		return -ENOMEM;
	}
	dirfd =
	    GDB_FP("open", open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), -1);
	if (dirfd < 0) {
		rc = -errno;
		gdb_seterr(err, errlen, "%s: %s", path, strerror(errno));
		gdb_store_close(s);
		return rc;
	}
	rc = gdb_manifest_load(dirfd, path, &s->mf, &s->mf_fd, err, errlen);
	if (rc < 0)
		goto fail;
	s->generation = s->mf.generation;
	rc = alloc_tables(s);
	if (rc == 0)
		rc = map_all(s, dirfd);
	if (rc == 0)
		rc = build_hash(s);
	if (rc < 0)
		goto fail;
	close(dirfd);
	*out = s;
	return 0;
fail:
	if (rc == -ENOMEM)
		gdb_seterr(err, errlen, "%s: out of memory", path);
	close(dirfd);
	gdb_store_close(s);
	return rc;
}

int gdb_store_open_mem(const uint8_t *seg, size_t len, uint32_t kind,
		       gdb_store **out, char *err, size_t errlen)
{
	gdb_store *s = calloc(1, sizeof(*s));
	gdb_mf_asm *e;
	int64_t ilen;
	uint64_t ioff = 0;
	uint32_t n = 0;
	int rc = -ENOMEM;

	if (!s)
		return -ENOMEM;
	s->serial = __atomic_add_fetch(&next_serial, 1, __ATOMIC_RELAXED);
	s->mf_fd = -1;
	s->path = strdup("(memory)");
	s->mf.asms = e = calloc(1, sizeof(*e)); /* freed by close */
	if (!s->path || !e)
		goto fail;
	s->mf.nasm = 1;
	e->name = strdup("mem");
	if (!e->name)
		goto fail;
	rc = GDB_ECORRUPT;
	if (len < GDB_SEGMENT_HDR)
		goto fail;
	e->kind = kind;
	e->segment_id = gdb_get_le64(seg + 16);
	e->segment_bytes = len;
	e->index_crc = gdb_get_le32(seg + 40);
	rc = alloc_tables(s);
	if (rc < 0)
		goto fail;
	/* borrowed, never unmapped: unmap_segment sees fd -1 and map kept */
	s->segs[0].map = (uint8_t *)(uintptr_t)seg;
	s->segs[0].len = len;
	ilen = check_header(s, 0, &ioff, &n, err, errlen);
	rc = ilen < 0 ? (int)ilen
	     : kind == GDB_OBJECT_SECTIONS
		 ? add_object(s, 0, (size_t)ilen, ioff, n)
		 : add_assembly(s, 0, (size_t)ilen, ioff, n);
	if (rc == 0)
		rc = build_hash(s);
	if (rc < 0)
		goto fail;
	s->borrowed = 1;
	*out = s;
	return 0;
fail:
	if (s->segs)
		s->segs[0].map = NULL;
	gdb_store_close(s);
	return rc < 0 ? rc : GDB_ECORRUPT;
}

void gdb_store_close(gdb_store *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->ncontigs; i++) {
		if (s->ai[s->contigs[i].asm_index].text)
			continue;		  /* in its assembly's names */
		free((char *)s->contigs[i].name); /* owned: copied at open */
		free((char *)s->contigs[i].desc);
	}
	for (uint32_t i = 0; s->ai && i < s->nasm; i++)
		gdb_asm_int_free(&s->ai[i]);
	for (uint32_t i = 0; s->segs && i < s->mf.nasm; i++) {
		if (s->borrowed)
			s->segs[i].map = NULL; /* gdb_store_open_mem's bytes */
		unmap_segment(&s->segs[i]);
	}
	for (uint32_t i = 0; s->secs && i < s->nobj; i++)
		free_sections(s->secs[i], s->objs[i].nsections);
	for (uint32_t i = 0; i < s->ndamaged; i++)
		free((char *)s->damaged[i].message);
	if (s->mf_fd >= 0)
		close(s->mf_fd); /* releases the reader's registration */
	free(s->damaged);
	free(s->secs);
	free(s->objs);
	free(s->asm_entry);
	free(s->obj_entry);
	gdb_manifest_free(&s->mf);
	free(s->contigs);
	free(s->ai);
	free(s->layouts);
	free(s->asms);
	free(s->segs);
	free(s->prov);
	free(s->htab);
	free(s->path);
	free(s);
}
