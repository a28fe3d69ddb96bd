/*
 * fs/daemon/lookup.c - names to nodes, directory listings, and reads: the
 * daemon's side of the namespaces (fs/ns/). The sequence namespace says
 * what a name under /<asm>/ is (its permanent node, or a new region
 * node); a computed namespace computes the whole answer at lookup, so its
 * size is exact from the first stat, or, for a file too large for that (a
 * ranged file), gives its size and then its bytes read by read; an inbox
 * file's node is one per file.
 *
 * Errors: an answer too large, a damaged store or a malformed inbox file
 * is returned as it is and logged with the provider's reason; only a true
 * "no such name" is ENOENT.
 */
#include "fs/daemon/daemon_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simd/simd.h"

/* The permanent node of a name in /<asm>/ (a contig's built now if it is
 * the first lookup of that contig). @return 0, -ENOMEM, -EIO (damage) */
static int seq_node(struct gen *g, uint32_t ai, const gdb_seq_entry *e,
		    struct node **out)
{
	struct asm_nodes *an = &g->asms[ai];
	struct contig_nodes *cn;

	switch (e->kind) {
	case GDB_SEQ_ASM_FA:
	case GDB_SEQ_ASM_FAI:
		GDB_TRY(gen_asm_files(g, ai));
		*out = e->kind == GDB_SEQ_ASM_FA ? &an->fa : &an->fai;
		return 0;
	case GDB_SEQ_ASM_DICT:
		*out = &an->dict;
		return 0;
	default:
		break;
	}
	GDB_TRY(gen_contig(g, e->contig, &cn));
	*out = e->kind == GDB_SEQ_CONTIG_DIR  ? &cn->dir
	       : e->kind == GDB_SEQ_CONTIG_FA ? &cn->fa
					      : &cn->fai;
	return 0;
}

/* The name's node: 0, -ENOENT (no such name: the store's name index says
 * so in O(1)), -ENOMEM, -EIO */
static int lookup_in_asm(struct gen *g, uint32_t ai, const char *name,
			 struct node **out)
{
	gdb_seq_entry e;

	if (gdb_seq_lookup(g->store, ai, name, &e) < 0)
		return -ENOENT;
	return seq_node(g, ai, &e, out);
}

/* /<asm>/<contig>/<start>-<end>.<fa|seq|u8|rc.fa> (fs/ns/seq_ns.c): the
 * node keeps the name and the size; its view comes at the first read.
 * @return 0, -ENOENT (not a region name), -ENOMEM */
static int make_region(gdb_daemon *d, struct gen *g, int32_t contig,
		       const char *name, struct node **out)
{
	const gdb_contig *c = gdb_store_contig(g->store, (uint32_t)contig);
	struct node *n;
	uint64_t size;
	int rc = gdb_seq_region_size(g->store, (uint32_t)contig, name, &size);

	if (rc < 0)
		return rc;
	n = node_new_named(d, N_VIEW, name);
	if (!n)
		return -ENOMEM;
	n->gen = g;
	n->contig = contig;
	n->asm_idx = c->asm_index;
	n->size = size;
	node_link(d, n);
	*out = n;
	return 0;
}

/* A provider's ranged file at path (takes path; g's provider reads it
 * while the node holds g), or -ENOENT (then path is still the caller's). */
static int lookup_ranged(gdb_daemon *d, struct gen *g, uint32_t prov,
			 char *path, struct node **out)
{
	const struct nsprov *pv = &g->provs[prov];
	char err[256] = "";
	gdb_ns_ranged r;
	struct node *n;
	int rc = pv->p->open_ranged(pv->ctx, path, &r, err, sizeof(err));

	if (rc == -ENOENT)
		return rc;
	if (rc < 0) {
		gdb_log(GDB_LOG_WARN, "/%s/%s: %s", pv->p->name, path,
			err[0] ? err : gdb_strerror(rc));
		free(path);
		return rc;
	}
	n = node_new(d, N_RANGED);
	if (!n) {
		if (r.release)
			r.release(r.ctx);
		free(path);
		return -ENOMEM;
	}
	n->gen = g;
	n->prov = prov;
	n->path = path;
	n->rng = r;
	node_link(d, n);
	*out = n;
	return 0;
}

/*
 * A name below a computed namespace: the provider computes the whole file
 * now, so its size is exact from the first stat. Errors other than ENOENT
 * (an answer too large, a damaged store, a malformed inbox file or
 * parameter) are returned as they are and logged with the provider's
 * reason. A volatile answer is computed again only when its inbox has
 * changed since: the kernel revalidates it at every path walk, and
 * answering the same node keeps its dentry and cached pages.
 */
