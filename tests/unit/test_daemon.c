/*
 * tests/unit/test_daemon.c - the daemon in-process, without a mount
 * (fs/daemon/daemon.h): a daemon built over a small store and driven by
 * inode numbers as the kernel drives it; names resolve to what the
 * namespaces say, reads give the bytes a plain rendering gives, lookups
 * are counted and forgotten, controls change the cache, and everything is
 * freed at close (make asan checks the leaks). Exit 0 pass, 1 fail.
 */
#define UNIT_SEED 0xdae0u
#include "tests/unit/unit.h"
#include "tests/unit/unit_store.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fs/daemon/daemon.h"

#define NCONTIG 3

static const char *const NAMES[NCONTIG] = {"chr1", "a/b", "tiny"};
static int64_t LENS[NCONTIG] = {150000, 70001, 7};
static char *SEQS[NCONTIG];

/* Look a path up component by component; @return the last rc. */
static int walk(gdb_daemon *d, const char *path, gdb_daemon_entry *e)
{
	char buf[512], *save = NULL;
	uint64_t ino = GDB_DAEMON_ROOT;
	int rc = 0;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *c = strtok_r(buf, "/", &save); c;
	     c = strtok_r(NULL, "/", &save)) {
		rc = gdb_daemon_lookup(d, ino, c, e);
		if (rc < 0)
			return rc;
		ino = e->ino;
	}
	return rc;
}

static char *read_all(gdb_daemon *d, const gdb_daemon_entry *e)
{
	char *buf = xmalloc(e->size + 1);
	uint64_t off = 0;

	/* odd-sized reads, as the kernel never sends, cover the offsets */
	while (off < e->size) {
		ssize_t got = gdb_daemon_read(d, e->ino, off, 4093, buf + off);
		if (got <= 0) {
			FAIL("read at %llu: %zd", (unsigned long long)off, got);
			break;
		}
		off += (uint64_t)got;
	}
	buf[e->size] = 0;
	return buf;
}

static void test_regions(gdb_daemon *d)
{
	gdb_daemon_entry e;
	char *got;

	if (walk(d, "t/chr1/101-200.seq", &e) != 0 || e.size != 100) {
		FAIL("chr1/101-200.seq: size %llu", (unsigned long long)e.size);
		return;
	}
	got = read_all(d, &e);
	if (memcmp(got, SEQS[0] + 100, 100))
		FAIL("chr1/101-200.seq: wrong bases");
	free(got);
	gdb_daemon_forget(d, e.ino, 1);
	/* an escaped contig, a clamped end, the header as named */
	if (walk(d, "t/a%2Fb/70000-99999999999999999999.fa", &e) != 0) {
		FAIL("a%%2Fb/70000-...: not found");
	} else {
		char want[128];
		int n = snprintf(want, sizeof(want),
				 ">a/b:70000-99999999999999999999\n%.2s\n",
				 SEQS[1] + 69999);
		got = read_all(d, &e);
		if (e.size != (uint64_t)n || memcmp(got, want, (size_t)n))
			FAIL("a/b clamped region: '%s'", got);
		free(got);
		gdb_daemon_forget(d, e.ino, 1);
	}
	if (walk(d, "t/tiny/8-9.seq", &e) != -ENOENT)
		FAIL("a start past the end resolved");
	if (walk(d, "t/nope", &e) != -ENOENT || walk(d, "nope", &e) != -ENOENT)
		FAIL("unknown names resolved");
	if (walk(d, "t/tiny.fa/x", &e) != -ENOTDIR)
		FAIL("a lookup below a file was not ENOTDIR");
}

/* A region node holds its name in its own allocation: a name forgotten
 * before or after its first read is looked up again as a new node whose
 * name (the .fa header names the range as written) and bytes are right,
 * and the two of one name at once are two nodes (make asan: no bad free). */
