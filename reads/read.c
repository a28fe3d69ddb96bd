/*
 * reads/read.c - the reader over a reads object's mapped sections: meta,
 * index and header checked at open (docs/FORMAT.md, "Reads"), slices
 * decoded on demand with their reference bases read through the block
 * cache, and a small cache of rendered pieces of the whole files (the
 * sample's BAM, a set's FASTQ files) so a reader streaming one file
 * decodes each slice once.
 *
 * Damage stays local: a slice whose CRC or content is bad is an error for
 * the reads that touch it (logged, naming the object and slice), never
 * wrong bytes, and the rest of the object keeps working.
 *
 * Threading: a reader is immutable after open; the piece cache is the
 * process's, guarded by its lock, and bytes are copied out under it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reads/reads_int.h"

static int bad(char *err, size_t errlen, const char *name, const char *what)
{
	gdb_seterr(err, errlen, "reads object %s: %s", name, what);
	return GDB_ECORRUPT;
}

static char *take_str(const uint8_t *p, size_t len, size_t at)
{
	size_t n;
	char *s;

	if (len < at + 2)
		return NULL;
	n = gdb_get_le16(p + at);
	if (len != at + 2 + n || memchr(p + at + 2, 0, n))
		return NULL;
	s = malloc(n + 1);
	if (s) {
		memcpy(s, p + at + 2, n);
		s[n] = 0;
	}
	return s;
}

static int open_meta(gdb_reads *r, char *err, size_t errlen)
{
	const uint8_t *p;
	uint64_t len;
	int rc = gdb_store_section(r->s, (uint32_t)r->obj, RD_SEC_META,
				   (const void **)&p, &len);
	char *str;

	if (rc < 0)
		return rc == -ENOENT ? bad(err, errlen, r->name, "no meta")
				     : rc;
	if (len < RD_META_FIXED + 2 || memcmp(p, RD_MAGIC, 8))
		return bad(err, errlen, r->name, "bad meta");
	if (gdb_get_le32(p + 8) != RD_VERSION) {
		gdb_seterr(err, errlen, "reads object %s: version %u", r->name,
			   gdb_get_le32(p + 8));
		return GDB_EVERSION;
	}
	r->kind = (int)gdb_get_le32(p + 12);
	r->records = gdb_get_le64(p + 16);
	r->nslices = gdb_get_le32(p + 24);
	r->flags = gdb_get_le32(p + 28);
	r->fq_bytes[0] = gdb_get_le64(p + 32);
	r->fq_bytes[1] = gdb_get_le64(p + 40);
	r->first_slice = gdb_get_le32(p + 48);
	r->trailer[0] = gdb_get_le16(p + 56);
	r->trailer[1] = gdb_get_le16(p + 58);
	str = take_str(p, (size_t)len, RD_META_FIXED);
	if (!str ||
	    (r->kind != GDB_READS_ALIGNED && r->kind != GDB_READS_FASTQ) ||
	    (uint64_t)r->first_slice + r->nslices >
		gdb_store_object(r->s, (uint32_t)r->obj)->nsections) {
		free(str);
		return bad(err, errlen, r->name, "bad meta");
	}
	if (r->kind == GDB_READS_ALIGNED) {
		r->asm_name = str;
		r->quals = strdup("lossless");
	} else {
		r->quals = str;
		r->asm_name = strdup("");
	}
	return r->quals && r->asm_name ? 0 : -ENOMEM;
}

static int open_index(gdb_reads *r, char *err, size_t errlen)
{
	const void *p;
	uint64_t len;
	size_t es = r->kind == GDB_READS_ALIGNED ? RD_ALN_ENTRY : RD_FQ_ENTRY;
	int rc =
	    gdb_store_section(r->s, (uint32_t)r->obj, RD_SEC_INDEX, &p, &len);

	if (rc < 0)
		return rc == -ENOENT ? bad(err, errlen, r->name, "no index")
				     : rc;
	if (len != (uint64_t)r->nslices * es)
		return bad(err, errlen, r->name, "index size");
	r->index = p;
	return 0;
}

void rd_slice_ent_get(const gdb_reads *r, uint32_t i, rd_slice_ent *e)
{
	const uint8_t *p = r->index + (size_t)i * RD_ALN_ENTRY;

	e->tid = (int32_t)gdb_get_le32(p);
	e->n = gdb_get_le32(p + 4);
	e->beg = (int64_t)gdb_get_le64(p + 8);
	e->end = (int64_t)gdb_get_le64(p + 16);
	e->first = gdb_get_le64(p + 24);
	e->raw_len = gdb_get_le64(p + 32);
	e->bam_off = gdb_get_le64(p + 40);
}

void rd_slice_ent_put(uint8_t *p, const rd_slice_ent *e)
{
	memset(p, 0, RD_ALN_ENTRY);
	gdb_put_le32(p, (uint32_t)e->tid);
	gdb_put_le32(p + 4, e->n);
	gdb_put_le64(p + 8, (uint64_t)e->beg);
	gdb_put_le64(p + 16, (uint64_t)e->end);
	gdb_put_le64(p + 24, e->first);
	gdb_put_le64(p + 32, e->raw_len);
	gdb_put_le64(p + 40, e->bam_off);
}

/* The header, the targets' contigs and the whole-BAM layout. */
static int open_aligned(gdb_reads *r, char *err, size_t errlen)
{
	const uint8_t *p;
	uint64_t len, off;
	size_t n = 0;
	int ai, rc = gdb_store_section(r->s, (uint32_t)r->obj, RD_SEC_HEADER,
				       (const void **)&p, &len);

	if (rc < 0)
		return rc == -ENOENT ? bad(err, errlen, r->name, "no header")
				     : rc;
	rc = gdb_codecs_col_decode(p, (size_t)len, (size_t)1 << 30,
				   (uint8_t **)&r->hdr_raw, &n);
	if (rc < 0 || !(r->hdr = rd_hts_header_parse(r->hdr_raw, n)))
		return rc == -ENOMEM ? rc
				     : bad(err, errlen, r->name, "bad header");
	r->hdr_raw_len = n;
	rc = gdb_store_section(r->s, (uint32_t)r->obj, RD_SEC_BAI,
			       (const void **)&p, &len);
	if (rc == 0)
		rc = gdb_codecs_col_decode(p, (size_t)len, (size_t)1 << 30,
					   &r->bai, &r->bai_len);
	if (rc < 0)
		return rc == -ENOENT || rc == GDB_ECORRUPT
			   ? bad(err, errlen, r->name, "bad BAI")
			   : rc;
	ai = gdb_store_assembly_find(r->s, r->asm_name);
	r->contig_of = calloc((size_t)r->hdr->n_targets + 1, sizeof(int32_t));
	if (!r->contig_of)
		return -ENOMEM;
	for (int32_t t = 0; t < r->hdr->n_targets; t++) {
		int id = ai < 0 ? -ENOENT
				: gdb_store_contig_find(r->s, (uint32_t)ai,
							r->hdr->target_name[t]);
		/* an @SQ no record uses may lack its contig (import's
		 * GDB_READS_ALLOW_MISSING_SQ); slices on it fail to load */
		r->contig_of[t] = id < 0 ? -1 : id;
	}
	/* the slices' BGZF parts follow the header's back to back */
	r->hdr_bgzf = off = rd_bgzf_len(r->hdr_raw_len);
	for (uint32_t i = 0; i < r->nslices; i++) {
		rd_slice_ent e;
		rd_slice_ent_get(r, i, &e);
		if (e.bam_off != off || e.tid >= r->hdr->n_targets ||
		    e.tid < -1 || e.raw_len > RD_SLICE_RAW * 2ull)
			return bad(err, errlen, r->name, "bad slice index");
		off += rd_bgzf_len(e.raw_len);
	}
	r->bam_size = off + RD_BGZF_EOF_LEN;
	return 0;
}

