/*
 * graph/formats/formats.h - internals shared by the network file parsers
 * (one file per format) and their driver (import.c). Nothing outside
 * graph/formats/ includes this; the API is the import section of
 * graph/graph.h.
 *
 * A parser reads one input through the importer's line reader (text
 * formats: one line at a time, a 1 MB chunk at a time) or whole (XML
 * formats) and feeds the builder. Every error is "FILE:LINE: reason" in
 * m->err and a -1 return; the driver stops at the first one.
 *
 * Names: gf_ (graph formats) for what these files share.
 */
#ifndef GDB_GRAPH_FORMATS_H
#define GDB_GRAPH_FORMATS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "graph/graph.h"

#define GF_CHUNK (1u << 20)
#define GF_LINE_MAX ((size_t)256 << 20)
#define GF_XML_MAX ((size_t)1 << 30)
#define GF_MAX_FIELDS 4096
#define GF_HEAD_BYTES 65536u /* bytes a guess looks at */

/* Column mapping of the generic TSV format (0: absent; 1-based). */
typedef struct gf_cols {
	int given; /* a --columns spec was given */
	int src, dst, type, conf, dir, evid;
	char *names[6]; /* header names, when given by name */
	int header;	/* -1 auto, 0 no, 1 yes */
} gf_cols;

/* One import: the builder, the options, and the input being read. */
typedef struct gf_imp {
	gdb_graph_builder *b;
	const char *path; /* the input's name, for messages */
	const gdb_graph_input *in;
	void *h; /* the input's open handle */
	uint64_t line;
	char err[2048];
	char note[256];	  /* what the parser decided ("header row,
			   * column 3 as confidence"), for reports */
	uint64_t skipped; /* references to undefined entries skipped */
	/* species: given (--species) or said by a file (KGML org, STRING
	 * ids); both must agree, and every file */
	uint32_t taxon;
	int taxon_given;
	char taxon_from[300]; /* "FILE (org hsa)" or "--species" */
	/* STRING links: the first file's score columns, blank-joined;
	 * every later links file must name the same */
	int links_seen;
	char links_chans[1024];
	/* options */
	int strict;   /* such references are errors */
	int directed; /* -1: the format's rule */
	const char *deftype;
	gf_cols cols;
	/* line reader */
	char *buf;
	size_t cap, len, pos;
	int eof;
} gf_imp;

/* "PATH:LINE: reason" into m->err. @return -1 */
int gf_fail(gf_imp *m, const char *fmt, ...) GDB_PRINTF(2, 3);
int gf_oom(gf_imp *m);
/* A builder call failed with rc: say why in the input's terms. */
int gf_bfail(gf_imp *m, int rc, const char *what);

/* ---- reading (import.c) ---- */

/* The next line, NUL-terminated without '\n' or '\r'; m->line is its
 * 1-based number. @return 1, 0 at the end, -1 on error */
int gf_next(gf_imp *m, char **line, size_t *len);
/* The first line, which must exist ("empty file" otherwise). @return 0 */
int gf_header(gf_imp *m, char **line);
/* The input's first bytes (GF_HEAD_BYTES or more, unless it is shorter),
 * without consuming them. */
int gf_peek(gf_imp *m, const char **p, size_t *n);
/* The rest of the input in one malloc'd NUL-terminated buffer. */
int gf_read_all(gf_imp *m, size_t max, char **text, size_t *len);

/* Split on tabs (sep '\t') or runs of blanks (sep ' '), in place.
 * @return fields, or -1 if more than max */
int gf_split(char *s, char sep, char **f, int max);
/* Blanks (' ') off both ends, in place. */
char *gf_trim(char *s);

/* ---- builder calls that explain their failures ---- */

int gf_node(gf_imp *m, const char *name, unsigned kind, uint32_t *id);
int gf_type(gf_imp *m, const char *t, uint32_t *id);
int gf_edge(gf_imp *m, uint32_t a, uint32_t b, uint32_t type, int directed,
	    double conf, const char *ev, const uint16_t *ch);
/* An alias; "" and "-" are skipped. */
int gf_alias(gf_imp *m, uint32_t id, const char *ns, const char *a);
/* The input says its names are of species taxon (how: "org hsa"); an
 * error if --species or an earlier input said another. */
int gf_species(gf_imp *m, uint32_t taxon, const char *how);

/* ---- XML (xml.c): a non-validating tokenizer into a flat list ---- */

typedef struct gf_xattr {
	char *name;  /* as written, with prefix */
	char *value; /* entities decoded */
} gf_xattr;

