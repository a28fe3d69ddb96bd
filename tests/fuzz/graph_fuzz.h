/*
 * tests/fuzz/graph_fuzz.h - what the network parser fuzz targets share:
 * one import of the fuzz input (as the file "fuzz.<ext>", after optional
 * fixed inputs) through the library call tools/ uses, with the builder
 * then freed. A parser may refuse the input (that is an answer); it must
 * not crash, leak, read out of bounds or loop.
 */
#ifndef GDB_GRAPH_FUZZ_H
#define GDB_GRAPH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "graph/graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Import pre (NULL: none; a fixed earlier input, e.g. STRING links that an
 * info file refers to) and then data, as format fmt (NULL: guessed).
 */
static inline void graph_fuzz_import(const char *fmt, const char *columns,
				     const char *pre, const char *name,
				     const uint8_t *data, size_t size)
{
	gdb_graph_import_opts o;
	gdb_graph_import *im = NULL;
	gdb_graph_input in[2];
	gdb_graph_mem_input m[2];
	unsigned n = 0;
	char err[512];

	gdb_graph_import_opts_init(&o);
	if (fmt)
		o.format = gdb_graph_source_find(fmt);
	o.columns = columns;
	if (gdb_graph_import_new(&o, &im, err, sizeof(err)) < 0)
		return;
	if (pre)
		gdb_graph_input_mem(&in[n], "pre", &m[n], pre, strlen(pre)),
		    n++;
	gdb_graph_input_mem(&in[n], name, &m[n], data, size), n++;
	/* refusing the input is an answer too: only the call matters */
	if (gdb_graph_import_inputs(im, in, n, err, sizeof(err)) < 0)
		err[0] = 0;
	gdb_graph_import_free(im);
}

#endif
