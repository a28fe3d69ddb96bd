"""Record files and statistics tables too large to render whole stream
window by window (variants/stream.c, fs/ns/variants_ns.c). The test-only
environment knob GDB_VARIANTS_STREAM_ABOVE lowers the most a file is
rendered whole from 64 MiB to 8 KiB in one mount, so that files of the
1000 Genomes chr20 set stream there (without streaming they are EFBIG); a
second mount without the knob renders the same names whole. Both are
checked against bcftools, and against each other byte for byte, read whole
and at odd offsets and sizes."""
import contextlib
import io
import os
import random
import subprocess
import threading
import time

import numpy as np
import pytest

import gdbutil as U
import variants_util as V

pytestmark = pytest.mark.mount

KNOB = "GDB_VARIANTS_STREAM_ABOVE"
ABOVE = 8192
CONTIG = "1-63025520"  # the whole of chr20
REGION = "1000000-2200000"  # about 4,500 sites: two stored chunks or more


@pytest.fixture(scope="module")
def mounts(vstore, tmp_path_factory):
    U.require_fuse()
    d = tmp_path_factory.mktemp("vstream")
    with contextlib.ExitStack() as st:
        os.environ[KNOB] = str(ABOVE)
        try:
            small = st.enter_context(U.mounted(vstore["path"], d, name="small"))
        finally:
            del os.environ[KNOB]
        whole = st.enter_context(U.mounted(vstore["path"], d, name="whole"))
        yield (os.path.join(small.path, "variants", "kg", "20"),
               os.path.join(whole.path, "variants", "kg", "20"))


def body(b):
    return b"".join(l + b"\n" for l in b.split(b"\n") if l and not l.startswith(b"#"))


def cat(path):
    return subprocess.run(["cat", path], capture_output=True, check=True).stdout


def test_whole_contig_vcf_streams_as_bcftools_view(mounts):
    small, whole = mounts
    name = CONTIG + ".vcf"
    got = cat(os.path.join(small, name))
    assert os.stat(os.path.join(small, name)).st_size == len(got) > ABOVE
    assert got.startswith(b"##fileformat=VCFv4.2\n")
    assert body(got) == V.bcftools_records(V.KG_VCF)
    assert got == cat(os.path.join(whole, name))


@pytest.mark.parametrize("ext", [".vcf.gz", ".bcf", ".sites.tsv", ".gt.npy"])
def test_region_files_stream_as_rendered_whole(mounts, tmp_path, ext):
    small, whole = mounts
    got = cat(os.path.join(small, REGION + ext))
    assert os.stat(os.path.join(small, REGION + ext)).st_size == len(got) > ABOVE
    assert got == cat(os.path.join(whole, REGION + ext))
    a, b = REGION.split("-")
    want = V.bcftools_records(V.KG_VCF, f"20:{a}-{b}")
    if ext in (".vcf.gz", ".bcf"):
        p = tmp_path / ("x" + ext)
        p.write_bytes(got)
        assert V.sh("bcftools", "view", "-H", p) == want
    elif ext == ".gt.npy":
        # the values are test_variants_mount's (cyvcf2); here the shape
        m = np.load(io.BytesIO(got))
        assert m.dtype == np.int8 and m.shape == (len(want.splitlines()), 300)
    else:
        rows = got.decode().splitlines()[1:]
        assert [r.split("\t")[1] for r in rows] == [l.split(b"\t")[1].decode() for l in want.splitlines()]


def other_set(d, setname):
    return os.path.join(os.path.dirname(os.path.dirname(d)), setname, "20")


@pytest.mark.parametrize("setname,name", [("kg", CONTIG + ".vcf"), ("kg", REGION + ".bcf"),
                                          ("kgbcf", CONTIG + "@by=superpopulation.af.tsv")])
