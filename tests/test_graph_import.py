"""`genomedb import graph`: every format on real files (tests/data/graph,
and ../shared/data/networks beside the clone when present) and on generated STRING and
BioGRID files; malformed inputs fail with "FILE:LINE: reason", exit 1,
and leave the store byte-identical; usage errors exit 2."""
import errno
import gzip
import os
import re
import shutil

import pytest

import gdbutil as U
import test_graph_common as GC


def new_store(tmp_path, name="g.gdb"):
    p = tmp_path / name
    r = U.gdb("init", p)
    assert r.rc == 0, r
    return p


def imp(store, net, *files, args=()):
    return U.gdb("import", "graph", store, "--network", net, *files, "--quiet", *args)


def networks(store):
    a = GC.Ask(store)
    try:
        return {n["name"]: n for n in a.json("networks.json")["networks"]}
    finally:
        a.close()


@pytest.mark.parametrize("fname,fmt,net", [
    ("galFiltered.sif", None, "gal"),
    ("netsam_example_network.tsv", None, "netsam"),
    ("reactome_mouse_subset.gmt", None, "reactome"),
    ("toy_pathway.kgml", None, "toy"),
    ("e_coli_core.xml", None, "ecoli"),
    ("galFiltered.sif", "sif", "gal2"),
    ("toy_pathway.kgml", "kgml", "toy2"),
])
def test_import_fixture_formats(genomedb, tmp_path, fname, fmt, net):
    s = new_store(tmp_path)
    args = ("--format", fmt) if fmt else ()
    r = imp(s, net, GC.data_file(fname), args=args)
    assert r.rc == 0, r
    n = networks(s)[net]
    assert n["nodes"] > 0
    r = U.gdb("verify", s)
    assert r.rc == 0, r


def test_import_counts_match_oracle(genomedb, tmp_path):
    s = new_store(tmp_path)
    assert imp(s, "gal", GC.data_file("galFiltered.sif")).rc == 0
    assert imp(s, "netsam", GC.data_file("netsam_example_network.tsv")).rc == 0
    assert imp(s, "reactome", GC.data_file("reactome_mouse_subset.gmt")).rc == 0
    n = networks(s)
    gal = GC.parse_sif(GC.data_file("galFiltered.sif"))
    assert n["gal"]["nodes"] == len(gal.name)
    assert n["gal"]["edges"] == len(gal.edges)
    assert set(n["gal"]["types"]) == {"pp", "pd"}
    ns = GC.parse_tsv(GC.data_file("netsam_example_network.tsv"))
    assert n["netsam"]["nodes"] == len(ns.name)
    assert n["netsam"]["edges"] == len(ns.edges)
    re_ = GC.parse_gmt(GC.data_file("reactome_mouse_subset.gmt"))
    assert n["reactome"]["pathways"] == len(re_.pathways)
    assert n["reactome"]["nodes"] == len(re_.name)


def test_string_links_info_aliases(genomedb, tmp_path):
    s = new_store(tmp_path)
    files, model, names = GC.write_string(str(tmp_path))
    # given in any order: links are read first, then info, then aliases
    r = imp(s, "string", files[2], files[0], files[1])
    assert r.rc == 0, r
    n = networks(s)["string"]
    assert n["edges"] == len(model.edges)          # both directions listed once
    assert n["nodes"] == len(model.name)
    assert n["channels"][:2] == ["neighborhood", "fusion"]
    a = GC.Ask(s)
    try:
        info = a.json("GENE3/info.json")
        als = {x["alias"] for x in info["aliases"]}
        assert "9606.ENSP00000100003" in als and "7003" in als and "P00003" in als
        # lookups by alias and case-insensitively land on the same node
        assert a.json("gene3/info.json")["name"] == "GENE3"
        assert a.json("9606.ENSP00000100003/info.json")["name"] == "GENE3"
        assert a.json("P00003/info.json")["name"] == "GENE3"
        nb = a.json("GENE3/neighbors.json")
        assert {x["neighbor"].lower() for x in nb["neighbors"]} == model.neighbours("GENE3")
        assert "experimental" in nb["neighbors"][0]
    finally:
        a.close()


