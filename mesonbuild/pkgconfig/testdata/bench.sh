#!/bin/sh
# Side-by-side benchmark of mesonbuild/pkgconfig against pkgconf, in one run.
#
#  1. in-process: --cflags --libs of every installed module with one client
#     (cold: every .pc read and parsed; warm: already parsed), against
#     spawning pkgconf once per module (Go benchmarks in bench_test.go);
#  2. the command per call: examples/pkgconf --cflags --libs wlroots against
#     pkgconf with the same arguments (hyperfine), and --version alone (the
#     cost of starting each process, Go's runtime against C's).
#
# The machine's load average is printed before and after: figures taken
# while other jobs share the cores are not comparable with quiet ones.
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
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== in-process, every installed module ($(pkgconf --list-package-names | wc -l) modules)"
go test -run '^$' -bench 'AllModules|SpawnPkgconf' -benchtime 20x -count 3 ./mesonbuild/pkgconfig | tee "$tmp/bench.txt"
# each benchmark runs three times; the median of the three is reported
awk '
function med(a, n,   i, j, t) {
  for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
  return a[int((n + 1) / 2)]
}
/BenchmarkAllModulesColdClient/ { c[++nc] = $3 }
/BenchmarkAllModulesWarmClient/ { w[++nw] = $3 }
/BenchmarkSpawnPkgconf/        { s[++ns] = $3 }
END {
  if (nc > 0 && ns > 0) {
    cold = med(c, nc); warm = med(w, nw); spawn = med(s, ns)
    printf "all modules (median of %d): pkgconf spawned per module %.1f ms, one cold client %.2f ms (%.0fx), warm client %.2f ms (%.0fx)\n",
      nc, spawn/1e6, cold/1e6, spawn/cold, warm/1e6, spawn/warm
  }
}' "$tmp/bench.txt"

echo
echo "== the command per call: --cflags --libs $module"
cmp_out=$( "$tmp/pkgconf" --cflags --libs "$module" ) || true
ref_out=$( pkgconf --cflags --libs "$module" ) || true
[ "$cmp_out" = "$ref_out" ] && echo "outputs identical" || echo "OUTPUTS DIFFER"
# five rounds of 60 runs each, the commands alternating within a round, so
# a change in the machine's load hits both sides alike; the medians are
# taken over all 300 runs of each command
for round in 1 2 3 4 5; do
  hyperfine -N --warmup 10 --runs 60 --export-json "$tmp/h$round.json" \
    "pkgconf --cflags --libs $module" \
    "$tmp/pkgconf --cflags --libs $module" \
    "pkgconf --cflags --libs --static $module" \
    "$tmp/pkgconf --cflags --libs --static $module" \
    "pkgconf --version" \
    "$tmp/pkgconf --version" >/dev/null
done
python3 - "$tmp"/h[1-5].json <<'PY'
import json, statistics, sys
names, times = [], {}
for f in sys.argv[1:]:
    for x in json.load(open(f))["results"]:
        if x["command"] not in times:
            names.append(x["command"])
            times[x["command"]] = []
        times[x["command"]].extend(x["times"])
med = [statistics.median(times[n]) * 1000 for n in names]
mean = [statistics.mean(times[n]) * 1000 for n in names]
for n, m, a in zip(names, med, mean):
    print("%-60s median %.2f ms  mean %.2f ms  (%d runs)" % (n.replace(sys.argv[1].rsplit("/", 1)[0] + "/", "ours: "), m, a, len(times[n])))
print("medians: pkgconf %.2f ms, ours %.2f ms (ratio %.2f); --static: pkgconf %.2f ms, ours %.2f ms (ratio %.2f); --version: pkgconf %.2f ms, ours %.2f ms"
      % (med[0], med[1], med[0] / med[1], med[2], med[3], med[2] / med[3], med[4], med[5]))
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
