/*
 * tests/fuzz/store_manifest.c - the manifest decoder (store/manifest.c)
 * and CURRENT's parser. The trailer CRC is recomputed over the input
 * first, so the checks behind it (magic, version, lengths, entries,
 * strings) are what the fuzzer reaches, not just the CRC.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gdb_manifest m;
	uint8_t *b;
	char err[256], cur[72];
	uint64_t gen;
	int has_crc;

	if (size > (1u << 20))
		return 0;
	/* CURRENT: the input's first bytes as they are */
	memcpy(cur, data, size < 64 ? size : 64);
	(void)gdb_current_parse(cur, size < 64 ? size : 64, &gen, &has_crc);
	b = malloc(size ? size : 1);
	if (!b)
		return 0;
	memcpy(b, data, size);
	if (size >= 4)
		gdb_put_le32(b + size - 4, gdb_crc32c(b, size - 4));
	memset(&m, 0, sizeof(m));
	if (gdb_manifest_parse(b, size, &m, "fuzz", err, sizeof(err)) == 0) {
		for (uint32_t i = 0; i < m.nasm; i++)
			if (!m.asms[i].name || strlen(m.asms[i].name) > 65535)
				abort();
	}
	gdb_manifest_free(&m);
	free(b);
	return 0;
}
