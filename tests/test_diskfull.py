"""A store on a full file system: the import fails with a clear error and the
store is left byte-identical and clean (a 4 MiB tmpfs; needs root)."""
import os
import subprocess

import pytest

import gdbutil as U


@pytest.fixture
def tiny_fs(tmp_path):
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        msg = f"cannot mount a tmpfs (needs root): {r.stderr.strip()}"
        if U.IN_CI:
            pytest.fail(msg + " (CI=true)")
        pytest.skip(msg)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_import_that_does_not_fit(genomedb, tiny_fs, big_fasta):
    store = tiny_fs / "s.gdb"
    assert U.gdb("init", store).rc == 0
    r = U.gdb("import", "fasta", store, "--assembly", "chrM",
              os.path.join(U.DATA, "human_hg38_chrM.fa"), "--quiet")
    assert r.rc == 0, r
    before = U.snapshot(store)
    r = U.gdb("import", "fasta", store, "--assembly", "big", big_fasta, "--quiet")
    assert r.rc == 1, r
    assert "space" in r.err.lower(), f"no clear 'No space left' message: {r.err!r}"
    assert r.err.startswith("genomedb: "), r.err
    after = U.snapshot(store)
    assert after == before, U.snapshot_diff(before, after)
    v = U.gdb("verify", store)
    assert v.rc == 0, v
    # the space the failed import used is free again: a small import fits
    r = U.gdb("import", "fasta", store, "--assembly", "lambda",
              os.path.join(U.DATA, "phage_lambda_NC_001416.fa.gz"), "--quiet")
    assert r.rc == 0, r
    assert U.gdb("verify", store).rc == 0
    out = U.gdb("export", "fasta", store, "chrM")
    assert out.rc == 0
    recs, _ = U.parse_fasta(out.out)
    want, _ = U.parse_fasta(U.read_maybe_gz(os.path.join(U.DATA, "human_hg38_chrM.fa")))
    assert [(r.name, r.seq) for r in recs] == [(r.name, r.seq) for r in want]


def test_init_on_full_fs(genomedb, tiny_fs):
    """init on a file system with no room fails cleanly (exit 1), no traceback."""
    filler = tiny_fs / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while os.write(fd, b"\0" * 4096) > 0:
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    r = U.gdb("init", tiny_fs / "s.gdb")
    assert r.rc == 1, r
    assert r.err.startswith("genomedb: "), r.err
