"""Where a FUSE pair's wake-ups land (diagnosis, not a benchmark).
Mounts one target at a time (nothing pinned), warms it with W new-name
1 kb reads, then traces N more in a tracefs instance of its own
(sched_waking/wakeup/switch/migrate, fuse_request_send) and reports, per
thread of the daemon and for the reader: wake-ups by (waker CPU == target
CPU), runs, CPU share, the FUSE opcodes per read, and the samples together.
usage: wakes.py NAME=KIND:BUILD[:arg,arg] ...   env N, W, ROUNDS, KEEP (dir),
  STORE (a store of assembly "g" whose FASTA index is STORE/../g.fa.fai, as
  regions.py makes; unset: one is made as regions.py does, BASES bases),
  TOGETHER=1 (all targets mounted at once, reads interleaved as in an idle
  A/B; one trace a round), EXTRA=system/event,... (more events, e.g.
  raw_syscalls/sys_enter), PLACE (the tracefs instance's name and the
  mountpoints' prefix /tmp/PLACE-NAME; default place). KIND is gdb or floor (BUILD/bench/floor).
"main-thread together" is what a plain idle loop samples: the
CPU of the daemon's main thread, which libfuse's multithreaded loop (the
floor, --loop libfuse) never serves from; the wake-up shares are the
measure. Analyses of kept traces: wakes_an.py. Run as root; the tracefs
instance is removed at the end. Diagnosis only, not part of make bench."""
import os, sys, time, subprocess, json, re, collections, shutil, tempfile
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cache"))
sys.path.insert(0, HERE)
import mountbench as mb
import numpy as np
import regions
N = int(os.environ.get("N", "1500")); W = int(os.environ.get("W", "200"))
ROUNDS = int(os.environ.get("ROUNDS", "1")); KEEP = os.environ.get("KEEP")
store, ctgs = None, None  # set at the start (STORE, or made)
PLACE = os.environ.get("PLACE", "place")  # the tracefs instance, mounts /tmp/PLACE-NAME
T = f"/sys/kernel/tracing/instances/{PLACE}"
EV = ["sched/sched_waking", "sched/sched_wakeup", "sched/sched_switch",
      "sched/sched_migrate_task", "fuse/fuse_request_send"] + [e for e in os.environ.get("EXTRA", "").split(",") if e]

def w(path, s):
    with open(path, "w") as f: f.write(s)

def start(spec, mnt):
    kind, rest = spec.split(":", 1)
    build, *a = rest.split(":")
    args = a[0].split(",") if a else []
    os.makedirs(mnt, exist_ok=True)
    if kind == "gdb":
        return mb.Mount(store, mnt, *args, binary=os.path.join(build, "genomedb"))
    p = subprocess.Popen([os.path.join(build, "bench", "floor"), mnt, *args])
    while not os.path.ismount(mnt): time.sleep(0.02)
    m = mb.Mount.__new__(mb.Mount); m.mnt = mnt; m.p = p
    return m

def cpu_of(path):
    with open(path) as f: return int(f.read().rsplit(")", 1)[1].split()[36])

def threads(pid):
    out = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        out[int(t)] = open(f"/proc/{pid}/task/{t}/comm").read().strip()
    return out

def schedstats(pid):
    out = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        d = {}
        for l in open(f"/proc/{pid}/task/{t}/sched"):
            m = re.match(r"(\S+)\s+:\s+(\S+)", l)
            if m and any(k in m.group(1) for k in ("nr_wakeups", "util_avg", "nr_migrations", "nr_switches", "sum_exec")):
                d[m.group(1)] = float(m.group(2))
        out[int(t)] = d
    return out

def reads(m, floor, n, rng, tog, lat, base):
    for i in range(n):
        c = rng.integers(len(ctgs)); name, L = ctgs[c]; s = int(rng.integers(0, L - 1000))
        p = f"{m.mnt}/r{base+i}" if floor else f"{m.mnt}/g/{name}/{s+1}-{s+1000}.seq"
        t0 = time.perf_counter_ns()
        with open(p, "rb") as f: f.read()
        lat.append((time.perf_counter_ns() - t0) / 1000)
        tog.append(cpu_of(f"/proc/{m.p.pid}/task/{m.p.pid}/stat") == cpu_of("/proc/thread-self/stat"))

