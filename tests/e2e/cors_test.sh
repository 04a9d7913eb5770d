#!/usr/bin/env bash
# End-to-end test of s3cors bucket CORS (spec: docs/cors.md) with real clients:
# aws CLI and boto3 for Put/Get/DeleteBucketCors, curl for preflights and actual
# requests, the config-file reload (polling and SIGHUP) and `s3cors cors lint|explain`.
#
# Usage: bash tests/e2e/cors_test.sh /path/to/s3cors
# Exit status 0 when every check passed. Each check prints "ok - ..." or
# "not ok - ...", and a "N passed, M failed" summary is printed at the end.
set -uo pipefail

# ok, not_ok, alive and the counters come from the shared helpers.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
e2e_begin "$@"
for tool in aws curl python3 timeout; do
  command -v "$tool" >/dev/null || { echo "$tool not found in PATH" >&2; exit 2; }
done
python3 -c 'import boto3' 2>/dev/null || { echo "python3 module boto3 not found" >&2; exit 2; }

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

finish() {
  if [[ $failed -ne 0 && -s $tmp/server.err ]]; then
    echo "# --- server stderr (last 30 lines)"
    tail -n 30 "$tmp/server.err" | sed 's/^/#   /'
  fi
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
  exit
}

# ---------------------------------------------------------------------------
# Data root: bucket "media" with a small playlist and segment; config file.
root="$tmp/root"
mkdir -p "$root/media/hls"
printf '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nseg0.ts\n#EXT-X-ENDLIST\n' \
  >"$root/media/hls/index.m3u8"
python3 -c 'import sys; sys.stdout.buffer.write(bytes([0x47]) + bytes(187) * 1 + (bytes([0x47]) + bytes(187)) * 3)' \
  >"$root/media/hls/seg0.ts"
playlist="$root/media/hls/index.m3u8"

config="$tmp/s3cors.json"
# Phase 1: no CORS from the config file, so the API alone decides.
printf '{"root": "root", "buckets": {}, "cors_debug_header": false}\n' >"$config"

