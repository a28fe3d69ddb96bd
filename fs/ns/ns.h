/*
 * fs/ns/ns.h - the namespaces: pure functions from a path to a sized
 * answer, and the one public header of fs/ns/. No libfuse here: the daemon
 * (fs/daemon/) turns these answers into inodes, and tests call them with
 * no mount at all.
 *
 * What is here, by section:
 *   path names   the one grammar of names: "<start>-<end>" regions,
 *                "@k=v,..." parameters checked against typed specs, the
 *                %XX escapes of contig names (pathname.c; docs/PATHS.md)
 *   views        sequence files rendered from the store on demand, any
 *                byte range on its own (render.c)
 *   sequences    what each name under /<asm>/ is: the assembly's and the
 *                contigs' files, region directories, region files
 *                (seq_ns.c)
 *   inboxes      the writable directories of computed namespaces (inbox.c)
 *   ranged files files too large to compute whole at lookup, served
 *                piece by piece (gdb_ns_ranged)
 *   providers    computed top-level trees, /graph, /compute, /variants,
 *                /annotations and /reads (graph_ns.c, compute_ns.c,
 *                variants_ns.c, annotations_ns.c, reads_ns.c), registered
 *                in ns_registry.c
 *
 * A provider resolves a path below its top-level directory to either a
 * directory or a file whose whole content it computes at once. Paths given
 * to a provider are relative to its top-level directory, with no leading
 * or trailing '/': "" is the top itself, "TP53/neighbors.json" a file
 * below it. Components are never "", "." or "..".
 *
 * A provider may also own an inbox: one writable directory below its top
 * (/compute/queries, /graph/enrich/lists) where users copy input files in,
 * held in the daemon's memory for the life of the mount. Answers that read
 * an inbox file (@<name> in a file name) are volatile: they say so, and
 * the daemon recomputes them when the inbox changes.
 *
 * Threading: everything here may be called concurrently from any number
 * of threads: the parsers and views work on the caller's buffers, resolve
 * and list on the same provider instance, and every gdb_inbox_* call on
 * the same inbox.
 */
#ifndef GDB_NS_H
#define GDB_NS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "cache/cache.h"
#include "common/gdb.h"
#include "simd/simd.h"
#include "store/store.h"

#define GDB_NS_FILE 0
#define GDB_NS_DIR 1

/* The most a computed file may hold; larger answers are -EFBIG. */
#define GDB_NS_MAX_FILE ((size_t)64 << 20)

/*
 * gdb_ns_answer - a resolve's end: hand over the answer built in o (a
 * gdb_buf capped at GDB_NS_MAX_FILE), or its error.
 * @param rc  0, or the rendering's error (o's own error counts when 0)
 * @return GDB_NS_FILE with *data (malloc'd, never NULL) and *len; else
 *         the error with o freed (-EFBIG: err says the cap, unless it
 *         says something already)
 */
int gdb_ns_answer(gdb_buf *o, int rc, char **data, size_t *len, char *err,
		  size_t errlen);

/* resolve's flags: the answer (or its absence) depends on an inbox file,
 * so it holds only until the inbox changes (gdb_inbox_version). */
#define GDB_NS_VOLATILE 1u

/* ---- path names: the one grammar (fs/ns/pathname.c) ---- */

/* Room for a path component that spells a name of GDB_NAME_MAX bytes with
 * every byte escaped, plus an extension. */
#define GDB_SEQ_NAME_MAX (3 * GDB_NAME_MAX + 16)

/*
 * gdb_path_range - "<start>-<end>" in text p[0..n) (decimal digits only,
 * 1-based inclusive) over a sequence of `length` bases, as the 0-based
 * half-open [*beg, *end). An end past the sequence is clamped to it
 * whatever its digits, values too large for 64 bits included.
 * @return 0; -ENOENT (not two runs of digits joined by '-', a start of 0 or
 *         past the end, an end before the start)
 */
GDB_MUST_CHECK int gdb_path_range(const char *p, size_t n, int64_t length,
				  int64_t *beg, int64_t *end);

