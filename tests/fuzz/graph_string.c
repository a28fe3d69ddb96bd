/* tests/fuzz/graph_string.c - STRING protein links (--format string). */
#include "tests/fuzz/graph_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	graph_fuzz_import("string", NULL, NULL, "fuzz.txt", data, size);
	return 0;
}
