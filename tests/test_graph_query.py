"""Graph queries against networkx (and scipy) as the oracle, on the real
networks (tests/data/graph; the full Reactome GMT from ../shared when
present) and on random scale-free graphs. Answers are read through the
/graph provider in process (tests/unit/test_graph.c `query`), so these run
without FUSE; tests/test_graph_mount.py reads the same paths through a
mount."""
import io
import itertools
import math
import os
import random

import networkx as nx
import pytest

import gdbutil as U
import test_graph_common as GC

SF_NODES = 1500


@pytest.fixture(scope="module")
def gstore(genomedb, tmp_path_factory):
    d = tmp_path_factory.mktemp("graphq")
    s = d / "q.gdb"
    assert U.gdb("init", s).rc == 0
    models = {}
    gmt = GC.shared("reactome_mouse.gmt") or GC.data_file("reactome_mouse_subset.gmt")
    sf = d / "sf.tsv"
    models["sf"] = GC.scale_free_tsv(str(sf), SF_NODES, 3, seed=42)
    jobs = [("gal", GC.data_file("galFiltered.sif"), ()),
            ("netsam", GC.data_file("netsam_example_network.tsv"), ()),
            ("reactome", gmt, ()),
            ("sf", sf, ("--format", "tsv", "--columns",
                        "source=1,target=2,type=3,confidence=4,directed=5", "--header"))]
    for net, f, args in jobs:
        r = U.gdb("import", "graph", s, "--network", net, f, "--quiet", *args)
        assert r.rc == 0, r
    models["gal"] = GC.parse_sif(GC.data_file("galFiltered.sif"))
    models["netsam"] = GC.parse_tsv(GC.data_file("netsam_example_network.tsv"))
    models["reactome"] = GC.parse_gmt(gmt)
    a = GC.Ask(s)
    a.models = models
    yield a
    a.close()


def names(rows, key):
    return {r[key].lower() for r in rows}


@pytest.mark.parametrize("net", ["gal", "netsam", "sf"])
def test_neighbour_sets_with_filters(gstore, net):
    m = gstore.models[net]
    rng = random.Random(1)
    nodes = sorted(m.name)
    sample = rng.sample(nodes, min(25, len(nodes)))
    types = sorted({e[2] for e in m.edges})
    for n in sample:
        shown = m.name[n]
        for direction in ("both", "out", "in"):
            for mc in (0.0, 0.5, 0.8) if net == "sf" else (0.0,):
                for t in [None] + types[:2]:
                    params = [f"dir={direction}", "limit=all"]
                    if mc:
                        params.append(f"min-conf={mc}")
                    if t:
                        params.append(f"type={t}")
                    p = f"@{net}/{shown}/neighbors@{','.join(params)}.json"
                    got = gstore.json(p)
                    want = m.neighbours(n, direction, mc, {t.lower()} if t else None)
                    assert names(got["neighbors"], "neighbor") == want, p
                    assert got["total"] == len(got["neighbors"])
                    for row in got["neighbors"]:
                        assert row["confidence"] >= mc - 1e-7
                        if t:
                            assert row["type"] == t


def test_neighbors_tsv_contract(gstore):
    df = gstore.tsv("@gal/YPL248C/neighbors.tsv")
    assert list(df.columns[:5]) == ["neighbor", "direction", "type", "confidence", "network"]
    assert set(df.neighbor.str.lower()) == gstore.models["gal"].neighbours("ypl248c")
    assert set(df.network) == {"gal"}


def test_ordering_and_limit(gstore):
    m = gstore.models["sf"]
    hub = max(m.name, key=lambda n: len(m.neighbours(n)))
    full = gstore.json(f"@sf/{m.name[hub]}/neighbors@limit=all.json")
    confs = [r["confidence"] for r in full["neighbors"]]
    assert confs == sorted(confs, reverse=True)
    cut = gstore.json(f"@sf/{m.name[hub]}/neighbors@limit=5.json")
    assert cut["limit"] == 5 and cut["truncated"] is True
    assert cut["total"] == full["total"] and len(cut["neighbors"]) == 5
    assert cut["neighbors"] == full["neighbors"][:5]
    dflt = gstore.json(f"@sf/{m.name[hub]}/neighbors.json")
    assert dflt["limit"] == 1000
    # same bytes every time
    assert gstore(f"@sf/{m.name[hub]}/neighbors.json") == gstore(f"@sf/{m.name[hub]}/neighbors.json")


