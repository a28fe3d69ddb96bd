"""Damage stays with what is damaged (docs/FORMAT.md, docs/GRAPH.md
"Damage"): a flipped byte in one section of one network makes that
network's files EIO, with a log line naming the network and the section;
the other network is served as before, networks.json and `genomedb info`
list the damaged one. Through a real mount."""
import errno
import json
import os
import struct

import pytest

import gdbutil as U
import test_graph_common as GC

pytestmark = pytest.mark.mount


def sections(seg):
    """{name: (offset, length)} of a sections object's segment
    (docs/FORMAT.md, "Segment" and "Sections index")."""
    with open(seg, "rb") as f:
        data = f.read()
    assert data[:8] == b"GDBSEGMT"
    index_off, = struct.unpack_from("<Q", data, 24)
    n, = struct.unpack_from("<I", data, 44)
    out, at = {}, index_off
    for _ in range(n):
        ln, = struct.unpack_from("<H", data, at)
        name = data[at + 2:at + 2 + ln].decode()
        off, length, _crc = struct.unpack_from("<QQI", data, at + 2 + ln)
        out[name] = (off, length)
        at += 2 + ln + 20
    return out, data


def segment_of(store, marker):
    """The segment of the network whose node names hold marker."""
    for name in sorted(os.listdir(store)):
        if not name.startswith("seg-"):
            continue
        p = os.path.join(store, name)
        secs, data = sections(p)
        if "node.name.str" in secs:
            off, length = secs["node.name.str"]
            if marker in data[off:off + length]:
                return p, secs
    raise AssertionError(f"no network segment holds {marker!r}")


