/*
 * tests/unit/test_api_oom.c - api/ (the C API the Python package calls)
 * when memory runs out: linked, like test_store_oom, with
 * ld --wrap=malloc,calloc,realloc,strdup (the Makefile's OOM_WRAP), so
 * the library's allocations go to unit_oom.h's wrappers and the Nth one of
 * an operation returns NULL. For each operation N walks from 1 until the
 * operation makes fewer than N allocations; every step must report
 * -ENOMEM (with a message or none, nothing leaked: make asan) or give
 * exactly the answer the operation gives with memory to spare.
 *
 * The operations: open a store, fetch, fetch_many, gc_many and
 * motif_many on it; an annotation set's join with a few rows (the index
 * walked per row) and with many (one sweep over the set); a variant
 * set's VCF (all samples and some), sites, genotype matrix and allele
 * frequencies by population and by sample; and the
 * interval algebra on random interval sets of three chromosomes,
 * unsorted: overlap, overlap_take (a column each side), count_overlaps,
 * nearest. Below the API, a cache pin (cache/): each failed allocation
 * fails it whole (nothing left pinned) and logged.
 *
 * Exit status: 0 pass, 1 fail.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotations/annotations.h"
#include "api/genomedb.h"
#include "cache/cache.h"
#include "store/store.h"
#include "variants/variants.h"

#define UNIT_SEED 0x6170696f6f6d2121ull
#include "tests/unit/unit.h"
#include "tests/unit/unit_oom.h"
#include "tests/unit/unit_store.h"

/* ---- the walk ---- */

/* Append to an operation's answer, uncounted from here on. */
static void keep(gdb_buf *ans, const void *p, size_t n)
{
	oom_off = 1;
	gdb_buf_add(ans, p, n);
}

/* An operation: its answer as bytes in *ans (malloc'd), or a negative. */
typedef int (*op_fn)(void *arg, gdb_buf *ans, char *err, size_t errlen);

static void walk(const char *what, op_fn op, void *arg)
{
	gdb_buf want = {0};
	char err[512] = "";
	long n, enomem = 0;
	int rc = op(arg, &want, err, sizeof(err));

	CHECK(rc >= 0 && !want.err, "%s: fails with memory to spare: %d %s",
	      what, rc, err);
	for (n = 1; n < 100000; n++) {
		gdb_buf got = {0};
		err[0] = 0;
		oom_arm(n);
		rc = op(arg, &got, err, sizeof(err));
		if (oom_disarm() < n) {
			CHECK(rc >= 0, "%s: fails with no allocation failed",
			      what);
			gdb_buf_free(&got);
			break;
		}
		if (rc == -ENOMEM)
			enomem++;
		else
			CHECK(rc >= 0 && got.len == want.len &&
				  !memcmp(got.p, want.p, want.len),
			      "%s: allocation %ld failed: %d (%s), or another "
			      "answer",
			      what, n, rc, err);
		gdb_buf_free(&got);
	}
	CHECK(n == 1 || enomem > 0,
	      "%s: no step gave -ENOMEM (%ld allocations)", what, n - 1);
	printf("test_api_oom: %s: %ld allocations failed in turn, %ld "
	       "-ENOMEM\n",
	       what, n - 1, enomem);
	gdb_buf_free(&want);
}

/* ---- a store ---- */

#define CLEN 70000
static char dir[64];
static gdb_api *api;

static const int32_t S_CONTIG[] = {0, 1, 0, 1, 0};
static const int64_t S_BEG[] = {0, 100, 65530, 5, 1000};
static const int64_t S_END[] = {CLEN, 2100, 65600, 5, 1001};
static const gdb_api_batch STORE_ROWS = {5, S_CONTIG, S_BEG, S_END};

static int op_open(void *arg, gdb_buf *ans, char *err, size_t errlen)
{
	gdb_api *h;
	char seq[32];
	int rc = gdb_api_open(arg, 1 << 20, &h, err, errlen);

	if (rc < 0)
		return rc;
	rc = gdb_api_fetch(h, 0, 1, 990, 1010, GDB_API_BASES, seq, err, errlen);
	if (rc == 0)
		keep(ans, seq, 20);
	gdb_api_close(h);
	return rc;
}

