/*
 * tests/fuzz/codec_protein.c - the protein codec's decoder and model loader on
 * untrusted bytes (harness: codec_fuzz.h).
 */
#include "tests/fuzz/codec_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_run(GDB_CODEC_PROTEIN, GDB_ALPHA_PROTEIN, data, size);
}
