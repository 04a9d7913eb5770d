#!/usr/bin/env bash
# Read-path benchmark: s3cors vs. nginx serving the same files over 127.0.0.1.
#
# This is a benchmark, not a test: it never fails on slow numbers, it only fails
# when a server cannot be started or does not answer correctly.
#
# Usage: bench/read_path.sh [PATH_TO_S3CORS]
#   PATH_TO_S3CORS      default build/release/server/s3cors (built with the
#                       release preset when missing)
# Environment:
#   BENCH_SECONDS       wrk duration per row and server (default 10)
#   BENCH_CONNECTIONS   wrk connections (default 64)
#   BENCH_THREADS       wrk threads (default 2)
#   BENCH_NGINX_ONLY=1  skip s3cors entirely (measure nginx alone)
#
# Both servers serve an identical tree, so URLs are the same (/bench/1k.bin ...).
# Throughput is body + header bytes as counted by wrk, in MiB/s.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/common.sh
source "$repo_root/bench/lib/common.sh"
default_bin="$repo_root/build/release/server/s3cors"
bin=${1:-$default_bin}
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-64}
wrk_threads=${BENCH_THREADS:-2}
nginx_only=${BENCH_NGINX_ONLY:-0}

die() { echo "read_path.sh: $*" >&2; exit 1; }

for tool in wrk curl nginx python3; do
  command -v "$tool" >/dev/null || die "$tool not found in PATH"
done
nginx_bin=$(command -v nginx)

if [[ $nginx_only != 1 && ! -x $bin ]]; then
  if [[ $bin == "$default_bin" ]]; then
    echo "== $bin missing, building the release preset" >&2
    (cd "$repo_root" && cmake --preset release >&2 &&
      cmake --build --preset release --target s3cors_server >&2)
    [[ -x $bin ]] || die "build finished but $bin does not exist"
  else
    die "s3cors binary not found: $bin"
  fi
fi

# ---------------------------------------------------------------------------
# Temp dir, data set, cleanup of only the processes started here.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/s3cors-bench.XXXXXX")
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

