/*
 * tests/unit/test_store.c - the store, cache and renderers together, on a
 * small store built in a temp directory: commit and reopen, region strings,
 * path escaping, and every virtual-file layout against a naive reference
 * renderer at many offsets and lengths (block edges, line widths 1..80,
 * reverse complement, .u8). Exit 0 pass, 1 fail (liburing test style).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UNIT_SEED 88172645463325252ull
#include "tests/unit/unit.h"

#include "cache/cache.h"
#include "codecs/codecs.h"
#include "fs/ns/ns.h"
#include "seq/seq_int.h"
#include "simd/simd.h"
#include "store/store.h"
#include "store/store_int.h"

/* Random sequence with runs of N, IUPAC letters and soft-masking. */
static void make_seq(char *s, int64_t n)
{
	static const char iupac[] = "RYSWKMBDHVU";
	int64_t i = 0;

	while (i < n) {
		int64_t run = 1 + rnd() % 3000;
		uint32_t kind = rnd() % 10;
		if (run > n - i)
			run = n - i;
		for (int64_t j = 0; j < run; j++) {
			char c = "ACGT"[rnd() & 3];
			if (kind == 0)
				c = 'N';
			else if (kind == 1 && rnd() % 50 == 0)
				c = iupac[rnd() % 11];
			if (kind == 2 || kind == 3)
				c = (char)(c | 0x20);
			s[i + j] = c;
		}
		i += run;
	}
}

static char comp(char c)
{
	const char *from = "ACGTUNRYSWKMBDHVacgtunryswkmbdhv";
	const char *to = "TGCAANYRSWMKVHDBtgcaanyrswmkvhdb";
	const char *p = strchr(from, c);
	return p && c ? to[p - from] : c;
}

static uint8_t u8code(char c)
{
	const char *p = strchr("ACGTNRYSWKMBDHV", c & ~0x20);
	if ((c & ~0x20) == 'U')
		return 3;
	return p && c ? (uint8_t)(p - "ACGTNRYSWKMBDHV") : 15;
}

/* The naive reference of a one-record view. */
static char *reference(const char *seq, int64_t beg, int64_t end,
		       enum gdb_view_kind kind, uint32_t width,
		       const char *header, size_t *len)
{
	int64_t n = end - beg;
	char *out = malloc((size_t)n * 2 + 512), *o = out;

	if (header)
		o += sprintf(o, ">%s\n", header);
	for (int64_t i = 0; i < n; i++) {
		char c = seq[beg + i];
		if (kind == GDB_VIEW_RC)
			c = comp(seq[end - 1 - i]);
		else if (kind == GDB_VIEW_U8)
			c = (char)u8code(c);
		*o++ = c;
		if (width && ((i + 1) % width == 0 || i + 1 == n))
			*o++ = '\n';
	}
	*len = (size_t)(o - out);
	return out;
}