static int op_fetch_many(void *arg, gdb_buf *ans, char *err, size_t errlen)
{
	int64_t n = gdb_api_batch_bases(api, 0, arg, err, errlen), off[6];
	char *dst;
	int rc;

	if (n < 0)
		return (int)n;
	oom_off = 1;
	dst = xmalloc((size_t)n + 5);
	oom_off = 0;
	rc = gdb_api_fetch_many(api, 0, arg, GDB_API_U8, '\n', dst, off, err,
				errlen);
	if (rc == 0) {
		keep(ans, dst, (size_t)off[5]);
		keep(ans, off, sizeof(off));
	}
	free(dst);
	return rc;
}

/*
 * gdb_api_fetch_objects with objects of the test's own (a length, then
 * the bytes), made with the counted malloc so that making one fails in
 * turn too; live counts the objects alive, which must be the slots' own
 * after every call, failed or not.
 */
typedef struct tobj {
	size_t len;
	char data[];
} tobj;

static long live;

static void *tobj_make(ptrdiff_t len, uint32_t maxchar)
{
	tobj *o = malloc(sizeof(*o) + (size_t)len + 1);

	if (!o || maxchar != 127) {
		free(o);
		return NULL;
	}
	o->len = (size_t)len;
	memset(o->data, '?', (size_t)len + 1);
	live++;
	return o;
}

static void tobj_drop(void *o)
{
	free(o);
	live--;
}

static int op_fetch_objects(void *arg, gdb_buf *ans, char *err, size_t errlen)
{
	void *slot[5], *old[5];
	int rc;

	oom_off = 1;
	for (int i = 0; i < 5; i++)
		old[i] = slot[i] = i == 2 ? NULL : tobj_make(0, 127);
	oom_off = 0;
	rc = gdb_api_fetch_objects(api, 0, arg, tobj_make, tobj_drop,
				   offsetof(tobj, data), slot, err, errlen);
	if (rc < 0) {
		CHECK(live == 4 && !memcmp(slot, old, sizeof(slot)),
		      "fetch_objects failed (%d) leaving %ld objects alive "
		      "or its slots changed",
		      rc, live - 4);
		for (int i = 0; i < 5; i++)
			if (slot[i])
				tobj_drop(slot[i]);
		return rc;
	}
	CHECK(live == 5, "fetch_objects: %ld objects alive for 5 rows", live);
	for (int i = 0; i < 5; i++) {
		tobj *o = slot[i];
		CHECK(o->data[o->len] == '?', "row %d written past its end", i);
		keep(ans, o->data, o->len);
		keep(ans, "\n", 1);
		tobj_drop(o);
	}
	return 0;
}

static int op_scans(void *arg, gdb_buf *ans, char *err, size_t errlen)
{
	double gc[5];
	int64_t count[5];
	int rc = gdb_api_gc_many(api, 0, arg, gc, err, errlen);

	if (rc == 0)
		rc = gdb_api_motif_many(api, 0, arg, "GANTC", count, err,
					errlen);
	if (rc == 0) {
		keep(ans, gc, sizeof(gc));
		keep(ans, count, sizeof(count));
	}
	return rc;
}

/* An annotation set "genes" on the store: GFF3 genes, mRNAs and exons. */
static int add_annotations(void)
{
	char gff[96], err[512] = "";
	FILE *f;
	gdb_annot_build_stats st;
	gdb_annot_import_opts o = {.store = dir,
				   .set = "genes",
				   .reference = "asm",
				   .file = gff,
				   .command = "unit"};
	int rc;

	snprintf(gff, sizeof(gff), "%s.gff3", dir);
	f = fopen(gff, "w");
	if (!f)
		return -1;
	fprintf(f, "##gff-version 3\n");
	for (int g = 0; g < 40; g++) {
		const char *c = g % 4 == 3 ? "chrB" : "chrA";
		long b = 1 + 1500L * (g % 4 == 3 ? g / 4 % 2 : g);
		fprintf(f, "%s\tunit\tgene\t%ld\t%ld\t.\t%c\t.\tID=g%d\n", c, b,
			b + 900, "+-"[g % 2], g);
		fprintf(
		    f,
		    "%s\tunit\tmRNA\t%ld\t%ld\t.\t%c\t.\tID=t%d;Parent=g%d\n",
		    c, b, b + 900, "+-"[g % 2], g, g);
		fprintf(f, "%s\tunit\texon\t%ld\t%ld\t.\t%c\t.\tParent=t%d\n",
			c, b + 100, b + 300, "+-"[g % 2], g);
	}
	fclose(f);
	rc = gdb_annot_import(&o, &st, NULL, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "importing %s: %s\n", gff, err);
	unlink(gff);
	return rc;
}

