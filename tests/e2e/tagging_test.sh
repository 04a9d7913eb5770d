#!/usr/bin/env bash
# End-to-end test of tagging, ListObjectVersions, ListBuckets pagination and
# x-amz-expected-bucket-owner with real clients: boto3 (default config and SigV4 forced) and the
# aws CLI. The JS SDK's checks are in js_sdk/sdk_test.mjs.
# Usage: bash tests/e2e/tagging_test.sh /path/to/s3cors
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
e2e_begin "$@"

mkdir -p "$tmp/root"
start_server --root "$tmp/root" --log-level warn

# --- boto3, once with its defaults and once with SigV4 forced: each check prints one line
for variant in default s3v4; do
  timeout 90 python3 - "$base" "$variant" >"$tmp/boto-$variant.out" 2>&1 <<'PY'
import sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

base, variant = sys.argv[1], sys.argv[2]
extra = {"signature_version": "s3v4"} if variant == "s3v4" else {}
s3 = boto3.client("s3", endpoint_url=base, aws_access_key_id="test", aws_secret_access_key="test",
                  region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}, **extra))
bucket = "tags-" + variant

def check(name, condition, detail=""):
    print(("ok - " if condition else "not ok - ") + f"boto3 ({variant}): {name}")
    if not condition and detail:
        print(f"#   {detail}")

def error_code(call):
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]
    return None, 200

s3.create_bucket(Bucket=bucket)
s3.put_object(Bucket=bucket, Key="clip.ts", Body=b"clip", Tagging="camera=north&shift=night%20one")
tags = s3.get_object_tagging(Bucket=bucket, Key="clip.ts")["TagSet"]
check("put_object(Tagging=...) sets the tags",
      tags == [{"Key": "camera", "Value": "north"}, {"Key": "shift", "Value": "night one"}], tags)
check("head_object reports x-amz-tagging-count",
      s3.head_object(Bucket=bucket, Key="clip.ts")["ResponseMetadata"]["HTTPHeaders"].get("x-amz-tagging-count") == "2")
check("get_object reports TagCount", s3.get_object(Bucket=bucket, Key="clip.ts").get("TagCount") == 2)
s3.put_object_tagging(Bucket=bucket, Key="clip.ts", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
tags = s3.get_object_tagging(Bucket=bucket, Key="clip.ts")["TagSet"]
check("put_object_tagging replaces the set", tags == [{"Key": "k", "Value": "v"}], tags)
s3.copy_object(Bucket=bucket, Key="copy.ts", CopySource={"Bucket": bucket, "Key": "clip.ts"})
check("copy_object copies the tags by default",
      s3.get_object_tagging(Bucket=bucket, Key="copy.ts")["TagSet"] == [{"Key": "k", "Value": "v"}])
s3.copy_object(Bucket=bucket, Key="replaced.ts", CopySource={"Bucket": bucket, "Key": "clip.ts"},
               TaggingDirective="REPLACE", Tagging="new=1")
check("copy_object with TaggingDirective=REPLACE takes the new tags",
      s3.get_object_tagging(Bucket=bucket, Key="replaced.ts")["TagSet"] == [{"Key": "new", "Value": "1"}])
s3.delete_object_tagging(Bucket=bucket, Key="clip.ts")
check("delete_object_tagging leaves no tags", s3.get_object_tagging(Bucket=bucket, Key="clip.ts")["TagSet"] == [])
code, status = error_code(lambda: s3.put_object_tagging(
    Bucket=bucket, Key="clip.ts", Tagging={"TagSet": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]}))
check("duplicate keys are InvalidTag", (code, status) == ("InvalidTag", 400), (code, status))
code, status = error_code(lambda: s3.put_object_tagging(
    Bucket=bucket, Key="clip.ts", Tagging={"TagSet": [{"Key": f"k{i}", "Value": ""} for i in range(11)]}))
check("11 object tags are BadRequest", (code, status) == ("BadRequest", 400), (code, status))

code, status = error_code(lambda: s3.get_bucket_tagging(Bucket=bucket))
check("get_bucket_tagging without tags is NoSuchTagSet", (code, status) == ("NoSuchTagSet", 404), (code, status))
s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "video"}]})
check("put/get_bucket_tagging", s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "team", "Value": "video"}])
s3.delete_bucket_tagging(Bucket=bucket)
check("delete_bucket_tagging", error_code(lambda: s3.get_bucket_tagging(Bucket=bucket))[0] == "NoSuchTagSet")

