/*
 * annotations/import.c - `genomedb import annotations` as a library call:
 * one file (plain, gzip or bgzip, read through htslib's BGZF, which also
 * notices a truncated BGZF file) into one set, in one store transaction.
 *
 * Order: take the writer lock, map the current generation to find the
 * reference assembly and check that the set is new, read the rename file,
 * feed every line to the builder, resolve and index, write, record
 * provenance, commit. Any error before the commit aborts the transaction,
 * which removes every file it wrote: the store stays byte-identical.
 */
#include <errno.h>
#include <htslib/bgzf.h>
#include <htslib/kstring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "annotations/annot_int.h"
#include "seq/seq.h"

static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(s + n - k, suffix, k);
}

/* The format a file name says (.gff3, .gtf, .bed, under .gz/.bgz), or 0. */
static int format_of_name(const char *path)
{
	size_t n = strlen(path);

	if (ends_with(path, n, ".gz"))
		n -= 3;
	else if (ends_with(path, n, ".bgz"))
		n -= 4;
	if (ends_with(path, n, ".gff3"))
		return GDB_ANNOT_GFF3;
	if (ends_with(path, n, ".gtf"))
		return GDB_ANNOT_GTF;
	if (ends_with(path, n, ".bed"))
		return GDB_ANNOT_BED;
	return 0;
}

/* GTF if column 9 of the first feature line reads `key "value"`, BED if
 * the line has not nine columns, else GFF3. */
static int format_of_line(const char *p, size_t n)
{
	const char *c = p, *q;
	int tabs = 0;

	for (q = p; q < p + n; q++)
		if (*q == '\t' && ++tabs == 8)
			c = q + 1;
	if (tabs != 8)
		return GDB_ANNOT_BED;
	for (q = c; q < p + n && *q != '=' && *q != '"'; q++)
		;
	return q < p + n && *q == '"' ? GDB_ANNOT_GTF : GDB_ANNOT_GFF3;
}

