#!/usr/bin/env bash
# Latency under load: p50/p99 of small GETs while the same server does big work.
#
# This is a benchmark, not a test: it never fails on slow numbers (the p99 target is printed,
# not enforced), only when the server cannot be started or does not answer correctly.
#
# Usage: bench/latency_under_load.sh [PATH_TO_S3CORS]
#   PATH_TO_S3CORS        default build/release/server/s3cors (built with the release preset
#                         when missing or older than the sources)
# Environment:
#   BENCH_SECONDS         duration of the baseline run, and the least time the listing work
#                         runs for (it lists the bucket again until then; default 10)
#   BENCH_CONNECTIONS     wrk connections sending the 1 KiB GETs (default 16)
#   BENCH_THREADS         wrk threads (default 2)
#   BENCH_BIG_SIZE        size of the cold file (default 4G; K/M/G are binary units)
#   BENCH_LIST_KEYS       objects in the bucket besides the two files (default 100000; empty
#                         files, written directly into the data root)
#   BENCH_ROUNDS          cold GETs and copies done one after the other in their row, the file
#                         evicted from the page cache before each (default 1)
#   BENCH_EVICT           fadvise (default): evict the big file alone, posix_fadvise DONTNEED
#                         after fdatasync; drop_caches: also `echo 3 > /proc/sys/vm/drop_caches`
#                         before each kind of work (root only; empties the whole machine's page,
#                         dentry and inode caches, so the listing reads the directory from disk
#                         too; falls back to fadvise with a note when not permitted)
#   BENCH_SERVER_THREADS  s3cors --threads (default: the server's default, one per core)
#   BENCH_TARGET_P99_MS   the p99 target printed next to each row (default 20)
#   BENCH_TMPDIR          parent of the temp dir (default build/bench-tmp: the disk of the
#                         working tree; a cold read from a tmpfs is no disk read)
#   BENCH_NO_BUILD=1      never (re)build the default binary
#
# Rows: wrk sends GET /bench/1k.bin on BENCH_CONNECTIONS keep-alive connections (latency as
# wrk measures it: from sending a request to its response, no coordinated-omission
# correction), first alone for BENCH_SECONDS (baseline), then for exactly as long as each big
# work takes (the work starts, wrk starts, wrk is stopped with SIGINT when the work ends):
#   cold GET     GET of the BENCH_BIG_SIZE file big.bin, written with dd straight into the
#                bucket's directory and evicted from the page cache (BENCH_EVICT). The file
#                has no record of s3cors's, so the server also computes its ETag (MD5) on this
#                first access. One client reading as fast as it can (bench/lib/bigio.py get).
#   list         ListObjectsV2 of the whole bucket (BENCH_LIST_KEYS + 2 keys, 1,000 per page,
#                following continuation tokens), repeated until BENCH_SECONDS have passed.
#   copy         CopyObject (PUT /bench/copy-N with x-amz-copy-source: /bench/big.bin) of the
#                evicted big file; the copies are deleted afterwards.
# Disk space: about twice BENCH_BIG_SIZE (the file and one copy).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/common.sh
source "$repo_root/bench/lib/common.sh"
bench_name=latency_under_load
bin=${1:-$bench_default_bin}
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-16}
wrk_threads=${BENCH_THREADS:-2}
big_size=$(size_bytes "${BENCH_BIG_SIZE:-4G}")
list_keys=${BENCH_LIST_KEYS:-100000}
rounds=${BENCH_ROUNDS:-1}
evict_mode=${BENCH_EVICT:-fadvise}
server_threads=${BENCH_SERVER_THREADS:-}
target=${BENCH_TARGET_P99_MS:-20}
work_timeout=3600 # seconds, for each big request; wrk is capped at this too

require_positive BENCH_SECONDS "$seconds"
[[ $list_keys =~ ^[0-9]+$ ]] || die "BENCH_LIST_KEYS must be a number"
require_positive BENCH_ROUNDS "$rounds"
[[ $evict_mode == fadvise || $evict_mode == drop_caches ]] || die "BENCH_EVICT must be fadvise or drop_caches"
[[ $server_threads == "" || $server_threads =~ ^[1-9][0-9]*$ ]] || die "BENCH_SERVER_THREADS must be a number"
require_tools wrk curl python3 dd sync numfmt
ensure_s3cors "$bin"

bench_setup latency_under_load "${BENCH_TMPDIR:-$repo_root/build/bench-tmp}"
tmp=$bench_tmp
fs=$(fs_type "$tmp")
[[ $fs == tmpfs* ]] && echo "WARNING: $tmp is on a tmpfs: a cold read is no disk read here" >&2
(($(free_bytes "$tmp") > 2 * big_size + (512 << 20))) ||
  die "not enough space in $tmp for twice $(bytes_human "$big_size") plus a margin"

