/*
 * annotations/write.c - a finished builder's sections into a store
 * transaction, byte by byte as docs/FORMAT.md "Annotation sets" gives
 * them. Every field is encoded little-endian through a staging buffer, so
 * no struct is written as it lies in memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "annotations/annot_int.h"

#define STAGE 65536

typedef struct secw {
	gdb_txn *t;
	uint8_t buf[STAGE];
	size_t n;
	int rc;
} secw;

static void flush(secw *w)
{
	if (w->rc == 0 && w->n)
		w->rc = gdb_txn_section_write(w->t, w->buf, w->n);
	w->n = 0;
}

/* Room for n (<= STAGE) bytes in the stage, flushing first if needed. */
static uint8_t *room(secw *w, size_t n)
{
	if (w->n + n > STAGE)
		flush(w);
	w->n += n;
	return w->buf + w->n - n;
}

static void begin(secw *w, const char *name)
{
	if (w->rc == 0)
		w->rc = gdb_txn_section_begin(w->t, name);
}

static void end(secw *w)
{
	flush(w);
	if (w->rc == 0)
		w->rc = gdb_txn_section_end(w->t);
}

static void put_u32s(secw *w, const char *name, const uint32_t *v, uint64_t n)
{
	begin(w, name);
	for (uint64_t i = 0; i < n && w->rc == 0; i++)
		gdb_put_le32(room(w, 4), v[i]);
	end(w);
}

static void put_bytes(secw *w, const char *name, const void *p, size_t n)
{
	begin(w, name);
	if (w->rc == 0 && n)
		w->rc = gdb_txn_section_write(w->t, p, n);
	end(w);
}

static void put_meta(secw *w, const gdb_annot_builder *b, uint32_t refname)
{
	uint8_t *m;

	begin(w, SEC_META);
	m = room(w, META_BYTES);
	memset(m, 0, META_BYTES);
	memcpy(m, ANNOT_MAGIC, 8);
	gdb_put_le32(m + 8, ANNOT_VERSION);
	gdb_put_le32(m + 12, (uint32_t)b->fmt);
	gdb_put_le64(m + 16, b->nlines);
	gdb_put_le32(m + 24, b->nslot);
	gdb_put_le32(m + 28, b->ngroups);
	gdb_put_le64(m + 32, b->npref);
	gdb_put_le64(m + 40, b->kids_at[b->ngroups]);
	gdb_put_le64(m + 48, b->subs_at[b->ngroups]);
	gdb_put_le64(m + 56, b->nkeys);
	gdb_put_le32(m + 64, refname);
	gdb_put_le64(m + 72, b->st.skipped);
	gdb_put_le64(m + 80, b->st.orphans);
	gdb_put_le64(m + 88, b->glines_at[b->ngroups]);
	end(w);
}

static void put_contigs(secw *w, const gdb_annot_builder *b)
{
	uint64_t first = 0;

	begin(w, SEC_CONTIGS);
	for (uint32_t r = 0; r < b->nref && w->rc == 0; r++) {
		uint32_t s = b->slot_of_ref[r];
		uint64_t n = 0;
		uint8_t *c;
		if (s == ANNOT_NONE)
			continue;
		while (first + n < b->nlines && b->lines[first + n].ref == s)
			n++;
		c = room(w, CONTIG_BYTES);
		memset(c, 0, CONTIG_BYTES);
		gdb_put_le32(c, b->tab[b->refname_str[r]].off);
		gdb_put_le32(c + 4, b->levels[s]);
		gdb_put_le64(c + 8, first);
		gdb_put_le64(c + 16, n);
		gdb_put_le64(c + 24, (uint64_t)b->ref[r].length);
		first += n;
	}
	end(w);
}

