"""Which names are one node across networks (docs/GRAPH.md "Joining
networks"): exact names by default, case-insensitive only when asked at
import, never across species; enrichment's universe is one species; and
every answer says which networks it covers, in each format, in a way the
format's readers (pandas, networkx, Graphviz) still read.

The networks are real: NetSAM's human gene-gene edge list, and the same
list as a mouse network would write it (mouse symbols capitalise only the
first letter: A2M -> A2m), the fgsea mouse Reactome gene sets, and human
gene sets made from the NetSAM genes."""
import io
import json
import subprocess

import pytest

import gdbutil as U
import test_graph_common as GC


def mouse_symbol(s):
    return s[:1].upper() + s[1:].lower()


def netsam_edges():
    with open(GC.data_file("netsam_example_network.tsv")) as f:
        return [tuple(line.split()) for line in f if line.strip()]


def write_mouse_netsam(path):
    with open(path, "w") as f:
        for a, b in netsam_edges():
            f.write(f"{mouse_symbol(a)}\t{mouse_symbol(b)}\n")


def human_sets(path, n=12, size=25):
    """Gene sets over the NetSAM genes (deterministic)."""
    genes = sorted({g for e in netsam_edges() for g in e})
    with open(path, "w") as f:
        for k in range(n):
            members = [genes[(k * 37 + i * 11) % len(genes)] for i in range(size)]
            f.write(f"HSA_SET_{k}\thuman set {k}\t" + "\t".join(members) + "\n")


def store(tmp_path, *imports):
    tmp_path.mkdir(parents=True, exist_ok=True)
    s = tmp_path / "s.gdb"
    assert U.gdb("init", s).rc == 0
    for net, path, args in imports:
        r = U.gdb("import", "graph", s, "--network", net, path, "--quiet", *args)
        assert r.rc == 0, r
    return s


def ask(s):
    return GC.Ask(s)


def networks_of(a, node):
    return sorted(a.json(f"{node}/info.json")["networks"])


def test_species_never_join(genomedb, tmp_path):
    """Mouse A2m is not human A2M, even when both networks match names
    without case; a shortest path does not cross from one to the other."""
    mouse = tmp_path / "mouse.tsv"
    write_mouse_netsam(mouse)
    s = store(tmp_path,
              ("human", GC.data_file("netsam_example_network.tsv"),
               ("--species", "human", "--case-insensitive")),
              ("mouse", mouse, ("--species", "mouse", "--case-insensitive")))
    a = ask(s)
    try:
        assert networks_of(a, "A2M") == ["human"]
        assert networks_of(a, "A2m") == ["mouse"]
        nodes = [x["name"] for x in a.json("degree@limit=all.json")["nodes"]]
        assert {"A2M", "A2m"} <= set(nodes)
        assert len(nodes) == 2 * len({g for e in netsam_edges() for g in e})
        p = a.json("path/A2m/AMBP.json")
        assert p["found"] is False
        assert a.json("path/A2M/AMBP.json")["found"] is True
        nets = {n["name"]: n for n in a.json("networks.json")["networks"]}
        assert nets["human"]["taxon"] == 9606 and nets["mouse"]["taxon"] == 10090
        assert nets["human"]["joins"] == [] and nets["mouse"]["joins"] == []
    finally:
        a.close()


def test_exact_names_by_default(genomedb, tmp_path):
    """Two networks of no stated species join by exact name; A2M and A2m
    join only when the second was imported --case-insensitive."""
    mouse = tmp_path / "titlecase.tsv"
    write_mouse_netsam(mouse)
    s = store(tmp_path,
              ("upper", GC.data_file("netsam_example_network.tsv"), ()),
              ("title", mouse, ()),
              ("upper2", GC.data_file("netsam_example_network.tsv"), ()))
    a = ask(s)
    try:
        assert networks_of(a, "A2M") == ["upper", "upper2"]
        assert networks_of(a, "A2m") == ["title"]
    finally:
        a.close()
    s2 = store(tmp_path / "ci",
               ("upper", GC.data_file("netsam_example_network.tsv"), ()),
               ("title", mouse, ("--case-insensitive",)))
    a = ask(s2)
    try:
        assert networks_of(a, "A2M") == ["title", "upper"]
        info = a.json("A2m/info.json")
        assert info["name"] == "A2M"              # the first network's spelling
    finally:
        a.close()