/*
 * gdb_path_region - a samtools region string within one assembly: "NAME",
 * "NAME:FROM", "NAME:FROM-" and "NAME:FROM-TO" (1-based inclusive; commas
 * allowed in the numbers, as samtools). A name that exists whole wins over
 * a split at its last ':' (names may hold ':'); "{NAME}:FROM-TO" quotes
 * such names as htslib does. The end is clamped as in gdb_path_range.
 * @param contig  out: the contig id
 * @param beg,end out: 0-based half-open
 * @return 0; -ENOENT (unknown sequence), -EINVAL (malformed, start 0, end
 *         before start, start past the end); the reason in err
 */
GDB_MUST_CHECK int gdb_path_region(const gdb_store *s, uint32_t asm_index,
				   const char *text, uint32_t *contig,
				   int64_t *beg, int64_t *end, char *err,
				   size_t errlen);

/*
 * gdb_path_components - a provider's path ("a/b/c", "" for the top) cut in
 * place at each '/' into comp[0..n).
 * @return n (0 for ""), or -1 if it has more than max components
 */
int gdb_path_components(char *path, char **comp, int max);

/*
 * gdb_path_split - "<stem>[@<params>]<ext>" in place: ext (".tsv") must end
 * the name, which is then cut before it and at its first '@'.
 * @param stem    out: the stem (may be empty)
 * @param params  out: the text after the '@', or NULL without one
 * @return 0, or -ENOENT (another extension, or nothing before it)
 */
GDB_MUST_CHECK int gdb_path_split(char *name, const char *ext, char **stem,
				  char **params);

/*
 * Contig names as path components: '/' -> %2F, '%' -> %25, and the names
 * "." and ".." have their dots written %2E. Everything else as is. This is
 * the stem of a contig's files ("<stem>.fa"). Its directory is the same
 * but for a name that ends in ".fa", ".fai" or ".dict", whose last dot is
 * written %2E (chr.fa/ is "chr%2Efa"), so that no directory is named like
 * a file beside it (docs/PATHS.md "Names").
 * escape: out must hold 3 * strlen(name) + 3 bytes.
 * unescape: -ENOENT if the component is not the one spelling the escape
 * gives or names more than GDB_NAME_MAX bytes.
 */
void gdb_path_escape(const char *name, char *out);
void gdb_path_escape_dir(const char *name, char *out);
GDB_MUST_CHECK int gdb_path_unescape(const char *comp, char *out,
				     size_t outcap);
GDB_MUST_CHECK int gdb_path_unescape_dir(const char *comp, char *out,
					 size_t outcap);

/*
 * gdb_path_decode - decode %XX escapes (any byte but NUL) in place: gene
 * names and parameter values. @return 0, or -EINVAL (a malformed escape or
 * %00; s is then partly decoded)
 */
GDB_MUST_CHECK int gdb_path_decode(char *s);

/*
 * Parameters: the text after '@' in a file name, "key=value,...", checked
 * against a table of typed specs; every parameter not given takes its
 * default. Keys are exact; a key given twice (or with an alias, a spec of
 * the same offset), an empty item, an unknown key or a value that does not
 * parse or lies out of range is -EINVAL with a message naming the key.
 * Values are %XX-decoded before they are parsed (but LIST values, whose
 * items the caller decodes).
 */
enum gdb_param_type {
	GDB_PARAM_INT,	/* int64_t: [-]digits in [min, max], or one of the
			 * words ("all"), which stand for INT64_MAX */
	GDB_PARAM_REAL, /* double: decimal or e-notation, finite, in
			 * [min, max] */
	GDB_PARAM_ENUM, /* int: the index of the value among words
			 * ("out|in|both") */
	GDB_PARAM_TEXT, /* const char *: any non-empty text, pointing into
			 * the parsed text; NULL by default */
	GDB_PARAM_LIST, /* const char *: "a,b,c", a value that runs on over
			 * commas up to the next ",key=" of a key in the
			 * table; left %XX-escaped for the caller to decode
			 * item by item (an item may spell a comma %2C);
			 * NULL by default */
};

