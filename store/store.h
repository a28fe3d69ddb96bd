/*
 * store/store.h - the on-disk store: immutable segments, numbered
 * manifests, an atomically swapped CURRENT pointer and a single writer.
 *
 * A store is a directory (byte layout: docs/FORMAT.md):
 *   CURRENT            names the live manifest ("MANIFEST-<gen>\n")
 *   MANIFEST-<gen>     the generation: segments, assemblies, provenance
 *   seg-<id>.gdb       one immutable segment per import: blocks + index
 *   LOCK               flock()ed by the one writer
 *
 * Readers (gdb_store_open) map one generation and keep it until they close:
 * snapshot isolation, any number of readers in any number of processes.
 * Writers (gdb_txn_*) build a new segment and commit it by writing the next
 * manifest and renaming CURRENT; a crash at any instant leaves the previous
 * generation whole, and the next writer removes what a dead one left.
 *
 * Coordinates: contig positions here are 0-based; regions are half-open
 * [beg, end). Text region strings (gdb_store_region_parse) are 1-based
 * inclusive, as samtools writes them.
 *
 * Threading: a gdb_store is immutable after open and may be shared by any
 * number of threads (all query calls take const gdb_store *). A gdb_txn
 * belongs to one thread.
 */
#ifndef GDB_STORE_H
#define GDB_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "codecs/codecs.h"
#include "common/gdb.h"

typedef struct gdb_store gdb_store;
typedef struct gdb_txn gdb_txn;

/* Longest assembly or contig name, in bytes. */
#define GDB_NAME_MAX 255u

/* Names that can never be assemblies (they are top-level mount dirs). */
extern const char *const gdb_store_reserved_names[];

/*
 * gdb_store_name_check - may this string name an assembly or a contig?
 * @param what "assembly" or "contig", used in the message
 * @return 0, or GDB_EFORMAT with a one-line reason in err (empty, too long
 *         (> 255 bytes), control characters or spaces, reserved assembly name)
 */
GDB_MUST_CHECK int gdb_store_name_check(const char *name, const char *what,
					char *err, size_t errlen);

/* One contig. Pointers borrowed from the store: valid until close. */
typedef struct gdb_contig {
	const char *name;
	const char *desc;     /* header text after the name, starting with
			       * the blank that ended it; "" if none */
	int64_t length;	      /* bases */
	uint32_t block_bases; /* bases per block (last one may be shorter) */
	uint32_t nblocks;
	uint32_t line_width;   /* input's line width (0: not uniform) */
	uint32_t asm_index;    /* assembly this contig belongs to */
	uint32_t id;	       /* index over all contigs of the store */
	uint8_t md5[16];       /* MD5 of the uppercased sequence (.dict M5) */
	uint8_t sha512t24[24]; /* first 24 bytes of SHA-512, same input */
	uint64_t stored_bytes; /* sum of its blocks' stored sizes */
	uint64_t fasta_bytes;  /* bytes of this record in the imported FASTA
				* (decompressed); 0: not recorded (a
				* version 1 segment) */
	uint32_t layout_len;   /* bytes of its layout record; 0: the
				* regular layout (see seq/seq.h) */
	/* Where its bases are in its assembly's stream of blocks: block k
	 * of the contig (bases [k * block_bases, ...)) is stream block
	 * first_block + k, from offset block_off (non-zero only for a
	 * contig packed into one block after others). */
	uint32_t first_block;
	uint32_t block_off;
	int digests; /* md5 and sha512t24 are stored; 0: they are
		      * computed on demand (gdb_seq_digests),
		      * as for short records */
} gdb_contig;

typedef struct gdb_assembly {
	const char *name;
	uint32_t first_contig; /* contigs first .. first + ncontigs - 1 */
	uint32_t ncontigs;
	uint64_t segment_id;
	uint64_t segment_bytes; /* size of its segment file */
	int64_t total_length;
	/* How its sequences are stored (segments before version 3: 2bit
	 * DNA, 64 Ki bases a block, exact). */
	uint32_t codec;	       /* GDB_CODEC_* */
	uint32_t alphabet;     /* GDB_ALPHA_* */
	int alphabet_detected; /* chosen by content at import */
	uint32_t lossy;	       /* GDB_LOSSY_* applied at import; 0: exact */
	uint32_t block_bases;  /* most bases a block holds */
	uint32_t nblocks;      /* blocks in its stream */
	uint32_t model_len;    /* bytes of its codec model (0: none) */
	const char *reference; /* NULL, or the assembly it is stored
				* relative to (cm --relative-to): its
				* blocks decode with that one's bases */
} gdb_assembly;

