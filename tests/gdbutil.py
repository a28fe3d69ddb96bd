"""Shared helpers for the GenomeDB pytest suite (imported by conftest and tests).

Oracles are independent of the C code: sequences come from pysam/samtools
(htslib) on plain copies of the inputs; headers, line widths and the
normalised form of each input come from the small parser below.
"""
import base64
import contextlib
import errno
import gzip
import hashlib
import os
import random
import re
import signal
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DATA = os.path.join(HERE, "data")
BUILD = os.path.abspath(os.environ.get("GENOMEDB_BUILD", os.path.join(REPO, "build")))
# A sanitizer build (make asan: build/asan): ASan's quarantine and shadow
# memory make a process's RSS say nothing about its own bounds.
SANITIZED = os.path.basename(BUILD) == "asan"
BINARY = os.path.join(BUILD, "genomedb")
IN_CI = os.environ.get("CI") == "true"
SAN_MARKERS = ("AddressSanitizer", "runtime error:", "LeakSanitizer")


def _unpreload_sanitizers():
    """ctypes tests can load an ASan-built libgenomedb.so only when pytest
    itself runs with the ASan runtime preloaded (LD_PRELOAD=libasan.so,
    usually with ASAN_OPTIONS=detect_leaks=0 for Python). That must not leak
    into the children (genomedb, samtools, coreutils): drop the preload and
    give them GENOMEDB_CHILD_ASAN_OPTIONS (default: ASan's defaults, so leak
    checking of genomedb stays on)."""
    pre = os.environ.get("LD_PRELOAD", "")
    if "libasan" not in pre and "libubsan" not in pre:
        return
    keep = [x for x in pre.replace(":", " ").split() if "libasan" not in x and "libubsan" not in x]
    if keep:
        os.environ["LD_PRELOAD"] = " ".join(keep)
    else:
        del os.environ["LD_PRELOAD"]
    child = os.environ.get("GENOMEDB_CHILD_ASAN_OPTIONS")
    if child is None:
        os.environ.pop("ASAN_OPTIONS", None)
    else:
        os.environ["ASAN_OPTIONS"] = child


_unpreload_sanitizers()
BLOCK = 65536
RESERVED = ("graph", "variants", "reads", "annotations", "compute", ".gdb")

# asm name -> file in tests/data ("@edge"/"@names" are generated)
GENOME_FILES = {
    "mito": "human_hg38_chrM.fa",
    "lambda": "phage_lambda_NC_001416.fa.gz",
    "yeast": "yeast_S288C_chrI.fa.gz",
    "athal": "arabidopsis_thaliana_1pct.fa.gz",
    "hg19chr20": "human_hg19_chr20_unittest.fasta.gz",
    "ecoli": "ecoli_K12_MG1655_NC_000913.3.fna.gz",
    "gen": "@edge",
    "names": "@names",
}
GENOMES = list(GENOME_FILES)

# ---------------------------------------------------------------- sequences

_U8 = bytearray([255] * 256)
for _i, _c in enumerate("ACGTNRYSWKMBDHV"):
    _U8[ord(_c)] = _i
    _U8[ord(_c.lower())] = _i
_U8[ord("U")] = _U8[ord("u")] = 3
U8_TABLE = bytes(_U8)

_COMP_PAIRS = {"A": "T", "C": "G", "G": "C", "T": "A", "U": "A", "N": "N",
               "R": "Y", "Y": "R", "S": "S", "W": "W", "K": "M", "M": "K",
               "B": "V", "V": "B", "D": "H", "H": "D"}
_comp = bytearray(range(256))
for _k, _v in _COMP_PAIRS.items():
    _comp[ord(_k)] = ord(_v)
    _comp[ord(_k.lower())] = ord(_v.lower())
COMP_TABLE = bytes(_comp)


def wrap(seq, width=60):
    """FASTA body: seq (bytes) in lines of width, each ending in '\\n'."""
    if isinstance(seq, str):
        seq = seq.encode()
    return b"".join(seq[i:i + width] + b"\n" for i in range(0, len(seq), width))


def u8(seq):
    if isinstance(seq, str):
        seq = seq.encode()
    return seq.translate(U8_TABLE)


def revcomp(seq):
    if isinstance(seq, str):
        seq = seq.encode()
    return seq.translate(COMP_TABLE)[::-1]


def md5_hex(seq):
    return hashlib.md5(seq.upper()).hexdigest()


