/*
 * fs/daemon/control.c - the control surface: the cache and counters a
 * mount can be steered and read through, the same three ways (docs/PATHS.md
 * "Controlling a mount"): lines written to /.gdb/config, user.gdb.* xattrs
 * on the root, and the ioctls of genomedb_ioctl.h; plus the live files
 * /.gdb/stats.json and /.gdb/config themselves; and the read-only xattrs
 * of contigs and of the computed namespaces that give some (/reads). No
 * libfuse: ops.c and ops_write.c bring the requests here.
 */
#include "fs/daemon/daemon_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bigbuf.h"
#include "seq/seq.h"
#include "simd/simd.h"
#include "variants/variants.h"

int daemon_errno(int rc)
{
	if (rc >= 0)
		return 0;
	if (rc <= GDB_EBASE)
		return EIO;
	return -rc;
}

static char *render_config(gdb_daemon *d, size_t *len)
{
	gdb_cache_stats cs;
	char *p = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&p, &sz);
	struct gen *g;

	if (!f)
		return NULL;
	g = gen_current(d);
	gdb_cache_stats_get(g->cache, &cs);
	gen_put(d, g, 1);
	fprintf(f, "policy=%s\nbudget=%llu\nprefetch=%s\n", cs.policy,
		(unsigned long long)cs.budget_bytes,
		cs.prefetch_enabled ? "on" : "off");
	if (fclose(f) != 0) {
		free(p);
		return NULL;
	}
	*len = sz;
	return p;
}

/* "ASM/CONTIG[:FROM-TO]" -> contig and 0-based half-open range. */
static int parse_target(struct gen *g, const char *text, uint32_t *contig,
			int64_t *beg, int64_t *end, char *msg, size_t msglen)
{
	char asmname[GDB_NAME_MAX + 1];
	const char *slash = strchr(text, '/');
	int ai;

	if (!slash || (size_t)(slash - text) > GDB_NAME_MAX) {
		gdb_seterr(msg, msglen,
			   "%s: expected ASSEMBLY/CONTIG[:FROM-TO]", text);
		return -EINVAL;
	}
	memcpy(asmname, text, (size_t)(slash - text));
	asmname[slash - text] = 0;
	ai = gdb_store_assembly_find(g->store, asmname);
	if (ai < 0) {
		gdb_seterr(msg, msglen, "%s: no assembly '%s'", text, asmname);
		return -ENOENT;
	}
	if (gdb_path_region(g->store, (uint32_t)ai, slash + 1, contig, beg, end,
			    msg, msglen) < 0)
		return -EINVAL;
	return 0;
}

/* Zero every counter the daemon keeps (not the gauges) and the cache's. */
static void reset_stats(gdb_daemon *d, struct gen *g)
{
	uint64_t *const counters[] = {
	    &d->reads,	      &d->bytes_served, &d->lookups,
	    &d->errors,	      &d->ioctls,	&d->computed,
	    &d->reused,	      &d->recomputed,	&d->bytes_borrowed,
	    &d->reader_moves, &d->ring_requests};

	gdb_cache_stats_reset(g->cache);
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		__atomic_store_n(counters[i], 0, __ATOMIC_RELAXED);
	for (size_t i = 0; i < GDB_READERS_MAX; i++)
		__atomic_store_n(&d->reader_requests[i], 0, __ATOMIC_RELAXED);
}

static int set_budget(struct gen *g, const char *val, char *msg, size_t msglen)
{
	uint64_t bytes;
	int rc = gdb_cache_parse_size(val, &bytes);

	if (rc == 0 && bytes > GDB_CACHE_MAX_BUDGET)
		rc = -ERANGE;
	if (rc == 0)
		rc = gdb_cache_set_budget(g->cache, bytes);
	if (rc == -ERANGE)
		gdb_seterr(msg, msglen,
			   "budget: '%s' is more than the %llu TiB "
			   "a cache takes",
			   val,
			   (unsigned long long)(GDB_CACHE_MAX_BUDGET >> 40));
	else if (rc < 0)
		gdb_seterr(msg, msglen,
			   "budget: '%s' is not a size (such as "
			   "512M or 4G) above the pinned bytes",
			   val);
	return rc < 0 ? -EINVAL : 0;
}

