"""`genomedb mount --readers N` (fs/daemon/loop.c, issue 16): N threads
read /dev/fuse in turn, each answering cheap requests itself and handing
costly ones to the one worker pool. Its answers are a default mount's, byte
for byte; the requests land on more than one reading thread (stats.json's
reader_requests, one count a reading thread); and an unmount or a SIGTERM
ends every reading thread and the daemon (exit 0)."""
import concurrent.futures
import json
import os
import signal
import time

import pytest

import gdbutil as U

READERS = 3


def _region_paths(m, g, regions):
    return [m.p(g.asm, U.esc(n), f"{s}-{e}.{ext}")
            for (n, s, e), ext in zip(regions, ("seq", "fa", "rc.fa") * len(regions))]


def _rendered_paths(m, g):
    """Answers rendered by the workers: GC windows and k-mer counts."""
    rec = max(g.records, key=lambda r: r.length)
    name = U.esc(rec.name)
    end = min(rec.length, 200000)
    return [m.p("compute", "gc", g.asm, name, f"1-{end}@w=1000.tsv"),
            m.p("compute", "gc", g.asm, name, f"101-{end}@w=777,step=300.f32")]


def _read_all(paths):
    """Each path's bytes, or the error's repr (in a process of its own)."""
    out = []
    for p in paths:
        try:
            out.append(U.read_file(p))
        except OSError as exc:
            out.append(repr(exc))
    return out


def _read_in_processes(paths, nproc=3):
    """paths read by nproc processes at once, each its share in turn."""
    shares = [paths[i::nproc] for i in range(nproc)]
    with concurrent.futures.ProcessPoolExecutor(nproc) as ex:
        got = list(ex.map(_read_all, shares))
    out = [None] * len(paths)
    for i, part in enumerate(got):
        out[i::nproc] = part
    return out


def _stats(m):
    with open(m.p(".gdb", "stats.json"), "rb") as f:
        return json.load(f)


def _readers_started(pid, n, timeout=20):
    """The daemon's thread names once n - 1 extra reading threads have
    named themselves: the mount is up as soon as one reading thread has
    answered INIT, maybe before the last is made."""
    deadline = time.monotonic() + timeout
    names = _threads(pid)
    while names.count("gdb-reader") < n - 1 and time.monotonic() < deadline:
        time.sleep(0.02)
        names = _threads(pid)
    return names


def _threads(pid):
    """The names of a process's threads (empty once it has gone)."""
    names = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return names
    for t in tids:
        try:
            with open(f"/proc/{pid}/task/{t}/comm") as f:
                names.append(f.read().strip())
        except OSError:
            pass
    return names


def test_readers_answers_and_turns(store, genomes, workdir):
    """A default mount and one with --readers 3 side by side: region files
    (.seq, .fa, .rc.fa) and rendered answers read from one process and from
    three processes at once are the same bytes on both, and the regions are
    pysam's; the --readers 3 mount's reader_requests has three counts, more
    than one of them above 0 (the default mount's: one); `ctl reset-stats`
    zeroes them."""
    U.require_fuse()
    store.require("ecoli")
    g = genomes["ecoli"]
    regions = U.random_regions(g, 240, seed=16)
    want = [g.fetch(n, s, e) for n, s, e in regions]
    got, counts = {}, {}
    with U.mounted(store.path, workdir, name="readers-1") as m1, \
            U.mounted(store.path, workdir, args=("--readers", str(READERS)), name="readers-3") as m3:
        for key, m in (("1", m1), ("3", m3)):
            paths = _region_paths(m, g, regions) + _rendered_paths(m, g)
            one = _read_all(paths)
            many = _read_in_processes(paths)
            assert one == many, f"--readers {key}: answers differ between one process and three"
            got[key] = one
            counts[key] = _stats(m)["reader_requests"]
        r = U.gdb("ctl", m3.path, "reset-stats")
        assert r.rc == 0, r
        after_reset = _stats(m3)["reader_requests"]
    assert got["3"] == got["1"], [i for i, (a, b) in enumerate(zip(got["3"], got["1"])) if a != b][:10]
    seqs = got["1"][0:len(regions):3]
    assert seqs == want[0::3], "region .seq files differ from pysam"
    assert all(isinstance(x, bytes) and x for x in got["1"][len(regions):]), got["1"][len(regions):]
    print(f"reader_requests: default {counts['1']}, --readers {READERS} {counts['3']}")
    assert len(counts["1"]) == 1 and counts["1"][0] > 0, counts
    assert len(counts["3"]) == READERS, counts
    assert sum(c > 0 for c in counts["3"]) >= 2, f"every request on one reading thread: {counts['3']}"
    # reset-stats zeroes them: what is left is reading stats.json itself
    assert len(after_reset) == READERS and sum(after_reset) < 10, after_reset


