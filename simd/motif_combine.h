/*
 * simd/motif_combine.h - the vector combine of the bit-parallel motif
 * scan (analysis_int.h, gdb_motif_combine_fn) as a template: a level file
 * defines the vector type and a few macros, includes this file, and gets
 * motif_combine_<SFX>(). Like align_striped.h it is included once per
 * instantiation, defines a function, and undefines its parameters.
 *
 * WORDS 64-bit words a vector, as many bitset words a step. The steps'
 * rows and shift counts are set up once per call; the first five steps
 * run over every word without a test, as most words are 0 after them
 * (the driver hands the most selective steps over first), and the words
 * still alive go on four steps at a time. The tail of fewer than WORDS
 * words goes to the scalar combine.
 *
 * Parameters:
 *   SFX    name suffix              TGT    target attribute
 *   V      vector type              WORDS  64-bit lanes a vector
 *   VLOADU(p)  unaligned load       VSTOREU(p, v)  unaligned store
 *   VAND VOR VXOR (a, b)            VSRL VSLL (v, __m128i count): 64-bit
 *   VANY(v)  nonzero when any bit of v is set
 */

#define MC_CAT2(a, b) a##b
#define MC_CAT(a, b) MC_CAT2(a, b)
#define MC_STEP MC_CAT(motif_step_, SFX)
#define MC_COMBINE MC_CAT(motif_combine_, SFX)

/* gdb_motif_word() of WORDS words at once; cr, cl the shift counts */
TGT static inline V MC_STEP(const uint64_t *x, const uint64_t *y, __m128i cr,
			    __m128i cl, size_t w)
{
	V a = VLOADU(x + w), b = VLOADU(x + w + 1);

	if (y) {
		a = VXOR(a, VLOADU(y + w));
		b = VXOR(b, VLOADU(y + w + 1));
	}
	return VOR(VSRL(a, cr), VSLL(b, cl));
}

TGT static void MC_COMBINE(const struct gdb_motif_step *st, unsigned m,
			   size_t nwords, uint64_t *out)
{
	const uint64_t *x[GDB_MOTIF_MAXLEN], *y[GDB_MOTIF_MAXLEN];
	__m128i cr[GDB_MOTIF_MAXLEN], cl[GDB_MOTIF_MAXLEN];
	const unsigned k0 = m < 5 ? m : 5;
	size_t w;
	unsigned j, e;

	for (j = 0; j < m; j++) {
		x[j] = st[j].x;
		y[j] = st[j].y;
		cr[j] = _mm_cvtsi32_si128((int)st[j].sh);
		cl[j] = _mm_cvtsi32_si128(64 - (int)st[j].sh);
	}
	for (w = 0; w + WORDS <= nwords; w += WORDS) {
		V r = MC_STEP(x[0], y[0], cr[0], cl[0], w);

		for (j = 1; j < k0; j++)
			r = VAND(r, MC_STEP(x[j], y[j], cr[j], cl[j], w));
		while (j < m && VANY(r))
			for (e = j + 4 < m ? j + 4 : m; j < e; j++)
				r = VAND(r,
					 MC_STEP(x[j], y[j], cr[j], cl[j], w));
		VSTOREU(out + w, r);
	}
	gdb_motif_combine_from(st, m, w, nwords, out);
}

#undef MC_CAT2
#undef MC_CAT
#undef MC_STEP
#undef MC_COMBINE
#undef SFX
#undef TGT
#undef V
#undef WORDS
#undef VLOADU
#undef VSTOREU
#undef VAND
#undef VOR
#undef VXOR
#undef VSRL
#undef VSLL
#undef VANY
