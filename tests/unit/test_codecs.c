/*
 * tests/unit/test_codecs.c - the DNA block codec against the format spec
 * (docs/FORMAT.md, "DNA block") and against hostile input.
 *
 *  - Round trips, byte for byte, of random blocks mixing ACGT, lowercase
 *    runs, N runs, single IUPAC letters and U, with specials on the first
 *    and last base; every size 1..300 plus 65535 and 65536; all-N,
 *    all-lowercase and alternating-case blocks; zstd levels 0 and 3.
 *  - At level 0 the block must equal what a naive encoder written from the
 *    spec produces; at any level, encoding twice gives the same bytes.
 *  - Invalid letters: GDB_EFORMAT at the first bad position.
 *  - Corruption: every single-byte flip of several blocks, every
 *    truncation, appended bytes and random garbage must give GDB_ECORRUPT
 *    or a valid decode; a flipped block that still decodes must be the
 *    canonical encoding of what it decodes to (the reader ignores only the
 *    2-bit codes under exception runs).
 * Buffers are exact-size heap blocks so AddressSanitizer sees overruns.
 *
 * Exit status: 0 pass, 1 fail (the first failures are printed).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/codecs.h"
#include "simd/simd.h"

#define UNIT_SEED 0x243f6a8885a308d3ull
#include "tests/unit/unit.h"

#define MAXB GDB_DNA_BLOCK_BASES

static long corrupt_logs;

/* Corruption reports are expected by the thousand here: count them. */
static void quiet_sink(enum gdb_log_level level, const char *line)
{
	(void)level;
	(void)line;
	corrupt_logs++;
}

static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

static int is_upper_acgt(char c)
{
	return c == 'A' || c == 'C' || c == 'G' || c == 'T';
}

static char up(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
}

/*
 * The spec, written as plainly as possible: exception runs are maximal
 * runs of one uppercased non-ACGT letter, lowercase runs are maximal runs
 * of lowercase letters, the packed area is present unless exceptions
 * cover everything. No zstd.
 */
static size_t ref_encode(const char *b, uint32_t n, uint8_t *out)
{
	uint32_t i, j, n_exc = 0, n_lower = 0, covered = 0;
	size_t off = 20, raw = (n + 3) / 4;

	for (i = 0; i < n; i = j) {
		char u = up(b[i]);

		for (j = i + 1; j < n && up(b[j]) == u; j++)
			;
		if (is_upper_acgt(u))
			continue;
		gdb_put_le32(out + off, i);
		gdb_put_le32(out + off + 4, j - i);
		out[off + 8] = (uint8_t)u;
		out[off + 9] = out[off + 10] = out[off + 11] = 0;
		off += 12;
		n_exc++;
		covered += j - i;
	}
	for (i = 0; i < n; i = j) {
		int lower = b[i] >= 'a' && b[i] <= 'z';

		for (j = i + 1; j < n && (b[j] >= 'a' && b[j] <= 'z') == lower;
		     j++)
			;
		if (!lower)
			continue;
		gdb_put_le32(out + off, i);
		gdb_put_le32(out + off + 4, j - i);
		off += 8;
		n_lower++;
	}
	gdb_put_le32(out, n);
	out[4] = covered == n ? 2 : 0;
	out[5] = out[6] = out[7] = 0;
	gdb_put_le32(out + 8, n_exc);
	gdb_put_le32(out + 12, n_lower);
	gdb_put_le32(out + 16, covered == n ? 0 : (uint32_t)raw);
	if (covered == n)
		return off;
	memset(out + off, 0, raw);
	for (i = 0; i < n; i++) {
		unsigned c = (unsigned char)up(b[i]);

		out[off + i / 4] |=
		    (uint8_t)((((c >> 1) ^ (c >> 2)) & 3) << (2 * (i % 4)));
	}
	return off + raw;
}

/* ---- block generator ---- */

static const char iupac_exc[] = "NRYSWKMBDHVU";

