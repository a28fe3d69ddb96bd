/*
 * tests/unit/test_reads.c - the codecs reads/ stands on, and its slice
 * codec, against their specs (docs/FORMAT.md "Column frame", "Quality
 * modes", "Aligned slice") and against hostile input.
 *
 *  - Column frames: byte-for-byte round trips of random, constant, skewed,
 *    striped-integer and text columns through every coder, sizes 0..300
 *    and around the sampling threshold; names through tok3 (and names tok3
 *    cannot take: a tab, an empty name); qualities through fqzcomp;
 *    deterministic output; every truncation and single-byte flip of a
 *    frame is read without overrun (the AddressSanitizer build checks)
 *    and gives either an error or the frame's declared length (the
 *    coders carry no checksum: the store's CRC32C guards the bytes); raw
 *    lengths above the caller's bound are refused.
 *  - Quality binning: lossless is the identity; illumina8 is Illumina's
 *    table; bins= maps each value to the largest bound at or below it and
 *    keeps values below the first; malformed specs are refused.
 *  - Read bases: reads of random length (0 included) with IUPAC letters,
 *    U and lowercase round-trip, small sets and large; flips fail or
 *    decode without overrun; an invalid letter is refused at its index.
 *  - Slices: random records (all CIGAR operations, '=' and N bases,
 *    missing SEQ/QUAL, tags of every type, computed MD/NM) round-trip
 *    through rd_slice_encode/rd_slice_decode as htslib BAM bytes; every
 *    single-byte flip and truncation of a slice decodes or fails cleanly;
 *    each header and directory check refuses its field; each column cut
 *    by a byte, or given one more, and framed again is GDB_ECORRUPT, and
 *    changed bytes in a column framed again decode or fail cleanly.
 *  - Tag lines: 500 distinct tag lines in a slice (the dictionary's map
 *    grows), NM stored as each integer type, and records of more tag
 *    keys than a slice holds round-trip.
 *
 * Exit status: 0 pass, 1 fail.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/codecs.h"
#include "reads/reads_int.h"

#define UNIT_SEED 0x9e3779b97f4a7c15ull
#include "tests/unit/unit.h"

static uint32_t below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

/* ---- column frames ---- */

static void fill(uint8_t *p, size_t n, int kind)
{
	for (size_t i = 0; i < n; i++) {
		switch (kind) {
		case 0:
			p[i] = (uint8_t)rnd();
			break; /* random */
		case 1:
			p[i] = 7;
			break; /* constant */
		case 2:
			p[i] = (uint8_t)(below(8) ? 30 : below(40));
			break;
		case 3:
			p[i] = i % 4 == 0 ? (uint8_t)below(200) : 0;
			break;
		default:
			p[i] = (uint8_t) "ACGT\n"[below(5)];
			break;
		}
	}
}

static void check_round_trip(const uint8_t *src, size_t n, unsigned tries,
			     const char *what)
{
	gdb_buf a = {0}, b = {0};
	uint8_t *back = NULL;
	size_t bn = 0;

	if (gdb_codecs_col_encode(src, n, tries, &a) < 0 ||
	    gdb_codecs_col_encode(src, n, tries, &b) < 0) {
		FAIL("%s: encode of %zu bytes failed", what, n);
		goto out;
	}
	if (a.len != b.len || memcmp(a.p, b.p, a.len))
		FAIL("%s: encoding %zu bytes twice differs", what, n);
	if (gdb_codecs_col_decode((uint8_t *)a.p, a.len, n, &back, &bn) < 0 ||
	    bn != n || memcmp(back, src, n))
		FAIL("%s: %zu bytes do not round-trip (method %d)", what, n,
		     a.len ? ((uint8_t *)a.p)[0] : -1);
	free(back);
	back = NULL;
	if (n && gdb_codecs_col_decode((uint8_t *)a.p, a.len, n - 1, &back,
				       &bn) != GDB_ECORRUPT)
		FAIL("%s: a raw length above the bound was accepted", what);
out:
	free(back);
	gdb_buf_free(&a);
	gdb_buf_free(&b);
}

