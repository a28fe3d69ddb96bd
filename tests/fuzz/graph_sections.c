/*
 * tests/fuzz/graph_sections.c - libFuzzer target for the network reader
 * (graph/read.c): the input is a sections segment (docs/FORMAT.md
 * "Sections index", GRAPH.md "On-disk layout"). Every section's CRC, the
 * index's and the header's are recomputed over the input, so the
 * validation of the network's sections (sizes, offsets, ids in range) is
 * what the bytes meet, not a checksum. A network may be refused (listed as
 * damaged); one that opens must answer neighbours, k-hop and path queries
 * from every node it names with node ids in range, and nothing may crash
 * or read outside the bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"
#include "store/store_int.h"
#include "tests/fuzz/fuzz.h"

/* Walk the index as FORMAT.md lays it out and make each in-bounds
 * section's CRC match its bytes; then the index's and the header's. */
static void fix_crcs(uint8_t *b, size_t n)
{
	uint64_t ioff = gdb_get_le64(b + 24), p;
	uint32_t nsec = gdb_get_le32(b + 44);

	if (ioff < GDB_SEGMENT_HDR || ioff > n)
		goto header;
	p = ioff;
	for (uint32_t i = 0; i < nsec && p + 2 <= n; i++) {
		uint64_t len = gdb_get_le16(b + p), off, sl;
		p += 2 + len;
		if (p + 20 > n)
			break;
		off = gdb_get_le64(b + p);
		sl = gdb_get_le64(b + p + 8);
		if (off <= ioff && sl <= ioff - off)
			gdb_put_le32(b + p + 16, gdb_crc32c(b + off, sl));
		p += 20;
	}
	gdb_put_le64(b + 32, n - ioff);
	gdb_put_le32(b + 40, gdb_crc32c(b + ioff, n - ioff));
header:
	gdb_put_le32(b + 60, gdb_crc32c(b, 60));
}

static void check_result(const gdb_graph *g, const gdb_graph_result *r)
{
	uint32_t nn = gdb_graph_nnodes(g);

	for (uint32_t i = 0; i < r->nnodes; i++)
		FUZZ_CHECK(r->nodes[i] < nn);
	if (r->npaths)
		FUZZ_CHECK(r->path_off[r->npaths] >= r->npaths);
}

static void query(const gdb_graph *g, uint32_t a, uint32_t b)
{
	gdb_graph_filter f;
	gdb_graph_result r;
	char err[256];

	gdb_graph_filter_init(&f);
	f.limit = 50;
	f.edge_limit = 200;
	if (gdb_graph_check(g, -1, err, sizeof(err)) != 0)
		return;
	if (gdb_graph_neighbors(g, a, &f, &r) == 0)
		check_result(g, &r);
	gdb_graph_result_free(&r);
	if (gdb_graph_khop(g, a, 2, 0, &f, &r) == 0)
		check_result(g, &r);
	gdb_graph_result_free(&r);
	if (gdb_graph_shortest_path(g, a, b, &f, &r) == 0)
		check_result(g, &r);
	gdb_graph_result_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gdb_store *s;
	gdb_graph *g;
	uint8_t *b;
	char err[256];

	if (size < GDB_SEGMENT_HDR || size > (1u << 20))
		return 0;
	b = malloc(size);
	if (!b)
		return 0;
	memcpy(b, data, size);
	fix_crcs(b, size);
	if (gdb_store_open_mem(b, size, GDB_OBJECT_SECTIONS, &s, err,
			       sizeof(err)) == 0) {
		if (gdb_graph_open(s, &g, err, sizeof(err)) == 0) {
			uint32_t nn = gdb_graph_nnodes(g);
			for (uint32_t i = 0; i < nn && i < 8; i++)
				query(g, i, (i * 7 + 3) % nn);
			gdb_graph_close(g);
		}
		gdb_store_close(s);
	}
	free(b);
	return 0;
}
