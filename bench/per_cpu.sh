#!/usr/bin/env bash
# Per-CPU benchmark: small and media requests of s3cors vs. nginx serving the same files,
# per second and per second of the server's CPU time.
#
# This is a benchmark, not a test: it never fails on slow numbers, it only fails when a server
# cannot be started or does not answer correctly.
#
# Usage: bench/per_cpu.sh [PATH_TO_S3CORS]
#   PATH_TO_S3CORS        default build/release/server/s3cors (built with the release preset
#                         when missing or older than the sources)
# Environment:
#   BENCH_SECONDS         wrk duration per row and server (default 10)
#   BENCH_CONNECTIONS     wrk connections (default 64)
#   BENCH_THREADS         wrk threads (default 2)
#   BENCH_SEGMENT_SIZE    size of the media segment row (default 2M; K/M/G are binary units)
#   BENCH_SERVER_THREADS  s3cors --threads (default 1)
#   BENCH_NGINX_WORKERS   nginx worker_processes (default 1)
#   BENCH_ROWS            the rows to run, by key (default "origin preflight range 404 segment 16m")
#   BENCH_NO_BUILD=1      never (re)build the default binary
#
# Both servers serve the same tree (bucket/location /media/) on 127.0.0.1 and get the same
# requests from wrk (keep-alive):
#   origin     1 KiB GET with an Origin the bucket's CORS rules allow (s3cors evaluates the
#              rules; nginx adds the same Access-Control-* and Vary headers from constants)
#   preflight  OPTIONS with Origin, Access-Control-Request-Method: GET and
#              Access-Control-Request-Headers: Range (the setup of bench/preflight.sh)
#   range      64 KiB Range GET from the middle of a 16 MiB object
#   404        GET of a missing key (nginx: log_not_found off, so neither writes a log line)
#   segment    GET of a BENCH_SEGMENT_SIZE object (an HLS/DASH segment)
#   16m        GET of the 16 MiB object
# CPU time is read from /proc/PID/stat (utime + stime, all threads) before and after each
# wrk run: for s3cors its one process, for nginx the master and its workers (the worker does
# the work). "per CPU-s" = requests / server CPU seconds = req/s / CPU cores busy; "CPU" is
# the share of one core the server used. wrk runs on the same machine: with few cores the
# raw req/s is bounded by wrk too, the per-CPU-second figure much less so.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/common.sh
source "$repo_root/bench/lib/common.sh"
bench_name=per_cpu
bin=${1:-$bench_default_bin}
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-64}
wrk_threads=${BENCH_THREADS:-2}
segment_size=$(size_bytes "${BENCH_SEGMENT_SIZE:-2M}")
server_threads=${BENCH_SERVER_THREADS:-1}
nginx_workers=${BENCH_NGINX_WORKERS:-1}
row_keys=${BENCH_ROWS:-origin preflight range 404 segment 16m}

require_positive BENCH_SECONDS "$seconds"
require_tools wrk curl nginx python3 numfmt
ensure_s3cors "$bin"

bench_setup per_cpu
tmp=$bench_tmp
origin="https://player.example.com"
range_first=$((8 << 20))
range_last=$((range_first + (64 << 10) - 1))

