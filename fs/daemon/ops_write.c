/*
 * fs/daemon/ops_write.c - the FUSE operations that change something: the
 * two things on the mount that may change, /.gdb/config (control lines,
 * control.c) and the providers' inboxes (fs/ns/inbox.c: create, write,
 * truncate, chmod, utimes, rename within, unlink), and the refusals of
 * everything else (EROFS; EPERM for what an inbox cannot hold). The
 * root's settable xattrs are control lines too.
 */
#include "fs/daemon/ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0) /* renameat2(2) */
#endif

static gdb_daemon *D(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/*
 * `samtools faidx FILE` (htslib's fai_build3) always rewrites FILE.fai,
 * with open(O_WRONLY|O_CREAT|O_TRUNC) and writes. A .fai on the mount is
 * already that index, so a rewrite of exactly its bytes is accepted and
 * changes nothing (the O_TRUNC arrives as a setattr, see op_setattr);
 * any other byte is EROFS, and the file stays as it was.
 */
static void same_write(fuse_req_t req, struct node *n, const char *buf,
		       size_t size, uint64_t off)
{
	if (off > n->textlen || size > n->textlen - off ||
	    memcmp(n->text + off, buf, size)) {
		gdb_log(GDB_LOG_INFO,
			"refused a write to a .fai that differs "
			"from it at offset %llu",
			(unsigned long long)off);
		fuse_reply_err(req, EROFS);
		return;
	}
	fuse_reply_write(req, size);
}

void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
	      off_t off, struct fuse_file_info *fi)
{
	gdb_daemon *d = D(req);
	struct node *n = daemon_node(d, ino);
	char line[1024], msg[256];
	size_t i = 0;

	(void)fi;
	if (n->kind == N_INBOXFILE) {
		ssize_t w =
		    gdb_inbox_file_write(n->ibf, buf, size, (uint64_t)off);
		if (w < 0)
			fuse_reply_err(req, (int)-w);
		else
			fuse_reply_write(req, (size_t)w);
		return;
	}
	if (n->same_writes) {
		same_write(req, n, buf, size, (uint64_t)off);
		return;
	}
	if (n != &d->config) {
		fuse_reply_err(req, EROFS);
		return;
	}
	/* One control per line; the first bad line fails the write. */
	if (memchr(buf, 0, size)) {
		gdb_log(GDB_LOG_WARN, "/.gdb/config: a NUL byte in a write");
		fuse_reply_err(req, EINVAL);
		return;
	}
	while (i < size) {
		size_t e = i, l;
		while (e < size && buf[e] != '\n')
			e++;
		l = e - i;
		while (l && (buf[i + l - 1] == '\r' || buf[i + l - 1] == ' '))
			l--;
		if (l >= sizeof(line)) {
			fuse_reply_err(req, EINVAL);
			return;
		}
		memcpy(line, buf + i, l);
		line[l] = 0;
		if (l && line[0] != '#') {
			int rc = daemon_control_wait(d, fuse_req_ctx(req)->uid,
						     line, msg, sizeof(msg));
			if (rc < 0) {
				fuse_reply_err(req, -rc);
				return;
			}
		}
		i = e + 1;
	}
	fuse_reply_write(req, size);
}

/*
 * Inbox files take a size, permission bits and a modification time (cp
 * -p, touch; the access time is not kept); owners stay. Truncating the
 * config (echo ... > config) is allowed, and a .fai's truncation to 0 or
 * its size (the O_TRUNC of its rewrite, same_write), which changes
 * nothing; nothing else.
 */
