/*
 * seq/import.c - a FASTA file into a new assembly, in one transaction:
 * the parser (seq/fasta.c) feeds a sink that packs the records' bases into
 * the assembly's stream of blocks, encodes each block with the chosen
 * codec (codecs/), digests each record longer than a block (MD5, SHA-512
 * for refget; seq/digest.c, on threads of their own, as is the input's
 * SHA-256, seq/source.c) and
 * hands blocks and layouts to the store's transaction.
 *
 * Up to three passes over the input, each a streaming parse:
 *   1. detection (--alphabet auto): the first 64 Ki residues decide the
 *      alphabet (gdb_alphabet_sniff_result);
 *   2. training (codecs with a model: protein, cm): every block, as it
 *      will be stored, goes to the codec's trainer until it has seen
 *      enough (protein: the first 1 Mi residues; cm: all); the model's
 *      bytes are stored once;
 *   3. writing: every block encoded and stored.
 *
 * Packing: a record starts a new block unless it fits in what is left of
 * the current one, so short records (proteins, miRNAs) share blocks and a
 * long one has blocks of its own (docs/FORMAT.md "Sequence index"). The
 * buffer holds one block: when a record outgrows the room left after the
 * records before it, those are flushed as a block and the record moves to
 * the front of the next.
 *
 * Lossy transforms (drop-mask, iupac-to-n) are applied to the bases before
 * anything else sees them: the digests, the model and the blocks all
 * describe what is stored.
 *
 * Memory stays bounded whatever the input's size: one decompressed chunk,
 * one block of bases, one header, the record's layout, the store's index,
 * and the codec's model. On any error the transaction is aborted and the
 * store is left exactly as it was.
 */
#include "seq/seq_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "codecs/codecs.h"

#define CHUNK (1u << 20)
#define SNIFF (64u << 10)
#define STOP (-ECANCELED) /* a sink's "seen enough": not an error */

enum pass { P_SNIFF, P_TRAIN, P_WRITE };

struct imp {
	const char *path;
	const gdb_fasta_opts *o;
	gdb_txn *txn;
	enum pass pass;
	gdb_codec_params cp;
	gdb_codec_enc *enc;
	uint32_t bb;
	gdb_alpha_sniff sniff;
	/* the block being filled */
	char *blk;
	uint32_t fill;		 /* bases in blk */
	uint32_t cur_start;	 /* where the open record starts in blk */
	uint32_t nblock;	 /* blocks flushed so far */
	uint32_t c_first, c_off; /* the open record's place */
	gdb_buf out;
	/* the open record */
	int in_record;
	gdb_digester *dig; /* of every record longer than a block */
	int64_t nbases;
	gdb_fasta_stats st;
	int fresh; /* the input was opened and nothing read from it yet */
	/* --relative-to: the store read for the reference's bases */
	gdb_store *ref_store;
	uint32_t ref_ai;
	gdb_codec_ref ref;
};

/* Hand a block of the stream to the pass's consumer. */
static int flush(struct imp *m, uint32_t n, char *err, size_t errlen)
{
	uint32_t bad = 0;
	int rc;

	if (m->pass == P_TRAIN) {
		rc = gdb_codec_enc_train(m->enc, m->nblock, m->blk, n);
		if (rc > 0)
			return STOP; /* the model has seen enough */
	} else {
		rc = gdb_codec_enc_block(m->enc, m->nblock, m->blk, n, &m->out,
					 &bad);
		if (rc == 0)
			rc = gdb_txn_block_add(m->txn, m->out.p, m->out.len, n);
	}
	if (rc < 0) {
		gdb_seterr(err, errlen, "%s: block %u: %s", m->path, m->nblock,
			   gdb_strerror(rc));
		return rc;
	}
	m->nblock++;
	return 0;
}

