#!/usr/bin/python3
"""Deterministic FASTA generators for the GenomeDB tests and benchmarks.

Everything here depends only on a seed, so two runs (or two machines with the
same Python) write the same bytes.  The test suite never hard-codes what these
files contain: it parses them back and uses samtools/pysam as the oracle.

  genfasta.py edge OUT.fa          the edge-case genome (block edges, IUPAC, U,
                                   soft-mask and N runs across 64 Ki blocks,
                                   names with '/', ':' and '-', widths 60/70/80)
  genfasta.py names OUT.fa         contig names that need escaping in paths
  genfasta.py random OUT.fa MBASES [SEED]   large random ACGT genome (crash tests)
  genfasta.py bench OUT.fa MBYTES SRC.fa[.gz]...   ~MBYTES of FASTA built from
                                   real genomes (mutated copies), for make bench
"""
import gzip
import random
import sys

IUPAC_EXTRA = "RYSWKMBDHV"
BLOCK = 65536


def _wrap(seq, width):
    return "".join(seq[i:i + width] + "\n" for i in range(0, len(seq), width))


def _random_acgt(rng, n):
    return "".join(rng.choices("ACGT", k=n))


def _apply(seq, pos, text):
    """Overwrite seq (list of chars) from 0-based pos with text."""
    for i, ch in enumerate(text):
        if 0 <= pos + i < len(seq):
            seq[pos + i] = ch


def _lower(seq, start, end):
    for i in range(max(0, start), min(len(seq), end)):
        seq[i] = seq[i].lower()


def _n_run(seq, start, end, ch="N"):
    for i in range(max(0, start), min(len(seq), end)):
        seq[i] = ch


def _sprinkle(rng, seq, letters, count, lower_frac=0.3):
    for _ in range(count):
        p = rng.randrange(len(seq))
        ch = rng.choice(letters)
        seq[p] = ch.lower() if rng.random() < lower_frac else ch


