/*
 * tests/unit/test_variants_render.c - region .vcf answers written into
 * reused buffers are the bytes of a fresh render. A store holds two
 * generated sets over one reference (deterministic: 120 and 80 samples,
 * 10,000 and 8,000 sites, answers of megabytes). Each answer is first
 * rendered with the pool of large buffers (common/bigbuf.h) drained and
 * kept as the reference; then:
 *   - a shorter answer is written into a longer one's buffer given back
 *     to the pool (checked by its address), whose old bytes lie past it;
 *   - answers of the two sets are interleaved, each taking the buffer the
 *     other gave back, and the second halves go into the buffers kept
 *     from answer to answer, whatever the previous answer's size;
 *   - a streamed answer read window by window, its windows rendered into
 *     buffers earlier windows gave back, equals the whole answer;
 *   - the kept buffers are counted by the pages of their text, and
 *     drained;
 *   - a child forked while one is kept starts with none (they are the
 *     parent's pages) and renders the same answer, also when forked while
 *     another thread holds their lock (giving one back).
 *   - a child forked while another thread is inside a stream's lock, or
 *     while its worker renders a window ahead, reads the stream it
 *     inherits whole and right (and the parent's reader too).
 *
 * Exit status: 0 pass, 1 fail (the first failures are printed).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define UNIT_SEED 0x76617272656e64ull
#include "tests/unit/unit.h"
#include "tests/unit/unit_store.h"

#include "common/bigbuf.h"
#include "variants/variants.h"

#define REF_LEN 400000
#define STEP 40 /* a site every STEP bases: REF_LEN / STEP sites at most */

static char *reference(void)
{
	char *s = xmalloc(REF_LEN + 1);

	for (int i = 0; i < REF_LEN; i++)
		s[i] = "ACGT"[rnd() % 4];
	s[REF_LEN] = 0;
	return s;
}

/* A VCF of ns samples and a site every STEP bases over [0, sites * STEP)
 * of ref: mostly phased diploid calls, some unphased and missing. */
static void write_vcf(const char *path, const char *ref, int ns, int sites)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		FAIL("cannot write %s", path);
		return;
	}
	fprintf(f,
		"##fileformat=VCFv4.2\n##contig=<ID=c1,length=%d>\n"
		"##INFO=<ID=DP,Number=1,Type=Integer,Description=\"d\">\n"
		"##FORMAT=<ID=GT,Number=1,Type=String,Description=\"g\">\n"
		"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT",
		REF_LEN);
	for (int j = 0; j < ns; j++)
		fprintf(f, "\tS%d", j);
	for (int i = 0; i < sites; i++) {
		int pos = 1 + STEP * i;
		char r = ref[pos - 1], a = r == 'A' ? 'G' : 'A';
		fprintf(f, "\nc1\t%d\trs%d\t%c\t%c\t%d\tPASS\tDP=%d\tGT", pos,
			1000 + i, r, a, 20 + i % 40, (int)(rnd() % 500));
		for (int j = 0; j < ns; j++) {
			unsigned x = (unsigned)(rnd() % 100);
			fprintf(f, "\t%s",
				x < 50	 ? "0|0"
				: x < 70 ? "0|1"
				: x < 85 ? "1|0"
				: x < 95 ? "1|1"
				: x < 98 ? "0/1"
					 : "./.");
		}
	}
	fprintf(f, "\n");
	fclose(f);
}

static int import(const char *dir, const char *set, const char *vcf)
{
	gdb_vcf_import_opts o = {.set = set, .reference = "r"};
	char target[64];
	gdb_provenance p = {.target = target, .source = vcf};
	gdb_vcf_import_stats st;
	gdb_store *s = NULL;
	gdb_txn *t = NULL;
	char err[512] = "";
	int rc = gdb_store_open(dir, 0, &s, err, sizeof(err));

	snprintf(target, sizeof(target), GDB_VSET_PREFIX "%s", set);
	p.command = "unit";
	if (rc == 0)
		rc = gdb_txn_begin(dir, &t, err, sizeof(err));
	if (rc == 0)
		rc = gdb_vcf_import(t, s, vcf, &o, &st, err, sizeof(err));
	rc = unit_txn_finish(t, rc, &p, err, sizeof(err));
	gdb_store_close(s);
	if (rc < 0)
		FAIL("import %s: %s (%d)", set, err, rc);
	return rc;
}