def test_string_plain_and_gz(genomedb, tmp_path):
    s = new_store(tmp_path)
    p = tmp_path / "links.txt.gz"
    with gzip.open(p, "wt") as f:
        f.write("protein1 protein2 combined_score\n9606.A 9606.B 900\n9606.B 9606.A 900\n"
                "9606.B 9606.C 400\n")
    r = imp(s, "s", p, args=("--format", "string"))
    assert r.rc == 0, r
    assert networks(s)["s"]["edges"] == 2


def test_biogrid(genomedb, tmp_path):
    s = new_store(tmp_path)
    p = tmp_path / "BIOGRID-ORGANISM-Test.tab3.txt"
    model = GC.write_biogrid(str(p))
    r = imp(s, "bg", p)
    assert r.rc == 0, r
    n = networks(s)["bg"]
    assert n["edges"] == 150            # each row has its own evidence (PubMed id)
    assert set(n["types"]) <= {"physical", "genetic", "phosphorylation"}
    a = GC.Ask(s)
    try:
        assert a.json("ALT3/info.json")["name"] == "SYM3"      # synonym alias
        assert a.json("503/info.json")["name"] == "SYM3"       # Entrez alias
        got = {x["neighbor"].lower() for x in a.json("SYM3/neighbors@limit=all.json")["neighbors"]}
        assert got == model.neighbours("SYM3")
    finally:
        a.close()


def test_kgml_fixture_semantics(genomedb, tmp_path):
    s = new_store(tmp_path)
    assert imp(s, "toy", GC.data_file("toy_pathway.kgml")).rc == 0
    a = GC.Ask(s)
    try:
        e = a.tsv("pathways/tst00001.tsv")
        rows = {(r.source, r.target, r.type, r.directed) for r in e.itertuples()}
        assert ("RECA", "KINB", "activation", "true") in rows
        assert ("RECA", "KINB", "phosphorylation", "true") in rows
        assert ("INHD", "KINB", "inhibition", "true") in rows
        # multi-gene entry expands to each gene; group expands to components
        assert ("KINB", "tst:103", "activation", "true") in rows
        assert ("KINB", "tst:104", "activation", "true") in rows
        assert ("RECA", "INHD", "binding", "false") in rows
        assert ("RECA", "TGTE", "binding", "false") in rows
        assert ("KINB", "ENZF", "ECrel", "false") in rows
        mem = set(a.tsv("pathways/tst00001/members.tsv").node)
        assert mem == {"RECA", "KINB", "tst:103", "tst:104", "INHD", "TGTE", "ENZF"}
        assert a.json("RA1/info.json")["name"] == "RECA"          # graphics synonym
        assert a.json("tst:101/info.json")["name"] == "RECA"      # KEGG id
        # reaction: substrate -> enzyme -> product
        nb = a.json("ENZF/neighbors.json")["neighbors"]
        got = {(x["neighbor"], x["type"], x["direction"]) for x in nb}
        assert ("cpd:C00002", "substrate", "in") in got and ("cpd:C00008", "product", "out") in got
        info = a.json("cpd:C00002/info.json")
        assert info["kind"] == "compound"
    finally:
        a.close()


@pytest.mark.skipif(not GC.shared("kgml_hsa04115_p53.xml"), reason="shared KGML files absent")
def test_kgml_real_files(genomedb, tmp_path):
    s = new_store(tmp_path)
    files = sorted(os.path.join(GC.SHARED_NET, f) for f in os.listdir(GC.SHARED_NET)
                   if f.startswith("kgml_"))
    r = imp(s, "kegg", *files)
    assert r.rc == 0, r
    n = networks(s)["kegg"]
    assert n["pathways"] == len(files)
    a = GC.Ask(s)
    try:
        tp = a.json("TP53/info.json")
        assert any(x["alias"] == "hsa:7157" for x in tp["aliases"])
        pw = {x["id"] for x in a.json("TP53/pathways.json")["pathways"]}
        assert {"hsa04115", "hsa04110"} <= pw
        mdm2 = a.json("TP53/upstream-1@type=inhibition.json")
        assert "MDM2" in {x["name"] for x in mdm2["nodes"]}
    finally:
        a.close()


@pytest.mark.skipif(not GC.shared("sbml_iJO1366.xml.gz"), reason="shared SBML absent")
def test_sbml_real_gz(genomedb, tmp_path):
    s = new_store(tmp_path)
    r = imp(s, "ijo", GC.shared("sbml_iJO1366.xml.gz"))
    assert r.rc == 0, r
    n = networks(s)["ijo"]
    assert n["nodes"] > 5000 and n["pathways"] > 10


