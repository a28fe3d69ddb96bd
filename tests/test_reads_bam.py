"""Aligned reads: `genomedb import bam`, `export bam|sam|cram` and the
/reads/<sample>/ tree, checked against samtools (view, depth, index) and
pysam on real BAMs (NA12878_small, a nanopore SIRV slice) and a generated
messy SAM (tests/gen/genreads.py: every tag type, =/X, '=' bases, '*'
fields, pairs, placed and unplaced unmapped reads, wrong MD/NM).

Every answer is compared with what samtools gives for the source file;
nothing here is a hard-coded result.
"""
import errno
import gzip
import os
import random
import shutil
import subprocess
import sys

import pytest

import gdbutil as U

sys.path.insert(0, os.path.join(U.HERE, "gen"))
import genreads  # noqa: E402

SIRV = os.path.join(U.DATA, "SIRV_150601a.fasta.gz")
HG19 = os.path.join(U.DATA, "human_hg19_chr20_unittest.fasta.gz")
NA = os.path.join(U.DATA, "NA12878_small.bam")
NANO = os.path.join(U.DATA, "nanopore_sirv_SIRV2_SIRV7.bam")


def sh(*args, **kw):
    p = subprocess.run([str(a) for a in args], capture_output=True, **kw)
    assert p.returncode == 0, f"{args}: {p.stderr.decode(errors='replace')[-2000:]}"
    return p.stdout


def records(sam_bytes):
    return [l for l in sam_bytes.split(b"\n") if l and not l.startswith(b"@")]


def header_no_pg(sam_bytes):
    return [l for l in sam_bytes.split(b"\n") if l.startswith(b"@") and not l.startswith(b"@PG")]


@pytest.fixture(scope="module")
def rdir(tmp_path_factory):
    return tmp_path_factory.mktemp("reads")


@pytest.fixture(scope="module")
def inputs(rdir):
    """Source files by sample name, and plain FASTA references for samtools."""
    d = {}
    for name, gz in (("sirv", SIRV), ("hg19", HG19)):
        fa = rdir / f"{name}.fa"
        with gzip.open(gz, "rb") as f, open(fa, "wb") as o:
            shutil.copyfileobj(f, o)
        sh("samtools", "faidx", fa)
        d[name + ".fa"] = str(fa)
    sam = rdir / "messy.sam"
    genreads.write_sam(SIRV, str(sam), n=1500, seed=11)
    sh("samtools", "view", "-b", "--no-PG", "-o", rdir / "messy.bam", sam)
    d["messy"] = str(rdir / "messy.bam")
    for name, src in (("na", NA), ("nano", NANO)):
        d[name] = str(rdir / os.path.basename(src))
        shutil.copyfile(src, d[name])
    for name in ("messy", "na", "nano"):
        sh("samtools", "index", d[name])
    return d


SAMPLES = {"na": ("hg19", ["--allow-missing-contigs"]), "nano": ("sirv", []),
           "messy": ("sirv", [])}


@pytest.fixture(scope="module")
def rstore(genomedb, rdir, inputs):
    path = rdir / "reads.gdb"
    assert U.gdb("init", path).rc == 0
    for asm, src in (("sirv", SIRV), ("hg19", HG19)):
        r = U.gdb("import", "fasta", path, "--assembly", asm, src, "--quiet")
        assert r.rc == 0, r
    for s, (asm, extra) in SAMPLES.items():
        r = U.gdb("import", "bam", path, "--sample", s, "--reference", asm, inputs[s], *extra)
        assert r.rc == 0, r
    return str(path)


@pytest.fixture(scope="module")
def rmount(rstore, rdir):
    U.require_fuse()
    m = U.Mount(rstore, rdir / "mnt", rdir / "mount.log")
    m.start()
    yield m
    m.stop()
    U.check_sanitizer(m.log_text(), "genomedb mount (reads)")


