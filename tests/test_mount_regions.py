"""Region files through the mount against samtools faidx / pysam (htslib).

Paths: /<asm>/<contig>/<start>-<end>.{fa,seq,u8,rc.fa}, 1-based inclusive,
end clamped to the contig like samtools, header exactly as named.
"""
import concurrent.futures
import json
import os
import random
import re
import time

import pytest

import gdbutil as U

N_RANDOM = 1000
N_DERIVED = 250


def _regions(g):
    regs = U.random_regions(g, N_RANDOM, seed=1)
    for rec in g.records:
        regs += [(rec.name, s, e) for s, e in U.edge_regions(rec)]
    return regs


def _path(m, asm, name, s, e, ext):
    return m.p(asm, U.esc(name), f"{s}-{e}.{ext}")


def _check_all(m, g, regions, ext, expect):
    bad = []
    for name, s, e in regions:
        p = _path(m, g.asm, name, s, e, ext)
        want = expect(name, s, e)
        try:
            size = os.stat(p).st_size
            got = U.read_file(p)
        except OSError as exc:
            bad.append(f"{p}: {exc!r}")
            continue
        if got != want:
            bad.append(f"{p}: {U.first_diff(got, want)}")
        elif size != len(got):
            bad.append(f"{p}: st_size {size} but {len(got)} bytes read")
        if len(bad) >= 8:
            break
    assert not bad, f"{len(bad)}+ bad region files:\n" + "\n".join(bad)


@pytest.mark.parametrize("asm", U.GENOMES)
def test_region_fa(mounted, genomes, asm):
    mounted.store.require(asm)
    g = genomes[asm]
    _check_all(mounted, g, _regions(g), "fa",
               lambda n, s, e: U.region_fa(n, s, e, g.fetch(n, s, e)))


def _subset(g):
    regs = U.random_regions(g, N_DERIVED, seed=2)
    for rec in g.records:
        regs += [(rec.name, s, e) for s, e in U.edge_regions(rec)]
    return regs


@pytest.mark.parametrize("asm", U.GENOMES)
def test_region_seq(mounted, genomes, asm):
    mounted.store.require(asm)
    g = genomes[asm]
    _check_all(mounted, g, _subset(g), "seq", lambda n, s, e: g.fetch(n, s, e))


@pytest.mark.parametrize("asm", U.GENOMES)
def test_region_u8(mounted, genomes, asm):
    mounted.store.require(asm)
    g = genomes[asm]
    _check_all(mounted, g, _subset(g), "u8", lambda n, s, e: U.u8(g.fetch(n, s, e)))


@pytest.mark.parametrize("asm", U.GENOMES)
def test_region_rc_fa(mounted, genomes, asm):
    mounted.store.require(asm)
    g = genomes[asm]
    _check_all(mounted, g, _subset(g), "rc.fa",
               lambda n, s, e: U.region_rc_fa(n, s, e, g.fetch(n, s, e)))


def test_u8_codes_cover_alphabet(mounted, genomes):
    """Every IUPAC letter, U and both cases map to the documented code."""
    mounted.store.require("gen")
    g = genomes["gen"]
    rec = g.by_name["chr_200001"]
    seen = set()
    for m in re.finditer(rb"[RYSWKMBDHVUryswkmbdhvuN]", rec.seq):
        ch = m.group()
        if ch in seen:
            continue
        seen.add(ch)
        p = m.start() + 1
        got = U.read_file(_path(mounted, "gen", rec.name, p, p, "u8"))
        assert got == bytes([U.U8_TABLE[ch[0]]]), (ch, p, got)
    assert len(seen) >= 15, f"generator lost its IUPAC letters: {sorted(seen)}"


def _samtools_regions(g, n):
    """Region strings samtools can parse unambiguously (plain names)."""
    rng = random.Random(f"samtools:{g.asm}")
    out = []
    plain = [r for r in g.records if re.fullmatch(r"[A-Za-z0-9_.|]+", r.name)]
    if not plain:
        return out
    for name, s, e in U.random_regions(g, 4 * n, seed=3):
        if name in {r.name for r in plain}:
            out.append((name, s, e))
    rng.shuffle(out)
    out = out[:n]
    r0 = plain[0]
    out += [(r0.name, 1, 1), (r0.name, r0.length, r0.length), (r0.name, 1, r0.length + 7)]
    return out


