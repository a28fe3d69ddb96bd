/*
 * graph/formats/xml.c - the XML the KGML and SBML readers need: a small
 * non-validating tokenizer that turns a whole document into a flat list
 * of elements (name, parent, attributes with entities decoded, line,
 * extent of descendants). Text content is not kept; comments, CDATA,
 * processing instructions and the DOCTYPE are skipped. No XML library:
 * these files are a few MB and the readers need elements and attributes
 * only.
 *
 * The text is tokenized in place: names and values are NUL-terminated
 * pieces of d->text.
 */
#define _GNU_SOURCE
#include "graph/formats/formats.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void gf_xdoc_free(gf_xdoc *d)
{
	free(d->text);
	free(d->el);
	free(d->at);
	memset(d, 0, sizeof(*d));
}

const char *gf_xget(const gf_xdoc *d, uint32_t e, const char *local)
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

/* Code point v as UTF-8 at w. @return the byte after */
static char *utf8(char *w, unsigned long v)
{
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
	return w;
}

/* Decode entities in place (the decoded form is never longer than the
 * reference). @return 0 or -1 */
static int xdecode(char *s)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"lt", '<'},
		     {"gt", '>'},
		     {"amp", '&'},
		     {"quot", '"'},
		     {"apos", '\''}};
	char *w = s;

	for (char *r = s; *r;) {
		char *semi;
		size_t k;
		if (*r != '&') {
			*w++ = *r++;
			continue;
		}
		semi = strchr(r, ';');
		if (!semi || semi - r > 10)
			return -1;
		*semi = 0;
		for (k = 0; k < sizeof(named) / sizeof(named[0]); k++)
			if (!strcmp(r + 1, named[k].name))
				break;
		if (k < sizeof(named) / sizeof(named[0])) {
			*w++ = named[k].c;
		} else if (r[1] == '#') {
			char *end;
			unsigned long v = r[2] == 'x'
					      ? strtoul(r + 3, &end, 16)
					      : strtoul(r + 2, &end, 10);
			if (*end || !v || v > 0x10ffff)
				return -1;
			w = utf8(w, v);
		} else {
			return -1;
		}
		r = semi + 1;
	}
	*w = 0;
	return 0;
}

static int xml_read(gf_imp *m, gf_xdoc *d)
{
	const char *z;
	size_t len;

	if (gf_read_all(m, GF_XML_MAX, &d->text, &len) < 0)
		return -1;
	z = memchr(d->text, 0, len);
	if (z) {
		m->line = 1; /* the NUL's line */
		for (const char *q = d->text; q < z; q++)
			m->line += *q == '\n';
		return gf_fail(m, "NUL byte in XML");
	}
	return 0;
}

/* The tokenizer's state. */
typedef struct xp {
	gf_imp *m;
	gf_xdoc *d;
	uint32_t stack[256];
	int depth, root_seen;
} xp;

static void count_lines(xp *x, const char *a, const char *b)
{
	for (const char *q = a; q < b; q++)
		x->m->line += *q == '\n';
}

/* Comments, CDATA, <?...?> and <!...> (DOCTYPE with its [...] subset).
 * @return the byte after, NULL on error, p itself if p is none of them */
static char *skip_markup(xp *x, char *p)
{
	static const struct {
		const char *open, *close, *what;
	} pairs[] = {{"<!--", "-->", "unterminated comment"},
		     {"<![CDATA[", "]]>", "unterminated CDATA section"}};

	for (size_t i = 0; i < 2; i++) {
		size_t ol = strlen(pairs[i].open);
		char *e;
		if (strncmp(p, pairs[i].open, ol))
			continue;
		e = strstr(p + ol, pairs[i].close);
		if (!e) {
			gf_fail(x->m, "%s", pairs[i].what);
			return NULL;
		}
		count_lines(x, p, e);
		return e + 3;
	}
	if (p[1] == '?' || p[1] == '!') {
		int br = 0;
		char *q = p + 2;
		for (; *q && (br || *q != '>'); q++) {
			br += (*q == '[') - (*q == ']');
			x->m->line += *q == '\n';
		}
		if (!*q) {
			gf_fail(x->m, "unterminated '<%c'", p[1]);
			return NULL;
		}
		return q + 1;
	}
	return p;
}

static char *end_tag(xp *x, char *p)
{
	char *q = p + 2, *nm = q, save;
	gf_xel *e;

	while (*q && *q != '>' && *q != ' ' && *q != '\t' && *q != '\n' &&
	       *q != '\r')
		q++;
	save = *q;
	*q = 0;
	if (!x->depth) {
		gf_fail(x->m, "closing tag </%s> with nothing open", nm);
		return NULL;
	}
	e = &x->d->el[x->stack[x->depth - 1]];
	if (strcmp(lname(nm), e->name)) {
		gf_fail(x->m,
			"closing tag </%s> does not match <%s> (line "
			"%llu)",
			nm, e->name, (unsigned long long)e->line);
		return NULL;
	}
	e->end = x->d->nel;
	*q = save;
	while (*q && *q != '>') {
		x->m->line += *q == '\n';
		q++;
	}
	if (!*q) {
		gf_fail(x->m, "unterminated closing tag");
		return NULL;
	}
	x->depth--;
	return q + 1;
}