def targets(bam):
    out = []
    for line in sh("samtools", "view", "-H", bam).decode().splitlines():
        if line.startswith("@SQ"):
            f = dict(x.split(":", 1) for x in line.split("\t")[1:])
            out.append((f["SN"], int(f["LN"])))
    return out


def regions(inputs, sample, k, seed):
    """Edge regions plus k random ones, on contigs that hold records."""
    src = inputs[sample]
    used = sorted({l.split(b"\t")[2].decode() for l in records(sh("samtools", "view", src))} - {"*"})
    lens = dict(targets(src))
    rng = random.Random(seed)
    out = []
    for c in used:
        L = lens[c]
        out += [(c, 1, L), (c, 1, 1), (c, L, L), (c, max(1, L - 50), L + 1000)]
    for _ in range(k):
        c = rng.choice(used)
        s = rng.randint(1, lens[c])
        out.append((c, s, min(lens[c] + 500, s + rng.choice([1, 100, 2000, 20000]))))
    return out


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_export_gives_back_every_record(rstore, inputs, sample):
    """Lossless: export equals samtools view of the source, header included."""
    got = U.gdb("export", "sam", rstore, sample)
    assert got.rc == 0, got
    want = sh("samtools", "view", "-h", "--no-PG", inputs[sample])
    assert header_no_pg(got.out) == header_no_pg(want)
    g, w = records(got.out), records(want)
    assert len(g) == len(w)
    bad = [i for i in range(len(w)) if g[i] != w[i]]
    assert not bad, f"record {bad[0]} differs:\n{g[bad[0]][:300]}\n{w[bad[0]][:300]}"


@pytest.mark.mount
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_region_files_equal_samtools_view(rmount, inputs, sample):
    src = inputs[sample]
    for c, a, b in regions(inputs, sample, 12, sum(map(ord, sample))):
        d = os.path.join(rmount.path, "reads", sample, U.esc(c))
        region = f"{c}:{a}-{b}"
        want = sh("samtools", "view", src, region)
        got_bam = sh("samtools", "view", os.path.join(d, f"{a}-{b}.bam"))
        assert got_bam == want, region
        with open(os.path.join(d, f"{a}-{b}.sam"), "rb") as f:
            sam = f.read()
        assert sam == sh("samtools", "view", "-h", "--no-PG", src, region), region
        sh("samtools", "quickcheck", os.path.join(d, f"{a}-{b}.bam"))


@pytest.mark.mount
def test_filters_are_samtools_q_and_F(rmount, inputs):
    for sample in ("messy", "na"):
        src = inputs[sample]
        for c, a, b in regions(inputs, sample, 3, 5)[:6]:
            d = os.path.join(rmount.path, "reads", sample, U.esc(c))
            for q, F in ((20, 0x904), (0, 0x400), (60, 0)):
                name = f"{a}-{b}@min-mapq={q},flags-exclude={F:#x}.bam"
                got = sh("samtools", "view", os.path.join(d, name))
                want = sh("samtools", "view", "-q", q, "-F", F, src, f"{c}:{a}-{b}")
                assert got == want, (sample, c, a, b, q, F)


@pytest.mark.mount
@pytest.mark.parametrize("sample", ["messy", "nano", "na"])
def test_depth_u32_equals_samtools_depth(rmount, inputs, sample):
    import numpy as np
    src = inputs[sample]
    for c, a, b in regions(inputs, sample, 6, 9):
        b = min(b, dict(targets(src))[c], a + 300000)
        path = os.path.join(rmount.path, "reads", sample, U.esc(c), f"{a}-{b}.depth.u32")
        got = np.memmap(path, dtype="<u4", mode="r")
        out = sh("samtools", "depth", "-a", "-r", f"{c}:{a}-{b}", src).decode().split()
        want = np.array([int(x) for x in out[2::3]], dtype=np.uint32)
        assert len(got) == b - a + 1
        assert np.array_equal(got, want), (c, a, b)


