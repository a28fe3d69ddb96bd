/*
 * variants/import.c - a VCF/BCF file into a variant set, in one
 * transaction: htslib reads every byte (plain, bgzip, gzip or BCF, as it
 * detects), this file checks what the store needs (sorted records,
 * contigs of the reference, REF against the reference bases, a sample
 * panel) and feeds the builder. Memory stays flat: one record, one
 * reference block and the builder's open chunk.
 *
 * Errors name the file, the record number and contig:pos; the caller
 * aborts the transaction, so nothing is written. Quirks that htslib
 * repairs (undeclared contigs or keys: it adds header lines) and counts
 * that disagree with the header's Number are counted, not fatal.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <htslib/bgzf.h>
#include <htslib/hfile.h>
#include <htslib/khash_str2int.h>

#include "variants/build.h"

struct imp {
	const gdb_vcf_import_opts *o;
	const gdb_store *ref;
	int asm_index;
	const char *path;
	htsFile *fp;
	bcf_hdr_t *hdr;
	bcf1_t *rec;
	vs_builder *b;
	gdb_vcf_import_stats *st;
	uint64_t nrec;
	int cur_rid;
	int64_t last_pos;
	uint8_t *rid_seen;
	int rid_cap;
	int ref_contig; /* store contig of cur_rid */
	/* one decoded reference block */
	char *blk;
	uint32_t blk_cap, blk_n;
	int64_t blk_no;
	int blk_contig;
	int32_t *gt;
	int ngt_cap;
	uint64_t total;
	char *err;
	size_t errlen;
};

static int fail(struct imp *m, const char *fmt, ...) GDB_PRINTF(2, 3);

/* "FILE: record N (contig:pos): reason" */
static int fail(struct imp *m, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (m->rec && m->nrec && m->rec->rid >= 0 &&
	    m->rec->rid < m->hdr->n[BCF_DT_CTG])
		gdb_seterr(m->err, m->errlen, "%s: record %llu (%s:%lld): %s",
			   m->path, (unsigned long long)m->nrec,
			   bcf_hdr_id2name(m->hdr, m->rec->rid),
			   (long long)m->rec->pos + 1, msg);
	else if (m->nrec)
		gdb_seterr(m->err, m->errlen, "%s: record %llu: %s", m->path,
			   (unsigned long long)m->nrec, msg);
	else
		gdb_seterr(m->err, m->errlen, "%s: %s", m->path, msg);
	return GDB_EFORMAT;
}

/* ---- the sample panel ---- */

struct panel {
	void *h; /* khash_str2int: sample -> row */
	const char **pop, **spop;
	size_t n;
	char *text;
};

static void panel_free(struct panel *p)
{
	if (p->h)
		khash_str2int_destroy(p->h);
	free((void *)p->pop);
	free((void *)p->spop);
	free(p->text);
}

static char *field(char **line)
{
	char *f = *line, *t = strchr(f, '\t');

	if (t) {
		*t = 0;
		*line = t + 1;
	} else {
		*line = f + strlen(f);
	}
	f[strcspn(f, "\r")] = 0;
	return f;
}

/*
 * The 1000 Genomes layout (header "sample pop super_pop [gender]") or a
 * headerless "sample<TAB>population[<TAB>superpopulation]" file.
 */
static int panel_read(struct imp *m, const char *path, struct panel *p)
{
	FILE *f = fopen(path, "r");
	long sz;
	char *line, *next;
	unsigned long ln = 0;
	int header = 0, cpop = 1, cspop = 2;

	if (!f) {
		gdb_seterr(m->err, m->errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fseek(f, 0, SEEK_END) < 0 || (sz = ftell(f)) < 0 ||
	    sz > (64l << 20) || fseek(f, 0, SEEK_SET) < 0 ||
	    !(p->text = malloc((size_t)sz + 1)) ||
	    fread(p->text, 1, (size_t)sz, f) != (size_t)sz) {
		fclose(f);
		gdb_seterr(m->err, m->errlen, "%s: cannot read it", path);
		return -EIO;
	}
	fclose(f);
	p->text[sz] = 0;
	p->h = khash_str2int_init();
	p->pop = calloc((size_t)sz / 2 + 2, sizeof(char *));
	p->spop = calloc((size_t)sz / 2 + 2, sizeof(char *));
	if (!p->h || !p->pop || !p->spop)
		return -ENOMEM;
	for (line = p->text; *line; line = next) {
		char *nl = strchr(line, '\n'), *c, *s, *f2, *f3;
		next = nl ? nl + 1 : line + strlen(line);
		if (nl)
			*nl = 0;
		ln++;
		c = line;
		s = field(&c);
		if (!*s && !*c)
			continue; /* blank line */
		if (ln == 1 && !strcasecmp(s, "sample")) {
			/* find the pop and super_pop columns */
			header = 1;
			for (int col = 1; *c || col == 1; col++) {
				char *h = field(&c);
				if (!strcmp(h, "pop") ||
				    !strcmp(h, "population"))
					cpop = col;
				else if (!strcmp(h, "super_pop") ||
					 !strcmp(h, "superpopulation"))
					cspop = col;
				if (!*c)
					break;
			}
			continue;
		}
		f2 = f3 = NULL;
		for (int col = 1; *c; col++) {
			char *v = field(&c);
			if (col == cpop)
				f2 = v;
			else if (col == cspop)
				f3 = v;
		}
		if (!f2 || !*s || !*f2) {
			gdb_seterr(m->err, m->errlen,
				   "%s:%lu: expected sample<TAB>population%s",
				   path, ln, header ? "<TAB>super_pop" : "");
			return GDB_EFORMAT;
		}
		if (khash_str2int_has_key(p->h, s)) {
			gdb_seterr(m->err, m->errlen,
				   "%s:%lu: sample %s listed twice", path, ln,
				   s);
			return GDB_EFORMAT;
		}
		p->pop[p->n] = f2;
		p->spop[p->n] = f3 && *f3 ? f3 : "unassigned";
		if (khash_str2int_set(p->h, s, (int)p->n) < 0)
			return -ENOMEM;
		p->n++;
	}
	return 0;
}

static int name_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == '\t')
			return 0;
	return 1;
}

