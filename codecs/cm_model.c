/*
 * codecs/cm_model.c - the cm codec's models: which blocks train them,
 * how they are built (the same way at import and in every reader), the
 * mixer's starting weights, and the model's stored bytes (docs/FORMAT.md,
 * "CM model").
 *
 * Training blocks are every stride-th block of the assembly (0, stride,
 * 2 stride, ...), stride a power of two chosen so that they hold about an
 * eighth of the assembly, between 1 and 8 Mbp (or what --cm-train says).
 * The importer's first pass keeps every (stride/2)-th block's bases,
 * doubling the stride whenever they pass twice that budget; the blocks
 * halfway between training blocks then serve to train the mixer's
 * starting weights on data the models have not seen.
 *
 * Each training block trains every model on its forward strand and then
 * on its reverse complement (DNA repeats occur in both orientations).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "codecs/cm_int.h"
#include "simd/simd.h"

#define BLOB_VERSION 1
#define BLOB_MATCH 2 /* version 2: a match model (one byte: k) */
#define BLOB_MAPS 3  /* version 3: bytes k and features, input maps */
#define FEAT_OWN (CM_FEAT_MAPS | CM_FEAT_MIX2) /* a relative model's too */
#define FEAT_ALL (FEAT_OWN | CM_FEAT_CHAIN | CM_FEAT_REL)
#define MIX2_W (CM_MIX2_SETS * CM_NIN)
#define MIX2_BYTES (4 * (MIX2_W + 3 * CM_MIXF_N))
#define BLOB_FIXED 24
#define DEF_TABLE_BITS 22
#define CHAIN_TRAIN (1u << 20) /* default: a chain from this sample on */
#define HUGE_PAGE ((size_t)2 << 20)
#define MAX_TRAIN (8u << 20)
#define MIN_TRAIN (1u << 20)
#define MIX_TRAIN (2u << 20)  /* bases that train the starting weights */
#define REL_TRAIN (16u << 20) /* reference bases a relative model uses */
#define DEF_LR 14

/* The default models: orders 1-4, 6, 8, 11, 12, 14, 16, 18, 20, 24. */
#define DEF_ORDERS 0x115595eu
/* With the match model (which takes a model's input): without order 24,
 * which the match model covers. */
#define MATCH_ORDERS 0x015595eu
#define MAX_ORDER 24

/* ---- tables ---- */

/* Zeroed memory for a table; large ones in huge pages where the kernel
 * gives them (a model's lookups are random: fewer TLB misses). */
static void *table_calloc(size_t bytes)
{
	void *p;

	if (bytes < HUGE_PAGE)
		return calloc(1, bytes);
	bytes = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	p = aligned_alloc(HUGE_PAGE, bytes);
	if (!p)
		return NULL;
	(void)madvise(p, bytes, MADV_HUGEPAGE);
	memset(p, 0, bytes);
	return p;
}

/* A slot while training: exact probabilities and counts, quantized into
 * the frozen cm_slot once the table has seen every training block. */
struct tslot {
	uint16_t p[3];
	uint8_t n;
	uint8_t tag;
};

static int tables_alloc(struct cm_model *m)
{
	for (uint32_t i = 0; i < m->nm; i++) {
		cm_table *t = &m->t[i];
		uint32_t direct = m->order[i] > 2 ? 2u * (m->order[i] - 2u) : 0;
		t->k = m->order[i];
		t->hashed = direct + 4 > m->table_bits;
		t->line_bits = t->hashed ? m->table_bits - 4 : direct;
		t->slot = table_calloc(((size_t)1 << t->line_bits) * CM_LINE *
				       sizeof(cm_slot));
		if (!t->slot)
			return -ENOMEM;
	}
	return 0;
}

static size_t table_slots(const cm_table *t)
{
	return ((size_t)1 << t->line_bits) * CM_LINE;
}

static void slot_train(struct tslot *s, int c)
{
	int b1 = c >> 1, b0 = c & 1;
	unsigned rate = gdb_cm_rate_tab[s->n];
	int d1 = (b1 ? 65535 : 0) - s->p[0];
	int d0 = (b0 ? 65535 : 0) - s->p[1 + b1];

	s->p[0] = (uint16_t)(s->p[0] + (int)(((int64_t)d1 * rate) >> 16));
	s->p[1 + b1] =
	    (uint16_t)(s->p[1 + b1] + (int)(((int64_t)d0 * rate) >> 16));
	if (s->n < CM_LIMIT)
		s->n++;
}

/* Train table t (its exact slots in ts) on one strand of codes 0..3. */
static void train_strand(const cm_table *t, struct tslot *ts, const uint8_t *c,
			 uint32_t n)
{
	uint64_t h = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (i >= (uint32_t)t->k) {
			uint8_t tag;
			size_t line =
			    (size_t)(cm_line(t, h >> 4, &tag) - t->slot);
			struct tslot *s = ts + line + cm_slot_in_line(t, h);
			if (s->tag != tag) {
				/* the context that owned the slot loses it */
				*s = (struct tslot){
				    {32768, 32768, 32768}, 0, tag};
			}
			slot_train(s, c[i]);
		}
		h = (h << 2) | c[i];
	}
}

static uint8_t conf_bucket(unsigned n)
{
	return n < 4 ? (uint8_t)n : n < 8 ? 4 : n < 16 ? 5 : n < 64 ? 6 : 7;
}

