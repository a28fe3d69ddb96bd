"""New-name 1 kb region reads from Python, in one run (issue 16, section 2).

On a 2-vCPU guest a FUSE read costs first of all what the placement of
two threads makes it: the reader's and the daemon's thread that reads
/dev/fuse. On one vCPU ("together") a read cost 70-130 us here (a Zen 3
KVM guest, 2026-12-07, load 3-5); on two ("apart") each of its six
wake-ups is of a halted vCPU and it cost 170-380 us; and a pair mostly
stays as the kernel first placed it. One mount's
median is then a draw of its placement, for GenomeDB and the floor alike
(docs/BENCHMARKS.md, 2026-12-07). So each main target is read under
three placements:

  free      nothing pinned (what a user gets);
  together  the daemon started under an affinity of one CPU (every thread
            it starts inherits it) and the reader's thread pinned to the
            same CPU for its reads of that mount;
  apart     the daemon on one CPU, the reader's thread on another.

The main targets:
  genomedb      open(<mnt>/g/<contig>/<s>-<e>.seq, "rb"), read, close
                (GenomeDB's default split loop);
  genomedb --threads 1   its loop with no workers;
  floor         the same on bench/mount/floor.c, a minimal libfuse file
                system (LOOKUP, IOCTL -> ENOTTY, READ of 1000 bytes), with
                libfuse's multithreaded loop;
  floor single-threaded  floor.c -s.
With --baseline BUILD, "baseline build" (that build's `genomedb`, e.g.
main's build/) is a main target too, so a change and main are measured in
one run. Free placement only: "genomedb --loop libfuse" (libfuse's
multithreaded loop), "floor clone_fd"; "<target>, block cached" (right
after each free read of genomedb and of the baseline, a new name one base
on: the same FUSE round trips, the block's second touch, which since the
third-touch change is served in part and caches nothing: the name is kept
so runs compare with earlier ones); and the peers
pysam plain (FastaFile.fetch on the plain FASTA + .fai, handle open) and
pysam bgzip (the bgzipped FASTA + .fai, .gzi).

The reads are split into --mounts spells. Each spell starts a fresh mount
of every mount target (so each spell's first touches are its own: every
64 Ki-base block is touched for the first time by some read, first
touches included), reads its share of the regions round-robin over the
free targets and the peers, then again over the pinned targets (the two
phases the other way round in odd spells), each time in a new random
order each round, so the machine's noise, and whatever a target pays for
coming after another, falls on all alike; then it unmounts them. The
phases are apart since a pinned read moves the reader's thread to its
CPU (and an apart one wakes the other CPU): read in one round-robin with
the pinned targets (a run at 03:28 UTC, 2026-12-07, load 3), the floors'
free spells were mostly mixed (30-63% of samples together); with free
targets only (03:30, load 5), 89-100%. (More spells, more first touches: with 8, about
80-85% of genomedb's reads touch their block first, at 16 Mbp and 1,000
reads as at 64 Mbp and 3,000, against 25-31% with --mounts 1, one mount a
target for the whole run as before spells.) The reader's CPU of the
pinned placements alternates with the spell (spell j: the j-th CPU of the
run's affinity mod their number; "apart" puts the daemon on the next
one), so neither vCPU's interrupts fall on one placement. After each mount read, outside the timed
section, the harness samples the CPU the daemon's serving thread last ran
on (/proc/PID/task/TID/stat field 39) and the reader's own
(/proc/thread-self/stat). The serving thread: for GenomeDB's own loop
(default and --threads 1) and the single-threaded floor, the main thread,
which reads /dev/fuse (GenomeDB's workers are "gdb-worker", its prefetch
thread "gdb-prefetch"); for libfuse's multithreaded loops (floor, floor
clone_fd, --loop libfuse), whose workers take requests in turn, the thread
whose CPU time (schedstat) advanced most since the previous sample: the
one that did most of that read. A spell of a target is "together" when at
least 80% of its samples had both on one CPU, "apart" when at most 20%,
"mixed" otherwise; the free table gives each target's spells of each
kind, the median of the reads of its together spells and of its apart
spells, and the median of its reads sampled together and of those sampled
apart (a sample follows its read: it tells where that read's daemon thread
ended); a table after it gives each spell's share and median. (The pinned
targets' samples check their pinning: 100% and 0%.) Between two reads of
a free mount the reader has read the other free mounts and the peers: it
wakes more daemons than a plain loop of one mount does.

    python3 bench/mount/regions.py [--reads 3000] [--bases 64e6] [--mounts 8]
        [--baseline BUILD] [--targets NAME,...] [--placements free,together,apart]

--targets keeps only the named mount targets (genomedb, the floor, the
baseline and pysam always run) and adds the diagnostic ones named there
(free placement): "floor -s --spin-us 5" and "... 15" (the single-threaded
floor spending 5 or 15 us of CPU in each LOOKUP and READ) and "floor -s
--wake-every 20" (waking a thread of its own every 20 LOOKUPs). Named
there, "genomedb --readers 2" (3, 4: the split loop with that many threads
reading /dev/fuse in turn; serving thread: the busiest) are main targets,
placed as --placements asks, and so are "genomedb --readers 1" (the
default loop with no block-cached twin read, so its requests come as
those of --readers N do) and "genomedb --loop libfuse" (else free only).
"genomedb --loop uring" (FUSE over io_uring) runs free, by default and
when --targets names it, if the kernel has it and this process may switch
the fuse module's enable_uring on (root): it is set to Y for the run and
put back after. So does "floor --loop uring", the ring's floor
(bench/mount/floor_uring.c: floor.c's answers over FUSE's io_uring, no
libfuse, a queue thread pinned to each CPU); named in --targets, "floor
--loop uring --defer-taskrun" and "... --coop-taskrun" run it with those
io_uring setup flags (free placement).
--placements keeps only the named placements of the main targets (free
always runs); with one CPU there is no "apart".

Prints markdown tables, and `key=value` lines for bench/goals.py's goal
table: region_* (genomedb), floor_* (floor), floor_st_* (floor
single-threaded), region_t1_* (genomedb --threads 1), region_r2_*,
region_r3_*, region_r4_*, region_r1_* (genomedb --readers 2, 3, 4, 1),
region_uring_* (genomedb --loop uring), floor_uring_* (floor --loop
uring; floor_uring_defer_*, floor_uring_coop_* with the setup flags), baseline_*
(--baseline): <key>_median_us and
<key>_p99_us in free placement (the goal's figure), <key>_together_* and
<key>_apart_* pinned, <key>_spells_{together,apart,mixed} of the free
spells; pysam_{plain,bgzip}_median_us. The tables' daemon CPU a read
adds every thread of the daemon and names gdb-prefetch's part: on a VM
that hands freed memory back to its host, that thread's clearing of
spare buffer pages can be tens of us a read, off the reader's path.
"""
import argparse
import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pysam

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cache"))
sys.path.insert(0, os.path.join(HERE, "..", "scale"))
import genome  # noqa: E402
import mountbench as mb  # noqa: E402

