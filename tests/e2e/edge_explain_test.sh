#!/usr/bin/env bash
# End-to-end test of `s3cors edge explain` on the poisoned-cache story (README "Edge mode"): a
# distribution with CachingOptimized in front of bucket "media", whose CORS rules allow
# https://player.example. Offline (no server): the matched behaviour, the cache key, what reaches
# the origin, which request populates the cache and the browser's verdict for each, with the exit
# status; then the two fixes (Origin in the cache key, SimpleCORS). Online: the server logs the
# refused cross-origin response it served from cache.
# Usage: bash tests/e2e/edge_explain_test.sh /path/to/s3cors
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
e2e_begin "$@"
command -v curl >/dev/null || { echo "curl not found in PATH" >&2; exit 2; }

mkdir -p "$tmp/root/media/hls"
printf 'video bytes' >"$tmp/root/media/video.mp4"
printf '#EXTM3U' >"$tmp/root/media/hls/index.m3u8"
write_config() { # write_config FILE DEFAULT_BEHAVIOR_JSON
  cat >"$1" <<JSON
{"buckets": {"media": {"cors": [{"AllowedOrigins": ["https://player.example"], "AllowedMethods": ["GET", "HEAD"]}]}},
 "distributions": {"cdn": {"listen": "127.0.0.1:0", "origin": {"bucket": "media"},
   "behaviors": [{"path_pattern": "/hls/*", "cache_policy": "CachingDisabled", "origin_request_policy": "CORS-S3Origin"}],
   "default_behavior": $2}}}
JSON
}
write_config "$tmp/poisoned.json" '{"cache_policy": "CachingOptimized", "origin_request_policy": "CORS-S3Origin"}'
write_config "$tmp/origin-key.json" '{"cache_policy": {"Name": "origin-in-key", "MinTTL": 1, "DefaultTTL": 86400,
  "MaxTTL": 31536000, "ParametersInCacheKeyAndForwardedToOrigin": {"EnableAcceptEncodingGzip": true,
  "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": ["Origin"]},
  "CookiesConfig": {"CookieBehavior": "none"}, "QueryStringsConfig": {"QueryStringBehavior": "none"}}}}'
write_config "$tmp/simplecors.json" '{"cache_policy": "CachingOptimized", "response_headers_policy": "SimpleCORS"}'
explain() { "$bin" edge explain --root "$tmp/root" --distribution cdn "$@"; }

# One request: behaviour, key, what reaches the origin, and the browser's verdict.
explain --config "$tmp/poisoned.json" --path /hls/index.m3u8 --header 'Origin: https://player.example' \
  --header 'X-Debug: 1' >"$tmp/one.out" 2>&1
status=$?
if [[ $status -eq 0 ]] && grep -q 'CacheBehaviors\[0\], PathPattern "/hls/\*"' "$tmp/one.out" &&
  grep -q 'headers:   Origin: https://player.example$' "$tmp/one.out" && grep -q 'browser:     allowed' "$tmp/one.out"; then
  ok "one request: the matched pattern, only Origin reaches the origin (X-Debug stripped), allowed, exit 0"
else
  not_ok "one request (exit $status)" "$(cat "$tmp/one.out")"
fi

# The story: curl first, then the player.
explain --config "$tmp/poisoned.json" --request "GET /video.mp4" \
  --request "GET /video.mp4" --header 'Origin: https://player.example' --at 5 >"$tmp/story.out" 2>&1
status=$?
if [[ $status -eq 1 ]] && grep -q 'DefaultCacheBehavior (\*)' "$tmp/story.out" &&
  grep -q 'cache key:   cdn | GET | /video.mp4' "$tmp/story.out" &&
  grep -q 'this response populated the entry (request with no Origin' "$tmp/story.out" &&
  grep -q 'X-Cache: Hit from cloudfront, Age: 5' "$tmp/story.out" &&
  grep -q 'answered from the entry request #1 populated' "$tmp/story.out" &&
  grep -q 'bucket CORS: matched rule 0: S3 sends Access-Control-Allow-Origin: https://player.example' "$tmp/story.out" &&
  grep -q 'BLOCKED: no Access-Control-Allow-Origin' "$tmp/story.out" && grep -q 'fix:' "$tmp/story.out"; then
  ok "poisoned cache: #1 populates without Origin, #2 is a Hit without ACAO although the bucket's rule 0 allows it, BLOCKED, exit 1"
