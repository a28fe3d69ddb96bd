"""Random bit flips in every kind of file (segments, the live manifest,
CURRENT) and torn (truncated) segments: every one is detected. verify exits
1 naming the damaged file or what it holds; `verify --repair` brings a store
with a damaged manifest or CURRENT back to the newest intact generation
without touching a segment. GENOMEDB_FLIPS (default 15 a file) sets how
many flips are tried; docs/RELIABILITY.md has a long run's figures.
(Reads of damaged blocks through a mount giving EIO, with the daemon up:
test_corruption.py.)"""
import os
import random
import shutil
import tempfile

import pytest

import gdbutil as U
import storefmt as F
import variants_util as V

FLIPS = int(os.environ.get("GENOMEDB_FLIPS", "15"))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Three generations: chrM, then a network, then lambda."""
    d = tmp_path_factory.mktemp("flips")
    path = str(d / "s.gdb")
    assert U.gdb("init", path).rc == 0
    for argv in (["fasta", path, "--assembly", "chrM", os.path.join(U.DATA, "human_hg38_chrM.fa")],
                 ["graph", path, "--network", "gal", os.path.join(U.DATA, "graph", "galFiltered.sif")],
                 ["fasta", path, "--assembly", "lambda", V.os.path.join(U.DATA, "phage_lambda_NC_001416.fa.gz")]):
        r = U.gdb("import", *argv, "--quiet")
        assert r.rc == 0, r
    assert U.gdb("verify", path).rc == 0
    return path


@pytest.fixture
def work(tmp_path):
    d = tempfile.mkdtemp(prefix="gdb-flip-", dir="/dev/shm") if os.access("/dev/shm", os.W_OK) \
        else str(tmp_path)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _targets(store):
    """{file name: words one of which the verify message must hold}."""
    out = {"CURRENT": ("CURRENT",), F.current(store): (F.current(store),)}
    for nm, seg, _n, _c, _k in F.live(store)["entries"]:
        out[F.segment_name(seg)] = (F.segment_name(seg), nm.decode())
    return out


def _segments(store):
    return {n: open(os.path.join(store, n), "rb").read()
            for n in os.listdir(store) if n.startswith("seg-")}


def _damage(src, work, i, name, how):
    dst = os.path.join(work, f"d{i}.gdb")
    shutil.copytree(src, dst)
    how(os.path.join(dst, name))
    return dst


def _check(dst, name, words, what):
    r = U.gdb("verify", dst)
    text = r.out.decode() + r.err
    assert r.rc == 1, (what, r)
    assert any(w in text for w in words), (what, text)
    if name.startswith("seg-"):
        return
    before = _segments(dst)
    r = U.gdb("verify", dst, "--repair")
    assert r.rc == 0, (what, "repair", r)
    assert U.gdb("verify", dst).rc == 0, what
    assert _segments(dst) == before, what


def _flip_bit(pos):
    def how(path):
        with open(path, "r+b") as f:
            f.seek(pos // 8)
            b = f.read(1)[0]
            f.seek(pos // 8)
            f.write(bytes([b ^ (1 << (pos % 8))]))
    return how


def test_random_bit_flips_detected(store, work):
    rng = random.Random(2026)
    tried = detected = 0
    for name, words in sorted(_targets(store).items()):
        size = os.path.getsize(os.path.join(store, name))
        for k in range(FLIPS):
            pos = rng.randrange(size * 8)
            dst = _damage(store, work, tried, name, _flip_bit(pos))
            _check(dst, name, words, f"{name} bit {pos}")
            shutil.rmtree(dst)
            tried += 1
            detected += 1
    print(f"bit flips: {detected} detected of {tried} tried")


def test_torn_segments_detected(store, work):
    """Each segment cut at the header, inside it, at random places and one
    byte short."""
    rng = random.Random(7)
    for i, (name, words) in enumerate(sorted(_targets(store).items())):
        if not name.startswith("seg-"):
            continue
        size = os.path.getsize(os.path.join(store, name))
        for cut in sorted({0, 1, 63, 64, size - 1} | {rng.randrange(size) for _ in range(2)}):
            dst = _damage(store, work, i, name, lambda p, c=cut: os.truncate(p, c))
            _check(dst, name, words, f"{name} cut at {cut}")
            shutil.rmtree(dst)


def test_flip_in_section_padding_detected(store, work):
    """The zero bytes that align a network's sections are covered by no CRC;
    verify checks they are zero, so a flip there is reported too."""
    e = next(e for e in F.live(store)["entries"] if e[4] == 2)
    name = F.segment_name(e[1])
    b = open(os.path.join(store, name), "rb").read()
    ioff, n = F.struct.unpack_from("<Q", b, 24)[0], F.struct.unpack_from("<I", b, 44)[0]
    spans, q = [], ioff
    for _ in range(n):
        q += 2 + F.struct.unpack_from("<H", b, q)[0]
        off, ln = F.struct.unpack_from("<QQ", b, q)
        q += 20
        spans.append((off, off + ln))
    gaps = [p for p in range(64, ioff) if not any(a <= p < z for a, z in spans)]
    assert gaps and all(b[p] == 0 for p in gaps)
    for p in (gaps[0], gaps[len(gaps) // 2], gaps[-1]):
        dst = _damage(store, work, p, name, _flip_bit(p * 8 + 3))
        _check(dst, name, (name, e[0].decode()), f"{name} padding byte {p}")
        shutil.rmtree(dst)
