/*
 * tests/unit/test_annotations.c - the annotations module without a mount:
 * the interval tree against its scalar twin (a linear scan) for every
 * contig size from 1 to 130 features and one of 100,000, nearest and the
 * batch calls against brute force, the parsers' refusals (each reason),
 * GFF3 parent/child resolution (forward Parents, a missing Parent, a
 * cycle, orphans allowed), translation of known codons, and the reader's
 * refusal of sets whose sections pass their CRC but break the invariants
 * queries rely on. Exit 0 pass, 1 fail.
 */
#define UNIT_SEED 0x616e6e6f74ull
#include "tests/unit/unit.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "annotations/annotations.h"
#include "codecs/codecs.h"
#include "store/store.h"

#define NSMALL 130
#define SMALL_LEN 20000
#define BIG_LEN 5000000
#define BIG_N 100000

static char dir[64] = "/tmp/gdb-annot-XXXXXX";

/* An assembly "ref" of NSMALL contigs c0.. and one "big", all N. */
static int make_store(void)
{
	char err[512], name[16];
	size_t cap = gdb_codecs_dna_bound(GDB_DNA_BLOCK_BASES);
	uint8_t *enc = xmalloc(cap), md5[16] = {0}, sha[24] = {0};
	char *bases = xmalloc(GDB_DNA_BLOCK_BASES);
	gdb_provenance p = {.target = "ref", .source = "mem", .command = "t"};
	gdb_txn *t;

	memset(bases, 'N', GDB_DNA_BLOCK_BASES);
	if (gdb_store_init(dir, err, sizeof(err)) < 0 ||
	    gdb_txn_begin(dir, &t, err, sizeof(err)) < 0 ||
	    gdb_txn_assembly_begin(t, "ref", err, sizeof(err)) < 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	for (int k = 0; k <= NSMALL; k++) {
		int64_t len = k < NSMALL ? SMALL_LEN : BIG_LEN;
		snprintf(name, sizeof(name), k < NSMALL ? "c%d" : "big", k);
		CHECK(gdb_txn_contig_begin(t, name, "", GDB_DNA_BLOCK_BASES,
					   err, sizeof(err)) == 0,
		      "%s", err);
		for (int64_t off = 0; off < len; off += GDB_DNA_BLOCK_BASES) {
			uint32_t nb = (uint32_t)(len - off < GDB_DNA_BLOCK_BASES
						     ? len - off
						     : GDB_DNA_BLOCK_BASES);
			int e =
			    gdb_codecs_dna_encode(bases, nb, 0, enc, cap, NULL);
			CHECK(e > 0 &&
				  gdb_txn_block_add(t, enc, (size_t)e, nb) == 0,
			      "block");
		}
		CHECK(gdb_txn_contig_end(t, len, 60, md5, sha) == 0, "end");
	}
	CHECK(gdb_txn_provenance(t, &p) == 0, "provenance");
	CHECK(gdb_txn_commit(t, NULL, err, sizeof(err)) == 0, "%s", err);
	free(enc);
	free(bases);
	return 0;
}

/* The reference's contigs as a builder table (names stay allocated). */
static gdb_annot_refcontig refs[NSMALL + 1];

static void make_refs(void)
{
	for (int k = 0; k <= NSMALL; k++) {
		char *n = xmalloc(16);
		snprintf(n, 16, k < NSMALL ? "c%d" : "big", k);
		refs[k].name = n;
		refs[k].length = k < NSMALL ? SMALL_LEN : BIG_LEN;
	}
}

/* Feed text (lines separated by '\n') and commit the set. */
static int import_text(const char *set, int fmt, unsigned flags,
		       const char *text, char *err, size_t errlen)
{
	gdb_annot_builder *b;
	gdb_txn *t = NULL;
	char obj[300];
	gdb_provenance p = {.target = set, .source = "mem", .command = "t"};
	uint64_t line = 0;
	int rc = gdb_annot_builder_new(fmt, refs, NSMALL + 1, flags, &b);

	for (const char *s = text; rc == 0 && *s;) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		rc =
		    gdb_annot_builder_line(b, s, n, "mem", ++line, err, errlen);
		s += n + (e != NULL);
	}
	rc = rc == 1 ? 0 : rc;
	if (rc == 0)
		rc = gdb_annot_builder_finish(b, NULL, err, errlen);
	snprintf(obj, sizeof(obj), GDB_ANNOT_OBJECT_PREFIX "%s", set);
	if (rc == 0)
		rc = gdb_txn_begin(dir, &t, err, errlen);
	if (rc == 0)
		rc = gdb_txn_object_begin(t, GDB_OBJECT_SECTIONS, obj, err,
					  errlen);
	if (rc == 0)
		rc = gdb_annot_builder_write(b, t, "ref", err, errlen);
	if (rc == 0)
		rc = gdb_txn_provenance(t, &p);
	if (rc == 0) {
		rc = gdb_txn_commit(t, NULL, err, errlen);
		t = NULL;
	}
	gdb_txn_abort(t);
	gdb_annot_builder_free(b);
	return rc;
}

