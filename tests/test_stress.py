"""The short run of tests/stress.py under `make test` (make stress runs the
long one): 8 reader processes and the Python package against two mounts of
one store while a writer imports, drops and gc's; every answer one
generation's exact bytes, no error but ENOENT for what was dropped, the
daemons up and within budget, no mapped segment removed, verify clean."""
import pytest

import gdbutil as U
import stress

pytestmark = pytest.mark.mount

SECONDS = 20


def test_stress_short(tmp_path):
    U.require_fuse()
    # in-process (forked readers): under make asan they inherit the
    # sanitizer runtime pytest was started with, as the ctypes tests do
    s, errors = stress.run(SECONDS, 8, str(tmp_path), 2026)
    assert not errors, (s, errors[:10])
    assert s["errors"] == 0 and s["operations"] > 0, s
    # the writer committed (3 times at least) and the daemons served the
    # first generation and a later one
    assert s["commits"] >= 3 and s["generations_served"] >= 2, s
    assert s["python_snapshots"] >= 1, s
