"""Plugins (api/genomedb_plugin.h, docs/PLUGINS.md) through the mount: the
example examples/plugin/cpg.c loaded with `genomedb mount --plugin`, its
/compute/cpg files checked against CpG observed/expected computed here in
plain Python over the FASTA as Biopython reads it; broken plugins
(tests/plugin/bad_plugin.c) refused at mount with a message naming the
file, and one whose answer changes refused at a read (EIO)."""
import ctypes
import errno
import io
import json
import os

import pytest
from Bio import SeqIO

import gdbutil as U

CPG = os.path.join(U.BUILD, "examples", "plugin", "libgdb_cpg.so")
BAD = os.path.join(U.BUILD, "tests", "plugin", "bad{}.so")


def oracle(name, seq, beg, end, w=None, step=None):
    """The lines of cpg/<asm>/<contig>/<beg>-<end>@w=..,step=...tsv for
    seq (str, the whole contig), 1-based inclusive."""
    region = seq[beg - 1:end].upper()
    n = len(region)
    w = w or n
    step = step or w
    out = ["chrom\tstart\tend\tC\tG\tCpG\tobs_exp"]
    at = 0
    while at < n:
        win = region[at:at + w]
        c, g, cg = win.count("C"), win.count("G"), win.count("CG")
        ratio = "NA" if c == 0 or g == 0 else "%.6f" % (cg * len(win) / (c * g))
        out.append(f"{name}\t{beg + at}\t{beg + at + len(win) - 1}\t{c}\t{g}\t{cg}\t{ratio}")
        if at + w >= n:
            break
        at += step
    return out


@pytest.fixture(scope="module")
def cpg_mount(store, workdir):
    U.require_fuse()
    with U.mounted(store.path, workdir, args=["--plugin", CPG], name="mnt_plugin") as m:
        yield m


@pytest.fixture(scope="module")
def biopython_seqs(genomes):
    """asm -> {name: str} read by Bio.SeqIO from the imported files."""
    out = {}
    for asm in ("ecoli", "hg19chr20"):
        text = U.read_maybe_gz(genomes[asm].src).decode()
        out[asm] = {r.id: str(r.seq) for r in SeqIO.parse(io.StringIO(text), "fasta")}
    return out


@pytest.mark.parametrize("asm,beg,end,w,step", [
    ("ecoli", 1, 60000, 1000, None), ("ecoli", 12345, 40000, 777, 300),
    ("ecoli", 4600001, 4700000, None, None), ("hg19chr20", 1, 200000, 5000, 2500),
])
def test_cpg_windows_equal_python(cpg_mount, store, biopython_seqs, asm, beg, end, w, step):
    store.require(asm)
    name, seq = next(iter(biopython_seqs[asm].items()))
    params = ",".join(f"{k}={v}" for k, v in (("w", w), ("step", step)) if v)
    fname = f"{beg}-{end}" + (f"@{params}" if params else "") + ".tsv"
    path = cpg_mount.p("compute", "cpg", asm, U.esc(name), fname)
    got = U.read_file(path).decode().splitlines()
    want = oracle(name, seq, beg, min(end, len(seq)), w, step)
    assert got == want, U.first_diff(got, want)
    assert os.stat(path).st_size == len("\n".join(want)) + 1


def test_plugin_is_listed_beside_the_builtins(cpg_mount, store):
    top = os.listdir(cpg_mount.p("compute"))
    assert "cpg" in top and "gc" in top and "queries" in top
    assert "ecoli" in os.listdir(cpg_mount.p("compute", "cpg"))


def test_plugin_errors_are_errnos_with_a_logged_reason(cpg_mount, store):
    store.require("ecoli")
    d = cpg_mount.p("compute", "cpg", "ecoli", "NC_000913.3")
    start = cpg_mount.log_size()
    U.expect_errno(lambda: os.stat(os.path.join(d, "1-1000@win=5.tsv")), [errno.EINVAL])
    U.expect_errno(lambda: os.stat(os.path.join(d, "1-1000@w=0.tsv")), [errno.EINVAL])
    U.expect_errno(lambda: os.stat(os.path.join(d, "1-1000@w.tsv")), [errno.EINVAL])
    U.expect_errno(lambda: os.stat(os.path.join(d, "1-1000.bed")), [errno.ENOENT])
    U.expect_errno(lambda: os.stat(os.path.join(d, "0-1000.tsv")), [errno.ENOENT])
    log = cpg_mount.log_text(start)
    assert "unknown parameter 'win' (w, step)" in log
    assert "parameter 'w': not an integer" in log
    assert "parameter 'w': expected key=value" in log
    # the built-in analyses are untouched by the plugin
    gc = U.read_file(cpg_mount.p("compute", "gc", "ecoli", "NC_000913.3", "1-2000.tsv")).decode()
    assert gc.startswith("chrom\tstart\tend\tgc\n")


