/*
 * seq/seq_int.h - what the files of seq/ share: the layout builder the
 * parser feeds, the layout reader the exporter replays, varints. No other
 * module includes this file.
 */
#ifndef GDB_SEQ_INT_H
#define GDB_SEQ_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/gdb.h"
#include "seq/seq.h"

/* Unsigned LEB128, at most 10 bytes (docs/FORMAT.md, "Record layout"). */
void gdb_varint_put(gdb_buf *b, uint64_t v);
/* @return bytes read (1..10), or 0 if malformed or past end. */
size_t gdb_varint_get(const uint8_t *p, const uint8_t *end, uint64_t *v);

/* Bytes allowed as blanks inside sequence lines and around names: the
 * isspace() set without '\n' (samtools skips them; we keep them). */
static inline int gdb_seq_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* One token of a line while it is being read. */
struct lb_tok {
	uint64_t len;
	uint32_t lit; /* literal: offset of its bytes in lb->lit */
	uint8_t is_lit;
};

/* A distinct line shape: its encoding in lb->shapes. */
struct lb_shape {
	size_t off, len;
	uint32_t next; /* hash chain (index + 1) */
};

struct lb_run {
	uint32_t shape;
	uint64_t count;
	uint64_t simple; /* shape is [simple bases, "\n"]; 0: not so */
};

/*
 * The layout of one record, built line by line as the parser reads it.
 * Memory: the distinct shapes and one run per change of shape, so a
 * regular record costs a few bytes whatever its length.
 */
typedef struct gdb_layout_b {
	gdb_buf pre, hpre, hpost; /* prelude, around the name */
	gdb_buf shapes;		  /* encoded shapes, back to back */
	struct lb_shape *sh;
	uint32_t nsh, capsh;
	uint32_t hbuckets[256]; /* shape hash heads (index + 1) */
	struct lb_run *run;
	uint32_t nrun, caprun;
	/* the line being read */
	struct lb_tok *tok;
	uint32_t ntok, captok;
	gdb_buf lit, enc; /* its literal bytes; scratch */
	uint64_t line_bases;
	int err; /* -ENOMEM stuck */
} gdb_layout_b;

void gdb_lb_reset(gdb_layout_b *lb);
void gdb_lb_free(gdb_layout_b *lb);
void gdb_lb_bases(gdb_layout_b *lb, uint64_t n);
void gdb_lb_literal(gdb_layout_b *lb, const char *p, size_t n);
/* End the line being read (its '\n' already added as a literal, or none
 * at the end of the input). A line with no token adds nothing. */
void gdb_lb_line_end(gdb_layout_b *lb);
/* Between lines: the width W when the last line was [W bases, "\n"],
 * else 0; then _repeat adds k more such lines (as k times _bases(W),
 * _literal("\n"), _line_end would, without their work per line). */
uint64_t gdb_lb_simple_width(const gdb_layout_b *lb);
void gdb_lb_repeat(gdb_layout_b *lb, uint64_t k);
/* The record's layout bytes into out (reset first). */
int gdb_lb_encode(const gdb_layout_b *lb, gdb_buf *out);

/* The regular layout of a record: lines of width bases, '\n' each. */
int gdb_layout_regular(int64_t length, uint32_t width, gdb_buf *out);

/* A parsed layout, ready to replay. */
struct lr_tok {
	uint64_t len;
	const uint8_t *lit; /* NULL for bases */
};

typedef struct gdb_layout_r {
	const uint8_t *pre, *hpre, *hpost;
	size_t npre, nhpre, nhpost;
	struct lr_tok *tok;	/* every shape's tokens, back to back */
	uint32_t *first, *ntok; /* per shape */
	uint32_t nshapes;
	const uint8_t *runs, *end; /* the run list, still encoded */
	uint64_t nruns;
} gdb_layout_r;

/*
 * Parse and check layout bytes (kept borrowed) against a record of length
 * bases and header_len bytes of name and description.
 * @param total out (may be NULL): the record's bytes
 * @return 0, GDB_ECORRUPT, -ENOMEM
 */
int gdb_layout_read(gdb_layout_r *r, const uint8_t *p, size_t len,
		    int64_t length, size_t header_len, uint64_t *total);
/* Next run: @return 1 with shape and count, 0 at the end. */
int gdb_layout_next_run(gdb_layout_r *r, uint32_t *shape, uint64_t *count);
void gdb_layout_r_free(gdb_layout_r *r);

/*
 * The MD5 and SHA-512 of a record's upper-cased bases (seq/digest.c), on
 * two threads of their own when threads != 1 (a record shorter than one
 * hand-off is digested on the caller's thread). Feed a record's bases with
 * _add (any number of calls), then _end gives its digests and readies the
 * next record. One caller thread.
 *
 * _new_sha256: the SHA-256 of raw bytes (an input file, seq/source.c) on
 * one thread of its own. Its caller writes the bytes straight into the
 * ring: _room gives where (at least 1 byte, *cap of them), _commit(n)
 * hands on n bytes written there; they stay readable, unchanged, until
 * the ring comes round to their slot again (NSLOT - 1 = 7 hand-offs of
 * 256 KiB later).
 * _final gives the digest (out[0]) and readies the next record.
 */
typedef struct gdb_digester gdb_digester;
int gdb_digester_new(unsigned threads, gdb_digester **out);
int gdb_digester_new_sha256(unsigned threads, gdb_digester **out);
int gdb_digester_add(gdb_digester *d, const char *p, size_t n);
char *gdb_digester_room(gdb_digester *d, size_t *cap);
void gdb_digester_commit(gdb_digester *d, size_t n);
/* @return 0, or -ENOMEM when the digest library failed */
int gdb_digester_end(gdb_digester *d, uint8_t md5[16], uint8_t sha512[64]);
/* Each digest into out[i], in the order _new names them; as _end. */
int gdb_digester_final(gdb_digester *d, uint8_t *const out[]);
void gdb_digester_free(gdb_digester *d);

#endif
