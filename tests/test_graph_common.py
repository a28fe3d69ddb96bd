"""Shared pieces of the graph tests (tests/test_graph_*.py): asking /graph
paths in process or through a mount, independent parsers of the source
files, and the oracle model that networkx queries run on.

The oracle re-implements only the documented import rules (docs/GRAPH.md):
node names join case-insensitively; SIF edges are directed unless the type
is one of the undirected interaction words; unscored edges have confidence
1; exact duplicates (an undirected edge in either orientation) count once.
"""
import errno
import math
import os

import pytest
import random
import subprocess

import numpy as np
import networkx as nx

import gdbutil as U

GRAPH_DATA = os.path.join(U.DATA, "graph")
# ../shared beside the clone (the project keeps its public data sets there)
SHARED_NET = os.path.join(os.path.dirname(U.REPO), "shared", "data", "networks")
HOP = 0.001

SIF_UNDIRECTED = {"pp", "ppi", "interacts", "interacts_with", "interacts-with", "binding",
                  "association", "physical", "genetic", "coexpression", "co-expression",
                  "in-complex-with", "neighbor-of", "gi", "interaction", "complex"}


def data_file(name, shared_name=None):
    """A fixture in tests/data/graph (always present)."""
    return os.path.join(GRAPH_DATA, name)


def shared(name):
    """A file of ../shared/data/networks, or None in a user's clone without
    it (tests on it then skip). CI runs with ../shared beside the clone:
    there a missing file is an error, not a skip."""
    p = os.path.join(SHARED_NET, name)
    if os.path.exists(p):
        return p
    if U.IN_CI:
        pytest.fail(f"{p} missing under CI=true", pytrace=False)
    return None


def graph_test_binary():
    return os.path.join(U.BUILD, "tests", "test_graph")


class Ask:
    """Resolve /graph paths: through a mount when given, else in process
    with `test_graph query STORE` (the provider without FUSE)."""

    def __init__(self, store, mount=None):
        self.store, self.mount = str(store), mount
        self.proc = None

    def _proc(self):
        if self.proc is None:
            exe = graph_test_binary()
            if not os.access(exe, os.X_OK):
                raise AssertionError(f"{exe} not built (tests/unit/test_graph.c): run make")
            self.proc = subprocess.Popen([exe, "query", self.store], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return self.proc

    def close(self):
        if self.proc:
            self.proc.stdin.close()
            err = self.proc.stderr.read().decode("utf-8", "replace")
            self.proc.wait(timeout=60)
            U.check_sanitizer(err, "test_graph query")
            self.proc = None

    def raw(self, path):
        """(rc, bytes): rc 0 file, 1 dir, negative errno."""
        if self.mount:
            p = os.path.join(self.mount, "graph", path) if path else os.path.join(self.mount, "graph")
            try:
                if os.path.isdir(p):
                    return 1, b""
                with open(p, "rb") as f:
                    return 0, f.read()
            except OSError as e:
                return -e.errno, b""
        pr = self._proc()
        pr.stdin.write(path.encode() + b"\n")
        pr.stdin.flush()
        head = pr.stdout.readline().decode().split()
        if len(head) != 2:
            err = pr.stderr.read().decode("utf-8", "replace")
            raise AssertionError(f"test_graph query died on {path!r}: {err[-3000:]}")
        rc, n = int(head[0]), int(head[1])
        data = pr.stdout.read(n) if n else b""
        return rc, data

    def __call__(self, path):
        rc, data = self.raw(path)
        if rc < 0:
            raise OSError(-rc, os.strerror(-rc), path)
        if rc == 1:
            raise IsADirectoryError(errno.EISDIR, "is a directory", path)
        return data

    def text(self, path):
        return self(path).decode()

    def json(self, path):
        import json
        return json.loads(self(path))

    def tsv(self, path):
        import io
        import pandas as pd
        return pd.read_csv(io.BytesIO(self(path)), sep="\t", dtype=str, keep_default_na=False)

    def errno_of(self, path):
        return -self.raw(path)[0] if self.raw(path)[0] < 0 else 0


def f32(x):
    return float(np.float32(x))


class Model:
    """The oracle: edges (u, v, type, directed, conf), names joined
    case-insensitively (key = lower-case name, shown = first spelling)."""

    def __init__(self):
        self.name = {}
        self.edges = set()
        self.pathways = {}

    def node(self, n):
        k = n.lower()
        self.name.setdefault(k, n)
        return k

    def edge(self, u, v, t, directed, conf=1.0):
        u, v = self.node(u), self.node(v)
        if not directed and u > v:
            u, v = v, u
        self.edges.add((u, v, t, bool(directed), f32(conf)))

    def selected(self, min_conf=0.0, types=None):
        mc = f32(min_conf)
        return [e for e in self.edges if e[4] >= mc and (types is None or e[2].lower() in types)]

    def digraph(self, min_conf=0.0, types=None, follow=True):
        """Directed graph of the edges (undirected ones both ways); with
        follow=False direction is ignored. Weight: cheapest -ln c + HOP."""
        g = nx.DiGraph()
        g.add_nodes_from(self.name)
        for u, v, t, d, c in self.selected(min_conf, types):
            w = -math.log(max(c, 1e-9)) + HOP
            for a, b in ((u, v), (v, u)) if (not d or not follow) else ((u, v),):
                if not g.has_edge(a, b) or g[a][b]["weight"] > w:
                    g.add_edge(a, b, weight=w)
        return g

    def neighbours(self, n, direction="both", min_conf=0.0, types=None):
        n = n.lower()
        out = set()
        for u, v, t, d, c in self.selected(min_conf, types):
            if d:
                if direction in ("out", "both") and u == n:
                    out.add(v)
                if direction in ("in", "both") and v == n:
                    out.add(u)
            else:
                if u == n:
                    out.add(v)
                if v == n:
                    out.add(u)
        return out

    def edge_count(self, n, direction="both", min_conf=0.0, types=None):
        n = n.lower()
        k = 0
        for u, v, t, d, c in self.selected(min_conf, types):
            if d:
                if direction in ("out", "both") and u == n:
                    k += 1
                if direction in ("in", "both") and v == n and not (direction == "both" and u == n):
                    k += 1
            elif u == n or v == n:
                k += 1
        return k


def parse_sif(path, model=None):
    m = model or Model()
    with open(path) as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in (line.split("\t") if "\t" in line else line.split())]
            while parts and not parts[-1]:
                parts.pop()
            if len(parts) == 1:
                m.node(parts[0])
                continue
            src, t, targets = parts[0], parts[1], parts[2:]
            for d in targets:
                m.edge(src, d, t, t.lower() not in SIF_UNDIRECTED)
    return m


