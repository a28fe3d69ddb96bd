/*
 * codecs/codecs_int.h - what the codecs of this module share and no other
 * module sees: a binary arithmetic coder, adaptive probability counters,
 * the logistic mixer, varints over bounded buffers, and each codec's
 * entry points behind the table in codec.c.
 *
 * Every prediction is integer arithmetic, so an encoder and a decoder on
 * any machine, compiler or SIMD level compute the same probabilities bit
 * for bit (floating point could differ by a contraction or an x87
 * register and silently garble a block).
 *
 * Probabilities are 12-bit: p in 1..4095 is P(bit = 1) * 4096. Stretch is
 * ln(p / (1 - p)) in units of 1/256 (-2047..2047), squash its inverse.
 */
#ifndef GDB_CODECS_INT_H
#define GDB_CODECS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "codecs/codecs.h"

/* ---- stretch / squash (tables filled once, codec.c) ---- */

extern int16_t gdb_cm_stretch_tab[4096];
void gdb_cm_tables_init(void);

static inline int cm_stretch(int p)
{
	return gdb_cm_stretch_tab[p];
}

/* 1 / (1 + e^(-x / 256)) in 12 bits, x clamped to -2047..2047. */
static inline int cm_squash(int x)
{
	static const int16_t t[33] = {
	    1,	  2,	3,    6,    10,	  16,	27,   45,   73,	  120,	194,
	    310,  488,	747,  1101, 1546, 2047, 2549, 2994, 3348, 3607, 3785,
	    3901, 3975, 4024, 4050, 4068, 4079, 4085, 4089, 4092, 4093, 4094};
	int w;

	if (x > 2047)
		return 4095;
	if (x < -2047)
		return 1;
	w = x & 127;
	x = (x >> 7) + 16;
	return (t[x] * (128 - w) + t[x + 1] * w + 64) >> 7;
}

/* ---- binary arithmetic coder (carry-less, 32-bit) ---- */

typedef struct cm_enc {
	uint32_t x1, x2;
	gdb_buf *out;
} cm_enc;

typedef struct cm_dec {
	uint32_t x1, x2, x;
	const uint8_t *p, *end; /* reads past end give 0: never out of bounds */
} cm_dec;

static inline void cm_enc_init(cm_enc *e, gdb_buf *out)
{
	e->x1 = 0;
	e->x2 = 0xffffffffu;
	e->out = out;
}

/* Code bit y with P(1) = p / 4096 (1..4095). */
static inline void cm_enc_bit(cm_enc *e, int y, int p)
{
	uint32_t xmid =
	    e->x1 + (uint32_t)(((uint64_t)(e->x2 - e->x1) * (uint32_t)p) >> 12);

	if (y)
		e->x2 = xmid;
	else
		e->x1 = xmid + 1;
	while (((e->x1 ^ e->x2) & 0xff000000u) == 0) {
		uint8_t b = (uint8_t)(e->x2 >> 24);
		gdb_buf_add(e->out, &b, 1);
		e->x1 <<= 8;
		e->x2 = (e->x2 << 8) | 255;
	}
}

/* One byte ends the stream: the decoder pads with zeros, and
 * (top byte of x1 + 1) << 24 lies in (x1, x2]. */
static inline void cm_enc_flush(cm_enc *e)
{
	uint8_t b = (uint8_t)((e->x1 >> 24) + 1);

	gdb_buf_add(e->out, &b, 1);
}

static inline uint8_t cm_dec_byte(cm_dec *d)
{
	return d->p < d->end ? *d->p++ : 0;
}

static inline void cm_dec_init(cm_dec *d, const uint8_t *p, size_t n)
{
	d->x1 = 0;
	d->x2 = 0xffffffffu;
	d->p = p;
	d->end = p + n;
	d->x = 0;
	for (int i = 0; i < 4; i++)
		d->x = (d->x << 8) | cm_dec_byte(d);
}

