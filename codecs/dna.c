/*
 * codecs/dna.c - the DNA block codec: up to 64 Ki bases as 2-bit codes
 * plus two run lists (exceptions: N and the other IUPAC letters; lowercase
 * soft-mask runs), with an optional zstd pass over the 2-bit codes. The
 * byte layout is docs/FORMAT.md, "DNA block"; this file follows it field
 * by field.
 *
 * Encoding is built for the import path (hundreds of MB/s): every pass
 * over the bases is a SIMD kernel or a 64-bit-word loop.
 *  1. find_nonacgt over the block. Most blocks of most genomes are plain
 *     uppercase ACGT and go straight to pack2.
 *  2. Otherwise the block is upper-cased a chunk at a time into a stack
 *     buffer and find_nonacgt jumps from one exception to the next; each
 *     one is checked against the alphabet (this is where an invalid
 *     letter is found, at its first position) and extended over the run
 *     of the same letter.
 *  3. Lowercase runs come from the case bit (0x20), which for letters
 *     means lowercase; the letters were validated in step 2.
 *  4. pack2 runs on the original bases: its code ignores bit 0x20, so
 *     packing "acgt" gives the same codes as packing "ACGT" and the
 *     format's "codes of the uppercased bases" needs no copy.
 *
 * An RNA block (flag RNA) is the DNA block of its bases with T and U
 * swapped, but for its exception letters: its codes spell A C G U and T
 * is an exception.
 *
 * Decoding treats the block as hostile even though the store checked its
 * CRC: every count, length, order, letter, flag and padding bit is
 * checked before it is used, so a block decodes to exactly nbases bytes
 * or fails with GDB_ECORRUPT, and a valid block has exactly one encoding
 * (for a given zstd outcome), which keeps stores reproducible.
 *
 * zstd contexts are per thread (a pthread key frees them at thread exit),
 * together with the 16 KiB scratch area the zstd paths need, so no call
 * allocates in the steady state and the stack stays small.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "codecs/codecs.h"
#include "simd/simd.h"

#define HDR_SIZE 20
#define EXC_SIZE 12
#define LOW_SIZE 8
#define FLAG_ZSTD 0x01u
#define FLAG_NOPACK 0x02u
#define FLAG_RNA 0x04u
#define FLAGS_KNOWN (FLAG_ZSTD | FLAG_NOPACK | FLAG_RNA)
#define MAX_PACKED (GDB_DNA_BLOCK_BASES / 4)
/* upper-casing chunk for step 2: small enough for any thread's stack */
#define CHUNK 4096

#define ONES 0x0101010101010101ull

enum { L_VALID = 1, L_EXC = 2 };
#define CL_ACGT(c) [c] = L_VALID, [(c) | 0x20] = L_VALID
#define CL_EXC(c) [c] = L_VALID | L_EXC, [(c) | 0x20] = L_VALID | L_EXC
static const uint8_t letter_class[256] = {
    CL_ACGT('A'), CL_ACGT('C'), CL_ACGT('G'), CL_ACGT('T'),
    CL_EXC('U'),  CL_EXC('N'),	CL_EXC('R'),  CL_EXC('Y'),
    CL_EXC('S'),  CL_EXC('W'),	CL_EXC('K'),  CL_EXC('M'),
    CL_EXC('B'),  CL_EXC('D'),	CL_EXC('H'),  CL_EXC('V'),
};

int gdb_codecs_dna_valid(int c)
{
	if (c < 0 || c > 255)
		return 0;
	return letter_class[c] & L_VALID;
}

/* A letter an exception run may hold on disk: uppercase, not one of the
 * four letters the 2-bit codes spell (ACGT, or ACGU in an RNA block). */
static int exc_letter_ok(uint8_t c, int rna)
{
	if (rna && (c == 'U' || c == 'T'))
		return c == 'T';
	return (letter_class[c] & L_EXC) && c <= 'Z';
}

/* T <-> U, case kept (an RNA block is encoded as the DNA block of its
 * swapped bases, then its exception letters are swapped back). */
static void swap_tu(const char *src, uint32_t n, char *dst)
{
	for (uint32_t i = 0; i < n; i++) {
		char c = src[i];
		char u = (char)(c & ~0x20);
		dst[i] = u == 'T'   ? (char)(c + ('U' - 'T'))
			 : u == 'U' ? (char)(c - ('U' - 'T'))
				    : c;
	}
}

