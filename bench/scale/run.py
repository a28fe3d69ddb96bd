"""Scale past RAM (make bench-scale SIZE=1e11): issue 16's first section.

  1. import: a generated genome (bench/scale/genome.py) piped into
     `genomedb import fasta STORE /dev/stdin`, never on disk as text;
     import rate, the importer's peak RSS and its RSS at each quarter;
  2. the daemon started in a memory cgroup (default 1 GiB) with
     `--cache 768M`, page cache dropped first, then:
     - a cold sequential scan of the largest contig (.seq, 1 MiB reads),
       beside a cold read of the store's own files (the disk's rate);
     - random 1 kb regions over the whole store (new names, open, read,
       close) p50/p99;
     - a BED panel: sorted exon-like targets clustered in genes, each
       target's sequence read (as `bedtools getfasta` would);
     - the daemon's RSS (and anonymous part) sampled through the run, and
       the cgroup's peak and failure count.

Prints one markdown table. No assertion; figures go to docs/BENCHMARKS.md.
With --keep the store is kept (and the import's figures beside it, in
STORE.import.json); --store STORE then measures it again without importing,
e.g. to compare two daemon builds (GENOMEDB_BUILD) on the same store.
"""
import argparse
import fcntl
import json
import mmap
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cache"))
import genome  # noqa: E402
import mountbench as mb  # noqa: E402

CG_ROOT = "/sys/fs/cgroup/memory"
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


class Sampler(threading.Thread):
    """Polls /proc/PID/status fields every `every` seconds until stopped."""

    def __init__(self, pid, every=0.25):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.stop = threading.Event()
        self.samples = []  # (t, VmRSS kB, RssAnon kB)

    def read(self):
        f = {}
        try:
            with open(f"/proc/{self.pid}/status") as st:
                for line in st:
                    k, _, v = line.partition(":")
                    if k in ("VmRSS", "RssAnon"):
                        f[k] = int(v.split()[0])
        except OSError:
            return None
        return f

    def run(self):
        t0 = time.monotonic()
        while not self.stop.is_set():
            f = self.read()
            if f:
                self.samples.append((time.monotonic() - t0, f.get("VmRSS", 0), f.get("RssAnon", 0)))
            self.stop.wait(self.every)

    def finish(self):
        self.stop.set()
        self.join()
        return self.samples


def ahead(chunks, depth=3):
    """Yield `chunks` in order, made on a thread of their own up to `depth`
    ahead, so that making the next chunk (numpy, which lets go of the GIL)
    overlaps the pipe write of this one instead of alternating with it."""
    q = queue.Queue(depth)
    done = object()
    failed = []

    def make():
        try:
            for c in chunks:
                q.put(c)
        except BaseException as e:  # handed to the consumer, not lost
            failed.append(e)
        finally:
            q.put(done)

    th = threading.Thread(target=make, daemon=True)
    th.start()
    while (c := q.get()) is not done:
        yield c
    th.join()
    if failed:
        raise failed[0]


def import_stream(store, total, seed):
    """Pipe the generated genome into the importer; return figures."""
    mb.sh(mb.G, "init", store)
    p = subprocess.Popen([mb.G, "import", "fasta", store, "--assembly", "big",
                          "/dev/stdin", "--alphabet", "dna", "--quiet"],
                         stdin=subprocess.PIPE)  # a pipe is read once: no sniffing pass
    try:  # a 1 MiB pipe (the default max): fewer wake-ups per 6 MB chunk
        fcntl.fcntl(p.stdin.fileno(), F_SETPIPE_SZ, 1 << 20)
    except OSError:
        pass
    smp = Sampler(p.pid, 1.0)
    smp.start()
    t = time.monotonic()
    text = 0
    c0 = time.process_time()
    for chunk in ahead(genome.generate(total, seed)):
        p.stdin.write(chunk)
        text += len(chunk)
    gen_cpu = time.process_time() - c0  # both threads: the whole generator
    p.stdin.close()
    _, status, ru = os.wait4(p.pid, 0)
    secs = time.monotonic() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    samples = smp.finish()
    if p.returncode:
        raise RuntimeError(f"import failed ({p.returncode})")
    return dict(text=text, secs=secs, gen_cpu=gen_cpu, maxrss=ru.ru_maxrss,
                cpu=ru.ru_utime + ru.ru_stime, rss=samples)


