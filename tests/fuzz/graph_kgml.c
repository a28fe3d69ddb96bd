/* tests/fuzz/graph_kgml.c - the KGML network parser (graph/formats/), the
 * format named as with --format kgml. */
#include "tests/fuzz/graph_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	graph_fuzz_import("kgml", NULL, NULL, "fuzz.xml", data, size);
	return 0;
}
