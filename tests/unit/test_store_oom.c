/*
 * tests/unit/test_store_oom.c - every allocation of the store's open,
 * commit, repair, gc and init fails in turn. The binary is linked with
 * ld --wrap for malloc, calloc, realloc and strdup (Makefile), so the
 * library's calls go to unit_oom.h's wrappers, and the Nth one of an
 * operation returns NULL.
 *
 * For each N the operation must report -ENOMEM (never a damaged store, a
 * malformed manifest or a wrong answer) or succeed whole, and the store
 * must be exactly as before (a failed operation) or exactly as the
 * operation leaves it (a successful one): repair never moves a sound
 * CURRENT, gc keeps the live generation's files byte for byte, a failed
 * commit leaves every file as it was. The walk ends when an operation
 * makes fewer than N allocations. Exit 0 pass, 1 fail.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UNIT_SEED 0x6f6f6d5f77616c6bull
#include "tests/unit/unit.h"

#include "tests/unit/unit_oom.h"
#include "tests/unit/unit_store.h"
#include "tests/unit/unit_walk.h"

/* ---- the walk ----------------------------------------------------------- */

typedef struct ctx ctx;
/* An operation under test; after() checks the store it left (n: the
 * allocation that failed, 0 when none did). */
typedef int (*op_fn)(ctx *c, char *err, size_t errlen);
typedef void (*after_fn)(ctx *c, int rc, long n);

struct ctx {
	const char *what;
	char dir[64], pristine[64];
	snap before;
	uint8_t *seg;
	size_t seglen;
	uint32_t kind, items; /* open_mem: the segment's kind, what it holds */
	long enomem, succeeded;
};

#include "tests/unit/unit_walk_ops.h"

/* Fail allocation 1, 2, ... of op until op makes fewer. */
static void walk(ctx *c, op_fn op, after_fn after)
{
	long n;

	c->enomem = c->succeeded = 0;
	for (n = 1; n < 200000; n++) {
		char err[512] = "";
		int rc;

		if (c->pristine[0])
			restore(c->dir, c->pristine);
		oom_arm(n);
		rc = op(c, err, sizeof(err));
		if (oom_disarm() < n) {
			CHECK(rc >= 0,
			      "%s: failed with no allocation failed: %d %s",
			      c->what, rc, err);
			after(c, rc, 0);
			break;
		}
		CHECK(rc >= 0 || rc == -ENOMEM,
		      "%s: allocation %ld failed, reported as %d (%s)", c->what,
		      n, rc, err);
		if (rc == -ENOMEM)
			c->enomem++;
		else if (rc >= 0)
			c->succeeded++;
		after(c, rc, n);
	}
	CHECK(n > 1 && c->enomem > 0, "%s: only %ld allocations", c->what, n);
	printf("test_store_oom: %s: %ld allocations failed in turn, %ld "
	       "-ENOMEM, %ld completed regardless\n",
	       c->what, n - 1, c->enomem, c->succeeded);
}

/* ---- the operations and what each must leave ----------------------------- */

/* Open and close: -ENOMEM, or the whole store with nothing damaged. */
static int op_open(ctx *c, char *err, size_t errlen)
{
	gdb_store *s;
	int rc = gdb_store_open(c->dir, 0, &s, err, errlen);

	if (rc < 0)
		return rc;
	CHECK(gdb_store_ndamaged(s) == 0 && gdb_store_ncontigs(s) == 2 &&
		  gdb_store_nobjects(s) == 1,
	      "%s: open under OOM: %u damaged, %u contigs", c->what,
	      gdb_store_ndamaged(s), gdb_store_ncontigs(s));
	gdb_store_close(s);
	return 0;
}

static int op_open_mem(ctx *c, char *err, size_t errlen)
{
	gdb_store *s;
	int rc =
	    gdb_store_open_mem(c->seg, c->seglen, c->kind, &s, err, errlen);

	if (rc < 0)
		return rc;
	CHECK(gdb_store_ndamaged(s) == 0 &&
		  gdb_store_ncontigs(s) + gdb_store_nobjects(s) == c->items,
	      "%s: open_mem under OOM", c->what);
	gdb_store_close(s);
	return 0;
}

/* Read-only operations leave every file as it was. */
static void after_unchanged(ctx *c, int rc, long n)
{
	snap now;

	(void)rc;
	snapshot(c->dir, &now);
	CHECK(snap_eq(&now, &c->before), "%s: allocation %ld: files changed",
	      c->what, n);
}