def test_enrichment_universe_is_one_species(genomedb, tmp_path):
    """A mouse gene list is tested against mouse pathways only: the
    universe is the mouse gene sets' members (counted by the oracle), and
    the answer names the one network it covers."""
    human = tmp_path / "human.gmt"
    human_sets(human)
    mouse_gmt = GC.data_file("reactome_mouse_subset.gmt")
    s = store(tmp_path, ("mouse", mouse_gmt, ("--species", "mouse")),
              ("human", human, ("--species", "9606")))
    mm = GC.parse_gmt(mouse_gmt)
    hs = GC.parse_gmt(str(human))
    mouse_list = sorted(mm.pathways[next(iter(mm.pathways))])[:20]
    human_list = sorted(hs.pathways["hsa_set_3"])[:10]
    a = ask(s)
    try:
        r = a.json("enrich/" + ",".join(mouse_list) + ".json")
        assert r["universe"] == len(mm.name), r["universe"]
        assert r["networks"] == ["mouse"]
        mouse_ids = {ln.split("\t")[0] for ln in open(mouse_gmt)}
        assert r["results"] and all(x["pathway"] in mouse_ids for x in r["results"])
        r = a.json("enrich/" + ",".join(human_list) + ".json")
        assert r["universe"] == len(hs.name) and r["networks"] == ["human"]
        assert r["results"][0]["pathway"] == "HSA_SET_3"
    finally:
        a.close()


@pytest.fixture(scope="module")
def cover_store(genomedb, tmp_path_factory):
    d = tmp_path_factory.mktemp("cover")
    mouse = d / "mouse.tsv"
    write_mouse_netsam(mouse)
    return store(d, ("human", GC.data_file("netsam_example_network.tsv"), ("--species", "human")),
                 ("mouse", mouse, ("--species", "mouse")),
                 ("gal", GC.data_file("galFiltered.sif"), ()))


def test_every_format_says_which_networks(cover_store):
    import networkx as nx
    a = ask(cover_store)
    try:
        assert a.json("A2M/neighbors.json")["networks"] == ["human"]
        assert a.json("A2m/khop-1.json")["networks"] == ["mouse"]
        cy = json.loads(a("A2M/khop-1.cyjs"))
        assert cy["data"]["networks"] == ["human"]
        t = a.tsv("A2M/khop-1.tsv")
        assert list(t.columns)[-1] == "networks" and set(t.networks) == {"human"}
        assert list(t.columns)[:3] == ["node", "distance", "kind"]
        t = a.tsv("A2m/neighbors.tsv")
        assert set(t.networks) == {"mouse"} and set(t.network) == {"mouse"}
        t = a.tsv("components.tsv")
        assert set(t.networks) == {"human,mouse,gal"}
        t = a.tsv("@gal/degree.tsv")
        assert set(t.networks) == {"gal"}
        g = nx.read_graphml(io.BytesIO(a("A2M/khop-1.graphml")))
        assert g.graph["networks"] == "human" and g.number_of_edges() > 0
        dot = a("A2m/khop-1.dot").decode()
        assert "// networks: mouse\n" in dot and 'networks="mouse"' in dot
        r = subprocess.run(["dot", "-Tcanon"], input=dot.encode(), capture_output=True)
        assert r.returncode == 0, r.stderr
        assert b'networks=mouse' in r.stdout or b'networks="mouse"' in r.stdout
    finally:
        a.close()


def test_unknown_species_and_names_in_networks_json(cover_store):
    a = ask(cover_store)
    try:
        nets = {n["name"]: n for n in a.json("networks.json")["networks"]}
        assert nets["gal"]["taxon"] is None and nets["gal"]["species"] is None
        assert nets["gal"]["names"] == "exact"
        assert nets["mouse"]["species"] == "Mus musculus"
    finally:
        a.close()


def test_species_disagreeing_with_the_file_is_refused(genomedb, tmp_path):
    """STRING ids carry their taxon: naming another species is an error
    with file and line, the store untouched."""
    files, _, _ = GC.write_string(str(tmp_path), n_prot=10, n_links=20)
    s = tmp_path / "s.gdb"
    assert U.gdb("init", s).rc == 0
    before = U.snapshot(s)
    r = U.gdb("import", "graph", s, "--network", "x", files[0], "--species", "mouse")
    assert r.rc == 1 and "species 9606" in r.err and "--species" in r.err, r.err
    assert U.snapshot(s) == before
    r = U.gdb("import", "graph", s, "--network", "x", files[0])
    assert r.rc == 0 and "species 9606 (Homo sapiens)" in r.err, r.err
    r = U.gdb("import", "graph", s, "--network", "y", files[0], "--species", "")
    assert r.rc == 2, r
