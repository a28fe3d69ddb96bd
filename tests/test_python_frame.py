"""df.genomedb: the pandas accessor against pyfaidx, Biopython, the mount's
/compute/motif files, bioframe and pyranges, on Arabidopsis (1%) and its
GFF. Touching intervals ([1,10] and [11,20]) do not overlap; their nearest
distance is 0, as bioframe.closest."""
import ctypes
import errno
import os
import random
import re

import numpy as np
import pandas as pd
import pytest

import gdbutil as U
import python_util as P

import genomedb  # noqa: E402


@pytest.fixture(scope="module")
def pystore(tmp_path_factory):
    return P.build_store(tmp_path_factory.mktemp("pyf"), full=False)


@pytest.fixture(scope="module")
def athal(pystore):
    s = genomedb.open(pystore)
    yield s["athal"]
    s.close()


def random_frame(contigs, n, seed, lo=1, hi=2000):
    """n intervals of lo-hi bases (1-based inclusive) on contigs {name: length}."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        c = rng.choice(list(contigs))
        length = min(rng.randint(lo, hi), contigs[c])
        b = rng.randint(1, contigs[c] - length + 1)
        rows.append((c, b, b + length - 1))
    return pd.DataFrame(rows, columns=["chrom", "start", "end"])


@pytest.fixture(scope="module")
def frames(athal):
    q = random_frame(athal.contigs, 3000, 7)
    q.index = q.index * 3 + 5          # a non-default index is kept
    return q, P.gff_features()


def test_sequences_gc_as_pyfaidx_and_biopython(athal, frames, tmp_path):
    import pyfaidx
    from Bio.SeqUtils import gc_fraction
    q = frames[0]
    fx = pyfaidx.Fasta(P.plain_copy(P.ATHAL, tmp_path), sequence_always_upper=False)
    seqs = q.genomedb.sequences(athal)
    assert list(seqs.index) == list(q.index)
    want = [fx[c][b - 1:e].seq for c, b, e in q[["chrom", "start", "end"]].itertuples(index=False)]
    assert seqs.tolist() == want
    assert seqs.dtype == object and all(type(x) is str for x in seqs)
    assert seqs.str.len().sum() == sum(map(len, want)) and seqs.name == "sequence"
    gc = q.genomedb.gc(athal)
    assert np.allclose(gc.to_numpy(), [gc_fraction(x) for x in want], rtol=0, atol=1e-12)
    bed = q.rename(columns={"start": "start0"}).assign(start0=q["start"] - 1)
    assert bed.genomedb.sequences(athal).tolist() == want
    # lazily: one buffer, a str per item only when asked for (pyfaidx's answers)
    lazy = q.genomedb.sequences(athal, lazy=True)
    assert len(lazy) == len(q) and isinstance(lazy, genomedb.Sequences)
    assert [lazy[i] for i in range(len(lazy))] == want == list(lazy) == lazy.tolist()
    assert lazy[-1] == want[-1] and lazy.array(3).tobytes().decode() == want[3]
    assert lazy.lengths.tolist() == [len(w) for w in want]
    with pytest.raises(IndexError):
        lazy[len(q)]
    c, b = q["chrom"].iloc[0], int(q["start"].iloc[0])
    odd = pd.DataFrame({"chrom": [c, c, c], "start": [b, b + 5, b], "end": [b + 2, b + 4, b]})
    got = odd.genomedb.sequences(athal, lazy=True)     # an empty range between two
    assert list(got) == [fx[c][b - 1:b + 2].seq, "", fx[c][b - 1:b].seq] == [got[i] for i in range(3)]
    assert len(q.iloc[:0].genomedb.sequences(athal, lazy=True)) == 0


def test_sequences_made_by_the_library_or_decoded_alike(athal, frames, monkeypatch):
    """On CPython the library makes each str (PyUnicode_New, found by the
    probe) and writes its bases into it; elsewhere a buffer is decoded.
    Both give the same str objects, which behave as any str (hash,
    equality, slicing, encoding) and are held once, by the Series."""
    import platform
    import sys
    from genomedb import _lib
    q = frames[0]
    made = q.genomedb.sequences(athal)
    nones = sys.getrefcount(None)
    for _ in range(3):
        q.genomedb.sequences(athal)
    # the 3,000 None each empty object array held were dropped, not leaked
    assert abs(sys.getrefcount(None) - nones) < 1000
    assert (_lib.STR_MAKER is not None) == (platform.python_implementation() == "CPython")
    monkeypatch.setattr(_lib, "STR_MAKER", None)
    decoded = q.genomedb.sequences(athal)
    assert decoded.tolist() == made.tolist() and list(decoded.index) == list(made.index)
    assert made.dtype == object and decoded.dtype == object and made.name == "sequence"
    # the arena allocator wrapped during the call is the one in place after
    arena = [_lib.Arena(), _lib.Arena()]
    if _lib.populated_arenas.set is not None:
        _lib.populated_arenas.get(ctypes.byref(arena[0]))
        q.genomedb.sequences(athal)
        _lib.populated_arenas.get(ctypes.byref(arena[1]))
        assert bytes(arena[0]) == bytes(arena[1]) and arena[0].alloc != _lib.populated_arenas.mine.alloc
    arr = made.to_numpy()
    x = arr[7]
    assert sys.getrefcount(x) == 3          # the array's slot, x, the argument
    assert x.isascii() and x.encode("ascii").decode() == x and hash(x) == hash(str(decoded.iloc[7]))
    assert {x: 1}[decoded.iloc[7]] == 1 and x[1:4] == decoded.iloc[7][1:4]
    assert type(x) is str


def test_sequences_leave_nothing_behind(athal, frames):
    """Repeated calls, dropped each time, hold no memory (tracemalloc
    sees every str the library makes)."""
    import tracemalloc
    q = frames[0]
    want = q.genomedb.sequences(athal).tolist()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(10):
            got = q.genomedb.sequences(athal)
            del got
        grown = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert grown < sum(map(len, want)) // 10, grown


def test_sequences_failing_midway_drop_every_str_made(athal, frames):
    """A str that cannot be made (make returns NULL at row 1,000) fails the
    call with -ENOMEM: the 999 made are dropped, the slots keep what they
    held. The make here wraps PyUnicode_New and keeps its own reference to
    each str, so the counts show what the library still holds."""
    import sys
    from genomedb import _lib
    from genomedb._lib import Batch, errbuf, ERRLEN
    if _lib.STR_MAKER is None:
        pytest.skip("this Python lays out str differently (the decoded path is tested)")
    new = ctypes.pythonapi.PyUnicode_New
    made = []

    @ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_ssize_t, ctypes.c_uint32)
    def make(n, maxchar):
        if len(made) == 999:
            return None
        s = new(n, maxchar)
        made.append(s)
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(s))   # the library's reference
        return id(s)

    q = frames[0]
    codes = np.array([athal.contig_index(c) for c in q["chrom"]], dtype=np.int32)
    beg = q["start"].to_numpy(np.int64) - 1
    end = q["end"].to_numpy(np.int64)
    b = Batch(len(q), codes.ctypes.data, beg.ctypes.data, end.ctypes.data)
    keep = object()
    slots = np.array([keep] * len(q), dtype=object)
    before = sys.getrefcount(keep)
    err = errbuf()
    rc = _lib.pylib.gdb_api_fetch_objects(athal.store.handle(), athal.index, b,
                                          ctypes.cast(make, ctypes.c_void_p),
                                          _lib.STR_MAKER[1], _lib.STR_MAKER[2],
                                          slots.ctypes.data, err, ERRLEN)
    assert rc == -errno.ENOMEM and b"row 999" in err.value
    assert len(made) == 999 and all(sys.getrefcount(s) == 3 for s in made)   # list, s, argument
    assert all(x is keep for x in slots) and sys.getrefcount(keep) == before


def test_sequences_across_small_blocks_in_any_order(tmp_path):
    """Blocks of 1,000 bases: rows inside one block, across two, longer
    than a block, empty and repeated, on every contig in random order, as
    pyfaidx (the batch reads them by position, one borrow a block)."""
    import pyfaidx
    path = str(tmp_path / "small.gdb")
    for args in (("init", path), ("import", "fasta", path, "--assembly", "athal", P.ATHAL,
                                  "--block-bases", "1000", "--quiet")):
        r = U.gdb(*args)
        assert r.rc == 0, r
    fx = pyfaidx.Fasta(P.plain_copy(P.ATHAL, tmp_path), sequence_always_upper=False)
    rng = np.random.default_rng(5)
    with genomedb.open(path) as s:
        a = s["athal"]
        rows = []
        for c, length in a.contigs.items():
            for w in (w for w in (1, 999, 1000, 1001, 2500, 0) if 999 + w <= length):
                b = int(rng.integers(1, length - w + 2))
                rows += [(c, b, b + w - 1), (c, 999, 999 + w - 1)]
        q = random_frame(a.contigs, 1500, 9, 1, 1200)
        q = pd.concat([q, pd.DataFrame(rows, columns=["chrom", "start", "end"])] * 2,
                      ignore_index=True).sample(frac=1, random_state=3)
        got = q.genomedb.sequences(a)
        lazy = q.genomedb.sequences(a, lazy=True)
    want = [fx[c][b - 1:e].seq if e >= b else "" for c, b, e in q.itertuples(index=False)]
    assert got.tolist() == want == list(lazy) and list(got.index) == list(q.index)
    assert sum(len(w) > 1000 for w in want) > 10 and "" in want


def test_sequences_of_a_damaged_block_raise_naming_it(tmp_path):
    d = tmp_path / "bad.gdb"
    assert U.gdb("init", d).rc == 0
    assert U.gdb("import", "fasta", d, "--assembly", "lambda", P.LAMBDA, "--quiet").rc == 0
    seg = [f for f in os.listdir(d) if f.startswith("seg-")][0]
    with open(d / seg, "r+b") as f:      # a byte inside the one block's payload
        f.seek(4096 + 200)
        b = f.read(1)
        f.seek(4096 + 200)
        f.write(bytes([b[0] ^ 0xFF]))
    q = pd.DataFrame({"chrom": ["gi|9626243|ref|NC_001416.1|"] * 2, "start": [1, 501],
                      "end": [100, 600]})
    with genomedb.open(d) as bad:
        with pytest.raises(OSError) as e:
            q.genomedb.sequences(bad["lambda"])
        assert e.value.errno == errno.EIO
        assert "NC_001416.1" in str(e.value) and "1-100" in str(e.value)
        # every str is made before the damaged block is read: all dropped
        import tracemalloc
        many = pd.concat([q] * 1000, ignore_index=True)
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            for _ in range(5):
                with pytest.raises(OSError):
                    many.genomedb.sequences(bad["lambda"])
            grown = tracemalloc.get_traced_memory()[0] - base
        finally:
            tracemalloc.stop()
        assert grown < 20_000, grown              # 2,000 unwritten str would be 250 KB
    # and the arena allocator is back as it was (not left wrapped by the error)
    from genomedb import _lib
    now = _lib.Arena()
    if _lib.populated_arenas.set is not None:
        _lib.populated_arenas.get(ctypes.byref(now))
        assert now.alloc != _lib.populated_arenas.mine.alloc
        assert _lib.populated_arenas.lock.acquire(blocking=False)
        _lib.populated_arenas.lock.release()


def _count_motif(seq, motif):
    """Overlapping matches on both strands over A/C/G/T only (case
    ignored), a palindrome counted on each strand."""
    s = seq.upper()
    rc = motif.translate(str.maketrans("ACGT", "TGCA"))[::-1]
    return sum(len(re.findall(f"(?={m})", s)) for m in (motif, rc))


def test_motif_counts_as_the_mount_and_regex(athal, frames, pystore, tmp_path):
    q = frames[0]
    seqs = q.genomedb.sequences(athal)
    for motif in ("GAATTC", "TATAAA", "CACGTG"):
        got = q.genomedb.motif_counts(athal, motif)
        assert got.tolist() == [_count_motif(x, motif) for x in seqs]
    assert got.sum() > 0
    U.require_fuse()
    few = q.iloc[:5]
    counts = few.genomedb.motif_counts(athal, "TATAAA").tolist()
    with U.mounted(pystore, tmp_path) as m:
        for (c, b, e), k in zip(few[["chrom", "start", "end"]].itertuples(index=False), counts):
            bed = os.path.join(m.path, "compute", "motif", "athal", c, f"{b}-{e}", "TATAAA.bed")
            assert len(U.read_file(bed).splitlines()) == k
    with pytest.raises(ValueError, match="not an IUPAC pattern"):
        q.genomedb.motif_counts(athal, "GA-TC")


def _bf(df):
    return pd.DataFrame({"chrom": df["chrom"].to_numpy(), "start": df["start"].to_numpy() - 1,
                         "end": df["end"].to_numpy()})


def test_overlap_as_bioframe_and_pyranges(frames):
    import bioframe
    import pyranges
    q, f = frames
    ia, ib = q.genomedb.overlap_index(f)
    mine = set(zip(ia.tolist(), ib.tolist()))
    bf = bioframe.overlap(_bf(q).reset_index(drop=True), _bf(f), how="inner", return_index=True)
    assert mine == set(zip(bf["index"].tolist(), bf["index_"].tolist()))
    pa = pyranges.PyRanges(pd.DataFrame({"Chromosome": q["chrom"].to_numpy(),
                                         "Start": q["start"].to_numpy() - 1,
                                         "End": q["end"].to_numpy(), "i": np.arange(len(q))}))
    pb = pyranges.PyRanges(pd.DataFrame({"Chromosome": f["chrom"], "Start": f["start"] - 1,
                                         "End": f["end"], "j": np.arange(len(f))}))
    j = pa.join(pb).df
    assert mine == set(zip(j["i"].tolist(), j["j"].tolist()))
    assert len(mine) == len(ia) > 1000
    # ordered by left row, then the right interval's start
    key = np.lexsort((f["start"].to_numpy()[ib], ia))
    assert np.array_equal(key, np.arange(len(ia)))
    joined = q.genomedb.overlap(f)
    assert len(joined) == len(ia)
    assert (joined["start"] <= joined["end_other"]).all() and (joined["start_other"] <= joined["end"]).all()
    # the frame built column by column equals pandas' own take of both sides
    want = pd.concat([q.take(ia).reset_index(drop=True),
                      f.take(ib).reset_index(drop=True).rename(
                          columns=lambda c: c + "_other" if c in q.columns else c)], axis=1)
    assert list(joined.columns) == list(want.columns)
    assert str(joined["chrom"].dtype) == "category" == str(joined["chrom_other"].dtype)
    pd.testing.assert_frame_equal(joined.astype({"chrom": object, "chrom_other": object}), want)
    # extra columns of any dtype ride along; a clash of names falls back to takes
    q2 = q.assign(name=[f"r{i}" for i in range(len(q))], score=np.arange(len(q)) * 0.5)
    j2 = q2.genomedb.overlap(f)
    assert j2["name"].tolist() == [f"r{i}" for i in ia] and np.array_equal(j2["score"], ia * 0.5)
    assert len(q.genomedb.overlap(f.iloc[:0])) == 0
    j3 = q.assign(start_other=-1).genomedb.overlap(f)     # names clash: pandas' takes
    assert len(j3) == len(ia) and j3["end_other"].tolist() == f["end"].to_numpy()[ib].tolist()
    cnt = q.genomedb.count_overlaps(f)
    want = bioframe.count_overlaps(_bf(q).reset_index(drop=True), _bf(f))["count"]
    assert cnt.tolist() == want.tolist() == np.bincount(ia, minlength=len(q)).tolist()


def test_touching_intervals_do_not_overlap():
    a = pd.DataFrame({"chrom": ["c"] * 3, "start": [1, 11, 30], "end": [10, 20, 30]})
    b = pd.DataFrame({"chrom": ["c"] * 2, "start": [10, 21], "end": [10, 25]})
    ia, ib = a.genomedb.overlap_index(b)
    assert list(zip(ia, ib)) == [(0, 0)]
    n = a.genomedb.nearest(b)
    assert n["distance"].tolist() == [0, 0, 4]
    with pytest.raises(ValueError, match="bad interval"):
        pd.DataFrame({"chrom": ["c"], "start": [5], "end": [3]}).genomedb.overlap_index(b)


def test_nearest_as_bioframe(frames):
    import bioframe
    q, f = frames
    f = f[f["chrom"] != "ChrC"].reset_index(drop=True)   # rows with no partner
    n = q.genomedb.nearest(f)
    assert list(n.index) == list(range(len(q)))
    bf = bioframe.closest(_bf(q).reset_index(drop=True), _bf(f), return_index=True)
    bf = bf.sort_values("index").reset_index(drop=True)
    has = q["chrom"].isin(set(f["chrom"])).to_numpy()
    assert n["distance"][~has].isna().all() and n["distance"][has].notna().all()
    assert n["distance"][has].astype(int).tolist() == bf["distance"][has].astype(int).tolist()
    assert has.sum() > 0 and (~has).sum() > 0
    # the partner really is at that distance
    rows = n[has]
    gap = np.maximum(0, np.maximum(rows["start_other"] - rows["end"], rows["start"] - rows["end_other"]) - 1)
    assert gap.astype(int).tolist() == rows["distance"].astype(int).tolist()


def test_nearest_on_the_highest_contig_code():
    """The last contig code the C join accepts (2^23 - 1) still finds a
    downstream neighbour: its "next contig" key must not wrap to 0."""
    import ctypes
    from genomedb._lib import Batch, lib
    top = (1 << 23) - 1

    def batch(rows):
        cols = [np.array(c, dtype=np.int64) for c in zip(*rows)]
        b = Batch(len(rows), *(c.ctypes.data for c in cols))
        return b, cols

    a, ka = batch([(top, 10, 20), (top - 1, 10, 20)])
    b, kb = batch([(top, 50, 60), (top - 1, 70, 80)])
    idx = np.full(2, -9, dtype=np.int64)
    dist = np.full(2, -9, dtype=np.int64)
    err = ctypes.create_string_buffer(256)
    assert lib.gdb_api_nearest(ctypes.byref(a), ctypes.byref(b), idx.ctypes.data,
                               dist.ctypes.data, err, 256) == 0, err.value
    assert idx.tolist() == [0, 1]
    assert dist.tolist() == [30, 50]


def test_annotation_set_overlap_as_bioframe_and_the_mount(pystore, frames, tmp_path):
    import bioframe
    from collections import Counter
    q, f = frames
    q = pd.concat([q, pd.DataFrame({"chrom": ["NoSuchChr"], "start": [1], "end": [5]})])
    with genomedb.open(pystore) as s:
        an = s.annotations("tair")
        got = an.overlap(q)
        with pytest.raises(KeyError, match="no annotation set 'x'"):
            s.annotations("x")
    rows = got.index.to_numpy()
    assert list(got.columns[:3]) == ["chrom", "start", "end"]
    mine = Counter(zip(got["chrom"], got["start"], got["end"], got["feature_start"],
                       got["feature_end"], got["strand"], got["type"]))
    bf = bioframe.overlap(_bf(q).reset_index(drop=True),
                          f.assign(start=f["start"] - 1), how="inner", suffixes=("", "_f"))
    theirs = Counter(zip(bf["chrom"], bf["start"] + 1, bf["end"], bf["start_f"] + 1,
                         bf["end_f"], bf["strand_f"], bf["feature_f"]))
    assert mine == theirs and len(rows) > 1000
    U.require_fuse()
    with U.mounted(pystore, tmp_path) as m:
        for c, b, e in q.iloc[:4][["chrom", "start", "end"]].itertuples(index=False):
            text = U.read_file(os.path.join(m.path, "annotations", "tair", c, f"{b}-{e}.gff3"))
            lines = [ln.split("\t") for ln in text.decode().splitlines() if not ln.startswith("#")]
            sel = got[(got["chrom"] == c) & (got["start"] == b) & (got["end"] == e)]
            assert sorted((int(x[3]), int(x[4]), x[2]) for x in lines) == \
                sorted(zip(sel["feature_start"], sel["feature_end"], sel["type"]))


def test_overlap_pairs_and_order_as_brute_force():
    """Nested, chromosome-long, equal-start and touching intervals on three
    chromosomes: every pair and its order (left row, right start, right
    row) as an all-pairs comparison."""
    rng = np.random.default_rng(7)

    def frame(n, longest):
        start = rng.integers(1, 5000, n)
        return pd.DataFrame({"chrom": rng.choice(["a", "b", "c"], n), "start": start,
                             "end": start + rng.integers(0, longest, n)})
    q, f = frame(1500, 300), frame(400, 4000)
    f.loc[:3, ["start", "end"]] = [[1, 10 ** 6]] * 4                 # chromosome-long
    f.loc[4:9, "start"] = q.loc[:5, "start"].to_numpy()               # equal starts
    f.loc[10:15, "start"] = q.loc[:5, "end"].to_numpy() + 1           # touching
    f["end"] = np.maximum(f["end"], f["start"])
    qa, fa = q.to_numpy(), f.to_numpy()
    want = [(i, j) for i in range(len(qa)) for j in sorted(range(len(fa)), key=lambda j: (fa[j][1], j))
            if qa[i][0] == fa[j][0] and qa[i][1] <= fa[j][2] and fa[j][1] <= qa[i][2]]
    ia, ib = q.genomedb.overlap_index(f)
    assert list(zip(ia.tolist(), ib.tolist())) == want and len(want) > 1000


def test_overlap_carries_columns_of_every_dtype_as_pandas_takes(frames):
    """Numeric columns (1, 2, 4, 8 bytes, datetimes) are written by the
    join itself, others taken by row: the frame equals pandas' takes."""
    q, f = frames
    n = len(q)
    q2 = q.assign(i32=np.arange(n, dtype=np.int32) - 7, u16=(np.arange(n) % 60000).astype(np.uint16),
                  flag=np.arange(n) % 3 == 0, f32=np.linspace(0, 1, n, dtype=np.float32),
                  when=pd.date_range("2020-01-01", periods=n, freq="h"),
                  cat=pd.Categorical(np.where(np.arange(n) % 2, "x", "y")),
                  name=[f"r{i}" for i in range(n)])
    f2 = f.assign(start=f["start"].astype(np.int32), end=f["end"].astype(np.int32),
                  score=np.arange(len(f), dtype=np.int8))
    ia, ib = q2.genomedb.overlap_index(f2)
    joined = q2.genomedb.overlap(f2)
    want = pd.concat([q2.take(ia).reset_index(drop=True),
                      f2.take(ib).reset_index(drop=True).rename(
                          columns=lambda c: c + "_other" if c in q2.columns else c)], axis=1)
    assert joined["start_other"].dtype == np.int32 and joined["u16"].dtype == np.uint16
    pd.testing.assert_frame_equal(joined.astype({"chrom": object, "chrom_other": object}), want)
    assert len(joined) > 1000