LINE = re.compile(r"^\s*(.+?)-(\d+)\s+\[(\d+)\].*?\s(\d+\.\d+):\s+(\w+):\s+(.*)$")
def parse(text, dtids, me):
    """dtids: tid->comm of the daemon; me: reader tid."""
    who = lambda t: "reader" if t == me else dtids.get(t)
    wk = collections.Counter(); ops = collections.Counter(); mig = collections.Counter()
    waking_cpu = {}
    for l in text.splitlines():
        m = LINE.match(l)
        if not m: continue
        comm, pid, cpu, ts, ev, rest = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4), m.group(5), m.group(6)
        if ev == "sched_waking":
            t = int(re.search(r"pid=(\d+)", rest).group(1))
            if who(t): waking_cpu[t] = (cpu, who(pid) or ("irq/idle" if pid == 0 else "other"))
        elif ev == "sched_wakeup":
            t = int(re.search(r"pid=(\d+)", rest).group(1)); tc = int(re.search(r"target_cpu=(\d+)", rest).group(1))
            if who(t) and t in waking_cpu:
                wc, waker = waking_cpu.pop(t)
                wk[(who(t), waker, "same" if wc == tc else "other")] += 1
        elif ev == "sched_migrate_task":
            t = int(re.search(r" pid=(\d+)", rest).group(1))
            if who(t): mig[(who(t), who(pid) or ("idle" if pid == 0 else "other:" + comm))] += 1
        elif ev == "fuse_request_send":
            if pid == me:
                ops[re.search(r"\((\w+)\)", rest).group(1)] += 1
    return wk, ops, mig

def placed(wk):
    """Shares of the pair's wake-ups that land on the waker's CPU."""
    d = lambda who, same: sum(v for kk, v in wk.items() if (kk[0] == "reader") == (who == "reader")
                             and (kk[1] == "reader") == (who != "reader") and kk[1] not in ("irq/idle", "other")
                             and (same is None or kk[2] == same))
    return (f"daemon woken on reader's CPU {100*d('daemon','same')/max(d('daemon',None),1):.1f}%"
            f"  reader woken on daemon's CPU {100*d('reader','same')/max(d('reader',None),1):.1f}%")

def run(k, spec, r):
    mnt = f"/tmp/{PLACE}-{k}"
    m = start(spec, mnt)
    floor = spec.startswith("floor")
    rng = np.random.default_rng(77 + r)
    tog, lat = [], []
    try:
        reads(m, floor, W, rng, [], [], 10**6)
        s0 = schedstats(m.p.pid)
        w(f"{T}/trace", "")
        w(f"{T}/tracing_on", "1")
        reads(m, floor, N, rng, tog, lat, 0)
        w(f"{T}/tracing_on", "0")
        s1 = schedstats(m.p.pid)
        dt = threads(m.p.pid)
        txt = open(f"{T}/trace").read()
    finally:
        m.close()
    if KEEP:
        os.makedirs(KEEP, exist_ok=True)
        open(f"{KEEP}/{k}-{r}.trace", "w").write(txt)
        json.dump({"dtids": dt, "me": os.getpid()}, open(f"{KEEP}/{k}-{r}.json", "w"))
    wk, ops, mig = parse(txt, dt, os.getpid())
    a = np.array(lat)
    print(f"== {k} round {r}: median {np.median(a):.1f} p99 {np.percentile(a,99):.1f} main-thread together {100*np.mean(tog):.1f}%  {placed(wk)}")
    print("   ops/read:", {o: round(c / N, 2) for o, c in sorted(ops.items())})
    for key in sorted(wk): print(f"   wake {key[0]:>12s} by {key[1]:>12s} {key[2]:5s}: {wk[key]/N:6.3f}/read")
    for key in sorted(mig): print(f"   migrate {key[0]:>12s} by {key[1]:>12s}: {mig[key]}")
    for t in s1:
        d1, d0 = s1[t], s0.get(t, {})
        dd = {kk.split(".")[-1]: round(d1[kk] - d0.get(kk, 0), 1) for kk in d1 if "util" not in kk}
        print(f"   {dt.get(t,'?'):>12s} util_avg {d1.get('se.avg.util_avg')}", dd)
    rs = {}
    for l in open("/proc/thread-self/sched"):
        mm = re.match(r"(se.avg.util_avg)\s+:\s+(\S+)", l)
        if mm: rs[mm.group(1)] = mm.group(2)
    print("   reader", rs)

