#!/usr/bin/python3
"""Summarise a gcov run (gcovr JSON) per folder and enforce the floors.

Usage: coverage.py BUILD_DIR  (run from the repository root after the
--coverage build's unit binaries and pytest have written their .gcda files;
`make coverage`, -O0).
       coverage.py --unit BUILD_DIR  (`make covunit`: only INTEGRITY was
built with --coverage, and only the C unit tests ran; the 100% floor alone).
       coverage.py --overall BUILD_DIR  (`make test`'s testcov: the whole
suite against the -O2 --coverage build; the 90% floor alone, the INTEGRITY
files' figures shown but their floor left to covunit's -O0 count).

Floors: 90% of lines overall, 100% of lines in INTEGRITY (the CRC checks,
manifest and segment validation, commit and recovery). Exit 1 below either;
under the overall floor it names the folders under 90% and the files with
the most lines never run, each with the lines it is short.
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
         "--gcov-ignore-parse-errors", "-j", "2", build],
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


def integrity(per, floor=True):
    """Print each INTEGRITY file's figures; False if one is under the floor
    (floor False: figures only, always True)."""
    ok = True
    print("integrity files" + (" (floor 100% of lines):" if floor else
                               " (their 100% floor is covunit's, at -O0):"))
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
    return ok or not floor


def short(lt, lc):
    """Lines that must run more for lc of lt to reach the overall floor."""
    need = -(-int(OVERALL_FLOOR * lt) // 100)  # ceil(floor% of lt)
    return max(0, need - lc)


def shortfall(per, folders, tot):
    """What to raise when the total is under the floor: the folders under
    it and the files with the most lines never run, with their figures."""
    lt, lc = tot[0], tot[1]
    print(f"\ncoverage: {pct(lc, lt):.2f}% of lines ({lc} of {lt}) is under the "
          f"{OVERALL_FLOOR:.0f}% floor: {short(lt, lc)} more lines must run")
    low = sorted((d for d, v in folders.items() if pct(v[1], v[0]) < OVERALL_FLOOR),
                 key=lambda d: -short(folders[d][0], folders[d][1]))
    if low:
        print(f"folders under {OVERALL_FLOOR:.0f}% (points under it, lines short of it there):")
        for d in low:
            ft, fc = folders[d][0], folders[d][1]
            print(f"  {d:<16}{pct(fc, ft):6.1f}%  {pct(fc, ft) - OVERALL_FLOOR:+6.1f}"
                  f"  {short(ft, fc):>5} lines")
    worst = sorted(per.items(), key=lambda kv: -len(kv[1][4]))[:10]
    print("files with the most lines never run:")
    for name, (ft, fc, _, _, missed) in worst:
        print(f"  {name:<32}{len(missed):>5} of {ft:<5} never run ({pct(fc, ft):.1f}% run)")


def main():
    args = sys.argv[1:]
    unit = args[:1] == ["--unit"]
    overall_only = args[:1] == ["--overall"]
    if unit or overall_only:
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
    ok = integrity(per, floor=not overall_only)
    if overall < OVERALL_FLOOR:
        shortfall(per, folders, tot)
        ok = False
    print("coverage: " + ("floors met" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
