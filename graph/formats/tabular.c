/*
 * graph/formats/tabular.c - the plain-text network formats: SIF
 * (Cytoscape's simple interaction format), GMT (gene sets) and the
 * generic TSV edge list with its column mapping, and how each is told
 * from the shape of a file's first lines when it has no signature.
 * Rules: docs/GRAPH.md ("Import", the format table, "Format guessing").
 */
#define _GNU_SOURCE
#include "graph/formats/formats.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- shape */

void gf_shape_make(gf_head *h)
{
	gf_shape *s = &h->shape;
	const char *p = h->p, *end = h->p + h->n;

	memset(s, 0, sizeof(*s));
	while (p < end && s->nlines < GF_SHAPE_LINES) {
		const char *e = memchr(p, '\n', (size_t)(end - p)), *q;
		int tab, k = s->nlines, nf = 0;
		if (!e) {
			if (h->n >= GF_HEAD_BYTES)
				break; /* a partial line */
			e = end;
		}
		q = e > p && e[-1] == '\r' ? e - 1 : e;
		if (q == p || *p == '#') {
			p = e + 1;
			continue;
		}
		tab = memchr(p, '\t', (size_t)(q - p)) != NULL;
		s->tabs |= tab;
		for (const char *a = p; a < q;) {
			const char *b = a;
			if (!tab) {
				while (a < q && *a == ' ')
					a++;
				if (a == q)
					break;
				b = a;
				while (b < q && *b != ' ')
					b++;
			} else {
				while (b < q && *b != '\t')
					b++;
			}
			if (nf < 3)
				s->f[k][nf] = (gf_span){a, (size_t)(b - a)};
			nf++;
			a = b + (tab ? 1 : 0);
			if (tab && b == q)
				break;
		}
		if (tab && q > p && q[-1] == '\t')
			nf++; /* an empty last field */
		s->nf[k] = nf;
		s->nlines += nf > 0; /* not blanks only */
		p = e + 1;
	}
}

/* Is the span a number (and in [0,1] when unit)? */
static int span_num(gf_span v, int unit)
{
	char tmp[64], *end;
	double x;

	while (v.n && v.p[0] == ' ')
		v.p++, v.n--;
	while (v.n && v.p[v.n - 1] == ' ')
		v.n--;
	if (!v.n || v.n >= sizeof(tmp))
		return 0;
	memcpy(tmp, v.p, v.n);
	tmp[v.n] = 0;
	x = strtod(tmp, &end);
	return !*end && isfinite(x) && (!unit || (x >= 0 && x <= 1));
}

/* Column names a header row of an edge list uses (compared without case,
 * blanks, '_' or '-'). */
static int column_word(gf_span v)
{
	static const char *const words[] = {
	    "source",	   "target",
	    "src",	   "dst",
	    "from",	   "to",
	    "tail",	   "head",
	    "node",	   "node1",
	    "node2",	   "nodea",
	    "nodeb",	   "gene",
	    "gene1",	   "gene2",
	    "genea",	   "geneb",
	    "protein1",	   "protein2",
	    "proteina",	   "proteinb",
	    "interactor",  "interactora",
	    "interactorb", "symbol",
	    "symbol1",	   "symbol2",
	    "symbola",	   "symbolb",
	    "id1",	   "id2",
	    "ida",	   "idb",
	    "partner1",	   "partner2",
	    "regulator",   "regulated",
	    "tf",	   "weight",
	    "score",	   "confidence",
	    "conf",	   "type",
	    "interaction", "interactiontype",
	    "directed",	   "direction",
	    "evidence",	   "edge",
	    "sign",	   "effect",
	    "mode",
	};
	char w[32];
	size_t n = 0;

	for (size_t i = 0; i < v.n && n + 1 < sizeof(w); i++)
		if (isalnum((unsigned char)v.p[i]))
			w[n++] = (char)tolower((unsigned char)v.p[i]);
	w[n] = 0;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(w, words[i]))
			return 1;
	return 0;
}