def test_annotation_join_walk_and_sweep_agree(pystore, frames):
    """A frame small beside the set walks the index per row, a large one
    sweeps the set's features once: the same pairs, order and columns."""
    q = frames[0].reset_index(drop=True)
    q = q.assign(i=np.arange(len(q)))
    with genomedb.open(pystore) as s:
        an = s.annotations("tair")
        sweep = an.overlap(q)                  # 3,000 rows x 16 >= the set's features
        head = an.overlap(q.iloc[:100])        # 1,600 < them: the walk
    part = sweep[sweep["i"] < 100].reset_index(drop=True)
    assert len(head) > 100
    pd.testing.assert_frame_equal(head.astype({"type": object}), part.astype({"type": object}))


def _zero_length_store(d):
    """A BED annotation set with zero-length, nested, touching and equal-start
    features on two contigs (BED may have start == end)."""
    rng = np.random.default_rng(11)
    fa = os.path.join(str(d), "z.fa")
    with open(fa, "w") as out:
        for c, n in (("a", 3000), ("b", 2000)):
            out.write(f">{c}\n" + "".join(rng.choice(list("ACGT"), n)) + "\n")
    rows = []
    for k in range(400):
        c, length = ("a", 3000) if k % 3 else ("b", 2000)
        b = int(rng.integers(0, length - 60))
        w = 0 if k % 4 == 0 else int(rng.integers(1, 60))
        rows.append((c, b, b + w))
    rows += [("a", 100, 100), ("a", 100, 150), ("a", 100, 100), ("a", 150, 150), ("a", 0, 3000)]
    bed = os.path.join(str(d), "z.bed")
    with open(bed, "w") as out:
        for i, (c, b, e) in enumerate(rows):
            out.write(f"{c}\t{b}\t{e}\tf{i}\t0\t+\n")
    path = os.path.join(str(d), "z.gdb")
    for args in (("init", path), ("import", "fasta", path, "--assembly", "z", fa, "--quiet"),
                 ("import", "annotations", path, "--set", "z", "--reference", "z", bed, "--quiet")):
        r = U.gdb(*args)
        assert r.rc == 0, r
    return path, rows


