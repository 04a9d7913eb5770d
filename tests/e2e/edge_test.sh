#!/usr/bin/env bash
# End-to-end test of Edge mode with curl and `s3cors edge`: a distribution on its own listener
# in front of bucket "media" (CachingOptimized + CORS-S3Origin): Miss then Hit, the poisoned
# cache (a request without Origin cached first, then a browser's request served from it without
# Access-Control-Allow-Origin) and its detail in the inspector (both layers, the fix at the
# distribution), an invalidation from the CLI, Range from the cache, statistics.
# Usage: bash tests/e2e/edge_test.sh /path/to/s3cors
set -uo pipefail
bin=${1:-}
[[ -n $bin && -x $bin ]] || { echo "usage: $0 /path/to/s3cors" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl not found in PATH" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/s3cors-e2e.XXXXXX")
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
events_pid=
trap '[[ -n $events_pid ]] && kill "$events_pid" 2>/dev/null; stop_server; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

mkdir -p "$tmp/root/media/hls"
printf 'segment bytes 0123456789' >"$tmp/root/media/hls/seg1.ts"
cat >"$tmp/config.json" <<'JSON'
{"buckets": {"media": {"cors": [{"AllowedOrigins": ["https://player.example"], "AllowedMethods": ["GET", "HEAD"]}]}},
 "distributions": {"cdn": {"listen": "127.0.0.1:0", "origin": {"bucket": "media"},
   "default_behavior": {"cache_policy": "CachingOptimized", "origin_request_policy": "CORS-S3Origin"}}}}
JSON
start_server --root "$tmp/root" --config "$tmp/config.json" --log-level warn
edge_line=$(grep -m1 -E '^distribution cdn listening on http://127\.0\.0\.1:[0-9]+$' "$tmp/server.out")
[[ -n $edge_line ]] && ok "the distribution prints its listening line" || { not_ok "distribution line" "$(cat "$tmp/server.out")"; finish; }
edge="http://127.0.0.1:${edge_line##*:}"
# An inspector page (its event stream) open from the start: the distribution's requests are recorded.
curl -sN "$base/_s3cors/inspector/events" >"$tmp/events.txt" 2>/dev/null &
events_pid=$!
for _ in $(seq 50); do grep -q ': s3cors inspector' "$tmp/events.txt" && break; sleep 0.1; done

header() { # header NAME CURL_ARGS...: the value of one response header
  local name=$1
  shift
  curl -s -o /dev/null -D - "$@" | tr -d '\r' | grep -i "^$name:" | head -1 | cut -d' ' -f2-
}

[[ $(header X-Cache "$edge/hls/seg1.ts") == "Miss from cloudfront" ]] && ok "first GET: Miss" || not_ok "first GET"
[[ $(header X-Cache "$edge/hls/seg1.ts") == "Hit from cloudfront" ]] && ok "second GET: Hit" || not_ok "second GET"
[[ $(curl -s "$edge/hls/seg1.ts") == "segment bytes 0123456789" ]] && ok "the hit's body" || not_ok "body"
[[ -n $(header Via "$edge/hls/seg1.ts") && -n $(header X-Amz-Cf-Id "$edge/hls/seg1.ts") ]] &&
  ok "Via and X-Amz-Cf-Id" || not_ok "Via/X-Amz-Cf-Id"
[[ $(curl -s -r 8-12 "$edge/hls/seg1.ts") == "bytes" ]] && ok "Range served from the cached object" || not_ok "Range"

# The poisoned cache: the entry cached without Origin is served to the browser, without ACAO.
curl -s -D "$tmp/browser.h" -o /dev/null -H "Origin: https://player.example" "$edge/hls/seg1.ts"
if grep -qi '^X-Cache: Hit' "$tmp/browser.h" && ! grep -qi '^Access-Control-Allow-Origin' "$tmp/browser.h"; then
  ok "CachingOptimized: the browser gets the cached answer without Access-Control-Allow-Origin"
else
  not_ok "poisoned cache" "$(cat "$tmp/browser.h")"
fi
# The inspector's record of it: a distribution's, refused, explained at both layers; the fix is
# the distribution's (Origin into the cache key).
for _ in $(seq 50); do grep -q '"origin":"https://player.example".*"edge_cache":"Hit' "$tmp/events.txt" && break; sleep 0.1; done
record_id=$(grep '"origin":"https://player.example".*"edge_cache":"Hit' "$tmp/events.txt" | head -1 | sed 's/.*"id":\([0-9]*\).*/\1/')
curl -s "$base/_s3cors/inspector/requests/${record_id:-0}" >"$tmp/detail.json"
if grep -q '"distribution":"cdn"' "$tmp/detail.json" && grep -q '"refused":true' "$tmp/detail.json" &&
  grep -q '1. The distribution cdn' "$tmp/detail.json" && grep -q '2. The bucket media' "$tmp/detail.json" &&
  grep -q '"layer":"distribution"' "$tmp/detail.json" && grep -q "put Origin in the cache policy's key" "$tmp/detail.json"; then
  ok "inspector: the refused hit's detail explains the distribution and the bucket, and fixes the cache key"
else
  not_ok "inspector detail of the refused hit" "$(cat "$tmp/detail.json")"
fi
check "s3cors edge invalidate (main listener)" "$bin" edge invalidate --distribution cdn --url "$base" "/hls/*"
curl -s -D "$tmp/fresh.h" -o /dev/null -H "Origin: https://player.example" "$edge/hls/seg1.ts"
if grep -qi '^X-Cache: Miss' "$tmp/fresh.h" && grep -qi '^Access-Control-Allow-Origin: https://player.example' "$tmp/fresh.h"; then
  ok "after the invalidation the browser's request reaches the bucket and gets its ACAO"
else
  not_ok "after invalidation" "$(cat "$tmp/fresh.h")"
fi
"$bin" edge stats --distribution cdn --url "$edge" >"$tmp/stats.json" 2>&1
grep -q '"invalidations":1' "$tmp/stats.json" && grep -q '"hits":' "$tmp/stats.json" &&
  ok "s3cors edge stats (distribution listener)" || not_ok "stats" "$(cat "$tmp/stats.json")"
"$bin" edge invalidate --distribution cdn --url "$base" no-slash >"$tmp/bad.out" 2>&1
[[ $? -eq 1 ]] && grep -q InvalidArgument "$tmp/bad.out" && ok "an invalid path: exit 1, InvalidArgument" ||
  not_ok "invalid path" "$(cat "$tmp/bad.out")"
check "s3cors edge flush" "$bin" edge flush --distribution cdn --url "$edge"
[[ $(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$edge/hls/seg1.ts") == 403 ]] &&
  ok "a method the behaviour does not allow: 403" || not_ok "DELETE through the edge"

cat >"$tmp/bad-config.json" <<'JSON'
{"distributions": {"cdn": {"listen": "127.0.0.1:0", "origin": {"bucket": "nosuch"}}}}
JSON
"$bin" --root "$tmp/root" --listen 127.0.0.1:0 --config "$tmp/bad-config.json" >"$tmp/bad-start.out" 2>&1 </dev/null
[[ $? -ne 0 ]] && grep -q '/distributions/cdn/origin/bucket' "$tmp/bad-start.out" &&
  ok "an unknown origin bucket: refused at start with its JSON pointer" || not_ok "unknown bucket" "$(cat "$tmp/bad-start.out")"
finish
