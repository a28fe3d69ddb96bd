"""The daemon's life and its control surface (docs/PATHS.md "Mounting",
"The daemon's log", "Controlling a mount"): a log file by default and
/.gdb/log through the mount, a mountpoint already mounted or left by a dead
daemon refused with the way out in the message, one permission rule for
every control path, exact control values, and a reset that resets every
counter."""
import errno
import fcntl
import json
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time

import pytest

import gdbutil as U

pytestmark = pytest.mark.mount

# fs/daemon/genomedb_ioctl.h: _IOWR(0xB7, 2, struct gdb_ioc_control), 1024 bytes
IOC_CONTROL = (3 << 30) | (1024 << 16) | (0xB7 << 8) | 2


def ioc_control(fd, line):
    """(ioctl errno or 0, status, message) of one control line."""
    buf = bytearray(struct.pack("<IIiI", 1024, 1, 0, 0) + line.ljust(1008, b"\0"))
    try:
        fcntl.ioctl(fd, IOC_CONTROL, buf, True)
    except OSError as e:
        return e.errno, 0, ""
    status = struct.unpack_from("<i", buf, 8)[0]
    return 0, status, bytes(buf[16:]).split(b"\0")[0].decode()


def mounts_at(path):
    real = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
    n = 0
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].replace("\\040", " ")
            n += mp == real
    return n


def stats(m):
    with open(m.p(".gdb", "stats.json")) as f:
        return json.load(f)


