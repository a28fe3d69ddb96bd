#!/usr/bin/python3
"""A protein database of many short records through the mount, beside
samtools faidx on the same FASTA, in one run (issue 14).

    bench/mount/protein_db.py [--build DIR] [--records N] [--reads K]
                              [--other-build DIR --other-label TEXT]

Generates N proteins from the real proteomes (bench/codecs/run.py's
generator; its file when codecs/run.py made the same set in this run,
bench/inputs.py), imports them, then for each build: the mount's time until the
mount point answers, `ls | wc -l` of the assembly directory, K random
records' `.fa` read by name (open + read + close, each a fresh lookup),
and the daemon's resident memory after each step. The peer: `samtools
faidx` building the index, then the same K records each fetched by a
samtools process (which loads the whole .fai), and pysam.FastaFile
fetching them in one process. Markdown to stdout, progress to stderr.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench", "codecs"))
import run as codecs_run  # noqa: E402  (the generator of the protein set)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1]) / 1024
    return float("nan")


def cpu_s(pid):
    """The daemon's CPU seconds so far (user + system): on a loaded
    machine the wall clock is mostly waiting for a core."""
    with open(f"/proc/{pid}/stat") as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def mount_run(gdb, store, mnt, names):
    os.makedirs(mnt, exist_ok=True)
    t0 = time.monotonic()
    logf = open(mnt + ".log", "ab")
    proc = subprocess.Popen([gdb, "mount", store, mnt, "-f"], stdout=logf, stderr=logf)
    while not os.path.ismount(mnt):
        if proc.poll() is not None:
            raise RuntimeError("mount failed: " + open(mnt + ".log").read()[-2000:])
        time.sleep(0.01)
    os.listdir(mnt)
    r = {"mount": time.monotonic() - t0, "rss_mount": rss_mb(proc.pid),
         "cpu_mount": cpu_s(proc.pid)}
    try:
        t0 = time.monotonic()
        out = subprocess.run(f"ls {mnt}/prot | wc -l", shell=True, check=True,
                             capture_output=True, text=True).stdout
        r["ls"] = time.monotonic() - t0
        r["entries"] = int(out)
        r["rss_ls"] = rss_mb(proc.pid)
        r["cpu_ls"] = cpu_s(proc.pid) - r["cpu_mount"]
        ts = []
        for n in names:
            t0 = time.monotonic()
            with open(os.path.join(mnt, "prot", n + ".fa"), "rb") as f:
                f.read()
            ts.append(time.monotonic() - t0)
        r["read"] = ts
        r["rss_read"] = rss_mb(proc.pid)
    finally:
        subprocess.run(["fusermount3", "-u", "-z", mnt], capture_output=True)
        proc.wait(30)
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--records", type=int, default=500000)
    ap.add_argument("--reads", type=int, default=200)
    ap.add_argument("--other-build")
    ap.add_argument("--other-label", default="other build")
    ap.add_argument("--work")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="gdb-bench-protdb-")
    fa = os.path.join(work, "prot.fa")
    store = os.path.join(work, "s.gdb")
    gdb = os.path.join(a.build, "genomedb")
    src = codecs_run.protein_input(work, a.records)
    if os.path.realpath(fa) != os.path.realpath(src):
        # a link to the run's generated set (samtools writes its .fai
        # here, beside the link); another set: imported again
        for p in (fa, fa + ".fai"):
            if os.path.lexists(p):
                os.unlink(p)
        shutil.rmtree(store, ignore_errors=True)
        os.symlink(src, fa)
    if not os.path.isdir(store):
        log("importing")
        subprocess.run([gdb, "init", store], check=True, capture_output=True)
        subprocess.run([gdb, "import", "fasta", store, "--assembly", "prot", fa],
                       check=True, capture_output=True)
    rng = random.Random(14)
    names = [f"P{rng.randrange(a.records):07d}" for _ in range(a.reads)]
    rows = []
    for label, b in (("GenomeDB mount", a.build), (a.other_label, a.other_build)):
        if not b:
            continue
        log(f"mount: {label}")
        rows.append((label, mount_run(os.path.join(b, "genomedb"), store,
                                      os.path.join(work, "mnt"), names)))
    log("samtools faidx")
    if os.path.exists(fa + ".fai"):
        os.unlink(fa + ".fai")
    t0 = time.monotonic()
    subprocess.run(["samtools", "faidx", fa], check=True)
    t_index = time.monotonic() - t0
    ts = []
    for n in names[:max(1, len(names) // 10)]:  # a process each: slow
        t0 = time.monotonic()
        subprocess.run(["samtools", "faidx", fa, n], check=True, capture_output=True)
        ts.append(time.monotonic() - t0)
    import pysam
    t0 = time.monotonic()
    ff = pysam.FastaFile(fa)
    t_open = time.monotonic() - t0
    tp = []
    for n in names:
        t0 = time.monotonic()
        ff.fetch(n)
        tp.append(time.monotonic() - t0)
    load = os.getloadavg()
    print(f"{a.records:,} records, {os.path.getsize(fa):,} FASTA bytes; "
          f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min) "
          f"at the end of the run.\n")
    print("| method | open / mount s (daemon CPU s) | `ls \\| wc -l` s (daemon CPU s; entries) "
          "| record read p50 / p99 ms | daemon RSS MB: mounted / after ls / after reads |")
    print("|---|---:|---:|---:|---:|")
    for label, r in rows:
        print(f"| {label} | {r['mount']:.2f} ({r['cpu_mount']:.2f}) | "
              f"{r['ls']:.2f} ({r['cpu_ls']:.2f}; {r['entries']:,}) | "
              f"{pct(r['read'], 50) * 1e3:.2f} / {pct(r['read'], 99) * 1e3:.2f} | "
              f"{r['rss_mount']:.0f} / {r['rss_ls']:.0f} / {r['rss_read']:.0f} |")
    print(f"| samtools faidx (a process a record) | {t_index:.2f} (index build) | | "
          f"{pct(ts, 50) * 1e3:.1f} / {pct(ts, 99) * 1e3:.1f} ({len(ts)} records) | |")
    print(f"| pysam.FastaFile (one process) | {t_open:.2f} (open, .fai built) | | "
          f"{pct(tp, 50) * 1e3:.3f} / {pct(tp, 99) * 1e3:.3f} | |")
    if not a.work:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
