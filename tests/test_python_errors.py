"""Errors of the C API (api/genomedb.h) as a binding meets them, and the
Python package's mapping of them (python/genomedb/_lib.py error()):
a name not found is KeyError, a bad range or parameter ValueError, a path
that is not there FileNotFoundError, damage OSError(EIO); each carries the
library's one-line message naming what was wrong.

The package checks much before it calls C (ranges, 'by' names), so the C
API's own checks are also called here through ctypes with what a binding
in another language could pass: indexes past the end, unknown query kinds,
reversed ranges."""
import ctypes
import errno

import pytest

import gdbutil as U
import python_util as P
import variants_util as V

import genomedb  # noqa: E402  (python_util put it on sys.path)
from genomedb import _lib as L  # noqa: E402


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """athal, a network and a variant set imported without a panel."""
    d = tmp_path_factory.mktemp("pyerr")
    path = P.build_store(d, full=False)
    vcf = V.vcf_subset(d / "kg.vcf.gz", nrec=40, nsamples=4)
    for args in (("import", "graph", path, "--network", "yeast", P.SIF, "--quiet"),
                 ("import", "fasta", path, "--assembly", "b37", V.KG_REF, "--quiet"),
                 ("import", "vcf", path, "--set", "np", "--reference", "b37", vcf, "--quiet")):
        r = U.gdb(*args)
        assert r.rc == 0, r
    return path


@pytest.fixture(scope="module")
def s(store):
    st = genomedb.open(store)
    yield st
    st.close()


def c_call(fn, *args):
    """fn(*args, err, ERRLEN) -> (rc, message)."""
    err = L.errbuf()
    rc = fn(*args, err, L.ERRLEN)
    return rc, err.value.decode()


def c_buffer(fn, *args):
    """A call answering in a malloc'd buffer: (rc, message)."""
    out, n = L.c_p(), L.sz()
    rc, msg = c_call(fn, *args, ctypes.byref(out), ctypes.byref(n))
    L.lib.gdb_api_free(out)
    return rc, msg


def test_open_a_missing_path_is_file_not_found(tmp_path):
    for path in (tmp_path / "nothing-here", tmp_path):   # absent; a directory but no store
        with pytest.raises(FileNotFoundError) as e:
            genomedb.open(path)
        assert e.value.errno == errno.ENOENT and str(path) in str(e.value)
        assert path.exists() == ("not a GenomeDB store" in str(e.value)), str(e.value)


def test_open_a_damaged_store_is_eio(store, tmp_path):
    import shutil
    d = tmp_path / "bad.gdb"
    shutil.copytree(store, d)
    cur = (d / "CURRENT").read_bytes()
    (d / "CURRENT").write_bytes(cur[:-2] + bytes([cur[-2] ^ 1]) + cur[-1:])
    with pytest.raises(OSError) as e:
        genomedb.open(d)
    assert e.value.errno == errno.EIO and "CURRENT" in str(e.value)


def test_indexes_past_the_end(s):
    h, lib = s.handle(), L.lib
    a = s["athal"].index
    n = lib.gdb_api_ncontigs(h, a)
    assert lib.gdb_api_ncontigs(h, 999) == 0
    assert lib.gdb_api_assembly_name(h, 999) is None
    assert lib.gdb_api_contig_name(h, a, n) is None
    assert lib.gdb_api_contig_desc(h, 999, 0) is None
    assert lib.gdb_api_contig_length(h, a, n) == -errno.ENOENT
    assert lib.gdb_api_vset_name(h, 999) is None
    assert c_call(lib.gdb_api_contig_find, h, 999, b"Chr1")[0] == -errno.ENOENT
    rc, msg = c_call(lib.gdb_api_contig_find, h, a, b"Chr9")
    assert rc == -errno.ENOENT and msg == "no contig 'Chr9' in assembly 'athal'"
    dst = ctypes.create_string_buffer(16)
    rc, msg = c_call(lib.gdb_api_fetch, h, a, n, 0, 10, 0, dst)
    assert rc == -errno.ENOENT and msg == f"no contig {n} in assembly {a}"
    with pytest.raises(KeyError, match=f"no contig {n} in assembly {a}"):
        L.check(rc, ctypes.create_string_buffer(msg.encode()))
    rc, msg = c_call(lib.gdb_api_fetch, h, a, 0, 10, 5, 0, dst)
    assert rc == -errno.ERANGE and "ending before it starts" in msg


def test_network_queries(s):
    h, lib = s.handle(), L.lib
    rc, msg = c_buffer(lib.gdb_api_graph, h, b"yeast", 7, b"YKR026C", None, 0, None, 0)
    assert rc == -errno.EINVAL and msg == "unknown network query 7"
    with pytest.raises(ValueError, match="unknown network query 7"):
        L.call_buffer(lib.gdb_api_graph, h, b"yeast", 7, b"YKR026C", None, 0, None, 0)
    with pytest.raises(KeyError, match="no node 'NOT_A_GENE' in that network"):
        s.graph("yeast").shortest_path("YKR026C", "NOT_A_GENE")
    with pytest.raises(KeyError, match="no node ''"):
        s.graph("yeast").shortest_path("YKR026C", "")
    with pytest.raises(ValueError, match="min-conf"):
        s.graph("yeast").neighbors("YKR026C", min_conf="high")
    # the filter's text is kept with the handle: a good query after a bad one
    assert len(s.graph("yeast").neighbors("YKR026C", limit=2)) <= 2


