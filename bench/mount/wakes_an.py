"""Analyses of the traces bench/mount/wakes.py keeps (KEEP=DIR).
  wakes_an.py spells TRACE JSON   together spells of one daemon's pair: what
                                  starts and ends them (migrations by whom)
  wakes_an.py pulls TRACE NAME..  (an interleaved trace all-R.trace and the
                                  names of its targets) reader wake-ups whose
                                  previous CPU is idle: how often the reader
                                  is pulled onto the waker's CPU, by waker
                                  and by how long that CPU had been idle
  wakes_an.py follow TRACE JSON   the serving thread's wake-ups after a move
                                  (follow's sched_setaffinity = migration/N)
Diagnosis only (docs/BENCHMARKS.md, 2026-12-07 08:05-08:15, helper place)."""
import re, sys, json, collections
LINE = re.compile(r"^\s*(.+?)-(\d+)\s+\[(\d+)\].*?\s(\d+\.\d+):\s+(\w+):\s+(.*)$")


def events(tr):
    for l in open(tr):
        m = LINE.match(l)
        if m:
            comm, pid, cpu, ts, ev, rest = m.groups()
            yield comm, int(pid), int(cpu), float(ts), ev, rest


def num(rest, key):
    return int(re.search(r"(?:^|\s)" + key + r"=(\d+)", rest).group(1))


def meta(js):
    m = json.load(open(js))
    dt = {int(k): v for k, v in m["dtids"].items()}
    return m["me"], dt, [t for t, v in dt.items() if v in ("genomedb", "floor")]


def spells(tr, js):
    me, dt, serv = meta(js)
    since, seq, pend = [], [], {}
    for comm, pid, cpu, ts, ev, rest in events(tr):
        if ev == "sched_migrate_task":
            t = num(rest, "pid")
            if t in serv or t == me:
                by = ("follow" if comm.startswith("migration") else "reader" if pid == me
                      else "daemon" if pid in dt else "idle" if pid == 0 else comm[:10])
                since.append(("D" if t in serv else "R") + "<-" + by)
        elif ev == "sched_waking" and pid == me and num(rest, "pid") in serv:
            pend[num(rest, "pid")] = cpu
        elif ev == "sched_wakeup" and num(rest, "pid") in pend:
            seq.append((pend.pop(num(rest, "pid")) == num(rest, "target_cpu"), tuple(since)))
            since = []
    out, cur, n = [], None, 0
    starts, ends = collections.Counter(), collections.Counter()
    for tog, evs in seq:
        if tog != cur:
            if cur is not None:
                out.append((cur, n))
                (ends if cur else starts)[" ".join(evs) or "-"] += 1
            cur, n = tog, 0
        n += 1
    out.append((cur, n))
    tg = sorted(n for t, n in out if t)
    print(f"requests {len(seq)}, on the reader's CPU {sum(tg)} ({100 * sum(tg) / max(len(seq), 1):.1f}%);"
          f" together spells {len(tg)}, longest {tg[-8:]}")
    print("  started after:", dict(starts.most_common(6)))
    print("  ended after:", dict(ends.most_common(6)))


def pulls(tr, names):
    me, serv = None, {}
    for k in names:
        me, dt, s = meta(tr.replace(".trace", f"-{k}.json"))
        serv.update({t: k for t in dt})
    curr, idle_since, rcpu, pend = {}, {}, None, None
    c = collections.defaultdict(lambda: [0, 0])
    for comm, pid, cpu, ts, ev, rest in events(tr):
        if ev == "sched_switch":
            nx, pv = num(rest, "next_pid"), num(rest, "prev_pid")
            curr[cpu] = nx
            if nx == 0:
                idle_since[cpu] = ts
            if pv == me:
                rcpu = cpu
        elif ev == "sched_waking" and pid in serv and num(rest, "pid") == me:
            pend = None
            if rcpu is not None and rcpu != cpu and curr.get(rcpu) == 0:
                pend = (serv[pid], (ts - idle_since[rcpu]) * 1e6, cpu)
        elif ev == "sched_wakeup" and pend and num(rest, "pid") == me:
            k, age, wc = pend
            key = (f"{k}@cpu{wc}", "<10" if age < 10 else "10-40" if age < 40 else ">=40")
            c[key][0] += 1
            c[key][1] += num(rest, "target_cpu") == wc
            pend = None
    for key in sorted(c):
        print(f"  {key[0]:12s} reader's CPU idle {key[1]:>5s} µs: pulled {c[key][1]} of {c[key][0]}")


def follow(tr, js):
    me, dt, serv = meta(js)
    moved, pend, c = {}, {}, collections.Counter()
    for comm, pid, cpu, ts, ev, rest in events(tr):
        if ev == "sched_migrate_task" and num(rest, "pid") in serv and comm.startswith("migration"):
            moved[num(rest, "pid")] = num(rest, "dest_cpu")
        elif ev == "sched_waking" and pid == me and num(rest, "pid") in serv:
            pend[num(rest, "pid")] = cpu
        elif ev == "sched_wakeup" and num(rest, "pid") in pend:
            t = num(rest, "pid")
            wc = pend.pop(t)
            if t in moved:
                c["after a move: " + ("stays on the reader's CPU" if num(rest, "target_cpu") == wc else "back to the other CPU")] += 1
                del moved[t]
    print(" ", dict(c))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"spells": lambda: spells(*args), "pulls": lambda: pulls(args[0], args[1:]),
     "follow": lambda: follow(*args)}[cmd]()