static int region_control(struct gen *g, const char *key, const char *val,
			  char *msg, size_t msglen)
{
	uint32_t contig;
	int64_t beg, end;
	int rc = parse_target(g, val, &contig, &beg, &end, msg, msglen);

	if (rc == 0 && !strcmp(key, "pin"))
		rc = gdb_cache_pin(g->cache, contig, beg, end);
	else if (rc == 0 && !strcmp(key, "unpin"))
		rc = gdb_cache_unpin(g->cache, contig, beg, end);
	else if (rc == 0)
		rc = gdb_cache_prefetch(g->cache, contig, beg, end);
	if (rc == -ENOSPC)
		gdb_seterr(msg, msglen,
			   "%s: pins would pass 90%% of the cache "
			   "budget",
			   val);
	else if (rc < 0 && !strcmp(msg, "ok") && !strcmp(key, "pin"))
		gdb_seterr(msg, msglen,
			   "%s: %s; nothing pinned (the log says why)", val,
			   gdb_strerror(rc));
	else if (rc < 0 && !strcmp(msg, "ok"))
		gdb_seterr(msg, msglen, "%s: %s", val, gdb_strerror(rc));
	return rc;
}

/* One control, key and value split, to the current generation's cache.
 * Under d->ctl_lock. */
static int apply(gdb_daemon *d, struct gen *g, const char *key, const char *val,
		 const char *line, char *msg, size_t msglen)
{
	int rc = 0;

	if (!strcmp(key, "policy")) {
		rc = gdb_cache_set_policy(g->cache, val);
		if (rc == -EINVAL)
			gdb_seterr(msg, msglen,
				   "unknown policy '%s' (lru, arc, "
				   "s3fifo, lfu, 2q)",
				   val);
	} else if (!strcmp(key, "budget")) {
		rc = set_budget(g, val, msg, msglen);
		/* what is kept outside the budget goes with what is cut */
		if (rc == 0)
			gdb_variants_spares_drain();
	} else if (!strcmp(key, "prefetch") &&
		   (!strcmp(val, "on") || !strcmp(val, "off"))) {
		gdb_cache_set_prefetch(g->cache, !strcmp(val, "on"));
	} else if (!strcmp(key, "reset-stats") && !*val) {
		reset_stats(d, g);
	} else if (!strcmp(key, "unpin-all") && !*val) {
		gdb_cache_unpin_all(g->cache);
	} else if (!strcmp(key, "pin") || !strcmp(key, "unpin") ||
		   !strcmp(key, "prefetch-region")) {
		rc = region_control(g, key, val, msg, msglen);
	} else {
		gdb_seterr(msg, msglen, "unknown control '%s'", line);
		rc = -EINVAL;
	}
	return rc;
}

/*
 * Apply one control line ("key=value" or a bare command). The same lines
 * arrive from /.gdb/config writes, user.gdb.* setxattr and the ioctl, and
 * one rule says who may send them: the mount's owner or root.
 */
static int control(gdb_daemon *d, uint32_t uid, const char *line, char *msg,
		   size_t msglen, int wait)
{
	struct gen *g;
	char key[32];
	const char *val = strchr(line, '=');
	size_t kl = val ? (size_t)(val - line) : strlen(line);
	int rc;

	if (uid != 0 && uid != (uint32_t)d->uid) {
		gdb_seterr(msg, msglen,
			   "only the mount's owner (uid %u) or "
			   "root may change it",
			   (unsigned)d->uid);
		gdb_log(GDB_LOG_WARN, "control '%s' from uid %u refused: %s",
			line, (unsigned)uid, msg);
		return -EACCES;
	}
	while (kl && (line[kl - 1] == ' ' || line[kl - 1] == '\t'))
		kl--;
	if (kl >= sizeof(key)) {
		gdb_seterr(msg, msglen, "unknown control '%s'", line);
		return -EINVAL;
	}
	memcpy(key, line, kl);
	key[kl] = 0;
	val = val ? val + 1 : "";
	while (*val == ' ' || *val == '\t')
		val++;
	gdb_seterr(msg, msglen, "ok");
	if (!strcmp(key, "refresh") && !*val) {
		/* not under ctl_lock: a refresh takes a while */
		rc = live_refresh(d, wait, msg, msglen);
	} else {
		pthread_mutex_lock(&d->ctl_lock);
		g = gen_current(d);
		rc = apply(d, g, key, val, line, msg, msglen);
		gen_put(d, g, 1);
		pthread_mutex_unlock(&d->ctl_lock);
	}
	if (rc < 0)
		gdb_log(GDB_LOG_WARN, "control '%s': %s", line, msg);
	return rc < 0 ? (rc <= GDB_EBASE ? -EIO : rc) : 0;
}

