#!/usr/bin/env bash
# End-to-end test of media faults (README "Media faults", docs/faults.md §7) on the example
# bucket: rules from the configuration file (and their hot reload), `s3cors faults
# list|add|remove|clear` over /_s3cors/faults, and curl seeing each fault: a delayed
# multivariant playlist, a 503 SlowDown with the bucket's CORS headers on segment 2 of the
# 640x360 rendition (once), a segment cut after 16 KiB, and the access log naming the rules.
# Usage: bash tests/e2e/faults_test.sh /path/to/s3cors
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
e2e_begin "$@"
command -v curl >/dev/null || { echo "curl not found in PATH" >&2; exit 2; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cp -r "$repo/config/example-root" "$tmp/root"
cp "$repo/config/cors-media.json" "$tmp/cors-media.json"
write_config() { # write_config FAULTS_JSON
  cat >"$tmp/config.json" <<JSON
{"root": "root", "buckets": {"media": {"cors": "cors-media.json"}}, "faults": $1}
JSON
}
write_config '[{"name": "slow-manifest", "match": {"kind": "manifest"}, "action": {"latency": "400ms"}, "when": {"first": 1}}]'
start_server --config "$tmp/config.json" --log-level info
faults() { "$bin" faults "$@" --endpoint "$base"; }
origin=(-H 'Origin: http://localhost:8080')

# The file's rule is in force at start.
if faults list >"$tmp/list.out" 2>&1 && grep -q '"name":"slow-manifest"' "$tmp/list.out"; then
  ok "faults list shows the configuration file's rule"
else
  not_ok "faults list" "$(cat "$tmp/list.out")"
fi
elapsed=$(curl -s -o /dev/null -w '%{time_total}' "$base/media/hls/master.m3u8")
again=$(curl -s -o /dev/null -w '%{time_total}' "$base/media/hls/master.m3u8")
if awk -v a="$elapsed" -v b="$again" 'BEGIN { exit !(a >= 0.4 && b < 0.4) }'; then
  ok "slow start: the first multivariant playlist request waits 400 ms, the next does not ($elapsed s, $again s)"
else
  not_ok "slow start" "first $elapsed s, second $again s"
fi

# Rules added from a file (an array), each added in turn.
cat >"$tmp/rules.json" <<'JSON'
[{"name": "bad-segment", "match": {"kind": "segment", "segment": 2, "rendition": {"resolution": "640x360"}},
  "action": {"error": "SlowDown"}, "when": {"first": 1}, "response_header": true},
 {"name": "cut-segment", "match": {"kind": "segment", "segment": 3}, "action": {"cut_after": "16KiB"}}]
JSON
if faults add "$tmp/rules.json" >"$tmp/add.out" 2>&1 && grep -q '"name":"bad-segment"' "$tmp/add.out" &&
  grep -q '"name":"cut-segment"' "$tmp/add.out"; then
  ok "faults add FILE adds each rule of an array"
else
  not_ok "faults add FILE" "$(cat "$tmp/add.out")"
fi

curl -s -D "$tmp/h1" -o "$tmp/b1" "${origin[@]}" "$base/media/hls/640x360/seg_002.ts"
if head -1 "$tmp/h1" | grep -q ' 503 ' && grep -q '<Code>SlowDown</Code>' "$tmp/b1" &&
  grep -qi '^Access-Control-Allow-Origin: http://localhost:8080' "$tmp/h1" &&
  grep -qi '^x-s3cors-fault: bad-segment' "$tmp/h1" &&
  grep -qi '^Access-Control-Expose-Headers: .*x-s3cors-fault' "$tmp/h1"; then
  ok "one bad segment: 503 SlowDown with the bucket's CORS headers and the exposed fault header"
else
  not_ok "one bad segment" "$(cat "$tmp/h1" "$tmp/b1")"
fi
status=$(curl -s -o /dev/null -w '%{http_code}' "${origin[@]}" "$base/media/hls/640x360/seg_002.ts")
other=$(curl -s -o /dev/null -w '%{http_code}' "$base/media/hls/416x234/seg_002.ts")
if [[ $status == 200 && $other == 200 ]]; then
  ok "the retry succeeds (\"first\": 1), and the other rendition's segment 2 was never selected"
else
  not_ok "retry and other rendition" "retry $status, 416x234 $other"
fi

size=$(curl -s -o /dev/null -w '%{size_download}' "$base/media/hls/416x234/seg_003.ts")
code=$?
if [[ $code -eq 18 && $size -eq 16384 ]]; then
  ok "cut segment: curl reports a partial body (exit 18) after exactly 16384 bytes"
else
  not_ok "cut segment" "curl exit $code, $size bytes"
fi

for _ in $(seq 30); do grep -q 'fault=bad-segment' "$tmp/server.err" && break; sleep 0.1; done
if grep -q 'GET /media/hls/640x360/seg_002.ts 503 .* fault=bad-segment' "$tmp/server.err" &&
  grep -q 'GET /media/hls/416x234/seg_003.ts 200 .* fault=cut-segment' "$tmp/server.err"; then
  ok "the access log names the rule that fired"
else
  not_ok "access log fault field" "$(grep 'seg_00' "$tmp/server.err" | tail -5)"
fi

faults add '{"name": "bad", "action": {"throughput": "fast"}}' >"$tmp/bad.out" 2>&1
code=$?
if [[ $code -eq 1 ]] && grep -q '/action/throughput' "$tmp/bad.out"; then
  ok "an invalid rule is refused with its JSON pointer (exit 1)"
else
  not_ok "invalid rule (exit $code)" "$(cat "$tmp/bad.out")"
fi
"$bin" faults remove >"$tmp/usage.out" 2>&1
check "faults remove without a NAME is a usage error (exit 2)" test $? -eq 2

faults remove cut-segment >/dev/null 2>&1
size=$(curl -s -o /dev/null -w '%{size_download}' "$base/media/hls/416x234/seg_003.ts")
check "faults remove: the segment is whole again" test "$size" -eq "$(stat -c %s "$tmp/root/media/hls/416x234/seg_003.ts")"

# Hot reload: a changed "faults" replaces the file's rules.
write_config '[{"name": "reloaded", "match": {"kind": "init"}, "action": {"error": 500}}]'
for _ in $(seq 50); do faults list 2>/dev/null | grep -q '"name":"reloaded"' && break; sleep 0.1; done
if faults list 2>/dev/null | grep -q '"name":"reloaded"' && ! faults list 2>/dev/null | grep -q 'slow-manifest'; then
  ok "an edit of the file's \"faults\" is reloaded"
else
  not_ok "hot reload" "$(faults list 2>&1)"
fi

faults clear >/dev/null 2>&1
if faults list 2>/dev/null | grep -q '{"rules":\[\]}'; then ok "faults clear removes every rule"; else not_ok "faults clear" "$(faults list 2>&1)"; fi

finish
