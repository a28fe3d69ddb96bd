/*
 * graph/formats/import.c - the import driver: the table of formats
 * {format, name, detect, parse}, format guessing, the line reader every
 * text parser uses, the builder calls that explain their failures, and
 * the session API of graph/graph.h ("import").
 *
 * Text formats stream (one 1 MB chunk and one line at a time), so memory
 * follows the graph, not the file; XML formats (KGML, SBML: files of a few
 * MB) are read whole (xml.c). Several inputs may form one network (STRING
 * links plus protein.info plus aliases, or several KGML pathways): edge
 * files are read first, then info, then aliases, whatever the order given.
 */
#define _GNU_SOURCE
#include "graph/formats/formats.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Table order is guessing priority among signatures (SBML before KGML:
 * an SBML file may hold "<pathway" in its notes). */
static const gf_format formats[] = {
    {GDB_GRAPH_SRC_SBML, "sbml", "an SBML model", gf_detect_sbml, gf_parse_sbml,
     0},
    {GDB_GRAPH_SRC_KGML, "kgml", "a KEGG pathway", gf_detect_kgml,
     gf_parse_kgml, 0},
    {GDB_GRAPH_SRC_BIOGRID, "biogrid", "BioGRID TAB3", gf_detect_biogrid,
     gf_parse_biogrid, 0},
    {GDB_GRAPH_SRC_STRING, "string", "STRING links", gf_detect_string_links,
     gf_parse_string_links, 0},
    {GDB_GRAPH_SRC_STRING_ACTIONS, "string-actions", "STRING actions",
     gf_detect_string_actions, gf_parse_string_actions, 0},
    {GDB_GRAPH_SRC_STRING_ALIASES, "string-aliases", "STRING aliases",
     gf_detect_string_aliases, gf_parse_string_aliases, 2},
    {GDB_GRAPH_SRC_STRING_INFO, "string-info", "STRING protein.info",
     gf_detect_string_info, gf_parse_string_info, 1},
    {GDB_GRAPH_SRC_SIF, "sif", "'source type target...' lines", gf_detect_sif,
     gf_parse_sif, 0},
    {GDB_GRAPH_SRC_GMT, "gmt", "gene sets 'name<TAB>description<TAB>gene'",
     gf_detect_gmt, gf_parse_gmt, 0},
    {GDB_GRAPH_SRC_TSV, "tsv", "an edge list of 2 or 3 columns", gf_detect_tsv,
     gf_parse_tsv, 0},
};
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

static const gf_format *format_of(int fmt)
{
	for (size_t i = 0; i < NFORMATS; i++)
		if (formats[i].fmt == fmt)
			return &formats[i];
	return NULL;
}

const char *gdb_graph_source_name(int fmt)
{
	const gf_format *f = format_of(fmt);

	return f ? f->name : "?";
}

int gdb_graph_source_find(const char *name)
{
	const gf_format *f = NULL;

	for (size_t i = 0; i < NFORMATS; i++)
		if (!strcmp(formats[i].name, name))
			f = &formats[i];
	if (!f || f->fmt == GDB_GRAPH_SRC_STRING_INFO ||
	    f->fmt == GDB_GRAPH_SRC_STRING_ALIASES ||
	    f->fmt == GDB_GRAPH_SRC_STRING_ACTIONS)
		return -ENOENT;
	return f->fmt;
}

/* ----------------------------------------------------------- errors */

