/*
 * fs/daemon/ops.c - the FUSE low-level operations that read: lookup,
 * forget, getattr, open, read, readdir, xattrs, ioctl, statfs, init. Each
 * takes the daemon from the request (fuse_req_userdata), asks lookup.c,
 * nodes.c or control.c, and replies; the writing operations are in
 * ops_write.c, the table of both at the end of this file.
 *
 * Caching: a generation is immutable, so every file is served with
 * keep_cache (zero-message opens, see op_open) and long entry/attr
 * timeouts, and getattr sizes are exact (numpy.memmap and the page cache
 * need them; no direct_io on sequence files).
 *
 * Reads reply from a buffer allocated once per worker thread: in this VM a
 * page fault per request costs more than the whole read (DESIGN.md). A
 * .seq or .u8 read replies from the cache's decoded blocks (or their
 * codes) themselves, borrowed until the kernel has copied them
 * (fuse_reply_iov; gdb_view_borrow).
 *
 * Errors: project codes (a damaged block's GDB_ECHECKSUM) become EIO; the
 * store has already logged the assembly, contig and range.
 */
#include "fs/daemon/ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

static gdb_daemon *D(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

void ops_fill_entry(gdb_daemon *d, struct fuse_entry_param *e, struct node *n)
{
	memset(e, 0, sizeof(*e));
	e->ino = daemon_ino(d, n);
	e->generation = 1;
	daemon_fill_attr(d, n, &e->attr);
	e->attr_timeout = node_attr_timeout(n);
	e->entry_timeout = node_entry_timeout(n);
}

/* Reply to a lookup with n; counted: its lookup was counted already
 * (inbox files and volatile answers are counted under the lock that
 * found them). */
static void reply_entry_ref(fuse_req_t req, struct node *n, int counted)
{
	gdb_daemon *d = D(req);
	struct fuse_entry_param e;

	ops_fill_entry(d, &e, n);
	if (!n->permanent && !counted)
		__atomic_add_fetch(&n->nlookup, 1, __ATOMIC_RELAXED);
	if (fuse_reply_entry(req, &e) == -ENOENT)
		node_forget(d, n, 1); /* interrupted: undo the lookup */
}

/* A negative entry; the kernel may cache it unless it is volatile. */
static void reply_noent(fuse_req_t req, int vol)
{
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	e.entry_timeout = vol ? 0 : TIMEOUT_S;
	fuse_reply_entry(req, &e);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	gdb_daemon *d = D(req);
	struct node *n = NULL;
	int counted, vol;
	int rc =
	    daemon_lookup(d, daemon_node(d, parent), name, &n, &counted, &vol);

	if (rc == -ENOENT)
		reply_noent(req, vol);
	else if (rc < 0)
		fuse_reply_err(req, daemon_errno(rc));
	else
		reply_entry_ref(req, n, counted);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	node_forget(D(req), daemon_node(D(req), ino), nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	gdb_daemon *d = D(req);

	for (size_t i = 0; i < count; i++)
		node_forget(d, daemon_node(d, forgets[i].ino),
			    forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	gdb_daemon *d = D(req);
	struct node *n = daemon_node(d, ino);
	struct stat st;

	(void)fi;
	daemon_fill_attr(d, n, &st);
	fuse_reply_attr(req, &st, node_attr_timeout(n));
}

/*
 * Regular files need nothing at open: everything is decided at lookup. So
 * open answers ENOSYS, and the kernel stops sending OPEN (and RELEASE) for
 * the life of the mount and keeps page caches (FOPEN_KEEP_CACHE is its
 * default then). That saves one of the three round trips of reading a
 * region file never seen before (lookup, open, read): ~20 us here.
 */
static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	fuse_reply_err(req,
		       node_is_dir(daemon_node(D(req), ino)) ? EISDIR : ENOSYS);
}

/* The per-thread reply buffer (see the file comment), counted in the
 * daemon's reply_bufs and reply_bytes (stats.json) while it lives. */
static __thread char *tbuf;
static __thread size_t tcap;
static __thread gdb_daemon *towner;

/* The calling thread's buffer leaves the counts (it is freed). */
static void thread_buf_uncount(void)
{
	if (towner && tcap) {
		__atomic_sub_fetch(&towner->reply_bytes, tcap,
				   __ATOMIC_RELAXED);
		__atomic_sub_fetch(&towner->reply_bufs, 1, __ATOMIC_RELAXED);
	}
	tbuf = NULL;
	tcap = 0;
}

/* The key's destructor: it runs in the exiting thread, whose tbuf p is. */
void ops_thread_buf_free(void *p)
{
	free(p);
	if (p == tbuf)
		thread_buf_uncount();
}

char *ops_thread_buf(gdb_daemon *d, size_t size)
{
	char *ring = daemon_uring_reply_buf(size);

	if (ring)
		return ring; /* the reply is built where the kernel reads it */
	if (size > tcap) {
		/* Round up to 256 KiB: a worker serving 1 MiB reads holds
		 * 1 MiB, one serving small files holds 256 KiB. */
		size_t cap =
		    (size + (256u << 10) - 1) & ~(size_t)((256u << 10) - 1);
		char *p = realloc(tbuf, cap);
		if (!p)
			return NULL;
		if (!tcap)
			__atomic_add_fetch(&d->reply_bufs, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&d->reply_bytes, cap - tcap,
				   __ATOMIC_RELAXED);
		tbuf = p;
		tcap = cap;
		towner = d;
		/* freed by ops_thread_buf_free when the worker exits */
		pthread_setspecific(d->buf_key, p);
	}
	return tbuf;
}

void ops_thread_buf_release(gdb_daemon *d)
{
	free(tbuf);
	thread_buf_uncount();
	pthread_setspecific(d->buf_key, NULL);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	gdb_daemon *d = D(req);
	struct node *n = daemon_node(d, ino);
	gdb_view_pieces pc;
	char *buf;
	const char *src;
	ssize_t got;

	(void)fi;
	if (n->kind == N_ANSWER) {
		/* From the answer itself: copying megabytes of a large answer
		 * into the reply buffer first was a tenth of serving it. */
		got = daemon_answer_hold(d, n, (uint64_t)off, size, &src);
		if (got < 0) {
			fuse_reply_err(req, daemon_errno((int)got));
			return;
		}
		/* once the reply is out the kernel may forget n */
		node_pin(d, n);
		fuse_reply_buf(req, src, (size_t)got);
		daemon_answer_release(n);
		node_forget(d, n, 1);
		return;
	}
	buf = ops_thread_buf(d, size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	got = daemon_read(d, n, (uint64_t)off, size, buf, &src, &pc);
	if (got < 0) {
		fuse_reply_err(req, daemon_errno((int)got));
	} else if (pc.n) {
		/* Straight from the borrowed blocks, every one checked;
		 * they go back once the kernel has copied them, to the
		 * cache of n's generation, held across the reply (the
		 * kernel may forget n, and drop the generation, once it
		 * has the bytes). */
		struct gen *g = gen_of(d, n);

		fuse_reply_iov(req, pc.iov, (int)pc.n);
		gdb_view_unborrow(g->cache, &pc);
		gen_put(d, g, 1);
	} else {
		fuse_reply_buf(req, src, (size_t)got);
	}
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct node *n = daemon_node(D(req), ino);

	if (!node_is_dir(n)) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	/* Listings are immutable, but for an inbox's. */
	fi->keep_cache = fi->cache_readdir = n->kind != N_INBOX;
	fuse_reply_open(req, fi);
}

/* Fill a readdir reply from a provider's list(), skipping to off. */
struct ns_fill {
	fuse_req_t req;
	char *buf;
	size_t size, used;
	uint64_t index, from;
	int full;
};

static int ns_emit(void *arg, const char *name, int is_dir)
{
	struct ns_fill *f = arg;
	struct stat st;
	size_t need;

	if (f->index++ < f->from)
		return 0;
	memset(&st, 0, sizeof(st));
	st.st_mode = is_dir ? S_IFDIR : S_IFREG;
	st.st_ino = UNKNOWN_INO;
	need = fuse_add_direntry(f->req, f->buf + f->used, f->size - f->used,
				 name, &st, (off_t)f->index);
	if (need > f->size - f->used) {
		f->full = 1;
		return 1;
	}
	f->used += need;
	return 0;
}

static int inbox_emit(void *arg, const char *name)
{
	return ns_emit(arg, name, 0);
}

static void readdir_ns(fuse_req_t req, struct node *dir, char *buf, size_t size,
		       off_t off)
{
	const struct nsprov *pv = &dir->gen->provs[dir->prov];
	struct ns_fill f = {
	    .req = req, .buf = buf, .size = size, .from = (uint64_t)off};
	int rc = pv->p->list ? pv->p->list(pv->ctx, dir->path, ns_emit, &f) : 0;

	if (rc < 0 && f.used == 0) {
		fuse_reply_err(req, daemon_errno(rc));
		return;
	}
	fuse_reply_buf(req, buf, f.used);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	gdb_daemon *d = D(req);
	struct node *dir = daemon_node(d, ino);
	char *buf = ops_thread_buf(d, size);
	char tmp[GDB_SEQ_NAME_MAX];
	size_t used = 0;
	struct gen *g;

	(void)fi;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (dir->kind == N_NSDIR) {
		readdir_ns(req, dir, buf, size, off);
		return;
	}
	if (dir->kind == N_INBOX) {
		struct ns_fill f = {.req = req,
				    .buf = buf,
				    .size = size,
				    .index = (uint64_t)off,
				    .from = (uint64_t)off};
		(void)gdb_inbox_list(daemon_inbox(d, dir), (uint64_t)off,
				     inbox_emit, &f);
		fuse_reply_buf(req, buf, f.used);
		return;
	}
	g = gen_of(d, dir);
	/* Offsets: 1 = ".", 2 = "..", 3 + k = entry k. */
	for (uint64_t i = (uint64_t)off;; i++) {
		struct stat st;
		struct node *n = NULL;
		const char *name;
		size_t need;
		int is_dir = 1;

		memset(&st, 0, sizeof(st));
		if (i == 0 || i == 1) {
			name = i == 0 ? "." : "..";
			st.st_mode = S_IFDIR;
		} else {
			name = daemon_dir_entry(d, g, dir, i - 2, &n, &is_dir,
						tmp, sizeof(tmp));
			if (!name)
				break;
			if (!*name)
				continue; /* no entry at this offset */
			st.st_mode = is_dir ? S_IFDIR : S_IFREG;
			st.st_ino = n ? daemon_ino(d, n) : UNKNOWN_INO;
		}
		need = fuse_add_direntry(req, buf + used, size - used, name,
					 &st, (off_t)(i + 1));
		if (need > size - used)
			break;
		used += need;
	}
	gen_put(d, g, 1);
	fuse_reply_buf(req, buf, used);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	gdb_daemon *d = D(req);
	struct node *node = daemon_node(d, ino);
	char val[256];
	int n;

	/* Foreign probes (security.*, system.*) are hot: answer at once. */
	if (strncmp(name, "user.gdb.", 9)) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	if (node == &d->root)
		n = daemon_root_xattr(d, name, val, sizeof(val));
	else if (daemon_ns_has_xattrs(node))
		n = daemon_ns_xattr(node, name, val, sizeof(val));
	else
		n = daemon_contig_xattr(d, node, name, val, sizeof(val));
	if (n < 0)
		fuse_reply_err(req, -n);
	else if (size == 0)
		fuse_reply_xattr(req, (size_t)n);
	else if ((size_t)n > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, val, (size_t)n);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	static const char names[] = "user.gdb.md5\0user.gdb.length\0"
				    "user.gdb.refget\0user.gdb.lossless\0";
	gdb_daemon *d = D(req);
	struct node *n = daemon_node(d, ino);
	const char *list = names;
	size_t len = n->contig_xattrs ? sizeof(names) - 1 : 0;
	char nsl[1024];

	if (n == &d->root) {
		list = DAEMON_ROOT_XATTRS;
		len = DAEMON_ROOT_XATTRS_LEN;
	} else if (daemon_ns_has_xattrs(n)) {
		list = nsl;
		len = daemon_ns_xattr_list(n, nsl, sizeof(nsl));
	}
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (len > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, list, len);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;

	(void)ino;
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = sv.f_frsize = 4096;
	sv.f_namemax = 255;
	fuse_reply_statfs(req, &sv);
}

static void op_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd,
		     void *arg, struct fuse_file_info *fi, unsigned flags,
		     const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	gdb_daemon *d = D(req);

	(void)arg, (void)fi;
	__atomic_add_fetch(&d->ioctls, 1, __ATOMIC_RELAXED);
	if (flags & FUSE_IOCTL_COMPAT) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	/* Every isatty() on the mount lands here (Python's open() calls it):
	 * one round trip the kernel does not let us avoid, whatever we
	 * answer. Answer it at once. */
	if (daemon_node(d, ino) != &d->root) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	if (cmd == GDB_IOC_GET_STATS &&
	    out_bufsz >= sizeof(struct gdb_ioc_stats)) {
		struct gdb_ioc_stats o;
		daemon_ioc_stats(d, &o);
		fuse_reply_ioctl(req, 0, &o, sizeof(o));
		return;
	}
	if (cmd == GDB_IOC_CONTROL &&
	    in_bufsz >= sizeof(struct gdb_ioc_control) &&
	    out_bufsz >= sizeof(struct gdb_ioc_control)) {
		struct gdb_ioc_control c;
		char msg[sizeof(c.line)];
		size_t ll;
		memcpy(&c, in_buf, sizeof(c));
		if (c.size != sizeof(c) || c.version != GDB_IOC_VERSION) {
			fuse_reply_err(req, EINVAL);
			return;
		}
		/* The rule of /.gdb/config and the root's xattrs: the mount's
		 * owner or root. The kernel checks no permission for an ioctl,
		 * so a refusal is the request's error, as for the xattrs. */
		if (fuse_req_ctx(req)->uid != d->uid &&
		    fuse_req_ctx(req)->uid != 0) {
			fuse_reply_err(req, EACCES);
			return;
		}
		/* the line, then zeros: "policy=lru\0junk" is not "lru" */
		ll = strnlen(c.line, sizeof(c.line));
		while (ll < sizeof(c.line) && !c.line[ll])
			ll++;
		if (ll < sizeof(c.line) || !memchr(c.line, 0, sizeof(c.line))) {
			c.status = -EINVAL;
			snprintf(msg, sizeof(msg),
				 "the control line holds a NUL "
				 "byte or has no end");
			gdb_log(GDB_LOG_WARN, "ioctl control: %s", msg);
		} else {
			c.status =
			    daemon_control_wait(d, fuse_req_ctx(req)->uid,
						c.line, msg, sizeof(msg));
		}
		snprintf(c.line, sizeof(c.line), "%s", msg);
		fuse_reply_ioctl(req, 0, &c, sizeof(c));
		return;
	}
	fuse_reply_err(req, ENOTTY);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* With zero-message opens, O_TRUNC must arrive as a SETATTR (which
	 * op_setattr refuses for everything but /.gdb/config), not as a flag
	 * of an OPEN the kernel will never send. */
	conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
	/* stats.json: drop cached pages when its mtime changes (control.c). */
	if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
		conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
	/* Larger kernel readahead windows double streaming throughput
	 * (DESIGN.md); the kernel caps this at the bdi's read_ahead_kb,
	 * which gdb_fs_run raises after mounting. */
	conn->max_readahead = 1u << 20;
	/* libfuse's splice of a memory reply write()s it into a pipe, then
	 * the kernel copies the pipe into the page cache: 0.22 GB of .seq
	 * per daemon CPU-second against 1.24 with writev (docs/CACHE.md). */
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want &= ~FUSE_CAP_SPLICE_WRITE;
}

const struct fuse_lowlevel_ops gdb_daemon_ops = {
    .init = op_init,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .open = op_open,
    .read = op_read,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .getxattr = op_getxattr,
    .listxattr = op_listxattr,
    .statfs = op_statfs,
    .ioctl = op_ioctl,
    .write = op_write,
    .setattr = op_setattr,
    .mknod = op_mknod,
    .mkdir = op_mkdir,
    .unlink = op_unlink,
    .rmdir = op_rmdir,
    .symlink = op_symlink,
    .rename = op_rename,
    .link = op_link,
    .create = op_create,
    .setxattr = op_setxattr,
    .removexattr = op_removexattr,
};
