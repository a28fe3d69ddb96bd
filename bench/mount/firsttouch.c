/*
 * bench/mount/firsttouch.c - what the first touch of a 64 Ki-base block
 * costs the daemon, phase by phase, in process (no FUSE), on the store a
 * region benchmark reads (issue 16). Not part of the product; built by
 * `make bench` only.
 *
 *   firsttouch STORE [--blocks N] [--seed S] [--phase NAME] [--pace US]
 *
 * N distinct blocks (random, deterministic). Each phase opens the store
 * afresh (a fresh mapping; the page cache as it is, warm after an import)
 * and makes a cache as the daemon does (MADV_RANDOM on the segments, the
 * prefetch thread running), touches every block once by one path (its
 * first touch), then each once more (the "part" phase a third time,
 * which caches it, and a fourth). --phase runs one phase. Prints median /
 * p90 / p99 us a block and the page faults a block (getrusage of this
 * thread); the paths are listed in PHASES / WHAT below. --pace US sleeps
 * US microseconds before each touch of every phase (a reader's request
 * comes after the daemon slept: caches cold, the CPU maybe idle), as the
 * "paced" phases and "part" always do 1000. --phase lookup (run only when
 * named) drives a daemon in process instead: a new region name's LOOKUP,
 * its view made alone, its first READ (run_lookup).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "fs/daemon/daemon.h"
#include "fs/ns/ns.h"
#include "store/store.h"
#include "store/store_int.h"

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static long minflt(void)
{
	struct rusage u;

	getrusage(RUSAGE_THREAD, &u);
	return u.ru_minflt + u.ru_majflt;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *t, long faults, size_t n)
{
	qsort(t, n, sizeof(*t), cmp_u64);
	printf("| %s | %.1f | %.1f | %.1f | %.2f |\n", what, t[n / 2] / 1e3,
	       t[n * 9 / 10] / 1e3, t[n * 99 / 100] / 1e3,
	       (double)faults / (double)n);
}

struct blk {
	uint32_t contig, block;
};

static uint64_t rng_state = 88172645463325252ull;
static unsigned pace_us; /* --pace */

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Every block of every contig, shuffled. */
static struct blk *all_blocks(const gdb_store *s, size_t *n)
{
	size_t total = 0, k = 0;
	struct blk *v;

