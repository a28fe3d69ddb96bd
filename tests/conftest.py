"""pytest fixtures for GenomeDB: the binary, test genomes, a shared store with
every genome imported, and a real FUSE mount of it.

The binary is $GENOMEDB_BUILD/genomedb (default: <repo>/build/genomedb).
Mount tests skip only when /dev/fuse is missing and CI is not "true".
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))

import gdbutil as U  # noqa: E402
import genfasta  # noqa: E402

# A test that blocks on the mount longer than this kills the daemon so the
# read fails and the suite goes on (the test then fails with the log).
WATCHDOG_SECONDS = float(os.environ.get("GENOMEDB_TEST_WATCHDOG", "300"))


def pytest_configure(config):
    config.addinivalue_line("markers", "mount: needs a FUSE mount")


def _asan_lib_without_runtime():
    """True when libgenomedb.so is ASan-built but this Python has no ASan
    runtime: loading it with ctypes then kills the process without a word."""
    so = os.path.join(U.BUILD, "libgenomedb.so")
    try:
        with open(so, "rb") as f:
            instrumented = b"libasan.so" in f.read()
        with open("/proc/self/maps") as f:
            loaded = "libasan" in f.read()
    except OSError:
        return False
    return instrumented and not loaded


def pytest_sessionstart(session):
    if _asan_lib_without_runtime():
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        msg = (f"WARNING: {U.BUILD}/libgenomedb.so is built with AddressSanitizer; ctypes tests "
               f"abort pytest silently unless it runs as LD_PRELOAD=$(gcc -print-file-name=libasan.so) "
               f"ASAN_OPTIONS=detect_leaks=0 (children get neither; see gdbutil._unpreload_sanitizers)")
        if tr is not None:
            tr.write_line(msg, red=True, bold=True)
        else:
            sys.__stderr__.write(msg + "\n")


@pytest.fixture(scope="session")
def genomedb():
    """Path of the genomedb binary; fails (not skips) when it is missing."""
    if not os.access(U.BINARY, os.X_OK):
        pytest.fail(f"genomedb binary not found at {U.BINARY}: build it with `make` "
                    f"(or set GENOMEDB_BUILD to the build directory)", pytrace=False)
    return U.BINARY


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("gdb")


@pytest.fixture(scope="session")
def generated(workdir):
    """The generated edge-case FASTA files: {'@edge': path, '@names': path}."""
    d = workdir / "generated"
    d.mkdir()
    edge, names = d / "edge.fa", d / "names.fa"
    genfasta.write_records(str(edge), genfasta.edge_records())
    genfasta.write_records(str(names), genfasta.names_records())
    return {"@edge": str(edge), "@names": str(names)}


@pytest.fixture(scope="session")
def genomes(workdir, generated):
    """asm -> gdbutil.Genome for every test genome."""
    d = workdir / "plain"
    d.mkdir()
    out = {}
    for asm, f in U.GENOME_FILES.items():
        src = generated[f] if f.startswith("@") else os.path.join(U.DATA, f)
        out[asm] = U.Genome(asm, src, str(d))
    return out


class Store:
    def __init__(self, path, failures):
        self.path = str(path)
        self.failures = failures

    def require(self, asm):
        if asm in self.failures:
            pytest.fail(f"import of {asm} into the shared store failed: {self.failures[asm]}",
                        pytrace=False)


@pytest.fixture(scope="session")
def store(genomedb, genomes, workdir):
    """A store with every test genome imported (asm names as in gdbutil.GENOMES).
    An import failure fails only the tests of that assembly."""
    path = workdir / "shared.gdb"
    r = U.gdb("init", path)
    if r.rc != 0:
        pytest.fail(f"genomedb init failed: {r}", pytrace=False)
    failures = {}
    for asm, g in genomes.items():
        r = U.gdb("import", "fasta", path, "--assembly", asm, g.src, "--quiet")
        if r.rc != 0:
            failures[asm] = repr(r)
    return Store(path, failures)


@pytest.fixture(scope="session")
def mounted(store, workdir):
    """A FUSE mount of the shared store (session-wide). Always unmounted."""
    U.require_fuse()
    m = U.Mount(store.path, workdir / "mnt", workdir / "mount.log")
    try:
        m.start()
    except U.MountError as e:
        pytest.fail(str(e), pytrace=False)
    m.store = store
    yield m
    m.stop()
    U.check_sanitizer(m.log_text(), "genomedb mount (shared, at exit)")


@pytest.fixture(autouse=True)
def _daemon_health(request):
    """For tests using `mounted`: restart a daemon a previous test killed,
    run the test under a watchdog, then fail it if the daemon died or logged
    a sanitizer report while it ran."""
    if "mounted" not in request.fixturenames:
        yield
        return
    m = request.getfixturevalue("mounted")
    if not m.alive():
        m.stop()
        m.start()
    start = m.log_size()
    with U.Watchdog(m, WATCHDOG_SECONDS) as wd:
        yield
    problems = []
    new = m.log_text(start)
    for marker in U.SAN_MARKERS:
        if marker in new:
            problems.append(f"daemon log has a sanitizer report ({marker}):\n{new[-6000:]}")
            break
    if wd.fired:
        problems.append(f"test exceeded {WATCHDOG_SECONDS}s; daemon killed by the watchdog")
    elif not m.alive():
        rc = m.proc.poll()
        problems.append(f"mount daemon died during this test (rc={rc}):\n{new[-4000:]}")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def big_fasta(workdir):
    """~80 MB random genome (4 contigs), for crash and disk-full tests."""
    p = workdir / "big.fa"
    genfasta.write_random(str(p), 80, seed=11)
    return str(p)


@pytest.fixture(scope="session")
def vstore(genomedb, workdir):
    """A store with the variant test sets (tests/variants_util.py):
    kg (1000 Genomes chr20, real panel), kgbcf (its BCF rendering, a
    panel spanning five superpopulations), giab, and one set per messy
    case. Returns dict(path=..., dir=..., messy={case: vcf path})."""
    import messy_vcf
    import variants_util as V
    d = workdir / "variants"
    d.mkdir()
    path = d / "v.gdb"
    assert U.gdb("init", path).rc == 0
    for asm, src in (("b37", V.KG_REF), ("hg19", V.HG19), ("yeast", V.YEAST)):
        r = U.gdb("import", "fasta", path, "--assembly", asm, src, "--quiet")
        assert r.rc == 0, r
    bcf = d / "kg.bcf"
    V.sh("bcftools", "view", "-Ob", "-o", bcf, V.KG_VCF)
    V.sh("bcftools", "index", bcf)
    samples = V.sh("bcftools", "query", "-l", V.KG_VCF).decode().split()
    mixed = d / "mixed.panel"
    V.mixed_panel(samples, mixed)
    messy = messy_vcf.write_all(str(d), V.yeast_seq())
    jobs = [("kg", "b37", V.KG_VCF, ["--panel", V.PANEL]),
            ("kgbcf", "b37", bcf, ["--panel", mixed]),
            ("giab", "hg19", V.GIAB_VCF, [])]
    jobs += [("m_" + k, "yeast", p, []) for k, p in messy.items()
             if k not in ("bad_ref", "unsorted", "no_contig", "bad_header")]
    for name, ref, src, extra in jobs:
        r = U.gdb("import", "vcf", path, "--set", name, "--reference", ref, src, "--quiet", *extra)
        assert r.rc == 0, r
    return {"path": str(path), "dir": str(d), "messy": messy, "bcf": str(bcf),
            "mixed": str(mixed), "samples": samples}