/* Make room for one more base of the open record. */
static int make_room(struct imp *m, char *err, size_t errlen)
{
	uint32_t keep;

	if (m->fill < m->bb)
		return 0;
	if (m->cur_start == 0) {
		/* the record fills blocks of its own: a long one, whose
		 * digests are stored */
		if (m->pass == P_WRITE && m->in_record)
			GDB_TRY(gdb_digester_add(m->dig, m->blk, m->bb));
		GDB_TRY(flush(m, m->bb, err, errlen));
		m->fill = 0;
		return 0;
	}
	/* it does not fit after the records before it: they go first */
	GDB_TRY(flush(m, m->cur_start, err, errlen));
	keep = m->fill - m->cur_start;
	memmove(m->blk, m->blk + m->cur_start, keep);
	m->fill = keep;
	m->cur_start = 0;
	m->c_first = m->nblock;
	m->c_off = 0;
	return 0;
}

static int sink_begin(void *arg, const char *name, const char *desc, char *err,
		      size_t errlen)
{
	struct imp *m = arg;

	if (m->pass == P_SNIFF)
		return 0;
	if (m->pass == P_WRITE)
		GDB_TRY(gdb_txn_contig_begin(m->txn, name, desc, m->bb, err,
					     errlen));
	m->in_record = 1;
	m->cur_start = m->fill;
	if (m->fill == m->bb) {
		/* a full block ends here: the record starts the next */
		m->c_first = m->nblock + 1;
		m->c_off = 0;
	} else {
		m->c_first = m->nblock;
		m->c_off = m->fill;
	}
	m->nbases = 0;
	return 0;
}

static int sink_bases(void *arg, const char *p, size_t n, char *err,
		      size_t errlen)
{
	struct imp *m = arg;

	if (m->pass == P_SNIFF) {
		gdb_alphabet_sniff_add(&m->sniff, p, n);
		return m->sniff.total >= SNIFF ? STOP : 0;
	}
	while (n) {
		size_t take;
		GDB_TRY(make_room(m, err, errlen));
		take = m->bb - m->fill;
		if (take > n)
			take = n;
		memcpy(m->blk + m->fill, p, take);
		if (m->o->lossy) {
			const char *b = m->blk + m->fill;
			gdb_lossy_apply(m->o->lossy, m->cp.alphabet,
					m->blk + m->fill, take);
			for (size_t i = 0; i < take; i++)
				m->st.lossy_changed += b[i] != p[i];
		}
		m->fill += (uint32_t)take;
		m->nbases += (int64_t)take;
		p += take;
		n -= take;
	}
	return 0;
}

static int sink_end(void *arg, const gdb_fasta_rec *rec, char *err,
		    size_t errlen)
{
	struct imp *m = arg;
	uint8_t md5[16], sha[64];
	/* digests are stored for records longer than a block (samtools
	 * dict, user.gdb.md5 read them at once); a short record's are
	 * computed when asked for, from its one or two blocks: 40 bytes of
	 * digests would cost more than the bases of a short RNA or protein,
	 * and a set of many short records stays small */
	int rc = 0, dig = m->nbases > m->bb;

	if (m->pass == P_SNIFF)
		return 0;
	m->in_record = 0;
	if (m->nbases == 0) {
		gdb_seterr(err, errlen, "%s: record '%s' has no sequence",
			   m->path, rec->name);
		return GDB_EFORMAT;
	}
	if (m->pass == P_TRAIN)
		return 0;
	if (dig) {
		/* a long record: the rest of it is in the buffer */
		rc = gdb_digester_add(m->dig, m->blk + m->cur_start,
				      m->fill - m->cur_start);
		if (rc == 0)
			rc = gdb_digester_end(m->dig, md5, sha);
	}
	if (rc == 0)
		rc = gdb_txn_contig_place(m->txn, m->c_first, m->c_off);
	if (rc == 0)
		rc = gdb_txn_contig_layout(m->txn, rec->layout, rec->layout_len,
					   rec->fasta_bytes);
	if (rc == 0)
		rc = gdb_txn_contig_end(m->txn, m->nbases, rec->line_width,
					dig ? md5 : NULL, dig ? sha : NULL);
	if (rc < 0) {
		gdb_seterr(err, errlen, "%s: record '%s': %s", m->path,
			   rec->name, gdb_strerror(rc));
		return rc;
	}
	m->st.ncontigs++;
	m->st.bases += rec->length;
	m->st.fasta_bytes += rec->fasta_bytes;
	m->st.layout_bytes += rec->layout_len;
	return 0;
}