size_t gdb_codecs_dna_bound(uint32_t nbases)
{
	size_t n = nbases;

	/*
	 * At most one exception run per base and one lowercase run per two
	 * bases (lowercase runs are maximal, so an uppercase base separates
	 * any two). The packed area may be absent; zstd is kept only when
	 * it is smaller.
	 */
	return HDR_SIZE + EXC_SIZE * n + LOW_SIZE * ((n + 1) / 2) + (n + 3) / 4;
}

/* ---- per-thread zstd state ---- */

struct zstate {
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	/* encode: compressed candidate; decode: the decompressed codes */
	uint8_t buf[ZSTD_COMPRESSBOUND(MAX_PACKED)];
	char swap[GDB_DNA_BLOCK_BASES]; /* an RNA block's swapped bases */
};

static pthread_once_t zkey_once = PTHREAD_ONCE_INIT;
static pthread_key_t zkey;
static int zkey_ok;

static void zstate_free(void *p)
{
	struct zstate *z = p;

	if (!z)
		return;
	ZSTD_freeCCtx(z->cctx);
	ZSTD_freeDCtx(z->dctx);
	free(z);
}

static void zkey_init(void)
{
	zkey_ok = pthread_key_create(&zkey, zstate_free) == 0;
}

/*
 * The calling thread's zstd state, created on first use. If the key could
 * not be made or set, a state just for this call is returned and *temp
 * says to free it with zstate_put(). NULL when out of memory.
 */
static struct zstate *zstate_get(int *temp)
{
	struct zstate *z;

	pthread_once(&zkey_once, zkey_init);
	*temp = 0;
	if (zkey_ok && (z = pthread_getspecific(zkey)))
		return z;
	z = calloc(1, sizeof(*z));
	if (!z)
		return NULL;
	if (zkey_ok && pthread_setspecific(zkey, z) == 0)
		return z;
	*temp = 1;
	return z;
}

static void zstate_put(struct zstate *z, int temp)
{
	if (temp)
		zstate_free(z);
}

/* ---- 64-bit-word scanners ---- */

/* Length of the prefix of p[0..n) made of the byte c. */
static size_t span_byte(const char *p, size_t n, uint8_t c)
{
	uint64_t pat = ONES * c;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x = gdb_get_le64(p + i) ^ pat;

		if (x)
			return i + ((size_t)__builtin_ctzll(x) >> 3);
	}
	while (i < n && (uint8_t)p[i] == c)
		i++;
	return i;
}

/* Length of the prefix of p[0..n) whose bytes have (b & 0x20) == bit. */
static size_t span_case(const char *p, size_t n, uint8_t bit)
{
	uint64_t pat = ONES * bit;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x = (gdb_get_le64(p + i) & (ONES * 0x20)) ^ pat;

		if (x)
			return i + ((size_t)__builtin_ctzll(x) >> 3);
	}
	while (i < n && ((uint8_t)p[i] & 0x20) == bit)
		i++;
	return i;
}

static void lower_run(char *p, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8)
		gdb_put_le64(p + i, gdb_get_le64(p + i) | (ONES * 0x20));
	for (; i < n; i++)
		p[i] |= 0x20;
}

/* ---- encoder ---- */

struct enc {
	uint8_t *dst;
	size_t cap;
	size_t off; /* bytes of dst written so far */
	uint32_t n_exc;
	uint32_t n_lower;
	uint32_t covered; /* bases inside exception runs */
};

/* Step 2: exception runs, written from dst + HDR_SIZE on. */
static int scan_exceptions(const gdb_simd_kernels *k, const char *bases,
			   uint32_t n, struct enc *e, uint32_t *badpos)
{
	char up[CHUNK];
	uint32_t c, len, i, j, last_end = 0;
	uint8_t last = 0;

	for (c = 0; c < n; c += len) {
		len = n - c < CHUNK ? n - c : CHUNK;
		k->toupper(bases + c, len, up);
		for (i = 0;; i = j) {
			uint8_t ch;

			i += (uint32_t)k->find_nonacgt(up + i, len - i);
			if (i == len)
				break;
			ch = (uint8_t)up[i];
			if (!(letter_class[ch] & L_EXC)) {
				if (badpos)
					*badpos = c + i;
				return GDB_EFORMAT;
			}
			j = i + 1 +
			    (uint32_t)span_byte(up + i + 1, len - i - 1, ch);
			if (e->n_exc && last == ch && last_end == c + i) {
				/* the run was cut by the chunk boundary */
				uint8_t *lenp = e->dst + e->off - EXC_SIZE + 4;

				gdb_put_le32(lenp,
					     gdb_get_le32(lenp) + (j - i));
			} else {
				uint8_t *p = e->dst + e->off;

				if (e->cap - e->off < EXC_SIZE)
					return -ENOBUFS;
				gdb_put_le32(p, c + i);
				gdb_put_le32(p + 4, j - i);
				p[8] = ch;
				p[9] = p[10] = p[11] = 0;
				e->off += EXC_SIZE;
				e->n_exc++;
			}
			e->covered += j - i;
			last = ch;
			last_end = c + j;
		}
	}
	return 0;
}

