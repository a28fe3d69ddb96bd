/*
 * codecs/protein.c - the protein codec: a residue code under a static
 * order-1 rANS coder (docs/FORMAT.md, "Protein block").
 *
 * Residues get a code 0..26 (27 letters, the most frequent first: the
 * order of UniProt's composition). Each residue is coded with the
 * frequencies of its context, the residue before it (the block's first
 * has a context of its own), from tables counted over the assembly's
 * first residues at import and stored once in the model (about 1.5 KiB).
 * Protein sequence is close to random beyond order 1 (order 0 is about
 * 4.16 bits a residue, order 1 4.13, order 2 fitted on a sample no
 * better), so a fixed order-1 model loses little to context mixing and
 * codes an order of magnitude faster; being static, it needs no state
 * but the coder's, so a block decodes on its own, and a sub-range stops
 * where the range ends. Lowercase residues are a run list beside.
 *
 * A block is: varint nres, the lowercase runs, the rANS state (u32) and
 * its renormalisation bytes. The rANS is byte-wise (32-bit state kept in
 * [2^23, 2^31), 12-bit frequencies), encoded last residue first so the
 * decoder reads forward; its final state must be 2^23 again and every
 * byte used, or the block is corrupt.
 *
 * Models of version 1 (the context-mixing coder this one replaced) are
 * still read: codecs/protein_cm.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/codecs_int.h"

const char gdb_protein_residues[] = "LAGVESIKRDTPNQFYMHCWXBZUOJ*";
#define NRES GDB_PROTEIN_NRES
#define NONE NRES /* the context before a block's first residue */
#define NCTX (NRES + 1)
#define SCALE_BITS 12
#define TOTAL (1u << SCALE_BITS)
#define RANS_L (1u << 23)
#define BLOB_VERSION 2
#define BLOB_LEN (1 + 2 * NCTX * NRES)
/* residues whose order-1 counts make the model: plenty for 28 x 27
 * counts, and the import reads no further to build it */
#define TRAIN_RESIDUES (1u << 20)
#define SMOOTH 16 /* order-0 pseudo-counts blended into each context */

static int8_t code_of[256];
static pthread_once_t codes_once = PTHREAD_ONCE_INIT;

static void codes_fill(void)
{
	memset(code_of, -1, sizeof(code_of));
	for (int i = 0; i < NRES; i++) {
		code_of[(uint8_t)gdb_protein_residues[i]] = (int8_t)i;
		if (gdb_protein_residues[i] != '*')
			code_of[(uint8_t)(gdb_protein_residues[i] | 0x20)] =
			    (int8_t)i;
	}
}

/* ---- the trainer: residue pair counts over the assembly's start ---- */

struct ptrain {
	uint64_t pair[NCTX][NRES];
	uint64_t seen;
};

int gdb_protein_train_new(void **st)
{
	struct ptrain *t = calloc(1, sizeof(*t));

	pthread_once(&codes_once, codes_fill);
	if (!t)
		return -ENOMEM;
	*st = t;
	return 0;
}

void gdb_protein_train_free(void *st)
{
	free(st);
}

int gdb_protein_train(void *st, const char *res, uint32_t n)
{
	struct ptrain *t = st;
	int prev = NONE; /* each block starts without context */

	if (t->seen >= TRAIN_RESIDUES)
		return 1;
	for (uint32_t i = 0; i < n; i++) {
		int c = code_of[(uint8_t)res[i]];
		if (c < 0)
			continue; /* refused again, with its position, later */
		t->pair[prev][c]++;
		prev = c;
	}
	t->seen += n;
	return t->seen >= TRAIN_RESIDUES;
}

/* Scale weights w[NRES] to frequencies summing to TOTAL, none 0. */
static void normalize(const uint64_t *w, uint16_t *f)
{
	uint64_t tot = 0;
	uint32_t sum = 0;
	int big = 0;

	for (int c = 0; c < NRES; c++)
		tot += w[c];
	for (int c = 0; c < NRES; c++) {
		uint64_t v = tot ? w[c] * TOTAL / tot : 0;
		f[c] = (uint16_t)(v < 1 ? 1 : v);
		sum += f[c];
		if (f[c] > f[big])
			big = c;
	}
	/* the rounding is at most NRES either way; the largest absorbs it */
	f[big] = (uint16_t)(f[big] + TOTAL - sum);
}

