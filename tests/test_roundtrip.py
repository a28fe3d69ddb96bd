"""Every test genome: export is the input byte for byte, and info agrees
with samtools; FASTA quirks real files have (trailing blank line, CRLF, no
final newline, blank lines, uneven widths, GenBank blocks of ten, "> NAME")
come back exactly."""
import json
import os
import subprocess

import pytest

import gdbutil as U


@pytest.fixture(scope="module")
def info(store):
    r = U.gdb("info", store.path, "--json")
    assert r.rc == 0, r
    return json.loads(r.out)


def _asm(info, name):
    for a in info["assemblies"]:
        if a["name"] == name:
            return a
    raise AssertionError(f"assembly {name} missing from info --json: "
                         f"{[a['name'] for a in info['assemblies']]}")


def test_oracle_agrees_with_parser(genomes):
    """Sanity of the test oracles: our parser and htslib read the same sequences."""
    for g in genomes.values():
        assert list(g.fasta.references) == [r.name for r in g.records], g.asm
        for r in g.records:
            assert g.fasta.get_reference_length(r.name) == r.length
            if r.length < 2_000_000:
                assert g.fetch(r.name, 1, r.length) == r.seq, (g.asm, r.name)


@pytest.mark.parametrize("asm", U.GENOMES)
def test_export_equals_input(store, genomes, asm, workdir):
    store.require(asm)
    g = genomes[asm]
    r = U.gdb("export", "fasta", store.path, asm)
    assert r.rc == 0, r
    # well-formed or not (mito: CRLF, no final newline; lambda: a trailing
    # blank line), export gives the imported bytes back
    raw = U.read_maybe_gz(g.src)
    assert r.out == raw, U.first_diff(r.out, raw)


@pytest.mark.parametrize("asm", U.GENOMES)
def test_info_reports_the_real_fasta_size(store, genomes, info, asm):
    """info's FASTA size is the decompressed input's, and the ratio with it."""
    store.require(asm)
    a = _asm(info, asm)
    assert a["fasta_bytes"] == genomes[asm].raw_size, a["fasta_bytes"]
    assert sum(c["fasta_bytes"] for c in a["contigs"]) == genomes[asm].raw_size
    r = U.gdb("info", store.path)
    line = [ln for ln in r.out.decode().splitlines() if ln.startswith(f"assembly {asm}:")][0]
    ratio = genomes[asm].raw_size / a["stored_bytes"]
    assert f"{ratio:.2f}:1 vs its FASTA ({genomes[asm].raw_size} bytes" in line, line


@pytest.mark.parametrize("asm", U.GENOMES)
def test_info_matches_samtools(store, genomes, info, asm, workdir):
    store.require(asm)
    g = genomes[asm]
    a = _asm(info, asm)
    fai = [ln.split("\t") for ln in open(g.plain + ".fai").read().splitlines()]
    d = U.run(["samtools", "dict", g.plain])
    assert d.rc == 0, d
    m5 = {}
    for ln in d.out.decode().splitlines():
        if ln.startswith("@SQ"):
            f = dict(x.split(":", 1) for x in ln.split("\t")[1:])
            m5[f["SN"]] = f["M5"]
    contigs = a["contigs"]
    assert [c["name"] for c in contigs] == [x[0] for x in fai], "contig names/order"
    for c, x, rec in zip(contigs, fai, g.records):
        assert c["length"] == int(x[1]), c["name"]
        assert c["md5"] == m5[c["name"]], c["name"]
        assert c["md5"] == U.md5_hex(rec.seq), c["name"]
        assert c["refget"] == U.refget(rec.seq), c["name"]
        assert (c.get("description") or "") == rec.desc, c["name"]
    assert isinstance(a["stored_bytes"], int) and a["stored_bytes"] > 0


def test_info_generation_and_assemblies(store, info, genomes):
    assert isinstance(info["generation"], int)
    names = [a["name"] for a in info["assemblies"]]
    expected = [a for a in U.GENOMES if a not in store.failures]
    assert sorted(names) == sorted(expected)


