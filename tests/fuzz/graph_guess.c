/* tests/fuzz/graph_guess.c - format guessing, then whichever parser the
 * guess picks (no --format). */
#include "tests/fuzz/graph_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	graph_fuzz_import(NULL, NULL, NULL, "fuzz.txt", data, size);
	return 0;
}
