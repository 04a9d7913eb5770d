#!/usr/bin/env bash
# Inspector benchmark: what an open inspector page costs the server (docs/inspector.md). One
# run, one s3cors, the same requests with no page and with a page (an event-stream client
# connected to /_s3cors/inspector/events, reading every record):
#   paced  ~BENCH_RATE requests/s (wrk with a per-request delay: wrk has no fixed-rate mode, so
#          the rate reached is printed): server CPU-seconds per request, and their ratio
#   flat   as fast as wrk goes: throughput, and CPU-seconds per request
# The requests are GETs of a ~1 KiB playlist with an Origin the bucket allows (each record
# carries the CORS decision and both header sets).
#
# This is a benchmark, not a test: it fails only when the server cannot be started, does not
# answer correctly, or the page receives no records.
#
# Usage: bench/inspector.sh [PATH_TO_S3CORS]
#   PATH_TO_S3CORS        default build/release/server/s3cors (built with the release preset
#                         when missing or older than the sources)
# Environment:
#   BENCH_SECONDS         wrk duration per row (default 10)
#   BENCH_RATE            the paced rows' target rate (default 10000)
#   BENCH_CONNECTIONS     wrk connections (default 100)
#   BENCH_THREADS         wrk threads (default 2)
#   BENCH_SERVER_THREADS  s3cors --threads (default 1)
#   BENCH_NO_BUILD=1      never (re)build the default binary
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/common.sh
source "$repo_root/bench/lib/common.sh"
bench_name=inspector
bin=${1:-$bench_default_bin}
seconds=${BENCH_SECONDS:-10}
rate=${BENCH_RATE:-10000}
connections=${BENCH_CONNECTIONS:-100}
wrk_threads=${BENCH_THREADS:-2}
server_threads=${BENCH_SERVER_THREADS:-1}

require_positive BENCH_SECONDS "$seconds"
require_positive BENCH_RATE "$rate"
require_tools wrk curl python3
ensure_s3cors "$bin"

bench_setup inspector
tmp=$bench_tmp
origin="https://player.example.com"
data="$tmp/root"
mkdir -p "$data/media/hls"
{
  printf '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n'
  for ((i = 0; i < 30; i++)); do printf '#EXTINF:4.000000,\nsegment%03d.ts\n' "$i"; done
  printf '#EXT-X-ENDLIST\n'
} >"$data/media/hls/index.m3u8"
cors_rules_json "$origin" >"$tmp/cors-media.json"
echo '{"buckets": {"media": {"cors": "cors-media.json"}}}' >"$tmp/s3cors.json"

start_s3cors s3cors "$bin" --root "$data" --config "$tmp/s3cors.json" --threads "$server_threads"
s3cors_pid=$started_pid
base=$started_base
url="$base/media/hls/index.m3u8"
wait_http "$url" || die "s3cors does not answer at $url"
headers=$(curl -s -D - -o /dev/null -H "Origin: $origin" "$url")
grep -qi "^access-control-allow-origin: $origin" <<<"$headers" || die "no Access-Control-Allow-Origin: $headers"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/_s3cors/inspector")
[[ $code == 200 ]] || die "the inspector page answers $code (it is on by default on loopback)"

# A paced connection waits delay ms between its requests: connections * 1000 / (delay + latency)
# requests per second (a little under the target; the rate reached is what is reported).
delay_ms=$(python3 -c "print(max(0, round($connections * 1000 / $rate, 2)))")
printf 'wrk.headers["Origin"] = "%s"\n' "$origin" | wrk_lua "$tmp/flat.lua"
printf 'wrk.headers["Origin"] = "%s"\ndelay = function() return %s end\n' "$origin" "$delay_ms" |
  wrk_lua "$tmp/paced.lua"

# measure LUA -> "req/s requests cpu_s cpu_us_per_request errors"
measure() {
  local lua=$1 c0 c1 parsed rps reqs status_err sock_err
  c0=$(cpu_seconds "$s3cors_pid")
  parsed=$(wrk_run "$url" "$lua" "$seconds" "$connections" "$wrk_threads") || return 1
  c1=$(cpu_seconds "$s3cors_pid")
  read -r rps _ _ _ _ reqs status_err sock_err _ <<<"$parsed"
  python3 - "$rps" "$reqs" "$status_err" "$sock_err" "$c0" "$c1" <<'PY'
import sys
rps, reqs, status_err, sock_err, c0, c1 = (float(x) for x in sys.argv[1:7])
cpu = c1 - c0
print(f"{rps:.0f} {int(reqs)} {cpu:.2f} {cpu / reqs * 1e6 if reqs else 0:.2f} {int(status_err + sock_err)}")
PY
}

sse_pid=""
open_page() {
  curl -sN --max-time $((4 * seconds + 120)) "$base/_s3cors/inspector/events" >"$tmp/events.txt" 2>/dev/null &
  sse_pid=$!
  track_pid "$sse_pid"
  for ((i = 0; i < 50; i++)); do
    grep -q '^: s3cors inspector' "$tmp/events.txt" 2>/dev/null && return 0
    sleep 0.1
  done
  die "the event stream did not start"
}
close_page() { stop_tracked "$sse_pid"; }

echo "== inspector: ${seconds}s per row, wrk -t$wrk_threads -c$connections, $(nproc) CPUs" \
  "(wrk, the page client and the server share them)"
echo "== s3cors: $base (--threads $server_threads); paced rows target $rate req/s (delay ${delay_ms} ms)"

declare -A result
for row in paced flat; do
  echo "-- $row: no page" >&2
  result[$row.none]=$(measure "$tmp/$row.lua") || die "wrk failed ($row, no page)"
  open_page
  echo "-- $row: page open" >&2
  result[$row.page]=$(measure "$tmp/$row.lua") || die "wrk failed ($row, page open)"
  sleep 1  # the last records reach the page
  close_page
  delivered=$(grep -c '^event: request' "$tmp/events.txt" || true)
  dropped=$(grep -A1 '^event: dropped' "$tmp/events.txt" | grep -oE '[0-9]+' | tail -n 1 || true)
  result[$row.delivered]="$delivered ${dropped:-0}"
  [[ $delivered -gt 0 ]] || die "the page received no records ($row)"
  alive "$s3cors_pid" || die "s3cors died during the $row rows"
done

echo
fmt='%-7s %-10s %9s %10s %8s %12s %9s %12s\n'
# shellcheck disable=SC2059
printf "$fmt" "row" "page" "req/s" "requests" "CPU-s" "CPU µs/req" "errors" "to the page"
summary=""
for row in paced flat; do
  read -r n_rps n_reqs n_cpu n_us n_err <<<"${result[$row.none]}"
  read -r p_rps p_reqs p_cpu p_us p_err <<<"${result[$row.page]}"
  read -r delivered dropped <<<"${result[$row.delivered]}"
  # shellcheck disable=SC2059
  printf "$fmt" "$row" "none" "$n_rps" "$n_reqs" "$n_cpu" "$n_us" "$n_err" "-"
  # shellcheck disable=SC2059
  printf "$fmt" "" "open" "$p_rps" "$p_reqs" "$p_cpu" "$p_us" "$p_err" "$delivered (-$dropped)"
  summary+="  $row: CPU per request x$(ratio "$p_us" "$n_us"), req/s x$(ratio "$p_rps" "$n_rps");"
done
echo "(CPU µs/req = server CPU time per request; 'to the page' = records the page received, and"
echo " those it missed for reading too slowly; opening a page replays up to 500 earlier records)"
echo
echo "page open / no page:${summary%;}"
