/*
 * codecs/cm_int.h - the cm codec's models (cm_model.c) and the per-block
 * predictor the coder (cm.c) drives. Only cm.c and cm_model.c include it.
 */
#ifndef GDB_CM_INT_H
#define GDB_CM_INT_H

#include <stdint.h>
#include <string.h>

#include "codecs/codecs_int.h"

#define CM_MAXM 16	     /* models */
#define CM_NIN (CM_MAXM + 1) /* mixer inputs: the models and a bias */
#define CM_RESTART 1024	     /* default bases between restart points */
#define CM_LIMIT 255	     /* counter confidence limit while training */
#define CM_CONF 3	     /* confidence buckets in the weight choice */
/* Weight sets while the match model predicts: 3 match states times 4
 * buckets of the highest model with a slot, times 3 nodes. */
#define CM_MSETS (3 * 4 * 3)
#define CM_MAXSETS (3 * (CM_MAXM + 1) * CM_CONF + CM_MSETS)
/* The match model (a model with match_k > 0): the last match_k bases
 * hashed into the reference (the training prefix, both strands); while
 * a match holds, the base after it in the reference is predicted, with a
 * confidence learnt per match length and recent misses. */
#define CM_MLB 32	       /* match length buckets */
#define CM_MCTX (CM_MLB * 4)   /* ... times recent-miss buckets */
#define CM_MSIZE (2 * CM_MCTX) /* first bit, second bit */
#define CM_MATCH_MIN 12
#define CM_MATCH_MAX 32
#define CM_REF_END 4 /* ref byte between strands: no base */
/* The final stage (an APM, as in lpaq): the mixer's probability refined
 * by the last three bases and the node, interpolated between 33 points
 * of its stretch. */
#define CM_APM_CTX (64 * 3)
#define CM_APM_N 33
#define CM_APM_SIZE (CM_APM_CTX * CM_APM_N)
/* Input maps (model version 3): each model's frozen stretch, per
 * confidence bucket 1-7 and node, mapped to a trained one; stored as 33
 * points over the slot's stretch (-128..128 in steps of 8), used as a
 * table of the 256 values a slot can hold. */
#define CM_IMAP_N 33
#define CM_IMAP_PTS(nm) ((size_t)(nm)*7 * 3 * CM_IMAP_N)
#define CM_IMAP_TAB(nm) ((size_t)(nm)*8 * 3 * 256)
/* Model version 3's features (a byte of the stored model; codecs.h's
 * GDB_CM_FEAT_*). */
#define CM_FEAT_MAPS GDB_CM_FEAT_MAPS /* the input maps */
/* a second mixer (weights chosen by the last two bases and the node) and
 * a final one of the two */
#define CM_FEAT_MIX2 GDB_CM_FEAT_MIX2
/* training blocks coded in a chain (seqcm.c) */
#define CM_FEAT_CHAIN GDB_CM_FEAT_CHAIN
/* relative to a reference assembly (gdb_codec_params.cm_ref): the
 * training blocks are the reference's, never chained; the reference's
 * CRC32C ends the stored model */
#define CM_FEAT_REL 8u
#define CM_MIX2_SETS (16 * 3)
#define CM_MIXF_N 3 /* the final mixer's inputs: two mixers, a bias */

/*
 * One context's statistics, frozen: the stretch of P(first bit) and of
 * P(second bit | first 0 / 1), in units of 1/16 nat, and a byte holding a
 * confidence bucket (bits 0-2: 0 = never seen, then 1, 2, 3, 4-7, 8-15,
 * 16-63, 64 or more observations) and, in hashed tables, a 5-bit tag of
 * the context that owns the slot (bits 3-7).
 */
typedef struct cm_slot {
	int8_t st[3];
	uint8_t ct;
} cm_slot;

#define CM_LINE 16 /* slots a line: one per last two bases */

/* A frozen order-k model: lines of 16 slots, one cache line each; the
 * line is chosen by the context without its last two bases, so the line
 * a base will need is known two bases ahead. */
typedef struct cm_table {
	int k;		    /* order: bases of context */
	int hashed;	    /* 0: direct index */
	uint32_t line_bits; /* log2 of the number of lines */
	cm_slot *slot;
} cm_table;

