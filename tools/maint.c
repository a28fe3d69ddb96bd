/*
 * tools/maint.c - keeping a store healthy: `verify` (every block and
 * section, damaged entries, CURRENT, newer manifests; `--repair`),
 * `drop` (a new generation without an entry) and `gc` (remove what no
 * kept generation uses, never what a reader maps).
 */
#include "tools/tools.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/codecs.h"
#include "store/store.h"

static void verify_usage(FILE *f)
{
	fprintf(f,
		"usage: genomedb verify STORE [--repair [--discard-newer]] "
		"[--quiet]\n"
		"  checks CURRENT, the manifest, every segment, block and "
		"section; exit 1 on damage\n"
		"  --repair         point a damaged CURRENT, or one naming a "
		"damaged manifest, at the\n"
		"                   newest whole manifest, and remove\n"
		"                   files no manifest names (a dead writer's "
		"leftovers)\n"
		"  --discard-newer  with --repair: also remove manifests newer "
		"than the one CURRENT names\n");
}

static void print_report(const char *what, const gdb_gc_report *r)
{
	if (r->current_now)
		printf("%s: CURRENT or the manifest it named (generation "
		       "%llu) was damaged; CURRENT now names MANIFEST-%06llu, "
		       "the newest whole manifest\n",
		       what, (unsigned long long)r->current_was,
		       (unsigned long long)r->current_now);
	printf("%s: removed %u file%s (%llu bytes: %u segment%s, %u "
	       "manifest%s)\n",
	       what, r->removed, r->removed == 1 ? "" : "s",
	       (unsigned long long)r->removed_bytes, r->segments_removed,
	       r->segments_removed == 1 ? "" : "s", r->manifests_removed,
	       r->manifests_removed == 1 ? "" : "s");
	if (r->in_use)
		printf("%s: kept %u older manifest%s a reader has open\n", what,
		       r->in_use, r->in_use == 1 ? "" : "s");
	if (r->newer_removed)
		printf("%s: removed %u manifest%s newer than the live one, as "
		       "asked\n",
		       what, r->newer_removed,
		       r->newer_removed == 1 ? "" : "s");
}

/* Notes on CURRENT and newer manifests (not damage: exit status kept). */
static void verify_notes(const char *path)
{
	gdb_gc_report r;
	char err[512];

	if (gdb_store_inspect(path, &r, err, sizeof(err)) < 0) {
		tool_err("warning: %s (no notes on CURRENT or newer "
			 "manifests)",
			 err);
		return;
	}
	if (r.current_unchecked)
		printf("note: CURRENT has no checksum (written by an older "
		       "version); the next commit adds one\n");
	if (r.newer)
		printf("note: %u manifest%s newer than the live generation, "
		       "the newest MANIFEST-%06llu: kept (a commit that died "
		       "before CURRENT named it, or a CURRENT rolled back); "
		       "`genomedb verify --repair --discard-newer` removes "
		       "%s\n",
		       r.newer, r.newer == 1 ? "" : "s",
		       (unsigned long long)r.newest,
		       r.newer == 1 ? "it" : "them");
}

static int verify_blocks(const gdb_store *s, uint64_t *checked)
{
	char *scratch = malloc(GDB_DNA_BLOCK_BASES);
	int bad = 0;

	if (!scratch)
		return -ENOMEM;
	for (uint32_t id = 0; id < gdb_store_ncontigs(s); id++) {
		const gdb_contig *c = gdb_store_contig(s, id);
		const gdb_assembly *a = gdb_store_assembly(s, c->asm_index);
		const void *lay;
		size_t laylen;
		char seg[32];
		gdb_store_segment_name(a->segment_id, seg, sizeof(seg));
		for (uint32_t b = 0; b < c->nblocks; b++) {
			uint64_t off = 0;
			int rc = gdb_store_block_check(s, id, b, &off);
			int64_t from = (int64_t)b * c->block_bases + 1;
			int64_t to = from + c->block_bases - 1;
			if (rc >= 0)
				rc = gdb_store_block_decode(
				    s, id, b, scratch, GDB_DNA_BLOCK_BASES);
			(*checked)++;
			if (rc >= 0)
				continue;
			printf("damaged: %s/%s:%lld-%lld (%s offset %llu): "
			       "%s\n",
			       a->name, c->name, (long long)from,
			       (long long)(to > c->length ? c->length : to),
			       seg, (unsigned long long)off, gdb_strerror(rc));
			bad++;
		}
		if (gdb_store_contig_layout(s, id, &lay, &laylen) < 0) {
			printf("damaged: %s/%s: layout record (%s): export "
			       "fails\n",
			       a->name, c->name, seg);
			bad++;
		}
	}
	free(scratch);
	return bad;
}

