/*
 * tests/fuzz/daemon_uring_layout.c - libFuzzer target for the layout of a
 * FUSE-over-io_uring request as /dev/fuse's message (fs/daemon/uring.c,
 * daemon_uring_layout): the kernel's header (in_out, op_in, the entry's
 * payload_sz) from the input's first 288 bytes, the payload buffer (CAP
 * bytes) from the rest. The properties, not only "does not crash":
 *   - a request whose sizes add up is laid out as the in header, then its
 *     op header (len - 40 - payload_sz bytes of op_in), then payload_sz
 *     bytes of the payload, len bytes in all, and nothing past them is
 *     written;
 *   - one whose sizes do not add up (len short of its parts, a payload
 *     past the buffer, an op header past op_in) is refused, -EIO.
 */
#include <errno.h>
#include <linux/fuse.h>
#include <string.h>
#include <sys/types.h>

#include "fs/daemon/fuse_uring_uapi.h"
#include "fs/daemon/ops.h"
#include "tests/fuzz/fuzz.h"

#define CAP 4096u
#define HL sizeof(struct fuse_in_header)
#define MSG (HL + FUSE_URING_OP_IN_OUT_SZ + CAP)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuse_uring_req_header hdr;
	static char payload[CAP], msg[MSG + 64];
	const struct fuse_in_header *in = (const void *)hdr.in_out;
	size_t h = size < sizeof(hdr) ? size : sizeof(hdr), psz, argsz;
	ssize_t r;

	memset(&hdr, 0, sizeof(hdr));
	memcpy(&hdr, data, h);
	memset(payload, 0, sizeof(payload));
	memcpy(payload, data + h, size - h < CAP ? size - h : CAP);
	memset(msg, 0xa5, sizeof(msg));
	r = daemon_uring_layout(&hdr, payload, CAP, msg);
	psz = hdr.ring_ent_in_out.payload_sz;
	if (in->len < HL + psz || psz > CAP ||
	    in->len - HL - psz > FUSE_URING_OP_IN_OUT_SZ) {
		FUZZ_CHECK(r == -EIO);
		return 0;
	}
	argsz = in->len - HL - psz;
	FUZZ_CHECK(r == (ssize_t)in->len);
	FUZZ_CHECK(!memcmp(msg, in, HL));
	FUZZ_CHECK(!memcmp(msg + HL, hdr.op_in, argsz));
	FUZZ_CHECK(!memcmp(msg + HL + argsz, payload, psz));
	for (size_t i = in->len; i < sizeof(msg); i++)
		FUZZ_CHECK((unsigned char)msg[i] == 0xa5);
	return 0;
}
