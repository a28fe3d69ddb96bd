/*
 * store/store_int.h - internals shared by the store's reader (store.c) and
 * writer (txn.c): on-disk constants and the manifest's in-memory form.
 * No other module includes this file.
 */
#ifndef GDB_STORE_INT_H
#define GDB_STORE_INT_H

#include <stdint.h>

#include "store/store.h"

#define GDB_MANIFEST_MAGIC "GDBMANIF"
#define GDB_SEGMENT_MAGIC "GDBSEGMT"
#define GDB_FORMAT_VERSION 1u
#define GDB_MANIFEST_HDR 48u
#define GDB_SEGMENT_HDR 64u
#define GDB_BLOCK_ENTRY 16u	/* u64 offset, u32 stored_len, u32 crc32c */
#define GDB_KIND_DNA 1u
#define GDB_SECTION_ALIGN 64u	/* sections start on this boundary */

/* One assembly entry of a manifest. */
typedef struct gdb_mf_asm {
	char *name;
	uint64_t segment_id;
	uint64_t segment_bytes;
	uint32_t index_crc;
	uint32_t kind;
} gdb_mf_asm;

typedef struct gdb_mf_prov {
	char *target, *source, *command;
	uint64_t source_bytes;
	uint8_t sha256[32];
	int64_t time;
} gdb_mf_prov;

typedef struct gdb_manifest {
	uint64_t generation;
	uint64_t next_segment_id;
	uint32_t nasm, nprov;
	gdb_mf_asm *asms;
	gdb_mf_prov *prov;
} gdb_manifest;

/* Read CURRENT and the manifest it names (CRC-checked, parsed). */
int gdb_manifest_load(int dirfd, const char *path, gdb_manifest *m,
		      char *err, size_t errlen);
/* Write MANIFEST-<m->generation> durably (O_EXCL, fsync). */
int gdb_manifest_write(int dirfd, const gdb_manifest *m);
void gdb_manifest_free(gdb_manifest *m);

uint32_t gdb_crc32c(const void *p, size_t n);
int gdb_write_all(int fd, const void *p, size_t n);
int gdb_fsync_dir(int dirfd);

#endif