@pytest.mark.parametrize("how", ["unmount", "sigterm", "spin-unmount", "spin-sigterm"])
def test_readers_all_end(store, genomes, workdir, how):
    """With --readers 3 the daemon runs two gdb-reader threads beside its
    main thread; an unmount (fusermount3 -u) or a SIGTERM ends them all:
    the daemon exits 0 within a bounded wait and the mount is gone. (A
    reading thread left blocked on /dev/fuse would keep the daemon.) The
    same with --spin-us 200, each thread spinning on its own, after a
    pause past the spin (each blocked in poll)."""
    U.require_fuse()
    store.require("ecoli")
    g = genomes["ecoli"]
    regions = U.random_regions(g, 60, seed=17)
    mnt = os.path.join(str(workdir), "readers-end-" + how)
    spin = ("--spin-us", "200") if how.startswith("spin-") else ()
    m = U.Mount(store.path, mnt, mnt + ".log", ("--readers", str(READERS), *spin))
    m.start()
    rc, gone, t0 = None, None, time.monotonic()
    try:
        names = _readers_started(m.proc.pid, READERS)
        bad = [p for p, (n, s, e) in zip(_region_paths(m, g, regions), regions)
               if p.endswith(".seq") and U.read_file(p) != g.fetch(n, s, e)]
        time.sleep(0.2 if spin else 0)  # past the spin: blocked in poll
        t0 = time.monotonic()  # the wait for the end
        if how.endswith("sigterm"):
            m.proc.send_signal(signal.SIGTERM)
            rc = m.proc.wait(20)
            gone = not os.path.ismount(mnt)  # the daemon unmounted itself
    finally:
        rc_stop = m.stop(timeout=20)
        waited = time.monotonic() - t0
    rc = rc_stop if rc is None else rc
    log = m.log_text()
    assert not bad, bad[:5]
    assert names.count("gdb-reader") == READERS - 1, names
    assert rc == 0 and waited < 20, (how, rc, waited, log[-2000:])
    assert gone is not False, f"{mnt} still mounted after the daemon's exit"
    assert not os.path.ismount(mnt), f"{mnt} still mounted after {how}"
    U.check_sanitizer(log, f"genomedb mount --readers {READERS} ({how})")


def test_readers_do_not_follow(store, genomes, workdir):
    """With --readers 3 no reading thread follows its reader's CPU (turns
    place them; docs/BENCHMARKS.md "Several reading threads"), and the log
    says so. Forced apart as in test_mount_regions.py::test_follow_switch
    (this thread on one CPU, every thread of the daemon on another), 600
    new-name reads leave reader_moves 0; a reading thread that followed
    would move within about 75 (one look in 32 of its own requests, a move
    after two agreeing looks)."""
    U.require_fuse()
    mine, theirs = U.two_cpus("the reader and the daemon")
    store.require("ecoli")
    g = genomes["ecoli"]
    rec = max(g.records, key=lambda r: r.length)
    saved = os.sched_getaffinity(0)
    with U.mounted(store.path, workdir, args=("--readers", str(READERS)), name="readers-apart") as m:
        _readers_started(m.proc.pid, READERS)  # every one, to be placed
        for t in os.listdir(f"/proc/{m.proc.pid}/task"):
            os.sched_setaffinity(int(t), {theirs})
        try:
            os.sched_setaffinity(0, {mine})  # this thread only
            for k in range(600):
                s = 1 + (k * 9973) % (rec.length - 1000)
                got = U.read_file(m.p(g.asm, U.esc(rec.name), f"{s}-{s + 99}.seq"))
                assert got == g.fetch(rec.name, s, s + 99), f"{rec.name}:{s}"
        finally:
            os.sched_setaffinity(0, saved)
        st = _stats(m)
        log = m.log_text()
    assert st["reader_moves"] == 0, st["reader_moves"]
    assert sum(c > 0 for c in st["reader_requests"]) >= 2, st["reader_requests"]
    assert "the reading threads do not follow" in log, log[-2000:]


def _sigblk(pid):
    """{tid: (name, blocked signal mask)} of a process's threads."""
    out = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/status") as f:
                st = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        out[int(t)] = (st["Name"].strip(), int(st["SigBlk"], 16))
    return out


def test_readers_signals_reach_main_only(store, genomes, workdir):
    """With --readers 2 every thread of the daemon but the main one (the
    extra reader, the refresh thread, the prefetch thread, workers) has
    SIGUSR2 (the wake-up signal) and SIGTERM blocked, and the main thread
    has SIGUSR2 unblocked: a signal sent from outside lands on the main
    thread and interrupts no other thread's call (fs/daemon/wake.c). Then
    SIGUSR2 sent from outside 40 times while regions are read: the answers
    are pysam's, the daemon serves on and logs no failure, and an unmount
    ends it with 0."""
    U.require_fuse()
    store.require("ecoli")
    g = genomes["ecoli"]
    regions = U.random_regions(g, 80, seed=18)
    want = [g.fetch(n, s, e) for n, s, e in regions]
    mnt = os.path.join(str(workdir), "readers-sigblk")
    m = U.Mount(store.path, mnt, mnt + ".log", ("--readers", "2", "--threads", "4"))
    m.start()
    try:
        _readers_started(m.proc.pid, 2)
        paths = _region_paths(m, g, regions)[0::3]  # the .seq ones
        want = want[0::3]
        first = _read_in_processes(paths)  # workers started too
        masks = _sigblk(m.proc.pid)
        for i in range(40):
            m.proc.send_signal(signal.SIGUSR2)
            if i % 10 == 0:
                time.sleep(0.05)
        again = _read_all(paths)
        alive = m.proc.poll() is None
    finally:
        rc = m.stop(timeout=20)
    log = m.log_text()
    usr2, term = 1 << (signal.SIGUSR2 - 1), 1 << (signal.SIGTERM - 1)
    main = masks.pop(m.proc.pid)
    assert len(masks) >= 2, masks  # the extra reader and the refresh thread at least
    assert not main[1] & usr2, f"main thread blocks SIGUSR2: {main}"
    unblocked = {t: v for t, v in masks.items() if (v[1] & (usr2 | term)) != usr2 | term}
    assert not unblocked, f"threads with SIGUSR2 or SIGTERM unblocked: {unblocked}"
    assert first == want and again == want, "regions differ from pysam"
    assert alive and rc == 0, (rc, log[-2000:])
    assert "error" not in log and "warning" not in log, log[-2000:]
    U.check_sanitizer(log, "genomedb mount --readers 2 (SIGUSR2 from outside)")
