#!/usr/bin/env bash
# End-to-end test of the s3cors read path with real clients (aws CLI + curl).
#
# Usage: bash tests/e2e/read_path_test.sh /path/to/s3cors
# Exit status 0 when every check passed. Each check prints "ok - ..." or
# "not ok - ...", and a "N passed, M failed" summary is printed at the end.
set -uo pipefail

# ok, not_ok, alive and the counters come from the shared helpers.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
e2e_begin "$@"
for tool in aws curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool not found in PATH" >&2; exit 2; }
done

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
media_src="$repo_root/config/example-root/media"
[[ -f $media_src/hls/master.m3u8 ]] || { echo "missing $media_src (run scripts/make-example-media.sh)" >&2; exit 2; }

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
# Data root: bucket "media" (example HLS) and bucket "docs".
root="$tmp/root"
mkdir -p "$root/docs/dir/sub"
cp -R "$media_src" "$root/media"
printf 'space and plus: a b+c\n' >"$root/docs/a b+c.txt"
printf '{"nested": true, "path": "dir/sub/x.json"}\n' >"$root/docs/dir/sub/x.json"
head -c $((8 * 1024 * 1024)) /dev/zero >"$root/docs/big.bin"

md5_of() { python3 -c 'import hashlib,sys; print(hashlib.md5(open(sys.argv[1],"rb").read()).hexdigest())' "$1"; }
size_of() { stat -c %s "$1"; }

master="$root/media/hls/master.m3u8"
master_size=$(size_of "$master")
master_md5=$(md5_of "$master")
segment_rel=$(cd "$root/media" && find hls -name '*.ts' | sort | head -n 1)
[[ -n $segment_rel ]] || { echo "no .ts segment in $media_src" >&2; exit 2; }

# ---------------------------------------------------------------------------
# Start the server on an ephemeral port and read the listening line (10 s).
"$bin" --root "$root" --listen 127.0.0.1:0 --log-level warn \
  </dev/null >"$tmp/server.out" 2>"$tmp/server.err" &
server_pid=$!

port=""
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
  ok "server prints 's3cors listening on http://127.0.0.1:$port'"
else
  not_ok "server prints its listening line within 10 s" \
    "stdout: $(head -c 300 "$tmp/server.out")" "stderr: $(tail -c 600 "$tmp/server.err")"
  finish
fi
base="http://127.0.0.1:$port"

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
  env AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 \
    AWS_CONFIG_FILE="$tmp/aws.config" AWS_SHARED_CREDENTIALS_FILE="$tmp/aws.credentials" \
    AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1 AWS_PAGER="" \
    aws --endpoint-url "$base" --cli-connect-timeout 5 --cli-read-timeout 20 "$@"
}
json_field() { # json_field FILE KEY
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "$1" "$2"
}

if s3 s3 cp s3://media/hls/master.m3u8 - >"$tmp/cp.out" 2>"$tmp/cp.err" &&
  cmp -s "$tmp/cp.out" "$master"; then
  ok "aws s3 cp s3://media/hls/master.m3u8 - equals the file"
else
  not_ok "aws s3 cp s3://media/hls/master.m3u8 - equals the file" "$(tail -c 400 "$tmp/cp.err")"
fi

if s3 s3 cp "s3://docs/a b+c.txt" - >"$tmp/cp2.out" 2>"$tmp/cp2.err" &&
  cmp -s "$tmp/cp2.out" "$root/docs/a b+c.txt"; then
  ok "aws s3 cp of key 'a b+c.txt' equals the file"
else
  not_ok "aws s3 cp of key 'a b+c.txt' equals the file" "$(tail -c 400 "$tmp/cp2.err")"
fi

if s3 s3 cp s3://docs/dir/sub/x.json - >"$tmp/cp3.out" 2>"$tmp/cp3.err" &&
  cmp -s "$tmp/cp3.out" "$root/docs/dir/sub/x.json"; then
  ok "aws s3 cp of nested key dir/sub/x.json equals the file"
else
  not_ok "aws s3 cp of nested key dir/sub/x.json equals the file" "$(tail -c 400 "$tmp/cp3.err")"
fi

