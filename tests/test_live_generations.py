"""Live generations through a real mount (docs/CACHE.md "Live generations"):
a commit made while mounted is served by itself within the daemon's poll
(and at once after `genomedb ctl MNT refresh`), files already open keep
their generation's bytes until closed, and an old generation is released
once the kernel lets go of it, so `genomedb gc` can remove it."""
import errno
import gzip
import json
import os
import time

import pytest

import gdbutil as U

pytestmark = pytest.mark.mount

# The daemon looks at CURRENT every second; a loaded machine gets this long.
WAIT_S = 30.0


def wait_for(cond, what):
    deadline = time.monotonic() + WAIT_S
    while not cond():
        assert time.monotonic() < deadline, f"not within {WAIT_S}s: {what}"
        time.sleep(0.05)


def stats(m):
    return json.loads(U.read_file(m.p(".gdb", "stats.json")))


def store_generation(store):
    r = U.gdb("info", store, "--json")
    assert r.rc == 0, r
    return json.loads(r.out)["generation"]


def exists(p):
    try:
        os.stat(p)
        return True
    except FileNotFoundError:
        return False


@pytest.fixture
def live(tmp_path):
    U.require_fuse()
    store = str(tmp_path / "st")
    assert U.gdb("init", store).rc == 0
    chrm = os.path.join(U.REPO, "tests", "data", "human_hg38_chrM.fa")
    r = U.gdb("import", "fasta", store, "--assembly", "chrM", chrm, "--quiet")
    assert r.rc == 0, r
    lam = tmp_path / "lambda.fa"
    lam.write_bytes(gzip.open(os.path.join(U.REPO, "tests", "data",
                                           "phage_lambda_NC_001416.fa.gz")).read())
    with U.mounted(store, tmp_path) as m:
        m.st, m.chrm, m.lam = store, chrm, str(lam)
        yield m


def test_import_while_mounted_appears_by_itself(live):
    m = live
    # a name looked up before it exists: the kernel keeps that ENOENT
    assert not exists(m.p("lambda"))
    assert "lambda" not in os.listdir(m.path)
    r = U.gdb("import", "fasta", m.st, "--assembly", "lambda", m.lam, "--quiet")
    assert r.rc == 0, r
    wait_for(lambda: exists(m.p("lambda")), "the new assembly on the mount")
    assert "lambda" in os.listdir(m.path)
    got = U.parse_fasta(U.read_file(m.p("lambda", "lambda.fa")))[0]
    want = U.parse_fasta(open(m.lam, "rb").read())[0]
    assert [r.seq for r in got] == [r.seq for r in want]
    wait_for(lambda: stats(m)["generation"] == store_generation(m.st), "stats.json's generation")


def test_drop_is_enoent_after_ctl_refresh(live):
    m = live
    assert exists(m.p("chrM", "chrM.fa"))
    gen = stats(m)["generation"]
    r = U.gdb("drop", m.st, "chrM")
    assert r.rc == 0, r
    r = U.gdb("ctl", m.path, "refresh")
    assert r.rc == 0, r
    # at once: ctl returns after the kernel's entries were invalidated
    U.expect_errno(lambda: os.stat(m.p("chrM")), (errno.ENOENT,))
    U.expect_errno(lambda: os.stat(m.p("chrM", "chrM.fa")), (errno.ENOENT,))
    assert "chrM" not in os.listdir(m.path)
    s = stats(m)
    assert s["generation"] == store_generation(m.st) and s["generation"] > gen
    # nothing new: a refresh changes nothing
    assert U.gdb("ctl", m.path, "refresh").rc == 0
    assert stats(m)["generation"] == s["generation"]


def test_open_file_keeps_its_generation(live, tmp_path):
    m = live
    old = U.read_file(m.p("chrM", "chrM.fa"))
    old_region = U.read_file(m.p("chrM", "chrM", "1-100.fa"))
    old_gc = U.read_file(m.p("compute", "gc", "chrM", "chrM", "1-5000@w=500.tsv"))
    f = open(m.p("chrM", "chrM.fa"), "rb")
    g = open(m.p("compute", "gc", "chrM", "chrM", "1-5000@w=500.tsv"), "rb")
    h = open(m.p("chrM", "chrM", "1-100.fa"), "rb")
    try:
        # chrM replaced by other bases (lambda's, under the name chrM)
        rec = U.parse_fasta(open(m.lam, "rb").read())[0][0]
        other = tmp_path / "other.fa"
        other.write_bytes(b">chrM\n" + rec.seq + b"\n")
        r = U.gdb("import", "fasta", m.st, "--assembly", "chrM", str(other), "--replace", "--quiet")
        assert r.rc == 0, r
        assert U.gdb("ctl", m.path, "refresh").rc == 0
        new = U.read_file(m.p("chrM", "chrM.fa"))
        assert new != old and U.parse_fasta(new)[0][0].seq == rec.seq
        assert U.read_file(m.p("chrM", "chrM", "1-100.fa")) != old_region
        # the open files read on in their generation
        assert f.read() == old
        assert g.read() == old_gc
        assert h.read() == old_region
        s = stats(m)
        assert s["generations_live"] == 2, s
        # gc keeps what the mount still maps
        r = U.gdb("gc", m.st)
        assert r.rc == 0 and "reader has open" in str(r.out) + str(r.err), r
    finally:
        f.close()
        g.close()
        h.close()
    # closed: the kernel forgets the old generation's names and it goes
    wait_for(lambda: stats(m)["generations_live"] == 1, "the old generation released")
    r = U.gdb("gc", m.st)
    assert r.rc == 0 and "reader has open" not in str(r.out) + str(r.err), r
    assert U.read_file(m.p("chrM", "chrM.fa")) == new