static int open_set(const char *set, gdb_store **s, gdb_annot **a)
{
	char err[512];
	int rc = gdb_store_open(dir, 0, s, err, sizeof(err));

	if (rc == 0)
		rc = gdb_annot_open(*s, set, a, err, sizeof(err));
	if (rc < 0)
		FAIL("open %s: %s (%s)", set, err, gdb_strerror(rc));
	return rc;
}

/* ---- the tree against the scan ---- */

static int64_t rnd_len(void)
{
	uint64_t r = rnd() % 100;

	return r < 5	? 0
	       : r < 60 ? (int64_t)(rnd() % 200)
	       : r < 95 ? (int64_t)(rnd() % 5000)
			: (int64_t)(rnd() % 200000);
}

static void add_bed(gdb_buf *o, const char *name, int64_t len)
{
	int64_t b = (int64_t)(rnd() % (uint64_t)len), l = rnd_len();
	int64_t e = b + l > len ? len : b + l;

	gdb_buf_printf(o, "%s\t%lld\t%lld\tf\n", name, (long long)b,
		       (long long)e);
}

static void compare_query(const gdb_annot *a, uint32_t slot, int64_t b,
			  int64_t e)
{
	gdb_annot_hits x = {0}, y = {0};
	int64_t n1 = gdb_annot_overlap(a, slot, b, e, &x);
	int64_t n2 = gdb_annot_overlap_scan(a, slot, b, e, &y);

	CHECK(n1 == n2 && (n1 <= 0 || !memcmp(x.idx, y.idx, (size_t)n1 * 8)),
	      "slot %u [%lld,%lld): tree %lld hits, scan %lld", slot,
	      (long long)b, (long long)e, (long long)n1, (long long)n2);
	gdb_annot_hits_free(&x);
	gdb_annot_hits_free(&y);
}

/* Brute-force nearest, by the documented rule: the first overlapping
 * feature; else the feature ending last at or before b (lowest index on
 * ties) or the first starting at or after e, whichever gap is smaller,
 * the left one on a tie. */
static void brute_nearest(const gdb_annot *a, uint32_t slot, int64_t b,
			  int64_t e, int64_t *best, int64_t *dist)
{
	gdb_annot_info info;
	int64_t l = -1, r = -1, lend = 0, rbeg = 0;

	gdb_annot_info_get(a, &info);
	*best = *dist = -1;
	for (uint64_t i = 0; i < info.nfeatures; i++) {
		gdb_annot_feature f;
		gdb_annot_feature_get(a, i, &f);
		if (f.contig != slot)
			continue;
		if (f.beg < e && b < f.end) {
			*best = (int64_t)i;
			*dist = 0;
			return;
		}
		if (f.end <= b && (l < 0 || f.end > lend)) {
			l = (int64_t)i;
			lend = f.end;
		}
		if (f.beg >= e && (r < 0 || f.beg < rbeg)) {
			r = (int64_t)i;
			rbeg = f.beg;
		}
	}
	if (l >= 0) {
		*best = l;
		*dist = b - lend;
	}
	if (r >= 0 && (l < 0 || rbeg - e < *dist)) {
		*best = r;
		*dist = rbeg - e;
	}
}

static void random_query(int64_t len, int64_t *b, int64_t *e)
{
	int64_t l = rnd() % 4 == 0 ? 0 : rnd_len();

	*b = (int64_t)(rnd() % (uint64_t)len);
	*e = *b + l > len ? len : *b + l;
}

