#!/usr/bin/python3
"""Deterministic, realistic and messy read files for the reads tests and
benchmarks. Everything depends only on a seed; the tests never hard-code
what these files hold: samtools and pysam read them back as the oracle.

  genreads.py sam REF.fa[.gz] OUT.sam [N] [SEED]
      N coordinate-sorted alignments against REF: reads drawn from the
      reference with substitutions, indels, splices (N), soft and hard
      clips, =/X operations, '=' and N bases; paired reads with mate fields;
      secondary/supplementary/duplicate/QC-fail flags; SEQ or QUAL '*';
      every tag type (A c C s S i I f Z H B arrays) in varying orders; MD
      and NM right and wrong; placed unmapped reads; unplaced reads last.

  genreads.py fastq OUT.fq KIND [N] [SEED]
      N messy FASTQ records. KIND picks the file-level traits: "lf",
      "crlf", "noeol" (no final newline), "trailer" (blank lines at the
      end). Every kind mixes: '+' lines empty, repeating the title or
      holding other text; wrapped sequence and quality lines (quality
      lines starting with '@' or '+'); lowercase, N and IUPAC bases;
      '!' (Q0) runs; empty reads; a 60 kb read; titles with tabs.

  genreads.py pair OUT_1.fq OUT_2.fq [N] [SEED]
      an Illumina-style pair (titles ending /1 and /2, or Casava 1.8
      "1:N:0:" / "2:N:0:" comments).
"""
import gzip
import random
import sys


def read_fasta(path):
    op = gzip.open if path.endswith(".gz") else open
    seqs, name, buf = [], None, []
    with op(path, "rt") as f:
        for line in f:
            if line.startswith(">"):
                if name is not None:
                    seqs.append((name, "".join(buf)))
                name, buf = line[1:].split()[0], []
            else:
                buf.append(line.strip())
    if name is not None:
        seqs.append((name, "".join(buf)))
    return seqs


COMP = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def _mutate_read(rng, ref, pos, want_len):
    """A CIGAR, sequence and the reference span of one aligned read."""
    ops, seq, rp = [], [], pos
    if rng.random() < 0.3:
        n = rng.randint(1, 30)
        ops.append(["S", n])
        seq.extend(rng.choice("ACGT") for _ in range(n))
    if rng.random() < 0.05:
        ops.insert(0, ["H", rng.randint(1, 50)])
    left = want_len
    while left > 0 and rp < len(ref):
        k = rng.random()
        if k < 0.06 and ops and ops[-1][0] in "M=X":
            n = rng.randint(1, 4)
            ops.append(["I", n])
            seq.extend(rng.choice("ACGT") for _ in range(n))
            left -= n
            continue
        if k < 0.10 and ops and ops[-1][0] in "M=X":
            n = rng.randint(1, 6)
            ops.append(["D", n])
            rp += n
            continue
        if k < 0.12 and ops and ops[-1][0] in "M=X":
            n = rng.randint(50, 3000)
            ops.append(["N", n])
            rp += n
            continue
        n = min(left, rng.randint(5, 60), len(ref) - rp)
        if n <= 0:
            break
        op = "M" if rng.random() < 0.9 else rng.choice("=X")
        chunk = []
        for i in range(n):
            b = ref[rp + i].upper()
            if op == "X" or (op == "M" and rng.random() < 0.02):
                b = rng.choice([c for c in "ACGT" if c != b] or ["A"])
            elif rng.random() < 0.003:
                b = "N"
            elif op == "M" and rng.random() < 0.002:
                b = "="
            if op == "=" and b != ref[rp + i].upper():
                b = ref[rp + i].upper()
            chunk.append(b)
        if ops and ops[-1][0] == op:
            ops[-1][1] += n
        else:
            ops.append([op, n])
        seq.extend(chunk)
        rp += n
        left -= n
    while ops and ops[-1][0] in "IDN":
        if ops[-1][0] == "I":
            del seq[len(seq) - ops[-1][1]:]
        else:
            rp -= ops[-1][1]
        ops.pop()
    if not any(o[0] in "M=X" for o in ops):
        return None
    if rng.random() < 0.3:
        n = rng.randint(1, 30)
        ops.append(["S", n])
        seq.extend(rng.choice("ACGT") for _ in range(n))
    cigar = "".join(f"{n}{o}" for o, n in ops)
    return cigar, "".join(seq), rp


def _md_nm(ref, pos, cigar, seq):
    """MD and NM as samtools calmd writes them."""
    md, run, nm, rp, qi = [], 0, 0, pos, 0
    num = ""
    for ch in cigar:
        if ch.isdigit():
            num += ch
            continue
        n, num = int(num), ""
        if ch in "M=X":
            for i in range(n):
                r, q = ref[rp + i].upper(), seq[qi + i]
                if (q == r and q != "N") or q == "=":
                    run += 1
                else:
                    md.append(f"{run}{r}")
                    run, nm = 0, nm + 1
            rp += n
            qi += n
        elif ch == "D":
            md.append(f"{run}^{ref[rp:rp + n].upper()}")
            run, nm, rp = 0, nm + n, rp + n
        elif ch == "I":
            nm += n
            qi += n
        elif ch == "S":
            qi += n
        elif ch == "N":
            rp += n
    md.append(str(run))
    return "".join(md), nm


