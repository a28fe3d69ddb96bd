"""The ring's and the loop's error paths (fs/daemon/uring.c, loop.c).

Each test runs `genomedb mount` under tests/helpers/sysfail.c, which fails
chosen system calls (a seccomp filter whose listener answers each call:
run it, or fail it with an errno), so no test hook is needed in the
daemon. Calls are counted over the whole process. With --prefetch off the
daemon's calls come in these phases (checked with strace); the queue
threads make their rings and probes at once, so within a phase which
queue makes which call varies, and the tests count totals only:
  io_uring_setup: 1 the check before mounting, 2 the cache's prefetch
                  ring, 3..nq+2 the queues' (one queue a possible CPU);
  io_uring_enter: 1..nq the queues' probes (a NOP each), nq+1..2nq their
                  registrations (each returns with its queue's first
                  request), then commits;
  eventfd2:       one a queue (made in turn by the main thread);
  clone3:         (pthread_create) 1 the prefetch thread (it starts
                  with --prefetch off too, and never enters its ring
                  then); with --loop uring 2..nq+1 the queue threads, then
                  the refresh thread, then slow threads; with --loop split
                  the refresh thread, then readers 1.., then workers.
The counts rest on: liburing 2.3 making exactly one io_uring_enter per
io_uring_submit_and_wait and none in io_uring_queue_init_params or in a
peek that finds a CQE (with the rings SINGLE_ISSUER | DEFER_TASKRUN too:
no TASKRUN_FLAG, so a peek never enters); glibc >= 2.34 starting threads
with clone3; --prefetch off (no prefetch reads through its ring); and the
number of queues being the possible CPUs (_possible_cpus).
The tests that mount and serve compare what they read with a peer mount
of the same store (the split loop, no failure) and check the log line a
user would need; the refused check and the mount-ending tests check the
log, the exit code, the error a reader gets and that no mount is left.
None may hang: reads that wait for a broken ring fail the test after
60 s (then the daemon is killed)."""
import concurrent.futures
import errno
import functools
import os
import signal
import subprocess
import time

import pytest

import gdbutil as U
from test_mount_uring import _possible_cpus, _ring_threads, _stats, uring_on  # noqa: F401

SYSFAIL = os.path.join(U.BUILD, "tests", "sysfail")
CHRM = os.path.join(U.REPO, "tests", "data", "human_hg38_chrM.fa")
GC = ("compute", "gc", "chrM", "chrM", "1-9000@w=100.tsv")  # rendered: a slow request


@functools.lru_cache(maxsize=None)
def _sysfail_refused():
    """Why the kernel refuses sysfail's filter here (None: it does not),
    e.g. EBUSY when this run is itself under a seccomp listener. Any other
    failure of sysfail is left to fail the tests."""
    r = subprocess.run([SYSFAIL, "eventfd2:EMFILE:1", "--", "true"], capture_output=True, text=True, timeout=30)
    return r.stderr.strip() if "sysfail: seccomp:" in r.stderr else None


@pytest.fixture(autouse=True)
def sysfail_usable():
    why = _sysfail_refused()
    if why:
        pytest.skip(f"sysfail cannot filter here: {why}")


@pytest.fixture
def chrm(tmp_path):
    """A store with chrM, and what a mount of it without failures reads."""
    U.require_fuse()
    if os.geteuid() != 0:  # sysfail sets no_new_privs
        pytest.skip("not root: under sysfail's no_new_privs the setuid fusermount3 could not mount")
    st = str(tmp_path / "st")
    assert U.gdb("init", st).rc == 0
    assert U.gdb("import", "fasta", st, "--assembly", "chrM", CHRM, "--quiet").rc == 0
    with U.mounted(st, tmp_path, name="peer") as m:
        want = _reads(m)
    assert want["fa"].startswith(b">chrM\n") and len(want["gc"]) > 1000
    return st, want


def _reads(m):
    return {"fa": U.read_file(m.p("chrM", "chrM.fa")),
            "seq": U.read_file(m.p("chrM", "chrM", "100-2000.seq")),
            "gc": U.read_file(m.p(*GC)),
            "ls": sorted(os.listdir(m.p("chrM")))}


