#!/usr/bin/python3
"""CPU and wall of the region `.vcf` of 1 Mb (300 samples) and the
streamed whole-contig `.vcf` (10,000 sites x 2,504 samples) through the
mount, beside `bcftools view -H -r` / `bcftools view` on the BCF and
pysam's fetch, in one run; with several --build, each build mounts the
same store and they take turns, so the load hits them alike.

    bench/variants/vcfcpu.py [--build DIR ...] [--reps N] [--dir DIR]

GenomeDB's CPU is the daemon's (user + system, /proc, lookup and reads),
bcftools' its process's (getrusage of children), pysam's this process's
(time.process_time: records iterated, no text). Every GenomeDB answer is
a name never looked up before (the region's end moves by one base), so
none comes from a cache. --dir keeps the store and data for the next run.
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as R  # noqa: E402  (the data and helpers of bench/variants/run.py)


def setup(d, build):
    """The store (kg: the real 300-sample file; g2504: the generated
    set) and the 2,504-sample BCF, made once in d."""
    store, gbcf = os.path.join(d, "v.gdb"), os.path.join(d, "g2504.bcf")
    if os.path.exists(os.path.join(d, "ready")):
        return store, gbcf
    g = os.path.join(d, "g2504.vcf")
    R.sh(sys.executable, os.path.join(R.REPO, "bench", "variants", "gen2504.py"), R.KG, R.PANEL, "-o", g)
    R.sh("bcftools", "view", "-Ob", "-o", gbcf, g)
    R.sh("bcftools", "index", "-f", gbcf)
    os.unlink(g)
    G = os.path.join(build, "genomedb")
    shutil.rmtree(store, ignore_errors=True)
    R.sh(G, "init", store)
    R.sh(G, "import", "fasta", store, "--assembly", "b37", R.REF, "--quiet")
    for name, src in (("kg", R.KG), ("g2504", gbcf)):
        R.sh(G, "import", "vcf", store, "--set", name, "--reference", "b37", src, "--panel", R.PANEL,
             "--quiet")
    open(os.path.join(d, "ready"), "w").close()
    return store, gbcf


def mount(build, store, mnt):
    os.makedirs(mnt, exist_ok=True)
    p = subprocess.Popen([os.path.join(build, "genomedb"), "mount", store, mnt, "-f"],
                         stderr=subprocess.DEVNULL)
    for _ in range(400):
        if os.path.ismount(mnt):
            return p
        time.sleep(0.05)
    raise SystemExit(f"{mnt}: not mounted")


def read_all(path):
    n = 0
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                return n
            n += len(b)


def timed(fn):
    """(wall, the result) of fn()."""
    t = time.perf_counter()
    r = fn()
    return time.perf_counter() - t, r


def daemon_run(pid, fn):
    """(wall, daemon CPU, result) of fn()."""
    c = R.cpu_of(pid)
    w, r = timed(fn)
    return w, R.cpu_of(pid) - c, r


def child_run(argv):
    """(wall, CPU) of a process, its output thrown away."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    w, _ = timed(lambda: subprocess.run(argv, stdout=subprocess.DEVNULL, check=True))
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return w, r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime


def pysam_run(bcf, beg, end):
    import pysam

    def f():
        with pysam.VariantFile(bcf) as v:
            return sum(1 for _ in v.fetch("20", beg - 1, end))
    c = time.process_time()
    w, _ = timed(f)
    return w, time.process_time() - c


def span(xs):
    xs = sorted(xs)
    return (f"{xs[0] * 1000:.0f}-{xs[-1] * 1000:.0f} (median {statistics.median(xs) * 1000:.0f}, "
            f"mean {statistics.mean(xs) * 1000:.0f})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", action="append")
    ap.add_argument("--reps", type=int, default=6)
    ap.add_argument("--whole-reps", type=int, default=2)
    ap.add_argument("--dir")
    a = ap.parse_args()
    builds = a.build or [os.environ.get("GENOMEDB_BUILD", os.path.join(R.REPO, "build"))]
    d = a.dir or tempfile.mkdtemp(prefix="gdb-vcfcpu-")
    os.makedirs(d, exist_ok=True)
    store, gbcf = setup(d, builds[0])
    last = int(R.sh("bcftools", "query", "-f", "%POS\n", gbcf).split()[-1])
    mounts = []
    try:
        for i, b in enumerate(builds):
            mnt = os.path.join(d, f"mnt{i}")
            mounts.append((b, mnt, mount(b, store, mnt)))
        res, sizes = {}, {}

        def add(key, w, c):
            res.setdefault(key, ([], []))
            res[key][0].append(w)
            res[key][1].append(c)

        def each_build(kind, rel):
            """The file rel read whole through every build's mount."""
            for b, mnt, p in mounts:
                w, c, sizes[kind] = daemon_run(p.pid, lambda: read_all(os.path.join(mnt, "variants", rel)))
                add((kind, b), w, c)
        for rep in range(a.reps):
            each_build("region", f"kg/20/1000000-{2000000 - rep}.vcf")
            add(("region", "bcftools view -H -r (BCF)"),
                *child_run(["bcftools", "view", "-H", "-r", "20:1000000-2000000", R.KGBCF]))
            add(("region", "pysam fetch (BCF, no text)"), *pysam_run(R.KGBCF, 1000000, 2000000))
        for rep in range(a.whole_reps):
            each_build("whole", f"g2504/20/1-{last + 1 + rep}.vcf")
            add(("whole", "bcftools view (BCF)"), *child_run(["bcftools", "view", gbcf]))
    finally:
        for b, mnt, p in mounts:
            subprocess.run(["fusermount3", "-u", mnt])
            p.wait()
    if not a.dir:
        shutil.rmtree(d, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M')}, "
          f"{a.reps} region answers and {a.whole_reps} whole-contig reads each\n")
    print("| answer | who | wall ms | CPU ms |\n|---|---|---:|---:|")
    for key, (ws, cs) in res.items():
        print(f"| {key[0]} ({sizes.get(key[0], 0):,} bytes) | {key[1]} | {span(ws)} | {span(cs)} |")


if __name__ == "__main__":
    main()