def load_or_import(store, total, args):
    """Import unless --store names a finished store; the import's figures
    are kept beside a kept store so a later run can report them."""
    saved = store + ".import.json"
    if args.store and os.path.exists(saved):
        with open(saved) as f:
            imp = json.load(f)
        if imp.get("size") != total or imp.get("seed") != args.seed:
            raise SystemExit(f"{store} holds size {imp.get('size')} seed {imp.get('seed')}")
        return imp
    imp = import_stream(store, total, args.seed)
    imp.update(size=total, seed=args.seed, load=open("/proc/loadavg").read().split()[:3])
    if args.store or args.keep:
        with open(saved, "w") as f:
            json.dump(imp, f)
    return imp


def quartiles(samples):
    """RSS (MB) at 25/50/75/100% of the run: is memory flat?"""
    if not samples:
        return "n/a"
    end = samples[-1][0]
    out = []
    for q in (0.25, 0.5, 0.75, 1.0):
        s = min(samples, key=lambda x: abs(x[0] - q * end))
        out.append(f"{s[1] / 1024:.0f}")
    return " / ".join(out)


class Cgroup:
    def __init__(self, limit):
        self.path = os.path.join(CG_ROOT, f"gdb-scale-{os.getpid()}")
        os.makedirs(self.path, exist_ok=True)
        self.write("memory.limit_in_bytes", str(limit))

    def write(self, name, val):
        with open(os.path.join(self.path, name), "w") as f:
            f.write(val)

    def read(self, name):
        with open(os.path.join(self.path, name)) as f:
            return f.read()

    def enter(self):  # preexec_fn: runs in the child before exec
        self.write("tasks", str(os.getpid()))

    def oom_kills(self):
        for line in self.read("memory.oom_control").splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return 0

    def remove(self):
        try:
            os.rmdir(self.path)
        except OSError:
            pass


def read_once(p):
    t = time.perf_counter_ns()
    fd = os.open(p, os.O_RDONLY)
    n = len(os.read(fd, 1 << 16))
    os.close(fd)
    return (time.perf_counter_ns() - t) / 1000, n


def region_reads(paths):
    lat = np.empty(len(paths))
    n = 0
    for i, p in enumerate(paths):
        lat[i], k = read_once(p)
        n += k
    return lat, n