struct answer {
	gdb_vset *v;
	int64_t beg, end;
	char *want; /* the fresh render */
	size_t len;
};

static char *render(struct answer *a, size_t *len)
{
	char *out = NULL;
	int rc = gdb_vset_render(a->v, 0, a->beg, a->end, NULL, GDB_VF_VCF,
				 (size_t)64 << 20, &out, len);

	if (rc < 0) {
		FAIL("render %lld-%lld: %d", (long long)a->beg,
		     (long long)a->end, rc);
		return NULL;
	}
	return out;
}

/* Render a again: its bytes must be the fresh ones. */
static char *again(struct answer *a, const char *what)
{
	size_t len = 0;
	char *p = render(a, &len);

	if (p && (len != a->len || memcmp(p, a->want, len)))
		FAIL("%s: %lld-%lld differs from a fresh render (%zu, %zu)",
		     what, (long long)a->beg, (long long)a->end, len, a->len);
	return p;
}

/* Read s whole into got (a->len bytes) from wherever it is; what says
 * whose read it is. @return 1 when the bytes are a's whole answer. */
static int read_whole(gdb_vstream *s, struct answer *a, char *got,
		      const char *what)
{
	uint64_t off = 0;

	while (off < a->len) {
		ssize_t n = gdb_vstream_read(s, got + off, 131072, off);
		if (n <= 0) {
			FAIL("%s: stream read at %llu: %zd", what,
			     (unsigned long long)off, n);
			return 0;
		}
		off += (uint64_t)n;
	}
	return off == a->len && !memcmp(got, a->want, a->len);
}

/* The answer of s read whole through a stream with nothing kept (each
 * window rendered as read, into a buffer an earlier one gave back). */
static void check_stream(struct answer *a)
{
	gdb_vstream *s = NULL;
	char *got = xmalloc(a->len + 1);

	if (gdb_vstream_open(a->v, 0, a->beg, a->end, NULL, GDB_VF_VCF, 1, 0,
			     &s) < 0) {
		FAIL("stream open");
		free(got);
		return;
	}
	CHECK(gdb_vstream_size(s) == a->len, "stream size %llu, whole %zu",
	      (unsigned long long)gdb_vstream_size(s), a->len);
	CHECK(read_whole(s, a, got, "whole"),
	      "streamed bytes differ from the whole answer");
	gdb_vstream_close(s);
	CHECK(gdb_vset_windows_held(a->v) == 0,
	      "windows held after close: %llu",
	      (unsigned long long)gdb_vset_windows_held(a->v));
	free(got);
}

static void check_reuse(struct answer *x, int nx)
{
	char *p, *q;
	unsigned n;
	size_t bytes;

	/* the references, fresh */
	for (int i = 0; i < nx; i++) {
		gdb_bigbuf_drain();
		x[i].want = render(&x[i], &x[i].len);
		CHECK(x[i].want && x[i].len > GDB_BIGBUF_MIN, "answer %d: %zu",
		      i, x[i].len);
		if (!x[i].want)
			return;
	}
	/* x[0] (the longest) given back, x[1] written into its buffer */
	gdb_bigbuf_drain();
	p = again(&x[0], "fresh again");
	gdb_bigbuf_put(p);
	q = again(&x[1], "into a longer answer's buffer");
	CHECK(q == p, "the shorter answer did not take the pooled buffer");
	gdb_bigbuf_put(q);
	/* the two sets in turn, each into the buffer the other gave back */
	for (int r = 0; r < 6; r++) {
		struct answer *a = r % 2 ? &x[4] : &x[2],
			      *b = r % 2 ? &x[1] : &x[3];
		char *u = again(a, "interleaved");
		gdb_bigbuf_put(u);
		u = again(b, "interleaved");
		gdb_bigbuf_put(u);
	}
	gdb_bigbuf_pooled(&n, &bytes);
	CHECK(n >= 1 && bytes <= GDB_BIGBUF_POOL_BYTES, "pool %u %zu", n,
	      bytes);
	check_stream(&x[0]);
	check_stream(&x[4]);
}

/* The kept text buffers: a region's second half leaves one, counted by
 * the pages of its text (the answer's bytes at most, to whole pages,
 * whatever its buffer's size), and drained to none; the answer after is
 * the same. */
