#!/bin/bash
# Load benchmark: webhookd against adnanh/webhook (Debian package "webhook"),
# side by side, with wrk -t2 -c50 posting signed 7.5 KB GitHub push
# deliveries (each with a unique X-GitHub-Delivery) on loopback.
#
# For webhookd the hook deploys a real site (git fetch + build + atomic
# publish) with every delivery queued and coalesced; for adnanh/webhook the
# equivalent hook (payload-hmac-sha256 trigger rule) runs /bin/true.
# After the load: one more push/delivery of the newest commit, then the
# accounting: live release == newest pushed commit, and every accepted
# delivery is in the history as deployed, coalesced or failed.
# Finally 1000 concurrent slow clients against each server.
#
# Usage: examples/webhookd/bench.sh [seconds]   (run from the repository root; needs root for apt-get)
set -euo pipefail
DUR=${1:-10}
cd "$(dirname "$0")/../.."
need() { command -v "$1" >/dev/null 2>&1; }
if ! need wrk || ! need webhook; then
  apt-get install -y wrk webhook >/dev/null
fi
W=$(mktemp -d /tmp/webhookd-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
SECRET="bench secret $(date +%s)"
go build -o "$W/webhookd" ./examples/webhookd

# The "forge": a bare repository with 21 commits of a tiny site.
git init -q --bare -b main "$W/site.git"
git init -q -b main "$W/work"
(
  cd "$W/work"
  export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=b@example.com
  printf '#!/bin/sh\nset -e\nmkdir -p public\nsed "s/@C@/$DEPLOY_COMMIT/" index.html > public/index.html\n' > build.sh
  for i in $(seq 0 20); do
    echo "<h1>release $i</h1> @C@" > index.html
    git add -A && git commit -qm "release $i"
    git rev-parse HEAD >> "$W/commits"
  done
  git push -q "$W/site.git" HEAD:refs/heads/main
)
NEWEST=$(tail -1 "$W/commits")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P1=$(free_port); P2=$(free_port)
mkdir -p "$W/www"
cat > "$W/webhookd.json" <<JSON
{
  "state_dir": "$W/state",
  "hooks": [{"id": "site", "provider": "github", "secret_file": "$W/secret"}],
  "sites": [{"name": "site", "repository": "$W/site.git", "webroot": "$W/www", "output": "public",
             "rules": [{"branches": ["main"]}], "build": {"command": ["/bin/sh", "build.sh"]}, "keep": 3}]
}
JSON
printf '%s' "$SECRET" > "$W/secret"
cat > "$W/hooks.json" <<JSON
[{"id": "site", "execute-command": "/bin/true", "response-message": "ok",
  "trigger-rule": {"match": {"type": "payload-hmac-sha256", "secret": "$SECRET",
                             "parameter": {"source": "header", "name": "X-Hub-Signature-256"}}}}]
JSON

# Signed 7.5 KB push payloads for commits 0..19 (the newest, 20, is sent after the load).
python3 - "$W" "$SECRET" <<'PY'
import hmac, hashlib, json, sys
w, secret = sys.argv[1], sys.argv[2].encode()
commits = open(w + "/commits").read().split()
def payload(sha):
    c = lambda i, s: {"id": s, "tree_id": "0"*40, "distinct": True, "message": "Change %d: %s" % (i, "lorem ipsum " * 8),
                      "timestamp": "2026-01-02T03:04:05Z", "url": "https://github.com/me/site/commit/" + s,
                      "author": {"name": "Me", "email": "me@example.com", "username": "me"},
                      "committer": {"name": "Me", "email": "me@example.com", "username": "me"},
                      "added": [], "removed": [], "modified": ["posts/%04d.html" % i, "feed.xml"]}
    p = {"ref": "refs/heads/main", "before": "0"*40, "after": sha, "created": False, "deleted": False, "forced": False,
         "base_ref": None, "compare": "https://github.com/me/site/compare/x...y", "commits": [c(0, sha)], "head_commit": c(0, sha),
         "repository": {"id": 1, "name": "site", "full_name": "me/site", "clone_url": "https://github.com/me/site.git",
                        "ssh_url": "git@github.com:me/site.git", "default_branch": "main"},
         "pusher": {"name": "me", "email": "me@example.com"}, "sender": {"login": "me", "id": 1}}
    while len(json.dumps(p, separators=(",", ":"))) < 7500:
        p["commits"].insert(0, c(len(p["commits"]), "%040x" % len(p["commits"])))
    return json.dumps(p, separators=(",", ":"))
lua = ["local bodies, sigs = {}, {}"]
for i, sha in enumerate(commits[:-1]):
    b = payload(sha)
    sig = "sha256=" + hmac.new(secret, b.encode(), hashlib.sha256).hexdigest()
    lua.append("bodies[%d] = %s" % (i + 1, json.dumps(b)))
    lua.append('sigs[%d] = "%s"' % (i + 1, sig))
last = payload(commits[-1])
open(w + "/last.json", "w").write(last)
open(w + "/last.sig", "w").write("sha256=" + hmac.new(secret, last.encode(), hashlib.sha256).hexdigest())
lua.append(r'''
local threads, counter, n = {}, 0, #bodies
function setup(thread) thread:set("tid", #threads + 1); table.insert(threads, thread) end
function init(args) counter = 0 end
function request()
  counter = counter + 1
  local i = (counter % n) + 1
  return wrk.format("POST", "/hooks/site", {
    ["Content-Type"] = "application/json", ["X-GitHub-Event"] = "push",
    ["X-GitHub-Delivery"] = string.format("bench-%d-%d", tid, counter),
    ["X-Hub-Signature-256"] = sigs[i]}, bodies[i])
end
local codes = {}
function response(status, headers, body) codes[status] = (codes[status] or 0) + 1 end
function done(summary, latency, requests)
  io.write(string.format("RESULT req/s=%.0f requests=%d p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms errors=%d\n",
    summary.requests / (summary.duration / 1e6), summary.requests, latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end''')
open(w + "/bench.lua", "w").write("\n".join(lua))
print("payload bytes:", len(payload(commits[0])))
PY

rss() { awk '/VmRSS/{r=$2} /VmHWM/{h=$2} END{printf "rss=%dMB peak=%dMB", r/1024, h/1024}' "/proc/$1/status"; }
wait_port() { for _ in $(seq 200); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }

"$W/webhookd" serve -config "$W/webhookd.json" -listen "127.0.0.1:$P1" -status > "$W/webhookd.out" 2> "$W/webhookd.err" &
WPID=$!; PIDS+=("$WPID")
webhook -hooks "$W/hooks.json" -ip 127.0.0.1 -port "$P2" > "$W/webhook.out" 2>&1 &
APID=$!; PIDS+=("$APID")
wait_port "$P1"; wait_port "$P2"

echo "== wrk -t2 -c50 -d${DUR}s, signed 7.5 KB GitHub push deliveries"
R1=$(wrk -t2 -c50 -d"${DUR}s" --latency -s "$W/bench.lua" "http://127.0.0.1:$P1" | grep RESULT)
echo "webhookd        $R1 $(rss "$WPID")"
R2=$(wrk -t2 -c50 -d"${DUR}s" --latency -s "$W/bench.lua" "http://127.0.0.1:$P2" | grep RESULT)
echo "adnanh/webhook  $R2 $(rss "$APID")"
r1=$(sed 's/.*req\/s=\([0-9]*\).*/\1/' <<<"$R1"); r2=$(sed 's/.*req\/s=\([0-9]*\).*/\1/' <<<"$R2")
echo "ratio webhookd/adnanh-webhook: $(python3 -c "print(round($r1/max($r2,1), 2))")x"

# After the load: push the newest commit's delivery and wait for it to go live.
curl -s -o /dev/null -w "final delivery: HTTP %{http_code}\n" -H "Content-Type: application/json" -H "X-GitHub-Event: push" \
  -H "X-GitHub-Delivery: bench-final" -H "X-Hub-Signature-256: $(cat "$W/last.sig")" --data-binary "@$W/last.json" \
  "http://127.0.0.1:$P1/hooks/site"
for _ in $(seq 600); do
  curl -s -o "$W/status.json" "http://127.0.0.1:$P1/status?site=site"
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s.get("running") is None and s.get("queued") is None and s.get("live_commit")==sys.argv[2] else 1)' "$W/status.json" "$NEWEST" && break
  sleep 0.1
