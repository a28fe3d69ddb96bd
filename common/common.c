/*
 * common/common.c - error strings, the rule for object names, and the
 * leveled log. The log is the only place library code reaches stderr, and
 * only through the default sink.
 */
#include "gdb.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int gdb_name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (!n || n > max || s[0] == '.' || s[0] == '@')
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '/' || s[i] == 0x7f ||
		    s[i] == ',')
			return 0;
	return 1;
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
	static const char *const names[] = {"error", "warning", "info",
					    "debug"};
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

void *gdb_buf_room(gdb_buf *b, size_t n)
{
	if (b->err)
		return NULL;
	if (b->max && b->len + n > b->max) {
		b->err = -EFBIG;
		return NULL;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		char *p;
		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	b->len += n;
	return b->p + b->len - n;
}

void gdb_buf_add(gdb_buf *b, const void *src, size_t n)
{
	void *p;

	if (!n)
		return; /* nothing to add, and no NULL + 0 on an empty buffer */
	p = gdb_buf_room(b, n);
	if (p)
		memcpy(p, src, n);
}

void gdb_buf_printf(gdb_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = b->err ? b->err : -EINVAL;
		return;
	}
	/* room for the terminator vsnprintf writes, then drop it */
	p = gdb_buf_room(b, (size_t)n + 1);
	if (!p)
		return;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len--;
}

void gdb_buf_free(gdb_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- varints (docs/FORMAT.md "Sequence index": LEB128) ---- */

void gdb_put_varint(gdb_buf *b, uint64_t v)
{
	uint8_t t[10];
	size_t n = 0;

	do {
		t[n] = (uint8_t)(v & 127);
		v >>= 7;
		if (v)
			t[n] |= 128;
		n++;
	} while (v);
	gdb_buf_add(b, t, n);
}

int gdb_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *q = *p;
	uint64_t r = 0;

	for (int shift = 0; shift < 64 && q < end; shift += 7) {
		uint8_t c = *q++;
		if (shift == 63 && c > 1)
			return -1;
		r |= (uint64_t)(c & 127) << shift;
		if (!(c & 128)) {
			/* one spelling: no trailing zero groups */
			if (c == 0 && shift)
				return -1;
			*p = q;
			*v = r;
			return 0;
		}
	}
	return -1;
}