/* samples.tsv of the set: every VCF sample with its groups. */
static int samples_tsv(struct imp *m, struct panel *p, gdb_buf *out)
{
	uint32_t n = bcf_hdr_nsamples(m->hdr);
	void *pops = khash_str2int_init();

	if (!pops)
		return -ENOMEM;
	gdb_buf_printf(out, "sample\tpopulation\tsuperpopulation\n");
	for (uint32_t i = 0; i < n; i++) {
		const char *s = m->hdr->samples[i], *pop = "unassigned",
			   *spop = "unassigned";
		int row;
		if (!name_ok(s)) {
			khash_str2int_destroy(pops);
			return fail(m,
				    "sample %u's name has a control "
				    "character",
				    i + 1);
		}
		if (p->h && khash_str2int_get(p->h, s, &row) == 0) {
			pop = p->pop[row];
			spop = p->spop[row];
			if (!khash_str2int_has_key(pops, pop))
				khash_str2int_inc(pops, (char *)pop);
		} else {
			m->st->unassigned++;
		}
		if (!name_ok(pop) || !name_ok(spop)) {
			khash_str2int_destroy(pops);
			return fail(m, "panel names of %s are not printable",
				    s);
		}
		gdb_buf_printf(out, "%s\t%s\t%s\n", s, pop, spop);
	}
	m->st->populations = (uint32_t)khash_str2int_size(pops);
	khash_str2int_destroy(pops);
	return out->err;
}

/* ---- the reference ---- */

/* Bases [beg, beg + n) of store contig c, upper case; 0 or < 0. */
static int ref_bases(struct imp *m, int c, int64_t beg, size_t n, char *dst)
{
	const gdb_contig *ct = gdb_store_contig(m->ref, (uint32_t)c);

	if (beg < 0 || beg + (int64_t)n > ct->length)
		return -ERANGE;
	while (n) {
		int64_t bno = beg / ct->block_bases;
		uint32_t in = (uint32_t)(beg % ct->block_bases), k;
		if (bno != m->blk_no || c != m->blk_contig) {
			if (m->blk_cap < ct->block_bases) {
				char *p = realloc(m->blk, ct->block_bases);
				if (!p)
					return -ENOMEM;
				m->blk = p;
				m->blk_cap = ct->block_bases;
			}
			int rc = gdb_store_block_decode(m->ref, (uint32_t)c,
							(uint32_t)bno, m->blk,
							m->blk_cap);
			if (rc < 0)
				return rc;
			m->blk_n = (uint32_t)rc;
			m->blk_no = bno;
			m->blk_contig = c;
		}
		k = m->blk_n - in < n ? m->blk_n - in : (uint32_t)n;
		for (uint32_t i = 0; i < k; i++)
			dst[i] = (char)toupper((unsigned char)m->blk[in + i]);
		dst += k;
		beg += k;
		n -= k;
	}
	return 0;
}

/* REF against the reference: 1 same (stored as "the reference's"), 0
 * different where the reference has no base to compare (N, IUPAC) or
 * in case only, or a mismatch error. */
