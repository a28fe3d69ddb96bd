#!/usr/bin/python3
"""Live generations under concurrent readers (issue 15's stress test).

    tests/stress.py [--seconds S] [--readers N] [--workdir DIR] [--seed N]

One store, two mounts of it (each its own daemon), N reader processes
hammering random regions, graph queries and computed files through both
mounts, one process reading through the Python package in-process, while a
writer imports and drops an assembly and a network (four versions of each,
so every answer tells which generation it came from) and runs `genomedb
gc`. Checked:

  - every answer equals the expected bytes of one version, computed here
    from the source FASTA and SIF (regions, whole contigs, GC windows,
    graph neighbours), and a file read in two halves across a commit gives
    both halves from the same version (open files keep their generation);
  - the only error is ENOENT, and only for what the writer drops (chrM is
    never dropped: any error there fails);
  - both daemons stay up, answer .gdb/stats.json, and their RSS stays
    within the cache budget plus a fixed allowance;
  - gc never removes a segment a live reader maps: no daemon, and no
    Python reader, ever maps a segment file that is gone ("(deleted)" in
    /proc/PID/maps);
  - `genomedb verify` is clean at the end.

Prints a JSON summary (operations, generations crossed, errors) and exits 1
on any failure. tests/test_stress.py runs it for a few seconds under
`make test`; `make stress STRESS_SECONDS=600` runs the long version.
"""
import argparse
import errno
import gzip
import json
import multiprocessing as mp
import os
import random
import re
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gdbutil as U  # noqa: E402

NVERSIONS = 4
CACHE = 64 << 20
RSS_ALLOWANCE = 256 << 20  # code, libraries, thread stacks, mapped indexes
DELETED_SEG = re.compile(r"/seg-[0-9]+\.gdb \(deleted\)")
GC_WINDOWS = ((1, 5000, 500), (20001, 26000, 1000), (40000, 48502, 777))


# ---- expected content, computed from the sources ----

def lambda_seq():
    raw = gzip.open(os.path.join(U.DATA, "phage_lambda_NC_001416.fa.gz")).read()
    return U.parse_fasta(raw)[0][0].seq.upper()


def versions_of(seq):
    """Version k of the assembly: lambda rotated by k * 9973 bases (every
    region of 20+ bases then tells its version apart)."""
    out = []
    for k in range(NVERSIONS):
        r = (k * 9973) % len(seq)
        out.append(seq[r:] + seq[:r])
    return out


def sif_edges():
    rows = []
    with open(os.path.join(U.DATA, "graph", "galFiltered.sif")) as f:
        for line in f:
            t = line.split()
            if len(t) >= 3:
                rows.append((t[0], t[2]))
    return rows


