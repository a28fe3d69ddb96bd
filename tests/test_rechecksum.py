"""Structural checks behind the CRCs: each field of a manifest, a segment
header and a segment index is changed and the covering CRCs are computed
again (CRC-32C here, in Python), so only the reader's structural checks can
catch it. verify must exit 1 naming the file, and nothing may crash."""
import os
import shutil
import struct

import pytest

import gdbutil as U
import storefmt as F

_T = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ (0x82F63B78 if _c & 1 else 0)
    _T.append(_c)


def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = _T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("rcrc") / "s.gdb")
    assert U.gdb("init", path).rc == 0
    for argv in (["fasta", path, "--assembly", "chrM", os.path.join(U.DATA, "human_hg38_chrM.fa")],
                 ["graph", path, "--network", "gal", os.path.join(U.DATA, "graph", "galFiltered.sif")]):
        r = U.gdb("import", *argv, "--quiet")
        assert r.rc == 0, r
    m = F.live(path)
    assert crc32c(open(os.path.join(path, F.current(path)), "rb").read()[:-4]) == \
        struct.unpack("<I", open(os.path.join(path, F.current(path)), "rb").read()[-4:])[0]
    return path, m


def _manifest_case(store, off, fmt, value):
    name = os.path.join(store, F.current(store))
    b = bytearray(open(name, "rb").read())
    struct.pack_into(fmt, b, off, value)
    struct.pack_into("<I", b, len(b) - 4, crc32c(b[:-4]))
    open(name, "wb").write(bytes(b))
    return F.current(store)


MANIFEST_CASES = {
    "magic": (0, "<8s", b"GDBMANIX"),
    "version": (8, "<I", 7),
    "flags": (12, "<I", 1),
    "generation": (16, "<Q", 999),
    "n_assemblies": (32, "<I", 50),
    "n_provenance": (36, "<I", 1000),
    "body_len": (40, "<I", 3),
    "first name length": (48, "<H", 60000),
    "first kind": ("kind", "<I", 9),
}


@pytest.mark.parametrize("case", sorted(MANIFEST_CASES))
def test_manifest_field_behind_crc(base, tmp_path, case):
    store = str(tmp_path / "s.gdb")
    shutil.copytree(base[0], store)
    off, fmt, value = MANIFEST_CASES[case]
    if off == "kind":
        off = 48 + 2 + len(base[1]["entries"][0][0]) + 20
    name = _manifest_case(store, off, fmt, value)
    r = U.gdb("verify", store)
    assert r.rc == 1 and name in r.err, (case, r)


def _segment(store, kind):
    e = next(e for e in F.live(store)["entries"] if e[4] == kind)
    return e, os.path.join(store, F.segment_name(e[1]))


SEGMENT_CASES = {
    "magic": (0, "<8s", b"GDBSEGMX"),
    "version": (8, "<I", 9),
    "flags": (12, "<I", 4),
    "segment_id": (16, "<Q", 77),
    "index_offset": (24, "<Q", 10),
    "index_offset past end": (24, "<Q", 1 << 40),
    "index_len": (32, "<Q", 5),
    "n_contigs": (44, "<I", 5000),
}
# (The reserved bytes 48-59 are not checked: FORMAT.md leaves them to future
# versions; the header CRC still catches their damage.)


@pytest.mark.parametrize("kind", [1, 2])
@pytest.mark.parametrize("case", sorted(SEGMENT_CASES))
def test_segment_header_field_behind_crc(base, tmp_path, case, kind):
    store = str(tmp_path / "s.gdb")
    shutil.copytree(base[0], store)
    (nm, *_), path = _segment(store, kind)
    b = bytearray(open(path, "rb").read())
    off, fmt, value = SEGMENT_CASES[case]
    struct.pack_into(fmt, b, off, value)
    struct.pack_into("<I", b, 60, crc32c(b[:60]))
    open(path, "wb").write(bytes(b))
    r = U.gdb("verify", store)
    text = r.out.decode() + r.err
    assert r.rc == 1 and os.path.basename(path) in text and nm.decode() in text, (case, r)


@pytest.mark.parametrize("kind", [1, 2])
@pytest.mark.parametrize("where", ["first", "middle", "last"])
@pytest.mark.parametrize("delta", [1, 0x80, -1])
def test_segment_index_behind_both_crcs(base, tmp_path, kind, where, delta):
    """A byte of the index changed; the index CRC in the segment header and
    in the manifest, the header CRC and the manifest CRC all made right."""
    store = str(tmp_path / "s.gdb")
    shutil.copytree(base[0], store)
    (nm, seg, nbytes, _icrc, _k), path = _segment(store, kind)
    b = bytearray(open(path, "rb").read())
    ioff, ilen = struct.unpack_from("<QQ", b, 24)
    pos = ioff + {"first": 0, "middle": ilen // 2, "last": ilen - 1}[where]
    b[pos] = (b[pos] + delta) & 0xFF
    icrc = crc32c(b[ioff:])
    struct.pack_into("<I", b, 40, icrc)
    struct.pack_into("<I", b, 60, crc32c(b[:60]))
    open(path, "wb").write(bytes(b))
    mname = os.path.join(store, F.current(store))
    m = bytearray(open(mname, "rb").read())
    p = 48
    for e in F.parse(m)["entries"]:
        p += 2 + len(e[0])
        if e[1] == seg:
            struct.pack_into("<I", m, p + 16, icrc)
        p += 24
    struct.pack_into("<I", m, len(m) - 4, crc32c(m[:-4]))
    open(mname, "wb").write(bytes(m))
    r = U.gdb("verify", store)
    text = r.out.decode() + r.err
    # Some changes leave a valid index (a description byte, an MD5 byte):
    # then verify may pass, but the answer must not be wrong silently for
    # the blocks, whose own CRCs still hold. Either way: no crash, and a
    # failure names the segment or what it holds.
    assert r.rc in (0, 1), r
    if r.rc == 1:
        assert os.path.basename(path) in text or nm.decode() in text, r


def test_manifest_holding_another_generation(base, tmp_path):
    """A whole, checksummed manifest under the wrong name (an older one
    copied over the live one): its own generation number gives it away."""
    store = str(tmp_path / "s.gdb")
    shutil.copytree(base[0], store)
    live = F.current(store)
    older = sorted(f for f in os.listdir(store) if f.startswith("MANIFEST-") and f < live)[-1]
    shutil.copyfile(os.path.join(store, older), os.path.join(store, live))
    r = U.gdb("verify", store)
    assert r.rc == 1 and f"{live}: holds generation {int(older[9:])}" in r.err, r


def test_current_too_long(base, tmp_path):
    store = str(tmp_path / "s.gdb")
    shutil.copytree(base[0], store)
    open(os.path.join(store, "CURRENT"), "wb").write(b"MANIFEST-000003 " * 8)
    r = U.gdb("verify", store)
    assert r.rc == 1 and "CURRENT: too long" in r.err, r