def test_zero_length_features_and_rows_as_brute_force(tmp_path):
    """An empty interval overlaps what strictly contains it
    (b.beg < a.end and a.beg < b.end, 0-based): every pair, in the order
    row, feature start (zero-length first), feature, by both the sweep and
    the walk."""
    path, feats = _zero_length_store(tmp_path)
    rng = np.random.default_rng(12)
    n = 900
    chrom = np.where(np.arange(n) % 3, "a", "b")
    beg = rng.integers(0, 1900, n)
    end = beg + np.where(np.arange(n) % 5 == 0, 0, rng.integers(1, 80, n))
    chrom[:5] = "a"
    beg[:5], end[:5] = [100, 100, 99, 150, 99], [100, 101, 100, 150, 101]
    q = pd.DataFrame({"chrom": chrom, "start0": beg, "end": end})
    order = sorted(range(len(feats)), key=lambda j: (feats[j][1], feats[j][2] > feats[j][1], j))
    with genomedb.open(path) as s:
        an = s.annotations("z")
        for frame in (q, q.iloc[:20]):        # 900 x 16 >= 405 features: sweep; 20 x 16: walk
            got = an.overlap(frame.assign(i=np.arange(len(frame))))
            want = [(i, feats[j][1] + 1, feats[j][2])
                    for i, (c, b, e) in enumerate(frame.itertuples(index=False)) for j in order
                    if feats[j][0] == c and feats[j][1] < e and b < feats[j][2]]
            assert list(zip(got["i"], got["feature_start"], got["feature_end"])) == want
            assert got["start0"].tolist() == frame["start0"].to_numpy()[got["i"]].tolist()
            assert len(want) > 10