else
  not_ok "poisoned cache (exit $status)" "$(cat "$tmp/story.out")"
fi

# The same from a requests file (the README's example).
cat >"$tmp/requests.json" <<'JSON'
[{"method": "GET", "path": "/video.mp4"},
 {"method": "GET", "path": "/video.mp4", "headers": {"Origin": "https://player.example"}, "at": 5}]
JSON
explain --config "$tmp/poisoned.json" --requests "$tmp/requests.json" >"$tmp/file.out" 2>&1
status=$?
[[ $status -eq 1 ]] && grep -q 'Summary: 2 request(s), 1 cross-origin, 1 blocked' "$tmp/file.out" &&
  ok "--requests FILE: the same story, exit 1" || not_ok "--requests (exit $status)" "$(cat "$tmp/file.out")"

for fix in origin-key simplecors; do
  explain --config "$tmp/$fix.json" --requests "$tmp/requests.json" >"$tmp/$fix.out" 2>&1
  status=$?
  if [[ $status -eq 0 ]] && grep -q '1 cross-origin, 0 blocked' "$tmp/$fix.out" &&
    grep -qi 'CORS:        Access-Control-Allow-Origin: ' "$tmp/$fix.out"; then
    ok "fix $fix: the player is allowed after the request without Origin, exit 0"
  else
    not_ok "fix $fix (exit $status)" "$(cat "$tmp/$fix.out")"
  fi
done
grep -q 'X-Cache: Miss from cloudfront' <(sed -n '/^#2/,$p' "$tmp/origin-key.out") &&
  ok "with Origin in the key the player's request is its own Miss" || not_ok "origin-key miss" "$(cat "$tmp/origin-key.out")"

explain --config "$tmp/poisoned.json" >"$tmp/usage.out" 2>&1
[[ $? -eq 2 ]] && grep -q 'give --path, --request or --requests' "$tmp/usage.out" && ok "no request: exit 2" ||
  not_ok "no request" "$(cat "$tmp/usage.out")"
"$bin" edge explain --root "$tmp/root" --config "$tmp/poisoned.json" --distribution nosuch --path /x >"$tmp/nosuch.out" 2>&1
[[ $? -eq 2 ]] && grep -q 'no distribution "nosuch" (it has cdn)' "$tmp/nosuch.out" && ok "unknown distribution: exit 2" ||
  not_ok "unknown distribution" "$(cat "$tmp/nosuch.out")"

# Online: the server logs the refused cross-origin response it served from cache.
start_server --root "$tmp/root" --config "$tmp/poisoned.json" --log-level warn
edge_line=$(grep -m1 -E '^distribution cdn listening on http://127\.0\.0\.1:[0-9]+$' "$tmp/server.out")
[[ -n $edge_line ]] || { not_ok "distribution line" "$(cat "$tmp/server.out")"; finish; }
edge="http://127.0.0.1:${edge_line##*:}"
curl -s -o /dev/null "$edge/video.mp4"
curl -s -o /dev/null -H 'Origin: https://player.example' "$edge/video.mp4"
curl -s -o /dev/null -H 'Origin: https://player.example' "$edge/video.mp4"
for _ in $(seq 50); do grep -q 'refused by the browser' "$tmp/server.out" "$tmp/server.err" && break; sleep 0.1; done
lines=$(cat "$tmp/server.out" "$tmp/server.err" | grep -c 'edge cdn: cross-origin GET /video.mp4 from Origin https://player.example answered from cache (Hit from cloudfront, key cdn | GET | /video.mp4 | ?)')
if [[ $lines -eq 1 ]] && grep -q 'stored for a request with no Origin. Fix: ' "$tmp/server.out" "$tmp/server.err"; then
  ok "the server logs the refused response from cache once (rate-limited), naming the populating request and the fix"
else
  not_ok "refused-from-cache log line ($lines lines)" "$(cat "$tmp/server.out" "$tmp/server.err" | tail -5)"
fi
finish
