"""Variant sets without a mount: import (real files, messy files, bad
files), `genomedb export vcf` against bcftools, and the stored size."""
import gzip
import os
import shutil

import pytest

import gdbutil as U
import variants_util as V


def export(vstore, name, *args):
    r = U.gdb("export", "vcf", vstore["path"], name, *args)
    assert r.rc == 0, r
    return r.out


def records(vcf_bytes):
    return b"".join(l + b"\n" for l in vcf_bytes.split(b"\n") if l and not l.startswith(b"#"))


def test_1000g_roundtrip_equals_bcftools(vstore):
    assert records(export(vstore, "kg")) == V.bcftools_records(V.KG_VCF)


def test_bcf_input_roundtrip(vstore):
    assert records(export(vstore, "kgbcf")) == V.bcftools_records(vstore["bcf"])


@pytest.mark.parametrize("fmt", ["b", "z"])
def test_export_binary_formats_read_by_bcftools(vstore, tmp_path, fmt):
    out = tmp_path / ("x.bcf" if fmt == "b" else "x.vcf.gz")
    r = U.gdb("export", "vcf", vstore["path"], "kg", "20:1500000-2000000", "-O", fmt, "-o", out)
    assert r.rc == 0, r
    assert V.sh("bcftools", "view", "-H", out) == V.bcftools_records(V.KG_VCF, "20:1500000-2000000")


def test_export_regions_in_order(vstore):
    got = records(export(vstore, "kg", "20:3000000-3010000", "20:1000000-1010000"))
    want = V.bcftools_records(V.KG_VCF, "20:3000000-3010000") + V.bcftools_records(V.KG_VCF, "20:1000000-1010000")
    assert got == want and got


def test_header_keeps_source_lines(vstore):
    head = [l for l in export(vstore, "kg", "20:1-1").split(b"\n") if l.startswith(b"#")]
    want = [l for l in V.sh("bcftools", "view", "-h", "--no-version", V.KG_VCF).split(b"\n") if l]
    assert head == want


def test_giab_single_sample(vstore):
    assert records(export(vstore, "giab")) == V.bcftools_records(V.GIAB_VCF)


@pytest.mark.parametrize("case", ["undeclared", "number", "symbolic", "names", "missing",
                                  "multiallelic", "ploidy", "phasing"])
def test_messy_file_roundtrips(vstore, case):
    src = vstore["messy"][case]
    assert records(export(vstore, "m_" + case)) == V.bcftools_records(src)


def test_warnings_are_counted(vstore, tmp_path):
    path = tmp_path / "w.gdb"
    assert U.gdb("init", path).rc == 0
    assert U.gdb("import", "fasta", path, "--assembly", "yeast", V.YEAST, "--quiet").rc == 0
    r = U.gdb("import", "vcf", path, "--set", "u", "--reference", "yeast", vstore["messy"]["undeclared"])
    assert r.rc == 0 and "header lines added by htslib" in r.err, r
    r = U.gdb("import", "vcf", path, "--set", "n", "--reference", "yeast", vstore["messy"]["number"])
    assert r.rc == 0 and "3 INFO values whose count disagrees" in r.err, r


