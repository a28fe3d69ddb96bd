#!/usr/bin/python3
"""The closing table of `make bench`: goal, measured, peer, met or missed.

Reads the markdown each bench script printed (saved by `make bench` as
DIR/<script>.md; `make bench-scale` leaves DIR/scale.md) and picks out the
figures each goal is about. A goal whose script did not run, failed, or
printed no such row is listed as "not measured": nothing is carried over
from an earlier run or from docs/BENCHMARKS.md.

    bench/goals.py build/bench
"""
import os
import re
import sys

NUM = r"([0-9][0-9,]*\.?[0-9]*)"


def tables(text):
    """Every markdown table row as a list of cells (header rows too)."""
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def num(cell, i=0):
    m = re.findall(NUM, cell or "")
    return float(m[i].replace(",", "")) if len(m) > i else None


def ms(cell):
    """'12.8 ms' / '6.6 µs' / '1.2 s' -> milliseconds."""
    m = re.search(NUM + r"\s*(µs|us|ms|s)\b", cell or "")
    if not m:
        return None
    v = float(m.group(1).replace(",", ""))
    return v * {"µs": 1e-3, "us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]


def after(cell, label):
    """The number right after `label` in a cell: 'p50 7 us, p99 68 us'."""
    m = re.search(re.escape(label) + r"\s*" + NUM, cell or "")
    return float(m.group(1).replace(",", "")) if m else None


def row(rows, *keys):
    for r in rows:
        if all(k in r[0] for k in keys):
            return r
    return None


def keyvals(text):
    return {k: float(v) for k, v in re.findall(r"^(\w+)=([0-9.eE+-]+)$", text, re.M)}


class Goals:
    def __init__(self, d):
        self.text = {}
        for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if f.endswith(".md"):
                with open(os.path.join(d, f), encoding="utf-8", errors="replace") as fh:
                    self.text[f[:-3]] = fh.read()
        self.out = []

    def rows(self, name):
        return tables(self.text.get(name, ""))

    def add(self, goal, measured, peer, met):
        state = "not measured" if measured is None else ("**met**" if met else "**missed**")
        self.out.append((goal, "" if measured is None else measured, peer or "", state))

    def regions(self):
        kv = keyvals(self.text.get("regions", ""))
        peer = ""
        if "floor_median_us" in kv:
            peer = (f"minimal libfuse floor {kv['floor_median_us']:.0f} µs; pysam plain "
                    f"{kv['pysam_plain_median_us']:.0f} µs, bgzip {kv['pysam_bgzip_median_us']:.0f} µs")
        med, p99 = kv.get("region_median_us"), kv.get("region_p99_us")
        self.add("new-name 1 kb region read from Python, median < 60 µs",
                 None if med is None else f"{med:.0f} µs", peer, med is not None and med < 60)
        fp = kv.get("floor_p99_us")
        self.add("the same, p99 < 300 µs (first touches included)",
                 None if p99 is None else f"{p99:.0f} µs",
                 "" if fp is None else f"minimal libfuse floor {fp:.0f} µs", p99 is not None and p99 < 300)

    def scale(self):
        rows = self.rows("scale")
        r = row(rows, "random 1 kb region")
        p99 = after(r[1], "p99") if r else None
        d = row(rows, "peer: the disk")
        w = row(rows, "same loop: a new name")
        peer = f"the disk's cold random 16 KiB read p99 {after(d[1], 'p99'):.0f} µs" if d else "mission: 500 ms"
        if w:
            peer += f"; same loop, no disk (FUSE + scheduler) p99 {after(w[1], 'p99'):.0f} µs"
        self.add("scale past RAM: random 1 kb region p99 < 5 ms",
                 None if p99 is None else f"{p99:.0f} µs ({row(rows, 'genome')[1].split(',')[0]})",
                 peer, p99 is not None and p99 < 5000)
        r = row(rows, "daemon RSS")
        if r:
            peak, anon, limit = after(r[1], "peak"), after(r[1], "anonymous peak"), num(r[2])
            self.add("scale: daemon memory <= cache + 64 MiB", f"anonymous {anon:.0f} MiB",
                     f"limit {limit:.0f} MiB; VmRSS with mapped store pages {peak:.0f} MiB",
                     anon <= limit)
        else:
            self.add("scale: daemon memory <= cache + 64 MiB", None, "", False)
        r = row(rows, "import rate")
        wall = num(r[1]) if r else None
        cpu = after(r[1], "=") if r else None
        self.add("scale: import >= 200 MB/s wall (streamed from the generator)",
                 None if wall is None else f"{wall:.0f} MB/s",
                 f"{cpu:.0f} MB per importer CPU-second; the generator shares the CPUs"
                 if r else "", wall is not None and wall >= 200)

    def cold_scan(self):
        rows = self.rows("run")
        r, peer = row(rows, "mount `1-L.seq`"), row(rows, "local disk")
        v = num(r[1]) if r else None
        self.add("cold streaming of a contig >= 1.5 GB/s", None if v is None else f"{v:.2f} GB/s",
                 f"plain FASTA on local disk {peer[1]} GB/s" if peer else "", v is not None and v >= 1.5)
        r, peer = row(rows, "genomedb import"), row(rows, "samtools faidx")
        v = num(r[2]) if r else None
        self.add("import >= 150 MB/s", None if v is None else f"{v:.0f} MB/s",
                 f"samtools faidx {peer[2]} MB/s" if peer else "", v is not None and v >= 150)

    def prefetch(self):
        r = row(self.rows("prefetch"), "ratio on/off")
        v = num(r[1]) if r else None
        self.add("prefetch: cold sequential read >= 2x without", None if v is None else f"{v:.2f}x",
                 "prefetch off", v is not None and v >= 2)

    def simd(self):
        # our kernels only: the *_parasail rows are parasail's variants
        # against parasail's own scalar kernel
        rows = [r for r in self.rows("simd") if len(r) >= 6 and r[1] not in ("variant", "scalar")
                and not r[0].endswith("_parasail")]
        xs = [(num(r[4]), r[0], r[1]) for r in rows if num(r[4]) is not None]
        if not xs:
            self.add("every vectorized kernel >= 4x its scalar twin", None, "", False)
        else:
            low = min(xs)
            self.add("every vectorized kernel >= 4x its scalar twin",
                     f"lowest {low[0]:.2f}x ({low[1]}, {low[2]})", "scalar twins, same run", low[0] >= 4)
        # bench/simd/run.py's own goal table: k-mers per level and against
        # jellyfish, SW / NW / semi-global AVX-512 against AVX2 and parasail
        text = self.text.get("simd", "")
        own = tables(text[text.find("| goal (issue 16)"):]) if "| goal (issue 16)" in text else []
        for r in own[1:]:
            if len(r) < 4 or not r[0]:
                break
            self.add(r[0], r[1], r[2], r[3] == "met")
        if not own:
            self.add("k-mers, SW, NW, semi-global goals of bench/simd/run.py", None, "", False)

    def graph(self):
        text = self.text.get("graph", "")
        rows = tables(text[text.find("STRING scale"):]) if "STRING scale" in text else []
        r = next((r for r in rows if "2-hop" in r[0] and "conf" in r[0] and "default" not in r[0]), None)
        v = ms(r[2]) if r and len(r) > 2 else None
        if v is None and r:
            v = ms(r[1])
        self.add("STRING-scale 2-hop with a confidence filter < 10 ms (mount)",
                 None if v is None else f"{v:.1f} ms", "", v is not None and v < 10)
        # the same at the default limits: 20000 edges rendered with every
        # attribute; peer: igraph's induced subgraph (no file), same run
        r = next((r for r in rows if "2-hop" in r[0] and "default" in r[0]), None)
        v = ms(r[2]) if r and len(r) > 2 else None
        cpu = ms(r[3].split("CPU in process")[1]) if r and "CPU in process" in r[3] else None
        ig = next((r for r in rows if "induced subgraph" in r[0]), None)
        peer = (f"in process {cpu:.1f} ms CPU" if cpu is not None else "") + \
            (f"; igraph induced subgraph {ig[3].split(';')[0]}" if ig else "")
        self.add("STRING-scale 2-hop, default limits (20000 edges rendered) < 10 ms (mount)",
                 None if v is None else f"{v:.1f} ms", peer, v is not None and v < 10)

    def annotations(self):
        rows = self.rows("annotations")
        r, peer = row(rows, "GenomeDB query + the `.bed`"), row(rows, "tabix in process")
        v = ms(r[1]) if r else None
        self.add("1 Mbp overlap query on a human-density annotation < 1 ms",
                 None if v is None else f"{v:.3f} ms", f"tabix in process {peer[1]}" if peer else "",
                 v is not None and v < 1)

    def variants(self):
        rows = self.rows("variants")
        g = row(rows, "GenomeDB")
        z = row(rows, "zstd -19")
        if g and z and num(g[1]) and num(z[1]):
            self.add("variant set smaller than zstd -19 of the plain VCF", f"{num(g[1]):,.0f} bytes",
                     f"zstd -19 {num(z[1]):,.0f} bytes", num(g[1]) < num(z[1]))
        else:
            self.add("variant set smaller than zstd -19 of the plain VCF", None, "", False)

    def table(self):
        for f in (self.regions, self.scale, self.cold_scan, self.prefetch, self.simd,
                  self.graph, self.annotations, self.variants):
            try:
                f()
            except (TypeError, ValueError, IndexError, AttributeError) as e:
                self.add(f"{f.__name__}: figures not understood ({e})", None, "", False)
        lines = ["| goal | measured | peer (same run) | met |", "|---|---:|---|---|"]
        lines += [f"| {g} | {m} | {p} | {s} |" for g, m, p, s in self.out]
        return "\n".join(lines)


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "build/bench"
    load = open("/proc/loadavg").read().split()[:3]
    print(f"\n## Goals (issue 16): figures of this run, {os.cpu_count()} CPUs, "
          f"load average {' '.join(load)}\n")
    print(Goals(d).table())


if __name__ == "__main__":
    main()
