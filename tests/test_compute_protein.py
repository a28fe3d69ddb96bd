"""Issue 14: /compute on a protein assembly follows the alphabet.

- align/ scores with BLOSUM62 (gap open 11, extend 1 unless named), one
  strand: AS equal to parasail's sw_trace_striped_16 for real and random
  pairs, the CIGAR re-scores to AS and spans parasail's end cell; every
  SIMD level the CPU has (GENOMEDB_SIMD) gives the scalar level's bytes;
  query sets likewise; DNA-only parameters are refused.
- The kernels' global and semi-global modes on the same real pairs equal
  parasail's nw/sg at every level (the mount serves local alignment, as
  for DNA).
- motif/ takes PROSITE patterns: every match equals what Python's re finds
  with the pattern translated (overlapping: each start, re's greedy match).

Peers: parasail 1.3.3 (BLOSUM62 as parasail.blosum62), Python's re.
"""
import os
import random
import re

import pytest

import gdbutil as U

parasail = pytest.importorskip("parasail")

DATA = os.path.join(U.HERE, "data")
PROT = os.path.join(DATA, "ecoli_proteins_150.faa")
DICTY = os.path.join(DATA, "dicty_swissprot_6.faa")
LEVELS = ("scalar", "sse41", "avx2", "avx512")
BLOSUM_LETTERS = "ARNDCQEGHILKMFPSTWYVBZX*"


def records(path):
    seqs, name = {}, None
    for ln in open(path):
        if ln.startswith(">"):
            name = ln[1:].split()[0]
            seqs[name] = ""
        else:
            seqs[name] += ln.strip()
    return seqs


def blosum(a, b):
    m = parasail.blosum62
    ia = BLOSUM_LETTERS.find(a.upper())
    ib = BLOSUM_LETTERS.find(b.upper())
    return int(m.matrix[ia if ia >= 0 else 23][ib if ib >= 0 else 23])


def rescore(cigar, q, t, qb, tb, op, ext):
    """The score of a SAM CIGAR (=, X, I, D; soft clips skipped)."""
    s, i, j = 0, qb, tb
    for n, op_ in re.findall(r"(\d+)([=XIDS])", cigar):
        n = int(n)
        if op_ in "=X":
            s += sum(blosum(q[i + k], t[j + k]) for k in range(n))
            i, j = i + n, j + n
        elif op_ == "I":
            s -= op + (n - 1) * ext
            i += n
        elif op_ == "D":
            s -= op + (n - 1) * ext
            j += n
    return s, i, j


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    d = tmp_path_factory.mktemp("prot")
    s = str(d / "s.gdb")
    assert U.gdb("init", s).rc == 0
    r = U.gdb("import", "fasta", s, "--assembly", "prot", PROT)
    assert r.rc == 0 and "protein" in r.err + r.out.decode(), r
    return s


