#!/usr/bin/python3
"""The STRING-scale 2-hop with a confidence filter (issue 16), in one run:
GenomeDB in process, GenomeDB through a mount (wall and the daemon's CPU),
python3-igraph and networkx beside, several rounds, with the load average.

    bench/graph/khop2.py [--build DIR] [--keep DIR] [--rounds R]
                         [--string-lines L] [--reps N]

Data: the STRING-format links file of bench/graph/run.py (20,000 proteins,
L lines = L/2 undirected pairs, seed 20240601; the same file run.py
measured when `make bench` ran it first, bench/inputs.py), imported once
(kept with --keep, reused when there) and the same 30 probe proteins as
run.py.

Rows, per round:
  * in process: `test_graph bench` (the /graph provider called directly:
    query + the rendered JSON), median over the probes of each probe's
    median of N repeats, wall and the thread's CPU;
  * through the mount: a fresh daemon per round, each probe's answer read
    once under a name never read before (open + read + close from Python):
    wall median, and the daemon's CPU per answer (utime + stime of
    /proc/PID/stat over all the reads, divided by their number: a 10 ms
    tick, so over 30 answers about 0.3 ms resolution);
  * igraph: `neighborhood(order=2)` (vertex ids) and `induced_subgraph` of
    it (a graph object, every edge, no file) on a copy filtered to
    confidence >= 0.7 built once (not timed); networkx: the 2-hop node set
    (`single_source_shortest_path_length`, cutoff 2) on the same filtered
    graph. CPU per query (time.process_time) and wall.

Two answers: the default limits (10,000 nodes, 20,000 edges with every
attribute, about 3.8 MB: the goal's file) and the node set
(`limit=all,edge-limit=1`). Markdown on stdout, progress on stderr.
"""
import argparse
import os
import random
import shutil
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as R  # noqa: E402  (the data generator and helpers of run.py)

TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid):
    """utime + stime of a process (every thread, live or gone), seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def load():
    return "%.1f" % os.getloadavg()[0]


def store_and_arrays(gdb, work, lines):
    """The STRING store and the pair arrays the peers use. The links file
    is run.py's (generated once a run, bench/inputs.py); the store is
    imported once into work and reused from a kept work directory when
    it was made from the same input (string.gdb.from names it)."""
    sfile, names, a, b, score = R.string_input(work, lines)
    sstore = os.path.join(work, "string.gdb")
    stamp = sstore + ".from"
    src = os.path.basename(os.path.dirname(sfile))
    if os.path.isdir(sstore) and os.path.exists(stamp):
        with open(stamp) as f:
            if f.read() == src:
                return sstore, list(names), a, b, score
    shutil.rmtree(sstore, ignore_errors=True)
    gdb.run("init", sstore)
    t, rss, msg = gdb.import_(sstore, "string", sfile)
    R.log(f"  imported in {t:.0f} s (peak RSS {rss:.0f} MB): {msg}")
    with open(stamp, "w") as f:
        f.write(src)
    return sstore, list(names), a, b, score


def mount_round(gdb, store, mnt, paths):
    """(wall median, daemon CPU per answer, bytes median) of reading each
    path once through a fresh daemon."""
    with R.Mount(gdb, store, mnt) as M:
        for _ in range(50):   # the graph provider is up
            if os.path.isdir(os.path.join(M.mnt, "graph")):
                break
            time.sleep(0.1)
        c0 = proc_cpu(M.proc.pid)
        tt, nb = [], []
        for p in paths:
            t, n = M.read(p)
            tt.append(t)
            nb.append(n)
        c1 = proc_cpu(M.proc.pid)
    return R.med(tt), (c1 - c0) / len(paths), R.med(nb)


def peer_graphs(names, a, b, score):
    """igraph and networkx graphs of the edges >= 0.7, built once."""
    import networkx as nx
    try:
        import igraph as ig
    except ImportError:
        ig = None
    keep = score >= 700
    SF = None
    if ig:
        SF = ig.Graph(n=len(names), edges=np.column_stack([a[keep], b[keep]]).tolist(),
                      directed=False)
    NG = nx.Graph()
    NG.add_nodes_from(range(len(names)))
    NG.add_edges_from(zip(a[keep].tolist(), b[keep].tolist()))
    return SF, NG


def timed(fn, probe_idx):
    """(wall median, CPU median) of fn(x) over the probes."""
    tt, cc = [], []
    for x in probe_idx:
        t0, c0 = time.perf_counter(), time.process_time()
        fn(x)
        tt.append(time.perf_counter() - t0)
        cc.append(time.process_time() - c0)
    return R.med(tt), R.med(cc)


def peers(SF, NG, probe_idx):
    import networkx as nx
    out = {"nx_set": timed(lambda x: nx.single_source_shortest_path_length(NG, x, cutoff=2),
                           probe_idx)}
    if SF is not None:
        out["ig_ids"] = timed(lambda x: SF.neighborhood(x, order=2), probe_idx)
        out["ig_induced"] = timed(lambda x: SF.induced_subgraph(SF.neighborhood(x, order=2)),
                                  probe_idx)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.environ.get("GENOMEDB_BUILD", os.path.join(R.REPO, "build")))
    ap.add_argument("--keep", help="work directory to keep (the store is reused from it)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=9, help="in-process repeats per probe")
    ap.add_argument("--string-lines", type=int, default=10_000_000)
    a = ap.parse_args()
    gdb = R.GDB(os.path.abspath(a.build))
    work = a.keep or tempfile.mkdtemp(prefix="gdbkhop2.")
    os.makedirs(work, exist_ok=True)
    try:
        store, names, pa, pb, score = store_and_arrays(gdb, work, a.string_lines)
        pr = random.Random(R.SEED + 2)
        probe_idx = pr.sample(range(20000), 30)
        probe = [names[i] for i in probe_idx]
        answers = {"default limits": "khop-2@min-conf=0.7.json",
                   "node set": "khop-2@min-conf=0.7,limit=all,edge-limit=1.json"}
        R.log("building the peers' graphs (edges >= 0.7)")
        SF, NG = peer_graphs(names, pa, pb, score)
        rows = []
        for rnd in range(a.rounds):
            R.log(f"round {rnd + 1} (load {load()})")
            row = {"round": rnd + 1, "load": load()}
            for what, pat in answers.items():
                paths = [f"{n}/{pat}" for n in probe]
                ours = gdb.bench(store, paths, a.reps)
                row[what + " in"] = (R.med([ours[p][0] for p in paths]),
                                     R.med([ours[p][3] for p in paths]))
                # a fresh daemon and mount: every name is new to both
                row[what + " mnt"] = mount_round(gdb, store, os.path.join(work, "mnt"), paths)
            row.update(peers(SF, NG, probe_idx))
            row["load_end"] = load()
            rows.append(row)
        report(rows, a)
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


def report(rows, a):
    f = R.fmt_t
    R.out(f"\n## STRING-scale 2-hop, min-conf 0.7 ({a.string_lines / 2e6:g}M undirected edges, "
          f"20,000 proteins, 30 probes)\n")
    R.out(f"Machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    R.out("| round (load) | answer | in process: wall / CPU | mount: wall / daemon CPU per answer "
          "| answer size |")
    R.out("|---|---|---:|---:|---:|")
    for r in rows:
        for what in ("default limits", "node set"):
            w, c = r[what + " in"]
            mw, mc, nb = r[what + " mnt"]
            R.out(f"| {r['round']} ({r['load']}-{r['load_end']}) | {what} | {f(w)} / {f(c)} | "
                  f"{f(mw)} / {f(mc)} | {nb / 1e6:.2f} MB |")
    R.out("\n| round | igraph neighborhood (ids): wall / CPU | igraph induced_subgraph: wall / CPU "
          "| networkx 2-hop node set: wall / CPU |")
    R.out("|---|---:|---:|---:|")
    for r in rows:
        ids, ind, nxs = r.get("ig_ids"), r.get("ig_induced"), r["nx_set"]
        R.out(f"| {r['round']} | {f(ids[0]) + ' / ' + f(ids[1]) if ids else 'n/a'} | "
              f"{f(ind[0]) + ' / ' + f(ind[1]) if ind else 'n/a'} | {f(nxs[0])} / {f(nxs[1])} |")


if __name__ == "__main__":
    main()
