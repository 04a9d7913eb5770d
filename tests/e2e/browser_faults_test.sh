#!/usr/bin/env bash
# End-to-end browser test of media faults (docs/faults.md): hls.js in headless Chromium plays the
# example HLS stream from s3cors, cross-origin, while rules added through the /_s3cors/faults API
# make the network misbehave for one rendition or one segment.
#
# Usage: bash tests/e2e/browser_faults_test.sh /path/to/s3cors
#
# Bucket "media" is a copy of config/example-root/media with the example's CORS rule
# (config/cors-media.json) allowing the page's origin. The example stream is 8 s long (4 segments
# of 2 s per rendition), too short for hls.js's ABR to switch down and back up, and there is no
# ffmpeg here to make another: each rendition's playlist is lengthened in the scratch copy to
# $repeats times the 4 segments (copies named seg_004.ts, ...), each repetition after an
# EXT-X-DISCONTINUITY (its timestamps start again). The master playlist and renditions (416x234 at
# 327800 bit/s, 640x360 at 657800 bit/s) are the example's.
#
# Each case is one Chromium run of tests/e2e/browser/faults_players.mjs (which adds the case's
# rules, asserts on hls.js's events and clears the rules):
#   abr       640x360 capped at 20 kB/s -> hls.js switches down to 416x234; the rule is removed
#             -> it switches back up
#   slowdown  503 SlowDown on segment 3 once: the page reads 503 (CORS headers on the error),
#             hls.js retries, playback continues past it
#   cut       segment 2 cut after 16 KiB: hls.js's ERROR networkError/fragLoadError
#   nocors    the 503 with drop_cors: the page sees status 0, Chromium a CORS failure
# CASES="abr cut" runs only those. Installs what it needs like browser_hls_test.sh
# (tests/e2e/lib/browser.sh).
#
# Exit status 0 when every check passed ("ok - ..." / "not ok - ..." lines, then a summary).
set -uo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/browser.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/browser.sh"
e2e_begin "$@"
browser_begin
repeats=12 # 96 s of stream
page_url="$page_origin/edge_player.html"

# ---------------------------------------------------------------------------
# The bucket: the example stream (browser_begin copied it), lengthened.
for rendition in 416x234 640x360; do
  dir="$tmp/root/media/hls/$rendition"
  mapfile -t segments < <(grep -v '^#' "$dir/index.m3u8" | grep -v '^$')
  mapfile -t durations < <(grep '^#EXTINF:' "$dir/index.m3u8")
  if [[ ${#segments[@]} -ne 4 || ${#durations[@]} -ne 4 ]]; then
    not_ok "the example's $rendition playlist names 4 segments" "$(cat "$dir/index.m3u8")"
    finish
  fi
  {
    printf '#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n'
    printf '#EXT-X-PLAYLIST-TYPE:VOD\n'
    for ((r = 0; r < repeats; r++)); do
      ((r > 0)) && printf '#EXT-X-DISCONTINUITY\n'
      for ((i = 0; i < 4; i++)); do
        name=$(printf 'seg_%03d.ts' $((r * 4 + i)))
        [[ -f $dir/$name ]] || cp "$dir/${segments[i]}" "$dir/$name"
        printf '%s\n%s\n' "${durations[i]}" "$name"
      done
    done
    printf '#EXT-X-ENDLIST\n'
  } >"$dir/index.m3u8.new"
  mv "$dir/index.m3u8.new" "$dir/index.m3u8"
done
ok "example stream lengthened to $((repeats * 8)) s per rendition ($((repeats * 4)) segments)"

# The example's CORS rule, for the page's origin.
python3 - "$repo_root/config/cors-media.json" "$page_origin" >"$tmp/cors.json" <<'EOF'
import json, sys
rules = json.load(open(sys.argv[1]))
for rule in rules:
    rule["AllowedOrigins"] = [sys.argv[2]]
print(json.dumps(rules))
EOF
printf '{"buckets": {"media": {"cors": "cors.json"}}}\n' >"$tmp/config.json"
start_server --root "$tmp/root" --config "$tmp/config.json" --log-level info
api="$base/_s3cors/faults"
code=$(curl -s --max-time 5 -o "$tmp/list.json" -w '%{http_code}' "$api")
if [[ $code == 200 ]]; then
  ok "GET /_s3cors/faults: 200 ($(head -c 200 "$tmp/list.json"))"
else
  not_ok "GET /_s3cors/faults: 200" "status $code: $(head -c 300 "$tmp/list.json")"
  finish
fi

deadline=$((SECONDS + 400)) # the browser runs' budget (browser_run; ctest allows 600 s with installs)
for case in ${CASES:-abr slowdown cut nocors}; do
  browser_run "$case" faults_players.mjs --page "$page_url" --manifest "$base/media/hls/master.m3u8" \
    --api "$api" --case "$case"
done

# Every injected fault is visible in the access log: a segment's line names the rule (its fault
# field; the API's own lines, which name rules in their paths, do not count).
for rule in abr-throttle slowdown-seg3 cut-seg2 cdn-503; do
  if grep -hE "GET /media/hls/[^ ]+\.ts .*$rule" "$tmp/server.out" "$tmp/server.err" >"$tmp/log.hit"; then
    ok "the access log names $rule: $(head -n 1 "$tmp/log.hit")"
  else
    not_ok "the access log names $rule on a segment's line" "$(grep -h 'seg_00[23]' "$tmp/server.out" | tail -n 3)"
  fi
done

finish