static int check_ref(struct imp *m)
{
	const char *r = m->rec->d.allele[0];
	size_t n = strlen(r), bad = n;
	char stack[256], *buf = n < sizeof(stack) ? stack : malloc(n + 1);
	int rc, same = 1;

	if (!buf)
		return -ENOMEM;
	rc = ref_bases(m, m->ref_contig, m->rec->pos, n, buf);
	if (rc == -ERANGE) {
		rc =
		    fail(m, "REF %.40s runs past the end of %s in %s", r,
			 bcf_hdr_id2name(m->hdr, m->rec->rid), m->o->reference);
		goto out;
	}
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char v = (char)toupper((unsigned char)r[i]);
		if (r[i] != buf[i])
			same = 0;
		if (v != buf[i] && strchr("ACGT", buf[i]) && bad == n)
			bad = i;
	}
	if (bad < n) {
		if (!m->o->allow_ref_mismatch) {
			rc = fail(m,
				  "REF %.40s but the reference %s has "
				  "%.40s (--allow-ref-mismatch keeps it)",
				  r, m->o->reference, buf);
			goto out;
		}
		m->st->ref_mismatches++;
	}
	rc = same;
out:
	if (buf != stack)
		free(buf);
	return rc;
}

/* ---- records ---- */

static int new_contig(struct imp *m)
{
	int rid = m->rec->rid;
	const char *name = bcf_hdr_id2name(m->hdr, rid);

	if (rid < m->rid_cap && m->rid_seen[rid])
		return fail(m,
			    "records are not sorted: %s comes again after "
			    "other contigs",
			    name);
	if (rid >= m->rid_cap) {
		int n = rid + 64;
		uint8_t *p = realloc(m->rid_seen, (size_t)n);
		if (!p)
			return -ENOMEM;
		memset(p + m->rid_cap, 0, (size_t)(n - m->rid_cap));
		m->rid_seen = p;
		m->rid_cap = n;
	}
	m->rid_seen[rid] = 1;
	m->ref_contig =
	    gdb_store_contig_find(m->ref, (uint32_t)m->asm_index, name);
	if (m->ref_contig < 0) {
		fail(m, "contig %s is not in the reference %s", name,
		     m->o->reference);
		return -ENOENT;
	}
	m->cur_rid = rid;
	m->last_pos = -1;
	return vs_builder_contig(m->b, rid, name);
}

/* Values whose count disagrees with a fixed, A or R Number. */
static void count_numbers(struct imp *m)
{
	bcf1_t *r = m->rec;

	for (uint32_t i = 0; i < r->n_info; i++) {
		bcf_info_t *f = &r->d.info[i];
		int want, vl, nallele = (int)r->n_allele;
		if (!f->vptr || f->type == BCF_BT_CHAR ||
		    f->type == BCF_BT_NULL)
			continue;
		vl = bcf_hdr_id2length(m->hdr, BCF_HL_INFO, f->key);
		int fixed = (int)bcf_hdr_id2number(m->hdr, BCF_HL_INFO, f->key);
		want = vl == BCF_VL_FIXED ? fixed
		       : vl == BCF_VL_A	  ? nallele - 1
		       : vl == BCF_VL_R	  ? nallele
					  : -1;
		if (want >= 0 && f->len != want)
			m->st->number_mismatch++;
	}
}

static void progress(struct imp *m, int final)
{
	uint64_t done = m->total;
	BGZF *z = m->fp->is_bgzf ? m->fp->fp.bgzf : NULL;

	if (!m->o->progress)
		return;
	if (!final && z && z->fp)
		done = (uint64_t)htell(z->fp);
	else if (!final && !z && m->fp->fp.hfile)
		done = (uint64_t)htell(m->fp->fp.hfile);
	m->o->progress(m->o->progress_arg, done, m->total, m->nrec);
}

static int one_record(struct imp *m)
{
	bcf1_t *r = m->rec;
	int ngt = 0, rc, same;

	/* Undeclared contigs and keys in VCF text: htslib added a header
	 * line (counted in read_all) and parsed the record; in BCF it
	 * cannot, and every other error code is fatal. */
	if (r->errcode & ~((m->fp->format.format == vcf)
			       ? (BCF_ERR_CTG_UNDEF | BCF_ERR_TAG_UNDEF)
			       : 0))
		return fail(m, "htslib could not parse it (error code %d)",
			    r->errcode);
	if (bcf_unpack(r, BCF_UN_ALL) < 0)
		return fail(m, "htslib could not unpack it");
	if (r->rid != m->cur_rid)
		GDB_TRY(new_contig(m));
	if (r->pos < m->last_pos)
		return fail(m, "records are not sorted: POS %lld after %lld",
			    (long long)r->pos + 1, (long long)m->last_pos + 1);
	m->last_pos = r->pos;
	same = check_ref(m);
	if (same < 0)
		return same;
	count_numbers(m);
	if (bcf_hdr_nsamples(m->hdr) && bcf_get_fmt(m->hdr, r, "GT")) {
		ngt = bcf_get_genotypes(m->hdr, r, &m->gt, &m->ngt_cap);
		if (ngt < 0 && ngt != -3)
			return fail(m, "GT is malformed");
	}
	char msg[256] = "";
	rc = vs_builder_add(m->b, m->hdr, r, same, ngt > 0 ? m->gt : NULL, ngt,
			    msg, sizeof(msg));
	if (rc == GDB_EFORMAT)
		return fail(m, "%s", msg);
	return rc;
}

