/*
 * tests/fuzz/codecs_column.c - libFuzzer target: any bytes as a column
 * frame (codecs/column.c). The decoder must return an error or exactly
 * the frame's declared length, and never read or write out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>

#include "codecs/codecs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out = NULL;
	size_t n = 0;

	/* bound the raw size as readers do, low enough to keep fuzzing fast */
	if (gdb_codecs_col_decode(data, size, (size_t)4 << 20, &out, &n) == 0 &&
	    (size < 5 || n != gdb_get_le32(data + 1)))
		abort();
	free(out);
	return 0;
}
