"""The security model of docs/SECURITY.md, checked on a real mount: read-only
by default, default_permissions always, and with allow_other another user
may read but not change the cache policy, budget or pins by any control
path (/.gdb/config, user.gdb.* xattrs, the ioctl); inbox writes bounded."""
import errno
import fcntl
import os
import pathlib
import shutil
import struct
import subprocess
import tempfile

import pytest

import gdbutil as U

NOBODY = 65534
# _IOWR(GDB_IOC_MAGIC 0xB7, 2, struct gdb_ioc_control) (fs/daemon/genomedb_ioctl.h)
IOC_CONTROL = (3 << 30) | (1024 << 16) | (0xB7 << 8) | 2

AS_NOBODY = r'''
import errno, fcntl, os, struct, sys
mnt, cmd = sys.argv[1], sys.argv[2]
def report(fn):
    try:
        fn()
        print("ok")
    except OSError as e:
        print(errno.errorcode[e.errno])
if cmd == "read":
    report(lambda: open(os.path.join(mnt, "mito", "chrM", "1-10.seq"), "rb").read())
elif cmd == "config":
    report(lambda: open(os.path.join(mnt, ".gdb", "config"), "w").write("policy=lru\n"))
elif cmd == "xattr":
    report(lambda: os.setxattr(mnt, "user.gdb.policy", b"lru"))
elif cmd == "ioctl":
    def f():
        fd = os.open(mnt, os.O_RDONLY | os.O_DIRECTORY)
        line = b"policy=lru"
        buf = bytearray(struct.pack("<IIiI", 1024, 1, 0, 0) + line + bytes(1008 - len(line)))
        fcntl.ioctl(fd, int(sys.argv[3]), buf, True)
    report(f)
elif cmd == "write":
    report(lambda: open(os.path.join(mnt, "x"), "wb"))
'''


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("sec") / "s.gdb")
    assert U.gdb("init", path).rc == 0
    r = U.gdb("import", "fasta", path, "--assembly", "mito",
              os.path.join(U.DATA, "human_hg38_chrM.fa"), "--quiet")
    assert r.rc == 0, r
    os.chmod(os.path.dirname(path), 0o755)
    return path


def _as_nobody(mnt, cmd):
    r = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                        "/usr/bin/python3", "-c", AS_NOBODY, mnt, cmd, str(IOC_CONTROL)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def _policy(mnt):
    return dict(ln.split("=", 1) for ln in open(os.path.join(mnt, ".gdb", "config")).read().split())["policy"]


@pytest.mark.mount
def test_other_users_read_but_change_nothing(store, tmp_path):
    U.require_fuse()
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root (to act as another user) and setpriv")
    top = tempfile.mkdtemp(prefix="gdb-sec-")   # others can reach it, unlike tmp_path
    os.chmod(top, 0o755)
    try:
        _check_other_user(store, pathlib.Path(top))
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _check_other_user(store, top):
    with U.mounted(store, top, args=("-o", "allow_other")) as m:
        before = _policy(m.path)
        assert before != "lru"
        assert _as_nobody(m.path, "read") == "ok"
        for how in ("config", "xattr"):
            assert _as_nobody(m.path, how) == "EACCES", how
        assert _as_nobody(m.path, "ioctl") == "EACCES"
        assert _as_nobody(m.path, "write") in ("EROFS", "EACCES")
        assert _policy(m.path) == before
        # The owner (root here) still may, by the ioctl too.
        fd = os.open(m.path, os.O_RDONLY | os.O_DIRECTORY)
        line = b"policy=lru"
        buf = bytearray(struct.pack("<IIiI", 1024, 1, 0, 0) + line + bytes(1008 - len(line)))
        fcntl.ioctl(fd, IOC_CONTROL, buf, True)
        os.close(fd)
        assert struct.unpack_from("<i", buf, 8)[0] == 0
        assert _policy(m.path) == "lru"


@pytest.mark.mount
def test_read_only_by_default(store, tmp_path):
    U.require_fuse()
    with U.mounted(store, tmp_path) as m:
        opts = next(ln.split()[3] for ln in open("/proc/mounts") if ln.split()[1] == m.path)
        assert "default_permissions" in opts or "user_id" in opts
        assert "allow_other" not in opts
        for fn in (lambda: open(os.path.join(m.path, "new"), "wb"),
                   lambda: os.mkdir(os.path.join(m.path, "d")),
                   lambda: os.unlink(os.path.join(m.path, "mito", "chrM", "1-10.seq")),
                   lambda: os.rename(os.path.join(m.path, "mito"), os.path.join(m.path, "x"))):
            with pytest.raises(OSError) as e:
                fn()
            assert e.value.errno in (errno.EROFS, errno.EPERM, errno.EACCES, errno.ENOENT)
