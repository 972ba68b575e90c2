#!/usr/bin/env bash
# Orchestration overhead of a no-op rerun of a three-project chain
# (libval -> appval -> apptool, the fixtures beside this script), side by
# side with the same meson and ninja commands run by hand.
#
#   mesonchain         : the normal rerun: stamps match, nothing is executed
#   mesonchain -force  : stamps ignored; for each project the same commands
#                        as by hand: ninja -C B, meson install -C B
#                        --no-rebuild --only-changed (setup is skipped
#                        because its fingerprint is unchanged)
#   by hand (full)     : ninja + meson install for each project, in a shell
#   by hand (ninja)    : ninja for each project only
#
# Usage: mesonbuild/testdata/bench.sh [rounds]   (default 20)
# Needs meson, ninja, cc, pkgconf and Go. Prints median, mean and min wall
# time per run and the ratios of the medians.
set -euo pipefail
N=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work" "${samples:-}"' EXIT

for t in meson ninja cc pkgconf go; do
  command -v "$t" >/dev/null || { echo "bench.sh: $t not found (apt-get install meson ninja-build gcc pkgconf)" >&2; exit 1; }
done

(cd "$repo" && go build -o "$work/mesonchain" ./examples/mesonchain)
cp -r "$here/chain" "$work/src"
cat > "$work/chain.json" <<JSON
{"prefix": "prefix", "workdir": "work",
 "projects": [
  {"name": "libval", "source": "src/libval-2"},
  {"name": "appval", "source": "src/appval", "depends_on": ["libval"]},
  {"name": "apptool", "source": "src/apptool", "depends_on": ["appval"]}]}
JSON
cd "$work"
./mesonchain chain.json >/dev/null 2>&1   # the real build
./mesonchain chain.json >/dev/null 2>&1   # settle

B="$work/work/build"
by_hand_full() {
  for p in libval appval apptool; do
    ninja -C "$B/$p" >/dev/null
    meson install -C "$B/$p" --no-rebuild --only-changed >/dev/null
  done
}
by_hand_ninja() {
  for p in libval appval apptool; do ninja -C "$B/$p" >/dev/null; done
}
chain_noop() { ./mesonchain chain.json >/dev/null 2>&1; }
chain_force() { ./mesonchain -force chain.json >/dev/null 2>&1; }

# The four variants run interleaved (one of each per round), so that load
# from other work on the machine falls on all of them alike. Medians are
# compared (robust to the odd run that waited for a CPU).
names=("mesonchain" "mesonchain -force" "by hand (ninja+install)" "by hand (ninja only)")
fns=(chain_noop chain_force by_hand_full by_hand_ninja)
samples=$(mktemp)
for k in 0 1 2 3; do "${fns[$k]}"; done   # warm up
for ((i = 0; i < N; i++)); do
  for k in 0 1 2 3; do
    t0=$(date +%s%N); "${fns[$k]}"; t1=$(date +%s%N)
    echo "$k $((t1 - t0))" >> "$samples"
  done
done
echo "no-op rerun of a 3-project chain, $N interleaved rounds ($(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"
declare -a med
for k in 0 1 2 3; do
  read -r med[$k] mean mn < <(awk -v k="$k" '$1 == k {print $2}' "$samples" | sort -n | awk '
    {v[NR] = $1; s += $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
    printf "%.4f %.4f %.4f\n", m / 1e9, s / NR / 1e9, v[1] / 1e9}')
  printf '%-24s median %8ss  mean %8ss  min %8ss\n' "${names[$k]}" "${med[$k]}" "$mean" "$mn"
done
noop=${med[0]} force=${med[1]} hand=${med[2]} handn=${med[3]}

echo
awk -v a="$force" -v b="$hand" 'BEGIN{printf "mesonchain -force / by hand (same commands), medians: %.3f  (goal <= 1.10)\n", a/b}'
awk -v a="$noop" -v b="$hand" 'BEGIN{printf "mesonchain (stamps) / by hand:                        %.3f\n", a/b}'
awk -v a="$noop" -v b="$handn" 'BEGIN{printf "mesonchain (stamps) / by hand ninja only:             %.3f\n", a/b}'
awk -v a="$noop" 'BEGIN{printf "no-op rerun of the whole chain: %.3fs median (goal < 1s)\n", a}'
