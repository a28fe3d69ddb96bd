"""--loop uring: FUSE over io_uring (fs/daemon/uring.c, issue 16).

The kernel serves requests through the ring only while the fuse module's
enable_uring parameter is Y: each test sets it (as root) and puts back what
it found in a finalizer. The same store is mounted with the ring and with
the split loop; every file read through the ring must equal the split
loop's bytes and an independent peer (pysam/htslib), and the ring must
have served (ring_requests, the queue threads' wake-ups)."""
import concurrent.futures
import errno
import fcntl
import gzip
import json
import os
import signal
import subprocess
import time

import pysam
import pytest

import gdbutil as U

PARAM = "/sys/module/fuse/parameters/enable_uring"
# One test run at a time touches the parameter (it is the machine's).
PARAM_LOCK = "/tmp/genomedb-enable-uring.lock"


@pytest.fixture
def uring_on(request):
    """enable_uring set to Y for the test, restored after it."""
    if not os.path.exists(PARAM):
        pytest.skip(f"{PARAM} missing: this kernel has no FUSE over io_uring")
    if not os.access(PARAM, os.W_OK):
        pytest.skip(f"{PARAM} is not writable (not root): the ring cannot be switched on")
    lock = open(PARAM_LOCK, "a")
    deadline = time.monotonic() + 300  # another run's uring tests
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                lock.close()
                pytest.fail(f"{PARAM_LOCK} held for 300 s by another run")
            time.sleep(0.1)
    with open(PARAM) as f:
        saved = f.read().strip()

    def restore():
        try:
            with open(PARAM, "w") as f:
                f.write(saved + "\n")
        finally:
            lock.close()  # and its lock

    request.addfinalizer(restore)
    with open(PARAM, "w") as f:
        f.write("Y\n")
    return saved


def _stats(m):
    with open(m.p(".gdb", "stats.json")) as f:
        return json.load(f)


def _ring_threads(pid):
    """{name: tid} of the daemon's queue threads (gdb-ring<cpu>, and
    gdb-ringslow<cpu> once that queue handed a slow request on)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
        except FileNotFoundError:
            continue
        if name.startswith("gdb-ring"):
            out[name] = int(tid)
    return out


def _possible_cpus():
    """The kernel's queues: one per possible CPU (cpu/possible, e.g. 0-1)."""
    n = 0
    with open("/sys/devices/system/cpu/possible") as f:
        for part in f.read().strip().split(","):
            lo, _, hi = part.partition("-")
            n = max(n, int(hi or lo) + 1)
    return n


def _wakeups(pid, tid):
    with open(f"/proc/{pid}/task/{tid}/status") as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])
    raise AssertionError("no voluntary_ctxt_switches")


def _files(m, g, rec, regions):
    """Every kind of file the test compares: small regions (.fa, .seq,
    .rc.fa), streaming reads larger than the split loop's inline limit
    (.seq from borrowed blocks, .fa rendered),
    the assembly's .fai and .dict, a contig's .fa.fai, listings, and a
    rendered answer (compute/gc)."""
    big_end = min(rec.length, 400000)
    out = {}
    for n, s, e in regions:
        for ext in ("fa", "seq", "rc.fa"):
            out[(n, s, e, ext)] = U.read_file(m.p(g.asm, U.esc(n), f"{s}-{e}.{ext}"))
    out["big"] = U.read_file(m.p(g.asm, U.esc(rec.name), f"1-{big_end}.seq"))
    # rendered (line breaks) into the reply buffer, which through the ring
    # is the entry's payload itself, on a queue's slow thread
    out["big-fa"] = U.read_file(m.p(g.asm, U.esc(rec.name), f"1-{big_end}.fa"))
    out["fai"] = U.read_file(m.p(g.asm, g.asm + ".fa.fai"))
    out["dict"] = U.read_file(m.p(g.asm, g.asm + ".dict"))
    out["contig-fai"] = U.read_file(m.p(g.asm, U.esc(rec.name) + ".fa.fai"))
    out["ls-root"] = sorted(os.listdir(m.path))
    out["ls-asm"] = sorted(os.listdir(m.p(g.asm)))
    out["gc"] = U.read_file(m.p("compute", "gc", g.asm, U.esc(rec.name), f"1-{big_end}@w=1000.tsv"))
    for n, s, e in regions[:10]:
        for ext in ("fa", "u8"):  # read: GETATTR's attr_out; new: LOOKUP's entry_out
            st = os.stat(m.p(g.asm, U.esc(n), f"{s}-{e}.{ext}"))
            out[(n, s, e, ext, "stat")] = (st.st_size, st.st_mode, st.st_nlink, st.st_ino > 1)
    return out