def test_a_store_without_networks(tmp_path):
    path = P.build_store(tmp_path, full=False)
    with genomedb.open(path) as st:
        with pytest.raises(KeyError, match="no networks in the store"):
            st.graph().neighbors("YKR026C")


def test_variant_queries(s):
    h, lib = s.handle(), L.lib
    for what in (-1, 5, 99, 104):
        rc, msg = c_buffer(lib.gdb_api_variants, h, b"np", b"20", 0, 100, what, None)
        assert (rc, msg) == (-errno.EINVAL, "bad variant query"), what
    rc, msg = c_buffer(lib.gdb_api_variants, h, b"np", b"20", 100, 50, 0, None)
    assert rc == -errno.ERANGE and msg == "20: bad range 101-50 (1-based)"
    v = s.variants("np")
    with pytest.raises(ValueError, match="a set imported without a panel has no populations"):
        v.allele_frequencies("20", 1, 4000000, by="population")
    with pytest.raises(KeyError, match="NOBODY"):
        v.genotypes("20", 1, 4000000, samples=["NOBODY"])
    with pytest.raises(KeyError, match="no variant set 'zz'"):
        L.call_buffer(lib.gdb_api_variants, h, b"zz", b"20", 0, 10, 0, None)
    gt = v.genotypes("20", 1, 4000000)
    assert gt.shape == (40, 4)


def test_error_mapping_of_every_kind():
    """_lib.error(): the code decides the class, the message is the C one
    (or gdb_strerror's when C gave none)."""
    buf = ctypes.create_string_buffer(b"what happened")
    cases = [(-errno.ENOENT, KeyError), (L.GDB_EFORMAT, ValueError), (-errno.ERANGE, ValueError),
             (-errno.EINVAL, ValueError), (L.GDB_ECORRUPT, OSError), (L.GDB_ECHECKSUM, OSError),
             (L.GDB_EVERSION, OSError), (-errno.EFBIG, OSError), (L.GDB_ELOCKED, OSError)]
    for rc, cls in cases:
        e = L.error(rc, buf)
        assert type(e) is cls and "what happened" in str(e), rc
    assert L.error(-errno.EFBIG, buf).errno == errno.EFBIG
    assert L.error(L.GDB_ELOCKED, buf).errno == errno.EIO
    assert L.error(L.GDB_ECHECKSUM, None).errno == errno.EIO
    assert str(L.error(-errno.EACCES, ctypes.create_string_buffer(1))).endswith(
        L.lib.gdb_strerror(-errno.EACCES).decode())
    assert L.check(3, buf) == 3


def test_annotation_join_refusals(s):
    import numpy as np
    h, lib = s.handle(), L.lib
    contig = np.zeros(2, dtype=np.int32)
    beg, end = np.array([10, 50], dtype=np.int64), np.array([20, 40], dtype=np.int64)

    def join(cols=None, ncols=0):
        b = L.Batch(2, contig.ctypes.data, beg.ctypes.data, end.ctypes.data)
        out, n, types = (L.c_p * (ncols + L.ANNOT_FIELDS))(), L.i64(), L.AnnotTypes()
        rc, msg = c_call(lib.gdb_api_annot_overlap, h, b"tair", ctypes.byref(b), cols, ncols,
                         out, ctypes.byref(n), ctypes.byref(types))
        for p in out:
            lib.gdb_api_free(p)
        return rc, msg

    assert join() == (-errno.ERANGE, "an interval ends before it starts")
    end[1] = 60
    three = (L.Column * 1)(L.Column(beg.ctypes.data, 3))
    assert join(three, 1) == (-errno.EINVAL, "a column's values are not of 1, 2, 4 or 8 bytes")
    contig[:] = 999
    assert join() == (-errno.EINVAL, "a row's contig slot is out of range")
    contig[:] = 0
    assert join()[0] == 0


def test_a_join_refuses_a_right_side_past_its_positions():
    """The join's plan keeps the right side's sorted positions in 32 bits:
    2^32 rows or more are refused by count, before a row is read (the
    arrays here are never touched)."""
    import numpy as np
    c, b, e = (np.zeros(1, dtype=np.int64) for _ in range(3))
    c32 = np.zeros(1, dtype=np.int32)
    e[0] = 10
    left = L.Batch(1, c32.ctypes.data, b.ctypes.data, e.ctypes.data)
    right = L.Batch(1 << 32, c32.ctypes.data, b.ctypes.data, e.ctypes.data)
    ia, ib, n = L.i64p(), L.i64p(), L.i64()
    rc, msg = c_call(L.lib.gdb_api_overlap, ctypes.byref(left), ctypes.byref(right),
                     ctypes.byref(ia), ctypes.byref(ib), ctypes.byref(n))
    assert (rc, msg) == (-errno.ERANGE, "right: 4294967296 rows (at most 4294967295)")
    with pytest.raises(ValueError, match="at most 4294967295"):
        L.check(rc, ctypes.create_string_buffer(msg.encode()))
