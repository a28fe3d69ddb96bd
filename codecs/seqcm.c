/*
 * codecs/seqcm.c - a context-mixing coder for the 2-bit codes of many
 * reads' bases (docs/FORMAT.md, "Read bases"), in the family of fqzcomp's
 * and lpaq's models: each base is two binary decisions; each of a few
 * order-k models (the last k bases, hashed into a table when 4^k is
 * large) gives a probability for each decision, which adapts at a rate
 * that slows as its context is seen more often; a single-layer logistic
 * mixer combines them; an adaptive probability map on the last four bases
 * refines the mix; a binary arithmetic coder (32-bit, carry-less, as
 * lpaq1) codes the decision. After each read the models also learn its
 * reverse complement, since reads come from both strands.
 *
 * Everything is integer arithmetic with tables built by integer code, so
 * encoder and decoder agree bit for bit on any machine. The model list
 * (orders, table sizes) is in the stream header: a decoder follows
 * whatever the encoder chose. Contexts restart at each read.
 *
 * Memory: 8 bytes per context (a count and three 16-bit probabilities);
 * the encoder sizes hashed tables to twice the bases (at most
 * 2^CM_MAX_BITS contexts), so a chunk of a few million bases takes up to
 * 96 MiB while it is coded (reads/ decodes one chunk at a time).
 *
 * Threading: reentrant; all state is per call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/codecs.h"
#include "codecs/codecs_int.h"

#define CM_VERSION 1
#define CM_MAX_MODELS 6
#define CM_MAX_BITS 22
#define CM_HDR(nm) (4 + 2 * (nm))
#define CM_LIMIT 255 /* a context's count stops here */
#define APM_CTX 256  /* the adaptive map's contexts: 4 bases */
#define APM_RATE 128

/* The model list this encoder writes: orders, hashed above 2^CM_MAX_BITS. */
static const uint8_t enc_orders[] = {2, 6, 11, 16, 20};
#define ENC_LR 6

/* Probabilities are 12-bit, through the module's integer squash and
 * stretch (codecs/codecs_int.h), which every codec's coder shares. */

typedef struct cm {
	int nm;
	uint8_t order[CM_MAX_MODELS], bits[CM_MAX_MODELS];
	/* 4 u16 per context: its count, then the probability (16 bits) of a
	 * 1 at the three nodes of a base's two decisions */
	uint16_t *tab[CM_MAX_MODELS];
	uint16_t *node[CM_MAX_MODELS];
	uint16_t apm[APM_CTX * 3 * 33];
	int apm_i, p0;
	int st[CM_MAX_MODELS];
	int w[CM_MAX_MODELS];
	int lr;
	/* arithmetic coder */
	uint32_t x1, x2, x;
	const uint8_t *in, *in_end;
	gdb_buf *out;
} cm;

static int cm_init(cm *m, int nm, const uint8_t *order, const uint8_t *bits,
		   int lr)
{
	memset(m, 0, sizeof(*m));
	m->nm = nm;
	m->lr = lr;
	gdb_cm_tables_init();
	for (int j = 0; j < nm; j++) {
		size_t e = (size_t)4 << bits[j];
		m->order[j] = order[j];
		m->bits[j] = bits[j];
		m->tab[j] = malloc(e * sizeof(uint16_t));
		if (!m->tab[j])
			return -ENOMEM;
		for (size_t i = 0; i < e; i++)
			m->tab[j][i] = i % 4 ? 32768 : 0;
		m->w[j] = (65536 / nm) * 3 / 2;
	}
	for (int c = 0; c < APM_CTX * 3; c++)
		for (int k = 0; k < 33; k++)
			m->apm[c * 33 + k] =
			    (uint16_t)(cm_squash((k - 16) * 128) * 16);
	return 0;
}

static void cm_free(cm *m)
{
	for (int j = 0; j < m->nm; j++)
		free(m->tab[j]);
}

