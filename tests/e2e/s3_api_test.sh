#!/usr/bin/env bash
# End-to-end test of the S3 write API with real clients: the aws CLI and boto3.
# Usage: bash tests/e2e/s3_api_test.sh /path/to/s3cors
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
e2e_begin "$@"

mkdir -p "$tmp/root"
start_server --root "$tmp/root" --log-level warn

# --- aws CLI: mb, cp up and down, rm, rb
check "aws s3 mb s3://uploads" aws_cli s3 mb s3://uploads
[[ -d $tmp/root/uploads ]] && ok "the bucket is a directory under the root" || not_ok "bucket directory created"
head -c 3000000 /dev/urandom >"$tmp/clip.ts"
check "aws s3 cp of a 3 MB file up" aws_cli s3 cp "$tmp/clip.ts" s3://uploads/show/clip.ts
cmp -s "$tmp/clip.ts" "$tmp/root/uploads/show/clip.ts" && ok "the object is the file, byte for byte, on disk" ||
  not_ok "uploaded bytes on disk"
check "aws s3 cp down" aws_cli s3 cp s3://uploads/show/clip.ts "$tmp/back.ts"
cmp -s "$tmp/clip.ts" "$tmp/back.ts" && ok "downloaded bytes equal the upload" || not_ok "downloaded bytes"
etag=$(aws_cli s3api head-object --bucket uploads --key show/clip.ts --query ETag --output text 2>/dev/null)
md5=$(md5sum "$tmp/clip.ts" | cut -d' ' -f1)
[[ $etag == "\"$md5\"" ]] && ok "ETag of the upload is its MD5" || not_ok "ETag $etag vs $md5"
# 20 MiB: the aws CLI switches to a multipart upload (8 MiB parts)
head -c $((20 * 1024 * 1024)) /dev/urandom >"$tmp/big.mp4"
check "aws s3 cp of a 20 MiB file (multipart upload)" aws_cli s3 cp "$tmp/big.mp4" s3://uploads/big.mp4
cmp -s "$tmp/big.mp4" "$tmp/root/uploads/big.mp4" && ok "the multipart object is the file, byte for byte" ||
  not_ok "multipart bytes on disk"
big_etag=$(aws_cli s3api head-object --bucket uploads --key big.mp4 --query ETag --output text 2>/dev/null)
expected_etag=$(python3 - "$tmp/big.mp4" <<'PY'
import hashlib, sys
data = open(sys.argv[1], "rb").read()
parts = [data[i:i + 8 * 1024 * 1024] for i in range(0, len(data), 8 * 1024 * 1024)]
print('"%s-%d"' % (hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest(), len(parts)))
PY
)
[[ $big_etag == "$expected_etag" ]] && ok "multipart ETag is md5-of-part-md5s-N ($big_etag)" ||
  not_ok "multipart ETag" "got $big_etag" "want $expected_etag"
check "aws s3 cp of the multipart object down" aws_cli s3 cp s3://uploads/big.mp4 "$tmp/big.back"
cmp -s "$tmp/big.mp4" "$tmp/big.back" && ok "downloaded multipart object equals the upload" || not_ok "multipart download"
# Only each completed upload's result stays (for retried completions), no part.
[[ -z $(find "$tmp/root/.s3cors/uploads/uploads" -name 'part-*' 2>/dev/null) ]] && ok "no upload parts left after completion" ||
  not_ok "parts left behind" "$(ls -R "$tmp/root/.s3cors/uploads" | head)"
check "aws s3 rm of the multipart object" aws_cli s3 rm s3://uploads/big.mp4
if aws_cli s3 rb s3://uploads >"$tmp/rb.out" 2>&1; then
  not_ok "rb of a non-empty bucket fails"
else
  grep -q BucketNotEmpty "$tmp/rb.out" && ok "rb of a non-empty bucket fails with BucketNotEmpty" ||
    not_ok "rb error" "$(cat "$tmp/rb.out")"
fi
# --- listings: a nested tree, in S3's byte order, page by page
for key in a.ts a-b.ts a/b.ts a/c/d.ts "sp ace.ts" z.ts; do
  mkdir -p "$(dirname "$tmp/root/uploads/$key")"
  printf '%s' "$key" >"$tmp/root/uploads/$key"
