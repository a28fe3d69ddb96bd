/*
 * seq/seq.h - sequences in and out of a store: the input-file reader
 * every importer shares (plain, gzip or bgzip, hashed for provenance),
 * the FASTA importer (a streaming parser feeding a store transaction) and
 * the exact FASTA exporter.
 *
 * Exactness: the importer records, beside each record's bases, how its
 * lines were laid out (line lengths as runs, CRLF, blank lines, blanks
 * inside sequence lines, a missing final newline, bytes before the first
 * header). The exporter replays that layout, so exporting an assembly
 * without regions gives the imported FASTA back byte for byte. The
 * layout's bytes are specified in docs/FORMAT.md, "Record layout"; a
 * record laid out the common way (one line width, LF, final newline,
 * nothing else) stores no layout at all.
 *
 * Names follow samtools faidx: blanks after '>' are skipped, the name is
 * the first word, the description the rest of the line from the blank
 * that ended the name. Blanks inside sequence lines (GenBank-style blocks
 * of ten) are skipped, as samtools and Biopython skip them.
 *
 * No printing here: errors come back as "FILE:LINE: reason" in err.
 *
 * Threading: every object here belongs to one thread.
 */
#ifndef GDB_SEQ_H
#define GDB_SEQ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/gdb.h"
#include "store/store.h"

/* ---- input files ---- */

/*
 * An input file, plain or gzip/bgzip (detected by magic), read in
 * decompressed chunks while its raw bytes are hashed (SHA-256, for
 * provenance) and counted (for progress).
 */
typedef struct gdb_src gdb_src;

/* @return 0, or -errno with "PATH: reason" in err (nothing opened). */
GDB_MUST_CHECK int gdb_src_open(const char *path, gdb_src **out, char *err,
				size_t errlen);
/* The same, the SHA-256 on a thread of its own unless threads is 1 (0:
 * when there are 2+ CPUs); gdb_src_open is threads 1. The digest is the
 * same either way. */
GDB_MUST_CHECK int gdb_src_open_threads(const char *path, unsigned threads,
					gdb_src **out, char *err,
					size_t errlen);
/* @return bytes (0 at the end), or -1 with a message naming the file. */
ssize_t gdb_src_read(gdb_src *s, char *buf, size_t cap, char *err,
		     size_t errlen);
/*
 * gdb_src_read_all - the rest of s, decompressed, in one buffer.
 * @param out  out: malloc'd, NUL-terminated after *len bytes; caller frees
 * @return 0; -EFBIG beyond max bytes, -ENOMEM, -EIO (read error): the
 *         message, naming the file, is in err
 */
GDB_MUST_CHECK int gdb_src_read_all(gdb_src *s, size_t max, char **out,
				    size_t *len, char *err, size_t errlen);
/* Raw (on-disk) bytes consumed so far, and the file's size. */
uint64_t gdb_src_raw_bytes(const gdb_src *s);
uint64_t gdb_src_total_bytes(const gdb_src *s);
/* Decompressed bytes handed out so far. */
uint64_t gdb_src_out_bytes(const gdb_src *s);
void gdb_src_sha256(gdb_src *s, uint8_t out[32]);
/* Close; NULL does nothing. */
void gdb_src_close(gdb_src *s);

/*
 * gdb_src_provenance - the provenance of an import of s (read to its end)
 * into target: source = path, its size and SHA-256 on disk, the command
 * line, the time (SOURCE_DATE_EPOCH when set). Strings are borrowed.
 */
void gdb_src_provenance(gdb_src *s, const char *target, const char *path,
			const char *command, gdb_provenance *p);

/* ---- FASTA import ---- */

typedef struct gdb_fasta_opts {
	int zstd_level;	      /* 2bit: 0 = never; else tried on each block */
	uint32_t alphabet;    /* GDB_ALPHA_*; 0: detected by content (the
			       * first 64 Ki residues) */
	uint32_t codec;	      /* GDB_CODEC_*; 0: the alphabet's default */
	unsigned lossy;	      /* GDB_LOSSY_*: transforms applied before
			       * storing (never by default) */
	uint32_t block_bases; /* 0: the codec's default */
	uint32_t cm_train, cm_table_bits, cm_orders, cm_restart,
	    cm_match;		 /* cm: see
				  * gdb_codec_params (0: defaults) */
	const char *relative_to; /* cm: NULL, or a stored DNA assembly the
				  * models and matches come from (its
				  * blocks are then needed to read this
				  * one; cm_match 0 means 20 here) */
	unsigned txn_flags;	 /* GDB_TXN_REPLACE or 0 */
	unsigned threads;	 /* 1: all on the caller's thread; 0 (with 2+
				  * CPUs) or more: the digests on threads of
				  * their own, two for the records' MD5 and
				  * SHA-512, one for the input's SHA-256 (the
				  * same bytes are stored) */
	const char *command;	 /* for provenance; NULL: "genomedb import" */
	/* called now and then with raw bytes read and the file's size */
	void (*progress)(void *arg, uint64_t raw, uint64_t total);
	void *progress_arg;
} gdb_fasta_opts;

typedef struct gdb_fasta_stats {
	uint32_t ncontigs;
	int64_t bases;
	uint64_t fasta_bytes;  /* decompressed input bytes */
	uint64_t source_bytes; /* the file's size on disk */
	uint64_t stored_bytes; /* bytes of the new segment */
	uint64_t layout_bytes; /* of which layout records */
	uint64_t generation;   /* committed (or the live one if identical) */
	int identical;	       /* --replace found the same bytes stored */
	uint32_t alphabet, codec, block_bases;
	int alphabet_detected;
	char detected_why[160]; /* what decided, when detected */
	unsigned lossy;
	uint64_t lossy_changed; /* bases the lossy transforms changed */
	uint64_t model_bytes;	/* the codec model stored once */
} gdb_fasta_stats;