def test_sbml_semantics(genomedb, tmp_path):
    import xml.etree.ElementTree as ET
    s = new_store(tmp_path)
    assert imp(s, "ecoli", GC.data_file("e_coli_core.xml")).rc == 0
    ns = {"s": "http://www.sbml.org/sbml/level3/version1/core",
          "fbc": "http://www.sbml.org/sbml/level3/version1/fbc/version2"}
    root = ET.parse(GC.data_file("e_coli_core.xml")).getroot()
    model = root.find("s:model", ns)
    rx = model.find("s:listOfReactions", ns).findall("s:reaction", ns)
    pfk = [r for r in rx if r.get("id") == "R_PFK"][0]
    reactants = {x.get("species") for x in pfk.find("s:listOfReactants", ns)}
    products = {x.get("species") for x in pfk.find("s:listOfProducts", ns)}
    a = GC.Ask(s)
    try:
        nb = a.json("R_PFK/neighbors@limit=all.json")["neighbors"]
        assert {x["neighbor"] for x in nb if x["type"] == "reactant"} == reactants
        assert {x["neighbor"] for x in nb if x["type"] == "product"} == products
        genes = {x["neighbor"] for x in nb if x["type"] == "catalysis"}
        assert len(genes) >= 2
        assert a.json("R_PFK/info.json")["kind"] == "reaction"
        members = set(a.tsv("pathways/e_coli_core/members.tsv").node)
        assert genes <= members
    finally:
        a.close()


def test_tsv_column_mapping(genomedb, tmp_path):
    s = new_store(tmp_path)
    p = tmp_path / "edges.tsv"
    p.write_text("from\tscore\tto\tkind\n"
                 "a\t0.5\tb\tactivation\n"
                 "b\t0.25\tc\tinhibition\n")
    r = imp(s, "t", p, args=("--format", "tsv", "--columns",
                             "source=from,target=to,type=kind,confidence=score", "--directed"))
    assert r.rc == 0, r
    a = GC.Ask(s)
    try:
        nb = a.tsv("b/neighbors.tsv")
        assert set(zip(nb.neighbor, nb.direction, nb.type, nb.confidence)) == {
            ("a", "in", "activation", "0.5"), ("c", "out", "inhibition", "0.25")}
    finally:
        a.close()
    p2 = tmp_path / "e2.tsv"
    p2.write_text("x\ty\t0.9\n")
    r = imp(s, "t2", p2, args=("--format", "tsv", "--columns", "source=1,target=2,confidence=3"))
    assert r.rc == 0, r


MALFORMED = [
    ("bad.sif", "sif", "a pp b\nc pp\n", 2),
    ("bad.gmt", "gmt", "SET1\tdesc\tA\tB\nSET2\n", 2),
    ("bad.tsv", "tsv", "a\tb\n\tc\n", 2),
    ("bad_string.txt", "string", "protein1 protein2 combined_score\nA B 900\nA C\n", 3),
    ("bad_string2.txt", "string", "protein1 protein2 combined_score\nA B 1900\n", 2),
    ("bad.kgml", "kgml", "<?xml version='1.0'?>\n<pathway name=\"path:x1\">\n<entry id=\"1\" "
     "name=\"x:1\" type=\"gene\">\n</pathway>\n", 4),
    # a relation to entries the file does not define is skipped (reference
    # maps have them, test_kgml_reference_map_...); one without entry2 is bad
    ("bad2.kgml", "kgml", "<pathway name=\"path:x1\">\n<relation entry1=\"1\" "
     "type=\"PPrel\"/>\n</pathway>\n", 2),
    ("bad.sbml", "sbml", "<sbml>\n<model id=\"m\">\n<listOfReactions>\n<reaction id=\"R1\">\n"
     "<listOfReactants><speciesReference species=\"nope\"/></listOfReactants>\n</reaction>\n"
     "</listOfReactions></model></sbml>\n", 5),
    ("bad3.xml", "kgml", "<pathway name='p'>\n<entry id='1' name=x type='gene'/>\n</pathway>\n", 2),
    ("bad_biogrid.txt", "biogrid", "#BioGRID Interaction ID\tEntrez Gene Interactor A\t"
     "Entrez Gene Interactor B\tOfficial Symbol Interactor A\tOfficial Symbol Interactor B"
     "\tx\ty\tz\tw\tv\tu\tt\n1\t2\n", 2),
]


