"""examples/snakemake: the workflow run by Debian's snakemake on a mount,
its tables checked against peers that do not use GenomeDB (pysam and
Biopython for GC, a regular expression for motif sites, bcftools
+fill-tags for allele frequencies) and against the mount's own files."""
import csv
import os
import re
import shutil
import subprocess

import pytest

import gdbutil as U
import python_util as P
import variants_util as V

EXAMPLE = os.path.join(U.REPO, "examples", "snakemake")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Store b37 + variant set kg, mounted; the workflow run once."""
    U.require_fuse()
    assert shutil.which("snakemake"), "snakemake missing: make deps installs Debian's"
    d = tmp_path_factory.mktemp("pipe")
    store = os.path.join(str(d), "pipe.gdb")
    for args in (("init", store),
                 ("import", "fasta", store, "--assembly", "b37", V.KG_REF, "--quiet"),
                 ("import", "vcf", store, "--set", "kg", "--reference", "b37", V.KG_VCF,
                  "--panel", V.PANEL, "--quiet")):
        r = U.gdb(*args)
        assert r.rc == 0, r
    work = os.path.join(str(d), "work")
    os.mkdir(work)
    with U.mounted(store, d) as m:
        p = subprocess.run(["snakemake", "--cores", "1", "--snakefile",
                            os.path.join(EXAMPLE, "Snakefile"), "--directory", work,
                            "--config", f"mount={m.path}", "outdir=results"],
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
        yield {"mnt": m.path, "out": os.path.join(work, "results"), "d": str(d)}


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def bed_regions():
    out = []
    with open(os.path.join(EXAMPLE, "regions.bed")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                c, b, e, name = line.split()[:4]
                out.append((name, c, int(b) + 1, int(e)))
    return out


def reference(run):
    import pysam
    return pysam.FastaFile(P.plain_copy(V.KG_REF, run["d"]))


def test_gc_table_equals_biopython(run):
    from Bio.SeqUtils import gc_fraction
    fa = reference(run)
    got = rows(os.path.join(run["out"], "gc.tsv"))
    assert [(r["name"], r["chrom"], int(r["start"]), int(r["end"])) for r in got] == bed_regions()
    for r in got:
        seq = fa.fetch(r["chrom"], int(r["start"]) - 1, int(r["end"]))
        assert abs(float(r["gc"]) - gc_fraction(seq, ambiguous="ignore")) < 5e-7, r


def test_gc_profiles_are_the_mounts_windows(run):
    from Bio.SeqUtils import gc_fraction
    fa = reference(run)
    for name, c, b, e in bed_regions():
        path = os.path.join(run["out"], "gc", name + ".tsv")
        src = os.path.join(run["mnt"], "compute", "gc", "b37", c, f"{b}-{e}@w=1000.tsv")
        assert U.read_file(path) == U.read_file(src)
        win = rows(path)
        assert len(win) == (e - b) // 1000 + 1
        w = win[len(win) // 2]
        seq = fa.fetch(c, int(w["start"]) - 1, int(w["end"]))
        assert abs(float(w["gc"]) - gc_fraction(seq, ambiguous="ignore")) < 5e-7


IUPAC = {"A": "A", "C": "C", "G": "G", "T": "T", "R": "[AG]", "Y": "[CT]", "S": "[CG]",
         "W": "[AT]", "K": "[GT]", "M": "[AC]", "B": "[CGT]", "D": "[AGT]", "H": "[ACT]",
         "V": "[ACG]", "N": "[ACGT]"}
COMPLEMENT = str.maketrans("ACGTRYSWKMBDHVN", "TGCAYRSWMKVHDBN")


def overlapping(motif, seq):
    """Matches of an IUPAC motif in seq, overlapping ones included."""
    pattern = "".join(IUPAC[ch] for ch in motif)
    return len(re.findall(f"(?={pattern})", seq))


def test_motif_table_equals_a_regex_scan(run):
    fa = reference(run)
    got = rows(os.path.join(run["out"], "motifs.tsv"))
    assert len(got) == len(bed_regions())
    motif = got[0]["motif"]
    rc = motif[::-1].translate(COMPLEMENT)
    assert rc != motif                    # strands distinguishable
    for r in got:
        seq = fa.fetch(r["chrom"], int(r["start"]) - 1, int(r["end"])).upper()
        assert int(r["plus"]) == overlapping(motif, seq), r
        assert int(r["minus"]) == overlapping(rc, seq), r
    assert sum(int(r["plus"]) for r in got) > 0      # the check had something to count
    assert any(r["plus"] != r["minus"] for r in got)


def fill_tags_af(run, c, b, e):
    """(pos, population) -> (AC, AN) from bcftools +fill-tags -S (groups
    from the panel), records whose POS is in the region."""
    groups = os.path.join(run["d"], "groups.txt")
    with open(groups, "w") as f:
        for s, (pop, _sup) in V.panel_rows().items():
            f.write(f"{s}\t{pop}\n")
    vcf = subprocess.run(["bcftools", "+fill-tags", V.KG_VCF, "-r", f"{c}:{b}-{e}",
                          "--regions-overlap", "pos", "--", "-S", groups, "-t", "AC,AN"],
                         capture_output=True, text=True, check=True).stdout
    out = {}
    for line in vcf.splitlines():
        if line.startswith("#"):
            continue
        t = line.split("\t")
        info = dict(kv.split("=", 1) for kv in t[7].split(";") if "=" in kv)
        for k, v in info.items():
            if k.startswith("AN_"):
                out[(int(t[1]), k[3:])] = (info["AC_" + k[3:]], int(v))
    return out


def test_af_table_equals_bcftools_fill_tags(run):
    got = rows(os.path.join(run["out"], "af.tsv"))
    regions = bed_regions()
    assert {r["name"] for r in got} == {name for name, *_ in regions}
    for name, c, b, e in regions:
        mine = [r for r in got if r["name"] == name]
        src = rows(os.path.join(run["mnt"], "variants", "kg", c, f"{b}-{e}@by=population.af.tsv"))
        assert [{k: v for k, v in r.items() if k != "name"} for r in mine] == src
        peer = fill_tags_af(run, c, b, e)
        assert len(mine) == len(peer) > 0
        for r in mine:
            ac, an = peer[(int(r["pos"]), r["population"])]
            assert (r["ac"], int(r["an"])) == (ac, an), r
            if an:
                want = [int(x) / an for x in ac.split(",")]
                assert all(abs(float(x) - y) < 1e-8 for x, y in zip(r["af"].split(","), want))


def test_plot_is_a_png(run):
    import matplotlib.image
    path = os.path.join(run["out"], "plot.png")
    assert U.read_file(path)[:8] == b"\x89PNG\r\n\x1a\n"
    img = matplotlib.image.imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert img[..., :3].std() > 0            # something was drawn


def test_rerun_has_nothing_to_do(run):
    p = subprocess.run(["snakemake", "--cores", "1", "--snakefile",
                        os.path.join(EXAMPLE, "Snakefile"), "--directory",
                        os.path.dirname(run["out"]), "--config", f"mount={run['mnt']}",
                        "outdir=results", "--dry-run"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "Nothing to be done" in p.stdout + p.stderr


def test_cwl_tool_reads_a_mount_path(run, tmp_path):
    """examples/cwl: cwltool (Debian's) runs a CommandLineTool on a File
    whose location is a mount path with parameters in its name."""
    import numpy as np
    assert shutil.which("cwltool"), "cwltool missing: make deps installs Debian's"
    src = os.path.join(run["mnt"], "compute", "gc", "b37", "20", "1500001-1512000@w=1000.tsv")
    job = tmp_path / "job.yml"
    job.write_text(f"windows:\n  class: File\n  location: {src}\n")
    p = subprocess.run(["cwltool", "--quiet", "--relax-path-checks", "--outdir", str(tmp_path / "out"),
                        os.path.join(U.REPO, "examples", "cwl", "mean_gc.cwl"), str(job)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    gc = np.array([float(r["gc"]) for r in rows(src)])
    assert len(gc) == 12
    assert abs(float((tmp_path / "out" / "mean_gc.txt").read_text()) - gc.mean()) < 5e-7
