"""Cache benchmarks through a real mount (make bench / make bench-scale).

  prefetch   cold sequential read of a large contig, prefetch on vs off
             (page cache dropped and the daemon restarted between runs)
  scan       cold sequential read of one contig through the mount (.seq, .fa
             and .u8, 1 MiB reads, a fresh daemon each time, the store's files
             dropped from the page cache), wall rate and the daemon's CPU
             per GB, beside a cold read of the same contig as a plain FASTA
             file in the same run; --builds A,B alternates daemon builds
             (e.g. main's and a branch's) rep by rep; --fifo runs the daemon
             and the reader under SCHED_FIFO (root), so that other work on
             a shared machine stays out of the figure

(The scale run past RAM is bench/scale/run.py.)

    python3 bench/cache/mountbench.py prefetch [--bases 480e6]
    python3 bench/cache/mountbench.py scan [--fasta chr20.fa.gz | --bases 240e6]
        [--builds build,/work/main/build] [--reps 5] [--cache 256M] [--fifo]

Prints markdown tables. No assertion: figures go to docs/BENCHMARKS.md.
"""
import argparse
import contextlib
import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "gen"))
import bigfasta  # noqa: E402

BUILD = os.environ.get("GENOMEDB_BUILD", os.path.join(HERE, "..", "..", "build"))
G = os.path.join(BUILD, "genomedb")


def sh(*args, **kw):
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, **kw)


def drop_caches():
    """Empty the machine's page cache (sync, then /proc/sys/vm/drop_caches),
    as root only: True when done; False, having written nothing, when not
    root or refused (the caller says its figures may then be warm)."""
    if os.geteuid() != 0:
        return False
    subprocess.run(["sync"])
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def drop_pages(paths):
    """Drop these files' pages from the page cache (posix_fadvise
    DONTNEED): a cold read without emptying the cache of everything else
    the machine runs. Mapped pages stay: call it before the daemon starts."""
    ok = True
    for p in paths:
        try:
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
        except OSError:
            ok = False
    return ok


class Mount:
    def __init__(self, store, mnt, *args, preexec_fn=None, binary=None):
        os.makedirs(mnt, exist_ok=True)
        self.mnt = mnt
        self.p = subprocess.Popen([binary or G, "mount", store, mnt, "-f", *args],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  preexec_fn=preexec_fn)
        self.wait_mounted("mount")

    def wait_mounted(self, what, timeout=10):
        """Wait for the daemon's mount; if it exits or is not mounted within
        timeout seconds, kill it, undo a late mount, and raise naming it."""
        t = time.monotonic()
        while not os.path.ismount(self.mnt):
            if self.p.poll() is not None or time.monotonic() - t > timeout:
                self.p.kill()
                self.p.wait()
                subprocess.run(["fusermount3", "-u", "-z", self.mnt],
                               stderr=subprocess.DEVNULL, check=False)
                raise RuntimeError(f"{what} failed: {self.mnt} (exit {self.p.returncode})")
            time.sleep(0.02)

    def status_kb(self, field):
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return None

    def close(self, timeout=120):
        """Unmount lazily and wait for the daemon to leave; returns (and
        keeps as exit_s) the seconds from the unmount to its exit, said on
        stderr when over a second. A lazy unmount ends the daemon only once
        nothing holds a file or cwd in the mount (a find, du or shell
        walking it keeps it serving). Past `timeout` the daemon is killed
        and RuntimeError names the mount and where its threads waited:
        fuse_dev_do_read means the kernel still held the mount."""
        t = time.monotonic()
        subprocess.run(["fusermount3", "-u", "-z", self.mnt])
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            waits = []
            for tid in sorted(os.listdir(f"/proc/{self.p.pid}/task"), key=int):
                try:
                    with open(f"/proc/{self.p.pid}/task/{tid}/wchan") as f:
                        waits.append(f.read().strip() or "running")
                except OSError:
                    pass
            self.p.kill()
            self.p.wait()
            held = (waits[:1] == ["fuse_dev_do_read"]) * (  # the main thread's
                " (its reading thread still waited for requests: the kernel still held "
                "the mount, a process had a file or cwd in it)")
            raise RuntimeError(
                f"{self.mnt}: the daemon (pid {self.p.pid}) was still running {timeout} s "
                f"after fusermount3 -u -z, killed; its threads waited in: "
                f"{', '.join(waits) or 'n/a'}{held}") from None
        self.exit_s = time.monotonic() - t
        if self.exit_s > 1:
            print(f"{self.mnt}: the daemon left {self.exit_s:.1f} s after the unmount",
                  file=sys.stderr)
        return self.exit_s