static void test_region_again(gdb_daemon *d)
{
	static const char *const PATHS[] = {
	    "t/chr1/000120001-000120100.fa",
	    "t/chr1/120001-120100.seq",
	    "t/a%2Fb/1-3.u8",
	};
	gdb_daemon_entry e, twin;
	char want[256], *got;

	for (int round = 0; round < 3; round++) {
		if (walk(d, PATHS[0], &e) != 0) {
			FAIL("%s: not found", PATHS[0]);
			return;
		}
		if (round == 1) { /* forgotten unread */
			gdb_daemon_forget(d, e.ino, 1);
			continue;
		}
		snprintf(want, sizeof(want),
			 ">chr1:000120001-000120100\n%.60s\n%.40s\n",
			 SEQS[0] + 120000, SEQS[0] + 120060);
		/* each lookup of a region name is a node of its own */
		if (walk(d, PATHS[0], &twin) != 0 || twin.ino == e.ino) {
			FAIL("round %d: no second node of the name", round);
		} else {
			got = read_all(d, &twin);
			if (strcmp(got, want))
				FAIL("round %d: the twin read '%s'", round,
				     got);
			free(got);
			gdb_daemon_forget(d, twin.ino, 1);
		}
		got = read_all(d, &e);
		if (e.size != strlen(want) || strcmp(got, want))
			FAIL("round %d: '%s'", round, got);
		free(got);
		gdb_daemon_forget(d, e.ino, 1);
	}
	for (int i = 1; i < 3; i++) {
		if (walk(d, PATHS[i], &e) != 0) {
			FAIL("%s: not found", PATHS[i]);
			continue;
		}
		got = read_all(d, &e);
		if (i == 1 &&
		    (e.size != 100 || memcmp(got, SEQS[0] + 120000, 100)))
			FAIL("%s: wrong bases", PATHS[i]);
		if (i == 2 && e.size != 3)
			FAIL("%s: %llu bytes", PATHS[i],
			     (unsigned long long)e.size);
		free(got);
		gdb_daemon_forget(d, e.ino, 1);
	}
}

static void test_computed(gdb_daemon *d)
{
	gdb_daemon_entry e;
	char *got;

	if (walk(d, "compute/gc/t/chr1/1-1000@w=500.tsv", &e) != 0) {
		FAIL("gc answer: not found");
		return;
	}
	got = read_all(d, &e);
	if (strncmp(got, "chrom\tstart\tend\tgc\nchr1\t1\t500\t", 30) ||
	    strlen(got) != e.size)
		FAIL("gc answer: '%.60s'", got);
	free(got);
	gdb_daemon_forget(d, e.ino, 1);
	if (walk(d, "compute/gc/t/chr1/1-1000@w=1k.tsv", &e) != -EINVAL)
		FAIL("a malformed parameter was not EINVAL");
	if (walk(d, "compute/gc/t/chr1/1-1000@w=10.txt", &e) != -ENOENT)
		FAIL("an unknown extension was not ENOENT");
}

/* A failed allocation is -ENOMEM, never an ENOENT the kernel would cache
 * for a day; the same name resolves once memory is back. */
static void test_enomem(gdb_daemon *d)
{
	static const char *const paths[] = {"t/chr1/1-10.seq",
					    "compute/gc/t/chr1/1-100@w=10.tsv",
					    "compute/gc/t/chr1"};
	gdb_daemon_entry e;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int rc;
		gdb_daemon_fail_allocs(d, 0);
		if (walk(d, paths[i], &e) != 0) {
			FAIL("%s: not found", paths[i]);
			continue;
		}
		gdb_daemon_forget(d, e.ino, 1);
		/* every node on the way is permanent but the last */
		gdb_daemon_fail_allocs(d, 1);
		rc = walk(d, paths[i], &e);
		if (rc != -ENOMEM)
			FAIL("%s without memory: %d, want -ENOMEM", paths[i],
			     rc);
		gdb_daemon_fail_allocs(d, 0);
		if (walk(d, paths[i], &e) != 0)
			FAIL("%s: not found once memory is back", paths[i]);
		else
			gdb_daemon_forget(d, e.ino, 1);
	}
}

