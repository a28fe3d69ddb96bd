/*
 * tests/unit/test_store_format.c - the structural checks behind the CRCs.
 *
 * A flipped bit is caught by a CRC first, so the checks of the manifest's
 * magic, version, flags, length, counts and kinds, of a segment's header
 * and index (versions 1, 2 and 3, and sections) are reached here by
 * changing a field and computing the checksums again: each named fault
 * must give its own error, and every byte of each header and index, so
 * changed, must give an error or a store whose every contig reads (never
 * a crash: `make asan` runs this too). Then what a store directory can
 * hold besides its live generation (a CURRENT too long, naming a missing
 * manifest or one that holds another generation, newer manifests, stray
 * .tmp files and segments) and a writer's API misuse. Exit 0 pass, 1 fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UNIT_SEED 0x666f726d61747321ull
#include "tests/unit/unit.h"

#include "tests/unit/unit_store.h"
#include "tests/unit/unit_walk.h"

/* ---- manifests ------------------------------------------------------------
 */

static void recrc(uint8_t *b, size_t len)
{
	gdb_put_le32(b + len - 4, gdb_crc32c(b, len - 4));
}

static int parse(const uint8_t *b, size_t len)
{
	gdb_manifest m = {0};
	char err[256];
	int rc = gdb_manifest_parse(b, len, &m, "M", err, sizeof(err));

	gdb_manifest_free(&m);
	return rc;
}

/* The first entry's kind: after its u16-prefixed name and 20 bytes. */
static size_t kind_at(const uint8_t *b)
{
	return GDB_MANIFEST_HDR + 2 + gdb_get_le16(b + GDB_MANIFEST_HDR) + 20;
}

static void manifest_checks(const uint8_t *mf, size_t len)
{
	uint8_t *b = xmalloc(len + 8);
	long ok = 0, bad = 0;

#define FAULT(want, what, ...)                                                 \
	do {                                                                   \
		memcpy(b, mf, len);                                            \
		__VA_ARGS__;                                                   \
		int rc_ = parse(b, n);                                         \
		CHECK(rc_ == (want), "manifest %s: %d", what, rc_);            \
	} while (0)
	size_t n = len;
	CHECK(parse(mf, len) == 0, "the manifest parses");
	FAULT(GDB_ECORRUPT, "magic", b[0] = 'X');
	FAULT(GDB_ECORRUPT, "short", n = 20);
	n = len;
	FAULT(GDB_EVERSION, "version 3", gdb_put_le32(b + 8, 3), recrc(b, n));
	FAULT(GDB_ECHECKSUM, "version 3 unsummed", gdb_put_le32(b + 8, 3));
	/* a version 1 body read as version 2 (entries with a reference) */
	memcpy(b, mf, len);
	gdb_put_le32(b + 8, 2);
	recrc(b, n);
	CHECK(gdb_get_le32(mf + 8) == 2 || parse(b, n) == GDB_ECORRUPT ||
		  parse(b, n) == GDB_EVERSION,
	      "a version 1 body as version 2 parses");
	FAULT(GDB_EVERSION, "flags", gdb_put_le32(b + 12, 1), recrc(b, n));
	FAULT(GDB_ECORRUPT, "length", gdb_put_le32(b + 40, 1));
	FAULT(GDB_ECHECKSUM, "body byte", b[GDB_MANIFEST_HDR + 3] ^= 1);
	FAULT(GDB_ECORRUPT, "count", gdb_put_le32(b + 32, 1u << 30),
	      recrc(b, n));
	FAULT(GDB_EVERSION, "kind", gdb_put_le32(b + kind_at(b), 7),
	      recrc(b, n));
	FAULT(GDB_ECORRUPT, "NUL in a name", b[GDB_MANIFEST_HDR + 2] = 0,
	      recrc(b, n));
	/* four bytes past the last record, counted in the length */
	FAULT(GDB_ECORRUPT, "trailing bytes", n = len + 4,
	      memset(b + len - 4, 0, 8),
	      gdb_put_le32(b + 40, gdb_get_le32(mf + 40) + 4), recrc(b, n));
	n = len;
#undef FAULT
	/* every byte changed, checksum made good again */
	for (size_t i = 0; i + 4 < len; i++) {
		int rc;
		memcpy(b, mf, len);
		b[i] ^= 0xa5;
		recrc(b, len);
		rc = parse(b, len);
		CHECK(rc == 0 || rc == GDB_ECORRUPT || rc == GDB_EVERSION,
		      "manifest byte %zu: %d", i, rc);
		rc == 0 ? ok++ : bad++;
	}
	printf("test_store_format: manifest: %ld bytes changed, %ld refused, "
	       "%ld still parse (names, ids, times)\n",
	       ok + bad, bad, ok);
	gdb_manifest_free(NULL);
	free(b);
}