static void gen_block(char *b, uint32_t n)
{
	uint32_t i = 0, len, k;

	while (i < n) {
		uint32_t kind = rnd_below(10);

		len = 1 + rnd_below(rnd_below(4) == 0 ? 400 : 30);
		if (len > n - i)
			len = n - i;
		for (k = 0; k < len; k++) {
			uint64_t r = rnd();
			char c;

			switch (kind) {
			case 0: /* lowercase acgt */
				c = "acgt"[r & 3];
				break;
			case 1: /* N run */
				c = 'N';
				break;
			case 2: /* lowercase n run */
				c = 'n';
				break;
			case 3: /* a single IUPAC letter, either case */
				c = iupac_exc[(r >> 8) % 12];
				if (r & 4)
					c = (char)(c | 0x20);
				len = k + 1;
				break;
			case 4: /* anything valid, any case, per base */
				c = "ACGTUNRYSWKMBDHV"[(r >> 8) % 16];
				if (r & 1)
					c = (char)(c | 0x20);
				break;
			case 5: /* alternating case */
				c = "ACGT"[(r >> 8) & 3];
				if ((i + k) & 1)
					c = (char)(c | 0x20);
				break;
			default:
				c = "ACGT"[r & 3];
				break;
			}
			b[i + k] = c;
		}
		i += len;
	}
	/* specials on the edges */
	if (rnd_below(3) == 0)
		b[0] = rnd_below(2) ? 'N' : 'r';
	if (rnd_below(3) == 0)
		b[n - 1] = rnd_below(2) ? 'u' : 'N';
}

/* ---- checks ---- */

/* Encode at a level, compare with the reference, decode, compare. */
static int round_trip(const char *tag, const char *b, uint32_t n, int level,
		      uint8_t **blockp)
{
	size_t bound = gdb_codecs_dna_bound(n);
	uint8_t *enc = xmalloc(bound), *enc2 = xmalloc(bound);
	uint8_t *ref = xmalloc(bound);
	char *dec = xmalloc(n);
	uint32_t badpos = 12345;
	size_t ref_len;
	int len, len2, d;

	len = gdb_codecs_dna_encode(b, n, level, enc, bound, &badpos);
	if (len <= 0) {
		FAIL("%s n=%u level=%d: encode returned %d (badpos %u)", tag, n,
		     level, len, badpos);
		goto out;
	}
	if ((size_t)len > bound)
		FAIL("%s n=%u: %d bytes > bound %zu", tag, n, len, bound);
	len2 = gdb_codecs_dna_encode(b, n, level, enc2, bound, NULL);
	if (len2 != len || memcmp(enc, enc2, (size_t)len))
		FAIL("%s n=%u level=%d: encoding twice differs", tag, n, level);
	ref_len = ref_encode(b, n, ref);
	if (!(enc[4] & 1) &&
	    (ref_len != (size_t)len || memcmp(ref, enc, ref_len)))
		FAIL("%s n=%u level=%d: block differs from the spec's "
		     "(%d vs %zu bytes)",
		     tag, n, level, len, ref_len);
	if ((enc[4] & 1) && (level <= 0 || (size_t)len >= ref_len))
		FAIL("%s n=%u level=%d: zstd kept but not smaller", tag, n,
		     level);
	if (gdb_codecs_dna_nbases(enc, (size_t)len) != (int)n)
		FAIL("%s n=%u: nbases() says %d", tag, n,
		     gdb_codecs_dna_nbases(enc, (size_t)len));
	d = gdb_codecs_dna_decode(enc, (size_t)len, dec, n);
	if (d != (int)n)
		FAIL("%s n=%u level=%d: decode returned %d", tag, n, level, d);
	else if (memcmp(dec, b, n)) {
		uint32_t i = 0;

		while (dec[i] == b[i])
			i++;
		FAIL("%s n=%u level=%d: base %u decodes to %c, want %c", tag, n,
		     level, i, dec[i], b[i]);
	}
	if (n > 1 &&
	    gdb_codecs_dna_decode(enc, (size_t)len, dec, n - 1) != -ENOBUFS)
		FAIL("%s n=%u: decode into n-1 bytes is not -ENOBUFS", tag, n);
out:
	free(enc2);
	free(ref);
	free(dec);
	if (blockp && len > 0) {
		*blockp = enc;
		return len;
	}
	free(enc);
	return len;
}

static void check_sizes(void)
{
	char *b = xmalloc(MAXB);
	uint32_t n;
	int rep, lv;
	static const int levels[] = {0, 3};

	for (n = 1; n <= 300; n++) {
		for (rep = 0; rep < 6; rep++) {
			gen_block(b, n);
			for (lv = 0; lv < 2; lv++)
				round_trip("random", b, n, levels[lv], NULL);
		}
	}
	for (n = MAXB - 1; n <= MAXB; n++) {
		for (rep = 0; rep < 4; rep++) {
			gen_block(b, n);
			for (lv = 0; lv < 2; lv++)
				round_trip("random", b, n, levels[lv], NULL);
		}
	}
	free(b);
}