/* The frozen slots from the trained ones. */
static void quantize(cm_table *t, const struct tslot *ts)
{
	for (size_t i = 0; i < table_slots(t); i++) {
		const struct tslot *s = &ts[i];
		cm_slot *q = &t->slot[i];
		*q = (cm_slot){{0, 0, 0}, 0};
		if (!s->n)
			continue;
		for (int j = 0; j < 3; j++) {
			int p = s->p[j] >> 4;
			int st = cm_stretch(p < 1 ? 1 : p > 4095 ? 4095 : p);
			st = (st + (st < 0 ? -8 : 8)) / 16;
			q->st[j] = (int8_t)(st < -127  ? -127
					    : st > 127 ? 127
						       : st);
		}
		q->ct = (uint8_t)(s->tag | conf_bucket(s->n));
	}
}

/* The ACGT (ACGU) bases of a block as codes, forward; exceptions are left
 * out, as the coder leaves them out. */
static uint32_t block_codes(const char *b, uint32_t n, uint8_t *c)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++) {
		switch (b[i] & ~0x20) {
		case 'A':
			c[k++] = 0;
			break;
		case 'C':
			c[k++] = 1;
			break;
		case 'G':
			c[k++] = 2;
			break;
		case 'T':
		case 'U':
			c[k++] = 3;
			break;
		default:
			break;
		}
	}
	return k;
}

/*
 * Append both strands of a training block to all, as codes, each strand
 * after its length (u32). T and U both code 3 here: a training block of
 * either alphabet trains the same way (the coder of an RNA block codes U
 * as 3 and keeps T as an exception; a stray T of an RNA sequence then
 * trains as a U, on both sides alike).
 */
static int strands_add(gdb_buf *all, const char *b, uint32_t n)
{
	size_t at = all->len;
	uint8_t *c = gdb_buf_room(all, 8 + 2 * (size_t)n);
	uint32_t k;

	if (!c)
		return all->err;
	k = block_codes(b, n, c + 4);
	gdb_put_le32(c, k);
	gdb_put_le32(c + 4 + k, k);
	for (uint32_t i = 0; i < k; i++)
		c[8 + k + i] = (uint8_t)(3 - c[4 + k - 1 - i]);
	all->len = at + 8 + 2 * (size_t)k;
	return 0;
}

/* Build every table from the strands, one table at a time, each through
 * a temporary exact table, then frozen. */
static int train_tables(struct cm_model *m, const gdb_buf *all)
{
	for (uint32_t i = 0; i < m->nm; i++) {
		cm_table *t = &m->t[i];
		struct tslot *ts = table_calloc(table_slots(t) * sizeof(*ts));
		const uint8_t *p = (const uint8_t *)all->p, *end = p + all->len;
		if (!ts)
			return -ENOMEM;
		for (size_t j = 0; j < table_slots(t); j++)
			ts[j] = (struct tslot){{32768, 32768, 32768}, 0, 0};
		while (end - p >= 4) {
			uint32_t k = gdb_get_le32(p);
			train_strand(t, ts, p + 4, k);
			p += 4 + k;
		}
		quantize(t, ts);
		free(ts);
	}
	return 0;
}

/*
 * The match model's reference: the training strands' codes, CM_REF_END
 * before each and after the last, and a hash of every match_k bases to
 * the index of the base after them (the last such place wins).
 */
static int build_ref(struct cm_model *m, const gdb_buf *all)
{
	const uint8_t *p = (const uint8_t *)all->p, *end = p + all->len;
	uint32_t k = m->match_k;
	size_t at = 0;

	if (all->len + 1 >= UINT32_MAX)
		return -EFBIG;
	for (m->mbits = 16; m->mbits < 24 && ((size_t)1 << m->mbits) < all->len;
	     m->mbits++)
		;
	m->ref = malloc(all->len + 1);
	m->mtab = calloc((size_t)1 << m->mbits, sizeof(*m->mtab));
	if (!m->ref || !m->mtab)
		return -ENOMEM;
	while (end - p >= 4) {
		uint32_t n = gdb_get_le32(p);
		uint64_t h = 0;
		p += 4;
		m->ref[at++] = CM_REF_END;
		for (uint32_t i = 0; i < n; i++) {
			if (i >= k)
				m->mtab[cm_match_hash(cm_match_key(h, k),
						      m->mbits)] = (uint32_t)at;
			h = (h << 2) | p[i];
			m->ref[at++] = p[i];
		}
		p += n;
	}
	m->ref[at++] = CM_REF_END;
	m->ref_len = at;
	return 0;
}

/* The tables, then the match model's reference. */
static int build_models(struct cm_model *m, const gdb_buf *all)
{
	int rc = train_tables(m, all);

	return rc == 0 && m->match_k ? build_ref(m, all) : rc;
}

static void model_free(struct cm_model *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->nm; i++)
		free(m->t[i].slot);
	free(m->w0);
	free(m->ref);
	free(m->mtab);
	free(m->imap_pts);
	free(m->imap);
	for (uint32_t j = 0; (m->tblk || m->tbases) && j < m->n_train; j++) {
		if (m->tblk)
			gdb_buf_free(&m->tblk[j]);
		if (m->tbases)
			free(m->tbases[j]);
	}
	free(m->tblk);
	free(m->tbases);
	free(m->tlen);
	free(m);
}

/* The orders a bit set names, ascending; -1 for an invalid set. */
static int orders_of(uint32_t set, uint8_t *order)
{
	int n = 0;

	if (!set || (set & 1) || (set >> (MAX_ORDER + 1)))
		return -1;
	for (int k = 1; k <= MAX_ORDER; k++) {
		if (!(set & (1u << k)))
			continue;
		if (n == CM_MAXM)
			return -1;
		order[n++] = (uint8_t)k;
	}
	return n;
}

/* ---- input maps (version 3) ---- */

/* The 16-bit probability of a map at slot stretch st (-127..127). */
static int imap_at(const uint16_t *pts, int st)
{
	unsigned u = (unsigned)(st + 128), j = u >> 3, w = u & 7;

	return (int)((pts[j] * (8 - w) + pts[j + 1] * w) >> 3);
}

