/*
 * simd/ana_scalar.c - the scalar reference twins of the analysis kernels
 * that have no other home (composition, the motif wrapper) and the
 * scalar level's tables. One byte at a time, straight from the
 * definitions in simd.h; every vector level must give identical results.
 */
#include "common/gdb.h"
#include "simd/analysis_int.h"

/* composition class: 0 a, 1 c, 2 g, 3 t (or u), 4 s, 5 w, 6 other */
static unsigned comp_class(unsigned char b)
{
	switch (b | 0x20) {
	case 'a':
		return 0;
	case 'c':
		return 1;
	case 'g':
		return 2;
	case 't':
	case 'u':
		return 3; /* U is T */
	case 's':
		return 4;
	case 'w':
		return 5;
	default:
		return 6;
	}
}

void gdb_simd_scalar_comp(const char *seq, size_t n, gdb_comp *out)
{
	uint64_t cnt[7] = {0}, cpg = 0;
	unsigned prev = 6;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned c = comp_class((unsigned char)seq[i]);

		cnt[c]++;
		cpg += prev == 1 && c == 2;
		prev = c;
	}
	out->a = cnt[0];
	out->c = cnt[1];
	out->g = cnt[2];
	out->t = cnt[3];
	out->s = cnt[4];
	out->w = cnt[5];
	out->other = cnt[6];
	out->cpg = cpg;
}

static int64_t scalar_motif_find(const gdb_motif_pattern *p, const char *seq,
				 size_t n, unsigned strands,
				 gdb_motif_hit *hits, size_t cap)
{
	return gdb_motif_find_with(p, seq, n, strands, hits, cap,
				   gdb_ana_scalar_motif_bits,
				   gdb_ana_scalar_motif_combine);
}

const gdb_kmer_kernels gdb_ana_kmer_scalar = {
    .name = "scalar",
    .count = gdb_ana_scalar_kmer_count,
};

const gdb_motif_kernels gdb_ana_motif_scalar = {
    .name = "scalar",
    .find = scalar_motif_find,
    .pwm_scan = gdb_ana_scalar_pwm_scan,
};

const gdb_align_kernels gdb_ana_align_scalar = {
    .name = "scalar",
    .score = gdb_ana_scalar_align_score,
    .many = gdb_ana_scalar_align_many,
};
