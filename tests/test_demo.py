"""`make demo`'s script (tools/demo.sh) end to end, against the build under
test: under `make test` the release build (the Makefile's RELEASE_TESTS),
since the whole suite runs against the instrumented one.

The script imports the bundled genomes, networks and motifs, verifies,
mounts (a daemon in the background, as a user starts it) and reads through
the mount with the shell, samtools and numpy. It runs with `set -eu`, so
every command in it must succeed; what it shows of the sequence is checked
against the source FASTA."""
import os
import subprocess

import gdbutil as U


def test_demo_script_runs_to_its_end(tmp_path):
    U.require_fuse()
    os.symlink(os.path.join(U.REPO, "tests"), tmp_path / "tests")
    mnt = tmp_path / "mnt"
    env = dict(os.environ, GENOMEDB=U.BINARY)
    try:
        r = subprocess.run(["sh", os.path.join(U.REPO, "tools", "demo.sh")], cwd=tmp_path,
                           env=env, capture_output=True, timeout=600, stdin=subprocess.DEVNULL)
        out = r.stdout.decode("utf-8", "replace")
        assert r.returncode == 0, f"demo.sh exited {r.returncode}:\n{out[-3000:]}\n" + \
            r.stderr.decode("utf-8", "replace")[-3000:]
        assert os.path.ismount(mnt), "the demo leaves its mount up for exploring"
        chrm = U.parse_fasta(U.read_maybe_gz(os.path.join(U.DATA, "human_hg38_chrM.fa")))[0][0]
        for beg, end in ((2580, 2610), (3100, 3120)):
            want = U.region_fa("chrM", beg, end, chrm.seq[beg - 1:end])
            assert want.decode() in out, f"chrM:{beg}-{end} not as in the source:\n{out[-3000:]}"
        assert "GC fraction" in out and ">Chr1:1000-1100" in out, out[-3000:]
    finally:
        subprocess.run(["fusermount3", "-u", "-z", str(mnt)], capture_output=True)
