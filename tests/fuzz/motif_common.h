/*
 * tests/fuzz/motif_common.h - the checks both motif parsers' targets make
 * (motif_jaspar.c, motif_meme.c): counting and filling agree, every
 * motif is well-formed, an error has a message, and the set builder
 * (gdb_motif_set_add) accepts a file only if every motif gives a
 * log-odds matrix.
 */
#ifndef GDB_FUZZ_MOTIF_COMMON_H
#define GDB_FUZZ_MOTIF_COMMON_H

#include <errno.h>
#include <string.h>

#include "common/gdb.h"
#include "motif/motif.h"
#include "tests/fuzz/fuzz.h"

typedef int (*motif_parse_fn)(const char *text, size_t n, gdb_motif *out,
			      size_t cap, char *err, size_t errlen);

#define FUZZ_CAP 8

static inline void fuzz_motif_parser(const uint8_t *data, size_t size,
				     motif_parse_fn parse,
				     enum gdb_motif_format fmt)
{
	static gdb_motif out[FUZZ_CAP];
	const char *text = (const char *)data;
	char err[256];
	gdb_motif_set set = {0};
	int n, k;

	err[0] = 0;
	n = parse(text, size, NULL, 0, err, sizeof(err));
	FUZZ_CHECK(n >= 0 || n == GDB_EFORMAT || n == -ENOMEM);
	FUZZ_CHECK(n >= 0 || (err[0] && memchr(err, 0, sizeof(err))));
	k = parse(text, size, out, FUZZ_CAP, err, sizeof(err));
	FUZZ_CHECK(k == n); /* the count does not depend on the room */
	for (int i = 0; i < (k < FUZZ_CAP ? k : FUZZ_CAP); i++) {
		gdb_pwm pwm;

		FUZZ_CHECK(out[i].len >= 1 && out[i].len <= GDB_PWM_MAXLEN);
		FUZZ_CHECK(memchr(out[i].id, 0, sizeof(out[i].id)) &&
			   memchr(out[i].name, 0, sizeof(out[i].name)));
		(void)gdb_pwm_from_counts(&out[i], NULL, 0.8, &pwm);
	}
	k = gdb_motif_set_add(&set, "fuzz.in", text, size, fmt, err,
			      sizeof(err));
	FUZZ_CHECK(k < 0 ? set.n == 0 && err[0] : (size_t)k == set.n);
	FUZZ_CHECK(k <= 0 || n == k);
	for (size_t i = 0; i < set.n; i++) {
		gdb_pwm pwm;

		FUZZ_CHECK(set.m[i].id[0]);
		FUZZ_CHECK(gdb_pwm_from_counts(&set.m[i], NULL, 0.8, &pwm) ==
			   0);
	}
	gdb_motif_set_free(&set);
}

#endif
