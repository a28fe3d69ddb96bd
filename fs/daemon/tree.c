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

static void perm(struct node *n, enum nkind kind, uint32_t ai, int32_t contig)
{
	n->kind = kind;
	n->permanent = 1;
	n->asm_idx = ai;
	n->contig = contig;
}

/* An assembly's nodes: its directory and its three files. */
static int build_asm(gdb_daemon *d, uint32_t i)
{
	const gdb_assembly *a = gdb_store_assembly(d->store, i);
	struct asm_nodes *an = &d->asms[i];

	perm(&an->dir, N_ASM, i, -1);
	/* A one-contig assembly's .fa is that contig's file too (assembly
	 * chrM, contig chrM): give it the contig's xattrs. */
	perm(&an->fa, N_VIEW, i,
	     a->ncontigs == 1 ? (int32_t)a->first_contig : -1);
	an->fa.contig_xattrs = a->ncontigs == 1;
	perm(&an->fai, N_TEXT, i, -1);
	an->fai.same_writes = 1;
	perm(&an->dict, N_TEXT, i, -1);
	GDB_TRY(gdb_view_contigs(d->store, a->first_contig, a->ncontigs,
				 GDB_FASTA_WIDTH, 1, &an->fa.view));
	GDB_TRY(node_attach_stream(&an->fa));
	an->fai.text = gdb_view_fai(an->fa.view, d->store, &an->fai.textlen);
	an->dict.text = gdb_render_dict(d->store, a->first_contig, a->ncontigs,
					&an->dict.textlen);
	return an->fai.text && an->dict.text ? 0 : -ENOMEM;
}

/* A contig's nodes: its region directory, its .fa and .fa.fai. */
static int build_contig(gdb_daemon *d, uint32_t id)
{
	const gdb_contig *c = gdb_store_contig(d->store, id);
	struct contig_nodes *cn = &d->contigs[id];

	perm(&cn->dir, N_CONTIGDIR, c->asm_index, (int32_t)id);
	perm(&cn->fa, N_VIEW, c->asm_index, (int32_t)id);
	perm(&cn->fai, N_TEXT, c->asm_index, (int32_t)id);
	cn->fai.same_writes = 1;
	cn->dir.contig_xattrs = cn->fa.contig_xattrs = 1;
	GDB_TRY(gdb_view_contigs(d->store, id, 1, GDB_FASTA_WIDTH, 1,
				 &cn->fa.view));
	GDB_TRY(node_attach_stream(&cn->fa));
	cn->fai.text = gdb_view_fai(cn->fa.view, d->store, &cn->fai.textlen);
	return cn->fai.text ? 0 : -ENOMEM;
}

/* The computed namespaces of the registry that have something to serve. */
static int build_providers(gdb_daemon *d)
{
	for (unsigned i = 0; gdb_ns_creators[i] && d->nprov < MAX_PROVIDERS;
	     i++) {
		struct nsprov *pv = &d->provs[d->nprov];
		GDB_TRY(gdb_inbox_new(&pv->inbox));
		pv->p = gdb_ns_creators[i](d->store, d->cache, pv->inbox,
					   &pv->ctx);
		if (!pv->p || !pv->p->inbox) {
			gdb_inbox_free(pv->inbox);
			pv->inbox = NULL;
		}
		if (!pv->p)
			continue;
		perm(&pv->top, N_NSDIR, 0, -1);
		pv->top.prov = d->nprov;
		pv->top.path = (char *)""; /* never freed: permanent */
		perm(&pv->inbox_dir, N_INBOX, 0, -1);
		pv->inbox_dir.prov = d->nprov++;
	}
	return 0;
}

/* Build the permanent part of the namespace. */
static int build_tree(gdb_daemon *d)
{
	uint32_t na = gdb_store_nassemblies(d->store);
	uint32_t nc = gdb_store_ncontigs(d->store);

	perm(&d->root, N_ROOT, 0, -1);
	perm(&d->gdbdir, N_GDBDIR, 0, -1);
	perm(&d->stats, N_STATS, 0, -1);
	perm(&d->config, N_STATS, 0, -1);
	perm(&d->log, N_STATS, 0, -1);
	d->stats.live = LIVE_STATS;
	d->config.live = LIVE_CONFIG;
	d->log.live = LIVE_LOG;
	d->asms = calloc(na ? na : 1, sizeof(*d->asms));
	d->contigs = calloc(nc ? nc : 1, sizeof(*d->contigs));
	if (!d->asms || !d->contigs)
		return -ENOMEM;
	for (uint32_t i = 0; i < na; i++)
		GDB_TRY(build_asm(d, i));
	GDB_TRY(build_providers(d));
	for (uint32_t id = 0; id < nc; id++)
		GDB_TRY(build_contig(d, id));
	return 0;
}