def test_reads_at_odd_offsets_and_sizes(mounts, setname, name):
    small, whole = (other_set(d, setname) for d in mounts)
    ref = cat(os.path.join(whole, name))
    path = os.path.join(small, name)
    n = len(ref)
    for skip, count in ((0, 1), (1, 3), (n // 4097 // 3, 700), (n // 4097 - 2, 5)):
        got = subprocess.run(["dd", f"if={path}", "bs=4097", f"skip={skip}", f"count={count}"],
                             capture_output=True, check=True).stdout
        assert got == ref[skip * 4097:(skip + count) * 4097], (skip, count)
    rnd = random.Random(11)
    fd = os.open(path, os.O_RDONLY)
    try:
        for _ in range(40):
            off = rnd.randrange(n + 10)
            size = rnd.choice([1, 7, 4095, 65537, 1 << 20, 3 << 20])
            assert os.pread(fd, size, off) == ref[off:off + size], (off, size)
    finally:
        os.close(fd)


def test_concurrent_readers_agree(mounts):
    small, whole = mounts
    name = CONTIG + ".vcf"
    ref = cat(os.path.join(whole, name))
    n, parts, errs = len(ref), 6, []

    def read_part(i):
        a, b = n * i // parts, n * (i + 1) // parts
        with open(os.path.join(small, name), "rb") as f:
            f.seek(a)
            if f.read(b - a) != ref[a:b]:
                errs.append(i)

    ts = [threading.Thread(target=read_part, args=(i,)) for i in range(parts)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errs


def test_sample_subset_streams_as_bcftools_view_s(mounts, vstore):
    small, _ = mounts
    ceu = [s for s, (p, _) in V.panel_rows().items() if p == "CEU" and s in vstore["samples"]]
    got = cat(os.path.join(small, REGION + "@pop=CEU.vcf"))
    assert len(got) > ABOVE
    a, b = REGION.split("-")
    assert body(got) == V.bcftools_records(V.KG_VCF, f"20:{a}-{b}", ceu)


# Statistics tables: whole contig and region, per variant and per window
# (windows of 10 kb and 33,333 bp straddle the stored chunks' bounds), and
# a summary (one row per sample, all in the streamed file's first part).
STATS = [("kg", CONTIG + "@by=population.af.tsv"),
         ("kgbcf", REGION + "@by=superpopulation.fst.tsv"),
         ("kgbcf", CONTIG + "@by=superpopulation,window=10000.fst.tsv"),
         ("kgbcf", CONTIG + "@by=population,window=33333.fst.tsv"),
         ("kg", CONTIG + "@by=sample.summary.tsv")]


@pytest.mark.parametrize("setname,name", STATS)
def test_stats_tables_stream_as_rendered_whole(mounts, setname, name):
    small, whole = (os.path.join(other_set(d, setname), name) for d in mounts)
    got = cat(small)
    assert os.stat(small).st_size == len(got) > ABOVE
    assert got == cat(whole)
    rows = got.decode().splitlines()
    assert rows[0].startswith(("chrom\t", "sample\t")) and len(rows) > 100
    assert not any(r.startswith(("chrom\t", "sample\t")) for r in rows[1:])
    if "window=" in name:  # each window once, in order
        keys = [tuple(r.split("\t")[1:5]) for r in rows[1:]]
        assert len(set(keys)) == len(keys)
        assert [int(k[0]) for k in keys] == sorted(int(k[0]) for k in keys)


def test_streamed_af_equals_bcftools_fill_tags(mounts, vstore, tmp_path):
    """AC and AN per population of the streamed table against bcftools
    +fill-tags -S (its AC_<pop>, AN_<pop>), multi-allelic sites as lists."""
    small, _ = mounts
    got = cat(os.path.join(small, REGION + "@by=population.af.tsv"))
    assert len(got) > ABOVE
    rows = [r.split("\t") for r in got.decode().splitlines()[1:]]
    pops = sorted({r[4] for r in rows})
    groups = tmp_path / "groups.txt"
    groups.write_text("".join(f"{s}\t{p}\n" for s, (p, _) in V.panel_rows().items()
                              if s in vstore["samples"]))
    a, b = REGION.split("-")
    sub = V.sh("bcftools", "view", "-Ou", "-r", f"20:{a}-{b}", "--regions-overlap", "pos", V.KG_VCF)
    filled = V.sh("bcftools", "+fill-tags", "-Ou", "-", "--", "-S", groups, "-t", "AC,AN", stdin=sub)
    fmt = "%POS\t%REF\t%ALT" + "".join(f"\t%INFO/AC_{p}\t%INFO/AN_{p}" for p in pops) + "\n"
    want = []
    for line in V.sh("bcftools", "query", "-f", fmt, "-", stdin=filled).decode().splitlines():
        t = line.split("\t")
        for i, p in enumerate(pops):
            want.append([t[0], t[1], t[2], p, t[3 + 2 * i], t[4 + 2 * i]])
    assert [r[1:7] for r in rows] == want
    for r in rows:
        an = int(r[6])
        assert [float(x) for x in r[7].split(",")] == pytest.approx(
            [int(x) / an for x in r[5].split(",")], abs=5e-9) if an else r[7] == ""


def windows_rendered(d):
    """The set's count of windows rendered for readers (an xattr of
    /variants/<set>): d is the set's contig directory."""
    return int(os.getxattr(os.path.dirname(d), "user.gdb.windows_rendered"))


def read_interleaved(paths, step=65536):
    """Every file whole, all open at once, step bytes of each in turn
    (readahead off, so the daemon sees the reads in order)."""
    fds = [os.open(p, os.O_RDONLY) for p in paths]
    try:
        for fd in fds:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
        got, off, live = [b""] * len(fds), [0] * len(fds), set(range(len(fds)))
        while live:
            for i in sorted(live):
                b = os.pread(fds[i], step, off[i])
                off[i] += len(b)
                got[i] += b
                if not b:
                    live.discard(i)
        return got
    finally:
        for fd in fds:
            os.close(fd)


def test_open_files_keep_their_windows_past_the_size_cache(mounts, vstore):
    """Six streamed files open at once (the mount keeps the sizes of the
    last four names): the two whose names left that cache while open keep
    their windows, so reading all six in turn renders each window once,
    as many as six files read one at a time."""
    small, whole = mounts
    names = [f"{REGION}@samples={s}.vcf" for s in vstore["samples"][:7]]
    c0 = windows_rendered(small)
    alone = read_interleaved([os.path.join(small, names[0])])
    per_file = windows_rendered(small) - c0
    assert per_file > 0 and len(alone[0]) > ABOVE
    c0 = windows_rendered(small)
    got = read_interleaved([os.path.join(small, n) for n in names[1:]])
    assert windows_rendered(small) - c0 == 6 * per_file
    for n, b in zip(names, alone + got):
        assert b == cat(os.path.join(whole, n))


def windows_held(d):
    """Rendered windows the set's streams hold now (an xattr of
    /variants/<set>): d is the set's contig directory."""
    return int(os.getxattr(os.path.dirname(d), "user.gdb.windows_held"))


def test_forgotten_stream_frees_the_window_rendered_ahead(mounts):
    """A streamed file read in part holds windows (kept, cached, and the
    next one rendered ahead); once the kernel forgets its name (its last
    reader) every one of them goes, the one rendered ahead too (it used
    to stay until the next read or until the name left the mount's size
    cache)."""
    if os.getuid() != 0:
        pytest.skip("needs root to make the kernel forget (drop_caches)")
    small, _ = mounts
    path = os.path.join(small, "1000000-2100001.vcf")
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
        assert len(os.pread(fd, 65536, 0)) == 65536
        assert windows_held(small) > 0
    finally:
        os.close(fd)
    deadline = time.monotonic() + 120         # the kernel's forget comes when it comes
    while True:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("2\n")
        if windows_held(small) == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert windows_held(small) == 0