/* Step 3: lowercase runs, after the exception runs. */
static int scan_lower(const char *bases, uint32_t n, struct enc *e)
{
	size_t i = 0, j;

	while (i < n) {
		uint8_t *p = e->dst + e->off;

		i += span_case(bases + i, n - i, 0);
		if (i == n)
			break;
		j = i + span_case(bases + i, n - i, 0x20);
		if (e->cap - e->off < LOW_SIZE)
			return -ENOBUFS;
		gdb_put_le32(p, (uint32_t)i);
		gdb_put_le32(p + 4, (uint32_t)(j - i));
		e->off += LOW_SIZE;
		e->n_lower++;
		i = j;
	}
	return 0;
}

/*
 * Replace the raw codes at p[0..raw) by their zstd frame if that is
 * strictly smaller. The candidate goes to a scratch area of full
 * ZSTD_compressBound size, so the decision never depends on the output
 * capacity. @return the new length, 0 to keep raw codes, or -errno.
 */
static int try_zstd(uint8_t *p, size_t raw, int level)
{
	struct zstate *z;
	size_t r;
	int temp, rc = 0;

	z = zstate_get(&temp);
	if (!z)
		return -ENOMEM;
	if (!z->cctx && !(z->cctx = ZSTD_createCCtx())) {
		rc = -ENOMEM;
		goto out;
	}
	r = ZSTD_compressCCtx(z->cctx, z->buf, sizeof(z->buf), p, raw, level);
	if (ZSTD_isError(r)) {
		rc = ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation
			 ? -ENOMEM
			 : -EINVAL;
		goto out;
	}
	if (r < raw) {
		memcpy(p, z->buf, r);
		rc = (int)r;
	}
out:
	zstate_put(z, temp);
	return rc;
}

static int encode(const char *bases, uint32_t nbases, int zstd_level,
		  uint8_t *dst, size_t dstcap, uint32_t *badpos)
{
	const gdb_simd_kernels *k = gdb_simd();
	struct enc e = {.dst = dst, .cap = dstcap, .off = HDR_SIZE};
	size_t raw = ((size_t)nbases + 3) / 4, packed_len = 0;
	uint8_t flags = 0;
	int rc;

	if (nbases == 0 || nbases > GDB_DNA_BLOCK_BASES)
		return -EINVAL;
	if (dstcap < HDR_SIZE)
		return -ENOBUFS;
	/* step 1: plain uppercase ACGT has no runs at all */
	if (k->find_nonacgt(bases, nbases) < nbases) {
		GDB_TRY(scan_exceptions(k, bases, nbases, &e, badpos));
		GDB_TRY(scan_lower(bases, nbases, &e));
	}
	if (e.covered == nbases) {
		/* every base is in an exception run: no packed area */
		flags |= FLAG_NOPACK;
	} else {
		if (e.cap - e.off < raw)
			return -ENOBUFS;
		k->pack2(bases, nbases, dst + e.off);
		packed_len = raw;
		if (zstd_level > 0) {
			rc = try_zstd(dst + e.off, raw, zstd_level);
			if (rc < 0)
				return rc;
			if (rc > 0) {
				packed_len = (size_t)rc;
				flags |= FLAG_ZSTD;
			}
		}
	}
	gdb_put_le32(dst, nbases);
	dst[4] = flags;
	dst[5] = dst[6] = dst[7] = 0;
	gdb_put_le32(dst + 8, e.n_exc);
	gdb_put_le32(dst + 12, e.n_lower);
	gdb_put_le32(dst + 16, (uint32_t)packed_len);
	return (int)(e.off + packed_len);
}

int gdb_codecs_dna_encode(const char *bases, uint32_t nbases, int zstd_level,
			  uint8_t *dst, size_t dstcap, uint32_t *badpos)
{
	return encode(bases, nbases, zstd_level, dst, dstcap, badpos);
}

