#!/usr/bin/env bash
# Preflight benchmark: CORS preflight (OPTIONS) requests/s of s3cors evaluating a
# bucket CORS rule vs. nginx answering the same preflight from a static config.
#
# This is a benchmark, not a test: it never fails on slow numbers, it only fails
# when a server cannot be started or does not answer the preflight correctly.
#
# Usage: bench/preflight.sh [PATH_TO_S3CORS]
#   PATH_TO_S3CORS      default build/release/server/s3cors (built with the
#                       release preset when missing or older than the sources)
# Environment:
#   BENCH_SECONDS       wrk duration per server (default 10)
#   BENCH_CONNECTIONS   wrk connections (default 64)
#   BENCH_THREADS       wrk threads (default 2)
#   BENCH_NO_BUILD=1    never (re)build the default binary
#
# Both servers get the identical request: OPTIONS /media/hls/index.m3u8 with
# Origin, Access-Control-Request-Method: GET and Access-Control-Request-Headers:
# Range, and must answer 200 with the identical set of Access-Control-* and Vary
# headers. s3cors evaluates a real CORS rule (origin, method and header matching);
# nginx does one origin comparison (a map) and adds constant headers.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/common.sh
source "$repo_root/bench/lib/common.sh"
default_bin="$repo_root/build/release/server/s3cors"
bin=${1:-$default_bin}
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-64}
wrk_threads=${BENCH_THREADS:-2}
no_build=${BENCH_NO_BUILD:-0}

die() { echo "preflight.sh: $*" >&2; exit 1; }

for tool in wrk curl nginx python3; do
  command -v "$tool" >/dev/null || die "$tool not found in PATH"
done
nginx_bin=$(command -v nginx)

if [[ $bin == "$default_bin" && $no_build != 1 ]]; then
  if [[ ! -x $bin ]]; then
    echo "== $bin missing, building the release preset" >&2
    (cd "$repo_root" && cmake --preset release >&2 &&
      cmake --build --preset release --target s3cors_server >&2)
  elif [[ -n $(cd "$repo_root" && find lib server CMakeLists.txt cmake -newer "$bin" \
    \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name 'CMakeLists.txt' -o -name '*.cmake' \) \
    -print -quit 2>/dev/null) ]]; then
    echo "== $bin is older than the sources, rebuilding (BENCH_NO_BUILD=1 to skip)" >&2
    (cd "$repo_root" && cmake --build --preset release --target s3cors_server >&2)
  fi
fi
[[ -x $bin ]] || die "s3cors binary not found: $bin"

# ---------------------------------------------------------------------------
# Temp dir, data set, cleanup of only the processes started here.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/s3cors-bench-preflight.XXXXXX")
s3cors_pid=""
nginx_pid=""


cleanup() {
  local rc=$?
  stop_pid "$s3cors_pid"
  stop_pid "$nginx_pid"
  if [[ $rc -ne 0 ]]; then
    for log in "$tmp/s3cors.err" "$tmp/nginx/error.log"; do
      [[ -s $log ]] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }
    done
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

origin="https://player.example.com"
path="/media/hls/index.m3u8"
data="$tmp/root"
mkdir -p "$data/media/hls" "$tmp/nginx/logs"
printf '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nseg0.ts\n#EXT-X-ENDLIST\n' \
  >"$data/media/hls/index.m3u8"
chmod 755 "$tmp" "$data" "$data/media" "$data/media/hls"

# The bucket's CORS rule (CLI JSON form). A second, non-matching rule first, so
# s3cors really walks the rule list like a typical configuration would.
cat >"$tmp/cors-media.json" <<EOF
{"CORSRules": [
  {"ID": "uploads", "AllowedOrigins": ["https://upload.example.com"],
   "AllowedMethods": ["PUT", "POST"], "AllowedHeaders": ["*"]},
  {"ID": "player", "AllowedOrigins": ["$origin"],
   "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": ["Range", "x-amz-*"],
   "ExposeHeaders": ["ETag", "Content-Range"], "MaxAgeSeconds": 3000}
]}
EOF
cat >"$tmp/s3cors.json" <<'EOF'
{"root": "root", "buckets": {"media": {"cors": "cors-media.json"}}, "cors_debug_header": false}
EOF