static int lookup_ns(gdb_daemon *d, struct node *p, const char *name,
		     struct node **out, int *counted, int *vol)
{
	struct gen *g = p->gen;
	const struct nsprov *pv = &g->provs[p->prov];
	size_t pl = strlen(p->path), nl = strlen(name), len = 0;
	char *path = malloc(pl + nl + 2), *data = NULL;
	char err[256] = "";
	uint64_t v = pv->inbox ? gdb_inbox_version(pv->inbox) : 0;
	unsigned flags = 0;
	struct node *n;
	int rc;

	if (!path)
		return -ENOMEM;
	if (pl)
		snprintf(path, pl + nl + 2, "%s/%s", p->path, name);
	else
		memcpy(path, name, nl + 1);
	if (pv->inbox && !strcmp(path, pv->p->inbox)) {
		free(path);
		*out = (struct node *)&pv->inbox_dir;
		return 0;
	}
	if (pv->inbox && (n = vol_find(d, g, p->prov, path, v))) {
		__atomic_add_fetch(&d->reused, 1, __ATOMIC_RELAXED);
		free(path);
		*out = n;
		*counted = 1;
		return 0;
	}
	rc = pv->p->open_ranged ? lookup_ranged(d, g, p->prov, path, out)
				: -ENOENT;
	if (rc != -ENOENT)
		return rc;
	rc = pv->p->resolve(pv->ctx, path, &data, &len, &flags, err,
			    sizeof(err));
	*vol = (flags & GDB_NS_VOLATILE) != 0;
	if (rc < 0) {
		if (rc != -ENOENT)
			gdb_log(GDB_LOG_WARN, "/%s/%s: %s", pv->p->name, path,
				err[0] ? err : gdb_strerror(rc));
		free(path);
		return rc;
	}
	n = node_new(d, rc == GDB_NS_DIR ? N_NSDIR : N_ANSWER);
	if (!n) {
		free(path);
		free(data);
		return -ENOMEM;
	}
	n->gen = g;
	n->prov = p->prov;
	n->path = path; /* an answer is computed again from it */
	if (rc == GDB_NS_DIR) {
		free(data);
	} else {
		__atomic_add_fetch(&d->computed, 1, __ATOMIC_RELAXED);
		n->size = len;
		n->crc = gdb_simd()->crc32c(0, data, len);
		/* one that read an inbox file cannot be computed again */
		if (gdb_cache_answer_new(g->cache, data, len,
					 *vol ? GDB_CACHE_ANSWER_KEEP : 0,
					 &n->ans) < 0) {
			free(path);
			free(n);
			return -ENOMEM;
		}
		gdb_cache_answer_put(g->cache, n->ans);
	}
	if (*vol) {
		vol_add(d, n, v);
		*counted = 1;
	}
	node_link(d, n);
	*out = n;
	return 0;
}

/* ---- inboxes: the providers' writable directories ---- */

gdb_inbox *daemon_inbox(gdb_daemon *d, const struct node *n)
{
	(void)d;
	return n->gen->provs[n->prov].inbox;
}

struct node *inbox_node(gdb_daemon *d, uint32_t prov, gdb_inbox_file *f)
{
	struct node *n = *gdb_inbox_file_user(f);

	if (n) {
		gdb_inbox_file_put(f);
	} else {
		n = node_new(d, N_INBOXFILE);
		if (!n) {
			gdb_inbox_file_put(f);
			return NULL;
		}
		n->prov = prov;
		n->ibf = f;
		*gdb_inbox_file_user(f) = n;
		node_link(d, n);
	}
	__atomic_add_fetch(&n->nlookup, 1, __ATOMIC_RELAXED);
	return n;
}

/* An inbox file's node goes when the kernel has forgotten it and it has
 * no name any more (else the next lookup reuses it). Under inbox_lock. */
void inbox_node_check(gdb_daemon *d, struct node *n)
{
	gdb_inbox_stat st;

	if (__atomic_load_n(&n->nlookup, __ATOMIC_ACQUIRE))
		return;
	gdb_inbox_file_stat(n->ibf, &st);
	if (!st.linked)
		node_free(d, n);
}

void inbox_unnamed(gdb_daemon *d, gdb_inbox_file *f)
{
	struct node *n = f ? *gdb_inbox_file_user(f) : NULL;

	gdb_inbox_file_put(f);
	if (n)
		inbox_node_check(d, n);
}

