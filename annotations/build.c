/*
 * annotations/build.c - the builder's first half: lines in, checked
 * against the reference, their IDs and Parents interned and grouped.
 *
 * Groups. A group is what an ID names: the GFF3 lines sharing an ID (a
 * CDS split over several lines is one feature), GTF's gene_id and
 * transcript_id (made even when the file has no gene or transcript line;
 * such a group spans the lines below it), a BED name. Groups are keyed by
 * (ID, contig): the same ID on two contigs makes two groups, and a Parent
 * resolves to the one on the child's contig, else to the first. Parents
 * may come after their children (GFF3 allows it), so they are resolved in
 * annot_index_build, once every line is in.
 *
 * Strings (IDs, names, types, gene keys) are interned in one table, so a
 * set stores each once and IDs compare as integers while building.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annotations/annot_int.h"

#define MAX_VALUE 65536 /* longest attribute value decoded */
#define ALIAS_SET 0x80000000u

static uint32_t hash_bytes(const char *p, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 16777619u;
	return h;
}

static int tab_grow(gdb_annot_builder *b)
{
	uint32_t ns = b->nslots ? b->nslots * 2 : 1024;
	uint32_t *slots = calloc(ns, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < b->ntab; i++) {
		uint32_t j = b->tab[i].hash & (ns - 1);
		while (slots[j])
			j = (j + 1) & (ns - 1);
		slots[j] = i + 1;
	}
	free(b->slots);
	b->slots = slots;
	b->nslots = ns;
	return 0;
}

