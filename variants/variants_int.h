/*
 * variants/variants_int.h - what the files of variants/ share: the chunk
 * stream kinds, varints, the genotype codec and the chunk cursor. No
 * other module includes it. Byte layouts: docs/FORMAT.md, "Variant sets".
 */
#ifndef GDB_VARIANTS_INT_H
#define GDB_VARIANTS_INT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <htslib/vcf.h>

#include "variants/variants.h"

#define VS_META_MAGIC "GDBVCF01"
#define VS_VERSION 1u
#define VS_META_BYTES 64u
#define VS_CHUNK_ENTRY 32u
#define VS_STREAM_ENTRY 16u
#define VS_CHUNK_SITES 4096u		/* sites a chunk holds at most */
#define VS_CHUNK_RAW ((size_t)32 << 20) /* raw stream bytes that close one */
#define VS_GROUP_SAMPLES 1024u /* samples a genotype group holds at most */
#define VS_MAX_ALLELES 4096u
#define VS_ZSTD_LEVEL 19

/* Stream kinds of a chunk (FORMAT.md "Chunk streams"). */
enum vs_kind {
	VK_POS = 1,
	VK_ALLELES = 2,
	VK_ID = 3,
	VK_QUAL = 4,
	VK_FILTER = 5,
	VK_INFO_KEYS = 6,
	VK_INFO = 7,
	VK_INFO_F = 8,
	VK_FMT_KEYS = 9,
	VK_FMT = 10,
	VK_FMT_F = 11,
	VK_GT_SITE = 12,
	VK_GT_RUNS = 13,
	VK_GT_EXC = 14,
};

/* Key kinds of vcf.keys. */
enum { VKEY_FILTER = 0, VKEY_INFO = 1, VKEY_FORMAT = 2 };

/* Value types inside INFO/FORMAT streams (htslib's BCF_HT_*). */
enum { VT_FLAG = 0, VT_INT = 1, VT_REAL = 2, VT_STR = 3 };

/* GT site byte: bits 0-1 class, bit 2 slot-1 phased, bit 3 zero = missing */
#define GT_NONE 0
#define GT_HAPLOID 1
#define GT_DIPLOID 2
#define GT_PHASED 4
#define GT_ZMISS 8

/* ---- varints (LEB128, zigzag for signed) ---- */

static inline void vs_put_uv(gdb_buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	gdb_buf_add(b, tmp, n);
}