def test_pair_codes_as_one_factorize_of_both_frames():
    """Both frames' chromosome codes, factorized apart and joined by their
    names, are those of pandas factorizing both at once: strings,
    categoricals, integers, a missing name (-1), an empty frame."""
    from genomedb.frame import _pair_codes
    cases = [(["c2", "c1", "c2", None, "c3"], ["c4", "c1", "c3", "c3"]),
             (pd.Categorical(["b", "a", "b"]), pd.Categorical(["c", "a"])),
             ([2, 1, 2, 7], [7, 3]), ([], ["x", "y"]), (["x"], [])]
    for a, b in cases:
        fa, fb = pd.DataFrame({"chrom": a}), pd.DataFrame({"chrom": b})
        want, names = pd.factorize(pd.concat([fa["chrom"], fb["chrom"]], ignore_index=True))
        ca, cb, uniq = _pair_codes(fa, fb)
        assert ca.tolist() == want[:len(fa)].tolist() and cb.tolist() == want[len(fa):].tolist()
        assert list(uniq) == list(names)


def test_overlap_with_every_name_missing():
    """A frame whose chrom is all missing: its names' codes are -1, with
    no name to map them through; the join refuses the row by number, as
    for one missing name among others (not an IndexError)."""
    a = pd.DataFrame({"chrom": [None, None], "start": [1, 5], "end": [10, 20]})
    b = pd.DataFrame({"chrom": ["c1"], "start": [1], "end": [100]})
    with pytest.raises(ValueError, match="left row 0"):
        a.genomedb.overlap(b)
    with pytest.raises(ValueError, match="right row 0"):
        b.genomedb.overlap(a)


