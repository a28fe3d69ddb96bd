/*
 * graph/graph_int.h - internals shared by the graph module's files. No
 * other module includes this (the API is graph/graph.h).
 */
#ifndef GDB_GRAPH_INT_H
#define GDB_GRAPH_INT_H

#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <stdlib.h>

#include "graph/graph.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "graph/: sections are used in place as little-endian arrays"
#endif

#define GRAPH_MAGIC "GDBGRAPH"
#define GRAPH_VERSION 2u    /* 1 is read too (docs/GRAPH.md) */
#define GRAPH_META_ICASE 1u /* meta flags: names join without case */
#define GRAPH_META_BYTES 96u
#define GRAPH_NONE UINT32_MAX
#define GRAPH_UNDIR_BIT 0x80000000u /* in adjacency eid: undirected */
#define GRAPH_EID_MASK 0x7fffffffu
#define GRAPH_FLAG_DIRECTED 1u

/* FNV-1a 64 over the ASCII-lowercased bytes (docs/GRAPH.md "Index"). */
static inline uint64_t graph_hash_icase(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		h ^= c;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* strcmp without ASCII case. */
static inline int graph_icase_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int x = (uint8_t)*a, y = (uint8_t)*b;
		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y || !x)
			return x - y;
	}
}

static inline int graph_eq_icase(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t x = (uint8_t)a[i], y = (uint8_t)b[i];
		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y + 32);
		if (x != y)
			return 0;
	}
	return 1;
}

/* qsort / qsort_r that accept n < 2 with any base (NULL included:
 * passing NULL to qsort is undefined even for n == 0). */
static inline void graph_qsort(void *base, size_t n, size_t size,
			       int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static inline void graph_qsort_r(void *base, size_t n, size_t size,
				 int (*cmp)(const void *, const void *, void *),
				 void *arg)
{
	if (n > 1)
		qsort_r(base, n, size, cmp, arg);
}

/* Renderers build text in the project's growing buffer (common/gdb.h),
 * capped by its max; these are the text helpers on top of it. */
typedef gdb_buf graph_buf;

/* gdb_buf_add, with the common case (room left, no error) inline: a
 * renderer puts many short pieces. */
static inline void graph_buf_put(graph_buf *b, const char *s, size_t n)
{
	if (n && !b->err && b->cap - b->len >= n &&
	    (!b->max || b->max - b->len >= n)) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
	} else {
		gdb_buf_add(b, s, n);
	}
}

static inline void graph_buf_puts(graph_buf *b, const char *s)
{
	graph_buf_put(b, s, strlen(s));
}

#define graph_buf_printf gdb_buf_printf

/*
 * ARRAY_ROOM - make room for one more element of a doubling array whose
 * element count is n and capacity cap (first allocation: first elements).
 * Evaluates to 0, or -ENOMEM with arr and cap unchanged.
 */
#define ARRAY_ROOM(arr, n, cap, first)                                         \
	__extension__({                                                        \
		int room_rc_ = 0;                                              \
		if ((n) == (cap)) {                                            \
			__typeof__(cap) room_nc_ = (cap) ? (cap)*2 : (first);  \
			__typeof__(arr) room_p_ =                              \
			    realloc((arr), (size_t)room_nc_ * sizeof(*(arr))); \
			if (room_p_) {                                         \
				(arr) = room_p_;                               \
				(cap) = room_nc_;                              \
			} else {                                               \
				room_rc_ = -ENOMEM;                            \
			}                                                      \
		}                                                              \
		room_rc_;                                                      \
	})
void graph_buf_json_str(graph_buf *b, const char *s); /* quoted */
void graph_buf_xml_str(graph_buf *b, const char *s);  /* escaped */
void graph_buf_tsv_str(graph_buf *b, const char *s);  /* tabs -> ' ' */
void graph_buf_num(graph_buf *b, double v);	      /* shortest %.9g */

