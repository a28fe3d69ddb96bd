#!/usr/bin/python3
"""Computed files through a mount, beside a peer on the same data, one run.

    bench/compute/run.py [--build DIR] [--quick]

  * query set: /compute/align/ecoli/<contig>/1-4641652/@primers.sam for N
    primers of 20-30 bases (both strands scored, the best traced), against
    parasail's striped 16-bit Smith-Waterman from python3-parasail (score
    only, both strands, one thread), and against reading the N one-query
    files <QUERY>.sam one after the other;
  * PWM scan: /compute/motif/ecoli/<contig>/1-4641652/pwm/<id>@p=1e-4.bed
    against Biopython's PSSM.search (numpy) at the same threshold.

The genome is E. coli K-12 (tests/data), the motifs the hand-written test
fixtures. Markdown to stdout, progress to stderr. Wall-clock medians of
three runs; every GenomeDB figure is a path never read before in the mount,
so the answer is computed, not served from a cache.
"""
import argparse
import gzip
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(REPO, "tests", "data")
GENOME = os.path.join(DATA, "ecoli_K12_MG1655_NC_000913.3.fna.gz")
COMP = str.maketrans("ACGT", "TGCA")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def timed(fn, reps=3):
    ts = []
    out = None
    for i in range(reps):
        t0 = time.perf_counter()
        out = fn(i)
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.environ.get("GENOMEDB_BUILD", os.path.join(REPO, "build")))
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    G = os.path.join(a.build, "genomedb")
    nprim = 20 if a.quick else 100
    seq = "".join(l.strip() for l in gzip.open(GENOME, "rt") if not l.startswith(">"))
    rng = random.Random(7)
    prims = []
    for i in range(nprim):
        p = rng.randrange(0, len(seq) - 40)
        q = seq[p:p + rng.randrange(20, 31)]
        prims.append(q.translate(COMP)[::-1] if i % 2 else q)
    with tempfile.TemporaryDirectory() as d:
        store, mnt = os.path.join(d, "b.gdb"), os.path.join(d, "mnt")
        os.mkdir(mnt)
        subprocess.run([G, "init", store], check=True, capture_output=True)
        subprocess.run([G, "import", "fasta", store, "--assembly", "ecoli", GENOME, "--quiet"],
                       check=True)
        subprocess.run([G, "import", "motifs", store, "--set", "hand",
                        os.path.join(DATA, "motifs", "hand.jaspar"), "--quiet"], check=True)
        proc = subprocess.Popen([G, "mount", store, mnt, "-f"], stderr=subprocess.DEVNULL)
        try:
            while not os.path.ismount(mnt):
                time.sleep(0.02)
            region = os.path.join(mnt, "compute", "align", "ecoli", "NC_000913.3",
                                  f"1-{len(seq)}")

            def gdb_set(i):
                # a new set name each run: the answer is computed afresh
                with open(os.path.join(mnt, "compute", "queries", f"p{i}.fa"), "w") as f:
                    for k, q in enumerate(prims):
                        f.write(f">q{k}\n{q}\n")
                with open(os.path.join(region, f"@p{i}.sam")) as f:
                    return [l for l in f if not l.startswith("@")]
            t_set, rows = timed(gdb_set)
            log("query set", t_set)

            def gdb_one(i):
                scores = []
                for q in prims[: max(5, nprim // 10)]:
                    with open(os.path.join(region, f"{q}@match={2 + i}.sam")) as f:
                        scores.append(f.read())
                return scores
            t_one, _ = timed(gdb_one)
            t_one *= nprim / max(5, nprim // 10)
            log("one-query files", t_one)

            import parasail
            mat = parasail.matrix_create("ACGT", 2, -3)

            def para(_):
                out = []
                for q in prims:
                    f = parasail.sw_striped_16(q, seq, 5, 2, mat).score
                    r = parasail.sw_striped_16(q.translate(COMP)[::-1], seq, 5, 2, mat).score
                    out.append(max(f, r))
                return out
            t_para, pscores = timed(para, 1 if not a.quick else 1)
            log("parasail", t_para)
            gscores = [int(r.split("\t")[11].split(":")[2]) for r in rows]
            same = gscores == pscores

            pwm_dir = os.path.join(mnt, "compute", "motif", "ecoli", "NC_000913.3",
                                   f"1-{len(seq)}", "pwm")

            def gdb_pwm(i):
                with open(os.path.join(pwm_dir, f"HW0003.2@p={1e-4 * (1 + i * 1e-6)}.bed")) as f:
                    return f.read().count("\n")
            t_pwm, nh = timed(gdb_pwm)
            log("pwm", t_pwm, nh)
        finally:
            subprocess.run(["fusermount3", "-u", "-z", mnt])
            proc.wait()

    from Bio import motifs as bm
    from Bio.Seq import Seq
    with open(os.path.join(DATA, "motifs", "hand.jaspar")) as f:
        mot = [m for m in bm.parse(f, "jaspar") if m.matrix_id == "HW0003.2"][0]
    pssm = mot.counts.normalize(pseudocounts=0.2).log_odds()
    dist = pssm.distribution(precision=10 ** 4)
    thr = dist.threshold_fpr(1e-4)
    s = Seq(seq)

    def bio(_):
        return sum(1 for _ in pssm.search(s, threshold=thr, both=True))
    t_bio, nb = timed(bio, 1)
    log("biopython", t_bio, nb)

    cells = 2 * sum(len(q) for q in prims) * len(seq)
    print(f"E. coli K-12 ({len(seq):,} bases), {nprim} primers of 20-30 bases; "
          f"{os.cpu_count()} cores.\n")
    print("| file | GenomeDB (mount) | peer | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| `@primers.sam`: {nprim} primers, both strands, traced | {t_set:.2f} s "
          f"({cells / t_set / 1e9:.1f} GCUPS) | parasail `sw_striped_16`, score only, one thread: "
          f"{t_para:.2f} s ({cells / t_para / 1e9:.1f} GCUPS) | {t_para / t_set:.1f}x |")
    print(f"| the same as {nprim} one-query `.sam` files read in turn | {t_one:.2f} s | | "
          f"set {t_one / t_set:.1f}x faster |")
    print(f"| `pwm/HW0003.2@p=1e-4.bed` (8 columns, both strands) | {t_pwm * 1e3:.0f} ms "
          f"({nh} hits) | Biopython `PSSM.search`, threshold at FPR 1e-4: {t_bio * 1e3:.0f} ms "
          f"({nb} hits) | {t_bio / t_pwm:.0f}x |")
    print(f"\nScores of the set equal parasail's for every primer: {same}.")


if __name__ == "__main__":
    main()
