"""Run each C unit-test binary ($GENOMEDB_BUILD/tests/test_*): exit 0 passes,
77 skips, anything else fails with the binary's output."""
import glob
import os
import subprocess

import pytest

import gdbutil as U

SOURCES = {os.path.splitext(os.path.basename(s))[0]
           for s in glob.glob(os.path.join(U.HERE, "unit", "test_*.c"))}
BUILT = {os.path.basename(p) for p in glob.glob(os.path.join(U.BUILD, "tests", "test_*"))
         if os.path.isfile(p) and os.access(p, os.X_OK) and "." not in os.path.basename(p)}
NAMES = sorted(SOURCES | BUILT)


@pytest.mark.skipif(not NAMES, reason="no C unit tests in tests/unit/")
@pytest.mark.parametrize("name", NAMES)
def test_unit_binary(name):
    exe = os.path.join(U.BUILD, "tests", name)
    assert os.access(exe, os.X_OK), f"{exe} not built (tests/unit/{name}.c exists): run make"
    p = subprocess.run([exe], capture_output=True, timeout=600, cwd=U.REPO)
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    U.check_sanitizer(out, exe)
    if p.returncode == 77:
        pytest.skip(f"{name} skipped itself: {out.strip()[-500:]}")
    assert p.returncode == 0, f"{name} exited {p.returncode}:\n{out[-8000:]}"
