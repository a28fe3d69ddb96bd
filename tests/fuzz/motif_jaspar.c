/*
 * tests/fuzz/motif_jaspar.c - libFuzzer target of the JASPAR / .pfm parser
 * (gdb_motif_parse_jaspar, motif/parse.c) and of a motif set built from
 * such a file; the checks are in motif_common.h.
 */
#include "tests/fuzz/motif_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_motif_parser(data, size, gdb_motif_parse_jaspar,
			  GDB_MOTIF_JASPAR);
	return 0;
}
