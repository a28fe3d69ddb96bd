/*
 * seq/export.c - an assembly back out as the FASTA it was imported from,
 * byte for byte: each contig's layout (seq/layout.c) is replayed around
 * its bases, which are decoded block after block in order.
 *
 * A contig with no layout record is regular (its layout is rebuilt from
 * its line width); a contig of a version 1 segment kept no layout and
 * comes out with its input line width (or 60), LF and a final newline,
 * as exports of those stores always did.
 */
#include "seq/seq_int.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/codecs.h"

#define OUT_CAP (1u << 20)

struct exp {
	const gdb_store *s;
	gdb_seq_write_fn write;
	void *arg;
	char *out;
	size_t olen;
	/* the contig's bases, one decoded block at a time */
	const gdb_contig *c;
	char *blk;
	uint32_t block, bpos, blen;
	char *err;
	size_t errlen;
};

static int flush_out(struct exp *e)
{
	int rc = e->olen ? e->write(e->arg, e->out, e->olen) : 0;

	e->olen = 0;
	return rc;
}

static int put(struct exp *e, const void *p, size_t n)
{
	while (n) {
		size_t k = OUT_CAP - e->olen < n ? OUT_CAP - e->olen : n;
		memcpy(e->out + e->olen, p, k);
		e->olen += k;
		p = (const char *)p + k;
		n -= k;
		if (e->olen == OUT_CAP)
			GDB_TRY(flush_out(e));
	}
	return 0;
}

/* The next n bases of the contig. */
static int put_bases(struct exp *e, uint64_t n)
{
	while (n) {
		size_t k;
		if (e->bpos == e->blen) {
			int got =
			    gdb_store_block_decode(e->s, e->c->id, e->block,
						   e->blk, GDB_DNA_BLOCK_BASES);
			if (got <= 0) {
				int64_t from =
				    (int64_t)e->block * e->c->block_bases + 1;
				gdb_seterr(e->err, e->errlen, "%s:%lld-: %s",
					   e->c->name, (long long)from,
					   gdb_strerror(got < 0 ? got : -EIO));
				return got < 0 ? got : -EIO;
			}
			e->block++;
			e->bpos = 0;
			e->blen = (uint32_t)got;
		}
		k = e->blen - e->bpos < n ? e->blen - e->bpos : (size_t)n;
		GDB_TRY(put(e, e->blk + e->bpos, k));
		e->bpos += (uint32_t)k;
		n -= k;
	}
	return 0;
}

/* Header line: prelude, '>', blanks, name, description, '\r's, '\n'. */
static int put_header(struct exp *e, const gdb_layout_r *r)
{
	GDB_TRY(put(e, r->pre, r->npre));
	GDB_TRY(put(e, ">", 1));
	GDB_TRY(put(e, r->hpre, r->nhpre));
	GDB_TRY(put(e, e->c->name, strlen(e->c->name)));
	GDB_TRY(put(e, e->c->desc, strlen(e->c->desc)));
	GDB_TRY(put(e, r->hpost, r->nhpost));
	return put(e, "\n", 1);
}

static int replay(struct exp *e, gdb_layout_r *r)
{
	uint32_t shape;
	uint64_t count;

	GDB_TRY(put_header(e, r));
	while (gdb_layout_next_run(r, &shape, &count)) {
		const struct lr_tok *t = r->tok + r->first[shape];
		uint32_t nt = r->ntok[shape];
		for (uint64_t k = 0; k < count; k++)
			for (uint32_t i = 0; i < nt; i++)
				GDB_TRY(t[i].lit ? put(e, t[i].lit, t[i].len)
						 : put_bases(e, t[i].len));
	}
	return 0;
}

/* The contig's layout: its record, or the regular one rebuilt. */
static int contig_layout(struct exp *e, gdb_buf *reg, gdb_layout_r *r)
{
	const gdb_contig *c = e->c;
	const void *data;
	size_t len;
	int rc = gdb_store_contig_layout(e->s, c->id, &data, &len);

	if (rc == 0 && !len) {
		rc = gdb_layout_regular(
		    c->length, c->line_width ? c->line_width : 60, reg);
		data = reg->p;
		len = reg->len;
	}
	if (rc == 0)
		rc = gdb_layout_read(r, data, len, c->length,
				     strlen(c->name) + strlen(c->desc), NULL);
	if (rc < 0)
		gdb_seterr(e->err, e->errlen, "%s: layout: %s", c->name,
			   gdb_strerror(rc));
	return rc;
}

int gdb_seq_export_fasta(const gdb_store *s, uint32_t asm_index,
			 gdb_seq_write_fn write, void *arg, char *err,
			 size_t errlen)
{
	const gdb_assembly *a = gdb_store_assembly(s, asm_index);
	struct exp e = {
	    .s = s, .write = write, .arg = arg, .err = err, .errlen = errlen};
	gdb_buf reg = {0};
	int rc = 0;

	if (!a)
		return -EINVAL;
	e.out = malloc(OUT_CAP);
	e.blk = malloc(GDB_DNA_BLOCK_BASES);
	if (!e.out || !e.blk)
		rc = -ENOMEM;
	for (uint32_t k = 0; rc == 0 && k < a->ncontigs; k++) {
		gdb_layout_r r;
		e.c = gdb_store_contig(s, a->first_contig + k);
		e.block = e.bpos = e.blen = 0;
		rc = contig_layout(&e, &reg, &r);
		if (rc == 0) {
			rc = replay(&e, &r);
			gdb_layout_r_free(&r);
		}
	}
	if (rc == 0)
		rc = flush_out(&e);
	gdb_buf_free(&reg);
	free(e.out);
	free(e.blk);
	return rc;
}

int gdb_seq_digests(const gdb_store *s, uint32_t contig, uint8_t md5[16],
		    uint8_t sha512t24[24])
{
	const gdb_contig *c = gdb_store_contig(s, contig);
	EVP_MD_CTX *a = EVP_MD_CTX_new(), *b = EVP_MD_CTX_new();
	char *buf = malloc(OUT_CAP);
	uint8_t sha[64];
	unsigned int l;
	int rc = a && b && buf && c ? 0 : -ENOMEM;

	if (rc == 0 && c->digests) {
		memcpy(md5, c->md5, 16);
		memcpy(sha512t24, c->sha512t24, 24);
		goto out;
	}
	if (rc == 0 && (!EVP_DigestInit_ex(a, EVP_md5(), NULL) ||
			!EVP_DigestInit_ex(b, EVP_sha512(), NULL)))
		rc = -ENOMEM;
	for (int64_t at = 0; rc == 0 && at < c->length; at += OUT_CAP) {
		int64_t n = c->length - at < OUT_CAP ? c->length - at : OUT_CAP;
		rc = gdb_store_read(s, contig, at, at + n, buf);
		if (rc < 0)
			break;
		for (int64_t i = 0; i < n; i++)
			if (buf[i] >= 'a' && buf[i] <= 'z')
				buf[i] = (char)(buf[i] - 32);
		EVP_DigestUpdate(a, buf, (size_t)n);
		EVP_DigestUpdate(b, buf, (size_t)n);
	}
	if (rc == 0) {
		EVP_DigestFinal_ex(a, md5, &l);
		EVP_DigestFinal_ex(b, sha, &l);
		memcpy(sha512t24, sha, 24);
	}
out:
	EVP_MD_CTX_free(a);
	EVP_MD_CTX_free(b);
	free(buf);
	return rc;
}
