/*
 * tests/unit/test_fasta_lines.c - the parser's one-step path for lines
 * that repeat the last line's shape (seq/fasta.c simple_lines) gives the
 * records the line-by-line path gives: the same input parsed in one
 * chunk (nearly every line takes the one-step path, in batches of up to
 * 64 Ki bases), in chunks of 4099 bytes (batches cut by the chunk's end)
 * and one byte at a time (no line can: each is cut by the chunk's end)
 * yields the same names, lengths, line widths, layout bytes and bases,
 * and the input is accepted every way; with the DNA alphabet, the
 * protein one, and none (the detection pass: one line at a time).
 * Inputs: soft-masked and N-run lines, IUPAC letters, a protein's
 * letters, width changes, blank lines, CRLF lines, blanks inside lines,
 * short last lines, lines longer than a batch, no final newline.
 *
 * Exit status: 0 pass, 1 fail (the first failures are printed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seq/seq_int.h"

#define UNIT_SEED 0x666173746131696eull
#include "tests/unit/unit.h"

/* Everything a parse hands out, back to back. */
struct rec_log {
	gdb_buf all;
	unsigned nrec;
};

static int on_begin(void *arg, const char *name, const char *desc, char *err,
		    size_t errlen)
{
	struct rec_log *l = arg;

	(void)err;
	(void)errlen;
	gdb_buf_add(&l->all, "B", 1);
	gdb_buf_add(&l->all, name, strlen(name) + 1);
	gdb_buf_add(&l->all, desc, strlen(desc) + 1);
	return 0;
}

static int on_bases(void *arg, const char *p, size_t n, char *err,
		    size_t errlen)
{
	(void)err;
	(void)errlen;
	gdb_buf_add(&((struct rec_log *)arg)->all, p, n);
	return 0;
}

static int on_end(void *arg, const gdb_fasta_rec *rec, char *err, size_t errlen)
{
	struct rec_log *l = arg;
	uint64_t f[3] = {(uint64_t)rec->length, rec->line_width,
			 rec->fasta_bytes};

	(void)err;
	(void)errlen;
	gdb_buf_add(&l->all, "E", 1);
	gdb_buf_add(&l->all, f, sizeof(f));
	gdb_buf_add(&l->all, rec->layout, rec->layout_len);
	l->nrec++;
	return 0;
}

/* Parse text in chunks of `chunk` bytes; @return the parse's result. */
static int parse(const char *text, size_t n, size_t chunk, uint32_t alphabet,
		 struct rec_log *l)
{
	gdb_fasta_sink sink = {on_begin, on_bases, on_end, l};
	gdb_fasta_parser *p;
	char err[512] = "";
	size_t off = 0;
	int rc = 0;

	if (gdb_fasta_parser_new("t.fa", &sink, &p) < 0)
		return -1;
	gdb_fasta_parser_alphabet(p, alphabet);
	while (rc == 0 && off < n) {
		size_t k = n - off < chunk ? n - off : chunk;
		rc = gdb_fasta_parse(p, text + off, k, err, sizeof(err));
		off += k;
	}
	if (rc == 0)
		rc = gdb_fasta_finish(p, err, sizeof(err));
	if (rc < 0)
		FAIL("chunk %zu: refused: %s", chunk, err);
	gdb_fasta_parser_free(p);
	return rc;
}

/* A random record's sequence lines into b: DNA letters, or a protein's
 * when prot; now and then lines longer than a batch. */
static void record(gdb_buf *b, unsigned i, int prot)
{
	static const char *const sets[] = {
	    "ACGT",	   "acgt",	 "ACGTacgtNn",
	    "ACGTRYKMSWN", "NNNNNNNNNA", "ACDEFGHIKLMNPQRSTVWYacgt",
	    "MKVLAAGIT"};
	const char *set = sets[prot ? 5 + rnd() % 2 : rnd() % 5];
	size_t len = strlen(set), w = 1 + rnd() % 90, n = 1 + rnd() % 5000;
	char line[70000];

	if (rnd() % 8 == 0) {
		w = 65530 + rnd() % 20; /* around a batch of 64 Ki bases */
		n = w * (1 + rnd() % 3) + rnd() % 100;
	}
	snprintf(line, sizeof(line), ">r%u some words\n", i);
	gdb_buf_add(b, line, strlen(line));
	while (n) {
		size_t k = rnd() % 50 ? w : 1 + rnd() % 100, j;
		if (k > n)
			k = n;
		for (j = 0; j < k; j++)
			line[j] = set[rnd() % len];
		if (rnd() % 60 == 0 && k > 3)
			line[k / 2] = ' ';
		gdb_buf_add(b, line, k);
		if (rnd() % 80 == 0)
			gdb_buf_add(b, "\r", 1);
		gdb_buf_add(b, "\n", 1);
		if (rnd() % 100 == 0)
			gdb_buf_add(b, "\n", 1);
		n -= k;
	}
}

int main(void)
{
	static const uint32_t alpha[] = {GDB_ALPHA_DNA, GDB_ALPHA_PROTEIN, 0};
	static const size_t chunks[] = {0, 4099, 1}; /* 0: the whole input */

	for (int round = 0; round < 36; round++) {
		gdb_buf in = {0};
		struct rec_log log[3] = {0};
		unsigned nrec = 1 + (unsigned)(rnd() % 20);
		uint32_t a = alpha[round % 3];

		for (unsigned i = 0; i < nrec; i++)
			record(&in, i, a != GDB_ALPHA_DNA && rnd() % 2);
		if (round % 4 == 0)
			in.len--; /* no final newline */
		for (int c = 0; c < 3; c++)
			CHECK(parse(in.p, in.len,
				    chunks[c] ? chunks[c] : in.len, a,
				    &log[c]) == (int)nrec,
			      "round %d: chunks of %zu", round, chunks[c]);
		for (int c = 1; c < 3; c++)
			CHECK(log[c].nrec == nrec && log[0].nrec == nrec &&
				  log[c].all.len == log[0].all.len &&
				  !memcmp(log[c].all.p, log[0].all.p,
					  log[0].all.len),
			      "round %d: chunks of %zu: the records differ",
			      round, chunks[c]);
		gdb_buf_free(&in);
		for (int c = 0; c < 3; c++)
			gdb_buf_free(&log[c].all);
	}
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