@pytest.mark.parametrize("asm", U.GENOMES)
def test_region_fa_byte_identical_to_samtools(mounted, genomes, asm):
    """The samtools binary itself (not pysam) is the formatting oracle."""
    mounted.store.require(asm)
    g = genomes[asm]
    regs = _samtools_regions(g, 20)
    if not regs:
        pytest.skip(f"{asm} has no contig name samtools can parse in a region string")
    args = [f"{n}:{s}-{e}" for n, s, e in regs]
    sam = U.run(["samtools", "faidx", g.plain, *args])
    assert sam.rc == 0, sam
    got = b"".join(U.read_file(_path(mounted, asm, n, s, e, "fa")) for n, s, e in regs)
    assert got == sam.out, U.first_diff(got, sam.out)
    sam = U.run(["samtools", "faidx", "-i", g.plain, *args])
    assert sam.rc == 0, sam
    got = b"".join(U.read_file(_path(mounted, asm, n, s, e, "rc.fa")) for n, s, e in regs)
    assert got == sam.out, U.first_diff(got, sam.out)


def test_rc_oracle_matches_samtools(genomes):
    """Our complement table agrees with samtools faidx -i on every IUPAC letter."""
    g = genomes["gen"]
    for rec in g.records:
        if not re.fullmatch(r"[A-Za-z0-9_.]+", rec.name):
            continue
        sam = U.run(["samtools", "faidx", "-i", g.plain, f"{rec.name}:1-{rec.length}"])
        assert sam.rc == 0, sam
        assert sam.out == U.region_rc_fa(rec.name, 1, rec.length, rec.seq), rec.name


def test_concurrent_readers(mounted, genomes):
    """Several threads reading distinct region files at once get the right bytes."""
    asms = [a for a in ("gen", "ecoli", "athal", "hg19chr20") if a not in mounted.store.failures]
    jobs = []
    for a in asms:
        g = genomes[a]
        for n, s, e in U.random_regions(g, 150, seed=4):
            jobs.append((g, n, s, e, random.Random(f"{a}{s}{e}").choice(["fa", "seq", "u8"])))

    # expected bytes first: pysam handles must not be shared between threads
    expected = []
    for g, n, s, e, ext in jobs:
        seq = g.fetch(n, s, e)
        expected.append({"fa": U.region_fa(n, s, e, seq), "seq": seq, "u8": U.u8(seq)}[ext])

    def one(i):
        g, n, s, e, ext = jobs[i]
        got = U.read_file(_path(mounted, g.asm, n, s, e, ext))
        want = expected[i]
        return None if got == want else f"{g.asm}/{n}/{s}-{e}.{ext}: {U.first_diff(got, want)}"

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        bad = [x for x in ex.map(one, range(len(jobs))) if x]
    assert not bad, "\n".join(bad[:5])


def test_random_offsets_in_large_files(mounted, genomes):
    """pread at random offsets/sizes (mid-line, mid-header) matches the bytes."""
    rng = random.Random(5)
    cases = []
    for a in ("gen", "ecoli", "athal"):
        if a in mounted.store.failures:
            continue
        g = genomes[a]
        cases.append((mounted.p(a, a + ".fa"), g.as_fa60()))
        rec = max(g.records, key=lambda r: r.length)
        e = min(rec.length, 250000)
        cases.append((_path(mounted, a, rec.name, 1, e, "seq"), rec.seq[:e]))
        cases.append((_path(mounted, a, rec.name, 1, e, "fa"), U.region_fa(rec.name, 1, e, rec.seq[:e])))
    assert cases
    for path, want in cases:
        fd = os.open(path, os.O_RDONLY)
        try:
            for _ in range(150):
                off = rng.randrange(len(want) + 10)
                size = rng.choice([1, 7, 60, 61, 4096, 65536, 131072 + 13, rng.randrange(1, 300000)])
                got = os.pread(fd, size, off)
                assert got == want[off:off + size], f"{path} pread({size}, {off})"
        finally:
            os.close(fd)


