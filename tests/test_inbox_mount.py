"""Inboxes (docs/PATHS.md "Query sets"): /compute/queries is a writable
directory held in the daemon's memory, and align/.../@<set>.sam aligns every
query of the FASTA copied there. Checked: POSIX file behaviour (write,
append, truncate, rename, unlink, an open file outliving its name, the
limits), the batch SAM against the one-query files and parasail, answers
that follow the set when it changes, and file:line errors for bad sets."""
import errno
import os
import random
import shutil
import subprocess

import parasail
import pytest

import gdbutil as U
from test_compute_mount import COMP, cpath, rescore, seqstr

pytestmark = pytest.mark.mount

MIB = 1 << 20


@pytest.fixture
def inbox(mounted):
    """The queries inbox, emptied before and after each test (the mount is
    shared by the session)."""
    d = cpath(mounted, "queries")

    def clean():
        for n in os.listdir(d):
            os.unlink(os.path.join(d, n))
    clean()
    yield d
    clean()


@pytest.fixture(scope="module")
def eco(mounted, genomes):
    mounted.store.require("ecoli")
    rec = genomes["ecoli"].records[0]
    return rec, seqstr(rec).upper()


def test_inbox_is_a_posix_directory(mounted, inbox, tmp_path):
    p = os.path.join(inbox, "a.fa")
    with open(p, "wb") as f:
        f.write(b">q\nACGT\n")
    assert os.stat(p).st_size == 8 and os.listdir(inbox) == ["a.fa"]
    with open(p, "ab") as f:                         # append
        f.write(b"GG\n")
    assert U.read_file(p) == b">q\nACGT\nGG\n"
    with open(p, "r+b") as f:                        # overwrite in place, pread
        f.seek(3)
        f.write(b"TTTT")
        f.flush()
        assert os.pread(f.fileno(), 4, 3) == b"TTTT"
    os.truncate(p, 3)
    assert U.read_file(p) == b">q\n"
    with open(p, "wb") as f:                         # O_TRUNC
        f.write(b"x")
    assert U.read_file(p) == b"x"
    os.truncate(p, 5)                                # grows with zeros
    assert U.read_file(p) == b"x\0\0\0\0"
    # mode bits are kept (shutil.copy sets them); owners are not changed
    os.chmod(p, 0o600)
    assert os.stat(p).st_mode & 0o777 == 0o600
    os.utime(p, (1_000_000_000, 1_000_000_000))      # touch -d, cp -p
    assert os.stat(p).st_mtime == 1_000_000_000
    subprocess.run(["touch", p], check=True)
    assert os.stat(p).st_mtime > 1_700_000_000
    # shutil.copy and cp into it, rename within it
    src = tmp_path / "src.fa"
    src.write_bytes(b">s\nACGTACGT\n" * 1000)
    shutil.copy(src, os.path.join(inbox, "b.fa"))
    subprocess.run(["cp", str(src), os.path.join(inbox, "c.fa")], check=True)
    assert U.read_file(os.path.join(inbox, "b.fa")) == src.read_bytes()
    assert U.read_file(os.path.join(inbox, "c.fa")) == src.read_bytes()
    os.rename(os.path.join(inbox, "c.fa"), os.path.join(inbox, "a.fa"))   # replaces a.fa
    assert sorted(os.listdir(inbox)) == ["a.fa", "b.fa"]
    assert U.read_file(p) == src.read_bytes()
    # an open file outlives its name
    with open(os.path.join(inbox, "b.fa"), "rb") as f:
        os.unlink(os.path.join(inbox, "b.fa"))
        assert f.read() == src.read_bytes()
    assert os.listdir(inbox) == ["a.fa"]
    U.expect_errno(lambda: os.stat(os.path.join(inbox, "b.fa")), (errno.ENOENT,))
    # only regular files, only here
    U.expect_errno(lambda: os.mkdir(os.path.join(inbox, "d")), (errno.EPERM,))
    U.expect_errno(lambda: os.symlink("a.fa", os.path.join(inbox, "l")), (errno.EPERM,))
    U.expect_errno(lambda: os.rename(p, cpath(mounted, "gc", "a.fa")), (errno.EXDEV, errno.EROFS))
    U.expect_errno(lambda: open(cpath(mounted, "x.fa"), "wb"), (errno.EROFS,))
    U.expect_errno(lambda: os.rmdir(inbox), (errno.EROFS, errno.EBUSY, errno.EPERM))