static void test_tree(void)
{
	gdb_buf o = {0};
	gdb_store *s;
	gdb_annot *a;
	char err[512];

	for (int k = 0; k < NSMALL; k++) {
		char name[16];
		snprintf(name, sizeof(name), "c%d", k);
		for (int i = 0; i <= k; i++)
			add_bed(&o, name, SMALL_LEN);
	}
	for (int i = 0; i < BIG_N; i++)
		add_bed(&o, "big", BIG_LEN);
	gdb_buf_add(&o, "", 1);
	CHECK(!o.err && import_text("tree", GDB_ANNOT_BED, 0, o.p, err,
				    sizeof(err)) == 0,
	      "import: %s", err);
	gdb_buf_free(&o);
	if (open_set("tree", &s, &a) < 0)
		return;
	for (uint32_t slot = 0; slot <= NSMALL; slot++) {
		int64_t len = slot < NSMALL ? SMALL_LEN : BIG_LEN;
		int nq = slot < NSMALL ? 60 : 2000;
		int32_t c[2000];
		int64_t qb[2000], qe[2000], nf[2000], nd[2000];
		CHECK(gdb_annot_contig_find(a, slot < NSMALL
						   ? refs[slot].name
						   : "big") == (int)slot,
		      "slot of contig %u", slot);
		for (int q = 0; q < nq; q++) {
			random_query(len, &qb[q], &qe[q]);
			c[q] = (int32_t)slot;
			compare_query(a, slot, qb[q], qe[q]);
		}
		CHECK(gdb_annot_nearest_batch(a, (size_t)nq, c, qb, qe, nf,
					      nd) == 0,
		      "nearest");
		for (int q = 0; q < nq; q++) {
			int64_t bf, bd;
			brute_nearest(a, slot, qb[q], qe[q], &bf, &bd);
			CHECK(nf[q] == bf && nd[q] == bd,
			      "nearest slot %u [%lld,%lld): %lld at %lld, "
			      "brute %lld at %lld",
			      slot, (long long)qb[q], (long long)qe[q],
			      (long long)nf[q], (long long)nd[q], (long long)bf,
			      (long long)bd);
		}
	}
	gdb_annot_close(a);
	gdb_store_close(s);
}

/* The batch equals one query at a time, pairs by query then feature. */
static void test_batch(void)
{
	enum { N = 500 };
	int32_t c[N];
	int64_t b[N], e[N];
	uint64_t counts[N], counts2[N], *qi, *fi, np, k = 0;
	gdb_store *s;
	gdb_annot *a;

	if (open_set("tree", &s, &a) < 0)
		return;
	for (int q = 0; q < N; q++) {
		c[q] = q % 7 == 0 ? -1 : (int32_t)(rnd() % (NSMALL + 1));
		random_query(c[q] == NSMALL ? BIG_LEN : SMALL_LEN, &b[q],
			     &e[q]);
	}
	CHECK(gdb_annot_overlap_batch(a, N, c, b, e, counts, &qi, &fi, &np) ==
		  0,
	      "batch");
	CHECK(gdb_annot_overlap_batch(a, N, c, b, e, counts2, NULL, NULL,
				      NULL) == 0,
	      "batch counts");
	for (int q = 0; q < N; q++) {
		gdb_annot_hits h = {0};
		int64_t n = c[q] < 0 ? 0
				     : gdb_annot_overlap(a, (uint32_t)c[q],
							 b[q], e[q], &h);
		CHECK(counts[q] == (uint64_t)n && counts2[q] == (uint64_t)n,
		      "count %d", q);
		for (int64_t i = 0; i < n && k < np; i++, k++)
			CHECK(qi[k] == (uint64_t)q && fi[k] == h.idx[i],
			      "pair %llu", (unsigned long long)k);
		gdb_annot_hits_free(&h);
	}
	CHECK(k == np, "pairs %llu of %llu", (unsigned long long)k,
	      (unsigned long long)np);
	b[0] = 10;
	e[0] = 5;
	CHECK(gdb_annot_overlap_batch(a, 1, c, b, e, counts, NULL, NULL,
				      NULL) == -EINVAL,
	      "beg > end accepted");
	free(qi);
	free(fi);
	gdb_annot_close(a);
	gdb_store_close(s);
}

/* ---- refusals ---- */

