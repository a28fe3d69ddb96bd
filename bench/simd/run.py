#!/usr/bin/python3
"""SIMD analysis kernels side by side with peer tools, one run.

    bench/simd/run.py [--build DIR] [--quick] [--bench-cmd "CMD ..."]

Runs `genomedb bench simd --json` (every kernel x level, with parasail's
striped kernels timed in the same process through dlopen), then times the
peers that have a command line on the same kind of input: `seqkit locate
-i -d` for the IUPAC motif and `seqkit sliding | seqkit fx2tab -g` for GC
in 1 kb windows, and `jellyfish count -m 21 -C -t 2` for canonical 21-mers
(two threads, hash sized for every k-mer). Peers are timed on their CPU
clock (user + sys of all their threads), as GenomeDB's kernels are on the
calling thread's, so a neighbour's load counts against neither.

Markdown goes to stdout, progress to stderr.
"""
import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run_bench(cmd, quick):
    args = cmd + ["bench", "simd", "--json"] + (["--quick"] if quick else [])
    log("running", " ".join(args))
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def child_cpu():
    """CPU seconds (user + sys) of the children waited for so far: peers
    are timed on their CPU clock like GenomeDB's kernels, so other tenants'
    load does not count against them (all their threads are summed)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def write_fasta(d, n, seed):
    """d/x.fa: one record of n random ACGT bases (fixed seed), 80 a line."""
    rng = random.Random(seed)
    seq = "".join(rng.choice("ACGT") for _ in range(n))
    fa = os.path.join(d, "x.fa")
    with open(fa, "w") as f:
        f.write(">x\n")
        for i in range(0, n, 80):
            f.write(seq[i:i + 80] + "\n")
    return fa


def peer_seqkit(quick):
    seqkit = shutil.which("seqkit")
    if not seqkit:
        return {}
    n = (8 if quick else 32) << 20
    res = {}
    with tempfile.TemporaryDirectory() as d:
        fa = write_fasta(d, n, 1)
        t0 = child_cpu()
        subprocess.run([seqkit, "locate", "-i", "-d", "-p", "CACGTGNNRYSW", fa],
                       stdout=subprocess.DEVNULL, check=True)
        res["motif"] = n / (child_cpu() - t0) / 1e9
        t0 = child_cpu()
        p1 = subprocess.Popen([seqkit, "sliding", "-W", "1000", "-s", "1000", fa],
                              stdout=subprocess.PIPE)
        subprocess.run([seqkit, "fx2tab", "-n", "-g"], stdin=p1.stdout,
                       stdout=subprocess.DEVNULL, check=True)
        p1.wait()
        res["gc"] = n / (child_cpu() - t0) / 1e9
    return res


def peer_jellyfish(quick):
    """jellyfish count on the k-mer bench's kind of input (random DNA,
    every 21-mer distinct): Mbp per CPU second, its two threads summed."""
    jf = shutil.which("jellyfish")
    if not jf:
        return None
    n = (2 if quick else 8) << 20
    best = None
    with tempfile.TemporaryDirectory() as d:
        fa = write_fasta(d, n, 2)
        for _ in range(1 if quick else 2):
            t0 = child_cpu()
            subprocess.run([jf, "count", "-m", "21", "-C", "-t", "2",
                            "-s", str(2 * n), "-o", os.path.join(d, "jf"), fa],
                           stdout=subprocess.DEVNULL, check=True)
            dt = child_cpu() - t0
            best = dt if best is None or dt < best else best
    return n / best / 1e6


def goal_table(rows, peers):
    """Issue 16's kernel goals against this run's figures."""
    by = {(r["kernel"], r["variant"]): r for r in rows}
    out = []

    def add(goal, measured, need, peer):
        if measured is None:
            out.append((goal, "not measured", peer, "missed (no figure)"))
        else:
            out.append((goal, f"x{measured:.2f}", peer,
                        "met" if measured >= need else "missed"))

    # at every level (GENOMEDB_SIMD forces each): the lowest one
    for k, what in (("kmer21_canonical", "table grown"),
                    ("kmer21_canonical_grow", "new table, growth in the time")):
        lv = [by[(k, v)] for v in ("sse41", "avx2", "avx512") if (k, v) in by]
        if lv:
            lo = min(lv, key=lambda r: r["ratio_vs_scalar"])
            add(f"k-mers >= 4x scalar twin at every level ({what})", lo["ratio_vs_scalar"], 4.0,
                f"lowest {lo['variant']}; scalar {lo['throughput'] / lo['ratio_vs_scalar']:.1f} Mbp/s")
    km = by.get(("kmer21_canonical", "avx512")) or by.get(("kmer21_canonical", "avx2"))
    if km:
        if "kmer" in peers:
            add("k-mers >= 20x jellyfish", km["throughput"] / peers["kmer"], 20.0,
                f"jellyfish -t 2 {peers['kmer']:.2f} Mbp/CPU-s")
    for k, name in (("align_sw_300x1M", "SW"), ("align_nw_2kx2k", "NW"),
                    ("align_sg_2kx2k", "semi-global")):
        a5, a2 = by.get((k, "avx512")), by.get((k, "avx2"))
        if not a5 or not a2:
            continue
        add(f"{name} AVX-512 >= 1.6x AVX2", a5["throughput"] / a2["throughput"],
            1.6, f"AVX2 {a2['throughput']:.2f} GCUPS")
        rp = a5.get("ratio_vs_parasail")
        add(f"{name} AVX-512 >= 2x parasail best correct",
            rp if rp is not None and rp > 0 else None, 2.0,
            f"parasail {a5['throughput'] / rp:.2f} GCUPS" if rp and rp > 0 else "parasail absent")
    print()
    print("| goal (issue 16) | measured | peer / base | |")
    print("|---|---:|---|---|")
    for g in out:
        print(f"| {g[0]} | {g[1]} | {g[2]} | {g[3]} |")


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
    jf = peer_jellyfish(a.quick)
    if jf:
        peers["kmer"] = jf
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
        elif k.startswith("kmer") and "kmer" in peers:
            peer = f"x{r['throughput'] / peers['kmer']:.0f} jellyfish count -t 2 ({peers['kmer']:.2f} Mbp/CPU-s)"
        rp = r.get("ratio_vs_parasail")
        rs = r.get("ratio_vs_scalar")
        print(f"| {k} | {r['variant']} | {r['throughput']:.3f} | {r['unit']} | "
              f"{'' if rs is None or rs < 0 else f'{rs:.2f}'} | "
              f"{'' if rp is None else f'{rp:.2f}'} | {peer} |")
    goal_table(rows, peers)
    notes = [r for r in rows if r.get("note")]
    if notes:
        print()
        for r in notes:
            print(f"- {r['kernel']} / {r['variant']}: {r['note']}")


if __name__ == "__main__":
    main()
