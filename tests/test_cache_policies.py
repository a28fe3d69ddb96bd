"""Replacement policies (cache/policy_*.c) against reference models.

Each model below is written from the paper's pseudocode with plain Python
containers (OrderedDict as an LRU list, deque as a FIFO, a dict scanned for
the minimum in LFU): none shares structure with the C code (intrusive lists,
ghost pools, bucket rings). gdb_cache_simulate() must give the same hit/miss
sequence as the model, request by request, for every trace and capacity.

Where a paper leaves a choice open, the model makes the choice documented in
the C file's opening comment (quoted in each class docstring), so a mismatch
is a bug on one side, never a difference of interpretation.
"""
import ctypes
import os
import random
from collections import OrderedDict, deque

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import gdbutil as U

POLICIES = ("lru", "arc", "s3fifo", "lfu", "2q")


# --------------------------------------------------------------------------
# Reference models: request(x) -> True on a hit.

class LRU:
    def __init__(self, c):
        self.c = c
        self.d = OrderedDict()          # oldest first

    def request(self, x):
        if x in self.d:
            self.d.move_to_end(x)
            return True
        if len(self.d) >= self.c:
            self.d.popitem(last=False)
        self.d[x] = True
        return False


class ARC:
    """Megiddo & Modha, FAST'03, Fig. 4, with integer deltas (floor)."""

    def __init__(self, c):
        self.c, self.p = c, 0
        self.T1, self.T2 = OrderedDict(), OrderedDict()   # LRU first
        self.B1, self.B2 = OrderedDict(), OrderedDict()

    def _replace(self, x):
        t1 = len(self.T1)
        if t1 >= 1 and ((x in self.B2 and t1 == self.p) or t1 > self.p):
            y, _ = self.T1.popitem(last=False)
            self.B1[y] = True
        else:
            y, _ = self.T2.popitem(last=False)
            self.B2[y] = True

    def request(self, x):
        c = self.c
        if x in self.T1:                                   # case I
            del self.T1[x]
            self.T2[x] = True
            return True
        if x in self.T2:
            self.T2.move_to_end(x)
            return True
        if x in self.B1:                                   # case II
            d = 1 if len(self.B1) >= len(self.B2) else len(self.B2) // len(self.B1)
            self.p = min(c, self.p + d)
            self._replace(x)
            del self.B1[x]
            self.T2[x] = True
            return False
        if x in self.B2:                                   # case III
            d = 1 if len(self.B2) >= len(self.B1) else len(self.B1) // len(self.B2)
            self.p = max(0, self.p - d)
            self._replace(x)
            del self.B2[x]
            self.T2[x] = True
            return False
        l1 = len(self.T1) + len(self.B1)                   # case IV
        total = l1 + len(self.T2) + len(self.B2)
        if l1 == c:
            if len(self.T1) < c:
                self.B1.popitem(last=False)
                self._replace(x)
            else:
                self.T1.popitem(last=False)
        elif l1 < c and total >= c:
            if total == 2 * c:
                self.B2.popitem(last=False)
            self._replace(x)
        self.T1[x] = True
        return False


