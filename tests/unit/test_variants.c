/*
 * tests/unit/test_variants.c - the genotype kernels of every SIMD level
 * against their scalar twin (random planes, all-ones, all-zeros, single
 * bits at word and vector edges, every length 0..300 and a few large
 * ones), and the PBWT genotype codec: random sites round-trip through
 * encode/decode with the planes matching the input bits; truncated and
 * altered run streams are refused, never read past their end; and the
 * records laid out as BCF (vs_enc_*, vs_put_gt8) against htslib's API,
 * their twin, and int8 GT from the planes (vs_cursor_gt8) against the
 * int32 values narrowed.
 */
#define UNIT_SEED 0x7a7a11ull
#include "tests/unit/unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/*
 * vs_cursor_gt8 (8 samples a step from the planes when every sample is
 * asked for) against its twin, vs_cursor_gt narrowed by vs_gt_narrow:
 * random planes of every site kind, lengths around the 8-sample steps
 * and the 64-bit words, with and without exceptions, all samples and a
 * subset; nothing written past the last sample.
 */
static void check_gt8(void)
{
	uint32_t sizes[] = {0, 1, 7, 8, 9, 15, 16, 63, 64, 65, 300, 2504};
	const uint8_t kinds[] = {GT_DIPLOID,
				 GT_DIPLOID | GT_PHASED,
				 GT_DIPLOID | GT_ZMISS,
				 GT_DIPLOID | GT_PHASED | GT_ZMISS,
				 GT_HAPLOID,
				 GT_HAPLOID | GT_ZMISS};

	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++)
		for (size_t k = 0; k < sizeof(kinds); k++)
			for (int mode = 0; mode < 6; mode++) {
				uint32_t n = sizes[z], W = n / 64 + 2;
				vs_cursor c;
				memset(&c, 0, sizeof(c));
				c.site.gt = kinds[k];
				c.pa = xmalloc(8 * W);
				c.pb = xmalloc(8 * W);
				fill(c.pa, W, mode % 4);
				fill(c.pb, W, (mode + 1) % 4);
				if ((kinds[k] & 3) == GT_HAPLOID)
					memset(c.pb, 0, 8 * W);
				uint32_t *slot = xmalloc(4 * 8 + 4);
				int32_t *val = xmalloc(4 * 8 + 4);
				for (uint32_t e = 0; mode >= 4 && n && e < 8;
				     e++) {
					slot[c.nexc] =
					    (uint32_t)(rnd() % (2 * n));
					val[c.nexc++] =
					    e % 3 == 0	 ? bcf_int32_missing
					    : e % 3 == 1 ? bcf_gt_unphased(2)
							 : bcf_gt_phased(3);
				}
				c.exc_slot = slot;
				c.exc_val = val;
				/* all samples, then the odd ones */
				for (int sub = 0; sub < 2; sub++) {
					uint32_t m = sub ? n / 2 : n;
					uint32_t *idx = xmalloc(4 * m + 4);
					int32_t *inv = xmalloc(4 * n + 4);
					int32_t *g32 = xmalloc(8 * m + 8);
					int8_t *x = xmalloc(2 * m + 16),
					       *y = xmalloc(2 * m + 16);
					for (uint32_t i = 0; i < n; i++)
						inv[i] =
						    sub && !(i & 1)
							? -1
							: (int32_t)(i /
								    (sub + 1));
					for (uint32_t i = 0; i < m; i++)
						idx[i] = sub ? 2 * i + 1 : i;
					memset(x, 0x55, 2 * m + 16);
					memset(y, 0x55, 2 * m + 16);
					vs_cursor_gt(&c, sub ? idx : NULL, m,
						     sub ? inv : NULL, g32);
					if (vs_gt_narrow(g32, 2 * (size_t)m,
							 x) ||
					    vs_cursor_gt8(&c, sub ? idx : NULL,
							  m, sub ? inv : NULL,
							  y))
						FAIL("gt8: not narrowed");
					if (memcmp(x, y, 2 * m + 16))
						FAIL(
						    "gt8: n %u kind %u mode %d "
						    "subset %d",
						    n, kinds[k], mode, sub);
					free(idx), free(inv), free(g32);
					free(x), free(y);
				}
				free(c.pa), free(c.pb), free(slot), free(val);
			}
}

