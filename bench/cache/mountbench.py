"""Cache benchmarks through a real mount (make bench / make bench-scale).

  prefetch   cold sequential read of a large contig, prefetch on vs off
             (page cache dropped and the daemon restarted between runs)

(The scale run past RAM is bench/scale/run.py.)

    python3 bench/cache/mountbench.py prefetch [--bases 480e6]

Prints markdown tables. No assertion: figures go to docs/BENCHMARKS.md.
"""
import argparse
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
    def __init__(self, store, mnt, *args, preexec_fn=None):
        os.makedirs(mnt, exist_ok=True)
        self.mnt = mnt
        self.p = subprocess.Popen([G, "mount", store, mnt, "-f", *args],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  preexec_fn=preexec_fn)
        t = time.monotonic()
        while not os.path.ismount(mnt):
            if self.p.poll() is not None or time.monotonic() - t > 10:
                raise RuntimeError("mount failed")
            time.sleep(0.02)

    def status_kb(self, field):
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return None

    def close(self):
        subprocess.run(["fusermount3", "-u", "-z", self.mnt])
        self.p.wait(10)


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
    drop_caches()
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
        for rep in range(args.reps):
            for mode in ("off", "on"):
                if not drop_pages(os.path.join(store, f) for f in os.listdir(store)
                                  if f.startswith("seg-")):
                    print("cannot drop the store's pages: figures are warm")
                m = Mount(store, os.path.join(work, "mnt"), "--cache", "256M",
                          "--prefetch", mode)
                try:
                    res[mode].append(stream(os.path.join(m.mnt, "big", contig, f"1-{length}.seq")))
                finally:
                    m.close()
        on, off = statistics.median(res["on"]), statistics.median(res["off"])
        print("| cold sequential read of a %d Mbp contig (.seq, dd-like 1 MiB reads) | GB/s |" % (length // 1_000_000))
        print("|---|---:|")
        print(f"| prefetch off (median of {args.reps}) | {off:.2f} |")
        print(f"| prefetch on (median of {args.reps}) | {on:.2f} |")
        print(f"| ratio on/off | {on / off:.2f}x |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["prefetch"])
    ap.add_argument("--bases", default="480e6")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    prefetch(args)


if __name__ == "__main__":
    main()
