"""/annotations through a real mount (docs/PATHS.md "Annotations"), on real
annotation files: SGD's yeast GFF3 (URL-escaped attributes), RefSeq's E.
coli GFF, TAIR's Arabidopsis GFF (Parents cut off by the 1% subset), RefSeq
hg19 chr20 exons (featureCounts SAF turned into bgzipped BED), a
hand-written GTF and a BED12 made from it. Peers: tabix on the sorted,
bgzipped source for every region file; a gffread-like model with pysam and
Biopython (annot_oracle.py) for every sequence; the RefSeq E. coli
proteome for the translations."""
import errno
import gzip
import os
import random
import subprocess

import pysam
import pytest

import annot_oracle as O
import gdbutil as U

pytestmark = pytest.mark.mount

SETS = {  # set: (file, format, reference, extra import args)
    "sgd": ("yeast_S288C_chrI_chrII.gff3.gz", "gff3", "yeast", []),
    "hand": ("yeast_chrI_hand.gtf", "gtf", "yeast", []),
    "ecoli": ("ecoli_K12_MG1655_1Mbp.gff.gz", "gff3", "ecoli", []),
    "athal": ("arabidopsis_thaliana_1pct.gff.gz", "gff3", "athal", ["--allow-orphans"]),
    "refseq": ("@saf", "bed", "hg19", []),
    "b12": ("@bed12", "bed", "yeast", []),
}


def saf_to_bed(work):
    """hg19 RefSeq exons (SAF: GeneID Chr Start End Strand, 1-based) as a
    bgzipped BED6 in file order (BED start = Start - 1)."""
    rows = O.read_text(os.path.join(O.ADATA, "hg19_RefSeq_exons_chr20.saf.gz")).split("\n")[1:]
    out = [f"{c[1]}\t{int(c[2]) - 1}\t{c[3]}\t{c[0]}\t0\t{c[4]}"
           for c in (r.split("\t") for r in rows if r)]
    path = os.path.join(work, "refseq_chr20.bed")
    with open(path, "w") as f:
        f.write("track name=refseq\n" + "\n".join(out) + "\n")
    subprocess.run(["bgzip", "-f", path], check=True)
    return path + ".gz"


def gtf_to_bed12(work):
    """The hand GTF's transcripts as BED12 (exon blocks, thick = CDS and
    stop codon)."""
    lines = O.feature_lines(O.read_text(os.path.join(O.ADATA, "yeast_chrI_hand.gtf")), "gtf")
    m = O.Model(lines, "gtf")
    out = []
    for tid in sorted(set(m.kids) - {"YAL068C", "YAL003W"}):
        seqid, strand, ex, _ = m.segments(tid, False)
        cds = m.segments(tid, True)[2]
        b, e = ex[0][0], ex[-1][1]
        out.append("\t".join(map(str, [
            seqid, b, e, tid, 0, strand, cds[0][0], cds[-1][1], "0", len(ex),
            ",".join(str(x[1] - x[0]) for x in ex) + ",",
            ",".join(str(x[0] - b) for x in ex) + ","])))
    path = os.path.join(work, "hand.bed")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return path


class Env:
    pass