done
python3 - "$W/status.json" "$NEWEST" "$W" <<'PY'
import json, sys, os
s, newest, w = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
c = s["counters"]
hist = sum(json.loads(l)["deliveries"] for l in open(w + "/state/sites/site/history.jsonl"))
live = os.readlink(w + "/www/current")
served = open(w + "/www/current/index.html").read()
ok = s["live_commit"] == newest and newest in served and c["accepted"] == c["deployed"] + c["coalesced"] + c["failed"] + c["skipped"] + c["dropped"] and hist == c["accepted"]
print("accounting: accepted=%d deployed=%d coalesced=%d failed=%d builds=%d; history accounts for %d deliveries; live %s = newest pushed %s: %s"
      % (c["accepted"], c["deployed"], c["coalesced"], c["failed"], c["builds"], hist, live, newest[:12], "OK" if ok else "MISMATCH"))
sys.exit(0 if ok else 1)
PY

echo "== 1000 concurrent slow clients (headers never finished), then one signed ping"
slow() {
python3 - "$1" "$SECRET" <<'PY'
import socket, sys, time, urllib.request, hmac, hashlib
port, secret = int(sys.argv[1]), sys.argv[2].encode(); socks = []
body = b'{"zen":"Design for failure.","hook_id":1}'
sig = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
for i in range(1000):
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"POST /hooks/site HTTP/1.1\r\nHost: x\r\n"); socks.append(s)
time.sleep(1)
t = time.time()
try:
    urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:%d/hooks/site" % port, data=body,
        headers={"X-GitHub-Event": "ping", "X-GitHub-Delivery": "slow-ping", "Content-Type": "application/json",
                 "X-Hub-Signature-256": sig}), timeout=30).read()
    r = "answered 200"
except Exception as e:
    r = "answered (%s)" % getattr(e, "code", e)
print("  delivery during the slow clients: %s in %.0f ms" % (r, (time.time() - t) * 1000))
time.sleep(7)
dropped = 0
for s in socks:
    s.settimeout(0.01)
    try:
        s.recv(1)  # EOF (or an error answer): the server gave up on this client
        dropped += 1
    except socket.timeout:
        pass  # still held open
    except OSError:
        dropped += 1
print("  slow connections closed by the server after 7 s: %d/1000" % dropped)
PY
}
echo "webhookd:"; slow "$P1"; echo "  $(rss "$WPID")"
echo "adnanh/webhook:"; slow "$P2"; echo "  $(rss "$APID")"