static void test_refusals(void)
{
	static const struct {
		int fmt;
		unsigned flags;
		const char *text;
		const char *msg; /* a part of the message */
	} cases[] = {
	    {GDB_ANNOT_GFF3, 0, "c1\tx\tgene\t1\t10\t.\t+\t.", "8 tab"},
	    {GDB_ANNOT_GFF3, 0, "c1\tx\tgene\t1\t10\t.\t+\t.\tID=a\textra",
	     "10 tab"},
	    {GDB_ANNOT_GFF3, 0, "c1\tx\tgene\t0\t10\t.\t+\t.\tID=a",
	     "positive whole"},
	    {GDB_ANNOT_GFF3, 0, "c1\tx\tgene\t5\t4\t.\t+\t.\tID=a",
	     "end 4 before start 5"},
	    {GDB_ANNOT_GFF3, 0, "c1\tx\tgene\t-5\t4\t.\t+\t.\tID=a",
	     "positive whole"},
	    {GDB_ANNOT_GFF3, 0, "c1\tx\tgene\t1\t10\t.\t*\t.\tID=a", "strand"},
	    {GDB_ANNOT_GFF3, 0, "c1\tx\tCDS\t1\t10\t.\t+\t3\tID=a", "phase"},
	    {GDB_ANNOT_GFF3, 0, "c1\tx\tgene\t1\t10\tabc\t+\t.\tID=a", "score"},
	    {GDB_ANNOT_GFF3, 0, "zz\tx\tgene\t1\t10\t.\t+\t.\tID=a",
	     "seqid 'zz' is not a contig"},
	    {GDB_ANNOT_GFF3, 0, "c1\tx\tgene\t1\t20001\t.\t+\t.\tID=a",
	     "past the end of c1"},
	    {GDB_ANNOT_GFF3, 0, "c1\tx\tgene\t1\t10\t.\t+\t.\tID=a%2",
	     "escape"},
	    {GDB_ANNOT_GFF3, 0,
	     "c1\tx\tgene\t1\t10\t.\t+\t.\tID=a\nc1\tx\tmRNA\t1\t10\t.\t+\t."
	     "\tID=b;Parent=nope",
	     "mem:2: Parent 'nope' never appears"},
	    {GDB_ANNOT_GFF3, 0,
	     "c1\tx\tgene\t1\t10\t.\t+\t.\tID=a;Parent=b\nc1\tx\tgene\t1\t10"
	     "\t.\t+\t.\tID=b;Parent=a",
	     "own ancestor"},
	    {GDB_ANNOT_BED, 0, "c1\t10", "2 tab"},
	    {GDB_ANNOT_BED, 0, "c1\t10\t5", "end 5 before start 10"},
	    {GDB_ANNOT_BED, 0, "c1 10 20", "1 tab"},
	    {GDB_ANNOT_BED, 0, "c1\t10\t20\tn\t0\tx", "strand"},
	    {GDB_ANNOT_BED, 0, "c1\t10\t20\tn\t0\t+\t5\t20", "thick"},
	    {GDB_ANNOT_BED, 0, "c1\t10\t20\tn\t0\t+\t10\t20\t0\t2\t3,3\t0,5",
	     "blocks"},
	    {GDB_ANNOT_BED, 0, "c1\t10\t20\tn\t0\t+\t10\t20\t0\t2\t3,3\t0,8",
	     "blocks"},
	    {GDB_ANNOT_BED, 0, "c1\t10\t20\tn\t0\t+\t10\t20\t0\t2", "BED12"},
	};
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char set[16];
		int rc;
		err[0] = 0;
		snprintf(set, sizeof(set), "bad%zu", i);
		rc = import_text(set, cases[i].fmt, cases[i].flags,
				 cases[i].text, err, sizeof(err));
		CHECK(rc == GDB_EFORMAT && strstr(err, cases[i].msg) &&
			  !strncmp(err, "mem:", 4),
		      "case %zu: rc %d, message '%s', expected '%s'", i, rc,
		      err, cases[i].msg);
	}
	/* the same missing Parent is kept (without the link) on request */
	CHECK(import_text("orph", GDB_ANNOT_GFF3, GDB_ANNOT_ALLOW_ORPHANS,
			  "c1\tx\tmRNA\t1\t10\t.\t+\t.\tID=b;Parent=nope", err,
			  sizeof(err)) == 0,
	      "orphans: %s", err);
	/* and a seqid the reference lacks is dropped on request */
	CHECK(import_text("skip", GDB_ANNOT_GFF3, GDB_ANNOT_SKIP_UNKNOWN,
			  "zz\tx\tgene\t1\t10\t.\t+\t.\tID=a\n"
			  "c1\tx\tmRNA\t1\t10\t.\t+\t.\tID=b;Parent=a",
			  err, sizeof(err)) == 0,
	      "skip: %s", err);
}

