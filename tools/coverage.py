#!/usr/bin/python3
"""Summarise a gcov run (gcovr JSON) per folder and enforce the floors.

Usage: coverage.py BUILD_DIR  (run from the repository root after the
--coverage build's unit binaries and pytest have written their .gcda files).
       coverage.py --unit BUILD_DIR  (`make covunit`: only INTEGRITY was
built with --coverage, and only the C unit tests ran; the 100% floor alone).

Floors: 90% of lines overall, 100% of lines in INTEGRITY (the CRC checks,
manifest and segment validation, commit and recovery). Exit 1 below either.
"""
import json
import os
import subprocess
import sys

OVERALL_FLOOR = 90.0
INTEGRITY_FLOOR = 100.0
# The files whose every line must run under the tests (docs/RELIABILITY.md).
INTEGRITY = (
    "simd/crc32c.c",     # CRC-32C, every kernel and its scalar twin
    "store/manifest.c",  # manifest encode/decode and structural checks
    "store/open.c",      # CURRENT, manifest and segment validation on open
    "store/txn.c",       # commit: segments, fsync, rename, CURRENT
    "store/gc.c",        # recovery: verify --repair, gc of old generations
)


def gcovr_json(build):
    out = subprocess.run(
        ["gcovr", "--root", ".", "--json",
         "--exclude", r"tests/", "--exclude", r"bench/",
         "--gcov-ignore-parse-errors", build],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def tally(files):
    per = {}
    for f in files:
        name = f["file"]
        lines = [ln for ln in f["lines"] if not ln.get("gcovr/noncode")]
        lt = len(lines)
        lc = sum(1 for ln in lines if ln["count"] > 0)
        bt = sum(len(ln["branches"]) for ln in lines)
        bc = sum(1 for ln in lines for b in ln["branches"] if b["count"] > 0)
        missed = [ln["line_number"] for ln in lines if ln["count"] == 0]
        per[name] = (lt, lc, bt, bc, missed)
    return per


def pct(a, b):
    return 100.0 * a / b if b else 100.0


def integrity(per):
    """Print each INTEGRITY file's figures; False if one is under the floor."""
    ok = True
    print("integrity files (floor 100% of lines):")
    for name in INTEGRITY:
        if name not in per:
            print(f"  {name}: no coverage data")
            ok = False
            continue
        lt, lc, bt, bc, missed = per[name]
        print(f"  {name:<20}{lc:>5} / {lt:<5}{pct(lc, lt):6.1f}% lines"
              f"  {pct(bc, bt):6.1f}% branches")
        if pct(lc, lt) < INTEGRITY_FLOOR:
            ok = False
            print(f"    lines never run: {', '.join(map(str, missed))}")
    return ok


def main():
    args = sys.argv[1:]
    unit = args[:1] == ["--unit"]
    if unit:
        args = args[1:]
    build = args[0] if args else "build/cov"
    per = tally(gcovr_json(build)["files"])
    if unit:
        ok = integrity(per)
        print("coverage (C unit tests): " + ("integrity floor met" if ok else "FAILED"))
        return 0 if ok else 1
    folders = {}
    for name, (lt, lc, bt, bc, _) in per.items():
        d = folders.setdefault(os.path.dirname(name) or ".", [0, 0, 0, 0])
        for i, v in enumerate((lt, lc, bt, bc)):
            d[i] += v
    print(f"{'folder':<12}{'lines':>16}{'line %':>9}{'branches':>18}{'branch %':>10}")
    tot = [0, 0, 0, 0]
    for d in sorted(folders):
        lt, lc, bt, bc = folders[d]
        for i, v in enumerate(folders[d]):
            tot[i] += v
        print(f"{d:<12}{lc:>7} / {lt:<6}{pct(lc, lt):>8.1f}%{bc:>8} / {bt:<7}{pct(bc, bt):>8.1f}%")
    lt, lc, bt, bc = tot
    overall = pct(lc, lt)
    print(f"{'total':<12}{lc:>7} / {lt:<6}{overall:>8.1f}%{bc:>8} / {bt:<7}{pct(bc, bt):>8.1f}%")
    print()
    ok = integrity(per)
    if overall < OVERALL_FLOOR:
        print(f"\ncoverage: {overall:.1f}% of lines is under the {OVERALL_FLOOR:.0f}% floor")
        ok = False
    print("coverage: " + ("floors met" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
