"""Fault injection: every I/O call of an import fails or is killed, one at a time.

$GENOMEDB_BUILD/tests/genomedb_fp is genomedb with store/ built with
-DGDB_FAILPOINTS (store/failpoint.h): GENOMEDB_FAILPOINT=N[:EIO|:ENOSPC|:kill]
makes the Nth open/write/fsync/rename/mmap of the store fail (or SIGKILLs
the process there) and logs "N OP" to GENOMEDB_FAILPOINT_LOG. Each test walks
N from 1 until the import runs past its last call. After every step the
store opens, `verify` is clean, its live generation is exactly the previous
one or exactly the new one (segments byte for byte, read from the manifest
independently of the C code), and the next plain import completes it.
"""
import os
import pathlib
import shutil
import tempfile

import pytest

import gdbutil as U
import storefmt as F
import variants_util as V

FP_BINARY = os.path.join(U.BUILD, "tests", "genomedb_fp")
MODES = ("EIO", "ENOSPC", "kill")


def _live(store):
    """The live generation as the tests see it (tests/storefmt.py): each
    entry with its segment's bytes hashed, all but the segment's id (a
    writer after a crash numbers past the leftovers) and the header CRC
    covering it; provenance without time and command line (binary path)."""
    m = F.live(store)
    entries = []
    for nm, seg, nbytes, icrc, kind in m["entries"]:
        with open(os.path.join(store, F.segment_name(seg)), "rb") as f:
            d = f.read()
        h = U.hashlib.sha256(d[:16] + d[24:60] + d[64:]).hexdigest()
        entries.append((nm, kind, nbytes, icrc, h))
    return sorted(entries), [p[:4] for p in m["prov"]]


