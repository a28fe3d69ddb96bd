/*
 * graph/build_int.h - what the builder (build.c: the model importers
 * feed) and its serialisation (build_write.c: the sections of a network)
 * share: the byte accounting behind gdb_graph_builder_peak_bytes, the
 * interned string sets, and the builder itself. Internal to graph/.
 */
#ifndef GDB_GRAPH_BUILD_INT_H
#define GDB_GRAPH_BUILD_INT_H

#include "graph/graph_int.h"

/* ------------------------------------------------------- accounting */

typedef struct acct {
	uint64_t bytes, peak;
} acct;

static inline int grow(acct *a, void *pp, uint64_t *cap, uint64_t need,
		       size_t el)
{
	void **p = pp;
	uint64_t nc;
	void *q;

	if (need <= *cap)
		return 0;
	nc = *cap ? *cap : 16;
	while (nc < need)
		nc *= 2;
	if (nc > SIZE_MAX / el)
		return -ENOMEM;
	q = realloc(*p, (size_t)(nc * el));
	if (!q)
		return -ENOMEM;
	a->bytes += (nc - *cap) * el;
	if (a->bytes > a->peak)
		a->peak = a->bytes;
	*p = q;
	*cap = nc;
	return 0;
}

static inline void release(acct *a, void *pp, uint64_t *cap, size_t el)
{
	void **p = pp;

	free(*p);
	*p = NULL;
	a->bytes -= *cap * el;
	*cap = 0;
}

/* Account a one-off allocation (freed with unaccount). */
static inline void *acct_alloc(acct *a, size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p) {
		a->bytes += n;
		if (a->bytes > a->peak)
			a->peak = a->bytes;
	}
	return p;
}

static inline void acct_free(acct *a, void *p, size_t n)
{
	if (p) {
		free(p);
		a->bytes -= n;
	}
}

/* ---------------------------------------------------------- string set */

/* Interned NUL-terminated strings with a hash (slot = index + 1). icase:
 * the hash ignores ASCII case (the node index's, so a reader can look up
 * either way); eq_icase: so does equality (names join case-insensitively). */
typedef struct sset {
	int icase, eq_icase;
	char *a;
	uint64_t alen, acap;
	uint64_t *off; /* n entries */
	uint64_t offcap;
	uint32_t *val;
	uint64_t valcap;
	uint32_t n;
	uint32_t *slot;
	uint32_t nslot; /* power of two */
} sset;

/* ------------------------------------------------------------- builder */

struct gdb_graph_builder {
	acct a;
	sset keys;   /* icase names + aliases -> node */
	char *names; /* node names, NUL-terminated */
	uint64_t nlen, ncap;
	uint64_t *name_off;
	uint64_t name_offcap;
	uint8_t *kind;
	uint64_t kindcap;
	uint32_t n;
	char *al; /* "ns\talias\0" records */
	uint64_t allen, alcap;
	uint32_t *al_node;
	uint64_t *al_off;
	uint64_t nal, al_nodecap, al_offcap;
	sset types, evid;
	uint32_t *src, *dst, *ev;
	float *conf;
	uint16_t *type;
	uint8_t *flags;
	uint16_t *chan;
	uint64_t m;
	uint64_t srccap, dstcap, evcap, confcap, typecap, flagscap, chancap;
	unsigned nchan;
	char *chan_names[GDB_GRAPH_MAX_CHANNELS];
	sset pw;	   /* ids (icase hash) */
	int names_icase;   /* names and ids join case-insensitively */
	uint32_t layout;   /* version written: GRAPH_VERSION, or 1 */
	uint32_t taxon;	   /* species, 0 unknown */
	char species[256]; /* its label ("" unknown) */
	char *titles;
	uint64_t tlen, tcap;
	uint64_t *title_off;
	uint64_t title_offcap;
	uint32_t *mem_pw, *mem_node;
	uint64_t nmem, mem_pwcap, mem_nodecap;
	int written;
};

#endif
