"""Where a new-name 1 kb region read's time goes, request by request
(diagnosis, not a benchmark; issue 16). Mounts one target, warms it with
W reads, then traces N more new-name reads from this process in a tracefs
instance of its own (fuse_request_send/end, sched_switch, sched_waking,
io_uring_complete, io_uring_task_add, and the syscalls of the reader and
of the daemon's threads) and prints, for each FUSE opcode, the median of

  send -> server in        the request queued until a daemon thread is
                           switched in (a wake-up and a context switch)
  server in -> reply call  until that thread enters its reply syscall
                           (io_uring_enter, or writev on /dev/fuse): the
                           rest of its wait (on the ring the io_uring task
                           work that hands the request over, which runs
                           once the thread is switched in), the copy to
                           the ring, user space
  reply call -> end        the kernel taking the reply (fuse_request_end)
  end -> reader in         until the reader runs again
  send -> reader back      the round trip

and the reader's syscalls (count a read, median µs). The trace's clock
has 1 µs steps and its events cost time: the reads traced are slower than
untraced (the median printed first says by how much against regions.py).

    python3 bench/mount/roundtrips.py TARGET [--reads N] [--warm W] [--pin CPU]
TARGET: floor_uring (bench/mount/floor_uring.c; needs enable_uring Y),
"floor_uring --defer-taskrun", floor (floor.c -s), or "genomedb --loop
uring" (a store made as regions.py makes one, --bases, read at regions.py's
random places: most reads a block's first touch). --pin CPU starts
the daemon on that CPU and pins the reader there (a /dev/fuse loop placed
together). Run as root; the instance is removed at the end."""
import argparse
import collections
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import regions  # noqa: E402

mb = regions.mb
TRACING = "/sys/kernel/tracing/instances"
EVENTS = ["fuse/fuse_request_send", "fuse/fuse_request_end", "sched/sched_switch",
          "sched/sched_waking", "io_uring/io_uring_complete", "io_uring/io_uring_task_add",
          "raw_syscalls/sys_enter", "raw_syscalls/sys_exit"]
REPLY_CALLS = (426, 20)  # io_uring_enter, writev (x86-64)
LINE = re.compile(r"^\s*(.+?)-(\d+)\s+\[(\d+)\]\s+\S+\s+([\d.]+): (\w+): (.*)$")
SEGMENTS = ("send -> server in", "server in -> reply call", "reply call -> end",
            "end -> reader in", "send -> reader back")


def parse(text):
    """A trace's lines as (µs, pid, event, details, cpu)."""
    out = []
    for ln in text.splitlines():
        m = LINE.match(ln)
        if m:
            out.append((float(m[4]) * 1e6, int(m[2]), m[5], m[6], int(m[3])))
    return out


def round_trip(ev, k, server, same_cpu=False):
    """The times of request ev[k]'s steps (send, server in, reply call, end,
    reader in), or None when the trace does not hold them all. same_cpu
    (the ring): the server thread is the one switched in on the CPU the
    request was sent from, whose queue takes it, not another queue's."""
    t, reader, _, d, cpu = ev[k]
    unique = re.search(r"req (\d+)", d)[1]
    steps, who = [t], None
    for t2, pid, name, d2, cpu2 in ev[k + 1:k + 500]:
        if len(steps) == 1 and name == "sched_switch" and (not same_cpu or cpu2 == cpu):
            m = re.search(r"next_pid=(\d+)", d2)
            if m and int(m[1]) in server:
                steps.append(t2)
                who = int(m[1])
        elif len(steps) == 2 and name == "sys_enter" and pid == who and \
                int(re.search(r"NR (\d+)", d2)[1]) in REPLY_CALLS:
            steps.append(t2)
        elif len(steps) == 3 and name == "fuse_request_end" and \
                re.search(rf"req {unique}\b", d2):
            steps.append(t2)
        elif len(steps) == 4 and name == "sched_switch" and \
                re.search(rf"next_pid={reader}\b", d2):
            steps.append(t2)
            return steps
    return None


def breakdown(ev, reader, server, same_cpu=False):
    """{opcode: {segment: [µs]}} over the reader's requests, and how many
    requests of each opcode, and how many the trace did not hold whole
    (same_cpu: as round_trip's)."""
    seg = collections.defaultdict(lambda: collections.defaultdict(list))
    ops, partial = collections.Counter(), 0
    for k, (_, pid, name, d, _) in enumerate(ev):
        if name != "fuse_request_send" or pid != reader:
            continue
        op = re.search(r"\((\w+)\)", d)[1]
        ops[op] += 1
        s = round_trip(ev, k, server, same_cpu)
        if s is None:
            partial += 1
            continue
        for i, name2 in enumerate(SEGMENTS[:4]):
            seg[op][name2].append(s[i + 1] - s[i])
        seg[op][SEGMENTS[4]].append(s[4] - s[0])
    return seg, ops, partial