@pytest.mark.parametrize("net,k", [("gal", 1), ("gal", 2), ("netsam", 2), ("sf", 1), ("sf", 2)])
def test_khop_sets(gstore, net, k):
    m = gstore.models[net]
    g = m.digraph(follow=False).to_undirected()
    rng = random.Random(k)
    for n in rng.sample(sorted(m.name), 10):
        got = gstore.json(f"@{net}/{m.name[n]}/khop-{k}@limit=all,edge-limit=all.json")
        ego = nx.single_source_shortest_path_length(g, n, cutoff=k)
        assert {x["name"].lower(): x["distance"] for x in got["nodes"]} == ego
        dists = [(x["distance"], x["name"].lower()) for x in got["nodes"]]
        assert [d for d, _ in dists] == sorted(d for d, _ in dists)
        # edges: the induced subgraph on the neighbourhood
        sub = {e for e in m.edges if e[0] in ego and e[1] in ego}
        assert got["total_edges"] == len(sub)


def test_khop_filtered(gstore):
    m = gstore.models["sf"]
    g = m.digraph(min_conf=0.7, follow=False).to_undirected()
    for n in random.Random(3).sample(sorted(m.name), 10):
        got = gstore.json(f"@sf/{m.name[n]}/khop-2@min-conf=0.7,limit=all.json")
        assert {x["name"].lower() for x in got["nodes"]} == \
            set(nx.single_source_shortest_path_length(g, n, cutoff=2))


@pytest.fixture(scope="module")
def ustore(genomedb, tmp_path_factory):
    """A scale-free network of undirected edges only, as STRING's: the
    k-hop edge count past edge-limit has its own loop for such networks."""
    d = tmp_path_factory.mktemp("graphu")
    s = d / "u.gdb"
    assert U.gdb("init", s).rc == 0
    tsv = d / "u.tsv"
    model = GC.scale_free_tsv(str(tsv), 800, 4, seed=5, directed_share=0.0)
    r = U.gdb("import", "graph", s, "--network", "u", tsv, "--quiet", "--format", "tsv",
              "--columns", "source=1,target=2,type=3,confidence=4,directed=5", "--header")
    assert r.rc == 0, r
    a = GC.Ask(s)
    a.model = model
    yield a
    a.close()


@pytest.mark.parametrize("min_conf", [0.0, 0.5, 0.8])
def test_khop_edge_count_past_limit(ustore, min_conf):
    """An answer states every induced edge (total_edges) also past
    edge-limit, where they are only counted: networkx's count of the
    induced subgraph, rendered or counted, with and without a type filter
    (which takes the general scan)."""
    m = ustore.model
    for types in (None, ("binding",)):
        g = m.digraph(min_conf=min_conf, types=types, follow=False).to_undirected()
        tp = ",type=binding" if types else ""
        for n in random.Random(7).sample(sorted(m.name), 6):
            ego = nx.single_source_shortest_path_length(g, n, cutoff=2)
            want = sum(1 for e in m.selected(min_conf, types) if e[0] in ego and e[1] in ego)
            for lim in (1, 5, "all"):
                got = ustore.json(f"{m.name[n]}/khop-2@min-conf={min_conf},limit=all,"
                                  f"edge-limit={lim}{tp}.json")
                shown = want if lim == "all" else min(lim, want)
                assert got["total_edges"] == want, (n, lim, types)
                assert len(got["edges"]) == shown and got["truncated"] == (shown < want)


@pytest.mark.parametrize("net", ["gal", "sf"])
def test_shortest_path_costs(gstore, net):
    m = gstore.models[net]
    g = m.digraph(follow=True)
    rng = random.Random(7)
    nodes = sorted(m.name)
    checked = 0
    for _ in range(150):
        a, b = rng.sample(nodes, 2)
        got = gstore.json(f"@{net}/path/{m.name[a]}/{m.name[b]}.json")
        try:
            want = nx.dijkstra_path_length(g, a, b, weight="weight")
        except nx.NetworkXNoPath:
            assert got["found"] is False and got["nodes"] == []
            continue
        checked += 1
        assert got["found"] is True
        assert math.isclose(got["cost"], want, rel_tol=1e-9, abs_tol=1e-12), (a, b)
        path = [x.lower() for x in got["nodes"]]
        assert path[0] == a and path[-1] == b
        cost = sum(g[u][v]["weight"] for u, v in zip(path, path[1:]))
        assert math.isclose(cost, got["cost"], rel_tol=1e-9)
        assert len(got["edges"]) == len(path) - 1
    assert checked >= 3


