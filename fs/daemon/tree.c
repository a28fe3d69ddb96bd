/*
 * fs/daemon/tree.c - a daemon's life without libfuse: open the store, its
 * cache and the namespaces, build the permanent nodes, close it all; and
 * the gdb_daemon_* calls that drive a daemon in-process by inode numbers,
 * as the kernel would through ops.c (daemon.h).
 */
#include "fs/daemon/daemon_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "simd/simd.h"

static void perm(struct node *n, struct gen *g, enum nkind kind, uint32_t ai,
		 int32_t contig)
{
	n->kind = kind;
	n->gen = g;
	n->permanent = 1;
	n->asm_idx = ai;
	n->contig = contig;
}

/* An assembly's nodes: its directory and its three files. */
static int build_asm(struct gen *g, uint32_t i)
{
	const gdb_assembly *a = gdb_store_assembly(g->store, i);
	struct asm_nodes *an = &g->asms[i];

	perm(&an->dir, g, N_ASM, i, -1);
	/* A one-contig assembly's .fa is that contig's file too (assembly
	 * chrM, contig chrM): give it the contig's xattrs. */
	perm(&an->fa, g, N_VIEW, i,
	     a->ncontigs == 1 ? (int32_t)a->first_contig : -1);
	an->fa.contig_xattrs = a->ncontigs == 1;
	perm(&an->fai, g, N_TEXT, i, -1);
	an->fai.same_writes = 1;
	perm(&an->dict, g, N_TEXT, i, -1);
	/* the .fa and .fa.fai: at their first lookup (gen_asm_files); the .dict
	 * needs every record's digests: a short protein's are computed from its
	 * bases, so it is rendered at its first read (lookup.c), sized now from
	 * the names and lengths alone */
	an->dict.lazy_dict = 1;
	an->dict.textlen =
	    gdb_render_dict_size(g->store, a->first_contig, a->ncontigs);
	return 0;
}

