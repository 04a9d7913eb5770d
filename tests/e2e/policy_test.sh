#!/usr/bin/env bash
# End-to-end test of bucket policies with real clients: the aws CLI and boto3 (default config
# and s3v4) put, read and delete a policy; anonymous curl requests are then allowed or refused
# by its statements and conditions (aws:Referer), explicit Deny first.
# Usage: bash tests/e2e/policy_test.sh /path/to/s3cors
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
e2e_begin "$@"

mkdir -p "$tmp/root/media/public" "$tmp/root/media/private"
echo "segment" >"$tmp/root/media/public/a.ts"
echo "secret" >"$tmp/root/media/private/b.ts"
cat >"$tmp/config.json" <<'EOF'
{"credentials": [{"access_key_id": "test", "secret_access_key": "test", "user": "alice"}]}
EOF
start_server --root "$tmp/root" --config "$tmp/config.json" --log-level warn
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

[[ $(code "$base/media/public/a.ts") == 403 ]] && ok "no policy: anonymous GET refused" || not_ok "anonymous GET before"

cat >"$tmp/policy.json" <<'EOF'
{"Version": "2012-10-17",
 "Statement": [
   {"Sid": "PublicSegments", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::media/public/*"},
   {"Sid": "FromThePlayer", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::media/private/*",
    "Condition": {"StringLike": {"aws:Referer": "http://player.example/*"}}},
   {"Sid": "NeverTheKeys", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::media/private/*.key"}
 ]}
EOF
check "aws s3api put-bucket-policy" aws_cli s3api put-bucket-policy --bucket media --policy "file://$tmp/policy.json"
aws_cli s3api get-bucket-policy-status --bucket media >"$tmp/status.json" 2>&1
grep -q '"IsPublic": true' "$tmp/status.json" && ok "get-bucket-policy-status: public" ||
  not_ok "get-bucket-policy-status" "$(head -c 300 "$tmp/status.json")"
[[ $(code "$base/media/public/a.ts") == 200 ]] && ok "Allow to *: anonymous GET 200" || not_ok "public GET"
[[ $(code "$base/media/private/b.ts") == 403 ]] && ok "no statement allows: 403" || not_ok "private GET"
[[ $(code -H "Referer: http://player.example/watch" "$base/media/private/b.ts") == 200 ]] &&
  ok "aws:Referer condition met: 200" || not_ok "Referer GET"
echo "key" >"$tmp/root/media/private/c.key"
[[ $(code -H "Referer: http://player.example/watch" "$base/media/private/c.key") == 403 ]] &&
  ok "explicit Deny wins over the Referer Allow: 403" || not_ok "Deny GET"
[[ $(code "$base/media?list-type=2") == 403 ]] && ok "GetObject only: anonymous list 403" || not_ok "list"
echo "not json" >"$tmp/bad.json"
aws_cli s3api put-bucket-policy --bucket media --policy "file://$tmp/bad.json" >"$tmp/bad.out" 2>&1
grep -q MalformedPolicy "$tmp/bad.out" && ok "a malformed policy: MalformedPolicy" ||
  not_ok "malformed policy" "$(head -c 300 "$tmp/bad.out")"

for sig in default s3v4; do
  if python3 - "$base" "$sig" "$tmp/policy.json" >"$tmp/boto3.out" 2>&1 <<'PY'; then
import json, sys
import boto3
from botocore.config import Config
base, sig, policy_file = sys.argv[1:]
config = Config(signature_version="s3v4") if sig == "s3v4" else None
s3 = boto3.client("s3", endpoint_url=base, region_name="us-east-1", aws_access_key_id="test",
                  aws_secret_access_key="test", config=config)
text = open(policy_file).read()
assert s3.get_bucket_policy(Bucket="media")["Policy"] == text, "GetBucketPolicy is verbatim"
s3.delete_bucket_policy(Bucket="media")
try:
    s3.get_bucket_policy(Bucket="media")
    raise SystemExit("policy still there")
except s3.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "NoSuchBucketPolicy", e.response
s3.put_bucket_policy(Bucket="media", Policy=text)
print("ok")
PY
    ok "boto3 ($sig): get/delete/put bucket policy"
  else
    not_ok "boto3 ($sig) script" "$(tail -c 600 "$tmp/boto3.out")"
  fi
done
[[ $(code "$base/media/public/a.ts") == 200 ]] && ok "the policy put back by boto3 applies" || not_ok "after boto3"

# --- s3cors access explain: the same decisions, offline, with the deciding statement
"$bin" access explain --policy "$tmp/policy.json" --bucket media --action s3:GetObject \
  --key private/c.key --condition aws:Referer=http://player.example/watch >"$tmp/explain.out" 2>&1
status=$?
[[ $status == 1 ]] && grep -q 'DENIED by statement 3' "$tmp/explain.out" &&
  grep -q 'statement 2 (Sid "FromThePlayer"): matched' "$tmp/explain.out" &&
  ok "access explain: the Deny (statement 3) wins over the matching Allow" ||
  not_ok "access explain Deny (exit $status)" "$(cat "$tmp/explain.out")"
"$bin" access explain --policy "$tmp/policy.json" --bucket media --action s3:GetObject \
  --key private/b.ts >"$tmp/explain.out" 2>&1
status=$?
[[ $status == 3 ]] && grep -q 'statement 2 (Sid "FromThePlayer"): condition_failed' "$tmp/explain.out" &&
  ok "access explain: without a Referer no statement matches, the ACLs decide" ||
  not_ok "access explain no match (exit $status)" "$(cat "$tmp/explain.out")"
finish
