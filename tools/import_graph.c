/*
 * tools/import_graph.c - `genomedb import graph STORE --network NAME FILE...`:
 * parse interaction and pathway files (SIF, STRING, BioGRID TAB3, KEGG
 * KGML, SBML, GMT, generic TSV) into one network, written as one store
 * object in one transaction (graph/graph.h, docs/GRAPH.md).
 *
 * Text formats stream line by line through tool_src (plain or gzip), so
 * memory follows the graph, not the file: the builder keeps about 19
 * bytes an edge. XML formats (KGML, SBML: files of a few MB) are read
 * whole and parsed by a small non-validating tokenizer into a flat element
 * list; no XML library. Every error names the file and line ("FILE:LINE:
 * reason") and aborts the transaction, so the store stays byte-identical.
 *
 * Several files may form one network: STRING links plus protein.info
 * (preferred names) plus aliases, or several KGML pathways. Edge files
 * are read first, then info, then aliases, whatever the order given.
 */
#define _GNU_SOURCE
#include "tools/tools.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "graph/graph.h"
#include "store/store.h"

int cmd_import_graph(int argc, char **argv);

#define CHUNK (1u << 20)
#define LINE_MAX_BYTES ((size_t)256 << 20)
#define XML_MAX_BYTES ((size_t)1 << 30)
#define MAX_FIELDS 4096

enum fmt {
	F_NONE = 0,
	F_SIF,
	F_STRING,		/* links, detailed, full, physical */
	F_STRING_INFO,
	F_STRING_ALIASES,
	F_STRING_ACTIONS,
	F_BIOGRID,
	F_KGML,
	F_SBML,
	F_GMT,
	F_TSV,
};

static const char *const fmt_names[] = {
	"?",	   "sif",     "string", "string-info", "string-aliases",
	"string-actions", "biogrid", "kgml", "sbml", "gmt", "tsv",
};

/* Column mapping of the generic TSV format (0: absent; 1-based). */
struct cols {
	const char *spec;
	int src, dst, type, conf, dir, evid;
	char *names[6];		/* header names, when given by name */
	int header;		/* -1 auto, 0 no, 1 yes */
};

struct imp {
	gdb_graph_builder *b;
	const char *path;
	tool_src *src;
	uint64_t line;
	char err[2048];
	/* options */
	int directed;		/* --directed / --undirected, -1 default */
	const char *deftype;
	struct cols cols;
	/* line reader */
	char *buf;
	size_t cap, len, pos;
	int eof;
	/* counters */
	uint64_t lines;
};

/* "FILE:LINE: reason" into m->err; evaluates to -1. */
#define fail(m, ...)                                                           \
	tool_fail_at((m)->err, sizeof((m)->err), (m)->path, (m)->line,         \
		     __VA_ARGS__)

static int oom(struct imp *m)
{
	return fail(m, "out of memory");
}

/* A builder call failed: say why, in the input's terms. */
static int bfail(struct imp *m, int rc, const char *what)
{
	if (rc == -ENOMEM)
		return oom(m);
	if (rc == -E2BIG)
		return fail(m, "too many %ss", what);
	return fail(m, "invalid %s (empty, longer than %u bytes, or holding "
		    "a tab or newline)", what, GDB_GRAPH_STR_MAX);
}

/* ---------------------------------------------------------- line reader */

static int lr_fill(struct imp *m)
{
	ssize_t n;

	if (m->eof)
		return 0;
	if (m->pos && m->pos == m->len) {
		m->pos = m->len = 0;
	} else if (m->pos > m->cap / 2) {
		memmove(m->buf, m->buf + m->pos, m->len - m->pos);
		m->len -= m->pos;
		m->pos = 0;
	}
	if (m->cap - m->len < CHUNK + 1) {
		size_t nc = m->cap ? m->cap * 2 : 2 * CHUNK;
		char *p;
		if (m->pos) {
			memmove(m->buf, m->buf + m->pos, m->len - m->pos);
			m->len -= m->pos;
			m->pos = 0;
		}
		if (m->cap - m->len < CHUNK + 1) {
			if (nc > LINE_MAX_BYTES + 2 * CHUNK)
				return fail(m, "line longer than %zu bytes",
					    LINE_MAX_BYTES);
			p = realloc(m->buf, nc);
			if (!p)
				return oom(m);
			m->buf = p;
			m->cap = nc;
		}
	}
	n = tool_src_read(m->src, m->buf + m->len, CHUNK, m->err,
			  sizeof(m->err));
	if (n < 0)
		return -1;
	if (n == 0)
		m->eof = 1;
	m->len += (size_t)n;
	return 0;
}

/* @return 1 and the line (NUL-terminated, no '\n' or '\r'), 0 at the
 * end, -1 on error. m->line is its 1-based number. */