static int build_store(const char *dir, char **seqs, const int64_t *lens, int n)
{
	char err[512];
	gdb_txn *t;
	size_t cap = gdb_codecs_dna_bound(GDB_DNA_BLOCK_BASES);
	uint8_t *enc = malloc(cap);
	uint8_t md5[16] = {0}, sha[24] = {0};
	gdb_provenance p = {.target = "t", .source = "mem", .command = "test"};
	static const char *names[] = {"chr1", "chr/2", "x:1-5", "%odd", "long"};

	if (gdb_store_init(dir, err, sizeof(err)) < 0 ||
	    gdb_txn_begin(dir, &t, err, sizeof(err)) < 0 ||
	    gdb_txn_assembly_begin(t, "t", err, sizeof(err)) < 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	for (int k = 0; k < n; k++) {
		CHECK(gdb_txn_contig_begin(t, names[k], k ? "" : " a desc",
					   GDB_DNA_BLOCK_BASES, err,
					   sizeof(err)) == 0,
		      "%s", err);
		for (int64_t off = 0; off < lens[k];
		     off += GDB_DNA_BLOCK_BASES) {
			uint32_t nb =
			    (uint32_t)(lens[k] - off < GDB_DNA_BLOCK_BASES
					   ? lens[k] - off
					   : GDB_DNA_BLOCK_BASES);
			int e = gdb_codecs_dna_encode(seqs[k] + off, nb, 0, enc,
						      cap, NULL);
			CHECK(e > 0, "encode %d", e);
			CHECK(gdb_txn_block_add(t, enc, (size_t)e, nb) == 0,
			      "block_add");
		}
		CHECK(gdb_txn_contig_end(t, lens[k], 60, md5, sha) == 0,
		      "contig_end");
	}
	/* A duplicate name is refused before anything is written. */
	CHECK(gdb_txn_contig_begin(t, "chr1", "", GDB_DNA_BLOCK_BASES, err,
				   sizeof(err)) == -EEXIST,
	      "duplicate accepted");
	CHECK(gdb_txn_provenance(t, &p) == 0, "provenance");
	CHECK(gdb_txn_commit(t, NULL, err, sizeof(err)) == 0, "commit: %s",
	      err);
	free(enc);
	return 0;
}

static void test_regions(const gdb_store *s)
{
	static const struct {
		const char *text;
		int rc;
		int64_t beg, end;
	} cases[] = {
	    {"chr1", 0, 0, 200001},
	    {"chr1:1-10", 0, 0, 10},
	    {"chr1:1,000-2,000", 0, 999, 2000},
	    {"chr1:5", 0, 4, 200001},
	    {"chr1:5-", 0, 4, 200001},
	    {"chr1:100-99999999", 0, 99, 200001},
	    {"chr1:0-5", GDB_EFORMAT, 0, 0},
	    {"chr1:10-5", GDB_EFORMAT, 0, 0},
	    {"chr1:200002-200003", GDB_EFORMAT, 0, 0},
	    {"chr1:x-5", GDB_EFORMAT, 0, 0},
	    {"chr9:1-5", -ENOENT, 0, 0},
	    {"x:1-5", 0, 0, 70000}, /* whole name wins */
	    {"{x:1-5}:2-3", 0, 1, 3},
	    {"chr/2:65536-65537", 0, 65535, 65537},
	};
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t c = 0;
		int64_t b = -1, e = -1;
		int rc = gdb_store_region_parse(s, 0, cases[i].text, &c, &b, &e,
						err, sizeof(err));
		CHECK(rc == cases[i].rc, "%s: rc %d want %d", cases[i].text, rc,
		      cases[i].rc);
		if (rc == 0)
			CHECK(b == cases[i].beg && e == cases[i].end,
			      "%s: [%lld,%lld) want [%lld,%lld)", cases[i].text,
			      (long long)b, (long long)e,
			      (long long)cases[i].beg, (long long)cases[i].end);
	}
}

static void test_escape(void)
{
	static const char *names[] = {"chr1", "a/b", "50%",   ".",
				      "..",   "...", "x:1-2", "%2F"};
	char esc[64], back[64];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		gdb_path_escape(names[i], esc);
		CHECK(!strchr(esc, '/') && strcmp(esc, ".") &&
			  strcmp(esc, ".."),
		      "%s escapes to unsafe %s", names[i], esc);
		CHECK(gdb_path_unescape(esc, back, sizeof(back)) == 0 &&
			  !strcmp(back, names[i]),
		      "%s does not round-trip", names[i]);
	}
	/* One spelling per name. */
	CHECK(gdb_path_unescape("a%2fb", back, sizeof(back)) == -ENOENT,
	      "lowercase escape accepted");
	CHECK(gdb_path_unescape("%41", back, sizeof(back)) == -ENOENT,
	      "needless escape accepted");
	CHECK(gdb_path_unescape("%2E", back, sizeof(back)) == 0 &&
		  !strcmp(back, "."),
	      "%%2E");
}

/* A region of a contig of len bases from *beg (moved to one of the edge
 * bases before the first block edge when edge, kept in the contig): its
 * end, up to most bases on. */
static int64_t pick_end(int64_t len, int64_t *beg, int64_t edge, int64_t most)
{
	int64_t end;

	if (edge)
		*beg = (int64_t)GDB_DNA_BLOCK_BASES - 1 - rnd() % edge;
	if (*beg >= len)
		*beg = len - 1;
	end = *beg + 1 + rnd() % most;
	return end > len ? len : end;
}