def refget(seq):
    d = hashlib.sha512(seq.upper()).digest()[:24]
    return "SQ." + base64.urlsafe_b64encode(d).decode()


def esc(name):
    """Contig name -> path component (contract: '%'->%25, '/'->%2F, '.'/'..' dots -> %2E)."""
    if name in (".", ".."):
        return "%2E" * len(name)
    return name.replace("%", "%25").replace("/", "%2F")


def region_fa(name, start, end, seq):
    return b">%s:%d-%d\n" % (name.encode(), start, end) + wrap(seq, 60)


def region_rc_fa(name, start, end, seq):
    return b">%s:%d-%d/rc\n" % (name.encode(), start, end) + wrap(revcomp(seq), 60)


# ---------------------------------------------------------------- FASTA model

class Record:
    __slots__ = ("header", "name", "desc", "seq", "width")

    def __init__(self, header, seq, width):
        self.header = header
        m = re.match(rb"(\S*)(?:\s+(.*))?$", header, re.S)
        self.name = m.group(1).decode()
        self.desc = (m.group(2) or b"").decode()
        self.seq = seq
        self.width = width

    @property
    def length(self):
        return len(self.seq)


def parse_fasta(raw):
    """Parse FASTA bytes leniently.  Returns (records, well_formed).

    well_formed: LF line ends, no blank lines, final newline, every record's
    lines of one width (last may be shorter), no bytes before the first '>'.
    """
    trailing_nl = raw.endswith(b"\n")
    lines = raw.split(b"\n")
    if trailing_nl:
        lines.pop()
    crlf = any(ln.endswith(b"\r") for ln in lines)
    lines = [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]
    blank = any(ln == b"" for ln in lines)
    recs, cur = [], None
    for ln in lines:
        if not ln:
            continue
        if ln.startswith(b">"):
            cur = [ln[1:], []]
            recs.append(cur)
        else:
            if cur is None:
                raise ValueError("sequence before the first header")
            cur[1].append(ln)
    out, uniform = [], True
    for hdr, seqlines in recs:
        width = len(seqlines[0]) if seqlines else 0
        if any(len(x) != width for x in seqlines[:-1]):
            uniform = False
        if seqlines and len(seqlines[-1]) > width:
            uniform = False
        out.append(Record(hdr, b"".join(seqlines), width))
    well_formed = trailing_nl and not crlf and not blank and uniform
    return out, well_formed


def format_fasta(records, width=None, header=True):
    """Records as FASTA; width None = each record's own width."""
    parts = []
    for r in records:
        parts.append(b">" + r.header + b"\n")
        parts.append(wrap(r.seq, width or r.width or 60))
    return b"".join(parts)


def first_diff(a, b):
    """Message locating the first difference of two byte strings."""
    n = min(len(a), len(b))
    i = 0
    step = 1 << 16
    while i < n and a[i:i + step] == b[i:i + step]:
        i += step
    while i < n and a[i] == b[i]:
        i += 1
    i = min(i, n)
    line = a[:i].count(b"\n") + 1
    return (f"outputs differ at byte {i} (line {line}); lengths {len(a)} vs {len(b)}; "
            f"got {a[max(0, i - 40):i + 40]!r}, expected {b[max(0, i - 40):i + 40]!r}")


