/*
 * tests/unit/unit_walk_ops.h - the operations both fault walks repeat
 * (test_store_oom, test_store_io), on the store at c->dir. Include after
 * unit_walk.h and the walk's own definition of `struct ctx` (which has
 * `dir` and `what`).
 */
#ifndef GDB_UNIT_WALK_OPS_H
#define GDB_UNIT_WALK_OPS_H

/* Read-only: no newer manifest, CURRENT checksummed. */
static int op_inspect(ctx *c, char *err, size_t errlen)
{
	gdb_gc_report r;
	int rc = gdb_store_inspect(c->dir, &r, err, errlen);

	CHECK(rc < 0 || (r.newer == 0 && !r.current_unchecked), "%s: inspect",
	      c->what);
	return rc;
}

static int op_commit(ctx *c, char *err, size_t errlen)
{
	return add_assembly(c->dir, "c", 0, err, errlen);
}

/* An identical re-import of assembly a. */
static int op_replace(ctx *c, char *err, size_t errlen)
{
	return add_assembly(c->dir, "a", GDB_TXN_REPLACE, err, errlen);
}

static int op_object(ctx *c, char *err, size_t errlen)
{
	return add_object(c->dir, "net2", err, errlen);
}

static int op_repair(ctx *c, char *err, size_t errlen)
{
	gdb_gc_report r;

	return gdb_store_repair(c->dir, 0, &r, err, errlen);
}

/* A new store at <dir>/new. */
static int op_init(ctx *c, char *err, size_t errlen)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/new", c->dir);
	return gdb_store_init(path, err, errlen);
}

/* After gc (label names the step): the live generation untouched. */
static void check_gc(ctx *c, const char *label, const char *want)
{
	char got[1024];
	size_t a, b;
	uint8_t *x = slurp(c->dir, "CURRENT", &a);
	uint8_t *y = slurp(c->pristine, "CURRENT", &b);

	CHECK(a == b && x && !memcmp(x, y, a), "%s: CURRENT", label);
	free(x);
	free(y);
	describe(c->dir, got, sizeof(got));
	CHECK(!strcmp(got, want), "%s: '%s', want '%s'", label, got, want);
}

/* After repair: a failed one left CURRENT as it was (cur), one that
 * succeeded left it naming generation gen, never an older one. */
static void check_repair(ctx *c, const char *label, int rc, const uint8_t *cur,
			 size_t curlen, uint64_t gen, const char *want_content)
{
	char got[1024], want[64];
	size_t a;
	uint8_t *x = slurp(c->dir, "CURRENT", &a);
	int wl = gdb_current_format(gen, want, sizeof(want));

	CHECK(x && ((rc < 0 && curlen == a && !memcmp(x, cur, a)) ||
		    ((size_t)wl == a && !memcmp(x, want, a))),
	      "%s (rc %d): CURRENT is '%.*s'", label, rc, (int)a,
	      x ? (char *)x : "");
	free(x);
	describe(c->dir, got, sizeof(got));
	CHECK(rc < 0 || !strcmp(got, want_content), "%s: '%s', want '%s'",
	      label, got, want_content);
}

#endif
