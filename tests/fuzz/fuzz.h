/*
 * tests/fuzz/fuzz.h - what the fuzz targets share: the libFuzzer entry
 * point each defines, and a check that aborts (so both libFuzzer and the
 * replay driver report it) when an invariant of the code under test
 * breaks.
 *
 * A target is tests/fuzz/<target>.c with its seed corpus in
 * tests/fuzz/corpus/<target>/. `make test` builds every target with the
 * project's compiler against tests/fuzz/driver/replay.c and replays its
 * corpus (tests/test_fuzz_corpus.py);
 * `make fuzz` builds them with clang -fsanitize=fuzzer,address and fuzzes
 * each for FUZZ_SECONDS.
 */
#ifndef GDB_FUZZ_H
#define GDB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

#endif
