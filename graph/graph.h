/*
 * graph/graph.h - pathway and interaction graphs: the model, a builder that
 * importers feed, serialisation into one store object per network, a
 * zero-copy reader over every network of a store, the queries, and
 * renderers for the answer files (JSON, Cytoscape JSON, GraphML, DOT, TSV,
 * SIF). This header is the module's whole API; no FUSE here.
 *
 * Model. A network is a set of nodes (name, kind, aliases), edges (type,
 * direction, confidence in [0,1], evidence, optional named score channels)
 * and pathways (an id, a title and member nodes). A network named NAME is
 * the store object NAME of kind GDB_OBJECT_SECTIONS; its sections and their
 * bytes are specified in docs/GRAPH.md. A source without scores gives every
 * edge confidence 1.
 *
 * Identity across networks. The reader joins the networks of a store by
 * node name: networks of one species (the same taxon id, or both unknown)
 * share a node ("global" node id, 0 .. nnodes-1) where names are equal,
 * byte for byte, or without case when either network was imported
 * case-insensitive; networks of different species share none. Lookups try
 * exact names, then exact aliases network by network, then the same
 * without case. Every answer records the species group it is of, and so
 * which networks it covers.
 *
 * Queries take a gdb_graph_filter (minimum confidence, edge types, one
 * network or all, direction, limit) and return a gdb_graph_result: nodes
 * and edges in a deterministic order, capped at the limit, with the total
 * before capping and a "truncated" flag, which every renderer states.
 *
 * Threading: a gdb_graph is immutable after gdb_graph_open and every query
 * takes it const, so any number of threads may query one reader at once;
 * each query allocates its own scratch. A builder belongs to one thread.
 */
#ifndef GDB_GRAPH_H
#define GDB_GRAPH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/gdb.h"
#include "store/store.h"

/* Node kinds (stored as u8). */
enum gdb_graph_kind {
	GDB_GRAPH_GENE = 0,
	GDB_GRAPH_PROTEIN = 1,
	GDB_GRAPH_COMPOUND = 2,
	GDB_GRAPH_PATHWAY = 3,
	GDB_GRAPH_REACTION = 4,
	GDB_GRAPH_OTHER = 5,
	GDB_GRAPH_NKINDS = 6,
};

/* @return "gene", "protein", ...; "other" for an unknown value. */
const char *gdb_graph_kind_name(unsigned kind);

/* Most score channels an edge may carry (STRING's full files have 13). */
#define GDB_GRAPH_MAX_CHANNELS 16u
/* Longest node name, alias, type, pathway id or evidence text, in bytes. */
#define GDB_GRAPH_STR_MAX 65535u

/* ------------------------------------------------------------ builder */

typedef struct gdb_graph_builder gdb_graph_builder;

/*
 * gdb_graph_builder_new - an empty network under construction.
 * @param out out: the builder; free with gdb_graph_builder_free()
 * @return 0 or -ENOMEM
 */
GDB_MUST_CHECK int gdb_graph_builder_new(gdb_graph_builder **out);
/* Free a builder; NULL does nothing. */
void gdb_graph_builder_free(gdb_graph_builder *b);

/*
 * gdb_graph_builder_names - how the network's names match (before the
 * first node or pathway): exactly (the default), or without ASCII case
 * (0 / 1). Within the network, node_add and node_find find names and
 * aliases so; across networks, the reader joins this network's names so
 * (docs/GRAPH.md "Joining networks").
 * @return 0, or -EINVAL after the first node
 */
GDB_MUST_CHECK int gdb_graph_builder_names(gdb_graph_builder *b,
					   int case_insensitive);
/*
 * gdb_graph_builder_species - the species the names belong to: an NCBI
 * taxon id (0: unknown) and a label (the scientific name, or the text the
 * user gave when no taxon is known; "" or NULL: none). Networks of
 * different species never join.
 * @return 0, -EINVAL (label over 255 bytes or holding a tab or newline)
 */
GDB_MUST_CHECK int gdb_graph_builder_species(gdb_graph_builder *b,
					     uint32_t taxon, const char *label);

/*
 * gdb_graph_node_add - find a node by name or alias (exactly, or without
 * case, see gdb_graph_builder_names) or create it with this name and kind.
 * @param name borrowed, copied; 1 .. GDB_GRAPH_STR_MAX bytes, no NUL, tab
 *             or newline
 * @param id   out: the node's id (0-based, in order of creation)
 * @return 1 created, 0 found; -EINVAL (bad name), -ENOMEM, -E2BIG (more
 *         than 2^31 nodes)
 */
