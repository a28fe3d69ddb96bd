/*
 * store/gc.c - which files of a store directory may go, and removing them:
 * the writer's clean-up of a dead writer's leftovers, the trim of old
 * manifests after a commit, `genomedb verify --repair` and `genomedb gc`.
 *
 * RULES (every remover here keeps them):
 *  1. The manifest CURRENT names is never removed.
 *  2. A manifest newer than CURRENT's is never removed unless the caller
 *     asks (GDB_GC_DISCARD_NEWER): it may be a generation a damaged or
 *     rolled-back CURRENT lost, as much as a commit that died before its
 *     rename. Writers number their generations past it instead.
 *  3. A manifest a reader holds (flock(LOCK_SH), taken by gdb_store_open)
 *     is never removed: a remover takes flock(LOCK_EX | LOCK_NB) on it
 *     first and keeps it if that fails. It unlinks while holding the
 *     lock, so a reader that opened the file just before sees it
 *     unlinked once it gets its lock and reads CURRENT again.
 *  4. A segment is removed only when no manifest left in the directory
 *     names it, and only if every such manifest could be read (an
 *     unreadable manifest might name any segment).
 *  5. All of this runs under the writer's lock, so no commit interleaves.
 */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/failpoint.h"
#include "store/store_int.h"

/* What a store directory holds, by kind of name. */
struct scan {
	uint64_t *mans, *segs;
	uint32_t nman, nseg, cap_man, cap_seg;
	char **tmps;
	uint32_t ntmp, cap_tmp;
};

static int push_u64(uint64_t **a, uint32_t *n, uint32_t *cap, uint64_t v)
{
	if (*n == *cap) {
		uint32_t c = *cap ? *cap * 2 : 16;
		uint64_t *p = realloc(*a, c * sizeof(*p));
		if (!p)
			return -ENOMEM;
		*a = p;
		*cap = c;
	}
	(*a)[(*n)++] = v;
	return 0;
}

static int push_tmp(struct scan *sc, const char *name)
{
	if (sc->ntmp == sc->cap_tmp) {
		uint32_t c = sc->cap_tmp ? sc->cap_tmp * 2 : 8;
		char **p = realloc(sc->tmps, c * sizeof(*p));
		if (!p)
			return -ENOMEM;
		sc->tmps = p;
		sc->cap_tmp = c;
	}
	sc->tmps[sc->ntmp] = strdup(name);
	return sc->tmps[sc->ntmp++] ? 0 : -ENOMEM;
}

static void scan_free(struct scan *sc)
{
	for (uint32_t i = 0; i < sc->ntmp; i++)
		free(sc->tmps[i]);
	free(sc->tmps);
	free(sc->mans);
	free(sc->segs);
	memset(sc, 0, sizeof(*sc));
}

/* One directory entry into the scan (other names are ignored). */
static int scan_name(struct scan *sc, const char *name)
{
	size_t nl = strlen(name);
	unsigned long long n;
	int len = 0;

	if (nl > 4 && !strcmp(name + nl - 4, ".tmp"))
		return push_tmp(sc, name);
	if (sscanf(name, "seg-%llu.gdb%n", &n, &len) == 1 &&
	    (size_t)len == nl && name[4] >= '0' && name[4] <= '9')
		return push_u64(&sc->segs, &sc->nseg, &sc->cap_seg, n);
	if (sscanf(name, "MANIFEST-%llu%n", &n, &len) == 1 &&
	    (size_t)len == nl && name[9] >= '0' && name[9] <= '9')
		return push_u64(&sc->mans, &sc->nman, &sc->cap_man, n);
	return 0;
}

static int scan_dir(int dirfd, struct scan *sc)
{
	DIR *d;
	struct dirent *e;
	int fd = dup(dirfd), rc = 0;

	memset(sc, 0, sizeof(*sc));
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	/* dup() shares the file offset: an earlier scan left it at the end. */
	rewinddir(d);
	while (rc == 0 && (e = readdir(d)))
		rc = scan_name(sc, e->d_name);
	closedir(d);
	if (rc < 0)
		scan_free(sc);
	return rc;
}

static void manifest_name(uint64_t gen, char *buf, size_t cap)
{
	snprintf(buf, cap, "MANIFEST-%06llu", (unsigned long long)gen);
}

static uint64_t file_size(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, 0) == 0 ? (uint64_t)st.st_size : 0;
}

static int remove_file(int dirfd, const char *name, gdb_gc_report *r)
{
	uint64_t sz = file_size(dirfd, name);

	if (unlinkat(dirfd, name, 0) < 0)
		return errno == ENOENT ? 0 : -errno;
	gdb_log(GDB_LOG_INFO, "removed %s", name);
	if (r) {
		r->removed++;
		r->removed_bytes += sz;
	}
	return 0;
}

/*
 * Remove MANIFEST-<gen> unless a reader holds it (rule 3).
 * @return 1 removed, 0 kept (in use), or -errno
 */