def test_unscored_path_is_fewest_hops(gstore):
    m = gstore.models["netsam"]
    g = m.digraph(follow=False).to_undirected()
    for a, b in random.Random(2).sample([(x, y) for x in sorted(m.name)[:40] for y in sorted(m.name)[-40:]], 20):
        got = gstore.json(f"@netsam/path/{m.name[a]}/{m.name[b]}.json")
        try:
            hops = nx.shortest_path_length(g, a, b)
        except nx.NetworkXNoPath:
            assert not got["found"]
            continue
        assert got["hops"] == hops


def test_all_simple_paths(gstore):
    m = gstore.models["gal"]
    g = m.digraph(follow=True)
    rng = random.Random(11)
    nodes = [n for n in sorted(m.name) if g.out_degree(n)]
    seen = 0
    for _ in range(60):
        a, b = rng.sample(nodes, 2)
        want = {tuple(p) for p in nx.all_simple_paths(g, a, b, cutoff=4)}
        got = gstore.json(f"@gal/path/{m.name[a]}/{m.name[b]}/paths@max-len=4,limit=all.json")
        assert {tuple(x.lower() for x in p["nodes"]) for p in got["paths"]} == want
        costs = [p["cost"] for p in got["paths"]]
        assert costs == sorted(costs)
        seen += bool(want)
    assert seen


def test_k_shortest_paths(gstore):
    m = gstore.models["sf"]
    g = m.digraph(follow=True)
    rng = random.Random(5)
    nodes = sorted(m.name)
    done = 0
    while done < 5:
        a, b = rng.sample(nodes, 2)
        try:
            want = list(itertools.islice(nx.shortest_simple_paths(g, a, b, weight="weight"), 3)) \
                if nx.has_path(g, a, b) else []
        except nx.NetworkXNoPath:
            want = []
        if not want:
            continue
        got = gstore.json(f"@sf/path/{m.name[a]}/{m.name[b]}/k-shortest@k=3.json")
        wc = [sum(g[u][v]["weight"] for u, v in zip(p, p[1:])) for p in want]
        gc = [p["cost"] for p in got["paths"]]
        assert len(gc) == len(wc)
        for x, y in zip(gc, wc):
            assert math.isclose(x, y, rel_tol=1e-9)
        done += 1


def test_components_and_degree(gstore):
    for net in ("gal", "netsam", "sf"):
        m = gstore.models[net]
        g = m.digraph(follow=False).to_undirected()
        comps = sorted((len(c) for c in nx.connected_components(g)), reverse=True)
        got = gstore.json(f"@{net}/components@limit=all.json")
        assert got["total_components"] == len(comps)
        assert [c["size"] for c in got["components"]] == comps
        deg = gstore.tsv(f"@{net}/degree@limit=all.tsv")
        want = {n: m.edge_count(n) for n in m.name}
        assert {r.node.lower(): int(r.degree) for r in deg.itertuples()} == want
        vals = [int(x) for x in deg.degree]
        assert vals == sorted(vals, reverse=True)


def test_enrichment_against_scipy(gstore):
    from scipy.stats import hypergeom
    m = gstore.models["reactome"]
    universe = set().union(*m.pathways.values())
    rng = random.Random(9)
    # a list biased towards one pathway so some p values are small
    big = max(m.pathways.values(), key=len)
    genes = sorted(rng.sample(sorted(big), min(40, len(big))) + rng.sample(sorted(universe), 160))
    genes = list(dict.fromkeys(genes))
    shown = [m.name[x] for x in genes] + ["NOT_A_GENE"]
    got = gstore.tsv("@reactome/enrich/" + ",".join(shown) + "@limit=all.tsv")
    assert list(got.columns[:8]) == ["pathway", "title", "hits", "size", "list", "universe", "p", "q"]
    n = len(set(genes) & universe)
    N = len(universe)
    rows = {}
    for pid, mem in m.pathways.items():
        k = len(mem & set(genes))
        if k:
            rows[pid] = (k, len(mem), hypergeom.sf(k - 1, N, len(mem), n))
    assert len(got) == len(rows)
    for r in got.itertuples():
        k, K, p = rows[r.pathway.lower()]
        assert int(r.hits) == k and int(r.size) == K and int(r.universe) == N and int(r.list) == n
        assert math.isclose(float(r.p), p, rel_tol=1e-6, abs_tol=1e-300), (r.pathway, r.p, p)
    # Benjamini-Hochberg over the tested pathways
    ps = sorted(float(x) for x in got.p)
    mtests = len(ps)
    q = [min(1.0, min(ps[j] * mtests / (j + 1) for j in range(i, mtests))) for i in range(mtests)]
    assert all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(sorted(float(x) for x in got.q), sorted(q)))
    j = gstore.json("@reactome/enrich/" + ",".join(shown[:50]) + ".json")
    assert j["list_size"] == 50 and j["limit"] == 1000


