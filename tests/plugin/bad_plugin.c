/*
 * tests/plugin/bad_plugin.c - plugins the daemon must refuse
 * (tests/test_plugin_mount.py), one per value of BAD. At mount:
 *   1 no entry symbol   2 a descriptor of another ABI
 *   3 the built-in name "gc"   4 init refuses with a reason
 * and at a read: 5 ("fickle") renders the same region to other bytes of
 * the same length each time (against the ABI's rule), so an answer the
 * daemon dropped and computes again differs from what it served: the
 * read must fail with EIO, never give the new bytes.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "api/genomedb_plugin.h"

#if BAD == 5
/* 24 lines of 64 KiB, each the digit of this call (1.5 MiB: answers of
 * 1 MiB or more are dropped once read whole) */
static int render(const genomedb_plugin_call *call, char *err, size_t errlen)
{
	static unsigned calls;
	unsigned digit = __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED) % 10;
	char line[65536];
	int k, rc = 0;

	(void)err;
	(void)errlen;
	memset(line, '0' + (int)digit, sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	for (k = 0; k < 24 && !rc; k++)
		rc = call->write(call->host, line, sizeof(line));
	return rc;
}
#else
static int render(const genomedb_plugin_call *call, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return call->printf(call->host, "%s\n", call->contig);
}
#endif

static const genomedb_plugin BADP = {
    .abi = BAD == 2 ? GENOMEDB_PLUGIN_ABI + 1 : GENOMEDB_PLUGIN_ABI,
    .name = BAD == 3   ? "gc"
	    : BAD == 5 ? "fickle"
		       : "bad",
    .ext = ".txt",
    .render = render,
};

#if BAD == 1
const genomedb_plugin *not_the_entry(uint32_t host_abi);
const genomedb_plugin *not_the_entry(uint32_t host_abi)
{
	return host_abi ? &BADP : NULL;
}
#else
const genomedb_plugin *genomedb_plugin_init(uint32_t host_abi, char *err,
					    size_t errlen);
const genomedb_plugin *genomedb_plugin_init(uint32_t host_abi, char *err,
					    size_t errlen)
{
	if (BAD == 4) {
		snprintf(err, errlen, "needs a licence file (host ABI %u)",
			 host_abi);
		return NULL;
	}
	return &BADP;
}
#endif