static int remove_manifest(int dirfd, uint64_t gen, gdb_gc_report *r)
{
	char name[64];
	int fd, rc;

	manifest_name(gen, name, sizeof(name));
	/* Opened for writing where we may: NFS emulates flock with POSIX
	 * locks, whose exclusive kind needs a writable descriptor. */
	fd = GDB_FP("open", openat(dirfd, name, O_RDWR | O_CLOEXEC), -1);
	if (fd < 0 && (errno == EACCES || errno == EROFS))
		fd = GDB_FP("open", openat(dirfd, name, O_RDONLY | O_CLOEXEC),
			    -1);
	if (fd < 0)
		return errno == ENOENT ? 1 : -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? 0 : -errno;
		close(fd);
		if (rc == 0 && r)
			r->in_use++;
		return rc;
	}
	rc = remove_file(dirfd, name, r);
	if (rc == 0 && r)
		r->manifests_removed++;
	close(fd); /* releases the lock after the unlink */
	return rc < 0 ? rc : 1;
}

/* Read MANIFEST-<gen> (no lock: the writer's lock keeps it stable). */
static int read_manifest(int dirfd, uint64_t gen, gdb_manifest *m)
{
	char name[64], err[256];
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	memset(m, 0, sizeof(*m));
	manifest_name(gen, name, sizeof(name));
	rc = gdb_read_small_file(dirfd, name, &buf, &len, (size_t)1 << 30);
	if (rc == 0)
		rc = gdb_manifest_parse(buf, len, m, name, err, sizeof(err));
	free(buf);
	if (rc == 0 && m->generation != gen)
		rc = GDB_ECORRUPT;
	if (rc < 0) /* what a parse that failed part way had copied */
		gdb_manifest_free(m);
	return rc;
}

static int names_segment(const gdb_manifest *m, uint64_t id)
{
	for (uint32_t i = 0; i < m->nasm; i++)
		if (m->asms[i].segment_id == id)
			return 1;
	return 0;
}

/* Rule 4: remove segments no remaining manifest names. */
static int remove_unnamed_segments(int dirfd, const struct scan *sc,
				   const uint8_t *gone, gdb_gc_report *r)
{
	gdb_manifest *ms = calloc(sc->nman ? sc->nman : 1, sizeof(*ms));
	int rc = 0;

	if (!ms)
		return -ENOMEM;
	for (uint32_t i = 0; i < sc->nman && rc == 0; i++) {
		int e = gone[i] ? 0 : read_manifest(dirfd, sc->mans[i], &ms[i]);
		if (e == -ENOMEM) {
			rc = e;
		} else if (e < 0) {
			gdb_log(GDB_LOG_WARN,
				"MANIFEST-%06llu cannot be read: "
				"no segment is removed",
				(unsigned long long)sc->mans[i]);
			rc = 1;
		}
	}
	for (uint32_t k = 0; k < sc->nseg && rc == 0; k++) {
		char name[32];
		int named = 0;
		for (uint32_t i = 0; i < sc->nman && !named; i++)
			named = !gone[i] && names_segment(&ms[i], sc->segs[k]);
		if (named)
			continue;
		gdb_store_segment_name(sc->segs[k], name, sizeof(name));
		rc = remove_file(dirfd, name, r);
		if (rc == 0 && r)
			r->segments_removed++;
	}
	for (uint32_t i = 0; i < sc->nman; i++)
		gdb_manifest_free(&ms[i]);
	free(ms);
	return rc < 0 ? rc : 0;
}

/* Is every segment m names also named by live? */
static int segments_within(const gdb_manifest *m, const gdb_manifest *live)
{
	for (uint32_t i = 0; i < m->nasm; i++)
		if (!names_segment(live, m->asms[i].segment_id))
			return 0;
	return 1;
}

/* Which manifests a policy removes; sets gone[i]. */
static int trim_manifests(int dirfd, const struct scan *sc,
			  const gdb_manifest *live, unsigned flags,
			  uint8_t *gone, gdb_gc_report *r)
{
	for (uint32_t i = 0; i < sc->nman; i++) {
		uint64_t g = sc->mans[i];
		int rc;

		if (g == live->generation)
			continue;
		if (g > live->generation) {
			if (!(flags & GDB_GC_DISCARD_NEWER)) {
				if (r) {
					r->newer++;
					if (g > r->newest)
						r->newest = g;
				}
				continue;
			}
		} else if (flags & GDB_GC_TRIM_SAFE) {
			gdb_manifest m;
			int keep;
			/* after a commit: only what costs no segment */
			if (g + 1 >= live->generation ||
			    read_manifest(dirfd, g, &m) < 0)
				continue;
			keep = !segments_within(&m, live);
			gdb_manifest_free(&m);
			if (keep)
				continue;
		} else if (!(flags & GDB_GC_OLD)) {
			continue;
		}
		rc = remove_manifest(dirfd, g, r);
		if (rc < 0)
			return rc;
		gone[i] = (uint8_t)rc;
		if (rc && g > live->generation && r)
			r->newer_removed++;
	}
	return 0;
}