int gdb_reads_open(const gdb_store *s, gdb_cache *c, const char *name,
		   gdb_reads **out, char *err, size_t errlen)
{
	char obj[GDB_NAME_MAX + 1];
	gdb_reads *r;
	int rc;

	if (snprintf(obj, sizeof(obj), "%s%s", GDB_READS_OBJECT_PREFIX, name) >=
	    (int)sizeof(obj))
		return -ENOENT;
	rc = gdb_store_object_find(s, GDB_OBJECT_SECTIONS, obj);
	if (rc < 0)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->name = strdup(name))) {
		free(r);
		return -ENOMEM;
	}
	r->s = s;
	r->c = c;
	r->obj = rc;
	rc = open_meta(r, err, errlen);
	if (rc == 0)
		rc = open_index(r, err, errlen);
	if (rc == 0 && r->kind == GDB_READS_ALIGNED)
		rc = open_aligned(r, err, errlen);
	if (rc < 0) {
		gdb_reads_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void gdb_reads_close(gdb_reads *r)
{
	if (!r)
		return;
	rd_pieces_forget(r);
	if (r->hdr)
		sam_hdr_destroy(r->hdr);
	free(r->hdr_raw);
	free(r->bai);
	free(r->contig_of);
	free(r->name);
	free(r->asm_name);
	free(r->quals);
	free(r);
}

int gdb_reads_name_check(const char *name, char *err, size_t errlen)
{
	size_t n = strlen(name);

	if (!n || n > 200 || name[0] == '.') {
		gdb_seterr(err, errlen,
			   "'%s': a name is 1-200 bytes and does "
			   "not start with '.'",
			   name);
		return GDB_EFORMAT;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= ' ' || c == 0x7f || strchr("/,%@", c)) {
			gdb_seterr(err, errlen,
				   "'%s': a name holds no blank, "
				   "'/', ',', '%%', '@' or control character",
				   name);
			return GDB_EFORMAT;
		}
	}
	return 0;
}