/* ---- segments ---------------------------------------------------------------
 */

/* Index CRC (where the header's offset and length lie within the len
 * bytes; the manifest entry open_mem makes copies it), header CRC. */
static void seg_recrc(uint8_t *s, size_t len)
{
	uint64_t ioff = gdb_get_le64(s + 24), ilen = gdb_get_le64(s + 32);

	if (ioff <= len && ilen <= len - ioff)
		gdb_put_le32(s + 40, gdb_crc32c(s + ioff, ilen));
	gdb_put_le32(s + 60, gdb_crc32c(s, 60));
}

/* open_mem, and when it opens, read every contig whole. */
static int open_seg(const uint8_t *s, size_t len, uint32_t kind)
{
	gdb_store *st;
	char err[256];
	int rc = gdb_store_open_mem(s, len, kind, &st, err, sizeof(err));

	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < gdb_store_ncontigs(st); i++) {
		const gdb_contig *c = gdb_store_contig(st, i);
		char *buf = xmalloc((size_t)c->length);
		int e = gdb_store_read(st, i, 0, c->length, buf);
		CHECK(e == 0 || e == GDB_ECORRUPT || e == GDB_ECHECKSUM ||
			  e == -EINVAL,
		      "reading contig %u: %d", i, e);
		free(buf);
	}
	gdb_store_close(st);
	return 0;
}

static int seg_fault(const uint8_t *seg, size_t len, uint32_t kind, size_t at,
		     uint32_t v, int fix)
{
	uint8_t *s = xmalloc(len);
	int rc;

	memcpy(s, seg, len);
	gdb_put_le32(s + at, v);
	if (fix)
		seg_recrc(s, len);
	rc = open_seg(s, len, kind);
	free(s);
	return rc;
}

/* The segment with one byte more at the end of its index. */
static int trailing_byte(const uint8_t *seg, size_t len, uint32_t kind)
{
	uint8_t *s = xmalloc(len + 1);
	int rc;

	memcpy(s, seg, len);
	s[len] = 0;
	gdb_put_le64(s + 32, gdb_get_le64(seg + 32) + 1);
	seg_recrc(s, len + 1);
	rc = open_seg(s, len + 1, kind);
	free(s);
	return rc;
}

/* The header's faults by name, then every header and index byte. */
static void segment_checks(const char *what, const uint8_t *seg, size_t len,
			   uint32_t kind)
{
	uint64_t ioff = gdb_get_le64(seg + 24);
	uint8_t *s = xmalloc(len);
	long ok = 0, bad = 0;

	CHECK(open_seg(seg, len, kind) == 0, "%s opens", what);
	CHECK(seg_fault(seg, len, kind, 0, 0, 1) == GDB_ECHECKSUM, "%s: magic",
	      what);
	CHECK(seg_fault(seg, len, kind, 8, 9, 1) == GDB_EVERSION, "%s: version",
	      what);
	CHECK(seg_fault(seg, len, kind, 12, 1, 1) == GDB_EVERSION,
	      "%s: reserved field", what);
	CHECK(seg_fault(seg, len, kind, 24, 8, 1) == GDB_ECORRUPT,
	      "%s: index offset", what);
	CHECK(seg_fault(seg, len, kind, (size_t)ioff, 0x5a5a, 0) ==
		  GDB_ECHECKSUM,
	      "%s: index", what);
	CHECK(seg_fault(seg, len, kind, 44, kind == GDB_KIND_DNA ? 0 : 1u << 30,
			1) == GDB_ECORRUPT,
	      "%s: count", what);
	CHECK(open_seg(seg, GDB_SEGMENT_HDR - 1, kind) == GDB_ECORRUPT,
	      "%s: short", what);
	CHECK(trailing_byte(seg, len, kind) == GDB_ECORRUPT,
	      "%s: a byte after the index", what);
	CHECK(seg_fault(seg, len, kind, 44, gdb_get_le32(seg + 44) + 1, 1) ==
		  GDB_ECORRUPT,
	      "%s: one record more than the index holds", what);
	for (size_t i = 0; i < len; i++) {
		int rc;
		if (i >= 60 && i < 64) /* the header CRC itself */
			continue;
		if (i >= GDB_SEGMENT_HDR && i < ioff)
			continue; /* payload: the block CRCs' business */
		memcpy(s, seg, len);
		s[i] ^= (uint8_t)(1u << (i % 8));
		seg_recrc(s, len);
		rc = open_seg(s, len, kind);
		CHECK(rc == 0 || rc == GDB_ECORRUPT || rc == GDB_ECHECKSUM ||
			  rc == GDB_EVERSION,
		      "%s byte %zu: %d", what, i, rc);
		rc == 0 ? ok++ : bad++;
	}
	printf("test_store_format: %s: %ld header and index bytes changed, "
	       "%ld refused\n",
	       what, ok + bad, bad);
	free(s);
}