typedef struct gf_xel {
	char *name;	 /* local name (prefix stripped) */
	uint32_t parent; /* UINT32_MAX for the root */
	uint32_t attr, nattr;
	uint64_t line;
	uint32_t end; /* index past its last descendant */
} gf_xel;

typedef struct gf_xdoc {
	char *text;
	gf_xel *el;
	uint32_t nel, elcap;
	gf_xattr *at;
	uint32_t nat, atcap;
} gf_xdoc;

/* Read the whole input and tokenize it; d->el[0] is the root. */
int gf_xml_load(gf_imp *m, gf_xdoc *d);
void gf_xdoc_free(gf_xdoc *d);
/* The value of an attribute by local name, NULL if absent. */
const char *gf_xget(const gf_xdoc *d, uint32_t e, const char *local);

/* ---- the formats ---- */

/* The first lines of a text input, split into fields (by tabs where a
 * line has one, else by runs of blanks), for the shape-based guesses. */
#define GF_SHAPE_LINES 50
typedef struct gf_span {
	const char *p;
	size_t n;
} gf_span;

typedef struct gf_shape {
	int nlines;		      /* lines kept: not empty, not '#' */
	int tabs;		      /* some line has a tab */
	int nf[GF_SHAPE_LINES];	      /* fields per line */
	gf_span f[GF_SHAPE_LINES][3]; /* its first three fields */
} gf_shape;

/* What a guess sees of an input: its name and first bytes (after blank
 * lines and a UTF-8 byte order mark), the first line and, for text, the
 * shape of the first lines. */
typedef struct gf_head {
	const char *path;
	const char *p;
	size_t n;	  /* what was peeked: GF_HEAD_BYTES or more */
	int xml;	  /* starts with '<' */
	size_t xn;	  /* XML: bytes a signature is looked for in
			   * (GF_HEAD_BYTES at most, up to a NUL) */
	char first[4096]; /* the first line, without '\r' */
	gf_shape shape;
} gf_head;

/* Fill h->shape from h->p .. h->n (text heads). */
void gf_shape_make(gf_head *h);

/* How well a head fits a format (a detector's answer). */
enum {
	GF_NO = 0,
	GF_WEAK = 1,   /* it could be read so, as could others */
	GF_LIKELY = 2, /* its shape says so */
	GF_SURE = 3,   /* its own signature: root element, header line */
};

typedef struct gf_format {
	int fmt; /* GDB_GRAPH_SRC_* */
	const char *name;
	const char *what; /* for messages: "a 2- or 3-column edge list" */
	/* How well the head fits this format (GF_*). */
	int (*detect)(const gf_head *h);
	int (*parse)(gf_imp *m);
	int order; /* 0 edges, 1 names (STRING info), 2 aliases */
} gf_format;

/*
 * gf_tsv_layout - what a TSV edge list's first lines say: whether the
 * first line is a header, the number of columns of the rows after it, and
 * whether the third column is a confidence (numbers in [0,1]).
 * @param conf_col 1-based column that must hold numbers (0: the third if
 *                 there are 3 columns)
 */
typedef struct gf_tsv_layout {
	int header; /* the first line names the columns */
	int ncols;  /* columns of every row after the header, or
		     * -1 if they differ */
	int conf3;  /* column 3 holds numbers in [0,1] */
	int num3;   /* column 3 holds numbers */
} gf_tsv_layout;
void gf_tsv_layout_of(const gf_shape *s, int conf_col, gf_tsv_layout *t);

int gf_parse_sif(gf_imp *m);
int gf_parse_gmt(gf_imp *m);
int gf_parse_tsv(gf_imp *m);
int gf_parse_string_links(gf_imp *m);
int gf_parse_string_actions(gf_imp *m);
int gf_parse_string_info(gf_imp *m);
int gf_parse_string_aliases(gf_imp *m);
int gf_parse_biogrid(gf_imp *m);
int gf_parse_kgml(gf_imp *m);
int gf_parse_sbml(gf_imp *m);

int gf_detect_sif(const gf_head *h);
int gf_detect_gmt(const gf_head *h);
int gf_detect_tsv(const gf_head *h);
int gf_detect_string_links(const gf_head *h);
int gf_detect_string_actions(const gf_head *h);
int gf_detect_string_info(const gf_head *h);
int gf_detect_string_aliases(const gf_head *h);
int gf_detect_biogrid(const gf_head *h);
int gf_detect_kgml(const gf_head *h);
int gf_detect_sbml(const gf_head *h);

/* TSV column spec ("source=1,target=name,...") into c. @return 0 or -1 */
int gf_cols_parse(gf_cols *c, const char *spec);
void gf_cols_free(gf_cols *c);

#endif
