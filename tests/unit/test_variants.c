/*
 * tests/unit/test_variants.c - the genotype kernels of every SIMD level
 * against their scalar twin (random planes, all-ones, all-zeros, single
 * bits at word and vector edges, every length 0..300 and a few large
 * ones), and the PBWT genotype codec: random sites round-trip through
 * encode/decode with the planes matching the input bits; truncated and
 * altered run streams are refused, never read past their end.
 */
#define UNIT_SEED 0x7a7a11ull
#include "tests/unit/unit.h"

#include <string.h>

#include "simd/genotype.h"
#include "variants/variants_int.h"

static void fill(uint64_t *w, size_t n, int mode)
{
	for (size_t i = 0; i < n; i++)
		w[i] = mode == 0   ? rnd()
		       : mode == 1 ? ~(uint64_t)0
		       : mode == 2 ? 0
				   : (uint64_t)1 << (rnd() % 64);
}

static void check_counts(const gdb_gt_kernels *k, const char *lvl)
{
	const gdb_gt_kernels *s = gdb_gt_variant(GDB_SIMD_SCALAR);

	for (size_t nw = 0; nw < 80; nw++)
		for (int mode = 0; mode < 4; mode++) {
			size_t nm = 1 + rnd() % 30;
			uint64_t *p = xmalloc(8 * nw + 8),
				 *m = xmalloc(8 * nw * nm + 8);
			uint32_t a[32] = {0}, b[32] = {0};
			fill(p, nw, mode);
			fill(m, nw * nm, (mode + (int)nw) % 4);
			for (size_t i = 0; i < nm; i++)
				a[i] = b[i] = (uint32_t)i; /* accumulates */
			s->count_masks(p, m, nw, nm, a);
			k->count_masks(p, m, nw, nm, b);
			if (memcmp(a, b, sizeof(a)))
				FAIL("%s count_masks nwords %zu mode %d", lvl,
				     nw, mode);
			free(p);
			free(m);
		}
}

static void check_dosage(const gdb_gt_kernels *k, const char *lvl)
{
	const gdb_gt_kernels *s = gdb_gt_variant(GDB_SIMD_SCALAR);
	size_t sizes[] = {0,   1,   31,	 32,  33,   63,	  64,	 65,
			  127, 128, 129, 300, 2504, 5008, 100003};

	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++)
		for (int mode = 0; mode < 4; mode++) {
			size_t n = sizes[z], nw = n / 64 + 2;
			uint64_t *a = xmalloc(8 * nw), *b = xmalloc(8 * nw),
				 *m = xmalloc(8 * nw);
			int8_t *x = xmalloc(n + 64), *y = xmalloc(n + 64);
			fill(a, nw, mode);
			fill(b, nw, (mode + 1) % 4);
			fill(m, nw, (mode + 3) % 4);
			memset(x, 0x55, n + 64);
			memset(y, 0x55, n + 64);
			s->dosage(a, b, m, n, x);
			k->dosage(a, b, m, n, y);
			if (memcmp(x, y, n + 64))
				FAIL(
				    "%s dosage n %zu mode %d (or wrote past n)",
				    lvl, n, mode);
			for (size_t i = 0; i < n && mode == 2;
			     i++) /* m all ones */
				if (x[i] != -1)
					FAIL("scalar dosage: missing not -1");
			free(a), free(b), free(m), free(x), free(y);
		}
}