FLOOR = os.path.join(mb.BUILD, "bench", "floor")
FLOOR_URING = os.path.join(mb.BUILD, "bench", "floor_uring")


ALL_CPUS = os.sched_getaffinity(0)
PLACEMENTS = ("free", "together", "apart")
MAIN, BUSIEST = "main thread", "busiest thread"  # which daemon thread serves
TOGETHER_AT, APART_AT = 0.8, 0.2  # share of a spell's samples on one CPU
KEYS = {"genomedb": "region", "genomedb --threads 1": "region_t1", "floor": "floor",
        "floor single-threaded": "floor_st", "genomedb --readers 1": "region_r1",
        "genomedb --readers 2": "region_r2",
        "genomedb --readers 3": "region_r3", "genomedb --readers 4": "region_r4",
        "genomedb --loop uring": "region_uring", "floor --loop uring": "floor_uring",
        "floor --loop uring --defer-taskrun": "floor_uring_defer",
        "floor --loop uring --coop-taskrun": "floor_uring_coop"}
URING_PARAM = "/sys/module/fuse/parameters/enable_uring"
URING_LOCK = "/tmp/genomedb-enable-uring.lock"  # the tests' too
URING = "genomedb --loop uring"
FLOOR_RING = "floor --loop uring"
# free only, as URING: the ring's floor (bench/mount/floor_uring.c), and
# the same with the rings' setup flags (named in --targets only)
RING_DIAG = {"floor --loop uring --defer-taskrun": ("--defer-taskrun",),
             "floor --loop uring --coop-taskrun": ("--coop-taskrun",)}


