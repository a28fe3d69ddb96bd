#!/usr/bin/python3
"""A corpus of /graph answers: many paths over a store (every query, every
format, filters, limits that truncate, one-network views), so that a change
meant to be invisible (a faster query or renderer) can be checked to give
the same bytes.

    tests/graph_answers.py [--build B] --base BUILD_A STORE [--nodes N]
    tests/graph_answers.py [--build B] --record FILE | --expect FILE STORE

compares the answers of two builds (each one's tests/test_graph `query`, the
/graph provider without a mount), or of one build with digests recorded
earlier, and names every path whose bytes or result differ; exit 1 if any. tests/test_graph_answers.py uses the same corpus on
a store built from tests/data with recorded digests.
"""
import argparse
import hashlib
import os
import subprocess
import sys

NODE_FILES = [
    "info.json", "pathways.tsv", "pathways.json",
    "neighbors.json", "neighbors.tsv", "neighbors.cyjs", "neighbors.graphml",
    "neighbors.dot", "neighbors.sif",
    "neighbors@min-conf=0.5,dir=out.json", "neighbors@dir=in,limit=3.tsv",
    "khop-0.json", "khop-1.json", "khop-1.tsv", "khop-1.sif",
    "khop-2.json", "khop-2.tsv", "khop-2.cyjs", "khop-2.graphml", "khop-2.dot",
    "khop-2.sif",
    "khop-2@min-conf=0.7.json", "khop-2@min-conf=0.7.tsv",
    "khop-2@min-conf=0.7,limit=all,edge-limit=1.json",
    "khop-2@limit=all,edge-limit=all.json",
    "khop-2@limit=5,edge-limit=7.json", "khop-2@limit=5,edge-limit=7.cyjs",
    "khop-2@limit=5,edge-limit=7.graphml",
    "khop-2@dir=in.json", "khop-2@dir=out,min-conf=0.3.json",
    "khop-2@type=activation+binding+pp+association.json",
    "khop-3@min-conf=0.4,edge-limit=50.json", "khop-3@min-conf=0.9,limit=40.tsv",
    "upstream-2.json", "upstream-2.tsv", "downstream-2.json",
    "downstream-3@min-conf=0.3.json", "downstream-3@min-conf=0.3.sif",
    "downstream-2@limit=4,edge-limit=3.dot",
]
NET_NODE_FILES = ["neighbors.json", "khop-2.json", "khop-2@min-conf=0.5.tsv",
                  "downstream-2.graphml"]
PATHWAY_FILES = [".json", ".tsv", ".cyjs", ".graphml", ".dot", ".sif",
                 "@min-conf=0.5,edge-limit=3.json", "@limit=4.cyjs",
                 "/members.tsv", "/members.json"]
TOP_FILES = ["networks.json", "components.json", "components.tsv",
             "components@limit=all.tsv", "components@min-conf=0.6,limit=5.json",
             "degree.json", "degree.tsv", "degree@dir=out,limit=20.json",
             "degree@min-conf=0.5,limit=all.tsv", "degree@type=pp.json"]
PAIR_FILES = [".json", ".tsv", "/shortest.cyjs", "/paths.json", "/paths@max-len=3.tsv",
              "/k-shortest.json", "/k-shortest@k=3,dir=both.tsv", "@dir=both,min-conf=0.4.json"]


def esc(name):
    """A name as a /graph path component (docs/GRAPH.md "Paths")."""
    out = []
    for ch in name:
        out.append(f"%{ord(ch):02X}" if ch in "%/@," else ch)
    return "".join(out)


