#!/usr/bin/env bash
# Upload benchmark: PUT throughput and the server's peak memory, against dd writing the same
# bytes to the same disk (the physical limit).
#
# This is a benchmark, not a test: it never fails on slow numbers or on refused uploads (a
# non-2xx answer is reported in the table), only when the server cannot be started.
#
# Usage: bench/upload.sh [PATH_TO_S3CORS]
#   PATH_TO_S3CORS           default build/release/server/s3cors (built with the release preset
#                            when missing or older than the sources)
# Environment:
#   BENCH_BIG_SIZE           size of the single big PUT (default 4G; K/M/G are binary units)
#   BENCH_CONCURRENT_COUNT   number of concurrent PUTs (default 32)
#   BENCH_CONCURRENT_SIZE    size of each concurrent PUT (default 128M)
#   BENCH_PHASES             which phases to run: "single", "concurrent" or both (default both)
#   BENCH_SYNC               1 (default): both timings include flushing the data to the disk
#                            (`sync -f` of the file system after the last byte); 0: both stop
#                            when the last byte is written (page cache speed)
#   BENCH_DD_SOURCE          stream (default): dd reads the very bytes the uploads send, from a
#                            pipe fed by the same generator; zero: dd if=/dev/zero
#   BENCH_MAX_BODY           auto (default): configure limits.max_body_bytes to the largest
#                            upload (and a 1 h body timeout); server: keep the server's own
#                            limit (today 512 MiB: bigger uploads are refused, EntityTooLarge);
#                            or a byte count
#   BENCH_SERVER_THREADS     s3cors --threads (default: the server's default, one per core)
#   BENCH_TMPDIR             parent of the temp dir (default build/bench-tmp: the disk of the
#                            working tree; /tmp may be a tmpfs)
#   BENCH_MD5_MAX            check the ETag (= MD5) of the first object of a phase whose objects
#                            are at most this big (default 512M)
#   BENCH_NO_BUILD=1         never (re)build the default binary
#
# What is measured, per phase (1 x BENCH_BIG_SIZE, then BENCH_CONCURRENT_COUNT x
# BENCH_CONCURRENT_SIZE):
#   dd       BENCH_CONCURRENT_COUNT (or 1) dd processes writing the same sizes into files on
#            the same file system at once, `dd of=FILE bs=1M` (no O_DIRECT, no fdatasync of
#            its own).
#   s3cors   a fresh server on an empty data root with one bucket (CreateBucket); the same
#            number of concurrent streamed PUTs (bench/lib/bigio.py put: raw HTTP/1.1 over
#            127.0.0.1, Content-Length, Expect: 100-continue, one connection each) of the same
#            bytes.
# Fairness: the server writes what it receives through the page cache and, by default, flushes
# each object (fsync) before answering; dd writes through the page cache too, and (BENCH_SYNC=1)
# both timings end with one `sync -f` of the file system, taken after the last dd exited / the
# last upload was answered, so both include flushing the data; a `sync -f` before each run
# starts both from a clean page cache.
# The bytes are the same too: a random 1 MiB block repeated (no zero pages, nothing a file
# system could compress or deduplicate, no source file to read), fed to dd through a pipe the
# way the uploader feeds its sockets. MiB/s = bytes stored / (write + sync seconds).
# Peak RSS is the server's VmHWM (/proc/PID/status) at the end of its phase: each phase has a
# fresh server, so it is that phase's peak. The uploads are then checked with HEAD (sizes;
# ETag = MD5 of the content for the first object when it is at most BENCH_MD5_MAX).
# Disk space: a phase needs its total bytes once (dd's files are removed before the server's
# run, the server's data root after it).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/common.sh
source "$repo_root/bench/lib/common.sh"
bench_name=upload
bin=${1:-$bench_default_bin}
big_size=$(size_bytes "${BENCH_BIG_SIZE:-4G}")
conc_count=${BENCH_CONCURRENT_COUNT:-32}
conc_size=$(size_bytes "${BENCH_CONCURRENT_SIZE:-128M}")
phases=${BENCH_PHASES:-single concurrent}
sync_mode=${BENCH_SYNC:-1}
dd_source=${BENCH_DD_SOURCE:-stream}
max_body=${BENCH_MAX_BODY:-auto}
server_threads=${BENCH_SERVER_THREADS:-}
md5_max=$(size_bytes "${BENCH_MD5_MAX:-512M}")