# ---------------------------------------------------------------------------
# Data: bucket `bench` with the 1 KiB object, the big file and the listing's keys.
data="$tmp/root"
bucket="$data/bench"
mkdir -p "$bucket"
head -c 1024 /dev/urandom >"$bucket/1k.bin"
head -c $((1 << 20)) /dev/urandom >"$tmp/block.bin"
echo "-- writing $(bytes_human "$big_size") with dd and $list_keys keys" >&2
run_tracked "$tmp/bigio.out" python3 "$bench_bigio" dd --dir "$tmp" --count 1 --size "$big_size" \
  --block "$tmp/block.bin" --sync "$tmp" || die "writing the big file failed: $(cat "$tmp/bigio.out")"
mv "$tmp/dd-0000" "$bucket/big.bin"
run_tracked /dev/null python3 "$bench_bigio" mkkeys --dir "$bucket/keys" --count "$list_keys"
sync -f "$tmp"

drop_note=""
if [[ $evict_mode == drop_caches ]]; then
  # Opening it for writing is the permission check (writes nothing, drops nothing).
  if ! python3 -c 'open("/proc/sys/vm/drop_caches", "w").close()' 2>/dev/null; then
    drop_note="drop_caches not permitted here: the big file evicted with posix_fadvise only"
    evict_mode=fadvise
  fi
fi

# evict: the big file out of the page cache (and, with drop_caches, every cache).
evict() {
  python3 "$bench_bigio" evict "$bucket/big.bin"
  if [[ $evict_mode == drop_caches ]]; then
    sync
    echo 3 >/proc/sys/vm/drop_caches
  fi
}
# resident: how much of the big file is in the page cache (fincore), for the notes.
resident() {
  if command -v fincore >/dev/null; then
    bytes_human "$(fincore -b -n -o RES "$bucket/big.bin" | tr -d ' ')"
  else
    echo "? (no fincore)"
  fi
}

