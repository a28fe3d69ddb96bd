#!/usr/bin/python3
"""The cm codec's ratio / random-access trade-off, in one run: per block
size, restart interval and model size, the stored bytes, ratio against
the FASTA and in-process random 1 kb decode latency (p50 / p99 of
gdb_store_read, no cache, bench/codecs/latency.c: wall clock, and the
thread's CPU time, which a loaded machine does not inflate), beside
2-bit, and the
whole-file compressors zstd -19 --long and xz -9 of the same FASTA (no
random access).

    bench/codecs/tradeoff.py [--build DIR] [--data FASTA[.gz]] [--quick]

Default data: human GRCh37 chr20 from ../shared/data; --quick: E. coli
and fewer settings. Markdown to stdout, progress to stderr. The figures
include the machine's load at the time: compare rows of one run.
"""
import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as R  # noqa: E402

# label, import args
CM = [
    ("8 Ki-base blocks, no restart points (the former default)",
     ["--block-bases", "8192", "--cm-restart", "8192"]),
    ("64 Ki blocks, restart every 4096", ["--cm-restart", "4096"]),
    ("64 Ki blocks, restart every 2048 (default)", []),
    ("64 Ki blocks, restart every 1024", ["--cm-restart", "1024"]),
    ("restart 2048, 2^20-slot tables (a quarter of the model memory)",
     ["--cm-table-bits", "20"]),
]
QUICK = {0, 2, 3}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(R.ROOT, "build"))
    ap.add_argument("--data")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    src = a.data or os.path.join(R.SHARED, "genomes/human_GRCh37_chr20.fa.gz"
                                 if not a.quick else
                                 "genomes/ecoli_K12_MG1655_NC_000913.3.fna.gz")
    gdb = os.path.join(a.build, "genomedb")
    work = tempfile.mkdtemp(prefix="gdb-bench-tradeoff-")
    lat = R.build_latency(a.build, work)
    fa = os.path.join(work, "in.fa")
    size = R.plain(src, fa)
    print(f"data: {os.path.basename(src)}, {size} FASTA bytes\n")
    print("| method | stored bytes | ratio | import s | 1 kb wall p50 / p99 us "
          "| 1 kb CPU p50 / p99 us |")
    print("|---|---:|---:|---:|---:|---:|")
    rows = [("2bit", "2bit", [])] + [
        (f"cm: {lab}", "cm", args) for i, (lab, args) in enumerate(CM)
        if not a.quick or i in QUICK]
    for label, codec, args in rows:
        R.log(f"genomedb {label}")
        store, stored, el = R.gdb_import(gdb, work, fa, codec, args)
        w50, w99, c50, c99 = R.latency_cpu(lat, store)
        shutil.rmtree(store)
        print(f"| {label} | {stored} | {size / stored:.2f} | {el:.0f} | "
              f"{w50:.0f} / {w99:.0f} | {c50:.0f} / {c99:.0f} |", flush=True)
    for label, cmd in (("zstd -19 --long", ["zstd", "-19", "--long=27", "-c", "-T1"]),
                       ("xz -9", ["xz", "-9", "-c", "-T1"])):
        R.log(label)
        n, el = R.comp(cmd, fa)
        print(f"| {label} (whole file) | {n} | {size / n:.2f} | {el:.0f} | "
              "no random access | |", flush=True)
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