	for (uint32_t i = 0; i < gdb_store_ncontigs(s); i++)
		total += gdb_store_contig(s, i)->nblocks;
	v = malloc(total * sizeof(*v));
	if (!v)
		return NULL;
	for (uint32_t i = 0; i < gdb_store_ncontigs(s); i++)
		for (uint32_t b = 0; b < gdb_store_contig(s, i)->nblocks; b++)
			v[k++] = (struct blk){i, b};
	for (size_t i = total; i > 1; i--) {
		size_t j = rnd() % i;
		struct blk t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
	*n = total;
	return v;
}

/* The segment of the block at p, and p's offset in it. */
static const struct gdb_seg *seg_of(const gdb_store *s, uint32_t contig,
				    const void *p, uint64_t *off)
{
	const struct gdb_seg *sg =
	    &s->segs[s->asm_entry[gdb_store_contig(s, contig)->asm_index]];

	*off = (uint64_t)((const uint8_t *)p - sg->map);
	return sg;
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

/* One block's first touch (or again) by the path named by phase. */
static int touch(const char *phase, gdb_store *s, gdb_cache *c,
		 const struct blk *b, char *buf, char *copy, uint32_t *sink)
{
	const gdb_contig *ct = gdb_store_contig(s, b->contig);
	const void *p;
	size_t len;
	uint64_t off;
	int64_t beg, end;

	if (!strcmp(phase, "decode")) {
		int n = gdb_store_block_decode(s, b->contig, b->block, buf,
					       GDB_DNA_BLOCK_BASES);
		return n < 0 ? n : 0;
	}
	if (!strcmp(phase, "region")) {
		beg = (int64_t)b->block * ct->block_bases;
		end = beg + 1000 > ct->length ? ct->length : beg + 1000;
		return gdb_store_read(s, b->contig, beg, end, buf);
	}
	if (!strcmp(phase, "cache") || !strcmp(phase, "cache, paced")) {
		const char *bases;
		gdb_cache_entry *ref;
		uint32_t got;
		int rc =
		    gdb_cache_get(c, b->contig, b->block, &bases, &got, &ref);
		if (rc == 0)
			gdb_cache_put(c, ref);
		return rc;
	}
	if (!strcmp(phase, "part")) {
		const char *bases;
		gdb_cache_entry *ref;
		uint32_t lo, hi;
		int rc = gdb_cache_get_part(c, b->contig, b->block, 100, 1100,
					    buf, &bases, &lo, &hi, &ref);
		if (rc == 0)
			gdb_cache_put(c, ref);
		return rc;
	}
	if (gdb_store_block_span(s, b->contig, b->block, &p, &len) < 0)
		return -EINVAL;
	if (!strcmp(phase, "fault")) {
		for (size_t o = 0; o < len; o += 4096)
			*sink += ((const volatile uint8_t *)p)[o];
		*sink += ((const volatile uint8_t *)p)[len - 1];
		return 0;
	}
	if (!strcmp(phase, "fstat+crc")) {
		const struct gdb_seg *sg = seg_of(s, b->contig, p, &off);
		int rc = gdb_seg_check_span(s, sg, off, len);
		if (rc < 0)
			return rc;
		*sink += gdb_crc32c(p, len);
		return 0;
	}
	if (!strcmp(phase, "fstat+mincore+crc")) {
		const struct gdb_seg *sg = seg_of(s, b->contig, p, &off);
		uintptr_t a = (uintptr_t)p & ~(uintptr_t)4095;
		uintptr_t e = ((uintptr_t)p + len + 4095) & ~(uintptr_t)4095;
		unsigned char vec[64];
		int rc = gdb_seg_check_span(s, sg, off, len);
		if (rc < 0)
			return rc;
		if (mincore((void *)a, e - a, vec) < 0)
			return -errno;
		for (size_t i = 0; i < (e - a) / 4096; i++)
			if (!(vec[i] & 1))
				return -EAGAIN;
		*sink += gdb_crc32c(p, len);
		return 0;
	}
	if (!strcmp(phase, "crc")) {
		*sink += gdb_crc32c(p, len);
		return 0;
	}
	if (!strcmp(phase, "pread+crc")) {
		const struct gdb_seg *sg = seg_of(s, b->contig, p, &off);
		if (pread(sg->fd, copy, len, (off_t)off) != (ssize_t)len)
			return -EIO;
		*sink += gdb_crc32c(copy, len);
		return 0;
	}
	if (!strcmp(phase, "populate+crc")) {
		uintptr_t a = (uintptr_t)p & ~(uintptr_t)4095;
		uintptr_t e = ((uintptr_t)p + len + 4095) & ~(uintptr_t)4095;
		if (madvise((void *)a, e - a, MADV_POPULATE_READ) < 0)
			return -errno;
		*sink += gdb_crc32c(p, len);
		return 0;
	}
	if (!strcmp(phase, "willneed")) {
		gdb_store_advise(s, b->contig, b->block, b->block);
		return 0;
	}
	return -EINVAL;
}

static const char *const PHASES[] = {
    "decode",	    "region",  "cache",	    "cache, paced",	 "part",
    "fault",	    "crc",     "fstat+crc", "fstat+mincore+crc", "pread+crc",
    "populate+crc", "willneed"};
static const char *const WHAT[] = {
    "gdb_store_block_decode, whole block into a warm buffer",
    "gdb_store_read of 1000 bases (CRC of the block, 1000 decoded)",
    "gdb_cache_get (miss: arena buffer, decode, insert)",
    "gdb_cache_get, 1 ms between blocks (the prefetch thread's time)",
    "gdb_cache_get_part of 1000 bases, 1 ms between blocks (a small read)",
    "segment pages touched, one byte a page (page faults only)",
    "CRC32C over the mapping (first time: its faults too)",
    "the file's size checked (fstat), CRC32C over the mapping",
    "fstat, mincore (pages resident?), CRC32C over the mapping",
    "pread of the block into a warm buffer, CRC32C of the copy",
    "MADV_POPULATE_READ over the block, CRC32C over the mapping",
    "MADV_WILLNEED over the block (what a decode advises first)"};
_Static_assert(sizeof(PHASES) == sizeof(WHAT), "a phase without its words");

/* Each phase on a fresh open (fresh mapping, same page cache): every
 * block's first touch, then each block again. */
static int run_phase(const char *path, unsigned i, const struct blk *b,
		     size_t n, uint64_t *t)
{
	char err[256], *buf = malloc(GDB_DNA_BLOCK_BASES),
		       *copy = malloc(1 << 20);
	uint32_t sink = 0;
	gdb_store *s;
	gdb_cache *c = NULL;
	int rc = 0;
	long f;
	/* a small read's third touch caches the block: a fourth hits it */
	int passes = strcmp(PHASES[i], "part") ? 2 : 4;

	if (!buf || !copy || gdb_store_open(path, 0, &s, err, sizeof(err)) < 0)
		return -EIO;
	memset(buf, 0, GDB_DNA_BLOCK_BASES);
	memset(copy, 0, 1 << 20);
	/* as the daemon: MADV_RANDOM on the segments, prefetch thread */
	if (gdb_cache_create(s, 256u << 20, NULL, &c) < 0 ||
	    gdb_cache_start_prefetch(c) < 0)
		return -ENOMEM;
	for (int again = 0; again < passes && rc == 0; again++) {
		static const char *const PASS[] = {
		    "first touch", "again", "third touch", "fourth touch"};
		char what[160];
		f = minflt();
		for (size_t k = 0; k < n && rc == 0; k++) {
			uint64_t t0;
			if (!strcmp(PHASES[i], "cache, paced") ||
			    !strcmp(PHASES[i], "part"))
				usleep(1000);
			else if (pace_us)
				usleep(pace_us);
			t0 = now_ns();
			rc = touch(PHASES[i], s, c, &b[k], buf, copy, &sink);
			t[k] = now_ns() - t0;
		}
		snprintf(what, sizeof(what), "%s, %s", WHAT[i], PASS[again]);
		report(what, t, minflt() - f, n);
	}
	gdb_cache_destroy(c);
	gdb_store_close(s);
	free(buf);
	free(copy);
	return rc < 0 ? rc : (int)(sink & 0);
}

/* The daemon's LOOKUP of a new region name (1000 bases of each block,
 * "<s>-<e>.seq" under its contig's directory), its first READ, and its
 * FORGET, in process (gdb_daemon_*; --phase lookup, the prefetch thread
 * started as a mount does), the lookup and the read each after --pace us
 * (1000 unless set): what a new-name region read costs inside the daemon,
 * without FUSE. */
static int run_lookup(const char *path, const struct blk *b, size_t n,
		      uint64_t *t)
{
	gdb_fs_opts o = {.store_path = path, .cache_bytes = 256u << 20};
	uint64_t *tr = calloc(n, sizeof(*tr)), *tv = calloc(n, sizeof(*tv));
	char err[256], name[64], buf[1000];
	gdb_view *v;
	gdb_daemon_entry root, dir, e;
	gdb_daemon *d;
	gdb_store *s;
	int rc = 0;

	if (!tr || !tv || gdb_store_open(path, 0, &s, err, sizeof(err)) < 0) {
		free(tr);
		free(tv);
		return -EIO;
	}
	if (gdb_daemon_open(&o, &d, err, sizeof(err)) < 0) {
		gdb_store_close(s);
		free(tr);
		free(tv);
		return -EIO;
	}
	/* as a mounted daemon: the prefetch thread, the store read at random
	 * (its blocks with pread) */
	rc = gdb_cache_start_prefetch(gdb_daemon_cache(d));
	if (rc == 0)
		rc = gdb_daemon_lookup(d, GDB_DAEMON_ROOT,
				       gdb_store_assembly(s, 0)->name, &root);
	for (size_t k = 0; k < n && rc == 0; k++) {
		const gdb_contig *ct = gdb_store_contig(s, b[k].contig);
		int64_t at = (int64_t)b[k].block * ct->block_bases;
		/* 1-based names; a short last block's region starts in it */
		int64_t beg = at + 101 <= ct->length ? at + 101 : at + 1;
		int64_t end = beg + 999 > ct->length ? ct->length : beg + 999;
		uint64_t t0;
		ssize_t got;

		rc = gdb_daemon_lookup(d, root.ino, ct->name, &dir);
		if (rc < 0)
			break;
		snprintf(name, sizeof(name), "%lld-%lld.seq", (long long)beg,
			 (long long)end);
		usleep(pace_us ? pace_us : 1000);
		t0 = now_ns();
		rc = gdb_daemon_lookup(d, dir.ino, name, &e);
		t[k] = now_ns() - t0;
		if (rc < 0)
			break;
		usleep(pace_us ? pace_us : 1000);
		t0 = now_ns();
		rc = gdb_seq_region(s, b[k].contig, name, &v);
		tv[k] = now_ns() - t0;
		if (rc < 0)
			break;
		gdb_view_free(v);
		usleep(pace_us ? pace_us : 1000);
		t0 = now_ns();
		got = gdb_daemon_read(d, e.ino, 0, sizeof(buf), buf);
		tr[k] = now_ns() - t0;
		if (got != end - beg + 1)
			rc = got < 0 ? (int)got : -EIO;
		gdb_daemon_forget(d, e.ino, 1);
		gdb_daemon_forget(d, dir.ino, 1);
	}
	if (rc == 0) {
		report("gdb_daemon_lookup of a new region name (1000 bases), "
		       "1 ms apart",
		       t, 0, n);
		report("its view made alone (gdb_seq_region), 1 ms apart", tv,
		       0, n);
		report("its first gdb_daemon_read (1000 bytes: a touch in "
		       "part), 1 ms apart",
		       tr, 0, n);
	}
	gdb_daemon_close(d);
	gdb_store_close(s);
	free(tr);
	free(tv);
	return rc;
}

int main(int argc, char **argv)
{
	size_t want = 1000, total;
	const char *only = NULL;
	gdb_store *s;
	char err[256];
	struct blk *b;
	uint64_t *t;
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: firsttouch STORE [--blocks N] "
				"[--seed S] [--phase NAME] [--pace US]\n");
		return 2;
	}
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--blocks"))
			want = strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--phase"))
			only = argv[i + 1];
		else if (!strcmp(argv[i], "--pace"))
			pace_us = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--seed"))
			rng_state ^= strtoull(argv[i + 1], NULL, 10);
	}
	if (gdb_store_open(argv[1], 0, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], err);
		return 1;
	}
	b = all_blocks(s, &total);
	gdb_store_close(s);
	if (!b)
		return 1;
	if (want > total)
		want = total;
	t = calloc(want, sizeof(*t));
	if (!t)
		return 1;
	printf("%zu blocks (of %zu), each phase on a fresh open of %s "
	       "(its page cache warm)\n\n",
	       want, total, argv[1]);
	printf("| phase | median us | p90 us | p99 us | page faults a block "
	       "|\n|---|---:|---:|---:|---:|\n");
	if (only && !strcmp(only, "lookup"))
		rc = run_lookup(argv[1], b, want, t);
	for (unsigned i = 0; i < sizeof(PHASES) / sizeof(*PHASES) && !rc; i++)
		if (!only || !strcmp(only, PHASES[i]))
			rc = run_phase(argv[1], i, b, want, t);
	if (rc < 0)
		fprintf(stderr, "firsttouch: %s\n", strerror(-rc));
	free(b);
	free(t);
	return rc < 0 ? 1 : 0;
}