# ---------------------------------------------------------------------------
# nginx: the same answer from a static config (one origin comparison via a map).
nginx_port=$(free_port)
user_line=""
[[ $EUID -eq 0 ]] && user_line="user root;"
cat >"$tmp/nginx/nginx.conf" <<EOF
$user_line
worker_processes auto;
daemon off;
master_process on;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;

events {
    worker_connections 4096;
}

http {
    default_type application/octet-stream;
    access_log off;
    server_tokens off;
    keepalive_timeout 65;
    keepalive_requests 100000;
    client_body_temp_path $tmp/nginx/client_body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;

    map "\$request_method \$http_origin" \$cors_preflight_ok {
        default 0;
        "OPTIONS $origin" 1;
    }

    server {
        listen 127.0.0.1:$nginx_port;
        root $data;

        location /media/ {
            if (\$cors_preflight_ok) {
                add_header Access-Control-Allow-Origin "$origin" always;
                add_header Access-Control-Allow-Credentials "true" always;
                add_header Access-Control-Allow-Methods "GET, HEAD" always;
                add_header Access-Control-Allow-Headers "range" always;
                add_header Access-Control-Expose-Headers "ETag, Content-Range" always;
                add_header Access-Control-Max-Age "3000" always;
                add_header Vary "Origin, Access-Control-Request-Headers, Access-Control-Request-Method" always;
                return 200;
            }
            if (\$request_method = OPTIONS) {
                return 403;
            }
        }
    }
}
EOF
"$nginx_bin" -p "$tmp/nginx" -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf" -t -q ||
  die "generated nginx.conf is invalid"
"$nginx_bin" -p "$tmp/nginx" -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf" \
  </dev/null >"$tmp/nginx/stdout" 2>&1 &
nginx_pid=$!

# ---------------------------------------------------------------------------
# s3cors
"$bin" --root "$data" --listen 127.0.0.1:0 --config "$tmp/s3cors.json" --log-level warn \
  </dev/null >"$tmp/s3cors.out" 2>"$tmp/s3cors.err" &
