#!/usr/bin/env bash
# End-to-end test of owners and ACLs with real clients: two configured users in different
# accounts (alice signs as test/test, the pair aws_cli uses; bob is a second account), and
# anonymous curl requests. Buckets created through the API get S3's defaults (the default
# "api_bucket_defaults": "s3": BucketOwnerEnforced, every public access block flag), so a bucket meant to be public is
# created with ObjectWriter and loses its public access block first, as on S3.
# Usage: bash tests/e2e/acl_test.sh /path/to/s3cors
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
e2e_begin "$@"

mkdir -p "$tmp/root/media"
echo "segment" >"$tmp/root/media/seg.ts"
cat >"$tmp/config.json" <<'EOF'
{"credentials": [
   {"access_key_id": "test", "secret_access_key": "test", "user": "alice", "account_id": "111111111111"},
   {"access_key_id": "bob", "secret_access_key": "bob-secret", "user": "bob", "account_id": "222222222222",
    "email": "bob@example.com"}],
 "buckets": {"media": {"acl": "public-read"}}}
EOF
start_server --root "$tmp/root" --config "$tmp/config.json" --log-level warn
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# --- the configuration file's public-read: every object readable, the bucket listable
[[ $(code "$base/media/seg.ts") == 200 ]] && ok "anonymous GET in the file's public-read bucket: 200" ||
  not_ok "anonymous GET media/seg.ts"
[[ $(code "$base/media?list-type=2") == 200 ]] && ok "anonymous list of the file's public-read bucket: 200" ||
  not_ok "anonymous list media"
aws_cli s3api get-bucket-policy --bucket media --query Policy --output text >"$tmp/file-policy.json" 2>&1
grep -q '"Sid":"S3corsConfigPublicRead"' "$tmp/file-policy.json" &&
  grep -q '"Resource":"arn:aws:s3:::media/\*"' "$tmp/file-policy.json" &&
  ok "get-bucket-policy shows the file's public-read as the policy S3 needs for it" ||
  not_ok "get-bucket-policy of the file's public-read bucket" "$(head -c 400 "$tmp/file-policy.json")"

# --- aws CLI as alice: a bucket whose ACL is public-read lists, but its objects stay private
# --- aws CLI: S3's defaults for a new bucket, ownership controls and public access blocks
check "aws s3api create-bucket (defaults)" aws_cli s3api create-bucket --bucket locked
aws_cli s3api get-bucket-ownership-controls --bucket locked >"$tmp/own.json" 2>&1
grep -q '"ObjectOwnership": "BucketOwnerEnforced"' "$tmp/own.json" && ok "a new bucket is BucketOwnerEnforced" ||
  not_ok "get-bucket-ownership-controls" "$(head -c 400 "$tmp/own.json")"
aws_cli s3api get-public-access-block --bucket locked >"$tmp/pab.json" 2>&1
[[ $(grep -c '": true' "$tmp/pab.json") == 4 ]] && ok "a new bucket blocks public access (4 flags)" ||
  not_ok "get-public-access-block" "$(head -c 400 "$tmp/pab.json")"
aws_cli s3api put-object --bucket locked --key p.txt --body "$tmp/config.json" --acl public-read \
  >"$tmp/err.txt" 2>&1
grep -q AccessControlListNotSupported "$tmp/err.txt" && ok "put-object --acl public-read: AccessControlListNotSupported" ||
  not_ok "put-object with an ACL under BucketOwnerEnforced" "$(head -c 400 "$tmp/err.txt")"
aws_cli s3api create-bucket --bucket aclbucket --acl public-read >"$tmp/err.txt" 2>&1
grep -q InvalidBucketAclWithObjectOwnership "$tmp/err.txt" &&
  ok "create-bucket --acl public-read: InvalidBucketAclWithObjectOwnership" ||
  not_ok "create-bucket with an ACL" "$(head -c 400 "$tmp/err.txt")"
check "aws s3api put-bucket-ownership-controls ObjectWriter" aws_cli s3api put-bucket-ownership-controls \
  --bucket locked --ownership-controls 'Rules=[{ObjectOwnership=ObjectWriter}]'
aws_cli s3api put-bucket-acl --bucket locked --acl public-read >"$tmp/err.txt" 2>&1
grep -q AccessDenied "$tmp/err.txt" && ok "put-bucket-acl public-read under BlockPublicAcls: AccessDenied" ||
  not_ok "put-bucket-acl under BlockPublicAcls" "$(head -c 400 "$tmp/err.txt")"
