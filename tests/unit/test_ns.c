/*
 * tests/unit/test_ns.c - the namespaces without a mount (fs/ns/ns.h): the
 * path-name grammar as tables of names and what each must give (ranges,
 * samtools region strings, "@k=v" parameters against typed specs, escapes,
 * file-name splits), and the sequence namespace's names on a small store
 * whose contigs are named to collide. Exit 0 pass, 1 fail.
 */
#define UNIT_SEED 0x6e73u
#include "tests/unit/unit.h"
#include "tests/unit/unit_store.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "fs/ns/ns.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define BIG "99999999999999999999999999"

static void test_range(void)
{
	static const struct {
		const char *text;
		int64_t length;
		int rc;
		int64_t beg, end;
	} t[] = {
	    {"1-10", 100, 0, 0, 10},
	    {"10-10", 100, 0, 9, 10},
	    {"0010-0020", 100, 0, 9, 20},
	    {"1-100", 100, 0, 0, 100},
	    {"1-101", 100, 0, 0, 100},
	    {"100-999999999999999999", 100, 0, 99, 100},
	    {"100-1000000000000000000", 100, 0, 99, 100},
	    {"100-9223372036854775807", 100, 0, 99, 100},
	    {"100-9223372036854775808", 100, 0, 99, 100},
	    {"1-" BIG, 100, 0, 0, 100},
	    {"1-" BIG BIG BIG, 100, 0, 0, 100},
	    {"0-10", 100, -ENOENT, 0, 0},
	    {"101-200", 100, -ENOENT, 0, 0},
	    {BIG "-" BIG, 100, -ENOENT, 0, 0},
	    {"20-10", 100, -ENOENT, 0, 0},
	    {"10", 100, -ENOENT, 0, 0},
	    {"-10", 100, -ENOENT, 0, 0},
	    {"10-", 100, -ENOENT, 0, 0},
	    {"1--10", 100, -ENOENT, 0, 0},
	    {"1-1-1", 100, -ENOENT, 0, 0},
	    {"+1-10", 100, -ENOENT, 0, 0},
	    {"1-1e3", 100, -ENOENT, 0, 0},
	    {"1,000-2,000", 5000, -ENOENT, 0, 0},
	    {" 1-10", 100, -ENOENT, 0, 0},
	    {"1-10 ", 100, -ENOENT, 0, 0},
	    {"", 100, -ENOENT, 0, 0},
	    {"-", 100, -ENOENT, 0, 0},
	};

	for (size_t i = 0; i < N(t); i++) {
		int64_t b = -1, e = -1;
		int rc = gdb_path_range(t[i].text, strlen(t[i].text),
					t[i].length, &b, &e);
		if (rc != t[i].rc)
			FAIL("range '%s': rc %d, want %d", t[i].text, rc,
			     t[i].rc);
		else if (rc == 0 && (b != t[i].beg || e != t[i].end))
			FAIL("range '%s': [%lld, %lld), want [%lld, %lld)",
			     t[i].text, (long long)b, (long long)e,
			     (long long)t[i].beg, (long long)t[i].end);
	}
}

