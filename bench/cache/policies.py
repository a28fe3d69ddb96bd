#!/usr/bin/env python3
"""Hit ratio of each cache replacement policy on genomics access patterns.

Every trace is a list of block keys as the cache builds them (contig << 32 |
block index, a block being 64 Ki bases), generated deterministically (fixed
seeds), and replayed through gdb_cache_simulate(), i.e. the policy code the
cache runs, at capacities of 1/64, 1/16 and 1/4 of the trace's working set
(its distinct blocks). Prints a markdown table and a throughput line.

    GENOMEDB_BUILD=/abs/build /usr/bin/python3 bench/cache/policies.py [--quick]

Patterns:
  panel      gene-panel lookups: 300 regions of 1-50 blocks over 24
             contigs, each visit reads a whole region; regions chosen with
             Zipf(1.0) popularity.
  window     a sliding-window scan of a 4000-block chromosome: windows of
             32 blocks, step 8 (each block read 4 times close together),
             two passes (two tools, one after the other).
  zipf0.8    Zipf hot spots over 50000 blocks (alpha 0.8, then 1.0);
  zipf1.0    popular blocks scattered over the genome.
  scan+hot   a hot set of 1/80 of the working set (fits every cache size
             here), read uniformly, interleaved 1:1 with one-pass scans of
             whole chromosomes: the case where LRU fails.
  scan2+hot  the same, but each scanned block is requested twice in a row
             (two adjacent FUSE reads touching one block): an immediate
             re-reference that says nothing about the block's future.
  scan+panel the panel workload interleaved 1:2 with one-pass scans.
"""
import argparse
import ctypes
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.abspath(os.environ.get("GENOMEDB_BUILD", os.path.join(REPO, "build")))
POLICIES = ("lru", "arc", "s3fifo", "lfu", "2q")
FRACTIONS = ((1, 64), (1, 16), (1, 4))


def key(contig, block):
    return (np.uint64(contig) << np.uint64(32)) | np.asarray(block, dtype=np.uint64)


def panel_regions(rng, nreg=300):
    contigs = rng.integers(1, 25, nreg)
    starts = rng.integers(0, 3500, nreg)
    lens = rng.integers(1, 51, nreg)
    return [key(c, np.arange(s, s + n)) for c, s, n in zip(contigs, starts, lens)]


def zipf_choice(rng, n, alpha, size):
    """Indices in [0, n) with P(i) ~ 1/(i+1)^alpha, ranks shuffled."""
    p = 1.0 / np.arange(1, n + 1) ** alpha
    p /= p.sum()
    perm = rng.permutation(n)
    return perm[rng.choice(n, size=size, p=p)]


def trace_panel(rng, n):
    regs = panel_regions(rng)
    out, total = [], 0
    picks = zipf_choice(rng, len(regs), 1.0, n)
    for r in picks:
        out.append(regs[r])
        total += len(regs[r])
        if total >= n:
            break
    return np.concatenate(out)[:n]


def trace_window(rng, n):
    del rng
    chrom, w, step = 4000, 32, 8
    one = np.concatenate([np.arange(s, min(s + w, chrom))
                          for s in range(0, chrom, step)])
    return key(1, np.tile(one, 2))[:n]


def trace_zipf(alpha):
    def gen(rng, n):
        return key(7, zipf_choice(rng, 50000, alpha, n))
    return gen