void gf_tsv_layout_of(const gf_shape *s, int conf_col, gf_tsv_layout *t)
{
	int first_names = s->nlines > 0 && s->nf[0] > 0, from;
	int col = conf_col ? conf_col : 3;

	memset(t, 0, sizeof(*t));
	t->ncols = -1;
	for (int k = 0; k < s->nf[0] && k < 3 && first_names; k++)
		first_names = column_word(s->f[0][k]);
	/* Numbers: the column is numeric in every row after the first. */
	t->num3 = t->conf3 = col <= 3 && s->nlines > 1;
	for (int i = 1; i < s->nlines && t->num3; i++) {
		t->num3 = s->nf[i] >= col && span_num(s->f[i][col - 1], 0);
		t->conf3 &= t->num3 && span_num(s->f[i][col - 1], 1);
	}
	t->header = first_names || (t->num3 && s->nf[0] >= col &&
				    !span_num(s->f[0][col - 1], 0));
	from = t->header;
	for (int i = from; i < s->nlines; i++)
		t->ncols = i == from		  ? s->nf[i]
			   : t->ncols == s->nf[i] ? t->ncols
						  : -1;
	if (s->nlines == 1 && !t->header) { /* one row: its own column */
		t->num3 = s->nf[0] >= 3 && span_num(s->f[0][2], 0);
		t->conf3 = t->num3 && span_num(s->f[0][2], 1);
	}
}

/* ------------------------------------------------------------ detection */

/* Words SIF files use as interaction types (besides the undirected ones). */
static int sif_word(gf_span v)
{
	static const char *const w[] = {
	    "pp",
	    "pd",
	    "ppi",
	    "pr",
	    "rc",
	    "cr",
	    "gl",
	    "interacts",
	    "interacts_with",
	    "interacts-with",
	    "binding",
	    "association",
	    "physical",
	    "genetic",
	    "coexpression",
	    "co-expression",
	    "in-complex-with",
	    "neighbor-of",
	    "gi",
	    "interaction",
	    "complex",
	    "activation",
	    "activates",
	    "inhibition",
	    "inhibits",
	    "expression",
	    "represses",
	    "repression",
	    "phosphorylation",
	    "dephosphorylation",
	    "ubiquitination",
	    "regulates",
	    "controls-state-change-of",
	    "controls-expression-of",
	    "controls-transport-of",
	    "controls-phosphorylation-of",
	    "controls-production-of",
	    "catalysis-precedes",
	    "chemical-affects",
	    "consumption-controlled-by",
	    "reacts-with",
	    "used-to-produce",
	    "directed",
	    "undirected",
	};

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (strlen(w[i]) == v.n && !strncasecmp(w[i], v.p, v.n))
			return 1;
	return 0;
}

/* Distinct values of field k over lines from .. nlines (at most 9). */
static int distinct(const gf_shape *s, int from, int k)
{
	gf_span seen[9];
	int n = 0;

	for (int i = from; i < s->nlines && n < 9; i++) {
		int j;
		if (s->nf[i] <= k)
			continue;
		for (j = 0; j < n; j++)
			if (seen[j].n == s->f[i][k].n &&
			    !memcmp(seen[j].p, s->f[i][k].p, seen[j].n))
				break;
		if (j == n)
			seen[n++] = s->f[i][k];
	}
	return n;
}

int gf_detect_tsv(const gf_head *h)
{
	gf_tsv_layout t;

	if (h->xml || !h->shape.nlines)
		return GF_NO;
	gf_tsv_layout_of(&h->shape, 0, &t);
	if (t.ncols == 2 || (t.ncols == 3 && t.num3))
		return GF_LIKELY;
	return t.ncols == 3 ? GF_WEAK : GF_NO;
}

