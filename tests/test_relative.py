"""Issue 14, collections of related genomes: `import fasta --codec cm
--relative-to ASM` stores a strain with models and matches taken from
another stored assembly (docs/FORMAT.md "CM model version 3", manifest
version 2). Served exactly by export, the mount and the Python package
(peers: the source bytes and samtools faidx on them); the reference can be
neither dropped nor replaced while a strain needs it; a damaged reference
block is EIO for the strain, logged, never wrong bases; bad arguments exit
2 and leave the store as it was.

Data: the four S. aureus genomes (12 kb of each, tests/data/README.md),
one file per genome; the first is the reference.
"""
import glob
import json
import os
import random
import subprocess

import pytest

import gdbutil as U
import storefmt

SAUR = os.path.join(U.DATA, "saureus_4x12k.fa")
PROT = os.path.join(U.DATA, "ecoli_proteins_150.faa")
SMALL = ["--block-bases", "4096", "--cm-table-bits", "16", "--cm-restart", "1024"]
REL = ["--codec", "cm", "--relative-to", "ref"] + SMALL
STRAINS = ("s1", "s2", "s3")


def _split(d):
    """One plain FASTA (with a samtools .fai) per genome of SAUR."""
    recs = []
    for line in open(SAUR, "rb"):
        if line.startswith(b">"):
            recs.append(b"")
        recs[-1] += line
    out = []
    for i, rec in enumerate(recs):
        path = os.path.join(str(d), f"g{i}.fa")
        with open(path, "wb") as f:
            f.write(rec)
        r = subprocess.run(["samtools", "faidx", path], capture_output=True)
        assert r.returncode == 0, r.stderr
        out.append(path)
    assert len(out) == 4
    return out


def _build(d):
    files = _split(d)
    store = os.path.join(str(d), "s.gdb")
    assert U.gdb("init", store).rc == 0
    r = U.gdb("import", "fasta", store, "--assembly", "ref", files[0],
              "--block-bases", "4096")
    assert r.rc == 0, r
    for name, f in zip(STRAINS, files[1:]):
        r = U.gdb("import", "fasta", store, "--assembly", name, f, *REL)
        assert r.rc == 0, r
    return store, files


@pytest.fixture(scope="module")
def rel(tmp_path_factory):
    d = tmp_path_factory.mktemp("rel")
    return _build(d)


def _info(store):
    return {a["name"]: a for a in json.loads(U.gdb("info", store, "--json").out)["assemblies"]}


def _name(fa):
    return open(fa).readline()[1:].split()[0]


def _regions(fa, n, seed):
    name, rng = _name(fa), random.Random(seed)
    length = int(open(fa + ".fai").readline().split("\t")[1])
    regs = [f"{name}:1-1", f"{name}:4096-4097", f"{name}:{length}-{length}"]
    for _ in range(n):
        s = rng.randint(1, length)
        regs.append(f"{name}:{s}-{min(length, s + rng.randint(0, 1500))}")
    return name, length, regs