int gf_fail(gf_imp *m, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(m->err, sizeof(m->err), "%s:%llu: ", m->path,
			 (unsigned long long)m->line);

	if (n < 0 || (size_t)n >= sizeof(m->err))
		return -1;
	va_start(ap, fmt);
	vsnprintf(m->err + n, sizeof(m->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

int gf_oom(gf_imp *m)
{
	return gf_fail(m, "out of memory");
}

int gf_bfail(gf_imp *m, int rc, const char *what)
{
	if (rc == -ENOMEM)
		return gf_oom(m);
	if (rc == -E2BIG)
		return gf_fail(m, "too many %ss", what);
	return gf_fail(m,
		       "invalid %s (empty, longer than %u bytes, or "
		       "holding a tab or newline)",
		       what, GDB_GRAPH_STR_MAX);
}

/* ------------------------------------------------------- line reader */

static ssize_t in_read(gf_imp *m, char *buf, size_t cap)
{
	return m->in->read(m->h, buf, cap, m->err, sizeof(m->err));
}

/*
 * Read more into the line buffer. Reads are half the buffer, from 64 KB
 * up to GF_CHUNK, and the buffer doubles only when a line does not fit:
 * a small input costs small allocations (fuzzing runs many), a large one
 * is read in 1 MB pieces once a long line has grown the buffer, else in
 * pieces of half the buffer.
 */
static int lr_fill(gf_imp *m)
{
	size_t want;
	ssize_t n;

	if (m->eof)
		return 0;
	if (m->pos == m->len) {
		m->pos = m->len = 0;
	} else if (m->pos > m->cap / 2) {
		memmove(m->buf, m->buf + m->pos, m->len - m->pos);
		m->len -= m->pos;
		m->pos = 0;
	}
	want = m->cap / 2 < GF_HEAD_BYTES ? GF_HEAD_BYTES
	       : m->cap / 2 > GF_CHUNK	  ? GF_CHUNK
					  : m->cap / 2;
	if (m->cap - m->len < want + 1 && m->pos) {
		memmove(m->buf, m->buf + m->pos, m->len - m->pos);
		m->len -= m->pos;
		m->pos = 0;
	}
	if (m->cap - m->len < want + 1) {
		size_t nc = m->cap ? m->cap * 2 : 2 * GF_HEAD_BYTES;
		char *p;
		while (nc - m->len < want + 1)
			nc *= 2;
		if (nc > GF_LINE_MAX + 2 * GF_CHUNK)
			return gf_fail(m, "line longer than %zu bytes",
				       GF_LINE_MAX);
		p = realloc(m->buf, nc);
		if (!p)
			return gf_oom(m);
		m->buf = p;
		m->cap = nc;
	}
	n = in_read(m, m->buf + m->len, want);
	if (n < 0)
		return -1;
	if (n == 0)
		m->eof = 1;
	m->len += (size_t)n;
	return 0;
}

int gf_next(gf_imp *m, char **line, size_t *len)
{
	for (;;) {
		char *s = m->buf + m->pos;
		char *nl =
		    m->len > m->pos ? memchr(s, '\n', m->len - m->pos) : NULL;
		if (nl || (m->eof && m->len > m->pos)) {
			size_t l = nl ? (size_t)(nl - s) : m->len - m->pos;
			m->pos += l + (nl ? 1 : 0);
			if (l && s[l - 1] == '\r')
				l--;
			s[l] = 0;
			m->line++;
			if (memchr(s, 0, l))
				return gf_fail(m, "NUL byte in line");
			*line = s;
			*len = l;
			return 1;
		}
		if (m->eof)
			return 0;
		if (lr_fill(m) < 0)
			return -1;
	}
}

int gf_header(gf_imp *m, char **line)
{
	size_t len;
	int rc = gf_next(m, line, &len);

	if (rc == 0)
		return gf_fail(m, "empty file");
	return rc < 0 ? -1 : 0;
}

int gf_peek(gf_imp *m, const char **p, size_t *n)
{
	while (!m->eof && m->len - m->pos < GF_HEAD_BYTES)
		if (lr_fill(m) < 0)
			return -1;
	*p = m->buf + m->pos;
	*n = m->len - m->pos;
	return 0;
}

int gf_read_all(gf_imp *m, size_t max, char **text, size_t *len)
{
	size_t cap = GF_HEAD_BYTES, n = 0;
	char *t = malloc(cap + 1), *p;
	ssize_t got;

	if (!t)
		return gf_oom(m);
	for (;;) {
		if (n == cap) {
			if (cap * 2 > max) {
				free(t);
				gdb_seterr(m->err, sizeof(m->err),
					   "%s: larger than %zu bytes", m->path,
					   max);
				return -1;
			}
			p = realloc(t, cap * 2 + 1);
			if (!p) {
				free(t);
				gdb_seterr(m->err, sizeof(m->err),
					   "%s: out of memory", m->path);
				return -1;
			}
			t = p;
			cap *= 2;
		}
		got =
		    in_read(m, t + n, cap - n < GF_CHUNK ? cap - n : GF_CHUNK);
		if (got < 0) {
			free(t);
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	t[n] = 0;
	m->eof = 1;
	*text = t;
	*len = n;
	return 0;
}

int gf_split(char *s, char sep, char **f, int max)
{
	int n = 0;

	if (sep == '\t') {
		for (;;) {
			if (n == max)
				return -1;
			f[n++] = s;
			s = strchr(s, '\t');
			if (!s)
				return n;
			*s++ = 0;
		}
	}
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			return n;
		if (n == max)
			return -1;
		f[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = 0;
	}
}

char *gf_trim(char *s)
{
	char *e;

	while (*s == ' ')
		s++;
	e = s + strlen(s);
	while (e > s && e[-1] == ' ')
		*--e = 0;
	return s;
}

/* ------------------------------------------------------ builder calls */

int gf_node(gf_imp *m, const char *name, unsigned kind, uint32_t *id)
{
	int rc = gdb_graph_node_add(m->b, name, kind, id);

	if (rc < 0)
		return gf_bfail(m, rc, "node name");
	return 0;
}

int gf_type(gf_imp *m, const char *t, uint32_t *id)
{
	int rc = gdb_graph_type_add(m->b, t);

	*id = 0;
	if (rc < 0)
		return gf_bfail(m, rc, "edge type");
	*id = (uint32_t)rc;
	return 0;
}

int gf_edge(gf_imp *m, uint32_t a, uint32_t b, uint32_t type, int directed,
	    double conf, const char *ev, const uint16_t *ch)
{
	int rc = gdb_graph_edge_add(m->b, a, b, type, directed, conf, ev, ch);

	if (rc == -EINVAL)
		return gf_fail(m,
			       "invalid edge (confidence %g outside [0,1], "
			       "or evidence too long)",
			       conf);
	if (rc < 0)
		return gf_bfail(m, rc, "edge");
	return 0;
}

int gf_alias(gf_imp *m, uint32_t id, const char *ns, const char *a)
{
	int rc;

	if (!*a || !strcmp(a, "-"))
		return 0;
	rc = gdb_graph_node_alias_add(m->b, id, ns, a);
	if (rc < 0)
		return gf_bfail(m, rc, "alias");
	return 0;
}

int gf_species(gf_imp *m, uint32_t taxon, const char *how)
{
	if (!taxon || taxon == m->taxon || (m->taxon_given && !m->taxon))
		return 0; /* nothing said, the same, or a species of
			   * the user's own naming wins */
	if (m->taxon) {
		const char *a = gdb_graph_species_name(taxon);
		const char *b = gdb_graph_species_name(m->taxon);
		return gf_fail(m,
			       "the file says species %u%s%s (%s), but %s "
			       "says %u%s%s: a network holds one species",
			       taxon, a ? " " : "", a ? a : "", how,
			       m->taxon_from, m->taxon, b ? " " : "",
			       b ? b : "");
	}
	m->taxon = taxon;
	snprintf(m->taxon_from, sizeof(m->taxon_from), "%s (%s)", m->path, how);
	return 0;
}

/* ------------------------------------------------------------ guessing */

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcasecmp(s + a - b, suf);
}

/* Fill h from the first bytes. @return 0, or -1 for binary input. */
static int head_make(gf_head *h, const char *path, const char *p, size_t n)
{
	size_t i = 0, l = 0;

	memset(h, 0, sizeof(*h));
	h->path = path;
	while (i < n &&
	       (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
		i++;
	if (i + 3 <= n && (uint8_t)p[i] == 0xef && (uint8_t)p[i + 1] == 0xbb &&
	    (uint8_t)p[i + 2] == 0xbf)
		i += 3;
	h->p = p + i;
	h->n = n - i;
	h->xml = h->n && h->p[0] == '<';
	if (h->xml) {
		h->xn =
		    strnlen(h->p, h->n < GF_HEAD_BYTES ? h->n : GF_HEAD_BYTES);
		return 0;
	}
	/* Text formats only: control bytes other than blanks mean binary. */
	for (size_t k = 0; k < h->n && k < GF_HEAD_BYTES; k++) {
		unsigned char c = (unsigned char)h->p[k];
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return -1;
	}
	while (l < h->n && h->p[l] != '\n' && l + 1 < sizeof(h->first))
		l++;
	memcpy(h->first, h->p, l);
	h->first[l] = 0;
	if (l && h->first[l - 1] == '\r')
		h->first[l - 1] = 0;
	return 0;
}

/*
 * The format of an input from its first bytes and its name: a signature
 * (root element, header line) decides; then the extension (.sif, .gmt,
 * after .gz); then the shape of the first lines, when exactly one format
 * fits it well. Otherwise nothing is guessed and why goes to err.
 */
static int guess(const char *path, const char *p, size_t n, int forced,
		 char *err, size_t errlen)
{
	gf_head *h = malloc(sizeof(*h));
	const gf_format *best = NULL;
	char base[1024], cands[512] = "", flags[256] = "";
	int fmt = GDB_GRAPH_SRC_NONE, nbest = 0, ncand = 0, score[NFORMATS];

	if (!h || head_make(h, path, p, n) < 0) {
		gdb_seterr(err, errlen,
			   "%s: cannot tell the format (%s); name "
			   "it with --format",
			   path, h ? "binary data" : "out of memory");
		free(h);
		return GDB_GRAPH_SRC_NONE;
	}
	if (!h->xml)
		gf_shape_make(h);
	for (size_t i = 0; i < NFORMATS; i++) {
		score[i] = formats[i].detect(h);
		if (score[i] == GF_SURE && fmt == GDB_GRAPH_SRC_NONE)
			fmt = formats[i].fmt;
	}
	snprintf(base, sizeof(base), "%s", path);
	if (ends_with(base, ".gz"))
		base[strlen(base) - 3] = 0;
	if (fmt || h->xml || forced == GDB_GRAPH_SRC_STRING)
		goto out;
	if (ends_with(base, ".sif") || ends_with(base, ".gmt")) {
		fmt = ends_with(base, ".sif") ? GDB_GRAPH_SRC_SIF
					      : GDB_GRAPH_SRC_GMT;
		goto out;
	}
	for (size_t i = 0; i < NFORMATS; i++) {
		size_t l = strlen(cands), k = strlen(flags);
		if (score[i] < GF_WEAK)
			continue;
		snprintf(cands + l, sizeof(cands) - l, "%s%s (%s)",
			 ncand ? " or " : "", formats[i].name, formats[i].what);
		snprintf(flags + k, sizeof(flags) - k, "%s--format %s",
			 ncand++ ? " or " : "", formats[i].name);
		if (score[i] == GF_LIKELY && !nbest++)
			best = &formats[i];
	}
	if (nbest == 1) {
		fmt = best->fmt;
	} else if (ncand) {
		gdb_seterr(err, errlen,
			   "%s: cannot tell the format: it could "
			   "be read as %s; choose with %s",
			   path, cands, flags);
	} else {
		gdb_seterr(err, errlen,
			   "%s: cannot tell the format (no SBML or "
			   "KGML root, no STRING or BioGRID header, no .sif or "
			   ".gmt name, not the shape of SIF, GMT or an edge "
			   "list); name it with --format sif, string, biogrid, "
			   "kgml, sbml, gmt or tsv",
			   path);
	}
out:
	free(h);
	return fmt;
}

/* -------------------------------------------------------- TSV columns */

int gf_cols_parse(gf_cols *c, const char *spec)
{
	static const char *const keys[6] = {
	    "source", "target", "type", "confidence", "directed", "evidence"};
	int *slot[6] = {&c->src,  &c->dst, &c->type,
			&c->conf, &c->dir, &c->evid};
	char *s = strdup(spec), *save = NULL;

	if (!s)
		return -1;
	c->given = 1;
	for (char *kv = strtok_r(s, ",", &save); kv;
	     kv = strtok_r(NULL, ",", &save)) {
		char *v = strchr(kv, '=');
		int k;
		if (!v)
			goto bad;
		*v++ = 0;
		for (k = 0; k < 6; k++)
			if (!strcmp(kv, keys[k]) ||
			    (k == 3 && !strcmp(kv, "conf")) ||
			    (k == 0 && !strcmp(kv, "src")) ||
			    (k == 1 && !strcmp(kv, "dst")))
				break;
		if (k == 6 || !*v)
			goto bad;
		if (*v >= '0' && *v <= '9') {
			char *end;
			long x = strtol(v, &end, 10);
			if (*end || x < 1 || x > GF_MAX_FIELDS)
				goto bad;
			*slot[k] = (int)x;
		} else {
			free(c->names[k]);
			c->names[k] = strdup(v);
			if (!c->names[k])
				goto bad;
			c->header = 1;
			*slot[k] = 1; /* resolved from the header */
		}
	}
	free(s);
	return 0;
bad:
	free(s);
	return -1;
}

void gf_cols_free(gf_cols *c)
{
	for (int k = 0; k < 6; k++)
		free(c->names[k]);
}

/* -------------------------------------------------------- memory input */

static int mem_open(void *arg, void **h, char *err, size_t errlen)
{
	gdb_graph_mem_input *m = arg;

	(void)err;
	(void)errlen;
	m->pos = 0;
	*h = m;
	return 0;
}

static ssize_t mem_read(void *h, char *buf, size_t cap, char *err,
			size_t errlen)
{
	gdb_graph_mem_input *m = h;
	size_t k = m->n - m->pos < cap ? m->n - m->pos : cap;

	(void)err;
	(void)errlen;
	memcpy(buf, m->p + m->pos, k);
	m->pos += k;
	return (ssize_t)k;
}

static void mem_close(void *arg, void *h, int complete)
{
	(void)arg;
	(void)h;
	(void)complete;
}

void gdb_graph_input_mem(gdb_graph_input *in, const char *name,
			 gdb_graph_mem_input *m, const void *p, size_t n)
{
	m->p = p;
	m->n = n;
	m->pos = 0;
	in->name = name;
	in->arg = m;
	in->open = mem_open;
	in->read = mem_read;
	in->close = mem_close;
}

/* ------------------------------------------------------------ sessions */

struct gdb_graph_import {
	const gdb_graph_import_opts *o;
	gf_imp m;
	const char *first; /* the first input's name */
	char label[256];   /* --species as normalised, or "" */
};

void gdb_graph_import_opts_init(gdb_graph_import_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->header = -1;
	o->directed = -1;
}

int gdb_graph_import_new(const gdb_graph_import_opts *o, gdb_graph_import **out,
			 char *err, size_t errlen)
{
	gdb_graph_import *im = calloc(1, sizeof(*im));
	gf_cols *c;

	if (!im)
		return -ENOMEM;
	im->o = o;
	c = &im->m.cols;
	c->header = o->header;
	im->m.directed = o->directed;
	im->m.strict = o->strict;
	im->m.deftype = o->type;
	if (o->columns && gf_cols_parse(c, o->columns) < 0) {
		gdb_seterr(err, errlen,
			   "--columns: expected key=N or key=NAME "
			   "pairs (source, target, type, confidence, "
			   "directed, evidence)");
		gdb_graph_import_free(im);
		return GDB_EFORMAT;
	}
	if (o->header >= 0)
		c->header = o->header;
	if (c->given && (!c->src || !c->dst)) {
		gdb_seterr(err, errlen,
			   "--columns: source and target are "
			   "required");
		gdb_graph_import_free(im);
		return GDB_EFORMAT;
	}
	if (!c->src)
		c->src = 1;
	if (!c->dst)
		c->dst = 2;
	if (o->species) {
		uint32_t t;
		if (gdb_graph_species_parse(o->species, &t, im->label,
					    sizeof(im->label)) < 0) {
			gdb_seterr(err, errlen,
				   "--species '%s': expected a "
				   "taxon id (9606), a name (human, Homo "
				   "sapiens) or a KEGG code (hsa)",
				   o->species);
			gdb_graph_import_free(im);
			return GDB_EFORMAT;
		}
		im->m.taxon = t;
		im->m.taxon_given = 1;
		snprintf(im->m.taxon_from, sizeof(im->m.taxon_from),
			 "--species");
	}
	if (gdb_graph_builder_new(&im->m.b) < 0 ||
	    gdb_graph_builder_names(im->m.b, o->case_insensitive) < 0) {
		gdb_graph_import_free(im);
		return -ENOMEM;
	}
	*out = im;
	return 0;
}

void gdb_graph_import_free(gdb_graph_import *im)
{
	if (!im)
		return;
	gdb_graph_builder_free(im->m.b);
	gf_cols_free(&im->m.cols);
	free(im->m.buf);
	free(im);
}

gdb_graph_builder *gdb_graph_import_builder(gdb_graph_import *im)
{
	return im->m.b;
}

/* Open input i for reading from its start. */
static int input_open(gf_imp *m, const gdb_graph_input *in)
{
	m->in = in;
	m->path = in->name;
	m->line = 0;
	m->pos = m->len = 0;
	m->eof = 0;
	m->h = NULL;
	m->note[0] = 0;
	m->skipped = 0;
	return in->open(in->arg, &m->h, m->err, sizeof(m->err)) < 0 ? -1 : 0;
}

static void input_close(gf_imp *m, int complete)
{
	if (m->in && m->h)
		m->in->close(m->in->arg, m->h, complete);
	m->h = NULL;
	m->in = NULL;
}

static int guess_input(gdb_graph_import *im, const gdb_graph_input *in,
		       int *fmt)
{
	gf_imp *m = &im->m;
	int forced = im->o->format;
	const char *p;
	size_t n;

	if (input_open(m, in) < 0 || gf_peek(m, &p, &n) < 0)
		return -1;
	*fmt = guess(in->name, p, n, forced, m->err, sizeof(m->err));
	if (forced != GDB_GRAPH_SRC_NONE && forced != GDB_GRAPH_SRC_STRING)
		*fmt = forced;
	input_close(m, 0);
	if (*fmt != GDB_GRAPH_SRC_NONE)
		return 0;
	if (forced == GDB_GRAPH_SRC_STRING)
		gdb_seterr(m->err, sizeof(m->err),
			   "%s:1: not a STRING file "
			   "(expected a header 'protein1 protein2 ...', "
			   "'#string_protein_id ...' or 'item_id_a ...')",
			   in->name);
	return -1;
}

static int parse_input(gdb_graph_import *im, const gdb_graph_input *in,
		       unsigned index, int fmt)
{
	gf_imp *m = &im->m;
	gdb_graph_file_report r;

	if (input_open(m, in) < 0)
		return -1;
	if (format_of(fmt)->parse(m) < 0)
		return -1;
	input_close(m, 1);
	if (im->o->on_file) {
		r.index = index;
		r.name = in->name;
		r.format = fmt;
		r.guessed =
		    im->o->format == GDB_GRAPH_SRC_NONE || fmt != im->o->format;
		r.detail = m->note;
		r.skipped = m->skipped;
		r.nodes = gdb_graph_builder_nnodes(m->b);
		r.edges = gdb_graph_builder_nedges(m->b);
		r.pathways = gdb_graph_builder_npathways(m->b);
		im->o->on_file(im->o->arg, &r);
	}
	return 0;
}

int gdb_graph_import_inputs(gdb_graph_import *im, const gdb_graph_input *in,
			    unsigned n, char *err, size_t errlen)
{
	int *fmts = calloc(n ? n : 1, sizeof(*fmts)), rc = 0;

	if (!fmts)
		return -ENOMEM;
	if (n && !im->first)
		im->first = in[0].name;
	for (unsigned i = 0; i < n && rc == 0; i++)
		rc = guess_input(im, &in[i], &fmts[i]);
	for (int order = 0; order < 3 && rc == 0; order++)
		for (unsigned i = 0; i < n && rc == 0; i++)
			if (format_of(fmts[i])->order == order)
				rc = parse_input(im, &in[i], i, fmts[i]);
	input_close(&im->m, 0);
	free(fmts);
	if (rc < 0)
		gdb_seterr(err, errlen, "%s", im->m.err);
	return rc;
}

int gdb_graph_import_write(gdb_graph_import *im, gdb_txn *t,
			   const char *network, uint64_t *nedges, char *err,
			   size_t errlen)
{
	if (!gdb_graph_builder_nnodes(im->m.b)) {
		gdb_seterr(err, errlen, "%s: no nodes found",
			   im->first ? im->first : network);
		return GDB_EFORMAT;
	}
	GDB_TRY(gdb_graph_builder_species(
	    im->m.b, im->m.taxon,
	    im->m.taxon_given ? im->label
			      : gdb_graph_species_name(im->m.taxon)));
	GDB_TRY(
	    gdb_txn_object_begin(t, GDB_OBJECT_SECTIONS, network, err, errlen));
	return gdb_graph_builder_write(im->m.b, t, nedges, err, errlen);
}

uint32_t gdb_graph_import_species(const gdb_graph_import *im,
				  const char **label)
{
	*label = im->m.taxon_given ? im->label
		 : im->m.taxon	   ? gdb_graph_species_name(im->m.taxon)
				   : NULL;
	if (!*label)
		*label = "";
	return im->m.taxon;
}