int gdb_reads_list(const gdb_store *s, int (*emit)(void *arg, const char *name),
		   void *arg)
{
	size_t pl = strlen(GDB_READS_OBJECT_PREFIX);

	for (uint32_t i = 0; i < gdb_store_nobjects(s); i++) {
		const gdb_object *o = gdb_store_object(s, i);
		if (o->kind == GDB_OBJECT_SECTIONS &&
		    !strncmp(o->name, GDB_READS_OBJECT_PREFIX, pl) &&
		    emit(arg, o->name + pl))
			break;
	}
	return 0;
}

void gdb_reads_get_info(const gdb_reads *r, gdb_reads_info *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = r->kind;
	out->name = r->name;
	out->assembly = r->asm_name;
	out->quals = r->quals;
	out->lossless = !(r->flags & RD_F_LOSSY);
	out->paired = (r->flags & RD_F_PAIRED) != 0;
	out->records = r->records;
	out->slices = r->nslices;
	out->ntargets = r->hdr ? (uint32_t)r->hdr->n_targets : 0;
}

const char *gdb_reads_target(const gdb_reads *r, uint32_t i, int64_t *len)
{
	if (!r->hdr || i >= (uint32_t)r->hdr->n_targets)
		return NULL;
	if (len)
		*len = (int64_t)r->hdr->target_len[i];
	return r->hdr->target_name[i];
}

int gdb_reads_target_find(const gdb_reads *r, const char *name)
{
	int t = r->hdr ? sam_hdr_name2tid(r->hdr, name) : -1;
	return t >= 0 ? t : -ENOENT;
}

int rd_slice_bytes(const gdb_reads *r, uint32_t i, const uint8_t **p,
		   size_t *len)
{
	const char *nm;
	char want[32];
	uint64_t l;
	int rc;

	if (i >= r->nslices)
		return -EINVAL;
	rc = gdb_store_section_at(r->s, (uint32_t)r->obj, r->first_slice + i,
				  &nm, (const void **)p, &l);
	snprintf(want, sizeof(want), "s.%u", i);
	if (rc == 0 && strcmp(nm, want))
		rc = GDB_CORRUPT("reads slice section out of place");
	*len = (size_t)l;
	return rc;
}

int rd_ref_load(gdb_cache *c, int32_t contig, int64_t beg, int64_t end,
		rd_ref *ref, char **owned)
{
	const gdb_contig *ct =
	    gdb_store_contig(gdb_cache_store(c), (uint32_t)contig);
	int64_t a = beg, b = end < ct->length ? end : ct->length;
	char *buf = malloc(end > beg ? (size_t)(end - beg) : 1);
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	memset(buf, 'N', (size_t)(end - beg));
	if (a < b)
		rc = gdb_cache_read(c, (uint32_t)contig, a, b, buf);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	ref->bases = buf;
	ref->beg = beg;
	ref->end = end;
	*owned = buf;
	return 0;
}

