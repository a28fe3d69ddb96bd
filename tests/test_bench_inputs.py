"""bench/inputs.py, the generated inputs two bench scripts share in one
`make bench` run: made once and found again under the same key, made
anew when a parameter changes (the old version removed), never left half
written, and the same bytes as the generator writes by itself (the
STRING-like links file of bench/graph/run.py, the proteins of
bench/codecs/run.py, at small sizes). No benchmark runs here."""
import gzip
import hashlib
import importlib.util
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(rel, name):
    """A bench script as a module (its directory on sys.path, as when run)."""
    path = os.path.join(REPO, rel)
    sys.path.insert(0, os.path.dirname(path))
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        sys.path.pop(0)
    return mod


inputs = load("bench/inputs.py", "bench_inputs")


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def maker(calls):
    def make(d, n):
        calls.append(n)
        with open(os.path.join(d, "data.txt"), "w") as f:
            f.write("x" * n)
    return make


def test_made_once_then_found(tmp_path, monkeypatch):
    monkeypatch.setenv(inputs.ENV, str(tmp_path / "inputs"))
    calls = []
    make = maker(calls)
    d1 = inputs.shared("toy", make, {"n": 3}, code=(make,), work=str(tmp_path / "w1"))
    d2 = inputs.shared("toy", make, {"n": 3}, code=(make,), work=str(tmp_path / "w2"))
    assert d1 == d2 and calls == [3]
    assert os.path.dirname(d1) == str(tmp_path / "inputs")   # the run's directory, not work
    assert not (tmp_path / "w1").exists()
    # another parameter: made anew, the older version removed
    d3 = inputs.shared("toy", make, {"n": 5}, code=(make,))
    assert d3 != d1 and calls == [3, 5] and not os.path.exists(d1)
    with open(os.path.join(d3, "data.txt")) as f:
        assert f.read() == "xxxxx"


def test_key_follows_sources_and_code(tmp_path):
    src = tmp_path / "source.txt"
    src.write_text("a")
    calls = []
    make = maker(calls)
    w = str(tmp_path / "w")
    d1 = inputs.shared("toy", make, {"n": 1}, code=(make,), sources=[str(src)], work=w)
    src.write_text("ab")                  # the file the generator reads changed
    d2 = inputs.shared("toy", make, {"n": 1}, code=(make,), sources=[str(src)], work=w)
    d3 = inputs.shared("toy", make, {"n": 1}, code=(make, maker), sources=[str(src)], work=w)
    assert len({d1, d2, d3}) == 3 and calls == [1, 1, 1]


def test_a_failed_generator_leaves_nothing(tmp_path):
    def make(d, n):
        with open(os.path.join(d, "part.txt"), "w") as f:
            f.write("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        inputs.shared("toy", make, {"n": 1}, work=str(tmp_path))
    assert os.listdir(tmp_path) == []
    # a temporary of a process that is gone is tidied by the next maker
    dead = tmp_path / ".toy-0123456789abcdef.999999999.tmp"
    dead.mkdir()
    calls = []
    d = inputs.shared("toy", maker(calls), {"n": 2}, work=str(tmp_path))
    assert os.listdir(tmp_path) == [os.path.basename(d)] and calls == [2]


def test_shared_inputs_are_the_generators_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv(inputs.ENV, str(tmp_path / "inputs"))
    graph = load("bench/graph/run.py", "bench_graph_run")
    direct = tmp_path / "links.txt"
    names, a, b, score = graph.write_string(str(direct), 20000, 20000, graph.SEED)
    f, n2, a2, b2, s2 = graph.string_input(str(tmp_path / "w"), 20000)
    assert digest(f) == digest(direct)
    assert (names == n2).all() and (a == a2).all() and (b == b2).all() and (score == s2).all()
    codecs = load("bench/codecs/run.py", "bench_codecs_run")
    # small proteomes of our own in place of the shared ones (a clone may lack them)
    shared = tmp_path / "shared"
    (shared / "protein").mkdir(parents=True)
    (shared / codecs.PROTEOMES[0]).write_text(">a\nMKVLAAGIVGLLLA\n>b\nMSTNPKPQRK\nTKRNTNRRPQ\n")
    with gzip.open(shared / codecs.PROTEOMES[1], "wt") as g:
        g.write(">c\nMDDDKKPLLEEAWQRSTVY\n")
    monkeypatch.setattr(codecs, "SHARED", str(shared))
    direct = tmp_path / "prot.fa"
    codecs.proteins(300, str(direct))
    p = codecs.protein_input(str(tmp_path / "w"), 300)
    assert digest(p) == digest(direct)
    assert sorted(os.listdir(tmp_path / "inputs")) == sorted(
        [os.path.basename(os.path.dirname(f)), os.path.basename(os.path.dirname(p))])
