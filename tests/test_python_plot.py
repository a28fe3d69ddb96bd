"""genomedb.plot: every picture is a valid PNG and SVG, and the data it
plots is the package's own answer (checked on the matplotlib artists
before saving), which in turn is checked against Biopython and networkx."""
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import gdbutil as U
import python_util as P

import genomedb  # noqa: E402  (python_util put it on sys.path)
import genomedb.plot as gplot  # noqa: E402


@pytest.fixture(scope="module")
def s(tmp_path_factory):
    st = genomedb.open(P.build_store(tmp_path_factory.mktemp("plot")))
    yield st
    st.close()


def check_files(draw, tmp_path, stem):
    """draw(out) writes a PNG and an SVG that parse as such."""
    import matplotlib.image
    png, svg = tmp_path / f"{stem}.png", tmp_path / f"{stem}.svg"
    draw(png)
    draw(svg)
    assert U.read_file(png)[:8] == b"\x89PNG\r\n\x1a\n"
    img = matplotlib.image.imread(png)
    assert img.ndim == 3 and min(img.shape[:2]) > 100 and img[..., :3].std() > 0
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 3


def test_gc_plots_the_windows_gc_as_biopython(s, tmp_path):
    from Bio.SeqUtils import gc_fraction
    a, c = s["ecoli"], "NC_000913.3"
    fig = gplot.gc(a, c, 10_001, 60_500, window=2000)
    (line,) = fig.axes[0].lines
    w = gplot.gc_windows(c, 10_001, 60_500, 2000)
    assert list(line.get_xdata()) == list(range(10_001, 60_501, 2000))
    assert np.array_equal(line.get_ydata(), w.genomedb.gc(a).to_numpy())
    want = [gc_fraction(a.fetch(c, b, e), ambiguous="ignore") for b, e in zip(w.start, w.end)]
    assert np.allclose(line.get_ydata(), want, atol=1e-12)
    assert w.end.iloc[-1] == 60_500 and w.end.iloc[-2] - w.start.iloc[-2] == 1999
    check_files(lambda out: gplot.gc(a, c, 10_001, 60_500, window=2000, out=out), tmp_path, "gc")


def test_gc_step_and_whole_contig(s):
    a = s["athal"]
    c = next(iter(a.contigs))
    fig = gplot.gc(a, c, window=5000, step=2500)
    x = fig.axes[0].lines[0].get_xdata()
    assert x[0] == 1 and np.all(np.diff(x) == 2500) and x[-1] <= a.contigs[c]


def test_subgraph_draws_the_networkx_neighbourhood(s, tmp_path):
    import networkx as nx
    from matplotlib.collections import LineCollection, PathCollection
    g = s.graph("yeast")
    seeds = ["YKR026C", "YGL097W"]
    fig = gplot.subgraph(g, seeds, k=1)
    want = g.to_networkx(seeds, k=1)
    pos = nx.spring_layout(want, seed=1)
    ax = fig.axes[0]
    (edges,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    (nodes,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    drawn = {tuple(map(tuple, np.round(seg, 9))) for seg in edges.get_segments()}
    assert drawn == {(tuple(np.round(pos[a], 9)), tuple(np.round(pos[b], 9)))
                     for a, b in want.edges()}
    assert len(edges.get_segments()) == want.number_of_edges() > 2
    assert np.allclose(nodes.get_offsets(), [pos[n] for n in want.nodes()])
    assert [t.get_text() for t in ax.texts] == list(want.nodes())
    assert set(seeds) <= set(want.nodes())
    check_files(lambda out: gplot.subgraph(g, seeds, k=1, out=out), tmp_path, "net")


def test_af_plots_each_population_as_the_package_answers(s, tmp_path):
    v = s.variants("kg")
    fig = gplot.af(v, "20", 1_000_001, 1_060_000)
    df = v.allele_frequencies("20", 1_000_001, 1_060_000)
    lines = fig.axes[0].lines
    assert [ln.get_label() for ln in lines] == sorted(df["population"].unique())
    assert len(lines) > 1
    for ln in lines:
        rows = df[(df["population"] == ln.get_label()) & (df["af"].astype(str) != "")]
        assert list(ln.get_xdata()) == rows["pos"].tolist() and len(rows) > 10
        want = [sum(float(x) for x in str(a).split(",")) for a in rows["af"]]
        assert np.allclose(ln.get_ydata(), want, atol=0)
    check_files(lambda out: gplot.af(v, "20", 1_000_001, 1_060_000, out=out), tmp_path, "af")


def test_bad_output_name_and_range(s, tmp_path):
    with pytest.raises(ValueError, match="must end in .png or .svg"):
        gplot.gc(s["ecoli"], "NC_000913.3", 1, 5000, out=tmp_path / "gc.jpg")
    with pytest.raises(ValueError, match="bad window"):
        gplot.gc(s["ecoli"], "NC_000913.3", 5000, 10)
    with pytest.raises(KeyError):
        gplot.gc(s["ecoli"], "chrX", 1, 5000)
