/*
 * annotations/read.c - an annotation set in place: its sections are
 * CRC-checked by the store on first access, then every offset, index,
 * count and order the queries rely on is validated here once, so that a
 * damaged or hostile set is refused with GDB_ECORRUPT (naming the set and
 * section) instead of making a query read out of bounds or loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annotations/annot_int.h"

#define CORRUPT(what)                                                          \
	do {                                                                   \
		gdb_seterr(err, errlen, "annotation set %s: %s", a->name,      \
			   (what));                                            \
		return GDB_CORRUPT(what);                                      \
	} while (0)

uint32_t gdb_annot_list(const gdb_store *s,
			int (*emit)(void *arg, const char *name), void *arg)
{
	size_t pl = strlen(GDB_ANNOT_OBJECT_PREFIX);
	uint32_t n = 0;

	for (uint32_t i = 0; i < gdb_store_nobjects(s); i++) {
		const gdb_object *o = gdb_store_object(s, i);
		if (o->kind != GDB_OBJECT_SECTIONS ||
		    strncmp(o->name, GDB_ANNOT_OBJECT_PREFIX, pl))
			continue;
		n++;
		if (emit && emit(arg, o->name + pl))
			break;
	}
	return n;
}

static int section(gdb_annot *a, uint32_t obj, const char *name, uint64_t want,
		   const uint8_t **p, uint64_t *len, char *err, size_t errlen)
{
	const void *d;
	uint64_t l;
	int rc = gdb_store_section(a->s, obj, name, &d, &l);

	if (rc < 0) {
		gdb_seterr(err, errlen, "annotation set %s: section %s: %s",
			   a->name, name, gdb_strerror(rc));
		return rc == -ENOENT ? GDB_CORRUPT("annotation section missing")
				     : rc;
	}
	if (want != UINT64_MAX && l != want) {
		gdb_seterr(err, errlen,
			   "annotation set %s: section %s has %llu "
			   "bytes, expected %llu",
			   a->name, name, (unsigned long long)l,
			   (unsigned long long)want);
		return GDB_CORRUPT("annotation section size");
	}
	*p = d;
	if (len)
		*len = l;
	return 0;
}

static int str_ok(const gdb_annot *a, uint32_t off)
{
	return off < a->strings_len;
}

static int read_meta(gdb_annot *a, uint32_t obj, char *err, size_t errlen)
{
	const uint8_t *m;

	GDB_TRY(section(a, obj, SEC_META, META_BYTES, &m, NULL, err, errlen));
	if (memcmp(m, ANNOT_MAGIC, 8))
		CORRUPT("bad magic");
	if (gdb_get_le32(m + 8) != ANNOT_VERSION) {
		gdb_seterr(err, errlen,
			   "annotation set %s: version %u (this "
			   "build reads %u)",
			   a->name, gdb_get_le32(m + 8), ANNOT_VERSION);
		return GDB_EVERSION;
	}
	a->format = (int)gdb_get_le32(m + 12);
	a->nfeat = gdb_get_le64(m + 16);
	a->ncontigs = gdb_get_le32(m + 24);
	a->ngroups = gdb_get_le32(m + 28);
	a->nparents = gdb_get_le64(m + 32);
	a->nkids = gdb_get_le64(m + 40);
	a->nsubs = gdb_get_le64(m + 48);
	a->nnames = gdb_get_le64(m + 56);
	a->nglines = gdb_get_le64(m + 88);
	if (!gdb_annot_format_name(a->format) || a->nfeat > ANNOT_MAX_LINES ||
	    a->nparents > UINT32_MAX || a->nkids > UINT32_MAX ||
	    a->nsubs > UINT32_MAX || a->nglines > a->nfeat ||
	    a->nnames > (uint64_t)1 << 40 || a->ngroups == ANNOT_NONE)
		CORRUPT("counts out of range");
	GDB_TRY(section(a, obj, SEC_STRINGS, UINT64_MAX,
			(const uint8_t **)&a->strings, &a->strings_len, err,
			errlen));
	if (!a->strings_len || a->strings[0] || a->strings[a->strings_len - 1])
		CORRUPT("strings not NUL-terminated");
	if (!str_ok(a, gdb_get_le32(m + 64)))
		CORRUPT("reference name offset");
	a->reference = a->strings + gdb_get_le32(m + 64);
	return 0;
}

static int map_sections(gdb_annot *a, uint32_t obj, char *err, size_t errlen)
{
	const uint8_t *t;

	GDB_TRY(section(a, obj, SEC_CONTIGS,
			(uint64_t)a->ncontigs * CONTIG_BYTES, &a->contigs, NULL,
			err, errlen));
	GDB_TRY(section(a, obj, SEC_IV, a->nfeat * IV_BYTES, &a->iv, NULL, err,
			errlen));
	GDB_TRY(section(a, obj, SEC_FEAT, a->nfeat * FEAT_BYTES, &a->feat, NULL,
			err, errlen));
	GDB_TRY(section(a, obj, SEC_PARENTS, a->nparents * 4, &a->parents, NULL,
			err, errlen));
	GDB_TRY(section(a, obj, SEC_GROUPS, (uint64_t)a->ngroups * GROUP_BYTES,
			&a->groups, NULL, err, errlen));
	GDB_TRY(section(a, obj, SEC_GLINES, a->nglines * 4, &a->glines, NULL,
			err, errlen));
	GDB_TRY(section(a, obj, SEC_KIDS, a->nkids * 4, &a->kids, NULL, err,
			errlen));
	GDB_TRY(section(a, obj, SEC_SUBS, a->nsubs * 4, &a->subs, NULL, err,
			errlen));
	GDB_TRY(section(a, obj, SEC_NAMES, a->nnames * NAME_BYTES, &a->names,
			NULL, err, errlen));
	GDB_TRY(section(a, obj, SEC_TEXT, UINT64_MAX, &t, &a->text_len, err,
			errlen));
	a->text = (const char *)t;
	return 0;
}

/* Contigs: contiguous feature ranges, each matched to the reference. */
static int check_contigs(gdb_annot *a, char *err, size_t errlen)
{
	uint64_t next = 0;

	a->ref_asm = gdb_store_assembly_find(a->s, a->reference);
	if (a->ref_asm < 0) {
		gdb_seterr(err, errlen,
			   "annotation set %s: its reference "
			   "assembly '%s' is not in the store",
			   a->name, a->reference);
		return GDB_ECORRUPT;
	}
	a->ref_ids = malloc((a->ncontigs ? a->ncontigs : 1) * 4);
	if (!a->ref_ids)
		return -ENOMEM;
	for (uint32_t s = 0; s < a->ncontigs; s++) {
		const uint8_t *c = a->contigs + (size_t)s * CONTIG_BYTES;
		uint64_t first = gdb_get_le64(c + 8), n = gdb_get_le64(c + 16);
		int id;
		if (!str_ok(a, gdb_get_le32(c)) || first != next || n == 0 ||
		    n > a->nfeat - first)
			CORRUPT("contig table");
		next = first + n;
		id = gdb_store_contig_find(a->s, (uint32_t)a->ref_asm,
					   a->strings + gdb_get_le32(c));
		if (id < 0 || gdb_store_contig(a->s, (uint32_t)id)->length !=
				  (int64_t)gdb_get_le64(c + 24)) {
			gdb_seterr(err, errlen,
				   "annotation set %s: contig %s "
				   "is not in %s at the length it had",
				   a->name, a->strings + gdb_get_le32(c),
				   a->reference);
			return GDB_ECORRUPT;
		}
		a->ref_ids[s] = (uint32_t)id;
	}
	if (next != a->nfeat)
		CORRUPT("contig table does not cover the features");
	return 0;
}

