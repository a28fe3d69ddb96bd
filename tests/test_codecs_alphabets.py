"""Issue 14: every alphabet and codec round-trips byte for byte; regions
decode as samtools faidx reads the source; lossy modes follow their
documented mapping and are recorded; protein is refused where only
nucleotides make sense; damage in a model codec's block is EIO, local.

Peers: samtools faidx (regions of the source file), Python's hashlib for
.dict M5 (as samtools dict computes it), the source bytes themselves.
"""
import glob
import hashlib
import json
import os
import random
import re
import subprocess

import pytest

import gdbutil as U

DATA = os.path.join(U.HERE, "data")
PROT = os.path.join(DATA, "ecoli_proteins_150.faa")
MIR = os.path.join(DATA, "mirbase_hairpin_400.fa")
S16 = os.path.join(DATA, "rRNA16S_gold_12.fa")
MITO = os.path.join(DATA, "human_hg38_chrM.fa")
SAUR = os.path.join(DATA, "saureus_4x12k.fa")
# four related genomes: the match model into the first (the training
# prefix, --cm-train bases), blocks of 4096 with restarts every 1024
SAUR_CM = ["--codec", "cm", "--block-bases", "4096", "--cm-train", "12000",
           "--cm-table-bits", "16", "--cm-restart", "1024"]
SAUR_MATCH = SAUR_CM + ["--cm-match", "16"]

CASES = {  # id: (file, extra import args, alphabet, codec)
    "protein-auto": (PROT, [], "protein", "protein"),
    "rna-auto-2bit": (MIR, [], "rna", "2bit"),
    "rna-cm": (MIR, ["--alphabet", "rna", "--codec", "cm"], "rna", "cm"),
    "dna-16s-2bit": (S16, [], "dna", "2bit"),
    "dna-16s-cm": (S16, ["--codec", "cm", "--block-bases", "1024"], "dna", "cm"),
    "dna-mito-cm": (MITO, ["--alphabet", "dna", "--codec", "cm"], "dna", "cm"),
    # a small training sample, so most blocks are coded (a sequence within
    # the default sample trains whole and is stored 2-bit): restart points
    # every 256 bases (block kind 4), and none (kind 1, as blocks written
    # before restart points were)
    "dna-mito-cm-restart256": (MITO, ["--codec", "cm", "--block-bases", "4096",
                                      "--cm-train", "4096", "--cm-table-bits",
                                      "16", "--cm-restart", "256"], "dna", "cm"),
    "dna-mito-cm-norestart": (MITO, ["--codec", "cm", "--block-bases", "4096",
                                     "--cm-train", "4096", "--cm-table-bits",
                                     "16", "--cm-restart", "4096"], "dna", "cm"),
    "dna-saureus-cm-match": (SAUR, SAUR_MATCH, "dna", "cm"),
}


def _import(tmp_path, src, args, asm="a"):
    store = str(tmp_path / "s.gdb")
    if not os.path.isdir(store):
        assert U.gdb("init", store).rc == 0
    r = U.gdb("import", "fasta", store, "--assembly", asm, src, *args)
    assert r.rc == 0, r
    return store, r


def _info(store, asm="a"):
    info = json.loads(U.gdb("info", store, "--json").out)
    return next(a for a in info["assemblies"] if a["name"] == asm)


def _names(src):
    return [ln[1:].split()[0] for ln in open(src) if ln.startswith(">")]


@pytest.fixture(scope="module")
def faidx(tmp_path_factory):
    """Plain copies of the sources with a samtools .fai beside each."""
    d = tmp_path_factory.mktemp("faidx")
    out = {}
    for src in (PROT, MIR, S16, MITO, SAUR):
        p = str(d / os.path.basename(src))
        with open(src, "rb") as f, open(p, "wb") as g:
            g.write(f.read())
        r = subprocess.run(["samtools", "faidx", p], capture_output=True)
        assert r.returncode == 0, r.stderr
        out[src] = p
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_round_trip_and_regions(tmp_path, faidx, case):
    src, args, alphabet, codec = CASES[case]
    store, r = _import(tmp_path, src, args)
    a = _info(store)
    assert (a["alphabet"], a["codec"], a["lossless"]) == (alphabet, codec, True), a
    if "--alphabet" not in args:
        assert a["alphabet_detected"] is True
        assert f"alphabet: {alphabet}, detected by content" in r.err, r.err
    # the codec said once per word ("protein protein" was printed once)
    txt = U.gdb("info", store).out.decode()
    assert f"codec: {codec}" in txt and f"{codec} {codec}" not in txt, txt
    got = U.gdb("export", "fasta", store, "a")
    assert got.rc == 0, got
    want = open(src, "rb").read()
    assert got.out == want, U.first_diff(got.out, want)
    # regions against samtools faidx on the source: random ones, and ones
    # across block edges of the stream
    plain, rng = faidx[src], random.Random(case)
    lens = dict((ln.split("\t")[0], int(ln.split("\t")[1]))
                for ln in open(plain + ".fai"))
    names = _names(src)
    regs = []
    for _ in range(25):
        n = rng.choice(names)
        s = rng.randint(1, lens[n])
        regs.append(f"{n}:{s}-{min(lens[n], s + rng.randint(0, 1500))}")
    regs += [names[0], names[-1], f"{names[-1]}:1-1"]
    ref = subprocess.run(["samtools", "faidx", plain] + regs, capture_output=True)
    assert ref.returncode == 0, ref.stderr
    out = U.gdb("export", "fasta", store, "a", *regs)
    assert out.rc == 0, out
    assert out.out == ref.stdout, U.first_diff(out.out, ref.stdout)


