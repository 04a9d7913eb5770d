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
#   BENCH_NETNS=0         no rows over a veth pair
#   BENCH_NO_BUILD=1      never (re)build the default binary
#
# Accuracy: bucket "bench" holds one object per cap of BENCH_SECONDS x cap bytes (sparse files),
# each selected by its own rule ({"match": {"key": ...}, "action": {"throughput": cap}}) added
# through the /_s3cors/faults API. curl fetches it once (after a HEAD); the measured rate is the
# body size over the time from the first byte to the last (curl's time_total -
# time_starttransfer). The throttle's only burst is its first quantum (20 ms of the cap), which
# arrives with the head.
# CPU cost: BENCH_CONNECTIONS concurrent GETs (bench/lib/slow_readers.py, one thread, one recv
# per connection every 20 ms, SO_RCVBUF BENCH_RCVBUF) for BENCH_CPU_SECONDS:
#   throttled   of an object capped at BENCH_RATE by a rule; the client takes whatever has come
#   paced       of an object without a rule; the client takes BENCH_RATE per connection, so
#               TCP's window paces the server (as a slow network would) at the same total rate
# The client makes the same calls in both rows. Both objects are larger than a connection
# receives in the run. The server's CPU (all threads) and the client's are read at the same two
# instants (slow_readers.py): utime and stime (tick-sampled), and the run time from schedstat
# (exact), which the ratios use. The table gives CPU ms per MB received, server alone and server
# + client, and the ratios throttled / paced. Server alone flatters the paced row: on loopback
# the kernel runs a packet's transmission and receipt in the context of the process whose call
# set it going, and a paced body waits in the server's send buffer until the client's recv()
# opens the window, so its transmission (and the delivery) is charged to the client; a
# throttled quantum is sent into an open window and delivered within the server's sendfile().
# Server + client counts the TCP work wherever it ran (docs/faults.md §4).
# Then the same two rows with the client in another network namespace, over a veth pair: a user
# namespace of the script's own holds both (unshare -rn: no root where unprivileged user
# namespaces are allowed; the rows are left out, with the reason, where they are not), the
# server (a second one, its rule from a configuration file) in the first, the client in the
# second. BENCH_NETNS=0 leaves them out.
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

for v in seconds connections rate cpu_seconds_run rcvbuf server_threads; do require_positive "$v" "${!v}"; done
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
throttle_rule="{\"name\": \"cpu-throttle\", \"match\": {\"bucket\": \"bench\", \"key\": \"cpu/throttled.bin\"}, \"action\": {\"throughput\": $rate}}"
add_rule "$throttle_rule"

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
cpu_row() { # cpu_row LABEL URL CLIENT_RATE [WRAPPER...] -> one table row (its numbers in $tmp/LABEL.row)
  local label=$1 url=$2 client_rate=$3 result finished errors
  shift 3
  run_tracked "$tmp/readers.out" "$@" python3 "$readers" --url "$url" --connections "$connections" \
    --seconds "$cpu_seconds_run" --rate "$client_rate" --tick --rcvbuf "$rcvbuf" --server-pid "$row_server_pid" \
    ${row_private_net:+--private-net} || die "slow_readers.py failed ($label)"
  result=$(grep -m1 '^RESULT ' "$tmp/readers.out") || die "slow_readers.py printed no RESULT ($label)"
  read -r _ _ _ _ finished errors _ <<<"$result"
  [[ $errors == 0 && $finished == 0 ]] ||
    echo "warning: $label: $errors connection errors, $finished connections ended before the run did" >&2
  # shellcheck disable=SC2086 # the RESULT fields, one argument each
  python3 - "$label" "$tmp/$label.row" $result <<'EOF'
import sys
label, row = sys.argv[1], sys.argv[2]
nbytes, secs, conns = int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
su, ss, cu, cs, sr, cr = (float(x) for x in sys.argv[9:15])
mb = nbytes / 1e6
per = lambda x: x / mb * 1000 if mb else float("nan")  # ms per MB
open(row, "w").write(f"{sr} {cr} {su + ss} {mb}\n")
print(f"{label:<16} {conns:>5} {mb:>7.1f} {mb / secs:>6.2f} {su:>6.2f} {ss:>6.2f} {cu:>6.2f} {cs:>6.2f}"
      f" {per(sr):>9.3f} {per(cr):>9.3f} {per(sr + cr):>9.3f}")
EOF
}
cpu_ratio() { # cpu_ratio THROTTLED PACED (row labels) -> the ratios of their CPU per MB
  python3 - "$tmp/$1.row" "$tmp/$2.row" <<'EOF'
import sys
t, p = ([float(x) for x in open(f).read().split()] for f in sys.argv[1:3])
r = lambda a, b: f"{a / b:.2f}" if b > 0 else "-"
print(f"server + client {r((t[0] + t[1]) / t[3], (p[0] + p[1]) / p[3])},"
      f" server alone {r(t[0] / t[3], p[0] / p[3])} (run time; {r(t[2] / t[3], p[2] / p[3])} from utime + stime)")
EOF
}
cpu_header() {
  printf '%-16s %5s %7s %6s %6s %6s %6s %6s %9s %9s %9s\n' "row" "conns" "MB" "MB/s" "srv us" "srv sy" \
    "cli us" "cli sy" "srv ms/MB" "cli ms/MB" "sum ms/MB"
}
echo "CPU rows: $connections connections at $rate B/s each" \
  "($(python3 -c "import sys; print(int(sys.argv[1]) * int(sys.argv[2]) / 1e6)" "$connections" "$rate") MB/s wanted)," \
  "${cpu_seconds_run} s each, client SO_RCVBUF $rcvbuf."