def _reads_n(m, n):
    return [_reads(m) for _ in range(n)]


def _mount(st, tmp_path, name, specs, args=("--loop", "uring")):
    return U.Mount(st, tmp_path / name, tmp_path / (name + ".log"), [*args, "--prefetch", "off"],
                   wrap=[SYSFAIL, "-v", *specs, "--"])


def _within(m, fn, seconds=60):
    """fn() in a thread; a hang (requests held for a ring nobody serves:
    even the stat of the mountpoint in m.start waits) kills the daemon,
    which frees the waiting requests, and fails the test."""
    ex = concurrent.futures.ThreadPoolExecutor(1)
    fut = ex.submit(fn)
    try:
        return fut.result(seconds)
    except concurrent.futures.TimeoutError:
        m.kill()
        pytest.fail(f"hung: no answer in {seconds} s\n" + m.log_text()[-3000:])
    finally:
        ex.shutdown(wait=False)  # a read still stuck must not block the test


def _serve(m, n=1):
    """Mount, read everything n times (a hang fails the test), look at
    stats.json and the ring's threads, unmount.
    @return the reads, stats, threads, exit code and log"""
    try:
        got = _within(m, lambda: _reads_n(m.start(), n))
        stats = _stats(m)
        threads = _ring_threads(m.proc.pid)
    finally:
        rc = m.stop()
    log = m.log_text()
    U.check_sanitizer(log, "genomedb mount")
    return got, stats, threads, rc, log


def _served_through_dev_fuse(st, tmp_path, want, name, specs, *lines):
    """Mounted; the ring not used (every request through /dev/fuse, the
    same bytes), the log saying why; the daemon exits 0."""
    got, stats, threads, rc, log = _serve(_mount(st, tmp_path, name, specs))
    served = stats["ring_requests"]
    assert got == [want]
    assert served == 0, log[-3000:]
    assert not threads, threads  # every queue thread gone
    assert "sysfail: call" in log, log[-3000:]  # the failure did happen
    for line in (*lines, "no ring ("):
        assert line in log, (line, log[-3000:])
    assert rc == 0, log[-3000:]


