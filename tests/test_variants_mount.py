"""/variants through a real mount, checked against bcftools (view -r,
view -s, query), cyvcf2 and NumPy computations written here."""
import errno
import io
import os

import numpy as np
import pytest

import gdbutil as U
import variants_util as V

pytestmark = pytest.mark.mount


@pytest.fixture(scope="module")
def vm(vstore, tmp_path_factory):
    U.require_fuse()
    with U.mounted(vstore["path"], tmp_path_factory.mktemp("vmnt")) as m:
        m.v = os.path.join(m.path, "variants")
        yield m


def body(b):
    return b"".join(l + b"\n" for l in b.split(b"\n") if l and not l.startswith(b"#"))


def test_listing(vm):
    sets = sorted(os.listdir(vm.v))
    assert {"kg", "kgbcf", "giab", "m_missing"} <= set(sets)
    assert sorted(os.listdir(os.path.join(vm.v, "kg"))) == ["20", "samples.tsv"]
    assert "1-63025520.vcf" in os.listdir(os.path.join(vm.v, "kg", "20"))


@pytest.mark.parametrize("region", ["1000226-1000226", "1500000-1600000", "1-999999",
                                    "3999000-70000000", "2000000-2999999"])
def test_region_vcf_equals_bcftools(vm, region):
    a, b = region.split("-")
    got = U.read_file(os.path.join(vm.v, "kg", "20", region + ".vcf"))
    end = min(int(b), 63025520)
    assert body(got) == V.bcftools_records(V.KG_VCF, f"20:{a}-{end}")
    assert got.startswith(b"##fileformat=VCFv4.2\n")
    st = os.stat(os.path.join(vm.v, "kg", "20", region + ".vcf"))
    assert st.st_size == len(got)


def test_region_bcf_is_valid_bcf(vm, tmp_path):
    p = tmp_path / "r.bcf"
    p.write_bytes(U.read_file(os.path.join(vm.v, "kg", "20", "1500000-1700000.bcf")))
    assert V.sh("bcftools", "view", "-H", p) == V.bcftools_records(V.KG_VCF, "20:1500000-1700000")
    import pysam
    with pysam.VariantFile(str(p)) as f:
        assert sum(1 for _ in f) > 1000


def test_sample_subsets_equal_bcftools_view_s(vm, vstore):
    names = ["HG00097", "NA06985", "HG01500"]
    got = U.read_file(os.path.join(vm.v, "kg", "20", "1200000-1300000@samples=" + ",".join(names) + ".vcf"))
    want = V.bcftools_records(V.KG_VCF, "20:1200000-1300000", sorted(names, key=vstore["samples"].index))
    assert body(got) == want
    ceu = [s for s, (p, _) in V.panel_rows().items() if p == "CEU" and s in vstore["samples"]]
    got = U.read_file(os.path.join(vm.v, "kg", "20", "1200000-1300000@pop=CEU.vcf"))
    assert body(got) == V.bcftools_records(V.KG_VCF, "20:1200000-1300000", ceu)


def test_gt_npy_equals_cyvcf2_and_query(vm, vstore):
    import cyvcf2
    got = np.load(io.BytesIO(U.read_file(os.path.join(vm.v, "kg", "20", "1000000-1400000.gt.npy"))))
    rows = []
    for v in cyvcf2.VCF(V.KG_VCF)("20:1000000-1400000"):
        if 1000000 <= v.POS <= 1400000:
            g = v.genotype.array()[:, :2]
            rows.append(np.where((g < 0).any(axis=1), -1, (g > 0).sum(axis=1)))
    assert got.dtype == np.int8 and got.shape == (len(rows), 300)
    assert np.array_equal(got, np.array(rows, dtype=np.int8))
    sub = np.load(io.BytesIO(U.read_file(os.path.join(vm.v, "kg", "20", "1000000-1400000@samples=NA06986,HG00096.gt.npy"))))
    idx = [vstore["samples"].index("HG00096"), vstore["samples"].index("NA06986")]
    assert np.array_equal(sub, got[:, idx])


@pytest.mark.parametrize("case", ["missing", "multiallelic", "ploidy", "phasing", "names"])
def test_gt_npy_of_messy_calls(vm, vstore, case):
    src = vstore["messy"][case]
    got = np.load(io.BytesIO(U.read_file(os.path.join(vm.v, "m_" + case, "chrI", "1-230208.gt.npy"))))
    _, _, _, arr = V.query_genotypes(src)
    assert np.array_equal(got, V.dosage(arr))


