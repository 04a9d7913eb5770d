#!/usr/bin/env bash
# S3 API benchmark: s3cors vs. moto server (the Python S3 mock) over 127.0.0.1.
#
# This is a benchmark, not a test: it never fails on slow numbers, it only fails
# when a server cannot be started or does not answer correctly.
#
# Usage: bench/s3_api.sh [PATH_TO_S3CORS]
#   PATH_TO_S3CORS      default build/release/server/s3cors (built with the
#                       release preset when missing or older than the sources)
# Environment:
#   BENCH_SECONDS       wrk duration per row and server (default 10)
#   BENCH_CONNECTIONS   wrk connections (default 8)
#   BENCH_THREADS       wrk threads (default 2)
#   BENCH_PUT_KEYS      distinct keys the PUT row cycles through per wrk thread
#                       (default 500; bounds disk and moto memory, later PUTs
#                       overwrite earlier objects)
#   BENCH_NO_BUILD=1    never (re)build the default binary
#   MOTO_SERVER         moto server command (default: moto_server in PATH)
#
# Rows (the same wrk client and the same requests for both servers):
#   PUT 1MiB     PUT /bench/obj-<thread>-<counter> with a 1 MiB body
#   LIST 1000    GET /list?list-type=2&max-keys=1000 on a bucket of 5,000 keys
#                (ListObjectsV2, first page: 1,000 keys, truncated)
# Every request carries a syntactically valid SigV4 Authorization header with a
# dummy signature: moto does not verify signatures, and s3cors has no
# credentials configured, so neither server spends time on real signing.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/common.sh
source "$repo_root/bench/lib/common.sh"
bin=${1:-$bench_default_bin}
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-8}
wrk_threads=${BENCH_THREADS:-2}
put_keys=${BENCH_PUT_KEYS:-500}
moto_cmd=${MOTO_SERVER:-moto_server}
list_objects=5000

require_tools wrk curl python3 "$moto_cmd"
ensure_s3cors "$bin"
# The temp dir; what is started here is stopped by its PID at exit (bench_setup).
bench_setup s3_api
tmp=$bench_tmp

auth='AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0'


# s3cors data root: bucket `list` with 5,000 small objects written directly as
# files (bucket `bench` is created with CreateBucket below, as on moto).
data="$tmp/root"
mkdir -p "$data/list"
python3 - "$data/list" "$list_objects" <<'EOF'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(os.path.join(d, f"key-{i:05d}"), "wb") as f:
        f.write(b"object %05d\n" % i)
EOF

# ---------------------------------------------------------------------------
# moto
moto_port=$(free_port)
"$moto_cmd" -H 127.0.0.1 -p "$moto_port" </dev/null >"$tmp/moto.log" 2>&1 &
moto_pid=$!
track_pid "$moto_pid"
bench_logs+=("$tmp/moto.log")
moto_base="http://127.0.0.1:$moto_port"
for ((i = 0; i < 300; i++)); do
  curl -s -o /dev/null "$moto_base/" && break
  alive "$moto_pid" || die "moto exited during startup"
  sleep 0.1
done
curl -s -o /dev/null "$moto_base/" || die "moto does not answer at $moto_base within 30 s"

# ---------------------------------------------------------------------------
# s3cors
start_s3cors s3cors "$bin" --root "$data"
s3cors_pid=$started_pid
s3cors_base=$started_base