/* A version 1 DNA segment rewritten as version 2: each contig record gets
 * fasta_bytes, layout offset, length and CRC (no layout) after its fixed
 * fields. */
static uint8_t *v1_to_v2(const uint8_t *seg, size_t len, size_t *out)
{
	uint64_t ioff = gdb_get_le64(seg + 24);
	uint32_t n = gdb_get_le32(seg + 44);
	uint8_t *s = xmalloc(len + 24 * (size_t)n);
	const uint8_t *p = seg + ioff;
	size_t o = ioff;

	memcpy(s, seg, ioff);
	for (uint32_t k = 0; k < n; k++) {
		size_t nl = gdb_get_le16(p), dl, rec;
		dl = gdb_get_le32(p + 2 + nl);
		rec = 2 + nl + 4 + dl + 60;
		memcpy(s + o, p, rec);
		memset(s + o + rec, 0, 24);
		if (k == 0) { /* a layout record: the first payload byte */
			gdb_put_le64(s + o + rec, 5);
			gdb_put_le64(s + o + rec + 8, GDB_SEGMENT_HDR);
			gdb_put_le32(s + o + rec + 16, 1);
			gdb_put_le32(s + o + rec + 20,
				     gdb_crc32c(seg + GDB_SEGMENT_HDR, 1));
		}
		o += rec + 24;
		p += rec;
		rec = (size_t)gdb_get_le32(p - 60 + 12) * GDB_BLOCK_ENTRY;
		memcpy(s + o, p, rec);
		o += rec;
		p += rec;
	}
	gdb_put_le32(s + 8, 2);
	gdb_put_le64(s + 32, o - ioff);
	seg_recrc(s, o);
	*out = o;
	return s;
}

static void old_versions(void)
{
	const char *dir = access("data/v1store/v1.gdb", R_OK) == 0
			      ? "data/v1store/v1.gdb"
			      : "tests/data/v1store/v1.gdb";
	gdb_store *st;
	char err[256], name[32];
	int dna = 0;

	CHECK(gdb_store_open(dir, 0, &st, err, sizeof(err)) == 0 &&
		  gdb_store_ncontigs(st) > 0 && gdb_store_ndamaged(st) == 0,
	      "%s: %s", dir, err);
	if (failures)
		return;
	gdb_store_close(st);
	for (uint64_t id = 1; id < 4; id++) {
		size_t len, l2;
		uint8_t *seg, *v2;
		gdb_store_segment_name(id, name, sizeof(name));
		seg = slurp(dir, name, &len);
		CHECK(seg && gdb_get_le32(seg + 8) == 1, "%s/%s", dir, name);
		if (!seg || open_seg(seg, len, GDB_KIND_DNA) < 0) {
			free(seg);
			continue;
		}
		dna++;
		segment_checks("version 1 segment", seg, len, GDB_KIND_DNA);
		v2 = v1_to_v2(seg, len, &l2);
		segment_checks("version 2 segment", v2, l2, GDB_KIND_DNA);
		free(v2);
		free(seg);
	}
	CHECK(dna > 0, "no version 1 DNA segment in %s", dir);
}

/* An object whose first section name is long: one record more than the
 * index holds passes the count's bound and runs into the index's end.
 * Then the same segment with a count no index could hold, through the
 * store: listed damaged, "malformed index", everything else served. */