done
if aws_cli s3 ls --recursive s3://uploads >"$tmp/ls.out" 2>&1; then
  keys=$(awk '{ $1 = $2 = $3 = ""; sub(/^ +/, ""); print }' "$tmp/ls.out" | tr '\n' '|')
  expected="a-b.ts|a.ts|a/b.ts|a/c/d.ts|show/clip.ts|sp ace.ts|z.ts|"
  [[ $keys == "$expected" ]] && ok "aws s3 ls --recursive lists every key in byte order" ||
    not_ok "ls --recursive order" "got $keys" "want $expected"
else
  not_ok "aws s3 ls --recursive" "$(cat "$tmp/ls.out")"
fi
if aws_cli s3 ls s3://uploads/a/ >"$tmp/ls2.out" 2>&1 && grep -q "PRE c/" "$tmp/ls2.out" && grep -q "b.ts" "$tmp/ls2.out"; then
  ok "aws s3 ls with a prefix shows the folder as a common prefix"
else
  not_ok "aws s3 ls s3://uploads/a/" "$(cat "$tmp/ls2.out")"
fi
if aws_cli s3api list-objects-v2 --bucket uploads --page-size 2 --query 'Contents[].Key' --output text \
  >"$tmp/lp.out" 2>&1 && [[ $(tr -s '\t\n' '\n\n' <"$tmp/lp.out" | grep -c .) -eq 7 ]]; then
  ok "s3api list-objects-v2 pages of 2 return all 7 keys"
else
  not_ok "list-objects-v2 pagination" "$(cat "$tmp/lp.out")"
fi
check "aws s3api copy-object (the CLI percent-encodes the source)" \
  aws_cli s3api copy-object --bucket uploads --key "copies/sp ace.ts" --copy-source "uploads/sp ace.ts"
cmp -s "$tmp/root/uploads/sp ace.ts" "$tmp/root/uploads/copies/sp ace.ts" && ok "the copy has the source's bytes" ||
  not_ok "copy bytes"
printf '{"Objects":[{"Key":"copies/sp ace.ts"},{"Key":"z.ts"},{"Key":"not-there"}],"Quiet":false}' >"$tmp/del.json"
if aws_cli s3api delete-objects --bucket uploads --delete "file://$tmp/del.json" >"$tmp/del.out" 2>&1 &&
  [[ $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["Deleted"]))' "$tmp/del.out") == 3 ]] &&
  [[ ! -e $tmp/root/uploads/z.ts ]]; then
  ok "s3api delete-objects deletes the batch and reports every key"
else
  not_ok "delete-objects" "$(cat "$tmp/del.out")"
fi
check "aws s3 rm --recursive of the tree" aws_cli s3 rm --recursive s3://uploads/a
check "aws s3 rm" aws_cli s3 rm s3://uploads/show/clip.ts
for key in a.ts a-b.ts "sp ace.ts"; do rm -f "$tmp/root/uploads/$key"; done
[[ ! -e $tmp/root/uploads/show ]] && ok "rm removed the file and its emptied folder" || not_ok "rm left files"
check "aws s3 rb" aws_cli s3 rb s3://uploads
[[ ! -e $tmp/root/uploads ]] && ok "rb removed the bucket directory" || not_ok "bucket directory still there"