def _inbox_round_trip(m):
    """CREATE, WRITEs carrying data (the ring's payload after the op's
    header), SETATTR, READ back, UNLINK in the queries inbox.
    @return None, or what went wrong"""
    p = m.p("compute", "queries", "uring.fa")
    data = b"".join(b">q%d\n%s\n" % (i, b"ACGT" * (i % 97 + 1)) for i in range(3000))
    with open(p, "wb") as f:
        f.write(data)  # several 128 KiB WRITEs
    with open(p, "ab") as f:
        f.write(b">tail\nGG\n")
    os.truncate(p, len(data) + 6)
    got = U.read_file(p)
    os.unlink(p)
    want = data + b">tail\n"
    if got != want:
        return f"inbox file: {U.first_diff(got, want)}"
    if os.path.exists(p):
        return "inbox file left after unlink"
    return None


def test_uring_serves_the_same_bytes(store, genomes, workdir, uring_on):
    """Regions (and their stat), a >64 KiB streaming read, .fai/.dict,
    listings and a rendered answer read through the ring equal the split
    loop's and pysam's; a file written into an inbox reads back; the ring
    served them (ring_requests > 0, 0 for the split
    loop); the daemon unmounts cleanly."""
    U.require_fuse()
    store.require("ecoli")
    g = genomes["ecoli"]
    rec = max(g.records, key=lambda r: r.length)
    regions = U.random_regions(g, 40, seed=16)
    with U.mounted(store.path, workdir, name="uring-split") as split:
        want = _files(split, g, rec, regions)
        assert _stats(split)["ring_requests"] == 0
    m = U.Mount(store.path, os.path.join(str(workdir), "uring"), os.path.join(str(workdir), "uring.log"),
                ["--loop", "uring"])
    m.start()
    try:
        before = _stats(m)["ring_requests"]
        got = _files(m, g, rec, regions)
        # the peer: htslib reading the mounted assembly through its .fai
        fa = pysam.FastaFile(m.p(g.asm, g.asm + ".fa"))
        try:
            peer = [fa.fetch(n, s - 1, e).encode() for n, s, e in regions]
        finally:
            fa.close()
        inbox = _inbox_round_trip(m)
        served = _stats(m)["ring_requests"] - before
        threads = _ring_threads(m.proc.pid)
        alive = m.alive()
    finally:
        rc = m.stop()
    log = m.log_text()
    U.check_sanitizer(log, "genomedb mount --loop uring")
    assert alive, log[-4000:]
    bad = [k for k in want if got[k] != want[k]]
    assert not bad, f"{len(bad)} files differ from the split loop's: {bad[:5]}"
    for (n, s, e), p in zip(regions, peer):
        assert got[(n, s, e, "seq")] == g.fetch(n, s, e), (n, s, e)
        assert p == g.fetch(n, s, e), (n, s, e)
    assert got["big"] == rec.seq[:len(got["big"])] and len(got["big"]) > 65536
    recs, well_formed = U.parse_fasta(got["big-fa"])
    assert well_formed and len(recs) == 1 and len(got["big-fa"]) > 65536
    assert recs[0].seq == rec.seq[:len(got["big"])]
    assert inbox is None, inbox
    # the render, the streaming read and the writes went to a queue's
    # slow threads, as the split loop hands them to its workers
    assert any(t.startswith("gdb-ringslow") for t in threads), threads
    assert served >= 3 * len(regions), served
    assert rc == 0, log[-4000:]
    assert "--loop uring" not in log, log[-4000:]


def test_uring_readers_on_every_cpu(store, genomes, workdir, uring_on):
    """Readers pinned to each CPU at once: each CPU's queue thread serves
    (it wakes for its readers' requests) and every byte is right."""
    U.require_fuse()
    store.require("gen")
    g = genomes["gen"]
    cpus = sorted(os.sched_getaffinity(0))
    regions = U.random_regions(g, 120, seed=61)
    expected = [g.fetch(n, s, e) for n, s, e in regions]
    with U.mounted(store.path, workdir, args=("--loop", "uring"), name="uring-cpus") as m:
        threads = {k: v for k, v in _ring_threads(m.proc.pid).items()
                   if not k.startswith("gdb-ringslow")}
        assert sorted(threads) == sorted(f"gdb-ring{c}" for c in range(_possible_cpus())), threads
        for c in cpus:  # each queue's thread runs on its queue's CPU
            assert os.sched_getaffinity(threads[f"gdb-ring{c}"]) == {c}
        woke = {c: _wakeups(m.proc.pid, threads[f"gdb-ring{c}"]) for c in cpus}

        def reader(cpu):
            os.sched_setaffinity(0, {cpu})  # this thread only
            bad = []
            for i, (n, s, e) in enumerate(regions):
                if i % len(cpus) == cpus.index(cpu):
                    p = m.p(g.asm, U.esc(n), f"{s}-{e}.seq")
                    if U.read_file(p) != expected[i]:
                        bad.append((n, s, e))
            return bad

        with concurrent.futures.ThreadPoolExecutor(len(cpus)) as ex:
            bad = sum(ex.map(reader, cpus), [])
        woke = {c: _wakeups(m.proc.pid, threads[f"gdb-ring{c}"]) - woke[c] for c in cpus}
        served = _stats(m)["ring_requests"]
    assert not bad, bad[:5]
    per_cpu = len(regions) // len(cpus)
    for c in cpus:
        assert woke[c] >= per_cpu, f"queue {c} woke {woke[c]} times for {per_cpu} reads: {woke}"
    assert served >= 2 * len(regions), served
    assert m.proc.returncode == 0, m.log_text()[-4000:]