static void fill_pattern(char *b, uint32_t n, int pat)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		uint64_t r = rnd();

		switch (pat) {
		case 0:
			b[i] = 'N';
			break;
		case 1:
			b[i] = "acgt"[r & 3];
			break;
		case 2:
			b[i] = (char)("ACGT"[r & 3] | ((i & 1) ? 0x20 : 0));
			break;
		case 3: /* a run per base */
			b[i] = (i & 1) ? 'N' : 'R';
			break;
		case 4:
			b[i] = (char)(((i & 1) ? 'N' : 'R') |
				      ((i & 2) ? 0x20 : 0));
			break;
		case 5:
			b[i] = (i & 1) ? 'n' : 'a';
			break;
		case 6: /* zstd wins */
			b[i] = "ACGT"[i & 3];
			break;
		case 7:
			b[i] = 'n';
			break;
		case 8:
			b[i] = "ACGT"[r & 3];
			break;
		case 9:
			b[i] = (i & 1) ? 'N' : 'A';
			break;
		default:
			b[i] = 'A';
			break;
		}
	}
}

#define NPATTERNS 11
static const char *const pattern_names[NPATTERNS] = {
    "all-N",	   "all-lower", "alt-case", "alt-NR", "alt-NR-case", "alt-na",
    "ACGT-repeat", "all-n",	"acgt",	    "alt-NA", "all-A",
};

static void check_patterns(void)
{
	static const uint32_t sizes[] = {
	    1,	2,    3,    4,	  5,	7,    8,    9,	      63,  64,
	    65, 4095, 4096, 4097, 8191, 8192, 8193, MAXB - 1, MAXB};
	char *b = xmalloc(MAXB);
	size_t s;
	int p, len;

	for (p = 0; p < NPATTERNS; p++) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			fill_pattern(b, sizes[s], p);
			round_trip(pattern_names[p], b, sizes[s], 0, NULL);
			round_trip(pattern_names[p], b, sizes[s], 3, NULL);
		}
	}
	/* an all-N block costs its header and one run: 32 bytes */
	fill_pattern(b, MAXB, 0);
	len = round_trip("all-N", b, MAXB, 3, NULL);
	if (len != 32)
		FAIL("all-N block is %d bytes, want 32", len);
	fill_pattern(b, MAXB, 7);
	len = round_trip("all-n", b, MAXB, 0, NULL);
	if (len != 40)
		FAIL("all-n block is %d bytes, want 40", len);
	/* runs crossing the encoder's 4 Ki chunks merge */
	fill_pattern(b, MAXB, 8);
	memset(b + 4000, 'N', 200);
	memset(b + 8192 - 1, 'R', 2);
	memset(b + 20000, 'n', 12288);
	round_trip("chunk-edges", b, MAXB, 0, NULL);
	/* a repetitive block must take the zstd path */
	fill_pattern(b, MAXB, 6);
	{
		uint8_t *blk = NULL;

		len = round_trip("ACGT-repeat", b, MAXB, 3, &blk);
		if (len > 0 && !(blk[4] & 1))
			FAIL("repetitive block did not use zstd (%d bytes)",
			     len);
		if (len > 0) {
			/* a skippable frame after the real one is not allowed
			 */
			static const uint8_t skip[8] = {0x50, 0x2a, 0x4d, 0x18};
			uint8_t *x = xmalloc((size_t)len + 8);
			char *dec = xmalloc(MAXB);

			memcpy(x, blk, (size_t)len);
			memcpy(x + len, skip, 8);
			gdb_put_le32(x + 16, gdb_get_le32(x + 16) + 8);
			if (gdb_codecs_dna_decode(x, (size_t)len + 8, dec,
						  MAXB) != GDB_ECORRUPT)
				FAIL("zstd frame + skippable frame decodes");
			free(x);
			free(dec);
		}
		free(blk);
	}
	free(b);
}