require_positive BENCH_CONCURRENT_COUNT "$conc_count"
[[ $sync_mode == 0 || $sync_mode == 1 ]] || die "BENCH_SYNC must be 0 or 1"
[[ $dd_source == stream || $dd_source == zero ]] || die "BENCH_DD_SOURCE must be stream or zero"
[[ $server_threads == "" || $server_threads =~ ^[1-9][0-9]*$ ]] || die "BENCH_SERVER_THREADS must be a number"
for p in $phases; do
  [[ $p == single || $p == concurrent ]] || die "BENCH_PHASES: unknown phase '$p'"
done
require_tools curl python3 dd sync numfmt
ensure_s3cors "$bin"

bench_setup upload "${BENCH_TMPDIR:-$repo_root/build/bench-tmp}"
tmp=$bench_tmp
fs=$(fs_type "$tmp")
[[ $fs == tmpfs* ]] && echo "WARNING: $tmp is on a tmpfs: this measures memory, not a disk" >&2

head -c $((1 << 20)) /dev/urandom >"$tmp/block.bin"

# The server's configuration: the body limit raised to the largest upload (BENCH_MAX_BODY=auto).
server_args=()
[[ -n $server_threads ]] && server_args+=(--threads "$server_threads")
limit_note="server's own limit"
if [[ $max_body != server ]]; then
  if [[ $max_body == auto ]]; then
    max_body=0
    for p in $phases; do
      if [[ $p == single ]]; then s=$big_size; else s=$conc_size; fi
      ((s > max_body)) && max_body=$s
    done
  else
    max_body=$(size_bytes "$max_body")
  fi
  printf '{"limits": {"max_body_bytes": %d, "body_timeout_seconds": 3600}}\n' "$max_body" >"$tmp/s3cors.json"
  server_args+=(--config "$tmp/s3cors.json")
  limit_note="limits.max_body_bytes = $max_body"
fi
sync_flag=()

mib() { python3 -c "import sys; print(f'{int(sys.argv[1]) / 1048576:.0f}')" "$1"; }
mib_s() { # bytes seconds -> MiB/s
  python3 -c "import sys; b, s = int(sys.argv[1]), float(sys.argv[2]); print(f'{b / 1048576 / s:.0f}' if b and s > 0 else '-')" "$1" "$2"
}
secs() { python3 -c "import sys; print(f'{float(sys.argv[1]) + float(sys.argv[2]):.2f}')" "$1" "$2"; }

results=()    # label|writer|ok|MiB/s|seconds|peak RSS MiB|CPU s
ratio_line=() # per phase: "label server/dd"
rss_line=()
notes=()

