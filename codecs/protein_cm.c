/*
 * codecs/protein_cm.c - reading protein blocks of model version 1: the
 * residue code under a binary context-mixing arithmetic coder that
 * GenomeDB wrote before the rANS coder (codecs/protein.c) replaced it
 * (docs/FORMAT.md, "Protein block"). Kept so those stores stay readable;
 * nothing writes version 1 any more.
 *
 * Each 5-bit residue code is coded bit by bit from the high bit, each bit
 * predicted by four models, orders 0 to 3 of the preceding residues
 * (order 3 hashed), mixed in the logistic domain by weights chosen by the
 * node of the code tree and the order-2 model's confidence. Orders 0 and
 * 1 start each block from the model's stored statistics; everything else
 * starts fresh, so a block decodes on its own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/codecs_int.h"

#define NRES GDB_PROTEIN_NRES
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
#define BLOB_PRIORS (2 * NCTX * NODES)
#define BLOB_LEN (1 + BLOB_PRIORS + 4 * NSETS * NIN)
#define LR 16

struct pmodel {
	cm_ctr o0[NODES];
	cm_ctr o1[NCTX * NODES];
	int32_t w0[NSETS * NIN];
};

int gdb_protein_cm_load(const uint8_t *blob, size_t len, void **impl)
{
	struct pmodel *m;
	uint32_t sum[NODES] = {0};

	if (len != BLOB_LEN || blob[0] != 1)
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
	/* order 0: the mean over contexts */
	for (int node = 0; node < NODES; node++) {
		m->o0[node].p = (uint16_t)((sum[node] / NCTX) << 4);
		m->o0[node].n = PRIOR_N;
	}
	for (int i = 0; i < NSETS * NIN; i++) {
		m->w0[i] =
		    (int32_t)gdb_get_le32(blob + 1 + BLOB_PRIORS + 4 * i);
		/* trained weights stay far below 2^24; a block's updates
		 * (under 2^12 each, 5 a residue) then cannot overflow */
		if (m->w0[i] >= (1 << 24) || m->w0[i] <= -(1 << 24)) {
			free(m);
			return GDB_CORRUPT("protein model weight");
		}
	}
	*impl = m;
	return 0;
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
			dst[i - from] = gdb_protein_residues[node];
		push(s, node);
	}
	return 0;
}

int gdb_protein_cm_decode(const void *impl, const uint8_t *p,
			  const uint8_t *end, uint32_t n, uint32_t from,
			  uint32_t to, char *dst)
{
	struct pstate *s = pstate_new(impl);
	cm_dec d;
	int rc;

	if (!s)
		return -ENOMEM;
	cm_dec_init(&d, p, (size_t)(end - p));
	rc = decode_bits(s, &d, from, to, dst);
	/* a whole block must use its bytes exactly: none left over */
	if (rc == 0 && to == n && d.p < d.end)
		rc = GDB_CORRUPT("protein block has bytes after its residues");
	free(s);
	return rc;
}
