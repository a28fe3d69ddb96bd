"""Issue 14: a protein database of many records mounts without building a
node per record. A record's directory, .fa and .fa.fai are built at the
first lookup of any of them (stats.json `contigs_built` counts them);
listing the assembly builds none, and lists each name with the type stat
gives it. Contents are checked against samtools faidx on the source.
Before: every record's nodes (a view and a .fai each) were built at
mount (48 s for 500,000 records), so contigs_built did not exist and
would have read 150 here at once.
"""
import json
import os
import subprocess
import threading

import gdbutil as U

DATA = os.path.join(U.HERE, "data")
PROT = os.path.join(DATA, "ecoli_proteins_150.faa")


def names(path):
    return [ln[1:].split()[0] for ln in open(path) if ln.startswith(">")]


def built(m):
    return json.loads(U.read_file(m.p(".gdb", "stats.json")))["contigs_built"]


def test_records_built_at_lookup_not_at_mount(tmp_path):
    store = str(tmp_path / "s.gdb")
    assert U.gdb("init", store).rc == 0
    assert U.gdb("import", "fasta", store, "--assembly", "prot", PROT).rc == 0
    src = str(tmp_path / "src.fa")
    with open(PROT, "rb") as f, open(src, "wb") as g:
        g.write(f.read())
    ns = names(PROT)
    U.require_fuse()
    with U.mounted(store, tmp_path) as m:
        assert built(m) == 0
        top = m.p("prot")
        ents = list(os.scandir(top))
        assert len(ents) == 3 + 3 * len(ns)
        assert built(m) == 0  # listing builds nothing
        for e in ents[:3] + ents[3:12]:
            st = os.lstat(e.path)
            assert e.is_dir(follow_symlinks=False) == (st.st_mode & 0o170000 == 0o040000), e.name
        # the lstat of 3 records' names above built those 3
        assert built(m) == 3
        n = ns[100]
        fa = U.read_file(os.path.join(top, n + ".fa"))
        want = subprocess.run(["samtools", "faidx", src, n], check=True,
                              capture_output=True).stdout
        # the header keeps the description samtools leaves out
        assert fa.split(b"\n", 1)[1] == want.split(b"\n", 1)[1]
        assert fa.startswith(b">" + n.encode() + b" ")
        fai = U.read_file(os.path.join(top, n + ".fa.fai")).decode().split("\t")
        assert fai[0] == n and int(fai[1]) == len(b"".join(want.split(b"\n")[1:]))
        assert os.getxattr(os.path.join(top, n), "user.gdb.length").decode() == fai[1]
        assert built(m) == 4  # one record's three names: one build
        # first lookups racing on one record agree on its nodes
        n2, inos = ns[120], []
        ts = [threading.Thread(target=lambda: inos.append(
            os.stat(os.path.join(top, n2 + ".fa")).st_ino)) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert len(set(inos)) == 1 and built(m) == 5
        # a name that is no record: ENOENT, nothing built
        U.expect_errno(lambda: os.stat(os.path.join(top, "NP_nothing.fa")), (2,))
        for n in ns:
            os.stat(os.path.join(top, n))
        assert built(m) == len(ns)
