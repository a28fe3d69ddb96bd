/*
 * tests/fuzz/reads_slice.c - libFuzzer target: any bytes as an aligned
 * slice payload (reads/slice_dec.c), decoded against a synthetic
 * reference (READS_FUZZ_REF below: the seeds were encoded against the
 * same one, so mutations reach every column). The decoder must fail
 * cleanly or give records, which go on through htslib's BAM writer;
 * nothing may read or write out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <htslib/hts_log.h>

#include "reads/reads_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_WINDOW (1 << 20)

/* The synthetic reference: base i of every contig. */
static char ref_base(int64_t i)
{
	return "ACGTN"[((uint64_t)i * 2654435761u >> 13) % 5];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int32_t tid;
	uint32_t n = 0;
	int64_t beg, end;
	rd_ref ref = {NULL, 0, 0};
	char *win = NULL;
	bam1_t **recs = NULL;
	gdb_buf raw = {0};

	hts_set_log_level(HTS_LOG_OFF);
	if (rd_slice_span(data, size, &tid, &n, &beg, &end) < 0 ||
	    end - beg > MAX_WINDOW)
		return 0;
	win = malloc(end > beg ? (size_t)(end - beg) : 1);
	if (!win)
		return 0;
	for (int64_t i = beg; i < end; i++)
		win[i - beg] = ref_base(i);
	ref.bases = win;
	ref.beg = beg;
	ref.end = end;
	if (rd_slice_decode(data, size, &ref, &recs, &n) == 0) {
		/* what came out goes through htslib's writer, as it would */
		(void)rd_hts_raw(recs, n, &raw);
		rd_recs_free(recs, n);
	}
	gdb_buf_free(&raw);
	free(win);
	return 0;
}