static inline void vs_put_sv(gdb_buf *b, int64_t v)
{
	vs_put_uv(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* A bounded reader; the first overrun sticks in bad. */
typedef struct vs_rd {
	const uint8_t *p, *end;
	int bad;
} vs_rd;

static inline uint64_t vs_uv(vs_rd *r)
{
	uint64_t v = 0;

	for (unsigned s = 0; s < 64; s += 7) {
		if (r->p >= r->end) {
			r->bad = 1;
			return 0;
		}
		uint8_t c = *r->p++;
		v |= (uint64_t)(c & 0x7f) << s;
		if (!(c & 0x80))
			return v;
	}
	r->bad = 1;
	return 0;
}

static inline int64_t vs_sv(vs_rd *r)
{
	uint64_t u = vs_uv(r);
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static inline const uint8_t *vs_bytes(vs_rd *r, uint64_t n)
{
	const uint8_t *p = r->p;

	if (n > (uint64_t)(r->end - r->p)) {
		r->bad = 1;
		return NULL;
	}
	r->p += n;
	return p;
}

static inline int vs_done(const vs_rd *r)
{
	return r->p == r->end;
}

/* ---- genotype codec (gtcodec.c): one sample group's PBWT state ---- */

typedef struct vs_pbwt {
	uint32_t H;  /* haplotype slots: 2 per sample */
	uint16_t *a; /* current order (positional prefix array) */
	uint16_t *tmp;
	uint32_t *runs; /* decode: one site's run lengths */
} vs_pbwt;

int vs_pbwt_init(vs_pbwt *p, uint32_t nsamples);
void vs_pbwt_free(vs_pbwt *p);

/*
 * vs_pbwt_encode - append one site's run lengths (bits[h] for slot h,
 * 0/1 bytes) to out and advance the order.
 */
void vs_pbwt_encode(vs_pbwt *p, const uint8_t *bits, gdb_buf *out);

/*
 * vs_pbwt_decode - read one site's runs, set the non-reference planes a
 * (slot 0) and b (slot 1) of the group's samples (bit s of word s/64,
 * from bit off), and advance the order.
 * @return number of set slots, or -1 if the runs are malformed.
 */
int64_t vs_pbwt_decode(vs_pbwt *p, vs_rd *r, uint64_t *a, uint64_t *b,
		       uint32_t off);

/* ---- the set (read.c) ---- */

typedef struct vs_chunk {
	uint32_t contig, nsites;
	int64_t first, last; /* POS of first and last record, 0-based */
	uint32_t section;
} vs_chunk;

typedef struct vs_key {
	uint8_t kind;
	const char *name; /* NUL-terminated copy */
	int hdr_id;	  /* id in the reader's header, -1 if none */
} vs_key;

typedef struct vs_contig {
	char *name;
	uint32_t first_chunk, nchunks;
	uint64_t nsites;
	int ref_contig; /* store contig id, -1 if the reference
			 * lacks it */
	int64_t length;
	int hdr_rid;
} vs_contig;

struct gdb_vset {
	const gdb_store *store;
	gdb_cache *cache;
	int obj;
	char *name;
	char *reference;
	uint32_t nsamples, ncontigs, nchunks, nkeys, group;
	uint64_t nsites;
	vs_chunk *chunks;
	vs_contig *contigs;
	vs_key *keys;
	char **samples;	      /* names */
	uint32_t *pop, *spop; /* per sample: index into pops / spops */
	char **pops, **spops; /* names; index 0 is "unassigned" */
	uint32_t npops, nspops;
	int has_panel;
	char *samples_tsv;
	size_t samples_tsv_len;
	bcf_hdr_t *hdr;	 /* the stored header (all samples) */
	bcf_hdr_t *hdr0; /* the same without samples (sites.tsv) */
	char *htxt;	 /* header text */
	size_t htxt_len;
	const char *ref_mem; /* tests: reference bases of contig 0 */
	/* stream.c: windows rendered for readers, and windows its streams
	 * hold now (counters, atomic, the fields changed through a const
	 * gdb_vset *) */
	uint64_t windows_rendered, windows_held;
};

/* ---- chunk cursor (cursor.c) ---- */

typedef struct vs_stream {
	uint8_t kind;
	uint16_t group;
	uint32_t key;
	const uint8_t *stored;
	uint32_t stored_len, raw_len;
	uint8_t codec;
	uint8_t *raw;	/* decompressed (owned) or NULL */
	vs_rd rd;	/* cursor over the raw bytes */
	uint64_t fnext; /* float streams: next value's index */
} vs_stream;

/* One decoded site. Strings and arrays live in the cursor until the next
 * call. */
typedef struct vs_site {
	int64_t pos, rlen;
	uint32_t nallele;
	char **allele;
	char *id;
	uint32_t qual;	       /* float bits */
	uint32_t nflt, *flt;   /* key indexes */
	uint32_t ninfo, *info; /* key indexes, record order */
	uint32_t nfmt, *fmt;   /* key indexes, record order */
	uint8_t gt;	       /* GT site byte */
} vs_site;

typedef struct vs_cursor {
	const gdb_vset *v;
	uint32_t chunk;
	int oom; /* an allocation failed: the -1 that follows is -ENOMEM */
	uint32_t nsites, next;
	vs_stream *st;
	uint32_t nst;
	vs_stream **by_key; /* INFO, INFO_F, FMT, FMT_F streams by key */
	vs_stream *s_pos, *s_all, *s_id, *s_qual, *s_flt, *s_ik, *s_fk, *s_gts;
	uint32_t ngroups;
	int *want_group; /* groups to decode */
	vs_stream **g_runs, **g_exc;
	vs_pbwt *pbwt;
	/* decoded genotypes of the current site (samples of wanted groups) */
	uint32_t words;	   /* 64-bit words per plane */
	uint64_t *pa, *pb; /* non-reference allele in slot 0, slot 1 */
	uint64_t *qa, *qb; /* an allele is called in slot 0, slot 1 */
	uint64_t *pm;	   /* the sample's call has a missing allele */
	uint64_t *wmask;   /* samples of the wanted groups */
	uint32_t nexc;
	uint32_t *exc_slot; /* slot = 2 * sample + 0/1 */
	int32_t *exc_val;   /* htslib GT value */
	uint32_t exc_cap;
	/* current site */
	vs_site site;
	gdb_buf strs; /* allele/id text */
	char **allele_v;
	size_t *allele_off;
	uint32_t *keys_v;
	uint32_t keys_cap;
	void *vals; /* INFO/FORMAT values of one key */
	size_t vals_cap;
	void *subv; /* the same for a sample subset */
	size_t subv_cap;
	int32_t *gtv; /* GT values of one site */
	size_t gtv_cap;
	/* record.c: each key for the header kinfo_h, GT's id in it, and the
	 * site stamp each INFO key was last seen at */
	uint8_t *kinfo;
	const bcf_hdr_t *kinfo_h;
	int gt_id;
	uint32_t *kstamp, stamp;
	char *ref; /* reference window [ref_beg, ref_end) */
	int64_t ref_beg, ref_end;
	size_t ref_cap;
	int err;
} vs_cursor;

int vs_cursor_open(vs_cursor *c, const gdb_vset *v, uint32_t chunk,
		   const int *want_group);
/* The same over a chunk's bytes already in memory (the fuzz target). */
int vs_cursor_open_mem(vs_cursor *c, const gdb_vset *v, uint32_t chunk,
		       const void *d, uint64_t n, const int *want_group);
void vs_cursor_close(vs_cursor *c);
/* Decode the next site (and its genotypes if groups are wanted).
 * @return 1 site, 0 end of chunk, or a negative error (GDB_ECORRUPT). */
int vs_cursor_next(vs_cursor *c, int genotypes);
/* The stream of kind/key (INFO and FORMAT values), or NULL. */
vs_stream *vs_cursor_stream(vs_cursor *c, uint8_t kind, uint32_t key);
/* GT values of the current site, two slots per sample (vector_end in the
 * second slot of haploid calls), for the samples idx[0..n) (NULL: all)
 * into gt; inv[sample] is its place in idx (NULL when idx is). */
void vs_cursor_gt(const vs_cursor *c, const uint32_t *idx, uint32_t n,
		  const int32_t *inv, int32_t *gt);
/* The same values as int8, as bcf_enc_vint narrows them (missing -128,
 * vector_end -127). @return 0; 1 (gt untouched) when some exception of
 * the site does not fit int8 (bcf_enc_vint would not use it). */
int vs_cursor_gt8(const vs_cursor *c, const uint32_t *idx, uint32_t n,
		  const int32_t *inv, int8_t *gt);
/* A stream's raw bytes (decompressed on first use). */
int vs_stream_load(vs_stream *s);

/* Chunks of contig with a record whose POS is in [beg, end): *first and
 * *n (0 if none). */
void vs_chunk_range(const gdb_vset *v, uint32_t contig, int64_t beg,
		    int64_t end, uint32_t *first, uint32_t *n);

/* The reference bases [beg, end) of a set contig, uppercased into dst. */
int vs_ref_bases(const gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
		 char *dst);

/* The samples a record is built for: all (idx NULL) or a subset. */
typedef struct vs_subset {
	const uint32_t *idx; /* ascending sample indexes, or NULL */
	uint32_t n;	     /* samples in the output */
	int32_t *inv;	     /* sample -> output index or -1; NULL: all */
} vs_subset;

/*
 * vs_record - the current site's INFO and FORMAT values, read from their
 * streams (every site must pass here once, in order, so the streams stay
 * in step) and, when rec is not NULL, the whole htslib record for header
 * h. fmt: 0 leaves FORMAT streams unread (the caller must then not ask
 * for FORMAT anywhere in this chunk).
 * @return 0, GDB_ECORRUPT, -ENOMEM, -EIO (htslib refused a value)
 */
int vs_record(vs_cursor *c, const bcf_hdr_t *h, const vs_subset *sub, int fmt,
	      bcf1_t *rec);

/*
 * Records laid out as BCF, as htslib lays out a record built through its
 * API (bcf_update_*, then bcf1_sync), each value written by htslib's own
 * encoders (bcf_enc_*); vcf_format and bcf_write then unpack it as a
 * record read from a BCF file. tests/unit/test_variants.c checks them
 * against the API, byte for byte.
 *
 * vs_enc_head - ID, alleles and FILTER ids (header ids) as rec's shared
 * block, from scratch (rec cleared, n_info 0, nothing unpacked).
 * vs_enc_info - one INFO value after them (type VT_*; vals as read_value
 * gives them: int32, float, a NUL-terminated string; a flag has none);
 * a non-flag with no values is left out, as bcf_update_info leaves it.
 * @return 0, -ENOMEM
 */
int vs_enc_head(bcf1_t *rec, const char *id, char *const *allele,
		uint32_t nallele, int32_t *flt, uint32_t nflt);
int vs_enc_info(bcf1_t *rec, int id, int type, void *vals, uint32_t n);
/*
 * vs_gt_narrow - htslib's int32 GT codes g[0..m) as bcf_enc_vint writes
 * them in int8 (missing -128, vector_end -127) into d.
 * @return 0; 1 when bcf_enc_vint would not use int8
 *
 * vs_put_gt8 - int8 GT values g (n samples x P slots, as vs_gt_narrow
 * gives them) as rec's first FORMAT field, laid out byte for byte as
 * bcf_update_genotypes lays them out (htslib's own encoders write the
 * key and the size). rec must have been laid out by vs_enc_head and have
 * no FORMAT field yet.
 * @return 0; 1 when it was not, or n * P is 1 (htslib writes one value
 *         otherwise: the caller calls bcf_update_genotypes); -ENOMEM,
 *         -EINVAL (GT not in h)
 */
int vs_gt_narrow(const int32_t *g, size_t m, int8_t *d);
int vs_put_gt8(const bcf_hdr_t *h, bcf1_t *rec, const int8_t *g, uint32_t n,
	       int P);

/*
 * vs_walk - every site of contig with POS in [beg, end), chunk by chunk:
 * fn(arg, c, in_range) is called for each site of the chunks that hold
 * the range, in order, in_range telling whether its POS is inside (sites
 * outside come only so that fn can keep the value streams in step).
 * want: sample groups whose genotypes to decode (NULL: none).
 * @return 0, fn's negative result, or a chunk's error
 */
typedef int (*vs_site_fn)(void *arg, vs_cursor *c, int in_range);
int vs_walk(const gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
	    uint32_t chunk0, uint32_t nchunks, const int *want, vs_site_fn fn,
	    void *arg);
/* Groups holding the samples of sub (all when sub is NULL). malloc'd. */
int *vs_want_groups(const gdb_vset *v, const gdb_vsamples *sub);

/* The VCF, VCF.gz and BCF answers (record.c). */
int vs_render_vcf(const gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
		  const gdb_vsamples *sub, enum gdb_vfmt fmt, size_t max,
		  char **out, size_t *len);

/*
 * Parts of a streamed answer (stream.c): the head (the header), the
 * records of each chunk of the region in turn, and the tail (the BGZF
 * end-of-file block; nothing for text). Joined in that order they are
 * byte for byte the answer gdb_vset_render gives whole.
 */
#define VS_PART_HEAD UINT32_MAX
#define VS_PART_TAIL (UINT32_MAX - 1)
/* VCF, VCF.gz and BCF parts (record.c); part is a chunk index or one of
 * the two above. @return 0 with *out malloc'd, or an error as render's */
int vs_vcf_part(const gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
		const gdb_vsamples *sub, enum gdb_vfmt fmt, uint32_t part,
		char **out, size_t *len);
/* sites.tsv parts (render.c): the header row, then a chunk's rows. */
int vs_sites_part(const gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
		  uint32_t part, char **out, size_t *len);
/* .gt.npy parts (render.c): the NPY header for *rows rows, or a chunk's
 * rows (their number set in *rows). */
int vs_npy_part(const gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
		const gdb_vsamples *sub, uint32_t part, uint64_t *rows,
		char **out, size_t *len);

/* Statistics table parts (stats.c): the header row, then a chunk's rows
 * (Fst windows: those after the previous chunk's last window up to this
 * chunk's last one; a summary is all in the head). */
int vs_stats_part(const gdb_vset *v, uint32_t contig, int64_t beg, int64_t end,
		  const gdb_vstat_opts *o, uint32_t part, char **out,
		  size_t *len);

/* Grow b to hold n more bytes at once (a page-faulting VM pays for every
 * realloc copy and every 4 KiB page touched; large answers go into
 * common/bigbuf.h's buffers, a pooled one when there is one): 0, or the
 * buffer's sticky error. */
int vs_reserve(gdb_buf *b, size_t n);

/* Sites in chunks first .. first+n-1. */
uint64_t vs_chunk_sites(const gdb_vset *v, uint32_t first, uint32_t n);
/* About the sites of those chunks with POS in [beg, end) (each chunk's
 * share by the span of POS it covers): to size an answer's buffer. */
uint64_t vs_range_sites(const gdb_vset *v, uint32_t first, uint32_t n,
			int64_t beg, int64_t end);

/* zstd helpers (build.c) */
int vs_zstd_decompress(const uint8_t *src, size_t n, uint8_t **out,
		       size_t raw_len);

#endif