/* Point every model at the nodes of the context h (the last bases). */
static void set_context(cm *m, uint64_t h)
{
	for (int j = 0; j < m->nm; j++) {
		uint64_t ctx = h & ((1ull << (2 * m->order[j])) - 1);
		uint64_t x =
		    2 * m->order[j] <= m->bits[j]
			? ctx
			: (ctx * 0x9E3779B97F4A7C15ull) >> (64 - m->bits[j]);
		m->node[j] = m->tab[j] + x * 4;
	}
}

/* The probability (12 bits) that node sub's bit is 1, in context h. */
static int predict(cm *m, int sub, uint64_t h)
{
	int64_t dot = 0;
	int p, s, lo, w, pa;

	for (int j = 0; j < m->nm; j++) {
		m->st[j] = cm_stretch(m->node[j][sub] >> 4);
		dot += (int64_t)m->w[j] * m->st[j];
	}
	p = cm_squash((int)(dot >> 16));
	p = p < 1 ? 1 : p > 4095 ? 4095 : p;
	m->p0 = p;
	/* refine by the adaptive map: interpolate between two buckets */
	s = cm_stretch(p) + 2048;
	lo = s >> 7;
	w = s & 127;
	m->apm_i = ((int)(h & (APM_CTX - 1)) * 3 + sub - 1) * 33 + lo;
	pa = (m->apm[m->apm_i] * (128 - w) + m->apm[m->apm_i + 1] * w) >> 11;
	p = (p + 3 * pa) / 4;
	return p < 1 ? 1 : p > 4095 ? 4095 : p;
}

/* Learn bit b at node sub; mix is whether the mixer and map learn too. */
static void update(cm *m, int sub, int b, int mix)
{
	if (mix) {
		int err = ((b << 12) - m->p0) * m->lr;
		int g = b ? 65535 : 0;
		for (int j = 0; j < m->nm; j++)
			m->w[j] += (m->st[j] * err) / 1024;
		for (int k = 0; k < 2; k++) {
			uint16_t *a = &m->apm[m->apm_i + k];
			*a = (uint16_t)(*a + (g - *a) / APM_RATE);
		}
	}
	for (int j = 0; j < m->nm; j++) {
		uint16_t *n = m->node[j];
		int q = n[sub];
		q += ((b << 16) - q) / (n[0] + 2);
		n[sub] = (uint16_t)(q < 32 ? 32 : q > 65503 ? 65503 : q);
		if (sub > 1 && n[0] < CM_LIMIT)
			n[0]++; /* once a base: at its second decision */
	}
}

/* ---- binary arithmetic coder (lpaq1) ---- */

static void enc_bit(cm *m, int b, int p)
{
	uint32_t xmid =
	    m->x1 + (uint32_t)(((uint64_t)(m->x2 - m->x1) * (uint32_t)p) >> 12);

	if (b)
		m->x2 = xmid;
	else
		m->x1 = xmid + 1;
	while (((m->x1 ^ m->x2) & 0xff000000u) == 0) {
		uint8_t c = (uint8_t)(m->x2 >> 24);
		gdb_buf_add(m->out, &c, 1);
		m->x1 <<= 8;
		m->x2 = (m->x2 << 8) | 255;
	}
}

/* Past the end the stream reads as 0xff bytes: with the flushed top
 * byte of x1 they make a value in [x1, x2] (lpaq1 reads EOF as 255). */
static int next_byte(cm *m)
{
	return m->in < m->in_end ? *m->in++ : 255;
}

static int dec_bit(cm *m, int p)
{
	uint32_t xmid =
	    m->x1 + (uint32_t)(((uint64_t)(m->x2 - m->x1) * (uint32_t)p) >> 12);
	int b = m->x <= xmid;

	if (b)
		m->x2 = xmid;
	else
		m->x1 = xmid + 1;
	while (((m->x1 ^ m->x2) & 0xff000000u) == 0) {
		m->x1 <<= 8;
		m->x2 = (m->x2 << 8) | 255;
		m->x = (m->x << 8) | (uint32_t)next_byte(m);
	}
	return b;
}

