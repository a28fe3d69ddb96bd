/*
 * common/gdb.h - what every GenomeDB module shares: error codes, logging,
 * little-endian field access and the two result macros.
 *
 * This header has no dependencies beyond libc and is the only one every
 * module may include. It holds no state except the log sink.
 *
 * Conventions (STYLE.md): functions return 0 (or a count) on success and a
 * negative errno on failure; project-specific conditions use the reserved
 * range below GDB_EBASE so they can never collide with an errno value.
 *
 * Threading: gdb_log() may be called from any thread; the sink is set once
 * at start-up by gdb_log_set_sink() before threads are started.
 */
#ifndef GDB_COMMON_H
#define GDB_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GDB_MUST_CHECK __attribute__((warn_unused_result))
#define GDB_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Project error codes: negative, far below any errno (errno < 4096). */
#define GDB_EBASE (-30000)
#define GDB_ECORRUPT (GDB_EBASE - 1)  /* structure on disk is invalid */
#define GDB_ECHECKSUM (GDB_EBASE - 2) /* a CRC32C did not match */
#define GDB_EVERSION (GDB_EBASE - 3)  /* format version not understood */
#define GDB_EFORMAT (GDB_EBASE - 4)   /* bad user input (FASTA, region) */
#define GDB_ELOCKED (GDB_EBASE - 5)   /* another writer holds the store */
#define GDB_ELAST (GDB_EBASE - 6)

/*
 * gdb_strerror - text for a result code.
 * @param rc  a negative result (errno or GDB_E*); 0 gives "success"
 * @return    a static string; never NULL
 */
const char *gdb_strerror(int rc);

/*
 * gdb_name_ok - may s name a store's object (a network, a motif, variant
 * or annotation set)? 1 to max bytes, no blanks, '/',
 * ',' or control characters, not starting with '.' or '@' (names appear
 * in paths, and as @<name> in them).
 */
int gdb_name_ok(const char *s, size_t max);

/* Return early from the enclosing function on a negative result. */
#define GDB_TRY(expr)                                                          \
	do {                                                                   \
		int gdb_try_rc_ = (expr);                                      \
		if (gdb_try_rc_ < 0)                                           \
			return gdb_try_rc_;                                    \
	} while (0)

enum gdb_log_level {
	GDB_LOG_ERROR = 0,
	GDB_LOG_WARN = 1,
	GDB_LOG_INFO = 2,
	GDB_LOG_DEBUG = 3,
};

/* A sink receives one formatted line without a trailing newline. */
typedef void (*gdb_log_sink)(enum gdb_log_level level, const char *line);

/*
 * gdb_log_set_sink - route library diagnostics. NULL restores the default,
 * which writes "genomedb: <level>: <line>" to stderr for levels up to the
 * current threshold. Call before starting threads.
 */
void gdb_log_set_sink(gdb_log_sink sink);
void gdb_log_set_level(enum gdb_log_level max_level);
void gdb_log(enum gdb_log_level level, const char *fmt, ...) GDB_PRINTF(2, 3);

/*
 * GDB_CORRUPT - log a corruption with the source location that detected it
 * (SQLite's SQLITE_CORRUPT_BKPT) and evaluate to GDB_ECORRUPT.
 */
int gdb_corrupt_at(const char *file, int line, const char *what);
#define GDB_CORRUPT(what) gdb_corrupt_at(__FILE__, __LINE__, (what))

/* Write a one-line message into a caller buffer (may be NULL/0). */
void gdb_seterr(char *err, size_t errlen, const char *fmt, ...)
    GDB_PRINTF(3, 4);

/*
 * gdb_buf - a growing byte buffer for building files in memory (manifests,
 * indexes, rendered text). The first failure sticks: later calls do
 * nothing and err says why (-ENOMEM, or -EFBIG past max when max is set),
 * so callers check once at the end.
 */
typedef struct gdb_buf {
	char *p; /* owned; free with gdb_buf_free() */
	size_t len, cap;
	size_t max; /* 0: no limit */
	int err;
} gdb_buf;

/* Append n uninitialised bytes; returns them, or NULL after a failure. */
void *gdb_buf_room(gdb_buf *b, size_t n);
void gdb_buf_add(gdb_buf *b, const void *src, size_t n);
void gdb_buf_printf(gdb_buf *b, const char *fmt, ...) GDB_PRINTF(2, 3);
void gdb_buf_free(gdb_buf *b);

/* Little-endian fixed-width fields; safe on unaligned pointers. */
static inline uint16_t gdb_get_le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | (b[1] << 8));
}
static inline uint32_t gdb_get_le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
	       ((uint32_t)b[3] << 24);
}
static inline uint64_t gdb_get_le64(const void *p)
{
	const uint8_t *b = p;
	return (uint64_t)gdb_get_le32(b) |
	       ((uint64_t)gdb_get_le32(b + 4) << 32);
}
static inline void gdb_put_le16(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}
static inline void gdb_put_le32(void *p, uint32_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}
static inline void gdb_put_le64(void *p, uint64_t v)
{
	gdb_put_le32(p, (uint32_t)v);
	gdb_put_le32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

/*
 * Unsigned LEB128 varints (7 bits a byte, low group first, high bit: more
 * follows). gdb_get_varint accepts only the one shortest spelling of a
 * value and at most 64 bits; it advances *p past the varint.
 * @return 0, or -1 (truncated, too long, or not the shortest spelling)
 */
void gdb_put_varint(gdb_buf *b, uint64_t v);
int gdb_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);

#endif
