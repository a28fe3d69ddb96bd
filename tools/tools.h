/*
 * tools/tools.h - pieces shared by the genomedb command's subcommands.
 * Internal to tools/: nothing outside this folder includes it.
 */
#ifndef GDB_TOOLS_H
#define GDB_TOOLS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/gdb.h"
#include "seq/seq.h"
#include "store/store.h"

/* Exit codes of the genomedb command. */
#define EXIT_OK 0
#define EXIT_FAIL 1 /* runtime error, or damage found by verify */
#define EXIT_USAGE 2

/*
 * tool_help_asked - 1 when -h or --help stands in option position after
 * argv[0]: the command then prints its usage on stdout and exits 0. The
 * argument after one of the options named in valued (NULL-terminated, or
 * NULL for none) is that option's value, never a help request: `--set -h`
 * names a set "-h" (and then fails or runs as that name would).
 */
static inline int tool_help_asked(int argc, char **argv,
				  const char *const *valued)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
		for (const char *const *v = valued; v && *v; v++)
			if (!strcmp(argv[i], *v)) {
				i++; /* its value */
				break;
			}
	}
	return 0;
}

/* Print "genomedb: <msg>" to stderr. */
void tool_err(const char *fmt, ...) GDB_PRINTF(1, 2);

/*
 * tool_fail_at - write "PATH:LINE: <msg>" into err (an importer's error for
 * bad input; the caller prints it after undoing its transaction).
 * @return -1, so parsers can `return tool_fail_at(...)`
 */
int tool_fail_at(char *err, size_t errlen, const char *path, uint64_t line,
		 const char *fmt, ...) GDB_PRINTF(5, 6);

/*
 * An input file, plain or gzip/bgzip: the library's gdb_src (seq/seq.h)
 * under the names the importers in tools/ use.
 */
typedef gdb_src tool_src;

int tool_src_open(const char *path, tool_src **out, char *err, size_t errlen);
/* @return bytes (0 at the end), or -1 with a message naming the file. */
ssize_t tool_src_read(tool_src *s, char *buf, size_t cap, char *err,
		      size_t errlen);
/*
 * tool_src_read_all - the rest of s, decompressed, in one buffer.
 * @param out  out: malloc'd, NUL-terminated after *len bytes; caller frees
 * @return 0; -EFBIG beyond max bytes, -ENOMEM, -EIO (read error): the
 *         message, naming the file, is in err
 */
int tool_src_read_all(tool_src *s, size_t max, char **out, size_t *len,
		      char *err, size_t errlen);
uint64_t tool_src_raw_bytes(const tool_src *s);
uint64_t tool_src_total_bytes(const tool_src *s);
void tool_src_sha256(tool_src *s, uint8_t out[32]);
void tool_src_close(tool_src *s);

/*
 * tool_src_provenance - the provenance of an import of s (read to its end)
 * into target: source = path, its size and SHA-256 on disk, the command
 * line, the time (SOURCE_DATE_EPOCH when set). Strings are borrowed.
 */
void tool_src_provenance(tool_src *s, const char *target, const char *path,
			 gdb_provenance *p);

/*
 * tool_commit - record the import's provenance (one entry per source
 * file) and commit. The transaction is consumed whatever happens (*t is
 * NULL after). @return 0, or -1 with the error printed
 */
int tool_commit(gdb_txn **t, const gdb_provenance *prov, int nprov,
		uint64_t *generation);

/*
 * tool_txn_begin - begin an import's transaction with the options every
 * import type shares (`--replace`, taken out of argv by cmd_import into
 * tool_txn_flags). Same results as gdb_txn_begin_flags.
 */
int tool_txn_begin(const char *store, gdb_txn **t, char *err, size_t errlen);
extern unsigned tool_txn_flags;

/* Seconds since an arbitrary start (CLOCK_MONOTONIC). */
double tool_now(void);

int cmd_init(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_import_fasta(int argc, char **argv);
int cmd_import_graph(int argc, char **argv);
int cmd_import_motifs(int argc, char **argv);
int cmd_import_vcf(int argc, char **argv);
int cmd_export_vcf(int argc, char **argv);
int cmd_import_annotations(int argc, char **argv);
int cmd_import_reads(int argc, char **argv);
int cmd_export_reads(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_drop(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_mount(int argc, char **argv);
int cmd_ctl(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* The whole command line, for provenance (set by main). */
extern char *tool_cmdline;

#endif
