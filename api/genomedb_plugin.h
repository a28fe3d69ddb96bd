/*
 * api/genomedb_plugin.h - the plugin ABI: a shared object that adds an
 * analysis under /compute/<name>/ of a mount, loaded with
 * `genomedb mount STORE MNT --plugin lib.so` (repeatable). Installed as
 * <genomedb/api/genomedb_plugin.h>; it includes nothing of GenomeDB, and a
 * plugin links against nothing of it: everything it may call arrives as
 * function pointers in the call. Guide and example: docs/PLUGINS.md,
 * examples/plugin/.
 *
 * The contract. The plugin exports one symbol, GENOMEDB_PLUGIN_ENTRY
 * (genomedb_plugin_init), of type genomedb_plugin_init_fn. At mount the
 * daemon calls it with its GENOMEDB_PLUGIN_ABI; the plugin returns its
 * descriptor (static storage, alive until the process ends), or NULL with
 * a reason in err if it cannot serve that ABI. The daemon refuses to
 * mount, naming the file, when the symbol is missing, the init fails, the
 * descriptor's abi differs from the daemon's, the name is not a plain name
 * or is taken (a built-in analysis, "queries", another plugin).
 *
 * The paths. A plugin named "cpg" with ext ".tsv" serves
 *
 *   /compute/cpg/<asm>/<contig>/<start>-<end>[@<params>].tsv
 *
 * with 1-based inclusive coordinates (the end clamped to the contig), as
 * every computed file. The daemon lists and resolves /compute/cpg, its
 * assemblies and contigs, parses the region and refuses regions longer
 * than max_bases (E2BIG); then parse() checks the parameter text and
 * render() writes the answer. The answer is computed whole at lookup, so
 * the size stat gives is exact (as every /compute file's), held in the
 * daemon's answer cache and rendered again, to the same bytes, if the
 * cache drops it. Answers are capped at 64 MiB (EFBIG).
 *
 * Read-only. The call offers reads of the bases of its contig and an
 * output sink; nothing in this ABI writes the store (which the daemon maps
 * read-only).
 *
 * Errors. parse and render return 0, or a negative errno with a one-line
 * reason in err (NUL-terminated, at most errlen bytes): the daemon logs
 * "/compute/<path>: <reason>" and the reader gets that errno (a bad
 * parameter: -EINVAL; an answer too large: -EFBIG; a failed fetch: pass
 * on its code). A plugin never prints.
 *
 * Threading: parse, render and free_params run concurrently on the
 * daemon's worker threads, for different files or the same one: keep no
 * mutable global state.
 *
 * Versioning: GENOMEDB_PLUGIN_ABI changes whenever a struct here changes
 * layout or meaning; a plugin is rebuilt against the new header.
 */
#ifndef GENOMEDB_PLUGIN_H
#define GENOMEDB_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#define GENOMEDB_PLUGIN_ABI 1u
#define GENOMEDB_PLUGIN_ENTRY "genomedb_plugin_init"
#define GENOMEDB_PLUGIN_NAME_MAX 63 /* bytes of a name: [a-z0-9_-] */

/* Forms of call->fetch. */
enum genomedb_plugin_form {
	GENOMEDB_PLUGIN_BASES = 0, /* bytes as stored: case and IUPAC kept */
	GENOMEDB_PLUGIN_U8 = 1,	   /* one code a base: A0 C1 G2 T3 N4 ...
				    * (the .u8 files; protein: A0 C1 D2 ...
				    * in PATHS.md's table) */
};

/* One answer to render: what the file name asked and what the plugin may
 * call. Valid only during the render call. */
typedef struct genomedb_plugin_call {
	const char *path;      /* below /compute, for messages */
	const char *assembly;  /* the assembly's name */
	const char *contig;    /* the contig's name (unescaped) */
	int64_t contig_length; /* bases */
	int64_t beg, end;      /* the region, 0-based half-open */
	int protein;	       /* 1: a protein assembly */
	const void *params;    /* what parse gave, or NULL */
	void *host;	       /* the daemon's; pass it to the calls below */
	/*
	 * fetch - bases [beg, end) of this contig (0-based half-open, any
	 * range inside the contig, not only the region) into dst, which
	 * holds end - beg bytes (no NUL added).
	 * @return 0; -ERANGE (outside the contig), -EIO or another negative
	 *         code for a damaged block (the daemon has logged where)
	 */
	int (*fetch)(void *host, int64_t beg, int64_t end, int form, void *dst);
	/* write - append n bytes to the answer. @return 0 or -EFBIG. */
	int (*write)(void *host, const void *p, size_t n);
	/* printf - append formatted text. @return 0 or -EFBIG. */
	int (*printf)(void *host, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
} genomedb_plugin_call;

typedef struct genomedb_plugin {
	uint32_t abi;	     /* GENOMEDB_PLUGIN_ABI */
	const char *name;    /* the directory under /compute */
	const char *ext;     /* the files' extension, ".tsv"; 1-15 bytes */
	const char *summary; /* one line, for docs and the daemon's log */
	int64_t max_bases;   /* the longest region served; 0: 16 Mi bases */
	/*
	 * parse (may be NULL: no parameters taken) - the text after '@' in
	 * the file name ("w=100,step=50", %XX escapes left in), or NULL when
	 * there is none, into a value handed to render as call->params.
	 * @return 0; -EINVAL with the reason (the name then does not exist:
	 *         the lookup fails with EINVAL and the reason is logged)
	 */
	int (*parse)(const char *text, void **params, char *err, size_t errlen);
	void (*free_params)(void *params); /* may be NULL */
	/* render - write the whole answer through call->write/printf.
	 * @return 0 or a negative errno (see Errors above) */
	int (*render)(const genomedb_plugin_call *call, char *err,
		      size_t errlen);
} genomedb_plugin;

/*
 * The exported entry point, called once at mount.
 * @param host_abi  the daemon's GENOMEDB_PLUGIN_ABI
 * @return the descriptor; NULL with the reason in err to refuse
 */
typedef const genomedb_plugin *(*genomedb_plugin_init_fn)(uint32_t host_abi,
							  char *err,
							  size_t errlen);

#endif
