/*
 * motif/set.c - building a motif set from files' texts: the format
 * guess, the parse (motif/parse.c), and the checks a file passes whole
 * before its motifs join the set (API: motif/motif.h).
 *
 * Files are small (JASPAR's whole CORE collection is a few MB), so a file
 * is parsed twice: once to count its motifs, once into room for exactly
 * that many.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "motif/motif.h"

enum gdb_motif_format gdb_motif_guess(const char *text, size_t n)
{
	static const char lpm[] = "letter-probability matrix";

	if (((n >= 12 && !memcmp(text, "MEME version", 12)) ||
	     memmem(text, n, "\nMOTIF ", 7)) &&
	    memmem(text, n, lpm, sizeof(lpm) - 1))
		return GDB_MOTIF_MEME;
	return GDB_MOTIF_JASPAR;
}

/* "line N: reason" from the parsers becomes "PATH:N: reason". */
static void file_err(char *err, size_t errlen, const char *path,
		     const char *msg)
{
	unsigned long line;
	char *end;

	if (!strncmp(msg, "line ", 5) &&
	    (line = strtoul(msg + 5, &end, 10)) > 0 && !strncmp(end, ": ", 2))
		gdb_seterr(err, errlen, "%s:%lu: %s", path, line, end + 2);
	else
		gdb_seterr(err, errlen, "%s: %s", path, msg);
}

/* The file name without directories and extensions: a bare .pfm's id. */
static void stem_of(const char *path, char *dst)
{
	const char *b = strrchr(path, '/');
	size_t k;

	b = b ? b + 1 : path;
	k = strcspn(b, ".");
	if (k == 0 || k > 63)
		k = strlen(b) < 63 ? strlen(b) : 63;
	memcpy(dst, b, k);
	dst[k] = 0;
}

/* An id becomes the file name <id>.bed under pwm/ (PATHS.md). */
static int id_ok(const char *id)
{
	if (!strcmp(id, ".") || !strcmp(id, ".."))
		return 0;
	for (const char *p = id; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '/' ||
		    *p == '@' || *p == '%')
			return 0;
	return 1;
}

static int parse(enum gdb_motif_format fmt, const char *text, size_t n,
		 gdb_motif *out, size_t cap, char *err, size_t errlen)
{
	return fmt == GDB_MOTIF_MEME
		   ? gdb_motif_parse_meme(text, n, out, cap, err, errlen)
		   : gdb_motif_parse_jaspar(text, n, out, cap, err, errlen);
}

/* Motif m (the i-th new one, after have) may join the set. */
static int check_one(const gdb_motif *all, size_t have, gdb_motif *m,
		     const char *path, char *err, size_t errlen)
{
	gdb_pwm pwm;

	if (!m->id[0])
		stem_of(path, m->id);
	if (!id_ok(m->id)) {
		gdb_seterr(err, errlen,
			   "%s: motif id '%s' cannot name a file: an id holds "
			   "no '/', '@', '%%' or control bytes and is not '.' "
			   "or '..'",
			   path, m->id);
		return GDB_EFORMAT;
	}
	if (gdb_pwm_from_counts(m, NULL, 0.8, &pwm) < 0) {
		gdb_seterr(err, errlen,
			   "%s: motif %s: not a count or probability matrix "
			   "(a negative value, or a column that sums to 0)",
			   path, m->id);
		return GDB_EFORMAT;
	}
	for (size_t j = 0; j < have; j++)
		if (!strcmp(all[j].id, m->id)) {
			gdb_seterr(err, errlen,
				   "%s: motif id %s appears twice in the set",
				   path, m->id);
			return GDB_EFORMAT;
		}
	return 0;
}

int gdb_motif_set_add(gdb_motif_set *set, const char *path, const char *text,
		      size_t n, enum gdb_motif_format fmt, char *err,
		      size_t errlen)
{
	char msg[512];
	gdb_motif *p;
	int k;

	if ((unsigned)fmt > GDB_MOTIF_MEME) {
		gdb_seterr(err, errlen, "%s: unknown format %d", path,
			   (int)fmt);
		return -EINVAL;
	}
	if (memchr(text, 0, n)) {
		gdb_seterr(err, errlen, "%s: binary data, not a motif file",
			   path);
		return GDB_EFORMAT;
	}
	if (fmt == GDB_MOTIF_GUESS)
		fmt = gdb_motif_guess(text, n);
	k = parse(fmt, text, n, NULL, 0, msg, sizeof(msg));
	if (k < 0) {
		file_err(err, errlen, path,
			 k == -ENOMEM ? "out of memory" : msg);
		return k;
	}
	if (k == 0) {
		gdb_seterr(err, errlen,
			   "%s: no motifs found (is it JASPAR or MEME?)", path);
		return GDB_EFORMAT;
	}
	p = realloc(set->m, (set->n + (size_t)k) * sizeof(*p));
	if (!p) {
		gdb_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	set->m = p;
	k = parse(fmt, text, n, p + set->n, (size_t)k, msg, sizeof(msg));
	if (k < 0) {
		file_err(err, errlen, path,
			 k == -ENOMEM ? "out of memory" : msg);
		return k;
	}
	for (int i = 0; i < k; i++) {
		int rc = check_one(p, set->n + (size_t)i,
				   &p[set->n + (size_t)i], path, err, errlen);
		if (rc < 0)
			return rc;
	}
	set->n += (size_t)k;
	return k;
}

void gdb_motif_set_free(gdb_motif_set *set)
{
	if (!set)
		return;
	free(set->m);
	set->m = NULL;
	set->n = 0;
}