def trace_scan_hot(rng, n):
    half = n // 2
    hot = max(50, half // 80)               # 1/80 of the scanned blocks
    scan = np.arange(half, dtype=np.uint64)  # contig 2 + i // 4000
    scan_keys = ((np.uint64(2) + scan // np.uint64(4000)) << np.uint64(32)) \
        + scan % np.uint64(4000)
    hot_keys = key(1, rng.integers(0, hot, half) * 17)
    out = np.empty(2 * half, dtype=np.uint64)
    out[0::2] = hot_keys
    out[1::2] = scan_keys
    return out


def trace_scan2_hot(rng, n):
    # as scan+hot, but each scanned block is requested twice in a row, as
    # when two adjacent FUSE reads (128 KiB) both touch a 64 Ki-base block
    base = trace_scan_hot(rng, n // 3 * 2)
    hot, scan = base[0::2], base[1::2]
    out = np.empty(3 * len(hot), dtype=np.uint64)
    out[0::3] = hot
    out[1::3] = scan
    out[2::3] = scan
    return out


def trace_scan_panel(rng, n):
    third = n // 3
    pan = trace_panel(rng, third)
    scan = np.arange(2 * third, dtype=np.uint64)
    scan_keys = ((np.uint64(100) + scan // np.uint64(4000)) << np.uint64(32)) \
        + scan % np.uint64(4000)
    out = np.empty(3 * third, dtype=np.uint64)
    out[0::3] = pan
    out[1::3] = scan_keys[0::2]
    out[2::3] = scan_keys[1::2]
    return out


PATTERNS = (
    ("panel", trace_panel),
    ("window", trace_window),
    ("zipf0.8", trace_zipf(0.8)),
    ("zipf1.0", trace_zipf(1.0)),
    ("scan+hot", trace_scan_hot),
    ("scan2+hot", trace_scan2_hot),
    ("scan+panel", trace_scan_panel),
)


def load():
    path = os.path.join(BUILD, "libgenomedb.so")
    so = ctypes.CDLL(path, mode=os.RTLD_LAZY | os.RTLD_LOCAL)
    so.gdb_cache_simulate.restype = ctypes.c_int64
    so.gdb_cache_simulate.argtypes = [
        ctypes.c_char_p, ctypes.POINTER(ctypes.c_uint64), ctypes.c_size_t,
        ctypes.c_size_t, ctypes.c_void_p]
    return so


def simulate(so, policy, keys, cap):
    keys = np.ascontiguousarray(keys, dtype=np.uint64)
    rc = so.gdb_cache_simulate(policy.encode(),
                               keys.ctypes.data_as(ctypes.POINTER(ctypes.c_uint64)),
                               len(keys), cap, None)
    if rc < 0:
        raise RuntimeError(f"gdb_cache_simulate({policy}) = {rc}")
    return rc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="shorter traces")
    ap.add_argument("-n", type=int, default=0, help="requests per trace")
    args = ap.parse_args()
    n = args.n or (200_000 if args.quick else 1_000_000)
    so = load()

    rows, wins = [], {p: 0.0 for p in POLICIES}
    print(f"Hit ratio (%), {n} requests per trace except window; cache = "
          "fraction of the trace's distinct blocks.\n")
    print("| pattern | cache | " + " | ".join(POLICIES) + " | best | best - lru |")
    print("|---|---|" + "---|" * (len(POLICIES) + 2))
    for name, gen in PATTERNS:
        keys = gen(np.random.default_rng(20240611), n)
        ws = len(np.unique(keys))
        for num, den in FRACTIONS:
            cap = max(1, ws * num // den)
            hr = {p: 100.0 * simulate(so, p, keys, cap) / len(keys) for p in POLICIES}
            best = max(POLICIES, key=lambda p: hr[p])
            for p in POLICIES:
                wins[p] += hr[p] - hr["lru"]
            rows.append((name, cap, hr))
            print(f"| {name} | {num}/{den} ({cap}) | "
                  + " | ".join(f"{hr[p]:.1f}" for p in POLICIES)
                  + f" | {best} | {hr[best] - hr['lru']:+.1f} |")
    nrows = len(rows)
    print("| **mean** | | " + " | ".join(
        f"{sum(r[2][p] for r in rows) / nrows:.1f}" for p in POLICIES) + " | | |")
    print("\nMean gain over LRU (points): " + ", ".join(
        f"{p} {wins[p] / nrows:+.2f}" for p in POLICIES))

    # Throughput of the simulator (policy + the simulator's hash), 10M keys.
    big = 10_000_000 if not args.quick else 2_000_000
    keys = trace_zipf(0.8)(np.random.default_rng(1), big)
    cap = len(np.unique(keys)) // 16
    parts = []
    for p in POLICIES:
        t = time.perf_counter()
        simulate(so, p, keys, cap)
        dt = time.perf_counter() - t
        parts.append(f"{p} {big / dt / 1e6:.1f}")
    print(f"\nSimulator throughput, {big} Zipf(0.8) keys, cache {cap} "
          "(M requests/s): " + ", ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