int gdb_codecs_rna_encode(const char *bases, uint32_t nbases, int zstd_level,
			  uint8_t *dst, size_t dstcap, uint32_t *badpos)
{
	struct zstate *z;
	uint32_t n_exc;
	int temp, len;

	if (nbases == 0 || nbases > GDB_DNA_BLOCK_BASES)
		return -EINVAL;
	z = zstate_get(&temp);
	if (!z)
		return -ENOMEM;
	swap_tu(bases, nbases, z->swap);
	len = encode(z->swap, nbases, zstd_level, dst, dstcap, badpos);
	if (len > 0) {
		/* the swapped U runs are the input's T runs */
		n_exc = gdb_get_le32(dst + 8);
		for (uint32_t r = 0; r < n_exc; r++) {
			uint8_t *letter = dst + HDR_SIZE + EXC_SIZE * r + 8;
			if (*letter == 'U')
				*letter = 'T';
		}
		dst[4] |= FLAG_RNA;
	}
	zstate_put(z, temp);
	return len;
}

/* ---- decoder ---- */

struct hdr {
	uint32_t nbases;
	uint8_t flags;
	uint32_t n_exc;
	uint32_t n_lower;
	uint32_t packed_len;
	const uint8_t *exc;
	const uint8_t *lower;
	const uint8_t *packed;
};

/* The fixed header alone: what gdb_codecs_dna_nbases() needs. */
static int parse_fixed(const uint8_t *src, size_t srclen, struct hdr *h)
{
	if (!src || srclen < HDR_SIZE)
		return GDB_CORRUPT("DNA block shorter than its header");
	h->nbases = gdb_get_le32(src);
	h->flags = src[4];
	h->n_exc = gdb_get_le32(src + 8);
	h->n_lower = gdb_get_le32(src + 12);
	h->packed_len = gdb_get_le32(src + 16);
	if (h->nbases == 0 || h->nbases > GDB_DNA_BLOCK_BASES)
		return GDB_CORRUPT("DNA block nbases out of range");
	if (h->flags & ~FLAGS_KNOWN)
		return GDB_CORRUPT("DNA block has unknown flags");
	if (src[5] | src[6] | src[7])
		return GDB_CORRUPT("DNA block reserved bytes not zero");
	return 0;
}

static int parse_header(const uint8_t *src, size_t srclen, struct hdr *h)
{
	uint32_t raw;
	uint64_t need;

	GDB_TRY(parse_fixed(src, srclen, h));
	raw = (h->nbases + 3) / 4;
	if (h->n_exc > h->nbases || h->n_lower > (h->nbases + 1) / 2)
		return GDB_CORRUPT("DNA block run count out of range");
	need = HDR_SIZE + (uint64_t)EXC_SIZE * h->n_exc +
	       (uint64_t)LOW_SIZE * h->n_lower + h->packed_len;
	if (need != srclen)
		return GDB_CORRUPT("DNA block length does not match header");
	if (h->flags & FLAG_NOPACK) {
		if (h->packed_len || (h->flags & FLAG_ZSTD))
			return GDB_CORRUPT("DNA block without packed area has "
					   "packed bytes");
	} else if (h->flags & FLAG_ZSTD) {
		/* zstd is kept only when strictly smaller */
		if (h->packed_len == 0 || h->packed_len >= raw)
			return GDB_CORRUPT("DNA block zstd area size");
	} else if (h->packed_len != raw) {
		return GDB_CORRUPT("DNA block packed area size");
	}
	h->exc = src + HDR_SIZE;
	h->lower = h->exc + (size_t)EXC_SIZE * h->n_exc;
	h->packed = h->lower + (size_t)LOW_SIZE * h->n_lower;
	return 0;
}

int gdb_codecs_dna_nbases(const uint8_t *src, size_t srclen)
{
	struct hdr h;

	GDB_TRY(parse_fixed(src, srclen, &h));
	return (int)h.nbases;
}

/* Decompress exactly raw bytes of codes from a single zstd frame. */
static int unzstd(const uint8_t *src, size_t len, uint8_t *out, size_t raw,
		  ZSTD_DCtx *dctx)
{
	size_t r;

	/* a single frame, declaring the exact size, with nothing after it */
	if (ZSTD_getFrameContentSize(src, len) != raw)
		return GDB_CORRUPT("DNA block zstd frame size");
	if (ZSTD_findFrameCompressedSize(src, len) != len)
		return GDB_CORRUPT("DNA block zstd frame length");
	r = ZSTD_decompressDCtx(dctx, out, raw, src, len);
	if (ZSTD_isError(r)) {
		if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
			return -ENOMEM;
		return GDB_CORRUPT("DNA block zstd frame does not decode");
	}
	if (r != raw)
		return GDB_CORRUPT("DNA block zstd frame size");
	return 0;
}

