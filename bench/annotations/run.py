#!/usr/bin/python3
"""Annotation overlap queries: GenomeDB's interval index beside tabix,
pyranges and bioframe on the same data and regions, in one run, printing a
markdown table with ratios.

    bench/annotations/run.py [--build DIR] [--mbp N] [--queries Q] [--keep DIR]

Data (generated deterministically, seed 20240611): a GENCODE-like GFF3 of
one chromosome of N Mbp (default 249, human chr1's length) at human
density: genes every ~53 kb on average (log-normal lengths, median 24 kb,
up to 2.3 Mb), 1-8 transcripts each, 1-30 exons, CDS on 60% of
transcripts; about 1,100 lines per Mbp, as GENCODE has over the genome.
The reference is an all-N FASTA of that length (its bases are not read).

Each tool answers the same Q random 1 Mbp regions, timed per query, best
of 3 rounds, median reported:
  * GenomeDB in process (bench/annotations/query.c): the index query
    alone, and the query rendered as the mount's .bed and .gff3 files;
  * tabix in process (pysam.TabixFile.fetch on the sorted, bgzipped GFF3,
    iterating the lines) and the tabix command (one process per region);
  * pyranges (0.0.x, Debian): PyRanges.overlap of a one-interval PyRanges;
  * bioframe: bioframe.select of the region from the features' DataFrame.
Peers answer with their own objects (lines, frames); counts must agree.

Markdown goes to stdout, progress to stderr.
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEED = 20240611


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def gen_gff3(path, mbp, rng):
    """A GENCODE-like chromosome 'chr1' of mbp Mbp; returns line count."""
    length = int(mbp * 1_000_000)
    n = 0
    with open(path, "w") as f:
        f.write("##gff-version 3\n")
        pos = rng.randint(1, 50_000)
        g = 0
        while pos < length - 10_000:
            g += 1
            glen = min(int(rng.lognormvariate(10.1, 1.2)) + 500, 2_300_000, length - pos - 1)
            gend = pos + glen - 1
            strand = rng.choice("+-")
            gid = f"G{g:06d}"
            f.write(f"chr1\tbench\tgene\t{pos}\t{gend}\t.\t{strand}\t.\tID={gid};Name=GENE{g}\n")
            n += 1
            for t in range(rng.choice([1, 1, 2, 2, 3, 4, 5, 8])):
                tid = f"{gid}.{t}"
                nex = max(1, min(30, int(rng.expovariate(1 / 9)) + 1))
                cuts = sorted(rng.sample(range(pos, gend + 1), min(2 * nex, glen)))
                ex = [(cuts[i], max(cuts[i], cuts[i + 1] - 1)) for i in range(0, len(cuts) - 1, 2)]
                tb, te = ex[0][0], ex[-1][1]
                f.write(f"chr1\tbench\tmRNA\t{tb}\t{te}\t.\t{strand}\t.\tID={tid};Parent={gid}\n")
                n += 1
                coding = rng.random() < 0.6
                for k, (b, e) in enumerate(ex):
                    f.write(f"chr1\tbench\texon\t{b}\t{e}\t.\t{strand}\t.\tParent={tid}\n")
                    n += 1
                    if coding and 0 < k < len(ex) - 1:
                        f.write(f"chr1\tbench\tCDS\t{b}\t{e}\t.\t{strand}\t0\tParent={tid}\n")
                        n += 1
            pos += int(rng.expovariate(1 / 42_000)) + 1000
    return n, length


def timed(fn, regions, rounds=3):
    best = [float("inf")] * len(regions)
    counts = None
    for _ in range(rounds):
        got = []
        for i, r in enumerate(regions):
            t0 = time.perf_counter()
            got.append(fn(*r))
            best[i] = min(best[i], time.perf_counter() - t0)
        counts = counts or got
    return statistics.median(best), counts


def fmt(s):
    return f"{s * 1e3:.3f} ms" if s >= 1e-4 else f"{s * 1e6:.1f} µs"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.environ.get("GENOMEDB_BUILD", os.path.join(REPO, "build")))
    ap.add_argument("--mbp", type=float, default=248.956422)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--keep")
    a = ap.parse_args()
    work = a.keep or tempfile.mkdtemp(prefix="gdb-annot-bench-")
    os.makedirs(work, exist_ok=True)
    rng = random.Random(SEED)
    gdb = os.path.join(a.build, "genomedb")
    gff = os.path.join(work, "chr1.gff3")
    log("generating", gff)
    nlines, length = gen_gff3(gff, a.mbp, rng)
    fa = os.path.join(work, "ref.fa")
    with open(fa, "w") as f:
        f.write(">chr1\n")
        line = "N" * 60 + "\n"
        f.write(line * (length // 60) + "N" * (length % 60) + ("\n" if length % 60 else ""))
    store = os.path.join(work, "s.gdb")
    shutil.rmtree(store, ignore_errors=True)
    subprocess.run([gdb, "init", store], check=True)
    subprocess.run([gdb, "import", "fasta", store, "--assembly", "hg", fa, "-q"], check=True)
    t0 = time.perf_counter()
    subprocess.run([gdb, "import", "annotations", store, "--set", "bench", "--reference", "hg",
                    gff, "-q"], check=True)
    t_import = time.perf_counter() - t0
    # peers' inputs
    body = [x for x in open(gff) if not x.startswith("#")]
    body.sort(key=lambda x: int(x.split("\t")[3]))
    gz = os.path.join(work, "sorted.gff3")
    with open(gz, "w") as f:
        f.writelines(body)
    subprocess.run(["bgzip", "-f", gz], check=True)
    subprocess.run(["tabix", "-f", "-p", "gff", gz + ".gz"], check=True)
    regions = []
    for _ in range(a.queries):
        b = rng.randint(0, length - 1_000_000)
        regions.append(("chr1", b, b + 1_000_000))
    rf = os.path.join(work, "regions.txt")
    with open(rf, "w") as f:
        f.writelines(f"{c} {b} {e}\n" for c, b, e in regions)
    exe = os.path.join(work, "query")
    libs = subprocess.run(["pkg-config", "--libs", "fuse3"], capture_output=True, text=True).stdout.split()
    subprocess.run(["cc", "-O2", "-I", REPO, "-o", exe,
                    os.path.join(REPO, "bench", "annotations", "query.c"),
                    os.path.join(a.build, "libgenomedb.a"), *libs, "-lhts", "-lzstd", "-lz",
                    "-lcrypto", "-luring", "-lpthread", "-lm"], check=True)
    g = json.loads(subprocess.run([exe, store, "bench", rf, "3"], check=True, capture_output=True,
                                  text=True).stdout)
    rows = [("GenomeDB index query (in process)", g["query_median_s"], g["hits"] / len(regions)),
            ("GenomeDB query + .bed rendered", g["bed_median_s"], None),
            ("GenomeDB query + .gff3 rendered", g["gff3_median_s"], None)]
    import pysam
    tbx = pysam.TabixFile(gz + ".gz")
    t, c = timed(lambda ch, b, e: sum(1 for _ in tbx.fetch(ch, b, e)), regions)
    rows.append(("tabix in process (pysam.TabixFile.fetch)", t, statistics.mean(c)))
    t, c = timed(lambda ch, b, e: subprocess.run(["tabix", gz + ".gz", f"{ch}:{b + 1}-{e}"],
                                                 capture_output=True).stdout.count(b"\n"),
                 regions[:50], rounds=1)
    rows.append(("tabix command (a process per region)", t, None))
    try:
        import numpy as np
        import pandas as pd
        df = pd.DataFrame({"Chromosome": "chr1",
                           "Start": np.array([int(x.split("\t")[3]) - 1 for x in body]),
                           "End": np.array([int(x.split("\t")[4]) for x in body])})
        import pyranges as pr
        gr = pr.PyRanges(df)
        t, c = timed(lambda ch, b, e: len(gr.overlap(pr.PyRanges(chromosomes=[ch], starts=[b],
                                                                  ends=[e]))), regions)
        rows.append(("pyranges PyRanges.overlap", t, statistics.mean(c)))
    except Exception as ex:  # noqa: BLE001 (a peer missing or failing)
        log("pyranges:", repr(ex))
    try:
        import bioframe as bf
        bdf = pd.DataFrame({"chrom": "chr1", "start": df["Start"], "end": df["End"]})
        t, c = timed(lambda ch, b, e: len(bf.select(bdf, (ch, b, e))), regions)
        rows.append(("bioframe.select", t, statistics.mean(c)))
    except Exception as ex:  # noqa: BLE001
        log("bioframe:", repr(ex))
    base = rows[0][1]
    print(f"Human-density annotation: {nlines:,} GFF3 lines on one {length / 1e6:.1f} Mbp "
          f"chromosome ({nlines / (length / 1e6):.0f} lines/Mbp); import {t_import:.1f} s; "
          f"{len(regions)} random 1 Mbp regions, median of per-region best of 3.\n")
    print("| tool | time per 1 Mbp query | vs GenomeDB index | features per query |")
    print("|---|---:|---:|---:|")
    for name, t, n in rows:
        print(f"| {name} | {fmt(t)} | {t / base:.1f}x | {'' if n is None else f'{n:.0f}'} |")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
