#!/usr/bin/python3
"""SIMD analysis kernels side by side with peer tools, one run.

    bench/simd/run.py [--build DIR] [--quick] [--bench-cmd "CMD ..."]

Runs `genomedb bench simd --json` (every kernel x level, with parasail's
striped kernels timed in the same process through dlopen), then times the
peers that have a command line on the same kind of input: `seqkit locate
-i -d` for the IUPAC motif and `seqkit sliding | seqkit fx2tab -g` for GC
in 1 kb windows. jellyfish is not packaged here; its 21-mer rate from the
issue (1.9 Mbp/s on two threads) is the reference for k-mers.

Markdown goes to stdout, progress to stderr.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JELLYFISH_MBPS = 1.9  # issue: jellyfish count -m 21, two threads, this machine


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run_bench(cmd, quick):
    args = cmd + ["bench", "simd", "--json"] + (["--quick"] if quick else [])
    log("running", " ".join(args))
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def peer_seqkit(quick):
    seqkit = shutil.which("seqkit")
    if not seqkit:
        return {}
    n = (8 if quick else 32) << 20
    rng = random.Random(1)
    seq = "".join(rng.choice("ACGT") for _ in range(n))
    res = {}
    with tempfile.TemporaryDirectory() as d:
        fa = os.path.join(d, "x.fa")
        with open(fa, "w") as f:
            f.write(">x\n")
            for i in range(0, n, 80):
                f.write(seq[i:i + 80] + "\n")
        t0 = time.perf_counter()
        subprocess.run([seqkit, "locate", "-i", "-d", "-p", "CACGTGNNRYSW", fa],
                       stdout=subprocess.DEVNULL, check=True)
        res["motif"] = n / (time.perf_counter() - t0) / 1e9
        t0 = time.perf_counter()
        p1 = subprocess.Popen([seqkit, "sliding", "-W", "1000", "-s", "1000", fa],
                              stdout=subprocess.PIPE)
        subprocess.run([seqkit, "fx2tab", "-n", "-g"], stdin=p1.stdout,
                       stdout=subprocess.DEVNULL, check=True)
        p1.wait()
        res["gc"] = n / (time.perf_counter() - t0) / 1e9
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.environ.get("GENOMEDB_BUILD",
                                                      os.path.join(REPO, "build")))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bench-cmd", help="command that takes 'bench simd --json' "
                    "(default: BUILD/genomedb)")
    a = ap.parse_args()
    cmd = a.bench_cmd.split() if a.bench_cmd else [os.path.join(a.build, "genomedb")]
    rows = run_bench(cmd, a.quick)
    peers = peer_seqkit(a.quick)
    log("peers:", peers)

    print("| kernel | variant | throughput | unit | x scalar | x parasail best | vs peer |")
    print("|---|---|---:|---|---:|---:|---|")
    for r in rows:
        peer = ""
        k = r["kernel"]
        if k.startswith("motif") and "motif" in peers:
            peer = f"x{r['throughput'] / peers['motif']:.0f} seqkit locate ({peers['motif'] * 1e3:.0f} MB/s)"
        elif k.startswith("gc") and "gc" in peers:
            peer = f"x{r['throughput'] / peers['gc']:.0f} seqkit sliding+fx2tab ({peers['gc'] * 1e3:.0f} MB/s)"
        elif k.startswith("kmer"):
            peer = f"x{r['throughput'] / JELLYFISH_MBPS:.0f} jellyfish (issue: {JELLYFISH_MBPS} Mbp/s)"
        rp = r.get("ratio_vs_parasail")
        rs = r.get("ratio_vs_scalar")
        print(f"| {k} | {r['variant']} | {r['throughput']:.3f} | {r['unit']} | "
              f"{'' if rs is None or rs < 0 else f'{rs:.2f}'} | "
              f"{'' if rp is None else f'{rp:.2f}'} | {peer} |")
    notes = [r for r in rows if r.get("note")]
    if notes:
        print()
        for r in notes:
            print(f"- {r['kernel']} / {r['variant']}: {r['note']}")


if __name__ == "__main__":
    main()