int gf_detect_sif(const gf_head *h)
{
	const gf_shape *s = &h->shape;
	int three = 0, words = 1, num3 = 1;

	if (h->xml || !s->nlines)
		return GF_NO;
	for (int i = 0; i < s->nlines; i++) {
		if (s->nf[i] == 2)
			return GF_NO; /* "a type" is no SIF line */
		if (s->nf[i] < 3)
			continue;
		three++;
		words &= sif_word(s->f[i][1]);
		num3 &= i == 0 || span_num(s->f[i][2], 0);
	}
	if (!three || (num3 && three > 1))
		return GF_NO; /* no edge, or a number as every target */
	if (words)
		return GF_LIKELY;
	return distinct(s, 0, 1) <= 8 || s->nlines < 4 ? GF_WEAK : GF_NO;
}

int gf_detect_gmt(const gf_head *h)
{
	const gf_shape *s = &h->shape;
	int varies = 0;

	if (h->xml || !s->tabs || !s->nlines)
		return GF_NO;
	for (int i = 0; i < s->nlines; i++) {
		if (s->nf[i] < 3)
			return GF_NO;
		varies |= s->nf[i] != s->nf[0];
		for (int j = 0; j < i; j++) /* set names are unique */
			if (s->f[i][0].n == s->f[j][0].n &&
			    !memcmp(s->f[i][0].p, s->f[j][0].p, s->f[i][0].n))
				return GF_WEAK;
	}
	return varies && s->nlines > 1 ? GF_LIKELY : GF_WEAK;
}

/* ----------------------------------------------------------------- SIF */

static int undirected_type(const char *t)
{
	static const char *const u[] = {
	    "pp",
	    "ppi",
	    "interacts",
	    "interacts_with",
	    "interacts-with",
	    "binding",
	    "association",
	    "physical",
	    "genetic",
	    "coexpression",
	    "co-expression",
	    "in-complex-with",
	    "neighbor-of",
	    "gi",
	    "interaction",
	    "complex",
	};

	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (!strcasecmp(t, u[i]))
			return 1;
	return 0;
}

/* One SIF line of n fields: "a type b c ...", or a lone node. */
static int sif_line(gf_imp *m, char **f, int n)
{
	uint32_t a, b, t;
	int directed;

	for (int i = 0; i < n; i++)
		f[i] = gf_trim(f[i]);
	if (n == 1)
		return gf_node(m, f[0], GDB_GRAPH_GENE, &a);
	if (n == 2)
		return gf_fail(m, "expected 'source type target...', found 2 "
				  "fields");
	if (!*f[0] || !*f[1])
		return gf_fail(m, "empty source or type");
	if (gf_node(m, f[0], GDB_GRAPH_GENE, &a) < 0 ||
	    gf_type(m, f[1], &t) < 0)
		return -1;
	directed = m->directed >= 0 ? m->directed : !undirected_type(f[1]);
	for (int i = 2; i < n; i++) {
		if (!*f[i])
			return gf_fail(m, "empty target (field %d)", i + 1);
		if (gf_node(m, f[i], GDB_GRAPH_GENE, &b) < 0 ||
		    gf_edge(m, a, b, t, directed, 1.0, NULL, NULL) < 0)
			return -1;
	}
	return 0;
}

int gf_parse_sif(gf_imp *m)
{
	char *line, **f = malloc(GF_MAX_FIELDS * sizeof(*f));
	size_t len;
	int rc;

	if (!f)
		return gf_oom(m);
	while ((rc = gf_next(m, &line, &len)) > 0) {
		int n;
		if (!len || line[0] == '#')
			continue;
		n = gf_split(line, strchr(line, '\t') ? '\t' : ' ', f,
			     GF_MAX_FIELDS);
		if (n < 0) {
			rc = gf_fail(m, "more than %d fields", GF_MAX_FIELDS);
			break;
		}
		while (n > 0 && !*f[n - 1])
			n--;
		if (n && (rc = sif_line(m, f, n)) < 0)
			break;
	}
	free(f);
	return rc;
}