/* A header with a few FILTER, INFO and FORMAT keys and n samples. */
static bcf_hdr_t *twin_header(uint32_t n)
{
	static const char *lines[] = {
	    "##contig=<ID=1>",
	    "##FILTER=<ID=q10,Description=\"q\">",
	    "##FILTER=<ID=s50,Description=\"s\">",
	    "##INFO=<ID=I1,Number=.,Type=Integer,Description=\"i\">",
	    "##INFO=<ID=F1,Number=.,Type=Float,Description=\"f\">",
	    "##INFO=<ID=S1,Number=1,Type=String,Description=\"s\">",
	    "##INFO=<ID=FL,Number=0,Type=Flag,Description=\"f\">",
	    "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"g\">",
	    "##FORMAT=<ID=XX,Number=1,Type=Integer,Description=\"x\">"};
	bcf_hdr_t *h = bcf_hdr_init("w");
	char name[16];

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		bcf_hdr_append(h, lines[i]);
	for (uint32_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "S%u", i);
		bcf_hdr_add_sample(h, name);
	}
	if (bcf_hdr_sync(h) < 0)
		FAIL("header");
	return h;
}

/* One random GT slot: mostly small alleles, phased or not; some missing,
 * vector_end (in the second slot), int32 missing and large alleles. */
static int32_t rnd_gt(int slot, int big)
{
	unsigned r = (unsigned)(rnd() % 100);

	if (slot && r < 8)
		return bcf_int32_vector_end;
	if (r < 14)
		return bcf_gt_missing;
	if (r < 16)
		return bcf_int32_missing;
	if (big && r < 18)
		return bcf_gt_unphased(62 + (int)(rnd() % 4)); /* 126..132 */
	return (int32_t)(((rnd() % 4) + 1) << 1 | (slot & rnd() & 1));
}

/* A record's bytes as htslib writes them: its VCF line into *vcf, and
 * an uncompressed BCF file of the header and it into *bcf. */
static void twin_bytes(const bcf_hdr_t *h, bcf1_t *r, kstring_t *vcf,
		       kstring_t *bcf)
{
	char tmpl[] = "/tmp/gdb-twin-XXXXXX";
	int fd = mkstemp(tmpl);
	htsFile *fp;
	off_t end;

	vcf->l = bcf->l = 0;
	if (fd < 0 || vcf_format(h, r, vcf) < 0)
		FAIL("twin: vcf_format");
	fp = hts_open(tmpl, "wbu");
	unlink(tmpl);
	if (!fp || bcf_hdr_write(fp, (bcf_hdr_t *)h) < 0 ||
	    bcf_write(fp, (bcf_hdr_t *)h, r) < 0 || hts_close(fp) < 0)
		FAIL("twin: bcf_write");
	end = lseek(fd, 0, SEEK_END);
	if (end <= 0 || ks_resize(bcf, (size_t)end + 1) < 0 ||
	    pread(fd, bcf->s, (size_t)end, 0) != end)
		FAIL("twin: read back");
	bcf->l = (size_t)end;
	close(fd);
}

/* Random INFO values of one record, written both ways. */
static void twin_info(const bcf_hdr_t *h, bcf1_t *x, bcf1_t *y)
{
	static const char *keys[] = {"FL", "I1", "F1", "S1"};
	int32_t iv[8];
	float fv[8];
	char sv[16];

	for (int k = 0; k < 4; k++) {
		uint32_t n = (uint32_t)(rnd() % 4);
		int id = bcf_hdr_id2int(h, BCF_DT_ID, keys[k]), t = k;
		void *v = k == 1 ? (void *)iv : k == 2 ? (void *)fv : sv;
		if (rnd() % 3 == 0)
			continue;
		for (uint32_t i = 0; i < n; i++) {
			iv[i] = rnd() % 5 ? (int32_t)(rnd() % 300) - 150
					  : (int32_t)(rnd() % 100000);
			fv[i] = (float)(rnd() % 100000) / 997.0f;
		}
		if (rnd() % 7 == 0)
			iv[0] = bcf_int32_missing;
		snprintf(sv, sizeof(sv), "%.*s", (int)n, "abcdefgh");
		if (k == 0)
			n = 0;
		if (vs_enc_info(y, id, t, v, n) < 0 ||
		    bcf_update_info(h, x, keys[k], k ? v : NULL, k ? (int)n : 1,
				    k == 0   ? BCF_HT_FLAG
				    : k == 1 ? BCF_HT_INT
				    : k == 2 ? BCF_HT_REAL
					     : BCF_HT_STR) < 0)
			FAIL("twin: INFO %s", keys[k]);
	}
}