/* The zero padding between an object's sections, which no CRC covers. */
static int verify_padding(const gdb_store *s, uint32_t oi)
{
	uint64_t off = 0;
	int rc = gdb_store_object_padding(s, oi, &off);

	if (rc == 0)
		return 0;
	if (rc == GDB_ECORRUPT)
		printf("damaged: object %s: %s: byte %llu, in the padding "
		       "between sections, is not zero\n",
		       gdb_store_object(s, oi)->name, gdb_store_path(s),
		       (unsigned long long)off);
	else
		printf("damaged: object %s: %s\n",
		       gdb_store_object(s, oi)->name, gdb_strerror(rc));
	return 1;
}

static int verify_sections(const gdb_store *s, uint64_t *checked)
{
	int bad = 0;

	for (uint32_t oi = 0; oi < gdb_store_nobjects(s); oi++) {
		const gdb_object *o = gdb_store_object(s, oi);
		for (uint32_t k = 0; k < o->nsections; k++) {
			const char *name = "?";
			const void *data;
			uint64_t len;
			int rc =
			    gdb_store_section_at(s, oi, k, &name, &data, &len);
			(*checked)++;
			if (rc < 0) {
				printf("damaged: object %s section %s: %s\n",
				       o->name, name, gdb_strerror(rc));
				bad++;
			}
		}
		bad += verify_padding(s, oi);
	}
	return bad;
}

static int verify_damaged(const gdb_store *s)
{
	for (uint32_t i = 0; i < gdb_store_ndamaged(s); i++) {
		const gdb_damage *d = gdb_store_damaged(s, i);
		printf("damaged: %s %s: %s (genomedb drop STORE %s%s, then "
		       "import it again)\n",
		       d->kind == GDB_OBJECT_SECTIONS ? "object" : "assembly",
		       d->name, d->message,
		       d->kind == GDB_OBJECT_SECTIONS ? "--object " : "",
		       d->name);
	}
	return (int)gdb_store_ndamaged(s);
}

static int repair(const char *path, unsigned flags, int quiet)
{
	gdb_gc_report r;
	char err[1024];

	if (gdb_store_repair(path, flags, &r, err, sizeof(err)) < 0) {
		tool_err("%s", err);
		return -1;
	}
	if (!quiet || r.current_now)
		print_report("repair", &r);
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	const char *path = NULL;
	int do_repair = 0, quiet = 0, bad;
	unsigned flags = 0;
	uint64_t checked = 0;
	gdb_store *s;
	char err[1024];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--repair"))
			do_repair = 1;
		else if (!strcmp(argv[i], "--discard-newer"))
			flags |= GDB_GC_DISCARD_NEWER;
		else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
			quiet = 1;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return verify_usage(stdout), EXIT_OK;
		else if (!path && argv[i][0] != '-')
			path = argv[i];
		else
			return verify_usage(stderr), EXIT_USAGE;
	}
	if (!path || (flags && !do_repair))
		return verify_usage(stderr), EXIT_USAGE;
	if (do_repair && repair(path, flags, quiet) < 0)
		return EXIT_FAIL;
	if (gdb_store_open(path, 0, &s, err, sizeof(err)) < 0) {
		tool_err("%s", err);
		return EXIT_FAIL;
	}
	bad = verify_damaged(s);
	bad += verify_blocks(s, &checked);
	bad += verify_sections(s, &checked);
	verify_notes(path);
	if (!quiet || bad)
		printf("%s: generation %llu, %u assemblies, %u contigs, %llu "
		       "blocks and sections checked, %d damaged\n",
		       path, (unsigned long long)gdb_store_generation(s),
		       gdb_store_nassemblies(s), gdb_store_ncontigs(s),
		       (unsigned long long)checked, bad);
	gdb_store_close(s);
	return bad ? EXIT_FAIL : EXIT_OK;
}