/* Store contigs: chr1 (200001), chr/2 (65537), x:1-5 (70000), %odd (1). */
static void test_region(const gdb_store *s)
{
	static const struct {
		const char *text;
		int rc;
		int64_t beg, end;
		uint32_t contig;
	} t[] = {
	    {"chr1", 0, 0, 200001, 0},
	    {"chr1:1-10", 0, 0, 10, 0},
	    {"chr1:1,000-2,000", 0, 999, 2000, 0},
	    {"chr1:5", 0, 4, 200001, 0},
	    {"chr1:5-", 0, 4, 200001, 0},
	    {"chr1:100-99999999", 0, 99, 200001, 0},
	    {"chr1:100-" BIG, 0, 99, 200001, 0},
	    {"chr1:200001-" BIG BIG, 0, 200000, 200001, 0},
	    {"chr1:0-5", -EINVAL, 0, 0, 0},
	    {"chr1:10-5", -EINVAL, 0, 0, 0},
	    {"chr1:200002-200003", -EINVAL, 0, 0, 0},
	    {"chr1:" BIG "-" BIG, -EINVAL, 0, 0, 0},
	    {"chr1:x-5", -EINVAL, 0, 0, 0},
	    {"chr1:5-x", -EINVAL, 0, 0, 0},
	    {"chr1:-5", -EINVAL, 0, 0, 0},
	    {"chr9:1-5", -ENOENT, 0, 0, 0},
	    {"x:1-5", 0, 0, 70000, 2}, /* the whole name wins */
	    {"{x:1-5}:2-3", 0, 1, 3, 2},
	    {"{x:1-5}", 0, 0, 70000, 2},
	    {"{x:1-5", -EINVAL, 0, 0, 0},
	    {"{x:1-5}x", -EINVAL, 0, 0, 0},
	    {"chr/2:65536-65537", 0, 65535, 65537, 1},
	    {"%odd:1", 0, 0, 1, 3},
	};
	char err[256];

	for (size_t i = 0; i < N(t); i++) {
		uint32_t c = 99;
		int64_t b = -1, e = -1;
		int rc = gdb_path_region(s, 0, t[i].text, &c, &b, &e, err,
					 sizeof(err));
		if (rc != t[i].rc)
			FAIL("region '%s': rc %d, want %d (%s)", t[i].text, rc,
			     t[i].rc, err);
		else if (rc == 0 &&
			 (b != t[i].beg || e != t[i].end || c != t[i].contig))
			FAIL("region '%s': %u [%lld, %lld)", t[i].text, c,
			     (long long)b, (long long)e);
		else if (rc < 0 && !strstr(err, t[i].text))
			FAIL("region '%s': message '%s' does not name it",
			     t[i].text, err);
	}
}

/* gdb_seq_region_size (a lookup's) is the size of gdb_seq_region's view
 * (a read's), or the same refusal, for every format, clamped and
 * zero-padded ranges (a header longer than its buffer too) and names that
 * are no region. */
static void test_region_sizes(const gdb_store *s)
{
	static const char *const EXT[] = {"fa",	 "seq",	   "u8", "rc.fa",
					  "fai", "fa.fai", "txt"};
	static const char *const ODD[] = {"0-5.fa",
					  "10-5.seq",
					  "x-5.u8",
					  "5-x.fa",
					  "-5.fa",
					  "5.fa",
					  ".fa",
					  "1-2",
					  "1-2.",
					  "1-2.FA",
					  "1-" BIG ".rc.fa",
					  "200002-200003.seq"};
	char name[GDB_SEQ_NAME_MAX + 300];

	for (int i = 0; i < 4000; i++) {
		uint32_t c = (uint32_t)(rnd() % 4);
		int64_t L = gdb_store_contig(s, c)->length;
		int64_t a = 1 + (int64_t)(rnd() % (uint64_t)L);
		int64_t b = a + (int64_t)(rnd() % 3000) - 5;
		int zeros = rnd() % 8 == 0 ? (int)(rnd() % 280) : 0;
		const char *ext = EXT[rnd() % N(EXT)];

		if (i < (int)N(ODD) * 4)
			snprintf(name, sizeof(name), "%s", ODD[i % N(ODD)]);
		else
			snprintf(name, sizeof(name), "%0*lld-%lld.%s",
				 zeros + 1, (long long)a, (long long)b, ext);
		gdb_view *v = NULL;
		uint64_t size = 7;
		int rv = gdb_seq_region(s, c, name, &v);
		int rs = gdb_seq_region_size(s, c, name, &size);
		if (rv != rs)
			FAIL("'%s' on %u: view rc %d, size rc %d", name, c, rv,
			     rs);
		else if (rv == 0 && size != v->size)
			FAIL("'%s' on %u: size %llu, view %llu", name, c,
			     (unsigned long long)size,
			     (unsigned long long)v->size);
		gdb_view_free(v);
	}
}

struct p {
	int64_t w, step, lim;
	double pv;
	int dir;
	const char *name;
};