/* Code (or decode) one base in context h; returns it. */
static int code_base(cm *m, uint64_t h, int c, int decoding)
{
	int sub = 1;

	set_context(m, h);
	for (int bit = 1; bit >= 0; bit--) {
		int p = predict(m, sub, h), b;
		if (decoding) {
			b = dec_bit(m, p);
		} else {
			b = (c >> bit) & 1;
			enc_bit(m, b, p);
		}
		update(m, sub, b, 1);
		sub = sub * 2 + b;
	}
	return sub - 4;
}

/* Learn a read's reverse complement (nothing is coded). */
static void learn_rc(cm *m, const uint8_t *codes, uint32_t len)
{
	uint64_t h = 0;

	for (uint32_t i = len; i-- > 0;) {
		int c = 3 - codes[i], sub = 1;
		set_context(m, h);
		for (int bit = 1; bit >= 0; bit--) {
			int b = (c >> bit) & 1;
			update(m, sub, b, 0);
			sub = sub * 2 + b;
		}
		h = (h << 2) | (uint64_t)c;
	}
}

/* Table bits for n bases: room for twice as many contexts (fewer
 * collisions pay for the memory), bounded. */
static uint8_t table_bits(size_t n, uint8_t order)
{
	uint8_t b = 10;

	while (b < CM_MAX_BITS && ((size_t)1 << b) < 2 * n)
		b++;
	return 2 * order < b ? (uint8_t)(2 * order) : b;
}

int gdb_codecs_cm_encode(const uint8_t *codes, size_t n, const uint32_t *lens,
			 size_t nrec, gdb_buf *out)
{
	int nm = (int)sizeof(enc_orders);
	uint8_t bits[CM_MAX_MODELS], *h;
	size_t at = 0;
	cm m;
	int rc;

	for (int j = 0; j < nm; j++)
		bits[j] = table_bits(n, enc_orders[j]);
	rc = cm_init(&m, nm, enc_orders, bits, ENC_LR);
	if (rc < 0 || !(h = gdb_buf_room(out, CM_HDR(nm)))) {
		cm_free(&m);
		return rc < 0 ? rc : out->err;
	}
	h[0] = CM_VERSION;
	h[1] = (uint8_t)nm;
	h[2] = 1; /* flags: reverse complements learnt */
	h[3] = ENC_LR;
	for (int j = 0; j < nm; j++) {
		h[4 + 2 * j] = enc_orders[j];
		h[5 + 2 * j] = bits[j];
	}
	m.out = out;
	m.x2 = 0xffffffffu;
	for (size_t r = 0; r < nrec; r++) {
		uint64_t ctx = 0;
		for (uint32_t i = 0; i < lens[r]; i++) {
			int c = codes[at + i] & 3;
			code_base(&m, ctx, c, 0);
			ctx = (ctx << 2) | (uint64_t)c;
		}
		learn_rc(&m, codes + at, lens[r]);
		at += lens[r];
	}
	/* flush: the first byte of x1 decides every later bit */
	{
		uint8_t c = (uint8_t)(m.x1 >> 24);
		gdb_buf_add(out, &c, 1);
	}
	cm_free(&m);
	return at == n ? out->err : -EINVAL;
}

