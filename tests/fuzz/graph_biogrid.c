/* tests/fuzz/graph_biogrid.c - the BIOGRID network parser (graph/formats/), the
 * format named as with --format biogrid. */
#include "tests/fuzz/graph_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	graph_fuzz_import("biogrid", NULL, NULL, "fuzz.txt", data, size);
	return 0;
}
