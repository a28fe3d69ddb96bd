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


def _walk_maint(store0, argv, work, check):
    """Fail (EIO) or kill each I/O call of a maintenance command in turn,
    on a fresh copy of store0; check(store, r, op, mode) after each.
    @return the ops walked"""
    ops, n = [], 0
    while True:
        n += 1
        for mode in ("EIO", "kill"):
            store, log = str(work / f"m{mode}{n}.gdb"), str(work / f"m{mode}{n}.log")
            shutil.copytree(store0, store)
            env = dict(os.environ, GENOMEDB_FAILPOINT=f"{n}:{mode}", GENOMEDB_FAILPOINT_LOG=log)
            r = _run(FP_BINARY, argv, store, env=env)
            op = open(log).read().split()[1] if os.path.exists(log) else None
            if op is None:
                assert r.rc == 0, (argv, n, r)
            elif mode == "kill":
                assert r.rc == -9, (argv, n, op, r)
            else:
                # an error naming the store; or success where the call
                # was optional (gc keeps every segment, with a warning,
                # when a manifest could not be read; the trim after a
                # commit): check() then holds it to the result
                assert r.rc == 0 or (r.rc == 1 and store in r.err), (argv, n, op, r)
            check(store, r, op, mode)
            shutil.rmtree(store)
            if op is None:
                return ops
        ops.append(op)


def _files(store):
    return sorted(f for f in os.listdir(store) if f != "LOCK")


def test_gc_and_drop_io_failures(base, work):
    """gc and drop (a commit without a segment) under a failed or killed
    I/O call: the live generation is never touched by gc; drop leaves
    exactly the old or the new generation; the next plain run completes."""
    store0 = str(work / "g.gdb")
    shutil.copytree(base["path"], store0)
    for argv in (["import", "fasta", store0, "--assembly", "lambda",
                  os.path.join(U.DATA, "phage_lambda_NC_001416.fa.gz"), "--quiet"],
                 ["drop", store0, "chrM"]):
        assert U.gdb(*argv).rc == 0
    live = _live(store0)
    clean = str(work / "clean.gdb")
    shutil.copytree(store0, clean)
    assert U.gdb("gc", clean).rc == 0
    assert _files(clean) != _files(store0)

    def after_gc(store, r, op, mode):
        assert U.gdb("verify", store).rc == 0, (op, mode)
        assert _live(store) == live, (op, mode)
        assert U.gdb("gc", store).rc == 0
        assert _files(store) == _files(clean), (op, mode)

    ops = _walk_maint(store0, ["gc", "{s}"], work, after_gc)
    assert "open" in ops and "fsync" in ops, ops

    ref = str(work / "dropped.gdb")
    shutil.copytree(store0, ref)
    assert U.gdb("drop", ref, "lambda").rc == 0
    allowed = {"old": live, "new": _live(ref)}

    def after_drop(store, r, op, mode):
        assert _check_store(store, allowed, f"drop, {mode} at {op}")

    ops = _walk_maint(store0, ["drop", "{s}", "lambda"], work, after_drop)
    assert {"write", "fsync", "rename"} <= set(ops), ops


def test_repair_io_failures(base, work):
    """verify --repair of a damaged CURRENT under a failed or killed I/O
    call: CURRENT is either as damaged as before or names the newest whole
    manifest, nothing else changes, and the next plain repair completes."""
    store0 = str(work / "d.gdb")
    shutil.copytree(base["path"], store0)
    want = open(os.path.join(store0, "CURRENT"), "rb").read()
    bad = b"MANIFEST-000009 00000000\n"
    open(os.path.join(store0, "CURRENT"), "wb").write(bad)
    segs = {f: open(os.path.join(store0, f), "rb").read()
            for f in os.listdir(store0) if f.startswith(("seg-", "MANIFEST-"))}

    def after(store, r, op, mode):
        cur = open(os.path.join(store, "CURRENT"), "rb").read()
        assert cur in (bad, want), (op, mode, cur)
        for f, b in segs.items():
            assert open(os.path.join(store, f), "rb").read() == b, (op, mode, f)
        r2 = U.gdb("verify", store, "--repair")
        assert r2.rc == 0, (op, mode, r2)
        assert open(os.path.join(store, "CURRENT"), "rb").read() == want
        assert not [f for f in os.listdir(store) if f.endswith(".tmp")], (op, mode)

    ops = _walk_maint(store0, ["verify", "{s}", "--repair"], work, after)
    assert {"open", "write", "fsync", "rename"} <= set(ops), ops