static void test_views(gdb_cache *c, char **seqs, const int64_t *lens)
{
	static const enum gdb_view_kind kinds[] = {GDB_VIEW_BASES, GDB_VIEW_U8,
						   GDB_VIEW_RC};
	char *buf = malloc(300000);

	for (int iter = 0; iter < 400; iter++) {
		int k = (int)(rnd() % 3);
		int64_t beg = rnd() % lens[k], end;
		enum gdb_view_kind kind = kinds[rnd() % 3];
		uint32_t width = iter % 4 == 0 ? 0 : 1 + rnd() % 80;
		gdb_view *v;
		size_t rlen;
		char *ref;

		end = pick_end(lens[k], &beg, iter % 7 == 0 ? 3 : 0,
			       iter % 5 == 0 ? 140000 : 3000);
		CHECK(gdb_view_region(kind, (uint32_t)k, beg, end, width,
				      width ? "hdr" : NULL, &v) == 0,
		      "view");
		ref = reference(seqs[k], beg, end, kind, width,
				width ? "hdr" : NULL, &rlen);
		CHECK(v->size == rlen, "size %llu want %zu",
		      (unsigned long long)v->size, rlen);
		/* whole, then random pieces */
		for (int piece = 0; piece < 12; piece++) {
			uint64_t off = piece ? rnd() % (rlen + 3) : 0;
			size_t len = piece ? rnd() % 70000 : rlen;
			ssize_t got = gdb_view_read(v, c, off, len, buf);
			size_t want = off >= rlen	 ? 0
				      : rlen - off < len ? rlen - off
							 : len;
			CHECK(got == (ssize_t)want, "read len %zd want %zu",
			      got, want);
			if (got > 0 && memcmp(buf, ref + off, (size_t)got)) {
				CHECK(0,
				      "bytes differ: contig %d [%lld,%lld) "
				      "kind %d width %u off %llu len %zu",
				      k, (long long)beg, (long long)end, kind,
				      width, (unsigned long long)off, len);
				break;
			}
		}
		free(ref);
		gdb_view_free(v);
		if (failures > 10)
			break;
	}
	free(buf);
}

/* Small reads (GDB_VIEW_SMALL bytes or less) of blocks a fresh cache has
 * never seen, each view read four times: its touches in part (the bases
 * the read spans, decoded alone: a region's reverse complement, .u8,
 * lines, a header, across a block edge) then whole, the same bytes. */
static void test_small_views(const gdb_store *s, char **seqs,
			     const int64_t *lens)
{
	static const enum gdb_view_kind kinds[] = {GDB_VIEW_BASES, GDB_VIEW_U8,
						   GDB_VIEW_RC};
	char buf[GDB_VIEW_SMALL];

	for (int iter = 0; iter < 60; iter++) {
		int k = iter % 3;
		enum gdb_view_kind kind = kinds[(iter / 3) % 3];
		uint32_t width = iter % 2 ? 0 : 1 + rnd() % 80;
		int64_t beg = rnd() % lens[k], end;
		gdb_cache_stats st;
		gdb_cache *c;
		gdb_view *v;
		size_t rlen;
		char *ref;

		end = pick_end(lens[k], &beg, iter % 4 == 0 ? 500 : 0, 2000);
		CHECK(gdb_cache_create(s, 64 * GDB_DNA_BLOCK_BASES, NULL, &c) ==
			  0,
		      "cache");
		CHECK(gdb_view_region(kind, (uint32_t)k, beg, end, width,
				      width ? "hdr" : NULL, &v) == 0,
		      "view");
		ref = reference(seqs[k], beg, end, kind, width,
				width ? "hdr" : NULL, &rlen);
		for (int t = 1; t <= 4; t++) {
			/* the whole file, then a piece of it from an odd
			 * offset */
			uint64_t off = t % 2 ? 0 : rnd() % rlen, pb;
			size_t len = t % 2 ? GDB_VIEW_SMALL : rlen - off;
			ssize_t got;

			gdb_cache_stats_get(c, &st);
			pb = st.part_bases;
			got = gdb_view_read(v, c, off, len, buf);
			gdb_cache_stats_get(c, &st);
			/* a touch in part decodes the bases read (one more at
			 * most: a read ending on a line break), not a window */
			CHECK(st.part_bases - pb <= (uint64_t)(end - beg) + 1,
			      "small read %d of [%lld, %lld): %llu bases "
			      "decoded in part",
			      t, (long long)beg, (long long)end,
			      (unsigned long long)(st.part_bases - pb));
			CHECK(got == (ssize_t)(rlen - off) &&
				  !memcmp(buf, ref + off, rlen - off),
			      "small read %d of contig %d [%lld, %lld) kind "
			      "%d width %u from %llu: got %zd of %zu",
			      t, k, (long long)beg, (long long)end, kind, width,
			      (unsigned long long)off, got, rlen - off);
		}
		gdb_cache_stats_get(c, &st);
		CHECK(st.parts > 0, "no touch in part (contig %d [%lld, %lld))",
		      k, (long long)beg, (long long)end);
		free(ref);
		gdb_view_free(v);
		gdb_cache_destroy(c);
	}
}