GDB_MUST_CHECK int gdb_graph_node_add(gdb_graph_builder *b, const char *name,
				      unsigned kind, uint32_t *id);
/* @return the node id with this name or alias (as node_add matches), or
 * -ENOENT. */
int gdb_graph_node_find(const gdb_graph_builder *b, const char *name);
/* The node's current name (borrowed; valid until the next builder call),
 * NULL if id is out of range. */
const char *gdb_graph_node_name_of(const gdb_graph_builder *b, uint32_t id);
/* Set the kind of an existing node. @return 0 or -EINVAL. */
GDB_MUST_CHECK int gdb_graph_node_kind_set(gdb_graph_builder *b, uint32_t id,
					   unsigned kind);
/*
 * gdb_graph_node_alias_add - give a node another name to be found by.
 * @param ns    namespace as the source says it ("entrez", "uniprot",
 *              "Ensembl_HGNC_symbol"...), "" if none; copied
 * @param alias copied; an alias that already leads to another node stays
 *              listed with this node but lookups keep finding the first
 * @return 0; -EINVAL, -ENOMEM
 */
GDB_MUST_CHECK int gdb_graph_node_alias_add(gdb_graph_builder *b, uint32_t id,
					    const char *ns, const char *alias);
/*
 * gdb_graph_node_rename - make name the node's display name; the old name
 * stays an alias (STRING's preferred names replace protein ids).
 * @return 0; -EEXIST (another node already has that name or alias; nothing
 *         changes), -EINVAL, -ENOMEM
 */
GDB_MUST_CHECK int gdb_graph_node_rename(gdb_graph_builder *b, uint32_t id,
					 const char *ns_of_old,
					 const char *name);

/* @return the id of an edge type, adding it if new; -EINVAL, -ENOMEM. */
GDB_MUST_CHECK int gdb_graph_type_add(gdb_graph_builder *b, const char *type);

/*
 * gdb_graph_channels_set - name the score channels each edge carries
 * (before the first edge). Channel values are u16 (STRING: 0..1000).
 * @return 0; -EINVAL (too many, or edges already added), -ENOMEM
 */
GDB_MUST_CHECK int gdb_graph_channels_set(gdb_graph_builder *b, unsigned n,
					  const char *const *names);

/*
 * gdb_graph_edge_add - add an edge src -> dst (or src -- dst when not
 * directed). Exact duplicates (same ends, type, direction, confidence,
 * evidence and channels; an undirected edge in either orientation) are
 * kept once when the network is written.
 * @param conf     in [0,1]
 * @param evidence copied (interned); NULL or "" for none
 * @param chan     nchannels values, or NULL (all 0)
 * @return 0; -EINVAL (unknown node or type, conf out of range), -ENOMEM,
 *         -E2BIG (more than 2^31 - 1 edges)
 */
GDB_MUST_CHECK int gdb_graph_edge_add(gdb_graph_builder *b, uint32_t src,
				      uint32_t dst, uint32_t type, int directed,
				      double conf, const char *evidence,
				      const uint16_t *chan);

/*
 * gdb_graph_pathway_add - find (by id, matched as names are) or create a
 * pathway.
 * @param title copied; NULL or "" keeps an existing title
 * @return 1 created, 0 found; -EINVAL, -ENOMEM
 */
GDB_MUST_CHECK int gdb_graph_pathway_add(gdb_graph_builder *b, const char *id,
					 const char *title, uint32_t *pid);
/* Add a member (duplicates are kept once). @return 0, -EINVAL, -ENOMEM */
GDB_MUST_CHECK int gdb_graph_pathway_member_add(gdb_graph_builder *b,
						uint32_t pid, uint32_t node);

uint32_t gdb_graph_builder_nnodes(const gdb_graph_builder *b);
uint64_t gdb_graph_builder_nedges(const gdb_graph_builder *b);
uint32_t gdb_graph_builder_npathways(const gdb_graph_builder *b);
/* Highest number of bytes the builder held at once so far (its arrays). */
uint64_t gdb_graph_builder_peak_bytes(const gdb_graph_builder *b);

