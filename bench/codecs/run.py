#!/usr/bin/python3
"""Sequence codec benchmarks: GenomeDB's codecs per alphabet beside
zstd -19, zstd -19 --long, xz -9 and bgzip of the same FASTA, in one run.

    bench/codecs/run.py [--build DIR] [--quick] [--proteins N]

For each data set (../shared/data when present, else tests/data): the
FASTA's bytes; each GenomeDB codec's stored bytes (segment file), ratio
against the FASTA, import MB/s, and random region decode latency in
process (bench/codecs/latency.c: p50/p99 of gdb_store_read of 1 kb at
random places, no cache; per-record lookups by name for protein/RNA
sets); and each compressor's bytes and ratio (compressing, whole file, no
random access). With --proteins N a protein database of N records is
generated deterministically from the real proteomes (records drawn and
mutated, seed 14; the same file bench/mount/protein_db.py reads, made once
a run: bench/inputs.py) and its import MB/s set beside the DNA import's.
Markdown to stdout, progress to stderr. No assertion on any figure.
"""
import argparse
import gzip
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
import inputs  # noqa: E402  (the generated inputs shared by a run's scripts)

SHARED = os.path.join(ROOT, "..", "..", "shared", "data")
if not os.path.isdir(SHARED):
    SHARED = "/work/shared/data"

SETS = [  # name, file, codecs (and their options), lookups by name
    ("human chr20", "genomes/human_GRCh37_chr20.fa.gz", ["2bit", "cm"], False),
    ("E. coli", "genomes/ecoli_K12_MG1655_NC_000913.3.fna.gz", ["2bit", "cm"], False),
    ("S. aureus x4", "genomes/staphylococcus_aureus_4_genomes.fasta.gz",
     ["2bit", "cm", "cm --cm-match 20"], False),
    ("16S rRNA", "rna/rRNA16S_gold.fasta.gz", ["2bit", "cm"], True),
    ("miRBase hairpin (RNA)", "rna/mirbase_hairpin.fa.gz", ["2bit", "cm"], True),
    ("E. coli proteome", "protein/ecoli_K12_MG1655_proteins.faa", ["protein"], True),
]
QUICK = {"E. coli", "S. aureus x4", "E. coli proteome", "miRBase hairpin (RNA)"}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def plain(src, dst):
    op = gzip.open if src.endswith(".gz") else open
    with op(src, "rb") as f, open(dst, "wb") as g:
        shutil.copyfileobj(f, g)
    return os.path.getsize(dst)


def comp(cmd, path):
    """(bytes written, wall s, CPU s) of one compressor run: the CPU of
    that process alone (wait4), so runs side by side do not mix."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd + [path], stdout=subprocess.PIPE)
    n = 0
    for chunk in iter(lambda: p.stdout.read(1 << 20), b""):
        n += len(chunk)
    p.stdout.close()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise subprocess.CalledProcessError(p.returncode, cmd + [path])
    return n, time.perf_counter() - t, ru.ru_utime + ru.ru_stime


# whole-file compressors (no random access): label, command (file last)
ZSTD = ("zstd -19", ["zstd", "-19", "-c", "-T1"])
ZSTD_LONG = ("zstd -19 --long", ["zstd", "-19", "--long=27", "-c", "-T1"])
XZ = ("xz -9", ["xz", "-9", "-c", "-T1"])
BGZIP = ("bgzip", ["bgzip", "-c", "-@1"])


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def peers(src, fa, cmds, cache=None, jobs=1):
    """Each compressor's (label, bytes, wall s, CPU s, note) on fa, a
    plain copy of src. With cache (a JSON file), a figure kept from an
    earlier run on the same source (path and size) and command is reused
    (note: when it was measured, and the load then), and new ones are
    kept: the slow peers (zstd --long, xz of a chromosome) then run once a
    machine, not once a benchmark. jobs > 1 runs that many compressors
    at a time (for a caller that uses the sizes only: side by side, each
    one's wall time is the shared machine's)."""
    kept = {}
    if cache and os.path.exists(cache):
        with open(cache) as f:
            kept = json.load(f)
    keys = [f"{os.path.abspath(src)}|{os.path.getsize(fa)}|{' '.join(cmd)}" for _, cmd in cmds]

    def run(i):
        log(cmds[i][0])
        load = os.getloadavg()[0]
        n, el, cpu = comp(cmds[i][1], fa)
        return [n, el, cpu, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                f"{load:.0f}-{os.getloadavg()[0]:.0f}"]
    new = [i for i, k in enumerate(keys) if k not in kept]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for i, v in zip(new, pool.map(run, new)):
            kept[keys[i]] = v
            if cache:
                with open(cache + ".tmp", "w") as f:
                    json.dump(kept, f, indent=1)
                os.replace(cache + ".tmp", cache)
    out = []
    for i, (label, _) in enumerate(cmds):
        note = ""
        if i not in new:
            log(f"{label}: kept from an earlier run ({cache})")
            note = f"measured {kept[keys[i]][3]}, load {kept[keys[i]][4]}"
        out.append((label, *kept[keys[i]][:3], note))
    return out


def gdb_import(gdb, work, fa, codec, extra=()):
    store = os.path.join(work, "s-" + codec)
    shutil.rmtree(store, ignore_errors=True)
    subprocess.run([gdb, "init", store], check=True, stdout=subprocess.DEVNULL)
    t = time.perf_counter()
    subprocess.run([gdb, "import", "fasta", store, "--assembly", "a", fa,
                    "--codec", codec, "--quiet", *extra], check=True)
    el = time.perf_counter() - t
    r = subprocess.run([gdb, "info", store, "--json"], check=True,
                       stdout=subprocess.PIPE, text=True)
    a = json.loads(r.stdout)["assemblies"][0]
    return store, a["stored_bytes"], el


def build_latency(build, work):
    lat = os.path.join(work, "latency")
    subprocess.run(["cc", "-O2", "-I", ROOT, "-o", lat,
                    os.path.join(HERE, "latency.c"),
                    os.path.join(build, "libgenomedb.a"), "-lzstd", "-lz",
                    "-lcrypto", "-luring", "-lpthread", "-lm"], check=True)
    return lat


def latency(lat, store, names):
    args = [lat, store, "a", "1000", "2000"] + (["names"] if names else [])
    r = subprocess.run(args, check=True, stdout=subprocess.PIPE, text=True)
    p50, p99 = (float(x) for x in r.stdout.split()[:2])
    return p50, p99


def latency_cpu(lat, store, reps=1, asm="a"):
    """Wall and CPU p50 / p99 of random 1 kb reads (2,000 places, the
    same each run): of reps runs, the one with the lowest CPU p99 (the
    machine is shared: the others had more interference)."""
    best = None
    for _ in range(reps):
        r = subprocess.run([lat, store, asm, "1000", "2000"], check=True,
                           stdout=subprocess.PIPE, text=True)
        w50, w99, _, c50, c99 = (float(x) for x in r.stdout.split())
        if best is None or c99 < best[3]:
            best = (w50, w99, c50, c99)
    return best


PROTEOMES = ("protein/ecoli_K12_MG1655_proteins.faa",
             "protein/dictyostelium_swissprot.faa.gz")


def proteins(n, out):
    """n records drawn from the real proteomes, each mutated a little."""
    recs = []
    for f in PROTEOMES:
        p = os.path.join(SHARED, f)
        op = gzip.open if p.endswith(".gz") else open
        with op(p, "rt") as h:
            name, seq = None, []
            for line in h:
                if line.startswith(">"):
                    if name:
                        recs.append("".join(seq))
                    name, seq = line, []
                else:
                    seq.append(line.strip())
            recs.append("".join(seq))
    rng = random.Random(14)
    aa = "ACDEFGHIKLMNPQRSTVWY"
    with open(out, "w") as g:
        for i in range(n):
            s = list(rng.choice(recs))
            for _ in range(max(1, len(s) // 50)):
                s[rng.randrange(len(s))] = rng.choice(aa)
            s = "".join(s)
            g.write(f">P{i:07d} synthetic protein {i} from the E. coli and "
                    f"D. discoideum proteomes\n")
            for k in range(0, len(s), 60):
                g.write(s[k:k + 60] + "\n")


def make_proteins(d, n):
    """bench/inputs.py's maker of the protein set."""
    log(f"generating {n} proteins")
    proteins(n, os.path.join(d, "prot.fa"))


