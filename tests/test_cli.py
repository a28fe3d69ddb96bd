"""The genomedb command line: init/info/import/export/verify behaviour and exit codes."""
import gzip
import json
import os
import random
import re
import shutil
import subprocess

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


def test_import_from_a_pipe(fresh, genomes):
    """A pipe is read once: with --alphabet the import reads it in one pass
    and stores what a file gives; without, the error says why, and the
    store is left as it was."""
    g = genomes["gen"]
    text = U.read_maybe_gz(g.src)
    r = U.run([U.BINARY, "import", "fasta", fresh, "--assembly", "piped", "/dev/stdin",
               "--alphabet", "dna", "--quiet"], stdin=text)
    assert r.rc == 0, r
    r = U.gdb("import", "fasta", fresh, "--assembly", "file", g.src, "--alphabet", "dna", "--quiet")
    assert r.rc == 0, r
    info = {a["name"]: a for a in _info(fresh)["assemblies"]}
    key = lambda a: [(c["name"], c["length"], c["md5"]) for c in a["contigs"]]  # noqa
    assert key(info["piped"]) == key(info["file"])
    out = U.gdb("export", "fasta", fresh, "piped")
    assert out.rc == 0 and out.out == g.normalized
    gen = _info(fresh)["generation"]
    r = U.run([U.BINARY, "import", "fasta", fresh, "--assembly", "sniffed", "/dev/stdin",
               "--quiet"], stdin=text)
    assert r.rc == 1 and "not a regular file" in r.err and "--alphabet" in r.err, r
    assert _info(fresh)["generation"] == gen


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


# ---------------------------------------------------------------- drop, --replace, gc

GRAPH = os.path.join(U.DATA, "graph")
MOTIFS = os.path.join(U.DATA, "motifs")

# one import per type: (type, name option, name, first file, second file, info key)
TYPES = [
    ("fasta", "--assembly", "a", os.path.join(U.DATA, "human_hg38_chrM.fa"),
     os.path.join(U.DATA, "phage_lambda_NC_001416.fa.gz"), "assemblies"),
    ("graph", "--network", "net", os.path.join(GRAPH, "galFiltered.sif"),
     os.path.join(GRAPH, "netsam_example_network.tsv"), "objects"),
    ("motifs", "--set", "m", os.path.join(MOTIFS, "hand.jaspar"),
     os.path.join(MOTIFS, "hand.meme"), "objects"),
]


def _entry(info, key, name):
    return [e for e in info[key] if e["name"] in (name, "motifs/" + name)]


@pytest.mark.parametrize("t", TYPES, ids=[t[0] for t in TYPES])
def test_import_replace_and_drop_every_type(fresh, t):
    """--replace is one mechanism for every import type; drop leaves an
    entry out of a new generation; gc then frees its segment."""
    kind, opt, name, f1, f2, key = t
    r = U.gdb("import", kind, fresh, opt, name, f1, "--quiet")
    assert r.rc == 0, r
    first = _entry(_info(fresh), key, name)[0]
    r = U.gdb("import", kind, fresh, opt, name, f2, "--quiet")
    assert r.rc == 1 and "already exists" in r.err, r
    if kind != "motifs":                  # import_motifs.c words its own message
        assert "--replace" in r.err, r
    r = U.gdb("import", kind, fresh, opt, name, f2, "--quiet", "--replace")
    assert r.rc == 0, r
    info = _info(fresh)
    now = _entry(info, key, name)
    assert len(now) == 1 and now[0]["stored_bytes"] != first["stored_bytes"], now
    assert [p["source"] for p in info["provenance"]] == [f2], "the replaced import's provenance went with it"
    segs = len([f for f in os.listdir(fresh) if f.startswith("seg-")])
    r = U.gdb("gc", fresh)
    assert r.rc == 0, r
    assert "1 segment" in r.out.decode(), r.out
    assert len([f for f in os.listdir(fresh) if f.startswith("seg-")]) == segs - 1
    full = now[0]["name"]
    r = U.gdb("drop", fresh, full, *(["--object"] if key == "objects" else []))
    assert r.rc == 0, r
    assert _entry(_info(fresh), key, name) == []
    assert U.gdb("verify", fresh).rc == 0
    r = U.gdb("drop", fresh, full, *(["--object"] if key == "objects" else []))
    assert r.rc == 1 and "no " in r.err, r


