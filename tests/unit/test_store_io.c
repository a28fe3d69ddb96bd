/*
 * tests/unit/test_store_io.c - every system call of the store's open,
 * inspect, commit, drop, repair, gc and init fails in turn. The binary is
 * linked with ld --wrap for the calls store/ makes (Makefile), so the
 * library's open, close, fstat, pread, write, fsync, rename, flock, mmap
 * ... come here, and the Nth call of one kind fails with EIO (and open
 * with EACCES, flock with EWOULDBLOCK); pread and write also return EINTR
 * (the operation must then succeed as if nothing happened) and 0 bytes.
 *
 * For each failed call the operation must report an error or succeed,
 * and the store must be what test_store_oom demands after a failed
 * allocation: a failed reader or commit leaves every file as it was, a
 * commit that succeeded left the new generation whole, gc keeps the live
 * generation, repair never moves a sound CURRENT and moves a damaged one
 * only to the newest whole manifest. The walk ends when an operation
 * makes fewer than N calls of that kind. Exit 0 pass, 1 fail.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define UNIT_SEED 0x696f5f77616c6b21ull
#include "tests/unit/unit.h"

#include "tests/unit/unit_store.h"
#include "tests/unit/unit_walk.h"

/* ---- the system calls ---------------------------------------------------- */

/* MODE_FLIP: the call succeeds with its first byte read changed (only
 * where the walk says: a manifest so read is damaged, not failed). */
enum { MODE_ERR, MODE_ZERO, MODE_FLIP };

static const char *fp_op; /* the kind of call to fail, NULL: none */
static long fp_at, fp_count;
static int fp_err, fp_mode;

/* Is this call the one to fail? errno is set when it is. */
static int fp_now(const char *op)
{
	if (!fp_op || strcmp(op, fp_op) || ++fp_count != fp_at)
		return 0;
	errno = fp_err;
	return 1;
}

#define WRAP(ret, name, params)                                                \
	ret __real_##name params;                                              \
	ret __wrap_##name params;                                              \
	ret __wrap_##name params

WRAP(int, open64, (const char *p, int fl, ...))
{
	mode_t m = 0;

	if (fl & O_CREAT) {
		va_list ap;
		va_start(ap, fl);
		m = va_arg(ap, mode_t);
		va_end(ap);
	}
	return fp_now("open") ? -1 : __real_open64(p, fl, m);
}

WRAP(int, openat64, (int d, const char *p, int fl, ...))
{
	mode_t m = 0;

	if (fl & O_CREAT) {
		va_list ap;
		va_start(ap, fl);
		m = va_arg(ap, mode_t);
		va_end(ap);
	}
	return fp_now("open") ? -1 : __real_openat64(d, p, fl, m);
}

/* A failed close still closes, as Linux's does. */
WRAP(int, close, (int fd))
{
	int rc = __real_close(fd);

	return fp_now("close") ? -1 : rc;
}

WRAP(int, fstat64, (int fd, struct stat *st))
{
	return fp_now("fstat") ? -1 : __real_fstat64(fd, st);
}

WRAP(int, fstatat64, (int d, const char *p, struct stat *st, int fl))
{
	return fp_now("fstatat") ? -1 : __real_fstatat64(d, p, st, fl);
}

WRAP(ssize_t, pread64, (int fd, void *b, size_t n, off_t off))
{
	ssize_t r;

	if (fp_now("pread") && fp_mode != MODE_FLIP)
		return fp_mode == MODE_ZERO ? 0 : -1;
	r = __real_pread64(fd, b, n, off);
	if (r > 0 && fp_op && fp_mode == MODE_FLIP && fp_count == fp_at)
		((uint8_t *)b)[0] ^= 1;
	return r;
}

WRAP(ssize_t, pwrite64, (int fd, const void *b, size_t n, off_t off))
{
	if (fp_now("pwrite"))
		return fp_mode == MODE_ZERO ? 0 : -1;
	return __real_pwrite64(fd, b, n, off);
}

WRAP(ssize_t, write, (int fd, const void *b, size_t n))
{
	if (fp_now("write"))
		return fp_mode == MODE_ZERO ? 0 : -1;
	return __real_write(fd, b, n);
}

WRAP(int, fsync, (int fd))
{
	return fp_now("fsync") ? -1 : __real_fsync(fd);
}