int gdb_protein_model_blob(void *st, gdb_buf *blob)
{
	struct ptrain *t = st;
	uint64_t o0[NRES] = {0}, tot0 = 0, w[NRES];
	uint16_t f[NRES];
	uint8_t *b = gdb_buf_room(blob, BLOB_LEN);

	if (!b)
		return blob->err;
	for (int ctx = 0; ctx < NCTX; ctx++)
		for (int c = 0; c < NRES; c++)
			o0[c] += t->pair[ctx][c];
	for (int c = 0; c < NRES; c++)
		tot0 += o0[c];
	b[0] = BLOB_VERSION;
	for (int ctx = 0; ctx < NCTX; ctx++) {
		/* counts x 4096 plus SMOOTH observations spread as order 0 */
		for (int c = 0; c < NRES; c++)
			w[c] = t->pair[ctx][c] * TOTAL +
			       (tot0 ? SMOOTH * TOTAL * o0[c] / tot0 : 1);
		normalize(w, f);
		for (int c = 0; c < NRES; c++)
			gdb_put_le16(b + 1 + 2 * (ctx * NRES + c), f[c]);
	}
	return 0;
}

/* ---- the model ---- */

struct rsym { /* an encoder's symbol, division-free (ryg's rans_byte) */
	uint32_t x_max, rcp_freq, bias;
	uint16_t cmpl_freq, rcp_shift;
};

struct pmodel {
	int version;
	void *cm; /* version 1 */
	uint16_t freq[NCTX][NRES], start[NCTX][NRES];
	struct rsym enc[NCTX][NRES];
	uint8_t sym[NCTX][TOTAL];
};

static void rsym_init(struct rsym *s, uint32_t start, uint32_t freq)
{
	s->x_max = ((RANS_L >> SCALE_BITS) << 8) * freq;
	s->cmpl_freq = (uint16_t)(TOTAL - freq);
	if (freq < 2) {
		s->rcp_freq = ~0u;
		s->rcp_shift = 0;
		s->bias = start + TOTAL - 1;
	} else {
		uint32_t shift = 0;
		while (freq > (1u << shift))
			shift++;
		s->rcp_freq =
		    (uint32_t)(((1ull << (shift + 31)) + freq - 1) / freq);
		s->rcp_shift = (uint16_t)(shift - 1);
		s->bias = start;
	}
}

static int load_v2(const uint8_t *blob, struct pmodel *m)
{
	for (int ctx = 0; ctx < NCTX; ctx++) {
		uint32_t cum = 0;
		for (int c = 0; c < NRES; c++) {
			uint16_t f =
			    gdb_get_le16(blob + 1 + 2 * (ctx * NRES + c));
			if (f < 1 || cum + f > TOTAL)
				return GDB_CORRUPT("protein model frequency");
			m->freq[ctx][c] = f;
			m->start[ctx][c] = (uint16_t)cum;
			rsym_init(&m->enc[ctx][c], cum, f);
			memset(&m->sym[ctx][cum], c, f);
			cum += f;
		}
		if (cum != TOTAL)
			return GDB_CORRUPT("protein model frequencies' sum");
	}
	return 0;
}

int gdb_protein_model_load(const uint8_t *blob, size_t len, void **impl)
{
	struct pmodel *m;
	int rc;

	pthread_once(&codes_once, codes_fill);
	if (len < 1 || (blob[0] != 1 && blob[0] != BLOB_VERSION) ||
	    (blob[0] == BLOB_VERSION && len != BLOB_LEN))
		return GDB_CORRUPT("protein model size or version");
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->version = blob[0];
	rc = m->version == 1 ? gdb_protein_cm_load(blob, len, &m->cm)
			     : load_v2(blob, m);
	if (rc < 0) {
		free(m);
		return rc;
	}
	*impl = m;
	return 0;
}

void gdb_protein_model_free(void *impl)
{
	struct pmodel *m = impl;

	if (m)
		free(m->cm);
	free(m);
}

int gdb_protein_describe(const void *impl, char *buf, size_t cap)
{
	const struct pmodel *m = impl;

	if (m->version == 1)
		return snprintf(buf, cap,
				"27-letter residue code, orders 0-3 mixed "
				"(version 1, read only)");
	return snprintf(buf, cap,
			"27-letter residue code, static order-1 rANS, "
			"tables over the assembly's first residues");
}

/* ---- blocks ---- */

