/*
 * seq/import.c - a FASTA file into a new assembly, in one transaction:
 * the parser (seq/fasta.c) feeds a sink that fills 64 Ki-base blocks,
 * encodes them (codecs/), digests each contig (MD5, SHA-512 for refget)
 * and hands blocks and layouts to the store's transaction.
 *
 * Memory stays bounded whatever the input's size: one decompressed chunk,
 * one block of bases, one header, the record's layout and the store's
 * index. On any error the transaction is aborted and the store is left
 * exactly as it was.
 */
#include "seq/seq_int.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/codecs.h"
#include "simd/simd.h"

#define CHUNK (1u << 20)

struct imp {
	const char *path;
	gdb_txn *txn;
	int level;
	char *blk, *upper;
	uint32_t blen;
	uint8_t *enc;
	size_t enccap;
	EVP_MD_CTX *md5, *sha;
	int64_t nbases;
	gdb_fasta_stats st;
};

static int flush_block(struct imp *m, char *err, size_t errlen)
{
	uint32_t bad = 0;
	int n, rc;

	if (m->blen == 0)
		return 0;
	gdb_simd()->toupper(m->blk, m->blen, m->upper);
	EVP_DigestUpdate(m->md5, m->upper, m->blen);
	EVP_DigestUpdate(m->sha, m->upper, m->blen);
	n = gdb_codecs_dna_encode(m->blk, m->blen, m->level, m->enc,
				  m->enccap, &bad);
	if (n < 0) {
		gdb_seterr(err, errlen, "%s: cannot encode a block: %s",
			   m->path, gdb_strerror(n));
		return n;
	}
	rc = gdb_txn_block_add(m->txn, m->enc, (size_t)n, m->blen);
	if (rc < 0) {
		gdb_seterr(err, errlen, "%s: writing the store: %s", m->path,
			   gdb_strerror(rc));
		return rc;
	}
	m->nbases += m->blen;
	m->blen = 0;
	return 0;
}

static int sink_begin(void *arg, const char *name, const char *desc,
		      char *err, size_t errlen)
{
	struct imp *m = arg;
	int rc = gdb_txn_contig_begin(m->txn, name, desc, GDB_DNA_BLOCK_BASES,
				      err, errlen);

	if (rc < 0)
		return rc;
	if (!EVP_DigestInit_ex(m->md5, EVP_md5(), NULL) ||
	    !EVP_DigestInit_ex(m->sha, EVP_sha512(), NULL)) {
		gdb_seterr(err, errlen, "cannot initialise digests");
		return -ENOMEM;
	}
	m->nbases = 0;
	m->blen = 0;
	return 0;
}

static int sink_bases(void *arg, const char *p, size_t n, char *err,
		      size_t errlen)
{
	struct imp *m = arg;

	while (n) {
		size_t take = GDB_DNA_BLOCK_BASES - m->blen;
		if (take > n)
			take = n;
		memcpy(m->blk + m->blen, p, take);
		m->blen += (uint32_t)take;
		p += take;
		n -= take;
		if (m->blen == GDB_DNA_BLOCK_BASES)
			GDB_TRY(flush_block(m, err, errlen));
	}
	return 0;
}

static int sink_end(void *arg, const gdb_fasta_rec *rec, char *err,
		    size_t errlen)
{
	struct imp *m = arg;
	uint8_t md5[16], sha[64];
	unsigned int l = 0;
	int rc;

	GDB_TRY(flush_block(m, err, errlen));
	EVP_DigestFinal_ex(m->md5, md5, &l);
	EVP_DigestFinal_ex(m->sha, sha, &l);
	rc = gdb_txn_contig_layout(m->txn, rec->layout, rec->layout_len,
				   rec->fasta_bytes);
	if (rc == 0)
		rc = gdb_txn_contig_end(m->txn, m->nbases, rec->line_width,
					md5, sha);
	if (rc < 0) {
		gdb_seterr(err, errlen, "%s: record '%s': %s", m->path,
			   rec->name, gdb_strerror(rc));
		return rc;
	}
	m->st.ncontigs++;
	m->st.bases += rec->length;
	m->st.fasta_bytes += rec->fasta_bytes;
	m->st.layout_bytes += rec->layout_len;
	return 0;
}

