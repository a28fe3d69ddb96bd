#!/usr/bin/python3
"""Reads benchmarks: GenomeDB beside its peers on the same files, in one run,
printing markdown tables (paste into docs/BENCHMARKS.md).

    bench/reads/run.py [--build DIR] [--data DIR] [--quick] [--keep DIR]

Data: the shared data set (default /work/shared/data; --data elsewhere):
  alignments/nanopore_pcs109_sirv_spliced.bam (reference SIRV_150601a),
  alignments/NA12878_small.bam (reference human_hg19_chr20_unittest),
  reads/illumina_ERR127302_{1,2}.fastq.gz, reads/nanopore_pcs109_sirv_5k.fq.gz.

Tables:
  1. aligned reads: bytes stored (the object's whole segment) beside BAM,
     CRAM 3.0, CRAM 3.1 and CRAM 3.1 archive (samtools, same reference);
  2. FASTQ: bytes stored per quality mode beside gzip -9, zstd -19, xz -9
     of the FASTQ and CRAM 3.1 / 3.1 archive of it (samtools import; CRAM
     drops the titles' comments, so it is not lossless);
  3. region reads: random 1-10 kb regions as BAM files through the mount
     beside `samtools view -b` of the indexed source BAM (median and p95);
  4. memory: peak RSS of imports of 1x and 8x a file (flat in the input's
     size: one slice or chunk at a time).

Import and export times are wall clock on a shared 2-core machine: noisy.
"""
import argparse
import gzip
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests"))


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def out(*a):
    print(*a, flush=True)


def run(args, stdout=None, **kw):
    """Run a command; returns (seconds, peak RSS of the child in KiB)."""
    t0 = time.monotonic()
    p = subprocess.Popen([str(a) for a in args], stdout=stdout or subprocess.DEVNULL,
                         stderr=subprocess.PIPE, **kw)
    _, status, ru = os.wait4(p.pid, 0)
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{args}: {err[-2000:]}")
    return time.monotonic() - t0, ru.ru_maxrss


def size(p):
    return os.path.getsize(p)


def kb(n):
    return f"{n:,}"


