#!/usr/bin/python3
"""GenomeDB benchmarks, side by side with peers on the same data in one run.

    make bench                      (= /usr/bin/python3 bench/run.py)
    bench/run.py [--build DIR] [--quick] [--samples N] [--import-mb N] [--sections abcd]

Sections (each prints its own figures even if another fails):
  a  stored bytes vs the FASTA, beside gzip -9, bgzip, zstd -19 and xz -9
     (--quick: only the genomes up to 16 MB of FASTA)
  b  random 1 kb regions: a never-read path through the mount (open+read+close)
     vs pysam.FastaFile on bgzipped and on plain FASTA, in the same loop
  c  streaming a whole contig's .fa and .seq through the mount with dd bs=1M
     with the store's pages dropped (posix_fadvise), vs the plain FASTA on
     local disk the same way
  d  import throughput of plain FASTA (a ~500 MB FASTA built from the real
     genomes; --quick uses the largest real genome instead)

Markdown goes to stdout (paste into docs/BENCHMARKS.md); progress to stderr.
Genomes: ../shared/data/genomes beside the clone (else /work/shared/data/genomes)
when present, else tests/data.
"""
import argparse
import gzip
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "gen"))
sys.path.insert(0, os.path.join(REPO, "bench", "cache"))
from mountbench import drop_pages, proc_cpu  # noqa: E402  (cold reads without drop_caches)
# ../shared beside the clone, where the project keeps its public data sets
# (/work/shared/data for a worktree under /work/wt, as the other bench
# scripts find it): without it the run would time tests/data's small files
SHARED = os.environ.get("GENOMEDB_SHARED_GENOMES",
                        os.path.join(os.path.dirname(REPO), "shared", "data", "genomes"))
if not os.path.isdir(SHARED) and "GENOMEDB_SHARED_GENOMES" not in os.environ:
    SHARED = "/work/shared/data/genomes"
LOCAL = os.path.join(REPO, "tests", "data")
FASTA_EXT = (".fa", ".fa.gz", ".fna", ".fna.gz", ".fasta", ".fasta.gz")
# section (a) with --quick compresses only genomes up to this size: the
# four compressors of the real set's largest genomes take about 10 CPU
# minutes, nearly an hour at the load make bench QUICK=1 usually meets
QUICK_A_BYTES = 16_000_000


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def out(*a):
    print(*a, flush=True)


def sh(args, **kw):
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, **kw)


def human(n):
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1000.0


class Ctx:
    def __init__(self, args):
        self.build = os.path.abspath(args.build)
        self.binary = os.path.join(self.build, "genomedb")
        self.tmp = tempfile.mkdtemp(prefix="gdb-bench-", dir=args.tmpdir)
        self.args = args
        src = SHARED if os.path.isdir(SHARED) and not args.local_data else LOCAL
        self.src_dir = src
        self.genomes = sorted(os.path.join(src, f) for f in os.listdir(src) if f.endswith(FASTA_EXT))
        self.plain = {}        # name -> plain FASTA path
        self.store = os.path.join(self.tmp, "bench.gdb")
        self.imported = {}     # asm -> (fasta path, seconds)

    def gdb(self, *a, **kw):
        return sh([self.binary, *a], **kw)

    def asm_name(self, path):
        b = os.path.basename(path)
        for e in FASTA_EXT:
            if b.endswith(e):
                b = b[:-len(e)]
        return "".join(c if c.isalnum() or c in "_-" else "_" for c in b)

    def plain_copy(self, path):
        name = self.asm_name(path)
        if name not in self.plain:
            dst = os.path.join(self.tmp, name + ".fa")
            with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as f, \
                    open(dst, "wb") as o:
                shutil.copyfileobj(f, o, 1 << 20)
            self.plain[name] = dst
        return self.plain[name]

    def ensure_store(self):
        if not os.path.isdir(self.store):
            self.gdb("init", self.store)
        for g in self.genomes:
            asm = self.asm_name(g)
            if asm in self.imported:
                continue
            p = self.plain_copy(g)
            t = time.perf_counter()
            self.gdb("import", "fasta", self.store, "--assembly", asm, p, "--quiet")
            self.imported[asm] = (p, time.perf_counter() - t)
        return json.loads(self.gdb("info", self.store, "--json").stdout)