# ---------------------------------------------------------------------------
# Server start/stop. The server writes stderr to one file across restarts.
port=""
start_server() { # start_server LABEL -> sets server_pid, port, base; ok/not ok
  : >"$tmp/server.out"
  "$bin" --root "$root" --listen 127.0.0.1:0 --config "$config" --log-level info \
    </dev/null >"$tmp/server.out" 2>>"$tmp/server.err" &
  server_pid=$!
  port=""
  local i line
  for ((i = 0; i < 100; i++)); do
    line=$(grep -m1 -E '^s3cors listening on http://127\.0\.0\.1:[0-9]+$' "$tmp/server.out" 2>/dev/null)
    if [[ -n $line ]]; then
      port=${line##*:}
      break
    fi
    alive "$server_pid" || break
    sleep 0.1
  done
  if [[ -n $port ]]; then
    ok "$1: server prints 's3cors listening on http://127.0.0.1:$port'"
    base="http://127.0.0.1:$port"
    return 0
  fi
  not_ok "$1: server prints its listening line within 10 s" \
    "stdout: $(head -c 300 "$tmp/server.out")" "stderr: $(tail -c 600 "$tmp/server.err")"
  finish
}
stop_server() { # stop_server LABEL: SIGTERM -> exit 0 within 5 s
  local i exited=no status
  kill -TERM "$server_pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do
    if ! alive "$server_pid"; then exited=yes; break; fi
    sleep 0.1
  done
  if [[ $exited == yes ]]; then
    wait "$server_pid"
    status=$?
    server_pid=""
    if [[ $status -eq 0 ]]; then
      ok "$1: SIGTERM -> server exits with status 0"
    else
      not_ok "$1: SIGTERM -> server exits with status 0" "exit status $status"
    fi
  else
    not_ok "$1: SIGTERM -> server exits within 5 s" "still running; killing it"
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=""
  fi
}

start_server "start"

# ---------------------------------------------------------------------------
# aws CLI, isolated from any user configuration, path-style addressing.
cat >"$tmp/aws.config" <<'EOF'
[default]
region = us-east-1
s3 =
    addressing_style = path
EOF
: >"$tmp/aws.credentials"
s3() {
  timeout 60 env AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 \
    AWS_CONFIG_FILE="$tmp/aws.config" AWS_SHARED_CREDENTIALS_FILE="$tmp/aws.credentials" \
    AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1 AWS_PAGER="" \
    aws --endpoint-url "$base" --cli-connect-timeout 5 --cli-read-timeout 20 "$@"
}

# ---------------------------------------------------------------------------
# curl. http PATH [curl args...] sets: code, size, hdrs and body (files).
http() {
  local path=$1
  shift
  : >"$tmp/h"
  : >"$tmp/b"
  local out
  out=$(curl -s --path-as-is --max-time 20 -D "$tmp/h" -o "$tmp/b" -w '%{http_code} %{size_download}' \
    "$@" "$base$path")
  read -r code size <<<"$out"
  hdrs="$tmp/h"
  body="$tmp/b"
}
header() { # header NAME -> value of the last such header (CR stripped)
  grep -i "^$1:" "$hdrs" | tail -n 1 | cut -d: -f2- | tr -d '\r' | sed 's/^[[:space:]]*//;s/[[:space:]]*$//'
}
header_count() { grep -ci "^$1:" "$hdrs"; }
body_has() { grep -qF -- "$1" "$body"; }
dump() { # lines describing the last response
  printf '%s\n' "status=$code size=$size" \
    "headers: $(tr -d '\r' <"$hdrs" | tr '\n' '|' | head -c 700)" "body: $(head -c 400 "$body")"
}
# Run a [[ ]] test first, then: result DESCRIPTION. Failures dump the response.
result() {
  local rc=$?
  if [[ $rc -eq 0 ]]; then
    ok "$1"
  else
    local lines
    mapfile -t lines < <(dump)
    not_ok "$1" "${lines[@]}"
  fi
}
# expect_headers DESC NAME=VALUE... : each NAME exactly once with VALUE; NAME=-
# means the header must be absent. Also "status=NNN".
expect_headers() {
  local desc=$1 spec name want got n bad=()
  shift
  for spec in "$@"; do
    name=${spec%%=*}
    want=${spec#*=}
    if [[ $name == status ]]; then
      [[ $code == "$want" ]] || bad+=("status: got $code, want $want")
      continue
    fi
    n=$(header_count "$name")
    if [[ $want == - ]]; then
      [[ $n -eq 0 ]] || bad+=("$name must be absent, got '$(header "$name")'")
    else
      got=$(header "$name")
      [[ $n -eq 1 && $got == "$want" ]] || bad+=("$name: got '$got' ($n times), want '$want'")
    fi
  done
  if [[ ${#bad[@]} -eq 0 ]]; then
    ok "$desc"
  else
    local lines
    mapfile -t lines < <(dump)
    not_ok "$desc" "${bad[@]}" "${lines[@]}"
  fi
}
no_cors_headers() { ! grep -qiE '^(access-control-[a-z-]*|vary):' "$hdrs"; }
vary_all="Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

# preflight PATH ORIGIN METHOD [REQUEST_HEADERS]
preflight() {
  local args=(-X OPTIONS -H "Origin: $2" -H "Access-Control-Request-Method: $3")
  [[ -n ${4:-} ]] && args+=(-H "Access-Control-Request-Headers: $4")
  http "$1" "${args[@]}"
}

# ---------------------------------------------------------------------------
# 1. Put/Get/DeleteBucketCors with the aws CLI, preflights and actual requests.
o_player="https://player.example.com"
o_wild="http://cdn7.example.org"
o_evil="https://evil.example.com"
cat >"$tmp/cors.json" <<EOF
{"CORSRules": [
  {"ID": "player",
   "AllowedOrigins": ["$o_player", "http://*.example.org"],
   "AllowedMethods": ["GET", "HEAD"],
   "AllowedHeaders": ["Range", "x-amz-*"],
   "ExposeHeaders": ["ETag", "Content-Range"],
   "MaxAgeSeconds": 3000},
  {"ID": "uploads",
   "AllowedOrigins": ["https://upload.example.com"],
   "AllowedMethods": ["PUT", "POST", "DELETE"]}
]}
EOF
same_json() { # same_json FILE_A FILE_B: equal after parsing (key order free, list order kept)
  python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])) == json.load(open(sys.argv[2])) else 1)' \
    "$1" "$2" 2>/dev/null
}

if s3 s3api get-bucket-cors --bucket media >"$tmp/get0.out" 2>"$tmp/get0.err"; then
  not_ok "get-bucket-cors before any put fails with NoSuchCORSConfiguration" \
    "succeeded: $(head -c 300 "$tmp/get0.out")"
elif grep -q NoSuchCORSConfiguration "$tmp/get0.err"; then
  ok "get-bucket-cors before any put fails with NoSuchCORSConfiguration"
else
  not_ok "get-bucket-cors before any put fails with NoSuchCORSConfiguration" "$(tail -c 400 "$tmp/get0.err")"
fi

http /media?cors
[[ $code == 404 ]] && body_has "<Code>NoSuchCORSConfiguration</Code>" &&
  body_has "<Message>The CORS configuration does not exist</Message>" && body_has "<BucketName>media</BucketName>"
result "GET /media?cors without configuration -> 404 NoSuchCORSConfiguration, exact message, BucketName"

preflight /media/hls/index.m3u8 "$o_player" GET
[[ $code == 403 ]] && body_has "<Code>AccessForbidden</Code>" &&
  body_has "<Message>CORSResponse: CORS is not enabled for this bucket.</Message>" &&
  body_has "<ResourceType>BUCKET</ResourceType>" && no_cors_headers
result "preflight before any configuration -> 403 'CORS is not enabled', ResourceType BUCKET, no CORS headers"

if s3 s3api put-bucket-cors --bucket media --cors-configuration "file://$tmp/cors.json" \
  >"$tmp/put.out" 2>"$tmp/put.err"; then
  ok "aws s3api put-bucket-cors --cors-configuration file://cors.json succeeds"
else
  not_ok "aws s3api put-bucket-cors --cors-configuration file://cors.json succeeds" "$(tail -c 400 "$tmp/put.err")"
fi

check_get_cors() { # check_get_cors DESC
  if s3 s3api get-bucket-cors --bucket media >"$tmp/get.json" 2>"$tmp/get.err"; then
    if same_json "$tmp/get.json" "$tmp/cors.json"; then
      ok "$1"
    else
      not_ok "$1" "got: $(tr '\n' ' ' <"$tmp/get.json" | head -c 600)"
    fi
  else
    not_ok "$1" "$(tail -c 400 "$tmp/get.err")"
  fi
}
check_get_cors "get-bucket-cors prints the same rules that were put (JSON compared)"

persisted="$root/.s3cors/buckets/media/cors.xml"
if [[ -s $persisted ]] && grep -q '<AllowedOrigin>http://\*\.example\.org</AllowedOrigin>' "$persisted"; then
  ok "rules are persisted at ROOT/.s3cors/buckets/media/cors.xml"
else
  not_ok "rules are persisted at ROOT/.s3cors/buckets/media/cors.xml" \
    "$(find "$root/.s3cors" 2>&1 | head -5 | tr '\n' '|')" "$(head -c 300 "$persisted" 2>&1)"
fi

http /
[[ $code == 200 ]] && body_has "<Name>media</Name>" && ! body_has ".s3cors"
result "ListBuckets does not list the .s3cors state directory"

preflight /media/hls/index.m3u8 "$o_player" GET "Range, X-Amz-Date"
expect_headers "preflight from allowed origin: 200 with exact Access-Control-* and Vary (§9)" \
  status=200 \
  "Access-Control-Allow-Origin=$o_player" \
  "Access-Control-Allow-Credentials=true" \
  "Access-Control-Allow-Methods=GET, HEAD" \
  "Access-Control-Allow-Headers=range, x-amz-date" \
  "Access-Control-Expose-Headers=ETag, Content-Range" \
  "Access-Control-Max-Age=3000" \
  "Vary=$vary_all" \
  "Content-Type=-" \
  "Content-Length=0"
[[ $size -eq 0 && -n $(header x-amz-request-id) ]]
result "successful preflight has an empty body and x-amz-request-id"

preflight /media/hls/index.m3u8 "$o_wild" HEAD
expect_headers "preflight from wildcard-matched origin echoes the Origin (not the pattern), no Allow-Headers" \
  status=200 "Access-Control-Allow-Origin=$o_wild" "Access-Control-Allow-Methods=GET, HEAD" \
  "Access-Control-Allow-Headers=-" "Vary=$vary_all"

preflight /media/new-object.bin https://upload.example.com PUT
expect_headers "preflight matched by the second rule (key need not exist): its methods, no Max-Age/Expose" \
  status=200 "Access-Control-Allow-Origin=https://upload.example.com" \
  "Access-Control-Allow-Methods=PUT, POST, DELETE" "Access-Control-Max-Age=-" \
  "Access-Control-Expose-Headers=-" "Vary=$vary_all"

preflight /media/hls/index.m3u8 "$o_evil" GET
[[ $code == 403 ]] && body_has "<Code>AccessForbidden</Code>" && body_has "evalution of Origin" &&
  body_has "<Method>GET</Method>" && body_has "<ResourceType>OBJECT</ResourceType>" && no_cors_headers
result "preflight from disallowed origin -> 403 AccessForbidden, no Access-Control-*/Vary header"

preflight /media/hls/index.m3u8 "$o_player" GET "Authorization"
[[ $code == 403 ]] && body_has "<Code>AccessForbidden</Code>" && no_cors_headers
result "preflight with a request header the rule does not allow -> 403"

http /media/hls/index.m3u8 -X OPTIONS -H "Access-Control-Request-Method: GET"
[[ $code == 400 ]] && body_has "<Code>BadRequest</Code>" &&
  body_has "Insufficient information. Origin request header needed." && no_cors_headers
result "OPTIONS without Origin -> 400 BadRequest 'Origin request header needed'"

http /media/hls/index.m3u8 -H "Origin: $o_player"
expect_headers "GET with allowed Origin: 200 with ACAO, credentials, methods, expose, max-age, Vary" \
  status=200 "Access-Control-Allow-Origin=$o_player" "Access-Control-Allow-Credentials=true" \
  "Access-Control-Allow-Methods=GET, HEAD" "Access-Control-Expose-Headers=ETag, Content-Range" \
  "Access-Control-Max-Age=3000" "Access-Control-Allow-Headers=-" "Vary=$vary_all"
cmp -s "$body" "$playlist"
result "GET with allowed Origin returns the playlist's bytes"

http /media/hls/seg0.ts -H "Origin: $o_wild" -H 'Range: bytes=0-187'
expect_headers "Range GET of .ts with wildcard-matched Origin: 206 with ACAO and Vary" \
  status=206 "Access-Control-Allow-Origin=$o_wild" "Vary=$vary_all"

http /media/hls/missing.ts -H "Origin: $o_player"
expect_headers "GET of a missing key with allowed Origin: 404 keeps the CORS headers" \
  status=404 "Access-Control-Allow-Origin=$o_player" "Vary=$vary_all"

http /media/hls/index.m3u8 -H "Origin: $o_evil"
no_cors_headers && [[ $code == 200 ]] && cmp -s "$body" "$playlist"
result "GET with disallowed Origin: 200 with the body, no Access-Control-*/Vary"

http /media/hls/index.m3u8
no_cors_headers && [[ $code == 200 ]]
result "GET without Origin: no Access-Control-*/Vary"

http /media/hls/index.m3u8 -H "Origin: $o_player" -H "Access-Control-Request-Method: PUT"
no_cors_headers && [[ $code == 200 ]]
result "GET with allowed Origin but Access-Control-Request-Method: PUT -> no CORS headers"

# Restart on the same root: the rules survive.
stop_server "restart"
start_server "restart"
check_get_cors "after a restart get-bucket-cors still returns the same rules"
preflight /media/hls/index.m3u8 "$o_player" GET
expect_headers "after a restart the preflight from the allowed origin is still 200" \
  status=200 "Access-Control-Allow-Origin=$o_player"

if s3 s3api delete-bucket-cors --bucket media >"$tmp/del.out" 2>"$tmp/del.err"; then
  ok "aws s3api delete-bucket-cors succeeds"
else
  not_ok "aws s3api delete-bucket-cors succeeds" "$(tail -c 400 "$tmp/del.err")"
fi
if s3 s3api get-bucket-cors --bucket media >"$tmp/get2.out" 2>"$tmp/get2.err"; then
  not_ok "get-bucket-cors after delete fails with NoSuchCORSConfiguration" "succeeded: $(head -c 300 "$tmp/get2.out")"
elif grep -q NoSuchCORSConfiguration "$tmp/get2.err"; then
  ok "get-bucket-cors after delete fails with NoSuchCORSConfiguration"
else
  not_ok "get-bucket-cors after delete fails with NoSuchCORSConfiguration" "$(tail -c 400 "$tmp/get2.err")"
fi
preflight /media/hls/index.m3u8 "$o_player" GET
[[ $code == 403 ]] && body_has "CORS is not enabled for this bucket." && no_cors_headers
result "after delete the preflight -> 403 'CORS is not enabled for this bucket.'"
[[ ! -e $persisted ]]
result "after delete ROOT/.s3cors/buckets/media/cors.xml is gone"

http '/media?cors' -X DELETE
[[ $code == 204 && $size -eq 0 ]]
result "DELETE /media?cors without configuration -> 204, empty body"

# ---------------------------------------------------------------------------
# 2. boto3 round trip (botocore >= 1.36 sends x-amz-checksum-crc32, older Content-MD5).
boto_out=$(timeout 90 env AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 \
  AWS_CONFIG_FILE="$tmp/aws.config" AWS_SHARED_CREDENTIALS_FILE="$tmp/aws.credentials" \
  AWS_EC2_METADATA_DISABLED=true python3 -c '
import sys, boto3, botocore
from botocore.config import Config
from botocore.exceptions import ClientError
c = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                 config=Config(s3={"addressing_style": "path"}, connect_timeout=5, read_timeout=20,
                               retries={"max_attempts": 1, "mode": "standard"}))
rules = [{"ID": "boto", "AllowedOrigins": ["https://boto.example.com"], "AllowedMethods": ["GET", "PUT"],
          "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 60}]
def step(name, fn):
    try:
        r = fn()
        print(name, "ok", r if r is not None else "")
    except ClientError as e:
        print(name, "error", e.response.get("Error", {}).get("Code"), e)
    except Exception as e:
        print(name, "exception", repr(e))
def put():
    r = c.put_bucket_cors(Bucket="media", CORSConfiguration={"CORSRules": rules})
    return r["ResponseMetadata"]["HTTPStatusCode"]
def get():
    got = c.get_bucket_cors(Bucket="media")["CORSRules"]
    return "same" if got == rules else "different: %r" % (got,)
def delete():
    return c.delete_bucket_cors(Bucket="media")["ResponseMetadata"]["HTTPStatusCode"]
print("botocore", botocore.__version__)
step("put", put)
step("get", get)
step("delete", delete)
step("get-after-delete", get)
' "$base" 2>&1)
boto_check() { # boto_check LINE_PREFIX WANT_GLOB DESC
  # shellcheck disable=SC2053  # $2 is a glob on purpose
  if [[ $(grep -m1 "^$1 " <<<"$boto_out") == $2 ]]; then
    ok "$3"
  else
    local lines
    mapfile -t lines <<<"$boto_out"
    not_ok "$3" "${lines[@]}"
  fi
}
boto_check put "put ok 200" "boto3 put_bucket_cors succeeds"
boto_check get "get ok same" "boto3 get_bucket_cors returns the rules that were put"
boto_check delete "delete ok 204" "boto3 delete_bucket_cors -> 204"
boto_check get-after-delete "get-after-delete error NoSuchCORSConfiguration*" \
  "boto3 get_bucket_cors after delete raises NoSuchCORSConfiguration"

stop_server "phase 1 end"

# ---------------------------------------------------------------------------
# 3. CORS rules from the config file: reload on change (poll), invalid edit, SIGHUP.
o_a="http://a.example.com"
o_b="http://b.example.com"
o_c="http://c.example.com"
cors_file="$tmp/cors-media.json"
rules_for() { # console-array JSON allowing one origin
  printf '[{"ID": "file", "AllowedOrigins": ["%s"], "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": ["*"], "ExposeHeaders": []}]\n' "$1"
}
# Replace the file atomically (write + rename), as most editors do.
replace_file() { # replace_file FILE CONTENT
  printf '%s' "$2" >"$1.new" && mv -f "$1.new" "$1"
}
replace_file "$cors_file" "$(rules_for "$o_a")"
printf '{"root": "root", "buckets": {"media": {"cors": "cors-media.json"}}, "cors_debug_header": false}\n' >"$config"
start_server "config file"

preflight_code() { # preflight_code ORIGIN -> prints the status of a GET preflight
  preflight /media/hls/index.m3u8 "$1" GET >/dev/null
  printf '%s' "$code"
}
# wait_codes "ORIGIN=CODE ..." : poll up to 5 s until every preflight has its code.
wait_codes() {
  local i spec all
  for ((i = 0; i < 50; i++)); do
    all=yes
    for spec in "$@"; do
      [[ $(preflight_code "${spec%%=*}") == "${spec#*=}" ]] || { all=no; break; }
    done
    [[ $all == yes ]] && return 0
    sleep 0.1
  done
  return 1
}
codes_now() { local spec out=""; for spec in "$@"; do out+="${spec%%=*} -> $(preflight_code "${spec%%=*}"); "; done; echo "$out"; }

preflight /media/hls/index.m3u8 "$o_a" GET
expect_headers "config file rules: preflight from A -> 200 with ACAO A" \
  status=200 "Access-Control-Allow-Origin=$o_a" "Vary=$vary_all"
[[ $(preflight_code "$o_b") == 403 ]]
result "config file rules: preflight from B -> 403"

replace_file "$cors_file" "$(rules_for "$o_b")"
if wait_codes "$o_a=403" "$o_b=200"; then
  ok "CORS file rewritten to allow only B: within 5 s A -> 403 and B -> 200 (no restart)"
else
  not_ok "CORS file rewritten to allow only B: within 5 s A -> 403 and B -> 200 (no restart)" \
    "$(codes_now "$o_a=" "$o_b=")"
fi
alive "$server_pid"
result "server is still the same process after the reload"

rejected_before=$(grep -c "configuration reload rejected" "$tmp/server.err")
replace_file "$cors_file" '[{"ID": "broken", "AllowedOrigins": ["http://a.example.com"], '
seen=no
for ((i = 0; i < 50; i++)); do
  if [[ $(grep -c "configuration reload rejected" "$tmp/server.err") -gt $rejected_before ]]; then seen=yes; break; fi
  sleep 0.1
done
if [[ $seen == yes ]]; then
  ok "invalid JSON in the CORS file -> stderr 'configuration reload rejected' within 5 s"
else
  not_ok "invalid JSON in the CORS file -> stderr 'configuration reload rejected' within 5 s" \
    "stderr tail: $(tail -n 5 "$tmp/server.err" | tr '\n' '|')"
fi
[[ $(preflight_code "$o_b") == 200 && $(preflight_code "$o_a") == 403 ]]
result "after the rejected edit the previous rules stay: B -> 200, A -> 403"
sleep 1.5 # two more poll periods: the bad file must not be applied or flip-flop
[[ $(preflight_code "$o_b") == 200 ]] && alive "$server_pid"
result "1.5 s later B is still 200 and the server is alive"

# SIGHUP: rewrite the file in place with the same size and the same mtime, so a
# stat-based poll cannot see the change; SIGHUP must apply it.
write_same_stat() { # write_same_stat FILE CONTENT (pads with spaces to the old size)
  python3 - "$1" "$2" <<'EOF'
import os, sys
path, content = sys.argv[1], sys.argv[2].encode()
st = os.stat(path)
if len(content) < st.st_size:
    content += b" " * (st.st_size - len(content))
with open(path, "r+b") as f:
    f.write(content)
    f.truncate()
os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
EOF
}
replace_file "$cors_file" "$(rules_for "$o_b")"
wait_codes "$o_b=200" "$o_a=403" >/dev/null
sleep 1.2 # let the poller record this version
write_same_stat "$cors_file" "$(rules_for "$o_c")"
sleep 2.2
before_hup=$(preflight_code "$o_c")
[[ $before_hup == 200 ]] &&
  echo "# note: the poller already applied the same-size/same-mtime edit (content-based); SIGHUP below is not isolated"
kill -HUP "$server_pid"
if wait_codes "$o_c=200" "$o_b=403"; then
  ok "SIGHUP reloads the CORS file: within 5 s C -> 200 and B -> 403"
else
  not_ok "SIGHUP reloads the CORS file: within 5 s C -> 200 and B -> 403" "$(codes_now "$o_c=" "$o_b=")"
fi
sleep 0.3
alive "$server_pid"
result "server survives SIGHUP"

rejected_before=$(grep -c "configuration reload rejected" "$tmp/server.err")
write_same_stat "$cors_file" '[{"AllowedOrigins": ["*"], "AllowedMethods": ["OPTIONS"]}]'
kill -HUP "$server_pid"
seen=no
for ((i = 0; i < 50; i++)); do
  if [[ $(grep -c "configuration reload rejected" "$tmp/server.err") -gt $rejected_before ]]; then seen=yes; break; fi
  sleep 0.1
done
[[ $seen == yes && $(preflight_code "$o_c") == 200 && $(preflight_code "$o_evil") == 403 ]]
result "SIGHUP with an invalid rule (method OPTIONS) -> 'configuration reload rejected', C still 200"

# Rules set with PutBucketCors win over the file's; DeleteBucketCors restores them.
replace_file "$cors_file" "$(rules_for "$o_c")"
wait_codes "$o_c=200" >/dev/null
o_d="http://d.example.com"
printf '{"CORSRules": [{"AllowedOrigins": ["%s"], "AllowedMethods": ["GET"]}]}\n' "$o_d" >"$tmp/cors-d.json"
if s3 s3api put-bucket-cors --bucket media --cors-configuration "file://$tmp/cors-d.json" 2>"$tmp/putd.err" &&
  [[ $(preflight_code "$o_d") == 200 && $(preflight_code "$o_c") == 403 ]]; then
  ok "PutBucketCors rules win over the config file's rules (D -> 200, C -> 403)"
else
  not_ok "PutBucketCors rules win over the config file's rules (D -> 200, C -> 403)" \
    "$(tail -c 300 "$tmp/putd.err")" "$(codes_now "$o_d=" "$o_c=")"
fi
if s3 s3api delete-bucket-cors --bucket media 2>"$tmp/deld.err" &&
  [[ $(preflight_code "$o_c") == 200 && $(preflight_code "$o_d") == 403 ]]; then
  ok "after DeleteBucketCors the config file's rules apply again (C -> 200, D -> 403)"
else
  not_ok "after DeleteBucketCors the config file's rules apply again (C -> 200, D -> 403)" \
    "$(tail -c 300 "$tmp/deld.err")" "$(codes_now "$o_c=" "$o_d=")"
fi

# ---------------------------------------------------------------------------
# 4. s3cors cors lint / explain.
run_cli() { # run_cli OUTBASE ARGS... -> output in OUTBASE.out, sets cli_rc
  local out=$1
  shift
  timeout 20 "$bin" "$@" >"$out.out" 2>&1
  cli_rc=$?
}
shift_out() { tr '\n' '|' <"$1" | head -c 600; }

run_cli "$tmp/lint1" cors lint "$repo_root/config/cors-media.json"
if [[ $cli_rc -eq 0 || $cli_rc -eq 1 ]]; then
  ok "cors lint config/cors-media.json exits 0 or 1 (got $cli_rc)"
else
  not_ok "cors lint config/cors-media.json exits 0 or 1" "exit $cli_rc: $(shift_out "$tmp/lint1.out")"
fi

printf '[{"AllowedOrigins": ["*"], "AllowedMethods": ["OPTIONS"]}]\n' >"$tmp/options-method.json"
run_cli "$tmp/lint2" cors lint "$tmp/options-method.json"
if [[ $cli_rc -eq 2 ]] && grep -q "Unsupported method is OPTIONS" "$tmp/lint2.out"; then
  ok "cors lint of a rule with AllowedMethods [OPTIONS] exits 2 and says 'Unsupported method is OPTIONS'"
else
  not_ok "cors lint of a rule with AllowedMethods [OPTIONS] exits 2 and says 'Unsupported method is OPTIONS'" \
    "exit $cli_rc: $(shift_out "$tmp/lint2.out")"
fi

run_cli "$tmp/ex1" cors explain --bucket-config "$repo_root/config/cors-media.json" \
  --origin http://localhost:8080 --method GET --header Range --preflight
if [[ $cli_rc -eq 0 ]] && grep -q "Access-Control-Allow-Origin" "$tmp/ex1.out"; then
  ok "cors explain with an allowed origin exits 0 and prints Access-Control-Allow-Origin"
else
  not_ok "cors explain with an allowed origin exits 0 and prints Access-Control-Allow-Origin" \
    "exit $cli_rc: $(shift_out "$tmp/ex1.out")"
fi

run_cli "$tmp/ex2" cors explain --bucket-config "$repo_root/config/cors-media.json" \
  --origin https://wrong.example.net --method GET --preflight
if [[ $cli_rc -eq 1 ]] && grep -qF "https://wrong.example.net" "$tmp/ex2.out"; then
  ok "cors explain with a wrong origin exits 1 and mentions the origin"
else
  not_ok "cors explain with a wrong origin exits 1 and mentions the origin" \
    "exit $cli_rc: $(shift_out "$tmp/ex2.out")"
fi

run_cli "$tmp/ex3" cors explain --config "$config" --bucket media --origin "$o_c" --method GET --actual
if [[ $cli_rc -eq 0 ]] && grep -qF "Access-Control-Allow-Origin: $o_c" "$tmp/ex3.out"; then
  ok "cors explain --config --bucket media --actual uses the config file's rules (origin C allowed)"
else
  not_ok "cors explain --config --bucket media --actual uses the config file's rules (origin C allowed)" \
    "exit $cli_rc: $(shift_out "$tmp/ex3.out")"
fi

stop_server "end"
finish
