"""A deterministic genome-like FASTA, produced as a stream of byte chunks.

For `make bench-scale`: the text is piped into `genomedb import fasta
/dev/stdin` and never written to disk. The same (total, seed) always give
the same bytes. What makes it look like an assembly, not noise:

  - contigs: about 97% of the bases in 24 chromosome-like contigs of
    falling length, the rest in many small unplaced scaffolds;
  - N: a 10 kb N run at both ends of every chromosome (telomeres), a few
    longer gaps, and short N runs scattered through;
  - repeats: copies of a library of Alu-like (300 bp) and LINE-like
    (1-6 kb) elements, about a third of the bases, each copy diverged by
    point changes and soft-masked (lowercase) as RepeatMasker marks them;
    microsatellites (units of 1-6 bases repeated 10-60 times);
  - point changes over everything (1 in 100), so no two copies agree.

Bases come from 2-bit random bytes expanded through a table (numpy), and
each kind of feature is drawn as one batch of numbers per 6 Mb piece, not a
Python call per feature: on two cores the generator shares the CPU with
the import it feeds (about 2.7-3.0 s of CPU per GB of text, against 4.1-4.8
when each repeat copy was drawn on its own; the bytes differ from that
older generator's, the contig names and lengths do not).

    python3 bench/scale/genome.py TOTAL_BASES [SEED] > out.fa
"""
import sys

import numpy as np

LINE = 60
CHUNK = 6_000_000  # bases per piece, a multiple of LINE
ACGT = np.frombuffer(b"ACGT", dtype=np.uint8)
# byte -> its four 2-bit codes as letters
LUT4 = ACGT[(np.arange(256)[:, None] >> np.array([6, 4, 2, 0])) & 3].astype(np.uint8)
# the same table with each row as one 32-bit word: a quarter of the gathers
LUT32 = np.ascontiguousarray(LUT4).view(np.uint32).reshape(-1)


def contig_lengths(total, rng):
    """24 chromosomes holding ~97%, then scaffolds of 10-500 kb."""
    small_total = int(total * 0.03)
    shares = np.linspace(1.0, 0.2, 24)
    big = (shares / shares.sum() * (total - small_total)).astype(np.int64)
    lengths = [int(x) for x in big if x > 0]
    left = total - sum(lengths)
    while left > 0:
        n = min(left, int(rng.integers(10_000, 500_000)))
        lengths.append(n)
        left -= n
    return lengths


def random_bases(rng, n):
    codes = np.frombuffer(rng.bytes((n + 3) // 4), dtype=np.uint8)
    return LUT32[codes].view(np.uint8)[:n]


class Library:
    def __init__(self, rng):
        self.alu = [random_bases(rng, 300) for _ in range(8)]
        self.line = [random_bases(rng, 6000) for _ in range(6)]
        # every element soft-masked, back to back: a copy is one slice
        self.masked = np.concatenate(self.alu + self.line) | 0x20
        self.line_at = 300 * len(self.alu)


def repeats(rng, lib, k):
    """Interspersed repeats until they cover k // 3 bases: (source offset
    in lib.masked, length) of each copy, drawn a batch at a time."""
    offs, lens, covered = [], [], 0
    while covered < k // 3:
        m = k // 3 // 800 + 16
        alu = rng.random(m) < 0.7
        a = rng.integers(0, 5000, m)  # a LINE copy's start, then length
        ln = rng.integers(1000, 6000 - a + 1)
        off = np.where(alu, 300 * rng.integers(0, len(lib.alu), m),
                       lib.line_at + 6000 * rng.integers(0, len(lib.line), m) + a)
        ln = np.minimum(np.where(alu, 300, ln), k - 1)  # fits a short piece
        used = int(np.searchsorted(np.cumsum(ln), k // 3 - covered)) + 1
        offs.append(off[:used])
        lens.append(ln[:used])
        covered += int(ln[:used].sum())
    return np.concatenate(offs), np.concatenate(lens)


def piece(rng, lib, k):
    """k bases with repeats, masking, microsatellites, N runs, changes.
    Every kind of feature is drawn as one batch of numbers (a Python call
    a feature made the generator, not the importer, the limit of a
    streamed import on two cores)."""
    seq = random_bases(rng, k)  # a new array (fancy index): writable
    offs, lens = repeats(rng, lib, k)  # interspersed repeats, soft-masked
    for at, o, n in zip(rng.integers(0, k - lens).tolist(), offs.tolist(), lens.tolist()):
        seq[at:at + n] = lib.masked[o:o + n]
    m = k // 20_000  # microsatellites: units of 1-6 bases, 10-60 times
    if m:
        unit = rng.integers(1, 7, m)
        run = unit * rng.integers(10, 61, m)
        units = random_bases(rng, 6 * m).reshape(m, 6)
        for i, at in enumerate(rng.integers(0, k - run).tolist()):
            seq[at:at + int(run[i])] = np.resize(units[i, :int(unit[i])], int(run[i]))
    pos = rng.integers(0, k, k // 100)  # point changes, case kept
    seq[pos] = random_bases(rng, len(pos)) | (seq[pos] & 0x20)
    for at, n in zip(rng.integers(0, k, 2).tolist(), rng.integers(1, 2000, 2).tolist()):
        seq[at:at + n] = ord("N")  # short N runs
    return seq


def wrap(seq):
    """The lines of seq as one flat uint8 array (a bytes-like object:
    file.write takes it without a copy; len() is its size in bytes)."""
    full = len(seq) // LINE
    tail = len(seq) % LINE
    out = np.empty(full * (LINE + 1) + (tail + 1 if tail else 0), dtype=np.uint8)
    body = out[:full * (LINE + 1)].reshape(full, LINE + 1)
    body[:, :LINE] = seq[:full * LINE].reshape(full, LINE)
    body[:, LINE] = ord("\n")
    if tail:
        out[full * (LINE + 1):-1] = seq[full * LINE:]
        out[-1] = ord("\n")
    return out


def contig_pieces(rng, lib, n, chromosome):
    done = 0
    while done < n:
        k = min(n - done, CHUNK)
        seq = piece(rng, lib, k) if k > 4000 else random_bases(rng, k)
        if chromosome:
            if done == 0:
                seq[:10_000] = ord("N")
            if done + k == n:
                seq[-10_000:] = ord("N")
            if rng.random() < 0.02:  # an assembly gap
                at = int(rng.integers(0, k))
                seq[at:at + 50_000] = ord("N")
        yield wrap(seq)
        done += k


def generate(total, seed=5):
    """Yield each contig's header line, then its text chunks.

    Yields bytes-like objects (bytes, flat uint8 arrays); the names and lengths are also available beforehand
    through contigs(total, seed).
    """
    rng = np.random.default_rng(seed)
    lengths = contig_lengths(total, rng)
    lib = Library(rng)
    for i, n in enumerate(lengths):
        name = f"chr{i + 1}" if i < 24 else f"scaffold{i - 23}"
        yield f">{name} generated, {n} bases\n".encode()
        yield from contig_pieces(rng, lib, n, i < 24)


def contigs(total, seed=5):
    lengths = contig_lengths(total, np.random.default_rng(seed))
    return [(f"chr{i + 1}" if i < 24 else f"scaffold{i - 23}", n)
            for i, n in enumerate(lengths)]


if __name__ == "__main__":
    out = sys.stdout.buffer
    for chunk in generate(int(float(sys.argv[1])),
                          int(sys.argv[2]) if len(sys.argv) > 2 else 5):
        out.write(chunk)