s3cors_pid=$!
s3cors_port=""
for ((i = 0; i < 100; i++)); do
  line=$(grep -m1 -E '^s3cors listening on http://' "$tmp/s3cors.out" 2>/dev/null || true)
  if [[ -n $line ]]; then
    s3cors_port=${line##*:}
    break
  fi
  alive "$s3cors_pid" || die "s3cors exited during startup"
  sleep 0.1
done
[[ -n $s3cors_port ]] || die "s3cors did not print its listening line within 10 s"

# ---------------------------------------------------------------------------
# Correctness gate: both answer the preflight with 200 and the same CORS headers,
# and refuse a preflight from another origin.
wait_ready() { # $1 = base url
  local i
  for ((i = 0; i < 100; i++)); do
    curl -s -o /dev/null --max-time 2 -X OPTIONS "$1$path" && return 0
    sleep 0.1
  done
  return 1
}
preflight() { # preflight BASE ORIGIN HEADERS_FILE -> prints the status
  curl -s --max-time 10 -o /dev/null -D "$3" -w '%{http_code}' -X OPTIONS \
    -H "Origin: $2" -H 'Access-Control-Request-Method: GET' -H 'Access-Control-Request-Headers: Range' \
    "$1$path"
}
cors_headers() { # sorted Access-Control-* and Vary lines, CR stripped
  tr -d '\r' <"$1" | grep -iE '^(access-control-[a-z-]*|vary):' | sort -f
}
check() { # $1 = name, $2 = base url
  local name=$1 base=$2 code acao
  wait_ready "$base" || die "$name does not accept connections at $base"
  code=$(preflight "$base" "$origin" "$tmp/$name.headers")
  acao=$(tr -d '\r' <"$tmp/$name.headers" | grep -i '^access-control-allow-origin:' | cut -d: -f2- |
    sed 's/^[[:space:]]*//')
  [[ $code == 200 && $acao == "$origin" ]] ||
    die "$name preflight: got status $code, Access-Control-Allow-Origin '$acao'; want 200, '$origin'"
  code=$(preflight "$base" "https://evil.example.com" "$tmp/$name.refused")
  [[ $code == 403 ]] || die "$name preflight from another origin: got status $code, want 403"
}

nginx_base="http://127.0.0.1:$nginx_port"
s3cors_base="http://127.0.0.1:$s3cors_port"
check nginx "$nginx_base"
check s3cors "$s3cors_base"
if ! diff <(cors_headers "$tmp/s3cors.headers") <(cors_headers "$tmp/nginx.headers") >"$tmp/diff"; then
  die "s3cors and nginx preflight answers differ (< s3cors, > nginx):
$(cat "$tmp/diff")"
fi

# ---------------------------------------------------------------------------
# wrk script: the preflight request, exact totals printed from done().
cat >"$tmp/preflight.lua" <<EOF
wrk.method = "OPTIONS"
wrk.headers["Origin"] = "$origin"
wrk.headers["Access-Control-Request-Method"] = "GET"
wrk.headers["Access-Control-Request-Headers"] = "Range"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %.0f %.0f\n",
    summary.requests, summary.bytes, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
EOF

# run_wrk URL -> prints "req/s p50_ms p99_ms errors"
run_wrk() {
  local url=$1 out line
  out=$(timeout $((seconds + 60)) wrk -t"$wrk_threads" -c"$connections" -d"${seconds}s" --timeout 10s \
    -s "$tmp/preflight.lua" "$url" 2>&1) || die "wrk failed for $url: $out"
  line=$(grep -m1 '^BENCH ' <<<"$out") || die "unexpected wrk output for $url: $out"
  read -r _ reqs _ dur_us sock_err status_err p50 p99 <<<"$line"
  python3 - "$reqs" "$dur_us" "$sock_err" "$status_err" "$p50" "$p99" <<'EOF'
import sys
reqs, dur_us, sock_err, status_err, p50, p99 = (float(x) for x in sys.argv[1:])
print(f"{reqs / (dur_us / 1e6):.0f} {p50 / 1000:.2f} {p99 / 1000:.2f} {int(sock_err + status_err)}")
EOF
}

echo "== preflight: ${seconds}s per server, wrk -t$wrk_threads -c$connections, $(nproc) CPUs" \
  "(wrk and the server share them)"
echo "== OPTIONS $path  Origin: $origin  Access-Control-Request-Method: GET  Access-Control-Request-Headers: Range"
echo "== s3cors: $s3cors_base ($bin)  nginx: $nginx_base ($("$nginx_bin" -v 2>&1 | sed 's/.*: //'))"

echo "-- s3cors" >&2
read -r s_rps s_p50 s_p99 s_err <<<"$(run_wrk "$s3cors_base$path")"
alive "$s3cors_pid" || die "s3cors died during the measurement"
echo "-- nginx" >&2
read -r n_rps n_p50 n_p99 n_err <<<"$(run_wrk "$nginx_base$path")"
ratio=$(python3 -c "print(f'{$s_rps / $n_rps:.2f}' if $n_rps else '-')")

echo
fmt='%-8s %12s %10s %10s %8s\n'
# shellcheck disable=SC2059
printf "$fmt" "server" "req/s" "p50" "p99" "errors"
# shellcheck disable=SC2059
printf "$fmt" "s3cors" "$s_rps" "${s_p50}ms" "${s_p99}ms" "$s_err"
# shellcheck disable=SC2059
printf "$fmt" "nginx" "$n_rps" "${n_p50}ms" "${n_p99}ms" "$n_err"
echo "ratio (s3cors req/s / nginx req/s): $ratio"
if [[ $s_err -ne 0 || $n_err -ne 0 ]]; then
  echo
  echo "WARNING: socket errors or non-2xx responses during measurement (s3cors $s_err, nginx $n_err)"
fi