check "aws s3api put-public-access-block" aws_cli s3api put-public-access-block --bucket locked \
  --public-access-block-configuration BlockPublicAcls=false,IgnorePublicAcls=true
aws_cli s3api get-public-access-block --bucket locked >"$tmp/pab.json" 2>&1
grep -q '"IgnorePublicAcls": true' "$tmp/pab.json" && grep -q '"BlockPublicAcls": false' "$tmp/pab.json" &&
  ok "get-public-access-block returns what was put" || not_ok "get-public-access-block" "$(head -c 400 "$tmp/pab.json")"
check "put-bucket-acl public-read once BlockPublicAcls is off" aws_cli s3api put-bucket-acl --bucket locked \
  --acl public-read
[[ $(code "$base/locked?list-type=2") == 403 ]] && ok "IgnorePublicAcls: anonymous list of a public-read bucket: 403" ||
  not_ok "anonymous list under IgnorePublicAcls"
check "aws s3api delete-public-access-block" aws_cli s3api delete-public-access-block --bucket locked
[[ $(code "$base/locked?list-type=2") == 200 ]] && ok "without the block: anonymous list: 200" ||
  not_ok "anonymous list without the block"
aws_cli s3api get-public-access-block --bucket locked >"$tmp/err.txt" 2>&1
grep -q NoSuchPublicAccessBlockConfiguration "$tmp/err.txt" && ok "get-public-access-block after delete: 404" ||
  not_ok "get-public-access-block after delete" "$(head -c 400 "$tmp/err.txt")"
check "aws s3api delete-bucket-ownership-controls" aws_cli s3api delete-bucket-ownership-controls --bucket locked
aws_cli s3api get-bucket-ownership-controls --bucket locked >"$tmp/err.txt" 2>&1
grep -q OwnershipControlsNotFoundError "$tmp/err.txt" && ok "get-bucket-ownership-controls after delete: 404" ||
  not_ok "get-bucket-ownership-controls after delete" "$(head -c 400 "$tmp/err.txt")"

# --- aws CLI as alice: a bucket whose ACL is public-read lists, but its objects stay private
check "aws s3api create-bucket (alice, ObjectWriter)" aws_cli s3api create-bucket --bucket alices \
  --object-ownership ObjectWriter
check "aws s3api delete-public-access-block (alice)" aws_cli s3api delete-public-access-block --bucket alices
echo "private bytes" >"$tmp/p.txt"
check "aws s3api put-object (alice)" aws_cli s3api put-object --bucket alices --key p.txt --body "$tmp/p.txt"
check "aws s3api put-bucket-acl public-read" aws_cli s3api put-bucket-acl --bucket alices --acl public-read
[[ $(code "$base/alices?list-type=2") == 200 ]] && ok "anonymous list of a public-read bucket: 200" ||
  not_ok "anonymous list alices"
[[ $(code "$base/alices/p.txt") == 403 ]] && ok "anonymous GET of a private object in a public-read bucket: 403" ||
  not_ok "anonymous GET alices/p.txt"
[[ $(code "$base/alices/none.txt") == 404 ]] && ok "anonymous GET of a missing object there: 404" ||
  not_ok "anonymous GET alices/none.txt"
check "aws s3api put-object-acl --acl public-read" aws_cli s3api put-object-acl --bucket alices --key p.txt \
  --acl public-read
[[ $(code "$base/alices/p.txt") == 200 ]] && ok "anonymous GET once the object is public-read: 200" ||
  not_ok "anonymous GET public object"
aws_cli s3api get-object-acl --bucket alices --key p.txt >"$tmp/acl.json" 2>&1
grep -q '"DisplayName": "alice"' "$tmp/acl.json" && ok "get-object-acl names alice as owner" ||
  not_ok "get-object-acl owner" "$(head -c 400 "$tmp/acl.json")"

# --- grant lists with the aws CLI: bob (another account) reads only what a grant names him for
bob_id=$(printf 's3cors canonical user:bob' | sha256sum | cut -d' ' -f1)
alice_id=$(printf 's3cors canonical user:test' | sha256sum | cut -d' ' -f1)
bob_reads() { # bob_reads BUCKET KEY: exit 0 when bob's signed GET succeeds
  python3 - "$base" "$1" "$2" >/dev/null 2>&1 <<'PY'
import sys
import boto3
from botocore.config import Config
base, bucket, key = sys.argv[1:]
bob = boto3.client("s3", endpoint_url=base, region_name="us-east-1", aws_access_key_id="bob",
                   aws_secret_access_key="bob-secret",
                   config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}))