def test_sites_tsv_equals_bcftools_query(vm):
    import pandas as pd
    df = pd.read_csv(os.path.join(vm.v, "kg", "20", "1000000-1200000.sites.tsv"), sep="\t")
    q = V.sh("bcftools", "query", "-r", "20:1000000-1200000", "--regions-overlap", "pos", "-f",
             "%CHROM\t%POS\t%ID\t%REF\t%ALT\t%INFO/AF\t%INFO/AC\t%INFO/CM\t%INFO/AN\n", V.KG_VCF).decode()
    rows = [l.split("\t") for l in q.splitlines()]
    assert list(df.columns) == ["chrom", "pos", "id", "ref", "alt", "qual", "filter", "AF", "AC", "CM", "AN"]
    assert len(df) == len(rows)
    assert df["pos"].tolist() == [int(r[1]) for r in rows]
    assert df["id"].tolist() == [r[2] for r in rows]
    assert df["alt"].tolist() == [r[4] for r in rows]
    assert np.allclose(df["AF"], [float(r[5]) for r in rows], rtol=1e-6)
    assert df["AN"].tolist() == [int(r[8]) for r in rows]
    assert df["qual"].isna().all()


def _groups(vstore, by, panel):
    rows = V.panel_rows(panel)
    k = 0 if by == "population" else 1
    out = {}
    for i, s in enumerate(vstore["samples"]):
        out.setdefault(rows[s][k], []).append(i)
    return out


@pytest.mark.parametrize("setname,by", [("kg", "population"), ("kgbcf", "superpopulation")])
def test_af_table_equals_numpy(vm, vstore, setname, by):
    import pandas as pd
    panel = V.PANEL if setname == "kg" else vstore["mixed"]
    region = "2000000-2300000"
    df = pd.read_csv(os.path.join(vm.v, setname, "20", f"{region}@by={by}.af.tsv"), sep="\t",
                     dtype={"ac": str, "af": str, "alt": str})
    assert list(df.columns) == ["chrom", "pos", "ref", "alt", by, "ac", "an", "af"]
    pos, ref, alt, arr = V.query_genotypes(V.KG_VCF, "20:" + region.replace("-", "-"))
    groups = _groups(vstore, by, panel)
    names = sorted(groups)
    assert len(df) == len(pos) * len(names)
    ac = np.stack([((arr[:, :, groups[g]] == 1)).sum(axis=(1, 2)) for g in names], axis=1)
    an = np.stack([(arr[:, :, groups[g]] >= 0).sum(axis=(1, 2)) for g in names], axis=1)
    assert df["pos"].tolist() == list(np.repeat(pos, len(names)))
    assert df[by].tolist() == names * len(pos)
    assert df["an"].tolist() == an.ravel().tolist()
    assert [int(x) for x in df["ac"]] == ac.ravel().tolist()
    assert np.allclose(df["af"].astype(float), np.where(an > 0, ac / np.maximum(an, 1), 0).ravel(), atol=1e-8)


def test_af_multiallelic_lists_per_alt(vm, vstore):
    import pandas as pd
    df = pd.read_csv(os.path.join(vm.v, "m_multiallelic", "chrI", "1-230208@by=sample.af.tsv"), sep="\t",
                     dtype=str)
    first = df[df["pos"] == "700"].set_index("sample")
    # S1 1/2, S2 2/3, S3 0/3 (tests/gen/messy_vcf.py)
    assert first.loc["S1", "ac"] == "1,1,0" and first.loc["S2", "ac"] == "0,1,1"
    assert first.loc["S3", "ac"] == "0,0,1" and first.loc["S3", "af"] == "0,0,0.5"


