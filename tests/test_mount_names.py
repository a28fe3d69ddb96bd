"""Names on the mount (docs/PATHS.md "Names", "Coordinates", "Parameters"):
every listing holds each name once and says the same type as stat, so cp -r
and os.walk work on assemblies whose contigs are named like the assembly or
like its files; any end past a contig is clamped whatever its digits; and a
malformed `@` parameter is EINVAL with a log line that names it."""
import errno
import os
import shutil
import stat

import pytest

import gdbutil as U

pytestmark = pytest.mark.mount

# Contigs named like the assembly and like the files of its directory: each
# is a real slice of the human mitochondrion (tests/data/human_hg38_chrM.fa).
CLASH = ["MT_orang", "MT_human", "foo", "foo.fa", "foo.fa.fai", "MT_orang.dict", "bar.fai"]


def esc_dir(name):
    """A contig's directory name: its file stem, with the dot before a final
    `fa`, `fai` or `dict` written %2E (docs/PATHS.md "Names")."""
    e = U.esc(name)
    for ext in (".fa", ".fai", ".dict"):
        if e.endswith(ext):
            return e[:-len(ext)] + "%2E" + ext[1:]
    return e


@pytest.fixture(scope="module")
def clash(genomedb, tmp_path_factory):
    d = tmp_path_factory.mktemp("clash")
    seq = U.parse_fasta(U.read_maybe_gz(os.path.join(U.DATA, "human_hg38_chrM.fa")))[0][0].seq
    recs = []
    with open(d / "clash.fa", "wb") as f:
        for i, name in enumerate(CLASH):
            s = seq[i * 1500:i * 1500 + 1000 + 37 * i]
            recs.append((name, s))
            f.write(b">" + name.encode() + b"\n" + U.wrap(s, 60))
    store = d / "s.gdb"
    assert U.gdb("init", store).rc == 0
    r = U.gdb("import", "fasta", store, "--assembly", "MT_orang", d / "clash.fa", "--quiet")
    assert r.rc == 0, r
    U.require_fuse()
    with U.mounted(store, d) as m:
        yield m, dict(recs), d


def test_listing_names_each_entry_once(clash):
    m, recs, _ = clash
    names = os.listdir(m.p("MT_orang"))
    dup = sorted({n for n in names if names.count(n) > 1})
    assert not dup, f"listed more than once: {dup}"
    for e in os.scandir(m.p("MT_orang")):
        st = os.stat(e.path)
        assert e.is_dir() == stat.S_ISDIR(st.st_mode), (e.name, e.is_dir(), oct(st.st_mode))
    for name, seq in recs.items():
        d = m.p("MT_orang", esc_dir(name))
        assert os.path.isdir(d), name
        assert U.read_file(os.path.join(d, f"1-{len(seq)}.seq")) == seq, name
        if name != "MT_orang":      # the assembly's own file holds that name
            assert U.read_file(m.p("MT_orang", U.esc(name) + ".fa")) == \
                b">" + name.encode() + b"\n" + U.wrap(seq), name


def test_walk_and_cp_r(clash):
    m, recs, d = clash
    seen = {}
    for root, dirs, files in os.walk(m.p("MT_orang")):
        for x in dirs:
            assert stat.S_ISDIR(os.stat(os.path.join(root, x)).st_mode), x
        for x in files:
            assert stat.S_ISREG(os.stat(os.path.join(root, x)).st_mode), x
            seen[os.path.relpath(os.path.join(root, x), m.p("MT_orang"))] = 1
    out = d / "copy"
    r = U.run(["cp", "-r", m.p("MT_orang"), str(out)])
    assert r.rc == 0, r
    for name, seq in recs.items():
        got = (out / esc_dir(name) / f"1-{len(seq)}.seq").read_bytes()
        assert got == seq, name
    assert (out / "MT_orang.fa").read_bytes() == U.read_file(m.p("MT_orang", "MT_orang.fa"))


