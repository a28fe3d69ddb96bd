/*
 * fs/ns/plugin.c - analyses from shared objects under /compute/<name>/
 * (api/genomedb_plugin.h, docs/PLUGINS.md): loading and checking them at
 * mount, and the host side of a call: the region, a fetch over the block
 * cache, an output sink capped as every computed answer.
 *
 * The loaded plugins are one table for the process (dlopen's handles are
 * process-wide too): filled by gdb_plugins_load() before the daemon
 * serves, read without locks while it serves, emptied by
 * gdb_plugins_unload() after.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/genomedb_plugin.h"
#include "fs/ns/ns.h"

#define DEFAULT_MAX_BASES ((int64_t)16 << 20)

struct loaded {
	void *handle;
	const genomedb_plugin *p;
};

static struct loaded plugins[GDB_PLUGINS_MAX];
static size_t nplugins;

static int plain_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > GENOMEDB_PLUGIN_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

static int plain_ext(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 2 && n <= 15 && s[0] == '.' && !strpbrk(s, "/@");
}

/* Is the descriptor usable and its name free? */
static int check(const char *path, const genomedb_plugin *p, char *err,
		 size_t errlen)
{
	if (p->abi != GENOMEDB_PLUGIN_ABI) {
		gdb_seterr(err, errlen,
			   "plugin %s: built for ABI %u, this genomedb "
			   "serves ABI %u (rebuild it against "
			   "genomedb_plugin.h)",
			   path, p->abi, GENOMEDB_PLUGIN_ABI);
		return -EINVAL;
	}
	if (!p->name || !plain_name(p->name) || !plain_ext(p->ext) ||
	    !p->render || p->max_bases < 0) {
		gdb_seterr(err, errlen,
			   "plugin %s: descriptor needs a name of 1-%d bytes "
			   "of [a-z0-9_-], an extension such as \".tsv\" and "
			   "a render function",
			   path, GENOMEDB_PLUGIN_NAME_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; gdb_compute_names[i]; i++)
		if (!strcmp(gdb_compute_names[i], p->name)) {
			gdb_seterr(err, errlen,
				   "plugin %s: name '%s' is taken by the "
				   "built-in /compute/%s",
				   path, p->name, p->name);
			return -EEXIST;
		}
	if (gdb_plugin_find(p->name)) {
		gdb_seterr(err, errlen,
			   "plugin %s: name '%s' is taken by another plugin",
			   path, p->name);
		return -EEXIST;
	}
	return 0;
}

static int load_one(const char *path, char *err, size_t errlen)
{
	char why[256] = "";
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	genomedb_plugin_init_fn init;
	const genomedb_plugin *p;
	int rc;

	if (!h) {
		gdb_seterr(err, errlen, "plugin %s: %s", path, dlerror());
		return -ENOENT;
	}
	*(void **)&init = dlsym(h, GENOMEDB_PLUGIN_ENTRY);
	if (!init) {
		gdb_seterr(err, errlen,
			   "plugin %s: no symbol %s (see genomedb_plugin.h)",
			   path, GENOMEDB_PLUGIN_ENTRY);
		dlclose(h);
		return -EINVAL;
	}
	p = init(GENOMEDB_PLUGIN_ABI, why, sizeof(why));
	if (!p) {
		why[sizeof(why) - 1] = 0;
		gdb_seterr(err, errlen, "plugin %s: refused to load: %s", path,
			   why[0] ? why : "no reason given");
		dlclose(h);
		return -EINVAL;
	}
	rc = check(path, p, err, errlen);
	if (rc < 0) {
		dlclose(h);
		return rc;
	}
	plugins[nplugins].handle = h;
	plugins[nplugins++].p = p;
	gdb_log(GDB_LOG_INFO, "plugin %s: /compute/%s/ (%s)", path, p->name,
		p->summary ? p->summary : "");
	return 0;
}

int gdb_plugins_load(const char *const *paths, size_t n, char *err,
		     size_t errlen)
{
	gdb_plugins_unload();
	if (n > GDB_PLUGINS_MAX) {
		gdb_seterr(err, errlen, "at most %d plugins", GDB_PLUGINS_MAX);
		return -E2BIG;
	}
	for (size_t i = 0; i < n; i++) {
		int rc = load_one(paths[i], err, errlen);
		if (rc < 0) {
			gdb_plugins_unload();
			return rc;
		}
	}
	return 0;
}

void gdb_plugins_unload(void)
{
	while (nplugins > 0)
		dlclose(plugins[--nplugins].handle);
}

const genomedb_plugin *gdb_plugin_find(const char *name)
{
	for (size_t i = 0; i < nplugins; i++)
		if (!strcmp(plugins[i].p->name, name))
			return plugins[i].p;
	return NULL;
}

const char *gdb_plugin_name(size_t i)
{
	return i < nplugins ? plugins[i].p->name : NULL;
}

/* ---- one call ---- */

struct host {
	gdb_cache *c;
	const gdb_contig *contig;
	gdb_buf out;
};

static int host_fetch(void *hp, int64_t beg, int64_t end, int form, void *dst)
{
	struct host *h = hp;
	int rc;

	if (beg < 0 || end < beg || end > h->contig->length ||
	    (form != GENOMEDB_PLUGIN_BASES && form != GENOMEDB_PLUGIN_U8))
		return -ERANGE;
	rc = gdb_cache_read(h->c, h->contig->id, beg, end, dst);
	if (rc == 0 && form == GENOMEDB_PLUGIN_U8)
		gdb_alphabet_to_u8(gdb_store_assembly(gdb_cache_store(h->c),
						      h->contig->asm_index)
				       ->alphabet,
				   dst, (size_t)(end - beg), dst);
	return rc;
}

static int host_write(void *hp, const void *p, size_t n)
{
	struct host *h = hp;

	gdb_buf_add(&h->out, p, n);
	return h->out.err ? -EFBIG : 0;
}

static int host_printf(void *hp, const char *fmt, ...)
{
	struct host *h = hp;
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small)) {
		gdb_buf_add(&h->out, small, (size_t)n);
	} else {
		char *room = gdb_buf_room(&h->out, (size_t)n + 1);
		if (room) {
			va_start(ap, fmt);
			vsnprintf(room, (size_t)n + 1, fmt, ap);
			va_end(ap);
			h->out.len--; /* the NUL */
		}
	}
	return h->out.err ? -EFBIG : 0;
}