class Bench:
    def __init__(self, a):
        self.gdb = os.path.join(a.build, "genomedb")
        self.data = a.data
        self.quick = a.quick
        self.tmp = a.keep or tempfile.mkdtemp(prefix="gdb-bench-reads-")
        os.makedirs(self.tmp, exist_ok=True)
        self.store = os.path.join(self.tmp, "b.gdb")

    def path(self, *p):
        return os.path.join(self.tmp, *p)

    def ref(self, gz):
        plain = self.path(os.path.basename(gz).replace(".gz", ""))
        if not os.path.exists(plain):
            with gzip.open(gz, "rb") as f, open(plain, "wb") as o:
                shutil.copyfileobj(f, o)
            run(["samtools", "faidx", plain])
        return plain

    def stored(self, name):
        info = json.loads(subprocess.run([self.gdb, "info", self.store, "--json"],
                                         capture_output=True, check=True).stdout)
        return {o["name"]: o["stored_bytes"] for o in info["objects"]}["reads/" + name]

    def setup(self):
        if os.path.exists(self.store):
            shutil.rmtree(self.store)
        run([self.gdb, "init", self.store])
        g = os.path.join(self.data, "genomes")
        for asm, f in (("sirv", "SIRV_150601a.fasta.gz"), ("hg19", "human_hg19_chr20_unittest.fasta.gz")):
            run([self.gdb, "import", "fasta", self.store, "--assembly", asm, os.path.join(g, f), "-q"])

    def cram(self, src, ref, opts):
        o = self.path("peer.cram")
        run(["samtools", "view", "--no-PG", "-O", "cram," + opts, "-T", ref, "-o", o, src])
        return size(o)

    def aligned(self):
        out("### Aligned reads: bytes stored beside BAM and CRAM\n")
        out("| file | records | BAM | CRAM 3.0 | CRAM 3.1 | CRAM 3.1 archive | GenomeDB | vs CRAM 3.1 | import s |")
        out("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        al = os.path.join(self.data, "alignments")
        g = os.path.join(self.data, "genomes")
        for name, bam, asm, ref, extra in (
                ("nanopore", "nanopore_pcs109_sirv_spliced.bam", "sirv", "SIRV_150601a.fasta.gz", []),
                ("na12878", "NA12878_small.bam", "hg19", "human_hg19_chr20_unittest.fasta.gz",
                 ["--allow-missing-contigs"])):
            src = os.path.join(al, bam)
            plain = self.ref(os.path.join(g, ref))
            t, _ = run([self.gdb, "import", "bam", self.store, "--sample", name, "--reference", asm,
                        src, "-q", *extra])
            n = int(subprocess.run(["samtools", "view", "-c", src], capture_output=True,
                                   check=True).stdout)
            c30 = self.cram(src, plain, "version=3.0")
            c31 = self.cram(src, plain, "version=3.1")
            c31a = self.cram(src, plain, "version=3.1,archive")
            st = self.stored(name)
            out(f"| {bam} | {n:,} | {kb(size(src))} | {kb(c30)} | {kb(c31)} | {kb(c31a)} | "
                f"**{kb(st)}** | {st / c31:.3f} | {t:.1f} |")
        out("")

    def peers_fastq(self, files):
        raw = b"".join(gzip.open(f, "rb").read() for f in files)
        p = self.path("peer.fq")
        with open(p, "wb") as f:
            f.write(raw)
        res = {"FASTQ": len(raw)}
        for tool, args in (("gzip -9", ["gzip", "-9", "-c"]), ("zstd -19", ["zstd", "-19", "-c", "-q"]),
                           ("xz -9", ["xz", "-9", "-c"])):
            o = self.path("peer.out")
            with open(o, "wb") as f:
                run(args + [p], stdout=f)
            res[tool] = size(o)
        for tag, fmt in (("CRAM 3.1", "cram,version=3.1"), ("CRAM 3.1 archive", "cram,version=3.1,archive")):
            o = self.path("peer.cram")
            mates = ["-1", files[0], "-2", files[1]] if len(files) == 2 else ["-0", files[0]]
            run(["samtools", "import", *mates, "-O", fmt, "-o", o])
            res[tag] = size(o)
        return res

    def fastq(self):
        rd = os.path.join(self.data, "reads")
        sets = [("illumina _1", [os.path.join(rd, "illumina_ERR127302_1.fastq.gz")]),
                ("illumina pair", [os.path.join(rd, "illumina_ERR127302_1.fastq.gz"),
                                   os.path.join(rd, "illumina_ERR127302_2.fastq.gz")]),
                ("nanopore", [os.path.join(rd, "nanopore_pcs109_sirv_5k.fq.gz")])]
        modes = ["lossless"] if self.quick else ["lossless", "illumina8", "bins=2,10,20,30"]
        out("### FASTQ: bytes stored per quality mode beside general compressors and CRAM\n")
        cols = ["FASTQ", "gzip -9", "zstd -19", "xz -9", "CRAM 3.1", "CRAM 3.1 archive"]
        out("| set | " + " | ".join(cols) + " | " + " | ".join(f"GenomeDB {m}" for m in modes) +
            " | lossless vs CRAM 3.1 | import s | export s |")
        out("|---|" + "---:|" * (len(cols) + len(modes) + 3))
        for label, files in sets:
            log(f"fastq: {label}")
            peers = self.peers_fastq(files)
            ours, times = [], None
            for k, m in enumerate(modes):
                name = f"{label.replace(' ', '_')}_{k}"
                t, _ = run([self.gdb, "import", "fastq", self.store, "--set", name, *files,
                            "--qualities", m, "-q"])
                if k == 0:
                    args = ["--mate", "1"] if len(files) == 2 else []
                    te, _ = run([self.gdb, "export", "fastq", self.store, name, *args,
                                 "-o", self.path("exp.fq")])
                    exact = open(self.path("exp.fq"), "rb").read() == gzip.open(files[0], "rb").read()
                    times = (t, te, exact)
                ours.append(self.stored(name))
            row = [kb(peers[c]) for c in cols]
            row += [f"**{kb(v)}** ({peers['FASTQ'] / v:.2f}:1)" for v in ours]
            out(f"| {label} | " + " | ".join(row) +
                f" | {ours[0] / peers['CRAM 3.1']:.3f} | {times[0]:.1f} | {times[1]:.1f}"
                f"{'' if times[2] else ' (NOT EXACT)'} |")
        out("")

    def regions(self):
        out("### Region BAM files through the mount beside samtools view -b\n")
        src = self.path("nano.bam")
        shutil.copyfile(os.path.join(self.data, "alignments", "nanopore_pcs109_sirv_spliced.bam"), src)
        run(["samtools", "index", src])
        mnt = self.path("mnt")
        os.makedirs(mnt, exist_ok=True)
        d = subprocess.Popen([self.gdb, "mount", self.store, mnt, "-f"], stderr=subprocess.DEVNULL)
        try:
            t0 = time.monotonic()
            while not os.path.ismount(mnt):
                if time.monotonic() - t0 > 20:
                    raise RuntimeError("mount did not come up")
                time.sleep(0.05)
            rng = random.Random(7)
            lens = {"SIRV1": 12643, "SIRV5": 14606, "SIRV6": 12837, "SIRV7": 148957}
            ours, peer = [], []
            for _ in range(10 if self.quick else 40):
                c = rng.choice(sorted(lens))
                a = rng.randint(1, lens[c] - 1000)
                b = min(lens[c], a + rng.randint(1000, 10000))
                t0 = time.monotonic()
                with open(os.path.join(mnt, "reads", "nanopore", c, f"{a}-{b}.bam"), "rb") as f:
                    f.read()
                ours.append(time.monotonic() - t0)
                t, _ = run(["samtools", "view", "-b", "-o", self.path("r.bam"), src, f"{c}:{a}-{b}"])
                peer.append(t)
            t0 = time.monotonic()
            with open(os.path.join(mnt, "reads", "nanopore", "nanopore.bam"), "rb") as f:
                whole = len(f.read())
            tw = time.monotonic() - t0
        finally:
            subprocess.run(["fusermount3", "-u", "-z", mnt])
            d.wait(timeout=30)

        def q(xs, p):
            xs = sorted(xs)
            return xs[min(len(xs) - 1, int(p * len(xs)))]
        out("| what | GenomeDB (mount, cold) | samtools view -b (process) | ratio |")
        out("|---|---:|---:|---:|")
        out(f"| 1-10 kb region of the nanopore BAM, median | {statistics.median(ours) * 1e3:.1f} ms | "
            f"{statistics.median(peer) * 1e3:.1f} ms | {statistics.median(ours) / statistics.median(peer):.2f} |")
        out(f"| p95 | {q(ours, .95) * 1e3:.1f} ms | {q(peer, .95) * 1e3:.1f} ms | "
            f"{q(ours, .95) / q(peer, .95):.2f} |")
        out(f"| whole-sample BAM ({whole:,} bytes, uncompressed blocks), cold read | "
            f"{tw * 1e3:.0f} ms ({whole / tw / 1e6:.0f} MB/s) | | |")
        out("")

    def memory(self):
        out("### Peak memory of imports: 1x and 8x the input\n")
        out("| input | 1x size | 1x peak RSS | 8x size | 8x peak RSS |")
        out("|---|---:|---:|---:|---:|")
        al = os.path.join(self.data, "alignments", "nanopore_pcs109_sirv_spliced.bam")
        big = self.path("big.bam")
        run(["samtools", "merge", "-f", "-o", big] + [al] * 8)
        rss = []
        for i, f in enumerate((al, big)):
            _, r = run([self.gdb, "import", "bam", self.store, "--sample", f"mem{i}", "--reference",
                        "sirv", f, "-q"])
            rss.append(r)
        out(f"| nanopore BAM | {kb(size(al))} | {rss[0] / 1024:.0f} MiB | {kb(size(big))} | "
            f"{rss[1] / 1024:.0f} MiB |")
        fq = os.path.join(self.data, "reads", "nanopore_pcs109_sirv_5k.fq.gz")
        bigfq = self.path("big.fq")
        one = gzip.open(fq, "rb").read()
        with open(bigfq, "wb") as f:
            for _ in range(8):
                f.write(one)
        rss = []
        for i, f in enumerate((fq, bigfq)):
            _, r = run([self.gdb, "import", "fastq", self.store, "--set", f"memfq{i}", f, "-q"])
            rss.append(r)
        out(f"| nanopore FASTQ | {kb(len(one))} | {rss[0] / 1024:.0f} MiB | {kb(size(bigfq))} | "
            f"{rss[1] / 1024:.0f} MiB |")
        out("")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.environ.get("GENOMEDB_BUILD", os.path.join(REPO, "build")))
    ap.add_argument("--data", default="/work/shared/data")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--keep")
    a = ap.parse_args()
    if not os.path.isdir(os.path.join(a.data, "alignments")):
        log(f"reads benchmarks need the shared data set ({a.data}); skipped")
        return 0
    b = Bench(a)
    out(f"## Reads (issue 12): {time.strftime('%Y-%m-%d')}, {os.uname().nodename}, "
        f"{os.cpu_count()} CPUs\n")
    b.setup()
    b.aligned()
    b.fastq()
    b.regions()
    if not a.quick:
        b.memory()
    if not a.keep:
        shutil.rmtree(b.tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
