/*
 * tests/helpers/sysfail.c - run a program with chosen system calls failing.
 *
 *   sysfail [-v] SPEC... -- PROGRAM ARG...
 *   SPEC: SYSCALL[,fd=PATH][,comm=NAME][,arg0=N]:ERRNO:FIRST[:COUNT]
 *
 * The FIRST-th call (from 1, counted over the whole process: every thread
 * and child) of SYSCALL and the COUNT-1 after it (COUNT 0: every one from
 * FIRST on; default 1) fail with ERRNO; the others run. With fd=PATH only
 * the calls whose first argument is a file descriptor open on PATH count
 * (and may fail), with comm=NAME only those of a thread so named
 * (prctl PR_SET_NAME), with arg0=N only those whose first argument is N
 * (rt_sigaction,arg0=12: SIGUSR2's, pure queries such as
 * sigaction(12, NULL, &old) counted too): e.g.
 * read,fd=/dev/fuse,comm=gdb-reader for the daemon's reads of /dev/fuse on its
 * extra reading threads (fs/daemon/ loop.c), whichever other reads it makes.
 * For the error paths of the daemon that no test reached otherwise
 * (fs/daemon/uring.c's ring that cannot be made or entered, an eventfd or a
 * thread that cannot be had; loop.c's worker that does not start), without test
 * hooks in the daemon: liburing issues raw system calls, which LD_PRELOAD
 * cannot catch, and glibc's pthread_create fails with clone3's EAGAIN.
 *
 * How: a seccomp filter (SECCOMP_RET_USER_NOTIF for the SPECs' calls) is
 * installed in this process, which then execs PROGRAM (same pid: a test
 * sees the daemon's threads under it); a child forked before the filter
 * gets the listener and answers each call: run it, or fail it. With -v
 * the child says on stderr which call it failed.
 *
 * The child (the decider) shares the program's process group: it ignores
 * SIGINT, SIGTERM and SIGHUP and ends when the listener hangs up (every
 * task under the filter gone), saying why if it ends otherwise; should it
 * die, the filtered calls fail with ENOSYS. It outlives the program and
 * is then reparented (to a subreaper or init, which reaps it). Only calls
 * of this build's architecture are filtered; any other (x32, i386)
 * kills the process: a count must not miss them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define SYSFAIL_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SYSFAIL_ARCH AUDIT_ARCH_AARCH64
#else
#error "sysfail: add this architecture's AUDIT_ARCH"
#endif
#define X32_BIT 0x40000000u /* x32 calls on x86_64 */

#define MAX_SPECS 8

struct spec {
	long nr;
	const char *name;
	char *fd_path, *comm, *arg0; /* NULL: any */
	unsigned long long arg0_val; /* arg0 parsed (checked once) */
	int err;
	unsigned long first, count, seen;
};

static const struct {
	const char *name;
	long nr;
} calls[] = {
    {"io_uring_setup", SYS_io_uring_setup},
    {"io_uring_enter", SYS_io_uring_enter},
    {"io_uring_register", SYS_io_uring_register},
    {"eventfd2", SYS_eventfd2},
    {"clone3", SYS_clone3},
    {"mmap", SYS_mmap},
    {"read", SYS_read},
    {"rt_sigaction", SYS_rt_sigaction},
};

static const struct {
	const char *name;
	int err;
} errs[] = {
    {"EPERM", EPERM},	{"ENOMEM", ENOMEM}, {"EAGAIN", EAGAIN},
    {"EMFILE", EMFILE}, {"EINVAL", EINVAL}, {"EIO", EIO},
};

static void usage(void)
{
	fprintf(stderr, "usage: sysfail [-v] "
			"SYSCALL[,fd=PATH][,comm=NAME][,arg0=N]:ERRNO:"
			"FIRST[:COUNT]... "
			"-- PROGRAM ARG...\n");
	exit(2);
}

static long lookup_call(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (strlen(calls[i].name) == n && !strncmp(calls[i].name, s, n))
			return calls[i].nr;
	return -1;
}

static int lookup_err(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (strlen(errs[i].name) == n && !strncmp(errs[i].name, s, n))
			return errs[i].err;
	return -1;
}

