/*
 * codecs/cm.c - the cm codec for DNA and RNA: order-k context models
 * mixed in the logistic domain, driving a binary arithmetic coder, with
 * random access to every block (docs/FORMAT.md, "CM block" and "CM
 * model").
 *
 * The idea (GeCo's and the cm family's, arranged for random access): a
 * base is two binary decisions; each is predicted by several order-k
 * models (the counts of what followed the last k bases) and the
 * predictions are mixed by weights learnt online. Whole-file compressors
 * learn the models over the whole sequence, which a block that must
 * decode on its own cannot do. Here the models are learnt once, at
 * import, from a sample of the assembly's own blocks (the training
 * blocks, spread evenly, forward and reverse-complement strands), and
 * frozen; those blocks are stored 2-bit so a reader can rebuild the same
 * models from them, bit for bit, once per assembly. Every other block is
 * coded with the frozen models; only the mixer's weights (starting from
 * values trained at import and stored in the model) adapt within a block,
 * and the coder restarts at each block and at each restart point inside
 * one (every --cm-restart bases, 1024 by default), so a read decodes
 * from the restart point before it, not from the block's start. A block never
 * costs more than its 2-bit form: when coding does not pay, the 2-bit block is
 * stored.
 *
 * The models (cm_model.c) live in tables of 16-slot lines: the line is
 * chosen by the context without its last two bases, the slot by those,
 * so the lines a base will need are known (and prefetched) two bases
 * ahead.
 *
 * N, the IUPAC codes and soft-masking are run lists beside the coded
 * bases (which skip them, as the models' contexts do).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/cm_int.h"

#define KIND_PLAIN 0 /* a 2bit block follows */
#define KIND_CM 1    /* one coded segment */
#define KIND_CMR 2   /* a coded segment every restart interval */
#define KIND_TRAIN 3 /* a training block in the model's chain */
#define KIND_CMP 4   /* as KIND_CMR, the segment lengths bit-packed */
#define SEG_WMAX 24  /* bits of a packed segment length at most */
#define FLAG_RNA 1u

static int exc_ok_dna(int c)
{
	return c != 'A' && c != 'C' && c != 'G' && c != 'T' &&
	       gdb_codecs_dna_valid(c) && c <= 'Z';
}

static int exc_ok_rna(int c)
{
	return c != 'A' && c != 'C' && c != 'G' && c != 'U' &&
	       gdb_codecs_dna_valid(c) && c <= 'Z';
}

/* The 2-bit code of a base the coder codes, else -1. */
static inline int base_code(char c, int rna)
{
	switch (c & ~0x20) {
	case 'A':
		return 0;
	case 'C':
		return 1;
	case 'G':
		return 2;
	case 'T':
		return rna ? -1 : 3;
	case 'U':
		return rna ? 3 : -1;
	default:
		return -1;
	}
}

/* ---- encoding ---- */

/* Exception runs: maximal runs of one non-coded letter (upper-cased). */
static int scan_exc(const char *b, uint32_t n, int rna, cm_runs *exc,
		    uint32_t *badpos)
{
	uint32_t i = 0, j;

	while (i < n) {
		uint8_t u;
		if (!gdb_codecs_dna_valid((uint8_t)b[i])) {
			if (badpos)
				*badpos = i;
			return GDB_EFORMAT;
		}
		if (base_code(b[i], rna) >= 0) {
			i++;
			continue;
		}
		u = (uint8_t)(b[i] & ~0x20);
		for (j = i + 1; j < n && (uint8_t)(b[j] & ~0x20) == u &&
				gdb_codecs_dna_valid((uint8_t)b[j]);
		     j++)
			;
		GDB_TRY(gdb_cm_runs_add(exc, i, j - i, u));
		i = j;
	}
	return 0;
}

