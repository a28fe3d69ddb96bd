/*
 * variants/gtcodec.c - the genotype codec: one sample group's
 * non-reference bits per site, as run lengths in positional-BWT order
 * (Durbin 2014). Haplotype slots (two per sample) are kept sorted by
 * their reversed history, so slots that share a haplotype sit next to
 * each other and a site's bits form a few long runs. Both sides keep the
 * same order: after each site it is stably partitioned, slots with a 0
 * first. Layout: docs/FORMAT.md, "Genotype runs".
 *
 * Decoding costs O(runs) to read, O(minority slots) to set plane bits
 * (the majority value is filled word-wise) and one pass of block moves
 * over the part of the order after the first run of ones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "variants/variants_int.h"

int vs_pbwt_init(vs_pbwt *p, uint32_t nsamples)
{
	p->H = 2 * nsamples;
	p->a = malloc(sizeof(uint16_t) * (p->H ? p->H : 1));
	p->tmp = malloc(sizeof(uint16_t) * (p->H ? p->H : 1));
	p->runs = malloc(sizeof(uint32_t) * (p->H + 1));
	if (!p->a || !p->tmp || !p->runs) {
		vs_pbwt_free(p);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < p->H; i++)
		p->a[i] = (uint16_t)i;
	return 0;
}

void vs_pbwt_free(vs_pbwt *p)
{
	free(p->a);
	free(p->tmp);
	free(p->runs);
	p->a = p->tmp = NULL;
	p->runs = NULL;
}

void vs_pbwt_encode(vs_pbwt *p, const uint8_t *bits, gdb_buf *out)
{
	uint32_t run = 0, nz = 0, no = 0;
	uint8_t cur = 0;

	for (uint32_t i = 0; i < p->H; i++) {
		uint16_t h = p->a[i];
		uint8_t b = bits[h] & 1;
		if (b != cur) {
			vs_put_uv(out, run);
			cur = b;
			run = 0;
		}
		run++;
		if (b)
			p->tmp[no++] = h;
		else
			p->a[nz++] = h; /* nz <= i: never overtakes the read */
	}
	vs_put_uv(out, run);
	memcpy(p->a + nz, p->tmp, sizeof(uint16_t) * no);
}

static inline void setbit(uint64_t *w, uint32_t i)
{
	w[i >> 6] |= (uint64_t)1 << (i & 63);
}

static inline void clrbit(uint64_t *w, uint32_t i)
{
	w[i >> 6] &= ~((uint64_t)1 << (i & 63));
}

/* Bits [off, off + n) of w set. */
static void setrange(uint64_t *w, uint32_t off, uint32_t n)
{
	uint32_t i = off, e = off + n;

	while (i < e && (i & 63))
		setbit(w, i++);
	for (; i + 64 <= e; i += 64)
		w[i >> 6] = ~(uint64_t)0;
	while (i < e)
		setbit(w, i++);
}

/* Mark the slots a[from, from + len) in the planes (set or clear). */
static void mark(const uint16_t *a, uint32_t from, uint32_t len, uint64_t *pa,
		 uint64_t *pb, uint32_t off, int set)
{
	for (uint32_t k = from; k < from + len; k++) {
		uint32_t h = a[k];
		uint64_t *w = (h & 1) ? pb : pa;
		if (set)
			setbit(w, off + (h >> 1));
		else
			clrbit(w, off + (h >> 1));
	}
}

int64_t vs_pbwt_decode(vs_pbwt *p, vs_rd *r, uint64_t *pa, uint64_t *pb,
		       uint32_t off)
{
	uint32_t H = p->H, *runs = p->runs, nr = 0, ones = 0, i, cur;
	uint64_t sum = 0;

	if (H == 0) {
		/* an empty group writes one empty run */
		uint64_t l = vs_uv(r);
		return (r->bad || l) ? -1 : 0;
	}
	/* At most H + 1 runs: the first may be empty, the others not. */
	while (sum < H) {
		uint64_t l = vs_uv(r);
		if (r->bad || (nr > 0 && l == 0) || l > H - sum)
			return -1;
		runs[nr] = (uint32_t)l;
		if (nr & 1)
			ones += (uint32_t)l;
		sum += l;
		nr++;
	}
	/* Planes: set the minority, or fill all and clear the minority. */
	if (ones > H / 2) {
		setrange(pa, off, H / 2);
		setrange(pb, off, H / 2);
	}
	for (i = 0, cur = 0; i < nr; cur += runs[i], i++)
		if ((i & 1) == (ones <= H / 2))
			mark(p->a, cur, runs[i], pa, pb, off, ones <= H / 2);
	/* Order: zero runs in place (compacted), one runs appended. */
	{
		uint32_t z = runs[0], o = 0;
		for (i = 1, cur = runs[0]; i < nr; cur += runs[i], i++) {
			if (i & 1) {
				memcpy(p->tmp + o, p->a + cur,
				       sizeof(uint16_t) * runs[i]);
				o += runs[i];
			} else {
				memmove(p->a + z, p->a + cur,
					sizeof(uint16_t) * runs[i]);
				z += runs[i];
			}
		}
		memcpy(p->a + z, p->tmp, sizeof(uint16_t) * o);
	}
	return ones;
}
