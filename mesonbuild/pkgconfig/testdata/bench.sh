#!/bin/sh
# Side-by-side benchmark of mesonbuild/pkgconfig against pkgconf, in one run.
#
#  1. in-process: --cflags --libs of every installed module with one client
#     (cold: every .pc read and parsed; warm: already parsed), against
#     spawning pkgconf once per module (Go benchmarks in bench_test.go);
#  2. the command per call: examples/pkgconf --cflags --libs wlroots against
#     pkgconf with the same arguments (hyperfine).
#
# Run from anywhere: sh mesonbuild/pkgconfig/testdata/bench.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
cd "$root"
module=${BENCH_MODULE:-wlroots}

command -v hyperfine >/dev/null 2>&1 || { apt-get install -y hyperfine >/dev/null 2>&1 || apt-get update >/dev/null && apt-get install -y hyperfine >/dev/null; }
command -v pkgconf >/dev/null || { echo "bench.sh: pkgconf is not installed (apt-get install pkgconf)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/pkgconf" ./examples/pkgconf

echo "== in-process, every installed module ($(pkgconf --list-package-names | wc -l) modules)"
go test -run '^$' -bench 'AllModules|SpawnPkgconf' -benchtime 10x -count 1 ./mesonbuild/pkgconfig | tee "$tmp/bench.txt"
awk '
/BenchmarkAllModulesColdClient/ { cold = $3 }
/BenchmarkAllModulesWarmClient/ { warm = $3 }
/BenchmarkSpawnPkgconf/        { spawn = $3 }
END {
  if (cold > 0 && spawn > 0) {
    printf "all modules: pkgconf spawned per module %.1f ms, one cold client %.2f ms (%.0fx), warm client %.2f ms (%.0fx)\n",
      spawn/1e6, cold/1e6, spawn/cold, warm/1e6, spawn/warm
  }
}' "$tmp/bench.txt"

echo
echo "== the command per call: --cflags --libs $module"
cmp_out=$( "$tmp/pkgconf" --cflags --libs "$module" ) || true
ref_out=$( pkgconf --cflags --libs "$module" ) || true
[ "$cmp_out" = "$ref_out" ] && echo "outputs identical" || echo "OUTPUTS DIFFER"
hyperfine -N --warmup 20 --runs 300 --export-json "$tmp/h.json" \
  "pkgconf --cflags --libs $module" \
  "$tmp/pkgconf --cflags --libs $module" \
  "pkgconf --cflags --libs --static $module" \
  "$tmp/pkgconf --cflags --libs --static $module"
python3 - "$tmp/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
med = [x["median"] * 1000 for x in r]
print("medians: pkgconf %.2f ms, ours %.2f ms (ratio %.2f); --static: pkgconf %.2f ms, ours %.2f ms (ratio %.2f)"
      % (med[0], med[1], med[0] / med[1], med[2], med[3], med[2] / med[3]))
PY
