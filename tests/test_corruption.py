"""Damaged stores: verify names the damaged block range, reads of a damaged
block give EIO while other blocks still read, and no tool crashes."""
import glob
import json
import os
import random
import re
import shutil

import pytest

import gdbutil as U

ASM = "cor"
L1, L2 = 200001, 100000


@pytest.fixture(scope="module")
def pristine(genomedb, tmp_path_factory):
    """A store holding one assembly: c1 (200,001 random ACGT) and c2."""
    d = tmp_path_factory.mktemp("corrupt")
    rng = random.Random(99)
    seqs = {"c1": "".join(rng.choices("ACGT", k=L1)), "c2": "".join(rng.choices("ACGT", k=L2))}
    fa = d / "cor.fa"
    with open(fa, "w") as f:
        for n, s in seqs.items():
            f.write(f">{n}\n" + "".join(s[i:i + 60] + "\n" for i in range(0, len(s), 60)))
    store = d / "pristine.gdb"
    assert U.gdb("init", store).rc == 0
    r = U.gdb("import", "fasta", store, "--assembly", ASM, fa, "--quiet")
    assert r.rc == 0, r
    assert U.gdb("verify", store).rc == 0
    return str(store), {k: v.encode() for k, v in seqs.items()}


def _copy(pristine, tmp_path):
    dst = tmp_path / "s.gdb"
    shutil.copytree(pristine[0], dst)
    return str(dst)


def _segments(store):
    segs = sorted(glob.glob(os.path.join(store, "seg-*.gdb")), key=os.path.getsize)
    assert segs, f"no seg-*.gdb in {os.listdir(store)}"
    return segs


def _flip(path, offset, mask=0xFF):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        assert b, f"{path} shorter than {offset}"
        f.seek(offset)
        f.write(bytes([b[0] ^ mask]))