run_phase() { # label count size
  local label=$1 count=$2 size=$3 total out res ok fail write_s sync_s bytes dd_rate s_rate
  local root pid port hwm cpu0 cpu1 cpu idle verify_out sizes_ok sizes_bad etag_checked etag_ok
  total=$((count * size))
  (($(free_bytes "$tmp") > total + (256 << 20))) ||
    die "not enough space in $tmp for $label ($(bytes_human "$total") plus a margin)"

  # dd: the same bytes, the same number of concurrent writers, the same file system.
  mkdir -p "$tmp/dd"
  sync -f "$tmp"
  sync_flag=()
  [[ $sync_mode == 1 ]] && sync_flag=(--sync "$tmp/dd")
  echo "-- $label: dd" >&2
  run_tracked "$tmp/bigio.out" python3 "$bench_bigio" dd --dir "$tmp/dd" --count "$count" \
    --size "$size" --block "$tmp/block.bin" --source "$dd_source" "${sync_flag[@]}" ||
    die "dd run failed: $(cat "$tmp/bigio.out")"
  out=$(cat "$tmp/bigio.out")
  res=$(bigio_result "$out") || die "dd run failed"
  read -r ok fail write_s sync_s bytes <<<"$res"
  dd_rate=$(mib_s "$bytes" "$(secs "$write_s" "$sync_s")")
  ((fail == 0)) || dd_rate="failed"
  results+=("$label|dd|$ok/$count|$dd_rate|$(secs "$write_s" "$sync_s")|-|-")
  rm -rf "$tmp/dd"

  # s3cors: a fresh server on an empty data root.
  root="$tmp/root"
  mkdir -p "$root"
  start_s3cors "s3cors-${label// /}" "$bin" --root "$root" "${server_args[@]}"
  pid=$started_pid
  port=${started_base##*:}
  idle=$(vm_rss_kib "$pid")
  out=$(curl -s -o "$tmp/create.out" -w '%{http_code}' -X PUT "$started_base/bench")
  [[ $out == 200 ]] || die "CreateBucket: HTTP $out: $(head -c 300 "$tmp/create.out")"
  sync -f "$root"
  sync_flag=()
  [[ $sync_mode == 1 ]] && sync_flag=(--sync "$root")
  echo "-- $label: s3cors" >&2
  cpu0=$(cpu_seconds "$pid")
  run_tracked "$tmp/bigio.out" python3 "$bench_bigio" put --port "$port" --bucket bench \
    --key-prefix obj --count "$count" --size "$size" --block "$tmp/block.bin" "${sync_flag[@]}" ||
    die "the uploader failed: $(cat "$tmp/bigio.out")"
  out=$(cat "$tmp/bigio.out")
  if ! alive "$pid"; then
    wait "$pid" || true
    untrack_pid "$pid"
    notes+=("$label: s3cors died during the uploads (see the table); $(grep -m3 '^FAIL' <<<"$out" | tr '\n' ' ')")
    results+=("$label|s3cors|died|-|-|-|-")
    ratio_line+=("$label died")
    rm -rf "$root"
    return 0
  fi
  cpu1=$(cpu_seconds "$pid")
  hwm=$(vm_hwm_kib "$pid")
  res=$(bigio_result "$out" 2>/dev/null) || die "the uploader printed no result: $out"
  read -r ok fail write_s sync_s bytes <<<"$res"
  if ((fail > 0)); then
    notes+=("$label: $fail of $count uploads failed: $(grep -m1 '^FAIL' <<<"$out" | sed 's/^FAIL //')")
  fi
  s_rate=$(mib_s "$bytes" "$(secs "$write_s" "$sync_s")")
  cpu=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$cpu0" "$cpu1")
  results+=("$label|s3cors|$ok/$count|$s_rate|$(secs "$write_s" "$sync_s")|$((hwm / 1024))|$cpu")
  if ((ok == count)); then
    ratio_line+=("$label $(ratio "$s_rate" "$dd_rate")")
  else
    ratio_line+=("$label failed")
  fi
  rss_line+=("$label: $((hwm / 1024)) MiB ($(ratio "$((hwm * 1024))" "$total") x the $(bytes_human "$total") uploaded; idle $((idle / 1024)) MiB)")

  # Check what was stored.
  if ((ok > 0)); then
    verify_out=$(python3 "$bench_bigio" verify --port "$port" --bucket bench --key-prefix obj \
      --count "$count" --size "$size" --block "$tmp/block.bin" --md5-max "$md5_max") ||
      die "verifying the uploads failed: $verify_out"
    res=$(bigio_result "$verify_out" 2>/dev/null) || die "verify printed no result: $verify_out"
    read -r sizes_ok sizes_bad etag_checked etag_ok <<<"$res"
    local check="HEAD: $sizes_ok of $count objects with Content-Length $size"
    ((etag_checked == 1)) && check+=", ETag = MD5: $([[ $etag_ok == 1 ]] && echo yes || echo NO)"
    ((etag_checked == 1)) || check+=", ETag not checked (objects > BENCH_MD5_MAX)"
    notes+=("$label: $check")
    ((sizes_bad == 0 && (etag_checked == 0 || etag_ok == 1))) ||
      notes+=("$label: WRONG CONTENT: $(grep -m1 '^FAIL' <<<"$verify_out" | sed 's/^FAIL //')")
  fi
  stop_tracked "$pid"
  rm -rf "$root"
}

echo "== upload: $(nproc) CPUs, data in $tmp ($fs), sync to disk: $([[ $sync_mode == 1 ]] && echo yes || echo no)," \
  "dd source: $dd_source"
echo "== s3cors: $bin ${server_args[*]} ($limit_note)"
for p in $phases; do
  if [[ $p == single ]]; then
    run_phase "1 x $(bytes_human "$big_size")" 1 "$big_size"
  else
    run_phase "$conc_count x $(bytes_human "$conc_size")" "$conc_count" "$conc_size"
  fi
done

echo
fmt='%-18s %-7s %8s %9s %10s %14s %8s\n'
# shellcheck disable=SC2059
printf "$fmt" "phase" "writer" "ok" "MiB/s" "seconds" "peak RSS MiB" "CPU s"
for r in "${results[@]}"; do
  IFS='|' read -r label writer ok rate seconds rss cpu <<<"$r"
  # shellcheck disable=SC2059
  printf "$fmt" "$label" "$writer" "$ok" "$rate" "$seconds" "$rss" "$cpu"
done
echo "(seconds = writing$([[ $sync_mode == 1 ]] && echo ' + sync -f'); peak RSS = s3cors VmHWM; CPU s = s3cors user + system)"
for n in "${notes[@]}"; do echo "$n"; done
echo
line="server/dd throughput:"
for r in "${ratio_line[@]}"; do line+="  ${r% *}: ${r##* }"; done
echo "$line"
for r in "${rss_line[@]}"; do echo "peak RSS $r"; done
