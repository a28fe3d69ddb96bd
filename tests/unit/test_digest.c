/*
 * tests/unit/test_digest.c - the import's record digests (seq/digest.c):
 * with the digests on their own threads and on the caller's thread, every
 * record's MD5 and SHA-512 equal OpenSSL's one-shot digest of the
 * upper-cased bases, whatever the record's length against the hand-off
 * size (256 KiB) and the ring (8 of them), however the bases are cut into
 * calls, and records back to back; the threads run only when asked for;
 * freeing in the middle of a record returns.
 *
 * Exit status: 0 pass, 1 fail (the first failures are printed).
 */
#include <ctype.h>
#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seq/seq_int.h"

#define UNIT_SEED 0x6469676573745f74ull
#include "tests/unit/unit.h"

#define HAND (256u << 10)

static unsigned threads_now(void)
{
	DIR *d = opendir("/proc/self/task");
	unsigned n = 0;

	if (!d)
		return 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 2; /* . and .. */
}

/* Bases in mixed case, with N and IUPAC letters now and then. */
static void fill(char *p, size_t n)
{
	static const char letters[] = "ACGTacgtNnRy";

	for (size_t i = 0; i < n; i++)
		p[i] = letters[rnd() % (sizeof(letters) - 1)];
}

static void expect(const char *p, size_t n, uint8_t md5[16], uint8_t sha[64])
{
	char *up = xmalloc(n + 1);
	unsigned int l;

	for (size_t i = 0; i < n; i++)
		up[i] = (char)toupper((unsigned char)p[i]);
	CHECK(EVP_Digest(up, n, md5, &l, EVP_md5(), NULL), "md5");
	CHECK(EVP_Digest(up, n, sha, &l, EVP_sha512(), NULL), "sha512");
	free(up);
}

/* One record of n bases, fed in pieces of up to `piece` bytes. */
static void check_record(gdb_digester *d, size_t n, size_t piece,
			 unsigned threads)
{
	char *p = xmalloc(n + 1);
	uint8_t md5[16], sha[64], want_md5[16], want_sha[64];
	size_t at = 0;

	fill(p, n);
	while (at < n) {
		size_t k = 1 + rnd() % piece;
		if (k > n - at)
			k = n - at;
		CHECK(gdb_digester_add(d, p + at, k) == 0, "add");
		at += k;
	}
	CHECK(gdb_digester_end(d, md5, sha) == 0, "end");
	expect(p, n, want_md5, want_sha);
	CHECK(!memcmp(md5, want_md5, 16), "threads %u: %zu bases: MD5 differs",
	      threads, n);
	CHECK(!memcmp(sha, want_sha, 64),
	      "threads %u: %zu bases: SHA-512 differs", threads, n);
	free(p);
}

int main(void)
{
	static const size_t lens[] = {1,
				      22,
				      1000,
				      HAND - 1,
				      HAND,
				      HAND + 1,
				      3 * HAND + 17,
				      8 * HAND,
				      9 * HAND + 1,
				      20 * HAND + 5,
				      65536,
				      1};
	static const unsigned modes[] = {1, 2};

	for (size_t m = 0; m < 2; m++) {
		unsigned before = threads_now(), threads = modes[m];
		gdb_digester *d;

		if (gdb_digester_new(threads, &d)) {
			FAIL("digester_new(%u)", threads);
			continue;
		}
		CHECK(threads_now() == before + (threads == 1 ? 0 : 2),
		      "threads %u: %u threads started", threads,
		      threads_now() - before);
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			check_record(d, lens[i], 1 << 20, threads);
			check_record(d, lens[i], 4096, threads);
		}
		for (int i = 0; i < 200; i++) /* short ones back to back */
			check_record(d, 1 + rnd() % 3000, 700, threads);
		gdb_digester_free(d);
		CHECK(threads_now() == before, "threads %u: threads left",
		      threads);
	}
	{
		/* freed in the middle of a long record: returns, no leak */
		gdb_digester *d;
		char *p = xmalloc(5 * HAND);

		fill(p, 5 * HAND);
		if (gdb_digester_new(2, &d) == 0) {
			CHECK(gdb_digester_add(d, p, 5 * HAND) == 0, "add");
			gdb_digester_free(d);
		} else {
			FAIL("digester_new(2)");
		}
		free(p);
	}
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