def protein_input(work, n):
    """The FASTA of n generated proteins, made once a run for this script
    and bench/mount/protein_db.py (bench/inputs.py: under
    $GENOMEDB_BENCH_INPUTS, which `make bench` sets, else in work)."""
    d = inputs.shared("proteins", make_proteins, {"n": n}, code=(make_proteins, proteins),
                      sources=[os.path.join(SHARED, f) for f in PROTEOMES], work=work, log=log)
    return os.path.join(d, "prot.fa")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--proteins", type=int, default=0)
    a = ap.parse_args()
    gdb = os.path.join(a.build, "genomedb")
    work = tempfile.mkdtemp(prefix="gdb-bench-codecs-")
    lat = build_latency(a.build, work)
    print("| data | FASTA bytes | method | stored bytes | ratio | import MB/s "
          "| 1 kb (or record) p50 / p99 us |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for name, f, codecs, names in SETS:
        if a.quick and name not in QUICK:
            continue
        fa = os.path.join(work, "in.fa")
        size = plain(os.path.join(SHARED, f), fa)
        rows = []
        for c in codecs:
            log(f"{name}: genomedb {c}")
            codec, *extra = c.split()
            store, stored, el = gdb_import(gdb, work, fa, codec, extra)
            p50, p99 = latency(lat, store, names)
            rows.append((f"genomedb {c}", stored, size / el / 1e6,
                         f"{p50:.0f} / {p99:.0f}"))
            shutil.rmtree(store)
        # sizes only: the compressors (one thread each) run side by side
        for label, n, _, _, _ in peers(os.path.join(SHARED, f), fa,
                                    (ZSTD, ZSTD_LONG, XZ, BGZIP), jobs=os.cpu_count() or 1):
            rows.append((label, n, None, "whole file"))
        for m, n, mbs, l in rows:
            print(f"| {name} | {size} | {m} | {n} | {size / n:.2f} | "
                  f"{'' if mbs is None else f'{mbs:.1f}'} | {l} |", flush=True)
    if a.proteins:
        fa = protein_input(work, a.proteins)
        size = os.path.getsize(fa)
        store, stored, el = gdb_import(gdb, work, fa, "protein")
        p50, p99 = latency(lat, store, True)
        print(f"| {a.proteins} proteins (generated) | {size} | genomedb protein "
              f"| {stored} | {size / stored:.2f} | {size / el / 1e6:.1f} | "
              f"{p50:.0f} / {p99:.0f} |")
        for label, n, _, _, _ in peers(fa, fa, (ZSTD, XZ), jobs=os.cpu_count() or 1):
            print(f"| {a.proteins} proteins (generated) | {size} | {label} | {n} "
                  f"| {size / n:.2f} | | whole file |")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