def test_stored_bytes_two_bits_per_base(store, genomes, info):
    """Plain ACGT genomes pack to about 2 bits a base (plus small overhead)."""
    store.require("ecoli")
    a = _asm(info, "ecoli")
    n = genomes["ecoli"].total_length
    assert a["stored_bytes"] < 0.30 * n, f"{a['stored_bytes']} bytes for {n} bases"


# ---------------------------------------------------------------- quirks

def _real_seq():
    """Real sequence to lay out in quirky ways: yeast chrI (SGD)."""
    recs, _ = U.parse_fasta(U.read_maybe_gz(os.path.join(U.DATA, "yeast_S288C_chrI.fa.gz")))
    return recs[0].seq


def _lines(seq, widths):
    """seq cut into lines of the given widths (cycled), without newlines."""
    out, i, k = [], 0, 0
    while i < len(seq):
        w = widths[k % len(widths)]
        out.append(seq[i:i + w])
        i += w
        k += 1
    return out


def _genbank_line(chunk):
    return b" ".join(chunk[i:i + 10] for i in range(0, len(chunk), 10))


def _quirks():
    s = _real_seq()
    a, b, c = s[:5000], s[5000:12000], s[12000:12345]
    nl = b"\n"
    return {
        "trailing-blank-line": b">a\n" + U.wrap(a, 70) + b">b\n" + U.wrap(b, 70) + nl,
        "two-trailing-blank-lines": b">a\n" + U.wrap(a, 60) + nl + nl,
        "crlf": b">a desc\r\n" + U.wrap(a, 60).replace(nl, b"\r\n") + b">b\r\n"
                + U.wrap(b, 60).replace(nl, b"\r\n"),
        "no-final-newline": b">a\n" + U.wrap(a, 60) + b">b\n" + U.wrap(c, 60)[:-1],
        "blank-lines-inside": b">a\n" + U.wrap(a[:600], 60) + nl + U.wrap(a[600:], 60)
                              + nl + nl + b">b x\n" + U.wrap(b, 80),
        "uneven-widths": b">a\n" + nl.join(_lines(a, [60, 61, 59, 7, 120])) + nl
                         + b">b\n" + nl.join(_lines(b, [80, 80, 80, 3])) + nl,
        "one-line-records": b">a\n" + a + nl + b">b\n" + b + nl,
        "blank-lines-before-first-header": nl + b"\r\n" + b">a\n" + U.wrap(a, 60),
        "genbank-blocks-of-ten": b">a GenBank-style\n"
                                 + b"".join(_genbank_line(x) + nl for x in _lines(a, [60]))
                                 + b">b\n" + b"".join(b"  " + _genbank_line(x) + b" \n"
                                                        for x in _lines(b, [60])),
        "space-after-gt": b"> HBA_HUMAN alpha globin\n" + U.wrap(a, 60)
                          + b">\tHBB_HUMAN\n" + U.wrap(b, 60) + b">  MB_HUMAN\r\n" + U.wrap(c, 60),
        "lowercase-and-n": b">a\n" + U.wrap(a[:300].lower() + b"N" * 500 + a[300:], 60),
    }


QUIRKS = _quirks()


def _import(tmp_path, name, data):
    src = tmp_path / f"{name}.fa"
    src.write_bytes(data)
    store = tmp_path / "q.gdb"
    if not store.exists():
        assert U.gdb("init", store).rc == 0
    r = U.gdb("import", "fasta", store, "--assembly", "q", src, "--quiet")
    return r, str(store), str(src)


@pytest.mark.parametrize("name", sorted(QUIRKS))
def test_export_is_exact_for_quirky_layouts(genomedb, tmp_path, name):
    data = QUIRKS[name]
    r, store, _ = _import(tmp_path, name, data)
    assert r.rc == 0, r
    out = U.gdb("export", "fasta", store, "q")
    assert out.rc == 0, out
    assert out.out == data, U.first_diff(out.out, data)
    info = json.loads(U.gdb("info", store, "--json").out)
    assert info["assemblies"][0]["fasta_bytes"] == len(data)
    assert U.gdb("verify", store).rc == 0


