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
run "$G import graph demo.gdb --network yeast $D/graph/galFiltered.sif --quiet"
run "$G import graph demo.gdb --network reactome $D/graph/reactome_mouse_subset.gmt --quiet"
run "$G import motifs demo.gdb --set demo $D/motifs/hand.jaspar $D/motifs/hand.meme"
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
run "head -3 mnt/compute/motif/ecoli/NC_000913.3/1-200000/pwm/HW0002.1@p=1e-3.bed      # a PWM, p <= 1e-3"
run "printf '>fwd\\n%s\\n>rev\\n%s\\n' \$(cat mnt/ecoli/NC_000913.3/10001-10025.seq) \$(tail -n +2 mnt/ecoli/NC_000913.3/20001-20030.rc.fa) > mnt/compute/queries/primers.fa      # a query set, copied in"
run "grep -v '^@' mnt/compute/align/ecoli/NC_000913.3/1-100000/@primers.sam      # each query's best hit"
run "head -2 mnt/graph/YPL248C/neighbors.tsv      # GAL4's neighbours in the yeast network"
run "head -1 $D/graph/reactome_mouse_subset.gmt | cut -f3-62 | tr '\\t' '\\n' > mnt/graph/enrich/lists/meiosis.txt      # 60 genes"
run "head -3 mnt/graph/enrich/@meiosis.tsv | cut -f1-7      # over-representation in the pathways"
run "$G ctl mnt policy s3fifo && $G ctl mnt stats      # switch the cache policy live"
printf '\nThe store is mounted at ./mnt. Unmount with: fusermount3 -u mnt   (or: make demo-stop)\n'
