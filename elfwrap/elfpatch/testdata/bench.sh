#!/bin/bash
# Side-by-side benchmark: set the RUNPATH of every ELF file of a copied
# sample of /usr with `elfdeps patch` (this package, in each write mode) and
# with patchelf, in the same run: one process per file, then one process
# for all files (and patchelf run as parallel processes); then verify every
# output of every mode.
#
#   elfwrap/elfpatch/testdata/bench.sh [N_FILES] [SEED]
#
# Verification of each output of every mode: the modes of one tool wrote
# the same bytes; readelf -d shows the new
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
# The spawn floor, timed in the same loop: an empty Go program.
mkdir "$WORK/gohello" && printf 'package main\n\nfunc main() {}\n' > "$WORK/gohello/main.go" &&
  (cd "$WORK/gohello" && go mod init gohello >/dev/null 2>&1 && go build -o "$WORK/gohello.bin" .) || exit 1

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

# Microseconds since the epoch, read without forking (a $(...) subshell in
# the timed region would add a fork to every measurement).
now() { us=${EPOCHREALTIME/./}; us=${us#0}; }
fresh() { rm -rf "$WORK/$1"; cp -a "$WORK/orig" "$WORK/$1"; }

# The modes. patchelf rewrites each file in place (open with O_TRUNC,
# write it all); ours replaces it atomically by default (temporary file,
# copy_file_range, fsync, rename, directory fsync), or without the fsyncs
# (--no-sync), or writes only the changed bytes into the file itself
# (--in-place, fsync at the end; --in-place --no-sync: no fsync, like
# patchelf).
OURS_MODES="ours ours-nosync ours-inplace ours-inplace-nosync"
flags() {
  case $1 in
    ours) echo "" ;;
    ours-nosync) echo "--no-sync" ;;
    ours-inplace) echo "--in-place" ;;
    ours-inplace-nosync) echo "--in-place --no-sync" ;;
  esac
}

# Pass 1, one process per file (how build scripts call patchelf). The tools
# alternate file by file so that all modes see the same machine load.
fresh theirs; for m in $OURS_MODES; do fresh "$m"; done; sync
declare -A t_us
t_us[theirs]=0; t_us[true]=0; t_us[gohello]=0; for m in $OURS_MODES; do t_us[$m]=0; done
declare -A fl
for m in $OURS_MODES; do fl[$m]=$(flags "$m"); done
while read -r b; do
  now; t0=$us
  patchelf --set-rpath "$RPATH" "$WORK/theirs/$b" || echo "theirs $b" >> "$WORK/failed-theirs"
  now; t_us[theirs]=$((t_us[theirs] + us - t0))
  for m in $OURS_MODES; do
    now; t0=$us
    # shellcheck disable=SC2086 # the flags are separate words
    "$WORK/elfdeps" patch ${fl[$m]} --set-rpath "$RPATH" "$WORK/$m/$b" || echo "$m $b" >> "$WORK/failed-ours"
    now; t_us[$m]=$((t_us[$m] + us - t0))
  done
  now; t0=$us; /bin/true; now; t_us[true]=$((t_us[true] + us - t0))
  now; t0=$us; "$WORK/gohello.bin"; now; t_us[gohello]=$((t_us[gohello] + us - t0))
done < "$WORK/names"

# Pass 2, one process for all files (both tools take many files), each
# mode three times in alternating order; the fastest run counts (a pass
# takes a fifth of a second, so one busy moment of the machine shows).
# Ours patches files in parallel (GOMAXPROCS workers): "theirs-p2" runs
# patchelf as xargs -P NPROC (files split evenly) for a fair parallel
# comparison.
best() { [ -z "$1" ] || [ "$2" -lt "$1" ] && echo "$2" || echo "$1"; }
nproc=$(nproc)
per_proc=$(( (n + nproc - 1) / nproc ))
declare -A b_ms
BATCH_MODES="theirs-batch theirs-p2-batch"
for m in $OURS_MODES; do BATCH_MODES="$BATCH_MODES $m-batch"; done
for round in 1 2 3; do
  for m in $BATCH_MODES; do
    fresh "$m"; sync; now; t0=$us
    case $m in
      theirs-batch) (cd "$WORK/$m" && xargs -d '\n' patchelf --set-rpath "$RPATH" < "$WORK/names") || echo "batch $m" >> "$WORK/failed-theirs" ;;
      theirs-p2-batch) (cd "$WORK/$m" && xargs -d '\n' -P "$nproc" -n "$per_proc" patchelf --set-rpath "$RPATH" < "$WORK/names") || echo "batch $m" >> "$WORK/failed-theirs" ;;
      *) # shellcheck disable=SC2086
         (cd "$WORK/$m" && xargs -d '\n' "$WORK/elfdeps" patch ${fl[${m%-batch}]} --set-rpath "$RPATH" < "$WORK/names") || echo "batch $m" >> "$WORK/failed-ours" ;;
    esac
    now; b_ms[$m]=$(best "${b_ms[$m]:-}" $(( (us - t0) / 1000 )))
  done
done