static const gdb_param SPEC[] = {
    {"w", GDB_PARAM_INT, offsetof(struct p, w), 1, 1000000, 1000, NULL},
    {"step", GDB_PARAM_INT, offsetof(struct p, step), -5, 5, 0, NULL},
    {"limit", GDB_PARAM_INT, offsetof(struct p, lim), 1, 100, 10, "all"},
    {"p", GDB_PARAM_REAL, offsetof(struct p, pv), 0, 1, 1e-4, NULL},
    {"dir", GDB_PARAM_ENUM, offsetof(struct p, dir), 0, 0, 2, "out|in|both"},
    {"name", GDB_PARAM_TEXT, offsetof(struct p, name), 0, 0, 0, NULL},
    {"n", GDB_PARAM_TEXT, offsetof(struct p, name), 0, 0, 0, NULL},
};

static void test_params(void)
{
	static const struct {
		const char *text; /* NULL: no '@' at all */
		int rc;
		const char *names; /* EINVAL: the key the message quotes */
		struct p want;
	} t[] = {
	    {NULL, 0, NULL, {1000, 0, 10, 1e-4, 2, NULL}},
	    {"w=5", 0, NULL, {5, 0, 10, 1e-4, 2, NULL}},
	    {"w=0005,step=-5", 0, NULL, {5, -5, 10, 1e-4, 2, NULL}},
	    {"limit=all,p=1e-3,dir=in",
	     0,
	     NULL,
	     {1000, 0, INT64_MAX, 1e-3, 1, NULL}},
	    {"p=.5,dir=out", 0, NULL, {1000, 0, 10, 0.5, 0, NULL}},
	    {"name=a%2Cb%40c", 0, NULL, {1000, 0, 10, 1e-4, 2, "a,b@c"}},
	    {"n=x", 0, NULL, {1000, 0, 10, 1e-4, 2, "x"}},
	    {"", -EINVAL, "@", {0}},
	    {"w=5,", -EINVAL, "@", {0}},
	    {",w=5", -EINVAL, "@", {0}},
	    {"w=5,,step=1", -EINVAL, "@", {0}},
	    {"w", -EINVAL, "w", {0}},
	    {"w=", -EINVAL, "w", {0}},
	    {"w=1k", -EINVAL, "w", {0}},
	    {"w=1e3", -EINVAL, "w", {0}},
	    {"w=0", -EINVAL, "w", {0}},
	    {"w=1000001", -EINVAL, "w", {0}},
	    {"w=" BIG, -EINVAL, "w", {0}},
	    {"w=-1", -EINVAL, "w", {0}},
	    {"w= 5", -EINVAL, "w", {0}},
	    {"w=5 ", -EINVAL, "w", {0}},
	    {"w=+5", -EINVAL, "w", {0}},
	    {"w=0x10", -EINVAL, "w", {0}},
	    {"step=--1", -EINVAL, "step", {0}},
	    {"step=6", -EINVAL, "step", {0}},
	    {"w=100,w=200", -EINVAL, "w", {0}},
	    {"name=a,n=b", -EINVAL, "n", {0}},
	    {"windw=1000", -EINVAL, "windw", {0}},
	    {"W=1000", -EINVAL, "W", {0}},
	    {"limit=none", -EINVAL, "limit", {0}},
	    {"p=2", -EINVAL, "p", {0}},
	    {"p=nan", -EINVAL, "p", {0}},
	    {"p=inf", -EINVAL, "p", {0}},
	    {"p=0x1p-3", -EINVAL, "p", {0}},
	    {"p= 0.5", -EINVAL, "p", {0}},
	    {"p=1e-3x", -EINVAL, "p", {0}},
	    {"dir=up", -EINVAL, "dir", {0}},
	    {"dir=OUT", -EINVAL, "dir", {0}},
	    {"name=a%4", -EINVAL, "name", {0}},
	    {"name=%00", -EINVAL, "name", {0}},
	    {"w=5=6", -EINVAL, "w", {0}},
	};
	char buf[256], err[256], quoted[64];

	for (size_t i = 0; i < N(t); i++) {
		struct p got;
		int rc;
		memset(&got, 0x55, sizeof(got));
		err[0] = 0;
		if (t[i].text)
			snprintf(buf, sizeof(buf), "%s", t[i].text);
		rc = gdb_params_parse(SPEC, N(SPEC), t[i].text ? buf : NULL,
				      &got, err, sizeof(err));
		if (rc != t[i].rc) {
			FAIL("params '%s': rc %d, want %d (%s)",
			     t[i].text ? t[i].text : "(none)", rc, t[i].rc,
			     err);
			continue;
		}
		if (rc < 0) {
			snprintf(quoted, sizeof(quoted), "'%s'", t[i].names);
			if (!strstr(err, quoted))
				FAIL("params '%s': message '%s' does not name "
				     "%s",
				     t[i].text, err, quoted);
			continue;
		}
		if (got.w != t[i].want.w || got.step != t[i].want.step ||
		    got.lim != t[i].want.lim || got.pv != t[i].want.pv ||
		    got.dir != t[i].want.dir ||
		    (got.name == NULL) != (t[i].want.name == NULL) ||
		    (got.name && strcmp(got.name, t[i].want.name)))
			FAIL("params '%s': parsed to w=%lld step=%lld lim=%lld "
			     "p=%g dir=%d name=%s",
			     t[i].text ? t[i].text : "(none)", (long long)got.w,
			     (long long)got.step, (long long)got.lim, got.pv,
			     got.dir, got.name ? got.name : "(null)");
	}
	/* a file that takes no parameters */
	snprintf(buf, sizeof(buf), "x=1");
	if (gdb_params_parse(NULL, 0, buf, NULL, err, sizeof(err)) != -EINVAL ||
	    !strstr(err, "'x'"))
		FAIL("no-parameter file took x=1 (%s)", err);
	if (gdb_params_parse(NULL, 0, NULL, NULL, err, sizeof(err)) != 0)
		FAIL("no-parameter file without '@' refused");
}

