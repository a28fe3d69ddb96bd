"""The benchmark scripts' own housekeeping, no benchmark run:
bench/scale/run.py mounts on a directory of its own (never under --dir,
which it removes or keeps), unmounted and removed even when the run fails;
bench/cache/mountbench.py's build_store drops the page cache only as root
and says so when it cannot; bench/mount/regions.py's placement logic (which
CPUs each placement pins, how a spell is classified from its samples)."""
import fcntl
import importlib.util
import os
import subprocess
import sys
import tempfile

import pytest

import gdbutil as U


def _load(name, rel):
    spec = importlib.util.spec_from_file_location(name, os.path.join(U.REPO, rel))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


sys.path.insert(0, os.path.join(U.REPO, "bench", "scale"))  # run.py's genome.py
scale = _load("bench_scale_run", "bench/scale/run.py")
mb = scale.mb  # the mountbench module run.py mounts with


def test_scale_run_mounts_privately_and_cleans_up_on_error(tmp_path, monkeypatch):
    """A run that fails while its store is mounted: the mountpoint was not
    under --dir, and is neither mounted nor there afterwards; the daemon
    left; --dir holds nothing of the run."""
    U.require_fuse()
    fa = tmp_path / "t.fa"
    fa.write_text(">big1\n" + "ACGT" * 500 + "\n")
    store = str(tmp_path / "t.gdb")
    assert U.gdb("init", store).rc == 0
    assert U.gdb("import", "fasta", store, "--assembly", "big", fa, "--quiet").rc == 0
    d = tmp_path / "dir"
    d.mkdir()
    seen = {}

    def failing_phase(store_, mnt, ctgs, args):
        seen["mnt"] = mnt
        seen["proc"] = mb.Mount(store_, mnt).p
        seen["listing"] = os.listdir(os.path.join(mnt, "big"))
        raise RuntimeError("the run failed mid-way")

    monkeypatch.setattr(scale, "mounted_phase", failing_phase)
    monkeypatch.setattr(scale, "load_or_import", lambda *a: {})
    monkeypatch.setattr("signal.signal", lambda *a: None)  # pytest's own SIGTERM stays
    monkeypatch.setattr(sys, "argv", ["run.py", "--store", store, "--dir", str(d), "--size", "1e6"])
    try:
        with pytest.raises(RuntimeError, match="mid-way"):
            scale.main()
        mnt = os.path.realpath(seen["mnt"])
        assert "big1.fa" in seen["listing"]
        assert not mnt.startswith(os.path.realpath(d) + os.sep), f"mounted under --dir: {mnt}"
        assert not os.path.ismount(mnt) and not os.path.exists(mnt)
        assert seen["proc"].wait(60) is not None
        assert os.listdir(d) == []
    finally:
        if "mnt" in seen and os.path.ismount(seen["mnt"]):
            subprocess.run(["fusermount3", "-u", "-z", seen["mnt"]])
        if "proc" in seen and seen["proc"].poll() is None:
            seen["proc"].kill()
            seen["proc"].wait()


def test_build_store_drops_the_page_cache_only_as_root(tmp_path, monkeypatch, capsys):
    """Not root: /proc/sys/vm/drop_caches is not even opened, and the
    output says the import read its FASTA warm; the store is built."""
    tried = []
    real_open = open

    def watched_open(path, *a, **kw):
        if str(path).startswith("/proc/sys/vm/"):
            tried.append(str(path))
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *a, **kw)

    monkeypatch.setattr(mb, "open", watched_open, raising=False)
    monkeypatch.setattr(mb.os, "geteuid", lambda: 1000)
    fa, store, size, _, _ = mb.build_store(str(tmp_path), 20000, 2)
    out = capsys.readouterr().out
    assert tried == []
    assert "page cache was not dropped" in out and "root" in out
    assert size > 20000 and U.gdb("info", store).rc == 0


sys.path.insert(0, os.path.join(U.REPO, "bench", "cache"))  # regions.py's mountbench.py
regions = _load("bench_mount_regions", "bench/mount/regions.py")


