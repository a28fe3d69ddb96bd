"""The pandas accessor df.genomedb: interval operations computed in C, one
library call per frame (no Python loop per row).

A frame's intervals are the columns chrom, start, end, 1-based inclusive
(as GFF, VCF and the mount's paths), or chrom, start0, end for BED's
0-based half-open form. Two intervals overlap when they share at least
one base: touching intervals ([1, 10] and [11, 20]) do not, as bioframe
and pyranges count.
"""
import ctypes

import numpy as np
import pandas as pd

from . import _lib
from ._lib import Batch, check, errbuf, lib, ERRLEN


def _coords(df):
    if "chrom" not in df or "end" not in df or not ("start" in df or "start0" in df):
        raise ValueError("need columns chrom, start, end (1-based inclusive) "
                         "or chrom, start0, end (0-based half-open)")
    end = df["end"].to_numpy(dtype=np.int64)
    if "start0" in df:
        beg = df["start0"].to_numpy(dtype=np.int64)
    else:
        beg = df["start"].to_numpy(dtype=np.int64) - 1
    return np.ascontiguousarray(beg), np.ascontiguousarray(end)


def _batch(codes, beg, end):
    codes = np.ascontiguousarray(codes, dtype=np.int32)
    b = Batch(len(codes), codes.ctypes.data, beg.ctypes.data, end.ctypes.data)
    return b, (codes, beg, end)      # keep the arrays alive with the struct


def _pair_codes(a, b):
    """Chromosome codes of two frames over one shared numbering, and the
    names (categories) the codes index."""
    ca, ua = pd.factorize(a["chrom"].to_numpy())
    cb, ub = pd.factorize(b["chrom"].to_numpy())
    # each frame factorized alone (no concatenated copy of both), then
    # their few names: the numbering a factorize of both would give
    m, uniq = pd.factorize(pd.Index(ua).append(pd.Index(ub)))
    return _through(m[:len(ua)], ca), _through(m[len(ua):], cb), uniq


def _through(m, codes):
    """m[codes], a missing name's code (-1) kept (m may be empty: every
    name missing); a -1 code picks the -1 appended."""
    return np.append(m, -1)[codes] if (codes < 0).any() else m[codes]


