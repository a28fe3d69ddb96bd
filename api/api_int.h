/*
 * api/api_int.h - what the api/ sources share: the handle and the
 * checked read every answer goes through.
 */
#ifndef GDB_API_INT_H
#define GDB_API_INT_H

#include "api/genomedb.h"
#include "cache/cache.h"
#include "graph/graph.h"
#include "store/store.h"

struct gdb_api {
	gdb_store *store;
	gdb_cache *cache;
	gdb_graph *graph; /* opened on the first network query */
	char *params;	  /* the last filter's text (types borrow it) */
};

/* The assembly's i-th contig, or NULL when either index is out of range. */
const gdb_contig *gdb_api_contig_at(const gdb_api *h, uint32_t asm_index,
				    uint32_t i);
/* -ERANGE with a message unless 0 <= beg <= end <= length. */
int gdb_api_range_check(const gdb_contig *c, int64_t beg, int64_t end,
			char *err, size_t errlen);
/* Bases [beg, end) (checked range) into dst as form; damage named in err. */
int gdb_api_read(gdb_api *h, const gdb_contig *c, int64_t beg, int64_t end,
		 int form, void *dst, char *err, size_t errlen);

/*
 * gdb_api_alloc_big - memory for a large answer array, freed with
 * gdb_api_free() (or free()): from 1 MiB on a buffer the api's pool kept
 * from an answer freed before (already faulted in), else a fresh one,
 * faulted in by one call, in huge pages where they fit (common/bigbuf.h).
 * NULL on -ENOMEM.
 */
void *gdb_api_alloc_big(size_t bytes);
/* The same advice for the whole 2 MiB pages inside a caller's buffer. */
void gdb_api_advise_big(void *p, size_t bytes);

/*
 * gdb_api_order - b's rows by (contig, beg), stable, as *row (n entries,
 * free()); *row NULL (row order) when a row lies past the sort's keys
 * (contig >= 2^23, end >= 2^40). @return 0 or -ENOMEM
 */
int gdb_api_order(const gdb_api_batch *b, int64_t **row);

/*
 * gdb_api_join - gdb_api_overlap_take with two more choices: b_in_order,
 * b's rows are already by (contig, beg) (an index's order: no sort), and
 * allow_empty, empty intervals are valid (each overlaps what strictly
 * contains it: b.beg < a.end && a.beg < b.end) rather than -ERANGE.
 */
int gdb_api_join(const gdb_api_batch *a, const gdb_api_batch *b, int b_in_order,
		 int allow_empty, const gdb_api_column *acol, size_t na,
		 const gdb_api_column *bcol, size_t nb, void **out,
		 int64_t *npairs, char *err, size_t errlen);

#endif
