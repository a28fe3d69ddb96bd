/* tests/fuzz/graph_gmt.c - the GMT network parser (graph/formats/), the
 * format named as with --format gmt. */
#include "tests/fuzz/graph_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	graph_fuzz_import("gmt", NULL, NULL, "fuzz.gmt", data, size);
	return 0;
}