/* @return 0, -ENOENT (or another reason the name is not a file there:
 * -EINVAL, -ENAMETOOLONG), -ENOMEM */
static int lookup_inbox(gdb_daemon *d, struct node *dir, const char *name,
			struct node **out)
{
	gdb_inbox_file *f;
	int rc;

	pthread_mutex_lock(&d->inbox_lock);
	rc = gdb_inbox_open(daemon_inbox(d, dir), name, 0, &f);
	if (rc >= 0) {
		*out = inbox_node(d, dir->prov, f);
		rc = *out ? 0 : -ENOMEM;
	}
	pthread_mutex_unlock(&d->inbox_lock);
	return rc == -ENOMEM ? rc : rc < 0 ? -ENOENT : 0;
}

static struct node *lookup_root(gdb_daemon *d, struct gen *g, const char *name)
{
	int ai;

	if (!strcmp(name, ".gdb"))
		return &d->gdbdir;
	ai = gdb_store_assembly_find(g->store, name);
	if (ai >= 0)
		return &g->asms[ai].dir;
	for (unsigned i = 0; i < g->nprov; i++)
		if (!strcmp(name, g->provs[i].p->name))
			return &g->provs[i].top;
	return NULL;
}

/* A name under the root that is an assembly whose segment is damaged:
 * EIO (logged with the store's reason), not ENOENT. */
static int damaged_asm(struct gen *g, const char *name)
{
	int i = gdb_store_damaged_find(g->store, GDB_KIND_ASSEMBLY, name);

	if (i < 0)
		return 0;
	gdb_log(GDB_LOG_ERROR, "/%s: %s", name,
		gdb_store_damaged(g->store, (uint32_t)i)->message);
	return -EIO;
}

int daemon_lookup(gdb_daemon *d, struct node *p, const char *name,
		  struct node **out, int *counted, int *vol)
{
	/* p's generation, or the current one below the root */
	struct gen *g = gen_of(d, p);
	struct node *n = NULL;
	int rc = 0;

	*counted = *vol = 0;
	__atomic_add_fetch(&d->lookups, 1, __ATOMIC_RELAXED);
	switch (p->kind) {
	case N_ROOT:
		n = lookup_root(d, g, name);
		if (!n)
			rc = damaged_asm(g, name);
		break;
	case N_GDBDIR:
		if (!strcmp(name, "stats.json"))
			n = &d->stats;
		else if (!strcmp(name, "config"))
			n = &d->config;
		else if (!strcmp(name, "log"))
			n = &d->log;
		break;
	case N_ASM:
		rc = lookup_in_asm(g, p->asm_idx, name, &n);
		break;
	case N_CONTIGDIR:
		rc = make_region(d, g, p->contig, name, &n);
		break;
	case N_NSDIR:
		rc = lookup_ns(d, p, name, &n, counted, vol);
		break;
	case N_INBOX:
		rc = lookup_inbox(d, p, name, &n);
		*counted = 1;
		break;
	default:
		rc = -ENOTDIR;
	}
	/* Only a true "no such name" is ENOENT, which the kernel may cache
	 * for a day; a failed allocation is the error it is. */
	if (rc == 0 && !n)
		rc = -ENOENT;
	/* the kernel's lookup holds n's generation (node_forget) */
	if (rc == 0 && n->gen)
		gen_hold(n->gen, 1);
	gen_put(d, g, 1);
	if (rc < 0)
		return rc;
	*out = n;
	return 0;
}