static const int32_t J_CONTIG[] = {0, 1, 0, 0, 1, 0, 0, 0, 0, 0};
static const int64_t J_BEG[] = {0, 0, 5000, 20000, 1000, 30000, 7, 9, 0, 40000};
static const int64_t J_END[] = {4000,  3000, 9000, 26000, 1700,
				36000, 7,    4000, 60000, 50000};

/* gdb_api_annot_overlap of the first n rows above (arg: n) with the row
 * number as a column: every output column's values and the type names. */
static int op_annot(void *arg, gdb_buf *ans, char *err, size_t errlen)
{
	size_t n = (size_t)(uintptr_t)arg;
	gdb_api_batch b = {n, J_CONTIG, J_BEG, J_END};
	gdb_api_column row = {NULL, 8};
	void *out[1 + GDB_API_ANNOT_FIELDS] = {NULL};
	static const size_t size[] = {8, 8, 8, 8, 1, 0};
	gdb_api_annot_types ty;
	int64_t np = 0;
	int rc = gdb_api_annot_overlap(api, "genes", &b, &row, 1, out, &np, &ty,
				       err, errlen);

	if (rc == 0) {
		for (int k = 0; k < 1 + GDB_API_ANNOT_FIELDS; k++)
			keep(ans, out[k],
			     (size_t)np *
				 (size[k] ? size[k] : (size_t)ty.code_size));
		keep(ans, ty.names, ty.names_len);
		gdb_api_free(ty.names);
	}
	for (int k = 0; k < 1 + GDB_API_ANNOT_FIELDS; k++)
		gdb_api_free(out[k]);
	return rc;
}

/* A variant set "vs" on the store: biallelic sites of chrA and chrB
 * whose REF is the store's base, six samples in two populations. */
static int add_variants(char seq[2][CLEN + 1])
{
	char vcf[96], panel[96], err[512] = "";
	FILE *f = NULL, *g = NULL;
	gdb_store *st = NULL;
	gdb_txn *t = NULL;
	gdb_vcf_import_stats vs;
	gdb_vcf_import_opts o = {.set = "vs", .reference = "asm"};
	gdb_provenance p = {
	    .target = GDB_VSET_PREFIX "vs", .source = "mem", .command = "unit"};
	static const char *const gts[] = {"0/0", "0/1", "1/1",
					  "./.", "0|1", "1|0"};
	int rc;

	snprintf(vcf, sizeof(vcf), "%s.vcf", dir);
	snprintf(panel, sizeof(panel), "%s.panel", dir);
	f = fopen(vcf, "w");
	g = fopen(panel, "w");
	if (!f || !g) {
		if (f)
			fclose(f);
		if (g)
			fclose(g);
		return -1;
	}
	fprintf(g, "sample\tpop\tsuper_pop\n");
	for (int i = 0; i < 6; i++)
		fprintf(g, "S%d\t%s\tALL\n", i, i % 2 ? "P1" : "P2");
	fclose(g);
	fprintf(f,
		"##fileformat=VCFv4.2\n##contig=<ID=chrA,length=%d>\n"
		"##contig=<ID=chrB,length=3000>\n"
		"##FORMAT=<ID=GT,Number=1,Type=String,Description=\"GT\">\n"
		"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT",
		CLEN);
	for (int i = 0; i < 6; i++)
		fprintf(f, "\tS%d", i);
	fputc('\n', f);
	for (int k = 0; k < 2; k++)
		for (int pos = 11 + k * 7; pos < (k ? 3000 : CLEN);
		     pos += 97 + k * 300) {
			char r = seq[k][pos - 1];
			r = r >= 'a' ? (char)(r - 32) : r;
			fprintf(f, "%s\t%d\t.\t%c\t%c\t.\tPASS\t.\tGT",
				k ? "chrB" : "chrA", pos, r,
				r == 'A' ? 'G' : 'A');
			for (int i = 0; i < 6; i++)
				fprintf(f, "\t%s", gts[rnd() % 6]);
			fputc('\n', f);
		}
	fclose(f);
	o.panel = panel;
	rc = gdb_store_open(dir, 0, &st, err, sizeof(err));
	if (rc == 0)
		rc = gdb_txn_begin(dir, &t, err, sizeof(err));
	if (rc == 0)
		rc = gdb_vcf_import(t, st, vcf, &o, &vs, err, sizeof(err));
	rc = unit_txn_finish(t, rc, &p, err, sizeof(err));
	gdb_store_close(st);
	if (rc < 0)
		fprintf(stderr, "importing %s: %s\n", vcf, err);
	unlink(vcf);
	unlink(panel);
	return rc;
}

