/*
 * tests/fuzz/codec_cm.c - the cm codec's decoder and model loader on
 * untrusted bytes (harness: codec_fuzz.h).
 */
#include "tests/fuzz/codec_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_run(GDB_CODEC_CM, GDB_ALPHA_DNA, data, size);
}