def _bad_inputs(vstore, tmp_path):
    trunc = tmp_path / "trunc.vcf.gz"
    with open(V.KG_VCF, "rb") as f:
        data = f.read()
    trunc.write_bytes(data[: len(data) // 2])
    m = vstore["messy"]
    return {
        "bad_ref": (m["bad_ref"], "yeast", ["record 2 (chrI:300)", "REF AT", "has CT"]),
        "unsorted": (m["unsorted"], "yeast", ["record 2 (chrI:200)", "not sorted"]),
        "no_contig": (m["no_contig"], "yeast", ["record 1 (chrZ:10)", "not in the reference"]),
        "bad_header": (m["bad_header"], "yeast", ["header"]),
        "truncated": (str(trunc), "b37", ["trunc.vcf.gz: record", "truncated"]),
    }


@pytest.mark.parametrize("case", ["bad_ref", "unsorted", "no_contig", "bad_header", "truncated"])
def test_bad_input_fails_and_leaves_store_identical(vstore, tmp_path, case):
    path = tmp_path / "b.gdb"
    shutil.copytree(vstore["path"], path)
    src, ref, words = _bad_inputs(vstore, tmp_path)[case]
    before = U.snapshot(path)
    r = U.gdb("import", "vcf", path, "--set", "bad", "--reference", ref, src)
    assert r.rc == 1, r
    assert os.path.basename(src) in r.err, r
    for w in words:
        assert w in r.err, r
    after = U.snapshot(path)
    assert before == after, U.snapshot_diff(before, after)


def test_allow_ref_mismatch_keeps_the_record(vstore, tmp_path):
    path = tmp_path / "a.gdb"
    shutil.copytree(vstore["path"], path)
    src = vstore["messy"]["bad_ref"]
    r = U.gdb("import", "vcf", path, "--set", "a", "--reference", "yeast", src, "--allow-ref-mismatch")
    assert r.rc == 0 and "1 REF alleles differ" in r.err, r
    got = U.gdb("export", "vcf", path, "a")
    assert records(got.out) == V.bcftools_records(src)


def test_panel_unassigned_and_two_columns(vstore, tmp_path):
    path = tmp_path / "p.gdb"
    shutil.copytree(vstore["path"], path)
    samples = vstore["samples"]
    two = tmp_path / "two.tsv"
    two.write_text("".join(f"{s}\tPOP{i % 3}\n" for i, s in enumerate(samples[:200])))
    r = U.gdb("import", "vcf", path, "--set", "p", "--reference", "b37", V.KG_VCF, "--panel", two)
    assert r.rc == 0 and "(100 unassigned, 3 populations)" in r.err, r
    bad = tmp_path / "bad.tsv"
    bad.write_text("HG00096\n")
    r = U.gdb("import", "vcf", path, "--set", "q", "--reference", "b37", V.KG_VCF, "--panel", bad)
    assert r.rc == 1 and "bad.tsv:1:" in r.err, r


def test_stored_size_beats_zstd19_of_plain_vcf(vstore):
    """The set's segment (every section, index and header) is smaller
    than zstd -19 of the plain VCF (652,013 bytes here)."""
    import subprocess
    plain = gzip.open(V.KG_VCF).read()
    z = subprocess.run(["zstd", "-19", "-c", "-q"], input=plain, capture_output=True, check=True).stdout
    info = U.gdb("info", vstore["path"], "--json")
    assert info.rc == 0
    import json
    objs = {o["name"]: o for o in json.loads(info.out)["objects"]}
    seg = objs["variants/kg"]["stored_bytes"]
    assert seg < len(z), (seg, len(z))


def _import_small(tmp_path, name):
    """The command line of an `import vcf` of a small set (400 records of
    the 1000 Genomes file) as set name, into a store made on first use."""
    path = tmp_path / "p.gdb"
    if not path.exists():
        assert U.gdb("init", path).rc == 0
        assert U.gdb("import", "fasta", path, "--assembly", "b37", V.KG_REF, "--quiet").rc == 0
    src = V.vcf_subset(tmp_path / "s.vcf.gz", nrec=400, nsamples=4)
    return [U.BINARY, "import", "vcf", path, "--set", name, "--reference", "b37", src]


def test_import_progress_on_a_tty_only(tmp_path):
    import select
    import subprocess
    master, slave = os.openpty()
    p = subprocess.Popen([str(a) for a in _import_small(tmp_path, "tty")], stdin=subprocess.DEVNULL,
                         stdout=slave, stderr=slave)
    os.close(slave)
    seen = b""
    while True:  # the pty's master until the child closes its side
        r, _, _ = select.select([master], [], [], 60)
        if not r:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: every slave descriptor closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert p.wait(60) == 0, seen
    text = seen.decode("utf-8", "replace")
    assert "\rimporting " in text and "100%" in text and "400 records" in text, text
    piped = U.run(_import_small(tmp_path, "piped"))
    assert piped.rc == 0, piped
    assert "importing " not in piped.err and "%" not in piped.err, piped.err