for key in ("a/1", "a/2", "b"):
    s3.put_object(Bucket=bucket, Key=key, Body=b"x")
pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}))
versions = [v for page in pages for v in page.get("Versions", [])]
check("list_object_versions pages through every object as version null",
      [v["Key"] for v in versions] == ["a/1", "a/2", "b", "clip.ts", "copy.ts", "replaced.ts"]
      and all(v["VersionId"] == "null" and v["IsLatest"] for v in versions) and len(pages) == 3,
      [(v["Key"], v["VersionId"]) for v in versions])
grouped = s3.list_object_versions(Bucket=bucket, Delimiter="/", Prefix="")
check("list_object_versions rolls keys up into common prefixes",
      [p["Prefix"] for p in grouped.get("CommonPrefixes", [])] == ["a/"], grouped.get("CommonPrefixes"))
check("get_bucket_versioning has no Status", "Status" not in s3.get_bucket_versioning(Bucket=bucket))

if "MaxBuckets" in s3.meta.service_model.operation_model("ListBuckets").input_shape.members:
    s3.create_bucket(Bucket=bucket + "-x")
    first = s3.list_buckets(MaxBuckets=1, Prefix=bucket)
    second = s3.list_buckets(MaxBuckets=1, Prefix=bucket, ContinuationToken=first.get("ContinuationToken", ""))
    check("list_buckets(MaxBuckets=1, Prefix=...) pages with ContinuationToken",
          [b["Name"] for b in first["Buckets"]] == [bucket] and first.get("Prefix") == bucket
          and [b["Name"] for b in second["Buckets"]] == [bucket + "-x"] and "ContinuationToken" not in second,
          (first, second))
    s3.delete_bucket(Bucket=bucket + "-x")
else:
    print(f"ok - boto3 ({variant}): list_buckets pagination # SKIP this botocore has no MaxBuckets")

check("ExpectedBucketOwner of the owner's account is accepted",
      s3.head_object(Bucket=bucket, Key="b", ExpectedBucketOwner="123456789012")["ContentLength"] == 1)
code, status = error_code(lambda: s3.get_object(Bucket=bucket, Key="b", ExpectedBucketOwner="111122223333"))
check("ExpectedBucketOwner of another account is AccessDenied", (code, status) == ("AccessDenied", 403),
      (code, status))
PY
  rc=$?
  while IFS= read -r line; do
    case $line in
      "ok - "*) ok "${line#ok - }" ;;
      "not ok - "*) not_ok "${line#not ok - }" ;;
      "#   "*) echo "$line" ;;
    esac
  done <"$tmp/boto-$variant.out"
  [[ $rc -eq 0 ]] || not_ok "boto3 ($variant) script ran to the end" "$(tail -c 800 "$tmp/boto-$variant.out")"
done

# --- aws CLI: s3api put-object-tagging, get-object-tagging, list-object-versions
check "aws s3api create-bucket" aws_cli s3api create-bucket --bucket cli-tags
check "aws s3api put-object" aws_cli s3api put-object --bucket cli-tags --key show/ep1.ts --tagging "a=1"
check "aws s3api put-object-tagging" aws_cli s3api put-object-tagging --bucket cli-tags --key show/ep1.ts \
  --tagging 'TagSet=[{Key=season,Value=2},{Key=lang,Value=en}]'
got=$(aws_cli s3api get-object-tagging --bucket cli-tags --key show/ep1.ts --query 'TagSet[].[Key,Value]' \
  --output text 2>&1 | tr '\t\n' '=,')
[[ $got == "season=2,lang=en," ]] && ok "aws s3api get-object-tagging returns the set in order" ||
  not_ok "get-object-tagging" "got $got"
got=$(aws_cli s3api list-object-versions --bucket cli-tags --query 'Versions[].[Key,VersionId,IsLatest]' \
  --output text 2>&1 | tr '\t\n' ' ,')
[[ $got == "show/ep1.ts null True," ]] && ok "aws s3api list-object-versions lists the object as version null" ||
  not_ok "list-object-versions" "got $got"
if aws_cli s3api put-bucket-tagging --bucket cli-tags --tagging 'TagSet=[{Key=aws:x,Value=1}]' >"$tmp/aws.out" 2>&1; then
  not_ok "put-bucket-tagging with an aws: key fails"
else
  grep -q InvalidTag "$tmp/aws.out" && ok "put-bucket-tagging with an aws: key fails with InvalidTag" ||
    not_ok "aws: key error" "$(cat "$tmp/aws.out")"
fi

finish