@pytest.mark.parametrize("name,fmt,text,line", [m for m in MALFORMED if m[3] is not None])
def test_malformed_is_an_error_and_store_unchanged(genomedb, tmp_path, name, fmt, text, line):
    s = new_store(tmp_path)
    assert imp(s, "first", GC.data_file("galFiltered.sif")).rc == 0
    before = U.snapshot(s)
    p = tmp_path / name
    p.write_text(text)
    for args in (("--format", fmt), ()):
        r = imp(s, "bad", p, args=args)
        assert r.rc == 1, r
        assert f"{p}:{line}:" in r.err, r.err
        assert U.snapshot(s) == before, U.snapshot_diff(before, U.snapshot(s))
    assert "bad" not in networks(s)


def test_errors_without_touching_the_store(genomedb, tmp_path):
    s = new_store(tmp_path)
    before = U.snapshot(s)
    r = imp(s, "x", tmp_path / "missing.sif")
    assert r.rc == 1 and "missing.sif" in r.err
    p = tmp_path / "mystery.dat"
    p.write_bytes(b"\x01\x02\x03 binary\n")
    r = imp(s, "x", p)
    assert r.rc == 1 and "--format" in r.err, r
    r = U.gdb("import", "graph", s, "--network", "x")
    assert r.rc == 2
    r = U.gdb("import", "graph", s, "--network", "a/b", GC.data_file("galFiltered.sif"))
    assert r.rc == 2
    r = U.gdb("import", "graph", s, "--network", "x", GC.data_file("galFiltered.sif"),
              "--format", "xls")
    assert r.rc == 2
    assert U.snapshot(s) == before
    # the same name twice: the second import fails, the first stays
    assert imp(s, "x", GC.data_file("galFiltered.sif")).rc == 0
    mid = U.snapshot(s)
    r = imp(s, "x", GC.data_file("netsam_example_network.tsv"))
    assert r.rc == 1
    assert U.snapshot(s) == mid


def test_format_guessing(genomedb, tmp_path):
    s = new_store(tmp_path)
    # content, not the name, decides for these
    for src, dst in (("galFiltered.sif", "a.txt"), ("netsam_example_network.tsv", "b.txt"),
                     ("reactome_mouse_subset.gmt", "c.txt"), ("toy_pathway.kgml", "d.xml"),
                     ("e_coli_core.xml", "e.dat")):
        shutil.copy(GC.data_file(src), tmp_path / dst)
        r = imp(s, dst.split(".")[0], tmp_path / dst)
        assert r.rc == 0, (src, r)
    n = networks(s)
    assert n["a"]["types"] == ["pp", "pd"] or set(n["a"]["types"]) == {"pp", "pd"}
    assert n["b"]["types"] == ["interaction"]
    assert n["c"]["pathways"] > 100
    assert n["d"]["pathways"] == 1 and n["e"]["pathways"] >= 1


def test_provenance_recorded(genomedb, tmp_path):
    s = new_store(tmp_path)
    assert imp(s, "gal", GC.data_file("galFiltered.sif")).rc == 0
    r = U.gdb("info", s)
    assert r.rc == 0
    assert "gal" in r.out.decode()


def test_provenance_names_every_file(genomedb, tmp_path):
    """A multi-file import records each file (name, size, SHA-256), in the
    order read: links first, then protein.info, then aliases."""
    import hashlib
    import json
    s = new_store(tmp_path)
    files, _, _ = GC.write_string(str(tmp_path))
    assert imp(s, "string", files[2], files[0], files[1]).rc == 0
    r = U.gdb("info", s, "--json")
    assert r.rc == 0
    prov = [p for p in json.loads(r.out)["provenance"] if p["target"] == "string"]
    assert [p["source"] for p in prov] == [str(files[0]), str(files[1]), str(files[2])]
    for p in prov:
        data = open(p["source"], "rb").read()
        assert p["source_bytes"] == len(data)
        assert p["sha256"] == hashlib.sha256(data).hexdigest()
    assert len({p["command"] for p in prov}) == 1 and len({p["time"] for p in prov}) == 1


# ------------------------------------------------------------ format guessing