int daemon_control(gdb_daemon *d, uint32_t uid, const char *line, char *msg,
		   size_t msglen)
{
	return control(d, uid, line, msg, msglen, 0);
}

int daemon_control_wait(gdb_daemon *d, uint32_t uid, const char *line,
			char *msg, size_t msglen)
{
	return control(d, uid, line, msg, msglen, 1);
}

/* Root xattrs: name -> value (a stable, documented set). */
int daemon_root_xattr(gdb_daemon *d, const char *name, char *out, size_t outlen)
{
	gdb_cache_stats cs;
	const gdb_cache_counters *t = &cs.total;
	uint64_t acc;

	struct gen *g = gen_current(d);
	uint64_t generation = gdb_store_generation(g->store);

	gdb_cache_stats_get(g->cache, &cs);
	gen_put(d, g, 1);
	acc = t->hits + t->misses;
#define XU(nm, v)                                                              \
	if (!strcmp(name, nm))                                                 \
		return snprintf(out, outlen, "%llu", (unsigned long long)(v));
	if (!strcmp(name, "user.gdb.cache.policy"))
		return snprintf(out, outlen, "%s", cs.policy);
	if (!strcmp(name, "user.gdb.cache.hit_ratio"))
		return snprintf(out, outlen, "%.4f",
				acc ? (double)t->hits / (double)acc : 0.0);
	if (!strcmp(name, "user.gdb.prefetch.enabled"))
		return snprintf(out, outlen, "%s",
				cs.prefetch_enabled ? "on" : "off");
	XU("user.gdb.cache.budget", cs.budget_bytes)
	XU("user.gdb.cache.used", cs.resident_bytes)
	XU("user.gdb.cache.pinned", cs.pinned_bytes)
	XU("user.gdb.cache.hits", t->hits)
	XU("user.gdb.cache.misses", t->misses)
	XU("user.gdb.cache.evictions", t->evictions)
	XU("user.gdb.prefetch.issued", t->prefetch_issued)
	XU("user.gdb.prefetch.used", t->prefetch_used)
	XU("user.gdb.prefetch.wasted", t->prefetch_wasted)
	XU("user.gdb.generation", generation)
#undef XU
	return -ENODATA;
}

/* The root's xattrs (docs/PATHS.md), NUL-separated for listxattr. */
const char DAEMON_ROOT_XATTRS[] =
    "user.gdb.cache.policy\0user.gdb.cache.budget\0user.gdb.cache.used\0"
    "user.gdb.cache.pinned\0user.gdb.cache.hits\0user.gdb.cache.misses\0"
    "user.gdb.cache.hit_ratio\0user.gdb.cache.evictions\0"
    "user.gdb.prefetch.enabled\0user.gdb.prefetch.issued\0"
    "user.gdb.prefetch.used\0user.gdb.prefetch.wasted\0"
    "user.gdb.generation\0";
const size_t DAEMON_ROOT_XATTRS_LEN = sizeof(DAEMON_ROOT_XATTRS) - 1;

int daemon_contig_xattr(gdb_daemon *d, const struct node *n, const char *name,
			char *out, size_t outlen)
{
	const gdb_contig *c;
	char tmp[40];

	if (!n->contig_xattrs || n->contig < 0)
		return -ENODATA;
	(void)d;
	c = gdb_store_contig(n->gen->store, (uint32_t)n->contig);
	if (!strcmp(name, "user.gdb.length")) {
		snprintf(tmp, sizeof(tmp), "%lld", (long long)c->length);
	} else if (!strcmp(name, "user.gdb.lossless")) {
		/* 1: the bases are the imported ones exactly (no --lossy) */
		snprintf(
		    tmp, sizeof(tmp), "%d",
		    !gdb_store_assembly(n->gen->store, c->asm_index)->lossy);
	} else if (!strcmp(name, "user.gdb.md5") ||
		   !strcmp(name, "user.gdb.refget")) {
		uint8_t md5[16], sha[24];
		int rc = gdb_seq_digests(n->gen->store, c->id, md5, sha);
		if (rc < 0)
			return rc == -ENOMEM ? -ENOMEM : -EIO;
		if (name[9] == 'm')
			gdb_render_md5_hex(md5, tmp);
		else
			gdb_render_refget(sha, tmp);
	} else {
		return -ENODATA;
	}
	snprintf(out, outlen, "%s", tmp);
	return (int)strlen(tmp);
}