/* One pass over the input through the parser. */
static int run(struct imp *m, gdb_src *src, char *err, size_t errlen)
{
	gdb_fasta_sink sink = {sink_begin, sink_bases, sink_end, m};
	const gdb_fasta_opts *o = m->o;
	gdb_fasta_parser *p = NULL;
	char *buf = malloc(CHUNK);
	ssize_t n;
	int rc = buf ? gdb_fasta_parser_new(m->path, &sink, &p) : -ENOMEM;

	if (rc == 0)
		gdb_fasta_parser_alphabet(
		    p, m->pass == P_SNIFF ? 0 : m->cp.alphabet);
	while (rc == 0 &&
	       (n = gdb_src_read(src, buf, CHUNK, err, errlen)) != 0) {
		if (n < 0)
			rc = -EIO;
		else
			rc = gdb_fasta_parse(p, buf, (size_t)n, err, errlen);
		if (rc == 0 && o->progress)
			o->progress(o->progress_arg, gdb_src_raw_bytes(src),
				    gdb_src_total_bytes(src));
	}
	if (rc == STOP && m->pass != P_WRITE) {
		/* seen enough: what was read parsed, the rest is not needed */
		rc = m->pass == P_SNIFF ? 0 : 1;
		m->fill = 0;
		if (err)
			err[0] = 0;
	} else if (rc == 0) {
		rc = gdb_fasta_finish(p, err, errlen);
	}
	if (rc == 0 && m->pass != P_SNIFF) {
		gdb_seterr(err, errlen, "%s: no sequences found", m->path);
		rc = GDB_EFORMAT;
	}
	if (rc > 0)
		rc = 0;
	if (rc == 0 && m->pass != P_SNIFF && m->fill)
		rc = flush(m, m->fill, err, errlen);
	if (rc == STOP && m->pass == P_TRAIN)
		rc = 0; /* the last block was the one the trainer wanted */
	if (rc == -ENOMEM)
		gdb_seterr(err, errlen, "%s: out of memory", m->path);
	gdb_fasta_parser_free(p);
	free(buf);
	return rc < 0 ? rc : 0;
}

/* Run one pass: on the input as first opened, else opened again. A
 * pipe cannot be read twice: say so, rather than parse what is left. */
static int pass(struct imp *m, enum pass which, gdb_src **src, char *err,
		size_t errlen)
{
	struct stat st;

	if (!*src || !m->fresh) {
		if (stat(m->path, &st) == 0 && !S_ISREG(st.st_mode)) {
			gdb_seterr(
			    err, errlen,
			    "%s: not a regular file, and this import "
			    "reads its input twice (%s): give a file%s",
			    m->path,
			    m->st.alphabet_detected ? "detecting the alphabet"
						    : "the codec's training",
			    m->st.alphabet_detected ? ", or --alphabet" : "");
			return -EINVAL;
		}
		gdb_src_close(*src);
		*src = NULL;
		GDB_TRY(gdb_src_open_threads(m->path, m->o->threads, src, err,
					     errlen));
	}
	m->fresh = 0;
	m->pass = which;
	m->fill = m->cur_start = m->nblock = 0;
	memset(&m->st, 0, offsetof(gdb_fasta_stats, alphabet));
	m->st.lossy_changed = 0;
	return run(m, *src, err, errlen);
}

