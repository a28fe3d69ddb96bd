/*
 * tests/fuzz/codec_cm_rel.c - the cm codec's decoder and model loader
 * relative to a reference assembly (docs/FORMAT.md "CM model version 3",
 * `--relative-to`) on untrusted bytes (harness: codec_fuzz.h).
 */
#define FZ_MATCH 16
#define FZ_REL 1
#include "tests/fuzz/codec_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_run(GDB_CODEC_CM, GDB_ALPHA_DNA, data, size);
}
