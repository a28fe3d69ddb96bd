#!/usr/bin/python3
"""A path fuzzer against a live mount (issue 15, "Hostile input").

    tests/pathfuzz.py [--seconds S | --count N] [--seed N] [--workdir DIR]

Mounts a store (chrM, lambda, the galFiltered network) and throws paths at
it through open/read, stat, listdir, getxattr and listxattr: valid names
(regions with leading zeros and huge ends, GC windows, graph neighbours
with parameters), those names mutated (bytes inserted, deleted, replaced;
`@` parameters out of range, repeated, unknown, empty; huge numbers; `..`
inside the mount; components past 255 bytes; `%` escapes, odd bytes) and
random NUL-free garbage. Checked:

  - each of TABLE's paths gives exactly its errno (PATHS.md's rules);
  - every other error is one of ALLOWED, never EIO (the store is intact)
    and never ENOTCONN (a dead daemon);
  - every valid name reads the same bytes as a direct read of the store
    through the Python package (in process, no mount);
  - the daemon stays up, answers .gdb/stats.json, and its RSS stays within
    the cache budget plus a fixed allowance.

Prints a JSON summary (operations per call, errno counts) and exits 1 on a
failure. tests/test_pathfuzz.py runs a short version under `make test`,
`make stress` a long one.
"""
import errno
import os
import random
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))
import gdbutil as U  # noqa: E402
import stress  # noqa: E402

CACHE = 64 << 20
ALLOWED = {errno.ENOENT, errno.EINVAL, errno.ERANGE, errno.EFBIG, errno.ENAMETOOLONG,
           errno.ENOTDIR, errno.EISDIR, errno.ENODATA, errno.EOPNOTSUPP, errno.E2BIG,
           errno.EACCES, errno.EPERM}
XATTRS = ("user.gdb.md5", "user.gdb.cache.policy", "user.gdb.generation", "user.x",
          "user." + "z" * 300, "security.selinux", "trusted.gdb")
GENES = ("YGL097W", "YKR026C", "YLR249W", "YPR080W", "YBR118W", "YOR204W")

# path (relative to the mount) -> the errno open() must give (PATHS.md)
TABLE = {
    "chrM/chrM/0-10.seq": errno.ENOENT,
    "chrM/chrM/10-5.seq": errno.ENOENT,
    "chrM/chrM/16570-16580.seq": errno.ENOENT,
    "chrM/chrM/-1-10.seq": errno.ENOENT,
    "chrM/chrM/1-5.xyz": errno.ENOENT,
    "chrM/chrM/1,000-2,000.seq": errno.ENOENT,
    "nope/nope.fa": errno.ENOENT,
    "chrM/chrM/1-5.seq/x": errno.ENOTDIR,
    "compute/kmers": errno.EISDIR,
    "compute/gc/lam/lam/1-1000@w=0.tsv": errno.EINVAL,
    "compute/gc/lam/lam/1-1000@w=1048577.tsv": errno.EINVAL,
    "compute/gc/lam/lam/1-1000@w=-5.tsv": errno.EINVAL,
    "compute/gc/lam/lam/1-1000@w=99999999999999999999999.tsv": errno.EINVAL,
    "compute/gc/lam/lam/1-1000@w=1k.tsv": errno.EINVAL,
    "compute/gc/lam/lam/1-1000@w=1e3.tsv": errno.EINVAL,
    "compute/gc/lam/lam/1-1000@w=+5.tsv": errno.EINVAL,
    "compute/gc/lam/lam/1-1000@w=10,w=20.tsv": errno.EINVAL,
    "compute/gc/lam/lam/1-1000@windw=10.tsv": errno.EINVAL,
    "compute/gc/lam/lam/1-1000@w=10,,step=5.tsv": errno.EINVAL,
    "compute/gc/lam/lam/1-1000@.tsv": errno.EINVAL,
    "compute/gc/lam/lam/1-1000@step=0.tsv": errno.EINVAL,
    "graph/@net/YGL097W/neighbors@min-conf=2.tsv": errno.EINVAL,
    "graph/@net/YGL097W/neighbors@min-conf=-0.1.tsv": errno.EINVAL,
    "graph/@net/YGL097W/neighbors@min-conf=nan.tsv": errno.EINVAL,
    "graph/@net/YGL097W/neighbors@dir=sideways.tsv": errno.EINVAL,
    "graph/@net/YGL097W/neighbors@limit=-1.tsv": errno.EINVAL,
    "graph/@net/YGL097W/khop-3@limit=0.json": errno.EINVAL,
    "graph/@net/YGL097W/neighbors@bogus=1.tsv": errno.EINVAL,
    "graph/@net/NOPE/neighbors.tsv": errno.ENOENT,
    "graph/@nonet/YGL097W/neighbors.tsv": errno.ENOENT,
}
# the same numbers as the contract's: huge ends clamp, leading zeros kept
TABLE_OK = ("chrM/chrM/1-99999999999999999999999.seq", "chrM/chrM/0001-0010.fa",
            "compute/gc/lam/lam/1-99999999999999999999@w=5000.tsv")


