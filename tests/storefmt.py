"""The manifest read per docs/FORMAT.md, independently of the C code: the
tests' own view of which segments a generation names and where provenance
times sit."""
import os
import struct


def current(store):
    """The manifest file name CURRENT names."""
    with open(os.path.join(store, "CURRENT"), "rb") as f:
        return f.read().split()[0].decode()


def parse(b):
    """{"version": 1 or 2, "entries": [(name, segment_id, bytes, index_crc,
    kind)], "refs": {name: (reference, its segment_id)} (version 2, entries
    with a reference), "prov": [(target, source, bytes, sha256, command,
    time, time_offset)]}."""
    assert b[:8] == b"GDBMANIF"
    version = struct.unpack_from("<I", b, 8)[0]
    assert version in (1, 2)
    nasm, nprov = struct.unpack_from("<II", b, 32)
    p = 48

    def s(width):
        nonlocal p
        n = struct.unpack_from("<H" if width == 2 else "<I", b, p)[0]
        p += width + n
        return bytes(b[p - n:p])

    entries, prov, refs = [], [], {}
    for _ in range(nasm):
        nm = s(2)
        entries.append((nm,) + struct.unpack_from("<QQII", b, p))
        p += 24
        if version == 2:
            ref = s(2)
            seg = struct.unpack_from("<Q", b, p)[0]
            p += 8
            if ref:
                refs[nm] = (ref, seg)
    for _ in range(nprov):
        target, source = s(2), s(4)
        nbytes = struct.unpack_from("<Q", b, p)[0]
        sha = bytes(b[p + 8:p + 40])
        p += 40
        cmd = s(4)
        prov.append((target, source, nbytes, sha, cmd, struct.unpack_from("<q", b, p)[0], p))
        p += 8
    assert p + 4 == len(b)
    return {"version": version, "entries": entries, "refs": refs, "prov": prov}


def live(store):
    return parse(open(os.path.join(store, current(store)), "rb").read())


def segment_name(seg_id):
    return "seg-%06d.gdb" % seg_id