/*
 * gdb_graph_builder_write - sort and deduplicate the edges, build both
 * CSR directions, the lookup index and the pathway tables, and write every
 * section into the transaction's current object (the caller has called
 * gdb_txn_object_begin(t, GDB_OBJECT_SECTIONS, network)). The builder's
 * edge arrays are released as they are consumed; after the call the
 * builder can only be freed.
 * @param nedges_out out (may be NULL): edges written after deduplication
 * @return 0; -ENOMEM; a store error (-ENOSPC, -EIO, ...) with err set
 */
GDB_MUST_CHECK int gdb_graph_builder_write(gdb_graph_builder *b, gdb_txn *t,
					   uint64_t *nedges_out, char *err,
					   size_t errlen);

/* ------------------------------------------------------------ species */

/*
 * gdb_graph_species_parse - what --species accepts: a taxon id ("9606"),
 * a scientific or common name or KEGG organism code ("Homo sapiens",
 * "human", "hsa"); known ones become their taxon id and scientific name,
 * others stay as given with taxon 0.
 * @param label out: the name to show (may be "" for an unknown taxon id)
 * @return 0, -EINVAL (empty, over 255 bytes, a tab or newline, taxon 0)
 */
GDB_MUST_CHECK int gdb_graph_species_parse(const char *text, uint32_t *taxon,
					   char *label, size_t labelen);
/* The scientific name of a taxon id this module knows, else NULL. */
const char *gdb_graph_species_name(uint32_t taxon);
/* The taxon of a KEGG organism code ("hsa"). @return 0 or -ENOENT */
int gdb_graph_species_kegg(const char *org, uint32_t *taxon);

/* ------------------------------------------------------------- import */

/*
 * Importing network files (parsers in graph/formats/, one file per
 * format; rules in docs/GRAPH.md "Import"). The library reads inputs
 * through callbacks, so a caller supplies files (tools/: plain or gzip,
 * hashed for provenance), memory, or anything else, and prints nothing:
 * every error is one line in err, "FILE:LINE: reason" for bad input.
 *
 *	gdb_graph_import_new(&opts, &im, err, len);
 *	gdb_graph_import_inputs(im, inputs, n, err, len);   // guess + parse
 *	gdb_txn_begin(...);
 *	gdb_graph_import_write(im, txn, network, &sum, err, len);
 *	gdb_txn_commit(...);
 */

/* Source formats. STRING info/aliases/actions are recognised by their
 * headers; --format names only the user-selectable ones. */
enum gdb_graph_source {
	GDB_GRAPH_SRC_NONE = 0,
	GDB_GRAPH_SRC_SIF,
	GDB_GRAPH_SRC_STRING, /* links, detailed, full, physical */
	GDB_GRAPH_SRC_STRING_INFO,
	GDB_GRAPH_SRC_STRING_ALIASES,
	GDB_GRAPH_SRC_STRING_ACTIONS,
	GDB_GRAPH_SRC_BIOGRID,
	GDB_GRAPH_SRC_KGML,
	GDB_GRAPH_SRC_SBML,
	GDB_GRAPH_SRC_GMT,
	GDB_GRAPH_SRC_TSV,
	GDB_GRAPH_SRC_COUNT,
};

/* @return "sif", "string-info", ...; "?" for an unknown value. */
const char *gdb_graph_source_name(int fmt);
/* @return the format a user may name (sif, string, biogrid, kgml, sbml,
 * gmt, tsv), or -ENOENT. */
int gdb_graph_source_find(const char *name);

/*
 * An input, opened once to guess its format and once to parse it. open
 * puts a handle in *h; read returns bytes (0 at the end) or -1 with err
 * set; close is told whether the input was read to its end.
 */
typedef struct gdb_graph_input {
	const char *name; /* for messages and the extension */
	void *arg;
	int (*open)(void *arg, void **h, char *err, size_t errlen);
	ssize_t (*read)(void *h, char *buf, size_t cap, char *err,
			size_t errlen);
	void (*close)(void *arg, void *h, int complete);
} gdb_graph_input;

/* An input over bytes in memory (fuzzing, tests, bindings). */
typedef struct gdb_graph_mem_input {
	const char *p; /* borrowed */
	size_t n, pos;
} gdb_graph_mem_input;
void gdb_graph_input_mem(gdb_graph_input *in, const char *name,
			 gdb_graph_mem_input *m, const void *p, size_t n);