/* A LIST value runs over commas to the next ",key=" of a known key. */
struct lp {
	const char *samples;
	int64_t w;
};

static const gdb_param LSPEC[] = {
    {"samples", GDB_PARAM_LIST, offsetof(struct lp, samples), 0, 0, 0, NULL},
    {"w", GDB_PARAM_INT, offsetof(struct lp, w), 1, 100, 7, NULL},
};

static void test_params_list(void)
{
	static const struct {
		const char *text;
		int rc;
		const char *samples;
		int64_t w;
	} t[] = {
	    {"samples=A", 0, "A", 7},
	    {"samples=A,B,C", 0, "A,B,C", 7},
	    {"samples=A,B,w=5", 0, "A,B", 5},
	    {"w=5,samples=A,B", 0, "A,B", 5},
	    {"samples=NA%401,a%2Fb", 0, "NA%401,a%2Fb", 7},
	    {"samples=A,x=1", 0, "A,x=1", 7},
	    {"samples=", -EINVAL, NULL, 0},
	    {"samples=A,w=5,samples=B", -EINVAL, NULL, 0},
	    {"w=5,samples", -EINVAL, NULL, 0},
	    {"w=500,samples=A", -EINVAL, NULL, 0},
	};
	char buf[128], err[256];

	for (size_t i = 0; i < N(t); i++) {
		struct lp got = {0};
		int rc;
		snprintf(buf, sizeof(buf), "%s", t[i].text);
		rc = gdb_params_parse(LSPEC, N(LSPEC), buf, &got, err,
				      sizeof(err));
		if (rc != t[i].rc)
			FAIL("list params '%s': rc %d, want %d (%s)", t[i].text,
			     rc, t[i].rc, err);
		else if (rc == 0 && (got.w != t[i].w || !got.samples ||
				     strcmp(got.samples, t[i].samples)))
			FAIL("list params '%s': samples=%s w=%lld", t[i].text,
			     got.samples ? got.samples : "(null)",
			     (long long)got.w);
	}
}

