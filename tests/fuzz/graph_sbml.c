/* tests/fuzz/graph_sbml.c - the SBML network parser (graph/formats/), the
 * format named as with --format sbml. */
#include "tests/fuzz/graph_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	graph_fuzz_import("sbml", NULL, NULL, "fuzz.xml", data, size);
	return 0;
}
