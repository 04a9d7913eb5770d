#!/usr/bin/env bash
# Read-path benchmark: s3cors vs. nginx serving the same files over 127.0.0.1.
#
# This is a benchmark, not a test: it never fails on slow numbers, it only fails
# when a server cannot be started or does not answer correctly.
#
# Usage: bench/read_path.sh [PATH_TO_S3CORS]
#   PATH_TO_S3CORS      default build/release/server/s3cors (built with the
#                       release preset when missing or older than the sources)
# Environment:
#   BENCH_SECONDS       wrk duration per row and server (default 10)
#   BENCH_CONNECTIONS   wrk connections (default 64)
#   BENCH_THREADS       wrk threads (default 2)
#   BENCH_NGINX_ONLY=1  skip s3cors entirely (measure nginx alone)
#   BENCH_NO_BUILD=1    never (re)build the default binary
#   BENCH_TMPDIR        parent of the temp dir (default ${TMPDIR:-/tmp})
#
# Both servers serve an identical tree, so URLs are the same (/bench/1k.bin ...).
# Throughput is body + header bytes as counted by wrk, in MiB/s.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/common.sh
source "$repo_root/bench/lib/common.sh"
bench_name=read_path
bin=${1:-$bench_default_bin}
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-64}
wrk_threads=${BENCH_THREADS:-2}
nginx_only=${BENCH_NGINX_ONLY:-0}

require_tools wrk curl nginx python3
[[ $nginx_only == 1 ]] || ensure_s3cors "$bin"

# ---------------------------------------------------------------------------
# Temp dir, data set; bench_setup's cleanup stops only the processes started here.
bench_setup read_path
tmp=$bench_tmp
data="$tmp/root"
mkdir -p "$data/bench"
head -c 1024 /dev/urandom >"$data/bench/1k.bin"
head -c $((1024 * 1024)) /dev/urandom >"$data/bench/1m.bin"
head -c $((16 * 1024 * 1024)) /dev/urandom >"$data/bench/16m.bin"
# nginx workers must be able to traverse the tree even if they drop privileges.
chmod 755 "$tmp" "$data" "$data/bench"
chmod 644 "$data"/bench/*.bin

# ---------------------------------------------------------------------------
# nginx (worker_processes auto) and s3cors (one thread per core)
nginx_port=$(free_port)
nginx_conf "$tmp/nginx" "$nginx_port" "$data" auto
start_nginx "$tmp/nginx"
s3cors_port=""
s3cors_pid=""
if [[ $nginx_only != 1 ]]; then
  start_s3cors s3cors "$bin" --root "$data"
  s3cors_pid=$started_pid
  s3cors_port=${started_base##*:}
fi

# ---------------------------------------------------------------------------
# Correctness gate: both servers must answer 200 / 206 with the right sizes.
check() { # $1 = name, $2 = base url
  local name=$1 base=$2 out
  wait_http "$base/bench/1k.bin" || die "$name does not accept connections at $base"
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
# wrk scripts: exact totals printed from done() (bench/lib/common.sh wrk_lua).
wrk_lua "$tmp/report.lua" </dev/null
echo 'wrk.headers["Range"] = "bytes=65536-131071"' | wrk_lua "$tmp/range.lua"

# run_wrk URL LUA -> prints "req/s MiB/s p50_ms p99_ms errors ..." (wrk_parse's fields)
run_wrk() { wrk_run "$1" "$2" "$seconds" "$connections" "$wrk_threads"; }

rows=(
  "1KiB GET|/bench/1k.bin|report.lua"
  "1MiB GET|/bench/1m.bin|report.lua"
  "16MiB GET|/bench/16m.bin|report.lua"
  "64KiB Range GET|/bench/1m.bin|range.lua"
)

echo "== read_path: ${seconds}s per run, wrk -t$wrk_threads -c$connections, $(nproc) CPUs" \
  "(wrk and the server share them)"
echo "== s3cors: ${s3cors_base:-skipped}  nginx: $nginx_base ($(nginx_version))"

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
      read -r s_rps s_mib _ s_p99 s_err _ <<<"$measured"
      [[ $s_err -eq 0 ]] || errors_note+="  s3cors $label: $s_err errors/non-2xx responses"$'\n'
    elif ! alive "$s3cors_pid"; then
      status=0
      wait "$s3cors_pid" || status=$?
      untrack_pid "$s3cors_pid"
      s3cors_died="s3cors exited with status $status"
      ((status > 128)) && s3cors_died+=" (SIG$(kill -l $((status - 128))))"
      s3cors_died+=" during or right after the '$label' run"
      s_rps="died" s_mib="died"
    else
      die "wrk failed against s3cors for '$label'"
    fi
  fi
  echo "-- $label: nginx" >&2
  measured=$(run_wrk "$nginx_base$path" "$tmp/$lua") || die "wrk failed against nginx for '$label'"
  read -r n_rps n_mib _ n_p99 n_err _ <<<"$measured"
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
