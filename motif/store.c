/*
 * motif/store.c - motif sets in the store: the sections `genomedb import
 * motifs` writes and /compute/motif/.../pwm/ reads (layout: docs/FORMAT.md,
 * "Motif sets"; API: motif/motif.h).
 *
 * A set is one sections object named "motifs/<set>" ('/' keeps it apart
 * from networks, whose names cannot hold one). It keeps the count matrices
 * as imported, not log-odds: the scoring parameters (pseudocount,
 * p-value) are the reader's choice, per request.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "motif/motif.h"

#define META_BYTES 32
#define REC_BYTES 136 /* id[64] name[64] first u32 columns u32 */
#define VERSION 1

static int put_section(gdb_txn *t, const char *name, const void *p, size_t n)
{
	GDB_TRY(gdb_txn_section_begin(t, name));
	GDB_TRY(gdb_txn_section_write(t, p, n));
	return gdb_txn_section_end(t);
}

int gdb_motifs_write(gdb_txn *t, const gdb_motif *m, size_t n)
{
	uint8_t meta[META_BYTES] = "GDBMOTIF", *rec = NULL, *cnt = NULL;
	uint64_t cols = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (m[i].len < 1 || m[i].len > GDB_PWM_MAXLEN)
			return -EINVAL;
		cols += m[i].len;
	}
	gdb_put_le32(meta + 8, VERSION);
	gdb_put_le32(meta + 12, (uint32_t)n);
	gdb_put_le64(meta + 16, cols);
	rec = calloc(n ? n : 1, REC_BYTES);
	cnt = malloc(cols ? cols * 32 : 1);
	if (!rec || !cnt) {
		rc = -ENOMEM;
		goto out;
	}
	cols = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t *r = rec + i * REC_BYTES;
		strncpy((char *)r, m[i].id, 63);
		strncpy((char *)r + 64, m[i].name, 63);
		gdb_put_le32(r + 128, (uint32_t)cols);
		gdb_put_le32(r + 132, m[i].len);
		for (unsigned j = 0; j < m[i].len; j++, cols++)
			for (int b = 0; b < 4; b++) {
				uint64_t u;
				memcpy(&u, &m[i].counts[j][b], 8);
				gdb_put_le64(cnt + cols * 32 + (size_t)b * 8,
					     u);
			}
	}
	rc = put_section(t, "motif.meta", meta, sizeof(meta));
	if (rc == 0)
		rc = put_section(t, "motif.index", rec, n * REC_BYTES);
	if (rc == 0)
		rc = put_section(t, "motif.counts", cnt, cols * 32);
out:
	free(rec);
	free(cnt);
	return rc;
}

int gdb_motif_set_store(gdb_txn *t, const char *name, const gdb_motif_set *set,
			char *err, size_t errlen)
{
	char obj[GDB_NAME_MAX + 1];
	int rc;

	if (strlen(GDB_MOTIF_OBJECT_PREFIX) + strlen(name) > GDB_NAME_MAX) {
		gdb_seterr(err, errlen, "motif set name '%s' is too long",
			   name);
		return -EINVAL;
	}
	snprintf(obj, sizeof(obj), "%s%s", GDB_MOTIF_OBJECT_PREFIX, name);
	rc = gdb_txn_object_begin(t, GDB_OBJECT_SECTIONS, obj, err, errlen);
	if (rc == -EEXIST)
		gdb_seterr(err, errlen, "motif set '%s' already exists", name);
	if (rc < 0)
		return rc;
	rc = gdb_motifs_write(t, set->m, set->n);
	if (rc < 0)
		gdb_seterr(err, errlen, "writing the motif set failed: %s",
			   gdb_strerror(rc));
	return rc;
}

/* One set's motifs appended to *all; GDB_ECORRUPT if its sections lie. */
static int load_set(const gdb_store *s, uint32_t obj, gdb_motif **all,
		    size_t *n, size_t *cap)
{
	const uint8_t *meta, *rec, *cnt;
	uint64_t ml, rl, cl, cols;
	uint32_t count;

	GDB_TRY(
	    gdb_store_section(s, obj, "motif.meta", (const void **)&meta, &ml));
	GDB_TRY(
	    gdb_store_section(s, obj, "motif.index", (const void **)&rec, &rl));
	GDB_TRY(gdb_store_section(s, obj, "motif.counts", (const void **)&cnt,
				  &cl));
	if (ml != META_BYTES || memcmp(meta, "GDBMOTIF", 8))
		return GDB_CORRUPT("motif.meta");
	if (gdb_get_le32(meta + 8) != VERSION)
		return GDB_EVERSION;
	count = gdb_get_le32(meta + 12);
	cols = gdb_get_le64(meta + 16);
	if (rl != (uint64_t)count * REC_BYTES || cl / 32 != cols || cl % 32)
		return GDB_CORRUPT("motif section sizes");
	if (*n + count > *cap) {
		size_t c = *n + count + 16;
		gdb_motif *p = realloc(*all, c * sizeof(*p));
		if (!p)
			return -ENOMEM;
		*all = p;
		*cap = c;
	}
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *r = rec + (size_t)i * REC_BYTES;
		gdb_motif *m = &(*all)[*n + i];
		uint32_t first = gdb_get_le32(r + 128),
			 len = gdb_get_le32(r + 132);
		if (!memchr(r, 0, 64) || !memchr(r + 64, 0, 64) || len < 1 ||
		    len > GDB_PWM_MAXLEN || first > cols || len > cols - first)
			return GDB_CORRUPT("motif.index record");
		memset(m, 0, sizeof(*m));
		memcpy(m->id, r, 64);
		memcpy(m->name, r + 64, 64);
		m->len = len;
		for (uint32_t j = 0; j < len; j++)
			for (int b = 0; b < 4; b++) {
				uint64_t u = gdb_get_le64(
				    cnt + (first + j) * 32 + (size_t)b * 8);
				double d;
				memcpy(&d, &u, 8);
				if (!isfinite(d) || d < 0)
					return GDB_CORRUPT("motif count");
				m->counts[j][b] = d;
			}
	}
	*n += count;
	return 0;
}

int gdb_motifs_load(const gdb_store *s, gdb_motif **out, size_t *n, char *err,
		    size_t errlen)
{
	size_t pl = strlen(GDB_MOTIF_OBJECT_PREFIX), cap = 0;
	gdb_motif *all = NULL;
	int rc = 0;

	*n = 0;
	for (uint32_t i = 0; i < gdb_store_nobjects(s) && rc == 0; i++) {
		const gdb_object *o = gdb_store_object(s, i);
		if (o->kind != GDB_OBJECT_SECTIONS ||
		    strncmp(o->name, GDB_MOTIF_OBJECT_PREFIX, pl))
			continue;
		rc = load_set(s, i, &all, n, &cap);
		if (rc < 0)
			gdb_seterr(err, errlen, "%s: %s", o->name,
				   gdb_strerror(rc));
	}
	if (rc < 0) {
		free(all);
		*n = 0;
		return rc;
	}
	*out = all;
	return 0;
}
