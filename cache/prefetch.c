/*
 * cache/prefetch.c - the prefetch thread and the streams that feed it: a
 * dedicated thread decodes blocks ahead of readers (its disk reads asked
 * for through io_uring, IORING_OP_MADVISE, so neither it nor a FUSE worker
 * waits on a page fault per block); per-file access-pattern detection
 * (gdb_cache_stream) opens a readahead window that doubles while the
 * reader keeps up, follows a constant stride one step ahead, and gives
 * back the blocks a long sequential run has passed. Streams, requests and
 * pass marks name contigs by cache id (cache_int.h): a .u8 reader's are
 * its code entries. The entries themselves belong to cache.c.
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>

#include "cache/cache_int.h"

static void *pf_main(void *arg);

int gdb_cache_start_prefetch(gdb_cache *c)
{
	int rc;

	if (c->pf_running)
		return 0;
	__atomic_store_n(&c->pf_stop, 0, __ATOMIC_RELAXED); /* a restart */
	/* The ring belongs to the prefetch thread; made here, after any
	 * fork the caller did (a daemon forks after creating the cache). */
	c->ring_ok = io_uring_queue_init(PF_BATCH * 2, &c->ring, 0) == 0;
	if (!c->ring_ok)
		gdb_log(GDB_LOG_INFO, "io_uring unavailable: prefetch reads "
				      "fault pages in one by one");
	rc = pthread_create(&c->pf_thread, NULL, pf_main, c);
	if (rc) {
		if (c->ring_ok)
			io_uring_queue_exit(&c->ring);
		c->ring_ok = 0;
		return -rc;
	}
	__atomic_store_n(&c->pf_running, 1, __ATOMIC_RELEASE);
	/* From now on the prefetcher reads ahead for sequential readers:
	 * a random read faults in only the block it needs. */
	gdb_store_access_random(c->store);
	return 0;
}