def test_cpg_refuses_a_protein_assembly(tmp_path):
    """cpg counts C and G bases: on a protein assembly (real E. coli
    proteins) its render refuses with EINVAL and says why."""
    U.require_fuse()
    s = str(tmp_path / "p.gdb")
    assert U.gdb("init", s).rc == 0
    r = U.gdb("import", "fasta", s, "--assembly", "prot",
              os.path.join(U.HERE, "data", "ecoli_proteins_150.faa"))
    assert r.rc == 0, r
    with U.mounted(s, tmp_path, args=["--plugin", CPG]) as m:
        d = m.p("compute", "cpg", "prot", "NP_414542.1")
        U.expect_errno(lambda: os.stat(os.path.join(d, "1-21.tsv")), [errno.EINVAL])
        assert "assembly 'prot' is protein; cpg needs DNA" in m.log_text()


def test_cpg_init_refuses_another_host_abi():
    """The example's entry point serves only the ABI it was built for: a
    host of another ABI gets NULL and the reason, its own the descriptor."""
    lib = ctypes.CDLL(CPG)
    init = lib.genomedb_plugin_init
    init.restype = ctypes.c_void_p
    init.argtypes = [ctypes.c_uint32, ctypes.c_char_p, ctypes.c_size_t]
    err = ctypes.create_string_buffer(256)
    assert init(2, err, len(err)) is None
    assert err.value == b"built for ABI 1, the daemon serves 2"
    desc = init(1, err, len(err))
    assert desc is not None
    assert ctypes.c_uint32.from_address(desc).value == 1  # .abi


def _refused(store, tmp_path, plugins):
    mnt = tmp_path / "mnt"
    mnt.mkdir(exist_ok=True)
    args = [U.BINARY, "mount", store.path, str(mnt), "-f"]
    for p in plugins:
        args += ["--plugin", p]
    r = U.run(args, timeout=60)
    assert not os.path.ismount(mnt)
    assert r.rc != 0, r
    return r.err


@pytest.mark.parametrize("bad,why", [
    (1, "no symbol genomedb_plugin_init"), (2, "built for ABI 2, this genomedb serves ABI 1"),
    (3, "name 'gc' is taken by the built-in /compute/gc"),
    (4, "refused to load: needs a licence file (host ABI 1)"),
])
def test_bad_plugin_is_refused_at_mount_naming_the_file(store, tmp_path, bad, why):
    U.require_fuse()
    err = _refused(store, tmp_path, [BAD.format(bad)])
    assert f"plugin {BAD.format(bad)}: {why}" in err, err


def test_missing_and_twice_loaded_plugins_are_refused(store, tmp_path):
    U.require_fuse()
    err = _refused(store, tmp_path, [str(tmp_path / "none.so")])
    assert "none.so" in err and "No such file" in err, err
    err = _refused(store, tmp_path, [CPG, CPG])
    assert f"plugin {CPG}: name 'cpg' is taken by another plugin" in err, err


def test_an_answer_computed_again_to_other_bytes_is_eio(store, tmp_path):
    """A dropped answer is computed again at its next read and must be the
    answer served (its size and CRC-32C), else EIO with the path logged,
    never the new bytes: bad5 ("fickle") renders other bytes of the same
    length at each call, 1.5 MiB, so the daemon drops it once read whole."""
    U.require_fuse()
    store.require("ecoli")
    with U.mounted(store.path, tmp_path, args=["--plugin", BAD.format(5)]) as m:
        path = m.p("compute", "fickle", "ecoli", "NC_000913.3", "1-1000.txt")
        with open(path, "rb") as f:
            first = f.read()
            assert len(first) == os.fstat(f.fileno()).st_size == 24 << 16
            assert len(set(first.replace(b"\n", b""))) == 1
            st = json.load(open(m.p(".gdb", "stats.json")))
            assert st["cache"]["answer_evictions"] >= 1, st["cache"]
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
            start = m.log_size()
            U.expect_errno(lambda: os.pread(f.fileno(), 1 << 16, 0), [errno.EIO])
        log = m.log_text(start)
        assert "fickle/ecoli/NC_000913.3/1-1000.txt: computed again, not the answer it was" in log, log
        st = json.load(open(m.p(".gdb", "stats.json")))
        assert st["recomputed_answers"] == 0, st