def test_uring_falls_back_when_init_does_not_offer(store, genomes, workdir, uring_on, monkeypatch):
    """Mounted, but INIT not offering the ring (as when enable_uring goes N
    between the mount's check and INIT; the test knob
    GDB_URING_DEAF_AT_INIT makes the daemon take INIT so): a warning, and
    every request served through /dev/fuse by the split loop."""
    U.require_fuse()
    store.require("gen")
    g = genomes["gen"]
    regions = U.random_regions(g, 30, seed=7)
    monkeypatch.setenv("GDB_URING_DEAF_AT_INIT", "1")
    with U.mounted(store.path, workdir, args=("--loop", "uring"), name="uring-deaf") as m:
        bad = [(n, s, e) for n, s, e in regions
               if U.read_file(m.p(g.asm, U.esc(n), f"{s}-{e}.seq")) != g.fetch(n, s, e)]
        served = _stats(m)["ring_requests"]
        threads = _ring_threads(m.proc.pid)
    assert not bad, bad[:5]
    assert served == 0
    assert not any(t.startswith("gdb-ringslow") for t in threads), threads
    assert "did not offer FUSE over io_uring at INIT" in m.log_text(), m.log_text()[-2000:]
    assert m.proc.returncode == 0, m.log_text()[-4000:]