int rd_slice_load(gdb_reads *r, uint32_t i, bam1_t ***recs, uint32_t *n)
{
	const uint8_t *p;
	size_t len;
	rd_slice_ent e;
	rd_ref ref = {NULL, 0, 0};
	char *owned = NULL;
	int32_t tid;
	uint32_t cnt;
	int rc = rd_slice_bytes(r, i, &p, &len);

	rd_slice_ent_get(r, i, &e);
	if (rc == 0)
		rc = rd_slice_span(p, len, &tid, &cnt, &ref.beg, &ref.end);
	if (rc == 0 &&
	    (tid != e.tid || cnt != e.n || (tid < 0 && ref.end > ref.beg) ||
	     (tid >= 0 && ref.end > ref.beg && r->contig_of[tid] < 0)))
		rc = GDB_ECORRUPT;
	if (rc == 0 && ref.end > ref.beg)
		rc = rd_ref_load(r->c, r->contig_of[tid], ref.beg, ref.end,
				 &ref, &owned);
	if (rc == 0)
		rc = rd_slice_decode(p, len, &ref, recs, n);
	free(owned);
	if (rc < 0 && rc != -ENOMEM)
		gdb_log(
		    GDB_LOG_ERROR,
		    "reads %s: slice %u (%s:%lld-%lld) "
		    "cannot be read: %s",
		    r->name, i, e.tid >= 0 ? r->hdr->target_name[e.tid] : "*",
		    (long long)e.beg + 1, (long long)e.end, gdb_strerror(rc));
	return rc;
}

/*
 * The rendered pieces of whole files, shared by every reader of the
 * process: at most RD_PIECES of them, and no more bytes than a quarter of
 * the block cache's budget (the newest piece is kept whatever its size),
 * so a daemon streaming many files holds a bounded amount.
 */
static struct {
	pthread_mutex_t lock;
	rd_piece p[RD_PIECES];
	uint64_t tick, bytes;
} pieces = {PTHREAD_MUTEX_INITIALIZER, {{0}}, 0, 0};

static void piece_drop(rd_piece *p)
{
	pieces.bytes -= p->len;
	free(p->data);
	memset(p, 0, sizeof(*p));
}

/* Drop r's pieces (it is closing). */
void rd_pieces_forget(const gdb_reads *r)
{
	pthread_mutex_lock(&pieces.lock);
	for (int k = 0; k < RD_PIECES; k++)
		if (pieces.p[k].owner == r)
			piece_drop(&pieces.p[k]);
	pthread_mutex_unlock(&pieces.lock);
}

/* Cache a rendered piece, evicting the oldest to stay within bounds.
 * Under pieces.lock. */
static rd_piece *piece_insert(const gdb_reads *r, int which, uint32_t i,
			      char *data, size_t len, uint64_t cap)
{
	rd_piece *slot = NULL;

	for (;;) {
		rd_piece *old = NULL;
		for (int k = 0; k < RD_PIECES; k++) {
			if (!pieces.p[k].data) {
				slot = slot ? slot : &pieces.p[k];
				continue;
			}
			if (!old || pieces.p[k].tick < old->tick)
				old = &pieces.p[k];
		}
		if (!old || (slot && pieces.bytes + len <= cap))
			break;
		piece_drop(old);
		if (!slot)
			slot = old;
	}
	slot->owner = r;
	slot->which = which;
	slot->slice = i;
	slot->data = data;
	slot->len = len;
	pieces.bytes += len;
	return slot;
}

ssize_t rd_piece_copy(gdb_reads *r, int which, uint32_t i, rd_render_piece fn,
		      uint64_t at, void *dst, size_t n)
{
	rd_piece *p = NULL;
	gdb_cache_stats cs;
	char *data;
	size_t len;
	int rc;

	pthread_mutex_lock(&pieces.lock);
	for (int k = 0; k < RD_PIECES; k++)
		if (pieces.p[k].data && pieces.p[k].owner == r &&
		    pieces.p[k].which == which && pieces.p[k].slice == i)
			p = &pieces.p[k];
	if (!p) {
		pthread_mutex_unlock(&pieces.lock);
		rc = fn(r, which, i, &data, &len);
		if (rc < 0)
			return rc;
		gdb_cache_stats_get(r->c, &cs);
		pthread_mutex_lock(&pieces.lock);
		p = piece_insert(r, which, i, data, len, cs.budget_bytes / 4);
	}
	p->tick = ++pieces.tick;
	if (at >= p->len) {
		n = 0;
	} else {
		if (n > p->len - at)
			n = (size_t)(p->len - at);
		memcpy(dst, p->data + at, n);
	}
	pthread_mutex_unlock(&pieces.lock);
	return (ssize_t)n;
}
