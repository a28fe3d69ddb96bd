/*
 * store/store_int.h - internals shared by the store's reader (store.c) and
 * writer (txn.c): on-disk constants and the manifest's in-memory form.
 * No other module includes this file.
 */
#ifndef GDB_STORE_INT_H
#define GDB_STORE_INT_H

#include <pthread.h>
#include <stdint.h>

#include "store/store.h"

#define GDB_MANIFEST_MAGIC "GDBMANIF"
#define GDB_SEGMENT_MAGIC "GDBSEGMT"
#define GDB_FORMAT_VERSION                                                     \
	2u /* manifests written when an assembly                               \
	    * is relative to another; 1 otherwise,                             \
	    * and still read */
#define GDB_FORMAT_V1 1u
#define GDB_SEGMENT_VERSION                                                    \
	3u		   /* segments written; 1 and 2 are still              \
			    * read */
#define GDB_ASM_RECORD 64u /* a version 3 sequence index's first bytes */
#define GDB_DIGESTS 40u	   /* md5 (16) and sha512t24 (24) */
#define GDB_MANIFEST_HDR 48u
#define GDB_SEGMENT_HDR 64u
#define GDB_BLOCK_ENTRY 16u /* u64 offset, u32 stored_len, u32 crc32c */
#define GDB_KIND_DNA 1u
#define GDB_SECTION_ALIGN 64u /* sections start on this boundary */

/* One assembly entry of a manifest. */
typedef struct gdb_mf_asm {
	char *name;
	uint64_t segment_id;
	uint64_t segment_bytes;
	uint32_t index_crc;
	uint32_t kind;
	char *reference;      /* version 2: the assembly this one is
			       * stored relative to (NULL: none) */
	uint64_t ref_segment; /* and that assembly's segment id */
} gdb_mf_asm;

typedef struct gdb_mf_prov {
	char *target, *source, *command;
	uint64_t source_bytes;
	uint8_t sha256[32];
	int64_t time;
} gdb_mf_prov;

typedef struct gdb_manifest {
	uint64_t generation;
	int current_crc; /* CURRENT carried a checksum (0: an
			  * older store's plain CURRENT) */
	uint64_t next_segment_id;
	uint32_t nasm, nprov;
	gdb_mf_asm *asms;
	gdb_mf_prov *prov;
} gdb_manifest;

/*
 * Read CURRENT and the manifest it names (CRC-checked, parsed).
 * @param lockfd out (may be NULL): the manifest, open and held under
 *        flock(LOCK_SH) until the caller closes it: the reader's
 *        registration, which gc honours (a manifest gc removed between
 *        CURRENT and the lock is noticed and CURRENT read again)
 */
int gdb_manifest_load(int dirfd, const char *path, gdb_manifest *m, int *lockfd,
		      char *err, size_t errlen);
/* Parse manifest bytes (the fuzz target's entry point too). */
int gdb_manifest_parse(const uint8_t *b, size_t len, gdb_manifest *m,
		       const char *name, char *err, size_t errlen);
/*
 * Parse CURRENT's bytes: "MANIFEST-<gen> <crc32c, 8 hex>\n", or an older
 * store's "MANIFEST-<gen>\n". @return 0 with *gen and *has_crc set;
 * GDB_ECORRUPT (malformed), GDB_ECHECKSUM (checksum mismatch).
 */
int gdb_current_parse(const char *b, size_t len, uint64_t *gen, int *has_crc);
/* CURRENT's bytes for generation gen (with checksum); @return length. */
int gdb_current_format(uint64_t gen, char *buf, size_t cap);
/* Write CURRENT.tmp for gen, fsync, rename over CURRENT (no dir fsync). */
int gdb_current_write(int dirfd, uint64_t gen);
/* Write MANIFEST-<m->generation> durably (O_EXCL, fsync). */
int gdb_manifest_write(int dirfd, const gdb_manifest *m);
void gdb_manifest_free(gdb_manifest *m);