/* Flip every byte, cut at every length: no crash, no wrong length. */
static void check_hostile(const uint8_t *frame, size_t len, size_t raw)
{
	uint8_t *c = xmalloc(len);

	for (size_t i = 0; i < len; i++) {
		uint8_t *back = NULL;
		size_t bn = 0;
		memcpy(c, frame, len);
		c[i] ^= (uint8_t)(1u << below(8));
		if (gdb_codecs_col_decode(c, len, raw + 64, &back, &bn) == 0 &&
		    bn != gdb_get_le32(c + 1))
			FAIL("flip at %zu: %zu bytes for a frame of %u", i, bn,
			     gdb_get_le32(c + 1));
		free(back);
	}
	/* the coders cannot tell every cut (the store's CRC does): a cut
	 * frame must only never be read past, nor give another length */
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *t = xmalloc(cut ? cut : 1), *back = NULL;
		size_t bn;
		memcpy(t, frame, cut);
		if (gdb_codecs_col_decode(t, cut, raw, &back, &bn) == 0 &&
		    bn != raw)
			FAIL("truncation to %zu of %zu: %zu bytes", cut, len,
			     bn);
		free(back);
		free(t);
	}
	free(c);
}

static void test_columns(void)
{
	static const size_t sizes[] = {0, 1, 15, 16, 17, 100, 300, 4096};
	uint8_t *p = xmalloc(700001);

	/* around the size above which coders are chosen on a sample */
	for (int kind = 0; kind < 5; kind += 2) {
		fill(p, 700000, kind);
		check_round_trip(p, 512 << 10, GDB_COL_ALL, "at threshold");
		check_round_trip(p, (512 << 10) + 1, GDB_COL_ALL, "sampled");
	}
	for (int kind = 0; kind < 5; kind++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			fill(p, sizes[s], kind);
			check_round_trip(p, sizes[s], GDB_COL_ALL, "all");
			if (sizes[s] < 5000) {
				check_round_trip(p, sizes[s], GDB_COL_R0, "r0");
				check_round_trip(p, sizes[s], GDB_COL_A1, "a1");
				check_round_trip(p, sizes[s], GDB_COL_Z, "z");
				check_round_trip(p, sizes[s], GDB_COL_STRIPE4,
						 "stripe");
			}
		}
	for (int kind = 0; kind < 5; kind += 2) {
		gdb_buf f = {0};
		fill(p, 300, kind);
		if (gdb_codecs_col_encode(p, 300, GDB_COL_ALL, &f) == 0)
			check_hostile((uint8_t *)f.p, f.len, 300);
		gdb_buf_free(&f);
	}
	free(p);
}

static void names_round_trip(const char *names, size_t n, const char *what)
{
	gdb_buf f = {0};
	uint8_t *back = NULL;
	size_t bn = 0;

	if (gdb_codecs_col_encode_names(names, n, &f) < 0 ||
	    gdb_codecs_col_decode((uint8_t *)f.p, f.len, n, &back, &bn) < 0 ||
	    bn != n || memcmp(back, names, n))
		FAIL("%s: names do not round-trip", what);
	free(back);
	gdb_buf_free(&f);
}

static void test_names(void)
{
	gdb_buf n = {0};

	for (int i = 0; i < 3000; i++)
		gdb_buf_printf(&n, "M01234:55:000000000-ABCDE:1:%d:%d:%d%c",
			       1101 + i % 19, (int)below(30000), i, 0);
	names_round_trip(n.p, n.len, "illumina");
	n.len = 0;
	for (int i = 0; i < 500; i++)
		gdb_buf_printf(&n, "%08x-%04x-%04x%c", (unsigned)rnd(),
			       (unsigned)below(65536), (unsigned)below(65536),
			       0);
	names_round_trip(n.p, n.len, "uuid");
	n.len = 0;
	for (int i = 0; i < 200; i++)
		gdb_buf_printf(&n, "read %d\twith tab%c%c", i, 0, 0);
	names_round_trip(n.p, n.len, "tabs and empty names");
	gdb_buf_free(&n);
}