static int lr_next(struct imp *m, char **line, size_t *len)
{
	for (;;) {
		char *s = m->buf + m->pos;
		char *nl = m->len > m->pos ? memchr(s, '\n', m->len - m->pos)
					   : NULL;
		if (nl || (m->eof && m->len > m->pos)) {
			size_t l = nl ? (size_t)(nl - s) : m->len - m->pos;
			m->pos += l + (nl ? 1 : 0);
			if (l && s[l - 1] == '\r')
				l--;
			s[l] = 0;
			if (memchr(s, 0, l))
				return m->line++, fail(m, "NUL byte in line");
			m->line++;
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

/* The first bytes of the input, without consuming them. */
static int lr_peek(struct imp *m, const char **p, size_t *n)
{
	while (!m->eof && m->len - m->pos < 65536)
		if (lr_fill(m) < 0)
			return -1;
	*p = m->buf + m->pos;
	*n = m->len - m->pos;
	return 0;
}

/* Split on tabs (sep '\t') or runs of blanks (sep ' '), in place. */
static int split(char *s, char sep, char **f, int max)
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

static char *trim(char *s)
{
	char *e;

	while (*s == ' ')
		s++;
	e = s + strlen(s);
	while (e > s && e[-1] == ' ')
		*--e = 0;
	return s;
}

static int node(struct imp *m, const char *name, unsigned kind, uint32_t *id)
{
	int rc = gdb_graph_node_add(m->b, name, kind, id);

	if (rc < 0)
		return bfail(m, rc, "node name");
	return 0;
}

static int type_id(struct imp *m, const char *t, uint32_t *id)
{
	int rc = gdb_graph_type_add(m->b, t);

	*id = 0;

	if (rc < 0)
		return bfail(m, rc, "edge type");
	*id = (uint32_t)rc;
	return 0;
}

static int edge(struct imp *m, uint32_t a, uint32_t b, uint32_t type,
		int directed, double conf, const char *ev, const uint16_t *ch)
{
	int rc = gdb_graph_edge_add(m->b, a, b, type, directed, conf, ev, ch);

	if (rc == -EINVAL)
		return fail(m, "invalid edge (confidence %g outside [0,1], or "
			    "evidence too long)", conf);
	if (rc < 0)
		return bfail(m, rc, "edge");
	return 0;
}

static int alias(struct imp *m, uint32_t id, const char *ns, const char *a)
{
	int rc;

	if (!*a || !strcmp(a, "-"))
		return 0;
	rc = gdb_graph_node_alias_add(m->b, id, ns, a);
	if (rc < 0)
		return bfail(m, rc, "alias");
	return 0;
}

/* ----------------------------------------------------------------- SIF */

static int undirected_type(const char *t)
{
	static const char *const u[] = {
		"pp",	    "ppi",	   "interacts",	   "interacts_with",
		"interacts-with", "binding", "association", "physical",
		"genetic",  "coexpression", "co-expression", "in-complex-with",
		"neighbor-of", "gi",	   "interaction", "complex",
	};

	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (!strcasecmp(t, u[i]))
			return 1;
	return 0;
}

static int parse_sif(struct imp *m)
{
	char *line, *f[MAX_FIELDS];
	size_t len;
	int rc;

	while ((rc = lr_next(m, &line, &len)) > 0) {
		int n;
		uint32_t a, b, t;
		if (!len || line[0] == '#')
			continue;
		n = split(line, strchr(line, '\t') ? '\t' : ' ', f, MAX_FIELDS);
		if (n < 0)
			return fail(m, "more than %d fields", MAX_FIELDS);
		while (n > 0 && !*f[n - 1])
			n--;
		if (n == 0)
			continue;
		for (int i = 0; i < n; i++)
			f[i] = trim(f[i]);
		if (n == 1) {
			if (node(m, f[0], GDB_GRAPH_GENE, &a) < 0)
				return -1;
			continue;
		}
		if (n == 2)
			return fail(m, "expected 'source type target...', "
				    "found 2 fields");
		if (!*f[0] || !*f[1])
			return fail(m, "empty source or type");
		if (node(m, f[0], GDB_GRAPH_GENE, &a) < 0 ||
		    type_id(m, f[1], &t) < 0)
			return -1;
		for (int i = 2; i < n; i++) {
			if (!*f[i])
				return fail(m, "empty target (field %d)", i + 1);
			if (node(m, f[i], GDB_GRAPH_GENE, &b) < 0 ||
			    edge(m, a, b, t,
				 m->directed >= 0 ? m->directed
						  : !undirected_type(f[1]),
				 1.0, NULL, NULL) < 0)
				return -1;
		}
	}
	return rc;
}

/* ----------------------------------------------------------------- GMT */

static int parse_gmt(struct imp *m)
{
	char *line, *f[MAX_FIELDS];
	size_t len;
	int rc;
	uint32_t sets = 0;

	while ((rc = lr_next(m, &line, &len)) > 0) {
		int n;
		uint32_t pid, id;
		if (!len || line[0] == '#')
			continue;
		n = split(line, '\t', f, MAX_FIELDS);
		if (n < 0) {
			/* Very large sets: split the rest by hand. */
			return fail(m, "gene set with more than %d genes",
				    MAX_FIELDS - 2);
		}
		if (n < 2 || !*trim(f[0]))
			return fail(m, "expected 'name<TAB>description<TAB>"
				    "gene...' (GMT)");
		rc = gdb_graph_pathway_add(m->b, trim(f[0]), f[1], &pid);
		if (rc < 0)
			return bfail(m, rc, "gene set name");
		for (int i = 2; i < n; i++) {
			char *gname = trim(f[i]);
			if (!*gname)
				continue;
			if (node(m, gname, GDB_GRAPH_GENE, &id) < 0)
				return -1;
			rc = gdb_graph_pathway_member_add(m->b, pid, id);
			if (rc < 0)
				return bfail(m, rc, "member");
		}
		sets++;
	}
	if (rc == 0 && !sets)
		return fail(m, "no gene sets found");
	return rc;
}

/* -------------------------------------------------------------- STRING */

static int parse_score(struct imp *m, const char *s, const char *col,
		       uint32_t *v)
{
	char *end;
	unsigned long x;

	if (*s < '0' || *s > '9')
		return fail(m, "%s: expected an integer score, found '%s'",
			    col, s);
	x = strtoul(s, &end, 10);
	if (*end || x > 1000)
		return fail(m, "%s: score '%s' is not an integer in 0..1000",
			    col, s);
	*v = (uint32_t)x;
	return 0;
}

static int parse_string_links(struct imp *m, char *header)
{
	char *h[64], *f[64], *line;
	const char *chn[GDB_GRAPH_MAX_CHANNELS];
	int nh, comb = -1, chmap[64], nch = 0, rc;
	uint32_t t;
	size_t len;

	nh = split(header, ' ', h, 64);
	if (nh < 3 || strcmp(h[0], "protein1") || strcmp(h[1], "protein2"))
		return fail(m, "expected a STRING header 'protein1 protein2 "
			    "... combined_score'");
	for (int i = 2; i < nh; i++) {
		chmap[i] = -1;
		if (!strcmp(h[i], "combined_score")) {
			comb = i;
		} else {
			if (nch == (int)GDB_GRAPH_MAX_CHANNELS)
				return fail(m, "more than %u score columns",
					    GDB_GRAPH_MAX_CHANNELS);
			chmap[i] = nch;
			chn[nch++] = h[i];
		}
	}
	if (comb < 0)
		return fail(m, "no combined_score column");
	rc = gdb_graph_channels_set(m->b, (unsigned)nch, chn);
	if (rc == -EINVAL && nch)
		return fail(m, "score channels differ from an earlier file");
	if (rc < 0 && rc != -EINVAL)
		return oom(m);
	if (type_id(m, "association", &t) < 0)
		return -1;
	while ((rc = lr_next(m, &line, &len)) > 0) {
		uint16_t ch[GDB_GRAPH_MAX_CHANNELS];
		uint32_t a, b, v, cs = 0;
		int n;
		if (!len)
			continue;
		n = split(line, ' ', f, 64);
		if (n != nh)
			return fail(m, "expected %d columns, found %d", nh,
				    n < 0 ? 64 : n);
		for (int i = 2; i < n; i++) {
			if (parse_score(m, f[i], h[i], &v) < 0)
				return -1;
			if (i == comb)
				cs = v;
			else
				ch[chmap[i]] = (uint16_t)v;
		}
		if (node(m, f[0], GDB_GRAPH_PROTEIN, &a) < 0 ||
		    node(m, f[1], GDB_GRAPH_PROTEIN, &b) < 0 ||
		    edge(m, a, b, t, 0, cs / 1000.0, NULL, nch ? ch : NULL) < 0)
			return -1;
	}
	return rc;
}

static int parse_string_actions(struct imp *m, char *header)
{
	char *h[16], *f[16], *line;
	size_t len;
	int nh, rc;

	nh = split(header, '\t', h, 16);
	if (nh < 7 || strcmp(h[0], "item_id_a") || strcmp(h[2], "mode") ||
	    strcmp(h[4], "is_directional") || strcmp(h[6], "score"))
		return fail(m, "expected STRING actions columns item_id_a "
			    "item_id_b mode action is_directional a_is_acting "
			    "score");
	while ((rc = lr_next(m, &line, &len)) > 0) {
		uint32_t a, b, t, v;
		int n, dir, acting;
		if (!len)
			continue;
		n = split(line, '\t', f, 16);
		if (n != nh)
			return fail(m, "expected %d columns, found %d", nh,
				    n < 0 ? 16 : n);
		if (parse_score(m, f[6], "score", &v) < 0)
			return -1;
		dir = !strcmp(f[4], "t");
		acting = !strcmp(f[5], "t");
		if (dir && !acting)
			continue;	/* the line with b acting says it */
		if (node(m, f[0], GDB_GRAPH_PROTEIN, &a) < 0 ||
		    node(m, f[1], GDB_GRAPH_PROTEIN, &b) < 0 ||
		    type_id(m, *f[3] ? f[3] : f[2], &t) < 0 ||
		    edge(m, a, b, t, dir, v / 1000.0, f[2], NULL) < 0)
			return -1;
	}
	return rc;
}

static int parse_string_info(struct imp *m)
{
	char *line, *f[8];
	size_t len;
	int rc;

	while ((rc = lr_next(m, &line, &len)) > 0) {
		int n, id;
		char *dot;
		if (!len || line[0] == '#')
			continue;
		n = split(line, '\t', f, 8);
		if (n < 2)
			return fail(m, "expected 'protein<TAB>preferred_name"
				    "...' (STRING protein.info)");
		id = gdb_graph_node_find(m->b, f[0]);
		if (id < 0)
			continue;	/* not in the links */
		if (*f[1] && strcmp(f[1], f[0])) {
			rc = gdb_graph_node_rename(m->b, (uint32_t)id, "string",
						   f[1]);
			if (rc == -EEXIST)
				rc = gdb_graph_node_alias_add(
					m->b, (uint32_t)id, "preferred_name",
					f[1]);
			if (rc < 0)
				return bfail(m, rc, "preferred name");
		}
		dot = strchr(f[0], '.');
		if (dot && dot[1] && alias(m, (uint32_t)id, "ensembl", dot + 1) < 0)
			return -1;
	}
	return rc;
}

static int parse_string_aliases(struct imp *m)
{
	char *line, *f[8];
	size_t len;
	int rc;

	while ((rc = lr_next(m, &line, &len)) > 0) {
		int n, id;
		if (!len || line[0] == '#')
			continue;
		n = split(line, '\t', f, 8);
		if (n < 2)
			return fail(m, "expected 'protein<TAB>alias<TAB>source' "
				    "(STRING aliases)");
		id = gdb_graph_node_find(m->b, f[0]);
		if (id < 0)
			continue;
		{
			char ns[256];
			snprintf(ns, sizeof(ns), "%s", n > 2 ? f[2] : "");
			/* v11 lists several sources separated by blanks. */
			for (char *p = ns; *p; p++)
				if (*p == ' ')
					*p = ',';
			if (alias(m, (uint32_t)id, ns, trim(f[1])) < 0)
				return -1;
		}
	}
	return rc;
}

/* ------------------------------------------------------------- BioGRID */

static int parse_biogrid(struct imp *m, char *header)
{
	static const char *const want[] = {
		"Official Symbol Interactor A",	      /* 0 */
		"Official Symbol Interactor B",	      /* 1 */
		"Entrez Gene Interactor A",	      /* 2 */
		"Entrez Gene Interactor B",	      /* 3 */
		"Systematic Name Interactor A",	      /* 4 */
		"Systematic Name Interactor B",	      /* 5 */
		"Synonyms Interactor A",	      /* 6 */
		"Synonyms Interactor B",	      /* 7 */
		"Experimental System",		      /* 8 */
		"Experimental System Type",	      /* 9 */
		"Publication Source",		      /* 10 */
		"Throughput",			      /* 11 */
		"Modification",			      /* 12 */
		"SWISS-PROT Accessions Interactor A", /* 13 */
		"SWISS-PROT Accessions Interactor B", /* 14 */
	};
	enum { NW = sizeof(want) / sizeof(want[0]) };
	char *h[128], *f[128], *line, dash[2] = "-";
	int col[NW], nh, rc;
	size_t len;

	nh = split(header, '\t', h, 128);
	if (nh < 12 || strncmp(h[0], "#BioGRID Interaction ID", 23))
		return fail(m, "expected a BioGRID TAB3 header");
	for (int w = 0; w < NW; w++) {
		col[w] = -1;
		for (int i = 0; i < nh; i++)
			if (!strcmp(h[i], want[w]))
				col[w] = i;
		if (w <= 3 && col[w] < 0)
			return fail(m, "BioGRID header lacks '%s'", want[w]);
	}
	while ((rc = lr_next(m, &line, &len)) > 0) {
		uint32_t id[2], t;
		int n;
		const char *mod, *type;
		char ev[1024];
		if (!len || line[0] == '#')
			continue;
		n = split(line, '\t', f, 128);
		if (n != nh)
			return fail(m, "expected %d columns, found %d", nh,
				    n < 0 ? 128 : n);
#define COL(w) (col[w] >= 0 ? f[col[w]] : dash)
		for (int s = 0; s < 2; s++) {
			const char *sym = COL(0 + s), *ent = COL(2 + s);
			const char *sys = COL(4 + s);
			const char *nm = strcmp(sym, "-") ? sym
					 : strcmp(sys, "-") ? sys
							    : ent;
			if (!*nm || !strcmp(nm, "-"))
				return fail(m, "interactor %c has no name",
					    'A' + s);
			if (node(m, nm, GDB_GRAPH_GENE, &id[s]) < 0 ||
			    alias(m, id[s], "entrez", ent) < 0 ||
			    alias(m, id[s], "systematic", sys) < 0)
				return -1;
			for (int list = 0; list < 2; list++) {
				char *v = list ? COL(13 + s) : COL(6 + s);
				char *save = NULL;
				for (char *a = strtok_r(v, "|", &save); a;
				     a = strtok_r(NULL, "|", &save))
					if (alias(m, id[s],
						  list ? "uniprot" : "synonym",
						  a) < 0)
						return -1;
			}
		}
		mod = COL(12);
		type = strcmp(mod, "-") ? mod : COL(9);
		if (!strcmp(type, "-"))
			type = "interaction";
		{
			char tl[256];
			size_t i;
			for (i = 0; type[i] && i + 1 < sizeof(tl); i++)
				tl[i] = (char)tolower((unsigned char)type[i]);
			tl[i] = 0;
			if (type_id(m, tl, &t) < 0)
				return -1;
		}
		snprintf(ev, sizeof(ev), "%s; %s; %s", COL(8), COL(10), COL(11));
		if (edge(m, id[0], id[1], t, strcmp(mod, "-") != 0, 1.0, ev,
			 NULL) < 0)
			return -1;
#undef COL
	}
	return rc;
}

/* ----------------------------------------------------------------- TSV */

static int col_index(struct imp *m, char **h, int nh, const char *name)
{
	for (int i = 0; i < nh; i++)
		if (!strcmp(h[i], name))
			return i + 1;
	return fail(m, "--columns: no column named '%s' in the header", name);
}

static int parse_bool(const char *s, int *v)
{
	if (!strcasecmp(s, "true") || !strcmp(s, "1") || !strcasecmp(s, "yes") ||
	    !strcasecmp(s, "directed") || !strcasecmp(s, "t"))
		*v = 1;
	else if (!strcasecmp(s, "false") || !strcmp(s, "0") ||
		 !strcasecmp(s, "no") || !strcasecmp(s, "undirected") ||
		 !strcasecmp(s, "f"))
		*v = 0;
	else
		return -1;
	return 0;
}

static int parse_tsv(struct imp *m)
{
	struct cols *c = &m->cols;
	char *line, *f[MAX_FIELDS];
	size_t len;
	int rc, first = 1, need;
	int *slot[6] = {&c->src, &c->dst, &c->type, &c->conf, &c->dir, &c->evid};
	uint32_t deft;

	if (type_id(m, m->deftype ? m->deftype : "interaction", &deft) < 0)
		return -1;
	while ((rc = lr_next(m, &line, &len)) > 0) {
		int n;
		uint32_t a, b, t = deft;
		double conf = 1.0;
		int dir = m->directed > 0;
		const char *ev = NULL;
		if (!len || (line[0] == '#' && !(first && c->header > 0)))
			continue;
		n = split(line, '\t', f, MAX_FIELDS);
		if (n < 0)
			return fail(m, "more than %d columns", MAX_FIELDS);
		if (first) {
			first = 0;
			if (c->header > 0) {
				if (line[0] == '#')
					f[0]++;
				for (int k = 0; k < 6; k++)
					if (c->names[k]) {
						int i = col_index(m, f, n,
								  c->names[k]);
						if (i < 0)
							return -1;
						*slot[k] = i;
					}
				continue;
			}
		}
		need = 0;
		for (int k = 0; k < 6; k++)
			if (*slot[k] > need)
				need = *slot[k];
		if (n < need)
			return fail(m, "expected at least %d columns, found %d",
				    need, n);
		for (int i = 0; i < n; i++)
			f[i] = trim(f[i]);
		if (!*f[c->src - 1] || !*f[c->dst - 1])
			return fail(m, "empty source or target");
		if (c->type && *f[c->type - 1] &&
		    type_id(m, f[c->type - 1], &t) < 0)
			return -1;
		if (c->conf) {
			char *end;
			conf = strtod(f[c->conf - 1], &end);
			if (!*f[c->conf - 1] || *end || !(conf >= 0 && conf <= 1))
				return fail(m, "confidence '%s' is not a number "
					    "in [0,1]", f[c->conf - 1]);
		}
		if (c->dir && parse_bool(f[c->dir - 1], &dir) < 0)
			return fail(m, "directed: expected true/false, found "
				    "'%s'", f[c->dir - 1]);
		if (c->evid)
			ev = f[c->evid - 1];
		if (node(m, f[c->src - 1], GDB_GRAPH_GENE, &a) < 0 ||
		    node(m, f[c->dst - 1], GDB_GRAPH_GENE, &b) < 0 ||
		    edge(m, a, b, t, dir, conf, ev, NULL) < 0)
			return -1;
	}
	return rc;
}

/* ----------------------------------------------------------------- XML */

typedef struct xattr {
	char *name;		/* as written, with prefix */
	char *value;		/* entities decoded */
} xattr;

typedef struct xel {
	char *name;		/* local name (prefix stripped) */
	uint32_t parent;	/* UINT32_MAX for the root */
	uint32_t attr, nattr;
	uint64_t line;
	uint32_t end;		/* index past its last descendant */
} xel;

typedef struct xdoc {
	char *text;
	xel *el;
	uint32_t nel, elcap;
	xattr *at;
	uint32_t nat, atcap;
} xdoc;

static void xdoc_free(xdoc *d)
{
	free(d->text);
	free(d->el);
	free(d->at);
}

static const char *xget(const xdoc *d, uint32_t e, const char *local)
{
	for (uint32_t i = 0; i < d->el[e].nattr; i++) {
		const char *n = d->at[d->el[e].attr + i].name;
		const char *c = strrchr(n, ':');
		if (!strcmp(c ? c + 1 : n, local))
			return d->at[d->el[e].attr + i].value;
	}
	return NULL;
}

static const char *lname(const char *q)
{
	const char *c = strrchr(q, ':');

	return c ? c + 1 : q;
}

/* Decode entities in place. @return 0 or -1. */
static int xdecode(char *s)
{
	char *w = s;

	for (char *r = s; *r;) {
		if (*r != '&') {
			*w++ = *r++;
			continue;
		}
		{
			char *semi = strchr(r, ';');
			if (!semi || semi - r > 10)
				return -1;
			*semi = 0;
			if (!strcmp(r + 1, "lt"))
				*w++ = '<';
			else if (!strcmp(r + 1, "gt"))
				*w++ = '>';
			else if (!strcmp(r + 1, "amp"))
				*w++ = '&';
			else if (!strcmp(r + 1, "quot"))
				*w++ = '"';
			else if (!strcmp(r + 1, "apos"))
				*w++ = '\'';
			else if (r[1] == '#') {
				char *end;
				unsigned long v = r[2] == 'x'
					? strtoul(r + 3, &end, 16)
					: strtoul(r + 2, &end, 10);
				if (*end || !v || v > 0x10ffff)
					return -1;
				/* UTF-8 encode */
				if (v < 0x80) {
					*w++ = (char)v;
				} else if (v < 0x800) {
					*w++ = (char)(0xc0 | (v >> 6));
					*w++ = (char)(0x80 | (v & 0x3f));
				} else if (v < 0x10000) {
					*w++ = (char)(0xe0 | (v >> 12));
					*w++ = (char)(0x80 | ((v >> 6) & 0x3f));
					*w++ = (char)(0x80 | (v & 0x3f));
				} else {
					*w++ = (char)(0xf0 | (v >> 18));
					*w++ = (char)(0x80 | ((v >> 12) & 0x3f));
					*w++ = (char)(0x80 | ((v >> 6) & 0x3f));
					*w++ = (char)(0x80 | (v & 0x3f));
				}
				/* the decoded form is never longer than the
				 * reference, so writing in place is safe */
			} else
				return -1;
			r = semi + 1;
		}
	}
	*w = 0;
	return 0;
}

static int xml_read(struct imp *m, xdoc *d)
{
	size_t len;
	int rc = tool_src_read_all(m->src, XML_MAX_BYTES, &d->text, &len,
				   m->err, sizeof(m->err));

	if (rc == -ENOMEM)
		return oom(m);
	if (rc < 0)
		return -1;
	if (memchr(d->text, 0, len)) {
		free(d->text);
		d->text = NULL;
		m->line = 0;
		return fail(m, "NUL byte in XML");
	}
	return 0;
}

/* Tokenize d->text into elements (text content is not kept). */
static int xml_parse(struct imp *m, xdoc *d)
{
	char *p = d->text;
	uint32_t stack[256];
	int depth = 0, root_seen = 0;

	m->line = 1;
	while (*p) {
		char *lt = strchr(p, '<');
		for (char *q = p; q < (lt ? lt : p + strlen(p)); q++)
			if (*q == '\n')
				m->line++;
		if (!lt)
			break;
		p = lt;
		if (!strncmp(p, "<!--", 4)) {
			char *e = strstr(p + 4, "-->");
			if (!e)
				return fail(m, "unterminated comment");
			for (char *q = p; q < e; q++)
				m->line += *q == '\n';
			p = e + 3;
			continue;
		}
		if (!strncmp(p, "<![CDATA[", 9)) {
			char *e = strstr(p + 9, "]]>");
			if (!e)
				return fail(m, "unterminated CDATA section");
			for (char *q = p; q < e; q++)
				m->line += *q == '\n';
			p = e + 3;
			continue;
		}
		if (p[1] == '?' || p[1] == '!') {
			int br = 0;
			char *q = p + 2;
			for (; *q && (br || *q != '>'); q++) {
				if (*q == '[')
					br++;
				else if (*q == ']')
					br--;
				m->line += *q == '\n';
			}
			if (!*q)
				return fail(m, "unterminated '<%c'", p[1]);
			p = q + 1;
			continue;
		}
		if (p[1] == '/') {
			char *q = p + 2, *nm = q;
			while (*q && *q != '>' && *q != ' ' && *q != '\t' &&
			       *q != '\n' && *q != '\r')
				q++;
			{
				char save = *q;
				*q = 0;
				if (!depth)
					return fail(m, "closing tag </%s> with "
						    "nothing open", nm);
				{
					xel *e = &d->el[stack[depth - 1]];
					if (strcmp(lname(nm), e->name))
						return fail(m, "closing tag </%s> "
							    "does not match <%s> "
							    "(line %llu)", nm,
							    e->name,
							    (unsigned long long)e->line);
					e->end = d->nel;
				}
				*q = save;
			}
			while (*q && *q != '>') {
				m->line += *q == '\n';
				q++;
			}
			if (!*q)
				return fail(m, "unterminated closing tag");
			depth--;
			p = q + 1;
			continue;
		}
		/* A start tag. */
		{
			char *q = p + 1, *nm = q;
			xel *e;
			int selfclose = 0;
			if (!(isalpha((unsigned char)*q) || *q == '_'))
				return fail(m, "malformed tag '<%.10s'", q);
			while (*q && !strchr(" \t\r\n/>", *q))
				q++;
			if (!*q)
				return fail(m, "unterminated tag <%s", nm);
			if (d->nel == d->elcap) {
				uint32_t nc = d->elcap ? d->elcap * 2 : 1024;
				xel *pe = realloc(d->el, nc * sizeof(*pe));
				if (!pe)
					return oom(m);
				d->el = pe;
				d->elcap = nc;
			}
			if (!depth && root_seen)
				return fail(m, "more than one root element");
			root_seen = 1;
			e = &d->el[d->nel];
			e->parent = depth ? stack[depth - 1] : UINT32_MAX;
			e->attr = d->nat;
			e->nattr = 0;
			e->line = m->line;
			e->end = d->nel + 1;
			{
				char c = *q;
				*q = 0;
				e->name = (char *)lname(nm);
				*q = c;
			}
			/* name ends here; attributes follow */
			for (;;) {
				char *an, *av, quote;
				int was_space = 0;
				while (*q == ' ' || *q == '\t' || *q == '\r' ||
				       *q == '\n') {
					m->line += *q == '\n';
					if (*q == ' ' || *q == '\t' || *q == '\r' ||
					    *q == '\n')
						*q = 0, was_space = 1;
					q++;
				}
				if (*q == '>') {
					*q = 0;
					q++;
					break;
				}
				if (*q == '/' && q[1] == '>') {
					*q = 0;
					q += 2;
					selfclose = 1;
					break;
				}
				if (!*q)
					return fail(m, "unterminated tag <%s>",
						    e->name);
				if (!was_space && e->nattr)
					return fail(m, "no blank between "
						    "attributes in <%s>", e->name);
				an = q;
				while (*q && !strchr(" \t\r\n=/>", *q))
					q++;
				if (*q != '=') {
					while (*q == ' ' || *q == '\t')
						*q++ = 0;
					if (*q != '=')
						return fail(m, "attribute '%.*s' "
							    "in <%s> has no value",
							    (int)(q - an), an,
							    e->name);
				}
				*q++ = 0;
				while (*q == ' ' || *q == '\t')
					q++;
				quote = *q;
				if (quote != '"' && quote != '\'')
					return fail(m, "attribute '%s' in <%s>: "
						    "value not quoted", an,
						    e->name);
				av = ++q;
				while (*q && *q != quote) {
					if (*q == '<')
						return fail(m, "'<' in attribute "
							    "'%s' of <%s>", an,
							    e->name);
					m->line += *q == '\n';
					q++;
				}
				if (!*q)
					return fail(m, "unterminated value of "
						    "attribute '%s' in <%s>", an,
						    e->name);
				*q++ = 0;
				if (xdecode(av) < 0)
					return fail(m, "bad entity in attribute "
						    "'%s' of <%s>", an, e->name);
				if (d->nat == d->atcap) {
					uint32_t nc = d->atcap ? d->atcap * 2
							       : 4096;
					xattr *pa = realloc(d->at,
							    nc * sizeof(*pa));
					if (!pa)
						return oom(m);
					d->at = pa;
					d->atcap = nc;
				}
				d->at[d->nat++] = (xattr){an, av};
				e->nattr++;
			}
			/* The tag name was cut by a NUL above only if a blank
			 * followed it; make sure it is terminated. */
			d->nel++;
			if (!selfclose) {
				if (depth == (int)(sizeof(stack) / sizeof(stack[0])))
					return fail(m, "elements nested deeper "
						    "than 256");
				stack[depth++] = d->nel - 1;
			}
			p = q;
		}
	}
	if (depth)
		return fail(m, "end of file inside <%s> (opened at line %llu)",
			    d->el[stack[depth - 1]].name,
			    (unsigned long long)d->el[stack[depth - 1]].line);
	if (!root_seen)
		return fail(m, "no XML element found");
	return 0;
}

/* ---------------------------------------------------------------- KGML */

typedef struct kent {
	const char *id;
	uint32_t *nodes;
	uint32_t n;
	uint32_t el;		/* element index (groups: components) */
	int is_group;
} kent;

static kent *kfind(kent *k, uint32_t n, const char *id)
{
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(k[i].id, id))
			return &k[i];
	return NULL;
}

static int kpush(struct imp *m, kent *k, uint32_t node)
{
	uint32_t *p = realloc(k->nodes, (k->n + 1) * sizeof(*p));

	if (!p)
		return oom(m);
	k->nodes = p;
	k->nodes[k->n++] = node;
	return 0;
}

/* "CDKN2A, ARF, CDK4I..." -> first symbol (in buf), NULL if none. */
static const char *first_symbol(const char *g, char *buf, size_t n)
{
	size_t i = 0;

	if (!g)
		return NULL;
	while (*g == ' ')
		g++;
	while (g[i] && g[i] != ',' && i + 1 < n)
		i++;
	memcpy(buf, g, i);
	buf[i] = 0;
	while (i && (buf[i - 1] == '.' || buf[i - 1] == ' '))
		buf[--i] = 0;
	return i ? buf : NULL;
}

static int kgml_type_name(const char *sub, char *out, size_t n)
{
	size_t i;

	if (!strcmp(sub, "binding/association"))
		sub = "binding";
	for (i = 0; sub[i] && i + 1 < n; i++)
		out[i] = sub[i] == ' ' ? '_' : sub[i];
	out[i] = 0;
	return 0;
}

static int parse_kgml(struct imp *m)
{
	xdoc d = {0};
	kent *ents = NULL;
	uint32_t nent = 0, pid;
	const char *pwname, *pw;
	char evid[300];
	int rc = -1;

	if (xml_read(m, &d) < 0 || xml_parse(m, &d) < 0)
		goto out;
	m->line = d.el[0].line;
	if (strcmp(d.el[0].name, "pathway")) {
		fail(m, "root element is <%s>, not <pathway> (KGML)",
		     d.el[0].name);
		goto out;
	}
	pwname = xget(&d, 0, "name");
	if (!pwname || !*pwname) {
		fail(m, "<pathway> has no name");
		goto out;
	}
	pw = strncmp(pwname, "path:", 5) ? pwname : pwname + 5;
	if (gdb_graph_pathway_add(m->b, pw, xget(&d, 0, "title"), &pid) < 0) {
		bfail(m, -EINVAL, "pathway name");
		goto out;
	}
	ents = calloc(d.nel, sizeof(*ents));
	if (!ents) {
		oom(m);
		goto out;
	}
	/* Entries, in two passes: single-gene entries first so that genes
	 * get their symbols as names, then the rest. */
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t e = 0; e < d.nel; e++) {
			const char *id, *name, *type, *gname = NULL;
			char ids[8192], *save = NULL, sym[256];
			int ngenes = 0, gene;
			kent *k;
			if (strcmp(d.el[e].name, "entry"))
				continue;
			m->line = d.el[e].line;
			id = xget(&d, e, "id");
			name = xget(&d, e, "name");
			type = xget(&d, e, "type");
			if (!id || !name || !type) {
				fail(m, "<entry> lacks id, name or type");
				goto out;
			}
			for (uint32_t c = e + 1; c < d.el[e].end; c++)
				if (!strcmp(d.el[c].name, "graphics") && !gname)
					gname = xget(&d, c, "name");
			gene = !strcmp(type, "gene") || !strcmp(type, "ortholog") ||
			       !strcmp(type, "enzyme");
			snprintf(ids, sizeof(ids), "%s", name);
			for (const char *s = ids; *s; s++)
				ngenes += (s == ids || s[-1] == ' ') && *s != ' ';
			if (pass == 0) {
				if (kfind(ents, nent, id)) {
					fail(m, "duplicate entry id %s", id);
					goto out;
				}
				k = &ents[nent++];
				k->id = id;
				k->el = e;
				k->is_group = !strcmp(type, "group");
				if (!gene || ngenes != 1)
					continue;
			} else {
				k = kfind(ents, nent, id);
				if (k->n || (gene && ngenes == 1))
					continue;
			}
			if (k->is_group)
				continue;
			for (char *t = strtok_r(ids, " ", &save); t;
			     t = strtok_r(NULL, " ", &save)) {
				int found = gdb_graph_node_find(m->b, t);
				uint32_t nid;
				const char *s = first_symbol(gname, sym,
							     sizeof(sym));
				unsigned kind = gene ? GDB_GRAPH_GENE
						: !strcmp(type, "compound")
							? GDB_GRAPH_COMPOUND
						: !strcmp(type, "map")
							? GDB_GRAPH_PATHWAY
							: GDB_GRAPH_OTHER;
				if (!strcmp(t, "undefined") ||
				    t[strlen(t) - 1] == ':')
					continue;	/* no identifier */
				if (found >= 0) {
					nid = (uint32_t)found;
					/* Made from a multi-gene entry of an
					 * earlier file: give it its symbol. */
					if (gene && ngenes == 1 && s &&
					    !strcmp(gdb_graph_node_name_of(
							    m->b, nid), t) &&
					    gdb_graph_node_find(m->b, s) < 0 &&
					    gdb_graph_node_rename(m->b, nid,
								  "kegg", s) < 0) {
						oom(m);
						goto out;
					}
				} else if (gene && ngenes == 1 && s &&
					   gdb_graph_node_find(m->b, s) < 0) {
					if (node(m, s, kind, &nid) < 0 ||
					    alias(m, nid, "kegg", t) < 0)
						goto out;
					/* the rest of the graphics name */
					if (gname) {
						char all[4096], *sv = NULL;
						snprintf(all, sizeof(all), "%s",
							 gname);
						for (char *a = strtok_r(all, ",", &sv);
						     a; a = strtok_r(NULL, ",", &sv)) {
							char *x = trim(a);
							size_t l = strlen(x);
							while (l && x[l - 1] == '.')
								x[--l] = 0;
							if (l && alias(m, nid,
								       "symbol",
								       x) < 0)
								goto out;
						}
					}
				} else {
					if (node(m, t, kind, &nid) < 0 ||
					    alias(m, nid, "kegg", t) < 0)
						goto out;
					if (kind == GDB_GRAPH_PATHWAY && gname &&
					    alias(m, nid, "title", gname) < 0)
						goto out;
				}
				if (strchr(t, ':') &&
				    alias(m, nid, gene ? "kegg-gene-id"
						       : "kegg-id",
					  strchr(t, ':') + 1) < 0)
					goto out;
				if (kpush(m, k, nid) < 0)
					goto out;
				if (gene && gdb_graph_pathway_member_add(
						    m->b, pid, nid) < 0) {
					oom(m);
					goto out;
				}
			}
		}
	/* Groups: the union of their components. */
	for (uint32_t i = 0; i < nent; i++) {
		kent *k = &ents[i];
		if (!k->is_group)
			continue;
		for (uint32_t c = k->el + 1; c < d.el[k->el].end; c++) {
			const char *cid;
			kent *ck;
			if (strcmp(d.el[c].name, "component"))
				continue;
			m->line = d.el[c].line;
			cid = xget(&d, c, "id");
			ck = cid ? kfind(ents, nent, cid) : NULL;
			if (!ck || ck->is_group) {
				fail(m, "group component refers to unknown "
				     "entry %s", cid ? cid : "(none)");
				goto out;
			}
			for (uint32_t j = 0; j < ck->n; j++)
				if (kpush(m, k, ck->nodes[j]) < 0)
					goto out;
		}
	}
	/* Relations and reactions. */
	for (uint32_t e = 0; e < d.nel; e++) {
		const char *e1, *e2, *rtype;
		kent *a, *b;
		int nsub = 0;
		m->line = d.el[e].line;
		if (!strcmp(d.el[e].name, "relation")) {
			e1 = xget(&d, e, "entry1");
			e2 = xget(&d, e, "entry2");
			rtype = xget(&d, e, "type");
			if (!e1 || !e2 || !rtype) {
				fail(m, "<relation> lacks entry1, entry2 or "
				     "type");
				goto out;
			}
			a = kfind(ents, nent, e1);
			b = kfind(ents, nent, e2);
			if (!a || !b) {
				fail(m, "relation refers to unknown entry %s",
				     a ? e2 : e1);
				goto out;
			}
			snprintf(evid, sizeof(evid), "kegg:%s %s", pw, rtype);
			for (uint32_t c = e; c < d.el[e].end; c++) {
				const char *sub;
				char tn[256];
				uint32_t t;
				int und;
				if (c == e) {
					/* after the subtypes: one edge of the
					 * relation type if none was typed */
					continue;
				}
				if (strcmp(d.el[c].name, "subtype"))
					continue;
				sub = xget(&d, c, "name");
				if (!sub || !strcmp(sub, "compound") ||
				    !strcmp(sub, "hidden compound"))
					continue;
				nsub++;
				kgml_type_name(sub, tn, sizeof(tn));
				if (type_id(m, tn, &t) < 0)
					goto out;
				und = !strcmp(tn, "binding") ||
				      !strcmp(tn, "dissociation") ||
				      !strcmp(rtype, "ECrel") ||
				      !strcmp(rtype, "maplink");
				for (uint32_t i = 0; i < a->n; i++)
					for (uint32_t j = 0; j < b->n; j++)
						if (a->nodes[i] != b->nodes[j] &&
						    edge(m, a->nodes[i],
							 b->nodes[j], t, !und, 1.0,
							 evid, NULL) < 0)
							goto out;
			}
			if (!nsub) {
				uint32_t t;
				int und = !strcmp(rtype, "ECrel") ||
					  !strcmp(rtype, "maplink");
				if (type_id(m, rtype, &t) < 0)
					goto out;
				for (uint32_t i = 0; i < a->n; i++)
					for (uint32_t j = 0; j < b->n; j++)
						if (a->nodes[i] != b->nodes[j] &&
						    edge(m, a->nodes[i],
							 b->nodes[j], t, !und, 1.0,
							 evid, NULL) < 0)
							goto out;
			}
		} else if (!strcmp(d.el[e].name, "reaction")) {
			const char *rid = xget(&d, e, "id");
			const char *rn = xget(&d, e, "name");
			const char *rt = xget(&d, e, "type");
			int rev = rt && !strcmp(rt, "reversible");
			kent *enz = rid ? kfind(ents, nent, rid) : NULL;
			uint32_t ts, tp;
			if (!enz || !enz->n)
				continue;	/* no enzyme drawn: no edges */
			if (type_id(m, "substrate", &ts) < 0 ||
			    type_id(m, "product", &tp) < 0)
				goto out;
			snprintf(evid, sizeof(evid), "kegg:%s %s", pw,
				 rn ? rn : "reaction");
			for (uint32_t c = e + 1; c < d.el[e].end; c++) {
				int sub = !strcmp(d.el[c].name, "substrate");
				int prod = !strcmp(d.el[c].name, "product");
				const char *cid, *cname;
				kent *ck;
				uint32_t cn;
				if (!sub && !prod)
					continue;
				m->line = d.el[c].line;
				cid = xget(&d, c, "id");
				cname = xget(&d, c, "name");
				ck = cid ? kfind(ents, nent, cid) : NULL;
				if (ck && ck->n) {
					cn = ck->nodes[0];
				} else if (cname) {
					if (node(m, cname, GDB_GRAPH_COMPOUND,
						 &cn) < 0)
						goto out;
				} else {
					fail(m, "reaction compound without id "
					     "or name");
					goto out;
				}
				for (uint32_t j = 0; j < enz->n; j++)
					if (edge(m, sub ? cn : enz->nodes[j],
						 sub ? enz->nodes[j] : cn,
						 sub ? ts : tp, !rev, 1.0, evid,
						 NULL) < 0)
						goto out;
			}
		}
	}
	rc = 0;
out:
	if (ents)
		for (uint32_t i = 0; i < nent; i++)
			free(ents[i].nodes);
	free(ents);
	xdoc_free(&d);
	return rc;
}

/* ---------------------------------------------------------------- SBML */

static int parse_sbml(struct imp *m)
{
	xdoc d = {0};
	uint32_t model = UINT32_MAX, pid, tr, tp, tc;
	const char *mid;
	int rc = -1;

	if (xml_read(m, &d) < 0 || xml_parse(m, &d) < 0)
		goto out;
	m->line = d.el[0].line;
	if (strcmp(d.el[0].name, "sbml")) {
		fail(m, "root element is <%s>, not <sbml>", d.el[0].name);
		goto out;
	}
	for (uint32_t e = 0; e < d.nel && model == UINT32_MAX; e++)
		if (!strcmp(d.el[e].name, "model"))
			model = e;
	if (model == UINT32_MAX) {
		fail(m, "no <model> in the SBML document");
		goto out;
	}
	m->line = d.el[model].line;
	mid = xget(&d, model, "id");
	if (!mid || !*mid)
		mid = "model";
	if (gdb_graph_pathway_add(m->b, mid, xget(&d, model, "name"), &pid) < 0) {
		bfail(m, -EINVAL, "model id");
		goto out;
	}
	if (type_id(m, "reactant", &tr) < 0 || type_id(m, "product", &tp) < 0 ||
	    type_id(m, "catalysis", &tc) < 0)
		goto out;
	/* Species and gene products first. */
	for (uint32_t e = model; e < d.el[model].end; e++) {
		const char *id, *nm;
		uint32_t nid;
		m->line = d.el[e].line;
		if (!strcmp(d.el[e].name, "species")) {
			id = xget(&d, e, "id");
			if (!id || !*id) {
				fail(m, "<species> without id");
				goto out;
			}
			if (node(m, id, GDB_GRAPH_COMPOUND, &nid) < 0)
				goto out;
			nm = xget(&d, e, "name");
			if (nm && alias(m, nid, "name", nm) < 0)
				goto out;
		} else if (!strcmp(d.el[e].name, "geneProduct")) {
			const char *label = xget(&d, e, "label");
			id = xget(&d, e, "id");
			nm = xget(&d, e, "name");
			if (!id || !*id) {
				fail(m, "<geneProduct> without id");
				goto out;
			}
			{
				const char *disp = nm && *nm ? nm
						   : label && *label ? label
								     : id;
				if (node(m, disp, GDB_GRAPH_GENE, &nid) < 0 ||
				    alias(m, nid, "sbml", id) < 0 ||
				    (label && alias(m, nid, "label", label) < 0))
					goto out;
			}
			if (gdb_graph_pathway_member_add(m->b, pid, nid) < 0) {
				oom(m);
				goto out;
			}
		}
	}
	/* Reactions. */
	for (uint32_t e = model; e < d.el[model].end; e++) {
		const char *id, *rev;
		uint32_t rnode;
		int reversible;
		if (strcmp(d.el[e].name, "reaction"))
			continue;
		m->line = d.el[e].line;
		id = xget(&d, e, "id");
		if (!id || !*id) {
			fail(m, "<reaction> without id");
			goto out;
		}
		rev = xget(&d, e, "reversible");
		reversible = !rev || !strcmp(rev, "true");
		if (node(m, id, GDB_GRAPH_REACTION, &rnode) < 0)
			goto out;
		if (xget(&d, e, "name") &&
		    alias(m, rnode, "name", xget(&d, e, "name")) < 0)
			goto out;
		for (uint32_t c = e + 1; c < d.el[e].end; c++) {
			const char *par = d.el[d.el[c].parent].name;
			m->line = d.el[c].line;
			if (!strcmp(d.el[c].name, "speciesReference")) {
				const char *sp = xget(&d, c, "species");
				int s, prod = !strcmp(par, "listOfProducts");
				if (!sp) {
					fail(m, "<speciesReference> without "
					     "species");
					goto out;
				}
				s = gdb_graph_node_find(m->b, sp);
				if (s < 0) {
					fail(m, "reaction %s refers to unknown "
					     "species %s", id, sp);
					goto out;
				}
				if (edge(m, prod ? rnode : (uint32_t)s,
					 prod ? (uint32_t)s : rnode,
					 prod ? tp : tr, !reversible, 1.0, NULL,
					 NULL) < 0)
					goto out;
			} else if (!strcmp(d.el[c].name, "geneProductRef")) {
				const char *gp = xget(&d, c, "geneProduct");
				int gi = gp ? gdb_graph_node_find(m->b, gp) : -1;
				if (gi < 0) {
					fail(m, "reaction %s refers to unknown "
					     "gene product %s", id,
					     gp ? gp : "(none)");
					goto out;
				}
				if (edge(m, (uint32_t)gi, rnode, tc, 1, 1.0, NULL,
					 NULL) < 0)
					goto out;
			}
		}
	}
	/* Groups (subsystems) as pathways of their reactions' genes. */
	for (uint32_t e = model; e < d.el[model].end; e++) {
		const char *gname, *gid;
		char idbuf[512];
		uint32_t gp;
		if (strcmp(d.el[e].name, "group"))
			continue;
		m->line = d.el[e].line;
		gname = xget(&d, e, "name");
		gid = xget(&d, e, "id");
		if (!gname || !*gname)
			gname = gid;
		if (!gname) {
			fail(m, "<group> without id or name");
			goto out;
		}
		{
			size_t i;
			for (i = 0; gname[i] && i + 1 < sizeof(idbuf); i++)
				idbuf[i] = gname[i] == ' '   ? '_'
					   : gname[i] == '/' ? '-'
							     : gname[i];
			idbuf[i] = 0;
		}
		if (gdb_graph_pathway_add(m->b, idbuf, gname, &gp) < 0) {
			bfail(m, -EINVAL, "group name");
			goto out;
		}
		for (uint32_t c = e + 1; c < d.el[e].end; c++) {
			const char *ref;
			if (strcmp(d.el[c].name, "member"))
				continue;
			ref = xget(&d, c, "idRef");
			if (!ref)
				continue;
			/* the member reaction's genes: its catalysis edges
			 * were added above; find them through the XML */
			for (uint32_t r = model; r < d.el[model].end; r++) {
				const char *rid;
				if (strcmp(d.el[r].name, "reaction"))
					continue;
				rid = xget(&d, r, "id");
				if (!rid || strcmp(rid, ref))
					continue;
				for (uint32_t k = r + 1; k < d.el[r].end; k++) {
					const char *g2;
					int gi;
					if (strcmp(d.el[k].name, "geneProductRef"))
						continue;
					g2 = xget(&d, k, "geneProduct");
					gi = g2 ? gdb_graph_node_find(m->b, g2)
						: -1;
					if (gi >= 0 &&
					    gdb_graph_pathway_member_add(
						    m->b, gp, (uint32_t)gi) < 0) {
						oom(m);
						goto out;
					}
				}
				break;
			}
		}
	}
	rc = 0;
out:
	xdoc_free(&d);
	return rc;
}

/* ------------------------------------------------------------ guessing */

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcasecmp(s + a - b, suf);
}