static int open_bgzf(const char *path, BGZF **out, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0 || S_ISDIR(st.st_mode)) {
		int rc = S_ISDIR(st.st_mode) ? -EISDIR : -errno;
		gdb_seterr(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	*out = bgzf_open(path, "r");
	if (!*out) {
		int rc = errno ? -errno : -EIO;
		gdb_seterr(err, errlen, "%s: cannot open: %s", path,
			   strerror(-rc));
		return rc;
	}
	return 0;
}

/*
 * Every line of path to fn(arg, line, len, lineno) until fn returns
 * non-zero (its value is returned). A read error or a BGZF file without
 * its end-of-file block is a truncated file, named with the line reached.
 */
static int each_line(const char *path,
		     int (*fn)(void *arg, const char *p, size_t n,
			       uint64_t lineno),
		     void *arg, char *err, size_t errlen)
{
	kstring_t ks = KS_INITIALIZE;
	uint64_t lineno = 0;
	BGZF *fp;
	int rc, r;

	GDB_TRY(open_bgzf(path, &fp, err, errlen));
	while ((r = bgzf_getline(fp, '\n', &ks)) >= 0) {
		rc = fn(arg, ks.s, ks.l, ++lineno);
		if (rc)
			goto out;
	}
	rc = 0;
	if (r < -1 ||
	    (fp->is_compressed && !fp->is_gzip && bgzf_check_EOF(fp) == 0)) {
		gdb_seterr(err, errlen,
			   "%s:%llu: truncated or damaged %s "
			   "input (%s)",
			   path, (unsigned long long)lineno + 1,
			   fp->is_gzip ? "gzip" : "BGZF",
			   r < -1 ? "read error" : "no BGZF end-of-file block");
		rc = GDB_EFORMAT;
	}
out:
	bgzf_close(fp);
	free(ks.s);
	return rc;
}

static int sniff_line(void *arg, const char *p, size_t n, uint64_t lineno)
{
	int *fmt = arg;

	(void)lineno;
	if (!n || p[0] == '#' || (n >= 5 && !memcmp(p, "track", 5)) ||
	    (n >= 7 && !memcmp(p, "browser", 7)))
		return 0;
	*fmt = format_of_line(p, n);
	return 1;
}

/* What each_line's callbacks below work on. */
struct line_ctx {
	gdb_annot_builder *b;
	const char *path;
	char *err;
	size_t errlen;
};

/* ---- the rename file ---- */

static int rename_line(void *arg, const char *p, size_t n, uint64_t lineno)
{
	struct line_ctx *r = arg;
	char a[GDB_NAME_MAX + 1], c[GDB_NAME_MAX + 1], *line;
	int k, rc;

	if (!n || p[0] == '#')
		return 0;
	line = strndup(p, n);
	if (!line)
		return -ENOMEM;
	k = sscanf(line, "%255s %255s", a, c);
	free(line);
	if (k == EOF)
		return 0;
	if (k != 2) {
		gdb_seterr(r->err, r->errlen,
			   "%s:%llu: expected 'ALIAS "
			   "CONTIG' (the seqid in the file, then the "
			   "reference's contig)",
			   r->path, (unsigned long long)lineno);
		return GDB_EFORMAT;
	}
	rc = gdb_annot_builder_alias(r->b, a, c);
	if (rc == -ENOENT || rc == -EEXIST) {
		gdb_seterr(
		    r->err, r->errlen,
		    rc == -ENOENT
			? "%s:%llu: '%s' is not a contig of the reference"
			: "%s:%llu: seqid '%s' is renamed twice",
		    r->path, (unsigned long long)lineno, rc == -ENOENT ? c : a);
		return GDB_EFORMAT;
	}
	return rc;
}

/* ---- the lines ---- */

static int feed_line(void *arg, const char *p, size_t n, uint64_t lineno)
{
	struct line_ctx *f = arg;
	int rc = gdb_annot_builder_line(f->b, p, n, f->path, lineno, f->err,
					f->errlen);

	if (rc == -ENOMEM || rc == -E2BIG)
		gdb_seterr(f->err, f->errlen, "%s:%llu: %s", f->path,
			   (unsigned long long)lineno, gdb_strerror(rc));
	return rc; /* 1 at ##FASTA stops the reading */
}

/* ---- provenance ---- */

/* The file's size and SHA-256 on disk, through seq/'s reader of input
 * files (the one every importer shares), once the parse has succeeded. */
static int record_provenance(gdb_txn *t, const gdb_annot_import_opts *o,
			     const char *target, char *err, size_t errlen)
{
	gdb_provenance p;
	gdb_src *src;
	char *buf = malloc(1 << 20);
	ssize_t k = 0;
	int rc = buf ? gdb_src_open(o->file, &src, err, errlen) : -ENOMEM;

	if (rc < 0) {
		free(buf);
		return rc;
	}
	while ((k = gdb_src_read(src, buf, 1 << 20, err, errlen)) > 0)
		;
	if (k == 0) {
		gdb_src_provenance(src, target, o->file, o->command, &p);
		rc = gdb_txn_provenance(t, &p);
	} else {
		rc = -EIO;
	}
	gdb_src_close(src);
	free(buf);
	return rc;
}

/* ---- the import ---- */

/* The reference's contigs as the builder wants them. */
static int reference_table(const gdb_store *s, const char *asmname,
			   gdb_annot_refcontig **out, uint32_t *n, char *err,
			   size_t errlen)
{
	int ai = gdb_store_assembly_find(s, asmname);
	const gdb_assembly *a;

	if (ai < 0) {
		gdb_seterr(err, errlen,
			   "%s: no assembly '%s' (import its FASTA "
			   "first)",
			   gdb_store_path(s), asmname);
		return -ENOENT;
	}
	a = gdb_store_assembly(s, (uint32_t)ai);
	*out = calloc(a->ncontigs ? a->ncontigs : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (uint32_t i = 0; i < a->ncontigs; i++) {
		const gdb_contig *c = gdb_store_contig(s, a->first_contig + i);
		(*out)[i].name = c->name;
		(*out)[i].length = c->length;
	}
	*n = a->ncontigs;
	return 0;
}

static int build_set(const gdb_annot_import_opts *o, const gdb_store *s,
		     int fmt, gdb_annot_builder **out,
		     gdb_annot_build_stats *st, char *err, size_t errlen)
{
	gdb_annot_refcontig *ref = NULL;
	gdb_annot_builder *b = NULL;
	uint32_t nref = 0;
	int rc = reference_table(s, o->reference, &ref, &nref, err, errlen);

	if (rc == 0)
		rc = gdb_annot_builder_new(fmt, ref, nref, o->flags, &b);
	if (rc == 0 && o->rename) {
		struct line_ctx r = {b, o->rename, err, errlen};
		rc = each_line(o->rename, rename_line, &r, err, errlen);
	}
	if (rc == 0) {
		struct line_ctx f = {b, o->file, err, errlen};
		rc = each_line(o->file, feed_line, &f, err, errlen);
		rc = rc == 1 ? 0 : rc;
	}
	if (rc == 0)
		rc = gdb_annot_builder_finish(b, st, err, errlen);
	if (rc < 0) {
		gdb_annot_builder_free(b);
		free(ref);
		return rc;
	}
	b->ref_owned = ref; /* the builder borrows it: freed with it */
	*out = b;
	return 0;
}

static int import_args(const gdb_annot_import_opts *o, int *fmt, char *err,
		       size_t errlen)
{
	if (!o->store || !o->set || !o->reference || !o->file) {
		gdb_seterr(err, errlen,
			   "store, set, reference and file are "
			   "required");
		return -EINVAL;
	}
	if (!gdb_name_ok(o->set,
			 GDB_NAME_MAX - strlen(GDB_ANNOT_OBJECT_PREFIX))) {
		gdb_seterr(err, errlen,
			   "set name '%s': 1-%zu bytes without "
			   "blanks, '/', ',' or control characters, not "
			   "starting with '.' or '@'",
			   o->set,
			   GDB_NAME_MAX - strlen(GDB_ANNOT_OBJECT_PREFIX));
		return -EINVAL;
	}
	*fmt = o->format ? o->format : format_of_name(o->file);
	if (!*fmt) {
		int rc;
		*fmt = GDB_ANNOT_GFF3;
		rc = each_line(o->file, sniff_line, fmt, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int gdb_annot_import(const gdb_annot_import_opts *o, gdb_annot_build_stats *st,
		     uint64_t *gen, char *err, size_t errlen)
{
	char target[GDB_NAME_MAX + 1];
	gdb_annot_builder *b = NULL;
	gdb_store *s = NULL;
	gdb_txn *t = NULL;
	uint64_t g = 0;
	int fmt, rc;

	GDB_TRY(import_args(o, &fmt, err, errlen));
	snprintf(target, sizeof(target), "%s%s", GDB_ANNOT_OBJECT_PREFIX,
		 o->set);
	rc = gdb_txn_begin_flags(o->store, o->txn_flags, &t, err, errlen);
	if (rc == 0)
		rc = gdb_store_open(o->store, 0, &s, err, errlen);
	if (rc == 0 && !(o->txn_flags & GDB_TXN_REPLACE) &&
	    gdb_store_object_find(s, GDB_OBJECT_SECTIONS, target) >= 0) {
		gdb_seterr(err, errlen,
			   "%s: annotation set '%s' already "
			   "exists",
			   o->store, o->set);
		rc = -EEXIST;
	}
	if (rc == 0)
		rc = build_set(o, s, fmt, &b, st, err, errlen);
	if (rc == 0)
		rc = gdb_txn_object_begin(t, GDB_OBJECT_SECTIONS, target, err,
					  errlen);
	if (rc == 0)
		rc = gdb_annot_builder_write(b, t, o->reference, err, errlen);
	if (rc == 0)
		rc = record_provenance(t, o, target, err, errlen);
	if (rc == 0) {
		/* 1: an identical replacement, nothing to commit */
		rc = gdb_txn_commit(t, &g, err, errlen);
		rc = rc == 1 ? 0 : rc;
		t = NULL;
	}
	gdb_txn_abort(t);
	gdb_annot_builder_free(b);
	gdb_store_close(s);
	if (rc == 0 && gen)
		*gen = g;
	return rc;
}