def test_pathway_graphml_roundtrip(gstore):
    m = gstore.models["reactome"]
    # pathway members, plus sf edges? pathways only in reactome: members
    pid = sorted(m.pathways)[0]
    data = gstore(f"pathways/{pid}.graphml")
    g = nx.read_graphml(io.BytesIO(data))
    assert {n.lower() for n in g.nodes} == m.pathways[pid]
    members = gstore.tsv(f"pathways/{pid}/members.tsv")
    assert {x.lower() for x in members.node} == m.pathways[pid]


def test_graphml_subgraph_equals_oracle(gstore):
    m = gstore.models["gal"]
    g0 = m.digraph(follow=False).to_undirected()
    hub = max(m.name, key=lambda n: g0.degree(n))
    data = gstore(f"@gal/{m.name[hub]}/khop-1@limit=all,edge-limit=all.graphml")
    g = nx.read_graphml(io.BytesIO(data))
    ego = set(nx.single_source_shortest_path_length(g0, hub, cutoff=1))
    assert {n.lower() for n in g.nodes} == ego
    want = {(u, v, t) if d else (min(u, v), max(u, v), t)
            for u, v, t, d, c in m.edges if u in ego and v in ego}
    got = set()
    for u, v, attrs in g.edges(data=True):
        u, v = u.lower(), v.lower()
        got.add((u, v, attrs["type"]) if attrs["directed"] else (min(u, v), max(u, v), attrs["type"]))
    assert got == want


def test_other_formats_parse(gstore):
    import json
    m = gstore.models["gal"]
    n = m.name["ypl248c"]
    cy = json.loads(gstore(f"@gal/{n}/khop-1.cyjs"))
    ids = {x["data"]["id"] for x in cy["elements"]["nodes"]}
    for e in cy["elements"]["edges"]:
        assert e["data"]["source"] in ids and e["data"]["target"] in ids
        assert {"type", "confidence", "network", "directed"} <= set(e["data"])
    dot = gstore(f"@gal/{n}/khop-1.dot").decode()
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    try:
        import pydot  # noqa: F401
    except ImportError:
        pydot = None
    if pydot:
        assert pydot.graph_from_dot_data(dot)
    sif = gstore(f"@gal/{n}/neighbors.sif").decode().splitlines()
    assert all(len(x.split("\t")) in (1, 3) for x in sif)


def test_crosstalk(gstore):
    m = gstore.models["reactome"]
    ids = sorted(m.pathways, key=lambda p: -len(m.pathways[p]))[:2]
    got = gstore.json(f"crosstalk/{ids[0]}/{ids[1]}.json")
    a, b = m.pathways[ids[0]], m.pathways[ids[1]]
    assert {x.lower() for x in got["shared"]} == a & b
    assert got["nshared"] == len(a & b)
    assert math.isclose(got["jaccard"], len(a & b) / len(a | b))
    assert got["total_edges"] == 0       # a GMT has no edges


def test_unknown_names_are_enoent(gstore):
    import errno
    for p in ("NO_SUCH_GENE", "NO_SUCH_GENE/info.json", "YPL248C/khop-x.json", "pathways/NOPE.cyjs",
              "path/YPL248C/NO_SUCH.json", "@nonet", "@gal/A2M", "enrich/NO_SUCH.tsv/x",
              "YPL248C/neighbors.xlsx"):
        assert gstore.errno_of(p) == errno.ENOENT, p
    # a malformed parameter is EINVAL (docs/PATHS.md "Parameters")
    for p in ("YPL248C/neighbors@min-conf=7.json", "YPL248C/neighbors@nope=1.json"):
        assert gstore.errno_of(p) == errno.EINVAL, p
