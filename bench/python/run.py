#!/usr/bin/python3
"""Python package benchmarks: genomedb (python/genomedb, in process, no
mount) beside python3-bioframe, python3-pyranges, python3-pyfaidx and
python3-pysam on the same inputs, in one run; prints a markdown table with
ratios (peer time / GenomeDB time, best of REPS, CPU time of the one
Python thread).

Data (deterministic, seed 13):
  * interval operations: 100,000 random 100-1,000 bp intervals on the
    Arabidopsis 1% genome against the 26,474 features of its GFF
    (../shared/data/annotation); overlap join (a full data frame of both
    sides' columns), overlap counts per interval, nearest feature;
  * sequences: 100,000 random 100-300 bp regions of human GRCh37 chr20
    (63 Mbp), fetched as Python str; pysam on the plain FASTA (random
    order and sorted) and on the bgzip file, pyfaidx on the plain FASTA.

    bench/python/run.py [--reps 3] [--n 100000] [--keep DIR]
"""
import argparse
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("GENOMEDB_BUILD", os.path.join(REPO, "build"))
sys.path.insert(0, os.path.join(REPO, "python"))
os.environ.setdefault("GENOMEDB_BUILD", BUILD)
import genomedb  # noqa: E402

SHARED = os.path.join(os.path.dirname(REPO), "shared", "data")
if not os.path.isdir(SHARED):
    SHARED = "/work/shared/data"
ATHAL = os.path.join(SHARED, "genomes", "arabidopsis_thaliana_1pct.fa.gz")
GFF = os.path.join(SHARED, "annotation", "arabidopsis_thaliana_1pct.gff.gz")
CHR20 = os.path.join(SHARED, "genomes", "human_GRCh37_chr20.fa.gz")   # bgzip + .fai/.gzi


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def best(fn, reps):
    """Best of reps in CPU seconds of this process (time.process_time):
    every row here runs in this one thread, and on a shared, loaded machine
    CPU time is steadier than wall time."""
    ts, out = [], None
    for _ in range(reps):
        t = time.process_time()
        out = fn()
        ts.append(time.process_time() - t)
    return min(ts), out


def gdb(*a):
    subprocess.run([os.path.join(BUILD, "genomedb"), *map(str, a)], check=True,
                   capture_output=True)


def plain(src, tmp):
    out = os.path.join(tmp, os.path.basename(src).replace(".gz", ""))
    with gzip.open(src, "rb") as f, open(out, "wb") as g:
        shutil.copyfileobj(f, g)
    return out


def intervals(contigs, n, lo, hi, seed):
    rng = np.random.default_rng(seed)
    names = list(contigs)
    lens = np.array([contigs[c] for c in names])
    pick = rng.choice(len(names), n, p=lens / lens.sum())
    width = rng.integers(lo, hi + 1, n)
    start = (rng.random(n) * np.maximum(lens[pick] - width, 1)).astype(np.int64) + 1
    return pd.DataFrame({"chrom": np.array(names)[pick], "start": start,
                         "end": start + width - 1})


def row(table, what, mine, peers):
    cells = [f"{t * 1000:.0f} ms ({t / mine:.1f}x)" if t is not None else "n/a"
             for t in peers]
    table.append(f"| {what} | {mine * 1000:.1f} ms | " + " | ".join(cells) + " |")


