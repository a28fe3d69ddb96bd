"""bench/mount/floor_uring.c: the ring's floor (issue 16), a minimal FUSE
over io_uring server that must answer what bench/mount/floor.c (the libfuse
floor) answers, or regions.py's figures of the two are not of the same
reads. Both are mounted side by side and asked the same things in the same
order: bytes, attributes, inode numbers and errors must be equal; the ring
must have carried the requests (floor_uring says how many at its end); its
queue threads (named floor-ring<cpu>) are pinned one to each possible CPU;
SIGTERM unmounts it. A session that stalls is ended after SESSION_S and
the mount taken away, so a stalled queue fails the test, not the suite.

enable_uring is set to Y under test_mount_uring.py's lock and put back
after (its uring_on fixture); without the parameter the kernel has no FUSE
over io_uring and the tests skip, saying so."""
import errno
import fcntl
import multiprocessing
import os
import re
import signal
import subprocess
import termios
import time

import pytest

import gdbutil as U
from test_mount_uring import uring_on  # noqa: F401  (a fixture)

BENCH = os.path.join(U.BUILD, "bench")
SESSION_S = 60  # a session takes well under a second


def _built(name):
    path = os.path.join(BENCH, name)
    subprocess.run(["make", "-C", U.REPO, f"BUILD={U.BUILD}", path], check=True,
                   stdout=subprocess.DEVNULL)
    return path


def _mount(argv, mnt):
    os.makedirs(mnt, exist_ok=True)
    p = subprocess.Popen(argv + [mnt], stderr=subprocess.PIPE, text=True)
    t = time.monotonic()
    while not os.path.ismount(mnt):
        if p.poll() is not None or time.monotonic() - t > 10:
            p.kill()
            err = p.communicate()[1]
            if os.path.ismount(mnt):  # mounted after all, just now
                subprocess.run(["fusermount3", "-u", "-z", mnt], check=False)
            raise AssertionError(f"{argv[0]} did not mount: {err}")
        time.sleep(0.02)
    return p


def _stop(p, mnt):
    """SIGTERM; it must unmount and end. Whatever happened, no mount is
    left behind. @return its stderr"""
    try:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        raise
    finally:
        if os.path.ismount(mnt):
            subprocess.run(["fusermount3", "-u", "-z", mnt], check=False)
    return err


def _bounded(fn, *args):
    """fn(*args) in a child process, ended after SESSION_S (a reader stuck
    in a FUSE request ends only for a fatal signal)."""
    with multiprocessing.get_context("fork").Pool(1) as pool:
        return pool.apply_async(fn, args).get(timeout=SESSION_S)


def _possible_cpus():
    """/sys/devices/system/cpu/possible as a list of CPU numbers."""
    with open("/sys/devices/system/cpu/possible") as f:
        cpus = []
        for part in f.read().strip().split(","):
            lo, _, hi = part.partition("-")
            cpus += range(int(lo), int(hi or lo) + 1)
    return cpus


def _queue_threads(pid):
    """{name: Cpus_allowed_list} of the floor's queue threads."""
    out = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{t}/status") as f:
            st = f.read()
        name = re.search(r"Name:\s*(\S+)", st).group(1)
        if name.startswith("floor-ring"):
            out[name] = re.search(r"Cpus_allowed_list:\s*(\S+)", st).group(1)
    return out


def _try(fn):
    """fn's value, or ('error', errno name)."""
    try:
        return fn()
    except OSError as e:
        return ("error", errno.errorcode.get(e.errno, e.errno))


def _attrs(st):
    return (st.st_mode, st.st_nlink, st.st_size, st.st_ino, st.st_uid, st.st_gid)


def _session(mnt):
    """What a reader sees of the floor, in a fixed order."""
    out = []

    def p(*a):
        return os.path.join(mnt, *a)

    def read(name):
        with open(p(name), "rb") as f:  # Python's open: LOOKUP, IOCTL (isatty)
            return f.read()

    def pread(name, off, n):
        fd = os.open(p(name), os.O_RDONLY)
        try:
            return os.pread(fd, n, off)
        finally:
            os.close(fd)

    def write(path):
        with open(path, "wb") as f:
            return f.write(b"x")

    def ioctl(name):
        fd = os.open(p(name), os.O_RDONLY)
        try:
            return (os.isatty(fd), fcntl.ioctl(fd, termios.TCGETS, bytes(64)))
        finally:
            os.close(fd)

    out.append(_attrs(os.stat(mnt)))
    for i in range(5):
        out.append(read(f"r{i}"))
        out.append(_attrs(os.stat(p(f"r{i}"))))
    out.append(read("r0"))  # cached now
    out.append(pread("a", 990, 100))
    out.append(pread("b", 1000, 10))
    out.append(pread("c", 5000, 10))
    out.append(pread("d", 0, 1))
    out.append(_try(lambda: ioctl("e")))
    out.append(_try(lambda: os.stat(p("r1", "x"))))
    out.append(_try(lambda: os.listdir(mnt)))
    sv = os.statvfs(mnt)
    out.append((sv.f_bsize, sv.f_namemax))
    out.append(_try(lambda: write(p("w"))))
    return out


