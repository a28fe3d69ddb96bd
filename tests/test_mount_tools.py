"""Unmodified tools on the mount: samtools, pyfaidx, Biopython, numpy, coreutils;
the whole-assembly/contig files with their virtual .fai/.dict; xattrs; stats."""
import json
import os
import re
import subprocess

import numpy as np
import pytest

import gdbutil as U

PLAIN_NAME = re.compile(r"[A-Za-z0-9_.|]+")


def _fai_of(data, tmp_path, name="x.fa"):
    """samtools' own .fai for the given FASTA bytes."""
    p = tmp_path / name
    p.write_bytes(data)
    r = U.run(["samtools", "faidx", str(p)])
    assert r.rc == 0, r
    return (tmp_path / (name + ".fai")).read_bytes()


def _assert_fai_valid(fai, data, tmp_path, what):
    """The virtual .fai indexes `data` exactly as samtools would; for a record
    that fits on one line, line_bases/line_width of 60/61 are equally valid
    (samtools writes the record's own length there)."""
    assert fai.endswith(b"\n"), what
    got = [ln.split(b"\t") for ln in fai.splitlines()]
    want = [ln.split(b"\t") for ln in _fai_of(data, tmp_path).splitlines()]
    assert len(got) == len(want), what
    for g, w in zip(got, want):
        assert len(g) == 5, (what, g)
        assert g[:3] == w[:3], (what, g, w)            # name, length, offset
        if g[3:] != w[3:]:
            length, lb, lw = int(g[1]), int(g[3]), int(g[4])
            assert length <= lb and lw == lb + 1 and int(w[3]) == length, (what, g, w)


@pytest.mark.parametrize("asm", U.GENOMES)
def test_assembly_fa_and_fai(mounted, genomes, asm, tmp_path):
    mounted.store.require(asm)
    g = genomes[asm]
    p = mounted.p(asm, asm + ".fa")
    got = U.read_file(p)
    want = g.as_fa60()
    assert got == want, U.first_diff(got, want)
    assert os.stat(p).st_size == len(got)
    fai = U.read_file(p + ".fai")
    assert os.stat(p + ".fai").st_size == len(fai)
    _assert_fai_valid(fai, got, tmp_path, p + ".fai")


@pytest.mark.parametrize("asm", U.GENOMES)
def test_contig_fa_and_fai(mounted, genomes, asm, tmp_path):
    mounted.store.require(asm)
    g = genomes[asm]
    for rec in g.records[:25]:
        p = mounted.p(asm, U.esc(rec.name) + ".fa")
        got = U.read_file(p)
        want = b">" + rec.header + b"\n" + U.wrap(rec.seq, 60)
        assert got == want, f"{p}: {U.first_diff(got, want)}"
        assert os.stat(p).st_size == len(got), p
        fai = U.read_file(p + ".fai")
        assert os.stat(p + ".fai").st_size == len(fai)
        _assert_fai_valid(fai, got, tmp_path, p + ".fai")


@pytest.mark.parametrize("asm", U.GENOMES)
def test_dict_matches_samtools_dict(mounted, genomes, asm):
    mounted.store.require(asm)
    g = genomes[asm]
    p = mounted.p(asm, asm + ".dict")
    got = U.read_file(p).decode()
    assert os.stat(p).st_size == len(got.encode())
    lines = got.splitlines()
    assert lines and lines[0].startswith("@HD\t"), lines[:1]
    assert got.endswith("\n")

    def sq(text):
        out = []
        for ln in text.splitlines():
            if ln.startswith("@SQ\t"):
                f = dict(x.split(":", 1) for x in ln.split("\t")[1:])
                out.append((f["SN"], f["LN"], f["M5"]))
        return out

    ref = U.run(["samtools", "dict", g.plain])
    assert ref.rc == 0, ref
    assert sq(got) == sq(ref.out.decode())
    assert all(ln.startswith("@SQ\t") for ln in lines[1:]), "only @HD then @SQ lines"


