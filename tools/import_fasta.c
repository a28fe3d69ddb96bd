/*
 * tools/import_fasta.c - `genomedb import fasta`: stream a FASTA (plain,
 * gzip or bgzip) into a new assembly, in one transaction.
 *
 * Memory stays bounded whatever the input's size: one decompressed chunk,
 * one block of bases being filled, one header, and the store's index.
 * Every error names the file and line (and column for a bad letter); on
 * any error the transaction is aborted and the store is left exactly as it
 * was.
 *
 * A contig's name is its header's first word, as samtools faidx takes it;
 * the rest of the header (from the blank that ends the name) is kept as
 * its description. The line width is recorded when every line but the
 * last has the same length, so that export can give the file back as it
 * came.
 */
#include "tools/tools.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codecs/codecs.h"
#include "simd/simd.h"
#include "store/store.h"

#define CHUNK (1u << 20)
#define HEADER_MAX (1u << 20)

struct imp {
	const char *path;
	tool_src *src;
	gdb_txn *txn;
	int level;
	int progress;
	double t0, last_progress;
	char err[1024];
	uint8_t valid[256];
	/* the block being filled */
	char *blk;
	uint32_t blen;
	uint8_t *enc;
	size_t enccap;
	char *upper;
	EVP_MD_CTX *md5, *sha;
	/* the record being read */
	int in_record;
	char *hdr;
	size_t hdr_len;
	uint64_t hdr_line;
	char name[GDB_NAME_MAX + 1];
	int64_t nbases;
	uint32_t width;
	int uniform, short_seen, nlines;
	int blank_seen;		/* a blank line since the last sequence line */
	uint64_t cur_line_len;
	/* the parser */
	uint64_t line;		/* 1-based number of the current line */
	int at_line_start;
	int in_header;
	int pending_cr;
	/* totals */
	uint32_t ncontigs;
	int64_t total_bases;
};

/* "FILE:LINE: reason" into m->err; evaluates to -1. */
#define fail(m, ...)                                                           \
	tool_fail_at((m)->err, sizeof((m)->err), (m)->path, (m)->line,         \
		     __VA_ARGS__)

static void progress(struct imp *m, int final)
{
	double now = tool_now(), el = now - m->t0;
	uint64_t raw = tool_src_raw_bytes(m->src);
	uint64_t total = tool_src_total_bytes(m->src);

	if (!m->progress || (!final && now - m->last_progress < 0.25))
		return;
	m->last_progress = now;
	fprintf(stderr, "\rimporting %s: %3.0f%%  %llu MB  %.0f MB/s   ",
		m->path, total ? 100.0 * (double)raw / (double)total : 100.0,
		(unsigned long long)(raw >> 20),
		el > 0 ? (double)raw / 1e6 / el : 0.0);
	if (final)
		fputc('\n', stderr);
}

static int flush_block(struct imp *m)
{
	const gdb_simd_kernels *K = gdb_simd();
	uint32_t bad = 0;
	int n, rc;

	if (m->blen == 0)
		return 0;
	K->toupper(m->blk, m->blen, m->upper);
	EVP_DigestUpdate(m->md5, m->upper, m->blen);
	EVP_DigestUpdate(m->sha, m->upper, m->blen);
	n = gdb_codecs_dna_encode(m->blk, m->blen, m->level, m->enc,
				  m->enccap, &bad);
	if (n < 0)
		return fail(m, "cannot encode block: %s", gdb_strerror(n));
	rc = gdb_txn_block_add(m->txn, m->enc, (size_t)n, m->blen);
	if (rc < 0) {
		snprintf(m->err, sizeof(m->err), "%s: writing the store: %s",
			 m->path, gdb_strerror(rc));
		return -1;
	}
	m->nbases += m->blen;
	m->blen = 0;
	progress(m, 0);
	return 0;
}