int gdb_codecs_cm_decode(const uint8_t *src, size_t len, uint8_t *codes,
			 size_t n, const uint32_t *lens, size_t nrec)
{
	uint8_t order[CM_MAX_MODELS], bits[CM_MAX_MODELS];
	size_t at = 0;
	int nm, rc;
	cm m;

	if (len < 4 || src[0] != CM_VERSION || src[1] < 1 ||
	    src[1] > CM_MAX_MODELS || src[2] != 1 || src[3] < 1 || src[3] > 64)
		return GDB_ECORRUPT;
	nm = src[1];
	if (len < (size_t)CM_HDR(nm))
		return GDB_ECORRUPT;
	for (int j = 0; j < nm; j++) {
		order[j] = src[4 + 2 * j];
		bits[j] = src[5 + 2 * j];
		/* tables are sized by the data: a header asking for more
		 * memory than n bases need is damage */
		if (order[j] < 1 || order[j] > 32 ||
		    bits[j] != table_bits(n, order[j]))
			return GDB_ECORRUPT;
	}
	rc = cm_init(&m, nm, order, bits, src[3]);
	if (rc < 0) {
		cm_free(&m);
		return rc;
	}
	m.in = src + CM_HDR(nm);
	m.in_end = src + len;
	m.x2 = 0xffffffffu;
	for (int i = 0; i < 4; i++)
		m.x = (m.x << 8) | (uint32_t)next_byte(&m);
	for (size_t r = 0; r < nrec && rc == 0; r++) {
		uint64_t ctx = 0;
		if (lens[r] > n - at) {
			rc = GDB_ECORRUPT;
			break;
		}
		for (uint32_t i = 0; i < lens[r]; i++) {
			int c = code_base(&m, ctx, 0, 1);
			codes[at + i] = (uint8_t)c;
			ctx = (ctx << 2) | (uint64_t)c;
		}
		learn_rc(&m, codes + at, lens[r]);
		at += lens[r];
	}
	cm_free(&m);
	return rc == 0 && at != n ? GDB_ECORRUPT : rc;
}

/* ---- the coder as a chain of chunks (the cm codec's training blocks,
 * docs/FORMAT.md "CM model version 3"): one model learns across the
 * chunks in order; each chunk is its own coder stream, its context starts
 * empty, and its reverse complement is learnt after it. ---- */

struct gdb_seqcm {
	cm m;
};

int gdb_seqcm_new(size_t nbases, gdb_seqcm **out)
{
	int nm = (int)sizeof(enc_orders);
	uint8_t bits[CM_MAX_MODELS];
	gdb_seqcm *s = malloc(sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	for (int j = 0; j < nm; j++)
		bits[j] = table_bits(nbases, enc_orders[j]);
	rc = cm_init(&s->m, nm, enc_orders, bits, ENC_LR);
	if (rc < 0) {
		gdb_seqcm_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void gdb_seqcm_free(gdb_seqcm *s)
{
	if (!s)
		return;
	cm_free(&s->m);
	free(s);
}

int gdb_seqcm_put(gdb_seqcm *s, const uint8_t *codes, uint32_t n, gdb_buf *out)
{
	cm *m = &s->m;
	uint64_t ctx = 0;

	m->out = out;
	m->x1 = 0;
	m->x2 = 0xffffffffu;
	for (uint32_t i = 0; i < n; i++) {
		int c = codes[i] & 3;
		code_base(m, ctx, c, 0);
		ctx = (ctx << 2) | (uint64_t)c;
	}
	learn_rc(m, codes, n);
	gdb_buf_add(out, &(uint8_t){(uint8_t)(m->x1 >> 24)}, 1);
	return out->err;
}

int gdb_seqcm_get(gdb_seqcm *s, const uint8_t *src, size_t len, uint8_t *codes,
		  uint32_t n)
{
	cm *m = &s->m;
	uint64_t ctx = 0;

	m->in = src;
	m->in_end = src + len;
	m->x1 = 0;
	m->x2 = 0xffffffffu;
	m->x = 0;
	for (int i = 0; i < 4; i++)
		m->x = (m->x << 8) | (uint32_t)next_byte(m);
	for (uint32_t i = 0; i < n; i++) {
		int c = code_base(m, ctx, 0, 1);
		codes[i] = (uint8_t)c;
		ctx = (ctx << 2) | (uint64_t)c;
	}
	learn_rc(m, codes, n);
	/* a whole stream is read to its last byte, and no further */
	return m->in == m->in_end ? 0 : GDB_ECORRUPT;
}