def _faidx(fa, *regs):
    r = subprocess.run(["samtools", "faidx", fa, *regs], capture_output=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_export_and_regions_match_the_source(rel):
    store, files = rel
    info = _info(store)
    assert info["ref"]["relative_to"] is None
    for name, fa in zip(STRAINS, files[1:]):
        a = info[name]
        assert a["relative_to"] == "ref" and a["codec"] == "cm", a
        # a strain costs a fraction of its 2-bit size (12 kb: 3,000 bytes)
        assert a["stored_bytes"] - a["model_bytes"] < 1500, a
        got = U.gdb("export", "fasta", store, name)
        want = open(fa, "rb").read()
        assert got.rc == 0 and got.out == want, U.first_diff(got.out, want)
        _, _, regs = _regions(fa, 30, name)
        out = U.gdb("export", "fasta", store, name, *regs)
        assert out.rc == 0, out
        want = _faidx(fa, *regs)
        assert out.out == want, U.first_diff(out.out, want)
    txt = U.gdb("info", store).out.decode()
    assert "stored relative to assembly ref" in txt, txt
    assert "trained on the reference's blocks, the first 3 blocks" in txt, txt
    # manifest version 2 names each strain's reference and its segment
    # (tests/storefmt.py reads it per docs/FORMAT.md)
    mf = storefmt.live(store)
    segs = {e[0]: e[1] for e in mf["entries"]}
    assert mf["version"] == 2
    assert mf["refs"] == {s.encode(): (b"ref", segs[b"ref"]) for s in STRAINS}
    assert U.gdb("verify", store).rc == 0


def test_mount_and_python_serve_the_strains(rel, tmp_path):
    store, files = rel
    U.require_fuse()
    import python_util  # noqa: F401  (puts the package on sys.path)
    import genomedb
    with U.mounted(store, tmp_path) as m:
        for name, fa in zip(STRAINS, files[1:]):
            contig, _, regs = _regions(fa, 10, name + "m")
            whole = U.read_file(m.p(name, U.esc(contig) + ".fa"))
            # the source's header line, then the bases as samtools writes them
            head, body = whole.split(b"\n", 1)
            assert head == open(fa, "rb").readline().rstrip(b"\n")
            assert body == _faidx(fa, contig).split(b"\n", 1)[1]
            # its .fa.fai is the one samtools writes for that .fa
            copy = str(tmp_path / f"{name}.fa")
            with open(copy, "wb") as f:
                f.write(whole)
            _faidx(copy)
            assert U.read_file(m.p(name, U.esc(contig) + ".fa.fai")) == \
                U.read_file(copy + ".fai")
            for reg in regs:
                s, e = reg.rsplit(":", 1)[1].split("-")
                got = U.read_file(m.p(name, U.esc(contig), f"{s}-{e}.fa"))
                assert got == _faidx(fa, reg), reg
    with genomedb.open(store) as s:
        for name, fa in zip(STRAINS, files[1:]):
            contig, _, regs = _regions(fa, 10, name + "p")
            a = s.assembly(name)
            for reg in regs:
                b, e = (int(x) for x in reg.rsplit(":", 1)[1].split("-"))
                want = b"".join(_faidx(fa, reg).split(b"\n")[1:]).decode()
                assert a.fetch(contig, b, e) == want, reg


def _err(r):
    return r.err if isinstance(r.err, str) else r.err.decode()


def test_bad_reference_arguments_exit_2_store_unchanged(rel, tmp_path):
    store, files = rel
    prot = str(tmp_path / "p.gdb")
    assert U.gdb("init", prot).rc == 0
    assert U.gdb("import", "fasta", prot, "--assembly", "ref", files[0]).rc == 0
    assert U.gdb("import", "fasta", prot, "--assembly", "prot", PROT).rc == 0
    assert U.gdb("import", "fasta", prot, "--assembly", "s1", files[1], *REL).rc == 0
    cases = [
        (store, ["--codec", "cm", "--relative-to", "nosuch"], "no assembly 'nosuch'"),
        (store, ["--relative-to", "ref"], "--relative-to needs --codec cm"),
        (store, ["--codec", "2bit", "--relative-to", "ref"], "--relative-to needs --codec cm"),
        (prot, ["--codec", "cm", "--relative-to", "prot"], "is protein, not DNA"),
        (store, ["--codec", "cm", "--relative-to", "s1"],
         "'s1' is itself stored relative to 'ref'"),
        (store, ["--codec", "cm", "--relative-to", "new", "--replace"],
         "relative to itself"),
    ]
    for st, args, msg in cases:
        before = U.snapshot(st)
        r = U.gdb("import", "fasta", st, "--assembly", "new", files[2], *args)
        assert r.rc == 2 and msg in _err(r), (args, r)
        diff = U.snapshot_diff(before, U.snapshot(st))
        assert diff == "", (args, diff)


def test_reference_cannot_be_dropped_or_replaced(tmp_path):
    store, files = _build(tmp_path)
    want = U.gdb("export", "fasta", store, "s2").out
    before = U.snapshot(store)
    r = U.gdb("drop", store, "ref")
    assert r.rc == 1, r
    assert "cannot drop assembly 'ref': assembly 's1' is stored relative to it" in _err(r), r
    r = U.gdb("import", "fasta", store, "--assembly", "ref", files[1], "--replace")
    assert r.rc == 1 and "cannot replace assembly 'ref'" in _err(r), r
    assert U.snapshot_diff(before, U.snapshot(store)) == ""
    assert U.gdb("gc", store).rc == 0
    assert U.gdb("export", "fasta", store, "s2").out == want
    # once no strain needs it, it goes
    for s in STRAINS:
        assert U.gdb("drop", store, s).rc == 0
    # no relative assembly left: the manifest is version 1 again
    assert storefmt.live(store)["version"] == 1
    assert U.gdb("drop", store, "ref").rc == 0
    assert U.gdb("gc", store).rc == 0
    assert _info(store) == {}


def _ref_segment(store):
    """The reference's segment: the first import's, the lowest id."""
    return sorted(glob.glob(os.path.join(store, "seg-*.gdb")))[0]


def test_damaged_reference_block_is_eio_for_the_strain(tmp_path):
    """The strain's model is built from the reference's blocks: one of them
    damaged makes the strain's reads fail (EIO, logged naming the
    reference's place), never wrong bases; the reference's other blocks
    still read."""
    store, files = _build(tmp_path)
    ref_name = _name(files[0])
    last = U.gdb("export", "fasta", store, "ref", f"{ref_name}:9000-9100").out
    seg = _ref_segment(store)
    with open(seg, "r+b") as f:  # 2-bit block 0: header, then packed bases
        f.seek(64 + 40)
        b = f.read(1)
        f.seek(64 + 40)
        f.write(bytes([b[0] ^ 0xFF]))
    for s, fa in zip(STRAINS, files[1:]):
        bad = U.gdb("export", "fasta", store, s, _name(fa) + ":5000-5100")
        assert bad.rc != 0 and bad.out == b"", bad
        e = _err(bad)
        assert "checksum mismatch in ref/" in e and "stored relative to assembly ref" in e, e
    assert U.gdb("export", "fasta", store, "ref", f"{ref_name}:9000-9100").out == last
    U.require_fuse()
    with U.mounted(store, tmp_path) as m:
        c = _name(files[1])
        U.expect_errno(lambda: U.read_file(m.p("s1", U.esc(c), "100-200.fa")), (5,))
        assert "stored relative to assembly ref" in m.log_text()