static inline int cm_dec_bit(cm_dec *d, int p)
{
	uint32_t xmid =
	    d->x1 + (uint32_t)(((uint64_t)(d->x2 - d->x1) * (uint32_t)p) >> 12);
	int y = d->x <= xmid;

	if (y)
		d->x2 = xmid;
	else
		d->x1 = xmid + 1;
	while (((d->x1 ^ d->x2) & 0xff000000u) == 0) {
		d->x1 <<= 8;
		d->x2 = (d->x2 << 8) | 255;
		d->x = (d->x << 8) | cm_dec_byte(d);
	}
	return y;
}

/* Bytes the decoder took beyond the stream's end (padding it assumed):
 * a well-formed stream needs none past its last byte. */
static inline size_t cm_dec_overrun(const cm_dec *d)
{
	return d->p < d->end ? 0 : 1;
}

/* ---- adaptive counters: 16-bit probability, count-driven rate ---- */

typedef struct cm_ctr {
	uint16_t p; /* P(1) * 65536 */
	uint16_t n; /* observations, saturating at the limit */
} cm_ctr;

extern uint16_t gdb_cm_rate_tab[1024]; /* 65536 / (n + 1.5) */

static inline void cm_ctr_init(cm_ctr *c)
{
	c->p = 32768;
	c->n = 0;
}

/* 12-bit prediction of a counter (never 0 or 4096). */
static inline int cm_ctr_p12(const cm_ctr *c)
{
	int p = c->p >> 4;

	return p < 1 ? 1 : p > 4095 ? 4095 : p;
}

static inline void cm_ctr_update(cm_ctr *c, int y, unsigned limit)
{
	int target = y ? 65535 : 0;
	int d = target - (int)c->p;

	c->p = (uint16_t)((int)c->p +
			  (int)(((int64_t)d * gdb_cm_rate_tab[c->n]) >> 16));
	if (c->n < limit)
		c->n++;
}

/* ---- logistic mixer: one weight set per selector value ---- */

#define CM_MAXIN 24

typedef struct cm_mixer {
	int n; /* inputs */
	int nsets;
	int lr;		     /* learning rate: about lr / 4096 in the
			      * float domain (stretch in nats, error as
			      * a probability) */
	int32_t *w;	     /* nsets * n weights, 16.16 */
	int16_t x[CM_MAXIN]; /* the inputs of the current bit */
	int nx;
	int sel;
	int pr; /* the prediction made */
} cm_mixer;

/* Dot product of the current inputs with weight set sel, as a 12-bit
 * probability. */
static inline int cm_mix_predict(cm_mixer *m, int sel)
{
	const int32_t *w = m->w + (size_t)sel * (size_t)m->n;
	int64_t dot = 0;

	for (int i = 0; i < m->nx; i++)
		dot += (int64_t)m->x[i] * w[i];
	m->sel = sel;
	m->pr = cm_squash((int)(dot >> 16));
	return m->pr;
}

static inline void cm_mix_update(cm_mixer *m, int y)
{
	int32_t *w = m->w + (size_t)m->sel * (size_t)m->n;
	int err = ((y << 12) - m->pr) * m->lr;

	for (int i = 0; i < m->nx; i++)
		w[i] += (m->x[i] * err) >> 16;
}

/* varints: gdb_put_varint / gdb_get_varint (common/gdb.h) */

/* ---- case and exception runs, shared by the entropy codecs ---- */

/*
 * Runs of a block outside what its coder codes: lowercase runs (every
 * codec) and letter runs (the DNA codecs: N and the IUPAC codes). Coded as
 * varints: gap from the previous run's end, length, and for letter runs
 * the letter. The decoder checks order, range and maximality.
 */
typedef struct cm_runs {
	uint32_t *start, *len;
	uint8_t *letter;
	uint32_t n, cap;
} cm_runs;

void gdb_cm_runs_free(cm_runs *r);
int gdb_cm_runs_add(cm_runs *r, uint32_t start, uint32_t len, uint8_t letter);
void gdb_cm_runs_put(gdb_buf *b, const cm_runs *r, int with_letter);
/*
 * Read n_max-bounded runs of a block of nbases; with_letter: each letter
 * must pass ok(letter). Runs are kept in r (caller frees).
 * @return 0 or GDB_ECORRUPT
 */