void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		struct fuse_file_info *fi)
{
	gdb_daemon *d = D(req);
	struct node *n = daemon_node(d, ino);
	struct stat st;

	(void)fi;
	if (n->kind == N_INBOXFILE) {
		int rc = 0;
		if (((to_set & FUSE_SET_ATTR_UID) && attr->st_uid != d->uid) ||
		    ((to_set & FUSE_SET_ATTR_GID) && attr->st_gid != d->gid))
			rc = -EPERM;
		if (rc == 0 && (to_set & FUSE_SET_ATTR_SIZE))
			rc = gdb_inbox_file_truncate(n->ibf,
						     (uint64_t)attr->st_size);
		if (rc == 0 && (to_set & FUSE_SET_ATTR_MODE))
			gdb_inbox_file_chmod(n->ibf, attr->st_mode);
		if (rc == 0 && (to_set & FUSE_SET_ATTR_MTIME))
			gdb_inbox_file_set_mtime(
			    n->ibf, (to_set & FUSE_SET_ATTR_MTIME_NOW)
					? NULL
					: &attr->st_mtim);
		if (rc < 0) {
			fuse_reply_err(req, -rc);
			return;
		}
		daemon_fill_attr(d, n, &st);
		fuse_reply_attr(req, &st, 0);
		return;
	}
	/* a .fai being rewritten: truncated to 0 first, or to its size */
	if (n->same_writes && (to_set & FUSE_SET_ATTR_SIZE) &&
	    attr->st_size != 0 && (uint64_t)attr->st_size != n->textlen) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if ((n != &d->config && !n->same_writes) ||
	    (to_set & ~(FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME |
			FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW |
			FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME))) {
		fuse_reply_err(req, EROFS);
		return;
	}
	daemon_fill_attr(d, n, &st);
	fuse_reply_attr(req, &st, 0);
}

/* Outside an inbox nothing may be made; inside, only regular files. */
static void op_erofs_entry(fuse_req_t req, fuse_ino_t parent)
{
	fuse_reply_err(
	    req, daemon_node(D(req), parent)->kind == N_INBOX ? EPERM : EROFS);
}

/*
 * A new inbox file (or, without O_EXCL, an existing one: two creators may
 * race past the kernel's negative entry). fi is NULL for mknod.
 */
static void inbox_create(fuse_req_t req, struct node *dir, const char *name,
			 mode_t mode, struct fuse_file_info *fi)
{
	gdb_daemon *d = D(req);
	struct fuse_entry_param e;
	gdb_inbox_file *f;
	struct node *n = NULL;
	int rc;

	pthread_mutex_lock(&d->inbox_lock);
	rc = gdb_inbox_open(daemon_inbox(d, dir), name, 1, &f);
	if (rc == 0 && (!fi || (fi->flags & O_EXCL))) {
		gdb_inbox_file_put(f);
		rc = -EEXIST;
	}
	if (rc == 1)
		gdb_inbox_file_chmod(f, mode & 0777);
	else if (rc == 0 && (fi->flags & O_TRUNC) &&
		 (rc = gdb_inbox_file_truncate(f, 0)) < 0)
		gdb_inbox_file_put(f);
	if (rc >= 0 && !(n = inbox_node(d, dir->prov, f)))
		rc = -ENOMEM;
	pthread_mutex_unlock(&d->inbox_lock);
	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	ops_fill_entry(d, &e, n);
	if ((fi ? fuse_reply_create(req, &e, fi) : fuse_reply_entry(req, &e)) ==
	    -ENOENT)
		node_forget(d, n, 1);
}

void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	      dev_t rdev)
{
	struct node *dir = daemon_node(D(req), parent);

	(void)rdev;
	if (dir->kind == N_INBOX && S_ISREG(mode))
		inbox_create(req, dir, name, mode, NULL);
	else
		op_erofs_entry(req, parent);
}

void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	       struct fuse_file_info *fi)
{
	struct node *dir = daemon_node(D(req), parent);

	if (dir->kind == N_INBOX) {
		fi->direct_io = 0;
		fi->keep_cache = 0;
		inbox_create(req, dir, name, mode, fi);
	} else {
		op_erofs_entry(req, parent);
	}
}

void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	(void)name, (void)mode;
	op_erofs_entry(req, parent);
}

