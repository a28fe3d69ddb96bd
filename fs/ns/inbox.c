/*
 * fs/ns/inbox.c - inboxes: the writable directories of computed namespaces
 * (/compute/queries, /graph/enrich/lists), whose files users copy in and
 * whose content later answers read (API and limits: fs/ns/ns.h).
 *
 * What it is: named byte buffers in the daemon's memory, bounded in count
 * and bytes, with POSIX lifetimes: a file that is unlinked or renamed over
 * lives on while a holder (the daemon's inode for it) has a reference,
 * but it no longer has a name and its bytes cannot be found by name. What
 * it is not: persistent (nothing reaches the store; an inbox dies with the
 * mount) or a FUSE layer (fs/daemon/ maps requests onto these calls).
 *
 * Threading: one mutex per inbox guards the names, every file's bytes and
 * the counters; the providers' gdb_inbox_get runs concurrently with the
 * daemon's writes and sees each write whole or not at all.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs/ns/ns.h"

struct gdb_inbox_file {
	gdb_inbox *box;
	char *name;	       /* NULL once unlinked; box->lock */
	char *data;	       /* box->lock */
	size_t len, cap;       /* box->lock */
	struct timespec mtime; /* box->lock */
	unsigned mode;	       /* permission bits; box->lock */
	uint64_t refs;	       /* the name's one + holders'; box->lock */
	int failed;	       /* a write failed (-ENOSPC, -EFBIG): the
				* file lost its name and bytes; box->lock */
	void *user;	       /* the holder's, see gdb_inbox_file_user */
	gdb_inbox_file *next;  /* named files, oldest first; box->lock */
};

struct gdb_inbox {
	pthread_mutex_t lock;
	gdb_inbox_file *files; /* named files */
	size_t nfiles;	       /* named files */
	size_t bytes;	  /* bytes of every live file (GDB_INBOX_MAX_BYTES) */
	uint64_t version; /* bumped by every change of a named file */
};

int gdb_inbox_new(gdb_inbox **out)
{
	gdb_inbox *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	pthread_mutex_init(&b->lock, NULL);
	b->version = 1;
	*out = b;
	return 0;
}

static void file_free(gdb_inbox_file *f)
{
	f->box->bytes -= f->len;
	free(f->name);
	free(f->data);
	free(f);
}

