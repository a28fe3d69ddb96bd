"""A store snapshot and what it holds: assemblies, networks, variant sets.

Coordinates are 1-based inclusive, as the mount's paths
(/<asm>/<contig>/<start>-<end>.fa). Every answer is a copy owned by Python
(str, numpy array, DataFrame), so nothing refers to the store's mapping
after close().
"""
import ctypes
import errno
import io
import json

import numpy as np

from . import _lib
from ._lib import check, errbuf, lib, ERRLEN

BASES, U8 = 0, 1


class Store:
    """One generation of a store, read-only (snapshot isolation): imports
    committed after open() are not seen, and what it maps stays until
    close()."""

    def __init__(self, path, cache_bytes=0):
        h, err = _lib.c_p(), errbuf()
        rc = lib.gdb_api_open(str(path).encode(), cache_bytes, ctypes.byref(h), err, ERRLEN)
        if rc == -errno.ENOENT:   # a path, not a name looked up: not KeyError
            raise FileNotFoundError(errno.ENOENT, err.value.decode("utf-8", "replace"))
        check(rc, err)
        self._h = h
        self.path = str(path)

    def handle(self):
        if self._h is None:
            raise ValueError(f"{self.path}: store is closed")
        return self._h

    def close(self):
        if self._h is not None:
            lib.gdb_api_close(self._h)
            self._h = None

    def __del__(self):
        if getattr(self, "_h", None) is not None:
            self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def generation(self):
        return lib.gdb_api_generation(self.handle())

    @property
    def assemblies(self):
        h = self.handle()
        return [lib.gdb_api_assembly_name(h, i).decode()
                for i in range(lib.gdb_api_nassemblies(h))]

    def assembly(self, name):
        return Assembly(self, name)

    __getitem__ = assembly

    def graph(self, network=None):
        """The store's networks (network None: all of them, as /graph),
        or one network (as /graph/@<network>)."""
        return Graph(self, network)

    @property
    def variant_sets(self):
        h = self.handle()
        return [lib.gdb_api_vset_name(h, i).decode() for i in range(lib.gdb_api_nvsets(h))]

    def variants(self, name):
        if name not in self.variant_sets:
            raise KeyError(f"{self.path}: no variant set '{name}'")
        return Variants(self, name)

    def annotations(self, name):
        """An annotation set (as /annotations/<name>/)."""
        from .frame import Annotations
        return Annotations(self, name)

    def __repr__(self):
        state = "closed" if self._h is None else f"generation {self.generation}"
        return f"<genomedb.Store {self.path!r} {state}>"


def open(path, cache_bytes=0):  # noqa: A001 - the package's entry point
    """Open the current generation of the store at path."""
    return Store(path, cache_bytes)


def _range(start, end):
    """1-based inclusive -> 0-based half-open, checked for sense only (the
    library checks the contig's length)."""
    if start is None:
        start = 1
    start, end = int(start), int(end)
    if start < 1 or end < start - 1:
        raise ValueError(f"bad range {start}-{end} (1-based inclusive)")
    return start - 1, end


class Assembly:
    def __init__(self, store, name):
        err = errbuf()
        self.store = store
        self.name = name
        self.index = check(lib.gdb_api_assembly_find(store.handle(), name.encode(), err,
                                                     ERRLEN), err)
        h = store.handle()
        n = lib.gdb_api_ncontigs(h, self.index)
        self._names = [lib.gdb_api_contig_name(h, self.index, i).decode() for i in range(n)]
        self._descs = [lib.gdb_api_contig_desc(h, self.index, i).decode() for i in range(n)]
        self._ids = {c: i for i, c in enumerate(self._names)}
        self.contigs = {c: lib.gdb_api_contig_length(h, self.index, i)
                        for i, c in enumerate(self._names)}

    def contig_index(self, name):
        try:
            return self._ids[name]
        except KeyError:
            raise KeyError(f"no contig '{name}' in assembly '{self.name}'") from None

    def _fetch(self, contig, start, end, form):
        cid = self.contig_index(contig)
        if end is None:
            end = self.contigs[contig]
        beg0, end0 = _range(start, end)
        n = max(end0 - beg0, 0)
        dst = np.empty(n, dtype=np.uint8)
        err = errbuf()
        check(lib.gdb_api_fetch(self.store.handle(), self.index, cid, beg0, end0, form,
                                dst.ctypes.data, err, ERRLEN), err)
        return dst

    def fetch(self, contig, start=1, end=None):
        """Bases start..end (1-based inclusive) as stored (case kept)."""
        return self._fetch(contig, start, end, BASES).tobytes().decode("ascii")

    def array(self, contig, start=1, end=None):
        """numpy uint8 codes of the .u8 files (A0 C1 G2 T3 N4 ...)."""
        return self._fetch(contig, start, end, U8)

    def record(self, contig, start=1, end=None):
        """A Bio.SeqRecord.SeqRecord with id "contig:start-end"."""
        from Bio.Seq import Seq
        from Bio.SeqRecord import SeqRecord
        if end is None:
            end = self.contigs[contig]
        rid = f"{contig}:{start}-{end}"
        return SeqRecord(Seq(self.fetch(contig, start, end)), id=rid, name=rid,
                         description=rid)

    def records(self):
        """Every contig as SeqRecord, as Bio.SeqIO.parse of the assembly's
        FASTA (id and name the contig's, description its header line)."""
        from Bio.Seq import Seq
        from Bio.SeqRecord import SeqRecord
        for c, desc in zip(self._names, self._descs):
            yield SeqRecord(Seq(self.fetch(c)), id=c, name=c, description=c + desc)

    def __repr__(self):
        return f"<genomedb.Assembly {self.name!r}: {len(self.contigs)} contigs>"