@pytest.mark.parametrize("asm", U.GENOMES)
def test_samtools_faidx_uses_virtual_fai(mounted, genomes, asm):
    mounted.store.require(asm)
    g = genomes[asm]
    names = {r.name for r in g.records if PLAIN_NAME.fullmatch(r.name)}
    regs = [f"{n}:{s}-{e}" for n, s, e in U.random_regions(g, 60, seed=7) if n in names][:15]
    regs += sorted(names)[:2]                        # whole contigs, "chr" form
    regs += [f"{n}:{max(1, g.by_name[n].length - 100)}" for n in sorted(names)[:2]]  # "chr:from"
    if not names:
        pytest.skip("no contig name that a samtools region string can carry")
    want = U.run(["samtools", "faidx", g.plain, *regs])
    assert want.rc == 0, want
    got = U.run(["samtools", "faidx", mounted.p(asm, asm + ".fa"), *regs])
    assert got.rc == 0, got
    assert got.out == want.out, U.first_diff(got.out, want.out)
    # and on a single-contig file with its own .fai
    n = sorted(names)[0]
    one = [r for r in regs if r.split(":")[0] == n] or [n]
    got = U.run(["samtools", "faidx", mounted.p(asm, U.esc(n) + ".fa"), *one])
    want = U.run(["samtools", "faidx", g.plain, *one])
    assert got.rc == 0 and got.out == want.out, got


@pytest.mark.parametrize("asm", ["mito", "athal", "gen", "names", "ecoli"])
def test_pyfaidx_on_mount(mounted, genomes, asm):
    import pyfaidx
    mounted.store.require(asm)
    g = genomes[asm]
    fa = pyfaidx.Fasta(mounted.p(asm, asm + ".fa"))   # default: rebuilds a stale .fai
    try:
        assert list(fa.keys()) == [r.name for r in g.records]
        for n, s, e in U.random_regions(g, 100, seed=8):
            e = min(e, g.by_name[n].length)
            assert fa[n][s - 1:e].seq.encode() == g.fetch(n, s, e), (n, s, e)
    finally:
        fa.close()


@pytest.mark.parametrize("asm", U.GENOMES)
def test_biopython_seqio(mounted, genomes, asm):
    from Bio import SeqIO
    mounted.store.require(asm)
    g = genomes[asm]
    got = [(r.description, str(r.seq)) for r in SeqIO.parse(mounted.p(asm, asm + ".fa"), "fasta")]
    want = [(r.header.decode(), r.seq.decode()) for r in g.records]
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert a == b, a[0]


