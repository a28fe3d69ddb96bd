/*
 * fs/daemon/session.c - mount a store and serve it: the daemon is opened
 * (tree.c), handed to a FUSE session as its user data, mounted, detached
 * unless asked to stay in the foreground, and served until unmounted
 * (fusermount3 -u, SIGINT, SIGTERM) by the daemon's own loop (loop.c: one
 * reading thread, or --readers N, answering cheap requests, workers for
 * the rest), or by libfuse's multithreaded loop with --loop libfuse. With
 * --loop uring the split loop runs as well, for what the kernel sends
 * through /dev/fuse, and uring.c's queue threads serve the rest through
 * FUSE over io_uring.
 */
#include "fs/daemon/ops.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Raise the mount's kernel readahead: FUSE mounts get a bdi named after
 * their device ("0:NN"), whose read_ahead_kb defaults to 128. Found via
 * /proc/self/mountinfo so no request is sent to ourselves before the loop
 * runs.
 */
static void set_readahead(const char *mountpoint, unsigned kb)
{
	char real[PATH_MAX], line[4096], dev[64], mp[PATH_MAX], path[128];
	FILE *f;
	int found = 0;

	if (!kb || !realpath(mountpoint, real))
		return;
	f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %63s %*s %4095s", dev, mp) == 2 &&
		    !strcmp(mp, real))
			found = 1; /* the last match is the newest mount */
		if (found == 1) {
			snprintf(path, sizeof(path),
				 "/sys/class/bdi/%s/read_ahead_kb", dev);
			found = 2;
		}
	}
	fclose(f);
	if (!found)
		return;
	f = fopen(path, "w");
	if (!f) {
		gdb_log(GDB_LOG_INFO, "cannot raise readahead (%s): %s", path,
			strerror(errno));
		return;
	}
	fprintf(f, "%u\n", kb);
	if (fclose(f) != 0)
		gdb_log(GDB_LOG_INFO, "cannot raise readahead (%s)", path);
}

/* p made absolute without following it (a dead mount cannot be
 * stat'ed): the real path of its directory, then its last component. */
static int abs_path(const char *p, char *out, size_t cap)
{
	char dir[PATH_MAX], real[PATH_MAX], *base;
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		n--;
	if (n >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, p, n);
	dir[n] = 0;
	base = strrchr(dir, '/');
	if (!base) {
		base = dir;
		if (!realpath(".", real))
			return -errno;
	} else {
		*base++ = 0;
		if (!realpath(dir[0] ? dir : "/", real))
			return -errno;
	}
	if ((size_t)snprintf(out, cap, "%s/%s", strcmp(real, "/") ? real : "",
			     base) >= cap)
		return -ENAMETOOLONG;
	return 0;
}