def _tags(rng, ref, pos, cigar, seq, rg):
    tags = []
    md, nm = _md_nm(ref, pos, cigar, seq) if seq != "*" else (None, None)
    if md is not None and rng.random() < 0.8:
        tags.append(f"MD:Z:{md if rng.random() < 0.9 else md + 'A0'}")
    if nm is not None and rng.random() < 0.8:
        tags.append(f"NM:i:{nm if rng.random() < 0.9 else nm + 1}")
    tags.append(f"RG:Z:{rg}")
    if rng.random() < 0.5:
        tags.append(f"AS:i:{rng.randint(-300, 70000)}")
    if rng.random() < 0.3:
        tags.append(f"XS:i:{rng.randint(-2**31, 2**31 - 1)}")
    if rng.random() < 0.2:
        tags.append(f"tp:A:{rng.choice('PSI')}")
    if rng.random() < 0.2:
        tags.append(f"de:f:{rng.random():.4f}")
    if rng.random() < 0.1:
        tags.append("XB:B:c," + ",".join(str(rng.randint(-128, 127)) for _ in range(rng.randint(1, 6))))
    if rng.random() < 0.1:
        tags.append("XU:B:S," + ",".join(str(rng.randint(0, 65535)) for _ in range(rng.randint(1, 4))))
    if rng.random() < 0.05:
        tags.append("XF:B:f," + ",".join(f"{rng.random():.3f}" for _ in range(3)))
    if rng.random() < 0.05:
        tags.append("XH:H:" + "".join(rng.choice("0123456789ABCDEF") for _ in range(8)))
    if rng.random() < 0.1:
        tags.append("CO:Z:free text, with spaces & symbols ~!")
    rng.shuffle(tags)
    return tags


def _qual(rng, n):
    if rng.random() < 0.05:
        return "*"
    return "".join(chr(33 + max(0, min(60, int(rng.gauss(30, 8))))) for _ in range(n))


def _name(rng, i):
    k = rng.random()
    if k < 0.7:
        return f"M01234:55:000000000-ABCDE:1:{1101 + i % 19}:{rng.randint(1000, 29999)}:{i}"
    if k < 0.9:
        return "%08x-%04x-%04x-%04x-%012x" % tuple(rng.getrandbits(b) for b in (32, 16, 16, 16, 48))
    return "r" + str(i) + "_" + "x" * rng.randint(0, 200)


