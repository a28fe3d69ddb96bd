"""The analysis kernels of simd/ against independent implementations,
through ctypes on $GENOMEDB_BUILD/libgenomedb.so, at every SIMD level the
CPU has (each level's tables from gdb_simd_variant() and its families'
gdb_kmer_variant(), gdb_motif_variant(), gdb_align_variant()):

  alignment scores == parasail (sw/nw/sg scan 32-bit) and Biopython's
  PairwiseAligner for the same scoring; CIGARs re-score to the score;
  IUPAC motif hits == `seqkit locate -i -d`; GC per window ==
  Bio.SeqUtils.gc_fraction; k-mer counts == collections.Counter.

Inputs come from hypothesis. DNA compared with parasail uses A/C/G/T only
(any case): parasail scores letters outside its alphabet 0 where GenomeDB
scores them as mismatches (documented in simd.h).
"""
import collections
import ctypes as C
import os
import shutil
import subprocess
import tempfile

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st, HealthCheck  # noqa: E402

BUILD = os.environ.get("GENOMEDB_BUILD", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build"))
LIB = os.path.join(BUILD, "libgenomedb.so")
if not os.path.exists(LIB):
    # a missing library is a broken build, never a reason to pass quietly
    pytest.fail(f"{LIB} not built: run make (GENOMEDB_BUILD={BUILD})", pytrace=False)
lib = C.CDLL(LIB)


class Scoring(C.Structure):
    _fields_ = [("map", C.c_uint8 * 256), ("matrix", (C.c_int8 * 32) * 32),
                ("ncodes", C.c_uint), ("gap_open", C.c_int), ("gap_extend", C.c_int),
                ("max_score", C.c_int), ("min_score", C.c_int)]


class Result(C.Structure):
    _fields_ = [("score", C.c_int64), ("query_begin", C.c_int64), ("query_end", C.c_int64),
                ("target_begin", C.c_int64), ("target_end", C.c_int64),
                ("lane_bits", C.c_int), ("cigar", C.c_char_p)]


class Comp(C.Structure):
    _fields_ = [(f, C.c_uint64) for f in ("a", "c", "g", "t", "s", "w", "other", "cpg")]


class Pattern(C.Structure):
    _fields_ = [("len", C.c_uint), ("fw", C.c_uint8 * 64), ("rc", C.c_uint8 * 64)]


class Hit(C.Structure):
    _fields_ = [("pos", C.c_uint64), ("strand", C.c_char)]


class KmerEntry(C.Structure):
    _fields_ = [("kmer", C.c_uint64), ("count", C.c_uint64)]


COMP_FN = C.CFUNCTYPE(None, C.c_char_p, C.c_size_t, C.POINTER(Comp))
KMER_FN = C.CFUNCTYPE(C.c_int, C.c_void_p, C.c_char_p, C.c_size_t)
MOTIF_FN = C.CFUNCTYPE(C.c_int64, C.POINTER(Pattern), C.c_char_p, C.c_size_t, C.c_uint,
                       C.POINTER(Hit), C.c_size_t)
PWM_FN = C.CFUNCTYPE(C.c_int64, C.c_void_p, C.c_char_p, C.c_size_t, C.c_int32, C.c_uint,
                     C.c_void_p, C.c_size_t)
ALIGN_FN = C.CFUNCTYPE(C.c_int, C.POINTER(Scoring), C.c_int, C.c_char_p, C.c_size_t,
                       C.c_char_p, C.c_size_t, C.c_void_p, C.POINTER(Result))


class ByteKernels(C.Structure):       # simd/simd.h gdb_simd_kernels
    _fields_ = [("name", C.c_char_p)] + [(f, C.c_void_p) for f in (
        "pack2", "unpack2", "find_nonacgt", "crc32c", "revcomp", "to_u8", "toupper")] + [
        ("comp", COMP_FN)]


class KmerKernels(C.Structure):       # simd/kmer.h
    _fields_ = [("name", C.c_char_p), ("count", KMER_FN)]


class MotifKernels(C.Structure):      # simd/motif.h
    _fields_ = [("name", C.c_char_p), ("find", MOTIF_FN), ("pwm_scan", PWM_FN)]


class AlignKernels(C.Structure):      # simd/align.h
    _fields_ = [("name", C.c_char_p), ("score", ALIGN_FN), ("many", C.c_void_p)]


class Level:
    """One level's kernels of every family, under one name."""
    def __init__(self, b, k, m, a):
        self.name = b.name
        self.comp, self.kmer_count = b.comp, k.count
        self.motif_find, self.pwm_scan = m.find, m.pwm_scan
        self.align_score = a.score


for fn, t in (("gdb_simd_variant", ByteKernels), ("gdb_kmer_variant", KmerKernels),
              ("gdb_motif_variant", MotifKernels), ("gdb_align_variant", AlignKernels)):
    getattr(lib, fn).restype = C.POINTER(t)
    getattr(lib, fn).argtypes = [C.c_int]
lib.gdb_align.argtypes = [C.POINTER(Scoring), C.c_int, C.c_char_p, C.c_size_t, C.c_char_p,
                          C.c_size_t, C.c_uint, C.c_void_p, C.POINTER(Result)]
lib.gdb_align_ws_new.argtypes = [C.POINTER(C.c_void_p)]
lib.gdb_align_ws_free.argtypes = [C.c_void_p]
lib.gdb_align_scoring_dna.argtypes = [C.c_int] * 4 + [C.POINTER(Scoring)]
lib.gdb_align_scoring_blosum62.argtypes = [C.c_int, C.c_int, C.POINTER(Scoring)]
lib.gdb_motif_compile.argtypes = [C.c_char_p, C.c_size_t, C.POINTER(Pattern)]
lib.gdb_kmer_table_new.argtypes = [C.c_uint, C.c_uint, C.c_size_t, C.POINTER(C.c_void_p)]
lib.gdb_kmer_table_free.argtypes = [C.c_void_p]
lib.gdb_kmer_dump.restype = C.c_size_t
lib.gdb_kmer_dump.argtypes = [C.c_void_p, C.POINTER(KmerEntry), C.c_size_t]

LEVELS = []
for lv in range(4):
    tabs = [lib.gdb_simd_variant(lv), lib.gdb_kmer_variant(lv), lib.gdb_motif_variant(lv),
            lib.gdb_align_variant(lv)]
    assert all(tabs) or not any(tabs), lv              # a level exists in every family or none
    if tabs[0]:
        LEVELS.append(Level(*(t.contents for t in tabs)))
NAMES = [k.name.decode() for k in LEVELS]

WS = C.c_void_p()
assert lib.gdb_align_ws_new(C.byref(WS)) == 0

DNA = Scoring()
assert lib.gdb_align_scoring_dna(2, -3, 5, 2, C.byref(DNA)) == 0
PROT = Scoring()
assert lib.gdb_align_scoring_blosum62(11, 1, C.byref(PROT)) == 0
MODES = {"local": 0, "global": 1, "semiglobal": 2}

SETTINGS = dict(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

dna = st.text(alphabet="ACGTacgt", min_size=0, max_size=120)
dna_nonempty = st.text(alphabet="ACGT", min_size=1, max_size=120)
protein = st.text(alphabet="ARNDCQEGHILKMFPSTWYV", min_size=1, max_size=80)


def related(draw_strategy=dna_nonempty):
    """A sequence and a mutated copy, so alignments have long runs and
    scores that leave 8-bit range."""
    @st.composite
    def pair(draw):
        a = draw(draw_strategy)
        reps = draw(st.integers(1, 8))
        a = a * reps
        b = list(a)
        for _ in range(draw(st.integers(0, max(1, len(b) // 10)))):
            i = draw(st.integers(0, len(b) - 1))
            op = draw(st.sampled_from("sid"))
            if op == "s":
                b[i] = draw(st.sampled_from("ACGT"))
            elif op == "i":
                b.insert(i, draw(st.sampled_from("ACGT")))
            elif len(b) > 1:
                del b[i]
        return a, "".join(b)
    return pair()


def score_all_levels(sc, mode, q, t):
    out = []
    for k in LEVELS:
        r = Result()
        rc = k.align_score(C.byref(sc), mode, q.encode(), len(q), t.encode(), len(t), WS,
                           C.byref(r))
        assert rc == 0, (k.name, rc)
        out.append((r.score, r.query_end, r.target_end))
    assert all(o == out[0] for o in out), dict(zip(NAMES, out))
    return out[0][0]


parasail = pytest.importorskip("parasail")
PS_DNA = parasail.matrix_create("ACGT", 2, -3)
PS_FN = {"local": parasail.sw_scan_32, "global": parasail.nw_scan_32,
         "semiglobal": parasail.sg_scan_32}


@pytest.mark.parametrize("mode", list(MODES))
@settings(**SETTINGS)
@given(pair=st.one_of(st.tuples(dna_nonempty, dna_nonempty), related()))
def test_align_dna_equals_parasail(mode, pair):
    q, t = pair
    ours = score_all_levels(DNA, MODES[mode], q, t)
    assert ours == PS_FN[mode](q, t, 5, 2, PS_DNA).score


@pytest.mark.parametrize("mode", list(MODES))
@settings(**SETTINGS)
@given(q=protein, t=protein)
def test_align_blosum62_equals_parasail(mode, q, t):
    ours = score_all_levels(PROT, MODES[mode], q, t)
    assert ours == PS_FN[mode](q, t, 11, 1, parasail.blosum62).score


def biopython_aligner(mode):
    from Bio.Align import PairwiseAligner
    a = PairwiseAligner()
    a.match_score, a.mismatch_score = 2, -3
    a.open_gap_score, a.extend_gap_score = -5, -2
    if mode == "local":
        a.mode = "local"
    else:
        a.mode = "global"
        if mode == "semiglobal":
            a.end_gap_score = 0
    return a


@pytest.mark.parametrize("mode", list(MODES))
@settings(**SETTINGS)
@given(pair=st.one_of(st.tuples(dna_nonempty, dna_nonempty), related()))
def test_align_equals_biopython(mode, pair):
    q, t = pair
    ours = score_all_levels(DNA, MODES[mode], q, t)
    if mode == "semiglobal":
        # Biopython also counts the all-gap alignment (score 0) that ends
        # on the boundary row/column; parasail's sg, and GenomeDB, do not.
        ours = max(ours, 0)
    assert ours == biopython_aligner(mode).score(t.upper(), q.upper())


def rescore(sc, q, t, r):
    i, j, s = r.query_begin, r.target_begin, 0
    num = ""
    for ch in r.cigar.decode():
        if ch.isdigit():
            num += ch
            continue
        n, num = int(num), ""
        if ch in "=X":
            for _ in range(n):
                a, b = sc.map[ord(q[i])], sc.map[ord(t[j])]
                v = sc.matrix[a][b]
                assert (ch == "=") == (a == b and v > 0)
                s += v
                i += 1
                j += 1
        else:
            assert ch in "ID"
            s -= sc.gap_open + (n - 1) * sc.gap_extend
            if ch == "I":
                i += n
            else:
                j += n
    assert (i, j) == (r.query_end, r.target_end)
    return s


@pytest.mark.parametrize("mode", list(MODES))
@settings(**SETTINGS)
@given(pair=st.one_of(st.tuples(dna, dna), related()))
def test_traceback_cigar_rescores(mode, pair):
    q, t = pair
    r = Result()
    assert lib.gdb_align(C.byref(DNA), MODES[mode], q.encode(), len(q), t.encode(), len(t),
                         1, WS, C.byref(r)) == 0
    assert r.score == score_all_levels(DNA, MODES[mode], q, t)
    assert rescore(DNA, q, t, r) == r.score


def test_saturation_long_identical():
    """Scores past 8 and 16 bits: exact at every level, equal to parasail."""
    import random
    rng = random.Random(7)
    q = "".join(rng.choice("ACGT") for _ in range(17000))
    t = "".join(rng.choice("ACGT") for _ in range(3000)) + q + "ACGT" * 100
    ours = score_all_levels(DNA, 0, q, t)
    assert ours == 2 * len(q) == parasail.sw_striped_32(q, t, 5, 2, PS_DNA).score


# ---- composition ----

@settings(**SETTINGS)
@given(seq=st.text(alphabet="ACGTNacgtnSWRY", max_size=3000),
       win=st.sampled_from([1, 7, 64, 100, 1000]))
def test_gc_windows_equal_biopython(seq, win):
    from Bio.SeqUtils import gc_fraction
    lib.gdb_comp_gc.restype = C.c_double
    lib.gdb_comp_gc.argtypes = [C.POINTER(Comp)]
    raw = seq.encode()
    for k in LEVELS:
        for start in range(0, len(seq), win):
            c = Comp()
            k.comp(raw[start:start + win], len(raw[start:start + win]), C.byref(c))
            w = seq[start:start + win]
            assert abs(lib.gdb_comp_gc(C.byref(c)) - gc_fraction(w)) < 1e-12
            assert c.cpg == w.upper().count("CG")
            assert (c.a, c.c, c.g, c.t) == tuple(w.upper().count(x) for x in "ACGT")


# ---- k-mers ----

RC = str.maketrans("ACGT", "TGCA")


@settings(**SETTINGS)
@given(seq=st.text(alphabet="ACGTNacgt", max_size=2000), k=st.sampled_from([1, 3, 8, 21, 31]),
       canonical=st.booleans())
def test_kmers_equal_counter(seq, k, canonical):
    want = collections.Counter()
    up = seq.upper()
    for i in range(len(up) - k + 1):
        w = up[i:i + k]
        if "N" in w:
            continue
        if canonical:
            w = min(w, w.translate(RC)[::-1])
        want[w] += 1
    for kern in LEVELS:
        t = C.c_void_p()
        assert lib.gdb_kmer_table_new(k, 1 if canonical else 0, 1 << 20, C.byref(t)) == 0
        assert kern.kmer_count(t, seq.encode(), len(seq)) == 0
        out = (KmerEntry * (len(seq) + 1))()
        n = lib.gdb_kmer_dump(t, out, len(seq) + 1)
        got = {}
        for e in out[:n]:
            got["".join("ACGT"[(e.kmer >> (2 * (k - 1 - j))) & 3] for j in range(k))] = e.count
        lib.gdb_kmer_table_free(t)
        assert got == dict(want), kern.name


# ---- IUPAC motifs vs seqkit ----

SEQKIT = shutil.which("seqkit")


def motif_hits(kern, pat, seq):
    p = Pattern()
    assert lib.gdb_motif_compile(pat.encode(), len(pat), C.byref(p)) == 0
    cap = 2 * len(seq) + 1
    hits = (Hit * cap)()
    n = kern.motif_find(C.byref(p), seq.encode(), len(seq), 3, hits, cap)
    return sorted((h.pos, h.strand.decode()) for h in hits[:n])


# seqkit comes with `make deps`; only a hand-built machine may lack it, never CI
@pytest.mark.skipif(not SEQKIT and os.environ.get("CI") != "true",
                    reason="seqkit not installed (make deps installs it)")
def test_motif_equals_seqkit_locate():
    import random
    rng = random.Random(11)
    seqs = ["".join(rng.choice("ACGTACGTacgtN") for _ in range(n))
            for n in (0, 1, 50, 333, 5000, 9000)]
    pats = ["ACGN", "GATC", "RYCGNNW", "TTNNAA", "CACGTG", "N", "ACGTRYKMSWBDHVN",
            "ggatcc", "GCNGC"]
    # One record per file: seqkit 2.3 guesses the alphabet per file and
    # reported shifted minus-strand hits for later records of a mixed file.
    with tempfile.TemporaryDirectory() as d:
        for i, s in enumerate(seqs):
            fa = os.path.join(d, f"s{i}.fa")
            with open(fa, "w") as f:
                f.write(f">s{i}\n{s}\n")
            for pat in pats:
                out = subprocess.run([SEQKIT, "locate", "-i", "-d", "-p", pat, fa],
                                     capture_output=True, text=True, check=True).stdout
                want = sorted((int(f[4]) - 1, f[3])
                              for f in (line.split("\t") for line in out.splitlines()[1:]))
                for kern in LEVELS:
                    assert motif_hits(kern, pat, s) == want, (pat, i, kern.name)


@settings(**SETTINGS)
@given(seq=st.text(alphabet="ACGTNacgtRY", max_size=5000),
       pat=st.text(alphabet="ACGTRYSWKMBDHVN", min_size=1, max_size=20))
def test_motif_levels_agree(seq, pat):
    ref = motif_hits(LEVELS[0], pat, seq)
    for kern in LEVELS[1:]:
        assert motif_hits(kern, pat, seq) == ref, kern.name


# ---- RNA: U is T in every kernel, at every level ----

rna = st.text(alphabet="ACGUacguTtN", min_size=1, max_size=300)


@settings(**SETTINGS)
@given(seq=rna, k=st.sampled_from([1, 4, 11]), canonical=st.booleans())
def test_rna_reads_u_as_t(seq, k, canonical):
    """Composition, k-mers and IUPAC hits of a sequence holding U equal
    the peers' answers on its DNA spelling (U -> T), at every level."""
    from Bio.SeqUtils import gc_fraction
    lib.gdb_comp_gc.restype = C.c_double
    lib.gdb_comp_gc.argtypes = [C.POINTER(Comp)]
    dna = seq.replace("U", "T").replace("u", "t")
    up = dna.upper()
    want = collections.Counter()
    for i in range(len(up) - k + 1):
        w = up[i:i + k]
        if "N" not in w:
            want[min(w, w.translate(RC)[::-1]) if canonical else w] += 1
    for kern in LEVELS:
        c = Comp()
        kern.comp(seq.encode(), len(seq), C.byref(c))
        assert abs(lib.gdb_comp_gc(C.byref(c)) - gc_fraction(dna)) < 1e-12, kern.name
        assert (c.a, c.c, c.g, c.t) == tuple(up.count(x) for x in "ACGT"), kern.name
        t = C.c_void_p()
        assert lib.gdb_kmer_table_new(k, 1 if canonical else 0, 1 << 20, C.byref(t)) == 0
        assert kern.kmer_count(t, seq.encode(), len(seq)) == 0
        out = (KmerEntry * (len(seq) + 1))()
        n = lib.gdb_kmer_dump(t, out, len(seq) + 1)
        lib.gdb_kmer_table_free(t)
        got = {"".join("ACGT"[(e.kmer >> (2 * (k - 1 - j))) & 3] for j in range(k)): e.count
               for e in out[:n]}
        assert got == dict(want), kern.name
        assert motif_hits(kern, "GAUC", seq) == motif_hits(kern, "GATC", dna), kern.name


@pytest.mark.parametrize("mode", list(MODES))
@settings(**SETTINGS)
@given(pair=related())
def test_rna_align_equals_parasail_on_dna(mode, pair):
    """An RNA query against a DNA target (and the reverse) scores as the
    DNA pair does in parasail, at every level."""
    q, t = pair
    want = PS_FN[mode](q, t, 5, 2, PS_DNA).score
    assert score_all_levels(DNA, MODES[mode], q.replace("T", "U"), t) == want
    assert score_all_levels(DNA, MODES[mode], q, t.replace("T", "u")) == want