struct cm_model {
	uint32_t nm;	     /* models */
	uint32_t table_bits; /* log2 slots of the largest tables */
	uint8_t order[CM_MAXM];
	cm_table t[CM_MAXM];
	uint32_t n_train; /* training blocks: 0, stride, 2 stride, ... */
	uint32_t stride;
	uint64_t train_bases;
	uint32_t nsets;		    /* mixer weight sets */
	int32_t *w0;		    /* nsets * CM_NIN starting weights */
	uint16_t apm0[CM_APM_SIZE]; /* the APM's starting values */
	int lr;
	uint32_t match_k; /* 0: no match model */
	uint8_t *ref;	  /* codes, CM_REF_END between strands */
	size_t ref_len;
	uint32_t *mtab; /* hash of match_k bases -> the ref index after */
	uint32_t mbits;
	uint16_t mp0[CM_MSIZE]; /* the match confidences' starting values */
	uint32_t version;	/* of the stored model: 1, 2 or 3 */
	uint32_t feat;		/* version 3: CM_FEAT_* */
	int32_t w2_0[CM_MIX2_SETS * CM_NIN]; /* CM_FEAT_MIX2's starting */
	int32_t wf0[3 * CM_MIXF_N];	     /* weights */
	/* CM_FEAT_CHAIN: the training blocks' chain streams (import), and
	 * their bases (n_train each, as decoded: every reader) */
	gdb_buf *tblk;
	char **tbases;
	uint32_t *tlen;
	uint16_t *imap_pts; /* version 3: the input maps' points */
	int16_t *imap;	    /* ... as a table: (model, conf, node, st +
			     * 128) -> input; NULL: inputs are st * 16 */
	int rel;	    /* the training blocks are a reference
			     * assembly's (CM_FEAT_REL) */
	uint32_t ref_crc;   /* CRC32C of the reference's strands */
};

/* The coder's state within one block. */
struct cm_block {
	uint64_t h;		   /* the last bases, 2 bits each, newest low */
	uint32_t hlen;		   /* how many are known in this block */
	const cm_slot *s[CM_MAXM]; /* this base's slot per model */
	const cm_slot *line[3][CM_MAXM]; /* lines of this base and the
					  * next two (a ring) */
	uint8_t tag[3][CM_MAXM];
	uint32_t ring; /* this base's entry in the ring */
	int sel_base;  /* weight set, but for the node */
	cm_mixer mx, mx2, mxf;
	int apm_at; /* the APM entry the last prediction used */
	int32_t w[CM_MAXSETS * CM_NIN];
	int32_t w2[CM_MIX2_SETS * CM_NIN];
	int32_t wf[3 * CM_MIXF_N];
	uint16_t apm[CM_APM_SIZE];
	/* the match model: ref index of the predicted base (0: none) */
	uint32_t mptr, mlen, mhist; /* mhist: misses, newest low */
	int mexp;		    /* the predicted code, -1: none */
	int msel;	/* weight sets skipped for the match state */
	int mctx, m_at; /* counter of this bit, -1: none */
	int mbit;	/* the bit that counter predicts */
	uint16_t mp[CM_MSIZE];
};

static inline uint64_t cm_hash(uint64_t ctx, int k)
{
	uint64_t h = (ctx + (uint64_t)k) * 0x9E3779B97F4A7C15ull;

	return h ^ (h >> 29);
}

/* The line of table t for the contexts whose bases before the last two
 * are the low 2(k-2) bits of ctx, and the tag they carry (0: direct). */
static inline cm_slot *cm_line(const cm_table *t, uint64_t ctx, uint8_t *tag)
{
	uint64_t c = t->k > 2 ? ctx & ((1ull << (2 * (t->k - 2))) - 1) : 0;
	uint64_t h;

	if (!t->hashed) {
		*tag = 0;
		return t->slot + c * CM_LINE;
	}
	h = cm_hash(c, t->k);
	*tag = (uint8_t)(((h >> 8) & 31) << 3);
	return t->slot + (h >> (64 - t->line_bits)) * CM_LINE;
}

/* The slot of the newest bases in a line (order 1 uses one of them). */
static inline unsigned cm_slot_in_line(const cm_table *t, uint64_t h)
{
	return t->k == 1 ? (unsigned)(h & 3) : (unsigned)(h & 15);
}

void cm_block_init(struct cm_block *b, const struct cm_model *m);

/* Chained training blocks (cm.c): the codes the chain codes of a block's
 * bases; a stored training block's bases, the chain advanced past it
 * (@return n or GDB_ECORRUPT). */
