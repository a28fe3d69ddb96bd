/*
 * tests/unit/test_daemon_races.c - the daemon's races between a reply and
 * the FORGET the kernel may send once it has the bytes, and between a
 * parked answer's eviction and its generation's last reference, each made
 * to happen every run:
 *
 * - the FUSE operations (fs/daemon/ops.c) are driven through a libfuse
 *   session without a mount (fuse_session_custom_io): requests go in as
 *   the kernel writes them, and the session's writev, where the kernel
 *   takes a reply's bytes, sends the FORGETs the kernel may send from then
 *   on, before the worker that replied goes on;
 * - the window after forget_vol drops nodes_lock is opened by a wrapper of
 *   pthread_mutex_unlock (this binary alone links with
 *   --wrap=pthread_mutex_unlock), in which the last reference of the
 *   evicted answer's generation is given back, as another thread may.
 *
 * Each failed before a030fe5 (an answer's node, a .seq read's generation
 * and a parked answer's cache were used after they were freed: the checks
 * below say so, and make asan shows the use): see docs/RELIABILITY.md.
 * Exit 0 pass, 1 fail.
 */
#define UNIT_SEED 0x4ace5u
#include "tests/unit/unit.h"
#include "tests/unit/unit_store.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fs/daemon/ops.h"

#define CHR1_LEN 300000

static char *chr1;
static char store_dir[64];
static gdb_daemon *D;
static struct fuse_session *SE;

/* ---- the window after an unlock (forget_vol's) ---- */

int __real_pthread_mutex_unlock(pthread_mutex_t *m);
int __wrap_pthread_mutex_unlock(pthread_mutex_t *m);

/* Armed: window_fn runs once, right after the next unlock of window_lock,
 * in the thread that unlocked it. */
static pthread_mutex_t *window_lock;
static void (*window_fn)(void);

