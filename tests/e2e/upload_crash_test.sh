#!/usr/bin/env bash
# End-to-end: interrupted uploads never leave a partial object. A client that disconnects
# mid-body, a client that ends its stream early, a server killed with SIGKILL while a body
# arrives or while it writes the object, and a multipart upload cut by SIGKILL: afterwards
# GET, ListObjectsV2 and the bucket folder show only real objects, an existing object keeps
# its old content byte for byte, and ROOT/.s3cors/tmp is emptied at start. Finally, the
# server stopped at each step of publishing an object (S3CORS_TEST_CRASH_AT) serves the old
# object with its metadata or the new one with its own after the restart.
# Usage: bash tests/e2e/upload_crash_test.sh /path/to/s3cors
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
e2e_begin "$@"
clients=() # the curl clients started in the background, killed at exit
# shellcheck disable=SC2317  # invoked via trap
kill_clients() {
  local c
  for c in "${clients[@]}"; do kill -KILL "$c" 2>/dev/null; done
}
e2e_at_exit kill_clients

root=$tmp/root
mkdir -p "$root/media/keep"
head -c $((1024 * 1024)) /dev/urandom >"$tmp/old.bin"
cp "$tmp/old.bin" "$root/media/keep/old.bin"
cp "$tmp/old.bin" "$root/media/race.bin"
printf 'x' >"$root/media/other.txt"
head -c $((50 * 1024 * 1024)) /dev/urandom >"$tmp/big.bin"
start_server --root "$root" --log-level warn

expected_entries=$'keep\nkeep/old.bin\nother.txt\nrace.bin'
expected_keys=$'keep/old.bin\nother.txt\nrace.bin'
# Every path below the bucket folder, files and folders.
bucket_entries() { (cd "$root/media" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort); }
listed_keys() {
  curl -sS --max-time 5 "$base/media?list-type=2" |
    python3 -c 'import re, sys; print("\n".join(re.findall(r"<Key>([^<]*)</Key>", sys.stdin.read())))'
}
status_of() { curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$base/$1"; }
tmp_empty() { [[ -z $(ls -A "$root/.s3cors/tmp" 2>/dev/null) ]]; }
# slow_put FILE KEY: a PUT at 10 MB/s in the background (its pid in $!).
slow_put() { curl -sS -o /dev/null --max-time 60 --limit-rate 10M -T "$1" "$base/media/$2" 2>/dev/null & }
# check_clean WHAT: only real objects are visible or on disk, keep/old.bin is intact.
check_clean() {
  local what=$1 entries keys
  entries=$(bucket_entries)
  [[ $entries == "$expected_entries" ]] && ok "$what: the bucket folder holds only the real objects" ||
    not_ok "$what: the bucket folder holds only the real objects" "got: $(tr '\n' ' ' <<<"$entries")"
  keys=$(listed_keys)
  [[ $keys == "$expected_keys" ]] && ok "$what: ListObjectsV2 shows only the real objects" ||
    not_ok "$what: ListObjectsV2 shows only the real objects" "got: $(tr '\n' ' ' <<<"$keys")"
  tmp_empty && ok "$what: no temp file left in ROOT/.s3cors/tmp" ||
    not_ok "$what: temp files left" "$(ls -A "$root/.s3cors/tmp")"
  curl -sS --max-time 10 -o "$tmp/got.bin" "$base/media/keep/old.bin"
  cmp -s "$tmp/old.bin" "$tmp/got.bin" && ok "$what: the existing object keeps its old content byte for byte" ||
    not_ok "$what: keep/old.bin changed" "$(cmp "$tmp/old.bin" "$tmp/got.bin" 2>&1)"
}
# kill_server: SIGKILL, reaped.
kill_server() {
  kill -KILL "$server_pid"
  wait "$server_pid" 2>/dev/null
  server_pid=""
}

# --- 1. clients killed mid-body: a new key and an existing one
slow_put "$tmp/big.bin" new/big.bin
c1=$!
slow_put "$tmp/big.bin" keep/old.bin
c2=$!
clients=("$c1" "$c2")
sleep 1.5 # 15 of 50 MB sent: well inside the body
if alive "$c1" && alive "$c2"; then ok "1: both uploads are still sending their bodies"; else not_ok "1: uploads ended early"; fi
[[ $(status_of media/new/big.bin) == 404 ]] && ok "1: while its body arrives the object does not exist" ||
  not_ok "1: object visible mid-upload"
[[ $(listed_keys) == "$expected_keys" ]] && ok "1: while bodies arrive ListObjectsV2 shows only the real objects" ||
  not_ok "1: listing mid-upload" "$(listed_keys | tr '\n' ' ')"
kill -KILL "$c1" "$c2"
wait "$c1" "$c2" 2>/dev/null
clients=()
[[ $(status_of media/new/big.bin) == 404 ]] && ok "1: after the client died the object does not exist" ||
  not_ok "1: object exists after the client died"
check_clean "1 (client killed)"

# --- 2. a client that ends its stream before Content-Length bytes: 400 IncompleteBody
python3 - "$port" >"$tmp/short.out" 2>&1 <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"PUT /media/keep/old.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n" + b"y" * 500000)
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode("utf-8", "replace"))
PY
if head -n1 "$tmp/short.out" | grep -q '^HTTP/1.1 400 ' && grep -q '<Code>IncompleteBody</Code>' "$tmp/short.out"; then
  ok "2: a body cut short by the client's end of stream gets 400 IncompleteBody"
