#!/bin/sh
# Install GenomeDB's build, test and benchmark dependencies on Debian 12,
# skipping packages already present. Needs root (or sudo).
set -e
PKGS="build-essential pkg-config libfuse3-dev fuse3 libzstd-dev liburing-dev
zlib1g-dev libssl-dev libhts-dev libhtscodecs-dev samtools bcftools tabix seqkit zstd xz-utils
pigz attr clang clang-format libclang-rt-dev graphviz python3-pytest python3-numpy python3-pandas python3-biopython
python3-pysam python3-hypothesis python3-networkx python3-pyfaidx
python3-scipy python3-igraph python3-parasail parasail man-db groff-base python3-cyvcf2
python3-pyranges python3-bioframe jellyfish snakemake cwltool python3-matplotlib gcovr time"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all present"
	exit 0
fi
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