def weighted_netsam(path, header="TAIL\tHEAD\tWEIGHT", sep="\t"):
    """The real NetSAM gene-gene edge list with a header row and a weight
    column in [0,1] (3 decimals, fixed by the row number), as gene networks
    are shared; returns {(a, b): weight}."""
    edges = {}
    with open(GC.data_file("netsam_example_network.tsv")) as f, open(path, "w") as out:
        if header is not None:
            out.write(header.replace("\t", sep) + "\n")
        for i, line in enumerate(f):
            a, b = line.split()
            w = round(((i * 7919) % 1000) / 1000, 3)
            edges.setdefault((a, b), w)
            out.write(f"{a}{sep}{b}{sep}{w}\n")
    return edges


def neighbour_rows(store, node):
    a = GC.Ask(store)
    try:
        return {(x["neighbor"], x["confidence"]) for x in
                a.json(f"{node}/neighbors@limit=all.json")["neighbors"]}
    finally:
        a.close()


@pytest.mark.parametrize("sep", ["\t", " "])
def test_guess_edge_list_with_header_and_weights(genomedb, tmp_path, sep):
    """A TAIL HEAD WEIGHT list (the header, names, numbers) is a TSV edge
    list: the header is no edge, the weight is the confidence; it was read
    as GMT (tabs) or SIF (blanks) before."""
    s = new_store(tmp_path)
    p = tmp_path / "network.txt"
    edges = weighted_netsam(p, sep=sep)
    r = U.gdb("import", "graph", s, "--network", "w", p)
    assert r.rc == 0, r
    err = r.err
    assert "from tsv (guessed: " in err and "header row" in err and \
        "column 3 as confidence" in err, err
    n = networks(s)["w"]
    assert n["pathways"] == 0 and n["types"] == ["interaction"]
    assert n["edges"] == len(edges)
    assert "TAIL" not in {x["name"] for x in GC.Ask(s).json("degree@limit=all.json")["nodes"]}
    want = {(b, GC.f32(w)) for (a, b), w in edges.items() if a == "A2M"} | \
           {(a, GC.f32(w)) for (a, b), w in edges.items() if b == "A2M"}
    assert {(nb, GC.f32(c)) for nb, c in neighbour_rows(s, "A2M")} == want


def test_guess_three_columns_numeric_third(genomedb, tmp_path):
    """geneA geneB 0.9: the number is a confidence, not a neighbour named
    0.9 of type geneB (SIF)."""
    s = new_store(tmp_path)
    p = tmp_path / "pairs.txt"
    edges = weighted_netsam(p, header=None, sep=" ")
    r = imp(s, "p", p)
    assert r.rc == 0, r
    n = networks(s)["p"]
    assert n["types"] == ["interaction"] and n["edges"] == len(edges)
    a = GC.Ask(s)
    try:
        assert a.errno_of("0.9/info.json") == errno.ENOENT
        assert a.errno_of("0.5/info.json") == errno.ENOENT
    finally:
        a.close()


@pytest.mark.parametrize("header,cols", [("TAIL\tHEAD", 2), ("TAIL\tHEAD\tWEIGHT", 3),
                                         ("gene1\tgene2\tscore", 3)])
def test_format_tsv_without_columns_skips_the_header(genomedb, tmp_path, header, cols):
    s = new_store(tmp_path)
    p = tmp_path / "edges.tsv"
    with open(GC.data_file("netsam_example_network.tsv")) as f, open(p, "w") as out:
        out.write(header + "\n")
        for i, line in enumerate(f):
            out.write(line.rstrip("\n") + (f"\t0.{i % 10}" if cols == 3 else "") + "\n")
    r = imp(s, "t", p, args=("--format", "tsv"))
    assert r.rc == 0, r
    first = header.split("\t")[0]
    a = GC.Ask(s)
    try:
        assert a.errno_of(f"{first}/info.json") == errno.ENOENT
    finally:
        a.close()
    assert networks(s)["t"]["edges"] == len(GC.parse_tsv(GC.data_file("netsam_example_network.tsv")).edges)


