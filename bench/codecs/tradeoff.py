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
                             [--related] [--rows restart,model,match]
                             [--peers-cache FILE] [--peers-only]
                             [--peers-after]
                             [--reps N]

Default data: human GRCh37 chr20 from ../shared/data; --quick: E. coli
and fewer settings; --related: the four S. aureus genomes, with the match
model (--cm-match) beside the plain cm. --rows picks the kinds of cm rows
(restart, model, small, match: restart points, model sizes, a smaller
one, the match model; default all). Each row gives
the model's memory (its tables, and the match model's reference) and its
stored bytes, the import's wall and CPU seconds (its processes' user +
system time) and MB of FASTA a CPU second; the peers' likewise. Markdown to stdout, progress to stderr, the load average
before and after. The figures include the machine's load at the time:
compare rows of one run. Latency: of --reps runs (default 3) of the
same 2,000 places, the one with the lowest CPU p99. The peers run first and their figures are kept
in --peers-cache (default build/bench-peers.json) for the next run on the
same file: the table then says which were kept (--peers-only: run them
and stop, to fill the cache ahead of a run; --peers-after: the peers
after the GenomeDB rows, while the cache is being filled).
"""
import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as R  # noqa: E402

GDB = "genomedb"

# kind, label, import args
CM = [
    ("", "64 Ki blocks, restart every 1024, 2^22-slot tables (default)",
     []),
    ("restart", "64 Ki blocks, restart every 2048 (the former default)",
     ["--cm-restart", "2048"]),
    ("model", "2^20-slot tables", ["--cm-table-bits", "20"]),
    ("model", "2^24-slot tables", ["--cm-table-bits", "24"]),
    ("restart", "8 Ki-base blocks, no restart points",
     ["--block-bases", "8192", "--cm-restart", "8192"]),
    ("restart", "64 Ki blocks, restart every 512", ["--cm-restart", "512"]),
    ("small", "2^18-slot tables", ["--cm-table-bits", "18"]),
    ("restart", "64 Ki blocks, restart every 4096", ["--cm-restart", "4096"]),
    ("model", "orders 2,3,4,8,12,16,20 (7 models)",
     ["--cm-orders", "2,3,4,8,12,16,20"]),
    ("match", "match model (24 bases) into the first quarter",
     ["--cm-match", "24"]),
]
QUICK = {0, 1, 4}
RELATED = [
    ("", "default (no match model)", []),
    ("match", "match model (20 bases) into the first quarter",
     ["--cm-match", "20"]),
    ("match", "match model (16 bases)", ["--cm-match", "16"]),
    ("match", "match model (20), restart every 8192",
     ["--cm-match", "20", "--cm-restart", "8192"]),
    ("model", "match model (20), 2^18-slot tables",
     ["--cm-match", "20", "--cm-table-bits", "18"]),
]


def model_mib(store):
    """The model's memory and stored bytes, from `genomedb info`."""
    import json
    import re
    import subprocess
    r = subprocess.run([GDB, "info", store, "--json"], check=True,
                       stdout=subprocess.PIPE, text=True)
    a = json.loads(r.stdout)["assemblies"][0]
    m = re.search(r"\((\d+) MiB\)", a.get("codec_description", ""))
    return (m.group(1) if m else "0"), a["model_bytes"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(R.ROOT, "build"))
    ap.add_argument("--data")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--related", action="store_true")
    ap.add_argument("--rows", default="restart,model,small,match")
    ap.add_argument("--peers-cache")
    ap.add_argument("--peers-only", action="store_true")
    ap.add_argument("--peers-after", action="store_true")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    src = a.data or os.path.join(
        R.SHARED, "genomes/staphylococcus_aureus_4_genomes.fasta.gz"
        if a.related else "genomes/human_GRCh37_chr20.fa.gz"
        if not a.quick else "genomes/ecoli_K12_MG1655_NC_000913.3.fna.gz")
    global GDB
    gdb = GDB = os.path.join(a.build, "genomedb")
    work = tempfile.mkdtemp(prefix="gdb-bench-tradeoff-")
    fa = os.path.join(work, "in.fa")
    size = R.plain(src, fa)
    kinds = set(a.rows.split(",")) | {""}
    print(f"data: {os.path.basename(src)}, {size} FASTA bytes; load average "
          f"before: {os.getloadavg()[0]:.1f}\n")
    print("| method | model MiB (stored bytes) | stored bytes | ratio "
          "| import s wall (CPU) | import MB/s of CPU "
          "| 1 kb wall p50 / p99 us | 1 kb CPU p50 / p99 us |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    cache = a.peers_cache or os.path.join(a.build, "bench-peers.json")

    def peer_rows():
        for label, n, el, cpu, note in R.peers(src, fa, (R.ZSTD_LONG, R.XZ),
                                               cache):
            note = f", {note}" if note else ""
            print(f"| {label} (whole file{note}) | | {n} | {size / n:.2f} "
                  f"| {el:.0f} ({cpu:.0f}) | {size / 1e6 / cpu:.1f} "
                  "| no random access | |", flush=True)
    if not a.peers_after:
        peer_rows()
    if a.peers_only:
        shutil.rmtree(work)
        return
    lat = R.build_latency(a.build, work)
    rows = [("2bit", "2bit", [])] + [
        (f"cm: {lab}", "cm", args)
        for i, (kind, lab, args) in enumerate(RELATED if a.related else CM)
        if kind in kinds and (not a.quick or i in QUICK)]
    for label, codec, args in rows:
        R.log(f"genomedb {label}")
        c0 = R.cpu_children()
        store, stored, el = R.gdb_import(gdb, work, fa, codec, args)
        cpu = R.cpu_children() - c0
        mib, mbytes = model_mib(store)
        w50, w99, c50, c99 = R.latency_cpu(lat, store, a.reps)
        shutil.rmtree(store)
        print(f"| {label} | {mib} ({mbytes}) | {stored} | {size / stored:.2f} "
              f"| {el:.0f} ({cpu:.0f}) | {size / 1e6 / max(cpu, 0.01):.1f} "
              f"| {w50:.0f} / {w99:.0f} | {c50:.0f} / {c99:.0f} |",
              flush=True)
    if a.peers_after:
        peer_rows()
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