def test_regions_classifies_spells_by_their_samples():
    """A spell is together from 80% of its known samples on one CPU, apart
    up to 20%, mixed between; unknown samples (a thread gone) do not count."""
    c = regions.classify
    assert c([True] * 8 + [False] * 2) == "together"
    assert c([True] * 7 + [False] * 3) == "mixed"
    assert c([True] * 3 + [False] * 7) == "mixed"
    assert c([True] * 2 + [False] * 8) == "apart"
    assert c([True, None, None, None]) == "together"
    assert c([None, None]) == c([]) == "unknown"
    s = regions.placement_summary([([10, 20, 30], [True, True, True]),
                                   ([100, 300], [False, False]),
                                   ([50, 60], [True, False]),
                                   ([40], [True])])
    assert (s["together"], s["apart"], s["mixed"], s["unknown"]) == (2, 1, 1, 0)
    # the reads of the together spells pooled (10 20 30 40), of the apart ones
    assert s["together_median"] == 25 and s["apart_median"] == 200
    # the reads sampled together (10 20 30 50 40), apart (100 300 60)
    assert s["together_reads_median"] == 30 and s["apart_reads_median"] == 100
    assert s["share"] == 5 / 8
    assert regions.placement_summary([([1], [False])])["together_median"] is None


def test_regions_pins_each_placement(monkeypatch):
    """Together: the daemon's CPU is the reader's; apart: another one; the
    reader's CPU alternates with the spell; free pins nothing."""
    monkeypatch.setattr(regions, "ALL_CPUS", {0, 1, 2})
    t = {p: regions.Target("floor", p, None, regions.MAIN) for p in regions.PLACEMENTS}
    assert t["free"].name == "floor" and t["apart"].name == "floor, apart"
    assert t["free"].cpus(0) == (None, None)
    assert [t["together"].cpus(j) for j in range(4)] == [({0}, {0}), ({1}, {1}), ({2}, {2}), ({0}, {0})]
    assert [t["apart"].cpus(j) for j in range(4)] == [({1}, {0}), ({2}, {1}), ({0}, {2}), ({1}, {0})]


def test_regions_reads_a_tasks_cpu(tmp_path):
    """Field 39 of a stat line, whatever blanks and parentheses its name
    holds; this thread's own is one of its CPUs; a task gone is None."""
    f = tmp_path / "stat"
    rest = " ".join(str(n) for n in range(3, 60)).replace(" 39 ", " 7 ", 1)
    f.write_text(f"1234 (a) (b c) {rest}\n")
    assert regions.field39(str(f)) == 7
    assert regions.field39("/proc/thread-self/stat") in os.sched_getaffinity(0)
    assert regions.field39(str(tmp_path / "gone")) is None


def test_regions_watches_the_busiest_thread():
    """In a multithreaded daemon the serving thread is the one whose CPU
    time grew most since the last look: here a thread spinning while the
    main one sleeps."""
    import threading
    import time
    w = regions.Watch(os.getpid(), regions.BUSIEST)
    tid, started, stop = [], threading.Event(), threading.Event()

    def spin():
        tid.append(threading.get_native_id())
        started.set()
        while not stop.is_set():
            pass

    th = threading.Thread(target=spin)
    th.start()
    assert started.wait(60)
    time.sleep(0.3)
    try:
        assert w.busiest() == str(tid[0])
    finally:
        stop.set()
        th.join()
    assert w.together() in (True, False)


def test_regions_counts_the_prefetch_thread_apart():
    """The daemon CPU a read names gdb-prefetch's part (its page clearing
    for spare buffers is off the reader's path): a thread of this process
    renamed gdb-prefetch spins, and its CPU is counted in the total and as
    the prefetch thread's; with none, the column has no prefetch part."""
    import threading
    import time
    started, stop = threading.Event(), threading.Event()

    def spin():
        with open(f"/proc/self/task/{threading.get_native_id()}/comm", "w") as f:
            f.write("gdb-prefetch")
        started.set()
        while not stop.is_set():
            pass

    before = regions.daemon_cpu(os.getpid())
    th = threading.Thread(target=spin)
    th.start()
    try:
        assert started.wait(60)
        time.sleep(0.2)
        mid = regions.daemon_cpu(os.getpid())
    finally:
        stop.set()
        th.join()
    assert len(before) == 3 and before[2] == 0, before
    assert 0 < mid[2] <= mid[0], (before, mid)
    assert regions.daemon_cols({"cpu": [4e6, 30, 1e6]}, 100, False) == \
        "40.0, prefetch 10.0 | 0.3"
    assert regions.daemon_cols({"cpu": [4e6, 30, 0]}, 100, True) == \
        "40.0 (two reads) | 0.3 (two reads)"


