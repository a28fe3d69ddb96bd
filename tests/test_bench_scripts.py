"""The benchmark scripts' own housekeeping, no benchmark run:
bench/scale/run.py mounts on a directory of its own (never under --dir,
which it removes or keeps), unmounted and removed even when the run fails;
bench/cache/mountbench.py's build_store drops the page cache only as root
and says so when it cannot."""
import importlib.util
import os
import subprocess
import sys

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
