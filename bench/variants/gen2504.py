#!/usr/bin/env python3
"""A 2,504-sample VCF generated deterministically from the real
haplotypes of the 1000 Genomes chr20 file (300 samples, 600 haplotypes):
each new haplotype is a mosaic of the real ones (a copying model: a
switch to another random source haplotype with probability RHO per site,
segments of about 1/RHO sites), with new mutations at rate MU per site
and haplotype. Samples are the first 2,504 of the phase 3 panel (the copy in
../shared lists 2,535, related samples included), in its order, so
statistics by population and superpopulation have 26 and 5 groups.
Sites, positions, REF/ALT, ID and INFO/AF/CM come from the real file;
INFO/AC and AN are recomputed. Output: plain VCF text on stdout or -o.

    gen2504.py SRC.vcf.gz PANEL [--sites 10000] [--samples 2504] [--seed 1] [-o out.vcf]
"""
import argparse
import gzip
import subprocess
import sys

import numpy as np

RHO = 0.002
MU = 0.0001


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("panel")
    ap.add_argument("--sites", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--samples", type=int, default=2504)
    ap.add_argument("-o", default="-")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    q = subprocess.run(["bcftools", "query", "-f", "%CHROM\t%POS\t%ID\t%REF\t%ALT\t%INFO/AF\t%INFO/CM[\t%GT]\n",
                        a.src], capture_output=True, check=True).stdout.decode().splitlines()[: a.sites]
    fixed, haps = [], []
    for line in q:
        t = line.split("\t")
        fixed.append(t[:7])
        haps.append([int(x) for g in t[7:] for x in g.split("|")])
    S = np.array(haps, dtype=np.int8)  # sites x 600
    n, H0 = S.shape
    with open(a.panel) as f:
        next(f)
        samples = [l.split("\t")[0] for l in f if l.strip()][: a.samples]
    H = 2 * len(samples)
    # copying model: per haplotype, the source changes at switch points
    switch = rng.random((n, H)) < RHO
    seg = np.cumsum(switch, axis=0)
    starts = rng.integers(0, H0, size=(seg.max() + 1, H))
    src = starts[seg, np.arange(H)[None, :]]
    G = S[np.arange(n)[:, None], src]
    G ^= (rng.random((n, H)) < MU).astype(np.int8)
    head = subprocess.run(["bcftools", "view", "-h", "--no-version", a.src], capture_output=True,
                          check=True).stdout.decode().splitlines()
    out = sys.stdout if a.o == "-" else open(a.o, "w")
    for l in head[:-1]:
        out.write(l + "\n")
    out.write("##source=GenomeDB bench/variants/gen2504.py (mosaic of the real haplotypes)\n")
    out.write("\t".join(head[-1].split("\t")[:9] + samples) + "\n")
    pair = np.array(["0|0", "0|1", "1|0", "1|1"])
    for i in range(n):
        c, pos, vid, ref, alt, af, cm = fixed[i]
        g = G[i].reshape(-1, 2)
        code = g[:, 0] * 2 + g[:, 1]
        ac = int(G[i].sum())
        out.write(f"{c}\t{pos}\t{vid}\t{ref}\t{alt}\t.\t.\tAC={ac};AF={af};CM={cm};AN={H}\tGT\t")
        out.write("\t".join(pair[code].tolist()))
        out.write("\n")
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