/* The reader's state (store.c, open.c). */
struct gdb_seg {
	uint8_t *map;
	size_t len;
	int fd;		  /* kept open: size checks before reads */
	uint32_t version; /* segment format version */
	uint8_t *index;	  /* heap copy of the index (immune to a
			   * truncated file) */
	char name[32];
};

struct gdb_section {
	char *name;
	const uint8_t *data; /* into the segment's mapping */
	uint64_t off, len;
	uint32_t crc;
	int state; /* atomic: 0 unchecked, 1 ok, -1 bad */
};

struct gdb_layout_ref {
	uint64_t off;
	uint32_t crc;
};

/* A sequence assembly's stream of blocks and its codec (store.c). */
struct gdb_asm_int {
	const uint8_t *blocks; /* nblocks entries of GDB_BLOCK_ENTRY
				* bytes: u64 offset, u32 length,
				* u32 crc32c */
	uint8_t *blocks_owned; /* segments before version 3: the
				* entries gathered from the contigs */
	uint32_t *block_n;     /* bases each block holds */
	char *text;	       /* names and descriptions (version 3;
				* NULL: each contig owns its own) */
	uint64_t model_off;
	uint32_t model_crc;
	pthread_mutex_t lock;	/* loading the model */
	gdb_codec_model *model; /* loaded once (atomic pointer) */
	int model_err;		/* the load failed: this, every time */
};

struct gdb_store {
	char *path;
	uint64_t generation;
	int mf_fd; /* the manifest, flock(LOCK_SH): the
		    * reader's registration for gc */
	uint32_t nasm, ncontigs, nprov;
	gdb_assembly *asms;
	gdb_contig *contigs;
	struct gdb_asm_int *ai;		/* per assembly */
	struct gdb_layout_ref *layouts; /* per contig */
	gdb_provenance *prov;
	gdb_manifest mf;      /* owns the provenance strings */
	struct gdb_seg *segs; /* per manifest entry */
	uint32_t *asm_entry;  /* per assembly: its manifest entry */
	uint32_t *obj_entry;  /* per object: its manifest entry */
	uint32_t nobj;
	gdb_object *objs;
	struct gdb_section **secs; /* per object: its sections */
	uint32_t ndamaged;
	gdb_damage *damaged; /* messages owned */
	uint32_t *htab;	     /* contig ids + 1; 0 = empty */
	uint32_t hmask;
	int borrowed;	   /* segment bytes are the caller's */
	uint64_t serial;   /* unique per open: per-thread caches
			    * of decoded blocks key on it */
	int random_access; /* atomic: gdb_store_access_random() was
			    * called; each block read advises its bytes */
};

/*
 * gdb_store_open_mem - a store of one segment held in memory, checked and
 * parsed as gdb_store_open checks a segment file (the manifest entry is
 * made up from the segment's own header): the segment fuzz target's entry
 * point. seg is borrowed until gdb_store_close(); reads skip the file
 * size check.
 */
int gdb_store_open_mem(const uint8_t *seg, size_t len, uint32_t kind,
		       gdb_store **out, char *err, size_t errlen);

/* Grow the per-contig tables to hold total contigs (open.c). */
int gdb_store_grow_contigs(gdb_store *s, uint32_t total);
/* An assembly's stream state: fresh, or its memory released (store.c). */
void gdb_asm_int_reset(struct gdb_asm_int *x);
void gdb_asm_int_free(struct gdb_asm_int *x);

/*
 * The version 3 sequence index (seqindex.c, docs/FORMAT.md "Sequence
 * index"): parse one into contigs [s->ncontigs, + n) of assembly ai, its
 * stream of blocks and codec; and build one from what a transaction
 * recorded.
 * @return 0, GDB_ECORRUPT, -ENOMEM (nothing added on failure)
 */
int gdb_seqindex_parse(gdb_store *s, uint32_t ai, const struct gdb_seg *sg,
		       size_t len, uint64_t data_end, uint32_t n);