/* A .u8 read too large to borrow (more blocks than GDB_VIEW_PIECES) is
 * copied from the blocks' code entries, the entries a .u8 stream prefetches
 * and gives back, not from their bases converted per read: after it, the
 * last block's codes are a hit. */
static void test_u8_copy(gdb_cache *c, char **seqs, const int64_t *lens)
{
	size_t len = (size_t)lens[4];
	char *buf = malloc(len);
	gdb_cache_stats a, b;
	const uint8_t *codes;
	gdb_cache_entry *ref;
	uint32_t n;
	gdb_view *v;
	size_t rlen;
	char *want;

	CHECK(gdb_view_region(GDB_VIEW_U8, 4, 0, lens[4], 0, NULL, &v) == 0,
	      "u8 view");
	want = reference(seqs[4], 0, lens[4], GDB_VIEW_U8, 0, NULL, &rlen);
	CHECK(gdb_view_read(v, c, 0, len, buf) == (ssize_t)len && rlen == len &&
		  !memcmp(buf, want, len),
	      "u8 copy read");
	gdb_cache_stats_get(c, &a);
	CHECK(gdb_cache_get_u8(c, 4, (uint32_t)(lens[4] / GDB_DNA_BLOCK_BASES),
			       &codes, &n, &ref) == 0,
	      "get_u8");
	gdb_cache_put(c, ref);
	gdb_cache_stats_get(c, &b);
	CHECK(b.total.hits == a.total.hits + 1 &&
		  b.total.misses == a.total.misses,
	      "a copied .u8 read left no code entry (hits %llu->%llu)",
	      (unsigned long long)a.total.hits,
	      (unsigned long long)b.total.hits);
	free(want);
	free(buf);
	gdb_view_free(v);
}

/* Borrowed reads (a .seq file's, served with no copy): the pieces are the
 * bytes gdb_view_read renders, at block edges, odd offsets and sizes;
 * views that are not stored bases as they are, and reads past
 * GDB_VIEW_PIECES blocks, say 1 (render them); with a cache of 3 blocks,
 * a read borrowing 4 or more holds blocks uncached and gives them back. */
static void test_borrow(gdb_cache *c, char **seqs, const int64_t *lens)
{
	const int64_t bb = GDB_DNA_BLOCK_BASES;
	char *buf = malloc((size_t)lens[0] + 1);
	gdb_view_pieces p;
	gdb_view *v;

	CHECK(gdb_view_region(GDB_VIEW_BASES, 0, 0, lens[0], 0, NULL, &v) == 0,
	      "view");
	for (int iter = 0; iter < 300; iter++) {
		uint64_t off =
		    iter % 3 ? rnd() % (uint64_t)(lens[0] + 2)
			     : (uint64_t)(bb * (1 + rnd() % 3)) - rnd() % 2;
		size_t len = iter % 5 ? GDB_VIEW_SMALL + 1 + rnd() % 140000
				      : 1 + rnd() % GDB_VIEW_SMALL;
		size_t want = off >= (uint64_t)lens[0] ? 0
			      : (uint64_t)lens[0] - off < len
				  ? (size_t)((uint64_t)lens[0] - off)
				  : len;
		size_t at = 0;
		int rc = gdb_view_borrow(v, c, off, len, &p);

		if (len <= GDB_VIEW_SMALL && off < (uint64_t)lens[0]) {
			/* small: copied, its first touches decoding a part */
			CHECK(rc == 1 && p.n == 0, "small read %zu borrowed",
			      len);
			continue;
		}
		CHECK(rc == 0 && p.len == want,
		      "borrow %llu+%zu: rc %d len %zu", (unsigned long long)off,
		      len, rc, p.len);
		CHECK(p.n <= (unsigned)(want / bb + 2), "%u pieces for %zu",
		      p.n, want);
		for (unsigned i = 0; i < p.n; i++) {
			memcpy(buf + at, p.iov[i].iov_base, p.iov[i].iov_len);
			at += p.iov[i].iov_len;
		}
		CHECK(at == want &&
			  (!want || !memcmp(buf, seqs[0] + off, want)),
		      "borrowed bytes differ at %llu+%zu",
		      (unsigned long long)off, len);
		gdb_view_unborrow(c, &p);
		CHECK(p.n == 0, "unborrow left pieces");
	}
	gdb_view_free(v);
	/* Not stored bases as they are: rendered, never borrowed. */
	CHECK(gdb_view_region(GDB_VIEW_BASES, 0, 0, 100, 60, "h", &v) == 0 &&
		  gdb_view_borrow(v, c, 0, 10, &p) == 1 && p.n == 0,
	      "a FASTA view was borrowed");
	gdb_view_free(v);
	CHECK(gdb_view_region(GDB_VIEW_U8, 0, 0, 100, 0, NULL, &v) == 0 &&
		  gdb_view_borrow(v, c, 0, 10, &p) == 1,
	      "a .u8 view was borrowed");
	gdb_view_free(v);
	/* More blocks than pieces: rendered. */
	CHECK(gdb_view_region(GDB_VIEW_BASES, 4, 0, lens[4], 0, NULL, &v) == 0,
	      "view");
	CHECK(gdb_view_borrow(v, c, 1, (size_t)(GDB_VIEW_PIECES * bb), &p) == 1,
	      "a read of %d blocks was borrowed", GDB_VIEW_PIECES + 1);
	CHECK(gdb_view_borrow(v, c, 0, (size_t)(GDB_VIEW_PIECES * bb), &p) ==
		      0 &&
		  p.n == GDB_VIEW_PIECES,
	      "a read of %d whole blocks: %u pieces", GDB_VIEW_PIECES, p.n);
	CHECK(p.len == (size_t)(GDB_VIEW_PIECES * bb) &&
		  !memcmp(p.iov[GDB_VIEW_PIECES - 1].iov_base,
			  seqs[4] + (GDB_VIEW_PIECES - 1) * bb, (size_t)bb),
	      "last piece differs");
	gdb_view_unborrow(c, &p);
	gdb_view_free(v);
	free(buf);
}