/* The provider of a namespace node that has xattrs, or NULL. */
static const struct nsprov *ns_xattr_prov(const struct node *n)
{
	const struct nsprov *pv;

	if ((n->kind != N_NSDIR && n->kind != N_ANSWER &&
	     n->kind != N_RANGED) ||
	    !n->gen || !n->path || n->prov >= n->gen->nprov)
		return NULL;
	pv = &n->gen->provs[n->prov];
	return pv->p->xattr ? pv : NULL;
}

int daemon_ns_has_xattrs(const struct node *n)
{
	return ns_xattr_prov(n) != NULL;
}

int daemon_ns_xattr(const struct node *n, const char *name, char *out,
		    size_t outlen)
{
	const struct nsprov *pv = ns_xattr_prov(n);
	const char *nm;
	int len;

	for (unsigned i = 0; pv && (len = pv->p->xattr(pv->ctx, n->path, i, &nm,
						       out, outlen)) >= 0;
	     i++)
		if (!strcmp(nm, name))
			return (size_t)len < outlen ? len : -ERANGE;
	return -ENODATA;
}

size_t daemon_ns_xattr_list(const struct node *n, char *list, size_t cap)
{
	const struct nsprov *pv = ns_xattr_prov(n);
	const char *nm;
	char val[256];
	size_t len = 0;

	for (unsigned i = 0; pv && pv->p->xattr(pv->ctx, n->path, i, &nm, val,
						sizeof(val)) >= 0;
	     i++) {
		size_t k = strlen(nm) + 1;
		if (len + k > cap)
			break;
		memcpy(list + len, nm, k);
		len += k;
	}
	return len;
}

static void counters_json(FILE *f, const gdb_cache_counters *k)
{
	uint64_t acc = k->hits + k->misses;

	fprintf(f,
		"{\"hits\": %llu, \"misses\": %llu, \"hit_ratio\": %.4f, "
		"\"evictions\": %llu, \"bytes_decoded\": %llu, "
		"\"prefetch_issued\": %llu, \"prefetch_used\": %llu, "
		"\"prefetch_wasted\": %llu}",
		(unsigned long long)k->hits, (unsigned long long)k->misses,
		acc ? (double)k->hits / (double)acc : 0.0,
		(unsigned long long)k->evictions,
		(unsigned long long)k->bytes_decoded,
		(unsigned long long)k->prefetch_issued,
		(unsigned long long)k->prefetch_used,
		(unsigned long long)k->prefetch_wasted);
}

/* What the daemon holds outside the cache budget and its inode table
 * (docs/CACHE.md "Budget"): the workers' reply buffers, the pool of
 * large answer buffers and the text buffers /variants keeps. */
static void memory_json(FILE *f, gdb_daemon *d)
{
	unsigned pooled, spares;
	size_t pool_bytes, spare_bytes;

	gdb_bigbuf_pooled(&pooled, &pool_bytes);
	gdb_variants_spares(&spares, &spare_bytes);
	fprintf(f,
		"  \"memory\": {\"reply_buffers\": %llu, "
		"\"reply_buffer_bytes\": %llu, \"answer_buffer_pool\": %u, "
		"\"answer_buffer_pool_bytes\": %llu, "
		"\"variant_text_spares\": %u, "
		"\"variant_text_spare_bytes\": %llu},\n",
		(unsigned long long)__atomic_load_n(&d->reply_bufs,
						    __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&d->reply_bytes,
						    __ATOMIC_RELAXED),
		pooled, (unsigned long long)pool_bytes, spares,
		(unsigned long long)spare_bytes);
}

/* "reader_requests": the requests each of loop.c's reading threads took
 * from /dev/fuse, in the order they started ([] with libfuse's loop). */
static void readers_json(FILE *f, gdb_daemon *d)
{
	unsigned n = __atomic_load_n(&d->nreaders, __ATOMIC_RELAXED);

	fputs("  \"reader_requests\": [", f);
	for (unsigned i = 0; i < n && i < GDB_READERS_MAX; i++)
		fprintf(f, "%s%llu", i ? ", " : "",
			(unsigned long long)__atomic_load_n(
			    &d->reader_requests[i], __ATOMIC_RELAXED));
	fputs("],\n", f);
}

