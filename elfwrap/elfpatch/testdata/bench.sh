#!/bin/bash
# Side-by-side benchmark: set the RUNPATH of every ELF file of a copied
# sample of /usr with `elfdeps patch` (this package) and with patchelf, one
# process per file for both, in the same run; then verify every output.
#
#   elfwrap/elfpatch/testdata/bench.sh [N_FILES] [SEED]
#
# Verification of each output of both tools: readelf -d shows the new
# RUNPATH and the same NEEDED list as the original; the glibc loader maps
# the file and all its libraries (ld.so --list, which applies the kernel's
# and ld.so's segment checks); the executables among a known list are run
# and must print what the original prints.
set -uo pipefail

N=${1:-300}
SEED=${2:-42}
RPATH='/opt/hostkit-bench/lib:$ORIGIN/../lib:/usr/lib/x86_64-linux-gnu'
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
LDSO=/lib64/ld-linux-x86-64.so.2
command -v patchelf >/dev/null || { echo "needs patchelf: apt-get install -y patchelf" >&2; exit 1; }
command -v readelf >/dev/null || { echo "needs readelf: apt-get install -y binutils" >&2; exit 1; }

WORK=$(mktemp -d /tmp/elfpatch-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
(cd "$ROOT" && go build -o "$WORK/elfdeps" ./examples/elfdeps) || exit 1

# The sample: regular dynamically linked ELF files (executables and shared
# libraries) under /usr, chosen reproducibly from SEED.
python3 - "$N" "$SEED" > "$WORK/sample" <<'PY'
import os, random, struct, sys
n, seed = int(sys.argv[1]), int(sys.argv[2])
found = []
for top in ("/usr/bin", "/usr/sbin", "/usr/lib", "/usr/libexec"):
    for d, _, files in os.walk(top):
        if d.startswith("/usr/lib/debug"):
            continue  # separate debug info: no loadable content
        for name in files:
            p = os.path.join(d, name)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            try:
                with open(p, "rb") as fh:
                    h = fh.read(64)
                    if len(h) < 64 or h[:4] != b"\x7fELF" or h[4] != 2 or h[5] != 1:
                        continue
                    typ, mach = struct.unpack_from("<HH", h, 16)
                    phoff, = struct.unpack_from("<Q", h, 32)
                    phnum, = struct.unpack_from("<H", h, 56)
                    if mach != 0x3E or typ not in (2, 3) or phnum == 0:
                        continue
                    fh.seek(phoff)
                    ph = fh.read(56 * phnum)
                    types = [struct.unpack_from("<I", ph, i * 56)[0] for i in range(len(ph) // 56)]
                    if 2 not in types:
                        continue
                    if 3 not in types:  # no PT_INTERP: skip static-pie (DF_1_PIE)
                        i = types.index(2)
                        off, = struct.unpack_from("<Q", ph, i * 56 + 8)
                        size, = struct.unpack_from("<Q", ph, i * 56 + 32)
                        fh.seek(off)
                        dyn = fh.read(size)
                        tags = [struct.unpack_from("<qQ", dyn, j) for j in range(0, len(dyn) - 15, 16)]
                        if any(t == 0x6FFFFFFB and v & 0x08000000 for t, v in tags):
                            continue
                    found.append(p)
            except OSError:
                pass
found.sort()
random.Random(seed).shuffle(found)
print("\n".join(found[:n]))
PY
n=$(wc -l < "$WORK/sample")
bytes=$(xargs -d '\n' cat < "$WORK/sample" | wc -c)
[ "$n" -gt 0 ] || { echo "no ELF files found" >&2; exit 1; }
echo "sample: $n dynamically linked x86-64 ELF files, $((bytes / 1000000)) MB, seed $SEED"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"

mkdir -p "$WORK/orig"
i=0
while read -r f; do
  i=$((i + 1))
  cp "$f" "$WORK/orig/$i-$(basename "$f")"
done < "$WORK/sample"
ls "$WORK/orig" | sort -n > "$WORK/names"

us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
fresh() { rm -rf "$WORK/$1"; cp -a "$WORK/orig" "$WORK/$1"; }

# Pass 1, one process per file (how build scripts call patchelf). The tools
# alternate file by file so that both see the same machine load.
fresh theirs; fresh ours; fresh ours-nosync; sync
pe_us=0; ours_us=0; nosync_us=0
while read -r b; do
  t0=$(us)
  patchelf --set-rpath "$RPATH" "$WORK/theirs/$b" || echo "$b" >> "$WORK/failed-theirs"
  t1=$(us)
  "$WORK/elfdeps" patch --set-rpath "$RPATH" "$WORK/ours/$b" || echo "$b" >> "$WORK/failed-ours"
  t2=$(us)
  "$WORK/elfdeps" patch --no-sync --set-rpath "$RPATH" "$WORK/ours-nosync/$b" || echo "$b" >> "$WORK/failed-ours"
  t3=$(us)
  pe_us=$((pe_us + t1 - t0)); ours_us=$((ours_us + t2 - t1)); nosync_us=$((nosync_us + t3 - t2))
done < "$WORK/names"
pe_ms=$((pe_us / 1000)); ours_ms=$((ours_us / 1000)); nosync_ms=$((nosync_us / 1000))

# Pass 2, one process for all files (both tools take many files), each
# tool three times in alternating order; the fastest run counts (a pass
# takes a fifth of a second, so one busy moment of the machine shows).
best() { [ -z "$1" ] || [ "$2" -lt "$1" ] && echo "$2" || echo "$1"; }
pe_batch_ms=; ours_batch_ms=; ours_batch_nosync_ms=
for round in 1 2 3; do
  fresh theirs-batch; sync; t0=$(us)
  (cd "$WORK/theirs-batch" && xargs -d '\n' patchelf --set-rpath "$RPATH" < "$WORK/names") || echo batch >> "$WORK/failed-theirs"
  t1=$(us); pe_batch_ms=$(best "$pe_batch_ms" $(( (t1 - t0) / 1000 )))
  fresh ours-batch; sync; t0=$(us)
  (cd "$WORK/ours-batch" && xargs -d '\n' "$WORK/elfdeps" patch --set-rpath "$RPATH" < "$WORK/names") || echo batch >> "$WORK/failed-ours"
  t1=$(us); ours_batch_ms=$(best "$ours_batch_ms" $(( (t1 - t0) / 1000 )))
  fresh ours-batch-nosync; sync; t0=$(us)
  (cd "$WORK/ours-batch-nosync" && xargs -d '\n' "$WORK/elfdeps" patch --no-sync --set-rpath "$RPATH" < "$WORK/names") || echo batch >> "$WORK/failed-ours"
  t1=$(us); ours_batch_nosync_ms=$(best "$ours_batch_nosync_ms" $(( (t1 - t0) / 1000 )))
done

# Verify every output of both tools.
fail=0
for tool in ours theirs; do
  if [ -s "$WORK/failed-$tool" ]; then
    echo "FAIL: $tool could not patch: $(tr '\n' ' ' < "$WORK/failed-$tool")"
    fail=$((fail + $(wc -l < "$WORK/failed-$tool")))
  fi
done
grow_pe=0
grow_ours=0
dyn() { readelf -dW "$1" 2>&1 | grep -E '\((NEEDED|RUNPATH|RPATH|SONAME)\)' | sed 's/^ *0x[0-9a-f]* *//'; }
while read -r b; do
  o="$WORK/orig/$b"
  want_needed=$(dyn "$o" | grep NEEDED)
  for tool in ours theirs ours-nosync theirs-batch ours-batch ours-batch-nosync; do
    p="$WORK/$tool/$b"
    got=$(dyn "$p")
    if ! grep -qF "(RUNPATH)            Library runpath: [$RPATH]" <<<"$got" ||
       [ "$(grep NEEDED <<<"$got")" != "$want_needed" ]; then
      echo "FAIL $tool $b: readelf -d shows:"; echo "$got"; fail=$((fail + 1)); continue
    fi
    # The new RUNPATH replaces the original one: give the loader the
    # original directories ($ORIGIN expanded) so that only corruption fails.
    origrp=$(dyn "$o" | sed -n 's/.*(R[UN]*PATH).*\[\(.*\)\]/\1/p' | head -1)
    origdir=$(dirname "$(sed -n "${b%%-*}p" "$WORK/sample")")
    if ! LD_LIBRARY_PATH="${origrp//\$ORIGIN/$origdir}" "$LDSO" --list "$p" >/dev/null 2>"$WORK/err"; then
      # some files (the loader itself, libc) cannot be listed even unpatched
      if LD_LIBRARY_PATH="${origrp//\$ORIGIN/$origdir}" "$LDSO" --list "$o" >/dev/null 2>&1; then
        echo "FAIL $tool $b: ld.so --list: $(cat "$WORK/err")"; fail=$((fail + 1))
      fi
    fi
  done
  grow_pe=$((grow_pe + $(stat -c %s "$WORK/theirs/$b") - $(stat -c %s "$o")))
  grow_ours=$((grow_ours + $(stat -c %s "$WORK/ours/$b") - $(stat -c %s "$o")))
done < "$WORK/names"

# Run the executables that have a harmless --version.
ran=0
for b in $(grep -E -- '-(ls|cat|grep|sed|tar|gzip|find|diff|git|xz|sort|stat|date|readelf|objdump|python3\.[0-9]+|perl|bash|curl|openssl)$' "$WORK/names" || true); do
  name=${b#*-}
  arg=--version; [ "$name" = openssl ] && arg=version; [ "$name" = perl ] && arg=-v
  # as above: the original's own search path, $ORIGIN expanded
  origrp=$(dyn "$WORK/orig/$b" | sed -n 's/.*(R[UN]*PATH).*\[\(.*\)\]/\1/p' | head -1)
  origdir=$(dirname "$(sed -n "${b%%-*}p" "$WORK/sample")")
  llp="${origrp//\$ORIGIN/$origdir}"
  want=$(cd "$WORK/orig" && LD_LIBRARY_PATH="$llp" "./$b" $arg 2>&1 | sed "s|$WORK/orig|DIR|g; s|$b|X|g" || true)
  for tool in ours theirs; do
    got=$(cd "$WORK/$tool" && LD_LIBRARY_PATH="$llp" "./$b" $arg 2>&1 | sed "s|$WORK/$tool|DIR|g; s|$b|X|g" || true)
    if [ "$got" != "$want" ]; then echo "FAIL run $tool $b"; fail=$((fail + 1)); fi
  done
  ran=$((ran + 1))
done

per() { awk "BEGIN{printf \"%.2f\", $1/$n}"; }
ratio() { awk "BEGIN{printf \"%.2f\", $1/($2>0?$2:1)}"; }
echo "one process per file:"
echo "  patchelf:                 $pe_ms ms, $(per "$pe_ms") ms/file, +$grow_pe bytes in all"
echo "  elfdeps patch:            $ours_ms ms, $(per "$ours_ms") ms/file, +$grow_ours bytes in all (fsync per file)  ratio $(ratio "$pe_ms" "$ours_ms")x"
echo "  elfdeps patch --no-sync:  $nosync_ms ms, $(per "$nosync_ms") ms/file  ratio $(ratio "$pe_ms" "$nosync_ms")x"
echo "one process, all files:"
echo "  patchelf:                 $pe_batch_ms ms, $(per "$pe_batch_ms") ms/file"
echo "  elfdeps patch:            $ours_batch_ms ms, $(per "$ours_batch_ms") ms/file (fsync per file)  ratio $(ratio "$pe_batch_ms" "$ours_batch_ms")x"
echo "  elfdeps patch --no-sync:  $ours_batch_nosync_ms ms, $(per "$ours_batch_nosync_ms") ms/file  ratio $(ratio "$pe_batch_ms" "$ours_batch_nosync_ms")x"
echo "(ratio = patchelf time / ours; above 1 means ours is faster)"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "verified: $n files x 6 outputs (readelf -d, ld.so --list), $ran programs run; failures: $fail"
[ "$fail" -eq 0 ]