static char want_old[1024], want_new[1024];

/* A commit that failed left every file as it was; one that succeeded
 * left the new generation, whole. */
static void after_commit(ctx *c, int rc, long n)
{
	char got[1024];

	describe(c->dir, got, sizeof(got));
	if (rc < 0)
		after_unchanged(c, rc, n);
	else
		CHECK(!strcmp(got, want_new),
		      "%s: allocation %ld: committed '%s', want '%s'", c->what,
		      n, got, want_new);
}

/* An identical re-import commits nothing (1) or, when its comparison
 * ran out of memory, an identical copy (0): the content is the same. */
static void after_replace(ctx *c, int rc, long n)
{
	char got[1024];

	if (rc < 0 || rc == 1) {
		after_unchanged(c, rc, n);
		return;
	}
	describe(c->dir, got, sizeof(got));
	CHECK(!strcmp(got, want_old), "%s: allocation %ld: '%s', want '%s'",
	      c->what, n, got, want_old);
}

static gdb_gc_report gc_want; /* what gc does with memory enough */

static int op_gc(ctx *c, char *err, size_t errlen)
{
	gdb_gc_report r;
	int rc = gdb_store_gc(c->dir, 0, &r, err, errlen);

	if (rc == 0)
		CHECK(r.manifests_removed == gc_want.manifests_removed &&
			  r.segments_removed == gc_want.segments_removed,
		      "%s: gc removed %u manifests, %u segments", c->what,
		      r.manifests_removed, r.segments_removed);
	return rc;
}

/* The live generation's files are untouched whatever gc did. */
static void after_gc(ctx *c, int rc, long n)
{
	char label[128];

	(void)rc;
	snprintf(label, sizeof(label), "%s: allocation %ld", c->what, n);
	check_gc(c, label, want_old);
}

/* A sound CURRENT is never moved; a damaged one either stays as it was
 * (the repair failed) or names the newest whole manifest. */
static void after_repair(ctx *c, int rc, long n)
{
	char label[128];

	snprintf(label, sizeof(label), "%s: allocation %ld", c->what, n);
	check_repair(c, label, rc, c->seg, c->seglen, c->kind, want_old);
}

/* A failed init leaves an empty directory, which a second init takes. */
static void after_init(ctx *c, int rc, long n)
{
	char path[96], err[256];
	gdb_store *s = NULL;

	snprintf(path, sizeof(path), "%s/new", c->dir);
	if (rc < 0)
		CHECK(gdb_store_init(path, err, sizeof(err)) == 0,
		      "%s: allocation %ld: init again: %s", c->what, n, err);
	CHECK(gdb_store_open(path, 0, &s, err, sizeof(err)) == 0 &&
		  gdb_store_ncontigs(s) == 0,
	      "%s: allocation %ld: %s", c->what, n, err);
	gdb_store_close(s);
	snprintf(path, sizeof(path), "rm -rf '%s/new'", c->dir);
	CHECK(system(path) == 0, "rm");
}

static void walk_readers(ctx *c)
{
	char seg[32];

	c->what = "open";
	walk(c, op_open, after_unchanged);
	c->what = "inspect";
	walk(c, op_inspect, after_unchanged);
	for (uint64_t id = 1; id < 8; id++) {
		gdb_store *s;
		char err[256];
		gdb_store_segment_name(id, seg, sizeof(seg));
		free(c->seg);
		c->seg = slurp(c->dir, seg, &c->seglen);
		if (!c->seg)
			continue;
		c->kind = GDB_KIND_DNA;
		if (gdb_store_open_mem(c->seg, c->seglen, c->kind, &s, err,
				       sizeof(err)) < 0) {
			c->kind = GDB_OBJECT_SECTIONS;
			CHECK(gdb_store_open_mem(c->seg, c->seglen, c->kind, &s,
						 err, sizeof(err)) == 0,
			      "%s: %s", seg, err);
		}
		c->items = gdb_store_ncontigs(s) + gdb_store_nobjects(s);
		gdb_store_close(s);
		c->what = c->kind == GDB_OBJECT_SECTIONS
			      ? "open_mem (sections)"
			      : "open_mem (assembly)";
		walk(c, op_open_mem, after_unchanged);
	}
	/* a version 1 segment (tests/data/v1store) */
	free(c->seg);
	c->seg = slurp(access("data/v1store", F_OK) == 0
			   ? "data/v1store/v1.gdb"
			   : "tests/data/v1store/v1.gdb",
		       "seg-000001.gdb", &c->seglen);
	CHECK(c->seg != NULL, "tests/data/v1store/v1.gdb/seg-000001.gdb");
	c->kind = GDB_KIND_DNA;
	c->items = 1;
	c->what = "open_mem (version 1 assembly)";
	if (c->seg)
		walk(c, op_open_mem, after_unchanged);
	free(c->seg);
	c->seg = NULL;
}