data="$tmp/root"
mkdir -p "$data/bench" "$tmp/nginx/logs"
head -c 1024 /dev/urandom >"$data/bench/1k.bin"
head -c $((1024 * 1024)) /dev/urandom >"$data/bench/1m.bin"
head -c $((16 * 1024 * 1024)) /dev/urandom >"$data/bench/16m.bin"
# nginx workers must be able to traverse the tree even if they drop privileges.
chmod 755 "$tmp" "$data" "$data/bench"
chmod 644 "$data"/bench/*.bin


# ---------------------------------------------------------------------------
# nginx
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
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    access_log off;
    keepalive_timeout 65;
    keepalive_requests 100000;
    client_body_temp_path $tmp/nginx/client_body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;

    server {
        listen 127.0.0.1:$nginx_port;
        root $data;
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
s3cors_port=""
if [[ $nginx_only != 1 ]]; then
  "$bin" --root "$data" --listen 127.0.0.1:0 --log-level warn \
    </dev/null >"$tmp/s3cors.out" 2>"$tmp/s3cors.err" &
  s3cors_pid=$!
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
fi

# ---------------------------------------------------------------------------
# Correctness gate: both servers must answer 200 / 206 with the right sizes.
wait_ready() { # $1 = base url
  local i
  for ((i = 0; i < 100; i++)); do
    curl -s -o /dev/null "$1/bench/1k.bin" && return 0
    sleep 0.1
  done
  return 1
}

check() { # $1 = name, $2 = base url
  local name=$1 base=$2 out
  wait_ready "$base" || die "$name does not accept connections at $base"
  for spec in "1k.bin 200 1024" "1m.bin 200 1048576" "16m.bin 200 16777216"; do
    read -r file want_code want_size <<<"$spec"
    out=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "$base/bench/$file")
    [[ $out == "$want_code $want_size" ]] ||
      die "$name GET /bench/$file: got '$out', want '$want_code $want_size'"
  done
  out=$(curl -s -o "$tmp/range.out" -w '%{http_code} %{size_download}' \
    -H 'Range: bytes=65536-131071' "$base/bench/1m.bin")
  [[ $out == "206 65536" ]] || die "$name Range GET: got '$out', want '206 65536'"
  cmp -s "$tmp/range.out" <(tail -c +65537 "$data/bench/1m.bin" | head -c 65536) ||
    die "$name Range GET returned the wrong bytes"
}

nginx_base="http://127.0.0.1:$nginx_port"
check nginx "$nginx_base"
if [[ -n $s3cors_port ]]; then
  s3cors_base="http://127.0.0.1:$s3cors_port"
  check s3cors "$s3cors_base"
fi

# ---------------------------------------------------------------------------
# wrk scripts: one prints exact totals from done(); the range one adds the header.
cat >"$tmp/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %.0f %.0f\n",
    summary.requests, summary.bytes, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
EOF
{
  echo 'wrk.headers["Range"] = "bytes=65536-131071"'
  cat "$tmp/report.lua"
} >"$tmp/range.lua"

# run_wrk URL LUA -> prints "req/s MiB/s p50_ms p99_ms errors"
run_wrk() {
  local url=$1 lua=$2 out line
  out=$(wrk -t"$wrk_threads" -c"$connections" -d"${seconds}s" --timeout 30s -s "$lua" "$url" 2>&1) ||
    die "wrk failed for $url: $out"
  line=$(grep -m1 '^BENCH ' <<<"$out") || die "unexpected wrk output for $url: $out"
  read -r _ reqs bytes dur_us sock_err status_err p50 p99 <<<"$line"
  python3 - "$reqs" "$bytes" "$dur_us" "$sock_err" "$status_err" "$p50" "$p99" <<'EOF'
import sys
reqs, nbytes, dur_us, sock_err, status_err, p50, p99 = (float(x) for x in sys.argv[1:])
secs = dur_us / 1e6
print(f"{reqs / secs:.0f} {nbytes / secs / 1048576:.1f} {p50 / 1000:.2f} {p99 / 1000:.2f} "
      f"{int(sock_err + status_err)}")
EOF
}

rows=(
  "1KiB GET|/bench/1k.bin|report.lua"
  "1MiB GET|/bench/1m.bin|report.lua"
  "16MiB GET|/bench/16m.bin|report.lua"
  "64KiB Range GET|/bench/1m.bin|range.lua"
)

echo "== read_path: ${seconds}s per run, wrk -t$wrk_threads -c$connections, $(nproc) CPUs" \
  "(wrk and the server share them)"
echo "== s3cors: ${s3cors_base:-skipped}  nginx: $nginx_base ($("$nginx_bin" -v 2>&1 | sed 's/.*: //'))"

results=()
errors_note=""
s3cors_died=""
for row in "${rows[@]}"; do
  IFS='|' read -r label path lua <<<"$row"
  s_rps="-" s_mib="-" s_p99="-" ratio="-"
  if [[ -n $s3cors_port && -n $s3cors_died ]]; then
    s_rps="died" s_mib="died"
  elif [[ -n $s3cors_port ]]; then
    echo "-- $label: s3cors" >&2
    if measured=$(run_wrk "$s3cors_base$path" "$tmp/$lua") && alive "$s3cors_pid"; then
      read -r s_rps s_mib _ s_p99 s_err <<<"$measured"
      [[ $s_err -eq 0 ]] || errors_note+="  s3cors $label: $s_err errors/non-2xx responses"$'\n'
    elif ! alive "$s3cors_pid"; then
      status=0
      wait "$s3cors_pid" || status=$?
      s3cors_pid=""
      s3cors_died="s3cors exited with status $status"
      ((status > 128)) && s3cors_died+=" (SIG$(kill -l $((status - 128))))"
      s3cors_died+=" during or right after the '$label' run"
      s_rps="died" s_mib="died"
    else
      die "wrk failed against s3cors for '$label'"
    fi
  fi
  echo "-- $label: nginx" >&2
  measured=$(run_wrk "$nginx_base$path" "$tmp/$lua")
  read -r n_rps n_mib _ n_p99 n_err <<<"$measured"
  [[ $n_err -eq 0 ]] || errors_note+="  nginx $label: $n_err errors/non-2xx responses"$'\n'
  if [[ $s_rps =~ ^[0-9]+$ && $n_rps -gt 0 ]]; then
    ratio=$(python3 -c "print(f'{$s_rps / $n_rps:.2f}')")
  fi
  results+=("$label|$s_rps|$s_mib|$s_p99|$n_rps|$n_mib|$n_p99|$ratio")
done

echo
fmt='%-16s %13s %13s %11s %13s %13s %11s %7s\n'
# shellcheck disable=SC2059
printf "$fmt" "row" "s3cors req/s" "s3cors MiB/s" "s3cors p99" "nginx req/s" "nginx MiB/s" "nginx p99" "ratio"
for r in "${results[@]}"; do
  IFS='|' read -r label s_rps s_mib s_p99 n_rps n_mib n_p99 ratio <<<"$r"
  [[ $s_p99 =~ ^[0-9.]+$ ]] && s_p99="${s_p99}ms"
  # shellcheck disable=SC2059
  printf "$fmt" "$label" "$s_rps" "$s_mib" "$s_p99" "$n_rps" "$n_mib" "${n_p99}ms" "$ratio"
done
echo "(ratio = s3cors req/s / nginx req/s; MiB/s counts headers + bodies as seen by wrk)"
if [[ -n $errors_note ]]; then
  echo
  echo "WARNING: socket errors or non-2xx responses during measurement:"
  printf '%s' "$errors_note"
fi
if [[ -n $s3cors_died ]]; then
  echo
  echo "ERROR: $s3cors_died" >&2
  exit 1
fi