void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	gdb_daemon *d = D(req);
	struct node *dir = daemon_node(d, parent);
	gdb_inbox_file *f = NULL;
	int rc;

	if (dir->kind != N_INBOX) {
		op_erofs_entry(req, parent);
		return;
	}
	pthread_mutex_lock(&d->inbox_lock);
	rc = gdb_inbox_open(daemon_inbox(d, dir), name, 0, &f);
	if (rc == 0)
		rc = gdb_inbox_unlink(daemon_inbox(d, dir), name);
	inbox_unnamed(d, f);
	pthread_mutex_unlock(&d->inbox_lock);
	fuse_reply_err(req, rc < 0 ? -rc : 0);
}

void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (daemon_node(D(req), parent)->kind == N_INBOX)
		fuse_reply_err(req, ENOTDIR); /* an inbox holds only files */
	else
		op_unlink(req, parent, name);
}

void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		const char *name)
{
	(void)link, (void)name;
	op_erofs_entry(req, parent);
}

/* Within one inbox only (mv across directories copies: EXDEV). */
void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
	       fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	gdb_daemon *d = D(req);
	struct node *dir = daemon_node(d, parent);
	gdb_inbox_file *over = NULL;
	int rc;

	if (dir->kind != N_INBOX) {
		op_erofs_entry(req, parent);
		return;
	}
	if (newparent != parent) {
		enum nkind k = daemon_node(d, newparent)->kind;
		fuse_reply_err(req,
			       k == N_INBOX || k == N_NSDIR ? EXDEV : EROFS);
		return;
	}
	if (flags & ~(unsigned)RENAME_NOREPLACE) {
		fuse_reply_err(req, EINVAL); /* RENAME_EXCHANGE, WHITEOUT */
		return;
	}
	pthread_mutex_lock(&d->inbox_lock);
	if (strcmp(name, newname) &&
	    gdb_inbox_open(daemon_inbox(d, dir), newname, 0, &over) < 0)
		over = NULL;
	rc = gdb_inbox_rename(daemon_inbox(d, dir), name, newname,
			      (flags & RENAME_NOREPLACE) != 0);
	inbox_unnamed(d, over);
	pthread_mutex_unlock(&d->inbox_lock);
	fuse_reply_err(req, rc < 0 ? -rc : 0);
}

void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
	     const char *newname)
{
	(void)ino, (void)newname;
	op_erofs_entry(req, newparent);
}

void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		 const char *value, size_t size, int flags)
{
	gdb_daemon *d = D(req);
	static const struct {
		const char *xattr, *key;
	} map[] = {
	    {"user.gdb.cache.policy", "policy"},
	    {"user.gdb.cache.budget", "budget"},
	    {"user.gdb.prefetch.enabled", "prefetch"},
	    {"user.gdb.ctl", NULL},
	};
	char line[1024], msg[256];

	(void)flags;
	if (daemon_node(d, ino) != &d->root) {
		fuse_reply_err(req, EROFS);
		return;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		int rc;
		if (strcmp(name, map[i].xattr))
			continue;
		if (size > 900) {
			fuse_reply_err(req, E2BIG);
			return;
		}
		if (memchr(value, 0, size)) { /* "lru\0junk" is not "lru" */
			gdb_log(GDB_LOG_WARN, "%s: a NUL byte in the value",
				name);
			fuse_reply_err(req, EINVAL);
			return;
		}
		if (map[i].key)
			snprintf(line, sizeof(line), "%s=%.*s", map[i].key,
				 (int)size, value);
		else
			snprintf(line, sizeof(line), "%.*s", (int)size, value);
		rc = daemon_control(d, fuse_req_ctx(req)->uid, line, msg,
				    sizeof(msg));
		fuse_reply_err(req, rc < 0 ? -rc : 0);
		return;
	}
	fuse_reply_err(req, strncmp(name, "user.gdb.", 9) ? EROFS : EINVAL);
}

void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	(void)ino, (void)name;
	fuse_reply_err(req, EROFS);
}
