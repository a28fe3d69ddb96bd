"""Loading libgenomedb.so and calling it: argument types, error mapping.

The library is found, in order, at $GENOMEDB_LIB, in $GENOMEDB_BUILD (the
build directory the tests use), in the build/ directory of the checkout
this package sits in, beside the installed package (PREFIX/lib), and by
the dynamic linker's search (ctypes.util.find_library).
"""
import ctypes
import ctypes.util
import errno
import os
import sys
import weakref

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))

# GenomeDB's own result codes (common/gdb.h)
GDB_ECORRUPT, GDB_ECHECKSUM, GDB_EVERSION, GDB_EFORMAT, GDB_ELOCKED = (
    -30001, -30002, -30003, -30004, -30005)
ERRLEN = 1024


def _candidates():
    env = os.environ.get("GENOMEDB_LIB")
    if env:
        return [env]
    out = []
    build = os.environ.get("GENOMEDB_BUILD")
    if build:
        out.append(os.path.join(build, "libgenomedb.so"))
    out.append(os.path.join(_HERE, "..", "..", "build", "libgenomedb.so"))
    # PREFIX/lib/python3/dist-packages/genomedb -> PREFIX/lib
    out.append(os.path.join(_HERE, "..", "..", "..", "libgenomedb.so"))
    found = ctypes.util.find_library("genomedb")
    if found:
        out.append(found)
    return out


def _load():
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(path)
            continue
        return ctypes.CDLL(os.path.abspath(path) if os.sep in path else path)
    raise ImportError("libgenomedb.so not found (run make, or set GENOMEDB_LIB); tried "
                      + ", ".join(tried))


lib = _load()

c_p = ctypes.c_void_p
c_s = ctypes.c_char_p
i64 = ctypes.c_int64
u32 = ctypes.c_uint32
i64p = ctypes.POINTER(ctypes.c_int64)
sz = ctypes.c_size_t


class Column(ctypes.Structure):
    """gdb_api_column: a column carried through a join (data NULL: the row)."""
    _fields_ = [("data", c_p), ("size", sz)]


class AnnotTypes(ctypes.Structure):
    """gdb_api_annot_types: the distinct feature types of a join."""
    _fields_ = [("names", c_p), ("names_len", sz), ("n", ctypes.c_int32),
                ("code_size", ctypes.c_int32)]


ANNOT_FIELDS = 5   # GDB_API_ANNOT_FIELDS


class Batch(ctypes.Structure):
    """gdb_api_batch: n intervals (contig code, 0-based half-open)."""
    _fields_ = [("n", sz), ("contig", c_p), ("beg", c_p), ("end", c_p)]