static void check_determinism(void)
{
	char *b = xmalloc(MAXB);
	size_t bound = gdb_codecs_dna_bound(MAXB);
	uint8_t *e1 = xmalloc(bound), *e2 = xmalloc(bound);
	int l1, l2, junk, i;

	for (i = 0; i < 4; i++) {
		gen_block(b, MAXB);
		if (i & 1)
			memcpy(b + 32768, b, 30000); /* something zstd finds */
		l1 = gdb_codecs_dna_encode(b, MAXB, 3, e1, bound, NULL);
		/* other levels in between must not leak into the next */
		junk = gdb_codecs_dna_encode(b, MAXB, 19, e2, bound, NULL);
		junk = gdb_codecs_dna_encode(b, MAXB, 1, e2, bound, NULL);
		(void)junk;
		l2 = gdb_codecs_dna_encode(b, MAXB, 3, e2, bound, NULL);
		if (l1 <= 0 || l1 != l2 || memcmp(e1, e2, (size_t)l1))
			FAIL("level 3 encoding not deterministic (%d vs %d)",
			     l1, l2);
	}
	free(b);
	free(e1);
	free(e2);
}

static void check_invalid(void)
{
	static const uint32_t positions[] = {0,	   1,	 7,    8,    100,
					     4095, 4096, 4097, 9000, MAXB - 1};
	char *b = xmalloc(MAXB);
	size_t bound = gdb_codecs_dna_bound(MAXB);
	uint8_t *enc = xmalloc(bound);
	uint32_t badpos;
	size_t p;
	int c, rc;

	for (c = -1; c < 257; c++) {
		int want = c >= 0 && c < 256 &&
			   strchr("ACGTUNRYSWKMBDHVacgtunryswkmbdhv", c) && c;

		if (gdb_codecs_dna_valid(c) != want)
			FAIL("gdb_codecs_dna_valid(%d) = %d", c,
			     gdb_codecs_dna_valid(c));
	}
	for (c = 0; c < 256; c++) {
		if (gdb_codecs_dna_valid(c))
			continue;
		for (p = 0; p < sizeof(positions) / sizeof(positions[0]); p++) {
			uint32_t n = MAXB, at = positions[p];

			if (c & 1)
				n = at + 1 + rnd_below(300);
			if (n > MAXB)
				n = MAXB;
			gen_block(b, n);
			b[at] = (char)c;
			if (at + 3 < n)
				b[at + 3] = '*'; /* a later one must not win */
			badpos = 77;
			rc =
			    gdb_codecs_dna_encode(b, n, 3, enc, bound, &badpos);
			if (rc != GDB_EFORMAT || badpos != at)
				FAIL("byte %02x at %u of %u: rc %d badpos %u",
				     c, at, n, rc, badpos);
		}
	}
	/* bad arguments */
	if (gdb_codecs_dna_encode(b, 0, 0, enc, bound, NULL) != -EINVAL)
		FAIL("nbases 0 is not -EINVAL");
	if (gdb_codecs_dna_encode(b, MAXB + 1, 0, enc, bound, NULL) != -EINVAL)
		FAIL("nbases 65537 is not -EINVAL");
	free(b);
	free(enc);
}

/* Every output capacity below the block size gives -ENOBUFS, in bounds. */
static void check_small_dst(void)
{
	char b[300];
	uint8_t *full = xmalloc(gdb_codecs_dna_bound(300));
	int rep, len, cap, rc;

	for (rep = 0; rep < 20; rep++) {
		uint32_t n = 1 + rnd_below(300);

		gen_block(b, n);
		len = gdb_codecs_dna_encode(b, n, rep & 1 ? 3 : 0, full,
					    gdb_codecs_dna_bound(n), NULL);
		for (cap = 0; cap < len; cap++) {
			uint8_t *dst = xmalloc((size_t)cap);

			rc = gdb_codecs_dna_encode(b, n, 0, dst, (size_t)cap,
						   NULL);
			if (rc != -ENOBUFS && !(rc > 0 && rc <= cap))
				FAIL("n=%u cap=%d of %d: rc %d", n, cap, len,
				     rc);
			free(dst);
		}
	}
	free(full);
}

/* Does packed byte q hold the code of a base inside an exception run? */
static int under_exception(const char *bases, uint32_t n, uint32_t q)
{
	uint32_t i;

	for (i = 4 * q; i < 4 * q + 4 && i < n; i++)
		if (!is_upper_acgt(up(bases[i])))
			return 1;
	return 0;
}

/*
 * Decode a possibly corrupt block. It must fail with GDB_ECORRUPT (or
 * -ENOBUFS if its nbases field exceeds the buffer) or return the nbases
 * its header states. If it decodes and is a raw (non-zstd) block,
 * re-encoding must reproduce it except for the codes under exceptions.
 */