int gen_asm_files(struct gen *g, uint32_t ai)
{
	struct asm_nodes *an = &g->asms[ai];
	const gdb_assembly *a = gdb_store_assembly(g->store, ai);
	int rc = 0;

	if (__atomic_load_n(&an->ready, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&g->build_lock);
	if (!an->ready) {
		rc = an->fa.view
			 ? 0
			 : gdb_view_contigs(g->store, a->first_contig,
					    a->ncontigs, GDB_FASTA_WIDTH, 1,
					    &an->fa.view);
		if (rc == 0 && !an->fa.stream)
			rc = node_attach_stream(&an->fa);
		if (rc == 0 && !an->fai.text)
			an->fai.text = gdb_view_fai(an->fa.view, g->store,
						    &an->fai.textlen);
		if (rc == 0 && !an->fai.text)
			rc = -ENOMEM;
		if (rc == 0)
			__atomic_store_n(&an->ready, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&g->build_lock);
	return rc;
}

static void contig_free(struct contig_nodes *cn)
{
	if (!cn)
		return;
	gdb_view_free(cn->fa.view);
	node_detach_stream(&cn->fa);
	free(cn->fai.text);
	free(cn);
}

/* A contig's nodes: its region directory, its .fa and .fa.fai. */
static int build_contig(struct gen *g, uint32_t id, struct contig_nodes *cn)
{
	const gdb_contig *c = gdb_store_contig(g->store, id);

	perm(&cn->dir, g, N_CONTIGDIR, c->asm_index, (int32_t)id);
	perm(&cn->fa, g, N_VIEW, c->asm_index, (int32_t)id);
	perm(&cn->fai, g, N_TEXT, c->asm_index, (int32_t)id);
	cn->fai.same_writes = 1;
	cn->dir.contig_xattrs = cn->fa.contig_xattrs = 1;
	GDB_TRY(gdb_view_contigs(g->store, id, 1, GDB_FASTA_WIDTH, 1,
				 &cn->fa.view));
	GDB_TRY(node_attach_stream(&cn->fa));
	cn->fai.text = gdb_view_fai(cn->fa.view, g->store, &cn->fai.textlen);
	return cn->fai.text ? 0 : -ENOMEM;
}

int gen_contig(struct gen *g, uint32_t id, struct contig_nodes **out)
{
	struct contig_nodes *nw, *seen = NULL;
	int rc;

	*out = __atomic_load_n(&g->contigs[id], __ATOMIC_ACQUIRE);
	if (*out)
		return 0;
	nw = calloc(1, sizeof(*nw));
	rc = nw ? build_contig(g, id, nw) : -ENOMEM;
	if (rc < 0) {
		contig_free(nw);
		return rc; /* a damaged view is EIO, not "out of memory" */
	}
	/* two first lookups may race: one set of nodes wins */
	if (!__atomic_compare_exchange_n(&g->contigs[id], &seen, nw, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		contig_free(nw);
		*out = seen;
		return 0;
	}
	__atomic_add_fetch(&g->contigs_built, 1, __ATOMIC_RELAXED);
	*out = nw;
	return 0;
}

/* The computed namespaces of the registry that have something to serve;
 * an inbox is made at the first generation that has its provider and
 * kept for every later one. */
static int build_providers(gdb_daemon *d, struct gen *g)
{
	for (unsigned i = 0; gdb_ns_creators[i] && g->nprov < MAX_PROVIDERS;
	     i++) {
		struct nsprov *pv = &g->provs[g->nprov];
		int fresh = !d->inboxes[i];
		if (fresh)
			GDB_TRY(gdb_inbox_new(&d->inboxes[i]));
		pv->p = gdb_ns_creators[i](g->store, g->cache, d->inboxes[i],
					   &pv->ctx);
		if (fresh && (!pv->p || !pv->p->inbox)) {
			gdb_inbox_free(d->inboxes[i]);
			d->inboxes[i] = NULL;
		}
		if (!pv->p)
			continue;
		pv->inbox = pv->p->inbox ? d->inboxes[i] : NULL;
		perm(&pv->top, g, N_NSDIR, 0, -1);
		pv->top.prov = g->nprov;
		pv->top.path = (char *)""; /* never freed: permanent */
		perm(&pv->inbox_dir, g, N_INBOX, 0, -1);
		pv->inbox_dir.prov = g->nprov++;
	}
	return 0;
}

/* Build the permanent part of a generation's tree. */
static int build_tree(gdb_daemon *d, struct gen *g)
{
	uint32_t na = gdb_store_nassemblies(g->store);
	uint32_t nc = gdb_store_ncontigs(g->store);

	g->asms = calloc(na ? na : 1, sizeof(*g->asms));
	g->contigs = calloc(nc ? nc : 1, sizeof(*g->contigs));
	if (!g->asms || !g->contigs)
		return -ENOMEM;
	for (uint32_t i = 0; i < na; i++)
		GDB_TRY(build_asm(g, i));
	return build_providers(d, g); /* contigs: at their first lookup */
}

static void gen_free(struct gen *g)
{
	uint32_t na = g->store ? gdb_store_nassemblies(g->store) : 0;
	uint32_t nc = g->store ? gdb_store_ncontigs(g->store) : 0;

	for (unsigned i = 0; i < g->nprov; i++)
		if (g->provs[i].p->destroy)
			g->provs[i].p->destroy(g->provs[i].ctx);
	for (uint32_t i = 0; g->asms && i < na; i++) {
		struct asm_nodes *an = &g->asms[i];
		gdb_view_free(an->fa.view);
		node_detach_stream(&an->fa);
		free(an->fai.text);
		free(an->dict.text);
	}
	for (uint32_t i = 0; g->contigs && i < nc; i++)
		contig_free(g->contigs[i]);
	free(g->asms);
	free(g->contigs);
	gdb_cache_destroy(g->cache);
	gdb_store_close(g->store);
	pthread_mutex_destroy(&g->build_lock);
	free(g);
}

/* The settings a new generation's cache takes over from the current. */
struct cache_cfg {
	uint64_t budget;
	const char *policy;
	int prefetch;
};

/* A generation of the store s (opened at d->store_path; ownership moves
 * here), not yet served. */
static int gen_open(gdb_daemon *d, gdb_store *s, const struct cache_cfg *cc,
		    struct gen **out, char *err, size_t errlen)
{
	struct gen *g = calloc(1, sizeof(*g));
	int rc;

	if (!g) {
		gdb_store_close(s);
		return -ENOMEM;
	}
	pthread_mutex_init(&g->build_lock, NULL);
	g->store = s;
	g->mtime = d->seen.mtime;
	rc = gdb_cache_create(g->store, (size_t)cc->budget, cc->policy,
			      &g->cache);
	if (rc == -EINVAL && cc->budget > GDB_CACHE_MAX_BUDGET)
		gdb_seterr(err, errlen,
			   "a cache budget of %llu bytes is more "
			   "than the %llu TiB a cache takes",
			   (unsigned long long)cc->budget,
			   (unsigned long long)(GDB_CACHE_MAX_BUDGET >> 40));
	else if (rc == -EINVAL)
		gdb_seterr(err, errlen, "unknown cache policy '%s'",
			   cc->policy);
	if (rc == 0) {
		gdb_cache_set_prefetch(g->cache, cc->prefetch);
		rc = build_tree(d, g);
		if (rc < 0)
			gdb_seterr(err, errlen, "%s: %s", d->store_path,
				   gdb_strerror(rc));
	}
	if (rc < 0) {
		gen_free(g);
		return rc;
	}
	g->refs = 1;
	*out = g;
	return 0;
}

/* ---- references ---- */

struct gen *gen_current(gdb_daemon *d)
{
	struct gen *g;

	pthread_mutex_lock(&d->gen_lock);
	g = d->cur;
	__atomic_add_fetch(&g->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&d->gen_lock);
	return g;
}

struct gen *gen_of(gdb_daemon *d, const struct node *n)
{
	if (!n->gen)
		return gen_current(d);
	gen_hold(n->gen, 1);
	return n->gen;
}

void gen_hold(struct gen *g, uint64_t k)
{
	__atomic_add_fetch(&g->refs, k, __ATOMIC_RELAXED);
}

void gen_put(gdb_daemon *d, struct gen *g, uint64_t k)
{
	if (!g || __atomic_sub_fetch(&g->refs, k, __ATOMIC_ACQ_REL) != 0)
		return;
	/* the last reference of a generation no longer current: nothing
	 * can reach it any more */
	pthread_mutex_lock(&d->gen_lock);
	g->prev->next = g->next;
	g->next->prev = g->prev;
	d->ngens--;
	pthread_mutex_unlock(&d->gen_lock);
	vol_drop_gen(d, g);
	gdb_log(GDB_LOG_INFO, "generation %llu released",
		(unsigned long long)gdb_store_generation(g->store));
	gen_free(g);
}

static void gen_link(gdb_daemon *d, struct gen *g)
{
	g->next = d->gens.next;
	g->prev = &d->gens;
	d->gens.next->prev = g;
	d->gens.next = g;
	d->ngens++;
}

/* ---- new generations ---- */

static int current_stat(const gdb_daemon *d, struct stat *st)
{
	char cur[4096];

	snprintf(cur, sizeof(cur), "%s/CURRENT", d->store_path);
	return stat(cur, st);
}

/* CURRENT as it is now, seen before the store is opened: a commit
 * between the two is seen as a change at the next look. Under
 * refresh_lock (or before any thread runs). */
static void note_current(gdb_daemon *d)
{
	struct stat st;

	if (current_stat(d, &st) == 0)
		d->seen = (struct current_id){st.st_dev, st.st_ino, st.st_mtim,
					      st.st_size};
}

int daemon_current_changed(gdb_daemon *d)
{
	struct stat st;
	int changed;

	if (current_stat(d, &st) < 0)
		return 0; /* mid-rename, or gone: the next look decides */
	pthread_mutex_lock(&d->refresh_lock);
	changed = st.st_ino != d->seen.ino || st.st_dev != d->seen.dev ||
		  st.st_size != d->seen.size ||
		  st.st_mtim.tv_sec != d->seen.mtime.tv_sec ||
		  st.st_mtim.tv_nsec != d->seen.mtime.tv_nsec;
	pthread_mutex_unlock(&d->refresh_lock);
	return changed;
}

/* One entry to invalidate: its directory's inode number, then its name. */
static void entry(FILE *f, uint64_t parent, const char *name, size_t n)
{
	fwrite(&parent, sizeof(parent), 1, f);
	fwrite(name, 1, n, f);
	fputc(0, f);
}

/* g's names under the root (assemblies, namespaces). */
static void root_entries(const struct gen *g, FILE *f)
{
	for (uint32_t i = 0; i < gdb_store_nassemblies(g->store); i++) {
		const char *nm = gdb_store_assembly(g->store, i)->name;
		entry(f, GDB_DAEMON_ROOT, nm, strlen(nm));
	}
	for (unsigned i = 0; i < g->nprov; i++)
		entry(f, GDB_DAEMON_ROOT, g->provs[i].p->name,
		      strlen(g->provs[i].p->name));
}

/* The directory node of a non-permanent node of old, or NULL. Under
 * d->nodes_lock. */
static struct node *parent_of(gdb_daemon *d, struct gen *old,
			      const struct node *n, const char **base)
{
	const char *slash = n->path ? strrchr(n->path, '/') : NULL;
	size_t dl = slash ? (size_t)(slash - n->path) : 0;

	*base = slash ? slash + 1 : n->path;
	if (n->kind == N_VIEW) /* a region: its directory was looked up */
		return old->contigs[n->contig] ? &old->contigs[n->contig]->dir
					       : NULL;
	if (n->kind != N_ANSWER && n->kind != N_NSDIR && n->kind != N_RANGED)
		return NULL;
	if (!slash)
		return &old->provs[n->prov].top;
	for (struct node *m = d->live.next; m != &d->live; m = m->next)
		if (m->gen == old && m->kind == N_NSDIR && m->prov == n->prov &&
		    strlen(m->path) == dl && !strncmp(m->path, n->path, dl))
			return m;
	return NULL;
}

/*
 * Everything of old the kernel may hold by name, so that it lets go once
 * closed (an entry still open when its directory went would stay cached,
 * and keep old, until memory pressure): the names in old's assembly
 * directories, and the files and directories looked up below them.
 */
static void old_entries(gdb_daemon *d, struct gen *old, FILE *f)
{
	char tmp[GDB_SEQ_NAME_MAX];
	const char *base;

	for (uint32_t ai = 0; ai < gdb_store_nassemblies(old->store); ai++) {
		gdb_seq_entry e;
		int r;
		for (uint64_t i = 0; (r = gdb_seq_list(old->store, ai, i, &e,
						       tmp, sizeof(tmp))) >= 0;
		     i++)
			if (r == 1)
				entry(f, daemon_ino(d, &old->asms[ai].dir), tmp,
				      strlen(tmp));
	}
	pthread_mutex_lock(&d->nodes_lock);
	for (struct node *n = d->live.next; n != &d->live; n = n->next) {
		struct node *p = n->gen == old && !n->permanent
				     ? parent_of(d, old, n, &base)
				     : NULL;
		if (p)
			entry(f, daemon_ino(d, p), base, strlen(base));
	}
	pthread_mutex_unlock(&d->nodes_lock);
}

/* The entries to invalidate when g takes over from old (see entry()). */
static char *changed_entries(gdb_daemon *d, struct gen *old,
			     const struct gen *g, size_t *len)
{
	char *p = NULL;
	FILE *f = open_memstream(&p, len);

	if (!f)
		return NULL;
	root_entries(old, f);
	root_entries(g, f);
	old_entries(d, old, f);
	if (fclose(f) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

/* An old generation's cache keeps little: its open files read on. */
#define OLD_GEN_BUDGET ((uint64_t)32 << 20)

int daemon_refresh(gdb_daemon *d, char **names, size_t *nlen, char *err,
		   size_t errlen)
{
	struct gen *old = gen_current(d), *g = NULL;
	gdb_cache_stats cs;
	struct cache_cfg cc;
	gdb_store *s = NULL;
	int rc;

	pthread_mutex_lock(&d->refresh_lock);
	note_current(d);
	rc = gdb_store_open(d->store_path, 0, &s, err, errlen);
	if (rc == 0 &&
	    gdb_store_generation(s) == gdb_store_generation(old->store)) {
		gdb_store_close(s);
		rc = 1; /* the same generation: nothing to do */
	}
	if (rc == 0) {
		gdb_cache_stats_get(old->cache, &cs);
		cc = (struct cache_cfg){cs.budget_bytes, cs.policy,
					cs.prefetch_enabled};
		rc = gen_open(d, s, &cc, &g, err, errlen);
	}
	if (rc == 0 && d->serving && gdb_cache_start_prefetch(g->cache) < 0)
		gdb_log(GDB_LOG_WARN, "prefetch thread did not start");
	if (rc == 0 && !(*names = changed_entries(d, old, g, nlen)))
		rc = -ENOMEM;
	if (rc == 1) {
		rc = 0;
	} else if (rc == 0) {
		pthread_mutex_lock(&d->gen_lock);
		gen_link(d, g);
		d->cur = g;
		pthread_mutex_unlock(&d->gen_lock);
		gdb_cache_unpin_all(old->cache);
		if (cs.budget_bytes > OLD_GEN_BUDGET &&
		    gdb_cache_set_budget(old->cache, OLD_GEN_BUDGET) < 0)
			gdb_log(GDB_LOG_INFO, "the old generation's cache "
					      "keeps its budget");
		gdb_log(GDB_LOG_INFO, "serving generation %llu (was %llu)",
			(unsigned long long)gdb_store_generation(g->store),
			(unsigned long long)gdb_store_generation(old->store));
		gen_put(d, old, 1); /* it is not current any more */
		rc = 1;
	} else if (g) {
		gen_free(g);
	}
	pthread_mutex_unlock(&d->refresh_lock);
	gen_put(d, old, 1);
	return rc;
}

/* ---- a daemon's life ---- */

static void build_globals(gdb_daemon *d)
{
	d->root.kind = N_ROOT;
	d->gdbdir.kind = N_GDBDIR;
	d->stats.kind = d->config.kind = d->log.kind = N_STATS;
	d->root.permanent = d->gdbdir.permanent = d->stats.permanent =
	    d->config.permanent = d->log.permanent = 1;
	d->root.contig = d->gdbdir.contig = d->stats.contig = d->config.contig =
	    d->log.contig = -1;
	d->stats.live = LIVE_STATS;
	d->config.live = LIVE_CONFIG;
	d->log.live = LIVE_LOG;
}

int gdb_daemon_open(const gdb_fs_opts *o, gdb_daemon **out, char *err,
		    size_t errlen)
{
	gdb_daemon *d = calloc(1, sizeof(*d));
	struct cache_cfg cc = {o->cache_bytes, o->policy, o->prefetch};
	gdb_store *s;
	int rc;

	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->snap_lock, NULL);
	pthread_mutex_init(&d->ctl_lock, NULL);
	pthread_mutex_init(&d->nodes_lock, NULL);
	pthread_mutex_init(&d->inbox_lock, NULL);
	pthread_mutex_init(&d->gen_lock, NULL);
	pthread_mutex_init(&d->refresh_lock, NULL);
	d->live.next = d->live.prev = &d->live;
	d->vol.vnext = d->vol.vprev = &d->vol;
	d->gens.next = d->gens.prev = &d->gens;
	build_globals(d);
	gdb_simd_init();
	d->uid = getuid();
	d->gid = getgid();
	d->store_path = strdup(o->store_path);
	if (d->store_path)
		note_current(d);
	rc = d->store_path ? gdb_store_open(o->store_path, 0, &s, err, errlen)
			   : -ENOMEM;
	if (rc == 0 && o->nplugins) {
		rc = gdb_plugins_load(o->plugins, o->nplugins, err, errlen);
		d->plugins = rc == 0;
		if (rc < 0)
			gdb_store_close(s);
	}
	if (rc == 0)
		rc = gen_open(d, s, &cc, &d->cur, err, errlen);
	if (rc < 0) {
		gdb_daemon_close(d);
		return rc;
	}
	gen_link(d, d->cur);
	*out = d;
	return 0;
}

void gdb_daemon_close(gdb_daemon *d)
{
	if (!d)
		return;
	/* Nodes first: inbox files' nodes hold references into inboxes,
	 * answers into their generation's cache. */
	node_free_all(d);
	while (d->gens.next && d->gens.next != &d->gens) {
		struct gen *g = d->gens.next;
		g->prev->next = g->next;
		g->next->prev = g->prev;
		vol_drop_gen(d, g);
		gen_free(g);
	}
	for (unsigned i = 0; i < MAX_PROVIDERS; i++)
		gdb_inbox_free(d->inboxes[i]);
	if (d->plugins) /* after every generation's providers are gone */
		gdb_plugins_unload();
	for (int i = 0; i < NLIVE; i++)
		free(d->snap[i].p);
	pthread_mutex_destroy(&d->ctl_lock);
	pthread_mutex_destroy(&d->snap_lock);
	pthread_mutex_destroy(&d->nodes_lock);
	pthread_mutex_destroy(&d->inbox_lock);
	pthread_mutex_destroy(&d->gen_lock);
	pthread_mutex_destroy(&d->refresh_lock);
	free(d->store_path);
	free(d);
}

gdb_cache *gdb_daemon_cache(gdb_daemon *d)
{
	return d->cur->cache;
}

int gdb_daemon_refresh(gdb_daemon *d, char *err, size_t errlen)
{
	char *names = NULL;
	size_t len;
	int rc = daemon_refresh(d, &names, &len, err, errlen);

	free(names);
	return rc;
}

/* ---- in-process driving, by inode numbers ---- */

int gdb_daemon_lookup(gdb_daemon *d, uint64_t parent, const char *name,
		      gdb_daemon_entry *out)
{
	struct node *n;
	struct stat st;
	int counted, vol;
	int rc =
	    daemon_lookup(d, daemon_node(d, parent), name, &n, &counted, &vol);

	if (rc < 0)
		return rc;
	if (!n->permanent && !counted)
		__atomic_add_fetch(&n->nlookup, 1, __ATOMIC_RELAXED);
	daemon_fill_attr(d, n, &st);
	out->ino = daemon_ino(d, n);
	out->is_dir = S_ISDIR(st.st_mode);
	out->size = (uint64_t)st.st_size;
	out->mode = st.st_mode & 07777;
	return 0;
}

void gdb_daemon_forget(gdb_daemon *d, uint64_t ino, uint64_t nlookup)
{
	node_forget(d, daemon_node(d, ino), nlookup);
}

ssize_t gdb_daemon_read(gdb_daemon *d, uint64_t ino, uint64_t off, size_t len,
			char *dst)
{
	const char *src;
	ssize_t got =
	    daemon_read(d, daemon_node(d, ino), off, len, dst, &src, NULL);

	if (got > 0 && src != dst)
		memcpy(dst, src, (size_t)got);
	return got;
}

int gdb_daemon_control(gdb_daemon *d, uint32_t uid, const char *line, char *msg,
		       size_t msglen)
{
	return daemon_control(d, uid, line, msg, msglen);
}

void gdb_daemon_fail_allocs(gdb_daemon *d, unsigned n)
{
	__atomic_store_n(&d->fail_allocs, n, __ATOMIC_RELAXED);
}