@pytest.mark.mount
def test_whole_contig_depth_is_ranged(rmount, inputs):
    """A depth file larger than a computed answer may be is served piece
    by piece: any window of it equals samtools depth."""
    import numpy as np
    src = inputs["na"]
    L = dict(targets(src))["chr20"]
    path = os.path.join(rmount.path, "reads", "na", "chr20", f"1-{L}.depth.u32")
    assert os.stat(path).st_size == 4 * L
    m = np.memmap(path, dtype="<u4", mode="r")
    for a, b in ((9_999_000, 10_000_500), (10_050_000, 10_050_001), (1, 2000), (L - 10, L)):
        out = sh("samtools", "depth", "-a", "-r", f"chr20:{a}-{b}", src).decode().split()
        assert np.array_equal(m[a - 1:b], np.array([int(x) for x in out[2::3]], dtype=np.uint32))


@pytest.mark.mount
def test_depth_filters_are_samtools_Q_and_G(rmount, inputs):
    import numpy as np
    src = inputs["messy"]
    c, L = targets(src)[5]
    for q, G in ((30, 0x4), (0, 0x10), (5, 0x800)):
        path = os.path.join(rmount.path, "reads", "messy", U.esc(c),
                            f"1-{L}@min-mapq={q},flags-exclude={G:#x}.depth.u32")
        got = np.fromfile(path, dtype="<u4")
        out = sh("samtools", "depth", "-a", "-Q", q, "-G", G, "-r", f"{c}:1-{L}", src).decode().split()
        assert np.array_equal(got, np.array([int(x) for x in out[2::3]], dtype=np.uint32)), (q, G)


@pytest.mark.mount
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_whole_sample_bam_and_bai(rmount, inputs, rdir, sample):
    """samtools, htslib's index and pysam work pointed at the mount."""
    import pysam
    src = inputs[sample]
    bam = os.path.join(rmount.path, "reads", sample, f"{sample}.bam")
    with open(bam, "rb") as f:
        data = f.read()
    assert os.stat(bam).st_size == len(data)
    assert sh("samtools", "view", bam) == sh("samtools", "view", src)
    copy = rdir / f"{sample}.copy.bam"
    copy.write_bytes(data)
    sh("samtools", "index", copy)
    with open(bam + ".bai", "rb") as f:
        assert f.read() == (rdir / f"{sample}.copy.bam.bai").read_bytes()
    for c, a, b in regions(inputs, sample, 5, 3):
        assert sh("samtools", "view", bam, f"{c}:{a}-{b}") == sh("samtools", "view", src, f"{c}:{a}-{b}")
        with pysam.AlignmentFile(bam) as f, pysam.AlignmentFile(src) as g:
            assert [r.to_string() for r in f.fetch(c, a - 1, b)] == \
                   [r.to_string() for r in g.fetch(c, a - 1, b)]


@pytest.mark.mount
def test_cram_region_files(rmount, inputs, tmp_path):
    """.cram files need no reference and read back as samtools' own CRAM of
    the region does (CRAM itself moves RG and turns '=' bases into letters)."""
    for sample in ("nano", "messy"):
        for c, a, b in regions(inputs, sample, 3, 4)[:5]:
            path = os.path.join(rmount.path, "reads", sample, U.esc(c), f"{a}-{b}.cram")
            got = sh("samtools", "view", path)
            peer = tmp_path / "peer.cram"
            sh("samtools", "view", "-C", "--no-PG", "--output-fmt-option", "no_ref=1", "-o", peer,
               inputs[sample], f"{c}:{a}-{b}")
            assert got == sh("samtools", "view", peer), (sample, c, a, b)