int gdb_store_cleanup(int dirfd, const gdb_manifest *live, unsigned flags,
		      gdb_gc_report *r)
{
	struct scan sc;
	uint8_t *gone;
	int rc;

	GDB_TRY(scan_dir(dirfd, &sc));
	gone = calloc(sc.nman ? sc.nman : 1, 1);
	if (!gone) {
		scan_free(&sc);
		return -ENOMEM;
	}
	rc = trim_manifests(dirfd, &sc, live, flags, gone, r);
	for (uint32_t i = 0; rc == 0 && i < sc.ntmp; i++)
		rc = remove_file(dirfd, sc.tmps[i], r);
	if (rc == 0 && (flags & GDB_GC_SEGMENTS))
		rc = remove_unnamed_segments(dirfd, &sc, gone, r);
	if (rc == 0)
		rc = gdb_fsync_dir(dirfd);
	free(gone);
	scan_free(&sc);
	return rc;
}

int gdb_store_next_ids(int dirfd, const gdb_manifest *live, uint64_t *gen,
		       uint64_t *seg)
{
	struct scan sc;

	GDB_TRY(scan_dir(dirfd, &sc));
	*gen = live->generation + 1;
	*seg = live->next_segment_id;
	for (uint32_t i = 0; i < sc.nman; i++)
		if (sc.mans[i] >= *gen)
			*gen = sc.mans[i] + 1;
	for (uint32_t i = 0; i < sc.nseg; i++)
		if (sc.segs[i] >= *seg)
			*seg = sc.segs[i] + 1;
	scan_free(&sc);
	return 0;
}

/* Is rc a manifest's damage or absence, which repair routes around,
 * rather than a failure to read it (memory, I/O, a newer format), after
 * which repair must change nothing? */
static int is_damage(int rc)
{
	return rc == GDB_ECORRUPT || rc == GDB_ECHECKSUM || rc == -ENOENT;
}

/* Does MANIFEST-<gen> parse, and are its segments there at their sizes?
 * @return 1 yes, 0 no, or the error that kept us from reading it */
static int manifest_whole(int dirfd, uint64_t gen)
{
	gdb_manifest m;
	int ok = 1, rc = read_manifest(dirfd, gen, &m);

	if (rc < 0)
		return is_damage(rc) ? 0 : rc;
	for (uint32_t i = 0; i < m.nasm && ok > 0; i++) {
		char name[32];
		struct stat st;
		gdb_store_segment_name(m.asms[i].segment_id, name,
				       sizeof(name));
		/* a segment missing is damage; failing to look is not */
		if (fstatat(dirfd, name, &st, 0) < 0)
			ok = errno == ENOENT ? 0 : -errno;
		else
			ok = (uint64_t)st.st_size == m.asms[i].segment_bytes;
	}
	gdb_manifest_free(&m);
	return ok;
}

int gdb_store_manifest_check(int dirfd, uint64_t gen)
{
	gdb_manifest m;
	int rc = read_manifest(dirfd, gen, &m);

	if (rc == 0)
		gdb_manifest_free(&m);
	return is_damage(rc) ? GDB_ECORRUPT : rc;
}

int gdb_store_restore_current(int dirfd, uint64_t *gen)
{
	struct scan sc;
	uint64_t best = 0;
	int rc = 0;

	GDB_TRY(scan_dir(dirfd, &sc));
	for (uint32_t i = 0; i < sc.nman && rc >= 0; i++) {
		if (sc.mans[i] <= best)
			continue;
		rc = manifest_whole(dirfd, sc.mans[i]);
		if (rc > 0)
			best = sc.mans[i];
	}
	scan_free(&sc);
	if (rc < 0)
		return rc;
	if (!best)
		return GDB_ECORRUPT;
	rc = gdb_current_write(dirfd, best);
	if (rc == 0)
		rc = gdb_fsync_dir(dirfd);
	if (rc == 0)
		*gen = best;
	return rc;
}

int gdb_store_inspect(const char *path, gdb_gc_report *r, char *err,
		      size_t errlen)
{
	struct scan sc;
	uint64_t gen = 0;
	int has_crc = 0, rc;
	int dirfd =
	    GDB_FP("open", open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), -1);

	memset(r, 0, sizeof(*r));
	if (dirfd < 0) {
		rc = -errno;
		gdb_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	rc = gdb_current_read(dirfd, &gen, &has_crc);
	if (rc == 0)
		rc = scan_dir(dirfd, &sc);
	close(dirfd);
	if (rc < 0) {
		gdb_seterr(err, errlen, "%s: %s", path, gdb_strerror(rc));
		return rc;
	}
	r->current_unchecked = !has_crc;
	for (uint32_t i = 0; i < sc.nman; i++) {
		if (sc.mans[i] <= gen)
			continue;
		r->newer++;
		if (sc.mans[i] > r->newest)
			r->newest = sc.mans[i];
	}
	scan_free(&sc);
	return 0;
}