def net_versions(edges):
    """Version k of the network: edges [0, n - k*n/8) of galFiltered.sif,
    so each version gives some node another neighbour set."""
    return [edges[:len(edges) - k * len(edges) // 8] for k in range(NVERSIONS)]


def neighbours(edges, gene):
    return frozenset([b for a, b in edges if a == gene] + [a for a, b in edges if b == gene])


def gc_rows(seq, beg, end, w):
    sub, rows, s = seq[beg - 1:end], [], 0
    while True:
        e = min(s + w, len(sub))
        win = sub[s:e]
        rows.append((beg + s, beg + e - 1, (win.count(b"G") + win.count(b"C")) / len(win)))
        if e >= len(sub):
            return rows
        s += w


class Expected:
    def __init__(self, workdir):
        self.workdir = workdir
        self.chrm = U.parse_fasta(open(os.path.join(U.DATA, "human_hg38_chrM.fa"), "rb").read())[0][0].seq
        self.lam = versions_of(lambda_seq())
        edges = sif_edges()
        self.nets = net_versions(edges)
        genes = sorted({a for a, _ in edges} | {b for _, b in edges})
        # genes whose neighbour sets differ between versions come first
        differ = [g for g in genes if len({neighbours(n, g) for n in self.nets}) > 1]
        self.genes = differ[:40] + [g for g in genes if g not in differ][:10]
        self.nbrs = {g: [neighbours(n, g) for n in self.nets] for g in self.genes}
        self.gc = {(k, win): gc_rows(self.lam[k], *win) for k in range(NVERSIONS) for win in GC_WINDOWS}

    def lam_fasta(self, k):
        p = os.path.join(self.workdir, f"lam{k}.fa")
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.write(b">lam version %d\n" % k + U.wrap(self.lam[k]))
        return p

    def net_sif(self, k):
        p = os.path.join(self.workdir, f"net{k}.sif")
        if not os.path.exists(p):
            with open(p, "w") as f:
                f.writelines(f"{a} pp {b}\n" for a, b in self.nets[k])
        return p


# ---- one reader: random operations, each checked ----

class Fail(Exception):
    pass


def which(candidates, got, what):
    """The version whose expected bytes got equals; Fail if none."""
    for k, want in enumerate(candidates):
        if got == want:
            return k
    raise Fail(f"{what}: {len(got)} bytes equal to no version")


def read_halves(path, pause):
    """Open, read half, pause (commits go on meanwhile), read the rest."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        a = f.read(size // 2)
        if pause:
            time.sleep(pause)
        return a + f.read()


def op_region(ex, mnt, rng):
    if rng.random() < 0.25:  # chrM is never dropped: no error allowed
        n = len(ex.chrm)
        s = rng.randint(1, n)
        e = min(n, s + rng.randint(0, 3000))
        got = read_halves(os.path.join(mnt, "chrM", "chrM", f"{s}-{e}.seq"), 0)
        if got != ex.chrm[s - 1:e]:
            raise Fail(f"chrM:{s}-{e} differs from the source")
        return "chrM", None
    n = len(ex.lam[0])
    s = rng.randint(1, n - 40)
    e = min(n, s + 40 + rng.randint(0, 8000))
    got = read_halves(os.path.join(mnt, "lam", "lam", f"{s}-{e}.seq"), rng.random() * 0.02)
    return "region", which([v[s - 1:e] for v in ex.lam], got, f"lam:{s}-{e}")


def op_contig(ex, mnt, rng):
    got = read_halves(os.path.join(mnt, "lam", "lam.fa"), rng.random() * 0.05)
    recs = U.parse_fasta(got)[0]
    if len(recs) != 1:
        raise Fail("lam.fa: not one record")
    return "contig", which(ex.lam, recs[0].seq, "lam.fa")


def op_gc(ex, mnt, rng):
    win = rng.choice(GC_WINDOWS)
    beg, end, w = win
    raw = read_halves(os.path.join(mnt, "compute", "gc", "lam", "lam", f"{beg}-{end}@w={w}.tsv"),
                      rng.random() * 0.02)
    lines = raw.decode().splitlines()
    if not lines or lines[0] != "chrom\tstart\tend\tgc":
        raise Fail(f"gc {win}: bad header {lines[:1]}")
    rows = [ln.split("\t") for ln in lines[1:]]
    for k in range(NVERSIONS):
        want = ex.gc[(k, win)]
        if len(rows) == len(want) and all(
                r[0] == "lam" and (int(r[1]), int(r[2])) == (s, e) and abs(float(r[3]) - g) <= 1e-6
                for r, (s, e, g) in zip(rows, want)):
            return "gc", k
    raise Fail(f"gc {win}: equal to no version")


def op_graph(ex, mnt, rng):
    gene = rng.choice(ex.genes)
    raw = read_halves(os.path.join(mnt, "graph", "@net", gene, "neighbors@limit=all.tsv"),
                      rng.random() * 0.02)
    lines = raw.decode().splitlines()
    if not lines or not lines[0].startswith("neighbor\t"):
        raise Fail(f"neighbors of {gene}: bad header {lines[:1]}")
    got = frozenset(ln.split("\t")[0] for ln in lines[1:])
    cands = ex.nbrs[gene]
    if got not in cands:
        raise Fail(f"neighbors of {gene}: {sorted(got)[:5]}... equal to no version")
    return "graph", cands.index(got)


OPS = (op_region, op_region, op_contig, op_gc, op_graph)


def reader(idx, ex, mounts, deadline, seed, q):
    rng = random.Random(seed * 1000 + idx)
    st = {"ops": 0, "enoent": 0, "errors": [], "versions": {}}
    while time.monotonic() < deadline and len(st["errors"]) < 5:
        op = rng.choice(OPS)
        mnt = rng.choice(mounts)
        try:
            kind, k = op(ex, mnt, rng)
            st["ops"] += 1
            if k is not None:
                st["versions"].setdefault(kind, set()).add(k)
        except FileNotFoundError as e:
            st["ops"] += 1
            st["enoent"] += 1
            if "/chrM/" in str(e.filename):
                st["errors"].append(f"{mnt}: ENOENT on chrM, which is never dropped: {e}")
        except OSError as e:
            st["errors"].append(f"{mnt}: {op.__name__}: {errno.errorcode.get(e.errno)} {e}")
        except Fail as e:
            st["errors"].append(f"{mnt}: {e}")
        except Exception:  # noqa: BLE001 - reported, never swallowed
            st["errors"].append(traceback.format_exc())
    st["versions"] = {k: sorted(v) for k, v in st["versions"].items()}
    q.put((f"reader{idx}", st))


def deleted_segments(pid):
    try:
        with open(f"/proc/{pid}/maps") as f:
            return sorted({ln.split()[-2] for ln in f if DELETED_SEG.search(ln)})
    except FileNotFoundError:
        return []


def py_reader(ex, store, deadline, seed, q):
    """The Python package in-process: each snapshot held a while (gc must
    keep what it maps), regions checked against the versions."""
    sys.path.insert(0, os.path.join(U.REPO, "python"))
    import genomedb
    rng = random.Random(seed)
    st = {"ops": 0, "snapshots": 0, "generations": set(), "enoent": 0, "errors": []}
    # one snapshot at least, however long the import above took
    while (time.monotonic() < deadline or not st["snapshots"]) and len(st["errors"]) < 5:
        try:
            with genomedb.open(store) as s:
                st["snapshots"] += 1
                st["generations"].add(s.generation)
                hold = time.monotonic() + rng.random() * 0.5
                while not st["ops"] or time.monotonic() < min(hold, deadline):
                    n = len(ex.chrm)
                    b = rng.randint(1, n)
                    e = min(n, b + rng.randint(0, 2000))
                    if s["chrM"].fetch("chrM", b, e).encode() != ex.chrm[b - 1:e]:
                        st["errors"].append(f"python chrM:{b}-{e} differs")
                    if "lam" in s.assemblies:
                        b = rng.randint(1, len(ex.lam[0]) - 40)
                        e = min(len(ex.lam[0]), b + 40 + rng.randint(0, 4000))
                        got = s["lam"].fetch("lam", b, e).encode()
                        which([v[b - 1:e] for v in ex.lam], got, f"python lam:{b}-{e}")
                    st["ops"] += 1
                    gone = deleted_segments(os.getpid())
                    if gone:
                        st["errors"].append(f"python reader maps removed segments {gone}")
        except Fail as e:
            st["errors"].append(str(e))
        except Exception:  # noqa: BLE001
            st["errors"].append(traceback.format_exc())
    st["generations"] = len(st["generations"])
    q.put(("python", st))


# ---- the writer, the watcher and the run ----

def gdb_ok(*args):
    r = U.gdb(*args)
    if r.rc != 0:
        raise Fail(f"genomedb {' '.join(args)}: exit {r.rc}: {r.err.strip()[-400:]}")
    return r


def write_step(ex, store, rng, state):
    """One commit: replace, drop or re-add the assembly or the network;
    every few steps gc."""
    what = rng.random()
    if what < 0.45:
        if state["lam"] is not None and rng.random() < 0.1:
            gdb_ok("drop", store, "lam")
            state["lam"] = None
        else:
            k = rng.randrange(NVERSIONS)
            gdb_ok("import", "fasta", store, "--assembly", "lam", ex.lam_fasta(k), "--replace", "--quiet")
            state["lam"] = k
    elif what < 0.8:
        if state["net"] is not None and rng.random() < 0.1:
            gdb_ok("drop", store, "net", "--object")
            state["net"] = None
        else:
            k = rng.randrange(NVERSIONS)
            gdb_ok("import", "graph", store, "--network", "net", ex.net_sif(k), "--format", "sif",
                   "--replace")
            state["net"] = k
    else:
        gdb_ok("gc", store)
        state["gcs"] += 1
        return
    state["commits"] += 1


def daemon_check(m, errors):
    if not m.alive():
        errors.append(f"{m.path}: daemon down:\n{m.log_text()[-2000:]}")
        return None
    try:
        s = json.loads(U.read_file(m.p(".gdb", "stats.json")))
    except (OSError, ValueError) as e:
        errors.append(f"{m.path}: .gdb/stats.json: {e}")
        return None
    gone = deleted_segments(m.proc.pid)
    if gone:
        errors.append(f"{m.path}: the daemon maps removed segments {gone}")
    if not U.SANITIZED:
        with open(f"/proc/{m.proc.pid}/status") as f:
            rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) << 10
        if rss > CACHE + RSS_ALLOWANCE:
            errors.append(f"{m.path}: daemon RSS {rss >> 20} MiB past {(CACHE + RSS_ALLOWANCE) >> 20}")
    return s


def setup(ex, store):
    gdb_ok("init", store)
    gdb_ok("import", "fasta", store, "--assembly", "chrM", os.path.join(U.DATA, "human_hg38_chrM.fa"),
           "--quiet")
    gdb_ok("import", "fasta", store, "--assembly", "lam", ex.lam_fasta(0), "--quiet")
    gdb_ok("import", "graph", store, "--network", "net", ex.net_sif(0), "--format", "sif")


def run(seconds, nreaders, workdir, seed):
    ex = Expected(workdir)
    store = os.path.join(workdir, "st")
    setup(ex, store)
    rng = random.Random(seed)
    state = {"lam": 0, "net": 0, "commits": 0, "gcs": 0}
    errors, gens_served = [], set()
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    with U.mounted(store, workdir, ("--cache", str(CACHE)), "mnt1") as m1, \
            U.mounted(store, workdir, ("--cache", str(CACHE)), "mnt2") as m2:
        t0 = time.monotonic()
        deadline = t0 + seconds
        procs = [ctx.Process(target=reader, args=(i, ex, [m1.path, m2.path], deadline, seed, q))
                 for i in range(nreaders)]
        procs.append(ctx.Process(target=py_reader, args=(ex, store, deadline, seed, q)))
        for p in procs:
            p.start()
        for m in (m1, m2):
            s = daemon_check(m, errors)
            if s:
                gens_served.add(s["generation"])
        try:
            # at least 3 commits, however slow the machine
            while (time.monotonic() < deadline or state["commits"] < 3) and not errors:
                write_step(ex, store, rng, state)
                if rng.random() < 0.3:
                    gdb_ok("ctl", rng.choice((m1, m2)).path, "refresh")
                for m in (m1, m2):
                    s = daemon_check(m, errors)
                    if s:
                        gens_served.add(s["generation"])
                time.sleep(rng.random() * 0.2)
        except Fail as e:
            errors.append(str(e))
        results = {}
        # a reader stuck past the deadline is a deadlock
        for _ in procs:
            try:
                name, st = q.get(timeout=120)
            except Exception:  # noqa: BLE001 - queue.Empty
                errors.append("a reader did not finish within 120 s of the deadline (deadlock?)")
                break
            results[name] = st
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.kill()
                errors.append(f"{p.name} still running")
            elif p.exitcode != 0:
                errors.append(f"{p.name} exited {p.exitcode}")
        gdb_ok("gc", store)
        for m in (m1, m2):
            gdb_ok("ctl", m.path, "refresh")
            s = daemon_check(m, errors)
            if s:
                gens_served.add(s["generation"])
        elapsed = time.monotonic() - t0
    for name, st in sorted(results.items()):
        errors += [f"{name}: {e}" for e in st["errors"]]
    r = U.gdb("verify", store)
    if r.rc != 0:
        errors.append(f"verify exit {r.rc}: {r.out[-1000:]}{r.err[-1000:]}")
    summary = {
        "seconds": round(elapsed, 1),
        "readers": nreaders,
        "operations": sum(st["ops"] for st in results.values()),
        "enoent_dropped": sum(st["enoent"] for st in results.values()),
        "commits": state["commits"],
        "gc_runs": state["gcs"] + 1,
        "generations_served": len(gens_served),
        "python_snapshots": results.get("python", {}).get("snapshots", 0),
        "versions_seen": sorted({f"{kind}:{v}" for n, st in results.items() if n != "python"
                                 for kind, vs in st["versions"].items() for v in vs}),
        "errors": len(errors),
    }
    return summary, errors


def cli(doc, run_fn, extra):
    """The command line of this script and of pathfuzz.py: --seconds,
    --seed, --workdir and one more integer option extra = (name, default);
    run_fn(seconds, that option, workdir, seed) -> (summary, errors)."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("STRESS_SECONDS", 600)))
    ap.add_argument(f"--{extra[0]}", type=int, default=extra[1])
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--workdir")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=a.workdir) as wd:
        summary, errors = run_fn(a.seconds, getattr(a, extra[0]), wd, a.seed)
    print(json.dumps(summary, indent=1))
    for e in errors[:30]:
        print("ERROR:", e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(cli(__doc__, run, ("readers", 8)))