else
  not_ok "2: short body answer" "$(head -c 600 "$tmp/short.out")"
fi
check_clean "2 (short body)"

# --- 3. the server killed while bodies arrive; a stray temp file as a killed writer leaves it
slow_put "$tmp/big.bin" new/big2.bin
c1=$!
slow_put "$tmp/big.bin" keep/old.bin
c2=$!
clients=("$c1" "$c2")
sleep 1.5
if alive "$c1" && alive "$c2"; then ok "3: both uploads are sending when the server is killed"; else not_ok "3: uploads ended early"; fi
kill_server
wait "$c1" "$c2" 2>/dev/null
clients=()
mkdir -p "$root/.s3cors/tmp"
head -c 4096 /dev/urandom >"$root/.s3cors/tmp/upload-4242-7"
start_server --root "$root" --log-level warn
tmp_empty && ok "3: the restarted server emptied ROOT/.s3cors/tmp" ||
  not_ok "3: ROOT/.s3cors/tmp not emptied at start" "$(ls -A "$root/.s3cors/tmp")"
[[ $(status_of media/new/big2.bin) == 404 ]] && ok "3: the object whose upload was cut does not exist" ||
  not_ok "3: partial object visible"
check_clean "3 (server killed mid-body)"

# --- 4. the server killed while it writes the object (as soon as its temp file appears)
# (bash reports the server's death by a signal it did not send: the group silences that.)
{
  python3 - "$port" "$root" "$server_pid" "$tmp/big.bin" >"$tmp/race.out" 2>&1 <<'PY'
import os, signal, socket, sys, threading, time
port, root, pid, path = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
data = open(path, "rb").read()
temp_dir = os.path.join(root, ".s3cors", "tmp")
def upload():
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(b"PUT /media/race.bin HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(data) + data)
        s.recv(100)
    except OSError:
        pass
sender = threading.Thread(target=upload, daemon=True)
sender.start()
deadline = time.monotonic() + 20
caught = False
while time.monotonic() < deadline and sender.is_alive():
    try:
        if os.listdir(temp_dir):
            os.kill(pid, signal.SIGKILL)
            caught = True
            break
    except FileNotFoundError:
        pass
if not caught:
    os.kill(pid, signal.SIGKILL)
print("caught" if caught else "missed")
PY
  wait "$server_pid"
} 2>/dev/null
server_pid=""
start_server --root "$root" --log-level warn
if grep -q '^caught' "$tmp/race.out"; then
  ok "4: the server was killed while its temp file existed"
else
  echo "# 4: the kill missed the write (the object was written before the temp file was seen): $(cat "$tmp/race.out")"
fi
curl -sS --max-time 10 -o "$tmp/race.got" "$base/media/race.bin"
if cmp -s "$tmp/race.got" "$tmp/old.bin" || cmp -s "$tmp/race.got" "$tmp/big.bin"; then
  ok "4: the object is its old or its new content, whole ($(stat -c %s "$tmp/race.got") bytes)"
else
  not_ok "4: a partial object" "$(stat -c %s "$tmp/race.got") bytes"
fi
check_clean "4 (server killed while writing)"

# --- 5. a multipart upload cut by SIGKILL: the upload survives, resumable; no object appears
upload_id=$(curl -sS --max-time 5 -X POST "$base/media/mp/video.mp4?uploads" | sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p')
[[ -n $upload_id ]] && ok "5: CreateMultipartUpload" || not_ok "5: CreateMultipartUpload gave no UploadId"
head -c $((5 * 1024 * 1024)) /dev/urandom >"$tmp/part1"
head -c $((30 * 1024 * 1024)) /dev/urandom >"$tmp/part2"
etag1=$(curl -sS --max-time 10 -D - -o /dev/null -T "$tmp/part1" "$base/media/mp/video.mp4?partNumber=1&uploadId=$upload_id" |
  tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
[[ $etag1 == "\"$(md5sum "$tmp/part1" | cut -d' ' -f1)\"" ]] && ok "5: part 1 uploaded" || not_ok "5: part 1 ETag $etag1"
slow_put "$tmp/part2" "mp/video.mp4?partNumber=2&uploadId=$upload_id"
c1=$!
clients=("$c1")
sleep 1.5
alive "$c1" && ok "5: part 2 is sending when the server is killed" || not_ok "5: part 2 ended early"
kill_server
wait "$c1" 2>/dev/null
clients=()
start_server --root "$root" --log-level warn
uploads=$(curl -sS --max-time 5 "$base/media?uploads")
if grep -q "<UploadId>$upload_id</UploadId>" <<<"$uploads" && grep -q '<Key>mp/video.mp4</Key>' <<<"$uploads"; then
  ok "5: after restart ListMultipartUploads lists the upload"
else
  not_ok "5: ListMultipartUploads" "$uploads"
fi
parts=$(curl -sS --max-time 5 "$base/media/mp/video.mp4?uploadId=$upload_id")
numbers=$(grep -o '<PartNumber>[0-9]*</PartNumber>' <<<"$parts" | tr -d '\n')
etag1_xml=$(sed 's/"/\&quot;/g' <<<"$etag1")
if [[ $numbers == "<PartNumber>1</PartNumber>" ]] && grep -qF "<ETag>$etag1_xml</ETag>" <<<"$parts"; then
  ok "5: ListParts shows the completed part 1 with its ETag, nothing of part 2"
else
  not_ok "5: ListParts" "$parts"
fi
[[ $(status_of media/mp/video.mp4) == 404 ]] && ok "5: the multipart object is not visible" || not_ok "5: object visible"
check_clean "5 (multipart cut)"
head -c $((3 * 1024 * 1024)) "$tmp/part2" >"$tmp/part2.short"
etag2=$(curl -sS --max-time 10 -D - -o /dev/null -T "$tmp/part2.short" "$base/media/mp/video.mp4?partNumber=2&uploadId=$upload_id" |
  tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
complete="<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>$etag1</ETag></Part>"
complete+="<Part><PartNumber>2</PartNumber><ETag>$etag2</ETag></Part></CompleteMultipartUpload>"
status=$(curl -sS --max-time 10 -o "$tmp/complete.out" -w '%{http_code}' -X POST --data-binary "$complete" \
  "$base/media/mp/video.mp4?uploadId=$upload_id")
curl -sS --max-time 10 -o "$tmp/video.got" "$base/media/mp/video.mp4"
if [[ $status == 200 ]] && cmp -s <(cat "$tmp/part1" "$tmp/part2.short") "$tmp/video.got"; then
  ok "5: the upload resumes after the restart: part 2 again, complete, the object is part 1 + part 2"
else
  not_ok "5: resuming the upload" "status $status: $(head -c 400 "$tmp/complete.out")"
fi

# --- 6. the server stopped at each step of publishing a PUT (docs/storage.md): after the
# restart the object and its Content-Type come from the same write
mkdir -p "$root/meta"
for step in object-record-pending:old object-renamed:new object-record-final:new; do
  point=${step%%:*} expect=${step##*:}
  stop_server
  start_server --root "$root" --log-level warn
  curl -sS --max-time 10 -o /dev/null -X PUT -H 'Content-Type: text/old' --data-binary old "$base/meta/k.txt"
  stop_server
  S3CORS_TEST_CRASH_AT=$point start_server --root "$root" --log-level warn
  curl -sS --max-time 10 -o /dev/null -X PUT -H 'Content-Type: text/new' --data-binary new "$base/meta/k.txt" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  rc=$?
  server_pid=""
  [[ $rc == 137 ]] && ok "6: the server stops at $point" || not_ok "6: the server stops at $point" "exit status $rc"
  start_server --root "$root" --log-level warn
  got=$(curl -sS --max-time 10 -D "$tmp/meta.head" "$base/meta/k.txt")
  type=$(tr -d '\r' <"$tmp/meta.head" | sed -n 's/^[Cc]ontent-[Tt]ype: //p')
  [[ $got == "$expect" && $type == "text/$expect" ]] &&
    ok "6: stopped at $point, the object is the $expect write with its Content-Type" ||
    not_ok "6: stopped at $point" "body '$got', Content-Type '$type' (expected the $expect write)"
done
finish