/* Read the whole input through the parser. */
static int run(struct imp *m, gdb_src *src, const gdb_fasta_opts *o,
	       char *err, size_t errlen)
{
	gdb_fasta_sink sink = {sink_begin, sink_bases, sink_end, m};
	gdb_fasta_parser *p = NULL;
	char *buf = malloc(CHUNK);
	ssize_t n;
	int rc = buf ? gdb_fasta_parser_new(m->path, &sink, &p) : -ENOMEM;

	while (rc == 0 &&
	       (n = gdb_src_read(src, buf, CHUNK, err, errlen)) != 0) {
		if (n < 0)
			rc = -EIO;
		else
			rc = gdb_fasta_parse(p, buf, (size_t)n, err, errlen);
		if (rc == 0 && o->progress)
			o->progress(o->progress_arg, gdb_src_raw_bytes(src),
				    gdb_src_total_bytes(src));
	}
	if (rc == 0)
		rc = gdb_fasta_finish(p, err, errlen);
	if (rc == 0) {
		gdb_seterr(err, errlen, "%s: no sequences found", m->path);
		rc = GDB_EFORMAT;
	}
	if (rc == -ENOMEM)
		gdb_seterr(err, errlen, "%s: out of memory", m->path);
	gdb_fasta_parser_free(p);
	free(buf);
	return rc < 0 ? rc : 0;
}

static int imp_init(struct imp *m, const char *path, int level)
{
	memset(m, 0, sizeof(*m));
	m->path = path;
	m->level = level;
	m->blk = malloc(GDB_DNA_BLOCK_BASES);
	m->upper = malloc(GDB_DNA_BLOCK_BASES);
	m->enccap = gdb_codecs_dna_bound(GDB_DNA_BLOCK_BASES);
	m->enc = malloc(m->enccap);
	m->md5 = EVP_MD_CTX_new();
	m->sha = EVP_MD_CTX_new();
	return m->blk && m->upper && m->enc && m->md5 && m->sha ? 0 : -ENOMEM;
}

static void imp_free(struct imp *m)
{
	gdb_txn_abort(m->txn);
	EVP_MD_CTX_free(m->md5);
	EVP_MD_CTX_free(m->sha);
	free(m->blk);
	free(m->upper);
	free(m->enc);
}

int gdb_seq_import_fasta(const char *store, const char *asm_name,
			 const char *path, const gdb_fasta_opts *opts,
			 gdb_fasta_stats *st, char *err, size_t errlen)
{
	static const gdb_fasta_opts defaults;
	const gdb_fasta_opts *o = opts ? opts : &defaults;
	gdb_provenance prov;
	gdb_src *src = NULL;
	struct imp m;
	int rc = imp_init(&m, path, o->zstd_level);

	/* Open the input first: a missing file must not touch the store. */
	if (rc == 0)
		rc = gdb_src_open(path, &src, err, errlen);
	if (rc == 0)
		rc = gdb_txn_begin_flags(store, o->txn_flags, &m.txn, err,
					 errlen);
	if (rc == 0)
		rc = gdb_txn_assembly_begin(m.txn, asm_name, err, errlen);
	if (rc == 0)
		rc = run(&m, src, o, err, errlen);
	if (rc == 0) {
		gdb_src_provenance(src, asm_name, path, o->command, &prov);
		m.st.source_bytes = prov.source_bytes;
		m.st.stored_bytes = gdb_txn_bytes_written(m.txn);
		rc = gdb_txn_provenance(m.txn, &prov);
	}
	if (rc == 0) {
		rc = gdb_txn_commit(m.txn, &m.st.generation, err, errlen);
		m.txn = NULL;
		m.st.identical = rc == 1;
		rc = rc > 0 ? 0 : rc;
	}
	if (rc == -ENOMEM && err && !err[0])
		gdb_seterr(err, errlen, "out of memory");
	if (rc == 0 && st)
		*st = m.st;
	gdb_src_close(src);
	imp_free(&m);
	return rc;
}