def test_gc_keeps_what_a_reader_maps(fresh, genomes):
    """A reader (here an export blocked on its pipe) registers on its
    generation: gc keeps that manifest and its segments, and removes them
    once the reader is gone. The reader's bytes stay right throughout."""
    g = genomes["hg19chr20"]
    r = U.gdb("import", "fasta", fresh, "--assembly", "big", g.src, "--quiet")
    assert r.rc == 0, r
    seg = sorted(f for f in os.listdir(fresh) if f.startswith("seg-"))[-1]
    p = subprocess.Popen([U.BINARY, "export", "fasta", fresh, "big"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        head = p.stdout.read(4096)                # the store is open, export is blocked
        assert head.startswith(b">")
        r = U.gdb("drop", fresh, "big")
        assert r.rc == 0, r
        r = U.gdb("gc", fresh)
        assert r.rc == 0, r
        assert "a reader has open" in r.out.decode(), r.out
        assert os.path.exists(os.path.join(fresh, seg)), "gc removed a segment a reader maps"
        rest = p.stdout.read()
    finally:
        p.stdout.close()
        rc = p.wait(60)
    assert rc == 0, p.stderr.read()
    assert head + rest == U.read_maybe_gz(g.src)
    r = U.gdb("gc", fresh)
    assert r.rc == 0, r
    assert not os.path.exists(os.path.join(fresh, seg)), r.out
    assert U.gdb("verify", fresh).rc == 0


# ---------------------------------------------------------------- help

COMMANDS = ["init", "import", "info", "export", "verify", "mount", "ctl", "drop", "gc"]


TYPED = ["import " + t for t in ("fasta", "graph", "motifs", "vcf", "annotations", "bam", "fastq")] + \
    ["export " + t for t in ("fasta", "vcf", "bam", "sam", "cram", "fastq")] + ["bench simd"]


@pytest.mark.parametrize("cmd", COMMANDS + TYPED)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_every_command_has_help(genomedb, cmd, flag):
    """`genomedb CMD --help` prints its usage on stdout and exits 0, for every
    command and type (import vcf/bam/fastq, export vcf/bam/fastq and bench
    simd used to refuse --help with exit 2, ctl printed one line)."""
    r = U.gdb(*cmd.split(), flag)
    assert r.rc == 0, r
    text = r.out.decode()
    assert r.err == "", r.err
    first = cmd if cmd.split()[-1] not in ("sam", "cram") else "export bam|sam|cram"
    assert text.startswith("usage: genomedb " + first), text
    if cmd == "ctl":
        for sub in ("stats", "policy", "budget", "prefetch", "pin", "unpin", "reset-stats", "refresh"):
            assert f"  {sub}" in text, (sub, text)


# an option's value that reads "-h" or "--help" is that value (a set, a file,
# a width named so), not a help request: the command runs on it and fails on
# the missing store or the bad value, never printing its usage to stdout
VALUE_H = [
    "import vcf {s} x.vcf --set -h --reference r",
    "import vcf {s} x.vcf --set s --reference --help",
    "import fastq {s} x.fq --set -h",
    "import bam {s} x.bam --sample s --reference -h",
    "import fasta {s} --assembly -h x.fa",
    "import annotations {s} x.gff --set -h --reference r",
    "import graph {s} --network -h x.tsv",
    "export vcf {s} set -o -h",
    "export vcf {s} set -O --help",
    "export bam {s} name -o -h",
    "export fastq {s} name --filter -h",
    "export fasta {s} asm --width -h",
    "ctl {s} --assembly -h stats",
    "mount {s} {s}.mnt --cache -h",
    "bench simd --only -h",
]


@pytest.mark.parametrize("cmd", VALUE_H)
def test_help_as_an_option_value_is_not_help(genomedb, tmp_path, cmd):
    r = U.gdb(*cmd.format(s=tmp_path / "none").split())
    assert r.rc != 0 and b"usage" not in r.out, r
    assert r.err, r


@pytest.mark.parametrize("cmd", ["export fasta S asm --width 60 -h",
                                 "import vcf S x.vcf --set x --help",
                                 "export bam S name -o out.bam -h",
                                 "ctl M --assembly a -h"])
def test_help_after_an_option_value_is_help(genomedb, cmd):
    r = U.gdb(*cmd.split())
    assert r.rc == 0 and r.out.startswith(b"usage: genomedb " + " ".join(cmd.split()[:1]).encode()), r


def test_import_unknown_type_lists_the_known_ones(fresh):
    r = U.gdb("import", "sff", fresh, "--set", "x", "a.sff")
    assert r.rc == 2, r
    assert "unknown type 'sff'" in r.err and "fasta, graph, motifs, vcf" in r.err, r.err
    assert "bam" in r.err and "fastq" in r.err, r.err
    assert "--assembly" not in r.err, "the FASTA usage is not the answer"


def test_top_level_usage_lists_every_readme_option(genomedb):
    """Every option README.md shows for a command appears in `genomedb --help`."""
    readme = open(os.path.join(U.REPO, "README.md")).read()
    block = readme.split("## Using it", 1)[1].split("```")[1]
    usage = U.gdb("--help").out.decode()
    for line in block.splitlines():
        if not line.startswith("genomedb "):
            continue
        cmd = line.split()[1]
        assert f"  {cmd} " in usage, (cmd, usage)
        for opt in re.findall(r"(--[a-z][a-z-]*|(?<=\[)-[a-z]\b)", line.split("#")[0]):
            assert opt in usage, (opt, line)


@pytest.mark.parametrize("cmd", COMMANDS + TYPED)
def test_man_page_names_every_option_of_the_help(genomedb, cmd):
    """Each option `genomedb CMD --help` prints is in the man page, so the two
    cannot drift apart again (it lacked import bam/fastq, export bam/fastq,
    fasta's codec options, graph's --species, mount's --loop)."""
    man = open(os.path.join(U.REPO, "docs", "genomedb.1")).read().replace("\\-", "-")
    helptext = U.gdb(*cmd.split(), "--help").out.decode()
    for opt in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", helptext))):
        assert opt in man, (cmd, opt)


def test_man_page_renders(genomedb, tmp_path):
    page = os.path.join(U.REPO, "docs", "genomedb.1")
    r = U.run(["man", "-l", "-P", "cat", page])
    if r.rc != 0 and not shutil.which("man"):
        r = U.run(["groff", "-man", "-Tutf8", page])
    assert r.rc == 0, r
    text = r.out.decode("utf-8", "replace")
    for cmd in COMMANDS:
        assert cmd in text, cmd


def test_make_install_layout(genomedb, tmp_path):
    """make install DESTDIR=... PREFIX=... puts the binary, both libraries,
    the public headers and the man page where they belong."""
    dest = tmp_path / "root"
    r = U.run(["make", "-C", U.REPO, f"BUILD={U.BUILD}", f"DESTDIR={dest}", "PREFIX=/usr/local",
               "install"], timeout=600)
    assert r.rc == 0, r
    files = sorted(os.path.relpath(os.path.join(d, f), dest)
                   for d, _, fs in os.walk(dest) for f in fs)
    print("\n".join(files))
    for want in ("usr/local/bin/genomedb", "usr/local/lib/libgenomedb.so",
                 "usr/local/lib/libgenomedb.a", "usr/local/share/man/man1/genomedb.1",
                 "usr/local/include/genomedb/store/store.h", "usr/local/include/genomedb/seq/seq.h",
                 "usr/local/include/genomedb/common/gdb.h"):
        assert want in files, (want, files)
    assert not any(f.endswith("_int.h") for f in files), "internal headers are not installed"
    assert os.access(dest / "usr/local/bin/genomedb", os.X_OK)


def test_provenance_times_are_iso_8601_utc(fresh, genomes):
    """info prints provenance times as ISO 8601 UTC, text and JSON alike."""
    import datetime
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    r = U.run([U.BINARY, "import", "fasta", fresh, "--assembly", "m", genomes["mito"].src,
               "--quiet"], env=env)
    assert r.rc == 0, r
    want = datetime.datetime.fromtimestamp(1700000000, datetime.timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _info(fresh)["provenance"][0]["time"] == want
    text = U.gdb("info", fresh).out.decode()
    assert f" at {want}\n" in text, text