/* The table the coder reads, from the points (the same at import and in
 * every reader: integer arithmetic only). */
static void imap_build(struct cm_model *m)
{
	for (uint32_t i = 0; i < m->nm; i++)
		for (uint32_t c = 1; c < 8; c++)
			for (uint32_t node = 0; node < 3; node++) {
				const uint16_t *pts =
				    m->imap_pts +
				    ((i * 7 + c - 1) * 3 + node) * CM_IMAP_N;
				int16_t *t =
				    m->imap + ((i * 8 + c) * 3 + node) * 256;
				t[0] = 0; /* st -128: never held */
				for (int st = -127; st <= 127; st++) {
					int p = imap_at(pts, st) >> 4;
					p = p < 1 ? 1 : p > 4095 ? 4095 : p;
					t[st + 128] = (int16_t)cm_stretch(p);
				}
			}
}

/* Maps that leave each input as it was (st * 16, near enough). */
static int imap_new(struct cm_model *m)
{
	m->imap_pts = malloc(CM_IMAP_PTS(m->nm) * sizeof(*m->imap_pts));
	m->imap = calloc(CM_IMAP_TAB(m->nm), sizeof(*m->imap));
	if (!m->imap_pts || !m->imap)
		return -ENOMEM;
	for (size_t i = 0; i < CM_IMAP_PTS(m->nm); i++) {
		int st = (int)(i % CM_IMAP_N) * 8 - 128;
		int p = cm_squash(st * 16) * 16;
		m->imap_pts[i] = (uint16_t)(p > 65535 ? 65535 : p);
	}
	imap_build(m);
	return 0;
}

/* While the starting weights are trained: each map point learns the
 * average outcome where the slots it stands for predicted. */
struct imap_learn {
	uint16_t n[CM_IMAP_PTS(CM_MAXM)];
};

static void imap_update(struct cm_model *m, struct imap_learn *l,
			const struct cm_block *b, int node, int y)
{
	for (uint32_t i = 0; i < m->nm; i++) {
		const cm_slot *s = b->s[i];
		size_t at;
		unsigned u;
		if (!s)
			continue;
		u = (unsigned)(s->st[node] + 128);
		at = ((i * 7 + (s->ct & 7u) - 1) * 3 + (unsigned)node) *
			 CM_IMAP_N +
		     ((u + 4) >> 3);
		m->imap_pts[at] =
		    (uint16_t)(m->imap_pts[at] +
			       (int)(((int64_t)((y ? 65535 : 0) -
						m->imap_pts[at]) *
				      gdb_cm_rate_tab[l->n[at]]) >>
				     16));
		if (l->n[at] < 1023)
			l->n[at]++;
	}
}

static struct cm_model *model_new(uint32_t orders, uint32_t table_bits,
				  uint32_t match_k, uint32_t feat)
{
	struct cm_model *m = calloc(1, sizeof(*m));
	int nm;

	if (!m)
		return NULL;
	nm = orders_of(orders, m->order);
	/* the match model's input takes the place of a model's */
	if (nm < 1 || (match_k && nm >= CM_MAXM)) {
		free(m);
		return NULL;
	}
	m->nm = (uint32_t)nm;
	m->table_bits = table_bits;
	m->match_k = match_k;
	m->nsets = 3 * (m->nm + 1) * CM_CONF + (match_k ? CM_MSETS : 0);
	m->lr = DEF_LR;
	m->w0 = calloc((size_t)m->nsets * CM_NIN, sizeof(*m->w0));
	m->version = feat ? BLOB_MAPS : match_k ? BLOB_MATCH : BLOB_VERSION;
	m->feat = feat;
	m->rel = (feat & CM_FEAT_REL) != 0;
	if (!m->w0 || tables_alloc(m) < 0 ||
	    ((feat & CM_FEAT_MAPS) && imap_new(m) < 0)) {
		model_free(m);
		return NULL;
	}
	for (uint32_t s = 0; s < m->nsets; s++)
		for (uint32_t i = 0; i < m->nm; i++)
			m->w0[s * CM_NIN + i] = 20000;
	for (uint32_t s = 0; s < CM_MIX2_SETS; s++)
		for (uint32_t i = 0; i < m->nm; i++)
			m->w2_0[s * CM_NIN + i] = 20000;
	for (uint32_t s = 0; s < 3; s++) {
		m->wf0[s * CM_MIXF_N] = 32768;
		m->wf0[s * CM_MIXF_N + 1] = 32768;
	}
	for (int c = 0; c < CM_APM_CTX; c++)
		for (int j = 0; j < CM_APM_N; j++)
			m->apm0[c * CM_APM_N + j] =
			    (uint16_t)(cm_squash((j - 16) * 128) * 16);
	for (int i = 0; i < CM_MSIZE; i++)
		m->mp0[i] = 49152;
	return m;
}

int gdb_cmdna_is_training(const void *impl, uint32_t block)
{
	const struct cm_model *m = impl;

	/* a relative model's training blocks are the reference's */
	return !m->rel && block % m->stride == 0 &&
	       block / m->stride < m->n_train;
}

/* ---- per-block state ---- */

