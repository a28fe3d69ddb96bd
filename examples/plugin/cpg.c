/*
 * examples/plugin/cpg.c - a GenomeDB plugin (api/genomedb_plugin.h):
 * CpG observed/expected ratio in windows of any region, served at
 *
 *   /compute/cpg/<asm>/<contig>/<start>-<end>[@w=N,step=N].tsv
 *
 * one line a window: chrom, start, end (1-based inclusive), the counts of
 * C, G and CpG dinucleotides inside the window (case ignored), and
 * CpG * length / (C * G) (Gardiner-Garden & Frommer 1987), "NA" when
 * there is no C or no G. w defaults to the whole region, step to w; the
 * last window may be shorter. Build: see examples/plugin/README.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/genomedb_plugin.h"

#define MAX_BASES ((int64_t)64 << 20)

struct params {
	long long w, step; /* 0: the whole region; 0: w */
};

static int set_err(char *err, size_t errlen, const char *fmt, const char *a)
{
	snprintf(err, errlen, fmt, a);
	return -EINVAL;
}

/* One "key=value" of the parameters. */
static int parse_item(char *item, struct params *p, char *err, size_t errlen)
{
	char *eq = strchr(item, '='), *end;
	long long v;

	if (!eq)
		return set_err(err, errlen,
			       "parameter '%s': expected key=value", item);
	*eq = 0;
	v = strtoll(eq + 1, &end, 10);
	if (end == eq + 1 || *end || v < 1 || v > MAX_BASES)
		return set_err(err, errlen,
			       "parameter '%s': not an integer in 1..67108864",
			       item);
	if (!strcmp(item, "w"))
		p->w = v;
	else if (!strcmp(item, "step"))
		p->step = v;
	else
		return set_err(err, errlen, "unknown parameter '%s' (w, step)",
			       item);
	return 0;
}

static int cpg_parse(const char *text, void **out, char *err, size_t errlen)
{
	struct params *p = calloc(1, sizeof(*p));
	char *copy = text ? strdup(text) : NULL, *save = NULL;
	int rc = 0;

	if (!p || (text && !copy)) {
		free(p);
		free(copy);
		return -ENOMEM;
	}
	for (char *it = copy ? strtok_r(copy, ",", &save) : NULL; it && !rc;
	     it = strtok_r(NULL, ",", &save))
		rc = parse_item(it, p, err, errlen);
	free(copy);
	if (rc < 0) {
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

/* Counts of one window of .u8 codes (A0 C1 G2 T3, case folded). */
static int window(const genomedb_plugin_call *call, const unsigned char *b,
		  int64_t from, int64_t n)
{
	long long c = 0, g = 0, cg = 0;

	for (int64_t i = 0; i < n; i++) {
		c += b[i] == 1;
		g += b[i] == 2;
		cg += i + 1 < n && b[i] == 1 && b[i + 1] == 2;
	}
	if (c == 0 || g == 0)
		return call->printf(call->host,
				    "%s\t%lld\t%lld\t%lld\t%lld\t%lld\tNA\n",
				    call->contig, (long long)from + 1,
				    (long long)(from + n), c, g, cg);
	return call->printf(
	    call->host, "%s\t%lld\t%lld\t%lld\t%lld\t%lld\t%.6f\n",
	    call->contig, (long long)from + 1, (long long)(from + n), c, g, cg,
	    (double)cg * (double)n / ((double)c * (double)g));
}

static int cpg_render(const genomedb_plugin_call *call, char *err,
		      size_t errlen)
{
	const struct params *p = call->params;
	int64_t len = call->end - call->beg;
	int64_t w = p->w ? p->w : len, step = p->step ? p->step : w;
	unsigned char *b;
	int rc;

	if (call->protein) {
		snprintf(err, errlen,
			 "%s: assembly '%s' is protein; cpg needs DNA",
			 call->path, call->assembly);
		return -EINVAL;
	}
	b = malloc(len ? (size_t)len : 1);
	if (!b)
		return -ENOMEM;
	rc = call->fetch(call->host, call->beg, call->end, GENOMEDB_PLUGIN_U8,
			 b);
	if (rc == 0)
		rc = call->printf(call->host,
				  "chrom\tstart\tend\tC\tG\tCpG\tobs_exp\n");
	for (int64_t at = 0; rc == 0 && at < len; at += step) {
		rc = window(call, b + at, call->beg + at,
			    at + w < len ? w : len - at);
		if (at + w >= len)
			break; /* the last window reached the end */
	}
	free(b);
	return rc;
}

static const genomedb_plugin CPG = {
    .abi = GENOMEDB_PLUGIN_ABI,
    .name = "cpg",
    .ext = ".tsv",
    .summary = "CpG observed/expected in windows",
    .max_bases = MAX_BASES,
    .parse = cpg_parse,
    .free_params = free,
    .render = cpg_render,
};

/* The one exported symbol (GENOMEDB_PLUGIN_ENTRY). */
const genomedb_plugin *genomedb_plugin_init(uint32_t host_abi, char *err,
					    size_t errlen);
const genomedb_plugin *genomedb_plugin_init(uint32_t host_abi, char *err,
					    size_t errlen)
{
	if (host_abi != GENOMEDB_PLUGIN_ABI) {
		snprintf(err, errlen, "built for ABI %u, the daemon serves %u",
			 GENOMEDB_PLUGIN_ABI, host_abi);
		return NULL;
	}
	return &CPG;
}
