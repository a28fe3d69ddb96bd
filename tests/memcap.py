"""Run a process under a memory limit: a memory cgroup, v1 or v2.

cgroup v1 (this machine: /sys/fs/cgroup/memory) takes memory.limit_in_bytes;
cgroup v2 (the unified hierarchy, /sys/fs/cgroup with cgroup.controllers)
takes memory.max. Either way the child joins the group before it execs, so
every byte it maps or allocates is charged to it.

    with MemoryCap(64 << 20) as cap:
        subprocess.Popen(cmd, preexec_fn=cap.join)
        ...
        cap.peak()   # highest usage seen by the kernel, or None
"""
import os
import uuid

V1 = "/sys/fs/cgroup/memory"
V2 = "/sys/fs/cgroup"


def available():
    """'v1', 'v2' or None (no writable memory controller)."""
    if os.path.isfile(os.path.join(V1, "memory.limit_in_bytes")) and os.access(V1, os.W_OK):
        return "v1"
    ctl = os.path.join(V2, "cgroup.controllers")
    if os.path.isfile(ctl) and "memory" in open(ctl).read().split() and os.access(V2, os.W_OK):
        return "v2"
    return None


class MemoryCap:
    def __init__(self, limit_bytes, name=None):
        self.kind = available()
        if self.kind is None:
            raise OSError("no writable memory cgroup (v1 or v2) on this machine")
        self.limit = int(limit_bytes)
        self.name = name or f"genomedb-test-{uuid.uuid4().hex[:8]}"
        self.path = os.path.join(V1 if self.kind == "v1" else V2, self.name)

    def __enter__(self):
        os.mkdir(self.path)
        if self.kind == "v1":
            self._write("memory.limit_in_bytes", self.limit)
            # no swap here; if there were, cap it too so the limit is real
            if os.path.exists(os.path.join(self.path, "memory.memsw.limit_in_bytes")):
                try:
                    self._write("memory.memsw.limit_in_bytes", self.limit)
                except OSError:
                    pass
        else:
            self._write("memory.max", self.limit)
            if os.path.exists(os.path.join(self.path, "memory.swap.max")):
                self._write("memory.swap.max", 0)
        return self

    def _write(self, f, v):
        with open(os.path.join(self.path, f), "w") as fh:
            fh.write(str(v))

    def _read(self, f):
        try:
            with open(os.path.join(self.path, f)) as fh:
                return fh.read()
        except OSError:
            return None

    def join(self):
        """preexec_fn: move the calling (child) process into the group."""
        with open(os.path.join(self.path, "cgroup.procs"), "w") as fh:
            fh.write(str(os.getpid()))

    def peak(self):
        v = self._read("memory.max_usage_in_bytes" if self.kind == "v1" else "memory.peak")
        return int(v) if v and v.strip().isdigit() else None

    def oom_kills(self):
        """How many processes the kernel killed for this group's limit."""
        if self.kind == "v1":
            text = self._read("memory.oom_control") or ""
            for line in text.splitlines():
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
            return 0
        text = self._read("memory.events") or ""
        for line in text.splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return 0

    def __exit__(self, *a):
        # the group can only be removed once empty; callers stop the daemon first
        for _ in range(50):
            try:
                os.rmdir(self.path)
                return
            except OSError:
                import time
                time.sleep(0.1)