@pd.api.extensions.register_dataframe_accessor("genomedb")
class GenomeDBAccessor:
    def __init__(self, df):
        self._df = df

    # ---- against an assembly ----

    def _assembly_batch(self, asm):
        df = self._df
        codes, uniq = pd.factorize(df["chrom"])
        ids = np.array([asm.contig_index(str(c)) for c in uniq], dtype=np.int32)
        beg, end = _coords(df)
        return _batch(ids[codes] if len(codes) else codes, beg, end)

    def sequences(self, asm, lazy=False):
        """Series of each interval's bases as stored (case kept); with
        lazy=True a Sequences: the same bases in one buffer, a str made
        only for the items asked for."""
        b, keep = self._assembly_batch(asm)
        h, err, n = asm.store.handle(), errbuf(), len(self._df)
        if not lazy and _lib.STR_MAKER is not None:
            # the library makes each str (PyUnicode_New) and writes its
            # bases into it, then puts it in the array's slot: no buffer,
            # no split, no Python loop
            arr = np.empty(n, dtype=object)
            with _lib.populated_arenas:
                rc = _lib.pylib.gdb_api_fetch_objects(h, asm.index, ctypes.byref(b),
                                                      *_lib.STR_MAKER, arr.ctypes.data, err,
                                                      ERRLEN)
            check(rc, err)
        else:
            total = check(lib.gdb_api_batch_bases(h, asm.index, ctypes.byref(b), err, ERRLEN),
                          err)
            buf, off = np.empty(total + n, dtype=np.uint8), np.empty(n + 1, dtype=np.int64)
            check(lib.gdb_api_fetch_many(h, asm.index, ctypes.byref(b), 0, ord("\n"),
                                         buf.ctypes.data, off.ctypes.data, err, ERRLEN), err)
            if lazy:
                return Sequences(buf, off)
            # decoded, split in C (str.split), into an object array
            # (pd.Series of a list would look at each item again)
            arr = np.fromiter(Sequences(buf, off).tolist(), dtype=object, count=n)
        # dtype given: pandas neither infers a type from the items nor copies
        return pd.Series(arr, index=self._df.index, name="sequence", dtype=object, copy=False)

    def gc(self, asm):
        """Series of GC fractions as Biopython's gc_fraction (N and the
        other ambiguity codes left out)."""
        b, keep = self._assembly_batch(asm)
        out = np.empty(len(self._df), dtype=np.float64)
        err = errbuf()
        check(lib.gdb_api_gc_many(asm.store.handle(), asm.index, ctypes.byref(b),
                                  out.ctypes.data, err, ERRLEN), err)
        return pd.Series(out, index=self._df.index, name="gc")

    def motif_counts(self, asm, motif):
        """Series of IUPAC motif matches per interval, both strands,
        overlapping matches included (the lines of /compute/motif's .bed)."""
        b, keep = self._assembly_batch(asm)
        out = np.empty(len(self._df), dtype=np.int64)
        err = errbuf()
        check(lib.gdb_api_motif_many(asm.store.handle(), asm.index, ctypes.byref(b),
                                     str(motif).encode(), out.ctypes.data, err, ERRLEN), err)
        return pd.Series(out, index=self._df.index, name=str(motif))

    # ---- between two frames ----

    def _two(self, other, codes=None):
        ca, cb, _ = codes or _pair_codes(self._df, other)
        ba, ka = _batch(ca, *_coords(self._df))
        bb, kb = _batch(cb, *_coords(other))
        return ba, bb, (ka, kb)

    def overlap_index(self, other, _codes=None):
        """(left rows, right rows) of every overlapping pair, as positions;
        ordered by left row, then the right interval's start. The arrays
        are the library's own (no copy), freed with their last view."""
        ba, bb, keep = self._two(other, _codes)
        ia, ib, n, err = _lib.i64p(), _lib.i64p(), ctypes.c_int64(), errbuf()
        check(lib.gdb_api_overlap(ctypes.byref(ba), ctypes.byref(bb), ctypes.byref(ia),
                                  ctypes.byref(ib), ctypes.byref(n), err, ERRLEN), err)
        return (_lib.owned_array(ia, n.value, np.int64),
                _lib.owned_array(ib, n.value, np.int64))

    def overlap(self, other, suffixes=("", "_other")):
        """Every overlapping pair as one row: this frame's columns, then
        other's (names that clash get suffixes). Both chrom columns come
        back categorical (pandas "category", as pyranges' Chromosome),
        built from the codes the join used rather than 1.9 M string
        references; other columns keep their dtype. Numeric columns are
        written by the join itself, each value once (no array of pairs,
        no take); other columns are taken by the pairs' rows."""
        codes = _pair_codes(self._df, other)
        lnames, rnames = _names(self._df, other, suffixes)
        if self._df.columns.duplicated().any() or other.columns.duplicated().any() or \
                len(set(lnames) | set(rnames)) != len(lnames) + len(rnames):
            ia, ib = self.overlap_index(other, codes)
            return _join(self._df, other, ia, ib, suffixes)
        ba, bb, keep = self._two(other, codes)
        cats = pd.Index(codes[2])
        left = _Carried(self._df, _small_codes(codes[0], len(cats)))
        right = _Carried(other, _small_codes(codes[1], len(cats)))
        cols = left.specs + right.specs
        out, n, err = (ctypes.c_void_p * len(cols))(), ctypes.c_int64(), errbuf()
        check(lib.gdb_api_overlap_take(ctypes.byref(ba), ctypes.byref(bb),
                                       (_lib.Column * len(left.specs))(*left.specs),
                                       len(left.specs),
                                       (_lib.Column * len(right.specs))(*right.specs),
                                       len(right.specs), out, ctypes.byref(n), err, ERRLEN), err)
        got = left.columns(out[:len(left.specs)], n.value, lnames, cats)
        got.update(right.columns(out[len(left.specs):], n.value, rnames, cats))
        return pd.DataFrame(got, index=pd.RangeIndex(n.value), copy=False)

    def count_overlaps(self, other):
        """Series: how many intervals of other overlap each row."""
        ba, bb, keep = self._two(other)
        out = np.empty(len(self._df), dtype=np.int64)
        err = errbuf()
        check(lib.gdb_api_count_overlaps(ctypes.byref(ba), ctypes.byref(bb), out.ctypes.data,
                                         err, ERRLEN), err)
        return pd.Series(out, index=self._df.index, name="count")

    def nearest(self, other, suffixes=("", "_other")):
        """For each row the nearest interval of other on its chromosome (an
        overlapping one at distance 0, else the smallest gap in bases
        strictly between; ties to the upstream one), with a distance column;
        other's columns are missing where its chromosome has none."""
        ba, bb, keep = self._two(other)
        idx = np.empty(len(self._df), dtype=np.int64)
        dist = np.empty(len(self._df), dtype=np.int64)
        err = errbuf()
        check(lib.gdb_api_nearest(ctypes.byref(ba), ctypes.byref(bb), idx.ctypes.data,
                                  dist.ctypes.data, err, ERRLEN), err)
        out = _join(self._df, other, np.arange(len(self._df)), idx, suffixes)
        out["distance"] = pd.array(np.where(idx < 0, 0, dist), dtype="Int64")
        out.loc[idx < 0, "distance"] = pd.NA
        return out


