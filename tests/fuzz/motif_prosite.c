/*
 * tests/fuzz/motif_prosite.c - libFuzzer target of the PROSITE pattern
 * parser and finder (gdb_prosite_compile, gdb_prosite_find,
 * motif/prosite.c). The input is a pattern, a newline, then the sequence
 * searched. Properties, not only "does not crash": a pattern compiles or
 * is -EINVAL; a compiled one spans 1..GDB_PROSITE_MAX_SPAN residues; the
 * hit count does not depend on the room given; hits come by position,
 * each as long as the pattern allows and inside the sequence, and an
 * anchored pattern's only where the sequence ends.
 */
#include <errno.h>
#include <string.h>

#include "motif/motif.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_HITS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static gdb_prosite_hit hits[FUZZ_HITS];
	const char *text = (const char *)data;
	const char *nl = memchr(text, '\n', size);
	size_t plen = nl ? (size_t)(nl - text) : size;
	const char *seq = nl ? nl + 1 : text + size;
	size_t n = size - (size_t)(seq - text);
	gdb_prosite p;
	int64_t nh, k;
	int rc = gdb_prosite_compile(text, plen, &p);

	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	if (rc < 0)
		return 0;
	FUZZ_CHECK(p.n >= 1 && p.n <= GDB_PROSITE_MAX_ELEMS);
	FUZZ_CHECK(p.minlen >= 1 && p.minlen <= p.maxlen &&
		   p.maxlen <= GDB_PROSITE_MAX_SPAN);
	for (unsigned fl = 0; fl < 4; fl++) {
		nh = gdb_prosite_find(&p, seq, n, fl, NULL, 0);
		FUZZ_CHECK(nh >= 0 && (size_t)nh <= n);
		k = gdb_prosite_find(&p, seq, n, fl, hits, FUZZ_HITS);
		FUZZ_CHECK(k == nh);
		for (int64_t i = 0; i < (k < FUZZ_HITS ? k : FUZZ_HITS); i++) {
			const gdb_prosite_hit *h = &hits[i];
			FUZZ_CHECK(i == 0 || h->pos > h[-1].pos);
			FUZZ_CHECK(h->len >= p.minlen && h->len <= p.maxlen);
			FUZZ_CHECK(h->pos + h->len <= n);
			FUZZ_CHECK(!p.anchor_start ||
				   (h->pos == 0 && (fl & GDB_PROSITE_AT_START)));
			FUZZ_CHECK(!p.anchor_end ||
				   (h->pos + h->len == n &&
				    (fl & GDB_PROSITE_AT_END)));
		}
	}
	return 0;
}