# Verify every output of every mode.
ALL_MODES="theirs $OURS_MODES $BATCH_MODES"
fail=0
for tool in ours theirs; do
  if [ -s "$WORK/failed-$tool" ]; then
    echo "FAIL: could not patch: $(tr '\n' ' ' < "$WORK/failed-$tool")"
    fail=$((fail + $(wc -l < "$WORK/failed-$tool")))
  fi
done
grow_pe=0
grow_ours=0
dyn() { readelf -dW "$1" 2>&1 | grep -E '\((NEEDED|RUNPATH|RPATH|SONAME)\)' | sed 's/^ *0x[0-9a-f]* *//'; }
while read -r b; do
  o="$WORK/orig/$b"
  want_needed=$(dyn "$o" | grep NEEDED)
  # Every mode of a tool must write the same bytes (ours: atomic, no-sync
  # and in-place, one file or many; patchelf: one process or several).
  for tool in $ALL_MODES; do
    ref=ours; case $tool in theirs*) ref=theirs ;; esac
    if ! cmp -s "$WORK/$ref/$b" "$WORK/$tool/$b"; then
      echo "FAIL $tool $b: differs from $ref"; fail=$((fail + 1))
    fi
  done
  for tool in $ALL_MODES; do
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

# Run the executables that have a harmless --version, from every mode.
ran=0
for b in $(grep -E -- '-(ls|cat|grep|sed|tar|gzip|find|diff|git|xz|sort|stat|date|readelf|objdump|python3\.[0-9]+|perl|bash|curl|openssl)$' "$WORK/names" || true); do
  name=${b#*-}
  arg=--version; [ "$name" = openssl ] && arg=version; [ "$name" = perl ] && arg=-v
  # as above: the original's own search path, $ORIGIN expanded
  origrp=$(dyn "$WORK/orig/$b" | sed -n 's/.*(R[UN]*PATH).*\[\(.*\)\]/\1/p' | head -1)
  origdir=$(dirname "$(sed -n "${b%%-*}p" "$WORK/sample")")
  llp="${origrp//\$ORIGIN/$origdir}"
  want=$(cd "$WORK/orig" && LD_LIBRARY_PATH="$llp" "./$b" $arg 2>&1 | sed "s|$WORK/orig|DIR|g; s|$b|X|g" || true)
  for tool in $ALL_MODES; do
    got=$(cd "$WORK/$tool" && LD_LIBRARY_PATH="$llp" "./$b" $arg 2>&1 | sed "s|$WORK/$tool|DIR|g; s|$b|X|g" || true)
    if [ "$got" != "$want" ]; then echo "FAIL run $tool $b"; fail=$((fail + 1)); fi
  done
  ran=$((ran + 1))
done

per() { awk "BEGIN{printf \"%.2f\", $1/$n}"; }
ratio() { awk "BEGIN{printf \"%.2f\", $1/($2>0?$2:1)}"; }
label() {
  case $1 in
    ours) echo "elfdeps patch (atomic, fsync)" ;;
    ours-nosync) echo "elfdeps patch --no-sync" ;;
    ours-inplace) echo "elfdeps patch --in-place" ;;
    ours-inplace-nosync) echo "elfdeps patch --in-place --no-sync" ;;
  esac
}
pe_ms=$((t_us[theirs] / 1000))
echo "one process per file (ratio = patchelf time / ours; above 1 means ours is faster):"
printf '  %-36s %6d ms  %5s ms/file  +%d bytes in all\n' "patchelf" "$pe_ms" "$(per "$pe_ms")" "$grow_pe"
for m in $OURS_MODES; do
  ms=$((t_us[$m] / 1000))
  printf '  %-36s %6d ms  %5s ms/file  ratio %sx\n' "$(label "$m")" "$ms" "$(per "$ms")" "$(ratio "$pe_ms" "$ms")"
done
echo "  (ours adds +$grow_ours bytes in all)"
echo "  spawn floor in the same loop: /bin/true $(per $((t_us[true] / 1000))) ms, an empty Go program $(per $((t_us[gohello] / 1000))) ms per spawn"
echo "one process for all files, best of 3 (ratios vs patchelf in one process / vs patchelf -P $nproc):"
pb=${b_ms[theirs-batch]}; pp=${b_ms[theirs-p2-batch]}
printf '  %-36s %6d ms  %5s ms/file\n' "patchelf" "$pb" "$(per "$pb")"
printf '  %-36s %6d ms  %5s ms/file\n' "xargs -P $nproc patchelf" "$pp" "$(per "$pp")"
for m in $OURS_MODES; do
  ms=${b_ms[$m-batch]}
  printf '  %-36s %6d ms  %5s ms/file  ratio %sx / %sx\n' "$(label "$m")" "$ms" "$(per "$ms")" "$(ratio "$pb" "$ms")" "$(ratio "$pp" "$ms")"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
nmodes=$(wc -w <<<"$ALL_MODES")
echo "verified: $n files x $nmodes outputs (same bytes within each tool, readelf -d, ld.so --list), $ran programs run from each; failures: $fail"
[ "$fail" -eq 0 ]