static int end_record(struct imp *m)
{
	uint8_t md5[16], sha[64];
	unsigned int l = 0;
	int rc;

	if (!m->in_record)
		return 0;
	if (m->blen == 0 && m->nbases == 0) {
		m->line = m->hdr_line;
		return fail(m, "record '%s' has no sequence", m->name);
	}
	if (flush_block(m) < 0)
		return -1;
	EVP_DigestFinal_ex(m->md5, md5, &l);
	EVP_DigestFinal_ex(m->sha, sha, &l);
	rc = gdb_txn_contig_end(m->txn, m->nbases,
				m->uniform ? m->width : 0, md5, sha);
	if (rc < 0)
		return fail(m, "%s", gdb_strerror(rc));
	m->ncontigs++;
	m->total_bases += m->nbases;
	m->in_record = 0;
	return 0;
}

static int begin_record(struct imp *m)
{
	char *h = m->hdr, *sep;
	size_t nl;
	char err[512];
	int rc;

	while (m->hdr_len && h[m->hdr_len - 1] == '\r')
		m->hdr_len--;
	h[m->hdr_len] = 0;
	nl = strcspn(h, " \t");
	if (nl == 0)
		return fail(m, "empty sequence name");
	if (nl > GDB_NAME_MAX)
		return fail(m, "sequence name longer than %u bytes",
			    GDB_NAME_MAX);
	memcpy(m->name, h, nl);
	m->name[nl] = 0;
	sep = h + nl;
	rc = gdb_txn_contig_begin(m->txn, m->name, sep, GDB_DNA_BLOCK_BASES,
				  err, sizeof(err));
	if (rc < 0)
		return fail(m, "%s", err);
	if (!EVP_DigestInit_ex(m->md5, EVP_md5(), NULL) ||
	    !EVP_DigestInit_ex(m->sha, EVP_sha512(), NULL))
		return fail(m, "cannot initialise digests");
	m->in_record = 1;
	m->nbases = 0;
	m->blen = 0;
	m->width = 0;
	m->uniform = 1;
	m->short_seen = 0;
	m->blank_seen = 0;
	m->nlines = 0;
	return 0;
}

/* A sequence line of len bases has ended: track the line width. */
static void end_line(struct imp *m, uint64_t len)
{
	if (m->nlines++ == 0) {
		m->width = len > UINT32_MAX ? 0 : (uint32_t)len;
		m->uniform = m->width != 0;
		return;
	}
	if (m->short_seen || len > m->width)
		m->uniform = 0;
	if (len < m->width)
		m->short_seen = 1;
}

/* Append validated bases, filling and flushing blocks. */
static int add_bases(struct imp *m, const char *p, size_t n)
{
	const gdb_simd_kernels *K = gdb_simd();
	size_t i = K->find_nonacgt(p, n);

	for (; i < n; i++) {
		if (!m->valid[(uint8_t)p[i]]) {
			unsigned char c = (unsigned char)p[i];
			uint64_t col = m->cur_line_len + i + 1;
			if (c >= 0x21 && c < 0x7f)
				return fail(m, "invalid character '%c' in "
					    "sequence (column %llu)", c,
					    (unsigned long long)col);
			return fail(m, "invalid byte 0x%02x in sequence "
				    "(column %llu)", c,
				    (unsigned long long)col);
		}
	}
	while (n) {
		size_t take = GDB_DNA_BLOCK_BASES - m->blen;
		if (take > n)
			take = n;
		memcpy(m->blk + m->blen, p, take);
		m->blen += (uint32_t)take;
		p += take;
		n -= take;
		if (m->blen == GDB_DNA_BLOCK_BASES && flush_block(m) < 0)
			return -1;
	}
	return 0;
}