def syscalls(ev, reader):
    """{syscall nr: [µs]} of the reader."""
    out, since = collections.defaultdict(list), None
    for t, pid, name, d, _ in ev:
        if pid != reader:
            continue
        if name == "sys_enter":
            since = (t, int(re.search(r"NR (\d+)", d)[1]))
        elif name == "sys_exit" and since:
            out[since[1]].append(t - since[0])
            since = None
    return out


def write(path, s):
    with open(path, "w") as f:
        f.write(s)


def trace(inst, pids, fn):
    """fn() with the events on in tracefs instance inst (the syscalls of
    pids only); the trace's text."""
    os.makedirs(inst, exist_ok=True)
    try:
        write(f"{inst}/buffer_size_kb", "16384")
        for e in EVENTS:
            if e.startswith("raw_syscalls"):
                write(f"{inst}/events/{e}/filter", " || ".join(f"common_pid == {p}" for p in pids))
            write(f"{inst}/events/{e}/enable", "1")
        write(f"{inst}/trace", "")
        write(f"{inst}/tracing_on", "1")
        fn()
        write(f"{inst}/tracing_on", "0")
        with open(f"{inst}/trace") as f:
            return f.read()
    finally:
        write(f"{inst}/events/enable", "0")
        os.rmdir(inst)


def mount(target, work, pin, bases, reads):
    """The mount and a function giving read i's path."""
    argv = shlex.split(target)
    pre = (lambda: os.sched_setaffinity(0, {pin})) if pin is not None else None
    mnt = os.path.join(work, "m")
    if argv[0] == "genomedb":
        _, _, store, ctgs = regions.make_inputs(work, int(float(bases)))
        m = mb.Mount(store, mnt, *argv[1:], preexec_fn=pre)
        qs = regions.queries(ctgs, reads, np.random.default_rng(3))  # as regions.py's
        return m, lambda i: os.path.join(mnt, "g", qs[i][0], f"{qs[i][1] + 1}-{qs[i][1] + 1000}.seq")
    binary = os.path.join(mb.BUILD, "bench", argv[0])
    args = argv[1:] + (["-s"] if argv[0] == "floor" else [])
    return regions.Floor(mnt, *args, preexec_fn=pre, binary=binary), \
        lambda i: os.path.join(mnt, f"r{i}")


def report(lat, ev, reader, server, n, same_cpu):
    seg, ops, partial = breakdown(ev, reader, server, same_cpu)
    print(f"{n} reads traced: median {statistics.median(lat):.1f} µs, "
          f"p99 {sorted(lat)[int(0.99 * len(lat))]:.1f}; requests a read: "
          + ", ".join(f"{k} {v / n:.2f}" for k, v in ops.items())
          + (f"; {partial} requests not whole in the trace" if partial else ""))
    print("\n| opcode | " + " | ".join(SEGMENTS) + " |")
    print("|---|" + "---:|" * len(SEGMENTS))
    for op in sorted(seg):
        print(f"| {op} | " + " | ".join(f"{statistics.median(seg[op][s]):.0f}" for s in SEGMENTS)
              + " |")
    sc = syscalls(ev, reader)
    print("\nreader's syscalls (nr: count a read, median µs): " + ", ".join(
        f"{nr}: {len(v) / n:.2f}, {statistics.median(v):.0f}"
        for nr, v in sorted(sc.items()) if len(v) >= n / 2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("target")
    ap.add_argument("--reads", type=int, default=1000)
    ap.add_argument("--warm", type=int, default=300)
    ap.add_argument("--pin", type=int)
    ap.add_argument("--bases", default="64e6")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="gdb-roundtrips-")
    try:
        m, path = mount(args.target, work, args.pin, args.bases, args.warm + args.reads)
        try:
            if args.pin is not None:
                os.sched_setaffinity(0, {args.pin})
            for i in range(args.warm):
                regions.python_read(path(i))
            server = {int(t) for t in os.listdir(f"/proc/{m.p.pid}/task")}
            lat = []
            text = trace(os.path.join(TRACING, f"roundtrips-{os.getpid()}"),
                         [os.getpid(), *server],
                         lambda: lat.extend(regions.python_read(path(args.warm + i))
                                            for i in range(args.reads)))
        finally:
            m.close()
        ring = "floor_uring" in args.target or "--loop uring" in args.target
        report(lat, parse(text), os.getpid(), server, args.reads, ring)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