def test_regions_mounts_the_ring_only_when_it_may(monkeypatch, tmp_path):
    """regions.py's --loop uring target: only when enable_uring exists and
    may be written, and not when --targets leaves it out; the parameter is
    put back after the run, whatever it was."""
    class A:
        targets = None
    param = tmp_path / "enable_uring"
    monkeypatch.setattr(regions, "URING_PARAM", str(param))
    monkeypatch.setattr(regions, "URING_LOCK", str(tmp_path / "lock"))
    assert not regions.uring_wanted(A())  # no such parameter
    param.write_text("N\n")
    assert regions.uring_wanted(A())
    A.targets = "floor single-threaded"
    assert not regions.uring_wanted(A())
    A.targets = "genomedb --loop uring"
    assert regions.uring_wanted(A())
    with regions.uring_on(True):
        assert param.read_text() == "Y\n"
        with open(tmp_path / "lock", "a") as other:  # the tests' lock is held
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert param.read_text() == "N\n"
    with regions.uring_on(False):
        assert param.read_text() == "N\n"


def test_regions_mounts_the_ring_floor_beside_the_ring(monkeypatch, tmp_path):
    """The ring's floor (bench/mount/floor_uring.c) is a free target
    whenever GenomeDB's ring is, named in --targets it alone switches the
    ring on, and its setup-flag variants run only when named."""
    class A:
        targets, baseline, placements, uring = None, None, "free", True
    param = tmp_path / "enable_uring"
    param.write_text("N\n")
    monkeypatch.setattr(regions, "URING_PARAM", str(param))
    names = [t.name for t in regions.make_targets(A(), "store")]
    assert "floor --loop uring" in names and "genomedb --loop uring" in names
    assert not [n for n in names if "taskrun" in n], names
    A.targets = "floor --loop uring --defer-taskrun"
    assert regions.uring_wanted(A())
    names = [t.name for t in regions.make_targets(A(), "store")]
    assert "floor --loop uring --defer-taskrun" in names, names
    assert "floor --loop uring" not in names and "genomedb --loop uring" not in names
    A.uring = False
    names = [t.name for t in regions.make_targets(A(), "store")]
    assert not [n for n in names if "uring" in n], names
    assert regions.KEYS["floor --loop uring"] == "floor_uring"


def test_regions_floor_uring_must_have_served_on_the_ring(monkeypatch):
    """A floor_uring that served nothing on the ring (a failed REGISTER
    once had the kernel serve it through /dev/fuse) or failed is no figure
    of the ring's floor: its close raises; floor.c's is not checked."""
    monkeypatch.setattr(regions.mb.Mount, "close", lambda self, timeout=120: 0.1)

    def floor(said, rc, binary=regions.FLOOR_URING):
        f = object.__new__(regions.Floor)
        f.mnt, f.p = "/m", subprocess.CompletedProcess([], rc)
        f.err = tempfile.TemporaryFile("w+") if binary == regions.FLOOR_URING else None
        if f.err:
            f.err.write(said)
        return f
    good = "floor_uring: 25 requests on the ring, 0 on /dev/fuse; setup SQE128\n"
    assert floor(good, 0).close() == 0.1
    for said, rc in ((good.replace("25", "0"), 0), (good, 1),
                     ("floor_uring: queue 1: REGISTER failed: Invalid argument; unmounting\n", 1)):
        with pytest.raises(RuntimeError, match="did not serve on the ring"):
            floor(said, rc).close()
    assert floor("", 0, binary=None).close() == 0.1