/*
 * Objects: anything that is not a DNA assembly (graphs, ...) is stored as
 * a named set of byte sections in one segment, each section 64-byte
 * aligned in the mapping (so arrays can be used in place) and covered by
 * its own CRC32C. Names are unique per kind.
 */
#define GDB_OBJECT_SECTIONS 2u /* manifest kind of a sections object */

typedef struct gdb_object {
	const char *name;
	uint32_t kind; /* GDB_OBJECT_SECTIONS */
	uint32_t nsections;
	uint64_t segment_id;
	uint64_t segment_bytes;
} gdb_object;

/*
 * Damage found at open: a manifest entry whose segment is missing, has
 * the wrong size, or whose header or index fails its checks. The entry
 * is left out of the assemblies and objects (everything else is served);
 * reads of it are EIO at the mount. Strings borrowed, valid until close.
 */
#define GDB_KIND_ASSEMBLY 1u /* manifest kind of a DNA assembly */

typedef struct gdb_damage {
	const char *name; /* the entry's name */
	uint32_t kind;	  /* GDB_KIND_ASSEMBLY or GDB_OBJECT_SECTIONS */
	uint64_t segment_id;
	int error;	     /* GDB_ECHECKSUM, GDB_ECORRUPT, GDB_EVERSION,
			      * -errno */
	const char *message; /* one line naming the file and the fault */
} gdb_damage;

uint32_t gdb_store_ndamaged(const gdb_store *s);
const gdb_damage *gdb_store_damaged(const gdb_store *s, uint32_t i);
/* @return the damage index of a damaged entry of that kind and name, or
 * -ENOENT (kind 0: any kind). */
int gdb_store_damaged_find(const gdb_store *s, uint32_t kind, const char *name);

/* Provenance of one source file of an import (strings borrowed, valid
 * until close); an import of several files has one entry per file. */
typedef struct gdb_provenance {
	const char *target;    /* assembly name */
	const char *source;    /* source file name as given */
	uint64_t source_bytes; /* its size on disk */
	uint8_t sha256[32];    /* of its bytes on disk */
	const char *command;   /* the command line */
	int64_t time;	       /* unix seconds (SOURCE_DATE_EPOCH if set) */
} gdb_provenance;

/*
 * gdb_store_init - create an empty store (generation 1) at path.
 * @return 0; -EEXIST if path exists and is not an empty directory; -errno.
 */
GDB_MUST_CHECK int gdb_store_init(const char *path, char *err, size_t errlen);

/*
 * gdb_store_open - map the current generation read-only.
 * @param path  the store directory
 * @param flags 0
 * @param out   out: the handle, set only on success; close with
 *              gdb_store_close()
 * @return 0; -ENOENT (no store), GDB_ECORRUPT / GDB_ECHECKSUM (CURRENT
 *         or the manifest damaged), GDB_EVERSION, -errno.
 * A damaged segment does not fail the open: its entry is listed by
 * gdb_store_damaged() and left out of the rest (damage stays local).
 * Block payloads are not checked here; each is checked when read.
 * The reader registers by holding flock(LOCK_SH) on its manifest until
 * gdb_store_close(), so `genomedb gc` keeps what it maps.
 */
GDB_MUST_CHECK int gdb_store_open(const char *path, unsigned flags,
				  gdb_store **out, char *err, size_t errlen);

/* Unmap and free; NULL does nothing. Borrowed pointers die with it. */
void gdb_store_close(gdb_store *s);

uint64_t gdb_store_generation(const gdb_store *s);
const char *gdb_store_path(const gdb_store *s);
uint32_t gdb_store_nassemblies(const gdb_store *s);
const gdb_assembly *gdb_store_assembly(const gdb_store *s, uint32_t i);
uint32_t gdb_store_ncontigs(const gdb_store *s);
const gdb_contig *gdb_store_contig(const gdb_store *s, uint32_t id);
uint32_t gdb_store_nprovenance(const gdb_store *s);
const gdb_provenance *gdb_store_provenance(const gdb_store *s, uint32_t i);

