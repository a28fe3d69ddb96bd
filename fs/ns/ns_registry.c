/*
 * fs/ns/ns_registry.c - the computed namespaces the daemon mounts, in the
 * order their top-level directories are listed. A provider joins by adding
 * its constructor here (see fs/ns/ns.h). And the end every provider's
 * resolve shares (gdb_ns_answer).
 */
#include "fs/ns/ns.h"

#include <errno.h>
#include <stdlib.h>

const gdb_ns_create_fn gdb_ns_creators[] = {
    gdb_graph_ns_create,    gdb_reads_ns_create,       gdb_compute_ns_create,
    gdb_variants_ns_create, gdb_annotations_ns_create, NULL,
};

int gdb_ns_answer(gdb_buf *o, int rc, char **data, size_t *len, char *err,
		  size_t errlen)
{
	if (rc == 0)
		rc = o->err;
	if (rc == 0 && !o->p && !(o->p = malloc(1)))
		rc = -ENOMEM;
	if (rc < 0) {
		if (rc == -EFBIG && !err[0])
			gdb_seterr(err, errlen, "answer larger than %zu MiB",
				   GDB_NS_MAX_FILE >> 20);
		gdb_buf_free(o);
		return rc;
	}
	*data = o->p;
	*len = o->len;
	return GDB_NS_FILE;
}