/*
 * gdb_seq_reference_find - may assembly name of s be a reference for
 * `--relative-to`? It must exist undamaged, be DNA and not itself be
 * stored relative to another (references are one level deep).
 * @return its index; -ENOENT, GDB_EFORMAT, -EINVAL with a message in err
 */
GDB_MUST_CHECK int gdb_seq_reference_find(const gdb_store *s, const char *name,
					  char *err, size_t errlen);

/*
 * gdb_seq_import_fasta - import one FASTA file as a new assembly, in one
 * transaction (nothing changes on any error).
 * @param opts  may be NULL (defaults)
 * @param st    out (may be NULL): what was imported
 * @return 0; GDB_EFORMAT (bad input: "FILE:LINE: reason" in err),
 *         -EEXIST, GDB_ELOCKED, -errno.
 */
GDB_MUST_CHECK int gdb_seq_import_fasta(const char *store, const char *asm_name,
					const char *path,
					const gdb_fasta_opts *opts,
					gdb_fasta_stats *st, char *err,
					size_t errlen);

/*
 * The FASTA parser alone, for callers that bring their own sink (the fuzz
 * target checks that an accepted input's layout and bases give its bytes
 * back). Events for each record: rec_begin, bases (any number of calls),
 * rec_end with its layout.
 */
typedef struct gdb_fasta_rec {
	const char *name, *desc; /* valid until rec_end returns */
	int64_t length;
	uint32_t line_width;   /* bases a line when uniform, else 0 */
	const uint8_t *layout; /* layout bytes; len 0 = regular */
	size_t layout_len;
	uint64_t fasta_bytes; /* bytes of the record in the input */
} gdb_fasta_rec;

typedef struct gdb_fasta_sink {
	int (*rec_begin)(void *arg, const char *name, const char *desc,
			 char *err, size_t errlen);
	int (*bases)(void *arg, const char *p, size_t n, char *err,
		     size_t errlen);
	int (*rec_end)(void *arg, const gdb_fasta_rec *rec, char *err,
		       size_t errlen);
	void *arg;
} gdb_fasta_sink;

typedef struct gdb_fasta_parser gdb_fasta_parser;

/* @param path names the input in messages. @return 0 or -ENOMEM.
 * A new parser reads DNA (gdb_codecs_dna_valid letters). */
GDB_MUST_CHECK int gdb_fasta_parser_new(const char *path,
					const gdb_fasta_sink *sink,
					gdb_fasta_parser **out);
/* What sequence lines may hold: gdb_alphabet_valid(alphabet, c); 0: any
 * letter any alphabet allows (for detection). */
void gdb_fasta_parser_alphabet(gdb_fasta_parser *p, uint32_t alphabet);
/* Feed the next bytes. @return 0, or < 0 with the message in err. */
GDB_MUST_CHECK int gdb_fasta_parse(gdb_fasta_parser *p, const char *buf,
				   size_t n, char *err, size_t errlen);
/* End of input: finishes the last record. @return records, or < 0. */
GDB_MUST_CHECK int gdb_fasta_finish(gdb_fasta_parser *p, char *err,
				    size_t errlen);
void gdb_fasta_parser_free(gdb_fasta_parser *p);

/* ---- layouts and export ---- */

/* A sink for exported bytes: @return 0, or < 0 to stop. */
typedef int (*gdb_seq_write_fn)(void *arg, const void *p, size_t n);

/*
 * gdb_seq_export_fasta - write an assembly as it was imported, byte for
 * byte (contigs of a version 1 store, which kept no layout, come out with
 * their input line width, else 60 bases a line, LF, final newline).
 * @return 0; GDB_ECHECKSUM / GDB_ECORRUPT (damage: message names the
 *         contig and range), or the writer's error.
 */
GDB_MUST_CHECK int gdb_seq_export_fasta(const gdb_store *s, uint32_t asm_index,
					gdb_seq_write_fn write, void *arg,
					char *err, size_t errlen);

/*
 * gdb_seq_digests - a contig's MD5 and refget SHA-512/24 digests of its
 * upper-cased sequence: the stored ones (c->digests), else computed by
 * decoding it (short records, whose digests the store does not keep).
 * @return 0, or a read error (GDB_ECHECKSUM, GDB_ECORRUPT, -ENOMEM)
 */
GDB_MUST_CHECK int gdb_seq_digests(const gdb_store *s, uint32_t contig,
				   uint8_t md5[16], uint8_t sha512t24[24]);

/*
 * gdb_seq_fasta_bytes - the exact size of that export for one contig
 * (what its record took in the imported file).
 */
uint64_t gdb_seq_fasta_bytes(const gdb_contig *c);

/*
 * gdb_seq_layout_check - validate layout bytes against a record: every
 * count and index in range, bases summing to length, bytes to fasta_bytes.
 * The decoder of docs/FORMAT.md "Record layout" (and a fuzz target's).
 * @return 0 or GDB_ECORRUPT
 */
GDB_MUST_CHECK int gdb_seq_layout_check(const uint8_t *layout, size_t len,
					int64_t length, size_t header_len,
					uint64_t fasta_bytes);

#endif