uint32_t gdb_cmdna_chain_codes(const char *b, uint32_t n, int rna,
			       uint8_t *codes);
int gdb_cmdna_chain_block(gdb_seqcm *s, uint32_t jwant, const uint8_t *src,
			  size_t len, char *dst, uint8_t *codes);

/* The bases of a plain (2bit) cm block: a training block. */
int gdb_cmdna_plain_bases(const uint8_t *src, size_t len, char *dst,
			  size_t cap);

/* ---- the match model ---- */

static inline uint32_t cm_match_hash(uint64_t key, uint32_t bits)
{
	return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

/* The last k bases of a context (k <= 32). */
static inline uint64_t cm_match_key(uint64_t h, uint32_t k)
{
	return k >= 32 ? h : h & ((1ull << (2 * k)) - 1);
}

static inline void cm_match_reset(struct cm_block *b)
{
	b->mptr = b->mlen = b->mhist = 0;
	b->mexp = -1;
	b->msel = 0;
	b->m_at = -1;
}

/* The expectation, confidence context and weight set before a base (hi:
 * the highest model with a slot, 0 for none). */
static inline void cm_match_state(struct cm_block *b, const struct cm_model *m,
				  int hi)
{
	uint32_t lb, miss = (uint32_t)__builtin_popcount(b->mhist & 0xffff);

	b->mexp = -1;
	b->msel = 0;
	if (!b->mptr)
		return;
	b->mexp = m->ref[b->mptr];
	lb = b->mlen < 16 ? b->mlen : 16 + ((b->mlen - 16) >> 4);
	lb = lb < CM_MLB ? lb : CM_MLB - 1;
	miss = miss < 3 ? miss : 3;
	b->mctx = (int)(lb * 4 + miss);
	b->msel =
	    3 * ((int)m->nm + 1) * CM_CONF + ((miss >= 2 || b->mlen < 16 ? 0
					       : b->mlen < 32		 ? 1
									 : 2) *
						  4 +
					      hi * 4 / ((int)m->nm + 1)) *
						 3;
}

/* Do the match_k bases before ref index c spell key? */
static inline int cm_match_verify(const struct cm_model *m, uint32_t c,
				  uint64_t key)
{
	if (c < m->match_k)
		return 0;
	for (uint32_t i = 1; i <= m->match_k; i++, key >>= 2)
		if (m->ref[c - i] != (key & 3))
			return 0;
	return 1;
}

/* The base just coded (already in h) against the match: follow it, drop
 * it after too many misses, look for a longer one while it is short. */
static inline void cm_match_push(struct cm_block *b, const struct cm_model *m,
				 int code)
{
	if (b->mptr) {
		int hit = m->ref[b->mptr] == code;
		b->mhist = (b->mhist << 1) | (uint32_t)!hit;
		b->mlen = hit ? b->mlen + 1 : 0;
		b->mptr++;
		if (m->ref[b->mptr - 1] == CM_REF_END ||
		    m->ref[b->mptr] == CM_REF_END ||
		    __builtin_popcount(b->mhist & 0xffff) > 8)
			b->mptr = 0;
	}
	if (b->mlen < m->match_k && b->hlen >= m->match_k) {
		uint64_t key = cm_match_key(b->h, m->match_k);
		uint32_t c = m->mtab[cm_match_hash(key, m->mbits)];
		if (c && c != b->mptr && m->ref[c] != CM_REF_END &&
		    cm_match_verify(m, c, key)) {
			b->mptr = c;
			b->mlen = m->match_k;
			b->mhist = 0;
		}
	}
}

/* The slots of the base about to be coded; fetch the lines two bases
 * ahead. */
static inline void cm_block_lookup(struct cm_block *b, const struct cm_model *m)
{
	uint32_t now = b->ring, ahead = now == 0 ? 2 : now - 1;
	int hi = 0, conf = 0;

	for (uint32_t i = 0; i < m->nm; i++) {
		const cm_slot *s = NULL;
		if (b->hlen >= m->order[i]) {
			s = b->line[now][i] + cm_slot_in_line(&m->t[i], b->h);
			if ((s->ct & 0xf8) != b->tag[now][i] || !(s->ct & 7))
				s = NULL;
		}
		b->s[i] = s;
		if (s) {
			hi = (int)i + 1;
			conf = (s->ct & 7) > 4 ? 2 : (s->ct & 7) > 2;
		}
		/* two bases on, the context's bases before its last two
		 * are the newest k-2 now */
		b->line[ahead][i] = cm_line(&m->t[i], b->h, &b->tag[ahead][i]);
		__builtin_prefetch(b->line[ahead][i]);
	}
	b->sel_base = (hi * CM_CONF + conf) * 3;
	if (m->match_k)
		cm_match_state(b, m, hi);
}

/* The match model's input for this bit (0: no expectation), and the
 * counter it used in m_at. */
static inline int cm_match_input(struct cm_block *b, int node)
{
	int bit, p, st;

	if (b->mexp < 0 || (node && node - 1 != (b->mexp >> 1)))
		return 0;
	bit = node ? b->mexp & 1 : b->mexp >> 1;
	b->m_at = (node ? CM_MCTX : 0) + b->mctx;
	b->mbit = bit;
	p = b->mp[b->m_at] >> 4;
	st = cm_stretch(p < 1 ? 1 : p > 4095 ? 4095 : p);
	return bit ? st : -st;
}

static inline int cm_block_predict(struct cm_block *b, const struct cm_model *m,
				   int node)
{
	cm_mixer *mx = &b->mx;

	if (m->imap) {
		for (uint32_t i = 0; i < m->nm; i++) {
			const cm_slot *s = b->s[i];
			mx->x[i] = s ? m->imap[(((i * 8 + (s->ct & 7u)) * 3 +
						 (unsigned)node)
						<< 8) +
					       (uint8_t)(s->st[node] + 128)]
				     : 0;
		}
	} else {
		for (uint32_t i = 0; i < m->nm; i++)
			mx->x[i] =
			    (int16_t)(b->s[i] ? b->s[i]->st[node] * 16 : 0);
	}
	mx->x[m->nm] = 256;
	mx->nx = (int)m->nm + 1;
	b->m_at = -1;
	if (m->match_k) {
		int sel = cm_match_input(b, node);
		mx->x[m->nm + 1] = (int16_t)sel;
		mx->nx++;
	}
	{
		int p = cm_mix_predict(
		    mx, (b->m_at >= 0 ? b->msel : b->sel_base) + node);
		int st, w, pa;
		if (m->feat & CM_FEAT_MIX2) {
			cm_mixer *m2 = &b->mx2, *f = &b->mxf;
			memcpy(m2->x, mx->x, (size_t)mx->nx * sizeof(mx->x[0]));
			m2->nx = mx->nx;
			f->x[0] = (int16_t)cm_stretch(p);
			f->x[1] = (int16_t)cm_stretch(
			    cm_mix_predict(m2, (int)(b->h & 15) * 3 + node));
			f->x[2] = 256;
			f->nx = CM_MIXF_N;
			p = cm_mix_predict(f, node);
			p = p < 1 ? 1 : p > 4095 ? 4095 : p;
		}
		st = cm_stretch(p) + 2048;
		w = st & 127;
		int at = (int)(((b->h & 63) * 3 + (unsigned)node) * CM_APM_N) +
			 (st >> 7);
		pa = (b->apm[at] * (128 - w) + b->apm[at + 1] * w) >> 11;
		b->apm_at = at + (w >> 6);
		p = (p + 3 * pa) >> 2;
		return p < 1 ? 1 : p > 4095 ? 4095 : p;
	}
}

static inline void cm_block_update(struct cm_block *b, const struct cm_model *m,
				   int y)
{
	uint16_t *a = &b->apm[b->apm_at];

	cm_mix_update(&b->mx, y);
	if (m->feat & CM_FEAT_MIX2) {
		cm_mix_update(&b->mx2, y);
		cm_mix_update(&b->mxf, y);
	}
	*a = (uint16_t)(*a + ((((y << 16) - y) - (int)*a) >> 6));
	if (b->m_at >= 0) {
		uint16_t *c = &b->mp[b->m_at];
		*c = (uint16_t)(*c +
				(((y == b->mbit ? 65535 : 0) - (int)*c) >> 5));
	}
}

/* The base just coded joins the context. */
static inline void cm_block_push(struct cm_block *b, const struct cm_model *m,
				 int code)
{
	b->h = (b->h << 2) | (uint64_t)code;
	b->hlen++;
	b->ring = b->ring == 2 ? 0 : b->ring + 1;
	if (m->match_k)
		cm_match_push(b, m, code);
}

#endif
