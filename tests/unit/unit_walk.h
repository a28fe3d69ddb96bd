/*
 * tests/unit/unit_walk.h - what the store's fault walks share
 * (test_store_oom: allocations, test_store_io: system calls): snapshots of
 * a store directory's files, a pristine store with old generations to copy
 * back before each step, the imports the walks repeat, and a description
 * of what a store holds to compare after each step. Include after unit.h
 * and unit_store.h; a walk defines `ctx`'s fields it needs itself.
 */
#ifndef GDB_UNIT_WALK_H
#define GDB_UNIT_WALK_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "simd/simd.h"
#include "store/store_int.h"

/* The generation the last commit of add_assembly or add_object made. */
static uint64_t walk_generation;

/* ---- store files -------------------------------------------------------- */

#define MAX_FILES 64

/* A flat directory's files: name, size and CRC-32C, sorted by name. */
typedef struct snap {
	int n;
	char name[MAX_FILES][40];
	uint64_t size[MAX_FILES];
	uint32_t crc[MAX_FILES];
} snap;

static uint8_t *slurp(const char *dir, const char *name, size_t *len)
{
	char path[256];
	struct stat st;
	uint8_t *b;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		*len = 0;
		return NULL;
	}
	b = xmalloc((size_t)st.st_size);
	*len = (size_t)read(fd, b, (size_t)st.st_size);
	close(fd);
	return b;
}

static void spit(const char *dir, const char *name, const void *b, size_t n)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, b, n) == (ssize_t)n, "writing %s", path);
	if (fd >= 0)
		close(fd);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void snapshot(const char *dir, snap *s)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	memset(s, 0, sizeof(*s));
	while (d && (e = readdir(d)) && s->n < MAX_FILES)
		if (e->d_name[0] != '.')
			snprintf(s->name[s->n++], 40, "%.39s", e->d_name);
	if (d)
		closedir(d);
	qsort(s->name, (size_t)s->n, 40, by_name);
	for (int i = 0; i < s->n; i++) {
		size_t len;
		uint8_t *b = slurp(dir, s->name[i], &len);
		s->size[i] = len;
		s->crc[i] = b ? gdb_crc32c(b, len) : 0;
		free(b);
	}
}

static int snap_eq(const snap *a, const snap *b)
{
	if (a->n != b->n)
		return 0;
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->name[i], b->name[i]) ||
		    a->size[i] != b->size[i] || a->crc[i] != b->crc[i])
			return 0;
	return 1;
}

/* Make dir hold exactly the files of src. */
static void restore(const char *dir, const char *src)
{
	snap a;

	snapshot(dir, &a);
	for (int i = 0; i < a.n; i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s/%s", dir, a.name[i]);
		unlink(path);
	}
	snapshot(src, &a);
	for (int i = 0; i < a.n; i++) {
		size_t len;
		uint8_t *b = slurp(src, a.name[i], &len);
		spit(dir, a.name[i], b, len);
		free(b);
	}
}

/* ---- building the store ------------------------------------------------- */

static const char *const NAMES[] = {"chr1", "chr2"};
static char SEQ1[] = "ACGTNACGTTTGACCA";
static char SEQ2[] = "GGGTTTAAACCCN";

static int add_assembly(const char *dir, const char *name, unsigned flags,
			char *err, size_t errlen)
{
	char *seqs[2] = {SEQ1, SEQ2};
	int64_t lens[2] = {(int64_t)strlen(SEQ1), (int64_t)strlen(SEQ2)};
	gdb_provenance p = {.target = name, .source = "mem", .command = "t"};
	uint8_t enc[256], md5[16] = {1}, sha[24] = {2};
	gdb_txn *t = NULL;
	int rc = gdb_txn_begin_flags(dir, flags, &t, err, errlen);

	if (rc == 0)
		rc = gdb_txn_assembly_begin(t, name, err, errlen);
	for (int k = 0; rc == 0 && k < 2; k++) {
		int e;
		rc = gdb_txn_contig_begin(t, NAMES[k], "d", GDB_DNA_BLOCK_BASES,
					  err, errlen);
		e = rc ? rc
		       : gdb_codecs_dna_encode(seqs[k], (uint32_t)lens[k], 0,
					       enc, sizeof(enc), NULL);
		rc = e < 0 ? e
			   : gdb_txn_block_add(t, enc, (size_t)e,
					       (uint32_t)lens[k]);
		if (rc == 0)
			rc = gdb_txn_contig_end(t, lens[k], 60, md5, sha);
	}
	if (rc == 0)
		rc = gdb_txn_provenance(t, &p);
	if (rc == 0)
		return gdb_txn_commit(t, &walk_generation, err, errlen);
	gdb_txn_abort(t);
	return rc;
}

