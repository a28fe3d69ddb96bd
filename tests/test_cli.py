"""The genomedb command line: init/info/import/export/verify behaviour and exit codes."""
import gzip
import json
import os
import random
import shutil

import pytest

import gdbutil as U


def _info(store):
    r = U.gdb("info", store, "--json")
    assert r.rc == 0, r
    return json.loads(r.out)


@pytest.fixture
def fresh(genomedb, tmp_path):
    p = tmp_path / "s.gdb"
    r = U.gdb("init", p)
    assert r.rc == 0, r
    return str(p)


def test_init_creates_empty_store(genomedb, tmp_path):
    p = tmp_path / "new.gdb"
    r = U.gdb("init", p)
    assert r.rc == 0, r
    assert p.is_dir() and (p / "CURRENT").is_file()
    info = _info(p)
    assert info["assemblies"] == []
    assert isinstance(info["generation"], int)
    assert U.gdb("verify", p).rc == 0


def test_init_accepts_existing_empty_dir(genomedb, tmp_path):
    p = tmp_path / "empty"
    p.mkdir()
    r = U.gdb("init", p)
    assert r.rc == 0, r
    assert _info(p)["assemblies"] == []


def test_init_refuses_nonempty_dir(genomedb, tmp_path):
    p = tmp_path / "full"
    p.mkdir()
    (p / "precious.txt").write_text("do not touch\n")
    before = U.snapshot(p)
    r = U.gdb("init", p)
    assert r.rc == 1, r
    assert r.err.strip(), "an error message is expected"
    assert U.snapshot(p) == before


def test_init_refuses_existing_store(fresh):
    U.gdb("import", "fasta", fresh, "--assembly", "chrM",
          os.path.join(U.DATA, "human_hg38_chrM.fa"), "--quiet")
    before = U.snapshot(fresh)
    r = U.gdb("init", fresh)
    assert r.rc == 1, r
    assert U.snapshot(fresh) == before, U.snapshot_diff(before, U.snapshot(fresh))


@pytest.mark.parametrize("args", [
    [], ["frobnicate"], ["init"], ["import"], ["import", "fasta"], ["import", "fasta", "{S}"],
    ["import", "fasta", "{S}", "{F}"], ["import", "fasta", "{S}", "--assembly"],
    ["import", "nosuchformat", "{S}", "--assembly", "x", "{F}"], ["info"], ["export"],
    ["export", "fasta", "{S}"], ["verify"], ["mount", "{S}"], ["info", "{S}", "--bogus-flag"],
], ids=lambda a: " ".join(a) or "noargs")
def test_usage_errors_exit_2(fresh, args):
    f = os.path.join(U.DATA, "human_hg38_chrM.fa")
    argv = [a.replace("{S}", fresh).replace("{F}", f) for a in args]
    before = U.snapshot(fresh)
    r = U.gdb(*argv)
    assert r.rc == 2, r
    assert r.err.strip(), "usage errors explain themselves on stderr"
    assert U.snapshot(fresh) == before


def test_generation_increments_per_import(fresh, genomes):
    g0 = _info(fresh)["generation"]
    r = U.gdb("import", "fasta", fresh, "--assembly", "chrM", genomes["mito"].src, "--quiet")
    assert r.rc == 0, r
    i1 = _info(fresh)
    assert i1["generation"] == g0 + 1
    assert [a["name"] for a in i1["assemblies"]] == ["chrM"]
    r = U.gdb("import", "fasta", fresh, "--assembly", "lambda", genomes["lambda"].src, "--quiet")
    assert r.rc == 0, r
    i2 = _info(fresh)
    assert i2["generation"] == g0 + 2
    assert sorted(a["name"] for a in i2["assemblies"]) == ["chrM", "lambda"]
    assert U.gdb("verify", fresh).rc == 0


def test_quiet_import_is_silent(fresh, genomes):
    r = U.gdb("import", "fasta", fresh, "--assembly", "y", genomes["yeast"].src, "--quiet")
    assert r.rc == 0, r
    assert r.err == ""