static int parse_chunk(struct imp *m, const char *buf, size_t n)
{
	size_t pos = 0;

	if (m->pending_cr) {
		m->pending_cr = 0;
		if (buf[0] != '\n')
			return fail(m, "invalid character '\\r' in sequence");
	}
	while (pos < n) {
		const char *nl;
		size_t take;

		if (m->at_line_start) {
			char c = buf[pos];
			if (c == '>') {
				if (end_record(m) < 0)
					return -1;
				m->in_header = 1;
				m->hdr_len = 0;
				m->hdr_line = m->line;
				m->at_line_start = 0;
				pos++;
				continue;
			}
			if (c == '\n' || c == '\r') {
				/* A blank line: allowed, but export can't
				 * reproduce it. */
				if (c == '\n')
					m->line++;
				if (m->in_record)
					m->blank_seen = 1;
				pos++;
				continue;
			}
			if (!m->in_record)
				return fail(m, "expected '>' at the start of "
					    "a record");
			m->at_line_start = 0;
			m->cur_line_len = 0;
			/* Sequence after a blank line: export can't give that
			 * layout back. Trailing blank lines don't matter. */
			if (m->blank_seen)
				m->uniform = 0;
		}
		nl = memchr(buf + pos, '\n', n - pos);
		take = nl ? (size_t)(nl - (buf + pos)) : n - pos;
		if (m->in_header) {
			if (m->hdr_len + take > HEADER_MAX)
				return fail(m, "header longer than %u bytes",
					    HEADER_MAX);
			memcpy(m->hdr + m->hdr_len, buf + pos, take);
			m->hdr_len += take;
			pos += take;
			if (nl) {
				m->in_header = 0;
				if (begin_record(m) < 0)
					return -1;
				m->line++;
				pos++;
				m->at_line_start = 1;
			}
			continue;
		}
		{
			size_t eff = take;
			if (eff && buf[pos + eff - 1] == '\r') {
				if (nl)
					eff--;
				else if (pos + eff == n) {
					eff--;
					m->pending_cr = 1;
				}
			}
			if (add_bases(m, buf + pos, eff) < 0)
				return -1;
			m->cur_line_len += eff;
		}
		pos += take;
		if (nl) {
			end_line(m, m->cur_line_len);
			m->line++;
			pos++;
			m->at_line_start = 1;
		}
	}
	return 0;
}

static int run(struct imp *m)
{
	char *buf = malloc(CHUNK);
	ssize_t n;
	int rc = -1;

	if (!buf)
		return fail(m, "out of memory");
	while ((n = tool_src_read(m->src, buf, CHUNK, m->err,
				  sizeof(m->err))) > 0) {
		if (parse_chunk(m, buf, (size_t)n) < 0)
			goto out;
	}
	if (n < 0)
		goto out;
	if (m->in_header) {
		m->in_header = 0;
		if (begin_record(m) < 0)
			goto out;
	}
	if (!m->at_line_start && m->in_record)
		end_line(m, m->cur_line_len);
	if (end_record(m) < 0)
		goto out;
	if (m->ncontigs == 0) {
		snprintf(m->err, sizeof(m->err), "%s: no sequences found",
			 m->path);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: genomedb import fasta STORE --assembly NAME FILE "
		"[--level N] [--quiet]\n"
		"  FILE may be plain, gzip or bgzip; NAME names the new "
		"assembly.\n"
		"  --level N  zstd level tried on each packed block (0 = off, "
		"default 0)\n");
}