/* The region and parameters of a file name; E2BIG past max_bases. */
static int call_region(const genomedb_plugin *p, const gdb_contig *c,
		       char *name, int64_t *beg, int64_t *end, char **ps,
		       char *err, size_t errlen)
{
	int64_t max = p->max_bases ? p->max_bases : DEFAULT_MAX_BASES;
	char *range;

	if (gdb_path_split(name, p->ext, &range, ps) < 0 ||
	    gdb_path_range(range, strlen(range), c->length, beg, end) < 0)
		return -ENOENT;
	if (*end - *beg > max) {
		gdb_seterr(err, errlen,
			   "region of %lld bases is longer than the %lld "
			   "plugin '%s' serves",
			   (long long)(*end - *beg), (long long)max, p->name);
		return -E2BIG;
	}
	if (*ps && !p->parse) {
		gdb_seterr(err, errlen, "plugin '%s' takes no parameters",
			   p->name);
		return -EINVAL;
	}
	return 0;
}

int gdb_plugin_resolve(const genomedb_plugin *p, gdb_cache *c,
		       const gdb_contig *contig, const char *path, char *name,
		       char **data, size_t *len, char *err, size_t errlen)
{
	const gdb_store *s = gdb_cache_store(c);
	const gdb_assembly *a = gdb_store_assembly(s, contig->asm_index);
	struct host h = {c, contig, {.max = GDB_NS_MAX_FILE}};
	genomedb_plugin_call call;
	void *params = NULL;
	char *ps;
	int rc;

	memset(&call, 0, sizeof(call));
	GDB_TRY(call_region(p, contig, name, &call.beg, &call.end, &ps, err,
			    errlen));
	if (p->parse) {
		rc = p->parse(ps, &params, err, errlen);
		err[errlen - 1] = 0;
		if (rc != 0)
			return rc < 0 ? rc : -EINVAL;
	}
	call.path = path;
	call.assembly = a->name;
	call.contig = contig->name;
	call.contig_length = contig->length;
	call.protein = a->alphabet == GDB_ALPHA_PROTEIN;
	call.params = params;
	call.host = &h;
	call.fetch = host_fetch;
	call.write = host_write;
	call.printf = host_printf;
	rc = p->render(&call, err, errlen);
	err[errlen - 1] = 0; /* whatever the plugin left there */
	if (rc > 0) {
		gdb_seterr(err, errlen, "plugin '%s': render returned %d",
			   p->name, rc);
		rc = -EIO;
	}
	if (p->free_params)
		p->free_params(params);
	return gdb_ns_answer(&h.out, rc, data, len, err, errlen);
}