/* Directory listings are computed per call from the (immutable) store. */
const char *daemon_dir_entry(gdb_daemon *d, struct gen *g, struct node *dir,
			     uint64_t i, struct node **out, int *is_dir,
			     char *tmp, size_t tmplen)
{
	uint32_t na = gdb_store_nassemblies(g->store);

	*out = NULL;
	*is_dir = dir->kind != N_ASM && dir->kind != N_GDBDIR &&
		  dir->kind != N_CONTIGDIR;
	switch (dir->kind) {
	case N_ROOT:
		if (i == 0) {
			*out = &d->gdbdir;
			return ".gdb";
		}
		if (i - 1 < na) {
			*out = &g->asms[i - 1].dir;
			return gdb_store_assembly(g->store, (uint32_t)i - 1)
			    ->name;
		}
		if (i - 1 - na < g->nprov) {
			*out = &g->provs[i - 1 - na].top;
			return g->provs[i - 1 - na].p->name;
		}
		return NULL;
	case N_GDBDIR: {
		static const char *const names[] = {"stats.json", "config",
						    "log"};
		if (i > 2)
			return NULL;
		*out = i == 0 ? &d->stats : i == 1 ? &d->config : &d->log;
		return names[i];
	}
	case N_ASM: {
		struct asm_nodes *an = &g->asms[dir->asm_idx];
		gdb_seq_entry e;
		int r =
		    gdb_seq_list(g->store, dir->asm_idx, i, &e, tmp, tmplen);
		if (r < 0)
			return NULL;
		/* listing builds nothing (a contig's nodes, the assembly's
		 * .fa view): they come at lookup */
		if (r == 1 && e.kind < GDB_SEQ_CONTIG_DIR)
			*out = e.kind == GDB_SEQ_ASM_FA	   ? &an->fa
			       : e.kind == GDB_SEQ_ASM_FAI ? &an->fai
							   : &an->dict;
		*is_dir = r == 1 && e.kind == GDB_SEQ_CONTIG_DIR;
		return r == 0 ? "" : tmp;
	}
	case N_CONTIGDIR: /* listed, built on lookup */
		return gdb_seq_region_list(g->store, (uint32_t)dir->contig, i,
					   tmp, tmplen) < 0
			   ? NULL
			   : tmp;
	default:
		return NULL;
	}
}

/* A sequence file's read: tell the prefetcher, borrow its bytes (p set,
 * .seq) or render them into buf, time it. */
static ssize_t read_view(gdb_daemon *d, struct node *n, uint64_t off,
			 size_t size, char *buf, gdb_view_pieces *p)
{
	struct gen *g = n->gen;
	gdb_view *view = n->permanent ? n->view : node_view(d, n);
	gdb_cache_stream *stream;
	long long t0;
	uint32_t contig;
	int64_t b, e;
	ssize_t got;

	if (!view)
		return -ENOMEM;
	stream = __atomic_load_n(&n->stream, __ATOMIC_ACQUIRE);
	t0 = daemon_now_ns();
	if (stream && gdb_view_span(view, off, size, &contig, &b, &e) == 0) {
		uint32_t bb = gdb_store_contig(g->store, contig)->block_bases;
		gdb_cache_stream_access(g->cache, stream, contig,
					(uint32_t)(b / bb),
					(uint32_t)((e - 1) / bb));
	}
	got = p ? gdb_view_borrow(view, g->cache, off, size, p) : 1;
	if (got == 0)
		got = (ssize_t)p->len;
	else if (got == 1)
		got = gdb_view_read(view, g->cache, off, size, buf);
	gdb_cache_note_latency(g->cache, (uint64_t)(daemon_now_ns() - t0));
	return got;
}

/* The bytes of an answer the cache dropped: computed again, as at lookup.
 * They must come out the same (a generation is immutable): the same size
 * and CRC-32C as the first time, or EIO, logged, and never other bytes. */
static int recompute(gdb_daemon *d, struct node *n, char **data)
{
	const struct nsprov *pv = &n->gen->provs[n->prov];
	char err[256] = "";
	unsigned flags = 0;
	size_t len = 0;
	uint32_t crc = 0;
	int rc = pv->p->resolve(pv->ctx, n->path, data, &len, &flags, err,
				sizeof(err));

	if (rc == GDB_NS_FILE) {
		crc = gdb_simd()->crc32c(0, *data, len);
		if (len == n->size && crc == n->crc) {
			__atomic_add_fetch(&d->recomputed, 1, __ATOMIC_RELAXED);
			return 0;
		}
		free(*data);
		snprintf(err, sizeof(err),
			 "not the answer it was (%zu bytes, CRC-32C %08x; "
			 "first %llu bytes, %08x)",
			 len, crc, (unsigned long long)n->size, n->crc);
	} else if (rc >= 0) {
		snprintf(err, sizeof(err), "a directory now");
	}
	gdb_log(GDB_LOG_ERROR, "/%s/%s: computed again, %s", pv->p->name,
		n->path, err[0] ? err : gdb_strerror(rc));
	return rc < 0 ? rc : -EIO;
}

/* Answer n's bytes [off, off+size) in place, held (see
 * daemon_answer_hold); not counted. */