static int encode_plain(const char *b, uint32_t n, int rna, gdb_buf *out,
			uint32_t *badpos)
{
	size_t cap = gdb_codecs_dna_bound(n);
	uint8_t *dst;
	int len;

	out->len = 0;
	dst = gdb_buf_room(out, 1 + cap);
	if (!dst)
		return out->err;
	dst[0] = KIND_PLAIN;
	len = rna ? gdb_codecs_rna_encode(b, n, 0, dst + 1, cap, badpos)
		  : gdb_codecs_dna_encode(b, n, 0, dst + 1, cap, badpos);
	if (len < 0)
		return len;
	out->len = 1 + (size_t)len;
	return 0;
}

/* The coded bases of b[from, to) (those outside exception runs), as 2-bit
 * codes. */
static uint32_t coded_bases(const char *b, uint32_t from, uint32_t to, int rna,
			    uint8_t *c)
{
	uint32_t k = 0;

	for (uint32_t i = from; i < to; i++) {
		int v = base_code(b[i], rna);
		if (v >= 0)
			c[k++] = (uint8_t)v;
	}
	return k;
}

/* Code k bases with a fresh coder and model state: one segment. */
static void code_segment(const struct cm_model *m, const uint8_t *codes,
			 uint32_t k, gdb_buf *out)
{
	struct cm_block st;
	cm_enc e;

	cm_block_init(&st, m);
	cm_enc_init(&e, out);
	for (uint32_t i = 0; i < k; i++) {
		int c = codes[i], node = 0;
		cm_block_lookup(&st, m);
		for (int bit = 1; bit >= 0; bit--) {
			int y = (c >> bit) & 1;
			cm_enc_bit(&e, y, cm_block_predict(&st, m, node));
			cm_block_update(&st, m, y);
			node = 1 + y;
		}
		cm_block_push(&st, m, c);
	}
	cm_enc_flush(&e);
}

/* Kind 4's segment table: the lengths of the ns segments but the last,
 * as the smallest, the bits of the rest, and each one's excess over the
 * smallest in that many bits (LSB first). */
static void put_seg_table(gdb_buf *out, const uint32_t *len, uint32_t ns)
{
	uint32_t lo = UINT32_MAX, hi = 0, w = 0;
	uint64_t acc = 0;
	int nacc = 0;

	for (uint32_t j = 0; j + 1 < ns; j++) {
		lo = len[j] < lo ? len[j] : lo;
		hi = len[j] > hi ? len[j] : hi;
	}
	while (w < 32 && (hi - lo) >> w)
		w++;
	gdb_put_varint(out, lo);
	gdb_buf_add(out, &(uint8_t){(uint8_t)w}, 1);
	for (uint32_t j = 0; j + 1 < ns; j++) {
		acc |= (uint64_t)(len[j] - lo) << nacc;
		for (nacc += (int)w; nacc >= 8; nacc -= 8, acc >>= 8)
			gdb_buf_add(out, &(uint8_t){(uint8_t)acc}, 1);
	}
	if (nacc > 0)
		gdb_buf_add(out, &(uint8_t){(uint8_t)acc}, 1);
}

/* The coded bases after the header: one segment (kind 1), or one a
 * restart interval with their packed lengths before them (kind 4). */
static int code_segments(const struct cm_model *m, const char *b, uint32_t n,
			 int rna, uint32_t restart, uint8_t *codes,
			 gdb_buf *out)
{
	uint32_t ns = (n + restart - 1) / restart, j = 0;
	uint32_t *len = restart < n ? malloc(ns * sizeof(*len)) : NULL;
	gdb_buf seg = {0};
	int rc;

	if (restart >= n) {
		code_segment(m, codes, coded_bases(b, 0, n, rna, codes), out);
		return out->err;
	}
	if (!len)
		return -ENOMEM;
	for (uint32_t a = 0; a < n; a += restart, j++) {
		uint32_t z = n - a > restart ? a + restart : n;
		size_t at = seg.len;
		code_segment(m, codes, coded_bases(b, a, z, rna, codes), &seg);
		len[j] = (uint32_t)(seg.len - at);
	}
	gdb_put_varint(out, restart);
	put_seg_table(out, len, ns);
	gdb_buf_add(out, seg.p, seg.len);
	rc = seg.err ? seg.err : out->err;
	gdb_buf_free(&seg);
	free(len);
	return rc;
}