static void put_lines(secw *w, const gdb_annot_builder *b)
{
	begin(w, SEC_IV);
	for (uint64_t i = 0; i < b->nlines && w->rc == 0; i++) {
		uint8_t *p = room(w, IV_BYTES);
		gdb_put_le64(p, (uint64_t)b->lines[i].beg);
		gdb_put_le64(p + 8, (uint64_t)b->lines[i].end);
		gdb_put_le64(p + 16, (uint64_t)b->maxend[i]);
	}
	end(w);
	begin(w, SEC_FEAT);
	for (uint64_t i = 0; i < b->nlines && w->rc == 0; i++) {
		const annot_bline *l = &b->lines[i];
		uint8_t *p = room(w, FEAT_BYTES);
		gdb_put_le64(p, l->text_off);
		gdb_put_le32(p + 8, l->text_len);
		gdb_put_le32(p + 12, l->type);
		gdb_put_le32(p + 16, l->group);
		gdb_put_le32(p + 20, l->order);
		gdb_put_le32(p + 24, l->pfirst);
		gdb_put_le16(p + 28, (uint16_t)l->npar);
		p[30] = (uint8_t)l->strand;
		p[31] = l->phase;
	}
	end(w);
}

static void put_groups(secw *w, const gdb_annot_builder *b)
{
	begin(w, SEC_GROUPS);
	for (uint32_t g = 0; g < b->ngroups && w->rc == 0; g++) {
		const annot_bgroup *gr = &b->groups[g];
		uint8_t *p = room(w, GROUP_BYTES);
		memset(p, 0, GROUP_BYTES);
		gdb_put_le32(p, gr->id);
		gdb_put_le32(p + 4, gr->name);
		gdb_put_le32(p + 8, gr->type);
		gdb_put_le32(p + 12, gr->ref);
		gdb_put_le64(p + 16, (uint64_t)gr->beg);
		gdb_put_le64(p + 24, (uint64_t)gr->end);
		gdb_put_le32(p + 32, b->glines_at[g]);
		gdb_put_le32(p + 36, b->glines_at[g + 1] - b->glines_at[g]);
		gdb_put_le32(p + 40, b->kids_at[g]);
		gdb_put_le32(p + 44, b->kids_at[g + 1] - b->kids_at[g]);
		gdb_put_le32(p + 48, b->subs_at[g]);
		gdb_put_le32(p + 52, b->subs_at[g + 1] - b->subs_at[g]);
		p[56] = (uint8_t)gr->strand;
		p[57] = gr->flags;
	}
	end(w);
}

static void put_names(secw *w, const gdb_annot_builder *b)
{
	begin(w, SEC_NAMES);
	for (uint64_t i = 0; i < b->nkeys && w->rc == 0; i++) {
		uint8_t *p = room(w, NAME_BYTES);
		gdb_put_le32(p, b->keys[i].str);
		gdb_put_le32(p + 4, b->keys[i].group);
	}
	end(w);
}

int gdb_annot_builder_finish(gdb_annot_builder *b, gdb_annot_build_stats *st,
			     char *err, size_t errlen)
{
	int rc;

	if (b->finished)
		return -EINVAL;
	rc = annot_index_build(b, err, errlen);
	if (rc < 0)
		return rc;
	b->finished = 1;
	b->st.features = b->nlines;
	b->st.groups = b->ngroups;
	b->st.contigs = b->nslot;
	if (st)
		*st = b->st;
	return 0;
}

int gdb_annot_builder_write(gdb_annot_builder *b, gdb_txn *t,
			    const char *refname, char *err, size_t errlen)
{
	secw *w;
	int64_t ref;
	int rc;

	if (!b->finished)
		return -EINVAL;
	ref = annot_intern(b, refname, strlen(refname));
	if (ref < 0)
		return (int)ref;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->t = t;
	put_meta(w, b, b->tab[ref].off);
	put_contigs(w, b);
	put_lines(w, b);
	put_u32s(w, SEC_PARENTS, b->pref, b->npref);
	put_groups(w, b);
	put_u32s(w, SEC_GLINES, b->glines, b->glines_at[b->ngroups]);
	put_u32s(w, SEC_KIDS, b->kids, b->kids_at[b->ngroups]);
	put_u32s(w, SEC_SUBS, b->subs, b->subs_at[b->ngroups]);
	put_names(w, b);
	put_bytes(w, SEC_STRINGS, b->strings.p, b->strings.len);
	put_bytes(w, SEC_TEXT, b->text.p ? b->text.p : "", b->text.len);
	rc = w->rc;
	free(w);
	if (rc < 0)
		gdb_seterr(err, errlen, "writing the annotation set: %s",
			   gdb_strerror(rc));
	return rc;
}