static void check_spares(struct answer *a)
{
	unsigned n;
	size_t bytes;
	char *p;

	gdb_variants_spares_drain();
	gdb_variants_spares(&n, &bytes);
	CHECK(n == 0 && bytes == 0, "drained: %u spares, %zu bytes", n, bytes);
	p = again(a, "with no spare");
	free(p);
	gdb_variants_spares(&n, &bytes);
	CHECK(n == 1 && bytes >= 4096 && bytes <= a->len + 4096,
	      "after a %zu-byte answer: %u spares, %zu bytes", a->len, n,
	      bytes);
	p = again(a, "into a spare");
	free(p);
	gdb_variants_spares_drain();
	gdb_variants_spares(&n, &bytes);
	CHECK(n == 0 && bytes == 0, "drained: %u spares, %zu bytes", n, bytes);
}

/* The forked child: exit 0 when it starts with no kept buffer, renders a
 * right, and keeps that answer's half; else 1. A lock inherited held
 * hangs it: the parent kills it (unit_wait_child). */
static void spares_child(void *arg)
{
	struct answer *a = arg;
	unsigned n;
	size_t bytes, len = 0;
	char *p;
	int ok, failed = failures;

	gdb_variants_spares(&n, &bytes);
	ok = n == 0 && bytes == 0;
	p = render(a, &len);
	ok = ok && p && len == a->len && !memcmp(p, a->want, len);
	free(p);
	gdb_variants_spares(&n, &bytes);
	unit_child_exit(ok && n == 1 && failures == failed ? 0 : 1);
}

/* Fork; the child runs child(arg), which exits 0 when its checks pass. */
static void fork_checked(void (*child)(void *), void *arg, const char *when)
{
	unit_fork_checked(child, arg, when,
			  "a lock inherited held, or a wait for a thread it "
			  "lacks",
			  "it kept what is the parent's or rendered wrong");
}

/* ---- a thread inside the kept buffers' lock at fork() ---- */

/* record.c's spare_give holds the lock around gdb_bigbuf_trim's madvise
 * (MADV_DONTNEED of the pages past the text it keeps): armed, the next
 * such call waits there until a fork has begun, and 100 ms more (so an
 * unguarded fork is done by then). Linked with --wrap=madvise. */
int __real_madvise(void *addr, size_t len, int advice);
int __wrap_madvise(void *addr, size_t len, int advice);
static int hold_armed, holding, fork_began, forked, render_done; /* atomic */

static void nap(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

int __wrap_madvise(void *addr, size_t len, int advice)
{
	int one = 1;

	if (advice == MADV_DONTNEED &&
	    __atomic_compare_exchange_n(&hold_armed, &one, 0, 0,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&holding, 1, __ATOMIC_RELEASE);
		while (!__atomic_load_n(&fork_began, __ATOMIC_ACQUIRE))
			nap(1);
		nap(100);
	}
	return __real_madvise(addr, len, advice);
}

/* Registered after the fork guard's handlers: runs before them. */
static void note_fork(void)
{
	__atomic_store_n(&fork_began, 1, __ATOMIC_RELEASE);
}

/* In the parent once fork() is done. */
static void note_forked(void)
{
	__atomic_store_n(&forked, 1, __ATOMIC_RELEASE);
}

/* The next fork not begun: note_fork and note_forked registered (once,
 * after the guards' handlers: the library's locks were used). */
static void fork_notes_reset(void)
{
	static int registered;

	if (!registered)
		CHECK(pthread_atfork(note_fork, note_forked, NULL) == 0,
		      "atfork");
	registered = 1;
	__atomic_store_n(&fork_began, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&forked, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&holding, 0, __ATOMIC_RELEASE);
}

/* Renders (held in the trim); frees the answer only once the parent has
 * forked: a thread inside the allocator at fork() can hang the child
 * under gcc 12's ASan, whose allocator is not fork-safe (the render
 * itself still frees a little after it lets go of the lock). */
static void *render_once(void *arg)
{
	char *p = again(arg, "rendered across the fork");

	__atomic_store_n(&render_done, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&holding, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&forked, __ATOMIC_ACQUIRE))
		nap(1);
	free(p);
	return NULL;
}

/* Forks with a kept buffer (the child keeps none), then while another
 * thread holds the kept buffers' lock (giving one back): the fork waits
 * for it, and the child keeps none and renders right; unguarded, the
 * child inherits the lock held and hangs. The parent keeps its own. */