/* Unpack codes [from, to) (decompressing them first if need be). */
static int decode_packed(const struct hdr *h, uint32_t from, uint32_t to,
			 char *dst)
{
	uint32_t raw = (h->nbases + 3) / 4;
	unsigned used = h->nbases & 3;
	const uint8_t *codes = h->packed;
	struct zstate *z = NULL;
	int temp = 0, rc = 0;

	if (h->flags & FLAG_ZSTD) {
		z = zstate_get(&temp);
		if (!z)
			return -ENOMEM;
		if (!z->dctx && !(z->dctx = ZSTD_createDCtx())) {
			rc = -ENOMEM;
			goto out;
		}
		rc = unzstd(h->packed, h->packed_len, z->buf, raw, z->dctx);
		if (rc < 0)
			goto out;
		codes = z->buf;
	}
	/* pack2 leaves the bits after the last base zero */
	if (used && (codes[raw - 1] >> (2 * used))) {
		rc = GDB_CORRUPT("DNA block padding bits not zero");
		goto out;
	}
	gdb_simd()->unpack2(codes, from, to - from, dst);
	if (h->flags & FLAG_RNA) {
		char *t = dst, *end = dst + (to - from);
		while ((t = memchr(t, 'T', (size_t)(end - t))))
			*t++ = 'U';
	}
out:
	if (z)
		zstate_put(z, temp);
	return rc;
}

/* Check every exception run; fill their part of [from, to). */
static int apply_exceptions(const struct hdr *h, uint32_t from, uint32_t to,
			    char *dst)
{
	uint32_t r, start, len, end = 0, covered = 0;
	uint8_t letter, last = 0;
	int rna = !!(h->flags & FLAG_RNA);

	for (r = 0; r < h->n_exc; r++) {
		const uint8_t *p = h->exc + (size_t)EXC_SIZE * r;

		start = gdb_get_le32(p);
		len = gdb_get_le32(p + 4);
		letter = p[8];
		if (len == 0 || start < end || start >= h->nbases ||
		    len > h->nbases - start)
			return GDB_CORRUPT("DNA block exception run out of "
					   "order or range");
		if (!exc_letter_ok(letter, rna) || (p[9] | p[10] | p[11]))
			return GDB_CORRUPT("DNA block exception letter");
		if (r && start == end && letter == last)
			return GDB_CORRUPT(
			    "DNA block exception runs not merged");
		end = start + len;
		if (start < to && end > from) {
			uint32_t a = start > from ? start : from;
			uint32_t b = end < to ? end : to;
			memset(dst + (a - from), letter, b - a);
		}
		last = letter;
		covered += len;
	}
	/* the packed area is absent exactly when exceptions cover all */
	if ((covered == h->nbases) != !!(h->flags & FLAG_NOPACK))
		return GDB_CORRUPT("DNA block exception coverage vs flags");
	return 0;
}

/* Check every lowercase run; lower their part of [from, to). */
static int apply_lower(const struct hdr *h, uint32_t from, uint32_t to,
		       char *dst)
{
	uint32_t r, start, len, end = 0;

	for (r = 0; r < h->n_lower; r++) {
		const uint8_t *p = h->lower + (size_t)LOW_SIZE * r;

		start = gdb_get_le32(p);
		len = gdb_get_le32(p + 4);
		/* maximal runs: one must not start where the last ended */
		if (len == 0 || start < end || (r && start == end) ||
		    start >= h->nbases || len > h->nbases - start)
			return GDB_CORRUPT("DNA block lowercase run out of "
					   "order or range");
		end = start + len;
		if (start < to && end > from) {
			uint32_t a = start > from ? start : from;
			uint32_t b = end < to ? end : to;
			lower_run(dst + (a - from), b - a);
		}
	}
	return 0;
}

int gdb_codecs_dna_decode_range(const uint8_t *src, size_t srclen,
				uint32_t from, uint32_t to, char *dst,
				size_t dstcap)
{
	struct hdr h;

	GDB_TRY(parse_header(src, srclen, &h));
	if (from >= to || to > h.nbases)
		return -EINVAL;
	if (dstcap < to - from)
		return -ENOBUFS;
	if (!(h.flags & FLAG_NOPACK))
		GDB_TRY(decode_packed(&h, from, to, dst));
	GDB_TRY(apply_exceptions(&h, from, to, dst));
	GDB_TRY(apply_lower(&h, from, to, dst));
	return (int)(to - from);
}

int gdb_codecs_dna_decode(const uint8_t *src, size_t srclen, char *dst,
			  size_t dstcap)
{
	struct hdr h;

	GDB_TRY(parse_fixed(src, srclen, &h));
	if (dstcap < h.nbases)
		return -ENOBUFS;
	return gdb_codecs_dna_decode_range(src, srclen, 0, h.nbases, dst,
					   dstcap);
}