class Direct:
    """Answers read from the store without the mount (the Python package)."""

    def __init__(self, store):
        import genomedb
        self.s = genomedb.open(store)
        self.contigs = {a: self.s[a].contigs for a in ("chrM", "lam")}

    def region(self, asm, contig, s_txt, e_txt, ext):
        s = int(s_txt)
        e = min(int(e_txt), self.contigs[asm][contig])
        seq = self.s[asm].fetch(contig, s, e).encode()
        if ext == "seq":
            return seq
        if ext == "u8":
            return self.s[asm].array(contig, s, e).tobytes()
        if ext == "fa":
            return f">{contig}:{s_txt}-{e_txt}\n".encode() + U.wrap(seq)
        return f">{contig}:{s_txt}-{e_txt}/rc\n".encode() + U.wrap(U.revcomp(seq))

    def gc(self, contig_seq, beg, end, w):
        rows = stress.gc_rows(contig_seq, beg, min(end, len(contig_seq)), w)
        return rows

    def neighbors(self, gene, params):
        from genomedb import _lib
        g = self.s.graph("net")
        return _lib.call_buffer(_lib.lib.gdb_api_graph, self.s.handle(), b"net", g.NEIGHBORS,
                                gene.encode(), None, 0, params.encode() if params else None,
                                g.TSV)


# ---- generators: (relative path, check) where check(bytes) -> error text or None ----

def num(rng, lo, hi):
    v = rng.randint(lo, hi)
    return "0" * rng.choice((0, 0, 0, 1, 3)) + str(v)


def gen_region(rng, d):
    asm = rng.choice(("chrM", "lam"))
    n = d.contigs[asm][asm]
    s = rng.randint(1, n)
    e_int = rng.choice((s, s + rng.randint(0, 5000), n, 10 ** rng.randint(6, 30)))
    s_txt, e_txt = num(rng, s, s), str(e_int) if e_int > n else num(rng, e_int, e_int)
    ext = rng.choice(("seq", "fa", "u8", "rc.fa"))
    path = f"{asm}/{asm}/{s_txt}-{e_txt}.{ext}"
    return path, lambda got: None if got == d.region(asm, asm, s_txt, e_txt, ext) else "differs"


def gen_gc(rng, d, lam_seq):
    beg = rng.randint(1, len(lam_seq))
    end = beg + rng.randint(0, 20000)
    w = rng.choice((1, 7, 100, 500, 1000, 4096))
    path = f"compute/gc/lam/lam/{beg}-{end}@w={w}.tsv"

    def check(got):
        want = d.gc(lam_seq, beg, end, w)
        rows = [ln.split("\t") for ln in got.decode().splitlines()[1:]]
        if len(rows) != len(want):
            return f"{len(rows)} rows, {len(want)} expected"
        for r, (s, e, g) in zip(rows, want):
            if (int(r[1]), int(r[2])) != (s, e) or abs(float(r[3]) - g) > 1e-6:
                return f"row {r} != {(s, e, g)}"
        return None
    return path, check