/* What a transaction records of a sequence assembly until commit. */
struct gdb_seqw_contig {
	uint64_t length, fasta_bytes, layout_off;
	uint32_t line_width, layout_len, layout_crc;
	uint32_t first_block, block_off;
	int placed;  /* gdb_txn_contig_place was called */
	int digests; /* its 40 bytes are in seqw.digests */
};

struct gdb_seqw {
	gdb_txn_seqinfo info;
	int info_set;
	uint64_t model_off;
	uint32_t model_len, model_crc;
	gdb_buf names;	 /* "name\0desc\0" per contig */
	gdb_buf digests; /* 40 bytes per contig that has them */
	struct gdb_seqw_contig *c;
	uint32_t n, cap;
	gdb_buf blocks;	   /* GDB_BLOCK_ENTRY bytes per block */
	uint32_t *block_n; /* bases per block */
	uint32_t nblocks, capb;
};

void gdb_seqw_free(struct gdb_seqw *w);
/*
 * Check the contigs' placement against the blocks (docs/FORMAT.md
 * "Sequence index": contigs tile the stream) and append the index bytes
 * to out. @return 0, -EINVAL (a placement or block the rules refuse),
 * -ENOMEM
 */
int gdb_seqindex_build(struct gdb_seqw *w, gdb_buf *out);

/*
 * gdb_seg_check_span - is [off, off + len) of a mapped segment still in
 * its file? A segment truncated after it was mapped would raise SIGBUS on
 * access; this fstat()s the kept descriptor first.
 * @return 0, or GDB_ECORRUPT (logged, naming the file and sizes)
 */
int gdb_seg_check_span(const gdb_store *s, const struct gdb_seg *sg,
		       uint64_t off, uint64_t len);

/* A small file read whole (NUL-terminated after *len bytes). */
int gdb_read_small_file(int dirfd, const char *name, uint8_t **out, size_t *len,
			size_t maxlen);

/* Clean-up policies of gdb_store_cleanup() (store/gc.c, its rules at the
 * top), besides GDB_GC_DISCARD_NEWER: */
#define GDB_GC_SEGMENTS 0x100u /* segments no manifest left names */
#define GDB_GC_TRIM_SAFE                                                       \
	0x200u		  /* manifests older than the predecessor              \
			   * whose segments the live one names too */
#define GDB_GC_OLD 0x400u /* every manifest older than the live one */

/* Remove *.tmp files and what flags select; the caller holds LOCK. */
int gdb_store_cleanup(int dirfd, const gdb_manifest *live, unsigned flags,
		      gdb_gc_report *r);
/* The next generation and segment id: past every file present, so a
 * kept newer manifest (rule 2 of gc.c) is never overwritten. */
int gdb_store_next_ids(int dirfd, const gdb_manifest *live, uint64_t *gen,
		       uint64_t *seg);
/* Does MANIFEST-<gen> read whole (CRC, structure, its own number)?
 * @return 0; GDB_ECORRUPT (damaged or missing); another error (memory,
 * I/O, a newer format) that says nothing about its state */
int gdb_store_manifest_check(int dirfd, uint64_t gen);
/* Point CURRENT at the newest manifest that parses and whose segments
 * have their sizes (repair of a damaged CURRENT). GDB_ECORRUPT when
 * there is none; any other error reading one stops it unchanged. */
int gdb_store_restore_current(int dirfd, uint64_t *gen);
/* Read CURRENT alone. */
int gdb_current_read(int dirfd, uint64_t *gen, int *has_crc);

/* FNV-1a of a contig name within its assembly (the contig hash). */
static inline uint32_t gdb_name_hash(uint32_t asm_index, const char *s)
{
	uint32_t h = 2166136261u ^ asm_index;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

uint32_t gdb_crc32c(const void *p, size_t n);
int gdb_write_all(int fd, const void *p, size_t n);
int gdb_fsync_dir(int dirfd);

#endif