static void test_quals(void)
{
	enum { NREC = 400 };
	uint32_t lens[NREC], flags[NREC];
	size_t total = 0;
	uint8_t *q;
	gdb_buf f = {0};
	uint8_t *back = NULL;
	size_t bn = 0;

	for (int i = 0; i < NREC; i++) {
		lens[i] = 50 + below(200);
		flags[i] = below(2) ? 16 : 0;
		total += lens[i];
	}
	q = xmalloc(total);
	for (size_t i = 0; i < total; i++)
		q[i] = (uint8_t)(i % 7 ? 30 + below(10) : below(41));
	if (gdb_codecs_col_encode_quals(q, total, lens, flags, NREC, &f) < 0 ||
	    gdb_codecs_col_decode((uint8_t *)f.p, f.len, total, &back, &bn) <
		0 ||
	    bn != total || memcmp(back, q, total))
		FAIL("qualities do not round-trip");
	free(back);
	back = NULL;
	f.len = 0;
	/* lengths that do not add up: fqzcomp is skipped, still exact */
	if (gdb_codecs_col_encode_quals(q, total - 1, lens, flags, NREC, &f) <
		0 ||
	    gdb_codecs_col_decode((uint8_t *)f.p, f.len, total, &back, &bn) <
		0 ||
	    bn != total - 1 || memcmp(back, q, total - 1))
		FAIL("qualities with inconsistent lengths do not round-trip");
	free(back);
	gdb_buf_free(&f);
	free(q);
}