class Sequences:
    """Many sequences in one buffer, as df.genomedb.sequences(a, lazy=True)
    returns them: no Python object per sequence until one is asked for.

    data     numpy uint8, every sequence's bases each followed by b"\\n"
    offsets  numpy int64, n + 1: sequence i is data[offsets[i]:offsets[i + 1] - 1]
    x[i]     str of sequence i (made on access; negative i counts from the end)
    x.array(i)  its bytes as a numpy view of data (no copy)
    x.tolist(), iter(x)  every sequence as str (made in one C pass: str.split)
    """

    def __init__(self, data, offsets):
        self.data, self.offsets = data, offsets

    def __len__(self):
        return len(self.offsets) - 1

    def _span(self, i):
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"sequence {i} of {n}")
        i %= n
        return int(self.offsets[i]), int(self.offsets[i + 1]) - 1

    def __getitem__(self, i):
        b, e = self._span(i)
        return str(self.data.data[b:e], "ascii")

    def array(self, i):
        b, e = self._span(i)
        return self.data[b:e]

    @property
    def lengths(self):
        return np.diff(self.offsets) - 1

    def tolist(self):
        # one separator after each: str.split makes every str in C,
        # decoded straight from the buffer (no bytes copy first)
        if not len(self):
            return []
        text = str(self.data.data[:-1], "ascii")
        with _lib.populated_arenas:
            return text.split("\n")

    def __iter__(self):
        return iter(self.tolist())


# gdb_api_annot_overlap's strand codes index GDB_API_STRANDS
_STRANDS = pd.Index(list("+-.?"), dtype=object)


def _small_codes(codes, ncats):
    """Codes in the integer type pandas keeps a categorical's codes in for
    ncats categories (so from_codes copies nothing)."""
    small = np.int8 if ncats < 127 else np.int16 if ncats < 32767 else np.int32
    return np.ascontiguousarray(codes, dtype=small)


def _names(left, right, suffixes):
    """Output names of both frames' columns, clashing ones suffixed."""
    lnames = [c + suffixes[0] if suffixes[0] and c in right.columns else c for c in left.columns]
    rnames = [c + suffixes[1] if c in left.columns else c for c in right.columns]
    return lnames, rnames


class _Carried:
    """A frame's columns as a join carries them (gdb_api_column): chrom as
    category codes, each numeric column's own array (1, 2, 4 or 8 bytes a
    value), and the row number once if any other column must be taken by
    row afterwards."""

    def __init__(self, df, chrom_codes):
        self.df, self.arrays, self.specs = df, [], []
        for c in df.columns:
            col = df[c]
            if c == "chrom" and chrom_codes is not None:
                arr = chrom_codes
            elif isinstance(col.dtype, np.dtype) and col.dtype.kind in "biufmM" and \
                    col.dtype.itemsize in (1, 2, 4, 8):
                arr = np.ascontiguousarray(col.to_numpy())
            else:
                arr = None
            self.arrays.append(arr)
            if arr is not None:
                self.specs.append(_lib.Column(arr.ctypes.data, arr.itemsize))
        self.by_row = any(a is None for a in self.arrays)
        if self.by_row:
            self.specs.append(_lib.Column(None, 8))

    def columns(self, ptrs, n, names, cats):
        """{name: column} from the join's outputs ptrs (each freed with
        its last view); chrom a categorical over cats."""
        ptrs = list(ptrs)
        rows = _lib.owned_array(ptrs.pop(), n, np.int64) if self.by_row else None
        out, k = {}, 0
        for c, new, arr in zip(self.df.columns, names, self.arrays):
            if arr is None:
                out[new] = self.df[c].take(rows).array
                continue
            got = _lib.owned_array(ptrs[k], n, arr.dtype)
            k += 1
            out[new] = pd.Categorical.from_codes(got, cats) if c == "chrom" else got
        return out