/* The alphabet and codec: asked for, or detected; then the encoder. */
static int choose(struct imp *m, gdb_src **src, char *err, size_t errlen)
{
	const gdb_fasta_opts *o = m->o;

	m->cp.alphabet = o->alphabet;
	if (!o->alphabet) {
		GDB_TRY(pass(m, P_SNIFF, src, err, errlen));
		m->cp.alphabet = gdb_alphabet_sniff_result(
		    &m->sniff, m->st.detected_why, sizeof(m->st.detected_why));
		m->st.alphabet_detected = 1;
	}
	m->cp.codec = o->codec ? o->codec : gdb_codec_default(m->cp.alphabet);
	if (!gdb_codec_supports(m->cp.codec, m->cp.alphabet)) {
		gdb_seterr(err, errlen, "%s: the %s codec cannot store %s%s",
			   m->path, gdb_codec_name(m->cp.codec),
			   gdb_alphabet_name(m->cp.alphabet),
			   m->st.alphabet_detected ? " (detected by content)"
						   : "");
		return GDB_EFORMAT;
	}
	m->cp.zstd_level = o->zstd_level;
	m->cp.block_bases = o->block_bases;
	m->cp.cm_train = o->cm_train;
	m->cp.cm_table_bits = o->cm_table_bits;
	m->cp.cm_orders = o->cm_orders;
	m->cp.cm_restart = o->cm_restart;
	m->cp.cm_match = o->cm_match;
	if (o->relative_to) {
		m->cp.cm_ref = &m->ref;
		m->cp.cm_match = o->cm_match ? o->cm_match : 20;
	}
	m->bb = gdb_codec_block_bases(&m->cp);
	m->st.alphabet = m->cp.alphabet;
	m->st.codec = m->cp.codec;
	m->st.block_bases = m->bb;
	m->st.lossy = o->lossy;
	if (gdb_codec_enc_new(&m->cp, &m->enc) < 0) {
		gdb_seterr(err, errlen, "%s: codec parameters refused",
			   m->path);
		return -EINVAL;
	}
	return 0;
}

/* Training (if the codec keeps a model) and the assembly's codec record. */
static int prepare(struct imp *m, gdb_src **src, char *err, size_t errlen)
{
	gdb_txn_seqinfo info = {.codec = m->cp.codec,
				.alphabet = m->cp.alphabet,
				.alphabet_detected = m->st.alphabet_detected,
				.lossy = m->o->lossy,
				.block_bases = m->bb};
	gdb_buf blob = {0};
	int rc = 0;

	if (gdb_codec_enc_wants_training(m->enc))
		rc = pass(m, P_TRAIN, src, err, errlen);
	if (rc == 0) {
		rc = gdb_codec_enc_train_done(m->enc, &blob);
		if (rc < 0)
			gdb_seterr(err, errlen, "%s: building the %s model: %s",
				   m->path, gdb_codec_name(m->cp.codec),
				   gdb_strerror(rc));
	}
	if (rc == 0)
		rc = gdb_txn_assembly_seqinfo(m->txn, &info, blob.p, blob.len);
	m->st.model_bytes = blob.len;
	gdb_buf_free(&blob);
	return rc;
}

int gdb_seq_reference_find(const gdb_store *s, const char *name, char *err,
			   size_t errlen)
{
	int ai = gdb_store_assembly_find(s, name);
	const gdb_assembly *a;

	if (ai < 0) {
		gdb_seterr(
		    err, errlen, "%s: %s assembly '%s' to be relative to",
		    gdb_store_path(s),
		    gdb_store_damaged_find(s, GDB_KIND_ASSEMBLY, name) >= 0
			? "damaged"
			: "no",
		    name);
		return -ENOENT;
	}
	a = gdb_store_assembly(s, (uint32_t)ai);
	if (a->alphabet != GDB_ALPHA_DNA) {
		gdb_seterr(err, errlen,
			   "%s: assembly '%s' is %s, not DNA: only a DNA "
			   "assembly can be a reference",
			   gdb_store_path(s), name,
			   gdb_alphabet_name(a->alphabet));
		return GDB_EFORMAT;
	}
	if (a->reference) {
		gdb_seterr(err, errlen,
			   "%s: assembly '%s' is itself stored relative to "
			   "'%s'; a reference must be stored on its own (one "
			   "level deep)",
			   gdb_store_path(s), name, a->reference);
		return -EINVAL;
	}
	return ai;
}

