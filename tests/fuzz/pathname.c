/*
 * tests/fuzz/pathname.c - libFuzzer target for the path-name grammar
 * (fs/ns/pathname.c): ranges, "@k=v" parameters against a spec of every
 * type, escapes, %XX decoding and file-name splits, each with the property
 * it must keep, not only "does not crash":
 *   - a range that parses lies inside the sequence and is not empty;
 *   - parameters parse (every value in its range) or give -EINVAL with a
 *     message that quotes a key or '@';
 *   - a component that unescapes escapes back to itself (one spelling),
 *     and every name escapes to a component that unescapes to it.
 * A broken property aborts, which libFuzzer and the replay both report.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs/ns/ns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

struct vals {
	int64_t i, j;
	double r;
	int e;
	const char *t;
};

static const gdb_param SPEC[] = {
	{"w", GDB_PARAM_INT, offsetof(struct vals, i), 1, 1 << 20, 1000, NULL},
	{"lim", GDB_PARAM_INT, offsetof(struct vals, j), -64, 64, 0, "all"},
	{"p", GDB_PARAM_REAL, offsetof(struct vals, r), 0, 1, 1e-4, NULL},
	{"dir", GDB_PARAM_ENUM, offsetof(struct vals, e), 0, 0, 0, "out|in"},
	{"type", GDB_PARAM_TEXT, offsetof(struct vals, t), 0, 0, 0, NULL},
};

static void fuzz_range(const char *s, size_t n, int64_t length)
{
	int64_t beg, end;

	if (gdb_path_range(s, n, length, &beg, &end) == 0)
		CHECK(beg >= 0 && beg < end && end <= length);
}

static void fuzz_params(const char *s)
{
	char *text = strdup(s), err[256] = "";
	struct vals v;
	int rc;

	if (!text)
		return;
	rc = gdb_params_parse(SPEC, sizeof(SPEC) / sizeof(SPEC[0]), text, &v,
			      err, sizeof(err));
	if (rc == 0) {
		CHECK(v.i >= 1 && v.i <= 1 << 20);
		CHECK(v.j == INT64_MAX || (v.j >= -64 && v.j <= 64));
		CHECK(v.r >= 0 && v.r <= 1);
		CHECK(v.e == 0 || v.e == 1);
		CHECK(!v.t || *v.t);
	} else {
		CHECK(rc == -EINVAL && strchr(err, '\''));
	}
	free(text);
}

static void fuzz_escapes(const char *s)
{
	char out[GDB_SEQ_NAME_MAX], esc[GDB_SEQ_NAME_MAX], *dec;

	if (gdb_path_unescape(s, out, sizeof(out)) == 0) {
		gdb_path_escape(out, esc);
		CHECK(!strcmp(esc, s));
	}
	if (strlen(s) <= GDB_NAME_MAX && *s) {
		gdb_path_escape(s, esc);
		CHECK(gdb_path_unescape(esc, out, sizeof(out)) == 0 &&
		      !strcmp(out, s));
	}
	dec = strdup(s);
	if (dec && gdb_path_decode(dec) == 0)
		CHECK(strlen(dec) <= strlen(s));
	free(dec);
}

static void fuzz_split(const char *s)
{
	char *name = strdup(s), *stem, *params;

	if (name && gdb_path_split(name, ".tsv", &stem, &params) == 0) {
		CHECK(!strchr(stem, '@'));
		CHECK(strlen(stem) + (params ? strlen(params) + 1 : 0) + 4 ==
		      strlen(s));
	}
	free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	int64_t length = 1;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	/* the first bytes choose a sequence length for the range */
	for (size_t i = 0; i < size && i < 3; i++)
		length = length * 251 + data[i];
	fuzz_range(s, strlen(s), length);
	fuzz_range(s, strlen(s), INT64_MAX);
	fuzz_params(s);
	fuzz_escapes(s);
	fuzz_split(s);
	free(s);
	return 0;
}