static void test_bins(void)
{
	gdb_qual_bins b;
	char err[200];
	static const char *const bad[] = {"bins=",     "bins=10,5", "bins=0,3",
					  "bins=3,,5", "bins=3,",   "bins=94",
					  "illumina",  "bins=a",    ""};
	uint8_t q[100];

	if (gdb_codecs_qual_bins_parse("lossless", &b, err, sizeof(err)) < 0 ||
	    !b.lossless)
		FAIL("lossless");
	for (int i = 0; i < 256; i++)
		if (b.map[i] != i)
			FAIL("lossless maps %d to %d", i, b.map[i]);
	if (gdb_codecs_qual_bins_parse("illumina8", &b, err, sizeof(err)) < 0)
		FAIL("illumina8 refused");
	for (int i = 0; i <= 93; i++) {
		int want = i < 3    ? i
			   : i < 10 ? 6
			   : i < 20 ? 15
			   : i < 25 ? 22
			   : i < 30 ? 27
			   : i < 35 ? 33
			   : i < 40 ? 37
				    : 40;
		if (b.map[i] != want)
			FAIL("illumina8 maps %d to %d, not %d", i, b.map[i],
			     want);
	}
	if (gdb_codecs_qual_bins_parse("bins=2,10,20,30", &b, err,
				       sizeof(err)) < 0 ||
	    strcmp(b.spec, "bins=2,10,20,30"))
		FAIL("bins= refused or respelled (%s)", b.spec);
	for (int i = 0; i < 100; i++)
		q[i] = (uint8_t)i;
	gdb_codecs_qual_bins_apply(&b, q, 100);
	for (int i = 0; i < 100; i++) {
		int want = i < 2    ? i
			   : i < 10 ? 2
			   : i < 20 ? 10
			   : i < 30 ? 20
				    : 30;
		if (q[i] != want)
			FAIL("bins=2,10,20,30 maps %d to %d, not %d", i, q[i],
			     want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (gdb_codecs_qual_bins_parse(bad[i], &b, err, sizeof(err)) !=
		    GDB_EFORMAT)
			FAIL("quality mode '%s' accepted", bad[i]);
}

/* ---- read bases ---- */

static long hostile_decodes; /* flipped encodings that still decoded */

static void bases_round_trip(size_t nrec, size_t maxlen, int messy)
{
	uint32_t *lens = xmalloc(nrec * sizeof(*lens));
	size_t n = 0;
	char *b, *d;
	gdb_buf f = {0};
	static const char iupac[] = "NNNNRYSWKMBDHVU";

	for (size_t i = 0; i < nrec; i++)
		n += lens[i] = below((uint32_t)maxlen + 1);
	b = xmalloc(n + 1);
	d = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		b[i] = "ACGT"[below(4)];
		if (messy && below(40) == 0)
			b[i] = iupac[below(sizeof(iupac) - 1)];
		if (messy && below(30) == 0)
			b[i] |= 0x20;
	}
	if (gdb_codecs_bases_encode(b, n, lens, nrec, &f, NULL) < 0 ||
	    gdb_codecs_bases_decode((uint8_t *)f.p, f.len, lens, nrec, d, n) <
		0 ||
	    memcmp(b, d, n))
		FAIL("%zu bases in %zu reads do not round-trip", n, nrec);
	/* hostile: flips decode (to something) or fail, never overrun */
	for (size_t i = 0; i < f.len; i += 1 + f.len / 40) {
		uint8_t *c = xmalloc(f.len);
		memcpy(c, f.p, f.len);
		c[i] ^= (uint8_t)(1u << below(8));
		hostile_decodes +=
		    gdb_codecs_bases_decode(c, f.len, lens, nrec, d, n) == 0;
		free(c);
	}
	if (n) {
		b[n / 2] = '.';
		size_t bad = 0;
		gdb_buf g = {0};
		if (gdb_codecs_bases_encode(b, n, lens, nrec, &g, &bad) !=
			GDB_EFORMAT ||
		    bad != n / 2)
			FAIL("an invalid base was not refused at its place");
		gdb_buf_free(&g);
	}
	gdb_buf_free(&f);
	free(lens);
	free(b);
	free(d);
}

static void test_bases(void)
{
	bases_round_trip(0, 10, 1);
	bases_round_trip(5, 0, 1);
	bases_round_trip(40, 150, 0);
	bases_round_trip(40, 150, 1);
	bases_round_trip(300, 1000, 1); /* past SMALL: the model alone */
}

/* ---- slices ---- */

#define REFLEN 20000
static char refbases[REFLEN + 1];

/* A random record of tid 0 at pos, its bases mostly from the reference. */
static void random_record(bam1_t *b, int64_t pos, int i)
{
	static const char nt[] = "=ACMGRSVTWYHKDBN";
	uint32_t cig[12];
	int nc = 0, qlen = 0;
	int64_t rp = pos;
	char name[64], seq[2000], qual[2000];
	uint16_t flag = (uint16_t)(below(4) == 0 ? 16 : 0);

	if (below(10) == 0)
		cig[nc++] = bam_cigar_gen(1 + below(20), BAM_CSOFT_CLIP);
	for (int k = 0; k < 4; k++) {
		uint32_t l = 1 + below(60);
		int op = below(5)   ? BAM_CMATCH
			 : below(2) ? BAM_CEQUAL
				    : BAM_CDIFF;
		cig[nc++] = bam_cigar_gen(l, op);
		if (below(3) == 0)
			cig[nc++] = bam_cigar_gen(
			    1 + below(5), below(2) ? BAM_CINS : BAM_CDEL);
		if (below(8) == 0)
			cig[nc++] =
			    bam_cigar_gen(100 + below(300), BAM_CREF_SKIP);
	}
	cig[nc++] = bam_cigar_gen(1 + below(5), BAM_CMATCH);
	for (int k = 0; k < nc; k++) {
		int t = bam_cigar_type(bam_cigar_op(cig[k]));
		uint32_t l = bam_cigar_oplen(cig[k]);
		for (uint32_t j = 0; (t & 1) && j < l; j++) {
			char c = (t == 3 && rp + j < REFLEN) ? refbases[rp + j]
							     : "ACGT"[below(4)];
			if (below(30) == 0)
				c = nt[below(16)];
			seq[qlen] = c;
			qual[qlen++] = (char)(below(41));
		}
		if (t & 2)
			rp += l;
	}
	snprintf(name, sizeof(name), "r%d:%u", i, (unsigned)below(100000));
	if (below(20) == 0)
		flag |= BAM_FUNMAP;
	if (bam_set1(b, strlen(name), name, flag, 0, pos, (uint8_t)below(61),
		     flag & BAM_FUNMAP ? 0 : (size_t)nc, cig, below(3) ? -1 : 0,
		     below(3) ? -1 : pos + 30, (int64_t)below(500) - 250,
		     below(15) ? (size_t)qlen : 0, seq, below(10) ? qual : NULL,
		     64) < 0)
		FAIL("bam_set1 refused a test record");
	if (below(2))
		bam_aux_append(b, "RG", 'Z', 3, (const uint8_t *)"g1");
	if (below(3)) {
		int32_t v = (int32_t)below(100000) - 50000;
		bam_aux_append(b, "AS", 'i', 4, (const uint8_t *)&v);
	}
	if (below(4) == 0) {
		uint8_t arr[] = {'s', 3, 0, 0, 0, 1, 0, 2, 0, 0xff, 0xff};
		bam_aux_append(b, "XB", 'B', sizeof(arr), arr);
	}
	if (below(5) == 0) {
		float f = 0.25f;
		bam_aux_append(b, "de", 'f', 4, (const uint8_t *)&f);
	}
}

/* ---- damaged slices behind a good frame ---- */

/* A slice's columns, decoded (the frames' coders carry no checksum, but
 * a flipped frame mostly fails in the coder; the decoder's own checks
 * are reached by damaging a column and framing it again). */
typedef struct tcol {
	uint32_t id;
	uint8_t *raw;
	size_t n;
} tcol;

#define MAX_TCOLS 64

static uint32_t slice_columns(const gdb_buf *s, tcol *cols)
{
	const uint8_t *p = (const uint8_t *)s->p;
	uint32_t nc = gdb_get_le32(p + 24);
	size_t at = RD_SLICE_HDR + 8 * (size_t)nc;

	if (nc > MAX_TCOLS) {
		FAIL("a test slice has %u columns", nc);
		return 0;
	}
	for (uint32_t i = 0; i < nc; i++) {
		size_t fl = gdb_get_le32(p + RD_SLICE_HDR + 8 * i + 4);
		cols[i].id = gdb_get_le32(p + RD_SLICE_HDR + 8 * i);
		if (gdb_codecs_col_decode(p + at, fl, GDB_COL_MAX, &cols[i].raw,
					  &cols[i].n) < 0)
			FAIL("column %u of a good slice does not decode",
			     cols[i].id);
		at += fl;
	}
	return nc;
}

/* A slice with s's header and these columns, each framed raw. */
static void slice_build(const gdb_buf *s, const tcol *cols, uint32_t nc,
			gdb_buf *out)
{
	gdb_buf frames = {0};
	uint8_t *h;

	out->len = 0;
	gdb_buf_add(out, s->p, RD_SLICE_HDR);
	gdb_put_le32((uint8_t *)out->p + 24, nc);
	h = gdb_buf_room(out, 8 * (size_t)nc);
	for (uint32_t i = 0; h && i < nc; i++) {
		size_t was = frames.len;
		if (gdb_codecs_col_encode(cols[i].raw, cols[i].n, 0, &frames) <
		    0)
			FAIL("a column could not be framed");
		gdb_put_le32(h + 8 * i, cols[i].id);
		gdb_put_le32(h + 8 * i + 4, (uint32_t)(frames.len - was));
	}
	gdb_buf_add(out, frames.p, frames.len);
	gdb_buf_free(&frames);
}

/* rd_slice_decode of sl: its status (records freed). */
static int decode_status(const gdb_buf *sl, const rd_ref *ref)
{
	bam1_t **back = NULL;
	uint32_t nb = 0;
	int rc =
	    rd_slice_decode((const uint8_t *)sl->p, sl->len, ref, &back, &nb);
	if (rc == 0)
		rd_recs_free(back, nb);
	return rc;
}

/* The header and directory checks, one field at a time. */
static void slice_header_damage(const gdb_buf *s, const rd_ref *ref)
{
	static const struct {
		size_t off;
		uint32_t v;
		const char *what;
	} bad[] = {
	    {0, 4 * RD_SLICE_RECS + 1, "more records than a slice holds"},
	    {12, 0x80000000u, "a negative start"},
	    {20, 0x100u, "a window past 2^40 bases"},
	    {24, RD_NCORE + 4097, "more columns than allowed"},
	    {28, 1, "the reserved field set"},
	    {RD_SLICE_HDR, 0, "column id 0"},
	    {RD_SLICE_HDR + 8, 1, "column ids not increasing"},
	    {RD_SLICE_HDR + 4, 0x7fffffffu, "a frame past the payload"},
	    {RD_SLICE_HDR + 8, RD_NCORE + 1,
	     "an id past the core without "
	     "the tag bit"},
	};
	gdb_buf c = {0};
	rd_ref off = *ref;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c.len = 0;
		gdb_buf_add(&c, s->p, s->len);
		gdb_put_le32((uint8_t *)c.p + bad[i].off, bad[i].v);
		CHECK(decode_status(&c, ref) == GDB_ECORRUPT, "%s",
		      bad[i].what);
	}
	c.len = 0; /* the directory cut short */
	gdb_buf_add(&c, s->p, RD_SLICE_HDR + 8);
	gdb_put_le32((uint8_t *)c.p + 24, 2);
	CHECK(decode_status(&c, ref) == GDB_ECORRUPT,
	      "more columns than the payload holds");
	c.len = 0;
	gdb_buf_add(&c, s->p, s->len);
	gdb_buf_add(&c, "", 1);
	CHECK(decode_status(&c, ref) == GDB_ECORRUPT, "a byte after the "
						      "last frame");
	off.end--;
	CHECK(decode_status(s, &off) == GDB_ECORRUPT,
	      "a reference window other than the slice's");
	gdb_buf_free(&c);
}

