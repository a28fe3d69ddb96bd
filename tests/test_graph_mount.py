"""/graph through a real FUSE mount: the path layout of docs/GRAPH.md,
exact sizes at lookup (stat before read), cat / pandas / networkx / mmap
on the answer files, ENOENT for unknown names, and the same bytes as the
provider gives in process."""
import errno
import io
import json
import mmap
import os
import subprocess

import networkx as nx
import pandas as pd
import pytest

import gdbutil as U
import test_graph_common as GC

pytestmark = pytest.mark.mount


@pytest.fixture(scope="module")
def gmount(genomedb, tmp_path_factory):
    U.require_fuse()
    d = tmp_path_factory.mktemp("graphmnt")
    s = d / "m.gdb"
    assert U.gdb("init", s).rc == 0
    for net, f in (("gal", GC.data_file("galFiltered.sif")),
                   ("reactome", GC.data_file("reactome_mouse_subset.gmt")),
                   ("toy", GC.data_file("toy_pathway.kgml"))):
        r = U.gdb("import", "graph", s, "--network", net, f, "--quiet")
        assert r.rc == 0, r
    with U.mounted(s, d) as m:
        m.store_path = s
        yield m


def g(m, *parts):
    return os.path.join(m.path, "graph", *parts)


def test_top_level_listing(gmount):
    assert os.path.isdir(g(gmount))
    names = set(os.listdir(g(gmount)))
    assert {"@gal", "@reactome", "@toy", "path", "pathways", "crosstalk", "enrich",
            "networks.json"} <= names
    assert "YPL248C" not in names        # genes are lookup-only
    assert "tst00001" in os.listdir(g(gmount, "pathways"))
    assert set(os.listdir(g(gmount, "YPL248C"))) >= {"info.json", "neighbors.json",
                                                      "neighbors.tsv"}


def test_sizes_exact_and_readers(gmount):
    p = g(gmount, "YPL248C", "neighbors.tsv")
    size = os.stat(p).st_size
    with open(p, "rb") as f:
        data = f.read()
    assert size == len(data) > 0
    df = pd.read_csv(p, sep="\t")
    assert list(df.columns[:5]) == ["neighbor", "direction", "type", "confidence", "network"]
    out = subprocess.run(["cat", p], capture_output=True, check=True).stdout
    assert out == data
    with open(p, "rb") as f, mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) as mm:
        assert mm[:] == data


def test_params_in_names(gmount):
    j = json.load(open(g(gmount, "@gal", "YPL248C", "neighbors@dir=out,limit=3.json")))
    assert j["limit"] == 3 and len(j["neighbors"]) <= 3
    assert all(r["direction"] in ("out", "undirected") for r in j["neighbors"])
    pth = json.load(open(g(gmount, "path", "RECA", "tst:106.json")))
    assert pth["nodes"][0] == "RECA" and pth["nodes"][-1] == "TGTE" and "cost" in pth
    paths = json.load(open(g(gmount, "path", "RECA", "TGTE", "paths@max-len=4.json")))
    assert paths["paths"]


def test_pathway_files(gmount):
    gr = nx.read_graphml(g(gmount, "pathways", "tst00001.graphml"))
    members = pd.read_csv(g(gmount, "pathways", "tst00001", "members.tsv"), sep="\t")
    assert set(gr.nodes) == set(members.node)
    cy = json.load(open(g(gmount, "pathways", "tst00001.cyjs")))
    assert cy["elements"]["edges"] and cy["elements"]["nodes"]
    dot = open(g(gmount, "pathways", "tst00001.dot")).read()
    assert dot.startswith("digraph")
    sif = open(g(gmount, "pathways", "tst00001.sif")).read()
    assert "RECA\tactivation\tKINB" in sif
    tsv = pd.read_csv(g(gmount, "pathways", "tst00001.tsv"), sep="\t")
    assert len(tsv) == len(cy["elements"]["edges"])


def test_enrich_and_crosstalk(gmount):
    ids = sorted(os.listdir(g(gmount, "@reactome", "pathways")))
    genes = pd.read_csv(g(gmount, "pathways", ids[0], "members.tsv"), sep="\t", dtype=str).node
    e = pd.read_csv(g(gmount, "enrich", ",".join(genes[:20]) + ".tsv"), sep="\t")
    assert e.pathway.iloc[0] == ids[0] or (e.p.iloc[0] <= e.p).all()
    x = json.load(open(g(gmount, "crosstalk", ids[0], ids[1] + ".json")))
    assert x["pathways"] == [ids[0], ids[1]]


def test_enoent(gmount):
    for parts in (("NO_SUCH_GENE",), ("NO_SUCH_GENE", "info.json"), ("YPL248C", "bogus.json"),
                  ("@nonet",), ("pathways", "nope.cyjs"), ("path", "YPL248C", "NOPE.json")):
        U.expect_errno(lambda: open(g(gmount, *parts)).read(), (errno.ENOENT,))
    # a malformed parameter is EINVAL (docs/PATHS.md "Parameters")
    U.expect_errno(lambda: open(g(gmount, "YPL248C", "neighbors@min-conf=2.json")).read(),
                   (errno.EINVAL,))


def test_same_bytes_as_in_process(gmount):
    a = GC.Ask(gmount.store_path)
    try:
        for p in ("YPL248C/neighbors.json", "pathways/tst00001.graphml", "@gal/degree.tsv",
                  "YPL248C/khop-2.json", "networks.json"):
            assert open(g(gmount, *p.split("/")), "rb").read() == a(p), p
    finally:
        a.close()


