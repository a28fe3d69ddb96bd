"""Every test genome: export is the input, and info agrees with samtools."""
import json

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
    if g.well_formed:
        raw = U.read_maybe_gz(g.src)
        assert r.out == raw, U.first_diff(r.out, raw)
    else:
        # CRLF, blank lines or no final newline: same records, LF, original width
        assert r.out == g.normalized, U.first_diff(r.out, g.normalized)


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