/* A store with one segment cut short: that entry listed damaged. */
static int op_open_damaged(ctx *c, char *err, size_t errlen)
{
	gdb_store *s;
	int rc = gdb_store_open(c->dir, 0, &s, err, errlen);

	if (rc < 0)
		return rc;
	CHECK(gdb_store_ndamaged(s) == 1 && gdb_store_nobjects(s) == 1,
	      "%s: %u damaged", c->what, gdb_store_ndamaged(s));
	gdb_store_close(s);
	return 0;
}

static void walk_damaged(ctx *c)
{
	char pristine[64];

	restore(c->dir, c->pristine);
	spit(c->dir, "seg-000002.gdb", "GDBSEGMT", 8);
	snapshot(c->dir, &c->before);
	memcpy(pristine, c->pristine, sizeof(pristine));
	c->pristine[0] = 0;
	c->what = "open (a damaged segment)";
	walk(c, op_open_damaged, after_unchanged);
	memcpy(c->pristine, pristine, sizeof(pristine));
	restore(c->dir, c->pristine);
	snapshot(c->dir, &c->before);
}

int main(void)
{
	ctx c = {0};
	char pristine[64];
	char cur[64];
	uint64_t gen;
	int has, fd;

	gdb_simd_init();
	if (walk_setup(c.dir, c.pristine) < 0)
		return T_EXIT_FAIL;
	restore(c.dir, c.pristine);
	snapshot(c.dir, &c.before);
	describe(c.dir, want_old, sizeof(want_old));
	CHECK(!strcmp(want_old, "a:chr1=ACGTNACGTTTGACCA a:chr2=GGGTTTAAACCCN "
				"net:edges=4 "),
	      "store: '%s'", want_old);
	walk_readers(&c);
	walk_damaged(&c);

	/* Writers start from the pristine copy each time. */
	add_assembly(c.dir, "c", 0, cur, sizeof(cur));
	describe(c.dir, want_new, sizeof(want_new));
	c.what = "commit (assembly)";
	walk(&c, op_commit, after_commit);
	restore(c.dir, c.pristine);
	add_object(c.dir, "net2", cur, sizeof(cur));
	describe(c.dir, want_new, sizeof(want_new));
	c.what = "commit (sections object)";
	walk(&c, op_object, after_commit);
	c.what = "commit (identical replacement)";
	walk(&c, op_replace, after_replace);
	restore(c.dir, c.pristine);
	CHECK(gdb_store_gc(c.dir, 0, &gc_want, cur, sizeof(cur)) == 0 &&
		  gc_want.segments_removed == 2 && gc_want.manifests_removed,
	      "gc: %s", cur);
	spit(c.pristine, "junk.tmp", "x", 1); /* a dead writer's leftover */
	c.what = "gc";
	walk(&c, op_gc, after_gc);

	/* repair: CURRENT sound, then damaged */
	fd = open(c.pristine, O_RDONLY | O_DIRECTORY);
	CHECK(gdb_current_read(fd, &gen, &has) == 0, "CURRENT");
	close(fd);
	c.kind = (uint32_t)gen;
	free(c.seg);
	c.seg = slurp(c.pristine, "CURRENT", &c.seglen);
	c.what = "repair (CURRENT sound)";
	walk(&c, op_repair, after_repair);
	memcpy(c.seg, "MANIFEST-000009 00000000\n", c.seglen);
	spit(c.pristine, "CURRENT", c.seg, c.seglen);
	c.what = "repair (CURRENT damaged)";
	walk(&c, op_repair, after_repair);

	memcpy(pristine, c.pristine, sizeof(pristine)); /* removed below */
	c.pristine[0] = 0;
	c.what = "init";
	walk(&c, op_init, after_init);
	free(c.seg);
	unit_store_rm(c.dir);
	unit_store_rm(pristine);
	if (failures)
		fprintf(stderr, "test_store_oom: %d failure(s)\n", failures);
	else
		printf("test_store_oom: ok\n");
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
