/*
 * fs/ns/pathname.c - the one grammar of names on the mount, used by every
 * namespace and by the command line (docs/PATHS.md "Names",
 * "Coordinates", "Parameters"):
 *
 *   <start>-<end>         1-based inclusive positions, decimal digits only;
 *                         an end past the sequence is clamped whatever its
 *                         digits (gdb_path_range)
 *   NAME[:FROM[-TO]]      a samtools region string, commas allowed in the
 *                         numbers, {NAME} for names holding ':' (the
 *                         command line and control lines; gdb_path_region)
 *   <stem>[@k=v,...]<ext> a file name with parameters, each checked against
 *                         a typed spec (gdb_path_split, gdb_params_parse)
 *   %XX                   escapes: contig names spell '/', '%' and the
 *                         names "." and ".." one way only, and a contig's
 *                         directory never looks like a file (a final ".fa",
 *                         ".fai" or ".dict" has its dot as %2E)
 *                         (gdb_path_escape[_dir], gdb_path_unescape[_dir]);
 *                         parameter values and gene names take any %XX but
 *                         NUL (gdb_path_decode)
 *
 * Errors: a name whose shape is wrong is -ENOENT (it names nothing); a
 * well-shaped name with a bad parameter is -EINVAL, with a message that
 * names the parameter. Positions never overflow: digits past 64 bits read
 * as "more than any sequence".
 *
 * No state, no allocation: every call works on the caller's buffers.
 */
#include "fs/ns/ns.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Decimal digits p[0..n) (commas skipped if commas is set) into *v,
 * saturating at INT64_MAX. @return 0, or -1 if there is no digit or a
 * byte that is not one.
 */
static int parse_pos(const char *p, size_t n, int commas, int64_t *v)
{
	int64_t x = 0;
	int digits = 0;

	for (size_t i = 0; i < n; i++) {
		int d = p[i] - '0';
		if (commas && p[i] == ',')
			continue;
		if (d < 0 || d > 9)
			return -1;
		digits++;
		x = x > (INT64_MAX - d) / 10 ? INT64_MAX : x * 10 + d;
	}
	if (!digits)
		return -1;
	*v = x;
	return 0;
}

int gdb_path_range(const char *p, size_t n, int64_t length, int64_t *beg,
		   int64_t *end)
{
	const char *dash = memchr(p, '-', n);
	int64_t a, b;

	if (!dash || parse_pos(p, (size_t)(dash - p), 0, &a) < 0 ||
	    parse_pos(dash + 1, n - (size_t)(dash - p) - 1, 0, &b) < 0)
		return -ENOENT;
	if (a < 1 || a > length || b < a)
		return -ENOENT;
	*beg = a - 1;
	*end = b < length ? b : length;
	return 0;
}

/* FROM[-[TO]] of a region string; TO defaults to "to the end". */
static int region_range(const char *r, int64_t *from, int64_t *to)
{
	const char *dash = strchr(r, '-');
	size_t n = strlen(r);

	*to = INT64_MAX;
	if (parse_pos(r, dash ? (size_t)(dash - r) : n, 1, from) < 0)
		return -1;
	if (dash && dash[1] && parse_pos(dash + 1, strlen(dash + 1), 1, to) < 0)
		return -1;
	return 0;
}

