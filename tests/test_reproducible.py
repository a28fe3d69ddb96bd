"""Reproducible stores: the same inputs imported twice, into two stores, give
byte-identical segments, manifests equal but for the provenance times, and
identical answers (exports, info, and files read through a mount served
with one FUSE worker thread and with two). GENOMEDB_THREADS=1 and 2 are set
for the two imports as well: the FASTA import digests on two threads of its
own unless GENOMEDB_THREADS=1, and the bytes must not depend on it."""
import json
import os
import re

import pytest

import gdbutil as U
import storefmt as F
import variants_util as V

IMPORTS = [
    ["import", "fasta", "s.gdb", "--assembly", "yeast", V.YEAST, "--quiet"],
    ["import", "fasta", "s.gdb", "--assembly", "lambda",
     os.path.join(U.DATA, "phage_lambda_NC_001416.fa.gz"), "--quiet"],
    ["import", "fasta", "s.gdb", "--assembly", "b37", V.KG_REF, "--quiet"],
    ["import", "graph", "s.gdb", "--network", "gal",
     os.path.join(U.DATA, "graph", "galFiltered.sif"), "--quiet"],
    ["import", "graph", "s.gdb", "--network", "core",
     os.path.join(U.DATA, "graph", "e_coli_core.xml"), "--quiet"],
    ["import", "motifs", "s.gdb", "--set", "hand",
     os.path.join(U.DATA, "motifs", "hand.jaspar"), "--quiet"],
    ["import", "vcf", "s.gdb", "--set", "kg", "--reference", "b37", "{vcf}"],
]


def _build(workdir, vcf, threads, epoch):
    """Every import, run from workdir with the store named relatively, so
    the recorded command lines are the same in both stores."""
    os.makedirs(workdir)
    env = dict(os.environ, GENOMEDB_THREADS=str(threads), SOURCE_DATE_EPOCH=str(epoch))
    r = U.run([U.BINARY, "init", os.path.join(workdir, "s.gdb")])
    assert r.rc == 0, r
    for argv in IMPORTS:
        args = [a.replace("{vcf}", vcf) for a in argv]
        p = U.subprocess.run([U.BINARY] + args, cwd=workdir, env=env, capture_output=True)
        assert p.returncode == 0, (args, p.stderr)
    return os.path.join(workdir, "s.gdb")


def _manifest_without_times(path):
    """The manifest bytes with each provenance time and the trailing CRC
    blanked: the only bytes allowed to differ."""
    b = bytearray(open(path, "rb").read())
    prov = F.parse(b)["prov"]
    for p in prov:
        b[p[6]:p[6] + 8] = bytes(8)
    b[-4:] = bytes(4)
    return bytes(b), [p[5] for p in prov]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    d = tmp_path_factory.mktemp("repro")
    vcf = V.vcf_subset(d / "sub.vcf.gz")
    one = _build(str(d / "one"), vcf, 1, 1700000000)
    two = _build(str(d / "two"), vcf, 2, 1700003600)
    return one, two


def test_segments_and_manifests_identical(pair):
    one, two = pair
    names = sorted(os.listdir(one))
    assert names == sorted(os.listdir(two))
    segs = [n for n in names if re.fullmatch(r"seg-\d+\.gdb", n)]
    assert len(segs) == len(IMPORTS)
    for n in segs:
        with open(os.path.join(one, n), "rb") as a, open(os.path.join(two, n), "rb") as b:
            assert a.read() == b.read(), n
    cur = open(os.path.join(one, "CURRENT")).read().split()[0]
    assert open(os.path.join(two, "CURRENT")).read().split()[0] == cur
    m1, t1 = _manifest_without_times(os.path.join(one, cur))
    m2, t2 = _manifest_without_times(os.path.join(two, cur))
    assert m1 == m2
    # The times did differ (SOURCE_DATE_EPOCH an hour apart): they are the
    # only difference, and no segment, which answers are read from, has them.
    assert set(t1) == {1700000000} and set(t2) == {1700003600}


def test_provenance_sha256_is_the_files(pair):
    """Each FASTA's provenance SHA-256, hashed on a thread of its own with
    GENOMEDB_THREADS=2 and inline with 1, is the file's own (the 1 MB
    gzip reference spans several of the hasher's 256 KiB hand-offs)."""
    import hashlib
    fastas = [a[-2] for a in IMPORTS if a[:2] == ["import", "fasta"]]
    want = {p: hashlib.sha256(open(p, "rb").read()).hexdigest() for p in fastas}
    for store in pair:
        prov = json.loads(U.gdb("info", store, "--json").out)["provenance"]
        got = {p["source"]: p["sha256"] for p in prov if p["source"] in want}
        assert got == want, store


def _answers(store):
    out = {}
    info = json.loads(U.gdb("info", store, "--json").out)
    for p in info["provenance"]:
        p.pop("time")
    info.pop("store")
    out["info"] = info
    for asm in ("yeast", "lambda"):
        out[asm] = U.gdb("export", "fasta", store, asm).out
    out["vcf"] = U.gdb("export", "vcf", store, "kg").out
    return out


def test_cli_answers_identical(pair):
    a, b = (_answers(s) for s in pair)
    assert a["yeast"] and a["vcf"]
    assert a == b


MOUNT_FILES = [
    "yeast/chrI/1000-2000.fa",
    "lambda",
    "graph/@gal/pathways",
    "variants/kg/samples.tsv",
    "variants/kg/20/1000000-1100000.vcf",
    "variants/kg/20/1000000-1100000.gt.npy",
    "variants/kg/20/1000000-1100000.sites.tsv",
    "variants/kg/20/1000000-1100000.vcf.gz",
]


@pytest.mark.mount
def test_mounted_answers_identical(pair, tmp_path):
    U.require_fuse()
    got = []
    for store, threads in zip(pair, ("1", "2")):
        with U.mounted(store, tmp_path, args=("--threads", threads), name=f"m{threads}") as m:
            ans = {}
            for rel in MOUNT_FILES:
                p = os.path.join(m.path, rel)
                ans[rel] = sorted(os.listdir(p)) if os.path.isdir(p) else U.read_file(p)
            got.append(ans)
    assert got[0]["variants/kg/20/1000000-1100000.vcf"]
    assert got[0] == got[1]