def read_maybe_gz(path):
    with open(path, "rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":
        with gzip.open(path, "rb") as f:
            return f.read()
    with open(path, "rb") as f:
        return f.read()


class Genome:
    """One test genome: the file to import, plain normalised copy, records."""

    def __init__(self, asm, src, workdir):
        import pysam
        self.asm = asm
        self.src = src
        raw = read_maybe_gz(src)
        self.records, self.well_formed = parse_fasta(raw)
        self.normalized = format_fasta(self.records)
        if self.well_formed:
            assert self.normalized == raw, f"{src}: normaliser broke a well-formed file"
        self.raw_size = len(raw)
        del raw
        self.plain = os.path.join(workdir, asm + ".fa")
        with open(self.plain, "wb") as f:
            f.write(self.normalized)
        # pysam (htslib faidx) is the sequence oracle
        self.fasta = pysam.FastaFile(self.plain)
        self.by_name = {r.name: r for r in self.records}

    def fetch(self, name, start, end):
        """samtools semantics: 1-based inclusive, end clamped. Returns bytes."""
        return self.fasta.fetch(reference=name, start=start - 1, end=end).encode()

    def as_fa60(self):
        return format_fasta(self.records, width=60)

    @property
    def total_length(self):
        return sum(r.length for r in self.records)


# ---------------------------------------------------------------- regions

def edge_regions(rec):
    """Edge-case (start, end) pairs for one record (1-based inclusive)."""
    L = rec.length
    out = {(1, 1), (L, L), (L, L + 1000), (max(1, L - 59), L + 5),
           (1, 60), (1, 61), (60, 61), (61, 121)}
    if L <= 5_000_000:   # whole-contig regions; the tools tests cover bigger ones
        out |= {(1, L), (1, L + 1)}
    edges = list(range(BLOCK, L + 1, BLOCK))
    if len(edges) > 6:   # first, last and one middle block edge are enough
        edges = edges[:3] + [edges[len(edges) // 2]] + edges[-2:]
    for edge in edges:
        for s, e in ((edge, edge), (edge + 1, edge + 1), (edge - 5, edge + 5),
                     (edge, edge + 1), (edge - BLOCK + 1, edge), (edge + 1, edge + BLOCK),
                     (edge - 100, edge + BLOCK + 100)):
            if 1 <= s <= L and e >= s:
                out.add((s, e))
    up = rec.seq.upper()
    for rx in (rb"N+", rb"[a-z]+", rb"[RYSWKMBDHVU]"):
        for i, m in enumerate(re.finditer(rx, rec.seq if rx == rb"[a-z]+" else up)):
            if i >= 6:
                break
            s, e = m.start() + 1, m.end()
            cands = [(s, e), (max(1, s - 3), s), (e, e + 3), (max(1, s - 10), e + 10),
                     (s + (e - s) // 2, s + (e - s) // 2 + 1)]
            for a, b in cands:
                out.add((a, b))
    return sorted((s, e) for s, e in out if 1 <= s <= L and e >= s)


def random_regions(genome, n, seed):
    """n random (name, start, end); contigs weighted by length with a floor,
    lengths from 1 base to 200 kb, ~5% running past the contig end."""
    rng = random.Random(f"{genome.asm}:{seed}")
    recs = genome.records
    weights = [max(r.length, genome.total_length // (20 * len(recs)) + 1) for r in recs]
    out = []
    for _ in range(n):
        r = rng.choices(recs, weights)[0]
        L = r.length
        s = rng.randint(1, L)
        k = rng.random()
        if k < 0.4:
            ln = rng.randint(1, 120)
        elif k < 0.8:
            ln = rng.randint(1, 5000)
        elif k < 0.95:
            ln = rng.randint(1, 200000)
        else:                                      # end past the contig end (clamped)
            s = max(1, L - rng.randint(0, 200000))
            ln = L - s + 1 + rng.randint(1, 1000)
        out.append((r.name, s, s + ln - 1))
    return out


# ---------------------------------------------------------------- processes

class Result:
    def __init__(self, args, rc, out, err):
        self.args, self.rc, self.out, self.err = args, rc, out, err

    def __repr__(self):
        return f"<{' '.join(map(str, self.args))}: rc={self.rc} err={self.err[-2000:]!r}>"


def check_sanitizer(text, what):
    for m in SAN_MARKERS:
        if m in text:
            raise AssertionError(f"sanitizer report ({m}) from {what}:\n{text[-6000:]}")


def run(args, timeout=600, stdin=None, env=None):
    """Run a command; returns Result(rc, out bytes, err str). Fails the test on
    sanitizer output."""
    args = [str(a) for a in args]
    p = subprocess.run(args, stdin=subprocess.DEVNULL if stdin is None else None,
                       input=stdin, capture_output=True, timeout=timeout, env=env)
    err = p.stderr.decode("utf-8", "replace")
    check_sanitizer(err, " ".join(args))
    return Result(args, p.returncode, p.stdout, err)


def gdb(*args, timeout=600):
    return run([BINARY, *args], timeout=timeout)


def snapshot(d):
    """{relative path: sha256} of every file under d (dirs as 'dir')."""
    res = {}
    for root, dirs, files in os.walk(d):
        for x in dirs:
            res[os.path.relpath(os.path.join(root, x), d) + "/"] = "dir"
        for x in files:
            p = os.path.join(root, x)
            h = hashlib.sha256()
            with open(p, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            res[os.path.relpath(p, d)] = h.hexdigest()
    return res


def snapshot_diff(a, b):
    """Human-readable difference of two snapshot() results."""
    lines = []
    for k in sorted(set(a) | set(b)):
        if k not in a:
            lines.append(f"  + {k} (new)")
        elif k not in b:
            lines.append(f"  - {k} (removed)")
        elif a[k] != b[k]:
            lines.append(f"  * {k} (changed)")
    return "\n".join(lines)


def shutil_which(x):
    import shutil
    return shutil.which(x)


def require_fuse():
    import pytest
    if os.path.exists("/dev/fuse") and shutil_which("fusermount3"):
        return
    msg = "/dev/fuse or fusermount3 missing: FUSE mount tests cannot run"
    if IN_CI:
        pytest.fail(msg + " (CI=true)")
    pytest.skip(msg)


def two_cpus(what):
    """(this process's first CPU, its second), for tests that keep what
    apart on two CPUs; skips (saying why) when it may use only one."""
    import pytest
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        pytest.skip(f"needs 2 CPUs to keep {what} apart; this process may use {cpus}")
    return cpus[0], cpus[1]


class MountError(Exception):
    pass


class Mount:
    """A foreground `genomedb mount` daemon with its stderr in a log file."""

    def __init__(self, store, mnt, log, args=(), wrap=()):
        # store_dir: the conftest fixture hangs its Store object on .store
        self.store_dir, self.path, self.log_path, self.args = str(store), str(mnt), str(log), list(args)
        self.wrap = list(wrap)  # a program that runs genomedb (tests/helpers/sysfail.c)
        self.store = self.store_dir
        self.proc = None
        self.logf = None

    def start(self, timeout=60.0):
        os.makedirs(self.path, exist_ok=True)
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([*self.wrap, BINARY, "mount", self.store_dir, self.path, "-f", *self.args],
                                     stdin=subprocess.DEVNULL, stdout=self.logf, stderr=self.logf)
        deadline = time.monotonic() + timeout
        while not os.path.ismount(self.path):
            if self.proc.poll() is not None:
                self.logf.close()
                raise MountError(f"genomedb mount exited with {self.proc.returncode} before mounting:\n"
                                 + self.log_text()[-4000:])
            if time.monotonic() > deadline:
                self.stop()
                raise MountError(f"{self.path} not mounted after {timeout}s:\n" + self.log_text()[-4000:])
            time.sleep(0.02)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None and os.path.ismount(self.path)

    def stop(self, timeout=15.0):
        """Always unmount (lazily) and reap the daemon; returns its exit code."""
        subprocess.run(["fusermount3", "-u", "-z", self.path], capture_output=True)
        rc = None
        if self.proc is not None:
            try:
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
        if self.logf and not self.logf.closed:
            self.logf.close()
        return rc

    def kill(self):
        """Hard stop (watchdog): unblocks readers stuck on a hung daemon."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["fusermount3", "-u", "-z", self.path], capture_output=True)

    def log_text(self, start=0):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(start)
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except FileNotFoundError:
            return 0

    def p(self, *parts):
        return os.path.join(self.path, *parts)


@contextlib.contextmanager
def mounted(store, workdir, args=(), name="mnt"):
    """Mount store under workdir for the with-block; unmount and check the
    daemon log for sanitizer reports afterwards."""
    m = Mount(store, os.path.join(str(workdir), name), os.path.join(str(workdir), name + ".log"), args)
    m.start()
    try:
        yield m
    finally:
        alive = m.alive()
        m.stop()
    log = m.log_text()
    check_sanitizer(log, "genomedb mount")
    assert alive, f"mount daemon died during the test:\n{log[-4000:]}"


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def expect_errno(fn, codes):
    """Call fn(); it must raise OSError with errno in codes. Returns the errno."""
    try:
        fn()
    except OSError as e:
        assert e.errno in codes, f"expected errno {codes}, got {e.errno} ({e})"
        return e.errno
    raise AssertionError(f"expected OSError {[errno.errorcode.get(c, c) for c in codes]}, got success")


class Watchdog:
    """Kills a hung daemon after `seconds` so a stuck read fails instead of
    hanging the whole suite."""

    def __init__(self, mount, seconds):
        self.fired = False
        self.t = threading.Timer(seconds, self._fire, args=(mount,))
        self.t.daemon = True

    def _fire(self, mount):
        self.fired = True
        mount.kill()

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *a):
        self.t.cancel()