int gdb_path_region(const gdb_store *s, uint32_t asm_index, const char *text,
		    uint32_t *contig, int64_t *beg, int64_t *end, char *err,
		    size_t errlen)
{
	char name[GDB_NAME_MAX + 1];
	const char *range = NULL, *cut;
	int64_t from = 1, to = INT64_MAX, len;
	size_t n;
	int id = gdb_store_contig_find(s, asm_index, text);

	if (id < 0) {
		/* a name that exists whole wins; else {NAME}[:R] or NAME:R */
		if (text[0] == '{') {
			cut = strchr(text, '}');
			if (!cut || (cut[1] && cut[1] != ':')) {
				gdb_seterr(err, errlen, "%s: malformed region",
					   text);
				return -EINVAL;
			}
			n = (size_t)(cut - text - 1);
			range = cut[1] ? cut + 2 : NULL;
			text++;
		} else if ((cut = strrchr(text, ':'))) {
			n = (size_t)(cut - text);
			range = cut + 1;
		} else {
			n = GDB_NAME_MAX + 1;
		}
		if (n > GDB_NAME_MAX)
			goto unknown;
		memcpy(name, text, n);
		name[n] = 0;
		id = gdb_store_contig_find(s, asm_index, name);
		if (id < 0)
			goto unknown;
		if (range && *range && region_range(range, &from, &to) < 0) {
			gdb_seterr(err, errlen, "%s: malformed region", text);
			return -EINVAL;
		}
	}
	len = gdb_store_contig(s, (uint32_t)id)->length;
	if (from < 1 || to < from || from > len) {
		gdb_seterr(err, errlen, "%s: %s", text,
			   from < 1    ? "start must be at least 1"
			   : to < from ? "end before start"
				       : "start past the end");
		return -EINVAL;
	}
	*contig = (uint32_t)id;
	*beg = from - 1;
	*end = to < len ? to : len;
	return 0;
unknown:
	gdb_seterr(err, errlen, "%s: unknown sequence", text);
	return -ENOENT;
}

int gdb_path_components(char *path, char **comp, int max)
{
	int n = 0;

	if (!*path)
		return 0;
	for (char *p = path;; p++) {
		if (n == max)
			return -1;
		comp[n++] = p;
		if (!(p = strchr(p, '/')))
			return n;
		*p = 0;
	}
}

int gdb_path_split(char *name, const char *ext, char **stem, char **params)
{
	size_t nl = strlen(name), el = strlen(ext);
	char *at;

	if (nl <= el || strcmp(name + nl - el, ext))
		return -ENOENT;
	name[nl - el] = 0;
	at = strchr(name, '@');
	*params = NULL;
	if (at) {
		*at = 0;
		*params = at + 1;
	}
	*stem = name;
	return 0;
}

/* ---- escapes ---- */

void gdb_path_escape(const char *name, char *out)
{
	int dots = !strcmp(name, ".") || !strcmp(name, "..");

	for (; *name; name++) {
		if (*name == '/' || *name == '%' || (dots && *name == '.')) {
			sprintf(out, "%%%02X", (unsigned char)*name);
			out += 3;
		} else {
			*out++ = *name;
		}
	}
	*out = 0;
}

/*
 * A contig's directory must not be named like a file beside it (its own
 * "<name>.fa", the assembly's "<asm>.fa", ".fa.fai", ".dict"): a name that
 * ends in ".fa", ".fai" or ".dict" has that dot written %2E as a directory.
 */
void gdb_path_escape_dir(const char *name, char *out)
{
	static const char *const ext[] = {".fa", ".fai", ".dict"};
	size_t n;

	gdb_path_escape(name, out);
	n = strlen(out);
	for (size_t i = 0; i < 3; i++) {
		size_t el = strlen(ext[i]);
		if (n >= el && !strcmp(out + n - el, ext[i])) {
			memmove(out + n - el + 3, out + n - el + 1, el);
			memcpy(out + n - el, "%2E", 3);
			return;
		}
	}
}

/* Decode comp and accept it only as the one spelling escape gives. */
static int unescape_as(const char *comp, char *out, size_t outcap,
		       void (*escape)(const char *, char *))
{
	char tmp[GDB_SEQ_NAME_MAX];
	size_t n = 0;

	for (const char *p = comp; *p; p++) {
		char c = *p;
		if (c == '%') {
			if (!strncmp(p + 1, "2F", 2))
				c = '/';
			else if (!strncmp(p + 1, "25", 2))
				c = '%';
			else if (!strncmp(p + 1, "2E", 2))
				c = '.';
			else
				return -ENOENT;
			p += 2;
		}
		if (n + 1 >= outcap || n >= GDB_NAME_MAX)
			return -ENOENT;
		out[n++] = c;
	}
	out[n] = 0;
	escape(out, tmp);
	return strcmp(tmp, comp) ? -ENOENT : 0;
}

