/*
 * tests/fuzz/codec_dna.c - libFuzzer target for the 2-bit DNA block codec
 * (codecs/dna.c, docs/FORMAT.md "DNA block"). The first input byte
 * chooses:
 *   even: the rest is an encoded block (untrusted). It may be refused; if
 *         it decodes, it gives exactly the bases its header counts, every
 *         sub-range decodes to the same bases as the whole, and the bases
 *         encode again and decode back to themselves;
 *   odd:  the rest is bases, encoded at zstd level (byte >> 1) % 4; an
 *         accepted input decodes back byte for byte, a refused one names
 *         a byte that is no DNA letter.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/codecs.h"
#include "tests/fuzz/fuzz.h"

static void roundtrip(const char *bases, uint32_t n, int level, char *out)
{
	size_t cap = gdb_codecs_dna_bound(n);
	uint8_t *enc = malloc(cap);
	uint32_t bad = 0;
	int len;

	if (!enc)
		return;
	len = gdb_codecs_dna_encode(bases, n, level, enc, cap, &bad);
	if (len == GDB_EFORMAT) {
		FUZZ_CHECK(bad < n &&
			   !gdb_codecs_dna_valid((uint8_t)bases[bad]));
	} else if (len > 0) {
		FUZZ_CHECK(gdb_codecs_dna_nbases(enc, (size_t)len) == (int)n);
		FUZZ_CHECK(gdb_codecs_dna_decode(enc, (size_t)len, out,
						 GDB_DNA_BLOCK_BASES) ==
			   (int)n);
		FUZZ_CHECK(memcmp(out, bases, n) == 0);
	} else {
		FUZZ_CHECK(len == -ENOMEM);
	}
	free(enc);
}

static void decode_block(const uint8_t *src, size_t len, char *whole,
			 char *part)
{
	int n = gdb_codecs_dna_decode(src, len, whole, GDB_DNA_BLOCK_BASES);
	uint32_t from, to;

	if (n < 0)
		return;
	FUZZ_CHECK(n >= 1 && n == gdb_codecs_dna_nbases(src, len));
	/* a sub-range from the block's own bytes, so it varies with them */
	from = (uint32_t)(len > 9 ? src[len - 1] * 257u + src[len / 2] : 0) %
	       (uint32_t)n;
	to = from + 1 +
	     (uint32_t)(len > 9 ? src[len - 2] * 131u : 0) %
		 ((uint32_t)n - from);
	FUZZ_CHECK(gdb_codecs_dna_decode_range(src, len, from, to, part,
					       GDB_DNA_BLOCK_BASES) ==
		   (int)(to - from));
	FUZZ_CHECK(memcmp(part, whole + from, to - from) == 0);
	FUZZ_CHECK(gdb_codecs_dna_decode_range(src, len, 0, (uint32_t)n + 1,
					       part, GDB_DNA_BLOCK_BASES) < 0);
	roundtrip(whole, (uint32_t)n, 0, part);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *a, *b;

	if (size < 1 || size > (size_t)GDB_DNA_BLOCK_BASES + 1)
		return 0;
	a = malloc(GDB_DNA_BLOCK_BASES);
	b = malloc(GDB_DNA_BLOCK_BASES);
	if (a && b) {
		if (data[0] & 1) {
			if (size > 1)
				roundtrip((const char *)data + 1,
					  (uint32_t)(size - 1),
					  (data[0] >> 1) % 4, a);
		} else {
			decode_block(data + 1, size - 1, a, b);
		}
	}
	free(a);
	free(b);
	return 0;
}