# ---------------------------------------------------------------------------
# Buckets: `bench` on both, `list` on moto (s3cors has it as a directory).
create_bucket() { # $1 = name, $2 = base url, $3 = bucket
  local code
  code=$(curl -s -o "$tmp/create.out" -w '%{http_code}' -X PUT -H "Authorization: $auth" \
    "$2/$3")
  [[ $code == 200 ]] || die "$1 CreateBucket $3: HTTP $code: $(head -c 300 "$tmp/create.out")"
}
create_bucket s3cors "$s3cors_base" bench
create_bucket moto "$moto_base" bench
create_bucket moto "$moto_base" list
# Populate moto's `list` bucket with the same 5,000 objects via plain PUTs
# (a few keep-alive connections in parallel).
python3 - "$moto_port" "$list_objects" "$auth" <<'EOF' || die "populating moto failed"
import http.client, sys
from concurrent.futures import ThreadPoolExecutor
port, n, auth = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def worker(start):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for i in range(start, n, 4):
        body = b"object %05d\n" % i
        c.request("PUT", f"/list/key-{i:05d}", body=body,
                  headers={"Content-Type": "application/octet-stream", "Authorization": auth})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            raise SystemExit(f"PUT key-{i:05d}: HTTP {r.status}")
        if r.getheader("Connection", "").lower() == "close" or r.version == 10:
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.close()
with ThreadPoolExecutor(4) as ex:
    list(ex.map(worker, range(4)))
EOF

# ---------------------------------------------------------------------------
# Correctness gate: PUT of 1 MiB answers 200 and stores the bytes; the listing
# answers 200 with exactly 1,000 keys and IsTruncated true.
head -c $((1024 * 1024)) /dev/urandom >"$tmp/1m.bin"
check() { # $1 = name, $2 = base url
  local name=$1 base=$2 code keys
  code=$(curl -s -o "$tmp/put.out" -w '%{http_code}' -X PUT -H "Authorization: $auth" \
    -H 'Content-Type: application/octet-stream' -H 'Expect:' \
    --data-binary @"$tmp/1m.bin" "$base/bench/check-object")
  [[ $code == 200 ]] || die "$name PUT 1 MiB: HTTP $code: $(head -c 300 "$tmp/put.out")"
  code=$(curl -s -o "$tmp/get.out" -w '%{http_code}' -H "Authorization: $auth" \
    "$base/bench/check-object")
  [[ $code == 200 ]] || die "$name GET after PUT: HTTP $code"
  cmp -s "$tmp/get.out" "$tmp/1m.bin" || die "$name GET after PUT returned different bytes"
  code=$(curl -s -o "$tmp/list.out" -w '%{http_code}' -H "Authorization: $auth" \
    "$base/list?list-type=2&max-keys=1000")
  [[ $code == 200 ]] || die "$name ListObjectsV2: HTTP $code: $(head -c 300 "$tmp/list.out")"
  keys=$(grep -o '<Key>' "$tmp/list.out" | wc -l)
  [[ $keys -eq 1000 ]] || die "$name ListObjectsV2 returned $keys keys, want 1000"
  grep -q '<IsTruncated>true</IsTruncated>' "$tmp/list.out" ||
    die "$name ListObjectsV2 of 5,000 keys is not truncated"
  if ! grep -q '<Key>key-00000</Key>' "$tmp/list.out" ||
    ! grep -q '<Key>key-00999</Key>' "$tmp/list.out"; then
    die "$name ListObjectsV2 first page is not key-00000 .. key-00999"
  fi
  wc -c <"$tmp/list.out"
}
s3cors_list_bytes=$(check s3cors "$s3cors_base")
moto_list_bytes=$(check moto "$moto_base")