int gdb_path_unescape(const char *comp, char *out, size_t outcap)
{
	return unescape_as(comp, out, outcap, gdb_path_escape);
}

int gdb_path_unescape_dir(const char *comp, char *out, size_t outcap)
{
	return unescape_as(comp, out, outcap, gdb_path_escape_dir);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int gdb_path_decode(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		int hi, lo;
		if (*r != '%') {
			*w++ = *r;
			continue;
		}
		hi = hexval(r[1]);
		lo = hi < 0 ? -1 : hexval(r[2]);
		if (lo < 0 || (hi | lo) == 0)
			return -EINVAL;
		*w++ = (char)(hi << 4 | lo);
		r += 2;
	}
	*w = 0;
	return 0;
}

/* ---- parameters ---- */

/* Is word one of the '|'-separated words? @return its index or -1. */
static int word_index(const char *words, const char *word)
{
	size_t wl = strlen(word);
	int i = 0;

	for (const char *p = words; p && *p; i++) {
		const char *bar = strchr(p, '|');
		size_t l = bar ? (size_t)(bar - p) : strlen(p);
		if (l == wl && !strncmp(p, word, l))
			return i;
		p = bar ? bar + 1 : NULL;
	}
	return -1;
}

static void put_default(const gdb_param *sp, void *out)
{
	char *at = (char *)out + sp->offset;

	switch (sp->type) {
	case GDB_PARAM_INT: {
		int64_t v = (int64_t)sp->def;
		memcpy(at, &v, sizeof(v));
		break;
	}
	case GDB_PARAM_REAL:
		memcpy(at, &sp->def, sizeof(sp->def));
		break;
	case GDB_PARAM_ENUM: {
		int v = (int)sp->def;
		memcpy(at, &v, sizeof(v));
		break;
	}
	case GDB_PARAM_TEXT:
	case GDB_PARAM_LIST: {
		const char *v = NULL;
		memcpy(at, &v, sizeof(v));
		break;
	}
	}
}

/* One value by its spec. @return 0, or -EINVAL with the reason in err. */
static int put_value(const gdb_param *sp, const char *v, void *out, char *err,
		     size_t errlen)
{
	char *at = (char *)out + sp->offset, *end;
	int64_t iv;
	double dv;
	int k;

	switch (sp->type) {
	case GDB_PARAM_INT:
		if (sp->words && word_index(sp->words, v) >= 0) {
			iv = INT64_MAX;
		} else if (parse_pos(v + (*v == '-'), strlen(v) - (*v == '-'),
				     0, &iv) < 0 ||
			   (*v == '-' ? -(double)iv : (double)iv) < sp->min ||
			   (*v == '-' ? -(double)iv : (double)iv) > sp->max) {
			gdb_seterr(err, errlen,
				   "parameter '%s': '%s' is not an "
				   "integer in %.0f..%.0f%s%s",
				   sp->name, v, sp->min, sp->max,
				   sp->words ? " or " : "",
				   sp->words ? sp->words : "");
			return -EINVAL;
		} else if (*v == '-') {
			iv = -iv;
		}
		memcpy(at, &iv, sizeof(iv));
		return 0;
	case GDB_PARAM_REAL:
		/* decimal or e-notation only: no blanks, hex, inf or nan */
		dv = strtod(v, &end);
		if (!strchr("+-.0123456789", v[0]) || end == v || *end ||
		    !isfinite(dv) || dv < sp->min || dv > sp->max ||
		    strpbrk(v, "xX")) {
			gdb_seterr(err, errlen,
				   "parameter '%s': '%s' is not a "
				   "number in [%g, %g]",
				   sp->name, v, sp->min, sp->max);
			return -EINVAL;
		}
		memcpy(at, &dv, sizeof(dv));
		return 0;
	case GDB_PARAM_ENUM:
		k = word_index(sp->words, v);
		if (k < 0) {
			gdb_seterr(err, errlen,
				   "parameter '%s': '%s' is not one "
				   "of %s",
				   sp->name, v, sp->words);
			return -EINVAL;
		}
		memcpy(at, &k, sizeof(k));
		return 0;
	case GDB_PARAM_TEXT:
	case GDB_PARAM_LIST:
		memcpy(at, &v, sizeof(v));
		return 0;
	}
	return -EINVAL;
}