def gen_graph(rng, d):
    gene = rng.choice(GENES)
    items = []
    if rng.random() < 0.5:
        items.append(f"min-conf={rng.choice(('0', '0.5', '1', '.25', '1e-3'))}")
    if rng.random() < 0.5:
        items.append(f"dir={rng.choice(('in', 'out', 'both'))}")
    if rng.random() < 0.5:
        items.append(f"limit={rng.choice(('1', '3', '50', 'all'))}")
    params = ",".join(items)
    path = f"graph/@net/{gene}/neighbors{'@' + params if params else ''}.tsv"
    return path, lambda got: None if got == d.neighbors(gene, params) else "differs"


ODD = ["..", ".", "", "%", "%zz", "%2F", "%00", "@", "@@", ",", "=", "-", " ", "\t", "\n",
       "\xff", "é", "\x01", "*", "?", "~", "\\", "'", "\"", "9" * 40, "-0", "0-0", "a" * 300]
PARAMS = ["w=0", "w=-1", "w=1048577", "w=" + "9" * 30, "w=", "=5", "w", "w=1,w=1", "step=0",
          "min-conf=2", "min-conf=1e999", "min-conf=-0", "limit=0", "limit=" + "9" * 25,
          "dir=", "type=", "type=" + "+" * 50, "net=nope", "k=3", ",", "w=%31%30", "w=10%2C5"]


def mutate(rng, path):
    """One to three edits of a valid path; '..' only where it stays in the
    mount (the kernel resolves it before the daemon sees the name)."""
    for _ in range(rng.randint(1, 3)):
        parts = path.split("/")
        r = rng.random()
        i = rng.randrange(len(parts))
        if r < 0.2 and path:
            j = rng.randrange(len(path))
            path = path[:j] + rng.choice(ODD[5:27]) + path[j + 1:]
        elif r < 0.35 and path:
            j = rng.randrange(len(path))
            path = path[:j] + path[j + 1:]
        elif r < 0.55:
            stem, dot, ext = parts[-1].rpartition(".")
            extra = rng.choice(PARAMS)
            if "@" in stem:
                stem = stem + "," + extra
            else:
                stem = (stem or ext) + "@" + extra
            parts[-1] = stem + dot + ext if dot else stem
            path = "/".join(parts)
        elif r < 0.7:
            parts[i] = rng.choice(ODD)
            if parts[0] in ("..", ""):
                parts[0] = "chrM"
            path = "/".join(parts)
        elif r < 0.8 and len(parts) > 1:
            j = rng.randrange(1, len(parts))
            parts.insert(j, "..")
            parts.insert(j, rng.choice(("chrM", "compute", "graph", "lam")))
            path = "/".join(parts)
        else:
            path = re.sub(r"\d+", lambda m: str(10 ** rng.randint(0, 40) - rng.randint(0, 1)), path, count=1)
    return path.replace("\0", "") or "."


def garbage(rng):
    n = rng.randint(1, 6)
    comps = []
    for _ in range(n):
        ln = rng.choice((1, 2, 8, 30, 255, 256, 400))
        comps.append("".join(chr(rng.choice((rng.randint(1, 46), rng.randint(48, 255)))) for _ in range(ln)))
    return "/".join(c if c not in (".", "..") else "x" for c in comps)


def inside(mnt, rel):
    """rel with '..' never climbing above the mount."""
    depth = 0
    for c in rel.split("/"):
        depth += -1 if c == ".." else (0 if c in ("", ".") else 1)
        if depth < 0:
            return False
    return True


# ---- the run ----

def call(fn, counts, name):
    counts["calls"][name] = counts["calls"].get(name, 0) + 1
    try:
        return fn(), None
    except OSError as e:
        code = errno.errorcode.get(e.errno, str(e.errno))
        counts["errno"][code] = counts["errno"].get(code, 0) + 1
        return None, e.errno
    except ValueError:  # a name Python refuses (embedded NUL): none made
        return None, None