def test_any_end_past_the_contig_is_clamped(mounted, genomes):
    mounted.store.require("gen")
    rec = genomes["gen"].by_name["len61"]
    for end in ("61", "62", "999999999999999999", "1000000000000000000",
                "9223372036854775807", "9223372036854775808", "18446744073709551616",
                "99999999999999999999999999999", "0" * 40 + "70"):
        assert U.read_file(mounted.p("gen", "len61", f"1-{end}.seq")) == rec.seq, end
        assert U.read_file(mounted.p("gen", "len61", f"60-{end}.fa")) == \
            b">len61:60-%s\n" % end.encode() + rec.seq[59:] + b"\n", end
    for bad in ("62-99999999999999999999.seq", "99999999999999999999-99999999999999999999.seq",
                "0-100000000000000000000.seq", "00-5.seq"):
        U.expect_errno(lambda b=bad: os.stat(mounted.p("gen", "len61", b)), (errno.ENOENT,))


def test_computed_and_exported_ends_clamp_too(mounted, genomes, store):
    mounted.store.require("mito")
    rec = genomes["mito"].records[0]
    huge = "1" + "0" * 20
    a = U.read_file(mounted.p("compute", "gc", "mito", rec.name, f"16001-{huge}@w=100.tsv"))
    b = U.read_file(mounted.p("compute", "gc", "mito", rec.name, f"16001-{rec.length}@w=100.tsv"))
    assert a == b and a.count(b"\n") == 7
    r = U.gdb("export", "fasta", store.path, "mito", f"{rec.name}:16560-{huge}")
    want = U.run(["samtools", "faidx", genomes["mito"].plain, f"{rec.name}:16560-{huge}"])
    assert r.rc == 0 and want.rc == 0, (r, want)
    assert r.out == want.out


@pytest.mark.parametrize("leaf,param", [
    ("1-1000@w=1k.tsv", "w"), ("1-1000@windw=1000.tsv", "windw"), ("1-1000@w=100,w=200.tsv", "w"),
    ("1-1000@w=1e3.tsv", "w"), ("1-1000@w=0.tsv", "w"), ("1-1000@w=.tsv", "w"),
    ("1-1000@step=-1.tsv", "step"), ("1-1000@w=10,,step=5.tsv", "@"), ("1-1000@.tsv", "@"),
    ("1-1000@w=99999999999999999999999.f32", "w")])
def test_bad_parameter_is_einval_and_logged(mounted, genomes, leaf, param):
    mounted.store.require("mito")
    rec = genomes["mito"].records[0]
    start = mounted.log_size()
    p = mounted.p("compute", "gc", "mito", rec.name, leaf)
    U.expect_errno(lambda: os.stat(p), (errno.EINVAL,))
    log = mounted.log_text(start)
    assert leaf in log and f"'{param}'" in log, log[-2000:]


def test_bad_parameters_of_every_namespace_are_einval(mounted, genomes):
    mounted.store.require("ecoli")
    rec = genomes["ecoli"].records[0]
    base = mounted.p("compute", "kmers", "ecoli", U.esc(rec.name))
    for leaf in ("1-1000@k=32.tsv", "1-1000@k=5,top=x.tsv", "1-1000@kk=5.tsv",
                 "1-1000@canonical=2.tsv", "1-1000@k=5,k=5.tsv"):
        U.expect_errno(lambda l=leaf: os.stat(os.path.join(base, l)), (errno.EINVAL,))
    base = mounted.p("compute", "align", "ecoli", U.esc(rec.name), "1-1000")
    for leaf in ("ACGT@match=x.sam", "ACGT@mismatch=1000.sam", "ACGT@gap=1.sam"):
        U.expect_errno(lambda l=leaf: os.stat(os.path.join(base, l)), (errno.EINVAL,))
    # the shape of a name, not its parameters: still ENOENT
    for leaf in ("1-1000@w=10.txt", "x-1000@w=10.tsv"):
        U.expect_errno(lambda l=leaf: os.stat(mounted.p("compute", "gc", "ecoli",
                                                         U.esc(rec.name), l)), (errno.ENOENT,))