def test_fst_per_variant_and_window_equal_python(vm, vstore):
    import pandas as pd
    region = "1000000-2000000"
    groups = _groups(vstore, "superpopulation", vstore["mixed"])
    names = sorted(groups)
    pos, _, _, arr = V.query_genotypes(vstore["bcf"], "20:" + region)
    ac = {g: (arr[:, :, groups[g]] > 0).sum(axis=(1, 2)).astype(float) for g in names}
    an = {g: (arr[:, :, groups[g]] >= 0).sum(axis=(1, 2)).astype(float) for g in names}
    df = pd.read_csv(os.path.join(vm.v, "kgbcf", "20", f"{region}@by=superpopulation.fst.tsv"), sep="\t")
    win = pd.read_csv(os.path.join(vm.v, "kgbcf", "20", f"{region}@by=superpopulation,window=100000.fst.tsv"),
                      sep="\t")
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    assert len(df) == len(pos) * len(pairs)
    for a, b in pairs:
        num, den = V.hudson_ratio(ac[a], an[a], ac[b], an[b])
        sel = df[(df.superpopulation1 == a) & (df.superpopulation2 == b)]
        ok = den > 0
        assert np.allclose(sel["fst"].to_numpy()[ok], (num / np.where(ok, den, 1))[ok], rtol=1e-5, atol=1e-7)
        assert sel["fst"].isna().to_numpy()[~ok].all()
        w = win[(win.superpopulation1 == a) & (win.superpopulation2 == b)]
        k = (pos - 1) // 100000
        for _, row in w.iterrows():
            m = (k == (row["start"] - 1) // 100000) & ok
            assert row["variants"] == m.sum()
            assert np.isclose(row["fst"], num[m].sum() / den[m].sum(), rtol=1e-5)


def test_summary_equals_numpy(vm, vstore):
    import pandas as pd
    region = "1000000-1500000"
    df = pd.read_csv(os.path.join(vm.v, "kg", "20", f"{region}@by=population.summary.tsv"), sep="\t")
    groups = _groups(vstore, "population", V.PANEL)
    pos, _, _, arr = V.query_genotypes(V.KG_VCF, "20:" + region)
    for _, row in df.iterrows():
        g = arr[:, :, groups[row["population"]]]
        ac = (g > 0).sum(axis=(1, 2))
        an = (g >= 0).sum(axis=(1, 2))
        het = ((g[:, 0] >= 0) & (g[:, 1] >= 0) & (g[:, 0] != g[:, 1])).sum()
        dip = ((g[:, 0] >= 0) & (g[:, 1] >= 0)).sum()
        p = ac / an
        pi = (2 * p * (1 - p) * an / (an - 1)).sum() / 500001
        assert row["sites"] == len(pos) and row["samples"] == len(groups[row["population"]])
        assert row["segregating"] == ((ac > 0) & (ac < an)).sum()
        assert np.isclose(row["heterozygosity"], het / dip, rtol=1e-5)
        assert np.isclose(row["pi"], pi, rtol=1e-5)
        assert row["missingness"] == 0


def test_bad_names_are_enoent(vm):
    d = os.path.join(vm.v, "kg", "20")
    for name in ["0-10.vcf", "10-5.vcf", "70000000-70000001.vcf", "1-10.xyz", "x-10.vcf",
                 "1-10@samples=NOPE.vcf", "1-10@pop=NOPE.vcf"]:
        with pytest.raises(FileNotFoundError):
            U.read_file(os.path.join(d, name))
    with pytest.raises(FileNotFoundError):
        U.read_file(os.path.join(vm.v, "giab", "chr20", "1-100@by=population.af.tsv"))
    # a set without a panel answers by sample
    assert U.read_file(os.path.join(vm.v, "giab", "chr20", "10000000-10010000@by=sample.af.tsv")).startswith(b"chrom\t")
    # the mount's one grammar: leading zeros name the same region
    assert U.read_file(os.path.join(d, "01000226-1000226.vcf")) == U.read_file(os.path.join(d, "1000226-1000226.vcf"))


@pytest.mark.parametrize("leaf,param", [
    ("1-10@by=planet.af.tsv", "by"), ("1-10@window=5.af.tsv", "window"),
    ("1-10@samples=HG00096.sites.tsv", "samples"), ("1-10@by=sample.vcf", "by"),
    ("1-10@by=population,window=0.fst.tsv", "window"), ("1-10@samples=HG00096,pop=CEU.vcf", "pop"),
    ("1-10@samples=.vcf", "samples"), ("1-10@pop=CEU,pop=GBR.vcf", "pop")])
def test_bad_parameters_are_einval_and_logged(vm, leaf, param):
    """Parameters follow the mount's one grammar (docs/PATHS.md "Parameters")."""
    start = vm.log_size()
    p = os.path.join(vm.v, "kg", "20", leaf)
    U.expect_errno(lambda: os.stat(p), (errno.EINVAL,))
    log = vm.log_text(start)
    assert leaf in log and f"'{param}'" in log, log[-2000:]


def test_samples_tsv(vm, vstore):
    lines = U.read_file(os.path.join(vm.v, "kg", "samples.tsv")).decode().splitlines()
    assert lines[0] == "sample\tpopulation\tsuperpopulation"
    rows = V.panel_rows()
    assert [l.split("\t")[0] for l in lines[1:]] == vstore["samples"]
    assert all(tuple(l.split("\t")[1:]) == rows[l.split("\t")[0]] for l in lines[1:])
    names = U.read_file(os.path.join(vm.v, "m_names", "samples.tsv")).decode().splitlines()
    assert [l.split("\t")[0] for l in names[1:]] == ["NA@1", "S 2", "x%y", "a/b"]
    sub = U.read_file(os.path.join(vm.v, "m_names", "chrI", "1-1000@samples=NA%401,a%2Fb.vcf"))
    assert body(sub) == V.bcftools_records(vstore["messy"]["names"], None, ["NA@1", "a/b"])
