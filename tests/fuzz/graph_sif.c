/* tests/fuzz/graph_sif.c - the SIF network parser (graph/formats/), the
 * format named as with --format sif. */
#include "tests/fuzz/graph_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	graph_fuzz_import("sif", NULL, NULL, "fuzz.sif", data, size);
	return 0;
}
