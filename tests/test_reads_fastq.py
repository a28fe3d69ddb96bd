"""Unaligned reads: `genomedb import fastq`, `export fastq` and the
/reads/<set>/ tree, on slices of real Illumina (a pair) and nanopore FASTQ
and on generated messy files (tests/gen/genreads.py: CRLF, no final
newline, blank lines at the end, '+name' lines, wrapped lines, Q0 runs,
IUPAC and lowercase bases, empty reads, a 60 kb read, titles with tabs).

Oracles: the input bytes themselves (lossless means byte-exact), pysam's
FASTQ parser for record ranges and names, and the quality binning tables
as docs/FORMAT.md states them, applied here in Python.
"""
import errno
import gzip
import os
import subprocess
import sys

import pytest

import gdbutil as U

sys.path.insert(0, os.path.join(U.HERE, "gen"))
import genreads  # noqa: E402

IL1 = os.path.join(U.DATA, "illumina_ERR127302_1_500.fastq.gz")
IL2 = os.path.join(U.DATA, "illumina_ERR127302_2_500.fastq.gz")
NANO = os.path.join(U.DATA, "nanopore_pcs109_sirv_150.fq.gz")
KINDS = ("lf", "crlf", "noeol", "trailer")


def raw(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rb") as f:
        return f.read()


def fx_records(path):
    """(name, comment, sequence, quality) of every record, by pysam."""
    import pysam
    with pysam.FastxFile(path) as f:
        return [(r.name, r.comment, r.sequence, r.quality) for r in f]


@pytest.fixture(scope="module")
def fdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fastq")


@pytest.fixture(scope="module")
def sets(fdir):
    """set name -> list of input files."""
    out = {"il": [IL1, IL2], "il1": [IL1], "nano": [NANO]}
    for k in KINDS:
        p = str(fdir / f"messy_{k}.fq")
        genreads.write_fastq(p, k, n=250, seed=11)
        out["messy_" + k] = [p]
    gz = str(fdir / "messy_gz.fq.gz")
    with open(out["messy_crlf"][0], "rb") as f, gzip.open(gz, "wb") as g:
        g.write(f.read())
    out["messy_gz"] = [gz]
    bgz = str(fdir / "messy_bgz.fq.gz")
    subprocess.run(["bgzip", "-c", out["messy_lf"][0]], stdout=open(bgz, "wb"), check=True)
    out["messy_bgz"] = [bgz]
    p1, p2 = str(fdir / "pair_1.fq"), str(fdir / "pair_2.fq")
    genreads.write_pair(p1, p2, n=300)
    out["pair"] = [p1, p2]
    return out


@pytest.fixture(scope="module")
def fstore(genomedb, fdir, sets):
    path = fdir / "fq.gdb"
    assert U.gdb("init", path).rc == 0
    for name, files in sets.items():
        r = U.gdb("import", "fastq", path, "--set", name, *files, "-q")
        assert r.rc == 0, r
    for mode in ("illumina8", "bins=2,10,20,30"):
        tag = "il_" + mode.split("=")[0]
        r = U.gdb("import", "fastq", path, "--set", tag, IL1, IL2, "--qualities", mode, "-q")
        assert r.rc == 0, r
    return str(path)


@pytest.fixture(scope="module")
def fmount(fstore, fdir):
    U.require_fuse()
    m = U.Mount(fstore, fdir / "mnt", fdir / "mount.log")
    m.start()
    yield m
    m.stop()
    U.check_sanitizer(m.log_text(), "genomedb mount (fastq)")


@pytest.mark.parametrize("name", ["il", "il1", "nano", "pair"] + ["messy_" + k for k in KINDS + ("gz", "bgz")])
def test_export_is_byte_exact(fstore, sets, name):
    files = sets[name]
    for mate, f in enumerate(files, 1):
        args = ["--mate", str(mate)] if len(files) > 1 else []
        r = U.gdb("export", "fastq", fstore, name, *args)
        assert r.rc == 0, r
        want = raw(f)
        if r.out != want:
            i = next(i for i in range(min(len(r.out), len(want))) if r.out[i] != want[i]) \
                if len(r.out) and len(want) else 0
            pytest.fail(f"{name} mate {mate}: differs at byte {i} of {len(want)} "
                        f"(got {len(r.out)}): {r.out[i - 20:i + 20]!r} vs {want[i - 20:i + 20]!r}")


@pytest.mark.mount
def test_whole_files_on_the_mount(fmount, sets):
    d = os.path.join(fmount.path, "reads")
    for name, files in sets.items():
        if len(files) == 1:
            p = os.path.join(d, name, f"{name}.fq")
            assert os.stat(p).st_size == len(raw(files[0]))
            with open(p, "rb") as f:
                assert f.read() == raw(files[0]), name
            continue
        for mate, f in enumerate(files, 1):
            with open(os.path.join(d, name, f"{name}_{mate}.fq"), "rb") as g:
                assert g.read() == raw(f), (name, mate)
        # interleaved: mate 1's record, then mate 2's
        inter = os.path.join(d, name, f"{name}.fq")
        got = fx_records(inter)
        a, b = fx_records(files[0]), fx_records(files[1])
        assert got == [x for pair in zip(a, b) for x in pair]
        assert os.stat(inter).st_size == len(open(inter, "rb").read())


@pytest.mark.mount
def test_record_ranges(fmount, sets):
    d = os.path.join(fmount.path, "reads")
    for name in ("nano", "messy_crlf", "pair", "il"):
        files = sets[name]
        recs = [fx_records(f) for f in files]
        n = len(recs[0])
        for a, b in ((1, 1), (1, n), (n, n), (7, 19), (n - 3, n + 100)):
            if len(files) == 1:
                got = fx_records(os.path.join(d, name, f"{a}-{b}.fq"))
                assert got == recs[0][a - 1:b], (name, a, b)
            else:
                for m in (1, 2):
                    got = fx_records(os.path.join(d, name, f"{a}-{b}_{m}.fq"))
                    assert got == recs[m - 1][a - 1:b], (name, a, b, m)
        for bad in ("0-3.fq", f"{n + 1}-{n + 5}.fq", "5-3.fq", "x-3.fq", "1-3.fa"):
            assert not os.path.exists(os.path.join(d, name, bad)), (name, bad)
        with pytest.raises(OSError) as e:  # record ranges take no parameters
            os.stat(os.path.join(d, name, "1-3@x=1.fq"))
        assert e.value.errno == errno.EINVAL, name


@pytest.mark.mount
def test_names(fmount, sets):
    d = os.path.join(fmount.path, "reads")
    recs = fx_records(NANO)
    for r in (recs[0], recs[77], recs[-1]):
        got = fx_records(os.path.join(d, "nano", "names", f"{r[0]}.fq"))
        assert got == [r]
    a, b = fx_records(sets["il"][0]), fx_records(sets["il"][1])
    got = fx_records(os.path.join(d, "il", "names", f"{a[42][0]}.fq"))
    assert got == [a[42], b[42]]
    assert not os.path.exists(os.path.join(d, "nano", "names", "no-such-read.fq"))
    # wrapped, CRLF, '+title' records come back as pysam reads them
    recs = fx_records(sets["messy_crlf"][0])
    for r in recs[3:9]:
        want = [x for x in recs if x[0] == r[0]]
        got = fx_records(os.path.join(d, "messy_crlf", "names", U.esc(r[0]) + ".fq"))
        assert got == want, r[0]


def _bin(q, mode):
    if mode == "illumina8":
        if q < 3:
            return q
        for lo, to in ((40, 40), (35, 37), (30, 33), (25, 27), (20, 22), (10, 15), (3, 6)):
            if q >= lo:
                return to
    bounds = [2, 10, 20, 30]
    if q < bounds[0]:
        return q
    return max(b for b in bounds if b <= q)


@pytest.mark.parametrize("mode", ["illumina8", "bins"])
def test_lossy_modes_follow_their_tables(fstore, mode):
    tag = "il_" + mode
    full = "illumina8" if mode == "illumina8" else "bins"
    for mate, src in ((1, IL1), (2, IL2)):
        r = U.gdb("export", "fastq", fstore, tag, "--mate", str(mate))
        assert r.rc == 0, r
        got, want = r.out.split(b"\n"), raw(src).split(b"\n")
        assert len(got) == len(want)
        for i, (g, w) in enumerate(zip(got, want)):
            if i % 4 != 3:
                assert g == w
            else:
                assert g == bytes(33 + _bin(c - 33, full) for c in w), i


@pytest.mark.mount
def test_lossless_xattrs(fmount):
    d = os.path.join(fmount.path, "reads")
    assert os.getxattr(os.path.join(d, "il", "il.fq"), "user.gdb.lossless") == b"1"
    assert os.getxattr(os.path.join(d, "il", "il_1.fq"), "user.gdb.qualities") == b"lossless"
    p = os.path.join(d, "il_illumina8", "il_illumina8_2.fq")
    assert os.getxattr(p, "user.gdb.lossless") == b"0"
    assert os.getxattr(p, "user.gdb.qualities") == b"illumina8"
    assert os.getxattr(os.path.join(d, "il_bins", "1-2.fq"),
                       "user.gdb.qualities") == b"bins=2,10,20,30"
    assert sorted(os.listdir(os.path.join(d, "il"))) == ["il.fq", "il_1.fq", "il_2.fq", "names"]
    assert sorted(os.listdir(os.path.join(d, "nano"))) == ["names", "nano.fq"]


def test_nanopore_smaller_than_cram31(fstore, fdir):
    """Lossless and no bigger (the set's whole segment) than samtools'
    CRAM 3.1 of the same FASTQ, made in the same run (CRAM also drops the
    titles' comments). The full-size figures, Illumina included, are in
    docs/BENCHMARKS.md (make bench)."""
    import json
    info = json.loads(U.gdb("info", fstore, "--json").out)
    stored = {o["name"]: o["stored_bytes"] for o in info["objects"]}
    out = fdir / "nano.cram"
    subprocess.run(["samtools", "import", "-0", NANO, "-O", "cram,version=3.1", "-o", out],
                   check=True, capture_output=True)
    assert stored["reads/nano"] <= os.path.getsize(out)


# ---------------------------------------------------------------- errors

def _fail(store, files, *needles, extra=()):
    before = U.snapshot(store)
    r = U.gdb("import", "fastq", store, "--set", "bad", *files, *extra)
    assert r.rc != 0, r
    for n in needles:
        assert n in r.err, (n, r.err)
    after = U.snapshot(store)
    assert before == after, U.snapshot_diff(before, after)


@pytest.fixture
def estore(genomedb, tmp_path):
    p = tmp_path / "e.gdb"
    assert U.gdb("init", p).rc == 0
    assert U.gdb("import", "fastq", p, "--set", "ok", IL1, "-q").rc == 0
    return str(p)


def test_unequal_seq_and_qual(estore, tmp_path):
    f = tmp_path / "x.fq"
    f.write_text("@a\nACGT\n+\nIIII\n@b\nACGTACGT\n+\nIIIIIII\n@c\nA\n+\nI\n")
    _fail(estore, [str(f)], f"{f}:8:", "8 bases", "7")


def test_quality_ends_the_file(estore, tmp_path):
    f = tmp_path / "x.fq"
    f.write_text("@a\nACGT\n+\nIIII\n@b\nACGTACGT\n+\n")
    _fail(estore, [str(f)], str(f), "8 bases")


def test_bad_base_and_bad_quality(estore, tmp_path):
    f = tmp_path / "x.fq"
    f.write_text("@a\nACGT\n+\nIIII\n@b\nAC.T\n+\nIIII\n")
    _fail(estore, [str(f)], f"{f}:6:", "'.'")
    g = tmp_path / "y.fq"
    g.write_text("@a\nACGT\n+\nII I\n")
    _fail(estore, [str(g)], f"{g}:4:", "quality")


def test_not_a_record(estore, tmp_path):
    f = tmp_path / "x.fq"
    f.write_text("@a\nACGT\n+\nIIII\nb\nACGT\n+\nIIII\n")
    _fail(estore, [str(f)], f"{f}:5:", "'@'")
    g = tmp_path / "y.fq"
    g.write_text("@a\nACGT\n+\nIIII\n\n@b\nA\n+\nI\n")
    _fail(estore, [str(g)], f"{g}:5:", "blank line")


def test_mixed_line_ends(estore, tmp_path):
    f = tmp_path / "x.fq"
    f.write_bytes(b"@a\r\nACGT\r\n+\r\nIIII\n@b\r\nA\r\n+\r\nI\r\n")
    _fail(estore, [str(f)], f"{f}:4:", "line ends")


def test_mates_out_of_step(estore, tmp_path):
    a, b = tmp_path / "a.fq", tmp_path / "b.fq"
    a.write_text("@r1/1\nACGT\n+\nIIII\n@r2/1\nACGT\n+\nIIII\n")
    b.write_text("@r1/2\nACGT\n+\nIIII\n")
    _fail(estore, [str(a), str(b)], str(a), "more records")


def test_truncated_gzip(estore, tmp_path):
    data = open(NANO, "rb").read()
    f = tmp_path / "cut.fq.gz"
    f.write_bytes(data[:len(data) // 2])
    _fail(estore, [str(f)], str(f))


def test_bad_quality_mode(estore):
    _fail(estore, [IL1], "bins=", extra=["--qualities", "bins=10,5"])