int annot_grow(void **p, size_t *cap, size_t n, size_t elem, size_t first)
{
	size_t nc;
	void *q;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : first;
	if (nc <= *cap || nc > SIZE_MAX / elem)
		return -ENOMEM;
	q = realloc(*p, nc * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = nc;
	return 0;
}

int64_t annot_intern(gdb_annot_builder *b, const char *p, size_t n)
{
	uint32_t h = hash_bytes(p, n), j;
	annot_str *e;

	if ((uint64_t)(b->ntab + 1) * 2 > b->nslots)
		GDB_TRY(tab_grow(b));
	for (j = h & (b->nslots - 1); b->slots[j];
	     j = (j + 1) & (b->nslots - 1)) {
		e = &b->tab[b->slots[j] - 1];
		if (e->hash == h && e->len == n &&
		    !memcmp(b->strings.p + e->off, p, n))
			return b->slots[j] - 1;
	}
	if (b->ntab == b->captab) {
		uint32_t nc = b->captab ? b->captab * 2 : 1024;
		annot_str *t = realloc(b->tab, nc * sizeof(*t));
		uint32_t *al = realloc(b->alias, nc * sizeof(*al));
		if (t)
			b->tab = t;
		if (al)
			b->alias = al;
		if (!t || !al)
			return -ENOMEM;
		b->captab = nc;
	}
	if (b->strings.len + n + 1 > UINT32_MAX)
		return -E2BIG;
	e = &b->tab[b->ntab];
	e->off = (uint32_t)b->strings.len;
	e->len = (uint32_t)n;
	e->hash = h;
	e->group = ANNOT_NONE;
	e->skipped = 0;
	b->alias[b->ntab] = 0;
	gdb_buf_add(&b->strings, p, n);
	gdb_buf_add(&b->strings, "", 1);
	if (b->strings.err)
		return b->strings.err;
	b->slots[j] = b->ntab + 1;
	return b->ntab++;
}

int gdb_annot_builder_new(int fmt, const gdb_annot_refcontig *ref,
			  uint32_t nref, unsigned flags,
			  gdb_annot_builder **out)
{
	gdb_annot_builder *b;

	if (!gdb_annot_format_name(fmt))
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->fmt = fmt;
	b->flags = flags;
	b->ref = ref;
	b->nref = nref;
	b->refname_str = calloc(nref ? nref : 1, sizeof(uint32_t));
	if (!b->refname_str || annot_intern(b, "", 0) < 0)
		goto nomem;
	for (uint32_t i = 0; i < nref; i++) {
		int64_t k = annot_intern(b, ref[i].name, strlen(ref[i].name));
		if (k < 0)
			goto nomem;
		b->refname_str[i] = (uint32_t)k;
		if (!b->alias[k])
			b->alias[k] = i + 1;
	}
	*out = b;
	return 0;
nomem:
	gdb_annot_builder_free(b);
	return -ENOMEM;
}

void gdb_annot_builder_free(gdb_annot_builder *b)
{
	if (!b)
		return;
	gdb_buf_free(&b->strings);
	gdb_buf_free(&b->text);
	free(b->tab);
	free(b->slots);
	free(b->refname_str);
	free(b->alias);
	free(b->lines);
	free(b->pref);
	free(b->groups);
	free(b->gkey);
	free(b->gval);
	free(b->keys);
	free(b->slot_of_ref);
	free(b->glines);
	free(b->kids);
	free(b->subs);
	free(b->glines_at);
	free(b->kids_at);
	free(b->subs_at);
	free(b->maxend);
	free(b->levels);
	free(b->ref_owned);
	free(b);
}

int gdb_annot_builder_alias(gdb_annot_builder *b, const char *from,
			    const char *to)
{
	int64_t f, t = -1;

	for (uint32_t i = 0; i < b->nref && t < 0; i++)
		if (!strcmp(b->ref[i].name, to))
			t = i;
	if (t < 0)
		return -ENOENT;
	f = annot_intern(b, from, strlen(from));
	if (f < 0)
		return (int)f;
	/* A reference name maps to itself until a rename line says
	 * otherwise; two rename lines for one seqid must agree. The top bit
	 * marks a mapping a rename line made. */
	if ((b->alias[f] & ALIAS_SET) &&
	    (b->alias[f] & ~ALIAS_SET) != (uint32_t)t + 1)
		return -EEXIST;
	b->alias[f] = ((uint32_t)t + 1) | ALIAS_SET;
	b->nalias++;
	return 0;
}

/* ---- groups ---- */

static int gh_grow(gdb_annot_builder *b)
{
	uint64_t nc = b->capgh ? b->capgh * 2 : 1024;
	uint64_t *k = calloc(nc, sizeof(*k));
	uint32_t *v = calloc(nc, sizeof(*v));

	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	for (uint64_t i = 0; i < b->capgh; i++) {
		uint64_t j;
		if (!b->gval[i])
			continue;
		j = (b->gkey[i] * 0x9e3779b97f4a7c15ull) >> 20 & (nc - 1);
		while (v[j])
			j = (j + 1) & (nc - 1);
		k[j] = b->gkey[i];
		v[j] = b->gval[i];
	}
	free(b->gkey);
	free(b->gval);
	b->gkey = k;
	b->gval = v;
	b->capgh = nc;
	return 0;
}

/* The hash slot of (ID, ref); *found set if it holds a group. */
static uint64_t gh_slot(const gdb_annot_builder *b, uint32_t id, uint32_t ref,
			int *found)
{
	uint64_t key = (uint64_t)id << 32 | ref;
	uint64_t j = (key * 0x9e3779b97f4a7c15ull) >> 20 & (b->capgh - 1);

	while (b->gval[j] && b->gkey[j] != key)
		j = (j + 1) & (b->capgh - 1);
	*found = b->gval[j] != 0;
	return j;
}

/*
 * The group of ID (tab index) on reference contig ref, made if new with
 * type (string offset).
 * @return the group index, or -ENOMEM / -E2BIG
 */
static int64_t group_get(gdb_annot_builder *b, uint32_t id, uint32_t ref,
			 uint32_t type, uint64_t lineno, int *created)
{
	annot_bgroup *g;
	uint64_t j;
	int found;

	if ((b->ngh + 1) * 2 > b->capgh)
		GDB_TRY(gh_grow(b));
	j = gh_slot(b, id, ref, &found);
	*created = !found;
	if (found)
		return b->gval[j] - 1;
	if (b->ngroups >= ANNOT_NONE - 1)
		return -E2BIG;
	GDB_TRY(annot_grow((void **)&b->groups, &b->capgroups, b->ngroups,
			   sizeof(*b->groups), 1024));
	g = &b->groups[b->ngroups];
	memset(g, 0, sizeof(*g));
	g->id = b->tab[id].off;
	g->id_str = id;
	g->name = ANNOT_NONE;
	g->type = type;
	g->ref = ref;
	g->gparent = ANNOT_NONE;
	g->beg = g->vbeg = INT64_MAX;
	g->end = g->vend = INT64_MIN;
	g->lineno = lineno;
	g->strand = '.';
	if (b->tab[id].group == ANNOT_NONE)
		b->tab[id].group = b->ngroups;
	b->gkey[j] = (uint64_t)id << 32 | ref;
	b->gval[j] = b->ngroups + 1;
	b->ngh++;
	return b->ngroups++;
}

static int key_add(gdb_annot_builder *b, uint32_t str, uint32_t group)
{
	GDB_TRY(annot_grow((void **)&b->keys, &b->capkeys, b->nkeys,
			   sizeof(*b->keys), 1024));
	b->keys[b->nkeys].str = str;
	b->keys[b->nkeys++].group = group;
	return 0;
}

/* Decode attribute key's first value (whole, commas kept) and intern it.
 * @return the tab index, -ENOENT (absent or empty), -EINVAL (bad %XX),
 *         -ENOMEM */
static int64_t attr_intern(gdb_annot_builder *b, const annot_line *l,
			   const char *key, char *buf)
{
	size_t vl;
	const char *v =
	    annot_attr_get(b->fmt, l->attrs, l->attrs_len, key, &vl);
	int64_t n;

	if (!v || !vl)
		return -ENOENT;
	if (vl >= MAX_VALUE)
		return -EINVAL;
	n = annot_unescape(b->fmt, v, vl, buf);
	if (n < 0)
		return -EINVAL;
	return annot_intern(b, buf, (size_t)n);
}

static int bad_value(const gdb_annot_builder *b, uint64_t lineno,
		     const char *key, char *err, size_t errlen)
{
	gdb_seterr(err, errlen,
		   "%s:%llu: attribute %s: malformed %%XX escape "
		   "or a value of %d bytes or more",
		   b->file, (unsigned long long)lineno, key, MAX_VALUE);
	return GDB_EFORMAT;
}

static int gene_like(const char *type, size_t n)
{
	return n >= 4 && !strncasecmp(type + n - 4, "gene", 4);
}

/* Name and gene keys of a group made by line l (first line of its ID). */
static int group_keys(gdb_annot_builder *b, uint32_t g, const annot_line *l,
		      char *buf)
{
	static const char *const keys[] = {"gene", "gene_name", "gene_id",
					   "locus_tag", NULL};
	const char *namekey = b->fmt == GDB_ANNOT_GTF ? NULL : "Name";
	int64_t k;

	if (namekey) {
		k = attr_intern(b, l, namekey, buf);
		if (k == -ENOMEM || k == -E2BIG)
			return (int)k;
		if (k >= 0)
			b->groups[g].name = b->tab[k].off;
	}
	if (!(b->groups[g].flags & GROUP_GENE))
		return 0;
	GDB_TRY(key_add(b, b->groups[g].id, g));
	if (b->groups[g].name != ANNOT_NONE)
		GDB_TRY(key_add(b, b->groups[g].name, g));
	for (int i = 0; keys[i] && b->fmt != GDB_ANNOT_BED; i++) {
		k = attr_intern(b, l, keys[i], buf);
		if (k == -ENOMEM || k == -E2BIG)
			return (int)k;
		if (k >= 0)
			GDB_TRY(key_add(b, b->tab[k].off, g));
	}
	return 0;
}

static void span_add(int64_t *beg, int64_t *end, const annot_line *l)
{
	if (l->beg < *beg)
		*beg = l->beg;
	if (l->end > *end)
		*end = l->end;
}

/* The line joins group g (its own ID). */
static int own_group(gdb_annot_builder *b, annot_bline *bl, uint32_t g,
		     const annot_line *l, char *buf)
{
	annot_bgroup *gr = &b->groups[g];
	int first;

	first = !gr->has_lines;
	bl->group = g;
	gr->has_lines = 1;
	span_add(&gr->beg, &gr->end, l);
	if (!first)
		return 0;
	gr->type = bl->type;
	gr->strand = l->strand;
	gr->lineno = bl->lineno;
	if (b->fmt == GDB_ANNOT_BED || gene_like(l->type, l->type_len))
		gr->flags |= GROUP_GENE;
	return b->fmt == GDB_ANNOT_GTF ? 0 : group_keys(b, g, l, buf);
}

static int pref_add(gdb_annot_builder *b, annot_bline *bl, uint32_t str)
{
	GDB_TRY(annot_grow((void **)&b->pref, &b->cappref, b->npref,
			   sizeof(*b->pref), 4096));
	if (bl->npar == 0)
		bl->pfirst = (uint32_t)b->npref;
	if (b->npref >= UINT32_MAX)
		return -E2BIG;
	b->pref[b->npref++] = str;
	bl->npar++;
	return 0;
}

/* GFF3: ID makes the line's group, each Parent (comma-separated) a ref. */
static int gff3_links(gdb_annot_builder *b, annot_bline *bl,
		      const annot_line *l, char *buf, char *err, size_t errlen)
{
	int64_t id = attr_intern(b, l, "ID", buf), g;
	const char *v, *end;
	size_t vl;
	int created;

	if (id == -EINVAL)
		return bad_value(b, bl->lineno, "ID", err, errlen);
	if (id == -ENOMEM || id == -E2BIG)
		return (int)id;
	if (id >= 0) {
		g = group_get(b, (uint32_t)id, bl->ref, bl->type, bl->lineno,
			      &created);
		if (g < 0)
			return (int)g;
		GDB_TRY(own_group(b, bl, (uint32_t)g, l, buf));
	}
	v = annot_attr_get(b->fmt, l->attrs, l->attrs_len, "Parent", &vl);
	for (end = v ? v + vl : NULL; v && v < end;) {
		const char *c = memchr(v, ',', (size_t)(end - v));
		size_t n = c ? (size_t)(c - v) : (size_t)(end - v);
		int64_t k;
		if (n >= MAX_VALUE ||
		    (k = annot_unescape(b->fmt, v, n, buf)) < 0)
			return bad_value(b, bl->lineno, "Parent", err, errlen);
		if (k > 0) {
			k = annot_intern(b, buf, (size_t)k);
			if (k < 0)
				return (int)k;
			GDB_TRY(pref_add(b, bl, (uint32_t)k));
		}
		v = c ? c + 1 : end;
	}
	return 0;
}

/* GTF: a virtual group of attribute key, made or found; its span grows. */
static int64_t gtf_group(gdb_annot_builder *b, const annot_line *l,
			 const char *key, const char *type, const char *namekey,
			 uint64_t lineno, char *buf)
{
	int64_t id = attr_intern(b, l, key, buf), t, g, nm;
	annot_bgroup *gr;
	int created;

	if (id < 0)
		return id;
	t = annot_intern(b, type, strlen(type));
	if (t < 0)
		return t;
	g = group_get(b, (uint32_t)id, b->lines[b->nlines].ref, b->tab[t].off,
		      lineno, &created);
	if (g < 0)
		return g;
	gr = &b->groups[g];
	span_add(&gr->vbeg, &gr->vend, l);
	if (gr->strand == '.')
		gr->strand = l->strand;
	if (created && !strcmp(type, "gene")) {
		gr->flags |= GROUP_GENE;
		GDB_TRY(key_add(b, gr->id, (uint32_t)g));
	}
	if (gr->name == ANNOT_NONE) {
		nm = attr_intern(b, l, namekey, buf);
		if (nm == -ENOMEM || nm == -E2BIG)
			return nm;
		if (nm >= 0) {
			gr->name = b->tab[nm].off;
			if (gr->flags & GROUP_GENE)
				GDB_TRY(key_add(b, gr->name, (uint32_t)g));
		}
	}
	return g;
}

/*
 * GTF: gene lines make the gene_id group, transcript lines the
 * transcript_id group (child of the gene); every other line is a child of
 * its transcript_id (else of its gene_id).
 */
static int gtf_links(gdb_annot_builder *b, annot_bline *bl, const annot_line *l,
		     char *buf, char *err, size_t errlen)
{
	int is_gene = l->type_len == 4 && !memcmp(l->type, "gene", 4);
	int is_tx = l->type_len == 10 && !memcmp(l->type, "transcript", 10);
	int64_t gg =
	    gtf_group(b, l, "gene_id", "gene", "gene_name", bl->lineno, buf);
	int64_t tg = -ENOENT;

	if (gg == -EINVAL)
		return bad_value(b, bl->lineno, "gene_id", err, errlen);
	if (gg == -ENOMEM || gg == -E2BIG)
		return (int)gg;
	if (!is_gene) {
		tg = gtf_group(b, l, "transcript_id", "transcript",
			       "transcript_name", bl->lineno, buf);
		if (tg == -EINVAL)
			return bad_value(b, bl->lineno, "transcript_id", err,
					 errlen);
		if (tg == -ENOMEM || tg == -E2BIG)
			return (int)tg;
		if (tg >= 0 && gg >= 0)
			b->groups[tg].gparent = (uint32_t)gg;
	}
	if (is_gene && gg >= 0)
		return own_group(b, bl, (uint32_t)gg, l, buf);
	if (is_tx && tg >= 0) {
		GDB_TRY(own_group(b, bl, (uint32_t)tg, l, buf));
		return gg >= 0 ? pref_add(b, bl, b->groups[gg].id_str) : 0;
	}
	if (tg >= 0)
		return pref_add(b, bl, b->groups[tg].id_str);
	return gg >= 0 ? pref_add(b, bl, b->groups[gg].id_str) : 0;
}

/* BED: the name makes the group (all of a name's lines on a contig). */
static int bed_links(gdb_annot_builder *b, annot_bline *bl, const annot_line *l,
		     char *buf)
{
	int64_t id, t, g;
	int created;

	if (!l->name_len)
		return 0;
	id = annot_intern(b, l->name, l->name_len);
	if (id < 0)
		return (int)id;
	t = annot_intern(b, l->nblocks ? "transcript" : "region",
			 l->nblocks ? 10 : 6);
	if (t < 0)
		return (int)t;
	bl->type = b->tab[t].off;
	g = group_get(b, (uint32_t)id, bl->ref, bl->type, bl->lineno, &created);
	if (g < 0)
		return (int)g;
	return own_group(b, bl, (uint32_t)g, l, buf);
}

/* Which reference contig a seqid names (through aliases), or -1. */
static int64_t seqid_ref(gdb_annot_builder *b, const annot_line *l)
{
	int64_t k = annot_intern(b, l->seqid, l->seqid_len);

	if (k < 0)
		return k;
	return b->alias[k] ? (int64_t)(b->alias[k] & ~ALIAS_SET) - 1 : -ENOENT;
}

static int line_room(gdb_annot_builder *b)
{
	if (b->nlines >= ANNOT_MAX_LINES)
		return -E2BIG;
	return annot_grow((void **)&b->lines, &b->caplines, b->nlines,
			  sizeof(*b->lines), 4096);
}

/* A line whose seqid the reference lacks: skipped, its ID remembered. */
static int skip_line(gdb_annot_builder *b, const annot_line *l, char *buf)
{
	int64_t id;

	b->st.skipped++;
	if (b->fmt != GDB_ANNOT_GFF3)
		return 0;
	id = attr_intern(b, l, "ID", buf);
	if (id >= 0)
		b->tab[id].skipped = 1;
	return id == -ENOMEM || id == -E2BIG ? (int)id : 0;
}

static int place_line(gdb_annot_builder *b, const annot_line *l,
		      uint64_t lineno, char *err, size_t errlen)
{
	int64_t ref = seqid_ref(b, l);

	if (ref == -ENOMEM || ref == -E2BIG)
		return (int)ref;
	if (ref < 0) {
		gdb_seterr(err, errlen,
			   "%s:%llu: seqid '%.*s' is not a contig "
			   "of the reference (map it with --rename, or drop "
			   "such lines with --skip-unknown)",
			   b->file, (unsigned long long)lineno,
			   (int)l->seqid_len, l->seqid);
		return GDB_EFORMAT;
	}
	if (l->end > b->ref[ref].length) {
		gdb_seterr(err, errlen,
			   "%s:%llu: end %lld is past the end of "
			   "%s (length %lld)",
			   b->file, (unsigned long long)lineno,
			   (long long)l->end, b->ref[ref].name,
			   (long long)b->ref[ref].length);
		return GDB_EFORMAT;
	}
	return (int)ref;
}

int gdb_annot_builder_line(gdb_annot_builder *b, const char *line, size_t len,
			   const char *file, uint64_t lineno, char *err,
			   size_t errlen)
{
	static __thread char buf[MAX_VALUE + 1];
	annot_line l;
	annot_bline *bl;
	int64_t ref, t;
	int rc;

	b->file = file;
	rc = annot_parse_line(b->fmt, line, len, &l, err, errlen);
	if (rc == GDB_EFORMAT) {
		char why[512];
		snprintf(why, sizeof(why), "%s", err ? err : "");
		gdb_seterr(err, errlen, "%s:%llu: %s", file,
			   (unsigned long long)lineno, why);
	}
	if (rc != 1)
		return rc == 2 ? 1 : rc;
	if (b->finished)
		return -EINVAL;
	ref = seqid_ref(b, &l);
	if (ref == -ENOENT && (b->flags & GDB_ANNOT_SKIP_UNKNOWN))
		return skip_line(b, &l, buf);
	ref = place_line(b, &l, lineno, err, errlen);
	if (ref < 0)
		return (int)ref;
	GDB_TRY(line_room(b));
	t = annot_intern(b, l.type, l.type_len);
	if (t < 0)
		return (int)t;
	bl = &b->lines[b->nlines];
	memset(bl, 0, sizeof(*bl));
	bl->beg = l.beg;
	bl->end = l.end;
	bl->text_off = b->text.len;
	bl->text_len = (uint32_t)l.text_len;
	bl->lineno = lineno;
	bl->type = b->tab[t].off;
	bl->group = ANNOT_NONE;
	bl->order = (uint32_t)b->nlines;
	bl->ref = (uint32_t)ref;
	bl->strand = l.strand;
	bl->phase = l.phase;
	if (l.text_len > UINT32_MAX)
		return -E2BIG;
	gdb_buf_add(&b->text, l.text, l.text_len);
	if (b->text.err)
		return b->text.err;
	rc = b->fmt == GDB_ANNOT_GFF3  ? gff3_links(b, bl, &l, buf, err, errlen)
	     : b->fmt == GDB_ANNOT_GTF ? gtf_links(b, bl, &l, buf, err, errlen)
				       : bed_links(b, bl, &l, buf);
	if (rc < 0)
		return rc;
	b->nlines++;
	return 0;
}