/* Variant answers: arg picks the query (VQ below). */
static const struct vq {
	int what;
	const char *samples;
} VQ[] = {{0, NULL},	{0, "S1,S4"}, {3, NULL},
	  {4, "S0,S5"}, {100, NULL},  {102, NULL}};

static int op_variants(void *arg, gdb_buf *ans, char *err, size_t errlen)
{
	const struct vq *q = arg;
	char *out = NULL;
	size_t len = 0;
	int rc = gdb_api_variants(api, "vs", "chrA", 0, CLEN, q->what,
				  q->samples, &out, &len, err, errlen);

	if (rc == 0 && q->what == 0) { /* ##fileDate etc. vary: records only */
		char *rec = strstr(out, "\n#CHROM");
		keep(ans, rec ? rec : out,
		     rec ? len - (size_t)(rec - out) : len);
	} else if (rc == 0) {
		keep(ans, out, len);
	}
	gdb_api_free(out);
	return rc;
}

/* fetch_objects' bytes are fetch_many's (bases, no separator), and a row
 * past its contig fails before any object is made. */
static void test_objects_as_fetch_many(void)
{
	static const int64_t bad_end[] = {CLEN, 2100, 65600, 5, CLEN + 1};
	const gdb_api_batch bad = {5, S_CONTIG, S_BEG, bad_end};
	int64_t n = gdb_api_batch_bases(api, 0, &STORE_ROWS, NULL, 0), off[6];
	char *dst = xmalloc((size_t)n + 5), err[256] = "";
	void *slot[5] = {0};

	CHECK(gdb_api_fetch_many(api, 0, &STORE_ROWS, GDB_API_BASES, -1, dst,
				 off, err, sizeof(err)) == 0,
	      "fetch_many: %s", err);
	CHECK(gdb_api_fetch_objects(api, 0, &STORE_ROWS, tobj_make, tobj_drop,
				    offsetof(tobj, data), slot, err,
				    sizeof(err)) == 0,
	      "fetch_objects: %s", err);
	for (int i = 0; i < 5; i++) {
		tobj *o = slot[i];
		CHECK(o && o->len == (size_t)(off[i + 1] - off[i]) &&
			  !memcmp(o->data, dst + off[i], o->len),
		      "row %d: not fetch_many's bytes", i);
		if (o)
			tobj_drop(o);
	}
	memset(slot, 0, sizeof(slot));
	CHECK(gdb_api_fetch_objects(api, 0, &bad, tobj_make, tobj_drop,
				    offsetof(tobj, data), slot, err,
				    sizeof(err)) == -ERANGE &&
		  live == 0 && strstr(err, "row 4"),
	      "a row past its contig: %s, %ld objects alive", err, live);
	free(dst);
}

/* An arena allocator of the test's own under gdb_api_arena_alloc/free:
 * each arena is the wrapped allocator's, given back to it. */
static int arenas;

static void *arena_under_alloc(void *ctx, size_t n)
{
	CHECK(ctx == &arenas, "the wrapped allocator's ctx not passed on");
	arenas++;
	return malloc(n);
}

static void arena_under_free(void *ctx, void *p, size_t n)
{
	CHECK(ctx == &arenas && n == (size_t)1 << 20,
	      "the wrapped free's ctx or size not passed on");
	arenas--;
	free(p);
}

static void test_arena_wrapper(void)
{
	gdb_api_arena under = {&arenas, arena_under_alloc, arena_under_free};
	char *p[3];

	for (int i = 0; i < 3; i++) {
		p[i] = gdb_api_arena_alloc(&under, (size_t)1 << 20);
		CHECK(p[i] != NULL, "no arena");
		if (p[i])
			memset(p[i], i, (size_t)1 << 20);
	}
	CHECK(arenas == 3, "%d arenas made for 3", arenas);
	for (int i = 0; i < 3; i++)
		if (p[i]) {
			CHECK(p[i][12345] == (char)i, "arena %d overwritten",
			      i);
			gdb_api_arena_free(&under, p[i], (size_t)1 << 20);
		}
	CHECK(arenas == 0, "%d arenas not given back", arenas);
}