static int read_all(struct imp *m)
{
	int rc, nhrec = m->hdr->nhrec;

	while ((rc = bcf_read(m->fp, m->hdr, m->rec)) == 0) {
		m->nrec++;
		if (m->hdr->nhrec != nhrec) {
			m->st->header_added +=
			    (uint64_t)(m->hdr->nhrec - nhrec);
			nhrec = m->hdr->nhrec;
		}
		GDB_TRY(one_record(m));
		if ((m->nrec & 4095) == 0)
			progress(m, 0);
	}
	if (rc < -1) {
		m->nrec++;
		m->rec->rid = -1;
		return fail(m, "htslib could not read it (truncated or "
			       "malformed input)");
	}
	return 0;
}

static int open_input(struct imp *m)
{
	struct stat sb;

	if (stat(m->path, &sb) < 0) {
		gdb_seterr(m->err, m->errlen, "%s: %s", m->path,
			   strerror(errno));
		return -errno;
	}
	m->total = (uint64_t)sb.st_size;
	m->fp = hts_open(m->path, "r");
	if (!m->fp)
		return fail(m, "htslib cannot open it as VCF or BCF");
	if (hts_get_format(m->fp)->category != variant_data) {
		char *what = hts_format_description(hts_get_format(m->fp));
		int rc = fail(m, "not a VCF or BCF file (htslib sees %s)",
			      what ? what : "an unknown format");

		free(what); /* malloc'd */
		return rc;
	}
	m->hdr = bcf_hdr_read(m->fp);
	if (!m->hdr)
		return fail(m, "htslib cannot read its header");
	m->rec = bcf_init();
	return m->rec ? 0 : -ENOMEM;
}

int gdb_vcf_import(gdb_txn *t, const gdb_store *ref, const char *path,
		   const gdb_vcf_import_opts *o, gdb_vcf_import_stats *st,
		   char *err, size_t errlen)
{
	struct imp m = {.o = o,
			.ref = ref,
			.path = path,
			.st = st,
			.cur_rid = -1,
			.blk_no = -1,
			.blk_contig = -1,
			.err = err,
			.errlen = errlen};
	struct panel p = {0};
	gdb_buf tsv = {0};
	char oname[GDB_NAME_MAX + 16];
	int rc;

	memset(st, 0, sizeof(*st));
	if (err && errlen)
		err[0] = 0;
	m.asm_index = gdb_store_assembly_find(ref, o->reference);
	if (m.asm_index < 0) {
		gdb_seterr(err, errlen, "no assembly %s in the store",
			   o->reference);
		return -ENOENT;
	}
	snprintf(oname, sizeof(oname), GDB_VSET_PREFIX "%s", o->set);
	if ((rc = open_input(&m)) < 0)
		goto out;
	if (o->panel && (rc = panel_read(&m, o->panel, &p)) < 0)
		goto out;
	st->samples = bcf_hdr_nsamples(m.hdr);
	if ((rc = samples_tsv(&m, &p, &tsv)) < 0)
		goto out;
	if ((rc = gdb_txn_object_begin(t, GDB_OBJECT_SECTIONS, oname, err,
				       errlen)) < 0)
		goto out;
	if ((rc = vs_builder_new(t, st->samples, o->zstd_level, &m.b)) < 0)
		goto out;
	if ((rc = read_all(&m)) < 0)
		goto out;
	rc = vs_builder_finish(m.b, m.hdr, o->reference, tsv.p, tsv.len);
	if (rc == 0) {
		st->records = m.nrec;
		st->chunks = vs_builder_chunks(m.b);
		st->stored_bytes = vs_builder_stored(m.b);
		st->genotype_exceptions = vs_builder_exceptions(m.b);
		progress(&m, 1);
	}
out:
	if (rc < 0 && err && errlen && !err[0])
		gdb_seterr(err, errlen, "%s: %s", path, gdb_strerror(rc));
	vs_builder_free(m.b);
	panel_free(&p);
	gdb_buf_free(&tsv);
	free(m.gt);
	free(m.blk);
	free(m.rid_seen);
	bcf_destroy(m.rec);
	bcf_hdr_destroy(m.hdr);
	if (m.fp)
		hts_close(m.fp);
	return rc;
}