def _pyranges_pairs(a, b):
    """pyranges' join of two BED-form frames (chrom, start0, end): the
    sorted (left row, right row) pairs."""
    import pyranges

    def pr(df, col):
        return pyranges.PyRanges(pd.DataFrame({
            "Chromosome": df["chrom"].to_numpy(), "Start": df["start0"].to_numpy(np.int64),
            "End": df["end"].to_numpy(np.int64), col: np.arange(len(df))}))
    j = pr(a, "i").join(pr(b, "j")).df
    return sorted(zip(j["i"].tolist(), j["j"].tolist())) if len(j) else []


def _edge_frames():
    """Unsorted frames with duplicate rows, intervals touching others on
    either side, and a chromosome each side lacks (z, y: no pairs)."""
    rng = np.random.default_rng(21)

    def side(n, chroms, longest):
        beg = rng.integers(0, 20_000, n)
        return pd.DataFrame({"chrom": rng.choice(chroms, n), "start0": beg,
                             "end": beg + rng.integers(1, longest, n)})
    a, b = side(2000, ["c1", "c2", "z"], 500), side(600, ["c1", "c2", "y"], 3000)
    t = b[b["chrom"] != "y"].iloc[:40]          # touching, on shared chromosomes
    touch = pd.DataFrame({"chrom": np.concatenate([t["chrom"], t["chrom"]]),
                          "start0": np.concatenate([t["end"], t["start0"] - 7]),
                          "end": np.concatenate([t["end"] + 9, t["start0"]])})
    touch = touch[touch["start0"] >= 0]
    a = pd.concat([a, touch, a.iloc[:100]], ignore_index=True).sample(frac=1, random_state=4)
    b = pd.concat([b, b.iloc[:50]], ignore_index=True).sample(frac=1, random_state=5)
    return a.reset_index(drop=True), b.reset_index(drop=True)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint32, np.uint64])