static void test_split(void)
{
	static const struct {
		const char *name, *ext;
		int rc;
		const char *stem, *params;
	} t[] = {
	    {"1-10@w=5.tsv", ".tsv", 0, "1-10", "w=5"},
	    {"1-10.tsv", ".tsv", 0, "1-10", NULL},
	    {"1-10@.tsv", ".tsv", 0, "1-10", ""},
	    {"@set@match=1.sam", ".sam", 0, "", "set@match=1"},
	    {"1-10@w=5.f32", ".tsv", -ENOENT, NULL, NULL},
	    {".tsv", ".tsv", -ENOENT, NULL, NULL},
	    {"tsv", ".tsv", -ENOENT, NULL, NULL},
	};

	for (size_t i = 0; i < N(t); i++) {
		char buf[64], *stem = NULL, *params = NULL;
		int rc;
		snprintf(buf, sizeof(buf), "%s", t[i].name);
		rc = gdb_path_split(buf, t[i].ext, &stem, &params);
		if (rc != t[i].rc ||
		    (rc == 0 && (strcmp(stem, t[i].stem) ||
				 (params == NULL) != (t[i].params == NULL) ||
				 (params && strcmp(params, t[i].params)))))
			FAIL("split '%s' by '%s': rc %d stem '%s' params '%s'",
			     t[i].name, t[i].ext, rc, stem ? stem : "",
			     params ? params : "(null)");
	}
}

static void test_escapes(void)
{
	static const struct {
		const char *name, *esc;
	} t[] = {
	    {"chr1", "chr1"},	{"a/b", "a%2Fb"}, {"50%", "50%25"},
	    {".", "%2E"},	{"..", "%2E%2E"}, {"...", "..."},
	    {"x:1-2", "x:1-2"}, {"%2F", "%252F"}, {"a.fa", "a.fa"},
	};
	static const struct {
		const char *name, *esc;
	} dirs[] = {
	    {"chr1", "chr1"},
	    {"a.fa", "a%2Efa"},
	    {"a.fa.fai", "a.fa%2Efai"},
	    {"x.dict", "x%2Edict"},
	    {".fa", "%2Efa"},
	    {"a/.fa", "a%2F%2Efa"},
	    {"fa", "fa"},
	    {"a.fasta", "a.fasta"},
	    {"..", "%2E%2E"},
	    {"a.Fa", "a.Fa"},
	};
	static const char *const wrong[] = {
	    "a%2fb",  "%61",	   "50%", "%2e", "%2E%2e",
	    "a%2Fb%", "%2E%2E%2E", "%",	  "%4",	 "x%2Ey"};
	char esc[64], back[300];

	for (size_t i = 0; i < N(t); i++) {
		gdb_path_escape(t[i].name, esc);
		if (strcmp(esc, t[i].esc))
			FAIL("escape '%s': '%s', want '%s'", t[i].name, esc,
			     t[i].esc);
		if (gdb_path_unescape(t[i].esc, back, sizeof(back)) != 0 ||
		    strcmp(back, t[i].name))
			FAIL("unescape '%s'", t[i].esc);
	}
	for (size_t i = 0; i < N(wrong); i++)
		if (gdb_path_unescape(wrong[i], back, sizeof(back)) != -ENOENT)
			FAIL("'%s' accepted as a spelling", wrong[i]);
	for (size_t i = 0; i < N(dirs); i++) {
		gdb_path_escape_dir(dirs[i].name, esc);
		if (strcmp(esc, dirs[i].esc))
			FAIL("escape_dir '%s': '%s', want '%s'", dirs[i].name,
			     esc, dirs[i].esc);
		if (gdb_path_unescape_dir(dirs[i].esc, back, sizeof(back)) ||
		    strcmp(back, dirs[i].name))
			FAIL("unescape_dir '%s'", dirs[i].esc);
		/* a directory name is never a file stem's spelling, and back */
		gdb_path_escape(dirs[i].name, esc);
		if (strcmp(esc, dirs[i].esc) &&
		    (gdb_path_unescape_dir(esc, back, sizeof(back)) == 0 ||
		     gdb_path_unescape(dirs[i].esc, back, sizeof(back)) == 0))
			FAIL("'%s': a stem and a directory spelled alike",
			     dirs[i].name);
	}
	memset(back, 'a', 257);
	back[257] = 0;
	if (gdb_path_unescape(back, esc, sizeof(esc)) != -ENOENT)
		FAIL("a name longer than the buffer accepted");
	snprintf(back, sizeof(back), "TP53%%2Fx%%20y");
	if (gdb_path_decode(back) != 0 || strcmp(back, "TP53/x y"))
		FAIL("decode: '%s'", back);
}

