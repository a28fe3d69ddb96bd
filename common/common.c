/*
 * common/common.c - error strings and the leveled log. The log is the only
 * place library code reaches stderr, and only through the default sink.
 */
#include "gdb.h"

#include <stdarg.h>
#include <stdio.h>

static gdb_log_sink log_sink;
static enum gdb_log_level log_max = GDB_LOG_WARN;

const char *gdb_strerror(int rc)
{
	switch (rc) {
	case 0:
		return "success";
	case GDB_ECORRUPT:
		return "store is corrupt";
	case GDB_ECHECKSUM:
		return "checksum mismatch";
	case GDB_EVERSION:
		return "unsupported format version";
	case GDB_EFORMAT:
		return "malformed input";
	case GDB_ELOCKED:
		return "store is locked by another writer";
	default:
		break;
	}
	if (rc < 0 && rc > -4096)
		return strerror(-rc);
	return "unknown error";
}

void gdb_log_set_sink(gdb_log_sink sink)
{
	log_sink = sink;
}

void gdb_log_set_level(enum gdb_log_level max_level)
{
	log_max = max_level;
}

void gdb_log(enum gdb_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	char line[1024];
	va_list ap;

	if (level > log_max && !log_sink)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_sink) {
		log_sink(level, line);
		return;
	}
	fprintf(stderr, "genomedb: %s: %s\n", names[level], line);
}

int gdb_corrupt_at(const char *file, int line, const char *what)
{
	gdb_log(GDB_LOG_ERROR, "corruption detected at %s:%d: %s", file, line,
		what);
	return GDB_ECORRUPT;
}

void gdb_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
