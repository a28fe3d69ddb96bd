/*
 * tests/fuzz/codec_cm_match.c - the cm codec's decoder and model loader
 * with a match model (docs/FORMAT.md "CM model", version 2) on untrusted
 * bytes (harness: codec_fuzz.h).
 */
#define FZ_MATCH 16
#include "tests/fuzz/codec_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_run(GDB_CODEC_CM, GDB_ALPHA_DNA, data, size);
}