/* What the import tells after each input (progress, provenance). */
typedef struct gdb_graph_file_report {
	unsigned index; /* into the inputs given */
	const char *name;
	int format;		  /* GDB_GRAPH_SRC_* */
	int guessed;		  /* the format was guessed, not named */
	const char *detail;	  /* what the parser read from the layout
				   * ("header row, column 3 as confidence"),
				   * "" if nothing; valid during the call */
	uint64_t skipped;	  /* references skipped (KGML relations and
				   * group components naming entries the file
				   * does not define) */
	uint32_t nodes, pathways; /* so far */
	uint64_t edges;
} gdb_graph_file_report;

typedef struct gdb_graph_import_opts {
	int format;	      /* GDB_GRAPH_SRC_*; 0: guess each input */
	const char *columns;  /* TSV: "source=1,target=2[,type=N]..."
			       * (numbers 1-based, or header names) */
	int header;	      /* TSV: -1 guess, 0 none, 1 first row */
	int directed;	      /* -1: the format's rule; 0 / 1: force */
	const char *type;     /* TSV edge type; NULL: "interaction" */
	const char *species;  /* --species text (gdb_graph_species_parse);
			       * NULL: what the files say (KGML org, STRING
			       * taxon prefix), else unknown */
	int case_insensitive; /* names join without ASCII case */
	int strict;	      /* KGML: a reference to an entry the file
			       * does not define is an error (default:
			       * skipped and counted in the report) */
	void (*on_file)(void *arg, const gdb_graph_file_report *r);
	void *arg;
} gdb_graph_import_opts;

/* Defaults: guess, no columns, header -1, directed -1. */
void gdb_graph_import_opts_init(gdb_graph_import_opts *o);

typedef struct gdb_graph_import gdb_graph_import;

/*
 * gdb_graph_import_new - an import session over a new builder.
 * @param o  borrowed for the life of the session
 * @return 0; GDB_EFORMAT (bad column spec: err says why), -ENOMEM
 */
GDB_MUST_CHECK int gdb_graph_import_new(const gdb_graph_import_opts *o,
					gdb_graph_import **out, char *err,
					size_t errlen);
void gdb_graph_import_free(gdb_graph_import *im); /* NULL: no-op */

/*
 * gdb_graph_import_inputs - guess every input's format first (so an
 * unreadable input or an unknown format touches nothing), then parse them
 * into the builder: edge files, then STRING protein.info, then aliases.
 * @return 0; -1 or a negative errno with the reason in err
 *         ("FILE:LINE: reason" for bad input)
 */
GDB_MUST_CHECK int gdb_graph_import_inputs(gdb_graph_import *im,
					   const gdb_graph_input *in,
					   unsigned n, char *err,
					   size_t errlen);
/* The session's builder (counts, peak bytes). */
gdb_graph_builder *gdb_graph_import_builder(gdb_graph_import *im);
/* The species the network will be recorded with (--species, else what the
 * files said): its taxon id (0 unknown) and label ("" if none). */
uint32_t gdb_graph_import_species(const gdb_graph_import *im,
				  const char **label);

/*
 * gdb_graph_import_write - the network as the store object `network` of
 * transaction t (begun here); the caller commits. Fails when no node was
 * read ("FILE: no nodes found").
 * @param nedges out (may be NULL): edges written after deduplication
 */
GDB_MUST_CHECK int gdb_graph_import_write(gdb_graph_import *im, gdb_txn *t,
					  const char *network, uint64_t *nedges,
					  char *err, size_t errlen);

/* ------------------------------------------------------------- reader */

typedef struct gdb_graph gdb_graph;

/*
 * gdb_graph_open - open every network of a store in place. Objects of kind
 * GDB_OBJECT_SECTIONS without a "graph.meta" section are not networks and
 * are skipped. Each network's sections are CRC-checked and validated
 * (sizes, offsets, ids in range) here, so queries trust them. A network
 * that fails (a damaged section, a layout this build does not read) is
 * left out and listed by gdb_graph_damaged(); the others open and join
 * without it, so damage stays with what is damaged.
 * @param s   borrowed; must outlive the reader
 * @param out out: the reader (also when the store has no network); close
 *            with gdb_graph_close()
 * @return 0; -ENOMEM, -E2BIG (more than 2^31 nodes in all)
 */
