#!/usr/bin/env bash
# Edge benchmark: cache hits through a distribution (Edge mode) vs. nginx serving the same
# objects from disk, per second and per second of the server's CPU time.
#
# This is a benchmark, not a test: it never fails on slow numbers, it only fails when a server
# cannot be started or does not answer correctly (including a distribution that does not answer
# from its cache).
#
# Usage: bench/edge.sh [PATH_TO_S3CORS]
#   PATH_TO_S3CORS        default build/release/server/s3cors (built with the release preset
#                         when missing or older than the sources)
# Environment:
#   BENCH_SECONDS         wrk duration per row and server (default 10)
#   BENCH_CONNECTIONS     wrk connections (default 64)
#   BENCH_THREADS         wrk threads (default 2)
#   BENCH_SEGMENT_SIZE    size of the media segment row (default 2M; K/M/G are binary units)
#   BENCH_SERVER_THREADS  s3cors --threads (default 1)
#   BENCH_NGINX_WORKERS   nginx worker_processes (default 1)
#   BENCH_ROWS            the rows to run, by key (default "playlist playlist-origin segment")
#   BENCH_NO_BUILD=1      never (re)build the default binary
#
# s3cors serves bucket "media" through distribution "cdn" (CachingOptimized, CORS-S3Origin) on
# its own listener; every request is a cache hit (each object is fetched once before the runs,
# and the script checks `X-Cache: Hit from cloudfront`). nginx serves the same tree (location
# /media/) from disk with sendfile. wrk (keep-alive) sends the same requests to both:
#   playlist         GET of a ~1 KiB HLS media playlist (index.m3u8), no Origin
#   playlist-origin  the same with an Origin the bucket allows: s3cors's hit is the entry the
#                    origin's CORS answer populated (CachingOptimized has no Origin in its key,
#                    so the first request decides; here it is a CORS one); nginx adds the same
#                    Access-Control-* headers from constants
#   segment          GET of a BENCH_SEGMENT_SIZE object (an HLS segment)
# CPU time is read from /proc/PID/stat (utime + stime, all threads) before and after each wrk
# run (bench/per_cpu.sh explains the columns). A hit costs s3cors no disk access: the body is
# copied from memory into the send buffer, where nginx uses sendfile from the page cache.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/common.sh
source "$repo_root/bench/lib/common.sh"
bench_name=edge
bin=${1:-$bench_default_bin}
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-64}
wrk_threads=${BENCH_THREADS:-2}
segment_size=$(size_bytes "${BENCH_SEGMENT_SIZE:-2M}")
server_threads=${BENCH_SERVER_THREADS:-1}
nginx_workers=${BENCH_NGINX_WORKERS:-1}
row_keys=${BENCH_ROWS:-playlist playlist-origin segment}

require_positive BENCH_SECONDS "$seconds"
require_tools wrk curl nginx python3 numfmt
ensure_s3cors "$bin"

bench_setup edge
tmp=$bench_tmp
origin="https://player.example.com"

