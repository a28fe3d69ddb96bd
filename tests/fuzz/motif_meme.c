/*
 * tests/fuzz/motif_meme.c - libFuzzer target of the MEME minimal-format
 * parser (gdb_motif_parse_meme, motif/parse.c) and of a motif set built
 * from such a file; the checks are in motif_common.h.
 */
#include "tests/fuzz/motif_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_motif_parser(data, size, gdb_motif_parse_meme, GDB_MOTIF_MEME);
	return 0;
}