static void sections_object(const char *dir)
{
	gdb_provenance p = {.target = "long", .source = "mem", .command = "t"};
	char err[256], name[32];
	gdb_store *st;
	gdb_txn *t;
	uint8_t *seg;
	size_t len;
	int rc = gdb_txn_begin(dir, &t, err, sizeof(err));

	if (rc == 0)
		rc = gdb_txn_object_begin(t, GDB_OBJECT_SECTIONS, "long", err,
					  sizeof(err));
	for (int k = 0; rc == 0 && k < 2; k++) {
		rc = gdb_txn_section_begin(
		    t, k ? "e" : "a_rather_long_section_name_here");
		if (rc == 0)
			rc = gdb_txn_section_write(t, "data", 4);
		if (rc == 0)
			rc = gdb_txn_section_end(t);
	}
	if (rc == 0)
		rc = gdb_txn_provenance(t, &p);
	CHECK(rc == 0 && gdb_txn_commit(t, NULL, err, sizeof(err)) == 0,
	      "object: %d %s", rc, err);
	CHECK(gdb_store_open(dir, 0, &st, err, sizeof(err)) == 0, "%s", err);
	if (failures)
		return;
	rc = gdb_store_object_find(st, GDB_OBJECT_SECTIONS, "long");
	gdb_store_segment_name(gdb_store_object(st, (uint32_t)rc)->segment_id,
			       name, sizeof(name));
	gdb_store_close(st);
	seg = slurp(dir, name, &len);
	segment_checks("long sections segment", seg, len, GDB_OBJECT_SECTIONS);
	gdb_put_le32(seg + 44, 1u << 30);
	gdb_put_le32(seg + 60, gdb_crc32c(seg, 60));
	spit(dir, name, seg, len);
	CHECK(gdb_store_open(dir, 0, &st, err, sizeof(err)) == 0, "%s", err);
	CHECK(
	    gdb_store_ndamaged(st) == 1 &&
		strstr(gdb_store_damaged(st, 0)->message, "malformed index") &&
		gdb_store_damaged(st, 0)->error == GDB_ECORRUPT &&
		gdb_store_ncontigs(st) > 0,
	    "a malformed index through the store");
	gdb_store_close(st);
	free(seg);
}

/* ---- what a store directory may hold ------------------------------------- */

static int open_rc(const char *dir)
{
	gdb_store *s;
	char err[256];
	int rc = gdb_store_open(dir, 0, &s, err, sizeof(err));

	if (rc == 0)
		gdb_store_close(s);
	return rc;
}

static void set_current(const char *dir, uint64_t gen)
{
	char buf[64];
	int n = gdb_current_format(gen, buf, sizeof(buf));

	spit(dir, "CURRENT", buf, (size_t)n);
}