/* ---- GFF3 structure ---- */

static void test_structure(void)
{
	/* children before their parents; a CDS on two lines with one ID;
	 * two Parents; an ID on two contigs; escaped values */
	const char *text =
	    "##gff-version 3\n"
	    "c2\tx\texon\t100\t200\t.\t-\t.\tParent=t1\n"
	    "c2\tx\tCDS\t150\t200\t.\t-\t0\tID=cds1;Parent=t1,t2\n"
	    "c2\tx\tCDS\t300\t400\t.\t-\t2\tID=cds1;Parent=t1,t2\n"
	    "c2\tx\tmRNA\t100\t400\t.\t-\t.\tID=t1;Parent=g%3B1\n"
	    "c2\tx\tmRNA\t150\t400\t.\t-\t.\tID=t2;Parent=g%3B1\n"
	    "c2\tx\tgene\t100\t400\t.\t-\t.\tID=g%3B1;Name=Alpha%20one;"
	    "gene=ALP1\n"
	    "c3\tx\tgene\t1\t50\t.\t+\t.\tID=g%3B1;Name=Alpha%20one\n"
	    "###\n"
	    "##FASTA\n"
	    ">not a feature\n";
	gdb_store *s;
	gdb_annot *a;
	gdb_annot_group g;
	uint32_t *genes;
	char err[512];
	int t1;

	CHECK(import_text("st", GDB_ANNOT_GFF3, 0, text, err, sizeof(err)) == 0,
	      "import: %s", err);
	if (open_set("st", &s, &a) < 0)
		return;
	t1 = gdb_annot_group_find(a, "t1");
	CHECK(t1 >= 0 && gdb_annot_group_get(a, (uint32_t)t1, &g) == 0 &&
		  g.nkids == 3 && g.nsubs == 1 && g.nlines == 1,
	      "t1: %u kids, %u subs, %u lines", g.nkids, g.nsubs, g.nlines);
	CHECK(gdb_annot_group_find(a, "cds1") >= 0 &&
		  gdb_annot_group_get(
		      a, (uint32_t)gdb_annot_group_find(a, "cds1"), &g) == 0 &&
		  g.nlines == 2 && g.beg == 149 && g.end == 400,
	      "cds1 span");
	CHECK(gdb_annot_genes_find(a, "Alpha one", &genes) == 2, "by Name");
	free(genes);
	CHECK(gdb_annot_genes_find(a, "alp1", &genes) == 1,
	      "by gene, any case");
	if (genes && gdb_annot_group_get(a, genes[0], &g) == 0)
		CHECK(!strcmp(g.id, "g;1") && g.nsubs == 2 && g.strand == '-',
		      "gene g;1: %s, %u subs", g.id, g.nsubs);
	free(genes);
	CHECK(gdb_annot_genes_find(a, "t1", &genes) == 0, "an mRNA is no gene");
	free(genes);
	gdb_annot_close(a);
	gdb_store_close(s);
}

static void test_translate(void)
{
	static const struct {
		const char *dna;
		int table, start;
		const char *aa;
	} cases[] = {
	    {"ATGAAATAG", 1, 0, "MK*"},
	    {"TTGAAATAA", 11, 1, "MK*"},
	    {"TTGAAATAA", 1, 0, "LK*"},
	    {"tgaTGA", 4, 0, "WW"},
	    {"RAYSARMTANNNTRAGCNTAN", 1, 0, "BZJX*AX"},
	    {"AGA", 2, 0, "*"},
	    {"ATGA", 1, 0, "M"},
	};
	char out[16];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t n =
		    gdb_annot_translate(cases[i].dna, strlen(cases[i].dna),
					cases[i].table, cases[i].start, out);
		CHECK(n == (int64_t)strlen(cases[i].aa) &&
			  !memcmp(out, cases[i].aa, (size_t)n),
		      "%s (table %d): %.*s, expected %s", cases[i].dna,
		      cases[i].table, (int)(n > 0 ? n : 0), out, cases[i].aa);
	}
	CHECK(gdb_annot_translate("ATG", 3, 7, 0, out) == -EINVAL, "table 7");
}

/* ---- sets that pass their CRC but break an invariant ---- */

