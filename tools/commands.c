/*
 * tools/commands.c - init, info, export, verify and mount.
 */
#include "tools/tools.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "codecs/codecs.h"
#include "fs/daemon/daemon.h"
#include "fs/ns/ns.h"
#include "graph/graph.h"
#include "seq/seq.h"
#include "store/store.h"

static int open_store(const char *path, gdb_store **s)
{
	char err[1024];

	if (gdb_store_open(path, 0, s, err, sizeof(err)) < 0) {
		tool_err("%s", err);
		return -1;
	}
	return 0;
}

static int is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help");
}

int cmd_init(int argc, char **argv)
{
	char err[1024];

	if (argc == 2 && is_help(argv[1])) {
		printf("usage: genomedb init STORE\n  create an empty store "
		       "(a new directory, or an empty one)\n");
		return EXIT_OK;
	}
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: genomedb init STORE\n");
		return EXIT_USAGE;
	}
	if (gdb_store_init(argv[1], err, sizeof(err)) < 0) {
		tool_err("%s", err);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* JSON string body with the escapes JSON requires. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* The description without the blank that separated it from the name. */
static const char *desc_text(const gdb_contig *c)
{
	return c->desc[0] ? c->desc + 1 : c->desc;
}

/* A time as ISO 8601 UTC ("2024-06-11T09:30:00Z"). */
static void iso_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "%lld", (long long)t);
}

/* The assembly's FASTA size: what export writes, the imported bytes. */
static uint64_t asm_fasta_bytes(const gdb_store *s, const gdb_assembly *a)
{
	uint64_t n = 0;

	for (uint32_t k = 0; k < a->ncontigs; k++)
		n += gdb_seq_fasta_bytes(
		    gdb_store_contig(s, a->first_contig + k));
	return n;
}

/* The contig's digests as text (computed for a short record); "" when
 * its block cannot be read. */
static void digests_hex(const gdb_store *s, const gdb_contig *c, char md5[33],
			char rg[36])
{
	uint8_t m[16], sha[24];

	md5[0] = rg[0] = 0;
	if (gdb_seq_digests(s, c->id, m, sha) < 0)
		return;
	gdb_render_md5_hex(m, md5);
	gdb_render_refget(sha, rg);
}

/* The assembly's codec fields of info --json. */
static void info_json_codec(const gdb_store *s, uint32_t i)
{
	const gdb_assembly *a = gdb_store_assembly(s, i);
	char lossy[64], desc[512];

	gdb_lossy_text(a->lossy, lossy, sizeof(lossy));
	(void)gdb_store_describe(s, i, desc, sizeof(desc));
	printf(", \"codec\": \"%s\", \"alphabet\": \"%s\", "
	       "\"alphabet_detected\": %s, \"lossless\": %s, \"lossy\": ",
	       gdb_codec_name(a->codec), gdb_alphabet_name(a->alphabet),
	       a->alphabet_detected ? "true" : "false",
	       a->lossy ? "false" : "true");
	json_str(stdout, lossy);
	printf(", \"block_bases\": %u, \"blocks\": %u, \"model_bytes\": %u, "
	       "\"codec_description\": ",
	       a->block_bases, a->nblocks, a->model_len);
	json_str(stdout, desc);
	printf(", \"relative_to\": ");
	if (a->reference)
		json_str(stdout, a->reference);
	else
		printf("null");
}

static void info_json_damaged(const gdb_store *s)
{
	printf("], \"damaged\": [");
	for (uint32_t i = 0; i < gdb_store_ndamaged(s); i++) {
		const gdb_damage *d = gdb_store_damaged(s, i);
		printf("%s\n {\"name\": ", i ? "," : "");
		json_str(stdout, d->name);
		printf(", \"kind\": \"%s\", \"segment\": %llu, \"error\": ",
		       d->kind == GDB_OBJECT_SECTIONS ? "object" : "assembly",
		       (unsigned long long)d->segment_id);
		json_str(stdout, d->message);
		printf("}");
	}
}

