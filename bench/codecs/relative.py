#!/usr/bin/python3
"""Related genomes stored relative to a reference (`import fasta --codec
cm --relative-to ASM`), in one run beside the same genomes as one
assembly (2bit; cm with the match model into its own first genome) and
the whole-file compressors zstd -19 --long and xz -9 of the same FASTA.

    bench/codecs/relative.py [--build DIR] [--data FASTA[.gz]] [--reps N]
                             [--peers-cache FILE]

Default data: the four S. aureus genomes of ../shared/data. Each genome
goes to a file of its own; the relative rows import the first as the
reference (2bit, or cm without a match model) and the other three
relative to it. Per row: the stored bytes (every segment of the store),
ratio against the FASTA, import wall and CPU seconds (children's
getrusage), the reader's model memory, and random 1 kb reads in process
(bench/codecs/latency.c, gdb_store_read, no cache, 2000 places of the
second genome: wall and the thread's CPU p50 / p99 µs), of --reps runs
the one with the lowest CPU p99 (the machine is shared). Markdown to stdout,
progress to stderr, the load average before and after. No assertion on
any figure. The peers' figures are kept in --peers-cache (default
build/bench-peers.json) as tradeoff.py keeps them.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as R  # noqa: E402

SMALL = []  # the defaults (64 Ki blocks, restart every 2048, 2^22 slots)


def split(fa, work):
    """One FASTA per record of fa, in order."""
    out, f = [], None
    for line in open(fa, "rb"):
        if line.startswith(b">"):
            if f:
                f.close()
            out.append(os.path.join(work, f"g{len(out)}.fa"))
            f = open(out[-1], "wb")
        f.write(line)
    f.close()
    return out


def imports(gdb, store, jobs):
    """Run the imports; (wall s, CPU s)."""
    shutil.rmtree(store, ignore_errors=True)
    subprocess.run([gdb, "init", store], check=True, stdout=subprocess.DEVNULL)
    t, c = time.perf_counter(), R.cpu_children()
    for asm, fa, args in jobs:
        subprocess.run([gdb, "import", "fasta", store, "--assembly", asm, fa,
                        "--quiet", *args], check=True)
    return time.perf_counter() - t, R.cpu_children() - c


def describe(gdb, store):
    r = subprocess.run([gdb, "info", store, "--json"], check=True,
                       stdout=subprocess.PIPE, text=True)
    return {a["name"]: a for a in json.loads(r.stdout)["assemblies"]}


def model_mib(a):
    m = re.search(r"\((\d+) MiB\)", a.get("codec_description", ""))
    return int(m.group(1)) if m else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(R.ROOT, "build"))
    ap.add_argument("--data", default=os.path.join(
        R.SHARED, "genomes/staphylococcus_aureus_4_genomes.fasta.gz"))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--peers-cache")
    a = ap.parse_args()
    gdb = os.path.join(a.build, "genomedb")
    work = tempfile.mkdtemp(prefix="gdb-bench-relative-")
    latbin = R.build_latency(a.build, work)
    fa = os.path.join(work, "in.fa")
    size = R.plain(a.data, fa)
    parts = split(fa, work)
    print(f"data: {os.path.basename(a.data)}, {size} FASTA bytes, "
          f"{len(parts)} genomes; load average before: "
          f"{os.getloadavg()[0]:.1f}\n")
    print("| method | stored bytes | ratio | import wall / CPU s | model MiB "
          "| 1 kb wall p50 / p99 µs | 1 kb CPU p50 / p99 µs |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    cache = a.peers_cache or os.path.join(a.build, "bench-peers.json")
    for label, n, wall, cpu, note in R.peers(a.data, fa,
                                             (R.ZSTD_LONG, R.XZ), cache):
        note = f", {note}" if note else ""
        print(f"| {label} (whole file{note}) | {n:,} | {size / n:.2f} | "
              f"{wall:.0f} / {cpu:.0f} | | no random access | |", flush=True)
    rel = ["--codec", "cm", "--relative-to", "g0"] + SMALL
    rows = [
        ("2bit, one assembly", [("a", fa, [])], "a"),
        ("cm `--cm-match 20`, one assembly (its first genome the reference)",
         [("a", fa, ["--codec", "cm", "--cm-match", "20"] + SMALL)], "a"),
        ("first genome 2bit, the others `--relative-to` it",
         [("g0", parts[0], [])] + [(f"g{i}", p, rel)
                                   for i, p in enumerate(parts) if i], "g1"),
        ("first genome cm (no match model), the others `--relative-to` it",
         [("g0", parts[0], ["--codec", "cm"] + SMALL)] +
         [(f"g{i}", p, rel) for i, p in enumerate(parts) if i], "g1"),
    ]
    for label, jobs, probe in rows:
        R.log(f"genomedb {label}")
        store = os.path.join(work, "s.gdb")
        wall, cpu = imports(gdb, store, jobs)
        info = describe(gdb, store)
        stored = sum(x["stored_bytes"] for x in info.values())
        w50, w99, c50, c99 = R.latency_cpu(latbin, store, a.reps, probe)
        per = ", ".join(f"{n} {x['stored_bytes']:,}" for n, x in info.items())
        R.log(f"  per assembly: {per}")
        print(f"| {label} | {stored:,} | {size / stored:.2f} | {wall:.0f} / "
              f"{cpu:.0f} | {model_mib(info[probe])} | {w50:.0f} / {w99:.0f} "
              f"| {c50:.0f} / {c99:.0f} |", flush=True)
        print(f"<!-- {label}: {per} -->")
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