/*
 * Each column of a good slice cut by its last byte, and given one byte
 * more, framed again: the records then run out of it or leave bytes in
 * it, GDB_ECORRUPT (the tag-line dictionary may take a byte more: an
 * empty line no record names). Then bytes of each column changed: the
 * decoder fails or gives records htslib writes, never reads past a
 * column or the reference window (make asan).
 */
static void slice_column_damage(const gdb_buf *s, const rd_ref *ref)
{
	tcol cols[MAX_TCOLS];
	uint32_t nc = slice_columns(s, cols);
	gdb_buf sl = {0}, raw = {0};
	long decoded = 0, tries = 0;

	slice_build(s, cols, nc, &sl);
	CHECK(decode_status(&sl, ref) == 0, "a slice framed again raw");
	for (uint32_t i = 0; i < nc; i++) {
		tcol keep = cols[i];
		uint8_t *more = xmalloc(keep.n + 1);
		if (keep.n) {
			cols[i].n = keep.n - 1;
			slice_build(s, cols, nc, &sl);
			CHECK(decode_status(&sl, ref) == GDB_ECORRUPT,
			      "column %#x cut by a byte decoded", keep.id);
		}
		memcpy(more, keep.raw, keep.n);
		for (unsigned v = 0; v < 2; v++) {
			more[keep.n] = (uint8_t)(v ? 0x7f : 0);
			cols[i].raw = more;
			cols[i].n = keep.n + 1;
			slice_build(s, cols, nc, &sl);
			CHECK(keep.id == RD_COL_TLDICT ||
				  decode_status(&sl, ref) == GDB_ECORRUPT,
			      "column %#x with a byte more decoded", keep.id);
		}
		memcpy(more, keep.raw, keep.n);
		cols[i].n = keep.n;
		for (unsigned t = 0; keep.n && t < 24; t++) {
			size_t at = (size_t)(rnd() % keep.n);
			bam1_t **back = NULL;
			uint32_t nb = 0;
			more[at] ^= (uint8_t)(1 + rnd() % 255);
			slice_build(s, cols, nc, &sl);
			tries++;
			if (rd_slice_decode((uint8_t *)sl.p, sl.len, ref, &back,
					    &nb) == 0) {
				decoded++;
				raw.len = 0;
				(void)rd_hts_raw(back, nb, &raw);
				rd_recs_free(back, nb);
			}
			more[at] = keep.raw[at];
		}
		cols[i] = keep;
		free(more);
	}
	CHECK(decoded < tries, "every changed column decoded (%ld)", decoded);
	for (uint32_t i = 0; i < nc; i++)
		free(cols[i].raw);
	gdb_buf_free(&sl);
	gdb_buf_free(&raw);
}