/* Decode /proc/self/mountinfo's octal escapes (\040 for a blank) in place. */
static void unoctal(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' &&
		    r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 |
				      (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = 0;
}

/* Is the absolute path abs a mount point? @return 1 with its (last)
 * file system type in type, or 0. */
static int mounted_at(const char *abs, char *type, size_t cap)
{
	char line[8192], mp[PATH_MAX], fstype[128];
	FILE *f = fopen("/proc/self/mountinfo", "r");
	int found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
		    sscanf(sep + 3, "%127s", fstype) != 1)
			continue;
		unoctal(mp);
		if (!strcmp(mp, abs)) {
			snprintf(type, cap, "%s", fstype);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

/* fusermount3 -u -z abs: the way a user (not only root) unmounts. */
static int lazy_unmount(const char *abs)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-u", "-z", abs,
		       (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/*
 * Mounting over a mount stacks a second one: refuse it. A mountpoint whose
 * daemon died (ENOTCONN) is said so, with the way out; with
 * --unmount-stale it is cleared first (each dead layer, as many as were
 * stacked).
 */
static int check_mountpoint(const gdb_fs_opts *o, char *err, size_t errlen)
{
	char abs[PATH_MAX], type[128];
	struct statfs sf;
	int rc = abs_path(o->mountpoint, abs, sizeof(abs));

	if (rc < 0) {
		gdb_seterr(err, errlen, "%s: %s", o->mountpoint, strerror(-rc));
		return rc;
	}
	/* statfs always reaches a FUSE daemon (stat may be answered from
	 * the kernel's cache), so a dead one shows as ENOTCONN */
	for (int i = 0; statfs(abs, &sf) < 0 && errno == ENOTCONN; i++) {
		if (!o->unmount_stale || i == 8) {
			gdb_seterr(
			    err, errlen,
			    "%s: the file system mounted "
			    "there lost its daemon (ENOTCONN); unmount it "
			    "with 'fusermount3 -u %s', or mount with "
			    "--unmount-stale",
			    abs, abs);
			return -ENOTCONN;
		}
		if ((rc = lazy_unmount(abs)) < 0) {
			gdb_seterr(err, errlen,
				   "%s: fusermount3 -u -z failed "
				   "on the dead mount",
				   abs);
			return rc;
		}
		gdb_log(GDB_LOG_INFO,
			"%s: cleared a mount whose daemon had "
			"died",
			abs);
	}
	if (mounted_at(abs, type, sizeof(type))) {
		gdb_seterr(err, errlen,
			   "%s: already mounted (%s); unmount it "
			   "first ('fusermount3 -u %s')",
			   abs, type, abs);
		return -EBUSY;
	}
	return 0;
}

/*
 * The log: stderr in the foreground; once detached, a file (--log, else
 * one per mountpoint, daemon_log_default) and syslog; /.gdb/log always.
 */
static int start_log(const gdb_fs_opts *o, char *err, size_t errlen)
{
	char mp[PATH_MAX], def[PATH_MAX + 64];
	const char *path = o->log_path;
	int fg = o->foreground || o->debug;

	if (!path && !fg && abs_path(o->mountpoint, mp, sizeof(mp)) == 0 &&
	    daemon_log_default(mp, def, sizeof(def)) == 0)
		path = def;
	return daemon_log_open(path, fg, !fg, err, errlen);
}

/* A FUSE session of d's operations: "-o" options and all. */
static struct fuse_session *session_new(gdb_daemon *d, const gdb_fs_opts *o,
					struct fuse_args *args, char *err,
					size_t errlen)
{
	char optbuf[1024];
	struct fuse_session *se;

	snprintf(optbuf, sizeof(optbuf),
		 "-ofsname=genomedb,subtype=genomedb,default_permissions%s%s",
		 o->fuse_opts && *o->fuse_opts ? "," : "",
		 o->fuse_opts ? o->fuse_opts : "");
	if (fuse_opt_add_arg(args, "genomedb") ||
	    fuse_opt_add_arg(args, optbuf) ||
	    (o->debug && fuse_opt_add_arg(args, "-d"))) {
		gdb_seterr(err, errlen, "out of memory");
		return NULL;
	}
	se = fuse_session_new(args, &gdb_daemon_ops, sizeof(gdb_daemon_ops), d);
	if (!se)
		gdb_seterr(err, errlen,
			   "cannot start a FUSE session (bad -o "
			   "option?)");
	return se;
}

/* Serve until unmounted. @return 0 after a clean unmount, or -errno */
static int serve(struct fuse_session *se, gdb_daemon *d, const gdb_fs_opts *o,
		 char *err, size_t errlen)
{
	struct fuse_loop_config *lc;
	sigset_t old;
	int rc, urc;

	/* the prefetch thread, started in cache/, with the signals blocked
	 * as daemon_thread_create's are */
	daemon_signals_block(&old);
	rc = gdb_cache_start_prefetch(d->cur->cache);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0)
		gdb_log(GDB_LOG_WARN, "prefetch thread did not start");
	d->serving = 1;
	/* before any thread that may wake the main thread starts, if one
	 * may (an extra reader, the ring); a failure (logged) leaves one
	 * reader and no ring */
	if (!o->libfuse_loop && (o->readers > 1 || o->uring_loop))
		(void)daemon_wake_install(d);
	/* before the refresh thread, which writes notifications: the
	 * session's I/O is set while no other thread uses it */
	if (o->uring_loop && (rc = daemon_uring_start(se, d)) < 0)
		gdb_log(GDB_LOG_WARN,
			"--loop uring: no ring (%s): serving through "
			"/dev/fuse (the split loop)",
			strerror(-rc));
	if (live_start(d, se) < 0)
		gdb_log(GDB_LOG_WARN, "the refresh thread did not start: new "
				      "generations are not served");
	if (!o->libfuse_loop) {
		rc = daemon_loop(se, d, o->max_threads ? o->max_threads : 16,
				 !o->no_follow, o->spin_us, o->readers);
		/* the ring's slow threads may be in a refresh until joined */
		live_halt(d);
		urc = daemon_uring_stop(d);
		daemon_wake_restore(d); /* every waker joined */
		live_stop(d);
		if (!rc && urc < 0)
			gdb_seterr(err, errlen,
				   "--loop uring: a queue's ring could not "
				   "be entered: the mount ended");
		return rc ? rc : urc;
	}
	lc = fuse_loop_cfg_create();
	if (!lc) {
		live_stop(d);
		return -ENOMEM;
	}
	fuse_loop_cfg_set_max_threads(lc, o->max_threads ? o->max_threads : 16);
	fuse_loop_cfg_set_idle_threads(lc, 4);
	rc = fuse_session_loop_mt(se, lc);
	live_stop(d);
	fuse_loop_cfg_destroy(lc);
	return rc > 0 ? 0 : rc; /* > 0: ended by a signal: a clean unmount */
}

int gdb_fs_run(const gdb_fs_opts *o, char *err, size_t errlen)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se = NULL;
	gdb_daemon *d = NULL;
	int rc = check_mountpoint(o, err, errlen);

	/* Freed answers and views go back to the system: a fixed mmap
	 * threshold (glibc's own grows to 32 MiB after the first big free,
	 * keeping later answers in a heap it never shrinks). */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	if (rc == 0 && o->uring_loop)
		rc = daemon_uring_check(err, errlen);
	if (rc == 0)
		rc = start_log(o, err, errlen);
	if (rc == 0)
		rc = gdb_daemon_open(o, &d, err, errlen);
	if (rc < 0) {
		daemon_log_close();
		return rc;
	}
	pthread_key_create(&d->buf_key, ops_thread_buf_free);
	se = session_new(d, o, &args, err, errlen);
	if (!se) {
		rc = -EINVAL;
		goto out;
	}
	if (fuse_set_signal_handlers(se) != 0) {
		rc = -EIO;
		goto out;
	}
	if (fuse_session_mount(se, o->mountpoint) != 0) {
		gdb_seterr(err, errlen, "%s: mount failed", o->mountpoint);
		rc = -EIO;
		goto out_sig;
	}
	set_readahead(o->mountpoint, o->readahead_kb);
	if (fuse_daemonize(o->foreground || o->debug) != 0)
		rc = -EIO;
	else
		rc = serve(se, d, o, err, errlen);
	fuse_session_unmount(se);
out_sig:
	fuse_remove_signal_handlers(se);
out:
	if (se)
		fuse_session_destroy(se);
	fuse_opt_free_args(&args);
	/* This (main) thread's buffer, if it used one. */
	ops_thread_buf_release(d);
	pthread_key_delete(d->buf_key);
	gdb_daemon_close(d);
	daemon_log_close();
	return rc;
}