def _biopython(path):
    from Bio import SeqIO
    return [(rec.id, bytes(rec.seq)) for rec in SeqIO.parse(path, "fasta")]


def test_genbank_blocks_of_ten_read_as_biopython(genomedb, tmp_path):
    """Blanks inside sequence lines are skipped (Biopython's reading)."""
    data = QUIRKS["genbank-blocks-of-ten"]
    r, store, src = _import(tmp_path, "gb", data)
    assert r.rc == 0, r
    for name, seq in _biopython(src):
        got = U.gdb("export", "fasta", store, "q", name, "--width", str(len(seq)))
        assert got.rc == 0, got
        assert got.out.split(b"\n", 1)[1].rstrip(b"\n") == seq, name


def test_space_after_gt_is_named_as_samtools(genomedb, tmp_path):
    """'> NAME' is NAME, as samtools faidx names it (and its sequence agrees)."""
    data = QUIRKS["space-after-gt"]
    r, store, src = _import(tmp_path, "sp", data)
    assert r.rc == 0, r
    fai = subprocess.run(["samtools", "faidx", src], capture_output=True)
    assert fai.returncode == 0, fai.stderr
    names = [ln.split("\t")[0] for ln in open(src + ".fai").read().splitlines()]
    info = json.loads(U.gdb("info", store, "--json").out)
    assert [c["name"] for c in info["assemblies"][0]["contigs"]] == names
    for n in names:
        ref = subprocess.run(["samtools", "faidx", src, n], capture_output=True).stdout
        got = U.gdb("export", "fasta", store, "q", n).out
        assert got == ref, U.first_diff(got, ref)


def test_nul_in_header_is_refused(genomedb, tmp_path):
    r, store, _ = _import(tmp_path, "nul", b">a\x00b\nACGT\n")
    assert r.rc == 1 and ":1: NUL byte in the header" in r.err, r


def test_replace_of_identical_file_adds_no_copy(genomedb, tmp_path):
    data = QUIRKS["crlf"]
    r, store, src = _import(tmp_path, "same", data)
    assert r.rc == 0, r
    before = U.snapshot(store)
    r = U.gdb("import", "fasta", store, "--assembly", "q", src, "--replace")
    assert r.rc == 0, r
    assert "identical" in r.err, r
    assert U.snapshot(store) == before, U.snapshot_diff(before, U.snapshot(store))


def test_old_version_1_store_is_still_read(genomedb, tmp_path):
    """tests/data/v1store: a store written by the version before layouts
    (segment version 1, CURRENT without checksum): info, export (as it
    always exported: LF, input width), verify, and a new import into it."""
    import shutil
    store = tmp_path / "v1.gdb"
    shutil.copytree(os.path.join(U.DATA, "v1store", "v1.gdb"), store)
    r = U.gdb("verify", store)
    assert r.rc == 0, r
    assert "CURRENT has no checksum" in r.out.decode(), r.out
    for asm, f in (("mito", "human_hg38_chrM.fa"), ("lambda", "phage_lambda_NC_001416.fa.gz")):
        recs, _ = U.parse_fasta(U.read_maybe_gz(os.path.join(U.DATA, f)))
        out = U.gdb("export", "fasta", store, asm)
        assert out.rc == 0, out
        assert out.out == U.format_fasta(recs), asm
    r = U.gdb("import", "fasta", store, "--assembly", "yeast",
              os.path.join(U.DATA, "yeast_S288C_chrI.fa.gz"), "--quiet")
    assert r.rc == 0, r
    assert open(store / "CURRENT").read().count(" ") == 1, "the commit wrote a checksummed CURRENT"
    out = U.gdb("export", "fasta", store, "yeast")
    assert out.out == U.read_maybe_gz(os.path.join(U.DATA, "yeast_S288C_chrI.fa.gz"))
    info = json.loads(U.gdb("info", store, "--json").out)
    assert [o["name"] for o in info["objects"]] == ["gal"]
    assert U.gdb("verify", store).rc == 0