class S3FIFO:
    """Yang et al., SOSP'23. S = max(1, c//10) entries, G = max(1, c - S)
    keys; freq 0 at insertion, +1 per hit up to 3; evict from S while
    |S| >= its share (or M is empty): freq >= 1 moves to M with freq 0,
    else evict to G; from M: freq > 0 is decremented and reinserted, else
    evicted. The ghost lookup precedes the evictions for the new key."""

    def __init__(self, c):
        self.c = c
        self.scap = max(1, c // 10)
        self.gcap = max(1, c - self.scap)
        self.S, self.M = deque(), deque()   # left = oldest
        self.G = OrderedDict()
        self.freq = {}

    def _evict(self):
        while True:
            if self.S and (len(self.S) >= self.scap or not self.M):
                t = self.S.popleft()
                if self.freq[t] >= 1:
                    self.freq[t] = 0
                    self.M.append(t)
                    continue
                del self.freq[t]
                self.G[t] = True
                if len(self.G) > self.gcap:
                    self.G.popitem(last=False)
                return
            t = self.M.popleft()
            if self.freq[t] > 0:
                self.freq[t] -= 1
                self.M.append(t)
                continue
            del self.freq[t]
            return

    def request(self, x):
        if x in self.freq:
            self.freq[x] = min(3, self.freq[x] + 1)
            return True
        ghost = x in self.G
        if ghost:
            del self.G[x]
        while len(self.freq) >= self.c:
            self._evict()
        (self.M if ghost else self.S).append(x)
        self.freq[x] = 0
        return False


class LFUDA:
    """LFU with dynamic aging (Arlitt et al.), unit cost: F = hits since
    insertion (1 at insertion, saturating at 63), K = L + F recomputed on
    every access, victim = smallest K, ties to the one whose K was set
    longest ago; L = the victim's K."""

    def __init__(self, c):
        self.c, self.L, self.t = c, 0, 0
        self.ent = {}                   # key -> [K, F, stamp]

    def request(self, x):
        self.t += 1
        e = self.ent.get(x)
        if e is not None:
            e[1] = min(63, e[1] + 1)
            e[0] = self.L + e[1]
            e[2] = self.t
            return True
        if len(self.ent) >= self.c:
            v = min(self.ent, key=lambda k: (self.ent[k][0], self.ent[k][2]))
            self.L = self.ent[v][0]
            del self.ent[v]
        self.ent[x] = [self.L + 1, 1, self.t]
        return False


class TwoQ:
    """Johnson & Shasha, VLDB'94, full version: Kin = max(1, c//4),
    Kout = max(1, c//2); a key found in A1out is removed from it; if Am is
    empty the victim comes from A1in."""

    def __init__(self, c):
        self.c = c
        self.kin, self.kout = max(1, c // 4), max(1, c // 2)
        self.a1in = OrderedDict()       # FIFO, oldest first
        self.a1out = OrderedDict()
        self.am = OrderedDict()         # LRU first

    def _page_out_a1in(self):
        y, _ = self.a1in.popitem(last=False)
        self.a1out[y] = True
        if len(self.a1out) > self.kout:
            self.a1out.popitem(last=False)

    def _reclaim(self):
        if len(self.a1in) + len(self.am) < self.c:
            return                      # a free slot
        if len(self.a1in) > self.kin or not self.am:
            self._page_out_a1in()
        else:
            self.am.popitem(last=False)

    def request(self, x):
        if x in self.am:
            self.am.move_to_end(x)
            return True
        if x in self.a1in:
            return True
        if x in self.a1out:
            del self.a1out[x]
            self._reclaim()
            self.am[x] = True
        else:
            self._reclaim()
            self.a1in[x] = True
        return False


MODELS = {"lru": LRU, "arc": ARC, "s3fifo": S3FIFO, "lfu": LFUDA, "2q": TwoQ}


def model_hits(policy, keys, c):
    m = MODELS[policy](c)
    return [1 if m.request(int(k)) else 0 for k in keys]


# --------------------------------------------------------------------------
# The library

@pytest.fixture(scope="module")
def lib():
    path = os.path.join(U.BUILD, "libgenomedb.so")
    if not os.path.exists(path):
        pytest.fail(f"{path} not built: run make (GENOMEDB_BUILD={U.BUILD})")
    # RTLD_LAZY: only gdb_cache_simulate and what it calls must resolve,
    # so a half-finished module elsewhere does not hide policy results.
    so = ctypes.CDLL(path, mode=os.RTLD_LAZY | os.RTLD_LOCAL)
    so.gdb_cache_simulate.restype = ctypes.c_int64
    so.gdb_cache_simulate.argtypes = [
        ctypes.c_char_p, ctypes.POINTER(ctypes.c_uint64), ctypes.c_size_t,
        ctypes.c_size_t, ctypes.POINTER(ctypes.c_uint8)]
    return so


def simulate(lib, policy, keys, c):
    arr = np.ascontiguousarray(keys, dtype=np.uint64)
    hits = np.zeros(len(arr), dtype=np.uint8)
    rc = lib.gdb_cache_simulate(
        policy.encode(), arr.ctypes.data_as(ctypes.POINTER(ctypes.c_uint64)),
        len(arr), c, hits.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)))
    assert rc >= 0, f"gdb_cache_simulate({policy}) = {rc}"
    assert rc == int(hits.sum())
    return hits.tolist()


def check_same(lib, policy, keys, c, name=""):
    got = simulate(lib, policy, keys, c)
    want = model_hits(policy, keys, c)
    if got != want:
        i = next(i for i in range(len(got)) if got[i] != want[i])
        pytest.fail(f"{policy} c={c} {name}: request {i} (key {int(keys[i])}) "
                    f"C says {'hit' if got[i] else 'miss'}, model says "
                    f"{'hit' if want[i] else 'miss'}; prefix {list(map(int, keys[max(0, i-20):i+1]))}")


# --------------------------------------------------------------------------
# Traces (deterministic; block keys as the cache builds them: contig << 32
# | block, so the high half is exercised too)

def _key(contig, block):
    return (contig << 32) | block


def trace_uniform(c, rng):
    return [_key(1, int(b)) for b in rng.integers(0, 2 * c + 3, 6000)]


def trace_zipf(c, rng, a=1.2):
    z = rng.zipf(a, 6000)
    return [_key(2, int(b % (10 * c + 7))) for b in z]


def trace_scan(c, rng):
    del rng
    return [_key(3, b) for b in range(4 * c + 10)] * 2


