"""Deterministic large FASTA for cache, scale and memory tests.

Written with numpy in blocks, so a few GB take seconds: random ACGT with
runs of N and soft-masked (lowercase) stretches, 60 bases a line. The same
(seed, sizes) always give the same bytes.

    python3 tests/gen/bigfasta.py OUT.fa TOTAL_BASES [CONTIGS] [SEED]
"""
import sys

import numpy as np

LINE = 60


def write(path, total, contigs=4, seed=7):
    rng = np.random.default_rng(seed)
    lut = np.frombuffer(b"ACGT", dtype=np.uint8)
    per = total // contigs
    with open(path, "wb") as f:
        for c in range(contigs):
            n = per if c < contigs - 1 else total - per * (contigs - 1)
            f.write(f">big{c + 1} generated contig {c + 1} of {contigs}\n".encode())
            done = 0
            while done < n:
                k = min(n - done, 6_000_000)        # a multiple of LINE
                seq = lut[rng.integers(0, 4, k, dtype=np.uint8)]
                # a few N runs and soft-masked stretches per chunk
                for _ in range(3):
                    a = int(rng.integers(0, k))
                    seq[a:a + int(rng.integers(1, 5000))] = ord("N")
                for _ in range(6):
                    a = int(rng.integers(0, k))
                    seq[a:a + int(rng.integers(1, 20000))] |= 0x20
                full = k // LINE
                body = np.empty((full, LINE + 1), dtype=np.uint8)
                body[:, :LINE] = seq[:full * LINE].reshape(full, LINE)
                body[:, LINE] = ord("\n")
                f.write(body.tobytes())
                if k % LINE:
                    f.write(seq[full * LINE:].tobytes() + b"\n")
                done += k
    return path


if __name__ == "__main__":
    write(sys.argv[1], int(float(sys.argv[2])),
          int(sys.argv[3]) if len(sys.argv) > 3 else 4,
          int(sys.argv[4]) if len(sys.argv) > 4 else 7)