static void directory_checks(const char *dir, const char *pristine)
{
	char err[256], name[64], want[1024], got[1024];
	uint8_t *cur, *mf;
	size_t clen, mlen;
	uint64_t gen;
	int has, fd = open(pristine, O_RDONLY | O_DIRECTORY);
	gdb_gc_report r;
	gdb_store *s;

	CHECK(gdb_current_read(fd, &gen, &has) == 0, "CURRENT");
	close(fd);
	restore(dir, pristine);
	describe(dir, want, sizeof(want));
	cur = slurp(dir, "CURRENT", &clen);
	snprintf(name, sizeof(name), "MANIFEST-%06llu",
		 (unsigned long long)gen);
	mf = slurp(dir, name, &mlen);
	manifest_checks(mf, mlen);

	CHECK(gdb_store_open(dir, 1, &s, err, sizeof(err)) == -EINVAL,
	      "open flags");
	gdb_store_close(NULL);
	spit(dir, "CURRENT",
	     "MANIFEST-000001 00000000 and much more than "
	     "sixty-four bytes of it\n",
	     66);
	CHECK(open_rc(dir) == GDB_ECORRUPT, "CURRENT too long");
	spit(dir, "CURRENT", "MANIFEST-00000x\n", 16);
	CHECK(open_rc(dir) == GDB_ECORRUPT, "CURRENT malformed");
	set_current(dir, gen + 40);
	CHECK(open_rc(dir) == GDB_ECORRUPT, "CURRENT names a missing manifest");
	snprintf(name, sizeof(name), "MANIFEST-%06llu",
		 (unsigned long long)gen + 40);
	spit(dir, name, mf, mlen);
	CHECK(open_rc(dir) == GDB_ECORRUPT, "manifest of another generation");

	/* gc and repair: the manifest of another generation is unreadable
	 * to them (no segment removed), newer ones are kept and counted */
	spit(dir, "CURRENT", cur, clen);
	spit(dir, "junk.tmp", "x", 1);
	CHECK(gdb_store_inspect(dir, &r, err, sizeof(err)) == 0 &&
		  r.newer == 1 && r.newest == gen + 40,
	      "inspect: %u newer", r.newer);
	CHECK(gdb_store_gc(dir, 0, &r, err, sizeof(err)) == 0 && r.newer == 1 &&
		  r.segments_removed == 0,
	      "gc: %s", err);
	snprintf(got, sizeof(got), "%s/junk.tmp", dir);
	CHECK(access(got, F_OK) < 0, "gc left %s", got);
	CHECK(gdb_store_gc(dir, GDB_GC_DISCARD_NEWER, &r, err, sizeof(err)) ==
		      0 &&
		  r.newer_removed == 1 && r.segments_removed > 0,
	      "gc discarding newer: %s", err);
	describe(dir, got, sizeof(got));
	CHECK(!strcmp(got, want), "after gc: '%s', want '%s'", got, want);

	/* a commit numbers past a newer manifest and the segment it names */
	restore(dir, pristine);
	{
		gdb_manifest m = {.generation = gen + 9, .next_segment_id = 77};
		gdb_mf_asm a = {.name = (char *)"ghost",
				.segment_id = 70,
				.segment_bytes = 64,
				.kind = GDB_KIND_DNA};
		uint64_t g = 0;
		m.asms = &a;
		m.nasm = 1;
		fd = open(dir, O_RDONLY | O_DIRECTORY);
		CHECK(gdb_manifest_write(fd, &m) == 0, "newer manifest");
		close(fd);
		spit(dir, "seg-000070.gdb", "x", 1);
		CHECK(add_assembly(dir, "n", 0, err, sizeof(err)) == 0, "%s",
		      err);
		fd = open(dir, O_RDONLY | O_DIRECTORY);
		CHECK(gdb_current_read(fd, &g, &has) == 0 && g == gen + 10,
		      "generation %llu after a newer %llu",
		      (unsigned long long)g, (unsigned long long)gen + 9);
		close(fd);
		snprintf(name, sizeof(name), "%s/seg-000071.gdb", dir);
		CHECK(access(name, F_OK) == 0, "the new segment is 71");
	}

	/* repair with no whole manifest left changes nothing */
	restore(dir, pristine);
	spit(dir, "CURRENT", "MANIFEST-000099 00000000\n", 25);
	{
		snap a, b;
		snapshot(dir, &a);
		for (int i = 0; i < a.n; i++)
			if (!strncmp(a.name[i], "MANIFEST-", 9))
				spit(dir, a.name[i], "GDBMANIF", 8);
		snapshot(dir, &a);
		CHECK(gdb_store_repair(dir, 0, &r, err, sizeof(err)) ==
			  GDB_ECORRUPT,
		      "repair with nothing whole: %s", err);
		snapshot(dir, &b);
		CHECK(snap_eq(&a, &b), "a repair that failed changed files");
	}
	free(cur);
	free(mf);
}

/* ---- the writer's API ---------------------------------------------------- */

static const uint8_t MD5[16], SHA[24];

/* One contig of one 2-bit block: ACGT. */
static int one_contig(gdb_txn *t, const char *name)
{
	uint8_t enc[64];
	char err[128];
	int e = gdb_txn_contig_begin(t, name, "", GDB_DNA_BLOCK_BASES, err,
				     sizeof(err));

	if (e == 0)
		e = gdb_codecs_dna_encode("ACGT", 4, 0, enc, sizeof(enc), NULL);
	if (e > 0)
		e = gdb_txn_block_add(t, enc, (size_t)e, 4);
	return e < 0 ? e : gdb_txn_contig_end(t, 4, 60, MD5, SHA);
}

