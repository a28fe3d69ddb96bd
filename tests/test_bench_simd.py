"""`genomedb bench simd` at --tiny sizes: the table's shape, every level of
every kernel giving the scalar twin's answers, the IUPAC hit count against
a regular-expression count of the same generated DNA, the Smith-Waterman
score against parasail's in the same run, and its argument errors.
Throughput figures are not checked (a shared machine; docs/BENCHMARKS.md)."""
import json
import re
import subprocess

import pytest

import gdbutil as U

LEVELS = ["scalar", "sse41", "avx2", "avx512"]
KERNELS = ["gc_windows_1kb", "motif_iupac_12_both", "pwm_12_both_p1e-4", "kmer21_canonical",
           "kmer21_canonical_grow", "align_sw_300x1M", "align_nw_2kx2k", "align_sg_2kx2k"]
TINY_BYTES = 256 << 10


def bench(*args):
    return subprocess.run([U.BINARY, "bench", "simd", *args], capture_output=True, text=True,
                          timeout=600)


def dna(n, n_permille):
    """tools/bench_simd.c's gen_dna(): xorshift64* from its fixed seed."""
    m = (1 << 64) - 1
    x = 0x9E3779B97F4A7C15
    out = bytearray(n)
    acgt = b"ACGT"
    for i in range(n):
        x ^= x >> 12
        x ^= (x << 25) & m
        x ^= x >> 27
        r = (x * 0x2545F4914F6CDD1D) & m
        out[i] = 78 if (r >> 32) % 1000 < n_permille else acgt[r & 3]
    return bytes(out)


IUPAC = {"A": "A", "C": "C", "G": "G", "T": "T", "R": "[AG]", "Y": "[CT]", "S": "[CG]",
         "W": "[AT]", "K": "[GT]", "M": "[AC]", "N": "[ACGT]"}
COMP = str.maketrans("ACGTRYSWKMN", "TGCAYRSWMKN")


def iupac_hits(seq, pattern):
    """Overlapping matches on both strands, as seqkit locate -i -d (an N in
    the sequence matches nothing)."""
    n = 0
    for p in (pattern, pattern.translate(COMP)[::-1]):
        rx = re.compile("(?=" + "".join(IUPAC[c] for c in p) + ")")
        n += sum(1 for _ in rx.finditer(seq.decode()))
    return n


@pytest.fixture(scope="module")
def rows(genomedb):
    r = bench("--tiny", "--json")
    assert r.returncode == 0, r.stderr
    assert "disagrees" not in r.stderr, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def test_every_kernel_at_every_level_agrees(rows):
    ours = [r for r in rows if not r["kernel"].endswith("_parasail")]
    by_kernel = {}
    for r in ours:
        by_kernel.setdefault(r["kernel"], []).append(r)
    trace = by_kernel.pop("align_sw_300x1M_trace")
    assert list(by_kernel) == KERNELS
    levels = [r["variant"] for r in by_kernel[KERNELS[0]]]
    assert levels == LEVELS[:len(levels)] and levels[0] == "scalar", levels
    for k, rs in by_kernel.items():
        assert [r["variant"] for r in rs] == levels, k
        assert len({r["check"] for r in rs}) == 1, (k, [r["check"] for r in rs])
        assert rs[0]["ratio_vs_scalar"] == 1.0, k
        for r in rs:
            assert r["throughput"] > 0 and r["unit"] in ("GB/s", "Mbp/s", "GCUPS"), r
    # the traceback run finds the score-only runs' score
    assert len(trace) == 1 and trace[0]["check"] == by_kernel["align_sw_300x1M"][0]["check"]
    assert trace[0]["variant"] in levels


def test_motif_count_matches_a_regex_count(rows):
    seq = dna(TINY_BYTES, 10)
    want = iupac_hits(seq, "CACGTGNNRYSW")
    got = {r["check"] for r in rows if r["kernel"] == "motif_iupac_12_both"}
    assert got == {want}


def test_alignment_scores_match_parasail(rows):
    """When libparasail is there the bench runs its kernels on the same
    pair: every exact one (not saturated) gives our score."""
    ps = [r for r in rows if r["kernel"].endswith("_parasail")]
    if not ps:
        assert not any(r.get("ratio_vs_parasail") for r in rows)
        return
    for mode in ("sw_300x1M", "nw_2kx2k", "sg_2kx2k"):
        ours = {r["check"] for r in rows if r["kernel"] == "align_" + mode}
        theirs = [r for r in ps if r["kernel"] == "align_%s_parasail" % mode]
        assert theirs, mode
        exact = [r for r in theirs if "WRONG" not in r["note"]]
        assert exact, theirs
        for r in exact:
            assert int(re.search(r"score (-?\d+)", r["note"]).group(1)) in ours, r


def test_text_table_shape(genomedb):
    r = bench("--tiny", "--only", "pwm")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["kernel", "variant", "throughput", "unit", "vs", "scalar"]
    rx = re.compile(r"^pwm_12_both_p1e-4\s+(\w+)\s+\d+\.\d{3} GB/s\s+x\d+\.\d\d\s*$")
    got = [rx.match(ln) for ln in lines[1:]]
    assert all(got), lines
    assert [m.group(1) for m in got] == LEVELS[:len(got)]


@pytest.mark.parametrize("args", [[], ["gpu"], ["simd", "--only"], ["simd", "--only", "omp"],
                                  ["simd", "--fast"]])
def test_argument_errors(genomedb, args):
    r = subprocess.run([U.BINARY, "bench", *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r
    assert r.stdout == ""
    assert r.stderr.startswith("usage: genomedb bench simd"), r.stderr


def test_help(genomedb):
    r = subprocess.run([U.BINARY, "bench", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("usage: genomedb bench simd"), r
