/*
 * tests/fuzz/codec_cm_v3.c - the cm codec's decoder and model loader with
 * a version 3 model with every feature (docs/FORMAT.md "CM model version
 * 3") on untrusted bytes (harness: codec_fuzz.h).
 */
#define FZ_FEAT (GDB_CM_FEAT_SET | 7u)
#include "tests/fuzz/codec_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_run(GDB_CODEC_CM, GDB_ALPHA_DNA, data, size);
}