def test_overlap_frame_as_pyranges_on_edge_cases(dtype):
    """The joined frame's pairs are pyranges' (touching intervals join
    nothing, nor a chromosome the other frame lacks; duplicates and
    unsorted rows as any), each coordinate column keeps its dtype and holds
    the rows' own values; with either frame empty, no rows."""
    a, b = _edge_frames()
    a = a.astype({"start0": dtype, "end": dtype}).assign(i=np.arange(len(a)))
    b = b.astype({"start0": dtype, "end": dtype}).assign(j=np.arange(len(b)))
    joined = a.genomedb.overlap(b)
    want = _pyranges_pairs(a, b)
    assert sorted(zip(joined["i"].tolist(), joined["j"].tolist())) == want and len(want) > 1000
    for c in ("start0", "end"):
        assert joined[c].dtype == dtype and joined[c + "_other"].dtype == dtype
        assert np.array_equal(joined[c], a[c].to_numpy()[joined["i"]])
        assert np.array_equal(joined[c + "_other"], b[c].to_numpy()[joined["j"]])
    assert (joined["chrom"].astype(object) == joined["chrom_other"].astype(object)).all()
    assert not set(joined["chrom"].astype(object)) & {"y", "z"}
    bed = joined[["start0", "end", "start0_other", "end_other"]].astype(np.int64)
    assert ((bed["start0"] < bed["end_other"]) & (bed["start0_other"] < bed["end"])).all()
    for x, y in ((a.iloc[:0], b), (a, b.iloc[:0])):
        empty = x.genomedb.overlap(y)
        assert len(empty) == 0 and list(empty.columns) == list(joined.columns)


