# shellcheck shell=bash
# Shared helpers of the benchmark scripts (sourced, not run).
#
# Everything a script starts goes through these helpers so that it can be stopped by its PID
# (never by name) when the script ends, however it ends:
#   bench_setup NAME          die() prefix, temp dir, EXIT/INT/TERM traps
#   require_tools, require_positive, ensure_s3cors   the checks of a script's header
#   start_s3cors / start_nginx / track_pid / untrack_pid
# and the measuring pieces the scripts share:
#   ensure_s3cors             the release build of the default binary, when missing or stale
#   nginx_conf, nginx_cors_http, nginx_cors_location, cors_rules_json
#   wrk_lua, wrk_run, wrk_parse     one wrk run -> one line of numbers
#   cpu_seconds, vm_hwm_kib, fs_type, bytes_human
# Python helpers for big bodies (streamed uploads, dd writers, eviction from the page cache,
# cold reads, listings, copies) live in bench/lib/bigio.py.

bench_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bench_repo_root=$(cd "$bench_lib_dir/../.." && pwd)
bench_default_bin="$bench_repo_root/build/release/server/s3cors"
# shellcheck disable=SC2034 # used by the scripts that source this file
bench_bigio="$bench_lib_dir/bigio.py"

# alive PID: running and not yet a zombie (kill -0 succeeds on unreaped zombies).
alive() { [[ -e /proc/$1 ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

stop_pid() { # $1 = pid; TERM, wait up to 5 s, then KILL
  local pid=$1 i
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    alive "$pid" || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# ---------------------------------------------------------------------------
# Setup, processes and cleanup.

bench_name=${bench_name:-$(basename "$0" .sh)}
bench_tmp=""
bench_pids=()
bench_logs=() # shown (tail) when the script fails

die() { echo "$bench_name.sh: $*" >&2; exit 1; }

require_positive() { # require_positive NAME VALUE: VALUE a whole number >= 1, else die naming NAME
  [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive number"
}

require_tools() { # require_tools TOOL... : each must be in PATH
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool not found in PATH"
  done
}

# bench_setup NAME [PARENT]: sets die()'s prefix, makes the temp dir $bench_tmp under PARENT
# (default $BENCH_TMPDIR, else ${TMPDIR:-/tmp}; created when missing, removed again when left empty) and installs
# the traps: on exit every tracked process is stopped by its PID (newest first), the logs are
# shown when the script failed, bench_cleanup_hook runs when the script defines it, and the
# temp dir is removed.
bench_setup() {
  bench_name=$1
  local parent=${2:-${BENCH_TMPDIR:-${TMPDIR:-/tmp}}}
  if [[ ! -d $parent ]]; then
    mkdir -p "$parent" || die "cannot create $parent"
    bench_tmp_parent_created=$parent
  fi
  bench_tmp=$(mktemp -d "$parent/s3cors-bench-$bench_name.XXXXXX") || die "mktemp failed in $parent"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  local rc=$? i log
  trap - EXIT
  for ((i = ${#bench_pids[@]} - 1; i >= 0; i--)); do
    stop_pid "${bench_pids[i]}"
  done
  if declare -F bench_cleanup_hook >/dev/null; then bench_cleanup_hook || true; fi
  if [[ $rc -ne 0 ]]; then
    for log in "${bench_logs[@]}"; do
      [[ -s $log ]] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }
    done
  fi
  [[ -z $bench_tmp ]] || rm -rf "$bench_tmp" || true
  [[ -z ${bench_tmp_parent_created:-} ]] || rmdir "$bench_tmp_parent_created" 2>/dev/null || true
  exit "$rc"
}

track_pid() { bench_pids+=("$1"); }

untrack_pid() { # untrack_pid PID: forget a process the script stopped or reaped itself
  local i
  for i in "${!bench_pids[@]}"; do
    [[ ${bench_pids[i]} == "$1" ]] && unset 'bench_pids[i]'
  done
  bench_pids=("${bench_pids[@]}")
}

# run_tracked OUT CMD...: runs CMD in the background with its stdout in OUT (stderr passes
# through), tracked so that an interrupted script stops it at once (a signal interrupts `wait`,
# not a command substitution), and waits for it; returns CMD's exit status.
run_tracked() {
  local out=$1 pid rc=0
  shift
  "$@" >"$out" &
  pid=$!
  track_pid "$pid"
  wait "$pid" || rc=$?
  untrack_pid "$pid"
  return "$rc"
}

# stop_tracked PID: stop_pid + untrack_pid
stop_tracked() { stop_pid "$1"; untrack_pid "$1"; }

# ensure_s3cors BIN: when BIN is the default binary (build/release/server/s3cors) and it is
# missing or older than the sources, builds the release preset (BENCH_NO_BUILD=1: never).
ensure_s3cors() {
  local bin=$1
  if [[ $bin == "$bench_default_bin" && ${BENCH_NO_BUILD:-0} != 1 ]]; then
    if [[ ! -x $bin ]]; then
      echo "== $bin missing, building the release preset" >&2
    elif [[ -n $(cd "$bench_repo_root" && find lib server CMakeLists.txt cmake -newer "$bin" \
      \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name 'CMakeLists.txt' -o -name '*.cmake' \) \
      -print -quit 2>/dev/null) ]]; then
      echo "== $bin is older than the sources, rebuilding (BENCH_NO_BUILD=1 to skip)" >&2
    else
      return 0
    fi
    (cd "$bench_repo_root" && cmake --preset release >&2 &&
      cmake --build --preset release --target s3cors_server >&2) || die "building s3cors failed"
  fi
  [[ -x $bin ]] || die "s3cors binary not found: $bin"
}

# start_s3cors NAME BIN ARGS...: starts `BIN --listen 127.0.0.1:0 --log-level warn ARGS`
# (ARGS must name --root), logging to $bench_tmp/NAME.out and NAME.err, and waits for its
# listening line. Sets started_pid and started_base (http://127.0.0.1:PORT); the process is
# tracked.
start_s3cors() {
  local name=$1 bin=$2 line i port=""
  shift 2
  "$bin" --listen 127.0.0.1:0 --log-level warn "$@" \
    </dev/null >"$bench_tmp/$name.out" 2>"$bench_tmp/$name.err" &
  started_pid=$!
  track_pid "$started_pid"
  bench_logs+=("$bench_tmp/$name.err")
  for ((i = 0; i < 100; i++)); do
    line=$(grep -m1 -E '^s3cors listening on http://' "$bench_tmp/$name.out" 2>/dev/null || true)
    if [[ -n $line ]]; then
      port=${line##*:}
      break
    fi
    alive "$started_pid" || die "$name (s3cors) exited during startup"
    sleep 0.1
  done
  [[ -n $port ]] || die "$name (s3cors) did not print its listening line within 10 s"
  # shellcheck disable=SC2034 # read by the caller
  started_base="http://127.0.0.1:$port"
}

# ---------------------------------------------------------------------------
# nginx

# nginx_conf DIR PORT ROOT WORKERS [HTTP_EXTRA [SERVER_EXTRA]]: writes DIR/nginx.conf for a
# static server of ROOT on 127.0.0.1:PORT with WORKERS worker processes ("auto" or a number):
# sendfile, keep-alive, no access log, no "file not found" error-log lines (a 404 row must not
# write a log line per request), temp paths inside DIR.
nginx_conf() {
  local dir=$1 port=$2 root=$3 workers=$4 http_extra=${5:-} server_extra=${6:-} user_line=""
  mkdir -p "$dir/logs"
  # nginx workers must be able to traverse the tree even if they drop privileges.
  [[ $EUID -eq 0 ]] && user_line="user root;"
  cat >"$dir/nginx.conf" <<EOF
$user_line
worker_processes $workers;
daemon off;
master_process on;
pid $dir/nginx.pid;
error_log $dir/error.log warn;

events {
    worker_connections 4096;
}

http {
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    access_log off;
    log_not_found off;
    server_tokens off;
    keepalive_timeout 65;
    keepalive_requests 100000;
    client_body_temp_path $dir/client_body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
$http_extra
    server {
        listen 127.0.0.1:$port;
        root $root;
$server_extra
    }
}
EOF
}

# start_nginx DIR: checks and starts nginx on DIR/nginx.conf (see nginx_conf). Sets
# started_pid (the master; its workers are its children) and tracks it.
start_nginx() {
  local dir=$1 nginx_bin
  nginx_bin=$(command -v nginx) || die "nginx not found in PATH"
  "$nginx_bin" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" -t -q ||
    die "generated nginx.conf is invalid"
  "$nginx_bin" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" \
    </dev/null >"$dir/stdout" 2>&1 &
  started_pid=$!
  track_pid "$started_pid"
  bench_logs+=("$dir/error.log")
}

nginx_version() { nginx -v 2>&1 | sed 's/.*: //'; }

# wait_http URL [SECONDS]: until URL answers at all (any status), at most SECONDS (default 10).
wait_http() {
  local i
  for ((i = 0; i < ${2:-10} * 10; i++)); do
    curl -s -o /dev/null --max-time 2 "$1" && return 0
    sleep 0.1
  done
  return 1
}

# The CORS setup shared by preflight.sh and per_cpu.sh: a bucket rule list that s3cors
# evaluates (a non-matching rule first, so the rule list is really walked), and the nginx
# configuration that gives the same answers from constants (one origin comparison in a map).
#   cors_rules_json ORIGIN         the bucket's CORS rules (CLI JSON form) on stdout
#   nginx_cors_http ORIGIN         http-level maps
#   nginx_cors_location PREFIX ORIGIN
#       a location that answers the preflight (OPTIONS from ORIGIN: 200 with the headers
#       below; from another origin: 403) and adds the same headers to a GET/HEAD from ORIGIN
#       (what s3cors answers for the rule: Allow-Origin, -Credentials, -Methods,
#       Expose-Headers, Max-Age, Vary).
cors_rules_json() {
  cat <<EOF
{"CORSRules": [
  {"ID": "uploads", "AllowedOrigins": ["https://upload.example.com"],
   "AllowedMethods": ["PUT", "POST"], "AllowedHeaders": ["*"]},
  {"ID": "player", "AllowedOrigins": ["$1"],
   "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": ["Range", "x-amz-*"],
   "ExposeHeaders": ["ETag", "Content-Range"], "MaxAgeSeconds": 3000}
]}
EOF
}

nginx_cors_http() {
  cat <<EOF
    map "\$request_method \$http_origin" \$cors_preflight_ok {
        default 0;
        "OPTIONS $1" 1;
    }
    map "\$request_method \$http_origin" \$cors_simple_ok {
        default 0;
        "GET $1" 1;
        "HEAD $1" 1;
    }
EOF
}

nginx_cors_location() {
  local prefix=$1 origin=$2 headers
  headers=$(
    cat <<EOF
                add_header Access-Control-Allow-Origin "$origin" always;
                add_header Access-Control-Allow-Credentials "true" always;
                add_header Access-Control-Allow-Methods "GET, HEAD" always;
EOF
  )
  cat <<EOF
        location $prefix {
            if (\$cors_preflight_ok) {
$headers
                add_header Access-Control-Allow-Headers "range" always;
                add_header Access-Control-Expose-Headers "ETag, Content-Range" always;
                add_header Access-Control-Max-Age "3000" always;
                add_header Vary "Origin, Access-Control-Request-Headers, Access-Control-Request-Method" always;
                return 200;
            }
            if (\$request_method = OPTIONS) {
                return 403;
            }
            if (\$cors_simple_ok) {
$headers
                add_header Access-Control-Expose-Headers "ETag, Content-Range" always;
                add_header Access-Control-Max-Age "3000" always;
                add_header Vary "Origin, Access-Control-Request-Headers, Access-Control-Request-Method" always;
            }
        }
EOF
}

# cors_headers FILE: the Access-Control-* and Vary lines of a `curl -D FILE` dump, sorted, CR
# stripped (to compare two servers' answers).
cors_headers() {
  tr -d '\r' <"$1" | grep -iE '^(access-control-[a-z-]*|vary):' | sort -f
}

# ---------------------------------------------------------------------------
# wrk

# wrk_lua FILE: writes a wrk script: stdin (request setup, may be empty), then a done() that
# prints one line
#   BENCH requests bytes duration_us socket_errors status_errors p50 p90 p99 p99.9 max
# (latencies in microseconds; status_errors counts responses with status >= 400).
wrk_lua() {
  {
    cat
    cat <<'EOF'

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %.0f %.0f %.0f %.0f %.0f\n",
    summary.requests, summary.bytes, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
EOF
  } >"$1"
}

# wrk_parse FILE_OR_TEXT_ON_STDIN: the BENCH line of a wrk run ->
#   "req_s mib_s p50_ms p99_ms errors requests status_errors socket_errors p90_ms p999_ms max_ms"
# (errors = socket errors + status errors; MiB/s counts headers + bodies as wrk saw them).
wrk_parse() {
  local out line fields
  out=$(cat)
  line=$(grep -m1 '^BENCH ' <<<"$out") || { echo "unexpected wrk output: $out" >&2; return 1; }
  read -ra fields <<<"${line#BENCH }"
  python3 - "${fields[@]}" <<'EOF'
import sys
reqs, nbytes, dur_us, sock, status, p50, p90, p99, p999, mx = (float(x) for x in sys.argv[1:11])
secs = dur_us / 1e6
print(f"{reqs / secs:.0f} {nbytes / secs / 1048576:.1f} {p50 / 1000:.2f} {p99 / 1000:.2f} "
      f"{int(sock + status)} {int(reqs)} {int(status)} {int(sock)} "
      f"{p90 / 1000:.2f} {p999 / 1000:.2f} {mx / 1000:.2f}")
EOF
}

# wrk_run URL LUA SECONDS CONNECTIONS THREADS: one bounded wrk run, parsed by wrk_parse.
wrk_run() {
  local url=$1 lua=$2 seconds=$3 connections=$4 threads=$5 out
  out=$(timeout $((seconds + 60)) wrk -t"$threads" -c"$connections" -d"${seconds}s" --timeout 30s \
    -s "$lua" "$url" 2>&1) || { echo "wrk failed for $url: $out" >&2; return 1; }
  wrk_parse <<<"$out"
}

# ---------------------------------------------------------------------------
# /proc

# cpu_seconds PID: CPU time (user + system, all threads) of PID and of its live child
# processes (nginx's workers), plus the CPU time of its reaped children.
cpu_seconds() {
  python3 - "$1" <<'EOF'
import os, sys
root = int(sys.argv[1])
tick = os.sysconf("SC_CLK_TCK")
def fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()  # fields[0] is field 3 (state)
total = 0
try:
    f = fields(root)
    total += sum(int(x) for x in f[11:15])  # utime stime cutime cstime
except FileNotFoundError:
    sys.exit(f"no process {root}")
for entry in os.listdir("/proc"):
    if entry.isdigit() and int(entry) != root:
        try:
            f = fields(entry)
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(f[1]) == root:  # ppid
            total += int(f[11]) + int(f[12])
print(f"{total / tick:.2f}")
EOF
}

# vm_hwm_kib PID: the process's peak resident set size (VmHWM) in KiB.
vm_hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
vm_rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# fs_type PATH: the file system type and device of PATH ("ext4 /dev/vda").
fs_type() { df -T "$1" | awk 'NR == 2 { print $2, $1 }'; }

# free_bytes PATH: bytes available on PATH's file system.
free_bytes() { df -B1 --output=avail "$1" | tail -n 1 | tr -d ' '; }

# bytes_human N: "4 GiB", "128 MiB", "1.5 MiB", "512 B".
bytes_human() {
  python3 -c '
import sys
n = int(sys.argv[1])
for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
    if n >= size:
        v = n / size
        print(f"{v:.0f} {unit}" if v == int(v) else f"{v:.1f} {unit}")
        break
else:
    print(f"{n} B")' "$1"
}

# ratio A B [DIGITS]: A / B, or "-" when either is not a positive number.
ratio() {
  python3 -c '
import sys
try:
    a, b = float(sys.argv[1]), float(sys.argv[2])
    print(f"{a / b:.{int(sys.argv[3])}f}" if b > 0 else "-")
except ValueError:
    print("-")' "$1" "$2" "${3:-2}"
}

# size_bytes VALUE: a size in bytes from "4294967296", "4G", "128M", "1.5M", "64K" (binary
# units, as numfmt --from=iec reads them).
size_bytes() {
  local n
  n=$(numfmt --from=iec "${1^^}" 2>/dev/null) || n=""
  [[ $n =~ ^[0-9]+$ ]] || die "not a size: '$1'"
  echo "$n"
}

# bigio_result OUTPUT: the fields of bigio.py's RESULT line (its FAIL lines go to stderr).
bigio_result() {
  local line
  grep '^FAIL' <<<"$1" >&2 || true
  line=$(grep -m1 '^RESULT ' <<<"$1") || { echo "bigio.py printed no RESULT: $1" >&2; return 1; }
  echo "${line#RESULT }"
}