# ---------------------------------------------------------------------------
# Data and configuration.
data="$tmp/root"
mkdir -p "$data/media"
head -c 1024 /dev/urandom >"$data/media/1k.bin"
head -c "$segment_size" /dev/urandom >"$data/media/segment.bin"
head -c $((16 << 20)) /dev/urandom >"$data/media/16m.bin"
chmod 755 "$tmp" "$data" "$data/media"
chmod 644 "$data"/media/*.bin

cors_rules_json "$origin" >"$tmp/cors-media.json"
cat >"$tmp/s3cors.json" <<'EOF'
{"buckets": {"media": {"cors": "cors-media.json"}}, "cors_debug_header": false}
EOF

nginx_port=$(free_port)
nginx_conf "$tmp/nginx" "$nginx_port" "$data" "$nginx_workers" "$(nginx_cors_http "$origin")" \
  "$(nginx_cors_location /media/ "$origin")"
start_nginx "$tmp/nginx"
nginx_pid=$started_pid
nginx_base="http://127.0.0.1:$nginx_port"

start_s3cors s3cors "$bin" --root "$data" --config "$tmp/s3cors.json" --threads "$server_threads"
s3cors_pid=$started_pid
s3cors_base=$started_base

# ---------------------------------------------------------------------------
# Rows: key|label|path|lua prelude|curl args|status|size
declare -A row_def=(
  [origin]="1KiB GET+Origin|/media/1k.bin|wrk.headers[\"Origin\"] = \"$origin\"|-H Origin:$origin|200|1024"
  [preflight]="preflight|/media/1k.bin|wrk.method = \"OPTIONS\"; wrk.headers[\"Origin\"] = \"$origin\"; wrk.headers[\"Access-Control-Request-Method\"] = \"GET\"; wrk.headers[\"Access-Control-Request-Headers\"] = \"Range\"|-X OPTIONS -H Origin:$origin -H Access-Control-Request-Method:GET -H Access-Control-Request-Headers:Range|200|0"
  [range]="64KiB Range GET|/media/16m.bin|wrk.headers[\"Range\"] = \"bytes=$range_first-$range_last\"|-H Range:bytes=$range_first-$range_last|206|65536"
  [404]="404|/media/missing.bin||-|404|-"
  [segment]="$(bytes_human "$segment_size") GET|/media/segment.bin||-|200|$segment_size"
  [16m]="16MiB GET|/media/16m.bin||-|200|16777216"
)
for key in $row_keys; do
  [[ -n ${row_def[$key]:-} ]] || die "BENCH_ROWS: unknown row '$key' (known: ${!row_def[*]})"
done

# Correctness gate: both servers give the expected status and size (and bytes for the range),
# and the same CORS headers for the two CORS rows.
wait_http "$nginx_base/media/1k.bin" || die "nginx does not answer at $nginx_base"
wait_http "$s3cors_base/media/1k.bin" || die "s3cors does not answer at $s3cors_base"
for key in $row_keys; do
  IFS='|' read -r label path _ curl_args want_status want_size <<<"${row_def[$key]}"
  args=()
  # shellcheck disable=SC2206 # the row's curl arguments are space-separated on purpose
  [[ $curl_args != - ]] && args=($curl_args)
  for server in s3cors nginx; do
    if [[ $server == s3cors ]]; then b=$s3cors_base; else b=$nginx_base; fi
    out=$(curl -s -o "$tmp/$server.body" -D "$tmp/$server.headers" -w '%{http_code} %{size_download}' \
      --max-time 30 "${args[@]}" "$b$path")
    read -r status size <<<"$out"
    [[ $status == "$want_status" ]] || die "$server $label: HTTP $status, want $want_status"
    [[ $want_size == - || $size == "$want_size" ]] || die "$server $label: $size bytes, want $want_size"
    if [[ $key == range ]]; then
      cmp -s "$tmp/$server.body" <(tail -c +$((range_first + 1)) "$data/media/16m.bin" | head -c 65536) ||
        die "$server $label returned the wrong bytes"
    fi
  done
  if [[ $key == origin || $key == preflight ]]; then
    diff <(cors_headers "$tmp/s3cors.headers") <(cors_headers "$tmp/nginx.headers") >"$tmp/diff" ||
      die "$label: s3cors and nginx CORS headers differ (< s3cors, > nginx): $(cat "$tmp/diff")"
    grep -qi '^access-control-allow-origin:' "$tmp/s3cors.headers" || die "$label: no CORS headers"
  fi
done

# measure PID URL LUA EXPECT_404 -> "req/s cpu_s cpu_share req_per_cpu_s unexpected_errors"
measure() {
  local pid=$1 url=$2 lua=$3 expect_404=$4 c0 c1 parsed rps reqs status_err sock_err
  c0=$(cpu_seconds "$pid")
  parsed=$(wrk_run "$url" "$lua" "$seconds" "$connections" "$wrk_threads") || return 1
  c1=$(cpu_seconds "$pid")
  read -r rps _ _ _ _ reqs status_err sock_err _ <<<"$parsed"
  python3 - "$rps" "$reqs" "$status_err" "$sock_err" "$c0" "$c1" "$expect_404" <<'EOF'
import sys
rps, reqs, status_err, sock_err, c0, c1 = (float(x) for x in sys.argv[1:7])
expect_404 = sys.argv[7] == "1"
cpu = c1 - c0
secs = reqs / rps if rps else 0
unexpected = sock_err + ((reqs - status_err) if expect_404 else status_err)
per_cpu = f"{reqs / cpu:.0f}" if cpu > 0 else "-"
share = f"{cpu / secs * 100:.0f}%" if secs else "-"
print(f"{rps:.0f} {cpu:.2f} {share} {per_cpu} {int(unexpected)}")
EOF
}

echo "== per_cpu: ${seconds}s per run, wrk -t$wrk_threads -c$connections, $(nproc) CPUs" \
  "(wrk and the server share them)"
echo "== s3cors: $s3cors_base (--threads $server_threads)  nginx: $nginx_base ($(nginx_version)," \
  "worker_processes $nginx_workers)"

results=()
errors_note=""
for key in $row_keys; do
  IFS='|' read -r label path prelude _ _ _ <<<"${row_def[$key]}"
  printf '%s\n' "$prelude" | wrk_lua "$tmp/$key.lua"
  expect_404=0
  [[ $key == 404 ]] && expect_404=1
  echo "-- $label: s3cors" >&2
  s=$(measure "$s3cors_pid" "$s3cors_base$path" "$tmp/$key.lua" "$expect_404") ||
    die "wrk failed against s3cors for '$label'"
  alive "$s3cors_pid" || die "s3cors died during the '$label' run"
  echo "-- $label: nginx" >&2
  n=$(measure "$nginx_pid" "$nginx_base$path" "$tmp/$key.lua" "$expect_404") ||
    die "wrk failed against nginx for '$label'"
  read -r s_rps _ s_share s_per s_err <<<"$s"
  read -r n_rps _ n_share n_per n_err <<<"$n"
  [[ $s_err -eq 0 ]] || errors_note+="  s3cors $label: $s_err unexpected errors/statuses"$'\n'
  [[ $n_err -eq 0 ]] || errors_note+="  nginx $label: $n_err unexpected errors/statuses"$'\n'
  results+=("$label|$s_rps|$s_share|$s_per|$n_rps|$n_share|$n_per|$(ratio "$s_rps" "$n_rps")|$(ratio "$s_per" "$n_per")")
done

echo
fmt='%-16s %11s %6s %12s %11s %6s %12s %9s %10s\n'
# shellcheck disable=SC2059
printf "$fmt" "" "s3cors" "" "" "nginx" "" "" "ratio" "ratio"
# shellcheck disable=SC2059
printf "$fmt" "row" "req/s" "CPU" "per CPU-s" "req/s" "CPU" "per CPU-s" "req/s" "per CPU-s"
line=""
for r in "${results[@]}"; do
  IFS='|' read -r label s_rps s_share s_per n_rps n_share n_per r_raw r_cpu <<<"$r"
  # shellcheck disable=SC2059
  printf "$fmt" "$label" "$s_rps" "$s_share" "$s_per" "$n_rps" "$n_share" "$n_per" "$r_raw" "$r_cpu"
  line+="  $label: $r_cpu"
done
echo "(CPU = the server's CPU time / wall time, in % of one core; per CPU-s = requests per second of"
echo " server CPU time; ratio = s3cors / nginx)"
echo
echo "s3cors/nginx requests per server CPU-second:$line"
if [[ -n $errors_note ]]; then
  echo
  echo "WARNING: socket errors or unexpected statuses during measurement:"
  printf '%s' "$errors_note"
fi