/* The ,fd=PATH, ,comm=NAME and ,arg0=N of a SPEC, from q up to end. */
static void parse_quals(const char *q, const char *end, struct spec *sp)
{
	while (q < end) {
		const char *v = q + 1, *next = v + strcspn(v, ",");
		char **to = NULL;

		if (next > end)
			next = end;
		if (!strncmp(v, "fd=", 3))
			to = &sp->fd_path;
		else if (!strncmp(v, "comm=", 5))
			to = &sp->comm;
		else if (!strncmp(v, "arg0=", 5))
			to = &sp->arg0;
		if (!to || *to)
			usage();
		v = strchr(v, '=') + 1;
		*to = strndup(v, (size_t)(next - v));
		if (!*to || !**to)
			usage();
		q = next;
	}
}

/* Parse arg into all[n] (all[0..n-1] parsed already): a second spec for
 * one call is refused (the decider would only ever use the first). */
static void parse_spec(const char *arg, struct spec *all, int n)
{
	struct spec *sp = &all[n];
	const char *c1 = strchr(arg, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : 0;
	char *end;

	if (!c2)
		usage();
	memset(sp, 0, sizeof(*sp));
	sp->nr = lookup_call(arg, strcspn(arg, ",:"));
	parse_quals(arg + strcspn(arg, ",:"), c1, sp);
	sp->err = lookup_err(c1 + 1, (size_t)(c2 - c1 - 1));
	sp->name = arg;
	if (sp->arg0) { /* a number, all of it ("zz" would be 0) */
		errno = 0;
		sp->arg0_val = strtoull(sp->arg0, &end, 0);
		if (errno || *end)
			usage();
	}
	sp->first = strtoul(c2 + 1, &end, 10);
	sp->count = 1;
	if (*end == ':')
		sp->count = strtoul(end + 1, &end, 10);
	if (sp->nr < 0 || sp->err < 0 || !sp->first || *end)
		usage();
	for (int i = 0; i < n; i++)
		if (all[i].nr == sp->nr) {
			fprintf(stderr, "sysfail: %s: one spec a call\n", arg);
			usage();
		}
}

/* The filter: another architecture's calls kill the process, the SPECs'
 * calls go to the listener, the rest run. Once the listener has a call,
 * the caller waits killably (6.0+; without it a signal could end the
 * wait after the call was counted, and the call made again would count
 * twice). */
static int install(const struct spec *sp, int n)
{
	struct sock_filter f[6 + 2 * MAX_SPECS + 1];
	struct sock_fprog prog;
	int k = 0;

	f[k++] = (struct sock_filter)BPF_STMT(
	    BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					      SYSFAIL_ARCH, 1, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					      SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)BPF_STMT(
	    BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
					      X32_BIT, 0, 1);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					      SECCOMP_RET_KILL_PROCESS);
	for (int i = 0; i < n; i++) {
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						      (unsigned)sp[i].nr, 0, 1);
		f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
						      SECCOMP_RET_USER_NOTIF);
	}
	f[k++] =
	    (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = (unsigned short)k;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	k = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			 SECCOMP_FILTER_FLAG_NEW_LISTENER |
			     SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
			 &prog);
	if (k < 0 && errno == EINVAL) /* before 6.0 */
		k = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				 SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	return k;
}

static void send_fd(int sock, int fd)
{
	char c = 0, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &c, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = ctl,
			   .msg_controllen = sizeof(ctl)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	memset(ctl, 0, sizeof(ctl));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	/* MSG_NOSIGNAL: a decider already gone is said, not a silent
	 * SIGPIPE */
	if (sendmsg(sock, &m, MSG_NOSIGNAL) != 1) {
		perror("sysfail: sendmsg (the decider is gone)");
		exit(127);
	}
}