/* The stats.json document (names documented in docs/PATHS.md). */
static char *render_stats(gdb_daemon *d, size_t *len)
{
	gdb_cache_stats cs;
	const gdb_cache_counters *t = &cs.total;
	char *p = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&p, &sz);
	uint64_t acc;

	struct gen *g;
	uint64_t ngens;

	if (!f)
		return NULL;
	g = gen_current(d);
	pthread_mutex_lock(&d->gen_lock);
	ngens = d->ngens;
	pthread_mutex_unlock(&d->gen_lock);
	gdb_cache_stats_get(g->cache, &cs);
	acc = t->hits + t->misses;
	fprintf(
	    f,
	    "{\n  \"generation\": %llu,\n  \"generations_live\": %llu,\n"
	    "  \"store\": \"%s\",\n"
	    "  \"assemblies\": %u,\n  \"contigs\": %u,\n"
	    "  \"contigs_built\": %llu,\n"
	    "  \"reads\": %llu,\n  \"bytes_served\": %llu,\n"
	    "  \"bytes_borrowed\": %llu,\n"
	    "  \"lookups\": %llu,\n  \"read_errors\": %llu,\n"
	    "  \"live_region_nodes\": %llu,\n  \"ioctls\": %llu,\n"
	    "  \"computed_files\": %llu,\n  \"reused_answers\": %llu,\n"
	    "  \"recomputed_answers\": %llu,\n  \"reader_moves\": %llu,\n"
	    "  \"ring_requests\": %llu,\n"
	    "  \"simd\": \"%s\",\n",
	    (unsigned long long)gdb_store_generation(g->store),
	    (unsigned long long)ngens, gdb_store_path(g->store),
	    gdb_store_nassemblies(g->store), gdb_store_ncontigs(g->store),
	    (unsigned long long)__atomic_load_n(&g->contigs_built,
						__ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&d->reads, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&d->bytes_served,
						__ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&d->bytes_borrowed,
						__ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&d->lookups, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&d->errors, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&d->live_nodes,
						__ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&d->ioctls, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&d->computed, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&d->reused, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&d->recomputed,
						__ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&d->reader_moves,
						__ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&d->ring_requests,
						__ATOMIC_RELAXED),
	    gdb_simd_level_name(gdb_simd_active()));
	gen_put(d, g, 1);
	readers_json(f, d);
	memory_json(f, d);
	fprintf(f,
		"  \"cache\": {\"policy\": \"%s\", \"budget_bytes\": %llu, "
		"\"resident_bytes\": %llu, \"pinned_bytes\": %llu, "
		"\"hits\": %llu, \"misses\": %llu, \"hit_ratio\": %.4f, "
		"\"evictions\": %llu, \"bytes_decoded\": %llu, "
		"\"block_errors\": %llu, \"uncached\": %llu, "
		"\"passed\": %llu, \"parts\": %llu, \"part_bases\": %llu,\n"
		"    \"answer_bytes\": %llu, \"answer_evictions\": %llu, "
		"\"answer_uncached\": %llu,\n"
		"    \"per_policy\": {",
		cs.policy, (unsigned long long)cs.budget_bytes,
		(unsigned long long)cs.resident_bytes,
		(unsigned long long)cs.pinned_bytes,
		(unsigned long long)t->hits, (unsigned long long)t->misses,
		acc ? (double)t->hits / (double)acc : 0.0,
		(unsigned long long)t->evictions,
		(unsigned long long)t->bytes_decoded,
		(unsigned long long)cs.errors, (unsigned long long)cs.uncached,
		(unsigned long long)cs.passed, (unsigned long long)cs.parts,
		(unsigned long long)cs.part_bases,
		(unsigned long long)cs.answer_bytes,
		(unsigned long long)cs.answer_evictions,
		(unsigned long long)cs.answer_uncached);
	for (unsigned i = 0; gdb_cache_policy_name(i); i++) {
		fprintf(f, "%s\n      \"%s\": ", i ? "," : "",
			gdb_cache_policy_name(i));
		counters_json(f, &cs.per_policy[i]);
	}
	fprintf(f,
		"}},\n"
		"  \"prefetch\": {\"enabled\": %s, \"issued\": %llu, "
		"\"used\": %llu, \"wasted\": %llu, \"accuracy\": %.4f, "
		"\"coverage\": %.4f},\n"
		"  \"latency_us\": {\"p50\": %.1f, \"p95\": %.1f, "
		"\"p99\": %.1f, \"count\": %llu}\n}\n",
		cs.prefetch_enabled ? "true" : "false",
		(unsigned long long)t->prefetch_issued,
		(unsigned long long)t->prefetch_used,
		(unsigned long long)t->prefetch_wasted,
		t->prefetch_issued
		    ? (double)t->prefetch_used / (double)t->prefetch_issued
		    : 0.0,
		t->prefetch_used + t->misses
		    ? (double)t->prefetch_used /
			  (double)(t->prefetch_used + t->misses)
		    : 0.0,
		cs.lat_p50_us, cs.lat_p95_us, cs.lat_p99_us,
		(unsigned long long)cs.lat_count);
	if (fclose(f) != 0) {
		free(p);
		return NULL;
	}
	*len = sz;
	return p;
}