echo "us/sy: utime/stime seconds (tick-sampled); ms/MB: run time (schedstat, exact) per MB received; sum: server + client."
cpu_header
row_server_pid=$pid
row_private_net=
cpu_row throttled "$base/bench/cpu/throttled.bin" 0
cpu_row paced "$base/bench/cpu/free.bin" "$rate"
echo "throttled / paced, CPU per MB: $(cpu_ratio throttled paced)"

# The same pair of rows with the client in another network namespace, over a veth pair: a
# user namespace of our own holds both network namespaces (unshare -rn: no root needed where
# unprivileged user namespaces are allowed). The server runs in the first, the client in the
# second; BENCH_NETNS=0 leaves these rows out.
netns_rows() {
  local holder_a holder_b ns_bin ns_cfg ns_pid ns_base out
  if ! command -v unshare >/dev/null || ! command -v nsenter >/dev/null || ! command -v ip >/dev/null; then
    echo "netns rows: left out (unshare, nsenter or ip missing)"
    return 0
  fi
  unshare -rn sleep infinity </dev/null >/dev/null 2>"$tmp/netns.err" &
  holder_a=$!
  track_pid "$holder_a"
  sleep 0.2
  alive "$holder_a" || { echo "netns rows: left out (unshare -rn failed: $(head -c 200 "$tmp/netns.err"))"; return 0; }
  # The second namespace is made from inside the first's user namespace, so that it owns both.
  out=$(nsenter -t "$holder_a" -U -n --preserve-credentials sh -c \
    'unshare -n sleep infinity </dev/null >/dev/null 2>&1 & echo $!' 2>"$tmp/netns.err") ||
    { echo "netns rows: left out (nsenter failed: $(head -c 200 "$tmp/netns.err"))"; return 0; }
  holder_b=$out
  track_pid "$holder_b"
  sleep 0.2
  if ! nsenter -t "$holder_a" -U -n --preserve-credentials sh -ec "
      ip link set lo up
      ip link add s3cors-v0 type veth peer name s3cors-v1 netns /proc/$holder_b/ns/net
      ip addr add 10.213.0.1/30 dev s3cors-v0
      ip link set s3cors-v0 up" 2>"$tmp/netns.err" ||
    ! nsenter -t "$holder_b" -U -n --preserve-credentials sh -ec "
      ip link set lo up
      ip addr add 10.213.0.2/30 dev s3cors-v1
      ip link set s3cors-v1 up" 2>>"$tmp/netns.err"; then
    echo "netns rows: left out (veth setup failed: $(head -c 200 "$tmp/netns.err"))"
    return 0
  fi
  # A second server in the first namespace (nsenter execs it: the PID is the server's), its
  # rule from a configuration file (the faults API answers loopback clients only).
  ns_bin="$tmp/s3cors-in-netns"
  printf '#!/bin/sh\nexec nsenter -t %s -U -n --preserve-credentials %q "$@" --listen 10.213.0.1:0\n' \
    "$holder_a" "$(realpath "$bin")" >"$ns_bin"
  chmod +x "$ns_bin"
  ns_cfg="$tmp/netns.json"
  printf '{"faults": [%s]}\n' "$throttle_rule" >"$ns_cfg"
  start_s3cors s3cors-netns "$ns_bin" --root "$data" --threads "$server_threads" --config "$ns_cfg"
  ns_pid=$started_pid
  ns_base="http://10.213.0.1:${started_base##*:}"
  echo "netns rows: server in one network namespace, client in another, over a veth pair (MTU 1500)"
  row_server_pid=$ns_pid
  row_private_net=1
  cpu_row throttled-netns "$ns_base/bench/cpu/throttled.bin" 0 nsenter -t "$holder_b" -U -n --preserve-credentials
  cpu_row paced-netns "$ns_base/bench/cpu/free.bin" "$rate" nsenter -t "$holder_b" -U -n --preserve-credentials
  echo "throttled / paced over veth, CPU per MB: $(cpu_ratio throttled-netns paced-netns)"
  stop_tracked "$ns_pid"
  stop_tracked "$holder_b"
  stop_tracked "$holder_a"
}
if [[ ${BENCH_NETNS:-1} != 0 ]]; then netns_rows; fi
curl -s --max-time 10 "$api" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["rules"]:
    print("rule %s: matches %s, fired %s" % (r["name"], r.get("matches"), r.get("fired")))' || true

if ((misses > 0)); then
  echo "$misses cap(s) missed by more than 5%" >&2
  exit 1
fi
