"""RNA through /compute (issue 9: "U is T" for every kernel). Twelve real
miRBase hairpins (tests/data/rna, U alphabet, some with N and IUPAC codes)
are imported twice: as they are ("rna") and as seqkit spells them in DNA
(`seqkit seq --rna2dna`, "dna"). Every analysis of an RNA region must be
what the peers compute on the sequence with U -> T: Biopython's
gc_fraction, a Counter of k-mers, `seqkit locate -i -d` for IUPAC motifs,
parasail's Smith-Waterman score, a numpy code table for .u8; and every
computed file of the RNA assembly must equal the DNA assembly's byte for
byte (PWM scans included)."""
import collections
import os
import re
import shutil
import subprocess

import numpy as np
import parasail
import pytest
from Bio.SeqUtils import gc_fraction

import gdbutil as U

pytestmark = pytest.mark.mount

RNA_FA = os.path.join(U.DATA, "rna", "mirbase_hairpin_12.fa")
JASPAR = os.path.join(U.DATA, "motifs", "hand.jaspar")
COMP = str.maketrans("ACGT", "TGCA")


def records(path):
    out, name = {}, None
    for line in open(path):
        if line.startswith(">"):
            name = line[1:].split()[0]
            out[name] = []
        else:
            out[name].append(line.strip())
    return {k: "".join(v) for k, v in out.items()}


@pytest.fixture(scope="module")
def rmnt(genomedb, tmp_path_factory):
    U.require_fuse()
    seqkit = shutil.which("seqkit")
    assert seqkit or os.environ.get("CI") != "true", "seqkit missing (make deps installs it)"
    if not seqkit:
        pytest.skip("seqkit not installed (make deps installs it)")
    d = tmp_path_factory.mktemp("rna")
    dna_fa = d / "dna.fa"
    with open(dna_fa, "w") as f:
        subprocess.run([seqkit, "seq", "--rna2dna", RNA_FA], stdout=f, check=True)
    s = d / "r.gdb"
    assert U.gdb("init", s).rc == 0
    for asm, src in (("rna", RNA_FA), ("dna", str(dna_fa))):
        r = U.gdb("import", "fasta", s, "--assembly", asm, src, "--quiet")
        assert r.rc == 0, r
    assert U.gdb("import", "motifs", s, "--set", "hand", JASPAR, "--quiet").rc == 0
    rna, dna = records(RNA_FA), records(str(dna_fa))
    assert list(rna) == list(dna) and all("U" in v for v in rna.values())
    assert all(dna[k] == rna[k].replace("U", "T") for k in rna)    # seqkit agrees
    with U.mounted(s, d) as m:
        yield m, rna, dna_fa


def cfile(m, *parts):
    return U.read_file(m.p("compute", *parts))


def test_gc_counts_u(rmnt):
    m, rna, _ = rmnt
    for name, seq in rna.items():
        tsv = cfile(m, "gc", "rna", U.esc(name), f"1-{len(seq)}@w=50.tsv").decode()
        got = [float(line.split("\t")[3]) for line in tsv.splitlines()[1:]]
        dna = seq.replace("U", "T")
        want = [gc_fraction(dna[i:i + 50]) for i in range(0, len(dna), 50)]
        assert np.allclose(got, want, atol=5e-7), name


@pytest.mark.parametrize("k,canonical", [(3, 0), (7, 1)])
def test_kmers_count_u(rmnt, k, canonical):
    m, rna, _ = rmnt
    name = max(rna, key=lambda n: len(rna[n]))
    seq = rna[name].replace("U", "T")
    tsv = cfile(m, "kmers", "rna", U.esc(name),
                f"1-{len(seq)}@k={k},top=40,canonical={canonical}.tsv").decode()
    counts = collections.Counter()
    for i in range(len(seq) - k + 1):
        w = seq[i:i + k]
        if set(w) <= set("ACGT"):
            counts[min(w, w.translate(COMP)[::-1]) if canonical else w] += 1
    want = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:40]
    assert [(a, int(b)) for a, b in (x.split("\t") for x in tsv.splitlines()[1:])] == want


@pytest.mark.parametrize("pattern", ["TGAGGTAG", "GAUC", "RYCGNW"])
def test_motif_matches_seqkit(rmnt, pattern):
    m, rna, dna_fa = rmnt
    out = subprocess.run([shutil.which("seqkit"), "locate", "-i", "-d", "-p",
                          pattern.replace("U", "T"), str(dna_fa)],
                         capture_output=True, text=True, check=True).stdout
    want = collections.defaultdict(list)
    for f in (line.split("\t") for line in out.splitlines()[1:]):
        want[f[0]].append((int(f[4]) - 1, f[3]))
    for name, seq in rna.items():
        bed = cfile(m, "motif", "rna", U.esc(name), f"1-{len(seq)}", f"{pattern}.bed").decode()
        got = [(int(x[1]), x[5]) for x in (line.split("\t") for line in bed.splitlines())]
        assert got == sorted(want[name]), (name, pattern)


def test_align_scores_u_as_t(rmnt):
    m, rna, _ = rmnt
    mat = parasail.matrix_create("ACGT", 2, -3)
    for name in sorted(rna, key=lambda n: -len(rna[n]))[:3]:
        target = rna[name].replace("U", "T")
        q = list(target[200:290])
        q[40] = "A" if q[40] != "A" else "C"
        query = re.sub("[^ACGT]", "A", "".join(q))
        sam = cfile(m, "align", "rna", U.esc(name), f"1-{len(target)}", f"{query}.sam").decode()
        row = [x.split("\t") for x in sam.splitlines() if not x.startswith("@")][0]
        want = max(parasail.sw_scan_32(query, target, 5, 2, mat).score,
                   parasail.sw_scan_32(query.translate(COMP)[::-1], target, 5, 2, mat).score)
        assert int(row[11].split(":")[2]) == want, name
        assert re.fullmatch(r"(\d+[=XIDS])+", row[5]) and int(row[3]) >= 1


def test_u8_codes_u_as_t(rmnt):
    m, rna, _ = rmnt
    name = "cel-let-7"
    got = np.frombuffer(U.read_file(m.p("rna", U.esc(name), f"1-{len(rna[name])}.u8")), np.uint8)
    codes = "ACGTNRYSWKMBDHV"
    assert list(got) == [codes.index(c) for c in rna[name].replace("U", "T")]


def test_rna_answers_equal_dna_answers(rmnt):
    """Every computed file of the RNA spelling is the DNA spelling's."""
    m, rna, _ = rmnt
    for name, seq in rna.items():
        n, e = U.esc(name), len(seq)
        files = [("gc", "rna", n, f"1-{e}@w=20,step=7.tsv"), ("gc", "rna", n, f"1-{e}.f32"),
                 ("kmers", "rna", n, f"1-{e}@k=5,top=1000.tsv"),
                 ("motif", "rna", n, f"1-{e}", "NNRYN.bed"),
                 ("motif", "rna", n, f"1-{e}", "pwm", "HW0001.1@p=5e-2.bed"),
                 ("motif", "rna", n, f"1-{e}", "pwm", "HW0003.2@p=5e-2.bed"),
                 ("align", "rna", n, f"1-{e}",
                  re.sub("[^ACGT]", "N", seq[10:40].replace("U", "T")) + ".sam")]
        for f in files:
            a = cfile(m, *f)
            assert a and a == cfile(m, f[0], "dna", *f[2:]), f