def test_inbox_limits(mounted, inbox):
    with open(os.path.join(inbox, "big"), "wb", buffering=0) as f:
        f.write(b"A" * (16 * MIB))                  # exactly the per-file limit
    assert os.stat(os.path.join(inbox, "big")).st_size == 16 * MIB
    U.expect_errno(lambda: os.truncate(os.path.join(inbox, "big"), 16 * MIB + 1), (errno.EFBIG,))
    assert os.stat(os.path.join(inbox, "big")).st_size == 16 * MIB
    with open(os.path.join(inbox, "big+1"), "wb", buffering=0) as f:
        f.write(b"A" * (16 * MIB))
        U.expect_errno(lambda: f.write(b"A"), (errno.EFBIG,))
    # a file whose write failed is gone, never left half written
    assert "big+1" not in os.listdir(inbox)
    # 64 MiB per inbox in all
    for i in range(3):
        with open(os.path.join(inbox, f"big{i}"), "wb") as f:
            f.write(b"C" * (16 * MIB))

    def over():
        with open(os.path.join(inbox, "one-more"), "wb", buffering=0) as f:
            f.write(b"G" * MIB)
    U.expect_errno(over, (errno.ENOSPC,))
    for n in os.listdir(inbox):
        os.unlink(os.path.join(inbox, n))
    # the limit counts what files hold, not their buffers' slack, and a
    # truncated file gives its bytes back
    def fill(name, n):
        fd = os.open(os.path.join(inbox, name), os.O_WRONLY | os.O_CREAT, 0o644)
        done = 0
        try:
            while done < n:
                done += os.write(fd, b"T" * min(MIB, n - done))
        except OSError as e:
            return done, e.errno
        finally:
            os.close(fd)
        return done, 0
    for i in range(4):                      # 32 MiB + 16 KiB of data
        assert fill(f"mid{i}", 8 * MIB + 4096) == (8 * MIB + 4096, 0)
    assert fill("more", 16 * MIB) == (16 * MIB, 0)
    got, e = fill("big2", 16 * MIB)         # past 64 MiB in all
    assert e == errno.ENOSPC and got < 16 * MIB
    assert "big2" not in os.listdir(inbox)
    os.truncate(os.path.join(inbox, "more"), 0)
    assert fill("again", 8 * MIB) == (8 * MIB, 0)
    for n in os.listdir(inbox):
        os.unlink(os.path.join(inbox, n))
    # 256 files
    for i in range(256):
        open(os.path.join(inbox, f"f{i}"), "wb").close()
    U.expect_errno(lambda: open(os.path.join(inbox, "f256"), "wb"), (errno.ENOSPC,))
    assert len(os.listdir(inbox)) == 256