class Mount:
    def __init__(self, ctx, name="mnt", extra=()):
        self.ctx, self.path = ctx, os.path.join(ctx.tmp, name)
        self.extra = list(extra)
        self.proc = None

    def __enter__(self):
        os.makedirs(self.path, exist_ok=True)
        self.log = open(self.path + ".log", "ab")
        self.proc = subprocess.Popen([self.ctx.binary, "mount", self.ctx.store, self.path, "-f", *self.extra],
                                     stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        t = time.monotonic()
        while not os.path.ismount(self.path):
            if self.proc.poll() is not None or time.monotonic() - t > 10:
                self.__exit__()
                raise RuntimeError("mount failed: " + open(self.path + ".log").read()[-2000:])
            time.sleep(0.02)
        return self

    def __exit__(self, *a):
        subprocess.run(["fusermount3", "-u", "-z", self.path], capture_output=True)
        if self.proc:
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def drop_caches():
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def store_files(store):
    return [os.path.join(store, f) for f in sorted(os.listdir(store)) if f.startswith("seg-")]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def esc(name):
    if name in (".", ".."):
        return "%2E" * len(name)
    return name.replace("%", "%25").replace("/", "%2F")


# ------------------------------------------------------------------ sections

def section_a(ctx):
    out("## (a) Compression: stored bytes vs FASTA and general-purpose compressors\n")
    info = ctx.ensure_store()
    stored = {a["name"]: a["stored_bytes"] for a in info["assemblies"]}
    out("| genome | bases | FASTA | genomedb | gzip -9 | bgzip | zstd -19 | xz -9 | "
        "FASTA/genomedb | genomedb/xz |")
    out("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    tot = {k: 0 for k in ("fasta", "gdb", "gzip", "bgzip", "zstd", "xz")}
    left = []   # --quick: genomes over QUICK_A_BYTES of FASTA (their xz -9 alone takes minutes)
    genomes = []
    for g in ctx.genomes:
        asm = ctx.asm_name(g)
        p = ctx.plain[asm]
        if ctx.args.quick and os.path.getsize(p) > QUICK_A_BYTES:
            left.append(asm)
        else:
            genomes.append((asm, p))
    # Only the sizes are reported (no time), so the compressors run as
    # many at a time as there are cores, in the table's order (its rows
    # come out as they end): the same bytes as one after another, in
    # about half the wall time on two cores (xz -9 of a file under 192 MiB
    # is one block, one thread).
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        futs = {(asm, k): pool.submit(compressed_bytes, cmd + [p])
                for asm, p in genomes for k, cmd in COMPRESSORS}
        for asm, p in genomes:
            _table_a_row(asm, p, stored.get(asm), {k: futs[asm, k].result() for k, _ in COMPRESSORS},
                         tot)
    out(f"| **total** | | {human(tot['fasta'])} | {human(tot['gdb'])} | {human(tot['gzip'])} | "
        f"{human(tot['bgzip'])} | {human(tot['zstd'])} | {human(tot['xz'])} | "
        f"{tot['fasta'] / max(1, tot['gdb']):.2f}x | {tot['gdb'] / max(1, tot['xz']):.2f} |")
    if left:
        out(f"\n--quick: left out, each over {QUICK_A_BYTES / 1e6:.0f} MB of FASTA: {', '.join(left)}.")
    out("\nFASTA/genomedb: how many times smaller the store is than the plain FASTA; "
        "genomedb/xz < 1 means smaller than xz -9. GenomeDB keeps random access per 64 Ki-base "
        "block; gzip/zstd/xz do not (bgzip does, per 64 KiB block).\n")


# section (a)'s compressors (the file's path goes last)
COMPRESSORS = (("gzip", ["gzip", "-9", "-c"]), ("bgzip", ["bgzip", "-c", "-@2"]),
               ("zstd", ["zstd", "-19", "-T2", "-q", "-c"]), ("xz", ["xz", "-9", "-T2", "-c"]))


def compressed_bytes(cmd):
    """The bytes a compressor writes to stdout (None if it cannot start)."""
    try:
        with subprocess.Popen(cmd, stdout=subprocess.PIPE) as pr:
            n = 0
            for chunk in iter(lambda: pr.stdout.read(1 << 20), b""):
                n += len(chunk)
        return n
    except OSError as e:
        log(f"{cmd[0]}: {e}")
        return None


def _table_a_row(asm, p, s, sizes, tot):
    """One genome's row of section (a); its sizes added to tot."""
    size = os.path.getsize(p)
    with open(p, "rb") as fh:
        bases = sum(len(l) - 1 for l in fh if not l.startswith(b">"))
    tot["fasta"] += size
    tot["gdb"] += s or 0
    for k in ("gzip", "bgzip", "zstd", "xz"):
        tot[k] += sizes[k] or 0
    f = lambda v: human(v) if v else "n/a"  # noqa: E731
    out(f"| {asm} | {bases:,} | {human(size)} | {f(s)} | {f(sizes['gzip'])} | {f(sizes['bgzip'])} "
        f"| {f(sizes['zstd'])} | {f(sizes['xz'])} | {size / s:.2f}x | "
        f"{(s / sizes['xz']) if s and sizes['xz'] else float('nan'):.2f} |")
    log(f"(a) {asm} done")


def section_b(ctx):
    import pysam
    out("## (b) Random 1 kb regions: mount vs pysam (htslib) in the same loop\n")
    ctx.ensure_store()
    # the largest real genome (by sequence) that has a contig >= 100 kb
    def real_bases(a):   # prefer real sequence over N runs (hg19 unittest is 98% N)
        data = open(ctx.imported[a][0], "rb").read()
        return len(data) - data.count(b"N") - data.count(b"n")
    asm = max(ctx.imported, key=real_bases)
    plain = ctx.imported[asm][0]
    sh(["samtools", "faidx", plain])
    bgz = os.path.join(ctx.tmp, asm + ".bgz.fa.gz")
    with open(bgz, "wb") as o:
        subprocess.run(["bgzip", "-c", "-@2", plain], stdout=o, check=True)
    sh(["samtools", "faidx", bgz])
    fai = [l.split("\t") for l in open(plain + ".fai").read().splitlines()]
    contigs = [(n, int(L)) for n, L, *_ in fai if int(L) >= 2000]
    weights = [L for _, L in contigs]
    n = ctx.args.samples
    rng = random.Random(42)
    seen = set()
    regions = []
    while len(regions) < n:
        name, L = rng.choices(contigs, weights)[0]
        s = rng.randint(1, L - 999)
        if (name, s) not in seen:
            seen.add((name, s))
            regions.append((name, s, s + 999))
    fa_plain, fa_bgz = pysam.FastaFile(plain), pysam.FastaFile(bgz)
    t_seq, t_fa, t_bgz, t_plain = [], [], [], []
    pc = time.perf_counter_ns
    mismatches = 0
    with Mount(ctx) as m:
        for i, (name, s, e) in enumerate(regions):
            base = os.path.join(m.path, asm, esc(name))
            t = pc()
            with open(os.path.join(base, f"{s}-{e}.seq"), "rb") as f:
                got = f.read()
            t_seq.append(pc() - t)
            t = pc()
            with open(os.path.join(base, f"{s + 1}-{e + 1}.fa"), "rb") as f:
                f.read()
            t_fa.append(pc() - t)
            t = pc()
            fa_bgz.fetch(name, s - 1, e)
            t_bgz.append(pc() - t)
            t = pc()
            want = fa_plain.fetch(name, s - 1, e)
            t_plain.append(pc() - t)
            if got != want.encode():
                mismatches += 1
    out(f"Genome `{asm}` ({len(contigs)} contig(s) >= 2 kb), {n} distinct never-read 1,000-base regions; "
        f"times in microseconds per region (open+read+close for the mount, `fetch` for pysam).\n")
    out("| method | median µs | p99 µs | median time vs mount `.seq` |")
    out("|---|---:|---:|---:|")
    ref = statistics.median(t_seq)
    for label, xs in (("genomedb mount `.seq`", t_seq), ("genomedb mount `.fa`", t_fa),
                      ("pysam.FastaFile, bgzip FASTA", t_bgz), ("pysam.FastaFile, plain FASTA", t_plain)):
        med = statistics.median(xs)
        out(f"| {label} | {med / 1000:.1f} | {pct(xs, 99) / 1000:.1f} | {med / ref:.2f}x |")
    out(f"\n{mismatches} of {n} mount reads differed from pysam (must be 0).\n")


def _dd(path):
    t = time.perf_counter()
    r = subprocess.run(["dd", f"if={path}", "of=/dev/null", "bs=1M"], capture_output=True)
    dt = time.perf_counter() - t
    if r.returncode:
        raise RuntimeError(r.stderr.decode())
    return os.path.getsize(path) / dt / 1e9


def section_c(ctx):
    out("## (c) Streaming a whole contig: mount vs the plain FASTA on local disk (dd bs=1M)\n")
    info = ctx.ensure_store()
    best = None
    for a in info["assemblies"]:
        for c in a["contigs"]:
            if best is None or c["length"] > best[2]:
                best = (a["name"], c["name"], c["length"])
    asm, contig, L = best
    plain = ctx.imported[asm][0]
    # a local plain FASTA holding just that contig, 60 bases a line, like the mount's
    local = os.path.join(ctx.tmp, "stream-local.fa")
    with open(local, "wb") as o:
        subprocess.run(["samtools", "faidx", plain, contig], stdout=o, check=True)
    rows = []
    dropped = True
    for label, make_path in (("mount `<contig>.fa`", lambda m: os.path.join(m.path, asm, esc(contig) + ".fa")),
                             ("mount `1-L.seq`", lambda m: os.path.join(m.path, asm, esc(contig), f"1-{L}.seq")),
                             ("mount `1-L.u8`", lambda m: os.path.join(m.path, asm, esc(contig), f"1-{L}.u8"))):
        cold, warm, cpu = [], [], []
        for _ in range(3):
            dropped &= drop_pages(store_files(ctx.store))  # before the daemon maps them
            with Mount(ctx, "mnt-c") as m:          # fresh daemon: its block cache is empty
                p = make_path(m)
                c0 = proc_cpu(m.proc.pid)[0]
                cold.append(_dd(p))
                # GB per daemon CPU-second of the cold read (robust to load)
                cpu.append(os.path.getsize(p) / max(proc_cpu(m.proc.pid)[0] - c0, 1))
                warm.append(_dd(p))
        rows.append((label, max(cold), max(warm), statistics.median(cpu)))
    cold, warm = [], []
    for _ in range(3):
        dropped &= drop_pages([local])
        cold.append(_dd(local))
        warm.append(_dd(local))
    rows.append(("local disk, plain FASTA (`samtools faidx` extract)", max(cold), max(warm), None))
    out(f"Contig `{asm}/{contig}` ({L:,} bases). Best of 3; cold = the store's segment files "
        f"(or the plain file) dropped from the page cache with `posix_fadvise(DONTNEED)`"
        f"{'' if dropped else ' (FAILED)'} and, for the mount, a freshly started daemon; "
        f"warm = the same file read again at once. Load average "
        f"{' '.join(open('/proc/loadavg').read().split()[:3])}.\n")
    out("| source | cold GB/s | warm GB/s | cold vs local | cold: GB per daemon CPU-s (median) |")
    out("|---|---:|---:|---:|---:|")
    lc = rows[-1][1]
    for label, c, w, g in rows:
        out(f"| {label} | {c:.2f} | {w:.2f} | {c / lc:.2f}x | {'' if g is None else f'{g:.2f}'} |")
    out("")


def timed(cmd, env):
    """Wall seconds and CPU seconds (user + system, threads and children
    included) of one command. (Not its peak RSS: wait4's counts the
    forked Python before exec; bench-scale samples the importer's.)"""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, env=dict(os.environ, **env), stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"{cmd[0]} failed: {p.stderr.read().decode(errors='replace')}")
    p.stderr.close()
    return dt, ru.ru_utime + ru.ru_stime


def thread_cpu(cmd):
    """Run cmd; the CPU seconds of each of its threads (user + system, the
    last /proc/PID/task sample before it ended), in the order they started."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    tck, cpu = os.sysconf("SC_CLK_TCK"), {}
    while p.poll() is None:
        try:
            for t in os.listdir(f"/proc/{p.pid}/task"):
                with open(f"/proc/{p.pid}/task/{t}/stat") as f:
                    x = f.read().rsplit(")", 1)[1].split()
                cpu[int(t)] = (int(x[11]) + int(x[12])) / tck
        except OSError:
            pass  # a thread (or the process) ended between list and read
        time.sleep(0.02)
    if p.returncode:
        raise RuntimeError(f"{cmd[0]} failed: {p.stderr.read().decode(errors='replace')}")
    p.stderr.close()
    return [cpu[t] for t in sorted(cpu) if cpu[t] > 0]


def section_d(ctx):
    out("## (d) Import throughput (plain FASTA)\n")
    import genfasta
    big = None
    if not ctx.args.quick and ctx.args.import_mb > 0:
        srcs = [g for g in ctx.genomes if os.path.getsize(g) > 1_000_000] or ctx.genomes
        big = os.path.join(ctx.tmp, "import-bench.fa")
        t = time.perf_counter()
        log(f"(d) building a {ctx.args.import_mb} MB FASTA from {len(srcs)} real genomes ...")
        genfasta.write_bench(big, ctx.args.import_mb, srcs)
        log(f"(d) built in {time.perf_counter() - t:.0f}s")
        desc = f"{human(os.path.getsize(big))} built from the real genomes (mutated copies, `tests/gen/genfasta.py bench`)"
    else:
        if not ctx.plain:
            for g in ctx.genomes:
                ctx.plain_copy(g)
        big = max(ctx.plain.values(), key=os.path.getsize)
        desc = f"the largest real genome decompressed ({human(os.path.getsize(big))})"
    size = os.path.getsize(big)
    drop_caches()
    sh(["cat", big])  # warm the page cache once, so every tool reads from memory
    store = os.path.join(ctx.tmp, "import.gdb")
    imp = [ctx.binary, "import", "fasta", store, "--assembly", "x", big, "--quiet"]
    tools = (("genomedb import fasta (digests on threads)", imp, {}),
             ("genomedb import fasta, GENOMEDB_THREADS=1", imp, {"GENOMEDB_THREADS": "1"}),
             ("samtools faidx (index only)", ["samtools", "faidx", big], {}),
             ("bgzip -@2", ["sh", "-c", f"bgzip -c -@2 '{big}' > /dev/null"], {}),
             ("zstd -3 -T2", ["sh", "-c", f"zstd -3 -T2 -q -c '{big}' > /dev/null"], {}))
    best = {}
    for _ in range(ctx.args.import_reps):  # interleaved: load moves all alike
        for label, cmd, env in tools:
            if label.startswith("genomedb"):
                shutil.rmtree(store, ignore_errors=True)
                sh([ctx.binary, "init", store])
            r = timed(cmd, env)
            if label not in best or r[0] < best[label][0]:
                best[label] = r
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    out(f"Input: {desc}, from the page cache. Best of {ctx.args.import_reps} interleaved runs; "
        f"CPU is user + system of the tool and its threads (children included); "
        f"load average {load} at the end.\n")
    out("| tool | seconds | MB/s | vs genomedb | CPU s | MB per CPU-second |")
    out("|---|---:|---:|---:|---:|---:|")
    g = size / best[tools[0][0]][0]
    for label, _, _ in tools:
        dt, cpu = best[label]
        out(f"| {label} | {dt:.2f} | {size / dt / 1e6:.0f} | {size / dt / g:.2f}x | {cpu:.2f} | "
            f"{size / cpu / 1e6:.0f} |")
    shutil.rmtree(store, ignore_errors=True)
    sh([ctx.binary, "init", store])
    th = thread_cpu(imp)
    out(f"\nOne more threaded import, the CPU of each thread (`/proc/PID/task`, in the order they "
        f"started: the import's own, MD5, SHA-512, the input's SHA-256): "
        f"{', '.join(f'{c:.2f}' for c in th)} s; the largest is {100 * max(th) / sum(th):.0f}% of "
        f"{sum(th):.2f} s, so two idle cores could run it at {2 * size / sum(th) / 1e6:.0f} MB/s at most.")
    if ctx.imported:
        tot_b = sum(os.path.getsize(p) for p, _ in ctx.imported.values())
        tot_t = sum(t for _, t in ctx.imported.values())
        out(f"\nSection (a)'s imports of the real genomes: {human(tot_b)} in {tot_t:.1f}s "
            f"= {tot_b / tot_t / 1e6:.0f} MB/s overall.")
    out("")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.environ.get("GENOMEDB_BUILD", os.path.join(REPO, "build")))
    ap.add_argument("--quick", action="store_true",
                    help="skip the ~500 MB import FASTA; (a) without genomes over 16 MB")
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--import-mb", type=float, default=500)
    ap.add_argument("--import-reps", type=int, default=2)
    ap.add_argument("--sections", default="abcd")
    ap.add_argument("--local-data", action="store_true", help="use tests/data even if the shared set exists")
    ap.add_argument("--tmpdir", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    ctx = Ctx(args)
    if not os.access(ctx.binary, os.X_OK):
        log(f"genomedb not found at {ctx.binary}; run make (or pass --build)")
        return 1
    cpu = ""
    try:
        cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")][0]
    except (OSError, IndexError):
        pass
    out("# GenomeDB benchmarks\n")
    out(f"{time.strftime('%Y-%m-%d')}, {platform.system()} {platform.release()}, {os.cpu_count()} CPUs "
        f"({cpu}); data: `{ctx.src_dir}` ({len(ctx.genomes)} genomes); binary: `{ctx.binary}`.\n")
    failed = []
    for key, fn in (("a", section_a), ("b", section_b), ("c", section_c), ("d", section_d)):
        if key not in args.sections:
            continue
        t = time.perf_counter()
        log(f"== section {key}")
        try:
            fn(ctx)
        except Exception as e:  # each section reports on its own
            failed.append(key)
            out(f"\n**Section ({key}) failed:** `{type(e).__name__}: {str(e)[:300]}`\n")
            log(traceback.format_exc())
        log(f"== section {key}: {time.perf_counter() - t:.0f}s")
    if not args.keep:
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    else:
        log(f"kept {ctx.tmp}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
