/*
 * fs/daemon/fuse_uring_uapi.h - the FUSE-over-io_uring part of the kernel's
 * FUSE protocol (7.42), which Debian 12's <linux/fuse.h> (7.38) lacks.
 * Names and layouts are upstream's, from include/uapi/linux/fuse.h
 * (Linux 6.14 and later; the kernel side is fs/fuse/dev_uring.c). Only
 * uring.c includes this, after <linux/fuse.h>.
 */
#ifndef GDB_DAEMON_FUSE_URING_UAPI_H
#define GDB_DAEMON_FUSE_URING_UAPI_H

#include <stdint.h>

/* INIT flag (bits 32..63 travel in fuse_init_in/out.flags2, shifted down
 * 32, and only with FUSE_INIT_EXT in flags): the kernel offers it when
 * /sys/module/fuse/parameters/enable_uring is Y; the daemon's reply
 * carrying it switches the connection to the ring once every queue has
 * registered an entry. */
#ifndef FUSE_OVER_IO_URING
#define FUSE_OVER_IO_URING (1ULL << 41)
#endif

#ifndef FUSE_URING_IN_OUT_HEADER_SZ
#define FUSE_URING_IN_OUT_HEADER_SZ 128
#define FUSE_URING_OP_IN_OUT_SZ 128

/* Part of fuse_uring_req_header. */
struct fuse_uring_ent_in_out {
	uint64_t flags;
	/* commit ID to be used in a reply to a ring request (see also
	 * struct fuse_uring_cmd_req) */
	uint64_t commit_id;
	/* size of user payload buffer */
	uint32_t payload_sz;
	uint32_t padding;
	uint64_t reserved;
};

/* Header of every ring request: a ring entry's first iovec. */
struct fuse_uring_req_header {
	/* struct fuse_in_header / struct fuse_out_header */
	char in_out[FUSE_URING_IN_OUT_HEADER_SZ];
	/* per op code header */
	char op_in[FUSE_URING_OP_IN_OUT_SZ];
	struct fuse_uring_ent_in_out ring_ent_in_out;
};

/* sqe commands to the kernel (the SQE's cmd_op) */
enum fuse_uring_cmd {
	FUSE_IO_URING_CMD_INVALID = 0,
	/* register the request buffer and fetch a fuse request */
	FUSE_IO_URING_CMD_REGISTER = 1,
	/* commit fuse request result and fetch next request */
	FUSE_IO_URING_CMD_COMMIT_AND_FETCH = 2,
};

/* In the 80-byte command area of an SQE128 (sqe->cmd). */
struct fuse_uring_cmd_req {
	uint64_t flags;
	/* entry identifier for commits */
	uint64_t commit_id;
	/* queue the command is for (queue index) */
	uint16_t qid;
	uint8_t padding[6];
};
#endif

/* The layouts the kernel reads and writes (upstream's sizes; the command
 * must fit the SQE128's 80-byte cmd area). */
_Static_assert(sizeof(struct fuse_uring_ent_in_out) == 32,
	       "fuse_uring_ent_in_out is 32 bytes");
_Static_assert(sizeof(struct fuse_uring_req_header) == 288,
	       "fuse_uring_req_header is 288 bytes");
_Static_assert(sizeof(struct fuse_uring_cmd_req) <= 80,
	       "fuse_uring_cmd_req fits an SQE128's command");

#endif