ROUNDTRIP_TRACE = """\
# tracer: nop
         python3-100     [000] .....  1000.000001: sys_enter: NR 257 (ffffff9c, 7f, 80000, 0, 0, 0)
         python3-100     [000] .....  1000.000010: fuse_request_send: connection 50 req 2 opcode 1 (FUSE_LOOKUP) len 50
         python3-100     [000] d..2.  1000.000013: sched_switch: prev_comm=python3 prev_pid=100 prev_prio=120 prev_state=D ==> next_comm=floor_uring next_pid=201 next_prio=120
           other-300     [001] .....  1000.000014: sys_enter: NR 426 (3, 1, 1, 1, 0, 8)
     floor_uring-201     [000] .....  1000.000017: sys_enter: NR 426 (3, 1, 1, 1, 0, 8)
     floor_uring-201     [000] .....  1000.000018: fuse_request_end: connection 50 req 20 len 16 error 0
     floor_uring-201     [000] .....  1000.000019: fuse_request_end: connection 50 req 2 len 144 error 0
           other-300     [001] d..2.  1000.000020: sched_switch: prev_comm=other prev_pid=300 prev_prio=120 prev_state=S ==> next_comm=python3 next_pid=1001 next_prio=120
     floor_uring-201     [000] d..2.  1000.000022: sched_switch: prev_comm=floor_uring prev_pid=201 prev_prio=120 prev_state=S ==> next_comm=python3 next_pid=100 next_prio=120
         python3-100     [000] .....  1000.000030: sys_exit: NR 257 = 3
         python3-100     [000] .....  1000.000031: fuse_request_send: connection 50 req 4 opcode 39 (FUSE_IOCTL) len 80
"""


def test_roundtrips_splits_a_request_into_its_steps():
    """bench/mount/roundtrips.py: a request's round trip from a trace: the
    server thread switched in, its reply syscall (not another process's),
    the end of this request (not of req 20), the reader (pid 100, not 1001)
    switched in; a request whose steps are not all there is counted apart."""
    rt = _load("bench_mount_roundtrips", "bench/mount/roundtrips.py")
    ev = rt.parse(ROUNDTRIP_TRACE)
    assert len(ev) == 11
    seg, ops, partial = rt.breakdown(ev, 100, {201, 202})
    assert ops == {"FUSE_LOOKUP": 1, "FUSE_IOCTL": 1} and partial == 1
    got = {k: [round(x) for x in v] for k, v in seg["FUSE_LOOKUP"].items()}
    assert got == {"send -> server in": [3], "server in -> reply call": [4],
                   "reply call -> end": [2], "end -> reader in": [3],
                   "send -> reader back": [12]}
    assert {k: [round(x) for x in v] for k, v in rt.syscalls(ev, 100).items()} == {257: [29]}


RING_TRACE = """\
         python3-100     [000] .....  1000.000010: fuse_request_send: connection 50 req 2 opcode 1 (FUSE_LOOKUP) len 50
     floor_uring-202     [001] d..2.  1000.000011: sched_switch: prev_comm=x prev_pid=0 prev_prio=120 prev_state=S ==> next_comm=floor-ring1 next_pid=202 next_prio=120
     floor_uring-202     [001] .....  1000.000012: sys_enter: NR 426 (4, 1, 1, 1, 0, 8)
         python3-100     [000] d..2.  1000.000013: sched_switch: prev_comm=python3 prev_pid=100 prev_prio=120 prev_state=D ==> next_comm=floor-ring0 next_pid=201 next_prio=120
     floor_uring-201     [000] .....  1000.000017: sys_enter: NR 426 (3, 1, 1, 1, 0, 8)
     floor_uring-201     [000] .....  1000.000019: fuse_request_end: connection 50 req 2 len 144 error 0
     floor_uring-201     [000] d..2.  1000.000022: sched_switch: prev_comm=floor-ring0 prev_pid=201 prev_prio=120 prev_state=S ==> next_comm=python3 next_pid=100 next_prio=120
"""


def test_roundtrips_on_the_ring_takes_the_senders_cpus_queue():
    """On the ring the request goes to the queue of the CPU it was sent
    from: the other CPU's queue thread switched in first (and its own
    io_uring_enter) is not this request's server."""
    rt = _load("bench_mount_roundtrips", "bench/mount/roundtrips.py")
    ev = rt.parse(RING_TRACE)

    def steps(same_cpu):
        seg, _, partial = rt.breakdown(ev, 100, {201, 202}, same_cpu)
        assert partial == 0
        return [round(seg["FUSE_LOOKUP"][k][0]) for k in rt.SEGMENTS]
    assert steps(True) == [3, 4, 2, 3, 12]
    assert steps(False) == [1, 1, 7, 3, 12]  # /dev/fuse: any thread, any CPU