def bench_intervals(s, reps, n, table):
    import bioframe
    import pyranges
    a = s["athal"]
    gff = pd.read_csv(GFF, sep="\t", comment="#", header=None, usecols=[0, 3, 4],
                      names=["chrom", "start", "end"])
    q = intervals({c: l for c, l in a.contigs.items() if c in set(gff.chrom)}, n, 100, 1000, 13)
    bq = q.assign(start=q.start - 1)
    bg = gff.assign(start=gff.start - 1)
    pq = pyranges.PyRanges(bq.rename(columns={"chrom": "Chromosome", "start": "Start",
                                              "end": "End"}))
    pg = pyranges.PyRanges(bg.rename(columns={"chrom": "Chromosome", "start": "Start",
                                              "end": "End"}))
    t_g, j = best(lambda: q.genomedb.overlap(gff), reps)
    t_b, jb = best(lambda: bioframe.overlap(bq, bg, how="inner"), reps)
    t_p, jp = best(lambda: pq.join(pg), reps)
    assert len(j) == len(jb) == len(jp), (len(j), len(jb), len(jp))
    row(table, f"overlap join ({len(j):,} rows; int64 coordinates kept)", t_g, [t_p, t_b])
    # pyranges keeps Start/End as int32 (its join answers int32 columns):
    # the same frames with int32 coordinates, which genomedb keeps as given
    q32 = q.astype({"start": np.int32, "end": np.int32})
    g32 = gff.astype({"start": np.int32, "end": np.int32})
    t_32, j32 = best(lambda: q32.genomedb.overlap(g32), reps)
    assert len(j32) == len(j) and j32["start_other"].dtype == np.int32
    row(table, "the same join, int32 coordinates (as pyranges stores them)", t_32, [t_p, t_b])
    an = s.annotations("tair")
    t_a, ja = best(lambda: an.overlap(q), reps)
    assert len(ja) == len(j)
    row(table, "the same join on the stored annotation set (its index; + feature, strand, "
        "type)", t_a, [t_p, t_b])
    t_a, ja = best(lambda: an.overlap(q32), reps)
    assert len(ja) == len(j)
    row(table, "the same on the annotation set, int32 query coordinates", t_a, [t_p, t_b])
    t_g, c = best(lambda: q.genomedb.count_overlaps(gff), reps)
    t_b, cb = best(lambda: bioframe.count_overlaps(bq, bg), reps)
    t_p, cp = best(lambda: pq.count_overlaps(pg), reps)
    assert c.tolist() == cb["count"].tolist() and int(c.sum()) == int(cp.df["NumberOverlaps"].sum())
    row(table, "count overlaps", t_g, [t_p, t_b])
    t_g, nn = best(lambda: q.genomedb.nearest(gff), reps)
    t_b, nb = best(lambda: bioframe.closest(bq, bg, return_index=True), reps)
    nb = nb.sort_values("index")
    if "long" not in vars(np):      # Debian's pyranges 0.0.111 calls np.long
        np.long = np.int64          # (hasattr(np, "long") warns: FutureWarning)
    try:
        t_p, _ = best(lambda: pq.nearest(pg), reps)
    except Exception as e:
        log(f"pyranges nearest failed: {e!r}")
        t_p = None
    assert nn["distance"].astype(int).tolist() == nb["distance"].astype(int).tolist()
    row(table, "nearest", t_g, [t_p, t_b])


def _each(x):
    """Touch every item of a lazy Sequences, one str at a time."""
    for i in range(len(x)):
        x[i]
    return x


