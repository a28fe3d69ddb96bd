"""Every command's argument errors: exit 2, a message on stderr naming the
option and what it takes (the man page's EXIT STATUS: 2 on a usage error),
and the store untouched. Runtime errors of the same commands exit 1."""
import os

import pytest

import gdbutil as U

CHRM = os.path.join(U.DATA, "human_hg38_chrM.fa")


@pytest.fixture(scope="module")
def store(genomedb, tmp_path_factory):
    d = tmp_path_factory.mktemp("clierr")
    s = str(d / "s.gdb")
    assert U.gdb("init", s).rc == 0
    r = U.gdb("import", "fasta", s, "--assembly", "chrM", CHRM, "--quiet")
    assert r.rc == 0, r
    os.mkdir(d / "mnt")
    return s


F = CHRM
USAGE = [
    # import fasta
    (["import", "fasta", "{S}", "--assembly", "a", F, "--level", "20"], "--level: expected 0..19"),
    (["import", "fasta", "{S}", "--assembly", "a", F, "--level", "x"], "--level: expected 0..19"),
    (["import", "fasta", "{S}", "--assembly", "a", F, "--alphabet", "klingon"],
     "--alphabet: expected dna, rna, protein or auto"),
    (["import", "fasta", "{S}", "--assembly", "a", F, "--codec", "zip"],
     "--codec: expected 2bit, cm or protein"),
    (["import", "fasta", "{S}", "--assembly", "a", F, "--lossy", "all"],
     "--lossy: expected drop-mask or iupac-to-n"),
    (["import", "fasta", "{S}", "--assembly", "a", F, "--cm-orders", "0,3"],
     "--cm-orders: expected orders 1..24"),
    (["import", "fasta", "{S}", "--assembly", "a", F, "--cm-orders", "3;4"],
     "--cm-orders: expected orders 1..24"),
    (["import", "fasta", "{S}", "--assembly", "a", F, "--cm-table-bits", "40"],
     "--cm-table-bits: '40' is out of range"),
    (["import", "fasta", "{S}", "--assembly", "a", F, "--block-bases", "-1"],
     "--block-bases: '-1' is out of range"),
    (["import", "fasta", "{S}", "--assembly", "a", F, "--frobnicate"],
     "import: unknown option '--frobnicate'"),
    (["import", "fasta", "{S}", "--assembly", "a", F, F], "usage: genomedb import fasta"),
    # import graph
    (["import", "graph", "{S}", "--network", "n", F, "--format", "xls"],
     "--format: expected sif, string, biogrid, kgml, sbml, gmt or tsv"),
    (["import", "graph", "{S}", "--network", "n", F, "--bogus"],
     "import graph: unknown option '--bogus'"),
    (["import", "graph", "{S}", "--network", "a b", F], "--network 'a b': a name is 1-255 bytes"),
    (["import", "graph", "{S}", "--network", "n", F] + [F] * 256,
     "import graph: more than 256 files"),
    (["import", "graph", "{S}", "--network", "n", F, "--columns", "source=1"],
     "--columns: source and target are required"),
    (["import", "graph", "{S}", "--network", "n", F, "--species", "96o6"], "--species '96o6'"),
    # import motifs
    (["import", "motifs", "{S}", "--set", "m", F, "--format", "transfac"],
     "--format: expected jaspar or meme"),
    (["import", "motifs", "{S}", "--set", "m", F, "--bogus"],
     "import motifs: unknown option '--bogus'"),
    (["import", "motifs", "{S}", "--set", "a/b", F], "--set 'a/b': a name is 1-"),
    # import annotations
    (["import", "annotations", "{S}", "--set", "g", "--reference", "chrM", F, "--format", "gb"],
     "--format: expected gff3, gtf or bed"),
    (["import", "annotations", "{S}", "--set", "g", "--reference", "chrM", F, "--bogus"],
     "import annotations: unknown option '--bogus'"),
    (["import", "annotations", "{S}", "--set", "g", "--reference", "chrM", F, F],
     "import annotations: one file per set"),
    # import vcf, bam, fastq
    (["import", "vcf", "{S}", "--set", "v", "--reference", "chrM", F, "--bogus"], "usage:"),
    (["import", "vcf", "{S}", "--set", "v w", "--reference", "chrM", F], "--set v w: 1-239 bytes"),
    (["import", "vcf", "{S}", "--set", "v", F], "usage:"),
    (["import", "bam", "{S}", "--sample", "x", "--reference", "chrM", F, "--bogus"],
     "import bam: unknown option '--bogus'"),
    (["import", "bam", "{S}", "--sample", "x", F], "usage:"),
    (["import", "bam", "{S}", "--sample", "x", "--reference", "chrM", F, F], "usage:"),
    (["import", "fastq", "{S}", "--set", "q", F, "--reference", "chrM"], "usage:"),
    (["import", "fastq", "{S}", "--set", "q", F, F, F], "usage:"),
    (["import", "fastq", "{S}", "--set", ".q", F], "--set "),
    # export
    (["export", "fasta", "{S}", "chrM", "--width", "0"], "--width: expected a positive number"),
    (["export", "fasta", "{S}", "chrM", "--width", "9x"], "--width: expected a positive number"),
    (["export", "gff", "{S}", "chrM"], "usage:"),
    (["export", "vcf", "{S}", "v", "-O", "x"], "usage: genomedb export vcf"),
    (["export", "bam", "{S}", "x", "--bogus"], "usage:"),
    (["export", "fastq", "{S}", "x", "--mate", "3"], "usage:"),
    (["export", "fastq", "{S}", "x", "chrM:1-10"], "usage:"),
    # mount (refused before anything is mounted)
    (["mount", "{S}", "{M}", "--cache", "lots"], "--cache: expected a size such as 512M or 4G"),
    (["mount", "{S}", "{M}", "--prefetch", "maybe"], "--prefetch: on or off"),
    (["mount", "{S}", "{M}", "--loop", "ring"], "--loop: split, uring or libfuse"),
    (["mount", "{S}", "{M}", "--follow", "sometimes"], "--follow: on or off"),
    (["mount", "{S}", "{M}", "--threads", "0"], "--threads: threads from 1 to 256"),
    (["mount", "{S}", "{M}", "--threads", "many"], "--threads: threads from 1 to 256"),
    (["mount", "{S}", "{M}", "--readahead-kb", "1M"], "--readahead-kb: KiB from 0 to 65536"),
    (["mount", "{S}", "{M}", "--readahead-kb", "-4"], "--readahead-kb: KiB from 0 to 65536"),
    (["mount", "{S}", "{M}", "--spin-us", "-1"], "--spin-us: microseconds from 0 to 10000"),
    (["mount", "{S}", "{M}", "--spin-us", "10001"], "--spin-us: microseconds from 0 to 10000"),
    (["mount", "{S}", "{M}", "--spin-us", "99999999999999999999"], "--spin-us: microseconds from 0 to 10000"),
    (["mount", "{S}", "{M}", "--spin-us", "30us"], "--spin-us: microseconds from 0 to 10000"),
    (["mount", "{S}", "{M}", "--spin-us", ""], "--spin-us: microseconds from 0 to 10000"),
    (["mount", "{S}", "{M}", "--readers", "0"], "--readers: threads from 1 to 16"),
    (["mount", "{S}", "{M}", "--readers", "17"], "--readers: threads from 1 to 16"),
    (["mount", "{S}", "{M}", "--readers", "two"], "--readers: threads from 1 to 16"),
    (["mount", "{S}", "{M}", "--bogus"], "mount: unknown option '--bogus'"),
    (["mount", "{S}", "{M}", "--plugin", "/nonexistent/dir/p.so"],
     "--plugin: /nonexistent/dir/p.so: No such file or directory"),
    (["mount", "{S}", "{M}", "{M}"], "usage: genomedb mount"),
    # maintenance
    (["verify", "{S}", "--bogus"], "usage: genomedb verify"),
    (["verify", "{S}", "{S}"], "usage: genomedb verify"),
    (["drop", "{S}"], "usage: genomedb drop"),
    (["drop", "{S}", "chrM", "--bogus"], "usage: genomedb drop"),
    (["gc", "{S}", "--bogus"], "usage: genomedb gc"),
    (["gc"], "usage: genomedb gc"),
    (["ctl"], "usage: genomedb ctl"),
]


