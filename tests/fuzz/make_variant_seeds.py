#!/usr/bin/env python3
"""Write the seed corpus of tests/fuzz/variants_chunk.c: chunks of a set
imported with the target's fixed tables (3 samples, keys in its order,
contig c1 of its 64 Ki reference bases), cut out of the store segment
(FORMAT.md "Sections index").

    tests/fuzz/make_variant_seeds.py build/genomedb tests/fuzz/corpus/variants_chunk
"""
import os
import random
import struct
import subprocess
import sys
import tempfile

REF = "".join("ACGT"[(i * 7 + i // 3) & 3] for i in range(65536))
HEAD = open(os.path.join(os.path.dirname(__file__), "variants_chunk.c")).read()


def header():
    start = HEAD.index('"##fileformat')
    end = HEAD.index(";", start)
    return eval("(" + HEAD[start:end] + ")")  # the C string literal pieces


def vcf(seed, n):
    rng = random.Random(seed)
    out = [header()]
    pos = 1
    gts = ["0|0", "0|1", "1|0", "1|1", "./.", "0/1", "1/2", "0", "1", ".|1"]
    for i in range(n):
        pos += rng.randint(1, 40)
        ref = REF[pos - 1:pos - 1 + rng.choice([1, 1, 1, 3])]
        alts = rng.choice([["A" if ref[0] != "A" else "C"], ["G", "T"], [ref[0]], [ref + "GT"], ["<DEL>"]])
        if ref == alts[0]:
            alts = ["AC" if ref[0] != "A" else "CA"]
        na = len(alts) + 1
        info = "DP=%d;AF=%s" % (rng.randint(0, 300), ",".join("%.3g" % rng.random() for _ in alts))
        if i == 0 or rng.random() < 0.3:
            info += ";DB"
        if i == 0 or rng.random() < 0.2:
            info += ";S=x%d" % i
        samples = []
        for _ in range(3):
            g = rng.choice(gts) if na > 2 else rng.choice([x for x in gts if "2" not in x])
            ad = ",".join(str(rng.randint(0, 9)) for _ in range(na))
            gl = ",".join("%.2f" % -rng.random() for _ in range(na * (na + 1) // 2))
            samples.append(f"{g}:{ad}:{gl}:t{rng.randint(0, 9)}")
        qual = "." if rng.random() < 0.5 else "%.1f" % (rng.random() * 100)
        rid = "." if i % 3 else "rs%d" % (1000 + i)
        out.append(f"c1\t{pos}\t{rid}\t{ref}\t{','.join(alts)}\t{qual}\tPASS\t{info}\tGT:AD:GL:X\t" +
                   "\t".join(samples) + "\n")
    return "".join(out)


def sections(seg):
    with open(seg, "rb") as f:
        b = f.read()
    ioff, ilen = struct.unpack_from("<QQ", b, 24)
    (n,) = struct.unpack_from("<I", b, 44)
    at, out = ioff, {}
    for _ in range(n):
        (nl,) = struct.unpack_from("<H", b, at)
        name = b[at + 2:at + 2 + nl].decode()
        off, ln = struct.unpack_from("<QQ", b, at + 2 + nl)
        out[name] = b[off:off + ln]
        at += 2 + nl + 20
    return out


def main(binary, outdir):
    os.makedirs(outdir, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        fa = os.path.join(d, "r.fa")
        with open(fa, "w") as f:
            f.write(">c1\n" + "\n".join(REF[i:i + 60] for i in range(0, len(REF), 60)) + "\n")
        store = os.path.join(d, "s.gdb")
        subprocess.run([binary, "init", store], check=True)
        subprocess.run([binary, "import", "fasta", store, "--assembly", "r", fa, "--quiet"], check=True)
        for seed, n in ((1, 5), (2, 40), (3, 300)):
            v = os.path.join(d, f"s{seed}.vcf")
            with open(v, "w") as f:
                f.write(vcf(seed, n))
            subprocess.run([binary, "import", "vcf", store, "--set", f"s{seed}", "--reference", "r", v,
                            "--quiet"], check=True)
        segs = sorted(x for x in os.listdir(store) if x.startswith("seg-"))[1:]
        for i, s in enumerate(segs):
            for name, data in sections(os.path.join(store, s)).items():
                if name.startswith("c."):
                    with open(os.path.join(outdir, f"seed{i + 1}_{name}"), "wb") as f:
                        f.write(data)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
