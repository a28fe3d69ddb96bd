"""Streaming contigs through the mount (issue 16). A `.seq` read is replied
straight from the cache's decoded blocks, borrowed until the reply is sent
(no copy in the daemon), a `.u8` read likewise from the blocks' codes (their
own cache entries); a `.fa` is rendered into a reply buffer. All must
equal the FASTA they were imported from byte for byte across many blocks,
at odd offsets and sizes; a damaged block in the middle of a stream is EIO
(logged with its range) after the right bytes before it, and no byte of it
is ever served."""
import errno
import json
import os
import random
import re
import shutil
import time

import pytest

import gdbutil as U

ASM = "st"
BB = 65536                    # bases a block
L1 = 47 * BB + 12345          # 48 blocks, more than one borrowed read holds
L2 = 24 * BB                  # plain ACGT: blocks of equal size
MIB = 1 << 20


def _seq(rng, n):
    """ACGT with N runs, soft-masked stretches and IUPAC codes."""
    out, i = [], 0
    while i < n:
        run = min(n - i, rng.randrange(1, 40000))
        kind = rng.randrange(10)
        if kind == 0:
            out.append("N" * run)
        else:
            s = "".join(rng.choices("ACGT", k=run))
            if kind == 1:
                s = s.lower()
            elif kind == 2:
                s = s[:run // 2] + "R" + s[run // 2 + 1:]
            out.append(s)
        i += run
    return "".join(out)


def _record(name, seq):
    return f">{name}\n".encode() + b"".join(seq[i:i + 60].encode() + b"\n"
                                            for i in range(0, len(seq), 60))


@pytest.fixture(scope="module")
def store(genomedb, tmp_path_factory):
    d = tmp_path_factory.mktemp("stream")
    rng = random.Random(16)
    # s2 first: its blocks lead the segment, one after another
    seqs = {"s2": "".join(rng.choices("ACGT", k=L2)), "s1": _seq(rng, L1)}
    fa = d / "st.fa"
    with open(fa, "wb") as f:
        for name, s in seqs.items():
            f.write(_record(name, s))
    path = d / "st.gdb"
    assert U.gdb("init", path).rc == 0
    r = U.gdb("import", "fasta", path, "--assembly", ASM, fa, "--quiet")
    assert r.rc == 0, r
    return str(path), {k: v.encode() for k, v in seqs.items()}


def _stream(path, bs=MIB):
    """The file read in bs reads (unbuffered): (bytes, the errno that
    ended it or None)."""
    got = bytearray()
    with open(path, "rb", buffering=0) as f:
        while True:
            try:
                b = f.read(bs)
            except OSError as e:
                return bytes(got), e.errno
            if not b:
                return bytes(got), None
            got += b


def _stats(m):
    return json.loads(U.read_file(m.p(".gdb", "stats.json")))


def test_streams_equal_the_fasta(store, tmp_path):
    """Whole contigs in 1 MiB reads (and a few other sizes): `.seq`
    borrowed, `.fa` rendered, both the imported bytes."""
    path, seqs = store
    U.require_fuse()
    with U.mounted(path, tmp_path) as m:
        s1 = m.p(ASM, "s1", f"1-{L1}.seq")
        b0 = _stats(m)["bytes_borrowed"]
        assert _stream(s1) == (seqs["s1"], None)
        b1 = _stats(m)["bytes_borrowed"]
        # every byte of the .seq went out of borrowed blocks
        assert b1 - b0 >= L1, (b0, b1)
        assert _stream(m.p(ASM, "s1.fa")) == (_record("s1", seqs["s1"].decode()), None)
        assert _stats(m)["bytes_borrowed"] == b1, "a .fa was borrowed"
        # .u8: the codes borrowed too, right beside the bases just read
        assert _stream(m.p(ASM, "s1", f"1-{L1}.u8")) == (U.u8(seqs["s1"]), None)
        assert _stats(m)["bytes_borrowed"] - b1 >= L1, "a .u8 was copied"
        assert _stream(m.p(ASM, "s2", f"1-{L2}.seq"), 3 * MIB + 17) == (seqs["s2"], None)
        # a region starting mid-block: every reply's pieces start inside
        # a block and the file ends inside one
        beg, end = 3 * BB - 4097, 40 * BB + 5
        assert _stream(m.p(ASM, "s1", f"{beg}-{end}.seq"), 12345) == \
            (seqs["s1"][beg - 1:end], None)
        assert _stream(m.p(ASM, "s1", f"{beg}-{end}.u8"), 12345) == \
            (U.u8(seqs["s1"][beg - 1:end]), None)
        assert _stats(m)["read_errors"] == 0


def test_odd_offsets_and_sizes(store, tmp_path):
    """Reads that reach the daemon at odd offsets and sizes (O_DIRECT goes
    around the page cache: the request is the caller's), and region files
    whose bytes start mid-block, against the imported bases."""
    path, seqs = store
    rng = random.Random(7)
    U.require_fuse()
    with U.mounted(path, tmp_path) as m:
        s1, u1 = seqs["s1"], U.u8(seqs["s1"])
        cases = [(0, 1), (BB - 1, 2), (BB - 3, BB + 7), (L1 - 5, 100), (L1, 10),
                 (5 * BB + 1, MIB - 1)]
        cases += [(rng.randrange(L1), rng.randrange(1, 300000)) for _ in range(40)]
        for ext, want in (("seq", s1), ("u8", u1)):
            fd = os.open(m.p(ASM, "s1", f"1-{L1}.{ext}"), os.O_RDONLY | os.O_DIRECT)
            try:
                for off, n in cases:
                    assert os.pread(fd, n, off) == want[off:off + n], (ext, off, n)
            finally:
                os.close(fd)
        for _ in range(6):
            beg = rng.randrange(1, L1 - 10)
            end = min(L1, beg + rng.randrange(1, 3 * MIB))
            f = m.p(ASM, "s1", f"{beg}-{end}.seq")
            assert _stream(f, rng.choice((4096, 65537, MIB))) == (s1[beg - 1:end], None)
            off = rng.randrange(end - beg + 1)
            with open(f, "rb") as h:
                h.seek(off)
                assert h.read(777) == s1[beg - 1 + off:beg - 1 + off + 777]


def _flip_block(store_dir, tmp_path, k):
    """A copy of the store with one byte in the middle of contig s2's
    block k changed; returns (its path, the 0-based first base of the
    damaged block), as `verify` names it. s2 is the segment's first
    contig, plain ACGT: 2-bit blocks of 16 KiB and a few bytes each after
    the segment's 64-byte header."""
    dst = str(tmp_path / "bad.gdb")
    shutil.copytree(store_dir, dst)
    seg = max((os.path.join(dst, f) for f in os.listdir(dst) if f.startswith("seg-")),
              key=os.path.getsize)
    off = 64 + k * (BB // 4) + BB // 8
    with open(seg, "r+b") as f:
        f.seek(off)
        b = f.read(1)
        f.seek(off)
        f.write(bytes([b[0] ^ 0x5A]))
    r = U.gdb("verify", dst)
    text = r.out.decode() + r.err
    hit = set(re.findall(rf"{ASM}/s2:(\d+)-(\d+)", text))
    assert r.rc == 1 and len(hit) == 1, text
    return dst, int(hit.pop()[0]) - 1


def _stream_over_damage(f, want, first, at=lambda base: base):
    """Stream f over the damaged block at base first: the bytes before it
    are right, then EIO, none of its bytes served; the blocks after it
    still read and it is EIO again. at(base) is a base's file offset."""
    cut = at(first)
    got, err = _stream(f)
    assert err == errno.EIO, (len(got), err)
    assert got == want[:len(got)], "wrong bytes before the damage"
    assert len(got) <= cut, f"{len(got) - cut} bytes of the damaged block served"
    assert len(got) >= cut - 2 * MIB, (len(got), cut)
    fd = os.open(f, os.O_RDONLY)
    try:
        o = at(first + BB + 9000)  # its page past the damaged block
        assert os.pread(fd, 1000, o) == want[o:o + 1000]
        U.expect_errno(lambda: os.pread(fd, 10, cut + 10), (errno.EIO,))
    finally:
        os.close(fd)


@pytest.mark.parametrize("name", ["seq", "fa", "u8"])
def test_damaged_block_mid_stream(store, tmp_path, name):
    """A stream over a damaged block: the bytes before it are right, then
    EIO; none of the damaged block's bytes is served; the log names the
    range; the blocks after it still read."""
    path, seqs = store
    U.require_fuse()
    bad, first = _flip_block(path, tmp_path, 13)
    assert first == 13 * BB, first
    s2 = seqs["s2"]
    want = {"seq": s2, "u8": U.u8(s2)}.get(name) or _record("s2", s2.decode())

    def at(base):  # the file offset of a base
        return base if name != "fa" else 4 + base // 60 * 61 + base % 60

    with U.mounted(bad, tmp_path) as m:
        f = m.p(ASM, "s2", f"1-{L2}.{name}") if name != "fa" else m.p(ASM, "s2.fa")
        _stream_over_damage(f, want, first, at)
        assert _stats(m)["read_errors"] > 0
    assert re.search(rf"checksum mismatch in {ASM}/s2:{first + 1}-{first + BB}\b",
                     m.log_text()), m.log_text()[-2000:]


def test_damaged_block_met_by_prefetch(store, tmp_path):
    """The prefetch thread meets the damaged block before any reader (an
    explicit prefetch over it): it caches nothing of it and logs it, the
    blocks around it are prefetched; a stream over it then gets the right
    bytes up to it and EIO, never a byte of it, and the prefetched blocks
    after it still read."""
    path, seqs = store
    U.require_fuse()
    bad, first = _flip_block(path, tmp_path, 13)
    s2 = seqs["s2"]
    with U.mounted(bad, tmp_path) as m:
        bed = tmp_path / "ahead.bed"
        bed.write_text(f"s2\t{10 * BB}\t{17 * BB}\n")
        r = U.gdb("ctl", m.path, "prefetch", str(bed), "--assembly", ASM)
        assert r.rc == 0, r
        deadline = time.monotonic() + 20
        while (_stats(m)["prefetch"]["issued"] < 6 or _stats(m)["cache"]["block_errors"] < 1) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        st = _stats(m)
        # blocks 10-16 but the damaged 13: loaded; 13: one failed decode
        assert st["prefetch"]["issued"] == 6 and st["cache"]["block_errors"] == 1, st
        assert re.search(rf"checksum mismatch in {ASM}/s2:{first + 1}-{first + BB}\b",
                         m.log_text()), m.log_text()[-2000:]
        _stream_over_damage(m.p(ASM, "s2", f"1-{L2}.seq"), s2, first)


# docs/PATHS.md ".u8 codes": amino acids in alphabetical order, then the rest
PROTEIN_U8 = "ACDEFGHIKLMNPQRSTVWYBZXUOJ*"


def test_protein_u8_stream(genomedb, tmp_path):
    """A protein contig of many blocks streamed as `.u8`: borrowed codes
    (the protein table, not DNA's), the documented code of every residue
    in either case."""
    rng = random.Random(1616)
    res = list(rng.choices(PROTEIN_U8[:20], k=300000))
    for i in rng.sample(range(len(res)), 3000):
        res[i] = rng.choice(PROTEIN_U8[20:])
    for _ in range(60):
        i = rng.randrange(len(res) - 5000)
        res[i:i + 4000] = [c.lower() for c in res[i:i + 4000]]
    seq = "".join(res)
    fa = tmp_path / "p.faa"
    fa.write_bytes(_record("p1", seq))
    store = tmp_path / "p.gdb"
    assert U.gdb("init", store).rc == 0
    r = U.gdb("import", "fasta", store, "--assembly", "prot", fa, "--quiet")
    assert r.rc == 0, r
    info = json.loads(U.gdb("info", store, "--json").out)
    assert info["assemblies"][0]["alphabet"] == "protein", info
    code = {c: i for i, c in enumerate(PROTEIN_U8)}
    code.update({c.lower(): i for c, i in code.items()})
    want = bytes(code[c] for c in seq)
    U.require_fuse()
    with U.mounted(str(store), tmp_path) as m:
        b0 = _stats(m)["bytes_borrowed"]
        assert _stream(m.p("prot", "p1", f"1-{len(seq)}.u8")) == (want, None)
        assert _stats(m)["bytes_borrowed"] - b0 >= len(seq), "a .u8 was copied"
        assert _stream(m.p("prot", "p1", f"1-{len(seq)}.seq")) == (seq.encode(), None)