def wait_for(cond, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def default_log(mnt):
    """Where a daemon started without --log writes (docs/PATHS.md)."""
    real = os.path.realpath(mnt).strip("/").replace("/", "-")
    return f"/run/genomedb/{real}.log"


def test_detached_daemon_logs_to_a_file_and_the_mount(store, genomes, tmp_path):
    U.require_fuse()
    store.require("ecoli")
    rec = genomes["ecoli"].records[0]
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    log = default_log(mnt)
    if os.path.exists(log):
        os.unlink(log)
    r = U.gdb("mount", store.path, mnt)          # no -f: detaches
    assert r.rc == 0, r
    try:
        assert os.path.ismount(mnt)
        big = mnt / "compute" / "gc" / "ecoli" / U.esc(rec.name) / f"1-{rec.length}@w=1.tsv"
        U.expect_errno(lambda: os.stat(big), (errno.EFBIG,))
        # the reason is in /.gdb/log and in the default log file
        through = U.read_file(mnt / ".gdb" / "log").decode()
        assert f"1-{rec.length}@w=1.tsv" in through and "too large" in through, through[-2000:]
        assert wait_for(lambda: os.path.exists(log) and "@w=1.tsv" in open(log).read()), log
        own = tmp_path / "own.log"
        mnt2 = tmp_path / "mnt2"
        mnt2.mkdir()
        r = U.gdb("mount", store.path, mnt2, "--log", own)
        assert r.rc == 0, r
        try:
            U.expect_errno(lambda: os.stat(mnt2 / "compute" / "gc" / "ecoli" / U.esc(rec.name) /
                                           "1-10@w=x.tsv"), (errno.EINVAL,))
            assert wait_for(lambda: "w=x" in own.read_text()), own.read_text()
        finally:
            subprocess.run(["fusermount3", "-u", mnt2])
    finally:
        subprocess.run(["fusermount3", "-u", mnt])
        if os.path.exists(log):
            os.unlink(log)


def test_mounting_a_mounted_mountpoint_is_refused(mounted):
    before = mounts_at(mounted.path)
    assert before == 1
    try:
        r = U.gdb("mount", mounted.store.path, mounted.path, "-f", timeout=30)
        assert r.rc != 0 and "already mounted" in r.err, r
        assert mounts_at(mounted.path) == 1
    finally:
        while mounts_at(mounted.path) > 1:      # a stacked mount: off the top
            subprocess.run(["fusermount3", "-u", "-z", mounted.path], capture_output=True)
    assert mounted.alive()


def test_mountpoint_of_a_dead_daemon(store, tmp_path):
    U.require_fuse()
    m = U.Mount(store.path, tmp_path / "mnt", tmp_path / "m.log")
    m.start()
    try:
        os.kill(m.proc.pid, signal.SIGKILL)
        m.proc.wait()
        U.expect_errno(lambda: os.statvfs(m.path), (errno.ENOTCONN,))
        r = U.gdb("mount", store.path, m.path, "-f", timeout=30)
        assert r.rc != 0 and "fusermount3 -u" in r.err, r
        assert mounts_at(m.path) == 1
        # asked to, the mount clears the dead one first
        m2 = U.Mount(store.path, m.path, tmp_path / "m2.log", ["--unmount-stale"])
        m2.start()      # returns at once: the dead mount is a mount too

        def listing():
            try:
                return os.listdir(m.path)
            except OSError:
                return []
        try:
            assert wait_for(lambda: "mito" in listing()), m2.log_text()
            assert mounts_at(m.path) == 1
        finally:
            m2.stop()
    finally:
        subprocess.run(["fusermount3", "-u", "-z", m.path], capture_output=True)
    assert mounts_at(m.path) == 0


def as_user(uid, fn):
    """Run fn() in a child with uid (real, effective, saved); its return
    value (a small int) is the child's exit code."""
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            code = fn()
        except BaseException as e:      # noqa: BLE001 - report and exit
            os.write(2, repr(e).encode() + b"\n")
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_one_permission_rule_for_every_control_path(store):
    """On an allow_other mount a user who is neither root nor the mount's
    owner is refused by the ioctl, the xattr and the config file alike."""
    U.require_fuse()
    if os.getuid() != 0:
        pytest.skip("needs root to act as another user")
    top = tempfile.mkdtemp(prefix="gdb-perm-", dir="/tmp")
    os.chmod(top, 0o755)
    try:
        with U.mounted(store.path, top, ["-o", "allow_other", "--cache", "64M"]) as m:
            def nobody():
                fd = os.open(m.path, os.O_RDONLY | os.O_DIRECTORY)
                e, status, msg = ioc_control(fd, b"budget=4K")
                if e == 0 and status == 0:
                    return 10                           # the ioctl changed the budget
                for fn in (lambda: os.setxattr(m.path, "user.gdb.cache.budget", b"4K"),
                           lambda: open(m.p(".gdb", "config"), "w").write("budget=4K\n")):
                    try:
                        fn()
                        return 11
                    except PermissionError:
                        pass
                # reading stays open to everyone
                json.load(open(m.p(".gdb", "stats.json")))
                return 0
            assert as_user(65534, nobody) == 0
            assert stats(m)["cache"]["budget_bytes"] == 64 << 20
            # the owner (root here) may
            fd = os.open(m.path, os.O_RDONLY | os.O_DIRECTORY)
            try:
                assert ioc_control(fd, b"budget=32M")[:2] == (0, 0)
            finally:
                os.close(fd)
            assert stats(m)["cache"]["budget_bytes"] == 32 << 20
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_control_values_are_exact(mounted):
    assert U.gdb("ctl", mounted.path, "policy", "arc").rc == 0
    r = U.gdb("ctl", mounted.path, "budget", str(2 ** 64 - 1))
    assert r.rc != 0, r
    r = U.gdb("ctl", mounted.path, "budget", "16E")
    assert r.rc != 0, r
    U.expect_errno(lambda: os.setxattr(mounted.path, "user.gdb.cache.policy", b"lru\0junk"),
                   (errno.EINVAL,))
    U.expect_errno(lambda: os.setxattr(mounted.path, "user.gdb.cache.budget", b"64M\0"),
                   (errno.EINVAL,))

    def nul_in_config():
        with open(mounted.p(".gdb", "config"), "wb") as f:
            f.write(b"policy=lru\0junk\n")
    U.expect_errno(nul_in_config, (errno.EINVAL,))
    fd = os.open(mounted.path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        buf = bytearray(struct.pack("<IIiI", 1024, 1, 0, 0) +
                        b"policy=lru\0junk".ljust(1008, b"\0"))
        fcntl.ioctl(fd, IOC_CONTROL, buf, True)
        assert struct.unpack_from("<i", buf, 8)[0] == -errno.EINVAL
    finally:
        os.close(fd)
    assert stats(mounted)["cache"]["policy"] == "arc"


def test_reset_stats_resets_every_counter(mounted, genomes):
    mounted.store.require("mito")
    for i in range(50):
        os.stat(mounted.p("mito", "chrM", f"1-{100 + i}.seq"))
    for _ in range(5):
        assert U.gdb("ctl", mounted.path, "stats").rc == 0
    st = stats(mounted)
    assert st["lookups"] >= 50 and st["ioctls"] >= 5
    assert U.gdb("ctl", mounted.path, "reset-stats").rc == 0
    st = stats(mounted)
    # counted since the reset: at most the lookups of .gdb and stats.json
    assert st["lookups"] <= 2 and st["ioctls"] <= 2 and st["reads"] <= 2, st


def test_relative_mountpoint_unmounts_at_sigterm(store, genomes, tmp_path):
    """`genomedb mount STORE mnt` with a relative mountpoint: at SIGTERM
    libfuse unmounts by the path it was given, and the daemon has left
    its working directory by then; the mountpoint is made absolute at the
    start (as the store's path is), so the mount goes away and the daemon
    exits 0 (it failed with 'failed to unmount mnt: Invalid argument')."""
    U.require_fuse()
    store.require("gen")
    g = genomes["gen"]
    (tmp_path / "mnt").mkdir()
    log = open(tmp_path / "mnt.log", "wb")
    proc = subprocess.Popen([U.BINARY, "mount", str(store.path), "mnt", "-f"], cwd=str(tmp_path),
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    mnt = str(tmp_path / "mnt")
    try:
        deadline = time.monotonic() + 30
        while not os.path.ismount(mnt):
            assert proc.poll() is None and time.monotonic() < deadline, "not mounted"
            time.sleep(0.02)
        n, s, e = U.random_regions(g, 1, seed=3)[0]
        assert U.read_file(os.path.join(mnt, g.asm, U.esc(n), f"{s}-{e}.seq")) == g.fetch(n, s, e)
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(20)
        gone = not os.path.ismount(mnt)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        subprocess.run(["fusermount3", "-u", "-z", mnt], capture_output=True)
        log.close()
    text = (tmp_path / "mnt.log").read_text(errors="replace")
    assert rc == 0, text[-2000:]
    assert gone, "still mounted after the daemon's exit: " + text[-2000:]
    assert "failed to unmount" not in text, text[-2000:]