# --- aws s3 sync both ways: a local folder up to a prefix, a second sync that has nothing to
# do, changes, --delete; then the prefix down to a folder, again, and --delete.
# transfers FILE: the operations a sync printed, sorted ("upload: …", "download: …", "delete: …").
transfers() { tr '\r' '\n' <"$1" | grep -E '^(upload|download|copy|delete): ' | sed 's/ to .*//' | sort; }
# disk_state: every object file of the sync bucket with its inode and mtime (a re-upload
# renames a new file into place, so both change).
disk_state() { (cd "$tmp/root/sync" && find . -type f -printf '%P %i %T@\n' | sort); }
# aws_sync ARGS: aws s3 sync run in $tmp, so that it prints local paths as site/… and down/….
aws_sync() { (cd "$tmp" && aws_cli s3 sync "$@"); }
mkdir "$tmp/root/sync" # a bucket is a folder (and aws CLI calls are slow: each one costs seconds)
mkdir -p "$tmp/site/hls/v1" "$tmp/site/img"
printf '#EXTM3U\n' >"$tmp/site/hls/master.m3u8"
head -c 300000 /dev/urandom >"$tmp/site/hls/v1/seg0.ts"
head -c $((9 * 1024 * 1024)) /dev/urandom >"$tmp/site/hls/v1/big.mp4" # over 8 MiB: a multipart upload
printf 'plus and space' >"$tmp/site/img/a b+c.txt"
: >"$tmp/site/empty.txt"
printf 'p' >"$tmp/site/poster.jpg"
# Times in the past: S3's LastModified has whole seconds, so a file written and uploaded in
# the same second would look newer than its object and be uploaded again.
find "$tmp/site" -type f -exec touch -d '2024-01-02 03:04:05' {} +
if aws_sync site s3://sync/site >"$tmp/sync1.out" 2>&1; then
  got=$(transfers "$tmp/sync1.out" | tr '\n' '|')
  want="upload: site/empty.txt|upload: site/hls/master.m3u8|upload: site/hls/v1/big.mp4|"
  want+="upload: site/hls/v1/seg0.ts|upload: site/img/a b+c.txt|upload: site/poster.jpg|"
  [[ $got == "$want" ]] && ok "aws s3 sync dir → bucket uploads every file once" ||
    not_ok "sync up: uploads" "got  $got" "want $want"
else
  not_ok "aws s3 sync dir → bucket" "$(tail -c 600 "$tmp/sync1.out")"
fi
diff -r "$tmp/site" "$tmp/root/sync/site" >"$tmp/diff.out" 2>&1 && ok "after sync up the prefix holds the folder, byte for byte" ||
  not_ok "sync up: content" "$(head -c 600 "$tmp/diff.out")"
before=$(disk_state)
if aws_sync site s3://sync/site >"$tmp/sync2.out" 2>&1 && [[ -z $(transfers "$tmp/sync2.out") ]] &&
  [[ $(disk_state) == "$before" ]]; then
  ok "a second sync up transfers nothing and rewrites no object"
else
  not_ok "second sync up" "$(tail -c 600 "$tmp/sync2.out")" "before: $before" "after: $(disk_state)"
fi
printf 'pp' >"$tmp/site/poster.jpg" # a new size: uploaded again
printf 'new' >"$tmp/site/hls/v1/seg1.ts"
rm "$tmp/site/empty.txt"
find "$tmp/site" -type f -exec touch -d '2024-01-02 03:04:05' {} +
if aws_sync site s3://sync/site >"$tmp/sync3.out" 2>&1; then
  got=$(transfers "$tmp/sync3.out" | tr '\n' '|')
  want="upload: site/hls/v1/seg1.ts|upload: site/poster.jpg|"
  [[ $got == "$want" ]] && ok "sync up after changes uploads only the changed and new files, deletes nothing" ||
    not_ok "sync up after changes" "got  $got" "want $want"
else
  not_ok "sync up after changes" "$(tail -c 600 "$tmp/sync3.out")"
fi
[[ -e $tmp/root/sync/site/empty.txt ]] && ok "without --delete the object of a removed file stays" ||
  not_ok "sync without --delete deleted empty.txt"
if aws_sync --delete site s3://sync/site >"$tmp/sync4.out" 2>&1 &&
  [[ $(transfers "$tmp/sync4.out") == "delete: s3://sync/site/empty.txt" ]] &&
  diff -r "$tmp/site" "$tmp/root/sync/site" >"$tmp/diff.out" 2>&1; then
  ok "sync up --delete removes exactly the object whose file is gone"
else
  not_ok "sync up --delete" "$(tail -c 600 "$tmp/sync4.out")" "$(head -c 300 "$tmp/diff.out")"
fi
if aws_sync s3://sync/site down >"$tmp/sync5.out" 2>&1; then
  got=$(transfers "$tmp/sync5.out" | tr '\n' '|')
  want="download: s3://sync/site/hls/master.m3u8|download: s3://sync/site/hls/v1/big.mp4|"
  want+="download: s3://sync/site/hls/v1/seg0.ts|download: s3://sync/site/hls/v1/seg1.ts|"
  want+="download: s3://sync/site/img/a b+c.txt|download: s3://sync/site/poster.jpg|"
  [[ $got == "$want" ]] && ok "aws s3 sync bucket → dir downloads every object once" ||
    not_ok "sync down: downloads" "got  $got" "want $want"