uint32_t gdb_store_nobjects(const gdb_store *s);
const gdb_object *gdb_store_object(const gdb_store *s, uint32_t i);
/* @return the object index, or -ENOENT. */
int gdb_store_object_find(const gdb_store *s, uint32_t kind, const char *name);

/*
 * gdb_store_section - one section of an object, in place.
 * @param data out: read-only bytes in the store's mapping, 64-byte
 *             aligned; valid until gdb_store_close()
 * @return 0; -ENOENT (no such section); GDB_ECHECKSUM (its CRC32C failed:
 *         checked on first access, logged, the verdict kept); -EINVAL.
 */
GDB_MUST_CHECK int gdb_store_section(const gdb_store *s, uint32_t obj,
				     const char *name, const void **data,
				     uint64_t *len);
/* The same by position 0 .. nsections-1 (verify, listing). */
GDB_MUST_CHECK int gdb_store_section_at(const gdb_store *s, uint32_t obj,
					uint32_t i, const char **name,
					const void **data, uint64_t *len);

/*
 * gdb_store_object_padding - are the bytes of an object's segment that no
 * section holds (the zero padding that aligns sections, which no CRC
 * covers) all zero? For verify: damage there is harmless to answers but
 * is still damage. @return 0; GDB_ECORRUPT with *bad_off the first
 * non-zero byte's offset; or an error.
 */
GDB_MUST_CHECK int gdb_store_object_padding(const gdb_store *s, uint32_t obj,
					    uint64_t *bad_off);

/* @return the assembly index, or -ENOENT. Exact, case-sensitive match. */
int gdb_store_assembly_find(const gdb_store *s, const char *name);
/* @return the contig id within assembly asm_index, or -ENOENT. */
int gdb_store_contig_find(const gdb_store *s, uint32_t asm_index,
			  const char *name);

/*
 * gdb_store_region_parse - parse a samtools region string within one
 * assembly: "chr", "chr:from", "chr:from-to" (1-based inclusive; commas
 * allowed in numbers, as samtools). A name that exists whole wins over a
 * split at its last ':' (names may contain ':'); "{name}:from-to" braces
 * quote such names as htslib does.
 * @param contig out: the contig id
 * @param beg,end out: 0-based half-open; end is clamped to the length
 * @return 0; -ENOENT (unknown contig), GDB_EFORMAT (malformed, start 0,
 *         end before start, start past the end) with a message in err.
 */
GDB_MUST_CHECK int gdb_store_region_parse(const gdb_store *s,
					  uint32_t asm_index, const char *text,
					  uint32_t *contig, int64_t *beg,
					  int64_t *end, char *err,
					  size_t errlen);

/*
 * gdb_store_block_decode - check one block's CRC32C, then decode it.
 * @param dst     out: at least block_bases bytes
 * @return the number of bases (> 0); GDB_ECHECKSUM (logged with the
 *         assembly, contig and 1-based range), GDB_ECORRUPT, -EINVAL.
 */
GDB_MUST_CHECK int gdb_store_block_decode(const gdb_store *s, uint32_t contig,
					  uint32_t block, char *dst,
					  size_t dstcap);

/*
 * gdb_store_stream_block - the bases of stream block sb of assembly ai
 * (CRC-checked and decoded as gdb_store_block_decode does).
 * @return their number (> 0); GDB_ECHECKSUM, GDB_ECORRUPT, -EINVAL,
 *         -ENOBUFS (cap too small)
 */
GDB_MUST_CHECK int gdb_store_stream_block(const gdb_store *s, uint32_t ai,
					  uint32_t sb, char *dst, size_t cap);

/*
 * gdb_store_read - bases [beg, end) of a contig (0-based, half-open) into
 * dst, decoding only the blocks, and within them only the ranges, the
 * region covers (no cache: the in-process read path for one-off regions).
 * @return 0; GDB_ECHECKSUM / GDB_ECORRUPT (damage, logged), -EINVAL
 *         (range outside the contig), -ENOMEM
 */
