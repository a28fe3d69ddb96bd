/*
 * store/txn.c - the single writer: build one new segment and commit it as
 * the next generation. The invariants it keeps are listed at the top of
 * store/store.c; the order of the durable steps is in gdb_txn_commit().
 *
 * Memory stays bounded while a FASTA larger than RAM streams in: blocks go
 * through a fixed write buffer; only the index (about 16 bytes a block plus
 * the names) is kept in memory until commit.
 */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "simd/simd.h"
#include "store/failpoint.h"
#include "store/store_int.h"

#define WBUF_SIZE (1u << 20)
/* txn_open flags besides GDB_TXN_REPLACE and the GDB_GC_* clean-ups */
#define TXN_REPAIR 0x1000u
#define TXN_CLEAN_MASK (GDB_GC_DISCARD_NEWER | GDB_GC_TRIM_SAFE | GDB_GC_OLD)

struct gdb_txn {
	char *path;
	int dirfd, lockfd, segfd;
	gdb_manifest mf; /* the generation we build on */
	char *asm_name;
	char *ref_name;	      /* the new assembly's reference, or NULL */
	uint64_t ref_segment; /* and its segment id */
	uint64_t seg_id;
	char segname[32];
	uint64_t seg_off; /* bytes of the segment so far */
	uint8_t *wbuf;
	size_t wlen;
	/* index being built (sections; a sequence assembly's is built at
	 * commit from sw) */
	gdb_buf idx;
	struct gdb_seqw *sw;
	uint32_t ncontigs;
	int in_contig;
	/* names of this assembly's contigs, for duplicate detection */
	char **names;
	uint32_t names_cap;
	unsigned flags;	   /* GDB_TXN_* */
	uint64_t next_gen; /* past every manifest present */
	uint8_t *drop;	   /* per manifest entry: left out */
	int replaced;	   /* entry the new one replaces, or -1 */
	gdb_mf_prov *prov; /* one per source file, in order */
	uint32_t nprov;
	uint32_t kind; /* GDB_KIND_DNA or GDB_OBJECT_SECTIONS */
	/* sections object being built */
	uint32_t nsec;
	int in_section;
	size_t sec_at; /* index offset of the open section */
	uint64_t sec_off;
	uint32_t sec_crc;
};

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* Insert into the open-addressing name set; -EEXIST if present. */
static int names_add(gdb_txn *t, const char *name)
{
	uint32_t h;

	if ((t->ncontigs + 1) * 2 > t->names_cap) {
		uint32_t cap = t->names_cap ? t->names_cap * 2 : 1024;
		char **n = calloc(cap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		for (uint32_t i = 0; i < t->names_cap; i++) {
			if (!t->names[i])
				continue;
			h = str_hash(t->names[i]) & (cap - 1);
			while (n[h])
				h = (h + 1) & (cap - 1);
			n[h] = t->names[i];
		}
		free(t->names);
		t->names = n;
		t->names_cap = cap;
	}
	h = str_hash(name) & (t->names_cap - 1);
	for (; t->names[h]; h = (h + 1) & (t->names_cap - 1))
		if (!strcmp(t->names[h], name))
			return -EEXIST;
	t->names[h] = strdup(name);
	return t->names[h] ? 0 : -ENOMEM;
}

static uint8_t *idx_room(gdb_txn *t, size_t n)
{
	return gdb_buf_room(&t->idx, n);
}

/* The index bytes at offset off (the buffer may move as it grows). */
static uint8_t *idx_at(gdb_txn *t, size_t off)
{
	return (uint8_t *)t->idx.p + off;
}

static int flush_wbuf(gdb_txn *t)
{
	int rc = gdb_write_all(t->segfd, t->wbuf, t->wlen);

	t->wlen = 0;
	return rc;
}

static int seg_write(gdb_txn *t, const void *p, size_t n)
{
	if (t->wlen + n > WBUF_SIZE)
		GDB_TRY(flush_wbuf(t));
	if (n > WBUF_SIZE) {
		GDB_TRY(gdb_write_all(t->segfd, p, n));
	} else {
		memcpy(t->wbuf + t->wlen, p, n);
		t->wlen += n;
	}
	t->seg_off += n;
	return 0;
}

static int lock_store(const char *path, int dirfd, int *lockfd, char *err,
		      size_t errlen)
{
	int fd = GDB_FP(
	    "open", openat(dirfd, "LOCK", O_RDWR | O_CREAT | O_CLOEXEC, 0644),
	    -1);

	if (fd < 0) {
		int rc = -errno;
		gdb_seterr(err, errlen, "%s/LOCK: %s", path, strerror(errno));
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int rc = errno == EWOULDBLOCK ? GDB_ELOCKED : -errno;
		gdb_seterr(err, errlen, "%s: another writer holds the lock",
			   path);
		close(fd);
		return rc;
	}
	*lockfd = fd;
	return 0;
}

int gdb_store_init(const char *path, char *err, size_t errlen)
{
	gdb_manifest m = {.generation = 1, .next_segment_id = 1};
	int dirfd, fd, rc;
	DIR *d;
	struct dirent *e;

	if (mkdir(path, 0755) < 0) {
		if (errno != EEXIST) {
			rc = -errno;
			gdb_seterr(err, errlen, "%s: %s", path,
				   strerror(errno));
			return rc;
		}
		d = opendir(path);
		if (!d) {
			rc = -errno;
			gdb_seterr(err, errlen, "%s: %s", path,
				   strerror(errno));
			return rc;
		}
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				break;
		closedir(d);
		if (e) {
			gdb_seterr(err, errlen,
				   "%s: exists and is not an empty directory",
				   path);
			return -EEXIST;
		}
	}
	dirfd =
	    GDB_FP("open", open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), -1);
	if (dirfd < 0) {
		rc = -errno;
		gdb_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	rc = gdb_manifest_write(dirfd, &m);
	if (rc == 0)
		rc = gdb_current_write(dirfd, m.generation);
	if (rc == 0) {
		fd = GDB_FP(
		    "open",
		    openat(dirfd, "LOCK", O_RDWR | O_CREAT | O_CLOEXEC, 0644),
		    -1);
		if (fd < 0)
			rc = -errno;
		else
			close(fd);
	}
	if (rc == 0)
		rc = gdb_fsync_dir(dirfd);
	if (rc < 0)
		gdb_seterr(err, errlen, "%s: %s", path, gdb_strerror(rc));
	close(dirfd);
	return rc;
}

/* Repair: a CURRENT that is damaged, or names a manifest that is gone or
 * damaged, is pointed at the newest whole manifest. The damaged manifest
 * itself stays (it is newer than CURRENT then: gc.c rule 2). */
static int repair_current(gdb_txn *t, gdb_gc_report *r, char *err,
			  size_t errlen)
{
	uint64_t gen = 0, now = 0;
	int has_crc = 0, rc = gdb_current_read(t->dirfd, &gen, &has_crc);

	if (rc == 0) {
		rc = gdb_store_manifest_check(t->dirfd, gen);
		if (rc == 0)
			return 0;
		if (rc != GDB_ECORRUPT) {
			gdb_seterr(err, errlen, "%s/MANIFEST-%06llu: %s",
				   t->path, (unsigned long long)gen,
				   gdb_strerror(rc));
			return rc;
		}
	} else if (rc != GDB_ECHECKSUM && rc != GDB_ECORRUPT) {
		gdb_seterr(err, errlen, "%s/CURRENT: %s", t->path,
			   gdb_strerror(rc));
		return rc;
	}
	rc = gdb_store_restore_current(t->dirfd, &now);
	if (rc == GDB_ECORRUPT)
		gdb_seterr(err, errlen,
			   "%s: CURRENT is damaged and no whole "
			   "manifest is left to restore it from",
			   t->path);
	else if (rc < 0)
		gdb_seterr(err, errlen, "%s: restoring CURRENT: %s", t->path,
			   gdb_strerror(rc));
	if (rc < 0)
		return rc;
	if (r) {
		r->current_was = gen;
		r->current_now = now;
	}
	return 0;
}

static int txn_open(const char *path, unsigned flags, gdb_txn **out,
		    gdb_gc_report *r, char *err, size_t errlen)
{
	gdb_txn *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return -ENOMEM;
	t->dirfd = t->lockfd = t->segfd = -1;
	t->flags = flags;
	t->replaced = -1;
	t->path = strdup(path);
	t->wbuf = malloc(WBUF_SIZE);
	if (!t->path || !t->wbuf) {
		rc = -ENOMEM;
		goto fail;
	}
	t->dirfd =
	    GDB_FP("open", open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), -1);
	if (t->dirfd < 0) {
		rc = -errno;
		gdb_seterr(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	rc = lock_store(path, t->dirfd, &t->lockfd, err, errlen);
	if (rc == 0 && (flags & TXN_REPAIR))
		rc = repair_current(t, r, err, errlen);
	if (rc == 0)
		rc = gdb_manifest_load(t->dirfd, path, &t->mf, NULL, err,
				       errlen);
	if (rc < 0)
		goto fail;
	t->drop = calloc(t->mf.nasm ? t->mf.nasm : 1, 1);
	if (!t->drop) {
		rc = -ENOMEM;
		goto fail;
	}
	/* A dead writer's leftovers: temporary files, segments no manifest
	 * names. Newer manifests stay (store/gc.c, rule 2). */
	rc = gdb_store_cleanup(t->dirfd, &t->mf,
			       GDB_GC_SEGMENTS | (flags & TXN_CLEAN_MASK), r);
	if (rc == 0)
		rc = gdb_store_next_ids(t->dirfd, &t->mf, &t->next_gen,
					&t->seg_id);
	if (rc < 0) {
		gdb_seterr(err, errlen, "%s: removing leftovers: %s", path,
			   gdb_strerror(rc));
		goto fail;
	}
	*out = t;
	return 0;
fail:
	gdb_txn_abort(t);
	return rc;
}

int gdb_txn_begin(const char *path, gdb_txn **out, char *err, size_t errlen)
{
	return txn_open(path, 0, out, NULL, err, errlen);
}

int gdb_txn_begin_flags(const char *path, unsigned flags, gdb_txn **out,
			char *err, size_t errlen)
{
	if (flags & ~GDB_TXN_REPLACE)
		return -EINVAL;
	return txn_open(path, flags, out, NULL, err, errlen);
}

int gdb_store_repair(const char *path, unsigned flags, gdb_gc_report *r,
		     char *err, size_t errlen)
{
	gdb_txn *t;

	memset(r, 0, sizeof(*r));
	GDB_TRY(txn_open(path,
			 TXN_REPAIR | GDB_GC_TRIM_SAFE |
			     (flags & GDB_GC_DISCARD_NEWER),
			 &t, r, err, errlen));
	r->current_unchecked = !t->mf.current_crc;
	gdb_txn_abort(t);
	return 0;
}

int gdb_store_gc(const char *path, unsigned flags, gdb_gc_report *r, char *err,
		 size_t errlen)
{
	gdb_txn *t;

	memset(r, 0, sizeof(*r));
	GDB_TRY(txn_open(path, GDB_GC_OLD | (flags & GDB_GC_DISCARD_NEWER), &t,
			 r, err, errlen));
	r->current_unchecked = !t->mf.current_crc;
	gdb_txn_abort(t);
	return 0;
}

/* The manifest entry of this kind and name, or -1. */
static int find_entry(const gdb_txn *t, uint32_t kind, const char *name)
{
	for (uint32_t i = 0; i < t->mf.nasm; i++)
		if (t->mf.asms[i].kind == kind &&
		    !strcmp(t->mf.asms[i].name, name))
			return (int)i;
	return -1;
}

/* The first entry kept that is stored relative to assembly name, or
 * NULL: while one is, name may be neither dropped nor replaced. */
static const char *dependent(const gdb_txn *t, const char *name)
{
	for (uint32_t i = 0; i < t->mf.nasm; i++)
		if (!t->drop[i] && t->mf.asms[i].reference &&
		    !strcmp(t->mf.asms[i].reference, name))
			return t->mf.asms[i].name;
	return NULL;
}

static int refuse_dependent(const gdb_txn *t, const char *what,
			    const char *name, char *err, size_t errlen)
{
	const char *d = dependent(t, name);

	if (!d)
		return 0;
	gdb_seterr(err, errlen,
		   "%s: cannot %s assembly '%s': assembly '%s' is stored "
		   "relative to it (drop '%s' first)",
		   t->path, what, name, d, d);
	return -EBUSY;
}

/* Start the one segment of this transaction, for a new entry. */
static int begin_entry(gdb_txn *t, uint32_t kind, const char *name,
		       const char *what, char *err, size_t errlen)
{
	uint8_t hdr[GDB_SEGMENT_HDR] = {0};
	int old;

	if (t->asm_name)
		return -EINVAL;
	GDB_TRY(gdb_store_name_check(name, what, err, errlen));
	old = find_entry(t, kind, name);
	if (old >= 0 && !t->drop[old] && !(t->flags & GDB_TXN_REPLACE)) {
		gdb_seterr(err, errlen,
			   "%s '%s' already exists in %s "
			   "(import --replace replaces it; genomedb drop "
			   "removes it)",
			   what, name, t->path);
		return -EEXIST;
	}
	if (old >= 0 && kind == GDB_KIND_DNA)
		GDB_TRY(refuse_dependent(t, "replace", name, err, errlen));
	if (old >= 0) {
		t->drop[old] = 1;
		t->replaced = old;
	}
	t->kind = kind;
	t->asm_name = strdup(name);
	if (!t->asm_name)
		return -ENOMEM;
	gdb_store_segment_name(t->seg_id, t->segname, sizeof(t->segname));
	t->segfd = GDB_FP("open",
			  openat(t->dirfd, t->segname,
				 O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644),
			  -1);
	if (t->segfd < 0) {
		int rc = -errno;
		gdb_seterr(err, errlen, "%s/%s: %s", t->path, t->segname,
			   strerror(errno));
		return rc;
	}
	/* The header is rewritten at commit, once the index is known. */
	return seg_write(t, hdr, sizeof(hdr));
}

int gdb_txn_drop(gdb_txn *t, uint32_t kind, const char *name, char *err,
		 size_t errlen)
{
	int i = find_entry(t, kind, name);

	if (i < 0 || t->drop[i]) {
		gdb_seterr(err, errlen, "%s: no %s '%s'", t->path,
			   kind == GDB_KIND_DNA ? "assembly" : "object", name);
		return -ENOENT;
	}
	if (kind == GDB_KIND_DNA)
		GDB_TRY(refuse_dependent(t, "drop", name, err, errlen));
	t->drop[i] = 1;
	return 0;
}

int gdb_txn_assembly_reference(gdb_txn *t, const char *ref, char *err,
			       size_t errlen)
{
	int i = find_entry(t, GDB_KIND_DNA, ref);

	if (!t->sw || t->ref_name || t->sw->info_set)
		return -EINVAL;
	/* the entry being replaced is dropped: never its own reference */
	if (i < 0 || t->drop[i]) {
		gdb_seterr(err, errlen,
			   "%s: no assembly '%s' to store '%s' "
			   "relative to",
			   t->path, ref, t->asm_name);
		return -ENOENT;
	}
	if (t->mf.asms[i].reference) {
		gdb_seterr(err, errlen,
			   "%s: assembly '%s' is itself stored relative to "
			   "'%s'; a reference must be stored on its own (one "
			   "level deep)",
			   t->path, ref, t->mf.asms[i].reference);
		return -EINVAL;
	}
	t->ref_name = strdup(ref);
	t->ref_segment = t->mf.asms[i].segment_id;
	return t->ref_name ? 0 : -ENOMEM;
}

int gdb_txn_assembly_begin(gdb_txn *t, const char *name, char *err,
			   size_t errlen)
{
	if (t->asm_name)
		return -EINVAL;
	t->sw = calloc(1, sizeof(*t->sw));
	if (!t->sw)
		return -ENOMEM;
	return begin_entry(t, GDB_KIND_DNA, name, "assembly", err, errlen);
}

int gdb_txn_assembly_seqinfo(gdb_txn *t, const gdb_txn_seqinfo *info,
			     const void *model, size_t len)
{
	struct gdb_seqw *w = t->sw;

	if (!w || w->info_set || w->n || t->kind != GDB_KIND_DNA ||
	    !gdb_codec_supports(info->codec, info->alphabet) ||
	    (info->lossy & ~GDB_LOSSY_ALL) || info->block_bases == 0 ||
	    info->block_bases > GDB_DNA_BLOCK_BASES || len > UINT32_MAX)
		return -EINVAL;
	w->info = *info;
	w->info_set = 1;
	if (!len)
		return 0;
	w->model_off = t->seg_off;
	w->model_len = (uint32_t)len;
	w->model_crc = gdb_crc32c(model, len);
	return seg_write(t, model, len);
}

/* The open contig's record. */
static struct gdb_seqw_contig *cur_contig(gdb_txn *t)
{
	return t->sw && t->in_contig ? &t->sw->c[t->sw->n - 1] : NULL;
}

int gdb_txn_object_begin(gdb_txn *t, uint32_t kind, const char *name, char *err,
			 size_t errlen)
{
	if (kind != GDB_OBJECT_SECTIONS)
		return -EINVAL;
	return begin_entry(t, kind, name, "object", err, errlen);
}

int gdb_txn_section_begin(gdb_txn *t, const char *name)
{
	static const uint8_t zeros[GDB_SECTION_ALIGN];
	size_t nl = strlen(name);
	uint8_t *p;
	int rc;

	if (t->kind != GDB_OBJECT_SECTIONS || t->in_section || nl == 0 ||
	    nl > GDB_NAME_MAX)
		return -EINVAL;
	rc = names_add(t, name);
	if (rc < 0)
		return rc;
	/* Align the section so arrays in it can be used in place. */
	if (t->seg_off % GDB_SECTION_ALIGN)
		GDB_TRY(seg_write(t, zeros,
				  GDB_SECTION_ALIGN -
				      t->seg_off % GDB_SECTION_ALIGN));
	t->sec_at = t->idx.len;
	p = idx_room(t, 2 + nl + 20);
	if (!p)
		return -ENOMEM;
	gdb_put_le16(p, (uint16_t)nl);
	memcpy(p + 2, name, nl);
	t->sec_off = t->seg_off;
	t->sec_crc = 0;
	t->in_section = 1;
	return 0;
}

int gdb_txn_section_write(gdb_txn *t, const void *p, size_t n)
{
	if (!t->in_section)
		return -EINVAL;
	t->sec_crc = gdb_simd()->crc32c(t->sec_crc, p, n);
	return seg_write(t, p, n);
}

int gdb_txn_section_end(gdb_txn *t)
{
	uint8_t *p;
	size_t nl;

	if (!t->in_section)
		return -EINVAL;
	p = idx_at(t, t->sec_at);
	nl = gdb_get_le16(p);
	gdb_put_le64(p + 2 + nl, t->sec_off);
	gdb_put_le64(p + 2 + nl + 8, t->seg_off - t->sec_off);
	gdb_put_le32(p + 2 + nl + 16, t->sec_crc);
	t->in_section = 0;
	t->nsec++;
	return 0;
}

int gdb_txn_contig_begin(gdb_txn *t, const char *name, const char *desc,
			 uint32_t block_bases, char *err, size_t errlen)
{
	struct gdb_seqw *w = t->sw;
	size_t dl = strlen(desc);
	int rc;

	if (t->kind != GDB_KIND_DNA || !w || t->in_contig || block_bases == 0 ||
	    block_bases > GDB_DNA_BLOCK_BASES)
		return -EINVAL;
	if (!w->info_set) {
		/* without gdb_txn_assembly_seqinfo: 2bit DNA, exact */
		w->info = (gdb_txn_seqinfo){.codec = GDB_CODEC_2BIT,
					    .alphabet = GDB_ALPHA_DNA,
					    .block_bases = block_bases};
		w->info_set = 1;
	}
	if (block_bases != w->info.block_bases)
		return -EINVAL;
	GDB_TRY(gdb_store_name_check(name, "contig", err, errlen));
	if (dl > (1u << 24) || memchr(desc, 0, dl)) {
		gdb_seterr(err, errlen, "description of '%s' is too long",
			   name);
		return GDB_EFORMAT;
	}
	rc = names_add(t, name);
	if (rc == -EEXIST)
		gdb_seterr(err, errlen, "duplicate contig name '%s'", name);
	if (rc < 0)
		return rc;
	if (w->n == w->cap) {
		uint32_t cap = w->cap ? w->cap * 2 : 64;
		struct gdb_seqw_contig *c = realloc(w->c, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		w->c = c;
		w->cap = cap;
	}
	memset(&w->c[w->n++], 0, sizeof(w->c[0]));
	gdb_buf_add(&w->names, name, strlen(name) + 1);
	gdb_buf_add(&w->names, desc, dl + 1);
	t->in_contig = 1;
	return w->names.err;
}

int gdb_txn_block_add(gdb_txn *t, const void *payload, size_t len,
		      uint32_t nbases)
{
	struct gdb_seqw *w = t->sw;
	uint8_t *e;

	if (!w || !w->info_set || len == 0 || len > UINT32_MAX || nbases == 0 ||
	    nbases > w->info.block_bases || w->nblocks == UINT32_MAX)
		return -EINVAL;
	if (w->nblocks == w->capb) {
		uint32_t cap = w->capb ? w->capb * 2 : 256;
		uint32_t *n = realloc(w->block_n, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		w->block_n = n;
		w->capb = cap;
	}
	e = gdb_buf_room(&w->blocks, GDB_BLOCK_ENTRY);
	if (!e)
		return -ENOMEM;
	gdb_put_le64(e, t->seg_off);
	gdb_put_le32(e + 8, (uint32_t)len);
	gdb_put_le32(e + 12, gdb_crc32c(payload, len));
	w->block_n[w->nblocks++] = nbases;
	return seg_write(t, payload, len);
}

int gdb_txn_contig_place(gdb_txn *t, uint32_t first_block, uint32_t block_off)
{
	struct gdb_seqw_contig *c = cur_contig(t);

	if (!c || block_off >= t->sw->info.block_bases)
		return -EINVAL;
	c->first_block = first_block;
	c->block_off = block_off;
	c->placed = 1;
	return 0;
}

int gdb_txn_contig_layout(gdb_txn *t, const void *layout, size_t len,
			  uint64_t fasta_bytes)
{
	struct gdb_seqw_contig *c = cur_contig(t);

	if (!c || len > UINT32_MAX || fasta_bytes == 0)
		return -EINVAL;
	c->layout_off = len ? t->seg_off : 0;
	c->layout_len = (uint32_t)len;
	c->layout_crc = len ? gdb_crc32c(layout, len) : 0;
	c->fasta_bytes = len ? fasta_bytes : 0;
	return len ? seg_write(t, layout, len) : 0;
}

int gdb_txn_contig_end(gdb_txn *t, int64_t length, uint32_t line_width,
		       const uint8_t md5[16], const uint8_t sha512t24[24])
{
	struct gdb_seqw_contig *c = cur_contig(t);

	if (!c || length <= 0 || (!md5 != !sha512t24))
		return -EINVAL;
	c->length = (uint64_t)length;
	c->line_width = line_width;
	if (md5) {
		gdb_buf_add(&t->sw->digests, md5, 16);
		gdb_buf_add(&t->sw->digests, sha512t24, 24);
		c->digests = 1;
	}
	t->in_contig = 0;
	t->ncontigs++;
	return t->sw->digests.err;
}

int gdb_txn_provenance(gdb_txn *t, const gdb_provenance *p)
{
	gdb_mf_prov *v = realloc(t->prov, (t->nprov + 1) * sizeof(*v)), *e;

	if (!v)
		return -ENOMEM;
	t->prov = v;
	e = &v[t->nprov];
	memset(e, 0, sizeof(*e));
	/* Counted before the copies, so abort frees what was copied. */
	t->nprov++;
	e->target = strdup(p->target);
	e->source = strdup(p->source);
	e->command = strdup(p->command);
	if (!e->target || !e->source || !e->command)
		return -ENOMEM;
	e->source_bytes = p->source_bytes;
	memcpy(e->sha256, p->sha256, 32);
	e->time = p->time;
	return 0;
}

uint64_t gdb_txn_bytes_written(const gdb_txn *t)
{
	return t->seg_off;
}

/* Steps 1-2 of the commit: the segment, whole and durable. */
static int finish_segment(gdb_txn *t, uint32_t *index_crc)
{
	uint8_t h[GDB_SEGMENT_HDR] = {0};
	uint64_t ioff = t->seg_off;

	if (t->kind == GDB_KIND_DNA)
		GDB_TRY(gdb_seqindex_build(t->sw, &t->idx));
	GDB_TRY(seg_write(t, t->idx.p, t->idx.len));
	GDB_TRY(flush_wbuf(t));
	*index_crc = gdb_crc32c(t->idx.p, t->idx.len);
	memcpy(h, GDB_SEGMENT_MAGIC, 8);
	gdb_put_le32(h + 8, GDB_SEGMENT_VERSION);
	gdb_put_le64(h + 16, t->seg_id);
	gdb_put_le64(h + 24, ioff);
	gdb_put_le64(h + 32, t->idx.len);
	gdb_put_le32(h + 40, *index_crc);
	gdb_put_le32(h + 44, t->kind == GDB_KIND_DNA ? t->ncontigs : t->nsec);
	gdb_put_le32(h + 60, gdb_crc32c(h, 60));
	if (GDB_FP("write", pwrite(t->segfd, h, sizeof(h), 0), -1) !=
	    (ssize_t)sizeof(h))
		return errno ? -errno : -EIO;
	if (GDB_FP("fsync", fsync(t->segfd), -1) < 0)
		return -errno;
	if (close(t->segfd) < 0) {
		t->segfd = -1;
		return -errno;
	}
	t->segfd = -1;
	return 0;
}

/* Compare two open files from offset off on; 1 equal, 0 not, -errno. */
static int same_tail(int a, int b, uint64_t off, uint64_t len)
{
	static const size_t chunk = 1u << 16;
	char *x = malloc(2 * chunk), *y = x + chunk;
	int rc = 1;

	if (!x)
		return -ENOMEM;
	while (rc == 1 && off < len) {
		size_t n = len - off < chunk ? (size_t)(len - off) : chunk;
		if (pread(a, x, n, (off_t)off) != (ssize_t)n ||
		    pread(b, y, n, (off_t)off) != (ssize_t)n)
			rc = -EIO;
		else if (memcmp(x, y, n))
			rc = 0;
		off += n;
	}
	free(x);
	return rc;
}

/*
 * Is the segment just written byte for byte the one it replaces (apart
 * from the segment id in the header and the header's CRC)?
 */
static int identical_replacement(gdb_txn *t)
{
	const gdb_mf_asm *old = &t->mf.asms[t->replaced];
	char name[32];
	uint8_t ha[GDB_SEGMENT_HDR], hb[GDB_SEGMENT_HDR];
	int a, b, rc = 0;

	if (old->segment_bytes != t->seg_off || old->kind != t->kind)
		return 0;
	gdb_store_segment_name(old->segment_id, name, sizeof(name));
	a = GDB_FP("open", openat(t->dirfd, name, O_RDONLY | O_CLOEXEC), -1);
	b = GDB_FP("open", openat(t->dirfd, t->segname, O_RDONLY | O_CLOEXEC),
		   -1);
	if (a >= 0 && b >= 0 && pread(a, ha, sizeof(ha), 0) == sizeof(ha) &&
	    pread(b, hb, sizeof(hb), 0) == sizeof(hb) && !memcmp(ha, hb, 16) &&
	    !memcmp(ha + 24, hb + 24, 36))
		rc = same_tail(a, b, GDB_SEGMENT_HDR, t->seg_off);
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	return rc;
}

static int entry_dropped(const gdb_txn *t, const char *target)
{
	int dropped = 0, kept = 0;

	for (uint32_t i = 0; i < t->mf.nasm; i++) {
		if (strcmp(t->mf.asms[i].name, target))
			continue;
		if (t->drop[i])
			dropped = 1;
		else
			kept = 1;
	}
	return dropped && !kept;
}

/* The next manifest: the entries kept, then ours; provenance likewise
 * (a dropped or replaced entry's provenance goes with it). */
static int build_manifest(gdb_txn *t, uint32_t icrc, gdb_manifest *m)
{
	gdb_mf_asm *asms = calloc(t->mf.nasm + 1, sizeof(*asms));
	gdb_mf_prov *prov = calloc(t->mf.nprov + t->nprov + 1, sizeof(*prov));
	uint32_t na = 0, np = 0;

	if (!asms || !prov) {
		free(asms);
		free(prov);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < t->mf.nasm; i++)
		if (!t->drop[i])
			asms[na++] = t->mf.asms[i];
	for (uint32_t i = 0; i < t->mf.nprov; i++)
		if (!entry_dropped(t, t->mf.prov[i].target))
			prov[np++] = t->mf.prov[i];
	if (t->asm_name)
		asms[na++] = (gdb_mf_asm){
		    .name = t->asm_name,
		    .segment_id = t->seg_id,
		    .segment_bytes = t->seg_off,
		    .index_crc = icrc,
		    .kind = t->kind,
		    .reference = t->ref_name,
		    .ref_segment = t->ref_segment,
		};
	if (t->nprov) /* a drop-only transaction has none */
		memcpy(prov + np, t->prov, t->nprov * sizeof(*prov));
	*m = (gdb_manifest){
	    .generation = t->next_gen,
	    .next_segment_id = t->asm_name ? t->seg_id + 1 : t->seg_id,
	    .nasm = na,
	    .nprov = np + t->nprov,
	    .asms = asms,
	    .prov = prov,
	};
	return 0;
}

/* Is the transaction complete enough to commit? */
static int commit_ready(const gdb_txn *t)
{
	int drops = 0;

	for (uint32_t i = 0; i < t->mf.nasm; i++)
		drops |= t->drop[i];
	if (t->in_contig || t->in_section)
		return 0;
	if (!t->asm_name)
		return drops;
	return t->nprov && (t->kind != GDB_KIND_DNA || t->ncontigs > 0);
}

/* Steps 3-5: manifest, CURRENT, directory; then trim old manifests. */
static int publish(gdb_txn *t, gdb_manifest *m, char *err, size_t errlen)
{
	char mname[64];
	int rc = gdb_manifest_write(t->dirfd, m);

	if (rc < 0)
		return rc;
	rc = gdb_current_write(t->dirfd, m->generation);
	if (rc < 0) {
		/* CURRENT.tmp too: a drop has no segment, so abort would
		 * leave it */
		snprintf(mname, sizeof(mname), "MANIFEST-%06llu",
			 (unsigned long long)m->generation);
		unlinkat(t->dirfd, mname, 0);
		unlinkat(t->dirfd, "CURRENT.tmp", 0);
		return rc;
	}
	/* The rename is durable once the directory is. From here on the new
	 * generation may be live, so nothing is undone. */
	t->segname[0] = 0;
	rc = gdb_fsync_dir(t->dirfd);
	if (rc < 0) {
		gdb_seterr(err, errlen,
			   "%s: fsync: %s (the commit may or may "
			   "not survive a crash)",
			   t->path, gdb_strerror(rc));
		return 1;
	}
	/* Old manifests whose segments the new one names are not needed. */
	(void)gdb_store_cleanup(t->dirfd, m, GDB_GC_TRIM_SAFE, NULL);
	return 0;
}

int gdb_txn_commit(gdb_txn *t, uint64_t *generation, char *err, size_t errlen)
{
	gdb_manifest m = {0};
	uint32_t icrc = 0;
	int rc;

	if (!commit_ready(t)) {
		gdb_txn_abort(t);
		return -EINVAL;
	}
	/* 1-2: segment body, index, header; fsync. */
	rc = t->asm_name ? finish_segment(t, &icrc) : 0;
	if (rc == 0 && t->replaced >= 0 && identical_replacement(t) == 1) {
		if (generation)
			*generation = t->mf.generation;
		gdb_txn_abort(t); /* removes the copy */
		return 1;
	}
	if (rc == 0)
		rc = build_manifest(t, icrc, &m);
	if (rc == 0)
		rc = publish(t, &m, err, errlen);
	free(m.asms);
	free(m.prov);
	if (rc > 0) { /* published, but the fsync failed */
		gdb_txn_abort(t);
		return -EIO;
	}
	if (rc == 0 && generation)
		*generation = m.generation;
	if (rc < 0)
		gdb_seterr(err, errlen, "%s: commit failed: %s", t->path,
			   gdb_strerror(rc));
	gdb_txn_abort(t);
	return rc;
}

void gdb_txn_abort(gdb_txn *t)
{
	if (!t)
		return;
	if (t->segfd >= 0)
		close(t->segfd);
	if (t->segname[0] && t->dirfd >= 0) {
		unlinkat(t->dirfd, t->segname, 0);
		unlinkat(t->dirfd, "CURRENT.tmp", 0);
		(void)gdb_fsync_dir(t->dirfd);
	}
	if (t->lockfd >= 0)
		close(t->lockfd);
	if (t->dirfd >= 0)
		close(t->dirfd);
	for (uint32_t i = 0; i < t->names_cap; i++)
		free(t->names[i]);
	free(t->names);
	for (uint32_t i = 0; i < t->nprov; i++) {
		free(t->prov[i].target);
		free(t->prov[i].source);
		free(t->prov[i].command);
	}
	free(t->prov);
	free(t->drop);
	gdb_manifest_free(&t->mf);
	free(t->asm_name);
	free(t->ref_name);
	gdb_buf_free(&t->idx);
	gdb_seqw_free(t->sw);
	free(t->wbuf);
	free(t->path);
	free(t);
}