def test_auto_detection_keeps_stray_letters_errors(tmp_path):
    """A J among DNA bases is an error at its line, not a protein."""
    p = tmp_path / "bad.fa"
    p.write_text(">x\n" + "ACGT" * 30 + "\n" + "ACGJ" + "ACGT" * 29 + "\n")
    store = str(tmp_path / "s.gdb")
    assert U.gdb("init", store).rc == 0
    r = U.gdb("import", "fasta", store, "--assembly", "a", str(p))
    assert r.rc != 0 and f"{p}:3:" in r.err and "'J'" in r.err, r
    # asked for, the same letters are a protein
    p.write_text(">x\nMKVLJAGT\n")
    store2, _ = _import(tmp_path, str(p), ["--alphabet", "protein"], "p")
    assert _info(store2, "p")["alphabet"] == "protein"


@pytest.mark.parametrize("modes", [["drop-mask"], ["iupac-to-n"],
                                   ["drop-mask", "iupac-to-n"]])
def test_lossy_modes_follow_their_mapping(tmp_path, modes):
    args = [x for m in modes for x in ("--lossy", m)]
    store, r = _import(tmp_path, S16, args)
    a = _info(store)
    assert a["lossless"] is False and a["lossy"] == ",".join(modes), a
    src = open(S16, "rb").read()
    want = []
    for line in src.split(b"\n"):
        if not line.startswith(b">"):
            if "iupac-to-n" in modes:
                line = re.sub(rb"[RYSWKMBDHV]", b"N", line)
                line = re.sub(rb"[ryswkmbdhv]", b"n", line)
            if "drop-mask" in modes:
                line = line.upper()
        want.append(line)
    want = b"\n".join(want)
    assert want != src
    got = U.gdb("export", "fasta", store, "a").out
    assert got == want, U.first_diff(got, want)
    changed = sum(x != y for x, y in zip(src, want))
    assert f"lossy: {changed} bases changed" in r.err, r.err


def test_protein_dict_xattrs_and_refusals(tmp_path):
    """.dict M5 and user.gdb.md5 of short proteins (digests computed on
    demand) equal hashlib's; GC and k-mers refuse a protein assembly."""
    store, _ = _import(tmp_path, PROT, [], "prot")
    _import(tmp_path, S16, ["--lossy", "drop-mask"], "s16")
    seqs, name = {}, None
    for ln in open(PROT):
        if ln.startswith(">"):
            name = ln[1:].split()[0]
            seqs[name] = ""
        else:
            seqs[name] += ln.strip()
    U.require_fuse()
    with U.mounted(store, tmp_path) as m:
        d = U.read_file(m.p("prot", "prot.dict")).decode().splitlines()[1:]
        for ln in d:
            f = dict(x.split(":", 1) for x in ln.split("\t")[1:])
            want = hashlib.md5(seqs[f["SN"]].upper().encode()).hexdigest()
            assert f["M5"] == want and int(f["LN"]) == len(seqs[f["SN"]]), ln
        n = next(iter(seqs))
        c = m.p("prot", U.esc(n))
        assert os.getxattr(c, "user.gdb.md5").decode() == \
            hashlib.md5(seqs[n].encode()).hexdigest()
        assert os.getxattr(c, "user.gdb.lossless") == b"1"
        s = _names(S16)[0]
        assert os.getxattr(m.p("s16", U.esc(s)), "user.gdb.lossless") == b"0"
        for kind in ("gc", "kmers"):
            U.expect_errno(lambda: os.stat(m.p("compute", kind, "prot", U.esc(n),
                                               "1-20.tsv")), (22,))
        assert "is protein; gc needs DNA or RNA" in m.log_text()


def _flip_first_block(store):
    """Flip a byte of the assembly's first block (after its model)."""
    model = _info(store)["model_bytes"]
    seg = max(glob.glob(os.path.join(store, "seg-*.gdb")), key=os.path.getsize)
    with open(seg, "r+b") as f:
        f.seek(64 + model + 40)
        b = f.read(1)
        f.seek(64 + model + 40)
        f.write(bytes([b[0] ^ 0xFF]))


