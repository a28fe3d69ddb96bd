"""Replay every fuzz target's committed corpus (tests/fuzz/corpus/<target>/)
through the gcc-built replay driver ($GENOMEDB_BUILD/tests/fuzz/<target>):
seeds from real data and any crasher found and fixed stay regression tests.
Under `make asan` the same replay runs with ASan + UBSan."""
import glob
import os

import pytest

import gdbutil as U

FUZZ = os.path.join(U.HERE, "fuzz")
TARGETS = sorted(os.path.splitext(os.path.basename(p))[0]
                 for p in glob.glob(os.path.join(FUZZ, "*.c")))


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_corpus_replays(target):
    exe = os.path.join(U.BUILD, "tests", "fuzz", target)
    assert os.access(exe, os.X_OK), f"{exe} not built: run make"
    corpus = os.path.join(FUZZ, "corpus", target)
    seeds = os.listdir(corpus) if os.path.isdir(corpus) else []
    assert seeds, f"no seed corpus in {corpus}"
    r = U.run([exe, corpus], timeout=600)
    assert r.rc == 0, r