static int push_attr(xp *x, gf_xel *e, char *an, char *av)
{
	gf_xdoc *d = x->d;

	if (d->nat == d->atcap) {
		uint32_t nc = d->atcap ? d->atcap * 2 : 4096;
		gf_xattr *pa = realloc(d->at, nc * sizeof(*pa));
		if (!pa)
			return gf_oom(x->m);
		d->at = pa;
		d->atcap = nc;
	}
	d->at[d->nat++] = (gf_xattr){an, av};
	e->nattr++;
	return 0;
}

/* One attribute at *pq (name = "value"). */
static int attribute(xp *x, gf_xel *e, char **pq)
{
	char *q = *pq, *an = q, *av, quote;

	while (*q && !strchr(" \t\r\n=/>", *q))
		q++;
	if (*q != '=') {
		while (*q == ' ' || *q == '\t')
			*q++ = 0;
		if (*q != '=')
			return gf_fail(x->m,
				       "attribute '%.*s' in <%s> has no "
				       "value",
				       (int)(q - an), an, e->name);
	}
	*q++ = 0;
	while (*q == ' ' || *q == '\t')
		q++;
	quote = *q;
	if (quote != '"' && quote != '\'')
		return gf_fail(x->m,
			       "attribute '%s' in <%s>: value not "
			       "quoted",
			       an, e->name);
	av = ++q;
	while (*q && *q != quote) {
		if (*q == '<')
			return gf_fail(x->m, "'<' in attribute '%s' of <%s>",
				       an, e->name);
		x->m->line += *q == '\n';
		q++;
	}
	if (!*q)
		return gf_fail(x->m,
			       "unterminated value of attribute '%s' in "
			       "<%s>",
			       an, e->name);
	*q++ = 0;
	if (xdecode(av) < 0)
		return gf_fail(x->m, "bad entity in attribute '%s' of <%s>", an,
			       e->name);
	*pq = q;
	return push_attr(x, e, an, av);
}

/* The attributes of e up to '>' or "/>". @return 1 self-closing, 0 open,
 * -1 on error */
static int attributes(xp *x, gf_xel *e, char **pq)
{
	char *q = *pq;

	for (;;) {
		int was_space = 0;
		while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n') {
			x->m->line += *q == '\n';
			*q++ = 0;
			was_space = 1;
		}
		if (*q == '>') {
			*q = 0;
			*pq = q + 1;
			return 0;
		}
		if (*q == '/' && q[1] == '>') {
			*q = 0;
			*pq = q + 2;
			return 1;
		}
		if (!*q)
			return gf_fail(x->m, "unterminated tag <%s>", e->name);
		if (!was_space && e->nattr)
			return gf_fail(x->m,
				       "no blank between attributes in "
				       "<%s>",
				       e->name);
		if (attribute(x, e, &q) < 0)
			return -1;
	}
}

static char *start_tag(xp *x, char *p)
{
	gf_xdoc *d = x->d;
	char *q = p + 1, *nm = q, c;
	gf_xel *e;
	int selfclose;

	if (!(isalpha((unsigned char)*q) || *q == '_')) {
		gf_fail(x->m, "malformed tag '<%.10s'", q);
		return NULL;
	}
	while (*q && !strchr(" \t\r\n/>", *q))
		q++;
	if (!*q) {
		gf_fail(x->m, "unterminated tag <%s", nm);
		return NULL;
	}
	if (d->nel == d->elcap) {
		uint32_t nc = d->elcap ? d->elcap * 2 : 1024;
		gf_xel *pe = realloc(d->el, nc * sizeof(*pe));
		if (!pe) {
			gf_oom(x->m);
			return NULL;
		}
		d->el = pe;
		d->elcap = nc;
	}
	if (!x->depth && x->root_seen) {
		gf_fail(x->m, "more than one root element");
		return NULL;
	}
	x->root_seen = 1;
	e = &d->el[d->nel];
	e->parent = x->depth ? x->stack[x->depth - 1] : UINT32_MAX;
	e->attr = d->nat;
	e->nattr = 0;
	e->line = x->m->line;
	e->end = d->nel + 1;
	c = *q;
	*q = 0;
	e->name = (char *)lname(nm);
	*q = c;
	selfclose = attributes(x, e, &q);
	if (selfclose < 0)
		return NULL;
	d->nel++;
	if (!selfclose) {
		if (x->depth == (int)(sizeof(x->stack) / sizeof(x->stack[0]))) {
			gf_fail(x->m, "elements nested deeper than 256");
			return NULL;
		}
		x->stack[x->depth++] = d->nel - 1;
	}
	return q;
}

/* Tokenize d->text into elements. */
static int xml_parse(gf_imp *m, gf_xdoc *d)
{
	xp x = {.m = m, .d = d};
	char *p = d->text;

	m->line = 1;
	while (*p) {
		char *lt = strchr(p, '<'), *q;
		count_lines(&x, p, lt ? lt : p + strlen(p));
		if (!lt)
			break;
		p = lt;
		q = skip_markup(&x, p);
		if (q != p)
			p = q;
		else if (p[1] == '/')
			p = end_tag(&x, p);
		else
			p = start_tag(&x, p);
		if (!p)
			return -1;
	}
	if (x.depth)
		return gf_fail(
		    m,
		    "end of file inside <%s> (opened at line "
		    "%llu)",
		    d->el[x.stack[x.depth - 1]].name,
		    (unsigned long long)d->el[x.stack[x.depth - 1]].line);
	if (!x.root_seen)
		return gf_fail(m, "no XML element found");
	return 0;
}

int gf_xml_load(gf_imp *m, gf_xdoc *d)
{
	if (xml_read(m, d) < 0 || xml_parse(m, d) < 0)
		return -1;
	return 0;
}
