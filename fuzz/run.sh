#!/usr/bin/env bash
# Bounded libFuzzer run of the CORS configuration parsers, the upload/authentication parsers
# and the HTTP transport (fuzz_transport: raw connection bytes to an in-process server), for CI
# and local use.
#   fuzz/run.sh                          each target for 30 s
#   FUZZ_SECONDS=60 fuzz/run.sh          each target for 60 s
#   FUZZ_TARGETS="fuzz_cors_xml" fuzz/run.sh   a subset
#   FUZZ_MAX_LEN=70000 fuzz/run.sh       longer inputs (default: libFuzzer's, from the corpus, >= 4096)
# Builds build/fuzz with clang-14 (-DS3CORS_FUZZ=ON), fuzzes each target on a temporary copy of
# fuzz/corpus (the repository corpus never grows), with fuzz/<name>.dict as its dictionary when
# there is one (fuzz_transport: fuzz/transport.dict), and fails on any crash, sanitizer report,
# leak, timeout (> 5 s for one input) or RSS above 2 GB. Reproducers are kept in
# build/fuzz/artifacts/<target>/, logs in build/fuzz/logs/<target>.log.
# Reproduce one: build/fuzz/fuzz/fuzz_cors_xml build/fuzz/artifacts/fuzz_cors_xml/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

fuzz_seconds=${FUZZ_SECONDS:-30}
targets=(${FUZZ_TARGETS:-fuzz_cors_xml fuzz_cors_json fuzz_cors_any fuzz_upload_auth fuzz_transport})
build_dir=$root/build/fuzz

# --- toolchain -------------------------------------------------------------------------------
scripts/install-deps.sh
missing=()
for pkg in clang-14 libclang-rt-14-dev; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  echo "fuzz: installing ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! grep -Eq '^[[:space:]]*add_subdirectory\(fuzz\)' CMakeLists.txt; then
  echo "fuzz: the top-level CMakeLists.txt does not add_subdirectory(fuzz) (see fuzz/CMakeLists.txt)" >&2
  exit 2
fi

# --- build -----------------------------------------------------------------------------------
# RelWithDebInfo at -O1 without -DNDEBUG: fast enough to fuzz, assertions stay on.
echo "== fuzz: configure $build_dir"
CC=clang-14 CXX=clang++-14 cmake -S . -B "$build_dir" -G Ninja \
  -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DS3CORS_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
echo "== fuzz: build ${targets[*]}"
cmake --build "$build_dir" --target "${targets[@]}"

# --- run -------------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/s3cors-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$build_dir/logs"

export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:handle_abort=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1"

extra=()
[[ -n "${FUZZ_MAX_LEN:-}" ]] && extra+=("-max_len=$FUZZ_MAX_LEN")

passed=0
failed=0
summaries=()
for target in "${targets[@]}"; do
  binary=$build_dir/fuzz/$target
  corpus=$work/$target
  artifacts=$build_dir/artifacts/$target
  log=$build_dir/logs/$target.log
  mkdir -p "$corpus" "$artifacts"
  dict=()
  [[ -f fuzz/${target#fuzz_}.dict ]] && dict=("-dict=fuzz/${target#fuzz_}.dict")
  case $target in
    fuzz_cors_xml) cp fuzz/corpus/xml/* "$corpus"/ ;;
    fuzz_cors_json) cp fuzz/corpus/json/* "$corpus"/ ;;
    fuzz_upload_auth) cp fuzz/corpus/upload/* "$corpus"/ ;;
    fuzz_transport) cp fuzz/corpus/transport/* "$corpus"/ ;;
    *) cp fuzz/corpus/xml/* fuzz/corpus/json/* "$corpus"/ ;;
  esac
  echo "== fuzz: $target for ${fuzz_seconds}s (log: ${log#"$root"/})"
  rc=0
  "$binary" "$corpus" -max_total_time="$fuzz_seconds" -timeout=5 -rss_limit_mb=2048 -detect_leaks=1 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" "${extra[@]}" >"$log" 2>&1 || rc=$?

  # "#123456 DONE cov: 812 ft: 3310 corp: 402/31Kb lim: 4096 exec/s: 2057 rss: 498Mb"
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  corp=$(sed -nE 's/.* corp: ([0-9]+).*/\1/p' <<<"$last")
  runs=$(sed -nE 's/^stat::number_of_executed_units:[[:space:]]*([0-9]+)/\1/p' "$log")
  eps=$(sed -nE 's/^stat::average_exec_per_sec:[[:space:]]*([0-9]+)/\1/p' "$log")
  rss=$(sed -nE 's/^stat::peak_rss_mb:[[:space:]]*([0-9]+)/\1/p' "$log")
  stats="runs=${runs:-?} exec/s=${eps:-?} cov=${cov:-?} ft=${ft:-?} corpus=${corp:-?} peak_rss=${rss:-?}MB"
  if ((rc == 0)); then
    passed=$((passed + 1))
    summaries+=("PASS $target: $stats")
  else
    failed=$((failed + 1))
    # The most telling line: harness invariant, uncaught exception, UBSan, then sanitizer/libFuzzer.
    kind=""
    for pattern in '^fuzz_[a-z_]+: .*' 'terminate called .*' 'what\(\): .*' 'runtime error: .*' \
      'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): .*'; do
      kind=$(grep -oE -m 1 "$pattern" "$log" | cut -c1-200 || true)
      [[ -n "$kind" ]] && break
    done
    what=$(grep -oE -m 1 'what\(\): .*' "$log" | cut -c1-200 || true)
    [[ -n "$what" && "$kind" != "$what" ]] && kind="$kind; $what"
    artifact=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -n 1)
    summaries+=("FAIL $target (exit $rc): ${kind:-see $log} ${artifact:+reproducer: ${artifact#"$root"/}} $stats")
    echo "---- $target: report (full log: ${log#"$root"/})"
    grep -vE '^(#[0-9]+[[:space:]]|INFO:|\sNEW_FUNC|MS: |0x[0-9a-f]+,|Base64: |stat::)' "$log" | cut -c1-220 | tail -n 60 || true
    if [[ -n "$artifact" && -f "$artifact" ]]; then
      echo "---- reproducer ($(stat -c %s "$artifact") bytes, hex, first 4 KB):"
      head -c 4096 "$artifact" | od -An -tx1 -v | tr -d ' \n' | fold -w 128
      echo
    fi
  fi
done

echo "== fuzz summary (${fuzz_seconds}s per target)"
printf '%s\n' "${summaries[@]}"
echo "$passed passed, $failed failed"
((failed == 0))