/* GT of n samples written both ways; 1 if vs_put_gt8 left it to htslib. */
static int twin_gt(const bcf_hdr_t *h, bcf1_t *x, bcf1_t *y, uint32_t n,
		   int big)
{
	int P = 1 + (int)(rnd() % 2), rc;
	int32_t *g = xmalloc(sizeof(int32_t) * 2 * n), one[300];
	int8_t g8[600];

	for (uint32_t i = 0; i < n * (uint32_t)P; i++)
		g[i] = rnd_gt(P == 2 && (i & 1), big);
	if (bcf_update_genotypes(h, x, g, (int)n * P) < 0)
		FAIL("twin: htslib refused GT");
	rc = vs_gt_narrow(g, n * (size_t)P, g8);
	if (rc == 0)
		rc = vs_put_gt8(h, y, g8, n, P);
	if (rc == 1 && bcf_update_genotypes(h, y, g, (int)n * P) < 0)
		FAIL("twin: GT");
	bcf_unpack(x, BCF_UN_FMT);
	if (rc != (x->d.fmt[0].type != BCF_BT_INT8 || n * (uint32_t)P == 1))
		FAIL("gt8: %d for type %d, %u x %d", rc, x->d.fmt[0].type, n,
		     P);
	for (uint32_t i = 0; i < n; i++)
		one[i] = (int32_t)i;
	/* a second FORMAT field, added by htslib after it */
	if (rnd() % 2 &&
	    (bcf_update_format_int32(h, x, "XX", one, (int)n) < 0 ||
	     bcf_update_format_int32(h, y, "XX", one, (int)n) < 0))
		FAIL("twin: XX");
	free(g);
	return rc;
}

/*
 * vs_enc_head, vs_enc_info, vs_gt_narrow and vs_put_gt8 against their
 * twin, htslib's
 * API (bcf_update_* then bcf1_sync): random records give the same VCF
 * line and the same BCF bytes; and vs_put_gt8 leaves GT to htslib
 * exactly when htslib does not use int8 (or writes one value alone).
 */
static void check_twins(void)
{
	kstring_t a = {0, 0, NULL}, b = {0, 0, NULL}, c = {0, 0, NULL},
		  d = {0, 0, NULL};
	char a0[] = "ACGT", a1[] = "A", a2[] = "<DEL>", a3[] = "N[1:123[";
	char *alleles[] = {a0, a1, a2, a3};
	int gt8 = 0;

	for (int t = 0; t < 400; t++) {
		uint32_t n = 1 + (uint32_t)(rnd() % (t < 200 ? 5 : 300));
		bcf_hdr_t *h = twin_header(n);
		bcf1_t *x = bcf_init(), *y = bcf_init();
		const char *id = t % 3 ? "rs12" : ".";
		uint32_t na = 1 + (uint32_t)(rnd() % 4), nf = t % 3;
		int32_t flt[2] = {bcf_hdr_id2int(h, BCF_DT_ID, "q10"),
				  bcf_hdr_id2int(h, BCF_DT_ID, "s50")};
		x->pos = y->pos = 1000 + t;
		x->n_sample = y->n_sample = n;
		if (vs_enc_head(y, id, alleles, na, flt, nf) < 0 ||
		    bcf_update_id(h, x, id) < 0 ||
		    bcf_update_alleles(h, x, (const char **)alleles, (int)na) <
			0 ||
		    (nf && bcf_update_filter(h, x, flt, (int)nf) < 0))
			FAIL("twin: head");
		twin_info(h, x, y);
		if (t % 10)
			gt8 += twin_gt(h, x, y, n, t % 5 == 0) == 0;
		x->rlen = y->rlen = 4;
		twin_bytes(h, x, &a, &b);
		twin_bytes(h, y, &c, &d);
		if (a.l != c.l || memcmp(a.s, c.s, a.l))
			FAIL("twin: VCF lines differ:\n%s%s", a.s, c.s);
		if (b.l != d.l || memcmp(b.s, d.s, b.l))
			FAIL("twin: BCF bytes differ (%zu, %zu)", b.l, d.l);
		bcf_destroy(x);
		bcf_destroy(y);
		bcf_hdr_destroy(h);
	}
	if (gt8 < 100)
		FAIL("twin: int8 GT only %d times", gt8);
	free(a.s), free(b.s), free(c.s), free(d.s);
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
	check_gt8();
	check_twins();
	check_pbwt(1, 50);
	check_pbwt(3, 200);
	check_pbwt(300, 300);
	check_pbwt(1024, 40);
	printf("test_variants: active %s, %d failures\n", gdb_gt()->name,
	       failures);
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
