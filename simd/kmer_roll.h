/*
 * simd/kmer_roll.h - the vector roll: 2-bit codes to the hashes of the
 * valid k-mers ending at them, eight positions at a time, as a template
 * (as kmer_part.h is): a level file defines the parameters, includes
 * this file, and gets kmer_roll_<SFX>(), a gdb_kmer_roll_fn.
 *
 * The scalar twin rolls one base at a time: fw and rc each depend on the
 * last, and an N resets a length. Here the k-mers ending at the next
 * eight positions are all functions of the k-mer before them and of the
 * eight codes, packed into 16 bits (F: the first code in the highest
 * bits, Q: the complements, the first code in the lowest bits):
 *   fw_j = (fw << 2n | F >> (16 - 2n)) & mask               (n = j + 1)
 *   rc_j = rc >> 2n | (Q & (4^n - 1)) << (2k - 2n)            (n <= k)
 *        = (Q & (4^n - 1)) >> (2n - 2k)                       (n > k)
 * so a level computes the eight k-mers, their canonical choice and their
 * hashes side by side, and the chain from one group to the next is three
 * scalar operations. Validity is a bit mask a 64-position block: bit p
 * set when none of the k codes ending at p is invalid (the invalid ones
 * OR-ed over k shifts) and the run of valid codes before the block,
 * capped at k - 1, covers the k-mer's start. The hashes of the valid
 * k-mers go out in order, compressed by that mask.
 *
 * Parameters:
 *   SFX  name suffix       TGT  target attribute
 *   KR_CONST               the level's constants (a struct type)
 *   KR_PREP(c, st)         fill *c for the roll state *st (k, canon)
 *   KR_GROUP(c, fw, rc, F, Q, v8, out)  the hashes of the eight k-mers
 *                          whose bits are set in v8, stored in order at
 *                          out (which has room for eight); returns
 *                          how many (popcount of v8)
 */
#define KR_CAT2(a, b) a##b
#define KR_CAT(a, b) KR_CAT2(a, b)

TGT static size_t KR_CAT(kmer_roll_, SFX)(struct gdb_kmer_roll *st,
					  const uint8_t *codes, size_t m,
					  uint64_t *h)
{
	const unsigned k = st->k;
	const uint64_t mask = st->mask;
	uint64_t fw = st->fw, rc = st->rc, *o = h;
	unsigned run = st->run;
	KR_CONST c;

	KR_PREP(&c, st);
	for (size_t b = 0; b < m; b += 64) {
		const size_t mb = m - b < 64 ? m - b : 64;
		const uint64_t inv = gdb_kmer_invalid(codes + b, mb);
		const uint64_t valid =
		    ~gdb_kmer_smear(inv, k) & (~0ull << (k - 1 - run));
		size_t g;

		for (g = 0; g + 8 <= mb; g += 8) {
			uint64_t x, F, Q;

			memcpy(&x, codes + b + g, 8);
			x &= 0x0303030303030303ull;
			Q = gdb_kmer_pack8(x) ^ 0xffff;
			F = gdb_kmer_pack8(__builtin_bswap64(x));
			o += KR_GROUP(&c, fw, rc, F, Q,
				      (unsigned)(valid >> g) & 0xff, o);
			fw = (fw << 16 | F) & mask;
			rc = k >= 8 ? rc >> 16 | Q << (2 * k - 16)
				    : Q >> (16 - 2 * k);
		}
		for (; g < mb; g++) {
			const uint64_t b2 = codes[b + g] & 3;

			fw = (fw << 2 | b2) & mask;
			rc = rc >> 2 | (3 - b2) << (2 * k - 2);
			*o = gdb_kmer_hash(st->canon && rc < fw ? rc : fw);
			o += (valid >> g) & 1;
		}
		run = gdb_kmer_run(inv, mb, run, k);
	}
	st->fw = fw;
	st->rc = rc;
	st->run = run;
	return (size_t)(o - h);
}

#undef KR_CAT
#undef KR_CAT2
#undef SFX
#undef TGT
#undef KR_CONST
#undef KR_PREP
#undef KR_GROUP