/* Queue bases [beg, end) of cache id cid (a stream's: stream set). */
static int prefetch_req(gdb_cache *c, uint32_t cid, int64_t beg, int64_t end,
			int stream)
{
	const gdb_contig *ct = gdb_store_contig(c->store, real_contig(cid));
	int rc = 0;

	if (!ct || beg < 0 || beg >= end || end > ct->length)
		return -EINVAL;
	if (!__atomic_load_n(&c->pf_running, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	pthread_mutex_lock(&c->pf_lock);
	if (c->pf_tail - c->pf_head == PF_QUEUE) {
		rc = -EAGAIN;
	} else {
		struct pf_req *r = &c->pf_q[c->pf_tail++ % PF_QUEUE];
		r->contig = cid;
		r->first = (uint32_t)(beg / ct->block_bases);
		r->count =
		    (uint32_t)((end - 1) / ct->block_bases) - r->first + 1;
		r->stream = stream;
		pthread_cond_signal(&c->pf_cond);
	}
	pthread_mutex_unlock(&c->pf_lock);
	return rc;
}

int gdb_cache_prefetch(gdb_cache *c, uint32_t contig, int64_t beg, int64_t end)
{
	if (contig & U8_FORM)
		return -EINVAL;
	return prefetch_req(c, contig, beg, end, 0);
}

/* Streams gave back blocks [lo, hi) of contig: continue the mark that
 * ends at lo, or take the oldest slot. */
static void mark_passed(gdb_cache *c, uint32_t contig, uint32_t lo, uint32_t hi)
{
	struct pass_mark *m = NULL;

	pthread_mutex_lock(&c->pf_lock);
	for (unsigned i = 0; i < PASS_MARKS && !m; i++)
		if (c->marks[i].contig == contig && c->marks[i].hi == lo &&
		    c->marks[i].hi > c->marks[i].lo)
			m = &c->marks[i];
	if (m) {
		m->hi = hi;
	} else {
		m = &c->marks[c->mark_next++ % PASS_MARKS];
		*m = (struct pass_mark){contig, lo, hi};
	}
	pthread_mutex_unlock(&c->pf_lock);
}

/* A stream starts a run at block first of contig: it wants blocks from
 * there on prefetched again. */
static void unmark_from(gdb_cache *c, uint32_t contig, uint32_t first)
{
	pthread_mutex_lock(&c->pf_lock);
	for (unsigned i = 0; i < PASS_MARKS; i++) {
		struct pass_mark *m = &c->marks[i];
		if (m->contig == contig && m->hi > first)
			m->hi = m->lo > first ? m->lo : first;
	}
	pthread_mutex_unlock(&c->pf_lock);
}

static int was_passed(gdb_cache *c, uint32_t contig, uint32_t b)
{
	int r = 0;

	pthread_mutex_lock(&c->pf_lock);
	for (unsigned i = 0; i < PASS_MARKS && !r; i++)
		r = c->marks[i].contig == contig && b >= c->marks[i].lo &&
		    b < c->marks[i].hi;
	pthread_mutex_unlock(&c->pf_lock);
	return r;
}

static int resident(gdb_cache *c, uint32_t contig, uint32_t block)
{
	uint64_t key = make_key(contig, block);
	struct shard *sh = key_shard(c, key);
	int r;

	pthread_mutex_lock(&sh->lock);
	r = cache_find_locked(sh, key) != NULL;
	pthread_mutex_unlock(&sh->lock);
	return r;
}

/*
 * Ask the kernel to read a batch of blocks' bytes ahead, all at once,
 * through io_uring (IORING_OP_MADVISE on the store's mapping, one request
 * per run of consecutive blocks); then the decodes below find the pages in
 * memory instead of faulting one by one. Without a ring, madvise directly.
 */
static void advise_batch(gdb_cache *c, uint32_t cid, const uint32_t *blk,
			 unsigned n)
{
	uint32_t contig = real_contig(cid);
	unsigned queued = 0;

	for (unsigned i = 0, j; i < n; i = j) {
		const void *p, *q;
		size_t len, qlen;
		struct io_uring_sqe *sqe;
		uintptr_t a, e;

		for (j = i + 1; j < n && blk[j] == blk[j - 1] + 1; j++)
			;
		if (!c->ring_ok) {
			gdb_store_advise(c->store, contig, blk[i], blk[j - 1]);
			continue;
		}
		if (gdb_store_block_span(c->store, contig, blk[i], &p, &len) <
			0 ||
		    gdb_store_block_span(c->store, contig, blk[j - 1], &q,
					 &qlen) < 0)
			continue;
		a = (uintptr_t)p & ~(uintptr_t)4095;
		e = ((uintptr_t)q + qlen + 4095) & ~(uintptr_t)4095;
		if (e <= a) /* not in file order: the first block alone */
			e = ((uintptr_t)p + len + 4095) & ~(uintptr_t)4095;
		sqe = io_uring_get_sqe(&c->ring);
		if (!sqe)
			break;
		/* The mapping is read-only; MADV_WILLNEED only reads it. */
		io_uring_prep_madvise(sqe, (void *)a, (off_t)(e - a),
				      MADV_WILLNEED);
		queued++;
	}
	if (!queued || io_uring_submit_and_wait(&c->ring, queued) < 0)
		return;
	for (unsigned i = 0; i < queued; i++) {
		struct io_uring_cqe *cqe;
		if (io_uring_wait_cqe(&c->ring, &cqe) < 0)
			break;
		io_uring_cqe_seen(&c->ring, cqe);
	}
}

/* Advise the blocks of [first, last] of cache id cid not resident, run by
 * run (a reader about to read them all; resident blocks need no disk). */
void cache_advise_missing(gdb_cache *c, uint32_t cid, uint32_t first,
			  uint32_t last)
{
	uint32_t run = UINT32_MAX, contig = real_contig(cid);

	if (first > last)
		return;
	for (uint32_t b = first;; b++) {
		int need = !resident(c, cid, b);
		if (need && run == UINT32_MAX)
			run = b;
		if (!need && run != UINT32_MAX) {
			gdb_store_advise(c->store, contig, run, b - 1);
			run = UINT32_MAX;
		}
		if (b == last)
			break;
	}
	if (run != UINT32_MAX)
		gdb_store_advise(c->store, contig, run, last);
}

/* Under pf_lock: wait up to ms for a request or stop. */
static void pf_wait(gdb_cache *c, unsigned ms)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	t.tv_sec += ms / 1000 + t.tv_nsec / 1000000000L;
	t.tv_nsec %= 1000000000L;
	while (c->pf_head == c->pf_tail && !c->pf_stop &&
	       pthread_cond_timedwait(&c->pf_cond, &c->pf_lock, &t) == 0)
		;
}

/* Asked to stop (gdb_cache_stop_prefetch): the thread leaves the request
 * in hand at the next block, so an unmount waits for one block's read and
 * decode, not for the rest of a whole contig (`prefetch-region=` of a
 * 6.7 Gbp contig held a daemon 12.8 s past its unmount). */
static int pf_stopping(gdb_cache *c)
{
	return __atomic_load_n(&c->pf_stop, __ATOMIC_RELAXED);
}

static void pf_decode(gdb_cache *c, uint32_t contig, const uint32_t *blk,
		      unsigned n)
{
	for (unsigned i = 0; i < n && !pf_stopping(c); i++) {
		uint64_t key = make_key(contig, blk[i]);
		(void)cache_load_block(c, key_hash(key) % NSHARDS, contig,
				       blk[i], 1, NULL);
	}
}

/* One request: its blocks not resident, in batches; each batch is advised
 * before the one before it is decoded, so the disk reads while the CPU
 * decodes. A stream's request is not advised again: the stream asked the
 * disk for PF_DISK_AHEAD windows already (gdb_cache_stream_access), and
 * an IORING_OP_MADVISE runs on an io_uring worker thread this thread then
 * waits for, two task switches a batch for nothing (docs/CACHE.md). */
static void pf_run(gdb_cache *c, const struct pf_req *r)
{
	uint32_t batch[2][PF_BATCH];
	unsigned n[2] = {0, 0}, cur = 0;

	for (uint32_t b = r->first; b < r->first + r->count && !pf_stopping(c);
	     b++) {
		if (!resident(c, r->contig, b) &&
		    !(r->stream && was_passed(c, r->contig, b)))
			batch[cur][n[cur]++] = b;
		if (n[cur] == PF_BATCH ||
		    (n[cur] && b + 1 == r->first + r->count)) {
			if (!r->stream) {
				advise_batch(c, r->contig, batch[cur], n[cur]);
				__atomic_add_fetch(&c->pf_advised, n[cur],
						   __ATOMIC_RELAXED);
			}
			pf_decode(c, r->contig, batch[!cur], n[!cur]);
			n[!cur] = 0;
			cur = !cur;
		}
	}
	pf_decode(c, r->contig, batch[!cur], n[!cur]);
}

static void *pf_main(void *arg)
{
	gdb_cache *c = arg;
	unsigned backoff_ms = 0;

	(void)prctl(PR_SET_NAME, "gdb-prefetch"); /* for top and perf */
	for (;;) {
		struct pf_req r;

		backoff_ms = cache_buf_keep_spare(c, backoff_ms);
		pthread_mutex_lock(&c->pf_lock);
		if (backoff_ms)
			pf_wait(c, backoff_ms);
		else
			while (c->pf_head == c->pf_tail && !c->pf_stop &&
			       cache_buf_spare_ready(c))
				pthread_cond_wait(&c->pf_cond, &c->pf_lock);
		if (c->pf_stop) {
			pthread_mutex_unlock(&c->pf_lock);
			return NULL;
		}
		if (c->pf_head == c->pf_tail) {
			pthread_mutex_unlock(&c->pf_lock);
			continue; /* woken to make a spare chunk, or to retry */
		}
		r = c->pf_q[c->pf_head++ % PF_QUEUE];
		pthread_mutex_unlock(&c->pf_lock);
		pf_run(c, &r);
	}
}

void gdb_cache_set_prefetch(gdb_cache *c, int enabled)
{
	__atomic_store_n(&c->pf_enabled, enabled ? 1 : 0, __ATOMIC_RELAXED);
}

void gdb_cache_stream_init(gdb_cache_stream *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_init(&st->lock, NULL);
	st->last_first = st->last_end = -2;
}

void gdb_cache_stream_destroy(gdb_cache_stream *st)
{
	pthread_mutex_destroy(&st->lock);
}

/*
 * Give back blocks [lo, hi) of contig, which a long sequential read has
 * passed, unless pinned or used by another reader (passable). A block
 * still borrowed (a reply written from it is in flight) goes at its last
 * put instead.
 */
static void release_passed(gdb_cache *c, uint32_t contig, int64_t lo,
			   int64_t hi)
{
	mark_passed(c, contig, (uint32_t)lo, (uint32_t)hi);
	for (int64_t b = lo; b < hi; b++) {
		uint64_t key = make_key(contig, (uint32_t)b);
		struct shard *sh = key_shard(c, key);
		gdb_cache_entry *x;

		pthread_mutex_lock(&sh->lock);
		x = cache_find_locked(sh, key);
		if (x && !passable(x))
			x = NULL;
		if (x && x->e.refs) {
			x->pass = 1;
			x = NULL;
		}
		if (x)
			cache_pass_locked(c, sh, x);
		pthread_mutex_unlock(&sh->lock);
		if (x)
			cache_buf_give(c, x, 0);
	}
}

void gdb_cache_stream_access(gdb_cache *c, gdb_cache_stream *st,
			     uint32_t contig, uint32_t first, uint32_t last)
{
	const gdb_contig *ct = gdb_store_contig(c->store, contig);
	int64_t from = -1, to = -1, disk_from = 0, disk_to = 0;
	int64_t pass_from = 0, pass_to = 0;
	int new_run = 0, seq = 0;
	uint32_t cid = contig | (st->u8 ? U8_FORM : 0); /* the reader's form */

	if (!ct || (contig & U8_FORM))
		return;
	/* The read's own blocks, one disk request for those not resident
	 * (one block alone is advised by the store as it is decoded). */
	if (last > first)
		cache_advise_missing(c, cid, first, last);
	pthread_mutex_lock(&st->lock);
	if (st->contig == contig && st->run > 0 &&
	    (int64_t)first >= st->passed && (int64_t)first < st->last_first) {
		/* A read of this run that a worker started after the next
		 * one (the kernel sends a few at once): nothing changes. */
		pthread_mutex_unlock(&st->lock);
		return;
	}
	/* Sequential: from inside the last read up to the window past it
	 * (a read that overtook the one before it continues the run). */
	if (st->contig == contig && (int64_t)first >= st->last_first &&
	    (int64_t)first <= st->last_end + 1 + st->window) {
		/* The window doubles while the reader keeps up. */
		seq = 1;
		st->run++;
		st->window = st->window ? st->window * 2 : 1;
		if (st->window > PF_MAXWIN)
			st->window = PF_MAXWIN;
		from = (int64_t)last + 1 > st->ahead ? (int64_t)last + 1
						     : st->ahead;
		to = (int64_t)last + 1 + st->window;
		/* The disk runs further ahead than the decodes: cheap (page
		 * cache only), and a reader then never waits for the disk. */
		disk_to = (int64_t)last + 1 + st->window * PF_DISK_AHEAD;
		if (disk_to > ct->nblocks)
			disk_to = ct->nblocks;
		disk_from = st->advised > from ? st->advised : from;
		if (disk_to > disk_from)
			st->advised = disk_to;
		/* A long run gives back what it has passed: the blocks before
		 * the read before the last (that one may still be in flight
		 * on another worker). */
		if (st->run >= PASS_RUN && st->prev_first > st->passed) {
			pass_from = st->passed;
			pass_to = st->prev_first;
			st->passed = st->prev_first;
		}
	} else {
		int64_t stride = (int64_t)first - st->last_first;
		if (st->contig == contig && stride > 1 &&
		    stride == st->stride) {
			/* Constant stride: fetch the next step. */
			from = (int64_t)first + stride;
			to = (int64_t)last + stride + 1;
		}
		st->stride = stride;
		st->window = 0;
		st->run = 0;
		st->ahead = 0;
		st->advised = 0;
		st->passed = first;
		new_run = 1;
	}
	st->contig = contig;
	st->prev_first = st->last_first;
	st->last_first = first;
	st->last_end = last;
	if (to > ct->nblocks)
		to = ct->nblocks;
	if (from >= 0 && from < to)
		st->ahead = to;
	pthread_mutex_unlock(&st->lock);
	if (new_run)
		unmark_from(c, cid, first);
	/* Passing does not depend on prefetch; reading ahead does. */
	if (pass_to > pass_from)
		release_passed(c, cid, pass_from, pass_to);
	if (!__atomic_load_n(&c->pf_enabled, __ATOMIC_RELAXED))
		return;
	if (disk_to > disk_from)
		gdb_store_advise(c->store, contig, (uint32_t)disk_from,
				 (uint32_t)(disk_to - 1));
	if (from >= 0 && from < to) {
		int64_t end = to * (int64_t)ct->block_bases;
		if (end > ct->length)
			end = ct->length;
		/* A sequential run has asked the disk for these blocks
		 * already (disk_to above); a stride has not, so its request
		 * goes as a plain one, advised by the prefetch thread. */
		(void)prefetch_req(c, cid, from * ct->block_bases, end, seq);
	}
}
