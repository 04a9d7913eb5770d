#!/usr/bin/env bash
# End-to-end browser test of Edge mode, the user's story: HLS in a bucket behind a CloudFront-like
# distribution, played by hls.js and by video.js (VHS) in headless Chromium from another origin.
#
# Usage: bash tests/e2e/browser_edge_test.sh /path/to/s3cors
#
# Bucket "media" (a copy of the example HLS stream) has the S3 user guide's three-rule CORS
# configuration as the console takes it: two upload rules for named origins, and GET/HEAD from any
# origin ("*", AllowedHeaders *, ExposeHeaders ETag/Content-Length/Content-Range, MaxAgeSeconds).
# One s3cors serves three distributions in front of it, each differing from the first by one
# setting:
#   optimized   cache policy CachingOptimized, origin request policy CORS-S3Origin (Origin reaches
#               the bucket, but is not in the cache key), no response headers policy
#   origin-key  the same with an inline cache policy: CachingOptimized's settings plus Origin in
#               the cache key
#   simplecors  the same as optimized plus the response headers policy SimpleCORS
# The story, in order (each browser run is one Chromium with a fresh context per player):
#   (a) curl (no Origin; the Accept-Encoding a browser sends, so its cache key is the browser's)
#       fetches every playlist and segment through "optimized": all Miss, none with
#       Access-Control-Allow-Origin -> a CORS request is now a Hit without ACAO -> hls.js and
#       video.js on the page origin both fail (player error event, Chromium: blocked by CORS)
#   (b) `s3cors edge invalidate --distribution optimized '/hls/*'` -> both play; the entries the
#       browser's requests populated now carry ACAO
#   (c) through origin-key and through simplecors, the same curl first -> both players play; then
#       the reverse order (flush, players first, curl, players again) -> both play
# Installs what it needs like browser_hls_test.sh (tests/e2e/lib/browser.sh).
#
# Exit status 0 when every check passed ("ok - ..." / "not ok - ..." lines, then a summary).
set -uo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/browser.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/browser.sh"
e2e_begin "$@"
browser_begin
browser_page_serves edge_player.html node_modules/hls.js/dist/hls.min.js node_modules/video.js/dist/video.min.js
ok "page server at $page_origin serves edge_player.html, hls.js and video.js"
page_url="$page_origin/edge_player.html"

# ---------------------------------------------------------------------------
# The bucket (browser_begin copied the example's), its CORS configuration, the distributions.
cat >"$tmp/cors.json" <<'JSON'
{"CORSRules": [
  {"AllowedHeaders": ["*"], "AllowedMethods": ["PUT", "POST", "DELETE"],
   "AllowedOrigins": ["http://www.example1.com"], "ExposeHeaders": []},
  {"AllowedHeaders": ["*"], "AllowedMethods": ["PUT", "POST", "DELETE"],
   "AllowedOrigins": ["http://www.example2.com"], "ExposeHeaders": []},
  {"AllowedHeaders": ["*"], "AllowedMethods": ["GET", "HEAD"], "AllowedOrigins": ["*"],
   "ExposeHeaders": ["ETag", "Content-Length", "Content-Range"], "MaxAgeSeconds": 3000}
]}
JSON
cat >"$tmp/config.json" <<'JSON'
{"buckets": {"media": {"cors": "cors.json"}},
 "distributions": {
  "optimized": {"listen": "127.0.0.1:0", "origin": {"bucket": "media"},
    "default_behavior": {"cache_policy": "CachingOptimized", "origin_request_policy": "CORS-S3Origin"}},
  "origin-key": {"listen": "127.0.0.1:0", "origin": {"bucket": "media"},
    "default_behavior": {"origin_request_policy": "CORS-S3Origin", "cache_policy": {
      "Name": "CachingOptimized-plus-Origin", "MinTTL": 1, "DefaultTTL": 86400, "MaxTTL": 31536000,
      "ParametersInCacheKeyAndForwardedToOrigin": {
        "EnableAcceptEncodingGzip": true, "EnableAcceptEncodingBrotli": true,
        "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": {"Quantity": 1, "Items": ["Origin"]}},
        "CookiesConfig": {"CookieBehavior": "none"},
        "QueryStringsConfig": {"QueryStringBehavior": "none"}}}}},
  "simplecors": {"listen": "127.0.0.1:0", "origin": {"bucket": "media"},
    "default_behavior": {"cache_policy": "CachingOptimized", "origin_request_policy": "CORS-S3Origin",
      "response_headers_policy": "SimpleCORS"}}}}
