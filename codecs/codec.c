/*
 * codecs/codec.c - the one interface over the three codecs (codecs.h):
 * names, defaults, the encoder object, model loading and decoding by
 * codec id; and the pieces the entropy codecs share (stretch and rate
 * tables, varints, run lists).
 *
 * A block's codec is the assembly's (recorded once in the store), so a
 * block carries no codec tag of its own beyond what its format says.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/codecs_int.h"

/* ---- shared tables ---- */

int16_t gdb_cm_stretch_tab[4096];
uint16_t gdb_cm_rate_tab[1024];

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* stretch is the exact inverse of the integer squash: the smallest x
 * whose squash reaches p, so both sides of a coder agree by construction
 * (no libm in the computation). */
static void tables_fill(void)
{
	int pi = 0;

	for (int x = -2047; x <= 2047; x++) {
		int v = cm_squash(x);
		for (int j = pi; j <= v; j++)
			gdb_cm_stretch_tab[j] = (int16_t)x;
		pi = v + 1;
	}
	for (int j = pi; j < 4096; j++)
		gdb_cm_stretch_tab[j] = 2047;
	for (int n = 0; n < 1024; n++)
		gdb_cm_rate_tab[n] = (uint16_t)(131072 / (2 * n + 3));
}

void gdb_cm_tables_init(void)
{
	pthread_once(&tables_once, tables_fill);
}

/* ---- run lists ---- */

void gdb_cm_runs_free(cm_runs *r)
{
	free(r->start);
	free(r->len);
	free(r->letter);
	memset(r, 0, sizeof(*r));
}