def test_uring_refused_when_off(store, workdir, uring_on):
    """With enable_uring N the mount fails before mounting and says which
    parameter to set, and how."""
    U.require_fuse()
    with open(PARAM, "w") as f:
        f.write("N\n")
    mnt = os.path.join(str(workdir), "uring-off")
    os.makedirs(mnt, exist_ok=True)
    try:
        r = subprocess.run([U.BINARY, "mount", str(store.path), mnt, "-f", "--loop", "uring"],
                           capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        subprocess.run(["fusermount3", "-u", "-z", mnt], capture_output=True)
        pytest.fail("genomedb mount --loop uring served with enable_uring N")
    assert r.returncode != 0
    assert not os.path.ismount(mnt)
    assert PARAM in r.stderr and "echo Y" in r.stderr and "--loop split" in r.stderr, r.stderr


def test_uring_live_refresh(tmp_path, uring_on):
    """A refresh through the ring: `genomedb ctl refresh` (an IOCTL on the
    root, handed to a queue's slow thread) invalidates the kernel's
    entries through /dev/fuse while that request is still open; a dropped
    assembly is then ENOENT and a new one appears by itself."""
    U.require_fuse()
    st = str(tmp_path / "st")
    assert U.gdb("init", st).rc == 0
    chrm = os.path.join(U.REPO, "tests", "data", "human_hg38_chrM.fa")
    assert U.gdb("import", "fasta", st, "--assembly", "chrM", chrm, "--quiet").rc == 0
    lam = tmp_path / "lambda.fa"
    lam.write_bytes(gzip.open(os.path.join(U.REPO, "tests", "data", "phage_lambda_NC_001416.fa.gz")).read())
    with U.mounted(st, tmp_path, args=("--loop", "uring"), name="uring-live") as m:
        want = U.parse_fasta(open(chrm, "rb").read())[0][0].seq
        assert U.parse_fasta(U.read_file(m.p("chrM", "chrM.fa")))[0][0].seq == want
        assert U.gdb("drop", st, "chrM").rc == 0
        r = U.gdb("ctl", m.path, "refresh")
        assert r.rc == 0, r
        U.expect_errno(lambda: os.stat(m.p("chrM", "chrM.fa")), (errno.ENOENT,))
        assert U.gdb("import", "fasta", st, "--assembly", "lambda", str(lam), "--quiet").rc == 0
        deadline = time.monotonic() + 30
        while not os.path.exists(m.p("lambda")):
            assert time.monotonic() < deadline, "the new assembly did not appear"
            time.sleep(0.05)
        got = U.parse_fasta(U.read_file(m.p("lambda", "lambda.fa")))[0]
        assert [x.seq for x in got] == [x.seq for x in U.parse_fasta(lam.read_bytes())[0]]
        served = _stats(m)["ring_requests"]
        slow = [t for t in _ring_threads(m.proc.pid) if t.startswith("gdb-ringslow")]
    assert served > 0
    assert slow, "ctl refresh's IOCTL was not handed on by a queue thread"
    assert m.proc.returncode == 0, m.log_text()[-4000:]


def test_uring_stops_on_sigterm(store, genomes, workdir, uring_on):
    """SIGTERM while serving through the ring (slow requests among the
    reads): every queue thread stops, the mount goes away and the daemon
    exits by itself."""
    U.require_fuse()
    store.require("gen")
    g = genomes["gen"]
    regions = U.random_regions(g, 20, seed=5)
    m = U.Mount(store.path, os.path.join(str(workdir), "uring-term"),
                os.path.join(str(workdir), "uring-term.log"), ["--loop", "uring"])
    m.start()
    try:
        for n, s, e in regions:
            assert U.read_file(m.p(g.asm, U.esc(n), f"{s}-{e}.seq")) == g.fetch(n, s, e)
        n, s, e = regions[0]
        U.read_file(m.p("compute", "gc", g.asm, U.esc(n), f"{s}-{e}@w=100.tsv"))
        os.kill(m.proc.pid, signal.SIGTERM)
        try:
            rc = m.proc.wait(15)
        except subprocess.TimeoutExpired:
            rc = "hung"
    finally:
        m.stop()
    log = m.log_text()
    U.check_sanitizer(log, "genomedb mount --loop uring")
    assert rc == 0, (rc, log[-4000:])
    assert not os.path.ismount(m.path)


def test_uring_refresh_beside_lookups_on_its_cpu(tmp_path, uring_on):
    """`ctl refresh` (a control line that waits for the live thread's
    invalidations) while a reader on the same CPU looks up new names in a
    namespace directory (slow requests too): an invalidation waits for
    such a lookup, so were the refresh to hold the only thread serving
    that CPU's slow requests, or the lookup be left to a thread already
    signalled for the refresh, the two would wait on each other until the
    refresh gives up (30 s). Every refresh must end long before that."""
    _refresh_beside_lookups(tmp_path, ("--loop", "uring"))


def test_split_refresh_beside_lookups(tmp_path):
    """The same with the split loop (loop.c's hand_off counts its queued
    jobs as uring.c does). Its reading thread takes every request, so the
    race the uring test catches is rare here: this one guards the path
    (a refresh beside lookups ends) more than the accounting."""
    _refresh_beside_lookups(tmp_path, ())


def _refresh_beside_lookups(tmp_path, args):
    U.require_fuse()
    st = str(tmp_path / "st")
    assert U.gdb("init", st).rc == 0
    chrm = os.path.join(U.REPO, "tests", "data", "human_hg38_chrM.fa")
    assert U.gdb("import", "fasta", st, "--assembly", "chrM", chrm, "--quiet").rc == 0
    cpu = min(os.sched_getaffinity(0))
    with U.mounted(st, tmp_path, args=args, name="refresh-lookups") as m:
        stop = []

        def lookups():
            os.sched_setaffinity(0, {cpu})
            i = 0
            while not stop:
                i += 1
                try:
                    os.stat(m.p("compute", "gc", "chrM", "chrM", f"{1 + i % 9000}-{1000 + i % 9000}.tsv"))
                except OSError:
                    pass
            return i

        slowest = 0.0
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            fut = ex.submit(lookups)
            try:
                for k in range(30):
                    assert U.gdb("import", "fasta", st, "--assembly", f"a{k}", chrm, "--quiet").rc == 0
                    t0 = time.monotonic()
                    r = subprocess.run(["taskset", "-c", str(cpu), U.BINARY, "ctl", m.path, "refresh"],
                                       capture_output=True, text=True, timeout=60)
                    took = time.monotonic() - t0
                    slowest = max(slowest, took)
                    assert r.returncode == 0, r.stderr
                    # a hang bound, not a speed figure: a refresh takes
                    # milliseconds, the wait it must not fall into is the
                    # live thread's 30 s
                    assert took < 20, f"refresh {k} took {took:.1f} s"
            finally:
                stop.append(1)
            n = fut.result()
        assert os.path.exists(m.p("a29"))
    assert n > 0