/* ----------------------------------------------------------------- GMT */

int gf_parse_gmt(gf_imp *m)
{
	char *line, **f = malloc(GF_MAX_FIELDS * sizeof(*f));
	size_t len;
	int rc;
	uint32_t sets = 0;

	if (!f)
		return gf_oom(m);
	while ((rc = gf_next(m, &line, &len)) > 0) {
		int n;
		uint32_t pid, id;
		if (!len || line[0] == '#')
			continue;
		n = gf_split(line, '\t', f, GF_MAX_FIELDS);
		if (n < 0) {
			rc = gf_fail(m, "gene set with more than %d genes",
				     GF_MAX_FIELDS - 2);
			break;
		}
		if (n < 2 || !*gf_trim(f[0])) {
			rc = gf_fail(m, "expected 'name<TAB>description<TAB>"
					"gene...' (GMT)");
			break;
		}
		rc = gdb_graph_pathway_add(m->b, gf_trim(f[0]), f[1], &pid);
		if (rc < 0) {
			rc = gf_bfail(m, rc, "gene set name");
			break;
		}
		for (int i = 2; i < n && rc >= 0; i++) {
			char *gname = gf_trim(f[i]);
			if (!*gname)
				continue;
			rc = gf_node(m, gname, GDB_GRAPH_GENE, &id);
			if (rc == 0 && (rc = gdb_graph_pathway_member_add(
					    m->b, pid, id)) < 0)
				rc = gf_bfail(m, rc, "member");
		}
		if (rc < 0)
			break;
		sets++;
	}
	free(f);
	if (rc == 0 && !sets)
		return gf_fail(m, "no gene sets found");
	return rc;
}

/* ----------------------------------------------------------------- TSV */

static int col_index(gf_imp *m, char **h, int nh, const char *name)
{
	for (int i = 0; i < nh; i++)
		if (!strcmp(h[i], name))
			return i + 1;
	return gf_fail(m, "--columns: no column named '%s' in the header",
		       name);
}

static int parse_bool(const char *s, int *v)
{
	if (!strcasecmp(s, "true") || !strcmp(s, "1") ||
	    !strcasecmp(s, "yes") || !strcasecmp(s, "directed") ||
	    !strcasecmp(s, "t"))
		*v = 1;
	else if (!strcasecmp(s, "false") || !strcmp(s, "0") ||
		 !strcasecmp(s, "no") || !strcasecmp(s, "undirected") ||
		 !strcasecmp(s, "f"))
		*v = 0;
	else
		return -1;
	return 0;
}

/* The header row: columns named in the spec become numbers. */
static int tsv_header(gf_imp *m, char *line, char **f, int n)
{
	gf_cols *c = &m->cols;
	int *slot[6] = {&c->src,  &c->dst, &c->type,
			&c->conf, &c->dir, &c->evid};

	if (line[0] == '#')
		f[0]++;
	for (int k = 0; k < 6; k++)
		if (c->names[k]) {
			int i = col_index(m, f, n, c->names[k]);
			if (i < 0)
				return -1;
			*slot[k] = i;
		}
	return 0;
}

