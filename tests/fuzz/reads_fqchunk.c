/*
 * tests/fuzz/reads_fqchunk.c - libFuzzer target: any bytes as a FASTQ
 * chunk (reads/fq_chunk.c), single or paired, decoded and its records
 * rendered; also as a read-bases encoding (codecs/bases.c) for reads of
 * lengths drawn from the input. Nothing may read or write out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reads/reads_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void chunk(const uint8_t *data, size_t size, int paired)
{
	fq_set s[2];
	fq_set *sp[2] = {&s[0], paired ? &s[1] : NULL};
	gdb_buf out = {0};

	memset(s, 0, sizeof(s));
	if (fq_chunk_decode(data, size, sp) == 0)
		for (int m = 0; m < 1 + paired; m++)
			for (uint32_t i = 0; i < s[m].n; i++)
				fq_render_rec(&s[m], i, "\n", i + 1 == s[m].n,
					      &out);
	gdb_buf_free(&out);
	fq_set_free(&s[0]);
	fq_set_free(&s[1]);
}

static long decoded; /* inputs that were valid encodings */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t lens[8];
	size_t n = 0;
	char *d;

	chunk(data, size, 0);
	chunk(data, size, 1);
	/* as read bases: eight reads, lengths from the first bytes */
	if (size < 8)
		return 0;
	for (int i = 0; i < 8; i++)
		n += lens[i] = data[i];
	d = malloc(n ? n : 1);
	if (d && gdb_codecs_bases_decode(data + 8, size - 8, lens, 8, d, n) == 0)
		decoded++;
	free(d);
	return 0;
}
