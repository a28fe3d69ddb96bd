"""The bytes of /graph answers, recorded: a store built from tests/data and
two generated networks (a mixed directed/undirected graph and STRING files
with score channels, both human and imported with case-insensitive names,
so they join each other; the real ones are of no stated species) is
asked the corpus of tests/graph_answers.py (every query kind and format,
filters, truncating limits, one-network views), and each kind's answers
must hash to the digest in tests/data/graph/answers.sha256.

Changes meant to leave answers as they are (faster queries, renderers) keep
this passing; a deliberate change to a layout re-records the digests with
GDB_UPDATE_ANSWERS=1 (and says so in docs/GRAPH.md). To find the paths
behind a changed digest: tests/graph_answers.py --base OLD_BUILD STORE.
Path costs and p-values (log, lgamma: the C library's last digit) are left
out; tests/test_graph_query.py checks those against networkx and scipy.
"""
import hashlib
import os

import pytest

import gdbutil as U
import graph_answers as GA
import test_graph_common as GC

DIGESTS = os.path.join(GC.GRAPH_DATA, "answers.sha256")


class Lcg:
    """A generator fixed here (Python promises only random() across
    versions): 64-bit LCG (Knuth's MMIX constants), top 31 bits."""

    def __init__(self, seed):
        self.x = seed

    def below(self, n):
        self.x = (self.x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        return (self.x >> 33) % n


def mixed_tsv(path, n=400, m=1600, seed=11):
    """Preferential attachment with types, directions and 3-decimal
    confidences; a few names are galFiltered's in lower case (joined)."""
    rng = Lcg(seed)
    gal = sorted({w for line in open(GC.data_file("galFiltered.sif")) for w in line.split()[::2]})
    name = [gal[i * 7 % len(gal)].lower() if i % 25 == 0 else f"M{i}" for i in range(n)]
    ends = [0, 1]
    with open(path, "w") as f:
        f.write("source\ttarget\ttype\tconfidence\tdirected\n")
        for e in range(m):
            a = 2 + rng.below(n - 2) if e >= 1 else 0
            b = ends[rng.below(len(ends))]
            if a == b:
                b = (b + 1) % n
            t = ("activation", "inhibition", "binding")[rng.below(3)]
            c = (150 + rng.below(851)) / 1000
            d = "true" if rng.below(2) else "false"
            f.write(f"{name[a]}\t{name[b]}\t{t}\t{c:.3f}\t{d}\n")
            ends += [a, b]


def string_files(d, n=80, links=500, seed=12):
    """STRING links (both directions, 7 channels), protein.info, aliases."""
    rng = Lcg(seed)
    prots = [f"9606.ENSP{200000 + i:011d}" for i in range(n)]
    pairs = {}
    while len(pairs) < links:
        a, b = sorted((rng.below(n), rng.below(n)))
        if a != b:
            pairs[(prots[a], prots[b])] = ([rng.below(1000) for _ in GC.STRING_CHANNELS]
                                           + [150 + rng.below(850)])
    # a few preferred names are the mixed graph's (joined)
    info = [(p, f"m{i * 5}" if i % 4 == 0 else f"SG{i}", 100, "x") for i, p in enumerate(prots)]
    aliases = [(p, f"P{i:05d}", "UniProt_AC") for i, p in enumerate(prots)]
    return GC.write_string_files(d, pairs, info, aliases)


@pytest.fixture(scope="module")
def astore(genomedb, tmp_path_factory):
    d = tmp_path_factory.mktemp("answers")
    s = str(d / "a.gdb")
    assert U.gdb("init", s).rc == 0
    mixed = str(d / "mixed.tsv")
    mixed_tsv(mixed)
    jobs = [("gal", [GC.data_file("galFiltered.sif")], ()),
            ("netsam", [GC.data_file("netsam_example_network.tsv")], ()),
            ("reactome", [GC.data_file("reactome_mouse_subset.gmt")], ()),
            ("toy", [GC.data_file("toy_pathway.kgml")], ()),
            ("ecoli", [GC.data_file("e_coli_core.xml")], ()),
            ("mixed", [mixed], ("--format", "tsv", "--columns",
                                "source=1,target=2,type=3,confidence=4,directed=5", "--header",
                                "--species", "9606", "--case-insensitive")),
            ("string", list(string_files(str(d))), ("--case-insensitive",))]
    for net, files, args in jobs:
        r = U.gdb("import", "graph", s, "--network", net, *files, "--quiet", *args)
        assert r.rc == 0, r
    return s


def test_answers_as_recorded(astore):
    q = GA.Query(U.BUILD, astore)
    groups = {}
    try:
        for tmpl, path in GA.corpus(q, U.BUILD, astore, transcendental=False):
            h = groups.setdefault(tmpl, hashlib.sha256())
            rc, data = q(path)
            h.update(f"{path}\n{rc} {len(data)}\n".encode() + data)
    finally:
        U.check_sanitizer(q.close(), "test_graph query")
    got = {t: h.hexdigest() for t, h in groups.items()}
    if os.environ.get("GDB_UPDATE_ANSWERS") == "1":
        with open(DIGESTS, "w") as f:
            f.writelines(f"{d}  {t}\n" for t, d in sorted(got.items()))
        return
    want = GA.read_digests(DIGESTS)
    changed = sorted(t for t in set(got) | set(want) if got.get(t) != want.get(t))
    assert not changed, (f"{len(changed)} kinds of answer changed (of {len(got)}): "
                         + ", ".join(changed[:30]))


def test_graphml_keys_every_networks_channels(astore):
    """An answer mixing networks declares the channel keys of each network
    its edges come from (the union, by name), so networkx finds STRING's
    scores on STRING edges even when a channel-less network's edge comes
    first; the Cytoscape JSON of the same answer carries the same values."""
    import io
    import json
    import networkx as nx
    q = GA.Query(U.BUILD, astore)
    try:
        checked = 0
        for node in ("m0", "m20", "m40", "m60", "m100", "m140"):
            rc, data = q(f"{node}/khop-2.graphml")
            if rc != 0 or b"<data key=\"network\">string<" not in data:
                continue
            g = nx.read_graphml(io.BytesIO(data))
            first = data.split(b"<edge ", 1)[1].split(b"</edge>", 1)[0]
            if b">string<" in first:
                continue                      # the old rule got this right
            rc, cy = q(f"{node}/khop-2.cyjs")
            want = {}
            for e in json.loads(cy)["elements"]["edges"]:
                d = e["data"]
                if d["network"] == "string":
                    want.setdefault(frozenset((d["source"], d["target"])), []).append(
                        tuple(d[ch] for ch in GC.STRING_CHANNELS))
            edges = g.edges(data=True)
            for u, v, a in edges:
                if a["network"] == "string":
                    got = tuple(a[ch] for ch in GC.STRING_CHANNELS)
                    assert got in want[frozenset((u, v))], (node, u, v)
                    checked += 1
                else:
                    assert not set(GC.STRING_CHANNELS) & set(a)
        assert checked, "no mixed answer whose first edge is not STRING's"
    finally:
        U.check_sanitizer(q.close(), "test_graph query")
