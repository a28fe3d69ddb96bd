#!/usr/bin/python3
"""Variant benchmarks: sizes and timings of GenomeDB beside bcftools,
cyvcf2, pysam, NumPy, zstd and xz on the same data, in one run; prints
markdown tables (pasted into docs/BENCHMARKS.md).

    bench/variants/run.py [--build DIR] [--reps N] [--keep DIR]

Data: the 1000 Genomes chr20 file of ../shared (24,990 sites x 300
samples) and a 2,504-sample set of its first 10,000 sites generated from
its haplotypes by bench/variants/gen2504.py (fixed seed). GenomeDB is
read through a mount; every figure is the best of --reps runs, each of a
path never read before (the end coordinate moves by one base past the
last site), so no answer comes from a cache. Peers run as they would for
a user: bcftools as a process, cyvcf2/pysam/NumPy in this process.
"""
import argparse
import gzip
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "data")
if not os.path.isdir(SHARED):
    SHARED = "/work/shared/data"
KG = os.path.join(SHARED, "variants", "1000G_chr20_300samples.vcf.gz")
KGBCF = os.path.join(SHARED, "variants", "1000G_chr20_300samples.bcf")
PANEL = os.path.join(SHARED, "variants", "1000G_phase3_integrated_call_samples.panel")
REF = os.path.join(SHARED, "genomes", "human_GRCh37_chr20.fa.gz")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def best(fn, reps):
    ts = []
    for i in range(reps):
        t = time.perf_counter()
        fn(i)
        ts.append(time.perf_counter() - t)
    return min(ts)


def ms(s):
    return f"{s * 1000:.1f} ms"


def sh(*a, **kw):
    return subprocess.run([str(x) for x in a], check=True, capture_output=True, **kw).stdout


def sizes(store, name, vcfgz, bcf, tmp):
    plain = gzip.open(vcfgz).read()
    rows = []
    info = sh(G, "info", store, "--json")
    import json
    gdb = {o["name"]: o["stored_bytes"] for o in json.loads(info)["objects"]}["variants/" + name]
    bcf9 = os.path.join(tmp, name + ".l9.bcf")
    sh("bcftools", "view", "-Ob", "-l", "9", "-o", bcf9, vcfgz)
    z = len(subprocess.run(["zstd", "-19", "-T2", "-c", "-q"], input=plain, capture_output=True).stdout)
    x = len(subprocess.run(["xz", "-9", "-T2", "-c"], input=plain, capture_output=True).stdout)
    for what, n in (("plain VCF", len(plain)), ("vcf.gz (bgzip)", os.path.getsize(vcfgz)),
                    ("BCF", os.path.getsize(bcf)), ("BCF -l 9", os.path.getsize(bcf9)),
                    ("zstd -19 of the plain VCF (no random access)", z),
                    ("xz -9 of the plain VCF (no random access)", x), ("**GenomeDB set**", gdb)):
        rows.append(f"| {what} | {n:,} | {n / gdb:.2f} |")
    return rows


def dosage_cyvcf2(bcf):
    import cyvcf2
    rows = []
    for v in cyvcf2.VCF(bcf):
        g = v.genotype.array()[:, :2]
        rows.append(np.where((g < 0).any(axis=1), -1, (g > 0).sum(axis=1)).astype(np.int8))
    return np.array(rows)


def dosage_query(bcf):
    out = sh("bcftools", "query", "-f", "[%GT\t]\n", bcf)
    a = np.frombuffer(out, dtype=np.uint8)
    n = out.count(b"\n")
    a = a.reshape(n, -1)[:, :-1].reshape(n, -1, 4)[:, :, :3]  # "0|1\t"
    return ((a[:, :, 0] - 48) + (a[:, :, 2] - 48)).astype(np.int8)


def af_numpy(m, pops):
    return {p: (m[:, idx].sum(axis=1), 2 * len(idx)) for p, idx in pops.items()}


