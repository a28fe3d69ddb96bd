"""`genomedb import annotations` (docs/PATHS.md "Annotations"): malformed
input gives one clear error naming the file and line and leaves the store
byte-identical; --rename maps seqid aliases to the reference's names,
--skip-unknown drops seqids the reference lacks, --allow-orphans keeps lines
whose Parent never appears; provenance is recorded; the translation
tables agree with Biopython on every IUPAC codon (ctypes on
libgenomedb.so)."""
import ctypes
import gzip
import hashlib
import os
import subprocess

import pytest
from Bio.Data import CodonTable
from Bio.Seq import Seq

import annot_oracle as O
import gdbutil as U

YEAST_GFF = os.path.join(O.ADATA, "yeast_S288C_chrI_chrII.gff3.gz")
CHRI = os.path.join(U.DATA, "yeast_S288C_chrI.fa.gz")


@pytest.fixture(scope="module")
def base(tmp_path_factory, genomedb):
    """A store with yeast chrI as 'yeast' and, under the alias-style name
    'Scer:chrI:1-230208', as 'scer'."""
    d = tmp_path_factory.mktemp("annimp")
    store = str(d / "s.gdb")
    assert U.gdb("init", store).rc == 0
    assert U.gdb("import", "fasta", store, "--assembly", "yeast", CHRI, "-q").rc == 0
    raw = gzip.decompress(open(CHRI, "rb").read())
    alias = d / "scer.fa"
    alias.write_bytes(raw.replace(b">chrI", b">Scer:chrI:1-230208 renamed", 1))
    assert U.gdb("import", "fasta", store, "--assembly", "scer", str(alias), "-q").rc == 0
    return d, store


def write(d, name, text):
    p = d / name
    p.write_text(text)
    return str(p)


GOOD = "chrI\tx\tgene\t100\t200\t.\t+\t.\tID=g1\n"
BAD = [  # (file name, text, expected message part, line)
    ("cols.gff3", GOOD + "chrI\tx\tmRNA\t100\t200\t.\t+\n", "7 tab-separated columns, expected 9", 2),
    ("coord.gff3", GOOD + "chrI\tx\tgene\t1x\t200\t.\t+\t.\tID=a\n", "not a positive whole", 2),
    ("zero.gff3", "chrI\tx\tgene\t0\t200\t.\t+\t.\tID=a\n", "not a positive whole", 1),
    ("order.gff3", "##gff-version 3\n" + GOOD + "chrI\tx\tgene\t300\t200\t.\t+\t.\tID=a\n",
     "end 200 before start 300", 3),
    ("parent.gff3", GOOD + "chrI\tx\tmRNA\t100\t200\t.\t+\t.\tID=t;Parent=g2\n",
     "Parent 'g2' never appears", 2),
    ("past.gff3", "chrI\tx\tgene\t230000\t230209\t.\t+\t.\tID=a\n", "past the end of chrI", 1),
    ("seqid.gff3", GOOD + "chrXV\tx\tgene\t1\t10\t.\t+\t.\tID=a\n", "seqid 'chrXV' is not a contig", 2),
    ("strand.gtf", 'chrI\tx\texon\t1\t10\t.\tx\t.\tgene_id "a";\n', "strand", 1),
    ("bed.bed", "chrI\t10\t20\nchrI\t30\t20\n", "end 20 before start 30", 2),
    ("cycle.gff3", "chrI\tx\tgene\t1\t9\t.\t+\t.\tID=a;Parent=b\n"
     "chrI\tx\tgene\t1\t9\t.\t+\t.\tID=b;Parent=a\n", "own ancestor", 1),
]


@pytest.mark.parametrize("name,text,msg,line", BAD, ids=[b[0] for b in BAD])
def test_malformed_leaves_store_unchanged(base, name, text, msg, line):
    d, store = base
    f = write(d, name, text)
    before = U.snapshot(store)
    r = U.gdb("import", "annotations", store, "--set", "x", "--reference", "yeast", f)
    assert r.rc == 1, r
    assert f"{f}:{line}: " in r.err and msg in r.err, r.err
    assert len(r.err.strip().splitlines()) == 1, r.err
    assert U.snapshot(store) == before, U.snapshot_diff(before, U.snapshot(store))