def parse_tsv(path, model=None, src=0, dst=1, typ=None, conf=None, directed=None,
              header=False, default_type="interaction", default_directed=False):
    m = model or Model()
    with open(path) as f:
        first = True
        for line in f:
            line = line.rstrip("\r\n")
            if first and header:
                first = False
                continue
            first = False
            if not line or line.startswith("#"):
                continue
            p = [x.strip() for x in line.split("\t")]
            t = p[typ] if typ is not None and p[typ] else default_type
            c = float(p[conf]) if conf is not None else 1.0
            d = p[directed].lower() in ("true", "1", "yes", "t", "directed") if directed is not None \
                else default_directed
            m.edge(p[src], p[dst], t, d, c)
    return m


def parse_gmt(path, model=None):
    m = model or Model()
    with open(path) as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line:
                continue
            p = line.split("\t")
            genes = {m.node(g.strip()) for g in p[2:] if g.strip()}
            m.pathways.setdefault(p[0].strip().lower(), set()).update(genes)
    return m


def scale_free_tsv(path, n, m_attach, seed, directed_share=0.5, types=("activation", "inhibition", "binding")):
    """A Barabasi-Albert graph with random types, directions and confidences
    (3 decimals), as a 5-column TSV with a header. Returns its Model."""
    rng = random.Random(seed)
    g = nx.barabasi_albert_graph(n, m_attach, seed=seed)
    model = Model()
    with open(path, "w") as f:
        f.write("source\ttarget\ttype\tconfidence\tdirected\n")
        for u, v in g.edges():
            if rng.random() < 0.5:
                u, v = v, u
            t = rng.choice(types)
            c = round(rng.uniform(0.15, 1.0), 3)
            d = rng.random() < directed_share
            a, b = f"G{u}", f"G{v}"
            f.write(f"{a}\t{b}\t{t}\t{c}\t{'true' if d else 'false'}\n")
            model.edge(a, b, t, d, c)
    return model


STRING_CHANNELS = ["neighborhood", "fusion", "cooccurence", "coexpression", "experimental",
                   "database", "textmining"]