def test_flipped_data_byte(pristine, tmp_path):
    store = _copy(pristine, tmp_path)
    seg = _segments(store)[-1]           # the one holding the sequence blocks
    _flip(seg, 64 + 100)
    r = U.gdb("verify", store)
    assert r.rc == 1, r
    text = r.out.decode() + r.err
    assert f"{ASM}/c1:1-65536" in text, text
    assert f"{ASM}/c1:65537" not in text and f"{ASM}/c2" not in text, \
        f"only the first block is damaged: {text}"
    seqs = pristine[1]
    U.require_fuse()
    with U.mounted(store, tmp_path) as m:
        for leaf in ("100-200.seq", "100-200.fa", "1-1.u8", "65536-65536.seq",
                     "65000-66000.rc.fa", "1-200001.seq"):
            U.expect_errno(lambda: U.read_file(m.p(ASM, "c1", leaf)), (5,))
        assert U.read_file(m.p(ASM, "c1", "70000-70100.seq")) == seqs["c1"][69999:70100]
        assert U.read_file(m.p(ASM, "c1", "65537-65600.seq")) == seqs["c1"][65536:65600]
        assert U.read_file(m.p(ASM, "c1", "199990-200001.seq")) == seqs["c1"][199989:]
        assert U.read_file(m.p(ASM, "c2", "1-100000.seq")) == seqs["c2"]
        # a later block, through the whole-assembly file at its offset
        fd = os.open(m.p(ASM, ASM + ".fa"), os.O_RDONLY)
        try:
            off = 4 + (70000 // 60) * 61          # ">c1\n" then 61-byte lines
            assert os.pread(fd, 60, off) == seqs["c1"][70000 // 60 * 60:][:60]
            U.expect_errno(lambda: os.pread(fd, 100, 10), (5,))
        finally:
            os.close(fd)
        # the damage is reported again, not cached as good data
        U.expect_errno(lambda: U.read_file(m.p(ASM, "c1", "100-200.seq")), (5,))
        st = json.loads(U.read_file(m.p(".gdb", "stats.json")))
        assert st["read_errors"] > 0, st
        cache = st.get("cache", {})
        block_errors = cache.get("block_errors") if isinstance(cache, dict) else None
        if block_errors is None:
            block_errors = st.get("cache.block_errors")
        assert block_errors and block_errors > 0, st
    assert "c1" in m.log_text(), "EIO is logged with assembly, contig and range"
    r = U.gdb("export", "fasta", store, ASM, "c1:100-200")
    assert r.rc == 1, r
    r = U.gdb("export", "fasta", store, ASM, "c1:70000-70100")
    assert r.rc == 0, r


def test_damage_survives_repair_attempt(pristine, tmp_path):
    """--repair cannot invent lost data: the damage is still reported."""
    store = _copy(pristine, tmp_path)
    _flip(_segments(store)[-1], 64 + 100)
    r = U.gdb("verify", store, "--repair")
    assert r.rc == 1, r
    assert U.gdb("verify", store).rc == 1


@pytest.mark.parametrize("where", ["header", "index-end", "truncated", "manifest",
                                   "current", "zeroed-segment"])
def test_structural_damage_is_detected(pristine, tmp_path, where):
    store = _copy(pristine, tmp_path)
    seg = _segments(store)[-1]
    size = os.path.getsize(seg)
    if where == "header":
        _flip(seg, 10)
    elif where == "index-end":
        _flip(seg, size - 5)
    elif where == "truncated":
        os.truncate(seg, size - 100)
    elif where == "manifest":
        cur = open(os.path.join(store, "CURRENT")).read().split()[0]
        man = os.path.join(store, os.path.basename(cur)) if cur.startswith("MANIFEST") else \
            sorted(glob.glob(os.path.join(store, "MANIFEST-*")))[-1]
        _flip(man, os.path.getsize(man) // 2)
    elif where == "current":
        with open(os.path.join(store, "CURRENT"), "w") as f:
            f.write("MANIFEST-999999\n")
    elif where == "zeroed-segment":
        with open(seg, "r+b") as f:
            f.write(b"\0" * size)
    r = U.gdb("verify", store)
    assert r.rc == 1, f"{where}: {r}"
    assert r.err.strip() or r.out.strip()
    r = U.gdb("info", store, "--json")
    assert r.rc in (0, 1), r                     # a clean error, not a signal
    r = U.gdb("export", "fasta", store, ASM)
    assert r.rc in (1,), f"{where}: export of damaged data must fail: {r}"
    if os.path.exists("/dev/fuse"):
        m = U.Mount(store, tmp_path / "mnt", tmp_path / "mnt.log")
        try:
            m.start()
        except U.MountError:
            pass                                  # refusing to mount is fine
        else:
            try:
                try:
                    U.read_file(m.p(ASM, ASM + ".fa"))
                    pytest.fail(f"{where}: damaged store served data without EIO")
                except OSError as e:
                    assert e.errno in (2, 5), e
            finally:
                m.stop()
        U.check_sanitizer(m.log_text(), "genomedb mount (damaged store)")


# ---------------------------------------------------------------- damage stays local

OTHER = "lambda"
OTHER_FILE = os.path.join(U.DATA, "phage_lambda_NC_001416.fa.gz")


@pytest.fixture(scope="module")
def two(pristine, tmp_path_factory):
    """The pristine store plus a second assembly in a segment of its own."""
    d = tmp_path_factory.mktemp("two")
    store = d / "two.gdb"
    shutil.copytree(pristine[0], store)
    r = U.gdb("import", "fasta", store, "--assembly", OTHER, OTHER_FILE, "--quiet")
    assert r.rc == 0, r
    return str(store)


def _seg_of(store, asm):
    info = json.loads(U.gdb("info", store, "--json").out)
    a = [x for x in info["assemblies"] if x["name"] == asm][0]
    segs = sorted(glob.glob(os.path.join(store, "seg-*.gdb")))
    return [s for s in segs if os.path.getsize(s) == a["stored_bytes"]][0]


DAMAGES = {
    "header": lambda seg: _flip(seg, 20),
    "index": lambda seg: _flip(seg, os.path.getsize(seg) - 30),
    "one-byte-short": lambda seg: os.truncate(seg, os.path.getsize(seg) - 1),
    "missing": os.unlink,
}


@pytest.mark.parametrize("how", sorted(DAMAGES))
def test_damage_stays_local(pristine, two, tmp_path, how):
    """One damaged segment: the rest is served, info lists the damage,
    verify names it, the damaged assembly is EIO; drop + import is the way
    out and gc then removes the damaged file."""
    store = str(tmp_path / "s.gdb")
    shutil.copytree(two, store)
    seg = _seg_of(store, ASM)
    DAMAGES[how](seg)
    lam = U.read_maybe_gz(OTHER_FILE)
    info = U.gdb("info", store, "--json")
    assert info.rc == 0, info
    j = json.loads(info.out)
    assert [a["name"] for a in j["assemblies"]] == [OTHER]
    assert [d["name"] for d in j["damaged"]] == [ASM]
    assert os.path.basename(seg) in j["damaged"][0]["error"], j["damaged"]
    assert U.gdb("export", "fasta", store, OTHER).out == lam
    r = U.gdb("export", "fasta", store, ASM)
    assert r.rc == 1 and "damaged" in r.err, r
    v = U.gdb("verify", store)
    assert v.rc == 1, v
    assert f"damaged: assembly {ASM}" in v.out.decode() and os.path.basename(seg) in v.out.decode()
    if os.path.exists("/dev/fuse"):
        with U.mounted(store, tmp_path) as m:
            assert U.read_file(m.p(OTHER, OTHER + ".fa"))[:20] == lam[:20]
            U.expect_errno(lambda: U.read_file(m.p(ASM, ASM + ".fa")), (5,))
            U.expect_errno(lambda: os.stat(m.p(ASM, "c1", "1-10.seq")), (5,))
    elif U.IN_CI:
        pytest.fail("/dev/fuse missing under CI=true")
    # the way out: drop it, import it again, let gc remove the damaged file
    r = U.gdb("drop", store, ASM)
    assert r.rc == 0, r
    assert U.gdb("verify", store).rc == 0
    fa = _cor_fa(pristine)
    r = U.gdb("import", "fasta", store, "--assembly", ASM, fa, "--quiet")
    assert r.rc == 0, r
    r = U.gdb("gc", store)
    assert r.rc == 0, r
    if how != "missing":
        assert not os.path.exists(seg), f"gc left the damaged {seg}"
    assert U.gdb("verify", store).rc == 0
    assert U.gdb("export", "fasta", store, ASM).out == open(fa, "rb").read()


def _cor_fa(pristine):
    """The FASTA the pristine store was imported from."""
    return os.path.join(os.path.dirname(pristine[0]), "cor.fa")


def test_flipped_byte_then_replace(pristine, tmp_path):
    """verify --repair cannot fix a flipped block; import --replace can."""
    store = _copy(pristine, tmp_path)
    _flip(_segments(store)[-1], 64 + 100)
    assert U.gdb("verify", store, "--repair").rc == 1
    fa = _cor_fa(pristine)
    r = U.gdb("import", "fasta", store, "--assembly", ASM, fa, "--quiet")
    assert r.rc == 1 and "--replace" in r.err, r
    r = U.gdb("import", "fasta", store, "--assembly", ASM, fa, "--quiet", "--replace")
    assert r.rc == 0, r
    assert U.gdb("verify", store).rc == 0
    assert U.gdb("export", "fasta", store, ASM).out == open(fa, "rb").read()


def test_truncated_under_a_live_mount_is_eio(two, tmp_path):
    """A segment truncated while mounted: EIO for what is gone (not SIGBUS),
    the daemon stays up and serves the other assembly."""
    U.require_fuse()
    store = str(tmp_path / "s.gdb")
    shutil.copytree(two, store)
    seg = _seg_of(store, ASM)
    with U.mounted(store, tmp_path) as m:
        first = U.read_file(m.p(ASM, "c1", "1-100.seq"))
        assert len(first) == 100
        os.truncate(seg, os.path.getsize(seg) // 3)
        # blocks past the cut were never read: their bytes are gone
        U.expect_errno(lambda: U.read_file(m.p(ASM, "c2", "1000-2000.seq")), (5,))
        U.expect_errno(lambda: U.read_file(m.p(ASM, "c1", "190000-190100.seq")), (5,))
        lam = U.read_maybe_gz(OTHER_FILE)
        got = U.read_file(m.p(OTHER, OTHER + ".fa"))
        assert got[:60] == lam[:60] and len(got) > 48000
        assert m.alive()
    assert "truncated while in use" in m.log_text()


# ---------------------------------------------------------------- CURRENT

def _current(store):
    return open(os.path.join(store, "CURRENT"), "rb").read()


def test_current_bit_flip_is_detected_and_repaired(two, tmp_path):
    """CURRENT carries a checksum: a flipped bit ('...3' -> '...2') is an
    error, not a silent roll-back; repair restores it from the newest whole
    manifest and deletes nothing."""
    store = str(tmp_path / "s.gdb")
    shutil.copytree(two, store)
    cur = _current(store)
    gen = int(cur.split()[0].split(b"-")[1])
    before = sorted(os.listdir(store))
    flipped = bytearray(cur)
    flipped[14] ^= 0x01                         # last digit of the generation
    open(os.path.join(store, "CURRENT"), "wb").write(bytes(flipped))
    for cmd in (("info", store), ("verify", store), ("export", "fasta", store, OTHER)):
        r = U.gdb(*cmd)
        assert r.rc == 1 and "CURRENT" in r.err and "checksum" in r.err, r
    r = U.gdb("verify", store, "--repair")
    assert r.rc == 0, r
    assert f"now names MANIFEST-{gen:06d}" in r.out.decode(), r.out
    assert _current(store) == cur
    assert sorted(os.listdir(store)) == before
    assert json.loads(U.gdb("info", store, "--json").out)["generation"] == gen


def test_repair_keeps_newer_manifest_unless_told(two, tmp_path):
    """An older store's CURRENT (no checksum) naming generation N-1 while
    MANIFEST-N exists (the bit flip it could not detect): repair keeps the
    newer manifest and says so; --discard-newer removes it."""
    store = str(tmp_path / "s.gdb")
    shutil.copytree(two, store)
    gen = int(_current(store).split()[0].split(b"-")[1])
    open(os.path.join(store, "CURRENT"), "w").write(f"MANIFEST-{gen - 1:06d}\n")
    r = U.gdb("verify", store, "--repair")
    assert r.rc == 0, r
    out = r.out.decode()
    assert "newer than the live generation" in out and f"MANIFEST-{gen:06d}" in out, out
    assert os.path.exists(os.path.join(store, f"MANIFEST-{gen:06d}"))
    assert os.path.exists(_seg_of(two, OTHER).replace(two, store))
    r = U.gdb("verify", store, "--repair", "--discard-newer")
    assert r.rc == 0, r
    assert not os.path.exists(os.path.join(store, f"MANIFEST-{gen:06d}"))


def _block_span(seg, i):
    """Offset and stored length of stream block i of a version 3 sequence
    segment (docs/FORMAT.md "Sequence index": the 64-byte assembly record
    at index_offset, then 16-byte block entries)."""
    import struct
    with open(seg, "rb") as f:
        b = f.read()
    assert struct.unpack_from("<I", b, 8)[0] == 3, "not a version 3 segment"
    index = struct.unpack_from("<Q", b, 24)[0]
    return struct.unpack_from("<QI", b, index + 64 + 16 * i)


def test_pin_over_a_damaged_block_pins_nothing(pristine, tmp_path):
    """A pin of c1 whole whose third block (131073-196608) is damaged fails
    (the message names the range, the daemon's log the block) and pins
    nothing: the first block, pinned by it, is released; the second, pinned
    before, stays pinned (the pinned bytes are as before). Pins of
    undamaged ranges still work."""
    store = _copy(pristine, tmp_path)
    seg = _segments(store)[-1]
    off, n = _block_span(seg, 2)              # c1's blocks are stream blocks 0-3
    _flip(seg, off + n // 2)
    assert f"{ASM}/c1:131073-196608" in U.gdb("verify", store).out.decode()
    U.require_fuse()
    with U.mounted(store, tmp_path) as m:
        def pinned():
            return json.loads(U.read_file(m.p(".gdb", "stats.json")))["cache"]["pinned_bytes"]

        r = U.gdb("ctl", m.path, "pin", f"{ASM}/c1:65537-131072")
        assert r.rc == 0, r
        block = pinned()
        assert block > 0
        r = U.gdb("ctl", m.path, "pin", f"{ASM}/c1:1-200001")
        assert r.rc != 0, r
        assert f"{ASM}/c1:1-200001" in r.err and "nothing pinned" in r.err, r
        assert pinned() == block, "the failed pin left blocks pinned"
        r = U.gdb("ctl", m.path, "pin", f"{ASM}/c2:1-100000")
        assert r.rc == 0, r
        assert pinned() == 3 * block
        assert U.gdb("ctl", m.path, "unpin", "--all").rc == 0
        assert pinned() == 0
        log = m.log_text()
    assert (f"pin {ASM}/c1:1-200001: block 2 ({ASM}/c1:131073-196608) cannot be read" in log
            and "released the 1 block pinned by this call" in log), log