static void check_hostile(const char *tag, const uint8_t *blk, size_t len,
			  char *dst)
{
	uint8_t *copy = xmalloc(len);
	int rc, nb, relen;

	memcpy(copy, blk, len); /* exact size, for ASan */
	rc = gdb_codecs_dna_decode(copy, len, dst, MAXB);
	nb = gdb_codecs_dna_nbases(copy, len);
	if (rc < 0) {
		if (rc != GDB_ECORRUPT)
			FAIL("%s: decode returned %d", tag, rc);
		free(copy);
		return;
	}
	if (rc != nb || rc < 1 || rc > (int)MAXB)
		FAIL("%s: decode returned %d, header says %d", tag, rc, nb);
	if (!(copy[4] & 1) && rc > 0) {
		static uint8_t *re;
		size_t bound = gdb_codecs_dna_bound((uint32_t)rc);
		uint32_t exc_end, i;

		/* one buffer for all calls: this runs a million times */
		if (!re)
			re = xmalloc(gdb_codecs_dna_bound(MAXB));

		/* flags bit 2: an RNA block, canonical as RNA */
		relen = (copy[4] & 4)
			    ? gdb_codecs_rna_encode(dst, (uint32_t)rc, 0, re,
						    bound, NULL)
			    : gdb_codecs_dna_encode(dst, (uint32_t)rc, 0, re,
						    bound, NULL);
		if (relen != (int)len) {
			FAIL("%s: decodes, but re-encodes to %d bytes, not %zu",
			     tag, relen, len);
		} else {
			exc_end = 20 + 12 * gdb_get_le32(copy + 8) +
				  8 * gdb_get_le32(copy + 12);
			for (i = 0; i < len; i++)
				if (re[i] != copy[i] &&
				    (i < exc_end ||
				     !under_exception(dst, (uint32_t)rc,
						      i - exc_end)))
					break;
			if (i < len)
				FAIL("%s: decodes, but is not canonical at "
				     "byte %u",
				     tag, i);
		}
	}
	free(copy);
}

static void check_corruption(void)
{
	char *b = xmalloc(MAXB), *dst = xmalloc(MAXB);
	uint8_t *blk, *garbage;
	char tag[96];
	int rep, len, bit;
	size_t i, cut;

	for (rep = 0; rep < 24; rep++) {
		uint32_t n = rep < 20 ? 1 + rnd_below(200) : MAXB;
		int level = (rep & 1) ? 3 : 0;

		if (rep % 4 == 3) {
			fill_pattern(b, n, 6); /* zstd block */
			b[n / 2] = 'N';
			b[0] = 'a';
		} else {
			gen_block(b, n);
		}
		blk = NULL;
		len = round_trip("corrupt-src", b, n, level, &blk);
		if (len <= 0)
			continue;
		/* every byte, flipped every way that matters */
		for (i = 0; i < (size_t)len && (n < MAXB || i < 200); i++) {
			for (bit = 0; bit < 8; bit++) {
				blk[i] ^= (uint8_t)(1 << bit);
				snprintf(tag, sizeof(tag),
					 "block %d flip byte %zu bit %d", rep,
					 i, bit);
				check_hostile(tag, blk, (size_t)len, dst);
				blk[i] ^= (uint8_t)(1 << bit);
			}
			for (bit = 0; bit < 4; bit++) {
				uint8_t old = blk[i];

				blk[i] = bit == 0   ? 0
					 : bit == 1 ? 0xff
					 : bit == 2 ? (uint8_t)(old + 1)
						    : (uint8_t)(old - 1);
				snprintf(tag, sizeof(tag),
					 "block %d byte %zu set %02x", rep, i,
					 blk[i]);
				check_hostile(tag, blk, (size_t)len, dst);
				blk[i] = old;
			}
		}
		for (cut = 0; cut < (size_t)len; cut++) {
			uint8_t *t;

			/* big blocks: the ends and a sample of the middle */
			if (len > 1000 && cut >= 200 &&
			    cut + 200 < (size_t)len && rnd_below(100))
				continue;
			t = xmalloc(cut);

			memcpy(t, blk, cut);
			if (gdb_codecs_dna_decode(t, cut, dst, MAXB) !=
			    GDB_ECORRUPT)
				FAIL("block %d cut to %zu of %d decodes", rep,
				     cut, len);
			free(t);
		}
		garbage = xmalloc((size_t)len + 1);
		memcpy(garbage, blk, (size_t)len);
		garbage[len] = 0;
		if (gdb_codecs_dna_decode(garbage, (size_t)len + 1, dst,
					  MAXB) != GDB_ECORRUPT)
			FAIL("block %d with a trailing byte decodes", rep);
		free(garbage);
		free(blk);
	}
	/* random garbage, and random headers over random bodies */
	for (rep = 0; rep < 20000; rep++) {
		size_t glen = rnd_below(rep & 1 ? 64 : 600);

		garbage = xmalloc(glen);
		for (i = 0; i < glen; i++)
			garbage[i] = (uint8_t)rnd();
		if ((rep & 2) && glen >= 20) {
			uint32_t nb = 1 + rnd_below(rep & 4 ? 40 : MAXB);
			uint32_t ne = rnd_below(4), nl = rnd_below(3);
			size_t body = 20 + 12 * (size_t)ne + 8 * (size_t)nl;

			gdb_put_le32(garbage, nb);
			garbage[4] = (uint8_t)rnd_below(4);
			garbage[5] = garbage[6] = garbage[7] = 0;
			gdb_put_le32(garbage + 8, ne);
			gdb_put_le32(garbage + 12, nl);
			gdb_put_le32(garbage + 16,
				     glen > body ? (uint32_t)(glen - body) : 0);
			for (i = 0; i < ne && 20 + 12 * i + 12 <= glen; i++) {
				uint8_t *r = garbage + 20 + 12 * i;

				gdb_put_le32(r, rnd_below(nb));
				gdb_put_le32(r + 4, 1 + rnd_below(nb));
				r[8] = (uint8_t) "NRYSWKMBDHVU"[rnd_below(12)];
				r[9] = r[10] = r[11] = 0;
			}
		}
		snprintf(tag, sizeof(tag), "garbage %d (%zu bytes)", rep, glen);
		check_hostile(tag, garbage, glen, dst);
		free(garbage);
	}
	if (gdb_codecs_dna_decode(NULL, 0, dst, MAXB) != GDB_ECORRUPT)
		FAIL("decode of NULL/0 is not GDB_ECORRUPT");
	free(b);
	free(dst);
}