void cm_block_init(struct cm_block *b, const struct cm_model *m)
{
	b->h = 0;
	b->hlen = 0;
	memcpy(b->w, m->w0, (size_t)m->nsets * CM_NIN * sizeof(b->w[0]));
	memcpy(b->apm, m->apm0, sizeof(b->apm));
	b->mx = (cm_mixer){
	    .n = CM_NIN, .nsets = (int)m->nsets, .lr = m->lr, .w = b->w};
	if (m->feat & CM_FEAT_MIX2) {
		memcpy(b->w2, m->w2_0, sizeof(b->w2));
		memcpy(b->wf, m->wf0, sizeof(b->wf));
		b->mx2 = (cm_mixer){.n = CM_NIN,
				    .nsets = CM_MIX2_SETS,
				    .lr = m->lr,
				    .w = b->w2};
		b->mxf = (cm_mixer){
		    .n = CM_MIXF_N, .nsets = 3, .lr = m->lr, .w = b->wf};
	}
	b->ring = 0;
	cm_match_reset(b);
	memcpy(b->mp, m->mp0, sizeof(b->mp));
	for (uint32_t i = 0; i < m->nm; i++) {
		for (int r = 0; r < 2; r++)
			b->line[r][i] = cm_line(&m->t[i], 0, &b->tag[r][i]);
	}
}

/* ---- the importer's trainer ---- */

struct cm_kept {
	uint32_t block, n;
	char *bases;
};

struct cm_train {
	gdb_codec_params p;
	uint32_t stride; /* blocks kept: index % (stride / 2) == 0 */
	struct cm_kept *kept;
	uint32_t nkept, capkept;
	uint64_t kept_bases, total_bases, budget;
	uint32_t nblocks;
	uint32_t nprefix; /* match model: the training blocks 0 .. nprefix-1 */
};

int gdb_cmdna_train_new(const gdb_codec_params *p, void **st)
{
	struct cm_train *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	uint8_t o[CM_MAXM];

	if ((p->cm_features & ~(GDB_CM_FEAT_SET | FEAT_ALL)) ||
	    (p->cm_table_bits &&
	     (p->cm_table_bits < 16 || p->cm_table_bits > 26)) ||
	    (p->cm_orders && orders_of(p->cm_orders, o) < 1) ||
	    (p->cm_match &&
	     (p->cm_match < CM_MATCH_MIN || p->cm_match > CM_MATCH_MAX ||
	      (p->cm_orders && orders_of(p->cm_orders, o) >= CM_MAXM))) ||
	    (p->cm_ref && (!p->cm_match || !p->cm_ref->bases))) {
		free(t);
		return -EINVAL;
	}
	t->p = *p;
	t->stride = 2;
	t->budget = p->cm_train ? p->cm_train : MAX_TRAIN;
	*st = t;
	return 0;
}

void gdb_cmdna_train_free(void *st)
{
	struct cm_train *t = st;

	if (!t)
		return;
	for (uint32_t i = 0; i < t->nkept; i++)
		free(t->kept[i].bases);
	free(t->kept);
	free(t);
}

/* Keep only blocks at multiples of stride / 2. */
static void thin(struct cm_train *t)
{
	uint32_t half = t->stride / 2, k = 0;

	t->kept_bases = 0;
	for (uint32_t i = 0; i < t->nkept; i++) {
		if (t->kept[i].block % half) {
			free(t->kept[i].bases);
			continue;
		}
		t->kept[k++] = t->kept[i];
		t->kept_bases += t->kept[i].n;
	}
	t->nkept = k;
}

static int keep_block(struct cm_train *t, uint32_t block, const char *bases,
		      uint32_t n)
{
	struct cm_kept *k;

	if (t->nkept == t->capkept) {
		uint32_t cap = t->capkept ? t->capkept * 2 : 256;
		k = realloc(t->kept, cap * sizeof(*k));
		if (!k)
			return -ENOMEM;
		t->kept = k;
		t->capkept = cap;
	}
	k = &t->kept[t->nkept];
	k->bases = malloc(n);
	if (!k->bases)
		return -ENOMEM;
	memcpy(k->bases, bases, n);
	k->block = block;
	k->n = n;
	t->nkept++;
	t->kept_bases += n;
	return 0;
}

int gdb_cmdna_train(void *st, uint32_t block, const char *bases, uint32_t n)
{
	struct cm_train *t = st;
	uint64_t before = t->total_bases;

	if (block != t->nblocks)
		return -EINVAL;
	t->nblocks++;
	t->total_bases += n;
	/* relative: the first blocks train the weights, then no more */
	if (t->p.cm_ref) {
		GDB_TRY(keep_block(t, block, bases, n));
		return t->total_bases >= MIX_TRAIN;
	}
	/* match model: the reference is a prefix, the blocks after it
	 * train the weights */
	if (t->p.cm_match)
		return before < t->budget + MIX_TRAIN
			   ? keep_block(t, block, bases, n)
			   : 0;
	if (block % (t->stride / 2))
		return 0;
	GDB_TRY(keep_block(t, block, bases, n));
	/* training (half the kept) within budget, so kept within twice */
	while (t->kept_bases > 2 * t->budget) {
		t->stride *= 2;
		thin(t);
	}
	return 0;
}

/* The final stride: training blocks hold at most the target. */
static void choose_stride(struct cm_train *t)
{
	uint64_t target = t->p.cm_train;

	if (!target) {
		target = t->total_bases / 8;
		target = target < MIN_TRAIN   ? MIN_TRAIN
			 : target > MAX_TRAIN ? MAX_TRAIN
					      : target;
	}
	for (;;) {
		uint64_t train = 0;
		for (uint32_t i = 0; i < t->nkept; i++)
			if (t->kept[i].block % t->stride == 0)
				train += t->kept[i].n;
		/* within half again the target: the next stride down
		 * would leave as much below it */
		if (train <= target + target / 2 || t->stride >= (1u << 30))
			break;
		t->stride *= 2;
		thin(t);
	}
	/* few blocks: every block trains (and is stored 2-bit) */
	if (t->total_bases <= target) {
		t->stride = 1;
	}
}

