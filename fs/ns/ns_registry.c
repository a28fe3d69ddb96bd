/*
 * fs/ns/ns_registry.c - the computed namespaces the daemon mounts, in the
 * order their top-level directories are listed. A provider joins by adding
 * its constructor here (see fs/ns/ns.h).
 */
#include "fs/ns/ns.h"

const gdb_ns_create_fn gdb_ns_creators[] = {
    gdb_graph_ns_create,    gdb_reads_ns_create,       gdb_compute_ns_create,
    gdb_variants_ns_create, gdb_annotations_ns_create, NULL,
};