def sam_records(refs, n, seed):
    rng = random.Random(seed)
    recs = []
    for i in range(n):
        ti = rng.randrange(len(refs))
        name, ref = refs[ti]
        pos = rng.randrange(max(1, len(ref) - 200))
        got = _mutate_read(rng, ref, pos, rng.randint(30, 400))
        if got is None:
            continue
        cigar, seq, end = got
        flag = rng.choice([0, 16]) | (rng.random() < 0.05 and 256 or 0)
        flag |= rng.random() < 0.03 and 1024 or 0
        flag |= rng.random() < 0.02 and 512 or 0
        flag |= rng.random() < 0.03 and 2048 or 0
        rnext, pnext, tlen = "*", 0, 0
        if rng.random() < 0.4:
            flag |= 1 | (64 if rng.random() < 0.5 else 128) | (rng.random() < 0.8 and 2 or 0)
            rnext = "=" if rng.random() < 0.9 else refs[rng.randrange(len(refs))][0]
            pnext = max(1, pos + rng.randint(-500, 500))
            tlen = (end - pos) * (1 if rng.random() < 0.5 else -1)
        qual = _qual(rng, len(seq))
        if flag & 256 and rng.random() < 0.5:
            seq, qual = "*", "*"
        mapq = rng.choice([0, 1, 3, 60, 255]) if rng.random() < 0.2 else rng.randint(0, 60)
        tags = _tags(rng, ref, pos, cigar, seq, rng.choice(["grp1", "grp2"]))
        recs.append((ti, pos, [_name(rng, i), str(flag), name, str(pos + 1), str(mapq), cigar,
                               rnext, str(pnext), str(tlen), seq, qual] + tags))
        if rng.random() < 0.03:   # a placed unmapped mate
            u = [_name(rng, i) + "/2", str(1 | 4 | 128 | 32), name, str(pos + 1), "0", "*", "=",
                 str(pos + 1), "0", seq if seq != "*" else "ACGT", "*", "RG:Z:grp1"]
            recs.append((ti, pos, u))
    recs.sort(key=lambda r: (r[0], r[1]))
    for i in range(max(1, n // 50)):   # unplaced reads come last
        s = "".join(rng.choice("ACGTN") for _ in range(rng.randint(20, 150)))
        recs.append((len(refs), 0, [f"unplaced{i}", "4", "*", "0", "0", "*", "*", "0", "0", s,
                                    _qual(rng, len(s)), "RG:Z:grp2"]))
    return [r[2] for r in recs]


def write_sam(ref_path, out, n=2000, seed=7):
    refs = read_fasta(ref_path)
    with open(out, "w") as f:
        f.write("@HD\tVN:1.6\tSO:coordinate\n")
        for name, seq in refs:
            f.write(f"@SQ\tSN:{name}\tLN:{len(seq)}\n")
        f.write("@RG\tID:grp1\tSM:s1\tPL:ILLUMINA\n@RG\tID:grp2\tSM:s1\tPL:ONT\n")
        f.write("@PG\tID:genreads\tPN:genreads.py\tCL:genreads.py sam\n")
        f.write("@CO\ta comment line\n")
        for r in sam_records(refs, n, seed):
            f.write("\t".join(r) + "\n")


def _fq_record(rng, i, long_read=False):
    n = 60000 if long_read else rng.choice([0, 1, 36, 72, 101, 151, rng.randint(200, 3000)])
    seq = []
    for _ in range(n):
        k = rng.random()
        seq.append(rng.choice("ACGT") if k < 0.97 else rng.choice("NNNNRYKMSWBDHVU"))
    if rng.random() < 0.1 and n > 10:     # a soft-masked stretch
        a = rng.randrange(n)
        for j in range(a, min(n, a + rng.randint(1, 40))):
            seq[j] = seq[j].lower()
    qual = []
    for _ in range(n):
        qual.append(chr(33 + max(0, min(93, int(rng.gauss(30, 9))))))
    if n > 20 and rng.random() < 0.3:     # a Q0 run
        a = rng.randrange(n)
        for j in range(a, min(n, a + rng.randint(1, 30))):
            qual[j] = "!"
    if n > 5 and rng.random() < 0.05:     # quality lines that start with @ or +
        qual[0] = rng.choice("@+")
    title = rng.choice([f"read{i}", f"M01234:55:000000000-ABCDE:1:1101:{rng.randint(1000, 30000)}:{i} 1:N:0:ATCACG",
                        f"{i:08x}-aaaa-bbbb-cccc-{i:012x} runid=abc read={i} ch={rng.randint(1, 512)}",
                        f"r{i}\twith\ttabs", f"SRR1.{i} {i}/1"])
    plus = rng.choice(["", "", title, "other text " + str(i)])
    seq, qual = "".join(seq), "".join(qual)
    if rng.random() < 0.15 and n > 0:    # wrapped lines
        w = rng.choice([10, 60, 70])
        sl = [seq[j:j + w] for j in range(0, n, w)]
        ql = [qual[j:j + w] for j in range(0, n, w)]
    else:
        sl, ql = [seq], [qual]
    return ["@" + title] + sl + ["+" + plus] + ql


def write_fastq(out, kind="lf", n=300, seed=3):
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        lines += _fq_record(rng, i, long_read=(i == n // 2 and n >= 50))
    eol = "\r\n" if kind == "crlf" else "\n"
    text = eol.join(lines) + eol
    if kind == "noeol":
        text = text[:-1]
    if kind == "trailer":
        text += "\n\n"
    with open(out, "w", newline="") as f:
        f.write(text)


def write_pair(out1, out2, n=400, seed=5):
    rng = random.Random(seed)
    with open(out1, "w") as a, open(out2, "w") as b:
        for i in range(n):
            tile, x, y = rng.randint(1101, 2119), rng.randint(1000, 30000), rng.randint(1000, 30000)
            casava = i % 2 == 0
            for mate, f in ((1, a), (2, b)):
                t = (f"M0:5:FC:1:{tile}:{x}:{y} {mate}:N:0:ATCACG" if casava
                     else f"HWI:1:{tile}:{x}:{y}#0/{mate}")
                seq = "".join(rng.choice("ACGT") for _ in range(100))
                q = "".join(chr(33 + rng.randint(2, 41)) for _ in range(100))
                f.write(f"@{t}\n{seq}\n+\n{q}\n")


def main(argv):
    if len(argv) >= 4 and argv[1] == "sam":
        write_sam(argv[2], argv[3], int(argv[4]) if len(argv) > 4 else 2000,
                  int(argv[5]) if len(argv) > 5 else 7)
        return 0
    if len(argv) >= 4 and argv[1] == "fastq":
        write_fastq(argv[2], argv[3], int(argv[4]) if len(argv) > 4 else 300,
                    int(argv[5]) if len(argv) > 5 else 3)
        return 0
    if len(argv) >= 4 and argv[1] == "pair":
        write_pair(argv[2], argv[3], int(argv[4]) if len(argv) > 4 else 400,
                   int(argv[5]) if len(argv) > 5 else 5)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