static void drop_usage(FILE *f)
{
	fprintf(f,
		"usage: genomedb drop STORE NAME [--object]\n"
		"  commit a new generation without the assembly NAME (with "
		"--object: the network or\n"
		"  motif set NAME, e.g. motifs/jaspar); a damaged one can be "
		"dropped too. Readers\n"
		"  keep the generation they have; `genomedb gc` frees the "
		"space once none needs it.\n");
}

int cmd_drop(int argc, char **argv)
{
	const char *path = NULL, *name = NULL;
	uint32_t kind = GDB_KIND_ASSEMBLY;
	uint64_t gen = 0;
	gdb_txn *t;
	char err[1024];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--object"))
			kind = GDB_OBJECT_SECTIONS;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return drop_usage(stdout), EXIT_OK;
		else if (argv[i][0] == '-')
			return drop_usage(stderr), EXIT_USAGE;
		else if (!path)
			path = argv[i];
		else if (!name)
			name = argv[i];
		else
			return drop_usage(stderr), EXIT_USAGE;
	}
	if (!name)
		return drop_usage(stderr), EXIT_USAGE;
	if (gdb_txn_begin(path, &t, err, sizeof(err)) < 0) {
		tool_err("%s", err);
		return EXIT_FAIL;
	}
	if (gdb_txn_drop(t, kind, name, err, sizeof(err)) < 0) {
		gdb_txn_abort(t);
		tool_err("%s", err);
		return EXIT_FAIL;
	}
	if (gdb_txn_commit(t, &gen, err, sizeof(err)) < 0) { /* frees t */
		tool_err("%s", err);
		return EXIT_FAIL;
	}
	printf("dropped %s '%s' (generation %llu)\n",
	       kind == GDB_KIND_ASSEMBLY ? "assembly" : "object", name,
	       (unsigned long long)gen);
	return EXIT_OK;
}

static void gc_usage(FILE *f)
{
	fprintf(f, "usage: genomedb gc STORE [--discard-newer] [--quiet]\n"
		   "  remove every older manifest no reader has open and every "
		   "segment no remaining\n"
		   "  manifest names (what drop and import --replace left); "
		   "readers register at open,\n"
		   "  so a generation a mount or export still uses is kept\n");
}

int cmd_gc(int argc, char **argv)
{
	const char *path = NULL;
	unsigned flags = 0;
	int quiet = 0;
	gdb_gc_report r;
	char err[1024];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--discard-newer"))
			flags |= GDB_GC_DISCARD_NEWER;
		else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
			quiet = 1;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return gc_usage(stdout), EXIT_OK;
		else if (!path && argv[i][0] != '-')
			path = argv[i];
		else
			return gc_usage(stderr), EXIT_USAGE;
	}
	if (!path)
		return gc_usage(stderr), EXIT_USAGE;
	if (gdb_store_gc(path, flags, &r, err, sizeof(err)) < 0) {
		tool_err("%s", err);
		return EXIT_FAIL;
	}
	if (!quiet)
		print_report("gc", &r);
	if (r.newer && !quiet)
		printf("gc: kept %u manifest%s newer than the live one "
		       "(--discard-newer removes them)\n",
		       r.newer, r.newer == 1 ? "" : "s");
	return EXIT_OK;
}
