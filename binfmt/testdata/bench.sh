#!/usr/bin/env bash
# Benchmarks for package binfmt, side by side with the tool people use.
#
#  1. Applying binfmt.d rules to a kernel: `binfmtctl apply` against
#     systemd-binfmt, on the same input (the rules in /usr/lib/binfmt.d, 31 on
#     Debian bookworm with qemu-user-static) and the same kernel: a private
#     binfmt_misc in a user namespace (binfmtctl sandbox), so the machine's own
#     binfmt_misc is never touched. Both replace existing entries each run.
#  2. The Go benchmarks (parse, encode, match, ELF detection, conf all).
#
# qemu-binfmt-conf.sh (what `binfmtctl conf` replaces) is not shipped by any
# Debian bookworm binary package, so there is no peer run for `conf`.
#
# Needs: Linux 6.7+, qemu-user-static, systemd (for systemd-binfmt), hyperfine
# (installed here if missing). Run from anywhere: binfmt/testdata/bench.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
SYSTEMD_BINFMT=/lib/systemd/systemd-binfmt
[ -x "$SYSTEMD_BINFMT" ] || { echo "need $SYSTEMD_BINFMT (apt-get install systemd)"; exit 1; }
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/binfmtctl" ./examples/binfmtctl
rules=$(cat /usr/lib/binfmt.d/*.conf | grep -vc '^[#;]' || true)
echo "== apply $rules binfmt.d rules to a private binfmt_misc (binfmtctl apply vs systemd-binfmt)"
# The sandbox mounts the private instance at /proc/sys/fs/binfmt_misc inside
# the namespace, where systemd-binfmt looks for it.
"$bin/binfmtctl" sandbox aarch64 -- hyperfine -N --warmup 20 --runs 300 \
  --export-json "$bin/apply.json" \
  "$SYSTEMD_BINFMT" "$bin/binfmtctl apply"
python3 - "$bin/apply.json" <<'PY'
import json, sys
res = {x["command"].split("/")[-1]: x for x in json.load(open(sys.argv[1]))["results"]}
sd, hk = res["systemd-binfmt"], res["binfmtctl apply"]
for k in ("mean", "median", "min"):
    print(f"{k:6}: systemd-binfmt {sd[k]*1e3:.2f} ms, binfmtctl apply {hk[k]*1e3:.2f} ms, ratio {hk[k]/sd[k]:.2f} (binfmtctl/systemd-binfmt, lower is faster)")
PY
echo
echo "== Go benchmarks"
go test ./binfmt/ -run '^$' -bench . -benchtime 1s
