"""Oracles for the /annotations tests, written from docs/PATHS.md
("Annotations") independently of the C code: tabix (htslib) on the sorted,
bgzipped source decides which features a region holds; a gffread-like
model in Python (urllib for GFF3 escapes, pysam for bases, Biopython for
reverse complements and translation) decides the sequences; the BED and
GFF3 conversions are re-implemented here from the documented rules."""
import gzip
import os
import re
import subprocess
import urllib.parse

from Bio.Data import CodonTable
from Bio.Seq import Seq

import gdbutil as U

ADATA = os.path.join(U.DATA, "annotations")


def read_text(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode()


def feature_lines(text, fmt):
    """The feature lines of a source (no comments, blank, track lines; a
    GFF3 ##FASTA section ends them)."""
    out = []
    for ln in text.split("\n"):
        if fmt == "gff3" and ln == "##FASTA":
            break
        if not ln.strip() or ln.startswith("#") or ln.startswith(("track", "browser")):
            continue
        out.append(ln)
    return out


def tabix_index(lines, fmt, path):
    """Sort stably by (seqid, start) as the set orders them, bgzip and
    index with tabix; returns the .gz path."""
    col = 1 if fmt == "bed" else 3
    lines = sorted(lines, key=lambda ln: (ln.split("\t")[0], int(ln.split("\t")[col])))
    with open(path, "w") as f:
        f.write("".join(ln + "\n" for ln in lines))
    subprocess.run(["bgzip", "-f", path], check=True)
    subprocess.run(["tabix", "-f", "-p", "gff" if fmt != "bed" else "bed", path + ".gz"],
                   check=True)
    return path + ".gz"


def tabix(gz, contig, start, end):
    r = subprocess.run(["tabix", gz, f"{contig}:{start}-{end}"], capture_output=True, check=True)
    return r.stdout


# ------------------------------------------------------------ attributes

def gff3_attrs(col9):
    """GFF3 column 9 -> {key: [values]} (decoded)."""
    out = {}
    if col9 == ".":
        return out
    for part in col9.split(";"):
        if "=" not in part:
            continue
        k, v = part.split("=", 1)
        out.setdefault(k.strip(), []).extend(urllib.parse.unquote(x) for x in v.split(","))
    return out


def gtf_attrs(col9):
    """GTF column 9 -> list of (key, value) in order."""
    out = []
    for m in re.finditer(r'\s*([^\s;]+)\s+(?:"([^"]*)"|([^;]*?))\s*(?:;|$)', col9):
        out.append((m.group(1), m.group(2) if m.group(2) is not None else m.group(3)))
    return out


def bed_name_escape(v):
    return "".join(f"%{ord(c):02X}" if ord(c) <= 32 or ord(c) == 0x7F else c for c in v)


def gff_escape(v):
    return "".join(f"%{ord(c):02X}" if (ord(c) < 32 or ord(c) == 0x7F or c in ";=&,%\t") else c
                   for c in v)


def bed_of_gff_line(ln, fmt):
    """Documented BED6 of a GFF3/GTF line."""
    c = ln.split("\t")
    if fmt == "gff3":
        a = gff3_attrs(c[8])
        keys = ["Name", "ID", "Parent"]
        vals = {k: v[0] for k, v in a.items() if v and v[0]}
    else:
        a = gtf_attrs(c[8])
        vals = {}
        for k, v in a:
            vals.setdefault(k, v)
        keys = (["gene_name", "gene_id"] if c[2] == "gene" else
                ["transcript_name", "transcript_id"] if c[2] == "transcript" else
                ["transcript_id", "gene_id"])
    name = next((vals[k] for k in keys if vals.get(k)), c[2])
    score = "0" if c[5] == "." else c[5]
    strand = "." if c[6] == "?" else c[6]
    return f"{c[0]}\t{int(c[3]) - 1}\t{c[4]}\t{bed_name_escape(name)}\t{score}\t{strand}\n"


def gff3_of_bed_line(ln):
    c = ln.split("\t")
    typ = "transcript" if len(c) >= 12 else "region"
    score = c[4] if len(c) >= 5 else "."
    strand = c[5] if len(c) >= 6 else "."
    name = c[3] if len(c) >= 4 and c[3] != "." else None
    attrs = f"Name={gff_escape(name)}" if name else "."
    return f"{c[0]}\t.\t{typ}\t{int(c[1]) + 1}\t{c[2]}\t{score}\t{strand}\t.\t{attrs}\n"


def gff3_of_gtf_line(ln):
    c = ln.split("\t")
    a = gtf_attrs(c[8])
    d = {}
    for k, v in a:
        d.setdefault(k, v)
    parts = []
    if c[2] == "gene" and "gene_id" in d:
        parts.append("ID=" + gff_escape(d["gene_id"]))
    elif c[2] == "transcript" and "transcript_id" in d:
        parts.append("ID=" + gff_escape(d["transcript_id"]))
    if c[2] != "gene":
        p = d.get("gene_id") if c[2] == "transcript" else d.get("transcript_id", d.get("gene_id"))
        if p is not None:
            parts.append("Parent=" + gff_escape(p))
    seen = []
    for k, _ in a:
        if k in seen:
            continue
        seen.append(k)
        parts.append(gff_escape(k) + "=" + ",".join(gff_escape(v) for kk, v in a if kk == k))
    return "\t".join(c[:8]) + "\t" + (";".join(parts) or ".") + "\n"


# ------------------------------------------------------------ a gffread-like model

class Model:
    """Groups and children of a GFF3 or GTF source, as docs/PATHS.md
    describes them (IDs, Parents; GTF gene_id/transcript_id)."""

    def __init__(self, lines, fmt):
        self.fmt = fmt
        self.lines = []      # (seqid, type, beg0, end, strand, phase, attrs, order)
        self.own = {}        # id -> [line index]
        self.kids = {}       # id -> [line index]
        self.names = {}      # gene key -> set(id)
        for i, ln in enumerate(lines):
            c = ln.split("\t")
            rec = (c[0], c[2], int(c[3]) - 1, int(c[4]), c[6],
                   None if c[7] == "." else int(c[7]), c[8], i)
            self.lines.append(rec)
            if fmt == "gff3":
                a = gff3_attrs(c[8])
                own = a.get("ID", [None])[0]
                parents = a.get("Parent", [])
            else:
                d = dict(reversed(gtf_attrs(c[8])))
                own = (d.get("gene_id") if c[2] == "gene" else
                       d.get("transcript_id") if c[2] == "transcript" else None)
                parents = ([] if c[2] == "gene" else
                           [d["gene_id"]] if c[2] == "transcript" else
                           [d.get("transcript_id", d.get("gene_id"))])
                a = {k: [v] for k, v in d.items()}
            if own:
                self.own.setdefault(own, []).append(i)
            for p in parents:
                self.kids.setdefault(p, []).append(i)
            if own and c[2].lower().endswith("gene"):
                keys = ["ID", "Name", "gene", "gene_name", "gene_id", "locus_tag"]
                for k in keys:
                    for v in (a.get(k) or [])[:1]:
                        self.names.setdefault(v, set()).add(own)
                self.names.setdefault(own, set()).add(own)

    def segments(self, tid, cds):
        """(seqid, strand, [(beg0, end)], phase) of transcript tid."""
        L = self.lines

        def pick(idx, test):
            return [L[i] for i in idx if test(L[i][1])]
        is_exon = lambda t: t == "exon" or t.endswith("_exon")  # noqa: E731
        is_cds = lambda t: t == "CDS" or (self.fmt == "gtf" and t == "stop_codon")  # noqa: E731
        kids = self.kids.get(tid, [])
        own = self.own.get(tid, [])
        if not cds:
            sel = (pick(kids, is_exon) or pick(kids, is_cds) or
                   pick(own, lambda t: is_exon(t) or is_cds(t)))
        else:
            sel = pick(kids, is_cds) or pick(own, is_cds)
        if not sel:
            return None
        strand = "-" if sel[0][4] == "-" else "+"
        segs = []
        for s in sorted((r[2], r[3]) for r in sel):
            if segs and s[0] <= segs[-1][1]:
                segs[-1] = (segs[-1][0], max(segs[-1][1], s[1]))
            else:
                segs.append(s)
        cdsl = [r for r in sel if r[1] == "CDS"]
        phase = 0
        if cdsl:
            first = max(cdsl, key=lambda r: r[3]) if strand == "-" else min(cdsl, key=lambda r: r[2])
            phase = first[5] or 0
        return sel[0][0], strand, segs, phase


def spliced(fasta, seqid, strand, segs):
    s = "".join(fasta.fetch(seqid, b, e) for b, e in segs)
    return str(Seq(s).reverse_complement()) if strand == "-" else s


def protein(cds, phase, table):
    """The documented .faa: from the phase, whole codons, M for a start
    codon of the table at phase 0, a final stop left out (Biopython)."""
    s = cds[phase:]
    s = s[:len(s) - len(s) % 3]
    aa = str(Seq(s).translate(table=table))
    if phase == 0 and len(s) >= 3 and s[:3].upper() in CodonTable.unambiguous_dna_by_id[table].start_codons:
        aa = "M" + aa[1:]
    return aa[:-1] if aa.endswith("*") else aa


def fasta_records(data):
    """[(header, seq)] of FASTA bytes/str."""
    if isinstance(data, bytes):
        data = data.decode()
    out = []
    for block in data.split(">")[1:]:
        head, _, body = block.partition("\n")
        out.append((head, body.replace("\n", "")))
    return out


def wrap60(s):
    return "".join(s[i:i + 60] + "\n" for i in range(0, len(s), 60))