/* Random access (a daemon's): advice never changes what is read. Out-of-
 * range advice is ignored; sequential readers that advise their blocks and
 * ahead (the prefetcher) read the same bytes as the store. */
static void test_random_access(gdb_cache *c, char **seqs, const int64_t *lens)
{
	const gdb_store *s = gdb_cache_store(c);
	const int64_t bb = GDB_DNA_BLOCK_BASES;
	gdb_cache_stream st;
	char *buf = malloc((size_t)lens[0]);

	gdb_store_advise(s, 0, 2, 1);
	gdb_store_advise(s, 0, 0, 1000);
	gdb_store_advise(s, 99, 0, 1);
	gdb_store_advise(s, 3, 0, 0);
	gdb_cache_stream_init(&st);
	for (int64_t b = 0; b < lens[0]; b += 50000) {
		int64_t e = b + 50000 < lens[0] ? b + 50000 : lens[0];
		gdb_cache_stream_access(c, &st, 0, (uint32_t)(b / bb),
					(uint32_t)((e - 1) / bb));
		CHECK(gdb_cache_read(c, 0, b, e, buf) == 0 &&
			  !memcmp(buf, seqs[0] + b, (size_t)(e - b)),
		      "sequential read at %lld differs", (long long)b);
	}
	gdb_cache_stream_destroy(&st);
	CHECK(gdb_cache_read(c, 0, 0, lens[0], buf) == 0 &&
		  !memcmp(buf, seqs[0], (size_t)lens[0]),
	      "whole-contig read differs");
	CHECK(gdb_cache_read(c, 0, 5, 5, buf) == 0, "empty read");
	free(buf);
}

/* A small read's first two touches of a block (gdb_cache_get_part): the
 * bases asked for (N, IUPAC and soft-masked runs among them, at block
 * edges and in a contig's short last block), decoded alone and not
 * cached; the third touch caches the block whole, the fourth borrows it. */
