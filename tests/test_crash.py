"""Crash safety: `kill -9` an import at many points; the previous generation must
stay whole, and the next writer (or verify --repair) removes the leftovers."""
import collections
import hashlib
import json
import os
import re
import signal
import subprocess
import time

import pytest

import gdbutil as U

BASE = "chrM"
BASE_FILE = os.path.join(U.DATA, "human_hg38_chrM.fa")
NEXT_FILE = os.path.join(U.DATA, "phage_lambda_NC_001416.fa.gz")


def _init(path):
    r = U.gdb("init", path)
    assert r.rc == 0, r
    r = U.gdb("import", "fasta", path, "--assembly", BASE, BASE_FILE, "--quiet")
    assert r.rc == 0, r
    return str(path)


def _info(store):
    r = U.gdb("info", store, "--json")
    assert r.rc == 0, r
    return json.loads(r.out)


def _kinds(store):
    """Multiset of file-name shapes (digits folded) plus the segment sizes."""
    kinds = collections.Counter()
    segs = []
    for root, _dirs, files in os.walk(store):
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), store)
            kinds[re.sub(r"\d+", "N", rel)] += 1
            if re.fullmatch(r"seg-\d+\.gdb", f):
                segs.append(os.path.getsize(os.path.join(root, f)))
    return kinds, sorted(segs)


@pytest.fixture(scope="module")
def big_md5(big_fasta):
    """{contig: (length, md5)} of the big FASTA, computed independently."""
    out, name, h, n = {}, None, None, 0
    with open(big_fasta, "rb") as f:
        for line in f:
            if line.startswith(b">"):
                if name:
                    out[name] = (n, h.hexdigest())
                name, h, n = line[1:].split()[0].decode(), hashlib.md5(), 0
            else:
                s = line.rstrip(b"\n").upper()
                h.update(s)
                n += len(s)
    out[name] = (n, h.hexdigest())
    return out


@pytest.fixture(scope="module")
def refs(genomedb, tmp_path_factory):
    """File shapes of stores built without any crash, to compare against."""
    d = tmp_path_factory.mktemp("crashref")
    r1 = _init(d / "r1.gdb")
    k1 = _kinds(r1)
    r = U.gdb("import", "fasta", r1, "--assembly", "next", NEXT_FILE, "--quiet")
    assert r.rc == 0, r
    return {"base": k1, "next": _kinds(r1)}