GDB_MUST_CHECK int gdb_graph_open(const gdb_store *s, gdb_graph **out,
				  char *err, size_t errlen);
/* Free a reader; NULL does nothing. */
void gdb_graph_close(gdb_graph *g);

uint32_t gdb_graph_nnetworks(const gdb_graph *g);
/* Networks left out at open, and why. */
uint32_t gdb_graph_ndamaged(const gdb_graph *g);
/*
 * gdb_graph_damaged - damaged network i (0 .. ndamaged-1).
 * @param name,why out: borrowed; why names the network and the section
 * @return its error (GDB_ECHECKSUM, GDB_ECORRUPT, GDB_EVERSION), -ENOENT
 */
int gdb_graph_damaged(const gdb_graph *g, uint32_t i, const char **name,
		      const char **why);
/* @return the error of the damaged network called name, 0 if it is not
 * damaged (or does not exist); why as above. A sections object whose
 * segment the store found damaged at open (gdb_store_damaged_find) counts:
 * it may have been a network, and its name must not read as absent. */
int gdb_graph_network_damage(const gdb_graph *g, const char *name,
			     const char **why);
/*
 * gdb_graph_check - are the mapped bytes of network net (-1: of every
 * network) still there? The reader keeps pointers into the mapping, so a
 * segment truncated while mounted would fault (SIGBUS) on the next touch;
 * this checks each network's segment size first (one fstat per network).
 * @return 0; GDB_ECORRUPT with err naming the network (and a log line).
 */
GDB_MUST_CHECK int gdb_graph_check(const gdb_graph *g, int net, char *err,
				   size_t errlen);
/* @return the network's name (borrowed from the store), NULL if out of
 * range. */
const char *gdb_graph_network_name(const gdb_graph *g, uint32_t net);
/* @return the network index (exact name), or -ENOENT. */
int gdb_graph_network_find(const gdb_graph *g, const char *name);

typedef struct gdb_graph_network_info {
	const char *name;
	uint32_t nnodes;
	uint64_t nedges;
	uint32_t ntypes;
	uint32_t npathways;
	uint32_t nchannels;
	uint32_t version;     /* of its layout (1 or 2) */
	uint32_t taxon;	      /* 0: unknown */
	const char *species;  /* label, "" if none (borrowed) */
	int case_insensitive; /* names join without case */
	uint32_t group;	      /* networks of one group join (species) */
} gdb_graph_network_info;
void gdb_graph_network_stat(const gdb_graph *g, uint32_t net,
			    gdb_graph_network_info *info);
/* @return type name i of a network (borrowed), NULL if out of range. */
const char *gdb_graph_network_type(const gdb_graph *g, uint32_t net,
				   uint32_t i);

/* Global nodes: the union over networks by case-insensitive name. */
uint32_t gdb_graph_nnodes(const gdb_graph *g);
/*
 * gdb_graph_lookup - the global node with this name or alias.
 * @param net -1: names of any network, then aliases of each network in
 *            order; else only names and aliases of that network
 * @return the node id, or -ENOENT
 */
int gdb_graph_lookup(const gdb_graph *g, const char *name, int net);
/* Borrowed, valid until close. */
const char *gdb_graph_node_name(const gdb_graph *g, uint32_t node);
unsigned gdb_graph_node_kind(const gdb_graph *g, uint32_t node);
/* Position of the node in case-insensitive name order (for sorting). */
uint32_t gdb_graph_node_rank(const gdb_graph *g, uint32_t node);
/*
 * gdb_graph_node_aliases - the aliases a network gives a node.
 * @param buf,len out: "ns\talias\0" records, borrowed from the store
 * @return 0; -ENOENT (node not in that network)
 */
int gdb_graph_node_aliases(const gdb_graph *g, uint32_t net, uint32_t node,
			   const char **buf, size_t *len);

/* An edge as queries return it: its network and its index there. */
typedef struct gdb_graph_eref {
	uint32_t net;
	uint32_t eid;
} gdb_graph_eref;

/* Decoded edge attributes (strings borrowed, valid until close). */
typedef struct gdb_graph_edge {
	uint32_t src, dst; /* global node ids */
	const char *type;
	const char *network;
	const char *evidence; /* "" if none */
	float conf;
	int directed;
	uint32_t nchannels;
	const char *chan_names[GDB_GRAPH_MAX_CHANNELS];
	uint16_t chan[GDB_GRAPH_MAX_CHANNELS];
} gdb_graph_edge;
void gdb_graph_edge_get(const gdb_graph *g, gdb_graph_eref r,
			gdb_graph_edge *e);