def test_damaged_protein_block_is_eio_and_local(tmp_path):
    store, _ = _import(tmp_path, PROT, [])
    names = _names(PROT)
    want_last = U.gdb("export", "fasta", store, "a", names[-1]).out
    _flip_first_block(store)
    r = U.gdb("verify", store)
    assert r.rc == 1 and "checksum mismatch" in r.out.decode() + r.err, r
    bad = U.gdb("export", "fasta", store, "a", names[0])
    assert bad.rc != 0 and "checksum mismatch" in bad.err, bad
    # the last record lives in another block: still served exactly
    assert U.gdb("export", "fasta", store, "a", names[-1]).out == want_last


def test_cm_match_model_uses_the_related_genomes(tmp_path):
    """The match model into the first genome (stored 2-bit) codes the
    other three in a fraction of their 2-bit size; the store says so.
    (tests/unit/test_cm_match.c sets it beside the same model without.)"""
    store, _ = _import(tmp_path, SAUR, ["--block-bases", "4096"], asm="2bit")
    _import(tmp_path, SAUR, SAUR_MATCH, asm="match")
    blocks = {}
    for a in ("2bit", "match"):
        i = _info(store, a)
        blocks[a] = i["stored_bytes"] - i["model_bytes"]
    # 2-bit: 4 x 3000 bytes; the match model: 3000 + well under 3 x 1000
    assert blocks["match"] * 2 < blocks["2bit"], blocks
    txt = U.gdb("info", store).out.decode()
    assert "match model (16 bases)" in txt and "first 3 blocks" in txt, txt


@pytest.mark.parametrize("src,args", [(S16, CASES["dna-16s-cm"][1]),
                                      (SAUR, SAUR_MATCH)],
                         ids=["16s", "saureus-match"])
def test_damaged_cm_training_block_fails_closed(tmp_path, src, args):
    """A cm model is rebuilt from training blocks (with a match model:
    also its reference): damage to one of them makes every read of that
    assembly fail (EIO, logged), never wrong bytes (docs/FORMAT.md,
    "cm")."""
    store, _ = _import(tmp_path, src, args)
    names = _names(src)
    _flip_first_block(store)
    r = U.gdb("verify", store)
    assert r.rc == 1 and "checksum mismatch" in r.out.decode() + r.err, r
    for n in (names[0], names[-1]):
        bad = U.gdb("export", "fasta", store, "a", n)
        assert bad.rc != 0 and bad.out == b"" and "checksum mismatch" in bad.err, bad


# docs/PATHS.md ".u8 codes": amino acids in alphabetical order, then the rest
PROTEIN_U8 = "ACDEFGHIKLMNPQRSTVWYBZXUOJ*"


def test_protein_u8_codes_and_no_reverse_complement(tmp_path):
    """A protein region's .u8 (mount and Python API alike) holds the
    documented residue codes of the source's letters, either case; a
    protein has no .rc.fa (ENOENT, not listed). Before, .u8 gave the DNA
    codes (15 for most residues) and .rc.fa 'complemented' residues."""
    import python_util  # noqa: F401  (puts the package on sys.path)
    import genomedb
    import numpy as np
    store, _ = _import(tmp_path, PROT, [], "prot")
    seqs, name = {}, None
    for ln in open(PROT):
        if ln.startswith(">"):
            name = ln[1:].split()[0]
            seqs[name] = ""
        else:
            seqs[name] += ln.strip()
    code = {c: i for i, c in enumerate(PROTEIN_U8)}
    code.update({c.lower(): i for c, i in code.items()})
    s = genomedb.open(store)
    a = s["prot"]
    for n in list(seqs)[:20]:
        want = np.array([code[c] for c in seqs[n]], dtype=np.uint8)
        assert (a.array(n, 1, len(seqs[n])) == want).all(), n
    s.close()
    U.require_fuse()
    with U.mounted(store, tmp_path) as m:
        for n in list(seqs)[:20]:
            L = len(seqs[n])
            d = m.p("prot", U.esc(n))
            got = U.read_file(os.path.join(d, f"2-{L}.u8"))
            assert got == bytes(code[c] for c in seqs[n][1:]), n
            assert f"1-{L}.rc.fa" not in os.listdir(d)
            assert f"1-{L}.u8" in os.listdir(d)
            U.expect_errno(lambda: os.stat(os.path.join(d, f"1-{L}.rc.fa")), (2,))


def test_short_records_store_no_digests(tmp_path):
    """A record no longer than a block keeps no stored digests (40 bytes
    would cost more than a hairpin's bases); its MD5, computed when asked
    for, equals hashlib's of the upper-cased sequence."""
    store, _ = _import(tmp_path, MIR, [])
    a = _info(store)
    seqs, name = {}, None
    for ln in open(MIR):
        if ln.startswith(">"):
            name = ln[1:].split()[0]
            seqs[name] = ""
        else:
            seqs[name] += ln.strip()
    assert len(a["contigs"]) == len(seqs) == 400
    # the bases alone are about 9.7 KB at 2 bits; 400 stored digests
    # would add 16,000 bytes
    assert a["stored_bytes"] < 400 * 40, a["stored_bytes"]
    for c in a["contigs"]:
        assert c["md5"] == hashlib.md5(seqs[c["name"]].upper().encode()).hexdigest(), c
