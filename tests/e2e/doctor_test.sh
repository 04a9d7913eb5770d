#!/usr/bin/env bash
# End-to-end test of `s3cors doctor` (docs/doctor.md) against the example stream
# (config/example.json, bucket "media", config/example-root/media/hls): all-ok on the shipped
# rules, then rules that break each check in turn, put with PutBucketCors (aws CLI), asserting
# the verdict and the suggested fix; the suggested configuration, put back with the aws CLI,
# makes the doctor pass again.
#
# Usage: bash tests/e2e/doctor_test.sh /path/to/s3cors
set -uo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
e2e_begin "$@"
for tool in aws curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool not found in PATH" >&2; exit 2; }
done
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# A copy of the example configuration and root: PutBucketCors and PutObject write into it.
cp -r "$repo_root/config" "$tmp/config"
# Two distributions in front of the bucket (Edge mode): "cdn" keeps S3's Vary, "cdn-novary"
# removes it with a response headers policy (a cache that mixes origins up).
python3 - "$tmp/config/example.json" <<'PY'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
behavior = {"cache_policy": "CachingOptimized", "origin_request_policy": "CORS-S3Origin"}
no_vary = dict(behavior, response_headers_policy={
    "Name": "no-vary", "RemoveHeadersConfig": {"Quantity": 1, "Items": [{"Header": "Vary"}]}})
config["distributions"] = {
    "cdn": {"listen": "127.0.0.1:0", "origin": {"bucket": "media"}, "default_behavior": behavior},
    "cdn-novary": {"listen": "127.0.0.1:0", "origin": {"bucket": "media"}, "default_behavior": no_vary},
}
json.dump(config, open(path, "w"))
PY
start_server --config "$tmp/config/example.json"
edge_base() { # edge_base NAME: the distribution's http://127.0.0.1:PORT from the server's listening line
  grep -m1 -E "^distribution $1 listening on http://127\.0\.0\.1:[0-9]+$" "$tmp/server.out" | sed 's/.* on //'
}
origin=http://localhost:8080
hls="$base/media/hls/master.m3u8"

# doctor ARGS...: runs the doctor with --json; sets out (the JSON) and status.
doctor() {
  out=$("$bin" doctor "$@" --origin "$origin" --json 2>"$tmp/doctor.err")
  status=$?
  printf '%s\n' "$out" >"$tmp/doctor.json"
}
# field EXPR: a Python expression over the last JSON report (d).
field() { python3 -c "import json,sys; d=json.load(open('$tmp/doctor.json')); print($1)"; }
# findings CHECK: "verdict|rule_change" of every finding of that check, one per line, unique.
findings() {
  python3 - "$1" "$tmp/doctor.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[2]))
seen = []
for k in d["kinds"]:
    for q in k["requests"]:
        for f in q["findings"]:
            if f["check"] == sys.argv[1]:
                line = f'{f["verdict"]}|{f.get("rule_change", "")}'
                if line not in seen: seen.append(line)
print("\n".join(seen))
PY
}
put_rules() { # put_rules JSON: PutBucketCors with the aws CLI
  printf '%s\n' "$1" >"$tmp/rules.json"
  aws_cli s3api put-bucket-cors --bucket media --cors-configuration "file://$tmp/rules.json" >"$tmp/aws.out" 2>&1
}
apply_fix() { # apply_fix: puts the report's combined configuration, as a user would paste it
  field 'json.dumps(d["fix"]["configuration"])' >"$tmp/fix.json" &&
    aws_cli s3api put-bucket-cors --bucket media --cors-configuration "file://$tmp/fix.json" >"$tmp/aws.out" 2>&1
}
expect() { # expect DESCRIPTION EXPECTED ACTUAL
  if [[ $2 == "$3" ]]; then ok "$1"; else not_ok "$1" "expected: $2" "actual:   $3" "$(head -c 600 "$tmp/doctor.err")"; fi
}

# ---------------------------------------------------------------------------
# 1. The shipped rules (config/cors-media.json) serve the example stream to hls.js.
doctor "$hls" --player hls.js
expect "shipped rules: exit status 0" 0 "$status"
expect "shipped rules: verdict ok" ok "$(field 'd["verdict"]')"
expect "shipped rules: the rules were read with GetBucketCors" True "$(field 'd["rules_known"]')"
expect "shipped rules: manifest, 2 media playlists, 2 segments" "manifest:1 media playlist:2 segment:2" \
  "$(field '" ".join(k["kind"]+":"+str(len(k["requests"])) for k in d["kinds"])')"
text=$("$bin" doctor "$hls" --origin "$origin")
check "text output: 'Verdict: ok'" grep -q '^Verdict: ok$' <<<"$text"
for p in video.js shaka; do
  doctor "$hls" --player "$p"
  expect "shipped rules: $p verdict ok" "0 ok" "$status $(field 'd["verdict"]')"
done

# A byte-range rendition (EXT-X-BYTERANGE): the server answers 206 and exposes Content-Range.
printf '#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:2\n#EXT-X-BYTERANGE:1000@0\n#EXTINF:2,\n416x234/seg_000.ts\n#EXT-X-ENDLIST\n' \
  >"$tmp/br.m3u8"
curl -fsS -X PUT --data-binary "@$tmp/br.m3u8" "$base/media/hls/byterange.m3u8" >/dev/null
doctor "$base/media/hls/byterange.m3u8" --player hls.js
expect "byte ranges: Range bytes=0-999 is checked and passes" "0 ok bytes=0-999" \
  "$status $(field 'd["verdict"]') $(field '[q["range"] for k in d["kinds"] for q in k["requests"] if q["range"]][0]')"