static void test_control(gdb_daemon *d)
{
	gdb_cache_stats cs;
	gdb_daemon_entry e;
	char msg[256], *got;

	/* one rule: the daemon's owner or root, nobody else */
	if (getuid() != 12345 && (gdb_daemon_control(d, 12345, "budget=4K", msg,
						     sizeof(msg)) != -EACCES ||
				  !strstr(msg, "owner")))
		FAIL("another user changed the budget: %s", msg);
	if (gdb_daemon_control(d, 0, "budget=18446744073709551615", msg,
			       sizeof(msg)) != -EINVAL ||
	    gdb_daemon_control(d, 0, "budget=300T", msg, sizeof(msg)) !=
		-EINVAL)
		FAIL("a budget past 256 TiB taken");
	if (gdb_daemon_control(d, (uint32_t)getuid(), "budget=8M", msg,
			       sizeof(msg)) != 0)
		FAIL("budget=8M: %s", msg);
	gdb_cache_stats_get(gdb_daemon_cache(d), &cs);
	if (cs.budget_bytes != 8u << 20)
		FAIL("budget %llu", (unsigned long long)cs.budget_bytes);
	if (gdb_daemon_control(d, 0, "policy=mru", msg, sizeof(msg)) !=
		-EINVAL ||
	    !strstr(msg, "mru"))
		FAIL("policy=mru: '%s'", msg);
	if (walk(d, ".gdb/stats.json", &e) != 0) {
		FAIL(".gdb/stats.json: not found");
		return;
	}
	got = read_all(d, &e);
	if (!strstr(got, "\"budget_bytes\": 8388608"))
		FAIL("stats.json: '%.200s'", got);
	free(got);
}

/* Live generations: drop the assembly, refresh; what was looked up before
 * reads on in its generation, new lookups see the new one, and the old
 * generation goes with its last forget. */
static void test_refresh(gdb_daemon *d, const char *dir)
{
	gdb_daemon_entry fa, reg, e;
	char err[512] = "", *before, *after, *st;
	gdb_txn *t = NULL;

	if (walk(d, "t/chr1.fa", &fa) != 0 ||
	    walk(d, "t/chr1/1-1000.seq", &reg) != 0) {
		FAIL("t/chr1.fa: not found");
		return;
	}
	before = read_all(d, &fa);
	if (gdb_daemon_refresh(d, err, sizeof(err)) != 0)
		FAIL("a refresh without a commit: %s", err);
	if (gdb_txn_begin(dir, &t, err, sizeof(err)) < 0 ||
	    gdb_txn_drop(t, GDB_KIND_ASSEMBLY, "t", err, sizeof(err)) < 0 ||
	    gdb_txn_commit(t, NULL, err, sizeof(err)) < 0) {
		FAIL("drop: %s", err);
		return;
	}
	if (gdb_daemon_refresh(d, err, sizeof(err)) != 1)
		FAIL("refresh after a drop: %s", err);
	if (walk(d, "t", &e) != -ENOENT)
		FAIL("t still found after the drop");
	after = read_all(d, &fa);
	if (strcmp(before, after))
		FAIL("t/chr1.fa changed under an open file");
	free(after);
	after = read_all(d, &reg);
	if (memcmp(after, SEQS[0], 1000))
		FAIL("t/chr1/1-1000.seq changed under an open file");
	free(after);
	free(before);
	/* every lookup walk() made in t's generation, given back: t, t/chr1
	 * (and t/chr1 again), the two files */
	gdb_daemon_forget(d, fa.ino, 1);
	gdb_daemon_forget(d, reg.ino, 1);
	if (walk(d, ".gdb/stats.json", &e) != 0)
		return;
	st = read_all(d, &e);
	if (!strstr(st, "\"generations_live\": 2"))
		FAIL("stats.json before the last forget: '%.120s'", st);
	free(st);
}

int main(void)
{
	gdb_fs_opts o = {.cache_bytes = 4u << 20, .prefetch = 1};
	char dir[64], err[512];
	gdb_daemon *d;

	gdb_log_set_level(GDB_LOG_ERROR);
	if (unit_store_dir(dir) < 0)
		return T_EXIT_FAIL;
	for (int k = 0; k < NCONTIG; k++) {
		SEQS[k] = xmalloc((size_t)LENS[k]);
		for (int64_t i = 0; i < LENS[k]; i++)
			SEQS[k][i] = "ACGT"[rnd() & 3];
	}
	if (unit_store_build(dir, "t", NAMES, SEQS, LENS, NCONTIG) < 0)
		return T_EXIT_FAIL;
	o.store_path = dir;
	if (gdb_daemon_open(&o, &d, err, sizeof(err)) < 0) {
		fprintf(stderr, "daemon: %s\n", err);
		return T_EXIT_FAIL;
	}
	test_regions(d);
	test_region_again(d);
	test_computed(d);
	test_enomem(d);
	test_control(d);
	test_refresh(d, dir);
	gdb_daemon_close(d);
	for (int k = 0; k < NCONTIG; k++)
		free(SEQS[k]);
	unit_store_rm(dir);
	if (failures)
		fprintf(stderr, "test_daemon: %d failure(s)\n", failures);
	else
		printf("test_daemon: ok\n");
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
