"""python/genomedb: the package over libgenomedb.so against the mount's
files and the peers (pysam, pyfaidx, Biopython, networkx, numpy)."""
import errno
import json
import os
import random
import shutil

import numpy as np
import pandas as pd
import pytest

import gdbutil as U
import python_util as P
import variants_util as V

import genomedb  # noqa: E402  (python_util put it on sys.path)


@pytest.fixture(scope="module")
def pystore(tmp_path_factory):
    return P.build_store(tmp_path_factory.mktemp("py"))


@pytest.fixture(scope="module")
def mnt(pystore, tmp_path_factory):
    U.require_fuse()
    with U.mounted(pystore, tmp_path_factory.mktemp("pym")) as m:
        yield m.path


@pytest.fixture(scope="module")
def s(pystore):
    st = genomedb.open(pystore)
    yield st
    st.close()


def regions(contigs, n, seed, maxlen=3000):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        c = rng.choice(list(contigs))
        b = rng.randint(1, contigs[c])
        e = min(contigs[c], b + rng.randint(0, maxlen))
        out.append((c, b, e))
    out.append((c, 1, contigs[c]))
    return out


def test_store_lists_what_the_mount_lists(s, mnt):
    assert s.assemblies == ["athal", "ecoli", "b37"]
    assert set(s.assemblies) <= set(os.listdir(mnt))
    assert s.variant_sets == sorted(os.listdir(os.path.join(mnt, "variants")))
    assert s.generation >= 6   # init + five imports


def test_contigs_in_fasta_order_as_pysam(s, tmp_path):
    import pysam
    for asm, src in (("athal", P.ATHAL), ("ecoli", P.ECOLI)):
        fa = pysam.FastaFile(P.plain_copy(src, tmp_path))
        a = s.assembly(asm)
        assert list(a.contigs) == list(fa.references)
        assert list(a.contigs.values()) == list(fa.lengths)


def test_fetch_and_array_against_pysam_pyfaidx_and_the_mount(s, mnt, tmp_path):
    import pyfaidx
    import pysam
    plain = P.plain_copy(P.ATHAL, tmp_path)
    fa, fx = pysam.FastaFile(plain), pyfaidx.Fasta(plain, sequence_always_upper=False)
    a = s["athal"]
    for c, b, e in regions(a.contigs, 40, 1):
        seq = a.fetch(c, b, e)
        assert seq == fa.fetch(c, b - 1, e) == fx[c][b - 1:e].seq
        arr = a.array(c, b, e)
        assert arr.dtype == np.uint8 and arr.flags.owndata
        assert arr.tobytes() == seq.encode().translate(U.U8_TABLE)
        if e - b < 2000:
            base = os.path.join(mnt, "athal", c, f"{b}-{e}")
            assert U.read_file(base + ".seq") == seq.encode()
            assert np.array_equal(np.fromfile(base + ".u8", dtype="u1"), arr)
    assert a.fetch("Chr1", 5, 4) == ""          # empty, as end = start - 1


def test_records_as_biopython_parses_them(s, mnt, tmp_path):
    from Bio import SeqIO
    a = s["athal"]
    mine = list(a.records())
    theirs = list(SeqIO.parse(P.plain_copy(P.ATHAL, tmp_path), "fasta"))
    assert [(r.id, r.name, r.description, str(r.seq)) for r in mine] == \
        [(r.id, r.name, r.description, str(r.seq)) for r in theirs]
    r = a.record("Chr2", 1001, 2000)
    m = SeqIO.read(os.path.join(mnt, "athal", "Chr2", "1001-2000.fa"), "fasta")
    assert (r.id, str(r.seq)) == (m.id, str(m.seq)) == ("Chr2:1001-2000", str(m.seq))