static void test_slices(void)
{
	enum { N = 300 };
	bam1_t *recs[N], **back = NULL;
	gdb_buf raw = {0}, raw2 = {0}, out = {0};
	const uint8_t *at[N];
	uint8_t verb[N] = {0};
	rd_ref ref = {refbases, 0, REFLEN};
	uint32_t nb = 0;
	int64_t pos = 0;

	for (int i = 0; i < REFLEN; i++)
		refbases[i] = below(50) ? "ACGT"[below(4)] : "Nacgt"[below(5)];
	for (int i = 0; i < N; i++) {
		gdb_buf md = {0};
		int64_t nm;
		recs[i] = bam_init1();
		pos += below(40);
		random_record(recs[i], pos, i);
		/* MD and NM, right (stored as computed) or off by one */
		if (below(2) && rd_calc_md_nm(recs[i], &ref, &md, &nm) == 0) {
			uint8_t v = (uint8_t)(nm + (below(5) == 0));
			bam_aux_append(recs[i], "NM", 'C', 1, &v);
			if (below(5) == 0)
				md.p[0] = md.p[0] == '0' ? '1' : '0';
			bam_aux_append(recs[i], "MD", 'Z', (int)md.len,
				       (uint8_t *)md.p);
		}
		gdb_buf_free(&md);
	}
	if (rd_hts_raw(recs, N, &raw) < 0) {
		FAIL("htslib could not write the records");
		return;
	}
	for (size_t off = 0, i = 0; i < N; i++) {
		at[i] = (uint8_t *)raw.p + off;
		off += 4 + gdb_get_le32(at[i]);
	}
	verb[7] = 1; /* one record kept whole */
	if (rd_slice_encode(recs, N, 0, &ref, verb, at, &out) < 0 ||
	    rd_slice_decode((uint8_t *)out.p, out.len, &ref, &back, &nb) < 0 ||
	    nb != N || rd_hts_raw(back, nb, &raw2) < 0 || raw2.len != raw.len ||
	    memcmp(raw.p, raw2.p, raw.len))
		FAIL("random records do not round-trip through a slice");
	rd_recs_free(back, nb);
	/* hostile slices: flips and cuts decode or fail, no crash */
	for (size_t i = 0; i < out.len; i += 1 + out.len / 800) {
		uint8_t *c = xmalloc(out.len);
		memcpy(c, out.p, out.len);
		c[i] ^= (uint8_t)(1u << below(8));
		back = NULL;
		nb = 0;
		if (rd_slice_decode(c, out.len, &ref, &back, &nb) == 0)
			rd_recs_free(back, nb);
		if (rd_slice_decode(c, i, &ref, &back, &nb) == 0) {
			rd_recs_free(back, nb);
			FAIL("a slice cut to %zu of %zu bytes decoded", i,
			     out.len);
		}
		free(c);
	}
	slice_header_damage(&out, &ref);
	slice_column_damage(&out, &ref);
	for (int i = 0; i < N; i++)
		bam_destroy1(recs[i]);
	gdb_buf_free(&raw);
	gdb_buf_free(&raw2);
	gdb_buf_free(&out);
}

