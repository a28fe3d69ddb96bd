/*
 * tests/plugin/bad_plugin.c - plugins the daemon must refuse at mount
 * (tests/test_plugin_mount.py), one per value of BAD:
 *   1 no entry symbol   2 a descriptor of another ABI
 *   3 the built-in name "gc"   4 init refuses with a reason
 */
#include <stddef.h>
#include <stdio.h>

#include "api/genomedb_plugin.h"

static int render(const genomedb_plugin_call *call, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return call->printf(call->host, "%s\n", call->contig);
}

static const genomedb_plugin BADP = {
    .abi = BAD == 2 ? GENOMEDB_PLUGIN_ABI + 1 : GENOMEDB_PLUGIN_ABI,
    .name = BAD == 3 ? "gc" : "bad",
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
