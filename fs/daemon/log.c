/*
 * fs/daemon/log.c - where the daemon's log lines go (docs/PATHS.md "The
 * daemon's log"): a log file (by default one per mountpoint under /run),
 * the last 256 KiB kept in memory for /.gdb/log, stderr in the foreground
 * and syslog once detached. Lines of level info and above, each stamped
 * with the UTC time in the file and in /.gdb/log.
 *
 * The state is process-wide, not the daemon's: common/gdb.h has one log
 * sink per process, set before threads start, and library code logs
 * through it without knowing of any daemon.
 */
#include "fs/daemon/daemon_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define RING_BYTES ((size_t)256 << 10)

static struct {
	pthread_mutex_t lock;
	int fd; /* the log file, or -1; lock */
	int to_stderr, to_syslog;
	char *ring; /* the last lines, oldest first; lock */
	size_t len;
} L = {PTHREAD_MUTEX_INITIALIZER, -1, 0, 0, NULL, 0};

/* Under L.lock: keep line (with its newline) at the ring's end, dropping
 * whole lines from its start when it would pass RING_BYTES. */
static void ring_add(const char *line, size_t n)
{
	size_t drop = 0;

	if (!L.ring || n > RING_BYTES)
		return;
	if (L.len + n > RING_BYTES) {
		char *nl;
		drop = L.len + n - RING_BYTES;
		nl = memchr(L.ring + drop, '\n', L.len - drop);
		drop = nl ? (size_t)(nl - L.ring) + 1 : L.len;
		memmove(L.ring, L.ring + drop, L.len - drop);
		L.len -= drop;
	}
	memcpy(L.ring + L.len, line, n);
	L.len += n;
}

static void sink(enum gdb_log_level level, const char *line)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	char buf[4096], stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	if (level > GDB_LOG_INFO)
		return;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(buf, sizeof(buf), "%s %s: %s\n", stamp, names[level],
		     line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		n = sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	pthread_mutex_lock(&L.lock);
	ring_add(buf, (size_t)n);
	if (L.fd >= 0) {
		/* a full disk must not stop the daemon; the ring has it */
		ssize_t w = write(L.fd, buf, (size_t)n);
		(void)w;
	}
	pthread_mutex_unlock(&L.lock);
	if (L.to_stderr)
		fprintf(stderr, "genomedb: %s: %s\n", names[level], line);
	if (L.to_syslog)
		syslog(prio[level], "%s", line);
}

int daemon_log_open(const char *path, int to_stderr, int to_syslog, char *err,
		    size_t errlen)
{
	int fd = -1;

	if (path) {
		fd =
		    open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0) {
			gdb_seterr(err, errlen, "log file %s: %s", path,
				   strerror(errno));
			return -errno;
		}
	}
	pthread_mutex_lock(&L.lock);
	if (!L.ring)
		L.ring = malloc(RING_BYTES);
	if (L.fd >= 0)
		close(L.fd);
	L.fd = fd;
	L.to_stderr = to_stderr;
	L.to_syslog = to_syslog;
	pthread_mutex_unlock(&L.lock);
	if (to_syslog)
		openlog("genomedb", LOG_PID, LOG_DAEMON);
	gdb_log_set_sink(sink);
	return 0;
}

void daemon_log_close(void)
{
	gdb_log_set_sink(NULL);
	pthread_mutex_lock(&L.lock);
	if (L.fd >= 0)
		close(L.fd);
	L.fd = -1;
	free(L.ring);
	L.ring = NULL;
	L.len = 0;
	pthread_mutex_unlock(&L.lock);
	if (L.to_syslog)
		closelog();
}

char *daemon_log_snapshot(size_t *len)
{
	char *p;

	pthread_mutex_lock(&L.lock);
	p = malloc(L.len + 1);
	if (p) {
		if (L.len)
			memcpy(p, L.ring, L.len);
		*len = L.len;
	}
	pthread_mutex_unlock(&L.lock);
	return p;
}

/*
 * The log file a daemon started without --log writes: one per mountpoint,
 * named after its absolute path with '/' as '-' ("/mnt/gdb" -> "mnt-gdb.log"),
 * in /run/genomedb for root, else $XDG_RUNTIME_DIR/genomedb, else
 * /tmp/genomedb-<uid>. The directory is made if missing.
 */
int daemon_log_default(const char *mount_abs, char *out, size_t cap)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char dir[1024], name[1024];
	size_t k = 0;

	if (getuid() == 0)
		snprintf(dir, sizeof(dir), "/run/genomedb");
	else if (xdg && xdg[0] == '/')
		snprintf(dir, sizeof(dir), "%s/genomedb", xdg);
	else
		snprintf(dir, sizeof(dir), "/tmp/genomedb-%u",
			 (unsigned)getuid());
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	for (const char *p = mount_abs; *p && k + 1 < sizeof(name); p++)
		if (*p != '/' || k)
			name[k++] = *p == '/' ? '-' : *p;
	while (k && name[k - 1] == '-')
		k--;
	name[k] = 0;
	if ((size_t)snprintf(out, cap, "%s/%s.log", dir, k ? name : "root") >=
	    cap)
		return -ENAMETOOLONG;
	return 0;
}
