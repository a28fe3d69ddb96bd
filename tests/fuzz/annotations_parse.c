/*
 * tests/fuzz/annotations_parse.c - libFuzzer target for the annotation
 * parsers and builder (annotations/): the first byte picks the format and
 * the flags, the rest is fed line by line to a builder over a small fixed
 * reference, then resolved and indexed. Anything may be refused; nothing
 * may crash, leak or read out of bounds.
 *
 *   make fuzz                        (clang -fsanitize=fuzzer,address)
 *   build/fuzz/annotations_parse DIR (replay a corpus, as make test does)
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "annotations/annotations.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const gdb_annot_refcontig ref[] = {
		{"chrI", 230208}, {"c1", 1000}, {"Scer:chrII:1-5", 5}};
	static const int fmts[] = {GDB_ANNOT_GFF3, GDB_ANNOT_GTF, GDB_ANNOT_BED};
	gdb_annot_builder *b;
	char err[256];
	const char *p, *end;
	uint64_t line = 0;
	int rc;

	if (size < 1)
		return 0;
	if (gdb_annot_builder_new(fmts[data[0] % 3], ref, 3, (data[0] >> 2) & 3,
				  &b) < 0)
		return 0;
	if (data[0] & 16)
		(void)!gdb_annot_builder_alias(b, "chr1", "chrI");
	p = (const char *)data + 1;
	end = (const char *)data + size;
	rc = 0;
	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		rc = gdb_annot_builder_line(b, p, n, "fuzz", ++line, err,
					    sizeof(err));
		p += n + 1;
	}
	if (rc == 0 || rc == 1)
		(void)!gdb_annot_builder_finish(b, NULL, err, sizeof(err));
	gdb_annot_builder_free(b);
	return 0;
}