static uint32_t tree_level(uint64_t n)
{
	uint32_t k = 0;

	while ((uint64_t)2 << k <= n)
		k++;
	return k;
}

/* Intervals: sorted by start inside the contig, and the tree's maxima
 * exactly what the build computes. */
static int check_intervals(gdb_annot *a, char *err, size_t errlen)
{
	int64_t *end = malloc((a->nfeat ? a->nfeat : 1) * 8);
	int64_t *max = malloc((a->nfeat ? a->nfeat : 1) * 8);
	int bad = !end || !max ? -ENOMEM : 0;

	for (uint32_t s = 0; s < a->ncontigs && !bad; s++) {
		uint64_t first, n;
		int64_t len = gdb_annot_contig_length(a, s);
		annot_slot_range(a, s, &first, &n);
		for (uint64_t i = first; i < first + n && !bad; i++) {
			int64_t b = annot_iv_beg(a, i), e = annot_iv_end(a, i);
			end[i - first] = e;
			bad = b < 0 || e < b || e > len ||
			      (i > first && b < annot_iv_beg(a, i - 1));
		}
		if (bad)
			break;
		if (annot_tree_build(end, n, max) != annot_slot_level(a, s) ||
		    tree_level(n) != annot_slot_level(a, s))
			bad = 1;
		for (uint64_t i = 0; i < n && !bad; i++)
			bad = max[i] != annot_iv_max(a, first + i);
	}
	free(end);
	free(max);
	if (bad == -ENOMEM)
		return -ENOMEM;
	if (bad)
		CORRUPT("interval index");
	return 0;
}