/* One network, mapped in place. */
typedef struct graph_net {
	const char *name;
	uint32_t obj;
	uint32_t last_sec;   /* its section ending last in the segment */
	uint32_t version;    /* of its layout: 1 or 2 */
	int icase;	     /* names join without case (v1: always) */
	uint32_t taxon;	     /* species, 0 unknown */
	const char *species; /* its label ("" none) */
	uint32_t group;	     /* networks of one species: one group */
	uint32_t n, ntypes, npw, nchan, nkeys, nslots, nevid;
	uint64_t m, nout, nin, nmem, nalias_bytes;
	const uint8_t *kind;
	const uint64_t *name_off;
	const char *name_str;
	const uint64_t *alias_off;
	const char *alias_str;
	const uint32_t *slot, *key_node;
	const uint64_t *key_off;
	const char *key_str;
	const uint64_t *type_off;
	const char *type_str;
	const uint32_t *src, *dst, *evid;
	const uint16_t *etype;
	const uint8_t *eflags;
	const float *conf;
	const uint64_t *evid_off;
	const char *evid_str;
	const char *chan_names[GDB_GRAPH_MAX_CHANNELS];
	const uint16_t *chan;
	const uint64_t *out_off, *in_off;
	const uint32_t *out_nbr, *out_eid, *in_nbr, *in_eid;
	const float *out_conf, *in_conf;
	uint64_t out_ndirected; /* out entries of directed edges */
	const uint64_t *pwid_off, *pwtitle_off, *pwmem_off, *node_pw_off;
	const char *pwid_str, *pwtitle_str;
	const uint32_t *pwmem, *node_pw;
	/* in memory */
	uint32_t *l2g;	/* local node -> global */
	uint32_t *pw2g; /* local pathway -> global pathway */
} graph_net;

/* A network that could not be opened (docs/GRAPH.md "Damage"). */
typedef struct graph_bad {
	const char *name; /* borrowed from the store */
	int rc;		  /* GDB_ECHECKSUM, GDB_ECORRUPT, ... */
	char why[512];	  /* names the network and the section */
} graph_bad;

struct gdb_graph {
	const gdb_store *store;
	uint32_t nnets;
	graph_net *nets;
	uint32_t nbad; /* damaged networks, left out of the rest */
	graph_bad *bad;
	uint32_t ngroups;   /* species among the networks */
	uint32_t G;	    /* global nodes */
	const char **gname; /* borrowed from the first network */
	uint32_t *gname_len;
	uint32_t *ggroup; /* each node's group */
	uint8_t *gkind;
	uint32_t *rank;	  /* gid -> position in name order */
	uint32_t *byrank; /* position in name order -> gid */
	uint32_t **g2l;	  /* per network: gid -> local or NONE */
	uint32_t *gslot;  /* global name hash: gid + 1 */
	uint32_t gmask;
	/* global pathways */
	uint32_t P;
	const char **pid;
	uint32_t *pid_len, *pgroup;
	const char **ptitle;
	uint32_t *pent_off;		 /* P + 1: entries of pathway p */
	uint32_t *pent_net, *pent_local; /* (network, local id) */
	uint32_t *pslot;
	uint32_t pmask;
	uint32_t *prank; /* pathways in id order */
};

static inline const char *graph_str(const uint64_t *off, const char *str,
				    uint32_t i)
{
	return str + off[i];
}

/* Write the older layout version 1 (names without case, no species), as
 * stores made before version 2 hold; for tests of reading them. */
int graph_builder_layout(gdb_graph_builder *b, uint32_t version);

/* Map and check network N (its name and object set): every section's
 * CRC, sizes, offsets and ids (read.c). @return 0, GDB_E* / -errno with
 * the network and section in err */
int graph_net_open(const gdb_store *s, graph_net *N, char *err, size_t errlen);

/* Join the networks into global nodes and pathways (join.c). */
int graph_join(gdb_graph *g);
/* The global node named (or aliased) name: in network net (-1: any), of
 * group grp (-1: any); exact matches first. @return id or -ENOENT */
int graph_lookup(const gdb_graph *g, const char *name, int net, int grp);

/* Type id sets of a filter resolved for one network. */
typedef struct graph_nf {
	int use; /* network selected */
	float min_conf;
	int all_types;
	uint8_t *typeok; /* ntypes entries (when !all_types) */
} graph_nf;

/* Resolve a filter for every network; free with graph_nf_free. */
int graph_nf_make(const gdb_graph *g, const gdb_graph_filter *f,
		  graph_nf **out);
void graph_nf_free(const gdb_graph *g, graph_nf *nf);

static inline int graph_nf_ok(const graph_net *N, const graph_nf *F,
			      uint32_t eid)
{
	return F->all_types || F->typeok[N->etype[eid]];
}

#endif
