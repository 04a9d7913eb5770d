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
#   BENCH_TMPDIR        parent of the temp dir (default ${TMPDIR:-/tmp})
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
bench_name=preflight
bin=${1:-$bench_default_bin}
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-64}
wrk_threads=${BENCH_THREADS:-2}

require_tools wrk curl nginx python3
ensure_s3cors "$bin"

# ---------------------------------------------------------------------------
# Temp dir, data set; bench_setup's cleanup stops only the processes started here.
bench_setup preflight
tmp=$bench_tmp
origin="https://player.example.com"
path="/media/hls/index.m3u8"
data="$tmp/root"
mkdir -p "$data/media/hls"
printf '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nseg0.ts\n#EXT-X-ENDLIST\n' \
  >"$data/media/hls/index.m3u8"
chmod 755 "$tmp" "$data" "$data/media" "$data/media/hls"

# The bucket's CORS rules and nginx's constant answers come from bench/lib/common.sh
# (cors_rules_json, nginx_cors_http, nginx_cors_location), shared with per_cpu.sh.
cors_rules_json "$origin" >"$tmp/cors-media.json"
cat >"$tmp/s3cors.json" <<'EOF'
{"root": "root", "buckets": {"media": {"cors": "cors-media.json"}}, "cors_debug_header": false}
EOF

# ---------------------------------------------------------------------------
# nginx: the same answer from a static config (one origin comparison via a map).
nginx_port=$(free_port)
nginx_conf "$tmp/nginx" "$nginx_port" "$data" auto "$(nginx_cors_http "$origin")" \
  "$(nginx_cors_location /media/ "$origin")"
start_nginx "$tmp/nginx"

# ---------------------------------------------------------------------------
# s3cors
start_s3cors s3cors "$bin" --root "$data" --config "$tmp/s3cors.json"
s3cors_pid=$started_pid
s3cors_port=${started_base##*:}

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
# wrk script: the preflight request, exact totals printed from done() (wrk_lua).
wrk_lua "$tmp/preflight.lua" <<EOF
wrk.method = "OPTIONS"
wrk.headers["Origin"] = "$origin"
wrk.headers["Access-Control-Request-Method"] = "GET"
wrk.headers["Access-Control-Request-Headers"] = "Range"
EOF

# run_wrk URL -> prints "req/s p50_ms p99_ms errors"
run_wrk() {
  local parsed rps p50 p99 errors
  parsed=$(wrk_run "$1" "$tmp/preflight.lua" "$seconds" "$connections" "$wrk_threads") ||
    die "wrk failed for $1"
  read -r rps _ p50 p99 errors _ <<<"$parsed"
  echo "$rps $p50 $p99 $errors"
}

echo "== preflight: ${seconds}s per server, wrk -t$wrk_threads -c$connections, $(nproc) CPUs" \
  "(wrk and the server share them)"
echo "== OPTIONS $path  Origin: $origin  Access-Control-Request-Method: GET  Access-Control-Request-Headers: Range"
echo "== s3cors: $s3cors_base ($bin)  nginx: $nginx_base ($(nginx_version))"

echo "-- s3cors" >&2
measured=$(run_wrk "$s3cors_base$path") || exit 1
read -r s_rps s_p50 s_p99 s_err <<<"$measured"
alive "$s3cors_pid" || die "s3cors died during the measurement"
echo "-- nginx" >&2
measured=$(run_wrk "$nginx_base$path") || exit 1
read -r n_rps n_p50 n_p99 n_err <<<"$measured"
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