@contextlib.contextmanager
def private_mountpoint(prefix="gdb-bench-mnt-"):
    """A new empty directory of its own (mkdtemp in TMPDIR) to mount on,
    never inside a directory the caller removes or keeps (a store's, a
    user's --dir): on leaving, even by an error or an interrupt, whatever
    is still mounted on it is unmounted (fusermount3 -u; -u -z when busy)
    and the directory removed."""
    mnt = tempfile.mkdtemp(prefix=prefix)
    try:
        yield mnt
    finally:
        for lazy in ([], ["-z"]):
            if not os.path.ismount(mnt):
                break
            subprocess.run(["fusermount3", "-u", *lazy, mnt], capture_output=True)
        try:
            os.rmdir(mnt)
        except OSError as e:
            print(f"{mnt}: not removed: {e.strerror}", file=sys.stderr)


def proc_cpu(pid):
    """(CPU ns, context switches) of all a process's threads so far."""
    ns = sw = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                ns += int(f.read().split()[0])
            with open(f"/proc/{pid}/task/{t}/status") as f:
                sw += sum(int(ln.split()[1]) for ln in f if "ctxt_switches" in ln)
        except OSError:
            pass
    return ns, sw


def build_store(work, bases, contigs):
    fa = os.path.join(work, "big.fa")
    t = time.monotonic()
    bigfasta.write(fa, int(float(bases)), contigs=contigs, seed=5)
    gen_s = time.monotonic() - t
    store = os.path.join(work, "big.gdb")
    sh(G, "init", store)
    if not drop_caches():
        print("the page cache was not dropped before the import (that needs root): "
              "the import read its FASTA warm")
    t = time.monotonic()
    sh(G, "import", "fasta", store, "--assembly", "big", fa, "--quiet")
    imp_s = time.monotonic() - t
    return fa, store, os.path.getsize(fa), imp_s, gen_s


def stream(path, bs=1 << 20):
    t = time.monotonic()
    n = 0
    with open(path, "rb", buffering=0) as f:
        while True:
            b = f.read(bs)
            if not b:
                break
            n += len(b)
    return n / (time.monotonic() - t) / 1e9


def prefetch(args):
    work = tempfile.mkdtemp(prefix="gdb-bench-")
    try:
        fa, store, size, imp_s, _ = build_store(work, args.bases, 2)
        contig = "big1"
        length = int(float(args.bases)) // 2
        res = {"on": [], "off": []}
        cpu = {"on": [], "off": []}  # GB per daemon CPU-second
        for rep in range(args.reps):
            for mode in ("off", "on"):
                if not drop_pages(os.path.join(store, f) for f in os.listdir(store)
                                  if f.startswith("seg-")):
                    print("cannot drop the store's pages: figures are warm")
                m = Mount(store, os.path.join(work, "mnt"), "--cache", "256M",
                          "--prefetch", mode)
                try:
                    c0 = proc_cpu(m.p.pid)[0]
                    res[mode].append(stream(os.path.join(m.mnt, "big", contig, f"1-{length}.seq")))
                    cpu[mode].append(length / max(proc_cpu(m.p.pid)[0] - c0, 1))
                finally:
                    m.close()
        on, off = statistics.median(res["on"]), statistics.median(res["off"])
        con, coff = statistics.median(cpu["on"]), statistics.median(cpu["off"])
        print("| cold sequential read of a %d Mbp contig (.seq, dd-like 1 MiB reads) | GB/s "
              "| GB per daemon CPU-s |" % (length // 1_000_000))
        print("|---|---:|---:|")
        print(f"| prefetch off (median of {args.reps}) | {off:.2f} | {coff:.2f} |")
        print(f"| prefetch on (median of {args.reps}) | {on:.2f} | {con:.2f} |")
        print(f"| ratio on/off | {on / off:.2f}x | {con / coff:.2f}x |")
        print("\nLoad average %s." % " ".join(open("/proc/loadavg").read().split()[:3]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def plain_contig(work, args):
    """(plain FASTA of one contig, its name, its length): the first record
    of --fasta (gz or not), or a generated contig of --bases."""
    fa = os.path.join(work, "contig.fa")
    if args.fasta:
        opener = gzip.open if args.fasta.endswith(".gz") else open
        with opener(args.fasta, "rb") as src, open(fa, "wb") as out:
            head = src.readline()
            out.write(head)
            for line in src:
                if line.startswith(b">"):
                    break
                out.write(line)
        name = head[1:].split()[0].decode()
    else:
        bigfasta.write(fa, int(float(args.bases)), contigs=1, seed=5)
        name = "big1"
    length = 0
    with open(fa, "rb") as f:
        f.readline()
        for line in f:
            length += len(line) - 1
    return fa, name, length


def fifo():
    """This process (and what it starts) to SCHED_FIFO, above any normal task."""
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))


def cold_stream(path, drop, rt=False):
    """(GB/s, bytes) of one cold read of path in 1 MiB reads (rt: read
    under SCHED_FIFO, back to normal after)."""
    drop_pages(drop)
    if rt:
        fifo()
    try:
        return _timed_read(path)
    finally:
        if rt:
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))


