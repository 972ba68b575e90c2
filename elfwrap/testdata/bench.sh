#!/bin/sh
# Resolve every dynamically linked x86_64 ELF file under /usr with elfwrap,
# compare each load order with the loader's own, and time elfwrap against an
# `ld.so --list` loop, an `ldd` loop and `lddtree` (one process per file), on
# the same files in one run. Prints the agreement count and the ratios.
#
#   sh elfwrap/testdata/bench.sh            (from the repository root)
#   DIR=/opt sh elfwrap/testdata/bench.sh   (another tree)
set -eu
cd "$(dirname "$0")/../.."
# lddtree needs Debian's python3 with pyelftools (apt-get install pax-utils
# python3-pyelftools); the peers are called by absolute path.
for f in /lib64/ld-linux-x86-64.so.2 /usr/bin/ldd /usr/bin/lddtree; do
	[ -e "$f" ] || { echo "missing $f (apt-get install libc-bin pax-utils python3-pyelftools)" >&2; exit 1; }
done
go run ./elfwrap/testdata/usrcompare -dir "${DIR:-/usr}" -compare -bench -peers "${PEERS:-ldso,ldd,lddtree,lddtree-once}"
go test -run '^$' -bench . -benchtime 2x ./elfwrap