def _params(kw):
    """Keyword filters -> a path's @ text: min_conf=0.7 -> min-conf=0.7,
    type=["a", "b"] -> type=a+b."""
    out = []
    for k, v in kw.items():
        if isinstance(v, (list, tuple)):
            v = "+".join(map(str, v))
        out.append(f"{k.replace('_', '-')}={v}")
    return ",".join(out).encode() if out else None


class Graph:
    """Network queries, answered as /graph's files (docs/GRAPH.md)."""
    NEIGHBORS, KHOP, SHORTEST = 0, 1, 2
    JSON, TSV, GRAPHML = 0, 1, 3

    def __init__(self, store, network=None):
        self.store = store
        self.network = network

    def _query(self, q, a, b=None, k=0, fmt=0, **kw):
        net = self.network.encode() if self.network else None
        return _lib.call_buffer(lib.gdb_api_graph, self.store.handle(), net, q, a.encode(),
                                b.encode() if b else None, k, _params(kw), fmt)

    def neighbors(self, node, **filters):
        """DataFrame with the columns of neighbors.tsv; filters as the
        path's @ keys (min_conf=0.7, type=[...], dir="out", limit=50)."""
        import pandas as pd
        tsv = self._query(self.NEIGHBORS, node, fmt=self.TSV, **filters)
        return pd.read_csv(io.BytesIO(tsv), sep="\t", keep_default_na=False,
                           na_values=[])

    def shortest_path(self, source, target, **filters):
        """{'nodes': [...], 'cost': float} of path/<from>/<to>.json (nodes
        empty and cost None when there is no path)."""
        ans = json.loads(self._query(self.SHORTEST, source, target, fmt=self.JSON, **filters))
        return {"nodes": ans.get("nodes", []), "cost": ans.get("cost"),
                "found": ans.get("found", bool(ans.get("nodes")))}

    def to_networkx(self, nodes, k=1, **filters):
        """The union of the k-hop neighbourhoods (khop-<k>.graphml) of
        nodes, as a networkx DiGraph (undirected edges have directed=False),
        or a MultiDiGraph when two edges join the same pair of nodes (as
        networkx.read_graphml gives such a file)."""
        import networkx as nx
        if isinstance(nodes, str):
            nodes = [nodes]
        parts = [nx.parse_graphml(self._query(self.KHOP, n, k=k, fmt=self.GRAPHML,
                                              **filters).decode("utf-8")) for n in nodes]
        if not any(p.is_multigraph() for p in parts):
            return nx.compose_all([nx.DiGraph()] + parts)
        g = nx.MultiDiGraph()
        for p in parts:     # edge ids ("e0", ...) are each answer's own: key by content
            g.add_nodes_from(p.nodes(data=True))
            for u, v, d in p.edges(data=True):
                key = "\t".join(f"{a}={d[a]}" for a in sorted(d) if a != "id")
                g.add_edge(u, v, key=key, **{a: x for a, x in d.items() if a != "id"})
        return g


class Variants:
    """A variant set, answered as /variants/<set>/ files (docs/PATHS.md)."""
    VCF, SITES, GTNPY, AF = 0, 3, 4, 100
    BY = {"population": 0, "superpopulation": 1, "sample": 2}

    def __init__(self, store, name):
        self.store = store
        self.name = name

    def _answer(self, contig, start, end, what, samples=None):
        beg0, end0 = _range(start, end)
        if samples is not None and not isinstance(samples, str):
            samples = ",".join(samples)
        return _lib.call_buffer(lib.gdb_api_variants, self.store.handle(), self.name.encode(),
                                str(contig).encode(), beg0, end0, what,
                                samples.encode() if samples else None)

    def genotypes(self, contig, start, end, samples=None):
        """int8 ndarray variants x samples (alt dosage, -1 missing), as .gt.npy."""
        return np.load(io.BytesIO(self._answer(contig, start, end, self.GTNPY, samples)))

    def sites(self, contig, start, end):
        """DataFrame of .sites.tsv."""
        import pandas as pd
        return pd.read_csv(io.BytesIO(self._answer(contig, start, end, self.SITES)), sep="\t")

    def allele_frequencies(self, contig, start, end, by="population"):
        """DataFrame of @by=<by>.af.tsv."""
        import pandas as pd
        if by not in self.BY:
            raise ValueError(f"by must be one of {', '.join(self.BY)}")
        tsv = self._answer(contig, start, end, self.AF + self.BY[by])
        return pd.read_csv(io.BytesIO(tsv), sep="\t", keep_default_na=False, na_values=[])

    def vcf(self, contig, start, end, samples=None):
        """The .vcf text (htslib writes it)."""
        return self._answer(contig, start, end, self.VCF, samples).decode()