# ---------------------------------------------------------------------------
# wrk scripts: one prints exact totals from done(); the PUT one builds requests.
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
  echo "wrk.headers[\"Authorization\"] = \"$auth\""
  cat "$tmp/report.lua"
} >"$tmp/list.lua"
{
  cat <<EOF
local auth = "$auth"
local keys = $put_keys
EOF
  cat <<'EOF'
-- One id per wrk thread so threads never write the same key concurrently.
local next_id = 0
setup = function(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

local body
local counter = 0
init = function(args)
  -- 1 MiB of non-repeating-ish bytes (cheap to build once per thread).
  local chunk = {}
  for i = 1, 4096 do chunk[i] = string.char((i * 131 + (tid or 0)) % 256) end
  body = string.rep(table.concat(chunk), 256)
  assert(#body == 1048576)
end

request = function()
  local path = string.format("/bench/obj-%d-%d", tid or 0, counter % keys)
  counter = counter + 1
  return wrk.format("PUT", path, {
    ["Authorization"] = auth,
    ["Content-Type"] = "application/octet-stream",
  }, body)
end
EOF
  cat "$tmp/report.lua"
} >"$tmp/put.lua"

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
print(f"{reqs / secs:.1f} {nbytes / secs / 1048576:.1f} {p50 / 1000:.2f} {p99 / 1000:.2f} "
      f"{int(sock_err + status_err)}")
EOF
}

rows=(
  "PUT 1MiB|/bench/|put.lua"
  "LIST 1000 keys|/list?list-type=2&max-keys=1000|list.lua"
)

moto_version=$(python3 -c 'import moto; print(moto.__version__)' 2>/dev/null || echo '?')
echo "== s3_api: ${seconds}s per run, wrk -t$wrk_threads -c$connections, $(nproc) CPUs" \
  "(wrk and the server share them)"
echo "== s3cors: $s3cors_base  moto: $moto_base (moto $moto_version)"
echo "== listing page size: s3cors $s3cors_list_bytes bytes, moto $moto_list_bytes bytes"

results=()
errors_note=""
s3cors_died=""
for row in "${rows[@]}"; do
  IFS='|' read -r label path lua <<<"$row"
  s_rps="-" s_p99="-" ratio="-"
  if [[ -n $s3cors_died ]]; then
    s_rps="died"
  else
    echo "-- $label: s3cors" >&2
    if measured=$(run_wrk "$s3cors_base$path" "$tmp/$lua") && alive "$s3cors_pid"; then
      read -r s_rps _ _ s_p99 s_err <<<"$measured"
      [[ $s_err -eq 0 ]] || errors_note+="  s3cors $label: $s_err errors/non-2xx responses"$'\n'
    elif ! alive "$s3cors_pid"; then
      status=0
      wait "$s3cors_pid" || status=$?
      untrack_pid "$s3cors_pid"
      s3cors_pid=""
      s3cors_died="s3cors exited with status $status"
      ((status > 128)) && s3cors_died+=" (SIG$(kill -l $((status - 128))))"
      s3cors_died+=" during or right after the '$label' run"
      s_rps="died"
    else
      die "wrk failed against s3cors for '$label'"
    fi
  fi
  echo "-- $label: moto" >&2
  alive "$moto_pid" || die "moto exited"
  measured=$(run_wrk "$moto_base$path" "$tmp/$lua")
  read -r m_rps _ _ m_p99 m_err <<<"$measured"
  [[ $m_err -eq 0 ]] || errors_note+="  moto $label: $m_err errors/non-2xx responses"$'\n'
  if [[ $s_rps =~ ^[0-9.]+$ ]]; then
    ratio=$(python3 -c "print(f'{$s_rps / $m_rps:.1f}x' if $m_rps > 0 else 'inf')")
  fi
  results+=("$label|$s_rps|$s_p99|$m_rps|$m_p99|$ratio")
done

echo
fmt='%-16s %13s %11s %11s %11s %8s\n'
# shellcheck disable=SC2059
printf "$fmt" "row" "s3cors req/s" "s3cors p99" "moto req/s" "moto p99" "ratio"
for r in "${results[@]}"; do
  IFS='|' read -r label s_rps s_p99 m_rps m_p99 ratio <<<"$r"
  [[ $s_p99 =~ ^[0-9.]+$ ]] && s_p99="${s_p99}ms"
  # shellcheck disable=SC2059
  printf "$fmt" "$label" "$s_rps" "$s_p99" "$m_rps" "${m_p99}ms" "$ratio"
done
echo "(ratio = s3cors req/s / moto req/s; target s3cors >= 10x moto)"
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