/* Take a new snapshot of a live file; returns its size and mtime. */
uint64_t daemon_snap_refresh(gdb_daemon *d, int live, struct timespec *mtime)
{
	size_t len = 0;
	char *p = live == LIVE_STATS	? render_stats(d, &len)
		  : live == LIVE_CONFIG ? render_config(d, &len)
					: daemon_log_snapshot(&len);
	struct snap *sn = &d->snap[live];
	uint64_t size;

	/*
	 * The kernel learns a file's size (getattr) and reads its bytes in
	 * separate requests; another reader's getattr may take a snapshot in
	 * between. Padding stats.json with JSON whitespace to a constant size
	 * makes every read one whole document, whichever snapshot it gets.
	 */
	if (p && live == LIVE_STATS && len < STATS_PAD) {
		char *q = realloc(p, STATS_PAD);
		if (q) {
			memset(q + len - 1, ' ', STATS_PAD - len);
			q[STATS_PAD - 1] = '\n';
			p = q;
			len = STATS_PAD;
		}
	}

	pthread_mutex_lock(&d->snap_lock);
	if (p) {
		free(sn->p);
		sn->p = p;
		sn->len = len;
		clock_gettime(CLOCK_REALTIME, &sn->mtime);
	}
	size = sn->len;
	*mtime = sn->mtime;
	pthread_mutex_unlock(&d->snap_lock);
	return size;
}

size_t daemon_snap_read(gdb_daemon *d, int live, uint64_t off, size_t size,
			char *buf)
{
	struct snap *sn = &d->snap[live];
	size_t len = 0;

	/* Copy out under the lock: a getattr may replace it. */
	pthread_mutex_lock(&d->snap_lock);
	if (off < sn->len) {
		len = sn->len - off < size ? sn->len - off : size;
		memcpy(buf, sn->p + off, len);
	}
	pthread_mutex_unlock(&d->snap_lock);
	return len;
}

void daemon_ioc_stats(gdb_daemon *d, struct gdb_ioc_stats *o)
{
	gdb_cache_stats cs;

	memset(o, 0, sizeof(*o));
	struct gen *g = gen_current(d);

	gdb_cache_stats_get(g->cache, &cs);
	o->generation = gdb_store_generation(g->store);
	gen_put(d, g, 1);
	o->size = sizeof(*o);
	o->version = GDB_IOC_VERSION;
	snprintf(o->policy, sizeof(o->policy), "%s", cs.policy);
	o->budget_bytes = cs.budget_bytes;
	o->resident_bytes = cs.resident_bytes;
	o->pinned_bytes = cs.pinned_bytes;
	o->hits = cs.total.hits;
	o->misses = cs.total.misses;
	o->evictions = cs.total.evictions;
	o->bytes_decoded = cs.total.bytes_decoded;
	o->prefetch_issued = cs.total.prefetch_issued;
	o->prefetch_used = cs.total.prefetch_used;
	o->prefetch_wasted = cs.total.prefetch_wasted;
	o->lat_p50_ns = (uint64_t)(cs.lat_p50_us * 1000);
	o->lat_p95_ns = (uint64_t)(cs.lat_p95_us * 1000);
	o->lat_p99_ns = (uint64_t)(cs.lat_p99_us * 1000);
	o->lat_count = cs.lat_count;
	o->reads = __atomic_load_n(&d->reads, __ATOMIC_RELAXED);
	o->bytes_served = __atomic_load_n(&d->bytes_served, __ATOMIC_RELAXED);
	o->prefetch_enabled = (uint32_t)cs.prefetch_enabled;
}