/* Encode n records, decode them, and compare htslib's BAM bytes. */
static int slice_round_trip(bam1_t **recs, uint32_t n, const rd_ref *ref)
{
	gdb_buf raw = {0}, raw2 = {0}, out = {0};
	const uint8_t **at = xmalloc(n * sizeof(*at));
	uint8_t *verb = calloc(n, 1);
	bam1_t **back = NULL;
	uint32_t nb = 0;
	int ok = rd_hts_raw(recs, n, &raw) == 0;

	for (size_t off = 0, i = 0; ok && i < n; i++) {
		at[i] = (uint8_t *)raw.p + off;
		off += 4 + gdb_get_le32(at[i]);
	}
	ok = ok && verb &&
	     rd_slice_encode(recs, n, 0, ref, verb, at, &out) == 0 &&
	     rd_slice_decode((uint8_t *)out.p, out.len, ref, &back, &nb) == 0 &&
	     nb == n && rd_hts_raw(back, nb, &raw2) == 0 &&
	     raw2.len == raw.len && !memcmp(raw.p, raw2.p, raw.len);
	rd_recs_free(back, nb);
	gdb_buf_free(&raw);
	gdb_buf_free(&raw2);
	gdb_buf_free(&out);
	free(verb);
	free(at);
	return ok;
}

/*
 * The tag-line dictionary and the computed NM of every integer type: 600
 * records whose tags differ in keys (about 500 distinct tag lines: the
 * map of lines grows twice), with values of types A, c, C, s, S, i, I, f,
 * d, Z, H and B (of each subtype size), one record of 256 tags (kept
 * whole), and NM stored as each integer type, right (stored as computed)
 * or off by one; and records of 4160 tag keys, past the 4096 a slice
 * holds (the record whose keys do not fit is kept whole).
 */