typedef struct gdb_param {
	const char *name;
	enum gdb_param_type type;
	size_t offset;	   /* of the value in the caller's struct */
	double min, max;   /* INT, REAL: inclusive range */
	double def;	   /* INT, REAL, ENUM: the value when not given */
	const char *words; /* ENUM: the values; INT: "no limit" words;
			    * '|'-separated, or NULL */
} gdb_param;

/*
 * gdb_params_parse - parse text ("k=v,k=v"; NULL: defaults only) into the
 * struct at out, by the n specs (n <= 64). text is modified in place, and
 * TEXT values point into it.
 * @return 0; -EINVAL with "parameter 'k': why" (or "unknown parameter
 *         'k' (the keys)") in err
 */
GDB_MUST_CHECK int gdb_params_parse(const gdb_param *spec, size_t n, char *text,
				    void *out, char *err, size_t errlen);

/* ---- views: sequence files rendered from the store (fs/ns/render.c) ---- */

enum gdb_view_kind {
	GDB_VIEW_BASES = 0, /* bases as stored (FASTA, .seq) */
	GDB_VIEW_U8 = 1,    /* one code a base (simd to_u8) */
	GDB_VIEW_RC = 2,    /* reverse complement */
};

#define GDB_FASTA_WIDTH 60u

typedef struct gdb_view_rec {
	uint32_t contig;
	int64_t beg, end; /* bases [beg, end), 0-based */
	uint32_t width;	  /* bases a line, each line ends '\n'; 0: none */
	char *header;	  /* whole header line incl. '>' and '\n'; owned */
	uint32_t hdr_len; /* 0: no header */
	uint64_t off;	  /* file offset of the record */
	uint64_t seq_off; /* file offset of its first base */
	uint64_t size;	  /* bytes of the record */
} gdb_view_rec;