enum gdb_graph_dir {
	GDB_GRAPH_OUT = 1,  /* src -> node's neighbour, or undirected */
	GDB_GRAPH_IN = 2,   /* neighbour -> node, or undirected */
	GDB_GRAPH_BOTH = 3, /* either: direction ignored */
};

#define GDB_GRAPH_MAX_TYPES 32u

typedef struct gdb_graph_filter {
	double min_conf; /* edges with conf >= min_conf; 0: all */
	unsigned ntypes; /* 0: every type */
	const char *types[GDB_GRAPH_MAX_TYPES]; /* borrowed, exact names */
	int net;				/* -1: all networks */
	int dir;	     /* enum gdb_graph_dir; 0 means the query's
			      * default */
	uint64_t limit;	     /* rows (nodes/edges/paths); 0: default */
	uint64_t edge_limit; /* edges of subgraph answers; 0: default */
	double hop_cost;     /* per-edge cost added to -ln(conf);
			      * < 0: default (GDB_GRAPH_HOP_COST) */
	unsigned max_len;    /* path queries: most edges; 0: default */
	unsigned k;	     /* k shortest paths; 0: default */
} gdb_graph_filter;

#define GDB_GRAPH_HOP_COST 0.001
#define GDB_GRAPH_DEFAULT_LIMIT 1000u
#define GDB_GRAPH_DEFAULT_NODE_LIMIT 10000u
#define GDB_GRAPH_DEFAULT_EDGE_LIMIT 20000u
#define GDB_GRAPH_DEFAULT_PATHS 100u
#define GDB_GRAPH_DEFAULT_MAX_LEN 4u

/* Reset to the defaults: every edge, all networks, default limits. */
void gdb_graph_filter_init(gdb_graph_filter *f);

/* One enrichment row (see gdb_graph_enrich). */
typedef struct gdb_graph_enrich_row {
	uint32_t pathway; /* global pathway id */
	uint32_t hits;	  /* k: list genes in the pathway */
	uint32_t size;	  /* K: pathway members in the universe */
	double p, q;	  /* hypergeometric P(X >= k), BH q */
	uint64_t hit_off; /* hits' node ids at hit_nodes[hit_off ..] */
} gdb_graph_enrich_row;

/*
 * A query's answer. Nodes and edges are in the query's documented order;
 * total_* count what matched before the limits; truncated says whether
 * any limit cut the answer (or a search stopped at its work bound).
 */
typedef struct gdb_graph_result {
	const char *query; /* "neighbors", "khop", ... (static) */
	uint32_t center;   /* the node asked about, UINT32_MAX if none */
	uint32_t nnodes;
	uint32_t *nodes; /* global ids */
	int32_t *dist;	 /* per node: hops from the center, or -1 */
	uint64_t nedges;
	gdb_graph_eref *edges;
	uint8_t *edir; /* per edge, for neighbours: 1 out, 2 in,
			* 3 undirected (relative to center) */
	uint64_t total_nodes, total_edges;
	uint64_t limit, edge_limit;
	int truncated;
	/* paths: path i has nodes path_node[path_off[i] .. path_off[i+1]),
	 * and edges path_edge[path_off[i] - i .. ) one fewer */
	uint32_t npaths;
	uint64_t *path_off;
	uint32_t *path_node;
	gdb_graph_eref *path_edge;
	double *path_cost;
	/* enrichment */
	uint32_t nrows;
	gdb_graph_enrich_row *rows;
	uint32_t *hit_nodes;
	uint32_t list_size, list_mapped, universe, tested;
	/* crosstalk / pathways */
	uint32_t pw1, pw2; /* global pathway ids, UINT32_MAX if none */
	uint32_t nshared;  /* crosstalk: nodes[0 .. nshared) shared */
	uint32_t size1, size2;
	int network; /* the filter's network (-1: all) */
	int group;   /* the species group the answer is of (its
		      * node's, pathway's, list's), -1: every
		      * group; with network, says which networks
		      * the answer covers (renderers state them) */
	const gdb_graph_filter *filter; /* borrowed, for renderers */
} gdb_graph_result;

