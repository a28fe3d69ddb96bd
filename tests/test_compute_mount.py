"""/compute through the mount (docs/PATHS.md "Computed files"), each file
checked against an independent oracle: Biopython's gc_fraction per window,
a plain Counter of k-mers, a regex scan for IUPAC motifs on both strands,
and parasail's Smith-Waterman score for alignments (re-scored from the
CIGAR)."""
import collections
import errno
import os
import re

import numpy as np
import parasail
import pytest
from Bio.SeqUtils import gc_fraction

import gdbutil as U

IUPAC = {"A": "A", "C": "C", "G": "G", "T": "T", "U": "T", "R": "AG", "Y": "CT",
         "S": "CG", "W": "AT", "K": "GT", "M": "AC", "B": "CGT", "D": "AGT",
         "H": "ACT", "V": "ACG", "N": "ACGT"}
COMP = str.maketrans("ACGTRYSWKMBDHVN", "TGCAYRSWMKVHDBN")


_STR = {}


def seqstr(rec):
    """The record's sequence as str (gdbutil keeps bytes), converted once."""
    if id(rec) not in _STR:
        _STR[id(rec)] = rec.seq.decode()
    return _STR[id(rec)]


def cpath(m, *parts):
    return m.p("compute", *parts)


@pytest.fixture(scope="module")
def eco(mounted, genomes):
    mounted.store.require("ecoli")
    g = genomes["ecoli"]
    rec = g.records[0]
    return g, rec


@pytest.mark.parametrize("w,step,beg,end", [(1000, None, 1, 50000), (777, None, 12345, 40000),
                                            (500, 250, 1000, 9000), (100000, None, 1, 4641652)])
def test_gc_windows_equal_biopython(mounted, eco, w, step, beg, end):
    g, rec = eco
    params = f"@w={w}" + (f",step={step}" if step else "")
    name = U.esc(rec.name)
    tsv = U.read_file(cpath(mounted, "gc", "ecoli", name, f"{beg}-{end}{params}.tsv")).decode()
    lines = tsv.splitlines()
    assert lines[0] == "chrom\tstart\tend\tgc"
    seq = seqstr(rec)[beg - 1:end]
    step = step or w
    want = []
    k = 0
    while True:
        s = k * step
        e = min(s + w, len(seq))
        want.append((beg + s, beg + e - 1, gc_fraction(seq[s:e])))
        if e >= len(seq):
            break
        k += 1
    assert len(lines) - 1 == len(want)
    for line, (s, e, gc) in zip(lines[1:], want):
        chrom, a, b, v = line.split("\t")
        assert (chrom, int(a), int(b)) == (rec.name, s, e)
        assert abs(float(v) - gc) < 5e-7, (line, gc)
    f32 = np.fromfile(cpath(mounted, "gc", "ecoli", name, f"{beg}-{end}{params}.f32"), dtype="<f4")
    assert np.allclose(f32, np.array([x[2] for x in want], dtype=np.float32), atol=1e-6)


@pytest.mark.parametrize("k,canonical", [(5, 1), (11, 0), (21, 1)])
def test_kmers_equal_counter(mounted, genomes, k, canonical):
    mounted.store.require("gen")
    g = genomes["gen"]
    rec = max(g.records, key=lambda r: r.length)        # soft-masked, N runs, IUPAC
    beg, end = 1, min(rec.length, 1_500_000)            # more than one 1 Mbp slice
    top = 50
    tsv = U.read_file(cpath(mounted, "kmers", "gen", U.esc(rec.name),
                            f"{beg}-{end}@k={k},top={top},canonical={canonical}.tsv")).decode()
    lines = tsv.splitlines()
    assert lines[0] == "kmer\tcount"
    seq = seqstr(rec)[beg - 1:end].upper().replace("U", "T")   # U is T (PATHS.md)
    counts = collections.Counter()
    for i in range(len(seq) - k + 1):
        km = seq[i:i + k]
        if set(km) <= set("ACGT"):
            if canonical:
                km = min(km, km.translate(COMP)[::-1])
            counts[km] += 1
    want = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    got = [(a, int(b)) for a, b in (l.split("\t") for l in lines[1:])]
    assert got == want


@pytest.mark.parametrize("pattern", ["GAATTC", "GANTC", "CCWGG", "RGATCY"])
def test_motif_hits_equal_regex(mounted, eco, pattern):
    g, rec = eco
    beg, end = 1, 2_500_000                               # crosses slice edges
    bed = U.read_file(cpath(mounted, "motif", "ecoli", U.esc(rec.name),
                            f"{beg}-{end}", f"{pattern}.bed")).decode()
    got = [tuple(l.split("\t")) for l in bed.splitlines()]
    seq = seqstr(rec)[beg - 1:end].upper()
    fw = "".join(f"[{IUPAC[c]}]" for c in pattern)
    rc = "".join(f"[{IUPAC[c]}]" for c in pattern.translate(COMP)[::-1])
    want = []
    for m in re.finditer(f"(?=({fw}))", seq):
        want.append((m.start(), "+"))
    for m in re.finditer(f"(?=({rc}))", seq):
        want.append((m.start(), "-"))
    want.sort()
    assert [(int(x[1]), x[5]) for x in got] == [(beg - 1 + p, s) for p, s in want]
    for x in got:
        assert x[0] == rec.name and int(x[2]) - int(x[1]) == len(pattern) and x[3] == pattern


