#!/bin/sh
# Issuance wall time: acmewebroot (hostkit acmeutil) against lego 4.9 in
# webroot mode, side by side, on the same Pebble, the same nginx serving the
# same webroot, in one run. Prints every run, the medians and the ratio.
#
#   sh acmeutil/testdata/bench.sh [RUNS]        (from the repository root)
#
# Needs: go, nginx, pebble + pebble-challtestsrv ($GOPATH/bin or PATH),
# openssl, python3; installs lego with apt-get when missing (needs root).
#
# Pebble is pinned: PEBBLE_VA_NOSLEEP=1 (no random 0-15 s validation delay),
# PEBBLE_AUTHZREUSE=0, PEBBLE_WFE_NONCEREJECT=0, one profile, and no
# Retry-After on pending authorizations/orders (retryAfter 0): with
# Retry-After both clients must wait that long (acmeutil honours it), so the
# comparison is about how promptly each client polls.
set -eu

RUNS=${1:-10}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$PATH:$(go env GOPATH)/bin
export PATH

if ! command -v lego >/dev/null 2>&1; then
	echo "installing lego (apt-get install -y lego)" >&2
	apt-get install -y lego >/dev/null
fi
for t in nginx pebble pebble-challtestsrv openssl python3; do
	command -v "$t" >/dev/null 2>&1 || { echo "bench.sh: $t not found" >&2; exit 1; }
done

W=$(mktemp -d /tmp/acmeutil-bench.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	[ -f "$W/nginx/nginx.pid" ] && kill "$(cat "$W/nginx/nginx.pid")" 2>/dev/null || true
	sleep 0.2
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

freeport() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

HTTP_PORT=$(freeport); ACME_PORT=$(freeport); MGMT_PORT=$(freeport); DNS_PORT=$(freeport); CHALL_PORT=$(freeport); TLS_PORT=$(freeport)

# A throw-away CA and a localhost certificate for Pebble's HTTPS listener.
mkdir -p "$W/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj "/CN=bench CA" -keyout "$W/tls/ca.key" -out "$W/tls/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
	-keyout "$W/tls/key.pem" -out "$W/tls/req.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$W/tls/ext"
openssl x509 -req -in "$W/tls/req.csr" -CA "$W/tls/ca.pem" -CAkey "$W/tls/ca.key" -CAcreateserial \
	-days 1 -extfile "$W/tls/ext" -out "$W/tls/cert.pem" 2>/dev/null

cat >"$W/pebble.json" <<JSON
{"pebble": {
  "listenAddress": "127.0.0.1:$ACME_PORT",
  "managementListenAddress": "127.0.0.1:$MGMT_PORT",
  "certificate": "$W/tls/cert.pem",
  "privateKey": "$W/tls/key.pem",
  "httpPort": $HTTP_PORT,
  "tlsPort": $TLS_PORT,
  "ocspResponderURL": "",
  "externalAccountBindingRequired": false,
  "retryAfter": {"authz": 0, "order": 0},
  "keyAlgorithm": "ecdsa",
  "profiles": {"default": {"description": "90 days", "validityPeriod": 7776000}}
}}
JSON

pebble-challtestsrv -dnsserver "127.0.0.1:$DNS_PORT" -http01 "" -https01 "" -tlsalpn01 "" -doh "" \
	-management "127.0.0.1:$CHALL_PORT" -defaultIPv4 127.0.0.1 -defaultIPv6 "" >"$W/challtestsrv.log" 2>&1 &
PIDS="$PIDS $!"
PEBBLE_VA_NOSLEEP=1 PEBBLE_AUTHZREUSE=0 PEBBLE_WFE_NONCEREJECT=0 \
	pebble -config "$W/pebble.json" -dnsserver "127.0.0.1:$DNS_PORT" >"$W/pebble.log" 2>&1 &
PIDS="$PIDS $!"

# nginx serving the shared webroot on Pebble's HTTP-01 port.
mkdir -p "$W/nginx/logs" "$W/nginx/tmp" "$W/www"
USER_LINE=""
[ "$(id -u)" = 0 ] && USER_LINE="user root;"
cat >"$W/nginx/nginx.conf" <<CONF
$USER_LINE
worker_processes 1;
pid $W/nginx/nginx.pid;
error_log $W/nginx/logs/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $W/nginx/tmp/body; proxy_temp_path $W/nginx/tmp/proxy;
    fastcgi_temp_path $W/nginx/tmp/fcgi; uwsgi_temp_path $W/nginx/tmp/uwsgi; scgi_temp_path $W/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$HTTP_PORT;
        location ^~ /.well-known/acme-challenge/ { root $W/www; default_type text/plain; try_files \$uri =404; }
    }
}
CONF
nginx -p "$W/nginx" -e "$W/nginx/logs/error.log" -c "$W/nginx/nginx.conf"

DIR="https://127.0.0.1:$ACME_PORT/dir"
i=0
until curl -sf --cacert "$W/tls/ca.pem" "$DIR" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -gt 200 ] && { echo "Pebble did not start:"; cat "$W/pebble.log"; exit 1; }
	sleep 0.05
done

echo "building acmewebroot" >&2
(cd "$ROOT" && go build -o "$W/acmewebroot" ./examples/acmewebroot)

export W DIR
# Warm up: register both accounts (not measured), then alternate runs. Each
# run is one process, timed from exec to exit by one Python harness.
python3 - "$RUNS" <<'PY'
import os, statistics, subprocess, sys, time
W, DIR, runs = os.environ["W"], os.environ["DIR"], int(sys.argv[1])
ca = W + "/tls/ca.pem"
def ours(name):
    return [W + "/acmewebroot", "--home", W + "/home", "--ca-bundle", ca, "issue", "--force",
            "-d", name, "-w", W + "/www", "--server", DIR, "--email", "bench@example.com"]
def lego(name):
    return ["lego", "--server", DIR, "--email", "bench@example.com", "--accept-tos", "--key-type", "ec256",
            "--domains", name, "--http", "--http.webroot", W + "/www", "--path", W + "/lego", "run"]
env = dict(os.environ, LEGO_CA_CERTIFICATES=ca)
def timed(argv):
    t = time.perf_counter()
    p = subprocess.run(argv, env=env, capture_output=True, text=True)
    d = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit("%s failed:\n%s%s" % (argv[0], p.stdout, p.stderr))
    return d
timed(ours("warm-ours.example.com"))
timed(lego("warm-lego.example.com"))
v = subprocess.run(["lego", "--version"], capture_output=True, text=True).stdout.strip()
pkg = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "lego"], capture_output=True, text=True).stdout.strip()
print("lego: %s (Debian package %s); Pebble %s" % (v, pkg or "?", DIR))
print("%4s  %12s  %12s" % ("run", "acmewebroot", "lego"))
a, b = [], []
for i in range(1, runs + 1):
    a.append(timed(ours("ours-%d.example.com" % i)))
    b.append(timed(lego("lego-%d.example.com" % i)))
    print("%4d  %11.3fs  %11.3fs" % (i, a[-1], b[-1]))
mo, ml = statistics.median(a), statistics.median(b)
print("median  %10.3fs  %11.3fs" % (mo, ml))
print("ratio acmewebroot/lego = %.3f (lego takes %.1fx as long)" % (mo / ml, ml / mo))
PY