/* Free a result's arrays and zero it; NULL does nothing. */
void gdb_graph_result_free(gdb_graph_result *r);

/*
 * Queries. Each fills *r (zeroed first; free with gdb_graph_result_free,
 * also after an error) and returns 0, -ENOENT (unknown node or pathway),
 * -EINVAL (bad filter: unknown network index), -ENOMEM, -E2BIG (answer
 * over GDB ns limits, message in err).
 */

/*
 * gdb_graph_neighbors - the edges at a node. Rows: one per matching edge
 * (a neighbour joined by two edges appears twice), ordered by confidence
 * descending, then neighbour name, network, type, edge index. Default
 * direction: both; default limit GDB_GRAPH_DEFAULT_LIMIT.
 */
GDB_MUST_CHECK int gdb_graph_neighbors(const gdb_graph *g, uint32_t node,
				       const gdb_graph_filter *f,
				       gdb_graph_result *r);
/*
 * gdb_graph_khop - nodes within k hops (breadth first over matching
 * edges; default direction both), ordered by distance then name, capped
 * at limit (default GDB_GRAPH_DEFAULT_NODE_LIMIT), and the matching edges
 * among the kept nodes, capped at edge_limit, ordered by source then
 * target order of the node list.
 * @param mode 0 k-hop; GDB_GRAPH_OUT downstream / GDB_GRAPH_IN upstream:
 *             only directed edges, followed forward / backward
 */
GDB_MUST_CHECK int gdb_graph_khop(const gdb_graph *g, uint32_t node, unsigned k,
				  int mode, const gdb_graph_filter *f,
				  gdb_graph_result *r);
/*
 * gdb_graph_shortest_path - cheapest path, cost of an edge
 * -ln(max(conf, 1e-9)) + hop_cost, following direction unless dir is
 * GDB_GRAPH_BOTH; between parallel edges the cheapest wins (ties: lower
 * network, then edge index). One path in r (npaths 0 if unreachable).
 */
GDB_MUST_CHECK int gdb_graph_shortest_path(const gdb_graph *g, uint32_t from,
					   uint32_t to,
					   const gdb_graph_filter *f,
					   gdb_graph_result *r);
/*
 * gdb_graph_paths - simple paths from -> to with at most max_len edges
 * (default 4), cheapest first (ties: node names), at most limit (default
 * GDB_GRAPH_DEFAULT_PATHS). With k > 0: Yen's k shortest simple paths
 * instead (no length bound unless max_len is set). The enumeration stops
 * after a fixed work bound (truncated is then set).
 */
GDB_MUST_CHECK int gdb_graph_paths(const gdb_graph *g, uint32_t from,
				   uint32_t to, const gdb_graph_filter *f,
				   gdb_graph_result *r);

/* Global pathways: the union over networks by case-insensitive id. */
uint32_t gdb_graph_npathways(const gdb_graph *g);
/* @return the global pathway id, or -ENOENT. */
int gdb_graph_pathway_find(const gdb_graph *g, const char *id);
const char *gdb_graph_pathway_id(const gdb_graph *g, uint32_t pw);
const char *gdb_graph_pathway_title(const gdb_graph *g, uint32_t pw);
/* @return non-zero if the pathway has members in network net (-1: any). */
int gdb_graph_pathway_in(const gdb_graph *g, uint32_t pw, int net);

/*
 * gdb_graph_pathway_subgraph - the members (ordered by name) and every
 * matching edge between two members (the filter's networks), ordered by
 * source, target, network, edge. nodes capped at limit (default: none up
 * to GDB_GRAPH_DEFAULT_NODE_LIMIT), edges at edge_limit.
 */
GDB_MUST_CHECK int gdb_graph_pathway_subgraph(const gdb_graph *g, uint32_t pw,
					      const gdb_graph_filter *f,
					      gdb_graph_result *r);
/* The pathways a node belongs to (r->nrows rows, hits/size/p unused
 * except size), ordered by id. */
GDB_MUST_CHECK int gdb_graph_node_pathways(const gdb_graph *g, uint32_t node,
					   const gdb_graph_filter *f,
					   gdb_graph_result *r);
/*
 * gdb_graph_crosstalk - shared members of two pathways (nodes[0..nshared),
 * by name) and the edges joining a member of one to a member of the
 * other (ends distinct), ordered as in the subgraph.
 */