def test_floor_uring_answers_as_floor(tmp_path, uring_on):  # noqa: F811
    floor, ring = _built("floor"), _built("floor_uring")
    mf, mr = str(tmp_path / "floor"), str(tmp_path / "ring")
    pf = _mount([floor, "-s"], mf)
    try:
        want = _bounded(_session, mf)
    finally:
        _stop(pf, mf)
    pr = _mount([ring], mr)
    try:
        got = _bounded(_session, mr)
        queues = _queue_threads(pr.pid)
    finally:
        err = _stop(pr, mr)
    assert not os.path.ismount(mr)
    assert pr.returncode == 0, err
    assert got == want
    assert want[1] == b"A" * 1000 and want[12] == b"A" * 10  # not two empty sessions
    # one queue thread a possible CPU, each pinned to its own
    assert queues == {f"floor-ring{c}": str(c) for c in _possible_cpus()}, queues
    m = re.search(r"(\d+) requests on the ring, (\d+) on /dev/fuse; setup SQE128\n", err)
    assert m, err
    # the session's LOOKUPs, IOCTLs and READs came on the ring
    assert int(m.group(1)) >= 20 and int(m.group(2)) < int(m.group(1)), err


def _read_n(mnt, n):
    for i in range(n):
        with open(os.path.join(mnt, f"n{i}"), "rb") as f:
            assert f.read() == b"A" * 1000


@pytest.mark.parametrize("flag,setup", [
    ("--defer-taskrun", "SQE128|SINGLE_ISSUER|DEFER_TASKRUN"),
    ("--coop-taskrun", "SQE128|COOP_TASKRUN|TASKRUN_FLAG")])
def test_floor_uring_setup_flags(tmp_path, uring_on, flag, setup):  # noqa: F811
    """The rings made with io_uring's setup flags (as the rings say) serve
    the same reads."""
    ring = _built("floor_uring")
    mnt = str(tmp_path / "ring")
    p = _mount([ring, flag], mnt)
    try:
        _bounded(_read_n, mnt, 20)
    finally:
        err = _stop(p, mnt)
    assert p.returncode == 0, err
    m = re.search(r"(\d+) requests on the ring, \d+ on /dev/fuse; setup (\S+)\n", err)
    assert m and int(m.group(1)) >= 40 and m.group(2) == setup, err


def test_floor_uring_outside_unmount(tmp_path, uring_on):  # noqa: F811
    """fusermount3 -u -z ends it, status 0, and it unmounts nothing more:
    what is mounted there since stays."""
    ring = _built("floor_uring")
    mnt = str(tmp_path / "ring")
    p = _mount([ring], mnt)
    try:
        _bounded(_read_n, mnt, 2)
        fd = os.open(os.path.join(mnt, "n0"), os.O_RDONLY)  # keeps it connected
        try:
            subprocess.run(["fusermount3", "-u", "-z", mnt], check=True)
            # a later mount on the same place, which floor_uring must leave
            subprocess.run(["mount", "-t", "tmpfs", "ringfloor-later", mnt], check=True)
        finally:
            os.close(fd)  # the connection ends now
        _, err = p.communicate(timeout=20)
        assert p.returncode == 0, err
        assert os.path.ismount(mnt), "floor_uring unmounted what came after it"
    finally:
        if p.poll() is None:
            p.kill()
        while os.path.ismount(mnt):
            subprocess.run(["umount", "-l", mnt], check=True)


def test_floor_uring_abort_leaves_no_dead_mount(tmp_path, uring_on):  # noqa: F811
    """umount -f with a file open aborts the connection and leaves the
    mount (busy) answering ENOTCONN: floor_uring takes that dead mount
    away as it ends."""
    ring = _built("floor_uring")
    mnt = str(tmp_path / "ring")
    p = _mount([ring], mnt)
    try:
        fd = os.open(os.path.join(mnt, "n0"), os.O_RDONLY)
        try:
            r = subprocess.run(["umount", "-f", mnt], capture_output=True, text=True)
            assert r.returncode != 0, "not busy: nothing aborted and left"
            _, err = p.communicate(timeout=20)
        finally:
            os.close(fd)
        assert p.returncode == 0, err
        assert not os.path.ismount(mnt), f"the aborted mount was left behind: {err}"
    finally:
        _stop(p, mnt)


def test_floor_uring_usage(tmp_path):
    ring = _built("floor_uring")
    r = subprocess.run([ring, str(tmp_path), "--no-such"], capture_output=True, text=True)
    assert r.returncode == 2 and "usage: floor_uring" in r.stderr