def write_string_files(dirpath, pairs, info, aliases):
    """STRING's links (each pair listed both ways, as STRING does: the
    channels of STRING_CHANNELS then combined_score), protein.info and
    aliases files. pairs: {(id, id): scores}; info: [(id, preferred name,
    size, annotation)]; aliases: [(id, alias, source)]. Returns the paths."""
    links = os.path.join(dirpath, "9606.protein.links.detailed.v12.0.txt")
    with open(links, "w") as f:
        f.write("protein1 protein2 " + " ".join(STRING_CHANNELS) + " combined_score\n")
        for (a, b), s in sorted(pairs.items()):
            for x, y in ((a, b), (b, a)):
                f.write(f"{x} {y} " + " ".join(map(str, s)) + "\n")
    ipath = os.path.join(dirpath, "9606.protein.info.v12.0.txt")
    with open(ipath, "w") as f:
        f.write("#string_protein_id\tpreferred_name\tprotein_size\tannotation\n")
        f.writelines(f"{p}\t{n}\t{size}\t{note}\n" for p, n, size, note in info)
    apath = os.path.join(dirpath, "9606.protein.aliases.v12.0.txt")
    with open(apath, "w") as f:
        f.write("#string_protein_id\talias\tsource\n")
        f.writelines(f"{p}\t{a}\t{src}\n" for p, a, src in aliases)
    return links, ipath, apath


def write_string(dirpath, n_prot=60, n_links=400, seed=7, detailed=True):
    """Deterministic STRING-format files: links (both directions listed, as
    STRING does), protein.info and aliases. Returns (paths, model, info)."""
    rng = random.Random(seed)
    prots = [f"9606.ENSP{100000 + i:011d}" for i in range(n_prot)]
    names = {p: f"GENE{i}" for i, p in enumerate(prots)}
    pairs = {}
    while len(pairs) < n_links:
        a, b = rng.sample(prots, 2)
        if (b, a) in pairs:
            continue
        pairs[(a, b)] = [rng.randrange(0, 1000) for _ in STRING_CHANNELS] + [rng.randrange(150, 1000)]
    info = [(p, names[p], rng.randrange(100, 900), "some protein; annotation") for p in prots]
    aliases = [row for i, p in enumerate(prots)
               for row in ((p, str(7000 + i), "Ensembl_HGNC_entrez_id"), (p, f"P{i:05d}", "UniProt_AC"))]
    files = write_string_files(dirpath, pairs, info, aliases)
    model = Model()
    for (a, b), s in pairs.items():
        model.edge(names[a], names[b], "association", False, s[-1] / 1000)
    return files, model, names


def write_biogrid(path, n=40, rows=150, seed=5):
    rng = random.Random(seed)
    cols = ["#BioGRID Interaction ID", "Entrez Gene Interactor A", "Entrez Gene Interactor B",
            "BioGRID ID Interactor A", "BioGRID ID Interactor B", "Systematic Name Interactor A",
            "Systematic Name Interactor B", "Official Symbol Interactor A",
            "Official Symbol Interactor B", "Synonyms Interactor A", "Synonyms Interactor B",
            "Experimental System", "Experimental System Type", "Author", "Publication Source",
            "Organism ID Interactor A", "Organism ID Interactor B", "Throughput", "Score",
            "Modification", "Qualifications", "Tags", "Source Database",
            "SWISS-PROT Accessions Interactor A", "TREMBL Accessions Interactor A",
            "REFSEQ Accessions Interactor A", "SWISS-PROT Accessions Interactor B",
            "TREMBL Accessions Interactor B", "REFSEQ Accessions Interactor B",
            "Ontology Term IDs", "Ontology Term Names", "Ontology Term Categories",
            "Ontology Term Qualifier IDs", "Ontology Term Qualifier Names",
            "Ontology Term Types", "Organism Name Interactor A", "Organism Name Interactor B"]
    model = Model()
    systems = [("Two-hybrid", "physical"), ("Affinity Capture-MS", "physical"),
               ("Synthetic Lethality", "genetic"), ("Biochemical Activity", "physical")]
    with open(path, "w") as f:
        f.write("\t".join(cols) + "\n")
        for i in range(rows):
            a, b = rng.sample(range(n), 2)
            sysname, stype = rng.choice(systems)
            mod = "Phosphorylation" if sysname == "Biochemical Activity" else "-"
            row = {c: "-" for c in cols}
            row.update({"#BioGRID Interaction ID": str(1000 + i),
                        "Entrez Gene Interactor A": str(500 + a), "Entrez Gene Interactor B": str(500 + b),
                        "Official Symbol Interactor A": f"SYM{a}", "Official Symbol Interactor B": f"SYM{b}",
                        "Synonyms Interactor A": f"ALT{a}|OLD{a}", "Synonyms Interactor B": f"ALT{b}",
                        "Experimental System": sysname, "Experimental System Type": stype,
                        "Publication Source": f"PUBMED:{30000 + i}", "Throughput": "Low Throughput",
                        "Modification": mod, "SWISS-PROT Accessions Interactor A": f"Q{a:05d}"})
            f.write("\t".join(row[c] for c in cols) + "\n")
            t = mod.lower() if mod != "-" else stype
            model.edge(f"SYM{a}", f"SYM{b}", t, mod != "-")
    return model