/* A network's lines or JSON members, from the graph module (counts,
 * species, sources, or its damage). @return 1 if object i is a network */
static int network_info(const gdb_store *s, uint32_t i, int json)
{
	char *text = NULL;
	size_t len;
	int rc = gdb_graph_describe(s, i, json, &text, &len);

	if (rc > 0)
		fwrite(text, 1, len, stdout);
	free(text);
	return rc > 0;
}

static void info_json(const gdb_store *s)
{
	char md5[33], rg[36], when[32];

	printf("{\"store\": ");
	json_str(stdout, gdb_store_path(s));
	printf(", \"generation\": %llu, \"assemblies\": [",
	       (unsigned long long)gdb_store_generation(s));
	for (uint32_t i = 0; i < gdb_store_nassemblies(s); i++) {
		const gdb_assembly *a = gdb_store_assembly(s, i);
		printf("%s\n {\"name\": ", i ? "," : "");
		json_str(stdout, a->name);
		printf(", \"length\": %lld, \"stored_bytes\": %llu, "
		       "\"fasta_bytes\": %llu",
		       (long long)a->total_length,
		       (unsigned long long)a->segment_bytes,
		       (unsigned long long)asm_fasta_bytes(s, a));
		info_json_codec(s, i);
		printf(", \"contigs\": [");
		for (uint32_t k = 0; k < a->ncontigs; k++) {
			const gdb_contig *c =
			    gdb_store_contig(s, a->first_contig + k);
			digests_hex(s, c, md5, rg);
			printf("%s\n  {\"name\": ", k ? "," : "");
			json_str(stdout, c->name);
			printf(", \"description\": ");
			json_str(stdout, desc_text(c));
			printf(", \"length\": %lld, \"md5\": \"%s\", "
			       "\"refget\": \"%s\", \"line_width\": %u, "
			       "\"stored_bytes\": %llu, \"fasta_bytes\": %llu, "
			       "\"layout_bytes\": %u}",
			       (long long)c->length, md5, rg, c->line_width,
			       (unsigned long long)c->stored_bytes,
			       (unsigned long long)gdb_seq_fasta_bytes(c),
			       c->layout_len);
		}
		printf("]}");
	}
	printf("], \"objects\": [");
	for (uint32_t i = 0; i < gdb_store_nobjects(s); i++) {
		const gdb_object *o = gdb_store_object(s, i);
		printf("%s\n {\"name\": ", i ? "," : "");
		json_str(stdout, o->name);
		printf(", \"kind\": %u, \"sections\": %u, \"stored_bytes\": "
		       "%llu",
		       o->kind, o->nsections,
		       (unsigned long long)o->segment_bytes);
		network_info(s, i, 1);
		printf("}");
	}
	info_json_damaged(s);
	printf("], \"provenance\": [");
	for (uint32_t i = 0; i < gdb_store_nprovenance(s); i++) {
		const gdb_provenance *p = gdb_store_provenance(s, i);
		printf("%s\n {\"target\": ", i ? "," : "");
		json_str(stdout, p->target);
		printf(", \"source\": ");
		json_str(stdout, p->source);
		printf(", \"source_bytes\": %llu, \"sha256\": \"",
		       (unsigned long long)p->source_bytes);
		for (int b = 0; b < 32; b++)
			printf("%02x", p->sha256[b]);
		printf("\", \"command\": ");
		json_str(stdout, p->command);
		iso_time(p->time, when);
		printf(", \"time\": \"%s\"}", when);
	}
	printf("]}\n");
}

static void info_text_codec(const gdb_store *s, uint32_t i)
{
	char desc[512];

	(void)gdb_store_describe(s, i, desc, sizeof(desc));
	printf("  codec: %s\n", desc);
}

