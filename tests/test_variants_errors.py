"""`genomedb import vcf` on bad input the messy-file tests do not reach:
each fails with exit 1 and a message naming the file (and the record,
contig and position, or the panel's line), and the store stays byte for
byte as it was. The inputs are small VCFs written here against a
generated two-contig reference, so each REF is known."""
import os
import random

import pytest

import gdbutil as U

N = 1000


@pytest.fixture(scope="module")
def ref(genomedb, tmp_path_factory):
    d = tmp_path_factory.mktemp("vcferr")
    rnd = random.Random(15)
    seqs = {c: "".join(rnd.choice("ACGT") for _ in range(N)) for c in ("chrA", "chrB")}
    fa = d / "ref.fa"
    fa.write_bytes(b"".join(b">%s\n" % c.encode() + U.wrap(s) for c, s in seqs.items()))
    s = d / "s.gdb"
    assert U.gdb("init", s).rc == 0
    r = U.gdb("import", "fasta", s, "--assembly", "ref", fa, "--quiet")
    assert r.rc == 0, r
    return {"dir": d, "store": str(s), "seqs": seqs}


def vcf(ref, name, rows, samples=("S1", "S2")):
    """A VCF of rows (chrom, pos, ref, alt, gts); ref None: the reference's."""
    head = ["##fileformat=VCFv4.2"]
    head += ["##contig=<ID=%s,length=%d>" % (c, N) for c in ref["seqs"]]
    head.append('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">')
    head.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO",
                           "FORMAT", *samples]))
    body = []
    for chrom, pos, r, alt, gts in rows:
        if r is None:
            r = ref["seqs"][chrom][pos - 1]
        body.append("\t".join([chrom, str(pos), ".", r, alt, ".", ".", ".", "GT", *gts]))
    p = ref["dir"] / name
    p.write_text("\n".join(head + body) + "\n")
    return str(p)


def refuse(ref, path, words, *extra):
    before = U.snapshot(ref["store"])
    r = U.gdb("import", "vcf", ref["store"], "--set", "v", "--reference", "ref", path, *extra)
    assert r.rc == 1, r
    for w in words:
        assert w in r.err, r.err
    assert U.snapshot(ref["store"]) == before, U.snapshot_diff(before, U.snapshot(ref["store"]))
    return r


def test_a_good_file_imports(ref, tmp_path):
    """The baseline the bad files differ from by one thing."""
    import shutil
    s = tmp_path / "ok.gdb"
    shutil.copytree(ref["store"], s)
    p = vcf(ref, "ok.vcf", [("chrA", 10, None, "N", ["0|1", "1|1"]),
                           ("chrB", 5, None, "N", ["0|0", "0|1"])])
    r = U.gdb("import", "vcf", s, "--set", "v", "--reference", "ref", p, "--quiet")
    assert r.rc == 0, r


def test_ref_past_the_end_of_the_contig(ref):
    tail = ref["seqs"]["chrA"][-2:]
    p = vcf(ref, "end.vcf", [("chrA", N - 1, tail + "AC", "A", ["0|1", "0|0"])])
    refuse(ref, p, ["end.vcf: record 1 (chrA:%d)" % (N - 1),
                    "REF %sAC runs past the end of chrA in ref" % tail])


def test_contig_comes_again(ref):
    p = vcf(ref, "again.vcf", [("chrA", 10, None, "N", ["0|1", "0|0"]),
                              ("chrB", 10, None, "N", ["0|1", "0|0"]),
                              ("chrA", 20, None, "N", ["0|1", "0|0"])])
    refuse(ref, p, ["again.vcf: record 3 (chrA:20)", "chrA comes again after other contigs"])


def test_triploid_calls(ref):
    p = vcf(ref, "tri.vcf", [("chrA", 10, None, "N", ["0/1/1", "0/0/0"])])
    refuse(ref, p, ["tri.vcf: record 1 (chrA:10)", "ploidy 3"])


def test_sample_name_with_a_control_character(ref):
    p = vcf(ref, "ctl.vcf", [("chrA", 10, None, "N", ["0|1", "0|0"])], samples=("S1", "S\x012"))
    refuse(ref, p, ["ctl.vcf", "sample 2's name has a control character"])


def test_not_a_variant_file(ref):
    p = ref["dir"] / "seq.vcf"
    p.write_bytes(b">chrA\n" + U.wrap(ref["seqs"]["chrA"]))
    refuse(ref, str(p), ["seq.vcf: not a VCF or BCF file (htslib sees"])


def test_missing_file_and_reference(ref):
    refuse(ref, str(ref["dir"] / "none.vcf"), ["none.vcf: No such file or directory"])
    p = vcf(ref, "r.vcf", [("chrA", 10, None, "N", ["0|1", "0|0"])])
    before = U.snapshot(ref["store"])
    r = U.gdb("import", "vcf", ref["store"], "--set", "v", "--reference", "hg38", p)
    assert r.rc == 1 and "no assembly hg38 in the store" in r.err, r
    assert U.snapshot(ref["store"]) == before


@pytest.mark.parametrize("text,words", [
    ("S1\tP1\nS1\tP2\n", ["panel.tsv:2: sample S1 listed twice"]),
    ("sample\tpop\tsuper_pop\nS1\n", ["panel.tsv:2: expected sample<TAB>population<TAB>super_pop"]),
    ("S1\tP\x01Q\n", ["panel names of S1 are not printable"]),
], ids=["twice", "short", "control"])
def test_bad_panel(ref, text, words):
    p = vcf(ref, "pan.vcf", [("chrA", 10, None, "N", ["0|1", "0|0"])])
    panel = ref["dir"] / "panel.tsv"
    panel.write_text(text)
    refuse(ref, p, words, "--panel", str(panel))