int gdb_cm_runs_add(cm_runs *r, uint32_t start, uint32_t len, uint8_t letter)
{
	if (r->n == r->cap) {
		uint32_t cap = r->cap ? r->cap * 2 : 64;
		uint32_t *s = realloc(r->start, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		r->start = s;
		s = realloc(r->len, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		r->len = s;
		uint8_t *l = realloc(r->letter, cap);
		if (!l)
			return -ENOMEM;
		r->letter = l;
		r->cap = cap;
	}
	r->start[r->n] = start;
	r->len[r->n] = len;
	r->letter[r->n] = letter;
	r->n++;
	return 0;
}

void gdb_cm_runs_put(gdb_buf *b, const cm_runs *r, int with_letter)
{
	uint32_t end = 0;

	gdb_put_varint(b, r->n);
	for (uint32_t i = 0; i < r->n; i++) {
		gdb_put_varint(b, r->start[i] - end);
		gdb_put_varint(b, r->len[i] - 1);
		if (with_letter)
			gdb_buf_add(b, &r->letter[i], 1);
		end = r->start[i] + r->len[i];
	}
}

int gdb_cm_runs_get(const uint8_t **p, const uint8_t *end, uint32_t nbases,
		    int with_letter, int (*ok)(int), cm_runs *r)
{
	uint64_t n, gap, len;
	uint32_t at = 0;

	if (gdb_get_varint(p, end, &n) < 0 || n > nbases)
		return GDB_CORRUPT("run count out of range");
	for (uint64_t i = 0; i < n; i++) {
		uint8_t letter = 0;
		if (gdb_get_varint(p, end, &gap) < 0 ||
		    gdb_get_varint(p, end, &len) < 0 || gap > nbases - at ||
		    len >= nbases - at - gap)
			return GDB_CORRUPT("run out of range");
		if (with_letter) {
			if (*p >= end || !ok(**p))
				return GDB_CORRUPT("run letter");
			letter = *(*p)++;
			/* runs of one letter that touch are one run */
			if (i && gap == 0 && letter == r->letter[r->n - 1])
				return GDB_CORRUPT("runs not merged");
		} else if (i && gap == 0) {
			return GDB_CORRUPT("runs not maximal");
		}
		GDB_TRY(gdb_cm_runs_add(r, at + (uint32_t)gap,
					(uint32_t)len + 1, letter));
		at += (uint32_t)(gap + len + 1);
	}
	return 0;
}

int gdb_cm_runs_lower(const char *bases, uint32_t n, cm_runs *r)
{
	uint32_t i = 0, j;

	while (i < n) {
		if (bases[i] < 'a' || bases[i] > 'z') {
			i++;
			continue;
		}
		for (j = i + 1; j < n && bases[j] >= 'a' && bases[j] <= 'z';
		     j++)
			;
		GDB_TRY(gdb_cm_runs_add(r, i, j - i, 0));
		i = j;
	}
	return 0;
}

void gdb_cm_runs_apply_lower(const cm_runs *r, uint32_t from, uint32_t to,
			     char *dst)
{
	for (uint32_t i = 0; i < r->n; i++) {
		uint32_t a = r->start[i], b = a + r->len[i];
		if (b <= from || a >= to)
			continue;
		a = a > from ? a : from;
		b = b < to ? b : to;
		for (uint32_t k = a; k < b; k++)
			dst[k - from] |= 0x20;
	}
}

/* ---- names and defaults ---- */

const char *gdb_codec_name(uint32_t codec)
{
	switch (codec) {
	case GDB_CODEC_2BIT:
		return "2bit";
	case GDB_CODEC_PROTEIN:
		return "protein";
	case GDB_CODEC_CM:
		return "cm";
	default:
		return "?";
	}
}

int gdb_codec_parse(const char *name)
{
	for (uint32_t c = GDB_CODEC_2BIT; c <= GDB_CODEC_CM; c++)
		if (!strcmp(name, gdb_codec_name(c)))
			return (int)c;
	return -EINVAL;
}

uint32_t gdb_codec_default(uint32_t alphabet)
{
	return alphabet == GDB_ALPHA_PROTEIN ? GDB_CODEC_PROTEIN
					     : GDB_CODEC_2BIT;
}

int gdb_codec_supports(uint32_t codec, uint32_t alphabet)
{
	if (alphabet < GDB_ALPHA_DNA || alphabet > GDB_ALPHA_PROTEIN)
		return 0;
	if (codec == GDB_CODEC_PROTEIN)
		return alphabet == GDB_ALPHA_PROTEIN;
	if (codec == GDB_CODEC_2BIT || codec == GDB_CODEC_CM)
		return alphabet != GDB_ALPHA_PROTEIN;
	return 0;
}

uint32_t gdb_codec_block_bases(const gdb_codec_params *p)
{
	if (p->block_bases)
		return p->block_bases;
	switch (p->codec) {
	case GDB_CODEC_PROTEIN:
		return 16384;
	case GDB_CODEC_CM:
		/* restart points, not small blocks, bound a read's work: a
		 * block costs 16 bytes of index and a header, a restart 3 */
		return GDB_DNA_BLOCK_BASES;
	default:
		return GDB_DNA_BLOCK_BASES;
	}
}

/* ---- encoder ---- */

struct gdb_codec_enc {
	gdb_codec_params p;
	void *train; /* the codec's trainer until train_done */
	void *model; /* the model blocks are coded with */
	uint32_t bb;
};

int gdb_codec_enc_new(const gdb_codec_params *p, gdb_codec_enc **out)
{
	gdb_codec_enc *e;
	int rc = 0;

	gdb_cm_tables_init();
	if (!gdb_codec_supports(p->codec, p->alphabet) ||
	    gdb_codec_block_bases(p) > GDB_DNA_BLOCK_BASES)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->p = *p;
	e->bb = gdb_codec_block_bases(p);
	if (p->codec == GDB_CODEC_PROTEIN)
		rc = gdb_protein_train_new(&e->train);
	else if (p->codec == GDB_CODEC_CM)
		rc = gdb_cmdna_train_new(p, &e->train);
	if (rc < 0) {
		free(e);
		return rc;
	}
	*out = e;
	return 0;
}

void gdb_codec_enc_free(gdb_codec_enc *e)
{
	if (!e)
		return;
	if (e->p.codec == GDB_CODEC_PROTEIN) {
		gdb_protein_train_free(e->train);
		gdb_protein_model_free(e->model);
	} else if (e->p.codec == GDB_CODEC_CM) {
		gdb_cmdna_train_free(e->train);
		gdb_cmdna_model_free(e->model);
	}
	free(e);
}

int gdb_codec_enc_wants_training(const gdb_codec_enc *e)
{
	return e->p.codec != GDB_CODEC_2BIT;
}

int gdb_codec_enc_train(gdb_codec_enc *e, uint32_t block, const char *bases,
			uint32_t n)
{
	if (!e->train || n == 0 || n > e->bb)
		return -EINVAL;
	if (e->p.codec == GDB_CODEC_PROTEIN)
		return gdb_protein_train(e->train, bases, n);
	return gdb_cmdna_train(e->train, block, bases, n);
}

int gdb_codec_enc_train_done(gdb_codec_enc *e, gdb_buf *blob)
{
	int rc = 0;

	blob->len = 0;
	if (e->p.codec == GDB_CODEC_2BIT)
		return 0;
	if (!e->train)
		return -EINVAL;
	if (e->p.codec == GDB_CODEC_PROTEIN) {
		rc = gdb_protein_model_blob(e->train, blob);
		if (rc == 0)
			rc = gdb_protein_model_load((const uint8_t *)blob->p,
						    blob->len, &e->model);
		gdb_protein_train_free(e->train);
	} else {
		rc = gdb_cmdna_model_blob(e->train, blob, &e->model);
		gdb_cmdna_train_free(e->train);
	}
	e->train = NULL;
	if (rc == 0 && blob->err)
		rc = blob->err;
	return rc;
}

int gdb_codec_enc_block(gdb_codec_enc *e, uint32_t block, const char *bases,
			uint32_t n, gdb_buf *out, uint32_t *badpos)
{
	int len;
	uint8_t *dst;
	size_t cap;

	out->len = 0;
	if (n == 0 || n > e->bb)
		return -EINVAL;
	switch (e->p.codec) {
	case GDB_CODEC_2BIT:
		cap = gdb_codecs_dna_bound(n);
		dst = gdb_buf_room(out, cap);
		if (!dst)
			return out->err;
		len = e->p.alphabet == GDB_ALPHA_RNA
			  ? gdb_codecs_rna_encode(bases, n, e->p.zstd_level,
						  dst, cap, badpos)
			  : gdb_codecs_dna_encode(bases, n, e->p.zstd_level,
						  dst, cap, badpos);
		if (len < 0)
			return len;
		out->len = (size_t)len;
		return 0;
	case GDB_CODEC_PROTEIN:
		if (!e->model)
			return -EINVAL;
		return gdb_protein_encode(e->model, bases, n, out, badpos);
	case GDB_CODEC_CM:
		if (!e->model)
			return -EINVAL;
		return gdb_cmdna_encode(e->model, block, bases, n,
					e->p.alphabet == GDB_ALPHA_RNA,
					e->p.cm_restart, out, badpos);
	default:
		return -EINVAL;
	}
}

/* ---- models and decoding ---- */

int gdb_codec_model_load(uint32_t codec, uint32_t alphabet, const uint8_t *blob,
			 size_t len, gdb_codec_fetch fetch, void *arg,
			 gdb_codec_model **out)
{
	return gdb_codec_model_load_ref(codec, alphabet, blob, len, fetch, arg,
					NULL, out);
}

int gdb_codec_model_load_ref(uint32_t codec, uint32_t alphabet,
			     const uint8_t *blob, size_t len,
			     gdb_codec_fetch fetch, void *arg,
			     const gdb_codec_ref *ref, gdb_codec_model **out)
{
	gdb_codec_model *m;
	int rc = 0;

	gdb_cm_tables_init();
	if (!gdb_codec_supports(codec, alphabet))
		return GDB_EVERSION;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->codec = codec;
	m->alphabet = alphabet;
	if (codec == GDB_CODEC_2BIT) {
		if (len)
			rc = GDB_CORRUPT("a 2bit assembly has no model");
	} else if (codec == GDB_CODEC_PROTEIN) {
		rc = gdb_protein_model_load(blob, len, &m->impl);
	} else {
		rc = gdb_cmdna_model_load(blob, len, fetch, arg, ref, &m->impl);
	}
	if (rc < 0) {
		free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void gdb_codec_model_free(gdb_codec_model *m)
{
	if (!m)
		return;
	if (m->codec == GDB_CODEC_PROTEIN)
		gdb_protein_model_free(m->impl);
	else if (m->codec == GDB_CODEC_CM)
		gdb_cmdna_model_free(m->impl);
	free(m);
}

int gdb_codec_nbases(const gdb_codec_model *m, const uint8_t *src, size_t len)
{
	switch (m->codec) {
	case GDB_CODEC_2BIT:
		return gdb_codecs_dna_nbases(src, len);
	case GDB_CODEC_PROTEIN:
		return gdb_protein_nbases(src, len);
	default:
		return gdb_cmdna_nbases(src, len);
	}
}

int gdb_codec_decode(const gdb_codec_model *m, const uint8_t *src, size_t len,
		     uint32_t from, uint32_t to, char *dst, size_t dstcap)
{
	int n = gdb_codec_nbases(m, src, len);

	if (n < 0)
		return n;
	if (from >= to || to > (uint32_t)n)
		return -EINVAL;
	if (dstcap < to - from)
		return -ENOBUFS;
	switch (m->codec) {
	case GDB_CODEC_2BIT:
		/* flags bit 2: an RNA block (docs/FORMAT.md "Flags") */
		if ((m->alphabet == GDB_ALPHA_RNA) != !!(src[4] & 4))
			return GDB_CORRUPT("2bit block of the other alphabet");
		return gdb_codecs_dna_decode_range(src, len, from, to, dst,
						   dstcap);
	case GDB_CODEC_PROTEIN:
		return gdb_protein_decode(m->impl, src, len, from, to, dst);
	default:
		return gdb_cmdna_decode(m->impl, src, len, from, to, dst);
	}
}

void gdb_codec_describe(const gdb_codec_model *m, char *buf, size_t cap)
{
	char more[160] = "";

	if (m->codec == GDB_CODEC_PROTEIN)
		gdb_protein_describe(m->impl, more, sizeof(more));
	else if (m->codec == GDB_CODEC_CM)
		gdb_cmdna_describe(m->impl, more, sizeof(more));
	else
		snprintf(more, sizeof(more),
			 "2 bits a base, N/IUPAC and soft-mask runs");
	/* "protein, alphabet protein" said once */
	if (!strcmp(gdb_codec_name(m->codec), gdb_alphabet_name(m->alphabet)))
		snprintf(buf, cap, "%s: %s", gdb_codec_name(m->codec), more);
	else
		snprintf(buf, cap, "%s, alphabet %s: %s",
			 gdb_codec_name(m->codec),
			 gdb_alphabet_name(m->alphabet), more);
}