# ---------------------------------------------------------------------------
# Data and configuration.
data="$tmp/root"
mkdir -p "$data/media/hls"
{
  printf '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n'
  for ((i = 0; i < 30; i++)); do printf '#EXTINF:4.000000,\nsegment%03d.ts\n' "$i"; done
  printf '#EXT-X-ENDLIST\n'
} >"$data/media/hls/index.m3u8"
playlist_size=$(stat -c %s "$data/media/hls/index.m3u8")
head -c "$segment_size" /dev/urandom >"$data/media/hls/segment000.ts"
chmod 755 "$tmp" "$data" "$data/media" "$data/media/hls"
chmod 644 "$data"/media/hls/*

cors_rules_json "$origin" >"$tmp/cors-media.json"
edge_port=$(free_port)
cat >"$tmp/s3cors.json" <<EOF
{"buckets": {"media": {"cors": "cors-media.json"}}, "cors_debug_header": false,
 "distributions": {"cdn": {"listen": "127.0.0.1:$edge_port", "origin": {"bucket": "media"},
   "default_behavior": {"cache_policy": "CachingOptimized", "origin_request_policy": "CORS-S3Origin"}}}}
EOF

nginx_port=$(free_port)
nginx_conf "$tmp/nginx" "$nginx_port" "$data" "$nginx_workers" "$(nginx_cors_http "$origin")" \
  "$(nginx_cors_location /media/ "$origin")"
start_nginx "$tmp/nginx"
nginx_pid=$started_pid
nginx_base="http://127.0.0.1:$nginx_port"

start_s3cors s3cors "$bin" --root "$data" --config "$tmp/s3cors.json" --threads "$server_threads"
s3cors_pid=$started_pid
edge_base="http://127.0.0.1:$edge_port"
for ((i = 0; i < 100; i++)); do
  grep -q "^distribution cdn listening on $edge_base\$" "$bench_tmp/s3cors.out" && break
  sleep 0.1
done
grep -q "^distribution cdn listening on $edge_base\$" "$bench_tmp/s3cors.out" ||
  die "s3cors did not print 'distribution cdn listening on $edge_base'"

# ---------------------------------------------------------------------------
# Rows: key|label|s3cors path|nginx path|lua prelude|curl args|size
declare -A row_def=(
  [playlist]="playlist $(bytes_human "$playlist_size")|/hls/index.m3u8|/media/hls/index.m3u8||-|$playlist_size"
  [playlist-origin]="playlist+Origin|/hls/index.m3u8|/media/hls/index.m3u8|wrk.headers[\"Origin\"] = \"$origin\"|-H Origin:$origin|$playlist_size"
  [segment]="segment $(bytes_human "$segment_size")|/hls/segment000.ts|/media/hls/segment000.ts||-|$segment_size"
)
for key in $row_keys; do
  [[ -n ${row_def[$key]:-} ]] || die "BENCH_ROWS: unknown row '$key' (known: ${!row_def[*]})"
done

# Warm the cache: the first request of each object is a CORS one (the entry then carries the
# bucket's Access-Control-* headers, which CachingOptimized serves to everyone).
wait_http "$nginx_base/media/hls/index.m3u8" || die "nginx does not answer at $nginx_base"
wait_http "$edge_base/_s3cors/distributions/cdn/stats" || die "the distribution does not answer at $edge_base"
for key in $row_keys; do
  IFS='|' read -r _ path _ _ _ _ <<<"${row_def[$key]}"
  curl -s -o /dev/null --max-time 30 -H "Origin: $origin" "$edge_base$path" || die "warming $path failed"
done

# Correctness gate: status 200 and the size from both, a Hit from the distribution, the same
# bytes, and the CORS headers on the Origin row.
for key in $row_keys; do
  IFS='|' read -r label s_path n_path _ curl_args want_size <<<"${row_def[$key]}"
  args=()
  # shellcheck disable=SC2206 # the row's curl arguments are space-separated on purpose
  [[ $curl_args != - ]] && args=($curl_args)
  for server in s3cors nginx; do
    if [[ $server == s3cors ]]; then u=$edge_base$s_path; else u=$nginx_base$n_path; fi
    out=$(curl -s -o "$tmp/$server.body" -D "$tmp/$server.headers" -w '%{http_code} %{size_download}' \
      --max-time 30 "${args[@]}" "$u")
    read -r status size <<<"$out"
    [[ $status == 200 ]] || die "$server $label: HTTP $status, want 200"
    [[ $size == "$want_size" ]] || die "$server $label: $size bytes, want $want_size"
    cmp -s "$tmp/$server.body" "$data$n_path" || die "$server $label returned the wrong bytes"
  done
  grep -qi '^x-cache: Hit from cloudfront' "$tmp/s3cors.headers" ||
    die "$label: the distribution did not answer from its cache: $(tr -d '\r' <"$tmp/s3cors.headers")"
  if [[ $key == playlist-origin ]]; then
    grep -qi "^access-control-allow-origin: $origin" "$tmp/s3cors.headers" || die "$label: no ACAO from s3cors"
    grep -qi "^access-control-allow-origin: $origin" "$tmp/nginx.headers" || die "$label: no ACAO from nginx"
  fi
done
stats_before=$(curl -s "$edge_base/_s3cors/distributions/cdn/stats")

# measure PID URL LUA -> "req/s cpu_s cpu_share req_per_cpu_s unexpected_errors"
measure() {
  local pid=$1 url=$2 lua=$3 c0 c1 parsed rps reqs status_err sock_err
  c0=$(cpu_seconds "$pid")
  parsed=$(wrk_run "$url" "$lua" "$seconds" "$connections" "$wrk_threads") || return 1
  c1=$(cpu_seconds "$pid")
  read -r rps _ _ _ _ reqs status_err sock_err _ <<<"$parsed"
  python3 - "$rps" "$reqs" "$status_err" "$sock_err" "$c0" "$c1" <<'EOF'
import sys
rps, reqs, status_err, sock_err, c0, c1 = (float(x) for x in sys.argv[1:7])
cpu = c1 - c0
secs = reqs / rps if rps else 0
per_cpu = f"{reqs / cpu:.0f}" if cpu > 0 else "-"
share = f"{cpu / secs * 100:.0f}%" if secs else "-"
print(f"{rps:.0f} {cpu:.2f} {share} {per_cpu} {int(sock_err + status_err)}")
EOF
}

echo "== edge: ${seconds}s per run, wrk -t$wrk_threads -c$connections, $(nproc) CPUs" \
  "(wrk and the server share them)"
echo "== s3cors distribution: $edge_base (--threads $server_threads, CachingOptimized, every request a Hit)"
echo "== nginx: $nginx_base ($(nginx_version), worker_processes $nginx_workers, sendfile)"

results=()
errors_note=""
for key in $row_keys; do
  IFS='|' read -r label s_path n_path prelude _ _ <<<"${row_def[$key]}"
  printf '%s\n' "$prelude" | wrk_lua "$tmp/$key.lua"
  echo "-- $label: s3cors edge" >&2
  s=$(measure "$s3cors_pid" "$edge_base$s_path" "$tmp/$key.lua") || die "wrk failed against s3cors for '$label'"
  alive "$s3cors_pid" || die "s3cors died during the '$label' run"
  echo "-- $label: nginx" >&2
  n=$(measure "$nginx_pid" "$nginx_base$n_path" "$tmp/$key.lua") || die "wrk failed against nginx for '$label'"
  read -r s_rps _ s_share s_per s_err <<<"$s"
  read -r n_rps _ n_share n_per n_err <<<"$n"
  [[ $s_err -eq 0 ]] || errors_note+="  s3cors $label: $s_err errors/statuses >= 400"$'\n'
  [[ $n_err -eq 0 ]] || errors_note+="  nginx $label: $n_err errors/statuses >= 400"$'\n'
  results+=("$label|$s_rps|$s_share|$s_per|$n_rps|$n_share|$n_per|$(ratio "$s_rps" "$n_rps")|$(ratio "$s_per" "$n_per")")
done

# Every measured request must have been a hit: the misses did not move.
stats_after=$(curl -s "$edge_base/_s3cors/distributions/cdn/stats")
misses() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])["misses"])' "$1"; }
[[ $(misses "$stats_before") == "$(misses "$stats_after")" ]] ||
  errors_note+="  s3cors: misses during the runs (before: $stats_before, after: $stats_after)"$'\n'

echo
fmt='%-18s %11s %6s %12s %11s %6s %12s %9s %10s\n'
# shellcheck disable=SC2059
printf "$fmt" "" "s3cors edge" "" "" "nginx" "" "" "ratio" "ratio"
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
echo " server CPU time; ratio = s3cors / nginx; target >= 1.0 per CPU-s)"
echo
echo "s3cors edge hits/nginx requests per server CPU-second:$line"
if [[ -n $errors_note ]]; then
  echo
  echo "WARNING: socket errors, unexpected statuses or misses during measurement:"
  printf '%s' "$errors_note"
fi