def test_uncertain_guess_stops_and_names_the_candidates(genomedb, tmp_path):
    """Three named columns could be SIF (a type b), a gene set or a typed
    edge list: nothing is guessed, the message names each reading and the
    flag that picks it, the store is untouched."""
    s = new_store(tmp_path)
    before = U.snapshot(s)
    p = tmp_path / "three.txt"
    p.write_text("TP53\tMDM2\tactivation\nMDM2\tCDKN1A\tinhibition\nEGFR\tGRB2\tactivation\n")
    r = imp(s, "x", p)
    assert r.rc == 1, r
    err = r.err
    for fmt in ("sif", "tsv"):
        assert f"--format {fmt}" in err, err
    assert U.snapshot(s) == before
    r = imp(s, "x", p, args=("--format", "sif"))
    assert r.rc == 0, r


# --------------------------------------------------------- KGML reference maps

def undefined_references(path):
    """Relations and group components naming entries the file does not
    define, counted from Biopython's reading of the file (the peer)."""
    from Bio.KEGG.KGML import KGML_parser
    import xml.etree.ElementTree as ET
    with open(path) as f:
        pw = KGML_parser.read(f)
    ids = set(pw.entries)
    rel = sum(1 for r in pw.relations if r._entry1 not in ids or r._entry2 not in ids)
    comp = sum(1 for c in ET.parse(path).getroot().iter("component") if int(c.get("id")) not in ids)
    return rel, comp, pw


def test_kgml_reference_map_skips_undefined_entries(genomedb, tmp_path):
    """A reference map relating entries it never defines imports (it was
    refused whole: 'relation refers to unknown entry'); what is skipped is
    counted in the summary; --strict refuses it with file and line."""
    s = new_store(tmp_path)
    path = GC.data_file("reference_map.kgml")
    rel, comp, pw = undefined_references(path)
    assert rel == 2 and comp == 1
    r = U.gdb("import", "graph", s, "--network", "ko", path)
    assert r.rc == 0, r
    assert f"; {rel + comp} references to undefined entries skipped" in r.err, r.err
    a = GC.Ask(s)
    try:
        rows = {(x.source, x.target, x.type) for x in a.tsv("pathways/ko99990.tsv").itertuples()}
        # the defined relations are there: each id of entry 1 -> entry 2 ...
        assert {("ko:K00844", "GPI", "ECrel"), ("ko:K12407", "GPI", "ECrel")} <= rows \
            or {("GPI", "ko:K00844", "ECrel"), ("GPI", "ko:K12407", "ECrel")} <= rows
        # ... and the group's defined component (PFK) gets the activation
        assert ("ko:K00844", "PFK", "activation") in rows
        assert not any("31" in x or "32" in x for row in rows for x in row)
    finally:
        a.close()
    before = U.snapshot(s)
    r = imp(s, "strict", path, args=("--strict",))
    assert r.rc == 1
    assert re.search(re.escape(path) + r":\d+: (relation|group component) refers to unknown entry",
                     r.err), r.err
    assert U.snapshot(s) == before


# ------------------------------------------------------------- genomedb info

def test_info_describes_each_network(genomedb, tmp_path):
    """info gives a network's nodes, edges, pathways, species, how names
    match and the files it came from (was: "object string: 38 sections"),
    in text and in --json, as /graph/networks.json counts them."""
    s = new_store(tmp_path)
    files, _, _ = GC.write_string(str(tmp_path))
    assert imp(s, "string", *files).rc == 0
    assert imp(s, "toy", GC.data_file("toy_pathway.kgml"), args=("--case-insensitive",)).rc == 0
    n = networks(s)
    r = U.gdb("info", s)
    assert r.rc == 0, r
    out = r.out if isinstance(r.out, str) else r.out.decode()
    st = n["string"]
    assert (f"network string: {st['nodes']} nodes, {st['edges']} edges, 0 pathways, "
            "species 9606 (Homo sapiens), names exact;") in out, out
    toy = n["toy"]
    assert (f"network toy: {toy['nodes']} nodes, {toy['edges']} edges, 1 pathway, "
            "species unknown, names case-insensitive;") in out, out
    for f in files:
        assert f"  from {f} ({os.path.getsize(f)} bytes)" in out
    import json
    objs = {o["name"]: o for o in json.loads(U.gdb("info", s, "--json").out)["objects"]}
    net = objs["string"]["network"]
    assert (net["nodes"], net["edges"], net["pathways"], net["taxon"], net["species"]) == \
        (st["nodes"], st["edges"], 0, 9606, "Homo sapiens")
    assert net["sources"] == [str(f) for f in files] and net["damaged"] is None
    assert objs["toy"]["network"]["names"] == "case-insensitive"