static enum fmt fmt_from_name(const char *s)
{
	for (int i = 1; i < (int)(sizeof(fmt_names) / sizeof(fmt_names[0])); i++)
		if (!strcmp(s, fmt_names[i]))
			return (enum fmt)i;
	return F_NONE;
}

/* The format of a file from its first bytes (and its name). */
static enum fmt guess(const char *path, const char *p, size_t n,
		      enum fmt forced)
{
	char first[4096];
	size_t i = 0, l;
	char base[1024];

	while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' ||
			 p[i] == '\t'))
		i++;
	if (i + 3 <= n && (uint8_t)p[i] == 0xef && (uint8_t)p[i + 1] == 0xbb &&
	    (uint8_t)p[i + 2] == 0xbf)
		i += 3;
	if (i < n && p[i] == '<') {
		char *q;
		size_t k = n - i < 65536 ? n - i : 65536;
		char *tmp = strndup(p + i, k);
		enum fmt f = F_NONE;
		if (!tmp)
			return F_NONE;
		if ((q = strstr(tmp, "<sbml")) != NULL)
			f = F_SBML;
		else if ((q = strstr(tmp, "<pathway")) != NULL)
			f = F_KGML;
		free(tmp);
		return f;
	}
	/* Text formats only: control bytes other than blanks mean binary. */
	for (size_t k = i; k < n && k < i + 65536; k++) {
		unsigned char c = (unsigned char)p[k];
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return F_NONE;
	}
	l = 0;
	while (i + l < n && p[i + l] != '\n' && l + 1 < sizeof(first))
		l++;
	memcpy(first, p + i, l);
	first[l] = 0;
	if (l && first[l - 1] == '\r')
		first[--l] = 0;
	if (!strncmp(first, "#BioGRID Interaction ID", 23))
		return F_BIOGRID;
	if (!strncmp(first, "protein1 ", 9) || !strncmp(first, "protein1\t", 9))
		return F_STRING;
	if (!strncmp(first, "item_id_a\t", 10))
		return F_STRING_ACTIONS;
	if (strstr(first, "string_protein_id") ||
	    !strncmp(first, "protein_external_id", 19)) {
		if (strstr(first, "alias"))
			return F_STRING_ALIASES;
		if (strstr(first, "preferred_name"))
			return F_STRING_INFO;
	}
	if (forced == F_STRING)
		return F_NONE;	/* --format string but no STRING header */
	/* By extension (after .gz). */
	snprintf(base, sizeof(base), "%s", path);
	if (ends_with(base, ".gz"))
		base[strlen(base) - 3] = 0;
	if (ends_with(base, ".sif"))
		return F_SIF;
	if (ends_with(base, ".gmt"))
		return F_GMT;
	/* By shape: field counts of the first lines. */
	{
		int lines = 0, all2 = 1, tabs = 1, min = 1 << 30;
		char seconds[16][64];
		int nsec = 0, short2 = 1;
		size_t at = i;
		while (at < n && lines < 50) {
			size_t e = at;
			int fields = 1, ws_fields = 0, inword = 0;
			const char *s2 = NULL;
			size_t s2l = 0;
			while (e < n && p[e] != '\n')
				e++;
			if (e == n && n >= 65536)
				break;	/* partial line */
			if (e > at && p[at] != '#') {
				int has_tab = 0;
				for (size_t k = at; k < e; k++) {
					if (p[k] == '\t') {
						has_tab = 1;
						fields++;
						if (fields == 2) {
							s2 = p + k + 1;
						}
					}
				}
				if (!has_tab) {
					tabs = 0;
					fields = 0;
					for (size_t k = at; k < e; k++) {
						int w = p[k] != ' ' && p[k] != '\r';
						if (w && !inword) {
							ws_fields++;
							if (ws_fields == 2)
								s2 = p + k;
						}
						inword = w;
					}
					fields = ws_fields;
				}
				if (s2) {
					while (s2 + s2l < p + e &&
					       s2[s2l] != '\t' && s2[s2l] != ' ' &&
					       s2[s2l] != '\r')
						s2l++;
					if (s2l > 40)
						short2 = 0;
					else {
						int k;
						for (k = 0; k < nsec; k++)
							if (strlen(seconds[k]) == s2l &&
							    !memcmp(seconds[k], s2, s2l))
								break;
						if (k == nsec && nsec < 16) {
							memcpy(seconds[nsec], s2, s2l);
							seconds[nsec++][s2l] = 0;
						} else if (k == nsec) {
							short2 = 0;
						}
					}
				}
				if (fields != 2)
					all2 = 0;
				if (fields < min)
					min = fields;
				lines++;
			}
			at = e + 1;
		}
		if (!lines)
			return F_NONE;
		if (all2 && tabs)
			return F_TSV;
		if (min >= 3 && short2 && (nsec <= 8 || lines < 4))
			return F_SIF;
		if (tabs && min >= 2)
			return F_GMT;
		if (min >= 3 && short2)
			return F_SIF;
	}
	return F_NONE;
}

