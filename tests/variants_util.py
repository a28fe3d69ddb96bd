"""Helpers of the variant tests: the test data, a store with the variant
sets imported, and oracles that do not use GenomeDB's code (bcftools,
cyvcf2, NumPy)."""
import gzip
import os
import subprocess

import numpy as np

import gdbutil as U

VDATA = os.path.join(U.DATA, "variants")
KG_VCF = os.path.join(VDATA, "1000G_chr20_300samples.vcf.gz")
KG_REF = os.path.join(VDATA, "human_GRCh37_chr20_1M-4M.fa.gz")
PANEL = os.path.join(VDATA, "1000G_phase3_integrated_call_samples.panel")
GIAB_VCF = os.path.join(VDATA, "NA12878_GIAB_chr20_100kbp_at_10mb.vcf.gz")
HG19 = os.path.join(U.DATA, "human_hg19_chr20_unittest.fasta.gz")
YEAST = os.path.join(U.DATA, "yeast_S288C_chrI.fa.gz")


def sh(*args, stdin=None):
    p = subprocess.run([str(a) for a in args], input=stdin, capture_output=True, check=True)
    return p.stdout


def bcftools_records(path, region=None, samples=None):
    """bcftools view -H (POS-in-region semantics, as GenomeDB's paths);
    subsets keep INFO as stored (-I: AC/AN not recomputed)."""
    args = ["bcftools", "view", "-H"]
    if region:
        args += ["-r", region, "--regions-overlap", "pos"]
    if samples:
        args += ["-I", "-s", ",".join(samples)]
    return sh(*args, path)


def yeast_seq():
    with gzip.open(YEAST, "rt") as f:
        return "".join(line.strip() for line in f if not line.startswith(">")).upper()


def panel_rows(path=PANEL):
    rows = {}
    with open(path) as f:
        next(f)
        for line in f:
            t = line.rstrip("\n").split("\t")
            if len(t) >= 3 and t[0]:
                rows[t[0]] = (t[1], t[2])
    return rows


def mixed_panel(samples, path):
    """A test panel that spreads the 300 European samples over five
    populations of five superpopulations (round robin), so statistics by
    superpopulation have several groups. Written for the tests."""
    pops = [("YRI", "AFR"), ("CHB", "EAS"), ("CEU", "EUR"), ("GIH", "SAS"), ("PEL", "AMR")]
    with open(path, "w") as f:
        f.write("sample\tpop\tsuper_pop\tgender\t\t\n")
        for i, s in enumerate(samples):
            p, sp = pops[i % len(pops)]
            f.write(f"{s}\t{p}\t{sp}\tfemale\t\t\n")
    return {s: pops[i % len(pops)] for i, s in enumerate(samples)}


def query_genotypes(path, region=None):
    """(positions, alleles (n x 2 x samples) int with -1 missing, -2 absent)
    parsed from `bcftools query` text: the independent reading of GT."""
    args = ["bcftools", "query", "-f", "%POS\t%REF\t%ALT[\t%GT]\n"]
    if region:
        args += ["-r", region, "--regions-overlap", "pos"]
    out = sh(*args, path).decode()
    pos, ref, alt, gts = [], [], [], []
    for line in out.splitlines():
        t = line.split("\t")
        pos.append(int(t[0]))
        ref.append(t[1])
        alt.append(t[2])
        row = []
        for g in t[3:]:
            a = g.replace("|", "/").split("/")
            v = [-1 if x == "." else int(x) for x in a] + [-2] * (2 - len(a))
            row.append(v[:2])
        gts.append(row)
    arr = np.array(gts, dtype=np.int64).transpose(0, 2, 1) if gts else np.zeros((0, 2, 0), np.int64)
    return np.array(pos), ref, alt, arr


def dosage(arr):
    """int8 alt dosage from query_genotypes alleles: -1 if any allele is
    missing, else the number of non-reference alleles."""
    called = arr >= 0
    present = arr != -2
    miss = (present & ~called).any(axis=1)
    d = ((arr > 0) & called).sum(axis=1).astype(np.int8)
    d[miss] = -1
    return d


def hudson_ratio(ac1, an1, ac2, an2):
    """Hudson Fst numerator and denominator (Bhatia et al. 2013), written
    independently of the C code."""
    p1, p2 = ac1 / an1, ac2 / an2
    num = (p1 - p2) ** 2 - p1 * (1 - p1) / (an1 - 1) - p2 * (1 - p2) / (an2 - 1)
    den = p1 * (1 - p2) + p2 * (1 - p1)
    return num, den


def vcf_subset(out, nrec=150, nsamples=12):
    """The first nrec records and nsamples samples of KG_VCF, bgzipped to out
    (bcftools and bgzip write it)."""
    hdr = subprocess.run(["bcftools", "view", "-h", KG_VCF], capture_output=True,
                         check=True, text=True).stdout
    samples = ",".join(hdr.rstrip("\n").split("\n")[-1].split("\t")[9:9 + nsamples])
    text = subprocess.run(["bcftools", "view", "-s", samples, KG_VCF], capture_output=True,
                          check=True, text=True).stdout
    lines = text.splitlines(True)
    nh = sum(1 for x in lines if x.startswith("#"))
    with open(out, "wb") as f:
        subprocess.run(["bgzip", "-c"], input="".join(lines[:nh + nrec]).encode(),
                       check=True, stdout=f)
    return str(out)