int cmd_import(int argc, char **argv)
{
	struct imp m;
	const char *store = NULL, *asmname = NULL, *file = NULL;
	gdb_provenance prov;
	uint64_t gen = 0, seg_bytes, in_bytes;
	char err[1024];
	double el;
	int rc, quiet = 0, level = 0;

	if (argc >= 2 && !strcmp(argv[1], "graph"))
		return cmd_import_graph(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "motifs"))
		return cmd_import_motifs(argc, argv);
	if (argc < 2 || strcmp(argv[1], "fasta")) {
		usage();
		if (argc >= 2 && strcmp(argv[1], "-h") &&
		    strcmp(argv[1], "--help"))
			tool_err("import: unknown kind '%s' (this version "
				 "imports: fasta, graph, motifs)", argv[1]);
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--assembly") && i + 1 < argc) {
			asmname = argv[++i];
		} else if (!strcmp(argv[i], "--level") && i + 1 < argc) {
			char *end;
			level = (int)strtol(argv[++i], &end, 10);
			if (*end || level < 0 || level > 19) {
				tool_err("--level: expected 0..19");
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--quiet") ||
			   !strcmp(argv[i], "-q")) {
			quiet = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage();
			return EXIT_OK;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			usage();
			tool_err("import: unknown option '%s'", argv[i]);
			return EXIT_USAGE;
		} else if (!store) {
			store = argv[i];
		} else if (!file) {
			file = argv[i];
		} else {
			usage();
			return EXIT_USAGE;
		}
	}
	if (!store || !file || !asmname) {
		usage();
		return EXIT_USAGE;
	}
	memset(&m, 0, sizeof(m));
	m.path = file;
	m.level = level;
	m.line = 1;
	m.at_line_start = 1;
	m.progress = !quiet && isatty(2);
	m.t0 = m.last_progress = tool_now();
	for (int c = 0; c < 256; c++)
		m.valid[c] = (uint8_t)gdb_codecs_dna_valid(c);
	m.blk = malloc(GDB_DNA_BLOCK_BASES);
	m.upper = malloc(GDB_DNA_BLOCK_BASES);
	m.enccap = gdb_codecs_dna_bound(GDB_DNA_BLOCK_BASES);
	m.enc = malloc(m.enccap);
	m.hdr = malloc(HEADER_MAX + 1);
	m.md5 = EVP_MD_CTX_new();
	m.sha = EVP_MD_CTX_new();
	if (!m.blk || !m.upper || !m.enc || !m.hdr || !m.md5 || !m.sha) {
		tool_err("out of memory");
		rc = EXIT_FAIL;
		goto out;
	}
	/* Open the input first: a missing file must not touch the store. */
	if (tool_src_open(file, &m.src, err, sizeof(err)) < 0) {
		tool_err("%s", err);
		rc = EXIT_FAIL;
		goto out;
	}
	if (gdb_txn_begin(store, &m.txn, err, sizeof(err)) < 0 ||
	    gdb_txn_assembly_begin(m.txn, asmname, err, sizeof(err)) < 0) {
		tool_err("%s", err);
		rc = EXIT_FAIL;
		goto out;
	}
	if (run(&m) < 0) {
		if (m.progress)
			fputc('\n', stderr);
		tool_err("%s", m.err);
		rc = EXIT_FAIL;
		goto out;
	}
	tool_src_provenance(m.src, asmname, file, &prov);
	in_bytes = prov.source_bytes;
	seg_bytes = gdb_txn_bytes_written(m.txn);
	if (tool_commit(&m.txn, &prov, 1, &gen) < 0) {
		rc = EXIT_FAIL;
		goto out;
	}
	progress(&m, 1);
	el = tool_now() - m.t0;
	if (!quiet)
		fprintf(stderr,
			"imported %u contig%s, %lld bases, into assembly '%s' "
			"(generation %llu): %llu bytes of blocks, %.2f s, "
			"%.0f MB/s of input\n",
			m.ncontigs, m.ncontigs == 1 ? "" : "s",
			(long long)m.total_bases, asmname,
			(unsigned long long)gen,
			(unsigned long long)seg_bytes, el,
			el > 0 ? (double)in_bytes / 1e6 / el : 0.0);
	rc = EXIT_OK;
out:
	gdb_txn_abort(m.txn);
	tool_src_close(m.src);
	EVP_MD_CTX_free(m.md5);
	EVP_MD_CTX_free(m.sha);
	free(m.blk);
	free(m.upper);
	free(m.enc);
	free(m.hdr);
	return rc;
}