else
  not_ok "aws s3 sync bucket → dir" "$(tail -c 600 "$tmp/sync5.out")"
fi
diff -r "$tmp/site" "$tmp/down" >"$tmp/diff.out" 2>&1 && ok "after sync down the folder holds the objects, byte for byte" ||
  not_ok "sync down: content" "$(head -c 600 "$tmp/diff.out")"
before=$(cd "$tmp/down" && find . -type f -printf '%P %i %T@\n' | sort)
if aws_sync s3://sync/site down >"$tmp/sync6.out" 2>&1 && [[ -z $(transfers "$tmp/sync6.out") ]] &&
  [[ $(cd "$tmp/down" && find . -type f -printf '%P %i %T@\n' | sort) == "$before" ]]; then
  ok "a second sync down transfers nothing and rewrites no file"
else
  not_ok "second sync down" "$(tail -c 600 "$tmp/sync6.out")"
fi
# Changes on the server side: one object goes, one is added (files are objects).
rm "$tmp/root/sync/site/hls/master.m3u8"
mkdir -p "$tmp/root/sync/site/hls/v2" && printf 'fresh' >"$tmp/root/sync/site/hls/v2/fresh.ts"
if aws_sync --delete s3://sync/site down >"$tmp/sync7.out" 2>&1; then
  got=$(transfers "$tmp/sync7.out" | tr '\n' '|')
  want="delete: down/hls/master.m3u8|download: s3://sync/site/hls/v2/fresh.ts|"
  [[ $got == "$want" ]] && ok "sync down --delete fetches the new object and removes the deleted one's file" ||
    not_ok "sync down --delete" "got  $got" "want $want"
else
  not_ok "sync down --delete" "$(tail -c 600 "$tmp/sync7.out")"
fi
diff -r "$tmp/root/sync/site" "$tmp/down" >"$tmp/diff.out" 2>&1 && ok "the folder mirrors the prefix after sync down --delete" ||
  not_ok "sync down --delete: content" "$(head -c 600 "$tmp/diff.out")"
check "aws s3 rb --force empties and removes the bucket" aws_cli s3 rb --force s3://sync
[[ ! -e $tmp/root/sync ]] && ok "rb --force removed the bucket directory" || not_ok "sync bucket directory still there"

# --- empty uploads on a pooled connection. botocore sends "Expect: 100-continue" with empty
# bodies too; before 1.43.77 it parses the next response on that connection against the
# previous status line unless the server sent "100 Continue" (boto/botocore#3755): the next
# upload stalls until the read timeout (aws s3 sync of a folder holding an empty file).
if timeout 60 python3 - "$base" >"$tmp/empty.out" 2>&1 <<'PY'; then
import io, sys
import boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id="test", aws_secret_access_key="test",
                  region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1},
                                max_pool_connections=1, read_timeout=5))
s3.create_bucket(Bucket="empty-bodies")
for i in range(3):
    s3.put_object(Bucket="empty-bodies", Key="empty%d" % i, Body=io.BytesIO(b""))
    s3.put_object(Bucket="empty-bodies", Key="full%d" % i, Body=io.BytesIO(b"0123456789"))
for i in range(3):
    assert s3.get_object(Bucket="empty-bodies", Key="empty%d" % i)["Body"].read() == b""
    assert s3.get_object(Bucket="empty-bodies", Key="full%d" % i)["Body"].read() == b"0123456789"
    s3.delete_object(Bucket="empty-bodies", Key="empty%d" % i)
    s3.delete_object(Bucket="empty-bodies", Key="full%d" % i)
s3.delete_bucket(Bucket="empty-bodies")
PY
  ok "boto3: empty and non-empty uploads alternate on one pooled connection"
else
  not_ok "boto3: uploads after an empty one" "$(tail -c 600 "$tmp/empty.out")"
fi

# --- boto3 (its defaults: checksums, Expect: 100-continue)
if timeout 60 python3 - "$base" >"$tmp/boto.out" 2>&1 <<'PY'; then
import sys, time, hashlib
import boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id="test", aws_secret_access_key="test",
                  region_name="us-east-1", config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
