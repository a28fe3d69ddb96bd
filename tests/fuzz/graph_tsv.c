/* tests/fuzz/graph_tsv.c - the TSV network parser (graph/formats/), the
 * format named as with --format tsv. */
#include "tests/fuzz/graph_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	graph_fuzz_import("tsv", NULL, NULL, "fuzz.tsv", data, size);
	return 0;
}