typedef struct gdb_view {
	enum gdb_view_kind kind;
	uint32_t nrec;
	gdb_view_rec *rec;
	uint64_t size; /* exact file size */
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
/* The size gdb_view_region's view of the same arguments has, without it. */
uint64_t gdb_view_region_size(int64_t beg, int64_t end, uint32_t width,
			      const char *header);

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
ssize_t gdb_view_read(const gdb_view *v, gdb_cache *c, uint64_t off, size_t len,
		      char *dst);

/*
 * Borrowed reads: the bytes of a view that are stored bases as they are
 * (a .seq file: one record, no header, no line breaks), or their codes (a
 * .u8 file: the cache keeps a block's codes as an entry of its own,
 * gdb_cache_get_u8), are served from the cache's decoded blocks
 * themselves, so a FUSE reply is written from them with no copy or
 * conversion in the daemon (fuse_reply_iov). Every block a read
 * needs is borrowed, so decoded and its CRC32C checked, before the call
 * returns: a damaged block fails the whole call with nothing held, and
 * no byte of the read has been sent. The blocks stay borrowed (never
 * evicted or reused) until gdb_view_unborrow.
 */
#define GDB_VIEW_PIECES 40 /* 1 MiB of 64 Ki-base blocks: 16 or 17 */

typedef struct gdb_view_pieces {
	struct iovec iov[GDB_VIEW_PIECES];
	gdb_cache_entry *ref[GDB_VIEW_PIECES];
	unsigned n; /* pieces (and borrows) */
	size_t len; /* bytes in them */
} gdb_view_pieces;

/*
 * gdb_view_borrow - bytes [off, off+len) of v as borrowed pieces.
 * @return 0 (p->n pieces of p->len bytes; none past the end); 1 if v's
 *         bytes are not stored bases or codes as they are, the read is small
 * (at most GDB_VIEW_SMALL bytes: a block's first two touches then decode only
 * the part read), or the read would take more than GDB_VIEW_PIECES pieces
 * (render it with gdb_view_read); or a gdb_cache_get() error (GDB_ECHECKSUM:
 * logged, nothing held)
 */
/* A read of at most this many bytes is small (see gdb_view_read). */
#define GDB_VIEW_SMALL 4096u
int gdb_view_borrow(const gdb_view *v, gdb_cache *c, uint64_t off, size_t len,
		    gdb_view_pieces *p);
/* Hand back every borrow of p (after the reply is sent). */
void gdb_view_unborrow(gdb_cache *c, gdb_view_pieces *p);

/*
 * gdb_view_span - the bases a read of [off, off+len) touches in the record
 * holding off: every one of them, and at most one more (a read ending on a
 * line break); never fewer, since a small read decodes only these at a
 * block's touch in part (also used for access-pattern detection).
 * @return 0 with contig and [beg, end) set, or -1 if off is past the end
 *         or inside a header only.
 */
int gdb_view_span(const gdb_view *v, uint64_t off, size_t len, uint32_t *contig,
		  int64_t *beg, int64_t *end);

/*
 * gdb_view_fai - a samtools .fai that indexes this view (FASTA views:
 * every record has a header and width > 0).
 * @return malloc'd text (free()), *len set; NULL on -ENOMEM.
 */
char *gdb_view_fai(const gdb_view *v, const gdb_store *s, size_t *len);

/* The bytes gdb_render_dict gives, from the names and lengths alone. */
size_t gdb_render_dict_size(const gdb_store *s, uint32_t first, uint32_t n);
/* A Picard/GATK .dict (as `samtools dict`, without UR) for n contigs;
 * digests not stored (short proteins) are computed. NULL on -ENOMEM or a
 * damaged record. */
char *gdb_render_dict(const gdb_store *s, uint32_t first, uint32_t n,
		      size_t *len);

/* Lowercase hex of an MD5 (33 bytes with NUL) and a ga4gh refget id
 * ("SQ." + 32 base64url characters, 36 bytes with NUL). */
void gdb_render_md5_hex(const uint8_t md5[16], char out[33]);
void gdb_render_refget(const uint8_t sha512t24[24], char out[36]);

/* ---- sequences: the names under /<asm>/ (fs/ns/seq_ns.c) ---- */

enum gdb_seq_kind {
	GDB_SEQ_NONE = 0,   /* no entry (a listing index to skip) */
	GDB_SEQ_ASM_FA,	    /* /<asm>/<asm>.fa */
	GDB_SEQ_ASM_FAI,    /* /<asm>/<asm>.fa.fai */
	GDB_SEQ_ASM_DICT,   /* /<asm>/<asm>.dict */
	GDB_SEQ_CONTIG_DIR, /* /<asm>/<contig>/: region files by lookup */
	GDB_SEQ_CONTIG_FA,  /* /<asm>/<contig>.fa */
	GDB_SEQ_CONTIG_FAI, /* /<asm>/<contig>.fa.fai */
};

typedef struct gdb_seq_entry {
	enum gdb_seq_kind kind;
	uint32_t contig; /* the contig id, for the GDB_SEQ_CONTIG_* */
} gdb_seq_entry;

/*
 * gdb_seq_lookup - what name (one component, as the kernel gives it) is in
 * /<asm>/ of assembly ai.
 * @return 0; -ENOENT
 */
GDB_MUST_CHECK int gdb_seq_lookup(const gdb_store *s, uint32_t ai,
				  const char *name, gdb_seq_entry *out);

/*
 * gdb_seq_list - entry i (0, 1, ...) of the listing of /<asm>/; every
 * name appears once and is what gdb_seq_lookup says it is.
 * @param name  out: cap >= GDB_SEQ_NAME_MAX bytes
 * @return 1 (an entry), 0 (no entry at this index: go on with i + 1),
 *         -ENOENT (past the end)
 */
int gdb_seq_list(const gdb_store *s, uint32_t ai, uint64_t i,
		 gdb_seq_entry *out, char *name, size_t cap);

/*
 * gdb_seq_region - the region file called name in a contig's directory:
 * "<start>-<end>.fa|.seq|.u8|.rc.fa" (docs/PATHS.md "Tree").
 * @param out  out: free with gdb_view_free()
 * @return 0; -ENOENT (not such a name, or a range gdb_path_range refuses),
 *         -ENOMEM
 */
GDB_MUST_CHECK int gdb_seq_region(const gdb_store *s, uint32_t contig,
				  const char *name, gdb_view **out);
/* The size of that file (its view's), without making the view: what a
 * lookup needs. @return 0; -ENOENT as gdb_seq_region */
GDB_MUST_CHECK int gdb_seq_region_size(const gdb_store *s, uint32_t contig,
				       const char *name, uint64_t *size);

/* Entry i of a region directory's listing (its whole-contig files):
 * 0, or -ENOENT past the end. */
int gdb_seq_region_list(const gdb_store *s, uint32_t contig, uint64_t i,
			char *name, size_t cap);

/* ---- inboxes (fs/ns/inbox.c) ---- */

#define GDB_INBOX_MAX_FILE ((size_t)16 << 20) /* bytes per file: EFBIG */
#define GDB_INBOX_MAX_BYTES                                                    \
	((size_t)64 << 20)	/* per inbox, of file                          \
				 * contents: ENOSPC */
#define GDB_INBOX_MAX_FILES 256 /* per inbox: ENOSPC */
#define GDB_INBOX_MAX_NAME 255	/* bytes: ENAMETOOLONG */

typedef struct gdb_inbox gdb_inbox;
typedef struct gdb_inbox_file gdb_inbox_file;

typedef struct gdb_inbox_stat {
	uint64_t size;
	struct timespec mtime;
	unsigned mode; /* permission bits (0644 at creation) */
	int linked;    /* still has its name */
} gdb_inbox_stat;

/* An empty inbox (0 or -ENOMEM); free it after every holder has put its
 * files (NULL is a no-op). */
int gdb_inbox_new(gdb_inbox **out);
void gdb_inbox_free(gdb_inbox *b);

/*
 * gdb_inbox_open - a reference to the file called name, created empty
 * when create is set and there is none.
 * @param out  out: owned by caller, give back with gdb_inbox_file_put()
 * @return 0 (found), 1 (created), -ENOENT, -ENOSPC (GDB_INBOX_MAX_FILES),
 *         -ENAMETOOLONG, -EINVAL (empty name or one holding '/' or '@':
 *         "@x@y" reads as file x with parameters y), -ENOMEM
 */
int gdb_inbox_open(gdb_inbox *b, const char *name, int create,
		   gdb_inbox_file **out);
void gdb_inbox_file_put(gdb_inbox_file *f); /* NULL is a no-op */
/* A slot for the holder's own pointer (the daemon's inode), NULL at
 * creation; guarded by the holder, not by the inbox. */
void **gdb_inbox_file_user(gdb_inbox_file *f);

/* Bytes at off; a write past the end leaves zeros between. write: n, or
 * -EFBIG (past GDB_INBOX_MAX_FILE), -ENOSPC (GDB_INBOX_MAX_BYTES), -ENOMEM.
 * A write that fails with -EFBIG or -ENOSPC leaves no partial file: the
 * file gives its bytes back and loses its name, and later writes to it
 * fail the same way. read: the bytes copied (0 at or past the end). */
ssize_t gdb_inbox_file_write(gdb_inbox_file *f, const void *p, size_t n,
			     uint64_t off);
ssize_t gdb_inbox_file_read(gdb_inbox_file *f, void *dst, size_t n,
			    uint64_t off);
/* 0, -EFBIG, -ENOSPC, -ENOMEM */
int gdb_inbox_file_truncate(gdb_inbox_file *f, uint64_t size);
void gdb_inbox_file_chmod(gdb_inbox_file *f, unsigned mode);
/* The modification time: ts, or now when NULL (touch, cp -p). */
void gdb_inbox_file_set_mtime(gdb_inbox_file *f, const struct timespec *ts);
void gdb_inbox_file_stat(gdb_inbox_file *f, gdb_inbox_stat *st);

/* Names. unlink: 0 or -ENOENT. rename: 0, -ENOENT, -EEXIST (noreplace
 * and the target exists), -ENAMETOOLONG, -EINVAL (as gdb_inbox_open); a
 * file replaced or unlinked lives on for its holders, nameless. */
int gdb_inbox_unlink(gdb_inbox *b, const char *name);
int gdb_inbox_rename(gdb_inbox *b, const char *from, const char *to,
		     int noreplace);
/* Names in the order the files came, from the from-th; emit returns
 * non-zero to stop. @return 0 */
int gdb_inbox_list(gdb_inbox *b, uint64_t from,
		   int (*emit)(void *arg, const char *name), void *arg);

/*
 * gdb_inbox_get - a copy of a named file's bytes, for a provider.
 * @param data out: malloc'd, NUL-terminated after len bytes; caller frees
 * @return 0, -ENOENT, -ENOMEM
 */
int gdb_inbox_get(gdb_inbox *b, const char *name, char **data, size_t *len);
/* Bumped by every change to a named file or to the names. */
uint64_t gdb_inbox_version(gdb_inbox *b);

/* ---- ranged files ---- */

/*
 * A file too large to compute whole at lookup (a whole-sample BAM, a whole
 * FASTQ file, a whole-contig depth file): the provider gives its exact
 * size at lookup and its bytes on each read, so the daemon holds none of
 * it (the kernel's page cache may). The daemon copies the struct and calls
 * release once, when the file's node goes (before its generation).
 */
typedef struct gdb_ns_ranged {
	uint64_t size; /* exact */
	void *ctx;     /* the provider's, passed to read and release */
	/*
	 * read - bytes [off, off + n) into dst; 0 < n, off + n <= size.
	 * Called concurrently from any number of worker threads.
	 * @return n, or a negative errno / GDB_E* (the reader gets EIO; the
	 *         provider logs what is damaged)
	 */
	ssize_t (*read)(void *ctx, void *dst, size_t n, uint64_t off);
	void (*release)(void *ctx); /* may be NULL */
} gdb_ns_ranged;

/* ---- providers ---- */

typedef struct gdb_ns_provider {
	const char *name; /* top-level directory, e.g. "graph" */
	/* The inbox directory below the top ("queries"), or NULL. */
	const char *inbox;
	/*
	 * resolve - what is at path?
	 * @param data,len out, for GDB_NS_FILE: the whole content, malloc'd,
	 *                 ownership moves to the caller (free())
	 * @param flags    out: GDB_NS_VOLATILE or 0, also set on errors (a
	 *                 name that is absent until an inbox file comes)
	 * @return GDB_NS_DIR, GDB_NS_FILE, -ENOENT (no such name: unknown
	 *         gene, malformed parameters), -EINVAL (an inbox file it
	 *         reads is malformed: err names it and the line), -EFBIG /
	 *         -E2BIG (the answer would be unreasonably large; the reason
	 *         goes to err, and the daemon logs it), -EIO / GDB_E* (store
	 *         damage), -ENOMEM
	 */
	int (*resolve)(void *ctx, const char *path, char **data, size_t *len,
		       unsigned *flags, char *err, size_t errlen);
	/*
	 * list - names to show in a directory (may be a subset: lookup-only
	 * directories list only a few useful entries).
	 * @param emit called once per name; returns non-zero to stop
	 * @return 0, -ENOENT, -ENOTDIR
	 */
	int (*list)(void *ctx, const char *path,
		    int (*emit)(void *arg, const char *name, int is_dir),
		    void *arg);
	void (*destroy)(void *ctx);
	/*
	 * open_ranged (may be NULL) - is path a ranged file? Asked before
	 * resolve for every name looked up below the top.
	 * @param out  out: filled in on success
	 * @return 0; -ENOENT (not a ranged file: resolve is asked next);
	 *         other errors as resolve's
	 */
	int (*open_ranged)(void *ctx, const char *path, gdb_ns_ranged *out,
			   char *err, size_t errlen);
	/*
	 * xattr (may be NULL) - the i-th user.gdb.* attribute of the file
	 * or directory at path ("" is the top), for getxattr and listxattr.
	 * @param name  out: the attribute's full name (static or borrowed
	 *              from ctx)
	 * @return the value's length (written to val, at most cap bytes);
	 *         -ENOENT past the last attribute
	 */
	int (*xattr)(void *ctx, const char *path, unsigned i, const char **name,
		     char *val, size_t cap);
} gdb_ns_provider;

/*
 * Constructor of each provider: given the open store (and its block cache
 * for sequence-based analyses), set *ctx and return the provider's table.
 * @param inbox  the provider's inbox (borrowed, outlives ctx), used only
 *               if the table names an inbox directory
 * @return the table, or NULL with *ctx untouched if the store has nothing
 *         for it (the top-level directory is then absent).
 */
typedef const gdb_ns_provider *(*gdb_ns_create_fn)(const gdb_store *s,
						   gdb_cache *c,
						   gdb_inbox *inbox,
						   void **ctx);

/* The providers (one constructor each, defined in fs/ns/<name>_ns.c). */
const gdb_ns_provider *gdb_compute_ns_create(const gdb_store *s, gdb_cache *c,
					     gdb_inbox *inbox, void **ctx);
const gdb_ns_provider *gdb_graph_ns_create(const gdb_store *s, gdb_cache *c,
					   gdb_inbox *inbox, void **ctx);
const gdb_ns_provider *gdb_variants_ns_create(const gdb_store *s, gdb_cache *c,
					      gdb_inbox *inbox, void **ctx);
const gdb_ns_provider *gdb_annotations_ns_create(const gdb_store *s,
						 gdb_cache *c, gdb_inbox *inbox,
						 void **ctx);
const gdb_ns_provider *gdb_reads_ns_create(const gdb_store *s, gdb_cache *c,
					   gdb_inbox *inbox, void **ctx);

/* ---- plugins: analyses from shared objects (fs/ns/plugin.c) ---- */

/*
 * Shared objects of api/genomedb_plugin.h serve /compute/<name>/; the
 * compute provider hands them the names it does not know. The table of
 * loaded plugins is the process's: load before serving, unload after.
 */
#define GDB_PLUGINS_MAX 32
struct genomedb_plugin;

/* The names under /compute that are not a plugin's: the built-in
 * analyses and the inbox, NULL-terminated (compute_ns.c). */
extern const char *const gdb_compute_names[];

/*
 * gdb_plugins_load - dlopen each path and check its descriptor (ABI,
 * name, clashes), replacing what was loaded; all or nothing.
 * @return 0; -ENOENT (dlopen failed), -EINVAL (no entry symbol, init
 *         refused, wrong ABI, bad descriptor), -EEXIST (name taken),
 *         -E2BIG (more than GDB_PLUGINS_MAX); err names the file and why
 */
GDB_MUST_CHECK int gdb_plugins_load(const char *const *paths, size_t n,
				    char *err, size_t errlen);
void gdb_plugins_unload(void);
/* The loaded plugin called name, or NULL. */
const struct genomedb_plugin *gdb_plugin_find(const char *name);
/* The i-th loaded plugin's name, NULL past the last. */
const char *gdb_plugin_name(size_t i);

/*
 * gdb_plugin_resolve - the answer of file `name` ("<start>-<end>[@...]
 * <ext>", modified in place) in contig's directory under
 * /compute/<plugin>/, rendered by the plugin over the cache's store.
 * @param path  the whole path below /compute, for the plugin's messages
 * @return GDB_NS_FILE with data, len as a provider's resolve; -ENOENT (not
 *         such a name), -E2BIG (region past max_bases), the plugin's
 *         error; the reason in err
 */
GDB_MUST_CHECK int gdb_plugin_resolve(const struct genomedb_plugin *p,
				      gdb_cache *c, const gdb_contig *contig,
				      const char *path, char *name, char **data,
				      size_t *len, char *err, size_t errlen);

/* The providers the daemon mounts, NULL-terminated (fs/ns/ns_registry.c). */
extern const gdb_ns_create_fn gdb_ns_creators[];

#endif