def probe(m, rel, counts, rng):
    """Every call on one path; the errors it got (errno set)."""
    p = os.path.join(m.path, rel)
    got = set()
    attr = rng.choice(XATTRS)
    for name, fn in (("stat", lambda: os.stat(p)),
                     ("open_read", lambda: U.read_file(p)),
                     ("listdir", lambda: os.listdir(p)),
                     ("getxattr", lambda: os.getxattr(p, attr)),
                     ("listxattr", lambda: os.listxattr(p))):
        _, e = call(fn, counts, name)
        if e is not None:
            got.add(e)
    return got


def run(seconds, count, workdir, seed):
    import genomedb  # noqa: F401 - fail early without the package
    rng = random.Random(seed)
    store = os.path.join(workdir, "st")
    lam = os.path.join(workdir, "lam.fa")
    lam_seq = stress.lambda_seq()
    with open(lam, "wb") as f:
        f.write(b">lam\n" + U.wrap(lam_seq))
    stress.gdb_ok("init", store)
    stress.gdb_ok("import", "fasta", store, "--assembly", "chrM",
                  os.path.join(U.DATA, "human_hg38_chrM.fa"), "--quiet")
    stress.gdb_ok("import", "fasta", store, "--assembly", "lam", lam, "--quiet")
    stress.gdb_ok("import", "graph", store, "--network", "net",
                  os.path.join(U.DATA, "graph", "galFiltered.sif"), "--format", "sif")
    d = Direct(store)
    errors = []
    counts = {"calls": {}, "errno": {}, "paths": 0, "valid_checked": 0}
    with U.mounted(store, workdir, ("--cache", str(CACHE))) as m:
        for rel, want in TABLE.items():
            _, e = call(lambda: U.read_file(m.p(rel)), counts, "open_read")
            if e != want:
                errors.append(f"{rel}: {errno.errorcode.get(e, e)}, expected {errno.errorcode[want]}")
        for rel in TABLE_OK:
            _, e = call(lambda: U.read_file(m.p(rel)), counts, "open_read")
            if e is not None:
                errors.append(f"{rel}: {errno.errorcode.get(e, e)}, expected success")
        t0 = time.monotonic()
        i = 0
        while (count and i < count) or (not count and time.monotonic() - t0 < seconds):
            i += 1
            kind = rng.random()
            gen = rng.choice((lambda: gen_region(rng, d), lambda: gen_gc(rng, d, lam_seq),
                              lambda: gen_graph(rng, d)))
            if kind < 0.3:
                rel, check = gen()
                got, e = call(lambda: U.read_file(m.p(rel)), counts, "open_read")
                counts["valid_checked"] += 1
                why = f"{errno.errorcode.get(e, e)}" if e is not None else check(got)
                if why:
                    errors.append(f"valid {rel}: {why}")
                counts["paths"] += 1
                continue
            rel = mutate(rng, gen()[0]) if kind < 0.85 else garbage(rng)
            if not inside(m.path, rel):
                continue
            counts["paths"] += 1
            bad = probe(m, rel, counts, rng) - ALLOWED
            if bad:
                errors.append(f"{rel!r}: {[errno.errorcode.get(x, x) for x in bad]}")
            if i % 500 == 0 and stress.daemon_check(m, errors) is None:
                break
            if len(errors) > 20:
                break
        stress.daemon_check(m, errors)
        elapsed = time.monotonic() - t0
        log = m.log_text()
    d.s.close()
    r = U.gdb("verify", store)
    if r.rc != 0:
        errors.append(f"verify exit {r.rc}")
    summary = {"seconds": round(elapsed, 1), "paths": counts["paths"],
               "valid_checked": counts["valid_checked"], "table": len(TABLE) + len(TABLE_OK),
               "calls": counts["calls"], "errno": dict(sorted(counts["errno"].items())),
               "daemon_log_lines": log.count("\n"), "errors": len(errors)}
    return summary, errors


if __name__ == "__main__":
    sys.exit(stress.cli(__doc__, run, ("count", 0)))
