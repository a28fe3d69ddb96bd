/*
 * fs/render.h - virtual files rendered from the store, into caller buffers.
 *
 * A view is a sequence file laid out as one or more records (a FASTA record
 * or a bare run of bases); its size is exact before any byte is produced and
 * any byte range renders on its own, touching only the blocks under it.
 * Text files (.fai, .dict, stats) render whole into a malloc'd string.
 *
 * No libfuse here: the FUSE daemon (fs/fuse.c), `genomedb export` and the
 * tests all use these functions.
 *
 * Threading: a finished view is immutable; gdb_view_read() may run on it
 * from any number of threads at once.
 */
#ifndef GDB_RENDER_H
#define GDB_RENDER_H

#include <stdint.h>
#include <sys/types.h>

#include "cache/cache.h"
#include "store/store.h"

enum gdb_view_kind {
	GDB_VIEW_BASES = 0,	/* bases as stored (FASTA, .seq) */
	GDB_VIEW_U8 = 1,	/* one code a base (simd to_u8) */
	GDB_VIEW_RC = 2,	/* reverse complement */
};

#define GDB_FASTA_WIDTH 60u

typedef struct gdb_view_rec {
	uint32_t contig;
	int64_t beg, end;	/* bases [beg, end), 0-based */
	uint32_t width;		/* bases a line, each line ends '\n'; 0: none */
	char *header;		/* whole header line incl. '>' and '\n'; owned */
	uint32_t hdr_len;	/* 0: no header */
	uint64_t off;		/* file offset of the record */
	uint64_t seq_off;	/* file offset of its first base */
	uint64_t size;		/* bytes of the record */
} gdb_view_rec;

typedef struct gdb_view {
	enum gdb_view_kind kind;
	uint32_t nrec;
	gdb_view_rec *rec;
	uint64_t size;		/* exact file size */
} gdb_view;

/*
 * gdb_view_region - one record over contig bases [beg, end).
 * @param header  text after '>' (no newline), or NULL for no header line
 * @param width   bases a line; 0 for one unbroken run (.seq, .u8)
 * @param out     out: free with gdb_view_free()
 * @return 0 or -ENOMEM
 */
GDB_MUST_CHECK int gdb_view_region(enum gdb_view_kind kind, uint32_t contig,
				   int64_t beg, int64_t end, uint32_t width,
				   const char *header, gdb_view **out);

/*
 * gdb_view_contigs - contigs first .. first+n-1 in full, each with header
 * ">name[ description]".
 * @param width      bases a line; 0 = each contig's input line width when
 *                   it was uniform, else GDB_FASTA_WIDTH (export)
 * @param with_desc  append the description to the header
 */
GDB_MUST_CHECK int gdb_view_contigs(const gdb_store *s, uint32_t first,
				    uint32_t n, uint32_t width, int with_desc,
				    gdb_view **out);

void gdb_view_free(gdb_view *v);

/*
 * gdb_view_read - render bytes [off, off+len) of a view into dst.
 * @return bytes written (len, or fewer at the end of the file, 0 past it),
 *         or a gdb_cache_get() error (GDB_ECHECKSUM for a damaged block).
 */
ssize_t gdb_view_read(const gdb_view *v, gdb_cache *c, uint64_t off,
		      size_t len, char *dst);

/*
 * gdb_view_span - the bases a read of [off, off+len) touches in the record
 * holding off (for access-pattern detection; may round outward).
 * @return 0 with contig and [beg, end) set, or -1 if off is past the end
 *         or inside a header only.
 */
int gdb_view_span(const gdb_view *v, uint64_t off, size_t len,
		  uint32_t *contig, int64_t *beg, int64_t *end);

/*
 * gdb_view_fai - a samtools .fai that indexes this view (FASTA views:
 * every record has a header and width > 0).
 * @return malloc'd text (free()), *len set; NULL on -ENOMEM.
 */
char *gdb_view_fai(const gdb_view *v, const gdb_store *s, size_t *len);

/* A Picard/GATK .dict (as `samtools dict`, without UR) for n contigs;
 * digests not stored (short proteins) are computed. NULL on -ENOMEM or a
 * damaged record. */
char *gdb_render_dict(const gdb_store *s, uint32_t first, uint32_t n,
		      size_t *len);

/* Lowercase hex of an MD5 (33 bytes with NUL) and a ga4gh refget id
 * ("SQ." + 32 base64url characters, 36 bytes with NUL). */
void gdb_render_md5_hex(const uint8_t md5[16], char out[33]);
void gdb_render_refget(const uint8_t sha512t24[24], char out[36]);

/*
 * Contig names as path components: '/' -> %2F, '%' -> %25, and the names
 * "." and ".." have their dots written %2E. Everything else as is.
 * escape: out must hold 3 * strlen(name) + 1 bytes.
 * unescape: -ENOENT if the component is not a valid escaping (so every
 * name has exactly one path spelling).
 */
void gdb_path_escape(const char *name, char *out);
GDB_MUST_CHECK int gdb_path_unescape(const char *comp, char *out,
				     size_t outcap);

#endif