def trace_loop(c, rng):
    del rng
    n = c + max(1, c // 10)     # slightly larger than the cache
    return [_key(4, b % n) for b in range(max(40 * n, 400))]


def trace_scan_hot(c, rng):
    hot = max(1, c // 2)
    out, scan = [], 0
    for _ in range(60):
        out += [_key(5, int(b)) for b in rng.integers(0, hot, 3 * hot)]
        out += [_key(6, scan + i) for i in range(2 * c + 1)]
        scan += 2 * c + 1
    return out


def trace_mixed(c, rng):
    # phases: a working set that moves, to exercise adaptation (ARC's p,
    # LFU's aging)
    out = []
    for phase in range(6):
        base = phase * c
        out += [_key(7, base + int(b)) for b in rng.integers(0, c + 2, 600)]
    return out


TRACES = {"uniform": trace_uniform, "zipf": trace_zipf, "scan": trace_scan,
          "loop": trace_loop, "scan_hot": trace_scan_hot, "mixed": trace_mixed}


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("c", (1, 2, 3, 10, 100))
@pytest.mark.parametrize("trace", sorted(TRACES))
def test_matches_model(lib, policy, c, trace):
    rng = np.random.default_rng(12345 + 1000 * c + sorted(TRACES).index(trace))
    keys = TRACES[trace](c, rng)
    check_same(lib, policy, keys, c, trace)


@pytest.mark.parametrize("policy", POLICIES)
def test_recorded_trace(lib, policy):
    # A fixed, hand-written trace (recorded once; no generator involved).
    keys = [1, 2, 3, 1, 4, 5, 1, 2, 6, 7, 8, 1, 2, 9, 10, 11, 12, 1, 2, 3,
            1, 2, 13, 14, 15, 16, 17, 18, 1, 2, 3, 4, 5, 1, 2, 19, 1, 2, 20]
    for c in (1, 2, 3, 4, 5):
        check_same(lib, policy, keys, c, "recorded")


@settings(max_examples=400, deadline=None, database=None)
@given(policy=st.sampled_from(POLICIES),
       c=st.integers(1, 9),
       keys=st.lists(st.integers(0, 20), min_size=0, max_size=250))
def test_hypothesis_small_traces(lib, policy, c, keys):
    check_same(lib, policy, keys, c, "hypothesis")


def test_known_answers(lib):
    # Hand-checkable: capacity 2, trace a b a c a.
    # LRU: a b (miss miss) a (hit) c evicts b, a hit.
    assert simulate(lib, "lru", [1, 2, 1, 3, 1], 2) == [0, 0, 1, 0, 1]
    # 2Q c=2 (Kin=1): a, b in A1in; a hits (A1in, no move); c: |A1in|=2>1,
    # page out a (oldest) to A1out; a: ghost hit -> Am, evicts b (A1in 2>1).
    assert simulate(lib, "2q", [1, 2, 1, 3, 1], 2) == [0, 0, 1, 0, 0]


def _hot_hits(lib, keys, c, hot):
    out = {}
    for p in POLICIES:
        h = simulate(lib, p, keys, c)
        out[p] = sum(hh for k, hh in zip(keys, h) if k < hot)
    return out, sum(1 for k in keys if k < hot)


def test_scan_resistance(lib):
    # Hot set of 40 read three times in a row, then a one-pass scan of 400
    # blocks (4 cache turnovers), cache 100. LRU loses the hot set to every
    # scan: only the 2nd and 3rd passes hit. ARC (T2) and S3-FIFO (M) keep
    # it. LFU-DA does not: it ages by one per turnover, faster than 3 hits
    # per 4 turnovers. 2Q does not either: the three passes come in one
    # burst, a single correlated reference while the block sits in A1in.
    keys, scan = [], 10**6
    for _ in range(30):
        keys += list(range(40)) * 3
        keys += list(range(scan, scan + 400))
        scan += 400
    hot, total = _hot_hits(lib, keys, 100, 40)
    assert hot["lru"] == total * 2 // 3, hot
    for p in ("arc", "s3fifo"):
        assert hot[p] >= total * 0.95, (p, hot)


def test_frequency_survives_short_scans(lib):
    # The same hot set read ten times per round, scans of 150 (1.5
    # turnovers): LFU keeps the hot set too; LRU still loses it.
    keys, scan = [], 10**6
    for _ in range(30):
        keys += list(range(40)) * 10
        keys += list(range(scan, scan + 150))
        scan += 150
    hot, total = _hot_hits(lib, keys, 100, 40)
    assert hot["lru"] == total * 9 // 10, hot
    for p in ("arc", "s3fifo", "lfu"):
        assert hot[p] >= total * 0.99, (p, hot)


def test_errors(lib):
    k = (ctypes.c_uint64 * 3)(1, 2, 3)
    assert lib.gdb_cache_simulate(b"nope", k, 3, 2, None) == -22
    assert lib.gdb_cache_simulate(b"lru", k, 3, 0, None) == -22
    assert lib.gdb_cache_simulate(b"S3FIFO", k, 3, 2, None) == 0   # case-insensitive
    assert lib.gdb_cache_simulate(b"Arc", k, 0, 2, None) == 0


def test_large_capacity_short_trace(lib):
    # capacity far above the trace length must not allocate capacity entries
    keys = list(range(1000)) * 2
    for p in POLICIES:
        assert sum(simulate(lib, p, keys, 1 << 40)) == 1000
