"""Bad input to `genomedb import fasta`: exit 1, one stderr line naming the file
(and line where there is one), and the store byte-identical afterwards."""
import gzip
import os
import re
import shutil

import pytest

import gdbutil as U


@pytest.fixture(scope="module")
def estore(genomedb, tmp_path_factory):
    """A store that already holds one assembly, so 'unchanged' means something."""
    p = tmp_path_factory.mktemp("errors") / "e.gdb"
    assert U.gdb("init", p).rc == 0
    r = U.gdb("import", "fasta", p, "--assembly", "chrM",
              os.path.join(U.DATA, "human_hg38_chrM.fa"), "--quiet")
    assert r.rc == 0, r
    return str(p)


def _import_fails(store, path, asm="bad", extra=()):
    before = U.snapshot(store)
    r = U.gdb("import", "fasta", store, "--assembly", asm, path, "--quiet", *extra)
    after = U.snapshot(store)
    assert r.rc == 1, r
    assert after == before, "store changed by a failed import:\n" + U.snapshot_diff(before, after)
    lines = [ln for ln in r.err.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one error line, got: {r.err!r}"
    assert lines[0].startswith("genomedb: "), lines[0]
    v = U.gdb("verify", store)
    assert v.rc == 0, v
    return lines[0]


def _at_line(msg, path, lines):
    """The message names path and one of the acceptable line numbers."""
    m = re.search(re.escape(str(path)) + r":(\d+):", msg)
    assert m, f"message does not name '{path}:LINE:': {msg}"
    assert int(m.group(1)) in lines, f"line {m.group(1)} not in {lines}: {msg}"


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(p)


SEQ60 = "ACGTACGTAC" * 6


def test_duplicate_contig(estore, tmp_path):
    p = _write(tmp_path, "dup.fa", f">a one\n{SEQ60}\nACG\n>b\nAC\n>a again\nGG\n")
    msg = _import_fails(estore, p)
    _at_line(msg, p, {6})


@pytest.mark.parametrize("asm", U.RESERVED)
def test_reserved_assembly_names(estore, asm):
    msg = _import_fails(estore, os.path.join(U.DATA, "phage_lambda_NC_001416.fa.gz"), asm=asm)
    assert asm in msg


def test_existing_assembly(estore):
    msg = _import_fails(estore, os.path.join(U.DATA, "phage_lambda_NC_001416.fa.gz"), asm="chrM")
    assert "chrM" in msg


@pytest.mark.parametrize("text,lines", [
    (f">a\n{SEQ60}\n>b\n>c\nAC\n", {3, 4}),            # empty record in the middle
    (f">a\n{SEQ60}\n>b\n", {3, 4}),                     # empty record at the end
    (f">a\n{SEQ60}\n>b\n\n\n>c\nAC\n", {3, 4, 5, 6}),   # only blank lines
], ids=["middle", "end", "blank-lines"])
def test_empty_record(estore, tmp_path, text, lines):
    p = _write(tmp_path, "empty.fa", text)
    _at_line(_import_fails(estore, p), p, lines)


@pytest.mark.parametrize("ch", ["J", "j", "X", "-", "*", "1", ".", "@", "\x01", "\xe9"])
def test_invalid_character(estore, tmp_path, ch):
    body = [SEQ60] * 10
    body[9] = SEQ60[:17] + ch + SEQ60[18:]              # line 12 of the file
    text = ">x first\n" + "\n".join(body[:2]) + "\n>y\n" + "\n".join(body[2:]) + "\n"
    p = _write(tmp_path, "bad.fa", text.encode("latin-1"))
    msg = _import_fails(estore, p)
    _at_line(msg, p, {12})
    if ch.isalpha() and ch.isascii():
        assert f"'{ch}'" in msg, msg


def test_invalid_character_late_in_large_file(estore, tmp_path, generated):
    """The error comes after most data was written: nothing may remain."""
    with open(generated["@edge"], "rb") as f:
        data = f.read()
    n = data.count(b"\n")
    p = _write(tmp_path, "late.fa", data + b"ACGTJ\n")
    _at_line(_import_fails(estore, p), p, {n + 1})


def test_invalid_character_in_gzip(estore, tmp_path):
    text = ">a\n" + "\n".join([SEQ60] * 4) + "\nACGTE\n"
    p = tmp_path / "bad.fa.gz"
    with gzip.open(p, "wb") as f:
        f.write(text.encode())
    _at_line(_import_fails(estore, str(p)), str(p), {6})


def test_sequence_before_header(estore, tmp_path):
    p = _write(tmp_path, "nohdr.fa", f"{SEQ60}\n>a\nACGT\n")
    _at_line(_import_fails(estore, p), p, {1})


# Blanks after '>' are skipped as samtools skips them ("> NAME" is NAME,
# test_roundtrip.py checks it against samtools faidx): only a header of
# blanks alone has no name.
@pytest.mark.parametrize("hdr", ["> ", ">", ">\t", ">  \r"])
def test_empty_name(estore, tmp_path, hdr):
    p = _write(tmp_path, "noname.fa", f">ok\nACGT\n{hdr}\nACGT\n")
    _at_line(_import_fails(estore, p), p, {3})


def _truncated_copy(tmp_path, name, frac):
    src = os.path.join(U.DATA, name)
    data = open(src, "rb").read()
    p = tmp_path / ("trunc-" + name)
    p.write_bytes(data[:int(len(data) * frac)])
    return str(p)


@pytest.mark.parametrize("name,frac", [
    ("phage_lambda_NC_001416.fa.gz", 0.5),
    ("yeast_S288C_chrI.fa.gz", 0.999),
    ("human_hg19_chr20_unittest.fasta.gz", 0.7),      # bgzip
], ids=["gzip-half", "gzip-trailer", "bgzip"])
def test_truncated_gzip(estore, tmp_path, name, frac):
    p = _truncated_copy(tmp_path, name, frac)
    msg = _import_fails(estore, p)
    assert p in msg, msg
    assert re.search(r"truncated|corrupt", msg, re.I), msg


def test_corrupt_gzip(estore, tmp_path):
    data = bytearray(open(os.path.join(U.DATA, "yeast_S288C_chrI.fa.gz"), "rb").read())
    for i in range(5000, 5100):
        data[i] ^= 0x5A
    p = _write(tmp_path, "corrupt.fa.gz", bytes(data))
    msg = _import_fails(estore, p)
    assert p in msg, msg


def test_nonexistent_file(estore, tmp_path):
    p = str(tmp_path / "does-not-exist.fa")
    msg = _import_fails(estore, p)
    assert p in msg


def test_directory_as_input(estore, tmp_path):
    d = tmp_path / "adir"
    d.mkdir()
    msg = _import_fails(estore, str(d))
    assert str(d) in msg


def test_store_still_usable_after_errors(estore, tmp_path):
    """After every failure above, a good import still works."""
    src = os.path.join(U.DATA, "phage_lambda_NC_001416.fa.gz")
    p = tmp_path / "lambda.fa.gz"
    shutil.copy(src, p)
    r = U.gdb("import", "fasta", estore, "--assembly", "lambda_ok", p, "--quiet")
    assert r.rc == 0, r
    assert U.gdb("verify", estore).rc == 0


@pytest.mark.parametrize("text", ["", "\n", "\r\n\n"], ids=["empty", "newline", "blank-lines"])
def test_no_sequences(estore, tmp_path, text):
    """A file with no record is refused by name (the fuzzer's first find:
    an empty file crashed the importer)."""
    p = _write(tmp_path, "none.fa", text)
    msg = _import_fails(estore, p)
    assert p in msg and "no sequences found" in msg, msg
