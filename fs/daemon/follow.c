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
 * and moves there: pinned for a moment, then given back its CPUs (the
 * kernel does not move it back).
 */
#define _GNU_SOURCE /* sched_getcpu, CPU_SET */
#include "fs/daemon/daemon_int.h"

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
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

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int daemon_follow_reader(struct daemon_follow *f, pid_t requester)
{
	cpu_set_t mine, one;
	long long t;
	int cpu;

	if (requester <= 0 || ++f->n < FOLLOW_EVERY)
		return 0;
	f->n = 0;
	cpu = daemon_task_cpu(requester);
	if (cpu < 0 || cpu >= CPU_SETSIZE || cpu == sched_getcpu())
		return 0;
	t = now_ns();
	if (f->moved && t - f->last < FOLLOW_GAP_NS)
		return 0;
	if (sched_getaffinity(0, sizeof(mine), &mine) != 0 ||
	    !CPU_ISSET(cpu, &mine))
		return 0;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one) != 0)
		return 0;
	(void)sched_setaffinity(0, sizeof(mine), &mine);
	f->last = t;
	f->moved++;
	return 1;
}
