/*
 * fs/ns.h - motif sets in the store (fs/motifs.c): what `genomedb import
 * motifs` writes and /compute/motif/.../pwm/ reads. The namespaces
 * themselves moved to fs/ns/ns.h; this header stays with fs/motifs.c
 * until the motif module takes both.
 */
#ifndef GDB_MOTIF_SETS_H
#define GDB_MOTIF_SETS_H

#include <stddef.h>

#include "common/gdb.h"
#include "simd/simd.h"
#include "store/store.h"

/* ---- motif sets (layout: docs/FORMAT.md "Motif sets") ---- */

/* A set is the sections object "motifs/<set>". */
#define GDB_MOTIF_OBJECT_PREFIX "motifs/"

/*
 * gdb_motifs_write - a set's sections into t, an object just begun with
 * gdb_txn_object_begin(GDB_MOTIF_OBJECT_PREFIX "<set>").
 * @param m  the motifs (borrowed), their counts as parsed
 * @return 0, -EINVAL (a motif of 0 or > GDB_PWM_MAXLEN columns), -ENOMEM,
 *         or the store's error
 */
GDB_MUST_CHECK int gdb_motifs_write(gdb_txn *t, const gdb_motif *m, size_t n);

/*
 * gdb_motifs_load - every motif of every set, in store order.
 * @param out  out: malloc'd array of *n (NULL when 0), caller frees
 * @return 0; GDB_ECORRUPT / GDB_ECHECKSUM / GDB_EVERSION (a set's
 *         sections are damaged: err names it), -ENOMEM
 */
GDB_MUST_CHECK int gdb_motifs_load(const gdb_store *s, gdb_motif **out,
				   size_t *n, char *err, size_t errlen);

#endif