int gdb_cm_runs_get(const uint8_t **p, const uint8_t *end, uint32_t nbases,
		    int with_letter, int (*ok)(int), cm_runs *r);
/* Lowercase runs of bases[0..n): maximal runs of a-z. */
int gdb_cm_runs_lower(const char *bases, uint32_t n, cm_runs *r);
/* OR 0x20 into each run's bytes that fall in [from, to) of the block,
 * written at dst[0..to-from). */
void gdb_cm_runs_apply_lower(const cm_runs *r, uint32_t from, uint32_t to,
			     char *dst);

/* ---- the codecs behind the table (codec.c) ---- */

struct gdb_codec_model {
	uint32_t codec;
	uint32_t alphabet;
	void *impl; /* the codec's own model */
};

/* protein.c: residue codes index gdb_protein_residues (27 letters) */
#define GDB_PROTEIN_NRES 27
extern const char gdb_protein_residues[];
int gdb_protein_train_new(void **st);
/* @return 1 once the trainer has seen all it wants, else 0 */
int gdb_protein_train(void *st, const char *res, uint32_t n);
int gdb_protein_model_blob(void *st, gdb_buf *blob);
void gdb_protein_train_free(void *st);
int gdb_protein_model_load(const uint8_t *blob, size_t len, void **impl);
void gdb_protein_model_free(void *impl);
int gdb_protein_encode(const void *impl, const char *res, uint32_t n,
		       gdb_buf *out, uint32_t *badpos);
int gdb_protein_decode(const void *impl, const uint8_t *src, size_t len,
		       uint32_t from, uint32_t to, char *dst);
int gdb_protein_nbases(const uint8_t *src, size_t len);
int gdb_protein_describe(const void *impl, char *buf, size_t cap);
/* protein_cm.c: version 1 models, read only */
int gdb_protein_cm_load(const uint8_t *blob, size_t len, void **impl);
int gdb_protein_cm_decode(const void *impl, const uint8_t *p,
			  const uint8_t *end, uint32_t n, uint32_t from,
			  uint32_t to, char *dst);

/* seqcm.c: its coder as a chain of chunks, one model learning across
 * them in order, each chunk its own stream (the cm codec's training
 * blocks); get: @return 0 or GDB_ECORRUPT (bytes left over or missing) */
typedef struct gdb_seqcm gdb_seqcm;
int gdb_seqcm_new(size_t nbases, gdb_seqcm **out);
void gdb_seqcm_free(gdb_seqcm *s);
int gdb_seqcm_put(gdb_seqcm *s, const uint8_t *codes, uint32_t n, gdb_buf *out);
int gdb_seqcm_get(gdb_seqcm *s, const uint8_t *src, size_t len, uint8_t *codes,
		  uint32_t n);

/* cm.c / cm_model.c */
int gdb_cmdna_train_new(const gdb_codec_params *p, void **st);
int gdb_cmdna_train(void *st, uint32_t block, const char *bases, uint32_t n);
int gdb_cmdna_model_blob(void *st, gdb_buf *blob, void **impl);
void gdb_cmdna_train_free(void *st);
int gdb_cmdna_model_load(const uint8_t *blob, size_t len, gdb_codec_fetch fetch,
			 void *arg, const gdb_codec_ref *ref, void **impl);
void gdb_cmdna_model_free(void *impl);
int gdb_cmdna_is_training(const void *impl, uint32_t block);
int gdb_cmdna_encode(const void *impl, uint32_t block, const char *bases,
		     uint32_t n, int rna, uint32_t restart, gdb_buf *out,
		     uint32_t *badpos);
int gdb_cmdna_decode(const void *impl, const uint8_t *src, size_t len,
		     uint32_t from, uint32_t to, char *dst);
int gdb_cmdna_nbases(const uint8_t *src, size_t len);
int gdb_cmdna_describe(const void *impl, char *buf, size_t cap);

#endif