/* A block's header: kind, base count, flags, exception and lowercase
 * runs. */
static int put_header(int kind, const char *b, uint32_t n, int rna,
		      gdb_buf *out, uint32_t *badpos)
{
	cm_runs exc = {0}, lower = {0};
	int rc = scan_exc(b, n, rna, &exc, badpos);

	if (rc == 0)
		rc = gdb_cm_runs_lower(b, n, &lower);
	if (rc == 0) {
		out->len = 0;
		gdb_buf_add(out, &(uint8_t){(uint8_t)kind}, 1);
		gdb_put_varint(out, n);
		gdb_buf_add(out, &(uint8_t){rna ? FLAG_RNA : 0}, 1);
		gdb_cm_runs_put(out, &exc, 1);
		gdb_cm_runs_put(out, &lower, 0);
		rc = out->err;
	}
	gdb_cm_runs_free(&exc);
	gdb_cm_runs_free(&lower);
	return rc;
}

static int encode_cm(const struct cm_model *m, const char *b, uint32_t n,
		     int rna, uint32_t restart, gdb_buf *out, uint32_t *badpos)
{
	uint8_t *codes = malloc(n);
	int rc = codes ? put_header(restart < n ? KIND_CMP : KIND_CM, b, n, rna,
				    out, badpos)
		       : -ENOMEM;

	if (rc == 0)
		rc = code_segments(m, b, n, rna, restart, codes, out);
	free(codes);
	return rc;
}

uint32_t gdb_cmdna_chain_codes(const char *b, uint32_t n, int rna,
			       uint8_t *codes)
{
	return coded_bases(b, 0, n, rna, codes);
}

/* Training block j of a chained model: the header, j, its chain stream
 * (made with the model). */
static int encode_train(const struct cm_model *m, uint32_t j, const char *b,
			uint32_t n, int rna, gdb_buf *out, uint32_t *badpos)
{
	int rc;

	/* the stream codes the bases the trainer kept: they must be these */
	if (j >= m->n_train || !m->tblk || m->tlen[j] != n ||
	    memcmp(m->tbases[j], b, n))
		return -EINVAL;
	rc = put_header(KIND_TRAIN, b, n, rna, out, badpos);
	if (rc == 0) {
		gdb_put_varint(out, j);
		gdb_buf_add(out, m->tblk[j].p, m->tblk[j].len);
		rc = out->err;
	}
	return rc;
}

int gdb_cmdna_encode(const void *impl, uint32_t block, const char *bases,
		     uint32_t n, int rna, uint32_t restart, gdb_buf *out,
		     uint32_t *badpos)
{
	const struct cm_model *m = impl;
	gdb_buf plain = {0};
	int rc;

	if (n == 0 || n > GDB_DNA_BLOCK_BASES)
		return -EINVAL;
	/* training blocks are read back before the model exists: 2-bit,
	 * or in the chain */
	if (gdb_cmdna_is_training(m, block))
		return m->feat & CM_FEAT_CHAIN
			   ? encode_train(m, block / m->stride, bases, n, rna,
					  out, badpos)
			   : encode_plain(bases, n, rna, out, badpos);
	rc = encode_cm(m, bases, n, rna, restart ? restart : CM_RESTART, out,
		       badpos);
	if (rc == 0)
		rc = encode_plain(bases, n, rna, &plain, NULL);
	/* never more than the 2-bit block (ties go to 2-bit: faster) */
	if (rc == 0 && plain.len <= out->len) {
		out->len = 0;
		gdb_buf_add(out, plain.p, plain.len);
		rc = out->err;
	}
	gdb_buf_free(&plain);
	return rc;
}

/* ---- decoding ---- */