/* Match model: the training blocks are the first ones, a quarter of the
 * assembly between 1 and 8 Mbp (or what --cm-train says), rounded up to
 * whole blocks. */
static void choose_prefix(struct cm_train *t)
{
	uint64_t target = t->p.cm_train, sum = 0;
	uint32_t i = 0;

	if (!target) {
		target = t->total_bases / 4;
		target = target < MIN_TRAIN   ? MIN_TRAIN
			 : target > MAX_TRAIN ? MAX_TRAIN
					      : target;
	}
	while (i < t->nkept && sum < target)
		sum += t->kept[i++].n;
	t->stride = 1;
	t->nprefix = i;
}

/* Does kept block i train the models (1) or the weights (0)? */
static int kept_trains_models(const struct cm_train *t, uint32_t i)
{
	if (t->p.cm_match)
		return t->kept[i].block < t->nprefix;
	return t->kept[i].block % t->stride == 0;
}

/* Train the mixer's starting weights on blocks the models have not seen,
 * coding them (without output) as a reader would, one after the other. */
static void train_weights(struct cm_model *m, const struct cm_train *t,
			  uint8_t *codes)
{
	struct cm_block *b = malloc(sizeof(*b));
	struct imap_learn *l = m->imap ? calloc(1, sizeof(*l)) : NULL;
	uint64_t done = 0;

	if (!b || (m->imap && !l)) {
		free(b);
		free(l);
		return; /* the default weights (and identity maps) serve */
	}
	cm_block_init(b, m);
	for (uint32_t i = 0; i < t->nkept && done < MIX_TRAIN; i++) {
		const struct cm_kept *k = &t->kept[i];
		uint32_t n;
		if (kept_trains_models(t, i) ||
		    (!t->p.cm_match && t->stride < 2))
			continue;
		n = block_codes(k->bases, k->n, codes);
		b->h = 0;
		b->hlen = 0;
		cm_match_reset(b);
		for (uint32_t j = 0; j < n; j++) {
			int node = 0;
			cm_block_lookup(b, m);
			for (int bit = 1; bit >= 0; bit--) {
				int y = (codes[j] >> bit) & 1;
				(void)cm_block_predict(b, m, node);
				cm_block_update(b, m, y);
				if (l)
					imap_update(m, l, b, node, y);
				node = 1 + y;
			}
			cm_block_push(b, m, codes[j]);
			if (l && (j & 4095) == 4095)
				imap_build(m);
		}
		done += n;
	}
	if (l)
		imap_build(m);
	free(l);
	memcpy(m->w0, b->w, (size_t)m->nsets * CM_NIN * sizeof(m->w0[0]));
	memcpy(m->apm0, b->apm, sizeof(m->apm0));
	memcpy(m->mp0, b->mp, sizeof(m->mp0));
	memcpy(m->w2_0, b->w2, sizeof(m->w2_0));
	memcpy(m->wf0, b->wf, sizeof(m->wf0));
	free(b);
}

/* A chained model's training blocks: their chain streams, in block
 * order, and their bases (for reads of them through this model). */
static int build_chain(struct cm_model *m, const struct cm_train *t)
{
	int rna = t->p.alphabet == GDB_ALPHA_RNA;
	uint8_t *codes = malloc(GDB_DNA_BLOCK_BASES);
	gdb_seqcm *s = NULL;
	int rc = codes ? gdb_seqcm_new(m->train_bases, &s) : -ENOMEM;

	if (rc == 0) {
		m->tblk = calloc(m->n_train, sizeof(*m->tblk));
		m->tbases = calloc(m->n_train, sizeof(*m->tbases));
		m->tlen = calloc(m->n_train, sizeof(*m->tlen));
		if (!m->tblk || !m->tbases || !m->tlen)
			rc = -ENOMEM;
	}
	for (uint32_t i = 0; rc == 0 && i < t->nkept; i++) {
		const struct cm_kept *k = &t->kept[i];
		uint32_t j = k->block / m->stride;
		if (!kept_trains_models(t, i))
			continue;
		if (j >= m->n_train) {
			rc = -EINVAL;
			break;
		}
		if (!(m->tbases[j] = malloc(k->n))) {
			rc = -ENOMEM;
			break;
		}
		memcpy(m->tbases[j], k->bases, k->n);
		m->tlen[j] = k->n;
		rc = gdb_seqcm_put(
		    s, codes, gdb_cmdna_chain_codes(k->bases, k->n, rna, codes),
		    &m->tblk[j]);
	}
	gdb_seqcm_free(s);
	free(codes);
	return rc;
}

