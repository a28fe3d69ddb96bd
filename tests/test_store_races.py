"""A reader racing gc: it read CURRENT, then a commit and gc removed the
manifest CURRENT named before the reader took its lock on it. The reader
must see that (the file has no links once it gets the lock) and start
again from the new CURRENT (store/manifest.c, open_manifest), never fail
or read a generation that is gone."""
import fcntl
import os
import subprocess
import time

import gdbutil as U
import storefmt as F


def _blocked_on_flock(pid):
    """Is pid waiting for a flock? (/proc/locks lists waiters after '->'.)"""
    with open("/proc/locks") as f:
        for line in f:
            parts = line.split()
            if "->" in parts and parts[parts.index("->") + 1] == "FLOCK" \
                    and parts[parts.index("->") + 4] == str(pid):
                return True
    return False


def test_reader_retries_when_gc_removes_its_manifest(tmp_path):
    store = str(tmp_path / "s.gdb")
    assert U.gdb("init", store).rc == 0
    r = U.gdb("import", "fasta", store, "--assembly", "chrM",
              os.path.join(U.DATA, "human_hg38_chrM.fa"), "--quiet")
    assert r.rc == 0, r
    old = F.current(store)
    # Hold the live manifest as gc does while it removes one.
    fd = os.open(os.path.join(store, old), os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    p = subprocess.Popen([U.BINARY, "info", store], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not _blocked_on_flock(p.pid):
            assert p.poll() is None, p.communicate()
            assert time.monotonic() < deadline, "the reader never reached its lock"
            time.sleep(0.01)
        # A commit makes a new generation; gc then removes the old manifest.
        r = U.gdb("import", "fasta", store, "--assembly", "lambda",
                  os.path.join(U.DATA, "phage_lambda_NC_001416.fa.gz"), "--quiet")
        assert r.rc == 0, r
        assert F.current(store) != old
        os.unlink(os.path.join(store, old))
    finally:
        os.close(fd)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert b"lambda" in out and b"chrM" in out, out