void gdb_inbox_free(gdb_inbox *b)
{
	gdb_inbox_file *f, *next;

	if (!b)
		return;
	/* Files still held are the holders' to put first (the daemon frees
	 * its nodes before the inboxes); named ones go here. */
	for (f = b->files; f; f = next) {
		next = f->next;
		file_free(f);
	}
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/* Under b->lock: the named file, and the link pointing at it. */
static gdb_inbox_file **find(gdb_inbox *b, const char *name)
{
	gdb_inbox_file **p;

	for (p = &b->files; *p; p = &(*p)->next)
		if (!strcmp((*p)->name, name))
			return p;
	return NULL;
}

static void touch(gdb_inbox_file *f)
{
	clock_gettime(CLOCK_REALTIME, &f->mtime);
	if (f->name)
		f->box->version++;
}

/* Under b->lock: take f out of the directory; it lives while held. */
static void unname(gdb_inbox *b, gdb_inbox_file **link)
{
	gdb_inbox_file *f = *link;

	*link = f->next;
	f->next = NULL;
	b->nfiles--;
	b->version++;
	free(f->name);
	f->name = NULL;
	if (--f->refs == 0)
		file_free(f);
}

/* A name a file may take: '@' would be read as the start of parameters
 * in "@<name>" references, so such a file could never be reached. */
static int name_check(const char *name)
{
	size_t nl = strlen(name);

	if (nl > GDB_INBOX_MAX_NAME)
		return -ENAMETOOLONG;
	return nl == 0 || strpbrk(name, "/@") ? -EINVAL : 0;
}

int gdb_inbox_open(gdb_inbox *b, const char *name, int create,
		   gdb_inbox_file **out)
{
	gdb_inbox_file **link, *f;
	int rc = name_check(name);

	if (rc < 0)
		return rc;
	pthread_mutex_lock(&b->lock);
	link = find(b, name);
	if (link) {
		f = *link;
	} else if (!create) {
		rc = -ENOENT;
		goto out;
	} else if (b->nfiles >= GDB_INBOX_MAX_FILES) {
		rc = -ENOSPC;
		goto out;
	} else {
		f = calloc(1, sizeof(*f));
		if (!f || !(f->name = strdup(name))) {
			free(f);
			rc = -ENOMEM;
			goto out;
		}
		f->box = b;
		f->mode = 0644;
		f->refs = 1; /* the name's */
		/* Appended: a listing shows files in the order they came. */
		for (link = &b->files; *link; link = &(*link)->next)
			;
		*link = f;
		b->nfiles++;
		touch(f);
		rc = 1;
	}
	f->refs++;
	*out = f;
out:
	pthread_mutex_unlock(&b->lock);
	return rc;
}

void gdb_inbox_file_put(gdb_inbox_file *f)
{
	gdb_inbox *b;

	if (!f)
		return;
	b = f->box;
	pthread_mutex_lock(&b->lock);
	if (--f->refs == 0)
		file_free(f);
	pthread_mutex_unlock(&b->lock);
}

void **gdb_inbox_file_user(gdb_inbox_file *f)
{
	return &f->user;
}

/*
 * Under b->lock: f resized to size bytes, within both limits (which count
 * what files hold, not the slack of their buffers); new bytes are zeros.
 * The buffer doubles as it grows and gives memory back when it shrinks to
 * a quarter.
 */
static int resize(gdb_inbox_file *f, size_t size)
{
	gdb_inbox *b = f->box;
	size_t cap = f->cap;
	char *p;

	if (size > GDB_INBOX_MAX_FILE)
		return -EFBIG;
	if (size > f->len && b->bytes + (size - f->len) > GDB_INBOX_MAX_BYTES)
		return -ENOSPC;
	if (size > cap) {
		cap = cap ? cap : 4096;
		while (cap < size)
			cap *= 2;
		if (cap > GDB_INBOX_MAX_FILE)
			cap = GDB_INBOX_MAX_FILE;
	} else if (size < cap / 4) {
		cap = size < 4096 ? 4096 : size;
	}
	if (cap != f->cap) {
		p = realloc(f->data, cap);
		if (!p)
			return size > f->cap ? -ENOMEM
					     : 0; /* keep the bigger */
		f->data = p;
		f->cap = cap;
	}
	if (size > f->len)
		memset(f->data + f->len, 0, size - f->len);
	b->bytes = b->bytes - f->len + size;
	f->len = size;
	return 0;
}

/*
 * Under b->lock: a write past a limit failed, and what the file holds is a
 * part of what was being copied in: an answer reading it would use a
 * silent subset of the queries. So the file gives its bytes back and loses
 * its name (it was being written: it is the writer's to see fail), and
 * every later write to it fails the same way.
 */
static void fail_file(gdb_inbox_file *f, int rc)
{
	gdb_inbox *b = f->box;
	gdb_inbox_file **link = f->name ? find(b, f->name) : NULL;

	f->failed = rc;
	(void)resize(f, 0);
	if (link)
		unname(b, link); /* f lives on: the caller holds it */
}

ssize_t gdb_inbox_file_write(gdb_inbox_file *f, const void *p, size_t n,
			     uint64_t off)
{
	gdb_inbox *b = f->box;
	int rc = 0;

	if (n == 0)
		return 0;
	pthread_mutex_lock(&b->lock);
	if (f->failed)
		rc = f->failed;
	else if (off > GDB_INBOX_MAX_FILE || n > GDB_INBOX_MAX_FILE - off)
		rc = -EFBIG;
	else if (off + n > f->len) /* growing fills the gap with zeros */
		rc = resize(f, (size_t)off + n);
	if (rc == 0) {
		memcpy(f->data + off, p, n);
		touch(f);
	} else if (rc == -ENOSPC || rc == -EFBIG) {
		fail_file(f, rc);
	}
	pthread_mutex_unlock(&b->lock);
	return rc < 0 ? rc : (ssize_t)n;
}

ssize_t gdb_inbox_file_read(gdb_inbox_file *f, void *dst, size_t n,
			    uint64_t off)
{
	gdb_inbox *b = f->box;
	size_t got = 0;

	pthread_mutex_lock(&b->lock);
	if (off < f->len) {
		got = f->len - (size_t)off < n ? f->len - (size_t)off : n;
		memcpy(dst, f->data + off, got);
	}
	pthread_mutex_unlock(&b->lock);
	return (ssize_t)got;
}

int gdb_inbox_file_truncate(gdb_inbox_file *f, uint64_t size)
{
	gdb_inbox *b = f->box;
	int rc = 0;

	if (size > GDB_INBOX_MAX_FILE)
		return -EFBIG;
	pthread_mutex_lock(&b->lock);
	rc = resize(f, (size_t)size);
	if (rc == 0)
		touch(f);
	pthread_mutex_unlock(&b->lock);
	return rc;
}

void gdb_inbox_file_chmod(gdb_inbox_file *f, unsigned mode)
{
	pthread_mutex_lock(&f->box->lock);
	f->mode = mode & 07777;
	clock_gettime(CLOCK_REALTIME, &f->mtime);
	pthread_mutex_unlock(&f->box->lock);
}

void gdb_inbox_file_set_mtime(gdb_inbox_file *f, const struct timespec *ts)
{
	pthread_mutex_lock(&f->box->lock);
	if (ts)
		f->mtime = *ts;
	else
		clock_gettime(CLOCK_REALTIME, &f->mtime);
	pthread_mutex_unlock(&f->box->lock);
}

void gdb_inbox_file_stat(gdb_inbox_file *f, gdb_inbox_stat *st)
{
	pthread_mutex_lock(&f->box->lock);
	st->size = f->len;
	st->mtime = f->mtime;
	st->mode = f->mode;
	st->linked = f->name != NULL;
	pthread_mutex_unlock(&f->box->lock);
}

int gdb_inbox_unlink(gdb_inbox *b, const char *name)
{
	gdb_inbox_file **link;
	int rc = 0;

	pthread_mutex_lock(&b->lock);
	link = find(b, name);
	if (link)
		unname(b, link);
	else
		rc = -ENOENT;
	pthread_mutex_unlock(&b->lock);
	return rc;
}

int gdb_inbox_rename(gdb_inbox *b, const char *from, const char *to,
		     int noreplace)
{
	gdb_inbox_file **src, **dst, *f;
	char *nm;
	int rc = name_check(to);

	if (rc < 0)
		return rc;
	nm = strdup(to);
	if (!nm)
		return -ENOMEM;
	pthread_mutex_lock(&b->lock);
	src = find(b, from);
	dst = find(b, to);
	if (!src) {
		rc = -ENOENT;
	} else if (dst && noreplace) {
		rc = -EEXIST;
	} else if (dst != src) {
		f = *src;
		if (dst)
			unname(b, dst); /* f keeps its own link */
		free(f->name);
		f->name = nm;
		nm = NULL;
		b->version++;
	}
	pthread_mutex_unlock(&b->lock);
	free(nm);
	return rc;
}

int gdb_inbox_list(gdb_inbox *b, uint64_t from,
		   int (*emit)(void *arg, const char *name), void *arg)
{
	uint64_t i = 0;

	pthread_mutex_lock(&b->lock);
	for (gdb_inbox_file *f = b->files; f; f = f->next, i++)
		if (i >= from && emit(arg, f->name))
			break;
	pthread_mutex_unlock(&b->lock);
	return 0;
}

int gdb_inbox_get(gdb_inbox *b, const char *name, char **data, size_t *len)
{
	gdb_inbox_file **link;
	int rc = 0;

	pthread_mutex_lock(&b->lock);
	link = find(b, name);
	if (!link) {
		rc = -ENOENT;
	} else {
		gdb_inbox_file *f = *link;
		*data = malloc(f->len + 1);
		if (!*data) {
			rc = -ENOMEM;
		} else {
			if (f->len) /* an empty file has no buffer yet */
				memcpy(*data, f->data, f->len);
			(*data)[f->len] = 0;
			*len = f->len;
		}
	}
	pthread_mutex_unlock(&b->lock);
	return rc;
}

uint64_t gdb_inbox_version(gdb_inbox *b)
{
	uint64_t v;

	pthread_mutex_lock(&b->lock);
	v = b->version;
	pthread_mutex_unlock(&b->lock);
	return v;
}