static int add_object(const char *dir, const char *name, char *err,
		      size_t errlen)
{
	gdb_provenance p = {.target = name, .source = "mem", .command = "t"};
	gdb_txn *t = NULL;
	int rc = gdb_txn_begin(dir, &t, err, errlen);

	if (rc == 0)
		rc = gdb_txn_object_begin(t, GDB_OBJECT_SECTIONS, name, err,
					  errlen);
	for (int k = 0; rc == 0 && k < 2; k++) {
		rc = gdb_txn_section_begin(t, k ? "edges" : "nodes");
		if (rc == 0)
			rc =
			    gdb_txn_section_write(t, k ? "a b\n" : "a\nb\n", 4);
		if (rc == 0)
			rc = gdb_txn_section_end(t);
	}
	if (rc == 0)
		rc = gdb_txn_provenance(t, &p);
	if (rc == 0)
		return gdb_txn_commit(t, &walk_generation, err, errlen);
	gdb_txn_abort(t);
	return rc;
}

static int drop(const char *dir, uint32_t kind, const char *name)
{
	char err[256];
	gdb_txn *t;
	int rc = gdb_txn_begin(dir, &t, err, sizeof(err));

	if (rc == 0 && (rc = gdb_txn_drop(t, kind, name, err, sizeof(err))))
		gdb_txn_abort(t);
	if (rc == 0)
		rc = gdb_txn_commit(t, NULL, err, sizeof(err));
	CHECK(rc == 0, "drop %s: %s", name, err);
	return rc;
}

/* What the store holds: "asm:contig=bases,... obj:section=bytes,...". */
static void describe(const char *dir, char *out, size_t cap)
{
	char err[256];
	gdb_store *s;
	size_t o = 0;

	out[0] = 0;
	if (gdb_store_open(dir, 0, &s, err, sizeof(err)) < 0) {
		snprintf(out, cap, "open: %s", err);
		return;
	}
	for (uint32_t i = 0; i < gdb_store_ncontigs(s); i++) {
		const gdb_contig *k = gdb_store_contig(s, i);
		char buf[64] = "";
		int rc = k->length < 64
			     ? gdb_store_read(s, i, 0, k->length, buf)
			     : -EINVAL;
		o += (size_t)snprintf(out + o, cap - o, "%s:%s=%s ",
				      gdb_store_assembly(s, k->asm_index)->name,
				      k->name, rc == 0 ? buf : "?");
	}
	for (uint32_t i = 0; i < gdb_store_nobjects(s); i++) {
		const void *d;
		uint64_t len = 0;
		CHECK(gdb_store_section(s, i, "edges", &d, &len) == 0 &&
			  len == 4 && !memcmp(d, "a b\n", 4),
		      "%s: section read", dir);
		o += (size_t)snprintf(out + o, cap - o, "%s:edges=%llu ",
				      gdb_store_object(s, i)->name,
				      (unsigned long long)len);
	}
	if (gdb_store_ndamaged(s))
		snprintf(out + o, cap - o, "damaged:%u", gdb_store_ndamaged(s));
	gdb_store_close(s);
}

/* ---- the store the walks start from ------------------------------------- */

/* A temp directory "<tmp>/s" in memory where there is some: the walks
 * commit hundreds of times, and fsync there costs nothing. */
static int shm_dir(char dir[64])
{
	strcpy(dir, access("/dev/shm", W_OK) == 0 ? "/dev/shm/gdb-oom-XXXXXX"
						  : "/tmp/gdb-oom-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	strcat(dir, "/s");
	return 0;
}

/* pristine: a0 committed and dropped, then a, net, b, and b dropped:
 * live a and net, with older manifests and two segments for gc to
 * remove; dir: a working copy. */
static int walk_setup(char dir[64], char pristine[64])
{
	char err[256];
	char *seqs[1] = {SEQ1};
	int64_t lens[1] = {(int64_t)strlen(SEQ1)};
	const char *names[1] = {"chr1"};

	if (shm_dir(pristine) < 0 || shm_dir(dir) < 0 || mkdir(dir, 0755) < 0)
		return -1;
	if (unit_store_build(pristine, "a0", names, seqs, lens, 1) < 0)
		return -1;
	CHECK(drop(pristine, GDB_KIND_DNA, "a0") == 0, "drop a0");
	CHECK(add_assembly(pristine, "a", 0, err, sizeof(err)) == 0, "%s", err);
	CHECK(add_object(pristine, "net", err, sizeof(err)) == 0, "%s", err);
	CHECK(add_assembly(pristine, "b", 0, err, sizeof(err)) == 0, "%s", err);
	CHECK(drop(pristine, GDB_KIND_DNA, "b") == 0, "drop b");
	return failures ? -1 : 0;
}

#endif