def uring_wanted(args):
    """Does this run mount with --loop uring? When the kernel has FUSE over
    io_uring and this process may switch it on (root), unless --targets
    leaves it out."""
    if not os.path.exists(URING_PARAM) or not os.access(URING_PARAM, os.W_OK):
        return False
    named = set(args.targets.split(",")) if args.targets else set()
    return not args.targets or bool(named & {URING, FLOOR_RING, *RING_DIAG})


@contextlib.contextmanager
def uring_on(wanted):
    """The fuse module's enable_uring set to Y for the run, put back after,
    under the tests' lock (tests/test_mount_uring.py's PARAM_LOCK), so no
    test fixture flips it while the run's rings are mounted."""
    if not wanted:
        yield
        return
    with open(URING_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # held by a test run: wait for it
        with open(URING_PARAM) as f:
            saved = f.read().strip()
        with open(URING_PARAM, "w") as f:
            f.write("Y\n")
        try:
            yield
        finally:
            with open(URING_PARAM, "w") as f:
                f.write(saved + "\n")


class Floor(mb.Mount):
    """floor.c, or (binary=FLOOR_URING) floor_uring.c, mounted on mnt."""

    def __init__(self, mnt, *args, preexec_fn=None, binary=None):  # pylint: disable=super-init-not-called
        os.makedirs(mnt, exist_ok=True)
        self.mnt = mnt
        # floor_uring's last line says how many requests came on the ring
        self.err = tempfile.TemporaryFile("w+") if binary == FLOOR_URING else None
        self.p = subprocess.Popen([binary or FLOOR, mnt, *args], preexec_fn=preexec_fn,
                                  stderr=self.err)
        self.wait_mounted(f"{os.path.basename(binary or FLOOR)} mount")

    def close(self, timeout=120):
        """mb.Mount's close; for floor_uring, RuntimeError unless it ended
        well with requests on the ring (a figure served otherwise is not
        the ring's floor)."""
        exit_s = super().close(timeout)
        if self.err is None:
            return exit_s
        self.err.seek(0)
        said = self.err.read()
        self.err.close()
        m = re.search(r"(\d+) requests on the ring", said)
        if self.p.returncode != 0 or not m or int(m.group(1)) == 0:
            raise RuntimeError(f"{self.mnt}: floor_uring (exit {self.p.returncode}) "
                               f"did not serve on the ring: {said.strip()}")
        return exit_s


class Target:
    """A mount target in one placement: name, the target it places (base),
    placement, start(mnt, preexec_fn) -> mount, which thread serves
    (MAIN or BUSIEST), and whether a block-cached twin read follows."""

    def __init__(self, base, placement, start, serve, twin=False):
        self.base, self.placement, self.start = base, placement, start
        self.serve, self.twin = serve, twin
        self.name = base if placement == "free" else f"{base}, {placement}"

    def cpus(self, spell):
        """(the daemon's CPUs, the reader's) in this spell; None: free."""
        if self.placement == "free":
            return None, None
        cpus = sorted(ALL_CPUS)
        r = cpus[spell % len(cpus)]
        d = r if self.placement == "together" else cpus[(spell + 1) % len(cpus)]
        return {d}, {r}


def field39(path):
    """The CPU a task last ran on (field 39 of its stat; the name, field 2,
    may hold blanks and parentheses), or None if it has gone."""
    try:
        with open(path) as f:
            return int(f.read().rsplit(")", 1)[1].split()[36])
    except (OSError, IndexError, ValueError):
        return None


def daemon_cpu(pid):
    """(CPU ns, context switches, CPU ns of its gdb-prefetch thread) of a
    daemon so far: the prefetch thread's share is apart because its page
    clearing for spare buffers is off the reader's path (BENCHMARKS.md)."""
    pf = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/comm") as f:
                if f.read().strip() != "gdb-prefetch":
                    continue
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                pf += int(f.read().split()[0])
        except OSError:
            pass
    return (*mb.proc_cpu(pid), pf)


class Watch:
    """Where a daemon's serving thread last ran: its main thread's CPU, or
    (BUSIEST) that of the thread whose CPU time grew most since the last look."""

    def __init__(self, pid, serve):
        self.pid, self.serve = pid, serve
        self.ns = {}
        if serve == BUSIEST:
            self.busiest()

    def busiest(self):
        best, tid = -1, self.pid
        for t in os.listdir(f"/proc/{self.pid}/task"):
            try:
                with open(f"/proc/{self.pid}/task/{t}/schedstat") as f:
                    ns = int(f.read().split()[0])
            except OSError:
                continue
            if ns - self.ns.get(t, 0) > best:
                best, tid = ns - self.ns.get(t, 0), t
            self.ns[t] = ns
        return tid

    def together(self):
        """Is the serving thread's last CPU the reader's? None: unknown."""
        tid = self.busiest() if self.serve == BUSIEST else self.pid
        d = field39(f"/proc/{self.pid}/task/{tid}/stat")
        r = field39("/proc/thread-self/stat")
        return None if d is None or r is None else d == r


def classify(samples):
    """A spell's placement from its samples (True: together, False: apart,
    None: unknown): together, apart, mixed, or unknown (no sample)."""
    known = [x for x in samples if x is not None]
    if not known:
        return "unknown"
    share = sum(known) / len(known)
    return "together" if share >= TOGETHER_AT else "apart" if share <= APART_AT else "mixed"


def placement_summary(spells):
    """Over a target's spells [(latencies, samples)]: how many of each kind,
    the median of the reads of its together spells and of its apart spells,
    the median of its reads sampled together and of those sampled apart
    (None if none), and the share of all samples that were together."""
    kinds = {"together": [], "apart": [], "mixed": [], "unknown": []}
    for lat, smp in spells:
        kinds[classify(smp)].append(lat)
    known = [x for _, smp in spells for x in smp if x is not None]
    out = {k: len(v) for k, v in kinds.items()}
    for k, flag in (("together", True), ("apart", False)):
        pooled = [x for lat in kinds[k] for x in lat]
        out[k + "_median"] = float(np.median(pooled)) if pooled else None
        reads = [x for lat, smp in spells for x, f in zip(lat, smp) if f is flag]
        out[k + "_reads_median"] = float(np.median(reads)) if reads else None
    out["share"] = sum(known) / len(known) if known else None
    return out


def python_read(path):
    t = time.perf_counter_ns()
    with open(path, "rb") as f:
        f.read()
    return (time.perf_counter_ns() - t) / 1000


def make_inputs(work, bases):
    fa = os.path.join(work, "g.fa")
    with open(fa, "wb") as f:
        for chunk in genome.generate(bases, 11):
            f.write(chunk)
    pysam.faidx(fa)
    gz = fa + ".gz"
    subprocess.run(["bgzip", "-k", "-@2", fa], check=True)
    pysam.faidx(gz)
    store = os.path.join(work, "g.gdb")
    mb.sh(mb.G, "init", store)
    mb.sh(mb.G, "import", "fasta", store, "--assembly", "g", fa, "--quiet")
    ctgs = [(ln.split("\t")[0], int(ln.split("\t")[1])) for ln in open(fa + ".fai")]
    return fa, gz, store, ctgs


def queries(ctgs, n, rng):
    lens = np.array([L for _, L in ctgs], dtype=np.int64)
    pick = rng.choice(len(ctgs), n, p=lens / lens.sum())
    return [(ctgs[i][0], int(s)) for i, s in
            zip(pick, (rng.integers(0, lens[pick] - 1000)))]


def stats(mnt):
    with open(os.path.join(mnt, ".gdb", "stats.json")) as f:
        return json.load(f)


def need_floor(uring=False):
    """Build bench/mount/floor.c (and floor_uring.c when the run mounts the
    ring) if this build has not (make bench does)."""
    for path in (FLOOR, FLOOR_URING) if uring else (FLOOR,):
        if not os.path.exists(path):
            subprocess.run(["make", "-C", os.path.join(HERE, "..", ".."),
                            f"BUILD={os.path.abspath(mb.BUILD)}",
                            os.path.join(os.path.abspath(mb.BUILD), "bench",
                                         os.path.basename(path))],
                           check=True, stdout=subprocess.DEVNULL)


def warm_name(k):
    return k + ", block cached (a new name 1 base on)"


def make_targets(args, store):
    """The mount targets, main ones in each placement, then free-only ones."""
    base = os.path.join(os.path.abspath(args.baseline), "genomedb") if args.baseline else None

    def gdb(*a, binary=None):
        return lambda m, pre: mb.Mount(store, m, *a, binary=binary, preexec_fn=pre)

    def floor(*a, binary=None):
        return lambda m, pre: Floor(m, *a, preexec_fn=pre, binary=binary)

    main = {"genomedb": (gdb(), MAIN), "genomedb --threads 1": (gdb("--threads", "1"), MAIN),
            "floor": (floor(), BUSIEST), "floor single-threaded": (floor("-s"), MAIN)}
    if base:
        main["baseline build"] = (gdb(binary=base), MAIN)
    free = {"genomedb --loop libfuse": (gdb("--loop", "libfuse"), BUSIEST),
            "floor clone_fd": (floor("--clone-fd"), BUSIEST)}
    extra = {}
    if getattr(args, "uring", False):  # free only: its queue threads pin themselves
        free[URING] = (gdb("--loop", "uring"), BUSIEST)
        free[FLOOR_RING] = (floor(binary=FLOOR_URING), BUSIEST)
        extra = {k: (floor(*a, binary=FLOOR_URING), BUSIEST) for k, a in RING_DIAG.items()}
    # main targets only when --targets names them (placed as asked): the
    # split loop with N threads reading /dev/fuse in turn, and libfuse's
    # loop (else free only)
    # ("--readers 1" is the default loop without the twin read)
    placeable = {f"genomedb --readers {n}": (gdb("--readers", str(n)), MAIN if n == 1 else BUSIEST)
                 for n in (1, 2, 3, 4)}
    extra |= {"floor -s --spin-us 5": (floor("-s", "--spin-us", "5"), MAIN),
             "floor -s --spin-us 15": (floor("-s", "--spin-us", "15"), MAIN),
             "floor -s --wake-every 20": (floor("-s", "--wake-every", "20"), MAIN)}
    if args.targets:
        keep = args.targets.split(",") + ["genomedb", "floor", "baseline build"]
        main = {k: v for k, v in main.items() if k in keep}
        free = {k: v for k, v in {**free, **extra}.items() if k in keep}
        main.update({k: v for k, v in placeable.items() if k in keep})
        if "genomedb --loop libfuse" in free:
            main["genomedb --loop libfuse"] = free.pop("genomedb --loop libfuse")
    asked = set(args.placements.split(",")) - {""}
    if asked - set(PLACEMENTS):
        raise SystemExit(f"--placements: unknown {', '.join(sorted(asked - set(PLACEMENTS)))} "
                         f"(known: {', '.join(PLACEMENTS)})")
    places = [p for p in PLACEMENTS if p == "free" or p in asked]
    if len(ALL_CPUS) < 2 and "apart" in places:
        places.remove("apart")
        print("(one CPU: no apart placement)\n")
    tg = [Target(k, p, f, serve, twin=p == "free" and k in ("genomedb", "baseline build"))
          for p in places for k, (f, serve) in main.items()]
    return tg + [Target(k, "free", f, serve) for k, (f, serve) in free.items()]


def read_mount(t, m, watch, spell, q, out, twin):
    """One timed new-name read of mount m (target t, query q = (i, contig,
    start)) into out = (latencies, samples), the reader pinned as t's
    placement asks; then, untimed, the placement sample; then the
    block-cached twin's read into the list twin (t.twin)."""
    i, c, s = q
    _, r = t.cpus(spell)
    if r:
        os.sched_setaffinity(0, r)
    if isinstance(m, Floor):
        out[0].append(python_read(os.path.join(m.mnt, f"r{i}")))
    else:
        out[0].append(python_read(os.path.join(m.mnt, "g", c, f"{s + 1}-{s + 1000}.seq")))
    out[1].append(watch.together())
    if r:
        os.sched_setaffinity(0, ALL_CPUS)
    if t.twin:  # the same block, its second touch
        twin.append(python_read(os.path.join(m.mnt, "g", c, f"{s + 2}-{s + 1001}.seq")))


def run_spell(j, reads, tg, peers, acc, rng, work):
    """Spell j: fresh mounts of every target, the reads round-robin over
    the free targets and the peers, and again over the pinned targets, the
    daemons' CPU and stats added to acc[name], then every mount closed."""
    live = {}
    try:
        # one by one, so a mount that fails leaves none of the others behind
        for n, t in enumerate(tg):
            d, _ = t.cpus(j)
            pre = None if d is None else (lambda d=d: os.sched_setaffinity(0, d))
            live[t.name] = t.start(os.path.join(work, f"m{j}-{n}"), pre)
        by = {t.name: t for t in tg}
        watch = {t.name: Watch(live[t.name].p.pid, t.serve) for t in tg}
        cpu0 = {k: np.array(daemon_cpu(m.p.pid)) for k, m in live.items()}
        got = {t.name: ([], []) for t in tg}
        # the free targets and the peers, then the pinned ones (the other
        # way round in odd spells): a pinned read moves the reader
        phases = [[t.name for t in tg if t.placement == "free"] + list(peers),
                  [t.name for t in tg if t.placement != "free"]]
        for names in phases[::-1] if j % 2 else phases:
            for q in reads if names else []:
                # a new order each round, so that no target always comes
                # first after pysam's CPU-bound fetches (or any other target)
                for k in rng.permutation(names):
                    if k in peers:
                        t0 = time.perf_counter_ns()
                        peers[k].fetch(q[1], q[2], q[2] + 1000)
                        acc[k].append((time.perf_counter_ns() - t0) / 1000)
                    else:
                        read_mount(by[k], live[k], watch[k], j, q, got[k], acc.get(warm_name(k)))
        for t in tg:
            a = acc[t.name]
            a["cpu"] += np.array(daemon_cpu(live[t.name].p.pid)) - cpu0[t.name]
            a["spells"].append(got[t.name])
            if t.twin:
                a["stats"].append(stats(live[t.name].mnt))
    finally:
        close_all(live.values())


def close_all(mounts):
    """Close every mount, each in its own try; then raise the first error."""
    errors = []
    for m in mounts:
        try:
            m.close()
        except (RuntimeError, OSError) as e:
            errors.append(e)
    if errors:
        raise errors[0]


def run(args, work, fa, gz, store, ctgs):
    rng = np.random.default_rng(3)
    qs = queries(ctgs, args.reads, rng)
    peers = {"pysam plain FASTA": pysam.FastaFile(fa), "pysam bgzip FASTA": pysam.FastaFile(gz)}
    tg = make_targets(args, store)
    acc = {t.name: {"cpu": np.zeros(3), "spells": [], "stats": []} for t in tg}
    acc.update({k: [] for k in [warm_name(t.name) for t in tg if t.twin] + list(peers)})
    load = open("/proc/loadavg").read().split()[0]
    spells = np.array_split(np.arange(len(qs)), args.mounts)
    for j, idx in enumerate(spells):
        run_spell(j, [(int(i),) + qs[i] for i in idx], tg, peers, acc, rng, work)
    return tg, acc, (load, open("/proc/loadavg").read().split()[0])


def lat_of(a):
    """A target's latencies: a list, or its spells' pooled."""
    return np.array(a if isinstance(a, list) else [x for lat, _ in a["spells"] for x in lat])


def pct(x):
    return "" if x is None else f"{100 * x:.0f}%"


def us(x):
    return "" if x is None else f"{x:.0f}"


def daemon_cols(a, n, twin):
    """Daemon CPU us a read (with gdb-prefetch's part, when it has one)
    and context switches a read."""
    two = " (two reads)" if twin else ""
    pf = f", prefetch {a['cpu'][2] / n / 1000:.1f}" if a["cpu"][2] else ""
    return f"{a['cpu'][0] / n / 1000:.1f}{two}{pf} | {a['cpu'][1] / n:.1f}{two}"


def report_pinned(tg, acc, n):
    """The placement-controlled table: each pinned target beside the two
    floors in the same placement."""
    pinned = [t for t in tg if t.placement != "free"]
    if not pinned:
        return
    med = {(t.base, t.placement): np.median(lat_of(acc[t.name])) for t in pinned}
    print("\nPinned placements (the daemon's threads and the reader's thread on one CPU: "
          "together; on two: apart):\n")
    print("| target | placement | median us | p99 us | / floor, same placement | "
          "/ floor single-threaded, same placement | daemon CPU us per read | "
          "daemon context switches per read | samples together |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for t in sorted(pinned, key=lambda t: (t.placement, tg.index(t))):
        a, m = lat_of(acc[t.name]), med[(t.base, t.placement)]
        ratio = ["" if (f, t.placement) not in med else f"{m / med[(f, t.placement)]:.2f}x"
                 for f in ("floor", "floor single-threaded")]
        print(f"| {t.base} | {t.placement} | {m:.0f} | {np.percentile(a, 99):.0f} | "
              f"{ratio[0]} | {ratio[1]} | {daemon_cols(acc[t.name], n, False)} | "
              f"{pct(placement_summary(acc[t.name]['spells'])['share'])} |")


def report_free(tg, acc, n):
    """The free-placement table: overall figures, and the spells by kind."""
    floor = np.median(lat_of(acc["floor"]))
    print("\nFree placement (nothing pinned; spells classified by the samples):\n")
    print("| target | median us | p99 us | median / floor | spells together / apart / mixed | "
          "median us, together spells | median us, apart spells | samples together | "
          "median us, reads sampled together / apart | "
          "daemon CPU us per read | daemon context switches per read |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for k, a in acc.items():
        t = next((t for t in tg if t.name == k), None)
        if t is not None and t.placement != "free":
            continue
        x = lat_of(a)
        row = f"| {k} | {np.median(x):.0f} | {np.percentile(x, 99):.0f} | {np.median(x) / floor:.2f}x |"
        if t is None:
            print(row + " | | | | | | |")
            continue
        p = placement_summary(a["spells"])
        print(row + f" {p['together']} / {p['apart']} / {p['mixed']} | {us(p['together_median'])} | "
              f"{us(p['apart_median'])} | {pct(p['share'])} | {us(p['together_reads_median'])} / "
              f"{us(p['apart_reads_median'])} | {daemon_cols(a, n, t.twin)} |")


def report_spells(tg, acc):
    """Each free target's spells: the share of samples together, the median."""
    free = [t for t in tg if t.placement == "free"]
    n = len(acc[free[0].name]["spells"])
    print("\nFree placement by spell (share of samples together, median us):\n")
    print("| target | " + " | ".join(f"spell {j + 1}" for j in range(n)) + " |")
    print("|---|" + "---:|" * n)
    for t in free:
        cells = []
        for lat, smp in acc[t.name]["spells"]:
            known = [x for x in smp if x is not None]
            cells.append(f"{pct(sum(known) / len(known)) if known else '?'} {np.median(lat):.0f}")
        print(f"| {t.name} | " + " | ".join(cells) + " |")


def report_stats(tg, acc):
    for t in tg:
        sts = acc[t.name]["stats"]
        if not sts:
            continue
        tot = {f: sum(s.get(f, 0) for s in sts) for f in ("lookups", "reads", "ioctls", "reader_moves")}
        hits = sum(s.get("cache", {}).get("hits", 0) for s in sts)
        miss = sum(s.get("cache", {}).get("misses", 0) for s in sts)
        p50 = [s.get("latency_us", {}).get("p50", 0) for s in sts]
        p99 = [s.get("latency_us", {}).get("p99", 0) for s in sts]
        print(f"\ndaemon ({t.name}, default loop, {len(sts)} mounts): {tot['lookups']} lookups, "
              f"{tot['reads']} reads, {tot['ioctls']} ioctls, {tot['reader_moves']} moves to the "
              f"reader's CPU; block cache {hits} hits, {miss} misses; read service time in the "
              f"daemon p50 {min(p50)}-{max(p50)} us, p99 {min(p99)}-{max(p99)} us by mount "
              "(histogram upper bucket edges)")


def keyvals(tg, acc):
    """The key=value lines bench/goals.py reads."""
    out = {}
    for t in tg:
        key = KEYS.get(t.base, "baseline" if t.base == "baseline build" else None)
        if key is None:
            continue
        a = lat_of(acc[t.name])
        sfx = "" if t.placement == "free" else "_" + t.placement
        out[f"{key}{sfx}_median_us"] = f"{np.median(a):.1f}"
        out[f"{key}{sfx}_p99_us"] = f"{np.percentile(a, 99):.1f}"
        if t.placement == "free":
            p = placement_summary(acc[t.name]["spells"])
            for kind in ("together", "apart", "mixed"):
                out[f"{key}_spells_{kind}"] = p[kind]
    out["pysam_plain_median_us"] = f"{np.median(acc['pysam plain FASTA']):.1f}"
    out["pysam_bgzip_median_us"] = f"{np.median(acc['pysam bgzip FASTA']):.1f}"
    return out


def report(args, tg, acc, load):
    n = args.reads
    print(f"{n} new-name 1 kb region reads per target in {args.mounts} spells (a fresh mount "
          f"of every target each), round-robin in one run, at niceness {os.nice(0)}; "
          f"{len(ALL_CPUS)} CPUs allowed, load average {load[0]} at the start, {load[1]} at the end")
    report_pinned(tg, acc, n)
    report_free(tg, acc, n)
    report_spells(tg, acc)
    report_stats(tg, acc)
    print()
    for k, v in keyvals(tg, acc).items():
        print(f"{k}={v}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reads", type=int, default=3000)
    ap.add_argument("--bases", default="64e6")
    ap.add_argument("--mounts", type=int, default=8,
                    help="spells, each on fresh mounts of every target")
    ap.add_argument("--baseline", help="another build directory to mount beside this one")
    ap.add_argument("--targets", help="comma-separated mount targets to keep (genomedb always)")
    ap.add_argument("--placements", default=",".join(PLACEMENTS),
                    help="placements of the main targets (free always)")
    ap.add_argument("--nice", type=int, default=-15,
                    help="niceness for the run and its daemons when root (0: leave)")
    args = ap.parse_args()
    args.mounts = max(1, min(args.mounts, args.reads))
    uring = uring_wanted(args)
    need_floor(uring)
    work = tempfile.mkdtemp(prefix="gdb-regions-")
    try:
        fa, gz, store, ctgs = make_inputs(work, int(float(args.bases)))
        if args.nice and os.geteuid() == 0:
            os.nice(args.nice)  # the daemons inherit it
        args.uring = uring
        with uring_on(args.uring):
            tg, acc, load = run(args, work, fa, gz, store, ctgs)
        report(args, tg, acc, load)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