WRAP(int, renameat, (int a, const char *p, int b, const char *q))
{
	return fp_now("rename") ? -1 : __real_renameat(a, p, b, q);
}

WRAP(int, flock, (int fd, int op))
{
	return fp_now("flock") ? -1 : __real_flock(fd, op);
}

WRAP(void *, mmap64, (void *a, size_t n, int prot, int fl, int fd, off_t o))
{
	return fp_now("mmap") ? MAP_FAILED
			      : __real_mmap64(a, n, prot, fl, fd, o);
}

WRAP(int, mkdir, (const char *p, mode_t m))
{
	return fp_now("mkdir") ? -1 : __real_mkdir(p, m);
}

WRAP(DIR *, opendir, (const char *p))
{
	return fp_now("opendir") ? NULL : __real_opendir(p);
}

WRAP(DIR *, fdopendir, (int fd))
{
	return fp_now("fdopendir") ? NULL : __real_fdopendir(fd);
}

WRAP(int, dup, (int fd))
{
	return fp_now("dup") ? -1 : __real_dup(fd);
}

WRAP(int, unlinkat, (int d, const char *p, int fl))
{
	return fp_now("unlinkat") ? -1 : __real_unlinkat(d, p, fl);
}

/* Each kind of call and how it fails; EINTR must change nothing. */
static const struct fault {
	const char *op;
	int err, mode;
} FAULTS[] = {
    {"open", EIO, MODE_ERR},	{"open", EACCES, MODE_ERR},
    {"close", EIO, MODE_ERR},	{"fstat", EIO, MODE_ERR},
    {"fstatat", EIO, MODE_ERR}, {"pread", EIO, MODE_ERR},
    {"pread", EINTR, MODE_ERR}, {"pread", 0, MODE_ZERO},
    {"pread", 0, MODE_FLIP},	{"pwrite", EIO, MODE_ERR},
    {"pwrite", 0, MODE_ZERO},	{"write", EIO, MODE_ERR},
    {"write", EINTR, MODE_ERR}, {"write", 0, MODE_ZERO},
    {"fsync", EIO, MODE_ERR},	{"rename", EIO, MODE_ERR},
    {"flock", EIO, MODE_ERR},	{"flock", EWOULDBLOCK, MODE_ERR},
    {"mmap", EIO, MODE_ERR},	{"mkdir", EIO, MODE_ERR},
    {"opendir", EIO, MODE_ERR}, {"fdopendir", EIO, MODE_ERR},
    {"dup", EIO, MODE_ERR},	{"unlinkat", EIO, MODE_ERR},
};

/* ---- the walk ----------------------------------------------------------- */

typedef struct ctx ctx;
typedef int (*op_fn)(ctx *c, char *err, size_t errlen);
/* Check the store op left; f: the fault (NULL when none fired). */
typedef void (*after_fn)(ctx *c, int rc, const struct fault *f, long n);

struct ctx {
	const char *what;
	char dir[64], pristine[64];
	snap before;
	uint8_t *cur; /* CURRENT before repair */
	size_t curlen;
	uint64_t want_gen; /* repair: the newest whole manifest */
	int flip;	   /* walk MODE_FLIP too */
	long steps, failed;
};

#include "tests/unit/unit_walk_ops.h"

static char want_old[1024], want_new[1024];

/* Fail call 1, 2, ... of each kind in turn until op makes fewer. */
static void walk(ctx *c, op_fn op, after_fn after)
{
	long steps = 0, failed = 0;

	for (size_t k = 0; k < sizeof(FAULTS) / sizeof(FAULTS[0]); k++) {
		const struct fault *f = &FAULTS[k];
		if (f->mode == MODE_FLIP && !c->flip)
			continue;
		for (long n = 1; n < 100000; n++) {
			char err[512] = "";
			int rc, eintr = f->err == EINTR;
			if (c->pristine[0])
				restore(c->dir, c->pristine);
			fp_count = 0;
			fp_at = n;
			fp_err = f->err;
			fp_mode = f->mode;
			fp_op = f->op;
			rc = op(c, err, sizeof(err));
			fp_op = NULL;
			if (fp_count < n) {
				CHECK(rc >= 0,
				      "%s: failed with no fault: %d %s",
				      c->what, rc, err);
				after(c, rc, NULL, 0);
				break;
			}
			steps++;
			failed += rc < 0;
			CHECK(!eintr || rc >= 0, "%s: EINTR at %s %ld: %d %s",
			      c->what, f->op, n, rc, err);
			after(c, rc, eintr ? NULL : f, n);
		}
	}
	printf("test_store_io: %s: %ld calls failed in turn, %ld reported\n",
	       c->what, steps, failed);
}