def test_large_joins_reuse_kept_memory_and_trim():
    """Columns of 1 MiB or more go back to the library when their frame is
    dropped, and the next large join writes into them: its answer is a
    fresh join's (no stale bytes past its own rows); trim() gives the kept
    memory back."""
    import gc
    rng = np.random.default_rng(3)
    beg = rng.integers(0, 100_000, 4000)
    a = pd.DataFrame({"chrom": "c", "start0": beg, "end": beg + 2000})
    beg = rng.integers(0, 100_000, 3000)
    b = pd.DataFrame({"chrom": "c", "start0": beg, "end": beg + 500})
    half = a.iloc[:2000]
    cols = ["start0", "end", "start0_other", "end_other"]
    genomedb.trim()
    want = half.genomedb.overlap(b).copy(deep=True)
    genomedb.trim()
    first = a.genomedb.overlap(b)
    assert len(first) * 8 >= 1 << 20
    addrs = {first[c].to_numpy().ctypes.data for c in cols}
    del first
    gc.collect()
    second = half.genomedb.overlap(b)         # into the first join's columns
    assert {second[c].to_numpy().ctypes.data for c in cols} & addrs
    pd.testing.assert_frame_equal(second, want)
    ia, ib = half.genomedb.overlap_index(b)
    assert _pyranges_pairs(half, b) == sorted(zip(ia.tolist(), ib.tolist()))
    del ia, ib
    del second
    gc.collect()
    assert genomedb.trim() >= 4 << 20
    assert genomedb.trim() == 0