static void info_text(const gdb_store *s)
{
	char md5[33], when[32];

	printf("store %s, generation %llu, %u assembl%s\n", gdb_store_path(s),
	       (unsigned long long)gdb_store_generation(s),
	       gdb_store_nassemblies(s),
	       gdb_store_nassemblies(s) == 1 ? "y" : "ies");
	for (uint32_t i = 0; i < gdb_store_nassemblies(s); i++) {
		const gdb_assembly *a = gdb_store_assembly(s, i);
		uint64_t fasta = asm_fasta_bytes(s, a);
		printf("\nassembly %s: %u contig%s, %lld bases, %llu bytes "
		       "stored, %.2f:1 vs its FASTA (%llu bytes)\n",
		       a->name, a->ncontigs, a->ncontigs == 1 ? "" : "s",
		       (long long)a->total_length,
		       (unsigned long long)a->segment_bytes,
		       a->segment_bytes
			   ? (double)fasta / (double)a->segment_bytes
			   : 0.0,
		       (unsigned long long)fasta);
		info_text_codec(s, i);
		for (uint32_t k = 0; k < a->ncontigs && k < 50; k++) {
			const gdb_contig *c =
			    gdb_store_contig(s, a->first_contig + k);
			char rg[36];
			digests_hex(s, c, md5, rg);
			printf("  %-24s %12lld  md5 %s  %s\n", c->name,
			       (long long)c->length, md5, desc_text(c));
		}
		if (a->ncontigs > 50)
			printf("  ... and %u more (genomedb info --json)\n",
			       a->ncontigs - 50);
	}
	for (uint32_t i = 0; i < gdb_store_nobjects(s); i++) {
		const gdb_object *o = gdb_store_object(s, i);
		if (network_info(s, i, 0))
			continue;
		printf("\nobject %s: %u sections, %llu bytes stored\n", o->name,
		       o->nsections, (unsigned long long)o->segment_bytes);
	}
	for (uint32_t i = 0; i < gdb_store_nprovenance(s); i++) {
		const gdb_provenance *p = gdb_store_provenance(s, i);
		printf("%sprovenance: %s <- %s (%llu bytes, sha256 ",
		       i ? "" : "\n", p->target, p->source,
		       (unsigned long long)p->source_bytes);
		for (int b = 0; b < 32; b++)
			printf("%02x", p->sha256[b]);
		iso_time(p->time, when);
		printf(") by '%s' at %s\n", p->command, when);
	}
	for (uint32_t i = 0; i < gdb_store_ndamaged(s); i++) {
		const gdb_damage *d = gdb_store_damaged(s, i);
		printf("%sdamaged: %s %s: %s\n", i ? "" : "\n",
		       d->kind == GDB_OBJECT_SECTIONS ? "object" : "assembly",
		       d->name, d->message);
	}
}

int cmd_info(int argc, char **argv)
{
	gdb_store *s;
	const char *path = NULL;
	int json = 0;

	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			printf(
			    "usage: genomedb info STORE [--json]\n  assemblies,"
			    " contigs, lengths, MD5/refget, sizes (stored, "
			    "and the\n  imported FASTA's), damaged entries, "
			    "objects, provenance (times in UTC)\n");
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!path && argv[i][0] != '-')
			path = argv[i];
		else
			path = NULL, argc = 0;
	}
	if (!path) {
		fprintf(stderr, "usage: genomedb info STORE [--json]\n");
		return EXIT_USAGE;
	}
	if (open_store(path, &s) < 0)
		return EXIT_FAIL;
	if (json)
		info_json(s);
	else
		info_text(s);
	gdb_store_close(s);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

/* Stream a view to stdout in 1 MiB pieces. */
static int write_view(const gdb_view *v, gdb_cache *c, char *buf, size_t cap)
{
	uint64_t off = 0;

	while (off < v->size) {
		ssize_t n = gdb_view_read(v, c, off, cap, buf);
		if (n <= 0) {
			tool_err("read failed at byte %llu: %s",
				 (unsigned long long)off,
				 gdb_strerror(n < 0 ? (int)n : -EIO));
			return -1;
		}
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
			tool_err("write: %s", strerror(errno));
			return -1;
		}
		off += (uint64_t)n;
	}
	return 0;
}