static void test_tag_lines(void)
{
	enum { N = 600 };
	static const char types[] = "cCsSiI";
	static const char alnum[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	rd_ref ref = {refbases, 0, REFLEN};
	bam1_t *recs[N];
	int64_t pos = 0;
	uint32_t n;

	for (int i = 0; i < N; i++) {
		char key[3] = {'X', alnum[i % 20], 0}, yk[3] = {'Y', 0, 0};
		uint8_t v8[8] = {(uint8_t)i, 0x81, 0x7f, 1, 2, 3, 4, 5};
		double d = i / 3.0;
		gdb_buf md = {0};
		int64_t nm;

		recs[i] = bam_init1();
		pos += below(30);
		random_record(recs[i], pos, i);
		yk[1] = alnum[(i / 20) % 25];
		bam_aux_append(recs[i], key, types[i % 6], 1 << (i % 6 / 2),
			       v8);
		bam_aux_append(recs[i], yk, 'A', 1, (const uint8_t *)"q");
		if (i % 3 == 0)
			bam_aux_append(recs[i], "XD", 'd', 8,
				       (const uint8_t *)&d);
		if (i % 4 == 0)
			bam_aux_append(recs[i], "XH", 'H', 5,
				       (const uint8_t *)"1AE3");
		if (i % 7 == 0) { /* B arrays of 1- and 4-byte subtypes */
			uint8_t arr[] = {(uint8_t) "cif"[i % 3],
					 2,
					 0,
					 0,
					 0,
					 1,
					 2,
					 3,
					 4,
					 5,
					 6,
					 7,
					 8};
			bam_aux_append(recs[i], "XA", 'B', i % 3 ? 13 : 7, arr);
		}
		if (i == 5) /* 256 tags: the record is kept whole */
			for (int k = 0; k < 256; k++)
				bam_aux_append(recs[i], "ZZ", 'C', 1, v8);
		if (rd_calc_md_nm(recs[i], &ref, &md, &nm) == 0) {
			int64_t v = nm + (below(4) == 0);
			uint8_t b[4];
			char t = types[below(6)];
			gdb_put_le32(b, (uint32_t)v);
			bam_aux_append(recs[i], "NM", t,
				       t == 'c' || t == 'C'   ? 1
				       : t == 's' || t == 'S' ? 2
							      : 4,
				       b);
		}
		gdb_buf_free(&md);
	}
	if (!slice_round_trip(recs, N, &ref))
		FAIL("records of 500 tag lines and NM of every integer type do "
		     "not round-trip through a slice");
	for (int i = 0; i < N; i++)
		bam_destroy1(recs[i]);

	/* 64 records of 64 new tag keys each fill a slice's 4096; the 65th
	 * record's 64 more keys do not fit (it is kept whole), the 66th's,
	 * the first record's again, do: all round-trip */
	for (n = 0; n < 66; n++) {
		recs[n] = bam_init1();
		random_record(recs[n], n * 10, (int)n);
		recs[n]->l_data = (int)(bam_get_aux(recs[n]) - recs[n]->data);
		for (uint32_t k = 0; k < 64; k++) {
			/* 52 x 36 names, 3 types */
			uint32_t x = (n == 65 ? 0 : n * 64) + k;
			char key[3] = {(char)(x % 52 < 26 ? 'A' + x % 52
							  : 'a' + x % 52 - 26),
				       alnum[x / 52 % 36], 0};
			uint8_t v[4] = {(uint8_t)k, 0, 0, 0};
			char t = "csi"[x / (52 * 36)];
			bam_aux_append(recs[n], key, t,
				       t == 'c'	  ? 1
				       : t == 's' ? 2
						  : 4,
				       v);
		}
	}
	if (!slice_round_trip(recs, 66, &ref))
		FAIL("records of 4160 tag keys do not round-trip through a "
		     "slice");
	for (n = 0; n < 66; n++)
		bam_destroy1(recs[n]);
}

static void quiet(enum gdb_log_level level, const char *line)
{
	(void)level;
	(void)line;
}

int main(void)
{
	gdb_log_set_sink(quiet);
	hts_set_log_level(HTS_LOG_OFF); /* hostile slices make htslib talk */
	test_columns();
	test_names();
	test_quals();
	test_bins();
	test_bases();
	test_slices();
	test_tag_lines();
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return T_EXIT_FAIL;
	}
	return T_EXIT_PASS;
}