def test_errors_carry_the_library_message(s):
    a = s["ecoli"]
    with pytest.raises(KeyError, match="no contig 'chrX' in assembly 'ecoli'"):
        a.fetch("chrX", 1, 10)
    with pytest.raises(KeyError, match="no assembly 'nope'"):
        s.assembly("nope")
    with pytest.raises(ValueError, match="outside 1-4641652"):
        a.fetch("NC_000913.3", 4641600, 4641700)
    with pytest.raises(ValueError):
        a.array("NC_000913.3", 0, 10)
    with pytest.raises(KeyError, match="no node 'NOT_A_GENE'"):
        s.graph("yeast").neighbors("NOT_A_GENE")
    with pytest.raises(KeyError, match="no network 'mouse'"):
        s.graph("mouse").neighbors("YKR026C")
    with pytest.raises(KeyError, match="no variant set 'x'"):
        s.variants("x")
    with pytest.raises(KeyError, match="no contig '21'"):
        s.variants("kg").sites("21", 1, 100)
    with pytest.raises(ValueError, match="by must be"):
        s.variants("kg").allele_frequencies("20", 1, 100, by="planet")


def test_corruption_is_oserror_naming_the_place(tmp_path):
    d = tmp_path / "bad.gdb"
    assert U.gdb("init", d).rc == 0
    assert U.gdb("import", "fasta", d, "--assembly", "lambda", P.LAMBDA, "--quiet").rc == 0
    seg = [f for f in os.listdir(d) if f.startswith("seg-")][0]
    with genomedb.open(d) as good:
        want = good["lambda"].fetch("gi|9626243|ref|NC_001416.1|", 1, 100)
    with open(d / seg, "r+b") as f:      # a byte inside the one block's payload
        f.seek(4096 + 200)
        b = f.read(1)
        f.seek(4096 + 200)
        f.write(bytes([b[0] ^ 0xFF]))
    with genomedb.open(d) as bad:
        with pytest.raises(OSError) as e:
            bad["lambda"].fetch("gi|9626243|ref|NC_001416.1|", 1, 100)
    assert e.value.errno == errno.EIO
    assert "NC_001416.1" in str(e.value) and "1-100" in str(e.value)
    assert len(want) == 100


def test_neighbors_as_the_mount_and_networkx(s, mnt):
    g = s.graph("yeast")
    G, _ = sif_graphs()
    for node in ("YKR026C", "YGL097W", "YMR043W"):
        df = g.neighbors(node)
        path = os.path.join(mnt, "graph", "@yeast", node, "neighbors.tsv")
        want = pd.read_csv(path, sep="\t", keep_default_na=False, na_values=[])
        pd.testing.assert_frame_equal(df, want)
        assert set(df["neighbor"].str.upper()) == set(G[node])
    hi = g.neighbors("YGL097W", min_conf=0.5, limit=2)
    assert len(hi) <= 2


def sif_graphs():
    """galFiltered.sif in networkx: undirected, and directed (pp both
    ways, pd one way, as the importer reads SIF types)."""
    import networkx as nx
    G, D = nx.Graph(), nx.DiGraph()
    for line in open(P.SIF):
        f = line.split()
        for t in f[2:]:
            a, b = f[0].upper(), t.upper()
            G.add_edge(a, b)
            D.add_edge(a, b)
            if f[1] == "pp":
                D.add_edge(b, a)
    return G, D


def test_shortest_path_and_khop_as_the_mount_and_networkx(s, mnt):
    import networkx as nx
    g = s.graph("yeast")
    G, D = sif_graphs()
    a = "YGL097W"
    hops = nx.single_source_shortest_path_length(D, a)
    for b in sorted(n for n, h in hops.items() if h in (2, 3))[:4]:
        p = g.shortest_path(a, b)
        want = json.load(open(os.path.join(mnt, "graph", "@yeast", "path", a, f"{b}.json")))
        assert p["nodes"] == want["nodes"] and p["cost"] == pytest.approx(want["cost"])
        assert p["found"] and len(p["nodes"]) - 1 == hops[b]
        assert nx.is_path(D, [n.upper() for n in p["nodes"]])
    k2 = g.to_networkx(["YGL097W", "YKR026C"], k=2)
    ego = set(nx.ego_graph(G, "YGL097W", radius=2)) | set(nx.ego_graph(G, "YKR026C", radius=2))
    assert {n.upper() for n in k2.nodes} == ego
    mine = g.to_networkx("YGL097W", k=1)
    theirs = nx.read_graphml(os.path.join(mnt, "graph", "@yeast", "YGL097W", "khop-1.graphml"))
    assert set(mine.nodes) == set(theirs.nodes) and set(mine.edges) == set(theirs.edges)


