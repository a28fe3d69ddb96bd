/*
 * codecs/qual.c - quality binning: the lossy FASTQ quality modes
 * (docs/FORMAT.md, "Quality modes"). A mode is a table from Phred value to
 * stored value, applied before the qualities are entropy-coded; the mode's
 * canonical text is recorded with the reads so a reader can say what was
 * kept (user.gdb.lossless).
 *
 * No I/O. Threading: reentrant.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/codecs.h"

/* The highest Phred value FASTQ can write (ASCII 126 - 33). */
#define QMAX 93
#define MAX_BOUNDS 32

static void identity(gdb_qual_bins *b)
{
	for (int i = 0; i < 256; i++)
		b->map[i] = (uint8_t)i;
}

/* Illumina's 8-level table; 0-2 (no-call and B-tail markers) are kept. */
static void illumina8(gdb_qual_bins *b)
{
	static const struct {
		uint8_t lo, to;
	} bins[] = {{3, 6},   {10, 15}, {20, 22}, {25, 27},
		    {30, 33}, {35, 37}, {40, 40}};

	identity(b);
	for (int q = 3; q < 256; q++) {
		uint8_t to = 0;
		for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++)
			if (q >= bins[i].lo)
				to = bins[i].to;
		b->map[q] = to;
	}
}

static int parse_bounds(const char *list, gdb_qual_bins *b, char *err,
			size_t errlen)
{
	long bound[MAX_BOUNDS];
	int n = 0, len = 0;
	const char *p = list;

	while (*p) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p || (*end && *end != ',') || v < 1 || v > QMAX ||
		    (n && v <= bound[n - 1]) || n == MAX_BOUNDS) {
			gdb_seterr(
			    err, errlen,
			    "bins=%s: expected 1 to %d strictly "
			    "increasing values in 1..%d, comma-separated",
			    list, MAX_BOUNDS, QMAX);
			return GDB_EFORMAT;
		}
		bound[n++] = v;
		p = *end ? end + 1 : end;
		if (*end && !*p) {
			gdb_seterr(err, errlen, "bins=%s: trailing comma",
				   list);
			return GDB_EFORMAT;
		}
	}
	if (!n) {
		gdb_seterr(err, errlen, "bins=: no bounds given");
		return GDB_EFORMAT;
	}
	identity(b);
	for (int q = (int)bound[0]; q < 256; q++) {
		int k = 0;
		while (k + 1 < n && q >= bound[k + 1])
			k++;
		b->map[q] = (uint8_t)bound[k];
	}
	len = snprintf(b->spec, sizeof(b->spec), "bins=");
	for (int i = 0; i < n; i++)
		len += snprintf(b->spec + len, sizeof(b->spec) - (size_t)len,
				"%s%ld", i ? "," : "", bound[i]);
	return 0;
}

int gdb_codecs_qual_bins_parse(const char *spec, gdb_qual_bins *b, char *err,
			       size_t errlen)
{
	memset(b, 0, sizeof(*b));
	if (!strcmp(spec, "lossless")) {
		identity(b);
		b->lossless = 1;
		snprintf(b->spec, sizeof(b->spec), "lossless");
		return 0;
	}
	if (!strcmp(spec, "illumina8")) {
		illumina8(b);
		snprintf(b->spec, sizeof(b->spec), "illumina8");
		return 0;
	}
	if (!strncmp(spec, "bins=", 5))
		return parse_bounds(spec + 5, b, err, errlen);
	gdb_seterr(err, errlen,
		   "quality mode '%s': expected lossless, illumina8 or "
		   "bins=B1,B2,...",
		   spec);
	return GDB_EFORMAT;
}

void gdb_codecs_qual_bins_apply(const gdb_qual_bins *b, uint8_t *q, size_t n)
{
	if (b->lossless)
		return;
	for (size_t i = 0; i < n; i++)
		q[i] = b->map[q[i]];
}
