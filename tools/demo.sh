#!/bin/sh
# make demo: import the bundled real genomes, mount, show a few things a
# researcher would do, and leave the mount up for exploring.
set -eu
G=${GENOMEDB:-build/genomedb}
D=tests/data
py=/usr/bin/python3

fusermount3 -u -z mnt 2>/dev/null || true
rm -rf demo.gdb
mkdir -p mnt

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; sh -c "$*"; }

run "$G init demo.gdb"
run "$G import fasta demo.gdb --assembly ecoli $D/ecoli_K12_MG1655_NC_000913.3.fna.gz"
run "$G import fasta demo.gdb --assembly hg38chrM $D/human_hg38_chrM.fa"
run "$G import fasta demo.gdb --assembly athal $D/arabidopsis_thaliana_1pct.fa.gz"
run "$G info demo.gdb"
run "$G verify demo.gdb"
run "$G mount demo.gdb mnt"
run "ls mnt mnt/ecoli"
run "head -3 mnt/ecoli/NC_000913.3/1000000-1000100.fa"
run "cat mnt/hg38chrM/chrM/2580-2610.fa      # soft-masked (lowercase) bases, as imported"
run "cat mnt/hg38chrM/chrM/3100-3120.fa      # the N at 3107"
run "cat mnt/hg38chrM/chrM/3100-3120.rc.fa"
run "samtools faidx mnt/athal/athal.fa Chr1:1000-1100 | head -3      # uses the virtual .fai"
run "getfattr -d -m user.gdb mnt/ecoli/NC_000913.3.fa"
run "$py -c \"import numpy as np; a = np.memmap('mnt/ecoli/NC_000913.3/1-4641652.u8', dtype='u1', mode='r'); print('GC fraction', round(float(np.isin(a, (1, 2)).mean()), 4), 'of', a.size, 'bases')\""
run "head -4 mnt/compute/gc/ecoli/NC_000913.3/1-1000000@w=250000.tsv      # GC per window, computed on lookup"
run "head -3 mnt/compute/motif/ecoli/NC_000913.3/1-100000/GAATTC.bed       # EcoRI sites, both strands"
run "$G ctl mnt policy s3fifo && $G ctl mnt stats      # switch the cache policy live"
printf '\nThe store is mounted at ./mnt. Unmount with: fusermount3 -u mnt   (or: make demo-stop)\n'
