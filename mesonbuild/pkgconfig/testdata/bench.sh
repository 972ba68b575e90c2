#!/bin/sh
# Side-by-side benchmark of mesonbuild/pkgconfig against pkgconf, in one run.
#
#  1. in-process: --cflags --libs of every installed module with one client
#     (cold: every .pc read and parsed, with the client's background reader
#     and without it; warm: already parsed), against spawning pkgconf once
#     per module (Go benchmarks in bench_test.go);
#  2. the command per call: examples/pkgconf --cflags --libs wlroots against
#     pkgconf with the same arguments (hyperfine), and --version alone (the
#     cost of starting each process, Go's runtime against C's), and a Go
#     program that only writes one line (the floor of any Go command).
#
# Each goal is printed with its ratio (pkgconf time / ours) per run or
# round, so the spread shows: (a) the command at most as slow as pkgconf
# (ratio >= 1), (b) all modules in-process at least 100 times faster.
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
mkdir "$tmp/hello"
printf 'package main\n\nimport "syscall"\n\nfunc main() { syscall.Write(1, []byte("1.8.1\\n")) }\n' >"$tmp/hello/main.go"
printf 'module hello\n\ngo 1.26\n' >"$tmp/hello/go.mod"
(cd "$tmp/hello" && go build -o "$tmp/gohello" .)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== in-process, every installed module ($(pkgconf --list-package-names | wc -l) modules)"
go test -c -o "$tmp/pkgconfig.test" ./mesonbuild/pkgconfig
# three rounds, each timing the clients (100 iterations) and then pkgconf
# (3 x every module), so both sides of a ratio run within seconds of each
# other; the median of the three rounds is reported
for round in 1 2 3; do
  (cd mesonbuild/pkgconfig &&
    "$tmp/pkgconfig.test" -test.run '^$' -test.bench 'AllModules' -test.benchtime 100x &&
    "$tmp/pkgconfig.test" -test.run '^$' -test.bench 'SpawnPkgconf' -test.benchtime 3x) | grep '^Benchmark'
done | tee "$tmp/bench.txt"
awk '
function med(a, n,   i, j, t) {
  for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
  return a[int((n + 1) / 2)]
}
$1 ~ /^BenchmarkAllModulesColdClient-/          { c[++nc] = $3 }
$1 ~ /^BenchmarkAllModulesColdClientNoPreload-/ { p[++np] = $3 }
$1 ~ /^BenchmarkAllModulesWarmClient-/          { w[++nw] = $3 }
$1 ~ /^BenchmarkSpawnPkgconf-/                  { s[++ns] = $3 }
END {
  if (nc > 0 && ns > 0) {
    cold = med(c, nc); warm = med(w, nw); spawn = med(s, ns)
    nopre = med(p, np)
    printf "all modules (median of %d): pkgconf spawned per module %.1f ms, one cold client %.2f ms (%.0fx; on one goroutine, NoPreload: %.2f ms, %.0fx), warm client %.2f ms (%.0fx)\n",
      nc, spawn/1e6, cold/1e6, spawn/cold, nopre/1e6, spawn/nopre, warm/1e6, spawn/warm
    lo = 1e18; hi = 0
    for (i = 1; i <= nc && i <= ns; i++) { r = s[i] / c[i]; if (r < lo) lo = r; if (r > hi) hi = r }
    printf "goal (b) cold client >= 100x: ratio %.0fx (runs %.0f-%.0fx): %s\n", spawn/cold, lo, hi, (spawn/cold >= 100 ? "met" : "NOT met")
  }
}' "$tmp/bench.txt"

echo
echo "== the command per call: --cflags --libs $module"
cmp_out=$( "$tmp/pkgconf" --cflags --libs "$module" ) || true
ref_out=$( pkgconf --cflags --libs "$module" ) || true
[ "$cmp_out" = "$ref_out" ] && echo "outputs identical" || echo "OUTPUTS DIFFER"
# fifteen rounds of 20 runs each, the commands taking turns round after
# round, so a change in the machine's load hits every side alike; the
# medians are taken over all 300 runs of each command
rounds=$(seq 1 15)
for round in $rounds; do
  hyperfine -N --warmup 5 --runs 20 --export-json "$tmp/h$round.json" \
    "pkgconf --cflags --libs $module" \
    "$tmp/pkgconf --cflags --libs $module" \
    "pkgconf --cflags --libs --static $module" \
    "$tmp/pkgconf --cflags --libs --static $module" \
    "pkgconf --version" \
    "$tmp/pkgconf --version" \
    "$tmp/gohello" >/dev/null
done
python3 - $(for r in $rounds; do echo "$tmp/h$r.json"; done) <<'PY'
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
print("medians: pkgconf %.2f ms, ours %.2f ms (ratio %.2f); --static: pkgconf %.2f ms, ours %.2f ms (ratio %.2f); --version: pkgconf %.2f ms, ours %.2f ms; Go floor %.2f ms"
      % (med[0], med[1], med[0] / med[1], med[2], med[3], med[2] / med[3], med[4], med[5], med[6]))
# per round ratios (rounds run seconds apart: their spread is the noise)
rounds = []
for f in sys.argv[1:]:
    r = {x["command"]: statistics.median(x["times"]) for x in json.load(open(f))["results"]}
    rounds.append(r[names[0]] / r[names[1]])
q = statistics.quantiles(rounds, n=4)
print("goal (a) command at most as slow as pkgconf: ratio %.2f (per round: min %.2f, quartiles %.2f %.2f %.2f, max %.2f): %s"
      % (med[0] / med[1], min(rounds), q[0], q[1], q[2], max(rounds), "met" if med[0] / med[1] >= 1 else "NOT met"))
print("breakdown: pkgconf's work after its start %.2f ms; ours after the Go floor %.2f ms; Go start costs %.2f ms more than C's"
      % (med[0] - med[4], med[1] - med[6], med[6] - med[4]))
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
