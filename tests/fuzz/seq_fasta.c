/*
 * tests/fuzz/seq_fasta.c - the FASTA parser (seq/fasta.c) and the record
 * layouts it builds (seq/layout.c). An input may be refused (an answer);
 * an accepted one must come back byte for byte: each record's layout,
 * name, description and bases are replayed the way export replays them
 * and compared with the input, so a layout that loses a byte aborts.
 * The first input byte picks the chunk size, to cut the input anywhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seq/seq_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct acc {
	gdb_buf bases, out;
	size_t used;		/* bases of the current record consumed */
};

static int on_begin(void *arg, const char *name, const char *desc,
		    char *err, size_t errlen)
{
	struct acc *a = arg;

	(void)name;
	(void)desc;
	(void)err;
	(void)errlen;
	a->bases.len = 0;
	a->used = 0;
	return 0;
}

static int on_bases(void *arg, const char *p, size_t n, char *err,
		    size_t errlen)
{
	(void)err;
	(void)errlen;
	gdb_buf_add(&((struct acc *)arg)->bases, p, n);
	return 0;
}

/* Replay one record as export does, appending to a->out. */
static int on_end(void *arg, const gdb_fasta_rec *rec, char *err,
		  size_t errlen)
{
	struct acc *a = arg;
	gdb_buf reg = {0};
	gdb_layout_r r;
	const uint8_t *lay = rec->layout;
	size_t len = rec->layout_len, hl = strlen(rec->name) + strlen(rec->desc);
	uint64_t total = 0, count;
	uint32_t shape;

	(void)err;
	(void)errlen;
	if (!len) {
		if (gdb_layout_regular(rec->length, rec->line_width, &reg) < 0)
			abort();
		lay = (const uint8_t *)reg.p;
		len = reg.len;
	}
	if (gdb_layout_read(&r, lay, len, rec->length, hl, &total) < 0 ||
	    total != rec->fasta_bytes ||
	    (uint64_t)rec->length != a->bases.len)
		abort();
	gdb_buf_add(&a->out, r.pre, r.npre);
	gdb_buf_add(&a->out, ">", 1);
	gdb_buf_add(&a->out, r.hpre, r.nhpre);
	gdb_buf_add(&a->out, rec->name, strlen(rec->name));
	gdb_buf_add(&a->out, rec->desc, strlen(rec->desc));
	gdb_buf_add(&a->out, r.hpost, r.nhpost);
	gdb_buf_add(&a->out, "\n", 1);
	while (gdb_layout_next_run(&r, &shape, &count))
		for (uint64_t k = 0; k < count; k++)
			for (uint32_t i = 0; i < r.ntok[shape]; i++) {
				const struct lr_tok *t = &r.tok[r.first[shape] + i];
				if (t->lit) {
					gdb_buf_add(&a->out, t->lit, t->len);
				} else {
					gdb_buf_add(&a->out, a->bases.p + a->used,
						    t->len);
					a->used += t->len;
				}
			}
	gdb_layout_r_free(&r);
	gdb_buf_free(&reg);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acc a = {{0}, {0}, 0};
	gdb_fasta_sink sink = {on_begin, on_bases, on_end, &a};
	gdb_fasta_parser *p;
	char err[512];
	size_t chunk = size ? 1 + data[0] % 64 : 1, off = 0;
	int rc = 0;

	if (size > (1u << 20) || gdb_fasta_parser_new("fuzz.fa", &sink, &p) < 0)
		return 0;
	while (rc == 0 && off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		rc = gdb_fasta_parse(p, (const char *)data + off, n, err,
				     sizeof(err));
		off += n;
	}
	if (rc == 0)
		rc = gdb_fasta_finish(p, err, sizeof(err));
	if (rc > 0 && (a.out.err || a.out.len != size ||
		       memcmp(a.out.p, data, size))) {
		fprintf(stderr, "seq_fasta: accepted input not given back\n");
		abort();
	}
	gdb_fasta_parser_free(p);
	gdb_buf_free(&a.bases);
	gdb_buf_free(&a.out);
	return 0;
}