/* Random sites through the codec; decoded planes equal the bits. */
static void check_pbwt(uint32_t ns, uint32_t sites)
{
	vs_pbwt e, d;
	gdb_buf out = {0};
	uint8_t *bits = xmalloc(2 * ns * sites + 1);
	uint32_t W = ns / 64 + 2;
	uint64_t *pa = xmalloc(8 * W), *pb = xmalloc(8 * W);

	if (vs_pbwt_init(&e, ns) < 0 || vs_pbwt_init(&d, ns) < 0)
		FAIL("init");
	for (uint32_t t = 0; t < sites; t++) {
		uint32_t f = (uint32_t)(rnd() % 101); /* percent of ones */
		for (uint32_t h = 0; h < 2 * ns; h++)
			bits[t * 2 * ns + h] = (rnd() % 100) < f;
		if (t % 7 == 0) /* copy a previous site: long runs */
			memcpy(bits + t * 2 * ns, bits + (t / 2) * 2 * ns,
			       2 * ns);
		vs_pbwt_encode(&e, bits + t * 2 * ns, &out);
	}
	vs_rd r = {(const uint8_t *)out.p, (const uint8_t *)out.p + out.len, 0};
	for (uint32_t t = 0; t < sites; t++) {
		memset(pa, 0, 8 * W);
		memset(pb, 0, 8 * W);
		int64_t ones = vs_pbwt_decode(&d, &r, pa, pb, 0);
		int64_t want = 0;
		for (uint32_t h = 0; h < 2 * ns; h++) {
			int bit = (int)(((h & 1 ? pb : pa)[(h / 2) / 64] >>
					 ((h / 2) % 64)) &
					1);
			want += bits[t * 2 * ns + h];
			if (bit != bits[t * 2 * ns + h]) {
				FAIL("pbwt ns %u site %u slot %u", ns, t, h);
				break;
			}
		}
		if (ones != want)
			FAIL("pbwt ones %lld want %lld", (long long)ones,
			     (long long)want);
	}
	if (!vs_done(&r))
		FAIL("pbwt stream not consumed");
	/* every truncation is refused (or decodes fewer sites), never
	 * read past the end */
	for (size_t cut = 0; cut < out.len && cut < 200; cut++) {
		vs_pbwt q;
		vs_rd t = {(const uint8_t *)out.p, (const uint8_t *)out.p + cut,
			   0};
		int bad = 0;
		if (vs_pbwt_init(&q, ns) < 0)
			FAIL("init");
		for (uint32_t s = 0; s < sites && !bad; s++)
			bad = vs_pbwt_decode(&q, &t, pa, pb, 0) < 0;
		if (!bad)
			FAIL("truncated run stream (%zu of %zu) accepted", cut,
			     out.len);
		vs_pbwt_free(&q);
	}
	vs_pbwt_free(&e);
	vs_pbwt_free(&d);
	gdb_buf_free(&out);
	free(bits), free(pa), free(pb);
}

static void check_varints(void)
{
	int64_t vals[] = {0,  1,	 -1,	    63,	       -64,
			  64, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN};
	gdb_buf b = {0};

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		vs_put_sv(&b, vals[i]);
	vs_rd r = {(const uint8_t *)b.p, (const uint8_t *)b.p + b.len, 0};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		if (vs_sv(&r) != vals[i])
			FAIL("varint %zu", i);
	if (!vs_done(&r) || r.bad)
		FAIL("varint stream");
	vs_rd z = {
	    (const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
	    (const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
		11,
	    0};
	(void)vs_uv(&z);
	if (!z.bad)
		FAIL("an over-long varint was accepted");
	gdb_buf_free(&b);
}

int main(void)
{
	const char *names[] = {"scalar", "sse41", "avx2", "avx512"};

	for (int l = 0; l < GDB_SIMD_NLEVELS; l++) {
		const gdb_gt_kernels *k =
		    gdb_gt_variant((enum gdb_simd_level)l);
		if (!k) {
			printf("genotype kernels: %s not on this CPU\n",
			       names[l]);
			continue;
		}
		check_counts(k, names[l]);
		check_dosage(k, names[l]);
	}
	check_varints();
	check_pbwt(1, 50);
	check_pbwt(3, 200);
	check_pbwt(300, 300);
	check_pbwt(1024, 40);
	printf("test_variants: active %s, %d failures\n", gdb_gt()->name,
	       failures);
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
