"""The workflow's figure: GC along each region (the /compute/gc windows)
and the mean non-reference allele frequency of each population per region
(the /variants af.tsv rows).

    plot.py OUT.png AF.tsv GC_WINDOWS.tsv ...
"""
import os
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

out, af_path, gc_paths = sys.argv[1], sys.argv[2], sys.argv[3:]
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
for path in gc_paths:
    w = pd.read_csv(path, sep="\t")
    name = os.path.basename(path)[:-len(".tsv")]
    left.plot(w["start"] - w["start"].iloc[0], w["gc"], label=name)
left.set_xlabel("offset in region (bp)")
left.set_ylabel("GC fraction")
left.legend()

af = pd.read_csv(af_path, sep="\t", dtype={"af": str}, keep_default_na=False)
af = af[af["af"] != ""]
af["af"] = af["af"].str.split(",").map(lambda v: sum(map(float, v)))
mean = af.groupby(["name", "population"])["af"].mean().unstack()
mean.plot.bar(ax=right)
right.set_ylabel("mean non-reference allele frequency")
fig.tight_layout()
fig.savefig(out)