static void test_parts(gdb_cache *c, char **seqs, const int64_t *lens)
{
	const uint32_t bb = GDB_DNA_BLOCK_BASES;
	static const uint32_t ranges[][2] = {{0, 1000},		 {bb - 5, bb},
					     {bb - 1, bb + 100}, {30000, 31000},
					     {3000, 3001},	 {0, bb}};
	char *part = malloc(bb);
	gdb_cache_stats st0, st1;
	uint64_t blocks = 0;

	gdb_cache_stats_get(c, &st0);
	for (uint32_t k = 0; k < 3; k++) {
		uint32_t nb = gdb_store_contig(gdb_cache_store(c), k)->nblocks;
		blocks += nb;
		for (uint32_t blk = 0; blk < nb; blk++) {
			int64_t at = (int64_t)blk * bb;
			uint32_t n =
			    lens[k] - at < bb ? (uint32_t)(lens[k] - at) : bb;
			uint32_t r = (blk * 7 + k) % 6, lo, hi;
			uint32_t from = ranges[r][0] % n, to = ranges[r][1];
			const char *bases;
			gdb_cache_entry *ref;

			for (int t = 1; t <= 2; t++) {
				uint32_t end = to < n ? to : n;
				CHECK(gdb_cache_get_part(c, k, blk, from, to,
							 part, &bases, &lo, &hi,
							 &ref) == 0,
				      "part of %u/%u", k, blk);
				CHECK(!ref && lo == from && hi == end &&
					  !memcmp(bases, seqs[k] + at + from,
						  end - from),
				      "touch %d of %u/%u [%u, %u): got [%u, "
				      "%u)",
				      t, k, blk, from, end, lo, hi);
			}
			for (int t = 3; t <= 4; t++) {
				CHECK(gdb_cache_get_part(c, k, blk, from, to,
							 part, &bases, &lo, &hi,
							 &ref) == 0 &&
					  ref && lo == 0 && hi == n &&
					  !memcmp(bases, seqs[k] + at, n),
				      "touch %d of %u/%u: not the whole block",
				      t, k, blk);
				gdb_cache_put(c, ref);
			}
		}
	}
	gdb_cache_stats_get(c, &st1);
	CHECK(st1.parts - st0.parts == 2 * blocks &&
		  st1.total.misses - st0.total.misses == 3 * blocks &&
		  st1.total.hits - st0.total.hits == blocks,
	      "%llu touches served in part (not %llu), %llu misses (not "
	      "%llu), %llu hits (not %llu)",
	      (unsigned long long)(st1.parts - st0.parts),
	      (unsigned long long)(2 * blocks),
	      (unsigned long long)(st1.total.misses - st0.total.misses),
	      (unsigned long long)(3 * blocks),
	      (unsigned long long)(st1.total.hits - st0.total.hits),
	      (unsigned long long)blocks);
	CHECK(gdb_cache_get_part(c, 0, 0, 5, 5, part, NULL, NULL, NULL, NULL) ==
		      -EINVAL &&
		  gdb_cache_get_part(c, 0, 99, 0, 5, part, NULL, NULL, NULL,
				     NULL) == -EINVAL,
	      "empty range or no such block");
	free(part);
}

