"""Motif sets (`genomedb import motifs`, docs/PATHS.md "Motif scans") and
/compute/motif/.../pwm/<id>.bed through a mount. The oracle is written here
from the definitions in the docs, independently of the C code: JASPAR and
MEME parsed in Python, the integer log-odds matrix, the exact p-value
threshold by dynamic programming, a numpy scan of both strands; Biopython's
PSSM scores the reported hits as a second opinion. Importer errors name the
file and line and leave the store byte-identical."""
import errno
import hashlib
import math
import os
import re

import numpy as np
import pytest

import gdbutil as U

pytestmark = pytest.mark.mount

MOTIFS = os.path.join(U.DATA, "motifs")
FILES = [os.path.join(MOTIFS, f) for f in ("hand.jaspar", "hand.meme", "bare.pfm")]
SCALE = 100


# ------------------------------------------------------------------ oracle

def parse_jaspar(text, stem):
    out, cur = [], None
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith(">"):
            parts = re.split(r"[ \t]+", s[1:], maxsplit=1)
            cur = {"id": parts[0], "name": parts[1].strip() if len(parts) > 1 else "", "rows": []}
            out.append(cur)
            continue
        if cur is None or len(cur["rows"]) == 4:
            cur = {"id": stem, "name": "", "rows": []}
            out.append(cur)
        if s[0] in "ACGTacgt":
            s = s[1:]
        cur["rows"].append([float(x) for x in s.replace("[", " ").replace("]", " ").split()])
    return [(m["id"], m["name"], np.array(m["rows"]).T) for m in out]   # columns x ACGT


def parse_meme(text):
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        s = lines[i].strip()
        if s.startswith("MOTIF"):
            parts = s.split(None, 2)
            mid, name = parts[1], parts[2] if len(parts) > 2 else ""
            while not lines[i].strip().startswith("letter-probability"):
                i += 1
            hdr = lines[i]
            w = int(re.search(r"w=\s*(\d+)", hdr).group(1))
            ns = re.search(r"nsites=\s*([0-9.eE+-]+)", hdr)
            nsites = float(ns.group(1)) if ns else 20.0
            rows = []
            while len(rows) < w:
                i += 1
                if lines[i].strip():
                    rows.append([float(x) * nsites for x in lines[i].split()])
            out.append((mid, name, np.array(rows)))
        i += 1
    return out


def all_motifs():
    ms = parse_jaspar(open(FILES[0]).read(), "hand")
    ms += parse_meme(open(FILES[1]).read())
    ms += parse_jaspar(open(FILES[2]).read(), "bare")
    return ms


def lround(x):
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def matrix(counts, pseudo=0.8):
    """Integer log-odds, 1/100 bit units, uniform background (PATHS.md)."""
    m = np.zeros(counts.shape, dtype=np.int64)
    for j, col in enumerate(counts):
        tot = col.sum()
        for b in range(4):
            m[j, b] = lround(SCALE * math.log2(((col[b] + pseudo * 0.25) / (tot + pseudo)) / 0.25))
    return m


def threshold(m, p):
    """Smallest reachable score whose P(score >= t) <= p, exactly (the
    probabilities are multiples of 4^-len, exact in binary floating point)."""
    dist = {0: 1.0}
    for col in m:
        nd = {}
        for s, pr in dist.items():
            for v in col:
                nd[s + int(v)] = nd.get(s + int(v), 0.0) + pr * 0.25
        dist = nd
    best, tail = int(sum(col.max() for col in m)) + 1, 0.0
    for s in sorted(dist, reverse=True):
        tail += dist[s]
        if tail > p * (1 + 1e-12):
            break
        best = s
    return best


CODE = np.full(256, 4, dtype=np.int64)
for _i, _c in enumerate("ACGT"):
    CODE[ord(_c)] = CODE[ord(_c.lower())] = _i


def scan(m, seq, t):
    """[(pos, score, strand)] by position, '+' before '-'."""
    codes = CODE[np.frombuffer(seq.encode(), dtype=np.uint8)]
    L, n = len(m), len(seq)
    if n < L:
        return []
    ok = np.ones(n - L + 1, dtype=bool)
    fw = np.zeros(n - L + 1, dtype=np.int64)
    rc = np.zeros(n - L + 1, dtype=np.int64)
    mr = m[::-1, ::-1]                                 # reverse complement
    mf = np.vstack([m.T, np.zeros(L, dtype=np.int64)]).T
    mrf = np.vstack([mr.T, np.zeros(L, dtype=np.int64)]).T
    for j in range(L):
        c = codes[j:j + n - L + 1]
        ok &= c < 4
        fw += mf[j][np.minimum(c, 4)]
        rc += mrf[j][np.minimum(c, 4)]
    hits = []
    for i in np.nonzero(ok & ((fw >= t) | (rc >= t)))[0]:
        if fw[i] >= t:
            hits.append((int(i), int(fw[i]), "+"))
        if rc[i] >= t:
            hits.append((int(i), int(rc[i]), "-"))
    return hits