static ssize_t answer_hold(gdb_daemon *d, struct node *n, uint64_t off,
			   size_t size, const char **src)
{
	const char *data;
	size_t len =
	    off < n->size ? (n->size - off < size ? n->size - off : size) : 0;

	gdb_cache *c = n->gen->cache;

	if (!gdb_cache_answer_get(c, n->ans, &data)) {
		char *fresh;
		int rc = recompute(d, n, &fresh);
		if (rc < 0)
			return rc;
		gdb_cache_answer_fill(c, n->ans, fresh, &data);
	}
	/* read whole once, a large answer goes at its last put */
	gdb_cache_answer_served(c, n->ans, off, len);
	*src = data + (len ? off : 0);
	return (ssize_t)len;
}

ssize_t daemon_answer_hold(gdb_daemon *d, struct node *n, uint64_t off,
			   size_t size, const char **src)
{
	ssize_t got;

	__atomic_add_fetch(&d->reads, 1, __ATOMIC_RELAXED);
	got = answer_hold(d, n, off, size, src);
	if (got > 0)
		__atomic_add_fetch(&d->bytes_served, (uint64_t)got,
				   __ATOMIC_RELAXED);
	return got;
}

void daemon_answer_release(struct node *n)
{
	gdb_cache_answer_put(n->gen->cache, n->ans);
}

static ssize_t read_answer(gdb_daemon *d, struct node *n, uint64_t off,
			   size_t size, char *buf)
{
	const char *src;
	ssize_t got = answer_hold(d, n, off, size, &src);

	if (got < 0)
		return got;
	if (got)
		memcpy(buf, src, (size_t)got);
	daemon_answer_release(n);
	return got;
}

/* An assembly's .dict at its first read: rendered once (under a lock:
 * every reader waits for the one rendering), then read as any text. */
static int lazy_dict(struct node *n)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	const gdb_assembly *a;
	size_t len = 0;
	char *t;
	int rc = 0;

	if (__atomic_load_n(&n->text, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&lock);
	if (!n->text) {
		a = gdb_store_assembly(n->gen->store, n->asm_idx);
		t = gdb_render_dict(n->gen->store, a->first_contig, a->ncontigs,
				    &len);
		if (t && len != n->textlen) {
			gdb_log(GDB_LOG_ERROR, "%s.dict: %zu bytes, not %zu",
				a->name, len, n->textlen);
			free(t);
			t = NULL;
			rc = -EIO;
		} else if (!t) {
			rc = -EIO; /* gdb_seq_digests: damage or memory */
		}
		__atomic_store_n(&n->text, t, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

/* A ranged file's bytes, from its provider (errors logged by it). */
static ssize_t read_ranged(struct node *n, uint64_t off, size_t size, char *buf)
{
	size_t len = off < n->rng.size ? (n->rng.size - off < size
					      ? (size_t)(n->rng.size - off)
					      : size)
				       : 0;

	return len ? n->rng.read(n->rng.ctx, buf, len, off) : 0;
}

ssize_t daemon_read(gdb_daemon *d, struct node *n, uint64_t off, size_t size,
		    char *buf, const char **src, gdb_view_pieces *p)
{
	ssize_t got;

	__atomic_add_fetch(&d->reads, 1, __ATOMIC_RELAXED);
	*src = buf;
	if (p)
		p->n = 0;
	switch (n->kind) {
	case N_TEXT:
		if (n->lazy_dict)
			GDB_TRY(lazy_dict(n));
		got = off < n->textlen
			  ? (ssize_t)(n->textlen - off < size ? n->textlen - off
							      : size)
			  : 0;
		*src = n->text + (off < n->textlen ? off : 0);
		break;
	case N_ANSWER:
		got = read_answer(d, n, off, size, buf);
		if (got < 0)
			return got;
		break;
	case N_STATS:
		got = (ssize_t)daemon_snap_read(d, n->live, off, size, buf);
		return got; /* not counted as bytes served */
	case N_INBOXFILE:
		return gdb_inbox_file_read(n->ibf, buf, size, off);
	case N_VIEW:
	case N_RANGED:
		got = n->kind == N_VIEW ? read_view(d, n, off, size, buf, p)
					: read_ranged(n, off, size, buf);
		if (got < 0) {
			__atomic_add_fetch(&d->errors, 1, __ATOMIC_RELAXED);
			return got;
		}
		break;
	default:
		return -EISDIR;
	}
	__atomic_add_fetch(&d->bytes_served, (uint64_t)got, __ATOMIC_RELAXED);
	if (p && p->n)
		__atomic_add_fetch(&d->bytes_borrowed, (uint64_t)got,
				   __ATOMIC_RELAXED);
	return got;
}