_SIGS = {
    "gdb_api_open": (ctypes.c_int, [c_s, ctypes.c_uint64, ctypes.POINTER(c_p), c_s, sz]),
    "gdb_api_close": (None, [c_p]),
    "gdb_api_free": (None, [c_p]),
    "gdb_api_trim": (ctypes.c_uint64, []),
    "gdb_api_generation": (ctypes.c_uint64, [c_p]),
    "gdb_api_nassemblies": (u32, [c_p]),
    "gdb_api_assembly_name": (c_s, [c_p, u32]),
    "gdb_api_assembly_find": (ctypes.c_int, [c_p, c_s, c_s, sz]),
    "gdb_api_ncontigs": (u32, [c_p, u32]),
    "gdb_api_contig_name": (c_s, [c_p, u32, u32]),
    "gdb_api_contig_desc": (c_s, [c_p, u32, u32]),
    "gdb_api_contig_length": (i64, [c_p, u32, u32]),
    "gdb_api_contig_find": (ctypes.c_int, [c_p, u32, c_s, c_s, sz]),
    "gdb_api_fetch": (ctypes.c_int, [c_p, u32, u32, i64, i64, ctypes.c_int, c_p, c_s, sz]),
    "gdb_api_batch_bases": (i64, [c_p, u32, ctypes.POINTER(Batch), c_s, sz]),
    "gdb_api_fetch_many": (ctypes.c_int, [c_p, u32, ctypes.POINTER(Batch), ctypes.c_int,
                                          ctypes.c_int, c_p, c_p, c_s, sz]),
    "gdb_api_gc_many": (ctypes.c_int, [c_p, u32, ctypes.POINTER(Batch), c_p, c_s, sz]),
    "gdb_api_motif_many": (ctypes.c_int, [c_p, u32, ctypes.POINTER(Batch), c_s, c_p, c_s, sz]),
    "gdb_api_overlap": (ctypes.c_int, [ctypes.POINTER(Batch), ctypes.POINTER(Batch),
                                       ctypes.POINTER(i64p), ctypes.POINTER(i64p),
                                       ctypes.POINTER(i64), c_s, sz]),
    "gdb_api_overlap_take": (ctypes.c_int, [ctypes.POINTER(Batch), ctypes.POINTER(Batch),
                                            ctypes.POINTER(Column), sz, ctypes.POINTER(Column),
                                            sz, ctypes.POINTER(c_p), ctypes.POINTER(i64), c_s,
                                            sz]),
    "gdb_api_count_overlaps": (ctypes.c_int, [ctypes.POINTER(Batch), ctypes.POINTER(Batch),
                                              c_p, c_s, sz]),
    "gdb_api_nearest": (ctypes.c_int, [ctypes.POINTER(Batch), ctypes.POINTER(Batch),
                                       c_p, c_p, c_s, sz]),
    "gdb_api_graph": (ctypes.c_int, [c_p, c_s, ctypes.c_int, c_s, c_s, ctypes.c_uint, c_s,
                                     ctypes.c_int, ctypes.POINTER(c_p), ctypes.POINTER(sz),
                                     c_s, sz]),
    "gdb_api_nvsets": (u32, [c_p]),
    "gdb_api_vset_name": (c_s, [c_p, u32]),
    "gdb_api_variants": (ctypes.c_int, [c_p, c_s, c_s, i64, i64, ctypes.c_int, c_s,
                                        ctypes.POINTER(c_p), ctypes.POINTER(sz), c_s, sz]),
    "gdb_api_annot_slots": (ctypes.c_int, [c_p, c_s, sz, ctypes.POINTER(c_s), c_p, c_s, sz]),
    "gdb_api_annot_overlap": (ctypes.c_int, [c_p, c_s, ctypes.POINTER(Batch),
                                             ctypes.POINTER(Column), sz, ctypes.POINTER(c_p),
                                             ctypes.POINTER(i64), ctypes.POINTER(AnnotTypes),
                                             c_s, sz]),
    "gdb_strerror": (c_s, [ctypes.c_int]),
}
for _name, (_res, _args) in _SIGS.items():
    _f = getattr(lib, _name)
    _f.restype = _res
    _f.argtypes = _args


"""The same library through ctypes.PyDLL: calls that run CPython's own
functions from C (gdb_api_fetch_objects) keep the interpreter lock held
across the call, which CDLL would release."""
pylib = ctypes.PyDLL(lib._name)
pylib.gdb_api_fetch_objects.restype = ctypes.c_int
pylib.gdb_api_fetch_objects.argtypes = [c_p, u32, ctypes.POINTER(Batch), c_p, c_p, sz, c_p,
                                        c_s, sz]


def _str_maker():
    """(make, drop, data offset) for gdb_api_fetch_objects to make str
    objects as CPython does: PyUnicode_New(n, 127) makes a compact ASCII
    str whose n bytes are not yet written, at a fixed offset from the
    object (its header's size); Py_DecRef drops one. None unless probes of
    two sizes find a str laid out that way (another Python, or a CPython
    that changed it), where callers decode a buffer instead."""
    try:
        new, addr = ctypes.pythonapi.PyUnicode_New, ctypes.pythonapi.PyUnicode_AsUTF8AndSize
        drop = ctypes.pythonapi.Py_DecRef
    except AttributeError:
        return None
    new.restype, new.argtypes = ctypes.py_object, [ctypes.c_ssize_t, ctypes.c_uint32]
    addr.restype, addr.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_void_p]
    offsets = set()
    for text in ("ACGTN", "acgtn" * 120):           # a pymalloc and a malloc size
        probe = new(len(text), 127)
        p = addr(probe, None)
        ctypes.memmove(p, text.encode(), len(text))
        inside = p == id(probe) + sys.getsizeof(probe) - len(text) - 1  # bytes, then NUL
        if not (inside and probe == text and probe.isascii() and hash(probe) == hash(text)):
            return None
        offsets.add(p - id(probe))
    if len(offsets) != 1:
        return None
    return (ctypes.cast(new, c_p).value, ctypes.cast(drop, c_p).value, offsets.pop())


STR_MAKER = _str_maker()