/* rANS-code codes[0..n) (contexts from the codes) into out. */
static int rans_encode(const struct pmodel *m, const uint8_t *codes, uint32_t n,
		       gdb_buf *out)
{
	/* at most 2 bytes a residue (12-bit frequencies) and the state */
	uint8_t *buf = malloc(2 * (size_t)n + 8), *p = buf + 2 * (size_t)n + 8;
	uint32_t x = RANS_L;

	if (!buf)
		return -ENOMEM;
	for (uint32_t i = n; i-- > 0;) {
		const struct rsym *s =
		    &m->enc[i ? codes[i - 1] : NONE][codes[i]];
		uint32_t q;
		while (x >= s->x_max) {
			*--p = (uint8_t)x;
			x >>= 8;
		}
		q = (uint32_t)(((uint64_t)x * s->rcp_freq) >> 32) >>
		    s->rcp_shift;
		x += s->bias + q * s->cmpl_freq;
	}
	p -= 4;
	gdb_put_le32(p, x);
	gdb_buf_add(out, p, (size_t)(buf + 2 * (size_t)n + 8 - p));
	free(buf);
	return 0;
}

int gdb_protein_encode(const void *impl, const char *res, uint32_t n,
		       gdb_buf *out, uint32_t *badpos)
{
	const struct pmodel *m = impl;
	cm_runs lower = {0};
	uint8_t *codes;
	int rc;

	if (m->version != BLOB_VERSION)
		return -EINVAL;
	codes = malloc(n ? n : 1);
	if (!codes)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		int c = code_of[(uint8_t)res[i]];
		if (c < 0) {
			if (badpos)
				*badpos = i;
			free(codes);
			return GDB_EFORMAT;
		}
		codes[i] = (uint8_t)c;
	}
	rc = gdb_cm_runs_lower(res, n, &lower);
	if (rc == 0) {
		gdb_put_varint(out, n);
		gdb_cm_runs_put(out, &lower, 0);
		rc = rans_encode(m, codes, n, out);
	}
	free(codes);
	gdb_cm_runs_free(&lower);
	return rc < 0 ? rc : out->err;
}

int gdb_protein_nbases(const uint8_t *src, size_t len)
{
	const uint8_t *p = src;
	uint64_t n;

	if (gdb_get_varint(&p, src + len, &n) < 0 || n == 0 ||
	    n > GDB_DNA_BLOCK_BASES)
		return GDB_CORRUPT("protein block residue count");
	return (int)n;
}

/* Residues [0, to) of the rANS part at p..end; [from, to) into dst. */
static int rans_decode(const struct pmodel *m, const uint8_t *p,
		       const uint8_t *end, uint32_t n, uint32_t from,
		       uint32_t to, char *dst)
{
	uint32_t x, ctx = NONE;

	if (end - p < 4)
		return GDB_CORRUPT("protein block without its coder state");
	x = gdb_get_le32(p);
	p += 4;
	for (uint32_t i = 0; i < to; i++) {
		uint32_t slot = x & (TOTAL - 1);
		uint8_t c = m->sym[ctx][slot];
		x = m->freq[ctx][c] * (x >> SCALE_BITS) + slot -
		    m->start[ctx][c];
		while (x < RANS_L) {
			if (p == end)
				return GDB_CORRUPT("protein block cut short");
			x = (x << 8) | *p++;
		}
		if (i >= from)
			dst[i - from] = gdb_protein_residues[c];
		ctx = c;
	}
	/* a whole block ends where its encoder began, with every byte used */
	if (to == n && (x != RANS_L || p != end))
		return GDB_CORRUPT("protein block does not end as coded");
	return 0;
}

int gdb_protein_decode(const void *impl, const uint8_t *src, size_t len,
		       uint32_t from, uint32_t to, char *dst)
{
	const struct pmodel *m = impl;
	const uint8_t *p = src, *end = src + len;
	cm_runs lower = {0};
	uint64_t n;
	int rc;

	if (gdb_get_varint(&p, end, &n) < 0 || n == 0 ||
	    n > GDB_DNA_BLOCK_BASES || to > n)
		return GDB_CORRUPT("protein block residue count");
	rc = gdb_cm_runs_get(&p, end, (uint32_t)n, 0, NULL, &lower);
	if (rc == 0 && p >= end)
		rc = GDB_CORRUPT("protein block without coded residues");
	if (rc == 0 && m->version == 1)
		rc = gdb_protein_cm_decode(m->cm, p, end, (uint32_t)n, from, to,
					   dst);
	else if (rc == 0)
		rc = rans_decode(m, p, end, (uint32_t)n, from, to, dst);
	if (rc == 0)
		gdb_cm_runs_apply_lower(&lower, from, to, dst);
	for (uint32_t i = 0; rc == 0 && i < lower.n; i++) {
		uint32_t a = lower.start[i], b = a + lower.len[i];
		for (uint32_t k = a > from ? a : from; k < b && k < to; k++)
			if (dst[k - from] == '*')
				rc = GDB_CORRUPT(
				    "protein block: a lowercase '*'");
	}
	gdb_cm_runs_free(&lower);
	return rc < 0 ? rc : (int)(to - from);
}