def fmt_score(v):
    a = abs(v)
    return f"{'-' if v < 0 else ''}{a // SCALE}.{a % SCALE:02d}"


# ----------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def mstore(genomedb, genomes, tmp_path_factory):
    U.require_fuse()
    d = tmp_path_factory.mktemp("motifmnt")
    s = d / "m.gdb"
    assert U.gdb("init", s).rc == 0
    for asm in ("ecoli", "athal"):
        r = U.gdb("import", "fasta", s, "--assembly", asm, genomes[asm].src, "--quiet")
        assert r.rc == 0, r
    r = U.gdb("import", "motifs", s, "--set", "hand", *FILES)
    assert r.rc == 0, r
    assert "6 motifs from 3 files" in r.err
    with U.mounted(s, d) as m:
        m.store_path = s
        yield m, genomes


def bed(m, asm, rec, beg, end, name):
    p = m.p("compute", "motif", asm, U.esc(rec.name), f"{beg}-{end}", "pwm", name)
    text = U.read_file(p).decode()
    assert os.stat(p).st_size == len(text)
    return [l.split("\t") for l in text.splitlines()]


def expect(rec, beg, end, mid, counts, p=1e-4, pseudo=0.8):
    m = matrix(counts, pseudo)
    t = threshold(m, p)
    seq = rec.seq.decode()[beg - 1:end]
    return [[rec.name, str(beg - 1 + i), str(beg - 1 + i + len(m)), mid, fmt_score(v), s]
            for i, v, s in scan(m, seq, t)]


# -------------------------------------------------------------------- tests

@pytest.mark.parametrize("p", [1e-4, 1e-3, 5e-3])
def test_pwm_hits_equal_oracle(mstore, p):
    m, genomes = mstore
    rec = genomes["ecoli"].records[0]
    beg, end = 1, 2_500_000                          # three 1 Mbp slices
    seen = 0
    for mid, name, counts in all_motifs():
        got = bed(m, "ecoli", rec, beg, end, f"{mid}@p={p}.bed")
        want = expect(rec, beg, end, mid, counts, p)
        assert got == want, (mid, p, len(got), len(want))
        seen += len(got)
    assert seen > 100                                # the test has hits to compare


def test_pwm_on_masked_and_iupac_sequence(mstore):
    """Arabidopsis: soft-masked (lowercase) and IUPAC/N bases; a window
    holding anything but A/C/G/T (any case) never scores."""
    m, genomes = mstore
    for rec in genomes["athal"].records[:3]:
        for mid, name, counts in all_motifs()[:3]:
            got = bed(m, "athal", rec, 1, rec.length, f"{mid}@p=1e-3.bed")
            assert got == expect(rec, 1, rec.length, mid, counts, 1e-3), (rec.name, mid)


def test_scores_agree_with_biopython(mstore):
    from Bio import motifs as bm
    from Bio.Seq import Seq
    m, genomes = mstore
    rec = genomes["ecoli"].records[0]
    with open(FILES[0]) as f:
        jm = list(bm.parse(f, "jaspar"))
    seq = rec.seq.decode().upper()
    for mot in jm:
        pssm = mot.counts.normalize(pseudocounts=0.2).log_odds()   # 0.8 a column
        rows = bed(m, "ecoli", rec, 1, 1_000_000, f"{mot.matrix_id}@p=1e-3.bed")
        assert rows
        for r in rows[:200]:
            a, b = int(r[1]), int(r[2])
            w = seq[a:b] if r[5] == "+" else str(Seq(seq[a:b]).reverse_complement())
            bio = sum(pssm[c][j] for j, c in enumerate(w))
            assert abs(bio - float(r[4])) <= 0.005 * (b - a) + 1e-9, (r, bio)