def test_enrich_list_files(gmount, tmp_path):
    """Long gene lists go in files in enrich/lists (an inbox); enrich/@<list>
    answers for them, the same bytes as the names in the path, and follows
    the file when it changes."""
    from scipy.stats import hypergeom
    lists = g(gmount, "enrich", "lists")
    assert "lists" in os.listdir(g(gmount, "enrich"))
    ids = sorted(os.listdir(g(gmount, "@reactome", "pathways")))
    members = {i: set(pd.read_csv(g(gmount, "pathways", i, "members.tsv"), sep="\t",
                                  dtype=str).node) for i in ids}
    universe = sorted(set().union(*members.values()))
    genes = sorted(members[ids[0]])[:20]
    try:
        with open(os.path.join(lists, "short.txt"), "w") as f:
            f.write("# twenty genes, one a line\n" + "\n".join(genes) + "\n")
        assert (open(g(gmount, "enrich", "@short.tsv"), "rb").read() ==
                open(g(gmount, "enrich", ",".join(genes) + ".tsv"), "rb").read())
        assert (open(g(gmount, "@reactome", "enrich", "@short@limit=3.json"), "rb").read() ==
                open(g(gmount, "@reactome", "enrich", ",".join(genes) + "@limit=3.json"), "rb").read())
        # 200 genes: more than a file name can hold
        rng = __import__("random").Random(4)
        big = sorted(rng.sample(universe, 200))
        assert len(",".join(big)) > 255
        shutil_copy = __import__("shutil").copy
        src = tmp_path / "big"
        src.write_text(", ".join(big[:100]) + "\n" + "\t".join(big[100:]) + "\n")
        shutil_copy(src, os.path.join(lists, "big"))
        e = pd.read_csv(g(gmount, "@reactome", "enrich", "@big@limit=all.tsv"), sep="\t",
                        dtype={"pathway": str})
        N, n = len(universe), len(big)
        want = {}
        for pid, mem in members.items():
            k = len(mem & set(big))
            if k:
                want[pid] = hypergeom.sf(k - 1, N, len(mem), n)
        assert len(e) == len(want)
        for r in e.itertuples():
            assert int(r.list) == n and int(r.universe) == N
            assert abs(float(r.p) - want[r.pathway]) <= 1e-6 * want[r.pathway] + 1e-300
        # the answer follows the file
        with open(os.path.join(lists, "big"), "w") as f:
            f.write(big[0] + "\n")
        assert int(pd.read_csv(g(gmount, "enrich", "@big.tsv"), sep="\t").list.iloc[0]) == 1
        os.unlink(os.path.join(lists, "big"))
        U.expect_errno(lambda: open(g(gmount, "enrich", "@big.tsv")), (errno.ENOENT,))
        # a list with no genes is EINVAL, logged with the file's name
        with open(os.path.join(lists, "empty"), "w") as f:
            f.write("# nothing\n\n")
        U.expect_errno(lambda: open(g(gmount, "enrich", "@empty.tsv")), (errno.EINVAL,))
        assert "enrich/lists/empty: no genes" in gmount.log_text()
    finally:
        for n in os.listdir(lists):
            os.unlink(os.path.join(lists, n))


def test_large_answers_in_reused_buffers(genomedb, tmp_path):
    """Answers of megabytes: each read whole is dropped (the kernel's page
    cache has it) and its buffer goes back to a pool (common/bigbuf.h)
    that the next answer is written into, shorter answers over longer
    ones' bytes. Every file is exact: its size at stat, the in-process
    bytes, and the 2-hop node set networkx gives; once the kernel drops
    its pages, a read computes the answer again, the same bytes."""
    U.require_fuse()
    s = tmp_path / "big.gdb"
    sf = tmp_path / "sf.tsv"
    model = GC.scale_free_tsv(str(sf), 6000, 5, seed=11)
    assert U.gdb("init", s).rc == 0
    r = U.gdb("import", "graph", s, "--network", "sf", sf, "--quiet", "--format", "tsv",
              "--columns", "source=1,target=2,type=3,confidence=4,directed=5", "--header")
    assert r.rc == 0, r
    deg = {}
    for e in model.edges:
        for x in e[:2]:
            deg[x] = deg.get(x, 0) + 1
    hub = max(sorted(deg), key=deg.get)
    ego = nx.single_source_shortest_path_length(
        model.digraph(follow=False).to_undirected(), hub, cutoff=2)
    a = GC.Ask(s)
    try:
        with U.mounted(s, tmp_path) as m:
            sizes = []
            for lim in (24000, 16000, 11000, 22000, 9000):
                p = g(m, model.name[hub], f"khop-2@limit=all,edge-limit={lim}.json")
                size = os.stat(p).st_size
                data = U.read_file(p)
                assert size == len(data) and data == a(os.path.relpath(p, g(m))), lim
                got = json.loads(data)
                assert {x["name"].lower(): x["distance"] for x in got["nodes"]} == ego
                assert len(got["edges"]) == min(lim, got["total_edges"])
                sizes.append(size)
            assert max(sizes) > 2 << 20 and min(sizes) > 1 << 20, sizes
            st = json.load(open(m.p(".gdb", "stats.json")))
            assert st["cache"]["answer_evictions"] >= 5, st["cache"]
            assert st["cache"]["answer_bytes"] < min(sizes), st["cache"]
            assert st["recomputed_answers"] == 0, st
            with open(p, "rb") as f:
                os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
                again = f.read()
            assert again == data
            st = json.load(open(m.p(".gdb", "stats.json")))
            assert st["recomputed_answers"] >= 1, st
    finally:
        a.close()