GDB_MUST_CHECK int gdb_store_read(const gdb_store *s, uint32_t contig,
				  int64_t beg, int64_t end, char *dst);

/*
 * gdb_store_describe - one line: the assembly's codec, alphabet, model
 * and lossy modes (loads its model if it has one).
 * @return 0 or the model's load error (the line then says so)
 */
int gdb_store_describe(const gdb_store *s, uint32_t asm_index, char *buf,
		       size_t cap);

/*
 * gdb_store_block_check - verify one block's CRC32C and decodability
 * without keeping the bases (verify). Same results as block_decode.
 * @param seg_offset out (may be NULL): the block's offset in its segment
 */
GDB_MUST_CHECK int gdb_store_block_check(const gdb_store *s, uint32_t contig,
					 uint32_t block, uint64_t *seg_offset);

/*
 * gdb_store_block_span - where a block's stored bytes are in the mapping,
 * unchecked (prefetch advises the kernel to read them ahead).
 * @return 0 or -EINVAL; *data valid until gdb_store_close().
 */
GDB_MUST_CHECK int gdb_store_block_span(const gdb_store *s, uint32_t contig,
					uint32_t block, const void **data,
					size_t *len);

/*
 * gdb_store_access_random - say that blocks are read where asked, not in
 * file order (a daemon with a prefetcher). The kernel then reads no more
 * than a fault asks for (MADV_RANDOM on the sequence segments: no
 * megabytes of read-around per fault), and each block read first advises
 * its own bytes (MADV_WILLNEED), so a cold block costs one disk request
 * of its own size. Sequential readers call gdb_store_advise ahead of
 * themselves. A hint: nothing read changes, and it cannot fail.
 */
void gdb_store_access_random(const gdb_store *s);

/*
 * gdb_store_advise - ask the kernel to read the stored bytes of blocks
 * [first, last] of a contig now, without waiting (MADV_WILLNEED over
 * them: one request for consecutive blocks). Out-of-range blocks are
 * clipped; nothing is checked or returned.
 */
void gdb_store_advise(const gdb_store *s, uint32_t contig, uint32_t first,
		      uint32_t last);

/*
 * gdb_store_contig_layout - the contig's layout record (how its FASTA
 * lines were laid out in the imported file: docs/FORMAT.md, "Record
 * layout"), checked against its CRC32C on every call.
 * @param data out: read-only bytes in the store's mapping, valid until
 *             gdb_store_close(); NULL with *len 0 when layout_len is 0
 * @return 0; GDB_ECHECKSUM (CRC mismatch, logged), GDB_ECORRUPT (the
 *         segment is shorter than the manifest says), -EINVAL.
 */
GDB_MUST_CHECK int gdb_store_contig_layout(const gdb_store *s, uint32_t contig,
					   const void **data, size_t *len);

/* Segment file name of an assembly ("seg-000001.gdb"); static buffer-free. */
void gdb_store_segment_name(uint64_t id, char *buf, size_t buflen);

/*
 * Writing. One writer at a time per store (flock on LOCK, never blocking).
 *
 *   gdb_txn_begin -> gdb_txn_assembly_begin
 *     -> (gdb_txn_contig_begin -> gdb_txn_block_add* -> gdb_txn_contig_end)*
 *     -> gdb_txn_provenance -> gdb_txn_commit | gdb_txn_abort
 *
 * Nothing is visible to readers before gdb_txn_commit returns 0; after any
 * error the caller calls gdb_txn_abort, which removes every file the
 * transaction wrote, leaving the store byte-identical.
 */

/*
 * gdb_txn_begin - take the writer lock and remove leftovers of dead writers.
 * @return 0; GDB_ELOCKED if another writer holds it; -ENOENT; -errno.
 */
GDB_MUST_CHECK int gdb_txn_begin(const char *path, gdb_txn **out, char *err,
				 size_t errlen);

/*
 * Instead of an assembly, a transaction may create one sections object:
 * gdb_txn_object_begin -> (gdb_txn_section_begin -> gdb_txn_section_write*
 * -> gdb_txn_section_end)* -> gdb_txn_provenance -> gdb_txn_commit.
 * -EEXIST if an object of that kind has the name. Section names are 1-255
 * bytes and unique within the object.
 */