/* ------------------------------------------------------------- driving */

static int parse_columns(struct cols *c, const char *spec)
{
	static const char *const keys[6] = {"source", "target",	  "type",
					    "confidence", "directed", "evidence"};
	int *slot[6] = {&c->src, &c->dst, &c->type, &c->conf, &c->dir, &c->evid};
	char *s = strdup(spec), *save = NULL;

	if (!s)
		return -1;
	c->spec = spec;
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
			if (*end || x < 1 || x > MAX_FIELDS)
				goto bad;
			*slot[k] = (int)x;
		} else {
			free(c->names[k]);
			c->names[k] = strdup(v);
			if (!c->names[k])
				goto bad;
			c->header = 1;
			*slot[k] = 1;	/* resolved from the header */
		}
	}
	free(s);
	return 0;
bad:
	free(s);
	return -1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: genomedb import graph STORE --network NAME FILE... "
		"[--format F] [--quiet]\n"
		"  F: sif, string, biogrid, kgml, sbml, gmt, tsv (guessed from "
		"the content when omitted)\n"
		"  several FILEs make one network (STRING links + protein.info "
		"+ aliases; several KGML pathways)\n"
		"  tsv:  --columns source=1,target=2[,type=N][,confidence=N]"
		"[,directed=N][,evidence=N]\n"
		"        (numbers are 1-based; names refer to a header row)\n"
		"        --header / --no-header, --directed / --undirected, "
		"--type T (default 'interaction')\n");
}

