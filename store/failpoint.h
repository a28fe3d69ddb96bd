/*
 * store/failpoint.h - fault injection at the store's I/O calls, for tests.
 *
 * Only a build with -DGDB_FAILPOINTS has it (the Makefile's
 * $(BUILD)/tests/genomedb_fp, whose store/ objects are compiled apart);
 * in every other build GDB_FP(op, call, bad) is just call.
 *
 * In a failpoint build, GENOMEDB_FAILPOINT="N[:EIO|:ENOSPC|:kill]" makes
 * the Nth of the process's open, write, fsync, rename and mmap calls in
 * store/ (counted from 1, all ops together) return bad with errno set
 * (EIO by default), or SIGKILL the process just before the call.
 * GENOMEDB_FAILPOINT_LOG=FILE appends "N OP" there when it fires, so a test
 * walking N knows when N has passed the last call.
 */
#ifndef GDB_STORE_FAILPOINT_H
#define GDB_STORE_FAILPOINT_H

#ifdef GDB_FAILPOINTS
/* 1 (errno set) when this call is the one to fail; may not return. */
int gdb_fp_fail(const char *op);
#else
static inline int gdb_fp_fail(const char *op)
{
	(void)op;
	return 0;
}
#endif

#define GDB_FP(op, call, bad) (gdb_fp_fail(op) ? (bad) : (call))

#endif