def test_pwm_names_params_listing_and_errors(mstore):
    m, genomes = mstore
    rec = genomes["ecoli"].records[0]
    d = m.p("compute", "motif", "ecoli", U.esc(rec.name), "1-200000")
    ids = [mid for mid, _, _ in all_motifs()]
    assert sorted(os.listdir(os.path.join(d, "pwm"))) == sorted(i + ".bed" for i in ids)
    assert "pwm" in os.listdir(d)
    by_id = U.read_file(os.path.join(d, "pwm", "HW0002.1@p=1e-3.bed"))
    assert U.read_file(os.path.join(d, "pwm", "gata-like@p=1e-3.bed")) == by_id    # name, any case
    assert U.read_file(os.path.join(d, "pwm", "hw0002.1@p=1e-3.bed")) == by_id
    got = [l.split("\t") for l in
           U.read_file(os.path.join(d, "pwm", "HWM2@p=1e-3,pseudo=4.bed")).decode().splitlines()]
    counts = [c for i, _, c in all_motifs() if i == "HWM2"][0]
    assert got == expect(rec, 1, 200000, "HWM2", counts, 1e-3, 4)
    for bad in ("NOPE.bed", "HW0001.1.tsv"):
        U.expect_errno(lambda b=bad: os.stat(os.path.join(d, "pwm", b)), (errno.ENOENT,))
    # a malformed parameter is EINVAL (docs/PATHS.md "Parameters")
    for bad in ("HW0001.1@p=0.bed", "HW0001.1@p=2.bed", "HW0001.1@q=1.bed",
                "HWM2@pseudo=0.bed",                 # a zero probability needs a pseudocount
                "HWM2@pseudo=1e-290.bed"):           # pseudo 0 or >= 1e-3
        U.expect_errno(lambda b=bad: os.stat(os.path.join(d, "pwm", b)), (errno.EINVAL,))


def test_no_motif_sets_no_pwm_dir(mounted, genomes):
    rec = genomes["ecoli"].records[0]
    d = mounted.p("compute", "motif", "ecoli", U.esc(rec.name), "1-1000")
    assert "pwm" not in os.listdir(d)
    U.expect_errno(lambda: os.stat(os.path.join(d, "pwm")), (errno.ENOENT,))


def store_digest(path):
    h = {}
    for root, _, files in os.walk(path):
        for f in files:
            p = os.path.join(root, f)
            h[os.path.relpath(p, path)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return h


@pytest.mark.parametrize("name,text,msg", [
    ("rows.jaspar", ">X1 a\nA [1 2]\nC [1]\nG [1 2]\nT [1 2]\n", ":3: bad matrix row"),
    ("five.jaspar", ">X1\nA [1]\nC [1]\nG [1]\nT [1]\nA [1]\n", ":6: a matrix without a '>' header"),
    ("short.jaspar", ">X1\nA [1 2]\nC [1 2]\n>X2\n", "motif X1 has 2 of 4 rows"),
    ("neg.jaspar", ">X1\nA [1 -2]\nC [1 2]\nG [1 2]\nT [1 2]\n", "motif X1: not a count"),
    ("dup.jaspar", ">X1\nA [1]\nC [1]\nG [1]\nT [1]\n>X1\nA [1]\nC [1]\nG [1]\nT [1]\n",
     "motif id X1 appears twice"),
    ("alpha.meme", "MEME version 4\nALPHABET= ACDEFGHIKLMNPQRSTVWY\nMOTIF m\n"
     "letter-probability matrix: w= 1\n0.25 0.25 0.25 0.25\n", ":2: alphabet"),
    ("rows.meme", "MEME version 4\nMOTIF m\nletter-probability matrix: w= 2\n"
     "0.25 0.25 0.25 0.25\n0.5 0.5\n", ":5: expected 4 probabilities"),
    ("empty.jaspar", "# nothing here\n", "no motifs found"),
    ("twice.jaspar", ">X1\nA [1]\nA [2]\nG [1]\nT [1]\n", ":3: a second A row"),
    ("slash.jaspar", ">A/B x\nA [1]\nC [1]\nG [1]\nT [1]\n", "motif id 'A/B' cannot name a file"),
    ("at.jaspar", ">X@Y\nA [1]\nC [1]\nG [1]\nT [1]\n", "motif id 'X@Y' cannot name a file"),
    ("bin.jaspar", "\0\1\2", "binary data"),
])
def test_import_errors_leave_store_unchanged(genomedb, tmp_path, name, text, msg):
    s = tmp_path / "s.gdb"
    assert U.gdb("init", s).rc == 0
    assert U.gdb("import", "motifs", s, "--set", "ok", FILES[0], "--quiet").rc == 0
    before = store_digest(s)
    f = tmp_path / name
    f.write_bytes(text.encode())
    r = U.gdb("import", "motifs", s, "--set", "new", FILES[1], str(f))
    assert r.rc == 1, r
    err = r.err
    assert str(f) in err and msg in err, err
    assert store_digest(s) == before
    # the set name is taken; bad names are usage errors
    r = U.gdb("import", "motifs", s, "--set", "ok", FILES[1])
    assert r.rc == 1 and "already exists" in r.err, r
    assert U.gdb("import", "motifs", s, "--set", "a/b", FILES[1]).rc == 2
    assert U.gdb("import", "motifs", s, "--set", "x", "--format", "xml", FILES[1]).rc == 2
    assert store_digest(s) == before