if s3 s3 ls >"$tmp/ls.out" 2>"$tmp/ls.err" &&
  grep -qE '[[:space:]]media$' "$tmp/ls.out" && grep -qE '[[:space:]]docs$' "$tmp/ls.out"; then
  ok "aws s3 ls lists buckets media and docs"
else
  not_ok "aws s3 ls lists buckets media and docs" "stdout: $(head -c 400 "$tmp/ls.out")" \
    "stderr: $(tail -c 400 "$tmp/ls.err")"
fi

if s3 s3api head-object --bucket media --key hls/master.m3u8 >"$tmp/head.json" 2>"$tmp/head.err"; then
  got_len=$(json_field "$tmp/head.json" ContentLength)
  got_etag=$(json_field "$tmp/head.json" ETag)
  if [[ $got_len == "$master_size" ]]; then
    ok "aws s3api head-object ContentLength = $master_size"
  else
    not_ok "aws s3api head-object ContentLength = $master_size" "got '$got_len'"
  fi
  if [[ $got_etag == "\"$master_md5\"" ]]; then
    ok "aws s3api head-object ETag = quoted md5 of the file"
  else
    not_ok "aws s3api head-object ETag = quoted md5 of the file" "got '$got_etag', want '\"$master_md5\"'"
  fi
else
  not_ok "aws s3api head-object ContentLength = $master_size" "$(tail -c 400 "$tmp/head.err")"
  not_ok "aws s3api head-object ETag = quoted md5 of the file" "head-object failed"
fi

if s3 s3api get-object --bucket media --key hls/master.m3u8 --range bytes=0-9 "$tmp/range.out" \
  >"$tmp/get.json" 2>"$tmp/get.err" &&
  [[ $(size_of "$tmp/range.out") -eq 10 ]] && cmp -s "$tmp/range.out" <(head -c 10 "$master"); then
  ok "aws s3api get-object --range bytes=0-9 returns the first 10 bytes"
else
  not_ok "aws s3api get-object --range bytes=0-9 returns the first 10 bytes" \
    "$(tail -c 400 "$tmp/get.err")" "$(head -c 400 "$tmp/get.json" 2>/dev/null)"
fi

# ---------------------------------------------------------------------------
# curl. http PATH [curl args...] sets: code, size (body bytes received), hdrs and
# body (files; for -I the body file holds the headers again, size stays 0).
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
# Run a [[ ]] test first, then: result DESCRIPTION. Failures dump the response.
result() {
  local rc=$?
  if [[ $rc -eq 0 ]]; then
    ok "$1"
  else
    not_ok "$1" "status=$code size=$size" \
      "headers: $(tr -d '\r' <"$hdrs" | tr '\n' '|' | head -c 500)" "body: $(head -c 300 "$body")"
  fi
}
body_has() { grep -qF -- "$1" "$body"; }
body_is_file() { cmp -s "$body" "$1"; }

http /
[[ $code == 200 ]] && body_has "<Name>media</Name>" && body_has "<Name>docs</Name>"
result "GET / (ListBuckets) is 200 XML naming both buckets"

http /media/hls/master.m3u8
[[ $code == 200 ]] && body_is_file "$master"
result "GET .m3u8 is 200 with the file's bytes"
ctype=$(header Content-Type)
[[ ${ctype,,} == "application/vnd.apple.mpegurl" || ${ctype,,} == "application/vnd.apple.mpegurl;"* ]]
result "Content-Type of .m3u8 is application/vnd.apple.mpegurl"
[[ $(header ETag) == "\"$master_md5\"" ]]
result "GET ETag header is the quoted md5 of the file"

http "/media/$segment_rel"
ctype=$(header Content-Type)
[[ $code == 200 && ${ctype,,} == video/mp2t* ]]
result "Content-Type of .ts is video/mp2t"
body_is_file "$root/media/$segment_rel"
result "GET .ts returns the segment's bytes"

http /media/hls/master.m3u8 -I
[[ $code == 200 && $(header Content-Length) == "$master_size" && $size -eq 0 ]]
result "HEAD .m3u8 is 200 with Content-Length and no body"

http /media/hls/master.m3u8 -H 'Range: bytes=0-1'
[[ $code == 206 && $(header Content-Range) == "bytes 0-1/$master_size" ]] &&
  cmp -s "$body" <(head -c 2 "$master")