static void free_tree(gdb_daemon *d)
{
	uint32_t na = d->store ? gdb_store_nassemblies(d->store) : 0;
	uint32_t nc = d->store ? gdb_store_ncontigs(d->store) : 0;

	/* Nodes first: inbox files' nodes hold references into inboxes. */
	node_free_all(d);
	for (unsigned i = 0; i < d->nprov; i++) {
		if (d->provs[i].p->destroy)
			d->provs[i].p->destroy(d->provs[i].ctx);
		gdb_inbox_free(d->provs[i].inbox);
	}
	for (uint32_t i = 0; d->asms && i < na; i++) {
		struct asm_nodes *an = &d->asms[i];
		gdb_view_free(an->fa.view);
		node_detach_stream(&an->fa);
		free(an->fai.text);
		free(an->dict.text);
	}
	for (uint32_t i = 0; d->contigs && i < nc; i++) {
		gdb_view_free(d->contigs[i].fa.view);
		node_detach_stream(&d->contigs[i].fa);
		free(d->contigs[i].fai.text);
	}
	free(d->asms);
	free(d->contigs);
}

int gdb_daemon_open(const gdb_fs_opts *o, gdb_daemon **out, char *err,
		    size_t errlen)
{
	gdb_daemon *d = calloc(1, sizeof(*d));
	char cur[4096];
	struct stat st;
	int rc;

	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->snap_lock, NULL);
	pthread_mutex_init(&d->ctl_lock, NULL);
	pthread_mutex_init(&d->nodes_lock, NULL);
	pthread_mutex_init(&d->inbox_lock, NULL);
	d->live.next = d->live.prev = &d->live;
	d->vol.vnext = d->vol.vprev = &d->vol;
	gdb_simd_init();
	rc = gdb_store_open(o->store_path, 0, &d->store, err, errlen);
	if (rc < 0) {
		gdb_daemon_close(d);
		return rc;
	}
	snprintf(cur, sizeof(cur), "%s/CURRENT", o->store_path);
	if (stat(cur, &st) == 0)
		d->mtime = st.st_mtim;
	d->uid = getuid();
	d->gid = getgid();
	rc = gdb_cache_create(d->store, (size_t)o->cache_bytes, o->policy,
			      &d->cache);
	if (rc == -EINVAL && o->cache_bytes > GDB_CACHE_MAX_BUDGET)
		gdb_seterr(err, errlen, "a cache budget of %llu bytes is more "
			   "than the %llu TiB a cache takes",
			   (unsigned long long)o->cache_bytes,
			   (unsigned long long)(GDB_CACHE_MAX_BUDGET >> 40));
	else if (rc == -EINVAL)
		gdb_seterr(err, errlen, "unknown cache policy '%s'", o->policy);
	if (rc == 0) {
		gdb_cache_set_prefetch(d->cache, o->prefetch);
		rc = build_tree(d);
		if (rc < 0)
			gdb_seterr(err, errlen, "%s: %s", o->store_path,
				   gdb_strerror(rc));
	}
	if (rc < 0) {
		gdb_daemon_close(d);
		return rc;
	}
	*out = d;
	return 0;
}

void gdb_daemon_close(gdb_daemon *d)
{
	if (!d)
		return;
	free_tree(d);
	gdb_cache_destroy(d->cache);
	gdb_store_close(d->store);
	for (int i = 0; i < NLIVE; i++)
		free(d->snap[i].p);
	pthread_mutex_destroy(&d->ctl_lock);
	pthread_mutex_destroy(&d->snap_lock);
	pthread_mutex_destroy(&d->nodes_lock);
	pthread_mutex_destroy(&d->inbox_lock);
	free(d);
}

gdb_cache *gdb_daemon_cache(gdb_daemon *d)
{
	return d->cache;
}

/* ---- in-process driving, by inode numbers ---- */

int gdb_daemon_lookup(gdb_daemon *d, uint64_t parent, const char *name,
		      gdb_daemon_entry *out)
{
	struct node *n;
	struct stat st;
	int counted, vol;
	int rc = daemon_lookup(d, daemon_node(d, parent), name, &n, &counted,
			       &vol);

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

ssize_t gdb_daemon_read(gdb_daemon *d, uint64_t ino, uint64_t off,
			size_t len, char *dst)
{
	const char *src;
	ssize_t got = daemon_read(d, daemon_node(d, ino), off, len, dst, &src);

	if (got > 0 && src != dst)
		memcpy(dst, src, (size_t)got);
	return got;
}

int gdb_daemon_control(gdb_daemon *d, uint32_t uid, const char *line,
		       char *msg, size_t msglen)
{
	return daemon_control(d, uid, line, msg, msglen);
}

void gdb_daemon_fail_allocs(gdb_daemon *d, unsigned n)
{
	__atomic_store_n(&d->fail_allocs, n, __ATOMIC_RELAXED);
}
