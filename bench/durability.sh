#!/usr/bin/env bash
# What durable writes cost: PutObject requests/s with the default (each object, its record
# and the folder entries flushed with fsync before the 200) against --no-fsync, in one run.
#
# A benchmark, not a test: it fails only when a server cannot be started or a PUT is refused.
#
# Usage: bench/durability.sh [PATH_TO_S3CORS]
#   PATH_TO_S3CORS           default build/release/server/s3cors (built when missing or stale)
# Environment:
#   BENCH_SECONDS            seconds per row (default 10)
#   BENCH_CONNECTIONS        concurrent connections (default 16)
#   BENCH_SIZES              body sizes, one row each (default "4K 1M")
#   BENCH_TMPDIR             parent of the data roots (default build/bench-tmp: the disk of the
#                            working tree; /tmp may be a tmpfs, where fsync costs nothing)
#   BENCH_NO_BUILD=1         never (re)build the default binary
# Each row PUTs BENCH_CONNECTIONS distinct keys over and over (anonymous, to a bucket without
# credentials), with Content-Type set so that every object has a record.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/common.sh
source "$repo_root/bench/lib/common.sh"
bin=${1:-$bench_default_bin}
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-16}
read -ra sizes <<<"${BENCH_SIZES:-4K 1M}"

require_tools wrk curl python3
ensure_s3cors "$bin"
bench_setup durability "${BENCH_TMPDIR:-$repo_root/build/bench-tmp}"
echo "== file system of the data roots: $(fs_type "$bench_tmp")"

# put_row MODE SIZE: sets row_rps and row_p99 (ms) of PUTs of SIZE bytes against a fresh
# server (not in a subshell, so that the server stays tracked).
put_row() {
  local mode=$1 size=$2 root lua parsed
  root="$bench_tmp/root-$mode-$size"
  mkdir -p "$root/bench"
  local args=(--root "$root")
  [[ $mode == no-fsync ]] && args+=(--no-fsync)
  start_s3cors "s3cors-$mode-$size" "$bin" "${args[@]}"
  lua="$bench_tmp/put-$size.lua"
  wrk_lua "$lua" <<EOF
local body = string.rep("d", $(size_bytes "$size"))
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("PUT", "/bench/obj-" .. (counter % $connections), {["Content-Type"] = "video/mp2t"}, body)
end
EOF
  code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary probe "$started_base/bench/probe")
  [[ $code == 200 ]] || die "PUT answered $code"
  sync -f "$root"
  parsed=$(wrk_run "$started_base/bench/" "$lua" "$seconds" "$connections" 2) || die "wrk failed"
  read -r row_rps _ _ row_p99 errors _ <<<"$parsed"
  [[ $errors == 0 ]] || die "$errors failed PUTs ($mode, $size)"
  stop_tracked "$started_pid"
  rm -rf "$root"
}

printf '%-6s | %-22s | %-22s | %s\n' size "durable req/s (p99 ms)" "--no-fsync req/s (p99)" "durable / no-fsync"
for size in "${sizes[@]}"; do
  put_row durable "$size"
  durable_rps=$row_rps durable_p99=$row_p99
  put_row no-fsync "$size"
  fast_rps=$row_rps fast_p99=$row_p99
  printf '%-6s | %-22s | %-22s | %s\n' "$size" "$durable_rps ($durable_p99)" "$fast_rps ($fast_p99)" \
    "$(ratio "$durable_rps" "$fast_rps")"
done