def _argv(args, store):
    mnt = os.path.join(os.path.dirname(store), "mnt")
    return [a.replace("{S}", store).replace("{M}", mnt) for a in args]


@pytest.mark.parametrize("args,msg", USAGE, ids=lambda x: " ".join(x)[:60] if isinstance(x, list) else "")
def test_usage_error(store, args, msg):
    before = U.snapshot(store)
    r = U.gdb(*_argv(args, store))
    assert r.rc == 2, r
    assert msg in r.err, r.err
    assert U.snapshot(store) == before, U.snapshot_diff(before, U.snapshot(store))


def test_plugin_limit(store):
    """--plugin at most GDB_PLUGINS_MAX times (a name without '/' is left
    to dlopen's search, so the limit is reached before any is loaded)."""
    r = U.gdb("mount", store, _argv(["{M}"], store)[0], *(["--plugin", "libx.so"] * 64))
    assert r.rc == 2, r
    assert "--plugin: at most" in r.err, r.err


def test_unknown_simd_level_is_a_warning(store):
    r = U.run([U.BINARY, "export", "fasta", store, "chrM", "chrM:1-10"],
              env=dict(os.environ, GENOMEDB_SIMD="avx9000"))
    assert r.rc == 0, r
    assert "GENOMEDB_SIMD: unknown level" in r.err, r.err
    assert r.out.split(b"\n")[1] == b"GATCACAGGT"


