#!/usr/bin/env bash
# End-to-end browser test: hls.js in headless Chromium plays HLS from s3cors
# cross-origin exactly when the bucket's CORS rules allow the page's origin.
#
# Usage: bash tests/e2e/browser_hls_test.sh /path/to/s3cors
#
# A static server on 127.0.0.1 serves tests/e2e/browser/ (player.html and
# node_modules/hls.js) as the page origin; s3cors serves a copy of the example
# "media" bucket on another port, so every manifest/segment fetch is a CORS
# request. Cases, each against its own s3cors start and CORS configuration:
#   1. rules allow the page origin        -> the MPEG-TS HLS stream plays
#   2. rules allow only another origin    -> hls.js fails with manifestLoadError,
#      nothing plays, and s3cors's stderr mentions the refused page origin
#   3. rules allow the page origin        -> the fMP4 HLS stream plays
#
# Installs what it needs, idempotently: Debian's chromium (only when the browser
# is missing; override the path with CHROMIUM_PATH) and the npm packages of
# tests/e2e/browser (npm ci, only when node_modules is missing or stale): tests/e2e/lib/browser.sh.
# Set S3CORS_E2E_SCREENSHOT_DIR=/some/dir to keep a screenshot of each case.
#
# Exit status 0 when every check passed. Each check prints "ok - ..." or
# "not ok - ...", and a "N passed, M failed" summary is printed at the end.
set -uo pipefail

# ok, not_ok, alive and the counters come from the shared helpers.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/browser.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/browser.sh"
e2e_begin "$@"
browser_begin
[[ -f $media_src/hls-fmp4/master.m3u8 ]] || { echo "missing $media_src/hls-fmp4 (run scripts/make-example-media.sh)" >&2; exit 2; }
page_url="$page_origin/player.html"
browser_page_serves player.html node_modules/hls.js/dist/hls.min.js
ok "page server at $page_origin serves player.html and node_modules/hls.js/dist/hls.min.js"

# ---------------------------------------------------------------------------
# Data root shared by all cases (read-only use): $tmp/root, browser_begin's copy of the example bucket.

# start_server CASE_DIR: starts s3cors with CASE_DIR/config.json; sets server_pid, base.
start_server() {
  local dir=$1 line port=""
  "$bin" --root "$tmp/root" --listen 127.0.0.1:0 --config "$dir/config.json" --log-level info \
    </dev/null >"$dir/server.out" 2>"$dir/server.err" &
  server_pid=$!
  for ((i = 0; i < 100; i++)); do
    line=$(grep -m1 -E '^s3cors listening on http://127\.0\.0\.1:[0-9]+$' "$dir/server.out" 2>/dev/null)
    if [[ -n $line ]]; then
      port=${line##*:}
      break
    fi
    alive "$server_pid" || break
    sleep 0.1
  done
  if [[ -z $port ]]; then
    base=""
    return 1
  fi
  base="http://127.0.0.1:$port"
}

stop_server() {
  [[ -n $server_pid ]] || return 0
  kill -TERM "$server_pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do
    alive "$server_pid" || break
    sleep 0.1
  done
  kill -KILL "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=""
}

# acao URL ORIGIN -> the Access-Control-Allow-Origin header of a GET (empty if none).
acao() {
  curl -s --max-time 10 -o /dev/null -D - -H "Origin: $2" "$1" |
    grep -i '^access-control-allow-origin:' | tail -n 1 | cut -d: -f2- | tr -d '\r' | sed 's/^[[:space:]]*//'
}

# run_case NAME EXPECT(play|blocked) MANIFEST_KEY RULES_JSON
run_case() {
  local name=$1 expect=$2 key=$3 rules=$4
  local dir="$tmp/$name" failed_before=$failed
  mkdir -p "$dir"
  printf '%s\n' "$rules" >"$dir/cors.json"
  printf '{"root": "../root", "buckets": {"media": {"cors": "cors.json"}}}\n' >"$dir/config.json"

  if ! start_server "$dir"; then
    not_ok "$name: s3cors starts with the case's CORS configuration within 10 s" \
      "stdout: $(head -c 300 "$dir/server.out")" "stderr: $(tail -c 800 "$dir/server.err")"
    stop_server
    return
  fi
  local manifest="$base/media/$key"

  # Server-side sanity, independent of the browser.
  local code
  code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$manifest")
  if [[ $code != 200 ]]; then
    not_ok "$name: GET $manifest without Origin is 200" "status $code" "stderr: $(tail -c 800 "$dir/server.err")"
    stop_server
    return
  fi
  local got
  got=$(acao "$manifest" "$page_origin")
  if [[ $expect == play ]]; then
    if [[ $got == "$page_origin" || $got == "*" ]]; then
      ok "$name: s3cors answers Origin $page_origin with Access-Control-Allow-Origin: $got"
    else
      not_ok "$name: s3cors answers Origin $page_origin with Access-Control-Allow-Origin" \
        "got '${got}' (CORS not wired into the server yet?)"
    fi
  else
    if [[ -z $got ]]; then
      ok "$name: s3cors sends no Access-Control-Allow-Origin for Origin $page_origin"
    else
      not_ok "$name: s3cors sends no Access-Control-Allow-Origin for Origin $page_origin" "got '$got'"
    fi
  fi

  # The browser. The driver's own waits: launch 20 s, page load 10 s, outcome
  # 20 s; timeout(1) is the backstop (browser_run_most), capped by what is left of the budget.
  local shot=()
  [[ -n ${S3CORS_E2E_SCREENSHOT_DIR:-} ]] && shot=(--screenshot "$S3CORS_E2E_SCREENSHOT_DIR/browser_hls_$name.png")
  browser_run "$name" hls_cors.mjs --page "$page_url" --manifest "$manifest" --expect "$expect" \
    --timeout-ms 20000 --min-time 1.0 --min-frags 2 "${shot[@]}" || {
    stop_server
    return
  }

  if [[ $expect == blocked ]]; then
    # The access line of the refused request carries the CORS explanation:
    # `origin=<page origin> note=no match: rule 0 origin_mismatch (origin "<page origin>" ...)`.
    sleep 0.2
    if grep -F -- "origin_mismatch (origin \"$page_origin\"" "$dir/server.err" | grep -qF "no match"; then
      ok "$name: s3cors stderr explains why $page_origin was refused"
      grep -F -- "$page_origin" "$dir/server.err" | head -n 3 | cut -c1-300 | sed 's/^/#   stderr: /'
    else
      not_ok "$name: s3cors stderr explains why $page_origin was refused" \
        "stderr: $(tail -c 800 "$dir/server.err")"
    fi
  fi

  stop_server
  if [[ $failed -ne $failed_before && -s $dir/server.err ]]; then
    echo "# --- $name: s3cors stderr (last 15 lines)"
    tail -n 15 "$dir/server.err" | cut -c1-300 | sed 's/^/#   /'
  fi
}

rules_allow_page=$(printf '[{"AllowedOrigins":["%s"],"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["*"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":3000}]' "$page_origin")
rules_allow_other='[{"AllowedOrigins":["https://elsewhere.example"],"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["*"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":3000}]'

# Whole run (after installs) stays under 2 minutes even when everything times out.
deadline=$((SECONDS + 110))
browser_run_most=55
run_case allowed-ts play hls/master.m3u8 "$rules_allow_page"
run_case blocked-ts blocked hls/master.m3u8 "$rules_allow_other"
run_case allowed-fmp4 play hls-fmp4/master.m3u8 "$rules_allow_page"

finish
