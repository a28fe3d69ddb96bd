/*
 * fs/ns/seq_ns.c - the sequence namespace: what each name under /<asm>/
 * is (docs/PATHS.md "Tree" and "Names"), and the region files of a
 * contig's directory. Pure functions of the store and a name: the daemon
 * keeps the inodes, the tests call these directly.
 *
 * /<asm>/ holds the assembly's three files, then for each contig its
 * region directory, its .fa and its .fa.fai. Every name is listed once and
 * is what lookup says it is:
 *   - a contig's directory is never named like a file: a contig whose name
 *     ends in .fa, .fai or .dict has that dot written %2E in its directory
 *     name (gdb_path_escape_dir), so "x.fa" is always a file;
 *   - a contig named like the assembly has its .fa and .fa.fai shadowed by
 *     the assembly's (which win, and are listed once); it is reached
 *     through its directory, and when it is the only contig the
 *     assembly's files are its own anyway.
 */
#include "fs/ns/ns.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The region file kinds, by extension; ".rc.fa" before ".fa". */
static const struct {
	const char *ext;
	enum gdb_view_kind kind;
	uint32_t width;
	const char *suffix; /* header after "contig:start-end"; NULL: none */
} FORMATS[] = {
    {".rc.fa", GDB_VIEW_RC, GDB_FASTA_WIDTH, "/rc"},
    {".fa", GDB_VIEW_BASES, GDB_FASTA_WIDTH, ""},
    {".seq", GDB_VIEW_BASES, 0, NULL},
    {".u8", GDB_VIEW_U8, 0, NULL},
};
#define NFORMATS (sizeof(FORMATS) / sizeof(FORMATS[0]))

static int ends_with(const char *s, const char *suf, size_t *stem)
{
	size_t a = strlen(s), b = strlen(suf);

	if (a <= b || strcmp(s + a - b, suf))
		return 0;
	*stem = a - b;
	return 1;
}

/* The contig of assembly ai whose file stem (dir: directory name) is
 * comp[0..n). */
static int contig_of(const gdb_store *s, uint32_t ai, const char *comp,
		     size_t n, int dir)
{
	char esc[GDB_SEQ_NAME_MAX], raw[GDB_NAME_MAX + 1];

	if (n >= sizeof(esc))
		return -ENOENT;
	memcpy(esc, comp, n);
	esc[n] = 0;
	if ((dir ? gdb_path_unescape_dir(esc, raw, sizeof(raw))
		 : gdb_path_unescape(esc, raw, sizeof(raw))) < 0)
		return -ENOENT;
	return gdb_store_contig_find(s, ai, raw);
}

int gdb_seq_lookup(const gdb_store *s, uint32_t ai, const char *name,
		   gdb_seq_entry *out)
{
	const gdb_assembly *a = gdb_store_assembly(s, ai);
	size_t al = strlen(a->name), stem;
	int id;

	out->contig = 0;
	if (!strncmp(name, a->name, al)) {
		const char *rest = name + al;
		out->kind = !strcmp(rest, ".fa")       ? GDB_SEQ_ASM_FA
			    : !strcmp(rest, ".fa.fai") ? GDB_SEQ_ASM_FAI
			    : !strcmp(rest, ".dict")   ? GDB_SEQ_ASM_DICT
						       : GDB_SEQ_NONE;
		if (out->kind != GDB_SEQ_NONE)
			return 0;
	}
	if (ends_with(name, ".fa.fai", &stem) ||
	    ends_with(name, ".fa", &stem)) {
		id = contig_of(s, ai, name, stem, 0);
		if (id >= 0) {
			out->kind = name[strlen(name) - 1] == 'i'
					? GDB_SEQ_CONTIG_FAI
					: GDB_SEQ_CONTIG_FA;
			out->contig = (uint32_t)id;
			return 0;
		}
	}
	id = contig_of(s, ai, name, strlen(name), 1);
	if (id < 0)
		return -ENOENT;
	out->kind = GDB_SEQ_CONTIG_DIR;
	out->contig = (uint32_t)id;
	return 0;
}

