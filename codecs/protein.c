/*
 * codecs/protein.c - the protein codec: a residue code under a binary
 * context-mixing arithmetic coder (docs/FORMAT.md, "Protein block").
 *
 * Residues get a 5-bit code (27 letters, the most frequent first: the
 * order of UniProt's composition), coded bit by bit from the high bit.
 * Each bit is predicted by four models, orders 0 to 3 of the preceding
 * residues (order 3 hashed), mixed in the logistic domain by weights
 * chosen by the node of the code tree and the order-2 model's
 * confidence. Orders 0 and 1 start each block from statistics counted
 * over the whole assembly at import (the model, about 2 KiB, stored
 * once); everything else starts fresh, so a block decodes on its own.
 * Lowercase residues are a run list beside the coded residues.
 *
 * A block is: varint nres, the lowercase runs, the coded bits. Decoding
 * a sub-range decodes from the block's start to its end, writing only the
 * range.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/codecs_int.h"

static const char RESIDUES[] = "LAGVESIKRDTPNQFYMHCWXBZUOJ*";
#define NRES 27
#define NONE NRES /* the context before a block's first residue */
#define NCTX (NRES + 1)
#define NODES 32 /* tree nodes 1..31 */
#define O2 (NCTX * NCTX * NODES)
#define O3_BITS 16
#define O3 (1u << O3_BITS)
#define NIN 5 /* four models and a bias */
#define NSETS (NODES * 4)
#define PRIOR_N 24 /* confidence given to the stored priors */
#define LIMIT 255
#define BLOB_VERSION 1
#define BLOB_PRIORS (2 * NCTX * NODES)
#define BLOB_LEN (1 + BLOB_PRIORS + 4 * NSETS * NIN)
#define SAMPLE (512u << 10) /* residues that train the mixer's start */
#define LR 16

static int8_t code_of[256];
static pthread_once_t codes_once = PTHREAD_ONCE_INIT;

static void codes_fill(void)
{
	memset(code_of, -1, sizeof(code_of));
	for (int i = 0; i < NRES; i++) {
		code_of[(uint8_t)RESIDUES[i]] = (int8_t)i;
		if (RESIDUES[i] != '*')
			code_of[(uint8_t)(RESIDUES[i] | 0x20)] = (int8_t)i;
	}
}

/* ---- the trainer: residue pair counts over the whole assembly ---- */

struct ptrain {
	uint64_t pair[NCTX][NRES];
	int prev;
	gdb_buf sample; /* the first blocks, up to SAMPLE residues */
	uint32_t *sample_len;
	uint32_t nsample;
};

int gdb_protein_train_new(void **st)
{
	struct ptrain *t = calloc(1, sizeof(*t));

	pthread_once(&codes_once, codes_fill);
	if (!t)
		return -ENOMEM;
	t->prev = NONE;
	*st = t;
	return 0;
}

void gdb_protein_train_free(void *st)
{
	struct ptrain *t = st;

	if (!t)
		return;
	gdb_buf_free(&t->sample);
	free(t->sample_len);
	free(t);
}