static int recv_fd(int sock)
{
	char c, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &c, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = ctl,
			   .msg_controllen = sizeof(ctl)};
	struct cmsghdr *cm;
	int fd = -1;

	if (recvmsg(sock, &m, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&m);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* Does the call (stopped at its entry) match sp's fd=, comm= and arg0=?
 * fd= looks at what the descriptor is open on when the decider looks,
 * which a thread of the program closing and reopening it could change in
 * between: racy by nature, fine for descriptors the program keeps open
 * (/dev/fuse). The caller checks the call is still alive afterwards
 * (SECCOMP_IOCTL_NOTIF_ID_VALID: the /proc lookups were of its task). */
static int matches(const struct spec *sp, const struct seccomp_notif *req)
{
	char path[64], got[256];
	ssize_t n = 0;

	if (sp->arg0 && sp->arg0_val != req->data.args[0])
		return 0;
	if (sp->fd_path) {
		snprintf(path, sizeof(path), "/proc/%u/fd/%d", req->pid,
			 (int)req->data.args[0]);
		n = readlink(path, got, sizeof(got) - 1);
		if (n < 0)
			return 0;
		got[n] = 0;
		if (strcmp(got, sp->fd_path))
			return 0;
	}
	if (sp->comm) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%u/comm", req->pid);
		f = fopen(path, "r");
		if (!f)
			return 0;
		n = fgets(got, sizeof(got), f) ? (ssize_t)strcspn(got, "\n")
					       : 0;
		fclose(f);
		got[n] = 0;
		if (strcmp(got, sp->comm))
			return 0;
	}
	return 1;
}

/* The spec req counts for, with resp set to fail it if this call is one
 * to fail (sp->seen not yet counted: the caller counts it once the answer
 * is sent). @return its index, or -1: none (or the call gone since) */
static int decide(int lfd, const struct spec *sp, int n,
		  const struct seccomp_notif *req,
		  struct seccomp_notif_resp *resp)
{
	for (int i = 0; i < n; i++) {
		unsigned long k = sp[i].seen + 1;

		if (sp[i].nr != req->data.nr)
			continue;
		/* one spec a call: it runs unless it matches */
		if (!matches(&sp[i], req) ||
		    ioctl(lfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0)
			return -1;
		if (k >= sp[i].first &&
		    (!sp[i].count || k - sp[i].first < sp[i].count)) {
			resp->flags = 0;
			resp->error = -sp[i].err;
		}
		return i;
	}
	return -1;
}

/* Answer the filtered calls until every task under the filter is gone. */
static void supervise(int lfd, struct spec *sp, int n, int verbose)
{
	struct pollfd p = {.fd = lfd, .events = POLLIN};

	for (;;) {
		struct seccomp_notif req;
		struct seccomp_notif_resp resp;
		int hit;

		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("sysfail: decider: poll");
			break;
		}
		if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
			break;
		memset(&req, 0, sizeof(req));
		if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			perror("sysfail: decider: SECCOMP_IOCTL_NOTIF_RECV");
			break;
		}
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		hit = decide(lfd, sp, n, &req, &resp);
		/* ENOENT: the caller was interrupted and gave up the call:
		 * not counted, nothing said */
		if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 || hit < 0)
			continue;
		sp[hit].seen++;
		if (verbose && !resp.flags)
			fprintf(stderr,
				"sysfail: call %lu of %s failed (pid %u)\n",
				sp[hit].seen, sp[hit].name, req.pid);
	}
}

int main(int argc, char **argv)
{
	struct spec sp[MAX_SPECS];
	int n = 0, i = 1, verbose = 0, sv[2], lfd;
	pid_t pid;

	if (i < argc && !strcmp(argv[i], "-v")) {
		verbose = 1;
		i++;
	}
	for (; i < argc && strcmp(argv[i], "--"); i++) {
		if (n == MAX_SPECS)
			usage();
		parse_spec(argv[i], sp, n);
		n++;
	}
	if (i + 1 >= argc || !n)
		usage();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("sysfail: socketpair");
		return 127;
	}
	pid = fork();
	if (pid < 0) {
		perror("sysfail: fork");
		return 127;
	}
	if (pid == 0) { /* the supervisor, outside the filter */
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		close(sv[0]);
		lfd = recv_fd(sv[1]);
		if (lfd < 0) {
			fprintf(stderr, "sysfail: decider: no listener\n");
			_exit(1);
		}
		close(sv[1]);
		supervise(lfd, sp, n, verbose);
		_exit(0);
	}
	close(sv[1]);
	lfd = install(sp, n);
	if (lfd < 0) {
		perror("sysfail: seccomp");
		kill(pid, SIGKILL);
		return 127;
	}
	send_fd(sv[0], lfd);
	close(lfd);
	close(sv[0]);
	execvp(argv[i + 1], argv + i + 1);
	perror("sysfail: exec");
	return 127;
}
