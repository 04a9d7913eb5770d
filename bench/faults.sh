#!/usr/bin/env bash
# Throttling benchmark for media faults (docs/faults.md §4, issue #17 point 4): how close a
# "throughput" rule's measured rate is to its cap, and what thousands of throttled connections
# cost the server in CPU compared with unthrottled connections at the same total rate.
#
# Not a ctest test. It fails (exit 1) when a measured rate misses its cap by more than 5%, or
# when the server cannot be started or refuses a rule; the CPU figures are reported, not judged.
#
# Usage: bench/faults.sh [PATH_TO_S3CORS]
#   PATH_TO_S3CORS        default build/release/server/s3cors (built with the release preset
#                         when missing or older than the sources)
# Environment:
#   BENCH_SECONDS         body length of each accuracy row, in seconds at its cap (default 5)
#   BENCH_CAPS            the caps, bytes/s (default "64000 1000000 10000000 100000000":
#                         64 kB/s, 1 MB/s, 10 MB/s, 100 MB/s)
#   BENCH_CONNECTIONS     connections of each CPU row (default 1000)
#   BENCH_RATE            bytes/s per connection in the CPU rows (default 10000)
#   BENCH_CPU_SECONDS     duration of each CPU row (default 10)
#   BENCH_RCVBUF          the CPU client's SO_RCVBUF (default 16384)
#   BENCH_SERVER_THREADS  s3cors --threads (default 1)
#   BENCH_NO_BUILD=1      never (re)build the default binary
#
# Accuracy: bucket "bench" holds one object per cap of BENCH_SECONDS x cap bytes (sparse files),
# each selected by its own rule ({"match": {"key": ...}, "action": {"throughput": cap}}) added
# through the /_s3cors/faults API. curl fetches it once (after a HEAD); the measured rate is the
# body size over the time from the first byte to the last (curl's time_total -
# time_starttransfer). The throttle's only burst is its first quantum (20 ms of the cap), which
# arrives with the head.
# CPU cost: BENCH_CONNECTIONS concurrent GETs (bench/lib/slow_readers.py, one thread, epoll,
# SO_RCVBUF BENCH_RCVBUF) for BENCH_CPU_SECONDS:
#   throttled   of an object capped at BENCH_RATE by a rule; the client reads freely
#   paced       of an object without a rule; the client reads each connection at BENCH_RATE, so
#               TCP's window paces the server (as a slow network would) at the same total rate
# Both objects are larger than a connection receives in the run. Server CPU time (utime + stime,
# all threads, /proc/PID/stat) is read before and after each row; the table gives CPU seconds per
# MB received and the ratio throttled / paced.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/common.sh
source "$repo_root/bench/lib/common.sh"
bench_name=faults
bin=${1:-$bench_default_bin}
seconds=${BENCH_SECONDS:-5}
caps=${BENCH_CAPS:-64000 1000000 10000000 100000000}
connections=${BENCH_CONNECTIONS:-1000}
rate=${BENCH_RATE:-10000}
cpu_seconds_run=${BENCH_CPU_SECONDS:-10}
rcvbuf=${BENCH_RCVBUF:-16384}
server_threads=${BENCH_SERVER_THREADS:-1}

for v in seconds connections rate cpu_seconds_run rcvbuf server_threads; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
for cap in $caps; do [[ $cap =~ ^[1-9][0-9]*$ ]] || die "BENCH_CAPS: not a rate in bytes/s: '$cap'"; done
require_tools curl python3 truncate
ensure_s3cors "$bin"
(($(ulimit -n) > connections + 64)) || die "the descriptor limit ($(ulimit -n)) is too low for $connections connections"

bench_setup faults
tmp=$bench_tmp
readers="$bench_lib_dir/slow_readers.py"

# ---------------------------------------------------------------------------
# Data: sparse objects (their bytes are zeros; nothing is written to disk).
data="$tmp/root"
mkdir -p "$data/bench/cpu"
for cap in $caps; do truncate -s $((cap * seconds)) "$data/bench/cap-$cap.bin"; done
cpu_object_size=$((rate * cpu_seconds_run * 2))
truncate -s "$cpu_object_size" "$data/bench/cpu/throttled.bin"
truncate -s "$cpu_object_size" "$data/bench/cpu/free.bin"

start_s3cors s3cors "$bin" --root "$data" --threads "$server_threads"
pid=$started_pid
base=$started_base
api="$base/_s3cors/faults"