def test_truncated_bgzf(base):
    """A bgzip file cut inside a block, or missing its end-of-file block,
    is an error naming the file and the line reached."""
    d, store = base
    text = O.read_text(YEAST_GFF)
    lines = text.split("\n")
    chri = "\n".join(x for x in lines if not x.startswith("chrII")) + "\n"
    plain = write(d, "y.gff3", chri)
    subprocess.run(["bgzip", "-f", "-k", plain], check=True)
    data = open(plain + ".gz", "rb").read()
    before = U.snapshot(store)
    for cut, why in ((len(data) // 2, "truncated"), (len(data) - 28, "no BGZF end-of-file")):
        p = str(d / f"cut{cut}.gff3.gz")
        with open(p, "wb") as f:
            f.write(data[:cut])
        r = U.gdb("import", "annotations", store, "--set", "x", "--reference", "yeast", p)
        assert r.rc == 1 and p + ":" in r.err and why in r.err, r
    assert U.snapshot(store) == before
    r = U.gdb("import", "annotations", store, "--set", "whole", "--reference", "yeast",
              plain + ".gz")
    assert r.rc == 0, r


def test_usage_errors(base):
    d, store = base
    f = write(d, "ok.gff3", GOOD)
    before = U.snapshot(store)
    cases = [
        (["--set", "x", "--reference", "nope", f], "no assembly 'nope'"),
        (["--set", "a/b", "--reference", "yeast", f], "set name 'a/b'"),
        (["--set", "x", "--reference", "yeast", str(d / "missing.gff3")], "missing.gff3"),
        (["--set", "x", "--reference", "yeast", "--rename", str(d / "none.txt"), f], "none.txt"),
    ]
    for args, msg in cases:
        r = U.gdb("import", "annotations", store, *args)
        assert r.rc != 0 and msg in r.err, (args, r)
    assert U.snapshot(store) == before
    assert U.gdb("import", "annotations", store, "--set", "dup", "--reference", "yeast", f).rc == 0
    before = U.snapshot(store)
    r = U.gdb("import", "annotations", store, "--set", "dup", "--reference", "yeast", f)
    assert r.rc == 1 and "already exists" in r.err, r
    assert U.snapshot(store) == before


def test_rename_and_skip_unknown(base, tmp_path):
    """--rename reads `chrI` as the reference's `Scer:chrI:1-230208`;
    chrII, absent from the reference, fails the import unless
    --skip-unknown drops its lines (and says how many)."""
    d, store = base
    ren = write(d, "rename.txt", "# alias  reference contig\nchrI\tScer:chrI:1-230208\n")
    before = U.snapshot(store)
    r = U.gdb("import", "annotations", store, "--set", "scer", "--reference", "scer",
              "--rename", ren, YEAST_GFF)
    assert r.rc == 1 and "seqid 'chrII' is not a contig" in r.err, r
    assert U.snapshot(store) == before
    lines = O.feature_lines(O.read_text(YEAST_GFF), "gff3")
    n2 = sum(1 for x in lines if x.startswith("chrII\t"))
    r = U.gdb("import", "annotations", store, "--set", "scer", "--reference", "scer",
              "--rename", ren, "--skip-unknown", YEAST_GFF)
    assert r.rc == 0 and f"{n2} lines skipped" in r.err, r
    bad = write(d, "rename_bad.txt", "chrI\tchrNope\n")
    r = U.gdb("import", "annotations", store, "--set", "s2", "--reference", "scer",
              "--rename", bad, YEAST_GFF)
    assert r.rc == 1 and f"{bad}:1: 'chrNope' is not a contig" in r.err, r
    U.require_fuse()
    chri = [x for x in lines if x.startswith("chrI\t")]
    gz = O.tabix_index(chri, "gff3", str(tmp_path / "chri.gff3"))
    with U.mounted(store, tmp_path) as m:
        got = U.read_file(m.p("annotations", "scer", "Scer:chrI:1-230208", "1000-50000.gff3"))
        want = O.tabix(gz, "chrI", 1000, 50000).replace(b"chrI\t", b"Scer:chrI:1-230208\t")
        assert got == want
        assert sorted(os.listdir(m.p("annotations"))) == ["dup", "scer", "whole"]


def test_provenance(base):
    d, store = base
    r = U.gdb("info", store)
    sha = hashlib.sha256(open(YEAST_GFF, "rb").read()).hexdigest()
    assert f"annotations/scer <- {YEAST_GFF}" in r.out.decode()
    assert sha in r.out.decode()


def test_orphans(base):
    """A Parent that never appears is an error, or with --allow-orphans the
    line is kept without the link (the Arabidopsis 1% subset cuts genes)."""
    d, store = base
    f = write(d, "orphan.gff3", GOOD + "chrI\tx\texon\t100\t150\t.\t+\t.\tParent=gone\n")
    assert U.gdb("import", "annotations", store, "--set", "o", "--reference", "yeast", f).rc == 1
    r = U.gdb("import", "annotations", store, "--set", "o", "--reference", "yeast",
              "--allow-orphans", f)
    assert r.rc == 0 and "1 Parent links dropped" in r.err, r


# ------------------------------------------------------------ translation

IUPAC = "ACGTURYSWKMBDHVN"


@pytest.mark.filterwarnings("ignore::Bio.BiopythonWarning")
def test_translate_matches_biopython():
    """gdb_annot_translate on all 16^3 IUPAC codons, every NCBI table
    Biopython knows, equals Bio.Seq.translate (and M for a start codon)."""
    lib = ctypes.CDLL(os.path.join(U.BUILD, "libgenomedb.so"))
    f = lib.gdb_annot_translate
    f.restype = ctypes.c_int64
    f.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_char_p]
    codons = [a + b + c for a in IUPAC for b in IUPAC for c in IUPAC]
    dna = "".join(codons)
    out = ctypes.create_string_buffer(len(codons))
    for table in sorted(CodonTable.unambiguous_dna_by_id):
        assert f(dna.encode(), len(dna), table, 0, out) == len(codons)
        want = str(Seq(dna.replace("U", "T")).translate(table=table))
        got = out.raw.decode()
        bad = [(codons[i], got[i], want[i]) for i in range(len(codons)) if got[i] != want[i]]
        assert not bad, (table, bad[:10])
        starts = CodonTable.unambiguous_dna_by_id[table].start_codons
        for c in ("ATG", "GTG", "TTG", "CTG", "ATA", "ATT"):
            assert f(c.encode(), 3, table, 1, out) == 1
            assert out.raw[:1].decode() == ("M" if c in starts else want[codons.index(c)])
        assert f(b"ATGAA", 5, table, 0, out) == 1
    assert f(b"ATG", 3, 7, 0, out) == -22


def test_replace(base):
    """--replace swaps a set in one commit; an identical re-import commits
    nothing."""
    d, store = base
    f1 = write(d, "r1.gff3", GOOD)
    f2 = write(d, "r2.gff3", GOOD + "chrI\tx\tgene\t300\t400\t.\t-\t.\tID=g2\n")
    assert U.gdb("import", "annotations", store, "--set", "rep", "--reference", "yeast", f1).rc == 0
    r = U.gdb("import", "annotations", store, "--set", "rep", "--reference", "yeast",
              "--replace", f2)
    assert r.rc == 0 and "2 features" in r.err, r
    before = U.snapshot(store)
    r = U.gdb("import", "annotations", store, "--set", "rep", "--reference", "yeast",
              "--replace", f2)
    assert r.rc == 0, r
    assert U.snapshot(store) == before, U.snapshot_diff(before, U.snapshot(store))
