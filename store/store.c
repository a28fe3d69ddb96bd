/*
 * store/store.c - the reader's queries: contigs, regions, checksum-verified
 * blocks, sections and layouts of the generation open.c mapped.
 *
 * NOTES ON THE DESIGN OF THE STORE (the writer, txn.c, keeps these true):
 *  1. A segment file is written completely and fsynced before any manifest
 *     names it; once named it is never modified.
 *  2. A manifest is written under a new name (MANIFEST-<gen>), fsynced, and
 *     only then named by CURRENT, which is replaced by rename() of a fsynced
 *     CURRENT.tmp, followed by an fsync of the directory.
 *  3. Therefore CURRENT always names a whole manifest whose segments are
 *     whole: a crash at any instant leaves the previous generation readable.
 *  4. Files no manifest names (a dead writer's segment, *.tmp) are
 *     garbage; the next writer removes them before it writes. Manifests
 *     newer than CURRENT's are kept unless the user says otherwise, and a
 *     manifest a reader holds (flock(LOCK_SH), taken at open) is never
 *     removed, nor are the segments it names (store/gc.c has the rules).
 *  5. Every byte read back is covered by a CRC32C: the manifest as a whole,
 *     each segment header, each segment index, each block. Readers check the
 *     small structures at open and each block every time it is decoded, so
 *     a damaged block is an error (EIO at the mount), never wrong bases.
 *
 *  6. CURRENT carries a CRC32C of the name it holds: a flipped bit is an
 *     error, not a silent roll-back to an older generation.
 *
 * A reader maps its generation's segments read-only and keeps them until
 * close: later commits do not disturb it (snapshot isolation). Before it
 * reads from a mapping it checks the file's size, so a segment truncated
 * while mapped is an error, not SIGBUS.
 */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codecs/codecs.h"
#include "store/store_int.h"

const char *const gdb_store_reserved_names[] = {
    "graph", "variants", "reads", "annotations", "compute", ".gdb", NULL,
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
	uint32_t h = gdb_name_hash(asm_index, name) & s->hmask;

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

int gdb_seg_check_span(const gdb_store *s, const struct gdb_seg *sg,
		       uint64_t off, uint64_t len)
{
	struct stat st;

	if (sg->fd < 0)
		return 0; /* gdb_store_open_mem: no file behind the bytes */
	if (fstat(sg->fd, &st) < 0) {
		gdb_log(GDB_LOG_ERROR, "%s/%s: fstat: %s", s->path, sg->name,
			strerror(errno));
		return -EIO;
	}
	if ((uint64_t)st.st_size < sg->len &&
	    (off > (uint64_t)st.st_size || len > (uint64_t)st.st_size - off)) {
		gdb_log(GDB_LOG_ERROR,
			"%s/%s: the file is %lld bytes, shorter than the %zu "
			"mapped (truncated while in use): bytes %llu-%llu are "
			"gone",
			s->path, sg->name, (long long)st.st_size, sg->len,
			(unsigned long long)off,
			(unsigned long long)(off + len));
		return GDB_ECORRUPT;
	}
	return 0;
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
	struct gdb_section *sec;
	int st;

	if (obj >= s->nobj || i >= s->objs[obj].nsections)
		return -EINVAL;
	sec = &s->secs[obj][i];
	if (name)
		*name = sec->name;
	GDB_TRY(gdb_seg_check_span(s, &s->segs[s->obj_entry[obj]], sec->off,
				   sec->len));
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

static int cmp_span(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Is every byte of [from, to) of the mapping zero? */
static int zero_span(const struct gdb_seg *sg, uint64_t from, uint64_t to,
		     uint64_t *bad)
{
	for (uint64_t i = from; i < to; i++)
		if (sg->map[i]) {
			*bad = i;
			return 0;
		}
	return 1;
}

int gdb_store_object_padding(const gdb_store *s, uint32_t obj,
			     uint64_t *bad_off)
{
	const struct gdb_seg *sg;
	uint64_t *sp, pos = GDB_SEGMENT_HDR, ioff;
	uint32_t n;
	int rc = 0;

	if (obj >= s->nobj)
		return -EINVAL;
	sg = &s->segs[s->obj_entry[obj]];
	if (!sg->map)
		return -EINVAL;
	n = s->objs[obj].nsections;
	ioff = gdb_get_le64(sg->map + 24);
	GDB_TRY(gdb_seg_check_span(s, sg, 0, ioff));
	sp = malloc(((size_t)n + 1) * 2 * sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		sp[2 * i] = s->secs[obj][i].off;
		sp[2 * i + 1] = s->secs[obj][i].off + s->secs[obj][i].len;
	}
	qsort(sp, n, 2 * sizeof(*sp), cmp_span);
	for (uint32_t i = 0; i <= n && rc == 0; i++) {
		uint64_t next = i < n ? sp[2 * i] : ioff;
		if (next > pos && !zero_span(sg, pos, next, bad_off))
			rc = GDB_ECORRUPT;
		if (i < n && sp[2 * i + 1] > pos)
			pos = sp[2 * i + 1];
	}
	free(sp);
	return rc;
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

int gdb_store_contig_layout(const gdb_store *s, uint32_t contig,
			    const void **data, size_t *len)
{
	const gdb_contig *c;
	const struct gdb_seg *sg;
	const struct gdb_layout_ref *lr;

	if (contig >= s->ncontigs)
		return -EINVAL;
	c = &s->contigs[contig];
	*data = NULL;
	*len = 0;
	if (!c->layout_len)
		return 0;
	sg = &s->segs[s->asm_entry[c->asm_index]];
	lr = &s->layouts[contig];
	GDB_TRY(gdb_seg_check_span(s, sg, lr->off, c->layout_len));
	if (gdb_crc32c(sg->map + lr->off, c->layout_len) != lr->crc) {
		gdb_log(GDB_LOG_ERROR,
			"checksum mismatch in the layout of %s/%s (%s/%s "
			"offset %llu)",
			s->asms[c->asm_index].name, c->name, s->path, sg->name,
			(unsigned long long)lr->off);
		return GDB_ECHECKSUM;
	}
	*data = sg->map + lr->off;
	*len = c->layout_len;
	return 0;
}

uint32_t gdb_store_ndamaged(const gdb_store *s)
{
	return s->ndamaged;
}

const gdb_damage *gdb_store_damaged(const gdb_store *s, uint32_t i)
{
	return i < s->ndamaged ? &s->damaged[i] : NULL;
}

int gdb_store_damaged_find(const gdb_store *s, uint32_t kind, const char *name)
{
	for (uint32_t i = 0; i < s->ndamaged; i++)
		if ((!kind || s->damaged[i].kind == kind) &&
		    !strcmp(s->damaged[i].name, name))
			return (int)i;
	return -ENOENT;
}