void gdb_protein_train(void *st, const char *res, uint32_t n)
{
	struct ptrain *t = st;

	/* each block starts without context, as the coder does */
	t->prev = NONE;
	if (t->sample.len + n <= SAMPLE && !t->sample.err) {
		uint32_t *l =
		    realloc(t->sample_len, (t->nsample + 1) * sizeof(*l));
		if (l) {
			t->sample_len = l;
			l[t->nsample++] = n;
			gdb_buf_add(&t->sample, res, n);
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		int c = code_of[(uint8_t)res[i]];
		if (c < 0)
			continue; /* refused again, with its position, later */
		t->pair[t->prev][c]++;
		t->prev = c;
	}
}

/* P(bit 1) at each node of the code tree from symbol counts, 12 bits. */
static void node_probs(const uint64_t *cnt, uint16_t *p)
{
	for (int node = 1; node < NODES; node++) {
		int depth = 31 - __builtin_clz((unsigned)node);
		uint64_t n0 = 0, n1 = 0;
		for (int c = 0; c < NRES; c++) {
			/* the first `depth` bits of c (of 5) spell the path */
			if (((unsigned)c | 32u) >> (5 - depth) !=
			    (unsigned)node)
				continue;
			if ((c >> (4 - depth)) & 1)
				n1 += cnt[c];
			else
				n0 += cnt[c];
		}
		p[node] = (uint16_t)((n1 * 4096 + 2048) / (n0 + n1 + 1));
		if (p[node] < 1)
			p[node] = 1;
		if (p[node] > 4095)
			p[node] = 4095;
	}
	p[0] = 2048;
}

static void train_weights(const struct ptrain *t, uint8_t *blob);

int gdb_protein_model_blob(void *st, gdb_buf *blob)
{
	struct ptrain *t = st;
	uint16_t p[NODES];
	uint8_t *b = gdb_buf_room(blob, BLOB_LEN);

	if (!b)
		return blob->err;
	b[0] = BLOB_VERSION;
	for (int ctx = 0; ctx < NCTX; ctx++) {
		node_probs(t->pair[ctx], p);
		for (int node = 0; node < NODES; node++)
			gdb_put_le16(b + 1 + 2 * (ctx * NODES + node), p[node]);
	}
	for (int i = 0; i < NSETS * NIN; i++)
		gdb_put_le32(b + 1 + BLOB_PRIORS + 4 * i,
			     (uint32_t)((i % NIN) == NIN - 1 ? 0 : 24000));
	train_weights(t, b);
	return 0;
}

/* ---- the model: priors for orders 0 and 1 ---- */

struct pmodel {
	cm_ctr o0[NODES];
	cm_ctr o1[NCTX * NODES];
	int32_t w0[NSETS * NIN];
};

int gdb_protein_model_load(const uint8_t *blob, size_t len, void **impl)
{
	struct pmodel *m;
	uint32_t sum[NODES] = {0};

	pthread_once(&codes_once, codes_fill);
	if (len != BLOB_LEN || blob[0] != BLOB_VERSION)
		return GDB_CORRUPT("protein model size or version");
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (int ctx = 0; ctx < NCTX; ctx++) {
		for (int node = 0; node < NODES; node++) {
			uint16_t p =
			    gdb_get_le16(blob + 1 + 2 * (ctx * NODES + node));
			if (p < 1 || p > 4095) {
				free(m);
				return GDB_CORRUPT("protein model probability");
			}
			m->o1[ctx * NODES + node].p = (uint16_t)(p << 4);
			m->o1[ctx * NODES + node].n = PRIOR_N;
			sum[node] += p;
		}
	}
	/* order 0: the mean over contexts (a rough marginal is enough: it
	 * adapts within the block) */
	for (int node = 0; node < NODES; node++) {
		m->o0[node].p = (uint16_t)((sum[node] / NCTX) << 4);
		m->o0[node].n = PRIOR_N;
	}
	for (int i = 0; i < NSETS * NIN; i++)
		m->w0[i] =
		    (int32_t)gdb_get_le32(blob + 1 + BLOB_PRIORS + 4 * i);
	*impl = m;
	return 0;
}

void gdb_protein_model_free(void *impl)
{
	free(impl);
}

int gdb_protein_describe(const void *impl, char *buf, size_t cap)
{
	(void)impl;
	return snprintf(buf, cap,
			"27-letter residue code, orders 0-3 mixed, "
			"order 0-1 priors over the assembly");
}

/* ---- the coder state of one block ---- */

struct pstate {
	cm_ctr o0[NODES];
	cm_ctr o1[NCTX * NODES];
	cm_ctr o2[O2];
	cm_ctr o3[O3];
	int32_t w[NSETS * NIN];
	cm_mixer mx;
	int r1, r2, r3;
};

static struct pstate *pstate_new(const struct pmodel *m)
{
	struct pstate *s = malloc(sizeof(*s));

	if (!s)
		return NULL;
	memcpy(s->o0, m->o0, sizeof(s->o0));
	memcpy(s->o1, m->o1, sizeof(s->o1));
	for (size_t i = 0; i < O2; i++)
		cm_ctr_init(&s->o2[i]);
	for (size_t i = 0; i < O3; i++)
		cm_ctr_init(&s->o3[i]);
	memcpy(s->w, m->w0, sizeof(s->w));
	s->mx = (cm_mixer){.n = NIN, .nsets = NSETS, .lr = LR, .w = s->w};
	s->r1 = s->r2 = s->r3 = NONE;
	return s;
}

static inline uint32_t o3_slot(const struct pstate *s, int node)
{
	uint32_t h = ((uint32_t)s->r1 * 0x9E3779B1u) ^
		     ((uint32_t)s->r2 * 0x85EBCA77u) ^
		     ((uint32_t)s->r3 * 0xC2B2AE3Du);

	return ((h >> (32 - O3_BITS + 5)) << 5) | (uint32_t)node;
}

/* The prediction for one bit at `node`; the counters it used in c[]. */
static inline int predict(struct pstate *s, int node, cm_ctr **c)
{
	cm_mixer *mx = &s->mx;
	int sel;

	c[0] = &s->o0[node];
	c[1] = &s->o1[s->r1 * NODES + node];
	c[2] = &s->o2[(s->r2 * NCTX + s->r1) * NODES + node];
	c[3] = &s->o3[o3_slot(s, node)];
	for (int i = 0; i < 4; i++)
		mx->x[i] =
		    (int16_t)(c[i]->n ? cm_stretch(cm_ctr_p12(c[i])) : 0);
	mx->x[4] = 256;
	mx->nx = NIN;
	sel = node * 4 + (c[2]->n > 8 ? 3 : c[2]->n > 2 ? 2 : c[2]->n ? 1 : 0);
	return cm_mix_predict(mx, sel);
}

static inline void update(struct pstate *s, cm_ctr **c, int y)
{
	cm_mix_update(&s->mx, y);
	for (int i = 0; i < 4; i++)
		cm_ctr_update(c[i], y, LIMIT);
}

static inline void push(struct pstate *s, int code)
{
	s->r3 = s->r2;
	s->r2 = s->r1;
	s->r1 = code;
}

/* The mixer's starting weights: those it reaches coding the sample (the
 * first blocks), each block from fresh statistics as a reader starts,
 * the weights carried over. */
static void train_weights(const struct ptrain *t, uint8_t *blob)
{
	void *impl = NULL;
	struct pstate *s;
	const char *res = t->sample.p;
	int32_t w[NSETS * NIN];

	if (!t->nsample || gdb_protein_model_load(blob, BLOB_LEN, &impl) < 0)
		return; /* the default weights serve */
	s = pstate_new(impl);
	for (uint32_t k = 0; s && k < t->nsample; k++) {
		memcpy(w, s->w, sizeof(w));
		free(s);
		s = pstate_new(impl);
		if (!s)
			break;
		memcpy(s->w, w, sizeof(w));
		for (uint32_t i = 0; i < t->sample_len[k]; i++, res++) {
			int code = code_of[(uint8_t)*res], node = 1;
			if (code < 0)
				continue;
			for (int b = 4; b >= 0; b--) {
				cm_ctr *c[4];
				int y = (code >> b) & 1;
				(void)predict(s, node, c);
				update(s, c, y);
				node = node * 2 + y;
			}
			push(s, code);
		}
	}
	for (int i = 0; s && i < NSETS * NIN; i++)
		gdb_put_le32(blob + 1 + BLOB_PRIORS + 4 * i, (uint32_t)s->w[i]);
	free(s);
	gdb_protein_model_free(impl);
}

int gdb_protein_encode(const void *impl, const char *res, uint32_t n,
		       gdb_buf *out, uint32_t *badpos)
{
	struct pstate *s;
	cm_runs lower = {0};
	cm_enc e;
	int rc;

	for (uint32_t i = 0; i < n; i++) {
		if (code_of[(uint8_t)res[i]] < 0) {
			if (badpos)
				*badpos = i;
			return GDB_EFORMAT;
		}
	}
	rc = gdb_cm_runs_lower(res, n, &lower);
	s = rc == 0 ? pstate_new(impl) : NULL;
	if (!s) {
		gdb_cm_runs_free(&lower);
		return -ENOMEM;
	}
	gdb_put_varint(out, n);
	gdb_cm_runs_put(out, &lower, 0);
	cm_enc_init(&e, out);
	for (uint32_t i = 0; i < n; i++) {
		int code = code_of[(uint8_t)res[i]], node = 1;
		for (int b = 4; b >= 0; b--) {
			cm_ctr *c[4];
			int y = (code >> b) & 1;
			cm_enc_bit(&e, y, predict(s, node, c));
			update(s, c, y);
			node = node * 2 + y;
		}
		push(s, code);
	}
	cm_enc_flush(&e);
	free(s);
	gdb_cm_runs_free(&lower);
	return out->err;
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

static int decode_bits(struct pstate *s, cm_dec *d, uint32_t from, uint32_t to,
		       char *dst)
{
	for (uint32_t i = 0; i < to; i++) {
		int node = 1;
		for (int b = 4; b >= 0; b--) {
			cm_ctr *c[4];
			int y = cm_dec_bit(d, predict(s, node, c));
			update(s, c, y);
			node = node * 2 + y;
		}
		node -= NODES;
		if (node >= NRES)
			return GDB_CORRUPT("protein block residue code");
		if (i >= from)
			dst[i - from] = RESIDUES[node];
		push(s, node);
	}
	return 0;
}

int gdb_protein_decode(const void *impl, const uint8_t *src, size_t len,
		       uint32_t from, uint32_t to, char *dst)
{
	const uint8_t *p = src, *end = src + len;
	cm_runs lower = {0};
	struct pstate *s;
	uint64_t n;
	cm_dec d;
	int rc;

	if (gdb_get_varint(&p, end, &n) < 0 || n == 0 ||
	    n > GDB_DNA_BLOCK_BASES || to > n)
		return GDB_CORRUPT("protein block residue count");
	rc = gdb_cm_runs_get(&p, end, (uint32_t)n, 0, NULL, &lower);
	if (rc == 0 && p >= end)
		rc = GDB_CORRUPT("protein block without coded residues");
	s = rc == 0 ? pstate_new(impl) : NULL;
	if (rc == 0 && !s)
		rc = -ENOMEM;
	if (rc == 0) {
		cm_dec_init(&d, p, (size_t)(end - p));
		rc = decode_bits(s, &d, from, to, dst);
	}
	/* a whole block must use its bytes exactly: none left over */
	if (rc == 0 && to == n && d.p < d.end)
		rc = GDB_CORRUPT("protein block has bytes after its residues");
	if (rc == 0)
		gdb_cm_runs_apply_lower(&lower, from, to, dst);
	for (uint32_t i = 0; rc == 0 && i < lower.n; i++) {
		uint32_t a = lower.start[i], b = a + lower.len[i];
		for (uint32_t k = a > from ? a : from; k < b && k < to; k++)
			if (dst[k - from] == '*')
				rc = GDB_CORRUPT(
				    "protein block: a lowercase '*'");
	}
	free(s);
	gdb_cm_runs_free(&lower);
	return rc < 0 ? rc : (int)(to - from);
}