int __wrap_pthread_mutex_unlock(pthread_mutex_t *m)
{
	int rc = __real_pthread_mutex_unlock(m);
	pthread_mutex_t *want = m;

	/* claimed by one thread only: two unlocking at once run it once */
	if (m == __atomic_load_n(&window_lock, __ATOMIC_ACQUIRE) &&
	    __atomic_compare_exchange_n(&window_lock, &want, NULL, 0,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		window_fn();
	return rc;
}

static void arm_window(pthread_mutex_t *m, void (*fn)(void))
{
	window_fn = fn;
	__atomic_store_n(&window_lock, m, __ATOMIC_RELEASE);
}

/* ---- a FUSE session over a fake device ---- */

/* The last reply: its error and its bytes; taken, if set, runs once in
 * writev, when the kernel would have the bytes. */
static struct {
	int32_t error;
	char *data;
	size_t len;
	void (*taken)(void);
} reply;

static ssize_t dev_writev(int fd, struct iovec *iov, int count, void *user)
{
	const struct fuse_out_header *h = iov[0].iov_base;
	size_t total = 0, off = 0;
	void (*taken)(void) = reply.taken;

	(void)fd;
	(void)user;
	for (int i = 0; i < count; i++)
		total += iov[i].iov_len;
	free(reply.data);
	reply.data = xmalloc(total + 1);
	for (int i = 1; i < count; i++) {
		memcpy(reply.data + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	reply.error = h->error;
	reply.len = off;
	reply.taken = NULL;
	if (taken)
		taken();
	return (ssize_t)total;
}

static ssize_t dev_read(int fd, void *buf, size_t len, void *user)
{
	(void)fd;
	(void)buf;
	(void)len;
	(void)user;
	return 0; /* requests go in through send_req, never read */
}

/* One request as the kernel writes it: header, then arg. */
static void send_req(uint32_t opcode, uint64_t nodeid, const void *arg,
		     size_t len)
{
	static uint64_t unique;
	union {
		struct fuse_in_header h;
		char b[1024];
	} u;
	struct fuse_buf fb;

	memset(&u, 0, sizeof(u));
	memset(&fb, 0, sizeof(fb));
	u.h.len = (uint32_t)(sizeof(u.h) + len);
	u.h.opcode = opcode;
	u.h.unique = ++unique;
	u.h.nodeid = nodeid;
	u.h.uid = getuid();
	u.h.gid = getgid();
	u.h.pid = (uint32_t)getpid();
	memcpy(u.b + sizeof(u.h), arg, len);
	fb.mem = u.b;
	fb.size = u.h.len;
	fuse_session_process_buf(SE, &fb);
}

static int session_open(void)
{
	static const struct fuse_custom_io io = {.writev = dev_writev,
						 .read = dev_read};
	char name[] = "test_daemon_races";
	char *argv[] = {name, NULL};
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct fuse_init_in in = {.major = FUSE_KERNEL_VERSION,
				  .minor = 31,
				  .max_readahead = 1 << 20};
	int fd;

	SE =
	    fuse_session_new(&args, &gdb_daemon_ops, sizeof(gdb_daemon_ops), D);
	fuse_opt_free_args(&args);
	fd = open("/dev/null", O_RDWR);
	if (!SE || fd < 0 || fuse_session_custom_io(SE, &io, fd) != 0)
		return -1;
	send_req(FUSE_INIT, 0, &in, sizeof(in));
	return reply.error == 0 ? 0 : -1;
}

static void send_read(uint64_t ino, uint64_t off, uint32_t size)
{
	struct fuse_read_in in = {.offset = off, .size = size};

	send_req(FUSE_READ, ino, &in, sizeof(in));
}

/* The kernel drops n names at once (BATCH_FORGET), one lookup each. */
static void send_forgets(const uint64_t *ino, unsigned n)
{
	struct {
		struct fuse_batch_forget_in h;
		struct fuse_forget_one one[8];
	} in;

	memset(&in, 0, sizeof(in));
	in.h.count = n;
	for (unsigned i = 0; i < n && i < 8; i++)
		in.one[i] = (struct fuse_forget_one){ino[i], 1};
	send_req(FUSE_BATCH_FORGET, 0, &in,
		 sizeof(in.h) + n * sizeof(in.one[0]));
}

/* ---- walking paths, as the kernel does ---- */

struct walk {
	uint64_t ino[8]; /* the last first: forgotten in this order */
	unsigned n;
	gdb_daemon_entry e;
};

static int lookup_path(const char *path, struct walk *w)
{
	char buf[512], *save = NULL;
	uint64_t ino = GDB_DAEMON_ROOT, got[8];
	unsigned n = 0;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *c = strtok_r(buf, "/", &save); c && n < 8;
	     c = strtok_r(NULL, "/", &save)) {
		int rc = gdb_daemon_lookup(D, ino, c, &w->e);
		if (rc < 0) {
			FAIL("%s: %s", path, strerror(-rc));
			while (n)
				gdb_daemon_forget(D, got[--n], 1);
			return rc;
		}
		got[n++] = ino = w->e.ino;
	}
	for (unsigned i = 0; i < n; i++)
		w->ino[i] = got[n - 1 - i];
	w->n = n;
	return 0;
}

static void forget_walk(const struct walk *w, unsigned from)
{
	for (unsigned i = from; i < w->n; i++)
		gdb_daemon_forget(D, w->ino[i], 1);
}

static uint64_t live_nodes(void)
{
	return __atomic_load_n(&D->live_nodes, __ATOMIC_RELAXED);
}

static uint64_t live_gens(void)
{
	uint64_t n;

	pthread_mutex_lock(&D->gen_lock);
	n = D->ngens;
	pthread_mutex_unlock(&D->gen_lock);
	return n;
}

/* A commit (an assembly more) and its refresh: a new generation. */
static int new_generation(void)
{
	static int k;
	static const char *const names[] = {"x"};
	char asmname[16], seq[] = "ACGTACGTAC", *seqs[] = {seq}, err[256];
	int64_t lens[] = {10};

	snprintf(asmname, sizeof(asmname), "extra%d", k++);
	if (unit_store_add(store_dir, asmname, names, seqs, lens, 1) < 0)
		return -1;
	if (gdb_daemon_refresh(D, err, sizeof(err)) != 1) {
		FAIL("refresh after a commit: %s", err);
		return -1;
	}
	return 0;
}

/* ---- (b) a worker uses what it replied from after the reply ---- */

static struct walk taken_walk;
static uint64_t want_live; /* in writev, after the FORGETs */
static int taken;

/* The kernel, once it has an answer's bytes, forgets the file's name;
 * checked here, before the worker goes on (and, before the fix, used the
 * freed node). */
static void forget_file(void)
{
	send_forgets(taken_walk.ino, 1);
	taken = 1;
	CHECK(live_nodes() == want_live,
	      "the answer's node was freed by the FORGET that followed its "
	      "reply (%llu nodes, %llu before) while the worker still "
	      "released its answer",
	      (unsigned long long)live_nodes(), (unsigned long long)want_live);
}

/* An answer is replied to from its bytes in the cache, then released:
 * its node must outlive the reply (node_pin). */
static void test_answer_reply(void)
{
	static const char path[] = "compute/gc/t/chr1/1-5000@w=500.tsv";
	struct walk *w = &taken_walk;
	char *want;
	ssize_t got;
	uint64_t live0;

	if (lookup_path(path, w) < 0)
		return;
	want = xmalloc(w->e.size + 1);
	got = gdb_daemon_read(D, w->e.ino, 0, w->e.size, want);
	CHECK(got == (ssize_t)w->e.size && got > 0, "%s: %zd bytes", path, got);
	live0 = want_live = live_nodes();
	taken = 0;
	reply.taken = forget_file;
	send_read(w->e.ino, 0, 1 << 16);
	CHECK(reply.error == 0 && reply.len == w->e.size &&
		  !memcmp(reply.data, want, w->e.size),
	      "%s: read error %d, %zu bytes", path, reply.error, reply.len);
	CHECK(taken, "the reply never reached the device");
	CHECK(live_nodes() == live0 - 1,
	      "the answer's node lives on after its last forget (%llu, "
	      "%llu before)",
	      (unsigned long long)live_nodes(), (unsigned long long)live0);
	forget_walk(w, 1);
	free(want);
}

/* The kernel, once it has a .seq read's bytes, forgets the file and its
 * directories (the whole dentry chain, one BATCH_FORGET). */
static void forget_chain(void)
{
	send_forgets(taken_walk.ino, taken_walk.n);
	taken = 1;
	CHECK(live_gens() == 2,
	      "the old generation was freed by the FORGETs that followed the "
	      "reply (%llu live) while the worker still gave its blocks back "
	      "to its cache",
	      (unsigned long long)live_gens());
}

/* A .seq read replies from borrowed blocks of its generation's cache and
 * gives them back after the reply: the generation, no longer current and
 * held only by the file's lookups, must outlive the reply (gen_of). */
static void test_borrowed_reply(void)
{
	struct walk *w = &taken_walk;
	uint64_t borrowed0, gens0;

	if (lookup_path("t/chr1/1-300000.seq", w) < 0)
		return;
	if (new_generation() < 0) {
		forget_walk(w, 0);
		return;
	}
	gens0 = live_gens();
	CHECK(gens0 == 2, "%llu generations live", (unsigned long long)gens0);
	borrowed0 = __atomic_load_n(&D->bytes_borrowed, __ATOMIC_RELAXED);
	taken = 0;
	reply.taken = forget_chain;
	send_read(w->e.ino, 65536, 131072);
	CHECK(reply.error == 0 && reply.len == 131072 &&
		  !memcmp(reply.data, chr1 + 65536, 131072),
	      "1-300000.seq: read error %d, %zu bytes", reply.error, reply.len);
	CHECK(__atomic_load_n(&D->bytes_borrowed, __ATOMIC_RELAXED) ==
		  borrowed0 + 131072,
	      "the read did not reply from borrowed blocks");
	CHECK(taken, "the reply never reached the device");
	CHECK(live_gens() == 1,
	      "the old generation lives on after its last forget (%llu live)",
	      (unsigned long long)live_gens());
}

/* ---- (a) a parked answer evicted while its generation goes ---- */

static struct gen *old_gen;
static int window_ran;

/* Right after forget_vol dropped nodes_lock: the evicted answer must have
 * given its bytes back to its generation's cache already, for that
 * generation's last reference now goes (as another thread's may). */
static void parked_window(void)
{
	gdb_cache_stats cs;

	gdb_cache_stats_get(old_gen->cache, &cs);
	CHECK(cs.answer_bytes == 0,
	      "an evicted parked answer still held %llu bytes of its "
	      "generation's cache when nodes_lock was dropped",
	      (unsigned long long)cs.answer_bytes);
	gen_put(D, old_gen, 1);
	old_gen = NULL;
	window_ran = 1;
}

static gdb_inbox *compute_inbox(struct gen *g)
{
	for (unsigned i = 0; i < g->nprov; i++)
		if (!strcmp(g->provs[i].p->name, "compute"))
			return g->provs[i].inbox;
	return NULL;
}

/* A query set in compute/queries: a piece of chr1. */
static int put_queries(gdb_inbox *b)
{
	gdb_inbox_file *f = NULL;
	char text[128];
	int n = snprintf(text, sizeof(text), ">q\n%.60s\n", chr1 + 1000);
	int rc = b ? gdb_inbox_open(b, "q.fa", 1, &f) : -ENOENT;

	if (rc >= 0 && gdb_inbox_file_write(f, text, (size_t)n, 0) != n)
		rc = -EIO;
	gdb_inbox_file_put(f);
	return rc < 0 ? rc : 0;
}

/* Look a volatile answer up and forget it (it is parked). */
static int park_one(int k, int arm)
{
	char path[128];
	struct walk w;

	snprintf(path, sizeof(path), "compute/align/t/chr1/1-%d/@q.sam",
		 3000 + k);
	if (lookup_path(path, &w) < 0)
		return -1;
	if (arm)
		arm_window(&D->nodes_lock, parked_window);
	forget_walk(&w, 0);
	return 0;
}

static void test_parked_eviction(void)
{
	gdb_cache_stats cs;
	int k;

	old_gen = gen_current(D);
	if (put_queries(compute_inbox(old_gen)) < 0) {
		FAIL("queries/q.fa not written");
		gen_put(D, old_gen, 1);
		return;
	}
	/* the oldest parked answer, in the generation about to go */
	if (park_one(0, 0) < 0 || new_generation() < 0) {
		gen_put(D, old_gen, 1);
		return;
	}
	gdb_cache_stats_get(old_gen->cache, &cs);
	CHECK(cs.answer_bytes > 0 && D->nparked == 1,
	      "the parked answer holds %llu bytes, %llu parked",
	      (unsigned long long)cs.answer_bytes,
	      (unsigned long long)D->nparked);
	/* 32 more in the new generation: the last one's forget evicts the
	 * oldest (PARK_MAX) */
	for (k = 1; k <= 32 && park_one(k, k == 32) == 0; k++)
		;
	CHECK(window_ran, "the eviction never dropped nodes_lock");
	if (!window_ran) {
		window_lock = NULL;
		gen_put(D, old_gen, 1);
	}
	CHECK(D->nparked == 32 && live_gens() == 1,
	      "%llu parked, %llu generations live",
	      (unsigned long long)D->nparked, (unsigned long long)live_gens());
}

int main(void)
{
	static const char *const names[] = {"chr1"};
	gdb_fs_opts o = {.cache_bytes = 64u << 20};
	char err[512];
	int64_t lens[] = {CHR1_LEN};

	gdb_log_set_level(GDB_LOG_ERROR);
	chr1 = xmalloc(CHR1_LEN);
	for (int i = 0; i < CHR1_LEN; i++)
		chr1[i] = "ACGT"[rnd() & 3];
	if (unit_store_dir(store_dir) < 0 ||
	    unit_store_build(store_dir, "t", names, &chr1, lens, 1) < 0)
		return T_EXIT_FAIL;
	o.store_path = store_dir;
	if (gdb_daemon_open(&o, &D, err, sizeof(err)) < 0) {
		fprintf(stderr, "daemon: %s\n", err);
		return T_EXIT_FAIL;
	}
	pthread_key_create(&D->buf_key, ops_thread_buf_free);
	if (session_open() < 0) {
		FAIL("no FUSE session over a fake device");
	} else {
		test_answer_reply();
		test_borrowed_reply();
		test_parked_eviction();
	}
	if (SE)
		fuse_session_destroy(SE);
	ops_thread_buf_release(D);
	pthread_key_delete(D->buf_key);
	gdb_daemon_close(D);
	free(reply.data);
	free(chr1);
	unit_store_rm(store_dir);
	if (failures)
		fprintf(stderr, "test_daemon_races: %d failure(s)\n", failures);
	else
		printf("test_daemon_races: ok\n");
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
