"""make install / uninstall into a temporary root, the installed Python
package and C API (through pkg-config), and an fstab mount through the
installed mount.genomedb (`mount -T <temp fstab>`)."""
import os
import subprocess

import pytest

import gdbutil as U
import python_util as P

EXPECTED = ["bin/genomedb", "lib/libgenomedb.so", "lib/libgenomedb.a",
            "lib/pkgconfig/genomedb.pc", "share/man/man1/genomedb.1",
            "include/genomedb/api/genomedb.h", "include/genomedb/api/genomedb_plugin.h",
            "include/genomedb/store/store.h",
            "lib/python3/dist-packages/genomedb/__init__.py",
            "lib/python3/dist-packages/genomedb/frame.py",
            "lib/python3/dist-packages/genomedb/plot.py",
            "share/doc/genomedb/examples/mnt-gdb.mount"]

C_PROGRAM = r"""
#include <stdio.h>
#include <api/genomedb.h>
int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	char err[256], dst[11] = {0};
	gdb_api *h;
	if (gdb_api_open(argv[1], 0, &h, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	int a = gdb_api_assembly_find(h, "athal", err, sizeof(err));
	if (a < 0 || gdb_api_fetch(h, (unsigned)a, 0, 1000, 1010, GDB_API_BASES, dst,
				   err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s %s\n", gdb_api_contig_name(h, (unsigned)a, 0), dst);
	gdb_api_close(h);
	return 0;
}
"""


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    d = tmp_path_factory.mktemp("destdir")
    r = subprocess.run(["make", "-s", "-C", U.REPO, f"BUILD={U.BUILD}", f"DESTDIR={d}",
                        "PREFIX=/usr/local", "install"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return d


def _clean_env():
    env = dict(os.environ)
    for k in ("GENOMEDB_BUILD", "GENOMEDB_LIB", "PYTHONPATH"):
        env.pop(k, None)
    return env


def test_install_lists_the_files_and_uninstall_removes_them(root, tmp_path):
    for f in EXPECTED:
        assert os.path.isfile(os.path.join(root, "usr/local", f)), f
    helper = os.path.join(root, "sbin", "mount.genomedb")
    assert os.access(helper, os.X_OK)
    assert "/usr/local/bin/genomedb" in open(helper).read()
    other = tmp_path / "again"
    run = lambda t: subprocess.run(["make", "-s", "-C", U.REPO, f"BUILD={U.BUILD}",  # noqa: E731
                                    f"DESTDIR={other}", t], capture_output=True, text=True)
    assert run("install").returncode == 0
    assert run("uninstall").returncode == 0
    left = [os.path.join(dp, f) for dp, _, fs in os.walk(other) for f in fs]
    assert left == []


def test_every_installed_header_stands_alone(root, tmp_path):
    """A user includes any installed header by itself: templates and
    module-internal headers are not installed (the Makefile's
    PRIVATE_HEADERS), and each one installed compiles on its own."""
    inc = os.path.join(root, "usr/local/include/genomedb")
    heads = sorted(os.path.relpath(os.path.join(dp, f), inc)
                   for dp, _, fs in os.walk(inc) for f in fs)
    assert "api/genomedb.h" in heads and "simd/align_striped.h" not in heads
    bad = []
    for h in heads:
        src = tmp_path / "h.c"
        src.write_text(f'#include "{h}"\n')
        r = subprocess.run(["cc", "-std=gnu11", "-Wall", "-Werror", "-fsyntax-only",
                            f"-I{inc}", str(src)], capture_output=True, text=True)
        if r.returncode:
            bad.append((h, r.stderr.splitlines()[:2]))
    assert bad == []


def _san_env(env, so):
    """Python loading an ASan-built library (make asan) needs the runtimes
    preloaded, which gdbutil removed from the children's environment."""
    if b"__asan_init" not in so:
        return env
    rt = [subprocess.run(["cc", f"-print-file-name={n}"], capture_output=True,
                         text=True).stdout.strip() for n in ("libasan.so", "libubsan.so")]
    return dict(env, LD_PRELOAD=" ".join(rt), ASAN_OPTIONS="detect_leaks=0")


def test_installed_package_and_c_api(root, tmp_path):
    store = P.build_store(tmp_path, full=False)
    so = open(os.path.join(root, "usr/local/lib/libgenomedb.so"), "rb").read()
    env = _clean_env()
    env["PYTHONPATH"] = os.path.join(root, "usr/local/lib/python3/dist-packages")
    code = ("import genomedb, genomedb._lib as L; s = genomedb.open(%r); "
            "print(L.lib._name); print(s['athal'].fetch('Chr1', 1001, 1010))" % store)
    r = subprocess.run(["/usr/bin/python3", "-c", code],
                       capture_output=True, text=True, env=_san_env(env, so))
    assert r.returncode == 0, r.stderr
    libpath, seq = r.stdout.split()
    assert os.path.realpath(libpath) == os.path.realpath(os.path.join(root, "usr/local/lib/libgenomedb.so"))
    src = tmp_path / "t.c"
    src.write_text(C_PROGRAM)
    pc = subprocess.run(["pkg-config", "--cflags", "--libs", "genomedb"], capture_output=True,
                        text=True, env=dict(env, PKG_CONFIG_PATH=os.path.join(root, "usr/local/lib/pkgconfig"),
                                            PKG_CONFIG_SYSROOT_DIR=str(root)))
    assert pc.returncode == 0, pc.stderr
    san = ["-fsanitize=address,undefined"] if b"__asan_init" in so else []
    cc = subprocess.run(["cc", "-std=gnu11", *san, "-o", str(tmp_path / "t"), str(src),
                         *pc.stdout.split()], capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr
    r = subprocess.run([str(tmp_path / "t"), store], capture_output=True, text=True,
                       env=dict(env, LD_LIBRARY_PATH=os.path.join(root, "usr/local/lib")))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["Chr1", seq]


def test_example_plugin_builds_against_the_installed_header(root, tmp_path):
    """api/genomedb_plugin.h is all a plugin needs: the example compiles with
    the installed Cflags alone and links against nothing of GenomeDB."""
    env = dict(_clean_env(), PKG_CONFIG_PATH=os.path.join(root, "usr/local/lib/pkgconfig"),
               PKG_CONFIG_SYSROOT_DIR=str(root))
    pc = subprocess.run(["pkg-config", "--cflags", "genomedb"], capture_output=True, text=True, env=env)
    assert pc.returncode == 0, pc.stderr
    out = tmp_path / "libgdb_cpg.so"
    cc = subprocess.run(["cc", "-std=gnu11", "-shared", "-fPIC", "-Wall", "-Werror", "-o", str(out),
                         os.path.join(U.REPO, "examples", "plugin", "cpg.c"), *pc.stdout.split()],
                        capture_output=True, text=True, cwd=str(tmp_path))
    assert cc.returncode == 0, cc.stderr
    nm = subprocess.run(["nm", "-D", "--defined-only", str(out)], capture_output=True, text=True)
    assert " T genomedb_plugin_init" in nm.stdout
    assert "gdb_" not in subprocess.run(["nm", "-D", "--undefined-only", str(out)],
                                        capture_output=True, text=True).stdout


def test_fstab_mount_through_the_helper(root, tmp_path):
    U.require_fuse()
    if os.geteuid() != 0:
        pytest.skip("mount(8) with an fstab needs root")
    link = "/sbin/mount.genomedb"
    if os.path.lexists(link):
        pytest.fail(f"{link} exists already; this test will not replace it", pytrace=False)
    store = P.build_store(tmp_path, full=False)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    fstab = tmp_path / "fstab"
    fstab.write_text(f"{store} {mnt} genomedb defaults,cache=64M,policy=lru,ro 0 0\n")
    os.symlink(os.path.join(root, "sbin", "mount.genomedb"), link)
    try:
        env = dict(os.environ, GENOMEDB_BIN=U.BINARY)
        r = subprocess.run(["mount", "-T", str(fstab), str(mnt)], capture_output=True,
                           text=True, env=env, timeout=30)
        assert r.returncode == 0, r.stderr
        try:
            assert os.path.ismount(mnt)
            with open(os.path.join(mnt, "athal", "Chr1", "1001-1010.seq")) as f:
                got = f.read()
            import genomedb
            with genomedb.open(store) as s:
                assert got == s["athal"].fetch("Chr1", 1001, 1010)
        finally:
            subprocess.run(["fusermount3", "-u", "-z", str(mnt)], capture_output=True)
    finally:
        os.unlink(link)