class Query:
    """One build's `test_graph query STORE` process."""

    def __init__(self, build, store):
        exe = os.path.join(build, "tests", "test_graph")
        self.p = subprocess.Popen([exe, "query", store], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def __call__(self, path):
        """(rc, bytes): rc 0 file, 1 directory, a negative errno."""
        self.p.stdin.write(path.encode() + b"\n")
        self.p.stdin.flush()
        head = self.p.stdout.readline().split()
        if len(head) != 2:
            raise RuntimeError(f"test_graph query died on {path!r}: "
                               + self.p.stderr.read().decode("utf-8", "replace")[-3000:])
        n = int(head[1])
        return int(head[0]), self.p.stdout.read(n) if n else b""

    def close(self):
        """Its stderr (sanitizer reports, if any)."""
        self.p.stdin.close()
        err = self.p.stderr.read().decode("utf-8", "replace")
        self.p.wait(timeout=120)
        return err


def list_dir(build, store, path):
    exe = os.path.join(build, "tests", "test_graph")
    r = subprocess.run([exe, "list", store, path], capture_output=True, text=True, check=True)
    return [x.rstrip("/") for x in r.stdout.splitlines()]


def spread(items, n):
    """n items spread evenly over a sorted list (all if n >= len)."""
    items = sorted(items)
    if n >= len(items):
        return items
    return [items[i * len(items) // n] for i in range(n)]


def corpus(q, build, store, nodes=120, pathways=12, pairs=12, transcendental=True):
    """The paths to ask a store, from its own listings (q: a Query), as
    (template, path) pairs: the template names the file with <node>, <net>,
    <pw> in place of the names, so answers can be grouped by kind.
    transcendental=False leaves out path costs and p-values (results of
    log, lgamma, exp: their last digit may differ between C libraries)."""
    import json
    nets = [n["name"] for n in json.loads(q("networks.json")[1])["networks"]]
    rc, tsv = q("degree@limit=all.tsv")
    rows = [line.split("\t") for line in tsv.decode().splitlines()[1:]]
    linked = [r[0] for r in rows if r[1] != "0"]
    # the busiest nodes (hubs, where limits bite), a spread of the others
    # with edges, and a few without
    picked = list(dict.fromkeys(linked[:nodes // 4] + spread(linked, nodes - nodes // 3)
                                + spread([r[0] for r in rows], nodes // 12)))
    pws = spread(list_dir(build, store, "pathways"), pathways)
    out = [(f, f) for f in TOP_FILES]
    for net in nets:
        out += [(f"@<net>/{f}", f"@{esc(net)}/{f}") for f in TOP_FILES[:4]]
    for n in picked:
        out += [(f"<node>/{f}", f"{esc(n)}/{f}") for f in NODE_FILES]
    for i, n in enumerate(picked[:nodes // 3]):
        # a network that has the node, or (none has it) -ENOENT answers
        mine = list(json.loads(q(f"{esc(n)}/info.json")[1])["networks"]) or nets
        net = mine[i % len(mine)]
        out += [(f"@<net>/<node>/{f}", f"@{esc(net)}/{esc(n)}/{f}") for f in NET_NODE_FILES]
    for p in pws:
        out += [(f"pathways/<pw>{f}", f"pathways/{esc(p)}{f}") for f in PATHWAY_FILES]
    for a, b in zip(pws, pws[1:] + pws[:1]):
        for f in (".json", ".tsv", "@min-conf=0.5,limit=3.graphml"):
            out.append((f"crosstalk/<pw>/<pw>{f}", f"crosstalk/{esc(a)}/{esc(b)}{f}"))
    if transcendental:
        for i in range(pairs):
            a, b = picked[i % len(picked)], picked[(i * 7 + 3) % len(picked)]
            out += [(f"path/<node>/<node>{f}", f"path/{esc(a)}/{esc(b)}{f}") for f in PAIR_FILES]
        for i in range(4):
            genes = ",".join(esc(n) for n in picked[i::5][:15])
            out += [("enrich/<nodes>.tsv", f"enrich/{genes}.tsv"),
                    ("enrich/<nodes>@limit=5.json", f"enrich/{genes}@limit=5.json")]
    return out


def digest(rc, data):
    return hashlib.sha256(b"%d\n" % rc + data).hexdigest()


def read_digests(path):
    with open(path) as f:
        return dict(line.rstrip("\n").split("  ", 1)[::-1] for line in f if line.strip())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.environ.get("GENOMEDB_BUILD", "build"))
    how = ap.add_mutually_exclusive_group(required=True)
    how.add_argument("--base", help="build directory giving the expected answers")
    how.add_argument("--record", metavar="FILE", help="write each answer's digest")
    how.add_argument("--expect", metavar="FILE", help="compare with digests --record wrote")
    ap.add_argument("--nodes", type=int, default=120)
    ap.add_argument("store")
    a = ap.parse_args()
    qb = Query(a.build, a.store)
    qa = Query(a.base, a.store) if a.base else None
    paths = [p for t, p in corpus(qb, a.build, a.store, nodes=a.nodes)]
    want = read_digests(a.expect) if a.expect else {}
    bad = 0
    rec = open(a.record, "w") if a.record else None
    for p in paths:
        rb = qb(p)
        if rec:
            rec.write(f"{digest(*rb)}  {p}\n")
            continue
        same = qa(p) == rb if qa else want.get(p) == digest(*rb)
        if not same:
            bad += 1
            if bad <= 20:
                print(f"DIFFERS: {p} (now rc {rb[0]}, {len(rb[1])} bytes)")
    if rec:
        rec.close()
    for q in (qa, qb):
        err = q.close() if q else ""
        if err.strip():
            print(err[-2000:], file=sys.stderr)
    if a.expect and set(want) != set(paths):
        print("the corpus is not the one recorded")
        bad += 1
    print(f"{len(paths)} paths, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