def main():
    global G
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.environ.get("GENOMEDB_BUILD", os.path.join(REPO, "build")))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--keep")
    a = ap.parse_args()
    G = os.path.join(a.build, "genomedb")
    tmp = a.keep or tempfile.mkdtemp(prefix="gdb-vbench-")
    os.makedirs(tmp, exist_ok=True)
    store, mnt = os.path.join(tmp, "v.gdb"), os.path.join(tmp, "mnt")
    g = os.path.join(tmp, "g2504.vcf")
    log("generating the 2,504-sample set")
    sh(sys.executable, os.path.join(REPO, "bench", "variants", "gen2504.py"), KG, PANEL, "-o", g)
    sh("bgzip", "-f", "-@2", g)
    gbcf = os.path.join(tmp, "g2504.bcf")
    sh("bcftools", "view", "-Ob", "-o", gbcf, g + ".gz")
    sh("bcftools", "index", "-f", gbcf)
    sh("bcftools", "index", "-f", g + ".gz")
    shutil.rmtree(store, ignore_errors=True)
    sh(G, "init", store)
    sh(G, "import", "fasta", store, "--assembly", "b37", REF, "--quiet")
    t = {}
    for name, src in (("kg", KG), ("g2504", gbcf)):
        t0 = time.perf_counter()
        r = subprocess.run(["/usr/bin/time", "-f", "%M", G, "import", "vcf", store, "--set", name,
                            "--reference", "b37", src, "--panel", PANEL, "--quiet"],
                           capture_output=True, check=True, text=True)
        t[name] = (time.perf_counter() - t0, int(r.stderr.strip().splitlines()[-1]))
    print("## Variant sets: stored size beside the peers\n")
    print(f"1000 Genomes chr20, 24,990 sites x 300 samples (import {t['kg'][0]:.2f} s, peak RSS "
          f"{t['kg'][1] / 1024:.0f} MiB):\n")
    print("| form | bytes | x GenomeDB |\n|---|---:|---:|")
    print("\n".join(sizes(store, "kg", KG, KGBCF, tmp)))
    # flat memory: the same import of 2.5 times the sites
    big = os.path.join(tmp, "big.vcf")
    sh(sys.executable, os.path.join(REPO, "bench", "variants", "gen2504.py"), KG, PANEL, "--sites", "24990",
       "-o", big)
    r = subprocess.run(["/usr/bin/time", "-f", "%M", G, "import", "vcf", store, "--set", "big",
                        "--reference", "b37", big, "--quiet"], capture_output=True, check=True, text=True)
    big_rss, big_mb = int(r.stderr.strip().splitlines()[-1]), os.path.getsize(big) / 1e6
    os.unlink(big)
    print(f"\nGenerated 2,504-sample set, 10,000 sites (import {t['g2504'][0]:.2f} s, peak RSS "
          f"{t['g2504'][1] / 1024:.0f} MiB; the same generator at 24,990 sites, a {big_mb:.0f} MB plain VCF: "
          f"peak RSS {big_rss / 1024:.0f} MiB):\n")
    print("| form | bytes | x GenomeDB |\n|---|---:|---:|")
    print("\n".join(sizes(store, "g2504", g + ".gz", gbcf, tmp)))

    os.makedirs(mnt, exist_ok=True)
    proc = subprocess.Popen([G, "mount", store, mnt, "-f"], stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if os.path.ismount(mnt):
                break
            time.sleep(0.05)
        timings(mnt, gbcf, g + ".gz", a.reps, proc.pid)
    finally:
        subprocess.run(["fusermount3", "-u", mnt])
        proc.wait()
    if not a.keep:
        shutil.rmtree(tmp, ignore_errors=True)


def cpu_of(pid):
    """User + system CPU seconds of a process so far (/proc)."""
    t = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(t[11]) + int(t[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timings(mnt, gbcf, gvcf, reps, daemon):
    import pysam
    v = os.path.join(mnt, "variants")
    last = int(sh("bcftools", "query", "-f", "%POS\n", gbcf).split()[-1])
    samples = sh("bcftools", "query", "-l", gbcf).decode().split()
    panel = {}
    with open(PANEL) as f:
        next(f)
        for l in f:
            s, p = l.split("\t")[:2]
            panel[s] = p
    pops = {}
    for i, s in enumerate(samples):
        pops.setdefault(panel[s], []).append(i)
    rows = []
    # .gt.npy
    gdb = best(lambda i: np.load(os.path.join(v, "g2504", "20", f"1-{last + 1 + i}.gt.npy")), reps)
    m = np.load(os.path.join(v, "g2504", "20", f"1-{last}.gt.npy"))
    cy = best(lambda i: dosage_cyvcf2(gbcf), max(1, reps // 2))
    q = best(lambda i: dosage_query(gbcf), max(1, reps // 2))
    assert np.array_equal(dosage_cyvcf2(gbcf), m)
    rows.append(("int8 dosage matrix 10,000 x 2,504 (.gt.npy)", gdb,
                 [("cyvcf2 from BCF", cy), ("NumPy on bcftools query", q)]))
    # AF table by population
    gdb = best(lambda i: open(os.path.join(v, "g2504", "20", f"1-{last + 1 + i}@by=population.af.tsv"),
                              "rb").read(), reps)
    npf = best(lambda i: af_numpy(m, pops), reps)
    popf = os.path.join(os.path.dirname(gbcf), "pops.txt")
    with open(popf, "w") as f:
        for p, idx in pops.items():
            f.write("".join(f"{samples[i]}\t{p}\n" for i in idx))
    ft = best(lambda i: sh("bcftools", "+fill-tags", gbcf, "-Ou", "-o", "/dev/null", "--", "-S", popf,
                           "-t", "AC,AN,AF"), 1)
    rows.append(("AF by population, 10,000 x 2,504, 26 groups (af.tsv)", gdb,
                 [("NumPy on the matrix in memory", npf), ("bcftools +fill-tags -S", ft)]))
    # region .vcf of 1 Mb
    # 1 Mb of 2,504 samples is 83 MB of VCF text, over the 64 MiB a file
    # is rendered whole (it would stream): that set gets 500 kb, which
    # compares with earlier runs
    for name, bcf, end in (("kg", KGBCF, 2000000), ("g2504", gbcf, 1500000)):
        reg = f"20:1000000-{end}"
        gdb = best(lambda i: open(os.path.join(v, name, "20", f"1000000-{end - i}.vcf"), "rb").read(),
                   reps)
        bt = best(lambda i: sh("bcftools", "view", "-r", reg, bcf), reps)

        def pf(i):
            with pysam.VariantFile(bcf) as f:
                return sum(1 for _ in f.fetch("20", 999999, end))
        ps = best(pf, reps)
        ns = 300 if name == "kg" else 2504
        rows.append((f"region .vcf of {(end - 1000000) // 1000} kb, {ns} samples", gdb,
                     [("bcftools view -r on BCF (process)", bt), ("pysam fetch on BCF (no text)", ps)]))
    # the whole contig of 2,504 samples: about 100 MB of VCF text, over
    # the 64 MiB a file is rendered whole, so it streams (a sizing pass
    # at lookup, windows rendered as they are read)
    size = [0]

    def whole(i):
        p = os.path.join(v, "g2504", "20", f"1-{last + 1 + i}.vcf")
        with open(p, "rb") as f:
            while True:
                b = f.read(1 << 20)
                if not b:
                    break
                size[0] += len(b)
    c0 = cpu_of(daemon)
    gdb = best(whole, 2)
    gcpu = (cpu_of(daemon) - c0) / 2
    c0 = children_cpu()
    bt = best(lambda i: subprocess.run(["bcftools", "view", gbcf], stdout=subprocess.DEVNULL, check=True), 2)
    bcpu = (children_cpu() - c0) / 2
    rows.append((f"whole-contig .vcf, 10,000 x 2,504, {size[0] / 2e6:.0f} MB (streamed)", gdb,
                 [("bcftools view of the BCF (to /dev/null)", bt)]))
    cpu_line = (f"\nWhole-contig .vcf, CPU per read: the daemon {gcpu * 1000:.0f} ms, bcftools view "
                f"{bcpu * 1000:.0f} ms (load average {os.getloadavg()[0]:.1f}).")
    print("\n## Variant answers through the mount beside the peers\n")
    print("| answer | GenomeDB | peer | peer time | peer / GenomeDB |\n|---|---:|---|---:|---:|")
    for what, gt, peers in rows:
        for j, (pn, pt) in enumerate(peers):
            print(f"| {what if j == 0 else ''} | {ms(gt) if j == 0 else ''} | {pn} | {ms(pt)} | {pt / gt:.1f}x |")
    print(cpu_line)


if __name__ == "__main__":
    main()
