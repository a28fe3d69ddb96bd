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
    codes, uniq = pd.factorize(pd.concat([a["chrom"], b["chrom"]], ignore_index=True))
    return codes[:len(a)], codes[len(a):], uniq


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

    def sequences(self, asm):
        """Series of each interval's bases as stored (case kept)."""
        b, keep = self._assembly_batch(asm)
        h, err, n = asm.store.handle(), errbuf(), len(self._df)
        total = check(lib.gdb_api_batch_bases(h, asm.index, ctypes.byref(b), err, ERRLEN), err)
        buf = np.empty(total + n, dtype=np.uint8)
        off = np.empty(n + 1, dtype=np.int64)
        check(lib.gdb_api_fetch_many(h, asm.index, ctypes.byref(b), 0, ord("\n"),
                                     buf.ctypes.data, off.ctypes.data, err, ERRLEN), err)
        # one separator after each: str.split makes every str in C, decoded
        # straight from the buffer (no bytes copy first)
        seqs = str(buf.data[:-1], "ascii").split("\n") if n else []
        return pd.Series(seqs, index=self._df.index, dtype=object, name="sequence")

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
        references; other columns keep their dtype."""
        codes = _pair_codes(self._df, other)
        ia, ib = self.overlap_index(other, codes)
        cats = pd.Index(codes[2])
        return _join(self._df, other, ia, ib, suffixes,
                     chrom=(_categorical(codes[0], ia, cats), _categorical(codes[1], ib, cats)))

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


def _categorical(codes, rows, cats):
    """codes[rows] as a categorical over cats, taken in the smallest
    integer type that holds them (pandas would narrow them anyway)."""
    small = np.int8 if len(cats) < 128 else np.int16 if len(cats) < 32768 else np.int32
    return pd.Categorical.from_codes(codes.astype(small, copy=False)[rows], cats)


def _take_columns(df, rows, names, chrom):
    """{new name: df's column at rows} as numpy arrays or pandas arrays;
    chrom replaces the chrom column when given."""
    out = {}
    for c, new in zip(df.columns, names):
        if c == "chrom" and chrom is not None:
            out[new] = chrom
            continue
        col = df[c]
        if isinstance(col.dtype, np.dtype) and col.dtype.kind in "biufcmM":
            out[new] = col.to_numpy().take(rows)
        else:
            out[new] = col.take(rows).array
    return out


def _join(left, right, ia, ib, suffixes, chrom=None):
    """Rows ia of left beside rows ib of right (ib -1: missing values).
    With chrom (both sides' chrom columns at those rows, made by the
    caller) and no missing rows, the frame is built column by column from
    numpy takes, once (no object column taken, no frame copied); else one
    take per frame (pandas takes each block at once), other's columns
    assigned."""
    lnames = [c + suffixes[0] if suffixes[0] and c in right.columns else c for c in left.columns]
    rnames = [c + suffixes[1] if c in left.columns else c for c in right.columns]
    if chrom is not None and not left.columns.duplicated().any() and \
            not right.columns.duplicated().any() and len(set(lnames) | set(rnames)) == \
            len(lnames) + len(rnames):
        cols = _take_columns(left, ia, lnames, chrom[0])
        cols.update(_take_columns(right, ib, rnames, chrom[1]))
        return pd.DataFrame(cols, index=pd.RangeIndex(len(ia)), copy=False)
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
        are categorical, built from codes (no string a row)."""
        codes, uniq = pd.factorize(df["chrom"])
        slots = self._slots(list(uniq)) if len(uniq) else np.empty(0, np.int32)
        b, keep = _batch(slots[codes] if len(codes) else codes, *_coords(df))
        p, err = _lib.AnnotPairs(), errbuf()
        check(lib.gdb_api_annot_overlap(self.store.handle(), self.name.encode(),
                                        ctypes.byref(b), ctypes.byref(p), err, ERRLEN), err)
        try:
            n = p.n
            own = lambda f, t: _lib.owned_array(_release(p, f), n, t)  # noqa: E731
            rows, feature = own("row", np.int64), own("feature", np.int64)
            beg, end = own("beg", np.int64), own("end", np.int64)
            strand = own("strand", np.uint8)
            tcode = own("type_code", np.int32)
            names = ctypes.string_at(p.type_names, p.type_names_len).decode()[:-1].split("\n") \
                if p.ntypes else []
        finally:
            lib.gdb_api_annot_pairs_free(ctypes.byref(p))
        cols = _take_columns(df, rows, list(df.columns),
                             _categorical(codes, rows, pd.Index(uniq)) if "chrom" in df else None)
        cols.update({"feature": feature, "feature_start": beg + 1, "feature_end": end,
                     "strand": _char_categorical(strand),
                     "type": pd.Categorical.from_codes(tcode, pd.Index(names, dtype=object))})
        return pd.DataFrame(cols, index=pd.RangeIndex(n), copy=False)


def _release(p, field):
    """Take a pointer out of an AnnotPairs, so its free leaves it to us."""
    ptr = getattr(p, field)
    setattr(p, field, None)
    return ptr


def _char_categorical(u8):
    """One byte a row as a categorical of one-character strings."""
    present = np.flatnonzero(np.bincount(u8, minlength=256))
    lut = np.full(256, -1, np.int8)
    lut[present] = np.arange(len(present))
    return pd.Categorical.from_codes(lut[u8], pd.Index([chr(c) for c in present], dtype=object))