def test_to_networkx_keeps_parallel_edges_as_read_graphml(s, mnt):
    """YPL248C (GAL4) and YML051W (GAL80) are joined by a pp and a pd edge
    in galFiltered.sif: the khop answer is a multigraph, and the union of
    two such answers is every edge once (it used to raise NetworkXError)."""
    import collections
    import networkx as nx

    def edges(g):
        return collections.Counter((u, v, d["type"]) for u, v, d in g.edges(data=True))
    g = s.graph("yeast")
    base = os.path.join(mnt, "graph", "@yeast")
    theirs = [nx.read_graphml(os.path.join(base, n, "khop-1.graphml")) for n in ("YPL248C", "YML051W")]
    assert theirs[0].is_multigraph()
    one = g.to_networkx("YPL248C", k=1)
    assert one.is_multigraph() and edges(one) == edges(theirs[0])
    both = g.to_networkx(["YPL248C", "YML051W"], k=1)
    assert set(both.nodes) == set(theirs[0].nodes) | set(theirs[1].nodes)
    assert edges(both) == edges(theirs[0]) | edges(theirs[1])


def test_variants_as_the_mount_and_pysam(s, mnt):
    import pysam
    v = s.variants("kg")
    gt = v.genotypes("20", 1_000_000, 1_200_000)
    assert gt.dtype == np.int8 and gt.flags.owndata
    base = os.path.join(mnt, "variants", "kg", "20", "1000000-1200000")
    assert np.array_equal(gt, np.load(base + ".gt.npy"))
    rows = []
    with pysam.VariantFile(V.KG_VCF) as vf:
        for r in vf.fetch("20", 999_999, 1_200_000):
            if r.pos >= 1_000_000:
                rows.append([sum(a for a in smp["GT"] if a is not None) for smp in r.samples.values()])
    assert np.array_equal(gt, np.array(rows, dtype=np.int8))
    sub = v.genotypes("20", 1_000_000, 1_200_000, samples=list(V.sh("bcftools", "query", "-l",
                                                                     V.KG_VCF).decode().split()[:3]))
    assert np.array_equal(sub, gt[:, :3])
    pd.testing.assert_frame_equal(v.sites("20", 1_000_000, 1_200_000),
                                  pd.read_csv(base + ".sites.tsv", sep="\t"))
    af = v.allele_frequencies("20", 1_000_000, 1_200_000, by="population")
    want = pd.read_csv(base + "@by=population.af.tsv", sep="\t", keep_default_na=False,
                       na_values=[])
    pd.testing.assert_frame_equal(af, want)
    assert set(af["population"]) == {"CEU", "FIN", "GBR", "IBS"}


def test_snapshot_kept_while_the_store_is_imported_into(pystore, tmp_path):
    d = tmp_path / "snap.gdb"
    shutil.copytree(pystore, d)
    s = genomedb.open(d)
    gen, seq = s.generation, s["ecoli"].fetch("NC_000913.3", 1, 5000)
    assert U.gdb("import", "fasta", d, "--assembly", "lambda", P.LAMBDA, "--quiet").rc == 0
    assert U.gdb("gc", d).rc == 0
    assert s.generation == gen and "lambda" not in s.assemblies
    assert s["ecoli"].fetch("NC_000913.3", 1, 5000) == seq
    with genomedb.open(d) as fresh:
        assert fresh.generation == gen + 1 and "lambda" in fresh.assemblies
    arr = s["ecoli"].array("NC_000913.3", 1, 5000)
    s.close()
    assert arr.sum() > 0 and len(seq) == 5000   # answers outlive the handle
    with pytest.raises(ValueError, match="closed"):
        s.assemblies


