/*
 * simd/gt_int.h - the genotype kernel tables of each level (internal to
 * simd/gt_*.c).
 */
#ifndef GDB_SIMD_GT_INT_H
#define GDB_SIMD_GT_INT_H

#include "simd/genotype.h"
#include "simd/simd_int.h"

extern const gdb_gt_kernels gdb_gt_scalar;
#if GDB_SIMD_X86
extern const gdb_gt_kernels gdb_gt_avx2;
extern const gdb_gt_kernels gdb_gt_avx512;
#endif

#endif
