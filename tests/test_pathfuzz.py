"""The short run of tests/pathfuzz.py under `make test` (make stress runs the
long one): valid, mutated and garbage paths through open/read, stat,
listdir, getxattr and listxattr on a live mount. Each path of its TABLE
gives exactly its errno, every other error is one PATHS.md allows (never
EIO on this intact store), every valid name reads the bytes a direct read
gives, and the daemon stays up within its memory budget."""
import pytest

import gdbutil as U
import pathfuzz

pytestmark = pytest.mark.mount

SECONDS = 15


def test_pathfuzz_short(tmp_path):
    U.require_fuse()
    s, errors = pathfuzz.run(SECONDS, 0, str(tmp_path), 2026)
    assert not errors, (s, errors[:10])
    # the run reached every call and checked valid names against the store
    assert s["valid_checked"] > 0 and set(s["calls"]) == {
        "stat", "open_read", "listdir", "getxattr", "listxattr"}, s
    assert {"ENOENT", "EINVAL"} <= set(s["errno"]), s