# The docs' names, as this module's store spells them (GAL4, GAL80 and GAL1
# are YPL248C, YML051W and YBR020W in galFiltered.sif).
DOC_NAMES = {'"lab.gdb"': "STORE", '"1kg"': '"kg"', '"genes"': '"tair"',
             '"GAL4"': '"YPL248C"', '"GAL80"': '"YML051W"', '"GAL1"': '"YBR020W"',
             '"NA12878", "NA12891"': '"HG00096", "HG00097"'}


def doc_python_blocks(name):
    text = open(os.path.join(U.REPO, name)).read()
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    for old, new in DOC_NAMES.items():
        blocks = [b.replace(old, new) for b in blocks]
    return blocks


@pytest.mark.parametrize("doc", ["README.md", "docs/PYTHON.md"])
def test_doc_python_examples_run(pystore, doc, tmp_path, monkeypatch):
    """Every ```python block of README.md and docs/PYTHON.md runs as
    written (with this store's names), each from a fresh snapshot: a frame
    df/regions on ecoli, features a shifted copy. to_networkx(["GAL4",
    "GAL80"]) raised NetworkXError until it kept parallel edges."""
    monkeypatch.chdir(tmp_path)        # the plot examples write gc.svg ...
    blocks = doc_python_blocks(doc)
    assert len(blocks) >= (1 if doc == "README.md" else 6), blocks
    for code in blocks:
        s = genomedb.open(pystore)
        df = pd.DataFrame({"chrom": ["NC_000913.3"] * 3, "start": [1001, 50_001, 4_000_001],
                           "end": [2000, 50_300, 4_000_500]})
        ns = {"STORE": pystore, "s": s, "a": s["ecoli"], "df": df, "regions": df,
              "features": df.assign(start=df.start + 150, end=df.end + 150)}
        try:
            exec(compile(code, f"{doc} example", "exec"), ns)
        finally:
            s.close()
            ns.get("s", s).close()


def test_forked_child_starts_with_no_kept_variant_text(s):
    """A child forked while the library keeps a .vcf answer's text buffer
    (the second half of a region, kept for the next answer) starts with
    none (it is the parent's pages; a lock inherited held would hang the
    child: the parent kills it after 60 s and fails) and renders the same
    text; the parent keeps its own. The fork while another thread holds the
    lock is tests/unit/test_variants_render.c's check_spares_fork."""
    import ctypes
    import signal
    import time
    lib = genomedb._lib.lib

    def spares():
        n, nbytes = ctypes.c_uint(), ctypes.c_size_t()
        lib.gdb_variants_spares(ctypes.byref(n), ctypes.byref(nbytes))
        return n.value

    v = s.variants("kg")
    lib.gdb_variants_spares_drain()
    want = v.vcf("20", 1_000_000, 1_200_000)
    assert spares() == 1 and want.count("\n") > 100
    pid = os.fork()
    if pid == 0:
        code = 2
        try:
            kept = spares()
            code = 0 if kept == 0 and v.vcf("20", 1_000_000, 1_200_000) == want else 1
        finally:
            os._exit(code)
    # the bound is the parent's: a child hung in fork()'s handlers never
    # reaches code of its own
    deadline = time.monotonic() + 60
    done, status = os.waitpid(pid, os.WNOHANG)
    while done == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
        done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    assert done == pid, "the child hung (killed after 60 s): a lock inherited held"
    assert os.WIFEXITED(status), f"child killed by signal {os.WTERMSIG(status)}"
    assert os.WEXITSTATUS(status) == 0, "the child kept the parent's text buffer, or rendered wrong"
    assert spares() == 1
    lib.gdb_variants_spares_drain()