bob.get_object(Bucket=bucket, Key=key)["Body"].read()
PY
}
echo "granted bytes" >"$tmp/g.txt"
check "aws s3api put-object g.txt (alice)" aws_cli s3api put-object --bucket alices --key g.txt --body "$tmp/g.txt"
bob_reads alices g.txt && not_ok "bob reads a private object" || ok "bob cannot read alice's private object"
check "aws s3api put-object-acl --grant-read id=BOB" aws_cli s3api put-object-acl --bucket alices --key g.txt \
  --grant-read "id=$bob_id"
bob_reads alices g.txt && ok "bob reads it after --grant-read id=" || not_ok "bob reads after grant by id"
aws_cli s3api get-object-acl --bucket alices --key g.txt >"$tmp/gacl.json" 2>&1
grep -q "\"ID\": \"$bob_id\"" "$tmp/gacl.json" && grep -q '"Type": "CanonicalUser"' "$tmp/gacl.json" &&
  ok "get-object-acl lists bob's CanonicalUser grant" || not_ok "get-object-acl grant" "$(head -c 600 "$tmp/gacl.json")"
check "aws s3api put-object-acl --acl private" aws_cli s3api put-object-acl --bucket alices --key g.txt --acl private
bob_reads alices g.txt && not_ok "bob reads after --acl private" || ok "--acl private takes bob's grant away"
check "aws s3api put-object-acl --grant-read emailAddress=" aws_cli s3api put-object-acl --bucket alices \
  --key g.txt --grant-read "emailAddress=bob@example.com"
bob_reads alices g.txt && ok "bob reads it after --grant-read emailAddress=" || not_ok "bob reads after e-mail grant"
aws_cli s3api put-object-acl --bucket alices --key g.txt --grant-read "emailAddress=nobody@example.com" \
  >"$tmp/unres.out" 2>&1
grep -q UnresolvableGrantByEmailAddress "$tmp/unres.out" &&
  ok "an unknown e-mail address: UnresolvableGrantByEmailAddress" ||
  not_ok "unknown e-mail grant" "$(head -c 400 "$tmp/unres.out")"
cat >"$tmp/policy.json" <<EOF
{"Owner": {"ID": "$alice_id"},
 "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": "$alice_id"}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "CanonicalUser", "ID": "$bob_id"}, "Permission": "READ"}]}
EOF
check "aws s3api create-bucket grants (ObjectWriter)" aws_cli s3api create-bucket --bucket grants --object-ownership ObjectWriter
check "aws s3api put-bucket-acl --access-control-policy file://" aws_cli s3api put-bucket-acl --bucket grants \
  --access-control-policy "file://$tmp/policy.json"
aws_cli s3api get-bucket-acl --bucket grants >"$tmp/bacl.json" 2>&1
grep -q "\"ID\": \"$bob_id\"" "$tmp/bacl.json" && grep -q '"DisplayName": "bob"' "$tmp/bacl.json" &&
  ok "get-bucket-acl lists bob's READ grant with his DisplayName" ||
  not_ok "get-bucket-acl" "$(head -c 600 "$tmp/bacl.json")"
aws_cli s3api put-bucket-acl --bucket grants --acl private --access-control-policy "file://$tmp/policy.json" \
  >"$tmp/both.out" 2>&1
grep -q UnexpectedContent "$tmp/both.out" && ok "put-bucket-acl with --acl and a policy: UnexpectedContent" ||
  not_ok "acl with body" "$(head -c 400 "$tmp/both.out")"

# --- boto3 as bob (default config and s3v4): another account's bucket is not his
for sig in default s3v4; do
  if python3 - "$base" "$sig" >"$tmp/boto3.out" 2>&1 <<'PY'; then
import sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
base, sig = sys.argv[1:]
config = {"s3": {"addressing_style": "path"}, "retries": {"total_max_attempts": 1}}
if sig == "s3v4":
    config["signature_version"] = "s3v4"
def client(key, secret):
    return boto3.client("s3", endpoint_url=base, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(**config))
alice, bob = client("test", "test"), client("bob", "bob-secret")
def check(cond, what):
    print(("ok - " if cond else "not ok - ") + f"boto3 ({sig}): " + what)