GDB_MUST_CHECK int gdb_txn_object_begin(gdb_txn *t, uint32_t kind,
					const char *name, char *err,
					size_t errlen);
GDB_MUST_CHECK int gdb_txn_section_begin(gdb_txn *t, const char *name);
GDB_MUST_CHECK int gdb_txn_section_write(gdb_txn *t, const void *p, size_t n);
GDB_MUST_CHECK int gdb_txn_section_end(gdb_txn *t);

/* Start the transaction's one new assembly. -EEXIST if the name is taken. */
GDB_MUST_CHECK int gdb_txn_assembly_begin(gdb_txn *t, const char *name,
					  char *err, size_t errlen);

/* How the transaction's assembly stores its sequences (before its first
 * contig; without this call: 2bit DNA, exact, block_bases of the first
 * contig). The model's bytes are copied (len 0: none). */
/*
 * gdb_txn_assembly_reference - store the new assembly relative to the
 * stored assembly ref (cm `--relative-to`; before its seqinfo): recorded
 * in the manifest, after which ref can be neither dropped nor replaced
 * while this one is kept. The model passed to seqinfo must then be one
 * built from ref's bases.
 * @return 0; -ENOENT (no such assembly, or the one being replaced),
 *         -EINVAL (ref is itself relative: references are one level
 *         deep), -ENOMEM; a message in err
 */
GDB_MUST_CHECK int gdb_txn_assembly_reference(gdb_txn *t, const char *ref,
					      char *err, size_t errlen);

typedef struct gdb_txn_seqinfo {
	uint32_t codec, alphabet;
	int alphabet_detected;
	uint32_t lossy;
	uint32_t block_bases;
} gdb_txn_seqinfo;

GDB_MUST_CHECK int gdb_txn_assembly_seqinfo(gdb_txn *t,
					    const gdb_txn_seqinfo *info,
					    const void *model, size_t len);

/* Start a contig. -EEXIST if the assembly already has this name. */
GDB_MUST_CHECK int gdb_txn_contig_begin(gdb_txn *t, const char *name,
					const char *desc, uint32_t block_bases,
					char *err, size_t errlen);

/* Append one encoded block of nbases to the assembly's stream (copied):
 * the next stream block. Blocks come in stream order; a block may hold
 * the end of one contig and whole short contigs after it, and may be
 * added after the contigs it holds have ended (gdb_txn_contig_place). */
GDB_MUST_CHECK int gdb_txn_block_add(gdb_txn *t, const void *payload,
				     size_t len, uint32_t nbases);

/*
 * Where the current contig's bases are in the stream (before its end):
 * either from offset 0 of a new block (first_block = the block after the
 * previous contig's last, or 0), or right after the previous contig in
 * its last block (block_off = where that contig ended; the contig then
 * fits in that block). Without this call a contig starts a new block.
 * Checked at commit against the blocks added. @return 0 or -EINVAL
 */
GDB_MUST_CHECK int gdb_txn_contig_place(gdb_txn *t, uint32_t first_block,
					uint32_t block_off);

/*
 * Record the current contig's layout (after its blocks, before
 * gdb_txn_contig_end): layout bytes (copied into the segment; len 0 for
 * the regular layout) and the record's size in the source FASTA. Without
 * this call the contig has no layout (fasta_bytes 0).
 */
GDB_MUST_CHECK int gdb_txn_contig_layout(gdb_txn *t, const void *layout,
					 size_t len, uint64_t fasta_bytes);

/* Finish the current contig with its length and digests (md5 and
 * sha512t24 both NULL: not stored, computed on demand by readers). */
GDB_MUST_CHECK int gdb_txn_contig_end(gdb_txn *t, int64_t length,
				      uint32_t line_width,
				      const uint8_t md5[16],
				      const uint8_t sha512t24[24]);

/*
 * Record where the data came from (strings copied): once per source file,
 * in the order read (an import of several files records each). At least
 * one is required before commit.
 */
GDB_MUST_CHECK int gdb_txn_provenance(gdb_txn *t, const gdb_provenance *p);