int gdb_seq_list(const gdb_store *s, uint32_t ai, uint64_t i,
		 gdb_seq_entry *out, char *name, size_t cap)
{
	const gdb_assembly *a = gdb_store_assembly(s, ai);
	static const char *const asm_ext[] = {".fa", ".fa.fai", ".dict"};
	char esc[GDB_SEQ_NAME_MAX];
	uint64_t k;

	if (i < 3) {
		out->kind = (enum gdb_seq_kind)(GDB_SEQ_ASM_FA + i);
		out->contig = 0;
		snprintf(name, cap, "%s%s", a->name, asm_ext[i]);
		return 1;
	}
	k = (i - 3) / 3;
	if (k >= a->ncontigs)
		return -ENOENT;
	out->contig = a->first_contig + (uint32_t)k;
	if ((i - 3) % 3 == 0) {
		out->kind = GDB_SEQ_CONTIG_DIR;
		gdb_path_escape_dir(gdb_store_contig(s, out->contig)->name,
				    esc);
		snprintf(name, cap, "%s", esc);
		return 1;
	}
	gdb_path_escape(gdb_store_contig(s, out->contig)->name, esc);
	if (!strcmp(esc, a->name)) {
		out->kind = GDB_SEQ_NONE; /* the assembly's files win */
		return 0;
	}
	switch ((i - 3) % 3) {
	case 1:
		out->kind = GDB_SEQ_CONTIG_FA;
		snprintf(name, cap, "%s.fa", esc);
		break;
	default:
		out->kind = GDB_SEQ_CONTIG_FAI;
		snprintf(name, cap, "%s.fa.fai", esc);
		break;
	}
	return 1;
}

static int is_protein(const gdb_store *s, const gdb_contig *c)
{
	return gdb_store_assembly(s, c->asm_index)->alphabet ==
	       GDB_ALPHA_PROTEIN;
}

/* A region file's name parsed: its format (FORMATS[f]), bases [beg, end)
 * and header text (the range as written; "" when the format has none). */
struct region {
	size_t f;
	int64_t beg, end;
	char header[GDB_NAME_MAX + 64];
};

static int region_parse(const gdb_store *s, uint32_t contig, const char *name,
			struct region *r)
{
	const gdb_contig *c = gdb_store_contig(s, contig);
	size_t nl = strlen(name);

	for (size_t f = 0; f < NFORMATS; f++) {
		size_t el = strlen(FORMATS[f].ext);
		if (nl <= el || strcmp(name + nl - el, FORMATS[f].ext))
			continue;
		if (gdb_path_range(name, nl - el, c->length, &r->beg, &r->end) <
		    0)
			return -ENOENT;
		/* a protein has no reverse complement */
		if (FORMATS[f].kind == GDB_VIEW_RC && is_protein(s, c))
			return -ENOENT;
		r->f = f;
		r->header[0] = 0;
		/* the header names the range as written (leading zeros too);
		 * .seq and .u8 have none */
		if (FORMATS[f].suffix)
			snprintf(r->header, sizeof(r->header), "%s:%.*s%s",
				 c->name, (int)(nl - el), name,
				 FORMATS[f].suffix);
		return 0;
	}
	return -ENOENT;
}

int gdb_seq_region(const gdb_store *s, uint32_t contig, const char *name,
		   gdb_view **out)
{
	struct region r;

	GDB_TRY(region_parse(s, contig, name, &r));
	return gdb_view_region(FORMATS[r.f].kind, contig, r.beg, r.end,
			       FORMATS[r.f].width,
			       FORMATS[r.f].suffix ? r.header : NULL, out);
}

int gdb_seq_region_size(const gdb_store *s, uint32_t contig, const char *name,
			uint64_t *size)
{
	struct region r;

	GDB_TRY(region_parse(s, contig, name, &r));
	*size = gdb_view_region_size(r.beg, r.end, FORMATS[r.f].width,
				     FORMATS[r.f].suffix ? r.header : NULL);
	return 0;
}

int gdb_seq_region_list(const gdb_store *s, uint32_t contig, uint64_t i,
			char *name, size_t cap)
{
	static const char *const ext[] = {"fa", "seq", "u8", "rc.fa"};

	if (i >= 4 || (i == 3 && is_protein(s, gdb_store_contig(s, contig))))
		return -ENOENT;
	snprintf(name, cap, "1-%lld.%s",
		 (long long)gdb_store_contig(s, contig)->length, ext[i]);
	return 0;
}