# A live MPD whose clock sync is a HEAD (UTCTiming http-head) on an object of the bucket.
cat >"$tmp/live.mpd" <<'MPD'
<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" availabilityStartTime="2024-01-01T00:00:00Z">
  <UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-head:2014" value="/media/hls/master.m3u8"/>
  <Period id="0">
    <AdaptationSet mimeType="video/mp4">
      <SegmentTemplate initialization="$RepresentationID$/init.mp4" media="$RepresentationID$/seg_$Number%03d$.m4s" startNumber="0"/>
      <Representation id="416x234" bandwidth="327800"/>
    </AdaptationSet>
  </Period>
</MPD>
MPD
curl -fsS -X PUT --data-binary "@$tmp/live.mpd" "$base/media/hls-fmp4/live.mpd" >/dev/null
mpd="$base/media/hls-fmp4/live.mpd"

# ---------------------------------------------------------------------------
# 2. Expose-Headers: dash.js reads Date from its clock-sync HEAD; the shipped rules do not expose it.
doctor "$mpd" --player dash.js
expect "unexposed Date: exit status 1" 1 "$status"
expect "unexposed Date: the clock sync fails" fail "$(field '[k["verdict"] for k in d["kinds"] if k["kind"]=="clock sync"][0]')"
expect "unexposed Date: fix names the rule" "fail|add Date to rule 0's ExposeHeaders" "$(findings expose)"
check "unexposed Date: the suggested configuration is accepted by PutBucketCors" apply_fix
doctor "$mpd" --player dash.js
expect "unexposed Date: after the fix, all ok" "0 ok" "$status $(field 'd["verdict"]')"

# 3. Missing HEAD.
put_rules '{"CORSRules":[{"AllowedOrigins":["http://localhost:8080"],"AllowedMethods":["GET"],"ExposeHeaders":["Date"]}]}'
doctor "$mpd" --player dash.js
expect "missing HEAD: exit status 1" 1 "$status"
expect "missing HEAD: fix names the rule" "fail|add HEAD to rule 0's AllowedMethods" "$(findings head)"
check "missing HEAD: apply the fix" apply_fix
doctor "$mpd" --player dash.js
expect "missing HEAD: after the fix, all ok" "0 ok" "$status $(field 'd["verdict"]')"

# 4. "*" with credentials.
put_rules '{"CORSRules":[{"AllowedOrigins":["*"],"AllowedMethods":["GET","HEAD"]}]}'
doctor "$hls" --player hls.js
expect "\"*\" without credentials: ok" "0 ok" "$status $(field 'd["verdict"]')"
doctor "$hls" --player hls.js --credentials
expect "\"*\" with credentials: exit status 1" 1 "$status"
expect "\"*\" with credentials: fix inserts a rule for the origin" \
  "fail|insert before rule 0 a copy of it for origin http://localhost:8080 (a \"*\" rule cannot answer a credentialed request)" \
  "$(findings credentials)"
check "\"*\" with credentials: apply the fix" apply_fix
doctor "$hls" --player hls.js --credentials
expect "\"*\" with credentials: after the fix, all ok" "0 ok" "$status $(field 'd["verdict"]')"

# 5. A preflight refused for a header the page sends (xhrSetup adds X-Session).
put_rules '{"CORSRules":[{"AllowedOrigins":["http://localhost:8080"],"AllowedMethods":["GET"]}]}'
doctor "$hls" --player hls.js --header X-Session
expect "refused preflight: exit status 1" 1 "$status"
expect "refused preflight: fix names the header" "fail|add x-session to rule 0's AllowedHeaders" "$(findings preflight)"
check "refused preflight: apply the fix" apply_fix
doctor "$hls" --player hls.js --header X-Session
expect "refused preflight: after the fix, all ok" "0 ok" "$status $(field 'd["verdict"]')"

# 6. A page on an origin no rule names: a new rule for exactly that origin.
origin=http://other.example
doctor "$hls" --player hls.js
expect "unknown origin: fix adds a rule" "fail|add rule 1 allowing GET from origin http://other.example" "$(findings cors)"
origin=http://localhost:8080

# 7. Vary behind a cache (Edge mode): the rules are not readable through a distribution, so
# the verdict comes from the real answers and the fix is in words.
doctor "$(edge_base cdn)/hls/master.m3u8" --player hls.js
expect "edge keeping Vary: all ok" "0 ok False" "$status $(field 'd["verdict"]') $(field 'd["rules_known"]')"
doctor "$(edge_base cdn-novary)/hls/master.m3u8" --player hls.js
expect "edge removing Vary: exit status 1" 1 "$status"
expect "edge removing Vary: the vary check fails" "fail|" "$(findings vary)"
check "edge removing Vary: the fix says Vary: Origin" grep -q 'send Vary: Origin' "$tmp/doctor.json"

# 8. Usage errors exit 2.
"$bin" doctor >/dev/null 2>&1
expect "no URL: exit status 2" 2 "$?"
"$bin" doctor "$hls" --player flash >/dev/null 2>&1
expect "unknown player: exit status 2" 2 "$?"
"$bin" doctor "$hls" --player dash.js >/dev/null 2>&1
expect "dash.js on an HLS playlist: exit status 2" 2 "$?"
"$bin" doctor "$base/media/nothing.m3u8" >/dev/null 2>&1
expect "a missing manifest: exit status 2" 2 "$?"

finish