def refused(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"] == "AccessDenied"
    return False
names = [b["Name"] for b in bob.list_buckets()["Buckets"]]
check("alices" not in names, "bob's ListBuckets omits alice's bucket")
check(bob.list_buckets()["Owner"]["DisplayName"] == "bob", "bob's ListBuckets names bob as owner")
check(refused(lambda: bob.delete_bucket(Bucket="alices")), "bob cannot delete alice's bucket")
check(refused(lambda: bob.put_bucket_cors(Bucket="alices", CORSConfiguration={
    "CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]})), "bob cannot set its CORS")
check(refused(lambda: bob.put_object(Bucket="alices", Key="b.txt", Body=b"x")), "bob cannot write in it")
check(bob.get_object(Bucket="alices", Key="p.txt")["Body"].read() == b"private bytes\n",
      "bob reads alice's public-read object")
owner = alice.get_bucket_acl(Bucket="alices")["Owner"]
check(owner["DisplayName"] == "alice" and len(owner["ID"]) == 64, "GetBucketAcl names alice with a 64-hex ID")
key = f"from-bob-{sig}.txt"
alice.put_bucket_acl(Bucket="alices", ACL="public-read-write")
bob.put_object(Bucket="alices", Key=key, Body=b"bob's")
check(bob.get_object_acl(Bucket="alices", Key=key)["Owner"]["DisplayName"] == "bob",
      "bob owns what he wrote in alice's public-read-write bucket")
check(refused(lambda: alice.get_object(Bucket="alices", Key=key)), "alice cannot read bob's private object")
alice.delete_object(Bucket="alices", Key=key)
alice.put_bucket_acl(Bucket="alices", ACL="public-read")
bob_id = bob.list_buckets()["Owner"]["ID"]
key = f"granted-{sig}.txt"
alice.put_object(Bucket="alices", Key=key, Body=b"for bob", GrantRead=f'id="{bob_id}"')
check(bob.get_object(Bucket="alices", Key=key)["Body"].read() == b"for bob",
      "bob reads an object put with GrantRead='id=...'")
try:
    alice.put_object(Bucket="alices", Key=key, Body=b"x", ACL="private", GrantRead=f"id={bob_id}")
    check(False, "ACL with GrantRead is refused")
except ClientError as e:
    check(e.response["Error"]["Code"] == "InvalidRequest", "ACL with GrantRead: InvalidRequest")
alice.delete_object(Bucket="alices", Key=key)
# Ownership controls and public access blocks through boto3.
name = f"controls-{sig}"
alice.create_bucket(Bucket=name)
rules = alice.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
check(rules == [{"ObjectOwnership": "BucketOwnerEnforced"}], "a new bucket is BucketOwnerEnforced")
def code_of(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return "none"
check(code_of(lambda: alice.put_object(Bucket=name, Key="k", Body=b"x", ACL="public-read"))
      == "AccessControlListNotSupported", "PutObject with an ACL: AccessControlListNotSupported")
alice.put_object(Bucket=name, Key="k", Body=b"x", ACL="bucket-owner-full-control")
alice.put_bucket_ownership_controls(Bucket=name, OwnershipControls={
    "Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]})
rules = alice.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
check(rules == [{"ObjectOwnership": "BucketOwnerPreferred"}], "put/get ownership controls")
config = alice.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
check(all(config.values()) and len(config) == 4, "a new bucket blocks public access")
check(code_of(lambda: alice.put_object(Bucket=name, Key="k", Body=b"x", ACL="public-read")) == "AccessDenied",
      "PutObject public-read under BlockPublicAcls: AccessDenied")
alice.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={"BlockPublicAcls": False})
config = alice.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
check(not config["BlockPublicAcls"] and not config["IgnorePublicAcls"], "put/get public access block")
alice.delete_public_access_block(Bucket=name)
check(code_of(lambda: alice.get_public_access_block(Bucket=name)) == "NoSuchPublicAccessBlockConfiguration",
      "no public access block after delete")
alice.delete_bucket_ownership_controls(Bucket=name)
check(code_of(lambda: alice.get_bucket_ownership_controls(Bucket=name)) == "OwnershipControlsNotFoundError",
      "no ownership controls after delete")
alice.delete_object(Bucket=name, Key="k")
alice.delete_bucket(Bucket=name)
PY
    while IFS= read -r line; do
      case $line in
        "ok - "*) ok "${line#ok - }" ;;
        "not ok - "*) not_ok "${line#not ok - }" ;;
      esac
    done <"$tmp/boto3.out"
  else
    not_ok "boto3 ($sig) script" "$(tail -c 600 "$tmp/boto3.out")"
  fi
done
finish