@pytest.fixture(scope="module")
def env(tmp_path_factory, genomedb):
    U.require_fuse()
    work = str(tmp_path_factory.mktemp("annot"))
    e = Env()
    e.work = work
    store = os.path.join(work, "a.gdb")
    assert U.gdb("init", store).rc == 0
    yeast = os.path.join(work, "yeast.fa")
    with open(yeast, "wb") as f:
        for n in ("yeast_S288C_chrI.fa.gz", "yeast_S288C_chrII.fa.gz"):
            f.write(gzip.decompress(open(os.path.join(U.DATA, n), "rb").read()))
    genomes = {"yeast": yeast,
               "ecoli": os.path.join(U.DATA, "ecoli_K12_MG1655_NC_000913.3.fna.gz"),
               "athal": os.path.join(U.DATA, "arabidopsis_thaliana_1pct.fa.gz"),
               "hg19": os.path.join(U.DATA, "human_hg19_chr20_unittest.fasta.gz")}
    e.fasta = {}
    for asm, path in genomes.items():
        r = U.gdb("import", "fasta", store, "--assembly", asm, path, "--quiet")
        assert r.rc == 0, r
        copy = os.path.join(work, asm + ".ref.fa" + (".gz" if asm == "hg19" else ""))
        with open(copy, "wb") as f:   # hg19 is bgzip: pysam indexes it as it is
            f.write(read(path) if asm == "hg19" else
                    U.format_fasta(U.parse_fasta(U.read_maybe_gz(path))[0]))
        pysam.faidx(copy)
        e.fasta[asm] = pysam.FastaFile(copy)
    made = {"@saf": saf_to_bed(work), "@bed12": gtf_to_bed12(work)}
    e.src, e.lines, e.tabix, e.fmt = {}, {}, {}, {}
    for s, (f, fmt, ref, extra) in SETS.items():
        path = made.get(f) or os.path.join(O.ADATA, f)
        r = U.gdb("import", "annotations", store, "--set", s, "--reference", ref, *extra, path)
        assert r.rc == 0, r
        e.src[s], e.fmt[s] = path, fmt
        e.lines[s] = O.feature_lines(O.read_text(path), fmt)
        e.tabix[s] = O.tabix_index(e.lines[s], fmt, os.path.join(work, s + ".sorted"))
    sif = os.path.join(work, "ecoli.sif")
    with open(sif, "w") as f:
        f.write("thrA\tpp\tthrB\nthrB\tpp\tthrC\n")
    assert U.gdb("import", "graph", store, "--network", "thr", sif).rc == 0
    with U.mounted(store, work) as m:
        e.m = m
        e.root = m.p("annotations")
        yield e


def read(path):
    with open(path, "rb") as f:
        return f.read()


def regions(e, s, n, seed):
    """Random regions over the contigs a set uses, plus edge cases: one
    base, whole contigs, ends past the contig, and regions that start where
    a feature ends or end where one starts (touching)."""
    rng = random.Random(f"{s}:{seed}")
    asm = SETS[s][2]
    contigs = sorted({ln.split("\t")[0] for ln in e.lines[s]})
    out = []
    for c in contigs:
        L = e.fasta[asm].get_reference_length(c)
        out += [(c, 1, 1), (c, 1, L), (c, L, L + 50), (c, max(1, L - 1000), L + 10**6)]
    for _ in range(n):
        c = rng.choice(contigs)
        L = e.fasta[asm].get_reference_length(c)
        a = rng.randint(1, L)
        out.append((c, a, a + rng.choice([0, 10, 500, 5000, 100000])))
    col = 1 if e.fmt[s] == "bed" else 3
    for ln in rng.sample(e.lines[s], min(20, len(e.lines[s]))):
        f = ln.split("\t")
        beg1 = int(f[col]) + (1 if e.fmt[s] == "bed" else 0)
        end1 = int(f[col + 1])
        out += [(f[0], end1 + 1, end1 + 100), (f[0], max(1, beg1 - 100), max(1, beg1 - 1)),
                (f[0], end1, end1), (f[0], beg1, beg1)]
    return [(c, a, b) for c, a, b in out if a <= e.fasta[asm].get_reference_length(c)]


NATIVE = {"gff3": ".gff3", "gtf": ".gtf", "bed": ".bed"}