/* Copy set "st" to set `to` with byte `off` of section `sec` changed by
 * adding `delta`. */
static int forge(const char *to, const char *sec, uint64_t off, int delta)
{
	gdb_store *s;
	gdb_txn *t = NULL;
	char err[512], obj[300];
	gdb_provenance p = {.target = to, .source = "mem", .command = "t"};
	int o, rc = gdb_store_open(dir, 0, &s, err, sizeof(err));

	if (rc < 0)
		return rc;
	o = gdb_store_object_find(s, GDB_OBJECT_SECTIONS,
				  GDB_ANNOT_OBJECT_PREFIX "st");
	snprintf(obj, sizeof(obj), GDB_ANNOT_OBJECT_PREFIX "%s", to);
	rc = o < 0 ? o : gdb_txn_begin(dir, &t, err, sizeof(err));
	if (rc == 0)
		rc = gdb_txn_object_begin(t, GDB_OBJECT_SECTIONS, obj, err,
					  sizeof(err));
	for (uint32_t i = 0;
	     rc == 0 && i < gdb_store_object(s, (uint32_t)o)->nsections; i++) {
		const char *name;
		const void *d;
		uint64_t len;
		uint8_t *copy;
		rc = gdb_store_section_at(s, (uint32_t)o, i, &name, &d, &len);
		if (rc < 0)
			break;
		copy = xmalloc(len);
		memcpy(copy, d, len);
		if (!strcmp(name, sec) && off < len)
			copy[off] = (uint8_t)(copy[off] + delta);
		rc = gdb_txn_section_begin(t, name);
		if (rc == 0)
			rc = gdb_txn_section_write(t, copy, len);
		if (rc == 0)
			rc = gdb_txn_section_end(t);
		free(copy);
	}
	if (rc == 0)
		rc = gdb_txn_provenance(t, &p);
	if (rc == 0) {
		rc = gdb_txn_commit(t, NULL, err, sizeof(err));
		t = NULL;
	}
	gdb_txn_abort(t);
	gdb_store_close(s);
	return rc;
}

static void test_forged(void)
{
	static const struct {
		const char *sec;
		uint64_t off;
		int delta, rc;
		const char *msg;
	} cases[] = {
	    {"annot.meta", 8, 1, GDB_EVERSION, "version"},
	    {"annot.iv", 16, 1, GDB_ECORRUPT, "interval index"},
	    {"annot.iv", 0, 100, GDB_ECORRUPT, "interval index"},
	    {"annot.feat", 19, 0x7f, GDB_ECORRUPT, "feature table"},
	    {"annot.groups", 39, 0x7f, GDB_ECORRUPT, "group table"},
	    {"annot.contigs", 24, 1, GDB_ECORRUPT, "at the length"},
	    {"annot.kids", 3, 0x7f, GDB_ECORRUPT, "child lines"},
	    {"annot.strings", 0, 'x', GDB_ECORRUPT, "strings"},
	};
	char err[512], set[16];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gdb_store *s;
		gdb_annot *a = NULL;
		int rc;
		snprintf(set, sizeof(set), "forged%zu", i);
		CHECK(forge(set, cases[i].sec, cases[i].off, cases[i].delta) ==
			  0,
		      "forge %zu", i);
		if (gdb_store_open(dir, 0, &s, err, sizeof(err)) < 0)
			continue;
		err[0] = 0;
		rc = gdb_annot_open(s, set, &a, err, sizeof(err));
		CHECK(rc == cases[i].rc && strstr(err, cases[i].msg),
		      "forged %s+%llu: rc %d '%s', expected %d '%s'",
		      cases[i].sec, (unsigned long long)cases[i].off, rc, err,
		      cases[i].rc, cases[i].msg);
		gdb_annot_close(a);
		gdb_store_close(s);
	}
}

int main(void)
{
	char cmd[128];

	if (!mkdtemp(dir))
		return T_EXIT_FAIL;
	strcat(dir, "/s");
	make_refs();
	if (make_store() < 0)
		return T_EXIT_FAIL;
	test_tree();
	test_batch();
	test_refusals();
	test_structure();
	test_translate();
	test_forged();
	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)strlen(dir) - 2, dir);
	if (system(cmd) != 0)
		FAIL("%s", cmd);
	for (int k = 0; k <= NSMALL; k++)
		free((void *)refs[k].name);
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