class Arena(ctypes.Structure):
    """PyObjectArenaAllocator, as gdb_api_arena."""
    _fields_ = [("ctx", c_p), ("alloc", c_p), ("free", c_p)]


class _PopulatedArenas:
    """with populated_arenas(): pymalloc's arenas made inside take their
    pages at once (gdb_api_arena_alloc wraps the allocator in place:
    every arena stays its own, populated by one madvise), not a page fault
    each 4 KiB. A lock keeps two threads from stacking wrappers; the
    allocator in place is put back on leaving, even on error."""

    def __init__(self):
        import threading
        self.lock = threading.Lock()
        self.under, self.mine = Arena(), Arena()
        try:
            get = ctypes.pythonapi.PyObject_GetArenaAllocator
            self.set = ctypes.pythonapi.PyObject_SetArenaAllocator
        except AttributeError:
            self.set = None
            return
        get.restype = self.set.restype = None
        get.argtypes = self.set.argtypes = [ctypes.POINTER(Arena)]
        self.get = get
        self.mine.ctx = ctypes.addressof(self.under)
        self.mine.alloc = ctypes.cast(lib.gdb_api_arena_alloc, c_p).value
        self.mine.free = ctypes.cast(lib.gdb_api_arena_free, c_p).value
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self):
        # a fork while another thread was inside: the child has neither
        # that thread nor a way to release its lock; start it afresh
        import threading
        self.lock = threading.Lock()
        now = Arena()
        self.get(ctypes.byref(now))
        if now.alloc == self.mine.alloc:
            self.set(ctypes.byref(self.under))

    def __enter__(self):
        self.lock.acquire()
        try:
            if self.set is not None:
                now = Arena()
                self.get(ctypes.byref(now))
                # never wrap the wrapper (its alloc would call itself)
                if now.alloc != self.mine.alloc:
                    ctypes.memmove(ctypes.byref(self.under), ctypes.byref(now),
                                   ctypes.sizeof(Arena))
                    self.set(ctypes.byref(self.mine))
        except BaseException:
            self.lock.release()
            raise
        return self

    def __exit__(self, *exc):
        if self.set is not None:
            self.set(ctypes.byref(self.under))
        self.lock.release()


populated_arenas = _PopulatedArenas()


def owned_array(ptr, n, dtype):
    """n values of dtype at ptr, memory malloc'd by the library, as a numpy
    array that frees it when the last view of it goes: no copy."""
    dtype = np.dtype(dtype)
    addr = ctypes.cast(ptr, ctypes.c_void_p).value
    if not n or not addr:
        if addr:
            lib.gdb_api_free(ctypes.c_void_p(addr))
        return np.empty(0, dtype)
    raw = (ctypes.c_char * (n * dtype.itemsize)).from_address(addr)
    weakref.finalize(raw, lib.gdb_api_free, ctypes.c_void_p(addr))
    return np.frombuffer(raw, dtype=dtype)


def trim():
    """Give back the memory the library keeps for later large answers: the
    buffers of large results dropped since (a join's columns), up to 16
    and 256 MiB, which the next large result is written into instead of
    fresh memory. Returns their bytes. A forked child starts with none."""
    return int(lib.gdb_api_trim())


def errbuf():
    return ctypes.create_string_buffer(ERRLEN)


def error(rc, err):
    """The Python exception for a negative result and its C message."""
    msg = err.value.decode("utf-8", "replace") if err is not None else ""
    if not msg:
        msg = lib.gdb_strerror(rc).decode()
    if rc == -errno.ENOENT:
        return KeyError(msg)
    if rc in (GDB_EFORMAT, -errno.ERANGE, -errno.EINVAL):
        return ValueError(msg)
    if rc in (GDB_ECORRUPT, GDB_ECHECKSUM, GDB_EVERSION):
        return OSError(errno.EIO, msg)
    if -rc < 4096:
        return OSError(-rc, msg)
    return OSError(errno.EIO, msg)


def check(rc, err):
    if rc < 0:
        raise error(rc, err)
    return rc


def call_buffer(fn, *args):
    """Call fn(*args, &out, &len, err, ERRLEN); return the answer's bytes
    (copied, the C buffer freed)."""
    out, n, err = c_p(), sz(), errbuf()
    check(fn(*args, ctypes.byref(out), ctypes.byref(n), err, ERRLEN), err)
    try:
        return ctypes.string_at(out.value, n.value) if n.value else b""
    finally:
        lib.gdb_api_free(out)