static void put_blob(const struct cm_model *m, gdb_buf *blob)
{
	uint8_t *b = gdb_buf_room(blob, BLOB_FIXED + m->nm);

	if (!b)
		return;
	b[0] = (uint8_t)m->version;
	b[1] = (uint8_t)m->nm;
	b[2] = (uint8_t)m->table_bits;
	b[3] = (uint8_t)m->lr;
	gdb_put_le32(b + 4, m->n_train);
	gdb_put_le32(b + 8, m->stride);
	gdb_put_le64(b + 12, m->train_bases);
	gdb_put_le32(b + 20, m->nsets);
	memcpy(b + BLOB_FIXED, m->order, m->nm);
	if (m->version >= BLOB_MATCH)
		gdb_buf_add(blob, &(uint8_t){(uint8_t)m->match_k}, 1);
	if (m->version == BLOB_MAPS)
		gdb_buf_add(blob, &(uint8_t){(uint8_t)m->feat}, 1);
	for (uint32_t i = 0; i < m->nsets * CM_NIN; i++) {
		uint8_t w[4];
		gdb_put_le32(w, (uint32_t)m->w0[i]);
		gdb_buf_add(blob, w, 4);
	}
	for (uint32_t i = 0; i < CM_APM_SIZE; i++) {
		uint8_t a[2];
		gdb_put_le16(a, m->apm0[i]);
		gdb_buf_add(blob, a, 2);
	}
	for (uint32_t i = 0; m->match_k && i < CM_MSIZE; i++) {
		uint8_t a[2];
		gdb_put_le16(a, m->mp0[i]);
		gdb_buf_add(blob, a, 2);
	}
	for (size_t i = 0; m->imap && i < CM_IMAP_PTS(m->nm); i++) {
		uint8_t a[2];
		gdb_put_le16(a, m->imap_pts[i]);
		gdb_buf_add(blob, a, 2);
	}
	for (uint32_t i = 0; (m->feat & CM_FEAT_MIX2) &&
			     i < CM_MIX2_SETS * CM_NIN + 3 * CM_MIXF_N;
	     i++) {
		uint8_t w[4];
		gdb_put_le32(
		    w, (uint32_t)(i < CM_MIX2_SETS * CM_NIN
				      ? m->w2_0[i]
				      : m->wf0[i - CM_MIX2_SETS * CM_NIN]));
		gdb_buf_add(blob, w, 4);
	}
	if (m->feat & CM_FEAT_REL) {
		uint8_t c[4];
		gdb_put_le32(c, m->ref_crc);
		gdb_buf_add(blob, c, 4);
	}
}

/* Version 3's features: as asked, or by default the chain where the
 * sample is large enough to pay for the time it takes (input maps and
 * the second mixer gain 0.2% on human chr20 for 40% more decode time:
 * docs/BENCHMARKS.md). */
static uint32_t features(const gdb_codec_params *p, uint64_t train)
{
	if (p->cm_ref) /* the training blocks are the reference's */
		return CM_FEAT_REL | ((p->cm_features & GDB_CM_FEAT_SET)
					  ? p->cm_features & FEAT_OWN
					  : 0);
	if (p->cm_features & GDB_CM_FEAT_SET)
		return p->cm_features & (FEAT_OWN | CM_FEAT_CHAIN);
	return train >= CHAIN_TRAIN ? CM_FEAT_CHAIN : 0;
}

/*
 * A relative model's training strands: the reference's stream blocks
 * 0, 1, ... (at most nmax of them, until budget bases), both strands, as
 * strands_add lays them out; *crc the CRC32C of those bytes. Sets
 * n_train, stride and train_bases as for a match model's prefix.
 */
static int ref_strands(struct cm_model *m, const gdb_codec_ref *ref,
		       uint32_t nmax, uint64_t budget, gdb_buf *all,
		       uint32_t *crc)
{
	char *b = malloc(GDB_DNA_BLOCK_BASES);
	int rc = b ? 0 : -ENOMEM;

	m->stride = 1;
	m->n_train = 0;
	m->train_bases = 0;
	while (rc == 0 && m->n_train < nmax && m->n_train < ref->nblocks &&
	       m->train_bases < budget) {
		int n =
		    ref->bases(ref->arg, m->n_train, b, GDB_DNA_BLOCK_BASES);
		if (n <= 0) {
			rc = n < 0 ? n : GDB_CORRUPT("empty reference block");
			break;
		}
		rc = strands_add(all, b, (uint32_t)n);
		m->n_train++;
		m->train_bases += (uint64_t)n;
	}
	free(b);
	*crc = gdb_simd()->crc32c(0, all->p, all->len);
	return rc;
}

int gdb_cmdna_model_blob(void *st, gdb_buf *blob, void **impl)
{
	struct cm_train *t = st;
	struct cm_model *m;
	uint8_t *codes = malloc(GDB_DNA_BLOCK_BASES);
	uint64_t train = 0;

	if (t->p.cm_ref)
		t->stride = 1; /* nprefix 0: every kept block trains weights */
	else if (t->p.cm_match)
		choose_prefix(t);
	else
		choose_stride(t);
	for (uint32_t i = 0; i < t->nkept; i++)
		train += kept_trains_models(t, i) ? t->kept[i].n : 0;
	m = codes ? model_new(t->p.cm_orders  ? t->p.cm_orders
			      : t->p.cm_match ? MATCH_ORDERS
					      : DEF_ORDERS,
			      t->p.cm_table_bits ? t->p.cm_table_bits
						 : DEF_TABLE_BITS,
			      t->p.cm_match, features(&t->p, train))
		  : NULL;
	if (!m) {
		free(codes);
		return -ENOMEM;
	}
	gdb_buf all = {0};
	int rc = 0;

	m->stride = t->stride;
	for (uint32_t i = 0; rc == 0 && i < t->nkept; i++) {
		if (!kept_trains_models(t, i))
			continue;
		rc = strands_add(&all, t->kept[i].bases, t->kept[i].n);
		m->train_bases += t->kept[i].n;
	}
	/* every multiple of the stride below nblocks was kept */
	m->n_train = t->p.cm_match ? t->nprefix
				   : (t->nblocks + t->stride - 1) / t->stride;
	if (rc == 0 && t->p.cm_ref)
		rc = ref_strands(m, t->p.cm_ref, UINT32_MAX,
				 t->p.cm_train ? t->p.cm_train : REL_TRAIN,
				 &all, &m->ref_crc);
	if (rc == 0)
		rc = build_models(m, &all);
	gdb_buf_free(&all);
	if (rc == 0 && (m->feat & CM_FEAT_CHAIN))
		rc = build_chain(m, t);
	if (rc == 0)
		train_weights(m, t, codes);
	free(codes);
	if (rc < 0) {
		model_free(m);
		return rc;
	}
	put_blob(m, blob);
	*impl = m;
	return blob->err;
}