static void list_names(const gdb_param *spec, size_t n, char *buf, size_t cap)
{
	size_t used = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && used < cap; i++) {
		int k = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "",
				 spec[i].name);
		if (k < 0)
			break;
		used += (size_t)k;
	}
}

/* The spec whose key is the k bytes at p, or n. */
static size_t spec_find(const gdb_param *spec, size_t n, const char *p,
			size_t k)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(spec[i].name) == k && !strncmp(spec[i].name, p, k))
			break;
	return i;
}

/*
 * Where the item at item ends: its first ',', but a LIST value runs on
 * over every ',' that does not begin "key=" of a key in the table.
 * @return the ',' (NULL: the item runs to the end)
 */
static char *item_end(const gdb_param *spec, size_t n, char *item)
{
	size_t k = strcspn(item, "=,");
	size_t i = spec_find(spec, n, item, k);
	char *c = strchr(item, ',');

	if (i == n || spec[i].type != GDB_PARAM_LIST || item[k] != '=')
		return c;
	for (; c; c = strchr(c + 1, ',')) {
		size_t kl = strcspn(c + 1, "=,");
		if (c[1 + kl] == '=' && spec_find(spec, n, c + 1, kl) < n)
			break;
	}
	return c;
}

int gdb_params_parse(const gdb_param *spec, size_t n, char *text, void *out,
		     char *err, size_t errlen)
{
	uint64_t seen = 0;

	if (n > 64)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		put_default(&spec[i], out);
	if (!text)
		return 0;
	for (char *item = text, *next; item; item = next) {
		char *eq, names[256];
		size_t i;
		next = item_end(spec, n, item);
		if (next)
			*next++ = 0;
		if (!*item) {
			gdb_seterr(err, errlen, "an empty parameter after '@'");
			return -EINVAL;
		}
		eq = strchr(item, '=');
		if (eq)
			*eq = 0;
		i = spec_find(spec, n, item, strlen(item));
		if (i == n) {
			list_names(spec, n, names, sizeof(names));
			gdb_seterr(err, errlen, "unknown parameter '%s' (%s)",
				   item, n ? names : "this file takes none");
			return -EINVAL;
		}
		if (!eq || !eq[1]) {
			gdb_seterr(err, errlen, "parameter '%s' has no value",
				   item);
			return -EINVAL;
		}
		/* aliases share the place of their value */
		for (size_t j = 0; j < n; j++) {
			if (spec[j].offset != spec[i].offset)
				continue;
			if (seen & (1ull << j)) {
				gdb_seterr(err, errlen,
					   "parameter '%s' given "
					   "twice",
					   item);
				return -EINVAL;
			}
			seen |= 1ull << j;
		}
		if (spec[i].type != GDB_PARAM_LIST &&
		    (gdb_path_decode(eq + 1) < 0 || !eq[1])) {
			gdb_seterr(err, errlen,
				   "parameter '%s': a malformed "
				   "%%XX escape",
				   item);
			return -EINVAL;
		}
		GDB_TRY(put_value(&spec[i], eq + 1, out, err, errlen));
	}
	return 0;
}