@pytest.mark.mount
def test_xattrs_and_listing(rmount):
    d = os.path.join(rmount.path, "reads")
    assert sorted(os.listdir(d)) == sorted(SAMPLES)
    names = os.listdir(os.path.join(d, "nano"))
    assert "nano.bam" in names and "nano.bam.bai" in names and "SIRV2" in names
    bam = os.path.join(d, "nano", "nano.bam")
    assert os.getxattr(bam, "user.gdb.lossless") == b"1"
    assert os.getxattr(bam, "user.gdb.assembly") == b"sirv"
    assert "user.gdb.lossless" in os.listxattr(bam)
    for bad in ("SIRV2/0-10.bam", "SIRV2/10-5.bam", "SIRV2/99999999-100000000.bam",
                "SIRV2/1-10.bed", "SIRV2/1-10@min-mapq=x.bam", "SIRV2/1-10@bogus=1.bam",
                "nosuch/1-10.bam", "SIRV2/x-10.bam"):
        assert not os.path.exists(os.path.join(d, "nano", bad)), bad
    # the shared grammar: a bad shape names nothing, a bad parameter is EINVAL
    for bad, err in (("SIRV2/0-10.bam", errno.ENOENT), ("SIRV2/1-10@min-mapq=x.bam", errno.EINVAL),
                     ("SIRV2/1-10@bogus=1.bam", errno.EINVAL), ("SIRV2/1-10@.sam", errno.EINVAL)):
        with pytest.raises(OSError) as e:
            os.stat(os.path.join(d, "nano", bad))
        assert e.value.errno == err, bad


def test_cram_input_uses_the_store_reference(genomedb, rstore, inputs, rdir, tmp_path):
    """A CRAM decodes with the store's assembly; records equal samtools'."""
    cram = tmp_path / "nano.cram"
    sh("samtools", "view", "-C", "--no-PG", "-T", inputs["sirv.fa"], "-o", cram, inputs["nano"])
    store = tmp_path / "c.gdb"
    shutil.copytree(rstore, store)
    r = U.gdb("import", "bam", store, "--sample", "fromcram", "--reference", "sirv", cram)
    assert r.rc == 0, r
    got = U.gdb("export", "sam", store, "fromcram")
    want = sh("samtools", "view", "-T", inputs["sirv.fa"], cram)
    assert records(got.out) == records(want)


def test_stored_no_bigger_than_cram31(genomedb, rstore, inputs, tmp_path):
    """The real samples take no more room (their whole segment) than
    samtools' CRAM 3.1 of the same file, made in the same run."""
    import json
    info = json.loads(U.gdb("info", rstore, "--json").out)
    stored = {o["name"]: o["stored_bytes"] for o in info["objects"]}
    for sample in ("na", "nano"):
        asm = SAMPLES[sample][0]
        out = tmp_path / f"{sample}.cram"
        sh("samtools", "view", "-C", "--no-PG", "--output-fmt-option", "version=3.1",
           "-T", inputs[asm + ".fa"], "-o", out, inputs[sample])
        assert stored["reads/" + sample] <= os.path.getsize(out), sample


def test_export_bam_and_cram_files(rstore, inputs, tmp_path):
    """`export bam` equals the source record for record (whole and by
    region); `export cram` reads back as samtools' own reference-free CRAM
    of the same records."""
    for sample in ("messy", "nano"):
        src = inputs[sample]
        c, a, b = regions(inputs, sample, 1, 7)[-1]
        for reg in ([], [f"{c}:{a}-{b}"]):
            bam = tmp_path / "x.bam"
            r = U.gdb("export", "bam", rstore, sample, *reg, "-o", bam)
            assert r.rc == 0, r
            sh("samtools", "quickcheck", bam)
            assert sh("samtools", "view", "-h", "--no-PG", bam) == \
                sh("samtools", "view", "-h", "--no-PG", src, *reg), (sample, reg)
            cram, peer = tmp_path / "x.cram", tmp_path / "peer.cram"
            r = U.gdb("export", "cram", rstore, sample, *reg, "-o", cram)
            assert r.rc == 0, r
            sh("samtools", "view", "-C", "--no-PG", "--output-fmt-option", "no_ref=1",
               "-o", peer, src, *reg)
            assert sh("samtools", "view", cram) == sh("samtools", "view", peer), (sample, reg)