@pytest.fixture(scope="module")
def damaged(genomedb, tmp_path_factory):
    U.require_fuse()
    d = tmp_path_factory.mktemp("graphdamage")
    s = d / "d.gdb"
    assert U.gdb("init", s).rc == 0
    for net, f in (("gal", GC.data_file("galFiltered.sif")),
                   ("netsam", GC.data_file("netsam_example_network.tsv"))):
        r = U.gdb("import", "graph", s, "--network", net, f, "--quiet")
        assert r.rc == 0, r
    seg, secs = segment_of(str(s), b"A2M")
    off, length = secs["edge.conf"]
    assert length > 0
    with open(seg, "r+b") as f:          # one byte of netsam's confidences
        f.seek(off + length // 2)
        b = f.read(1)
        f.seek(off + length // 2)
        f.write(bytes([b[0] ^ 0x20]))
    return s, d


def test_damaged_network_is_eio_and_the_other_is_served(damaged):
    s, d = damaged
    gal = GC.parse_sif(GC.data_file("galFiltered.sif"))
    with U.mounted(s, d) as m:
        top = set(os.listdir(m.p("graph")))
        assert {"@gal", "@netsam", "networks.json"} <= top
        # the intact network, with and without @
        nb = json.loads(U.read_file(m.p("graph", "@gal", "YPL248C", "neighbors.json")))
        assert {x["neighbor"].lower() for x in nb["neighbors"]} == gal.neighbours("YPL248C")
        nb = json.loads(U.read_file(m.p("graph", "YPL248C", "neighbors.json")))
        assert nb["networks"] == ["gal"]
        # the damaged one: EIO for its files, nothing of it elsewhere
        before = m.log_size()
        for p in (("@netsam",), ("@netsam", "A2M", "neighbors.json"),
                  ("@netsam", "degree.tsv")):
            with pytest.raises(OSError) as e:
                U.read_file(m.p("graph", *p)) if len(p) > 1 else os.listdir(m.p("graph", *p))
            assert e.value.errno == errno.EIO, p
        log = m.log_text(before)
        assert "netsam" in log and "edge.conf" in log, log[-2000:]
        with pytest.raises(OSError) as e:
            U.read_file(m.p("graph", "A2M", "neighbors.json"))
        assert e.value.errno == errno.ENOENT
        nets = json.loads(U.read_file(m.p("graph", "networks.json")))
        assert [n["name"] for n in nets["networks"]] == ["gal"]
        assert nets["damaged"][0]["name"] == "netsam"
        assert "edge.conf" in nets["damaged"][0]["error"]
        assert "netsam" in m.log_text() and "gives EIO" in m.log_text()


def test_info_lists_the_damaged_network(damaged):
    s, _ = damaged
    r = U.gdb("info", s)
    assert r.rc == 0, r
    out = r.out if isinstance(r.out, str) else r.out.decode()
    assert "network netsam: DAMAGED" in out and "edge.conf" in out, out
    assert "network gal: 330 nodes, 359 edges" in out, out
    r = U.gdb("info", s, "--json")
    objs = {o["name"]: o for o in json.loads(r.out)["objects"]}
    assert "edge.conf" in objs["netsam"]["network"]["damaged"]
    assert objs["gal"]["network"]["damaged"] is None
    assert objs["gal"]["network"]["nodes"] == 330


@pytest.fixture(scope="module")
def two_nets(genomedb, tmp_path_factory):
    d = tmp_path_factory.mktemp("graphcut")
    s = d / "c.gdb"
    assert U.gdb("init", s).rc == 0
    for net, f in (("gal", GC.data_file("galFiltered.sif")),
                   ("netsam", GC.data_file("netsam_example_network.tsv"))):
        r = U.gdb("import", "graph", s, "--network", net, f, "--quiet")
        assert r.rc == 0, r
    return s


def _copy(src, dst):
    import shutil
    shutil.copytree(src, dst)
    return dst


def test_segment_one_byte_short_is_eio_alone(two_nets, tmp_path):
    """The store finds the cut segment at open and leaves the object out
    (store damage, not graph damage): /graph/@netsam is still EIO, not
    ENOENT, and gal is served."""
    U.require_fuse()
    s = _copy(two_nets, tmp_path / "s.gdb")
    seg, _ = segment_of(str(s), b"A2M")
    os.truncate(seg, os.path.getsize(seg) - 1)
    gal = GC.parse_sif(GC.data_file("galFiltered.sif"))
    with U.mounted(s, tmp_path) as m:
        nb = json.loads(U.read_file(m.p("graph", "YPL248C", "neighbors.json")))
        assert {x["neighbor"].lower() for x in nb["neighbors"]} == gal.neighbours("YPL248C")
        assert nb["networks"] == ["gal"]
        U.expect_errno(lambda: U.read_file(m.p("graph", "@netsam", "A2M", "neighbors.json")), (5,))
        U.expect_errno(lambda: os.listdir(m.p("graph", "@netsam")), (5,))
        assert os.path.basename(seg) in m.log_text()
    info = json.loads(U.gdb("info", s, "--json").out)
    assert [d["name"] for d in info["damaged"]] == ["netsam"]


def test_segment_truncated_under_a_live_mount_is_eio(two_nets, tmp_path):
    """The reader keeps pointers into the mapping: a network segment cut
    while mounted must give EIO (checked before touching), never SIGBUS;
    the daemon stays up and the other network is served."""
    U.require_fuse()
    s = _copy(two_nets, tmp_path / "s.gdb")
    seg, _ = segment_of(str(s), b"A2M")
    with U.mounted(s, tmp_path) as m:
        first = json.loads(U.read_file(m.p("graph", "@netsam", "A2M", "neighbors.json")))
        assert first["neighbors"]
        os.truncate(seg, os.path.getsize(seg) // 3)
        for p in (("@netsam", "A2M", "khop-2.json"), ("@netsam", "degree.tsv"),
                  ("@netsam", "A2M", "neighbors.tsv"), ("degree.json",)):
            U.expect_errno(lambda: U.read_file(m.p("graph", *p)), (5,))
        nb = json.loads(U.read_file(m.p("graph", "@gal", "YPL248C", "khop-2.json")))
        assert nb["networks"] == ["gal"]
        assert "netsam" in m.log_text() and "lost bytes" in m.log_text()
    U.check_sanitizer(m.log_text(), "genomedb mount (graph segment cut)")