/* ---- the reader's model ---- */

/* The bytes after the orders: the match model's (version 2, and 3
 * where 0 is none) and the features (version 3); how many in *extra. */
static int blob_extras(const uint8_t *blob, size_t len, uint32_t nm,
		       uint32_t *k, uint32_t *feat, uint32_t *extra)
{
	*k = *feat = *extra = 0;
	if (blob[0] == BLOB_VERSION)
		return 0;
	*extra = blob[0] == BLOB_MATCH ? 1 : 2;
	if ((blob[0] != BLOB_MATCH && blob[0] != BLOB_MAPS) ||
	    len < BLOB_FIXED + nm + *extra)
		return GDB_CORRUPT("cm model version");
	*k = blob[BLOB_FIXED + nm];
	if (blob[0] == BLOB_MAPS)
		*feat = blob[BLOB_FIXED + nm + 1];
	if ((*k || blob[0] == BLOB_MATCH) &&
	    (nm >= CM_MAXM || *k < CM_MATCH_MIN || *k > CM_MATCH_MAX))
		return GDB_CORRUPT("cm model match length");
	if (*feat & ~FEAT_ALL)
		return GDB_CORRUPT("cm model features");
	/* a relative model's training blocks are the reference's: a match
	 * model into them, none of its own in a chain */
	if ((*feat & CM_FEAT_REL) && (!*k || (*feat & CM_FEAT_CHAIN)))
		return GDB_CORRUPT("cm model relative features");
	return 0;
}

static int parse_blob(const uint8_t *blob, size_t len, struct cm_model **out)
{
	uint32_t nm, bits, nsets, set = 0, k, feat, extra;
	struct cm_model *m;
	const uint8_t *w;

	if (len < BLOB_FIXED)
		return GDB_CORRUPT("cm model version");
	nm = blob[1];
	bits = blob[2];
	nsets = gdb_get_le32(blob + 20);
	if (nm == 0 || nm > CM_MAXM || len < BLOB_FIXED + nm)
		return GDB_CORRUPT("cm model orders");
	GDB_TRY(blob_extras(blob, len, nm, &k, &feat, &extra));
	for (uint32_t i = 0; i < nm; i++) {
		uint8_t o = blob[BLOB_FIXED + i];
		/* ascending, so each set has one spelling */
		if (o < 1 || o > MAX_ORDER ||
		    (i && o <= blob[BLOB_FIXED + i - 1]))
			return GDB_CORRUPT("cm model orders");
		set |= 1u << o;
	}
	w = blob + BLOB_FIXED + nm + extra;
	if (bits < 16 || bits > 26 ||
	    nsets != 3 * (nm + 1) * CM_CONF + (k ? CM_MSETS : 0) ||
	    len != (size_t)(w - blob) + (size_t)nsets * CM_NIN * 4 +
		       2 * CM_APM_SIZE + (k ? 2 * CM_MSIZE : 0) +
		       ((feat & CM_FEAT_MAPS) ? 2 * CM_IMAP_PTS(nm) : 0) +
		       ((feat & CM_FEAT_MIX2) ? MIX2_BYTES : 0) +
		       ((feat & CM_FEAT_REL) ? 4 : 0) ||
	    blob[3] == 0 || blob[3] > 64)
		return GDB_CORRUPT("cm model parameters");
	m = model_new(set, bits, k, feat);
	if (!m)
		return -ENOMEM;
	m->version = blob[0];
	m->lr = blob[3];
	m->n_train = gdb_get_le32(blob + 4);
	m->stride = gdb_get_le32(blob + 8);
	if (m->stride == 0 || (m->stride & (m->stride - 1)) ||
	    (m->rel && (m->stride != 1 || m->n_train == 0))) {
		model_free(m);
		return GDB_CORRUPT("cm model stride");
	}
	for (uint32_t i = 0; i < nsets * CM_NIN; i++, w += 4)
		m->w0[i] = (int32_t)gdb_get_le32(w);
	for (uint32_t i = 0; i < CM_APM_SIZE; i++, w += 2)
		m->apm0[i] = gdb_get_le16(w);
	for (uint32_t i = 0; k && i < CM_MSIZE; i++, w += 2)
		m->mp0[i] = gdb_get_le16(w);
	for (size_t i = 0; m->imap && i < CM_IMAP_PTS(nm); i++, w += 2)
		m->imap_pts[i] = gdb_get_le16(w);
	if (m->imap)
		imap_build(m);
	for (uint32_t i = 0; (feat & CM_FEAT_MIX2) && i < MIX2_W; i++, w += 4)
		m->w2_0[i] = (int32_t)gdb_get_le32(w);
	for (uint32_t i = 0; (feat & CM_FEAT_MIX2) && i < 3 * CM_MIXF_N;
	     i++, w += 4)
		m->wf0[i] = (int32_t)gdb_get_le32(w);
	if (m->rel)
		m->ref_crc = gdb_get_le32(w);
	*out = m;
	return 0;
}

/* The last training block a model names is one the store holds (so
 * n_train is bounded by the assembly before anything is sized by it). */
static int train_bound(const struct cm_model *m, gdb_codec_fetch fetch,
		       void *arg)
{
	uint64_t last = (uint64_t)(m->n_train - 1) * m->stride;
	const uint8_t *src;
	size_t len;

	if (m->n_train == 0)
		return 0;
	if (last > UINT32_MAX)
		return GDB_CORRUPT("cm model names training blocks past the "
				   "end");
	return fetch(arg, (uint32_t)last, &src, &len);
}

/* A chained model's training blocks (n_train bounded: train_bound):
 * each decoded in turn (and kept for reads of it), their strands into
 * all. */
