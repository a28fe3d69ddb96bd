"""Small VCF files for the messy and malformed cases of issue 11, written
against yeast chromosome I (tests/data/yeast_S288C_chrI.fa.gz,
contig chrI): each REF is the reference's base(s) unless the case
is a REF mismatch. Deterministic; written at test time.

    write_all(dirpath, lambda_seq) -> {case: path}
"""
import os

CONTIG = "chrI"

HEAD = """##fileformat=VCFv4.2
##FILTER=<ID=PASS,Description="All filters passed">
##FILTER=<ID=q10,Description="Quality below 10">
##contig=<ID=chrI,length=230208>
##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">
##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">
##INFO=<ID=DB,Number=0,Type=Flag,Description="dbSNP member">
##INFO=<ID=END,Number=1,Type=Integer,Description="End of the variant">
##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Structural variant type">
##INFO=<ID=SVLEN,Number=.,Type=Integer,Description="Length difference">
##ALT=<ID=DEL,Description="Deletion">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">
##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=GL,Number=G,Type=Float,Description="Genotype likelihoods">
"""


def _cols(samples):
    return "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(samples) + "\n"


def _alt(ref_base, k=1):
    order = [b for b in "ACGT" if b != ref_base]
    return order[(k - 1) % 3]


def cases(seq):
    """case -> VCF text. seq: chrI (str, upper case)."""
    r = lambda p, n=1: seq[p - 1:p - 1 + n]  # 1-based
    out = {}
    # contigs and keys used without a header line (htslib adds them)
    out["undeclared"] = (
        "##fileformat=VCFv4.2\n" + _cols(["S1", "S2"]) +
        f"{CONTIG}\t100\t.\t{r(100)}\t{_alt(r(100))}\t50\tPASS\tXX=3;YY\tGT:ZZ\t0/1:7\t1/1:9\n"
        f"{CONTIG}\t200\trs12\t{r(200)}\t{_alt(r(200))}\t.\t.\tXX=4\tGT:ZZ\t0/0:1\t./.:.\n")
    # header Number disagreeing with the data
    out["number"] = (
        HEAD + _cols(["S1", "S2"]) +
        f"{CONTIG}\t150\t.\t{r(150)}\t{_alt(r(150))}\t30\tPASS\tDP=10,11;AF=0.5,0.25\tGT:DP:AD\t0/1:3,4:1,2,3\t0/0:5:5\n"
        f"{CONTIG}\t160\t.\t{r(160)}\t{_alt(r(160))},{_alt(r(160), 2)}\t30\tq10\tAF=0.1\tGT:AD\t1/2:1,2\t0/1:3,4,5\n")
    # symbolic and breakend alleles
    out["symbolic"] = (
        HEAD + _cols(["S1"]) +
        f"{CONTIG}\t1000\tsv1\t{r(1000)}\t<DEL>\t60\tPASS\tSVTYPE=DEL;END=1500;SVLEN=-500\tGT\t0/1\n"
        f"{CONTIG}\t2000\tbnd1\t{r(2000)}\t{r(2000)}[{CONTIG}:3000[\t60\tPASS\tSVTYPE=BND\tGT\t0/1\n"
        f"{CONTIG}\t3000\tbnd2\t{r(3000)}\t]{CONTIG}:2000]{r(3000)}\t60\tPASS\tSVTYPE=BND\tGT\t1/1\n"
        f"{CONTIG}\t3100\t.\t{r(3100, 3)}\t{r(3100)},*\t20\tPASS\tDB\tGT\t1/2\n"
        f"{CONTIG}\t3200\t.\t{r(3200)}\t{r(3200)}ACGTTT\t20\tPASS\t.\tGT\t0|1\n")
    # sample names with '@' (and other path-hostile characters)
    out["names"] = (
        HEAD + _cols(["NA@1", "S 2", "x%y", "a/b"]) +
        f"{CONTIG}\t500\t.\t{r(500)}\t{_alt(r(500))}\t.\tPASS\t.\tGT\t0/1\t1/1\t0/0\t./1\n")
    # many samples, mostly missing
    ns = 40
    lines = []
    for i, p in enumerate(range(600, 1600, 100)):
        gts = ["./."] * ns
        gts[i % ns] = "0/1"
        gts[(3 * i + 7) % ns] = "1/1"
        if i % 3 == 0:
            gts[(5 * i + 1) % ns] = "."
        lines.append(f"{CONTIG}\t{p}\t.\t{r(p)}\t{_alt(r(p))}\t.\tPASS\t.\tGT\t" + "\t".join(gts) + "\n")
    out["missing"] = HEAD + _cols([f"M{i}" for i in range(ns)]) + "".join(lines)
    # multi-allelic sites with per-allele FORMAT values
    out["multiallelic"] = (
        HEAD + _cols(["S1", "S2", "S3"]) +
        f"{CONTIG}\t700\t.\t{r(700)}\t{_alt(r(700))},{_alt(r(700), 2)},{_alt(r(700), 3)}\t99\tPASS\tAF=0.1,0.2,0.3\tGT:AD:GL\t1/2:1,5,6,0:-1,-2,-3,-4,-5,-6,-7,-8,-9,-10\t2/3:0,0,4,4:.\t0/3:9,0,0,2:-0.5,-1.5,-2.5,-3.5,-4.5,-5.5,-6.5,-7.5,-8.5,-9.5\n"
        f"{CONTIG}\t710\t.\t{r(710, 2)}\t{r(710)},{r(710, 2)}T\t99\tPASS\tAF=0.5,0.5\tGT:AD\t1|2:0,3,3\t2|2:0,0,6\t0|1:3,3,0\n")
    # haploid and mixed-ploidy calls
    out["ploidy"] = (
        HEAD + _cols(["male1", "female1", "male2"]) +
        f"{CONTIG}\t800\t.\t{r(800)}\t{_alt(r(800))}\t.\tPASS\t.\tGT\t1\t0/1\t0\n"
        f"{CONTIG}\t810\t.\t{r(810)}\t{_alt(r(810))}\t.\tPASS\t.\tGT\t0\t1\t.\n"
        f"{CONTIG}\t820\t.\t{r(820)}\t{_alt(r(820))}\t.\tPASS\t.\tGT:DP\t.:3\t1|1:4\t1:.\n")
    # phased and unphased calls in one file and one record
    out["phasing"] = (
        HEAD + _cols(["P1", "P2", "P3", "P4"]) +
        f"{CONTIG}\t900\t.\t{r(900)}\t{_alt(r(900))}\t.\tPASS\t.\tGT\t0|1\t1/0\t1|1\t0/0\n"
        f"{CONTIG}\t910\t.\t{r(910)}\t{_alt(r(910))}\t.\tPASS\t.\tGT\t0/1\t1/0\t./.\t.|.\n"
        f"{CONTIG}\t920\t.\t{r(920)}\t{_alt(r(920))}\t.\tPASS\t.\tGT\t1|0\t0|1\t.|1\t1|.\n")
    # malformed inputs: each must fail, naming file and record
    out["bad_ref"] = (
        HEAD + _cols(["S1"]) +
        f"{CONTIG}\t100\t.\t{r(100)}\t{_alt(r(100))}\t.\tPASS\t.\tGT\t0/1\n"
        f"{CONTIG}\t300\t.\t{_alt(r(300))}{r(301)}\t{_alt(r(300))}\t.\tPASS\t.\tGT\t0/1\n")
    out["unsorted"] = (
        HEAD + _cols(["S1"]) +
        f"{CONTIG}\t300\t.\t{r(300)}\t{_alt(r(300))}\t.\tPASS\t.\tGT\t0/1\n"
        f"{CONTIG}\t200\t.\t{r(200)}\t{_alt(r(200))}\t.\tPASS\t.\tGT\t0/1\n")
    out["no_contig"] = (
        HEAD.replace("##contig=<ID=chrI,length=230208>", "##contig=<ID=chrZ,length=1000>") +
        _cols(["S1"]) + "chrZ\t10\t.\tA\tC\t.\tPASS\t.\tGT\t0/1\n")
    out["bad_header"] = (
        "##fileformat=VCFv4.2\n##INFO=<ID=DP,Number=1,Type=Integer,Description=\"x\">\n"
        "#CHROM\tPOS\tID\tREF\tALT\n"
        f"{CONTIG}\t100\t.\t{r(100)}\t{_alt(r(100))}\n")
    return out


def write_all(d, seq):
    paths = {}
    for name, text in cases(seq).items():
        p = os.path.join(d, name + ".vcf")
        with open(p, "w") as f:
            f.write(text)
        paths[name] = p
    return paths
