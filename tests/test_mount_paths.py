"""The path namespace: malformed names are ENOENT, escaping of awkward contig
names, directory listings, and the daemon surviving all of it."""
import os
import stat

import pytest

import gdbutil as U

ENOENT = (2,)


def _bad_names(L):
    return [f"0-10.fa", f"0-0.seq", f"{L + 1}-{L + 5}.fa", f"{L + 1}-{L + 1}.seq",
            f"{L + 100}-{L + 200}.u8", f"{L + 1}-{L + 9}.rc.fa", "20-10.fa", "20-19.seq",
            "a-b.fa", "10-20", "10-20.", "10-20.txt", "10-20.FA", "10.fa", "-10.fa", "10-.fa",
            "10--20.fa", "-5-10.fa", "1-10.fa.fai", "1-10.rc.seq", " 1-10.fa", "1-10 .fa",
            "1-1x.fa", "0x10-0x20.fa", "1-10.fa.gz", ".fa", "-.fa", "1-10.rc", "1e3-2e3.fa"]


def test_malformed_region_names_are_enoent(mounted, genomes):
    mounted.store.require("gen")
    g = genomes["gen"]
    bad = []
    for rec in (g.by_name["len61"], g.by_name["chr_200001"]):
        for leaf in _bad_names(rec.length):
            p = mounted.p("gen", U.esc(rec.name), leaf)
            for op in (os.stat, U.read_file):
                try:
                    op(p)
                    bad.append(f"{p}: {op.__name__} succeeded")
                except FileNotFoundError:
                    pass
                except OSError as e:
                    bad.append(f"{p}: {op.__name__} gave {e!r}, expected ENOENT")
    assert not bad, "\n".join(bad)
    # the daemon is alive and serves a good path
    rec = g.by_name["len61"]
    assert U.read_file(mounted.p("gen", "len61", "1-61.seq")) == rec.seq


def test_unknown_names_are_enoent(mounted, genomes):
    mounted.store.require("gen")
    for rel in ("nosuchasm", "nosuchasm/x.fa", "nosuchasm/x/1-10.fa", "gen/nosuch.fa",
                "gen/nosuch.fa.fai", "gen/nosuch/1-10.fa", "gen/nosuch", "gen/gen.fasta",
                "gen/len61.fasta", "gen/len61.seq", "gen/len61/1-10.fa/x",
                "gen/len61/sub/1-10.fa", "chrUn/scaf_1/1-10.fa", "gen/chrUn/scaf_1.fa"):
        p = mounted.p(*rel.split("/"))
        U.expect_errno(lambda: os.stat(p), ENOENT + (20,))  # ENOTDIR accepted under a file
    assert mounted.alive()


def test_huge_numbers_do_not_crash(mounted, genomes):
    """Overflowing coordinates: ENOENT or a correctly clamped file, never a crash."""
    mounted.store.require("gen")
    rec = genomes["gen"].by_name["len61"]
    for leaf in ("1-18446744073709551616.seq", "1-9223372036854775807.seq",
                 "18446744073709551617-18446744073709551618.seq",
                 "1-99999999999999999999999999999.seq", "4294967297-4294967298.seq"):
        p = mounted.p("gen", "len61", leaf)
        try:
            data = U.read_file(p)
        except FileNotFoundError:
            continue
        assert leaf.startswith("1-") and data == rec.seq, (leaf, data[:80])
    assert mounted.alive()
    assert U.read_file(mounted.p("gen", "len61", "1-1.seq")) == rec.seq[:1]


def test_escaped_names(mounted, genomes):
    """'/' -> %2F, '%' -> %25, '.'/'..' -> %2E; headers carry the real name."""
    mounted.store.require("names")
    mounted.store.require("gen")
    for asm in ("names", "gen"):
        g = genomes[asm]
        for rec in g.records:
            e = U.esc(rec.name)
            got = U.read_file(mounted.p(asm, e + ".fa"))
            assert got == b">" + rec.header + b"\n" + U.wrap(rec.seq, 60), e
            got = U.read_file(mounted.p(asm, e, "1-5.fa"))
            assert got == U.region_fa(rec.name, 1, 5, rec.seq[:5]), e
            assert stat.S_ISDIR(os.stat(mounted.p(asm, e)).st_mode), e
    # an escape is decoded once: "x%252Fy" is contig "x%2Fy", "x%2Fy" would be "x/y"
    U.expect_errno(lambda: os.stat(mounted.p("names", "x%2Fy.fa")), ENOENT)
    U.expect_errno(lambda: os.stat(mounted.p("names", "a%252Fb.fa")), ENOENT)
    # each name has one spelling (docs/PATHS.md "Names")
    wrong = []
    for other in ("a%2fb.fa", "%61%2Fb.fa", "50%.fa", "%2e.fa", "%2E%2e.fa", "a%2Fb%2F.fa",
                  "%2E%2E%2E.fa", "%252E%.fa", "a%2Fb%", "a%2fb", "%2e"):
        try:
            os.stat(mounted.p("names", other))
            wrong.append(f"{other}: resolves")
        except FileNotFoundError:
            pass
        except OSError as e:
            wrong.append(f"{other}: {e!r}")
    assert not wrong, "alternative spellings must be ENOENT:\n" + "\n".join(wrong)
    assert os.path.isdir(mounted.p("names", "50%25"))


def test_leading_zeros_kept_in_header(mounted, genomes):
    """docs/PATHS.md: leading zeros are accepted and appear as written (as samtools prints them)."""
    mounted.store.require("gen")
    g = genomes["gen"]
    for name, s, e in (("len65537", "0010", "0020"), ("len65537", "065536", "65537"),
                       ("chr_200001", "00001", "0000000200001")):
        got = U.read_file(mounted.p("gen", name, f"{s}-{e}.fa"))
        want = U.run(["samtools", "faidx", g.plain, f"{name}:{s}-{e}"])
        assert want.rc == 0, want
        assert got == want.out, U.first_diff(got, want.out)


def test_readdir(mounted, genomes):
    top = set(os.listdir(mounted.path))
    want_asms = {a for a in U.GENOMES if a not in mounted.store.failures}
    assert want_asms <= top, want_asms - top
    for asm in sorted(want_asms):
        g = genomes[asm]
        listing = set(os.listdir(mounted.p(asm)))
        want = {asm + ".fa", asm + ".fa.fai", asm + ".dict"}
        for rec in g.records:
            want |= {U.esc(rec.name) + ".fa", U.esc(rec.name) + ".fa.fai"}
        assert want <= listing, (asm, sorted(want - listing)[:10])
        for name in listing:        # every listed entry resolves
            os.stat(mounted.p(asm, name))
    rec = genomes["gen"].by_name["chr_200001"]
    d = mounted.p("gen", rec.name)
    for name in os.listdir(d):      # lookup-only dirs may list whole-object files
        st = os.stat(os.path.join(d, name))
        with open(os.path.join(d, name), "rb") as f:
            assert len(f.read()) == st.st_size, name


@pytest.mark.parametrize("ext", ["fa", "seq", "u8", "rc.fa"])
def test_file_types_and_modes(mounted, ext):
    mounted.store.require("gen")
    p = mounted.p("gen", "len65537", f"10-20.{ext}")
    st = os.stat(p)
    assert stat.S_ISREG(st.st_mode)
    assert st.st_size == len(U.read_file(p))