class PlainPeer:
    """The same cold random reads of a plain file: 16 KiB (about one
    stored 64 Ki-base block) by pread at a random place in the store's
    segment files, page cache on, readahead off (POSIX_FADV_RANDOM, as
    the daemon's MADV_RANDOM mapping), from this process in the loop."""

    def __init__(self, store, rng, size=16384):
        files = [os.path.join(store, f) for f in os.listdir(store) if f.startswith("seg-")]
        files = [f for f in files if os.path.getsize(f) > 16 * size]
        self.fds = [os.open(f, os.O_RDONLY) for f in files]
        for fd in self.fds:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
        self.pages = [os.path.getsize(f) // size for f in files]
        self.rng, self.size = rng, size

    def read(self):
        k = int(self.rng.integers(len(self.fds)))
        off = int(self.rng.integers(self.pages[k])) * self.size
        t = time.perf_counter_ns()
        os.pread(self.fds[k], self.size, off)
        return (time.perf_counter_ns() - t) / 1000

    def close(self):
        for fd in self.fds:
            os.close(fd)


def random_phase(paths, peer):
    """Each random region (cold: new name, block likely never decoded),
    then a new name inside it (the block's second touch: its stored bytes
    now in the page cache, served in part again, so the FUSE round trips,
    the scheduler and a part decode, no disk), then the plain file's
    cold 16 KiB pread, in one loop so the load is the same for all three."""
    cold, warm, plain = (np.empty(len(paths)) for _ in range(3))
    for i, p in enumerate(paths):
        cold[i] = read_once(p)[0]
        d, _, rng = p.rpartition("/")
        s = int(rng.split("-")[0])
        warm[i] = read_once(f"{d}/{s + 500}-{s + 599}.seq")[0]  # inside it
        plain[i] = peer.read()
    return cold, warm, plain


def random_regions(root, ctgs, samples, rng):
    lens = np.array([n for _, n in ctgs], dtype=np.int64)
    pick = rng.choice(len(ctgs), samples, p=lens / lens.sum())
    out = []
    for i in pick:
        s = int(rng.integers(1, lens[i] - 1000))
        out.append(os.path.join(root, ctgs[i][0], f"{s}-{s + 999}.seq"))
    return out


def bed_panel(root, ctgs, genes, rng):
    """Exon-like targets: `genes` loci on the chromosomes, 5-30 exons of
    100-300 bp each within 50 kb; sorted as a panel BED is."""
    chroms = [(n, L) for n, L in ctgs if n.startswith("chr")]
    lens = np.array([L for _, L in chroms], dtype=np.int64)
    rows = []
    for i in rng.choice(len(chroms), genes, p=lens / lens.sum()):
        g = int(rng.integers(20_000, lens[i] - 80_000))
        for e in np.sort(rng.integers(0, 50_000, int(rng.integers(5, 31)))):
            s = g + int(e)
            rows.append((int(i), s, s + int(rng.integers(100, 301))))
    rows.sort()
    return [os.path.join(root, chroms[i][0], f"{s + 1}-{e}.seq") for i, s, e in rows]


def pct(a, q):
    return float(np.percentile(a, q))


def largest_scan(m, ctgs, cap):
    name, n = max(ctgs, key=lambda x: x[1])
    n = min(n, cap)
    cpu = mb.proc_cpu(m.p.pid)[0]
    rate = mb.stream(os.path.join(m.mnt, "big", name, f"1-{n}.seq"))
    return name, n, rate, n / (mb.proc_cpu(m.p.pid)[0] - cpu)


def disk_scan(store, cap):
    """Cold read of the store's files, largest first, up to cap bytes."""
    files = sorted((os.path.join(store, f) for f in os.listdir(store)),
                   key=os.path.getsize, reverse=True)
    t, n = time.monotonic(), 0
    for f in files:
        with open(f, "rb", buffering=0) as fh:
            while n < cap:
                b = fh.read(1 << 20)
                if not b:
                    break
                n += len(b)
        if n >= cap:
            break
    return n / (time.monotonic() - t) / 1e9


def disk_random(store, n, size, rng):
    """Cold random reads of `size` bytes from the store's files with
    O_DIRECT (no readahead, no page cache): the disk's own latency, the
    floor under a random region whose block is not in memory."""
    files = [os.path.join(store, f) for f in os.listdir(store)]
    files = [f for f in files if os.path.getsize(f) > 16 * size]
    buf = mmap.mmap(-1, size)
    lat = np.empty(n)
    fds = [os.open(f, os.O_RDONLY | os.O_DIRECT) for f in files]
    try:
        sizes = [os.path.getsize(f) // size for f in files]
        for i in range(n):
            k = int(rng.integers(len(fds)))
            off = int(rng.integers(sizes[k])) * size
            t = time.perf_counter_ns()
            os.preadv(fds[k], [buf], off)
            lat[i] = (time.perf_counter_ns() - t) / 1000
    finally:
        for fd in fds:
            os.close(fd)
    return lat


def daemon_stats(m):
    with open(os.path.join(m.mnt, ".gdb", "stats.json")) as f:
        return json.load(f)


def mounted_phase(store, mnt, ctgs, args):
    """The mounted figures; mnt is the (private) mountpoint."""
    cg = Cgroup(args.cgroup)
    rng = np.random.default_rng(7)
    res = {"rss": []}
    try:
        res["cold"] = mb.drop_caches()
        res["disk"] = disk_scan(store, int(float(args.scan_bytes)))
        res["disk_random"] = disk_random(store, 500, 16384, rng)
        regions = random_regions(os.path.join(mnt, "big"), ctgs, args.samples, rng)
        # the random regions first, on a mount of their own: the daemon's
        # latency figures are then theirs alone
        res["cold"] &= mb.drop_caches()
        m = mb.Mount(store, mnt, "--cache", args.cache, preexec_fn=cg.enter)
        smp = Sampler(m.p.pid)
        smp.start()
        peer = PlainPeer(store, np.random.default_rng(11))
        try:
            cpu = mb.proc_cpu(m.p.pid)[0]
            res["random"] = random_phase(regions, peer)
            res["random_cpu"] = (mb.proc_cpu(m.p.pid)[0] - cpu) / len(regions) / 1000
            res["random_stats"] = daemon_stats(m)
        finally:
            peer.close()
            res["rss"] += smp.finish()
            m.close()
        res["cold"] &= mb.drop_caches()
        m = mb.Mount(store, mnt, "--cache", args.cache, preexec_fn=cg.enter)
        smp = Sampler(m.p.pid)
        smp.start()
        try:
            res["scan"] = largest_scan(m, ctgs, int(float(args.scan_bytes)))
            root = os.path.join(m.mnt, "big")
            panel = bed_panel(root, ctgs, args.genes, rng)
            t = time.monotonic()
            lat, nbytes = region_reads(panel)
            res["panel"] = (len(panel), time.monotonic() - t, lat, nbytes)
            res["alive"] = m.p.poll() is None
        finally:
            res["rss"] += smp.finish()
            m.close()
        res["cg_peak"] = int(cg.read("memory.max_usage_in_bytes"))
        res["cg_fail"] = int(cg.read("memory.failcnt"))
        res["oom"] = cg.oom_kills()
    finally:
        cg.remove()
    return res


def report(args, total, ctgs, imp, store_bytes, r):
    mib = 1 << 20
    cache = mb_int(args.cache)
    peak_rss = max(s[1] for s in r["rss"]) * 1024
    peak_anon = max(s[2] for s in r["rss"]) * 1024
    name, n, scan, per_cpu = r["scan"]
    npanel, psecs, plat, _ = r["panel"]
    load = open("/proc/loadavg").read().split()[:3]
    print(f"Machine: {os.cpu_count()} CPUs, load average {' '.join(load)} at the end "
          "(shared with other builds: every figure is from a loaded machine)\n")
    if not r["cold"]:
        print("The page cache was not dropped (that needs root): the cold figures may be warm.\n")
    print("| scale past RAM | measured | goal |")
    print("|---|---:|---|")
    print(f"| genome | {total / 1e9:.1f} Gbp, {len(ctgs)} contigs, {imp['text'] / 1e9:.2f} GB of FASTA text "
          "(generated, piped, never on disk) | |")
    print(f"| store | {store_bytes / 1e9:.2f} GB ({imp['text'] / store_bytes:.2f}:1 to the text) | |")
    print(f"| import rate | {imp['text'] / 1e6 / imp['secs']:.0f} MB/s of FASTA ({imp['secs']:.0f} s; "
          f"importer CPU {imp['cpu']:.0f} s = {imp['text'] / 1e6 / imp['cpu']:.0f} MB per CPU-second; "
          f"generator CPU {imp['gen_cpu']:.0f} s; the two on two cores with no wait: at most "
          f"{2 * imp['text'] / 1e6 / (imp['cpu'] + imp['gen_cpu']):.0f} MB/s; load average at its end "
          f"{' '.join(imp.get('load', ['?']))}) | >= 200 MB/s |")
    print(f"| importer peak RSS | {imp['maxrss'] / 1024:.0f} MB; at 1/4, 1/2, 3/4, end: "
          f"{quartiles(imp['rss'])} MB | flat |")
    print(f"| cold sequential scan, {name} 1-{n} (.seq, 1 MiB reads) | {scan:.2f} GB/s "
          f"(the store's files read cold: {r['disk']:.2f} GB/s); {per_cpu:.2f} GB per daemon CPU-second | 1.5 GB/s |")
    ra, warm, plain = r["random"]
    print(f"| random 1 kb region over the whole store, {len(ra)} new names, open+read+close | "
          f"p50 {pct(ra, 50):.0f} us, p99 {pct(ra, 99):.0f} us, max {ra.max() / 1000:.1f} ms | p99 < 5 ms |")
    lat = r["random_stats"].get("latency_us", {})
    c = r["random_stats"].get("cache", {})
    print(f"| of which in the daemon: block fetch+decode (its histogram, bucket edges); "
          f"daemon CPU per region | p50 {lat.get('p50')} us, p99 {lat.get('p99')} us "
          f"({c.get('misses')} misses, {c.get('hits')} hits); {r['random_cpu']:.0f} us CPU | |")
    print(f"| same loop: a new name in the block just read (FUSE + scheduler, no disk) | "
          f"p50 {pct(warm, 50):.0f} us, p99 {pct(warm, 99):.0f} us | |")
    print(f"| same loop: the plain file, cold 16 KiB pread of the store's segments (readahead off) | "
          f"p50 {pct(plain, 50):.0f} us, p99 {pct(plain, 99):.0f} us | |")
    dr = r["disk_random"]
    print(f"| peer: the disk, {len(dr)} cold random 16 KiB reads of the store (O_DIRECT) | "
          f"p50 {pct(dr, 50):.0f} us, p99 {pct(dr, 99):.0f} us | |")
    print(f"| BED panel: {npanel} targets (100-300 bp) in {args.genes} genes, sorted, each read | "
          f"{psecs:.2f} s, {npanel / psecs:.0f} targets/s, p50 {pct(plat, 50):.0f} us, "
          f"p99 {pct(plat, 99):.0f} us | |")
    print(f"| daemon RSS over the run (VmRSS, incl. mapped store pages) | peak {peak_rss / mib:.0f} MiB, "
          f"anonymous peak {peak_anon / mib:.0f} MiB ({len(r['rss'])} samples) | "
          f"<= {(cache + 64 * mib) / mib:.0f} MiB (cache + 64 MiB) |")
    print(f"| memory cgroup ({args.cgroup / mib:.0f} MiB limit, page cache included) | peak "
          f"{r['cg_peak'] / mib:.0f} MiB, {r['cg_fail']} limit hits, {r['oom']} OOM kills, "
          f"daemon {'alive' if r['alive'] else 'DEAD'} at the end | no OOM |")


def mb_int(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(s[:-1]) * mult[s[-1].upper()]) if s[-1].upper() in mult else int(s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="1e10", help="bases (1e11: ~100 GB of FASTA)")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--cache", default="768M")
    ap.add_argument("--cgroup", type=int, default=1 << 30, help="memory limit, bytes")
    ap.add_argument("--samples", type=int, default=3000)
    ap.add_argument("--genes", type=int, default=500)
    ap.add_argument("--scan-bytes", default="2e9", help="cap on the sequential scans")
    ap.add_argument("--dir", default=None, help="where the store goes (default: TMPDIR)")
    ap.add_argument("--keep", action="store_true", help="keep the store")
    ap.add_argument("--store", default=None,
                    help="a store of this size and seed made by an earlier run with --keep "
                         "(the import is then skipped, its figures read from STORE.import.json)")
    args = ap.parse_args()
    total = int(float(args.size))
    # a kill ends the run through the finally clauses below (mounts gone)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    work = tempfile.mkdtemp(prefix="gdb-scale-", dir=args.dir)
    try:
        store = args.store or os.path.join(work, "big.gdb")
        imp = load_or_import(store, total, args)
        store_bytes = sum(os.path.getsize(os.path.join(store, f)) for f in os.listdir(store))
        ctgs = genome.contigs(total, args.seed)
        # mounted on a directory of its own, never under --dir (removed
        # below, or kept with the store): unmounted on leaving, even on error
        with mb.private_mountpoint("gdb-scale-mnt-") as mnt:
            r = mounted_phase(store, mnt, ctgs, args)
        report(args, total, ctgs, imp, store_bytes, r)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        elif not args.store:
            print(f"kept {work}", file=sys.stderr)


if __name__ == "__main__":
    main()