/*
 * gdb_txn_commit - make the new generation durable and current, in this
 * order: segment fsync, manifest write + fsync, CURRENT.tmp write + fsync,
 * rename to CURRENT, directory fsync. Frees t (also on failure, after
 * undoing). @return 0; 1 for an identical replacement (GDB_TXN_REPLACE:
 * nothing committed, *generation the live one); -errno (-ENOSPC, -EIO).
 */
GDB_MUST_CHECK int gdb_txn_commit(gdb_txn *t, uint64_t *generation, char *err,
				  size_t errlen);

/* Undo and free: remove written files, release the lock. NULL is a no-op. */
void gdb_txn_abort(gdb_txn *t);

/* Segment bytes written so far (for progress reporting). */
uint64_t gdb_txn_bytes_written(const gdb_txn *t);

/* What a clean-up found and did (repair, gc). */
typedef struct gdb_gc_report {
	unsigned removed; /* files removed */
	uint64_t removed_bytes;
	unsigned segments_removed, manifests_removed;
	unsigned in_use;	/* manifests kept: a reader holds them */
	unsigned newer;		/* manifests newer than the live one,
				 * kept (GDB_GC_DISCARD_NEWER not set) */
	uint64_t newest;	/* the highest of those */
	unsigned newer_removed; /* ... removed as asked */
	uint64_t current_was;	/* repair rewrote a damaged CURRENT:  */
	uint64_t current_now;	/* it now names this generation (0: no) */
	int current_unchecked;	/* CURRENT has no checksum (an older
				 * store; the next commit adds one) */
} gdb_gc_report;

/* Also remove manifests newer than the one CURRENT names (and segments
 * only they name): only when the user says so. */
#define GDB_GC_DISCARD_NEWER 1u

/*
 * gdb_store_repair - as a writer: restore a damaged CURRENT from the
 * newest manifest that is whole, and remove what no manifest names (a
 * dead writer's segment, temporary files). A manifest newer than the one
 * CURRENT names is kept and counted unless flags has
 * GDB_GC_DISCARD_NEWER. @param r out: what was found and done
 * @return 0; GDB_ELOCKED; GDB_ECORRUPT (no whole manifest); -errno.
 */
GDB_MUST_CHECK int gdb_store_repair(const char *path, unsigned flags,
				    gdb_gc_report *r, char *err, size_t errlen);

/*
 * gdb_store_gc - as a writer: remove every manifest older than the live
 * one that no reader holds (readers register at gdb_store_open), then
 * every segment no remaining manifest names. Newer manifests as in
 * gdb_store_repair. @return 0; GDB_ELOCKED; -errno.
 */
GDB_MUST_CHECK int gdb_store_gc(const char *path, unsigned flags,
				gdb_gc_report *r, char *err, size_t errlen);

/*
 * gdb_store_inspect - read-only: does CURRENT carry a checksum, and are
 * there manifests newer than the one it names (newer, newest)?
 * @return 0, or an error reading CURRENT (message in err).
 */
GDB_MUST_CHECK int gdb_store_inspect(const char *path, gdb_gc_report *r,
				     char *err, size_t errlen);

/*
 * gdb_txn_begin_flags - gdb_txn_begin with flags:
 * GDB_TXN_REPLACE: the entry the transaction creates may replace one of
 * the same kind and name (one mechanism for every import type). Commit
 * then returns 1, committing nothing, when the new segment is byte for
 * byte the one stored (an identical re-import adds no copy).
 */
#define GDB_TXN_REPLACE 1u
GDB_MUST_CHECK int gdb_txn_begin_flags(const char *path, unsigned flags,
				       gdb_txn **out, char *err, size_t errlen);

/*
 * gdb_txn_drop - the next generation leaves out the entry of this kind
 * (GDB_KIND_ASSEMBLY, GDB_OBJECT_SECTIONS) and name; a transaction may
 * drop entries and create none. Its segment stays until `gc` finds no
 * manifest naming it. A damaged entry can be dropped too. An assembly
 * another kept one is stored relative to is refused (-EBUSY, naming
 * both); so is replacing it.
 * @return 0; -ENOENT (no such entry, message in err); -EBUSY; -ENOMEM.
 */
GDB_MUST_CHECK int gdb_txn_drop(gdb_txn *t, uint32_t kind, const char *name,
				char *err, size_t errlen);

#endif