/* One data row of n fields. */
static int tsv_row(gf_imp *m, char **f, int n, uint32_t deft)
{
	gf_cols *c = &m->cols;
	int need = 0, dir = m->directed > 0;
	int cols[6] = {c->src, c->dst, c->type, c->conf, c->dir, c->evid};
	uint32_t a, b, t = deft;
	double conf = 1.0;
	const char *ev = NULL;

	for (int k = 0; k < 6; k++)
		if (cols[k] > need)
			need = cols[k];
	if (n < need)
		return gf_fail(m, "expected at least %d columns, found %d",
			       need, n);
	for (int i = 0; i < n; i++)
		f[i] = gf_trim(f[i]);
	if (!*f[c->src - 1] || !*f[c->dst - 1])
		return gf_fail(m, "empty source or target");
	if (c->type && *f[c->type - 1] && gf_type(m, f[c->type - 1], &t) < 0)
		return -1;
	if (c->conf) {
		char *end;
		conf = strtod(f[c->conf - 1], &end);
		if (!*f[c->conf - 1] || *end || !(conf >= 0 && conf <= 1))
			return gf_fail(m,
				       "confidence '%s' is not a number in "
				       "[0,1]",
				       f[c->conf - 1]);
	}
	if (c->dir && parse_bool(f[c->dir - 1], &dir) < 0)
		return gf_fail(m, "directed: expected true/false, found '%s'",
			       f[c->dir - 1]);
	if (c->evid)
		ev = f[c->evid - 1];
	if (gf_node(m, f[c->src - 1], GDB_GRAPH_GENE, &a) < 0 ||
	    gf_node(m, f[c->dst - 1], GDB_GRAPH_GENE, &b) < 0)
		return -1;
	return gf_edge(m, a, b, t, dir, conf, ev, NULL);
}

/* The layout of this input's first lines: header row, confidence in the
 * third column, blank separation; what was decided goes to m->note. */
static int tsv_layout(gf_imp *m, char *sep)
{
	gf_cols *c = &m->cols;
	gf_head h;
	gf_tsv_layout t;
	const char *p;
	size_t n;

	if (gf_peek(m, &p, &n) < 0)
		return -1;
	memset(&h, 0, sizeof(h));
	h.p = p;
	h.n = n;
	gf_shape_make(&h);
	gf_tsv_layout_of(&h.shape, c->conf, &t);
	*sep = h.shape.tabs || !h.shape.nlines ? '\t' : ' ';
	if (*sep == ' ')
		snprintf(m->note, sizeof(m->note), "blank-separated");
	if (c->header < 0 && t.header) {
		c->header = 1;
		snprintf(m->note + strlen(m->note),
			 sizeof(m->note) - strlen(m->note), "%sheader row",
			 *m->note ? ", " : "");
	}
	if (!c->given && t.ncols == 3) {
		const char *what = t.conf3 ? "column 3 as confidence"
				   : t.num3
				       ? "column 3 (numbers outside [0,1]) "
					 "not read: map it with --columns"
				       : "column 3 not read: map it with "
					 "--columns";
		if (t.conf3)
			c->conf = 3;
		snprintf(m->note + strlen(m->note),
			 sizeof(m->note) - strlen(m->note), "%s%s",
			 *m->note ? ", " : "", what);
	}
	return 0;
}

int gf_parse_tsv(gf_imp *m)
{
	char *line, **f = malloc(GF_MAX_FIELDS * sizeof(*f)), sep;
	gf_cols saved = m->cols; /* what this input decides is its own */
	size_t len;
	int rc = -1, first = 1, header;
	uint32_t deft;

	if (!f)
		return gf_oom(m);
	if (tsv_layout(m, &sep) < 0 ||
	    gf_type(m, m->deftype ? m->deftype : "interaction", &deft) < 0)
		goto out;
	header = m->cols.header > 0;
	while ((rc = gf_next(m, &line, &len)) > 0) {
		int n;
		if (!len || (line[0] == '#' && !(first && header)))
			continue;
		n = gf_split(line, sep, f, GF_MAX_FIELDS);
		if (n < 0) {
			rc = gf_fail(m, "more than %d columns", GF_MAX_FIELDS);
			break;
		}
		if (!n)
			continue; /* blanks only */
		if (first && header) {
			first = 0;
			if ((rc = tsv_header(m, line, f, n)) < 0)
				break;
			continue;
		}
		first = 0;
		if ((rc = tsv_row(m, f, n, deft)) < 0)
			break;
	}
out:
	m->cols = saved;
	free(f);
	return rc;
}