s3.create_bucket(Bucket="boto-bucket")
assert s3.get_bucket_location(Bucket="boto-bucket").get("LocationConstraint") in (None, "")
body = b"#EXTM3U\n#EXT-X-VERSION:3\n"
started = time.monotonic()
put = s3.put_object(Bucket="boto-bucket", Key="live/index.m3u8", Body=body)
assert time.monotonic() - started < 0.5, "PutObject waited: 100-continue not answered?"
assert put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest(), put["ETag"]
got = s3.get_object(Bucket="boto-bucket", Key="live/index.m3u8")
assert got["Body"].read() == body
assert got["ContentType"] == "application/vnd.apple.mpegurl", got["ContentType"]
s3.put_object(Bucket="boto-bucket", Key="live/index.m3u8", Body=b"v2", ContentMD5="GyZ2GcSBLMRu4oF0eITKUA==")
try:
    s3.put_object(Bucket="boto-bucket", Key="bad", Body=b"v3", ContentMD5="GyZ2GcSBLMRu4oF0eITKUA==")
    raise SystemExit("BadDigest expected")
except s3.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "BadDigest", e.response
s3.delete_object(Bucket="boto-bucket", Key="live/index.m3u8")
try:
    s3.delete_bucket(Bucket="boto-bucket")
except s3.exceptions.ClientError as e:
    raise SystemExit("delete_bucket: %s" % e)
try:
    s3.create_bucket(Bucket="boto-bucket"); s3.create_bucket(Bucket="boto-bucket")
    raise SystemExit("BucketAlreadyOwnedByYou expected")
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
for i in range(25):
    s3.put_object(Bucket="boto-bucket", Key="seg/%03d.ts" % i, Body=b"x")
pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket="boto-bucket", Prefix="seg/", PaginationConfig={"PageSize": 10}))
keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
assert len(pages) == 3 and keys == ["seg/%03d.ts" % i for i in range(25)], (len(pages), keys)
v1 = list(s3.get_paginator("list_objects").paginate(Bucket="boto-bucket", Delimiter="/"))
assert [p["Prefix"] for p in v1[0]["CommonPrefixes"]] == ["seg/"], v1
for i in range(25):
    s3.delete_object(Bucket="boto-bucket", Key="seg/%03d.ts" % i)
from boto3.s3.transfer import TransferConfig
payload = bytes(range(256)) * (12 * 1024 * 1024 // 256)
s3.upload_fileobj(__import__("io").BytesIO(payload), "boto-bucket", "multi.bin",
                  Config=TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024))
head = s3.head_object(Bucket="boto-bucket", Key="multi.bin")
assert head["ContentLength"] == len(payload) and head["ETag"].endswith('-3"'), head
assert s3.get_object(Bucket="boto-bucket", Key="multi.bin")["Body"].read() == payload
up = s3.create_multipart_upload(Bucket="boto-bucket", Key="aborted.bin")
assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket="boto-bucket").get("Uploads", [])] == [up["UploadId"]]
s3.upload_part(Bucket="boto-bucket", Key="aborted.bin", UploadId=up["UploadId"], PartNumber=1, Body=b"x")
assert [p["PartNumber"] for p in s3.list_parts(Bucket="boto-bucket", Key="aborted.bin", UploadId=up["UploadId"])["Parts"]] == [1]
s3.abort_multipart_upload(Bucket="boto-bucket", Key="aborted.bin", UploadId=up["UploadId"])
try:
    s3.list_parts(Bucket="boto-bucket", Key="aborted.bin", UploadId=up["UploadId"])
    raise SystemExit("NoSuchUpload expected")
except s3.exceptions.NoSuchUpload:
    pass
s3.delete_object(Bucket="boto-bucket", Key="multi.bin")
s3.delete_bucket(Bucket="boto-bucket")
print("boto3 ok")
PY
  ok "boto3: create_bucket, put_object (checksums, 100-continue), get, Content-MD5, delete, paginators, multipart upload/list/abort, delete_bucket"
else
  not_ok "boto3 write API" "$(tail -c 800 "$tmp/boto.out")"
fi

kill -TERM "$server_pid"
for ((i = 0; i < 50; i++)); do alive "$server_pid" || break; sleep 0.1; done
wait "$server_pid"
status=$?
server_pid=""
[[ $status -eq 0 ]] && ok "SIGTERM: exit status 0" || not_ok "SIGTERM exit status $status"
finish