JSON
start_server --root "$tmp/root" --config "$tmp/config.json" --log-level info
declare -A edge=()
for ((i = 0; i < 100; i++)); do
  for d in optimized origin-key simplecors; do
    line=$(grep -m1 -E "^distribution $d listening on http://127\.0\.0\.1:[0-9]+\$" "$tmp/server.out")
    [[ -n $line ]] && edge[$d]="http://127.0.0.1:${line##*:}"
  done
  [[ ${#edge[@]} -eq 3 ]] && break
  sleep 0.1
done
if [[ ${#edge[@]} -eq 3 ]]; then
  ok "three distributions listening: ${edge[*]}"
else
  not_ok "three distributions print their listening lines" "$(cat "$tmp/server.out")"
  finish
fi

# The objects of the stream, as paths under the distribution (/hls/master.m3u8, ...).
mapfile -t objects < <(cd "$tmp/root/media" && find hls -type f | sort | sed 's|^|/|')
browser_ae='gzip, deflate, br' # what Chromium's fetch/XHR accept (normalised by the key to br,gzip)

# fetch_all DIST WANT_XCACHE [ORIGIN [PATH]]: GET every object (or only PATH) through DIST with a
# browser's Accept-Encoding, with or without Origin. ok when every answer is 200 with the wanted X-Cache
# (Miss/Hit); sets acao_seen to the distinct Access-Control-Allow-Origin values ("none" if absent).
fetch_all() {
  local dist=$1 want=$2 origin=${3:-} path h bad="" what="without Origin" paths=("${objects[@]}")
  local -A seen=()
  [[ -n ${4:-} ]] && paths=("$4")
  local args=(-H "Accept-Encoding: $browser_ae")
  [[ -n $origin ]] && args+=(-H "Origin: $origin") && what="with Origin $origin"
  for path in "${paths[@]}"; do
    h=$(curl -s --max-time 10 -o /dev/null -D - "${args[@]}" "${edge[$dist]}$path" | tr -d '\r')
    grep -q '^HTTP/[0-9.]* 200' <<<"$h" && grep -qi "^x-cache: $want from cloudfront" <<<"$h" ||
      bad+="$path: $(head -1 <<<"$h") $(grep -i '^x-cache' <<<"$h"); "
    a=$(grep -i '^access-control-allow-origin:' <<<"$h" | cut -d' ' -f2-)
    seen[${a:-none}]=1
  done
  acao_seen="${!seen[*]}"
  if [[ -z $bad ]]; then
    ok "$dist: GET of ${4:-the ${#objects[@]} playlists and segments} $what: 200 $want (ACAO: $acao_seen)"
  else
    not_ok "$dist: GET of ${4:-the ${#objects[@]} playlists and segments} $what: 200 $want" "${bad:0:600}"
  fi
}

# expect_acao WHAT VALUE: acao_seen (from the last fetch_all) is exactly VALUE.
expect_acao() {
  if [[ $acao_seen == "$2" ]]; then ok "$1: Access-Control-Allow-Origin $2"; else not_ok "$1: Access-Control-Allow-Origin $2" "got: $acao_seen"; fi
}

# players DIST EXPECT LABEL: hls.js then video.js on the page origin, the stream through DIST.
players() {
  browser_run "$3" edge_players.mjs --page "$page_url" --manifest "${edge[$1]}/hls/master.m3u8" \
    --expect "$2" --players hls,videojs --timeout-ms 20000 --min-time 1.0
}

deadline=$((SECONDS + 360)) # the browser runs' budget (browser_run; ctest allows 600 s with installs)

# (a) The poisoned cache.
fetch_all optimized Miss
expect_acao "optimized: curl's answers (cached)" none
fetch_all optimized Hit "$page_origin"
expect_acao "optimized: a CORS request after curl is served curl's cached copy" none
players optimized blocked "(a) optimized after curl"

# (b) An invalidation.
check "(b) s3cors edge invalidate --distribution optimized '/hls/*'" \
  "$bin" edge invalidate --distribution optimized --url "$base" '/hls/*'
players optimized play "(b) optimized after the invalidation"
# The players fetch the master playlist first (the renditions and segments depend on their ABR).
fetch_all optimized Hit "$page_origin" /hls/master.m3u8
expect_acao "optimized: the entry the browser populated" "*"

# (c) The two fixes, whatever the order.
for d in origin-key simplecors; do
  fetch_all "$d" Miss
  players "$d" play "(c) $d after curl"
  check "(c) s3cors edge flush --distribution $d" "$bin" edge flush --distribution "$d" --url "$base"
  players "$d" play "(c) $d, players first"
  if [[ $d == origin-key ]]; then
    fetch_all "$d" Miss # curl's requests (no Origin) are their own entries
    expect_acao "origin-key: curl's entries" none
  else
    fetch_all "$d" Hit "" /hls/master.m3u8 # curl gets what the browser's request populated
    expect_acao "simplecors: curl gets the bucket's answer to the browser (SimpleCORS adds nothing without Origin)" "*"
  fi
  players "$d" play "(c) $d, players again after curl"
done

finish
