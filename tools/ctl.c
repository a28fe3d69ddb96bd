/*
 * tools/ctl.c - `genomedb ctl MOUNT ...`: talk to a running daemon.
 *
 * Controls go through the ioctl in fs/daemon/genomedb_ioctl.h on the mount's
 * root directory; where ioctls don't pass (an old kernel, a wrapper mount), the
 * same control line is set as the user.gdb.ctl xattr, and stats are read
 * from /.gdb/stats.json.
 */
#include "tools/tools.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/daemon/genomedb_ioctl.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: genomedb ctl MOUNT COMMAND\n"
		"  stats [--json]                 cache, prefetch and latency "
		"metrics\n"
		"  policy NAME                    lru, arc, s3fifo, lfu or 2q "
		"(kept resident set)\n"
		"  budget SIZE                    e.g. 2G\n"
		"  prefetch on|off                automatic prefetch\n"
		"  prefetch REGION|BED            warm regions now\n"
		"  pin REGION|BED                 keep regions resident\n"
		"  unpin REGION|BED | unpin --all\n"
		"  reset-stats\n"
		"  refresh                        serve the store's newest "
		"generation now\n"
		"REGION is ASSEMBLY/CONTIG[:FROM-TO] (1-based, inclusive); a "
		"BED file\n"
		"names contigs of --assembly ASM (default: the mount's only "
		"assembly).\n");
}