static int fmt_order(enum fmt f)
{
	return f == F_STRING_INFO ? 1 : f == F_STRING_ALIASES ? 2 : 0;
}

int cmd_import_graph(int argc, char **argv)
{
	const char *store = NULL, *net = NULL;
	const char *files[256];
	enum fmt fmts[256], forced = F_NONE;
	int nfiles = 0, quiet = 0, rc = EXIT_FAIL;
	struct imp m;
	gdb_txn *txn = NULL;
	char err[1024];
	double t0 = tool_now();
	uint64_t nedges = 0, gen = 0, read_edges = 0;
	gdb_provenance prov[256];	/* one per file, in the order read */
	int nprov = 0;

	memset(&m, 0, sizeof(m));
	m.directed = -1;
	m.cols.header = -1;
	if (argc < 2 || strcmp(argv[1], "graph")) {
		usage();
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--network") && i + 1 < argc) {
			net = argv[++i];
		} else if (!strcmp(a, "--format") && i + 1 < argc) {
			forced = fmt_from_name(argv[++i]);
			if (forced == F_NONE || forced == F_STRING_INFO ||
			    forced == F_STRING_ALIASES ||
			    forced == F_STRING_ACTIONS) {
				tool_err("--format: expected sif, string, "
					 "biogrid, kgml, sbml, gmt or tsv");
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--columns") && i + 1 < argc) {
			if (parse_columns(&m.cols, argv[++i]) < 0) {
				tool_err("--columns: expected key=N or "
					 "key=NAME pairs (source, target, "
					 "type, confidence, directed, "
					 "evidence)");
				rc = EXIT_USAGE;
				goto out;
			}
		} else if (!strcmp(a, "--type") && i + 1 < argc) {
			m.deftype = argv[++i];
		} else if (!strcmp(a, "--header")) {
			m.cols.header = 1;
		} else if (!strcmp(a, "--no-header")) {
			m.cols.header = 0;
		} else if (!strcmp(a, "--directed")) {
			m.directed = 1;
		} else if (!strcmp(a, "--undirected")) {
			m.directed = 0;
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			quiet = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage();
			rc = EXIT_OK;
			goto out;
		} else if (a[0] == '-' && a[1]) {
			usage();
			tool_err("import graph: unknown option '%s'", a);
			rc = EXIT_USAGE;
			goto out;
		} else if (!store) {
			store = a;
		} else if (nfiles < 256) {
			files[nfiles++] = a;
		} else {
			tool_err("import graph: more than 256 files");
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (!store || !net || !nfiles) {
		usage();
		rc = EXIT_USAGE;
		goto out;
	}
	if (!tool_name_ok(net, GDB_NAME_MAX)) {
		tool_err("--network '%s': a name is 1-255 bytes without "
			 "blanks, '/', ',' or control characters, and does "
			 "not start with '.' or '@'", net);
		rc = EXIT_USAGE;
		goto out;
	}
	if (m.cols.names[0] || m.cols.names[1] || m.cols.spec) {
		if (!m.cols.src || !m.cols.dst) {
			tool_err("--columns: source and target are required");
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (!m.cols.src)
		m.cols.src = 1;
	if (!m.cols.dst)
		m.cols.dst = 2;
	if (gdb_graph_builder_new(&m.b) < 0) {
		tool_err("out of memory");
		goto out;
	}
	/* Guess every file's format first (a missing file or unknown
	 * format must not touch the store), then parse in order: edges,
	 * then STRING info, then aliases. */
	for (int i = 0; i < nfiles; i++) {
		const char *p;
		size_t n;
		m.path = files[i];
		m.line = 0;
		if (tool_src_open(files[i], &m.src, m.err, sizeof(m.err)) < 0) {
			tool_err("%s", m.err);
			goto out;
		}
		m.pos = m.len = 0;
		m.eof = 0;
		if (lr_peek(&m, &p, &n) < 0) {
			tool_err("%s", m.err);
			goto out;
		}
		fmts[i] = guess(files[i], p, n, forced);
		if (forced != F_NONE && forced != F_STRING)
			fmts[i] = forced;
		if (fmts[i] == F_NONE) {
			if (forced == F_STRING)
				tool_err("%s:1: not a STRING file (expected "
					 "a header 'protein1 protein2 ...', "
					 "'#string_protein_id ...' or "
					 "'item_id_a ...')", files[i]);
			else
				tool_err("%s: cannot tell the format; name "
					 "it with --format", files[i]);
			goto out;
		}
		tool_src_close(m.src);
		m.src = NULL;
	}
	for (int order = 0; order < 3; order++)
		for (int i = 0; i < nfiles; i++) {
			char *hdr;
			size_t hl;
			int prc;
			if (fmt_order(fmts[i]) != order)
				continue;
			m.path = files[i];
			m.line = 0;
			m.pos = m.len = 0;
			m.eof = 0;
			if (tool_src_open(files[i], &m.src, m.err,
					  sizeof(m.err)) < 0) {
				tool_err("%s", m.err);
				goto out;
			}
			switch (fmts[i]) {
			case F_SIF:
				prc = parse_sif(&m);
				break;
			case F_GMT:
				prc = parse_gmt(&m);
				break;
			case F_TSV:
				prc = parse_tsv(&m);
				break;
			case F_KGML:
				prc = parse_kgml(&m);
				break;
			case F_SBML:
				prc = parse_sbml(&m);
				break;
			case F_STRING_INFO:
				prc = parse_string_info(&m);
				break;
			case F_STRING_ALIASES:
				prc = parse_string_aliases(&m);
				break;
			case F_STRING:
			case F_STRING_ACTIONS:
			case F_BIOGRID:
				prc = lr_next(&m, &hdr, &hl);
				if (prc == 0)
					prc = fail(&m, "empty file");
				if (prc > 0)
					prc = fmts[i] == F_STRING
						      ? parse_string_links(&m, hdr)
					      : fmts[i] == F_BIOGRID
						      ? parse_biogrid(&m, hdr)
						      : parse_string_actions(&m,
									     hdr);
				break;
			default:
				prc = fail(&m, "unsupported format");
			}
			if (prc < 0) {
				tool_err("%s", m.err);
				goto out;
			}
			tool_src_provenance(m.src, net, files[i],
					    &prov[nprov++]);
			if (!quiet)
				fprintf(stderr, "read %s (%s): %u nodes, %llu "
					"edges, %u pathways so far\n",
					files[i], fmt_names[fmts[i]],
					gdb_graph_builder_nnodes(m.b),
					(unsigned long long)
						gdb_graph_builder_nedges(m.b),
					gdb_graph_builder_npathways(m.b));
			tool_src_close(m.src);
			m.src = NULL;
		}
	if (!gdb_graph_builder_nnodes(m.b)) {
		tool_err("%s: no nodes found", files[0]);
		goto out;
	}
	read_edges = gdb_graph_builder_nedges(m.b);
	if (tool_txn_begin(store, &txn, err, sizeof(err)) < 0 ||
	    gdb_txn_object_begin(txn, GDB_OBJECT_SECTIONS, net, err,
				 sizeof(err)) < 0) {
		tool_err("%s", err);
		goto out;
	}
	if (gdb_graph_builder_write(m.b, txn, &nedges, err, sizeof(err)) < 0) {
		tool_err("%s: %s", store, err);
		goto out;
	}
	if (tool_commit(&txn, prov, nprov, &gen) < 0)
		goto out;
	if (!quiet)
		fprintf(stderr,
			"imported network '%s' (generation %llu): %u nodes, "
			"%llu edges (%llu as read), %u pathways; %.2f s, "
			"builder peak %.1f MB\n",
			net, (unsigned long long)gen,
			gdb_graph_builder_nnodes(m.b),
			(unsigned long long)nedges,
			(unsigned long long)read_edges,
			gdb_graph_builder_npathways(m.b), tool_now() - t0,
			(double)gdb_graph_builder_peak_bytes(m.b) / 1e6);
	rc = EXIT_OK;
out:
	gdb_txn_abort(txn);
	tool_src_close(m.src);
	gdb_graph_builder_free(m.b);
	free(m.buf);
	for (int k = 0; k < 6; k++)
		free(m.cols.names[k]);
	return rc;
}