def _start_import(store, big):
    return subprocess.Popen([U.BINARY, "import", "fasta", store, "--assembly", "big", big, "--quiet"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _listing(store):
    out = {}
    for root, _d, files in os.walk(store):
        for f in files:
            p = os.path.join(root, f)
            try:
                out[os.path.relpath(p, store)] = os.path.getsize(p)
            except FileNotFoundError:
                pass
    return out


def _trigger(kind, store, initial):
    """A predicate over the store directory, or a delay in seconds."""
    if kind == "new-file":
        return lambda: any(k not in initial for k in _listing(store))
    if kind == "segment-1MB":
        return lambda: any(k not in initial and v >= 1 << 20 for k, v in _listing(store).items())
    if kind == "current-tmp":
        return lambda: os.path.exists(os.path.join(store, "CURRENT.tmp"))
    if kind == "new-manifest":
        return lambda: any(k not in initial and k.startswith("MANIFEST") for k in _listing(store))
    return float(kind)


def _crash(store, big, kind, timeout=300):
    """Start the big import, kill -9 it at the trigger; returns
    (fired_while_running, returncode, stderr)."""
    initial = _listing(store)
    trig = _trigger(kind, store, initial)
    p = _start_import(store, big)
    t0 = time.monotonic()
    fired = False
    if isinstance(trig, float):
        if trig > 0:
            time.sleep(trig)
        fired = p.poll() is None
    else:
        while p.poll() is None and time.monotonic() - t0 < timeout:
            if trig():
                fired = True
                break
            time.sleep(0.001)
    if p.poll() is None:
        p.send_signal(signal.SIGKILL)
    rc = p.wait()
    err = p.stderr.read().decode("utf-8", "replace")
    U.check_sanitizer(err, "genomedb import (crashed)")
    return fired, rc, err


def _check_consistent(store, info0, big_md5, tmp_path):
    """verify is clean and the state is exactly old or exactly old+big.
    Returns 'old' or 'new'."""
    v = U.gdb("verify", store)
    assert v.rc == 0, f"verify after crash: {v}"
    info = _info(store)
    names = [a["name"] for a in info["assemblies"]]
    base0 = [a for a in info0["assemblies"] if a["name"] == BASE][0]
    base = [a for a in info["assemblies"] if a["name"] == BASE][0]
    assert base == base0, "base assembly changed"
    if info["generation"] == info0["generation"]:
        assert names == [BASE], names
        state = "old"
    else:
        assert info["generation"] == info0["generation"] + 1, info["generation"]
        assert sorted(names) == sorted([BASE, "big"]), names
        big = [a for a in info["assemblies"] if a["name"] == "big"][0]
        assert {c["name"]: (c["length"], c["md5"]) for c in big["contigs"]} == big_md5
        state = "new"
    if os.path.exists("/dev/fuse"):
        with U.mounted(store, tmp_path) as m:
            rec = U.parse_fasta(U.read_maybe_gz(BASE_FILE))[0][0]
            assert U.read_file(m.p(BASE, BASE + ".fa")) == b">" + rec.header + b"\n" + U.wrap(rec.seq)
            assert U.read_file(m.p(BASE, rec.name, "3000-3200.seq")) == rec.seq[2999:3200]
            if state == "old":
                assert not os.path.exists(m.p("big"))
    elif U.IN_CI:
        pytest.fail("/dev/fuse missing under CI=true")
    return state


KILL_POINTS = ["0", "0.01", "0.03", "0.06", "0.1", "0.2", "new-file", "segment-1MB",
               "new-manifest", "current-tmp"]


@pytest.mark.parametrize("kind", KILL_POINTS)
def test_kill_import(genomedb, tmp_path, big_fasta, big_md5, refs, kind):
    store = _init(tmp_path / "c.gdb")
    info0 = _info(store)
    fired, rc, err = _crash(store, big_fasta, kind)
    state = _check_consistent(store, info0, big_md5, tmp_path)
    print(f"kill at {kind}: fired while running={fired}, rc={rc}, state={state}")
    if kind in ("0", "segment-1MB") and fired:
        assert state == "old", f"killed at {kind} while running, yet the import committed"
    if state == "old" and rc != -signal.SIGKILL:
        pytest.fail(f"import exited {rc} by itself without committing: {err}")
    # A commit killed after its manifest but before CURRENT named it leaves
    # a manifest newer than the live one. No cleaner removes it unasked:
    # it could as well be a generation a damaged CURRENT lost.
    newer = _newer_manifests(store)
    if state == "new":
        assert not newer, newer
    # alternate between the two cleaners: verify --repair, or the next import
    if KILL_POINTS.index(kind) % 2 == 0:
        r = U.gdb("verify", store, "--repair")
        assert r.rc == 0, r
        if newer:
            assert "newer than the live generation" in r.out.decode(), r.out
            assert _newer_manifests(store) == newer, "repair removed a newer manifest unasked"
            r = U.gdb("verify", store, "--repair", "--discard-newer")
            assert r.rc == 0, r
            assert "removed 1 manifest newer than the live one" in r.out.decode(), r.out
        if state == "old":
            assert _kinds(store) == refs["base"], "verify --repair left files behind"
        assert _info(store)["generation"] == info0["generation"] + (state == "new")
    else:
        r = U.gdb("import", "fasta", store, "--assembly", "next", NEXT_FILE, "--quiet")
        assert r.rc == 0, r
        info = _info(store)
        # numbered past a kept newer manifest, never over it
        assert info["generation"] == info0["generation"] + 1 + (state == "new") + len(newer)
        assert "next" in [a["name"] for a in info["assemblies"]]
        if state == "old" and newer:
            r = U.gdb("gc", store)            # superseded now: gc removes it
            assert r.rc == 0, r
            assert _kinds(store)[1] == refs["next"][1], "gc left the dead commit's segment"
        elif state == "old":
            assert _kinds(store) == refs["next"], "the next import did not remove leftovers"
    assert U.gdb("verify", store).rc == 0


def _newer_manifests(store):
    live = int(open(os.path.join(store, "CURRENT")).read().split()[0].split("-")[1])
    return sorted(f for f in os.listdir(store)
                  if re.fullmatch(r"MANIFEST-\d+", f) and int(f.split("-")[1]) > live)


def test_big_import_after_crash(genomedb, tmp_path, big_fasta, big_md5):
    """After a crash mid-write the same big import succeeds in full, and the
    store holds no more than a clean store with the same content."""
    store = _init(tmp_path / "c.gdb")
    info0 = _info(store)
    _crash(store, big_fasta, "segment-1MB")
    _check_consistent(store, info0, big_md5, tmp_path)
    t0 = time.monotonic()
    r = U.gdb("import", "fasta", store, "--assembly", "big2", big_fasta, "--quiet")
    assert r.rc == 0, r
    took = time.monotonic() - t0
    info = _info(store)
    big = [a for a in info["assemblies"] if a["name"] == "big2"][0]
    assert {c["name"]: (c["length"], c["md5"]) for c in big["contigs"]} == big_md5
    clean = _init(tmp_path / "clean.gdb")
    r = U.gdb("import", "fasta", clean, "--assembly", "big2", big_fasta, "--quiet")
    assert r.rc == 0, r
    assert _kinds(store)[1] == _kinds(clean)[1], "segment files differ from a crash-free store"
    assert U.gdb("verify", store).rc == 0
    print(f"big import: {os.path.getsize(big_fasta) / took / 1e6:.0f} MB/s")


def test_concurrent_writers(genomedb, tmp_path, big_fasta, big_md5):
    """Two imports at once: each either succeeds or fails cleanly; no lost update."""
    store = _init(tmp_path / "c.gdb")
    info0 = _info(store)
    p1 = _start_import(store, big_fasta)
    time.sleep(0.05)
    r2 = U.gdb("import", "fasta", store, "--assembly", "small", NEXT_FILE, "--quiet")
    rc1 = p1.wait(300)
    err1 = p1.stderr.read().decode()
    U.check_sanitizer(err1, "import big")
    assert rc1 in (0, 1) and r2.rc in (0, 1), (rc1, err1, r2)
    info = _info(store)
    names = sorted(a["name"] for a in info["assemblies"])
    want = sorted([BASE] + (["big"] if rc1 == 0 else []) + (["small"] if r2.rc == 0 else []))
    assert names == want, (names, rc1, err1, r2)
    assert info["generation"] == info0["generation"] + (rc1 == 0) + (r2.rc == 0)
    assert U.gdb("verify", store).rc == 0


def test_readers_during_import(genomedb, tmp_path, big_fasta):
    """A mounted store keeps serving correct data while a writer commits."""
    U.require_fuse()
    store = _init(tmp_path / "c.gdb")
    rec = U.parse_fasta(U.read_maybe_gz(BASE_FILE))[0][0]
    with U.mounted(store, tmp_path) as m:
        p = _start_import(store, big_fasta)
        n = 0
        while p.poll() is None or n < 50:
            s = 1 + (n * 997) % (rec.length - 200)
            got = U.read_file(m.p(BASE, rec.name, f"{s}-{s + 150}.seq"))
            assert got == rec.seq[s - 1:s + 150], (s, n)
            n += 1
        assert p.wait() == 0, p.stderr.read()
    assert U.gdb("verify", store).rc == 0


def test_mount_keeps_its_generation(genomedb, tmp_path):
    """docs/PATHS.md: a mount serves the generation current when it started;
    later imports become visible on the next mount."""
    U.require_fuse()
    store = _init(tmp_path / "c.gdb")
    g0 = _info(store)["generation"]
    with U.mounted(store, tmp_path) as m:
        r = U.gdb("import", "fasta", store, "--assembly", "later", NEXT_FILE, "--quiet")
        assert r.rc == 0, r
        assert not os.path.exists(m.p("later"))
        st = json.loads(U.read_file(m.p(".gdb", "stats.json")))
        assert st["generation"] == g0
        assert U.read_file(m.p(BASE, BASE + ".fa")).startswith(b">chrM")
    with U.mounted(store, tmp_path, name="mnt2") as m:
        assert os.path.exists(m.p("later", "later.fa"))
        assert json.loads(U.read_file(m.p(".gdb", "stats.json")))["generation"] == g0 + 1