def test_uring_check_refused_by_io_uring_setup(chrm, tmp_path, uring_on):
    """io_uring refused (as with kernel.io_uring_disabled, or a seccomp
    profile): the mount fails before mounting, saying so and naming
    --loop split."""
    st, _ = chrm
    mnt = tmp_path / "refused"
    mnt.mkdir()
    try:
        r = subprocess.run([SYSFAIL, "io_uring_setup:EPERM:1:0", "--", U.BINARY, "mount", st, str(mnt),
                            "-f", "--loop", "uring"], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        subprocess.run(["fusermount3", "-u", "-z", str(mnt)], capture_output=True)
        pytest.fail("mounted with io_uring refused")
    assert r.returncode != 0
    assert not os.path.ismount(mnt)
    assert "io_uring refused (Operation not permitted" in r.stderr and "--loop split" in r.stderr, r.stderr


def test_uring_queue_ring_not_made(chrm, tmp_path, uring_on):
    """A queue's ring that cannot be made (its io_uring_setup fails after
    the check's succeeded): logged with the queue and the call; the mount
    serves through /dev/fuse. (Before: only "the ring's threads did not
    start (Operation not supported)".)"""
    st, want = chrm
    last = 2 + _possible_cpus()  # the last queue's ring
    _served_through_dev_fuse(st, tmp_path, want, "ring-setup", [f"io_uring_setup:EPERM:{last}"],
                             ": io_uring_setup: Operation not permitted")


def test_uring_queue_ring_not_entered(chrm, tmp_path, uring_on):
    """Rings that are made but cannot be entered: found by each queue's
    probe before INIT is answered, so the mount serves through /dev/fuse.
    (Before: the INIT reply asked for the ring, no queue could register,
    and the kernel held every request of the mount: reads hung.)"""
    st, want = chrm
    _served_through_dev_fuse(st, tmp_path, want, "ring-enter", ["io_uring_enter:EPERM:1:0"],
                             ": io_uring_enter: Operation not permitted")


def test_uring_queue_eventfd_fails(chrm, tmp_path, uring_on):
    """A queue's eventfd not had (EMFILE): logged with the queue; /dev/fuse
    serves; the queue threads already started are stopped and joined."""
    st, want = chrm
    last = _possible_cpus()
    _served_through_dev_fuse(st, tmp_path, want, "evfd", [f"eventfd2:EMFILE:{last}"],
                             f"queue {last - 1}: eventfd: Too many open files")


def test_uring_queue_thread_not_started(chrm, tmp_path, uring_on):
    """A queue's thread that cannot start (pthread_create: EAGAIN):
    logged with the queue; /dev/fuse serves; the others are joined."""
    st, want = chrm
    nq = _possible_cpus()
    _served_through_dev_fuse(st, tmp_path, want, "qthread", [f"clone3:EAGAIN:{nq + 1}"],
                             f"queue {nq - 1}: its thread did not start: Resource temporarily unavailable")


def test_uring_enter_retried_when_busy(chrm, tmp_path, uring_on):
    """io_uring_enter's EAGAIN while registering and serving (the kernel
    short of resources for a moment) is tried again: the ring serves
    and the mount lives. (Before: the queue thread logged and returned,
    and every request of the mount waited for its registration.)"""
    st, want = chrm
    nq = _possible_cpus()
    got, stats, _, rc, log = _serve(_mount(st, tmp_path, "busy", [f"io_uring_enter:EAGAIN:{nq + 1}:6"]))
    assert "sysfail: call" in log, log[-3000:]
    assert got == [want], log[-3000:]
    assert stats["ring_requests"] > 0, log[-3000:]
    assert "ending the mount" not in log and rc == 0, log[-3000:]


def _in_mountinfo(path):
    """Mounted? (without a request to the mount, which may not answer)"""
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


def _read_errno(m):
    try:
        U.read_file(m.p("chrM", "chrM.fa"))
    except OSError as e:
        return e.errno
    return None


def _sigterm(how):
    """preexec_fn: the daemon started with SIGTERM ignored or blocked (as
    a service manager or shell may leave it): libfuse then installs no
    handler of its own, or its handler never runs."""
    if how == "ignored":
        return lambda: signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if how == "blocked":
        return lambda: signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    return None


def _until_ended(m, sigterm, act=None, wait=60):
    """Start m with SIGTERM as sigterm says, wait for the mount, run act()
    (if any; a hang fails the test), then wait up to `wait` s for the
    daemon to end by itself.
    @return its exit code ("running" if it did not end), act's result,
    whether it left its mount behind, and the log"""
    os.makedirs(m.path)
    got, rc = "not run", "running"
    with open(m.log_path, "ab") as logf:
        m.proc = subprocess.Popen([*m.wrap, U.BINARY, "mount", m.store_dir, m.path, "-f", *m.args],
                                  stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                  preexec_fn=_sigterm(sigterm))
        try:
            deadline = time.monotonic() + 60
            while m.proc.poll() is None and not _in_mountinfo(m.path) and time.monotonic() < deadline:
                time.sleep(0.02)
            if act:
                got = _within(m, act)
            rc = m.proc.wait(wait)
        except subprocess.TimeoutExpired:
            pass
        finally:
            # what the daemon left, looked at before any clean-up of ours
            left = rc != "running" and _in_mountinfo(m.path)
            m.kill()  # if still running; and the mount, lazily
            m.proc.wait()
    log = m.log_text()
    U.check_sanitizer(log, "genomedb mount")
    return rc, got, left, log


@pytest.mark.parametrize("when,sigterm", [("registering", "default"), ("serving", "default"),
                                          ("serving", "ignored"), ("serving", "blocked")])
def test_uring_enter_failing_ends_the_mount(chrm, tmp_path, uring_on, when, sigterm):
    """io_uring_enter failing for good once the INIT reply asked for the
    ring: while the queues register (nothing read yet), or at the first
    commit of a reader's request. The kernel holds the requests for the
    queue, so the mount ends, logged, rather than leave its readers
    waiting for good: the reader waiting gets an error, the daemon exits
    non-zero and leaves no mount behind. (Before: the queue threads
    logged and returned, the daemon served on and the reads hung.) The
    daemon's main thread is woken by a signal of the daemon's own, so
    this holds with SIGTERM inherited ignored or blocked too (before:
    libfuse's SIGTERM was used, and then the reads hung)."""
    st, _ = chrm
    nq = _possible_cpus()
    # enters 1..nq: the probes; nq+1..2nq: the registrations, each
    # returning with its queue's first request
    first = nq + 1 if when == "registering" else 2 * nq + 1
    m = _mount(st, tmp_path, f"broken-{when}-{sigterm}", [f"io_uring_enter:EPERM:{first}:0"])
    rc, err, left, log = _until_ended(m, sigterm, (lambda: _read_errno(m)) if when == "serving" else None)
    assert rc not in (0, "running"), (rc, log[-3000:])
    assert "io_uring_enter: Operation not permitted: the requests of CPU" in log, log[-3000:]
    assert "ending the mount" in log, log[-3000:]
    # the daemon's last words name the cause, not a bare EIO
    assert log.rstrip().endswith("a queue's ring could not be entered: the mount ended"), log[-3000:]
    if when == "serving":
        # the read is in flight when its commit fails: the connection's
        # abort ends it with ECONNABORTED (a request made after the end
        # would get ENOTCONN; none is made here)
        assert err == errno.ECONNABORTED, (err, log[-3000:])
    assert not left, "the mount was left behind"


def test_uring_slow_thread_not_started(chrm, tmp_path, uring_on):
    """No slow thread can start (pthread_create: EAGAIN from the first
    one on): the queue thread serves its slow requests itself (a
    rendered answer, the same bytes), and says so once. (Before: the
    same service, silently.)"""
    st, want = chrm
    first = _possible_cpus() + 3  # the prefetch, queue and refresh threads start
    got, stats, threads, rc, log = _serve(_mount(st, tmp_path, "slow", [f"clone3:EAGAIN:{first}:0"]), 3)
    assert got == [want] * 3
    assert stats["ring_requests"] > 0
    assert not any(t.startswith("gdb-ringslow") for t in threads), threads
    line = "a slow thread did not start (Resource temporarily unavailable): " \
           "its slow requests are served on the queue's thread"
    assert line in log, log[-3000:]
    assert log.count("a slow thread did not start") <= _possible_cpus(), log[-3000:]  # once a queue
    assert rc == 0, log[-3000:]


def test_split_reader_and_worker_not_started(chrm, tmp_path):
    """The split loop with --readers 2 where no thread can start after the
    refresh thread: one reading thread (logged), and slow requests served
    on it, logged once. (Before: the worker's failure was silent.)"""
    st, want = chrm
    got, stats, _, rc, log = _serve(_mount(st, tmp_path, "split", ["clone3:EAGAIN:3:0"], args=("--readers", "2")), 3)
    nreaders = len(stats["reader_requests"])
    assert got == [want] * 3
    assert "1 of 2 reading threads: Resource temporarily unavailable" in log, log[-3000:]
    line = "a worker thread did not start (Resource temporarily unavailable): " \
           "slow requests are served on the reading thread"
    assert log.count(line) == 1, log[-3000:]
    assert nreaders == 1, nreaders
    assert rc == 0, log[-3000:]


READ_OR_POLL = {"0", "7", "271"}  # x86_64 read, poll, ppoll


def _readers_waiting(m, timeout=3):
    """Wait (at most timeout s) until the main thread and the extra reader
    both sleep in their read (or, spinning, their poll) of /dev/fuse: each
    /proc/<pid>/task/<tid>/syscall names read or poll and its wchan is not
    seccomp's (sysfail's decider has let the call go on). Returns early if
    the daemon ends."""
    pid, deadline = m.proc.pid, time.monotonic() + timeout
    while m.proc.poll() is None and time.monotonic() < deadline:
        waiting = 0
        try:
            for t in os.listdir(f"/proc/{pid}/task"):
                d = f"/proc/{pid}/task/{t}"
                with open(d + "/comm") as f:
                    comm = f.read().strip()
                if int(t) != pid and comm != "gdb-reader":
                    continue
                with open(d + "/syscall") as f:
                    nr = f.read().split(" ", 1)[0]
                with open(d + "/wchan") as f:
                    wchan = f.read()
                waiting += nr in READ_OR_POLL and "seccomp" not in wchan and wchan not in ("", "0")
        except OSError:
            return
        if waiting == 2:
            return
        time.sleep(0.01)


def _lookups_until(m, line, n=100):
    """stat new names one at a time, each one request (a LOOKUP: the
    directories first, then names in the cached one), the next only once
    both readers sleep in their read again (so that it is not a new
    request that ends a reader's wait by itself), until the log says line,
    or the mount ends (a stat fails), at most n.
    @return how many answered"""
    names = [m.p("chrM"), m.p("chrM", "chrM")] + [m.p("chrM", "chrM", f"{i}-{i + 1}.seq") for i in range(1, n)]
    for i, name in enumerate(names):
        _readers_waiting(m)
        if line in m.log_text():
            return i
        try:
            os.stat(name)
        except OSError:
            return i
    return len(names)


@pytest.mark.parametrize("sigterm", ["default", "ignored", "blocked"])
@pytest.mark.parametrize("reader", ["extra", "first", "extra-spin"])
def test_split_reader_read_failing_ends_the_mount(chrm, tmp_path, reader, sigterm):
    """--readers 2: a read of /dev/fuse failing with EIO (libfuse passes
    it up) on either reading thread ends the mount: logged, the daemon
    exits non-zero and leaves no mount, with SIGTERM inherited ignored or
    blocked too. The failing read is the chosen thread's third (sysfail's
    fd= and comm=: the extra reader is gdb-reader, the first the main
    thread), so it has served one of the test's requests (INIT was at
    most one) and the other reader waits in its read of /dev/fuse; no
    request is made after the failure, so only the wake-up can end that
    wait. When the extra reader fails, the first
    is woken by the daemon's own signal (wake.c), sent until it has left
    its loop. (Before: one SIGTERM, libfuse's handler: with SIGTERM
    ignored or blocked it did nothing and the daemon served on with one
    reader until the next request; and one sent just before the read was
    lost.) When the first fails it stops the other itself. With
    --spin-us each reads the non-blocking /dev/fuse again and again, so
    the third read fails at once (EAGAINs count too), in the first
    spin: the first reader sees the session ended while it spins, or is
    woken out of its poll (this case passed before the fix too)."""
    st, _ = chrm
    comm = "genomedb" if reader == "first" else "gdb-reader"
    spin = ("--spin-us", "200") if reader.endswith("-spin") else ()
    m = _mount(st, tmp_path, f"rd-{reader}-{sigterm}", [f"read,fd=/dev/fuse,comm={comm}:EIO:3"],
               args=("--readers", "2", *spin))
    rc, served, left, log = _until_ended(m, sigterm, lambda: _lookups_until(m, "sysfail: call"), wait=20)
    assert "sysfail: call 3 of read" in log, log[-3000:]
    assert rc not in (0, "running"), (rc, served, log[-3000:])
    assert "error: reading /dev/fuse: Input/output error" in log, log[-3000:]
    assert not left, "the mount was left behind"


WAKE_NOT_INSTALLED = "rt_sigaction,arg0=%d:EINVAL:1" % signal.SIGUSR2
WAKE_LINE = "the wake-up signal (SIGUSR2): Invalid argument"


def test_split_readers_without_wake_signal(chrm, tmp_path):
    """The wake-up signal's handler not installed (sigaction failing):
    with no way to wake the first reader when another's read fails, the
    split loop keeps one reading thread (logged) and serves the same
    bytes."""
    st, want = chrm
    got, stats, _, rc, log = _serve(_mount(st, tmp_path, "nowake", [WAKE_NOT_INSTALLED], args=("--readers", "2")))
    assert got == [want]
    assert "sysfail: call 1 of rt_sigaction" in log and WAKE_LINE in log, log[-3000:]
    assert "--readers 2: one reading thread (no wake-up signal to end the mount with)" in log, log[-3000:]
    assert len(stats["reader_requests"]) == 1, stats["reader_requests"]
    assert rc == 0, log[-3000:]


def test_uring_without_wake_signal(chrm, tmp_path, uring_on):
    """The same for --loop uring: a broken queue could not wake the main
    thread, so there is no ring; /dev/fuse serves."""
    st, want = chrm
    _served_through_dev_fuse(st, tmp_path, want, "nowake-ring", [WAKE_NOT_INSTALLED], WAKE_LINE,
                             "no ring (Operation not supported)")


PY_TRIED = ("import ctypes, os, threading\n"
            "def tried(f):\n"
            "    try:\n"
            "        f(); print('ok')\n"
            "    except OSError as e:\n"
            "        print(e.errno)\n")


def _sysfail_py(spec, body):
    """body run by python3 under sysfail spec; tried(f) prints ok or f's errno"""
    return subprocess.run([SYSFAIL, spec, "--", "/usr/bin/python3", "-c", PY_TRIED + body],
                          capture_output=True, text=True, timeout=30)


def test_sysfail_helper():
    """sysfail itself: the Nth call fails, the others run; one spec a
    call; fd= and comm= narrow what counts; a call of another ABI (x32)
    kills the program rather than slip past the count."""
    r = _sysfail_py("eventfd2:EMFILE:2", "for _ in range(3):\n    tried(lambda: os.close(os.eventfd(0)))\n")
    assert r.stdout.split() == ["ok", str(errno.EMFILE), "ok"], r
    r = subprocess.run([SYSFAIL, "eventfd2:EMFILE:1", "eventfd2:EIO:2", "--", "true"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "one spec a call" in r.stderr, r
    # only the reads of /dev/null by a thread named python3 count
    r = _sysfail_py("read,fd=/dev/null,comm=python3:EIO:1",
                    "z, n = os.open('/dev/zero', os.O_RDONLY), os.open('/dev/null', os.O_RDONLY)\n"
                    "def other():\n"
                    "    ctypes.CDLL(None).prctl(15, b'other', 0, 0, 0)  # PR_SET_NAME\n"
                    "    tried(lambda: os.read(n, 1))\n"
                    "t = threading.Thread(target=other); t.start(); t.join()\n"
                    "for fd in (z, n, n):\n"
                    "    tried(lambda: os.read(fd, 1))\n")
    assert r.stdout.split() == ["ok", "ok", str(errno.EIO), "ok"], r
    r = subprocess.run([SYSFAIL, "read,fd=/dev/null,comm=python3,comm=x:EIO:1", "--", "true"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, r
    # arg0= is a number, all of it: junk is refused, not taken for 0
    for junk in ("zz", "12x", ""):
        r = subprocess.run([SYSFAIL, f"read,arg0={junk}:EIO:1", "--", "true"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and "usage" in r.stderr, (junk, r)
    # arg0=0x64 (hex too): only the reads of descriptor 100 count
    r = _sysfail_py("read,arg0=0x64:EIO:1",
                    "b = os.open('/dev/zero', os.O_RDONLY); os.dup2(b, 100)\n"
                    "for fd in (b, 100, 100):\n"
                    "    tried(lambda: os.read(fd, 1))\n")
    assert r.stdout.split() == ["ok", str(errno.EIO), "ok"], r
    x32 = "import ctypes; ctypes.CDLL(None).syscall(0x40000000 | 39)"  # x32 getpid
    r = subprocess.run([SYSFAIL, "eventfd2:EMFILE:1", "--", "/usr/bin/python3", "-c", x32],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == -signal.SIGSYS, r