def run_all(tg, r):
    """All targets mounted at once, reads interleaved in a random order
    (as a plain idle A/B loop), one trace for the whole round."""
    live = {}; lat = {k: [] for k in tg}; tog = {k: [] for k in tg}
    try:
        for k, spec in tg.items():
            live[k] = start(spec, f"/tmp/{PLACE}-{k}")
        rng = np.random.default_rng(77 + r)
        def one(i, lat, tog):
            c = rng.integers(len(ctgs)); name, L = ctgs[c]; s = int(rng.integers(0, L - 1000))
            for k in rng.permutation(list(tg)):
                m = live[k]
                p = f"{m.mnt}/r{i}" if tg[k].startswith("floor") else f"{m.mnt}/g/{name}/{s+1}-{s+1000}.seq"
                t0 = time.perf_counter_ns()
                with open(p, "rb") as f: f.read()
                if lat is not None:
                    lat[k].append((time.perf_counter_ns() - t0) / 1000)
                    tog[k].append(cpu_of(f"/proc/{m.p.pid}/task/{m.p.pid}/stat") == cpu_of("/proc/thread-self/stat"))
        for i in range(W): one(10**6 + i, None, None)
        w(f"{T}/trace", ""); w(f"{T}/tracing_on", "1")
        for i in range(N): one(i, lat, tog)
        w(f"{T}/tracing_on", "0")
        dts = {k: threads(m.p.pid) for k, m in live.items()}
        txt = open(f"{T}/trace").read()
    finally:
        for m in live.values(): m.close()
    if KEEP:
        os.makedirs(KEEP, exist_ok=True)
        open(f"{KEEP}/all-{r}.trace", "w").write(txt)
        for k in tg:
            json.dump({"dtids": dts[k], "me": os.getpid()}, open(f"{KEEP}/all-{r}-{k}.json", "w"))
    for k in tg:
        wk, ops, mig = parse(txt, dts[k], os.getpid())
        a = np.array(lat[k])
        # the reader's wake-ups by this daemon only: waker names are per daemon
        rd_same = sum(v for kk, v in wk.items() if kk[0] == "reader" and kk[1] != "reader" and kk[1] not in ("irq/idle", "other") and kk[2] == "same")
        rd_all = sum(v for kk, v in wk.items() if kk[0] == "reader" and kk[1] not in ("irq/idle", "other", "reader"))
        dm_same = sum(v for kk, v in wk.items() if kk[0] != "reader" and kk[1] == "reader" and kk[2] == "same")
        dm_all = sum(v for kk, v in wk.items() if kk[0] != "reader" and kk[1] == "reader")
        print(f"== {k} r{r}: median {np.median(a):.1f} p99 {np.percentile(a,99):.1f} main-thread together {100*np.mean(tog[k]):.1f}%"
              f"  daemon woken on reader's CPU {100*dm_same/max(dm_all,1):.1f}% ({dm_all/N:.2f}/read)  reader woken on daemon's CPU {100*rd_same/max(rd_all,1):.1f}%")

work = None
if os.environ.get("STORE"):
    store = os.environ["STORE"]
    fai = os.path.join(os.path.dirname(os.path.abspath(store)), "g.fa.fai")
    ctgs = [(l.split("\t")[0], int(l.split("\t")[1])) for l in open(fai)]
else:
    work = tempfile.mkdtemp(prefix="gdb-wakes-")
    _, _, store, ctgs = regions.make_inputs(work, int(float(os.environ.get("BASES", "64e6"))))
os.makedirs(T, exist_ok=True)
try:
    w(f"{T}/buffer_size_kb", "16384")
    for e in EV: w(f"{T}/events/{e}/enable", "1")
    w(f"{T}/tracing_on", "0")
    tg = dict(a.split("=", 1) for a in sys.argv[1:])
    for r in range(ROUNDS):
        if os.environ.get("TOGETHER"):
            run_all(tg, r)
        else:
            for k, spec in tg.items():
                run(k, spec, r)
    print("load", open("/proc/loadavg").read().split()[:3])
finally:
    w(f"{T}/tracing_on", "0")
    for e in EV: w(f"{T}/events/{e}/enable", "0")
    w(f"{T}/trace", "")
    os.rmdir(T)
    if work:
        shutil.rmtree(work, ignore_errors=True)
