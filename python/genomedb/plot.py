"""genomedb.plot: the pictures asked for most, drawn with matplotlib from
the package's own answers (no mount needed).

    import genomedb, genomedb.plot
    s = genomedb.open("lab.gdb")
    genomedb.plot.gc(s["ecoli"], "NC_000913.3", 1, 200_000, window=5000, out="gc.svg")
    genomedb.plot.subgraph(s.graph("yeast"), ["GAL4"], k=1, out="gal4.png")
    genomedb.plot.af(s.variants("1kg"), "20", 1_000_000, 1_100_000, out="af.png")

Each function returns a matplotlib Figure (built without pyplot, so no
window opens and no backend is switched) and, given `out`, writes it as
PNG or SVG after the file name's suffix.
"""
import os

import numpy as np
import pandas as pd

FORMATS = {".png": "png", ".svg": "svg"}


def _figure(size=(8, 4)):
    from matplotlib.figure import Figure
    fig = Figure(figsize=size)
    return fig, fig.add_subplot()


def _save(fig, out):
    if out is not None:
        fmt = FORMATS.get(os.path.splitext(str(out))[1].lower())
        if fmt is None:
            raise ValueError(f"{out}: the file name must end in .png or .svg")
        fig.savefig(out, format=fmt)
    return fig


def gc_windows(contig, start, end, window=1000, step=None):
    """The windows of /compute/gc's .tsv as a frame chrom, start, end
    (1-based inclusive): `window` bases every `step` (default `window`),
    the last clipped to the region."""
    step = step or window
    if window < 1 or step < 1 or start < 1 or end < start:
        raise ValueError(f"bad window {window}, step {step} or range {start}-{end}")
    starts = np.arange(start, end + 1, step, dtype=np.int64)
    ends = np.minimum(starts + window - 1, end)
    return pd.DataFrame({"chrom": contig, "start": starts, "end": ends})


def gc(assembly, contig, start=1, end=None, window=1000, step=None, out=None):
    """GC fraction along contig:start-end, one point per window at its
    first base (as Biopython's gc_fraction, N left out)."""
    end = assembly.contigs[contig] if end is None else end
    w = gc_windows(contig, start, end, window, step)
    fig, ax = _figure()
    ax.plot(w["start"].to_numpy(), w.genomedb.gc(assembly).to_numpy(), linewidth=1)
    ax.set_xlabel(f"{contig} (1-based)")
    ax.set_ylabel(f"GC fraction, {window} bp windows")
    ax.set_title(f"{assembly.name} {contig}:{start}-{end}")
    ax.set_ylim(0, 1)
    return _save(fig, out)


def subgraph(graph, nodes, k=1, out=None, seed=1, **filters):
    """The k-hop neighbourhood of nodes (Graph.to_networkx) laid out by
    networkx's spring layout (seeded, so the picture repeats): edges as
    one LineCollection, nodes as one scatter, the given nodes in red."""
    import networkx as nx
    from matplotlib.collections import LineCollection
    g = graph.to_networkx(nodes, k=k, **filters)
    pos = nx.spring_layout(g, seed=seed)
    fig, ax = _figure((7, 7))
    segs = [(pos[a], pos[b]) for a, b in g.edges()]
    ax.add_collection(LineCollection(segs, colors="0.6", linewidths=0.8, zorder=1))
    names = list(g.nodes())
    xy = np.array([pos[n] for n in names]).reshape(-1, 2)
    seeds = {nodes} if isinstance(nodes, str) else set(nodes)
    ax.scatter(xy[:, 0], xy[:, 1], s=60, zorder=2,
               c=["tab:red" if n in seeds else "tab:blue" for n in names])
    for n, (x, y) in zip(names, xy):
        ax.annotate(n, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_axis_off()
    ax.set_title(f"{', '.join(sorted(seeds))}: {k}-hop neighbourhood, "
                 f"{g.number_of_nodes()} nodes, {g.number_of_edges()} edges")
    return _save(fig, out)


def af_frame(variants, contig, start, end, by="population"):
    """Variants.allele_frequencies with a float column `nonref`: the sum
    of the ALT alleles' frequencies (rows whose group has no called
    allele, af empty, left out)."""
    df = variants.allele_frequencies(contig, start, end, by=by)
    af = df["af"].astype(str)
    df = df[af != ""].copy()
    df["nonref"] = [sum(map(float, v.split(","))) for v in af[af != ""]]
    return df


def af(variants, contig, start, end, by="population", out=None):
    """Non-reference allele frequency of each variant in contig:start-end,
    one marker series per group (population, superpopulation or sample)."""
    df = af_frame(variants, contig, start, end, by)
    fig, ax = _figure((9, 4))
    for group, rows in df.groupby(by, sort=True):
        ax.plot(rows["pos"].to_numpy(), rows["nonref"].to_numpy(), linestyle="none",
                marker=".", markersize=4, label=str(group))
    ax.set_xlabel(f"{contig} position")
    ax.set_ylabel("non-reference allele frequency")
    ax.set_ylim(0, 1)
    ax.set_title(f"{variants.name} {contig}:{start}-{end} by {by}")
    if df[by].nunique() <= 30:
        ax.legend(fontsize=7, ncol=2)
    return _save(fig, out)