def test_numpy_memmap_u8(mounted, genomes):
    cases = []
    for asm in ("gen", "ecoli", "names"):
        mounted.store.require(asm)
        g = genomes[asm]
        for rec in g.records:
            if rec.length > 1000:
                cases.append((asm, rec, 1, rec.length))
                cases.append((asm, rec, rec.length // 3, rec.length // 3 + 70000))
            else:
                cases.append((asm, rec, 1, rec.length))
    for asm, rec, s, e in cases:
        p = mounted.p(asm, U.esc(rec.name), f"{s}-{e}.u8")
        a = np.memmap(p, dtype=np.uint8, mode="r")
        want = np.frombuffer(U.u8(genomes[asm].fetch(rec.name, s, e)), dtype=np.uint8)
        assert a.shape == want.shape, p
        assert np.array_equal(a, want), p
        assert a.max() <= 14
        del a


@pytest.mark.parametrize("asm", U.GENOMES)
def test_coreutils(mounted, genomes, asm):
    mounted.store.require(asm)
    g = genomes[asm]
    rec = max(g.records, key=lambda r: r.length)
    e = min(rec.length, 300000)
    files = [(mounted.p(asm, asm + ".fa"), g.as_fa60()),
             (mounted.p(asm, U.esc(rec.name), f"1-{e}.seq"), rec.seq[:e]),
             (mounted.p(asm, U.esc(rec.name), f"2-{e}.fa"), U.region_fa(rec.name, 2, e, rec.seq[1:e]))]
    for p, want in files:
        assert subprocess.run(["cat", p], capture_output=True, check=True).stdout == want, p
        assert subprocess.run(["head", "-c", "1000", p], capture_output=True,
                              check=True).stdout == want[:1000], p
        assert subprocess.run(["tail", "-c", "1000", p], capture_output=True,
                              check=True).stdout == want[-1000:], p
        wc = subprocess.run(["wc", "-c", p], capture_output=True, check=True).stdout.split()[0]
        assert int(wc) == len(want), p
        assert os.stat(p).st_size == len(want), p


@pytest.mark.parametrize("asm", U.GENOMES)
def test_xattrs(mounted, genomes, asm):
    mounted.store.require(asm)
    g = genomes[asm]
    for rec in g.records[:30]:
        md5, ref = U.md5_hex(rec.seq), U.refget(rec.seq)
        for p in (mounted.p(asm, U.esc(rec.name) + ".fa"), mounted.p(asm, U.esc(rec.name))):
            assert os.getxattr(p, "user.gdb.md5") == md5.encode(), p
            assert os.getxattr(p, "user.gdb.length") == str(rec.length).encode(), p
            assert os.getxattr(p, "user.gdb.refget") == ref.encode(), p


def test_xattr_cli_getfattr(mounted, genomes):
    mounted.store.require("mito")
    rec = genomes["mito"].records[0]
    r = U.run(["getfattr", "--only-values", "-n", "user.gdb.md5", mounted.p("mito", "chrM.fa")])
    assert r.rc == 0, r
    assert r.out == U.md5_hex(rec.seq).encode()


def test_foreign_xattrs_enodata(mounted, genomes):
    """Unknown xattrs are ENODATA (never ENOSYS, which would disable
    user.gdb.* for the whole mount)."""
    mounted.store.require("mito")
    p = mounted.p("mito", "chrM.fa")
    for name in ("security.selinux", "security.capability", "user.nonexistent",
                 "system.posix_acl_access", "user.gdb.nonexistent", "trusted.x"):
        U.expect_errno(lambda: os.getxattr(p, name), (61,))  # ENODATA
    assert os.getxattr(p, "user.gdb.length") == str(genomes["mito"].records[0].length).encode()


def test_stats_json(mounted, genomes):
    info = U.gdb("info", mounted.store.path, "--json")
    assert info.rc == 0, info
    info = json.loads(info.out)
    p = mounted.p(".gdb", "stats.json")
    st = json.loads(U.read_file(p))
    for k in ("generation", "contigs", "reads", "bytes_served"):
        assert k in st, f"stats.json lacks {k}: {sorted(st)}"
    assert st["generation"] == info["generation"]
    assert st["contigs"] == sum(len(a["contigs"]) for a in info["assemblies"])
    assert isinstance(st["reads"], int) and st["reads"] >= 0
    # a never-read region must be counted in bytes_served
    mounted.store.require("ecoli")
    rec = genomes["ecoli"].records[0]
    data = U.read_file(mounted.p("ecoli", U.esc(rec.name), "1234567-1334567.seq"))
    assert len(data) == 100001
    st2 = json.loads(U.read_file(p))
    assert st2["bytes_served"] >= st["bytes_served"] + len(data), (st, st2)
    assert st2["reads"] > st["reads"], (st, st2)


def test_read_only(mounted, genomes):
    """Nothing on the mount can be changed (docs/PATHS.md "Errors"). Opens
    cost no round trip to the daemon, so root may open a file for writing;
    every write, truncate, create, rename or removal then fails with EROFS.
    Other users are refused at open by the 0444 mode (EACCES)."""
    mounted.store.require("mito")
    rw = (13, 30, 1)   # EACCES, EROFS, EPERM
    fa = mounted.p("mito", "chrM.fa")
    before = U.read_file(fa)

    def write_through(path, mode):
        with open(path, mode) as f:
            f.write(b"ACGT")
            f.flush()
    U.expect_errno(lambda: write_through(fa, "r+b"), rw)
    U.expect_errno(lambda: write_through(fa, "ab"), rw)
    U.expect_errno(lambda: open(mounted.p("mito", "new.fa"), "wb"), rw)
    U.expect_errno(lambda: open(mounted.p("mito", "chrM", "1-10.fa"), "wb"), rw)
    U.expect_errno(lambda: os.mkdir(mounted.p("mito", "d")), rw)
    U.expect_errno(lambda: os.unlink(fa), rw)
    U.expect_errno(lambda: os.rename(fa, mounted.p("mito", "x.fa")), rw)
    U.expect_errno(lambda: os.truncate(fa, 0), rw)
    U.expect_errno(lambda: os.setxattr(fa, "user.gdb.md5", b"0"), rw + (95,))  # ENOTSUP
    assert U.read_file(fa) == before == genomes["mito"].as_fa60()
    assert os.stat(fa).st_mode & 0o777 == 0o444
    if os.getuid() == 0 and hasattr(os, "setresuid"):
        # a non-root user is refused at open
        pid = os.fork()
        if pid == 0:
            try:
                os.setresuid(65534, 65534, 65534)
                try:
                    open(fa, "r+b")
                    os._exit(1)
                except PermissionError:
                    os._exit(0)
            except BaseException:
                os._exit(2)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, "non-root opened a file for writing"


def test_assembly_named_like_its_only_contig(genomedb, tmp_path):
    """Assembly "chrM" holding contig "chrM": /chrM/chrM.fa is both the
    assembly file and the contig file (same bytes), so it has the contig xattrs."""
    U.require_fuse()
    store = tmp_path / "s.gdb"
    assert U.gdb("init", store).rc == 0
    src = os.path.join(U.DATA, "human_hg38_chrM.fa")
    assert U.gdb("import", "fasta", store, "--assembly", "chrM", src, "--quiet").rc == 0
    rec = U.parse_fasta(U.read_maybe_gz(src))[0][0]
    with U.mounted(store, tmp_path) as m:
        p = m.p("chrM", "chrM.fa")
        assert U.read_file(p) == b">chrM\n" + U.wrap(rec.seq)
        assert os.getxattr(m.p("chrM", "chrM"), "user.gdb.md5") == U.md5_hex(rec.seq).encode()
        assert os.getxattr(p, "user.gdb.md5") == U.md5_hex(rec.seq).encode()
        assert os.getxattr(p, "user.gdb.length") == str(rec.length).encode()


@pytest.mark.parametrize("asm", ["mito", "athal"])
def test_samtools_faidx_without_region(mounted, genomes, asm):
    """`samtools faidx FILE` always rebuilds FILE.fai (htslib fai_build3
    opens it with "wb"): the mount accepts a rewrite of the same bytes, so
    it succeeds and nothing changes; other bytes are refused."""
    mounted.store.require(asm)
    g = genomes[asm]
    for fa in (mounted.p(asm, asm + ".fa"), mounted.p(asm, U.esc(g.records[0].name) + ".fa")):
        before = U.read_file(fa + ".fai")
        r = U.run(["samtools", "faidx", fa])
        assert r.rc == 0, r
        assert U.read_file(fa + ".fai") == before
        got = U.run(["samtools", "faidx", fa, g.records[0].name + ":1-70"])
        want = U.run(["samtools", "faidx", g.plain, g.records[0].name + ":1-70"])
        assert got.rc == 0 and got.out == want.out
    fai = mounted.p(asm, asm + ".fa.fai")
    before = U.read_file(fai)

    def rewrite(data):
        with open(fai, "wb") as f:
            f.write(data)
    U.expect_errno(lambda: rewrite(before[:-2] + b"9\n"), (30,))     # EROFS
    U.expect_errno(lambda: rewrite(before + b"x"), (30,))
    assert U.read_file(fai) == before