def test_forked_child_starts_with_nothing_kept():
    """A child forked while the library keeps a large join's columns starts
    with none of them (they are the parent's pages, shared copy-on-write:
    trim() in the child gives back 0) and its own large join is right; the
    parent still keeps its own. The child is bounded by an alarm (a lock
    inherited held would hang it). The fork while another thread is
    inside the pool is tests/unit/test_bigbuf.c's check_fork."""
    import gc
    import signal
    rng = np.random.default_rng(5)
    beg = rng.integers(0, 100_000, 4000)
    a = pd.DataFrame({"chrom": "c", "start0": beg, "end": beg + 2000})
    b = pd.DataFrame({"chrom": "c", "start0": beg[:3000], "end": beg[:3000] + 500})
    genomedb.trim()
    want = a.genomedb.overlap(b)
    assert len(want) * 8 >= 1 << 20
    want = want.copy(deep=True)                 # its columns are kept now
    gc.collect()
    pid = os.fork()
    if pid == 0:
        code = 2
        try:
            signal.alarm(60)
            kept = genomedb.trim()
            code = 0 if kept == 0 and a.genomedb.overlap(b).equals(want) else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status), f"child killed by signal {os.WTERMSIG(status)}"
    assert os.WEXITSTATUS(status) == 0, "the child kept the parent's buffers, or joined wrong"
    assert genomedb.trim() >= 1 << 20