def rescore(cigar, query, target, match=2, mismatch=-3, gopen=5, gext=2):
    score, qi, ti = 0, 0, 0
    for n, op in re.findall(r"(\d+)([=XIDSM])", cigar):
        n = int(n)
        if op == "S":
            qi += n
        elif op in "=XM":
            for _ in range(n):
                score += match if query[qi] == target[ti] else mismatch
                qi += 1
                ti += 1
        elif op == "I":
            score -= gopen + (n - 1) * gext
            qi += n
        elif op == "D":
            score -= gopen + (n - 1) * gext
            ti += n
    return score, qi, ti


@pytest.mark.parametrize("strand", ["+", "-"])
def test_align_sam_equals_parasail(mounted, eco, strand):
    g, rec = eco
    beg, end = 200001, 300000
    region = seqstr(rec)[beg - 1:end].upper()
    q = list(region[40000:40120])
    q[30] = "A" if q[30] != "A" else "C"                   # a mismatch
    del q[70:72]                                           # a deletion
    query = "".join(q)
    if strand == "-":
        query = query.translate(COMP)[::-1]
    sam = U.read_file(cpath(mounted, "align", "ecoli", U.esc(rec.name), f"{beg}-{end}",
                            f"{query}.sam")).decode()
    rows = [l.split("\t") for l in sam.splitlines() if not l.startswith("@")]
    assert len(rows) == 1
    r = rows[0]
    flag, pos, cigar, seq = int(r[1]), int(r[3]), r[5], r[9]
    score = int(r[11].split(":")[2])
    assert flag == (16 if strand == "-" else 0)
    mat = parasail.matrix_create("ACGT", 2, -3)
    fwd = parasail.sw_scan_32(query, region, 5, 2, mat).score
    rev = parasail.sw_scan_32(query.translate(COMP)[::-1], region, 5, 2, mat).score
    assert score == max(fwd, rev)
    s2, qlen, tlen = rescore(cigar, seq, seqstr(rec).upper()[pos - 1:])
    assert s2 == score and qlen == len(seq)
    assert beg <= pos <= end


def test_compute_errors(mounted, eco):
    g, rec = eco
    name = U.esc(rec.name)
    # a malformed parameter is EINVAL (docs/PATHS.md "Parameters")
    for p in (cpath(mounted, "gc", "ecoli", name, "1-1000@w=0.tsv"),
              cpath(mounted, "gc", "ecoli", name, "1-1000@bogus=3.tsv"),
              cpath(mounted, "kmers", "ecoli", name, "1-1000@k=32.tsv")):
        U.expect_errno(lambda p=p: os.stat(p), (errno.EINVAL,))
    bad = [cpath(mounted, "gc", "ecoli", name, "0-1000.tsv"),
           cpath(mounted, "motif", "ecoli", name, "1-1000", "GAJTC.bed"),
           cpath(mounted, "align", "ecoli", name, "1-1000", "ACGTQ.sam"),
           cpath(mounted, "nope", "ecoli"),
           cpath(mounted, "gc", "nope", name)]
    for p in bad:
        U.expect_errno(lambda p=p: os.stat(p), (errno.ENOENT,))
    # an answer too large is refused with EFBIG, not computed halfway
    U.expect_errno(lambda: os.stat(cpath(mounted, "gc", "ecoli", name,
                                         f"1-{rec.length}@w=1.tsv")), (errno.EFBIG,))
    assert sorted(os.listdir(cpath(mounted))) == ["align", "gc", "kmers", "motif", "queries"]
    assert "ecoli" in os.listdir(cpath(mounted, "gc"))
    # the daemon is still serving
    assert U.read_file(cpath(mounted, "gc", "ecoli", name, "1-100@w=100.tsv")).startswith(b"chrom")


def test_gc_of_windows_without_bases_is_na(mounted, genomes):
    """A window with no A/C/G/T/S/W (all N) has no GC fraction: NA in .tsv,
    NaN in .f32; every other window equals Biopython's gc_fraction."""
    mounted.store.require("hg19chr20")
    rec = genomes["hg19chr20"].records[0]
    s = seqstr(rec)
    up = s.upper()
    first = len(up) - len(up.lstrip("N"))
    beg = up.find("N" * 5000, first) - 2499         # windows on both sides of an N run's start
    assert beg > first
    end = beg + 10000 - 1
    base = cpath(mounted, "gc", "hg19chr20", U.esc(rec.name), f"{beg}-{end}@w=500")
    rows = [l.split("\t") for l in U.read_file(base + ".tsv").decode().splitlines()[1:]]
    f32 = np.fromfile(base + ".f32", dtype="<f4")
    assert len(rows) == len(f32) == 20
    na = 0
    for (chrom, a, b, v), x in zip(rows, f32):
        win = s[int(a) - 1:int(b)]
        if not set(win.upper()) & set("ACGTSW"):
            assert v == "NA" and np.isnan(x), (a, b, v, x)
            na += 1
        else:
            assert abs(float(v) - gc_fraction(win)) < 5e-7 and abs(x - gc_fraction(win)) < 1e-6
    assert 5 <= na < 20