/*
 * Several threads encoding and decoding with zstd at once: each has its
 * own zstd state, freed when the thread exits (LeakSanitizer checks).
 */
struct thread_arg {
	uint64_t seed;
	int errors;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	size_t bound = gdb_codecs_dna_bound(MAXB);
	char *b = xmalloc(MAXB), *dec = xmalloc(MAXB);
	uint8_t *enc = xmalloc(bound);
	uint64_t s = a->seed;
	int rep, len;
	uint32_t i, n;

	for (rep = 0; rep < 40; rep++) {
		/* a private generator: rnd() is not thread-safe */
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		n = 1 + (uint32_t)(s >> 33) % MAXB;
		for (i = 0; i < n; i++)
			b[i] = "ACGTACGTACGTacgN"[((i * 7) ^ (s >> 40)) % 16];
		len =
		    gdb_codecs_dna_encode(b, n, 1 + rep % 3, enc, bound, NULL);
		if (len <= 0 ||
		    gdb_codecs_dna_decode(enc, (size_t)len, dec, MAXB) !=
			(int)n ||
		    memcmp(dec, b, n))
			a->errors++;
	}
	free(b);
	free(dec);
	free(enc);
	return NULL;
}

static void check_threads(void)
{
	pthread_t t[4];
	struct thread_arg a[4];
	int i, started = 0;

	for (i = 0; i < 4; i++) {
		a[i].seed = 1000u + (uint64_t)i;
		a[i].errors = 0;
		if (pthread_create(&t[i], NULL, thread_main, &a[i]))
			break;
		started++;
	}
	for (i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		if (a[i].errors)
			FAIL("thread %d: %d round trips failed", i,
			     a[i].errors);
	}
}

int main(void)
{
	gdb_log_set_sink(quiet_sink);
	if (gdb_simd_init() < 0)
		fprintf(stderr, "test_codecs: note: GENOMEDB_SIMD ignored\n");
	printf("test_codecs: simd level %s\n",
	       gdb_simd_level_name(gdb_simd_active()));
	check_sizes();
	check_patterns();
	check_determinism();
	check_invalid();
	check_small_dst();
	check_corruption();
	check_threads();
	gdb_log_set_sink(NULL);
	if (failures) {
		printf("test_codecs: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_codecs: ok (%ld corruptions reported and rejected)\n",
	       corrupt_logs);
	return 0;
}