static int check_features(gdb_annot *a, char *err, size_t errlen)
{
	for (uint64_t i = 0; i < a->nfeat; i++) {
		const uint8_t *f = a->feat + i * FEAT_BYTES;
		uint64_t off = gdb_get_le64(f);
		uint32_t g = gdb_get_le32(f + 16);
		uint64_t pf = gdb_get_le32(f + 24), np = gdb_get_le16(f + 28);
		if (off > a->text_len ||
		    gdb_get_le32(f + 8) > a->text_len - off ||
		    !str_ok(a, gdb_get_le32(f + 12)) ||
		    (g != ANNOT_NONE && g >= a->ngroups) ||
		    gdb_get_le32(f + 20) >= a->nfeat || pf + np > a->nparents ||
		    !f[30] || !strchr("+-.?", f[30]) ||
		    (f[31] > 2 && f[31] != 255))
			CORRUPT("feature table");
	}
	for (uint64_t i = 0; i < a->nparents; i++)
		if (gdb_get_le32(a->parents + i * 4) >= a->ngroups)
			CORRUPT("parent table");
	return 0;
}

static int list_ok(uint32_t first, uint32_t n, uint64_t total)
{
	return (uint64_t)first + n <= total;
}

static int check_groups(gdb_annot *a, char *err, size_t errlen)
{
	for (uint32_t g = 0; g < a->ngroups; g++) {
		const uint8_t *p = a->groups + (size_t)g * GROUP_BYTES;
		uint32_t name = gdb_get_le32(p + 4);
		if (!str_ok(a, gdb_get_le32(p)) ||
		    (name != ANNOT_NONE && !str_ok(a, name)) ||
		    !str_ok(a, gdb_get_le32(p + 8)) ||
		    gdb_get_le32(p + 12) >= a->ncontigs ||
		    (int64_t)gdb_get_le64(p + 16) >
			(int64_t)gdb_get_le64(p + 24) ||
		    !list_ok(gdb_get_le32(p + 32), gdb_get_le32(p + 36),
			     a->nglines) ||
		    !list_ok(gdb_get_le32(p + 40), gdb_get_le32(p + 44),
			     a->nkids) ||
		    !list_ok(gdb_get_le32(p + 48), gdb_get_le32(p + 52),
			     a->nsubs) ||
		    !p[56] || !strchr("+-.?", p[56]) ||
		    (g && strcmp(a->strings + gdb_get_le32(p - GROUP_BYTES),
				 a->strings + gdb_get_le32(p)) > 0))
			CORRUPT("group table");
	}
	for (uint64_t i = 0; i < a->nglines; i++)
		if (gdb_get_le32(a->glines + i * 4) >= a->nfeat)
			CORRUPT("group lines");
	for (uint64_t i = 0; i < a->nkids; i++)
		if (gdb_get_le32(a->kids + i * 4) >= a->nfeat)
			CORRUPT("child lines");
	for (uint64_t i = 0; i < a->nsubs; i++)
		if (gdb_get_le32(a->subs + i * 4) >= a->ngroups)
			CORRUPT("child groups");
	for (uint64_t i = 0; i < a->nnames; i++) {
		const uint8_t *p = a->names + i * NAME_BYTES;
		if (!str_ok(a, gdb_get_le32(p)) ||
		    gdb_get_le32(p + 4) >= a->ngroups ||
		    (i && strcasecmp(a->strings + gdb_get_le32(p - NAME_BYTES),
				     a->strings + gdb_get_le32(p)) > 0))
			CORRUPT("name index");
	}
	return 0;
}