def pairs():
    """(query, target record): real Dictyostelium proteins against E. coli
    records, E. coli fragments with substitutions and indels against their
    own record, random residues (B, Z, X, U, *, lowercase included)."""
    rng = random.Random(14)
    ec, dd = records(PROT), records(DICTY)
    names = list(ec)
    out = [(q, names[k * 7]) for k, q in enumerate(dd.values())]
    for k in range(6):
        n = names[rng.randrange(len(names))]
        t = ec[n]
        a = rng.randrange(len(t) // 2)
        q = list(t[a:a + rng.randrange(20, 120)])
        for _ in range(len(q) // 10):
            i = rng.randrange(len(q))
            q[i] = rng.choice("ACDEFGHIKLMNPQRSTVWY") if rng.random() < .6 else ""
        q = "".join(q)
        out.append((q.lower() if k == 0 else q, n))
    alpha = "ACDEFGHIKLMNPQRSTVWYBZXUOJ*"
    for k in range(4):
        out.append(("".join(rng.choice(alpha) for _ in range(rng.randrange(5, 60))),
                    names[rng.randrange(len(names))]))
    return ec, out


def sam_record(text):
    recs = [ln.split("\t") for ln in text.splitlines() if not ln.startswith("@")]
    return recs


def check_hit(f, q, t, op, ext):
    """One SAM record against parasail's local alignment of q and t."""
    want = parasail.sw_trace_striped_16(q, t, op, ext, parasail.blosum62)
    got = int(next(x for x in f[11:] if x.startswith("AS:i:"))[5:])
    assert got == want.score, (q, f)
    if got <= 0:
        assert f[1] == "4"
        return
    assert f[1] == "0" and f[9] == q  # one strand; SEQ is the query
    m = re.match(r"(\d+)S", f[5])
    qb = int(m.group(1)) if m else 0
    s, qe, te = rescore(f[5], q, t, qb, int(f[3]) - 1, op, ext)
    assert s == got, f
    # ends: the cell parasail's traceback ends in, when unique for the score
    assert (qe - 1, te - 1) == (want.end_query, want.end_ref) or \
        parasail.sw_striped_16(q[:qe], t[:te], op, ext, parasail.blosum62).score == got


def test_align_blosum62_equals_parasail(store, tmp_path, monkeypatch):
    """Every level gives the scalar level's bytes; AS == parasail's."""
    ec, ps = pairs()
    U.require_fuse()
    answers = {}
    for lvl in LEVELS:
        monkeypatch.setenv("GENOMEDB_SIMD", lvl)
        with U.mounted(store, tmp_path, name="m" + lvl) as m:
            if "lacks it" in m.log_text():
                continue  # this CPU has no such level: nothing to compare
            for q, n in ps:
                L = len(ec[n])
                p = m.p("compute", "align", "prot", U.esc(n), f"1-{L}", q + ".sam")
                text = U.read_file(p).decode()
                if lvl == "scalar":
                    assert "BLOSUM62 open=11 extend=1" in text
                    (f,) = sam_record(text)
                    check_hit(f, q, ec[n], 11, 1)
                    answers[(q, n)] = text
                else:
                    assert text == answers[(q, n)], (lvl, q, n)
            if lvl == "scalar":
                # named gaps; a part of a record (POS counts from the record)
                q, n = ps[0]
                t = ec[n]
                p = m.p("compute", "align", "prot", U.esc(n), f"1-{len(t)}",
                        q + "@open=10,extend=2.sam")
                (f,) = sam_record(U.read_file(p).decode())
                check_hit(f, q, t, 10, 2)
                q, n = ps[6]
                t = ec[n]
                p = m.p("compute", "align", "prot", U.esc(n), f"11-{len(t)}", q + ".sam")
                (f,) = sam_record(U.read_file(p).decode())
                f[3] = str(int(f[3]) - 10)
                check_hit(f, q, t[10:], 11, 1)
                # DNA parameters and non-residue letters
                base = m.p("compute", "align", "prot", U.esc(n), "1-50")
                U.expect_errno(lambda: os.stat(os.path.join(base, "MKV@match=2.sam")), (22,))
                assert "unknown parameter 'match'" in m.log_text()
                U.expect_errno(lambda: os.stat(os.path.join(base, "MK1V.sam")), (2,))
                U.expect_errno(lambda: os.stat(os.path.join(base, "MKV@open=1,extend=3.sam")),
                               (22,))


def test_align_query_set_on_protein(store, tmp_path):
    """@SET on a protein: one record per query, each as its own file."""
    ec, ps = pairs()
    n = ps[0][1]
    L = len(ec[n])
    U.require_fuse()
    with U.mounted(store, tmp_path) as m:
        with open(m.p("compute", "queries", "pq.fa"), "w") as f:
            for i, (q, _) in enumerate(ps):
                f.write(f">q{i} test\n{q}\n")
        d = m.p("compute", "align", "prot", U.esc(n), f"1-{L}")
        got = sam_record(U.read_file(os.path.join(d, "@pq.sam")).decode())
        assert [f[0] for f in got] == [f"q{i}" for i in range(len(ps))]
        for (q, _), f in zip(ps, got):
            f[9] = q  # the set's SEQ is upper-cased
            check_hit(f, q, ec[n], 11, 1)
        with open(m.p("compute", "queries", "bad.fa"), "w") as f:
            f.write(">a\nMKV\n>b\nMK1V\n")
        U.expect_errno(lambda: os.stat(os.path.join(d, "@bad.sam")), (22,))
        assert "queries/bad.fa:4: '1' (byte 3) is not a protein residue letter" in m.log_text()


def test_kernels_global_semiglobal_real_pairs():
    """Local, global and semi-global BLOSUM62 scores of the real pairs
    equal parasail's sw/nw/sg, every level the CPU has agreeing with the
    scalar one (score and end cell)."""
    import test_simd_kernels as K  # its ctypes tables of every level
    ec, ps = pairs()
    for q, n in ps:
        for mode in K.MODES:
            got = K.score_all_levels(K.PROT, K.MODES[mode], q, ec[n])
            assert got == K.PS_FN[mode](q, ec[n], 11, 1, parasail.blosum62).score, \
                (mode, q, n)


# ---- PROSITE patterns ----

def prosite_re(p):
    """PROSITE pattern -> Python regular expression (the oracle)."""
    p = p.rstrip(".")
    pre = "^" if p.startswith("<") else ""
    post = r"\Z" if p.endswith(">") else ""
    out = []
    for el in p.strip("<>").split("-"):
        m = re.fullmatch(r"(x|[A-Z*]|\[[A-Z*]+\]|\{[A-Z*]+\})(?:\((\d+)(?:,(\d+))?\))?", el)
        assert m, el
        c, lo, hi = m.groups()
        c = "." if c == "x" else "[^" + c[1:-1] + "]" if c[0] == "{" else c
        c = c.replace("*", r"\*")
        out.append(c + ("" if lo is None else "{%s}" % lo if hi is None else "{%s,%s}" % (lo, hi)))
    return re.compile(pre + "(?=(" + "".join(out) + post + "))")


PATTERNS = [
    "N-{P}-[ST]-{P}",                                  # PS00001 N-glycosylation
    "[RK](2)-x-[ST]",                                  # PS00004 cAMP kinase site
    "[ST]-x-[RK]",                                     # PS00005 PKC site
    "C-x(2,4)-C-x(3)-[LIVMFYWC]-x(8)-H-x(3,5)-H",      # PS00028 C2H2 zinc finger
    "G-x-G-x(2)-G",
    "<M-x(2,5)-[KR]",
    "[KR]-x(0,3)-[DE].",
    "[DE](2,6)-x(0,2)-[KR]",
    "L-x(1,4)-{LP}(0,3)-[AG]>",
    "x(2)-C-x(1,20)-C",
]


def test_prosite_patterns_equal_python_re(store, tmp_path):
    ec = records(PROT)
    names = list(ec)[:40]
    U.require_fuse()
    found = 0
    with U.mounted(store, tmp_path) as m:
        for pat in PATTERNS:
            rx = prosite_re(pat)
            for n in names:
                t = ec[n]
                for a, b in ((1, len(t)), (5, len(t) - 7)):
                    p = m.p("compute", "motif", "prot", U.esc(n), f"{a}-{b}", pat + ".bed")
                    got = U.read_file(p).decode()
                    # the region's residues; anchors hold at the record's ends
                    s = t[a - 1:b]
                    want = []
                    for h in rx.finditer(s):
                        if pat.startswith("<") and a != 1:
                            continue
                        if pat.rstrip(".").endswith(">") and b != len(t):
                            continue
                        st = a - 1 + h.start()
                        want.append(f"{n}\t{st}\t{st + len(h.group(1))}\t{pat}\t0\t+\n")
                    assert got == "".join(want), (pat, n, a, b)
                    found += len(want)
        # not patterns: ENOENT, as an unknown IUPAC motif is
        d = m.p("compute", "motif", "prot", U.esc(names[0]), "1-50")
        for bad in ("C-x(4,2)-C", "C--C", "x(0,3)", "C-x(2", "[]-C", "c-x-C", "C-x(5000)-C"):
            U.expect_errno(lambda: os.stat(os.path.join(d, bad + ".bed")), (2,))
    assert found > 100  # the patterns do occur


def test_prosite_pattern_on_dna_is_not_a_pattern(tmp_path):
    """On DNA the same file names are IUPAC motifs (ENOENT when not one)."""
    s = str(tmp_path / "s.gdb")
    assert U.gdb("init", s).rc == 0
    assert U.gdb("import", "fasta", s, "--assembly", "d",
                 os.path.join(DATA, "human_hg38_chrM.fa")).rc == 0
    U.require_fuse()
    with U.mounted(s, tmp_path) as m:
        d = m.p("compute", "motif", "d", "chrM", "1-1000")
        U.expect_errno(lambda: os.stat(os.path.join(d, "C-x(2,4)-C.bed")), (2,))
        assert os.path.getsize(os.path.join(d, "GATC.bed")) > 0