/* A failed pin's log lines (count_log). */
static long pin_logged;

/* A pin of chrA whole (two blocks) into a fresh cache with each
 * allocation failed in turn: -ENOMEM with nothing pinned and a log line,
 * or (a failure the cache gets by without) both pinned. The first
 * allocation is the pin's own bookkeeping, then the blocks' buffers. */
static int pin_step(gdb_store *s, long n, uint64_t *pinned)
{
	gdb_cache *c;
	gdb_cache_stats st;
	int rc;

	if (gdb_cache_create(s, 1 << 20, NULL, &c) < 0)
		return -EINVAL;
	oom_arm(n);
	rc = gdb_cache_pin(c, 0, 0, CLEN);
	if (n && oom_disarm() < n)
		rc = 1; /* no allocation failed */
	gdb_cache_stats_get(c, &st);
	*pinned = st.pinned_bytes;
	gdb_cache_destroy(c);
	return rc;
}

static void test_pin(void)
{
	gdb_store *s = NULL;
	char err[256] = "";
	long n, logged_before, enomem = 0;
	uint64_t want = 0, got;
	int rc;

	if (gdb_store_open(dir, 0, &s, err, sizeof(err)) < 0) {
		FAIL("store: %s", err);
		return;
	}
	rc = pin_step(s, 0, &want);
	CHECK(rc == 0 && want > 0, "pin with memory to spare: %d", rc);
	for (n = 1; n < 1000; n++) {
		logged_before = pin_logged;
		rc = pin_step(s, n, &got);
		if (rc == 1)
			break;
		enomem += rc == -ENOMEM;
		CHECK(rc == 0 ? got == want
			      : rc == -ENOMEM && got == 0 &&
				    pin_logged == logged_before + 1,
		      "pin, allocation %ld failed: %d, %llu bytes pinned, "
		      "%ld lines logged",
		      n, rc, (unsigned long long)got,
		      pin_logged - logged_before);
	}
	CHECK(enomem > 1, "pin: %ld steps gave -ENOMEM (%ld allocations)",
	      enomem, n - 1);
	printf("test_api_oom: cache pin: %ld allocations failed in turn, %ld "
	       "-ENOMEM\n",
	       n - 1, enomem);
	gdb_store_close(s);
}

static void test_store_calls(void)
{
	static char seq[2][CLEN + 1];
	const char *names[] = {"chrA", "chrB"};
	char *seqs[] = {seq[0], seq[1]};
	int64_t lens[] = {CLEN, 3000};
	char err[512] = "";

	for (int k = 0; k < 2; k++)
		for (int64_t i = 0; i < lens[k]; i++)
			seq[k][i] = "ACGTacgtN"[rnd() % 9];
	if (unit_store_dir(dir) < 0 ||
	    unit_store_build(dir, "asm", names, seqs, lens, 2) < 0) {
		FAIL("no test store");
		return;
	}
	walk("open and fetch", op_open, dir);
	if (gdb_api_open(dir, 1 << 20, &api, err, sizeof(err)) < 0) {
		FAIL("open: %s", err);
		return;
	}
	walk("fetch_many", op_fetch_many, (void *)&STORE_ROWS);
	walk("gc_many and motif_many", op_scans, (void *)&STORE_ROWS);
	walk("fetch_objects", op_fetch_objects, (void *)&STORE_ROWS);
	test_objects_as_fetch_many();
	test_pin();
	gdb_api_close(api);
	if (add_annotations() < 0 ||
	    gdb_api_open(dir, 1 << 20, &api, err, sizeof(err)) < 0) {
		FAIL("no annotation set: %s", err);
		unit_store_rm(dir);
		return;
	}
	walk("annot_overlap of 3 rows (walk)", op_annot, (void *)(uintptr_t)3);
	walk("annot_overlap of 10 rows (sweep)", op_annot,
	     (void *)(uintptr_t)10);
	gdb_api_close(api);
	if (add_variants(seq) < 0 ||
	    gdb_api_open(dir, 1 << 20, &api, err, sizeof(err)) < 0) {
		FAIL("no variant set: %s", err);
		unit_store_rm(dir);
		return;
	}
	for (size_t i = 0; i < sizeof(VQ) / sizeof(VQ[0]); i++) {
		char what[64];
		snprintf(what, sizeof(what), "variants, what %d, samples %s",
			 VQ[i].what, VQ[i].samples ? VQ[i].samples : "all");
		walk(what, op_variants, (void *)&VQ[i]);
	}
	gdb_api_close(api);
	unit_store_rm(dir);
}