/* ---- the operations and what each must leave ----------------------------- */

static int op_open(ctx *c, char *err, size_t errlen)
{
	gdb_store *s;
	int rc = gdb_store_open(c->dir, 0, &s, err, errlen);

	if (rc < 0)
		return rc;
	/* a segment that could not be opened or mapped is listed damaged;
	 * what opened holds what the store holds */
	CHECK((gdb_store_ncontigs(s) == 2 || gdb_store_ncontigs(s) == 0) &&
		  (gdb_store_ncontigs(s) > 0) + gdb_store_nobjects(s) +
			  gdb_store_ndamaged(s) ==
		      2,
	      "%s: %u contigs, %u objects, %u damaged", c->what,
	      gdb_store_ncontigs(s), gdb_store_nobjects(s),
	      gdb_store_ndamaged(s));
	gdb_store_close(s);
	return 0;
}

static void after_unchanged(ctx *c, int rc, const struct fault *f, long n)
{
	snap now;

	(void)rc;
	snapshot(c->dir, &now);
	CHECK(snap_eq(&now, &c->before), "%s: %s %ld: files changed", c->what,
	      f ? f->op : "-", n);
}

static int op_drop(ctx *c, char *err, size_t errlen)
{
	gdb_txn *t;
	int rc = gdb_txn_begin(c->dir, &t, err, errlen);

	(void)c;
	if (rc < 0)
		return rc;
	rc = gdb_txn_drop(t, GDB_OBJECT_SECTIONS, "net", err, errlen);
	return rc < 0 ? (gdb_txn_abort(t), rc)
		      : gdb_txn_commit(t, NULL, err, errlen);
}

/*
 * A commit that failed left the old generation; every file as it was
 * unless the failed call was the clean-up's own unlink (a leftover the
 * next writer removes). The one exception: the directory's fsync after
 * the CURRENT rename failed, when the commit may or may not survive a
 * crash and the new generation is live. One that succeeded left the new.
 */
static void after_commit(ctx *c, int rc, const struct fault *f, long n)
{
	char got[1024];

	describe(c->dir, got, sizeof(got));
	if (rc >= 0) {
		CHECK(!strcmp(got, want_new), "%s: %s %ld: '%s', want '%s'",
		      c->what, f ? f->op : "-", n, got, want_new);
		return;
	}
	if (!strcmp(got, want_new) && f && !strcmp(f->op, "fsync"))
		return;
	CHECK(!strcmp(got, want_old), "%s: %s %ld (rc %d): '%s', want '%s'",
	      c->what, f ? f->op : "-", n, rc, got, want_old);
	if (!f || strcmp(f->op, "unlinkat"))
		after_unchanged(c, rc, f, n);
}

/* An identical re-import commits nothing (1), or its comparison could not
 * read the files and it committed an identical copy (0). */
static void after_replace(ctx *c, int rc, const struct fault *f, long n)
{
	char got[1024];

	describe(c->dir, got, sizeof(got));
	CHECK(!strcmp(got, want_old), "%s: %s %ld (rc %d): '%s'", c->what,
	      f ? f->op : "-", n, rc, got);
	if (rc == 1 && (!f || strcmp(f->op, "unlinkat")))
		after_unchanged(c, rc, f, n);
}

static int op_gc(ctx *c, char *err, size_t errlen)
{
	gdb_gc_report r;

	(void)c;
	return gdb_store_gc(c->dir, 0, &r, err, errlen);
}

/* The live generation is untouched whatever gc did. */
static void after_gc(ctx *c, int rc, const struct fault *f, long n)
{
	char label[128];

	snprintf(label, sizeof(label), "%s: %s %ld (rc %d)", c->what,
		 f ? f->op : "-", n, rc);
	check_gc(c, label, want_old);
}

/* A failed repair left CURRENT as it was; one that succeeded left it
 * naming the newest whole manifest, never an older one. */
static void after_repair(ctx *c, int rc, const struct fault *f, long n)
{
	char label[128];

	snprintf(label, sizeof(label), "%s: %s %ld", c->what, f ? f->op : "-",
		 n);
	check_repair(c, label, rc, c->cur, c->curlen, c->want_gen, want_old);
}