static void misuse(const char *dir)
{
	gdb_provenance p = {.target = "m", .source = "mem", .command = "t"};
	gdb_txn_seqinfo si = {.codec = GDB_CODEC_2BIT,
			      .alphabet = GDB_ALPHA_DNA,
			      .block_bases = GDB_DNA_BLOCK_BASES};
	char err[256], *desc;
	uint8_t enc[64];
	gdb_txn *t;
	int e;

	CHECK(gdb_txn_begin(dir, &t, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_txn_drop(t, GDB_KIND_DNA, "nothing", err, sizeof(err)) ==
		  -ENOENT,
	      "drop of nothing");
	CHECK(gdb_txn_object_begin(t, GDB_KIND_DNA, "x", err, sizeof(err)) ==
		  -EINVAL,
	      "object of kind DNA");
	CHECK(gdb_txn_section_write(t, "x", 1) == -EINVAL, "section write");
	CHECK(gdb_txn_section_end(t) == -EINVAL, "section end");
	CHECK(gdb_txn_contig_end(t, 4, 60, MD5, SHA) == -EINVAL, "contig end");
	CHECK(gdb_txn_contig_place(t, 0, 0) == -EINVAL, "place");
	CHECK(gdb_txn_contig_layout(t, "x", 1, 10) == -EINVAL, "layout");
	CHECK(gdb_txn_block_add(t, "x", 1, 1) == -EINVAL, "block");
	CHECK(gdb_txn_assembly_seqinfo(t, &si, NULL, 0) == -EINVAL, "seqinfo");
	CHECK(gdb_txn_assembly_begin(t, "a", err, sizeof(err)) == -EEXIST,
	      "an assembly that exists");
	CHECK(gdb_txn_section_begin(t, "s") == -EINVAL, "section of nothing");
	gdb_txn_abort(t);
	CHECK(gdb_txn_begin_flags(dir, 0x80, &t, err, sizeof(err)) == -EINVAL,
	      "unknown flags");
	CHECK(gdb_store_init(dir, err, sizeof(err)) == -EEXIST,
	      "init of a store");

	/* a model with the stream info (not committed) */
	CHECK(gdb_txn_begin(dir, &t, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_txn_assembly_begin(t, "m", err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_txn_object_begin(t, GDB_OBJECT_SECTIONS, "o", err,
				   sizeof(err)) == -EINVAL,
	      "an object inside an assembly");
	CHECK(gdb_txn_contig_begin(t, "c", "", 0, err, sizeof(err)) == -EINVAL,
	      "blocks of 0 bases");
	CHECK(gdb_txn_assembly_seqinfo(t, &si, "model", 5) == 0 &&
		  gdb_txn_bytes_written(t) == GDB_SEGMENT_HDR + 5,
	      "model");
	CHECK(gdb_txn_contig_begin(t, "c", "", GDB_DNA_BLOCK_BASES, err,
				   sizeof(err)) == 0,
	      "%s", err);
	CHECK(gdb_txn_commit(t, NULL, err, sizeof(err)) == -EINVAL,
	      "a commit inside a contig");

	/* a replacement of another size */
	CHECK(gdb_txn_begin_flags(dir, GDB_TXN_REPLACE, &t, err, sizeof(err)) ==
		  0,
	      "%s", err);
	CHECK(gdb_txn_assembly_begin(t, "a", err, sizeof(err)) == 0 &&
		  one_contig(t, "x") == 0 && gdb_txn_provenance(t, &p) == 0 &&
		  gdb_txn_commit(t, NULL, err, sizeof(err)) == 0,
	      "replacement: %s", err);

	CHECK(gdb_txn_begin(dir, &t, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_txn_commit(t, NULL, err, sizeof(err)) == -EINVAL,
	      "an empty commit");

	/* seqinfo with a model, a placed contig with a layout, and 600
	 * contigs (the name set grows past 512, the open's hash past 16) */
	CHECK(gdb_txn_begin(dir, &t, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_txn_assembly_begin(t, "m", err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_txn_assembly_begin(t, "m2", err, sizeof(err)) == -EINVAL,
	      "two assemblies");
	si.block_bases = 0;
	CHECK(gdb_txn_assembly_seqinfo(t, &si, NULL, 0) == -EINVAL, "bases 0");
	si.block_bases = GDB_DNA_BLOCK_BASES;
	CHECK(gdb_txn_assembly_seqinfo(t, &si, NULL, 0) == 0, "seqinfo");
	CHECK(gdb_txn_contig_begin(t, "c0", "", 1, err, sizeof(err)) == -EINVAL,
	      "other block size");
	desc = xmalloc((1u << 24) + 2);
	memset(desc, 'd', (1u << 24) + 1);
	desc[(1u << 24) + 1] = 0;
	CHECK(gdb_txn_contig_begin(t, "c0", desc, GDB_DNA_BLOCK_BASES, err,
				   sizeof(err)) == GDB_EFORMAT,
	      "description too long");
	free(desc);
	CHECK(gdb_txn_contig_begin(t, "c0", "", GDB_DNA_BLOCK_BASES, err,
				   sizeof(err)) == 0,
	      "%s", err);
	CHECK(gdb_txn_contig_place(t, 0, GDB_DNA_BLOCK_BASES) == -EINVAL,
	      "place past the block");
	CHECK(gdb_txn_contig_place(t, 0, 0) == 0, "place");
	e = gdb_codecs_dna_encode("ACGT", 4, 0, enc, sizeof(enc), NULL);
	CHECK(e > 0 && gdb_txn_block_add(t, enc, (size_t)e, 4) == 0, "block");
	CHECK(gdb_txn_contig_layout(t, "x", 1, 0) == -EINVAL, "layout of 0");
	CHECK(gdb_txn_contig_layout(t, NULL, 0, 5) == 0, "regular layout");
	CHECK(gdb_txn_contig_end(t, 4, 60, MD5, NULL) == -EINVAL, "digests");
	CHECK(gdb_txn_contig_end(t, 4, 60, MD5, SHA) == 0, "contig end");
	for (int k = 1; k < 600; k++) {
		char name[16];
		snprintf(name, sizeof(name), "c%d", k);
		CHECK(one_contig(t, name) == 0, "contig %d", k);
	}
	CHECK(one_contig(t, "c7") == -EEXIST, "a contig twice");
	CHECK(gdb_txn_bytes_written(t) > GDB_SEGMENT_HDR, "bytes written");
	CHECK(gdb_txn_provenance(t, &p) == 0 &&
		  gdb_txn_commit(t, NULL, err, sizeof(err)) == 0,
	      "commit: %s", err);
	{
		gdb_store *s;
		char buf[8] = "";
		int id = -1, ai;
		CHECK(gdb_store_open(dir, 0, &s, err, sizeof(err)) == 0, "%s",
		      err);
		if (!failures) {
			ai = gdb_store_assembly_find(s, "m");
			id = ai < 0 ? ai
				    : gdb_store_contig_find(s, (uint32_t)ai,
							    "c599");
			CHECK(id >= 0 &&
				  gdb_store_read(s, (uint32_t)id, 0, 4, buf) ==
				      0 &&
				  !memcmp(buf, "ACGT", 4),
			      "c599: %d '%s'", id, buf);
			gdb_store_close(s);
		}
	}
}

/*
 * Manifest version 2 (an assembly stored relative to another): written
 * only when an entry has a reference, read back with it, and put through
 * the same faults; a reference on a sections object or naming the entry
 * itself is refused.
 */
static void manifest_v2(const char *dir)
{
	gdb_mf_asm a[3] = {
	    {.name = (char *)"ref", .segment_id = 5, .kind = GDB_KIND_DNA},
	    {.name = (char *)"strain",
	     .segment_id = 6,
	     .kind = GDB_KIND_DNA,
	     .reference = (char *)"ref",
	     .ref_segment = 5},
	    {.name = (char *)"net",
	     .segment_id = 7,
	     .kind = GDB_OBJECT_SECTIONS}};
	gdb_manifest m = {.generation = 900,
			  .next_segment_id = 8,
			  .nasm = 3,
			  .asms = a},
		     got = {0};
	char err[256];
	size_t len;
	uint8_t *b;
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	CHECK(gdb_manifest_write(fd, &m) == 0, "version 2 manifest");
	b = slurp(dir, "MANIFEST-000900", &len);
	CHECK(gdb_get_le32(b + 8) == 2, "version %u", gdb_get_le32(b + 8));
	CHECK(gdb_manifest_parse(b, len, &got, "M", err, sizeof(err)) == 0 &&
		  got.nasm == 3 && !got.asms[0].reference &&
		  got.asms[1].reference &&
		  !strcmp(got.asms[1].reference, "ref") &&
		  got.asms[1].ref_segment == 5 && !got.asms[2].reference,
	      "version 2 read back: %s", err);
	gdb_manifest_free(&got);
	manifest_checks(b, len);
	free(b);
	unlinkat(fd, "MANIFEST-000900", 0);
	a[2].reference = (char *)"ref";
	CHECK(gdb_manifest_write(fd, &m) == 0, "write");
	b = slurp(dir, "MANIFEST-000900", &len);
	CHECK(parse(b, len) == GDB_ECORRUPT, "a sections object's reference");
	free(b);
	unlinkat(fd, "MANIFEST-000900", 0);
	a[2].reference = NULL;
	a[1].reference = (char *)"strain";
	CHECK(gdb_manifest_write(fd, &m) == 0, "write");
	b = slurp(dir, "MANIFEST-000900", &len);
	CHECK(parse(b, len) == GDB_ECORRUPT, "a reference to itself");
	free(b);
	unlinkat(fd, "MANIFEST-000900", 0);
	a[1].reference = NULL;
	CHECK(gdb_manifest_write(fd, &m) == 0, "write");
	b = slurp(dir, "MANIFEST-000900", &len);
	CHECK(gdb_get_le32(b + 8) == 1, "no reference: version %u",
	      gdb_get_le32(b + 8));
	free(b);
	unlinkat(fd, "MANIFEST-000900", 0);
	close(fd);
}

/* An assembly stored relative to another (--relative-to): recorded,
 * one level deep, and its reference kept from drop and replacement. */
static void references(const char *dir)
{
	gdb_provenance p = {.target = "r1", .source = "mem", .command = "t"};
	gdb_txn_seqinfo si = {.codec = GDB_CODEC_2BIT,
			      .alphabet = GDB_ALPHA_DNA,
			      .block_bases = GDB_DNA_BLOCK_BASES};
	char err[256];
	gdb_txn *t;

	CHECK(gdb_txn_begin(dir, &t, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_txn_assembly_reference(t, "a", err, sizeof(err)) == -EINVAL,
	      "a reference before the assembly");
	CHECK(gdb_txn_assembly_begin(t, "r1", err, sizeof(err)) == 0, "%s",
	      err);
	CHECK(gdb_txn_assembly_reference(t, "nosuch", err, sizeof(err)) ==
		      -ENOENT &&
		  strstr(err, "no assembly 'nosuch'"),
	      "unknown reference: %s", err);
	CHECK(gdb_txn_assembly_reference(t, "a", err, sizeof(err)) == 0, "%s",
	      err);
	CHECK(gdb_txn_assembly_reference(t, "a", err, sizeof(err)) == -EINVAL,
	      "a second reference");
	CHECK(gdb_txn_assembly_seqinfo(t, &si, NULL, 0) == 0 &&
		  one_contig(t, "x") == 0 && gdb_txn_provenance(t, &p) == 0 &&
		  gdb_txn_commit(t, NULL, err, sizeof(err)) == 0,
	      "relative commit: %s", err);

	CHECK(gdb_txn_begin(dir, &t, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_txn_assembly_begin(t, "r2", err, sizeof(err)) == 0 &&
		  gdb_txn_assembly_reference(t, "r1", err, sizeof(err)) ==
		      -EINVAL &&
		  strstr(err, "one level deep"),
	      "a chain: %s", err);
	gdb_txn_abort(t);
	CHECK(gdb_txn_begin(dir, &t, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_txn_drop(t, GDB_KIND_DNA, "a", err, sizeof(err)) == -EBUSY &&
		  strstr(err, "cannot drop assembly 'a': assembly 'r1'"),
	      "drop of a reference: %s", err);
	gdb_txn_abort(t);
	CHECK(gdb_txn_begin_flags(dir, GDB_TXN_REPLACE, &t, err, sizeof(err)) ==
		  0,
	      "%s", err);
	CHECK(gdb_txn_assembly_begin(t, "a", err, sizeof(err)) == -EBUSY &&
		  strstr(err, "cannot replace assembly 'a'"),
	      "replacement of a reference: %s", err);
	gdb_txn_abort(t);
	/* with the relative one dropped first, the reference goes too */
	CHECK(gdb_txn_begin(dir, &t, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_txn_drop(t, GDB_KIND_DNA, "r1", err, sizeof(err)) == 0 &&
		  gdb_txn_drop(t, GDB_KIND_DNA, "a", err, sizeof(err)) == 0 &&
		  gdb_txn_commit(t, NULL, err, sizeof(err)) == 0,
	      "drop of both: %s", err);
}

int main(void)
{
	char dir[64], pristine[64], err[256];

	gdb_simd_init();
	if (walk_setup(dir, pristine) < 0)
		return T_EXIT_FAIL;
	directory_checks(dir, pristine);
	restore(dir, pristine);
	{
		gdb_store *s;
		size_t len;
		CHECK(gdb_store_open(dir, 0, &s, err, sizeof(err)) == 0, "%s",
		      err);
		for (uint32_t i = 0; !failures && i < gdb_store_nassemblies(s) +
							  gdb_store_nobjects(s);
		     i++) {
			int obj = i >= gdb_store_nassemblies(s);
			uint64_t id =
			    obj ? gdb_store_object(s,
						   i - gdb_store_nassemblies(s))
				      ->segment_id
				: gdb_store_assembly(s, i)->segment_id;
			char name[32];
			uint8_t *seg;
			gdb_store_segment_name(id, name, sizeof(name));
			seg = slurp(dir, name, &len);
			segment_checks(
			    obj ? "sections segment" : "version 3 segment", seg,
			    len, obj ? GDB_OBJECT_SECTIONS : GDB_KIND_DNA);
			free(seg);
		}
		gdb_store_close(s);
	}
	old_versions();
	sections_object(dir);
	manifest_v2(dir);
	misuse(dir);
	references(dir);
	unit_store_rm(dir);
	unit_store_rm(pristine);
	if (failures)
		fprintf(stderr, "test_store_format: %d failure(s)\n", failures);
	else
		printf("test_store_format: ok\n");
	return failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