def make_queries(region, rng):
    """(name, query) pairs cut from region: exact and edited, both strands,
    lowercase, U for T, an IUPAC code, and one unrelated sequence."""
    out = []
    for i in range(12):
        a = rng.randrange(0, len(region) - 300)
        q = list(region[a:a + rng.randrange(20, 200)])
        if i % 3 == 1:
            q[len(q) // 2] = "A" if q[len(q) // 2] != "A" else "C"
        if i % 3 == 2:
            del q[len(q) // 3:len(q) // 3 + 2]
        q = "".join(q)
        if i % 2:
            q = q.translate(COMP)[::-1]
        out.append((f"q{i}", q))
    out.append(("lower", region[5000:5060].lower()))
    out.append(("rna", region[7000:7040].replace("T", "U")))
    out.append(("iupac", region[9000:9020] + "N" + region[9021:9040]))
    out.append(("unrelated", "".join(rng.choice("ACGT") for _ in range(25))))
    return out


def sam_rows(text):
    return [l.split("\t") for l in text.splitlines() if not l.startswith("@")]


def write_fasta(path, queries, width=60):
    with open(path, "w") as f:
        for name, q in queries:
            f.write(f"  \n>{name} some description\n")       # blank lines may hold blanks
            for i in range(0, len(q), width):
                f.write(q[i:i + width] + "\n")
            f.write("\n")


def test_query_set_sam(mounted, inbox, eco):
    rec, seq = eco
    beg, end = 100001, 400000
    region = seq[beg - 1:end]
    queries = make_queries(region, random.Random(3))
    write_fasta(os.path.join(inbox, "panel.fa"), queries)
    d = cpath(mounted, "align", "ecoli", U.esc(rec.name), f"{beg}-{end}")
    text = U.read_file(os.path.join(d, "@panel.sam")).decode()
    assert os.stat(os.path.join(d, "@panel.sam")).st_size == len(text)
    hdr = [l for l in text.splitlines() if l.startswith("@")]
    assert hdr[1] == f"@SQ\tSN:{rec.name}\tLN:{rec.length}"
    rows = sam_rows(text)
    assert [r[0] for r in rows] == [n for n, _ in queries]          # in the set's order
    mat = parasail.matrix_create("ACGT", 2, -3)
    for (name, q), r in zip(queries, rows):
        norm = q.upper().replace("U", "T")
        flag, pos, cigar, sq, score = int(r[1]), int(r[3]), r[5], r[9], int(r[11].split(":")[2])
        if set(norm) <= set("ACGTN"):
            # the same record as the one-query file of the same sequence
            one = sam_rows(U.read_file(os.path.join(d, norm + ".sam")).decode())[0]
            assert r[1:] == one[1:], name
        if set(norm) <= set("ACGT"):
            fwd = parasail.sw_scan_32(norm, region, 5, 2, mat).score
            rev = parasail.sw_scan_32(norm.translate(COMP)[::-1], region, 5, 2, mat).score
            assert score == max(fwd, rev), name
        if flag == 4:
            assert score == 0 and name == "unrelated"
            continue
        assert sq == (norm if flag == 0 else norm.translate(COMP)[::-1])
        s2, qlen, _ = rescore(cigar, sq, seq[pos - 1:])
        assert s2 == score and qlen == len(sq), name
        assert beg <= pos <= end
        if name.startswith("q"):
            assert flag == (16 if int(name[1:]) % 2 else 0), name
    # scoring parameters after the set's name
    r2 = sam_rows(U.read_file(os.path.join(d, "@panel@match=1,mismatch=-4,open=6,extend=1.sam")).decode())
    n0, q0 = queries[0]
    assert int(r2[0][11].split(":")[2]) == len(q0)          # an exact hit scores 1 a base


def test_query_set_follows_its_file(mounted, inbox, eco):
    rec, seq = eco
    d = cpath(mounted, "align", "ecoli", U.esc(rec.name), "1-100000")
    p = os.path.join(d, "@s.sam")
    U.expect_errno(lambda: os.stat(p), (errno.ENOENT,))      # not cached as absent
    with open(os.path.join(inbox, "s.fa"), "w") as f:
        f.write(">a\n" + seq[1000:1030] + "\n")
    first = U.read_file(p).decode()
    assert [r[0] for r in sam_rows(first)] == ["a"] and int(sam_rows(first)[0][3]) == 1001
    assert U.read_file(p).decode() == first                   # unchanged set, same answer
    with open(os.path.join(inbox, "s.fa"), "a") as f:
        f.write(">b\n" + seq[2000:2030] + "\n")
    second = U.read_file(p).decode()
    assert [(r[0], int(r[3])) for r in sam_rows(second)] == [("a", 1001), ("b", 2001)]
    assert os.stat(p).st_size == len(second)
    # the kernel's revalidation after a change costs one computation, not
    # two, and reading an unchanged answer costs none
    import json
    def computed():
        return json.load(open(mounted.p(".gdb", "stats.json")))["computed_files"]
    with open(os.path.join(inbox, "s.fa"), "a") as f:
        f.write(">b2\n" + seq[2500:2530] + "\n")
    c0 = computed()
    third = U.read_file(p).decode()
    assert [r[0] for r in sam_rows(third)] == ["a", "b", "b2"]
    assert computed() - c0 == 1
    for _ in range(3):
        assert U.read_file(p).decode() == third
        os.stat(p)
    assert computed() - c0 == 1
    # .fasta and no extension are found too; .fa first
    os.rename(os.path.join(inbox, "s.fa"), os.path.join(inbox, "s.fasta"))
    assert U.read_file(p).decode() == third
    os.unlink(os.path.join(inbox, "s.fasta"))
    U.expect_errno(lambda: os.stat(p), (errno.ENOENT,))
    with open(os.path.join(inbox, "s"), "w") as f:
        f.write(">c\n" + seq[3000:3030] + "\n")
    assert [r[0] for r in sam_rows(U.read_file(p).decode())] == ["c"]


@pytest.mark.parametrize("text,line,what", [
    ("ACGT\n", 1, "sequence before the first header"),
    (">a\nACGT\n>b\n\n>c\nAC\n", 3, "'b' has no sequence"),
    (">a\nACGT\nAC1T\n", 3, "'1' (byte 3) is not an IUPAC"),
    (">\nACGT\n", 1, "a header without a name"),
    (">a\n" + "A" * 1001 + "\n", 2, "longer than 1000 bases"),
    ("", 1, "no queries"),
])
def test_bad_query_set_names_file_and_line(mounted, inbox, eco, text, line, what):
    rec, _ = eco
    with open(os.path.join(inbox, "bad.fa"), "w") as f:
        f.write(text)
    start = mounted.log_size()
    p = cpath(mounted, "align", "ecoli", U.esc(rec.name), "1-10000", "@bad.sam")
    U.expect_errno(lambda: os.stat(p), (errno.EINVAL,))
    log = mounted.log_text(start)
    assert f"queries/bad.fa:{line}: " in log and what in log, log


def test_query_set_too_much_work_is_e2big(mounted, inbox, eco):
    rec, seq = eco
    # 60 queries of 1000 bases on both strands of 4.6 Mbp: 5.6e11 cells
    write_fasta(os.path.join(inbox, "huge.fa"), [(f"h{i}", seq[i * 1000:(i + 1) * 1000])
                                                 for i in range(60)])
    start = mounted.log_size()
    p = cpath(mounted, "align", "ecoli", U.esc(rec.name), f"1-{rec.length}", "@huge.sam")
    U.expect_errno(lambda: os.stat(p), (errno.E2BIG,))
    assert "cells" in mounted.log_text(start)
    assert U.read_file(cpath(mounted, "gc", "ecoli", U.esc(rec.name), "1-100@w=100.tsv"))


def test_no_partial_query_set(mounted, inbox, eco, tmp_path):
    """cp of a set that passes the inbox's 64 MiB fails and leaves nothing
    behind: a partial set would align a silent subset of its queries."""
    rec, seq = eco
    queries = [(f"q{i}", seq[i * 197:i * 197 + 100]) for i in range(20000)]
    src = tmp_path / "panel.fa"
    write_fasta(src, queries)
    assert os.path.getsize(src) > 2 * MIB
    for i in range(3):
        with open(os.path.join(inbox, f"filler{i}"), "wb") as f:
            f.write(b"N" * (16 * MIB))
    with open(os.path.join(inbox, "filler3"), "wb") as f:
        f.write(b"N" * (16 * MIB - MIB))
    r = U.run(["cp", str(src), inbox])
    assert r.rc != 0 and "No space left" in r.err, r
    assert "panel.fa" not in os.listdir(inbox)
    d = cpath(mounted, "align", "ecoli", U.esc(rec.name), "1-20000")
    U.expect_errno(lambda: os.stat(os.path.join(d, "@panel.sam")), (errno.ENOENT,))
    os.unlink(os.path.join(inbox, "filler0"))
    r = U.run(["cp", str(src), inbox])
    assert r.rc == 0, r
    assert os.path.getsize(os.path.join(inbox, "panel.fa")) == os.path.getsize(src)


def test_inbox_names_with_at_are_refused(mounted, inbox, tmp_path):
    """`@x@y` would read as set x with parameters y: such a name can never be
    reached, so it is refused (EINVAL) when created or renamed to."""
    U.expect_errno(lambda: open(os.path.join(inbox, "x@y.fa"), "wb"), (errno.EINVAL,))
    with open(os.path.join(inbox, "xy.fa"), "w") as f:
        f.write(">a\nACGT\n")
    U.expect_errno(lambda: os.rename(os.path.join(inbox, "xy.fa"), os.path.join(inbox, "x@y.fa")),
                   (errno.EINVAL,))
    assert os.listdir(inbox) == ["xy.fa"]
    lists = mounted.p("graph", "enrich", "lists")
    if os.path.isdir(lists):
        U.expect_errno(lambda: open(os.path.join(lists, "a@b.txt"), "wb"), (errno.EINVAL,))