def _timed_read(path):
    t = time.monotonic()
    n = 0
    with open(path, "rb", buffering=0) as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            n += len(b)
    return n / (time.monotonic() - t) / 1e9, n


def scan(args):
    global G
    work = tempfile.mkdtemp(prefix="gdb-bench-scan-", dir=args.tmpdir)
    builds = [os.path.abspath(b) for b in args.builds.split(",")] if args.builds else [BUILD]
    res = {}   # (build, kind) -> [(GB/s, GB per daemon CPU-s)]
    plain = []
    try:
        fa, name, length = plain_contig(work, args)
        G = os.path.join(builds[0], "genomedb")
        store = os.path.join(work, "s.gdb")
        sh(G, "init", store)
        sh(G, "import", "fasta", store, "--assembly", "a", fa, "--quiet")
        segs = [os.path.join(store, f) for f in os.listdir(store) if f.startswith("seg-")]
        kinds = {"seq": f"{name}/1-{length}.seq", "fa": f"{name}.fa", "u8": f"{name}/1-{length}.u8"}
        for rep in range(args.reps):
            for b in builds:
                G = os.path.join(b, "genomedb")
                for kind, rel in kinds.items():
                    drop_pages(segs)   # before the daemon maps them
                    m = Mount(store, os.path.join(work, "mnt"), "--cache", args.cache,
                              preexec_fn=fifo if args.fifo else None)
                    try:
                        cpu0, sw0 = proc_cpu(m.p.pid)  # threads live until unmount
                        gbs, n = cold_stream(os.path.join(m.mnt, "a", rel), segs, args.fifo)
                        cpu1, sw1 = proc_cpu(m.p.pid)
                        cpu = (cpu1 - cpu0) / 1e9
                    finally:
                        m.close()
                    res.setdefault((b, kind), []).append((gbs, n / 1e9 / cpu if cpu else float("inf"),
                                                          (sw1 - sw0) / (n / 2**20)))
            plain.append(cold_stream(fa, [fa], args.fifo)[0])
        load = " ".join(open("/proc/loadavg").read().split()[:3])
        print(f"Cold sequential read of `{name}` ({length:,} bases), 1 MiB reads, "
              f"a fresh daemon (`--cache {args.cache}`) per read, the store's files and the "
              f"plain FASTA dropped from the page cache (posix_fadvise DONTNEED) first; "
              f"{args.reps} reps, builds alternating"
              f"{', daemon and reader under SCHED_FIFO' if args.fifo else ''}; "
              f"load average at the end {load}.\n")
        print("| source | GB/s median (min-max) | GB per daemon CPU-s, median | vs plain file "
              "| daemon task switches per MiB |")
        print("|---|---:|---:|---:|---:|")
        pm = statistics.median(plain)
        for (b, kind), xs in res.items():
            g = [x[0] for x in xs]
            c = [x[1] for x in xs]
            print(f"| `{b}` `.{kind}` | {statistics.median(g):.2f} ({min(g):.2f}-{max(g):.2f}) "
                  f"| {statistics.median(c):.2f} | {statistics.median(g) / pm:.2f}x "
                  f"| {statistics.median(x[2] for x in xs):.1f} |")
        print(f"| plain FASTA file | {pm:.2f} ({min(plain):.2f}-{max(plain):.2f}) | | 1.00x |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["prefetch", "scan"])
    ap.add_argument("--bases", default="480e6")
    ap.add_argument("--fasta", help="scan: the first record of this FASTA (.gz too)")
    ap.add_argument("--builds", help="scan: comma-separated build directories")
    ap.add_argument("--cache", default="256M")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--fifo", action="store_true",
                    help="scan: daemon and reader under SCHED_FIFO (root)")
    ap.add_argument("--tmpdir", default=None)
    args = ap.parse_args()
    if args.what == "scan":
        scan(args)
    else:
        prefetch(args)


if __name__ == "__main__":
    main()
