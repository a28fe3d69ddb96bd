"""The workflow's summary tables, from the files the per-region rules
copied off the mount. Plain python3 and csv only, so a job starts fast.

    tables.py gc     OUT.tsv NAME:CHROM:START:END:FILE ...   whole-region GC
    tables.py motifs OUT.tsv MOTIF NAME:CHROM:START:END:FILE ...  sites per strand
    tables.py af     OUT.tsv NAME:FILE ...                   af.tsv rows with the region's name
"""
import csv
import sys


def fields(arg, n):
    return arg.split(":", n - 1)


def gc(out, args):
    out.write("name\tchrom\tstart\tend\tgc\n")
    for a in args:
        name, chrom, start, end, path = fields(a, 5)
        with open(path) as f:
            row = next(csv.DictReader(f, delimiter="\t"))
        out.write(f"{name}\t{chrom}\t{start}\t{end}\t{row['gc']}\n")


def motifs(out, args):
    motif, args = args[0], args[1:]
    out.write("name\tchrom\tstart\tend\tmotif\tplus\tminus\n")
    for a in args:
        name, chrom, start, end, path = fields(a, 5)
        with open(path) as f:
            strands = [line.rstrip("\n").split("\t")[5] for line in f if line.strip()]
        out.write(f"{name}\t{chrom}\t{start}\t{end}\t{motif}\t{strands.count('+')}\t"
                  f"{strands.count('-')}\n")


def af(out, args):
    for i, a in enumerate(args):
        name, path = fields(a, 2)
        with open(path) as f:
            header = f.readline()
            if i == 0:
                out.write("name\t" + header)
            out.writelines(f"{name}\t{line}" for line in f)


if __name__ == "__main__":
    what, dest = sys.argv[1], sys.argv[2]
    with open(dest, "w") as out:
        {"gc": gc, "motifs": motifs, "af": af}[what](out, sys.argv[3:])