static int ref_bases(void *arg, uint32_t sb, char *dst, size_t cap)
{
	const struct imp *m = arg;

	return gdb_store_stream_block(m->ref_store, m->ref_ai, sb, dst, cap);
}

/* --relative-to: recorded in the transaction (which holds the writer's
 * lock, so the reference stays as it is), and read for the model. */
static int open_reference(struct imp *m, const char *store, char *err,
			  size_t errlen)
{
	const char *name = m->o->relative_to;
	int ai;

	if (m->o->codec != GDB_CODEC_CM) {
		gdb_seterr(err, errlen, "--relative-to needs --codec cm");
		return -EINVAL;
	}
	GDB_TRY(gdb_txn_assembly_reference(m->txn, name, err, errlen));
	GDB_TRY(gdb_store_open(store, 0, &m->ref_store, err, errlen));
	ai = gdb_seq_reference_find(m->ref_store, name, err, errlen);
	if (ai < 0)
		return ai;
	m->ref_ai = (uint32_t)ai;
	m->ref = (gdb_codec_ref){
	    gdb_store_assembly(m->ref_store, m->ref_ai)->nblocks, ref_bases, m};
	return 0;
}

static int imp_init(struct imp *m, const char *path, const gdb_fasta_opts *o)
{
	memset(m, 0, sizeof(*m));
	m->path = path;
	m->o = o;
	m->blk = malloc(GDB_DNA_BLOCK_BASES);
	if (!m->blk)
		return -ENOMEM;
	return gdb_digester_new(o->threads, &m->dig);
}

static void imp_free(struct imp *m)
{
	gdb_txn_abort(m->txn);
	gdb_codec_enc_free(m->enc);
	gdb_store_close(m->ref_store);
	gdb_digester_free(m->dig);
	free(m->blk);
	gdb_buf_free(&m->out);
}

int gdb_seq_import_fasta(const char *store, const char *asm_name,
			 const char *path, const gdb_fasta_opts *opts,
			 gdb_fasta_stats *st, char *err, size_t errlen)
{
	static const gdb_fasta_opts defaults;
	const gdb_fasta_opts *o = opts ? opts : &defaults;
	gdb_provenance prov;
	gdb_src *src = NULL;
	struct imp m;
	int rc = imp_init(&m, path, o);

	if (o->lossy & ~GDB_LOSSY_ALL)
		rc = -EINVAL;
	/* Open the input first: a missing file must not touch the store. */
	if (rc == 0)
		rc = gdb_src_open_threads(path, o->threads, &src, err, errlen);
	m.fresh = rc == 0;
	if (rc == 0)
		rc = gdb_txn_begin_flags(store, o->txn_flags, &m.txn, err,
					 errlen);
	if (rc == 0)
		rc = gdb_txn_assembly_begin(m.txn, asm_name, err, errlen);
	if (rc == 0 && o->relative_to)
		rc = open_reference(&m, store, err, errlen);
	if (rc == 0)
		rc = choose(&m, &src, err, errlen);
	if (rc == 0)
		rc = prepare(&m, &src, err, errlen);
	if (rc == 0)
		rc = pass(&m, P_WRITE, &src, err, errlen);
	if (rc == 0) {
		gdb_src_provenance(src, asm_name, path, o->command, &prov);
		m.st.source_bytes = prov.source_bytes;
		m.st.stored_bytes = gdb_txn_bytes_written(m.txn);
		rc = gdb_txn_provenance(m.txn, &prov);
	}
	if (rc == 0) {
		rc = gdb_txn_commit(m.txn, &m.st.generation, err, errlen);
		m.txn = NULL;
		m.st.identical = rc == 1;
		rc = rc > 0 ? 0 : rc;
	}
	if (rc == -ENOMEM && err && !err[0])
		gdb_seterr(err, errlen, "out of memory");
	if (rc == 0 && st)
		*st = m.st;
	gdb_src_close(src);
	imp_free(&m);
	return rc;
}