@pytest.mark.parametrize("s", list(SETS))
def test_region_files_equal_tabix(env, s):
    """The source's own format for a region is byte for byte what tabix
    prints for it from the sorted, bgzipped source (the tabix command for
    the first regions, htslib's tabix through pysam for the rest)."""
    tbx = pysam.TabixFile(env.tabix[s])
    for k, (c, a, b) in enumerate(regions(env, s, 60, 1)):
        got = read(os.path.join(env.root, s, U.esc(c), f"{a}-{b}{NATIVE[env.fmt[s]]}"))
        if k < 12:
            want = O.tabix(env.tabix[s], c, a, b)
        else:
            want = "".join(x + "\n" for x in tbx.fetch(c, a - 1, b)).encode()
        assert got == want, f"{s} {c}:{a}-{b}\n" + U.first_diff(got, want)


@pytest.mark.parametrize("s", list(SETS))
def test_region_files_converted(env, s):
    """The other formats are the documented line-by-line conversions of
    the same features."""
    fmt = env.fmt[s]
    tbx = pysam.TabixFile(env.tabix[s])
    for c, a, b in regions(env, s, 25, 2):
        lines = list(tbx.fetch(c, a - 1, b))
        base = os.path.join(env.root, s, U.esc(c), f"{a}-{b}")
        if fmt != "bed":
            want = "".join(O.bed_of_gff_line(x, fmt) for x in lines)
            assert read(base + ".bed").decode() == want, f"{s} {c}:{a}-{b}.bed"
        if fmt == "bed":
            want = "".join(O.gff3_of_bed_line(x) for x in lines)
            assert read(base + ".gff3").decode() == want, f"{s} {c}:{a}-{b}.gff3"
        if fmt == "gtf":
            want = "".join(O.gff3_of_gtf_line(x) for x in lines)
            assert read(base + ".gff3").decode() == want, f"{s} {c}:{a}-{b}.gff3"
        if fmt != "gtf":
            assert not os.path.exists(base + ".gtf")


def test_bed_feeds_prefetch(env):
    """An /annotations BED is a region list `genomedb ctl prefetch` takes."""
    bed = os.path.join(env.root, "ecoli", "NC_000913.3", "1000-20000.bed")
    r = U.gdb("ctl", env.m.path, "prefetch", bed, "--assembly", "ecoli")
    assert r.rc == 0, r
    n = len(read(bed).splitlines())
    assert f"{n} region" in r.err, r.err
    gene = os.path.join(env.root, "ecoli", "genes", "thrA.bed")
    r = U.gdb("ctl", env.m.path, "pin", gene, "--assembly", "ecoli")
    assert r.rc == 0 and "1 region" in r.err, r


def test_gene_names_reach_graph(env):
    """A gene name under /annotations is the node name under /graph."""
    assert read(os.path.join(env.root, "ecoli", "genes", "thrA.bed")).split(b"\t")[3] == b"thrA"
    tsv = read(env.m.p("graph", "thrA", "neighbors.tsv")).decode()
    assert "thrB" in tsv


def gene_ids(model, name):
    return sorted(model.names.get(name, ()))


@pytest.mark.parametrize("s", ["sgd", "ecoli", "hand"])
def test_genes(env, s):
    """genes/<name>.fa is the gene's span (reverse-complemented on '-'),
    .bed its BED6, .gff3 its lines and its descendants' in source order;
    found by ID, Name, gene, gene_name, gene_id or locus_tag."""
    fmt, asm = env.fmt[s], SETS[s][2]
    model = O.Model(env.lines[s], fmt)
    names = sorted(model.names)
    rng = random.Random(s)
    for name in rng.sample(names, min(60, len(names))):
        ids = gene_ids(model, name)
        p = os.path.join(env.root, s, "genes", U.esc(name))
        recs = O.fasta_records(read(p + ".fa"))
        beds = read(p + ".bed").decode().splitlines()
        assert len(recs) == len(ids) == len(beds), name
        for (head, seq), bed in zip(recs, beds):
            gid = head.split()[0]
            assert gid in ids, (name, head)
            idx = model.own.get(gid) or []
            span = [model.lines[i] for i in idx] or [model.lines[i] for i in _below(model, gid)]
            c, strand = span[0][0], span[0][4]
            b, e_ = min(r[2] for r in span), max(r[3] for r in span)
            want = O.spliced(env.fasta[asm], c, "-" if strand == "-" else "+", [(b, e_)])
            assert seq == want, (name, gid)
            assert head == f"{gid} {c}:{b + 1}-{e_}({'-' if strand == '-' else '+'})"
            assert bed.split("\t")[:3] == [c, str(b), str(e_)]
        if fmt == "gff3":
            want = [env.lines[s][i] for i in sorted(set().union(*(_family(model, g) for g in ids)))]
            got = read(p + ".gff3").decode().splitlines()
            assert got == want, name


