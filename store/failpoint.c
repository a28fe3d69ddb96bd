/*
 * store/failpoint.c - the failpoint counter (see failpoint.h). Compiled to
 * nothing unless -DGDB_FAILPOINTS: release builds carry no trace of it.
 */
#include "store/failpoint.h"

#ifdef GDB_FAILPOINTS
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_ulong fp_calls;

/* The failing call's number and what it does: 0 errno means kill. */
static int fp_config(unsigned long *nth, int *err)
{
	const char *v = getenv("GENOMEDB_FAILPOINT"), *mode;
	char *end;

	if (!v || !*v)
		return 0;
	*nth = strtoul(v, &end, 10);
	mode = *end == ':' ? end + 1 : "EIO";
	*err = !strcmp(mode, "ENOSPC") ? ENOSPC
	       : !strcmp(mode, "kill") ? 0
				       : EIO;
	return *nth > 0;
}

static void fp_log(unsigned long n, const char *op)
{
	const char *path = getenv("GENOMEDB_FAILPOINT_LOG");
	char line[96];
	int fd, len;

	if (!path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	len = snprintf(line, sizeof(line), "%lu %s\n", n, op);
	if (write(fd, line, (size_t)len) < 0)
		len = 0;
	close(fd);
}

int gdb_fp_fail(const char *op)
{
	unsigned long nth, n = atomic_fetch_add(&fp_calls, 1) + 1;
	int err;

	if (!fp_config(&nth, &err) || n != nth)
		return 0;
	fp_log(n, op);
	if (!err)
		kill(getpid(), SIGKILL);
	errno = err;
	return 1;
}
#endif
