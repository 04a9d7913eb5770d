#!/usr/bin/env bash
# End-to-end test of folder keys with real clients: "photos/" (the S3 console's "Create
# folder", aws s3api put-object --key photos/) and "a/b" beside "a/b/c" (boto3 with its
# default configuration). docs/storage.md, "Folder keys".
# Usage: bash tests/e2e/folder_keys_test.sh /path/to/s3cors
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
e2e_begin "$@"

mkdir -p "$tmp/root/media"
printf 'hand' >"$tmp/root/media/hand.txt"
mkdir -p "$tmp/root/media/empty-by-hand"
start_server --root "$tmp/root" --log-level warn

# --- aws CLI: the console's "Create folder"
check "aws s3api put-object --key photos/" aws_cli s3api put-object --bucket media --key photos/
check "aws s3api put-object --key photos/cat.jpg" aws_cli s3api put-object --bucket media --key photos/cat.jpg \
  --body "$tmp/root/media/hand.txt"
size=$(aws_cli s3api head-object --bucket media --key photos/ --query ContentLength --output text 2>&1)
[[ $size == 0 ]] && ok "head-object photos/ is a zero-byte object" || not_ok "head-object photos/" "$size"
if aws_cli s3 ls s3://media/ >"$tmp/ls.out" 2>&1 && grep -q "PRE photos/" "$tmp/ls.out" &&
  ! grep -q "empty-by-hand" "$tmp/ls.out"; then
  ok "aws s3 ls shows photos/ as a folder, and no empty folder made by hand"
else
  not_ok "aws s3 ls s3://media/" "$(cat "$tmp/ls.out")"
fi
keys=$(aws_cli s3api list-objects-v2 --bucket media --prefix photos/ --delimiter / --query 'Contents[].Key' \
  --output text 2>&1 | tr '\t' '|')
[[ $keys == "photos/|photos/cat.jpg" ]] && ok "under prefix photos/, photos/ is an object itself" ||
  not_ok "list-objects-v2 --prefix photos/ --delimiter /" "got $keys"
check "aws s3api delete-object --key photos/" aws_cli s3api delete-object --bucket media --key photos/
keys=$(aws_cli s3api list-objects --bucket media --query 'Contents[].Key' --output text 2>&1 | tr '\t' '|')
[[ $keys == "hand.txt|photos/cat.jpg" ]] && ok "deleting photos/ leaves photos/cat.jpg" ||
  not_ok "list-objects after deleting photos/" "got $keys"

# --- boto3 (default configuration): a/b and a/b/c, and a file dropped in by hand
if python3 - "$base" >"$tmp/boto3.out" 2>&1 <<'PY'; then
import sys
import boto3
from botocore.config import Config

s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="test",
                  aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))
failures = []
def expect(what, got, want):
    if got != want:
        failures.append(f"{what}: got {got!r}, want {want!r}")

def keys(**kw):
    page = s3.list_objects_v2(Bucket="media", **kw)
    return [o["Key"] for o in page.get("Contents", [])], [p["Prefix"] for p in page.get("CommonPrefixes", [])]

s3.put_object(Bucket="media", Key="a/b", Body=b"short", Metadata={"which": "a/b"})
s3.put_object(Bucket="media", Key="a/b/c", Body=b"long", Metadata={"which": "a/b/c"})
s3.put_object(Bucket="media", Key="x/y/z", Body=b"deep")
s3.put_object(Bucket="media", Key="x/y", Body=b"middle")   # the reverse order
s3.put_object(Bucket="media", Key="hand.txt/more", Body=b"below a hand-dropped file")
for key, body in [("a/b", b"short"), ("a/b/c", b"long"), ("x/y", b"middle"), ("x/y/z", b"deep"),
                  ("hand.txt", b"hand"), ("hand.txt/more", b"below a hand-dropped file")]:
    got = s3.get_object(Bucket="media", Key=key)
    expect(f"GET {key}", got["Body"].read(), body)
expect("metadata of a/b", s3.head_object(Bucket="media", Key="a/b")["Metadata"], {"which": "a/b"})
expect("range of a/b", s3.get_object(Bucket="media", Key="a/b", Range="bytes=1-2")["Body"].read(), b"ho")
expect("list", keys()[0], ["a/b", "a/b/c", "hand.txt", "hand.txt/more", "photos/cat.jpg", "x/y", "x/y/z"])
expect("list a/ by /", keys(Prefix="a/", Delimiter="/"), (["a/b"], ["a/b/"]))
expect("list from a/b", keys(StartAfter="a/b")[0][:2], ["a/b/c", "hand.txt"])
expect("list pages", [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(
    Bucket="media", PaginationConfig={"PageSize": 2}) for o in p.get("Contents", [])],
    ["a/b", "a/b/c", "hand.txt", "hand.txt/more", "photos/cat.jpg", "x/y", "x/y/z"])
s3.delete_object(Bucket="media", Key="a/b/c")
expect("a/b after deleting a/b/c", s3.get_object(Bucket="media", Key="a/b")["Body"].read(), b"short")
s3.delete_objects(Bucket="media", Delete={"Objects": [{"Key": "x/y"}]})
expect("x/y/z after deleting x/y", s3.get_object(Bucket="media", Key="x/y/z")["Body"].read(), b"deep")
for key in ["a/b", "x/y/z", "hand.txt/more", "photos/cat.jpg"]:
    s3.delete_object(Bucket="media", Key=key)
expect("left", keys()[0], ["hand.txt"])
if failures:
    print("\n".join(failures))
    sys.exit(1)
PY
  ok "boto3: put/list/get/delete of a/b beside a/b/c, in both orders, and below a hand-dropped file"
else
  not_ok "boto3 folder keys" "$(tail -c 1500 "$tmp/boto3.out")"
fi

# On disk: the hand-dropped file moved into its folder; nothing else is left.
left=$(cd "$tmp/root/media" && find . -mindepth 1 | sort | tr '\n' '|')
[[ $left == "./empty-by-hand|./hand.txt|./hand.txt/.s3cors-object|" ]] &&
  ok "on disk: hand.txt kept in its folder, the empty folder made by hand kept, nothing else" ||
  not_ok "bucket folder after the deletes" "$left"

finish
