/*
 * fs/daemon/follow.c - the thread reading /dev/fuse follows its reader to
 * the reader's CPU (issue 16). A new-name region read is three round
 * trips (LOOKUP, isatty's IOCTL, READ), each two wake-ups. With the reader
 * and the reading thread on different vCPUs of a 2-vCPU guest each
 * wake-up is of a halted vCPU (tens of us), and the kernel keeps such a
 * pair apart once it is (a wakee goes back to its previous CPU while that
 * is idle): 2-3x the read, for the floor's own single-threaded loop too,
 * where one CPU keeps the pair together (docs/BENCHMARKS.md, 2026-12-07).
 * So now and then the reading thread looks where its requester last ran
 * and, if two looks in a row agree, moves there: pinned for a moment, then
 * given back its CPUs (the kernel does not move it back). A look reads
 * /proc/TID/stat, which costs tens of microseconds here (do_task_stat and
 * a security hook on ptrace_may_access): 7% of the daemon's CPU for
 * region reads at one look per 32 requests. So while the looks find the
 * pair together they space out (up to FOLLOW_EVERY_MAX requests apart),
 * and a daemon the user pinned to one CPU does not look at all.
 *
 * Giving back: its CPUs when it started, or, if those were every CPU the
 * kernel lets it have, a full mask. Since Linux 6.2 the set last given is
 * the thread's requested set, kept across cpuset changes; a full one lets
 * the kernel intersect it with the cpuset, now and later. (A taskset of
 * this one thread after it started is undone at its next move: set a
 * mount's CPUs when starting it, or --follow off.) A failed give-back is
 * retried with the other set and logged, and the thread stops following;
 * if both fail it stays on one CPU, and so do the workers it starts after.
 *
 * It needs /proc of its own pid namespace (FUSE gives the requester's
 * thread id in the daemon's namespace): it does not follow if /proc/self
 * is not getpid(). A seccomp filter denying sched_setaffinity (EPERM,
 * ENOSYS) switches it off at the first move, logged. With hidepid or
 * systemd's ProtectProc=invisible it cannot see other users' readers
 * (only with allow_other are there any), so it does not follow those.
 */
#define _GNU_SOURCE /* sched_getcpu, CPU_SET */
#include "fs/daemon/daemon_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int daemon_task_cpu(pid_t tid)
{
	char path[48], buf[1024], *p;
	int fd, cpu = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* fields after the name, which may hold blanks and parentheses:
	 * the CPU is the 39th field, the 37th after the name's ')' */
	p = strrchr(buf, ')');
	for (int field = 2; p && field < 39; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%d", &cpu) != 1)
		return -1;
	return cpu;
}

_Static_assert(sizeof(((struct daemon_follow *)0)->own) == sizeof(cpu_set_t),
	       "daemon_follow.own holds a cpu_set_t");

static cpu_set_t *own(struct daemon_follow *f)
{
	return (cpu_set_t *)(void *)f->own;
}

/* Take set, the thread's CPUs at the start, as its own. They are "all"
 * when they are every CPU the kernel lets it have (a full mask reads back
 * as set): then a full mask is what it is given back, so a later widening
 * of its cpuset still applies. A set narrower than that (taskset, a mount
 * option) is the user's, kept as it is. Counting online CPUs would not do:
 * inside a restricting cpuset they are the host's. */
static void keep_own(struct daemon_follow *f, const cpu_set_t *set)
{
	cpu_set_t full, got;

	*own(f) = *set;
	f->all = 0;
	CPU_ZERO(&full);
	for (int c = 0; c < CPU_SETSIZE; c++)
		CPU_SET(c, &full);
	if (sched_setaffinity(0, sizeof(full), &full) != 0)
		return;
	if (sched_getaffinity(0, sizeof(got), &got) == 0 &&
	    CPU_EQUAL(&got, set)) {
		f->all = 1;
		return;
	}
	(void)sched_setaffinity(0, sizeof(*set), set);
}

/* /proc/self names this process: /proc is of this pid namespace. */
static int proc_is_ours(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);

	if (n <= 0)
		return 0;
	buf[n] = 0;
	return atol(buf) == (long)getpid();
}

void daemon_follow_init(struct daemon_follow *f, int on)
{
	cpu_set_t set;

	memset(f, 0, sizeof(*f));
	f->want = -1;
	f->every = FOLLOW_EVERY;
	f->off = 1;
	if (!on)
		return;
	if (!proc_is_ours()) {
		gdb_log(GDB_LOG_INFO, "the reading thread does not follow its "
				      "readers' CPUs: /proc is not of this "
				      "pid namespace");
		return;
	}
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return;
	keep_own(f, &set);
	/* one CPU of the user's choosing: nowhere to move, no looks */
	f->off = !f->all && CPU_COUNT(&set) == 1;
}

/* Give the thread back its own CPUs (a full mask for all of them), the
 * other set if that fails. @return 0, or -1 (logged) if the first failed */
static int give_back(struct daemon_follow *f)
{
	cpu_set_t full;
	const cpu_set_t *first = own(f), *second = &full;
	int err;

	CPU_ZERO(&full);
	for (int c = 0; c < CPU_SETSIZE; c++)
		CPU_SET(c, &full);
	if (f->all)
		first = &full, second = own(f);
	if (sched_setaffinity(0, sizeof(*first), first) == 0)
		return 0;
	err = errno;
	if (sched_setaffinity(0, sizeof(*second), second) == 0)
		gdb_log(
		    GDB_LOG_WARN,
		    "the reading thread's CPUs: %s; given %s instead; it no "
		    "longer follows its readers' CPUs",
		    strerror(err), f->all ? "those it had" : "every CPU");
	else
		gdb_log(
		    GDB_LOG_WARN,
		    "the reading thread stays on CPU %d: its CPUs could not "
		    "be given back (%s); it no longer follows its readers' "
		    "CPUs",
		    sched_getcpu(), strerror(err));
	return -1;
}

int daemon_follow_reader(struct daemon_follow *f, pid_t requester)
{
	cpu_set_t one;
	long long t;
	int cpu, want;

	if (f->off || requester <= 0 || ++f->n < f->every)
		return 0;
	f->n = 0;
	t = daemon_now_ns();
	if (f->moved && t - f->last < FOLLOW_GAP_NS)
		return 0;
	cpu = daemon_task_cpu(requester);
	want = f->want;
	f->want = cpu;
	if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, own(f)) ||
	    cpu == sched_getcpu()) {
		/* together, or nowhere it could go: look less often */
		f->every = f->every * 2 < FOLLOW_EVERY_MAX ? f->every * 2
							   : FOLLOW_EVERY_MAX;
		return 0;
	}
	f->every = FOLLOW_EVERY; /* apart: look again soon */
	if (cpu != want)
		return 0;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one) != 0) {
		if (errno == EPERM || errno == ENOSYS) { /* e.g. seccomp */
			gdb_log(GDB_LOG_INFO,
				"the reading thread does not follow its "
				"readers' CPUs: moving it: %s",
				strerror(errno));
			f->off = 1;
		}
		return 0;
	}
	f->last = t;
	f->moved++;
	f->want = -1; /* two fresh looks before the next move */
	if (give_back(f) < 0)
		f->off = 1;
	return 1;
}