def test_import_levels(fresh, genomes):
    g = genomes["gen"]
    for lvl in ("1", "9"):
        r = U.gdb("import", "fasta", fresh, "--assembly", "L" + lvl, g.src, "--level", lvl, "--quiet")
        assert r.rc == 0, r
        out = U.gdb("export", "fasta", fresh, "L" + lvl)
        assert out.rc == 0 and out.out == g.normalized, U.first_diff(out.out, g.normalized)


def test_plain_gzip_bgzip_equivalent(fresh, genomes, tmp_path):
    g = genomes["gen"]
    plain = tmp_path / "g.fa"
    shutil.copy(g.src, plain)
    gz = tmp_path / "g.fa.gz"
    with open(g.src, "rb") as f, gzip.open(gz, "wb", 6) as o:
        o.write(f.read())
    bgz = tmp_path / "g.bgz.fa.gz"
    r = U.run(["sh", "-c", f"bgzip -c {plain} > {bgz}"])
    assert r.rc == 0, r
    for asm, path in (("plain", plain), ("gz", gz), ("bgz", bgz)):
        r = U.gdb("import", "fasta", fresh, "--assembly", asm, path, "--quiet")
        assert r.rc == 0, r
    info = {a["name"]: a for a in _info(fresh)["assemblies"]}
    key = lambda a: [(c["name"], c["length"], c["md5"], c["refget"]) for c in a["contigs"]]  # noqa
    assert key(info["plain"]) == key(info["gz"]) == key(info["bgz"])
    for asm in ("plain", "gz", "bgz"):
        out = U.gdb("export", "fasta", fresh, asm)
        assert out.rc == 0 and out.out == g.normalized, asm


def test_info_text(store):
    r = U.gdb("info", store.path)
    assert r.rc == 0, r
    for asm in U.GENOMES:
        if asm not in store.failures:
            assert asm.encode() in r.out, asm


def test_verify_clean(store):
    r = U.gdb("verify", store.path)
    assert r.rc == 0, r


def _samtools_ok(plain, regions, extra=()):
    """Regions samtools itself accepts (the oracle decides what is valid)."""
    r = U.run(["samtools", "faidx", *extra, plain, *regions])
    if r.rc == 0:
        return regions, r.out
    ok = [x for x in regions if U.run(["samtools", "faidx", plain, x]).rc == 0]
    r = U.run(["samtools", "faidx", *extra, plain, *ok])
    assert r.rc == 0, r
    return ok, r.out


def _export_regions(g, n_rec=6):
    rng = random.Random(f"export:{g.asm}")
    regs = []
    for rec in g.records[:n_rec]:
        L = rec.length
        s = rng.randint(1, L)
        e = rng.randint(s, min(L, s + 5000))
        regs += [rec.name, f"{rec.name}:{s}-{e}", f"{rec.name}:{s}",
                 f"{rec.name}:{max(1, L - 10)}-{L + 100}", f"{rec.name}:{L}-{L}"]
    return regs


@pytest.mark.parametrize("asm", U.GENOMES)
def test_export_regions_match_samtools(store, genomes, asm):
    store.require(asm)
    g = genomes[asm]
    regs, want = _samtools_ok(g.plain, _export_regions(g))
    assert regs, "samtools accepted no region"
    r = U.gdb("export", "fasta", store.path, asm, *regs)
    assert r.rc == 0, r
    assert r.out == want, U.first_diff(r.out, want)


def test_export_width(store, genomes):
    store.require("gen")
    g = genomes["gen"]
    r = U.gdb("export", "fasta", store.path, "gen", "--width", "70")
    assert r.rc == 0, r
    want = U.format_fasta(g.records, width=70)
    assert r.out == want, U.first_diff(r.out, want)
    regs, want = _samtools_ok(g.plain, _export_regions(g), extra=("-n", "50"))
    r = U.gdb("export", "fasta", store.path, "gen", *regs, "--width", "50")
    assert r.rc == 0, r
    assert r.out == want, U.first_diff(r.out, want)


def test_export_unknown_assembly_or_contig(store):
    store.require("mito")
    r = U.gdb("export", "fasta", store.path, "nosuchasm")
    assert r.rc == 1, r
    assert r.err.strip()
    r = U.gdb("export", "fasta", store.path, "mito", "chrNope:1-10")
    assert r.rc == 1, r
    assert "chrNope" in r.err
