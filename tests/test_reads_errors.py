"""Bad read inputs: each import fails with a message naming the file and the
record, line or contig at fault, and the store directory is byte-identical
afterwards (every file compared by SHA-256)."""
import gzip
import json
import os
import shutil
import subprocess

import pytest

import gdbutil as U

SIRV = os.path.join(U.DATA, "SIRV_150601a.fasta.gz")
NANO = os.path.join(U.DATA, "nanopore_sirv_SIRV2_SIRV7.bam")


def sh(*args):
    p = subprocess.run([str(a) for a in args], capture_output=True)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    return p.stdout


@pytest.fixture(scope="module")
def estore(genomedb, tmp_path_factory):
    d = tmp_path_factory.mktemp("rerr")
    path = d / "e.gdb"
    assert U.gdb("init", path).rc == 0
    assert U.gdb("import", "fasta", path, "--assembly", "sirv", SIRV, "-q").rc == 0
    # the same contigs, SIRV2 ten bases short
    with gzip.open(SIRV, "rt") as f:
        text = f.read()
    recs = [r for r in text.split(">") if r]
    out = []
    for r in recs:
        head, *lines = r.splitlines()
        seq = "".join(lines)
        if head.split()[0] == "SIRV2":
            seq = seq[:-10]
        out.append(f">{head}\n" + "".join(seq[i:i + 60] + "\n" for i in range(0, len(seq), 60)))
    bad = d / "short.fa"
    bad.write_text("".join(out))
    assert U.gdb("import", "fasta", path, "--assembly", "short", bad, "-q").rc == 0
    return str(path)


def sam_lines():
    return sh("samtools", "view", "-h", "--no-PG", NANO).decode().splitlines(keepends=True)


def expect_failure(store, args, *needles):
    before = U.snapshot(store)
    r = U.gdb("import", "bam", store, *args)
    assert r.rc != 0, r
    for n in needles:
        assert n in r.err, (n, r.err)
    after = U.snapshot(store)
    assert before == after, U.snapshot_diff(before, after)
    return r


def test_missing_contig(estore, tmp_path):
    sam = tmp_path / "x.sam"
    lines = sam_lines()
    lines.insert(1, "@SQ\tSN:chrNotThere\tLN:1000\n")
    sam.write_text("".join(lines))
    expect_failure(estore, ["--sample", "a", "--reference", "sirv", sam],
                   str(sam), "chrNotThere")


def test_record_on_missing_contig_even_when_allowed(estore, tmp_path):
    sam = tmp_path / "x.sam"
    lines = [l for l in sam_lines() if l.startswith("@")]
    lines.append("@SQ\tSN:chrZ\tLN:1000\n")
    lines.append("r1\t0\tchrZ\t10\t60\t4M\t*\t0\t0\tACGT\tIIII\n")
    sam.write_text("".join(lines))
    expect_failure(estore, ["--sample", "a", "--reference", "sirv", sam,
                            "--allow-missing-contigs"], "chrZ")


def test_length_differs(estore):
    expect_failure(estore, ["--sample", "a", "--reference", "short", NANO], NANO, "SIRV2", "LN:")


def test_md5_differs(estore, tmp_path):
    sam = tmp_path / "x.sam"
    lines = sam_lines()
    lines = [l.rstrip("\n") + "\tM5:0123456789abcdef0123456789abcdef\n"
             if l.startswith("@SQ\tSN:SIRV2\t") else l for l in lines]
    sam.write_text("".join(lines))
    expect_failure(estore, ["--sample", "a", "--reference", "sirv", sam], "SIRV2", "M5")


def test_unsorted(estore, tmp_path):
    sam = tmp_path / "x.sam"
    lines = sam_lines()
    head = [l for l in lines if l.startswith("@")]
    recs = [l for l in lines if not l.startswith("@")]
    recs[10], recs[40] = recs[40], recs[10]
    sam.write_text("".join(head + recs))
    first = next(i for i in range(1, len(recs))
                 if recs[i].split("\t")[2] == recs[i - 1].split("\t")[2]
                 and int(recs[i].split("\t")[3]) < int(recs[i - 1].split("\t")[3]))
    r = expect_failure(estore, ["--sample", "a", "--reference", "sirv", sam], str(sam),
                       f"record #{first + 1} ", "order")
    assert recs[first].split("\t")[0] in r.err


def test_truncated_bgzf(estore, tmp_path):
    cut = tmp_path / "cut.bam"
    data = open(NANO, "rb").read()
    cut.write_bytes(data[:len(data) // 2])
    expect_failure(estore, ["--sample", "a", "--reference", "sirv", cut], str(cut), "record #")


def test_bad_cigar(estore, tmp_path):
    sam = tmp_path / "x.sam"
    lines = sam_lines()
    head = [l for l in lines if l.startswith("@")]
    recs = [l for l in lines if not l.startswith("@")][:20]
    f = recs[5].split("\t")
    f[5] = "5M"         # five bases of CIGAR for a long sequence
    recs[5] = "\t".join(f)
    sam.write_text("".join(head + recs))
    expect_failure(estore, ["--sample", "a", "--reference", "sirv", sam], str(sam), "record #6")


def test_not_an_alignment_file(estore, tmp_path):
    x = tmp_path / "x.fa"
    x.write_text(">a\nACGT\n")
    expect_failure(estore, ["--sample", "a", "--reference", "sirv", x], str(x))


def test_unknown_assembly_and_taken_name(estore):
    expect_failure(estore, ["--sample", "a", "--reference", "nosuch", NANO], "nosuch")
    assert U.gdb("import", "bam", estore, "--sample", "dup", "--reference", "sirv", NANO,
                 "-q").rc == 0
    expect_failure(estore, ["--sample", "dup", "--reference", "sirv", NANO], "exists")


def test_md5_right_for_a_short_contig(estore, tmp_path):
    """SIRV2 is shorter than a block, so its MD5 is not stored but computed
    for the check: the right M5 is accepted."""
    info = json.loads(U.gdb("info", estore, "--json").out)
    sirv = next(a for a in info["assemblies"] if a["name"] == "sirv")
    c = next(c for c in sirv["contigs"] if c["name"] == "SIRV2")
    assert c["length"] < sirv["block_bases"]
    sam = tmp_path / "x.sam"
    lines = [l.rstrip("\n") + f"\tM5:{c['md5']}\n"
             if l.startswith("@SQ\tSN:SIRV2\t") else l for l in sam_lines()]
    sam.write_text("".join(lines))
    store = str(tmp_path / "copy.gdb")
    shutil.copytree(estore, store)
    r = U.gdb("import", "bam", store, "--sample", "m5ok", "--reference", "sirv", str(sam))
    assert r.rc == 0, r
