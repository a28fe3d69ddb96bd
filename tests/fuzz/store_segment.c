/*
 * tests/fuzz/store_segment.c - a segment as a reader checks it: header,
 * index (DNA contigs or sections, the first input byte chooses), then
 * every block, layout and section it names. The header's and the index's
 * CRCs are recomputed over the input, so the structural checks behind
 * them are reached. A segment may be refused; nothing may crash, read
 * outside the bytes or decode a block to the wrong size.
 */
#include <stdlib.h>
#include <string.h>

#include "codecs/codecs.h"
#include "seq/seq.h"
#include "store/store_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Make the header's and the index's CRCs match the bytes. */
static void fix_crcs(uint8_t *b, size_t n)
{
	uint64_t ioff = gdb_get_le64(b + 24);

	if (ioff >= GDB_SEGMENT_HDR && ioff <= n) {
		gdb_put_le64(b + 32, n - ioff);
		gdb_put_le32(b + 40, gdb_crc32c(b + ioff, n - ioff));
	}
	gdb_put_le32(b + 60, gdb_crc32c(b, 60));
}

static void walk(gdb_store *s, char *scratch)
{
	for (uint32_t id = 0; id < gdb_store_ncontigs(s); id++) {
		const gdb_contig *c = gdb_store_contig(s, id);
		const void *lay;
		size_t len;
		for (uint32_t b = 0; b < c->nblocks; b++) {
			int n = gdb_store_block_decode(s, id, b, scratch,
						       GDB_DNA_BLOCK_BASES);
			if (n > (int)c->block_bases)
				abort();
		}
		if (gdb_store_contig_layout(s, id, &lay, &len) == 0 && len &&
		    gdb_seq_layout_check(lay, len, c->length,
					 strlen(c->name) + strlen(c->desc),
					 c->fasta_bytes) == 0 &&
		    gdb_seq_fasta_bytes(c) != c->fasta_bytes)
			abort();
	}
	for (uint32_t o = 0; o < gdb_store_nobjects(s); o++)
		for (uint32_t k = 0; k < gdb_store_object(s, o)->nsections;
		     k++) {
			const char *name;
			const void *d;
			uint64_t len;
			if (gdb_store_section_at(s, o, k, &name, &d, &len) ==
				    0 &&
			    !name)
				abort();
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gdb_store *s;
	uint8_t *b;
	char err[256], *scratch;
	uint32_t kind;

	if (size < 1 + GDB_SEGMENT_HDR || size > (4u << 20))
		return 0;
	kind = data[0] & 1 ? GDB_OBJECT_SECTIONS : GDB_KIND_ASSEMBLY;
	b = malloc(size - 1);
	scratch = malloc(GDB_DNA_BLOCK_BASES);
	if (b && scratch) {
		memcpy(b, data + 1, size - 1);
		fix_crcs(b, size - 1);
		if (gdb_store_open_mem(b, size - 1, kind, &s, err,
				       sizeof(err)) == 0) {
			walk(s, scratch);
			gdb_store_close(s);
		}
	}
	free(scratch);
	free(b);
	return 0;
}