static int write_stdout(void *arg, const void *p, size_t n)
{
	(void)arg;
	if (fwrite(p, 1, n, stdout) != n) {
		tool_err("write: %s", strerror(errno));
		return -EIO;
	}
	return 0;
}

static void export_usage(FILE *f)
{
	fprintf(f,
		"usage: genomedb export fasta STORE ASM [REGION...] "
		"[--width N]\n"
		"  without REGION: the FASTA that was imported, byte for byte\n"
		"  REGION as samtools: chr, chr:from, chr:from-to (1-based, "
		"inclusive), 60 bases a line\n"
		"  --width N  N bases a line instead (also without REGION)\n"
		"       genomedb export vcf|bam|sam|cram|fastq ...: "
		"`genomedb export TYPE --help`\n");
}

/* export fasta's region arguments, each as samtools faidx writes it. */
static int export_regions(gdb_store *s, gdb_cache *c, uint32_t ai,
			  char **regions, int nreg, uint32_t width, char *buf,
			  size_t cap)
{
	for (int i = 0; i < nreg; i++) {
		char err[512];
		uint32_t contig;
		int64_t beg, end;
		gdb_view *v;
		int r;

		if (gdb_path_region(s, ai, regions[i], &contig, &beg, &end, err,
				    sizeof(err)) < 0) {
			tool_err("%s", err);
			return EXIT_FAIL;
		}
		if (gdb_view_region(GDB_VIEW_BASES, contig, beg, end,
				    width ? width : GDB_FASTA_WIDTH, regions[i],
				    &v) < 0) {
			tool_err("out of memory");
			return EXIT_FAIL;
		}
		r = write_view(v, c, buf, cap);
		gdb_view_free(v);
		if (r < 0)
			return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cmd_export(int argc, char **argv)
{
	static const char *const width_valued[] = {"--width", NULL};
	const char *path = NULL, *asmname = NULL;
	gdb_store *s = NULL;
	gdb_cache *c = NULL;
	char **regions;
	int nreg = 0, rc = EXIT_FAIL, ai;
	uint32_t width = 0;
	size_t cap = 1u << 20;
	char *buf = NULL;

	if (argc >= 2 && !strcmp(argv[1], "vcf"))
		return cmd_export_vcf(argc, argv);
	if (argc >= 2 &&
	    (!strcmp(argv[1], "bam") || !strcmp(argv[1], "sam") ||
	     !strcmp(argv[1], "cram") || !strcmp(argv[1], "fastq")))
		return cmd_export_reads(argc, argv);
	if (tool_help_asked(argc, argv, width_valued))
		return export_usage(stdout), EXIT_OK;
	regions = calloc((size_t)argc, sizeof(*regions));
	if (!regions)
		return EXIT_FAIL;
	if (argc < 2 || strcmp(argv[1], "fasta")) {
		export_usage(stderr);
		free(regions);
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--width") && i + 1 < argc) {
			char *end;
			long w = strtol(argv[++i], &end, 10);
			if (*end || w < 1 || w > 1000000000) {
				tool_err("--width: expected a positive number");
				free(regions);
				return EXIT_USAGE;
			}
			width = (uint32_t)w;
		} else if (!path) {
			path = argv[i];
		} else if (!asmname) {
			asmname = argv[i];
		} else {
			regions[nreg++] = argv[i];
		}
	}
	if (!path || !asmname) {
		export_usage(stderr);
		free(regions);
		return EXIT_USAGE;
	}
	if (open_store(path, &s) < 0)
		goto out;
	ai = gdb_store_assembly_find(s, asmname);
	if (ai < 0) {
		int d = gdb_store_damaged_find(s, GDB_KIND_ASSEMBLY, asmname);
		if (d >= 0)
			tool_err("assembly '%s' is damaged: %s", asmname,
				 gdb_store_damaged(s, (uint32_t)d)->message);
		else
			tool_err("%s: no assembly '%s'", path, asmname);
		goto out;
	}
	buf = malloc(cap);
	if (!buf || gdb_cache_create(s, 64u << 20, NULL, &c) < 0) {
		tool_err("out of memory");
		goto out;
	}
	if (nreg == 0 && !width) {
		char err[512] = "";
		int r = gdb_seq_export_fasta(s, (uint32_t)ai, write_stdout,
					     NULL, err, sizeof(err));
		if (r < 0)
			tool_err("%s: %s", asmname,
				 err[0] ? err : gdb_strerror(r));
		rc = r < 0 ? EXIT_FAIL : EXIT_OK;
		goto out;
	}
	if (nreg == 0) {
		const gdb_assembly *a = gdb_store_assembly(s, (uint32_t)ai);
		gdb_view *v;
		if (gdb_view_contigs(s, a->first_contig, a->ncontigs, width, 1,
				     &v) < 0) {
			tool_err("out of memory");
			goto out;
		}
		rc = write_view(v, c, buf, cap) < 0 ? EXIT_FAIL : EXIT_OK;
		gdb_view_free(v);
		goto out;
	}
	rc = export_regions(s, c, (uint32_t)ai, regions, nreg, width, buf, cap);
out:
	if (fflush(stdout) != 0 && rc == EXIT_OK) {
		tool_err("write: %s", strerror(errno));
		rc = EXIT_FAIL;
	}
	gdb_cache_destroy(c);
	gdb_store_close(s);
	free(buf);
	free(regions);
	return rc;
}

static void mount_usage(FILE *f)
{
	fprintf(f,
		"usage: genomedb mount STORE MOUNTPOINT [-f] [-o OPTS] "
		"[--cache SIZE] [--policy NAME]\n"
		"       [--prefetch on|off] [--threads N] "
		"[--loop split|uring|libfuse]\n"
		"       [--readers N] [--follow on|off] [--spin-us N] "
		"[--readahead-kb N]\n"
		"       [--log FILE] "
		"[--unmount-stale] [--plugin LIB.so ...]\n"
		"  -f, --foreground   stay in the foreground, log to stderr\n"
		"  -d, --debug        libfuse debug output\n"
		"  -o OPTS            FUSE mount options (allow_other, ...)\n"
		"  --cache SIZE       budget of decoded blocks and computed "
		"answers, e.g. 512M,\n"
		"                     4G (default 256M)\n"
		"  --policy NAME      lru, arc, s3fifo, lfu or 2q\n"
		"  --prefetch on|off  read ahead sequential and strided "
		"reads (default on)\n"
		"  --threads N        requests served at once (default 16; "
		"1: one thread)\n"
		"  --loop split       one thread reads /dev/fuse and answers "
		"cheap requests,\n"
		"                     workers the rest (default); libfuse: "
		"its own\n"
		"                     multithreaded loop; uring: FUSE over "
		"io_uring, a thread\n"
		"                     per CPU (needs "
		"/sys/module/fuse/parameters/enable_uring Y)\n"
		"  --readers N        threads of the split loop reading "
		"/dev/fuse in turn, each\n"
		"                     answering cheap requests (1-16, "
		"default 1; --threads\n"
		"                     counts them)\n"
		"  --follow on|off    the split loop's reading thread moves "
		"to its reader's CPU\n"
		"                     now and then (default on; one reader "
		"only)\n"
		"  --spin-us N        the split loop's reading thread looks "
		"for the next request\n"
		"                     for N us (0-10000) before it sleeps "
		"(default 0)\n"
		"  --readahead-kb N   the kernel's readahead for the mount "
		"(default 1024)\n"
		"  --log FILE         the log file once detached (default: "
		"one per mountpoint\n"
		"                     under /run/genomedb or "
		"$XDG_RUNTIME_DIR/genomedb); also /.gdb/log\n"
		"  --unmount-stale    clear a mount at MOUNTPOINT whose daemon "
		"died first\n"
		"  --plugin LIB.so    serve the analysis of a plugin under "
		"/compute/<name>/\n"
		"                     (repeatable; docs/PLUGINS.md)\n"
		"Unmount with fusermount3 -u MOUNTPOINT. Paths: docs/PATHS.md"
		".\n");
}

/* *path made absolute under the working directory into buf (PATH_MAX)
 * unless it is already. @return 0, or -1 (said why, after what) */
static int under_cwd(const char *what, const char **path, char *buf)
{
	char cwd[PATH_MAX];

	if ((*path)[0] == '/')
		return 0;
	if (!getcwd(cwd, sizeof(cwd)) ||
	    (size_t)snprintf(buf, PATH_MAX, "%s/%s", cwd, *path) >= PATH_MAX) {
		tool_err("%s%s: path too long", what, *path);
		return -1;
	}
	*path = buf;
	return 0;
}

/* An on|off option's value: 1 or 0, or -1 (said why). */
static int on_off(const char *opt, const char *v)
{
	if (strcmp(v, "on") && strcmp(v, "off")) {
		tool_err("%s: on or off", opt);
		return -1;
	}
	return !strcmp(v, "on");
}

/* A count option's value, lo to hi, e.g. "--spin-us: microseconds from 0
 * to 10000". @return 0, or -1 (said why) */
#define SPIN_US_MAX 10000
#define THREADS_MAX 256
#define READAHEAD_KB_MAX 65536
static int parse_count(const char *opt, const char *what, unsigned lo,
		       unsigned hi, const char *v, unsigned *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (!*v || *end || errno || v[0] == '-' || n < lo || n > hi) {
		tool_err("%s: %s from %u to %u", opt, what, lo, hi);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

/* A plugin's path, made absolute (the daemon chdirs to / when it
 * detaches); a name with no '/' is left for dlopen's search. */
static int add_plugin(char (*paths)[PATH_MAX], size_t *n, const char *arg)
{
	if (*n == GDB_PLUGINS_MAX) {
		tool_err("--plugin: at most %d plugins", GDB_PLUGINS_MAX);
		return -1;
	}
	if (!strchr(arg, '/')) {
		snprintf(paths[*n], PATH_MAX, "%s", arg);
	} else if (!realpath(arg, paths[*n])) {
		tool_err("--plugin: %s: %s", arg, strerror(errno));
		return -1;
	}
	(*n)++;
	return 0;
}

int cmd_mount(int argc, char **argv)
{
	gdb_fs_opts o;
	char err[1024];
	char opts[2048] = "";
	char store_abs[PATH_MAX], log_abs[PATH_MAX], mnt_abs[PATH_MAX];
	char plugins[GDB_PLUGINS_MAX][PATH_MAX];
	const char *plugin_ptr[GDB_PLUGINS_MAX];
	int rc, follow;

	memset(&o, 0, sizeof(o));
	o.cache_bytes = 256u << 20;
	o.readahead_kb = 1024;
	o.prefetch = 1;
	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			mount_usage(stdout);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "-f") ||
		    !strcmp(argv[i], "--foreground")) {
			o.foreground = 1;
		} else if (!strcmp(argv[i], "-d") ||
			   !strcmp(argv[i], "--debug")) {
			o.debug = 1;
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			size_t l = strlen(opts);
			snprintf(opts + l, sizeof(opts) - l, "%s%s",
				 l ? "," : "", argv[++i]);
		} else if (!strcmp(argv[i], "--cache") && i + 1 < argc) {
			if (gdb_cache_parse_size(argv[++i], &o.cache_bytes) <
			    0) {
				tool_err("--cache: expected a size such as "
					 "512M or 4G");
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--policy") && i + 1 < argc) {
			o.policy = argv[++i];
		} else if (!strcmp(argv[i], "--prefetch") && i + 1 < argc) {
			if ((o.prefetch = on_off(argv[i], argv[i + 1])) < 0)
				return EXIT_USAGE;
			i++;
		} else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
			if (parse_count(argv[i], "threads", 1, THREADS_MAX,
					argv[i + 1], &o.max_threads) < 0)
				return EXIT_USAGE;
			i++;
		} else if (!strcmp(argv[i], "--loop") && i + 1 < argc) {
			i++;
			if (strcmp(argv[i], "split") &&
			    strcmp(argv[i], "libfuse") &&
			    strcmp(argv[i], "uring")) {
				tool_err("--loop: split, uring or libfuse");
				return EXIT_USAGE;
			}
			o.libfuse_loop = !strcmp(argv[i], "libfuse");
			o.uring_loop = !strcmp(argv[i], "uring");
		} else if (!strcmp(argv[i], "--follow") && i + 1 < argc) {
			if ((follow = on_off(argv[i], argv[i + 1])) < 0)
				return EXIT_USAGE;
			o.no_follow = !follow;
			i++;
		} else if (!strcmp(argv[i], "--spin-us") && i + 1 < argc) {
			if (parse_count(argv[i], "microseconds", 0, SPIN_US_MAX,
					argv[i + 1], &o.spin_us) < 0)
				return EXIT_USAGE;
			i++;
		} else if (!strcmp(argv[i], "--readers") && i + 1 < argc) {
			if (parse_count(argv[i], "threads", 1, GDB_READERS_MAX,
					argv[i + 1], &o.readers) < 0)
				return EXIT_USAGE;
			i++;
		} else if (!strcmp(argv[i], "--readahead-kb") && i + 1 < argc) {
			if (parse_count(argv[i], "KiB", 0, READAHEAD_KB_MAX,
					argv[i + 1], &o.readahead_kb) < 0)
				return EXIT_USAGE;
			i++;
		} else if (!strcmp(argv[i], "--log") && i + 1 < argc) {
			o.log_path = argv[++i];
		} else if (!strcmp(argv[i], "--unmount-stale")) {
			o.unmount_stale = 1;
		} else if (!strcmp(argv[i], "--plugin") && i + 1 < argc) {
			if (add_plugin(plugins, &o.nplugins, argv[++i]) < 0)
				return EXIT_USAGE;
		} else if (argv[i][0] == '-') {
			tool_err("mount: unknown option '%s'", argv[i]);
			return EXIT_USAGE;
		} else if (!o.store_path) {
			o.store_path = argv[i];
		} else if (!o.mountpoint) {
			o.mountpoint = argv[i];
		} else {
			mount_usage(stderr);
			tool_err("mount: unexpected argument '%s'", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!o.store_path || !o.mountpoint) {
		mount_usage(stderr);
		return EXIT_USAGE;
	}
	/* The daemon chdirs to / when it detaches: keep absolute paths. */
	if (realpath(o.store_path, store_abs))
		o.store_path = store_abs;
	/* libfuse unmounts by this path at SIGTERM, from / by then (a stale
	 * mount, whose realpath may fail: joined to the working directory) */
	if (realpath(o.mountpoint, mnt_abs))
		o.mountpoint = mnt_abs;
	else if (under_cwd("", &o.mountpoint, mnt_abs) < 0)
		return EXIT_USAGE;
	if (o.log_path && under_cwd("--log: ", &o.log_path, log_abs) < 0)
		return EXIT_USAGE;
	o.fuse_opts = opts;
	for (size_t k = 0; k < o.nplugins; k++)
		plugin_ptr[k] = plugins[k];
	o.plugins = plugin_ptr;
	if (o.foreground)
		gdb_log_set_level(GDB_LOG_INFO);
	rc = gdb_fs_run(&o, err, sizeof(err));
	if (rc < 0) {
		tool_err("%s", err[0] ? err : gdb_strerror(rc));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
