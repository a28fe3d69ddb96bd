"""New-name 1 kb region reads from Python, in one run (issue 16, section 2).

Targets, read round-robin (in a new random order each round) so the
machine's noise, and whatever a target pays for coming after another,
falls on all alike:
  genomedb      open(<mnt>/g/<contig>/<s>-<e>.seq, "rb"), read, close, on a
                fresh mount (every 64 Ki-base block touched for the first
                time by some read: first touches included);
  floor         the same on bench/mount/floor.c, a minimal libfuse file
                system (LOOKUP, IOCTL -> ENOTTY, READ of 1000 bytes);
  pysam plain   FastaFile.fetch on the plain FASTA (+ .fai), handle open;
  pysam bgzip   FastaFile.fetch on the bgzipped FASTA (+ .fai, .gzi).
Each mount target is also run with variants of the FUSE loop (GenomeDB's
default split loop, --threads 1, --loop libfuse (libfuse's multithreaded
loop); the floor multi-threaded, single-threaded and with clone_fd) to see
where the time goes; "one CPU" targets pin the daemon and, for their own
reads, the reader to the same CPU (CPU placement: no cross-CPU wake-up);
"block cached" reads, right after each default-mount read, a new name one
base on: the same FUSE round trips without a block's first touch.

    python3 bench/mount/regions.py [--reads 3000] [--bases 64e6]
        [--baseline BUILD] [--targets NAME,...]

--baseline adds a GenomeDB mount of another build (its `genomedb`, e.g.
main's build/) and its own "block cached" twin, so a change and main
are measured in one run; --targets keeps only the named mount targets
(genomedb, the floor, the baseline and pysam always run) and adds the
diagnostic ones named there: "floor -s --spin-us 5" and "... 15" (the
single-threaded floor spending 5 or 15 us of CPU in each LOOKUP and
READ) and "floor -s --wake-every 20" (waking a thread of its own every
20 LOOKUPs).

Prints a markdown table, and `key=value` lines for bench/run.py's goal table.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pysam

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cache"))
sys.path.insert(0, os.path.join(HERE, "..", "scale"))
import genome  # noqa: E402
import mountbench as mb  # noqa: E402

FLOOR = os.path.join(mb.BUILD, "bench", "floor")


PIN = 1  # the CPU of the "one CPU" targets
ALL_CPUS = os.sched_getaffinity(0)


def pinned():
    os.sched_setaffinity(0, {PIN})


class Floor(mb.Mount):
    def __init__(self, mnt, *args, preexec_fn=None):  # pylint: disable=super-init-not-called
        os.makedirs(mnt, exist_ok=True)
        self.mnt = mnt
        self.p = subprocess.Popen([FLOOR, mnt, *args], preexec_fn=preexec_fn)
        t = time.monotonic()
        while not os.path.ismount(mnt):
            if self.p.poll() is not None or time.monotonic() - t > 10:
                raise RuntimeError("floor mount failed")
            time.sleep(0.02)


def python_read(path):
    t = time.perf_counter_ns()
    with open(path, "rb") as f:
        f.read()
    return (time.perf_counter_ns() - t) / 1000


def make_inputs(work, bases):
    fa = os.path.join(work, "g.fa")
    with open(fa, "wb") as f:
        for chunk in genome.generate(bases, 11):
            f.write(chunk)
    pysam.faidx(fa)
    gz = fa + ".gz"
    subprocess.run(["bgzip", "-k", "-@2", fa], check=True)
    pysam.faidx(gz)
    store = os.path.join(work, "g.gdb")
    mb.sh(mb.G, "init", store)
    mb.sh(mb.G, "import", "fasta", store, "--assembly", "g", fa, "--quiet")
    ctgs = [(ln.split("\t")[0], int(ln.split("\t")[1])) for ln in open(fa + ".fai")]
    return fa, gz, store, ctgs


def queries(ctgs, n, rng):
    lens = np.array([L for _, L in ctgs], dtype=np.int64)
    pick = rng.choice(len(ctgs), n, p=lens / lens.sum())
    return [(ctgs[i][0], int(s)) for i, s in
            zip(pick, (rng.integers(0, lens[pick] - 1000)))]


def stats(mnt):
    with open(os.path.join(mnt, ".gdb", "stats.json")) as f:
        return json.load(f)


def need_floor():
    """Build bench/mount/floor.c if this build has not (make bench does)."""
    if not os.path.exists(FLOOR):
        subprocess.run(["make", "-C", os.path.join(HERE, "..", ".."),
                        f"BUILD={os.path.abspath(mb.BUILD)}",
                        os.path.join(os.path.abspath(mb.BUILD), "bench", "floor")],
                       check=True, stdout=subprocess.DEVNULL)


def warm_name(k):
    return k + ", block cached (a new name 1 base on)"


def run(args, work, fa, gz, store, ctgs):
    rng = np.random.default_rng(3)
    qs = queries(ctgs, args.reads, rng)
    plain, bgz = pysam.FastaFile(fa), pysam.FastaFile(gz)
    base = os.path.join(os.path.abspath(args.baseline), "genomedb") if args.baseline else None
    mounts = {
        "genomedb": lambda m: mb.Mount(store, m),
        "genomedb --threads 1": lambda m: mb.Mount(store, m, "--threads", "1"),
        "genomedb --loop libfuse": lambda m: mb.Mount(store, m, "--loop", "libfuse"),
        "floor": lambda m: Floor(m),
        "floor single-threaded": lambda m: Floor(m, "-s"),
        "floor clone_fd": lambda m: Floor(m, "--clone-fd"),
        "genomedb, one CPU": lambda m: mb.Mount(store, m, preexec_fn=pinned),
        "floor single-threaded, one CPU": lambda m: Floor(m, "-s", preexec_fn=pinned),
    }
    extra = {
        "floor -s --spin-us 5": lambda m: Floor(m, "-s", "--spin-us", "5"),
        "floor -s --spin-us 15": lambda m: Floor(m, "-s", "--spin-us", "15"),
        "floor -s --wake-every 20": lambda m: Floor(m, "-s", "--wake-every", "20"),
    }
    cached = ["genomedb"]
    if base:
        mounts["baseline build"] = lambda m: mb.Mount(store, m, binary=base)
        mounts["baseline build, one CPU"] = lambda m: mb.Mount(store, m, binary=base,
                                                               preexec_fn=pinned)
        cached.append("baseline build")
    if args.targets:
        keep = args.targets.split(",")
        mounts = {k: v for k, v in mounts.items()
                  if k in keep or k in ("genomedb", "floor") or k.startswith("baseline")}
        mounts.update({k: v for k, v in extra.items() if k in keep})
    live = {}
    lat = {k: [] for k in list(mounts) + [warm_name(k) for k in cached] +
           ["pysam plain FASTA", "pysam bgzip FASTA"]}
    try:
        # one by one, so a mount that fails leaves none of the others behind
        for i, (k, f) in enumerate(mounts.items()):
            live[k] = f(os.path.join(work, "m%d" % i))
        cpu0 = {k: np.array(mb.proc_cpu(m.p.pid)) for k, m in live.items()}
        peers = {"pysam plain FASTA": plain, "pysam bgzip FASTA": bgz}
        order = list(live) + list(peers)
        for i, (c, s) in enumerate(qs):
            # a new order each round, so that no target always comes first
            # after pysam's CPU-bound fetches (or after any other target)
            for k in rng.permutation(order):
                if k in peers:
                    t = time.perf_counter_ns()
                    peers[k].fetch(c, s, s + 1000)
                    lat[k].append((time.perf_counter_ns() - t) / 1000)
                    continue
                m = live[k]
                if k.endswith("one CPU"):
                    pinned()
                if isinstance(m, Floor):
                    lat[k].append(python_read(os.path.join(m.mnt, f"r{i}")))
                else:
                    lat[k].append(python_read(os.path.join(m.mnt, "g", c, f"{s + 1}-{s + 1000}.seq")))
                if k.endswith("one CPU"):
                    os.sched_setaffinity(0, ALL_CPUS)
                if k in cached:  # the same block, no first touch
                    lat[warm_name(k)].append(python_read(os.path.join(m.mnt, "g", c, f"{s + 2}-{s + 1001}.seq")))
        cpu = {k: (np.array(mb.proc_cpu(m.p.pid)) - cpu0[k]) / len(qs) for k, m in live.items()}
        st = {k: stats(live[k].mnt) for k in cached}
    finally:
        for m in live.values():
            m.close()
    return {k: np.array(v) for k, v in lat.items()}, cpu, st


def report(args, lat, cpu, st):
    floor = np.median(lat["floor"])
    load = open("/proc/loadavg").read().split()[:3]
    print(f"{args.reads} new-name 1 kb region reads per target, round-robin in one run, at "
          f"niceness {os.nice(0)}; {os.cpu_count()} CPUs, load average {' '.join(load)} "
          "(a shared, loaded machine)\n")
    print("| target | median us | p99 us | median / floor | daemon CPU us per read | "
          "daemon context switches per read |")
    print("|---|---:|---:|---:|---:|---:|")
    for k, a in lat.items():
        c = f"{cpu[k][0] / 1000:.1f} | {cpu[k][1]:.1f}" if k in cpu else " | "
        print(f"| {k} | {np.median(a):.0f} | {np.percentile(a, 99):.0f} | "
              f"{np.median(a) / floor:.2f}x | {c} |")
    for k, t in st.items():
        c, d = t.get("cache", {}), t.get("latency_us", {})
        print(f"\ndaemon ({k}, default loop): {t.get('lookups')} lookups, {t.get('reads')} reads, "
              f"{t.get('ioctls')} ioctls, {t.get('reader_moves', '-')} moves to the reader's CPU; "
              f"block cache {c.get('hits')} hits, {c.get('misses')} "
              f"misses; read service time in the daemon p50 {d.get('p50')} us, p99 {d.get('p99')} "
              "us (histogram upper bucket edges)")
    g = lat["genomedb"]
    print(f"\nregion_median_us={np.median(g):.1f}")
    print(f"region_p99_us={np.percentile(g, 99):.1f}")
    print(f"floor_median_us={floor:.1f}")
    print(f"floor_p99_us={np.percentile(lat['floor'], 99):.1f}")
    print(f"pysam_plain_median_us={np.median(lat['pysam plain FASTA']):.1f}")
    print(f"pysam_bgzip_median_us={np.median(lat['pysam bgzip FASTA']):.1f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reads", type=int, default=3000)
    ap.add_argument("--bases", default="64e6")
    ap.add_argument("--baseline", help="another build directory to mount beside this one")
    ap.add_argument("--targets", help="comma-separated mount targets to keep (genomedb always)")
    ap.add_argument("--nice", type=int, default=-15,
                    help="niceness for the run and its daemons when root (0: leave)")
    args = ap.parse_args()
    need_floor()
    work = tempfile.mkdtemp(prefix="gdb-regions-")
    try:
        fa, gz, store, ctgs = make_inputs(work, int(float(args.bases)))
        if args.nice and os.geteuid() == 0:
            os.nice(args.nice)  # the daemons inherit it
        lat, cpu, st = run(args, work, fa, gz, store, ctgs)
        report(args, lat, cpu, st)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
