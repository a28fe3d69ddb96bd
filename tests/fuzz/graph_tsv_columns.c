/* tests/fuzz/graph_tsv_columns.c - the TSV parser with columns named by a
 * header row (--columns source=a,target=b,...), the header resolution and
 * every optional column. */
#include "tests/fuzz/graph_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	graph_fuzz_import("tsv",
			  "source=a,target=b,type=type,confidence=conf,"
			  "directed=dir,evidence=ev",
			  NULL, "fuzz.tsv", data, size);
	return 0;
}