# ---------------------------------------------------------------- ctl

@pytest.fixture
def plain(tmp_path):
    """An ordinary directory: ctl must not mistake it for a mount."""
    d = tmp_path / "notamount"
    d.mkdir()
    return d


@pytest.mark.parametrize("args", [["policy", "lru"], ["budget", "2G"], ["reset-stats"],
                                  ["refresh"], ["prefetch", "off"], ["pin", "chrM/chrM:1-10"],
                                  ["unpin", "--all"]], ids=lambda a: " ".join(a))
def test_ctl_refuses_a_directory_that_is_no_mount(plain, args):
    """It set the user.gdb.ctl xattr on the directory and exited 0."""
    r = U.gdb("ctl", plain, *args)
    assert r.rc == 1, r
    assert f"{plain}: not a GenomeDB mount" in r.err, r.err
    assert "user.gdb.ctl" not in os.listxattr(plain)


def test_ctl_errors_before_any_control(plain, tmp_path):
    r = U.gdb("ctl", tmp_path / "gone", "stats")
    assert r.rc == 1 and "gone: No such file or directory" in r.err, r
    r = U.gdb("ctl", plain, "stats")
    assert r.rc == 1 and ".gdb/stats.json: No such file or directory" in r.err, r
    r = U.gdb("ctl", plain, "frobnicate")
    assert r.rc == 2 and r.err.startswith("usage: genomedb ctl"), r
    r = U.gdb("ctl", plain, "policy", "lru", "extra", "more", "args")
    assert r.rc == 2, r
    bed = tmp_path / "r.bed"
    bed.write_text("# regions\nchrM\t10\n")
    r = U.gdb("ctl", plain, "pin", bed, "--assembly", "chrM")
    assert r.rc == 1 and f"{bed}:2: expected 'chrom start end' with start < end" in r.err, r
    bed.write_text("chrM\t20\t10\n")
    r = U.gdb("ctl", plain, "prefetch", bed, "--assembly", "chrM")
    assert r.rc == 1 and f"{bed}:1: expected" in r.err, r
    r = U.gdb("ctl", plain, "unpin", bed)
    assert r.rc == 1 and "name the assembly of" in r.err and "--assembly" in r.err, r
    assert "user.gdb.ctl" not in os.listxattr(plain)