/* init into a directory that exists and is empty */
static int op_init_empty(ctx *c, char *err, size_t errlen)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/new", c->dir);
	const char *armed = fp_op;

	fp_op = NULL; /* the test's own mkdir */
	CHECK(mkdir(path, 0755) == 0, "mkdir %s", path);
	fp_op = armed;
	return gdb_store_init(path, err, errlen);
}

/* A failed init leaves a directory a second init takes. */
static void after_init(ctx *c, int rc, const struct fault *f, long n)
{
	char path[96], err[256];
	gdb_store *s = NULL;

	snprintf(path, sizeof(path), "%s/new", c->dir);
	if (rc < 0) {
		snprintf(err, sizeof(err), "rm -f '%s'/*", path);
		CHECK(system(err) == 0, "rm");
		CHECK(gdb_store_init(path, err, sizeof(err)) == 0,
		      "%s: %s %ld: init again: %s", c->what, f ? f->op : "-", n,
		      err);
	}
	CHECK(gdb_store_open(path, 0, &s, err, sizeof(err)) == 0 &&
		  gdb_store_ncontigs(s) == 0,
	      "%s: %s %ld: %s", c->what, f ? f->op : "-", n, err);
	gdb_store_close(s);
	snprintf(path, sizeof(path), "rm -rf '%s/new'", c->dir);
	CHECK(system(path) == 0, "rm");
}

/* ---- main --------------------------------------------------------------- */

static void walk_writers(ctx *c)
{
	char err[256];

	add_assembly(c->dir, "c", 0, err, sizeof(err));
	describe(c->dir, want_new, sizeof(want_new));
	c->what = "commit (assembly)";
	walk(c, op_commit, after_commit);
	restore(c->dir, c->pristine);
	add_object(c->dir, "net2", err, sizeof(err));
	describe(c->dir, want_new, sizeof(want_new));
	c->what = "commit (sections object)";
	walk(c, op_object, after_commit);
	restore(c->dir, c->pristine);
	CHECK(op_drop(c, err, sizeof(err)) == 0, "drop: %s", err);
	describe(c->dir, want_new, sizeof(want_new));
	c->what = "drop";
	walk(c, op_drop, after_commit);
	c->what = "commit (identical replacement)";
	c->flip = 1; /* the comparison reads a byte that differs */
	walk(c, op_replace, after_replace);
	c->flip = 0;
	c->what = "gc";
	walk(c, op_gc, after_gc);
}

static void walk_repair(ctx *c)
{
	uint64_t gen;
	int has, fd = open(c->pristine, O_RDONLY | O_DIRECTORY);

	CHECK(gdb_current_read(fd, &gen, &has) == 0, "CURRENT");
	close(fd);
	c->want_gen = gen;
	c->cur = slurp(c->pristine, "CURRENT", &c->curlen);
	c->what = "repair (CURRENT sound)";
	walk(c, op_repair, after_repair);
	memcpy(c->cur, "MANIFEST-000009 00000000\n", c->curlen);
	spit(c->pristine, "CURRENT", c->cur, c->curlen);
	c->what = "repair (CURRENT damaged)";
	walk(c, op_repair, after_repair);
	free(c->cur);
}

int main(void)
{
	ctx c = {0};
	char pristine[64];

	gdb_simd_init();
	if (walk_setup(c.dir, c.pristine) < 0)
		return T_EXIT_FAIL;
	restore(c.dir, c.pristine);
	snapshot(c.dir, &c.before);
	describe(c.dir, want_old, sizeof(want_old));
	c.what = "open";
	walk(&c, op_open, after_unchanged);
	c.what = "inspect";
	walk(&c, op_inspect, after_unchanged);
	walk_writers(&c);
	walk_repair(&c);
	memcpy(pristine, c.pristine, sizeof(pristine)); /* removed below */
	c.pristine[0] = 0;
	c.what = "init";
	walk(&c, op_init, after_init);
	c.what = "init (empty directory)";
	walk(&c, op_init_empty, after_init);
	unit_store_rm(c.dir);
	unit_store_rm(pristine);
	if (failures)
		fprintf(stderr, "test_store_io: %d failure(s)\n", failures);
	else
		printf("test_store_io: ok\n");
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