int gdb_annot_open(const gdb_store *s, const char *name, gdb_annot **out,
		   char *err, size_t errlen)
{
	char obj_name[GDB_NAME_MAX + 1];
	gdb_annot *a;
	int obj, rc;

	if (strlen(name) > GDB_NAME_MAX - strlen(GDB_ANNOT_OBJECT_PREFIX))
		return -ENOENT;
	snprintf(obj_name, sizeof(obj_name), "%s%s", GDB_ANNOT_OBJECT_PREFIX,
		 name);
	obj = gdb_store_object_find(s, GDB_OBJECT_SECTIONS, obj_name);
	if (obj < 0)
		return -ENOENT;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->s = s;
	snprintf(a->name, sizeof(a->name), "%s", name);
	rc = read_meta(a, (uint32_t)obj, err, errlen);
	if (rc == 0)
		rc = map_sections(a, (uint32_t)obj, err, errlen);
	if (rc == 0)
		rc = check_contigs(a, err, errlen);
	if (rc == 0)
		rc = check_intervals(a, err, errlen);
	if (rc == 0)
		rc = check_features(a, err, errlen);
	if (rc == 0)
		rc = check_groups(a, err, errlen);
	if (rc < 0) {
		gdb_annot_close(a);
		return rc;
	}
	*out = a;
	return 0;
}

void gdb_annot_close(gdb_annot *a)
{
	if (!a)
		return;
	free(a->ref_ids);
	free(a);
}

/* ---- accessors ---- */

void gdb_annot_info_get(const gdb_annot *a, gdb_annot_info *out)
{
	out->name = a->name;
	out->reference = a->reference;
	out->format = a->format;
	out->nfeatures = a->nfeat;
	out->ngroups = a->ngroups;
	out->ncontigs = a->ncontigs;
}

void annot_slot_range(const gdb_annot *a, uint32_t slot, uint64_t *first,
		      uint64_t *n)
{
	const uint8_t *c = a->contigs + (size_t)slot * CONTIG_BYTES;

	*first = gdb_get_le64(c + 8);
	*n = gdb_get_le64(c + 16);
}

uint32_t annot_slot_level(const gdb_annot *a, uint32_t slot)
{
	return gdb_get_le32(a->contigs + (size_t)slot * CONTIG_BYTES + 4);
}

const char *gdb_annot_contig_name(const gdb_annot *a, uint32_t slot)
{
	if (slot >= a->ncontigs)
		return NULL;
	return a->strings +
	       gdb_get_le32(a->contigs + (size_t)slot * CONTIG_BYTES);
}

uint32_t gdb_annot_contig_id(const gdb_annot *a, uint32_t slot)
{
	return a->ref_ids[slot];
}