int gdb_cmdna_nbases(const uint8_t *src, size_t len)
{
	const uint8_t *p = src + 1;
	uint64_t n;

	if (len < 2)
		return GDB_CORRUPT("cm block shorter than its header");
	if (src[0] == KIND_PLAIN)
		return gdb_codecs_dna_nbases(src + 1, len - 1);
	if (src[0] != KIND_CM && src[0] != KIND_CMR && src[0] != KIND_TRAIN &&
	    src[0] != KIND_CMP)
		return GDB_CORRUPT("cm block kind");
	if (gdb_get_varint(&p, src + len, &n) < 0 || n == 0 ||
	    n > GDB_DNA_BLOCK_BASES)
		return GDB_CORRUPT("cm block base count");
	return (int)n;
}

/* Decode positions [a, to) of the block from one segment, which starts
 * at position a with a fresh state, writing [from, to) (a <= from);
 * exception runs are skipped (filled later). */
static void decode_segment(const struct cm_model *m, cm_dec *d,
			   const cm_runs *exc, uint32_t a, uint32_t from,
			   uint32_t to, int rna, char *dst)
{
	static const char dna[4] = {'A', 'C', 'G', 'T'};
	static const char rnal[4] = {'A', 'C', 'G', 'U'};
	const char *spell = rna ? rnal : dna;
	struct cm_block st;
	uint32_t r = 0, i = a;

	while (r < exc->n && exc->start[r] + exc->len[r] <= a)
		r++;
	if (r < exc->n && exc->start[r] < a) {
		i = exc->start[r] + exc->len[r];
		r++;
	}
	cm_block_init(&st, m);
	while (i < to) {
		int c = 0, node = 0;
		if (r < exc->n && exc->start[r] == i) {
			i += exc->len[r++];
			continue;
		}
		cm_block_lookup(&st, m);
		for (int bit = 1; bit >= 0; bit--) {
			int y = cm_dec_bit(d, cm_block_predict(&st, m, node));
			cm_block_update(&st, m, y);
			c = c * 2 + y;
			node = 1 + y;
		}
		cm_block_push(&st, m, c);
		if (i >= from)
			dst[i - from] = spell[c];
		i++;
	}
}

/* Where each coded segment lies: one (kind 1) or one a restart interval
 * (kinds 2 and 4: the interval and every segment's length but the
 * last's, as varints or packed). */
struct cm_segs {
	uint32_t restart, n;
	uint32_t *off; /* n + 1 offsets into the coded bytes */
	const uint8_t *p;
};

/* Kind 4's packed lengths of segments 1 .. n - 1 into off (p is left
 * after them). */
static int seg_table_get(const uint8_t **p, const uint8_t *end,
			 struct cm_segs *sg)
{
	uint64_t lo, at = 0, acc = 0;
	uint32_t w;
	int nacc = 0;

	if (gdb_get_varint(p, end, &lo) < 0 || lo == 0 || lo > UINT32_MAX ||
	    *p >= end || **p > SEG_WMAX)
		return GDB_CORRUPT("cm block segment table");
	w = *(*p)++;
	if ((uint64_t)(sg->n - 1) * w > 8 * (uint64_t)(end - *p))
		return GDB_CORRUPT("cm block segment table");
	for (uint32_t j = 1; j < sg->n; j++) {
		while (nacc < (int)w) {
			acc |= (uint64_t) * (*p)++ << nacc;
			nacc += 8;
		}
		at += lo + (acc & ((1ull << w) - 1));
		acc >>= w;
		nacc -= (int)w;
		if (at > (uint64_t)(end - *p))
			return GDB_CORRUPT("cm block segment length");
		sg->off[j] = (uint32_t)at;
	}
	return 0;
}