def _join(left, right, ia, ib, suffixes):
    """Rows ia of left beside rows ib of right (ib -1: missing values):
    one take per frame (pandas takes each block at once), other's columns
    assigned."""
    out = left.take(ia)
    out.index = pd.RangeIndex(len(ia))
    if suffixes[0]:
        out.columns = [c + suffixes[0] if c in right.columns else c for c in out.columns]
    if (ib < 0).any():
        r = right.reset_index(drop=True).reindex(ib)
    else:
        r = right.take(ib)
    for c in right.columns:
        out[c + suffixes[1] if c in left.columns else c] = r[c].to_numpy()
    return out


class Annotations:
    """An annotation set: data frames joined with its features through the
    set's interval index (as /annotations/<set>/<contig>/<start>-<end>.gff3)."""

    def __init__(self, store, name):
        self.store = store
        self.name = name
        self._slots(["\0"])            # KeyError now for an unknown set

    def _slots(self, names):
        arr = (ctypes.c_char_p * len(names))(*[str(n).encode() for n in names])
        out = np.empty(len(names), dtype=np.int32)
        err = errbuf()
        check(lib.gdb_api_annot_slots(self.store.handle(), self.name.encode(), len(names), arr,
                                      out.ctypes.data, err, ERRLEN), err)
        return out

    def overlap(self, df):
        """One row per (row of df, overlapping feature): df's columns, then
        feature (its index in the set), feature_start, feature_end (1-based
        inclusive), strand and type. Rows on chromosomes the set lacks join
        nothing; touching intervals do not overlap. chrom, strand and type
        are categorical, built from codes (no string a row); numeric
        columns are written by the join, each value once."""
        codes, uniq = pd.factorize(df["chrom"])
        cats = pd.Index(uniq)
        slots = self._slots(list(uniq)) if len(uniq) else np.empty(0, np.int32)
        b, keep = _batch(slots[codes] if len(codes) else codes, *_coords(df))
        left = _Carried(df, _small_codes(codes, len(cats)) if "chrom" in df else None)
        nout = len(left.specs) + _lib.ANNOT_FIELDS
        out, n, types, err = (ctypes.c_void_p * nout)(), ctypes.c_int64(), _lib.AnnotTypes(), \
            errbuf()
        check(lib.gdb_api_annot_overlap(self.store.handle(), self.name.encode(), ctypes.byref(b),
                                        (_lib.Column * len(left.specs))(*left.specs),
                                        len(left.specs), out, ctypes.byref(n),
                                        ctypes.byref(types), err, ERRLEN), err)
        try:
            names = ctypes.string_at(types.names, types.names_len).decode()[:-1].split("\n") \
                if types.n else []
        finally:
            lib.gdb_api_free(types.names)
        n, k = n.value, len(left.specs)
        cols = left.columns(out[:k], n, list(df.columns), cats)
        feature, beg, end = (_lib.owned_array(out[k + i], n, np.int64) for i in range(3))
        beg += 1                                   # in place: 1-based, no new column
        strand = _lib.owned_array(out[k + 3], n, np.int8)
        tcode = _lib.owned_array(out[k + 4], n, np.dtype(f"i{types.code_size}"))
        cols.update({"feature": feature, "feature_start": beg, "feature_end": end,
                     "strand": pd.Categorical.from_codes(strand, _STRANDS),
                     "type": pd.Categorical.from_codes(tcode, pd.Index(names, dtype=object))})
        return pd.DataFrame(cols, index=pd.RangeIndex(n), copy=False)
