/*
 * tools/source.c - the tool_src names the importers in tools/ use, over
 * the library's input reader (seq/seq.h, gdb_src_*), which now does the
 * work so the same imports are callable from C and Python.
 */
#include "tools/tools.h"

int tool_src_open(const char *path, tool_src **out, char *err, size_t errlen)
{
	return gdb_src_open(path, out, err, errlen);
}

ssize_t tool_src_read(tool_src *s, char *buf, size_t cap, char *err,
		      size_t errlen)
{
	return gdb_src_read(s, buf, cap, err, errlen);
}

int tool_src_read_all(tool_src *s, size_t max, char **out, size_t *len,
		      char *err, size_t errlen)
{
	return gdb_src_read_all(s, max, out, len, err, errlen);
}

uint64_t tool_src_raw_bytes(const tool_src *s)
{
	return gdb_src_raw_bytes(s);
}

uint64_t tool_src_total_bytes(const tool_src *s)
{
	return gdb_src_total_bytes(s);
}

void tool_src_sha256(tool_src *s, uint8_t out[32])
{
	gdb_src_sha256(s, out);
}

void tool_src_close(tool_src *s)
{
	gdb_src_close(s);
}

void tool_src_provenance(tool_src *s, const char *target, const char *path,
			 gdb_provenance *p)
{
	gdb_src_provenance(s, target, path, tool_cmdline, p);
}