def _below(model, gid, seen=None):
    seen = set() if seen is None else seen
    out = set()
    for i in model.kids.get(gid, []):
        out.add(i)
        own = _own_id(model, i)
        if own and own not in seen:
            seen.add(own)
            out |= _below(model, own, seen)
    return out


def _own_id(model, i):
    for k, v in model.own.items():
        if i in v:
            return k
    return None


def _family(model, gid):
    return set(model.own.get(gid, [])) | _below(model, gid, {gid})


def transcripts(model):
    return sorted(t for t in set(model.kids) | set(model.own) if model.segments(t, False))


@pytest.mark.parametrize("s", ["sgd", "ecoli", "hand", "athal", "b12"])
def test_transcripts(env, s):
    """transcripts/<id>.fa (exons spliced), .cds.fa and .faa (translated,
    standard code) against the gffread-like model with pysam and
    Biopython."""
    fmt, asm = env.fmt[s], SETS[s][2]
    if fmt == "bed":
        return _bed12_transcripts(env, s)
    model = O.Model(env.lines[s], fmt)
    ids = transcripts(model)
    for tid in random.Random(s).sample(ids, min(80, len(ids))):
        p = os.path.join(env.root, s, "transcripts", U.esc(tid))
        c, strand, segs, _ = model.segments(tid, False)
        [(head, seq)] = O.fasta_records(read(p + ".fa"))
        assert seq == O.spliced(env.fasta[asm], c, strand, segs), tid
        assert head == f"{tid} {c}:{segs[0][0] + 1}-{segs[-1][1]}({strand})"
        cds = model.segments(tid, True)
        if not cds:
            U.expect_errno(lambda: read(p + ".faa"), (errno.ENOENT,))
            continue
        c, strand, segs, phase = cds
        bases = O.spliced(env.fasta[asm], c, strand, segs)
        assert O.fasta_records(read(p + ".cds.fa"))[0][1] == bases, tid
        assert O.fasta_records(read(p + ".faa"))[0][1] == O.protein(bases, phase, 1), tid


def _bed12_transcripts(env, s):
    gtf = O.Model(O.feature_lines(O.read_text(os.path.join(O.ADATA, "yeast_chrI_hand.gtf")),
                                  "gtf"), "gtf")
    for ln in env.lines[s]:
        tid = ln.split("\t")[3]
        p = os.path.join(env.root, s, "transcripts", tid)
        # the BED12 says what the GTF says: same exons, same CDS
        assert read(p + ".fa") == read(os.path.join(env.root, "hand", "transcripts", tid + ".fa"))
        c, strand, segs, phase = gtf.segments(tid, True)
        bases = O.spliced(env.fasta["yeast"], c, strand, segs)
        assert O.fasta_records(read(p + ".cds.fa"))[0][1] == bases
        assert O.fasta_records(read(p + ".faa"))[0][1] == O.protein(bases, phase, 1)


