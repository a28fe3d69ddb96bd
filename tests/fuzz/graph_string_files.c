/* tests/fuzz/graph_string_files.c - STRING's protein.info, aliases and
 * actions files, recognised by their headers, after a fixed links file
 * whose proteins they name. */
#include "tests/fuzz/graph_fuzz.h"

static const char links[] =
    "protein1 protein2 experimental combined_score\n"
    "9606.ENSP00000000233 9606.ENSP00000272298 0 490\n"
    "9606.ENSP00000272298 9606.ENSP00000000233 0 490\n"
    "9606.ENSP00000000233 9606.ENSP00000253401 301 198\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	graph_fuzz_import(NULL, NULL, links, "fuzz.txt", data, size);
	return 0;
}