@pytest.fixture
def work(tmp_path):
    """Stores live in memory (/dev/shm) where there is one: the walk checks
    the order of calls, not the disk, and fsync there costs nothing."""
    if os.access("/dev/shm", os.W_OK):
        d = tempfile.mkdtemp(prefix="gdb-fp-", dir="/dev/shm")
        yield pathlib.Path(d)
        shutil.rmtree(d, ignore_errors=True)
    else:
        yield tmp_path


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A store with one assembly (chrM) and the GRCh37 chr20 slice."""
    d = tmp_path_factory.mktemp("fp")
    path = str(d / "base.gdb")
    assert U.gdb("init", path).rc == 0
    for asm, f in (("chrM", "human_hg38_chrM.fa"),
                   ("b37", os.path.join("variants", "human_GRCh37_chr20_1M-4M.fa.gz"))):
        r = U.gdb("import", "fasta", path, "--assembly", asm, os.path.join(U.DATA, f), "--quiet")
        assert r.rc == 0, r
    return {"path": path, "vcf": V.vcf_subset(d / "sub.vcf.gz")}


def _imports(base):
    return {
        "fasta": ["import", "fasta", "{s}", "--assembly", "lambda",
                  os.path.join(U.DATA, "phage_lambda_NC_001416.fa.gz"), "--quiet"],
        "graph": ["import", "graph", "{s}", "--network", "gal",
                  os.path.join(U.DATA, "graph", "galFiltered.sif"), "--quiet"],
        "vcf": ["import", "vcf", "{s}", "--set", "kg", "--reference", "b37", base["vcf"]],
    }


def _run(binary, argv, store, env=None):
    return U.run([binary] + [a.replace("{s}", store) for a in argv], env=env)


def _check_store(store, allowed, what):
    """verify opens the store and checks every CRC; then the live state."""
    r = U.gdb("verify", store)
    assert r.rc == 0, (what, r)
    state = _live(store)
    assert state in allowed.values(), f"{what}: live generation is neither the old nor the new"
    return next(k for k, v in allowed.items() if v == state)


def _step(base, argv, allowed, work, mode, n):
    """Fail call n with mode; check the store. @return the op that failed
    (None once n is past the last call) and the state left."""
    store, log = str(work / f"{mode}{n}.gdb"), str(work / f"{mode}{n}.log")
    shutil.copytree(base, store)
    env = dict(os.environ, GENOMEDB_FAILPOINT=f"{n}:{mode}", GENOMEDB_FAILPOINT_LOG=log)
    r = _run(FP_BINARY, argv, store, env=env)
    op = open(log).read().split()[1] if os.path.exists(log) else None
    what = f"{argv[1]} import, {mode} at call {n} ({op})"
    if op is None:
        assert r.rc == 0, (what, r)
    elif mode == "kill":
        assert r.rc == -9, (what, r)
    else:
        assert r.rc in (0, 1), (what, r)
        assert r.rc == 0 or r.err.strip(), (what, "failed without a message")
    state = _check_store(store, allowed, what)
    if state == "old" and mode == "kill":
        # The next writer removes a dead writer's leftovers and imports.
        r = _run(U.BINARY, argv, store)
        assert r.rc == 0, (what, "next import", r)
        assert _check_store(store, allowed, what + ", then a clean import") == "new"
    shutil.rmtree(store)
    return op, state


@pytest.mark.parametrize("kind", ["fasta", "graph", "vcf"])
def test_every_io_call_fails_or_dies(base, work, kind):
    """EIO and a kill at every call; ENOSPC at every write and fsync."""
    argv = _imports(base)[kind]
    ref = str(work / "ref.gdb")
    shutil.copytree(base["path"], ref)
    r = _run(U.BINARY, argv, ref)
    assert r.rc == 0, r
    allowed = {"old": _live(base["path"]), "new": _live(ref)}
    assert allowed["old"] != allowed["new"]
    ops, seen, n = {}, {}, 0
    while True:
        n += 1
        op, state = _step(base["path"], argv, allowed, work, "EIO", n)
        if op is None:
            break
        ops[n] = op
        seen[state] = seen.get(state, 0) + 1
    assert state == "new"
    assert len(ops) > 5 and {"open", "write", "fsync", "rename"} <= set(ops.values()), ops
    for i in ops:
        assert _step(base["path"], argv, allowed, work, "kill", i)[0] == ops[i]
    nospc = [i for i in ops if ops[i] in ("write", "fsync")]
    for i in nospc:
        assert _step(base["path"], argv, allowed, work, "ENOSPC", i)[0] == ops[i]
    print(f"failpoints {kind}: {len(ops)} calls, each failed with EIO and killed; "
          f"{len(nospc)} ENOSPC; EIO left old {seen.get('old', 0)}, new {seen.get('new', 0)}")
    assert seen.get("old") and seen.get("new"), seen


def test_reader_io_failures(base, work):
    """The reader's calls (open, mmap) of verify and export fail one at a
    time: a clear error or the damage named, exit 1, never a crash, and
    the store is untouched."""
    store = str(work / "r.gdb")
    shutil.copytree(base["path"], store)
    before = U.snapshot(store)
    ops = []
    for cmd in (["verify", store], ["export", "fasta", store, "chrM", "chrM:1-100"]):
        clean = U.gdb(*cmd)
        assert clean.rc == 0, clean
        n = 0
        while True:
            n += 1
            log = str(work / f"r{n}.log")
            env = dict(os.environ, GENOMEDB_FAILPOINT=f"{n}:EIO", GENOMEDB_FAILPOINT_LOG=log)
            r = U.run([FP_BINARY] + cmd, env=env)
            if not os.path.exists(log):
                assert r.rc == 0, r
                break
            op = open(log).read().split()[1]
            os.unlink(log)
            ops.append(op)
            assert store in r.err, (cmd, n, op, r)
            if r.rc == 0:
                # Damage stays local: another assembly's segment failed
                # (named), or verify's notes on newer manifests (a warning).
                assert r.out == clean.out, (cmd, n, op, r)
                assert "'b37' is damaged" in r.err or "warning" in r.err, (cmd, n, op, r)
            else:
                assert r.rc == 1, (cmd, n, op, r)
    assert "mmap" in ops and "open" in ops, ops
    assert U.snapshot(store) == before