add_rule() { # add_rule JSON: POST it, 201 or die
  local code
  code=$(curl -s --max-time 10 -o "$tmp/post.out" -w '%{http_code}' -H 'content-type: application/json' \
    --data-binary "$1" "$api") || die "POST $api failed"
  [[ $code == 201 ]] || die "POST $api $1: status $code: $(head -c 300 "$tmp/post.out")"
}
for cap in $caps; do
  add_rule "{\"name\": \"cap-$cap\", \"match\": {\"bucket\": \"bench\", \"key\": \"cap-$cap.bin\"}, \"action\": {\"throughput\": $cap}}"
done
add_rule "{\"name\": \"cpu-throttle\", \"match\": {\"bucket\": \"bench\", \"key\": \"cpu/throttled.bin\"}, \"action\": {\"throughput\": $rate}}"

echo "== s3cors $("$bin" --version 2>/dev/null | head -n 1), --threads $server_threads, $(nproc) CPUs, 127.0.0.1," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine delays the throttle's timers)"
echo

# ---------------------------------------------------------------------------
# Accuracy.
misses=0
printf '%-12s %12s %10s %14s %8s %s\n' "cap" "body" "seconds" "measured B/s" "error" "within 5%"
for cap in $caps; do
  url="$base/bench/cap-$cap.bin"
  curl -s --max-time 10 -o /dev/null -I "$url" || die "HEAD $url failed"
  out=$(curl -s --max-time $((seconds * 3 + 30)) -o /dev/null \
    -w '%{http_code} %{size_download} %{time_starttransfer} %{time_total}' "$url") || die "GET $url failed: $out"
  read -r code size t_first t_total <<<"$out"
  [[ $code == 200 ]] || die "GET $url: status $code"
  [[ $size == $((cap * seconds)) ]] || die "GET $url: $size bytes, not $((cap * seconds))"
  read -r measured err verdict <<<"$(python3 -c '
import sys
cap, size, t0, t1 = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
m = size / (t1 - t0) if t1 > t0 else float("inf")
e = (m - cap) / cap * 100
verdict = "yes" if abs(e) <= 5 else "MISS"
print(f"{m:.0f} {e:+.2f}% {verdict}")' "$cap" "$size" "$t_first" "$t_total")"
  [[ $verdict == yes ]] || misses=$((misses + 1))
  printf '%-12s %12s %10.3f %14s %8s %s\n' "$cap B/s" "$(bytes_human "$size")" \
    "$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t_first" "$t_total")" \
    "$measured" "$err" "$verdict"
done
echo

# ---------------------------------------------------------------------------
# CPU cost.
cpu_row() { # cpu_row LABEL KEY CLIENT_RATE -> one table row
  local label=$1 key=$2 client_rate=$3 c0 c1 result bytes secs conns finished errors
  c0=$(cpu_seconds "$pid")
  run_tracked "$tmp/readers.out" python3 "$readers" --url "$base/bench/$key" --connections "$connections" \
    --seconds "$cpu_seconds_run" --rate "$client_rate" --rcvbuf "$rcvbuf" || die "slow_readers.py failed ($label)"
  c1=$(cpu_seconds "$pid")
  result=$(grep -m1 '^RESULT ' "$tmp/readers.out") || die "slow_readers.py printed no RESULT ($label)"
  read -r _ bytes secs conns finished errors <<<"$result"
  [[ $errors == 0 && $finished == 0 ]] ||
    echo "warning: $label: $errors connection errors, $finished connections ended before the run did" >&2
  python3 - "$label" "$conns" "$bytes" "$secs" "$c0" "$c1" <<'EOF'
import sys
label, conns, nbytes, secs, c0, c1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
mb = nbytes / 1e6
cpu = c1 - c0
print(f"{label:<10} {conns:>11} {mb:>9.1f} {mb / secs:>8.2f} {cpu:>12.2f} {cpu / mb if mb else float('nan'):>12.4f}")
EOF
}
printf '%-10s %11s %9s %8s %12s %12s\n' "row" "connections" "MB" "MB/s" "server CPU s" "CPU s per MB"
throttled=$(cpu_row throttled cpu/throttled.bin 0)
echo "$throttled"
paced=$(cpu_row paced cpu/free.bin "$rate")
echo "$paced"
echo
echo "wanted: $(python3 -c "import sys; print(int(sys.argv[1]) * int(sys.argv[2]) / 1e6)" "$connections" "$rate") MB/s in each row"
echo "CPU per MB, throttled / paced: $(ratio "$(awk '{print $6}' <<<"$throttled")" "$(awk '{print $6}' <<<"$paced")")" \
  "($connections connections at $rate B/s each, ${cpu_seconds_run} s, client SO_RCVBUF $rcvbuf)"
curl -s --max-time 10 "$api" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["rules"]:
    print("rule %s: matches %s, fired %s" % (r["name"], r.get("matches"), r.get("fired")))' || true

if ((misses > 0)); then
  echo "$misses cap(s) missed by more than 5%" >&2
  exit 1
fi
