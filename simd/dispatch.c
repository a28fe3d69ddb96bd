/*
 * simd/dispatch.c - choose the kernel table once per process.
 *
 * gdb_simd_init() runs exactly once (pthread_once): it builds the CRC
 * tables, asks the CPU what it supports (__builtin_cpu_supports, which
 * also checks that the OS saves the AVX/AVX-512 registers), and settles
 * the active level: the best one, unless GENOMEDB_SIMD names another.
 * Kernels are then plain calls through a const table; nothing is decided
 * per call.
 *
 * Levels nest (see simd_int.h): SSE4.1 needs SSSE3, SSE4.1 and SSE4.2
 * (its CRC kernel is the crc32 instruction; only the 2007-08 Penryn Core 2
 * parts have SSE4.1 without SSE4.2, and they get scalar); AVX2 needs that
 * plus AVX2; AVX-512 needs that plus AVX-512 F and BW.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/gdb.h"
#include "simd/simd_int.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
/* written once inside init_once, read-only afterwards */
static int init_rc;
static enum gdb_simd_level active_level;
static const gdb_simd_kernels *level_tab[GDB_SIMD_NLEVELS];

static const char *const level_names[GDB_SIMD_NLEVELS] = {
    "scalar",
    "sse41",
    "avx2",
    "avx512",
};

static void detect(void)
{
	level_tab[GDB_SIMD_SCALAR] = &gdb_simd_scalar_kernels;
#if GDB_SIMD_X86
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("ssse3") ||
	    !__builtin_cpu_supports("sse4.1") ||
	    !__builtin_cpu_supports("sse4.2"))
		return;
	level_tab[GDB_SIMD_SSE41] = &gdb_simd_sse41_kernels;
	if (!__builtin_cpu_supports("avx2"))
		return;
	level_tab[GDB_SIMD_AVX2] = &gdb_simd_avx2_kernels;
	if (!__builtin_cpu_supports("avx512f") ||
	    !__builtin_cpu_supports("avx512bw"))
		return;
	level_tab[GDB_SIMD_AVX512] = &gdb_simd_avx512_kernels;
#endif
}

static void init_fn(void)
{
	const char *want = getenv("GENOMEDB_SIMD");
	int l;

	gdb_simd_crc32c_init();
	detect();
	for (l = GDB_SIMD_NLEVELS - 1; !level_tab[l]; l--)
		;
	active_level = (enum gdb_simd_level)l;
	if (!want || !*want)
		return;
	for (l = 0; l < GDB_SIMD_NLEVELS; l++)
		if (!strcmp(want, level_names[l]))
			break;
	if (l == GDB_SIMD_NLEVELS) {
		init_rc = -EINVAL;
		gdb_log(GDB_LOG_WARN,
			"GENOMEDB_SIMD=%s is not scalar, sse41, avx2 or "
			"avx512; "
			"using %s",
			want, level_names[active_level]);
	} else if (!level_tab[l]) {
		init_rc = -ENOTSUP;
		gdb_log(GDB_LOG_WARN,
			"GENOMEDB_SIMD=%s: this CPU lacks it; using %s", want,
			level_names[active_level]);
	} else {
		active_level = (enum gdb_simd_level)l;
	}
}

int gdb_simd_init(void)
{
	pthread_once(&init_once, init_fn);
	return init_rc;
}

const gdb_simd_kernels *gdb_simd(void)
{
	pthread_once(&init_once, init_fn);
	return level_tab[active_level];
}

enum gdb_simd_level gdb_simd_active(void)
{
	pthread_once(&init_once, init_fn);
	return active_level;
}

const char *gdb_simd_level_name(enum gdb_simd_level level)
{
	if ((unsigned)level >= GDB_SIMD_NLEVELS)
		return "unknown";
	return level_names[level];
}

const gdb_simd_kernels *gdb_simd_variant(enum gdb_simd_level level)
{
	pthread_once(&init_once, init_fn);
	if ((unsigned)level >= GDB_SIMD_NLEVELS)
		return NULL;
	return level_tab[level];
}