/* Send one control line; print the daemon's message on failure. */
static int control(int dirfd, const char *mount, const char *line)
{
	struct gdb_ioc_control c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.version = GDB_IOC_VERSION;
	snprintf(c.line, sizeof(c.line), "%s", line);
	if (ioctl(dirfd, GDB_IOC_CONTROL, &c) == 0) {
		if (c.status < 0) {
			tool_err("%s: %s", line, c.line);
			return -1;
		}
		return 0;
	}
	/* Fallback: the xattr control plane, of a mount only (on any other
	 * directory it would set user.gdb.ctl and report success). */
	if (faccessat(dirfd, ".gdb/stats.json", F_OK, 0) < 0) {
		tool_err("%s: not a GenomeDB mount (no .gdb/stats.json)",
			 mount);
		return -1;
	}
	if (setxattr(mount, "user.gdb.ctl", line, strlen(line), 0) < 0) {
		tool_err("%s: %s (see the daemon's log)", line,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* The mount's only assembly (a directory other than the reserved ones). */
static int only_assembly(const char *mount, char *out, size_t outlen)
{
	static const char *const reserved[] = {
	    ".",	"..",	 ".gdb",	"graph", "compute",
	    "variants", "reads", "annotations", NULL};
	DIR *d = opendir(mount);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		int skip = 0;
		for (int i = 0; reserved[i]; i++)
			skip |= !strcmp(e->d_name, reserved[i]);
		if (!skip && n++ == 0)
			snprintf(out, outlen, "%s", e->d_name);
	}
	closedir(d);
	return n == 1 ? 0 : -1;
}

/* A REGION, or every line of a BED file, as control lines "key=ASM/..". */
static int region_controls(int dirfd, const char *mount, const char *key,
			   const char *arg, const char *asmname)
{
	char line[1100], asmbuf[256];
	struct stat st;
	FILE *f;
	char buf[4096];
	int n = 0, bad = 0;
	unsigned long lineno = 0;

	if (stat(arg, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(line, sizeof(line), "%s=%s", key, arg);
		return control(dirfd, mount, line);
	}
	if (!asmname) {
		if (only_assembly(mount, asmbuf, sizeof(asmbuf)) < 0) {
			tool_err("%s: name the assembly of %s with --assembly",
				 mount, arg);
			return -1;
		}
		asmname = asmbuf;
	}
	f = fopen(arg, "r");
	if (!f) {
		tool_err("%s: %s", arg, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), f)) {
		char chrom[256];
		unsigned long long s, e;
		lineno++;
		if (buf[0] == '#' || buf[0] == '\n' ||
		    !strncmp(buf, "track", 5) || !strncmp(buf, "browser", 7))
			continue;
		if (sscanf(buf, "%255s %llu %llu", chrom, &s, &e) != 3 ||
		    e <= s) {
			tool_err("%s:%lu: expected 'chrom start end' with "
				 "start < end",
				 arg, lineno);
			bad = 1;
			break;
		}
		snprintf(line, sizeof(line), "%s=%s/%s:%llu-%llu", key, asmname,
			 chrom, s + 1, e);
		if (control(dirfd, mount, line) < 0) {
			bad = 1;
			break;
		}
		n++;
	}
	fclose(f);
	if (!bad)
		fprintf(stderr, "%s: %d region%s\n", key, n, n == 1 ? "" : "s");
	return bad ? -1 : 0;
}

static int stats(int dirfd, const char *mount, int json)
{
	struct gdb_ioc_stats s;
	uint64_t acc;

	memset(&s, 0, sizeof(s));
	if (json || ioctl(dirfd, GDB_IOC_GET_STATS, &s) < 0 ||
	    s.version != GDB_IOC_VERSION) {
		char path[4096], buf[65536];
		size_t n;
		FILE *f;
		snprintf(path, sizeof(path), "%s/.gdb/stats.json", mount);
		f = fopen(path, "r");
		if (!f) {
			tool_err("%s: %s", path, strerror(errno));
			return -1;
		}
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, stdout);
		fclose(f);
		return 0;
	}
	acc = s.hits + s.misses;
	printf("generation        %llu\n", (unsigned long long)s.generation);
	printf("policy            %s\n", s.policy);
	printf("budget            %llu bytes\n",
	       (unsigned long long)s.budget_bytes);
	printf("resident          %llu bytes (%llu pinned)\n",
	       (unsigned long long)s.resident_bytes,
	       (unsigned long long)s.pinned_bytes);
	printf("hits / misses     %llu / %llu (hit ratio %.4f)\n",
	       (unsigned long long)s.hits, (unsigned long long)s.misses,
	       acc ? (double)s.hits / (double)acc : 0.0);
	printf("evictions         %llu\n", (unsigned long long)s.evictions);
	printf("bytes decoded     %llu\n", (unsigned long long)s.bytes_decoded);
	printf("prefetch          %s: issued %llu, used %llu, wasted %llu\n",
	       s.prefetch_enabled ? "on" : "off",
	       (unsigned long long)s.prefetch_issued,
	       (unsigned long long)s.prefetch_used,
	       (unsigned long long)s.prefetch_wasted);
	printf("read latency      p50 %.1f us, p95 %.1f us, p99 %.1f us "
	       "(%llu reads)\n",
	       (double)s.lat_p50_ns / 1000, (double)s.lat_p95_ns / 1000,
	       (double)s.lat_p99_ns / 1000, (unsigned long long)s.lat_count);
	printf("served            %llu reads, %llu bytes\n",
	       (unsigned long long)s.reads, (unsigned long long)s.bytes_served);
	return 0;
}

int cmd_ctl(int argc, char **argv)
{
	const char *mount, *cmd, *asmname = NULL;
	char line[1100];
	int dirfd, rc = -1, json = 0;
	int nargs = 0;
	char *args[4];
	static const char *const valued[] = {"--assembly", NULL};

	if (tool_help_asked(argc, argv, valued)) {
		usage(stdout);
		return EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--assembly") && i + 1 < argc)
			asmname = argv[++i];
		else if (nargs < 4)
			args[nargs++] = argv[i];
		else
			nargs = 5;
	}
	if (nargs < 2 || nargs > 4) {
		usage(stderr);
		return EXIT_USAGE;
	}
	mount = args[0];
	cmd = args[1];
	dirfd = open(mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		tool_err("%s: %s", mount, strerror(errno));
		return EXIT_FAIL;
	}
	if (!strcmp(cmd, "stats") && nargs == 2) {
		rc = stats(dirfd, mount, json);
	} else if ((!strcmp(cmd, "reset-stats") || !strcmp(cmd, "refresh")) &&
		   nargs == 2) {
		rc = control(dirfd, mount, cmd);
	} else if ((!strcmp(cmd, "policy") || !strcmp(cmd, "budget")) &&
		   nargs == 3) {
		snprintf(line, sizeof(line), "%s=%s", cmd, args[2]);
		rc = control(dirfd, mount, line);
	} else if (!strcmp(cmd, "prefetch") && nargs == 3) {
		if (!strcmp(args[2], "on") || !strcmp(args[2], "off")) {
			snprintf(line, sizeof(line), "prefetch=%s", args[2]);
			rc = control(dirfd, mount, line);
		} else {
			rc = region_controls(dirfd, mount, "prefetch-region",
					     args[2], asmname);
		}
	} else if (!strcmp(cmd, "pin") && nargs == 3) {
		rc = region_controls(dirfd, mount, "pin", args[2], asmname);
	} else if (!strcmp(cmd, "unpin") && nargs == 3) {
		rc = !strcmp(args[2], "--all") || !strcmp(args[2], "all")
			 ? control(dirfd, mount, "unpin-all")
			 : region_controls(dirfd, mount, "unpin", args[2],
					   asmname);
	} else {
		close(dirfd);
		usage(stderr);
		return EXIT_USAGE;
	}
	close(dirfd);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}