static int segs_get(int kind, const uint8_t *p, const uint8_t *end,
		    uint32_t nbases, struct cm_segs *sg)
{
	uint64_t v, at = 0;

	sg->restart = nbases;
	if (kind == KIND_CMR || kind == KIND_CMP) {
		if (gdb_get_varint(&p, end, &v) < 0 || v == 0 || v >= nbases)
			return GDB_CORRUPT("cm block restart interval");
		sg->restart = (uint32_t)v;
	}
	sg->n = (nbases + sg->restart - 1) / sg->restart;
	sg->off = malloc(((size_t)sg->n + 1) * sizeof(*sg->off));
	if (!sg->off)
		return -ENOMEM;
	sg->off[0] = 0;
	if (kind == KIND_CMP)
		GDB_TRY(seg_table_get(&p, end, sg));
	for (uint32_t j = 1; kind == KIND_CMR && j < sg->n; j++) {
		if (gdb_get_varint(&p, end, &v) < 0 || v == 0 ||
		    v > (uint64_t)(end - p))
			return GDB_CORRUPT("cm block segment length");
		at += v;
		sg->off[j] = (uint32_t)at;
	}
	at = sg->off[sg->n - 1];
	/* every segment holds at least its final byte */
	if (p >= end || at >= (uint64_t)(end - p))
		return GDB_CORRUPT("cm block without coded bases");
	sg->off[sg->n] = (uint32_t)(end - p);
	sg->p = p;
	return 0;
}

/* Decode [from, to) from the segments it overlaps, each from its start. */
static int decode_segments(const struct cm_model *m, const struct cm_segs *sg,
			   const cm_runs *exc, uint32_t nbases, uint32_t from,
			   uint32_t to, int rna, char *dst)
{
	for (uint32_t j = from / sg->restart; j * sg->restart < to; j++) {
		uint32_t a = j * sg->restart, z = nbases - a > sg->restart
						      ? a + sg->restart
						      : nbases;
		cm_dec d;
		uint32_t f = from > a ? from : a;
		cm_dec_init(&d, sg->p + sg->off[j],
			    sg->off[j + 1] - sg->off[j]);
		decode_segment(m, &d, exc, a, f, to < z ? to : z, rna,
			       dst + (f - from));
		if (to >= z && d.p < d.end)
			return GDB_CORRUPT(
			    "cm block has bytes after its bases");
	}
	return 0;
}

/* A coded block's header (kinds 1-3): base count, flags, runs; p is
 * left after the runs. The caller frees the runs. */
struct cm_head {
	uint32_t n;
	int rna;
	cm_runs exc, lower;
	const uint8_t *p;
};

static int head_get(const uint8_t *src, size_t len, struct cm_head *h)
{
	const uint8_t *p = src + 1, *end = src + len;
	uint64_t n;
	int rc;

	if (gdb_get_varint(&p, end, &n) < 0 || n == 0 ||
	    n > GDB_DNA_BLOCK_BASES || p >= end || (*p & ~FLAG_RNA))
		return GDB_CORRUPT("cm block header");
	h->n = (uint32_t)n;
	h->rna = *p++ & FLAG_RNA;
	rc = gdb_cm_runs_get(&p, end, h->n, 1, h->rna ? exc_ok_rna : exc_ok_dna,
			     &h->exc);
	if (rc == 0)
		rc = gdb_cm_runs_get(&p, end, h->n, 0, NULL, &h->lower);
	h->p = p;
	return rc;
}

static void head_free(struct cm_head *h)
{
	gdb_cm_runs_free(&h->exc);
	gdb_cm_runs_free(&h->lower);
}

/* The exception letters and lowercase of [from, to) into dst. */
static void head_apply(const struct cm_head *h, uint32_t from, uint32_t to,
		       char *dst)
{
	for (uint32_t r = 0; r < h->exc.n; r++) {
		uint32_t a = h->exc.start[r], b = a + h->exc.len[r];
		if (b <= from || a >= to)
			continue;
		a = a > from ? a : from;
		b = b < to ? b : to;
		memset(dst + (a - from), h->exc.letter[r], b - a);
	}
	gdb_cm_runs_apply_lower(&h->lower, from, to, dst);
}

/* A training block of a chained model: its number after the runs. */
static int train_index(const struct cm_head *h, const uint8_t *end, uint32_t *j,
		       const uint8_t **p)
{
	uint64_t v;

	*p = h->p;
	if (gdb_get_varint(p, end, &v) < 0 || v >= UINT32_MAX)
		return GDB_CORRUPT("cm training block number");
	*j = (uint32_t)v;
	return 0;
}

