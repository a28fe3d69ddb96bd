/*
 * tests/unit/test_digest.c - the import's record digests (seq/digest.c):
 * with the digests on their own threads and on the caller's thread, every
 * record's MD5 and SHA-512 equal OpenSSL's one-shot digest of the
 * upper-cased bases, whatever the record's length against the hand-off
 * size (256 KiB) and the ring (8 of them), however the bases are cut into
 * calls, and records back to back; the threads run only when asked for;
 * freeing in the middle of a record returns.
 *
 * The input file's SHA-256 (provenance, seq/source.c), written straight
 * into the ring: equal to OpenSSL's of the raw bytes with the hasher on a
 * thread and inline, written in pieces of any size; and read through
 * gdb_src (plain and gzip, larger than the ring), the bytes handed out are
 * the file's (the ring never overwrites what the reader still reads) and
 * the SHA-256 is the file's on disk.
 *
 * Exit status: 0 pass, 1 fail (the first failures are printed).
 */
#include <ctype.h>
#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

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

/* n raw bytes through a SHA-256 digester, written into its room in
 * pieces of up to `piece` bytes. */
static void check_raw(gdb_digester *d, size_t n, size_t piece, unsigned threads)
{
	char *p = xmalloc(n + 1);
	uint8_t got[32], want[32], *const out[] = {got};
	unsigned int l;
	size_t at = 0;

	for (size_t i = 0; i < n; i++)
		p[i] = (char)rnd();
	while (at < n) {
		size_t cap, k = 1 + rnd() % piece;
		char *to = gdb_digester_room(d, &cap);
		CHECK(cap >= 1 && cap <= HAND, "room of %zu bytes", cap);
		if (k > cap)
			k = cap;
		if (k > n - at)
			k = n - at;
		memcpy(to, p + at, k);
		gdb_digester_commit(d, k);
		at += k;
	}
	CHECK(gdb_digester_final(d, out) == 0, "final");
	CHECK(EVP_Digest(p, n, want, &l, EVP_sha256(), NULL), "sha256");
	CHECK(!memcmp(got, want, 32), "threads %u: %zu bytes: SHA-256 differs",
	      threads, n);
	free(p);
}

static void check_sha256_ring(void)
{
	static const size_t lens[] = {0,	1,	  HAND - 1,	HAND,
				      HAND + 1, 9 * HAND, 17 * HAND + 3};

	for (unsigned threads = 1; threads <= 2; threads++) {
		unsigned before = threads_now();
		gdb_digester *d;

		if (gdb_digester_new_sha256(threads, &d)) {
			FAIL("digester_new_sha256(%u)", threads);
			continue;
		}
		CHECK(threads_now() == before + (threads == 1 ? 0 : 1),
		      "threads %u: %u threads started", threads,
		      threads_now() - before);
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			check_raw(d, lens[i], 1 << 20, threads);
			check_raw(d, lens[i], 5000, threads);
		}
		gdb_digester_free(d);
		CHECK(threads_now() == before, "threads %u: threads left",
		      threads);
	}
}

/* A file of n bytes (gzip-compressed when gz) at path; its raw bytes. */
static char *write_input(const char *path, const char *text, size_t n, int gz,
			 size_t *raw_len)
{
	FILE *f;
	char *raw;

	if (gz) {
		gzFile g = gzopen(path, "wb1");
		CHECK(g && gzwrite(g, text, (unsigned)n) == (int)n, "gzwrite");
		if (g)
			gzclose(g);
	} else {
		f = fopen(path, "wb");
		CHECK(f && fwrite(text, 1, n, f) == n, "write %s", path);
		if (f)
			fclose(f);
	}
	f = fopen(path, "rb");
	raw = xmalloc(n + 64);
	*raw_len = f ? fread(raw, 1, n + 64, f) : 0;
	if (f)
		fclose(f);
	return raw;
}

/* gdb_src on threads and inline: the content and the raw SHA-256. */
static void check_source(void)
{
	char path[] = "/tmp/gdb-test-digest-XXXXXX";
	size_t n = 20 * HAND + 12345, raw_len;
	char *text = xmalloc(n), *back = xmalloc(n + 1);
	int fd = mkstemp(path);

	CHECK(fd >= 0, "mkstemp");
	if (fd < 0)
		return;
	close(fd);
	fill(text, n); /* bases: gzip shrinks them, so the raw side is short */
	for (int gz = 0; gz <= 1; gz++) {
		char *raw = write_input(path, text, n, gz, &raw_len);
		uint8_t want[32], got[32];
		unsigned int l;

		CHECK(EVP_Digest(raw, raw_len, want, &l, EVP_sha256(), NULL),
		      "sha256");
		for (unsigned threads = 1; threads <= 2; threads++) {
			char err[256] = "";
			gdb_src *s;
			size_t at = 0;
			ssize_t k;

			if (gdb_src_open_threads(path, threads, &s, err,
						 sizeof(err))) {
				FAIL("open: %s", err);
				continue;
			}
			for (;;) {
				size_t want_k = 1 + rnd() % 70000;
				if (want_k > n + 1 - at)
					want_k = n + 1 - at;
				k = gdb_src_read(s, back + at, want_k, err,
						 sizeof(err));
				if (k <= 0)
					break;
				at += (size_t)k;
			}
			CHECK(k == 0, "read: %s", err);
			CHECK(at == n && !memcmp(back, text, n),
			      "gz %d threads %u: content differs", gz, threads);
			CHECK(gdb_src_raw_bytes(s) == raw_len, "raw bytes");
			gdb_src_sha256(s, got);
			CHECK(!memcmp(got, want, 32),
			      "gz %d threads %u: SHA-256 differs", gz, threads);
			gdb_src_close(s);
		}
		free(raw);
	}
	unlink(path);
	free(text);
	free(back);
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
	check_sha256_ring();
	check_source();
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
