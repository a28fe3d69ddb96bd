/*
 * tests/unit/unit_store.h - a small store built in a temp directory, for
 * the unit binaries that need one (test_ns, test_daemon): one assembly of
 * named contigs, each a given sequence, committed through the store's own
 * writer. Include after unit.h.
 */
#ifndef GDB_UNIT_STORE_H
#define GDB_UNIT_STORE_H

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codecs/codecs.h"
#include "store/store.h"

/* Record p and commit t; after an earlier failure (rc < 0), or if the
 * provenance fails, abort t instead. */
static inline int unit_txn_finish(gdb_txn *t, int rc, const gdb_provenance *p,
				  char *err, size_t errlen)
{
	if (rc == 0)
		rc = gdb_txn_provenance(t, p);
	if (rc == 0)
		rc = gdb_txn_commit(t, NULL, err, errlen);
	else if (t)
		gdb_txn_abort(t);
	return rc;
}

/*
 * unit_store_add - commit assembly asm with the n contigs names[k] =
 * seqs[k] (lens[k] bases) to the store at dir (a new generation).
 * @return 0, or -1 with the reason printed
 */
static inline int unit_store_add(const char *dir, const char *asmname,
				 const char *const *names, char *const *seqs,
				 const int64_t *lens, int n)
{
	gdb_provenance p = {
	    .target = asmname, .source = "mem", .command = "unit"};
	size_t cap = gdb_codecs_dna_bound(GDB_DNA_BLOCK_BASES);
	uint8_t *enc = xmalloc(cap), md5[16] = {0}, sha[24] = {0};
	char err[512] = "";
	gdb_txn *t = NULL;
	int rc = gdb_txn_begin(dir, &t, err, sizeof(err));

	if (rc == 0)
		rc = gdb_txn_assembly_begin(t, asmname, err, sizeof(err));
	for (int k = 0; rc == 0 && k < n; k++) {
		rc = gdb_txn_contig_begin(t, names[k], "", GDB_DNA_BLOCK_BASES,
					  err, sizeof(err));
		for (int64_t off = 0; rc == 0 && off < lens[k];
		     off += GDB_DNA_BLOCK_BASES) {
			int64_t nb = lens[k] - off < GDB_DNA_BLOCK_BASES
					 ? lens[k] - off
					 : GDB_DNA_BLOCK_BASES;
			int e = gdb_codecs_dna_encode(
			    seqs[k] + off, (uint32_t)nb, 0, enc, cap, NULL);
			rc = e < 0 ? e
				   : gdb_txn_block_add(t, enc, (size_t)e,
						       (uint32_t)nb);
		}
		if (rc == 0)
			rc = gdb_txn_contig_end(t, lens[k], 60, md5, sha);
	}
	rc = unit_txn_finish(t, rc, &p, err, sizeof(err));
	free(enc);
	if (rc < 0)
		fprintf(stderr, "building the test store: %s (%d)\n", err, rc);
	return rc < 0 ? -1 : 0;
}

/* unit_store_build - create the store at dir holding assembly asm (as
 * unit_store_add). @return 0, or -1 with the reason printed */
static inline int unit_store_build(const char *dir, const char *asmname,
				   const char *const *names, char *const *seqs,
				   const int64_t *lens, int n)
{
	char err[512] = "";

	if (gdb_store_init(dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "building the test store: %s\n", err);
		return -1;
	}
	return unit_store_add(dir, asmname, names, seqs, lens, n);
}

/* A temp directory for a store: "<tmp>/s"; remove it with unit_store_rm. */
static inline int unit_store_dir(char dir[64])
{
	strcpy(dir, "/tmp/gdb-unit-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	strcat(dir, "/s");
	return 0;
}

static inline void unit_store_rm(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)strlen(dir) - 2, dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", dir);
}

/*
 * unit_block_file - the segment file of the store at dir (open as s) that
 * holds block blk of contig, and the block's offset in it, found by its
 * bytes (for tests that damage one block).
 * @return an fd open for writing, or -1
 */
static inline int unit_block_file(const gdb_store *s, const char *dir,
				  uint32_t contig, uint32_t blk, off_t *off)
{
	const void *p;
	size_t len;
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = -1;

	if (!d || gdb_store_block_span(s, contig, blk, &p, &len) < 0 ||
	    len < 64) {
		if (d)
			closedir(d);
		return -1;
	}
	while (found < 0 && (e = readdir(d)) != NULL) {
		char path[512];
		struct stat sb;
		char *all;
		int fd;

		if (strncmp(e->d_name, "seg-", 4))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fd = open(path, O_RDWR);
		if (fd < 0 || fstat(fd, &sb) < 0) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		all = xmalloc((size_t)sb.st_size + 1);
		if (pread(fd, all, (size_t)sb.st_size, 0) == sb.st_size) {
			for (off_t i = 0; i + (off_t)len <= sb.st_size; i++)
				if (!memcmp(all + i, p, len)) {
					*off = i;
					found = fd;
					break;
				}
		}
		free(all);
		if (found < 0)
			close(fd);
	}
	closedir(d);
	return found;
}

#endif