static void check_spares_fork(struct answer *a)
{
	unsigned n;
	size_t bytes;
	pthread_t t;

	gdb_variants_spares_drain();
	free(again(a, "before the fork"));
	gdb_variants_spares(&n, &bytes);
	CHECK(n == 1, "before the fork: %u spares", n);
	fork_checked(spares_child, a, "a kept buffer");
	gdb_variants_spares(&n, &bytes);
	CHECK(n == 1, "the parent's spare after the fork: %u", n);
	/* the guard's handlers exist (the spares were used): ours runs first */
	fork_notes_reset();
	__atomic_store_n(&hold_armed, 1, __ATOMIC_RELEASE);
	if (pthread_create(&t, NULL, render_once, a) != 0) {
		FAIL("thread");
		return;
	}
	while (!__atomic_load_n(&holding, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&render_done, __ATOMIC_ACQUIRE))
		nap(1);
	CHECK(__atomic_load_n(&holding, __ATOMIC_ACQUIRE),
	      "the render kept its buffer without a trim under the lock");
	fork_checked(spares_child, a, "the lock held by another thread");
	__atomic_store_n(&forked, 1, __ATOMIC_RELEASE); /* had fork() failed */
	pthread_join(t, NULL);
	gdb_variants_spares(&n, &bytes);
	CHECK(n == 1, "the parent's spare after the second fork: %u", n);
	gdb_variants_spares_drain();
}

/* ---- a stream's lock held, or its worker rendering, at fork() ---- */

/* stream.c starts the worker that renders the next window ahead from
 * inside the stream's lock (ahead_start): armed HOLD_CALLER, the next
 * pthread_create waits there, the lock held, until the fork is done (no
 * prepare handler waits for a stream's lock); armed HOLD_WORKER, the thread it
 * starts waits so before it renders (its window busy: a reader of it waits for
 * it). Linked with
 * --wrap=pthread_create. */
int __real_pthread_create(pthread_t *t, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg);
enum { HOLD_NONE, HOLD_CALLER, HOLD_WORKER };
static int create_armed; /* atomic */
static struct {
	void *(*fn)(void *);
	void *arg;
} held_start;

static void hold_for_fork(void)
{
	__atomic_store_n(&holding, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&forked, __ATOMIC_ACQUIRE))
		nap(1);
}

static void *held_worker(void *unused)
{
	(void)unused;
	hold_for_fork();
	return held_start.fn(held_start.arg);
}

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg)
{
	int mode =
	    __atomic_exchange_n(&create_armed, HOLD_NONE, __ATOMIC_ACQ_REL);

	if (mode == HOLD_CALLER)
		hold_for_fork();
	if (mode != HOLD_WORKER)
		return __real_pthread_create(t, attr, fn, arg);
	held_start.fn = fn;
	held_start.arg = arg;
	return __real_pthread_create(t, attr, held_worker, NULL);
}

struct stream_fork {
	struct answer *a;
	gdb_vstream *s;
	int go, ok, done; /* the parent's reader: may start (atomic), read
			   * right bytes, is done (atomic) */
};