def test_ecoli_proteome(env):
    """Each E. coli CDS translated with @table=11 is the RefSeq protein
    (except where RefSeq says the translation is special)."""
    prot = dict((h.split()[0], sq) for h, sq in O.fasta_records(
        gzip.decompress(read(os.path.join(O.ADATA, "ecoli_K12_MG1655_1Mbp_proteins.faa.gz")))))
    checked = 0
    for ln in env.lines["ecoli"]:
        c = ln.split("\t")
        a = O.gff3_attrs(c[8])
        if c[2] != "CDS" or "protein_id" not in a or "ID" not in a:
            continue
        if any(k in a for k in ("transl_except", "exception", "pseudo", "partial")):
            continue
        p = os.path.join(env.root, "ecoli", "transcripts", U.esc(a["ID"][0]) + "@table=11.faa")
        got = O.fasta_records(read(p))[0][1]
        assert got == prot[a["protein_id"][0]], a["ID"][0]
        checked += 1
    assert checked > 800, checked


def test_table_parameter(env):
    """@table=N picks the genetic code: an E. coli GTG start is M with
    table 11 and V with the standard code; unknown tables and parameters
    on other files are EINVAL."""
    model = O.Model(env.lines["ecoli"], "gff3")
    gtg = None
    for tid in transcripts(model):
        seg = model.segments(tid, True)
        if seg and seg[3] == 0:
            bases = O.spliced(env.fasta["ecoli"], seg[0], seg[1], seg[2])
            if bases[:3] == "GTG":
                gtg = tid
                break
    assert gtg
    t = os.path.join(env.root, "ecoli", "transcripts", U.esc(gtg))
    assert O.fasta_records(read(t + "@table=11.faa"))[0][1][0] == "M"
    assert O.fasta_records(read(t + ".faa"))[0][1][0] == "V"
    # the mount's one grammar: a bad parameter is EINVAL (docs/PATHS.md)
    for bad in ("@table=7.faa", "@table=0.faa", "@table=x.faa", "@tab=11.faa",
                "@table=11.fa", "@table=11.cds.fa"):
        U.expect_errno(lambda: read(t + bad), (errno.EINVAL,))


def test_names_and_errors(env):
    """Listings name files that exist; unknown names and bad ranges are
    ENOENT; the end of a range is clamped."""
    assert sorted(os.listdir(env.root)) == sorted(SETS)
    ls = os.listdir(os.path.join(env.root, "sgd"))
    assert {"genes", "transcripts", "chrI", "chrII"} <= set(ls)
    for s in SETS:
        for d in ("genes", "transcripts"):
            ls = os.listdir(os.path.join(env.root, s, d))
            assert len(ls) == len(set(ls)) and len(ls) % 3 == 0, (s, d)
    genes = os.listdir(os.path.join(env.root, "sgd", "genes"))
    assert "YAL068C.fa" in genes
    for f in random.Random(3).sample(genes, 30):
        assert os.path.getsize(os.path.join(env.root, "sgd", "genes", f)) > 0
    tx = os.listdir(os.path.join(env.root, "hand", "transcripts"))
    for f in tx:
        read(os.path.join(env.root, "hand", "transcripts", f))
    assert sorted(os.listdir(os.path.join(env.root, "sgd", "chrI"))) == \
        ["1-230208.bed", "1-230208.gff3"]
    for p in ("nope", "sgd/nope", "sgd/genes/NOPE.fa", "sgd/transcripts/NOPE.fa",
              "sgd/chrI/0-10.bed", "sgd/chrI/230209-230300.bed", "sgd/chrI/20-10.bed",
              "sgd/chrI/1-10.gtf", "sgd/chrI/1-10.txt", "sgd/chrI/a-10.bed"):
        U.expect_errno(lambda: os.stat(os.path.join(env.root, p)), (errno.ENOENT,))
    assert read(os.path.join(env.root, "sgd", "chrI", "230000-999999999.gff3")) == \
        O.tabix(env.tabix["sgd"], "chrI", 230000, 230208)
    # a contig of the reference without features: an empty answer
    assert read(os.path.join(env.root, "hand", "chrII", "1-1000.bed")) == b""
