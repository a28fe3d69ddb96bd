"""The daemon's memory is bounded by --cache (docs/CACHE.md "What the budget
covers"): computed answers count against the budget, evicted ones are
computed again when read, and a name's state is freed when the kernel
forgets it. Run under a memory cgroup (tests/memcap.py), RSS measured."""
import multiprocessing
import os
import random
import resource
import subprocess
import time

import pytest
from Bio.SeqUtils import gc_fraction

import gdbutil as U
import memcap

pytestmark = pytest.mark.mount

MIB = 1 << 20
NAMES = 60000


def rss_anon(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no RssAnon")


def stats(m):
    import json
    with open(m.p(".gdb", "stats.json")) as f:
        return json.load(f)


def capped_mount(store, tmp_path, cap, args):
    m = U.Mount(store, tmp_path / "mnt", tmp_path / "mnt.log", args)
    os.makedirs(m.path, exist_ok=True)
    m.logf = open(m.log_path, "ab")
    m.proc = subprocess.Popen([U.BINARY, "mount", store, m.path, "-f", *args],
                              stdin=subprocess.DEVNULL, stdout=m.logf, stderr=m.logf,
                              preexec_fn=cap.join)
    deadline = time.monotonic() + 60
    while not os.path.ismount(m.path):
        assert m.proc.poll() is None, m.log_text()
        assert time.monotonic() < deadline, m.log_text()
        time.sleep(0.02)
    return m


@pytest.fixture
def cap():
    if memcap.available() is None:
        if U.IN_CI:
            pytest.fail("no writable memory cgroup (CI=true)")
        pytest.skip("no writable memory cgroup on this machine")
    with memcap.MemoryCap(256 * MIB) as c:
        yield c


@pytest.mark.skipif(U.SANITIZED, reason="ASan's quarantine and shadow memory "
                    "break any RSS bound (the daemon is OOM-killed in the cap); "
                    "the plain make test checks these bounds")
def test_computed_answers_stay_within_the_budget(store, genomes, tmp_path, cap):
    """8 GC answers of ~40 MB each (320 MB in all) stat'ed and read by a
    daemon with --cache 64M in a 256 MiB cgroup: it stays up, its RSS stays
    near the budget, and every answer read back (evicted ones computed
    again) is right."""
    U.require_fuse()
    store.require("ecoli")
    rec = genomes["ecoli"].records[0]
    s = rec.seq.decode()
    m = capped_mount(store.path, tmp_path, cap, ["--cache", "64M"])
    try:
        base = rss_anon(m.proc.pid)
        names = [f"{1 + 3000 * i}-{1_100_000 + 3000 * i}@w=1.tsv" for i in range(8)]
        d = m.p("compute", "gc", "ecoli", U.esc(rec.name))
        sizes = {n: os.stat(os.path.join(d, n)).st_size for n in names}
        assert all(35 * MIB < v < 60 * MIB for v in sizes.values()), sizes
        peak = rss_anon(m.proc.pid)
        for n in names[:2] + names[-1:]:
            data = U.read_file(os.path.join(d, n))
            assert len(data) == sizes[n]
            peak = max(peak, rss_anon(m.proc.pid))
            rows = data.split(b"\n", 2001)[1:2001]
            start = int(n.split("-")[0])
            for r in rows[::97]:
                _, a, b, v = r.split(b"\t")
                assert int(a) == int(b) and int(a) >= start
                assert abs(float(v) - gc_fraction(s[int(a) - 1])) < 1e-6
        assert m.alive(), m.log_text()[-3000:]
        assert cap.oom_kills() == 0
        st = stats(m)
        assert st["cache"]["resident_bytes"] <= st["cache"]["budget_bytes"], st["cache"]
        # the budget (64 MiB) plus the answer being built and the one read
        assert peak - base < 64 * MIB + 2 * 60 * MIB, (peak - base) / MIB
    finally:
        m.stop()


def drop_kernel_caches():
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("2\n")


def fd_limit():
    """The descriptors a process may raise its own limit to."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return 1 << 20 if hard == resource.RLIM_INFINITY else hard


def hold_names(paths, conn):
    """A child process: look paths up and hold them (O_PATH descriptors)
    until the parent says, then exit (the kernel may forget them then)."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit(), fd_limit()))
    fds = [os.open(p, os.O_PATH) for p in paths]
    conn.send(len(fds))
    conn.recv()
    for fd in fds:
        os.close(fd)


@pytest.mark.skipif(U.SANITIZED, reason="ASan's quarantine and shadow memory "
                    "break any RSS bound (the daemon is OOM-killed in the cap); "
                    "the plain make test checks these bounds")
def test_forgotten_names_give_their_memory_back(store, genomes, tmp_path, cap):
    """60,000 distinct region names looked up, then forgotten by the kernel:
    the daemon's RSS comes back near where it was.

    The names are held (O_PATH descriptors of child processes) until they
    are counted: drop_caches is machine-wide, and another process's (a
    parallel run of this test) made the kernel forget them before."""
    U.require_fuse()
    if os.getuid() != 0:
        pytest.skip("needs root to make the kernel forget (drop_caches)")
    store.require("ecoli")
    rec = genomes["ecoli"].records[0]
    m = capped_mount(store.path, tmp_path, cap, ["--cache", "16M"])
    try:
        d = m.p("ecoli", U.esc(rec.name))
        os.stat(os.path.join(d, "1-10.seq"))
        before = rss_anon(m.proc.pid)
        rng = random.Random(5)
        paths = []
        for i in range(NAMES):
            a = rng.randrange(1, rec.length - 1000)
            paths.append(os.path.join(d, f"{a}-{a + rng.randrange(1, 1000)}.{('seq', 'fa', 'u8')[i % 3]}"))
        # in several processes: one may have too few descriptors for all
        per = min(NAMES // 4, fd_limit() - 64)
        ctx = multiprocessing.get_context("fork")
        holders = []
        try:
            for k in range(0, NAMES, per):
                ours, theirs = ctx.Pipe()
                p = ctx.Process(target=hold_names, args=(paths[k:k + per], theirs))
                p.start()
                holders.append((p, ours))
            for k, (p, ours) in enumerate(holders):
                assert ours.poll(300) and ours.recv() == len(paths[k * per:(k + 1) * per])
            held = rss_anon(m.proc.pid)
            assert stats(m)["live_region_nodes"] > NAMES - 1000
        finally:
            for p, ours in holders:
                try:
                    ours.send(0)
                except OSError:
                    pass
                p.join(60)
            assert all(p.exitcode == 0 for p, _ in holders)
        deadline = time.monotonic() + 120
        while True:
            drop_kernel_caches()
            live = stats(m)["live_region_nodes"]
            if live < 1000 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert live < 1000
        after = rss_anon(m.proc.pid)
        assert after - before < 8 * MIB, (before / MIB, held / MIB, after / MIB)
        assert m.alive()
    finally:
        m.stop()


@pytest.mark.skipif(U.SANITIZED, reason="ASan's quarantine and shadow memory "
                    "break any RSS bound; the plain make test checks these bounds")
def test_small_answers_hold_only_their_bytes(vstore, tmp_path, cap):
    """80 small .gt.npy regions of the 1000 Genomes set (300 samples). Each
    answer's buffer is sized for every site of its chunks (4096 x 300 bytes,
    over 1 MiB: a new large buffer, faulted in whole) while the cache charges
    the answer's few kB. The daemon's RSS must grow by about what
    stats.json counts, not by 80 faulted over-estimates (about 100 MiB)."""
    U.require_fuse()
    m = capped_mount(vstore["path"], tmp_path, cap, ["--cache", "64M"])
    try:
        d = m.p("variants", "kg", "20")
        U.read_file(os.path.join(d, "1000226-1002226.gt.npy"))   # the set opened
        s0, base = stats(m), rss_anon(m.proc.pid)
        rng = random.Random(7)
        total = 0
        for _ in range(80):
            a = rng.randrange(1_000_000, 3_900_000)
            data = U.read_file(os.path.join(d, f"{a}-{a + 2000}.gt.npy"))
            assert data.startswith(b"\x93NUMPY") and len(data) < 64 << 10
            total += len(data)
        grown = rss_anon(m.proc.pid) - base
        st = stats(m)
        assert st["cache"]["answer_evictions"] == s0["cache"]["answer_evictions"]
        counted = sum(st[k][f] - s0[k][f] for k, f in (
            ("cache", "answer_bytes"), ("memory", "reply_buffer_bytes"),
            ("memory", "answer_buffer_pool_bytes")))
        assert counted >= total * 0.9, (counted, total)
        assert grown < counted + 16 * MIB, (grown / MIB, counted / MIB)
        assert m.alive() and cap.oom_kills() == 0
    finally:
        m.stop()


def test_stats_count_reply_buffers(store, genomes, tmp_path):
    """The workers' reply buffers live outside the cache budget: stats.json
    counts them (docs/CACHE.md "Budget"), 256 KiB to 1 MiB each, at most
    one a thread of the daemon."""
    U.require_fuse()
    store.require("ecoli")
    rec = genomes["ecoli"].records[0]
    with U.mounted(store.path, tmp_path) as m:
        assert stats(m)["memory"]["reply_buffers"] == 0
        # the contig's .fa: read requests up to 1 MiB, rendered into them
        assert len(U.read_file(m.p("ecoli", U.esc(rec.name) + ".fa"))) > rec.length
        mem = stats(m)["memory"]
        threads = len(os.listdir(f"/proc/{m.proc.pid}/task"))
        assert 1 <= mem["reply_buffers"] <= threads, (mem, threads)
        assert mem["reply_buffers"] * (256 << 10) <= mem["reply_buffer_bytes"] \
            <= mem["reply_buffers"] * MIB, mem
        assert 0 <= mem["answer_buffer_pool"] <= 4 and mem["answer_buffer_pool_bytes"] <= 16 * MIB


def test_stats_count_variant_text_spares(vstore, tmp_path):
    """/variants keeps up to two text buffers from one region .vcf answer to
    the next, outside the cache budget (docs/CACHE.md "Budget"): stats.json
    counts them by the pages of the text they last held (no more than the
    answer's bytes, to whole pages), and setting a budget gives them back."""
    U.require_fuse()
    with U.mounted(vstore["path"], tmp_path) as m:
        mem = stats(m)["memory"]
        assert (mem["variant_text_spares"], mem["variant_text_spare_bytes"]) == (0, 0), mem
        data = U.read_file(m.p("variants", "kg", "20", "1500000-1600000.vcf"))
        assert data.startswith(b"##fileformat=VCF")
        mem = stats(m)["memory"]
        assert 1 <= mem["variant_text_spares"] <= 2, mem
        # whole pages: the text and its terminator (a one-chunk region's
        # records are all in the second half)
        assert 4096 <= mem["variant_text_spare_bytes"] <= len(data) + 4096, (mem, len(data))
        with open(m.p(".gdb", "config"), "w") as f:
            f.write("budget=64M\n")
        mem = stats(m)["memory"]
        assert (mem["variant_text_spares"], mem["variant_text_spare_bytes"]) == (0, 0), mem