static int load_chain(struct cm_model *m, uint64_t stored_bases,
		      gdb_codec_fetch fetch, void *arg, gdb_buf *all)
{
	uint8_t *codes = NULL;
	gdb_seqcm *s = NULL;
	int rc = 0;

	if (stored_bases < m->n_train ||
	    stored_bases > (uint64_t)m->n_train * GDB_DNA_BLOCK_BASES)
		rc = GDB_CORRUPT("cm model training bases");
	if (rc == 0)
		rc = (codes = malloc(GDB_DNA_BLOCK_BASES)) ? 0 : -ENOMEM;
	if (rc == 0)
		rc = gdb_seqcm_new(stored_bases, &s);

	if (rc == 0) {
		m->tbases = calloc(m->n_train, sizeof(*m->tbases));
		m->tlen = calloc(m->n_train, sizeof(*m->tlen));
		if (!m->tbases || !m->tlen)
			rc = -ENOMEM;
	}
	for (uint32_t j = 0; rc == 0 && j < m->n_train; j++) {
		const uint8_t *src;
		size_t slen;
		int n;
		char *b = malloc(GDB_DNA_BLOCK_BASES);
		m->tbases[j] = b;
		rc = b ? fetch(arg, j * m->stride, &src, &slen) : -ENOMEM;
		if (rc < 0)
			break;
		n = gdb_cmdna_chain_block(s, j, src, slen, b, codes);
		if (n < 0) {
			rc = n;
			break;
		}
		m->tlen[j] = (uint32_t)n;
		rc = strands_add(all, b, (uint32_t)n);
		m->train_bases += (uint64_t)n;
	}
	if (rc == 0 && m->train_bases != stored_bases)
		rc = GDB_CORRUPT("cm model training bases");
	gdb_seqcm_free(s);
	free(codes);
	return rc;
}

/* A relative model's strands: the reference's blocks it was built on,
 * the same bases (their CRC32C) or GDB_ECORRUPT. */
static int ref_load(struct cm_model *m, const gdb_codec_ref *ref, gdb_buf *all)
{
	uint32_t want = m->n_train, crc = 0;

	if (!ref)
		return GDB_CORRUPT("cm model needs its reference assembly");
	GDB_TRY(ref_strands(m, ref, want, UINT64_MAX, all, &crc));
	if (m->n_train != want)
		return GDB_CORRUPT("cm model names reference blocks past its "
				   "end");
	if (crc != m->ref_crc)
		return GDB_CORRUPT("cm model: the reference's bases are not "
				   "those it was built on");
	return 0;
}

int gdb_cmdna_model_load(const uint8_t *blob, size_t len, gdb_codec_fetch fetch,
			 void *arg, const gdb_codec_ref *ref, void **impl)
{
	struct cm_model *m = NULL;
	char *bases = malloc(GDB_DNA_BLOCK_BASES);
	gdb_buf all = {0};
	int rc = bases ? parse_blob(blob, len, &m) : -ENOMEM;

	if (rc == 0 && !m->rel)
		rc = train_bound(m, fetch, arg);
	if (rc == 0 && (m->feat & CM_FEAT_CHAIN))
		rc = load_chain(m, gdb_get_le64(blob + 12), fetch, arg, &all);
	else if (rc == 0 && m->rel)
		rc = ref_load(m, ref, &all);
	for (uint32_t j = 0;
	     rc == 0 && !(m->feat & (CM_FEAT_CHAIN | CM_FEAT_REL)) &&
	     j < m->n_train;
	     j++) {
		const uint8_t *src;
		size_t slen;
		int n;
		rc = fetch(arg, j * m->stride, &src, &slen);
		if (rc < 0)
			break;
		n = gdb_cmdna_plain_bases(src, slen, bases,
					  GDB_DNA_BLOCK_BASES);
		if (n < 0)
			rc = n;
		else
			rc = strands_add(&all, bases, (uint32_t)n);
		m->train_bases += n > 0 ? (uint64_t)n : 0;
	}
	if (rc == 0)
		rc = build_models(m, &all);
	gdb_buf_free(&all);
	free(bases);
	if (rc < 0) {
		model_free(m);
		return rc;
	}
	*impl = m;
	return 0;
}

void gdb_cmdna_model_free(void *impl)
{
	model_free(impl);
}

int gdb_cmdna_describe(const void *impl, char *buf, size_t cap)
{
	const struct cm_model *m = impl;
	size_t bytes = 0;

	for (uint32_t i = 0; i < m->nm; i++)
		bytes += table_slots(&m->t[i]) * sizeof(cm_slot);
	if (m->match_k)
		bytes +=
		    m->ref_len + sizeof(*m->mtab) * ((size_t)1 << m->mbits);
	if (m->match_k) {
		return snprintf(buf, cap,
				"%u models (orders %u-%u), 2^%u slots each at "
				"most (%zu MiB), trained on %sthe first %u "
				"blocks, match model (%u bases) into them",
				m->nm, m->order[0], m->order[m->nm - 1],
				m->table_bits, bytes >> 20,
				m->rel ? "the reference's blocks, " : "",
				m->n_train, m->match_k);
	}
	return snprintf(buf, cap,
			"%u models (orders %u-%u), 2^%u slots each at most "
			"(%zu MiB), trained on %u blocks (every %u-th, "
			"forward and reverse complement)%s%s%s",
			m->nm, m->order[0], m->order[m->nm - 1], m->table_bits,
			bytes >> 20, m->n_train, m->stride,
			(m->feat & CM_FEAT_MAPS) ? ", input maps" : "",
			(m->feat & CM_FEAT_MIX2) ? ", two mixers" : "",
			(m->feat & CM_FEAT_CHAIN) ? ", chained" : "");
}