def edge_records(seed=20240611):
    """Return [(header, sequence, width)] for the edge-case genome."""
    rng = random.Random(seed)
    recs = []

    def plain(n):
        return list(_random_acgt(rng, n))

    recs.append(("len1", list("G"), 60))
    recs.append(("len59 fifty-nine bases", plain(59), 60))
    recs.append(("len60", plain(60), 60))
    s = plain(61)
    s[60] = "n"                                   # last base soft-masked N
    recs.append(("len61 one past a full line", s, 60))
    s = plain(120)                                # exact multiple of the width
    recs.append(("len120", s, 60))

    s = plain(65535)
    _lower(s, 65500, 65535)                       # lowercase to the very end
    recs.append(("len65535", s, 70))

    s = plain(65536)
    _n_run(s, 65529, 65536)                       # N run ending exactly on the block edge
    s[0] = "R"
    recs.append(("len65536 exactly one block", s, 80))

    s = plain(65537)
    s[65535] = "a"                                # last base of block 1 lowercase
    s[65536] = "N"                                # single base of block 2 is N
    recs.append(("len65537", s, 60))

    s = plain(200001)
    _n_run(s, 64999, 70000)                       # N run across 65536/65537
    _lower(s, 130999, 132000)                     # soft-mask across 131072/131073
    _n_run(s, 149999, 150100, "n")                # lowercase N run
    _lower(s, 65530, 65540)                       # soft-mask across the block edge, adjoining N
    _sprinkle(rng, s, IUPAC_EXTRA, 60)
    _sprinkle(rng, s, "U", 25)
    s[196607] = "Y"                               # last base of block 3
    s[196608] = "k"                               # first base of block 4
    recs.append(("chr_200001 a description with several words", s, 60))

    s = plain(300007)
    _n_run(s, 0, 1000)                            # N run at the start
    _n_run(s, 300007 - 500, 300007)               # N run at the end
    _lower(s, 60000, 200000)                      # soft-mask covering whole blocks
    for p in range(250000, 250300, 3):            # alternating case, short runs
        s[p] = s[p].lower()
    for p in range(1500, 300000, 997):            # IUPAC every ~1 kb
        s[p] = IUPAC_EXTRA[(p // 997) % len(IUPAC_EXTRA)]
    _n_run(s, 131000, 131072)                     # N run ending on a block edge
    _n_run(s, 196608, 196700)                     # N run starting on a block edge
    _sprinkle(rng, s, "uU", 10)
    recs.append(("scaf300k", s, 70))

    s = plain(5000)
    _lower(s, 100, 400)
    _n_run(s, 2000, 2100)
    recs.append(("chrUn/scaf_1 name with a slash", s, 80))

    s = plain(3503)
    _sprinkle(rng, s, IUPAC_EXTRA, 5)
    recs.append(("HLA-A*01:01:01:01 HLA allele", s, 60))

    s = list(_random_acgt(rng, 1000).replace("T", "U"))
    _lower(s, 500, 600)
    recs.append(("rna_1 an RNA record", s, 60))

    recs.append(("allN", list("N" * 70000), 60))
    recs.append(("lower", list(_random_acgt(rng, 2000).lower()), 60))
    return [(h, "".join(seq), w) for h, seq, w in recs]


def names_records(seed=7):
    rng = random.Random(seed)
    names = ["a/b", "50%", "..", ".", "x%2Fy", "chr1:100-200", "%2E"]
    return [(n, _random_acgt(rng, 130), 60) for n in names]


def write_records(path, recs):
    with open(path, "w", newline="\n") as f:
        for header, seq, width in recs:
            f.write(">" + header + "\n")
            f.write(_wrap(seq, width))


def write_random(path, mbases, seed=1, ncontigs=4, width=60):
    """A large random ACGT genome written quickly (numpy when available)."""
    total = int(mbases * 1_000_000)
    per = total // ncontigs
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a test dependency
        np = None
    with open(path, "wb") as f:
        for c in range(ncontigs):
            n = per if c < ncontigs - 1 else total - per * (ncontigs - 1)
            f.write(b">big%d random contig %d\n" % (c + 1, c + 1))
            if np is not None:
                rng = np.random.Generator(np.random.PCG64(seed * 1000 + c))
                codes = rng.integers(0, 4, n, dtype=np.uint8)
                seq = np.frombuffer(b"ACGT", dtype=np.uint8)[codes]
                full = n // width
                body = np.empty((full, width + 1), dtype=np.uint8)
                body[:, :width] = seq[:full * width].reshape(full, width)
                body[:, width] = ord("\n")
                f.write(body.tobytes())
                rest = seq[full * width:].tobytes()
            else:
                rng = random.Random(seed * 1000 + c)
                s = _random_acgt(rng, n).encode()
                f.write(_wrap(s.decode(), width).encode())
                rest = b""
            if rest:
                f.write(rest + b"\n")


def _read_fasta(path):
    op = gzip.open if path.endswith(".gz") else open
    name, chunks = None, []
    with op(path, "rt") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line.startswith(">"):
                if name is not None:
                    yield name, "".join(chunks)
                name, chunks = line[1:].split()[0], []
            elif line:
                chunks.append(line)
    if name is not None:
        yield name, "".join(chunks)


def write_bench(path, mbytes, sources, seed=3, width=60):
    """About MBYTES of FASTA from real genomes: copy i of each source contig
    gets a deterministic 0.5% substitution rate so copies are not identical."""
    target = int(mbytes * 1_000_000)
    rng = random.Random(seed)
    contigs = []
    for src in sources:
        for name, seq in _read_fasta(src):
            if len(seq) >= 10000:
                contigs.append((name, seq))
    if not contigs:
        raise SystemExit("no usable source contigs")
    written, copy = 0, 0
    with open(path, "w") as f:
        while written < target:
            for name, seq in contigs:
                if written >= target:
                    break
                s = seq
                if copy:
                    b = bytearray(seq.encode())
                    for _ in range(len(b) // 200):
                        p = rng.randrange(len(b))
                        if b[p] in b"ACGT":
                            b[p] = b"ACGT"[rng.randrange(4)]
                    s = b.decode()
                hdr = ">%s_copy%d\n" % (name, copy)
                f.write(hdr)
                body = _wrap(s, width)
                f.write(body)
                written += len(hdr) + len(body)
            copy += 1


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    kind, out = argv[1], argv[2]
    if kind == "edge":
        write_records(out, edge_records())
    elif kind == "names":
        write_records(out, names_records())
    elif kind == "random":
        write_random(out, float(argv[3]), int(argv[4]) if len(argv) > 4 else 1)
    elif kind == "bench":
        write_bench(out, float(argv[3]), argv[4:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