GDB_MUST_CHECK int gdb_graph_crosstalk(const gdb_graph *g, uint32_t pw1,
				       uint32_t pw2, const gdb_graph_filter *f,
				       gdb_graph_result *r);
/*
 * gdb_graph_enrich - over-representation of a gene list in every pathway
 * of the filter's networks. Universe N: nodes that are members of at
 * least one pathway; list n: the list's distinct nodes in the universe;
 * pathways with at least one hit are tested (their number is m), p is
 * the hypergeometric upper tail P(X >= k), q the Benjamini-Hochberg
 * adjustment over the m tests. Rows ordered by p, then id, capped at
 * limit (default GDB_GRAPH_DEFAULT_LIMIT) after q is computed.
 * @param names  the list: names or aliases; unknown ones are skipped
 *               (list_size counts all, list_mapped the known ones)
 */
GDB_MUST_CHECK int gdb_graph_enrich(const gdb_graph *g,
				    const char *const *names, uint32_t n,
				    const gdb_graph_filter *f,
				    gdb_graph_result *r);
/*
 * gdb_graph_components - weakly connected components over the matching
 * edges: rows are components (size in r->rows[i].size, largest first,
 * ties by smallest member name), nodes lists every node with dist = its
 * component's row index. Isolated nodes are components of one.
 */
GDB_MUST_CHECK int gdb_graph_components(const gdb_graph *g,
					const gdb_graph_filter *f,
					gdb_graph_result *r);
/*
 * gdb_graph_degree - nodes by number of matching edges (dist holds the
 * degree, capped at INT32_MAX), highest first, ties by name.
 */
GDB_MUST_CHECK int gdb_graph_degree(const gdb_graph *g,
				    const gdb_graph_filter *f,
				    gdb_graph_result *r);

/* ----------------------------------------------------------- renderers */

enum gdb_graph_format {
	GDB_GRAPH_JSON = 0, /* the query's own JSON */
	GDB_GRAPH_TSV = 1,
	GDB_GRAPH_CYJS = 2, /* Cytoscape.js elements */
	GDB_GRAPH_GRAPHML = 3,
	GDB_GRAPH_DOT = 4,
	GDB_GRAPH_SIF = 5,
};

/*
 * gdb_graph_render - write a result as a file.
 * @param fmt  enum gdb_graph_format; the JSON and TSV layouts depend on
 *             r->query (docs/GRAPH.md)
 * @param out  out: malloc'd bytes (NUL-terminated, not counted in len);
 *             ownership moves to the caller (free())
 * @return 0; -EINVAL (format not available for this query), -ENOMEM,
 *         -EFBIG (more than max bytes)
 */
GDB_MUST_CHECK int gdb_graph_render(const gdb_graph *g,
				    const gdb_graph_result *r, int fmt,
				    size_t max, char **out, size_t *len);
/* info.json of a node: name, kind, aliases and degrees per network/type. */
GDB_MUST_CHECK int gdb_graph_render_info(const gdb_graph *g, uint32_t node,
					 int net, size_t max, char **out,
					 size_t *len);
/*
 * gdb_graph_describe - what `genomedb info` says of store object obj when
 * it is a network: counts, species, how names match, source files, or
 * that it is damaged and why (every section is checked).
 * @param json  0: lines of text; 1: JSON members to add to the object's
 *              entry (", \"network\": {...}")
 * @return 1 (a network: *out malloc'd, NUL-terminated), 0 (not a
 *         network), -ENOMEM
 */
GDB_MUST_CHECK int gdb_graph_describe(const gdb_store *s, uint32_t obj,
				      int json, char **out, size_t *len);

/* networks.json: every network with its counts. */
GDB_MUST_CHECK int gdb_graph_render_networks(const gdb_graph *g, size_t max,
					     char **out, size_t *len);

/*
 * gdb_graph_filter_parse - parse "key=value,key=value" parameters into f
 * (min-conf, type (several joined by '+'), net, dir (out|in|both|any),
 * limit, edge-limit, hop-cost, max-len, k). "limit=all" lifts a limit.
 * Type names are borrowed from text, which the call modifies in place.
 * @return 0; GDB_EFORMAT with the reason in err
 */
GDB_MUST_CHECK int gdb_graph_filter_parse(const gdb_graph *g, char *text,
					  gdb_graph_filter *f, char *err,
					  size_t errlen);

#endif