def test_tiny_cache_still_correct(genomedb, store, genomes, tmp_path):
    """With a 1 MiB cache (constant eviction) regions still read back right."""
    U.require_fuse()
    asms = [a for a in ("gen", "ecoli", "hg19chr20") if a not in store.failures]
    with U.mounted(store.path, tmp_path, args=["--cache", "1M"]) as m:
        for a in asms:
            g = genomes[a]
            regs = U.random_regions(g, 120, seed=6)
            _check_all(m, g, regs, "seq", lambda n, s, e, g=g: g.fetch(n, s, e))


def _cache_stats(m):
    with open(m.p(".gdb", "stats.json"), "rb") as f:
        return json.load(f)["cache"]


def test_small_reads_cache_a_block_at_its_third_touch(store, genomes, tmp_path):
    """A block's first two small reads (new names, 1000 bases each) are
    served in part and cache nothing (cache.parts); the third decodes and
    caches it whole (a miss, not a part), the fourth hits it; every read's
    bytes are htslib's."""
    U.require_fuse()
    asm = next(a for a in ("gen", "ecoli", "hg19chr20") if a not in store.failures)
    g = genomes[asm]
    rec = max(g.records, key=lambda r: r.length)
    assert rec.length > 3 * 65536, "the test wants a contig of 3 blocks"
    at = 2 * 65536 + 101  # 1-based: block 2's bases
    with U.mounted(store.path, tmp_path) as m:
        seen = [_cache_stats(m)]
        for i in range(4):
            s, e = at + 7 * i, at + 7 * i + 999
            assert U.read_file(_path(m, g.asm, rec.name, s, e, "seq")) == g.fetch(rec.name, s, e)
            seen.append(_cache_stats(m))
    step = [{k: b[k] - a[k] for k in ("parts", "misses", "hits")}
            for a, b in zip(seen, seen[1:])]
    assert step == [{"parts": 1, "misses": 1, "hits": 0}] * 2 + [
        {"parts": 0, "misses": 1, "hits": 0}, {"parts": 0, "misses": 0, "hits": 1}], step