def bench_sequences(s, reps, n, tmp, table):
    import pyfaidx
    import pysam
    a = s["chr20"]
    c = list(a.contigs)[0]
    q = intervals({c: a.contigs[c]}, n, 100, 300, 14)
    fa_plain = plain(CHR20, tmp)
    fx = pyfaidx.Fasta(fa_plain, sequence_always_upper=False, as_raw=True)
    ps, pb = pysam.FastaFile(fa_plain), pysam.FastaFile(CHR20)
    rows = list(zip(q.start.tolist(), q.end.tolist()))
    srt = sorted(rows)
    t_lazy, lz = best(lambda: q.genomedb.sequences(a, lazy=True), reps)
    t_all, _ = best(lambda: list(q.genomedb.sequences(a, lazy=True)), reps)
    t_each, _ = best(lambda: _each(q.genomedb.sequences(a, lazy=True)), reps)
    t_g, sq = best(lambda: q.genomedb.sequences(a), reps)
    # CPython's own floor: the same 100,000 str split out of one str
    # already in memory (no GenomeDB, no pandas)
    text = "\n".join(sq.tolist())
    t_floor, _ = best(lambda: text.split("\n"), reps)
    t_fx, fs = best(lambda: [fx[c][b - 1:e] for b, e in rows], reps)
    t_ps, ss = best(lambda: [ps.fetch(c, b - 1, e) for b, e in rows], reps)
    t_pss, _ = best(lambda: [ps.fetch(c, b - 1, e) for b, e in srt], reps)
    t_pb, _ = best(lambda: [pb.fetch(c, b - 1, e) for b, e in rows[:n // 10]], 1)
    assert sq.tolist() == fs == ss == list(lz) and lz[n // 2] == fs[n // 2]
    table.append(f"| {n:,} sequences 100-300 bp, lazy (`sequences(a, lazy=True)`: one buffer, "
                 f"no str made) | {t_lazy * 1000:.1f} ms | | |")
    table.append(f"| the same, then every item made a str at once (`list(x)`) | "
                 f"{t_all * 1000:.1f} ms | | |")
    table.append(f"| the same, then every item made a str one by one (`x[i]` for each i) | "
                 f"{t_each * 1000:.1f} ms | | |")
    table.append(f"| CPython alone: the same {n:,} str split out of one str in memory "
                 f"(`text.split(\"\\n\")`) | {t_floor * 1000:.1f} ms | | |")
    table.append(f"| {n:,} sequences 100-300 bp (chr20) | {t_g * 1000:.1f} ms | "
                 f"pyfaidx {t_fx * 1000:.0f} ms ({t_fx / t_g:.1f}x) | "
                 f"pysam {t_ps * 1000:.0f} ms ({t_ps / t_g:.1f}x), sorted {t_pss * 1000:.0f} ms "
                 f"({t_pss / t_g:.1f}x), bgzip {t_pb * 10000:.0f} ms ({t_pb * 10 / t_g:.0f}x, "
                 f"from {n // 10:,} x 10) |")
    t_gc, _ = best(lambda: q.genomedb.gc(a), reps)
    t_m, _ = best(lambda: q.genomedb.motif_counts(a, "GAATTC"), reps)
    table.append(f"| GC of the same {n:,} (C, one call) | {t_gc * 1000:.1f} ms | | |")
    table.append(f"| GAATTC counts of the same {n:,} | {t_m * 1000:.1f} ms | | |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--keep")
    o = ap.parse_args()
    tmp = o.keep or tempfile.mkdtemp(prefix="gdb-pybench-")
    os.makedirs(tmp, exist_ok=True)
    store = os.path.join(tmp, "py.gdb")
    if not os.path.isdir(store):
        log("importing athal and chr20 ...")
        gdb("init", store)
        gdb("import", "fasta", store, "--assembly", "athal", ATHAL, "--quiet")
        gdb("import", "fasta", store, "--assembly", "chr20", CHR20, "--quiet")
        gdb("import", "annotations", store, "--set", "tair", "--reference", "athal", GFF,
            "--allow-orphans", "--quiet")
    table = ["### Python package: data frames and sequences (in process, CPU ms)", "",
             "| operation | genomedb | pyranges (ratio) | bioframe (ratio) |",
             "|---|---:|---:|---:|"]
    with genomedb.open(store) as s:
        bench_intervals(s, o.reps, o.n, table)
        table += ["", "| operation | genomedb | pyfaidx (ratio) | pysam (ratio) |",
                  "|---|---:|---:|---:|"]
        bench_sequences(s, o.reps, o.n, tmp, table)
    table += ["", f"load average at the end: {os.getloadavg()[0]:.1f} "
              f"(1 min), {os.getloadavg()[1]:.1f} (5 min)"]
    print("\n".join(table))
    if not o.keep:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