static int decode_cm(const struct cm_model *m, const uint8_t *src, size_t len,
		     uint32_t from, uint32_t to, char *dst)
{
	struct cm_head h = {0};
	struct cm_segs sg = {0};
	const uint8_t *p;
	uint32_t j = 0;
	int rc = head_get(src, len, &h);

	if (rc == 0 && src[0] == KIND_TRAIN) {
		/* its bases were decoded with the model */
		rc = train_index(&h, src + len, &j, &p);
		if (rc == 0 &&
		    (!m->tbases || j >= m->n_train || m->tlen[j] != h.n))
			rc = GDB_CORRUPT("cm training block number");
		if (rc == 0)
			memcpy(dst, m->tbases[j] + from, to - from);
		head_free(&h);
		return rc;
	}
	if (rc == 0)
		rc = segs_get(src[0], h.p, src + len, h.n, &sg);
	if (rc == 0)
		rc = decode_segments(m, &sg, &h.exc, h.n, from, to, h.rna, dst);
	if (rc == 0)
		head_apply(&h, from, to, dst);
	free(sg.off);
	head_free(&h);
	return rc;
}

/* Training block j of a chained model, while the model is built: its
 * bases into dst (its n, at most GDB_DNA_BLOCK_BASES), the chain coder
 * advanced past it; codes is scratch of as many bytes. */
int gdb_cmdna_chain_block(gdb_seqcm *s, uint32_t jwant, const uint8_t *src,
			  size_t len, char *dst, uint8_t *codes)
{
	static const char dna[4] = {'A', 'C', 'G', 'T'};
	static const char rnal[4] = {'A', 'C', 'G', 'U'};
	struct cm_head h = {0};
	const uint8_t *p;
	uint32_t j = 0, k = 0, nexc = 0, r = 0;
	int rc;

	if (len < 2 || src[0] != KIND_TRAIN)
		return GDB_CORRUPT("cm training block kind");
	rc = head_get(src, len, &h);
	if (rc == 0)
		rc = train_index(&h, src + len, &j, &p);
	if (rc == 0 && j != jwant)
		rc = GDB_CORRUPT("cm training block number");
	for (uint32_t i = 0; rc == 0 && i < h.exc.n; i++)
		nexc += h.exc.len[i];
	if (rc == 0)
		rc = gdb_seqcm_get(s, p, (size_t)(src + len - p), codes,
				   h.n - nexc);
	for (uint32_t i = 0; rc == 0 && i < h.n; i++) {
		if (r < h.exc.n && i == h.exc.start[r]) {
			i += h.exc.len[r++] - 1;
			continue;
		}
		dst[i] = (h.rna ? rnal : dna)[codes[k++]];
	}
	if (rc == 0)
		head_apply(&h, 0, h.n, dst);
	head_free(&h);
	return rc < 0 ? rc : (int)h.n;
}

int gdb_cmdna_decode(const void *impl, const uint8_t *src, size_t len,
		     uint32_t from, uint32_t to, char *dst)
{
	int rc;

	if (len < 2)
		return GDB_CORRUPT("cm block shorter than its header");
	if (src[0] == KIND_PLAIN)
		rc = gdb_codecs_dna_decode_range(src + 1, len - 1, from, to,
						 dst, to - from);
	else if ((src[0] == KIND_CM || src[0] == KIND_CMR ||
		  src[0] == KIND_TRAIN || src[0] == KIND_CMP) &&
		 impl)
		rc = decode_cm(impl, src, len, from, to, dst);
	else
		rc = GDB_CORRUPT("cm block kind");
	return rc < 0 ? rc : (int)(to - from);
}

/* The bases of a training block (the model is being built: only a plain
 * block can be one). */
int gdb_cmdna_plain_bases(const uint8_t *src, size_t len, char *dst, size_t cap)
{
	if (len < 2 || src[0] != KIND_PLAIN)
		return GDB_CORRUPT("cm training block is not plain");
	return gdb_codecs_dna_decode(src + 1, len - 1, dst, cap);
}