/* The parent's reader: s whole, from its start. */
static void *read_across(void *arg)
{
	struct stream_fork *f = arg;
	char *got = xmalloc(f->a->len + 1);

	while (!__atomic_load_n(&f->go, __ATOMIC_ACQUIRE))
		nap(1);
	f->ok = read_whole(f->s, f->a, got, "the parent's reader");
	free(got);
	__atomic_store_n(&f->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* In the child: a second thread's read of s whole, started at once with
 * the child's own (both at the inherited stream's first use). */
struct child_reader {
	struct stream_fork *f;
	pthread_barrier_t *both;
	int ok;
};

static void *child_read(void *arg)
{
	struct child_reader *r = arg;
	char *got = xmalloc(r->f->a->len + 1);

	pthread_barrier_wait(r->both);
	r->ok = read_whole(r->f->s, r->f->a, got, "the child's second thread");
	free(got);
	return NULL;
}

/* The child: the parent's stream read whole and right by two threads at
 * once, from its first use, then closed (a lock inherited held, or a
 * worker's window that never comes, hangs it; two first uses must renew
 * it once). */
static void stream_child(void *arg)
{
	struct stream_fork *f = arg;
	char *got = xmalloc(f->a->len + 1);
	pthread_barrier_t both;
	struct child_reader r = {.f = f, .both = &both};
	pthread_t t;
	int failed = failures, ok, two;

	pthread_barrier_init(&both, NULL, 2);
	two = pthread_create(&t, NULL, child_read, &r) == 0;
	if (two)
		pthread_barrier_wait(&both);
	ok = read_whole(f->s, f->a, got, "the child");
	if (two)
		pthread_join(t, NULL);
	gdb_vstream_close(f->s);
	unit_child_exit(ok && two && r.ok && failures == failed ? 0 : 1);
}

/* Fork while a reader of a stream is held as mode says: inside the
 * stream's lock (HOLD_CALLER), or with its worker rendering ahead
 * (HOLD_WORKER). The child reads the stream it inherits whole; the
 * parent's reader reads it right, and nothing is held after its close. */
static void stream_fork(struct answer *a, int mode, const char *when)
{
	struct stream_fork f = {.a = a};
	pthread_t t;

	if (gdb_vstream_open(a->v, 0, a->beg, a->end, NULL, GDB_VF_VCF, 1, 0,
			     &f.s) < 0) {
		FAIL("%s: stream open", when);
		return;
	}
	fork_notes_reset();
	if (pthread_create(&t, NULL, read_across, &f) != 0) {
		FAIL("%s: thread", when);
		gdb_vstream_close(f.s);
		return;
	}
	__atomic_store_n(&create_armed, mode, __ATOMIC_RELEASE);
	__atomic_store_n(&f.go, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&holding, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&f.done, __ATOMIC_ACQUIRE))
		nap(1);
	CHECK(__atomic_load_n(&holding, __ATOMIC_ACQUIRE),
	      "%s: the reader started no worker (one window?)", when);
	fork_checked(stream_child, &f, when);
	__atomic_store_n(&forked, 1, __ATOMIC_RELEASE); /* had it failed */
	__atomic_store_n(&create_armed, HOLD_NONE, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	CHECK(f.ok, "%s: the parent's reader read wrong bytes", when);
	gdb_vstream_close(f.s);
	CHECK(gdb_vset_windows_held(a->v) == 0, "%s: windows held: %llu", when,
	      (unsigned long long)gdb_vset_windows_held(a->v));
}

static void check_stream_fork(struct answer *a)
{
	stream_fork(a, HOLD_CALLER, "a stream's lock held by another thread");
	stream_fork(a, HOLD_WORKER, "a stream's worker rendering ahead");
}

int main(void)
{
	char dir[64], vcf[2][96];
	char *ref = reference();
	const char *names[] = {"c1"};
	const int64_t lens[] = {REF_LEN};
	gdb_store *s = NULL;
	gdb_vset *a = NULL, *b = NULL;
	char err[256];

	if (unit_store_dir(dir) < 0 ||
	    unit_store_build(dir, "r", names, &ref, lens, 1) < 0)
		return T_EXIT_FAIL;
	for (int i = 0; i < 2; i++) {
		snprintf(vcf[i], sizeof(vcf[i]), "%.*s/%c.vcf",
			 (int)strlen(dir) - 2, dir, "ab"[i]);
		write_vcf(vcf[i], ref, i ? 80 : 120, i ? 8000 : 10000);
		if (import(dir, i ? "b" : "a", vcf[i]) < 0)
			goto out;
	}
	if (gdb_store_open(dir, 0, &s, err, sizeof(err)) < 0 ||
	    gdb_vset_open(s, NULL, "a", &a, err, sizeof(err)) < 0 ||
	    gdb_vset_open(s, NULL, "b", &b, err, sizeof(err)) < 0) {
		FAIL("open: %s", err);
		goto out;
	}
	{
		struct answer x[] = {
		    {a, 0, REF_LEN, NULL, 0},	  /* the longest */
		    {a, 0, 290000, NULL, 0},	  /* shorter */
		    {a, 100000, 380000, NULL, 0}, /* set a */
		    {b, 20000, 300000, NULL, 0},  /* set b */
		    {b, 0, 8000 * STEP, NULL, 0}, /* b whole */
		};
		check_reuse(x, 5);
		check_spares(&x[0]);
		check_spares_fork(&x[1]);
		check_stream_fork(&x[0]);
		for (int i = 0; i < 5; i++)
			free(x[i].want);
	}
out:
	gdb_vset_close(a);
	gdb_vset_close(b);
	gdb_store_close(s);
	gdb_bigbuf_drain();
	unit_store_rm(dir);
	free(ref);
	printf("test_variants_render: %d failures\n", failures);
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