/* A sections object: written in pieces, read back in place, aligned. */
static void test_objects(const char *dir)
{
	gdb_provenance p = {.target = "net", .source = "mem", .command = "t"};
	char err[256];
	gdb_txn *t;
	gdb_store *s;
	uint32_t *big = malloc(1000003 * sizeof(uint32_t));
	const void *data;
	uint64_t len;
	int oi;

	for (uint32_t i = 0; i < 1000003; i++)
		big[i] = i * 2654435761u;
	CHECK(gdb_txn_begin(dir, &t, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_txn_object_begin(t, GDB_OBJECT_SECTIONS, "net", err,
				   sizeof(err)) == 0,
	      "%s", err);
	CHECK(gdb_txn_section_begin(t, "small") == 0, "sec");
	CHECK(gdb_txn_section_write(t, "abc", 3) == 0, "write");
	CHECK(gdb_txn_section_end(t) == 0, "end");
	CHECK(gdb_txn_section_begin(t, "big") == 0, "sec");
	CHECK(gdb_txn_section_write(t, big, 7) == 0, "write");
	CHECK(gdb_txn_section_write(t, (char *)big + 7, 1000003 * 4 - 7) == 0,
	      "write");
	CHECK(gdb_txn_section_end(t) == 0, "end");
	CHECK(gdb_txn_section_begin(t, "small") == -EEXIST, "dup section");
	CHECK(gdb_txn_provenance(t, &p) == 0, "prov");
	CHECK(gdb_txn_commit(t, NULL, err, sizeof(err)) == 0, "%s", err);
	CHECK(gdb_store_open(dir, 0, &s, err, sizeof(err)) == 0, "%s", err);
	oi = gdb_store_object_find(s, GDB_OBJECT_SECTIONS, "net");
	CHECK(oi >= 0 && gdb_store_nassemblies(s) == 1, "object not found");
	if (oi >= 0) {
		CHECK(gdb_store_section(s, (uint32_t)oi, "big", &data, &len) ==
			      0 &&
			  len == 1000003 * 4 && !memcmp(data, big, len) &&
			  ((uintptr_t)data % 64) == 0,
		      "big section wrong or unaligned");
		CHECK(gdb_store_section(s, (uint32_t)oi, "small", &data,
					&len) == 0 &&
			  len == 3 && !memcmp(data, "abc", 3),
		      "small");
		CHECK(gdb_store_section(s, (uint32_t)oi, "none", &data, &len) ==
			  -ENOENT,
		      "missing section");
	}
	/* The assembly is still there beside it. */
	CHECK(gdb_store_contig_find(s, 0, "chr1") == 0, "assembly lost");
	gdb_store_close(s);
	free(big);
}

/* CURRENT's forms (docs/FORMAT.md, "CURRENT"), table-driven. */
static void test_current(void)
{
	static const struct {
		const char *text;
		int rc, has_crc;
		uint64_t gen;
	} cases[] = {
	    {"MANIFEST-000001\n", 0, 0, 1}, /* an older store's */
	    {"MANIFEST-000005\n", 0, 0, 5},
	    {"MANIFEST-0000012\n", 0, 0, 12},
	    {"MANIFEST-00001\n", GDB_ECORRUPT, 0, 0}, /* 5 digits */
	    {"MANIFEST-000000\n", GDB_ECORRUPT, 0, 0},
	    {"MANIFEST- 00001\n", GDB_ECORRUPT, 0, 0},
	    {"MANIFEST-000001", GDB_ECORRUPT, 0, 0}, /* no newline */
	    {"MANIFEST-000001 7ed3298a", GDB_ECORRUPT, 0, 0},
	    {"MANIFEST-000001 7ED3298A\n", GDB_ECORRUPT, 0, 0},
	    {"MANIFEST-000001  7ed3298a\n", GDB_ECORRUPT, 0, 0},
	    {"MANIFEST-000001 7ed3298\n", GDB_ECORRUPT, 0, 0},
	    {"MANIFEST-000001 7ed3298a \n", GDB_ECORRUPT, 0, 0},
	    {"MANIFEST-000000 7ed3298a\n", GDB_ECORRUPT, 0, 0},
	};
	char buf[64];
	uint64_t gen;
	int has, n, rc;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gen = 0;
		has = -1;
		rc = gdb_current_parse(cases[i].text, strlen(cases[i].text),
				       &gen, &has);
		CHECK(rc == cases[i].rc, "CURRENT '%s': %d", cases[i].text, rc);
		if (rc == 0)
			CHECK(gen == cases[i].gen && has == cases[i].has_crc,
			      "CURRENT '%s': gen %llu", cases[i].text,
			      (unsigned long long)gen);
	}
	/* every written form parses back; every one-bit flip is refused */
	for (uint64_t g = 1; g < 2000000; g = g * 7 + 3) {
		n = gdb_current_format(g, buf, sizeof(buf));
		CHECK(gdb_current_parse(buf, (size_t)n, &gen, &has) == 0 &&
			  gen == g && has == 1,
		      "format %llu", (unsigned long long)g);
		for (int bit = 0; bit < 8 * (n - 1); bit++) {
			buf[bit / 8] ^= (char)(1 << (bit % 8));
			rc = gdb_current_parse(buf, (size_t)n, &gen, &has);
			CHECK(rc < 0, "CURRENT '%s' with bit %d flipped passed",
			      buf, bit);
			buf[bit / 8] ^= (char)(1 << (bit % 8));
		}
	}
}

/* Varints and the regular layout, and a layout read's checks. */
static void test_layouts(void)
{
	static const uint64_t vals[] = {
	    0, 1, 127, 128, 300, 16383, 16384, (1ull << 32) + 5, UINT64_MAX};
	gdb_buf b = {0};
	gdb_layout_r r;
	uint64_t v, total = 0;

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		b.len = 0;
		gdb_varint_put(&b, vals[i]);
		CHECK(gdb_varint_get((const uint8_t *)b.p,
				     (const uint8_t *)b.p + b.len,
				     &v) == b.len &&
			  v == vals[i],
		      "varint %llu", (unsigned long long)vals[i]);
		CHECK(gdb_varint_get((const uint8_t *)b.p,
				     (const uint8_t *)b.p + b.len - 1, &v) == 0,
		      "truncated varint %llu", (unsigned long long)vals[i]);
	}
	/* 125 bases at 60 a line: 2 full lines and one of 5, 3 + 128 bytes */
	CHECK(gdb_layout_regular(125, 60, &b) == 0, "regular");
	CHECK(gdb_layout_read(&r, (const uint8_t *)b.p, b.len, 125, 3,
			      &total) == 0 &&
		  total == 1 + 3 + 1 + 125 + 3,
	      "regular layout size %llu", (unsigned long long)total);
	gdb_layout_r_free(&r);
	CHECK(gdb_layout_read(&r, (const uint8_t *)b.p, b.len, 124, 3, NULL) ==
		  GDB_ECORRUPT,
	      "bases must sum to the length");
	CHECK(gdb_layout_read(&r, (const uint8_t *)b.p, b.len - 1, 125, 3,
			      NULL) == GDB_ECORRUPT,
	      "truncated layout");
	gdb_buf_add(&b, "", 1);
	CHECK(gdb_layout_read(&r, (const uint8_t *)b.p, b.len, 125, 3, NULL) ==
		  GDB_ECORRUPT,
	      "bytes after the last run");
	gdb_buf_free(&b);
}