int64_t gdb_annot_contig_length(const gdb_annot *a, uint32_t slot)
{
	return (int64_t)gdb_get_le64(a->contigs + (size_t)slot * CONTIG_BYTES +
				     24);
}

int gdb_annot_contig_find(const gdb_annot *a, const char *name)
{
	int id = gdb_annot_ref_contig(a, name);

	if (id < 0)
		return id;
	for (uint32_t s = 0; s < a->ncontigs; s++)
		if (a->ref_ids[s] == (uint32_t)id)
			return (int)s;
	return -ENOENT;
}

int gdb_annot_ref_contig(const gdb_annot *a, const char *name)
{
	return gdb_store_contig_find(a->s, (uint32_t)a->ref_asm, name);
}

/* The slot holding feature i (contigs are few: a binary search). */
static uint32_t slot_of(const gdb_annot *a, uint64_t i)
{
	uint32_t lo = 0, hi = a->ncontigs;

	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		uint64_t first, n;
		annot_slot_range(a, mid, &first, &n);
		if (first <= i)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

int gdb_annot_feature_get(const gdb_annot *a, uint64_t i, gdb_annot_feature *f)
{
	const uint8_t *p;
	uint32_t g;

	if (i >= a->nfeat)
		return -EINVAL;
	p = a->feat + i * FEAT_BYTES;
	f->contig = slot_of(a, i);
	f->beg = annot_iv_beg(a, i);
	f->end = annot_iv_end(a, i);
	f->text = a->text + gdb_get_le64(p);
	f->text_len = gdb_get_le32(p + 8);
	f->type = a->strings + gdb_get_le32(p + 12);
	g = gdb_get_le32(p + 16);
	f->group = g == ANNOT_NONE ? -1 : (int64_t)g;
	f->order = gdb_get_le32(p + 20);
	f->parents = (a->parents + 4 * (size_t)gdb_get_le32(p + 24));
	f->nparents = gdb_get_le16(p + 28);
	f->strand = (char)p[30];
	f->phase = p[31] == 255 ? -1 : p[31];
	return 0;
}

int gdb_annot_group_get(const gdb_annot *a, uint32_t g, gdb_annot_group *out)
{
	const uint8_t *p;
	uint32_t name;

	if (g >= a->ngroups)
		return -EINVAL;
	p = a->groups + (size_t)g * GROUP_BYTES;
	name = gdb_get_le32(p + 4);
	out->id = a->strings + gdb_get_le32(p);
	out->name = name == ANNOT_NONE ? "" : a->strings + name;
	out->type = a->strings + gdb_get_le32(p + 8);
	out->contig = gdb_get_le32(p + 12);
	out->beg = (int64_t)gdb_get_le64(p + 16);
	out->end = (int64_t)gdb_get_le64(p + 24);
	out->lines = (a->glines + 4 * (size_t)gdb_get_le32(p + 32));
	out->nlines = gdb_get_le32(p + 36);
	out->kids = (a->kids + 4 * (size_t)gdb_get_le32(p + 40));
	out->nkids = gdb_get_le32(p + 44);
	out->subs = (a->subs + 4 * (size_t)gdb_get_le32(p + 48));
	out->nsubs = gdb_get_le32(p + 52);
	out->strand = (char)p[56];
	out->gene = p[57] & GROUP_GENE;
	return 0;
}

int gdb_annot_group_find(const gdb_annot *a, const char *id)
{
	uint32_t lo = 0, hi = a->ngroups;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const char *s =
		    a->strings +
		    gdb_get_le32(a->groups + (size_t)mid * GROUP_BYTES);
		if (strcmp(s, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < a->ngroups &&
	    !strcmp(a->strings +
			gdb_get_le32(a->groups + (size_t)lo * GROUP_BYTES),
		    id))
		return (int)lo;
	return -ENOENT;
}