def test_hypothesis_regions(mounted, genomes):
    """Property: for any valid (contig, start, end) every rendering agrees with
    htslib. Derandomized, so failures reproduce."""
    from hypothesis import HealthCheck, given, settings, strategies as st
    mounted.store.require("gen")
    g = genomes["gen"]
    recs = g.records

    @st.composite
    def region(draw):
        rec = draw(st.sampled_from(recs))
        s = draw(st.integers(1, rec.length))
        e = draw(st.one_of(st.integers(s, min(rec.length, s + 70000)),
                           st.integers(s, rec.length + 100),
                           st.just(s)))
        ext = draw(st.sampled_from(["fa", "seq", "u8", "rc.fa"]))
        return rec.name, s, e, ext

    @settings(max_examples=300, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(region())
    def check(r):
        name, s, e, ext = r
        seq = g.fetch(name, s, e)
        want = {"fa": lambda: U.region_fa(name, s, e, seq), "seq": lambda: seq,
                "u8": lambda: U.u8(seq), "rc.fa": lambda: U.region_rc_fa(name, s, e, seq)}[ext]()
        p = _path(mounted, "gen", name, s, e, ext)
        got = U.read_file(p)
        assert got == want, f"{p}: {U.first_diff(got, want)}"
        assert os.stat(p).st_size == len(got)

    check()


@pytest.mark.parametrize("loop", [(), ("--threads", "1"), ("--threads", "2"), ("--loop", "libfuse")],
                         ids=["split", "one-thread", "split-one-worker", "libfuse"])
def test_fuse_loops_serve_a_mixed_load(store, genomes, workdir, loop):
    """Every FUSE loop (fs/daemon/loop.c: cheap requests on the reading
    thread, the rest handed to workers; or libfuse's) gives the right bytes
    under a concurrent mix of new-name regions, streaming reads larger than
    the inline limit (handed off), directory listings and stats.json."""
    U.require_fuse()
    g = genomes["ecoli"]
    rec = max(g.records, key=lambda r: r.length)
    regions = U.random_regions(g, 60, seed=9)
    # expected bytes first: pysam handles must not be shared between threads
    expected = [g.fetch(n, s, e) for n, s, e in regions]
    with U.mounted(store.path, workdir, args=loop, name="loop-" + "-".join(loop or ("split",))) as m:
        big = _path(m, g.asm, rec.name, 1, min(rec.length, 400000), "seq")

        def one(i):
            if i % 4 == 0:
                want = rec.seq[:min(rec.length, 400000)]
                fd = os.open(big, os.O_RDONLY)
                try:
                    off = (i * 7919) % (len(want) - 200000)
                    got = os.pread(fd, 200000, off)
                finally:
                    os.close(fd)
                return None if got == want[off:off + 200000] else f"pread {off}"
            if i % 4 == 1:
                names = os.listdir(m.p(g.asm))
                return None if U.esc(rec.name) in names else f"listdir {names[:3]}"
            if i % 4 == 2:
                with open(m.p(".gdb", "stats.json"), "rb") as f:
                    return None if f.read().startswith(b"{") else "stats.json"
            n, s, e = regions[i % len(regions)]
            got = U.read_file(_path(m, g.asm, n, s, e, "seq"))
            return None if got == expected[i % len(regions)] else f"{n}:{s}-{e}"

        with concurrent.futures.ThreadPoolExecutor(6) as ex:
            bad = [x for x in ex.map(one, range(240)) if x]
        assert not bad, bad[:5]


def _task_stat(pid, tid):
    """(name, last CPU) of thread tid of pid, from /proc (the CPU is the
    39th field, the 37th after the name's ')')."""
    with open(f"/proc/{pid}/task/{tid}/stat") as f:
        st = f.read()
    name = st[st.index("(") + 1:st.rindex(")")]
    return name, int(st[st.rindex(")") + 2:].split()[36])


def _reading_thread(pid):
    """The daemon's thread that reads /dev/fuse: its main thread (serve()
    runs daemon_loop there), the one not named for a helper (gdb-worker,
    gdb-prefetch)."""
    tids = {int(t) for t in os.listdir(f"/proc/{pid}/task")}
    assert pid in tids, tids
    name, _ = _task_stat(pid, pid)
    assert not name.startswith("gdb-"), name
    return pid


def _moves(m):
    with open(m.p(".gdb", "stats.json"), "rb") as f:
        return json.load(f)["reader_moves"]


@pytest.mark.parametrize("follow", ["on", "off"])
def test_follow_switch(store, genomes, workdir, follow):
    """The reader and the daemon's reading thread forced apart: this
    thread pinned to one CPU, the reading thread (found under
    /proc/<pid>/task) to another. New-name region reads are three cheap
    requests each; every 32 the reading thread looks where its reader
    ran, and two agreeing looks move it (follow.c). With `--follow on`
    reader_moves comes above 0 (read until it does, under a generous
    deadline: the setup forces a move) and the move gave the thread back
    its CPUs (so it was the reading thread). With `--follow off`, after
    400 reads (with it on, the first move comes after about 25), reader_moves is 0 and
    the reading thread is still pinned and ran last on its CPU. Every
    answer is right either way."""
    U.require_fuse()
    mine, theirs = U.two_cpus("the reader and the daemon's reading thread")
    g = genomes["ecoli"]
    rec = max(g.records, key=lambda r: r.length)
    saved = os.sched_getaffinity(0)
    with U.mounted(store.path, workdir, args=("--follow", follow), name="follow-" + follow) as m:
        reader = _reading_thread(m.proc.pid)
        os.sched_setaffinity(reader, {theirs})
        k = 0
        try:
            os.sched_setaffinity(0, {mine})  # this thread only
            deadline = time.monotonic() + 60
            while True:
                s = 1 + (k * 9973) % (rec.length - 1000)
                got = U.read_file(_path(m, g.asm, rec.name, s, s + 99, "seq"))
                assert got == g.fetch(rec.name, s, s + 99), f"{rec.name}:{s}"
                k += 1
                if k % 25:
                    continue
                if follow == "off" and k >= 400:
                    break
                if follow == "on" and (_moves(m) > 0 or time.monotonic() > deadline):
                    break
        finally:
            os.sched_setaffinity(0, saved)
        moves = _moves(m)
        pinned = os.sched_getaffinity(reader)
        _, last = _task_stat(m.proc.pid, reader)
        log = m.log_text()
    print(f"--follow {follow}: {moves} moves after {k} reads")
    if follow == "on":
        said = [ln for ln in log.splitlines() if "does not follow" in ln]
        assert moves > 0, f"no move in {k} reads with the pair on CPUs {mine} and {theirs}; daemon log: {said}"
        assert pinned != {theirs}, "the pinned thread was not the one that moved"
    else:
        assert moves == 0, moves
        assert pinned == {theirs} and last == theirs, (pinned, last)


def _spin_workload(m, g, regions, big):
    """Region reads (answered on the reading thread), a large region (its
    READs of over 64 KiB go to the workers) and stats.json (a worker's),
    from two threads at once: the answers that are wrong, and the
    request counters after them."""
    expected = [g.fetch(n, s, e) for n, s, e in regions]  # pysam: one thread

    def one(i):
        n, s, e = regions[i]
        got = U.read_file(_path(m, g.asm, n, s, e, "seq"))
        return None if got == expected[i] else f"{n}:{s}-{e}"

    def stats():
        with open(m.p(".gdb", "stats.json"), "rb") as f:
            return json.load(f)

    bad = [x for x in map(one, range(len(regions))) if x]
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        bad += [x for x in ex.map(one, range(len(regions))) if x]
    before = stats()
    n, s, e = big
    if U.read_file(_path(m, g.asm, n, s, e, "seq")) != g.fetch(n, s, e):
        bad.append(f"{n}:{s}-{e}")
    st = stats()
    # how many READs the kernel splits the large read into depends on its
    # readahead's timing (301 against 307 under load): at least one, and
    # every count before it exact
    if st["reads"] <= before["reads"]:
        bad.append(f"no READ counted for the large region: {before['reads']} -> {st['reads']}")
    return bad, {"reads before the large one": before["reads"],
                 **{k: st[k] for k in ("lookups", "ioctls", "read_errors")}}


def _fuse_fd_nonblocking(pid):
    """Is the daemon's /dev/fuse descriptor O_NONBLOCK (fdinfo's flags)?"""
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") != "/dev/fuse":
                continue
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                flags = int(f.read().split("flags:")[1].split()[0], 8)
        except (OSError, IndexError):
            continue
        return bool(flags & os.O_NONBLOCK)
    raise AssertionError(f"no /dev/fuse descriptor in /proc/{pid}/fd")


def test_spin_us(store, genomes, workdir):
    """`--spin-us N`: after each request the reading thread reads the
    non-blocking /dev/fuse again for up to N us before it blocks in poll
    (loop.c). With 0 (the default) and 200 the same reads (inline ones,
    a large one handed to the workers, stats.json) give the right bytes
    and the same request counts; after a pause longer than the spin (the
    thread blocked in poll) the unmount ends each daemon cleanly (exit 0)
    within a bounded wait."""
    U.require_fuse()
    g = genomes["ecoli"]
    rec = max(g.records, key=lambda r: r.length)
    regions = U.random_regions(g, 300, seed=5)
    big = (rec.name, 1, min(rec.length, 300000))
    seen, nonblock = {}, {}
    for spin in ("0", "200"):
        m = U.Mount(store.path, os.path.join(str(workdir), "spin" + spin),
                    os.path.join(str(workdir), f"spin{spin}.log"), ("--spin-us", spin))
        m.start()
        try:
            nonblock[spin] = _fuse_fd_nonblocking(m.proc.pid)
            bad, counts = _spin_workload(m, g, regions, big)
            time.sleep(0.2)  # past the spin: blocked in poll
        finally:
            t0 = time.monotonic()
            rc = m.stop(timeout=20)
            waited = time.monotonic() - t0
        assert not bad, (spin, bad[:5])
        assert rc == 0 and waited < 20, (spin, rc, waited, m.log_text()[-2000:])
        U.check_sanitizer(m.log_text(), f"genomedb mount --spin-us {spin}")
        seen[spin] = counts
    assert seen["200"] == seen["0"], seen
    assert nonblock == {"0": False, "200": True}, nonblock