int main(void)
{
	char dir[64] = "/tmp/gdb-unit-XXXXXX";
	/* the last: more blocks than a borrowed read takes */
	int64_t lens[] = {200001, 65537, 70000, 1,
			  (GDB_VIEW_PIECES + 1) * GDB_DNA_BLOCK_BASES + 3};
	char *seqs[5];
	char err[512], cmd[128];
	gdb_store *s;
	gdb_cache *c;

	gdb_simd_init();
	if (!mkdtemp(dir))
		return 1;
	strcat(dir, "/s");
	for (int k = 0; k < 5; k++) {
		seqs[k] = malloc((size_t)lens[k]);
		make_seq(seqs[k], lens[k]);
	}
	if (build_store(dir, seqs, lens, 5) < 0)
		return 1;
	if (gdb_store_open(dir, 0, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	CHECK(gdb_store_generation(s) == 2, "generation");
	CHECK(gdb_store_ncontigs(s) == 5, "contigs");
	CHECK(!strcmp(gdb_store_contig(s, 0)->desc, " a desc"), "desc");
	CHECK(gdb_store_contig_find(s, 0, "chr/2") == 1, "find");
	CHECK(gdb_store_assembly_find(s, "nope") == -ENOENT, "asm find");
	test_regions(s);
	test_escape();
	/* A cache far smaller than the data: eviction on every other get. */
	CHECK(gdb_cache_create(s, 3 * GDB_DNA_BLOCK_BASES, NULL, &c) == 0,
	      "cache");
	test_views(c, seqs, lens);
	test_borrow(c, seqs, lens);
	test_u8_copy(c, seqs, lens);
	{
		gdb_cache_stats st;
		gdb_cache_stats_get(c, &st);
		CHECK(st.total.evictions > 0 && st.total.misses > 0,
		      "cache never evicted");
		CHECK(st.resident_bytes <= st.budget_bytes, "budget exceeded");
	}
	gdb_cache_destroy(c);
	gdb_store_close(s);
	/* The same reads with the prefetcher running: random access. */
	CHECK(gdb_store_open(dir, 0, &s, err, sizeof(err)) == 0, "reopen: %s",
	      err);
	CHECK(gdb_cache_create(s, 3 * GDB_DNA_BLOCK_BASES, NULL, &c) == 0,
	      "cache");
	CHECK(gdb_cache_start_prefetch(c) == 0, "prefetch");
	test_small_views(s, seqs, lens);
	test_random_access(c, seqs, lens);
	test_views(c, seqs, lens);
	gdb_cache_destroy(c);
	CHECK(gdb_cache_create(s, 3 * GDB_DNA_BLOCK_BASES, NULL, &c) == 0,
	      "cache");
	test_parts(c, seqs, lens);
	gdb_cache_destroy(c);
	gdb_store_close(s);
	/* A second writer is refused while the first holds the lock. */
	{
		gdb_txn *a, *b;
		CHECK(gdb_txn_begin(dir, &a, err, sizeof(err)) == 0, "lock 1");
		CHECK(gdb_txn_begin(dir, &b, err, sizeof(err)) == GDB_ELOCKED,
		      "second writer not refused");
		gdb_txn_abort(a);
	}
	test_objects(dir);
	test_current();
	test_layouts();
	for (int k = 0; k < 5; k++)
		free(seqs[k]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)strlen(dir) - 2, dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	if (failures)
		fprintf(stderr, "test_store: %d failure(s)\n", failures);
	else
		printf("test_store: ok\n");
	return failures ? 1 : 0;
}