/*
 * The sequence namespace over an assembly whose contigs are named like it
 * and like the files beside them: each name listed once, and listed as
 * what lookup says it is.
 */
static const char *const CLASH[] = {
    "MT", "MT2", "foo", "foo.fa", "foo.fa.fai", "MT.dict", "bar.fai", ".."};
#define NCLASH (int)N(CLASH)

static void test_seq_names(const gdb_store *s)
{
	char names[64][GDB_SEQ_NAME_MAX];
	int seen_dir[NCLASH] = {0}, listed = 0;

	for (uint64_t i = 0;; i++) {
		gdb_seq_entry e, f;
		char *nm = names[listed];
		int r = gdb_seq_list(s, 0, i, &e, nm, GDB_SEQ_NAME_MAX);
		if (r < 0)
			break;
		if (r == 0)
			continue;
		for (int j = 0; j < listed; j++)
			if (!strcmp(names[j], nm))
				FAIL("'%s' listed twice", nm);
		if (gdb_seq_lookup(s, 0, nm, &f) != 0 || f.kind != e.kind ||
		    (e.kind >= GDB_SEQ_CONTIG_DIR && f.contig != e.contig))
			FAIL("'%s' listed as %d/%u, looks up as %d/%u", nm,
			     e.kind, e.contig, f.kind, f.contig);
		if (e.kind == GDB_SEQ_CONTIG_DIR)
			seen_dir[e.contig] = 1;
		if (++listed == 64)
			break;
	}
	/* 3 assembly files, a directory each, two files each but MT's */
	if (listed != 3 + 3 * NCLASH - 2)
		FAIL("%d names listed", listed);
	for (int k = 0; k < NCLASH; k++)
		if (!seen_dir[k])
			FAIL("no directory for contig '%s'", CLASH[k]);
}

static int clash_store(void)
{
	int64_t lens[NCLASH];
	char *seqs[NCLASH], dir[64], err[512];
	gdb_store *s;
	int rc = 0;

	if (unit_store_dir(dir) < 0)
		return -1;
	for (int k = 0; k < NCLASH; k++) {
		lens[k] = 100 + k;
		seqs[k] = xmalloc((size_t)lens[k]);
		memset(seqs[k], 'A', (size_t)lens[k]);
	}
	if (unit_store_build(dir, "MT", CLASH, seqs, lens, NCLASH) < 0 ||
	    gdb_store_open(dir, 0, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "clash store: %s\n", err);
		rc = -1;
	} else {
		test_seq_names(s);
		gdb_store_close(s);
	}
	for (int k = 0; k < NCLASH; k++)
		free(seqs[k]);
	unit_store_rm(dir);
	return rc;
}

int main(void)
{
	static const char *const names[] = {"chr1", "chr/2", "x:1-5", "%odd"};
	int64_t lens[] = {200001, 65537, 70000, 1};
	char *seqs[4], dir[64], err[512];
	gdb_store *s;

	test_range();
	test_params();
	test_params_list();
	test_split();
	test_escapes();
	if (unit_store_dir(dir) < 0)
		return T_EXIT_FAIL;
	for (int k = 0; k < 4; k++) {
		seqs[k] = xmalloc((size_t)lens[k]);
		for (int64_t i = 0; i < lens[k]; i++)
			seqs[k][i] = "ACGT"[rnd() & 3];
	}
	if (unit_store_build(dir, "t", names, seqs, lens, 4) < 0 ||
	    gdb_store_open(dir, 0, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "store: %s\n", err);
		return T_EXIT_FAIL;
	}
	test_region(s);
	test_region_sizes(s);
	gdb_store_close(s);
	if (clash_store() < 0)
		return T_EXIT_FAIL;
	for (int k = 0; k < 4; k++)
		free(seqs[k]);
	unit_store_rm(dir);
	if (failures)
		fprintf(stderr, "test_ns: %d failure(s)\n", failures);
	else
		printf("test_ns: ok\n");
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
