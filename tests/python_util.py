"""Shared by tests/test_python_*.py: the package on sys.path, and a small
store (two genomes, a network, a variant set) built once per module."""
import gzip
import os
import shutil
import sys

import gdbutil as U
import variants_util as V

sys.path.insert(0, os.path.join(U.REPO, "python"))
os.environ.setdefault("GENOMEDB_BUILD", U.BUILD)

ATHAL = os.path.join(U.DATA, "arabidopsis_thaliana_1pct.fa.gz")
ECOLI = os.path.join(U.DATA, "ecoli_K12_MG1655_NC_000913.3.fna.gz")
LAMBDA = os.path.join(U.DATA, "phage_lambda_NC_001416.fa.gz")
SIF = os.path.join(U.DATA, "graph", "galFiltered.sif")
GFF = os.path.join(U.DATA, "annotations", "arabidopsis_thaliana_1pct.gff.gz")


def build_store(d, full=True):
    """A store in directory d: athal and its annotation set 'tair' (the GFF
    has Parents that never appear as IDs, hence --allow-orphans), and when
    full also ecoli, b37 (the
    1000 Genomes reference), network 'yeast' (galFiltered.sif), variant
    set 'kg'."""
    path = os.path.join(str(d), "py.gdb")
    steps = [("init", path),
             ("import", "fasta", path, "--assembly", "athal", ATHAL, "--quiet"),
             ("import", "annotations", path, "--set", "tair", "--reference", "athal", GFF,
              "--allow-orphans", "--quiet"),
             ("import", "fasta", path, "--assembly", "ecoli", ECOLI, "--quiet"),
             ("import", "fasta", path, "--assembly", "b37", V.KG_REF, "--quiet"),
             ("import", "graph", path, "--network", "yeast", SIF, "--quiet"),
             ("import", "vcf", path, "--set", "kg", "--reference", "b37", V.KG_VCF,
              "--panel", V.PANEL, "--quiet")]
    for args in steps[:None if full else 3]:
        r = U.gdb(*args)
        assert r.rc == 0, r
    return path


def plain_copy(src, d):
    """An uncompressed copy of a FASTA (for pysam and pyfaidx)."""
    out = os.path.join(str(d), os.path.basename(src).replace(".gz", ""))
    if not os.path.exists(out):
        with gzip.open(src, "rb") as f, open(out, "wb") as g:
            shutil.copyfileobj(f, g)
    return out


def gff_features():
    """The GFF's features as a frame: chrom, start, end (1-based inclusive)."""
    import pandas as pd
    df = pd.read_csv(GFF, sep="\t", comment="#", header=None, usecols=[0, 2, 3, 4, 6],
                     names=["chrom", "feature", "start", "end", "strand"])
    return df.reset_index(drop=True)
