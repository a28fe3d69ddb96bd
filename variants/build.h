/*
 * variants/build.h - the builder's calls (internal to variants/): the
 * importer opens a builder on a transaction whose object is begun, names
 * each contig as it starts, adds records in order, then finishes.
 */
#ifndef GDB_VARIANTS_BUILD_H
#define GDB_VARIANTS_BUILD_H

#include "variants/variants_int.h"

typedef struct vs_builder vs_builder;

int vs_builder_new(gdb_txn *t, uint32_t nsamples, int level, vs_builder **out);
void vs_builder_free(vs_builder *b);
/* Samples in group g of nsamples split in groups of `group`. */
uint32_t vs_group_size(uint32_t nsamples, uint32_t group, uint32_t g);

/* A new contig starts (records of rid follow). */
int vs_builder_contig(vs_builder *b, int rid, const char *name);

/*
 * vs_builder_add - one record (unpacked with BCF_UN_ALL).
 * @param ref_is_reference  REF equals the reference bases (upper case)
 * @param gt, ngt           bcf_get_genotypes() of rec (ngt <= 0: none)
 * @return 0; GDB_EFORMAT (ploidy above 2, too many alleles: msg in err),
 *         -ENOMEM, or a store error
 */
int vs_builder_add(vs_builder *b, const bcf_hdr_t *h, bcf1_t *rec,
		   int ref_is_reference, const int32_t *gt, int ngt, char *err,
		   size_t errlen);

/* Close the last chunk and write the tables. */
int vs_builder_finish(vs_builder *b, const bcf_hdr_t *h, const char *ref,
		      const char *samples_tsv, size_t tsv_len);

uint64_t vs_builder_chunks(const vs_builder *b);
uint64_t vs_builder_stored(const vs_builder *b);
uint64_t vs_builder_exceptions(const vs_builder *b);

#endif
