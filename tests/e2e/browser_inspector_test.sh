#!/usr/bin/env bash
# End-to-end browser test of the inspector (docs/inspector.md) on the example stream.
#
# Usage: bash tests/e2e/browser_inspector_test.sh /path/to/s3cors
#
# s3cors serves a copy of the example "media" bucket; its CORS rules allow the player page's
# origin GET/HEAD with only the Range header. In headless Chromium:
#   1. the inspector page (/_s3cors/inspector, on by default on loopback) is opened and goes live;
#   2. a player page on another origin (tests/e2e/browser/inspector_player.html: hls.js sending
#      X-Session-Id through xhrSetup) fails: its preflight is refused;
#   3. the refused preflight appears in the inspector's table; opened, it shows the per-rule
#      explanation and the suggested change, whose JSON is read from the page;
#   4. that JSON is applied with PutBucketCors (aws CLI), and the player plays.
# Also: the HAR export holds the refused preflight, and the page is not readable cross-origin.
set -uo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/browser.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/browser.sh"
e2e_begin "$@"
deadline=$((SECONDS + 280))
browser_begin aws
browser_page_serves inspector_player.html node_modules/hls.js/dist/hls.min.js

cat >"$tmp/cors.json" <<JSON
[{"ID": "player", "AllowedOrigins": ["$page_origin"], "AllowedMethods": ["GET", "HEAD"],
  "AllowedHeaders": ["range"], "ExposeHeaders": ["ETag", "Content-Length", "Content-Range"],
  "MaxAgeSeconds": 3000}]
JSON
echo '{"buckets": {"media": {"cors": "cors.json"}}}' >"$tmp/config.json"
start_server --root "$tmp/root" --config "$tmp/config.json"
manifest="$base/media/hls/master.m3u8"

code=$(curl -s -o "$tmp/page.html" -w '%{http_code}' -H "Origin: $page_origin" "$base/_s3cors/inspector")
if [[ $code == 200 ]] && grep -q 's3cors inspector' "$tmp/page.html"; then
  ok "the inspector page is served on a loopback listener"
else
  not_ok "the inspector page is served on a loopback listener" "status $code"
fi
headers=$(curl -s -D - -o /dev/null -H "Origin: $page_origin" "$base/_s3cors/inspector")
if ! grep -qi '^access-control-allow-origin' <<<"$headers" && grep -qi '^cross-origin-resource-policy: same-origin' <<<"$headers"; then
  ok "the page is not readable by another origin (no Access-Control-Allow-Origin, CORP same-origin)"
else
  not_ok "the page is not readable by another origin" "$headers"
fi

browser_run inspect inspector.mjs --mode inspect --inspector "$base/_s3cors/inspector" --page "$page_origin" \
  --manifest "$manifest" --out "$tmp/suggested.json"

curl -s "$base/_s3cors/inspector/har?refused=1" -o "$tmp/refused.har"
if python3 - "$tmp/refused.har" <<'PY'; then
import json, sys
log = json.load(open(sys.argv[1]))["log"]
assert log["version"] == "1.2", log["version"]
entries = log["entries"]
assert any(e["request"]["method"] == "OPTIONS" and e["response"]["status"] == 403 for e in entries), entries
PY
  ok "the HAR export of refused requests holds the refused preflight"
else
  not_ok "the HAR export of refused requests holds the refused preflight" "$(head -c 600 "$tmp/refused.har")"
fi

if [[ -s $tmp/suggested.json ]]; then
  if aws_cli s3api put-bucket-cors --bucket media --cors-configuration "file://$tmp/suggested.json" \
    >"$tmp/put.out" 2>&1; then
    ok "the suggested JSON is accepted by PutBucketCors (aws s3api put-bucket-cors)"
    browser_run play inspector.mjs --mode play --inspector "$base/_s3cors/inspector" --page "$page_origin" \
      --manifest "$manifest"
  else
    not_ok "the suggested JSON is accepted by PutBucketCors" "$(tail -c 600 "$tmp/put.out")"
  fi
else
  not_ok "the inspector gave a suggested JSON to apply"
fi
finish
