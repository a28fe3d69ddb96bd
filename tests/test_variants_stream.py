"""Record files too large to render whole stream window by window
(variants/stream.c, fs/ns/variants_ns.c). The test-only environment knob
GDB_VARIANTS_STREAM_ABOVE lowers the most a record file is rendered whole
from 64 MiB to 64 KiB in one mount, so that files of the 1000 Genomes
chr20 set stream there (without streaming they are EFBIG); a second mount
without the knob renders the same names whole. Both are checked against
bcftools, and against each other byte for byte, read whole and at odd
offsets and sizes."""
import contextlib
import io
import os
import random
import subprocess
import threading

import numpy as np
import pytest

import gdbutil as U
import variants_util as V

pytestmark = pytest.mark.mount

KNOB = "GDB_VARIANTS_STREAM_ABOVE"
ABOVE = 65536
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


@pytest.mark.parametrize("name", [CONTIG + ".vcf", REGION + ".bcf"])
def test_reads_at_odd_offsets_and_sizes(mounts, name):
    small, whole = mounts
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