/* ---- interval algebra ---- */

#define NA 400
#define NB 300

typedef struct sets {
	int32_t ac[NA], bc[NB];
	int64_t ab[NA], ae[NA], bb[NB], be[NB];
	int64_t acol[NA];
	int32_t bcol[NB];
	gdb_api_batch a, b;
} sets;

static void random_side(int32_t *c, int64_t *beg, int64_t *end, size_t n,
			int empty)
{
	for (size_t i = 0; i < n; i++) {
		c[i] = (int32_t)(rnd() % 3);
		beg[i] = (int64_t)(rnd() % 20000);
		end[i] =
		    beg[i] +
		    (empty && rnd() % 10 == 0 ? 0 : 1 + (int64_t)(rnd() % 400));
	}
}

static int op_overlap(void *arg, gdb_buf *ans, char *err, size_t errlen)
{
	sets *s = arg;
	int64_t *ia = NULL, *ib = NULL, np = 0;
	int rc = gdb_api_overlap(&s->a, &s->b, &ia, &ib, &np, err, errlen);

	if (rc == 0) {
		keep(ans, ia, (size_t)np * sizeof(*ia));
		keep(ans, ib, (size_t)np * sizeof(*ib));
	}
	gdb_api_free(ia);
	gdb_api_free(ib);
	return rc;
}

static int op_take(void *arg, gdb_buf *ans, char *err, size_t errlen)
{
	sets *s = arg;
	gdb_api_column ac = {s->acol, sizeof(int64_t)};
	gdb_api_column bc[2] = {{s->bcol, sizeof(int32_t)}, {NULL, 8}};
	void *out[3] = {NULL, NULL, NULL};
	int64_t np = 0;
	int rc = gdb_api_overlap_take(&s->a, &s->b, &ac, 1, bc, 2, out, &np,
				      err, errlen);

	if (rc == 0) {
		keep(ans, out[0], (size_t)np * 8);
		keep(ans, out[1], (size_t)np * 4);
		keep(ans, out[2], (size_t)np * 8);
	}
	for (int k = 0; k < 3; k++)
		gdb_api_free(out[k]);
	return rc;
}

static int op_count_nearest(void *arg, gdb_buf *ans, char *err, size_t errlen)
{
	sets *s = arg;
	int64_t count[NA], idx[NA], dist[NA];
	int rc = gdb_api_count_overlaps(&s->a, &s->b, count, err, errlen);

	if (rc == 0)
		rc = gdb_api_nearest(&s->a, &s->b, idx, dist, err, errlen);
	if (rc == 0) {
		keep(ans, count, sizeof(count));
		keep(ans, idx, sizeof(idx));
		keep(ans, dist, sizeof(dist));
	}
	return rc;
}

static void test_intervals(void)
{
	static sets s;

	random_side(s.ac, s.ab, s.ae, NA, 0);
	random_side(s.bc, s.bb, s.be, NB, 0);
	for (int i = 0; i < NA; i++)
		s.acol[i] = 1000 + i;
	for (int i = 0; i < NB; i++)
		s.bcol[i] = -i;
	s.a = (gdb_api_batch){NA, s.ac, s.ab, s.ae};
	s.b = (gdb_api_batch){NB, s.bc, s.bb, s.be};
	walk("overlap", op_overlap, &s);
	walk("overlap_take", op_take, &s);
	walk("count_overlaps and nearest", op_count_nearest, &s);
}

/* A failed allocation may be logged; damage is what it must not be called
 * (the walk checks the codes), so the log is counted, not printed. */
static long logged;

static void count_log(enum gdb_log_level level, const char *line)
{
	(void)level;
	logged++;
	if (!strncmp(line, "pin ", 4))
		pin_logged++;
}

int main(void)
{
	gdb_log_set_sink(count_log);
	test_intervals();
	test_store_calls();
	test_arena_wrapper();
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return T_EXIT_FAIL;
	}
	return T_EXIT_PASS;
}