result "Range bytes=0-1 -> 206, Content-Range bytes 0-1/$master_size, first 2 bytes"

http /media/hls/master.m3u8 -H 'Range: bytes=-4'
[[ $code == 206 && $(header Content-Range) == "bytes $((master_size - 4))-$((master_size - 1))/$master_size" ]] &&
  cmp -s "$body" <(tail -c 4 "$master")
result "Range bytes=-4 (suffix) -> 206 with the last 4 bytes"

http /media/hls/master.m3u8 -H "Range: bytes=$master_size-"
[[ $code == 416 && $(header Content-Range) == "bytes */$master_size" ]] &&
  body_has "<Code>InvalidRange</Code>"
result "Range bytes=$master_size- -> 416 InvalidRange, Content-Range bytes */$master_size"

http /media/hls/no-such-key.m3u8
[[ $code == 404 ]] && body_has "<Code>NoSuchKey</Code>"
result "missing key -> 404 NoSuchKey"

http /no-such-bucket/some/key
[[ $code == 404 ]] && body_has "<Code>NoSuchBucket</Code>"
result "missing bucket -> 404 NoSuchBucket"

http /media/hls/master.m3u8 -H "If-None-Match: \"$master_md5\""
[[ $code == 304 && $size -eq 0 ]]
result "If-None-Match with the ETag -> 304 without a body"

http /media/hls/master.m3u8 -H 'If-None-Match: "0123456789abcdef0123456789abcdef"'
[[ $code == 200 && $size -eq $master_size ]]
result "If-None-Match with another ETag -> 200 with the body"

passwd_leak() { grep -q 'root:.*:0:0:' "$body"; }
for path in '/media/%2e%2e/%2e%2e/etc/passwd' '/media/..%2fetc' '/media/..%2f..%2f..%2fetc%2fpasswd'; do
  http "$path"
  ! passwd_leak && [[ $code -ge 400 && $code -lt 500 ]] && body_has "<Error>"
  result "traversal $path -> 4xx S3 <Error>, no passwd contents"
done
http '/media/../../etc/passwd'
! passwd_leak && [[ $code != 2* ]]
result "literal /media/../../etc/passwd is not served"

http '/docs/a%20b%2Bc.txt'
[[ $code == 200 ]] && body_is_file "$root/docs/a b+c.txt"
result "key with space and plus via a%20b%2Bc.txt -> 200 with its content"

http '/docs/dir/sub/x.json'
[[ $code == 200 ]] && body_is_file "$root/docs/dir/sub/x.json"
result "nested key dir/sub/x.json -> 200 with its content"

# A client that hangs up in the middle of a large body must not take the server
# down (e.g. an unhandled SIGPIPE/EPIPE on write).
abort_mid_body() {
  python3 - "$port" <<'EOF'
import socket, sys
for _ in range(3):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(b"GET /docs/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    s.recv(4096)
    # Unread data in the receive buffer makes close() send an RST.
    s.close()
EOF
}
abort_mid_body 2>/dev/null
sleep 0.3
http '/docs/dir/sub/x.json'
alive "$server_pid" && [[ $code == 200 ]]
result "server survives clients that disconnect in the middle of an 8 MiB body"

# ---------------------------------------------------------------------------
# Graceful shutdown: SIGTERM -> exit status 0 within 5 s.
already_dead=no
alive "$server_pid" || already_dead=yes
kill -TERM "$server_pid" 2>/dev/null
exited=no
for ((i = 0; i < 50; i++)); do
  if ! alive "$server_pid"; then exited=yes; break; fi
  sleep 0.1
done
if [[ $exited == yes ]]; then
  wait "$server_pid"
  status=$?
  server_pid=""
  if [[ $status -eq 0 ]]; then
    ok "SIGTERM -> server exits with status 0 within 5 s"
  else
    not_ok "SIGTERM -> server exits with status 0 within 5 s" "exit status $status" \
      "$([[ $already_dead == yes ]] && echo "the server had already exited before SIGTERM was sent")"
  fi
else
  not_ok "SIGTERM -> server exits with status 0 within 5 s" "still running after 5 s"
fi

finish