# ---------------------------------------------------------------------------
server_args=()
[[ -n $server_threads ]] && server_args+=(--threads "$server_threads")
start_s3cors s3cors "$bin" --root "$data" "${server_args[@]}"
s3cors_pid=$started_pid
base=$started_base
port=${base##*:}

# Correctness gate (the big file is left untouched: its first read is a row).
out=$(curl -s -o "$tmp/1k.out" -w '%{http_code} %{size_download}' "$base/bench/1k.bin")
[[ $out == "200 1024" ]] || die "GET /bench/1k.bin: got '$out', want '200 1024'"
cmp -s "$tmp/1k.out" "$bucket/1k.bin" || die "GET /bench/1k.bin returned the wrong bytes"
out=$(curl -s -o /dev/null -w '%{http_code}' "$base/bench?list-type=2&max-keys=1")
[[ $out == 200 ]] || die "ListObjectsV2: HTTP $out"

wrk_lua "$tmp/get.lua" </dev/null

# measure_during LABEL COMMAND...: runs COMMAND (a bigio.py work command) and wrk at the same
# time, stops wrk when COMMAND ends. Sets parsed (wrk_parse's fields) and res (the work's
# RESULT fields). Not run in a subshell: the cleanup must know the PIDs.
measure_during() {
  local label=$1 work_pid wrk_pid started elapsed
  shift
  "$@" >"$tmp/work.out" 2>"$tmp/work.err" &
  work_pid=$!
  track_pid "$work_pid"
  started=$SECONDS
  timeout $((work_timeout + 60)) wrk -t"$wrk_threads" -c"$connections" -d"${work_timeout}s" --timeout 30s \
    -s "$tmp/get.lua" "$base/bench/1k.bin" >"$tmp/wrk.out" 2>&1 &
  wrk_pid=$!
  track_pid "$wrk_pid"
  wait "$work_pid" || true
  untrack_pid "$work_pid"
  # At least one second of measurement, even when the work was shorter.
  elapsed=$((SECONDS - started))
  ((elapsed >= 1)) || sleep 1
  kill -INT "$wrk_pid" 2>/dev/null || true
  wait "$wrk_pid" || true
  untrack_pid "$wrk_pid"
  parsed=$(wrk_parse <"$tmp/wrk.out") || die "$label: unexpected wrk output: $(cat "$tmp/wrk.out")"
  res=$(bigio_result "$(cat "$tmp/work.out")") || die "$label: the work printed no result: $(cat "$tmp/work.err")"
}

echo "== latency_under_load: wrk -t$wrk_threads -c$connections GET /bench/1k.bin, $(nproc) CPUs" \
  "(wrk, the big work's client and the server share them)"
echo "== s3cors: $base ($bin${server_args[*]:+ ${server_args[*]}}); data in $tmp ($fs)"
echo "== big file $(bytes_human "$big_size"), $list_keys keys, $rounds round(s), eviction: $evict_mode"

results=() # label|work s|work result|wrk fields
notes=()
[[ -n $drop_note ]] && notes+=("$drop_note")

echo "-- baseline" >&2
parsed=$(wrk_run "$base/bench/1k.bin" "$tmp/get.lua" "$seconds" "$connections" "$wrk_threads") ||
  die "wrk failed for the baseline"
results+=("baseline|$seconds (wrk)|-|$parsed")

echo "-- cold GET" >&2
evict
notes+=("cold GET: big.bin resident in the page cache before: $(resident)")
measure_during "cold GET" python3 "$bench_bigio" get --port "$port" --path /bench/big.bin \
  --rounds "$rounds" --evict "$bucket/big.bin" --timeout "$work_timeout"
read -r n failed work_s got status <<<"$res"
work="$n x GET: HTTP $status, $(bytes_human "$got")"
((got == n * big_size)) || work+=" (WRONG SIZE, want $(bytes_human $((n * big_size))))"
((failed == 0)) || work+=", $failed failed"
results+=("cold GET|$work_s|$work|$parsed")
alive "$s3cors_pid" || die "s3cors died during the cold GET"

echo "-- list" >&2
[[ $evict_mode == drop_caches ]] && evict
measure_during "list" python3 "$bench_bigio" list --port "$port" --bucket bench \
  --min-seconds "$seconds" --timeout "$work_timeout"
read -r n failed work_s keys status <<<"$res"
work="$n x ListObjectsV2 of $((keys / n)) keys: HTTP $status"
((keys == n * (list_keys + 2))) || work+=" (WRONG COUNT, want $((list_keys + 2)) keys)"
((failed == 0)) || work+=", failed"
results+=("list|$work_s|$work|$parsed")
alive "$s3cors_pid" || die "s3cors died during the listing"

echo "-- copy" >&2
evict
notes+=("copy: big.bin resident in the page cache before: $(resident)")
measure_during "copy" python3 "$bench_bigio" copy --port "$port" --source /bench/big.bin \
  --dest /bench/copy --rounds "$rounds" --evict "$bucket/big.bin" --timeout "$work_timeout"
read -r n failed work_s _ status <<<"$res"
work="$n x CopyObject: HTTP $status"
((failed == 0)) || work+=", $failed failed: $(grep -m1 '^FAIL' "$tmp/work.out" | sed 's/^FAIL //')"
results+=("copy|$work_s|$work|$parsed")
alive "$s3cors_pid" || die "s3cors died during the copy"
for ((i = 0; i < rounds; i++)); do
  curl -s -o /dev/null -X DELETE "$base/bench/copy-$i" || true
done

# ---------------------------------------------------------------------------
echo
fmt='%-10s %8s %9s %9s %9s %9s %9s %9s %7s  %-9s %s\n'
# shellcheck disable=SC2059
printf "$fmt" "row" "seconds" "req/s" "p50 ms" "p90 ms" "p99 ms" "p99.9 ms" "max ms" "errors" \
  "p99<${target}ms" "big work"
base_p99=""
ratios=""
met=0
rows=0
for r in "${results[@]}"; do
  IFS='|' read -r label work_s work parsed <<<"$r"
  read -r rps _ p50 p99 errors _ _ _ p90 p999 max <<<"$parsed"
  ok=$(python3 -c "import sys; print('yes' if float(sys.argv[1]) < float(sys.argv[2]) else 'NO')" "$p99" "$target")
  if [[ $label == baseline ]]; then
    base_p99=$p99
  else
    rows=$((rows + 1))
    [[ $ok == yes ]] && met=$((met + 1))
    ratios+="  $label: $(ratio "$p99" "$base_p99" 1)x"
    python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 2 else 1)" "$work_s" ||
      notes+=("$label: the work lasted only ${work_s}s: too short for a stable p99 (raise the sizes)")
  fi
  # shellcheck disable=SC2059
  printf "$fmt" "$label" "${work_s% (wrk)}" "$rps" "$p50" "$p90" "$p99" "$p999" "$max" "$errors" "$ok" "$work"
done
echo "(seconds = how long the big work took, the latency window; wrk's latency: send to response)"
for n in "${notes[@]}"; do echo "$n"; done
echo
echo "p99 under load / baseline p99 (${base_p99} ms):$ratios;  target p99 < ${target} ms met in $met of $rows loaded rows"
